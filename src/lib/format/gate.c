/*
 * Trustee-gated vaults (FORMAT.md, "Trustee-gated vaults"): the custodians'
 * part K_c of the file key, split with Shamir's scheme (libgfshare) into one
 * share per custodian, each wrapped to its custodian (slot type 4), and the
 * gate slot (type 5) that tells a recipient who the custodians are and how
 * many must release.
 */
#include "format/format.h"

#include <stdlib.h>
#include <string.h>

#include <libgfshare.h>
#include <sodium.h>

#define LABEL_CUSTODIAN "kist/v2 custodian"
#define PLAIN_SHARE     (1 + 32 + 16) /* x || share || vault id */
#define GATE_FIXED      19            /* version || quorum || n || vault id */

/* libgfshare draws its polynomial's coefficients through this hook. */
static void fill_random(unsigned char *buf, unsigned int n)
{
	randombytes_buf(buf, n);
}

static size_t gate_body_len(unsigned n)
{
	return GATE_FIXED + 64u * n + crypto_aead_chacha20poly1305_ietf_ABYTES;
}

size_t kist__gate_slots_len(const kist__gate *g)
{
	return g->n * (8 + KIST_SLOT_CUSTODIAN_BODY) + 8 + gate_body_len(g->n);
}

static kist_err check_gate(const kist__gate *g)
{
	if (g->n < 1 || g->n > KIST_CUSTODIANS_MAX || g->quorum < 1 || g->quorum > g->n)
		return kist__fail(KIST_E_ARG, "%u of %u custodians: a quorum is 1 to n, n 1 to %d",
		                  g->quorum, g->n, KIST_CUSTODIANS_MAX);
	for (unsigned i = 0; i < g->n; i++) {
		if (g->custodians[i].kind != KIST_PUBKEY_KIST)
			return kist__fail(KIST_E_BADKEY,
			                  "custodian %u is an age key, which cannot sign a release",
			                  i + 1);
		for (unsigned j = 0; j < i; j++)
			if (memcmp(g->custodians[i].x25519, g->custodians[j].x25519, 32) == 0 ||
			    memcmp(g->custodians[i].ed25519, g->custodians[j].ed25519, 32) == 0)
				return kist__fail(KIST_E_ARG,
				                  "custodians %u and %u are the same key", j + 1,
				                  i + 1);
	}
	return KIST_OK;
}

static void slot_head(unsigned char *p, uint16_t type, size_t blen)
{
	kist__st16(p, type);
	kist__st16(p + 2, 0);
	kist__st32(p + 4, (uint32_t)blen);
}

kist_err kist__gate_slots(unsigned char *dst, size_t *len, const kist__gate *g,
                          const unsigned char kc[32], const unsigned char salt[32],
                          const unsigned char gate_key[32])
{
	static const unsigned char zero_nonce[12];
	unsigned char xs[KIST_CUSTODIANS_MAX], *sec = NULL, *p = dst;
	gfshare_ctx *ctx = NULL;
	kist_err err;

	if ((err = check_gate(g)) != KIST_OK)
		return err;
	/* sec: the secret (32), one share (32), one slot's plaintext (49). */
	if ((sec = sodium_malloc(32 + 32 + PLAIN_SHARE)) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	for (unsigned i = 0; i < g->n; i++)
		xs[i] = (unsigned char)(i + 1);
	memcpy(sec, kc, 32);
	gfshare_fill_rand = fill_random;
	if ((ctx = gfshare_ctx_init_enc(xs, g->n, (unsigned char)g->quorum, 32)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	gfshare_ctx_enc_setsecret(ctx, sec);
	for (unsigned i = 0; i < g->n; i++, p += 8 + KIST_SLOT_CUSTODIAN_BODY) {
		unsigned char *plain = sec + 64;
		gfshare_ctx_enc_getshare(ctx, (unsigned char)i, sec + 32);
		plain[0] = xs[i];
		memcpy(plain + 1, sec + 32, 32);
		memcpy(plain + 33, g->vault_id, 16);
		slot_head(p, KIST_SLOT_CUSTODIAN, KIST_SLOT_CUSTODIAN_BODY);
		/* aad = S: the slot unwraps only in its own vault's header. */
		err = kist__x25519_wrap_ad(p + 8, p + 8 + 32, plain, PLAIN_SHARE,
		                           g->custodians[i].x25519, LABEL_CUSTODIAN, salt, 32);
		if (err != KIST_OK) {
			kist__fail(err, "custodian %u is not a usable X25519 key", i + 1);
			goto out;
		}
	}
	/* The gate slot, readable by every recipient. */
	size_t plen = GATE_FIXED + 64u * g->n;
	unsigned char plain[GATE_FIXED + 64 * KIST_CUSTODIANS_MAX];
	plain[0] = 1;
	plain[1] = (unsigned char)g->quorum;
	plain[2] = (unsigned char)g->n;
	memcpy(plain + 3, g->vault_id, 16);
	for (unsigned i = 0; i < g->n; i++) {
		memcpy(plain + GATE_FIXED + 64 * i, g->custodians[i].x25519, 32);
		memcpy(plain + GATE_FIXED + 64 * i + 32, g->custodians[i].ed25519, 32);
	}
	slot_head(p, KIST_SLOT_GATE, gate_body_len(g->n));
	crypto_aead_chacha20poly1305_ietf_encrypt(p + 8, NULL, plain, plen, NULL, 0, NULL,
	                                          zero_nonce, gate_key);
	p += 8 + gate_body_len(g->n);
	*len = (size_t)(p - dst);
	err = KIST_OK;
out:
	if (ctx != NULL)
		gfshare_ctx_free(ctx);
	sodium_free(sec);
	return err;
}

kist_err kist__gate_open(const kist__header *h, const unsigned char gate_key[32], kist__gate *g)
{
	static const unsigned char zero_nonce[12];
	unsigned char plain[GATE_FIXED + 64 * KIST_CUSTODIANS_MAX];
	const unsigned char *p = h->slots;
	kist_err err;
	char why[KIST__DETAIL_COPY];

	memset(g, 0, sizeof *g);
	if (h->gate_slots == 0)
		return kist__fail(KIST_E_NOTFOUND, "the vault is not trustee-gated");
	for (unsigned i = 0; i < h->slot_count; i++) {
		uint32_t blen = kist__ld32(p + 4);
		if (kist__ld16(p) != KIST_SLOT_GATE) {
			p += 8 + blen;
			continue;
		}
		if (blen < gate_body_len(1) || blen > gate_body_len(KIST_CUSTODIANS_MAX) ||
		    (blen - gate_body_len(0)) % 64 != 0)
			return kist__fail(KIST_E_FORMAT, "slot %u: the gate has a bad length",
			                  i + 1);
		size_t plen = blen - crypto_aead_chacha20poly1305_ietf_ABYTES;
		if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, NULL, NULL, p + 8, blen, NULL,
		                                              0, zero_nonce, gate_key) != 0)
			return kist__fail(KIST_E_CORRUPT, "the gate slot does not authenticate");
		g->quorum = plain[1];
		g->n = plain[2];
		if (plain[0] != 1 || plen != GATE_FIXED + 64u * g->n)
			return kist__fail(KIST_E_CORRUPT, "the gate slot is malformed");
		memcpy(g->vault_id, plain + 3, 16);
		for (unsigned c = 0; c < g->n; c++) {
			g->custodians[c].kind = KIST_PUBKEY_KIST;
			memcpy(g->custodians[c].x25519, plain + GATE_FIXED + 64 * c, 32);
			memcpy(g->custodians[c].ed25519, plain + GATE_FIXED + 64 * c + 32, 32);
		}
		if ((err = check_gate(g)) != KIST_OK)
			return kist__fail(KIST_E_CORRUPT, "the gate slot is malformed: %s",
			                  kist__detail_copy(why));
		if (h->custodian_slots != g->n)
			return kist__fail(KIST_E_CORRUPT,
			                  "the gate names %u custodians, the header has %u slots",
			                  g->n, h->custodian_slots);
		return KIST_OK;
	}
	return kist__fail(KIST_E_FORMAT, "no gate slot");
}

kist_err kist__custodian_unwrap(const kist__header *h, const kist_identity *id, unsigned *x,
                                unsigned char share[32], unsigned char vault_id[16])
{
	const unsigned char *p = h->slots;
	unsigned char *plain = sodium_malloc(PLAIN_SHARE);
	kist_err err = KIST_E_NOACCESS;
	if (plain == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	for (unsigned i = 0; i < h->slot_count; i++) {
		uint32_t blen = kist__ld32(p + 4);
		if (kist__ld16(p) == KIST_SLOT_CUSTODIAN && blen == KIST_SLOT_CUSTODIAN_BODY &&
		    kist__x25519_unwrap_ad(plain, PLAIN_SHARE, p + 8, p + 8 + 32, blen - 32,
		                           id->x25519_sk, id->pk.x25519, LABEL_CUSTODIAN, h->salt,
		                           32) == KIST_OK) {
			if (plain[0] < 1 || plain[0] > KIST_CUSTODIANS_MAX) {
				err = kist__fail(KIST_E_CORRUPT,
				                 "custodian slot %u has share number %u", i + 1,
				                 plain[0]);
				break;
			}
			*x = plain[0];
			memcpy(share, plain + 1, 32);
			memcpy(vault_id, plain + 33, 16);
			err = KIST_OK;
			break;
		}
		p += 8 + blen;
	}
	sodium_free(plain);
	if (err == KIST_E_NOACCESS)
		return kist__fail(err, "no custodian slot of this vault is for the identity given");
	return err;
}

kist_err kist__gate_combine(unsigned char kc[32], const unsigned char *xs,
                            const unsigned char (*shares)[32], unsigned k)
{
	unsigned char nrs[KIST_CUSTODIANS_MAX], *sh;
	gfshare_ctx *ctx;

	if (k < 1 || k > KIST_CUSTODIANS_MAX)
		return kist__fail(KIST_E_ARG, "%u shares", k);
	memcpy(nrs, xs, k);
	gfshare_fill_rand = fill_random; /* gfshare_ctx_free scrubs with it */
	if ((sh = sodium_malloc(32)) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	if ((ctx = gfshare_ctx_init_dec(nrs, k, 32)) == NULL) {
		sodium_free(sh);
		return kist__nomem();
	}
	for (unsigned i = 0; i < k; i++) {
		memcpy(sh, shares[i], 32); /* libgfshare takes a non-const pointer */
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)i, sh);
	}
	gfshare_ctx_dec_extract(ctx, kc);
	gfshare_ctx_free(ctx);
	sodium_free(sh);
	return KIST_OK;
}
