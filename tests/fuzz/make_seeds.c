/*
 * make_seeds: writes the seed corpora of the fuzz harnesses.
 *
 *   fuzz_make_seeds VECTORS_DIR CORPUS_DIR
 *
 * From the test vectors (tests/vectors): the small vaults (vault/), their
 * headers (header/), their index images, decrypted with the vectors' keys
 * (index/, and sealed/ with a flags byte), the identity and public key
 * files (identity/, pubkey/), and the requests (request/), releases and
 * request keys (release/) of the trustee-gated vectors.  Hand-made: chunks (chunk/, zstd bombs
 * included), public key strings and recipients files, identities protected
 * with the harness's passphrase at minimal Argon2 cost, index images of
 * files of zero bytes that the sealed harness can open and extract, and
 * people registers (register/).
 *
 * Files are named seed-*; regression inputs found by fuzzing are kept beside
 * them as crash-* or regress-* and never overwritten by this program.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zstd.h>

#include "index/index.h"
#include "vec_keys.h"

#define SEED_MAX (64u << 10) /* vaults larger than this are not used as seeds */

static const char *corpus;
static unsigned nseeds;

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "make_seeds: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void seed(const char *harness, const char *name, const void *data, size_t len)
{
	char p[4096];
	snprintf(p, sizeof p, "%s/%s", corpus, harness);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/%s/seed-%s", corpus, harness, name);
	FILE *f = fopen(p, "wb");
	if (f == NULL || (len > 0 && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		die("%s: %s", p, strerror(errno));
	nseeds++;
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		die("%s: read failed", path);
	fclose(f);
	b[n] = 0;
	*len = (size_t)n;
	return b;
}

/*
 * Decrypts the index image of a vault with id, following FORMAT.md without
 * the reader's checks (so crafted, hostile indexes come out too).
 * Returns a malloc'd image or NULL.
 */
static unsigned char *index_image(const unsigned char *v, size_t len, kist_identity *id,
                                  size_t *imglen, size_t *hl)
{
	kist__header h;
	kist__keys k;
	kist__trailer t;
	kist__chunker *ck = NULL;
	unsigned char *fk = sodium_malloc(32), *z = NULL, *img = NULL;
	const unsigned char *pt;
	size_t which;

	if (len < KIST_HEADER_FIXED + 64 || fk == NULL)
		goto fail;
	*hl = kist__ld32(v + 12);
	if (*hl > len || kist__header_parse(&h, v, *hl) != KIST_OK ||
	    kist__header_unwrap(&h, &id, 1, fk, &which) != KIST_OK)
		goto fail;
	kist__derive_keys(&k, KIST_FORMAT_VERSION, fk, NULL, h.salt);
	if (len < *hl + KIST_TRAILER_BYTES ||
	    kist__chunker_new(&ck, KIST_CHUNK_SIZE_MAX, 0) != KIST_OK ||
	    kist__chunk_open(ck, k.index, KIST_STREAM_TRAILER, 0, 1, v + len - KIST_TRAILER_BYTES,
	                     KIST_TRAILER_BYTES, KIST_TRAILER_PLAIN, &pt) != KIST_OK)
		goto fail;
	kist__trailer_decode(&t, KIST_FORMAT_VERSION, pt);
	if (t.chunk_size < KIST_CHUNK_SIZE_MIN || t.chunk_size > KIST_CHUNK_SIZE_MAX ||
	    t.index_zlen == 0 || t.index_zlen > len || t.index_offset > len ||
	    t.index_len > (64u << 20))
		goto fail;
	z = malloc(t.index_zlen);
	size_t off = *hl + t.index_offset, done = 0;
	for (uint64_t c = 0; done < t.index_zlen; c++) {
		size_t n = t.index_zlen - done < t.chunk_size ? t.index_zlen - done : t.chunk_size;
		if (off + n + KIST_CHUNK_OVERHEAD > len ||
		    kist__chunk_open(ck, k.index, KIST_STREAM_INDEX, c, done + n == t.index_zlen,
		                     v + off, n + KIST_CHUNK_OVERHEAD, n, &pt) != KIST_OK)
			goto fail;
		memcpy(z + done, pt, n);
		done += n;
		off += n + KIST_CHUNK_OVERHEAD;
	}
	unsigned long long fcs = ZSTD_getFrameContentSize(z, t.index_zlen);
	size_t cap = fcs < (64u << 20) ? (size_t)fcs : (size_t)t.index_len;
	img = malloc(cap ? cap : 1);
	size_t n = ZSTD_decompress(img, cap, z, t.index_zlen);
	if (ZSTD_isError(n))
		goto fail;
	*imglen = n;
	free(z);
	kist__chunker_free(ck);
	sodium_free(fk);
	return img;
fail:
	free(z);
	free(img);
	kist__chunker_free(ck);
	sodium_free(fk);
	return NULL;
}

/*
 * Rewrites an index image with 512-byte pages (PRAGMA page_size; VACUUM keeps
 * the schema, the rows, application_id and user_version): the same meaning
 * in an eighth of the bytes, which makes the fuzzers faster.  Returns NULL if
 * SQLite refuses (e.g. the duplicate-path image, whose UNIQUE index VACUUM
 * rebuilds).
 */
static unsigned char *shrink_image(const unsigned char *img, size_t len, size_t *outlen)
{
	/* VACUUM keeps the page size of an in-memory database: go through a file. */
	char path[] = "/tmp/kist-make-seeds-XXXXXX";
	int fd = mkstemp(path);
	sqlite3 *db = NULL;
	unsigned char *out = NULL;
	size_t n = 0;
	if (fd < 0 || write(fd, img, len) != (ssize_t)len || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_exec(db, "PRAGMA page_size = 512; VACUUM;", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_close(db) == SQLITE_OK) {
		db = NULL;
		out = read_all(path, &n);
		if (out != NULL && n >= len) {
			free(out);
			out = NULL;
		}
		*outlen = n;
	}
	sqlite3_close(db);
	unlink(path);
	return out;
}

/* Seeds from every vector in VECTORS/sub. */
static void from_vectors(const char *vectors, const char *sub, kist_identity *alice)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/%s", vectors, sub);
	DIR *dir = opendir(d);
	struct dirent *de;
	if (dir == NULL)
		die("%s: %s", d, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		size_t nl = strlen(de->d_name);
		if (nl < 6 || strcmp(de->d_name + nl - 5, ".kist") != 0)
			continue;
		char path[8192], name[512];
		size_t len, imglen, hl;
		snprintf(path, sizeof path, "%s/%s", d, de->d_name);
		snprintf(name, sizeof name, "%s-%.*s", sub, (int)(nl - 5), de->d_name);
		/* A vector of a known bug (todo:) goes in by hand, as a regress-* seed. */
		char exp[8192];
		size_t el;
		snprintf(exp, sizeof exp, "%s/%.*s.expect", d, (int)(nl - 5), de->d_name);
		unsigned char *x = read_all(exp, &el);
		int todo = x != NULL && strstr((char *)x, "\ntodo: ") != NULL;
		free(x);
		if (todo)
			continue;
		unsigned char *v = read_all(path, &len);
		if (v == NULL)
			die("%s: %s", path, strerror(errno));
		if (len <= SEED_MAX)
			seed("vault", name, v, len);
		/* headers: only of the valid vaults and of vaults whose header was changed */
		if (len >= 16 &&
		    (strcmp(sub, "valid") == 0 || strncmp(de->d_name, "header", 6) == 0 ||
		     strncmp(de->d_name, "slot", 4) == 0)) {
			size_t h = kist__ld32(v + 12);
			seed("header", name, v, h <= len ? h : len);
		}
		unsigned char *img = index_image(v, len, alice, &imglen, &hl);
		size_t sl;
		unsigned char *small = NULL;
		/* the valid images as the sealer writes them; the others with small pages */
		if (img != NULL && strcmp(sub, "valid") != 0 &&
		    (small = shrink_image(img, imglen, &sl)) != NULL) {
			free(img);
			img = small;
			imglen = sl;
		}
		if (img != NULL) {
			unsigned char *s = malloc(imglen + 1);
			seed("index", name, img, imglen);
			s[0] = strstr(de->d_name, "sign") ? 1 : 0;
			memcpy(s + 1, img, imglen);
			seed("sealed", name, s, imglen + 1);
			free(s);
			free(img);
		}
		free(v);
	}
	closedir(dir);
}

/* Requests (request/), releases and request keys (release/) beside the gated vectors. */
static void gate_seeds(const char *vectors, const char *sub)
{
	char d[4096];
	snprintf(d, sizeof d, "%s/%s", vectors, sub);
	DIR *dir = opendir(d);
	struct dirent *de;
	if (dir == NULL)
		die("%s: %s", d, strerror(errno));
	while ((de = readdir(dir)) != NULL) {
		const char *ext = strrchr(de->d_name, '.');
		const char *h =
		    ext == NULL                         ? NULL
		    : strcmp(ext, ".kist-request") == 0 ? "request"
		    : strcmp(ext, ".kist-release") == 0 || strcmp(ext, ".kist-reqkey") == 0
		        ? "release"
		        : NULL;
		if (h == NULL)
			continue;
		char path[8192], name[512];
		size_t len;
		snprintf(path, sizeof path, "%s/%s", d, de->d_name);
		snprintf(name, sizeof name, "%s-%s", sub, de->d_name);
		unsigned char *b = read_all(path, &len);
		if (b == NULL)
			die("%s: %s", path, strerror(errno));
		seed(h, name, b, len);
		free(b);
	}
	closedir(dir);
}

static void from_keys(const char *vectors)
{
	static const char *names[] = {"alice", "bob", "carol"};
	for (size_t i = 0; i < 3; i++) {
		char path[4096], name[64];
		size_t len;
		snprintf(path, sizeof path, "%s/keys/%s.key", vectors, names[i]);
		unsigned char *b = read_all(path, &len);
		if (b == NULL)
			die("%s: %s", path, strerror(errno));
		snprintf(name, sizeof name, "%s-key", names[i]);
		seed("identity", name, b, len);
		free(b);
		snprintf(path, sizeof path, "%s/keys/%s.pub", vectors, names[i]);
		if ((b = read_all(path, &len)) == NULL)
			die("%s: %s", path, strerror(errno));
		snprintf(name, sizeof name, "%s-pub", names[i]);
		seed("pubkey", name, b, len);
		free(b);
	}
}

/* ------------------------------------------------------------ hand-made */

static void chunk_seed(const char *name, unsigned ctrl, size_t expect, const void *rest, size_t len)
{
	unsigned char *b = malloc(len + 3);
	b[0] = (unsigned char)ctrl;
	b[1] = (unsigned char)expect;
	b[2] = (unsigned char)(expect >> 8);
	if (len > 0)
		memcpy(b + 3, rest, len);
	seed("chunk", name, b, len + 3);
	free(b);
}

static size_t zframe(unsigned char *out, size_t cap, const void *data, size_t len, int level)
{
	size_t n = ZSTD_compress(out, cap, data, len, level);
	if (ZSTD_isError(n))
		die("zstd: %s", ZSTD_getErrorName(n));
	return n;
}

static void chunk_seeds(void)
{
	/* fuzz_chunk.c: ctrl bits 2-3 = mode (0 ciphertext, 2 plaintext, 3 round trip) */
	enum { CT = 0, PT = 2 << 2, RT = 3 << 2, LAST = 1 };
	static unsigned char buf[8192], data[8192];
	unsigned char *zeros = calloc(64u << 20, 1);
	size_t n;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)"compressible text, compressible text. "[i % 38];
	buf[0] = KIST_METHOD_STORED;
	memcpy(buf + 1, "hello", 5);
	chunk_seed("stored-hello", PT | LAST, 5, buf, 6);
	chunk_seed("stored-empty", PT | LAST, 0, buf, 1);
	buf[0] = KIST_METHOD_ZSTD;
	n = zframe(buf + 1, sizeof buf - 1, data, 4096, 3);
	chunk_seed("zstd-4096", PT | LAST, 4096, buf, n + 1);
	chunk_seed("zstd-4096-expect-4095", PT | LAST, 4095, buf, n + 1);
	n = zframe(buf + 1, sizeof buf - 1, data, 4097, 3);
	chunk_seed("zstd-4097", PT | LAST, 4096, buf, n + 1);
	n = zframe(buf + 1, sizeof buf - 1, zeros, 64u << 20, 19);
	if (n + 1 <= 4096 + 33)
		chunk_seed("zstd-bomb-64mib", PT | LAST, 4096, buf, n + 1);
	n = zframe(buf + 1, sizeof buf - 1, zeros, 1u << 20, 19);
	chunk_seed("zstd-bomb-1mib", PT | LAST, 4096, buf, n + 1);
	{
		/* a frame without a content size (streaming) */
		ZSTD_CCtx *c = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
		n = ZSTD_compress2(c, buf + 1, sizeof buf - 1, zeros, 1u << 20);
		ZSTD_freeCCtx(c);
		if (!ZSTD_isError(n))
			chunk_seed("zstd-bomb-no-size", PT | LAST, 4096, buf, n + 1);
	}
	{
		/* two frames of 2048, and a skippable frame before one */
		size_t a = zframe(buf + 1, sizeof buf - 1, data, 2048, 3);
		size_t b = zframe(buf + 1 + a, sizeof buf - 1 - a, data + 2048, 2048, 3);
		chunk_seed("zstd-two-frames", PT | LAST, 4096, buf, 1 + a + b);
		unsigned char sk[8 + 4] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'k', 'i', 's', 't'};
		memmove(buf + 1 + sizeof sk, buf + 1, a);
		memcpy(buf + 1, sk, sizeof sk);
		chunk_seed("zstd-skippable-then-frame", PT | LAST, 2048, buf, 1 + sizeof sk + a);
	}
	n = zframe(buf + 1, sizeof buf - 1, data, 3000, 3);
	chunk_seed("zstd-truncated", PT | LAST, 3000, buf, n / 2);
	buf[0] = 2;
	chunk_seed("method-2", PT | LAST, 5, buf, 6);
	/* a real ciphertext under the harness's key, opened as is */
	{
		static const unsigned char key[32] = "kist fuzz chunk key, fixed.....";
		kist__chunker *ck;
		const unsigned char *ct;
		size_t ctlen;
		if (kist__chunker_new(&ck, 4096, 3) != KIST_OK ||
		    kist__chunk_seal(ck, key, 1, 0, 1, 1, data, 1000, &ct, &ctlen) != KIST_OK)
			die("chunk_seal");
		chunk_seed("ciphertext-zstd-1000", CT | LAST, 1000, ct, ctlen);
		kist__chunk_seal(ck, key, KIST_STREAM_INDEX, 0, 0, 0, data, 40, &ct, &ctlen);
		chunk_seed("ciphertext-index-40", CT | 2, 40, ct, ctlen);
		kist__chunker_free(ck);
	}
	chunk_seed("roundtrip-text", RT | LAST | 0x10, 4096, data, 4096);
	chunk_seed("roundtrip-short", RT, 10, data, 10);
	free(zeros);
}

static void pubkey_seeds(kist_identity *alice, kist_identity *bob)
{
	char a[KIST_PUBKEY_STRLEN + 1], b[KIST_PUBKEY_STRLEN + 1], s[1024];
	kist_pubkey_format(&alice->pk, a);
	kist_pubkey_format(&bob->pk, b);
	seed("pubkey", "alice-bare", a, strlen(a));
	for (char *p = a; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
	seed("pubkey", "alice-upper", a, strlen(a));
	kist_pubkey_format(&alice->pk, a);
	snprintf(s, sizeof s, "# recipients\n\n  %s  \r\n\t%s\n# end\n", a, b);
	seed("pubkey", "recipients-file", s, strlen(s));
	a[50] = a[50] == 'q' ? 'p' : 'q';
	seed("pubkey", "bad-checksum", a, strlen(a));
	kist_pubkey_format(&alice->pk, a);
	a[10] = 'A';
	seed("pubkey", "mixed-case", a, strlen(a));
	static const char age[] = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
	seed("pubkey", "age-key", age, strlen(age));
	static const char bip[] = "A12UEL5L";
	seed("pubkey", "bip173-empty-data", bip, strlen(bip));
}

static void identity_seeds(kist_identity *alice)
{
	/* alice protected with the harness's passphrase at the minimal Argon2id cost */
	static const char pass[] = "kist fuzz passphrase";
	unsigned char blob[128 + 64 + 16], key[32];
	char b64[512], text[1200];
	memset(blob, 0, sizeof blob);
	memcpy(blob, "kistid\0\1", 8);
	blob[8] = 1;
	kist__st32(blob + 12, 1);
	kist__st64(blob + 16, 8192);
	memset(blob + 24, 0x5a, 16); /* salt */
	memset(blob + 40, 0xa5, 24); /* nonce */
	memcpy(blob + 64, alice->pk.x25519, 32);
	memcpy(blob + 96, alice->pk.ed25519, 32);
	unsigned char secret[64];
	memcpy(secret, alice->x25519_sk, 32);
	memcpy(secret + 32, alice->ed25519_sk, 32);
	if (crypto_pwhash(key, 32, pass, strlen(pass), blob + 24, 1, 8192,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		die("argon2");
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + 128, NULL, secret, 64, blob, 128, NULL,
	                                           blob + 40, key);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text, "# protected, minimal cost\nKIST-IDENTITY-1 %s\n", b64);
	seed("identity", "alice-protected-min-cost", text, strlen(text));
	snprintf(text, sizeof text, "KIST-IDENTITY-1 %s\r\n", b64);
	seed("identity", "alice-protected-crlf", text, strlen(text));
	/* out-of-bounds costs: refused before Argon2 runs */
	kist__st32(blob + 12, 17);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text, "KIST-IDENTITY-1 %s\n", b64);
	seed("identity", "ops-17", text, strlen(text));
	kist__st32(blob + 12, 1);
	kist__st64(blob + 16, 4096);
	sodium_bin2base64(b64, sizeof b64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text, "KIST-IDENTITY-1 %s\n", b64);
	seed("identity", "mem-4096", text, strlen(text));
	/* unprotected, with the secret keys not matching the public ones */
	memset(blob, 0, sizeof blob);
	memcpy(blob, "kistid\0\1", 8);
	memcpy(blob + 64, alice->pk.x25519, 32);
	memcpy(blob + 96, alice->pk.ed25519, 32);
	memset(blob + 128, 7, 64);
	sodium_bin2base64(b64, sizeof b64, blob, 192, sodium_base64_VARIANT_ORIGINAL);
	snprintf(text, sizeof text, "KIST-IDENTITY-1 %s\n", b64);
	seed("identity", "keys-mismatch", text, strlen(text));
	snprintf(text, sizeof text, "KIST-IDENTITY-1 %s\nKIST-IDENTITY-1 %s\n", b64, b64);
	seed("identity", "two-lines", text, strlen(text));
}

typedef struct seed_entry {
	const char *path;
	kist_entry_type type;
	size_t size;
	const char *link;
} seed_entry;

/*
 * An index image of the entries in spec, whose files are zero bytes, which
 * the sealed harness seals whole: written as sealed/seed-NAME (and
 * NAME-signed) and, if with_index, index/seed-NAME too.
 */
static void sealed_seed(const char *name, const seed_entry *spec, size_t n, kist_identity *carol,
                        int with_index)
{
	static const unsigned char zeros[10000];
	char full[128];
	kist__entry *e = calloc(n, sizeof *e);
	uint64_t off = 0;
	uint32_t cs = 4096;
	for (size_t i = 0; i < n; i++) {
		e[i].id = (uint32_t)(i + 1);
		e[i].path = (char *)spec[i].path;
		e[i].link = (char *)spec[i].link;
		e[i].pub.type = spec[i].type;
		e[i].pub.mode = 0644;
		e[i].pub.mtime = 1700000000;
		e[i].offset = off;
		if (spec[i].type != KIST_ENTRY_FILE)
			continue;
		size_t sz = spec[i].size;
		e[i].pub.size = sz;
		e[i].nchunks = sz == 0 ? 1 : (uint32_t)((sz - 1) / cs + 1);
		e[i].chunk_len = calloc(e[i].nchunks, sizeof(uint32_t));
		for (uint32_t c = 0; c < e[i].nchunks; c++) {
			size_t l = sz - (size_t)c * cs < cs ? sz - (size_t)c * cs : cs;
			e[i].chunk_len[c] = (uint32_t)(l + KIST_CHUNK_OVERHEAD);
			e[i].pub.stored_size += l + KIST_CHUNK_OVERHEAD;
		}
		crypto_hash_sha256(e[i].pub.sha256, zeros, sz);
		off += e[i].pub.stored_size;
	}
	for (int sign = 0; sign < 2; sign++) {
		kist__index_meta m;
		unsigned char *img;
		size_t len;
		memset(&m, 0, sizeof m);
		memcpy(m.vault_id, "00112233445566778899aabbccddeeff", 33);
		m.created = 1700000000;
		snprintf(m.tool_version, sizeof m.tool_version, "kist make_seeds");
		m.recipients = 1;
		m.chunk_size = cs;
		if (sign) {
			kist_pubkey_format(&carol->pk, m.signer);
			m.has_signer = 1;
		}
		if (kist__index_build(&img, &len, &m, e, n, NULL) != KIST_OK)
			die("index_build: %s", kist_errdetail());
		unsigned char *s = malloc(len + 1);
		s[0] = (unsigned char)sign;
		memcpy(s + 1, img, len);
		snprintf(full, sizeof full, "%s%s", name, sign ? "-signed" : "");
		seed("sealed", full, s, len + 1);
		if (with_index)
			seed("index", full, img, len);
		free(s);
		free(img);
	}
	for (size_t i = 0; i < n; i++)
		free(e[i].chunk_len);
	free(e);
}

static void sealed_seeds(kist_identity *carol)
{
	static const seed_entry zeros[] = {
	    {"d", KIST_ENTRY_DIR, 0, NULL},      {"d/z", KIST_ENTRY_FILE, 100, NULL},
	    {"d/l", KIST_ENTRY_SYMLINK, 0, "z"}, {"d/up", KIST_ENTRY_SYMLINK, 0, "../d/z"},
	    {"e", KIST_ENTRY_FILE, 0, NULL},     {"big", KIST_ENTRY_FILE, 10000, NULL}};
	/* Extraction classes (issue 12): links that leave only through other links,
	 * a loop of links, links through names that do not exist, case and NFC/NFD
	 * twins, many folders. */
	static const seed_entry chain[] = {{"d", KIST_ENTRY_DIR, 0, NULL},
	                                   {"d/l2", KIST_ENTRY_SYMLINK, 0, ".."},
	                                   {"l1", KIST_ENTRY_SYMLINK, 0, "d/l2/.."},
	                                   {"l3", KIST_ENTRY_SYMLINK, 0, "d/l2/d/l2/x"},
	                                   {"ghost", KIST_ENTRY_SYMLINK, 0, "nothing/../.."}};
	static const seed_entry loop[] = {{"x", KIST_ENTRY_SYMLINK, 0, "y"},
	                                  {"y", KIST_ENTRY_SYMLINK, 0, "x"},
	                                  {"l", KIST_ENTRY_SYMLINK, 0, "x/.."},
	                                  {"self", KIST_ENTRY_SYMLINK, 0, "self/self"}};
	static const seed_entry twins[] = {{"Report.txt", KIST_ENTRY_FILE, 10, NULL},
	                                   {"report.txt", KIST_ENTRY_FILE, 20, NULL},
	                                   {"caf\xc3\xa9", KIST_ENTRY_FILE, 1, NULL},
	                                   {"cafe\xcc\x81", KIST_ENTRY_FILE, 2, NULL},
	                                   {"D", KIST_ENTRY_DIR, 0, NULL},
	                                   {"d", KIST_ENTRY_DIR, 0, NULL}};
	static seed_entry dirs[64];
	static char names[64][8];
	for (size_t i = 0; i < 64; i++) {
		snprintf(names[i], sizeof names[i], i < 8 ? "%zu" : "%zu/%zu", i < 8 ? i : i % 8,
		         i);
		dirs[i] = (seed_entry){names[i], KIST_ENTRY_DIR, 0, NULL};
	}
	sealed_seed("zeros", zeros, sizeof zeros / sizeof zeros[0], carol, 1);
	sealed_seed("link-chain", chain, sizeof chain / sizeof chain[0], carol, 0);
	sealed_seed("link-loop", loop, sizeof loop / sizeof loop[0], carol, 0);
	sealed_seed("twins", twins, sizeof twins / sizeof twins[0], carol, 0);
	sealed_seed("dirs", dirs, 64, carol, 0);
}

/* An index with a people register (fuzz_index runs the people search on it). */
static void people_seed(void)
{
	static const char reg[] = "name,aliases,notes,village,media\n"
	                          "Amira Ab\xc3\xa9,al-Karimi,sample statement,x-y,d/z\n"
	                          "\xd9\x83\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c Ali,,sample,,\n";
	static const char *const paths[] = {"d", "d/z"};
	static const uint32_t ids[] = {1, 2};
	kist__people ppl;
	kist__entry e[2];
	kist__index_meta m;
	unsigned char *img;
	size_t len;
	memset(&ppl, 0, sizeof ppl);
	memset(e, 0, sizeof e);
	memset(&m, 0, sizeof m);
	if (kist__register_parse(&ppl, (const unsigned char *)reg, sizeof reg - 1, "reg") !=
	        KIST_OK ||
	    kist__people_link(&ppl, paths, 2, ids) != KIST_OK)
		die("people seed: %s", kist_errdetail());
	uint32_t clen = KIST_CHUNK_OVERHEAD;
	e[0] = (kist__entry){.path = "d", .id = 1};
	e[0].pub.type = KIST_ENTRY_DIR;
	e[0].pub.mode = 0755;
	e[1] = (kist__entry){.path = "d/z", .id = 2, .nchunks = 1, .chunk_len = &clen};
	e[1].pub.type = KIST_ENTRY_FILE;
	e[1].pub.mode = 0644;
	e[1].pub.stored_size = clen;
	crypto_hash_sha256(e[1].pub.sha256, (const unsigned char *)"", 0);
	memcpy(m.vault_id, "00112233445566778899aabbccddeeff", 33);
	m.created = 1700000000;
	snprintf(m.tool_version, sizeof m.tool_version, "kist make_seeds");
	m.recipients = 1;
	m.chunk_size = 4096;
	if (kist__index_build(&img, &len, &m, e, 2, &ppl) != KIST_OK)
		die("people seed: %s", kist_errdetail());
	seed("index", "people", img, len);
	free(img);
	kist__people_free(&ppl);
}

/* People registers (fuzz_register): CSV and JSON, well-formed and not. */
static void register_seeds(void)
{
	static const struct {
		const char *name, *text;
	} regs[] = {
	    {"csv-basic", "name,relation,location,media\nAna,sister,Leeds,a.jpg;docs/s.txt\n"
	                  "Bea,mother,York,\n"},
	    {"csv-quoted", "\xef\xbb\xbfNAME,Aliases,notes,Shoe Size\r\n"
	                   "\"N\xc3\xba\xc3\xb1\x65z, Jos\xc3\xa9\",\"Pepe; \"\"El "
	                   "Flaco\"\"\",\"line one\r\nline two\",42\r\n\r\nAmina,,,\r\n"},
	    {"csv-arabic", "name,location\n\xd9\x85\xd8\xad\xd9\x85\xd8\xaf "
	                   "\xd8\xb1\xd8\xb6\xd8\xa7\xdb\x8c\xdb\x8c,\xda\xa9\xd8\xb1\xd9\x85"
	                   "\xd8\xa7\xd9\x86\n"},
	    {"csv-unterminated", "name,notes\nAna,\"never ends\n"},
	    {"csv-too-many", "name,relation\nAna,sister,extra\n"},
	    {"csv-bad-utf8", "name,notes\nAna,bad \xff byte\n"},
	    {"csv-stray-quote", "name\nAn\"a\n"},
	    {"csv-dup-column", "name,Name\nAna,Bea\n"},
	    {"json-basic", "[{\"name\": \"Jos\xc3\xa9\", \"aliases\": [\"Pepe\", \"J\"], "
	                   "\"born\": 1980, \"status\": null, \"height\": 1.75, \"ok\": true, "
	                   "\"tags\": {\"a\": [1, 2]}, \"media\": [\"a.jpg\", \"docs/s.txt\"]},"
	                   "{\"name\": \"Bea\", \"media\": \"media/a.jpg\"}]"},
	    {"json-bad-media", "[{\"name\": \"Ana\", \"media\": [\"a.jpg\", 7]}]"},
	    {"json-no-name", "[{\"relation\": \"x\"}]"},
	    {"json-object", "{\"name\": \"Ana\"}"},
	    {"json-records", "{\"name\": \"Ana\", \"media\": \"a.jpg\"}, {\"name\": \"Bea\"}"},
	};
	for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
		seed("register", regs[i].name, regs[i].text, strlen(regs[i].text));
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s VECTORS_DIR CORPUS_DIR\n", argv[0]);
		return 2;
	}
	corpus = argv[2];
	mkdir(corpus, 0755);
	if (kist_init() != KIST_OK)
		die("init");
	kist_identity *alice = vec_identity("alice"), *bob = vec_identity("bob"),
	              *carol = vec_identity("carol");
	if (alice == NULL || bob == NULL || carol == NULL)
		die("identities");
	from_vectors(argv[1], "valid", alice);
	from_vectors(argv[1], "malformed", alice);
	gate_seeds(argv[1], "valid");
	gate_seeds(argv[1], "malformed");
	from_keys(argv[1]);
	chunk_seeds();
	pubkey_seeds(alice, bob);
	identity_seeds(alice);
	sealed_seeds(carol);
	register_seeds();
	people_seed();
	printf("make_seeds: %u seeds in %s\n", nseeds, corpus);
	kist_identity_free(alice);
	kist_identity_free(bob);
	kist_identity_free(carol);
	return 0;
}
