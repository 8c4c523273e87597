/*
 * RFC 9162 Merkle tree: roots, inclusion and consistency proofs of the
 * library checked against an independent computation in this file.  Roots
 * here are computed bottom-up, level by level (an odd last node is carried
 * up unchanged), not by the recursive split the library uses; proofs follow
 * the RFC's PATH and SUBPROOF definitions over those roots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "testutil.h"

#define MAXN 33

static unsigned char leaves[MAXN][32];

static void sha(unsigned char out[32], const unsigned char *p, size_t n)
{
	crypto_hash_sha256(out, p, n); /* libsodium's, not the library's wrapper */
}

static void node(unsigned char out[32], const unsigned char *l, const unsigned char *r)
{
	unsigned char b[65];
	b[0] = 1;
	memcpy(b + 1, l, 32);
	memcpy(b + 33, r, 32);
	sha(out, b, 65);
}

/* Root of leaves[lo..hi), bottom-up. */
static void naive_root(unsigned char out[32], size_t lo, size_t hi)
{
	unsigned char level[MAXN][32];
	size_t n = hi - lo;
	if (n == 0) {
		sha(out, (const unsigned char *)"", 0);
		return;
	}
	memcpy(level, leaves[lo], n * 32);
	while (n > 1) {
		size_t m = 0;
		for (size_t i = 0; i + 1 < n; i += 2)
			node(level[m++], level[i], level[i + 1]);
		if (n & 1)
			memcpy(level[m++], level[n - 1], 32);
		n = m;
	}
	memcpy(out, level[0], 32);
}

static size_t kpow(size_t n)
{
	size_t k = 1;
	while (k * 2 < n)
		k *= 2;
	return k;
}

/* SUBPROOF(m, D[lo..hi), b), RFC 9162 2.1.4.1. */
static void naive_subproof(unsigned char (*out)[32], size_t *len, size_t m, size_t lo, size_t hi,
                           int b)
{
	size_t n = hi - lo;
	if (m == n) {
		if (!b)
			naive_root(out[(*len)++], lo, hi);
		return;
	}
	size_t k = kpow(n);
	if (m <= k) {
		naive_subproof(out, len, m, lo, lo + k, b);
		naive_root(out[(*len)++], lo + k, hi);
	} else {
		naive_subproof(out, len, m - k, lo + k, hi, 0);
		naive_root(out[(*len)++], lo, lo + k);
	}
}

/* PATH(m, D[lo..hi)), RFC 9162 2.1.3.1. */
static void naive_path(unsigned char (*out)[32], size_t *len, size_t m, size_t lo, size_t hi)
{
	size_t n = hi - lo;
	if (n <= 1)
		return;
	size_t k = kpow(n);
	if (m < k) {
		naive_path(out, len, m, lo, lo + k);
		naive_root(out[(*len)++], lo + k, hi);
	} else {
		naive_path(out, len, m - k, lo + k, hi);
		naive_root(out[(*len)++], lo, lo + k);
	}
}

static int setup(void **state)
{
	for (int i = 0; i < MAXN; i++) {
		unsigned char d[3] = {0x00, (unsigned char)i, (unsigned char)(i * 7)};
		sha(leaves[i], d, 1 + (size_t)(i % 3)); /* SHA-256(0x00 || data) */
		assert_int_equal(kist__merkle_leaf(leaves[i], d + 1, (size_t)(i % 3)), KIST_OK);
		unsigned char want[32];
		sha(want, d, 1 + (size_t)(i % 3));
		assert_memory_equal(leaves[i], want, 32);
	}
	return 0;
}

static void test_leaf_and_node_prefixes(void **state)
{
	unsigned char got[32], want[32], b[65];
	assert_int_equal(kist__merkle_leaf(got, "", 0), KIST_OK);
	b[0] = 0;
	sha(want, b, 1);
	assert_memory_equal(got, want, 32);
	kist__merkle_node(got, leaves[1], leaves[2]);
	b[0] = 1;
	memcpy(b + 1, leaves[1], 32);
	memcpy(b + 33, leaves[2], 32);
	sha(want, b, 65);
	assert_memory_equal(got, want, 32);
}

static void test_empty_tree(void **state)
{
	unsigned char got[32], want[32];
	size_t len;
	assert_int_equal(sodium_hex2bin(want, 32,
	                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	                                "7852b855",
	                                64, NULL, &len, NULL),
	                 0);
	kist__merkle_root(got, leaves, 0);
	assert_memory_equal(got, want, 32);
	/* Consistency from the empty tree: empty proof, old root must be the empty root. */
	unsigned char root5[32];
	naive_root(root5, 0, 5);
	assert_int_equal(kist__merkle_consistency_verify(0, 5, want, root5, NULL, 0), KIST_OK);
	assert_int_not_equal(kist__merkle_consistency_verify(0, 5, root5, root5, NULL, 0), KIST_OK);
	unsigned char(*p)[32] = NULL;
	size_t plen = 99;
	assert_int_equal(kist__merkle_consistency_proof(&p, &plen, leaves, 5, 0), KIST_OK);
	assert_int_equal(plen, 0);
	free(p);
}

static void test_roots(void **state)
{
	for (size_t n = 0; n <= MAXN; n++) {
		unsigned char got[32], want[32];
		kist__merkle_root(got, leaves, n);
		naive_root(want, 0, n);
		assert_memory_equal(got, want, 32);
	}
	/* Order matters: swapping two leaves changes the root. */
	unsigned char a[32], b[32], sw[4][32];
	memcpy(sw, leaves, sizeof sw);
	memcpy(sw[1], leaves[2], 32);
	memcpy(sw[2], leaves[1], 32);
	kist__merkle_root(a, leaves, 4);
	kist__merkle_root(b, (const unsigned char(*)[32])sw, 4);
	assert_memory_not_equal(a, b, 32);
}

static void test_inclusion(void **state)
{
	for (size_t n = 1; n <= MAXN; n++) {
		unsigned char root[32];
		naive_root(root, 0, n);
		for (size_t i = 0; i < n; i++) {
			unsigned char want[64][32], (*p)[32] = NULL;
			size_t wl = 0, pl = 0;
			naive_path(want, &wl, i, 0, n);
			assert_int_equal(kist__merkle_inclusion_proof(&p, &pl, leaves, n, i),
			                 KIST_OK);
			assert_int_equal(pl, wl);
			if (wl)
				assert_memory_equal(p, want, wl * 32);
			assert_int_equal(
			    kist__merkle_inclusion_verify(leaves[i], i, n, p, pl, root), KIST_OK);
			/* Another leaf, index or size does not verify. */
			assert_int_not_equal(kist__merkle_inclusion_verify(leaves[(i + 1) % MAXN],
			                                                   i, n, p, pl, root),
			                     KIST_OK);
			if (n > 1)
				assert_int_not_equal(kist__merkle_inclusion_verify(
				                         leaves[i], (i + 1) % n, n, p, pl, root),
				                     KIST_OK);
			for (size_t j = 0; j < pl; j++) {
				p[j][j % 32] ^= 1;
				assert_int_not_equal(
				    kist__merkle_inclusion_verify(leaves[i], i, n, p, pl, root),
				    KIST_OK);
				p[j][j % 32] ^= 1;
			}
			free(p);
		}
		unsigned char(*p)[32] = NULL;
		size_t pl;
		assert_int_equal(kist__merkle_inclusion_proof(&p, &pl, leaves, n, n), KIST_E_ARG);
	}
}

static void test_consistency(void **state)
{
	for (size_t n = 1; n <= MAXN; n++) {
		unsigned char nroot[32];
		naive_root(nroot, 0, n);
		for (size_t m = 1; m <= n; m++) {
			unsigned char oroot[32], want[64][32], (*p)[32] = NULL;
			size_t wl = 0, pl = 0;
			naive_root(oroot, 0, m);
			if (m < n)
				naive_subproof(want, &wl, m, 0, n, 1);
			assert_int_equal(kist__merkle_consistency_proof(&p, &pl, leaves, n, m),
			                 KIST_OK);
			assert_int_equal(pl, wl);
			if (wl)
				assert_memory_equal(p, want, wl * 32);
			assert_int_equal(kist__merkle_consistency_verify(m, n, oroot, nroot, p, pl),
			                 KIST_OK);
			/* A wrong old root, new root, or any flipped bit fails. */
			if (m != n)
				assert_int_not_equal(
				    kist__merkle_consistency_verify(m, n, nroot, nroot, p, pl),
				    KIST_OK);
			unsigned char bad[32];
			memcpy(bad, oroot, 32);
			bad[0] ^= 0x80;
			assert_int_not_equal(
			    kist__merkle_consistency_verify(m, n, bad, nroot, p, pl), KIST_OK);
			memcpy(bad, nroot, 32);
			bad[31] ^= 0x01;
			assert_int_not_equal(
			    kist__merkle_consistency_verify(m, n, oroot, bad, p, pl), KIST_OK);
			for (size_t j = 0; j < pl; j++) {
				p[j][5] ^= 4;
				assert_int_not_equal(
				    kist__merkle_consistency_verify(m, n, oroot, nroot, p, pl),
				    KIST_OK);
				p[j][5] ^= 4;
			}
			if (pl > 0)
				assert_int_not_equal(
				    kist__merkle_consistency_verify(m, n, oroot, nroot, p, pl - 1),
				    KIST_OK);
			/* The proof does not fit other sizes. */
			if (m < n && m > 1)
				assert_int_not_equal(
				    kist__merkle_consistency_verify(m - 1, n, oroot, nroot, p, pl),
				    KIST_OK);
			free(p);
		}
	}
}

static void test_equal_sizes(void **state)
{
	unsigned char r[32], other[32];
	for (size_t n = 1; n <= 9; n++) {
		naive_root(r, 0, n);
		naive_root(other, 0, n - 1);
		assert_int_equal(kist__merkle_consistency_verify(n, n, r, r, NULL, 0), KIST_OK);
		assert_int_not_equal(kist__merkle_consistency_verify(n, n, r, other, NULL, 0),
		                     KIST_OK);
		assert_int_not_equal(kist__merkle_consistency_verify(n, n, r, r, leaves, 1),
		                     KIST_OK);
	}
}

static void test_old_larger_refused(void **state)
{
	unsigned char(*p)[32] = NULL, r[32];
	size_t pl = 0;
	naive_root(r, 0, 4);
	assert_int_equal(kist__merkle_consistency_proof(&p, &pl, leaves, 4, 5), KIST_E_ARG);
	assert_null(p);
	assert_int_equal(kist__merkle_consistency_verify(5, 4, r, r, NULL, 0), KIST_E_ARG);
	assert_int_equal(kist__merkle_consistency_verify(8, 3, r, r, leaves, 2), KIST_E_ARG);
}

static void test_old_power_of_two(void **state)
{
	/* The old root is a node of the new tree: the proof omits it. */
	for (size_t m = 1; m <= 16; m *= 2)
		for (size_t n = m + 1; n <= MAXN; n++) {
			unsigned char oroot[32], nroot[32], (*p)[32] = NULL;
			size_t pl = 0;
			naive_root(oroot, 0, m);
			naive_root(nroot, 0, n);
			assert_int_equal(kist__merkle_consistency_proof(&p, &pl, leaves, n, m),
			                 KIST_OK);
			for (size_t j = 0; j < pl; j++)
				assert_memory_not_equal(p[j], oroot, 32);
			assert_int_equal(kist__merkle_consistency_verify(m, n, oroot, nroot, p, pl),
			                 KIST_OK);
			free(p);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_leaf_and_node_prefixes),
	    cmocka_unit_test(test_empty_tree),
	    cmocka_unit_test(test_roots),
	    cmocka_unit_test(test_inclusion),
	    cmocka_unit_test(test_consistency),
	    cmocka_unit_test(test_equal_sizes),
	    cmocka_unit_test(test_old_larger_refused),
	    cmocka_unit_test(test_old_power_of_two),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
