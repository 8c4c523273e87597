/* Ledger bundles (docs/AUDIT.md): loaded defensively, written for export. */
#include "custody/custody_int.h"

static void get_hex(lentry *e, unsigned char *dst, size_t want, json_t *v, const char *why)
{
	size_t got = 0;
	const char *s = json_string_value(v);
	if (s == NULL || strlen(s) != 2 * want ||
	    sodium_hex2bin(dst, want, s, 2 * want, NULL, &got, NULL) != 0 || got != want)
		kist__ledger_mark(e, why);
}

static kist_err bundle_entry(kist_ledger_log *log, json_t *j)
{
	lentry *e = kist__ledger_new_entry(log);
	if (e == NULL)
		return kist__nomem();
	if (!json_is_object(j)) {
		kist__ledger_mark(e, "not an object");
		return KIST_OK;
	}
	json_t *v = json_object_get(j, "index");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		e->pub.index = (uint64_t)json_integer_value(v);
	else
		kist__ledger_mark(e, "the index is not a whole number");
#define STR(name)                                                                                  \
	json_string_value(json_object_get(j, name)), json_string_length(json_object_get(j, name))
	kist__ledger_set_text(e, &e->vault_id, &e->pub.vault_id, STR("vault_id"), 64,
	                      "the vault id is missing, too long or has control characters");
	kist__ledger_set_text(e, &e->action, &e->pub.action, STR("action"), KIST_LEDGER_ACTION_MAX,
	                      "the action is missing, too long or has control characters");
	kist__ledger_set_text(e, &e->tool, &e->pub.tool, STR("tool"), 64,
	                      "the tool version is missing, too long or has control characters");
#undef STR
	const char *actor = json_string_value(json_object_get(j, "actor"));
	if (actor == NULL || kist_pubkey_parse(&e->pub.actor, actor) != KIST_OK)
		kist__ledger_mark(e, "the actor is not a kist public key");
	if (!kist__ledger_set_paths(e, json_object_get(j, "paths")))
		return kist__nomem();
	v = json_object_get(j, "time");
	if (json_is_integer(v))
		e->pub.time = json_integer_value(v);
	else
		kist__ledger_mark(e, "the time is not a whole number");
	get_hex(e, e->pub.prev, 32, json_object_get(j, "prev"),
	        "the previous hash is not 32 bytes of hex");
	get_hex(e, e->pub.body_hash, 32, json_object_get(j, "body_hash"),
	        "the body hash is not 32 bytes of hex");
	get_hex(e, e->pub.signature, 64, json_object_get(j, "signature"),
	        "the signature is not 64 bytes of hex");
	get_hex(e, e->pub.leaf, 32, json_object_get(j, "leaf"),
	        "the leaf hash is not 32 bytes of hex");
	return KIST_OK;
}

/* Reads the array at p[*i] one element at a time: entries, or checkpoint notes. */
static kist_err bundle_array(kist_ledger_log *log, const char *p, size_t *at, size_t len,
                             int entries)
{
	size_t i = *at;
	if (i >= len || p[i] != '[')
		return kist__fail(KIST_E_FORMAT,
		                  "bundle: not a kist ledger bundle (%s is not a list)",
		                  entries ? "entries" : "checkpoints");
	i = kist__json_skip_ws(p, i + 1, len);
	if (i < len && p[i] == ']') {
		*at = i + 1;
		return KIST_OK;
	}
	for (size_t k = 0;; k++) {
		kist_err err;
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		size_t end = kist__json_value_end(p, i, len, entries ? ENTRY_VALUES_MAX : 1);
		if (end == 0)
			return kist__fail(KIST_E_FORMAT,
			                  "bundle: %s %zu is not JSON, nests too deeply or holds "
			                  "more values than a kist entry",
			                  entries ? "entry" : "checkpoint", k + 1);
		if (entries) {
			if ((err = kist__ledger_check_density(log->n + 1, len, BUNDLE_ENTRY_MIN,
			                                      "bundle")) != KIST_OK)
				return err;
			json_t *j = kist__json_value_at(p, i, end);
			if (j == NULL)
				return kist__fail(KIST_E_FORMAT, "bundle: entry %zu is not JSON",
				                  k + 1);
			err = bundle_entry(log, j);
			json_decref(j);
			if (err != KIST_OK)
				return err;
		} else if (k < 1024 && p[i] == '"' && end - i <= 6 * KIST_CHECKPOINT_MAX + 2) {
			json_t *j = kist__json_value_at(p, i, end);
			if (j == NULL)
				return kist__fail(KIST_E_FORMAT,
				                  "bundle: checkpoint %zu is not JSON", k + 1);
			err =
			    kist__ledger_add_note(log, json_string_value(j), json_string_length(j));
			json_decref(j);
			if (err != KIST_OK)
				return err;
		} /* further or unreadable checkpoints: the audit cannot use them; skipped */
		i = kist__json_skip_ws(p, end, len);
		if (i < len && p[i] == ',') {
			i = kist__json_skip_ws(p, i + 1, len);
			continue;
		}
		if (i < len && p[i] == ']')
			break;
		return kist__fail(KIST_E_FORMAT, "bundle: not JSON (after %s %zu)",
		                  entries ? "entry" : "checkpoint", k + 1);
	}
	*at = i + 1;
	return KIST_OK;
}

static kist_err not_a_bundle(void)
{
	return kist__fail(KIST_E_FORMAT, "bundle: not a kist ledger bundle");
}

/* The string value p[i..end) of "format" (must be kist's) or "origin" (kept in log). */
static kist_err string_member(kist_ledger_log *log, const char *p, size_t i, size_t end, int origin)
{
	json_t *val = kist__json_value_at(p, i, end);
	kist_err err = KIST_OK;
	if (val == NULL || !json_is_string(val)) {
		err = not_a_bundle();
		goto out;
	}
	const char *v = json_string_value(val);
	if (!origin) {
		if (strcmp(v, BUNDLE_FORMAT) != 0)
			err = not_a_bundle();
	} else if ((err = kist__ledger_check_origin(v, json_string_length(val))) == KIST_OK &&
	           (log->origin = strdup(v)) == NULL) {
		err = kist__nomem();
	}
out:
	json_decref(val);
	return err;
}

/* kist's keys in a bundle; any other key is skipped unread. */
enum { M_FORMAT, M_ORIGIN, M_ENTRIES, M_CHECKPOINTS, M_KEYS };

/* Reads the member "key": value at p[*at] into log; have[] marks kist's keys seen. */
static kist_err bundle_member(kist_ledger_log *log, const char *p, size_t *at, size_t len,
                              int have[M_KEYS])
{
	static const char *const names[M_KEYS] = {"format", "origin", "entries", "checkpoints"};
	size_t i = *at, end;
	json_t *key = NULL;
	kist_err err = KIST_OK;
	int m;
	if ((end = kist__json_value_end(p, i, len, 1)) == 0 || p[i] != '"' ||
	    (key = kist__json_value_at(p, i, end)) == NULL)
		return not_a_bundle();
	i = kist__json_skip_ws(p, end, len);
	if (i >= len || p[i] != ':') {
		err = not_a_bundle();
		goto out;
	}
	i = kist__json_skip_ws(p, i + 1, len);
	const char *k = json_string_value(key);
	for (m = 0; m < M_KEYS && strcmp(k, names[m]) != 0; m++)
		;
	if (m < M_KEYS && have[m]) {
		err = kist__fail(KIST_E_FORMAT, "bundle: duplicate key \"%s\"", k);
		goto out;
	}
	if (m == M_ENTRIES || m == M_CHECKPOINTS) {
		if ((err = bundle_array(log, p, &i, len, m == M_ENTRIES)) != KIST_OK)
			goto out;
	} else {
		if ((end = kist__json_value_end(p, i, len, 1)) == 0) {
			err = not_a_bundle();
			goto out;
		}
		if (m < M_KEYS && (err = string_member(log, p, i, end, m == M_ORIGIN)) != KIST_OK)
			goto out;
		i = end;
	}
	if (m < M_KEYS)
		have[m] = 1;
	*at = i;
out:
	json_decref(key);
	return err;
}

kist_err kist_ledger_load_bundle(kist_ledger_log **out, const void *data, size_t len)
{
	const char *p = data;
	kist_ledger_log *log = NULL;
	int have[M_KEYS] = {0};
	kist_err err;
	size_t i;

	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (len > BUNDLE_MAX)
		return kist__fail(KIST_E_LIMIT, "bundle: larger than %u bytes", BUNDLE_MAX);
	log = calloc(1, sizeof *log);
	if (log == NULL)
		return kist__nomem();
	i = kist__json_skip_ws(p, 0, len);
	if (i >= len || p[i] != '{')
		goto bad;
	i = kist__json_skip_ws(p, i + 1, len);
	for (;;) {
		if ((err = bundle_member(log, p, &i, len, have)) != KIST_OK)
			goto out;
		i = kist__json_skip_ws(p, i, len);
		if (i < len && p[i] == ',') {
			i = kist__json_skip_ws(p, i + 1, len);
			continue;
		}
		if (i < len && p[i] == '}')
			break;
		goto bad;
	}
	if (kist__json_skip_ws(p, i + 1, len) != len || !have[M_FORMAT] || !have[M_ORIGIN] ||
	    !have[M_ENTRIES])
		goto bad;
	*out = log;
	log = NULL;
	err = KIST_OK;
	goto out;
bad:
	err = not_a_bundle();
out:
	kist_ledger_log_free(log);
	return err;
}

/* ------------------------------------------------------------- export */

static json_t *hex_json(const unsigned char *p, size_t n)
{
	char h[129];
	sodium_bin2hex(h, sizeof h, p, n);
	return json_string(h);
}

static json_t *entry_bundle_json(const kist_ledger_entry *e)
{
	char pk[KIST_PUBKEY_STRLEN + 1];
	json_t *o = json_object(), *paths = json_array();
	if (o == NULL || paths == NULL) {
		json_decref(o);
		json_decref(paths);
		return NULL;
	}
	for (size_t k = 0; k < e->npaths; k++)
		json_array_append_new(paths, json_string(e->paths[k]));
	kist_pubkey_format(&e->actor, pk);
	json_object_set_new(o, "index", json_integer((json_int_t)e->index));
	json_object_set_new(o, "vault_id", json_string(e->vault_id));
	json_object_set_new(o, "actor", json_string(pk));
	json_object_set_new(o, "action", json_string(e->action));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "time", json_integer((json_int_t)e->time));
	json_object_set_new(o, "tool", json_string(e->tool));
	json_object_set_new(o, "prev", hex_json(e->prev, 32));
	json_object_set_new(o, "body_hash", hex_json(e->body_hash, 32));
	json_object_set_new(o, "signature", hex_json(e->signature, 64));
	json_object_set_new(o, "leaf", hex_json(e->leaf, 32));
	return o;
}

/* Sends s (and frees it) to out; a NULL s is out of memory. */
static kist_err emit(kist_ledger_out_fn out, void *ctx, char *s)
{
	if (s == NULL)
		return kist__nomem();
	kist_err err = out(ctx, s, strlen(s));
	free(s);
	return err;
}

static char *json_str(const char *s)
{
	json_t *j = json_string(s);
	char *d = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	return d;
}

/*
 * The bundle, one entry to a line, written piece by piece: its size in memory
 * is that of one entry, however long the log.
 */
kist_err kist_ledger_bundle_write(const kist_ledger_log *log, kist_ledger_out_fn out, void *ctx)
{
	kist_err err;
	char *origin = json_str(log->origin);
	if (origin == NULL)
		return kist__nomem();
	size_t hl = strlen(origin) + 128;
	char *head = malloc(hl);
	if (head != NULL)
		snprintf(head, hl, "{\n \"format\": \"%s\",\n \"origin\": %s,\n \"entries\": [",
		         BUNDLE_FORMAT, origin);
	free(origin);
	if ((err = emit(out, ctx, head)) != KIST_OK)
		return err;
	for (size_t i = 0; i < log->n; i++) {
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		json_t *o = entry_bundle_json(&log->e[i].pub);
		char *s = o ? json_dumps(o, JSON_INDENT(0) | JSON_ENSURE_ASCII) : NULL;
		json_decref(o);
		if ((err = out(ctx, i ? ",\n  " : "\n  ", i ? 4 : 3)) != KIST_OK ||
		    (err = emit(out, ctx, s)) != KIST_OK)
			return err;
	}
	if ((err = out(ctx, "\n ],\n \"checkpoints\": [", 22)) != KIST_OK)
		return err;
	for (size_t i = 0; i < log->nnotes; i++)
		if ((err = out(ctx, i ? ",\n  " : "\n  ", i ? 4 : 3)) != KIST_OK ||
		    (err = emit(out, ctx, json_str(log->notes[i]))) != KIST_OK)
			return err;
	return out(ctx, "\n ]\n}\n", 6);
}

static kist_err to_buf(void *ctx, const char *s, size_t n)
{
	buf *b = ctx;
	kist__buf_put(b, s, n);
	return b->oom ? kist__nomem() : KIST_OK;
}

kist_err kist_ledger_bundle(const kist_ledger_log *log, char **json, size_t *len)
{
	buf b = {0};
	*json = NULL;
	kist_err err = kist_ledger_bundle_write(log, to_buf, &b);
	if (err == KIST_OK)
		err = to_buf(&b, "", 1); /* the NUL */
	if (err != KIST_OK) {
		if (b.p)
			sodium_memzero(b.p, b.cap);
		free(b.p);
		return err;
	}
	*json = (char *)b.p;
	*len = b.len - 1;
	return KIST_OK;
}
