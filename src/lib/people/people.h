/*
 * people: people registers (CSV and JSON import, links to media) and the
 * search fold.  Calls base.  Not installed.
 */
#ifndef KIST_PEOPLE_H
#define KIST_PEOPLE_H

#include "base/base.h"

typedef struct sqlite3 sqlite3;
/* ---- people registers (register.c) */
#define KIST__PERSON_NFIELDS 7
/* aliases, relation, born, location, status, contact, notes: the people table's columns */
extern const char *const kist__person_fields[KIST__PERSON_NFIELDS];

typedef struct kist__person {
	char *name;
	char *field[KIST__PERSON_NFIELDS]; /* NULL if absent */
	size_t nextra;
	char **extra_key, **extra_val; /* unknown columns, kept */
	size_t nmedia;
	char **media;       /* vault paths as written in the register */
	uint32_t *media_id; /* entry ids, set by kist__people_link; 0 for a repeat */
	char where[48];     /* "line 12" (CSV) or "record at index 11" (JSON) */
	char src[64];       /* the register's name, for messages */
} kist__person;

typedef struct kist__people {
	kist__person *p;
	size_t n, cap;
} kist__people;

/* Parses a register (JSON if it starts with '[' or '{', else CSV) and appends its
 * records; on error nothing of it is kept and the detail names the line or index. */
kist_err kist__register_parse(kist__people *ppl, const unsigned char *buf, size_t len,
                              const char *src);
/* Resolves every media path against the vault's paths (sorted by strcmp, ids alongside). */
kist_err kist__people_link(kist__people *ppl, const char *const *paths, size_t npaths,
                           const uint32_t *ids);
void kist__people_free(kist__people *ppl);
/* Length of the valid UTF-8 sequence at s (1 to 4; its code point in *cp), 0 if invalid. */
size_t kist__utf8_next(const unsigned char *s, size_t len, uint32_t *cp);
/* Length of the longest valid UTF-8 prefix (no overlongs, surrogates or > U+10FFFF). */
size_t kist__utf8_prefix(const unsigned char *s, size_t len);
int kist__utf8_valid(const unsigned char *s, size_t len);
/* Non-zero if UTF-8 text s holds a C0 control other than tab and line breaks, DEL, or a
 * C1 control (U+0080..U+009F). */
int kist__text_has_control(const unsigned char *s, size_t len);

/* ---- people search and read-only queries over a loaded index (people.c, query.c) */
/* Folds text for search: lower case, Latin diacritics removed, Arabic/Persian letter
 * variants unified, Arabic diacritics and tatweel dropped.  Returns a malloc'd string. */
char *kist__fold(const char *s);
/* Validates the people tables of a loaded index (schema 2). */
kist_err kist__people_check(sqlite3 *db, size_t *count);

/*
 * Builds the people search tables (temp schema) that sql names, if the vault
 * has people tables.
 */
kist_err kist__vault_prepare_search(kist_vault *v, const char *sql);

#endif
