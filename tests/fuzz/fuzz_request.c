/*
 * Fuzzes request files (FORMAT.md, "Requests and releases"): the input is
 * given to kist_request_parse(); a request that parses is read back with
 * kist_request_get_info() and checked by a custodian of the test vectors
 * ("erin", tests/vectors/vec_keys.h) with kist_request_check(), which
 * unwraps a custodian slot of the header the request carries.
 *
 * A request signs everything before its last 64 bytes; an input whose
 * requester is alice is re-signed with her key first (every seed is hers),
 * so that mutations reach what follows the signature check as well as the
 * parsing before it.  Inputs of odd length are kept as they are.
 *
 * Checks: documented error kinds only, nothing returned on failure, and a
 * parsed request's digest is the SHA-256 of the input, its scope and items
 * agree, and its texts are non-empty and bounded.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "vec_keys.h"

/* Ed25519 over SHA-256("kist/v2 request" NUL || b[0 .. len - 64)), by alice. */
static void resign(unsigned char *b, size_t len, const kist_identity *alice)
{
	static const char label[] = "kist/v2 request";
	crypto_hash_sha256_state st;
	unsigned char sd[32];
	if (len < 152 + 64 || (len & 1) || memcmp(b + 68, alice->pk.ed25519, 32) != 0)
		return;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)label, sizeof label);
	crypto_hash_sha256_update(&st, b, len - 64);
	crypto_hash_sha256_final(&st, sd);
	crypto_sign_detached(b + len - 64, NULL, sd, 32, alice->ed25519_sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static kist_identity *erin, *alice;
	kist_request *q = NULL;
	kist_request_info info;
	unsigned char digest[32];
	unsigned x = 0;

	if (erin == NULL &&
	    ((erin = vec_identity("erin")) == NULL || (alice = vec_identity("alice")) == NULL))
		abort();
	unsigned char *data = malloc(size ? size : 1);
	if (data == NULL)
		abort();
	memcpy(data, in, size);
	resign(data, size, alice);
	kist_err err = kist_request_parse(&q, data, size);
	if (err != KIST_OK) {
		FUZZ_ASSERT(q == NULL);
		FUZZ_ASSERT(err == KIST_E_FORMAT || err == KIST_E_LIMIT ||
		            err == KIST_E_SIGNATURE || err == KIST_E_NOMEM);
		free(data);
		return 0;
	}
	kist_request_get_info(q, &info);
	crypto_hash_sha256(digest, data, size);
	FUZZ_ASSERT(memcmp(digest, info.digest, 32) == 0);
	FUZZ_ASSERT(info.scope == KIST_SCOPE_ALL || info.scope == KIST_SCOPE_PATHS ||
	            info.scope == KIST_SCOPE_PERSON);
	FUZZ_ASSERT(info.scope != KIST_SCOPE_ALL || info.nitems == 0);
	FUZZ_ASSERT(info.scope != KIST_SCOPE_PERSON || info.nitems == 1);
	FUZZ_ASSERT(info.scope != KIST_SCOPE_PATHS ||
	            (info.nitems >= 1 && info.nitems <= KIST_REQUEST_PATHS_MAX));
	for (size_t i = 0; i < info.nitems; i++)
		FUZZ_ASSERT(strlen(info.items[i]) >= 1 &&
		            strlen(info.items[i]) <= KIST_REQUEST_TEXT_MAX);
	FUZZ_ASSERT(strlen(info.reason) >= 1 && strlen(info.reason) <= KIST_REQUEST_REASON_MAX);
	FUZZ_ASSERT(strlen(info.vault_id) == 32);
	err = kist_request_check(q, erin, &x);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_NOACCESS || err == KIST_E_CORRUPT ||
	            err == KIST_E_FORMAT || err == KIST_E_NOMEM);
	if (err == KIST_OK)
		FUZZ_ASSERT(x >= 1 && x <= KIST_CUSTODIANS_MAX);
	kist_request_free(q);
	free(data);
	return 0;
}
