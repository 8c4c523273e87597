/*
 * What the custody files share among themselves (not for other folders).
 * Calls go one way: audit.c -> checkpoint.c -> store.c; bundle.c -> store.c.
 * store.c: the entry encoding, the SQLite store, the log object;
 * bundle.c: bundles in and out; checkpoint.c: signed notes;
 * audit.c: the audit and the checkpoints signed over an audited log.
 */
#ifndef KIST_CUSTODY_INT_H
#define KIST_CUSTODY_INT_H

#include "custody/custody.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#define LEDGER_MAX_ENTRIES (1u << 24)
#define LEDGER_FIELD_MAX   KIST_MAX_PATH
#define BUNDLE_MAX         (1u << 30)
#define BUNDLE_FORMAT      "kist ledger bundle v1"

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

typedef struct buf {
	unsigned char *p;
	size_t len, cap;
	int oom;
} buf;
#define BODY(b)     ((b)->p + 1)
#define BODY_LEN(b) ((b)->len - 1)

#define ENTRY_VALUES_MAX (KIST_LEDGER_PATHS_MAX + 64) /* values in one bundle entry */
#define BUNDLE_ENTRY_MIN sizeof(lentry)               /* entries cost at most the bundle's size */
#define LEDGER_ENTRY_MIN 96 /* at most about 3.5 times the ledger's size */

/* ---- store.c */
kist_err kist__ledger_sql_err(sqlite3 *db, int rc, const char *what);
kist_err kist__ledger_add_note(kist_ledger_log *log, const char *s, size_t len);
kist_err kist__ledger_check_density(size_t n, size_t len, size_t min_bytes, const char *what);
kist_err kist__ledger_check_origin(const char *s, size_t len);
void kist__ledger_mark(lentry *e, const char *why);
lentry *kist__ledger_new_entry(kist_ledger_log *log);
void kist__buf_put(buf *b, const void *p, size_t n);
int kist__ledger_set_paths(lentry *e, json_t *a);
void kist__ledger_set_text(lentry *e, char **slot, const char **pub, const char *s, size_t len,
                           size_t max, const char *why);
void kist__ledger_body_encode(buf *b, const char *origin, const kist_ledger_entry *e);
int kist__ledger_leaf_hash(unsigned char out[32], buf *b, const unsigned char sig[64]);
size_t kist__json_skip_ws(const char *p, size_t i, size_t len);
size_t kist__json_value_end(const char *p, size_t i, size_t len, size_t max_values);
json_t *kist__json_value_at(const char *p, size_t i, size_t end);

/* ---- checkpoint.c */
kist_err kist__checkpoint_note(char **note, const char *origin, uint64_t size,
                               const unsigned char root[32], const kist_identity *signer);

#endif
