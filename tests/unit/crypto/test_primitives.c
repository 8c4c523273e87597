/* Known-answer and property tests of the building blocks: HKDF, Bech32,
 * public keys, fingerprints, chunks, stored-path rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "index/index.h"
#include "testutil.h"

static void hex2bin(unsigned char *out, size_t cap, const char *hex, size_t *len)
{
	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, len, NULL), 0);
}

/* RFC 5869, appendix A, test cases 1 and 3. */
static void test_hkdf_rfc5869(void **state)
{
	unsigned char ikm[22], salt[13], okm[42], want[42];
	size_t n;
	memset(ikm, 0x0b, sizeof ikm);
	for (int i = 0; i < 13; i++)
		salt[i] = (unsigned char)i;
	const char info[] = "\xf0\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8\xf9";
	kist__hkdf_sha256(okm, 42, salt, sizeof salt, ikm, sizeof ikm, info);
	hex2bin(
	    want, sizeof want,
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	    &n);
	assert_memory_equal(okm, want, 42);

	kist__hkdf_sha256(okm, 42, NULL, 0, ikm, sizeof ikm, "");
	hex2bin(
	    want, sizeof want,
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
	    &n);
	assert_memory_equal(okm, want, 42);
}

/* BIP-173 valid and invalid checksums. */
static void test_bech32_bip173(void **state)
{
	static const char *valid[] = {
	    "A12UEL5L",
	    "a12uel5l",
	    "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt"
	    "5tgs",
	    "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
	    "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8"
	    "247j",
	    "?1ezyfcl",
	};
	static const char *invalid[] = {
	    "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v",
	    "li1dgmt3",     "A1G7SGD8",      "10a06t8",
	    "1qzzfhee",     "a12UEL5L",      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx",
	};
	unsigned char out[128];
	char hrp[100];
	size_t n;
	for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
		int rc = kist__bech32_decode(out, sizeof out, &n, hrp, sizeof hrp, valid[i]);
		/* Checksum valid; padding of these generic strings may not be 8-bit clean. */
		if (rc == -1 || rc == -2)
			fail_msg("valid string rejected (%d): %s", rc, valid[i]);
	}
	for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
		int rc = kist__bech32_decode(out, sizeof out, &n, hrp, sizeof hrp, invalid[i]);
		if (rc == 0)
			fail_msg("invalid string accepted: %s", invalid[i]);
	}
	/* Encoding: the 20 bytes that spell 0..31 in 5-bit groups. */
	unsigned char data[20];
	char s[100];
	assert_int_equal(kist__bech32_decode(data, sizeof data, &n, hrp, sizeof hrp, valid[3]), 0);
	assert_int_equal(n, 20);
	assert_true(kist__bech32_encode(s, sizeof s, "abcdef", data, n) > 0);
	assert_string_equal(s, valid[3]);
}

static void test_pubkey_roundtrip_and_typos(void **state)
{
	kist_identity *id;
	kist_pubkey pk, back;
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	kist_identity_pubkey(id, &pk);
	kist_pubkey_format(&pk, s);
	assert_int_equal(strlen(s), KIST_PUBKEY_STRLEN);
	assert_memory_equal(s, "kist1", 5);
	assert_int_equal(kist_pubkey_parse(&back, s), KIST_OK);
	assert_memory_equal(&pk, &back, sizeof pk);

	/* Upper case is accepted; mixed case is not. */
	char up[KIST_PUBKEY_STRLEN + 1];
	for (size_t i = 0; i <= KIST_PUBKEY_STRLEN; i++)
		up[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	assert_int_equal(kist_pubkey_parse(&back, up), KIST_OK);
	up[10] = s[10];
	if (s[10] >= 'a' && s[10] <= 'z')
		assert_int_equal(kist_pubkey_parse(&back, up), KIST_E_BADKEY);

	/* Every single-character substitution is caught. */
	static const char cs[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	for (size_t i = 5; i < KIST_PUBKEY_STRLEN; i++) {
		char t[KIST_PUBKEY_STRLEN + 1];
		memcpy(t, s, sizeof t);
		t[i] = cs[(strchr(cs, s[i]) - cs + 1 + (long)i % 31) % 32];
		assert_int_equal(kist_pubkey_parse(&back, t), KIST_E_BADKEY);
	}
	/* Wrong length, wrong prefix, empty. */
	s[KIST_PUBKEY_STRLEN - 1] = '\0';
	assert_int_equal(kist_pubkey_parse(&back, s), KIST_E_BADKEY);
	assert_int_equal(kist_pubkey_parse(&back, ""), KIST_E_BADKEY);
	assert_int_equal(kist_pubkey_parse(&back, "age1qqqq"), KIST_E_BADKEY);

	kist_pubkey_fingerprint(&pk, f);
	assert_int_equal(strlen(f), 24);
	for (int i = 0; i < 24; i++)
		assert_true((i % 5 == 4) ? f[i] == '-' : strchr("0123456789abcdef", f[i]) != NULL);
	kist_identity_free(id);
}

static void test_chunk_binding(void **state)
{
	kist__chunker *c;
	unsigned char key[32], other[32], data[5000], ct[6000];
	const unsigned char *p, *pt;
	size_t n;
	memset(key, 7, sizeof key);
	memset(other, 8, sizeof other);
	assert_int_equal(kist__chunker_new(&c, 4096, 3), KIST_OK);

	/* Compressible data is stored compressed; random data is stored raw. */
	memset(data, 'a', sizeof data);
	assert_int_equal(kist__chunk_seal(c, key, 5, 2, 0, 1, data, 4096, &p, &n), KIST_OK);
	assert_true(n < 200);
	memcpy(ct, p, n);
	assert_int_equal(kist__chunk_open(c, key, 5, 2, 0, ct, n, 4096, &pt), KIST_OK);
	assert_memory_equal(pt, data, 4096);
	/* Any change of key, stream, counter, last flag or expected size is refused. */
	assert_int_equal(kist__chunk_open(c, other, 5, 2, 0, ct, n, 4096, &pt), KIST_E_CORRUPT);
	assert_int_equal(kist__chunk_open(c, key, 6, 2, 0, ct, n, 4096, &pt), KIST_E_CORRUPT);
	assert_int_equal(kist__chunk_open(c, key, 5, 3, 0, ct, n, 4096, &pt), KIST_E_CORRUPT);
	assert_int_equal(kist__chunk_open(c, key, 5, 2, 1, ct, n, 4096, &pt), KIST_E_CORRUPT);
	assert_int_equal(kist__chunk_open(c, key, 5, 2, 0, ct, n, 4095, &pt), KIST_E_CORRUPT);
	assert_int_equal(kist__chunk_open(c, key, 5, 2, 0, ct, n - 1, 4096, &pt), KIST_E_CORRUPT);

	tu_fill_random(data, sizeof data, 1);
	assert_int_equal(kist__chunk_seal(c, key, 1, 0, 1, 1, data, 4096, &p, &n), KIST_OK);
	assert_int_equal(n, 4096 + KIST_CHUNK_OVERHEAD);
	memcpy(ct, p, n);
	assert_int_equal(kist__chunk_open(c, key, 1, 0, 1, ct, n, 4096, &pt), KIST_OK);
	assert_memory_equal(pt, data, 4096);
	for (size_t i = 0; i < n; i += 97) {
		ct[i] ^= 0x40;
		assert_int_equal(kist__chunk_open(c, key, 1, 0, 1, ct, n, 4096, &pt),
		                 KIST_E_CORRUPT);
		ct[i] ^= 0x40;
	}
	/* Empty chunk. */
	assert_int_equal(kist__chunk_seal(c, key, 1, 0, 1, 1, data, 0, &p, &n), KIST_OK);
	assert_int_equal(n, KIST_CHUNK_OVERHEAD);
	kist__chunker_free(c);
}

static void test_path_rules(void **state)
{
	static const char *good[] = {"a", "a/b", "témoin 1.txt", "a/.hidden", "a/...", "x/y/z"};
	static const char *bad[] = {"/a",    "a/../b", "..",    ".",    "a//b", "a/",
	                            "a/./b", "a\nb",   "a\x7f", "a\tb", ""};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		assert_int_equal(kist__path_check(good[i], strlen(good[i])), KIST_OK);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (kist__path_check(bad[i], strlen(bad[i])) != KIST_E_UNSAFE)
			fail_msg("accepted bad path '%s'", bad[i]);
	char longname[300];
	memset(longname, 'n', sizeof longname);
	longname[256] = '\0';
	assert_int_equal(kist__path_check(longname, 256), KIST_E_UNSAFE);
	longname[255] = '\0';
	assert_int_equal(kist__path_check(longname, 255), KIST_OK);
}

static void test_strerror_total(void **state)
{
	for (int e = KIST_OK; e <= KIST_E_INTERRUPTED; e++) {
		const char *s = kist_strerror((kist_err)e);
		assert_non_null(s);
		assert_true(strlen(s) > 3);
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(kist_strerror((kist_err)999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hkdf_rfc5869),
	    cmocka_unit_test(test_bech32_bip173),
	    cmocka_unit_test(test_pubkey_roundtrip_and_typos),
	    cmocka_unit_test(test_chunk_binding),
	    cmocka_unit_test(test_path_rules),
	    cmocka_unit_test(test_strerror_total),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
