/*
 * people: people registers (CSV and JSON import, links to media) and the
 * search fold.  Calls base.  Not installed.
 */
#ifndef KIST_PEOPLE_H
#define KIST_PEOPLE_H

#include "base/base.h"

/* ---- people registers (register.c) */
#define KIST__PERSON_NFIELDS 7

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

/* ---- the search fold (people.c) */
/* Folds text for search: lower case, Latin diacritics removed, Arabic/Persian letter
 * variants unified, Arabic diacritics and tatweel dropped.  Returns a malloc'd string. */
char *kist__fold(const char *s);
/* Folds s[0..len) into out, which has room for 2 * len + 1 bytes; NUL-ended.
 * Returns the folded length.  Folding is per character: fold(a b) = fold(a) fold(b). */
size_t kist__fold_to(char *out, const char *s, size_t len);

/* ---- consonant skeletons across scripts (skeleton.c, ICU) */
typedef struct kist__skel kist__skel;
/* The transliterator (~25 ms to open) is opened by the first text that is not ASCII. */
kist_err kist__skel_new(kist__skel **out);
void kist__skel_free(kist__skel *s);
/* " w1 w2 " (each word's skeleton, space-led, space-ended; " " for none);
 * folded is kist__fold() output.  *out is freed by the caller. */
kist_err kist__skel_of(kist__skel *s, const char *folded, char **out);

#endif
