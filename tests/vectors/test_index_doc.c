/*
 * test_index_doc: the CREATE TABLE statements printed in docs/INDEX.md are the
 * schema the reader accepts (INDEX.md says they are normative).
 *
 *   test_index_doc DOCS/INDEX.md
 *
 * Builds an index with the library, and checks that the schema comparison of
 * the reader (kist__schema_equal) finds it equal to the document's statements,
 * and unequal once a constraint is taken out of them.  TAP output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "index/index.h"

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (p = calloc((size_t)n + 1, 1)) == NULL ||
	    fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	if (f != NULL)
		fclose(f);
	return p;
}

/* The ```sql blocks of md that begin with CREATE TABLE, concatenated. */
static char *create_statements(const char *md)
{
	char *out = calloc(strlen(md) + 1, 1);
	for (const char *p = md; out != NULL && (p = strstr(p, "```sql\n")) != NULL;) {
		p += 7;
		const char *end = strstr(p, "```");
		if (end == NULL)
			break;
		if (strncmp(p, "CREATE TABLE", 12) == 0)
			strncat(out, p, (size_t)(end - p));
		p = end + 3;
	}
	return out;
}

int main(int argc, char **argv)
{
	unsigned char *img = NULL;
	size_t len = 0;
	sqlite3 *db = NULL;
	kist__index_meta m;
	int fails = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s INDEX.md\n", argv[0]);
		return 2;
	}
	char *md = read_text(argv[1]), *sql = md ? create_statements(md) : NULL;
	if (sql == NULL || strstr(sql, "CREATE TABLE people") == NULL) {
		printf("Bail out! %s: no CREATE TABLE statements\n", argv[1]);
		return 1;
	}
	memset(&m, 0, sizeof m);
	memcpy(m.vault_id, "0123456789abcdef0123456789abcdef", 33);
	snprintf(m.tool_version, sizeof m.tool_version, "test");
	m.chunk_size = KIST_CHUNK_SIZE;
	m.recipients = 1;
	if (kist_init() != KIST_OK || kist__index_build(&img, &len, &m, NULL, 0, NULL) != KIST_OK ||
	    kist__index_open_hardened(&db) != KIST_OK ||
	    sqlite3_deserialize(db, "main", img, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_READONLY) != SQLITE_OK) {
		printf("Bail out! cannot build an index: %s\n", kist_errdetail());
		return 1;
	}
	printf("1..2\n");
	const char *defs[1] = {sql}, *diff = NULL;
	int r = kist__schema_equal(db, defs, 1, &diff);
	if (r != 1) {
		printf("not ok 1 - INDEX.md's statements are the schema the reader accepts "
		       "(differs at: %s)\n",
		       diff ? diff : "?");
		fails++;
	} else {
		printf("ok 1 - INDEX.md's statements are the schema the reader accepts\n");
	}
	sqlite3_free((void *)diff);
	diff = NULL;
	/* The same text without the UNIQUE constraint of entries.path must differ. */
	char *u = strstr(sql, "path TEXT NOT NULL UNIQUE");
	if (u != NULL)
		memcpy(u + strlen("path TEXT NOT NULL"), "       ", 7);
	r = u == NULL ? -1 : kist__schema_equal(db, defs, 1, &diff);
	printf("%s 2 - a statement without entries.path's UNIQUE is another schema\n",
	       r == 0 ? "ok" : "not ok");
	fails += r != 0;
	sqlite3_free((void *)diff);
	sqlite3_close(db);
	free(img);
	free(sql);
	free(md);
	return fails ? 1 : 0;
}
