/*
 * The vault header: public, authenticated by an HMAC under a key derived
 * from the file key, and carrying a key commitment.  Layout in FORMAT.md.
 */
#include "format/format.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define LABEL_X25519_V1 "kist/v1 X25519 recipient"
#define LABEL_X25519_V2 "kist/v2 X25519 recipient"

kist_err kist__derive_keys(kist__keys *k, unsigned version, const unsigned char slot_key[32],
                           const unsigned char *kc, const unsigned char salt[32])
{
	unsigned char *ikm, *fk;
	memset(k, 0, sizeof *k);
	k->version = version;
	if (version == KIST_FORMAT_V1) {
		kist__hkdf_sha256(k->header_mac, 32, salt, 32, slot_key, 32, "kist/v1 header");
		kist__hkdf_sha256(k->commitment, 32, salt, 32, slot_key, 32, "kist/v1 commitment");
		kist__hkdf_sha256(k->index, 32, salt, 32, slot_key, 32, "kist/v1 index");
		kist__hkdf_sha256(k->content, 32, salt, 32, slot_key, 32, "kist/v1 content");
		return KIST_OK;
	}
	/* K = HKDF(K_r || K_c); what a recipient checks or changes before a
	 * release (the header MAC, grants) is keyed by K_r alone. */
	if ((ikm = sodium_malloc(96)) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	fk = ikm + 64;
	memcpy(k->slot_key, slot_key, 32);
	memcpy(ikm, slot_key, 32);
	if (kc != NULL)
		memcpy(ikm + 32, kc, 32);
	else
		memset(ikm + 32, 0, 32);
	kist__hkdf_sha256(fk, 32, salt, 32, ikm, 64, "kist/v2 file key");
	kist__hkdf_sha256(k->header_mac, 32, salt, 32, slot_key, 32, "kist/v2 header");
	kist__hkdf_sha256(k->grant, 32, salt, 32, slot_key, 32, "kist/v2 grant");
	kist__hkdf_sha256(k->gate, 32, salt, 32, slot_key, 32, "kist/v2 gate");
	kist__hkdf_sha256(k->commitment, 32, salt, 32, fk, 32, "kist/v2 commitment");
	kist__hkdf_sha256(k->index, 32, salt, 32, fk, 32, "kist/v2 index");
	kist__hkdf_sha256(k->content, 32, salt, 32, fk, 32, "kist/v2 content");
	kist__hkdf_sha256(k->padding, 32, salt, 32, fk, 32, "kist/v2 padding");
	sodium_free(ikm);
	return KIST_OK;
}

kist_err kist__recipient_slots(unsigned char *p, const unsigned char slot_key[32],
                               const kist_pubkey *recips, size_t n)
{
	_Static_assert(KIST_SLOT_AGE_BODY == KIST_SLOT_X25519_BODY,
	               "one slot length for both types");
	kist_err err;
	for (size_t i = 0; i < n; i++, p += 8 + KIST_SLOT_X25519_BODY) {
		unsigned char *share = p + 8, *wrapped = p + 8 + 32;
		int age = recips[i].kind == KIST_PUBKEY_AGE;
		kist__st16(p, age ? KIST_SLOT_AGE : KIST_SLOT_X25519);
		kist__st16(p + 2, 0);
		kist__st32(p + 4, KIST_SLOT_X25519_BODY);
		err = age ? kist__age_x25519_wrap(share, wrapped, slot_key, 32, recips[i].x25519)
		          : kist__x25519_wrap(share, wrapped, slot_key, 32, recips[i].x25519,
		                              LABEL_X25519_V2);
		if (err != KIST_OK)
			return kist__fail(err, "recipient %zu is not a usable X25519 key", i + 1);
	}
	return KIST_OK;
}

kist_err kist__header_assemble(unsigned char **out, size_t *outlen, const unsigned char salt[32],
                               const unsigned char *slots, size_t slots_len, unsigned nslots,
                               const kist__keys *k)
{
	if (nslots == 0 || nslots > KIST_MAX_RECIPIENTS ||
	    slots_len > KIST_HEADER_MAX - KIST_HEADER_FIXED - 64)
		return kist__fail(KIST_E_LIMIT, "a header holds 1 to %d slots and at most 1 MiB",
		                  KIST_MAX_RECIPIENTS);
	size_t len = KIST_HEADER_FIXED + slots_len + 64;
	unsigned char *h = malloc(len);
	if (h == NULL)
		return kist__nomem();
	memcpy(h, KIST_MAGIC, 8);
	kist__st16(h + 8, KIST_FORMAT_VERSION);
	kist__st16(h + 10, 0);
	kist__st32(h + 12, (uint32_t)len);
	memcpy(h + 16, salt, 32);
	kist__st16(h + 48, (uint16_t)nslots);
	kist__st16(h + 50, 0);
	memcpy(h + KIST_HEADER_FIXED, slots, slots_len);
	memcpy(h + len - 64, k->commitment, 32);
	kist__hmac_sha256(h + len - 32, k->header_mac, 32, h, len - 32);
	*out = h;
	*outlen = len;
	return KIST_OK;
}

kist_err kist__header_build(unsigned char **out, size_t *outlen, const unsigned char slot_key[32],
                            const unsigned char salt[32], const kist_pubkey *recips, size_t nrecips)
{
	kist__keys *k = sodium_malloc(sizeof *k);
	kist_err err;
	if (k == NULL)
		return kist__nomem();
	if ((err = kist__derive_keys(k, KIST_FORMAT_VERSION, slot_key, NULL, salt)) == KIST_OK)
		err = kist__header_build_gated(out, outlen, slot_key, salt, recips, nrecips, NULL,
		                               NULL, k);
	sodium_free(k);
	return err;
}

kist_err kist__header_build_gated(unsigned char **out, size_t *outlen,
                                  const unsigned char slot_key[32], const unsigned char salt[32],
                                  const kist_pubkey *recips, size_t nrecips, const kist__gate *g,
                                  const unsigned char kc[32], const kist__keys *k)
{
	size_t rlen = nrecips * (8 + KIST_SLOT_X25519_BODY), glen = 0;
	size_t slots_len = rlen + (g != NULL ? kist__gate_slots_len(g) : 0);
	unsigned char *slots;
	kist_err err;

	size_t extra = g != NULL ? g->n + 1 : 0;
	if (nrecips == 0 || nrecips > KIST_MAX_RECIPIENTS - extra)
		return kist__fail(KIST_E_ARG, "between 1 and %zu recipients are needed",
		                  KIST_MAX_RECIPIENTS - extra);
	if ((slots = malloc(slots_len)) == NULL)
		return kist__nomem();
	if ((err = kist__recipient_slots(slots, slot_key, recips, nrecips)) == KIST_OK && g != NULL)
		err = kist__gate_slots(slots + rlen, &glen, g, kc, salt, k->gate);
	if (err == KIST_OK)
		err = kist__header_assemble(out, outlen, salt, slots, slots_len,
		                            (unsigned)nrecips + (g != NULL ? g->n + 1 : 0), k);
	free(slots);
	return err;
}

/* One slot of a version 2 header: only the types version 2 defines. */
static kist_err check_v2_slot(kist__header *h, unsigned i, uint16_t type, uint32_t blen,
                              int *after_grant)
{
	switch (type) {
	case KIST_SLOT_X25519:
	case KIST_SLOT_AGE:
		*after_grant = 0;
		return KIST_OK;
	case KIST_SLOT_GRANT:
		if (*after_grant || h->recipient_slots == 0)
			return kist__fail(
			    KIST_E_FORMAT,
			    "slot %u: a grant record does not follow the recipients it added",
			    i + 1);
		if (blen < 16 || ++h->grant_slots > KIST_GRANTS_MAX)
			return kist__fail(KIST_E_FORMAT, "slot %u: malformed grant record", i + 1);
		*after_grant = 1;
		return KIST_OK;
	case KIST_SLOT_CUSTODIAN:
	case KIST_SLOT_GATE:
		/* The sealer's: before any grant record. */
		if (h->grant_slots > 0)
			return kist__fail(KIST_E_FORMAT,
			                  "slot %u: a custodian or gate slot after a "
			                  "grant record",
			                  i + 1);
		if (type == KIST_SLOT_CUSTODIAN) {
			if (blen != KIST_SLOT_CUSTODIAN_BODY ||
			    ++h->custodian_slots > KIST_CUSTODIANS_MAX)
				return kist__fail(KIST_E_FORMAT,
				                  "slot %u: malformed custodian slot", i + 1);
		} else if (++h->gate_slots > 1) {
			return kist__fail(KIST_E_FORMAT, "slot %u: a second gate slot", i + 1);
		}
		return KIST_OK;
	default:
		return kist__fail(KIST_E_FORMAT, "slot %u has unknown type %u", i + 1, type);
	}
}

kist_err kist__header_parse(kist__header *h, const unsigned char *raw, size_t len)
{
	memset(h, 0, sizeof *h);
	if (len < KIST_HEADER_FIXED || memcmp(raw, KIST_MAGIC, 8) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist vault (bad magic)");
	h->version = kist__ld16(raw + 8);
	if (h->version != KIST_FORMAT_V1 && h->version != KIST_FORMAT_VERSION)
		return kist__fail(KIST_E_FORMAT, "vault format version %u is not supported",
		                  h->version);
	if (kist__ld16(raw + 10) != 0 || kist__ld16(raw + 50) != 0)
		return kist__fail(KIST_E_FORMAT, "header has unknown flags");
	h->header_len = kist__ld32(raw + 12);
	if (h->header_len != len)
		return kist__fail(KIST_E_FORMAT, "header length mismatch");
	memcpy(h->salt, raw + 16, 32);
	h->slot_count = kist__ld16(raw + 48);
	if (h->slot_count == 0 || h->slot_count > KIST_MAX_RECIPIENTS)
		return kist__fail(KIST_E_FORMAT, "bad recipient slot count %u", h->slot_count);
	size_t off = KIST_HEADER_FIXED;
	int after_grant = 0;
	kist_err err;
	for (unsigned i = 0; i < h->slot_count; i++) {
		if (len - off < 8 + 64)
			return kist__fail(KIST_E_FORMAT, "recipient slot %u overruns the header",
			                  i + 1);
		uint32_t blen = kist__ld32(raw + off + 4);
		if (kist__ld16(raw + off + 2) != 0 || blen > KIST_SLOT_BODY_MAX ||
		    blen > len - off - 8 - 64)
			return kist__fail(KIST_E_FORMAT, "recipient slot %u is malformed", i + 1);
		uint16_t type = kist__ld16(raw + off);
		if ((type == KIST_SLOT_X25519 && blen != KIST_SLOT_X25519_BODY) ||
		    (type == KIST_SLOT_AGE && blen != KIST_SLOT_AGE_BODY))
			return kist__fail(KIST_E_FORMAT, "recipient slot %u has a bad length",
			                  i + 1);
		if (h->version != KIST_FORMAT_V1 &&
		    (err = check_v2_slot(h, i, type, blen, &after_grant)) != KIST_OK)
			return err;
		h->age_slots += type == KIST_SLOT_AGE;
		h->recipient_slots += type == KIST_SLOT_X25519 || type == KIST_SLOT_AGE;
		off += 8 + blen;
	}
	if (h->grant_slots > 0 && !after_grant)
		return kist__fail(KIST_E_FORMAT, "recipient slots after the last grant record");
	if (h->recipient_slots == 0 && h->version != KIST_FORMAT_V1)
		return kist__fail(KIST_E_FORMAT, "no recipient slot");
	if ((h->custodian_slots > 0) != (h->gate_slots > 0))
		return kist__fail(KIST_E_FORMAT, "custodian slots without a gate, or the reverse");
	if (len - off != 64)
		return kist__fail(KIST_E_FORMAT, "header length mismatch");
	h->slots = raw + KIST_HEADER_FIXED;
	h->slots_len = off - KIST_HEADER_FIXED;
	h->commitment = raw + off;
	h->mac = raw + off + 32;
	return KIST_OK;
}

kist_err kist__header_read(int fd, unsigned char **raw, size_t *len, uint64_t file_size)
{
	kist__source src;
	kist__source_plain(&src, fd, file_size);
	return kist__header_read_src(&src, raw, len);
}

kist_err kist__header_read_src(const kist__source *src, unsigned char **raw, size_t *len)
{
	unsigned char fixed[KIST_HEADER_FIXED];
	uint64_t file_size = src->size;
	kist_err err;

	if (file_size < KIST_HEADER_FIXED)
		return kist__fail(KIST_E_FORMAT, "not a kist vault (too short)");
	if ((err = kist__source_pread(src, fixed, sizeof fixed, 0, "header")) != KIST_OK)
		return err;
	if (memcmp(fixed, KIST_MAGIC, 8) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist vault (bad magic)");
	if (kist__ld16(fixed + 8) != KIST_FORMAT_V1 && kist__ld16(fixed + 8) != KIST_FORMAT_VERSION)
		return kist__fail(KIST_E_FORMAT, "vault format version %u is not supported",
		                  kist__ld16(fixed + 8));
	uint32_t hl = kist__ld32(fixed + 12);
	if (hl < KIST_HEADER_FIXED + 64 || hl > KIST_HEADER_MAX || hl > file_size)
		return kist__fail(KIST_E_FORMAT, "header length %u is out of bounds", hl);
	*raw = malloc(hl);
	if (*raw == NULL)
		return kist__nomem();
	memcpy(*raw, fixed, sizeof fixed);
	if ((err = kist__source_pread(src, *raw + sizeof fixed, hl - sizeof fixed, sizeof fixed,
	                              "header")) != KIST_OK) {
		free(*raw);
		*raw = NULL;
		return err;
	}
	*len = hl;
	return KIST_OK;
}

kist_err kist__header_unwrap(const kist__header *h, kist_identity *const *ids, size_t nids,
                             unsigned char file_key[32], size_t *which)
{
	for (size_t i = 0; i < nids; i++) {
		const unsigned char *p = h->slots;
		for (unsigned s = 0; s < h->slot_count; s++) {
			uint16_t type = kist__ld16(p);
			uint32_t blen = kist__ld32(p + 4);
			if (type == KIST_SLOT_X25519) {
				const unsigned char *share = p + 8, *wrapped = p + 8 + 32;
				if (kist__x25519_unwrap(file_key, 32, share, wrapped, blen - 32,
				                        ids[i]->x25519_sk, ids[i]->pk.x25519,
				                        h->version == KIST_FORMAT_V1
				                            ? LABEL_X25519_V1
				                            : LABEL_X25519_V2) == KIST_OK) {
					*which = i;
					return KIST_OK;
				}
			} else if (type == KIST_SLOT_AGE) {
				/* Any identity's X25519 key may be an age recipient. */
				if (kist__age_x25519_unwrap(file_key, 32, p + 8, p + 8 + 32,
				                            blen - 32, ids[i]->x25519_sk,
				                            ids[i]->pk.x25519) == KIST_OK) {
					*which = i;
					return KIST_OK;
				}
			}
			p += 8 + blen;
		}
	}
	return kist__fail(KIST_E_NOACCESS, "no recipient slot matches the identities given");
}

kist_err kist__header_check_mac(const kist__header *h, const unsigned char *raw,
                                const kist__keys *k)
{
	unsigned char mac[32];
	kist__hmac_sha256(mac, k->header_mac, 32, raw, h->header_len - 32);
	if (sodium_memcmp(mac, h->mac, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "header authentication failed");
	return KIST_OK;
}

kist_err kist__header_authenticate(const kist__header *h, const unsigned char *raw,
                                   const kist__keys *k)
{
	if (sodium_memcmp(h->commitment, k->commitment, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "key commitment mismatch");
	return kist__header_check_mac(h, raw, k);
}
