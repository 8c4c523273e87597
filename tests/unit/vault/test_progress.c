/*
 * Progress callbacks: seal, verify, extract and cat report done/total on the
 * calling thread (never a worker), done never goes back, it ends at the
 * total, and the total is the content size (0 when standard input is sealed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kist.h"
#include "testutil.h"

#define NFILES 5

typedef struct rec {
	pthread_t caller;
	unsigned calls;
	unsigned wrong_thread;
	unsigned went_back;
	uint64_t last_done, last_total, first_total;
} rec;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	rec *r = ctx;
	if (!pthread_equal(pthread_self(), r->caller))
		r->wrong_thread++;
	if (r->calls > 0 && (done < r->last_done || total != r->last_total))
		r->went_back++;
	if (r->calls == 0)
		r->first_total = total;
	r->calls++;
	r->last_done = done;
	r->last_total = total;
}

static void rec_reset(rec *r)
{
	memset(r, 0, sizeof *r);
	r->caller = pthread_self();
}

/* Sizes chosen to need several chunks each (1 MiB chunks), one of them empty. */
static const size_t sizes[NFILES] = {3u << 20, 0, 1234567, 17, (2u << 20) + 1};

static uint64_t make_case(void)
{
	unsigned char *buf = malloc(3u << 20);
	char name[64];
	uint64_t total = 0;
	assert_non_null(buf);
	assert_int_equal(mkdir("case", 0700), 0);
	for (int i = 0; i < NFILES; i++) {
		tu_fill_random(buf, sizes[i], (uint64_t)i + 1);
		snprintf(name, sizeof name, "case/f%d", i);
		tu_write(name, buf, sizes[i]);
		total += sizes[i];
	}
	free(buf);
	return total;
}

static void test_progress_all_verbs(void **state)
{
	char *dir = tu_tmpdir();
	kist_identity *id;
	kist_pubkey pk;
	kist_sealer *s;
	kist_vault *v;
	rec r;
	(void)state;
	assert_int_equal(chdir(dir), 0);
	uint64_t total = make_case();
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	kist_identity_pubkey(id, &pk);

	/* seal, with worker threads: callbacks still come on this thread */
	rec_reset(&r);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_set_threads(s, 4), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_OK);
	assert_int_equal(kist_sealer_set_progress(s, on_progress, &r), KIST_OK);
	assert_int_equal(kist_sealer_write(s, "v.kist", 0), KIST_OK);
	kist_sealer_free(s);
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(r.went_back, 0);
	assert_int_equal(r.first_total, total);
	assert_int_equal(r.last_done, total);
	/* at least one call per chunk of content: 3 + 1 + 2 + 1 + 3 chunks */
	assert_true(r.calls >= 10);

	assert_int_equal(kist_vault_open(&v, "v.kist", &id, 1), KIST_OK);
	assert_int_equal(kist_vault_set_threads(v, 3), KIST_OK);
	assert_int_equal(kist_vault_set_progress(v, on_progress, &r), KIST_OK);

	/* verify */
	kist_verify_report rep;
	rec_reset(&r);
	assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_OK);
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(r.went_back, 0);
	assert_int_equal(r.first_total, total);
	assert_int_equal(r.last_done, total);
	assert_true(r.calls >= 10);

	/* extract of one entry: the total is that entry's size */
	rec_reset(&r);
	assert_int_equal(mkdir("out", 0700), 0);
	kist_extract_opts o = {.dir = "out"};
	const char *one[] = {"case/f0"};
	assert_int_equal(kist_vault_extract(v, &o, one, 1), KIST_OK);
	assert_int_equal(r.wrong_thread, 0);
	assert_int_equal(r.first_total, sizes[0]);
	assert_int_equal(r.last_done, sizes[0]);
	assert_int_equal(r.calls, 3);

	/* cat */
	rec_reset(&r);
	int fd = open("cat.out", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(kist_vault_cat(v, kist_vault_find(v, "case/f2"), fd), KIST_OK);
	close(fd);
	assert_int_equal(r.last_done, sizes[2]);
	assert_int_equal(r.last_total, sizes[2]);

	/* no callback once removed */
	rec_reset(&r);
	assert_int_equal(kist_vault_set_progress(v, NULL, NULL), KIST_OK);
	assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_OK);
	assert_int_equal(r.calls, 0);
	kist_vault_close(v);

	/* standard input among the inputs: total unknown (0), done still counts */
	rec_reset(&r);
	int in = open("case/f4", O_RDONLY);
	assert_true(in >= 0);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case/f2"), KIST_OK);
	assert_int_equal(kist_sealer_add_fd(s, in, "piped"), KIST_OK);
	assert_int_equal(kist_sealer_set_progress(s, on_progress, &r), KIST_OK);
	assert_int_equal(kist_sealer_write(s, "w.kist", 0), KIST_OK);
	kist_sealer_free(s);
	close(in);
	assert_int_equal(r.first_total, 0);
	assert_int_equal(r.last_total, 0);
	assert_int_equal(r.last_done, sizes[2] + sizes[4]);

	kist_identity_free(id);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_progress_all_verbs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
