/*
 * The encrypted index: a SQLite database built in memory, serialised into the
 * vault, and loaded back defensively (read-only, no trusted schema, exact
 * schema match, every row validated).  Schema in docs/INDEX.md.
 */
#include "index/index.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#define APPLICATION_ID 0x6b697374 /* "kist" */
#define SCHEMA_VERSION 2          /* written; 1 (no people tables) is still read */

static const char schema_v1[] = "CREATE TABLE vault (\n"
                                "  format_version INTEGER NOT NULL,\n"
                                "  schema_version INTEGER NOT NULL,\n"
                                "  vault_id TEXT NOT NULL,\n"
                                "  created INTEGER NOT NULL,\n"
                                "  tool_version TEXT NOT NULL,\n"
                                "  chunk_size INTEGER NOT NULL,\n"
                                "  recipients INTEGER NOT NULL,\n"
                                "  sealer_key TEXT\n"
                                ");\n"
                                "CREATE TABLE entries (\n"
                                "  id INTEGER PRIMARY KEY,\n"
                                "  path TEXT NOT NULL UNIQUE,\n"
                                "  type TEXT NOT NULL,\n"
                                "  size INTEGER NOT NULL,\n"
                                "  mode INTEGER NOT NULL,\n"
                                "  mtime INTEGER NOT NULL,\n"
                                "  mtime_nsec INTEGER NOT NULL,\n"
                                "  sha256 TEXT,\n"
                                "  link_target TEXT,\n"
                                "  offset INTEGER NOT NULL,\n"
                                "  stored_size INTEGER NOT NULL,\n"
                                "  chunks BLOB NOT NULL\n"
                                ");\n"
                                "CREATE TABLE custody (\n"
                                "  id INTEGER PRIMARY KEY,\n"
                                "  time INTEGER NOT NULL,\n"
                                "  action TEXT NOT NULL,\n"
                                "  actor TEXT,\n"
                                "  tool_version TEXT NOT NULL,\n"
                                "  detail TEXT\n"
                                ");\n";

/* Schema 2 adds the people register (docs/INDEX.md). */
static const char schema_v2_people[] = "CREATE TABLE people (\n"
                                       "  id INTEGER PRIMARY KEY,\n"
                                       "  name TEXT NOT NULL,\n"
                                       "  aliases TEXT,\n"
                                       "  relation TEXT,\n"
                                       "  born TEXT,\n"
                                       "  location TEXT,\n"
                                       "  status TEXT,\n"
                                       "  contact TEXT,\n"
                                       "  notes TEXT\n"
                                       ");\n"
                                       "CREATE TABLE person_fields (\n"
                                       "  person_id INTEGER NOT NULL,\n"
                                       "  field TEXT NOT NULL,\n"
                                       "  value TEXT NOT NULL,\n"
                                       "  PRIMARY KEY (person_id, field)\n"
                                       ");\n"
                                       "CREATE TABLE person_media (\n"
                                       "  person_id INTEGER NOT NULL,\n"
                                       "  entry_id INTEGER NOT NULL,\n"
                                       "  PRIMARY KEY (person_id, entry_id)\n"
                                       ");\n";

static const char *type_names[] = {"file", "dir", "symlink"};

static kist_err sqlerr(sqlite3 *db, const char *what)
{
	return kist__fail(KIST_E_CORRUPT, "index: %s: %s", what,
	                  db ? sqlite3_errmsg(db) : "cannot open");
}

/* Opens an empty in-memory database hardened against hostile content. */
kist_err kist__index_open_hardened(sqlite3 **out)
{
	sqlite3 *db = NULL;
	/* One connection per vault, used by one thread at a time: no SQLite mutexes. */
	if (sqlite3_open_v2(":memory:", &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return kist__fail(KIST_E_NOMEM, "index: cannot open an in-memory database");
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 16 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_SQL_LENGTH, 1 << 20);
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	/* The people search tables (temp schema) and large sorts would otherwise spill
	 * decrypted records into /var/tmp/etilqs_* files (this SQLite defaults to
	 * TEMP_STORE=1: temporary storage on disk). */
	if (sqlite3_exec(db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return kist__fail(KIST_E_NOMEM, "index: cannot keep temporary storage in memory");
	}
	*out = db;
	return KIST_OK;
}

static void hex32(char out[65], const unsigned char in[32])
{
	sodium_bin2hex(out, 65, in, 32);
}

/* Inserts the people register: people, their extra fields, their media links. */
static kist_err insert_people(sqlite3 *db, const kist__people *ppl)
{
	sqlite3_stmt *p = NULL, *f = NULL, *m = NULL;
	kist_err err = KIST_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO people VALUES (?,?,?,?,?,?,?,?,?)", -1, &p, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO person_fields VALUES (?,?,?)", -1, &f, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO person_media VALUES (?,?)", -1, &m, NULL) !=
	        SQLITE_OK) {
		err = sqlerr(db, "prepare people");
		goto out;
	}
	for (size_t i = 0; i < ppl->n; i++) {
		const kist__person *x = &ppl->p[i];
		sqlite3_int64 id = (sqlite3_int64)i + 1;
		sqlite3_reset(p);
		sqlite3_clear_bindings(p);
		sqlite3_bind_int64(p, 1, id);
		sqlite3_bind_text(p, 2, x->name, -1, SQLITE_STATIC);
		for (int k = 0; k < KIST__PERSON_NFIELDS; k++)
			if (x->field[k] != NULL)
				sqlite3_bind_text(p, 3 + k, x->field[k], -1, SQLITE_STATIC);
		if (sqlite3_step(p) != SQLITE_DONE) {
			err = sqlerr(db, "insert person");
			goto out;
		}
		for (size_t k = 0; k < x->nextra; k++) {
			sqlite3_reset(f);
			sqlite3_bind_int64(f, 1, id);
			sqlite3_bind_text(f, 2, x->extra_key[k], -1, SQLITE_STATIC);
			sqlite3_bind_text(f, 3, x->extra_val[k], -1, SQLITE_STATIC);
			if (sqlite3_step(f) != SQLITE_DONE) {
				err = sqlerr(db, "insert person field");
				goto out;
			}
		}
		for (size_t k = 0; k < x->nmedia; k++) {
			if (x->media_id == NULL || x->media_id[k] == 0)
				continue; /* a repeated path */
			sqlite3_reset(m);
			sqlite3_bind_int64(m, 1, id);
			sqlite3_bind_int64(m, 2, x->media_id[k]);
			if (sqlite3_step(m) != SQLITE_DONE) {
				err = sqlerr(db, "insert person media");
				goto out;
			}
		}
	}
out:
	sqlite3_finalize(p);
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	return err;
}

/* The one row of the vault table. */
static kist_err insert_vault_row(sqlite3 *db, const kist__index_meta *m)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO vault VALUES (?,?,?,?,?,?,?,?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return sqlerr(db, "prepare");
	sqlite3_bind_int(st, 1, m->format_version ? (int)m->format_version : KIST_FORMAT_VERSION);
	sqlite3_bind_int(st, 2, SCHEMA_VERSION);
	sqlite3_bind_text(st, 3, m->vault_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, m->created);
	sqlite3_bind_text(st, 5, m->tool_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, m->chunk_size);
	sqlite3_bind_int(st, 7, (int)m->recipients);
	if (m->has_signer)
		sqlite3_bind_text(st, 8, m->signer, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = sqlerr(db, "insert");
	sqlite3_finalize(st);
	return err;
}

/* One row of the entries table per entry. */
static kist_err insert_entries(sqlite3 *db, const kist__entry *entries, size_t n)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	if (sqlite3_prepare_v2(db, "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st,
	                       NULL) != SQLITE_OK)
		return sqlerr(db, "prepare");
	for (size_t i = 0; i < n; i++) {
		const kist__entry *e = &entries[i];
		char hex[65];
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, e->id);
		sqlite3_bind_text(st, 2, e->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, type_names[e->pub.type], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)e->pub.size);
		sqlite3_bind_int64(st, 5, e->pub.mode);
		sqlite3_bind_int64(st, 6, e->pub.mtime);
		sqlite3_bind_int64(st, 7, e->pub.mtime_nsec);
		if (e->pub.type == KIST_ENTRY_FILE) {
			hex32(hex, e->pub.sha256);
			sqlite3_bind_text(st, 8, hex, 64, SQLITE_TRANSIENT);
		}
		if (e->link != NULL)
			sqlite3_bind_text(st, 9, e->link, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, (sqlite3_int64)e->offset);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)e->pub.stored_size);
		/* Chunk lengths as little-endian u32 (FORMAT.md, "Index"). */
		unsigned char *blob = malloc((size_t)e->nchunks * 4 + 1);
		if (blob == NULL) {
			err = kist__nomem();
			break;
		}
		for (uint32_t c = 0; c < e->nchunks; c++)
			kist__st32(blob + 4 * c, e->chunk_len[c]);
		sqlite3_bind_blob(st, 12, blob, (int)e->nchunks * 4, free);
		if (sqlite3_step(st) != SQLITE_DONE) {
			err = sqlerr(db, "insert entry");
			break;
		}
	}
	sqlite3_finalize(st);
	return err;
}

/* The custody row of the seal itself. */
static kist_err insert_seal_custody(sqlite3 *db, const kist__index_meta *m, size_t n)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	char detail[128];
	if (sqlite3_prepare_v2(db,
	                       "INSERT INTO custody (time, action, actor, tool_version, detail) "
	                       "VALUES (?, 'seal', ?, ?, ?)",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(db, "prepare");
	snprintf(detail, sizeof detail, "{\"entries\":%zu,\"recipients\":%u}", n, m->recipients);
	sqlite3_bind_int64(st, 1, m->created);
	if (m->has_signer)
		sqlite3_bind_text(st, 2, m->signer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->tool_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		err = sqlerr(db, "insert custody");
	sqlite3_finalize(st);
	return err;
}

kist_err kist__index_build(unsigned char **out, size_t *outlen, const kist__index_meta *m,
                           const kist__entry *entries, size_t n, const kist__people *ppl)
{
	sqlite3 *db = NULL;
	unsigned char *ser = NULL;
	sqlite3_int64 serlen = 0;
	char pragma[128];
	kist_err err;

	if ((err = kist__index_open_hardened(&db)) != KIST_OK)
		return err;
	snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d; PRAGMA user_version=%d;",
	         APPLICATION_ID, SCHEMA_VERSION);
	if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema_v1, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema_v2_people, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		err = sqlerr(db, "create");
		goto out;
	}
	if ((err = insert_vault_row(db, m)) != KIST_OK ||
	    (err = insert_entries(db, entries, n)) != KIST_OK ||
	    (err = insert_seal_custody(db, m, n)) != KIST_OK)
		goto out;
	if (ppl != NULL && (err = insert_people(db, ppl)) != KIST_OK)
		goto out;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err = sqlerr(db, "commit");
		goto out;
	}
	ser = sqlite3_serialize(db, "main", &serlen, 0);
	if (ser == NULL || serlen <= 0 || (uint64_t)serlen > KIST_INDEX_MAX) {
		err = kist__fail(KIST_E_LIMIT, "index is larger than %u MiB", KIST_INDEX_MAX >> 20);
		goto out;
	}
	*out = malloc((size_t)serlen);
	if (*out == NULL) {
		err = kist__nomem();
		goto out;
	}
	memcpy(*out, ser, (size_t)serlen);
	*outlen = (size_t)serlen;
	err = KIST_OK;
out:
	if (ser != NULL) {
		sodium_memzero(ser, (size_t)serlen);
		sqlite3_free(ser);
	}
	sqlite3_close(db);
	return err;
}

/*
 * The text of a CREATE statement with comments and layout taken out: "--"
 * comments dropped, every run of white space made one space, and no space
 * next to "(", ")" or ",".  NULL for text this comparison does not read
 * (quotes of any kind, block comments): our schema has none, so such a
 * statement differs from it whatever it says.  malloc'd.
 */
static char *sql_layout_free(const char *s)
{
	size_t len = strlen(s), o = 0;
	int space = 0;
	char *out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-' && s[i + 1] == '-') {
			while (i < len && s[i] != '\n')
				i++;
			space = 1;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			space = 1;
			continue;
		}
		if (c == '\'' || c == '"' || c == '`' || c == '[' ||
		    (c == '/' && s[i + 1] == '*')) {
			free(out);
			return NULL;
		}
		if (space && o > 0 && out[o - 1] != '(' && out[o - 1] != ',' && c != '(' &&
		    c != ')' && c != ',')
			out[o++] = ' ';
		space = 0;
		out[o++] = c;
	}
	out[o] = '\0';
	return out;
}

/* Whether two schema texts agree (both NULL, or equal but for comments and layout). */
static int sql_same(const unsigned char *x, const unsigned char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	char *a = sql_layout_free((const char *)x), *b = sql_layout_free((const char *)y);
	int same = a != NULL && b != NULL && strcmp(a, b) == 0;
	free(a);
	free(b);
	return same;
}

int kist__schema_equal(sqlite3 *db, const char *const *defs, size_t ndefs, const char **diff)
{
	static const char q[] = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";
	sqlite3 *ref = NULL;
	sqlite3_stmt *a = NULL, *b = NULL;
	int r = -1;

	*diff = NULL;
	if (kist__index_open_hardened(&ref) != KIST_OK)
		return -1;
	for (size_t i = 0; i < ndefs; i++)
		if (sqlite3_exec(ref, defs[i], NULL, NULL, NULL) != SQLITE_OK)
			goto out;
	if (sqlite3_prepare_v2(ref, q, -1, &a, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, q, -1, &b, NULL) != SQLITE_OK)
		goto out;
	for (;;) {
		int ra = sqlite3_step(a), rb = sqlite3_step(b);
		if (rb != SQLITE_ROW && rb != SQLITE_DONE)
			goto out;
		if (ra != rb) {
			r = 0;
			goto out;
		}
		if (ra == SQLITE_DONE)
			break;
		for (int col = 0; col < 4; col++) {
			const unsigned char *x = sqlite3_column_text(a, col);
			const unsigned char *y = sqlite3_column_text(b, col);
			int same = col == 3 ? sql_same(x, y)
			                    : (x == NULL) == (y == NULL) &&
			                          (x == NULL ||
			                           strcmp((const char *)x, (const char *)y) == 0);
			if (!same) {
				/* Names the reference row: text of ours, not the file's. */
				const unsigned char *sql = sqlite3_column_text(a, 3);
				*diff = sql ? sqlite3_mprintf("%s", sql) : NULL;
				r = 0;
				goto out;
			}
		}
	}
	r = 1;
out:
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	sqlite3_close(ref);
	return r;
}

/* The schema rows an index of this version must have, exactly. */
static kist_err schema_matches(sqlite3 *db, sqlite3_int64 version)
{
	const char *const defs[2] = {schema_v1, schema_v2_people};
	const char *diff = NULL;
	int r = kist__schema_equal(db, defs, version >= 2 ? 2 : 1, &diff);
	if (r < 0)
		return sqlerr(db, "schema");
	if (r == 0) {
		kist_err err =
		    diff ? kist__fail(KIST_E_CORRUPT, "index: unexpected schema (%s)", diff)
		         : kist__fail(KIST_E_CORRUPT, "index: unexpected schema objects");
		sqlite3_free((void *)diff);
		return err;
	}
	return KIST_OK;
}

/*
 * The whole image: b-tree structure, and every SQLite index (the UNIQUE and
 * PRIMARY KEY ones) entry for entry against its table, so that no query can
 * read a path or name from an index b-tree that row validation never saw.
 * Grows as N log N in rows.
 */
static kist_err integrity_check(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	char first[160] = "";
	int rc, index_fault = 0, lines = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return sqlerr(db, "integrity check");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *line = (const char *)sqlite3_column_text(st, 0);
		if (line == NULL || strcmp(line, "ok") != 0) {
			if (lines++ == 0)
				kist__printable(first, sizeof first, line ? line : "");
			if (line != NULL && (strstr(line, "from index") != NULL ||
			                     strstr(line, "entries in index") != NULL ||
			                     strstr(line, "entry in index") != NULL))
				index_fault = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && lines == 0)
		return kist__fail(KIST_E_CORRUPT, "index: database structure check failed (%s)",
		                  sqlite3_errmsg(db));
	if (index_fault)
		err = kist__fail(KIST_E_CORRUPT,
		                 "index: an index b-tree disagrees with its table (%s)", first);
	else if (lines > 0)
		err = kist__fail(KIST_E_CORRUPT, "index: database structure check failed (%s)",
		                 first);
	return err;
}

/* Callers inside kist__sql_cap_enter/leave, and the limit to restore after the last. */
static pthread_mutex_t cap_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned cap_users;
static sqlite3_int64 cap_saved;

void kist__sql_cap_enter(void)
{
	pthread_mutex_lock(&cap_lock);
	if (cap_users++ == 0) {
		cap_saved = sqlite3_hard_heap_limit64(-1);
		if (cap_saved == 0 ||
		    cap_saved > KIST__SQL_HEAP_CAP) /* never loosen a stricter one */
			sqlite3_hard_heap_limit64(KIST__SQL_HEAP_CAP);
	}
	pthread_mutex_unlock(&cap_lock);
}

void kist__sql_cap_leave(void)
{
	pthread_mutex_lock(&cap_lock);
	if (cap_users > 0 && --cap_users == 0)
		sqlite3_hard_heap_limit64(cap_saved);
	pthread_mutex_unlock(&cap_lock);
}

/* Runs a query returning one integer: 1 and *v, or 0 if it failed or returned no row. */
static int sql_int(sqlite3 *db, const char *sql, sqlite3_int64 *v)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

/* A TEXT column that must hold no NUL byte, not copied (valid until the next
 * step): 0 and *out (NULL if absent), or -1. */
static int column_ref(sqlite3_stmt *st, int col, size_t max, const char **out)
{
	*out = NULL;
	int type = sqlite3_column_type(st, col);
	if (type == SQLITE_NULL)
		return 0;
	if (type != SQLITE_TEXT)
		return -1;
	const unsigned char *t = sqlite3_column_text(st, col);
	int len = sqlite3_column_bytes(st, col);
	if (t == NULL || len < 0 || (size_t)len > max || strlen((const char *)t) != (size_t)len)
		return -1;
	*out = (const char *)t;
	return 0;
}

/* Copies a TEXT column that must hold no NUL byte; NULL if absent. */
static int column_text(sqlite3_stmt *st, int col, size_t max, char **out)
{
	const char *t;
	*out = NULL;
	if (column_ref(st, col, max, &t) != 0)
		return -1;
	if (t != NULL && (*out = strdup(t)) == NULL)
		return -1;
	return 0;
}

void kist__entries_free(kist__entry *e, size_t n)
{
	if (e == NULL)
		return;
	/* Names and link targets are as secret as the content. */
	for (size_t i = 0; i < n; i++) {
		if (e[i].path != NULL)
			sodium_memzero(e[i].path, strlen(e[i].path));
		if (e[i].link != NULL)
			sodium_memzero(e[i].link, strlen(e[i].link));
		free(e[i].path);
		free(e[i].link);
		free(e[i].chunk_len);
	}
	free(e);
}

/* Validates the people tables of a loaded index (schema 2): ids, links, bounds, text. */

static int text_ok(sqlite3_stmt *st, int col, size_t max, int nullable)
{
	int t = sqlite3_column_type(st, col);
	if (t == SQLITE_NULL)
		return nullable;
	if (t != SQLITE_TEXT)
		return 0;
	const unsigned char *s = sqlite3_column_text(st, col);
	int n = sqlite3_column_bytes(st, col);
	if (s == NULL || n < 0 || (size_t)n > max || strlen((const char *)s) != (size_t)n ||
	    !kist__utf8_valid(s, (size_t)n))
		return 0;
	return !kist__text_has_control(s, (size_t)n);
}

/* No person with more media or fields than a register may give one. */
static kist_err people_limits(sqlite3 *db)
{
	sqlite3_int64 most = 0;
	if (!sql_int(db,
	             "SELECT max(c) FROM (SELECT count(*) AS c FROM person_media GROUP BY "
	             "person_id UNION ALL SELECT 0)",
	             &most) ||
	    most > KIST_MAX_PERSON_MEDIA)
		return kist__fail(KIST_E_LIMIT, "index: a person has more than %d media",
		                  KIST_MAX_PERSON_MEDIA);
	if (!sql_int(db,
	             "SELECT max(c) FROM (SELECT count(*) AS c FROM person_fields GROUP BY "
	             "person_id UNION ALL SELECT 0)",
	             &most) ||
	    most > KIST_MAX_REGISTER_COLUMNS)
		return kist__fail(KIST_E_LIMIT, "index: a person has more than %d fields",
		                  KIST_MAX_REGISTER_COLUMNS);
	return KIST_OK;
}

static kist_err people_check(sqlite3 *db, size_t *count)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 n = 0, lo = 0, hi = 0, nent = 0, bad = 0;
	kist_err err = kist__fail(KIST_E_CORRUPT, "index: malformed people tables");
	char sql[512];

	if (!sql_int(db, "SELECT count(*) FROM people", &n) ||
	    !sql_int(db, "SELECT count(*) FROM entries", &nent))
		return err;
	if (n > KIST_MAX_PEOPLE)
		return kist__fail(KIST_E_LIMIT, "index: more than %d people", KIST_MAX_PEOPLE);
	if (n > 0 && (!sql_int(db, "SELECT min(id) FROM people", &lo) ||
	              !sql_int(db, "SELECT max(id) FROM people", &hi) || lo != 1 || hi != n))
		return kist__fail(KIST_E_CORRUPT, "index: people ids are not 1 to %lld",
		                  (long long)n);
	/* Links and extra fields must point at existing people and entries. */
	snprintf(sql, sizeof sql,
	         "SELECT (SELECT count(*) FROM person_media WHERE typeof(person_id) <> 'integer' "
	         "OR typeof(entry_id) <> 'integer' OR person_id NOT BETWEEN 1 AND %lld OR "
	         "entry_id NOT BETWEEN 1 AND %lld) + (SELECT count(*) FROM person_fields WHERE "
	         "typeof(person_id) <> 'integer' OR person_id NOT BETWEEN 1 AND %lld)",
	         (long long)n, (long long)nent, (long long)n);
	if (!sql_int(db, sql, &bad) || bad != 0)
		return kist__fail(KIST_E_CORRUPT, "index: a person link or field points nowhere");
	if ((err = people_limits(db)) != KIST_OK)
		return err;
	err = kist__fail(KIST_E_CORRUPT, "index: malformed people tables");

	if (sqlite3_prepare_v2(db,
	                       "SELECT name, aliases, relation, born, location, status, contact, "
	                       "notes, id FROM people",
	                       -1, &st, NULL) != SQLITE_OK)
		return err;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int ok = text_ok(st, 0, KIST_MAX_FIELD_BYTES, 0) && sqlite3_column_bytes(st, 0) > 0;
		for (int c = 1; ok && c <= KIST__PERSON_NFIELDS; c++)
			ok = text_ok(st, c, KIST_MAX_FIELD_BYTES, 1);
		if (!ok) {
			err = kist__fail(KIST_E_CORRUPT, "index: person %lld is malformed",
			                 (long long)sqlite3_column_int64(st, 8));
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT field, value, person_id FROM person_fields", -1, &st,
	                       NULL) != SQLITE_OK) {
		st = NULL;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!text_ok(st, 0, 256, 0) || sqlite3_column_bytes(st, 0) == 0 ||
		    !text_ok(st, 1, KIST_MAX_FIELD_BYTES, 0)) {
			err =
			    kist__fail(KIST_E_CORRUPT, "index: a field of person %lld is malformed",
			               (long long)sqlite3_column_int64(st, 2));
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		goto out;
	*count = (size_t)n;
	err = KIST_OK;
out:
	sqlite3_finalize(st);
	return err;
}

/* The sealer key of the vault row, if any: the broken rule, or NULL. */
static const char *meta_signer(sqlite3_stmt *st, kist__index_meta *m)
{
	const char *why = NULL;
	char *s = NULL;
	kist_pubkey pk;
	if (column_text(st, 7, KIST_PUBKEY_STRLEN, &s) != 0)
		return "the sealer key is not a kist public key";
	if (s == NULL)
		return NULL;
	/* A signer is named by its kist1 key: an age1 key has no signing half. */
	if (kist_pubkey_parse(&pk, s) != KIST_OK) {
		why = "the sealer key is not a kist public key";
	} else if (pk.kind != KIST_PUBKEY_KIST) {
		why = "the sealer key is an age1 key (a signer is named by its kist1 key)";
	} else {
		memcpy(m->signer, s, KIST_PUBKEY_STRLEN + 1);
		m->has_signer = 1;
	}
	free(s);
	return why;
}

/* The one row of the vault table (docs/FORMAT.md, "Row rules"). */
static kist_err load_meta(sqlite3 *db, kist__index_meta *m, sqlite3_int64 version)
{
	static const int int_cols[] = {0, 1, 3, 5, 6};
	sqlite3_stmt *st = NULL;
	const char *why = NULL;
	kist_err err = KIST_OK;
	char *s = NULL;

	memset(m, 0, sizeof *m);
	if (sqlite3_prepare_v2(db,
	                       "SELECT format_version, schema_version, vault_id, created, "
	                       "tool_version, chunk_size, recipients, sealer_key FROM vault",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(db, "vault");
	if (sqlite3_step(st) != SQLITE_ROW) {
		why = "the vault table has no row";
		goto out;
	}
	for (size_t i = 0; i < sizeof int_cols / sizeof *int_cols; i++)
		if (sqlite3_column_type(st, int_cols[i]) != SQLITE_INTEGER) {
			why = "an integer column of the vault row holds another type";
			goto out;
		}
	if (sqlite3_column_int64(st, 0) != KIST_FORMAT_V1 &&
	    sqlite3_column_int64(st, 0) != KIST_FORMAT_VERSION) {
		why = "vault.format_version is not 1 or 2";
		goto out;
	}
	m->format_version = (unsigned)sqlite3_column_int64(st, 0);
	if (sqlite3_column_int64(st, 1) != version) {
		why = "vault.schema_version differs from user_version";
		goto out;
	}
	if (column_text(st, 2, 32, &s) != 0 || s == NULL || strlen(s) != 32 ||
	    strspn(s, "0123456789abcdef") != 32) {
		why = "vault_id is not 32 lower-case hex digits";
		goto out;
	}
	memcpy(m->vault_id, s, 33);
	free(s);
	s = NULL;
	m->created = sqlite3_column_int64(st, 3);
	if (column_text(st, 4, sizeof m->tool_version - 1, &s) != 0 || s == NULL ||
	    !kist__utf8_valid((const unsigned char *)s, strlen(s)) ||
	    kist__text_has_control((const unsigned char *)s, strlen(s)) || strchr(s, '\n') ||
	    strchr(s, '\t') || strchr(s, '\r')) {
		why = "vault.tool_version is not short printable text";
		goto out;
	}
	memcpy(m->tool_version, s, strlen(s) + 1);
	free(s);
	s = NULL;
	sqlite3_int64 cs = sqlite3_column_int64(st, 5), rc = sqlite3_column_int64(st, 6);
	if (cs < KIST_CHUNK_SIZE_MIN || cs > KIST_CHUNK_SIZE_MAX) {
		why = "vault.chunk_size is out of range";
		goto out;
	}
	if (rc < 1 || rc > KIST_MAX_RECIPIENTS) {
		why = "vault.recipients is out of range";
		goto out;
	}
	m->chunk_size = (uint32_t)cs;
	m->recipients = (unsigned)rc;
	if ((why = meta_signer(st, m)) != NULL)
		goto out;
	if (sqlite3_step(st) != SQLITE_DONE)
		why = "the vault table has more than one row";
out:
	if (why != NULL)
		err = kist__fail(KIST_E_CORRUPT, "index: %s", why);
	free(s);
	sqlite3_finalize(st);
	return err;
}

/* Custody rows are shown to people (kist query): typed, bounded, printable text. */
static kist_err custody_check(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	int rc;
	if (sqlite3_prepare_v2(db,
	                       "SELECT id, time, action, actor, tool_version, detail FROM custody",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqlerr(db, "custody");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int ok = sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
		         sqlite3_column_type(st, 1) == SQLITE_INTEGER;
		for (int c = 2; ok && c <= 5; c++) {
			int t = sqlite3_column_type(st, c);
			if (t == SQLITE_NULL && (c == 3 || c == 5))
				continue;
			const unsigned char *x = sqlite3_column_text(st, c);
			int n = sqlite3_column_bytes(st, c);
			ok = t == SQLITE_TEXT && x != NULL && n >= 0 && n <= 4096 &&
			     strlen((const char *)x) == (size_t)n &&
			     kist__utf8_valid(x, (size_t)n) &&
			     !kist__text_has_control(x, (size_t)n) &&
			     memchr(x, '\n', (size_t)n) == NULL &&
			     memchr(x, '\r', (size_t)n) == NULL;
		}
		if (!ok) {
			err = kist__fail(KIST_E_CORRUPT, "index: custody row %lld is malformed",
			                 (long long)sqlite3_column_int64(st, 0));
			break;
		}
	}
	if (err == KIST_OK && rc != SQLITE_DONE)
		err = sqlerr(db, "custody");
	sqlite3_finalize(st);
	return err;
}

/* Open buf read-only and check that it is a kist index of a schema this reader knows. */
static kist_err index_attach(sqlite3 *db, unsigned char *buf, size_t len, sqlite3_int64 *version)
{
	sqlite3_int64 v;
	if (sqlite3_deserialize(db, "main", buf, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
		return sqlerr(db, "load");
	sqlite3_exec(db, "PRAGMA cell_size_check=ON; PRAGMA query_only=ON;", NULL, NULL, NULL);
	if (!sql_int(db, "PRAGMA application_id", &v) || v != APPLICATION_ID)
		return kist__fail(KIST_E_CORRUPT, "index: not a kist index");
	if (!sql_int(db, "PRAGMA user_version", &v) || v < 1 || v > SCHEMA_VERSION)
		return kist__fail(KIST_E_FORMAT, "index schema version %lld is not supported",
		                  (long long)v);
	*version = v;
	return KIST_OK;
}

/* Room for one more entry, within KIST_MAX_ENTRIES. */
static kist_err entries_grow(kist__entry **ents, size_t count, size_t *cap)
{
	if (count == KIST_MAX_ENTRIES)
		return kist__fail(KIST_E_LIMIT, "index: more than %d entries", KIST_MAX_ENTRIES);
	if (count == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		kist__entry *ne = realloc(*ents, nc * sizeof *ne);
		if (ne == NULL)
			return kist__nomem();
		*ents = ne;
		*cap = nc;
	}
	return KIST_OK;
}

/* The typed and text columns of an entry row: the broken rule, or NULL. */
static const char *entry_texts(sqlite3_stmt *st, kist__entry *e, size_t id, const char **type,
                               const char **sha)
{
	static const int int_cols[] = {0, 3, 4, 5, 6, 9, 10};
	for (size_t i = 0; i < sizeof int_cols / sizeof *int_cols; i++)
		if (sqlite3_column_type(st, int_cols[i]) != SQLITE_INTEGER)
			return "an integer column holds another type";
	if (sqlite3_column_int64(st, 0) != (sqlite3_int64)id)
		return "ids do not run 1, 2, ... n";
	if (column_text(st, 1, KIST_MAX_PATH, &e->path) != 0 || e->path == NULL)
		return "path is not text of at most 4096 bytes without NUL";
	if (column_ref(st, 2, 16, type) != 0 || *type == NULL)
		return "type is not text";
	if (column_ref(st, 7, 64, sha) != 0)
		return "sha256 is not text of at most 64 bytes";
	if (column_text(st, 8, KIST_MAX_PATH, &e->link) != 0)
		return "link_target is not text of at most 4096 bytes without NUL";
	return NULL;
}

/* The chunk lengths of an entry row: a BLOB of 4-byte lengths (*why if not). */
static kist_err entry_chunks(sqlite3_stmt *st, kist__entry *e, const char **why)
{
	int blen = sqlite3_column_bytes(st, 11);
	const unsigned char *blob = sqlite3_column_blob(st, 11);
	if (sqlite3_column_type(st, 11) != SQLITE_BLOB || blen % 4 != 0 ||
	    (blen > 0 && blob == NULL)) {
		*why = "chunks is not a BLOB of 4-byte lengths";
		return KIST_OK;
	}
	e->nchunks = (uint32_t)(blen / 4);
	if (e->nchunks > 0) {
		e->chunk_len = malloc((size_t)blen);
		if (e->chunk_len == NULL)
			return kist__nomem();
		for (uint32_t c = 0; c < e->nchunks; c++)
			e->chunk_len[c] = kist__ld32(blob + 4 * c);
	}
	return KIST_OK;
}

/*
 * One row of the entries table into e, whose id is id (docs/FORMAT.md, "Row
 * rules").  A broken rule sets *why and returns KIST_OK; other failures
 * return their error.
 */
static kist_err entry_row(sqlite3_stmt *st, kist__entry *e, size_t id, const char **why)
{
	const char *type = NULL, *sha = NULL;
	kist_err err;
	*why = entry_texts(st, e, id, &type, &sha);
	if (*why != NULL)
		return KIST_OK;
	int t = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(type, type_names[i]) == 0)
			t = i;
	sqlite3_int64 size = sqlite3_column_int64(st, 3), mode = sqlite3_column_int64(st, 4);
	sqlite3_int64 nsec = sqlite3_column_int64(st, 6), off = sqlite3_column_int64(st, 9);
	sqlite3_int64 stored = sqlite3_column_int64(st, 10);
	int sha_ok = 1;
	if (sha != NULL) {
		size_t bl = 0;
		sha_ok = strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64 &&
		         sodium_hex2bin(e->pub.sha256, 32, sha, 64, NULL, &bl, NULL) == 0 &&
		         bl == 32;
	}
	int has_sha = sha != NULL;
	*why = t < 0                          ? "unknown type"
	       : !sha_ok                      ? "sha256 is not 64 lower-case hex digits"
	       : size < 0                     ? "negative size"
	       : mode < 0 || mode > 07777     ? "mode out of range (0 to 07777)"
	       : nsec < 0 || nsec > 999999999 ? "mtime_nsec out of range"
	       : off < 0 || stored < 0        ? "negative offset or stored_size"
	       : (t == KIST_ENTRY_FILE) != has_sha
	           ? "sha256 present on a non-file, or missing on a file"
	       : (t == KIST_ENTRY_SYMLINK) != (e->link != NULL)
	           ? "link_target present on a non-link, or missing on a link"
	           : NULL;
	if (*why != NULL)
		return KIST_OK;
	e->id = (uint32_t)id;
	e->pub.path = e->path;
	e->pub.type = (kist_entry_type)t;
	e->pub.size = (uint64_t)size;
	e->pub.mode = (uint32_t)mode;
	e->pub.mtime = sqlite3_column_int64(st, 5);
	e->pub.mtime_nsec = (uint32_t)nsec;
	e->pub.link_target = e->link;
	e->pub.stored_size = (uint64_t)stored;
	e->offset = (uint64_t)off;
	if ((err = entry_chunks(st, e, why)) != KIST_OK || *why != NULL)
		return err;
	return kist__path_check(e->path, strlen(e->path));
}

/*
 * One table of the right size, on huge pages when large: page faults, not
 * rows, were most of the cost of opening a vault of 100,000 entries.
 */
static kist_err entries_alloc(sqlite3 *db, kist__entry **ents, size_t *cap)
{
	sqlite3_int64 rows = 0;
	if (!sql_int(db, "SELECT count(*) FROM entries", &rows) || rows <= 0)
		return KIST_OK;
	if (rows > KIST_MAX_ENTRIES)
		return kist__fail(KIST_E_LIMIT, "index: more than %d entries", KIST_MAX_ENTRIES);
	if ((*ents = kist__alloc_large((size_t)rows * sizeof **ents)) == NULL)
		return kist__nomem();
	*cap = (size_t)rows;
	return KIST_OK;
}

kist_err kist__index_load(sqlite3 **dbp, kist__index_meta *m, kist__entry **entries, size_t *n,
                          unsigned char *buf, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	kist__entry *ents = NULL;
	const char *why = NULL;
	size_t count = 0, cap = 0;
	sqlite3_int64 version = 0;
	kist_err err;

	if ((err = kist__index_open_hardened(&db)) != KIST_OK)
		return err;
	if ((err = index_attach(db, buf, len, &version)) != KIST_OK)
		goto out;
	if ((err = schema_matches(db, version)) != KIST_OK)
		goto out;
	if ((err = integrity_check(db)) != KIST_OK)
		goto out;
	if ((err = load_meta(db, m, version)) != KIST_OK)
		goto out;
	m->schema_version = (unsigned)version;

	if ((err = entries_alloc(db, &ents, &cap)) != KIST_OK)
		goto out;
	if (sqlite3_prepare_v2(db,
	                       "SELECT id, path, type, size, mode, mtime, mtime_nsec, sha256, "
	                       "link_target, offset, stored_size, chunks FROM entries ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK) {
		err = sqlerr(db, "entries");
		goto out;
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((err = entries_grow(&ents, count, &cap)) != KIST_OK)
			goto out;
		kist__entry *e = &ents[count];
		memset(e, 0, sizeof *e);
		count++;
		if ((err = entry_row(st, e, count, &why)) != KIST_OK)
			goto out;
		if (why != NULL)
			goto bad_entry;
	}
	if (rc != SQLITE_DONE) {
		err = sqlerr(db, "entries");
		goto out;
	}
	if ((err = kist__entries_check(ents, count, m->chunk_size)) != KIST_OK)
		goto out;
	if ((err = custody_check(db)) != KIST_OK)
		goto out;
	if (version >= 2 && (err = people_check(db, &m->people)) != KIST_OK)
		goto out;
	*dbp = db;
	db = NULL;
	*entries = ents;
	ents = NULL;
	*n = count;
	err = KIST_OK;
	goto out;
bad_entry:
	err = kist__fail(KIST_E_CORRUPT, "index: entry %zu is malformed: %s", count, why);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	kist__entries_free(ents, count);
	return err;
}

/* The refusal of path for what (its escaped form is made only here: checking
 * every path of a large vault must not pay for escaping it). */
static kist_err path_fail(const char *path, const char *what, const char *tail)
{
	char shown[128];
	kist__printable(shown, sizeof shown, path);
	return kist__fail(KIST_E_UNSAFE, "%s: %s%s", what, shown, tail);
}

kist_err kist__path_check(const char *path, size_t len)
{
	char what[48];
	if (len == 0)
		return kist__fail(KIST_E_UNSAFE, "empty path");
	if (len > KIST_MAX_PATH) {
		snprintf(what, sizeof what, "path longer than %d bytes", KIST_MAX_PATH);
		return path_fail(path, what, "...");
	}
	if (path[0] == '/')
		return path_fail(path, "absolute path", "");
	size_t comp = 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (i == len || c == '/') {
			const char *s = path + i - comp;
			if (comp == 0 || (comp == 1 && s[0] == '.') ||
			    (comp == 2 && s[0] == '.' && s[1] == '.'))
				return path_fail(path, "path not normalised", "");
			if (comp > KIST_MAX_NAME) {
				snprintf(what, sizeof what, "name longer than %d bytes",
				         KIST_MAX_NAME);
				return path_fail(path, what, "");
			}
			comp = 0;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			return path_fail(path, "control character in path", "");
		comp++;
	}
	return KIST_OK;
}

int kist__path_cmp_tree(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (;; x++, y++) {
		unsigned cx = *x == '/' ? 1u : *x, cy = *y == '/' ? 1u : *y;
		if (cx != cy || cx == 0)
			return (int)cx - (int)cy;
	}
}

static int cmp_tree(const void *a, const void *b)
{
	return kist__path_cmp_tree((*(const kist__entry *const *)a)->path,
	                           (*(const kist__entry *const *)b)->path);
}

int kist__entries_in_tree_order(const kist__entry *e, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (kist__path_cmp_tree(e[i].path, e[i + 1].path) >= 0)
			return 0;
	return 1;
}

/* The adjacent pairs of entries in tree order (at[i] or, if at is NULL, e[i]):
 * no path twice, nothing below a non-directory. */
static kist_err tree_pairs_check(const kist__entry *e, const kist__entry *const *at, size_t n)
{
	char shown[128];
	for (size_t i = 0; i + 1 < n; i++) {
		const kist__entry *x = at ? at[i] : &e[i], *y = at ? at[i + 1] : &e[i + 1];
		const char *p = x->path, *q = y->path;
		size_t pl = strlen(p);
		if (strcmp(p, q) == 0) {
			kist__printable(shown, sizeof shown, p);
			return kist__fail(KIST_E_UNSAFE, "duplicate path: %s", shown);
		}
		/* Anything below p comes right after it; only folders may have it. */
		if (x->pub.type != KIST_ENTRY_DIR && strncmp(p, q, pl) == 0 && q[pl] == '/') {
			kist__printable(shown, sizeof shown, q);
			return kist__fail(KIST_E_UNSAFE, "%s lies below a non-directory entry",
			                  shown);
		}
	}
	return KIST_OK;
}

kist_err kist__entries_check(const kist__entry *e, size_t n, uint32_t chunk_size)
{
	const kist__entry **sorted = NULL;
	kist_err err = KIST_OK;
	char shown[128];

	for (size_t i = 0; chunk_size != 0 && i < n; i++) {
		const kist__entry *x = &e[i];
		uint64_t want = 0, sum = 0;
		if (x->pub.type == KIST_ENTRY_FILE) {
			want = x->pub.size == 0 ? 1 : (x->pub.size - 1) / chunk_size + 1;
			/* A chunk is never longer than its data plus the method byte and tag:
			 * the sealer stores data raw when zstd would not shrink it. */
			for (uint32_t c = 0; c < x->nchunks; c++) {
				uint64_t data = x->pub.size - (uint64_t)c * chunk_size;
				if (data > chunk_size)
					data = chunk_size;
				if (c >= want || x->chunk_len[c] < KIST_CHUNK_OVERHEAD ||
				    x->chunk_len[c] > data + KIST_CHUNK_OVERHEAD)
					want = UINT64_MAX;
				sum += x->chunk_len[c];
			}
		} else if (x->pub.size != 0) {
			want = UINT64_MAX;
		}
		if (x->nchunks != want || sum != x->pub.stored_size) {
			kist__printable(shown, sizeof shown, x->path);
			return kist__fail(KIST_E_CORRUPT, "index: size and chunks of %s disagree",
			                  shown);
		}
	}
	/* The sealer writes entries in tree order: checking that is O(n), and
	 * then the pairs are checked where they lie, without a sort. */
	if (kist__entries_in_tree_order(e, n))
		return tree_pairs_check(e, NULL, n);
	sorted = malloc((n ? n : 1) * sizeof *sorted);
	if (sorted == NULL)
		return kist__nomem();
	for (size_t i = 0; i < n; i++)
		sorted[i] = &e[i];
	qsort(sorted, n, sizeof *sorted, cmp_tree);
	err = tree_pairs_check(e, sorted, n);
	free(sorted);
	return err;
}
