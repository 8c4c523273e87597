/*
 * The custody ledger from the command line: the hook every verb that
 * releases vault contents or metadata calls first, and the verbs
 * kist log list|checkpoint|export and kist audit verify (docs/AUDIT.md).
 */
#include "cli.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define BUNDLE_ENTRY    "ledger-bundle.json"
#define BUNDLE_SIZE_MAX (1u << 30) /* as kist_ledger_load_bundle() accepts */

static int ledger_path(const cli_args *a, char *out, size_t cap)
{
	const char *p = a ? cli_get(a, "ledger") : NULL;
	kist_err err;
	if (p != NULL) {
		int n = snprintf(out, cap, "%s", p);
		if (n < 0 || (size_t)n >= cap) {
			cli_error("--ledger", "path too long");
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if ((err = kist_ledger_default_path(out, cap)) != KIST_OK) {
		cli_error("ledger", "%s", kist_errdetail());
		return EXIT_LEDGER;
	}
	return EXIT_OK;
}

int cli_ledger_path(const cli_args *a, char *out, size_t cap)
{
	return ledger_path(a, out, cap);
}

int cli_ledger_open(const cli_args *a, kist_ledger **l, const char *action)
{
	char path[PATH_MAX];
	kist_err err;
	int rc = ledger_path(a, path, sizeof path);
	if (rc != EXIT_OK)
		return rc;
	if ((err = kist_ledger_open(l, path)) != KIST_OK) {
		cli_error("ledger", "%s; the %s is refused",
		          kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err), action);
		return EXIT_LEDGER;
	}
	return EXIT_OK;
}

int cli_ledger_append(const cli_args *a, const char *vault_id, const kist_identity *actor,
                      const char *action, const char *const *paths, size_t npaths)
{
	char path[PATH_MAX];
	kist_ledger *l = NULL;
	kist_err err;
	int rc = ledger_path(a, path, sizeof path);
	if (rc != EXIT_OK)
		return rc;
	if ((err = kist_ledger_open(&l, path)) == KIST_OK)
		err = kist_ledger_append(l, actor, vault_id, action, paths, npaths, NULL);
	kist_ledger_close(l);
	if (err != KIST_OK) {
		cli_error("ledger", "%s; the %s is refused: nothing was released",
		          kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err), action);
		return EXIT_LEDGER;
	}
	return EXIT_OK;
}

int cli_ledger_record(const cli_args *a, kist_vault *v, const kist_identity *actor,
                      const char *action, const char *const *paths, size_t npaths)
{
	kist_vault_meta m;
	kist_vault_get_meta(v, &m);
	return cli_ledger_append(a, m.vault_id, actor, action, paths, npaths);
}

/* ------------------------------------------------------------ kist log */

static void print_entry(const kist_ledger_entry *e)
{
	char t[40], fpr[CLI_FPR_LABEL_MAX];
	cli_time(t, sizeof t, e->time);
	cli_fpr_label(fpr, sizeof fpr, &e->actor);
	char act[160];
	cli_escape(act, sizeof act, e->action); /* a ledger being audited may be crafted */
	printf("#%-5llu %s  %s  %-8s vault ", (unsigned long long)e->index, t, fpr, act);
	cli_print_path(e->vault_id);
	for (size_t i = 0; i < e->npaths; i++) {
		kist_pubkey pk;
		fputs(i == 0 ? "  " : ", ", stdout);
		/* A custodian's decision (docs/GATE.md): the requester by fingerprint
		 * and contact name, as every actor is shown. */
		if (strncmp(e->paths[i], "requester=", 10) == 0 &&
		    kist_pubkey_parse(&pk, e->paths[i] + 10) == KIST_OK) {
			cli_fpr_label(fpr, sizeof fpr, &pk);
			printf("requester=%s", fpr);
			continue;
		}
		cli_print_path(e->paths[i]);
	}
	if (e->malformed) {
		fputs("  [malformed: ", stdout);
		cli_put_safe(stdout, e->malformed, strlen(e->malformed), 0);
		putchar(']');
	}
	putchar('\n');
}

/*
 * The user's own ledger, left mid-write by a crash (a hot rollback journal
 * beside it): opening it read-write, as every logging verb does, rolls the
 * unfinished write back.  Read-only loading cannot, and would refuse it.
 */
static void recover(const char *path)
{
	char j[PATH_MAX + 16];
	kist__os_stat st;
	kist_ledger *l = NULL;
	int n = snprintf(j, sizeof j, "%s-journal", path);
	if (n < 0 || (size_t)n >= sizeof j || kist__os_fstatat(KIST__OS_CWD, j, &st, 0) != 0 ||
	    st.size == 0 || kist__os_fstatat(KIST__OS_CWD, path, &st, 0) != 0 ||
	    st.type != KIST__OS_FILE || !kist__os_can_write(path))
		return;
	if (kist_ledger_open(&l, path) == KIST_OK && kist__os_fstatat(KIST__OS_CWD, j, &st, 0) != 0)
		fprintf(stderr,
		        "kist: %s: rolled back a write left unfinished by a crash (its journal)\n",
		        path);
	kist_ledger_close(l);
}

/* KIST_E_IO if the last failure is a ledger left mid-write by a crash, which opening it
 * read-write (any log verb that appends) rolls back; else KIST_OK (no hint). */
static kist_err crash_hint(void)
{
	return strstr(kist_errdetail(), "left mid-write by a crash") ? KIST_E_IO : KIST_OK;
}

static int load_ledger(const cli_args *a, kist_ledger_log **log, char *path, size_t cap)
{
	int rc = ledger_path(a, path, cap);
	if (rc != EXIT_OK)
		return rc;
	recover(path);
	kist_err err = kist_ledger_load(log, path);
	if (err != KIST_OK)
		return cli_fail_hint(path, err, crash_hint(), "e.g. kist log list --ledger PATH");
	return EXIT_OK;
}

/* Streams the bundle to standard output; *(int *)ctx gets errno on failure. */
static kist_err to_stdout(void *ctx, const char *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len) {
		*(int *)ctx = errno ? errno : EIO;
		return KIST_E_IO;
	}
	return KIST_OK;
}

int cmd_log_list(const cli_args *a)
{
	kist_ledger_log *log = NULL;
	char path[PATH_MAX];
	int rc;
	if (a->npos != 0) {
		cli_usage_error("log list", "usage: kist log list [--ledger PATH] [--json]");
		return EXIT_USAGE;
	}
	if ((rc = load_ledger(a, &log, path, sizeof path)) != EXIT_OK)
		return rc;
	if (cli_count(a, "json")) {
		int werr = 0;
		kist_err err = kist_ledger_bundle_write(log, to_stdout, &werr);
		if (err == KIST_OK && fflush(stdout) != 0)
			werr = errno ? errno : EIO;
		if (werr != 0) {
			cli_error("standard output", "%s", strerror(werr));
			rc = EXIT_IO;
		} else if (err != KIST_OK)
			rc = cli_fail(NULL, err);
	} else {
		char org[512];
		cli_escape(org, sizeof org, kist_ledger_log_origin(log));
		size_t n = kist_ledger_log_count(log);
		printf("Ledger %s (%s), %zu %s\n", path, org, n, cli_plural(n, "entry", "entries"));
		for (size_t i = 0; i < kist_ledger_log_count(log); i++)
			print_entry(kist_ledger_log_entry(log, i));
	}
	kist_ledger_log_free(log);
	return rc;
}

int cmd_log_checkpoint(const cli_args *a)
{
	kist_ledger_log *log = NULL;
	kist_ledger *l = NULL;
	kist_identity *id = NULL;
	char path[PATH_MAX], *note = NULL;
	kist_err err;
	int rc;
	if (a->npos != 0 || cli_get(a, "sign") == NULL) {
		cli_usage_error("log checkpoint",
		                "usage: kist log checkpoint -s IDENTITY [--ledger PATH]");
		return EXIT_USAGE;
	}
	if ((rc = cli_load_identity(cli_get(a, "sign"), cli_get(a, "passphrase-file"), &id)) !=
	    EXIT_OK)
		return rc;
	if ((rc = load_ledger(a, &log, path, sizeof path)) != EXIT_OK)
		goto out;
	if ((err = kist_ledger_checkpoint(log, id, &note)) != KIST_OK) {
		rc = err == KIST_E_CORRUPT ? EXIT_INTEGRITY : cli_fail(path, err);
		if (err == KIST_E_CORRUPT)
			cli_error(path, "%s (run kist audit verify)", kist_errdetail());
		goto out;
	}
	/* Kept in the ledger too, so that a later truncation is caught even without the trustee. */
	if ((err = kist_ledger_open(&l, path)) != KIST_OK ||
	    (err = kist_ledger_store_checkpoint(l, note)) != KIST_OK) {
		rc = cli_fail(path, err);
		goto out;
	}
	fputs(note, stdout);
	rc = EXIT_OK;
out:
	free(note);
	kist_ledger_close(l);
	kist_ledger_log_free(log);
	kist_identity_free(id);
	return rc;
}

/* log export -r: the bundle sealed for the trustees from memory, so that no
 * plaintext copy touches a disk.  Returns an exit code. */
static int export_sealed(const cli_args *a, const char *out, const char *json, size_t len)
{
	kist_sealer *s = NULL;
	kist_err err;
	int rc = EXIT_OK, fd = -1;
	if ((err = kist_sealer_new(&s, cli_warn, NULL)) != KIST_OK)
		return cli_fail(NULL, err);
	for (size_t i = 0; i < cli_count(a, "recipient") && rc == EXIT_OK; i++) {
		kist_pubkey pk;
		const char *k = cli_get_n(a, "recipient", i);
		if (cli_recipient_arg(k, &pk) != EXIT_OK) {
			rc = EXIT_USAGE;
		} else if ((err = kist_sealer_add_recipient(s, &pk)) != KIST_OK) {
			rc = cli_fail(NULL, err);
		}
	}
	if (rc == EXIT_OK) {
		fd = kist__os_memory_file("kist-ledger-bundle");
		if (fd < 0 || kist__os_write(fd, json, len) != (ptrdiff_t)len ||
		    kist__os_seek(fd, 0, KIST__OS_SEEK_SET) != 0) {
			cli_error(NULL, "cannot hold the bundle in memory: %s", strerror(errno));
			rc = EXIT_IO;
		}
	}
	if (rc == EXIT_OK &&
	    ((err = kist_sealer_add_fd(s, fd, BUNDLE_ENTRY)) != KIST_OK ||
	     (err = kist_sealer_write(s, out, cli_count(a, "force") > 0 ? KIST_REPLACE : 0)) !=
	         KIST_OK))
		rc = cli_fail_hint(NULL, err, KIST_E_EXISTS, "use --force to replace it");
	if (fd >= 0)
		kist__os_close(fd);
	kist_sealer_free(s);
	return rc;
}

int cmd_log_export(const cli_args *a)
{
	kist_ledger_log *log = NULL;
	char path[PATH_MAX], *json = NULL;
	size_t len = 0;
	int rc;
	kist_err err;
	const char *out = cli_get(a, "output");
	int sealed = cli_count(a, "recipient") > 0;
	if (a->npos != 0 || out == NULL) {
		cli_usage_error(
		    "log export",
		    "usage: kist log export -o BUNDLE [-r TRUSTEE_KEY...] [--ledger PATH]");
		return EXIT_USAGE;
	}
	if ((rc = load_ledger(a, &log, path, sizeof path)) != EXIT_OK)
		return rc;
	if ((err = kist_ledger_bundle(log, &json, &len)) != KIST_OK) {
		rc = cli_fail(NULL, err);
	} else if (sealed) {
		rc = export_sealed(a, out, json, len);
	} else {
		/* The library's atomic writer: temporary name, fsync, rename that never
		 * replaces without --force, removed on a signal. */
		err = kist_file_write(out, json, len, cli_count(a, "force") > 0 ? KIST_REPLACE : 0);
		if (err == KIST_E_EXISTS) {
			cli_error(out, "already exists (use --force to replace it)");
			rc = EXIT_OTHER;
		} else {
			rc = err == KIST_OK ? EXIT_OK : cli_fail(NULL, err);
		}
	}
	if (rc == EXIT_OK && !cli_quiet)
		fprintf(
		    stderr, "kist: exported %zu %s and %zu %s to %s%s\n",
		    kist_ledger_log_count(log),
		    cli_plural(kist_ledger_log_count(log), "entry", "entries"),
		    kist_ledger_log_checkpoint_count(log),
		    cli_plural(kist_ledger_log_checkpoint_count(log), "checkpoint", "checkpoints"),
		    out, sealed ? ", sealed for the trustees" : "");
	if (json)
		sodium_memzero(json, len);
	free(json);
	kist_ledger_log_free(log);
	return rc;
}

/* ---------------------------------------------------------- kist audit */

static const struct {
	kist_audit_kind kind;
	int code;
	const char *name;
} kinds[] = {
    {KIST_AUDIT_REWRITTEN, EXIT_AUDIT_REWRITTEN, "rewritten"},
    {KIST_AUDIT_DELETED, EXIT_AUDIT_DELETED, "deleted"},
    {KIST_AUDIT_REORDERED, EXIT_AUDIT_REORDERED, "reordered"},
    {KIST_AUDIT_FORGED, EXIT_AUDIT_FORGED, "forged-signature"},
    {KIST_AUDIT_ROLLBACK, EXIT_AUDIT_ROLLBACK, "truncated-or-rolled-back"},
    {KIST_AUDIT_CHECKPOINT, EXIT_AUDIT_CHECKPOINT, "bad-checkpoint"},
    {KIST_AUDIT_NOTE, EXIT_AUDIT_CHECKPOINT, "unusable-checkpoint"},
};

static const char *kind_name(kist_audit_kind k)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "unknown";
}

const char *cli_audit_kind_name(kist_audit_kind k)
{
	return kind_name(k);
}

int cli_audit_code(unsigned found)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (found & (1u << kinds[i].kind))
			return kinds[i].code;
	return EXIT_OK;
}

typedef struct audit_out {
	json_t *findings; /* --json */
} audit_out;

static void on_finding(void *ctx, kist_audit_kind kind, uint64_t index, const char *message)
{
	audit_out *o = ctx;
	if (o->findings) {
		json_t *f = json_object();
		json_object_set_new(f, "kind", json_string(kind_name(kind)));
		json_object_set_new(f, "index", json_integer((json_int_t)index));
		json_object_set_new(f, "message", json_string(message));
		json_array_append_new(o->findings, f);
		return;
	}
	if (kind == KIST_AUDIT_NOTE)
		fputs("CHECKPOINT NOT USABLE (not a sign of tampering): ", stdout);
	else
		printf("TAMPERED (%s): ", kind_name(kind));
	cli_print_path(message);
	putchar('\n');
}

/* Reads a whole small file (at most max bytes) into a NUL-terminated buffer. */
static int read_small(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = kist__os_fopen(path, "rb");
	if (f == NULL) {
		cli_error(path, "%s", strerror(errno));
		return EXIT_IO;
	}
	/* A regular file is read into one buffer of its size (no growing copies):
	 * a large bundle costs its size once, and reading it is quick to interrupt.
	 * The size is only a first guess (the buffer still grows, to max). */
	kist__os_stat st;
	size_t cap = 4096, n = 0;
	if (kist__os_fstatat(KIST__OS_CWD, path, &st, 0) == 0 && st.type == KIST__OS_FILE &&
	    st.size > 0 && (uintmax_t)st.size < max)
		cap = (size_t)st.size + 1; /* + 1: the end of file is seen without growing */
	char *b = malloc(cap + 1);
	while (b) {
		if (n == cap) {
			if (cap >= max) {
				free(b);
				fclose(f);
				cli_error(path, "larger than %zu bytes", max);
				return EXIT_OTHER;
			}
			cap *= 2;
			char *nb = realloc(b, cap + 1);
			if (nb == NULL) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
		}
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (r == 0 && ferror(f) && errno == EINTR) {
			clearerr(f); /* a signal: the caller's next step stops, with its message */
			continue;
		}
		if (r == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (b == NULL || bad) {
		free(b);
		cli_error(path, "cannot read");
		return EXIT_IO;
	}
	b[n] = '\0';
	*out = b;
	*len = n;
	return EXIT_OK;
}

/*
 * Opens a sealed bundle (logged as an "audit" access) and loads the bundle
 * inside, with id if not NULL (already unlocked: the passphrase is asked
 * once per run), else with the -i identities.
 */
static int load_sealed(const cli_args *a, const char *path, kist_identity *id,
                       kist_ledger_log **log)
{
	kist_identity **ids = id ? &id : NULL;
	size_t n = id ? 1 : 0;
	kist_vault *v = NULL;
	unsigned char *data = NULL;
	int fd = -1;
	kist__os_stat st;
	kist_err err;
	int rc;
	if (id == NULL && cli_count(a, "identity") == 0) {
		cli_usage_error("audit verify", "%s is a sealed bundle: give -i IDENTITY", path);
		return EXIT_USAGE;
	}
	if (id == NULL && (rc = cli_load_identities(a, &ids, &n)) != EXIT_OK)
		return rc;
	if ((err = kist_vault_open(&v, path, ids, n)) != KIST_OK) {
		rc = cli_fail(path, err);
		goto out;
	}
	const kist_entry *e = kist_vault_find(v, BUNDLE_ENTRY);
	if (e == NULL || e->type != KIST_ENTRY_FILE) {
		cli_error(path, "no %s in this vault: not a sealed ledger bundle", BUNDLE_ENTRY);
		rc = EXIT_OTHER;
		goto out;
	}
	/* The bundle is decrypted into memory: refuse a huge one before, not after. */
	if (e->size > BUNDLE_SIZE_MAX) {
		cli_error(path, "%s is larger than %u MiB: not a ledger bundle kist wrote",
		          BUNDLE_ENTRY, BUNDLE_SIZE_MAX >> 20);
		rc = EXIT_INTEGRITY;
		goto out;
	}
	const char *one[1] = {BUNDLE_ENTRY};
	if ((rc = cli_ledger_record(a, v, ids[kist_vault_opened_with(v)], "audit", one, 1)) !=
	    EXIT_OK)
		goto out;
	fd = kist__os_memory_file("kist-ledger-bundle");
	if (fd < 0) {
		cli_error(NULL, "a file in memory: %s", strerror(errno));
		rc = EXIT_IO;
		goto out;
	}
	if ((err = kist_vault_cat(v, e, fd)) != KIST_OK) {
		rc = cli_fail(path, err);
		goto out;
	}
	if (kist__os_fstat(fd, &st) != 0 || (data = malloc((size_t)st.size + 1)) == NULL ||
	    kist__os_pread(fd, data, (size_t)st.size, 0) != (ptrdiff_t)st.size) {
		cli_error(path, "cannot read the bundle back from memory");
		rc = EXIT_IO;
		goto out;
	}
	if ((err = kist_ledger_load_bundle(log, data, (size_t)st.size)) != KIST_OK)
		rc = cli_fail(path, err);
out:
	if (fd >= 0)
		kist__os_close(fd);
	if (data != NULL) /* the decrypted bundle */
		sodium_memzero(data, (size_t)st.size + 1);
	free(data);
	kist_vault_close(v);
	if (id == NULL)
		cli_free_identities(ids, n);
	return rc;
}

static int load_any(const cli_args *a, const char *path, kist_identity *id, kist_ledger_log **log)
{
	unsigned char head[16] = {0};
	FILE *f = kist__os_fopen(path, "rb");
	if (f == NULL) {
		cli_error(path, "%s", strerror(errno));
		return EXIT_IO;
	}
	size_t got = fread(head, 1, sizeof head, f);
	fclose(f);
	if (got >= 5 && memcmp(head, "\x89KIST", 5) == 0)
		return load_sealed(a, path, id, log);
	if (got == 16 && memcmp(head, "SQLite format 3", 16) == 0) {
		kist_err err = kist_ledger_load(log, path);
		return err == KIST_OK ? EXIT_OK
		                      : cli_fail_hint(path, err, crash_hint(),
		                                      "e.g. kist log list --ledger PATH");
	}
	size_t i = 0;
	while (i < got && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	if (i < got && head[i] == '{') {
		char *data = NULL;
		size_t len = 0;
		int rc = read_small(path, 1u << 30, &data, &len);
		if (rc != EXIT_OK)
			return rc;
		kist_err err = kist_ledger_load_bundle(log, data, len);
		free(data);
		return err == KIST_OK ? EXIT_OK : cli_fail(path, err);
	}
	cli_error(path, "not a kist ledger, bundle or sealed bundle");
	return EXIT_OTHER;
}

static json_t *entry_json(const kist_ledger_entry *e)
{
	char pk[KIST_PUBKEY_STRLEN + 1], fpr[KIST_FINGERPRINT_STRLEN + 1];
	json_t *o = json_object(), *p = json_array();
	kist_pubkey_format(&e->actor, pk);
	kist_pubkey_fingerprint(&e->actor, fpr);
	for (size_t i = 0; i < e->npaths; i++)
		json_array_append_new(p, json_string(e->paths[i]));
	json_object_set_new(o, "index", json_integer((json_int_t)e->index));
	json_object_set_new(o, "time", json_integer((json_int_t)e->time));
	json_object_set_new(o, "actor", json_string(pk));
	json_object_set_new(o, "fingerprint", json_string(fpr));
	cli_json_contact(o, &e->actor);
	json_object_set_new(o, "action", json_string(e->action));
	json_object_set_new(o, "vault_id", json_string(e->vault_id));
	json_object_set_new(o, "paths", p);
	return o;
}

/*
 * Prints o with an "entries" member added last, written one entry at a time
 * (a ledger of 100,000 entries is never one JSON tree in memory).  Returns 0,
 * or -1 if standard output failed.
 */
static int print_with_entries(json_t *o, const kist_ledger_log *log)
{
	char *s = json_dumps(o, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
	size_t len = s ? strlen(s) : 0;
	int bad = 0;
	if (len < 2 || s[len - 1] != '}') {
		free(s);
		errno = ENOMEM;
		return -1;
	}
	/* o without its closing brace, then the entries */
	bad |= fwrite(s, 1, len - 2, stdout) != len - 2;
	bad |= fputs(",\n \"entries\": [", stdout) == EOF;
	free(s);
	for (size_t i = 0; i < kist_ledger_log_count(log) && !bad; i++) {
		json_t *e = entry_json(kist_ledger_log_entry(log, i));
		bad |= e == NULL || fputs(i ? ",\n  " : "\n  ", stdout) == EOF ||
		       json_dumpf(e, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) != 0;
		json_decref(e);
	}
	bad |= fputs(kist_ledger_log_count(log) ? "\n ]\n}\n" : "]\n}\n", stdout) == EOF;
	bad |= fflush(stdout) != 0;
	return bad ? -1 : 0;
}

/* What one `audit verify` holds between its steps. */
typedef struct audit_run {
	cli_witness_policy wp;
	kist_ledger_log *log;
	kist_identity *signer; /* --sign */
	char **notes;          /* --checkpoint */
	size_t nnotes;
	kist_witness_state held; /* the trustee's last cosigned checkpoint, if any */
	kist_audit_report rep;
	audit_out ao;
	char *note; /* the fresh checkpoint */
} audit_run;

/*
 * Audits r->log against the given notes and, when the trustee's witness
 * state covers part of the log, only what it does not.  Returns EXIT_OK and
 * sets *rc to the audit's exit code, or another code when the audit could
 * not run.
 */
static int audit_run_once(const char *path, audit_run *r, int *rc)
{
	const char *const *notes = (const char *const *)r->notes;
	/* A trustee's own witness state: the entries its last cosigned checkpoint
	 * covers were audited then (docs/AUDIT.md); a state that cannot be read
	 * is reported by the witness policy below. */
	int found = 0;
	memset(&r->held, 0, sizeof r->held);
	if (r->wp.state && kist_witness_state_load(r->wp.state, kist_ledger_log_origin(r->log),
	                                           &r->held, &found) != KIST_OK)
		found = 0;
	kist_err err =
	    found ? kist_ledger_audit_held(r->log, notes, r->nnotes, r->held.size, r->held.root,
	                                   on_finding, &r->ao, &r->rep)
	          : kist_ledger_audit(r->log, notes, r->nnotes, on_finding, &r->ao, &r->rep);
	if (err != KIST_OK && err != KIST_E_CORRUPT)
		return cli_fail(path, err);
	*rc = cli_audit_code(r->rep.found);
	cli_witness_policy_apply(&r->wp, r->log, notes, r->nnotes, rc);
	if (*rc == EXIT_OK) {
		kist_err e2 = kist_ledger_checkpoint_audited(r->log, &r->rep, r->signer, &r->note);
		if (e2 != KIST_OK)
			return cli_fail(NULL, e2);
	}
	return EXIT_OK;
}

/* --json: the result as one object (docs/JSON.md); returns rc, or EXIT_IO. */
static int print_audit_json(audit_run *r, const char *root, int rc)
{
	const kist_audit_report *rep = &r->rep;
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "origin", json_string(kist_ledger_log_origin(r->log)));
	json_object_set_new(o, "size", json_integer((json_int_t)rep->size));
	json_object_set_new(o, "root", json_string(root));
	json_object_set_new(o, "result",
	                    json_string(rc == EXIT_OK ? "intact"
	                                : rep->found == 1u << KIST_AUDIT_NOTE
	                                    ? "checkpoint-unusable"
	                                : rep->found ? "tampered"
	                                             : "refused"));
	json_object_set_new(o, "exit_code", json_integer(rc));
	json_object_set_new(o, "checkpoints_verified",
	                    json_integer((json_int_t)rep->checkpoints_ok));
	json_object_set_new(o, "signatures_not_rechecked",
	                    json_integer((json_int_t)rep->unverified));
	json_object_set_new(o, "findings", r->ao.findings);
	r->ao.findings = NULL;
	json_object_set_new(o, "checkpoint", r->note ? json_string(r->note) : json_null());
	cli_witness_policy_json(&r->wp, o);
	if (print_with_entries(o, r->log) != 0) {
		cli_error("standard output", "%s", strerror(errno ? errno : EIO));
		rc = EXIT_IO;
	}
	json_decref(o);
	return rc;
}

/* The verdict when the audit did not pass (rc is not EXIT_OK). */
static void print_audit_failed(const char *path, const audit_run *r, int rc)
{
	if (r->rep.found == 1u << KIST_AUDIT_NOTE) {
		printf(
		    "Result:      NOT VERIFIED - a checkpoint note could not be used; no change to "
		    "the ledger was found (exit %d)\n",
		    rc);
		fflush(stdout);
		cli_error(path, "a checkpoint note could not be used (see above)");
	} else if (!r->rep.found) { /* intact, but not what the trustee holds */
		printf("Witness:     ");
		cli_print_path(r->wp.msg);
		printf("\nResult:      REFUSED - the ledger is not the one witnessed (exit %d)\n",
		       rc);
		fflush(stdout);
		cli_error(path, "%s", r->wp.msg);
	} else {
		printf("Result:      TAMPERED - do not rely on this ledger (exit %d)\n", rc);
		fflush(stdout);
		cli_error(path, "the ledger failed its audit");
	}
}

/* The text report of an audit that passed: what was checked, the accesses, a fresh checkpoint. */
static void print_audit_intact(const audit_run *r, size_t n)
{
	if (r->rep.unverified > 0) {
		char when[64];
		time_t t = (time_t)r->held.time;
		struct tm tm;
		if (kist__os_gmtime(&t, &tm) == NULL ||
		    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0)
			snprintf(when, sizeof when, "(unknown date)");
		printf("Signatures:  entries 0..%llu covered by your audited checkpoint of %s: "
		       "signatures not re-checked; the other %llu valid; indices contiguous; "
		       "hash chain and root recomputed\n",
		       (unsigned long long)r->rep.unverified - 1, when,
		       (unsigned long long)(n - r->rep.unverified));
	} else {
		printf("Signatures:  all %zu valid; indices contiguous; hash chain and root "
		       "recomputed\n",
		       n);
	}
	printf("Checkpoints: %zu verified consistent (the log extends each: RFC 9162 roots)\n",
	       r->rep.checkpoints_ok);
	cli_witness_policy_print(&r->wp, n);
	printf("Accesses (time is the actor's clock; actor by key fingerprint):\n");
	for (size_t i = 0; i < n; i++) {
		fputs("  ", stdout);
		print_entry(kist_ledger_log_entry(r->log, i));
	}
	printf("Result:      INTACT\n");
	printf("Fresh checkpoint%s:\n%s", r->signer ? "" : " (unsigned: sign one with -s IDENTITY)",
	       r->note);
}

int cmd_audit_verify(const cli_args *a)
{
	audit_run r;
	int rc;

	memset(&r, 0, sizeof r);
	if (a->npos != 1) {
		cli_usage_error("audit verify",
		                "usage: kist audit verify BUNDLE_OR_LEDGER "
		                "[--checkpoint OLD.note...] [--json] [-i IDENTITY]");
		return EXIT_USAGE;
	}
	if ((rc = cli_witness_policy_init(a, &r.wp)) != EXIT_OK)
		goto out;
	int json = cli_count(a, "json") > 0;
	size_t nnotes = cli_count(a, "checkpoint");
	if ((r.notes = calloc(nnotes ? nnotes : 1, sizeof *r.notes)) == NULL) {
		rc = cli_fail(NULL, KIST_E_NOMEM);
		goto out;
	}
	r.nnotes = nnotes;
	for (size_t i = 0; i < nnotes; i++) {
		size_t len;
		if ((rc = read_small(cli_get_n(a, "checkpoint", i), 65536, &r.notes[i], &len)) !=
		    EXIT_OK)
			goto out;
	}
	if (cli_get(a, "sign") &&
	    (rc = cli_load_identity(cli_get(a, "sign"), cli_get(a, "passphrase-file"),
	                            &r.signer)) != EXIT_OK)
		goto out;
	if ((rc = load_any(a, a->pos[0], NULL, &r.log)) != EXIT_OK)
		goto out;
	if (json)
		r.ao.findings = json_array();
	int code;
	if ((rc = audit_run_once(a->pos[0], &r, &code)) != EXIT_OK)
		goto out;
	rc = code;
	char root[65];
	sodium_bin2hex(root, sizeof root, r.rep.root, 32);
	size_t n = kist_ledger_log_count(r.log);
	if (json) {
		rc = print_audit_json(&r, root, rc);
		goto out;
	}
	char org[200];
	cli_escape(org, sizeof org, kist_ledger_log_origin(r.log));
	printf("Ledger:      %s\n", org);
	printf("Entries:     %zu, Merkle root %s\n", n, root);
	if (rc != EXIT_OK)
		print_audit_failed(a->pos[0], &r, rc);
	else
		print_audit_intact(&r, n);
out:
	cli_witness_policy_free(&r.wp);
	json_decref(r.ao.findings);
	for (size_t i = 0; i < r.nnotes; i++)
		free(r.notes[i]);
	free(r.notes);
	free(r.note);
	kist_identity_free(r.signer);
	kist_ledger_log_free(r.log);
	return rc;
}

/* For cli_witness.c. */
int cli_read_small(const char *path, size_t max, char **out, size_t *len)
{
	return read_small(path, max, out, len);
}

int cli_ledger_load_any(const cli_args *a, const char *path, kist_identity *id,
                        kist_ledger_log **log)
{
	return load_any(a, path, id, log);
}
