/*
 * Streaming: a 2 GiB file seals and extracts in bounded memory, and comes
 * out with the same SHA-256 as it went in.  The file is
 * sparse (zeros) apart from 16 MiB of random data at its start, so the test
 * exercises both the compressed and the stored chunk paths without needing
 * 2 GiB of disk for the input.  The memory bound is asserted only in builds
 * without sanitizers, whose shadow memory inflates the resident size.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "kist.h"
#include "testutil.h"

#define BIG      (2ull << 30)
#define LIMIT_KB (64 * 1024)

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* SHA-256 of the input: 16 MiB of tu_fill_random blocks, then zeros up to BIG. */
static void expected_sha256(unsigned char h[32])
{
	crypto_hash_sha256_state st;
	unsigned char *buf = malloc(1 << 20);
	assert_non_null(buf);
	crypto_hash_sha256_init(&st);
	for (int i = 0; i < 16; i++) {
		tu_fill_random(buf, 1 << 20, (uint64_t)i + 1);
		crypto_hash_sha256_update(&st, buf, 1 << 20);
	}
	memset(buf, 0, 1 << 20);
	for (uint64_t n = 16ull << 20; n < BIG; n += 1 << 20)
		crypto_hash_sha256_update(&st, buf, 1 << 20);
	crypto_hash_sha256_final(&st, h);
	free(buf);
}

static void file_sha256(const char *path, unsigned char h[32], uint64_t *size)
{
	crypto_hash_sha256_state st;
	unsigned char *buf = malloc(1 << 20);
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && buf != NULL);
	*size = 0;
	crypto_hash_sha256_init(&st);
	while ((n = read(fd, buf, 1 << 20)) > 0) {
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	assert_int_equal(n, 0);
	close(fd);
	crypto_hash_sha256_final(&st, h);
	free(buf);
}

static void test_two_gib(void **state)
{
	char *dir = tu_tmpdir(), *in = tu_join(dir, "big.mp4"), *vault = tu_join(dir, "v.kist");
	char *out = tu_join(dir, "out");
	unsigned char *buf = malloc(1 << 20);
	kist_identity *id;
	kist_pubkey pk;
	kist_sealer *s;
	kist_vault *v;

	int fd = open(in, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 16; i++) {
		tu_fill_random(buf, 1 << 20, (uint64_t)i + 1);
		assert_int_equal(write(fd, buf, 1 << 20), 1 << 20);
	}
	assert_int_equal(ftruncate(fd, (off_t)BIG), 0);
	close(fd);
	free(buf);

	long before = maxrss_kb();
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	kist_identity_pubkey(id, &pk);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(kist_sealer_add_path(s, "big.mp4"), KIST_OK);
	assert_int_equal(kist_sealer_write(s, vault, 0), KIST_OK);
	kist_sealer_free(s);
	long after_seal = maxrss_kb();

	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(kist_vault_open(&v, vault, &id, 1), KIST_OK);
	const kist_entry *e = kist_vault_find(v, "big.mp4");
	assert_non_null(e);
	assert_int_equal(e->size, BIG);
	unsigned char want[32], got[32];
	expected_sha256(want);
	assert_memory_equal(e->sha256, want, 32); /* what the sealer recorded */
	kist_extract_opts o = {.dir = out};
	assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
	kist_vault_close(v);
	long after_extract = maxrss_kb();

	struct stat st;
	char *x = tu_join(out, "big.mp4");
	assert_int_equal(stat(x, &st), 0);
	assert_int_equal((uint64_t)st.st_size, BIG);
	/* The content, not only the size: every chunk in its place. */
	uint64_t got_size;
	file_sha256(x, got, &got_size);
	assert_int_equal(got_size, BIG);
	assert_memory_equal(got, want, 32);
	print_message("peak resident: %ld KiB before, %ld KiB after seal, %ld KiB after "
	              "extract (limit %d KiB%s)\n",
	              before, after_seal, after_extract, LIMIT_KB,
	              SANITIZED ? ", not enforced under sanitizers" : "");
	if (!SANITIZED)
		assert_true(after_extract < LIMIT_KB);
	kist_identity_free(id);
	tu_rmtree(dir);
	free(x);
	free(dir);
	free(in);
	free(vault);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_two_gib)};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
