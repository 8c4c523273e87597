/*
 * The people register of an opened vault: validation of the people tables
 * of a loaded index, search, and lookup by id or name.
 *
 * Search uses an SQLite FTS5 index built in memory (in the "temp" schema)
 * when first needed, from the validated tables: nothing of FTS5's own storage
 * is ever read from a vault.  A trigram index is built only for queries that
 * name it.  Text is folded (kist__fold) before it is indexed and before it is
 * searched.
 */
#include "people/people.h"
#include "vault/vault.h" /* TEMPORARY: struct kist_vault (issue 14, step 3) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

/* ---- folding */

/* Latin letters with diacritics, U+00C0..U+024F, to their base letters ("" keeps). */
static const char *const latin_fold[0x250 - 0xc0] = {
#include "fold_latin.inc"
};

/* Case (and, for U+1E00..U+1EFF, diacritics) of every other letter, sorted. */
static const struct {
	uint32_t from, to;
} fold_extra[] = {
#include "fold_extra.inc"
};

static uint32_t fold_extra_lookup(uint32_t cp)
{
	size_t lo = 0, hi = sizeof fold_extra / sizeof fold_extra[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fold_extra[mid].from == cp)
			return fold_extra[mid].to;
		if (fold_extra[mid].from < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *kist__fold(const char *s)
{
	size_t len = strlen(s);
	/* Folding never lengthens a character by more than 2 bytes ("ß" -> "ss" is 2 -> 2). */
	char *out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0, i = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (i < len) {
		uint32_t cp;
		size_t n = kist__utf8_next(u + i, len - i, &cp);
		if (n == 0) { /* not UTF-8 (validated text never gets here): keep the byte */
			out[o++] = (char)u[i++];
			continue;
		}
		i += n;
		if (cp >= 'A' && cp <= 'Z') {
			out[o++] = (char)(cp + 32);
			continue;
		}
		if (cp >= 0xc0 && cp < 0x250 && latin_fold[cp - 0xc0][0] != '\0') {
			const char *f = latin_fold[cp - 0xc0];
			size_t fl = strlen(f);
			memcpy(out + o, f, fl);
			o += fl;
			continue;
		}
		/* Arabic diacritics (harakat, superscript alef) and tatweel carry no letter. */
		if ((cp >= 0x064b && cp <= 0x065f) || cp == 0x0670 || cp == 0x0640)
			continue;
		/* Arabic and Persian keyboards write these letters differently. */
		if (cp == 0x0643) /* ARABIC LETTER KAF -> KEHEH */
			cp = 0x06a9;
		else if (cp == 0x064a || cp == 0x0649) /* YEH, ALEF MAKSURA -> FARSI YEH */
			cp = 0x06cc;
		else if (cp == 0x0622 || cp == 0x0623 || cp == 0x0625) /* alef with hamza/madda */
			cp = 0x0627;
		else if (cp == 0x0629) /* TEH MARBUTA -> HEH */
			cp = 0x0647;
		else if (cp >= 0x250)
			cp = fold_extra_lookup(cp); /* other scripts' capitals, Vietnamese ... */
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
	return out;
}

/* ---- validation of a loaded index */

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

kist_err kist__people_check(sqlite3 *db, size_t *count)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 n = 0, lo = 0, hi = 0, nent = 0, bad = 0, most = 0;
	kist_err err = kist__fail(KIST_E_CORRUPT, "index: malformed people tables");
	char sql[512];

	if (!kist__sql_int(db, "SELECT count(*) FROM people", &n) ||
	    !kist__sql_int(db, "SELECT count(*) FROM entries", &nent))
		return err;
	if (n > KIST_MAX_PEOPLE)
		return kist__fail(KIST_E_LIMIT, "index: more than %d people", KIST_MAX_PEOPLE);
	if (n > 0 && (!kist__sql_int(db, "SELECT min(id) FROM people", &lo) ||
	              !kist__sql_int(db, "SELECT max(id) FROM people", &hi) || lo != 1 || hi != n))
		return kist__fail(KIST_E_CORRUPT, "index: people ids are not 1 to %lld",
		                  (long long)n);
	/* Links and extra fields must point at existing people and entries. */
	snprintf(sql, sizeof sql,
	         "SELECT (SELECT count(*) FROM person_media WHERE typeof(person_id) <> 'integer' "
	         "OR typeof(entry_id) <> 'integer' OR person_id NOT BETWEEN 1 AND %lld OR "
	         "entry_id NOT BETWEEN 1 AND %lld) + (SELECT count(*) FROM person_fields WHERE "
	         "typeof(person_id) <> 'integer' OR person_id NOT BETWEEN 1 AND %lld)",
	         (long long)n, (long long)nent, (long long)n);
	if (!kist__sql_int(db, sql, &bad) || bad != 0)
		return kist__fail(KIST_E_CORRUPT, "index: a person link or field points nowhere");
	if (!kist__sql_int(db,
	                   "SELECT max(c) FROM (SELECT count(*) AS c FROM person_media GROUP BY "
	                   "person_id UNION ALL SELECT 0)",
	                   &most) ||
	    most > KIST_MAX_PERSON_MEDIA)
		return kist__fail(KIST_E_LIMIT, "index: a person has more than %d media",
		                  KIST_MAX_PERSON_MEDIA);
	if (!kist__sql_int(db,
	                   "SELECT max(c) FROM (SELECT count(*) AS c FROM person_fields GROUP BY "
	                   "person_id UNION ALL SELECT 0)",
	                   &most) ||
	    most > KIST_MAX_REGISTER_COLUMNS)
		return kist__fail(KIST_E_LIMIT, "index: a person has more than %d fields",
		                  KIST_MAX_REGISTER_COLUMNS);

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

/* ---- reading people */

size_t kist_vault_people_count(const kist_vault *v)
{
	return v->meta.people;
}

static const char *col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c); /* NULL for NULL */
}

/* Loads person id and calls fn.  Returns fn's result, or -1 with *err set. */
static int emit_person(kist_vault *v, sqlite3_int64 id, kist_person_fn fn, void *ctx, kist_err *err)
{
	sqlite3 *db = v->db;
	sqlite3_stmt *p = NULL, *f = NULL, *m = NULL;
	const char **names = NULL, **values = NULL;
	const kist_entry **media = NULL;
	size_t nf = 0, nm = 0;
	kist_person x;
	int r = -1;

	*err = kist__fail(KIST_E_NOMEM, "out of memory");
	if (sqlite3_prepare_v2(db,
	                       "SELECT name, aliases, relation, born, location, status, contact, "
	                       "notes FROM people WHERE id = ?",
	                       -1, &p, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT field, value FROM person_fields WHERE person_id = ? ORDER "
	                       "BY rowid",
	                       -1, &f, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT entry_id FROM person_media WHERE person_id = ? ORDER BY "
	                       "rowid",
	                       -1, &m, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(p, 1, id);
	sqlite3_bind_int64(f, 1, id);
	sqlite3_bind_int64(m, 1, id);
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
	r = fn(ctx, &x) != 0;
	*err = KIST_OK;
out:
	for (size_t k = 0; k < nf; k++) {
		if (names[k] != NULL) {
			sodium_memzero((char *)names[k], strlen(names[k]));
			free((char *)names[k]);
		}
		if (values[k] != NULL) {
			sodium_memzero((char *)values[k], strlen(values[k]));
			free((char *)values[k]);
		}
	}
	free(names);
	free(values);
	free(media);
	sqlite3_finalize(p);
	sqlite3_finalize(f);
	sqlite3_finalize(m);
	return r;
}

#define SEARCH_WORDS 1u /* temp.people_words: FTS5 unicode61, used by every search */
#define SEARCH_GRAMS 2u /* temp.people_grams: FTS5 trigram, only for kist query */

/*
 * Builds the search tables in want that are not built yet, from the validated
 * tables, in one transaction.
 */
static kist_err ensure_search(kist_vault *v, unsigned want)
{
	sqlite3 *db = v->db;
	sqlite3_stmt *rd = NULL, *fx = NULL, *w = NULL, *g = NULL;
	char *fold[4] = {NULL, NULL, NULL, NULL};
	kist_err err = KIST_OK;

	want &= ~(unsigned)v->search_ready;
	if (want == 0)
		return KIST_OK;
	/* Bounded like a query: a huge register cannot take all memory. */
	kist__sql_cap_enter();
	sqlite3_exec(db, "PRAGMA query_only=OFF", NULL, NULL, NULL);
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
	                       -1, &rd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT group_concat(value, ' ') FROM person_fields WHERE "
	                       "person_id = ?",
	                       -1, &fx, NULL) != SQLITE_OK ||
	    ((want & SEARCH_WORDS) &&
	     sqlite3_prepare_v2(db,
	                        "INSERT INTO temp.people_words(rowid, name, aliases, other) VALUES "
	                        "(?, ?, ?, ?)",
	                        -1, &w, NULL) != SQLITE_OK) ||
	    ((want & SEARCH_GRAMS) &&
	     sqlite3_prepare_v2(db, "INSERT INTO temp.people_grams(rowid, text) VALUES (?, ?)", -1,
	                        &g, NULL) != SQLITE_OK)) {
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(rd) == SQLITE_ROW) {
		sqlite3_int64 id = sqlite3_column_int64(rd, 0);
		sqlite3_reset(fx);
		sqlite3_bind_int64(fx, 1, id);
		const char *extra = sqlite3_step(fx) == SQLITE_ROW ? col_text(fx, 0) : NULL;
		const char *src[4] = {col_text(rd, 1), col_text(rd, 2), col_text(rd, 3), extra};
		for (int k = 0; k < 4; k++) {
			fold[k] = kist__fold(src[k] ? src[k] : "");
			if (fold[k] == NULL) {
				err = kist__fail(KIST_E_NOMEM, "out of memory");
				goto out;
			}
		}
		size_t total =
		    strlen(fold[0]) + strlen(fold[1]) + strlen(fold[2]) + strlen(fold[3]) + 8;
		char *all = malloc(total);
		char *other = malloc(strlen(fold[2]) + strlen(fold[3]) + 2);
		if (all == NULL || other == NULL) {
			free(all);
			free(other);
			err = kist__fail(KIST_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(other, strlen(fold[2]) + strlen(fold[3]) + 2, "%s %s", fold[2], fold[3]);
		snprintf(all, total, "%s\n%s\n%s", fold[0], fold[1], other);
		int ok = 1;
		if (w != NULL) {
			sqlite3_reset(w);
			sqlite3_bind_int64(w, 1, id);
			sqlite3_bind_text(w, 2, fold[0], -1, SQLITE_STATIC);
			sqlite3_bind_text(w, 3, fold[1], -1, SQLITE_STATIC);
			sqlite3_bind_text(w, 4, other, -1, SQLITE_STATIC);
			ok = sqlite3_step(w) == SQLITE_DONE;
		}
		if (ok && g != NULL) {
			sqlite3_reset(g);
			sqlite3_bind_int64(g, 1, id);
			sqlite3_bind_text(g, 2, all, -1, SQLITE_STATIC);
			ok = sqlite3_step(g) == SQLITE_DONE;
		}
		sodium_memzero(all, strlen(all));
		sodium_memzero(other, strlen(other));
		free(all);
		free(other);
		for (int k = 0; k < 4; k++) {
			sodium_memzero(fold[k], strlen(fold[k]));
			free(fold[k]);
			fold[k] = NULL;
		}
		if (!ok) {
			err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
			goto out;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(db));
		goto out;
	}
	v->search_ready |= (int)want;
out:
	for (int k = 0; k < 4; k++) {
		if (fold[k] != NULL)
			sodium_memzero(fold[k], strlen(fold[k]));
		free(fold[k]);
	}
	sqlite3_finalize(rd);
	sqlite3_finalize(fx);
	sqlite3_finalize(w);
	sqlite3_finalize(g);
	if (err != KIST_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(db, "PRAGMA query_only=ON", NULL, NULL, NULL);
	kist__sql_cap_leave();
	return err;
}

kist_err kist__vault_prepare_search(kist_vault *v, const char *sql)
{
	/* A statement can only reach a table by naming it, so a query that does
	 * not name a search table does not pay for building it. */
	unsigned want = (strcasestr(sql, "people_words") ? SEARCH_WORDS : 0) |
	                (strcasestr(sql, "people_grams") ? SEARCH_GRAMS : 0);
	return v->meta.schema_version >= 2 ? ensure_search(v, want) : KIST_OK;
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

kist_err kist_vault_people(kist_vault *v, const char *search, kist_person_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	char *folded = NULL, *qw = NULL, *qg = NULL;
	size_t lw = 0, cw = 0, lg = 0, cg = 0;
	const char *word[SEARCH_MAX_WORDS];
	int wlen[SEARCH_MAX_WORDS];
	int nwords = 0;
	unsigned char *seen = NULL;
	kist_err err = KIST_OK;
	int grams = 1;

	if (v->meta.people == 0)
		return KIST_OK;
	if (search == NULL || strspn(search, " \t\r\n") == strlen(search)) {
		for (size_t id = 1; id <= v->meta.people; id++) {
			int r = emit_person(v, (sqlite3_int64)id, fn, ctx, &err);
			if (r != 0)
				return r < 0 ? err : KIST_OK;
		}
		return KIST_OK;
	}
	if (!kist__utf8_valid((const unsigned char *)search, strlen(search)))
		return kist__fail(KIST_E_ARG, "the search text is not valid UTF-8");
	if (strlen(search) > KIST_MAX_FIELD_BYTES)
		return kist__fail(KIST_E_ARG, "the search text is longer than %d bytes",
		                  KIST_MAX_FIELD_BYTES);
	kist__sql_cap_enter(); /* left at out */
	if ((err = ensure_search(v, SEARCH_WORDS)) != KIST_OK)
		goto out;
	folded = kist__fold(search);
	seen = calloc(v->meta.people + 1, 1);
	if (folded == NULL || seen == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of memory");
		goto out;
	}
	for (char *p = folded; *p != '\0';) {
		size_t skip = strspn(p, " \t\r\n");
		p += skip;
		size_t wl = strcspn(p, " \t\r\n");
		if (wl == 0)
			break;
		if (nwords == SEARCH_MAX_WORDS) {
			err = kist__fail(KIST_E_ARG, "a search has at most %d words",
			                 SEARCH_MAX_WORDS);
			goto out;
		}
		word[nwords] = p;
		wlen[nwords++] = (int)wl;
		if (add_phrase(&qw, &lw, &cw, p, wl, 1) != 0) {
			err = kist__fail(KIST_E_NOMEM, "out of memory");
			goto out;
		}
		if (utf8_chars(p, wl) < 3)
			grams = 0; /* fragments are three characters or more */
		p += wl;
	}
	if (nwords == 0)
		goto out; /* only characters that folding drops (tatweel, harakat): nobody */
	/*
	 * Whole words and word beginnings first, ranked with bm25 (names weigh
	 * most); then people whose folded text contains every word as a fragment,
	 * those with the first word in the name first, then in an alias.  A scan
	 * with instr() costs less than building a trigram index for one search.
	 */
	static const char frag_head[] = "SELECT rowid FROM temp.people_words WHERE ";
	static const char frag_word[] =
	    "instr(name || char(10) || aliases || char(10) || other, ?%d) > 0 AND ";
	static const char frag_tail[] = "1 ORDER BY instr(name, ?1) = 0, instr(aliases, ?1) = 0, "
	                                "rowid";
	cg = sizeof frag_head + (size_t)nwords * (sizeof frag_word + 4) + sizeof frag_tail;
	if ((qg = malloc(cg)) == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of memory");
		goto out;
	}
	lg = (size_t)snprintf(qg, cg, "%s", frag_head);
	for (int i = 0; i < nwords; i++)
		lg += (size_t)snprintf(qg + lg, cg - lg, frag_word, i + 1);
	snprintf(qg + lg, cg - lg, "%s", frag_tail);
	for (int phase = 0; phase < 2; phase++) {
		if (phase == 1 && !grams)
			break;
		const char *sql = phase == 0 ? "SELECT rowid FROM temp.people_words WHERE "
		                               "people_words MATCH ? ORDER BY "
		                               "bm25(people_words, 10.0, 5.0, 1.0), rowid"
		                             : qg;
		if (sqlite3_prepare_v2(v->db, sql, -1, &st, NULL) != SQLITE_OK) {
			err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(v->db));
			goto out;
		}
		if (phase == 0)
			sqlite3_bind_text(st, 1, qw, -1, SQLITE_STATIC);
		else
			for (int i = 0; i < nwords; i++)
				sqlite3_bind_text(st, i + 1, word[i], wlen[i], SQLITE_STATIC);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			sqlite3_int64 id = sqlite3_column_int64(st, 0);
			if (id < 1 || (size_t)id > v->meta.people || seen[id])
				continue;
			seen[id] = 1;
			int r = emit_person(v, id, fn, ctx, &err);
			if (r != 0) {
				if (r > 0)
					err = KIST_OK;
				goto out;
			}
		}
		/* A query FTS5 cannot parse (only punctuation, say) matches nobody;
		 * anything else (out of memory, an interruption) is an error. */
		if (rc != SQLITE_DONE && rc != SQLITE_ERROR) {
			err = kist__fail(KIST_E_NOMEM, "people search: %s", sqlite3_errmsg(v->db));
			goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
out:
	sqlite3_finalize(st);
	kist__sql_cap_leave();
	if (folded != NULL) {
		sodium_memzero(folded, strlen(folded));
		free(folded);
	}
	if (qw != NULL)
		sodium_memzero(qw, strlen(qw));
	free(qw);
	free(qg);
	free(seen);
	return err;
}

kist_err kist_vault_person_find(kist_vault *v, const char *name_or_id, kist_person_fn fn, void *ctx)
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
		if (id < 1 || (size_t)id > v->meta.people)
			return kist__fail(KIST_E_NOTFOUND, "no person #%s in the vault", digits);
		int r = emit_person(v, id, fn, ctx, &err);
		return r < 0 ? err : KIST_OK;
	}
	if (v->meta.people == 0)
		return kist__fail(KIST_E_NOTFOUND, "the vault has no people register");
	want = kist__fold(name_or_id);
	if (want == NULL)
		return kist__fail(KIST_E_NOMEM, "out of memory");
	ids[0] = '\0';
	if (sqlite3_prepare_v2(v->db, "SELECT id, name FROM people ORDER BY id", -1, &st, NULL) !=
	    SQLITE_OK) {
		err = kist__fail(KIST_E_NOMEM, "people: %s", sqlite3_errmsg(v->db));
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char *f = kist__fold(col_text(st, 1));
		if (f == NULL) {
			err = kist__fail(KIST_E_NOMEM, "out of memory");
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
		err = kist__fail(KIST_E_NOTFOUND,
		                 "nobody named \"%s\" in the register (search with kist people "
		                 "--search)",
		                 shown);
	} else if (matches > 1) {
		err = kist__fail(KIST_E_ARG, "%zu people are named \"%s\" (%s): give an id",
		                 matches, shown, ids);
	} else {
		int r = emit_person(v, found, fn, ctx, &err);
		if (r >= 0)
			err = KIST_OK;
	}
out:
	sqlite3_finalize(st);
	sodium_memzero(want, strlen(want));
	free(want);
	return err;
}
