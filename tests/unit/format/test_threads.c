/*
 * The pipeline: any thread count gives the same vault layout (the same chunk
 * lengths for every entry) and the same extracted bytes.  Run under
 * ThreadSanitizer with -DKIST_TSAN=ON.
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

#include "kist.h"
#include "testutil.h"

static void seal_at(const char *out, kist_identity *id, unsigned threads, int level)
{
	kist_sealer *s;
	kist_pubkey pk;
	kist_identity_pubkey(id, &pk);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_set_threads(s, threads), KIST_OK);
	assert_int_equal(kist_sealer_set_level(s, level), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_OK);
	assert_int_equal(kist_sealer_write(s, out, KIST_REPLACE), KIST_OK);
	kist_sealer_free(s);
}

static void seal_with(const char *out, kist_identity *id, unsigned threads)
{
	seal_at(out, id, threads, 0);
}

static void test_thread_counts_agree(void **state)
{
	char *dir = tu_tmpdir();
	kist_identity *id;
	unsigned char *buf = malloc(5 << 20);
	char name[64];
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(mkdir("case", 0700), 0);
	for (int i = 0; i < 12; i++) {
		size_t n = (size_t)(i * 400000 + 17);
		if (i % 2)
			tu_fill_random(buf, n, (uint64_t)i);
		else
			for (size_t k = 0; k < n; k++)
				buf[k] = (unsigned char)("the hearing was adjourned "[k % 26]);
		snprintf(name, sizeof name, "case/f%02d", i);
		tu_write(name, buf, n);
	}
	seal_with("one.kist", id, 1);
	seal_with("many.kist", id, 5);
	seal_at("fast.kist", id, 2, 1);
	seal_at("small.kist", id, 2, KIST_LEVEL_MAX);
	kist_vault *a, *b;
	assert_int_equal(kist_vault_open(&a, "one.kist", &id, 1), KIST_OK);
	assert_int_equal(kist_vault_open(&b, "many.kist", &id, 1), KIST_OK);
	assert_int_equal(kist_vault_entry_count(a), kist_vault_entry_count(b));
	for (size_t i = 0; i < kist_vault_entry_count(a); i++) {
		const kist_entry *x = kist_vault_entry_at(a, i), *y = kist_vault_entry_at(b, i);
		assert_string_equal(x->path, y->path);
		assert_int_equal(x->stored_size, y->stored_size);
		assert_memory_equal(x->sha256, y->sha256, 32);
	}
	for (unsigned t = 1; t <= 5; t += 2) {
		kist_verify_report rep;
		assert_int_equal(kist_vault_set_threads(b, t), KIST_OK);
		assert_int_equal(kist_vault_verify(b, &rep, NULL, NULL), KIST_OK);
		assert_int_equal(rep.entries_checked, 12);
		char out[32];
		snprintf(out, sizeof out, "out%u", t);
		assert_int_equal(mkdir(out, 0700), 0);
		kist_extract_opts o = {.dir = out};
		assert_int_equal(kist_vault_extract(b, &o, NULL, 0), KIST_OK);
		assert_int_equal(tu_count_tree(out), 13);
	}
	/* Levels: the same entries and hashes; text smaller at the highest level,
	 * random data stored alike at every level. */
	kist_vault *f, *m;
	assert_int_equal(kist_vault_open(&f, "fast.kist", &id, 1), KIST_OK);
	assert_int_equal(kist_vault_open(&m, "small.kist", &id, 1), KIST_OK);
	for (size_t i = 0; i < kist_vault_entry_count(a); i++) {
		const kist_entry *x = kist_vault_entry_at(a, i), *y = kist_vault_entry_at(f, i),
		                 *z = kist_vault_entry_at(m, i);
		assert_memory_equal(x->sha256, y->sha256, 32);
		assert_memory_equal(x->sha256, z->sha256, 32);
		if (strncmp(x->path, "case/f", 6) != 0)
			continue; /* the folder */
		if (atoi(x->path + 6) % 2 == 1)
			assert_int_equal(y->stored_size, z->stored_size);
		else if (x->size > 4096)
			assert_true(z->stored_size < y->stored_size);
	}
	kist_verify_report rep;
	assert_int_equal(kist_vault_verify(m, &rep, NULL, NULL), KIST_OK);
	assert_int_equal(rep.entries_checked, 12);
	kist_vault_close(f);
	kist_vault_close(m);
	kist_vault_close(a);
	kist_vault_close(b);
	kist_identity_free(id);
	free(buf);
	tu_rmtree(dir);
	free(dir);
}

static void test_level_range(void **state)
{
	kist_sealer *s;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_set_level(s, -1), KIST_E_ARG);
	assert_int_equal(kist_sealer_set_level(s, KIST_LEVEL_MAX + 1), KIST_E_ARG);
	assert_int_equal(kist_sealer_set_level(s, 1), KIST_OK);
	assert_int_equal(kist_sealer_set_level(s, KIST_LEVEL_MAX), KIST_OK);
	assert_int_equal(kist_sealer_set_level(s, 0), KIST_OK);
	kist_sealer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_thread_counts_agree),
	                                   cmocka_unit_test(test_level_range)};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
