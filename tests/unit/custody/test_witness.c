/*
 * Cosignatures (C2SP tlog-cosignature v1, Ed25519) and the witness.
 *
 * No independent known-answer vector with a public key exists in the spec
 * (its example names no key) or in golang.org/x/mod/sumdb/note (which has no
 * cosignature type), so test_cosign_encoding builds the line a second time
 * here, step by step from the spec's text, from fixed keys, and pins the
 * result; test_spec_example_layout checks the spec's own example line against
 * the layout the code assumes (key id || 8-byte big-endian time || signature).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "keys/keys.h"
#include "kist.h"
#include "testutil.h"

/* An identity from fixed seeds (secure memory not needed in a test). */
static kist_identity *fixed_identity(unsigned char seedbyte)
{
	kist_identity *id = calloc(1, sizeof *id);
	unsigned char seed[32], pk[32];
	assert_non_null(id);
	memset(seed, seedbyte, sizeof seed);
	crypto_sign_seed_keypair(pk, id->ed25519_sk, seed);
	memcpy(id->pk.ed25519, pk, 32);
	memset(id->x25519_sk, seedbyte ^ 0x55, 32);
	crypto_scalarmult_base(id->pk.x25519, id->x25519_sk);
	id->pk.kind = KIST_PUBKEY_KIST;
	return id;
}

/* base64 of SHA-256(name || "\n" || type || pk)[:4] || extra. */
static void key_id(unsigned char out[4], const char *name, unsigned char type,
                   const unsigned char pk[32])
{
	crypto_hash_sha256_state h;
	unsigned char d[32];
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)name, strlen(name));
	crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&h, &type, 1);
	crypto_hash_sha256_update(&h, pk, 32);
	crypto_hash_sha256_final(&h, d);
	memcpy(out, d, 4);
}

static const char body[] = "kist-ledger/00112233445566778899aabbccddeeff\n"
                           "7\n"
                           "GzU7RmcJH+RrPqPTG+4YSvH5ZIkkV7ri42luZ4HjB+M=\n";

/* The body signed by holder as a kist checkpoint (signed-note, type 0x01). */
static char *signed_note(const kist_identity *holder)
{
	char name[KIST_PUBKEY_STRLEN + 1], b64[128];
	unsigned char raw[68];
	kist_pubkey_format(&holder->pk, name);
	key_id(raw, name, 0x01, holder->pk.ed25519);
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)body, strlen(body),
	                     holder->ed25519_sk);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	size_t cap = strlen(body) + 512;
	char *n = malloc(cap);
	assert_non_null(n);
	snprintf(n, cap, "%s\n\xe2\x80\x94 %s %s\n", body, name, b64);
	return n;
}

static void test_cosign_encoding(void **state)
{
	(void)state;
	kist_identity *holder = fixed_identity(0x11), *w = fixed_identity(0x22);
	char *note = signed_note(holder), *out = NULL;
	const uint64_t ts = 1679315147;
	assert_int_equal(kist_note_cosign(&out, note, strlen(note), w, ts), KIST_OK);

	/* The line again, from the spec's words. */
	char name[KIST_PUBKEY_STRLEN + 1], msg[512], b64[128], want[2048];
	unsigned char raw[76];
	kist_pubkey_format(&w->pk, name);
	key_id(raw, name, 0x04, w->pk.ed25519);
	for (int i = 0; i < 8; i++)
		raw[4 + i] = (unsigned char)(ts >> (56 - 8 * i));
	int ml = snprintf(msg, sizeof msg, "cosignature/v1\ntime %llu\n%s", (unsigned long long)ts,
	                  body);
	crypto_sign_detached(raw + 12, NULL, (const unsigned char *)msg, (size_t)ml, w->ed25519_sk);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	snprintf(want, sizeof want, "%s\xe2\x80\x94 %s %s\n", note, name, b64);
	assert_string_equal(out, want);
	/* Pinned: Ed25519 is deterministic, so this line never changes. */
	assert_non_null(
	    strstr(out, " FVb07QAAAABkGFDL8vJVLi9RzZZAFHX5akRLMjeEA4pWYYddCmEotw60Jv5EGSInjmFU"
	                "ayE2rRu+PwOAPlsYMHZFQyF46Bchc3m9AQ==\n"));

	/* It verifies for the witness's key, at its time, and for no other key. */
	kist_note_info ni;
	kist_pubkey keys[2] = {w->pk, holder->pk};
	assert_int_equal(kist_note_read(&ni, out, strlen(out), keys, 2), KIST_OK);
	assert_int_equal(ni.ncosigners, 1);
	assert_memory_equal(ni.cosigners[0].ed25519, w->pk.ed25519, 32);
	assert_int_equal(ni.cosigned_at[0], ts);
	assert_memory_equal(ni.signer.ed25519, holder->pk.ed25519, 32);
	assert_int_equal(ni.size, 7);
	assert_int_equal(kist_note_read(&ni, out, strlen(out), &holder->pk, 1), KIST_OK);
	assert_int_equal(ni.ncosigners, 0);

	/* One bit of the time changed: the cosignature no longer counts. */
	char *bad = strdup(out);
	char *line = strstr(bad, b64);
	unsigned char raw2[76];
	size_t got = 0;
	assert_int_equal(sodium_base642bin(raw2, sizeof raw2, line, strlen(b64), NULL, &got, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	raw2[11] ^= 1;
	sodium_bin2base64(line, strlen(b64) + 1, raw2, sizeof raw2, sodium_base64_VARIANT_ORIGINAL);
	line[strlen(b64)] = '\n';
	assert_int_equal(kist_note_read(&ni, bad, strlen(bad), &w->pk, 1), KIST_OK);
	assert_int_equal(ni.ncosigners, 0);

	/* Through mail: CRLF and trailing blanks; read the same, said so. */
	size_t ol = strlen(out);
	char *crlf = malloc(2 * ol + 8), *p = crlf;
	for (size_t i = 0; i < ol; i++) {
		if (out[i] == '\n') {
			*p++ = ' ';
			*p++ = '\r';
		}
		*p++ = out[i];
	}
	*p++ = '\r';
	*p++ = '\n';
	assert_int_equal(kist_note_read(&ni, crlf, (size_t)(p - crlf), &w->pk, 1), KIST_OK);
	assert_int_equal(ni.normalized, 1);
	assert_int_equal(ni.ncosigners, 1);

	/* Cosigning again replaces the earlier line of the same key. */
	char *again = NULL;
	assert_int_equal(kist_note_cosign(&again, out, strlen(out), w, ts + 1), KIST_OK);
	assert_int_equal(kist_note_read(&ni, again, strlen(again), &w->pk, 1), KIST_OK);
	assert_int_equal(ni.ncosigners, 1);
	assert_int_equal(ni.cosigned_at[0], ts + 1);
	assert_null(strstr(again, b64));

	/* An unsigned note is not cosigned. */
	char *none = NULL;
	assert_int_equal(kist_note_cosign(&none, body, strlen(body), w, ts), KIST_E_SIGNATURE);
	assert_null(none);

	free(again);
	free(crlf);
	free(bad);
	free(out);
	free(note);
	free(holder);
	free(w);
}

/* The spec's example: key id || timestamp (BE) || signature, time 1679315147. */
static void test_spec_example_layout(void **state)
{
	(void)state;
	static const char line[] =
	    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX"
	    "3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
	unsigned char raw[80];
	size_t got = 0;
	assert_int_equal(sodium_base642bin(raw, sizeof raw, line, strlen(line), NULL, &got, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	assert_int_equal(got, 76);
	uint64_t t = 0;
	for (int i = 4; i < 12; i++)
		t = (t << 8) | raw[i];
	assert_int_equal(t, 1679315147); /* the "time" line of the spec's message */
}

/* The ledger at path after add more entries by holder, loaded. */
static kist_ledger_log *ledger_of(const char *path, const kist_identity *holder, int add,
                                  const char *action)
{
	kist_ledger *l = NULL;
	kist_ledger_log *log = NULL;
	assert_int_equal(kist_ledger_open(&l, path), KIST_OK);
	for (int i = 0; i < add; i++)
		assert_int_equal(kist_ledger_append(l, holder, "00112233445566778899aabbccddeeff",
		                                    action, NULL, 0, NULL),
		                 KIST_OK);
	kist_ledger_close(l);
	assert_int_equal(kist_ledger_load(&log, path), KIST_OK);
	return log;
}

static void test_witness_states(void **state)
{
	(void)state;
	char *dir = tu_tmpdir(), *lp = tu_join(dir, "h.db"), *sd = tu_join(dir, "state"),
	     *fp = tu_join(dir, "fork.db");
	kist_identity *holder = fixed_identity(0x33), *w = fixed_identity(0x44);
	kist_witness_verdict v;
	kist_witness_state held, st;
	char *n2 = NULL, *n4 = NULL, *f4 = NULL, *out = NULL;
	int found = 0;

	kist_ledger_log *log = ledger_of(lp, holder, 2, "list");
	assert_int_equal(kist_ledger_checkpoint(log, holder, &n2), KIST_OK);
	/* the fork: a copy of the ledger at 2 entries, grown another way */
	size_t len = 0;
	unsigned char *db = tu_read(lp, &len);
	tu_write(fp, db, len);
	free(db);

	assert_int_equal(kist_witness_cosign(sd, n2, strlen(n2), log, w, 100, &out, &v, &held),
	                 KIST_OK);
	assert_int_equal(held.size, 0);
	free(out);
	kist_ledger_log_free(log);

	log = ledger_of(lp, holder, 2, "list");
	assert_int_equal(kist_ledger_checkpoint(log, holder, &n4), KIST_OK);
	assert_int_equal(kist_witness_cosign(sd, n4, strlen(n4), log, w, 200, &out, &v, &held),
	                 KIST_OK);
	assert_int_equal(held.size, 2);
	free(out);
	assert_int_equal(kist_witness_state_load(sd, kist_ledger_log_origin(log), &st, &found),
	                 KIST_OK);
	assert_int_equal(found, 1);
	assert_int_equal(st.size, 4);
	assert_int_equal(st.time, 200);

	/* Rollback: the note of 2 after 4 was cosigned. */
	out = NULL;
	assert_int_equal(kist_witness_cosign(sd, n2, strlen(n2), log, w, 300, &out, &v, NULL),
	                 KIST_E_CORRUPT);
	assert_int_equal(v, KIST_WITNESS_ROLLBACK);
	assert_null(out);

	/* Fork: another ledger of the same origin, same size. */
	kist_ledger_log *flog = ledger_of(fp, holder, 3, "extract");
	assert_int_equal(kist_ledger_checkpoint(flog, holder, &f4), KIST_OK);
	assert_int_equal(kist_witness_cosign(sd, f4, strlen(f4), flog, w, 300, &out, &v, NULL),
	                 KIST_E_CORRUPT);
	assert_int_equal(v, KIST_WITNESS_FORK);
	assert_int_equal(kist_witness_check_log(flog, st.size, st.root, &v), KIST_E_CORRUPT);
	assert_int_equal(v, KIST_WITNESS_FORK);
	assert_int_equal(kist_witness_check_log(log, st.size, st.root, &v), KIST_OK);

	/* Compare: n2 and n4 consistent against log, n4 and the fork's 5 not. */
	kist_note_info a, b;
	int checked = 0;
	assert_int_equal(kist_note_read(&a, n2, strlen(n2), NULL, 0), KIST_OK);
	assert_int_equal(kist_note_read(&b, n4, strlen(n4), NULL, 0), KIST_OK);
	assert_int_equal(kist_note_compare(&a, &b, log, &v, &checked), KIST_OK);
	assert_int_equal(checked, 1);
	assert_int_equal(kist_note_compare(&a, &b, NULL, &v, &checked), KIST_OK);
	assert_int_equal(checked, 0);
	assert_int_equal(kist_note_compare(&a, &b, flog, &v, &checked), KIST_E_CORRUPT);
	assert_int_equal(v, KIST_WITNESS_FORK);

	free(n2);
	free(n4);
	free(f4);
	kist_ledger_log_free(log);
	kist_ledger_log_free(flog);
	free(holder);
	free(w);
	tu_rmtree(dir);
	free(lp);
	free(fp);
	free(sd);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cosign_encoding),
	    cmocka_unit_test(test_spec_example_layout),
	    cmocka_unit_test(test_witness_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
