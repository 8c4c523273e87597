/*
 * Read-only reads of an opened vault's index: the people search and lookup,
 * and SQL for legal teams.  vault.c hands over what they read as a
 * kist__index_view; they never see struct kist_vault.
 *
 * People search uses an SQLite FTS5 index built in memory (in the "temp"
 * schema) when first needed, from the validated tables: nothing of FTS5's
 * own storage is ever read from a vault.  A trigram index is built only for
 * queries that name it.  Text is folded (kist__fold) before it is indexed and
 * before it is searched.
 *
 * The SQL of kist_vault_query:  The index is
 * already a read-only in-memory image (query_only, defensive); on top of
 * that an authorizer allows nothing but reading while the statement is
 * prepared, the statement must be one and read-only, memory is capped and
 * kist_interrupt() stops it.
 */
#include "index/index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>
#include <sqlite3.h>

/* ---- people */

static const char *col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c); /* NULL for NULL */
}

/* The statements that read person id: the row, its fields, its media links. */
static int person_stmts(sqlite3 *db, sqlite3_int64 id, sqlite3_stmt **p, sqlite3_stmt **f,
                        sqlite3_stmt **m)
{
	if (sqlite3_prepare_v2(db,
	                       "SELECT name, aliases, relation, born, location, status, contact, "
	                       "notes FROM people WHERE id = ?",
	                       -1, p, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT field, value FROM person_fields WHERE person_id = ? ORDER "
	                       "BY rowid",
	                       -1, f, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT entry_id FROM person_media WHERE person_id = ? ORDER BY "
	                       "rowid",
	                       -1, m, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(*p, 1, id);
	sqlite3_bind_int64(*f, 1, id);
	sqlite3_bind_int64(*m, 1, id);
	return 0;
}

/* Wipes and frees the first n texts of a (NULLs allowed), then a. */
static void texts_free(const char **a, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (a[k] != NULL) {
			sodium_memzero((char *)a[k], strlen(a[k]));
			free((char *)a[k]);
		}
	free(a);
}

/* Loads person id and calls fn.  Returns fn's result, or -1 with *err set. */
static int emit_person(const kist__index_view *v, sqlite3_int64 id, int approx, kist_person_fn fn,
                       void *ctx, kist_err *err)
{
	sqlite3_stmt *p = NULL, *f = NULL, *m = NULL;
	const char **names = NULL, **values = NULL;
	const kist_entry **media = NULL;
	size_t nf = 0, nm = 0;
	kist_person x;
	int r = -1;

	*err = kist__nomem();
	if (person_stmts(v->db, id, &p, &f, &m) != 0)
		goto out;
	if (sqlite3_step(p) != SQLITE_ROW) {
		*err = kist__fail(KIST_E_NOTFOUND, "no person #%lld", (long long)id);
		goto out;
	}
	names = calloc(KIST_MAX_REGISTER_COLUMNS, sizeof *names);
	values = calloc(KIST_MAX_REGISTER_COLUMNS, sizeof *values);
	media = calloc(KIST_MAX_PERSON_MEDIA, sizeof *media);
	if (names == NULL || values == NULL || media == NULL)
		goto out;
	/* Column text lives only until the next step: copy it. */
	while (nf < KIST_MAX_REGISTER_COLUMNS && sqlite3_step(f) == SQLITE_ROW) {
		names[nf] = strdup(col_text(f, 0) ? col_text(f, 0) : "");
		values[nf] = strdup(col_text(f, 1) ? col_text(f, 1) : "");
		nf++;
		if (names[nf - 1] == NULL || values[nf - 1] == NULL)
			goto out;
	}
	while (nm < KIST_MAX_PERSON_MEDIA && sqlite3_step(m) == SQLITE_ROW) {
		sqlite3_int64 eid = sqlite3_column_int64(m, 0);
		if (eid >= 1 && (size_t)eid <= v->nentries) /* checked at open */
			media[nm++] = &v->entries[eid - 1].pub;
	}
	memset(&x, 0, sizeof x);
	x.id = id;
	x.name = col_text(p, 0);
	x.aliases = col_text(p, 1);
	x.relation = col_text(p, 2);
	x.born = col_text(p, 3);
	x.location = col_text(p, 4);
	x.status = col_text(p, 5);
	x.contact = col_text(p, 6);
	x.notes = col_text(p, 7);
	x.nextra = nf;
	x.extra_names = names;
	x.extra_values = values;
	x.nmedia = nm;
	x.media = media;
	x.approximate = approx;
	r = fn(ctx, &x) != 0;
	*err = KIST_OK;
out:
	texts_free(names, nf);
	texts_free(values, nf);
	free(media);
	sqlite3_finalize(p);
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	return r;
}

#define SEARCH_WORDS 1u /* temp.people_words: FTS5 unicode61, used by every search */
#define SEARCH_GRAMS 2u /* temp.people_grams: FTS5 trigram, only for kist query */
#define SEARCH_SKEL  4u /* temp.people_skel: consonant skeletons of names and aliases */

/* The statements that build the search tables of want (kist__index_view.search_ready). */
typedef struct search_stmts {
	sqlite3_stmt *rd, *fx, *w, *g, *sq;
} search_stmts;

/* Creates the tables of want and prepares s: 0, or -1 (sqlite3_errmsg says why). */
static int search_prepare(sqlite3 *db, unsigned want, search_stmts *s)
{
	/* Created inside the transaction: a failure rolls them back, so a later try
	 * starts clean. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    ((want & SEARCH_WORDS) &&
	     sqlite3_exec(db,
	                  "CREATE VIRTUAL TABLE temp.people_words USING fts5(name, aliases, other, "
	                  "tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")",
	                  NULL, NULL, NULL) != SQLITE_OK) ||
	    ((want & SEARCH_GRAMS) &&
	     sqlite3_exec(db,
	                  "CREATE VIRTUAL TABLE temp.people_grams USING fts5(text, "
	                  "tokenize='trigram')",
	                  NULL, NULL, NULL) != SQLITE_OK) ||
	    sqlite3_prepare_v2(db,
	                       "SELECT id, name, aliases, coalesce(relation, '') || ' ' || "
	                       "coalesce(born, '') || ' ' || coalesce(location, '') || ' ' || "
	                       "coalesce(status, '') || ' ' || coalesce(contact, '') || ' ' || "
	                       "coalesce(notes, '') FROM people",
	                       -1, &s->rd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT group_concat(value, ' ') FROM person_fields WHERE "
	                       "person_id = ?",
	                       -1, &s->fx, NULL) != SQLITE_OK ||
	    ((want & SEARCH_WORDS) &&
	     sqlite3_prepare_v2(db,
	                        "INSERT INTO temp.people_words(rowid, name, aliases, other) VALUES "
	                        "(?, ?, ?, ?)",
	                        -1, &s->w, NULL) != SQLITE_OK) ||
	    ((want & SEARCH_GRAMS) &&
	     sqlite3_prepare_v2(db, "INSERT INTO temp.people_grams(rowid, text) VALUES (?, ?)", -1,
	                        &s->g, NULL) != SQLITE_OK) ||
	    ((want & SEARCH_SKEL) &&
	     (sqlite3_exec(db, "CREATE TABLE temp.people_skel(id INTEGER PRIMARY KEY, skel TEXT)",
	                   NULL, NULL, NULL) != SQLITE_OK ||
	      sqlite3_prepare_v2(db, "INSERT INTO temp.people_skel(id, skel) VALUES (?, ?)", -1,
	                         &s->sq, NULL) != SQLITE_OK)))
		return -1;
	return 0;
}

/*
 * Inserts person id's folded texts into the search tables s builds: name and
 * aliases, other (the rest), all (the three, one per line).  0 if an insert
 * failed (*err set if the failure was not SQLite's).
 */
static int search_insert(const search_stmts *s, kist__skel *sk, sqlite3_int64 id, char *fold[4],
                         const char *other, char *all, kist_err *err)
{
	int ok = 1;
	if (s->w != NULL) {
		sqlite3_reset(s->w);
		sqlite3_bind_int64(s->w, 1, id);
		sqlite3_bind_text(s->w, 2, fold[0], -1, SQLITE_STATIC);
		sqlite3_bind_text(s->w, 3, fold[1], -1, SQLITE_STATIC);
		sqlite3_bind_text(s->w, 4, other, -1, SQLITE_STATIC);
		ok = sqlite3_step(s->w) == SQLITE_DONE;
	}
	if (ok && s->g != NULL) {
		sqlite3_reset(s->g);
		sqlite3_bind_int64(s->g, 1, id);
		sqlite3_bind_text(s->g, 2, all, -1, SQLITE_STATIC);
		ok = sqlite3_step(s->g) == SQLITE_DONE;
	}
	if (ok && s->sq != NULL) {
		/* Names and aliases only: "all" holds them on its first two lines. */
		char *skel = NULL;
		all[strlen(fold[0]) + 1 + strlen(fold[1])] = '\0';
		if ((*err = kist__skel_of(sk, all, &skel)) != KIST_OK)
			ok = 0;
		else {
			sqlite3_reset(s->sq);
			sqlite3_bind_int64(s->sq, 1, id);
			sqlite3_bind_text(s->sq, 2, skel, -1, SQLITE_STATIC);
			ok = sqlite3_step(s->sq) == SQLITE_DONE;
			sodium_memzero(skel, strlen(skel));
			free(skel);
		}
	}
	return ok;
}

/* The search rows of the person s->rd stands on.  fold[] is wiped and freed here,
 * or left for the caller to wipe if this fails early. */
static kist_err search_row(sqlite3 *db, const search_stmts *s, kist__skel *sk, char *fold[4])
{
	kist_err err = KIST_OK;
	sqlite3_int64 id = sqlite3_column_int64(s->rd, 0);
	sqlite3_reset(s->fx);
	sqlite3_bind_int64(s->fx, 1, id);
	const char *extra = sqlite3_step(s->fx) == SQLITE_ROW ? col_text(s->fx, 0) : NULL;
	const char *src[4] = {col_text(s->rd, 1), col_text(s->rd, 2), col_text(s->rd, 3), extra};
	for (int k = 0; k < 4; k++) {
		fold[k] = kist__fold(src[k] ? src[k] : "");
		if (fold[k] == NULL)
			return kist__nomem();
	}
	size_t total = strlen(fold[0]) + strlen(fold[1]) + strlen(fold[2]) + strlen(fold[3]) + 8;
	char *all = malloc(total);
	char *other = malloc(strlen(fold[2]) + strlen(fold[3]) + 2);
	if (all == NULL || other == NULL) {
		free(all);
		free(other);
		return kist__nomem();
	}
	snprintf(other, strlen(fold[2]) + strlen(fold[3]) + 2, "%s %s", fold[2], fold[3]);
	snprintf(all, total, "%s\n%s\n%s", fold[0], fold[1], other);
	int ok = search_insert(s, sk, id, fold, other, all, &err);
	sodium_memzero(all, total);
	sodium_memzero(other, strlen(other));
	free(all);
	free(other);
	for (int k = 0; k < 4; k++) {
		sodium_memzero(fold[k], strlen(fold[k]));
		free(fold[k]);
		fold[k] = NULL;
	}
	if (!ok && err == KIST_OK)
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
	return err;
}

/*
 * Builds the search tables in want that are not built yet, from the validated
 * tables, in one transaction.
 */
static kist_err ensure_search(const kist__index_view *v, unsigned want)
{
	sqlite3 *db = v->db;
	search_stmts s = {NULL, NULL, NULL, NULL, NULL};
	char *fold[4] = {NULL, NULL, NULL, NULL};
	kist__skel *sk = NULL;
	kist_err err = KIST_OK;

	want &= ~*v->search_ready;
	if (want == 0)
		return KIST_OK;
	if ((want & SEARCH_SKEL) && (err = kist__skel_new(&sk)) != KIST_OK)
		return err;
	/* Bounded like a query: a huge register cannot take all memory. */
	kist__sql_cap_enter();
	sqlite3_exec(db, "PRAGMA query_only=OFF", NULL, NULL, NULL);
	if (search_prepare(db, want, &s) != 0) {
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(s.rd) == SQLITE_ROW)
		if ((err = search_row(db, &s, sk, fold)) != KIST_OK)
			goto out;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
		goto out;
	}
	*v->search_ready |= want;
out:
	for (int k = 0; k < 4; k++) {
		if (fold[k] != NULL)
			sodium_memzero(fold[k], strlen(fold[k]));
		free(fold[k]);
	}
	sqlite3_finalize(s.rd);
	sqlite3_finalize(s.fx);
	sqlite3_finalize(s.w);
	sqlite3_finalize(s.g);
	sqlite3_finalize(s.sq);
	kist__skel_free(sk);
	if (err != KIST_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA query_only=ON", NULL, NULL, NULL);
	kist__sql_cap_leave();
	return err;
}

static kist_err prepare_search(const kist__index_view *v, const char *sql)
{
	/* A statement can only reach a table by naming it, so a query that does
	 * not name a search table does not pay for building it. */
	unsigned want = (strcasestr(sql, "people_words") ? SEARCH_WORDS : 0) |
	                (strcasestr(sql, "people_grams") ? SEARCH_GRAMS : 0);
	return v->schema_version >= 2 ? ensure_search(v, want) : KIST_OK;
}

/* Appends a phrase for word (quotes doubled) to q; prefix adds '*'. */
static int add_phrase(char **q, size_t *len, size_t *cap, const char *word, size_t wl, int prefix)
{
	size_t need = *len + wl * 2 + 12;
	if (need > *cap) {
		size_t nc = need * 2;
		char *nq = realloc(*q, nc);
		if (nq == NULL)
			return -1;
		*q = nq;
		*cap = nc;
	}
	char *o = *q + *len;
	if (*len > 0) {
		memcpy(o, " AND ", 5);
		o += 5;
	}
	*o++ = '"';
	for (size_t i = 0; i < wl; i++) {
		if (word[i] == '"')
			*o++ = '"';
		*o++ = word[i];
	}
	*o++ = '"';
	if (prefix)
		*o++ = '*';
	*o = '\0';
	*len = (size_t)(o - *q);
	return 0;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Most words in one search (each is a bound parameter of the fragment query). */
#define SEARCH_MAX_WORDS 32

/*
 * The cross-script part of a search: the skeletons of the search's words that
 * have two letters or more (shorter ones match too much to mean anything),
 * each as " skel " into *skel, pointed to by sword/slen, and the statement
 * that finds the people whose names or aliases hold every one of them.  No
 * such word: *nskel is 0 and nothing is built.
 */
static kist_err skeleton_query(const kist__index_view *v, const char *folded, char **skel,
                               char **qs, const char **sword, int *slen, int *nskel)
{
	static const char head[] = "SELECT id FROM temp.people_skel WHERE ";
	static const char word[] = "instr(skel, ?%d) > 0 AND ";
	static const char tail[] = "1 ORDER BY id";
	kist__skel *sk = NULL;
	kist_err err;
	size_t cap, len;

	*nskel = 0;
	if ((err = kist__skel_new(&sk)) != KIST_OK)
		return err;
	err = kist__skel_of(sk, folded, skel);
	kist__skel_free(sk);
	if (err != KIST_OK)
		return err;
	/* " a bc de " : each word runs from a space to the next, both kept. */
	for (const char *p = *skel; p[0] == ' ' && p[1] != '\0';) {
		const char *e = strchr(p + 1, ' ');
		if (e - p - 1 >= 2 && *nskel < SEARCH_MAX_WORDS) {
			sword[*nskel] = p;
			slen[(*nskel)++] = (int)(e - p + 1);
		}
		p = e;
	}
	if (*nskel == 0)
		return KIST_OK;
	if ((err = ensure_search(v, SEARCH_SKEL)) != KIST_OK)
		return err;
	cap = sizeof head + (size_t)*nskel * (sizeof word + 4) + sizeof tail;
	if ((*qs = malloc(cap)) == NULL)
		return kist__nomem();
	len = (size_t)snprintf(*qs, cap, "%s", head);
	for (int i = 0; i < *nskel; i++)
		len += (size_t)snprintf(*qs + len, cap - len, word, i + 1);
	snprintf(*qs + len, cap - len, "%s", tail);
	return KIST_OK;
}

/* Every person, in id order (a search of nothing). */
static kist_err emit_all(const kist__index_view *v, kist_person_fn fn, void *ctx)
{
	kist_err err = KIST_OK;
	for (size_t id = 1; id <= v->people; id++) {
		int r = emit_person(v, (sqlite3_int64)id, 0, fn, ctx, &err);
		if (r != 0)
			return r < 0 ? err : KIST_OK;
	}
	return KIST_OK;
}

/*
 * Cuts folded into at most SEARCH_MAX_WORDS words (word, wlen) and builds the
 * FTS5 query *qw that wants each of them as a word or a word's beginning.
 * *grams becomes 0 if a word is shorter than a fragment (three characters).
 */
static kist_err search_words(char *folded, const char **word, int *wlen, int *nwords, char **qw,
                             int *grams)
{
	size_t lw = 0, cw = 0;
	for (char *p = folded; *p != '\0';) {
		size_t skip = strspn(p, " \t\r\n");
		p += skip;
		size_t wl = strcspn(p, " \t\r\n");
		if (wl == 0)
			break;
		if (*nwords == SEARCH_MAX_WORDS)
			return kist__fail(KIST_E_ARG, "a search has at most %d words",
			                  SEARCH_MAX_WORDS);
		word[*nwords] = p;
		wlen[(*nwords)++] = (int)wl;
		if (add_phrase(qw, &lw, &cw, p, wl, 1) != 0)
			return kist__nomem();
		if (utf8_chars(p, wl) < 3)
			*grams = 0; /* fragments are three characters or more */
		p += wl;
	}
	return KIST_OK;
}

/*
 * The fragment query of nwords words: people whose folded text contains every
 * word, those with the first word in the name first, then in an alias.  A
 * scan with instr() costs less than building a trigram index for one search.
 */
static kist_err fragment_query(int nwords, char **qg)
{
	static const char frag_head[] = "SELECT rowid FROM temp.people_words WHERE ";
	static const char frag_word[] =
	    "instr(name || char(10) || aliases || char(10) || other, ?%d) > 0 AND ";
	static const char frag_tail[] = "1 ORDER BY instr(name, ?1) = 0, instr(aliases, ?1) = 0, "
	                                "rowid";
	size_t cg = sizeof frag_head + (size_t)nwords * (sizeof frag_word + 4) + sizeof frag_tail;
	if ((*qg = malloc(cg)) == NULL)
		return kist__nomem();
	size_t lg = (size_t)snprintf(*qg, cg, "%s", frag_head);
	for (int i = 0; i < nwords; i++)
		lg += (size_t)snprintf(*qg + lg, cg - lg, frag_word, i + 1);
	snprintf(*qg + lg, cg - lg, "%s", frag_tail);
	return KIST_OK;
}

/*
 * One phase of a search: runs sql with the nbind texts bound to ?1, ?2, ...
 * (a length of -1: up to the NUL) and emits the people it finds that no
 * earlier phase found.  *stop becomes 1 when fn stops the search.
 */
static kist_err search_phase(const kist__index_view *v, const char *sql, const char *const *bind,
                             const int *blen, int nbind, int approx, unsigned char *seen,
                             kist_person_fn fn, void *ctx, int *stop)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	int rc;
	if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) != SQLITE_OK)
		return kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(v->db));
	for (int i = 0; i < nbind; i++)
		sqlite3_bind_text(st, i + 1, bind[i], blen[i], SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(st, 0);
		if (id < 1 || (size_t)id > v->people || seen[id])
			continue;
		seen[id] = 1;
		int r = emit_person(v, id, approx, fn, ctx, &err);
		if (r != 0) {
			if (r > 0)
				err = KIST_OK;
			*stop = 1;
			goto out;
		}
	}
	/* A query FTS5 cannot parse (only punctuation, say) matches nobody;
	 * anything else (out of memory, an interruption) is an error. */
	if (rc != SQLITE_DONE && rc != SQLITE_ERROR)
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(v->db));
out:
	sqlite3_finalize(st);
	return err;
}

kist_err kist__index_people(const kist__index_view *v, const char *search, kist_person_fn fn,
                            void *ctx)
{
	char *folded = NULL, *qw = NULL, *qg = NULL;
	const char *word[SEARCH_MAX_WORDS];
	int wlen[SEARCH_MAX_WORDS];
	int nwords = 0;
	unsigned char *seen = NULL;
	kist_err err = KIST_OK;
	int grams = 1, stop = 0;
	char *qs = NULL, *skel = NULL;
	const char *sword[SEARCH_MAX_WORDS];
	int slen[SEARCH_MAX_WORDS];
	int nskel = 0;

	if (v->people == 0)
		return KIST_OK;
	if (search == NULL || strspn(search, " \t\r\n") == strlen(search))
		return emit_all(v, fn, ctx);
	if (!kist__utf8_valid((const unsigned char *)search, strlen(search)))
		return kist__fail(KIST_E_ARG, "the search text is not valid UTF-8");
	if (strlen(search) > KIST_MAX_FIELD_BYTES)
		return kist__fail(KIST_E_ARG, "the search text is longer than %d bytes",
		                  KIST_MAX_FIELD_BYTES);
	kist__sql_cap_enter(); /* left at out */
	if ((err = ensure_search(v, SEARCH_WORDS)) != KIST_OK)
		goto out;
	folded = kist__fold(search);
	seen = calloc(v->people + 1, 1);
	if (folded == NULL || seen == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = search_words(folded, word, wlen, &nwords, &qw, &grams)) != KIST_OK)
		goto out;
	if (nwords == 0)
		goto out; /* only characters that folding drops (tatweel, harakat): nobody */
	/*
	 * Whole words and word beginnings first, ranked with bm25 (names weigh
	 * most); then the fragments; then the cross-script skeletons.
	 */
	if ((err = fragment_query(nwords, &qg)) != KIST_OK)
		goto out;
	if ((err = skeleton_query(v, folded, &skel, &qs, sword, slen, &nskel)) != KIST_OK)
		goto out;
	const char *qwp = qw;
	int qwl = -1;
	err = search_phase(v,
	                   "SELECT rowid FROM temp.people_words WHERE people_words MATCH ? ORDER "
	                   "BY bm25(people_words, 10.0, 5.0, 1.0), rowid",
	                   &qwp, &qwl, 1, 0, seen, fn, ctx, &stop);
	if (err == KIST_OK && !stop && grams)
		err = search_phase(v, qg, word, wlen, nwords, 0, seen, fn, ctx, &stop);
	if (err == KIST_OK && !stop && nskel != 0)
		err = search_phase(v, qs, sword, slen, nskel, 1, seen, fn, ctx, &stop);
out:
	kist__sql_cap_leave();
	if (folded != NULL) {
		sodium_memzero(folded, strlen(folded));
		free(folded);
	}
	if (qw != NULL)
		sodium_memzero(qw, strlen(qw));
	free(qw);
	free(qg);
	free(qs);
	if (skel != NULL)
		sodium_memzero(skel, strlen(skel));
	free(skel);
	free(seen);
	return err;
}

kist_err kist__index_person_find(const kist__index_view *v, const char *name_or_id,
                                 kist_person_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	char *want = NULL, shown[96], ids[160];
	sqlite3_int64 found = 0;
	size_t matches = 0, il = 0;
	kist_err err = KIST_OK;
	if (name_or_id == NULL)
		return kist__fail(KIST_E_ARG, "no person named");
	const char *digits = name_or_id[0] == '#' ? name_or_id + 1 : name_or_id;

	kist__printable(shown, sizeof shown, name_or_id);
	if (digits[0] != '\0' && strspn(digits, "0123456789") == strlen(digits) &&
	    strlen(digits) < 12) {
		long long id = atoll(digits);
		if (id < 1 || (size_t)id > v->people)
			return kist__fail(KIST_E_NOTFOUND, "no person #%s in the vault", digits);
		int r = emit_person(v, id, 0, fn, ctx, &err);
		return r < 0 ? err : KIST_OK;
	}
	if (v->people == 0)
		return kist__fail(KIST_E_NOTFOUND, "the vault has no people register");
	want = kist__fold(name_or_id);
	if (want == NULL)
		return kist__nomem();
	ids[0] = '\0';
	if (sqlite3_prepare_v2(v->db, "SELECT id, name FROM people ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK) {
		err = kist__fail(KIST_E_NOMEM, "people: %s", sqlite3_errmsg(v->db));
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *f = kist__fold(col_text(st, 1));
		if (f == NULL) {
			err = kist__nomem();
			goto out;
		}
		if (strcmp(f, want) == 0) {
			found = sqlite3_column_int64(st, 0);
			matches++;
			if (il + 24 < sizeof ids)
				il += (size_t)snprintf(ids + il, sizeof ids - il, "%s#%lld",
				                       il ? ", " : "", (long long)found);
		}
		sodium_memzero(f, strlen(f));
		free(f);
	}
	if (matches == 0) {
		err = kist__fail(KIST_E_NOTFOUND, "nobody named \"%s\" in the register", shown);
	} else if (matches > 1) {
		err = kist__fail(KIST_E_ARG, "%zu people are named \"%s\" (%s): give an id",
		                 matches, shown, ids);
	} else {
		int r = emit_person(v, found, 0, fn, ctx, &err);
		if (r >= 0)
			err = KIST_OK;
	}
out:
	sqlite3_finalize(st);
	sodium_memzero(want, strlen(want));
	free(want);
	return err;
}

/* ---- SQL */

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

/*
 * Prepares sql into *stp under the authorizer and checks that it is one
 * read-only query.  On failure *stp may hold a statement to finalize.
 */
static kist_err query_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stp)
{
	const char *tail = NULL;
	auth_state as;

	memset(&as, 0, sizeof as);
	sqlite3_set_authorizer(db, authorize, &as);
	int rc = sqlite3_prepare_v2(db, sql, -1, stp, &tail);
	sqlite3_set_authorizer(db, NULL, NULL);
	if (rc != SQLITE_OK) {
		if (as.refused[0] != '\0')
			return kist__fail(KIST_E_ARG, "refused: %s (kist query only reads)",
			                  as.refused);
		return kist__fail(KIST_E_ARG, "%s", sqlite3_errmsg(db));
	}
	if (*stp == NULL)
		return kist__fail(KIST_E_ARG, "the query is empty");
	/* One statement only: what follows may be blanks, semicolons and comments. */
	for (const char *t = tail; t != NULL && *t != '\0';) {
		t = skip_blanks(t, 0);
		if (*t == ';')
			t++;
		else if (*t != '\0')
			return kist__fail(KIST_E_ARG, "refused: give one SQL statement at a time");
	}
	if (!is_query(sql)) {
		char word[32], shown[128];
		const char *t = skip_blanks(sql, 1);
		size_t n = strcspn(t, " \t\r\n;(");
		snprintf(word, sizeof word, "%.*s", (int)(n < 24 ? n : 24), t);
		kist__printable(shown, sizeof shown, word);
		return kist__fail(
		    KIST_E_ARG,
		    "refused: %s (kist query runs SELECT, WITH and VALUES queries only)", shown);
	}
	if (!sqlite3_stmt_readonly(*stp))
		return kist__fail(KIST_E_ARG, "refused: the statement would change the database "
		                              "(kist query only reads)");
	return KIST_OK;
}

/* The values of the row st stands on, as kist_values pointing into st. */
static void row_values(sqlite3_stmt *st, kist_value *vals, int ncols)
{
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
}

kist_err kist__index_query(const kist__index_view *v, const char *sql, kist_row_fn fn, void *ctx)
{
	sqlite3 *db = v->db;
	sqlite3_stmt *st = NULL;
	const char **names = NULL;
	kist_value *vals = NULL;
	kist_err err;

	size_t sql_len = sql != NULL ? strnlen(sql, (1u << 20) + 1) : 0;
	if (sql_len > (1u << 20))
		return kist__fail(KIST_E_LIMIT, "the query is longer than 1 MiB");
	if (sql == NULL || !kist__utf8_valid((const unsigned char *)sql, sql_len))
		return kist__fail(KIST_E_ARG, "the query is not valid UTF-8 text");
	/* The people search tables may be used in queries (MATCH). */
	if ((err = prepare_search(v, sql)) != KIST_OK)
		return err;

	if ((err = query_prepare(db, sql, &st)) != KIST_OK)
		goto out;
	int ncols = sqlite3_column_count(st);
	names = calloc((size_t)ncols + 1, sizeof *names);
	vals = calloc((size_t)ncols + 1, sizeof *vals);
	if (names == NULL || vals == NULL) {
		err = kist__nomem();
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
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_values(st, vals, ncols);
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
