#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/kist-unit-XXXXXX";
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

char *tu_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", a, b);
	return p;
}

void tu_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *d = opendir(path);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char *c = tu_join(path, de->d_name);
			tu_rmtree(c);
			free(c);
		}
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

void tu_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len > 0)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

unsigned char *tu_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

void tu_fill_random(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 2654435761u + 88172645463325252ull;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

size_t tu_count_tree(const char *path)
{
	size_t n = 0;
	DIR *d = opendir(path);
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (de->d_type == DT_DIR) {
			char *c = tu_join(path, de->d_name);
			n += tu_count_tree(c);
			free(c);
		}
	}
	closedir(d);
	return n;
}

void tu_seal(const char *out, kist_identity *const *recips, size_t nrecips,
             const kist_identity *signer, const char *const *paths, size_t npaths)
{
	kist_sealer *s = NULL;
	kist_pubkey pk;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	for (size_t i = 0; i < nrecips; i++) {
		kist_identity_pubkey(recips[i], &pk);
		assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	}
	if (signer != NULL)
		assert_int_equal(kist_sealer_set_signer(s, signer), KIST_OK);
	for (size_t i = 0; i < npaths; i++)
		assert_int_equal(kist_sealer_add_path(s, paths[i]), KIST_OK);
	kist_err err = kist_sealer_write(s, out, KIST_REPLACE);
	if (err != KIST_OK)
		fail_msg("seal failed: %s (%s)", kist_strerror(err), kist_errdetail());
	kist_sealer_free(s);
}
