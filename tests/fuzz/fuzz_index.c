/*
 * Fuzzes the defensive index loader, kist__index_load(), on the input as a
 * serialised SQLite database (the decompressed index image).  A loaded index
 * is walked: every entry's fields, and the loader's database handle is
 * queried directly (the library lends it out only to kist_vault_query(),
 * behind its read-only authorizer).
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "index/index.h"

static int count_person(void *ctx, const kist_person *p)
{
	(void)ctx;
	FUZZ_ASSERT(p->name != NULL);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sqlite3 *db = NULL;
	kist__index_meta m;
	kist__entry *ents = NULL;
	size_t n = 0;
	static int ready;

	if (!ready) {
		if (kist_init() != KIST_OK)
			abort();
		ready = 1;
	}
	/* The loader takes a modifiable buffer that must outlive the database. */
	unsigned char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	kist_err err = kist__index_load(&db, &m, &ents, &n, buf, size);
	if (err == KIST_OK) {
		FUZZ_ASSERT(m.chunk_size >= KIST_CHUNK_SIZE_MIN &&
		            m.chunk_size <= KIST_CHUNK_SIZE_MAX);
		FUZZ_ASSERT(strlen(m.vault_id) == 32);
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++) {
			const kist__entry *e = &ents[i];
			FUZZ_ASSERT(e->id == i + 1);
			FUZZ_ASSERT(kist__path_check(e->path, strlen(e->path)) == KIST_OK);
			FUZZ_ASSERT((e->pub.type == KIST_ENTRY_SYMLINK) == (e->link != NULL));
			uint64_t sum = 0;
			for (uint32_t c = 0; c < e->nchunks; c++)
				sum += e->chunk_len[c];
			FUZZ_ASSERT(sum == e->pub.stored_size);
			total += e->pub.size;
		}
		(void)total;
		/* The people search scans the rows the loader checked: any text, no crash. */
		if (m.people > 0) {
			static const char *const searches[] = {"a", "amira sample", "-", "ab\"c*",
			                                       "\xd9\x83\xd8\xb1"};
			unsigned built = 0;
			kist__index_view x = {db, m.schema_version, m.people, ents, n, &built};
			for (size_t i = 0; i < sizeof searches / sizeof *searches; i++) {
				kist_err se =
				    kist__index_people(&x, searches[i], count_person, NULL);
				FUZZ_ASSERT(se == KIST_OK || se == KIST_E_NOMEM ||
				            se == KIST_E_LIMIT || se == KIST_E_FORMAT);
			}
		}
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(db, "SELECT count(*), sum(size) FROM entries", -1, &st,
		                       NULL) == SQLITE_OK)
			sqlite3_step(st);
		sqlite3_finalize(st);
		sqlite3_close(db);
		kist__entries_free(ents, n);
	} else {
		FUZZ_ASSERT(db == NULL);
		FUZZ_ASSERT(err == KIST_E_CORRUPT || err == KIST_E_FORMAT || err == KIST_E_UNSAFE ||
		            err == KIST_E_LIMIT || err == KIST_E_NOMEM);
	}
	free(buf);
	return 0;
}
