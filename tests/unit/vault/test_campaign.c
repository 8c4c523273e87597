/*
 * Corruption campaign on a larger vault (several MiB, many entries): random
 * multi-byte corruption, appended garbage, recipient slots taken from another
 * vault.  Deterministic (seeded) so a failure can be replayed.
 */
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

#include "base/base.h"
#include "kist.h"
#include "testutil.h"

#define ROUNDS 300

static uint64_t rng = 0x6b697374;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void make_tree(void)
{
	unsigned char *buf = malloc(3 << 20);
	char name[64];
	assert_int_equal(mkdir("case", 0755), 0);
	for (int i = 0; i < 40; i++) {
		size_t n = (size_t)(next() % 200000);
		if (i % 3 == 0) {
			tu_fill_random(buf, n, (uint64_t)i);
		} else {
			for (size_t k = 0; k < n; k++)
				buf[k] = (unsigned char)("statement of witness "[k % 21]);
		}
		snprintf(name, sizeof name, "case/file-%02d", i);
		tu_write(name, buf, n);
	}
	tu_fill_random(buf, 3 << 20, 99);
	tu_write("case/video.mp4", buf, 3 << 20);
	free(buf);
}

static void test_random_damage(void **state)
{
	char *dir = tu_tmpdir();
	kist_identity *id, *other;
	size_t len;
	unsigned ok_open = 0, refused_open = 0, padding_only = 0;
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_identity_generate(&other), KIST_OK);
	make_tree();
	const char *paths[] = {"case"};
	tu_seal("v.kist", &id, 1, NULL, paths, 1);
	unsigned char *orig = tu_read("v.kist", &len), *m = malloc(len + 4096);

	for (int r = 0; r < ROUNDS; r++) {
		memcpy(m, orig, len);
		size_t mlen = len;
		int kind = (int)(next() % 4);
		if (kind == 0) { /* a few random bytes anywhere */
			int k = 1 + (int)(next() % 8);
			for (int j = 0; j < k; j++)
				m[next() % len] ^= (unsigned char)(1 + next() % 255);
		} else if (kind == 1) { /* a zeroed run, as a bad sector would */
			size_t at = next() % len, n = 1 + next() % 4096;
			if (at + n > len)
				n = len - at;
			memset(m + at, 0, n);
		} else if (kind == 2) { /* appended garbage */
			size_t n = 1 + next() % 4096;
			for (size_t j = 0; j < n; j++)
				m[len + j] = (unsigned char)next();
			mlen = len + n;
		} else { /* truncated, then garbage appended to the old length */
			size_t at = next() % len;
			for (size_t j = at; j < len; j++)
				m[j] = (unsigned char)next();
		}
		if (mlen == len && memcmp(m, orig, len) == 0)
			continue;
		tu_write("bad.kist", m, mlen);
		kist_vault *v = NULL;
		kist_err err = kist_vault_open(&v, "bad.kist", &id, 1);
		if (err != KIST_OK) {
			if (err != KIST_E_CORRUPT && err != KIST_E_FORMAT && err != KIST_E_NOACCESS)
				fail_msg("round %d: open gave %s", r, kist_strerror(err));
			refused_open++;
			continue;
		}
		ok_open++;
		kist_verify_report rep;
		if (kist_vault_verify(v, &rep, NULL, NULL) != KIST_E_CORRUPT)
			fail_msg("round %d (kind %d): damage not detected by verify", r, kind);
		if (rep.entries_failed == 0 && rep.padding_damaged) {
			/* Only the padding: verify says so; no entry is affected, so an
			 * extraction has nothing to refuse. */
			padding_only++;
			kist_vault_close(v);
			continue;
		}
		assert_int_equal(mkdir("out", 0700), 0);
		kist_extract_opts o = {.dir = "out"};
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_CORRUPT);
		assert_int_equal(tu_count_tree("out"), 0);
		rmdir("out");
		kist_vault_close(v);
	}
	print_message("%u damaged copies refused at open, %u caught by verify and extract, %u "
	              "in the padding alone (caught by verify)\n",
	              refused_open, ok_open, padding_only);
	assert_true(ok_open > 0 && refused_open > 0);

	/* Recipient slots from another vault (same reader): the reader unwraps that vault's
	 * file key, which the header's commitment rejects. */
	tu_seal("w.kist", &id, 1, NULL, paths, 1);
	size_t wlen;
	unsigned char *w = tu_read("w.kist", &wlen);
	memcpy(m, orig, len);
	memcpy(m + 52, w + 52, 88);
	tu_write("bad.kist", m, len);
	kist_vault *v = NULL;
	assert_int_equal(kist_vault_open(&v, "bad.kist", &id, 1), KIST_E_CORRUPT);
	assert_non_null(strstr(kist_errdetail(), "key commitment mismatch"));

	/*
	 * And the other way round: an outsider's slot, taken from a vault sealed to
	 * them, spliced in as a second slot (header length and slot count fixed
	 * up).  The outsider unwraps the other vault's file key, which the
	 * commitment refuses; the recipient still opens slot 1, and the header
	 * MAC refuses the added slot.
	 */
	assert_int_equal(kist_vault_open(&v, "v.kist", &other, 1), KIST_E_NOACCESS);
	tu_seal("x.kist", &other, 1, NULL, paths, 1);
	size_t xlen;
	unsigned char *x = tu_read("x.kist", &xlen);
	const size_t slot = 88, hl = 52 + slot + 64;
	memcpy(m, orig, 52 + slot);
	memcpy(m + 52 + slot, x + 52, slot);
	memcpy(m + 52 + 2 * slot, orig + 52 + slot, len - (52 + slot));
	kist__st32(m + 12, (uint32_t)(hl + slot));
	kist__st16(m + 48, 2);
	tu_write("bad.kist", m, len + slot);
	assert_int_equal(kist_vault_open(&v, "bad.kist", &other, 1), KIST_E_CORRUPT);
	assert_non_null(strstr(kist_errdetail(), "key commitment mismatch"));
	assert_null(v);
	assert_int_equal(kist_vault_open(&v, "bad.kist", &id, 1), KIST_E_CORRUPT);
	assert_non_null(strstr(kist_errdetail(), "header authentication failed"));
	assert_null(v);
	free(x);
	free(w);
	free(m);
	free(orig);
	kist_identity_free(id);
	kist_identity_free(other);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_random_damage)};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
