/*
 * The part-set vectors (tests/vectors/parts/, written by gen_parts.py):
 *
 *   valid/SET/v.NNN, set.expect   a set that checks intact and joins to the
 *                                 vault it names; with parity, every part
 *                                 lost in turn is rebuilt byte for byte;
 *                                 without, a lost part is not repairable
 *   malformed/NAME.part, .expect  one part refused for its named reason
 *                                 (expect: format|corrupt; reason: text
 *                                 the error detail must contain)
 *
 *   parity/valid.parity, .expect  the parity file of the vault it names,
 *                                 intact; a writer gives the same bytes
 *   parity/malformed/NAME.parity  refused for its reason (expect: format|
 *                                 corrupt), or (expect: repair) damaged in
 *                                 one copy and rebuilt to valid.parity
 *
 *   test_part_vectors VECTORS_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kist.h"

static int failures, checks;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		checks++;                                                                          \
		if (!(cond)) {                                                                     \
			failures++;                                                                \
			printf("not ok: ");                                                        \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
		}                                                                                  \
	} while (0)

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *b = NULL;
	long n;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)n + 1)) != NULL && fread(b, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* The value of "key: value" in an .expect file, or "" (static buffer). */
static const char *expect_get(const char *path, const char *key)
{
	static char val[512];
	char line[600];
	size_t kl = strlen(key);
	FILE *f = fopen(path, "r");
	val[0] = '\0';
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, kl) == 0 && line[kl] == ':' && line[kl + 1] == ' ') {
			snprintf(val, sizeof val, "%s", line + kl + 2);
			val[strcspn(val, "\n")] = '\0';
			break;
		}
	}
	if (f != NULL)
		fclose(f);
	return val;
}

/* A whole number 0..255 from an .expect line; 256 (refused) if it is anything else. */
static unsigned count_of(const char *path, const char *key)
{
	const char *v = expect_get(path, key);
	char *end;
	unsigned long n = strtoul(v, &end, 10);
	return (*v >= '0' && *v <= '9' && *end == '\0' && n <= 255) ? (unsigned)n : 256;
}

static int same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
	int same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static void copy_file(const char *from, const char *to)
{
	size_t n = 0;
	unsigned char *b = slurp(from, &n);
	FILE *f = fopen(to, "wb");
	if (b == NULL || f == NULL || fwrite(b, 1, n, f) != n) {
		fprintf(stderr, "cannot copy %s\n", from);
		exit(1);
	}
	fclose(f);
	free(b);
}

/* Every part but `skip` copied into a fresh folder; returns its path. */
static char *copy_set(const char *dir, unsigned nparts, unsigned skip)
{
	char tmpl[] = "/tmp/kist-partvec.XXXXXX", from[4096], to[4096];
	char *d = mkdtemp(tmpl);
	if (d == NULL)
		exit(1);
	d = strdup(d);
	for (unsigned p = 1; p <= nparts; p++) {
		if (p == skip)
			continue;
		snprintf(from, sizeof from, "%s/v.%03u", dir, p);
		snprintf(to, sizeof to, "%s/v.%03u", d, p);
		copy_file(from, to);
	}
	return d;
}

static void remove_set(char *d)
{
	DIR *dd = opendir(d);
	struct dirent *de;
	char p[4096];
	while (dd != NULL && (de = readdir(dd)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", d, de->d_name);
		unlink(p);
	}
	if (dd != NULL)
		closedir(dd);
	rmdir(d);
	free(d);
}

static void valid_set(const char *root, const char *name)
{
	char dir[2048], expect[4096], vault[4096], first[4096], joined[4096];
	snprintf(dir, sizeof dir, "%s/parts/valid/%s", root, name);
	snprintf(expect, sizeof expect, "%s/set.expect", dir);
	snprintf(vault, sizeof vault, "%s/%s", root, expect_get(expect, "vault"));
	unsigned nparts = count_of(expect, "parts"), parity = count_of(expect, "parity");
	CHECK(nparts >= 1 && nparts <= 255 && parity < nparts, "%s: parts and parity in set.expect",
	      name);
	if (nparts < 1 || nparts > 255 || parity >= nparts)
		return;
	kist_partset *ps = NULL;

	snprintf(first, sizeof first, "%s/v.001", dir);
	const char *paths[] = {first};
	kist_err e = kist_partset_open(&ps, paths, 1, 1);
	CHECK(e == KIST_OK, "%s: opens (%s)", name, kist_errdetail());
	if (e != KIST_OK)
		return;
	CHECK(kist_partset_count(ps) == nparts, "%s: %u parts", name, nparts);
	CHECK(kist_partset_count(ps) - kist_partset_data_count(ps) == parity, "%s: %u parity", name,
	      parity);
	CHECK(kist_partset_check(ps, NULL, NULL) == KIST_OK, "%s: checks", name);
	for (unsigned p = 1; p <= nparts; p++) {
		kist_part_status st;
		kist_partset_status(ps, p, &st);
		CHECK(st.state == KIST_PART_OK, "%s: part %u intact", name, p);
	}
	char *tmp = copy_set(dir, 0, 0);
	snprintf(joined, sizeof joined, "%s/joined", tmp);
	CHECK(kist_partset_join(ps, joined, 0) == KIST_OK, "%s: joins", name);
	CHECK(same_file(joined, vault), "%s: joins to %s", name, vault);
	remove_set(tmp);
	kist_partset_free(ps);

	/* Each part lost in turn. */
	for (unsigned lost = 1; lost <= nparts; lost++) {
		char *d = copy_set(dir, nparts, lost), any[4096], want[4096], got[4096];
		snprintf(any, sizeof any, "%s/v.%03u", d, lost == 1 ? 2 : 1);
		const char *p1[] = {any};
		CHECK(kist_partset_open(&ps, p1, 1, 1) == KIST_OK, "%s: opens without part %u",
		      name, lost);
		CHECK(kist_partset_check(ps, NULL, NULL) == KIST_OK, "%s: checks without part %u",
		      name, lost);
		int can = parity > 0 && kist_parts_have_parity();
		if (parity == 0 || can)
			CHECK(kist_partset_repairable(ps) == (parity > 0),
			      "%s: without part %u, repairable is %d", name, lost, parity > 0);
		if (can) {
			CHECK(kist_partset_repair(ps, NULL, 0, NULL, NULL) == KIST_OK,
			      "%s: part %u rebuilt (%s)", name, lost, kist_errdetail());
			snprintf(want, sizeof want, "%s/v.%03u", dir, lost);
			snprintf(got, sizeof got, "%s/v.%03u", d, lost);
			CHECK(same_file(want, got), "%s: part %u rebuilt byte for byte", name,
			      lost);
		}
		kist_partset_free(ps);
		remove_set(d);
	}
}

static void malformed(const char *root, const char *file)
{
	char path[4096], expect[4096], want_reason[512];
	snprintf(path, sizeof path, "%s/parts/malformed/%s", root, file);
	snprintf(expect, sizeof expect, "%s/parts/malformed/%.*s.expect", root,
	         (int)(strlen(file) - 5), file);
	const char *kind = expect_get(expect, "expect");
	kist_err want = strcmp(kind, "format") == 0    ? KIST_E_FORMAT
	                : strcmp(kind, "corrupt") == 0 ? KIST_E_CORRUPT
	                                               : KIST_OK;
	snprintf(want_reason, sizeof want_reason, "%s", expect_get(expect, "reason"));
	CHECK(want != KIST_OK && want_reason[0] != '\0', "%s: expect and reason given", file);
	kist_partset *ps = NULL;
	const char *paths[] = {path};
	kist_err e = kist_partset_open(&ps, paths, 1, 0);
	CHECK(e == want && strstr(kist_errdetail(), want_reason) != NULL,
	      "%s: refused as %s, \"%s\" (got %d, \"%s\")", file, kind, want_reason, e,
	      kist_errdetail());
	kist_partset_free(ps);
}

/* ---- parity files */

static void parity_valid(const char *root)
{
	char side[4096], expect[4096], vault[4096], out[4096];
	kist_parity *pp = NULL;
	kist_parity_info in;
	snprintf(side, sizeof side, "%s/parts/parity/valid.parity", root);
	snprintf(expect, sizeof expect, "%s/parts/parity/valid.expect", root);
	snprintf(vault, sizeof vault, "%s/%s", root, expect_get(expect, "vault"));
	unsigned percent = count_of(expect, "percent");
	kist_err e = kist_parity_open(&pp, vault, side);
	CHECK(e == KIST_OK, "valid.parity: opens (%s)", kist_errdetail());
	if (e != KIST_OK)
		return;
	CHECK(kist_parity_check(pp, NULL, NULL) == KIST_OK, "valid.parity: checks");
	kist_parity_get_info(pp, &in);
	CHECK(!in.vault_damaged && !in.parity_damaged, "valid.parity: intact");
	kist_parity_free(pp);
	if (!kist_parts_have_parity())
		return;
	char *d = copy_set(side, 0, 0); /* an empty folder */
	snprintf(out, sizeof out, "%s/again.parity", d);
	CHECK(percent >= 1 && percent <= 100 &&
	          kist_parity_write(vault, out, percent, 0) == KIST_OK,
	      "valid.parity: written again (%s)", kist_errdetail());
	CHECK(same_file(side, out), "valid.parity: a writer gives the same bytes");
	remove_set(d);
}

static void parity_malformed(const char *root, const char *file)
{
	char path[4096], expect[4096], vault[4096], valid[4096], copy[4096];
	snprintf(path, sizeof path, "%s/parts/parity/malformed/%s", root, file);
	snprintf(expect, sizeof expect, "%s/parts/parity/malformed/%.*s.expect", root,
	         (int)(strlen(file) - 7), file);
	snprintf(valid, sizeof valid, "%s/parts/parity/valid.expect", root);
	snprintf(vault, sizeof vault, "%s/%s", root, expect_get(valid, "vault"));
	snprintf(valid, sizeof valid, "%s/parts/parity/valid.parity", root);
	const char *kind = expect_get(expect, "expect");
	kist_parity *pp = NULL;
	kist_parity_info in;
	if (strcmp(kind, "repair") == 0) {
		char *d = copy_set(path, 0, 0);
		snprintf(copy, sizeof copy, "%s/v.parity", d);
		copy_file(path, copy);
		kist_err e = kist_parity_open(&pp, vault, copy);
		CHECK(e == KIST_OK, "%s: opens from its intact copies (%s)", file,
		      kist_errdetail());
		if (e == KIST_OK) {
			CHECK(kist_parity_check(pp, NULL, NULL) == KIST_OK, "%s: checks", file);
			kist_parity_get_info(pp, &in);
			CHECK(in.parity_damaged && !in.vault_damaged && in.repairable,
			      "%s: the parity file damaged, repairable", file);
			if (kist_parts_have_parity()) {
				CHECK(kist_parity_repair(pp, NULL, 0, NULL, NULL) == KIST_OK,
				      "%s: repaired (%s)", file, kist_errdetail());
				CHECK(same_file(copy, valid), "%s: rebuilt to valid.parity", file);
			}
		}
		kist_parity_free(pp);
		unlink(copy);
		remove_set(d);
		return;
	}
	kist_err want = strcmp(kind, "format") == 0    ? KIST_E_FORMAT
	                : strcmp(kind, "corrupt") == 0 ? KIST_E_CORRUPT
	                                               : KIST_OK;
	char reason[512];
	snprintf(reason, sizeof reason, "%s", expect_get(expect, "reason"));
	CHECK(want != KIST_OK && reason[0] != '\0', "%s: expect and reason given", file);
	kist_err e = kist_parity_open(&pp, vault, path);
	CHECK(e == want && strstr(kist_errdetail(), reason) != NULL,
	      "%s: refused as %s, \"%s\" (got %d, \"%s\")", file, kind, reason, e,
	      kist_errdetail());
	kist_parity_free(pp);
}

static int parity_vectors(const char *root)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int n = 0;
	parity_valid(root);
	snprintf(dir, sizeof dir, "%s/parts/parity/malformed", root);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len > 7 && strcmp(de->d_name + len - 7, ".parity") == 0 && ++n)
			parity_malformed(root, de->d_name);
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int sets = 0, bad = 0;
	if (argc != 2 || kist_init() != KIST_OK) {
		fprintf(stderr, "usage: test_part_vectors VECTORS_DIR\n");
		return 2;
	}
	snprintf(dir, sizeof dir, "%s/parts/valid", argv[1]);
	if ((d = opendir(dir)) == NULL)
		return fprintf(stderr, "%s: missing\n", dir), 1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strchr(de->d_name, '.') == NULL && ++sets)
			valid_set(argv[1], de->d_name);
	closedir(d);
	snprintf(dir, sizeof dir, "%s/parts/malformed", argv[1]);
	if ((d = opendir(dir)) == NULL)
		return fprintf(stderr, "%s: missing\n", dir), 1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n > 5 && strcmp(de->d_name + n - 5, ".part") == 0 && ++bad)
			malformed(argv[1], de->d_name);
	}
	closedir(d);
	int pbad = parity_vectors(argv[1]);
	CHECK(sets >= 2 && bad >= 10 && pbad >= 10,
	      "vectors found (%d valid sets, %d malformed parts, %d parity files)", sets, bad,
	      pbad);
	printf("%d of %d checks failed (%d valid sets, %d malformed parts, %d parity files)\n",
	       failures, checks, sets, bad, pbad);
	return failures ? 1 : 0;
}
