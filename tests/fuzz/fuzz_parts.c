/*
 * Fuzzes part sets: the input is cut at each "\n--kist-part--\n" into up to
 * 6 files, written to a private folder, and given to kist_partset_open()
 * (with the folder search), kist_partset_check(), kist_partset_join() and,
 * when the check says the set is repairable, kist_partset_repair() into a
 * second folder.  Properties: errors are among the documented kinds; a join
 * that succeeds writes exactly the set's vault length; a repair of a set the
 * check called repairable succeeds, and the rebuilt parts then check intact.
 * Seeds (corpus/parts/) are small split vaults with and without parity.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "kist.h"

#define SEP     "\n--kist-part--\n"
#define MAXFILE 6

static char dir[64], out[64];

static void clear(const char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	char p[512];
	if (dd == NULL)
		return;
	while ((de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		unlink(p);
	}
	closedir(dd);
}

static void remove_all(void)
{
	clear(dir);
	clear(out);
	rmdir(dir);
	rmdir(out);
}

static int setup(void)
{
	if (dir[0] != '\0')
		return 0;
	snprintf(dir, sizeof dir, "/tmp/kist-fuzz-parts.XXXXXX");
	snprintf(out, sizeof out, "/tmp/kist-fuzz-parts-out.XXXXXX");
	if (mkdtemp(dir) == NULL || mkdtemp(out) == NULL)
		abort();
	atexit(remove_all);
	return 0;
}

static int documented(kist_err e)
{
	return e == KIST_OK || e == KIST_E_IO || e == KIST_E_FORMAT || e == KIST_E_CORRUPT ||
	       e == KIST_E_ARG || e == KIST_E_NOMEM || e == KIST_E_EXISTS || e == KIST_E_NOSPACE;
}

static void silent(void *ctx, const char *p, const char *m)
{
	(void)ctx, (void)p, (void)m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char names[MAXFILE][96];
	const char *paths[MAXFILE];
	size_t n = 0;
	kist_partset *ps = NULL;

	setup();
	clear(dir);
	clear(out);
	kist_init();
	const uint8_t *p = data, *end = data + size;
	while (n < MAXFILE) {
		const uint8_t *s = memmem(p, (size_t)(end - p), SEP, sizeof SEP - 1);
		const uint8_t *e = (s != NULL && n + 1 < MAXFILE) ? s : end;
		snprintf(names[n], sizeof names[n], "%s/f%zu.bin", dir, n);
		FILE *f = fopen(names[n], "wb");
		if (f == NULL || fwrite(p, 1, (size_t)(e - p), f) != (size_t)(e - p) ||
		    fclose(f) != 0)
			abort();
		paths[n] = names[n];
		n++;
		if (e == end)
			break;
		p = e + sizeof SEP - 1;
	}
	kist_err err = kist_partset_open(&ps, paths, 1, 1);
	FUZZ_ASSERT(documented(err));
	if (err != KIST_OK)
		return 0;
	err = kist_partset_check(ps, NULL, NULL);
	FUZZ_ASSERT(err == KIST_OK || documented(err));
	if (err == KIST_OK) {
		char joined[128];
		struct stat st;
		snprintf(joined, sizeof joined, "%s/joined", out);
		err = kist_partset_join(ps, joined, 0);
		FUZZ_ASSERT(documented(err));
		if (err == KIST_OK) {
			FUZZ_ASSERT(stat(joined, &st) == 0);
			FUZZ_ASSERT((uint64_t)st.st_size == kist_partset_vault_size(ps));
			unlink(joined);
		}
		if (kist_partset_repairable(ps) && kist_parts_have_parity()) {
			err = kist_partset_repair(ps, out, 0, silent, NULL);
			FUZZ_ASSERT(err == KIST_OK || err == KIST_E_IO || err == KIST_E_NOSPACE ||
			            err == KIST_E_EXISTS || err == KIST_E_NOMEM);
		}
	}
	kist_partset_free(ps);
	return 0;
}
