/*
 * Trustee-gated opening (docs/GATE.md): kist request (a recipient asks),
 * kist release (a custodian decides, logging first), and the request store
 * and --release of the opening verbs (cli_vault.c calls cli_open_released).
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

/* A whole regular file of at most max bytes, malloc'd; one line printed on failure. */
static int read_small(const char *path, size_t max, unsigned char **out, size_t *len)
{
	kist__os_stat st;
	int fd = kist__os_open(path, KIST__OS_RDONLY, 0);
	if (fd < 0) {
		cli_error(path, "%s", strerror(errno));
		return EXIT_IO;
	}
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE || (uint64_t)st.size > max) {
		kist__os_close(fd);
		cli_error(path, "not a regular file of at most %zu bytes", max);
		return EXIT_USAGE;
	}
	size_t n = (size_t)st.size, got = 0;
	unsigned char *b = malloc(n ? n : 1);
	while (b != NULL && got < n) {
		ptrdiff_t r = kist__os_read(fd, b + got, n - got);
		if (r <= 0) {
			free(b);
			b = NULL;
			break;
		}
		got += (size_t)r;
	}
	kist__os_close(fd);
	if (b == NULL) {
		cli_error(path, "could not be read");
		return EXIT_IO;
	}
	*out = b;
	*len = n;
	return EXIT_OK;
}

/* The request store: --request-store DIR, else $XDG_DATA_HOME/kist/requests. */
static int store_dir(const cli_args *a, char *out, size_t cap, int create)
{
	const char *d = cli_get(a, "request-store");
	int n;
	if (d != NULL && d[0] == '\0') {
		cli_usage_error(a->verb, "--request-store: an empty folder name");
		return EXIT_USAGE;
	}
	if (d != NULL)
		n = snprintf(out, cap, "%s", d);
	else if (kist__os_data_path("requests", out, cap) == 0)
		n = (int)strlen(out);
	else if (errno == ENAMETOOLONG)
		n = (int)cap;
	else {
		cli_error("request store", "no home folder: give --request-store DIR");
		return EXIT_USAGE;
	}
	if (n < 0 || (size_t)n >= cap) {
		cli_error("request store", "path too long");
		return EXIT_USAGE;
	}
	if (!create)
		return EXIT_OK;
	/* Missing folders are created 0700, one level at a time. */
	for (char *p = out + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			int r = kist__os_mkdirat(KIST__OS_CWD, out, 0700);
			*p = c;
			if (r != 0 && errno != EEXIST) {
				cli_error(out, "cannot create the request store: %s",
				          strerror(errno));
				return EXIT_IO;
			}
			if (c == '\0')
				break;
		}
	}
	return EXIT_OK;
}

static int key_path(const cli_args *a, const unsigned char digest[32], char *out, size_t cap,
                    int create)
{
	char dir[PATH_MAX], hex[65];
	int rc = store_dir(a, dir, sizeof dir, create);
	if (rc != EXIT_OK)
		return rc;
	sodium_bin2hex(hex, sizeof hex, digest, 32);
	hex[32] = '\0';
	int n = snprintf(out, cap, "%s/%s.key", dir, hex);
	if (n < 0 || (size_t)n >= cap) {
		cli_error("request store", "path too long");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const char *scope_words(const kist_request_info *ri)
{
	return ri->scope == KIST_SCOPE_ALL     ? "everything"
	       : ri->scope == KIST_SCOPE_PATHS ? "paths"
	                                       : "person";
}

/* A key as JSON: {"key", "fingerprint"} (NULL on no memory). */
static json_t *key_json(const kist_pubkey *pk)
{
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	kist_pubkey_format(pk, s);
	kist_pubkey_fingerprint(pk, f);
	return json_pack("{s:s, s:s}", "key", s, "fingerprint", f);
}

/* A request as JSON (docs/JSON.md, "Requests"). */
static json_t *request_json(const kist_request_info *ri)
{
	char hex[65];
	json_t *items = json_array();
	sodium_bin2hex(hex, sizeof hex, ri->digest, 32);
	for (size_t i = 0; items != NULL && i < ri->nitems; i++)
		json_array_append_new(items, cli_json_str(ri->items[i], strlen(ri->items[i])));
	return json_pack("{s:i, s:s, s:o, s:s, s:I, s:s, s:o, s:o}", "version", 1, "digest", hex,
	                 "requester", key_json(&ri->requester), "vault_id", ri->vault_id, "created",
	                 (json_int_t)ri->created, "scope",
	                 ri->scope == KIST_SCOPE_ALL     ? "all"
	                 : ri->scope == KIST_SCOPE_PATHS ? "paths"
	                                                 : "person",
	                 "items", items, "reason", cli_json_str(ri->reason, strlen(ri->reason)));
}

/* ---- kist request */

static int request_scope(const cli_args *a, kist_scope *scope, const char *const **items, size_t *n)
{
	int all = cli_count(a, "all") > 0, person = cli_count(a, "person") > 0;
	size_t npaths = a->npos - 1;
	if (all + person + (npaths > 0) != 1) {
		cli_usage_error("request", "say what is asked: --all, --person WHO, or PATH...");
		return EXIT_USAGE;
	}
	*scope = all ? KIST_SCOPE_ALL : person ? KIST_SCOPE_PERSON : KIST_SCOPE_PATHS;
	*items = person || all ? NULL : a->pos + 1;
	*n = person ? 1 : all ? 0 : npaths;
	return EXIT_OK;
}

/* What kist request tells once both files are written: JSON, or a summary on stderr. */
static int request_told(const cli_args *a, const char *out, const unsigned char *req,
                        size_t req_len, kist_scope scope, const kist_gate_info *gi)
{
	char fpr[CLI_FPR_LABEL_MAX];
	if (cli_count(a, "json")) {
		kist_request *parsed = NULL;
		kist_request_info ri;
		json_t *j = NULL, *cs;
		if (kist_request_parse(&parsed, req, req_len) == KIST_OK) {
			kist_request_get_info(parsed, &ri);
			j = request_json(&ri);
		}
		kist_request_free(parsed);
		cs = json_array();
		for (unsigned i = 0; cs != NULL && i < gi->ncustodians; i++)
			json_array_append_new(cs, key_json(&gi->custodians[i]));
		if (j == NULL || json_object_set_new(j, "quorum", json_integer(gi->quorum)) ||
		    json_object_set_new(j, "custodians", cs)) {
			json_decref(j);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
		return cli_json_print(j);
	}
	if (cli_count(a, "quiet"))
		return EXIT_OK;
	fprintf(stderr, "kist: wrote ");
	cli_put_safe(stderr, out, strlen(out), 0);
	fprintf(stderr, ": a request for %s of vault %s\n",
	        scope == KIST_SCOPE_ALL     ? "everything"
	        : scope == KIST_SCOPE_PATHS ? "paths"
	                                    : "one person",
	        gi->vault_id);
	fprintf(stderr, "  releases needed: %u of these %u custodians:\n", gi->quorum,
	        gi->ncustodians);
	for (unsigned i = 0; i < gi->ncustodians; i++) {
		cli_fpr_label(fpr, sizeof fpr, &gi->custodians[i]);
		fprintf(stderr, "    %s\n", fpr);
	}
	fprintf(stderr, "  send it to them; open with --release FILE once they answer\n");
	return EXIT_OK;
}

int cmd_request(const cli_args *a)
{
	kist_identity **ids = NULL;
	unsigned char *req = NULL, *key = NULL;
	size_t nids = 0, req_len = 0, key_len = 0, nitems = 0;
	const char *out = cli_get(a, "output"), *reason = cli_get(a, "reason");
	const char *person = cli_get(a, "person");
	const char *const *items = NULL;
	char kpath[PATH_MAX];
	kist_gate_info gi;
	kist_scope scope;
	int rc;

	if (a->npos < 1 || out == NULL || reason == NULL || cli_count(a, "identity") == 0) {
		cli_usage_error("request",
		                "usage: kist request -i IDENTITY --reason TEXT -o "
		                "ASK.kist-request VAULT (--all | --person WHO | PATH...)");
		return EXIT_USAGE;
	}
	if ((rc = request_scope(a, &scope, &items, &nitems)) != EXIT_OK)
		return rc;
	if (scope == KIST_SCOPE_PERSON)
		items = &person;
	if ((rc = cli_load_identities(a, &ids, &nids)) != EXIT_OK)
		return rc;
	kist_err err = kist_vault_gate(a->pos[0], ids, nids, &gi);
	if (err == KIST_OK)
		err = kist_request_make(a->pos[0], ids, nids, scope, items, nitems, reason, &req,
		                        &req_len, &key, &key_len);
	if (err != KIST_OK) {
		rc = err == KIST_E_NOTFOUND
		         ? (cli_error(a->pos[0], "%s: nothing to request", kist_errdetail()),
		            EXIT_USAGE)
		         : cli_fail(a->pos[0], err);
		goto out;
	}
	/* The key first: a request whose key is lost could never be used. */
	unsigned char digest[32];
	crypto_hash_sha256(digest, req, req_len);
	if ((rc = key_path(a, digest, kpath, sizeof kpath, 1)) != EXIT_OK)
		goto out;
	if ((err = kist_file_write(kpath, key, key_len, 0)) != KIST_OK) {
		rc = cli_fail(kpath, err);
		goto out;
	}
	if ((err = kist_file_write(out, req, req_len, cli_count(a, "force") ? KIST_REPLACE : 0)) !=
	    KIST_OK) {
		kist__os_unlinkat(KIST__OS_CWD, kpath, 0);
		rc = cli_fail_hint(out, err, KIST_E_EXISTS, "use --force to replace it");
		goto out;
	}
	rc = request_told(a, out, req, req_len, scope, &gi);
out:
	if (key != NULL)
		sodium_memzero(key, key_len);
	free(key);
	free(req);
	cli_free_identities(ids, nids);
	return rc;
}

/* ---- kist release */

static void show_request(FILE *f, const kist_request_info *ri, unsigned share_no)
{
	char fpr[CLI_FPR_LABEL_MAX], when[64], hex[65];
	cli_fpr_label(fpr, sizeof fpr, &ri->requester);
	cli_time(when, sizeof when, ri->created);
	sodium_bin2hex(hex, sizeof hex, ri->digest, 32);
	fprintf(f, "request:   %.32s\n", hex);
	fprintf(f, "from:      %s\n", fpr);
	fprintf(f, "vault:     %s (as your custodian slot names it)\n", ri->vault_id);
	fprintf(f, "made:      %s (the requester's clock)\n", when);
	fprintf(f, "asks for:  %s\n", scope_words(ri));
	for (size_t i = 0; i < ri->nitems; i++) {
		fprintf(f, "  ");
		cli_put_safe(f, ri->items[i], strlen(ri->items[i]), CLI_SAFE_BACKSLASH);
		fprintf(f, "\n");
	}
	fprintf(f, "reason:    ");
	cli_put_safe(f, ri->reason, strlen(ri->reason), 0);
	fprintf(f, "\n");
	if (share_no)
		fprintf(f, "you hold:  share %u of this vault's key\n", share_no);
	fflush(f);
}

/* Asks on the terminal; 1 for yes. */
static int confirm(const char *what)
{
	char line[16], prompt[200];
	size_t len = 0;
	int tty = kist__os_tty_open();
	if (tty < 0)
		return -1;
	snprintf(prompt, sizeof prompt, "%s? [y/N] ", what);
	/* A longer answer is cut (E2BIG): its first letter still decides. */
	int rc = kist__os_tty_read_line(tty, prompt, line, sizeof line, &len, 1);
	kist__os_close(tty);
	return (rc == 0 || errno == E2BIG) && len > 0 && (line[0] == 'y' || line[0] == 'Y');
}

/* Before anything is recorded: the output can be written, and the custodian agrees. */
static int ask_first(const cli_args *a, const char *out, int refuse)
{
	if (!cli_count(a, "force") && kist__os_exists(out)) {
		cli_error(out, "exists; use --force to replace it (nothing recorded)");
		return EXIT_OTHER;
	}
	if (cli_count(a, "yes"))
		return EXIT_OK;
	int yes = confirm(refuse ? "Record the refusal" : "Release your share to this request");
	if (yes < 0) {
		cli_usage_error("release", "no terminal to confirm on: give --yes");
		return EXIT_USAGE;
	}
	if (!yes) {
		fprintf(stderr, "kist: nothing recorded, nothing written\n");
		return EXIT_OTHER;
	}
	return EXIT_OK;
}

/* The decision goes into the ledger before anything leaves (fail closed), then out. */
static int record_and_write(const cli_args *a, const kist_request *r, const kist_identity *cust,
                            int refuse, uint64_t *index)
{
	const char *out = cli_get(a, "output");
	unsigned char *rel = NULL;
	size_t rel_len = 0;
	char lpath[PATH_MAX];
	kist_ledger *l = NULL;
	int rc = cli_ledger_open(a, &l, "release");
	if (rc != EXIT_OK)
		return rc;
	kist_err err = kist_release_record(r, cust, l, refuse, index);
	kist_ledger_close(l);
	if (err != KIST_OK) {
		cli_error("ledger", "%s; the release is refused: nothing was released",
		          kist_errdetail()[0] ? kist_errdetail() : kist_strerror(err));
		return EXIT_LEDGER;
	}
	if ((rc = cli_ledger_path(a, lpath, sizeof lpath)) != EXIT_OK)
		return rc;
	if ((err = kist_release_build(r, cust, lpath, *index, refuse, cli_get(a, "note"), &rel,
	                              &rel_len)) != KIST_OK ||
	    (err = kist_file_write(out, rel, rel_len, cli_count(a, "force") ? KIST_REPLACE : 0)) !=
	        KIST_OK)
		rc = cli_fail_hint(out, err, KIST_E_EXISTS, "use --force to replace it");
	free(rel);
	return rc;
}

/* What kist release tells once the release is written; takes j. */
static int release_told(const cli_args *a, json_t *j, int refuse, uint64_t index, const char *out)
{
	if (j != NULL) {
		if (json_object_set_new(j, "decision",
		                        json_string(refuse ? "refuse" : "release")) ||
		    json_object_set_new(j, "ledger_index", json_integer((json_int_t)index))) {
			json_decref(j);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
		return cli_json_print(j);
	}
	if (!cli_count(a, "quiet")) {
		fprintf(stderr, "kist: %s recorded as ledger entry %llu; wrote ",
		        refuse ? "refusal" : "release", (unsigned long long)index);
		cli_put_safe(stderr, out, strlen(out), 0);
		fprintf(stderr, "\n");
	}
	return EXIT_OK;
}

int cmd_release(const cli_args *a)
{
	kist_identity **ids = NULL, *cust = NULL;
	kist_request *r = NULL;
	unsigned char *buf = NULL;
	size_t nids = 0, len = 0;
	const char *out = cli_get(a, "output");
	int show = cli_count(a, "show") > 0, refuse = cli_count(a, "refuse") > 0, rc;
	int json = cli_count(a, "json") > 0;
	json_t *j = NULL;
	unsigned share_no = 0;
	kist_request_info ri;
	uint64_t index = 0;

	if (a->npos != 1 || cli_count(a, "identity") == 0 || (show == (out != NULL))) {
		cli_usage_error("release", "usage: kist release -i IDENTITY (-o OUT [--refuse] | "
		                           "--show) REQUEST");
		return EXIT_USAGE;
	}
	if ((rc = read_small(a->pos[0], 4u << 20, &buf, &len)) != EXIT_OK)
		return rc;
	kist_err err = kist_request_parse(&r, buf, len);
	if (err != KIST_OK) {
		rc = cli_fail(a->pos[0], err);
		goto out;
	}
	if ((rc = cli_load_identities(a, &ids, &nids)) != EXIT_OK)
		goto out;
	for (size_t i = 0; i < nids && cust == NULL; i++)
		if ((err = kist_request_check(r, ids[i], &share_no)) == KIST_OK)
			cust = ids[i];
	if (cust == NULL) {
		rc = cli_fail(a->pos[0], err);
		goto out;
	}
	kist_request_get_info(r, &ri);
	if (json) {
		if ((j = request_json(&ri)) == NULL ||
		    json_object_set_new(j, "share", json_integer(share_no))) {
			rc = cli_fail(NULL, KIST_E_NOMEM);
			goto out;
		}
	}
	/* With --json, the custodian still sees the request before deciding. */
	if (!json || (!show && !cli_count(a, "yes")))
		show_request(json ? stderr : stdout, &ri, share_no);
	if (show) {
		rc = json ? cli_json_print(j) : EXIT_OK;
		j = NULL;
		goto out;
	}
	if ((rc = ask_first(a, out, refuse)) != EXIT_OK)
		goto out;
	if ((rc = record_and_write(a, r, cust, refuse, &index)) != EXIT_OK)
		goto out;
	rc = release_told(a, j, refuse, index, out);
	j = NULL;
out:
	json_decref(j);
	kist_request_free(r);
	free(buf);
	cli_free_identities(ids, nids);
	return rc;
}

/* ---- opening with --release */

void cli_released_free(cli_released *x)
{
	kist_request_free(x->req);
	memset(x, 0, sizeof *x);
}

int cli_open_released(const cli_args *a, const char *path, kist_identity *const *ids, size_t n,
                      kist_vault **v, cli_released *x)
{
	size_t nrel = cli_count(a, "release");
	unsigned char *bufs[KIST_CUSTODIANS_MAX] = {0}, *key = NULL, digest[32];
	size_t lens[KIST_CUSTODIANS_MAX] = {0}, key_len = 0;
	int rc = EXIT_OK;

	memset(x, 0, sizeof *x);
	if (nrel > KIST_CUSTODIANS_MAX) {
		cli_usage_error(a->verb, "at most %d --release", KIST_CUSTODIANS_MAX);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < nrel && rc == EXIT_OK; i++)
		rc = read_small(cli_get_n(a, "release", i), 4u << 20, &bufs[i], &lens[i]);
	if (rc != EXIT_OK)
		goto out;
	kist_err err = kist_release_request_digest(bufs[0], lens[0], digest);
	if (err != KIST_OK) {
		rc = cli_fail(cli_get_n(a, "release", 0), err);
		goto out;
	}
	if ((rc = key_path(a, digest, x->key_path, sizeof x->key_path, 0)) != EXIT_OK)
		goto out;
	if (!kist__os_exists(x->key_path)) {
		cli_error(cli_get_n(a, "release", 0),
		          "no pending request for this release: already used, or made elsewhere "
		          "(request store: %s)",
		          x->key_path);
		rc = EXIT_ACCESS;
		goto out;
	}
	if ((rc = read_small(x->key_path, 8u << 20, &key, &key_len)) != EXIT_OK)
		goto out;
	err = kist_vault_open_released(v, path, ids, n, (const void *const *)bufs, lens, nrel, key,
	                               key_len, &x->req);
	if (err != KIST_OK)
		rc = cli_fail(path, err);
out:
	for (size_t i = 0; i < nrel && i < KIST_CUSTODIANS_MAX; i++)
		free(bufs[i]);
	if (key != NULL)
		sodium_memzero(key, key_len);
	free(key);
	return rc;
}

int cli_released_forget(const cli_released *x)
{
	char dir[PATH_MAX];
	if (x->req == NULL)
		return EXIT_OK;
	if (kist__os_unlinkat(KIST__OS_CWD, x->key_path, 0) != 0) {
		cli_error(x->key_path, "could not delete the used request key: %s",
		          strerror(errno));
		return EXIT_IO;
	}
	snprintf(dir, sizeof dir, "%s", x->key_path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL) {
		*slash = '\0';
		int fd = kist__os_open(dir[0] ? dir : "/", KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
		if (fd >= 0) {
			kist__os_fsync(fd);
			kist__os_close(fd);
		}
	}
	return EXIT_OK;
}

/* The gate of a vault that opened for none of ids because it is trustee-gated. */
void cli_gate_hint(const char *path, kist_identity *const *ids, size_t n)
{
	kist_gate_info gi;
	char fpr[CLI_FPR_LABEL_MAX];
	if (kist_vault_gate(path, ids, n, &gi) != KIST_OK)
		return;
	fprintf(stderr, "kist: a release is needed from %u of these %u custodians:\n", gi.quorum,
	        gi.ncustodians);
	for (unsigned i = 0; i < gi.ncustodians; i++) {
		cli_fpr_label(fpr, sizeof fpr, &gi.custodians[i]);
		fprintf(stderr, "    %s\n", fpr);
	}
	fprintf(stderr, "kist: ask them with: kist request -i IDENTITY --reason TEXT -o "
	                "ASK.kist-request VAULT --all\n");
}
