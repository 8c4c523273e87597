/*
 * RFC 9162 Merkle tree hashing (section 2.1): leaf hash SHA-256(0x00 || data),
 * node hash SHA-256(0x01 || left || right), the root of n leaves (the empty
 * tree's root is SHA-256 of the empty string), and inclusion and consistency
 * proofs with their verification.  Leaves are given as their leaf hashes.
 */
#include "crypto/crypto.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

kist_err kist__merkle_leaf(unsigned char out[32], const void *data, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	if (buf == NULL)
		return kist__nomem();
	buf[0] = 0x00;
	if (len)
		memcpy(buf + 1, data, len);
	kist__sha256_oneshot(out, buf, len + 1);
	free(buf);
	return KIST_OK;
}

void kist__merkle_node(unsigned char out[32], const unsigned char l[32], const unsigned char r[32])
{
	unsigned char buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	kist__sha256_oneshot(out, buf, sizeof buf);
}

/* Largest power of two strictly smaller than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static void mth(unsigned char out[32], const unsigned char (*leaves)[32], uint64_t n)
{
	if (n == 0) {
		kist__sha256_oneshot(out, "", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	uint64_t k = split_point(n);
	unsigned char l[32], r[32];
	mth(l, leaves, k);
	mth(r, leaves + k, n - k);
	kist__merkle_node(out, l, r);
}

void kist__merkle_root(unsigned char out[32], const unsigned char (*leaves)[32], uint64_t n)
{
	mth(out, leaves, n);
}

/* Appends one hash to a growing proof (at most 64 hashes for 64-bit sizes). */
typedef struct proof {
	unsigned char (*h)[32];
	size_t n;
} proof;

static void push(proof *p, const unsigned char h[32])
{
	memcpy(p->h[p->n++], h, 32);
}

static void path(proof *p, uint64_t m, const unsigned char (*leaves)[32], uint64_t n)
{
	unsigned char t[32];
	if (n <= 1)
		return;
	uint64_t k = split_point(n);
	if (m < k) {
		path(p, m, leaves, k);
		mth(t, leaves + k, n - k);
	} else {
		path(p, m - k, leaves + k, n - k);
		mth(t, leaves, k);
	}
	push(p, t);
}

static void subproof(proof *p, uint64_t m, const unsigned char (*leaves)[32], uint64_t n, int b)
{
	unsigned char t[32];
	if (m == n) {
		if (!b) {
			mth(t, leaves, n);
			push(p, t);
		}
		return;
	}
	uint64_t k = split_point(n);
	if (m <= k) {
		subproof(p, m, leaves, k, b);
		mth(t, leaves + k, n - k);
	} else {
		subproof(p, m - k, leaves + k, n - k, 0);
		mth(t, leaves, k);
	}
	push(p, t);
}

static kist_err proof_alloc(proof *p)
{
	p->n = 0;
	p->h = malloc(64 * 32 + 32);
	if (p->h == NULL)
		return kist__nomem();
	return KIST_OK;
}

kist_err kist__merkle_inclusion_proof(unsigned char (**out)[32], size_t *outlen,
                                      const unsigned char (*leaves)[32], uint64_t n, uint64_t index)
{
	proof p;
	kist_err err;
	if (index >= n)
		return kist__fail(KIST_E_ARG, "leaf %llu is not in a tree of %llu leaves",
		                  (unsigned long long)index, (unsigned long long)n);
	if ((err = proof_alloc(&p)) != KIST_OK)
		return err;
	path(&p, index, leaves, n);
	*out = p.h;
	*outlen = p.n;
	return KIST_OK;
}

kist_err kist__merkle_consistency_proof(unsigned char (**out)[32], size_t *outlen,
                                        const unsigned char (*leaves)[32], uint64_t n, uint64_t m)
{
	proof p;
	kist_err err;
	if (m > n)
		return kist__fail(KIST_E_ARG, "old size %llu is larger than new size %llu",
		                  (unsigned long long)m, (unsigned long long)n);
	if ((err = proof_alloc(&p)) != KIST_OK)
		return err;
	if (m > 0 && m < n)
		subproof(&p, m, leaves, n, 1);
	*out = p.h;
	*outlen = p.n;
	return KIST_OK;
}

/*
 * The one verification walk of RFC 9162: 2.1.3.2 (inclusion) and 2.1.4.2
 * (consistency) differ only in where they start and in the second root the
 * consistency check also tracks.  From index fn in a tree whose last index is
 * sn, each proof hash is hashed into sr on the side fn says; fr (consistency
 * only, else NULL) takes only the hashes that come from the left.  what names
 * the proof in the errors.
 */
static kist_err walk(uint64_t fn, uint64_t sn, const unsigned char (*proofv)[32], size_t plen,
                     unsigned char *fr, unsigned char sr[32], const char *what)
{
	for (size_t i = 0; i < plen; i++) {
		if (sn == 0)
			return kist__fail(KIST_E_CORRUPT, "%s proof is too long", what);
		if ((fn & 1) || fn == sn) {
			if (fr != NULL)
				kist__merkle_node(fr, proofv[i], fr);
			kist__merkle_node(sr, proofv[i], sr);
			if (!(fn & 1))
				do {
					fn >>= 1;
					sn >>= 1;
				} while (!(fn & 1) && fn != 0);
		} else {
			kist__merkle_node(sr, sr, proofv[i]);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return kist__fail(KIST_E_CORRUPT, "%s proof is too short", what);
	return KIST_OK;
}

kist_err kist__merkle_inclusion_verify(const unsigned char leaf[32], uint64_t index, uint64_t n,
                                       const unsigned char (*proofv)[32], size_t plen,
                                       const unsigned char root[32])
{
	unsigned char r[32];
	kist_err err;
	if (index >= n)
		return kist__fail(KIST_E_ARG, "leaf index beyond the tree size");
	memcpy(r, leaf, 32);
	if ((err = walk(index, n - 1, proofv, plen, NULL, r, "inclusion")) != KIST_OK)
		return err;
	if (sodium_memcmp(r, root, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "inclusion proof does not lead to the root");
	return KIST_OK;
}

kist_err kist__merkle_consistency_verify(uint64_t m, uint64_t n, const unsigned char old_root[32],
                                         const unsigned char new_root[32],
                                         const unsigned char (*proofv)[32], size_t plen)
{
	unsigned char fr[32], sr[32];
	kist_err err;
	size_t i = 0;
	if (m > n)
		return kist__fail(KIST_E_ARG, "old size %llu is larger than new size %llu",
		                  (unsigned long long)m, (unsigned long long)n);
	if (m == 0) {
		unsigned char empty[32];
		kist__sha256_oneshot(empty, "", 0);
		if (plen != 0)
			return kist__fail(KIST_E_CORRUPT,
			                  "proof from the empty tree must be empty");
		if (sodium_memcmp(old_root, empty, 32) != 0)
			return kist__fail(KIST_E_CORRUPT, "root of the empty tree is wrong");
		return KIST_OK;
	}
	if (m == n) {
		if (plen != 0)
			return kist__fail(KIST_E_CORRUPT,
			                  "proof between equal sizes must be empty");
		if (sodium_memcmp(old_root, new_root, 32) != 0)
			return kist__fail(KIST_E_CORRUPT, "roots of equal sizes differ");
		return KIST_OK;
	}
	if (plen == 0 || plen > 64)
		return kist__fail(KIST_E_CORRUPT, "consistency proof has a wrong length");
	/* When m is a power of two the old root is a node of the new tree: it
	 * starts the path (RFC 9162, 2.1.4.2, step 1). */
	int pow2 = (m & (m - 1)) == 0;
	const unsigned char *first = pow2 ? old_root : proofv[i++];
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, first, 32);
	memcpy(sr, first, 32);
	if ((err = walk(fn, sn, proofv + i, plen - i, fr, sr, "consistency")) != KIST_OK)
		return err;
	if (sodium_memcmp(fr, old_root, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "the old tree is not a prefix of the new one");
	if (sodium_memcmp(sr, new_root, 32) != 0)
		return kist__fail(KIST_E_CORRUPT,
		                  "consistency proof does not lead to the new root");
	return KIST_OK;
}
