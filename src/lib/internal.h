/*
 * Internal declarations shared by the library's modules.  Not installed.
 */
#ifndef KIST_INTERNAL_H
#define KIST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>

#include "kist.h"

#ifndef KIST_VERSION
#define KIST_VERSION "0.0.0"
#endif

/* ---- error detail (util.c) */
kist_err kist__fail(kist_err err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kist__clear_detail(void);

/* ---- interruption (util.c) */
extern volatile sig_atomic_t kist__interrupted;

/* ---- little-endian and big-endian helpers */
static inline void kist__st16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}
static inline void kist__st32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void kist__st64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t kist__ld16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t kist__ld32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline uint64_t kist__ld64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ---- checked I/O (util.c): full reads and writes, EINTR handled, errno-mapped errors */
kist_err kist__pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what);
kist_err kist__read_full(int fd, void *buf, size_t len, size_t *got, const char *what);
kist_err kist__write_full(int fd, const void *buf, size_t len, const char *what);
kist_err kist__errno_err(int err); /* maps ENOSPC/EFBIG/EDQUOT to NOSPACE, else IO */

/* kist_escape_buf(out, cap, s, KIST_ESCAPE_BACKSLASH): hostile text in an error detail. */
void kist__printable(char *out, size_t cap, const char *s);

/* ---- HKDF-SHA256 (hkdf.c), RFC 5869 over libsodium's HMAC-SHA256 */
void kist__hkdf_sha256(unsigned char *out, size_t outlen, const unsigned char *salt, size_t saltlen,
                       const unsigned char *ikm, size_t ikmlen, const char *info);
void kist__hmac_sha256(unsigned char out[32], const unsigned char *key, size_t keylen,
                       const unsigned char *msg, size_t msglen);

/* ---- SHA-256 (sha256.c), libcrypto EVP */
typedef struct kist__sha256 kist__sha256;
kist_err kist__sha256_new(kist__sha256 **out);
void kist__sha256_reset(kist__sha256 *h);
void kist__sha256_update(kist__sha256 *h, const void *data, size_t len);
void kist__sha256_final(kist__sha256 *h, unsigned char out[32]);
void kist__sha256_free(kist__sha256 *h);
void kist__sha256_oneshot(unsigned char out[32], const void *data, size_t len);

/* ---- bech32 (bech32.c), BIP-173 */
int kist__bech32_encode(char *out, size_t cap, const char *hrp, const unsigned char *data,
                        size_t len);
int kist__bech32_decode(unsigned char *out, size_t cap, size_t *outlen, char *hrp, size_t hrpcap,
                        const char *str);

/* ---- identities (key.c) */
struct kist_identity {
	unsigned char x25519_sk[32];
	unsigned char ed25519_sk[64]; /* libsodium form: seed || public key */
	kist_pubkey pk; /* kind KIST_PUBKEY_KIST: both keys, also for an age identity */
	int was_protected;
	int from_age; /* loaded from an AGE-SECRET-KEY-1 line; ed25519 is derived */
};

/* ---- age keys and age's X25519 recipient stanza (age.c) */
#define KIST_AGE_SECRET_STRLEN  74  /* "AGE-SECRET-KEY-1" + bech32 data + checksum */
#define KIST_AGE_IDENTITIES_MAX 256 /* keys in one age identity file */

/*
 * age's X25519 stanza for a file key of fklen bytes (age: 16, kist: 32):
 * writes the ephemeral share and body (fklen + 16 bytes).  BADKEY if the
 * recipient is a low-order point.
 */
kist_err kist__age_x25519_wrap(unsigned char share[32], unsigned char *body,
                               const unsigned char *file_key, size_t fklen,
                               const unsigned char recipient[32]);
/*
 * Unwraps an age X25519 stanza body with the secret sk (public pk) into
 * file_key (fklen bytes).  @return KIST_OK; KIST_E_FORMAT if bodylen is not
 * fklen + 16 (checked first); KIST_E_CORRUPT for a low-order share (all-zero
 * shared secret); KIST_E_NOACCESS if the body does not authenticate (another
 * recipient's stanza).
 */
kist_err kist__age_x25519_unwrap(unsigned char *file_key, size_t fklen,
                                 const unsigned char share[32], const unsigned char *body,
                                 size_t bodylen, const unsigned char sk[32],
                                 const unsigned char pk[32]);
/* "age1..." (lower case, as age) to the 32-byte X25519 key.  BADKEY with a detail. */
kist_err kist__age_pubkey_parse(unsigned char out[32], const char *str);
void kist__age_pubkey_format(const unsigned char pk[32], char out[KIST_AGE_PUBKEY_STRLEN + 1]);
/* "AGE-SECRET-KEY-1..." (upper case, as age) to the X25519 secret (caller's secure memory). */
kist_err kist__age_secret_parse(unsigned char sk[32], const char *line);
/* Fills id (secure memory) from an age secret: X25519 keys and the derived Ed25519 pair. */
void kist__age_identity_fill(kist_identity *id, const unsigned char sk[32]);
/*
 * Parses the text of an age identity file (modified in place): every line
 * that is not blank and does not start with '#' must be an age secret key.
 * On success *out is a malloc'd array of *count identities.
 */
kist_err kist__age_identities_parse(char *text, const char *path, kist_identity ***out,
                                    size_t *count);

/* ---- header (header.c) */
#define KIST_MAGIC            "\x89KIST\r\n\x1a"
#define KIST_FORMAT_VERSION   1
#define KIST_SALT_BYTES       32
#define KIST_FILEKEY_BYTES    32
#define KIST_SLOT_X25519      1
#define KIST_SLOT_X25519_BODY 80
#define KIST_SLOT_AGE         2
#define KIST_SLOT_AGE_BODY    80 /* share (32) || wrapped 32-byte file key (48) */
#define KIST_HEADER_FIXED     52
#define KIST_HEADER_MAX       (1u << 20)
#define KIST_SLOT_BODY_MAX    4096

/* Keys derived from the file key (FORMAT.md, "Key schedule"). */
typedef struct kist__keys {
	unsigned char header_mac[32];
	unsigned char commitment[32];
	unsigned char index[32];
	unsigned char content[32];
} kist__keys;

void kist__derive_keys(kist__keys *k, const unsigned char file_key[32],
                       const unsigned char salt[32]);

/* Builds a header for recipients; returns a malloc'd buffer. */
kist_err kist__header_build(unsigned char **out, size_t *outlen, const unsigned char file_key[32],
                            const unsigned char salt[32], const kist_pubkey *recips,
                            size_t nrecips);

typedef struct kist__header {
	unsigned version;
	uint32_t header_len;
	unsigned char salt[32];
	unsigned slot_count;
	unsigned age_slots;         /* slots of type KIST_SLOT_AGE */
	const unsigned char *slots; /* points into the raw header */
	size_t slots_len;
	const unsigned char *commitment;
	const unsigned char *mac;
} kist__header;

/* Parses the structure of a raw header (no keys).  FORMAT on any inconsistency. */
kist_err kist__header_parse(kist__header *h, const unsigned char *raw, size_t len);

/* Reads the fixed prefix from fd and returns the declared header length. */
kist_err kist__header_read(int fd, unsigned char **raw, size_t *len, uint64_t file_size);

/* Tries each identity against each slot; on success fills file_key (secure memory). */
kist_err kist__header_unwrap(const kist__header *h, kist_identity *const *ids, size_t nids,
                             unsigned char file_key[32], size_t *which);

/* Checks the key commitment and header MAC (constant time). */
kist_err kist__header_authenticate(const kist__header *h, const unsigned char *raw,
                                   const kist__keys *k);

/* ---- chunks (chunk.c) */
#define KIST_STREAM_INDEX   0xFFFFFFFFu
#define KIST_STREAM_TRAILER 0xFFFFFFFEu
#define KIST_METHOD_STORED  0
#define KIST_METHOD_ZSTD    1
#define KIST_CHUNK_OVERHEAD 17 /* method byte + Poly1305 tag */
#define KIST_CHUNK_SIZE_MIN 4096u
#define KIST_CHUNK_SIZE_MAX (16u << 20)

typedef struct kist__chunker kist__chunker;

kist_err kist__chunker_new(kist__chunker **out, uint32_t chunk_size, int level);
void kist__chunker_free(kist__chunker *c);

/*
 * Seals data[0..len) as chunk (stream, counter, last): compresses it when that
 * saves space, encrypts.  *out points to a buffer owned by c, *outlen its size.
 */
kist_err kist__chunk_seal(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                          uint64_t counter, int last, int allow_zstd, const unsigned char *data,
                          size_t len, const unsigned char **out, size_t *outlen);

/*
 * Authenticates and decrypts a chunk of ctlen bytes at ct, decompresses it,
 * and checks that the result is exactly expect_len bytes.  *out points into c.
 */
kist_err kist__chunk_open(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                          uint64_t counter, int last, const unsigned char *ct, size_t ctlen,
                          size_t expect_len, const unsigned char **out);

/*
 * As kist__chunk_seal, into out (capacity len + KIST_CHUNK_OVERHEAD).  With
 * headroom set, data[-1] belongs to the caller's buffer too and a stored chunk
 * is encrypted straight from data[-1..len) (data[-1] becomes the method
 * byte), saving a copy; data itself is only read.  Without it, data is
 * only read.
 */
kist_err kist__chunk_seal_into(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                               uint64_t counter, int last, int allow_zstd, unsigned char *data,
                               size_t len, int headroom, unsigned char *out, size_t *outlen);

/*
 * As kist__chunk_open, decrypting ct in place (it is overwritten) and
 * decompressing into out (capacity chunk_size) when the chunk is compressed;
 * *result points into ct or out.
 */
kist_err kist__chunk_open_inplace(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                                  uint64_t counter, int last, unsigned char *ct, size_t ctlen,
                                  size_t expect_len, unsigned char *out,
                                  const unsigned char **result);

/* The STREAM nonce: stream id (4 bytes BE) || counter (7 bytes BE) || last flag. */
void kist__chunk_nonce(unsigned char n[12], uint32_t stream, uint64_t counter, int last);

/* Buffer owned by c big enough for one sealed chunk (for reads). */
unsigned char *kist__chunker_inbuf(kist__chunker *c, size_t *cap);

/* ---- ordered parallel chunk pipeline (pipeline.c) */
enum { KIST__PIPE_SEAL, KIST__PIPE_OPEN };

typedef struct kist__slot {
	/* Filled by the caller before submit. */
	uint32_t stream;
	uint64_t counter;
	int last;
	int allow_zstd;
	/* Plaintext (seal) or ciphertext (open); chunk_size + 17 bytes.  Sealing
	 * reads the plaintext into in + 1 (KIST__SLOT_DATA): in[0] is room for
	 * the method byte, so a stored chunk is encrypted without a copy. */
	unsigned char *in;
	size_t inlen;
	size_t expect; /* open: plaintext length the chunk must decode to */
	void *tag;     /* the caller's, e.g. the entry the chunk belongs to */
	int skip;      /* no work: a read-ahead slot that found the end of its input */
	/* Filled by the worker. */
	unsigned char *out;
	const unsigned char *result; /* sealed chunk (seal) or plaintext (open) */
	size_t result_len;
	kist_err err;
	char errdetail[256];
	int state;
	/* Filled by the hashing stage, in order: the entry's SHA-256 of its plaintext,
	 * in the slot of its last chunk. */
	unsigned char digest[32];
	int hashed;
} kist__slot;

typedef struct kist__pipe kist__pipe;

/* Where a sealing slot's plaintext goes: after one byte of room for the method byte. */
#define KIST__SLOT_DATA(s) ((s)->in + 1)

/* Worker count from the machine: online processors, 1 to 64. */
unsigned kist__default_threads(void);
/*
 * threads 0 means kist__default_threads(); 1 runs every job inline.  jobs (an
 * upper bound on the number of chunks) and max_len (on their plaintext size)
 * let small work start fewer threads and smaller buffers.  key must outlive p.
 */
kist_err kist__pipe_new(kist__pipe **p, int mode, unsigned threads, uint32_t chunk_size, int level,
                        const unsigned char key[32], uint64_t jobs, size_t max_len);
void kist__pipe_free(kist__pipe *p);
int kist__pipe_full(const kist__pipe *p);
int kist__pipe_empty(const kist__pipe *p);
/* The next slot in order, or NULL when every slot is in use (take the oldest first). */
kist__slot *kist__pipe_acquire(kist__pipe *p);
void kist__pipe_submit(kist__pipe *p, kist__slot *s);
/*
 * Waits for the oldest submitted slot to finish and returns it (NULL if none
 * is submitted).  If its job failed, s->err is set and the error detail
 * raised.  Its plaintext may still be being hashed (only read) meanwhile.
 */
kist__slot *kist__pipe_oldest(kist__pipe *p);
/*
 * For the slot of an entry's last chunk (s->last), after kist__pipe_oldest:
 * waits for the hashing stage and returns the entry's SHA-256 (of the
 * plaintext of chunks 0 to last of that stream, hashed in order).
 */
const unsigned char *kist__pipe_digest(kist__pipe *p, kist__slot *s);
/* Frees the oldest slot for reuse, once the hashing stage is done with it. */
void kist__pipe_release(kist__pipe *p);

/* ---- trailer (vault.c / seal.c) */
#define KIST_TRAILER_PLAIN 160
#define KIST_TRAILER_BYTES (KIST_TRAILER_PLAIN + KIST_CHUNK_OVERHEAD)
#define KIST_SIG_LABEL     "kist/v1 seal signature"
#define KIST_INDEX_MAX     (256u << 20)

typedef struct kist__trailer {
	uint64_t index_offset;
	uint64_t index_zlen;
	uint64_t index_len;
	uint32_t chunk_size;
	uint32_t flags;
	unsigned char index_sha256[32];
	unsigned char signer[32];
	unsigned char signature[64];
} kist__trailer;
#define KIST_TRAILER_SIGNED 1u

void kist__trailer_encode(unsigned char out[KIST_TRAILER_PLAIN], const kist__trailer *t);
void kist__trailer_decode(kist__trailer *t, const unsigned char in[KIST_TRAILER_PLAIN]);
/* Length of the index stream's ciphertext for a compressed index of zlen bytes. */
int kist__index_ct_len(uint64_t zlen, uint32_t chunk_size, uint64_t *out);
/* The message the sealer signs (FORMAT.md, "Signature"). */
void kist__signature_message(unsigned char out[32], const unsigned char *header, size_t hlen,
                             const kist__trailer *t);

/* ---- index (index.c) */
typedef struct kist__entry {
	kist_entry pub;
	char *path;
	char *link;
	uint32_t id;     /* stream id, 1-based */
	uint64_t offset; /* body-relative */
	uint32_t nchunks;
	uint32_t *chunk_len;
} kist__entry;

typedef struct kist__index_meta {
	char vault_id[33];
	int64_t created;
	char tool_version[64];
	unsigned recipients;
	uint32_t chunk_size;
	int has_signer;
	char signer[KIST_PUBKEY_STRLEN + 1];
	unsigned schema_version; /* of a loaded index */
	size_t people;           /* people in a loaded index */
} kist__index_meta;

typedef struct sqlite3 sqlite3;
/* ---- people registers (register.c) */
#define KIST__PERSON_NFIELDS 7
/* aliases, relation, born, location, status, contact, notes: the people table's columns */
extern const char *const kist__person_fields[KIST__PERSON_NFIELDS];

typedef struct kist__person {
	char *name;
	char *field[KIST__PERSON_NFIELDS]; /* NULL if absent */
	size_t nextra;
	char **extra_key, **extra_val; /* unknown columns, kept */
	size_t nmedia;
	char **media;       /* vault paths as written in the register */
	uint32_t *media_id; /* entry ids, set by kist__people_link; 0 for a repeat */
	char where[48];     /* "line 12" (CSV) or "record at index 11" (JSON) */
	char src[64];       /* the register's name, for messages */
} kist__person;

typedef struct kist__people {
	kist__person *p;
	size_t n, cap;
} kist__people;

/* Parses a register (JSON if it starts with '[' or '{', else CSV) and appends its
 * records; on error nothing of it is kept and the detail names the line or index. */
kist_err kist__register_parse(kist__people *ppl, const unsigned char *buf, size_t len,
                              const char *src);
/* Resolves every media path against the vault's paths (sorted by strcmp, ids alongside). */
kist_err kist__people_link(kist__people *ppl, const char *const *paths, size_t npaths,
                           const uint32_t *ids);
void kist__people_free(kist__people *ppl);
/* Length of the valid UTF-8 sequence at s (1 to 4; its code point in *cp), 0 if invalid. */
size_t kist__utf8_next(const unsigned char *s, size_t len, uint32_t *cp);
/* Length of the longest valid UTF-8 prefix (no overlongs, surrogates or > U+10FFFF). */
size_t kist__utf8_prefix(const unsigned char *s, size_t len);
int kist__utf8_valid(const unsigned char *s, size_t len);
/* Non-zero if UTF-8 text s holds a C0 control other than tab and line breaks, DEL, or a
 * C1 control (U+0080..U+009F). */
int kist__text_has_control(const unsigned char *s, size_t len);

/* ---- people search and read-only queries over a loaded index (people.c, query.c) */
/* Folds text for search: lower case, Latin diacritics removed, Arabic/Persian letter
 * variants unified, Arabic diacritics and tatweel dropped.  Returns a malloc'd string. */
char *kist__fold(const char *s);

/* ---- consonant skeletons across scripts (skeleton.c, ICU) */
typedef struct kist__skel kist__skel;
kist_err kist__skel_new(kist__skel **out); /* opens the transliterator (~25 ms) */
void kist__skel_free(kist__skel *s);
/* " w1 w2 " (each word's skeleton, space-led, space-ended; " " for none);
 * folded is kist__fold() output.  *out is freed by the caller. */
kist_err kist__skel_of(kist__skel *s, const char *folded, char **out);

/* Validates the people tables of a loaded index (schema 2). */
kist_err kist__people_check(sqlite3 *db, size_t *count);

/* Creates the index database in memory and fills it. */
kist_err kist__index_build(unsigned char **out, size_t *outlen, const kist__index_meta *m,
                           const kist__entry *entries, size_t n, const kist__people *ppl);

/* Loads a serialized index defensively (read-only, schema checked) and reads entries. */
kist_err kist__index_load(sqlite3 **db, kist__index_meta *m, kist__entry **entries, size_t *n,
                          unsigned char *buf, size_t len);
/*
 * Compares db's sqlite_schema, row by row, with that of a fresh database made
 * by running defs: 1 if equal, 0 if not (*diff: the first differing reference
 * statement, sqlite3_free() it; may be NULL), -1 on error.
 */
int kist__schema_equal(sqlite3 *db, const char *const *defs, size_t ndefs, const char **diff);
/* Runs a query returning one integer: 1 and *v, or 0 if it failed or returned no row. */
int kist__sql_int(sqlite3 *db, const char *sql, long long *v);

/*
 * SQLite's memory cap while untrusted SQL or a search runs: at most
 * KIST__SQL_HEAP_CAP for the whole process (the cap is process-wide).
 * Calls nest and may overlap across threads; the caller's own limit comes
 * back when the last leaves.
 */
#define KIST__SQL_HEAP_CAP (512LL << 20)
void kist__sql_cap_enter(void);
void kist__sql_cap_leave(void);
/* Applies the opener's hardening to a database connection (also used by tests). */
kist_err kist__index_open_hardened(sqlite3 **out);

void kist__entries_free(kist__entry *e, size_t n);

/* Checks a stored path: relative, normalised, no control characters, bounded. */
kist_err kist__path_check(const char *path, size_t len);

/*
 * Checks a list of entries as a whole: unique paths, no entry below a
 * non-directory and, unless chunk_size is 0, consistent sizes and chunk
 * counts.  The list itself is not reordered.
 */
kist_err kist__entries_check(const kist__entry *e, size_t n, uint32_t chunk_size);

/* ---- atomic output (atomic.c) */
typedef struct kist__outfile {
	int dirfd;
	int fd;
	int slot; /* signal-cleanup slot or -1 */
	char tmpname[256];
	char *final;
	int locked; /* kist__outfile_open_locked: fd holds an flock until commit or abort */
} kist__outfile;

/*
 * Creates a temporary file ".kist-tmp-XXXXXXXXXXXX" in dirfd (mode 0600) that
 * kist__outfile_commit() renames to name.  The temporary name is registered
 * for kist_cleanup_on_signal().
 */
kist_err kist__outfile_open(kist__outfile *o, int dirfd, const char *name);
/*
 * As kist__outfile_open, but the temporary file is named after its output,
 * ".NAME.kist-tmp-XXXXXXXXXXXX" (NAME cut to 200 bytes), and holds an
 * exclusive flock while it is written.  First removes the leftovers of
 * earlier runs for the same output that are provably dead: same name
 * pattern, a regular non-empty file of this user, whose flock can be taken
 * (a live writer holds it; a killed one released it).
 */
kist_err kist__outfile_open_locked(kist__outfile *o, int dirfd, const char *name);
/* fsyncs (if do_sync), renames over/into name (no replace unless force). */
kist_err kist__outfile_commit(kist__outfile *o, int force, int do_sync);
/*
 * renameat(dirfd, from, dirfd, to) that never replaces `to` (-1, errno EEXIST):
 * RENAME_NOREPLACE, else link and unlink, else (FAT: neither) a look then a
 * rename, which a concurrent creator of `to` can race.  -1 and errno on error.
 */
int kist__rename_noreplace(int dirfd, const char *from, const char *to);
/* Closes and unlinks the temporary file (safe after commit: does nothing). */
void kist__outfile_abort(kist__outfile *o);
/* Marks a closed, uncommitted temp file: forgets it for signal cleanup. */
void kist__outfile_release_slot(kist__outfile *o);

/* Splits "dir/name" into an open directory fd and a base name pointer. */
kist_err kist__open_parent(const char *path, int *dirfd, const char **base);

/* ---- vault object (vault.c) */
struct kist_vault {
	int fd;
	uint64_t file_size;
	unsigned char *header;
	size_t header_len;
	kist__keys *keys; /* secure memory */
	kist__trailer trailer;
	sqlite3 *db;
	unsigned char *index_buf; /* serialised index; the database reads from it */
	size_t index_len;
	kist__index_meta meta;
	kist__entry *entries;
	size_t nentries;
	const kist__entry **by_path; /* sorted by path */
	kist__chunker *chunker;
	int signature_valid;
	unsigned threads;   /* 0: one per processor */
	int search_ready;   /* people search tables built, SEARCH_* bits (people.c) */
	size_t opened_with; /* index of the identity that unwrapped the file key */
	kist_progress_fn progress;
	void *progress_ctx;
	unsigned slot_count; /* recipient slots in the header; vault.recipients must agree */
};

/*
 * Builds the people search tables (temp schema) that sql names, if the vault
 * has people tables.
 */
kist_err kist__vault_prepare_search(kist_vault *v, const char *sql);

/* The internal entry behind a public one, or NULL if e is not from v. */
const kist__entry *kist__vault_internal(const kist_vault *v, const kist_entry *e);
const kist__entry *kist__vault_find(const kist_vault *v, const char *path);

/* Callbacks of kist__vault_stream_many(); any may be NULL. */
typedef struct kist__stream_cb {
	kist_err (*begin)(void *ctx, const kist__entry *e);
	kist_err (*data)(void *ctx, const kist__entry *e, const unsigned char *p, size_t n);
	/* status is KIST_OK, or the entry's failure (with the detail raised). */
	kist_err (*end)(void *ctx, const kist__entry *e, kist_err status);
} kist__stream_cb;

/*
 * Streams the content of the file entries in list, in order, through the
 * pipeline: every chunk is authenticated before data() sees it, and end()
 * reports whether the whole entry matched its SHA-256.  With keep_going, an
 * entry that fails is reported to end() and the others go on; otherwise the
 * first failure is returned.
 */
kist_err kist__vault_stream_many(kist_vault *v, const kist__entry *const *list, size_t n,
                                 const kist__stream_cb *cb, void *ctx, int keep_going);

/* ---- checkpoints (ledger.c): C2SP tlog-checkpoint signed notes */
#define KIST_LEDGER_LABEL    "kist/v1 ledger entry"
#define KIST_CHECKPOINT_MAX  65536 /* bytes in a checkpoint note */
#define KIST_CHECKPOINT_SIGS 16    /* signature lines read */
typedef struct kist__checkpoint {
	char origin[257];
	uint64_t size;
	unsigned char root[32];
	size_t body_len; /* bytes of the signed text, through its last newline */
	size_t nsigs;
	struct {
		char name[128];
		unsigned char keyid[4];
		unsigned char sig[64];
	} sigs[KIST_CHECKPOINT_SIGS];
} kist__checkpoint;
/* Parses a note strictly.  @return KIST_OK or KIST_E_FORMAT (detail says why). */
kist_err kist__checkpoint_parse(kist__checkpoint *cp, const char *text, size_t len);
/*
 * Verifies the note's signatures whose name is a kist public key with a
 * matching key id; *signer receives the first that verifies.
 * @return KIST_OK, KIST_E_SIGNATURE (none verifies), KIST_E_FORMAT.
 */
kist_err kist__checkpoint_verify(const kist__checkpoint *cp, const char *text, kist_pubkey *signer);

/* ---- Merkle tree (merkle.c), RFC 9162 section 2.1, SHA-256 */
/* Leaf hash: SHA-256(0x00 || data). */
kist_err kist__merkle_leaf(unsigned char out[32], const void *data, size_t len);
/* Node hash: SHA-256(0x01 || l || r). */
void kist__merkle_node(unsigned char out[32], const unsigned char l[32], const unsigned char r[32]);
/* Root of n leaf hashes; n == 0 gives SHA-256(""). */
void kist__merkle_root(unsigned char out[32], const unsigned char (*leaves)[32], uint64_t n);
/*
 * Proofs, as malloc'd arrays of *outlen hashes (free()).  The inclusion proof
 * is the audit path of leaf index in a tree of n leaves; the consistency
 * proof is PROOF(m, D[n]) (empty when m is 0 or m == n).
 * @return KIST_OK, KIST_E_ARG (index >= n, or m > n), KIST_E_NOMEM.
 */
kist_err kist__merkle_inclusion_proof(unsigned char (**out)[32], size_t *outlen,
                                      const unsigned char (*leaves)[32], uint64_t n,
                                      uint64_t index);
kist_err kist__merkle_consistency_proof(unsigned char (**out)[32], size_t *outlen,
                                        const unsigned char (*leaves)[32], uint64_t n, uint64_t m);
/* Verifiers (RFC 9162 2.1.3.2 and 2.1.4.2).  @return KIST_OK, KIST_E_ARG, KIST_E_CORRUPT. */
kist_err kist__merkle_inclusion_verify(const unsigned char leaf[32], uint64_t index, uint64_t n,
                                       const unsigned char (*proof)[32], size_t plen,
                                       const unsigned char root[32]);
kist_err kist__merkle_consistency_verify(uint64_t m, uint64_t n, const unsigned char old_root[32],
                                         const unsigned char new_root[32],
                                         const unsigned char (*proof)[32], size_t plen);

/* ==== perf branch (issue 13): declarations to move into the custody folder's header ==== */
/*
 * kist_ledger_audit() on threads threads (0: one per processor for a large
 * log, 1: all on the caller's thread).  The report and the order of the
 * findings do not depend on threads.
 */
kist_err kist__ledger_audit_threads(const kist_ledger_log *log, const char *const *notes,
                                    size_t nnotes, kist_audit_fn fn, void *ctx,
                                    kist_audit_report *rep, unsigned threads);
/* Both, and kist_ledger_audit_held() (held_root NULL: no held checkpoint). */
kist_err kist__ledger_audit_core(const kist_ledger_log *log, const char *const *notes,
                                 size_t nnotes, kist_audit_fn fn, void *ctx, kist_audit_report *rep,
                                 unsigned threads, uint64_t held_size,
                                 const unsigned char *held_root);
/* ==== end of perf branch block ==== */

#endif
