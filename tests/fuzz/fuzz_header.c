/*
 * Fuzzes the public header parser, kist__header_parse(), on the input as a
 * raw header; if it parses, the slot walk of kist__header_unwrap() runs over
 * it with a fixed identity (tests/vectors/vec_keys.h, "alice") and, if a slot
 * opens, the commitment and MAC checks.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "format/format.h"
#include "vec_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist_identity *alice;
	static unsigned char *file_key;
	kist__header h;
	kist__keys k;
	size_t which;

	if (alice == NULL) {
		if ((alice = vec_identity("alice")) == NULL ||
		    (file_key = sodium_malloc(32)) == NULL)
			abort();
	}
	/* Exact-size heap copy: reads past the end are caught. */
	unsigned char *raw = malloc(size ? size : 1);
	if (raw == NULL)
		abort();
	memcpy(raw, data, size);
	kist_err err = kist__header_parse(&h, raw, size);
	if (err != KIST_OK) {
		FUZZ_ASSERT(err == KIST_E_FORMAT);
		free(raw);
		return 0;
	}
	FUZZ_ASSERT(h.header_len == size && size >= KIST_HEADER_FIXED + 64);
	FUZZ_ASSERT(h.slot_count >= 1 && h.slot_count <= KIST_MAX_RECIPIENTS);
	FUZZ_ASSERT(h.slots == raw + KIST_HEADER_FIXED);
	FUZZ_ASSERT(h.commitment == raw + size - 64 && h.mac == raw + size - 32);
	FUZZ_ASSERT(KIST_HEADER_FIXED + h.slots_len + 64 == size);
	kist_identity *const ids[1] = {alice};
	err = kist__header_unwrap(&h, ids, 1, file_key, &which);
	if (err == KIST_OK) {
		kist__derive_keys(&k, KIST_FORMAT_VERSION, file_key, NULL, h.salt);
		err = kist__header_authenticate(&h, raw, &k);
		FUZZ_ASSERT(err == KIST_OK || err == KIST_E_CORRUPT);
		sodium_memzero(&k, sizeof k);
	} else {
		FUZZ_ASSERT(err == KIST_E_NOACCESS);
	}
	free(raw);
	return 0;
}
