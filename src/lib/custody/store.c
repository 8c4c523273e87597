/*
 * The custody ledger (docs/AUDIT.md): an SQLite file of signed entries whose
 * leaf hashes form an RFC 9162 Merkle tree, checkpoints in the C2SP
 * tlog-checkpoint signed-note format, export bundles, and the audit.
 *
 * Entry body (what the actor signs, Ed25519), every field length-prefixed
 * with a 4-byte little-endian length:
 *   "kist/v1 ledger entry" (label, no length) || origin || index (8 LE) ||
 *   prev (32) || vault id || actor (64: X25519 || Ed25519) || action ||
 *   time (8 LE) || tool || path count (4 LE) || each path
 * body_hash = SHA-256(body); leaf = SHA-256(0x00 || body || signature);
 * prev = the leaf hash of the entry before (32 zero bytes for entry 0).
 */
#include "custody/custody_int.h"
#include "os/os.h"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries("
    " seq INTEGER PRIMARY KEY,"
    " idx INTEGER NOT NULL UNIQUE,"
    " vault_id TEXT NOT NULL,"
    " actor BLOB NOT NULL,"
    " action TEXT NOT NULL,"
    " paths TEXT NOT NULL,"
    " time INTEGER NOT NULL,"
    " tool TEXT NOT NULL,"
    " prev BLOB NOT NULL,"
    " body_hash BLOB NOT NULL,"
    " sig BLOB NOT NULL,"
    " leaf BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS checkpoints(seq INTEGER PRIMARY KEY, note TEXT NOT NULL);";

/* ------------------------------------------------------------ encoding */

void kist__buf_put(buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *q = realloc(b->p, cap);
		if (q == NULL) {
			b->oom = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void put_field(buf *b, const void *p, size_t n)
{
	unsigned char l[4];
	kist__st32(l, (uint32_t)n);
	kist__buf_put(b, l, 4);
	kist__buf_put(b, p, n);
}

static void put_u64(buf *b, uint64_t v)
{
	unsigned char x[8];
	kist__st64(x, v);
	put_field(b, x, 8);
}

/*
 * The signed body of an entry (see the top of this file), into b, whose
 * allocation is kept from call to call: b->p[0] is a 0x00 byte and the body
 * follows it, so that appending the signature leaves the leaf's preimage
 * (0x00 || body || signature) in one buffer.  Sets b->oom when out of memory.
 */
void kist__ledger_body_encode(buf *b, const char *origin, const kist_ledger_entry *e)
{
	static const unsigned char zero = 0x00;
	unsigned char pk[64], cnt[4];
	b->len = 0;
	kist__buf_put(b, &zero, 1);
	kist__buf_put(b, KIST_LEDGER_LABEL, strlen(KIST_LEDGER_LABEL));
	put_field(b, origin, strlen(origin));
	put_u64(b, e->index);
	put_field(b, e->prev, 32);
	put_field(b, e->vault_id, strlen(e->vault_id));
	memcpy(pk, e->actor.x25519, 32);
	memcpy(pk + 32, e->actor.ed25519, 32);
	put_field(b, pk, 64);
	put_field(b, e->action, strlen(e->action));
	put_u64(b, (uint64_t)e->time);
	put_field(b, e->tool, strlen(e->tool));
	kist__st32(cnt, (uint32_t)e->npaths);
	kist__buf_put(b, cnt, 4);
	for (size_t i = 0; i < e->npaths; i++)
		put_field(b, e->paths[i], strlen(e->paths[i]));
}

/* body_encode into a fresh b (free(b->p) after). */
static kist_err encode_body(buf *b, const char *origin, const kist_ledger_entry *e)
{
	memset(b, 0, sizeof *b);
	kist__ledger_body_encode(b, origin, e);
	if (b->oom) {
		free(b->p);
		b->p = NULL;
		return kist__nomem();
	}
	return KIST_OK;
}

/*
 * The leaf hash SHA-256(0x00 || body || sig) of the body encoded in b; the
 * signature is appended to b and taken off again.  Returns 0 when out of memory.
 */
int kist__ledger_leaf_hash(unsigned char out[32], buf *b, const unsigned char sig[64])
{
	size_t len = b->len;
	kist__buf_put(b, sig, 64);
	if (b->oom)
		return 0;
	kist__sha256_oneshot(out, b->p, b->len);
	b->len = len;
	return 1;
}

static kist_err leaf_of(unsigned char out[32], buf *body, const unsigned char sig[64])
{
	if (!kist__ledger_leaf_hash(out, body, sig))
		return kist__nomem();
	return KIST_OK;
}

kist_err kist__ledger_entry_body(const kist_ledger_log *log, const kist_ledger_entry *e,
                                 unsigned char **body, size_t *len)
{
	buf b;
	kist_err err = encode_body(&b, log->origin, e);
	if (err != KIST_OK)
		return err;
	memmove(b.p, BODY(&b), BODY_LEN(&b));
	*body = b.p;
	*len = b.len - 1;
	return KIST_OK;
}

/* ------------------------------------------------------------- writing */

kist_err kist__ledger_sql_err(sqlite3 *db, int rc, const char *what)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	if ((rc & 0xff) == SQLITE_FULL || ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_FSYNC ||
	    ext == SQLITE_IOERR_TRUNCATE) {
		if ((rc & 0xff) == SQLITE_FULL || kist__errno_err(errno) == KIST_E_NOSPACE)
			return kist__fail(KIST_E_NOSPACE, "%s: no space left (%s)", what, msg);
	}
	if ((rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM ||
	    (rc & 0xff) == SQLITE_CANTOPEN)
		return kist__fail(KIST_E_IO, "%s: cannot write the ledger (%s)", what, msg);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return kist__fail(KIST_E_IO, "%s: the ledger stayed locked by another process",
		                  what);
	if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT)
		return kist__fail(KIST_E_FORMAT, "%s: not a kist ledger (%s)", what, msg);
	if ((rc & 0xff) == SQLITE_NOMEM)
		return kist__nomem();
	return kist__fail(KIST_E_IO, "%s: %s", what, msg);
}

static void harden(sqlite3 *db)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
}

kist_err kist_ledger_default_path(char *out, size_t cap)
{
	const char *env = getenv("KIST_LEDGER");
	if (env && *env) {
		int n = snprintf(out, cap, "%s", env);
		if (n < 0 || (size_t)n >= cap)
			return kist__fail(KIST_E_LIMIT, "the ledger path is too long");
		return KIST_OK;
	}
	if (kist__os_data_path("ledger.db", out, cap) != 0)
		return errno == ENOENT
		           ? kist__fail(KIST_E_ARG, "no ledger path: set KIST_LEDGER, or "
		                                    "XDG_DATA_HOME or HOME to an "
		                                    "absolute folder")
		           : kist__fail(KIST_E_LIMIT, "the ledger path is too long");
	return KIST_OK;
}

/* Creates the missing directories above path, mode 0700. */
static kist_err make_parents(const char *path)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof tmp, "%s", path);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return kist__fail(KIST_E_LIMIT, "the ledger path is too long");
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (kist__os_mkdirat(KIST__OS_CWD, tmp, 0700) != 0 && errno != EEXIST) {
			kist_err err = kist__errno_err(errno);
			return kist__fail(err, "ledger: cannot create the folder %s: %s", tmp,
			                  strerror(errno));
		}
		*p = '/';
	}
	return KIST_OK;
}

/* Creates path (0600, O_EXCL) if missing and makes the new name durable. */
static kist_err create_file(const char *path)
{
	kist__os_stat st;
	if (kist__os_fstatat(KIST__OS_CWD, path, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		if (st.type != KIST__OS_FILE)
			return kist__fail(KIST_E_IO, "%s is not a regular file", path);
		return KIST_OK;
	}
	if (errno != ENOENT)
		return kist__fail(KIST_E_IO, "%s: %s", path, strerror(errno));
	kist_err err = make_parents(path);
	if (err != KIST_OK)
		return err;
	int fd = kist__os_open(
	    path, KIST__OS_WRONLY | KIST__OS_CREAT | KIST__OS_EXCL | KIST__OS_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST) /* another process created it first */
			return KIST_OK;
		err = kist__errno_err(errno);
		return kist__fail(err, "ledger: cannot create %s: %s", path, strerror(errno));
	}
	int bad = kist__os_fsync(fd) != 0;
	kist__os_close(fd);
	int dirfd;
	const char *base;
	if (kist__open_parent(path, &dirfd, &base) == KIST_OK) {
		bad |= kist__os_fsync(dirfd) != 0;
		kist__os_close(dirfd);
	}
	if (bad)
		return kist__fail(KIST_E_IO, "cannot sync %s", path);
	return KIST_OK;
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

kist_err kist_ledger_open(kist_ledger **out, const char *path)
{
	kist_ledger *l = NULL;
	sqlite3_stmt *st = NULL;
	kist_err err;
	int rc;

	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if ((err = create_file(path)) != KIST_OK)
		return err;
	l = calloc(1, sizeof *l);
	if (l == NULL)
		return kist__nomem();
	rc = sqlite3_open_v2(path, &l->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		err = kist__ledger_sql_err(l->db, rc, path);
		goto out;
	}
	harden(l->db);
	if (sqlite3_db_readonly(l->db, "main") != 0) {
		err = kist__fail(KIST_E_IO, "%s is read-only: nothing can be logged", path);
		goto out;
	}
	sqlite3_busy_timeout(l->db, 30000);
	if ((rc = exec(l->db, "PRAGMA synchronous=FULL; PRAGMA journal_mode=DELETE;")) !=
	    SQLITE_OK) {
		err = kist__ledger_sql_err(l->db, rc, path);
		goto out;
	}
	/* Idempotent set-up under the write lock: the first opener creates, the others find. */
	unsigned char rnd[16];
	char origin[64], hex[33];
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
	snprintf(origin, sizeof origin, "kist-ledger/%s", hex);
	if ((rc = exec(l->db, "BEGIN IMMEDIATE")) != SQLITE_OK ||
	    (rc = exec(l->db, schema)) != SQLITE_OK ||
	    (rc = sqlite3_prepare_v2(l->db, "INSERT OR IGNORE INTO meta VALUES('origin', ?1)", -1,
	                             &st, NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 1, origin, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = kist__ledger_sql_err(l->db, rc, path);
		exec(l->db, "ROLLBACK");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = exec(l->db, "COMMIT")) != SQLITE_OK) {
		err = kist__ledger_sql_err(l->db, rc, path);
		exec(l->db, "ROLLBACK");
		goto out;
	}
	if ((rc = sqlite3_prepare_v2(l->db, "SELECT value FROM meta WHERE key='origin'", -1, &st,
	                             NULL)) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT ||
	    (size_t)sqlite3_column_bytes(st, 0) >= sizeof l->origin ||
	    sqlite3_column_bytes(st, 0) == 0) {
		err = kist__fail(KIST_E_FORMAT, "%s has no valid origin", path);
		goto out;
	}
	memcpy(l->origin, sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
	*out = l;
	l = NULL;
	err = KIST_OK;
out:
	sqlite3_finalize(st);
	kist_ledger_close(l);
	return err;
}

const char *kist_ledger_origin(const kist_ledger *l)
{
	return l->origin;
}

void kist_ledger_close(kist_ledger *l)
{
	if (l == NULL)
		return;
	sqlite3_close(l->db);
	free(l);
}

static kist_err check_text(const char *s, size_t max, const char *what)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return kist__fail(KIST_E_LIMIT, "%s is empty or too long", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return kist__fail(KIST_E_ARG, "%s has a control character", what);
	return KIST_OK;
}

static char *paths_json(const char *const *paths, size_t n)
{
	json_t *a = json_array();
	char *s = NULL;
	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(paths[i])) != 0)
			goto out;
	s = json_dumps(a, JSON_COMPACT);
out:
	json_decref(a);
	return s;
}

/*
 * The paths as the entry records them: a stored path need not be UTF-8, but
 * the entry is text, so such a path is recorded as kist__printable shows it
 * (its invalid bytes as \xNN).  shown[i] is paths[i] or esc[i]; the caller
 * frees both arrays and esc's strings, also on failure.
 */
static kist_err shown_paths(const char *const *paths, size_t npaths, const char ***shown,
                            char ***esc)
{
	kist_err err;
	if (npaths > 0 && ((*shown = calloc(npaths, sizeof **shown)) == NULL ||
	                   (*esc = calloc(npaths, sizeof **esc)) == NULL))
		return kist__nomem();
	for (size_t i = 0; i < npaths; i++) {
		(*shown)[i] = paths[i];
		if (!kist__utf8_valid((const unsigned char *)paths[i], strlen(paths[i]))) {
			if (((*esc)[i] = malloc(KIST_MAX_PATH + 1)) == NULL)
				return kist__nomem();
			kist__printable((*esc)[i], KIST_MAX_PATH + 1, paths[i]);
			(*shown)[i] = (*esc)[i];
		}
		if ((err = check_text((*shown)[i], KIST_MAX_PATH, "path")) != KIST_OK)
			return err;
	}
	return KIST_OK;
}

/* Sets e's index and prev: the next index and the chain follow the highest stored index. */
static kist_err follow_last(kist_ledger *l, kist_ledger_entry *e)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	int rc;
	if ((rc = sqlite3_prepare_v2(l->db,
	                             "SELECT idx, leaf FROM entries ORDER BY idx DESC LIMIT 1", -1,
	                             &st, NULL)) != SQLITE_OK)
		return kist__ledger_sql_err(l->db, rc, "append");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_int64(st, 0) >= INT64_MAX - 1 ||
		    sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != 32) {
			err = kist__fail(KIST_E_CORRUPT,
			                 "the last entry is damaged; audit the ledger");
		} else {
			e->index = (uint64_t)sqlite3_column_int64(st, 0) + 1;
			memcpy(e->prev, sqlite3_column_blob(st, 1), 32);
		}
	} else if (rc != SQLITE_DONE) {
		err = kist__ledger_sql_err(l->db, rc, "append");
	}
	sqlite3_finalize(st);
	return err;
}

/* Stores the signed entry e (its paths as the JSON array pj) as one row. */
static kist_err insert_entry(kist_ledger *l, const kist_ledger_entry *e, const char *pj,
                             const unsigned char bh[32], const unsigned char sig[64],
                             const unsigned char leaf[32])
{
	sqlite3_stmt *st = NULL;
	unsigned char pk[64];
	int rc;
	if ((rc =
	         sqlite3_prepare_v2(l->db,
	                            "INSERT INTO entries(idx, vault_id, actor, action, paths, time,"
	                            " tool, prev, body_hash, sig, leaf)"
	                            " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
	                            -1, &st, NULL)) != SQLITE_OK)
		return kist__ledger_sql_err(l->db, rc, "append");
	memcpy(pk, e->actor.x25519, 32);
	memcpy(pk + 32, e->actor.ed25519, 32);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e->index);
	sqlite3_bind_text(st, 2, e->vault_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, pk, 64, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, e->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pj, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, e->time);
	sqlite3_bind_text(st, 7, e->tool, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, e->prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, bh, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, leaf, 32, SQLITE_STATIC);
	kist_err err = KIST_OK;
	if ((rc = sqlite3_step(st)) != SQLITE_DONE)
		err = kist__ledger_sql_err(l->db, rc, "append");
	sqlite3_finalize(st);
	return err;
}

kist_err kist_ledger_append(kist_ledger *l, const kist_identity *actor, const char *vault_id,
                            const char *action, const char *const *paths, size_t npaths,
                            uint64_t *index)
{
	kist_ledger_entry e;
	buf body = {0};
	unsigned char sig[64], leaf[32], bh[32];
	char *pj = NULL, **esc = NULL;
	const char **shown = NULL;
	kist_err err;
	int rc, in_tx = 0;

	if (l == NULL || actor == NULL || vault_id == NULL || action == NULL ||
	    (npaths && paths == NULL))
		return kist__fail(KIST_E_ARG, "missing argument");
	if ((err = check_text(vault_id, 64, "vault id")) != KIST_OK ||
	    (err = check_text(action, KIST_LEDGER_ACTION_MAX, "action")) != KIST_OK)
		return err;
	if (npaths > KIST_LEDGER_PATHS_MAX)
		return kist__fail(KIST_E_LIMIT, "more than %d paths in one entry",
		                  KIST_LEDGER_PATHS_MAX);
	if ((err = shown_paths(paths, npaths, &shown, &esc)) != KIST_OK)
		goto out;
	if ((pj = paths_json(shown, npaths)) == NULL) {
		err = kist__nomem();
		goto out;
	}

	memset(&e, 0, sizeof e);
	e.vault_id = vault_id;
	e.actor = actor->pk;
	e.action = action;
	e.paths = shown;
	e.npaths = npaths;
	e.time = (int64_t)time(NULL);
	e.tool = "kist " KIST_VERSION;

	if ((rc = exec(l->db, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		err = kist__ledger_sql_err(l->db, rc, "append");
		goto out;
	}
	in_tx = 1;
	if ((err = follow_last(l, &e)) != KIST_OK)
		goto out;
	if ((err = encode_body(&body, l->origin, &e)) != KIST_OK)
		goto out;
	if (crypto_sign_detached(sig, NULL, BODY(&body), BODY_LEN(&body), actor->ed25519_sk) != 0) {
		err = kist__fail(KIST_E_CRYPTO, "the entry could not be signed");
		goto out;
	}
	kist__sha256_oneshot(bh, BODY(&body), BODY_LEN(&body));
	if ((err = leaf_of(leaf, &body, sig)) != KIST_OK)
		goto out;
	if ((err = insert_entry(l, &e, pj, bh, sig, leaf)) != KIST_OK)
		goto out;
	if ((rc = exec(l->db, "COMMIT")) != SQLITE_OK) {
		err = kist__ledger_sql_err(l->db, rc, "append");
		goto out;
	}
	in_tx = 0;
	if (index)
		*index = e.index;
	err = KIST_OK;
out:
	if (in_tx)
		exec(l->db, "ROLLBACK");
	free(body.p);
	free(pj);
	for (size_t i = 0; esc != NULL && i < npaths; i++)
		free(esc[i]);
	free(esc);
	free(shown);
	return err;
}

/* ------------------------------------------------------------- loading */

void kist_ledger_log_free(kist_ledger_log *log)
{
	if (log == NULL)
		return;
	for (size_t i = 0; i < log->n; i++) {
		lentry *e = &log->e[i];
		free(e->vault_id);
		free(e->action);
		free(e->tool);
		free(e->paths);
	}
	free(log->e);
	for (size_t i = 0; i < log->nnotes; i++)
		free(log->notes[i]);
	free(log->notes);
	free(log->origin);
	free(log);
}

lentry *kist__ledger_new_entry(kist_ledger_log *log)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 64;
		lentry *e = realloc(log->e, cap * sizeof *e);
		if (e == NULL)
			return NULL;
		log->e = e;
		log->cap = cap;
	}
	lentry *e = &log->e[log->n++];
	memset(e, 0, sizeof *e);
	e->pub.vault_id = e->pub.action = e->pub.tool = "";
	return e;
}

/*
 * Records why an entry cannot be read.  why is always a string literal: the
 * entry array grows (realloc) while loading, so nothing may point into it.
 */
void kist__ledger_mark(lentry *e, const char *why)
{
	if (e->pub.malformed == NULL)
		e->pub.malformed = why;
}

/* A bounded string without control characters or NULs; NULL if not. */
static char *dup_field(const char *s, size_t len, size_t max)
{
	if (s == NULL || len > max || strlen(s) != len)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return NULL;
	char *d = malloc(len + 1);
	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* A bounded, non-empty string without control characters or NULs. */
static int valid_field(const char *s, size_t len, size_t max)
{
	if (s == NULL || len == 0 || len > max || strlen(s) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * Fills paths from a JSON array of strings, in one allocation (pointers,
 * then the strings): a hostile list of many short names costs about its
 * own size, not an allocation per name.  Returns 0 only when out of memory.
 */
int kist__ledger_set_paths(lentry *e, json_t *a)
{
	size_t n, total = 0;
	if (!json_is_array(a) || (n = json_array_size(a)) > KIST_LEDGER_PATHS_MAX) {
		kist__ledger_mark(e, "the paths are not a list of names");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);
		if (!json_is_string(s) ||
		    !valid_field(json_string_value(s), json_string_length(s), KIST_MAX_PATH)) {
			kist__ledger_mark(e, "a path is not a valid name");
			return 1;
		}
		total += json_string_length(s) + 1;
	}
	char **p = malloc(n * sizeof *p + total + 1);
	if (p == NULL)
		return 0;
	char *at = (char *)(p + n);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);
		size_t len = json_string_length(s);
		memcpy(at, json_string_value(s), len + 1);
		p[i] = at;
		at += len + 1;
	}
	e->paths = p;
	e->pub.paths = (const char *const *)p;
	e->pub.npaths = n;
	return 1;
}

/* why: a string literal naming the field and what is wrong with it. */
void kist__ledger_set_text(lentry *e, char **slot, const char **pub, const char *s, size_t len,
                           size_t max, const char *why)
{
	char *d = dup_field(s, len, max);
	if (d == NULL) {
		kist__ledger_mark(e, why);
		return;
	}
	*slot = d;
	*pub = d;
}

static void set_blob(lentry *e, unsigned char *dst, const void *src, size_t len, size_t want,
                     const char *why)
{
	if (src == NULL || len != want) {
		kist__ledger_mark(e, why);
		return;
	}
	memcpy(dst, src, want);
}

kist_err kist__ledger_add_note(kist_ledger_log *log, const char *s, size_t len)
{
	if (len > KIST_CHECKPOINT_MAX || strlen(s) != len)
		return KIST_OK; /* unreadable: the audit cannot use it; skipped */
	char **n = realloc(log->notes, (log->nnotes + 1) * sizeof *n);
	if (n == NULL)
		return kist__nomem();
	log->notes = n;
	if ((n[log->nnotes] = strdup(s)) == NULL)
		return kist__nomem();
	log->nnotes++;
	return KIST_OK;
}

kist_err kist__ledger_check_origin(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > 256 || strlen(s) != len)
		return kist__fail(KIST_E_FORMAT, "no valid origin");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return kist__fail(KIST_E_FORMAT, "no valid origin");
	return KIST_OK;
}

/*
 * A bundle is read one value at a time: a light scan finds where each entry
 * ends, and jansson parses that entry alone, so the parsed tree of a hostile
 * bundle never exists whole.  The scan counts the values in an entry and
 * refuses one with more than a kist entry can hold before jansson sees it.
 */

size_t kist__json_skip_ws(const char *p, size_t i, size_t len)
{
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	return i;
}

/*
 * The end (one past) of the JSON value at p[i], or 0 if it does not end or
 * holds more than max_values values or nests deeper than 8.  Only the
 * structure is scanned; jansson checks the value itself.
 */
size_t kist__json_value_end(const char *p, size_t i, size_t len, size_t max_values)
{
	size_t values = 1, depth = 0;
	if (i >= len)
		return 0;
	if (p[i] != '"' && p[i] != '{' && p[i] != '[') {
		size_t j = i;
		while (j < len && !strchr(",]}: \t\r\n", p[j]) && p[j] != '\0')
			j++;
		return j > i ? j : 0;
	}
	for (size_t j = i; j < len; j++) {
		char c = p[j];
		if (c == '"') {
			for (j++; j < len && p[j] != '"'; j++)
				if (p[j] == '\\')
					j++;
			if (j >= len)
				return 0;
			if (depth == 0)
				return j + 1;
		} else if (c == '{' || c == '[') {
			if (++depth > 8)
				return 0;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return 0;
			if (--depth == 0)
				return j + 1;
		} else if (c == ',' || c == ':') {
			if (++values > max_values)
				return 0;
		}
	}
	return 0;
}

/* Parses exactly the value p[i..end). */
json_t *kist__json_value_at(const char *p, size_t i, size_t end)
{
	return json_loadb(p + i, end - i, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

/*
 * Every loaded entry costs sizeof(lentry) however short its text: a file with
 * more entries than its size allows for entries kist writes is refused while
 * reading, before the entries cost more than a small multiple of its size.
 * An entry kist writes holds 224 bytes of hashes, keys and signature alone:
 * at least 450 bytes in a bundle (hex), 250 in a ledger row.
 */

kist_err kist__ledger_check_density(size_t n, size_t len, size_t min_bytes, const char *what)
{
	if (n > LEDGER_MAX_ENTRIES)
		return kist__fail(KIST_E_LIMIT, "%s: more than %u entries", what,
		                  LEDGER_MAX_ENTRIES);
	if (n > 64 && n > len / min_bytes)
		return kist__fail(KIST_E_LIMIT,
		                  "%s: more entries than its size can hold (%zu entries in %zu "
		                  "bytes): not a ledger kist wrote",
		                  what, n, len);
	return KIST_OK;
}

/*
 * A ledger being audited may be crafted: its schema must be exactly the one
 * kist creates (no virtual tables, whose own parsers would read its bytes; no
 * triggers, views or extra objects), and its structure must pass quick_check.
 */
static kist_err schema_exact(sqlite3 *db)
{
	const char *const defs[1] = {schema};
	const char *diff = NULL;
	sqlite3_stmt *b = NULL;
	kist_err err = kist__fail(KIST_E_FORMAT, "not a kist ledger (unexpected schema)");
	int r = kist__schema_equal(db, defs, 1, &diff);
	sqlite3_free((void *)diff);
	if (r != 1)
		return err;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &b, NULL) != SQLITE_OK ||
	    sqlite3_step(b) != SQLITE_ROW || sqlite3_column_text(b, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(b, 0), "ok") != 0) {
		err = kist__fail(KIST_E_FORMAT, "the ledger database is damaged");
		goto out;
	}
	err = KIST_OK;
out:
	sqlite3_finalize(b);
	return err;
}

/*
 * A writer that crashed mid-transaction leaves a hot rollback journal beside
 * the ledger; read-only, SQLite can neither roll it back nor read past it.
 * That is an unfinished write, not tampering: say so, and how to recover.
 */
static kist_err hot_journal(sqlite3 *db, const char *path)
{
	char j[PATH_MAX];
	kist__os_stat st;
	int rc = exec(db, "SELECT count(*) FROM sqlite_schema");
	int n = snprintf(j, sizeof j, "%s-journal", path);
	int journal = n > 0 && (size_t)n < sizeof j &&
	              kist__os_fstatat(KIST__OS_CWD, j, &st, 0) == 0 && st.size > 0;
	if (rc == SQLITE_OK)
		return KIST_OK;
	if (sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK || journal)
		return kist__fail(KIST_E_IO,
		                  "the ledger was left mid-write by a crash (its rollback journal "
		                  "%s-journal is still there; this is not tampering): open it "
		                  "read-write once, as its owner, to roll the unfinished write "
		                  "back, then audit it again",
		                  path);
	return kist__ledger_sql_err(db, rc, "read");
}

/* The ledger's origin, from its meta table, into log->origin. */
static kist_err read_origin(sqlite3 *db, kist_ledger_log *log)
{
	sqlite3_stmt *st = NULL;
	kist_err err;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='origin'", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT) {
		err = kist__fail(KIST_E_FORMAT, "not a kist ledger");
		goto out;
	}
	const char *o = (const char *)sqlite3_column_text(st, 0);
	if ((err = kist__ledger_check_origin(o, (size_t)sqlite3_column_bytes(st, 0))) != KIST_OK)
		goto out;
	if ((log->origin = strdup(o)) == NULL)
		err = kist__nomem();
out:
	sqlite3_finalize(st);
	return err;
}

/*
 * Fills e from the entries row st points at: a field that is missing or of
 * the wrong type or size marks the entry malformed (the audit reports it).
 * Returns 0 when out of memory.
 */
static int read_row(sqlite3_stmt *st, lentry *e)
{
	if (sqlite3_column_type(st, 0) == SQLITE_INTEGER && sqlite3_column_int64(st, 0) >= 0)
		e->pub.index = (uint64_t)sqlite3_column_int64(st, 0);
	else
		kist__ledger_mark(e, "the index is not a whole number");
#define TXT(col)                                                                                   \
	(sqlite3_column_type(st, col) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, col)  \
	                                             : NULL),                                      \
	    (size_t)sqlite3_column_bytes(st, col)
#define BLB(col)                                                                                   \
	(sqlite3_column_type(st, col) == SQLITE_BLOB ? sqlite3_column_blob(st, col) : NULL),       \
	    (size_t)sqlite3_column_bytes(st, col)
	kist__ledger_set_text(e, &e->vault_id, &e->pub.vault_id, TXT(1), 64,
	                      "the vault id is missing, too long or has control characters");
	unsigned char pk[64];
	memset(pk, 0, sizeof pk);
	set_blob(e, pk, BLB(2), 64, "the actor key is not 64 bytes");
	memcpy(e->pub.actor.x25519, pk, 32);
	memcpy(e->pub.actor.ed25519, pk + 32, 32);
	kist__ledger_set_text(e, &e->action, &e->pub.action, TXT(3), KIST_LEDGER_ACTION_MAX,
	                      "the action is missing, too long or has control characters");
	const char *pj = sqlite3_column_type(st, 4) == SQLITE_TEXT
	                     ? (const char *)sqlite3_column_text(st, 4)
	                     : NULL;
	size_t pl = (size_t)sqlite3_column_bytes(st, 4), pe = 0;
	json_t *a = NULL;
	int ok = 1;
	if (pj && pl == 2 && memcmp(pj, "[]", 2) == 0) {
		/* no paths, as most entries: nothing to parse or allocate */
	} else {
		if (pj && (pe = kist__json_value_end(pj, 0, pl, KIST_LEDGER_PATHS_MAX)) != 0 &&
		    kist__json_skip_ws(pj, pe, pl) == pl)
			a = json_loadb(pj, pl, 0, NULL);
		ok = kist__ledger_set_paths(e, a);
		json_decref(a);
	}
	if (!ok)
		return 0;
	if (sqlite3_column_type(st, 5) == SQLITE_INTEGER)
		e->pub.time = sqlite3_column_int64(st, 5);
	else
		kist__ledger_mark(e, "the time is not a whole number");
	kist__ledger_set_text(e, &e->tool, &e->pub.tool, TXT(6), 64,
	                      "the tool version is missing, too long or has control characters");
	set_blob(e, e->pub.prev, BLB(7), 32, "the previous hash is not 32 bytes");
	set_blob(e, e->pub.body_hash, BLB(8), 32, "the body hash is not 32 bytes");
	set_blob(e, e->pub.signature, BLB(9), 64, "the signature is not 64 bytes");
	set_blob(e, e->pub.leaf, BLB(10), 32, "the leaf hash is not 32 bytes");
#undef TXT
#undef BLB
	return 1;
}

/*
 * The entries in storage order, into log; the count is checked against the
 * file's size (file_size) before each entry is allocated.
 */
static kist_err read_entries(sqlite3 *db, kist_ledger_log *log, size_t file_size)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	int rc;
	if (sqlite3_prepare_v2(db,
	                       "SELECT idx, vault_id, actor, action, paths, time, tool, prev,"
	                       " body_hash, sig, leaf FROM entries ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK) {
		err = kist__fail(KIST_E_FORMAT, "not a kist ledger (%s)", sqlite3_errmsg(db));
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			goto out;
		}
		if ((err = kist__ledger_check_density(log->n + 1, file_size, LEDGER_ENTRY_MIN,
		                                      "the ledger")) != KIST_OK)
			goto out;
		lentry *e = kist__ledger_new_entry(log);
		if (e == NULL || !read_row(st, e)) {
			err = kist__nomem();
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = kist__ledger_sql_err(db, rc, "read");
out:
	sqlite3_finalize(st);
	return err;
}

/* Checkpoints recorded in the ledger (absent in a crafted file: none), into log. */
static kist_err read_notes(sqlite3 *db, kist_ledger_log *log)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	if (sqlite3_prepare_v2(db, "SELECT note FROM checkpoints ORDER BY seq", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && log->nnotes < 1024)
			if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
			    (err = kist__ledger_add_note(
			         log, (const char *)sqlite3_column_text(st, 0),
			         (size_t)sqlite3_column_bytes(st, 0))) != KIST_OK)
				break;
	}
	sqlite3_finalize(st);
	return err;
}

kist_err kist_ledger_load(kist_ledger_log **out, const char *path)
{
	kist_ledger_log *log = NULL;
	sqlite3 *db = NULL;
	kist__os_stat sb;
	kist_err err;
	int rc;

	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (kist__os_fstatat(KIST__OS_CWD, path, &sb, 0) != 0)
		return kist__fail(KIST_E_IO, "%s", strerror(errno));
	if (sb.type != KIST__OS_FILE)
		return kist__fail(KIST_E_IO, "not a regular file");
	log = calloc(1, sizeof *log);
	if (log == NULL)
		return kist__nomem();
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		err = kist__ledger_sql_err(db, rc, "read");
		goto out;
	}
	harden(db);
	sqlite3_busy_timeout(db, 30000);
	if ((err = hot_journal(db, path)) != KIST_OK || (err = schema_exact(db)) != KIST_OK ||
	    (err = read_origin(db, log)) != KIST_OK ||
	    (err = read_entries(db, log, (size_t)sb.size)) != KIST_OK ||
	    (err = read_notes(db, log)) != KIST_OK)
		goto out;
	*out = log;
	log = NULL;
	err = KIST_OK;
out:
	sqlite3_close(db);
	kist_ledger_log_free(log);
	return err;
}

const char *kist_ledger_log_origin(const kist_ledger_log *log)
{
	return log->origin;
}
size_t kist_ledger_log_count(const kist_ledger_log *log)
{
	return log->n;
}
const kist_ledger_entry *kist_ledger_log_entry(const kist_ledger_log *log, size_t i)
{
	return i < log->n ? &log->e[i].pub : NULL;
}
size_t kist_ledger_log_checkpoint_count(const kist_ledger_log *log)
{
	return log->nnotes;
}
const char *kist_ledger_log_checkpoint(const kist_ledger_log *log, size_t i)
{
	return i < log->nnotes ? log->notes[i] : NULL;
}
