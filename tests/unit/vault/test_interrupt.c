/*
 * Interruption: kist_interrupt() during a seal or a verify stops it with
 * KIST_E_INTERRUPTED and leaves no output; the flag then stops later
 * operations too, until kist_interrupt_clear(), after which they succeed.
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

#define CONTENT_BYTES (4u * KIST_CHUNK_SIZE + 123u) /* five chunks: checks between them */

typedef struct fixture {
	char *dir, *input, *out;
	kist_identity *id;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tu_tmpdir();
	f->input = tu_join(f->dir, "evidence.bin");
	f->out = tu_join(f->dir, "out.kist");
	unsigned char *buf = malloc(CONTENT_BYTES);
	assert_non_null(buf);
	tu_fill_random(buf, CONTENT_BYTES, 14);
	tu_write(f->input, buf, CONTENT_BYTES);
	free(buf);
	assert_int_equal(kist_identity_generate(&f->id), KIST_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	kist_interrupt_clear();
	kist_identity_free(f->id);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->input);
	free(f->out);
	free(f);
	return 0;
}

/* A progress callback that interrupts at its first call: in the middle of the work. */
static void interrupt_now(void *ctx, uint64_t done, uint64_t total)
{
	(void)done;
	(void)total;
	unsigned *calls = ctx;
	if ((*calls)++ == 0)
		kist_interrupt();
}

static kist_err seal(const fixture *f, unsigned *calls)
{
	kist_sealer *s = NULL;
	kist_pubkey pk;
	kist_err err = kist_sealer_new(&s, NULL, NULL);
	assert_int_equal(err, KIST_OK);
	kist_identity_pubkey(f->id, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_set_threads(s, 1), KIST_OK);
	if (calls != NULL)
		assert_int_equal(kist_sealer_set_progress(s, interrupt_now, calls), KIST_OK);
	err = kist_sealer_add_path(s, f->input);
	if (err == KIST_OK)
		err = kist_sealer_write(s, f->out, 0);
	kist_sealer_free(s);
	return err;
}

static kist_err verify(const fixture *f, unsigned *calls)
{
	kist_vault *v = NULL;
	kist_verify_report rep;
	kist_identity *ids[1] = {f->id};
	assert_int_equal(kist_vault_open(&v, f->out, ids, 1), KIST_OK);
	assert_int_equal(kist_vault_set_threads(v, 1), KIST_OK);
	if (calls != NULL)
		assert_int_equal(kist_vault_set_progress(v, interrupt_now, calls), KIST_OK);
	kist_err err = kist_vault_verify(v, &rep, NULL, NULL);
	kist_vault_close(v);
	return err;
}

static void test_seal_interrupted_then_cleared(void **state)
{
	fixture *f = *state;
	struct stat st;
	unsigned calls = 0;

	/* During: stops with KIST_E_INTERRUPTED, nothing left but the input. */
	assert_int_equal(seal(f, &calls), KIST_E_INTERRUPTED);
	assert_int_equal(calls, 1);
	assert_int_not_equal(stat(f->out, &st), 0);
	assert_int_equal(tu_count_tree(f->dir), 1);

	/* Later, not cleared: the flag still stops it. */
	assert_int_equal(seal(f, NULL), KIST_E_INTERRUPTED);
	assert_int_equal(tu_count_tree(f->dir), 1);

	/* After kist_interrupt_clear(): the same seal succeeds and opens intact. */
	kist_interrupt_clear();
	kist_err err = seal(f, NULL);
	if (err != KIST_OK)
		fail_msg("seal after clear: %s (%s)", kist_strerror(err), kist_errdetail());
	assert_int_equal(verify(f, NULL), KIST_OK);
}

static void test_verify_interrupted_then_cleared(void **state)
{
	fixture *f = *state;
	unsigned calls = 0;

	kist_interrupt_clear();
	assert_int_equal(seal(f, NULL), KIST_OK);

	assert_int_equal(verify(f, &calls), KIST_E_INTERRUPTED);
	assert_int_equal(calls, 1);
	kist_interrupt_clear();
	kist_err err = verify(f, NULL);
	if (err != KIST_OK)
		fail_msg("verify after clear: %s (%s)", kist_strerror(err), kist_errdetail());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seal_interrupted_then_cleared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_verify_interrupted_then_cleared, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
