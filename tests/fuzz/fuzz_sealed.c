/*
 * Fuzzes the reader against a malicious sealer, who holds valid keys: the
 * input is an index image, and the harness seals it into a vault for the
 * test vectors' "alice" (tests/vectors/vec_keys.h) so that everything
 * authenticates, then opens it and, if that succeeds, lists, reads, verifies
 * and extracts it (vault_check.h).  This reaches what fuzz_vault cannot
 * (every change there breaks a MAC): the index, layout, signature and path
 * checks of kist_vault_open() and the extraction of hostile entries.
 *
 * Input: one flags byte, then the index image (a serialised SQLite database).
 *   bit 0: signed by the vectors' "carol"; bit 1: with a damaged signature;
 *   bit 2: read with two threads (the parallel chunk pipeline), else inline.
 * The body is laid out from a plain reading of the image: for every row of
 * entries (by id) and every chunk length L recorded in its chunks BLOB, a
 * chunk sealed under that entry's stream id and counter whose data are zero
 * bytes (of the length the entry's size implies if L fits it, else L - 17),
 * or L zero bytes if L is not a possible chunk length.  The chunk size is the
 * index's vault.chunk_size if it is in bounds, else 1 MiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zstd.h>

#include "fuzz.h"
#include "index/index.h"
#include "vault_check.h"
#include "vec_keys.h"

#define BODY_MAX (8u << 20)

typedef struct obuf {
	unsigned char *p;
	size_t len, cap;
} obuf;

static int put(obuf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		while (nc < b->len + n)
			nc *= 2;
		unsigned char *np = realloc(b->p, nc);
		if (np == NULL)
			abort();
		b->p = np;
		b->cap = nc;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* Appends a chunk whose plaintext is method 0 followed by n zero bytes. */
static void zero_chunk(obuf *b, const unsigned char key[32], uint32_t stream, uint64_t counter,
                       int last, size_t n)
{
	static unsigned char *pt;
	static size_t ptcap;
	unsigned char nonce[12];
	if (n + 1 + 16 > ptcap) {
		free(pt);
		ptcap = n + 1 + 16;
		if ((pt = calloc(1, ptcap)) == NULL)
			abort();
	}
	memset(pt, 0, n + 1);
	pt[0] = KIST_METHOD_STORED;
	kist__chunk_nonce(nonce, stream, counter, last);
	crypto_aead_chacha20poly1305_ietf_encrypt(pt, NULL, pt, n + 1, NULL, 0, NULL, nonce, key);
	put(b, pt, n + 1 + 16);
}

/* Lays out the body from a plain (not defensive) reading of the image. */
static int lay_out_body(obuf *body, const unsigned char *img, size_t len, uint32_t *cs,
                        const unsigned char key[32])
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	unsigned char *copy = sqlite3_malloc64(len ? len : 1);
	int ok = 1;

	*cs = KIST_CHUNK_SIZE;
	if (copy == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
		abort();
	memcpy(copy, img, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE) !=
	    SQLITE_OK)
		goto out;
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	if (sqlite3_prepare_v2(db, "SELECT chunk_size FROM vault LIMIT 1", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 v = sqlite3_column_int64(st, 0);
		if (v >= KIST_CHUNK_SIZE_MIN && v <= KIST_CHUNK_SIZE_MAX)
			*cs = (uint32_t)v;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT id, size, chunks FROM entries ORDER BY id", -1, &st,
	                       NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);
		sqlite3_int64 size = sqlite3_column_int64(st, 1);
		const unsigned char *blob = sqlite3_column_blob(st, 2);
		int bl = sqlite3_column_bytes(st, 2);
		uint32_t n = blob ? (uint32_t)(bl / 4) : 0;
		for (uint32_t c = 0; c < n; c++) {
			uint32_t l = kist__ld32(blob + 4 * c);
			if (body->len + l > BODY_MAX) {
				ok = 0;
				goto out;
			}
			uint64_t at = (uint64_t)c * *cs;
			uint64_t want = size > 0 && (uint64_t)size > at ? (uint64_t)size - at : 0;
			if (want > *cs)
				want = *cs;
			if (l == want + KIST_CHUNK_OVERHEAD)
				zero_chunk(body, key, id, c, c + 1 == n, (size_t)want);
			else if (l >= KIST_CHUNK_OVERHEAD && l <= *cs + KIST_CHUNK_OVERHEAD)
				zero_chunk(body, key, id, c, c + 1 == n, l - KIST_CHUNK_OVERHEAD);
			else {
				static const unsigned char zero[64];
				for (uint32_t k = 0; k < l; k += sizeof zero)
					put(body, zero, l - k < sizeof zero ? l - k : sizeof zero);
			}
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist_identity *alice, *carol;
	static kist__keys *keys;
	static unsigned char *header;
	static size_t header_len;
	static kist__chunker *ck;
	static int mfd = -1, devnull = -1;
	static char path[64];
	static const unsigned char file_key[32] = "kist fuzz_sealed file key......";
	static const unsigned char salt[32] = "kist fuzz_sealed salt..........";
	obuf body = {0};
	uint32_t cs;

	if (alice == NULL) {
		kist_pubkey pk;
		if ((alice = vec_identity("alice")) == NULL ||
		    (carol = vec_identity("carol")) == NULL ||
		    (keys = sodium_malloc(sizeof *keys)) == NULL ||
		    (mfd = memfd_create("kist-fuzz-sealed", MFD_CLOEXEC)) < 0 ||
		    (devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
			abort();
		kist_identity_pubkey(alice, &pk);
		kist__derive_keys(keys, KIST_FORMAT_VERSION, file_key, NULL, salt);
		if (kist__header_build(&header, &header_len, file_key, salt, &pk, 1) != KIST_OK ||
		    kist__chunker_new(&ck, KIST_CHUNK_SIZE_MAX, 1) != KIST_OK)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
	}
	if (size < 2)
		return 0;
	unsigned flags = data[0];
	const unsigned char *img = data + 1;
	size_t imglen = size - 1;

	put(&body, header, header_len);
	if (!lay_out_body(&body, img, imglen, &cs, keys->content)) {
		free(body.p);
		return 0;
	}
	kist__trailer t;
	memset(&t, 0, sizeof t);
	t.index_offset = body.len - header_len;
	t.index_len = imglen;
	t.chunk_size = cs;
	kist__sha256_oneshot(t.index_sha256, img, imglen);

	size_t zcap = ZSTD_compressBound(imglen);
	unsigned char *z = malloc(zcap);
	if (z == NULL)
		abort();
	size_t zlen = ZSTD_compress(z, zcap, img, imglen, 1);
	if (ZSTD_isError(zlen))
		abort();
	t.index_zlen = zlen;
	uint64_t counter = 0;
	for (size_t off = 0; off < zlen; off += cs, counter++) {
		size_t n = zlen - off < cs ? zlen - off : cs;
		const unsigned char *ct;
		size_t ctlen;
		if (kist__chunk_seal(ck, keys->index, KIST_STREAM_INDEX, counter, off + n == zlen,
		                     0, z + off, n, &ct, &ctlen) != KIST_OK)
			abort();
		put(&body, ct, ctlen);
	}
	free(z);
	if (flags & 1) {
		unsigned char msg[32];
		kist__header hp;
		if (kist__header_parse(&hp, header, header_len) != KIST_OK)
			abort();
		t.flags = KIST_TRAILER_SIGNED;
		memcpy(t.signer, carol->pk.ed25519, 32);
		kist__signature_message(msg, &hp, header, &t, hp.recipient_slots);
		crypto_sign_detached(t.signature, NULL, msg, sizeof msg, carol->ed25519_sk);
		if (flags & 2)
			t.signature[0] ^= 1;
	}
	unsigned char tplain[KIST_TRAILER_PLAIN];
	const unsigned char *ct;
	size_t ctlen;
	kist__trailer_encode(tplain, KIST_FORMAT_VERSION, &t);
	if (kist__chunk_seal(ck, keys->index, KIST_STREAM_TRAILER, 0, 1, 0, tplain, sizeof tplain,
	                     &ct, &ctlen) != KIST_OK)
		abort();
	put(&body, ct, ctlen);

	if (ftruncate(mfd, 0) != 0 || pwrite(mfd, body.p, body.len, 0) != (ssize_t)body.len)
		abort();
	free(body.p);

	kist_vault *v = NULL;
	kist_identity *const ids[1] = {alice};
	kist_err err = kist_vault_open(&v, path, ids, 1);
	if (err == KIST_OK) {
		vault_check(v, devnull, (flags & 4) ? 2 : 1);
		kist_vault_close(v);
	} else {
		FUZZ_ASSERT(v == NULL);
		/* Everything authenticates: only the index and layout checks can refuse. */
		FUZZ_ASSERT(err == KIST_E_CORRUPT || err == KIST_E_FORMAT || err == KIST_E_UNSAFE ||
		            err == KIST_E_SIGNATURE || err == KIST_E_LIMIT || err == KIST_E_NOMEM);
		if (err == KIST_E_SIGNATURE)
			FUZZ_ASSERT(flags & 2);
	}
	return 0;
}
