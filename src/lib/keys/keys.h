/*
 * keys: kist and age identities and public keys.  Calls base and crypto.
 * Not installed.
 */
#ifndef KIST_KEYS_H
#define KIST_KEYS_H

#include "crypto/crypto.h"

/* ---- identities (key.c) */
struct kist_identity {
	unsigned char x25519_sk[32];
	unsigned char ed25519_sk[64]; /* libsodium form: seed || public key */
	kist_pubkey pk; /* kind KIST_PUBKEY_KIST: both keys, also for an age identity */
	int was_protected;
	int from_age; /* loaded from an AGE-SECRET-KEY-1 line; ed25519 is derived */
};

/* ---- age keys and age's X25519 recipient stanza (age.c) */
#define KIST_AGE_SECRET_STRLEN  74  /* "AGE-SECRET-KEY-1" + bech32 data + checksum */
#define KIST_AGE_IDENTITIES_MAX 256 /* keys in one age identity file */

/*
 * age's X25519 stanza for a file key of fklen bytes (age: 16, kist: 32):
 * writes the ephemeral share and body (fklen + 16 bytes).  BADKEY if the
 * recipient is a low-order point.
 */
kist_err kist__age_x25519_wrap(unsigned char share[32], unsigned char *body,
                               const unsigned char *file_key, size_t fklen,
                               const unsigned char recipient[32]);
/*
 * Unwraps an age X25519 stanza body with the secret sk (public pk) into
 * file_key (fklen bytes).  @return KIST_OK; KIST_E_FORMAT if bodylen is not
 * fklen + 16 (checked first); KIST_E_CORRUPT for a low-order share (all-zero
 * shared secret); KIST_E_NOACCESS if the body does not authenticate (another
 * recipient's stanza).
 */
kist_err kist__age_x25519_unwrap(unsigned char *file_key, size_t fklen,
                                 const unsigned char share[32], const unsigned char *body,
                                 size_t bodylen, const unsigned char sk[32],
                                 const unsigned char pk[32]);
/* "age1..." (lower case, as age) to the 32-byte X25519 key.  BADKEY with a detail. */
kist_err kist__age_pubkey_parse(unsigned char out[32], const char *str);
void kist__age_pubkey_format(const unsigned char pk[32], char out[KIST_AGE_PUBKEY_STRLEN + 1]);
/* "AGE-SECRET-KEY-1..." (upper case, as age) to the X25519 secret (caller's secure memory). */
kist_err kist__age_secret_parse(unsigned char sk[32], const char *line);
/* Fills id (secure memory) from an age secret: X25519 keys and the derived Ed25519 pair. */
void kist__age_identity_fill(kist_identity *id, const unsigned char sk[32]);
/*
 * Parses the text of an age identity file (modified in place): every line
 * that is not blank and does not start with '#' must be an age secret key.
 * On success *out is a malloc'd array of *count identities.
 */
kist_err kist__age_identities_parse(char *text, const char *path, kist_identity ***out,
                                    size_t *count);

#endif
