/*
 * Fuzzes request files (FORMAT.md, "Requests and releases"): the input is
 * given to kist_request_parse(); a request that parses is read back with
 * kist_request_get_info() and checked by a custodian of the test vectors
 * ("erin", tests/vectors/vec_keys.h) with kist_request_check(), which
 * unwraps a custodian slot of the header the request carries.
 *
 * Checks: documented error kinds only, nothing returned on failure, and a
 * parsed request's digest is the SHA-256 of the input, its scope and items
 * agree, and its texts are non-empty and bounded.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "vec_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist_identity *erin;
	kist_request *q = NULL;
	kist_request_info info;
	unsigned char digest[32];
	unsigned x = 0;

	if (erin == NULL && (erin = vec_identity("erin")) == NULL)
		abort();
	kist_err err = kist_request_parse(&q, data, size);
	if (err != KIST_OK) {
		FUZZ_ASSERT(q == NULL);
		FUZZ_ASSERT(err == KIST_E_FORMAT || err == KIST_E_LIMIT ||
		            err == KIST_E_SIGNATURE || err == KIST_E_NOMEM);
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
	return 0;
}
