/* Identity files: creation mode, O_EXCL, passphrases, permission checks, damage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kist.h"
#include "testutil.h"

static const char *given_pass;
static int asked;

static kist_err pass_fn(void *ctx, const char *path, char *buf, size_t cap, size_t *len)
{
	asked++;
	*len = strlen(given_pass);
	memcpy(buf, given_pass, *len);
	return KIST_OK;
}

static void test_unprotected_roundtrip(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "id.key");
	kist_identity *a, *b;
	kist_pubkey pa, pb, pf;
	struct stat st;

	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	assert_int_equal(kist_identity_save(a, path, NULL, 0, 0), KIST_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* O_EXCL: never overwritten unless asked. */
	assert_int_equal(kist_identity_save(a, path, NULL, 0, 0), KIST_E_EXISTS);
	asked = 0;
	assert_int_equal(kist_identity_load(&b, path, pass_fn, NULL), KIST_OK);
	assert_int_equal(asked, 0);
	kist_identity_pubkey(a, &pa);
	kist_identity_pubkey(b, &pb);
	assert_memory_equal(&pa, &pb, sizeof pa);
	assert_int_equal(kist_identity_file_pubkey(path, &pf), KIST_OK);
	assert_memory_equal(&pa, &pf, sizeof pa);
	assert_false(kist_identity_is_protected(b));
	kist_identity_free(b);

	/* Group- or world-readable files are refused, before any parsing. */
	chmod(path, 0640);
	assert_int_equal(kist_identity_load(&b, path, pass_fn, NULL), KIST_E_KEYPERM);
	assert_int_equal(kist_identity_file_pubkey(path, &pf), KIST_E_KEYPERM);
	chmod(path, 0604);
	assert_int_equal(kist_identity_load(&b, path, pass_fn, NULL), KIST_E_KEYPERM);
	chmod(path, 0600);

	/* --force replaces, atomically, still 0600. */
	assert_int_equal(kist_identity_save(a, path, NULL, 0, KIST_REPLACE), KIST_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	kist_identity_free(a);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

static void test_passphrase(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "id.key");
	kist_identity *a, *b = NULL;
	kist_pubkey pa, pb;
	const char pass[] = "correct horse battery staple";

	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	assert_int_equal(kist_identity_save(a, path, "", 0, 0), KIST_E_ARG);
	/* A flag this version does not know is refused, not ignored; nothing is written. */
	assert_int_equal(kist_identity_save(a, path, NULL, 0, KIST_REPLACE << 1), KIST_E_ARG);
	assert_int_equal(kist_file_write(path, "x", 1, KIST_REPLACE << 1), KIST_E_ARG);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(kist_identity_save(a, path, pass, strlen(pass), 0), KIST_OK);
	/* The secret must not appear in the file in any form we can search for. */
	size_t len;
	unsigned char *text = tu_read(path, &len);
	assert_non_null(strstr((char *)text, "KIST-IDENTITY-1 "));
	free(text);

	given_pass = "wrong";
	asked = 0;
	assert_int_equal(kist_identity_load(&b, path, pass_fn, NULL), KIST_E_PASSPHRASE);
	assert_int_equal(asked, 1);
	assert_null(b);
	assert_int_equal(kist_identity_load(&b, path, NULL, NULL), KIST_E_PASSPHRASE);
	given_pass = pass;
	assert_int_equal(kist_identity_load(&b, path, pass_fn, NULL), KIST_OK);
	assert_true(kist_identity_is_protected(b));
	kist_identity_pubkey(a, &pa);
	kist_identity_pubkey(b, &pb);
	assert_memory_equal(&pa, &pb, sizeof pa);
	/* The public key is readable without the passphrase. */
	assert_int_equal(kist_identity_file_pubkey(path, &pb), KIST_OK);
	assert_memory_equal(&pa, &pb, sizeof pa);
	kist_identity_free(a);
	kist_identity_free(b);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

static void test_damaged_files(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "id.key");
	kist_identity *a, *b;
	size_t len;

	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	assert_int_equal(kist_identity_save(a, path, NULL, 0, 0), KIST_OK);
	unsigned char *orig = tu_read(path, &len);
	char *line = strstr((char *)orig, "KIST-IDENTITY-1 ");
	assert_non_null(line);
	size_t start = (size_t)(line - (char *)orig) + 16;

	/* Any changed character of the key line: refused or detected, never accepted as the
	 * same key with a different public half. */
	for (size_t i = start; i < len - 1; i += 7) {
		unsigned char *m = malloc(len);
		memcpy(m, orig, len);
		m[i] = m[i] == 'A' ? 'B' : 'A';
		tu_write(path, m, len);
		chmod(path, 0600);
		kist_err err = kist_identity_load(&b, path, NULL, NULL);
		if (err == KIST_OK) {
			kist_pubkey pa, pb;
			kist_identity_pubkey(a, &pa);
			kist_identity_pubkey(b, &pb);
			/* Base64 slack bits may decode to the same blob; then the key is the same.
			 */
			assert_memory_equal(&pa, &pb, sizeof pa);
			kist_identity_free(b);
		} else {
			assert_int_equal(err, KIST_E_BADKEY);
		}
		free(m);
	}
	/* Not an identity at all; empty; binary junk; two key lines. */
	tu_write(path, "hello\n", 6);
	assert_int_equal(kist_identity_load(&b, path, NULL, NULL), KIST_E_BADKEY);
	tu_write(path, "", 0);
	assert_int_equal(kist_identity_load(&b, path, NULL, NULL), KIST_E_BADKEY);
	tu_write(path, "KIST-IDENTITY-1 \0\0\0", 19);
	assert_int_equal(kist_identity_load(&b, path, NULL, NULL), KIST_E_BADKEY);
	char *two = malloc(2 * len);
	memcpy(two, orig, len);
	memcpy(two + len, line, len - start + 16);
	tu_write(path, two, len + len - start + 16);
	assert_int_equal(kist_identity_load(&b, path, NULL, NULL), KIST_E_BADKEY);
	free(two);
	/* A directory, a missing file. */
	assert_int_equal(kist_identity_load(&b, dir, NULL, NULL), KIST_E_BADKEY);
	char *missing = tu_join(dir, "nope");
	assert_int_equal(kist_identity_load(&b, missing, NULL, NULL), KIST_E_IO);
	free(missing);
	free(orig);
	kist_identity_free(a);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

static void test_recipients_file(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "recips");
	kist_identity *a, *b;
	kist_pubkey pa, pb, *keys;
	char sa[KIST_PUBKEY_STRLEN + 1], sb[KIST_PUBKEY_STRLEN + 1], text[600];
	size_t n;
	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	assert_int_equal(kist_identity_generate(&b), KIST_OK);
	kist_identity_pubkey(a, &pa);
	kist_identity_pubkey(b, &pb);
	kist_pubkey_format(&pa, sa);
	kist_pubkey_format(&pb, sb);
	snprintf(text, sizeof text, "# legal team\n\n  %s  \r\n%s\n", sa, sb);
	tu_write(path, text, strlen(text));
	assert_int_equal(kist_recipients_file_read(path, &keys, &n), KIST_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(&keys[0], &pa, sizeof pa);
	assert_memory_equal(&keys[1], &pb, sizeof pb);
	free(keys);
	snprintf(text, sizeof text, "%s\nkist1notakey\n", sa);
	tu_write(path, text, strlen(text));
	assert_int_equal(kist_recipients_file_read(path, &keys, &n), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "line 2"));
	tu_write(path, "# nobody\n", 9);
	assert_int_equal(kist_recipients_file_read(path, &keys, &n), KIST_E_BADKEY);
	kist_identity_free(a);
	kist_identity_free(b);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

/* Keys as people paste them: the noise is dropped, the checksum still guards. */
static void test_pasted_pubkey(void **state)
{
	(void)state;
	kist_identity *a;
	kist_pubkey pa, got;
	char sa[KIST_PUBKEY_STRLEN + 1], text[1024], f[KIST_FINGERPRINT_STRLEN + 1];

	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	kist_identity_pubkey(a, &pa);
	kist_pubkey_format(&pa, sa);
	kist_pubkey_fingerprint(&pa, f);
	/* BOM, quote, angle bracket, line break, tab, U+200B/C/D, U+2060, fingerprint line */
	snprintf(text, sizeof text,
	         "\xef\xbb\xbf\"<%.20s\n%.20s\t%.20s\xe2\x80\x8b%.20s\xe2\x80\x8c%.20s"
	         "\xe2\x80\x8d\xe2\x81\xa0%s>\"\r\nfingerprint: %s\n",
	         sa, sa + 20, sa + 40, sa + 60, sa + 80, sa + 100, f);
	assert_int_equal(kist_pubkey_parse(&got, text), KIST_OK);
	assert_memory_equal(&got, &pa, sizeof pa);
	/* One character changed inside the noise: the checksum refuses it. */
	char *p = strstr(text, "\t") + 1;
	*p = *p == 'q' ? 'p' : 'q';
	assert_int_equal(kist_pubkey_parse(&got, text), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "checksum"));
	/* Still wrong: the position and the character. */
	snprintf(text, sizeof text, "%.57sO%s", sa, sa + 58);
	assert_int_equal(kist_pubkey_parse(&got, text), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "character 58 is 'O'"));
	/* An overlong encoding is no letter: "\xc1\xaf" would decode to 'o' without the
	 * library's one UTF-8 decoder, which refuses overlongs. */
	snprintf(text, sizeof text, "%.57s\xc1\xaf%s", sa, sa + 58);
	assert_int_equal(kist_pubkey_parse(&got, text), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "character 58 is U+00C1"));
	/* Bounded: a huge paste is refused, not scanned. */
	char big[5000];
	memset(big, ' ', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	assert_int_equal(kist_pubkey_parse(&got, big), KIST_E_BADKEY);
	kist_identity_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unprotected_roundtrip), cmocka_unit_test(test_passphrase),
	    cmocka_unit_test(test_damaged_files),         cmocka_unit_test(test_recipients_file),
	    cmocka_unit_test(test_pasted_pubkey),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
