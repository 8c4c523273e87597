/* The chunk AEAD (crypto/aead.c): libcrypto's and libsodium's
 * ChaCha20-Poly1305 give the same bytes, open each other's output, refuse
 * any flipped bit, and release no plaintext when they refuse. */
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

static const size_t sizes[] = {0, 1, 63, 64, 65, 4095, 65536, (1u << 20) + 17};

typedef struct {
	kist__aead *lc, *na;
} pair;

static int setup(void **state)
{
	pair *p = calloc(1, sizeof *p);
	if (p == NULL || kist__aead_new(&p->lc, KIST__AEAD_LIBCRYPTO) != KIST_OK ||
	    kist__aead_new(&p->na, KIST__AEAD_SODIUM) != KIST_OK)
		return -1;
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	pair *p = *state;
	kist__aead_free(p->lc);
	kist__aead_free(p->na);
	free(p);
	return 0;
}

/* RFC 8439, section 2.8.2: the tag (the ciphertext is compared below). */
static void test_rfc8439_tag(void **state)
{
	pair *p = *state;
	unsigned char key[32],
	    nonce[12] = {7, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47};
	unsigned char ad[12] = {0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1,
	                        0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
	static const unsigned char want_tag[16] = {0x1a, 0xe1, 0x0b, 0x59, 0x4f, 0x09, 0xe2, 0x6a,
	                                           0x7e, 0x90, 0x2e, 0xcb, 0xd0, 0x60, 0x06, 0x91};
	static const unsigned char want_ct[8] = {0xd3, 0x1a, 0x8d, 0x34, 0x64, 0x8e, 0x60, 0xdb};
	const char *msg = "Ladies and Gentlemen of the class of '99: If I could offer you only one "
	                  "tip for the future, sunscreen would be it.";
	size_t len = strlen(msg);
	unsigned char ct[128], tag[16];
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)(0x80 + i);
	kist__aead *impl[2] = {p->lc, p->na};
	for (int k = 0; k < 2; k++) {
		assert_int_equal(kist__aead_seal(impl[k], ct, tag, (const unsigned char *)msg, len,
		                                 ad, sizeof ad, nonce, key),
		                 KIST_OK);
		assert_memory_equal(tag, want_tag, 16);
		assert_memory_equal(ct, want_ct, sizeof want_ct);
	}
	assert_string_equal(kist__aead_name(p->lc), "libcrypto");
	assert_string_equal(kist__aead_name(p->na), "libsodium");
}

/* Opens ct with a, expecting refusal, and checks that out holds no plaintext. */
static void expect_refused(kist__aead *a, const unsigned char *ct, size_t len,
                           const unsigned char *tag, const unsigned char *ad, size_t adlen,
                           const unsigned char *nonce, const unsigned char *key,
                           const unsigned char *plain)
{
	unsigned char *out = malloc(len + 1);
	assert_non_null(out);
	memcpy(out, ct, len);
	assert_int_equal(kist__aead_open(a, out, out, len, tag, ad, adlen, nonce, key),
	                 KIST_E_CORRUPT);
	/* In place: what is left is the ciphertext (libsodium) or zeros (libcrypto). */
	for (size_t i = 0; i < len; i++)
		assert_true(out[i] == ct[i] || out[i] == 0);
	if (len >= 16)
		assert_memory_not_equal(out, plain, len);
	free(out);
}

static void test_both_ways(void **state)
{
	pair *p = *state;
	size_t max = (1u << 20) + 17;
	unsigned char *pt = malloc(max + 1), *c1 = malloc(max + 1), *c2 = malloc(max + 1),
	              *back = malloc(max + 1);
	unsigned char key[32], nonce[12], ad[13], t1[16], t2[16];
	assert_true(pt && c1 && c2 && back);
	randombytes_buf(key, sizeof key);
	randombytes_buf(ad, sizeof ad);
	randombytes_buf(pt, max);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = sizes[i];
		for (size_t adlen = 0; adlen <= sizeof ad; adlen += sizeof ad) {
			randombytes_buf(nonce, sizeof nonce);
			assert_int_equal(
			    kist__aead_seal(p->lc, c1, t1, pt, len, ad, adlen, nonce, key),
			    KIST_OK);
			assert_int_equal(
			    kist__aead_seal(p->na, c2, t2, pt, len, ad, adlen, nonce, key),
			    KIST_OK);
			assert_memory_equal(t1, t2, 16);
			if (len > 0)
				assert_memory_equal(c1, c2, len);
			/* libcrypto's output opened by libsodium, and the reverse. */
			assert_int_equal(
			    kist__aead_open(p->na, back, c1, len, t1, ad, adlen, nonce, key),
			    KIST_OK);
			if (len > 0)
				assert_memory_equal(back, pt, len);
			memset(back, 0xee, len + 1);
			assert_int_equal(
			    kist__aead_open(p->lc, back, c2, len, t2, ad, adlen, nonce, key),
			    KIST_OK);
			if (len > 0)
				assert_memory_equal(back, pt, len);
			/* In place, as the chunks do it. */
			memcpy(back, pt, len);
			assert_int_equal(
			    kist__aead_seal(p->lc, back, t1, back, len, ad, adlen, nonce, key),
			    KIST_OK);
			if (len > 0)
				assert_memory_equal(back, c2, len);
			assert_int_equal(
			    kist__aead_open(p->lc, back, back, len, t1, ad, adlen, nonce, key),
			    KIST_OK);
			if (len > 0)
				assert_memory_equal(back, pt, len);

			/* A flipped bit of the tag, the ciphertext, the AD or the nonce. */
			kist__aead *impl[2] = {p->lc, p->na};
			for (int k = 0; k < 2; k++) {
				unsigned char bad[16];
				memcpy(bad, t1, 16);
				bad[len % 16] ^= 0x01;
				expect_refused(impl[k], c1, len, bad, ad, adlen, nonce, key, pt);
				if (len > 0) {
					c1[len / 2] ^= 0x80;
					expect_refused(impl[k], c1, len, t1, ad, adlen, nonce, key,
					               pt);
					c1[len / 2] ^= 0x80;
				}
				if (adlen > 0) {
					ad[adlen - 1] ^= 0x04;
					expect_refused(impl[k], c1, len, t1, ad, adlen, nonce, key,
					               pt);
					ad[adlen - 1] ^= 0x04;
				}
				nonce[11] ^= 0x01;
				expect_refused(impl[k], c1, len, t1, ad, adlen, nonce, key, pt);
				nonce[11] ^= 0x01;
			}
		}
	}
	free(pt);
	free(c1);
	free(c2);
	free(back);
}

/* KIST_AEAD=sodium forces libsodium; anything else leaves libcrypto. */
static void test_env_choice(void **state)
{
	kist__aead *a = NULL;
	setenv("KIST_AEAD", "sodium", 1);
	assert_int_equal(kist__aead_new(&a, KIST__AEAD_AUTO), KIST_OK);
	assert_string_equal(kist__aead_name(a), "libsodium");
	kist__aead_free(a);
	unsetenv("KIST_AEAD");
	assert_int_equal(kist__aead_new(&a, KIST__AEAD_AUTO), KIST_OK);
#ifdef KIST_AEAD_SODIUM_ONLY
	assert_string_equal(kist__aead_name(a), "libsodium");
#else
	assert_string_equal(kist__aead_name(a), "libcrypto");
#endif
	kist__aead_free(a);
	kist__aead_free(NULL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8439_tag),
	    cmocka_unit_test(test_both_ways),
	    cmocka_unit_test(test_env_choice),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
