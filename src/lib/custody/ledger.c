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
#include "custody/custody.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#define LEDGER_MAX_ENTRIES (1u << 24)
#define LEDGER_FIELD_MAX   KIST_MAX_PATH
#define BUNDLE_MAX         (1u << 30)
#define BUNDLE_FORMAT      "kist ledger bundle v1"

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

struct kist_ledger {
	sqlite3 *db;
	char origin[64];
};

typedef struct lentry {
	kist_ledger_entry pub;
	char *vault_id, *action, *tool;
	char **paths; /* one allocation: the pointers, then the strings */
} lentry;

struct kist_ledger_log {
	char *origin;
	lentry *e;
	size_t n, cap;
	char **notes;
	size_t nnotes;
};

/* ------------------------------------------------------------ encoding */

typedef struct buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
} buf;

static void put(buf *b, const void *p, size_t n)
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
	put(b, l, 4);
	put(b, p, n);
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
static void body_encode(buf *b, const char *origin, const kist_ledger_entry *e)
{
	static const unsigned char zero = 0x00;
	unsigned char pk[64], cnt[4];
	b->len = 0;
	put(b, &zero, 1);
	put(b, KIST_LEDGER_LABEL, strlen(KIST_LEDGER_LABEL));
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
	put(b, cnt, 4);
	for (size_t i = 0; i < e->npaths; i++)
		put_field(b, e->paths[i], strlen(e->paths[i]));
}

#define BODY(b)     ((b)->p + 1)
#define BODY_LEN(b) ((b)->len - 1)

/* body_encode into a fresh b (free(b->p) after). */
static kist_err encode_body(buf *b, const char *origin, const kist_ledger_entry *e)
{
	memset(b, 0, sizeof *b);
	body_encode(b, origin, e);
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
static int leaf_hash(unsigned char out[32], buf *b, const unsigned char sig[64])
{
	size_t len = b->len;
	put(b, sig, 64);
	if (b->oom)
		return 0;
	kist__sha256_oneshot(out, b->p, b->len);
	b->len = len;
	return 1;
}

static kist_err leaf_of(unsigned char out[32], buf *body, const unsigned char sig[64])
{
	if (!leaf_hash(out, body, sig))
		return kist__nomem();
	return KIST_OK;
}

/* ------------------------------------------------------------- writing */

static kist_err sql_err(sqlite3 *db, int rc, const char *what)
{
	int ext = db ? sqlite3_extended_errcode(db) : rc;
	const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	if ((rc & 0xff) == SQLITE_FULL || ext == SQLITE_IOERR_WRITE || ext == SQLITE_IOERR_FSYNC ||
	    ext == SQLITE_IOERR_TRUNCATE) {
		if ((rc & 0xff) == SQLITE_FULL || errno == ENOSPC || errno == EFBIG ||
		    errno == EDQUOT)
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
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	int n;
	if (env && *env)
		n = snprintf(out, cap, "%s", env);
	else if (xdg && xdg[0] == '/')
		n = snprintf(out, cap, "%s/kist/ledger.db", xdg);
	else if (home && *home)
		n = snprintf(out, cap, "%s/.local/share/kist/ledger.db", home);
	else
		return kist__fail(KIST_E_ARG,
		                  "no ledger path: set KIST_LEDGER, XDG_DATA_HOME or HOME");
	if (n < 0 || (size_t)n >= cap)
		return kist__fail(KIST_E_LIMIT, "the ledger path is too long");
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
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
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
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return kist__fail(KIST_E_IO, "%s is not a regular file", path);
		return KIST_OK;
	}
	if (errno != ENOENT)
		return kist__fail(KIST_E_IO, "%s: %s", path, strerror(errno));
	kist_err err = make_parents(path);
	if (err != KIST_OK)
		return err;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST) /* another process created it first */
			return KIST_OK;
		err = kist__errno_err(errno);
		return kist__fail(err, "ledger: cannot create %s: %s", path, strerror(errno));
	}
	int bad = fsync(fd) != 0;
	close(fd);
	int dirfd;
	const char *base;
	if (kist__open_parent(path, &dirfd, &base) == KIST_OK) {
		bad |= fsync(dirfd) != 0;
		close(dirfd);
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
		err = sql_err(l->db, rc, path);
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
		err = sql_err(l->db, rc, path);
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
		err = sql_err(l->db, rc, path);
		exec(l->db, "ROLLBACK");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = exec(l->db, "COMMIT")) != SQLITE_OK) {
		err = sql_err(l->db, rc, path);
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

kist_err kist_ledger_append(kist_ledger *l, const kist_identity *actor, const char *vault_id,
                            const char *action, const char *const *paths, size_t npaths,
                            uint64_t *index)
{
	sqlite3_stmt *st = NULL;
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
	/* A stored path need not be UTF-8, but the entry is text: such a path is
	 * recorded as kist__printable shows it (its invalid bytes as \xNN). */
	if (npaths > 0 && ((shown = calloc(npaths, sizeof *shown)) == NULL ||
	                   (esc = calloc(npaths, sizeof *esc)) == NULL)) {
		err = kist__nomem();
		goto out;
	}
	for (size_t i = 0; i < npaths; i++) {
		shown[i] = paths[i];
		if (!kist__utf8_valid((const unsigned char *)paths[i], strlen(paths[i]))) {
			if ((esc[i] = malloc(KIST_MAX_PATH + 1)) == NULL) {
				err = kist__nomem();
				goto out;
			}
			kist__printable(esc[i], KIST_MAX_PATH + 1, paths[i]);
			shown[i] = esc[i];
		}
		if ((err = check_text(shown[i], KIST_MAX_PATH, "path")) != KIST_OK)
			goto out;
	}
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
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	in_tx = 1;
	/* The next index and the chain follow the highest stored index. */
	if ((rc = sqlite3_prepare_v2(l->db,
	                             "SELECT idx, leaf FROM entries ORDER BY idx DESC LIMIT 1", -1,
	                             &st, NULL)) != SQLITE_OK) {
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_int64(st, 0) >= INT64_MAX - 1 ||
		    sqlite3_column_type(st, 1) != SQLITE_BLOB ||
		    sqlite3_column_bytes(st, 1) != 32) {
			err = kist__fail(KIST_E_CORRUPT,
			                 "the last entry is damaged; audit the ledger");
			goto out;
		}
		e.index = (uint64_t)sqlite3_column_int64(st, 0) + 1;
		memcpy(e.prev, sqlite3_column_blob(st, 1), 32);
	} else if (rc != SQLITE_DONE) {
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;

	if ((err = encode_body(&body, l->origin, &e)) != KIST_OK)
		goto out;
	if (crypto_sign_detached(sig, NULL, BODY(&body), BODY_LEN(&body), actor->ed25519_sk) != 0) {
		err = kist__fail(KIST_E_CRYPTO, "the entry could not be signed");
		goto out;
	}
	kist__sha256_oneshot(bh, BODY(&body), BODY_LEN(&body));
	if ((err = leaf_of(leaf, &body, sig)) != KIST_OK)
		goto out;
	if ((rc =
	         sqlite3_prepare_v2(l->db,
	                            "INSERT INTO entries(idx, vault_id, actor, action, paths, time,"
	                            " tool, prev, body_hash, sig, leaf)"
	                            " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
	                            -1, &st, NULL)) != SQLITE_OK) {
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	unsigned char pk[64];
	memcpy(pk, e.actor.x25519, 32);
	memcpy(pk + 32, e.actor.ed25519, 32);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)e.index);
	sqlite3_bind_text(st, 2, vault_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, pk, 64, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pj, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, e.time);
	sqlite3_bind_text(st, 7, e.tool, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 8, e.prev, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, bh, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, sig, 64, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, leaf, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = exec(l->db, "COMMIT")) != SQLITE_OK) {
		err = sql_err(l->db, rc, "append");
		goto out;
	}
	in_tx = 0;
	if (index)
		*index = e.index;
	err = KIST_OK;
out:
	sqlite3_finalize(st);
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

kist_err kist_ledger_store_checkpoint(kist_ledger *l, const char *note)
{
	sqlite3_stmt *st = NULL;
	kist__checkpoint cp;
	kist_err err;
	int rc;
	if ((err = kist__checkpoint_parse(&cp, note, strlen(note))) != KIST_OK)
		return err;
	if ((rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoints(note) VALUES(?1)", -1, &st,
	                             NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 1, note, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE)
		err = sql_err(l->db, rc, "checkpoint");
	sqlite3_finalize(st);
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

static lentry *new_entry(kist_ledger_log *log)
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
static void mark(lentry *e, const char *why)
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
static int set_paths(lentry *e, json_t *a)
{
	size_t n, total = 0;
	if (!json_is_array(a) || (n = json_array_size(a)) > KIST_LEDGER_PATHS_MAX) {
		mark(e, "the paths are not a list of names");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);
		if (!json_is_string(s) ||
		    !valid_field(json_string_value(s), json_string_length(s), KIST_MAX_PATH)) {
			mark(e, "a path is not a valid name");
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
static void set_text(lentry *e, char **slot, const char **pub, const char *s, size_t len,
                     size_t max, const char *why)
{
	char *d = dup_field(s, len, max);
	if (d == NULL) {
		mark(e, why);
		return;
	}
	*slot = d;
	*pub = d;
}

static void set_blob(lentry *e, unsigned char *dst, const void *src, size_t len, size_t want,
                     const char *why)
{
	if (src == NULL || len != want) {
		mark(e, why);
		return;
	}
	memcpy(dst, src, want);
}

static kist_err add_note(kist_ledger_log *log, const char *s, size_t len)
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

static kist_err check_origin(const char *s, size_t len)
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
#define ENTRY_VALUES_MAX (KIST_LEDGER_PATHS_MAX + 64)

static size_t skip_ws(const char *p, size_t i, size_t len)
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
static size_t value_end(const char *p, size_t i, size_t len, size_t max_values)
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
static json_t *value_at(const char *p, size_t i, size_t end)
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
#define BUNDLE_ENTRY_MIN sizeof(lentry) /* entries cost at most the bundle's size */
#define LEDGER_ENTRY_MIN 96             /* at most about 3.5 times the ledger's size */

static kist_err check_density(size_t n, size_t len, size_t min_bytes, const char *what)
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
	struct stat st;
	int rc = exec(db, "SELECT count(*) FROM sqlite_schema");
	int n = snprintf(j, sizeof j, "%s-journal", path);
	int journal = n > 0 && (size_t)n < sizeof j && stat(j, &st) == 0 && st.st_size > 0;
	if (rc == SQLITE_OK)
		return KIST_OK;
	if (sqlite3_extended_errcode(db) == SQLITE_READONLY_ROLLBACK || journal)
		return kist__fail(KIST_E_IO,
		                  "the ledger was left mid-write by a crash (its rollback journal "
		                  "%s-journal is still there; this is not tampering): open it "
		                  "read-write once to roll the unfinished write back, e.g. kist "
		                  "log list --ledger PATH as its owner, then audit it again",
		                  path);
	return sql_err(db, rc, "read");
}

kist_err kist_ledger_load(kist_ledger_log **out, const char *path)
{
	kist_ledger_log *log = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	kist_err err;
	int rc;

	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (stat(path, &sb) != 0)
		return kist__fail(KIST_E_IO, "%s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return kist__fail(KIST_E_IO, "not a regular file");
	log = calloc(1, sizeof *log);
	if (log == NULL)
		return kist__nomem();
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		err = sql_err(db, rc, "read");
		goto out;
	}
	harden(db);
	sqlite3_busy_timeout(db, 30000);
	if ((err = hot_journal(db, path)) != KIST_OK)
		goto out;
	if ((err = schema_exact(db)) != KIST_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='origin'", -1, &st, NULL) !=
	        SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT) {
		err = kist__fail(KIST_E_FORMAT, "not a kist ledger");
		goto out;
	}
	const char *o = (const char *)sqlite3_column_text(st, 0);
	if ((err = check_origin(o, (size_t)sqlite3_column_bytes(st, 0))) != KIST_OK)
		goto out;
	if ((log->origin = strdup(o)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
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
		if ((err = check_density(log->n + 1, (size_t)sb.st_size, LEDGER_ENTRY_MIN,
		                         "the ledger")) != KIST_OK)
			goto out;
		lentry *e = new_entry(log);
		if (e == NULL) {
			err = kist__nomem();
			goto out;
		}
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
		    sqlite3_column_int64(st, 0) >= 0)
			e->pub.index = (uint64_t)sqlite3_column_int64(st, 0);
		else
			mark(e, "the index is not a whole number");
#define TXT(col)                                                                                   \
	(sqlite3_column_type(st, col) == SQLITE_TEXT ? (const char *)sqlite3_column_text(st, col)  \
	                                             : NULL),                                      \
	    (size_t)sqlite3_column_bytes(st, col)
#define BLB(col)                                                                                   \
	(sqlite3_column_type(st, col) == SQLITE_BLOB ? sqlite3_column_blob(st, col) : NULL),       \
	    (size_t)sqlite3_column_bytes(st, col)
		set_text(e, &e->vault_id, &e->pub.vault_id, TXT(1), 64,
		         "the vault id is missing, too long or has control characters");
		unsigned char pk[64];
		memset(pk, 0, sizeof pk);
		set_blob(e, pk, BLB(2), 64, "the actor key is not 64 bytes");
		memcpy(e->pub.actor.x25519, pk, 32);
		memcpy(e->pub.actor.ed25519, pk + 32, 32);
		set_text(e, &e->action, &e->pub.action, TXT(3), KIST_LEDGER_ACTION_MAX,
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
			if (pj && (pe = value_end(pj, 0, pl, KIST_LEDGER_PATHS_MAX)) != 0 &&
			    skip_ws(pj, pe, pl) == pl)
				a = json_loadb(pj, pl, 0, NULL);
			ok = set_paths(e, a);
			json_decref(a);
		}
		if (!ok) {
			err = kist__nomem();
			goto out;
		}
		if (sqlite3_column_type(st, 5) == SQLITE_INTEGER)
			e->pub.time = sqlite3_column_int64(st, 5);
		else
			mark(e, "the time is not a whole number");
		set_text(e, &e->tool, &e->pub.tool, TXT(6), 64,
		         "the tool version is missing, too long or has control characters");
		set_blob(e, e->pub.prev, BLB(7), 32, "the previous hash is not 32 bytes");
		set_blob(e, e->pub.body_hash, BLB(8), 32, "the body hash is not 32 bytes");
		set_blob(e, e->pub.signature, BLB(9), 64, "the signature is not 64 bytes");
		set_blob(e, e->pub.leaf, BLB(10), 32, "the leaf hash is not 32 bytes");
#undef TXT
#undef BLB
	}
	if (rc != SQLITE_DONE) {
		err = sql_err(db, rc, "read");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	/* Checkpoints recorded in the ledger (absent in a crafted file: none). */
	if (sqlite3_prepare_v2(db, "SELECT note FROM checkpoints ORDER BY seq", -1, &st, NULL) ==
	    SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW && log->nnotes < 1024)
			if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
			    (err = add_note(log, (const char *)sqlite3_column_text(st, 0),
			                    (size_t)sqlite3_column_bytes(st, 0))) != KIST_OK)
				goto out;
	}
	*out = log;
	log = NULL;
	err = KIST_OK;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	kist_ledger_log_free(log);
	return err;
}

static void get_hex(lentry *e, unsigned char *dst, size_t want, json_t *v, const char *why)
{
	size_t got = 0;
	const char *s = json_string_value(v);
	if (s == NULL || strlen(s) != 2 * want ||
	    sodium_hex2bin(dst, want, s, 2 * want, NULL, &got, NULL) != 0 || got != want)
		mark(e, why);
}

static kist_err bundle_entry(kist_ledger_log *log, json_t *j)
{
	lentry *e = new_entry(log);
	if (e == NULL)
		return kist__nomem();
	if (!json_is_object(j)) {
		mark(e, "not an object");
		return KIST_OK;
	}
	json_t *v = json_object_get(j, "index");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		e->pub.index = (uint64_t)json_integer_value(v);
	else
		mark(e, "the index is not a whole number");
#define STR(name)                                                                                  \
	json_string_value(json_object_get(j, name)), json_string_length(json_object_get(j, name))
	set_text(e, &e->vault_id, &e->pub.vault_id, STR("vault_id"), 64,
	         "the vault id is missing, too long or has control characters");
	set_text(e, &e->action, &e->pub.action, STR("action"), KIST_LEDGER_ACTION_MAX,
	         "the action is missing, too long or has control characters");
	set_text(e, &e->tool, &e->pub.tool, STR("tool"), 64,
	         "the tool version is missing, too long or has control characters");
#undef STR
	const char *actor = json_string_value(json_object_get(j, "actor"));
	if (actor == NULL || kist_pubkey_parse(&e->pub.actor, actor) != KIST_OK)
		mark(e, "the actor is not a kist public key");
	if (!set_paths(e, json_object_get(j, "paths")))
		return kist__nomem();
	v = json_object_get(j, "time");
	if (json_is_integer(v))
		e->pub.time = json_integer_value(v);
	else
		mark(e, "the time is not a whole number");
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
	i = skip_ws(p, i + 1, len);
	if (i < len && p[i] == ']') {
		*at = i + 1;
		return KIST_OK;
	}
	for (size_t k = 0;; k++) {
		kist_err err;
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		size_t end = value_end(p, i, len, entries ? ENTRY_VALUES_MAX : 1);
		if (end == 0)
			return kist__fail(KIST_E_FORMAT,
			                  "bundle: %s %zu is not JSON, nests too deeply or holds "
			                  "more values than a kist entry",
			                  entries ? "entry" : "checkpoint", k + 1);
		if (entries) {
			if ((err = check_density(log->n + 1, len, BUNDLE_ENTRY_MIN, "bundle")) !=
			    KIST_OK)
				return err;
			json_t *j = value_at(p, i, end);
			if (j == NULL)
				return kist__fail(KIST_E_FORMAT, "bundle: entry %zu is not JSON",
				                  k + 1);
			err = bundle_entry(log, j);
			json_decref(j);
			if (err != KIST_OK)
				return err;
		} else if (k < 1024 && p[i] == '"' && end - i <= 6 * KIST_CHECKPOINT_MAX + 2) {
			json_t *j = value_at(p, i, end);
			if (j == NULL)
				return kist__fail(KIST_E_FORMAT,
				                  "bundle: checkpoint %zu is not JSON", k + 1);
			err = add_note(log, json_string_value(j), json_string_length(j));
			json_decref(j);
			if (err != KIST_OK)
				return err;
		} /* further or unreadable checkpoints: the audit cannot use them; skipped */
		i = skip_ws(p, end, len);
		if (i < len && p[i] == ',') {
			i = skip_ws(p, i + 1, len);
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

kist_err kist_ledger_load_bundle(kist_ledger_log **out, const void *data, size_t len)
{
	const char *p = data;
	kist_ledger_log *log = NULL;
	json_t *key = NULL, *val = NULL;
	int have_format = 0, have_origin = 0, have_entries = 0, have_cps = 0;
	kist_err err;
	size_t i, end;

	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (len > BUNDLE_MAX)
		return kist__fail(KIST_E_LIMIT, "bundle: larger than %u bytes", BUNDLE_MAX);
	log = calloc(1, sizeof *log);
	if (log == NULL)
		return kist__nomem();
	i = skip_ws(p, 0, len);
	if (i >= len || p[i] != '{')
		goto bad;
	i = skip_ws(p, i + 1, len);
	for (;;) {
		/* "key": value */
		if ((end = value_end(p, i, len, 1)) == 0 || p[i] != '"' ||
		    (key = value_at(p, i, end)) == NULL)
			goto bad;
		i = skip_ws(p, end, len);
		if (i >= len || p[i] != ':')
			goto bad;
		i = skip_ws(p, i + 1, len);
		const char *k = json_string_value(key);
		int *seen = strcmp(k, "format") == 0        ? &have_format
		            : strcmp(k, "origin") == 0      ? &have_origin
		            : strcmp(k, "entries") == 0     ? &have_entries
		            : strcmp(k, "checkpoints") == 0 ? &have_cps
		                                            : NULL;
		if (seen != NULL && *seen) {
			err = kist__fail(KIST_E_FORMAT, "bundle: duplicate key \"%s\"", k);
			goto out;
		}
		if (seen == &have_entries || seen == &have_cps) {
			if ((err = bundle_array(log, p, &i, len, seen == &have_entries)) != KIST_OK)
				goto out;
		} else {
			if ((end = value_end(p, i, len, 1)) == 0)
				goto bad;
			if (seen != NULL) { /* format or origin: a string */
				if ((val = value_at(p, i, end)) == NULL || !json_is_string(val))
					goto bad;
				const char *v = json_string_value(val);
				if (seen == &have_format && strcmp(v, BUNDLE_FORMAT) != 0)
					goto bad;
				if (seen == &have_origin) {
					if ((err = check_origin(v, json_string_length(val))) !=
					    KIST_OK)
						goto out;
					if ((log->origin = strdup(v)) == NULL) {
						err = kist__nomem();
						goto out;
					}
				}
				json_decref(val);
				val = NULL;
			} /* another key: not kist's, skipped unread */
			i = end;
		}
		if (seen != NULL)
			*seen = 1;
		json_decref(key);
		key = NULL;
		i = skip_ws(p, i, len);
		if (i < len && p[i] == ',') {
			i = skip_ws(p, i + 1, len);
			continue;
		}
		if (i < len && p[i] == '}')
			break;
		goto bad;
	}
	if (skip_ws(p, i + 1, len) != len || !have_format || !have_origin || !have_entries)
		goto bad;
	*out = log;
	log = NULL;
	err = KIST_OK;
	goto out;
bad:
	err = kist__fail(KIST_E_FORMAT, "bundle: not a kist ledger bundle");
out:
	json_decref(key);
	json_decref(val);
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
	put(b, s, n);
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

/* --------------------------------------------------------- checkpoints */

static const char em_dash[] = "\xe2\x80\x94 "; /* "— " starts a signature line */

static void key_id(unsigned char out[4], const char *name, const unsigned char pk[32])
{
	buf b = {0};
	unsigned char h[32], type = 0x01;
	put(&b, name, strlen(name));
	put(&b, "\n", 1);
	put(&b, &type, 1);
	put(&b, pk, 32);
	if (b.oom) {
		memset(out, 0, 4);
		free(b.p);
		return;
	}
	kist__sha256_oneshot(h, b.p, b.len);
	memcpy(out, h, 4);
	free(b.p);
}

kist_err kist__checkpoint_parse(kist__checkpoint *cp, const char *text, size_t len)
{
	memset(cp, 0, sizeof *cp);
	if (len > KIST_CHECKPOINT_MAX)
		return kist__fail(KIST_E_FORMAT, "checkpoint: longer than %d bytes",
		                  KIST_CHECKPOINT_MAX);
	if (len == 0 || text[len - 1] != '\n')
		return kist__fail(KIST_E_FORMAT, "checkpoint: does not end with a newline");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r')
			return kist__fail(
			    KIST_E_FORMAT,
			    "checkpoint: CRLF line ends (as email or a Windows editor "
			    "leaves them): save the note with plain LF line ends");
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return kist__fail(KIST_E_FORMAT,
			                  "checkpoint: control character at byte %zu", i);
	}
	/* Body: the lines up to the first empty line (or the end, unsigned). */
	size_t pos = 0, line = 0, body_end = len;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (size_t)(nl - (text + pos));
		if (ll == 0) {
			body_end = pos;
			break;
		}
		const char *l = text + pos;
		if (line == 0) {
			if (ll > 256)
				return kist__fail(KIST_E_FORMAT,
				                  "checkpoint: origin line too long");
			memcpy(cp->origin, l, ll);
			cp->origin[ll] = '\0';
		} else if (line == 1) {
			uint64_t v = 0;
			if (ll > 20 || (ll > 1 && l[0] == '0'))
				return kist__fail(KIST_E_FORMAT, "checkpoint: bad tree size");
			for (size_t i = 0; i < ll; i++) {
				if (l[i] < '0' || l[i] > '9' || v > (UINT64_MAX - 9) / 10)
					return kist__fail(KIST_E_FORMAT,
					                  "checkpoint: bad tree size");
				v = v * 10 + (uint64_t)(l[i] - '0');
			}
			cp->size = v;
		} else if (line == 2) {
			size_t got = 0;
			if (ll != 44 ||
			    sodium_base642bin(cp->root, 32, l, ll, NULL, &got, NULL,
			                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    got != 32)
				return kist__fail(KIST_E_FORMAT,
				                  "checkpoint: root is not base64 of 32 bytes");
		} /* further lines are extensions, covered by the signature, ignored */
		line++;
		pos += ll + 1;
	}
	if (line < 3)
		return kist__fail(KIST_E_FORMAT, "checkpoint: needs origin, size and root lines");
	cp->body_len = body_end;
	if (body_end == len)
		return KIST_OK; /* unsigned */
	pos = body_end + 1;
	if (pos >= len)
		return kist__fail(KIST_E_FORMAT, "checkpoint: blank line without signatures");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (size_t)(nl - (text + pos));
		const char *l = text + pos;
		size_t dl = sizeof em_dash - 1;
		if (ll < dl || memcmp(l, em_dash, dl) != 0)
			return kist__fail(KIST_E_FORMAT,
			                  "checkpoint: a signature line must start with "
			                  "an em dash and a space");
		const char *name = l + dl;
		const char *sp = memchr(name, ' ', ll - dl);
		if (sp == NULL || sp == name)
			return kist__fail(KIST_E_FORMAT,
			                  "checkpoint: signature line without a name");
		size_t nl_len = (size_t)(sp - name);
		const char *b64 = sp + 1;
		size_t bl = ll - dl - nl_len - 1;
		unsigned char raw[4 + 64 + 64];
		size_t got = 0;
		if (memchr(name, '+', nl_len) != NULL || bl == 0 || bl > 4 * sizeof raw / 3 + 4 ||
		    sodium_base642bin(raw, sizeof raw, b64, bl, NULL, &got, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    got < 5)
			return kist__fail(KIST_E_FORMAT, "checkpoint: malformed signature line");
		if (cp->nsigs < KIST_CHECKPOINT_SIGS && nl_len < sizeof cp->sigs[0].name &&
		    got == 68) {
			memcpy(cp->sigs[cp->nsigs].name, name, nl_len);
			cp->sigs[cp->nsigs].name[nl_len] = '\0';
			memcpy(cp->sigs[cp->nsigs].keyid, raw, 4);
			memcpy(cp->sigs[cp->nsigs].sig, raw + 4, 64);
			cp->nsigs++;
		}
		pos += ll + 1;
	}
	return KIST_OK;
}

kist_err kist__checkpoint_verify(const kist__checkpoint *cp, const char *text, kist_pubkey *signer)
{
	if (cp->body_len == 0)
		return kist__fail(KIST_E_FORMAT, "checkpoint: empty");
	for (size_t i = 0; i < cp->nsigs; i++) {
		kist_pubkey pk;
		unsigned char id[4];
		if (kist_pubkey_parse(&pk, cp->sigs[i].name) != KIST_OK)
			continue; /* a signer this tool does not know */
		key_id(id, cp->sigs[i].name, pk.ed25519);
		if (sodium_memcmp(id, cp->sigs[i].keyid, 4) != 0)
			continue;
		if (crypto_sign_verify_detached(cp->sigs[i].sig, (const unsigned char *)text,
		                                cp->body_len, pk.ed25519) == 0) {
			if (signer)
				*signer = pk;
			kist__clear_detail();
			return KIST_OK;
		}
	}
	return kist__fail(KIST_E_SIGNATURE, "checkpoint: no valid signature from a kist key");
}

/* Leaf hashes recomputed from the entries in signed (index) order. */
typedef struct ordered {
	unsigned char (*leaves)[32];
	size_t n;
} ordered;

static kist_err make_note(char **note, const char *origin, uint64_t size,
                          const unsigned char root[32], const kist_identity *signer)
{
	char b64[64], body[512];
	int n;
	sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(body, sizeof body, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	if (n < 0 || (size_t)n >= sizeof body)
		return kist__fail(KIST_E_LIMIT, "checkpoint: origin too long");
	size_t cap = (size_t)n + 512;
	*note = malloc(cap);
	if (*note == NULL)
		return kist__nomem();
	memcpy(*note, body, (size_t)n + 1);
	if (signer == NULL)
		return KIST_OK;
	char name[KIST_PUBKEY_STRLEN + 1], sb64[128];
	unsigned char raw[68];
	kist_pubkey_format(&signer->pk, name);
	key_id(raw, name, signer->pk.ed25519);
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)body, (size_t)n,
	                     signer->ed25519_sk);
	sodium_bin2base64(sb64, sizeof sb64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	int m = snprintf(*note + n, cap - (size_t)n, "\n%s%s %s\n", em_dash, name, sb64);
	if (m < 0 || (size_t)m >= cap - (size_t)n) {
		free(*note);
		*note = NULL;
		return kist__fail(KIST_E_LIMIT, "checkpoint: too long");
	}
	return KIST_OK;
}

/* ---------------------------------------------------------------- audit */

typedef struct audit {
	kist_audit_fn fn;
	void *ctx;
	kist_audit_report *rep;
} audit;

static void finding(audit *a, kist_audit_kind kind, uint64_t index, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void finding(audit *a, kist_audit_kind kind, uint64_t index, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	a->rep->found |= 1u << kind;
	if (a->fn)
		a->fn(a->ctx, kind, index, msg);
}

/* How one entry checked on its own (check_entry). */
enum { E_SOUND, E_MALFORMED, E_FIELDS, E_FORGED, E_LEAF };

/* Encodes e as if signed at index idx into body; whether its hash is the stored body hash. */
static int body_matches(buf *body, const char *origin, const kist_ledger_entry *e, uint64_t idx)
{
	kist_ledger_entry t = *e;
	unsigned char bh[32];
	t.index = idx;
	body_encode(body, origin, &t);
	if (body->oom)
		return 0;
	kist__sha256_oneshot(bh, BODY(body), BODY_LEN(body));
	return sodium_memcmp(bh, e->body_hash, 32) == 0;
}

/*
 * Checks one entry on its own, with body as scratch space: returns E_SOUND
 * and its leaf and the index it was signed at (its stored index or, if that
 * was changed, its position in storage: an entry moved by renumbering, not
 * rewritten), another E_ value naming what is wrong, or -1 when out of
 * memory.  The signature is verified only if verify.  Touches nothing
 * shared: the audit runs it on several threads.
 */
static int check_entry(buf *body, const char *origin, const lentry *le, size_t pos,
                       unsigned char leaf[32], uint64_t *signed_index, int verify)
{
	const kist_ledger_entry *e = &le->pub;
	*signed_index = e->index;
	if (e->malformed)
		return E_MALFORMED;
	int match = body_matches(body, origin, e, e->index);
	if (!match && !body->oom && e->index != pos && body_matches(body, origin, e, pos))
		*signed_index = pos, match = 1;
	if (body->oom)
		return -1;
	if (!match)
		return E_FIELDS;
	if (verify && crypto_sign_verify_detached(e->signature, BODY(body), BODY_LEN(body),
	                                          e->actor.ed25519) != 0)
		return E_FORGED;
	if (!leaf_hash(leaf, body, e->signature))
		return -1;
	return sodium_memcmp(leaf, e->leaf, 32) == 0 ? E_SOUND : E_LEAF;
}

/* Reports what check_entry found about the entry at pos, in storage order. */
static void report_entry(audit *a, const lentry *le, size_t pos, int status, uint64_t signed_index)
{
	const kist_ledger_entry *e = &le->pub;
	unsigned long long idx = (unsigned long long)e->index;
	switch (status) {
	case E_MALFORMED:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry at position %zu was rewritten: %s", pos, e->malformed);
		break;
	case E_FIELDS:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry %llu was rewritten: its fields no longer match what was signed",
		        idx);
		break;
	case E_FORGED:
		finding(a, KIST_AUDIT_FORGED, e->index,
		        "entry %llu has a forged or replaced signature: it does not verify for its "
		        "actor's key",
		        idx);
		break;
	case E_LEAF:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry %llu was rewritten: its stored leaf hash is not its own", idx);
		break;
	default:
		if (signed_index != e->index)
			finding(a, KIST_AUDIT_REORDERED, signed_index,
			        "entries were reordered: entry %llu was renumbered %llu",
			        (unsigned long long)signed_index, idx);
	}
}

typedef struct keyed {
	uint64_t key; /* signed index */
	size_t pos;   /* position in storage */
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
	const keyed *a = x, *b = y;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* A checkpoint whose signature held, waiting for the root of its size. */
typedef struct pinned {
	uint64_t size;
	unsigned char root[32];
	size_t c; /* its number in the audit (1-based) */
} pinned;

static int cmp_pinned(const void *x, const void *y)
{
	const pinned *a = x, *b = y;
	return a->size < b->size ? -1 : a->size > b->size;
}

static kist_err interrupted(void)
{
	return kist__fail(KIST_E_INTERRUPTED, "interrupted");
}

/*
 * Whether text, with CR bytes and the spaces and tabs that end a line
 * removed (what email and some editors add), is a note whose signature holds.
 */
static int verifies_normalised(const char *text)
{
	size_t len = strlen(text), n = 0;
	kist__checkpoint cp;
	char *t = malloc(len + 1);
	int ok = 0;
	if (t == NULL)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
				n--;
		t[n++] = text[i];
	}
	t[n] = '\0';
	ok = kist__checkpoint_parse(&cp, t, n) == KIST_OK &&
	     kist__checkpoint_verify(&cp, t, NULL) == KIST_OK;
	free(t);
	return ok;
}

static int mangled(const char *text)
{
	return strchr(text, '\r') != NULL || strstr(text, " \n") != NULL ||
	       strstr(text, "\t\n") != NULL;
}

/*
 * Reads checkpoint c: returns 1 and fills pin if its signature holds and it
 * names this ledger; otherwise reports what is wrong with it.  A note that
 * email or an editor damaged, or one of another ledger, is a note problem
 * (KIST_AUDIT_NOTE), not a sign of tampering.
 */
static int read_checkpoint(audit *a, const char *origin, const char *text, const char *label,
                           size_t c, pinned *pin)
{
	kist__checkpoint cp;
	if (kist__checkpoint_parse(&cp, text, strlen(text)) != KIST_OK ||
	    kist__checkpoint_verify(&cp, text, NULL) != KIST_OK) {
		int parsed = kist__checkpoint_parse(&cp, text, strlen(text)) == KIST_OK;
		if (mangled(text) && verifies_normalised(text))
			finding(a, KIST_AUDIT_NOTE, c,
			        "%s was changed in transit: it has CRLF line ends or trailing "
			        "spaces (as email leaves them); its signature holds once they are "
			        "removed: save it with plain LF line ends and no trailing spaces",
			        label);
		else if (!parsed)
			finding(a, KIST_AUDIT_NOTE, c, "%s is not a checkpoint note: %s", label,
			        kist_errdetail() +
			            (strncmp(kist_errdetail(), "checkpoint: ", 12) ? 0 : 12));
		else
			finding(a, KIST_AUDIT_CHECKPOINT, c,
			        "%s has no valid signature (unsigned, forged or altered)", label);
		return 0;
	}
	if (strcmp(cp.origin, origin) != 0) {
		finding(a, KIST_AUDIT_NOTE, c,
		        "%s belongs to another ledger (origin %s, not %s): it says nothing about "
		        "this one",
		        label, cp.origin, origin);
		return 0;
	}
	pin->size = cp.size;
	memcpy(pin->root, cp.root, 32);
	pin->c = c;
	return 1;
}

/*
 * Checks every pinned checkpoint against the leaves (in signed order) in one
 * pass: the RFC 9162 root of the first m leaves is folded from the perfect
 * subtrees a left-to-right walk keeps (at most 64), so each checkpoint costs
 * O(log n) beyond the walk.  A checkpoint whose root equals the root of the
 * first m leaves is one the current log extends, which is what an RFC 9162
 * consistency proof from it to the whole log would show.  Also sets root.
 */
static kist_err check_pins(audit *a, const unsigned char (*ol)[32], size_t n, pinned *pins,
                           size_t npins, const char *const *labels, unsigned char root[32])
{
	unsigned char stack[64][32], t[32];
	uint64_t height[64];
	size_t top = 0, next = 0;
	qsort(pins, npins, sizeof *pins, cmp_pinned);
	for (size_t m = 0; m <= n; m++) {
		if (m > 0) { /* add leaf m-1, merging equal perfect subtrees */
			memcpy(stack[top], ol[m - 1], 32);
			height[top++] = 0;
			while (top >= 2 && height[top - 1] == height[top - 2]) {
				kist__merkle_node(stack[top - 2], stack[top - 2], stack[top - 1]);
				height[top - 2]++;
				top--;
			}
			if ((m & 0xfff) == 0 && kist__interrupted)
				return interrupted();
		}
		while ((next < npins && pins[next].size == m) || m == n) {
			if (top == 0)
				kist__sha256_oneshot(t, "", 0);
			else {
				memcpy(t, stack[top - 1], 32);
				for (size_t j = top - 1; j-- > 0;)
					kist__merkle_node(t, stack[j], t);
			}
			if (m == n && (next >= npins || pins[next].size != m)) {
				memcpy(root, t, 32);
				break;
			}
			if (sodium_memcmp(t, pins[next].root, 32) == 0)
				a->rep->checkpoints_ok++;
			else
				finding(
				    a, KIST_AUDIT_ROLLBACK, pins[next].size,
				    "the log is not an extension of %s (size %llu): its history "
				    "was rewritten or rolled back",
				    labels[pins[next].c - 1], (unsigned long long)pins[next].size);
			next++;
		}
	}
	return KIST_OK;
}

/*
 * Step 1 of the audit, each entry on its own, on several threads: the
 * entries are cut into one contiguous run per thread, and each thread writes
 * only the slots of its own run (a status, a leaf and a signed index per
 * entry), with a body buffer of its own.  Findings are reported afterwards,
 * in storage order, by the caller's thread: the report does not depend on
 * the number of threads.  Ed25519 verification is most of the audit's time.
 */
typedef struct checker {
	const kist_ledger_log *log;
	size_t lo, hi;
	unsigned char (*leaves)[32];
	keyed *sorted;
	signed char *status;
	int verify, oom, stopped;
	pthread_t tid;
} checker;

static void *check_run(void *arg)
{
	checker *c = arg;
	buf body = {0};
	for (size_t i = c->lo; i < c->hi; i++) {
		if (kist__interrupted) {
			c->stopped = 1;
			break;
		}
		c->sorted[i].pos = i;
		int st = check_entry(&body, c->log->origin, &c->log->e[i], i, c->leaves[i],
		                     &c->sorted[i].key, c->verify);
		if (st < 0) {
			c->oom = 1;
			break;
		}
		c->status[i] = (signed char)st;
		if (st != E_SOUND)
			memcpy(c->leaves[i], c->log->e[i].pub.leaf, 32);
	}
	free(body.p);
	return NULL;
}

/*
 * Runs check_run over the entries from to to-1 on threads threads (0: one
 * per processor for many entries), verifying signatures if verify.
 */
static kist_err check_all(const kist_ledger_log *log, size_t from, size_t to, int verify,
                          unsigned threads, unsigned char (*leaves)[32], keyed *sorted,
                          signed char *status)
{
	size_t n = to - from;
	if (threads == 0)
		threads = n < 1024 ? 1 : kist__default_threads();
	if (threads > 16)
		threads = 16;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	checker c[16];
	kist_err err = KIST_OK;
	for (unsigned t = 0; t < threads; t++) {
		c[t] = (checker){log,
		                 from + n * t / threads,
		                 from + n * (t + 1) / threads,
		                 leaves,
		                 sorted,
		                 status,
		                 verify,
		                 0,
		                 0,
		                 0};
	}
	unsigned started = 0;
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&c[t].tid, NULL, check_run, &c[t]) != 0)
			break; /* the caller's thread does the rest */
		started = t;
	}
	check_run(&c[0]);
	for (unsigned t = started + 1; t < threads; t++) /* runs no thread took */
		check_run(&c[t]);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(c[t].tid, NULL);
	for (unsigned t = 0; t < threads; t++) {
		if (c[t].oom)
			err = kist__nomem();
		else if (c[t].stopped && err == KIST_OK)
			err = interrupted();
	}
	return err;
}

kist_err kist_ledger_audit(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                           kist_audit_fn fn, void *ctx, kist_audit_report *rep)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, 0, 0, NULL);
}

/*
 * Whether the first held entries are the ones a full audit found sound when
 * the checkpoint (held, root) was cosigned: each entry checked without its
 * signature, and the RFC 9162 root of their leaf hashes, recomputed from
 * their fields and signatures (never the stored leaf hashes), is root.
 */
static kist_err held_prefix(const kist_ledger_log *log, uint64_t held, const unsigned char root[32],
                            unsigned threads, unsigned char (*leaves)[32], keyed *sorted,
                            signed char *status, int *holds)
{
	unsigned char r[32];
	kist_err err;
	*holds = 0;
	if (held == 0 || held > log->n)
		return KIST_OK;
	if ((err = check_all(log, 0, (size_t)held, 0, threads, leaves, sorted, status)) != KIST_OK)
		return err;
	for (size_t i = 0; i < held; i++)
		if (status[i] != E_SOUND || sorted[i].key != i)
			return KIST_OK;
	kist__merkle_root(r, (const unsigned char(*)[32])leaves, held);
	*holds = sodium_memcmp(r, root, 32) == 0;
	return KIST_OK;
}

kist_err kist_ledger_audit_held(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                                uint64_t held_size, const unsigned char held_root[32],
                                kist_audit_fn fn, void *ctx, kist_audit_report *rep)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, 0, held_size, held_root);
}

kist_err kist__ledger_audit_threads(const kist_ledger_log *log, const char *const *notes,
                                    size_t nnotes, kist_audit_fn fn, void *ctx,
                                    kist_audit_report *rep, unsigned threads)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, threads, 0, NULL);
}

kist_err kist__ledger_audit_core(const kist_ledger_log *log, const char *const *notes,
                                 size_t nnotes, kist_audit_fn fn, void *ctx, kist_audit_report *rep,
                                 unsigned threads, uint64_t held_size,
                                 const unsigned char *held_root)
{
	audit a = {fn, ctx, rep};
	keyed *sorted = NULL;
	unsigned char(*leaves)[32] = NULL, (*ol)[32] = NULL;
	signed char *status = NULL;
	pinned *pins = NULL;
	char(*labels)[64] = NULL;
	const char **lp = NULL;
	size_t npins = 0, ncps = nnotes + log->nnotes;
	kist_err err = KIST_OK;

	memset(rep, 0, sizeof *rep);
	if ((err = kist_init()) != KIST_OK)
		return err;
	size_t n = log->n;
	sorted = malloc((n ? n : 1) * sizeof *sorted);
	leaves = malloc((n ? n : 1) * 32);
	ol = malloc((n ? n : 1) * 32);
	status = calloc(n ? n : 1, 1);
	pins = calloc(ncps ? ncps : 1, sizeof *pins);
	labels = calloc(ncps ? ncps : 1, sizeof *labels);
	lp = calloc(ncps ? ncps : 1, sizeof *lp);
	if (sorted == NULL || leaves == NULL || ol == NULL || status == NULL || pins == NULL ||
	    labels == NULL || lp == NULL) {
		err = kist__nomem();
		goto out;
	}
	rep->size = n;

	/* 1. Each entry on its own: fields against the signed body, signature,
	 * leaf; with a held checkpoint that the log still extends, the
	 * signatures of the entries it covers are not verified again. */
	int holds = 0;
	if (held_root != NULL && (err = held_prefix(log, held_size, held_root, threads, leaves,
	                                            sorted, status, &holds)) != KIST_OK)
		goto out;
	rep->unverified = holds ? held_size : 0;
	if ((err = check_all(log, (size_t)rep->unverified, n, 1, threads, leaves, sorted,
	                     status)) != KIST_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		report_entry(&a, &log->e[i], i, status[i], sorted[i].key);

	/* 2. Storage order against signed order: indices 0, 1, 2, ... in turn. */
	qsort(sorted, n, sizeof *sorted, cmp_keyed);
	int permutation = 1;
	for (size_t i = 0; i < n; i++)
		if (sorted[i].key != i)
			permutation = 0;
	if (permutation) {
		for (size_t k = 0; k < n; k++)
			if (sorted[k].pos != k)
				finding(
				    &a, KIST_AUDIT_REORDERED, k,
				    "entries were reordered: entry %zu is stored at position %zu",
				    k, sorted[k].pos);
	} else {
		uint64_t want = 0;
		for (size_t i = 0; i < n; i++) {
			uint64_t got = sorted[i].key;
			if (i > 0 && got == sorted[i - 1].key) {
				finding(&a, KIST_AUDIT_REWRITTEN, got, "entry %llu appears twice",
				        (unsigned long long)got);
				continue;
			}
			if (got > want) {
				if (got - want == 1)
					finding(&a, KIST_AUDIT_DELETED, want,
					        "entry %llu was deleted", (unsigned long long)want);
				else
					finding(&a, KIST_AUDIT_DELETED, want,
					        "entries %llu to %llu were deleted",
					        (unsigned long long)want,
					        (unsigned long long)(got - 1));
			}
			want = got + 1;
		}
	}
	if (kist__interrupted) {
		err = interrupted();
		goto out;
	}

	/* 3. The chain, in signed order: each entry names the leaf before it. */
	for (size_t i = 0; i < n; i++) {
		static const unsigned char zero[32];
		const lentry *e = &log->e[sorted[i].pos];
		const unsigned char *want = zero;
		memcpy(ol[i], leaves[sorted[i].pos], 32);
		if (status[sorted[i].pos] != E_SOUND)
			continue;
		if (sorted[i].key > 0) {
			if (i == 0 || sorted[i - 1].key != sorted[i].key - 1)
				continue; /* the gap is already reported */
			want = leaves[sorted[i - 1].pos];
		}
		if (sodium_memcmp(want, e->pub.prev, 32) != 0)
			finding(&a, KIST_AUDIT_DELETED, sorted[i].key,
			        "entry %llu does not follow entry %llu: an entry between them was "
			        "deleted or the history was replaced",
			        (unsigned long long)sorted[i].key,
			        (unsigned long long)(sorted[i].key ? sorted[i].key - 1 : 0));
	}

	/* 4. Checkpoints (given ones first, then those stored in the log): each
	 * note on its own, then all against the tree in one pass, which also
	 * gives the root over the leaves in signed order. */
	for (size_t c = 0; c < ncps; c++) {
		const char *text = c < nnotes ? notes[c] : log->notes[c - nnotes];
		if (kist__interrupted) {
			err = interrupted();
			goto out;
		}
		if (c < nnotes)
			snprintf(labels[c], sizeof labels[c], "checkpoint %zu", c + 1);
		else
			snprintf(labels[c], sizeof labels[c], "checkpoint stored in the log (%zu)",
			         c - nnotes + 1);
		lp[c] = labels[c];
		if (!read_checkpoint(&a, log->origin, text, labels[c], c + 1, &pins[npins]))
			continue;
		if (pins[npins].size > n) {
			finding(&a, KIST_AUDIT_ROLLBACK, pins[npins].size,
			        "the log was truncated or rolled back: %s pins %llu entries, the "
			        "log has %zu",
			        labels[c], (unsigned long long)pins[npins].size, n);
			continue;
		}
		npins++;
	}
	if ((err = check_pins(&a, (const unsigned char(*)[32])ol, n, pins, npins, lp, rep->root)) !=
	    KIST_OK)
		goto out;
	err = rep->found ? kist__fail(KIST_E_CORRUPT, "the ledger failed its audit") : KIST_OK;
out:
	free(sorted);
	free(leaves);
	free(ol);
	free(status);
	free(pins);
	free(labels);
	free(lp);
	return err;
}

kist_err kist_ledger_checkpoint_audited(const kist_ledger_log *log, const kist_audit_report *rep,
                                        const kist_identity *signer, char **note)
{
	*note = NULL;
	if (rep->size != log->n)
		return kist__fail(KIST_E_ARG, "the audit report is not of this log");
	if (rep->found != 0 && signer != NULL)
		return kist__fail(KIST_E_CORRUPT,
		                  "the ledger does not pass its audit: no checkpoint signed");
	return make_note(note, log->origin, rep->size, rep->root, signer);
}

/*
 * Whether every entry is stored at its index, hashes to its stored body and
 * leaf hashes, and names the leaf before it: what a checkpoint pins.  The
 * actors' signatures are left to the audit (they cost most of its time).
 */
static kist_err chain_holds(const kist_ledger_log *log, unsigned char (*leaves)[32], int *holds)
{
	static const unsigned char zero[32];
	buf body = {0};
	kist_err err = KIST_OK;
	*holds = 0;
	for (size_t i = 0; i < log->n; i++) {
		const kist_ledger_entry *e = &log->e[i].pub;
		if ((i & 0xff) == 0 && kist__interrupted) {
			err = interrupted();
			goto out;
		}
		if (e->malformed || e->index != i ||
		    sodium_memcmp(e->prev, i ? leaves[i - 1] : zero, 32) != 0)
			goto out;
		int match = body_matches(&body, log->origin, e, i);
		if (body.oom || !leaf_hash(leaves[i], &body, e->signature)) {
			err = kist__nomem();
			goto out;
		}
		if (!match || sodium_memcmp(leaves[i], e->leaf, 32) != 0)
			goto out;
	}
	*holds = 1;
out:
	free(body.p);
	return err;
}

kist_err kist_ledger_checkpoint(const kist_ledger_log *log, const kist_identity *signer,
                                char **note)
{
	kist_audit_report rep;
	audit a = {NULL, NULL, &rep};
	unsigned char(*leaves)[32] = malloc((log->n ? log->n : 1) * 32);
	pinned *pins = calloc(log->nnotes ? log->nnotes : 1, sizeof *pins);
	const char **labels = calloc(log->nnotes ? log->nnotes : 1, sizeof *labels);
	size_t npins = 0;
	int holds = 0;
	kist_err err;
	*note = NULL;
	memset(&rep, 0, sizeof rep);
	if (leaves == NULL || pins == NULL || labels == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = kist_init()) != KIST_OK || (err = chain_holds(log, leaves, &holds)) != KIST_OK)
		goto out;
	if (!holds) {
		if (signer != NULL) {
			err =
			    kist__fail(KIST_E_CORRUPT,
			               "the ledger does not pass its audit: no checkpoint signed");
			goto out;
		}
		/* unsigned: the root over the leaves as stored */
		for (size_t i = 0; i < log->n; i++)
			memcpy(leaves[i], log->e[i].pub.leaf, 32);
	}
	/* The checkpoints stored in the log must hold too (a truncated log is refused). */
	for (size_t c = 0; c < log->nnotes; c++) {
		labels[c] = "a checkpoint stored in the log";
		if (read_checkpoint(&a, log->origin, log->notes[c], labels[c], c + 1,
		                    &pins[npins])) {
			if (pins[npins].size <= log->n)
				npins++;
			else
				rep.found |= 1u << KIST_AUDIT_ROLLBACK;
		}
	}
	if ((err = check_pins(&a, (const unsigned char(*)[32])leaves, log->n, pins, npins, labels,
	                      rep.root)) != KIST_OK)
		goto out;
	if (rep.found != 0 && signer != NULL) {
		err = kist__fail(KIST_E_CORRUPT,
		                 "the ledger does not pass its audit: no checkpoint signed");
		goto out;
	}
	err = make_note(note, log->origin, log->n, rep.root, signer);
out:
	free(leaves);
	free(pins);
	free(labels);
	return err;
}
