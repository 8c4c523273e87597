/*
 * Does an FTS5 index pay for one people search?  Builds the search's FTS5
 * table (the tokenizer of src/lib/index/query.c) over N invented people in
 * memory, runs the search's MATCH query once, and, beside it, scans the same
 * folded (lower-case ASCII) texts for each word at a word start.  Twice.
 *
 *   cc -O2 -o /tmp/fts_vs_scan bench/fts_vs_scan.c -lsqlite3 && /tmp/fts_vs_scan 20000
 *
 * The scan is only the matching: it does not rank (bm25) and splits words
 * at ASCII letters and digits, not as unicode61 does (docs/PERFORMANCE.md).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <time.h>
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
/* 1 if w is the start of a word (letters/digits) in t */
static int has_prefix_word(const char *t, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = t; (p = strstr(p, w)); p++) {
		if (p == t || !isalnum((unsigned char)p[-1]))
			return 1;
	}
	(void)n;
	return 0;
}
int main(int argc, char **argv)
{
	if (argc < 2 || atoi(argv[1]) < 2) {
		fprintf(stderr, "usage: fts_vs_scan N (at least 2)\n");
		return 2;
	}
	int N = atoi(argv[1]);
	char **txt = malloc(N * sizeof *txt);
	char **name = malloc(N * sizeof *name);
	srand(7);
	const char *g[] = {"amira", "bahar", "chen", "dara",  "elif",
	                   "farid", "goli",  "hana", "idris", "jana"};
	const char *f[] = {"abbasi",   "borova",   "castell", "demir",
	                   "esfahani", "fournier", "gashi",   "haidari"};
	for (int i = 0; i < N; i++) {
		name[i] = malloc(64);
		snprintf(name[i], 64, "%s %s %07d", g[rand() % 10], f[rand() % 8], i);
		txt[i] = malloc(128);
		snprintf(txt[i], 128, "%d place %d sample statement %d", 1940 + i % 70, i % 97,
		         i % 13);
	}
	for (int rep = 0; rep < 2; rep++) {
		double t0 = now();
		sqlite3 *db;
		sqlite3_open(":memory:", &db);
		sqlite3_exec(db,
		             "BEGIN; CREATE VIRTUAL TABLE w USING fts5(name, aliases, other, "
		             "tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")",
		             0, 0, 0);
		sqlite3_stmt *st;
		sqlite3_prepare_v2(db, "INSERT INTO w(rowid,name,aliases,other) VALUES(?,?,?,?)",
		                   -1, &st, 0);
		for (int i = 0; i < N; i++) {
			sqlite3_reset(st);
			sqlite3_bind_int(st, 1, i + 1);
			sqlite3_bind_text(st, 2, name[i], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, "", -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, txt[i], -1, SQLITE_STATIC);
			sqlite3_step(st);
		}
		sqlite3_finalize(st);
		sqlite3_exec(db, "COMMIT", 0, 0, 0);
		double t1 = now();
		int hits = 0;
		sqlite3_prepare_v2(
		    db, "SELECT rowid FROM w WHERE w MATCH ? ORDER BY bm25(w,10.0,5.0,1.0), rowid",
		    -1, &st, 0);
		char q[64];
		snprintf(q, 64, "\"sample\"* \"%07d\"*", N / 2);
		sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW)
			hits++;
		sqlite3_finalize(st);
		double t2 = now();
		int sh = 0;
		char w2[16];
		snprintf(w2, 16, "%07d", N / 2);
		for (int i = 0; i < N; i++) {
			if ((has_prefix_word(name[i], "sample") ||
			     has_prefix_word(txt[i], "sample")) &&
			    (has_prefix_word(name[i], w2) || has_prefix_word(txt[i], w2)))
				sh++;
		}
		double t3 = now();
		printf("N=%d FTS5 build %.1f ms, query %.2f ms (%d hits); scan %.2f ms (%d hits)\n",
		       N, t1 - t0, t2 - t1, hits, t3 - t2, sh);
		sqlite3_close(db);
	}
	return 0;
}
