/*
 * Fuzzes the reader of cosigned checkpoint notes (witness.c): kist_note_read()
 * on the input as a note, with no cosigner keys (every kist-named line is
 * tried) and with a fixed witness key.  Properties: only documented error
 * kinds; a note that reads is cosigned by the fixed witness, and the result
 * reads back with that cosignature counted, the same origin, size and root;
 * a note compares as consistent with itself.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "keys/keys.h"

static kist_identity *witness(void)
{
	static kist_identity id;
	static int ready;
	if (!ready) {
		unsigned char seed[32];
		memset(seed, 0x42, sizeof seed);
		if (kist_init() != KIST_OK)
			abort();
		crypto_sign_seed_keypair(id.pk.ed25519, id.ed25519_sk, seed);
		memset(id.x25519_sk, 0x24, 32);
		crypto_scalarmult_base(id.pk.x25519, id.x25519_sk);
		id.pk.kind = KIST_PUBKEY_KIST;
		ready = 1;
	}
	return &id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kist_identity *w = witness();
	kist_note_info a, b;
	const char *text = (const char *)data;
	kist_err err = kist_note_read(&a, text, size, NULL, 0);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_FORMAT || err == KIST_E_SIGNATURE);
	err = kist_note_read(&a, text, size, &w->pk, 1);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_FORMAT || err == KIST_E_SIGNATURE);
	if (err != KIST_OK)
		return 0;
	FUZZ_ASSERT(a.ncosigners <= 1);

	kist_witness_verdict v;
	int checked = 0;
	FUZZ_ASSERT(kist_note_compare(&a, &a, NULL, &v, &checked) == KIST_OK && checked);

	char *out = NULL;
	err = kist_note_cosign(&out, text, size, w, 1700000000);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_LIMIT);
	if (err != KIST_OK)
		return 0;
	FUZZ_ASSERT(kist_note_read(&b, out, strlen(out), &w->pk, 1) == KIST_OK);
	FUZZ_ASSERT(b.ncosigners == 1 && b.cosigned_at[0] == 1700000000);
	FUZZ_ASSERT(strcmp(a.origin, b.origin) == 0 && a.size == b.size &&
	            memcmp(a.root, b.root, 32) == 0);
	free(out);
	return 0;
}
