/* kist seal. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include <sodium.h>

/* The recipients as sealed (duplicates dropped, as the library does), for the summary. */
typedef struct recips {
	kist_pubkey *k;
	size_t n;
} recips;

static int recips_add(recips *r, kist_sealer *s, const kist_pubkey *pk)
{
	kist_err err = kist_sealer_add_recipient(s, pk);
	if (err != KIST_OK)
		return cli_fail(NULL, err);
	for (size_t i = 0; i < r->n; i++)
		if (sodium_memcmp(r->k[i].x25519, pk->x25519, 32) == 0)
			return EXIT_OK;
	r->k[r->n++] = *pk; /* the library refused more than it can hold */
	return EXIT_OK;
}

/*
 * The summary on stderr: what was sealed, for whom (every recipient's
 * fingerprint), whether the sealer can reopen it, and the file's SHA-256.
 */
static void print_summary(kist_sealer *s, const char *out, const recips *r,
                          const kist_identity *signer, const kist_pubkey *signer_pk)
{
	uint64_t entries, bytes, vbytes;
	char h1[32], h2[32], f[CLI_FPR_LABEL_MAX], hex[65];
	unsigned char sha[32];
	int self = 0;

	kist_sealer_stats(s, &entries, &bytes, &vbytes);
	cli_human_size(h1, sizeof h1, bytes);
	cli_human_size(h2, sizeof h2, vbytes);
	if (signer)
		cli_fpr_label(f, sizeof f, signer_pk);
	fprintf(stderr, "kist: sealed %llu %s (%s) into %s (%s), %s%s\n",
	        (unsigned long long)entries, cli_plural(entries, "entry", "entries"), h1, out, h2,
	        signer ? "signed by " : "unsigned", signer ? f : "");
	fprintf(stderr, "kist: for %zu %s:", r->n, cli_plural(r->n, "recipient", "recipients"));
	for (size_t i = 0; i < r->n; i++) {
		cli_fpr_label(f, sizeof f, &r->k[i]);
		int is_self = signer && sodium_memcmp(r->k[i].x25519, signer_pk->x25519, 32) == 0;
		self |= is_self;
		fprintf(stderr, "%s %s%s%s", i ? "," : "", f,
		        r->k[i].kind == KIST_PUBKEY_AGE ? " (age)" : "",
		        is_self ? " (the sealer)" : "");
	}
	fputc('\n', stderr);
	kist_sealer_file_sha256(s, sha);
	sodium_bin2hex(hex, sizeof hex, sha, sizeof sha);
	fprintf(stderr, "kist: SHA-256 of %s: %s (send it by another channel)\n", out, hex);
	if (self && r->n == 1)
		fprintf(stderr,
		        "kist: WARNING: the sealer's own key (-s) is the ONLY recipient: nobody "
		        "else can open %s, and this laptop can reopen it\n",
		        out);
	else if (self)
		fprintf(stderr,
		        "kist: warning: the sealer's own key (-s) is a recipient: this laptop can "
		        "reopen %s\n",
		        out);
	else if (signer != NULL)
		fprintf(stderr,
		        "kist: note: the sealer (-s) is not a recipient: that identity cannot "
		        "reopen %s\n",
		        out);
	else
		fprintf(stderr,
		        "kist: note: only the listed recipients can open %s; sealing does not make "
		        "you one\n",
		        out);
}

/* How paths were stored, on stderr: by each input's last name, or relative to --base. */
static void print_stored_as(const kist_sealer *s, const char *base)
{
	char e[256];
	if (base != NULL) {
		cli_escape(e, sizeof e, base);
		fprintf(stderr, "kist: paths stored relative to %s\n", e);
		return;
	}
	size_t n = kist_sealer_input_count(s);
	fprintf(stderr, "kist: paths stored under each input's last name, not the folders above:");
	for (size_t i = 0; i < n && i < 5; i++) {
		const char *r = kist_sealer_input_stored(s, i);
		cli_escape(e, sizeof e, r);
		fprintf(stderr, "%s %s%s", i ? "," : "", r[0] ? e : "(a folder's contents)",
		        r[0] ? "/..." : "");
	}
	fprintf(stderr, "%s\n", n > 5 ? ", ..." : "");
}

/* "kist: PREFIXpath: why" on stderr, the path escaped as everywhere. */
static void put_problem(const char *prefix, const char *path, const char *why)
{
	cli_progress_clear();
	fprintf(stderr, "kist: %s", prefix);
	cli_put_safe(stderr, path, strlen(path), CLI_SAFE_BACKSLASH);
	fputs(": ", stderr);
	cli_put_safe(stderr, why, strlen(why), 0);
	fputc('\n', stderr);
}

/* The library's problem callback: each path that stops the seal, as it is
 * found; what --skip-unreadable leaves out is listed with the summary. */
static void on_problem(void *ctx, const char *path, const char *why, int left_out)
{
	(void)ctx;
	if (!left_out)
		put_problem("", path, why);
}

/* What --skip-unreadable left out (one line each, then the count) and what
 * --exclude left out.  Shown even with -q: evidence was left behind. */
static void print_left_out(const kist_sealer *s, int dry)
{
	size_t n = 0, np = kist_sealer_problem_count(s), nx = kist_sealer_excluded_count(s);
	for (size_t i = 0; i < np; i++) {
		const char *why;
		int left_out;
		const char *path = kist_sealer_problem(s, i, &why, &left_out);
		if (left_out) {
			put_problem(dry ? "would be left out: " : "left out: ", path, why);
			n++;
		}
	}
	if (n > 0)
		fprintf(stderr, "kist: warning: %zu %s %s out (--skip-unreadable)\n", n,
		        cli_plural(n, "path", "paths"), dry ? "would be left" : "left");
	if (nx > 0 && !cli_quiet)
		fprintf(stderr, "kist: %zu %s excluded (--exclude)\n", nx,
		        cli_plural(nx, "path", "paths"));
}

/* Vault files found among the inputs (an earlier output inside a sealed folder?). */
static void warn_vault_inputs(const kist_sealer *s, int dry)
{
	size_t nv = kist_sealer_vault_inputs(s);
	if (!cli_quiet && nv > 0)
		fprintf(stderr,
		        "kist: warning: %zu %s a kist vault (an earlier output?), %s as it is\n",
		        nv, cli_plural(nv, "input is", "inputs are"),
		        dry ? "would be sealed" : "sealed");
}

/* KIST_E_INPUT if the last failure is two inputs stored under one name, which --base
 * resolves; else KIST_OK (no hint). */
static kist_err clash_hint(void)
{
	return strstr(kist_errdetail(), " would both be stored as ") ? KIST_E_INPUT : KIST_OK;
}

/* seal --dry-run: checks the inputs and lists the paths that would be stored. */
static int dry_run(kist_sealer *s, const cli_args *a)
{
	size_t n = kist_sealer_entry_count(s);
	for (size_t i = 0; i < n; i++) {
		cli_print_path(kist_sealer_entry_path(s, i));
		putchar('\n');
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error(NULL, "writing the list failed");
		return EXIT_IO;
	}
	if (!cli_quiet) {
		fprintf(stderr, "kist: dry run: %zu %s would be stored; nothing was written\n", n,
		        cli_plural(n, "path", "paths"));
		print_stored_as(s, cli_get(a, "base"));
	}
	print_left_out(s, 1);
	warn_vault_inputs(s, 1);
	return EXIT_OK;
}

/* The usage checks, before anything is opened or read. */
/* --parity P% without --split: the vault and OUT.parity beside it.  *percent 0 if not. */
static int percent_arg(const cli_args *a, unsigned *percent)
{
	const char *par = cli_get(a, "parity"), *out = cli_get(a, "output");
	*percent = 0;
	if (par == NULL || par[0] == '\0' || par[strlen(par) - 1] != '%')
		return EXIT_OK;
	if (cli_get(a, "split") != NULL) {
		cli_usage_error("seal", "with --split, --parity takes a number of parity parts");
		return EXIT_USAGE;
	}
	if (cli_parse_percent(par, percent) != 0) {
		cli_usage_error("seal", "--parity takes a percentage from 1%% to 100%%: 5%%");
		return EXIT_USAGE;
	}
	if (out != NULL && strcmp(out, "-") == 0) {
		cli_usage_error("seal", "--parity P%% writes OUT.parity beside the vault: not "
		                        "with -o -");
		return EXIT_USAGE;
	}
	if (!kist_parts_have_parity()) {
		cli_error(NULL, "this build of kist has no parity (ISA-L): seal without --parity");
		return EXIT_OTHER;
	}
	return EXIT_OK;
}

/* --split SIZE [--parity N]: *size 0 without --split. */
static int split_args(const cli_args *a, uint64_t *size, unsigned *parity)
{
	const char *sz = cli_get(a, "split"), *par = cli_get(a, "parity");
	unsigned percent;
	int rc;
	*size = 0;
	*parity = 0;
	if ((rc = percent_arg(a, &percent)) != EXIT_OK || percent > 0)
		return rc;
	if (par != NULL && sz == NULL) {
		cli_usage_error("seal", "--parity N needs --split SIZE; for a vault in one file, "
		                        "give a percentage: --parity 5%%");
		return EXIT_USAGE;
	}
	if (sz == NULL)
		return EXIT_OK;
	if (cli_parse_size(sz, size) != 0) {
		cli_usage_error("seal", "--split SIZE must be a number of bytes with K, M, G or T "
		                        "(binary) or KB, MB, GB, TB (decimal): 95M, 2G, 4000M");
		return EXIT_USAGE;
	}
	if (par != NULL && cli_parse_count(par, 254, parity) != 0) {
		cli_usage_error("seal", "--parity takes a number of parity parts, 1 to 254");
		return EXIT_USAGE;
	}
	/* What kist_split_fd would refuse only after the whole seal. */
	if (*size < 16384 || *size > (1ull << 44)) {
		cli_usage_error("seal", "--split SIZE must be 16K to 16T");
		return EXIT_USAGE;
	}
	if (*parity > 0 && !kist_parts_have_parity()) {
		cli_error(NULL, "this build of kist has no parity (ISA-L): seal without --parity");
		return EXIT_OTHER;
	}
	const char *out = cli_get(a, "output");
	if (out != NULL && strcmp(out, "-") == 0) {
		cli_usage_error("seal", "--split writes files: -o - cannot take it");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/*
 * seal --split: the vault is written to a file that has no name (created in
 * the output's folder and unlinked at once, so nothing is left behind on a
 * crash), then cut into parts beside it.  -1 (and one line printed) if that
 * file cannot be made.
 */
static int nameless_file(const char *out)
{
	char dir[4096 + 32];
	const char *slash = strrchr(out, '/');
	if (slash != NULL)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - out), out);
	int fd = kist__os_nameless_file(slash == NULL ? NULL : dir);
	if (fd < 0)
		cli_error(out, "cannot write there: %s", strerror(errno));
	return fd;
}

/* The split failed after the seal: the vault, sealed already, is kept whole
 * as OUT (created, never replaced) rather than lost with its nameless file. */
static void keep_whole(int fd, const char *out)
{
	kist__os_stat st;
	int o = kist__os_open(
	    out, KIST__OS_WRONLY | KIST__OS_CREAT | KIST__OS_EXCL | KIST__OS_NOFOLLOW, 0600);
	uint64_t in = 0;
	int kernel = 1;
	unsigned char buf[1 << 16];
	if (o < 0 || kist__os_fstat(fd, &st) != 0)
		goto fail;
	while (in < st.size) { /* by the kernel where it can, else through buf */
		size_t want = st.size - in > (1u << 30) ? (1u << 30) : (size_t)(st.size - in);
		ptrdiff_t c = kernel ? kist__os_copy_range(fd, &in, o, want) : -1;
		if (c < 0 && kernel && in == 0 && errno != EINTR) {
			kernel = 0; /* not here (os/os.h): read and write */
			continue;
		}
		if (!kernel) {
			c = kist__os_pread(fd, buf, want < sizeof buf ? want : sizeof buf, in);
			for (ptrdiff_t w = 0, k; w < c; w += k)
				if ((k = kist__os_write(o, buf + w, (size_t)(c - w))) <= 0)
					goto fail;
			in += c > 0 ? (uint64_t)c : 0;
		}
		if (c <= 0)
			goto fail;
	}
	if (kist__os_fsync(o) != 0 || kist__os_close(o) != 0) {
		o = -1;
		kist__os_unlinkat(KIST__OS_CWD, out, 0);
		goto fail;
	}
	fprintf(stderr, "kist: the vault was kept whole as ");
	cli_put_safe(stderr, out, strlen(out), CLI_SAFE_BACKSLASH);
	fprintf(stderr, " (split it with kist split)\n");
	return;
fail:
	if (o >= 0) {
		kist__os_close(o);
		kist__os_unlinkat(KIST__OS_CWD, out, 0);
	}
	fprintf(stderr, "kist: the vault could not be kept either: seal again\n");
}

static kist_err write_split(const cli_args *a, kist_sealer *s, int fd, const char *out, unsigned *n)
{
	uint64_t size;
	unsigned parity;
	split_args(a, &size, &parity);
	kist_err err = kist_sealer_write_fd(s, fd, out);
	if (err != KIST_OK)
		return err;
	err = kist_split_fd(fd, out, size, parity, cli_count(a, "force") > 0 ? KIST_REPLACE : 0, n);
	if (err != KIST_OK)
		keep_whole(fd, out);
	return err;
}

/* seal --parity P%: the vault and OUT.parity, renamed together (both or neither). */
static kist_err write_with_parity(const cli_args *a, kist_sealer *s, int fd, const char *out)
{
	unsigned percent;
	char side[4096 + 8];
	percent_arg(a, &percent);
	kist_err err = kist_sealer_write_fd(s, fd, out);
	if (err == KIST_OK && snprintf(side, sizeof side, "%s.parity", out) >= (int)sizeof side)
		err = KIST_E_ARG;
	if (err == KIST_OK)
		err = kist_parity_write_fd(fd, out, side, percent,
		                           cli_count(a, "force") > 0 ? KIST_REPLACE : 0);
	return err;
}

/* OUT.parity or the first part's name taken: refused before any work, as for -o. */
static int outputs_free(const cli_args *a, uint64_t split_size, unsigned percent)
{
	char name[4096 + 8];
	kist__os_stat st;
	const char *out = cli_get(a, "output");
	if (out == NULL || cli_count(a, "force"))
		return EXIT_OK;
	if (percent > 0 && snprintf(name, sizeof name, "%s.parity", out) < (int)sizeof name &&
	    kist__os_fstatat(KIST__OS_CWD, name, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		cli_error(name, "exists (use --force to replace it)");
		return EXIT_OTHER;
	}
	if (split_size > 0 && snprintf(name, sizeof name, "%s.001", out) < (int)sizeof name &&
	    kist__os_fstatat(KIST__OS_CWD, name, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		cli_error(name, "exists (use --force to replace the parts)");
		return EXIT_OTHER;
	}
	return EXIT_OK;
}

/* -o: given (unless --dry-run), not a folder; '-' not a terminal, without --force. */
static int output_arg(const cli_args *a, int dry)
{
	const char *out = cli_get(a, "output");
	kist__os_stat st;
	if (out == NULL && !dry) {
		cli_usage_error("seal", "an output is needed: -o OUT.kist");
		return EXIT_USAGE;
	}
	if (a->npos == 0) {
		cli_usage_error("seal", "nothing to seal: give files, folders or -");
		return EXIT_USAGE;
	}
	/* Refused before any key is opened or any input read. */
	if (out != NULL && strcmp(out, "-") != 0 &&
	    kist__os_fstatat(KIST__OS_CWD, out, &st, 0) == 0 && st.type == KIST__OS_DIR) {
		char e[256];
		cli_escape(e, sizeof e, out);
		cli_usage_error(
		    "seal", "-o %s is a folder: name the vault file, e.g. -o %s/case.kist", e, e);
		return EXIT_USAGE;
	}
	if (out != NULL && strcmp(out, "-") == 0) {
		if (kist__os_isatty(KIST__OS_STDOUT)) {
			cli_usage_error("seal",
			                "-o - writes the vault to standard output, which is a "
			                "terminal: redirect it (> FILE) or pipe it");
			return EXIT_USAGE;
		}
		if (cli_count(a, "force")) {
			cli_usage_error("seal", "-o - replaces nothing: no --force");
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

/* -j, --level, --pad and --exclude. */
static int tuning_args(const cli_args *a, unsigned *threads, unsigned *level)
{
	if (cli_get(a, "threads") && cli_parse_count(cli_get(a, "threads"), 64, threads) != 0) {
		cli_usage_error("seal", "--threads takes a number from 1 to 64");
		return EXIT_USAGE;
	}
	if (cli_get(a, "level") &&
	    (cli_parse_count(cli_get(a, "level"), KIST_LEVEL_MAX, level) != 0 || *level == 0)) {
		cli_usage_error("seal", "--level takes a number from 1 to %d", KIST_LEVEL_MAX);
		return EXIT_USAGE;
	}
	const char *pad = cli_get(a, "pad");
	if (pad != NULL && strcmp(pad, "padme") != 0 && strcmp(pad, "none") != 0) {
		cli_usage_error("seal", "--pad takes padme or none");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < cli_count(a, "exclude"); i++)
		if (cli_get_n(a, "exclude", i)[0] == '\0') {
			cli_usage_error("seal", "--exclude needs a pattern, not an empty one");
			return EXIT_USAGE;
		}
	return EXIT_OK;
}

static int check_args(const cli_args *a, unsigned *threads, unsigned *level)
{
	int dry = cli_count(a, "dry-run") > 0;
	uint64_t split_size;
	unsigned parity, percent;
	int rc;
	if ((rc = split_args(a, &split_size, &parity)) != EXIT_OK ||
	    (rc = percent_arg(a, &percent)) != EXIT_OK ||
	    (rc = outputs_free(a, split_size, percent)) != EXIT_OK ||
	    (rc = output_arg(a, dry)) != EXIT_OK)
		return rc;
	if (cli_count(a, "recipient") + cli_count(a, "recipients-file") == 0 && !dry) {
		cli_usage_error("seal", "at least one recipient is needed: -r KEY or -R FILE");
		return EXIT_USAGE;
	}
	if ((rc = tuning_args(a, threads, level)) != EXIT_OK)
		return rc;
	/* KIST_LEDGER is not asking: only --ledger on this command line is. */
	int log_seal = cli_get(a, "ledger") != NULL;
	if (dry && (log_seal || cli_count(a, "force"))) {
		cli_usage_error("seal", "--dry-run writes nothing: no --ledger or --force");
		return EXIT_USAGE;
	}
	if (log_seal && cli_get(a, "sign") == NULL) {
		cli_usage_error("seal",
		                "--ledger records the seal signed by its sealer: give -s too");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* The recipients of -r and -R, in the order given. */
static int add_recipients(const cli_args *a, kist_sealer *s, recips *r)
{
	kist_pubkey pk;
	int rc;
	for (size_t i = 0; i < cli_count(a, "recipient"); i++) {
		if ((rc = cli_recipient_arg(cli_get_n(a, "recipient", i), &pk)) != EXIT_OK)
			return rc;
		if ((rc = recips_add(r, s, &pk)) != EXIT_OK)
			return rc;
	}
	for (size_t i = 0; i < cli_count(a, "recipients-file"); i++) {
		kist_pubkey *keys = NULL;
		size_t n = 0;
		kist_err err =
		    kist_recipients_file_read(cli_get_n(a, "recipients-file", i), &keys, &n);
		if (err != KIST_OK)
			return cli_fail(NULL, err);
		rc = EXIT_OK;
		for (size_t j = 0; j < n && rc == EXIT_OK; j++)
			rc = recips_add(r, s, &keys[j]);
		free(keys);
		if (rc != EXIT_OK)
			return rc;
	}
	return EXIT_OK;
}

/* --custodian KEY... and --quorum K: a trustee-gated vault (docs/GATE.md). */
static int add_custodians(const cli_args *a, kist_sealer *s, const recips *r)
{
	kist_pubkey pk;
	kist_err err;
	int rc;
	for (size_t i = 0; i < cli_count(a, "custodian"); i++) {
		if ((rc = cli_recipient_arg(cli_get_n(a, "custodian", i), &pk)) != EXIT_OK)
			return rc;
		if ((err = kist_sealer_add_custodian(s, &pk)) != KIST_OK)
			return cli_fail("--custodian", err);
		for (size_t k = 0; k < r->n; k++)
			if (sodium_memcmp(r->k[k].x25519, pk.x25519, 32) == 0)
				fprintf(stderr,
				        "kist: warning: custodian %zu is also a recipient: with "
				        "its own "
				        "release it opens the vault alone\n",
				        i + 1);
	}
	const char *q = cli_get(a, "quorum");
	if (q == NULL)
		return EXIT_OK;
	char *end;
	unsigned long k = strtoul(q, &end, 10);
	if (*q < '1' || *q > '9' || *end != '\0' || k > cli_count(a, "custodian")) {
		cli_usage_error("seal", "--quorum K: K is 1 to the number of --custodian keys");
		return EXIT_USAGE;
	}
	if ((err = kist_sealer_set_quorum(s, (unsigned)k)) != KIST_OK)
		return cli_fail("--quorum", err);
	return EXIT_OK;
}

/* The registers of --people, then the paths (and '-'). */
static int add_inputs(const cli_args *a, kist_sealer *s)
{
	kist_err err;
	int stdin_used = 0;
	for (size_t i = 0; i < cli_count(a, "exclude"); i++)
		if ((err = kist_sealer_add_exclude(s, cli_get_n(a, "exclude", i))) != KIST_OK)
			return cli_fail("--exclude", err);
	/* Registers first: a malformed one is refused before anything is read or written. */
	for (size_t i = 0; i < cli_count(a, "people"); i++) {
		if ((err = kist_sealer_add_people(s, cli_get_n(a, "people", i))) != KIST_OK) {
			int rc = cli_fail(NULL, err);
			if (err == KIST_E_INPUT || err == KIST_E_LIMIT)
				fprintf(stderr,
				        "kist: the register was refused; no vault was written\n");
			return rc;
		}
	}
	for (size_t i = 0; i < a->npos; i++) {
		const char *p = a->pos[i];
		if (strcmp(p, "-") == 0) {
			if (stdin_used++) {
				cli_usage_error("seal", "standard input given twice");
				return EXIT_USAGE;
			}
			const char *name = cli_get(a, "stdin-name");
			err = kist_sealer_add_fd(s, KIST__OS_STDIN, name ? name : "stdin");
		} else {
			err = kist_sealer_add_path(s, p);
		}
		if (err != KIST_OK)
			return cli_fail_hint(NULL, err, clash_hint(), "--base DIR");
	}
	return EXIT_OK;
}

/* Writes the vault (with progress), then logs the seal in ledger if one was opened. */
static int write_vault(const cli_args *a, kist_sealer *s, const char *out, kist_ledger *ledger,
                       const kist_identity *signer)
{
	cli_progress prog;
	cli_progress_init(&prog, "sealing");
	kist_sealer_set_progress(s, cli_progress_cb, &prog);
	int to_stdout = strcmp(out, "-") == 0;
	unsigned nparts = 0;
	int split_fd = -1;
	unsigned percent;
	percent_arg(a, &percent);
	if ((cli_get(a, "split") || percent > 0) && (split_fd = nameless_file(out)) < 0) {
		cli_progress_end(&prog);
		return EXIT_IO;
	}
	kist_err err =
	    to_stdout ? kist_sealer_write_fd(s, KIST__OS_STDOUT, "standard output")
	    : split_fd >= 0
	        ? (percent > 0 ? write_with_parity(a, s, split_fd, out)
	                       : write_split(a, s, split_fd, out, &nparts))
	        : kist_sealer_write(s, out, cli_count(a, "force") > 0 ? KIST_REPLACE : 0);
	if (split_fd >= 0)
		kist__os_close(split_fd);
	cli_progress_end(&prog);
	if (err == KIST_OK && nparts > 0 && !cli_quiet) {
		fprintf(stderr, "kist: written as %u %s (", nparts,
		        cli_plural(nparts, "part", "parts"));
		cli_put_safe(stderr, out, strlen(out), CLI_SAFE_BACKSLASH);
		fprintf(stderr, ".001 ...), %s parity\n",
		        cli_get(a, "parity") ? cli_get(a, "parity") : "no");
	}
	if (err == KIST_OK && percent > 0 && !cli_quiet) {
		fprintf(stderr, "kist: parity (%u%%) in ", percent);
		cli_put_safe(stderr, out, strlen(out), CLI_SAFE_BACKSLASH);
		fprintf(stderr, ".parity\n");
	}
	/* A pipe cannot be synced (EINVAL); a file behind > can. */
	if (err == KIST_OK && to_stdout && kist__os_fsync(KIST__OS_STDOUT) != 0 &&
	    errno != EINVAL) {
		cli_error("standard output", "%s: the vault may be incomplete: discard it",
		          strerror(errno));
		return EXIT_IO;
	}
	if (err != KIST_OK) {
		/* the library's detail names the file */
		int rc = cli_fail_hint(NULL, err, KIST_E_EXISTS, "use --force to replace it");
		if (to_stdout && err == KIST_E_INPUT) /* found before the first byte */
			fprintf(stderr, "kist: nothing was written to standard output\n");
		else if (to_stdout)
			fprintf(stderr, "kist: the vault on standard output is incomplete: discard "
			                "it\n");
		else if (err == KIST_E_INPUT)
			fprintf(stderr, "kist: no vault was written\n");
		return rc;
	}
	/* Asked for, the seal is a custody event logged with the sealer's key.  The
	 * vault id exists only once the vault is written; if the append fails now
	 * (the ledger was checked writable above) the vault, which releases
	 * nothing, is kept and the failure reported (exit 6). */
	if (ledger != NULL && (err = kist_ledger_append(ledger, signer, kist_sealer_vault_id(s),
	                                                "seal", NULL, 0, NULL)) != KIST_OK) {
		cli_error("ledger", "%s: %s was written but its seal event is not logged",
		          kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err), out);
		return EXIT_LEDGER;
	}
	return EXIT_OK;
}

/* The inputs' problems stopped the seal: what to do about them.  Returns an exit code. */
static int refuse_inputs(const kist_sealer *s, kist_err err, int dry)
{
	int rc = cli_fail(NULL, err);
	fprintf(stderr, "kist: %s\n",
	        dry ? "dry run: the seal would be refused" : "no vault was written");
	size_t stopping = 0; /* problems not left out: the cause of this refusal */
	for (size_t i = 0; i < kist_sealer_problem_count(s); i++) {
		int left_out;
		kist_sealer_problem(s, i, NULL, &left_out);
		stopping += !left_out;
	}
	if (stopping > 0)
		fprintf(stderr, "kist: leave paths out with --exclude PATTERN, or seal the "
		                "rest with --skip-unreadable\n");
	return rc;
}

/* After the seal: the summary, what was left out, vaults among the inputs. */
/* A trustee-gated vault: who must release it, and how many of them. */
static void print_custodians(const cli_args *a)
{
	size_t n = cli_count(a, "custodian");
	char f[CLI_FPR_LABEL_MAX];
	kist_pubkey pk;
	if (n == 0)
		return;
	fprintf(stderr, "kist: trustee-gated: opening needs releases from %s of %zu custodians:",
	        cli_get(a, "quorum") ? cli_get(a, "quorum") : "1", n);
	for (size_t i = 0; i < n; i++)
		if (cli_recipient_arg(cli_get_n(a, "custodian", i), &pk) == EXIT_OK) {
			cli_fpr_label(f, sizeof f, &pk);
			fprintf(stderr, "%s %s", i ? "," : "", f);
		}
	fputc('\n', stderr);
}

static void report_sealed(const cli_args *a, kist_sealer *s, const char *out, const recips *r,
                          const kist_identity *signer, const kist_pubkey *signer_pk)
{
	if (!cli_quiet) {
		char parts[4096 + 16];
		snprintf(parts, sizeof parts, "%s.001 ...", out);
		print_summary(s,
		              strcmp(out, "-") == 0 ? "standard output"
		              : cli_get(a, "split") ? parts
		                                    : out,
		              r, signer, signer_pk);
		print_stored_as(s, cli_get(a, "base"));
		print_custodians(a);
	}
	print_left_out(s, 0);
	warn_vault_inputs(s, 0);
}

int cmd_seal(const cli_args *a)
{
	kist_sealer *s = NULL;
	kist_ledger *ledger = NULL;
	kist_identity *signer = NULL;
	kist_pubkey signer_pk;
	kist_err err;
	unsigned threads = 0, level = 0;
	recips r = {NULL, 0};
	const char *out = cli_get(a, "output");
	int dry = cli_count(a, "dry-run") > 0;
	int rc = check_args(a, &threads, &level);
	if (rc != EXIT_OK)
		return rc;
	if ((err = kist_sealer_new(&s, cli_warn, NULL)) != KIST_OK)
		return cli_fail(NULL, err);
	if ((r.k = calloc(KIST_MAX_RECIPIENTS, sizeof *r.k)) == NULL) {
		rc = cli_fail(NULL, KIST_E_NOMEM);
		goto out;
	}
	kist_sealer_set_threads(s, threads);
	kist_sealer_set_level(s, (int)level);
	kist_sealer_set_padding(s, cli_get(a, "pad") == NULL || strcmp(cli_get(a, "pad"), "none"));
	if (cli_get(a, "base") != NULL && (err = kist_sealer_set_base(s, cli_get(a, "base")))) {
		rc = cli_fail("--base", err);
		goto out;
	}
	kist_sealer_set_problems(s, on_problem, NULL,
	                         cli_count(a, "skip-unreadable") ? KIST_SEAL_SKIP_UNREADABLE : 0);
	if ((rc = add_recipients(a, s, &r)) != EXIT_OK ||
	    (rc = add_custodians(a, s, &r)) != EXIT_OK || (rc = add_inputs(a, s)) != EXIT_OK)
		goto out;
	/* Every problem with the inputs was told during the one walk; refused
	 * here, before a passphrase is asked for or anything is written. */
	if ((err = kist_sealer_check(s)) != KIST_OK) {
		rc = refuse_inputs(s, err, dry);
		goto out;
	}
	/* A dry run opens no identity: no passphrase is asked for. */
	if (cli_get(a, "sign") != NULL && !dry) {
		if ((rc = cli_load_identity(cli_get(a, "sign"), cli_get(a, "passphrase-file"),
		                            &signer)) != EXIT_OK)
			goto out;
		kist_identity_pubkey(signer, &signer_pk);
		kist_sealer_set_signer(s, signer);
	}
	if (dry) {
		rc = dry_run(s, a);
		goto out;
	}
	/* A seal is logged only when asked (--ledger PATH): a field laptop keeps no
	 * record of what it sealed.  A ledger that cannot be written refuses the
	 * seal before any work is done. */
	if (cli_get(a, "ledger") != NULL && (rc = cli_ledger_open(a, &ledger, "seal")) != EXIT_OK)
		goto out;
	if ((rc = write_vault(a, s, out, ledger, signer)) != EXIT_OK)
		goto out;
	report_sealed(a, s, out, &r, signer, &signer_pk);
	rc = EXIT_OK;
out:
	kist_ledger_close(ledger);
	kist_sealer_free(s);
	kist_identity_free(signer);
	free(r.k);
	return rc;
}
