/*
 * gen_vectors: writes the kist format test vectors (see README.md).
 *
 *   gen_vectors OUTDIR
 *
 * creates OUTDIR/keys (identities, mode 0600, and their public keys),
 * OUTDIR/valid (vaults that must open, list, extract and verify) and
 * OUTDIR/malformed (vaults that must fail, each for one named reason), each
 * vault with a NAME.expect file.  The identities are derived from fixed
 * labels (vec_keys.h), so they are the same on every run; the vaults contain
 * random bytes (file keys, salts, ephemeral shares), so every run gives
 * different vault bytes with the same meaning.  The vectors are generated
 * once and committed; the test (test_vectors.c) reads the committed files.
 *
 * Valid vaults come from the real sealer (kist_sealer_*) where it can make
 * them.  The malformed ones are either byte changes to a valid vault (an
 * attacker without keys) or vaults built here from the internal pieces with
 * valid keys (a malicious sealer): their index, chunks and trailer
 * authenticate, and only the reader's validation stands between them and the
 * user.  The crafting code below follows docs/FORMAT.md, not seal.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zstd.h>

#include "gate/gate.h"
#include "vault/vault.h"
#include "vec_keys.h"

#define MTIME 1700000000 /* 2023-11-14: fixed times, so extracted trees compare */

static char outdir[PATH_MAX];
static char stagedir[PATH_MAX];
static kist_identity *alice, *bob, *carol, *dave; /* dave: an age identity */
static char dave_str[KIST_PUBKEY_STRLEN + 1];
static char alice_str[KIST_PUBKEY_STRLEN + 1], bob_str[KIST_PUBKEY_STRLEN + 1],
    carol_str[KIST_PUBKEY_STRLEN + 1];
static kist_identity *erin, *frank, *grace; /* custodians of the gated vaults (never recipients) */
static char erin_str[KIST_PUBKEY_STRLEN + 1], frank_str[KIST_PUBKEY_STRLEN + 1],
    grace_str[KIST_PUBKEY_STRLEN + 1];
static unsigned nvalid, nmalformed;

/* ------------------------------------------------------------- helpers */

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "gen_vectors: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static void check(kist_err err, const char *what)
{
	if (err != KIST_OK)
		die("%s: %s (%s)", what, kist_strerror(err), kist_errdetail());
}

static char *out_path(const char *rel)
{
	static char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", outdir, rel);
	return p;
}

static void write_all(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || (len > 0 && write(fd, data, len) != (ssize_t)len) || close(fd) != 0)
		die("%s: %s", path, strerror(errno));
	chmod(path, mode);
}

static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		die("%s: read failed", path);
	fclose(f);
	*len = (size_t)n;
	return b;
}

typedef struct buf {
	unsigned char *p;
	size_t len, cap;
} buf;

static void buf_add(buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->len + n)
			nc *= 2;
		if ((b->p = realloc(b->p, nc)) == NULL)
			die("out of memory");
		b->cap = nc;
	}
	if (n > 0)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Deterministic, incompressible bytes (xorshift64). */
static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 32);
	}
}

/*
 * Deterministic, compressible bytes with no period dividing the chunk size:
 * a 4099-byte random block repeated, with a counter every 4096 bytes, so
 * that every chunk differs and a chunk-boundary mistake changes the output.
 */
static unsigned char *make_bulk(size_t n, uint64_t seed)
{
	unsigned char block[4099];
	unsigned char *p = malloc(n ? n : 1);
	if (p == NULL)
		die("out of memory");
	fill_random(block, sizeof block, seed);
	for (size_t i = 0; i < n; i++)
		p[i] = block[i % sizeof block];
	for (size_t i = 0; i < n; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	return p;
}

static void sha256_hex(char out[65], const unsigned char *data, size_t len)
{
	unsigned char h[32];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, 65, h, 32);
}

/* ---------------------------------------------------- expectation files */

static FILE *expect_open(const char *kind, const char *name)
{
	char rel[256];
	snprintf(rel, sizeof rel, "%s/%s.expect", kind, name);
	FILE *f = fopen(out_path(rel), "w");
	if (f == NULL)
		die("%s: %s", rel, strerror(errno));
	return f;
}

static void expect_close(FILE *f)
{
	if (fclose(f) != 0)
		die("writing an expect file failed");
}

static void expect_file(FILE *f, const char *path, const unsigned char *data, size_t len)
{
	char hex[65];
	sha256_hex(hex, data, len);
	fprintf(f, "entry: file %s %zu %s\n", path, len, hex);
}

static const char *reason_for(const char *name);
static const char *next_reason; /* the reason: line of the next malformed vector */
static const char *index_reason(const char *name); /* issue 12: gen_index_vectors() */

static void malformed_expect(const char *name, const char *kind, const char *ident,
                             const char *comment)
{
	FILE *f = expect_open("malformed", name);
	fprintf(f, "expect: %s\nidentity: %s\ncomment: %s\n", kind, ident, comment);
	if (next_reason == NULL)
		next_reason = index_reason(name);
	fprintf(f, "reason: %s\n", next_reason != NULL ? next_reason : reason_for(name));
	next_reason = NULL;
	expect_close(f);
	nmalformed++;
}

static void malformed_for(const char *name, const unsigned char *data, size_t len, const char *kind,
                          const char *ident, const char *comment)
{
	char rel[256];
	snprintf(rel, sizeof rel, "malformed/%s.kist", name);
	write_all(out_path(rel), data, len, 0644);
	malformed_expect(name, kind, ident, comment);
}

static void malformed(const char *name, const unsigned char *data, size_t len, const char *kind,
                      const char *comment)
{
	malformed_for(name, data, len, kind, "alice", comment);
}

/* ------------------------------------------------------------ staging */

static void stage_dir(const char *rel)
{
	if (mkdir(rel, 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", rel, strerror(errno));
	chmod(rel, 0755);
}

static void stage_file(const char *rel, const void *data, size_t len)
{
	write_all(rel, data, len, 0644);
	struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};
	utimensat(AT_FDCWD, rel, ts, 0);
}

static void stage_link(const char *rel, const char *target)
{
	if (symlink(target, rel) != 0)
		die("symlink %s: %s", rel, strerror(errno));
}

/* Enters a fresh staging directory for the vector name. */
static void stage_begin(const char *name)
{
	char d[PATH_MAX * 2];
	snprintf(d, sizeof d, "%s/%s", stagedir, name);
	if (mkdir(d, 0755) != 0 || chdir(d) != 0)
		die("staging %s: %s", d, strerror(errno));
}

static void fix_dir_times(const char *rel)
{
	struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};
	utimensat(AT_FDCWD, rel, ts, 0);
}

/* Seals paths (relative to the staging directory) with the real sealer. */
static void seal_real(const char *name, kist_identity *const *recips, size_t nrecips,
                      const kist_identity *signer, const char *const *paths, size_t npaths)
{
	kist_sealer *s = NULL;
	kist_pubkey pk;
	char rel[256];

	check(kist_sealer_new(&s, NULL, NULL), "seal_new");
	for (size_t i = 0; i < nrecips; i++) {
		kist_identity_recipient(recips[i], &pk); /* age1 for an age identity */
		check(kist_sealer_add_recipient(s, &pk), "add_recipient");
	}
	if (signer != NULL)
		check(kist_sealer_set_signer(s, signer), "set_signer");
	for (size_t i = 0; i < npaths; i++)
		check(kist_sealer_add_path(s, paths[i]), paths[i]);
	snprintf(rel, sizeof rel, "valid/%s.kist", name);
	check(kist_sealer_write(s, out_path(rel), KIST_REPLACE), name);
	chmod(out_path(rel), 0644); /* as git will check it out */
	kist_sealer_free(s);
	nvalid++;
}

/* ---------------------------------------------- crafting (a malicious sealer) */

typedef struct centry {
	const char *path;
	kist_entry_type type;
	const unsigned char *data;
	size_t size;
	const char *link;
} centry;

/* Special treatment of the content chunks of the first file entry. */
enum chunk_mode {
	CM_NORMAL,
	CM_BOMB,     /* one zstd chunk whose frame decodes to 64 MiB */
	CM_METHOD2,  /* method byte 2 */
	CM_LAST0,    /* the final chunk sealed with last = 0 */
	CM_STREAM,   /* sealed with the next entry's stream id */
	CM_SWAP,     /* chunks 0 and 1 written in swapped order (equal lengths) */
	CM_ZSHORT,   /* zstd frame decodes to one byte less than the chunk's data */
	CM_ZJUNK,    /* zstd frame followed by junk bytes */
	CM_TWOFRAMES /* the data as two concatenated zstd frames */
};

typedef struct craft {
	const centry *ents;
	size_t n;
	uint32_t chunk_size; /* 0: KIST_CHUNK_SIZE */
	kist_identity *const *recips;
	size_t nrecips; /* 0: alice alone */
	const kist_identity *signer;
	const char *sql;                   /* run on the index before serialising */
	const char *patch_from, *patch_to; /* equal-length replacement in the image */
	enum chunk_mode cmode;
	void (*trailer_fix)(kist__trailer *t); /* after the honest values, before signing */
	int flip_signature;
	size_t body_extra; /* junk bytes between entries and index */
	int index_random, index_truncate, index_no_size;
	int extra_slot; /* an unknown slot type before the real ones (MAC recomputed) */
	/* changes the built header (the caller recomputes the MAC if it means to) */
	void (*header_fix)(unsigned char *h, size_t hl, const unsigned char fk[32],
	                   const kist__keys *k);
	/* issue 12, the index (gen_index_vectors below) */
	enum { IF_ONE, IF_TRAIL_SKIP, IF_TRAIL_EMPTY, IF_LEAD_SKIP } index_frames;
	const char *btree_index;           /* patch only this SQLite index's root page */
	const char *btree_from, *btree_to; /* (equal lengths) */
	int index_from_doc;        /* the index rebuilt from docs/INDEX.md's CREATE statements */
	unsigned recipients_claim; /* vault.recipients; 0: the header's slot count */
} craft;

/*
 * Written from FORMAT.md rather than taken from the library, so that the
 * vectors check the library's nonces against the document.
 */
static void nonce_for(unsigned char n[12], uint32_t stream, uint64_t counter, int last)
{
	/* FORMAT.md: stream id (4 bytes BE) || counter (7 bytes BE) || last flag */
	n[0] = (unsigned char)(stream >> 24);
	n[1] = (unsigned char)(stream >> 16);
	n[2] = (unsigned char)(stream >> 8);
	n[3] = (unsigned char)stream;
	for (int i = 0; i < 7; i++)
		n[4 + i] = (unsigned char)(counter >> (8 * (6 - i)));
	n[11] = last ? 1 : 0;
}

/* Seals a chunk plaintext (method || payload) exactly as given. */
static void seal_raw(buf *out, const unsigned char key[32], uint32_t stream, uint64_t counter,
                     int last, const unsigned char *pt, size_t ptlen)
{
	unsigned char nonce[12];
	unsigned char *ct = malloc(ptlen + 16);
	unsigned long long clen;
	if (ct == NULL)
		die("out of memory");
	nonce_for(nonce, stream, counter, last);
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, &clen, pt, ptlen, NULL, 0, NULL, nonce, key);
	buf_add(out, ct, (size_t)clen);
	free(ct);
}

static void zstd_frame(buf *out, const unsigned char *data, size_t len)
{
	size_t cap = ZSTD_compressBound(len);
	unsigned char *z = malloc(cap);
	size_t n = ZSTD_compress(z, cap, data, len, 3);
	if (z == NULL || ZSTD_isError(n))
		die("zstd failed");
	buf_add(out, z, n);
	free(z);
}

static unsigned char *run_sql(const unsigned char *img, size_t len, const char *sql, size_t *outlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	sqlite3_int64 n = 0;
	unsigned char *copy = sqlite3_malloc64(len);
	if (copy == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
		die("sqlite: open");
	memcpy(copy, img, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) !=
	    SQLITE_OK)
		die("sqlite: deserialize: %s", sqlite3_errmsg(db));
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		die("sqlite: %s: %s", sql, msg ? msg : "?");
	unsigned char *ser = sqlite3_serialize(db, "main", &n, 0);
	unsigned char *out = malloc((size_t)n);
	if (ser == NULL || out == NULL)
		die("sqlite: serialize");
	memcpy(out, ser, (size_t)n);
	sqlite3_free(ser);
	sqlite3_close(db);
	*outlen = (size_t)n;
	return out;
}

static void patch_all(unsigned char *p, size_t len, const char *from, const char *to)
{
	size_t fl = strlen(from);
	int hits = 0;
	if (strlen(to) != fl)
		die("patch: lengths differ");
	for (size_t i = 0; i + fl <= len; i++)
		if (memcmp(p + i, from, fl) == 0) {
			memcpy(p + i, to, fl);
			hits++;
		}
	if (hits == 0)
		die("patch: %s not found", from);
}

/* --------------------------------- issue 12, the index: build() helpers */

/* Equal-length replacement of from by to, only inside the root page of the SQLite
 * index idx: the index b-tree then disagrees with its table. */
static void patch_btree(unsigned char *img, size_t len, const char *idx, const char *from,
                        const char *to)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3_int64 root = 0, psize = 0;
	unsigned char *copy = sqlite3_malloc64(len);
	char q[256];
	if (copy == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
		die("sqlite: open");
	memcpy(copy, img, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK)
		die("sqlite: deserialize");
	snprintf(q, sizeof q,
	         "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
	         "FROM sqlite_schema WHERE name = '%s'",
	         idx);
	if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		die("patch_btree: no index %s", idx);
	root = sqlite3_column_int64(st, 0);
	psize = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (root < 1 || (size_t)(root * psize) > len)
		die("patch_btree: bad root page");
	patch_all(img + (root - 1) * psize, (size_t)psize, from, to);
}

/* The CREATE TABLE statements of docs/INDEX.md's ```sql blocks, as printed there. */
static char *doc_schema(void)
{
	char path[PATH_MAX + 32];
	size_t len;
	snprintf(path, sizeof path, "%s/../../docs/INDEX.md", outdir);
	char *md = (char *)read_all(path, &len), *out = calloc(len + 1, 1);
	if (out == NULL)
		die("out of memory");
	for (char *p = md; (p = strstr(p, "```sql\n")) != NULL;) {
		p += 7;
		char *end = strstr(p, "```");
		if (end == NULL)
			die("INDEX.md: unterminated block");
		if (strncmp(p, "CREATE TABLE", 12) == 0)
			strncat(out, p, (size_t)(end - p));
		p = end + 3;
	}
	free(md);
	if (out[0] == '\0')
		die("INDEX.md: no CREATE statements");
	return out;
}

/* The same rows in a database made from docs/INDEX.md's statements (comments and all),
 * as a second implementation written from the document would make it. */
static unsigned char *rebuild_from_doc(const unsigned char *img, size_t len, size_t *outlen)
{
	static const char *const tables[] = {"vault",  "entries",       "custody",
	                                     "people", "person_fields", "person_media"};
	sqlite3 *db = NULL;
	sqlite3_int64 n = 0;
	char *schema = doc_schema(), sql[128];
	unsigned char *copy = sqlite3_malloc64(len);
	if (copy == NULL || sqlite3_open(":memory:", &db) != SQLITE_OK)
		die("sqlite: open");
	memcpy(copy, img, len);
	if (sqlite3_exec(db, "PRAGMA application_id = 1802072948; PRAGMA user_version = 2;", NULL,
	                 NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "ATTACH ':memory:' AS src", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_deserialize(db, "src", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE) != SQLITE_OK)
		die("rebuild_from_doc: %s", sqlite3_errmsg(db));
	for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO main.%s SELECT * FROM src.%s", tables[i],
		         tables[i]);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			die("rebuild_from_doc: %s", sqlite3_errmsg(db));
	}
	if (sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK)
		die("rebuild_from_doc: detach");
	unsigned char *ser = sqlite3_serialize(db, "main", &n, 0), *out = malloc((size_t)n);
	if (ser == NULL || out == NULL)
		die("sqlite: serialize");
	memcpy(out, ser, (size_t)n);
	sqlite3_free(ser);
	sqlite3_close(db);
	free(schema);
	*outlen = (size_t)n;
	return out;
}

/* Builds a vault from c into out (header || body || trailer). */
static void build(const craft *c, buf *out)
{
	unsigned char fk[32], salt[32];
	kist__keys k;
	kist__chunker *ck = NULL;
	unsigned char *h = NULL;
	size_t hl = 0;
	buf body = {0};
	uint32_t cs = c->chunk_size ? c->chunk_size : KIST_CHUNK_SIZE;
	kist_pubkey pks[4];
	size_t nr = c->nrecips ? c->nrecips : 1;

	randombytes_buf(fk, sizeof fk);
	randombytes_buf(salt, sizeof salt);
	kist__derive_keys(&k, KIST_FORMAT_VERSION, fk, NULL, salt);
	for (size_t i = 0; i < nr; i++)
		kist_identity_recipient(c->nrecips ? c->recips[i] : alice, &pks[i]);
	check(kist__header_build(&h, &hl, fk, salt, pks, nr), "header_build");
	if (c->extra_slot) {
		/* slot type 0x7f00 (unassigned), flags 0, body_len 7, then the real slots */
		static const unsigned char grease[15] = {0x00, 0x7f, 0,   0,   7,   0,   0,  0,
		                                         'g',  'r',  'e', 'a', 's', 'e', '!'};
		size_t nl = hl + sizeof grease;
		unsigned char *nh = malloc(nl);
		memcpy(nh, h, KIST_HEADER_FIXED);
		memcpy(nh + KIST_HEADER_FIXED, grease, sizeof grease);
		memcpy(nh + KIST_HEADER_FIXED + sizeof grease, h + KIST_HEADER_FIXED,
		       hl - KIST_HEADER_FIXED);
		kist__st32(nh + 12, (uint32_t)nl);
		kist__st16(nh + 48, (uint16_t)(nr + 1));
		kist__hmac_sha256(nh + nl - 32, k.header_mac, 32, nh, nl - 32);
		free(h);
		h = nh;
		hl = nl;
	}
	if (c->header_fix != NULL)
		c->header_fix(h, hl, fk, &k);
	check(kist__chunker_new(&ck, cs, 3), "chunker");

	kist__entry *ie = calloc(c->n, sizeof *ie);
	int target = -1;
	for (size_t i = 0; i < c->n; i++) {
		const centry *ce = &c->ents[i];
		kist__entry *e = &ie[i];
		e->id = (uint32_t)(i + 1);
		e->path = strdup(ce->path);
		e->link = ce->link ? strdup(ce->link) : NULL;
		e->pub.type = ce->type;
		e->pub.mode = ce->type == KIST_ENTRY_DIR       ? 0755
		              : ce->type == KIST_ENTRY_SYMLINK ? 0777
		                                               : 0644;
		e->pub.mtime = MTIME;
		e->offset = body.len;
		if (ce->type != KIST_ENTRY_FILE)
			continue;
		int special = target < 0 && c->cmode != CM_NORMAL;
		if (special)
			target = (int)i;
		uint32_t nch = ce->size == 0 ? 1 : (uint32_t)((ce->size - 1) / cs + 1);
		e->nchunks = nch;
		e->chunk_len = calloc(nch, sizeof *e->chunk_len);
		e->pub.size = ce->size;
		crypto_hash_sha256(e->pub.sha256, ce->data, ce->size);
		for (uint32_t ch = 0; ch < nch; ch++) {
			size_t off = (size_t)ch * cs,
			       len = ce->size - off < cs ? ce->size - off : cs;
			int last = ch + 1 == nch;
			const unsigned char *d = ce->data + off;
			size_t before = body.len;
			buf pt = {0};
			unsigned char m;
			enum chunk_mode mode = special ? c->cmode : CM_NORMAL;
			switch (mode) {
			case CM_BOMB: {
				unsigned char *zeros = calloc(64u << 20, 1);
				m = KIST_METHOD_ZSTD;
				buf_add(&pt, &m, 1);
				zstd_frame(&pt, zeros, 64u << 20);
				free(zeros);
				seal_raw(&body, k.content, e->id, ch, last, pt.p, pt.len);
				break;
			}
			case CM_METHOD2:
				m = 2;
				buf_add(&pt, &m, 1);
				buf_add(&pt, d, len);
				seal_raw(&body, k.content, e->id, ch, last, pt.p, pt.len);
				break;
			case CM_LAST0:
			case CM_STREAM:
				m = KIST_METHOD_STORED;
				buf_add(&pt, &m, 1);
				buf_add(&pt, d, len);
				seal_raw(&body, k.content, mode == CM_STREAM ? e->id + 1 : e->id,
				         ch, mode == CM_LAST0 ? 0 : last, pt.p, pt.len);
				break;
			case CM_ZSHORT:
			case CM_ZJUNK:
			case CM_TWOFRAMES:
				m = KIST_METHOD_ZSTD;
				buf_add(&pt, &m, 1);
				if (mode == CM_TWOFRAMES) {
					zstd_frame(&pt, d, len / 2);
					zstd_frame(&pt, d + len / 2, len - len / 2);
				} else {
					zstd_frame(&pt, d, mode == CM_ZSHORT ? len - 1 : len);
				}
				if (mode == CM_ZJUNK)
					buf_add(&pt, "junk", 4);
				seal_raw(&body, k.content, e->id, ch, last, pt.p, pt.len);
				break;
			default: {
				const unsigned char *ct;
				size_t ctlen;
				check(kist__chunk_seal(ck, k.content, e->id, ch, last, 1, d, len,
				                       &ct, &ctlen),
				      "chunk_seal");
				buf_add(&body, ct, ctlen);
			}
			}
			free(pt.p);
			e->chunk_len[ch] = (uint32_t)(body.len - before);
			e->pub.stored_size += body.len - before;
		}
		if (special && c->cmode == CM_SWAP) {
			if (nch < 2 || e->chunk_len[0] != e->chunk_len[1])
				die("swap needs two chunks of equal length");
			size_t l = e->chunk_len[0];
			unsigned char *tmp = malloc(l);
			memcpy(tmp, body.p + e->offset, l);
			memmove(body.p + e->offset, body.p + e->offset + l, l);
			memcpy(body.p + e->offset + l, tmp, l);
			free(tmp);
		}
	}
	if (c->cmode != CM_NORMAL && target < 0)
		die("chunk mode without a file entry");
	for (size_t i = 0; i < c->body_extra; i++) {
		unsigned char junk = 0xAA;
		buf_add(&body, &junk, 1);
	}

	/* the index */
	kist__index_meta m;
	unsigned char rnd[16], *img = NULL;
	size_t imglen = 0;
	memset(&m, 0, sizeof m);
	randombytes_buf(rnd, sizeof rnd);
	sodium_bin2hex(m.vault_id, sizeof m.vault_id, rnd, sizeof rnd);
	m.created = MTIME;
	snprintf(m.tool_version, sizeof m.tool_version, "kist gen_vectors");
	m.recipients =
	    c->recipients_claim ? c->recipients_claim : (unsigned)(nr + (c->extra_slot ? 1 : 0));
	m.chunk_size = cs;
	if (c->signer != NULL) {
		kist_pubkey_format(&c->signer->pk, m.signer);
		m.has_signer = 1;
	}
	check(kist__index_build(&img, &imglen, &m, ie, c->n, NULL), "index_build");
	kist__entries_free(ie, c->n);
	if (c->sql != NULL) {
		size_t nl;
		unsigned char *ni = run_sql(img, imglen, c->sql, &nl);
		free(img);
		img = ni;
		imglen = nl;
	}
	if (c->patch_from != NULL)
		patch_all(img, imglen, c->patch_from, c->patch_to);
	if (c->btree_index != NULL)
		patch_btree(img, imglen, c->btree_index, c->btree_from, c->btree_to);
	if (c->index_from_doc) {
		size_t nl;
		unsigned char *ni = rebuild_from_doc(img, imglen, &nl);
		free(img);
		img = ni;
		imglen = nl;
	}
	if (c->index_random) {
		imglen = 8192;
		img = realloc(img, imglen);
		fill_random(img, imglen, 77);
	}
	if (c->index_truncate)
		imglen /= 2;

	size_t zcap = ZSTD_compressBound(imglen), zlen;
	unsigned char *z = malloc(zcap);
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 9);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, c->index_no_size ? 0 : 1);
	zlen = ZSTD_compress2(cctx, z, zcap, img, imglen);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(zlen))
		die("index compression failed");
	if (c->index_frames != IF_ONE) {
		/* skippable frame: magic 0x184D2A50, 4-byte length, that many bytes */
		static const unsigned char skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4,   0,
		                                       0,    0,    'k',  'i',  's', 't'};
		unsigned char empty[32];
		size_t elen = ZSTD_compress(empty, sizeof empty, "", 0, 3);
		if (ZSTD_isError(elen))
			die("zstd: empty frame");
		z = realloc(z, zlen + sizeof skip + elen);
		if (z == NULL)
			die("out of memory");
		if (c->index_frames == IF_LEAD_SKIP) {
			memmove(z + sizeof skip, z, zlen);
			memcpy(z, skip, sizeof skip);
			zlen += sizeof skip;
		} else if (c->index_frames == IF_TRAIL_SKIP) {
			memcpy(z + zlen, skip, sizeof skip);
			zlen += sizeof skip;
		} else {
			memcpy(z + zlen, empty, elen);
			zlen += elen;
		}
	}

	kist__trailer t;
	memset(&t, 0, sizeof t);
	t.index_offset = body.len;
	t.index_zlen = zlen;
	t.index_len = imglen;
	t.chunk_size = cs;
	crypto_hash_sha256(t.index_sha256, img, imglen);
	uint64_t counter = 0;
	for (size_t off = 0; off < zlen; off += cs, counter++) {
		size_t n = zlen - off < cs ? zlen - off : cs;
		const unsigned char *ct;
		size_t ctlen;
		check(kist__chunk_seal(ck, k.index, KIST_STREAM_INDEX, counter, off + n == zlen, 0,
		                       z + off, n, &ct, &ctlen),
		      "index chunk");
		buf_add(&body, ct, ctlen);
	}
	free(z);
	free(img);
	if (c->signer != NULL) {
		t.flags |= KIST_TRAILER_SIGNED;
		memcpy(t.signer, c->signer->pk.ed25519, 32);
	}
	if (c->trailer_fix != NULL)
		c->trailer_fix(&t);
	if (c->signer != NULL) {
		unsigned char msg[32];
		kist__header hp;
		check(kist__header_parse(&hp, h, hl), "header");
		kist__signature_message(msg, &hp, h, &t, hp.recipient_slots);
		crypto_sign_detached(t.signature, NULL, msg, sizeof msg, c->signer->ed25519_sk);
		if (c->flip_signature)
			t.signature[7] ^= 0x01;
	}
	unsigned char tplain[KIST_TRAILER_PLAIN];
	const unsigned char *ct;
	size_t ctlen;
	kist__trailer_encode(tplain, KIST_FORMAT_VERSION, &t);
	check(kist__chunk_seal(ck, k.index, KIST_STREAM_TRAILER, 0, 1, 0, tplain, sizeof tplain,
	                       &ct, &ctlen),
	      "trailer");
	buf_add(&body, ct, ctlen);

	out->len = 0;
	buf_add(out, h, hl);
	buf_add(out, body.p, body.len);
	free(body.p);
	free(h);
	kist__chunker_free(ck);
	sodium_memzero(&k, sizeof k);
}

static void crafted(const char *name, const craft *c, const char *kind, const char *comment)
{
	buf v = {0};
	build(c, &v);
	malformed(name, v.p, v.len, kind, comment);
	free(v.p);
}

/* The default content of a crafted vault: one small file. */
static const unsigned char small_text[] = "a crafted vault\n";
static const centry one_file[] = {
    {"a.txt", KIST_ENTRY_FILE, small_text, sizeof small_text - 1, NULL}};

static void crafted_sql(const char *name, const char *sql, const char *kind, const char *comment)
{
	craft c = {.ents = one_file, .n = 1, .sql = sql};
	crafted(name, &c, kind, comment);
}

static void crafted_entries(const char *name, const centry *ents, size_t n, const char *kind,
                            const char *comment)
{
	craft c = {.ents = ents, .n = n};
	crafted(name, &c, kind, comment);
}

/* trailer changes */
static void tf_pad_no_flag(kist__trailer *t)
{
	t->pad_len = 16;
}

static void tf_pad_one(kist__trailer *t)
{
	t->flags |= KIST_TRAILER_PADDED;
	t->pad_len = 1;
}

static void tf_pad_huge(kist__trailer *t)
{
	t->flags |= KIST_TRAILER_PADDED;
	t->pad_len = KIST_PAD_MAX;
}

static void tf_unknown_flags(kist__trailer *t)
{
	t->flags |= 4; /* bit 1 is "padded" in version 2 */
}
static void tf_chunk_small(kist__trailer *t)
{
	t->chunk_size = 1024;
}
static void tf_chunk_other(kist__trailer *t)
{
	t->chunk_size = 4096;
}
static void tf_offset(kist__trailer *t)
{
	t->index_offset += 1;
}
static void tf_zlen(kist__trailer *t)
{
	t->index_zlen -= 1;
}
static void tf_len(kist__trailer *t)
{
	t->index_len += 1;
}
static void tf_len_huge(kist__trailer *t)
{
	t->index_len = 300u << 20;
}
static void tf_hash(kist__trailer *t)
{
	t->index_sha256[0] ^= 1;
}
static void tf_sig_data(kist__trailer *t)
{
	t->signature[0] = 1;
}
static void tf_unsign(kist__trailer *t)
{
	t->flags &= ~KIST_TRAILER_SIGNED;
	memset(t->signer, 0, sizeof t->signer);
}

/* ------------------------------------------------------------- keys */

static void write_keys(void)
{
	struct {
		const char *name;
		kist_identity *id;
		char *str;
	} k[] = {{"alice", alice, alice_str}, {"bob", bob, bob_str},
	         {"carol", carol, carol_str}, {"erin", erin, erin_str},
	         {"frank", frank, frank_str}, {"grace", grace, grace_str}};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		char rel[64], line[KIST_PUBKEY_STRLEN + 2];
		snprintf(rel, sizeof rel, "keys/%s.key", k[i].name);
		check(kist_identity_save(k[i].id, out_path(rel), NULL, 0, KIST_REPLACE), rel);
		kist_pubkey_format(&k[i].id->pk, k[i].str);
		snprintf(rel, sizeof rel, "keys/%s.pub", k[i].name);
		snprintf(line, sizeof line, "%s\n", k[i].str);
		write_all(out_path(rel), line, strlen(line), 0644);
	}

	/* dave: an age identity file as age-keygen writes it, and its age1 key. */
	char secret[KIST_AGE_SECRET_STRLEN + 1], text[512];
	kist_pubkey rp;
	kist_identity_recipient(dave, &rp);
	kist_pubkey_format(&rp, dave_str);
	kist__bech32_encode(secret, sizeof secret, "age-secret-key-", dave->x25519_sk, 32);
	for (char *p = secret; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	snprintf(text, sizeof text,
	         "# age identity of the test vectors (public: test code only)\n"
	         "# public key: %s\n%s\n",
	         dave_str, secret);
	write_all(out_path("keys/dave.key"), text, strlen(text), 0600);
	snprintf(text, sizeof text, "%s\n", dave_str);
	write_all(out_path("keys/dave.pub"), text, strlen(text), 0644);
	sodium_memzero(secret, sizeof secret);
	sodium_memzero(text, sizeof text);
}

/* ------------------------------------------------------------ valid */

static unsigned char b_bin[300], c_bin[300], notes[2000];
static const char hello[] = "Hello, kist!\n";
static const char a_txt[] = "alpha\n";
static const char cafe[] = "accents in the name: the bytes are kept as given\n";

static void gen_valid(void)
{
	FILE *f;

	/* one file */
	stage_begin("one-file");
	stage_file("hello.txt", hello, strlen(hello));
	const char *p1[] = {"hello.txt"};
	seal_real("one-file", (kist_identity *[]){alice}, 1, NULL, p1, 1);
	f = expect_open("valid", "one-file");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
	fprintf(f, "comment: one small file, sealed to alice\n");
	expect_close(f);

	/* a tree: folders, files, an empty file, a symlink, a non-ASCII name */
	stage_begin("tree");
	fill_random(b_bin, sizeof b_bin, 1);
	fill_random(c_bin, sizeof c_bin, 2);
	for (size_t i = 0; i < sizeof notes; i++)
		notes[i] = "notes: compressible text.\n"[i % 26];
	stage_dir("tree");
	stage_dir("tree/sub");
	stage_file("tree/a.txt", a_txt, strlen(a_txt));
	stage_file("tree/empty", "", 0);
	stage_link("tree/link", "a.txt");
	stage_file("tree/sub/b.bin", b_bin, sizeof b_bin);
	stage_file("tree/sub/c.bin", c_bin, sizeof c_bin);
	stage_file("tree/sub/notes.txt", notes, sizeof notes);
	stage_file("tree/na\xc3\xafve-caf\xc3\xa9.txt", cafe, strlen(cafe));
	fix_dir_times("tree/sub");
	fix_dir_times("tree");
	const char *p2[] = {"tree"};
	seal_real("tree", (kist_identity *[]){alice}, 1, NULL, p2, 1);
	f = expect_open("valid", "tree");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	fprintf(f, "entry: dir tree 0 -\n");
	expect_file(f, "tree/a.txt", (const unsigned char *)a_txt, strlen(a_txt));
	expect_file(f, "tree/empty", (const unsigned char *)"", 0);
	fprintf(f, "entry: symlink tree/link 0 - a.txt\n");
	expect_file(f, "tree/na\xc3\xafve-caf\xc3\xa9.txt", (const unsigned char *)cafe,
	            strlen(cafe));
	fprintf(f, "entry: dir tree/sub 0 -\n");
	expect_file(f, "tree/sub/b.bin", b_bin, sizeof b_bin);
	expect_file(f, "tree/sub/c.bin", c_bin, sizeof c_bin);
	expect_file(f, "tree/sub/notes.txt", notes, sizeof notes);
	fprintf(f, "comment: a folder with files (stored and zstd chunks), an empty file, a "
	           "subfolder, a relative symlink and a UTF-8 name\n");
	expect_close(f);

	/* two recipients */
	static const char shared[] = "for alice and bob\n";
	stage_begin("two-recipients");
	stage_file("shared.txt", shared, strlen(shared));
	const char *p3[] = {"shared.txt"};
	seal_real("two-recipients", (kist_identity *[]){alice, bob}, 2, NULL, p3, 1);
	f = expect_open("valid", "two-recipients");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice bob\nsigned: no\nslots: 2\n");
	expect_file(f, "shared.txt", (const unsigned char *)shared, strlen(shared));
	fprintf(f, "comment: sealed to alice (slot 1) and bob (slot 2); each opens it\n");
	expect_close(f);

	/* signed */
	static const char stmt[] = "signed statement\n";
	stage_begin("signed");
	stage_file("statement.txt", stmt, strlen(stmt));
	const char *p4[] = {"statement.txt"};
	seal_real("signed", (kist_identity *[]){alice}, 1, carol, p4, 1);
	f = expect_open("valid", "signed");
	fprintf(f,
	        "expect: ok\nversion: 2\nidentity: alice\nsigned: yes\nsigner: carol\nslots: 1\n");
	expect_file(f, "statement.txt", (const unsigned char *)stmt, strlen(stmt));
	fprintf(f, "comment: sealed to alice, signed by carol (who is not a recipient)\n");
	expect_close(f);

	/* age recipients */
	static const char for_age[] = "sealed to an age key\n";
	stage_begin("age-recipient");
	stage_file("age.txt", for_age, strlen(for_age));
	const char *page[] = {"age.txt"};
	seal_real("age-recipient", (kist_identity *[]){dave}, 1, NULL, page, 1);
	f = expect_open("valid", "age-recipient");
	fprintf(f, "expect: ok\nversion: 2\nidentity: dave\nsigned: no\nslots: 1\n");
	expect_file(f, "age.txt", (const unsigned char *)for_age, strlen(for_age));
	fprintf(f, "comment: sealed to dave's age1 key: one age X25519 slot (type 2), opened "
	           "with his AGE-SECRET-KEY-1 identity file\n");
	expect_close(f);

	stage_begin("age-and-kist-signed");
	stage_file("age.txt", for_age, strlen(for_age));
	seal_real("age-and-kist-signed", (kist_identity *[]){alice, dave}, 2, dave, page, 1);
	f = expect_open("valid", "age-and-kist-signed");
	fprintf(
	    f,
	    "expect: ok\nversion: 2\nidentity: alice dave\nsigned: yes\nsigner: dave\nslots: 2\n");
	expect_file(f, "age.txt", (const unsigned char *)for_age, strlen(for_age));
	fprintf(f, "comment: sealed to alice (kist slot, type 1) and dave (age slot, type 2), "
	           "signed by dave's Ed25519 key derived from his age identity; each opens it\n");
	expect_close(f);

	/* exactly one chunk of 1 MiB */
	unsigned char *mib = make_bulk(KIST_CHUNK_SIZE, 3);
	stage_begin("chunk-1mib");
	stage_file("exact.bin", mib, KIST_CHUNK_SIZE);
	const char *p5[] = {"exact.bin"};
	seal_real("chunk-1mib", (kist_identity *[]){alice}, 1, NULL, p5, 1);
	f = expect_open("valid", "chunk-1mib");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	expect_file(f, "exact.bin", mib, KIST_CHUNK_SIZE);
	fprintf(f, "comment: a file of exactly chunk_size (1 MiB) bytes: one chunk, last = 1\n");
	expect_close(f);
	free(mib);

	/* 2 MiB + 1 byte: three chunks, the last one byte */
	size_t bl = 2 * (size_t)KIST_CHUNK_SIZE + 1;
	unsigned char *big = make_bulk(bl, 4);
	stage_begin("chunks-2mib-plus-1");
	stage_file("big.bin", big, bl);
	const char *p6[] = {"big.bin"};
	seal_real("chunks-2mib-plus-1", (kist_identity *[]){alice}, 1, NULL, p6, 1);
	f = expect_open("valid", "chunks-2mib-plus-1");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	expect_file(f, "big.bin", big, bl);
	fprintf(f, "comment: 2 MiB + 1 byte: chunks of 1 MiB, 1 MiB and 1 byte (stored)\n");
	expect_close(f);
	free(big);

	/* links pointing outside the target: recorded, refused at extraction */
	static const char ok[] = "ok\n";
	stage_begin("links-outside");
	stage_file("ok.txt", ok, strlen(ok));
	stage_link("up", "../outside");
	stage_link("abs", "/etc/passwd");
	const char *p7[] = {"abs", "ok.txt", "up"};
	seal_real("links-outside", (kist_identity *[]){alice}, 1, NULL, p7, 3);
	f = expect_open("valid", "links-outside");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	fprintf(f, "entry: symlink abs 0 - /etc/passwd\n");
	expect_file(f, "ok.txt", (const unsigned char *)ok, strlen(ok));
	fprintf(f, "entry: symlink up 0 - ../outside\n");
	fprintf(f, "refused: abs\nrefused: up\n");
	fprintf(f, "comment: symlinks whose targets leave the extraction directory are listed "
	           "but not created on extraction\n");
	expect_close(f);

	/*
	 * crafted but valid: a link that is lexically inside the target but leaves it
	 * through another link of the vault (d/l2 -> .., l1 -> d/l2/..).
	 */
	{
		const centry e[] = {{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
		                    {"d/l2", KIST_ENTRY_SYMLINK, NULL, 0, ".."},
		                    {"l1", KIST_ENTRY_SYMLINK, NULL, 0, "d/l2/.."}};
		craft cc = {.ents = e, .n = 3};
		buf vc = {0};
		build(&cc, &vc);
		write_all(out_path("valid/link-chain-outside.kist"), vc.p, vc.len, 0644);
		free(vc.p);
		f = expect_open("valid", "link-chain-outside");
		fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
		fprintf(f, "entry: dir d 0 -\n");
		fprintf(f, "entry: symlink d/l2 0 - ..\n");
		fprintf(f, "entry: symlink l1 0 - d/l2/..\n");
		fprintf(f, "refused: l1\n");
		fprintf(f,
		        "comment: d/l2 -> .. stays inside the target (it names the target itself), "
		        "but l1 -> d/l2/.. goes through that link to the target's parent: l1 must "
		        "not be created\n");
		expect_close(f);
		nvalid++;
	}

	/* crafted but valid: a chunk size of 4096 */
	unsigned char ten[10000];
	fill_random(ten, sizeof ten, 5);
	const centry e4096[] = {{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
	                        {"d/ten-thousand.bin", KIST_ENTRY_FILE, ten, sizeof ten, NULL},
	                        {"d/zero", KIST_ENTRY_FILE, (const unsigned char *)"", 0, NULL}};
	craft c4096 = {.ents = e4096, .n = 3, .chunk_size = 4096};
	buf v = {0};
	build(&c4096, &v);
	write_all(out_path("valid/chunk-4096.kist"), v.p, v.len, 0644);
	f = expect_open("valid", "chunk-4096");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
	fprintf(f, "entry: dir d 0 -\n");
	expect_file(f, "d/ten-thousand.bin", ten, sizeof ten);
	expect_file(f, "d/zero", (const unsigned char *)"", 0);
	fprintf(f, "comment: chunk_size 4096, the smallest a reader accepts (this version "
	           "writes 1 MiB): 10000 bytes in chunks of 4096, 4096 and 1808\n");
	expect_close(f);
	nvalid++;

	/* An unknown slot type: version 1 readers skip it, version 2 refuses it. */
	const centry eslot[] = {
	    {"slot.txt", KIST_ENTRY_FILE, small_text, sizeof small_text - 1, NULL}};
	craft cslot = {.ents = eslot, .n = 1, .extra_slot = 1};
	build(&cslot, &v);
	malformed("unknown-slot-type", v.p, v.len, "format",
	          "slot 1 has the unassigned type 0x7f00 (7-byte body), slot 2 is alice's X25519 "
	          "slot: version 2 refuses slot types it does not define (version 1 skipped them)");
	free(v.p);
}

/* ------------------------------------------------ malformed: no keys */

static void set16(unsigned char *p, size_t off, uint16_t v)
{
	kist__st16(p + off, v);
}
static void set32(unsigned char *p, size_t off, uint32_t v)
{
	kist__st32(p + off, v);
}

/* A copy of base with one change applied by the caller. */
static unsigned char *dup_bytes(const unsigned char *p, size_t len, size_t extra)
{
	unsigned char *d = malloc(len + extra + 1);
	if (d == NULL)
		die("out of memory");
	memcpy(d, p, len);
	return d;
}

static void flip(const unsigned char *base, size_t len, size_t at, const char *name,
                 const char *kind, const char *comment)
{
	unsigned char *d = dup_bytes(base, len, 0);
	if (at >= len)
		die("%s: offset out of range", name);
	d[at] ^= 0x01;
	malformed(name, d, len, kind, comment);
	free(d);
}

static void gen_malformed_bytes(void)
{
	size_t tl, hl2, ol;
	unsigned char *t = read_all(out_path("valid/tree.kist"), &tl);
	unsigned char *two = read_all(out_path("valid/two-recipients.kist"), &hl2);
	unsigned char *other = read_all(out_path("valid/one-file.kist"), &ol);
	unsigned char *d;
	kist_vault *v = NULL;
	kist_identity *const ids[1] = {alice};

	/* where things are in tree.kist */
	check(kist_vault_open(&v, out_path("valid/tree.kist"), ids, 1), "open tree");
	size_t H = v->header_len;
	const kist__entry *ea = kist__vault_find(v, "tree/a.txt");
	const kist__entry *eb = kist__vault_find(v, "tree/sub/b.bin");
	const kist__entry *ec = kist__vault_find(v, "tree/sub/c.bin");
	if (ea == NULL || eb == NULL || ec == NULL || eb->chunk_len[0] != ec->chunk_len[0])
		die("tree.kist is not as expected");
	size_t a_off = H + ea->offset, a_len = ea->chunk_len[0];
	size_t b_off = H + eb->offset, c_off = H + ec->offset, bc_len = eb->chunk_len[0];
	size_t idx_off = H + v->trailer.index_offset;
	kist_vault_close(v);
	if (H != 52 + 88 + 64)
		die("unexpected header length");

	/* the public header */
	flip(t, tl, 0, "bad-magic", "format", "first magic byte changed (0x89 -> 0x88)");
	d = dup_bytes(t, tl, 0);
	set16(d, 8, 3);
	malformed("version-3", d, tl, "format", "format version 3 (this reader knows 1 and 2)");
	set16(d, 8, 0);
	malformed("version-0", d, tl, "format", "format version 0");
	free(d);
	d = dup_bytes(t, tl, 0);
	set16(d, 10, 1);
	malformed("header-flags", d, tl, "format", "header flags = 1 (must be 0)");
	free(d);
	d = dup_bytes(t, tl, 0);
	set16(d, 50, 0x100);
	malformed("header-reserved", d, tl, "format",
	          "reserved header field after slot_count is not 0");
	free(d);
	d = dup_bytes(t, tl, 0);
	set32(d, 12, (uint32_t)H + 1);
	malformed(
	    "header-len-plus-1", d, tl, "format",
	    "header_len one more than the sum of the parts (slots do not end 64 bytes before it)");
	set32(d, 12, (uint32_t)H - 1);
	malformed("header-len-minus-1", d, tl, "format",
	          "header_len one less than the sum of the parts");
	set32(d, 12, 100);
	malformed("header-len-too-small", d, tl, "format",
	          "header_len 100, below the minimum 52 + 8 + 64");
	set32(d, 12, 0x7fffffff);
	malformed("header-len-huge", d, tl, "format",
	          "header_len beyond 1 MiB and beyond the file");
	free(d);
	d = dup_bytes(t, tl, 0);
	set16(d, 48, 0);
	malformed("slot-count-0", d, tl, "format", "slot_count 0 (at least 1)");
	set16(d, 48, 1025);
	malformed("slot-count-1025", d, tl, "format", "slot_count 1025 (at most 1024)");
	set16(d, 48, 2);
	malformed("slot-count-2-of-1", d, tl, "format",
	          "slot_count 2 but the header holds one slot: slot 2 would overrun the header");
	free(d);
	d = dup_bytes(t, tl, 0);
	set32(d, 52 + 4, 4000);
	malformed("slot-body-len-overrun", d, tl, "format",
	          "slot 1 body_len 4000 runs past the end of the header");
	set32(d, 52 + 4, 5000);
	malformed("slot-body-len-over-4096", d, tl, "format",
	          "slot 1 body_len 5000 (at most 4096)");
	/* slot-x25519-len-81: gen_index_vectors() */
	free(d);
	d = dup_bytes(t, tl, 0);
	set16(d, 52 + 2, 1);
	malformed("slot-flags", d, tl, "format", "slot flags = 1 (must be 0)");
	free(d);
	malformed("truncated-in-header", t, 100, "format",
	          "file cut to 100 bytes, inside the header");
	malformed("truncated-magic-only", t, 8, "format", "only the 8 magic bytes");
	malformed("empty", t, 0, "format", "an empty file");
	malformed("header-only", t, H, "corrupt", "the header alone: no body, no trailer");

	/* authenticated header fields */
	flip(t, tl, 16, "flip-salt", "corrupt",
	     "a salt byte changed: the key commitment no longer matches");
	flip(t, tl, H - 64, "flip-commitment", "corrupt", "a key commitment byte changed");
	flip(t, tl, H - 1, "flip-mac", "corrupt", "the last header MAC byte changed");
	flip(two, hl2, 52 + 88 + 8 + 40, "flip-other-slot", "corrupt",
	     "a byte of bob's slot (slot 2) changed: alice still unwraps slot 1, the header MAC "
	     "fails");
	flip(two, hl2, 52 + 8 + 40, "flip-own-slot", "noaccess",
	     "a byte of alice's wrapped file key (slot 1) changed: no slot opens for alice");
	flip(two, hl2, 52 + 8 + 3, "flip-own-slot-share", "noaccess",
	     "a byte of alice's ephemeral share (slot 1) changed: no slot opens for alice");
	d = dup_bytes(two, hl2, 0);
	memcpy(d + 52, two + 52 + 88, 88);
	memcpy(d + 52 + 88, two + 52, 88);
	malformed("slots-swapped", d, hl2, "corrupt",
	          "the two recipient slots exchanged: both still open, the header MAC fails");
	free(d);
	{
		/* an unknown slot inserted without the keys: still covered by the MAC */
		/* an X25519 slot (type 1) of 80 bytes: version 2 refuses unknown types */
		unsigned char grease[88] = {1, 0, 0, 0, 80, 0, 0, 0};
		memset(grease + 8, 'g', 80);
		d = malloc(tl + sizeof grease);
		memcpy(d, t, 52);
		memcpy(d + 52, grease, sizeof grease);
		memcpy(d + 52 + sizeof grease, t + 52, tl - 52);
		set32(d, 12, (uint32_t)(H + sizeof grease));
		set16(d, 48, 2);
		malformed("slot-inserted", d, tl + sizeof grease, "corrupt",
		          "an X25519 slot inserted by someone without the key: the header "
		          "MAC fails");
		free(d);
	}
	{
		/* dave's age slot (type 2) in age-recipient.kist */
		static const unsigned char order8[32] = {
		    0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
		    0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
		    0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};
		size_t al;
		unsigned char *a = read_all(out_path("valid/age-recipient.kist"), &al);
		if (al < 52 + 88 + 64 || kist__ld16(a + 52) != 2)
			die("age-recipient.kist is not as expected");
		d = dup_bytes(a, al, 0);
		d[52 + 8 + 79] ^= 0x01;
		malformed_for("age-slot-tag", d, al, "noaccess", "dave",
		              "the last byte (Poly1305 tag) of dave's age slot changed: no slot "
		              "opens for dave");
		free(d);
		d = dup_bytes(a, al, 0);
		d[52 + 8 + 3] ^= 0x01;
		malformed_for("age-slot-share", d, al, "noaccess", "dave",
		              "a byte of the ephemeral share of dave's age slot changed");
		free(d);
		d = dup_bytes(a, al, 0);
		memcpy(d + 52 + 8, order8, 32);
		malformed_for("age-slot-low-order", d, al, "noaccess", "dave",
		              "the share of dave's age slot replaced by a point of order 8: the "
		              "shared secret is all zero, refused as age does");
		free(d);
		d = dup_bytes(a, al, 0);
		set16(d, 52, 1);
		malformed_for("age-slot-as-kist-slot", d, al, "noaccess", "dave",
		              "dave's age slot relabelled as a kist X25519 slot (type 1): kist's "
		              "label gives another wrap key, so it does not open");
		free(d);
		/* a real 81-byte body (one byte inserted, header_len adjusted) */
		d = dup_bytes(a, al, 1);
		memcpy(d + 52 + 8 + 80 + 1, a + 52 + 8 + 80, al - (52 + 8 + 80));
		d[52 + 8 + 80] = 0;
		set32(d, 12, kist__ld32(a + 12) + 1);
		set32(d, 52 + 4, 81);
		malformed_for("age-slot-len-81", d, al + 1, "format", "dave",
		              "age X25519 slot with an 81-byte body (must be 80), header_len "
		              "adjusted to match");
		free(d);
		free(a);
	}
	d = dup_bytes(t, tl, 0);
	if (ol < H)
		die("one-file.kist too short");
	memcpy(d, other, H);
	malformed("header-from-other-vault", d, tl, "corrupt",
	          "the header (a valid one for alice) of valid/one-file.kist on the body of "
	          "valid/tree.kist: another file key, so the trailer fails");
	free(d);

	/* the body */
	flip(t, tl, a_off, "flip-content", "corrupt-on-verify",
	     "first byte of the chunk of tree/a.txt changed: open succeeds, the chunk fails");
	flip(t, tl, a_off + a_len - 1, "flip-content-tag", "corrupt-on-verify",
	     "last byte (Poly1305 tag) of the chunk of tree/a.txt changed");
	d = dup_bytes(t, tl, 0);
	memcpy(d + b_off, t + c_off, bc_len);
	memcpy(d + c_off, t + b_off, bc_len);
	malformed("chunks-swapped", d, tl, "corrupt-on-verify",
	          "the chunks of tree/sub/b.bin and tree/sub/c.bin (equal lengths) exchanged: "
	          "each is bound to its entry's stream id");
	free(d);
	flip(t, tl, idx_off + 10, "flip-index", "corrupt", "a byte of the sealed index changed");
	flip(t, tl, tl - KIST_TRAILER_BYTES, "flip-trailer", "corrupt",
	     "first byte of the sealed trailer changed");
	flip(t, tl, tl - 1, "flip-trailer-tag", "corrupt",
	     "last byte of the file (trailer tag) changed");
	malformed("truncated-1", t, tl - 1, "corrupt",
	          "last byte removed: the trailer moves and fails");
	malformed("truncated-trailer", t, tl - KIST_TRAILER_BYTES, "corrupt",
	          "the trailer removed: the end of the index is read as a trailer and fails");
	d = dup_bytes(t, tl, 1);
	d[tl] = 0;
	malformed("appended-1", d, tl + 1, "corrupt",
	          "one zero byte appended: the trailer moves and fails");
	free(d);
	d = dup_bytes(t, tl, KIST_TRAILER_BYTES);
	memcpy(d + tl, t + tl - KIST_TRAILER_BYTES, KIST_TRAILER_BYTES);
	malformed(
	    "trailer-twice", d, tl + KIST_TRAILER_BYTES, "corrupt",
	    "the (valid) trailer repeated at the end: the layout no longer matches the file size");
	free(d);
	free(t);
	free(two);
	free(other);
}

/* ------------------------------------------ malformed: a malicious sealer */

static void gen_malformed_crafted(void)
{
	static const unsigned char x[] = "x\n";
	char sql[1024];

	/* paths */
	crafted_entries("path-dotdot", (centry[]){{"../evil.txt", KIST_ENTRY_FILE, x, 2, NULL}}, 1,
	                "unsafe", "entry path ../evil.txt");
	crafted_entries("path-dotdot-inner",
	                (centry[]){{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
	                           {"d/../../evil.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                2, "unsafe", "entry path d/../../evil.txt");
	crafted_entries("path-dot", (centry[]){{"./x.txt", KIST_ENTRY_FILE, x, 2, NULL}}, 1,
	                "unsafe", "entry path ./x.txt (not normalised)");
	crafted_entries("path-absolute",
	                (centry[]){{"/tmp/kist-evil.txt", KIST_ENTRY_FILE, x, 2, NULL}}, 1,
	                "unsafe", "absolute entry path /tmp/kist-evil.txt");
	crafted_entries("path-empty-component",
	                (centry[]){{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
	                           {"d//x.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                2, "unsafe", "entry path d//x.txt (empty component)");
	crafted_entries("path-trailing-slash", (centry[]){{"d/", KIST_ENTRY_DIR, NULL, 0, NULL}}, 1,
	                "unsafe", "entry path d/ (trailing slash)");
	crafted_entries("path-empty", (centry[]){{"", KIST_ENTRY_FILE, x, 2, NULL}}, 1, "unsafe",
	                "empty entry path");
	crafted_entries("path-control", (centry[]){{"bad\nname.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                1, "unsafe", "entry path with a newline (control character 0x0A)");
	crafted_entries("path-escape-char",
	                (centry[]){{"bad\x1b[2Jname.txt", KIST_ENTRY_FILE, x, 2, NULL}}, 1,
	                "unsafe", "entry path with an ESC (0x1B) terminal sequence");
	crafted_entries("path-del", (centry[]){{"bad\x7fname.txt", KIST_ENTRY_FILE, x, 2, NULL}}, 1,
	                "unsafe", "entry path with DEL (0x7F)");
	crafted_sql("path-component-256",
	            "UPDATE entries SET path = replace(hex(zeroblob(128)), '0', 'a')", "unsafe",
	            "a path component of 256 bytes (at most 255)");
	crafted_sql("path-4099-bytes",
	            "UPDATE entries SET path = replace(hex(zeroblob(2049)), '00', 'a/') || 'x'",
	            "corrupt", "a path of 4099 bytes (at most 4096): rejected as a malformed row");
	crafted_sql("path-nul", "UPDATE entries SET path = CAST(x'612e00747874' AS TEXT)",
	            "corrupt", "entry path 'a.\\0txt' with a NUL byte inside the TEXT value");
	crafted_sql("path-blob", "UPDATE entries SET path = x'612e747874'", "corrupt",
	            "entry path stored as a BLOB instead of TEXT");
	/* path-duplicate: gen_index_vectors() */
	crafted_entries("below-symlink",
	                (centry[]){{"ln", KIST_ENTRY_SYMLINK, NULL, 0, "elsewhere"},
	                           {"ln/f.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                2, "unsafe", "file ln/f.txt below the symlink entry ln");
	crafted_entries("below-symlink-to-dot",
	                (centry[]){{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
	                           {"d/ln", KIST_ENTRY_SYMLINK, NULL, 0, "."},
	                           {"d/ln/f.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                3, "unsafe", "file d/ln/f.txt below the symlink entry d/ln -> .");
	crafted_entries("below-file",
	                (centry[]){{"f", KIST_ENTRY_FILE, x, 2, NULL},
	                           {"f/g.txt", KIST_ENTRY_FILE, x, 2, NULL}},
	                2, "unsafe", "file f/g.txt below the file entry f");

	/* rows */
	crafted_sql("size-disagrees-with-chunks", "UPDATE entries SET size = 3145728", "corrupt",
	            "file of 16 bytes recorded as 3 MiB: 3 chunks expected, 1 recorded");
	crafted_sql("size-off-by-one", "UPDATE entries SET size = size + 1", "corrupt-on-verify",
	            "file size one more than its data, same chunk count: the chunk decodes to "
	            "the wrong length");
	crafted_sql("stored-size-mismatch", "UPDATE entries SET stored_size = stored_size + 1",
	            "corrupt", "stored_size differs from the sum of the chunk lengths");
	crafted_sql("chunk-len-16", "UPDATE entries SET chunks = x'10000000', stored_size = 16",
	            "corrupt", "a chunk length of 16 (at least 17)");
	crafted_sql("chunk-len-over",
	            "UPDATE entries SET chunks = x'12001000', stored_size = 1048594", "corrupt",
	            "a chunk length of chunk_size + 18 (at most chunk_size + 17)");
	crafted_sql("chunks-not-multiple-of-4", "UPDATE entries SET chunks = chunks || x'00'",
	            "corrupt", "chunks BLOB of 5 bytes");
	crafted_sql("chunks-as-text", "UPDATE entries SET chunks = 'abcd'", "corrupt",
	            "chunks stored as TEXT instead of a BLOB");
	crafted_sql("empty-file-no-chunk",
	            "UPDATE entries SET size = 0, chunks = x'', stored_size = 0, sha256 = "
	            "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
	            "corrupt", "an empty file with no chunk (an empty file has one chunk)");
	{
		const centry e[] = {{"d", KIST_ENTRY_DIR, NULL, 0, NULL},
		                    {"d/a.txt", KIST_ENTRY_FILE, x, 2, NULL}};
		craft c = {
		    .ents = e, .n = 2, .sql = "UPDATE entries SET size = 5 WHERE type = 'dir'"};
		crafted("dir-with-size", &c, "corrupt", "a directory entry with size 5");
		c.sql =
		    "UPDATE entries SET chunks = x'11000000', stored_size = 17 WHERE type = 'dir'";
		crafted("dir-with-chunk", &c, "corrupt", "a directory entry with one chunk");
		c.sql =
		    "UPDATE entries SET sha256 = (SELECT sha256 FROM entries WHERE type = 'file') "
		    "WHERE type = 'dir'";
		crafted("dir-with-sha256", &c, "corrupt", "a directory entry with a sha256");
	}
	crafted_sql("offset-gap", "UPDATE entries SET offset = 1", "corrupt",
	            "the first entry starts at body offset 1, not 0");
	{
		craft c = {.ents = one_file, .n = 1, .body_extra = 5};
		crafted("body-gap", &c, "corrupt",
		        "5 junk bytes between the last entry and the index: the entries do not "
		        "tile the body");
	}
	crafted_sql("id-not-1", "UPDATE entries SET id = 2", "corrupt",
	            "the only entry has id 2 (ids run 1..n)");
	crafted_sql("type-unknown", "UPDATE entries SET type = 'fifo'", "corrupt",
	            "entry type 'fifo'");
	crafted_sql("sha256-uppercase", "UPDATE entries SET sha256 = upper(sha256)", "corrupt",
	            "sha256 in upper-case hex (lower case required)");
	crafted_sql("sha256-short", "UPDATE entries SET sha256 = substr(sha256, 1, 63)", "corrupt",
	            "sha256 of 63 hex digits");
	crafted_sql("sha256-missing", "UPDATE entries SET sha256 = NULL", "corrupt",
	            "a file without sha256");
	crafted_sql("sha256-wrong",
	            "UPDATE entries SET sha256 = "
	            "'0000000000000000000000000000000000000000000000000000000000000000'",
	            "corrupt-on-verify",
	            "the recorded sha256 is not that of the content (which authenticates)");
	crafted_sql("link-target-on-file", "UPDATE entries SET link_target = 'x'", "corrupt",
	            "a file entry with a link_target");
	crafted_entries("symlink-no-target", (centry[]){{"ln", KIST_ENTRY_SYMLINK, NULL, 0, NULL}},
	                1, "corrupt", "a symlink entry without link_target");
	crafted_sql("mode-over-07777", "UPDATE entries SET mode = 4096", "corrupt",
	            "mode 010000 (at most 07777)");
	crafted_sql("mtime-nsec-1e9", "UPDATE entries SET mtime_nsec = 1000000000", "corrupt",
	            "mtime_nsec 1000000000 (at most 999999999)");
	crafted_sql("size-negative", "UPDATE entries SET size = -1", "corrupt", "size -1");

	/* schema */
	crafted_sql("extra-table", "CREATE TABLE extra (x)", "corrupt",
	            "an extra table 'extra' in the index");
	crafted_sql("extra-index", "CREATE INDEX entries_type ON entries (type)", "corrupt",
	            "an extra index on entries(type)");
	crafted_sql("trigger",
	            "CREATE TRIGGER t AFTER INSERT ON custody BEGIN DELETE FROM entries; END",
	            "corrupt", "a trigger in the index");
	crafted_sql("view", "CREATE VIEW entries_v AS SELECT * FROM entries", "corrupt",
	            "a view in the index");
	crafted_sql("extra-column", "ALTER TABLE custody ADD COLUMN extra TEXT", "corrupt",
	            "an extra column in the custody table");
	crafted_sql("application-id", "PRAGMA application_id = 1", "corrupt",
	            "application_id 1 instead of 0x6b697374 ('kist')");
	crafted_sql("user-version-1", "PRAGMA user_version = 1", "corrupt",
	            "index labelled schema 1 (user_version) but holding the schema 2 tables: the "
	            "schema must match its version exactly");
	crafted_sql("vault-two-rows", "INSERT INTO vault SELECT * FROM vault", "corrupt",
	            "two rows in the vault table");
	crafted_sql("vault-no-row", "DELETE FROM vault", "corrupt", "no row in the vault table");
	crafted_sql("vault-format-3", "UPDATE vault SET format_version = 3", "corrupt",
	            "vault.format_version 3 in the index");
	crafted_sql("vault-format-1", "UPDATE vault SET format_version = 1", "corrupt",
	            "vault.format_version 1 in the index of a version 2 vault");
	crafted_sql("vault-recipients-0", "UPDATE vault SET recipients = 0", "corrupt",
	            "vault.recipients 0");
	/* vault-id-short: gen_index_vectors() */
	crafted_sql("index-chunk-size-4096", "UPDATE vault SET chunk_size = 4096", "corrupt",
	            "the index says chunk_size 4096, the trailer 1 MiB");
	/* sealer-key-bad: gen_index_vectors() */
	{
		char age_sql[256];
		snprintf(age_sql, sizeof age_sql, "UPDATE vault SET sealer_key = '%s'", dave_str);
		craft c = {.ents = one_file, .n = 1, .signer = dave, .sql = age_sql};
		crafted("sealer-key-age1", &c, "corrupt",
		        "signed by dave, but vault.sealer_key holds his age1 key, which cannot "
		        "name a signer (the kist1 key is required)");
	}

	/* the index stream */
	{
		craft c = {.ents = one_file, .n = 1, .index_random = 1};
		crafted("index-not-sqlite", &c, "corrupt",
		        "the index image is 8192 random bytes (authenticated, hash matches)");
	}
	{
		craft c = {.ents = one_file, .n = 1, .index_truncate = 1};
		crafted("index-image-truncated", &c, "corrupt",
		        "the index image is the first half of a database (hash matches)");
	}
	{
		craft c = {.ents = one_file, .n = 1, .index_no_size = 1};
		crafted("index-frame-no-size", &c, "corrupt",
		        "the index zstd frame does not record its content size");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_hash};
		crafted("index-hash-mismatch", &c, "corrupt",
		        "trailer index_sha256 differs from the index image's SHA-256");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_len};
		crafted("index-len-mismatch", &c, "corrupt",
		        "trailer index_len one more than the frame's content size");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_len_huge};
		crafted("index-len-300mib", &c, "limit",
		        "trailer index_len 300 MiB (at most 256 MiB): refused before allocating");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_zlen};
		crafted(
		    "index-zlen-wrong", &c, "corrupt",
		    "trailer index_zlen one less than the index stream holds: the layout does not "
		    "add up to the file size");
	}

	/* the trailer */
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_unknown_flags};
		crafted("trailer-unknown-flags", &c, "corrupt",
		        "trailer flags bit 2 set (unknown)");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_chunk_small};
		crafted("trailer-chunk-size-1024", &c, "corrupt",
		        "trailer chunk_size 1024 (at least 4096)");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_chunk_other};
		crafted("trailer-chunk-size-4096", &c, "corrupt",
		        "trailer chunk_size 4096, the index says 1 MiB");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_offset};
		crafted(
		    "trailer-index-offset", &c, "corrupt",
		    "trailer index_offset one too far: the layout does not match the file size");
	}
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_sig_data};
		crafted("unsigned-with-signature-bytes", &c, "corrupt",
		        "unsigned trailer with a non-zero signature field");
	}

	/* signatures */
	{
		craft c = {.ents = one_file, .n = 1, .signer = carol, .flip_signature = 1};
		crafted("signature-bad", &c, "signature",
		        "signed by carol; one byte of the Ed25519 signature changed");
	}
	{
		snprintf(sql, sizeof sql, "UPDATE vault SET sealer_key = '%s'", bob_str);
		craft c = {.ents = one_file, .n = 1, .signer = carol, .sql = sql};
		crafted("signer-mismatch", &c, "corrupt",
		        "trailer signed by carol, the index names bob as the sealer");
	}
	{
		craft c = {.ents = one_file,
		           .n = 1,
		           .signer = carol,
		           .sql = "UPDATE vault SET sealer_key = NULL"};
		crafted("signed-no-sealer-key", &c, "corrupt",
		        "a signed trailer, but the index has no sealer_key");
	}
	{
		snprintf(sql, sizeof sql, "UPDATE vault SET sealer_key = '%s'", carol_str);
		craft c = {.ents = one_file, .n = 1, .sql = sql};
		crafted(
		    "unsigned-with-sealer-key", &c, "corrupt",
		    "an unsigned trailer (signature stripped), but the index names carol as the "
		    "sealer");
	}
	{
		craft c = {.ents = one_file, .n = 1, .signer = carol, .trailer_fix = tf_unsign};
		crafted("signature-flag-cleared", &c, "corrupt",
		        "signed by carol, then the trailer's signed flag and signer cleared (the "
		        "signature bytes and the index's sealer_key remain)");
	}

	/* content chunks (open succeeds; reading the entry fails) */
	{
		unsigned char *zeros = calloc(KIST_CHUNK_SIZE, 1);
		const centry e[] = {{"bomb.bin", KIST_ENTRY_FILE, zeros, KIST_CHUNK_SIZE, NULL}};
		craft c = {.ents = e, .n = 1, .cmode = CM_BOMB};
		crafted("zstd-bomb", &c, "corrupt-on-verify",
		        "a 1 MiB file whose one zstd chunk holds a frame of 64 MiB of zeros: the "
		        "reader must stop at chunk_size");
		free(zeros);
	}
	{
		craft c = {.ents = one_file, .n = 1, .cmode = CM_METHOD2};
		crafted("chunk-method-2", &c, "corrupt-on-verify",
		        "a content chunk with method byte 2");
	}
	{
		craft c = {.ents = one_file, .n = 1, .cmode = CM_LAST0};
		crafted("chunk-last-flag-0", &c, "corrupt-on-verify",
		        "the final chunk of a.txt sealed with last = 0 (as if more followed)");
	}
	{
		craft c = {.ents = one_file, .n = 1, .cmode = CM_STREAM};
		crafted("chunk-wrong-stream", &c, "corrupt-on-verify",
		        "the chunk of entry 1 sealed under stream id 2");
	}
	{
		unsigned char eight[8192];
		fill_random(eight, sizeof eight, 6);
		const centry e[] = {{"two-chunks.bin", KIST_ENTRY_FILE, eight, sizeof eight, NULL}};
		craft c = {.ents = e, .n = 1, .chunk_size = 4096, .cmode = CM_SWAP};
		crafted("chunks-reordered", &c, "corrupt-on-verify",
		        "chunk_size 4096; the two chunks of one file written in swapped order");
	}
	/* zstd-short, zstd-trailing-junk: gen_index_vectors() */
}

/* ------------------------- issue 12: the index, single-fault vectors */

/* The reasons of the index and row-rule vectors made elsewhere in this file. */
static const char *index_reason(const char *name)
{
	static const struct {
		const char *name, *reason;
	} reasons[] = {
	    {"application-id", "not a kist index"},
	    {"chunks-as-text", "chunks is not a BLOB of 4-byte lengths"},
	    {"chunks-not-multiple-of-4", "chunks is not a BLOB of 4-byte lengths"},
	    {"dir-with-sha256", "sha256 present on a non-file"},
	    {"extra-column", "unexpected schema"},
	    {"extra-index", "unexpected schema"},
	    {"extra-table", "unexpected schema"},
	    {"id-not-1", "ids do not run 1, 2, ... n"},
	    {"index-chunk-size-4096", "index and trailer disagree on the chunk size"},
	    {"index-frame-no-size", "index size does not match the trailer"},
	    {"index-len-mismatch", "index size does not match the trailer"},
	    {"link-target-on-file", "link_target present on a non-link"},
	    {"mode-over-07777", "mode out of range"},
	    {"mtime-nsec-1e9", "mtime_nsec out of range"},
	    {"path-4099-bytes", "path is not text of at most 4096 bytes"},
	    {"path-blob", "path is not text of at most 4096 bytes"},
	    {"path-nul", "path is not text of at most 4096 bytes"},
	    {"sealer-key-age1", "the sealer key is an age1 key"},
	    {"sha256-missing", "sha256 present on a non-file, or missing on a file"},
	    {"sha256-short", "sha256 is not 64 lower-case hex digits"},
	    {"sha256-uppercase", "sha256 is not 64 lower-case hex digits"},
	    {"size-negative", "negative size"},
	    {"symlink-no-target", "link_target present on a non-link, or missing on a link"},
	    {"trigger", "unexpected schema"},
	    {"type-unknown", "unknown type"},
	    {"user-version-1", "unexpected schema"},
	    {"vault-format-3", "vault.format_version is not 1 or 2"},
	    {"vault-no-row", "the vault table has no row"},
	    {"vault-recipients-0", "vault.recipients is out of range"},
	    {"vault-two-rows", "the vault table has more than one row"},
	    {"view", "unexpected schema"},
	};
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].reason;
	return NULL;
}

/* A crafted malformed vector that must fail with a detail containing reason. */
static void crafted_why(const char *name, const craft *c, const char *kind, const char *reason,
                        const char *comment)
{
	next_reason = reason;
	crafted(name, c, kind, comment);
}

static void sql_why(const char *name, const char *sql, const char *kind, const char *reason,
                    const char *comment)
{
	craft c = {.ents = one_file, .n = 1, .sql = sql};
	crafted_why(name, &c, kind, reason, comment);
}

static void gen_index_vectors(void)
{
	static const unsigned char x[] = "x\n";
	static const char disagree[] = "an index b-tree disagrees with its table";

	/* SQLite index b-trees against their tables (PRAGMA integrity_check) */
	{
		const centry e[] = {{"a.txt", KIST_ENTRY_FILE, x, 2, NULL},
		                    {"m.txt", KIST_ENTRY_FILE, x, 2, NULL},
		                    {"z.txt", KIST_ENTRY_FILE, x, 2, NULL}};
		craft c = {.ents = e,
		           .n = 3,
		           .btree_index = "sqlite_autoindex_entries_1",
		           .btree_from = "m.txt",
		           .btree_to = "n.txt"};
		crafted_why("index-btree-disagrees", &c, "corrupt", disagree,
		            "the UNIQUE index on entries.path says n.txt where the table says "
		            "m.txt: list and a query ORDER BY path would show different names");
		c.btree_from = "m-text";
		c.btree_to = "m\x1b[31m";
		const centry e2[] = {{"a.txt", KIST_ENTRY_FILE, x, 2, NULL},
		                     {"m-text.txt", KIST_ENTRY_FILE, x, 2, NULL},
		                     {"z.txt", KIST_ENTRY_FILE, x, 2, NULL}};
		c.ents = e2;
		crafted_why(
		    "index-btree-hidden-text", &c, "corrupt", disagree,
		    "the UNIQUE index on entries.path carries m<ESC>[31m.txt, text that row "
		    "validation never reads (the table says m-text.txt)");
		const centry e3[] = {{"same.txt", KIST_ENTRY_FILE, x, 2, NULL},
		                     {"samf.txt", KIST_ENTRY_FILE, x, 2, NULL}};
		craft d = {.ents = e3, .n = 2, .patch_from = "samf.txt", .patch_to = "same.txt"};
		crafted_why("path-duplicate", &d, "corrupt", disagree,
		            "two entries named same.txt (the database file edited past its UNIQUE "
		            "index, which then disagrees with the table)");
	}

	/* vault row */
	sql_why("vault-id-short", "UPDATE vault SET vault_id = 'abc'", "corrupt",
	        "vault_id is not 32 lower-case hex digits",
	        "vault.vault_id of 3 characters (32 hex digits)");
	sql_why("vault-id-upper-case",
	        "UPDATE vault SET vault_id = '0123456789ABCDEF0123456789abcdef'", "corrupt",
	        "vault_id is not 32 lower-case hex digits",
	        "vault.vault_id of 32 hex digits, some in upper case");
	sql_why("vault-id-escape",
	        "UPDATE vault SET vault_id = '0123456789abcdef0123456789abc' || char(27) || '[m'",
	        "corrupt", "vault_id is not 32 lower-case hex digits",
	        "vault.vault_id of 32 characters ending in an ESC [ m terminal sequence");
	sql_why("vault-recipients-2", "UPDATE vault SET recipients = 2", "corrupt",
	        "index claims 2 recipients, the header has 1 sealed ones",
	        "vault.recipients 2 where the header has one recipient slot");
	{
		craft c = {.ents = one_file,
		           .n = 1,
		           .signer = carol,
		           .sql = "UPDATE vault SET sealer_key = 'kist1xyz'"};
		crafted_why(
		    "sealer-key-bad", &c, "corrupt", "the sealer key is not a kist public key",
		    "signed by carol, but vault.sealer_key is 'kist1xyz', not a kist public "
		    "key");
	}

	/* the index stream: exactly one zstd frame */
	{
		craft c = {.ents = one_file, .n = 1, .index_frames = IF_TRAIL_SKIP};
		crafted_why("index-trailing-skippable-frame", &c, "corrupt",
		            "index stream is not exactly one zstd frame",
		            "the index frame is followed by a 12-byte skippable frame");
		c.index_frames = IF_TRAIL_EMPTY;
		crafted_why("index-trailing-empty-frame", &c, "corrupt",
		            "index stream is not exactly one zstd frame",
		            "the index frame is followed by an empty zstd frame (content size 0)");
		c.index_frames = IF_LEAD_SKIP;
		crafted_why("index-leading-skippable-frame", &c, "corrupt",
		            "index stream is not exactly one zstd frame",
		            "a 12-byte skippable frame before the index frame");
	}

	/* content chunks: compressible data, so that each chunk is within data + 17 bytes
	 * and only the frame is wrong */
	{
		unsigned char txt[1000];
		for (size_t i = 0; i < sizeof txt; i++)
			txt[i] = (unsigned char)"a crafted line of text\n"[i % 23];
		const centry e[] = {{"short.txt", KIST_ENTRY_FILE, txt, sizeof txt, NULL}};
		craft c = {.ents = e, .n = 1, .cmode = CM_ZSHORT};
		crafted_why("zstd-short", &c, "corrupt-on-verify",
		            "does not decompress to its recorded size",
		            "a zstd chunk that decodes to 999 bytes where 1000 are expected");
		c.cmode = CM_ZJUNK;
		crafted_why("zstd-trailing-junk", &c, "corrupt-on-verify",
		            "is not exactly one zstd frame",
		            "a zstd chunk whose frame is followed by 4 junk bytes");
	}

	/* a valid index written from docs/INDEX.md's statements, comments and layout kept */
	{
		craft c = {.ents = one_file, .n = 1, .index_from_doc = 1};
		buf v = {0};
		build(&c, &v);
		write_all(out_path("valid/index-from-doc.kist"), v.p, v.len, 0644);
		FILE *f = expect_open("valid", "index-from-doc");
		fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
		expect_file(f, "a.txt", small_text, sizeof small_text - 1);
		fprintf(f,
		        "comment: the index made from the CREATE TABLE statements printed in "
		        "docs/INDEX.md (with their comments), as a writer following the document "
		        "makes it\n");
		expect_close(f);
		nvalid++;
		free(v.p);
	}

	/* the header: a real 81-byte body in a type-1 slot (header_len adjusted, MAC
	 * unchanged: the length rule comes first) */
	{
		size_t ol;
		unsigned char *o = read_all(out_path("valid/one-file.kist"), &ol);
		unsigned char *d = dup_bytes(o, ol, 1);
		if (kist__ld16(o + 52) != KIST_SLOT_X25519 || kist__ld32(o + 52 + 4) != 80)
			die("one-file.kist: slot 1 is not an X25519 slot");
		memcpy(d + 52 + 8 + 80 + 1, o + 52 + 8 + 80, ol - (52 + 8 + 80));
		d[52 + 8 + 80] = 0;
		set32(d, 12, kist__ld32(o + 12) + 1);
		set32(d, 52 + 4, 81);
		next_reason = "recipient slot 1 has a bad length";
		malformed("slot-x25519-len-81", d, ol + 1, "format",
		          "X25519 slot with an 81-byte body (must be 80), header_len adjusted to "
		          "match");
		free(d);
		free(o);
	}
}

/* ------------------------- malformed: one reason each (issue 22) */

/*
 * Vaults in which exactly one check fails: everything the check does not
 * cover is recomputed with the right keys (header MAC, trailer), so that
 * deleting that one check lets the vault open.
 */

/* The header MAC over the header as it now is, with the right key. */
static void remac(unsigned char *h, size_t hl, const kist__keys *k)
{
	kist__hmac_sha256(h + hl - 32, k->header_mac, 32, h, hl - 32);
}

static void hf_commitment(unsigned char *h, size_t hl, const unsigned char fk[32],
                          const kist__keys *k)
{
	(void)fk;
	h[hl - 64] ^= 0x01;
	remac(h, hl, k);
}

/* A point of order 8 on Curve25519: X25519 with any clamped scalar gives zero. */
static const unsigned char low_order_point[32] = {
    0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
    0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};

/*
 * Slot 1's share replaced by a low-order point and the file key wrapped
 * under the key that the all-zero shared secret gives: anyone can make such
 * a slot, so only the low-order check refuses it.
 */
static void low_order_slot(unsigned char *h, size_t hl, const unsigned char fk[32],
                           const kist__keys *k, const kist_identity *who, const char *label)
{
	static const unsigned char zero_nonce[12];
	unsigned char shared[32] = {0}, salt[64], wrap[32];
	unsigned char *share = h + KIST_HEADER_FIXED + 8, *wrapped = share + 32;
	memcpy(share, low_order_point, 32);
	memcpy(salt, share, 32);
	memcpy(salt + 32, who->pk.x25519, 32);
	kist__hkdf_sha256(wrap, 32, salt, sizeof salt, shared, sizeof shared, label);
	crypto_aead_chacha20poly1305_ietf_encrypt(wrapped, NULL, fk, 32, NULL, 0, NULL, zero_nonce,
	                                          wrap);
	remac(h, hl, k);
}

static void hf_kist_low_order(unsigned char *h, size_t hl, const unsigned char fk[32],
                              const kist__keys *k)
{
	low_order_slot(h, hl, fk, k, alice, "kist/v2 X25519 recipient");
}

static void hf_age_low_order(unsigned char *h, size_t hl, const unsigned char fk[32],
                             const kist__keys *k)
{
	low_order_slot(h, hl, fk, k, dave, "age-encryption.org/v1/X25519");
}

static void gen_malformed_one_reason(void)
{
	{
		craft c = {.ents = one_file, .n = 1, .header_fix = hf_commitment};
		crafted("commitment-wrong-mac-valid", &c, "corrupt",
		        "a key commitment byte changed and the header MAC recomputed with the "
		        "right key: only the commitment check fails");
	}
	{
		craft c = {.ents = one_file, .n = 1, .header_fix = hf_kist_low_order};
		crafted("slot-low-order", &c, "noaccess",
		        "alice's slot with a low-order share and the file key wrapped under the "
		        "key of the all-zero shared secret (header MAC valid): only the "
		        "low-order check refuses it");
	}
	{
		kist_identity *const d[] = {dave};
		craft c = {.ents = one_file,
		           .n = 1,
		           .recips = d,
		           .nrecips = 1,
		           .header_fix = hf_age_low_order};
		buf v = {0};
		build(&c, &v);
		malformed_for("age-slot-low-order-wrapped", v.p, v.len, "noaccess", "dave",
		              "dave's age slot with a low-order share and the file key wrapped "
		              "under the key of the all-zero shared secret (header MAC valid): "
		              "only the low-order check refuses it");
		free(v.p);
	}
}

/* ------------------------------------- version 2: padding and grants */

/* A vault taken apart with alice's key: its header parsed, keys and trailer. */
typedef struct opened {
	unsigned char *bytes;
	size_t len;
	kist__header h;
	kist__keys k;
	kist__trailer t;
	unsigned char core[32];
} opened;

static void open_parts(opened *o, const char *rel)
{
	unsigned char kr[32];
	size_t which;
	kist__chunker *ck = NULL;
	const unsigned char *pt;
	o->bytes = read_all(out_path(rel), &o->len);
	size_t hl = kist__ld32(o->bytes + 12);
	check(kist__header_parse(&o->h, o->bytes, hl), "parse");
	check(kist__header_unwrap(&o->h, &alice, 1, kr, &which), "unwrap");
	check(kist__derive_keys(&o->k, o->h.version, kr, NULL, o->h.salt), "keys");
	check(kist__chunker_new(&ck, KIST_CHUNK_SIZE_MIN, 0), "chunker");
	check(kist__chunk_open(ck, o->k.index, KIST_STREAM_TRAILER, 0, 1,
	                       o->bytes + o->len - KIST_TRAILER_BYTES, KIST_TRAILER_BYTES,
	                       KIST_TRAILER_PLAIN, &pt),
	      "trailer");
	kist__trailer_decode(&o->t, o->h.version, pt);
	kist__chunker_free(ck);
	kist__core_digest(o->core, &o->h, &o->t, o->h.recipient_slots);
}

/* The vault o with its header's slots replaced by slots[0..slen) (MAC by o's keys). */
static void write_reheaded(const char *name, const opened *o, const unsigned char *slots,
                           size_t slen, unsigned nslots, const char *kind, const char *ident,
                           const char *comment)
{
	unsigned char *h;
	size_t hl;
	check(kist__header_assemble(&h, &hl, o->h.salt, slots, slen, nslots, &o->k), "assemble");
	buf b = {0};
	buf_add(&b, h, hl);
	buf_add(&b, o->bytes + o->h.header_len, o->len - o->h.header_len);
	malformed_for(name, b.p, b.len, kind, ident, comment);
	free(h);
	free(b.p);
}

/* A marker for grant_record: the record is crafted as the header's first slot. */
static void mut_first(unsigned char *plain, size_t len)
{
	(void)plain;
	(void)len;
}

/* One grant record for keys, sealed as record j; mutate (may be NULL) edits its plaintext. */
static size_t grant_record(unsigned char *dst, const opened *o, unsigned j,
                           const kist_identity *granter, const kist_pubkey *keys, size_t n,
                           const unsigned char prev[32], const unsigned char *core,
                           void (*mutate)(unsigned char *plain, size_t len), unsigned reseal_j)
{
	kist__grant g;
	size_t len;
	/* the slots it added: the n recipient slots right before dst (none when the
	 * record is crafted first in the header, where there are none) */
	size_t added_len = mutate == mut_first ? 0 : n * (8 + KIST_SLOT_X25519_BODY);
	memset(&g, 0, sizeof g);
	g.time = MTIME;
	g.nkeys = n;
	memcpy(g.keys, keys, n * sizeof *keys);
	if (prev != NULL)
		memcpy(g.prev, prev, 32);
	check(kist__grant_seal(dst, &len, j, &g, granter, core ? core : o->core, dst - added_len,
	                       added_len, o->k.grant),
	      "grant");
	if ((mutate != NULL && mutate != mut_first) || reseal_j != j) {
		/* body = nonce (24) || XChaCha20-Poly1305(grant_key, nonce, aad = j LE32, plain) */
		unsigned char plain[4096], aad[4];
		unsigned long long plen;
		kist__st32(aad, j);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, dst + 8 + 24,
		                                               len - 8 - 24, aad, 4, dst + 8,
		                                               o->k.grant) != 0)
			die("grant record does not open");
		if (mutate != NULL)
			mutate(plain, (size_t)plen);
		kist__st32(aad, reseal_j);
		crypto_aead_xchacha20poly1305_ietf_encrypt(dst + 8 + 24, NULL, plain, plen, aad, 4,
		                                           NULL, dst + 8, o->k.grant);
	}
	return len;
}

static void mut_signature(unsigned char *plain, size_t len)
{
	plain[len - 1] ^= 0x01;
}

static void mut_count_2(unsigned char *plain, size_t len)
{
	(void)len;
	plain[72] = 2;
}

/* A recipient slot for pk wrapping o's K_r. */
static size_t recipient_slot(unsigned char *dst, const opened *o, const kist_pubkey *pk)
{
	check(kist__recipient_slots(dst, o->k.slot_key, pk, 1), "slot");
	return 8 + KIST_SLOT_X25519_BODY;
}

static void gen_grant_vectors(void)
{
	const char *p1[] = {"hello.txt"};
	kist_pubkey bob_pk, dave_pk;
	kist_identity_recipient(bob, &bob_pk);
	kist_identity_recipient(dave, &dave_pk);

	/* valid: padding off; granted once and twice (signature by carol kept) */
	stage_begin("v2");
	stage_file("hello.txt", hello, strlen(hello));
	{
		kist_sealer *s = NULL;
		kist_pubkey pk;
		check(kist_sealer_new(&s, NULL, NULL), "seal_new");
		kist_identity_recipient(alice, &pk);
		check(kist_sealer_add_recipient(s, &pk), "add_recipient");
		check(kist_sealer_set_padding(s, 0), "padding");
		check(kist_sealer_add_path(s, p1[0]), p1[0]);
		check(kist_sealer_write(s, out_path("valid/pad-none.kist"), KIST_REPLACE),
		      "pad-none");
		chmod(out_path("valid/pad-none.kist"), 0644);
		kist_sealer_free(s);
		nvalid++;
		FILE *f = expect_open("valid", "pad-none");
		fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n"
		           "padded: no\n");
		expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
		fprintf(f, "comment: sealed with --pad none: no padding, the padded flag clear\n");
		expect_close(f);
	}
	seal_real("granted", (kist_identity *[]){alice}, 1, carol, p1, 1);
	{
		kist_vault *v = NULL;
		char *src = strdup(out_path("valid/granted.kist"));
		check(kist_vault_open(&v, src, &alice, 1), "open granted");
		check(kist_vault_grant(v, alice, &bob_pk, 1, out_path("valid/granted-tmp.kist"), 0),
		      "grant");
		kist_vault_close(v);
		check(kist_vault_open(&v, out_path("valid/granted-tmp.kist"), &bob, 1), "open");
		check(kist_vault_grant(v, bob, &dave_pk, 1, out_path("valid/granted-twice.kist"),
		                       KIST_REPLACE),
		      "grant twice");
		kist_vault_close(v);
		if (rename(out_path("valid/granted-tmp.kist"), src) != 0)
			die("rename");
		chmod(src, 0644);
		chmod(out_path("valid/granted-twice.kist"), 0644);
		free(src);
		nvalid++;
		FILE *f = expect_open("valid", "granted");
		fprintf(f,
		        "expect: ok\nversion: 2\nidentity: alice bob\nsigned: yes\nsigner: carol\n"
		        "slots: 2\ngrants: 1\npadded: yes\n");
		expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
		fprintf(f, "comment: sealed to alice, signed by carol; alice granted bob (slot 2, "
		           "then a grant record signed by alice): both open it and carol's "
		           "signature still verifies\n");
		expect_close(f);
		f = expect_open("valid", "granted-twice");
		fprintf(f, "expect: ok\nversion: 2\nidentity: alice bob dave\nsigned: yes\n"
		           "signer: carol\nslots: 3\ngrants: 2\npadded: yes\n");
		expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
		fprintf(f, "comment: granted, then bob granted dave's age1 key (an age slot and a "
		           "second record chained to the first)\n");
		expect_close(f);
	}

	/* malformed, one reason each, from the one-file vault (alice, padded, unsigned) */
	opened o;
	open_parts(&o, "valid/one-file.kist");
	const unsigned char *sealer_slots = o.h.slots;
	size_t ss = o.h.slots_len, n;
	unsigned char slots[8192];
	unsigned char rec1[KIST_SLOT_BODY_MAX + 8], zero[32] = {0};

	/* the padding */
	if (o.t.pad_len == 0)
		die("one-file is not padded");
	unsigned char *d = dup_bytes(o.bytes, o.len, 0);
	d[o.len - KIST_TRAILER_BYTES - 1] ^= 0x01;
	malformed("padding-flipped", d, o.len, "padding-on-verify",
	          "the last padding byte flipped: the vault opens, verify finds the padding "
	          "damaged (no entry is), extraction is unaffected");
	free(d);

	/* a grant record signed badly, chained badly, miscounting, out of place */
	memcpy(slots, sealer_slots, ss);
	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, mut_signature, 0);
	write_reheaded("grant-bad-signature", &o, slots, n, 3, "signature", "alice",
	               "a grant record whose signature has one bit changed (record "
	               "re-encrypted, header MAC recomputed)");

	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	{
		unsigned char one[32] = {1};
		n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, one, NULL, NULL, 0);
	}
	write_reheaded("grant-prev-not-zero", &o, slots, n, 3, "corrupt", "alice",
	               "the first grant record's prev is not 32 zero bytes (and signed so)");

	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, NULL, 1);
	write_reheaded("grant-wrong-index", &o, slots, n, 3, "corrupt", "alice",
	               "grant record 0 sealed with the index of record 1 as its associated data");

	{
		unsigned char other[32];
		memcpy(other, o.core, 32);
		other[0] ^= 1;
		n = ss + recipient_slot(slots + ss, &o, &bob_pk);
		n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, other, NULL, 0);
		write_reheaded("grant-other-vault", &o, slots, n, 3, "signature", "alice",
		               "a grant record signed over another vault's core digest");
	}

	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, mut_count_2, 0);
	write_reheaded("grant-count-overruns", &o, slots, n, 3, "corrupt", "alice",
	               "a grant record whose count says 2 keys but holds 1");

	/* two records: the second chained to nothing, the second miscounting */
	{
		size_t l1, r1;
		unsigned char prev[32];
		n = ss + recipient_slot(slots + ss, &o, &bob_pk);
		r1 = n;
		l1 = grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, NULL, 0);
		memcpy(rec1, slots + r1, l1);
		n += l1;
		n += recipient_slot(slots + n, &o, &dave_pk);
		n += grant_record(slots + n, &o, 1, alice, &dave_pk, 1, zero, NULL, NULL, 1);
		write_reheaded("grant-chain-broken", &o, slots, n, 5, "corrupt", "alice",
		               "the second grant record's prev is zeros, not the first record's "
		               "digest");
		/* prev = SHA-256 of record 1's plaintext: nonce (24) || ciphertext, aad 0 */
		{
			unsigned char plain[4096], aad[4] = {0};
			unsigned long long plen;
			if (crypto_aead_xchacha20poly1305_ietf_decrypt(
			        plain, &plen, NULL, rec1 + 8 + 24, l1 - 8 - 24, aad, 4, rec1 + 8,
			        o.k.grant) != 0)
				die("record 1");
			kist__sha256_oneshot(prev, plain, (size_t)plen);
		}
		n = r1 + l1;
		n += recipient_slot(slots + n, &o, &dave_pk);
		n += recipient_slot(slots + n, &o, &bob_pk);
		n += grant_record(slots + n, &o, 1, alice, &dave_pk, 1, prev, NULL, NULL, 1);
		write_reheaded("grant-follows-more-slots", &o, slots, n, 6, "corrupt", "alice",
		               "the second grant record names 1 key but follows 2 recipient slots");
	}

	/* the slot a grant added, replaced by a fresh one (for the same key, so it
	 * still opens): the grant record's signature covers the slots it added */
	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, NULL, 0);
	recipient_slot(slots + ss, &o, &bob_pk);
	write_reheaded("grant-added-slot-replaced", &o, slots, n, 3, "signature", "alice",
	               "the recipient slot a grant added, replaced by another slot after the "
	               "grant was signed (header MAC recomputed)");

	/* structure, without keys */
	n = grant_record(slots, &o, 0, alice, &bob_pk, 1, NULL, NULL, mut_first, 0);
	memcpy(slots + n, sealer_slots, ss);
	write_reheaded("grant-before-recipients", &o, slots, n + ss, 2, "format", "alice",
	               "a grant record as the first slot, before any recipient");
	memcpy(slots, sealer_slots, ss);
	n = ss + recipient_slot(slots + ss, &o, &bob_pk);
	n += grant_record(slots + n, &o, 0, alice, &bob_pk, 1, NULL, NULL, NULL, 0);
	n += recipient_slot(slots + n, &o, &dave_pk);
	write_reheaded("recipient-after-grant", &o, slots, n, 4, "format", "alice",
	               "a recipient slot after the last grant record");
	{
		unsigned char c4[8 + 97] = {KIST_SLOT_CUSTODIAN, 0, 0, 0, 97, 0, 0, 0};
		memcpy(slots, sealer_slots, ss);
		memcpy(slots + ss, c4, sizeof c4);
		write_reheaded("custodian-slot", &o, slots, ss + sizeof c4, 2, "format", "alice",
		               "a custodian slot (type 4) without a gate slot (type 5)");
	}

	/* keys: the header MAC under the file key, a version 1 label */
	{
		kist__keys wrong = o.k;
		unsigned char fk[32], ikm[64];
		memcpy(ikm, o.k.slot_key, 32);
		memset(ikm + 32, 0, 32);
		kist__hkdf_sha256(fk, 32, o.h.salt, 32, ikm, 64, "kist/v2 file key");
		kist__hkdf_sha256(wrong.header_mac, 32, o.h.salt, 32, fk, 32, "kist/v2 header");
		opened w = o;
		w.k = wrong;
		write_reheaded("mac-under-file-key", &w, sealer_slots, ss, 1, "corrupt", "alice",
		               "the header MAC keyed by HKDF(K) instead of HKDF(K_r)");
		memcpy(slots, sealer_slots, ss);
		unsigned char *share = slots + 8, *wrapped = slots + 8 + 32;
		check(kist__x25519_wrap(share, wrapped, o.k.slot_key, 32, alice->pk.x25519,
		                        "kist/v1 X25519 recipient"),
		      "v1 wrap");
		write_reheaded("v1-label", &o, slots, ss, 1, "noaccess", "alice",
		               "alice's slot wraps K_r with version 1's label");
	}
	free(o.bytes);

	/* a signed vault whose sealer's slot was replaced by a recipient (header
	 * MAC recomputed with K_r): the signature covers the sealer's slots */
	open_parts(&o, "valid/signed.kist");
	recipient_slot(slots, &o, &alice->pk);
	write_reheaded("sealer-slot-replaced", &o, slots, o.h.slots_len, 1, "signature", "alice",
	               "the sealer's recipient slot replaced by a fresh slot for the same key "
	               "(it opens; header MAC recomputed): the seal signature no longer verifies");
	free(o.bytes);

	/* the trailer's padding fields */
	{
		craft c = {.ents = one_file, .n = 1, .trailer_fix = tf_pad_no_flag};
		crafted("pad-len-without-flag", &c, "corrupt",
		        "pad_len 16 with the padded flag clear (and no padding bytes)");
		craft c2 = {.ents = one_file, .n = 1, .trailer_fix = tf_pad_one};
		crafted("pad-len-beyond-file", &c2, "corrupt",
		        "padded flag and pad_len 1, but no padding bytes: the layout does not "
		        "match the file size");
		craft c3 = {.ents = one_file, .n = 1, .trailer_fix = tf_pad_huge};
		crafted("pad-len-2-38", &c3, "corrupt", "pad_len 2^38: more than one keystream");
	}
}

/* ------------------------------------- version 2: trustee-gated vaults */

#define REL_FIXED 190 /* a release: magic .. wrapped share (FORMAT.md) */

static void write_rel(const char *rel, const void *data, size_t len)
{
	write_all(out_path(rel), data, len, 0644);
}

/* Seals hello.txt (staged) for alice with custodians cs[0..n), quorum k. */
static void seal_gated(const char *name, kist_identity *const *cs, unsigned n, unsigned k)
{
	kist_sealer *s = NULL;
	kist_pubkey pk;
	char rel[256];
	check(kist_sealer_new(&s, NULL, NULL), "seal_new");
	kist_identity_recipient(alice, &pk);
	check(kist_sealer_add_recipient(s, &pk), "add_recipient");
	for (unsigned i = 0; i < n; i++) {
		kist_identity_pubkey(cs[i], &pk);
		check(kist_sealer_add_custodian(s, &pk), "add_custodian");
	}
	check(kist_sealer_set_quorum(s, k), "quorum");
	check(kist_sealer_add_path(s, "hello.txt"), "hello.txt");
	snprintf(rel, sizeof rel, "valid/%s.kist", name);
	check(kist_sealer_write(s, out_path(rel), KIST_REPLACE), name);
	chmod(out_path(rel), 0644);
	kist_sealer_free(s);
}

/* alice's request on the vault at rel; *q parsed. */
static void make_request(const char *rel, const char *reason, unsigned char **req, size_t *req_len,
                         unsigned char **key, size_t *key_len, kist_request **q)
{
	check(kist_request_make(out_path(rel), &alice, 1, KIST_SCOPE_ALL, NULL, 0, reason, req,
	                        req_len, key, key_len),
	      "request");
	check(kist_request_parse(q, *req, *req_len), "parse request");
}

/* Custodian c's decision on q, appended to the ledger at path; its index. */
static uint64_t record(const char *path, const kist_request *q, kist_identity *c, int refuse)
{
	kist_ledger *l = NULL;
	uint64_t idx = 0;
	check(kist_ledger_open(&l, path), path);
	check(kist_release_record(q, c, l, refuse, &idx), "record");
	kist_ledger_close(l);
	return idx;
}

static buf release_of(const char *ledger, const kist_request *q, kist_identity *c, uint64_t idx,
                      int refuse, const char *note)
{
	buf b = {0};
	check(kist_release_build(q, c, ledger, idx, refuse, note, &b.p, &b.len), "release");
	return b;
}

/* A release taken apart (FORMAT.md, "Requests and releases"); pointers into it. */
typedef struct relp {
	unsigned char fixed[REL_FIXED]; /* magic, version, flags, decision, request, custodian,
	                                 * wrapped share */
	const unsigned char *note, *body, *esig, *proof, *cp;
	size_t note_len, body_len, cp_len;
	unsigned nproof;
} relp;

static void rel_split(relp *r, const buf *b)
{
	const unsigned char *p = b->p;
	size_t o = REL_FIXED;
	memcpy(r->fixed, p, REL_FIXED);
	r->note_len = kist__ld16(p + o);
	r->note = p + o + 2;
	o += 2 + r->note_len;
	r->body_len = kist__ld32(p + o);
	r->body = p + o + 4;
	o += 4 + r->body_len;
	r->esig = p + o;
	o += 64;
	r->nproof = p[o];
	r->proof = p + o + 1;
	o += 1 + 32u * r->nproof;
	r->cp_len = kist__ld16(p + o);
	r->cp = p + o + 2;
	o += 2 + r->cp_len;
	if (o + 64 != b->len)
		die("a release's layout is not FORMAT.md's");
}

/* r encoded and signed by c: Ed25519 over SHA-256("kist/v2 release" NUL || the rest). */
static buf rel_join(const relp *r, const kist_identity *c)
{
	static const char label[] = "kist/v2 release";
	unsigned char l[4], sd[32], sig[64];
	crypto_hash_sha256_state st;
	buf b = {0};
	buf_add(&b, r->fixed, REL_FIXED);
	kist__st16(l, (uint16_t)r->note_len);
	buf_add(&b, l, 2);
	buf_add(&b, r->note, r->note_len);
	kist__st32(l, (uint32_t)r->body_len);
	buf_add(&b, l, 4);
	buf_add(&b, r->body, r->body_len);
	buf_add(&b, r->esig, 64);
	l[0] = (unsigned char)r->nproof;
	buf_add(&b, l, 1);
	buf_add(&b, r->proof, 32u * r->nproof);
	kist__st16(l, (uint16_t)r->cp_len);
	buf_add(&b, l, 2);
	buf_add(&b, r->cp, r->cp_len);
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)label, sizeof label);
	crypto_hash_sha256_update(&st, b.p, b.len);
	crypto_hash_sha256_final(&st, sd);
	crypto_sign_detached(sig, NULL, sd, 32, c->ed25519_sk);
	buf_add(&b, sig, 64);
	return b;
}

/*
 * Wraps share number x with c's share to q's one-time key into r: X25519 as
 * a recipient slot, label "kist/v2 release share", associated data the
 * request digest and the custodian's two keys.
 */
static void rel_wrap(relp *r, const kist_request *q, const kist_identity *c, unsigned x)
{
	unsigned char plain[33], vid[16], ad[96];
	unsigned own;
	kist__header h;
	check(kist__header_parse(&h, q->header, q->header_len), "request header");
	check(kist__custodian_unwrap(&h, c, &own, plain + 1, vid), "custodian slot");
	plain[0] = (unsigned char)x;
	memcpy(ad, q->digest, 32);
	memcpy(ad + 32, r->fixed + 45, 64);
	check(kist__x25519_wrap_ad(r->fixed + 109, r->fixed + 141, plain, 33, q->t_pub,
	                           "kist/v2 release share", ad, sizeof ad),
	      "wrap share");
	sodium_memzero(plain, sizeof plain);
}

/*
 * malformed/NAME: the vault valid/gated-2of3 as it is, its request key
 * (key: the pending request) and releases rels[0..n); opening with them
 * must fail with kind for reason_for(name).
 */
static void gate_case(const char *name, const buf *vault, const unsigned char *key, size_t key_len,
                      const buf *rels, size_t n, const char *kind, const char *comment)
{
	char rel[256];
	snprintf(rel, sizeof rel, "malformed/%s.kist", name);
	write_rel(rel, vault->p, vault->len);
	snprintf(rel, sizeof rel, "malformed/%s.kist-reqkey", name);
	write_rel(rel, key, key_len);
	FILE *f = expect_open("malformed", name);
	fprintf(f, "expect: %s\nidentity: alice\nrequest-key: %s.kist-reqkey\nreleases:", kind,
	        name);
	for (size_t i = 0; i < n; i++) {
		snprintf(rel, sizeof rel, "malformed/%s.%zu.kist-release", name, i + 1);
		write_rel(rel, rels[i].p, rels[i].len);
		fprintf(f, " %s.%zu.kist-release", name, i + 1);
	}
	fprintf(f, "\ncomment: %s\nreason: %s\n", comment, reason_for(name));
	expect_close(f);
	nmalformed++;
}

/* The gated vault at rel taken apart with alice's K_r (header MAC, gate key). */
typedef struct gopened {
	unsigned char *bytes;
	size_t len;
	kist__header h;
	kist__keys k;
	kist__gate g;
	size_t rlen, clen; /* recipient slots' bytes, one custodian slot's */
} gopened;

static void open_gated(gopened *o, const char *rel)
{
	unsigned char kr[32];
	size_t which;
	o->bytes = read_all(out_path(rel), &o->len);
	check(kist__header_parse(&o->h, o->bytes, kist__ld32(o->bytes + 12)), "parse");
	check(kist__header_unwrap(&o->h, &alice, 1, kr, &which), "unwrap");
	check(kist__derive_keys(&o->k, o->h.version, kr, NULL, o->h.salt), "keys");
	check(kist__gate_open(&o->h, o->k.gate, &o->g), "gate");
	o->rlen = o->h.recipient_slots * (8u + KIST_SLOT_X25519_BODY);
	o->clen = 8 + KIST_SLOT_CUSTODIAN_BODY;
	sodium_memzero(kr, sizeof kr);
}

/*
 * o with its slots replaced by slots[0..slen): the sealer's key commitment
 * kept, the header MAC recomputed with K_r, so that only the slots change.
 */
static void write_gated(const char *name, const gopened *o, const unsigned char *slots, size_t slen,
                        unsigned nslots, const char *kind, const char *comment)
{
	unsigned char *h;
	size_t hl;
	check(kist__header_assemble(&h, &hl, o->h.salt, slots, slen, nslots, &o->k), "assemble");
	memcpy(h + hl - 64, o->h.commitment, 32);
	remac(h, hl, &o->k);
	buf b = {0};
	buf_add(&b, h, hl);
	buf_add(&b, o->bytes + o->h.header_len, o->len - o->h.header_len);
	malformed(name, b.p, b.len, kind, comment);
	free(h);
	free(b.p);
}

/*
 * A gate slot (type 5) as FORMAT.md has it: ChaCha20-Poly1305 under the
 * gate key, nonce 0, of version 1 || quorum || n || vault id || n times
 * (X25519 key || Ed25519 key).
 */
static size_t gate_slot(unsigned char *dst, const gopened *o, unsigned quorum, unsigned n,
                        const unsigned *order)
{
	static const unsigned char zero_nonce[12];
	unsigned char plain[19 + 64 * KIST_CUSTODIANS_MAX];
	size_t plen = 19 + 64u * n;
	plain[0] = 1;
	plain[1] = (unsigned char)quorum;
	plain[2] = (unsigned char)n;
	memcpy(plain + 3, o->g.vault_id, 16);
	for (unsigned i = 0; i < n; i++) {
		memcpy(plain + 19 + 64 * i, o->g.custodians[order[i]].x25519, 32);
		memcpy(plain + 19 + 64 * i + 32, o->g.custodians[order[i]].ed25519, 32);
	}
	kist__st16(dst, KIST_SLOT_GATE);
	kist__st16(dst + 2, 0);
	kist__st32(dst + 4, (uint32_t)(plen + 16));
	crypto_aead_chacha20poly1305_ietf_encrypt(dst + 8, NULL, plain, plen, NULL, 0, NULL,
	                                          zero_nonce, o->k.gate);
	return 8 + plen + 16;
}

static void gen_gate_header_vectors(void)
{
	gopened o, one;
	unsigned char slots[8192];
	const unsigned order[] = {0, 1, 2}, twice[] = {0, 1, 0};
	size_t n;
	open_gated(&o, "valid/gated-2of3.kist");
	open_gated(&one, "valid/gated-1of1.kist");
	const unsigned char *rs = o.h.slots, *cs = rs + o.rlen, *gs = cs + 3 * o.clen;
	size_t glen = o.h.slots_len - o.rlen - 3 * o.clen;

	memcpy(slots, rs, o.rlen);
	memcpy(slots + o.rlen, gs, glen);
	write_gated("gate-without-custodians", &o, slots, o.rlen + glen, 2, "format",
	            "gated-2of3 without its three custodian slots: a gate (type 5) alone");

	memcpy(slots, o.h.slots, o.h.slots_len);
	memcpy(slots + o.h.slots_len, gs, glen);
	write_gated("gate-twice", &o, slots, o.h.slots_len + glen, 6, "format",
	            "gated-2of3 with its gate slot twice");

	{
		kist_pubkey bob_pk;
		unsigned char core[32] = {0};
		kist_identity_recipient(bob, &bob_pk);
		memcpy(slots, rs, o.rlen);
		n = o.rlen;
		check(kist__recipient_slots(slots + n, o.k.slot_key, &bob_pk, 1), "slot");
		n += 8 + KIST_SLOT_X25519_BODY;
		kist__grant gr;
		size_t gl;
		memset(&gr, 0, sizeof gr);
		gr.time = MTIME;
		gr.nkeys = 1;
		gr.keys[0] = bob_pk;
		check(kist__grant_seal(slots + n, &gl, 0, &gr, alice, core,
		                       slots + n - (8 + KIST_SLOT_X25519_BODY),
		                       8 + KIST_SLOT_X25519_BODY, o.k.grant),
		      "grant");
		n += gl;
		memcpy(slots + n, cs, 3 * o.clen + glen);
		n += 3 * o.clen + glen;
		write_gated("gate-after-grant", &o, slots, n, 7, "format",
		            "gated-2of3's custodian and gate slots after a grant record for bob");
	}

	memcpy(slots, o.h.slots, o.h.slots_len);
	set32(slots, o.rlen + 4, KIST_SLOT_CUSTODIAN_BODY - 1);
	memmove(slots + o.rlen + o.clen - 1, slots + o.rlen + o.clen,
	        o.h.slots_len - o.rlen - o.clen);
	write_gated("custodian-slot-short", &o, slots, o.h.slots_len - 1, 5, "format",
	            "the first custodian slot one byte short (96 bytes, not 97)");

	memcpy(slots, rs, o.rlen + 3 * o.clen);
	n = o.rlen + 3 * o.clen;
	n += gate_slot(slots + n, &o, 2, 2, order);
	write_gated("gate-names-2-of-3-slots", &o, slots, n, 5, "corrupt",
	            "three custodian slots, a gate that names two custodians (quorum 2)");

	memcpy(slots, o.h.slots, o.h.slots_len);
	slots[o.h.slots_len - 1] ^= 0x01;
	write_gated("gate-not-authentic", &o, slots, o.h.slots_len, 5, "corrupt",
	            "the gate slot's tag has one bit changed (header MAC recomputed)");

	memcpy(slots, rs, o.rlen + 3 * o.clen);
	n = o.rlen + 3 * o.clen;
	gate_slot(slots + n, &o, 0, 3, order);
	write_gated("gate-quorum-0", &o, slots, o.h.slots_len, 5, "corrupt",
	            "a gate (authentic) with quorum 0 of 3 custodians");
	gate_slot(slots + n, &o, 4, 3, order);
	write_gated("gate-quorum-4-of-3", &o, slots, o.h.slots_len, 5, "corrupt",
	            "a gate (authentic) with quorum 4 of 3 custodians");
	gate_slot(slots + n, &o, 2, 3, twice);
	write_gated("gate-same-custodian-twice", &o, slots, o.h.slots_len, 5, "corrupt",
	            "a gate (authentic) naming erin as its first and third custodian");

	/*
	 * erin's custodian slot of gated-1of1 (its salt as associated data, its
	 * vault id inside) in place of erin's slot of gated-2of3: the vault
	 * opens its gate, a request on it is made, but erin's check of the
	 * request finds no custodian slot of this vault for her.
	 */
	memcpy(slots, o.h.slots, o.h.slots_len);
	memcpy(slots + o.rlen, one.h.slots + one.rlen, o.clen);
	write_gated("custodian-slot-other-vault", &o, slots, o.h.slots_len, 5, "noaccess",
	            "erin's custodian slot copied from gated-1of1 into gated-2of3 (its "
	            "associated data is the other vault's salt): erin's check of a request "
	            "on it fails");
	{
		unsigned char *req = NULL, *key = NULL;
		size_t req_len, key_len;
		kist_request *q = NULL;
		make_request("malformed/custodian-slot-other-vault.kist", "synthetic reason", &req,
		             &req_len, &key, &key_len, &q);
		write_rel("malformed/custodian-slot-other-vault.kist-request", req, req_len);
		FILE *f = fopen(out_path("malformed/custodian-slot-other-vault.expect"), "a");
		if (f == NULL)
			die("expect");
		fprintf(f, "custodian: erin\nrequest: custodian-slot-other-vault.kist-request\n");
		expect_close(f);
		kist_request_free(q);
		free(req);
		free(key);
	}
	free(o.bytes);
	free(one.bytes);
}

static void gen_gate_vectors(void)
{
	kist_identity *cs[] = {erin, frank, grace};
	char ledger[3][PATH_MAX * 2];
	unsigned char *req = NULL, *key = NULL, *req2 = NULL, *key2 = NULL;
	size_t req_len, key_len, req2_len, key2_len;
	kist_request *q = NULL, *q2 = NULL;

	stage_begin("gate");
	stage_file("hello.txt", hello, strlen(hello));
	for (int i = 0; i < 3; i++)
		snprintf(ledger[i], sizeof ledger[i], "%s/gate/ledger-%d.db", stagedir, i);

	/* valid: 1 of 1 (erin) */
	seal_gated("gated-1of1", cs, 1, 1);
	make_request("valid/gated-1of1.kist", "synthetic reason: case 0001", &req, &req_len, &key,
	             &key_len, &q);
	{
		char p[PATH_MAX * 2];
		snprintf(p, sizeof p, "%s/gate/ledger-1of1.db", stagedir);
		buf r = release_of(p, q, erin, record(p, q, erin, 0), 0, NULL);
		write_rel("valid/gated-1of1.kist-request", req, req_len);
		write_rel("valid/gated-1of1.kist-reqkey", key, key_len);
		write_rel("valid/gated-1of1.erin.kist-release", r.p, r.len);
		free(r.p);
	}
	FILE *f = expect_open("valid", "gated-1of1");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n"
	           "custodians: 1\nrequest: gated-1of1.kist-request\n"
	           "request-key: gated-1of1.kist-reqkey\n"
	           "releases: gated-1of1.erin.kist-release\n");
	expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
	fprintf(f, "comment: sealed for alice, custodian erin (quorum 1): opens with alice's "
	           "request key and erin's release, and not without them\n");
	expect_close(f);
	nvalid++;
	kist_request_free(q);
	free(req);
	free(key);

	/* valid: 2 of 3 (erin, frank, grace); erin's ledger also holds a second
	 * request's release, a refusal and a second release, for the malformed ones */
	seal_gated("gated-2of3", cs, 3, 2);
	make_request("valid/gated-2of3.kist", "synthetic reason: case 0002", &req, &req_len, &key,
	             &key_len, &q);
	make_request("valid/gated-2of3.kist", "synthetic reason: case 0003", &req2, &req2_len,
	             &key2, &key2_len, &q2);
	uint64_t e0 = record(ledger[0], q, erin, 0), e1 = record(ledger[0], q2, erin, 0),
	         e2 = record(ledger[0], q, erin, 1), e3 = record(ledger[0], q, erin, 0);
	buf rE = release_of(ledger[0], q, erin, e0, 0, NULL);
	buf rE2 = release_of(ledger[0], q2, erin, e1, 0, NULL);
	buf rEno = release_of(ledger[0], q, erin, e2, 1, "synthetic refusal");
	buf rEb = release_of(ledger[0], q, erin, e3, 0, NULL);
	buf rF = release_of(ledger[1], q, frank, record(ledger[1], q, frank, 0), 0, NULL);
	buf rG = release_of(ledger[2], q, grace, record(ledger[2], q, grace, 0), 0, NULL);
	write_rel("valid/gated-2of3.kist-request", req, req_len);
	write_rel("valid/gated-2of3.kist-reqkey", key, key_len);
	write_rel("valid/gated-2of3.erin.kist-release", rE.p, rE.len);
	write_rel("valid/gated-2of3.grace.kist-release", rG.p, rG.len);
	f = expect_open("valid", "gated-2of3");
	fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n"
	           "custodians: 3\nrequest: gated-2of3.kist-request\n"
	           "request-key: gated-2of3.kist-reqkey\n"
	           "releases: gated-2of3.erin.kist-release gated-2of3.grace.kist-release\n");
	expect_file(f, "hello.txt", (const unsigned char *)hello, strlen(hello));
	fprintf(f, "comment: sealed for alice, custodians erin, frank and grace (quorum 2): "
	           "opens with alice's request key and the releases of erin (entry 0 of a "
	           "ledger of 4, proof of 2 hashes) and grace, and not without them\n");
	expect_close(f);
	nvalid++;

	/* malformed releases and request keys, one reason each */
	buf vault = {0};
	vault.p = read_all(out_path("valid/gated-2of3.kist"), &vault.len);
	relp p;
	buf x[2];

	x[0] = rF;
	x[1] = rE;
	x[1].p = dup_bytes(rE.p, rE.len, 0);
	x[1].p[rE.len - 1] ^= 0x01;
	gate_case("release-bad-signature", &vault, key, key_len, x, 2, "signature",
	          "frank's release, and erin's with the last byte of its signature changed");
	free(x[1].p);

	{
		unsigned char *k = dup_bytes(key, key_len, 0);
		k[key_len - 64 - 1] ^= 0x01; /* the last byte of the reason */
		x[0] = rE;
		x[1] = rG;
		gate_case("request-altered", &vault, k, key_len, x, 2, "signature",
		          "the request in the request key with one byte of its reason changed; "
		          "erin's and grace's releases of the request as made");
		free(k);
	}

	x[0] = rF;
	x[1] = rE2;
	gate_case("release-other-request", &vault, key, key_len, x, 2, "noaccess",
	          "frank's release, and erin's release of another request by alice for the "
	          "same vault");

	x[0] = rE;
	x[1] = rEb;
	gate_case("same-custodian-twice", &vault, key, key_len, x, 2, "noaccess",
	          "two releases by erin of the pending request (ledger entries 0 and 3)");

	x[0] = rF;
	x[1] = rEno;
	gate_case("refused", &vault, key, key_len, x, 2, "noaccess",
	          "frank's release, and erin's refusal (ledger entry 2, note \"synthetic "
	          "refusal\")");

	rel_split(&p, &rE);
	memcpy(p.fixed + 45, carol->pk.x25519, 32);
	memcpy(p.fixed + 77, carol->pk.ed25519, 32);
	x[0] = rF;
	x[1] = rel_join(&p, carol);
	gate_case("release-not-custodian", &vault, key, key_len, x, 2, "noaccess",
	          "frank's release, and erin's with carol's keys as its custodian, signed by "
	          "carol");
	free(x[1].p);

	/* erin's own releases, with one part of the ledger record swapped and signed by her */
	{
		relp other;
		rel_split(&p, &rE);
		rel_split(&other, &rE2);
		p.body = other.body, p.body_len = other.body_len, p.esig = other.esig;
		p.proof = other.proof, p.nproof = other.nproof;
		x[0] = rF;
		x[1] = rel_join(&p, erin);
		gate_case(
		    "ledger-other-request", &vault, key, key_len, x, 2, "corrupt",
		    "frank's release, and erin's (signed by her) carrying her ledger entry 1, "
		    "the release of another request, with its proof");
		free(x[1].p);

		rel_split(&p, &rE);
		rel_split(&other, &rEno);
		p.body = other.body, p.body_len = other.body_len, p.esig = other.esig;
		p.proof = other.proof, p.nproof = other.nproof;
		x[1] = rel_join(&p, erin);
		gate_case("ledger-other-decision", &vault, key, key_len, x, 2, "corrupt",
		          "frank's release, and erin's release (signed by her) carrying her ledger "
		          "entry 2, her refusal of the same request, with its proof");
		free(x[1].p);
	}

	rel_split(&p, &rE);
	unsigned char proof[64 * 32];
	if (p.nproof < 1)
		die("erin's release has no proof");
	memcpy(proof, p.proof, 32u * p.nproof);
	proof[0] ^= 0x01;
	p.proof = proof;
	x[0] = rF;
	x[1] = rel_join(&p, erin);
	gate_case("ledger-not-in-checkpoint", &vault, key, key_len, x, 2, "corrupt",
	          "frank's release, and erin's (signed by her) with one bit of its inclusion "
	          "proof changed");
	free(x[1].p);

	rel_split(&p, &rE);
	unsigned char esig[64];
	memcpy(esig, p.esig, 64);
	esig[0] ^= 0x01;
	p.esig = esig;
	x[1] = rel_join(&p, erin);
	gate_case("ledger-entry-bad-signature", &vault, key, key_len, x, 2, "signature",
	          "frank's release, and erin's (signed by her) with one bit of its ledger "
	          "entry's signature changed");
	free(x[1].p);

	{
		kist_ledger_log *log = NULL;
		char *cp = NULL;
		check(kist_ledger_load(&log, ledger[0]), "load");
		check(kist_ledger_checkpoint(log, frank, &cp), "checkpoint");
		rel_split(&p, &rE);
		p.cp = (const unsigned char *)cp;
		p.cp_len = strlen(cp);
		x[1] = rel_join(&p, erin);
		gate_case("checkpoint-not-custodians", &vault, key, key_len, x, 2, "signature",
		          "frank's release, and erin's (signed by her) with a checkpoint of her "
		          "ledger signed by frank");
		free(x[1].p);
		free(cp);
		kist_ledger_log_free(log);
	}

	rel_split(&p, &rE);
	rel_wrap(&p, q, erin, 2);
	x[0] = rG;
	x[1] = rel_join(&p, erin);
	gate_case("share-number-mismatch", &vault, key, key_len, x, 2, "corrupt",
	          "grace's release, and erin's (signed by her) wrapping her share as share "
	          "number 2, frank's");
	free(x[1].p);

	free(vault.p);
	free(rE.p);
	free(rE2.p);
	free(rEno.p);
	free(rEb.p);
	free(rF.p);
	free(rG.p);
	kist_request_free(q);
	kist_request_free(q2);
	free(req);
	free(key);
	free(req2);
	free(key2);
}

/*
 * The text kist_errdetail() must contain for each malformed vector
 * (test_vectors.c requires a reason: line in every malformed .expect).
 */
static const struct {
	const char *name, *reason;
} reasons[] = {
    {"age-slot-as-kist-slot", "no recipient slot matches the identities given"},
    {"age-slot-len-81", "recipient slot 1 has a bad length"},
    {"age-slot-low-order", "no recipient slot matches the identities given"},
    {"age-slot-low-order-wrapped", "no recipient slot matches the identities given"},
    {"age-slot-share", "no recipient slot matches the identities given"},
    {"age-slot-tag", "no recipient slot matches the identities given"},
    {"appended-1", "trailer failed authentication (truncated or appended to?)"},
    {"application-id", "index: not a kist index"},
    {"bad-magic", "not a kist vault (bad magic)"},
    {"below-file", "f/g.txt lies below a non-directory entry"},
    {"below-symlink", "ln/f.txt lies below a non-directory entry"},
    {"below-symlink-to-dot", "d/ln/f.txt lies below a non-directory entry"},
    {"body-gap", "index: entries do not cover the vault body"},
    {"chunk-last-flag-0", "chunk 0 failed authentication"},
    {"chunk-len-16", "index: size and chunks of a.txt disagree"},
    {"chunk-len-over", "index: size and chunks of a.txt disagree"},
    {"chunk-method-2", "chunk 0 has unknown method 2"},
    {"chunk-wrong-stream", "chunk 0 failed authentication"},
    {"chunks-as-text", "index: entry 1 is malformed"},
    {"chunks-not-multiple-of-4", "index: entry 1 is malformed"},
    {"chunks-reordered", "chunk 0 failed authentication"},
    {"chunks-swapped", "chunk 0 failed authentication"},
    {"commitment-wrong-mac-valid", "key commitment mismatch"},
    {"dir-with-chunk", "index: size and chunks of d disagree"},
    {"dir-with-sha256", "index: entry 1 is malformed"},
    {"dir-with-size", "index: size and chunks of d disagree"},
    {"empty", "not a kist vault (too short)"},
    {"empty-file-no-chunk", "index: size and chunks of a.txt disagree"},
    {"extra-column", "index: unexpected schema"},
    {"extra-index", "index: unexpected schema objects"},
    {"extra-table", "index: unexpected schema objects"},
    {"flip-commitment", "key commitment mismatch"},
    {"flip-content", "chunk 0 failed authentication"},
    {"flip-content-tag", "chunk 0 failed authentication"},
    {"flip-index", "index chunk 0 failed authentication"},
    {"flip-mac", "header authentication failed"},
    {"flip-other-slot", "header authentication failed"},
    {"flip-own-slot", "no recipient slot matches the identities given"},
    {"flip-own-slot-share", "no recipient slot matches the identities given"},
    {"flip-salt", "key commitment mismatch"},
    {"flip-trailer", "trailer failed authentication (truncated or appended to?)"},
    {"flip-trailer-tag", "trailer failed authentication (truncated or appended to?)"},
    {"header-flags", "header has unknown flags"},
    {"header-from-other-vault", "trailer failed authentication (truncated or appended to?)"},
    {"header-len-huge", "header length 2147483647 is out of bounds"},
    {"header-len-minus-1", "recipient slot 1 is malformed"},
    {"header-len-plus-1", "header length mismatch"},
    {"header-len-too-small", "header length 100 is out of bounds"},
    {"header-only", "vault is truncated"},
    {"header-reserved", "header has unknown flags"},
    {"id-not-1", "index: entry 1 is malformed"},
    {"index-chunk-size-4096", "index and trailer disagree on the chunk size"},
    {"index-frame-no-size", "index size does not match the trailer"},
    {"index-hash-mismatch", "index hash mismatch"},
    {"index-image-truncated", "index: not a kist index"},
    {"index-len-300mib", "trailer: index size out of bounds"},
    {"index-len-mismatch", "index size does not match the trailer"},
    {"index-not-sqlite", "index: not a kist index"},
    {"index-zlen-wrong", "trailer: layout does not match the file size"},
    {"link-target-on-file", "index: entry 1 is malformed"},
    {"mode-over-07777", "index: entry 1 is malformed"},
    {"mtime-nsec-1e9", "index: entry 1 is malformed"},
    {"offset-gap", "index: entry 1 is not where expected"},
    {"path-4099-bytes", "index: entry 1 is malformed"},
    {"path-absolute", "absolute path"},
    {"path-blob", "index: entry 1 is malformed"},
    {"path-component-256", "name longer than 255 bytes"},
    {"path-control", "control character in path"},
    {"path-del", "control character in path"},
    {"path-dot", "path not normalised"},
    {"path-dotdot", "path not normalised"},
    {"path-dotdot-inner", "path not normalised"},
    {"path-duplicate", "duplicate path"},
    {"path-empty", "empty path"},
    {"path-empty-component", "path not normalised"},
    {"path-escape-char", "control character in path"},
    {"path-nul", "index: entry 1 is malformed"},
    {"path-trailing-slash", "path not normalised"},
    {"sealer-key-age1", "index: the sealer key is malformed"},
    {"sealer-key-bad", "index: the sealer key is malformed"},
    {"sha256-missing", "index: entry 1 is malformed"},
    {"sha256-short", "index: entry 1 is malformed"},
    {"sha256-uppercase", "index: entry 1 is malformed"},
    {"sha256-wrong", "SHA-256 does not match the index"},
    {"signature-bad", "the sealer's signature does not verify"},
    {"signature-flag-cleared", "unsigned vault carries signature data"},
    {"signed-no-sealer-key", "index and trailer disagree on the sealer"},
    {"signer-mismatch", "index and trailer disagree on the sealer"},
    {"size-disagrees-with-chunks", "index: size and chunks of a.txt disagree"},
    {"size-negative", "index: entry 1 is malformed"},
    {"size-off-by-one", "chunk 0 has the wrong size"},
    {"slot-body-len-over-4096", "recipient slot 1 is malformed"},
    {"slot-body-len-overrun", "recipient slot 1 is malformed"},
    {"slot-count-0", "bad recipient slot count 0"},
    {"slot-count-1025", "bad recipient slot count 1025"},
    {"slot-count-2-of-1", "recipient slot 2 overruns the header"},
    {"slot-flags", "recipient slot 1 is malformed"},
    {"slot-inserted", "header authentication failed"},
    {"slot-low-order", "no recipient slot matches the identities given"},
    {"slot-x25519-len-81", "recipient slot 1 is malformed"},
    {"slots-swapped", "header authentication failed"},
    {"stored-size-mismatch", "index: size and chunks of a.txt disagree"},
    {"symlink-no-target", "index: entry 1 is malformed"},
    {"trailer-chunk-size-1024", "trailer"},
    {"trailer-chunk-size-4096", "index and trailer disagree on the chunk size"},
    {"trailer-index-offset", "trailer: layout does not match the file size"},
    {"trailer-twice", "trailer: layout does not match the file size"},
    {"trailer-unknown-flags", "trailer: unknown flags"},
    {"trigger", "index: unexpected schema"},
    {"truncated-1", "trailer failed authentication (truncated or appended to?)"},
    {"truncated-in-header", "header length 204 is out of bounds"},
    {"truncated-magic-only", "not a kist vault (too short)"},
    {"truncated-trailer", "trailer failed authentication (truncated or appended to?)"},
    {"type-unknown", "index: entry 1 is malformed"},
    {"unsigned-with-sealer-key", "unsigned vault carries signature data"},
    {"unsigned-with-signature-bytes", "unsigned vault carries signature data"},
    {"user-version-1", "index: unexpected schema"},
    {"vault-format-3", "index: bad vault row"},
    {"vault-format-1", "index says format version 1, the header 2"},
    {"vault-id-short", "index: bad vault row"},
    {"vault-no-row", "index: bad vault row"},
    {"vault-recipients-0", "index: bad vault row"},
    {"vault-two-rows", "index: bad vault row"},
    {"version-0", "vault format version 0 is not supported"},
    {"version-3", "vault format version 3 is not supported"},
    {"unknown-slot-type", "slot 1 has unknown type 32512"},
    {"padding-flipped", "the padding after the index is damaged"},
    {"grant-bad-signature", "grant record 1: the granter's signature does not verify"},
    {"grant-prev-not-zero", "grant record 1 does not follow the one before it"},
    {"grant-wrong-index", "grant record 1 failed authentication"},
    {"grant-added-slot-replaced", "grant record 1: the granter's signature does not verify"},
    {"sealer-slot-replaced", "the sealer's signature does not verify"},
    {"grant-other-vault", "grant record 1: the granter's signature does not verify"},
    {"grant-count-overruns", "grant record 1 is truncated"},
    {"grant-chain-broken", "grant record 2 does not follow the one before it"},
    {"grant-follows-more-slots", "grant record 2 names 1 recipients but follows 2 slots"},
    {"grant-before-recipients", "slot 1: a grant record does not follow the recipients"},
    {"recipient-after-grant", "recipient slots after the last grant record"},
    {"custodian-slot", "custodian slots without a gate"},
    {"gate-without-custodians", "custodian slots without a gate, or the reverse"},
    {"gate-twice", "slot 6: a second gate slot"},
    {"gate-after-grant", "slot 4: a custodian or gate slot after a grant record"},
    {"custodian-slot-short", "slot 2: malformed custodian slot"},
    {"gate-names-2-of-3-slots", "the gate names 2 custodians, the header has 3 slots"},
    {"gate-not-authentic", "the gate slot does not authenticate"},
    {"gate-quorum-0", "the gate slot is malformed: 0 of 3 custodians"},
    {"gate-quorum-4-of-3", "the gate slot is malformed: 4 of 3 custodians"},
    {"gate-same-custodian-twice", "custodians 1 and 3 are the same key"},
    {"custodian-slot-other-vault", "not a custodian of this request's vault"},
    {"release-bad-signature", "release 2: not signed by the custodian it names"},
    {"request-altered", "request key: request: the requester's signature does not verify"},
    {"release-other-request", "release 2 answers another request than the one pending"},
    {"same-custodian-twice", "releases 1 and 2 come from the same custodian"},
    {"refused", "refused the request: synthetic refusal"},
    {"release-not-custodian", "is not a custodian of this vault"},
    {"ledger-other-request", "the ledger entry records another request"},
    {"ledger-other-decision", "the ledger entry records another decision"},
    {"ledger-not-in-checkpoint", "the entry is not in the checkpoint"},
    {"ledger-entry-bad-signature", "the ledger entry's signature does not verify"},
    {"checkpoint-not-custodians", "the checkpoint is not signed by the custodian"},
    {"share-number-mismatch", "release 2 carries another custodian's share"},
    {"mac-under-file-key", "header authentication failed"},
    {"v1-label", "no recipient slot matches the identities given"},
    {"pad-len-without-flag", "trailer: bad padding length"},
    {"pad-len-beyond-file", "trailer: layout does not match the file size"},
    {"pad-len-2-38", "trailer: bad padding length"},
    {"view", "index: unexpected schema objects"},
    {"zstd-bomb", "chunk 0 does not decompress to its recorded size"},
    {"zstd-short", "index: size and chunks of short.bin disagree"},
    {"zstd-trailing-junk", "index: size and chunks of short.bin disagree"},
};

static const char *reason_for(const char *name)
{
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(reasons[i].name, name) == 0)
			return reasons[i].reason;
	die("malformed vector %s has no reason in the reasons table", name);
}

/* ------------------------------------------ names Windows cannot hold */

/*
 * Valid vaults whose names are legal on POSIX and unsafe on Windows (a
 * device, an alternate data stream, a dot Win32 drops, case twins of files
 * and of folders, the short name of another entry): on Linux each extracts as it is (vectors/all
 * checks that); kist.exe must refuse each before writing anything (tests/windows/run.sh).
 * `gen_vectors --windows OUTDIR` writes only these.
 */
static const char win_text[] = "a name Windows cannot hold\n";
static const struct {
	const char *name, *comment;
	const char *files[6];
} win_vectors[] = {
    {"windows-device", "CON and aux.txt: reserved device names on Windows", {"CON", "aux.txt"}},
    {"windows-ads", "a:b: on NTFS, the stream b of the file a", {"a:b"}},
    {"windows-trailing", "name.: Win32 drops a trailing dot and writes name", {"name."}},
    {"windows-twins", "Twin and twin: one name on NTFS", {"Twin", "twin"}},
    {"windows-folder-twins", "Dir/x and dir/y: the folders are one on NTFS", {"Dir/x", "dir/y"}},
    {"windows-short-name",
     "LONGFI~1.TXT: on a volume that makes short names, longfilename.txt's",
     {"longfilename.txt", "LONGFI~1.TXT"}},
    {"windows-names",
     "every name above in one vault",
     {"CON", "aux.txt", "a:b", "name.", "Twin", "twin"}},
};

static void gen_windows_vectors(void)
{
	for (size_t v = 0; v < sizeof win_vectors / sizeof win_vectors[0]; v++) {
		const char *const *files = win_vectors[v].files;
		const char *top[6];
		size_t ntop = 0, n = 0;
		stage_begin(win_vectors[v].name);
		for (; n < 6 && files[n] != NULL; n++) {
			const char *slash = strchr(files[n], '/');
			char dir[64];
			if (slash != NULL) {
				snprintf(dir, sizeof dir, "%.*s", (int)(slash - files[n]),
				         files[n]);
				stage_dir(dir);
			}
			stage_file(files[n], win_text, strlen(win_text));
			if (slash != NULL) {
				fix_dir_times(dir);
				top[ntop++] = strdup(dir);
			} else {
				top[ntop++] = strdup(files[n]);
			}
		}
		seal_real(win_vectors[v].name, (kist_identity *[]){alice}, 1, NULL, top, ntop);
		FILE *f = expect_open("valid", win_vectors[v].name);
		fprintf(f, "expect: ok\nversion: 2\nidentity: alice\nsigned: no\nslots: 1\n");
		for (size_t i = 0; i < n; i++) {
			const char *slash = strchr(files[i], '/');
			if (slash != NULL)
				fprintf(f, "entry: dir %.*s 0 -\n", (int)(slash - files[i]),
				        files[i]);
			expect_file(f, files[i], (const unsigned char *)win_text, strlen(win_text));
		}
		fprintf(f, "comment: %s (legal POSIX names; kist.exe refuses the vault)\n",
		        win_vectors[v].comment);
		expect_close(f);
		for (size_t i = 0; i < ntop; i++)
			free((char *)top[i]);
	}
}

/* ---------------------------------------------------------------- main */

static void clean_dir(const char *sub)
{
	char d[PATH_MAX * 2];
	snprintf(d, sizeof d, "%s/%s", outdir, sub);
	if (mkdir(d, 0755) != 0 && errno != EEXIST)
		die("mkdir %s: %s", d, strerror(errno));
	DIR *dir = opendir(d);
	struct dirent *de;
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		const char *dot = strrchr(de->d_name, '.');
		if (dot != NULL &&
		    (strcmp(dot, ".kist") == 0 || strcmp(dot, ".expect") == 0 ||
		     strcmp(dot, ".key") == 0 || strcmp(dot, ".pub") == 0 ||
		     strcmp(dot, ".kist-request") == 0 || strcmp(dot, ".kist-reqkey") == 0 ||
		     strcmp(dot, ".kist-release") == 0))
			unlinkat(dirfd(dir), de->d_name, 0);
	}
	if (dir != NULL)
		closedir(dir);
}

static void rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			char c[PATH_MAX * 2];
			snprintf(c, sizeof c, "%s/%s", path, de->d_name);
			rmtree(c);
		}
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

int main(int argc, char **argv)
{
	int only_windows = argc == 3 && strcmp(argv[1], "--windows") == 0;
	if (argc != 2 && !only_windows) {
		fprintf(stderr, "usage: %s [--windows] OUTDIR\n", argv[0]);
		return 2;
	}
	if (realpath(argv[argc - 1], outdir) == NULL)
		die("%s: %s", argv[argc - 1], strerror(errno));
	check(kist_init(), "init");
	umask(022);
	alice = vec_identity("alice");
	bob = vec_identity("bob");
	carol = vec_identity("carol");
	dave = vec_age_identity("dave");
	erin = vec_identity("erin");
	frank = vec_identity("frank");
	grace = vec_identity("grace");
	if (alice == NULL || bob == NULL || carol == NULL || dave == NULL || erin == NULL ||
	    frank == NULL || grace == NULL)
		die("identities");
	snprintf(stagedir, sizeof stagedir, "/tmp/kist-gen-vectors-XXXXXX");
	if (only_windows) {
		/* Only the windows-* vectors: the others keep their committed bytes. */
		if (mkdtemp(stagedir) == NULL)
			die("mkdtemp: %s", strerror(errno));
		gen_windows_vectors();
		if (chdir("/") != 0)
			die("chdir /");
		rmtree(stagedir);
		printf("gen_vectors: %u valid vectors in %s/valid\n", nvalid, outdir);
		return 0;
	}
	clean_dir("keys");
	clean_dir("valid");
	clean_dir("malformed");
	write_keys();

	if (mkdtemp(stagedir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	gen_valid();
	gen_grant_vectors();
	gen_gate_vectors();
	gen_gate_header_vectors();
	gen_windows_vectors();
	if (chdir("/") != 0)
		die("chdir /");
	rmtree(stagedir);
	gen_malformed_bytes();
	gen_malformed_crafted();
	gen_malformed_one_reason();
	gen_index_vectors();
	printf("gen_vectors: %u valid and %u malformed vectors in %s\n", nvalid, nmalformed,
	       outdir);
	kist_identity_free(alice);
	kist_identity_free(bob);
	kist_identity_free(carol);
	kist_identity_free(dave);
	kist_identity_free(erin);
	kist_identity_free(frank);
	kist_identity_free(grace);
	return 0;
}
