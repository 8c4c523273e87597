/* kist info, list, extract, cat, verify. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

int cmd_info(const cli_args *a)
{
	kist_vault_info info;
	char h[32];
	if (a->npos != 1) {
		cli_usage_error("info", "usage: kist info VAULT");
		return EXIT_USAGE;
	}
	kist_err err = kist_vault_probe(a->pos[0], &info);
	if (err != KIST_OK)
		return cli_fail(a->pos[0], err);
	if (cli_count(a, "json")) {
		json_t *j = json_object();
		if (j == NULL || json_object_set_new(j, "version", json_integer(1)) ||
		    cli_json_set_name(j, "vault", a->pos[0]) ||
		    json_object_set_new(j, "format_version", json_integer(info.format_version)) ||
		    json_object_set_new(j, "size", json_integer((json_int_t)info.file_size)) ||
		    json_object_set_new(j, "header_size", json_integer(info.header_size)) ||
		    json_object_set_new(j, "recipient_slots", json_integer(info.slot_count)) ||
		    json_object_set_new(j, "grants", json_integer(info.grant_count)) ||
		    json_object_set_new(j, "custodians", json_integer(info.custodian_count))) {
			json_decref(j);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
		return cli_json_print(j);
	}
	cli_human_size(h, sizeof h, info.file_size);
	printf("format:          kist vault, version %u\n", info.format_version);
	printf("size:            %llu bytes (%s)\n", (unsigned long long)info.file_size, h);
	if (info.age_slots > 0)
		printf("recipient slots: %u (%u age)\n", info.slot_count, info.age_slots);
	else
		printf("recipient slots: %u\n", info.slot_count);
	if (info.grant_count > 0)
		printf("grants:          %u (recipients added after sealing)\n", info.grant_count);
	if (info.custodian_count > 0)
		printf("custodians:      %u (trustee-gated: opening needs their releases)\n",
		       info.custodian_count);
	printf("header:          %u bytes\n", info.header_size);
	printf("(everything else, including names, sizes of entries, who sealed it and "
	       "whether the size is padded, is encrypted)\n");
	return EXIT_OK;
}

static void mode_string(char out[11], const kist_entry *e)
{
	static const char rwx[] = "rwxrwxrwx";
	out[0] = e->type == KIST_ENTRY_DIR ? 'd' : e->type == KIST_ENTRY_SYMLINK ? 'l' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = (e->mode & (0400u >> i)) ? rwx[i] : '-';
	out[10] = '\0';
}

static int list_json(kist_vault *v, const char *path)
{
	json_t *root = json_object(), *arr = json_array();
	if (root == NULL || arr == NULL || json_object_set_new(root, "version", json_integer(1)) ||
	    cli_json_set_name(root, "vault", path) || json_object_set(root, "entries", arr))
		goto nomem;
	for (size_t i = 0; i < kist_vault_entry_count(v); i++)
		if (json_array_append_new(arr, cli_json_entry(kist_vault_entry_at(v, i))) != 0)
			goto nomem;
	json_decref(arr);
	return cli_json_print(root);
nomem:
	json_decref(arr);
	json_decref(root);
	return cli_fail(NULL, KIST_E_NOMEM);
}

int cmd_list(const cli_args *a)
{
	kist_vault *v = NULL;
	int rc;
	if (cli_count(a, "long") && cli_count(a, "json")) {
		cli_usage_error("list", "--long and --json conflict (--json has every field)");
		return EXIT_USAGE;
	}
	if (a->npos != 1) {
		cli_usage_error("list", "usage: kist list -i IDENTITY VAULT");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_vault(a, a->pos[0], &v, "list", NULL, 0)) != EXIT_OK)
		return rc;
	if (cli_count(a, "json")) {
		rc = list_json(v, a->pos[0]);
		kist_vault_close(v);
		return rc;
	}
	int longfmt = cli_count(a, "long") > 0;
	for (size_t i = 0; i < kist_vault_entry_count(v); i++) {
		const kist_entry *e = kist_vault_entry_at(v, i);
		if (longfmt) {
			char m[11], t[40], hex[65];
			mode_string(m, e);
			cli_time(t, sizeof t, e->mtime);
			if (e->type == KIST_ENTRY_FILE)
				sodium_bin2hex(hex, sizeof hex, e->sha256, 32);
			else
				snprintf(hex, sizeof hex, "%64s", "-");
			printf("%s %12llu %s %s ", m, (unsigned long long)e->size, t, hex);
		}
		cli_print_path(e->path);
		if (longfmt && e->type == KIST_ENTRY_SYMLINK) {
			fputs(" -> ", stdout);
			cli_print_path(e->link_target);
		}
		putchar('\n');
	}
	kist_vault_close(v);
	return EXIT_OK;
}

int cmd_extract(const cli_args *a)
{
	kist_vault *v = NULL;
	kist_extract_opts o;
	int rc;
	const char *person;
	const char **sel = NULL;
	size_t nsel = 0;
	person = cli_get(a, "person");
	if (a->npos < 1 || (person != NULL && a->npos != 1)) {
		cli_usage_error("extract", person ? "--person takes no PATH: kist extract -i "
		                                    "IDENTITY --person NAME_OR_ID VAULT"
		                                  : "usage: kist extract -i IDENTITY [-C DIR] "
		                                    "VAULT [PATH...]");
		return EXIT_USAGE;
	}
	if (person == NULL) {
		sel = a->pos + 1;
		nsel = a->npos - 1;
	}
	if ((rc = cli_open_vault_for(a, a->pos[0], &v, "extract", sel, nsel, person, &sel,
	                             &nsel)) != EXIT_OK)
		return rc;
	memset(&o, 0, sizeof o);
	o.dir = cli_get(a, "directory");
	o.force = cli_count(a, "force") > 0;
	o.create_dir = 1;
	o.warn_fn = cli_warn;
	cli_progress prog;
	cli_progress_init(&prog, "extracting");
	kist_vault_set_progress(v, cli_progress_cb, &prog);
	kist_err err = kist_vault_extract(v, &o, sel, nsel);
	cli_progress_end(&prog);
	if (err != KIST_OK) {
		rc = cli_fail_hint(a->pos[0], err, KIST_E_EXISTS, "use --force to overwrite");
		if (err == KIST_E_CORRUPT || err == KIST_E_UNSAFE)
			fprintf(stderr, "kist: nothing was extracted\n");
	} else if (!cli_quiet) {
		fprintf(stderr,
		        "kist: extracted %s into %s, every file authenticated and its "
		        "SHA-256 checked\n",
		        person        ? "the person's media"
		        : a->npos > 1 ? "the selected entries"
		                      : "all entries",
		        o.dir ? o.dir : ".");
	}
	if (person != NULL)
		free(sel);
	kist_vault_close(v);
	return rc;
}

int cmd_cat(const cli_args *a)
{
	kist_vault *v = NULL;
	int rc;
	if (a->npos != 2) {
		cli_usage_error("cat", "usage: kist cat -i IDENTITY VAULT PATH");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_vault(a, a->pos[0], &v, "cat", a->pos + 1, 1)) != EXIT_OK)
		return rc;
	const kist_entry *e = kist_vault_find(v, a->pos[1]);
	if (e == NULL || e->type != KIST_ENTRY_FILE) {
		cli_error(a->pos[0], "%s: %s", a->pos[1],
		          e ? "not a file entry" : "no such entry in the vault");
		kist_vault_close(v);
		return EXIT_OTHER;
	}
	fflush(stdout);
	kist_err err = kist_vault_cat(v, e, KIST__OS_STDOUT);
	if (err != KIST_OK)
		rc = cli_fail(a->pos[0], err);
	kist_vault_close(v);
	return rc;
}

/* Where damaged entries go: the text report on stdout, or the JSON array. */
typedef struct verify_out {
	int first;
	json_t *damaged; /* --json */
	int nomem;
} verify_out;

static void report_failure(void *ctx, const char *path, const char *message)
{
	verify_out *vo = ctx;
	if (vo->damaged != NULL) {
		json_t *o = json_object();
		if (o == NULL || cli_json_set_name(o, "path", path) ||
		    json_object_set_new(o, "reason", json_string(message)) ||
		    json_array_append_new(vo->damaged, o))
			vo->nomem = 1;
		return;
	}
	cli_progress_clear();
	if (vo->first) {
		printf("Damaged entries:\n");
		vo->first = 0;
	}
	(void)path; /* the message names the entry */
	fputs("  - ", stdout);
	cli_put_safe(stdout, message, strlen(message), 0);
	putchar('\n');
}

static json_t *key_json(const kist_pubkey *pk)
{
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	kist_pubkey_format(pk, s);
	kist_pubkey_fingerprint(pk, f);
	json_t *o = json_pack("{s:s, s:s}", "key", s, "fingerprint", f);
	if (o != NULL && cli_json_contact(o, pk) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The grant records as a JSON array (NULL on no memory). */
static json_t *grants_json(kist_vault *v)
{
	json_t *arr = json_array();
	kist_grant_info g;
	for (size_t i = 0; arr != NULL && i < kist_vault_grant_count(v); i++) {
		json_t *keys = json_array();
		if (kist_vault_grant_get(v, i, &g) != KIST_OK || keys == NULL) {
			json_decref(keys);
			continue;
		}
		for (size_t k = 0; k < g.key_count; k++)
			json_array_append_new(keys, key_json(&g.keys[k]));
		json_t *o = json_pack("{s:I, s:o, s:o}", "time", (json_int_t)g.time, "granter",
		                      key_json(&g.granter), "added", keys);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/* The --json document of verify (docs/JSON.md), damaged (an array) included. */
static int verify_json(kist_vault *v, const char *path, const kist_vault_meta *m, size_t files,
                       size_t dirs, size_t links, const kist_verify_report *rep, json_t *damaged,
                       const char *signer, const cli_signer *want, int signer_ok, int intact,
                       const char *sha256)
{
	json_t *req = signer ? json_pack("{s:s, s:s, s:b}", "key", signer, "fingerprint", want->fpr,
	                                 "matches", signer_ok)
	                     : json_null();
	if (req != NULL && signer != NULL && !want->by_fingerprint &&
	    cli_json_contact(req, &want->pk) != 0) {
		json_decref(req);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	json_t *j = json_pack("{s:i}", "version", 1);
	if (j == NULL || cli_json_set_name(j, "vault", path) ||
	    json_object_set_new(j, "vault_id", json_string(m->vault_id)) ||
	    json_object_set_new(j, "created", json_integer(m->created)) ||
	    json_object_set_new(j, "tool_version", json_string(m->tool_version)) ||
	    json_object_set_new(j, "signed", json_boolean(m->signed_by_sealer)) ||
	    json_object_set_new(j, "signer",
	                        m->signed_by_sealer ? key_json(&m->signer) : json_null()) ||
	    json_object_set_new(j, "required_signer", req) ||
	    json_object_set_new(j, "sha256", sha256[0] ? json_string(sha256) : json_null()) ||
	    json_object_set_new(j, "format_version", json_integer(m->format_version)) ||
	    json_object_set_new(j, "recipients", json_integer(m->recipient_count)) ||
	    json_object_set_new(j, "grants", grants_json(v)) ||
	    json_object_set_new(j, "padding",
	                        m->format_version < 2 ? json_null()
	                                              : json_string(!m->padded ? "none"
	                                                            : m->padme ? "padme"
	                                                                       : "other")) ||
	    json_object_set_new(j, "entries",
	                        json_pack("{s:I, s:I, s:I, s:I, s:I}", "total",
	                                  (json_int_t)m->entry_count, "files", (json_int_t)files,
	                                  "dirs", (json_int_t)dirs, "links", (json_int_t)links,
	                                  "size", (json_int_t)m->total_size)) ||
	    json_object_set_new(j, "checked",
	                        json_pack("{s:I, s:I, s:I, s:b}", "files",
	                                  (json_int_t)rep->entries_checked, "bytes",
	                                  (json_int_t)rep->bytes_checked, "failed",
	                                  (json_int_t)rep->entries_failed, "padding_damaged",
	                                  rep->padding_damaged)) ||
	    json_object_set(j, "damaged", damaged) ||
	    json_object_set_new(j, "result",
	                        json_string(!intact      ? "failed"
	                                    : !signer_ok ? "wrong_signer"
	                                                 : "ok"))) {
		json_decref(j);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	return cli_json_print(j);
}

/* The expected signer as printed: its fingerprint, and its contact name if known. */
static void want_label(char *out, size_t cap, const cli_signer *want)
{
	if (want->by_fingerprint)
		snprintf(out, cap, "%s", want->fpr);
	else
		cli_fpr_label(out, cap, &want->pk);
}

/* The one line on stderr for verify --signer on an intact vault from someone else. */
static void signer_verdict(const char *path, const kist_vault_meta *m, const cli_signer *want)
{
	char fpr[CLI_FPR_LABEL_MAX], w[CLI_FPR_LABEL_MAX];
	want_label(w, sizeof w, want);
	if (!m->signed_by_sealer) {
		cli_error(path, "not signed, so not by the expected %s; the content checked out",
		          w);
		return;
	}
	cli_fpr_label(fpr, sizeof fpr, &m->signer);
	cli_error(path, "signed by %s, not by the expected %s; the content checked out", fpr, w);
}

/* Entries by type: files, folders, links. */
typedef struct entry_counts {
	size_t files, dirs, links;
} entry_counts;

static entry_counts count_entries(kist_vault *v)
{
	entry_counts c = {0, 0, 0};
	for (size_t i = 0; i < kist_vault_entry_count(v); i++) {
		kist_entry_type ty = kist_vault_entry_at(v, i)->type;
		c.files += ty == KIST_ENTRY_FILE;
		c.dirs += ty == KIST_ENTRY_DIR;
		c.links += ty == KIST_ENTRY_SYMLINK;
	}
	return c;
}

/* The text report before the check: what the vault is, who signed it. */
static void print_grants(kist_vault *v)
{
	char t[40], fpr[CLI_FPR_LABEL_MAX];
	kist_grant_info g;
	for (size_t i = 0; i < kist_vault_grant_count(v); i++) {
		if (kist_vault_grant_get(v, i, &g) != KIST_OK)
			continue;
		cli_time(t, sizeof t, g.time);
		cli_fpr_label(fpr, sizeof fpr, &g.granter);
		printf("Granted:     %s (as claimed), by %s; signature valid\n", t, fpr);
		for (size_t k = 0; k < g.key_count; k++) {
			cli_fpr_label(fpr, sizeof fpr, &g.keys[k]);
			printf("             to %s\n", fpr);
		}
	}
}

static void print_vault(const char *path, kist_vault *v, const kist_vault_meta *m, const char *sha,
                        entry_counts c)
{
	char t[40], h[32], tv[200], pks[KIST_PUBKEY_STRLEN + 1], fpr[CLI_FPR_LABEL_MAX];
	cli_time(t, sizeof t, m->created);
	cli_human_size(h, sizeof h, m->total_size);
	printf("Vault:       ");
	cli_print_path(path);
	printf("\nVault id:    ");
	cli_put_safe(stdout, m->vault_id, strlen(m->vault_id), 0);
	putchar('\n');
	printf("SHA-256:     %s (of the vault file)\n", sha);
	cli_escape(tv, sizeof tv, m->tool_version);
	printf("Sealed:      %s (as claimed by the sealer's clock), with %s\n", t, tv);
	if (m->signed_by_sealer) {
		kist_pubkey_format(&m->signer, pks);
		cli_fpr_label(fpr, sizeof fpr, &m->signer);
		printf("Signed by:   %s\n             fingerprint %s; signature valid (it "
		       "covers the index: every entry's SHA-256)\n",
		       pks, fpr);
	} else {
		printf("Signed by:   nobody - this vault is NOT signed and does not prove "
		       "who sealed it\n");
	}
	printf("Recipients:  %u\n", m->recipient_count);
	print_grants(v);
	if (m->format_version >= 2 && !m->padded)
		printf("Padding:     none (the exact size was kept)\n");
	else if (m->format_version >= 2 && m->padme)
		printf("Padding:     Padmé, %llu bytes (the size does not give the content's "
		       "away)\n",
		       (unsigned long long)m->pad_len);
	else if (m->format_version >= 2)
		printf("Padding:     %llu bytes, not to Padmé's size (another sealer's choice)\n",
		       (unsigned long long)m->pad_len);
	printf("Entries:     %llu (%zu %s, %zu %s, %zu %s), %s\n",
	       (unsigned long long)m->entry_count, c.files, cli_plural(c.files, "file", "files"),
	       c.dirs, cli_plural(c.dirs, "folder", "folders"), c.links,
	       cli_plural(c.links, "link", "links"), h);
	fflush(stdout);
}

/* The text verdict after the check (err: of kist_vault_verify, OK or CORRUPT); an exit code. */
static int print_verdict(const char *path, kist_err err, const kist_verify_report *rep,
                         const kist_vault_meta *m, const cli_signer *want, int bad_signer)
{
	char fpr[CLI_FPR_LABEL_MAX], w[CLI_FPR_LABEL_MAX] = "";
	if (bad_signer)
		want_label(w, sizeof w, want);
	if (err == KIST_OK && bad_signer) {
		/* Intact, but not from the expected sender: not damage (exit 7, not 4). */
		printf("Checked:     every chunk authenticated, every SHA-256 recomputed "
		       "(%llu %s)\n",
		       (unsigned long long)rep->entries_checked,
		       cli_plural(rep->entries_checked, "file", "files"));
		if (m->signed_by_sealer) {
			cli_fpr_label(fpr, sizeof fpr, &m->signer);
			printf("Signer:      signed by %s, NOT by the expected %s\n", fpr, w);
		} else {
			printf("Signer:      NOT signed at all; the expected signer was %s\n", w);
		}
		printf("Result:      WRONG SIGNER - the content checked out, but it does not come "
		       "from the expected signer\n");
		fflush(stdout);
		signer_verdict(path, m, want);
		return EXIT_SIGNER;
	}
	if (err == KIST_OK) {
		printf("Checked:     every chunk authenticated, every SHA-256 recomputed "
		       "(%llu %s)\n",
		       (unsigned long long)rep->entries_checked,
		       cli_plural(rep->entries_checked, "file", "files"));
		printf("Result:      ALL GOOD\n");
		return EXIT_OK;
	}
	if (err == KIST_E_CORRUPT)
		printf("Checked:     %llu %s, %llu DAMAGED\n",
		       (unsigned long long)rep->entries_checked,
		       cli_plural(rep->entries_checked, "file", "files"),
		       (unsigned long long)rep->entries_failed);
	if (err == KIST_E_CORRUPT && rep->padding_damaged)
		printf("Padding:     DAMAGED (the bytes after the index were changed; no entry "
		       "is affected)\n");
	if (bad_signer)
		printf("Signer:      NOT signed by the expected %s either\n", w);
	printf("Result:      FAILED - do not rely on the damaged entries\n");
	fflush(stdout);
	cli_error(path, "verification failed");
	return EXIT_INTEGRITY;
}

int cmd_verify(const cli_args *a)
{
	kist_vault *v = NULL;
	kist_vault_meta m;
	kist_verify_report rep;
	cli_signer want;
	char sha[65] = "";
	unsigned char digest[32];
	verify_out vo = {1, NULL, 0};
	int rc;

	if (a->npos != 1) {
		cli_usage_error("verify", "usage: kist verify -i IDENTITY VAULT");
		return EXIT_USAGE;
	}
	/* A part without a key: the keyless check of its set.  With -i, the
	 * vault is opened and verified through its parts like any other. */
	if (kist_is_part(a->pos[0]) && cli_count(a, "identity") == 0)
		return cli_parts_verify(a);
	/* A parity file beside the vault: checked first, without a key; damage
	 * is reported (exit 4) before any key is asked for. */
	char pv[4096 + 8], pside[4096 + 8];
	int pair = cli_parity_pair(a->pos[0], pv, pside, sizeof pv);
	if (pair < 0)
		return EXIT_USAGE;
	if (pair > 0 && (cli_count(a, "identity") == 0 || kist_is_parity(a->pos[0])))
		return cli_parity_verify(a, pv, pside, 1);
	if (pair > 0 && (rc = cli_parity_verify(a, pv, pside, 0)) != EXIT_OK)
		return rc;
	const char *signer = cli_get(a, "signer");
	if (signer != NULL && (rc = cli_signer_arg(signer, &want)) != EXIT_OK)
		return rc;
	int json = cli_count(a, "json") > 0;
	if ((rc = cli_open_vault(a, a->pos[0], &v, "verify", NULL, 0)) != EXIT_OK)
		return rc;
	kist_vault_get_meta(v, &m);
	/* The file's own SHA-256, to compare with what the sender sent apart. */
	kist_err herr = kist_vault_file_sha256(v, digest);
	if (herr != KIST_OK) {
		rc = cli_fail(a->pos[0], herr);
		kist_vault_close(v);
		return rc;
	}
	sodium_bin2hex(sha, sizeof sha, digest, sizeof digest);
	entry_counts c = count_entries(v);
	if (json && (vo.damaged = json_array()) == NULL) {
		kist_vault_close(v);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	if (!json)
		print_vault(a->pos[0], v, &m, sha, c);
	cli_progress prog;
	cli_progress_init(&prog, "verifying");
	kist_vault_set_progress(v, cli_progress_cb, &prog);
	kist_err err = kist_vault_verify(v, &rep, report_failure, &vo);
	cli_progress_end(&prog);
	int bad_signer =
	    signer != NULL && (!m.signed_by_sealer || !cli_signer_matches(&want, &m.signer));
	if (err != KIST_OK && err != KIST_E_CORRUPT) {
		rc = cli_fail(a->pos[0], err); /* no verdict: nothing on stdout in JSON mode */
	} else if (json) {
		int intact = err == KIST_OK;
		rc = vo.nomem ? cli_fail(NULL, KIST_E_NOMEM)
		              : verify_json(v, a->pos[0], &m, c.files, c.dirs, c.links, &rep,
		                            vo.damaged, signer, &want, !bad_signer, intact, sha);
		if (rc == EXIT_OK && !intact) {
			cli_error(a->pos[0], "verification failed");
			rc = EXIT_INTEGRITY;
		} else if (rc == EXIT_OK && bad_signer) {
			signer_verdict(a->pos[0], &m, &want);
			rc = EXIT_SIGNER;
		}
	} else {
		rc = print_verdict(a->pos[0], err, &rep, &m, &want, bad_signer);
	}
	json_decref(vo.damaged);
	kist_vault_close(v);
	return rc;
}
