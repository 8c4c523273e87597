/*
 * Grant records (header slot type 6, version 2): who added which recipients
 * to a vault after it was sealed, signed over what a grant cannot change and
 * over the slots it added.  FORMAT.md, "Grant records".
 */
#include "format/format.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define GRANT_LABEL "kist/v2 grant"
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define AEAD_TAG    crypto_aead_xchacha20poly1305_ietf_ABYTES
#define PLAIN_FIXED (8 + 64 + 2 + 32 + 64)
#define PLAIN_MAX   (PLAIN_FIXED + KIST_GRANT_KEYS_MAX * 65)

_Static_assert(NONCE_BYTES + PLAIN_MAX + AEAD_TAG <= KIST_SLOT_BODY_MAX, "a record fits a slot");

/* The associated data: the record's index j, 4 bytes little-endian. */
static void grant_aad(unsigned char aad[4], unsigned j)
{
	kist__st32(aad, j);
}

/* H(label || 0x00 || core_digest || the slots it added, as stored || plain without its signature).
 */
static void grant_message(unsigned char out[32], const unsigned char core_digest[32],
                          const unsigned char *added, size_t added_len, const unsigned char *plain,
                          size_t signed_len)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)GRANT_LABEL, sizeof GRANT_LABEL);
	crypto_hash_sha256_update(&st, core_digest, 32);
	crypto_hash_sha256_update(&st, added, added_len);
	crypto_hash_sha256_update(&st, plain, signed_len);
	crypto_hash_sha256_final(&st, out);
}

kist_err kist__grant_seal(unsigned char *dst, size_t *len, unsigned j, kist__grant *g,
                          const kist_identity *granter, const unsigned char core_digest[32],
                          const unsigned char *added, size_t added_len,
                          const unsigned char grant_key[32])
{
	unsigned char plain[PLAIN_MAX], aad[4], msg[32];
	size_t o = 0;

	if (g->nkeys == 0 || g->nkeys > KIST_GRANT_KEYS_MAX)
		return kist__fail(KIST_E_ARG, "a grant adds 1 to %d recipients",
		                  KIST_GRANT_KEYS_MAX);
	kist__st64(plain, (uint64_t)g->time);
	memcpy(plain + 8, granter->pk.x25519, 32);
	memcpy(plain + 40, granter->pk.ed25519, 32);
	kist__st16(plain + 72, (uint16_t)g->nkeys);
	o = 74;
	for (size_t i = 0; i < g->nkeys; i++) {
		int age = g->keys[i].kind == KIST_PUBKEY_AGE;
		plain[o++] = age ? 2 : 1;
		memcpy(plain + o, g->keys[i].x25519, 32);
		o += 32;
		if (!age) {
			memcpy(plain + o, g->keys[i].ed25519, 32);
			o += 32;
		}
	}
	memcpy(plain + o, g->prev, 32);
	o += 32;
	grant_message(msg, core_digest, added, added_len, plain, o);
	crypto_sign_detached(plain + o, NULL, msg, sizeof msg, granter->ed25519_sk);
	o += 64;
	kist__sha256_oneshot(g->digest, plain, o);
	g->granter = granter->pk;
	kist__st16(dst, KIST_SLOT_GRANT);
	kist__st16(dst + 2, 0);
	kist__st32(dst + 4, (uint32_t)(NONCE_BYTES + o + AEAD_TAG));
	/* A random nonce: copies of one vault granted apart share grant_key. */
	randombytes_buf(dst + 8, NONCE_BYTES);
	grant_aad(aad, j);
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst + 8 + NONCE_BYTES, NULL, plain, o, aad,
	                                           sizeof aad, NULL, dst + 8, grant_key);
	sodium_memzero(plain, sizeof plain);
	*len = 8 + NONCE_BYTES + o + AEAD_TAG;
	return KIST_OK;
}

/* Parses a record's plaintext into g; checks its chain link and signature. */
static kist_err grant_parse(kist__grant *g, unsigned j, const unsigned char *plain, size_t len,
                            const unsigned char prev[32], const unsigned char core_digest[32],
                            const unsigned char *added, size_t added_len)
{
	unsigned char msg[32];
	size_t o = 74;

	memset(g, 0, sizeof *g);
	if (len < PLAIN_FIXED)
		return kist__fail(KIST_E_CORRUPT, "grant record %u is too short", j + 1);
	g->time = (int64_t)kist__ld64(plain);
	g->granter.kind = KIST_PUBKEY_KIST;
	memcpy(g->granter.x25519, plain + 8, 32);
	memcpy(g->granter.ed25519, plain + 40, 32);
	g->nkeys = kist__ld16(plain + 72);
	if (g->nkeys == 0 || g->nkeys > KIST_GRANT_KEYS_MAX)
		return kist__fail(KIST_E_CORRUPT, "grant record %u adds %zu recipients", j + 1,
		                  g->nkeys);
	for (size_t i = 0; i < g->nkeys; i++) {
		if (len - o < 1 + 32 + 32 + 64)
			return kist__fail(KIST_E_CORRUPT, "grant record %u is truncated", j + 1);
		unsigned type = plain[o++];
		if (type != 1 && type != 2)
			return kist__fail(KIST_E_CORRUPT, "grant record %u: unknown key type %u",
			                  j + 1, type);
		g->keys[i].kind = type == 2 ? KIST_PUBKEY_AGE : KIST_PUBKEY_KIST;
		memcpy(g->keys[i].x25519, plain + o, 32);
		o += 32;
		if (type == 1) {
			memcpy(g->keys[i].ed25519, plain + o, 32);
			o += 32;
		}
	}
	if (len - o != 32 + 64)
		return kist__fail(KIST_E_CORRUPT, "grant record %u has trailing bytes", j + 1);
	memcpy(g->prev, plain + o, 32);
	if (sodium_memcmp(g->prev, prev, 32) != 0)
		return kist__fail(KIST_E_CORRUPT,
		                  "grant record %u does not follow the one before it", j + 1);
	grant_message(msg, core_digest, added, added_len, plain, o + 32);
	if (crypto_sign_verify_detached(plain + o + 32, msg, sizeof msg, g->granter.ed25519) != 0)
		return kist__fail(KIST_E_SIGNATURE,
		                  "grant record %u: the granter's signature does not verify",
		                  j + 1);
	kist__sha256_oneshot(g->digest, plain, len);
	return KIST_OK;
}

kist_err kist__grants_open(const kist__header *h, const unsigned char grant_key[32],
                           const unsigned char core_digest[32], kist__grant **out, size_t *n)
{
	unsigned char plain[PLAIN_MAX], aad[4], prev[32];
	const unsigned char *p = h->slots;
	const unsigned char **rstart = NULL; /* where each recipient slot starts */
	kist__grant *g = NULL;
	unsigned j = 0, since = 0, nr = 0;
	kist_err err = KIST_OK;

	*out = NULL;
	*n = 0;
	if (h->grant_slots == 0)
		return KIST_OK;
	g = calloc(h->grant_slots, sizeof *g);
	rstart = calloc(h->slot_count, sizeof *rstart);
	if (g == NULL || rstart == NULL) {
		err = kist__nomem();
		goto out;
	}
	memset(prev, 0, sizeof prev);
	for (unsigned i = 0; i < h->slot_count; i++) {
		uint16_t type = kist__ld16(p);
		uint32_t blen = kist__ld32(p + 4);
		const unsigned char *slot = p, *body = p + 8;
		p += 8 + blen;
		if (type == KIST_SLOT_X25519 || type == KIST_SLOT_AGE) {
			rstart[nr++] = slot;
			since++;
		}
		if (type != KIST_SLOT_GRANT)
			continue;
		unsigned long long plen;
		grant_aad(aad, j);
		if (blen < NONCE_BYTES + AEAD_TAG || blen - NONCE_BYTES - AEAD_TAG > PLAIN_MAX ||
		    crypto_aead_xchacha20poly1305_ietf_decrypt(
		        plain, &plen, NULL, body + NONCE_BYTES, blen - NONCE_BYTES, aad, sizeof aad,
		        body, grant_key) != 0) {
			err = kist__fail(KIST_E_CORRUPT, "grant record %u failed authentication",
			                 j + 1);
			goto out;
		}
		/* The record covers the count slots right before it: the ones it added. */
		size_t count = plen >= 74 ? kist__ld16(plain + 72) : 0;
		if (count == 0 || count > since) {
			err =
			    kist__fail(KIST_E_CORRUPT,
			               "grant record %u names %zu recipients but follows %u slots",
			               j + 1, count, since);
			goto out;
		}
		const unsigned char *added = rstart[nr - count];
		if ((err = grant_parse(&g[j], j, plain, (size_t)plen, prev, core_digest, added,
		                       (size_t)(slot - added))) != KIST_OK)
			goto out;
		/* The first record follows the sealer's recipients and the slots it
		 * added; every later one exactly the slots it added. */
		if (j == 0 ? since <= g[j].nkeys : since != g[j].nkeys) {
			err =
			    kist__fail(KIST_E_CORRUPT,
			               "grant record %u names %zu recipients but follows %u slots",
			               j + 1, g[j].nkeys, since);
			goto out;
		}
		memcpy(prev, g[j].digest, 32);
		since = 0;
		j++;
	}
	*out = g;
	*n = j;
	g = NULL;
out:
	sodium_memzero(plain, sizeof plain);
	free(rstart);
	free(g);
	return err;
}
