/*
 * Fuzzes parity files (docs/FORMAT.md, "Parity file"): the input is a vault
 * and its parity file, cut at the first "\n--kist-parity--\n", written to a
 * private folder as v.kist and v.kist.parity, and given to
 * kist_parity_open(), kist_parity_check() and, when the check says they are
 * damaged but repairable, kist_parity_repair() in place.  Properties: errors
 * are among the documented kinds; a repair of a pair the check called
 * repairable succeeds, and both files then check intact.  Seeds
 * (corpus/parity/) are the parity vectors' vault with its valid and damaged
 * parity files, and small vaults with damaged blocks.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "kist.h"

#define SEP "\n--kist-parity--\n"

static char dir[64], vault[96], side[96];

static void remove_all(void)
{
	DIR *dd = opendir(dir);
	struct dirent *de;
	char p[512];
	while (dd != NULL && (de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (dd != NULL)
		closedir(dd);
	rmdir(dir);
}

static void setup(void)
{
	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof dir, "/tmp/kist-fuzz-parity.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(vault, sizeof vault, "%s/v.kist", dir);
	snprintf(side, sizeof side, "%s/v.kist.parity", dir);
	atexit(remove_all);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static int documented(kist_err e)
{
	return e == KIST_OK || e == KIST_E_IO || e == KIST_E_FORMAT || e == KIST_E_CORRUPT ||
	       e == KIST_E_NOMEM;
}

static void silent(void *ctx, const char *p, const char *m)
{
	(void)ctx, (void)p, (void)m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kist_parity *pp = NULL;
	kist_parity_info in;
	setup();
	kist_init();
	const uint8_t *s = memmem(data, size, SEP, sizeof SEP - 1);
	size_t vlen = s ? (size_t)(s - data) : size;
	put(vault, data, vlen);
	if (s != NULL)
		put(side, s + sizeof SEP - 1, size - vlen - (sizeof SEP - 1));
	else
		put(side, data, 0);
	kist_err err = kist_parity_open(&pp, vault, side);
	FUZZ_ASSERT(documented(err));
	if (err != KIST_OK)
		return 0;
	err = kist_parity_check(pp, NULL, NULL);
	FUZZ_ASSERT(documented(err));
	if (err == KIST_OK) {
		kist_parity_get_info(pp, &in);
		for (size_t i = 0; i < kist_parity_range_count(pp); i++) {
			uint64_t off, len;
			kist_parity_range(pp, i, &off, &len);
			FUZZ_ASSERT(len > 0 && off + len <= in.vault_size);
		}
		if ((in.vault_damaged || in.parity_damaged) && in.repairable &&
		    kist_parts_have_parity()) {
			err = kist_parity_repair(pp, NULL, 0, silent, NULL);
			FUZZ_ASSERT(err == KIST_OK || err == KIST_E_IO || err == KIST_E_NOSPACE ||
			            err == KIST_E_NOMEM);
			if (err == KIST_OK) {
				kist_parity *again = NULL;
				FUZZ_ASSERT(kist_parity_open(&again, vault, side) == KIST_OK);
				FUZZ_ASSERT(kist_parity_check(again, NULL, NULL) == KIST_OK);
				kist_parity_get_info(again, &in);
				FUZZ_ASSERT(!in.vault_damaged && !in.parity_damaged);
				kist_parity_free(again);
			}
		}
	}
	kist_parity_free(pp);
	return 0;
}
