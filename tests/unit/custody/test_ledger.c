/*
 * The custody ledger: append and audit, checkpoints signed and checked, and
 * two processes appending 200 entries each at once keep a contiguous,
 * verifying log.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>

#include "custody/custody.h"
#include "testutil.h"

static void count_kinds(void *ctx, kist_audit_kind kind, uint64_t index, const char *message)
{
	unsigned *found = ctx;
	*found |= 1u << kind;
	(void)index;
	(void)message;
}

static void test_append_audit_checkpoint(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "sub/ledger.db");
	kist_identity *id = NULL, *tr = NULL;
	kist_ledger *l = NULL;
	kist_ledger_log *log = NULL;
	kist_audit_report rep;
	char *note = NULL;
	uint64_t idx = 99;
	const char *paths[] = {"case/a.txt", "case/b.txt"};
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_identity_generate(&tr), KIST_OK);
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	assert_int_equal(
	    kist_ledger_append(l, id, "00112233445566778899aabbccddeeff", "list", NULL, 0, &idx),
	    KIST_OK);
	assert_int_equal(idx, 0);
	assert_int_equal(kist_ledger_append(l, id, "00112233445566778899aabbccddeeff", "extract",
	                                    paths, 2, &idx),
	                 KIST_OK);
	assert_int_equal(idx, 1);
	/* Bad input is refused, nothing appended. */
	assert_int_not_equal(kist_ledger_append(l, id, "id\n", "list", NULL, 0, NULL), KIST_OK);
	assert_int_not_equal(kist_ledger_append(l, id, "x", "", NULL, 0, NULL), KIST_OK);

	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	assert_int_equal(kist_ledger_log_count(log), 2);
	const kist_ledger_entry *e = kist_ledger_log_entry(log, 1);
	assert_string_equal(e->action, "extract");
	assert_int_equal(e->npaths, 2);
	assert_string_equal(e->paths[1], "case/b.txt");
	assert_null(e->malformed);
	assert_int_equal(kist_ledger_audit(log, NULL, 0, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.size, 2);

	/* The root is the RFC 9162 root of the stored leaves. */
	unsigned char leaves[2][32], root[32];
	memcpy(leaves[0], kist_ledger_log_entry(log, 0)->leaf, 32);
	memcpy(leaves[1], e->leaf, 32);
	kist__merkle_root(root, (const unsigned char(*)[32])leaves, 2);
	assert_memory_equal(root, rep.root, 32);

	/* A signed checkpoint parses, verifies, and audits as consistent. */
	assert_int_equal(kist_ledger_checkpoint(log, tr, &note), KIST_OK);
	kist__checkpoint cp;
	kist_pubkey who, trpk;
	assert_int_equal(kist__checkpoint_parse(&cp, note, strlen(note)), KIST_OK);
	assert_int_equal(cp.size, 2);
	assert_memory_equal(cp.root, rep.root, 32);
	assert_string_equal(cp.origin, kist_ledger_origin(l));
	assert_int_equal(kist__checkpoint_verify(&cp, note, &who), KIST_OK);
	kist_identity_pubkey(tr, &trpk);
	assert_memory_equal(who.ed25519, trpk.ed25519, 32);
	const char *notes[] = {note};
	assert_int_equal(kist_ledger_audit(log, notes, 1, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.checkpoints_ok, 1);
	/* One changed byte in the body breaks the signature. */
	char *bad = strdup(note);
	bad[strlen(kist_ledger_origin(l)) + 1] = '1'; /* size "2" -> "1" */
	unsigned found = 0;
	const char *bads[] = {bad};
	assert_int_equal(kist_ledger_audit(log, bads, 1, count_kinds, &found, &rep),
	                 KIST_E_CORRUPT);
	assert_int_equal(found, 1u << KIST_AUDIT_CHECKPOINT);
	free(bad);
	kist_ledger_log_free(log);
	log = NULL;

	/* A third entry, then the old checkpoint still verifies (consistency 2 -> 3). */
	assert_int_equal(kist_ledger_append(l, id, "ff", "cat", paths, 1, &idx), KIST_OK);
	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	assert_int_equal(kist_ledger_audit(log, notes, 1, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.checkpoints_ok, 1);

	/* A bundle round trip audits the same. */
	char *json = NULL;
	size_t len = 0;
	kist_ledger_log *b = NULL;
	kist_audit_report rep2;
	assert_int_equal(kist_ledger_bundle(log, &json, &len), KIST_OK);
	assert_int_equal(kist_ledger_load_bundle(&b, json, len), KIST_OK);
	assert_int_equal(kist_ledger_audit(b, notes, 1, NULL, NULL, &rep2), KIST_OK);
	assert_memory_equal(rep.root, rep2.root, 32);
	kist_ledger_log_free(b);
	free(json);

	free(note);
	kist_ledger_log_free(log);
	kist_ledger_close(l);
	kist_identity_free(id);
	kist_identity_free(tr);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void test_concurrent_appenders(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ledger.db");
	kist_identity *id = NULL;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		assert_true(kids[k] >= 0);
		if (kids[k] == 0) {
			kist_ledger *l = NULL;
			/* Each child opens on its own, racing for creation too. */
			if (kist_ledger_open(&l, path) != KIST_OK)
				_exit(2);
			for (int i = 0; i < 200; i++)
				if (kist_ledger_append(l, id, k ? "bbbb" : "aaaa", "list", NULL, 0,
				                       NULL) != KIST_OK)
					_exit(3);
			kist_ledger_close(l);
			_exit(0);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st = 0;
		assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	kist_ledger_log *log = NULL;
	kist_audit_report rep;
	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	assert_int_equal(kist_ledger_log_count(log), 400);
	size_t a = 0;
	for (size_t i = 0; i < 400; i++) {
		assert_int_equal(kist_ledger_log_entry(log, i)->index, i);
		a += strcmp(kist_ledger_log_entry(log, i)->vault_id, "aaaa") == 0;
	}
	assert_int_equal(a, 200);
	assert_int_equal(kist_ledger_audit(log, NULL, 0, NULL, NULL, &rep), KIST_OK);
	kist_ledger_log_free(log);
	kist_identity_free(id);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

static void test_tampering_kinds(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ledger.db");
	kist_identity *id = NULL;
	kist_ledger *l = NULL;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(
		    kist_ledger_append(l, id, "v", i % 2 ? "cat" : "list", NULL, 0, NULL), KIST_OK);
	kist_ledger_close(l);
	static const struct {
		const char *sql;
		kist_audit_kind kind;
	} cases[] = {
	    {"UPDATE entries SET vault_id='w' WHERE idx=2", KIST_AUDIT_REWRITTEN},
	    {"UPDATE entries SET actor=x'00' WHERE idx=2", KIST_AUDIT_REWRITTEN},
	    {"DELETE FROM entries WHERE idx=1", KIST_AUDIT_DELETED},
	    {"UPDATE entries SET idx=idx+10 WHERE idx=3", KIST_AUDIT_REORDERED}, /* renumbered */
	    {"UPDATE entries SET idx=-1 WHERE idx=0; UPDATE entries SET idx=0 WHERE idx=4;"
	     "UPDATE entries SET idx=4 WHERE idx=-1",
	     KIST_AUDIT_REORDERED},
	    {"UPDATE entries SET sig=zeroblob(64) WHERE idx=4", KIST_AUDIT_FORGED},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char *copy = tu_join(dir, "copy.db");
		size_t len;
		unsigned char *data = tu_read(path, &len);
		tu_write(copy, data, len);
		free(data);
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, cases[c].sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		kist_ledger_log *log = NULL;
		kist_audit_report rep;
		unsigned found = 0;
		assert_int_equal(kist_ledger_load(&log, copy), KIST_OK);
		assert_int_equal(kist_ledger_audit(log, NULL, 0, count_kinds, &found, &rep),
		                 KIST_E_CORRUPT);
		if (found != (1u << cases[c].kind))
			fail_msg("case %zu (%s): found mask %#x, want only kind %d", c,
			         cases[c].sql, found, (int)cases[c].kind);
		kist_ledger_log_free(log);
		unlink(copy);
		free(copy);
	}
	kist_identity_free(id);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

/*
 * Every checkpoint is checked in one pass over the leaves: checkpoints taken
 * at each size 0..n (given out of order) all hold against the grown log, the
 * root is the RFC 9162 root, and a checkpoint re-signed over a wrong root at
 * one size is found (KIST_AUDIT_ROLLBACK), the others still counted.
 */
static void test_checkpoints_one_pass(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ledger.db");
	enum { N = 37 };
	kist_identity *id = NULL;
	kist_ledger *l = NULL;
	kist_ledger_log *log = NULL;
	kist_audit_report rep;
	char *notes[N + 1];
	unsigned char leaves[N][32], root[32];
	(void)state;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	for (int m = 0; m <= N; m++) {
		if (m > 0)
			assert_int_equal(kist_ledger_append(l, id, "ab", "list", NULL, 0, NULL),
			                 KIST_OK);
		assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
		assert_int_equal(kist_ledger_checkpoint(log, id, &notes[N - m]), KIST_OK);
		kist_ledger_log_free(log);
	}
	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	for (int i = 0; i < N; i++)
		memcpy(leaves[i], kist_ledger_log_entry(log, (size_t)i)->leaf, 32);
	kist__merkle_root(root, (const unsigned char(*)[32])leaves, N);
	assert_int_equal(
	    kist_ledger_audit(log, (const char *const *)notes, N + 1, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.checkpoints_ok, N + 1);
	assert_memory_equal(rep.root, root, 32);

	/* A checkpoint of size 20 whose root is that of size 19, validly signed. */
	kist__checkpoint cp;
	char *bad = NULL;
	assert_int_equal(kist__checkpoint_parse(&cp, notes[N - 19], strlen(notes[N - 19])),
	                 KIST_OK);
	char b64[64], body[256];
	sodium_bin2base64(b64, sizeof b64, cp.root, 32, sodium_base64_VARIANT_ORIGINAL);
	snprintf(body, sizeof body, "%s\n20\n%s\n", kist_ledger_origin(l), b64);
	free(notes[N - 20]);
	notes[N - 20] = NULL;
	/* signed as make_note() signs */
	{
		kist_pubkey pk;
		char name[KIST_PUBKEY_STRLEN + 1], sb64[128];
		unsigned char raw[68], h[32], kb[256];
		kist_identity_pubkey(id, &pk);
		kist_pubkey_format(&pk, name);
		size_t nl = strlen(name);
		memcpy(kb, name, nl);
		kb[nl] = '\n';
		kb[nl + 1] = 0x01;
		memcpy(kb + nl + 2, pk.ed25519, 32);
		kist__sha256_oneshot(h, kb, nl + 34);
		memcpy(raw, h, 4);
		crypto_sign_detached(raw + 4, NULL, (unsigned char *)body, strlen(body),
		                     id->ed25519_sk);
		sodium_bin2base64(sb64, sizeof sb64, raw, sizeof raw,
		                  sodium_base64_VARIANT_ORIGINAL);
		bad = malloc(1024);
		snprintf(bad, 1024, "%s\n\xe2\x80\x94 %s %s\n", body, name, sb64);
	}
	notes[N - 20] = bad;
	unsigned found = 0;
	assert_int_equal(
	    kist_ledger_audit(log, (const char *const *)notes, N + 1, count_kinds, &found, &rep),
	    KIST_E_CORRUPT);
	assert_int_equal(found, 1u << KIST_AUDIT_ROLLBACK);
	assert_int_equal(rep.checkpoints_ok, N);
	for (int m = 0; m <= N; m++)
		free(notes[m]);
	kist_ledger_log_free(log);
	kist_ledger_close(l);
	kist_identity_free(id);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

/* Appends "kind index message" lines to a growing string (a findings transcript). */
typedef struct transcript {
	char *s;
	size_t len;
} transcript;

static void record(void *ctx, kist_audit_kind kind, uint64_t index, const char *message)
{
	transcript *t = ctx;
	char line[700];
	int n = snprintf(line, sizeof line, "%d %llu %s\n", (int)kind, (unsigned long long)index,
	                 message);
	assert_true(n > 0 && (size_t)n < sizeof line);
	t->s = realloc(t->s, t->len + (size_t)n + 1);
	assert_non_null(t->s);
	memcpy(t->s + t->len, line, (size_t)n + 1);
	t->len += (size_t)n;
}

/*
 * The audit checks entries on several threads: whatever the number of
 * threads, it reports the same findings in the same order, the same root and
 * the same result, for a forged signature in the first, a middle or the last
 * entry, a rewritten entry, a deleted one, and all of them at once.
 */
static void test_parallel_same_findings(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ledger.db");
	enum { N = 41 };
	kist_identity *id = NULL;
	kist_ledger *l = NULL;
	(void)state;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(kist_ledger_append(l, id, "v", "list", NULL, 0, NULL), KIST_OK);
	kist_ledger_close(l);
	static const struct {
		const char *sql;
		const char *want; /* a line the transcript must hold */
	} cases[] = {
	    {"", NULL},
	    {"UPDATE entries SET sig=zeroblob(64) WHERE idx=0", "4 0 entry 0 has a forged"},
	    {"UPDATE entries SET sig=zeroblob(64) WHERE idx=20", "4 20 entry 20 has a forged"},
	    {"UPDATE entries SET sig=zeroblob(64) WHERE idx=40", "4 40 entry 40 has a forged"},
	    {"UPDATE entries SET vault_id='w' WHERE idx=21", "1 21 entry 21 was rewritten"},
	    {"DELETE FROM entries WHERE idx=10", "2 10 entry 10 was deleted"},
	    {"UPDATE entries SET sig=zeroblob(64) WHERE idx IN (0, 20, 40);"
	     "UPDATE entries SET vault_id='w' WHERE idx=21; DELETE FROM entries WHERE idx=10",
	     "4 40 entry 40 has a forged"},
	};
	static const unsigned threads[] = {2, 3, 5, N, 64};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char *copy = tu_join(dir, "copy.db");
		size_t len;
		unsigned char *data = tu_read(path, &len);
		tu_write(copy, data, len);
		free(data);
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, cases[c].sql, NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		kist_ledger_log *log = NULL;
		kist_audit_report serial, par;
		transcript ts = {NULL, 0};
		assert_int_equal(kist_ledger_load(&log, copy), KIST_OK);
		kist_err want = kist__ledger_audit_threads(log, NULL, 0, record, &ts, &serial, 1);
		assert_int_equal(want, cases[c].want ? KIST_E_CORRUPT : KIST_OK);
		if (cases[c].want && (ts.s == NULL || strstr(ts.s, cases[c].want) == NULL))
			fail_msg("case %zu: serial audit lacks \"%s\"", c, cases[c].want);
		for (size_t t = 0; t < sizeof threads / sizeof threads[0]; t++) {
			transcript tp = {NULL, 0};
			assert_int_equal(
			    kist__ledger_audit_threads(log, NULL, 0, record, &tp, &par, threads[t]),
			    want);
			if ((ts.s == NULL) != (tp.s == NULL) ||
			    (ts.s != NULL && strcmp(ts.s, tp.s) != 0))
				fail_msg("case %zu, %u threads: findings differ:\n%s---\n%s", c,
				         threads[t], ts.s ? ts.s : "", tp.s ? tp.s : "");
			assert_int_equal(par.found, serial.found);
			assert_int_equal(par.size, serial.size);
			assert_memory_equal(par.root, serial.root, 32);
			free(tp.s);
		}
		free(ts.s);
		kist_ledger_log_free(log);
		unlink(copy);
		free(copy);
	}
	kist_identity_free(id);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

/*
 * A trustee's held checkpoint (size k, root) spares re-verifying the
 * signatures of the first k entries only while they still hash to that root
 * (leaves recomputed from fields and signatures): a signature replaced
 * under it is reported as forged, exactly as a full audit reports it.
 */
static void test_audit_held(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "ledger.db");
	enum { N = 12, K = 7 };
	kist_identity *id = NULL;
	kist_ledger *l = NULL;
	kist_ledger_log *log = NULL;
	kist_audit_report rep;
	unsigned char leaves[K][32], root[32], wrong[32];
	(void)state;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	for (int i = 0; i < N; i++)
		assert_int_equal(kist_ledger_append(l, id, "v", "list", NULL, 0, NULL), KIST_OK);
	kist_ledger_close(l);
	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	for (int i = 0; i < K; i++)
		memcpy(leaves[i], kist_ledger_log_entry(log, (size_t)i)->leaf, 32);
	kist__merkle_root(root, (const unsigned char(*)[32])leaves, K);
	memcpy(wrong, root, 32);
	wrong[0] ^= 1;
	assert_int_equal(kist_ledger_audit_held(log, NULL, 0, K, root, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.unverified, K);
	assert_int_equal(kist_ledger_audit_held(log, NULL, 0, K, wrong, NULL, NULL, &rep), KIST_OK);
	assert_int_equal(rep.unverified, 0);
	assert_int_equal(kist_ledger_audit_held(log, NULL, 0, N + 1, root, NULL, NULL, &rep),
	                 KIST_OK);
	assert_int_equal(rep.unverified, 0);
	kist_ledger_log_free(log);

	/* A signature replaced under the held checkpoint, or after it. */
	static const char *const sql[] = {"UPDATE entries SET sig=zeroblob(64) WHERE idx=3",
	                                  "UPDATE entries SET sig=zeroblob(64) WHERE idx=0",
	                                  "UPDATE entries SET sig=zeroblob(64) WHERE idx=9"};
	for (size_t c = 0; c < sizeof sql / sizeof sql[0]; c++) {
		char *copy = tu_join(dir, "copy.db");
		size_t len;
		unsigned char *data = tu_read(path, &len);
		tu_write(copy, data, len);
		free(data);
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, sql[c], NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		unsigned found = 0;
		assert_int_equal(kist_ledger_load(&log, copy), KIST_OK);
		assert_int_equal(
		    kist_ledger_audit_held(log, NULL, 0, K, root, count_kinds, &found, &rep),
		    KIST_E_CORRUPT);
		if (found != 1u << KIST_AUDIT_FORGED)
			fail_msg("%s: found mask %#x, want only a forged signature", sql[c], found);
		assert_int_equal(rep.unverified, c == 2 ? K : 0);
		kist_ledger_log_free(log);
		unlink(copy);
		free(copy);
	}
	kist_identity_free(id);
	tu_rmtree(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_audit_checkpoint),
	    cmocka_unit_test(test_concurrent_appenders),
	    cmocka_unit_test(test_tampering_kinds),
	    cmocka_unit_test(test_checkpoints_one_pass),
	    cmocka_unit_test(test_parallel_same_findings),
	    cmocka_unit_test(test_audit_held),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
