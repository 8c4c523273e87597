/*
 * ChaCha20-Poly1305 (RFC 8439, IETF: 96-bit nonce, 128-bit tag) for the
 * chunks of a vault, by one of two libraries that compute the same bytes:
 * OpenSSL's libcrypto (EVP_chacha20_poly1305, with SIMD code for the
 * running CPU: two to three times libsodium 1.0.18's speed on this
 * project's machines) or libsodium.  Every other primitive stays with
 * libsodium.
 *
 * The key is the caller's (in sodium_malloc'd memory); libcrypto copies its
 * schedule into the context, which EVP_CIPHER_CTX_free wipes.  Opening with
 * libcrypto decrypts before the tag is checked, so on a failed tag the
 * output is wiped: like libsodium's, which writes nothing, a failed open
 * releases no plaintext.
 */
#include "crypto/crypto.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

struct kist__aead {
	kist__aead_impl impl;
	EVP_CIPHER_CTX *ctx; /* libcrypto only */
};

/* EVP takes int lengths: longer inputs go in pieces of this size. */
#define EVP_PIECE ((size_t)1 << 30)

static kist__aead_impl resolve(kist__aead_impl impl)
{
	if (impl != KIST__AEAD_AUTO)
		return impl;
#ifdef KIST_AEAD_SODIUM_ONLY
	return KIST__AEAD_SODIUM;
#else
	const char *env = getenv("KIST_AEAD");
	if (env != NULL && strcmp(env, "sodium") == 0)
		return KIST__AEAD_SODIUM;
	return KIST__AEAD_LIBCRYPTO;
#endif
}

kist_err kist__aead_new(kist__aead **out, kist__aead_impl impl)
{
	kist__aead *a = calloc(1, sizeof *a);
	if (a == NULL)
		return kist__nomem();
	a->impl = resolve(impl);
	if (a->impl == KIST__AEAD_LIBCRYPTO) {
		a->ctx = EVP_CIPHER_CTX_new();
		if (a->ctx == NULL ||
		    EVP_CipherInit_ex(a->ctx, EVP_chacha20_poly1305(), NULL, NULL, NULL, 1) != 1) {
			kist__aead_free(a);
			return kist__fail(KIST_E_CRYPTO, "libcrypto ChaCha20-Poly1305 unavailable");
		}
	}
	*out = a;
	return KIST_OK;
}

void kist__aead_free(kist__aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->ctx);
	free(a);
}

const char *kist__aead_name(const kist__aead *a)
{
	return a->impl == KIST__AEAD_LIBCRYPTO ? "libcrypto" : "libsodium";
}

/* Feeds ad, then in to out (NULL out: ad only), in pieces EVP accepts. */
static int evp_run(EVP_CIPHER_CTX *ctx, unsigned char *out, const unsigned char *in, size_t len)
{
	while (len > 0) {
		size_t n = len < EVP_PIECE ? len : EVP_PIECE;
		int got = 0;
		if (EVP_CipherUpdate(ctx, out, &got, in, (int)n) != 1 ||
		    (out != NULL && (size_t)got != n))
			return -1;
		in += n;
		len -= n;
		if (out != NULL)
			out += n;
	}
	return 0;
}

kist_err kist__aead_seal(kist__aead *a, unsigned char *ct, unsigned char tag[16],
                         const unsigned char *pt, size_t len, const unsigned char *ad, size_t adlen,
                         const unsigned char nonce[12], const unsigned char key[32])
{
	int n = 0;
	if (a->impl == KIST__AEAD_SODIUM) {
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, tag, NULL, pt, len, ad,
		                                                   adlen, NULL, nonce, key);
		return KIST_OK;
	}
	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, key, nonce, 1) != 1 ||
	    evp_run(a->ctx, NULL, ad, adlen) != 0 || evp_run(a->ctx, ct, pt, len) != 0 ||
	    EVP_CipherFinal_ex(a->ctx, ct + len, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
		return kist__fail(KIST_E_CRYPTO, "libcrypto ChaCha20-Poly1305 failed");
	return KIST_OK;
}

kist_err kist__aead_open(kist__aead *a, unsigned char *pt, const unsigned char *ct, size_t len,
                         const unsigned char tag[16], const unsigned char *ad, size_t adlen,
                         const unsigned char nonce[12], const unsigned char key[32])
{
	int n = 0;
	if (a->impl == KIST__AEAD_SODIUM) {
		if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt, NULL, ct, len, tag, ad,
		                                                       adlen, nonce, key) != 0)
			return KIST_E_CORRUPT;
		return KIST_OK;
	}
	/* The tag is set before the data so that Final compares it (in constant time). */
	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, key, nonce, 0) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(uintptr_t)tag) != 1 ||
	    evp_run(a->ctx, NULL, ad, adlen) != 0 || evp_run(a->ctx, pt, ct, len) != 0 ||
	    EVP_CipherFinal_ex(a->ctx, pt + len, &n) != 1 || n != 0) {
		/* Unauthenticated plaintext may be in pt: never release it. */
		if (len > 0)
			sodium_memzero(pt, len);
		return KIST_E_CORRUPT;
	}
	return KIST_OK;
}
