/*
 * Read-only SQL over an opened vault's index, for legal teams.  The index is
 * already a read-only in-memory image (query_only, defensive); on top of
 * that an authorizer allows nothing but reading while the statement is
 * prepared, the statement must be one and read-only, memory is capped and
 * kist_interrupt() stops it.
 */
#include "index/index.h"
#include "vault/vault.h" /* TEMPORARY: struct kist_vault (issue 14, step 3) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

typedef struct auth_state {
	char refused[160];
} auth_state;

static const char *action_name(int action)
{
	switch (action) {
	case SQLITE_INSERT:
		return "inserting into";
	case SQLITE_UPDATE:
		return "updating";
	case SQLITE_DELETE:
		return "deleting from";
	case SQLITE_ATTACH:
		return "ATTACH of";
	case SQLITE_DETACH:
		return "DETACH of";
	case SQLITE_PRAGMA:
		return "PRAGMA";
	case SQLITE_TRANSACTION:
		return "a transaction";
	case SQLITE_SAVEPOINT:
		return "a savepoint";
	case SQLITE_ANALYZE:
		return "ANALYZE of";
	case SQLITE_REINDEX:
		return "REINDEX of";
	case SQLITE_ALTER_TABLE:
		return "ALTER TABLE of";
	case SQLITE_FUNCTION:
		return "the function";
	default:
		return "creating or dropping";
	}
}

static int authorize(void *ctx, int action, const char *a, const char *b, const char *db,
                     const char *trigger)
{
	auth_state *s = ctx;
	(void)db;
	(void)trigger;
	switch (action) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_FUNCTION:
		/* b is the function's name; extension loading is also off at the connection. */
		if (b != NULL && strcasecmp(b, "load_extension") != 0 &&
		    strcasecmp(b, "fts3_tokenizer") != 0 && strcasecmp(b, "readfile") != 0 &&
		    strcasecmp(b, "writefile") != 0)
			return SQLITE_OK;
		break;
	default:
		break;
	}
	if (s->refused[0] == '\0') {
		const char *what = action == SQLITE_FUNCTION ? b : a;
		char shown[96];
		kist__printable(shown, sizeof shown, what ? what : "");
		snprintf(s->refused, sizeof s->refused, "%s%s%s", action_name(action),
		         shown[0] ? " " : "", shown);
	}
	return SQLITE_DENY;
}

/* Skips blanks, comments and (when parens) opening parentheses. */
static const char *skip_blanks(const char *t, int parens)
{
	while (*t != '\0') {
		if (strchr(" \t\r\n\f\v", *t) != NULL || (parens && *t == '(')) {
			t++;
		} else if (t[0] == '-' && t[1] == '-') {
			t += strcspn(t, "\n");
		} else if (t[0] == '/' && t[1] == '*') {
			const char *e = strstr(t + 2, "*/");
			t = e ? e + 2 : t + strlen(t);
		} else {
			break;
		}
	}
	return t;
}

/*
 * Only queries are run: the statement must begin with SELECT, WITH or VALUES.
 * The authorizer and sqlite3_stmt_readonly() are what keeps the index
 * unchanged; this check makes statements that happen to change nothing
 * (REINDEX of a table without indexes, VACUUM of the temp schema) refused
 * like their siblings instead of silently accepted.
 */
static int is_query(const char *sql)
{
	static const char *const words[] = {"select", "with", "values"};
	const char *t = skip_blanks(sql, 1);
	size_t n = 0;
	while ((t[n] >= 'a' && t[n] <= 'z') || (t[n] >= 'A' && t[n] <= 'Z'))
		n++;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (n == strlen(words[i]) && strncasecmp(t, words[i], n) == 0)
			return 1;
	return 0;
}

static int on_progress(void *ctx)
{
	(void)ctx;
	return kist__interrupted != 0;
}

kist_err kist_vault_query(kist_vault *v, const char *sql, kist_row_fn fn, void *ctx)
{
	sqlite3 *db = v->db;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	const char **names = NULL;
	kist_value *vals = NULL;
	auth_state as;
	kist_err err;

	size_t sql_len = sql != NULL ? strnlen(sql, (1u << 20) + 1) : 0;
	if (sql_len > (1u << 20))
		return kist__fail(KIST_E_LIMIT, "the query is longer than 1 MiB");
	if (sql == NULL || !kist__utf8_valid((const unsigned char *)sql, sql_len))
		return kist__fail(KIST_E_ARG, "the query is not valid UTF-8 text");
	/* The people search tables may be used in queries (MATCH). */
	if ((err = kist__vault_prepare_search(v, sql)) != KIST_OK)
		return err;

	memset(&as, 0, sizeof as);
	sqlite3_set_authorizer(db, authorize, &as);
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	sqlite3_set_authorizer(db, NULL, NULL);
	if (rc != SQLITE_OK) {
		if (as.refused[0] != '\0')
			err = kist__fail(KIST_E_ARG, "refused: %s (kist query only reads)",
			                 as.refused);
		else
			err = kist__fail(KIST_E_ARG, "%s", sqlite3_errmsg(db));
		goto out;
	}
	if (st == NULL) {
		err = kist__fail(KIST_E_ARG, "the query is empty");
		goto out;
	}
	/* One statement only: what follows may be blanks, semicolons and comments. */
	for (const char *t = tail; t != NULL && *t != '\0';) {
		t = skip_blanks(t, 0);
		if (*t == ';') {
			t++;
		} else if (*t != '\0') {
			err = kist__fail(KIST_E_ARG, "refused: give one SQL statement at a time");
			goto out;
		}
	}
	if (!is_query(sql)) {
		char word[32], shown[128];
		const char *t = skip_blanks(sql, 1);
		size_t n = strcspn(t, " \t\r\n;(");
		snprintf(word, sizeof word, "%.*s", (int)(n < 24 ? n : 24), t);
		kist__printable(shown, sizeof shown, word);
		err = kist__fail(
		    KIST_E_ARG,
		    "refused: %s (kist query runs SELECT, WITH and VALUES queries only)", shown);
		goto out;
	}
	if (!sqlite3_stmt_readonly(st)) {
		err = kist__fail(KIST_E_ARG, "refused: the statement would change the database "
		                             "(kist query only reads)");
		goto out;
	}

	int ncols = sqlite3_column_count(st);
	names = calloc((size_t)ncols + 1, sizeof *names);
	vals = calloc((size_t)ncols + 1, sizeof *vals);
	if (names == NULL || vals == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of memory");
		goto out;
	}
	for (int c = 0; c < ncols; c++) {
		names[c] = sqlite3_column_name(st, c);
		if (names[c] == NULL)
			names[c] = "?";
	}
	if (fn(ctx, (size_t)ncols, names, NULL) != 0) {
		err = KIST_OK;
		goto out;
	}
	kist__sql_cap_enter();
	sqlite3_progress_handler(db, 1000, on_progress, NULL);
	err = KIST_OK;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < ncols; c++) {
			kist_value *x = &vals[c];
			memset(x, 0, sizeof *x);
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_INTEGER:
				x->type = KIST_VALUE_INTEGER;
				x->integer = sqlite3_column_int64(st, c);
				break;
			case SQLITE_FLOAT:
				x->type = KIST_VALUE_REAL;
				x->real = sqlite3_column_double(st, c);
				break;
			case SQLITE_TEXT:
				x->type = KIST_VALUE_TEXT;
				x->bytes = sqlite3_column_text(st, c);
				x->len = (size_t)sqlite3_column_bytes(st, c);
				break;
			case SQLITE_BLOB:
				x->type = KIST_VALUE_BLOB;
				x->bytes = sqlite3_column_blob(st, c);
				x->len = (size_t)sqlite3_column_bytes(st, c);
				break;
			default:
				x->type = KIST_VALUE_NULL;
			}
		}
		if (fn(ctx, (size_t)ncols, names, vals) != 0)
			break;
	}
	sqlite3_progress_handler(db, 0, NULL, NULL);
	kist__sql_cap_leave();
	if (rc == SQLITE_INTERRUPT)
		err = kist__fail(KIST_E_INTERRUPTED, "query interrupted");
	else if (rc == SQLITE_NOMEM)
		err = kist__fail(KIST_E_LIMIT, "the query needs more than %lld MiB",
		                 KIST__SQL_HEAP_CAP >> 20);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = kist__fail(KIST_E_ARG, "%s", sqlite3_errmsg(db));
out:
	free(names);
	free(vals);
	sqlite3_finalize(st);
	return err;
}
