/*
 * HKDF-SHA256 (RFC 5869) composed from libsodium's HMAC-SHA256.  libsodium
 * 1.0.18 has no HKDF API; this is the RFC's Extract-then-Expand, nothing more.
 */
#include "crypto/crypto.h"

#include <string.h>

#include <sodium.h>

void kist__hmac_sha256(unsigned char out[32], const unsigned char *key, size_t keylen,
                       const unsigned char *msg, size_t msglen)
{
	crypto_auth_hmacsha256_state st;
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, msglen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

void kist__hkdf_sha256(unsigned char *out, size_t outlen, const unsigned char *salt, size_t saltlen,
                       const unsigned char *ikm, size_t ikmlen, const char *info)
{
	static const unsigned char zeros[32];
	unsigned char prk[32], t[32];
	crypto_auth_hmacsha256_state st;
	size_t infolen = strlen(info), done = 0;
	unsigned char ctr = 1;

	/* Extract: a missing salt is HashLen zero bytes (RFC 5869 2.2). */
	if (salt == NULL || saltlen == 0)
		kist__hmac_sha256(prk, zeros, sizeof zeros, ikm, ikmlen);
	else
		kist__hmac_sha256(prk, salt, saltlen, ikm, ikmlen);

	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i); outlen <= 255 * 32. */
	while (done < outlen) {
		crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
		if (ctr > 1)
			crypto_auth_hmacsha256_update(&st, t, sizeof t);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)info, infolen);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		size_t take = outlen - done < sizeof t ? outlen - done : sizeof t;
		memcpy(out + done, t, take);
		done += take;
		ctr++;
	}
	sodium_memzero(&st, sizeof st);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(t, sizeof t);
}
