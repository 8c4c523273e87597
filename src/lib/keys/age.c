/*
 * age keys: "age1..." recipients, "AGE-SECRET-KEY-1..." identities as
 * age-keygen writes them, and age's X25519 recipient stanza (C2SP age v1),
 * which kist uses for recipient slots of type 2 (FORMAT.md, "Type 2").
 *
 * An age identity has no Ed25519 key; kist derives one from the X25519
 * secret so that an age identity can sign like a kist identity.
 */
#include "keys/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define AGE_PUB_HRP       "age"
#define AGE_SECRET_HRP    "age-secret-key-" /* the decoder gives it in lower case */
#define AGE_SECRET_PREFIX "AGE-SECRET-KEY-1"
#define AGE_X25519_INFO   "age-encryption.org/v1/X25519"
#define AGE_ED25519_INFO  "kist/v1 ed25519 seed from age identity"

/* age's X25519 stanza: the library's one X25519 wrap (crypto/wrap.c) with age's label. */
kist_err kist__age_x25519_wrap(unsigned char share[32], unsigned char *body,
                               const unsigned char *file_key, size_t fklen,
                               const unsigned char recipient[32])
{
	return kist__x25519_wrap(share, body, file_key, fklen, recipient, AGE_X25519_INFO);
}

kist_err kist__age_x25519_unwrap(unsigned char *file_key, size_t fklen,
                                 const unsigned char share[32], const unsigned char *body,
                                 size_t bodylen, const unsigned char sk[32],
                                 const unsigned char pk[32])
{
	return kist__x25519_unwrap(file_key, fklen, share, body, bodylen, sk, pk, AGE_X25519_INFO);
}

/* ------------------------------------------------------------------ keys */

kist_err kist__age_pubkey_parse(unsigned char out[32], const char *str)
{
	unsigned char raw[40];
	char hrp[8];
	size_t n = 0;
	int rc;

	/* As age: the recipient is lower case; the decoder refuses mixed case. */
	if (strncmp(str, AGE_PUB_HRP "1", 4) != 0)
		return kist__fail(KIST_E_BADKEY, "an age public key starts with \"age1\" in lower "
		                                 "case");
	if (strlen(str) != KIST_AGE_PUBKEY_STRLEN)
		return kist__fail(KIST_E_BADKEY,
		                  "an age public key is %d characters starting with age1, this "
		                  "is %zu",
		                  KIST_AGE_PUBKEY_STRLEN, strlen(str));
	rc = kist__bech32_decode(raw, sizeof raw, &n, hrp, sizeof hrp, str);
	if (rc == -2)
		return kist__fail(KIST_E_BADKEY, "checksum mismatch (a typo?)");
	if (rc != 0)
		return kist__fail(KIST_E_BADKEY, "not a valid bech32 string");
	if (strcmp(hrp, AGE_PUB_HRP) != 0 || n != 32)
		return kist__fail(KIST_E_BADKEY, "not an age X25519 public key");
	memcpy(out, raw, 32);
	return KIST_OK;
}

void kist__age_pubkey_format(const unsigned char pk[32], char out[KIST_AGE_PUBKEY_STRLEN + 1])
{
	kist__bech32_encode(out, KIST_AGE_PUBKEY_STRLEN + 1, AGE_PUB_HRP, pk, 32);
}

kist_err kist__age_secret_parse(unsigned char sk[32], const char *line)
{
	unsigned char *raw;
	char hrp[24];
	size_t n = 0;
	kist_err err = KIST_OK;
	int rc;

	/* As age: the secret key is upper case. */
	if (strncmp(line, AGE_SECRET_PREFIX, strlen(AGE_SECRET_PREFIX)) != 0)
		return kist__fail(KIST_E_BADKEY,
		                  "an age secret key starts with \"" AGE_SECRET_PREFIX
		                  "\" in upper case");
	if (strlen(line) != KIST_AGE_SECRET_STRLEN)
		return kist__fail(KIST_E_BADKEY, "an age secret key is %d characters, this is %zu",
		                  KIST_AGE_SECRET_STRLEN, strlen(line));
	if ((raw = sodium_malloc(40)) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	rc = kist__bech32_decode(raw, 40, &n, hrp, sizeof hrp, line);
	if (rc == -2)
		err = kist__fail(KIST_E_BADKEY, "age secret key: checksum mismatch");
	else if (rc != 0)
		err = kist__fail(KIST_E_BADKEY, "age secret key: not a valid bech32 string");
	else if (strcmp(hrp, AGE_SECRET_HRP) != 0 || n != 32)
		err = kist__fail(KIST_E_BADKEY, "not an age X25519 secret key");
	else
		memcpy(sk, raw, 32);
	sodium_free(raw);
	return err;
}

void kist__age_identity_fill(kist_identity *id, const unsigned char sk[32])
{
	unsigned char seed[32];

	memcpy(id->x25519_sk, sk, 32);
	crypto_scalarmult_base(id->pk.x25519, id->x25519_sk);
	/* FORMAT.md, "Age identities": the signing key is derived, never stored. */
	kist__hkdf_sha256(seed, sizeof seed, NULL, 0, sk, 32, AGE_ED25519_INFO);
	crypto_sign_seed_keypair(id->pk.ed25519, id->ed25519_sk, seed);
	sodium_memzero(seed, sizeof seed);
	id->pk.kind = KIST_PUBKEY_KIST;
	id->from_age = 1;
	id->was_protected = 0;
}

kist_err kist__age_identities_parse(char *text, const char *path, kist_identity ***out,
                                    size_t *count)
{
	kist_identity **ids = NULL;
	unsigned char *sk = NULL;
	size_t n = 0, lineno = 0;
	kist_err err = KIST_OK;

	ids = calloc(KIST_AGE_IDENTITIES_MAX, sizeof *ids);
	sk = sodium_malloc(32);
	if (ids == NULL || sk == NULL) {
		err = kist__nomem();
		goto out;
	}
	for (char *p = text; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		size_t ll = strlen(p);
		lineno++;
		if (ll > 0 && p[ll - 1] == '\r')
			p[--ll] = '\0';
		char *line = p;
		p = nl ? nl + 1 : NULL;
		/* age's rules: blank lines and lines starting with '#' are ignored. */
		if (ll == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "AGE-PLUGIN-", 11) == 0) {
			err = kist__fail(KIST_E_BADKEY,
			                 "%s: line %zu: age plugin identities are not supported",
			                 path, lineno);
			goto out;
		}
		if (n == KIST_AGE_IDENTITIES_MAX) {
			err = kist__fail(KIST_E_LIMIT, "%s: more than %d age identities", path,
			                 KIST_AGE_IDENTITIES_MAX);
			goto out;
		}
		if ((err = kist__age_secret_parse(sk, line)) != KIST_OK) {
			char why[256];
			snprintf(why, sizeof why, "%s", kist_errdetail());
			err = kist__fail(err, "%s: line %zu: %s", path, lineno, why);
			goto out;
		}
		if ((ids[n] = sodium_malloc(sizeof *ids[n])) == NULL) {
			err = kist__fail(KIST_E_NOMEM, "out of secure memory");
			goto out;
		}
		sodium_memzero(ids[n], sizeof *ids[n]);
		kist__age_identity_fill(ids[n], sk);
		n++;
	}
	if (n == 0) {
		err = kist__fail(KIST_E_BADKEY, "%s holds no identity", path);
		goto out;
	}
	*out = ids;
	*count = n;
	ids = NULL;
	n = 0;
out:
	sodium_free(sk);
	if (ids != NULL) {
		for (size_t i = 0; i < n; i++)
			sodium_free(ids[i]); /* wipes; as kist_identity_free, which is key.c's */
		free(ids);
	}
	return err;
}
