/*
 * Fuzzes identity files: the input is written as a file of mode 0600 and
 * loaded with kist_identity_load() (the passphrase callback gives a fixed
 * passphrase) and kist_identity_file_pubkey().
 *
 * Argon2id at the costs a loader must accept (up to 16 passes over 1 GiB)
 * would make single inputs take minutes, so inputs whose blob asks for more
 * than 2 passes or 1 MiB are skipped: the cost bounds themselves are checked
 * before any Argon2 work and are covered by inputs outside the bounds.
 * Seeds protected with the fixed passphrase at minimal cost reach the
 * decryption and key checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "fuzz.h"
#include "base/base.h"

#define PASSPHRASE "kist fuzz passphrase"

static char path[64];

static void remove_tmp(void)
{
	unlink(path);
}

static kist_err pass_fn(void *ctx, const char *p, char *buf, size_t cap, size_t *len)
{
	(void)ctx;
	(void)p;
	if (cap < sizeof PASSPHRASE)
		abort();
	memcpy(buf, PASSPHRASE, sizeof PASSPHRASE - 1);
	*len = sizeof PASSPHRASE - 1;
	return KIST_OK;
}

/* Non-zero if some KIST-IDENTITY-1 line decodes to a protected blob with slow but allowed costs. */
static int too_slow(const uint8_t *data, size_t size)
{
	static const char prefix[] = "KIST-IDENTITY-1 ";
	static unsigned char blob[16384];
	const uint8_t *p = data, *end = data + size;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *le = nl ? nl : end;
		size_t ll = (size_t)(le - p);
		if (ll >= sizeof prefix - 1 && memcmp(p, prefix, sizeof prefix - 1) == 0) {
			const char *b64 = (const char *)p + sizeof prefix - 1;
			size_t bl = ll - (sizeof prefix - 1), got = 0;
			if (bl > 0 && b64[bl - 1] == '\r')
				bl--;
			if (sodium_base642bin(blob, sizeof blob, b64, bl, NULL, &got, NULL,
			                      sodium_base64_VARIANT_ORIGINAL) == 0 &&
			    got >= 24 && blob[8] == 1) {
				uint32_t ops = kist__ld32(blob + 12);
				uint64_t mem = kist__ld64(blob + 16);
				if (ops > 2 || mem > (1u << 20))
					return 1;
			}
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kist_identity *id = NULL;
	kist_pubkey pk, pk2;

	if (path[0] == '\0') {
		if (kist_init() != KIST_OK)
			abort();
		snprintf(path, sizeof path, "/tmp/kist-fuzz-identity-XXXXXX");
		int fd = mkstemp(path); /* mode 0600 */
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_tmp);
	}
	if (too_slow(data, size))
		return 0;
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	chmod(path, 0600);

	kist_err err = kist_identity_load(&id, path, pass_fn, NULL);
	kist_err perr = kist_identity_file_pubkey(path, &pk);
	if (err == KIST_OK) {
		/* A loaded identity's keys are the ones its file states. */
		FUZZ_ASSERT(perr == KIST_OK);
		kist_identity_pubkey(id, &pk2);
		FUZZ_ASSERT(memcmp(&pk, &pk2, sizeof pk) == 0);
		kist_identity_free(id);
	} else {
		FUZZ_ASSERT(err == KIST_E_BADKEY || err == KIST_E_PASSPHRASE ||
		            err == KIST_E_LIMIT);
	}
	return 0;
}
