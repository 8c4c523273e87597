/*
 * Witnessed checkpoints on the command line (docs/AUDIT.md): kist witness
 * cosign, kist audit compare, and the witness policy of kist audit verify
 * (--cosigner, --quorum, --origin, --state).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#define NOTE_MAX 65536

static const char *verdict_name(kist_witness_verdict v)
{
	switch (v) {
	case KIST_WITNESS_ROLLBACK:
		return "rollback";
	case KIST_WITNESS_FORK:
		return "fork";
	case KIST_WITNESS_OTHER:
		return "other-ledger";
	default:
		return "ok";
	}
}

/* The exit code of a witness failure: 14 rollback or fork, 15 a note that does not hold. */
static int witness_code(kist_err err, kist_witness_verdict v)
{
	if (v == KIST_WITNESS_ROLLBACK || v == KIST_WITNESS_FORK)
		return EXIT_AUDIT_ROLLBACK;
	if (v == KIST_WITNESS_OTHER || err == KIST_E_SIGNATURE || err == KIST_E_FORMAT)
		return EXIT_AUDIT_CHECKPOINT;
	return cli_exit_code(err);
}

static void root_b64(char out[45], const unsigned char root[32])
{
	sodium_bin2base64(out, 45, root, 32, sodium_base64_VARIANT_ORIGINAL);
}

static json_t *key_json(const kist_pubkey *pk)
{
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	json_t *o = json_object();
	kist_pubkey_format(pk, s);
	kist_pubkey_fingerprint(pk, f);
	json_object_set_new(o, "key", json_string(s));
	json_object_set_new(o, "fingerprint", json_string(f));
	return o;
}

/* size, root, signer, cosigners (with time) and entries covered of a note read. */
static json_t *note_json(const kist_note_info *ni)
{
	char r[45];
	json_t *o = json_object(), *cos = json_array();
	root_b64(r, ni->root);
	json_object_set_new(o, "origin", cli_json_str(ni->origin, strlen(ni->origin)));
	json_object_set_new(o, "size", json_integer((json_int_t)ni->size));
	json_object_set_new(o, "root", json_string(r));
	json_object_set_new(o, "signer", key_json(&ni->signer));
	for (size_t i = 0; i < ni->ncosigners; i++) {
		json_t *c = key_json(&ni->cosigners[i]);
		json_object_set_new(c, "time", json_integer((json_int_t)ni->cosigned_at[i]));
		json_array_append_new(cos, c);
	}
	json_object_set_new(o, "cosigners", cos);
	if (ni->size > 0) {
		json_t *e = json_array();
		json_array_append_new(e, json_integer(0));
		json_array_append_new(e, json_integer((json_int_t)(ni->size - 1)));
		json_object_set_new(o, "entries", e);
	} else {
		json_object_set_new(o, "entries", json_null());
	}
	return o;
}

/* "size 5 (entries 0-4), signed by F; cosigned by F, F" on stdout. */
static void print_note(const kist_note_info *ni)
{
	char f[KIST_FINGERPRINT_STRLEN + 1];
	if (ni->size)
		printf("size %llu (entries 0-%llu), ", (unsigned long long)ni->size,
		       (unsigned long long)(ni->size - 1));
	else
		printf("size 0 (no entries), ");
	kist_pubkey_fingerprint(&ni->signer, f);
	printf("signed by %s; ", f);
	if (ni->ncosigners == 0)
		printf("not cosigned");
	for (size_t i = 0; i < ni->ncosigners; i++) {
		kist_pubkey_fingerprint(&ni->cosigners[i], f);
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
		rc = witness_code(err, v);
		cli_fail(notepath, err);
		goto out;
	}
	say_normalized(notepath, &ni);
	if ((rc = cli_load_identity(cli_get(a, "identity"), cli_get(a, "passphrase-file"), &id)) !=
	    EXIT_OK)
		goto out;
	if ((rc = cli_ledger_load_any(a, a->pos[1], &log)) != EXIT_OK)
		goto out;
	err = kist_witness_cosign(state, text, len, log, id, (uint64_t)time(NULL), &out, &v, &held);
	if (err != KIST_OK) {
		rc = witness_code(err, v);
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "version", json_integer(1));
			json_object_set_new(
			    o, "result",
			    json_string(v == KIST_WITNESS_OK ? "refused" : verdict_name(v)));
			json_object_set_new(o, "exit_code", json_integer(rc));
			json_object_set_new(o, "message", json_string(kist_errdetail()));
			json_object_set_new(o, "note", note_json(&ni));
			cli_json_print(o);
		}
		if (v == KIST_WITNESS_ROLLBACK || v == KIST_WITNESS_FORK)
			cli_error(a->pos[1], "REFUSED: %s", kist_errdetail());
		else
			cli_fail(a->pos[1], err);
		goto out;
	}
	const char *o_path = cli_get(a, "output");
	if (o_path) {
		if ((err = kist_file_write(o_path, out, strlen(out), cli_count(a, "force") > 0)) !=
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
	if (json) {
		json_t *o = json_object(), *p = json_null();
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "result", json_string("cosigned"));
		json_object_set_new(o, "exit_code", json_integer(0));
		json_object_set_new(o, "note", note_json(&ni));
		if (held.origin[0]) {
			char r[45];
			root_b64(r, held.root);
			p = json_object();
			json_object_set_new(p, "size", json_integer((json_int_t)held.size));
			json_object_set_new(p, "root", json_string(r));
			json_object_set_new(p, "time", json_integer((json_int_t)held.time));
		}
		json_object_set_new(o, "previous", p);
		kist_pubkey me;
		kist_identity_pubkey(id, &me);
		json_object_set_new(o, "cosigner", key_json(&me));
		json_object_set_new(o, "cosigned_note", json_string(out));
		json_object_set_new(o, "output", o_path ? json_string(o_path) : json_null());
		rc = cli_json_print(o);
	} else if (!o_path) {
		fputs(out, stdout);
	}
	if (!cli_quiet) {
		char org[200];
		cli_escape(org, sizeof org, ni.origin);
		if (held.origin[0])
			fprintf(stderr,
			        "kist: cosigned %s at size %llu (it extends size %llu, cosigned "
			        "before)\n",
			        org, (unsigned long long)ni.size, (unsigned long long)held.size);
		else
			fprintf(stderr,
			        "kist: cosigned %s at size %llu; first use: this origin and "
			        "its key are now pinned in %s\n",
			        org, (unsigned long long)ni.size, state);
	}
out:
	free(out);
	free(text);
	kist_identity_free(id);
	kist_ledger_log_free(log);
	return rc;
}

/* ------------------------------------------------ kist audit compare */

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
			rc = witness_code(err, KIST_WITNESS_OK);
			cli_fail(a->pos[i], err);
			goto out;
		}
		say_normalized(a->pos[i], &ni[i]);
	}
	if (a->npos == 3 && (rc = cli_ledger_load_any(a, a->pos[2], &log)) != EXIT_OK)
		goto out;
	kist_err err = kist_note_compare(&ni[0], &ni[1], log, &v, &checked);
	const char *result;
	if (err == KIST_E_CORRUPT) {
		rc = witness_code(err, v);
		result = verdict_name(v);
	} else if (err != KIST_OK) {
		rc = cli_fail(a->npos == 3 ? a->pos[2] : NULL, err);
		goto out;
	} else if (!checked) {
		rc = EXIT_OTHER;
		result = "unchecked";
	} else {
		result = "consistent";
	}
	if (json) {
		json_t *o = json_object(), *notes = json_array();
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "result", json_string(result));
		json_object_set_new(o, "exit_code", json_integer(rc));
		json_object_set_new(o, "checked_against_ledger", json_boolean(log != NULL));
		json_object_set_new(o, "message",
		                    err == KIST_OK ? json_null() : json_string(kist_errdetail()));
		for (int i = 0; i < 2; i++)
			json_array_append_new(notes, note_json(&ni[i]));
		json_object_set_new(o, "notes", notes);
		cli_json_print(o);
	} else {
		for (int i = 0; i < 2; i++) {
			char r[45], org[200];
			root_b64(r, ni[i].root);
			cli_escape(org, sizeof org, ni[i].origin);
			printf("Note %d:      %s\n             size %llu, root %s\n             ",
			       i + 1, org, (unsigned long long)ni[i].size, r);
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
			printf(
			    "Result:      UNCHECKED - the sizes differ; give the ledger or bundle "
			    "to prove that one extends the other (exit %d)\n",
			    rc);
		else
			printf("Result:      CONSISTENT - %s\n",
			       ni[0].size == ni[1].size
			           ? "the same size and root"
			           : "the larger extends the smaller (RFC 9162, "
			             "recomputed from the ledger)");
	}
	if (rc == EXIT_AUDIT_ROLLBACK || rc == EXIT_AUDIT_CHECKPOINT)
		cli_error(NULL, "%s", kist_errdetail());
out:
	for (int i = 0; i < 2; i++)
		free(text[i]);
	kist_ledger_log_free(log);
	return rc;
}

/* ------------------------------------- witness policy of audit verify */

int cli_witness_policy_init(const cli_args *a, cli_witness_policy *wp)
{
	memset(wp, 0, sizeof *wp);
	wp->nkeys = cli_count(a, "cosigner");
	if (wp->nkeys > KIST_COSIGNERS_MAX) {
		cli_usage_error("audit verify", "at most %d --cosigner keys", KIST_COSIGNERS_MAX);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < wp->nkeys; i++) {
		const char *k = cli_get_n(a, "cosigner", i);
		if (kist_pubkey_parse(&wp->keys[i], k) != KIST_OK ||
		    wp->keys[i].kind != KIST_PUBKEY_KIST) {
			cli_usage_error("audit verify", "--cosigner %s: not a kist1... public key",
			                k);
			return EXIT_USAGE;
		}
	}
	wp->quorum = (unsigned)wp->nkeys;
	if (cli_get(a, "quorum")) {
		if (wp->nkeys == 0 ||
		    cli_parse_count(cli_get(a, "quorum"), (unsigned)wp->nkeys, &wp->quorum) != 0) {
			cli_usage_error(
			    "audit verify",
			    "--quorum K needs K from 1 to the number of --cosigner keys");
			return EXIT_USAGE;
		}
	}
	wp->origin = cli_get(a, "origin");
	wp->state = cli_get(a, "state");
	if (wp->origin && wp->state) {
		cli_usage_error("audit verify", "--origin and --state: give one");
		return EXIT_USAGE;
	}
	wp->list = json_array();
	return wp->list ? EXIT_OK : cli_fail(NULL, KIST_E_NOMEM);
}

/* rc becomes code unless a lower (more specific) code was found already. */
static void lower(int *rc, int code)
{
	if (*rc == EXIT_OK || code < *rc)
		*rc = code;
}

void cli_witness_policy_apply(cli_witness_policy *wp, const kist_ledger_log *log,
                              const char *const *notes, size_t nnotes, int *rc)
{
	const char *origin = kist_ledger_log_origin(log);
	size_t total = nnotes + kist_ledger_log_checkpoint_count(log);
	for (size_t c = 0; c < total; c++) {
		const char *t = c < nnotes ? notes[c] : kist_ledger_log_checkpoint(log, c - nnotes);
		kist_note_info ni;
		if (kist_note_read(&ni, t, strlen(t), wp->keys, wp->nkeys) != KIST_OK)
			continue; /* the audit reports it */
		json_t *o = note_json(&ni);
		int counts = wp->nkeys > 0 && ni.ncosigners >= wp->quorum;
		json_object_set_new(o, "source", json_string(c < nnotes ? "given" : "stored"));
		json_object_set_new(o, "witnessed", json_boolean(counts));
		json_array_append_new(wp->list, o);
		if (counts) {
			wp->witnessed++;
			if (ni.size > wp->pinned)
				wp->pinned = ni.size;
		}
	}
	char org[200];
	cli_escape(org, sizeof org, origin);
	if (wp->origin && strcmp(wp->origin, origin) != 0) {
		char want[200];
		cli_escape(want, sizeof want, wp->origin);
		snprintf(wp->msg, sizeof wp->msg,
		         "a different ledger: its origin is %s, not %s (--origin)", org, want);
		lower(rc, EXIT_AUDIT_CHECKPOINT);
		return;
	}
	if (wp->state) {
		kist_witness_state st;
		int found = 0;
		kist_err err = kist_witness_state_load(wp->state, origin, &st, &found);
		if (err != KIST_OK) {
			snprintf(wp->msg, sizeof wp->msg, "witness state: %s", kist_errdetail());
			lower(rc, cli_exit_code(err));
			return;
		}
		if (!found) {
			snprintf(
			    wp->msg, sizeof wp->msg,
			    "a different ledger: %s holds no checkpoint cosigned for origin %s",
			    wp->state, org);
			lower(rc, EXIT_AUDIT_CHECKPOINT);
			return;
		}
		wp->state_size = st.size;
		if (*rc == EXIT_OK) { /* the check needs a ledger that passes its audit */
			kist_witness_verdict v;
			err = kist_witness_check_log(log, st.size, st.root, &v);
			if (err != KIST_OK) {
				snprintf(wp->msg, sizeof wp->msg, "%s (witness state in %s)",
				         kist_errdetail(), wp->state);
				lower(rc, witness_code(err, v));
				return;
			}
		}
		if (st.size > wp->pinned)
			wp->pinned = st.size;
	}
	if (wp->nkeys > 0 && wp->witnessed == 0) {
		snprintf(
		    wp->msg, sizeof wp->msg,
		    "not witnessed: no checkpoint is cosigned by %u of the %zu --cosigner keys",
		    wp->quorum, wp->nkeys);
		lower(rc, EXIT_AUDIT_CHECKPOINT);
	}
}

void cli_witness_policy_print(const cli_witness_policy *wp, size_t n)
{
	size_t i;
	json_t *o;
	json_array_foreach(wp->list, i, o)
	{
		json_t *cos = json_object_get(o, "cosigners"), *c;
		size_t j, size = (size_t)json_integer_value(json_object_get(o, "size"));
		printf("  %s checkpoint: size %zu ",
		       strcmp(json_string_value(json_object_get(o, "source")), "given") == 0
		           ? "given "
		           : "stored",
		       size);
		if (size)
			printf("(entries 0-%zu), ", size - 1);
		else
			printf("(no entries), ");
		printf("signed by %s; ", json_string_value(json_object_get(
		                             json_object_get(o, "signer"), "fingerprint")));
		if (json_array_size(cos) == 0)
			printf("not cosigned");
		json_array_foreach(cos, j, c)
		{
			printf("%s%s", j ? ", " : "cosigned by ",
			       json_string_value(json_object_get(c, "fingerprint")));
		}
		if (wp->nkeys)
			printf(json_is_true(json_object_get(o, "witnessed")) ? " [witnessed]"
			                                                     : " [not witnessed]");
		putchar('\n');
	}
	if (wp->nkeys)
		printf("Witnessed:   %zu checkpoints cosigned by %u of the %zu named cosigners\n",
		       wp->witnessed, wp->quorum, wp->nkeys);
	if (wp->nkeys || wp->state) {
		if (wp->pinned == 0)
			printf("Pinned:      no entry is pinned outside this machine\n");
		else
			printf(
			    "Pinned:      entries 0-%llu by a trustee; %llu after them by nothing "
			    "outside this machine\n",
			    (unsigned long long)(wp->pinned - 1),
			    (unsigned long long)(n - wp->pinned));
	}
}

void cli_witness_policy_json(cli_witness_policy *wp, json_t *o)
{
	json_t *w = json_object(), *keys = json_array();
	for (size_t i = 0; i < wp->nkeys; i++)
		json_array_append_new(keys, key_json(&wp->keys[i]));
	json_object_set_new(w, "cosigners", keys);
	json_object_set_new(w, "quorum", json_integer(wp->quorum));
	json_object_set_new(w, "witnessed", json_integer((json_int_t)wp->witnessed));
	json_object_set_new(w, "pinned_size", json_integer((json_int_t)wp->pinned));
	json_object_set_new(w, "origin", wp->origin ? json_string(wp->origin) : json_null());
	json_object_set_new(w, "state", wp->state ? json_string(wp->state) : json_null());
	json_object_set_new(w, "message", wp->msg[0] ? json_string(wp->msg) : json_null());
	json_object_set_new(o, "witness", w);
	json_object_set_new(o, "checkpoint_list", wp->list);
	wp->list = NULL;
}

void cli_witness_policy_free(cli_witness_policy *wp)
{
	json_decref(wp->list);
	wp->list = NULL;
}
