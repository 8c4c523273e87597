/*
 * The index (docs/INDEX.md, FORMAT.md "Row rules"): what kist__index_build
 * writes, kist__index_load reads back; the defensive load rejects a foreign
 * schema, each broken row rule and each unsafe path with its own detail; and
 * kist_vault_query's authorizer lets reading through and nothing else.
 *
 * Hostile indexes are made from a good one: deserialized into a writable
 * in-memory database, changed with one SQL statement, serialized again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "index/index.h"
#include "testutil.h"

#define CHUNK 65536

static uint32_t chunk_len[1] = {10 + KIST_CHUNK_OVERHEAD};

/* Three entries, in id order: a folder, a file in it, a link to the file. */
static void sample(kist__entry e[3], kist__index_meta *m)
{
	memset(e, 0, 3 * sizeof *e);
	memset(m, 0, sizeof *m);
	memcpy(m->vault_id, "0123456789abcdef0123456789abcdef", 33);
	m->created = 1700000000;
	snprintf(m->tool_version, sizeof m->tool_version, "kist test");
	m->recipients = 2;
	m->chunk_size = CHUNK;
	e[0] = (kist__entry){.path = "a", .id = 1};
	e[0].pub.type = KIST_ENTRY_DIR;
	e[0].pub.mode = 0755;
	e[1] = (kist__entry){.path = "a/f", .id = 2, .nchunks = 1, .chunk_len = chunk_len};
	e[1].pub.type = KIST_ENTRY_FILE;
	e[1].pub.size = 10;
	e[1].pub.stored_size = chunk_len[0];
	e[1].pub.mode = 0644;
	e[1].pub.mtime = 1600000000;
	e[1].pub.mtime_nsec = 5;
	memset(e[1].pub.sha256, 0xab, 32);
	e[2] = (kist__entry){.path = "l", .link = "a/f", .id = 3};
	e[2].pub.type = KIST_ENTRY_SYMLINK;
	e[2].pub.mode = 0777;
	e[2].offset = chunk_len[0];
}

static unsigned char *good_index(size_t *len)
{
	kist__entry e[3];
	kist__index_meta m;
	unsigned char *buf = NULL;
	sample(e, &m);
	assert_int_equal(kist__index_build(&buf, len, &m, e, 3, NULL), KIST_OK);
	return buf;
}

/* Loads buf (len bytes); frees what was loaded.  Returns the loader's result. */
static kist_err load(unsigned char *buf, size_t len)
{
	sqlite3 *db = NULL;
	kist__index_meta m;
	kist__entry *e = NULL;
	size_t n = 0;
	kist_err err = kist__index_load(&db, &m, &e, &n, buf, len);
	if (err == KIST_OK) {
		sqlite3_close(db);
		kist__entries_free(e, n);
	}
	return err;
}

/* The good index changed by sql (NULL: unchanged); sqlite3_free() the result. */
static unsigned char *changed(const char *sql, size_t *len)
{
	size_t glen;
	unsigned char *good = good_index(&glen);
	sqlite3 *db;
	sqlite3_int64 n = 0;
	unsigned char *copy = sqlite3_malloc64(glen);
	assert_non_null(copy);
	memcpy(copy, good, glen);
	free(good);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_deserialize(db, "main", copy, (sqlite3_int64)glen, (sqlite3_int64)glen,
	                        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
	    SQLITE_OK);
	if (sql != NULL && sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	unsigned char *out = sqlite3_serialize(db, "main", &n, 0);
	assert_non_null(out);
	sqlite3_close(db);
	*len = (size_t)n;
	return out;
}

static void test_build_load_roundtrip(void **state)
{
	kist__entry want[3], *e = NULL;
	kist__index_meta wm, m;
	sqlite3 *db = NULL;
	size_t len, n = 0;
	unsigned char *buf = good_index(&len);
	sample(want, &wm);
	assert_int_equal(kist__index_load(&db, &m, &e, &n, buf, len), KIST_OK);
	assert_string_equal(m.vault_id, wm.vault_id);
	assert_int_equal(m.created, wm.created);
	assert_string_equal(m.tool_version, wm.tool_version);
	assert_int_equal(m.recipients, 2);
	assert_int_equal(m.chunk_size, CHUNK);
	assert_int_equal(m.has_signer, 0);
	assert_int_equal(m.schema_version, 2);
	assert_int_equal(m.people, 0);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(e[i].path, want[i].path);
		assert_int_equal(e[i].id, i + 1);
		assert_int_equal(e[i].pub.type, want[i].pub.type);
		assert_int_equal(e[i].pub.size, want[i].pub.size);
		assert_int_equal(e[i].pub.stored_size, want[i].pub.stored_size);
		assert_int_equal(e[i].pub.mode, want[i].pub.mode);
		assert_int_equal(e[i].pub.mtime, want[i].pub.mtime);
		assert_int_equal(e[i].pub.mtime_nsec, want[i].pub.mtime_nsec);
		assert_int_equal(e[i].offset, want[i].offset);
		assert_int_equal(e[i].nchunks, want[i].nchunks);
	}
	assert_memory_equal(e[1].pub.sha256, want[1].pub.sha256, 32);
	assert_int_equal(e[1].chunk_len[0], chunk_len[0]);
	assert_string_equal(e[2].link, "a/f");
	assert_null(e[0].link);
	sqlite3_close(db);
	kist__entries_free(e, n);
	free(buf);
}

/* One change per row, and the error and detail the loader gives for it. */
struct hostile {
	const char *sql;
	kist_err err;
	const char *detail;
};

static const struct hostile schema_cases[] = {
    /* The schema is compared object by object with the one kist writes. */
    {"CREATE TABLE extra (x)", KIST_E_CORRUPT, "unexpected schema"},
    {"CREATE INDEX ix ON entries (size)", KIST_E_CORRUPT, "unexpected schema"},
    {"CREATE VIEW v AS SELECT 1", KIST_E_CORRUPT, "unexpected schema"},
    {"CREATE TRIGGER t AFTER INSERT ON custody BEGIN SELECT 1; END", KIST_E_CORRUPT,
     "unexpected schema"},
    {"DROP TABLE person_media", KIST_E_CORRUPT, "unexpected schema"},
    {"ALTER TABLE custody ADD COLUMN extra TEXT", KIST_E_CORRUPT, "unexpected schema"},
    {"PRAGMA application_id = 1", KIST_E_CORRUPT, "not a kist index"},
    {"PRAGMA user_version = 3", KIST_E_FORMAT, "schema version 3 is not supported"},
    {"PRAGMA user_version = 0", KIST_E_FORMAT, "schema version 0 is not supported"},
};

static const struct hostile row_cases[] = {
    /* The vault row. */
    {"DELETE FROM vault", KIST_E_CORRUPT, "has no row"},
    {"INSERT INTO vault SELECT * FROM vault", KIST_E_CORRUPT, "more than one row"},
    {"UPDATE vault SET format_version = 3", KIST_E_CORRUPT, "format_version is not 1 or 2"},
    {"UPDATE vault SET schema_version = 1", KIST_E_CORRUPT, "differs from user_version"},
    {"UPDATE vault SET created = 'x'", KIST_E_CORRUPT, "holds another type"},
    {"UPDATE vault SET vault_id = upper(vault_id)", KIST_E_CORRUPT, "vault_id"},
    {"UPDATE vault SET vault_id = substr(vault_id, 2)", KIST_E_CORRUPT, "vault_id"},
    {"UPDATE vault SET tool_version = 'a' || char(10) || 'b'", KIST_E_CORRUPT, "tool_version"},
    {"UPDATE vault SET tool_version = 'a' || char(27) || '[2J'", KIST_E_CORRUPT, "tool_version"},
    {"UPDATE vault SET tool_version = CAST(x'ff' AS TEXT)", KIST_E_CORRUPT, "tool_version"},
    {"UPDATE vault SET chunk_size = 4095", KIST_E_CORRUPT, "chunk_size is out of range"},
    {"UPDATE vault SET chunk_size = 16777217", KIST_E_CORRUPT, "chunk_size is out of range"},
    {"UPDATE vault SET recipients = 0", KIST_E_CORRUPT, "recipients is out of range"},
    {"UPDATE vault SET recipients = 1025", KIST_E_CORRUPT, "recipients is out of range"},
    {"UPDATE vault SET sealer_key = 'kist1xyz'", KIST_E_CORRUPT, "not a kist public key"},
    /* Entry rows. */
    {"UPDATE entries SET id = 5 WHERE id = 3", KIST_E_CORRUPT, "ids do not run"},
    {"UPDATE entries SET size = 'ten' WHERE id = 2", KIST_E_CORRUPT, "holds another type"},
    {"UPDATE entries SET type = 'fifo' WHERE id = 1", KIST_E_CORRUPT, "unknown type"},
    {"UPDATE entries SET sha256 = upper(sha256) WHERE id = 2", KIST_E_CORRUPT, "sha256 is not 64"},
    {"UPDATE entries SET sha256 = NULL WHERE id = 2", KIST_E_CORRUPT, "missing on a file"},
    {"UPDATE entries SET sha256 = (SELECT sha256 FROM entries WHERE id = 2) WHERE id = 1",
     KIST_E_CORRUPT, "present on a non-file"},
    {"UPDATE entries SET link_target = NULL WHERE id = 3", KIST_E_CORRUPT, "missing on a link"},
    {"UPDATE entries SET size = -1 WHERE id = 2", KIST_E_CORRUPT, "negative size"},
    {"UPDATE entries SET mode = 4096 WHERE id = 2", KIST_E_CORRUPT, "mode out of range"},
    {"UPDATE entries SET mtime_nsec = 1000000000 WHERE id = 2", KIST_E_CORRUPT,
     "mtime_nsec out of range"},
    {"UPDATE entries SET offset = -1 WHERE id = 2", KIST_E_CORRUPT, "negative offset"},
    {"UPDATE entries SET chunks = x'0102' WHERE id = 2", KIST_E_CORRUPT, "chunks is not a BLOB"},
    {"UPDATE entries SET chunks = 'abcd' WHERE id = 2", KIST_E_CORRUPT, "chunks is not a BLOB"},
    {"UPDATE entries SET size = 65537 WHERE id = 2", KIST_E_CORRUPT,
     "size and chunks of a/f disagree"},
    {"UPDATE entries SET stored_size = 28 WHERE id = 2", KIST_E_CORRUPT,
     "size and chunks of a/f disagree"},
    {"UPDATE entries SET size = 1 WHERE id = 1", KIST_E_CORRUPT, "size and chunks of a disagree"},
    /* Custody rows are shown to people. */
    {"UPDATE custody SET actor = 'x' || char(13)", KIST_E_CORRUPT, "custody row 1"},
    {"UPDATE custody SET action = x'41'", KIST_E_CORRUPT, "custody row 1"},
    {"UPDATE custody SET detail = zeroblob(4097)", KIST_E_CORRUPT, "custody row 1"},
};

/* Stored paths: the rules of kist__path_check and the tree rules. */
static const struct hostile path_cases[] = {
    {"UPDATE entries SET path = '/etc' WHERE id = 3", KIST_E_UNSAFE, "absolute path"},
    {"UPDATE entries SET path = '../l' WHERE id = 3", KIST_E_UNSAFE, "not normalised"},
    {"UPDATE entries SET path = 'a/./l' WHERE id = 3", KIST_E_UNSAFE, "not normalised"},
    {"UPDATE entries SET path = 'a//l' WHERE id = 3", KIST_E_UNSAFE, "not normalised"},
    {"UPDATE entries SET path = 'l/' WHERE id = 3", KIST_E_UNSAFE, "not normalised"},
    {"UPDATE entries SET path = '' WHERE id = 3", KIST_E_UNSAFE, "empty path"},
    {"UPDATE entries SET path = 'l' || char(27) WHERE id = 3", KIST_E_UNSAFE, "control character"},
    {"UPDATE entries SET path = 'l' || char(127) WHERE id = 3", KIST_E_UNSAFE, "control character"},
    {"UPDATE entries SET path = printf('%.4097c', 'x') WHERE id = 3", KIST_E_CORRUPT,
     "path is not text of at most 4096 bytes"},
    {"UPDATE entries SET path = printf('%.256c', 'x') WHERE id = 3", KIST_E_UNSAFE,
     "name longer than"},
    {"UPDATE entries SET path = 'a/f/l' WHERE id = 3", KIST_E_UNSAFE,
     "lies below a non-directory entry"},
    {"UPDATE entries SET path = 'l' || x'00' || 'x' WHERE id = 3", KIST_E_CORRUPT,
     "path is not text"},
};

static void run_cases(const struct hostile *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len;
		unsigned char *buf = changed(c[i].sql, &len);
		kist_err err = load(buf, len);
		if (err != c[i].err || strstr(kist_errdetail(), c[i].detail) == NULL)
			fail_msg("%s: got %s (%s), want %s (%s)", c[i].sql, kist_strerror(err),
			         kist_errdetail(), kist_strerror(c[i].err), c[i].detail);
		sqlite3_free(buf);
	}
}

static void test_load_accepts_unchanged(void **state)
{
	/* The round trip through a writable copy changes nothing the loader checks. */
	size_t len;
	unsigned char *buf = changed(NULL, &len);
	assert_int_equal(load(buf, len), KIST_OK);
	sqlite3_free(buf);
	/* Accepted variants of the rules below: a signer, the bounds themselves. */
	static const char *ok[] = {
	    "UPDATE vault SET chunk_size = 4096",
	    "UPDATE vault SET chunk_size = 16777216",
	    "UPDATE vault SET recipients = 1024",
	    "UPDATE entries SET mode = 4095 WHERE id = 2",
	    "UPDATE entries SET mtime_nsec = 999999999 WHERE id = 2",
	    "UPDATE custody SET actor = NULL, detail = NULL",
	    "UPDATE entries SET path = 'a/l' WHERE id = 3",
	    "UPDATE entries SET path = printf('%.255c', 'x') WHERE id = 3",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		buf = changed(ok[i], &len);
		if (load(buf, len) != KIST_OK)
			fail_msg("%s: refused: %s", ok[i], kist_errdetail());
		sqlite3_free(buf);
	}
}

static void test_load_schema(void **state)
{
	run_cases(schema_cases, sizeof schema_cases / sizeof schema_cases[0]);
}

static void test_load_rows(void **state)
{
	run_cases(row_cases, sizeof row_cases / sizeof row_cases[0]);
}

static void test_load_paths(void **state)
{
	run_cases(path_cases, sizeof path_cases / sizeof path_cases[0]);
}

/* Not a database at all, and a truncated one. */
static void test_load_garbage(void **state)
{
	size_t len;
	unsigned char junk[4096];
	memset(junk, 'k', sizeof junk);
	assert_int_not_equal(load(junk, sizeof junk), KIST_OK);
	unsigned char *buf = changed(NULL, &len);
	assert_int_not_equal(load(buf, len / 2), KIST_OK);
	sqlite3_free(buf);
}

/* Duplicate paths cannot be written through the UNIQUE column; the tree check sees them. */
static void test_entries_check(void **state)
{
	kist__entry e[3];
	kist__index_meta m;
	sample(e, &m);
	assert_int_equal(kist__entries_check(e, 3, CHUNK), KIST_OK);
	e[2].path = "a";
	tu_assert_fails(kist__entries_check(e, 3, CHUNK), KIST_E_UNSAFE, "duplicate path: a");
	e[2].path = "a/f/x";
	tu_assert_fails(kist__entries_check(e, 3, CHUNK), KIST_E_UNSAFE, "below a non-directory");
	/* Below a folder is fine, and a sibling whose name extends the file's is too. */
	e[2].path = "a/f.x";
	assert_int_equal(kist__entries_check(e, 3, CHUNK), KIST_OK);
	/* A chunk longer than its data plus the overhead, or shorter than the overhead. */
	sample(e, &m);
	uint32_t longer[1] = {10 + KIST_CHUNK_OVERHEAD + 1}, shorter[1] = {KIST_CHUNK_OVERHEAD - 1};
	e[1].chunk_len = longer;
	e[1].pub.stored_size = longer[0];
	tu_assert_fails(kist__entries_check(e, 3, CHUNK), KIST_E_CORRUPT, "disagree");
	e[1].chunk_len = shorter;
	e[1].pub.stored_size = shorter[0];
	tu_assert_fails(kist__entries_check(e, 3, CHUNK), KIST_E_CORRUPT, "disagree");
}

/* Entries in tree order are checked where they lie, others through a sorted
 * copy: both find the same faults. */
static void test_entries_order(void **state)
{
	(void)state;
	kist__entry e[3];
	assert_true(kist__path_cmp_tree("a/b", "a-c") < 0); /* strcmp says the opposite */
	assert_true(kist__path_cmp_tree("a-c", "a0") < 0);
	assert_true(kist__path_cmp_tree("a", "a/b") < 0);
	assert_int_equal(kist__path_cmp_tree("a/b", "a/b"), 0);
	memset(e, 0, sizeof e);
	e[0].path = "a";
	e[1].path = "a/b";
	e[2].path = "a-c";
	e[0].pub.type = e[2].pub.type = KIST_ENTRY_DIR;
	e[1].pub.type = KIST_ENTRY_DIR;
	assert_true(kist__entries_in_tree_order(e, 3));
	assert_int_equal(kist__entries_check(e, 3, 0), KIST_OK);
	e[0].pub.type = KIST_ENTRY_SYMLINK; /* in order: a/b below the link a */
	tu_assert_fails(kist__entries_check(e, 3, 0), KIST_E_UNSAFE, "a/b lies below");
	e[0].path = "a-c"; /* out of order: the sorted copy finds it */
	e[2].path = "a";
	e[0].pub.type = KIST_ENTRY_DIR;
	e[2].pub.type = KIST_ENTRY_FILE;
	assert_false(kist__entries_in_tree_order(e, 3));
	tu_assert_fails(kist__entries_check(e, 3, 0), KIST_E_UNSAFE, "a/b lies below");
	e[1].path = "a-c"; /* a path twice is never in order */
	assert_false(kist__entries_in_tree_order(e, 3));
	tu_assert_fails(kist__entries_check(e, 3, 0), KIST_E_UNSAFE, "duplicate path: a-c");
}

struct rows {
	size_t n;
};

static int count_rows(void *ctx, size_t ncols, const char *const *names, const kist_value *values)
{
	(void)ncols;
	(void)names;
	if (values != NULL)
		((struct rows *)ctx)->n++;
	return 0;
}

/* kist_vault_query: reads pass, every kind of write or state change is refused. */
static void test_query_authorizer(void **state)
{
	char *dir = tu_tmpdir(), *in = tu_join(dir, "in"), *out = tu_join(dir, "v.kist");
	char *f = tu_join(in, "f.txt");
	kist_identity *id;
	kist_vault *v;
	struct rows r = {0};
	assert_int_equal(mkdir(in, 0700), 0);
	tu_write(f, "synthetic\n", 10);
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	const char *paths[] = {in};
	tu_seal(out, &id, 1, id, paths, 1);
	assert_int_equal(kist_vault_open(&v, out, &id, 1), KIST_OK);

	static const char *reads[] = {
	    "SELECT path FROM entries",
	    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) "
	    "SELECT x FROM c",
	    "VALUES (1), (2)",
	    "SELECT count(*) FROM custody; -- one statement, then a comment",
	};
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
		r.n = 0;
		if (kist_vault_query(v, reads[i], count_rows, &r) != KIST_OK)
			fail_msg("%s: refused: %s", reads[i], kist_errdetail());
		assert_true(r.n > 0);
	}
	static const struct {
		const char *sql, *detail;
	} refused[] = {
	    {"DELETE FROM entries", "refused: deleting from entries"},
	    {"INSERT INTO custody (time, action, tool_version) VALUES (1, 'x', 'y')",
	     "refused: inserting into custody"},
	    {"UPDATE entries SET size = 0", "refused: updating entries"},
	    {"DROP TABLE entries", "refused"},
	    {"CREATE TABLE t (x)", "refused"},
	    {"CREATE TEMP TABLE t (x)", "refused"},
	    {"ATTACH ':memory:' AS x", "refused: ATTACH"},
	    {"PRAGMA writable_schema = 1", "refused: PRAGMA writable_schema"},
	    {"SELECT * FROM pragma_table_info('entries')", "refused"},
	    {"SELECT load_extension('x')", "refused: the function load_extension"},
	    {"SELECT fts3_tokenizer('x')", "refused"},
	    {"BEGIN", "refused: a transaction"},
	    {"SAVEPOINT s", "refused: a savepoint"},
	    {"ANALYZE", "refused"},
	    {"VACUUM", "refused"},
	    {"SELECT 1; SELECT 2", "one SQL statement at a time"},
	    {"", "empty"},
	    {"SELEC 1", "syntax error"},
	};
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		r.n = 0;
		kist_err err = kist_vault_query(v, refused[i].sql, count_rows, &r);
		if (err != KIST_E_ARG || strstr(kist_errdetail(), refused[i].detail) == NULL)
			fail_msg("%s: got %s (%s), want \"%s\"", refused[i].sql, kist_strerror(err),
			         kist_errdetail(), refused[i].detail);
		assert_int_equal(r.n, 0);
	}
	/* Nothing was changed by the refused statements. */
	r.n = 0;
	assert_int_equal(kist_vault_query(v, "SELECT * FROM entries", count_rows, &r), KIST_OK);
	assert_int_equal(r.n, 2);
	kist_vault_close(v);
	kist_identity_free(id);
	tu_rmtree(dir);
	free(dir);
	free(in);
	free(out);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_load_roundtrip),
	    cmocka_unit_test(test_load_accepts_unchanged),
	    cmocka_unit_test(test_load_schema),
	    cmocka_unit_test(test_load_rows),
	    cmocka_unit_test(test_load_paths),
	    cmocka_unit_test(test_load_garbage),
	    cmocka_unit_test(test_entries_check),
	    cmocka_unit_test(test_entries_order),
	    cmocka_unit_test(test_query_authorizer),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
