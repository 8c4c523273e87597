/*
 * index: the encrypted SQLite index (build, defensive load, row and path
 * rules) and read-only queries over it.  Calls base, crypto, keys, format,
 * people.  Not installed.
 */
#ifndef KIST_INDEX_H
#define KIST_INDEX_H

#include "format/format.h"
#include "people/people.h"

/* ---- index (index.c) */
typedef struct kist__entry {
	kist_entry pub;
	char *path;
	char *link;
	uint32_t id;     /* stream id, 1-based */
	uint64_t offset; /* body-relative */
	uint32_t nchunks;
	uint32_t *chunk_len;
} kist__entry;

typedef struct kist__index_meta {
	unsigned format_version; /* 0 when building: KIST_FORMAT_VERSION */
	char vault_id[33];
	int64_t created;
	char tool_version[64];
	unsigned recipients;
	uint32_t chunk_size;
	int has_signer;
	char signer[KIST_PUBKEY_STRLEN + 1];
	unsigned schema_version; /* of a loaded index */
	size_t people;           /* people in a loaded index */
} kist__index_meta;

typedef struct sqlite3 sqlite3;

/* Creates the index database in memory and fills it. */
kist_err kist__index_build(unsigned char **out, size_t *outlen, const kist__index_meta *m,
                           const kist__entry *entries, size_t n, const kist__people *ppl);

/* Loads a serialized index defensively (read-only, schema checked) and reads entries. */
kist_err kist__index_load(sqlite3 **db, kist__index_meta *m, kist__entry **entries, size_t *n,
                          unsigned char *buf, size_t len);
/*
 * Compares db's sqlite_schema, row by row, with that of a fresh database made
 * by running defs: 1 if equal, 0 if not (*diff: the first differing reference
 * statement, sqlite3_free() it; may be NULL), -1 on error.
 */
int kist__schema_equal(sqlite3 *db, const char *const *defs, size_t ndefs, const char **diff);

/*
 * SQLite's memory cap while untrusted SQL or a search runs: at most
 * KIST__SQL_HEAP_CAP for the whole process (the cap is process-wide).
 * Calls nest and may overlap across threads; the caller's own limit comes
 * back when the last leaves.
 */
#define KIST__SQL_HEAP_CAP (512LL << 20)
void kist__sql_cap_enter(void);
void kist__sql_cap_leave(void);
/* Applies the opener's hardening to a database connection (also used by tests). */
kist_err kist__index_open_hardened(sqlite3 **out);

void kist__entries_free(kist__entry *e, size_t n);

/* Checks a stored path: relative, normalised, no control characters, bounded. */
kist_err kist__path_check(const char *path, size_t len);

/*
 * Checks a list of entries as a whole: unique paths, no entry below a
 * non-directory and, unless chunk_size is 0, consistent sizes and chunk
 * counts.  The list itself is not reordered.
 */
kist_err kist__entries_check(const kist__entry *e, size_t n, uint32_t chunk_size);

/*
 * Tree order of paths: bytes compared as unsigned, except that '/' sorts
 * before every other byte, so that every path is directly followed by the
 * paths below it.  <0, 0 or >0 like strcmp.
 */
int kist__path_cmp_tree(const char *a, const char *b);

/* Whether e[0..n) is strictly increasing in tree order (so no path twice). */
int kist__entries_in_tree_order(const kist__entry *e, size_t n);

/* ---- read-only reads of an opened vault's index (query.c) */
/* What they read of an opened vault, lent by vault.c for one call. */
typedef struct kist__index_view {
	sqlite3 *db;
	unsigned schema_version;
	size_t people;
	const kist__entry *entries; /* a person's media point into them */
	size_t nentries;
	unsigned *search_ready; /* search tables built so far, kept by the vault */
} kist__index_view;
/* kist_vault_people, kist_vault_person_find and kist_vault_query (kist.h) over x. */
kist_err kist__index_people(const kist__index_view *x, const char *search, kist_person_fn fn,
                            void *ctx);
kist_err kist__index_person_find(const kist__index_view *x, const char *name_or_id,
                                 kist_person_fn fn, void *ctx);
kist_err kist__index_query(const kist__index_view *x, const char *sql, kist_row_fn fn, void *ctx);

#endif
