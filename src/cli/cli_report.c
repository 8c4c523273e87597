/*
 * kist report and kist audit report: what verify, list, manifest, log and
 * audit verify establish, as one printable HTML document (cli_html.c) for
 * readers who will not run kist: a court, opposing counsel, a board.  Every
 * check is the library's, as the other verbs call it; this file only words
 * the results.
 */
#include "cli.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

/* The one sentence a reader gets for an entry that failed its check. */
#define DAMAGED_WORDS                                                                              \
	"This file's contents do not match the fingerprint recorded when it was sealed: it was "   \
	"changed or damaged after sealing."

/* The last component of a path: the report names the vault file, not the folders of the
 * reporter's machine. */
static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static int usage_common(const cli_args *a, const char *verb, const char *usage)
{
	if (a->npos != 1 || cli_get(a, "output") == NULL) {
		cli_usage_error(verb, "%s", usage);
		return EXIT_USAGE;
	}
	const char *paper = cli_get(a, "paper");
	if (paper && strcmp(paper, "a4") != 0 && strcmp(paper, "letter") != 0) {
		cli_usage_error(verb, "--paper takes a4 or letter");
		return EXIT_USAGE;
	}
	if (strcmp(cli_get(a, "output"), "-") == 0 && cli_count(a, "force")) {
		cli_usage_error(verb, "--force replaces a file: not with -o -");
		return EXIT_USAGE;
	}
	/* Before any work (and any ledger entry): an output that would be refused at the
	 * end (kist_file_write() checks again), --pdf that cannot be printed. */
	const char *out = cli_get(a, "output");
	kist__os_stat st;
	if (strcmp(out, "-") != 0 && !cli_count(a, "force") &&
	    kist__os_fstatat(KIST__OS_CWD, out, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		cli_error(out, "already exists (use --force to replace it)");
		return EXIT_OTHER;
	}
	if (cli_count(a, "pdf") && cli_html_pdf_available(verb) != EXIT_OK)
		return EXIT_OTHER;
	return EXIT_OK;
}

static int is_letter(const cli_args *a)
{
	const char *p = cli_get(a, "paper");
	return p != NULL && strcmp(p, "letter") == 0;
}

/* ------------------------------------------------------ custody sections */

/* A ledger entry's row: index, time, who (or, with_vault, which vault), action, entries
 * touched. */
static void ledger_row(cli_html *h, const kist_ledger_entry *e, int with_vault)
{
	cli_html_fmt(h, "<tr><td>%llu</td><td>", (unsigned long long)e->index);
	cli_html_time(h, e->time);
	if (!with_vault) {
		cli_html_raw(h, "</td><td class=\"wrap\">");
		cli_html_key(h, &e->actor);
	}
	cli_html_raw(h, "</td><td>");
	cli_html_text(h, e->action);
	if (with_vault) {
		cli_html_raw(h, "</td><td class=\"mono wrap\">");
		cli_html_text(h, e->vault_id);
	}
	cli_html_raw(h, "</td><td class=\"path\">");
	if (e->npaths == 0)
		cli_html_raw(h, "<span class=\"note\">(none named)</span>");
	for (size_t i = 0; i < e->npaths; i++) {
		if (i)
			cli_html_raw(h, "<br>");
		cli_html_path(h, e->paths[i]);
	}
	if (e->malformed) {
		cli_html_raw(h, " <span class=\"bad\">[unreadable entry: ");
		cli_html_text(h, e->malformed);
		cli_html_raw(h, "]</span>");
	}
	cli_html_raw(h, "</td></tr>\n");
}

static void ledger_head(cli_html *h, int with_vault)
{
	cli_html_fmt(h,
	             "<table><thead><tr><th>#</th><th>Time (the actor's clock)</th>%s"
	             "<th>Action</th>%s<th>Entries touched</th></tr></thead>\n<tbody>\n",
	             with_vault ? "" : "<th>Who (key fingerprint)</th>",
	             with_vault ? "<th>Vault id</th>" : "");
}

/* One checkpoint note: size, signer, cosigners and when they cosigned. */
static void checkpoint_rows(cli_html *h, const kist_ledger_log *log, size_t first)
{
	size_t n = kist_ledger_log_checkpoint_count(log);
	cli_html_raw(h, "<table><thead><tr><th>Entries covered</th><th>Signed by</th>"
	                "<th>Cosigned by (trustees)</th></tr></thead>\n<tbody>\n");
	for (size_t c = first; c < n; c++) {
		const char *t = kist_ledger_log_checkpoint(log, c);
		kist_note_info ni;
		if (kist_note_read(&ni, t, strlen(t), NULL, 0) != KIST_OK) {
			cli_html_raw(h, "<tr><td colspan=\"3\" class=\"bad\">A stored checkpoint "
			                "could not be read: ");
			cli_html_text(h, kist_errdetail());
			cli_html_raw(h, "</td></tr>\n");
			continue;
		}
		if (ni.size)
			cli_html_fmt(h, "<tr><td>0 to %llu (%llu)</td><td class=\"wrap\">",
			             (unsigned long long)ni.size - 1, (unsigned long long)ni.size);
		else
			cli_html_raw(h, "<tr><td>none</td><td class=\"wrap\">");
		cli_html_key(h, &ni.signer);
		cli_html_raw(h, "</td><td class=\"wrap\">");
		if (ni.ncosigners == 0)
			cli_html_raw(h, "nobody: not witnessed by a trustee");
		for (size_t i = 0; i < ni.ncosigners; i++) {
			if (i)
				cli_html_raw(h, "<br>");
			cli_html_key(h, &ni.cosigners[i]);
			cli_html_raw(h, ", ");
			cli_html_time(h, (long long)ni.cosigned_at[i]);
		}
		cli_html_raw(h, "</td></tr>\n");
	}
	cli_html_raw(h, "</tbody></table>\n");
}

/* What an audit found, for the reader. */
typedef struct findings {
	cli_html *h;
	size_t n;
} findings;

static void on_finding(void *ctx, kist_audit_kind kind, uint64_t index, const char *message)
{
	findings *f = ctx;
	if (f->n++ == 0)
		cli_html_raw(f->h, "<ul>\n");
	cli_html_fmt(f->h, "<li><span class=\"bad\">%s</span> (entry %llu): ",
	             kind == KIST_AUDIT_NOTE ? "checkpoint not usable (not a sign of tampering)"
	                                     : cli_audit_kind_name(kind),
	             (unsigned long long)index);
	cli_html_text(f->h, message);
	cli_html_raw(f->h, "</li>\n");
}

/* Audits log (as audit verify does, with the checkpoints it stores) and words the result;
 * returns audit verify's exit code for it, or -1 if the audit could not run. */
static int audit_section(cli_html *h, const kist_ledger_log *log, kist_audit_report *rep)
{
	findings f = {h, 0};
	kist_err err = kist_ledger_audit(log, NULL, 0, on_finding, &f, rep);
	if (err != KIST_OK && err != KIST_E_CORRUPT) {
		cli_html_raw(h, "<p class=\"bad\">The ledger could not be audited: ");
		cli_html_text(h, kist_errdetail());
		cli_html_raw(h, "</p>\n");
		return -1;
	}
	if (f.n)
		cli_html_raw(h, "</ul>\n");
	int code = cli_audit_code(rep->found);
	if (code == EXIT_OK)
		cli_html_fmt(h,
		             "<p class=\"ok\">The ledger passed its audit: all %zu entries carry a "
		             "valid signature of their actor, none is missing or out of order, and "
		             "it is consistent with every checkpoint stored in it (%zu).</p>\n",
		             kist_ledger_log_count(log), rep->checkpoints_ok);
	else if (rep->found == 1u << KIST_AUDIT_NOTE)
		cli_html_raw(h,
		             "<p class=\"bad\">A checkpoint note could not be used; no change to "
		             "the ledger was found.</p>\n");
	else
		cli_html_fmt(
		    h,
		    "<p class=\"bad\">The ledger FAILED its audit (kist audit verify exits "
		    "%d): do not rely on what it says.</p>\n",
		    code);
	return code;
}

/* ----------------------------------------------------------- kist report */

/* An entry that failed its check (kist_vault_verify's report), found again by address. */
typedef struct failed {
	const kist_entry *e;
	char *why;
} failed;

typedef struct failures {
	failed *list;
	size_t n, cap;
	int nomem;
	kist_vault *v;
} failures;

static void on_failed(void *ctx, const char *path, const char *message)
{
	failures *fs = ctx;
	const kist_entry *e = kist_vault_find(fs->v, path);
	if (fs->nomem)
		return;
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 16;
		failed *l = realloc(fs->list, cap * sizeof *l);
		if (l == NULL) {
			fs->nomem = 1;
			return;
		}
		fs->list = l;
		fs->cap = cap;
	}
	fs->list[fs->n].e = e;
	if ((fs->list[fs->n].why = strdup(message)) == NULL) {
		fs->nomem = 1;
		return;
	}
	fs->n++;
}

static int by_entry(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)((const failed *)x)->e, b = (uintptr_t)((const failed *)y)->e;
	return a < b ? -1 : a > b;
}

static const failed *find_failed(const failures *fs, const kist_entry *e)
{
	failed key = {e, NULL};
	return fs->n ? bsearch(&key, fs->list, fs->n, sizeof key, by_entry) : NULL;
}

static void failures_free(failures *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->list[i].why);
	free(fs->list);
}

/* Everything kist report shows, gathered before a line is written. */
typedef struct exhibit {
	const char *file; /* the vault's name, without its folders */
	kist_vault_meta m;
	kist_pubkey opener;
	char sha[65];
	uint64_t file_size;
	size_t files, dirs, links;
	kist_verify_report rep;
	kist_err verr;
	failures fs;
} exhibit;

static void summary_section(cli_html *h, const exhibit *x)
{
	char hs[32];
	cli_html_raw(h, "<h1>Evidence report: ");
	cli_html_path(h, x->file);
	cli_html_raw(h, "</h1>\n<p class=\"lead\">What a sealed kist vault holds, whether every "
	                "byte of it is as it was sealed, and who opened it since. Made by "
	                "opening the vault with one of its recipients' keys; this opening is "
	                "itself logged in the custody ledger.</p>\n");
	if (x->verr == KIST_OK)
		cli_html_fmt(h,
		             "<div class=\"verdict\"><b class=\"ok\">Intact.</b> All %llu files "
		             "were read in full: every byte authenticated and every file's SHA-256 "
		             "fingerprint recomputed and found equal to the one recorded when it "
		             "was sealed.</div>\n",
		             (unsigned long long)x->rep.entries_checked);
	else
		cli_html_fmt(h,
		             "<div class=\"verdict bad\"><b>DAMAGED.</b> %llu of the %llu files %s "
		             "not match what was sealed (listed below, and marked in the table): "
		             "do not rely on them. The others were checked and are intact.</div>\n",
		             (unsigned long long)x->rep.entries_failed,
		             (unsigned long long)x->rep.entries_checked,
		             cli_plural(x->rep.entries_failed, "does", "do"));
	cli_html_raw(h, "<h2>The vault</h2>\n<table class=\"kv\"><tbody>\n<tr><th>File</th><td "
	                "class=\"wrap\">");
	cli_html_path(h, x->file);
	cli_human_size(hs, sizeof hs, x->file_size);
	if (x->file_size > 0)
		cli_html_fmt(h, "</td></tr>\n<tr><th>Size</th><td>%llu bytes (%s)</td></tr>\n",
		             (unsigned long long)x->file_size, hs);
	else /* a probe that failed: say so rather than "0 bytes" */
		cli_html_raw(h, "</td></tr>\n<tr><th>Size</th><td>not read</td></tr>\n");
	cli_html_fmt(h, "<tr><th>SHA-256 of the file</th><td class=\"hash\">%s</td></tr>\n",
	             x->sha);
	cli_html_raw(h, "<tr><th>Vault id</th><td class=\"mono\">");
	cli_html_text(h, x->m.vault_id);
	cli_html_raw(h, "</td></tr>\n<tr><th>Sealed</th><td>");
	cli_html_time(h, x->m.created);
	cli_html_raw(h, " (as claimed by the sealer's clock), with ");
	cli_html_text(h, x->m.tool_version);
	cli_html_fmt(h, " (format version %u)</td></tr>\n<tr><th>Signed by</th><td class=\"wrap\">",
	             x->m.format_version);
	if (x->m.signed_by_sealer) {
		char pk[KIST_PUBKEY_STRLEN + 1];
		kist_pubkey_format(&x->m.signer, pk);
		cli_html_key(h, &x->m.signer);
		cli_html_fmt(h,
		             "<br><span class=\"mono\">%s</span><br><span class=\"ok\">The "
		             "signature is valid</span>: it covers the list of files with "
		             "their fingerprints.",
		             pk);
	} else {
		cli_html_raw(h, "<span class=\"bad\">Nobody.</span> This vault is not signed and "
		                "does not prove who sealed it.");
	}
	cli_html_fmt(h,
	             "</td></tr>\n<tr><th>Recipients</th><td>%u %s can open it. A vault "
	             "does not record its recipients' keys; this report was made with ",
	             x->m.recipient_count, cli_plural(x->m.recipient_count, "key", "keys"));
	cli_html_key(h, &x->opener);
	cli_html_raw(h, ", one of them.</td></tr>\n");
	cli_human_size(hs, sizeof hs, x->m.total_size);
	cli_html_fmt(h,
	             "<tr><th>Contents</th><td>%llu entries: %zu %s, %zu %s, %zu %s; %s in "
	             "files</td></tr>\n</tbody></table>\n",
	             (unsigned long long)x->m.entry_count, x->files,
	             cli_plural(x->files, "file", "files"), x->dirs,
	             cli_plural(x->dirs, "folder", "folders"), x->links,
	             cli_plural(x->links, "link", "links"), hs);
}

static void damaged_section(cli_html *h, const exhibit *x)
{
	if (x->fs.n == 0)
		return;
	cli_html_raw(h, "<h2>Files that failed the check</h2>\n<p>" DAMAGED_WORDS
	                "</p>\n<table><thead><tr><th>Path</th><th>What the check found "
	                "(technical)</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < x->fs.n; i++) {
		cli_html_raw(h, "<tr><td class=\"path\">");
		cli_html_path(h, x->fs.list[i].e ? x->fs.list[i].e->path : "?");
		cli_html_raw(h, "</td><td class=\"wrap\">");
		cli_html_text(h, x->fs.list[i].why);
		cli_html_raw(h, "</td></tr>\n");
	}
	cli_html_raw(h, "</tbody></table>\n");
}

static void entries_section(cli_html *h, kist_vault *v, const exhibit *x)
{
	char hex[65];
	cli_html_raw(h, "<h2>Contents</h2>\n<p>Every entry as recorded when it was sealed. The "
	                "SHA-256 of a file is its fingerprint: any change to the file changes "
	                "it. Modification times are the sealer's.</p>\n<table><thead><tr><th>"
	                "Path</th><th>Size (bytes)</th><th>Modified (UTC)</th><th>SHA-256</th>"
	                "<th>Check</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < kist_vault_entry_count(v); i++) {
		const kist_entry *e = kist_vault_entry_at(v, i);
		cli_html_raw(h, "<tr><td class=\"path\">");
		cli_html_path(h, e->path);
		if (e->type == KIST_ENTRY_SYMLINK) {
			cli_html_raw(h, " &rarr; ");
			cli_html_path(h, e->link_target);
		}
		if (e->type != KIST_ENTRY_FILE) {
			cli_html_fmt(h, "</td><td>%s</td><td>",
			             e->type == KIST_ENTRY_DIR ? "folder" : "link");
			cli_html_time(h, e->mtime);
			cli_html_raw(h, "</td><td></td><td></td></tr>\n");
			continue;
		}
		sodium_bin2hex(hex, sizeof hex, e->sha256, 32);
		cli_html_fmt(h, "</td><td>%llu</td><td>", (unsigned long long)e->size);
		cli_html_time(h, e->mtime);
		cli_html_fmt(h, "</td><td class=\"hash\">%s</td><td>%s</td></tr>\n", hex,
		             find_failed(&x->fs, e) ? "<span class=\"bad\">FAILED</span>"
		                                    : "<span class=\"ok\">matches</span>");
	}
	cli_html_raw(h, "</tbody></table>\n");
}

typedef struct people_out {
	cli_html *h;
	size_t n;
} people_out;

static int on_person(void *ctx, const kist_person *p)
{
	people_out *po = ctx;
	cli_html_fmt(po->h, "<tr><td>%lld</td><td class=\"wrap\">", (long long)p->id);
	cli_html_text(po->h, p->name);
	cli_html_raw(po->h, "</td><td class=\"wrap\">");
	cli_html_text(po->h, p->status ? p->status : "");
	cli_html_fmt(po->h, "</td><td>%zu</td></tr>\n", p->nmedia);
	po->n++;
	return 0;
}

/* The people register: only with --people (it names people at risk). */
static int people_section(const cli_args *a, cli_html *h, kist_vault *v)
{
	size_t n = kist_vault_people_count(v);
	cli_html_raw(h, "<h2>People register</h2>\n");
	if (!cli_count(a, "people")) {
		cli_html_fmt(h,
		             "<p>Left out of this report: the register names people who may be "
		             "at risk (%s). It is included only when the report is made with "
		             "--people.</p>\n",
		             n ? "the vault holds one" : "this vault has none");
		return EXIT_OK;
	}
	if (n == 0) {
		cli_html_raw(h, "<p>This vault has no people register.</p>\n");
		return EXIT_OK;
	}
	people_out po = {h, 0};
	cli_html_fmt(h,
	             "<p>%zu %s, with the number of files linked to each.</p>\n<table><thead>"
	             "<tr><th>Id</th><th>Name</th><th>Status</th><th>Linked files</th></tr>"
	             "</thead>\n<tbody>\n",
	             n, cli_plural(n, "person", "people"));
	kist_err err = kist_vault_people(v, NULL, on_person, &po);
	cli_html_raw(h, "</tbody></table>\n");
	return err == KIST_OK ? EXIT_OK : cli_fail(NULL, err);
}

/* The custody log: from --bundle, else the ledger this opening was logged in. */
static int load_custody(const cli_args *a, kist_ledger_log **log)
{
	const char *bundle = cli_get(a, "bundle");
	char path[PATH_MAX];
	if (bundle != NULL)
		return cli_ledger_load_any(a, bundle, NULL, log);
	const char *l = cli_get(a, "ledger");
	if (l == NULL) {
		if (kist_ledger_default_path(path, sizeof path) != KIST_OK)
			return cli_fail("ledger", KIST_E_ARG);
		l = path;
	}
	kist_err err = kist_ledger_load(log, l);
	return err == KIST_OK ? EXIT_OK : cli_fail("ledger", err);
}

static void custody_section(cli_html *h, const exhibit *x, const kist_ledger_log *log,
                            int from_bundle)
{
	kist_audit_report rep;
	size_t n = kist_ledger_log_count(log), mine = 0;
	cli_html_raw(h, "<h2>Custody</h2>\n<p>The vault records its own seal: ");
	cli_html_time(h, x->m.created);
	if (x->m.signed_by_sealer) {
		cli_html_raw(h, ", signed by ");
		cli_html_key(h, &x->m.signer);
	} else {
		cli_html_raw(h, ", unsigned");
	}
	cli_html_fmt(h,
	             ". Every opening of a vault by kist is first logged, signed by the key "
	             "that opened it, in a custody ledger. The entries of %s ledger for this "
	             "vault:</p>\n",
	             from_bundle ? "the exported" : "the");
	ledger_head(h, 0);
	for (size_t i = 0; i < n; i++) {
		const kist_ledger_entry *e = kist_ledger_log_entry(log, i);
		if (strcmp(e->vault_id, x->m.vault_id) != 0)
			continue;
		ledger_row(h, e, 0);
		mine++;
	}
	if (mine == 0)
		cli_html_raw(h, "<tr><td colspan=\"5\">none</td></tr>\n");
	cli_html_fmt(h,
	             "</tbody></table>\n<p>%zu of the ledger's %zu entries concern this "
	             "vault.</p>\n",
	             mine, n);
	audit_section(h, log, &rep);
	size_t nc = kist_ledger_log_checkpoint_count(log);
	if (nc == 0) {
		cli_html_raw(h, "<p>The ledger holds no checkpoint: no trustee has pinned it "
		                "yet.</p>\n");
		return;
	}
	cli_html_raw(h, "<p>The latest checkpoint stored in the ledger (a signed summary of "
	                "its entries; a trustee's cosignature pins them outside this "
	                "machine):</p>\n");
	checkpoint_rows(h, log, nc - 1);
}

static void howto_section(cli_html *h, const exhibit *x)
{
	cli_html_raw(h, "<h2>How to check this independently</h2>\n<ol>\n<li>The vault file: "
	                "<span class=\"mono\">sha256sum ");
	cli_html_path(h, x->file);
	cli_html_fmt(h, "</span> must print <span class=\"hash\">%s</span>.</li>\n", x->sha);
	cli_html_raw(h, "<li>Every byte and the signature, by a recipient: <span "
	                "class=\"mono\">kist verify -i IDENTITY --signer FINGERPRINT ");
	cli_html_path(h, x->file);
	cli_html_raw(h, "</span>");
	if (x->m.signed_by_sealer) {
		char f[KIST_FINGERPRINT_STRLEN + 1];
		kist_pubkey_fingerprint(&x->m.signer, f);
		cli_html_fmt(h, " with FINGERPRINT <span class=\"mono\">%s</span>", f);
	}
	cli_html_raw(h, " (exit 0: intact and signed by that key).</li>\n<li>The files once "
	                "extracted: <span class=\"mono\">kist manifest -i IDENTITY ");
	cli_html_path(h, x->file);
	cli_html_raw(h, " &gt; SHA256SUMS</span>, then in the extraction folder <span "
	                "class=\"mono\">sha256sum -c SHA256SUMS</span>: the same SHA-256 "
	                "values as the table above, checked with a tool other than kist.</li>\n"
	                "<li>The custody ledger: <span class=\"mono\">kist audit verify "
	                "LEDGER_OR_BUNDLE</span>.</li>\n</ol>\n");
}

/* Opens, verifies and gathers; an exit code (no report) on a failure verify stops at. */
static int gather(const cli_args *a, kist_vault **v, exhibit *x)
{
	kist_vault_info info;
	unsigned char digest[32];
	int rc = cli_open_vault_by(a, a->pos[0], v, "report", &x->opener);
	if (rc != EXIT_OK)
		return rc;
	kist_vault_get_meta(*v, &x->m);
	kist_err err = kist_vault_file_sha256(*v, digest);
	if (err != KIST_OK)
		return cli_fail(a->pos[0], err);
	sodium_bin2hex(x->sha, sizeof x->sha, digest, sizeof digest);
	/* The vault's size as kist info gives it (a part set's: the vault it holds). */
	x->file_size = kist_vault_probe(a->pos[0], &info) == KIST_OK ? info.file_size : 0;
	for (size_t i = 0; i < kist_vault_entry_count(*v); i++) {
		kist_entry_type ty = kist_vault_entry_at(*v, i)->type;
		x->files += ty == KIST_ENTRY_FILE;
		x->dirs += ty == KIST_ENTRY_DIR;
		x->links += ty == KIST_ENTRY_SYMLINK;
	}
	x->fs.v = *v;
	cli_progress prog;
	cli_progress_init(&prog, "verifying");
	kist_vault_set_progress(*v, cli_progress_cb, &prog);
	x->verr = kist_vault_verify(*v, &x->rep, on_failed, &x->fs);
	cli_progress_end(&prog);
	if (x->verr != KIST_OK && x->verr != KIST_E_CORRUPT)
		return cli_fail(a->pos[0], x->verr); /* as verify: no verdict, no report */
	if (x->fs.nomem)
		return cli_fail(NULL, KIST_E_NOMEM);
	if (x->fs.n > 0) /* qsort of NULL is undefined, even for 0 elements */
		qsort(x->fs.list, x->fs.n, sizeof *x->fs.list, by_entry);
	return EXIT_OK;
}

int cmd_report(const cli_args *a)
{
	kist_vault *v = NULL;
	kist_ledger_log *log = NULL;
	cli_html h = {NULL, 0, 0, 0};
	exhibit x;
	int rc;
	memset(&x, 0, sizeof x);
	if ((rc = usage_common(a, "report",
	                       "usage: kist report -i IDENTITY [--ledger L | --bundle B] "
	                       "[--people] -o OUT.html VAULT")) != EXIT_OK)
		return rc;
	if (cli_get(a, "ledger") && cli_get(a, "bundle")) {
		cli_usage_error("report", "--ledger and --bundle: give one (the opening is logged "
		                          "in the default ledger with --bundle)");
		return EXIT_USAGE;
	}
	x.file = base_name(a->pos[0]);
	if ((rc = gather(a, &v, &x)) != EXIT_OK)
		goto out;
	if ((rc = load_custody(a, &log)) != EXIT_OK)
		goto out;
	cli_html_begin(&h, "kist evidence report", is_letter(a));
	summary_section(&h, &x);
	damaged_section(&h, &x);
	entries_section(&h, v, &x);
	if ((rc = people_section(a, &h, v)) != EXIT_OK)
		goto out;
	custody_section(&h, &x, log, cli_get(a, "bundle") != NULL);
	howto_section(&h, &x);
	cli_html_end(&h);
	rc = cli_html_write("report", &h, cli_get(a, "output"), cli_count(a, "pdf") > 0,
	                    cli_count(a, "force") > 0);
	if (rc == EXIT_OK && x.verr == KIST_E_CORRUPT) {
		cli_error(a->pos[0], "verification failed: %llu damaged %s (named in the report)",
		          (unsigned long long)x.rep.entries_failed,
		          cli_plural(x.rep.entries_failed, "entry", "entries"));
		rc = EXIT_INTEGRITY;
	}
out:
	cli_html_free(&h);
	kist_ledger_log_free(log);
	failures_free(&x.fs);
	kist_vault_close(v);
	return rc;
}

/* ----------------------------------------------------- kist audit report */

static const kist_ledger_log *sort_log; /* qsort has no context argument */

static int by_vault(const void *x, const void *y)
{
	const kist_ledger_entry *a = kist_ledger_log_entry(sort_log, *(const size_t *)x);
	const kist_ledger_entry *b = kist_ledger_log_entry(sort_log, *(const size_t *)y);
	int c = strcmp(a->vault_id, b->vault_id);
	if (c == 0)
		c = *(const size_t *)x < *(const size_t *)y ? -1 : 1;
	return c;
}

/* Keys compared by their bytes (not the struct, which may have padding). */
static int key_cmp(const kist_pubkey *a, const kist_pubkey *b)
{
	int c = memcmp(a->x25519, b->x25519, sizeof a->x25519);
	return c ? c : memcmp(a->ed25519, b->ed25519, sizeof a->ed25519);
}

static int by_actor(const void *x, const void *y)
{
	const kist_ledger_entry *a = kist_ledger_log_entry(sort_log, *(const size_t *)x);
	const kist_ledger_entry *b = kist_ledger_log_entry(sort_log, *(const size_t *)y);
	int c = key_cmp(&a->actor, &b->actor);
	if (c == 0)
		c = *(const size_t *)x < *(const size_t *)y ? -1 : 1;
	return c;
}

/* The entries grouped (by vault or by actor), each group in ledger order. */
static int grouped(cli_html *h, const kist_ledger_log *log, int by_who)
{
	size_t n = kist_ledger_log_count(log);
	size_t *ord = malloc((n ? n : 1) * sizeof *ord);
	if (ord == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	sort_log = log;
	qsort(ord, n, sizeof *ord, by_who ? by_actor : by_vault);
	for (size_t i = 0; i < n;) {
		const kist_ledger_entry *g = kist_ledger_log_entry(log, ord[i]);
		size_t j = i;
		while (j < n &&
		       (by_who ? key_cmp(&kist_ledger_log_entry(log, ord[j])->actor, &g->actor) == 0
		               : strcmp(kist_ledger_log_entry(log, ord[j])->vault_id,
		                        g->vault_id) == 0))
			j++;
		cli_html_raw(h, by_who ? "<h3>" : "<h3>Vault <span class=\"mono\">");
		if (by_who)
			cli_html_key(h, &g->actor);
		else
			cli_html_text(h, g->vault_id);
		cli_html_fmt(h, "%s: %zu %s</h3>\n", by_who ? "" : "</span>", j - i,
		             cli_plural(j - i, "entry", "entries"));
		ledger_head(h, by_who);
		for (size_t k = i; k < j; k++)
			ledger_row(h, kist_ledger_log_entry(log, ord[k]), by_who);
		cli_html_raw(h, "</tbody></table>\n");
		i = j;
	}
	free(ord);
	return 0;
}

int cmd_audit_report(const cli_args *a)
{
	kist_ledger_log *log = NULL;
	kist_audit_report rep;
	cli_html h = {NULL, 0, 0, 0};
	int rc;
	if ((rc = usage_common(a, "audit report",
	                       "usage: kist audit report BUNDLE_OR_LEDGER -o OUT.html "
	                       "[-i IDENTITY]")) != EXIT_OK)
		return rc;
	if ((rc = cli_ledger_load_any(a, a->pos[0], NULL, &log)) != EXIT_OK)
		return rc;
	size_t n = kist_ledger_log_count(log);
	cli_html_begin(&h, "kist custody audit", is_letter(a));
	cli_html_raw(&h, "<h1>Custody audit: ");
	cli_html_path(&h, base_name(a->pos[0]));
	cli_html_raw(&h, "</h1>\n<p class=\"lead\">The custody ledger records, signed by the "
	                 "key that did it, every opening of a vault by kist: who, when (their "
	                 "clock), what was taken. This report is the trustee's view of it.</p>\n"
	                 "<table class=\"kv\"><tbody><tr><th>Ledger origin</th><td class=\"mono "
	                 "wrap\">");
	cli_html_text(&h, kist_ledger_log_origin(log));
	cli_html_fmt(&h, "</td></tr>\n<tr><th>Entries</th><td>%zu</td></tr>\n", n);
	if (n) {
		cli_html_raw(&h, "<tr><th>From</th><td>");
		cli_html_time(&h, kist_ledger_log_entry(log, 0)->time);
		cli_html_raw(&h, " to ");
		cli_html_time(&h, kist_ledger_log_entry(log, n - 1)->time);
		cli_html_raw(&h, "</td></tr>\n");
	}
	cli_html_raw(&h, "</tbody></table>\n<h2>Audit</h2>\n");
	int code = audit_section(&h, log, &rep);
	cli_html_raw(&h, "<h2>Checkpoints and trustees</h2>\n");
	if (kist_ledger_log_checkpoint_count(log) == 0)
		cli_html_raw(&h, "<p>The ledger holds no checkpoint: no trustee has pinned "
		                 "it.</p>\n");
	else
		checkpoint_rows(&h, log, 0);
	cli_html_raw(&h, "<h2>Timeline, by vault</h2>\n");
	int bad = grouped(&h, log, 0);
	cli_html_raw(&h, "<h2>Timeline, by person (key)</h2>\n");
	bad |= grouped(&h, log, 1);
	cli_html_raw(&h, "<h2>How to check this independently</h2>\n<p><span "
	                 "class=\"mono\">kist audit verify ");
	cli_html_path(&h, base_name(a->pos[0]));
	cli_html_raw(&h, "</span> recomputes every signature, the hash chain and each "
	                 "checkpoint; <span class=\"mono\">--cosigner KEY</span> requires a "
	                 "trustee's cosignature.</p>\n");
	cli_html_end(&h);
	if (bad)
		h.nomem = 1;
	rc = cli_html_write("audit report", &h, cli_get(a, "output"), cli_count(a, "pdf") > 0,
	                    cli_count(a, "force") > 0);
	if (rc == EXIT_OK && code < 0)
		rc = EXIT_OTHER;
	else if (rc == EXIT_OK && code != EXIT_OK) {
		cli_error(a->pos[0], "the ledger failed its audit (named in the report)");
		rc = code;
	}
	cli_html_free(&h);
	kist_ledger_log_free(log);
	return rc;
}
