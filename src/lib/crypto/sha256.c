/*
 * SHA-256 through OpenSSL's libcrypto, which uses the CPU's SHA extensions
 * where present.  The evidentiary hash of every original is SHA-256.
 */
#include "crypto/crypto.h"

#include <stdlib.h>

#include <openssl/evp.h>

struct kist__sha256 {
	EVP_MD_CTX *ctx;
};

kist_err kist__sha256_new(kist__sha256 **out)
{
	kist__sha256 *h = calloc(1, sizeof *h);
	if (h == NULL)
		return kist__nomem();
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		free(h);
		return kist__fail(KIST_E_CRYPTO, "libcrypto SHA-256 unavailable");
	}
	*out = h;
	return KIST_OK;
}

void kist__sha256_reset(kist__sha256 *h)
{
	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
}

void kist__sha256_update(kist__sha256 *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->ctx, data, len);
}

void kist__sha256_final(kist__sha256 *h, unsigned char out[32])
{
	unsigned int n = 32;
	EVP_DigestFinal_ex(h->ctx, out, &n);
}

void kist__sha256_free(kist__sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void kist__sha256_oneshot(unsigned char out[32], const void *data, size_t len)
{
	unsigned int n = 32;
	EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}
