/*
 * The identities of the test vectors, derived from fixed labels so that
 * regenerating the vectors (tests/vectors/gen_vectors.c) gives the same keys
 * and the fuzz harnesses (tests/fuzz/) can rebuild them without a file:
 *
 *   x25519 secret  = SHA-256("kist test vectors v1 x25519 " || name)
 *   ed25519 seed   = SHA-256("kist test vectors v1 ed25519 " || name)
 *
 * An age identity (vec_age_identity) has only the X25519 secret; its Ed25519
 * key is derived as for any age identity (FORMAT.md, "Age identities").
 *
 * Test code only: these keys are public.
 */
#ifndef KIST_VEC_KEYS_H
#define KIST_VEC_KEYS_H

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "keys/keys.h"

/* Returns a new identity (free with kist_identity_free), or NULL. */
static inline kist_identity *vec_identity(const char *name)
{
	char label[128];
	unsigned char seed[32];
	kist_identity *id;

	if (kist_init() != KIST_OK || (id = sodium_malloc(sizeof *id)) == NULL)
		return NULL;
	sodium_memzero(id, sizeof *id);
	snprintf(label, sizeof label, "kist test vectors v1 x25519 %s", name);
	kist__sha256_oneshot(id->x25519_sk, label, strlen(label));
	snprintf(label, sizeof label, "kist test vectors v1 ed25519 %s", name);
	kist__sha256_oneshot(seed, label, strlen(label));
	crypto_sign_seed_keypair(id->pk.ed25519, id->ed25519_sk, seed);
	crypto_scalarmult_base(id->pk.x25519, id->x25519_sk);
	id->was_protected = 0;
	return id;
}

/* An age identity: the same X25519 secret label, the derived Ed25519 key. */
static inline kist_identity *vec_age_identity(const char *name)
{
	char label[128];
	unsigned char sk[32];
	kist_identity *id;

	if (kist_init() != KIST_OK || (id = sodium_malloc(sizeof *id)) == NULL)
		return NULL;
	sodium_memzero(id, sizeof *id);
	snprintf(label, sizeof label, "kist test vectors v1 x25519 %s", name);
	kist__sha256_oneshot(sk, label, strlen(label));
	kist__age_identity_fill(id, sk);
	sodium_memzero(sk, sizeof sk);
	return id;
}

#endif
