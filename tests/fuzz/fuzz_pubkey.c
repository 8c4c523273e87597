/*
 * Fuzzes public key parsing: kist_pubkey_parse() on the input as a string
 * (kist1 and age1 keys),
 * the Bech32 decoder on its own (with an encode/decode round trip), and
 * kist_recipients_file_read() on the input written as a recipients file.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "crypto/crypto.h"

static char tmp_name[64];

static void remove_tmp(void)
{
	unlink(tmp_name);
}

static char *tmp_path(void)
{
	if (tmp_name[0] == '\0') {
		snprintf(tmp_name, sizeof tmp_name, "/tmp/kist-fuzz-recips-XXXXXX");
		int fd = mkstemp(tmp_name);
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_tmp);
	}
	return tmp_name;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

static void check_bech32(const char *s)
{
	unsigned char raw[1400];
	char hrp[96], again[2600];
	size_t n = 0;

	if (kist__bech32_decode(raw, sizeof raw, &n, hrp, sizeof hrp, s) != 0)
		return;
	FUZZ_ASSERT(n <= sizeof raw);
	/* Whatever decodes re-encodes to the same string, up to case. */
	int w = kist__bech32_encode(again, sizeof again, hrp, raw, n);
	FUZZ_ASSERT(w > 0);
	FUZZ_ASSERT(strlen(s) == (size_t)w);
	for (int i = 0; i < w; i++)
		FUZZ_ASSERT(tolower((unsigned char)s[i]) == again[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (kist_init() != KIST_OK)
			abort();
		ready = 1;
	}
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	kist_pubkey pk, pk2;
	char str[KIST_PUBKEY_STRLEN + 1], fpr[KIST_FINGERPRINT_STRLEN + 1];
	if (kist_pubkey_parse(&pk, s) == KIST_OK) {
		kist_pubkey_format(&pk, str);
		kist_pubkey_fingerprint(&pk, fpr);
		FUZZ_ASSERT(strlen(fpr) == KIST_FINGERPRINT_STRLEN);
		FUZZ_ASSERT(kist_pubkey_parse(&pk2, str) == KIST_OK);
		FUZZ_ASSERT(memcmp(&pk, &pk2, sizeof pk) == 0);
		/* kist1 keys may be given in upper case; age1 keys only in lower case. */
		size_t len = strlen(str);
		FUZZ_ASSERT(len == (pk.kind == KIST_PUBKEY_AGE ? KIST_AGE_PUBKEY_STRLEN
		                                               : KIST_PUBKEY_STRLEN));
		/* Paste noise (blanks, quotes, brackets, invisible characters, a
		 * fingerprint line) is dropped: the letters and digits before any
		 * "fingerprint" are exactly the key's. */
		const char *end = strcasestr(s, "fingerprint");
		size_t o = 0, n = end ? (size_t)(end - s) : strlen(s);
		for (size_t i = 0; i < n; i++) {
			if (!isalnum((unsigned char)s[i]))
				continue;
			FUZZ_ASSERT(o < len);
			FUZZ_ASSERT(
			    (pk.kind == KIST_PUBKEY_AGE ? s[i] : tolower((unsigned char)s[i])) ==
			    str[o]);
			o++;
		}
		FUZZ_ASSERT(o == len);
	}
	check_bech32(s);
	free(s);

	const char *path = tmp_path();
	kist_pubkey *keys = NULL;
	size_t count = 0;
	write_file(path, data, size);
	kist_err err = kist_recipients_file_read(path, &keys, &count);
	if (err == KIST_OK) {
		FUZZ_ASSERT(count >= 1 && count <= KIST_MAX_RECIPIENTS);
		for (size_t i = 0; i < count; i++)
			kist_pubkey_format(&keys[i], str);
		free(keys);
	} else {
		FUZZ_ASSERT(err == KIST_E_BADKEY || err == KIST_E_LIMIT);
	}
	return 0;
}
