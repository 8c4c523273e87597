/*
 * The witness policy of kist audit verify (--cosigner, --quorum, --origin,
 * --state; docs/AUDIT.md) and the JSON of checkpoint notes it shares with
 * witness cosign and audit compare (cli_witness.c).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

const char *cli_verdict_name(kist_witness_verdict v)
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

int cli_witness_code(kist_err err, kist_witness_verdict v)
{
	if (v == KIST_WITNESS_ROLLBACK || v == KIST_WITNESS_FORK)
		return EXIT_AUDIT_ROLLBACK;
	if (v == KIST_WITNESS_OTHER || err == KIST_E_SIGNATURE || err == KIST_E_FORMAT)
		return EXIT_AUDIT_CHECKPOINT;
	return cli_exit_code(err);
}

void cli_root_b64(char out[45], const unsigned char root[32])
{
	sodium_bin2base64(out, 45, root, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* A key of cli_key_json() as printed: its fingerprint, and its contact's name if known. */
static void put_key(json_t *k)
{
	const char *name = json_string_value(json_object_get(k, "contact"));
	fputs(json_string_value(json_object_get(k, "fingerprint")), stdout);
	if (name != NULL) {
		fputs(" (", stdout);
		cli_put_safe(stdout, name, strlen(name), 0);
		fputs(")", stdout);
	}
}

json_t *cli_key_json(const kist_pubkey *pk)
{
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	json_t *o = json_object();
	kist_pubkey_format(pk, s);
	kist_pubkey_fingerprint(pk, f);
	json_object_set_new(o, "key", json_string(s));
	json_object_set_new(o, "fingerprint", json_string(f));
	cli_json_contact(o, pk);
	return o;
}

json_t *cli_note_json(const kist_note_info *ni)
{
	char r[45];
	json_t *o = json_object(), *cos = json_array();
	cli_root_b64(r, ni->root);
	json_object_set_new(o, "origin", cli_json_str(ni->origin, strlen(ni->origin)));
	json_object_set_new(o, "size", json_integer((json_int_t)ni->size));
	json_object_set_new(o, "root", json_string(r));
	json_object_set_new(o, "signer", cli_key_json(&ni->signer));
	for (size_t i = 0; i < ni->ncosigners; i++) {
		json_t *c = cli_key_json(&ni->cosigners[i]);
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
		json_t *o = cli_note_json(&ni);
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
				lower(rc, cli_witness_code(err, v));
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
		fputs("signed by ", stdout);
		put_key(json_object_get(o, "signer"));
		fputs("; ", stdout);
		if (json_array_size(cos) == 0)
			printf("not cosigned");
		json_array_foreach(cos, j, c)
		{
			fputs(j ? ", " : "cosigned by ", stdout);
			put_key(c);
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
		json_array_append_new(keys, cli_key_json(&wp->keys[i]));
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
