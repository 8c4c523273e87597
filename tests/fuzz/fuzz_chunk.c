/*
 * Fuzzes kist__chunk_open() and kist__chunk_open_inplace(): authentication,
 * method byte, zstd decompression and the exact-length rule (FORMAT.md,
 * "Chunks").
 *
 * Input: 3 control bytes, then the rest.
 *   byte 0: bit 0 = last flag, bit 1 = index stream (else entry 1 + bits 4..7),
 *           bits 2..3 = mode:
 *             0, 1: the rest is a ciphertext, opened as is (authentication
 *                   almost always fails: this covers the length checks);
 *             2:    the rest is a chunk plaintext (method || payload) that the
 *                   harness encrypts with the fixed key before opening it, so
 *                   the fuzzer reaches decompression with any zstd frame
 *                   (decompression bombs, truncated or concatenated frames);
 *             3:    the rest is data: kist__chunk_seal() then kist__chunk_open()
 *                   must give it back (round trip).
 *   bytes 1-2: expected plaintext length (LE), modulo chunk_size + 2, so that
 *              one more than chunk_size is tried too.
 * The chunker has the minimum chunk size, 4096, which makes bombs cheap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "format/format.h"

#define CS 4096u

static const unsigned char key[32] = "kist fuzz chunk key, fixed.....";

/* Touches every output byte so that ASan checks the whole claimed range. */
static unsigned sum(const unsigned char *p, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist__chunker *c, *sealer;
	static unsigned char *ct;
	volatile unsigned sink;
	const unsigned char *out;
	unsigned char nonce[12];

	if (c == NULL) {
		if (kist_init() != KIST_OK || kist__chunker_new(&c, CS, 0) != KIST_OK ||
		    kist__chunker_new(&sealer, CS, 3) != KIST_OK || (ct = malloc(CS + 64)) == NULL)
			abort();
	}
	if (size < 3)
		return 0;
	int last = data[0] & 1;
	uint32_t stream = (data[0] & 2) ? KIST_STREAM_INDEX : 1u + (data[0] >> 4);
	int mode = (data[0] >> 2) & 3;
	uint64_t counter = data[0] >> 4;
	size_t expect = (size_t)(data[1] | (data[2] << 8)) % (CS + 2);
	data += 3;
	size -= 3;

	if (mode <= 1) {
		/* Exact-size heap copy: reads past the end are caught. */
		unsigned char *copy = malloc(size ? size : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, data, size);
		if (kist__chunk_open(c, key, stream, counter, last, copy, size, expect, &out) ==
		    KIST_OK)
			sink = sum(out, expect);
		free(copy);
		return 0;
	}
	if (mode == 2) {
		if (size == 0 || size + 16 > CS + KIST_CHUNK_OVERHEAD + 32)
			return 0;
		kist__chunk_nonce(nonce, stream, counter, last);
		crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, data, size, NULL, 0, NULL,
		                                          nonce, key);
		kist_err err =
		    kist__chunk_open(c, key, stream, counter, last, ct, size + 16, expect, &out);
		/* The in-place variant (the parallel pipeline's) agrees, byte for byte. */
		{
			const unsigned char *res;
			unsigned char *ct2 = malloc(size + 16), *o2 = malloc(CS);
			if (ct2 == NULL || o2 == NULL)
				abort();
			memcpy(ct2, ct, size + 16);
			kist_err err2 = kist__chunk_open_inplace(c, key, stream, counter, last, ct2,
			                                         size + 16, expect, o2, &res);
			FUZZ_ASSERT(err2 == err);
			if (err == KIST_OK)
				FUZZ_ASSERT(memcmp(res, out, expect) == 0);
			free(ct2);
			free(o2);
		}
		if (size + 16 > CS + KIST_CHUNK_OVERHEAD || expect > CS) {
			FUZZ_ASSERT(err == KIST_E_CORRUPT); /* impossible lengths */
			return 0;
		}
		if (err == KIST_OK) {
			sink = sum(out, expect);
			FUZZ_ASSERT(data[0] == KIST_METHOD_STORED || data[0] == KIST_METHOD_ZSTD);
			if (data[0] == KIST_METHOD_STORED)
				FUZZ_ASSERT(size - 1 == expect &&
				            memcmp(out, data + 1, expect) == 0);
		} else {
			FUZZ_ASSERT(err == KIST_E_CORRUPT);
			/* A stored chunk of the right length always opens. */
			FUZZ_ASSERT(!(data[0] == KIST_METHOD_STORED && size - 1 == expect));
		}
		(void)sink;
		return 0;
	}
	/* mode 3: round trip through the sealer */
	if (size > CS)
		size = CS;
	const unsigned char *sealed;
	size_t slen;
	FUZZ_ASSERT(kist__chunk_seal(sealer, key, stream, counter, last, data[-3] & 0x10, data,
	                             size, &sealed, &slen) == KIST_OK);
	FUZZ_ASSERT(slen >= KIST_CHUNK_OVERHEAD && slen <= size + KIST_CHUNK_OVERHEAD);
	memcpy(ct, sealed, slen);
	FUZZ_ASSERT(kist__chunk_open(c, key, stream, counter, last, ct, slen, size, &out) ==
	            KIST_OK);
	FUZZ_ASSERT(memcmp(out, data, size) == 0);
	/* Bound to its position: another counter or last flag must fail. */
	FUZZ_ASSERT(kist__chunk_open(c, key, stream, counter + 1, last, ct, slen, size, &out) ==
	            KIST_E_CORRUPT);
	FUZZ_ASSERT(kist__chunk_open(c, key, stream, counter, !last, ct, slen, size, &out) ==
	            KIST_E_CORRUPT);
	if (size > 0)
		FUZZ_ASSERT(kist__chunk_open(c, key, stream, counter, last, ct, slen, size - 1,
		                             &out) == KIST_E_CORRUPT);
	return 0;
}
