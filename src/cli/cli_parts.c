/*
 * kist split, join, repair, and verify of a part: part sets (kist.h, "part
 * sets").  None needs a key.
 */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"", 1},
	             {"K", 1ull << 10},
	             {"KiB", 1ull << 10},
	             {"KB", 1000ull},
	             {"M", 1ull << 20},
	             {"MiB", 1ull << 20},
	             {"MB", 1000000ull},
	             {"G", 1ull << 30},
	             {"GiB", 1ull << 30},
	             {"GB", 1000000000ull},
	             {"T", 1ull << 40},
	             {"TiB", 1ull << 40},
	             {"TB", 1000000000000ull}};
	uint64_t v = 0;
	const char *p = s;
	if (s == NULL || *p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v == 0 || v > UINT64_MAX / units[i].mult)
			return -1;
		*out = v * units[i].mult;
		return 0;
	}
	return -1;
}

int cmd_split(const cli_args *a)
{
	uint64_t size;
	unsigned parity = 0, n = 0;
	const char *par = cli_get(a, "parity");
	if (a->npos != 2) {
		cli_usage_error("split", "usage: kist split [-o BASE] [--parity N] VAULT SIZE");
		return EXIT_USAGE;
	}
	if (cli_parse_size(a->pos[1], &size) != 0) {
		cli_usage_error("split", "SIZE must be a number of bytes with K, M, G or T "
		                         "(binary) or KB, MB, GB, TB (decimal): 95M, 2G, 4000M");
		return EXIT_USAGE;
	}
	if (par != NULL && cli_parse_count(par, 254, &parity) != 0) {
		cli_usage_error("split", "--parity takes a number of parity parts, 1 to 254");
		return EXIT_USAGE;
	}
	const char *base = cli_get(a, "output") ? cli_get(a, "output") : a->pos[0];
	kist_err err =
	    kist_split(a->pos[0], base, size, parity, cli_count(a, "force") ? KIST_REPLACE : 0, &n);
	if (err == KIST_E_ARG) { /* the part size or parity given */
		cli_fail(a->pos[0], err);
		return EXIT_USAGE;
	}
	if (err != KIST_OK)
		return cli_fail(a->pos[0], err);
	if (!cli_quiet) {
		char first[64];
		snprintf(first, sizeof first, n > 999 ? ".0001" : ".001");
		fprintf(stderr, "kist: wrote %u part%s (", n, n == 1 ? "" : "s");
		cli_put_safe(stderr, base, strlen(base), CLI_SAFE_BACKSLASH);
		fprintf(stderr, "%s ...), %u of them parity\n", first, parity);
	}
	return EXIT_OK;
}

static int open_set(const cli_args *a, kist_partset **ps)
{
	kist_err err = kist_partset_open(ps, a->pos, a->npos, 1);
	if (err == KIST_E_ARG) { /* parts of two sets given */
		cli_fail(NULL, err);
		return EXIT_USAGE;
	}
	if (err != KIST_OK)
		return cli_fail(a->npos == 1 ? a->pos[0] : NULL, err);
	for (size_t i = 0; !cli_quiet && i < kist_partset_unusable_count(*ps); i++)
		cli_warn(NULL, kist_partset_unusable(*ps, i), "ignored");
	return EXIT_OK;
}

static int check_set(kist_partset *ps)
{
	cli_progress pr;
	cli_progress_init(&pr, "checking");
	kist_err err = kist_partset_check(ps, cli_progress_cb, &pr);
	cli_progress_end(&pr);
	return err == KIST_OK ? EXIT_OK : cli_fail(NULL, err);
}

static void count_states(const kist_partset *ps, unsigned *missing, unsigned *damaged)
{
	*missing = *damaged = 0;
	for (unsigned p = 1; p <= kist_partset_count(ps); p++) {
		kist_part_status st;
		kist_partset_status(ps, p, &st);
		*missing += st.state == KIST_PART_MISSING;
		*damaged += st.state == KIST_PART_DAMAGED;
	}
}

static int report_json(const kist_partset *ps, int repairable)
{
	json_t *j = json_object(), *parts = json_array();
	unsigned missing, damaged;
	count_states(ps, &missing, &damaged);
	if (j == NULL || parts == NULL || json_object_set_new(j, "version", json_integer(1)) ||
	    json_object_set_new(j, "data_parts", json_integer(kist_partset_data_count(ps))) ||
	    json_object_set_new(
	        j, "parity_parts",
	        json_integer(kist_partset_count(ps) - kist_partset_data_count(ps))) ||
	    json_object_set_new(j, "vault_size",
	                        json_integer((json_int_t)kist_partset_vault_size(ps))) ||
	    json_object_set_new(j, "missing", json_integer(missing)) ||
	    json_object_set_new(j, "damaged", json_integer(damaged)) ||
	    json_object_set_new(j, "repairable", json_boolean(repairable)) ||
	    json_object_set(j, "parts", parts)) {
		json_decref(parts);
		json_decref(j);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	json_decref(parts);
	for (unsigned p = 1; p <= kist_partset_count(ps); p++) {
		static const char *const names[] = {"ok", "damaged", "missing"};
		kist_part_status st;
		json_t *o = json_object();
		kist_partset_status(ps, p, &st);
		if (o == NULL || json_array_append_new(parts, o) ||
		    json_object_set_new(o, "number", json_integer(p)) ||
		    json_object_set_new(o, "parity", json_boolean(st.parity)) ||
		    json_object_set_new(o, "state", json_string(names[st.state])) ||
		    json_object_set_new(o, "bad_blocks", json_integer((json_int_t)st.bad_blocks)) ||
		    (st.path ? cli_json_set_name(o, "path", st.path)
		             : json_object_set_new(o, "path", json_null()))) {
			json_decref(j);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
	}
	return cli_json_print(j);
}

static void report_text(const kist_partset *ps, int repairable)
{
	unsigned k = kist_partset_data_count(ps), total = kist_partset_count(ps);
	unsigned missing, damaged;
	char h[32];
	count_states(ps, &missing, &damaged);
	cli_human_size(h, sizeof h, kist_partset_vault_size(ps));
	printf("part set:  %u data part%s, %u parity, vault of %s\n", k, k == 1 ? "" : "s",
	       total - k, h);
	for (unsigned p = 1; p <= total; p++) {
		kist_part_status st;
		kist_partset_status(ps, p, &st);
		printf("part %3u%s  ", p, st.parity ? " (parity)" : "");
		if (st.state == KIST_PART_MISSING)
			printf("MISSING\n");
		else {
			if (st.state == KIST_PART_DAMAGED && st.bad_blocks > 0)
				printf("DAMAGED (%llu block%s)  ",
				       (unsigned long long)st.bad_blocks,
				       st.bad_blocks == 1 ? "" : "s");
			else if (st.state == KIST_PART_DAMAGED)
				printf("DAMAGED (header or manifest)  ");
			else
				printf("ok  ");
			cli_print_path(st.path);
			printf("\n");
		}
	}
	if (missing + damaged == 0)
		printf("Result: INTACT (every block matches; kist join makes the vault)\n");
	else
		printf("Result: %u missing, %u damaged: %s\n", missing, damaged,
		       repairable ? "kist repair can rebuild them"
		                  : "too much is lost for the parity parts to rebuild");
}

/* kist verify on a part: the keyless check of its whole set. */
int cli_parts_verify(const cli_args *a)
{
	kist_partset *ps = NULL;
	unsigned missing, damaged;
	int rc;
	if ((rc = open_set(a, &ps)) != EXIT_OK || (rc = check_set(ps)) != EXIT_OK) {
		kist_partset_free(ps);
		return rc;
	}
	int repairable = kist_partset_repairable(ps);
	if (cli_count(a, "json"))
		rc = report_json(ps, repairable);
	else
		report_text(ps, repairable);
	count_states(ps, &missing, &damaged);
	kist_partset_free(ps);
	if (rc == EXIT_OK && missing + damaged > 0)
		rc = EXIT_INTEGRITY;
	return rc;
}

int cmd_join(const cli_args *a)
{
	kist_partset *ps = NULL;
	const char *out = cli_get(a, "output");
	int rc;
	if (a->npos < 1 || out == NULL) {
		cli_usage_error("join", "usage: kist join -o VAULT PART...");
		return EXIT_USAGE;
	}
	if ((rc = open_set(a, &ps)) != EXIT_OK)
		return rc;
	kist_err err = kist_partset_join(ps, out, cli_count(a, "force") ? KIST_REPLACE : 0);
	if (err != KIST_OK)
		rc = cli_fail(out, err);
	else if (!cli_quiet) {
		fprintf(stderr, "kist: joined %u part%s into ", kist_partset_data_count(ps),
		        kist_partset_data_count(ps) == 1 ? "" : "s");
		cli_put_safe(stderr, out, strlen(out), CLI_SAFE_BACKSLASH);
		fprintf(stderr, "\n");
	}
	kist_partset_free(ps);
	return rc;
}

static void repaired(void *ctx, const char *path, const char *what)
{
	(void)ctx;
	if (cli_quiet)
		return;
	fprintf(stderr, "kist: %s ", what);
	cli_put_safe(stderr, path, strlen(path), CLI_SAFE_BACKSLASH);
	fprintf(stderr, "\n");
}

int cmd_repair(const cli_args *a)
{
	kist_partset *ps = NULL;
	unsigned missing, damaged;
	char vault[4096 + 8], side[4096 + 8];
	int rc;
	if (a->npos < 1) {
		cli_usage_error("repair", "usage: kist repair [-o DIR] PART... | VAULT");
		return EXIT_USAGE;
	}
	/* A vault with its parity file beside it (or the parity file named). */
	if (a->npos == 1 && (rc = cli_parity_pair(a->pos[0], vault, side, sizeof vault)) != 0)
		return rc < 0 ? EXIT_USAGE : cli_parity_repair(a, vault, side);
	if (a->npos == 1 && !kist_is_part(a->pos[0]) && kist__os_exists(a->pos[0])) {
		cli_error(a->pos[0],
		          "is not a part, and has no parity file (VAULT.parity) beside it: nothing "
		          "can rebuild it");
		return EXIT_INTEGRITY;
	}
	if ((rc = open_set(a, &ps)) != EXIT_OK || (rc = check_set(ps)) != EXIT_OK) {
		kist_partset_free(ps);
		return rc;
	}
	count_states(ps, &missing, &damaged);
	if (missing + damaged == 0) {
		if (!cli_quiet)
			fprintf(stderr, "kist: every part is intact; nothing to repair\n");
	} else {
		kist_err err =
		    kist_partset_repair(ps, cli_get(a, "output"),
		                        cli_count(a, "force") ? KIST_REPLACE : 0, repaired, NULL);
		if (err != KIST_OK)
			rc = cli_fail(NULL, err);
	}
	kist_partset_free(ps);
	return rc;
}

/* ------------------------------------------------- parity of a whole vault */

int cli_parse_percent(const char *s, unsigned *out)
{
	size_t n = s != NULL ? strlen(s) : 0;
	char num[8];
	if (n < 2 || n > 4 || s[n - 1] != '%')
		return -1;
	memcpy(num, s, n - 1);
	num[n - 1] = '\0';
	if (cli_parse_count(num, 100, out) != 0 || *out == 0)
		return -1;
	return 0;
}

/*
 * The vault and its parity file from what was named: a parity file (the
 * vault is its name without ".parity"), or a vault with VAULT.parity beside
 * it.  1 if there is a pair, 0 if not (nothing printed), -1 if a parity
 * file was named that does not end in .parity (one line printed).
 */
int cli_parity_pair(const char *arg, char *vault, char *side, size_t cap)
{
	size_t n = strlen(arg);
	kist__os_stat st;
	if (kist_is_parity(arg)) {
		if (n <= 7 || strcmp(arg + n - 7, ".parity") != 0 || n - 7 >= cap) {
			cli_error(arg, "a parity file is named VAULT.parity, beside its VAULT: "
			               "rename it so");
			return -1;
		}
		snprintf(vault, cap, "%.*s", (int)(n - 7), arg);
		snprintf(side, cap, "%s", arg);
		return 1;
	}
	if (n + 8 > cap || kist_is_part(arg))
		return 0;
	snprintf(vault, cap, "%s", arg);
	snprintf(side, cap, "%s.parity", arg);
	return kist__os_fstatat(KIST__OS_CWD, side, &st, KIST__OS_STAT_NOFOLLOW) == 0;
}

static int parity_open(const char *vault, const char *side, kist_parity **pp)
{
	kist_err err = kist_parity_open(pp, vault, side);
	cli_progress pr;
	if (err != KIST_OK)
		return cli_fail(NULL, err);
	cli_progress_init(&pr, "checking");
	err = kist_parity_check(*pp, cli_progress_cb, &pr);
	cli_progress_end(&pr);
	if (err != KIST_OK) {
		kist_parity_free(*pp);
		*pp = NULL;
		return cli_fail(NULL, err);
	}
	return EXIT_OK;
}

#define RANGES_SHOWN 20
#define RANGES_JSON  1000

static int parity_json(const kist_parity *pp, const char *vault, const char *side)
{
	kist_parity_info in;
	json_t *j = json_object(), *rs = json_array();
	size_t nr = kist_parity_range_count(pp);
	kist_parity_get_info(pp, &in);
	if (j == NULL || rs == NULL || json_object_set_new(j, "version", json_integer(1)) ||
	    cli_json_set_name(j, "vault", vault) || cli_json_set_name(j, "parity_file", side) ||
	    json_object_set_new(j, "vault_size", json_integer((json_int_t)in.vault_size)) ||
	    json_object_set_new(j, "vault_file_size",
	                        json_integer((json_int_t)in.vault_file_size)) ||
	    json_object_set_new(j, "columns", json_integer(in.columns)) ||
	    json_object_set_new(j, "parity_parts", json_integer(in.parity)) ||
	    json_object_set_new(j, "block_size", json_integer(in.block)) ||
	    json_object_set_new(j, "column_size", json_integer((json_int_t)in.column_len)) ||
	    json_object_set_new(j, "vault_state",
	                        json_string(in.vault_damaged ? "damaged" : "ok")) ||
	    json_object_set_new(j, "parity_state",
	                        json_string(in.parity_damaged ? "damaged" : "ok")) ||
	    json_object_set_new(j, "bad_vault_blocks",
	                        json_integer((json_int_t)in.bad_vault_blocks)) ||
	    json_object_set_new(j, "bad_parity_blocks",
	                        json_integer((json_int_t)in.bad_parity_blocks)) ||
	    json_object_set_new(j, "damaged_stripes", json_integer((json_int_t)in.bad_stripes)) ||
	    json_object_set_new(j, "damaged_range_count", json_integer((json_int_t)nr)) ||
	    json_object_set(j, "damaged_ranges", rs) ||
	    json_object_set_new(j, "repairable", json_boolean(in.repairable))) {
		json_decref(rs);
		json_decref(j);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	json_decref(rs);
	for (size_t i = 0; i < nr && i < RANGES_JSON; i++) {
		uint64_t off, len;
		json_t *o = json_object();
		kist_parity_range(pp, i, &off, &len);
		if (o == NULL || json_array_append_new(rs, o) ||
		    json_object_set_new(o, "offset", json_integer((json_int_t)off)) ||
		    json_object_set_new(o, "length", json_integer((json_int_t)len))) {
			json_decref(j);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
	}
	return cli_json_print(j);
}

static void parity_text(const kist_parity *pp, const char *vault, const char *side)
{
	kist_parity_info in;
	char h[32];
	size_t nr = kist_parity_range_count(pp);
	kist_parity_get_info(pp, &in);
	cli_human_size(h, sizeof h, in.vault_size);
	printf("vault:        ");
	cli_print_path(vault);
	printf(" (%s), read as %u column%s, blocks of %u bytes\n", h, in.columns,
	       in.columns == 1 ? "" : "s", (unsigned)in.block);
	printf("parity file:  ");
	cli_print_path(side);
	printf(" (%u parity part%s: any %u block%s of a stripe can be rebuilt)\n", in.parity,
	       in.parity == 1 ? "" : "s", in.parity, in.parity == 1 ? "" : "s");
	if (!in.vault_damaged)
		printf("vault state:  ok\n");
	else {
		printf("vault state:  DAMAGED: %llu block%s in %zu range%s\n",
		       (unsigned long long)in.bad_vault_blocks, in.bad_vault_blocks == 1 ? "" : "s",
		       nr, nr == 1 ? "" : "s");
		if (in.vault_file_size != in.vault_size)
			printf("  size %llu bytes, written as %llu\n",
			       (unsigned long long)in.vault_file_size,
			       (unsigned long long)in.vault_size);
		for (size_t i = 0; i < nr && i < RANGES_SHOWN; i++) {
			uint64_t off, len;
			kist_parity_range(pp, i, &off, &len);
			printf("  bytes %llu to %llu (%llu bytes)\n", (unsigned long long)off,
			       (unsigned long long)(off + len - 1), (unsigned long long)len);
		}
		if (nr > RANGES_SHOWN)
			printf("  ... and %zu more ranges\n", nr - RANGES_SHOWN);
	}
	if (!in.parity_damaged)
		printf("parity state: ok\n");
	else if (in.bad_parity_blocks > 0)
		printf("parity state: DAMAGED (%llu block%s)\n",
		       (unsigned long long)in.bad_parity_blocks,
		       in.bad_parity_blocks == 1 ? "" : "s");
	else
		printf("parity state: DAMAGED (a header or manifest copy, or its size)\n");
	if (!in.vault_damaged && !in.parity_damaged)
		printf("Result: INTACT (every block matches the parity file)\n");
	else if (in.repairable)
		printf("Result: %llu damaged stripe%s: kist repair can rebuild %s byte for byte\n",
		       (unsigned long long)in.bad_stripes, in.bad_stripes == 1 ? "" : "s",
		       in.vault_damaged && in.parity_damaged ? "both files"
		       : in.vault_damaged                    ? "the vault"
		                                             : "the parity file");
	else
		printf("Result: NOT REPAIRABLE: a stripe lost %u blocks; the parity rebuilds %u\n",
		       in.worst_stripe, in.parity);
}

/* kist verify VAULT with VAULT.parity beside it (or of VAULT.parity): the
 * keyless check of both.  With report 0, prints only if damaged. */
int cli_parity_verify(const cli_args *a, const char *vault, const char *side, int report)
{
	kist_parity *pp = NULL;
	kist_parity_info in;
	int rc = parity_open(vault, side, &pp);
	if (rc != EXIT_OK)
		return rc;
	kist_parity_get_info(pp, &in);
	int bad = in.vault_damaged || in.parity_damaged;
	if (report || bad) {
		if (cli_count(a, "json"))
			rc = parity_json(pp, vault, side);
		else
			parity_text(pp, vault, side);
	} else if (!cli_count(a, "json")) {
		printf("Parity:      ");
		cli_print_path(side);
		printf(" intact (%u parity parts over %u columns)\n", in.parity, in.columns);
	}
	kist_parity_free(pp);
	return rc == EXIT_OK && bad ? EXIT_INTEGRITY : rc;
}

int cli_parity_repair(const cli_args *a, const char *vault, const char *side)
{
	kist_parity *pp = NULL;
	kist_parity_info in;
	int rc = parity_open(vault, side, &pp);
	if (rc != EXIT_OK)
		return rc;
	kist_parity_get_info(pp, &in);
	if (!in.vault_damaged && !in.parity_damaged) {
		if (!cli_quiet)
			fprintf(stderr,
			        "kist: the vault and its parity file are intact; nothing to "
			        "repair\n");
	} else {
		kist_err err =
		    kist_parity_repair(pp, cli_get(a, "output"),
		                       cli_count(a, "force") ? KIST_REPLACE : 0, repaired, NULL);
		if (err != KIST_OK)
			rc = cli_fail_hint(NULL, err, KIST_E_EXISTS,
			                   "with -o DIR, --force replaces it");
	}
	kist_parity_free(pp);
	return rc;
}

int cmd_parity_add(const cli_args *a)
{
	unsigned percent = 5;
	const char *par = cli_get(a, "parity");
	char side[4096 + 8];
	if (a->npos != 1) {
		cli_usage_error("parity add", "usage: kist parity add [--parity P%%] VAULT");
		return EXIT_USAGE;
	}
	if (par != NULL && cli_parse_percent(par, &percent) != 0) {
		cli_usage_error("parity add", "--parity takes a percentage, 1%% to 100%%: 5%%");
		return EXIT_USAGE;
	}
	if (kist_is_part(a->pos[0]) || kist_is_parity(a->pos[0])) {
		cli_error(a->pos[0], "is a part or a parity file, not a whole vault (a part set "
		                     "has its parity parts: kist split --parity N)");
		return EXIT_USAGE;
	}
	if (snprintf(side, sizeof side, "%s.parity", a->pos[0]) >= (int)sizeof side) {
		cli_usage_error("parity add", "the vault's name is too long");
		return EXIT_USAGE;
	}
	kist_err err =
	    kist_parity_write(a->pos[0], side, percent, cli_count(a, "force") ? KIST_REPLACE : 0);
	if (err != KIST_OK)
		return cli_fail_hint(a->pos[0], err, KIST_E_EXISTS, "use --force to replace it");
	if (!cli_quiet) {
		fprintf(stderr, "kist: wrote ");
		cli_put_safe(stderr, side, strlen(side), CLI_SAFE_BACKSLASH);
		fprintf(stderr, " (%u%% parity)\n", percent);
	}
	return EXIT_OK;
}
