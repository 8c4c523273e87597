/*
 * depcheck: the Windows dependency prefix, linked statically, does one real
 * thing with each library kist uses (packaging/build-windows.sh builds it and
 * runs it under wine).  Exit 0 and one line "depcheck: N checks passed", or 1
 * and one line per failed check.
 */
#include <jansson.h>
#include <libgfshare.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>
#include <zstd.h>

static int failed, passed;

static void check(int ok, const char *what)
{
	if (ok) {
		passed++;
	} else {
		failed++;
		fprintf(stderr, "depcheck: FAILED: %s\n", what);
	}
}

static void check_sodium(void)
{
	unsigned char pk[crypto_box_PUBLICKEYBYTES], sk[crypto_box_SECRETKEYBYTES];
	unsigned char pk2[crypto_box_PUBLICKEYBYTES];

	check(sodium_init() >= 0, "sodium_init");
	check(crypto_box_keypair(pk, sk) == 0, "crypto_box_keypair");
	check(crypto_scalarmult_base(pk2, sk) == 0 && sodium_memcmp(pk, pk2, sizeof pk) == 0,
	      "X25519 public key from the secret key");
	sodium_memzero(sk, sizeof sk);
}

static void check_zstd(void)
{
	char in[4096], out[4096];
	unsigned char z[8192];
	size_t n, m;

	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)("evidence "[i % 9]);
	n = ZSTD_compress(z, sizeof z, in, sizeof in, 3);
	check(!ZSTD_isError(n) && n < sizeof in / 10, "ZSTD_compress");
	m = ZSTD_decompress(out, sizeof out, z, n);
	check(!ZSTD_isError(m) && m == sizeof in && memcmp(in, out, m) == 0, "ZSTD_decompress");
}

/* Both tokenizers kist's people search uses (src/lib/index/query.c). */
static void check_sqlite(void)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *sql =
	    "CREATE VIRTUAL TABLE w USING fts5(name, tokenize=\"unicode61 remove_diacritics 2 "
	    "categories 'L* N* Co M*'\");"
	    "CREATE VIRTUAL TABLE t USING fts5(name, tokenize='trigram');"
	    "INSERT INTO w VALUES ('Zoë Exampleton'), ('Placeholder Person');"
	    "INSERT INTO t VALUES ('Zoë Exampleton'), ('Placeholder Person');";
	int ok;

	check(sqlite3_threadsafe() != 0, "sqlite3 built thread-safe");
	check(sqlite3_compileoption_used("ENABLE_FTS5") == 1, "sqlite3 built with FTS5");
	check(sqlite3_compileoption_used("SECURE_DELETE") == 1, "sqlite3 built with SECURE_DELETE");
	ok = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
	         SQLITE_OK &&
	     sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) == SQLITE_OK &&
	     sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	check(ok, "sqlite3 FTS5 tables");
	ok = ok &&
	     sqlite3_prepare_v2(db,
	                        "SELECT (SELECT name FROM w WHERE w MATCH 'zoe'),"
	                        " (SELECT name FROM t WHERE t MATCH 'mplet')",
	                        -1, &st, NULL) == SQLITE_OK &&
	     sqlite3_step(st) == SQLITE_ROW &&
	     strcmp((const char *)sqlite3_column_text(st, 0), "Zoë Exampleton") == 0 &&
	     strcmp((const char *)sqlite3_column_text(st, 1), "Zoë Exampleton") == 0;
	check(ok, "sqlite3 FTS5 unicode61 and trigram queries");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void check_jansson(void)
{
	json_error_t e;
	json_t *j = json_loads("{\"people\":[{\"name\":\"Nobody Example\",\"n\":3}]}", 0, &e);
	json_t *p = j != NULL ? json_array_get(json_object_get(j, "people"), 0) : NULL;

	check(p != NULL &&
	          strcmp(json_string_value(json_object_get(p, "name")), "Nobody Example") == 0 &&
	          json_integer_value(json_object_get(p, "n")) == 3,
	      "jansson parse");
	json_decref(j);
}

/* libcrypto and libsodium give the same bytes (kist seals chunks with
 * either, src/lib/crypto/aead.c). */
static void check_crypto(void)
{
	static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
	                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
	                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
	static const unsigned char nonce[12] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
	static const unsigned char msg[] = "a chunk of sealed evidence";
	static const unsigned char ad[] = "header";
	unsigned char h1[32], h2[32], c1[sizeof msg + 16], c2[sizeof msg + 16];
	unsigned long long c1len = 0;
	unsigned int h2len = 0;
	int len = 0, len2 = 0, ok;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	crypto_hash_sha256(h1, msg, sizeof msg);
	check(EVP_Digest(msg, sizeof msg, h2, &h2len, EVP_sha256(), NULL) == 1 && h2len == 32 &&
	          memcmp(h1, h2, 32) == 0,
	      "libcrypto SHA-256 equals libsodium's");

	crypto_aead_chacha20poly1305_ietf_encrypt(c1, &c1len, msg, sizeof msg, ad, sizeof ad - 1,
	                                          NULL, nonce, key);
	ok = ctx != NULL &&
	     EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), NULL, key, nonce) == 1 &&
	     EVP_EncryptUpdate(ctx, NULL, &len, ad, (int)sizeof ad - 1) == 1 &&
	     EVP_EncryptUpdate(ctx, c2, &len, msg, (int)sizeof msg) == 1 &&
	     EVP_EncryptFinal_ex(ctx, c2 + len, &len2) == 1 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, c2 + sizeof msg) == 1;
	check(ok && c1len == sizeof c2 && memcmp(c1, c2, sizeof c2) == 0,
	      "libcrypto ChaCha20-Poly1305 equals libsodium's");
	EVP_CIPHER_CTX_free(ctx);
}

static void fill_random(unsigned char *buf, unsigned int n)
{
	randombytes_buf(buf, n);
}

static void check_gfshare(void)
{
	unsigned char secret[32], got[32], share[3][32];
	unsigned char sharenrs[3] = {1, 2, 3}, two[2] = {1, 3};
	gfshare_ctx *enc, *dec;
	int ok;

	gfshare_fill_rand = fill_random;
	randombytes_buf(secret, sizeof secret);
	enc = gfshare_ctx_init_enc(sharenrs, 3, 2, 32);
	ok = enc != NULL;
	if (ok) {
		gfshare_ctx_enc_setsecret(enc, secret);
		for (unsigned i = 0; i < 3; i++)
			gfshare_ctx_enc_getshare(enc, (unsigned char)i, share[i]);
		gfshare_ctx_free(enc);
	}
	dec = ok ? gfshare_ctx_init_dec(two, 2, 32) : NULL;
	ok = dec != NULL;
	if (ok) {
		gfshare_ctx_dec_giveshare(dec, 0, share[0]);
		gfshare_ctx_dec_giveshare(dec, 1, share[2]);
		gfshare_ctx_dec_extract(dec, got);
		gfshare_ctx_free(dec);
		ok = memcmp(secret, got, 32) == 0;
	}
	check(ok, "gfshare 2-of-3 split and combine");
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(got, sizeof got);
}

/* UTF-8 through an ICU transliterator (kist's people/skeleton.c). */
static int translit(const char *id, const char *in, char *out, int outcap)
{
	UChar uid[64], buf[128];
	UErrorCode st = U_ZERO_ERROR;
	int32_t len = 0, limit;
	UTransliterator *t;

	u_strFromUTF8(uid, 64, NULL, id, -1, &st);
	t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
	u_strFromUTF8(buf, 128, &len, in, -1, &st);
	limit = len;
	utrans_transUChars(t, buf, &len, 128, 0, &limit, &st);
	u_strToUTF8(out, outcap, NULL, buf, len, &st);
	utrans_close(t);
	return U_SUCCESS(st);
}

static void check_icu(void)
{
	char out[256];
	UChar in[64], nf[64];
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *n2 = unorm2_getNFKCCasefoldInstance(&st);
	int32_t len = 0;

	check(translit("Any-Latin", "Алексей", out, sizeof out) && strcmp(out, "Aleksej") == 0,
	      "ICU Any-Latin of a Cyrillic name");
	check(translit("Any-Latin; Latin-ASCII; Lower", "محمد", out, sizeof out) &&
	          strcmp(out, "mhmd") == 0,
	      "ICU Any-Latin; Latin-ASCII; Lower of an Arabic name");
	u_strFromUTF8(in, 64, &len, "Ｆｉｅｌｄ ﬁle STRASSE Straße", -1, &st);
	len = unorm2_normalize(n2, in, len, nf, 64, &st);
	u_strToUTF8(out, sizeof out, NULL, nf, len, &st);
	check(U_SUCCESS(st) && strcmp(out, "field file strasse strasse") == 0, "ICU NFKC_Casefold");
}

int main(void)
{
	check_sodium();
	check_zstd();
	check_sqlite();
	check_jansson();
	check_crypto();
	check_gfshare();
	check_icu();
	if (failed != 0)
		return 1;
	printf("depcheck: %d checks passed (%s, zstd %s, SQLite %s, jansson %s, %s, ICU %s)\n",
	       passed, "libsodium " SODIUM_VERSION_STRING, ZSTD_versionString(),
	       sqlite3_libversion(), JANSSON_VERSION, OpenSSL_version(OPENSSL_VERSION),
	       U_ICU_VERSION);
	return 0;
}
