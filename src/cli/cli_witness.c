/*
 * Witnessed checkpoints on the command line (docs/AUDIT.md): kist witness
 * cosign and kist audit compare; the witness policy of kist audit verify is
 * in cli_policy.c.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#define NOTE_MAX 65536

/* "size 5 (entries 0-4), signed by F; cosigned by F, F" on stdout. */
static void print_note(const kist_note_info *ni)
{
	char f[CLI_FPR_LABEL_MAX];
	if (ni->size)
		printf("size %llu (entries 0-%llu), ", (unsigned long long)ni->size,
		       (unsigned long long)(ni->size - 1));
	else
		printf("size 0 (no entries), ");
	cli_fpr_label(f, sizeof f, &ni->signer);
	printf("signed by %s; ", f);
	if (ni->ncosigners == 0)
		printf("not cosigned");
	for (size_t i = 0; i < ni->ncosigners; i++) {
		cli_fpr_label(f, sizeof f, &ni->cosigners[i]);
		printf("%s%s", i ? ", " : "cosigned by ", f);
	}
}

/* Reads a note file; prints one line and returns an exit code on failure. */
static int read_note(const char *path, char **text, size_t *len)
{
	return cli_read_small(path, NOTE_MAX, text, len);
}

static void say_normalized(const char *path, const kist_note_info *ni)
{
	if (ni->normalized && !cli_quiet)
		cli_error(path, "note: CRLF line ends or trailing blanks removed (as mail leaves "
		                "them); the signatures were checked on the result");
}

/* ------------------------------------------------------ kist witness */

/* witness cosign --json when the cosign was refused (docs/JSON.md). */
static void cosign_refused_json(int rc, kist_witness_verdict v, const kist_note_info *ni)
{
	json_t *o = json_object();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "result",
	                    json_string(v == KIST_WITNESS_OK ? "refused" : cli_verdict_name(v)));
	json_object_set_new(o, "exit_code", json_integer(rc));
	json_object_set_new(o, "message", json_string(kist_errdetail()));
	json_object_set_new(o, "note", cli_note_json(ni));
	cli_json_print(o);
}

/* witness cosign --json when cosigned (docs/JSON.md); returns the exit code. */
static int cosigned_json(const kist_note_info *ni, const kist_witness_state *held,
                         const kist_identity *id, const char *out, const char *o_path)
{
	json_t *o = json_object(), *p = json_null();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "result", json_string("cosigned"));
	json_object_set_new(o, "exit_code", json_integer(0));
	json_object_set_new(o, "note", cli_note_json(ni));
	if (held->origin[0]) {
		char r[45];
		cli_root_b64(r, held->root);
		p = json_object();
		json_object_set_new(p, "size", json_integer((json_int_t)held->size));
		json_object_set_new(p, "root", json_string(r));
		json_object_set_new(p, "time", json_integer((json_int_t)held->time));
	}
	json_object_set_new(o, "previous", p);
	kist_pubkey me;
	kist_identity_pubkey(id, &me);
	json_object_set_new(o, "cosigner", cli_key_json(&me));
	json_object_set_new(o, "cosigned_note", json_string(out));
	json_object_set_new(o, "output", o_path ? json_string(o_path) : json_null());
	return cli_json_print(o);
}

/* The line on stderr after a cosign: extended a held checkpoint, or pinned a new origin. */
static void say_cosigned(const kist_note_info *ni, const kist_witness_state *held,
                         const char *state)
{
	char org[200];
	cli_escape(org, sizeof org, ni->origin);
	if (held->origin[0])
		fprintf(stderr,
		        "kist: cosigned %s at size %llu (it extends size %llu, cosigned "
		        "before)\n",
		        org, (unsigned long long)ni->size, (unsigned long long)held->size);
	else
		fprintf(stderr,
		        "kist: cosigned %s at size %llu; first use: this origin and "
		        "its key are now pinned in %s\n",
		        org, (unsigned long long)ni->size, state);
}

int cmd_witness_cosign(const cli_args *a)
{
	kist_identity *id = NULL;
	kist_ledger_log *log = NULL;
	kist_witness_state held;
	kist_witness_verdict v = KIST_WITNESS_OK;
	kist_note_info ni;
	char *text = NULL, *out = NULL;
	size_t len = 0;
	int rc;

	if (a->npos != 2 || cli_count(a, "identity") != 1 || cli_get(a, "state") == NULL) {
		cli_usage_error("witness cosign",
		                "usage: kist witness cosign -i TRUSTEE --state DIR "
		                "NOTE BUNDLE_OR_LEDGER [-o FILE]");
		return EXIT_USAGE;
	}
	if (cli_count(a, "quiet"))
		cli_quiet = 1;
	int json = cli_count(a, "json") > 0;
	const char *state = cli_get(a, "state"), *notepath = a->pos[0];
	if ((rc = read_note(notepath, &text, &len)) != EXIT_OK)
		goto out;
	kist_err err = kist_note_read(&ni, text, len, NULL, 0);
	if (err != KIST_OK) {
		rc = cli_witness_code(err, v);
		cli_fail(notepath, err);
		goto out;
	}
	say_normalized(notepath, &ni);
	if ((rc = cli_load_identity(cli_get(a, "identity"), cli_get(a, "passphrase-file"), &id)) !=
	    EXIT_OK)
		goto out;
	if ((rc = cli_ledger_load_any(a, a->pos[1], id, &log)) != EXIT_OK)
		goto out;
	err = kist_witness_cosign(state, text, len, log, id, (uint64_t)time(NULL), &out, &v, &held);
	if (err != KIST_OK) {
		rc = cli_witness_code(err, v);
		if (json)
			cosign_refused_json(rc, v, &ni);
		if (v == KIST_WITNESS_ROLLBACK || v == KIST_WITNESS_FORK)
			cli_error(a->pos[1], "REFUSED: %s", kist_errdetail());
		else
			cli_fail(a->pos[1], err);
		goto out;
	}
	const char *o_path = cli_get(a, "output");
	if (o_path) {
		if ((err = kist_file_write(o_path, out, strlen(out),
		                           cli_count(a, "force") > 0 ? KIST_REPLACE : 0)) !=
		    KIST_OK) {
			if (err == KIST_E_EXISTS) {
				cli_error(o_path, "already exists (use --force to replace it)");
				rc = EXIT_OTHER;
			} else {
				rc = cli_fail(NULL, err);
			}
			goto out;
		}
	}
	if (json)
		rc = cosigned_json(&ni, &held, id, out, o_path);
	else if (!o_path)
		fputs(out, stdout);
	if (!cli_quiet)
		say_cosigned(&ni, &held, state);
out:
	free(out);
	free(text);
	kist_identity_free(id);
	kist_ledger_log_free(log);
	return rc;
}

/* ------------------------------------------------ kist audit compare */

/* audit compare --json (docs/JSON.md). */
static void compare_json(const char *result, int rc, int with_log, kist_err err,
                         const kist_note_info ni[2])
{
	json_t *o = json_object(), *notes = json_array();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "result", json_string(result));
	json_object_set_new(o, "exit_code", json_integer(rc));
	json_object_set_new(o, "checked_against_ledger", json_boolean(with_log));
	json_object_set_new(o, "message",
	                    err == KIST_OK ? json_null() : json_string(kist_errdetail()));
	for (int i = 0; i < 2; i++)
		json_array_append_new(notes, cli_note_json(&ni[i]));
	json_object_set_new(o, "notes", notes);
	cli_json_print(o);
}

/* audit compare's text report: both notes, then the result. */
static void compare_text(int rc, kist_err err, kist_witness_verdict v, int checked,
                         const kist_note_info ni[2])
{
	for (int i = 0; i < 2; i++) {
		char r[45], org[200];
		cli_root_b64(r, ni[i].root);
		cli_escape(org, sizeof org, ni[i].origin);
		printf("Note %d:      %s\n             size %llu, root %s\n             ", i + 1,
		       org, (unsigned long long)ni[i].size, r);
		print_note(&ni[i]);
		putchar('\n');
	}
	if (err == KIST_E_CORRUPT)
		printf("Result:      %s - %s (exit %d)\n",
		       v == KIST_WITNESS_OTHER  ? "DIFFERENT LEDGERS"
		       : v == KIST_WITNESS_FORK ? "FORK"
		                                : "ROLLBACK",
		       kist_errdetail(), rc);
	else if (!checked)
		printf("Result:      UNCHECKED - the sizes differ; give the ledger or bundle "
		       "to prove that one extends the other (exit %d)\n",
		       rc);
	else
		printf("Result:      CONSISTENT - %s\n",
		       ni[0].size == ni[1].size ? "the same size and root"
		                                : "the larger extends the smaller (RFC 9162, "
		                                  "recomputed from the ledger)");
}

int cmd_audit_compare(const cli_args *a)
{
	kist_ledger_log *log = NULL;
	kist_note_info ni[2];
	char *text[2] = {NULL, NULL};
	kist_witness_verdict v = KIST_WITNESS_OK;
	int rc = EXIT_OK, checked = 0;

	if (a->npos != 2 && a->npos != 3) {
		cli_usage_error("audit compare",
		                "usage: kist audit compare NOTE NOTE [BUNDLE_OR_LEDGER] [--json]");
		return EXIT_USAGE;
	}
	if (cli_count(a, "quiet"))
		cli_quiet = 1;
	int json = cli_count(a, "json") > 0;
	for (int i = 0; i < 2; i++) {
		size_t len = 0;
		if ((rc = read_note(a->pos[i], &text[i], &len)) != EXIT_OK)
			goto out;
		kist_err err = kist_note_read(&ni[i], text[i], len, NULL, 0);
		if (err != KIST_OK) {
			rc = cli_witness_code(err, KIST_WITNESS_OK);
			cli_fail(a->pos[i], err);
			goto out;
		}
		say_normalized(a->pos[i], &ni[i]);
	}
	if (a->npos == 3 && (rc = cli_ledger_load_any(a, a->pos[2], NULL, &log)) != EXIT_OK)
		goto out;
	kist_err err = kist_note_compare(&ni[0], &ni[1], log, &v, &checked);
	const char *result;
	if (err == KIST_E_CORRUPT) {
		rc = cli_witness_code(err, v);
		result = cli_verdict_name(v);
	} else if (err != KIST_OK) {
		rc = cli_fail(a->npos == 3 ? a->pos[2] : NULL, err);
		goto out;
	} else if (!checked) {
		rc = EXIT_OTHER;
		result = "unchecked";
	} else {
		result = "consistent";
	}
	if (json)
		compare_json(result, rc, log != NULL, err, ni);
	else
		compare_text(rc, err, v, checked, ni);
	if (rc == EXIT_AUDIT_ROLLBACK || rc == EXIT_AUDIT_CHECKPOINT)
		cli_error(NULL, "%s", kist_errdetail());
out:
	for (int i = 0; i < 2; i++)
		free(text[i]);
	kist_ledger_log_free(log);
	return rc;
}
