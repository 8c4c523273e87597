/*
 * The one X25519 slot wrap of the library: age's X25519 recipient stanza
 * (C2SP age v1), with the HKDF label passed in.  kist's type 1 slots pass
 * "kist/v1 X25519 recipient" (header.c), age stanzas and kist's type 2
 * slots pass age's label (age.c).  FORMAT.md, "Recipient slots".
 */
#include "crypto/crypto.h"

#include <string.h>

#include <sodium.h>

/* wrap = HKDF-SHA256(ikm = X25519(secret, peer), salt = share || recipient, info = label) */
static int wrap_key(unsigned char wrap[32], const unsigned char secret[32],
                    const unsigned char peer[32], const unsigned char share[32],
                    const unsigned char recipient[32], const char *label)
{
	unsigned char shared[32], salt[64];
	/* libsodium returns -1 for an all-zero result: a low-order point, refused as age does. */
	if (crypto_scalarmult(shared, secret, peer) != 0) {
		sodium_memzero(shared, sizeof shared);
		return -1;
	}
	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	kist__hkdf_sha256(wrap, 32, salt, sizeof salt, shared, sizeof shared, label);
	sodium_memzero(shared, sizeof shared);
	return 0;
}

kist_err kist__x25519_wrap(unsigned char share[32], unsigned char *body,
                           const unsigned char *file_key, size_t fklen,
                           const unsigned char recipient[32], const char *label)
{
	return kist__x25519_wrap_ad(share, body, file_key, fklen, recipient, label, NULL, 0);
}

kist_err kist__x25519_wrap_ad(unsigned char share[32], unsigned char *body,
                              const unsigned char *file_key, size_t fklen,
                              const unsigned char recipient[32], const char *label,
                              const unsigned char *ad, size_t adlen)
{
	static const unsigned char zero_nonce[12];
	unsigned char esk[32], wrap[32];
	kist_err err = KIST_OK;

	randombytes_buf(esk, sizeof esk);
	crypto_scalarmult_base(share, esk);
	if (wrap_key(wrap, esk, recipient, share, recipient, label) != 0) {
		err = kist__fail(KIST_E_BADKEY, "the recipient is not a usable X25519 key");
		goto out;
	}
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, fklen, ad, adlen, NULL,
	                                          zero_nonce, wrap);
out:
	sodium_memzero(esk, sizeof esk);
	sodium_memzero(wrap, sizeof wrap);
	return err;
}

kist_err kist__x25519_unwrap(unsigned char *file_key, size_t fklen, const unsigned char share[32],
                             const unsigned char *body, size_t bodylen, const unsigned char sk[32],
                             const unsigned char pk[32], const char *label)
{
	return kist__x25519_unwrap_ad(file_key, fklen, share, body, bodylen, sk, pk, label, NULL,
	                              0);
}

kist_err kist__x25519_unwrap_ad(unsigned char *file_key, size_t fklen,
                                const unsigned char share[32], const unsigned char *body,
                                size_t bodylen, const unsigned char sk[32],
                                const unsigned char pk[32], const char *label,
                                const unsigned char *ad, size_t adlen)
{
	static const unsigned char zero_nonce[12];
	unsigned char wrap[32];
	kist_err err = KIST_OK;

	/* Checked before any decryption, as age does (its long_file_key vector). */
	if (fklen > SIZE_MAX - crypto_aead_chacha20poly1305_ietf_ABYTES ||
	    bodylen != fklen + crypto_aead_chacha20poly1305_ietf_ABYTES)
		return kist__fail(KIST_E_FORMAT, "X25519 wrap: wrapped key of %zu bytes", bodylen);
	if (wrap_key(wrap, sk, share, share, pk, label) != 0)
		return kist__fail(KIST_E_CORRUPT, "X25519 wrap: low-order share");
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, NULL, NULL, body, bodylen, ad,
	                                              adlen, zero_nonce, wrap) != 0)
		err = kist__fail(KIST_E_NOACCESS, "X25519 wrap: not for this identity");
	sodium_memzero(wrap, sizeof wrap);
	return err;
}
