/*
 * Read-only reads of an opened vault's index: the people search and lookup,
 * and SQL for legal teams.  vault.c hands over what they read as a
 * kist__index_view; they never see struct kist_vault.
 *
 * People search is one scan of the people's folded text (kist__fold), with
 * FTS5's unicode61 tokenizer cutting words as people_words does and FTS5's
 * bm25 ranking them: nothing is built for it.  For kist query, SQLite FTS5
 * tables of the folded text (people_words, people_grams) are built in
 * memory (in the "temp" schema) when a query names them, from the validated
 * tables: nothing of FTS5's own storage is ever read from a vault.
 *
 * The SQL of kist_vault_query:  The index is
 * already a read-only in-memory image (query_only, defensive); on top of
 * that an authorizer allows nothing but reading while the statement is
 * prepared, the statement must be one and read-only, memory is capped and
 * kist_interrupt() stops it.
 */
#include "index/index.h"
#include "os/os.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
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

/* The statements that build the search tables of want (kist__index_view.search_ready). */
typedef struct search_stmts {
	sqlite3_stmt *rd, *fx, *w, *g;
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
	                        &s->g, NULL) != SQLITE_OK))
		return -1;
	return 0;
}

/*
 * Inserts person id's folded texts into the search tables s builds: name and
 * aliases, other (the rest), all (the three, one per line).  0 if an insert
 * failed.
 */
static int search_insert(const search_stmts *s, sqlite3_int64 id, char *fold[4], const char *other,
                         const char *all)
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
	return ok;
}

/* The search rows of the person s->rd stands on.  fold[] is wiped and freed here,
 * or left for the caller to wipe if this fails early. */
static kist_err search_row(sqlite3 *db, const search_stmts *s, char *fold[4])
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
	int ok = search_insert(s, id, fold, other, all);
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
	search_stmts s = {NULL, NULL, NULL, NULL};
	char *fold[4] = {NULL, NULL, NULL, NULL};
	kist_err err = KIST_OK;

	want &= ~*v->search_ready;
	if (want == 0)
		return KIST_OK;
	/* Bounded like a query: a huge register cannot take all memory. */
	kist__sql_cap_enter();
	sqlite3_exec(db, "PRAGMA query_only=OFF", NULL, NULL, NULL);
	if (search_prepare(db, want, &s) != 0) {
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(s.rd) == SQLITE_ROW)
		if ((err = search_row(db, &s, fold)) != KIST_OK)
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
	unsigned want = (kist__os_strcasestr(sql, "people_words") ? SEARCH_WORDS : 0) |
	                (kist__os_strcasestr(sql, "people_grams") ? SEARCH_GRAMS : 0);
	return v->schema_version >= 2 ? ensure_search(v, want) : KIST_OK;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* Most words in one search. */
#define SEARCH_MAX_WORDS 32
/* FTS5 cuts longer tokens to this many bytes, in text and in queries alike. */
#define FTS5_MAX_TOKEN 32768

/*
 * The search is one scan of the people's folded text; nothing is built in
 * SQLite.  It finds and ranks what a MATCH on people_words (built for kist
 * query, below) would: words are cut by FTS5's own unicode61 tokenizer with
 * the table's options, and the rank is FTS5's bm25() computed the same way
 * (docs/INDEX.md).  Building the FTS5 index for one search cost 100 to 200
 * times the scan (bench/fts_vs_scan.c).
 */

/* Grows the secret buffer *buf, used bytes of it in use, to hold need bytes:
 * the old copy is wiped and freed (never realloc'd).  0, or -1. */
static int grow_secret(char **buf, size_t *cap, size_t used, size_t need)
{
	size_t nc = *cap ? *cap : 4096;
	if (need <= *cap)
		return 0;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return -1;
		nc *= 2;
	}
	char *nb = malloc(nc);
	if (nb == NULL)
		return -1;
	if (used > 0)
		memcpy(nb, *buf, used);
	if (*buf != NULL) {
		sodium_memzero(*buf, used);
		free(*buf);
	}
	*buf = nb;
	*cap = nc;
	return 0;
}

/* Room for n + 1 elements of size sz in *a of *cap: 0, or -1. */
static int grow_array(void **a, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 64;
	if (nc > SIZE_MAX / sz)
		return -1;
	void *na = realloc(*a, nc * sz);
	if (na == NULL)
		return -1;
	*a = na;
	*cap = nc;
	return 0;
}

/* Tokens as the tokenizer gave them: token k is b[off[k]..off[k]+len[k]). */
typedef struct toks {
	char *b;
	size_t blen, bcap;
	size_t *off, *len;
	size_t n, cap, lcap;
} toks;

static void toks_free(toks *t)
{
	if (t->b != NULL)
		sodium_memzero(t->b, t->bcap);
	free(t->b);
	free(t->off);
	free(t->len);
	memset(t, 0, sizeof *t);
}

static int on_token(void *ctx, int tflags, const char *tok, int n, int start, int end)
{
	toks *t = ctx;
	(void)tflags; /* unicode61 gives no colocated tokens */
	(void)start;
	(void)end;
	size_t len = n < 0 ? 0 : n > FTS5_MAX_TOKEN ? FTS5_MAX_TOKEN : (size_t)n;
	if (grow_secret(&t->b, &t->bcap, t->blen, t->blen + len + 1) != 0 ||
	    grow_array((void **)&t->off, &t->cap, t->n, sizeof *t->off) != 0 ||
	    grow_array((void **)&t->len, &t->lcap, t->n, sizeof *t->len) != 0)
		return SQLITE_NOMEM;
	memcpy(t->b + t->blen, tok, len);
	t->off[t->n] = t->blen;
	t->len[t->n++] = len;
	t->blen += len;
	return SQLITE_OK;
}

/* A person's folded text t[0..len): name \n aliases \n other, NUL-ended. */
typedef struct scan_row {
	sqlite3_int64 id;
	char *t;
	size_t nlen, alen, len;
} scan_row;

/* Blocks of folded text, never moved once written (no copy as they grow). */
#define SCAN_BLOCK (1u << 20)
typedef struct text_block {
	char *p;
	size_t used, cap;
} text_block;

typedef struct scan {
	text_block *blk;
	size_t nblk, bcap;
	scan_row *row;
	size_t n, rcap;
	fts5_tokenizer tk; /* FTS5's unicode61, as people_words is made */
	Fts5Tokenizer *tok;
	toks col; /* the tokens of one column */
} scan;

static void scan_free(scan *sc)
{
	for (size_t b = 0; b < sc->nblk; b++) {
		sodium_memzero(sc->blk[b].p, sc->blk[b].used);
		free(sc->blk[b].p);
	}
	free(sc->blk);
	free(sc->row);
	if (sc->tok != NULL)
		sc->tk.xDelete(sc->tok);
	toks_free(&sc->col);
}

/* Room for need bytes of text: a pointer to them, or NULL. */
static char *scan_room(scan *sc, size_t need)
{
	text_block *b = sc->nblk ? &sc->blk[sc->nblk - 1] : NULL;
	if (b != NULL && b->cap - b->used >= need)
		return b->p + b->used;
	if (grow_array((void **)&sc->blk, &sc->bcap, sc->nblk, sizeof *sc->blk) != 0)
		return NULL;
	b = &sc->blk[sc->nblk];
	b->cap = need > SCAN_BLOCK ? need : SCAN_BLOCK;
	b->used = 0;
	if ((b->p = malloc(b->cap)) == NULL)
		return NULL;
	sc->nblk++;
	return b->p;
}

/* FTS5's unicode61 tokenizer with people_words' options. */
static kist_err scan_tokenizer(sqlite3 *db, scan *sc)
{
	const char *args[] = {"remove_diacritics", "2", "categories", "L* N* Co M*"};
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	void *ud = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (api == NULL || api->iVersion < 2 ||
	    api->xFindTokenizer(api, "unicode61", &ud, &sc->tk) != SQLITE_OK ||
	    sc->tk.xCreate(ud, args, 4, &sc->tok) != SQLITE_OK) {
		sc->tok = NULL;
		return kist__fail(KIST_E_NOMEM,
		                  "people search: SQLite's FTS5 tokenizer is missing");
	}
	return KIST_OK;
}

/* Tokenizes text[0..len) into t (emptied first): 0, or -1. */
static int tokenize(scan *sc, toks *t, int flags, const char *text, size_t len)
{
	if (len > INT_MAX)
		return -1;
	t->n = 0;
	t->blen = 0;
	return sc->tk.xTokenize(sc->tok, t, flags, text, (int)len, on_token) == SQLITE_OK ? 0 : -1;
}

/* What people_words holds: name; aliases; relation, born, location, status,
 * contact, notes and the extra fields' values, a space between each. */
#define SCAN_COLS 9
static const char scan_sql[] =
    "SELECT id, name, aliases, relation, born, location, status, contact, notes, (SELECT "
    "group_concat(value, ' ') FROM person_fields WHERE person_id = people.id) FROM people "
    "ORDER BY id";

/* Appends the folded texts of the row st stands on to sc (folding is per
 * character, so fold(a || ' ' || b) is fold(a) ' ' fold(b)). */
static kist_err scan_row_add(scan *sc, sqlite3_stmt *st)
{
	const char *src[SCAN_COLS];
	size_t sl[SCAN_COLS], need = 1;
	for (int k = 0; k < SCAN_COLS; k++) {
		src[k] = col_text(st, k + 1);
		sl[k] = src[k] != NULL ? strlen(src[k]) : 0;
		need += 2 * sl[k] + 1;
	}
	char *o = scan_room(sc, need);
	if (o == NULL || grow_array((void **)&sc->row, &sc->rcap, sc->n, sizeof *sc->row) != 0)
		return kist__nomem();
	scan_row *r = &sc->row[sc->n++];
	size_t at = 0;
	r->id = sqlite3_column_int64(st, 0);
	r->t = o;
	for (int k = 0; k < SCAN_COLS; k++) {
		size_t n = kist__fold_to(o + at, src[k] ? src[k] : "", sl[k]);
		if (k == 0)
			r->nlen = n;
		else if (k == 1)
			r->alen = n;
		at += n;
		o[at++] = k < 2 ? '\n' : k + 1 < SCAN_COLS ? ' ' : '\0';
	}
	r->len = at - 1;
	sc->blk[sc->nblk - 1].used += at;
	return KIST_OK;
}

/* Folds every person's texts into sc, in id order. */
static kist_err scan_load(sqlite3 *db, scan *sc)
{
	sqlite3_stmt *st = NULL;
	kist_err err = KIST_OK;
	int rc;
	if (sqlite3_prepare_v2(db, scan_sql, -1, &st, NULL) != SQLITE_OK)
		return kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((err = scan_row_add(sc, st)) != KIST_OK)
			break;
	if (err == KIST_OK && rc != SQLITE_DONE)
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return err;
}

/* The search's words: each a phrase of one or more tokens, the last a prefix. */
typedef struct phrases {
	int n;
	size_t first[SEARCH_MAX_WORDS], ntok[SEARCH_MAX_WORDS];
	toks t;
} phrases;

/* Cuts each word with the tokenizer, as FTS5 reads the query "w1"* AND "w2"* ... */
static kist_err phrases_make(scan *sc, phrases *p, const char *const *word, const int *wlen,
                             int nwords)
{
	toks one;
	memset(&one, 0, sizeof one);
	p->n = nwords;
	for (int i = 0; i < nwords; i++) {
		if (tokenize(sc, &one, FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX, word[i],
		             (size_t)wlen[i]) != 0) {
			toks_free(&one);
			return kist__nomem();
		}
		p->first[i] = p->t.n;
		p->ntok[i] = one.n;
		for (size_t k = 0; k < one.n; k++)
			if (on_token(&p->t, 0, one.b + one.off[k], (int)one.len[k], 0, 0) !=
			    SQLITE_OK) {
				toks_free(&one);
				return kist__nomem();
			}
	}
	toks_free(&one);
	return KIST_OK;
}

/* How often phrase i occurs in the tokens of c: every token equal, the last a
 * beginning of its token (FTS5's prefix query). */
static unsigned phrase_count(const phrases *p, int i, const toks *c)
{
	size_t k0 = p->first[i], nk = p->ntok[i];
	unsigned hits = 0;
	for (size_t at = 0; at + nk <= c->n; at++) {
		size_t k = 0;
		for (; k < nk; k++) {
			size_t ql = p->t.len[k0 + k], tl = c->len[at + k];
			if (k + 1 < nk ? tl != ql : tl < ql)
				break;
			if (memcmp(p->t.b + p->t.off[k0 + k], c->b + c->off[at + k], ql) != 0)
				break;
		}
		hits += k == nk;
	}
	return hits;
}

/* A person who has every phrase: id, tokens in the row, weighted frequencies. */
typedef struct word_hit {
	sqlite3_int64 id;
	double score;
} word_hit;

static int cmp_word_hit(const void *a, const void *b)
{
	const word_hit *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* Per-row state of the word phase. */
typedef struct word_scan {
	sqlite3_int64 total;                  /* tokens in all rows */
	sqlite3_int64 nhit[SEARCH_MAX_WORDS]; /* rows with phrase i */
	word_hit *hit;                        /* rows with every phrase */
	double *freq;                         /* nhit x n weighted frequencies */
	int *ntok;                            /* tokens in each hit row */
	size_t nh, hcap, fcap, tcap;
} word_scan;

/* Adds row r to w: its token count, which phrases it has, and if all, a hit. */
static kist_err word_row(scan *sc, const phrases *p, const scan_row *r, word_scan *w)
{
	static const double weight[3] = {10.0, 5.0, 1.0}; /* bm25(people_words, 10, 5, 1) */
	const char *t = r->t;
	const char *col[3] = {t, t + r->nlen + 1, t + r->nlen + 1 + r->alen + 1};
	size_t clen[3] = {r->nlen, r->alen, r->len - r->nlen - r->alen - 2};
	double freq[SEARCH_MAX_WORDS] = {0};
	uint64_t has = 0;
	size_t ntok = 0;
	for (int c = 0; c < 3; c++) {
		if (tokenize(sc, &sc->col, FTS5_TOKENIZE_DOCUMENT, col[c], clen[c]) != 0)
			return kist__nomem();
		ntok += sc->col.n;
		for (int i = 0; i < p->n; i++) {
			unsigned k = phrase_count(p, i, &sc->col);
			for (unsigned j = 0; j < k; j++)
				freq[i] += weight[c];
			if (k > 0)
				has |= 1ull << i;
		}
	}
	w->total += (sqlite3_int64)ntok;
	for (int i = 0; i < p->n; i++)
		w->nhit[i] += (has >> i) & 1;
	if (has != (p->n == 64 ? ~0ull : (1ull << p->n) - 1))
		return KIST_OK;
	if (grow_array((void **)&w->hit, &w->hcap, w->nh, sizeof *w->hit) != 0 ||
	    grow_array((void **)&w->ntok, &w->tcap, w->nh, sizeof *w->ntok) != 0 ||
	    grow_array((void **)&w->freq, &w->fcap, (w->nh + 1) * (size_t)p->n, sizeof *w->freq) !=
	        0)
		return kist__nomem();
	w->hit[w->nh].id = r->id;
	w->ntok[w->nh] = (int)ntok;
	memcpy(w->freq + w->nh * (size_t)p->n, freq, (size_t)p->n * sizeof *freq);
	w->nh++;
	return KIST_OK;
}

/* FTS5's bm25 of each hit (fts5_aux.c, fts5Bm25Function), term for term, so
 * that the ranks and their ties are the same. */
static void word_scores(word_scan *w, int nphrase, sqlite3_int64 nrow)
{
	const double k1 = 1.2, b = 0.75;
	double idf[SEARCH_MAX_WORDS];
	double avgdl = (double)w->total / (double)nrow;
	for (int i = 0; i < nphrase; i++) {
		idf[i] = log((nrow - w->nhit[i] + 0.5) / (w->nhit[i] + 0.5));
		if (idf[i] <= 0.0)
			idf[i] = 1e-6;
	}
	for (size_t h = 0; h < w->nh; h++) {
		const double *f = w->freq + h * (size_t)nphrase;
		double D = (double)w->ntok[h], score = 0.0;
		for (int i = 0; i < nphrase; i++)
			score +=
			    idf[i] * ((f[i] * (k1 + 1.0)) / (f[i] + k1 * (1 - b + b * D / avgdl)));
		w->hit[h].score = -1.0 * score;
	}
	if (w->nh > 1)
		qsort(w->hit, w->nh, sizeof *w->hit, cmp_word_hit);
}

/* What the phases share: the view, the callback, who was listed. */
typedef struct search_ctx {
	const kist__index_view *v;
	kist_person_fn fn;
	void *ctx;
	unsigned char *seen;
	int stop;
} search_ctx;

/* Lists person id unless an earlier phase did: KIST_OK (x->stop set when fn
 * stops the search), or the error. */
static kist_err search_emit(search_ctx *x, sqlite3_int64 id, int approx)
{
	kist_err err = KIST_OK;
	if (id < 1 || (size_t)id > x->v->people || x->seen[id])
		return KIST_OK;
	x->seen[id] = 1;
	int r = emit_person(x->v, id, approx, x->fn, x->ctx, &err);
	if (r != 0) {
		x->stop = 1;
		return r > 0 ? KIST_OK : err;
	}
	return KIST_OK;
}

/* Whole words and word beginnings, ranked with bm25 (names weigh most). */
static kist_err words_phase(scan *sc, search_ctx *x, const char *const *word, const int *wlen,
                            int nwords)
{
	phrases p;
	word_scan w;
	kist_err err = KIST_OK;
	memset(&p, 0, sizeof p);
	memset(&w, 0, sizeof w);
	if ((err = phrases_make(sc, &p, word, wlen, nwords)) != KIST_OK)
		goto out;
	for (int i = 0; i < nwords; i++)
		if (p.ntok[i] == 0)
			goto out; /* a word of no token (punctuation): FTS5 matches nobody */
	for (size_t k = 0; k < sc->n; k++)
		if ((err = word_row(sc, &p, &sc->row[k], &w)) != KIST_OK)
			goto out;
	word_scores(&w, nwords, (sqlite3_int64)sc->n);
	for (size_t h = 0; h < w.nh && !x->stop && err == KIST_OK; h++)
		err = search_emit(x, w.hit[h].id, 0);
out:
	toks_free(&p.t);
	free(w.hit);
	free(w.freq);
	free(w.ntok);
	return err;
}

/* A person whose folded text holds every word: by the first word in the name,
 * then in an alias, then id. */
typedef struct frag_hit {
	int rank;
	sqlite3_int64 id;
} frag_hit;

static int cmp_frag_hit(const void *a, const void *b)
{
	const frag_hit *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return (x->id > y->id) - (x->id < y->id);
}

/* Fragments: every word anywhere in the folded text (instr() over people_words
 * did this; a trigram index costs more to build than one scan). */
static kist_err fragments_phase(scan *sc, search_ctx *x, const char *const *word, const int *wlen,
                                int nwords)
{
	frag_hit *hit = NULL;
	size_t nh = 0, cap = 0;
	kist_err err = KIST_OK;
	for (size_t k = 0; k < sc->n; k++) {
		const scan_row *r = &sc->row[k];
		const char *t = r->t;
		int all = 1;
		for (int i = 0; i < nwords && all; i++)
			all = kist__os_memmem(t, r->len, word[i], (size_t)wlen[i]) != NULL;
		if (!all || x->seen[r->id >= 1 && (size_t)r->id <= x->v->people ? r->id : 0])
			continue;
		if (grow_array((void **)&hit, &cap, nh, sizeof *hit) != 0) {
			err = kist__nomem();
			goto out;
		}
		int in_name = kist__os_memmem(t, r->nlen, word[0], (size_t)wlen[0]) != NULL;
		int in_alias =
		    kist__os_memmem(t + r->nlen + 1, r->alen, word[0], (size_t)wlen[0]) != NULL;
		hit[nh].rank = (!in_name) * 2 + !in_alias;
		hit[nh++].id = r->id;
	}
	if (nh > 1)
		qsort(hit, nh, sizeof *hit, cmp_frag_hit);
	for (size_t h = 0; h < nh && !x->stop && err == KIST_OK; h++)
		err = search_emit(x, hit[h].id, 0);
out:
	free(hit);
	return err;
}

/*
 * Across scripts: the people whose names' and aliases' skeletons hold the
 * skeleton of every search word of two letters or more (shorter ones match
 * too much to mean anything), in id order, marked approximate.
 */
static kist_err skeleton_phase(scan *sc, search_ctx *x, const char *folded)
{
	const char *sword[SEARCH_MAX_WORDS];
	size_t slen[SEARCH_MAX_WORDS];
	int nskel = 0;
	char *qskel = NULL, *skel = NULL;
	kist__skel *sk = NULL;
	kist_err err;

	if ((err = kist__skel_new(&sk)) != KIST_OK ||
	    (err = kist__skel_of(sk, folded, &qskel)) != KIST_OK)
		goto out;
	/* " a bc de " : each word runs from a space to the next, both kept. */
	for (const char *p = qskel; p[0] == ' ' && p[1] != '\0';) {
		const char *e = strchr(p + 1, ' ');
		if (e - p - 1 >= 2 && nskel < SEARCH_MAX_WORDS) {
			sword[nskel] = p;
			slen[nskel++] = (size_t)(e - p + 1);
		}
		p = e;
	}
	for (size_t k = 0; k < sc->n && nskel > 0 && !x->stop; k++) {
		const scan_row *r = &sc->row[k];
		char *t = r->t, *cut = t + r->nlen + 1 + r->alen;
		*cut = '\0'; /* names and aliases only */
		err = kist__skel_of(sk, t, &skel);
		*cut = '\n';
		if (err != KIST_OK)
			goto out;
		int all = 1;
		for (int i = 0; i < nskel && all; i++)
			all = kist__os_memmem(skel, strlen(skel), sword[i], slen[i]) != NULL;
		sodium_memzero(skel, strlen(skel));
		free(skel);
		skel = NULL;
		if (all && (err = search_emit(x, r->id, 1)) != KIST_OK)
			goto out;
	}
out:
	if (qskel != NULL)
		sodium_memzero(qskel, strlen(qskel));
	free(qskel);
	kist__skel_free(sk);
	return err;
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
 * Cuts folded into at most SEARCH_MAX_WORDS words (word, wlen).  *grams
 * becomes 0 if a word is shorter than a fragment (three characters).
 */
static kist_err search_words(char *folded, const char **word, int *wlen, int *nwords, int *grams)
{
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
		if (utf8_chars(p, wl) < 3)
			*grams = 0; /* fragments are three characters or more */
		p += wl;
	}
	return KIST_OK;
}

/* The three phases over the scan, in order; each lists only people not listed yet. */
static kist_err search_scan(const kist__index_view *v, char *folded, kist_person_fn fn, void *ctx)
{
	const char *word[SEARCH_MAX_WORDS];
	int wlen[SEARCH_MAX_WORDS];
	int nwords = 0, grams = 1;
	search_ctx x = {v, fn, ctx, NULL, 0};
	scan sc;
	kist_err err;

	memset(&sc, 0, sizeof sc);
	if ((err = search_words(folded, word, wlen, &nwords, &grams)) != KIST_OK)
		return err;
	if (nwords == 0)
		return KIST_OK; /* only characters that folding drops (tatweel, harakat): nobody */
	if ((x.seen = calloc(v->people + 1, 1)) == NULL)
		return kist__nomem();
	if ((err = scan_tokenizer(v->db, &sc)) != KIST_OK ||
	    (err = scan_load(v->db, &sc)) != KIST_OK)
		goto out;
	err = words_phase(&sc, &x, word, wlen, nwords);
	if (err == KIST_OK && !x.stop && grams)
		err = fragments_phase(&sc, &x, word, wlen, nwords);
	if (err == KIST_OK && !x.stop)
		err = skeleton_phase(&sc, &x, folded);
out:
	scan_free(&sc);
	free(x.seen);
	return err;
}

kist_err kist__index_people(const kist__index_view *v, const char *search, kist_person_fn fn,
                            void *ctx)
{
	char *folded = NULL;
	kist_err err;

	if (v->people == 0)
		return KIST_OK;
	if (search == NULL || strspn(search, " \t\r\n") == strlen(search))
		return emit_all(v, fn, ctx);
	if (!kist__utf8_valid((const unsigned char *)search, strlen(search)))
		return kist__fail(KIST_E_ARG, "the search text is not valid UTF-8");
	if (strlen(search) > KIST_MAX_FIELD_BYTES)
		return kist__fail(KIST_E_ARG, "the search text is longer than %d bytes",
		                  KIST_MAX_FIELD_BYTES);
	if ((folded = kist__fold(search)) == NULL)
		return kist__nomem();
	kist__sql_cap_enter();
	err = search_scan(v, folded, fn, ctx);
	kist__sql_cap_leave();
	sodium_memzero(folded, strlen(folded));
	free(folded);
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
