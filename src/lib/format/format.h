/*
 * format: the vault file's pieces (header and recipient slots, chunks,
 * trailer) and the parallel chunk pipeline.  Calls base, crypto, parts, keys.
 * Not installed.
 */
#ifndef KIST_FORMAT_H
#define KIST_FORMAT_H

#include "keys/keys.h"
#include "parts/parts.h"

/* ---- header (header.c) */
#define KIST_MAGIC               "\x89KIST\r\n\x1a"
#define KIST_FORMAT_VERSION      2 /* the version this build writes */
#define KIST_FORMAT_V1           1 /* still read */
#define KIST_SALT_BYTES          32
#define KIST_FILEKEY_BYTES       32
#define KIST_SLOT_X25519         1
#define KIST_SLOT_X25519_BODY    80
#define KIST_SLOT_AGE            2
#define KIST_SLOT_AGE_BODY       80 /* share (32) || wrapped 32-byte file key (48) */
#define KIST_SLOT_CUSTODIAN      4  /* version 2: a custodian's share of K_c */
#define KIST_SLOT_CUSTODIAN_BODY 97
#define KIST_SLOT_GATE           5  /* version 2: the gate: quorum, custodians, vault id */
#define KIST_SLOT_GRANT          6  /* version 2: a grant record */
#define KIST_GRANTS_MAX          64 /* grant records in one header */
#define KIST_HEADER_FIXED        52
#define KIST_HEADER_MAX          (1u << 20)
#define KIST_SLOT_BODY_MAX       4096

/*
 * Keys derived from what the recipient slots wrap (FORMAT.md, "Key
 * schedule"): in version 1 the file key itself; in version 2 the recipients'
 * part K_r, from which, with the custodians' part K_c (zeros without
 * custodians), the file key K is derived.
 */
typedef struct kist__keys {
	unsigned version;
	unsigned char header_mac[32];
	unsigned char commitment[32];
	unsigned char index[32];
	unsigned char content[32];
	unsigned char grant[32];    /* version 2 */
	unsigned char gate[32];     /* version 2: the gate slot's key (from K_r) */
	unsigned char padding[32];  /* version 2 */
	unsigned char slot_key[32]; /* version 2: K_r, to wrap for granted recipients */
} kist__keys;

/* slot_key: what a recipient slot wraps; kc: the custodians' part (NULL: zeros). */
kist_err kist__derive_keys(kist__keys *k, unsigned version, const unsigned char slot_key[32],
                           const unsigned char *kc, const unsigned char salt[32]);

/* Writes n recipient slots (n * 88 bytes) wrapping slot_key, with version 2's labels. */
kist_err kist__recipient_slots(unsigned char *dst, const unsigned char slot_key[32],
                               const kist_pubkey *recips, size_t n);

/*
 * A version 2 header around slots[0..slots_len) (nslots slots, as stored):
 * the fixed part, the slots, the commitment and the MAC of k.  malloc'd.
 */
kist_err kist__header_assemble(unsigned char **out, size_t *outlen, const unsigned char salt[32],
                               const unsigned char *slots, size_t slots_len, unsigned nslots,
                               const kist__keys *k);

/* A version 2 header for recipients, without custodians.  malloc'd. */
kist_err kist__header_build(unsigned char **out, size_t *outlen, const unsigned char slot_key[32],
                            const unsigned char salt[32], const kist_pubkey *recips,
                            size_t nrecips);

typedef struct kist__header {
	unsigned version;
	uint32_t header_len;
	unsigned char salt[32];
	unsigned slot_count;
	unsigned recipient_slots;   /* slots of type 1 and 2 */
	unsigned age_slots;         /* slots of type KIST_SLOT_AGE */
	unsigned grant_slots;       /* version 2: slots of type KIST_SLOT_GRANT */
	unsigned custodian_slots;   /* version 2: slots of type KIST_SLOT_CUSTODIAN */
	unsigned gate_slots;        /* version 2: slots of type KIST_SLOT_GATE (0 or 1) */
	const unsigned char *slots; /* points into the raw header */
	size_t slots_len;
	const unsigned char *commitment;
	const unsigned char *mac;
} kist__header;

/* Parses the structure of a raw header (no keys).  FORMAT on any inconsistency. */
kist_err kist__header_parse(kist__header *h, const unsigned char *raw, size_t len);

/* Reads the fixed prefix from fd and returns the declared header length. */
kist_err kist__header_read(int fd, unsigned char **raw, size_t *len, uint64_t file_size);
/* The same from a vault source (a file or a part set). */
kist_err kist__header_read_src(const kist__source *src, unsigned char **raw, size_t *len);

/* Tries each identity against each slot; on success fills file_key (secure memory). */
kist_err kist__header_unwrap(const kist__header *h, kist_identity *const *ids, size_t nids,
                             unsigned char file_key[32], size_t *which);

/* Checks the header MAC alone (keyed by K_r in version 2: before a gate opens). */
kist_err kist__header_check_mac(const kist__header *h, const unsigned char *raw,
                                const kist__keys *k);

/* Checks the key commitment and header MAC (constant time). */
kist_err kist__header_authenticate(const kist__header *h, const unsigned char *raw,
                                   const kist__keys *k);

/* ---- trustee gate (gate.c): FORMAT.md, "Trustee-gated vaults" */
typedef struct kist__gate {
	unsigned quorum; /* 1 <= quorum <= n */
	unsigned n;      /* custodians, 1 to KIST_CUSTODIANS_MAX */
	unsigned char vault_id[16];
	kist_pubkey custodians[KIST_CUSTODIANS_MAX]; /* kist1 keys; custodian i has x = i + 1 */
} kist__gate;

/*
 * Writes g->n custodian slots (Shamir shares of kc, threshold g->quorum,
 * libgfshare) and the gate slot at dst; *len their bytes.  dst has room for
 * kist__gate_slots_len(g) bytes.
 */
size_t kist__gate_slots_len(const kist__gate *g);
kist_err kist__gate_slots(unsigned char *dst, size_t *len, const kist__gate *g,
                          const unsigned char kc[32], const unsigned char salt[32],
                          const unsigned char gate_key[32]);

/*
 * Decrypts and checks h's gate slot with gate_key: the quorum, the keys and
 * that h has one custodian slot per custodian.  KIST_E_NOTFOUND if h has none.
 */
kist_err kist__gate_open(const kist__header *h, const unsigned char gate_key[32], kist__gate *g);

/*
 * Unwraps the custodian slot of h that id's X25519 key opens: *x (1 to 16),
 * share (secure memory of the caller), vault_id.  KIST_E_NOACCESS if none.
 */
kist_err kist__custodian_unwrap(const kist__header *h, const kist_identity *id, unsigned *x,
                                unsigned char share[32], unsigned char vault_id[16]);

/* K_c from k shares with x-coordinates xs[0..k) (libgfshare). */
kist_err kist__gate_combine(unsigned char kc[32], const unsigned char *xs,
                            const unsigned char (*shares)[32], unsigned k);

/*
 * A version 2 header with custodians: nrecips recipient slots wrapping
 * slot_key, then (g != NULL) one custodian slot per custodian holding a
 * Shamir share of kc and the gate slot; the MAC and commitment from k.
 */
kist_err kist__header_build_gated(unsigned char **out, size_t *outlen,
                                  const unsigned char slot_key[32], const unsigned char salt[32],
                                  const kist_pubkey *recips, size_t nrecips, const kist__gate *g,
                                  const unsigned char kc[32], const kist__keys *k);

/* ---- chunks (chunk.c) */
#define KIST_STREAM_INDEX   0xFFFFFFFFu
#define KIST_STREAM_TRAILER 0xFFFFFFFEu
#define KIST_METHOD_STORED  0
#define KIST_METHOD_ZSTD    1
#define KIST_CHUNK_OVERHEAD 17 /* method byte + Poly1305 tag */
#define KIST_CHUNK_SIZE_MIN 4096u
#define KIST_CHUNK_SIZE_MAX (16u << 20)

typedef struct kist__chunker kist__chunker;

/* zstd contexts whose every buffer is wiped when zstd frees it (its window
 * and literals hold plaintext); free them with ZSTD_freeCCtx/ZSTD_freeDCtx. */
struct ZSTD_CCtx_s *kist__zstd_cctx_new(void);
struct ZSTD_DCtx_s *kist__zstd_dctx_new(void);
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
/* Worker count from the machine: online processors, 1 to 64 (also the audit's). */
unsigned kist__default_threads(void);
enum { KIST__PIPE_SEAL, KIST__PIPE_OPEN };

/*
 * One whole one-chunk entry (counter 0, last set) of a batch slot: many
 * small files share one job, one read and one write.  Sealing: its
 * plaintext is at in + off + 1 (in[off] is room for the method byte), its
 * sealed chunk goes to out + outoff.  Opening: its ciphertext is at in + off,
 * its plaintext (expect bytes) goes to out + outoff or stays in place.
 */
typedef struct kist__sub {
	uint32_t stream;
	size_t off, len, expect, outoff;
	void *tag;
	/* Filled by the worker and the hashing stage. */
	const unsigned char *result;
	size_t result_len;
	kist_err err;
	char errdetail[128];
	unsigned char digest[32];
} kist__sub;

/* The most entries one batch slot holds. */
#define KIST__SUB_MAX 256

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
	/* A batch: nsub > 0 entries in sub[] (KIST__SUB_MAX of them, owned by the
	 * pipe); stream, counter, last, inlen and expect are then unused. */
	kist__sub *sub;
	unsigned nsub;
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

/*
 * threads 0 means one per online processor (1 to 64); 1 runs every job inline.  jobs (an
 * upper bound on the number of chunks) and max_len (on their plaintext size)
 * let small work start fewer threads and smaller buffers.  When sealing, threads
 * is cut so that the compressors at level stay under 256 MiB together (14 at
 * level 19).  key must outlive p.
 */
kist_err kist__pipe_new(kist__pipe **p, int mode, unsigned threads, uint32_t chunk_size, int level,
                        const unsigned char key[32], uint64_t jobs, size_t max_len);
void kist__pipe_free(kist__pipe *p);
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
/*
 * The plaintext bytes a slot holds (its buffers hold that plus
 * KIST_CHUNK_OVERHEAD): the bound a batch packs its entries under.  For a
 * batch slot, kist__pipe_digest() waits for every entry's digest (sub[i].digest).
 */
size_t kist__pipe_cap(const kist__pipe *p);

/* ---- trailer (vault.c / seal.c) */
#define KIST_TRAILER_PLAIN_V1 160
#define KIST_TRAILER_PLAIN    168 /* version 2, and the largest */
#define KIST_TRAILER_BYTES    (KIST_TRAILER_PLAIN + KIST_CHUNK_OVERHEAD)
#define KIST_INDEX_MAX        (256u << 20)

typedef struct kist__trailer {
	uint64_t index_offset;
	uint64_t index_zlen;
	uint64_t index_len;
	uint32_t chunk_size;
	uint32_t flags;
	uint64_t pad_len; /* version 2 */
	unsigned char index_sha256[32];
	unsigned char signer[32];
	unsigned char signature[64];
} kist__trailer;
#define KIST_TRAILER_SIGNED 1u
#define KIST_TRAILER_PADDED 2u /* version 2 */

/* Plaintext length of the trailer of a version (160 or 168 bytes). */
size_t kist__trailer_plain_len(unsigned version);
/* Encodes or decodes kist__trailer_plain_len(version) bytes. */
void kist__trailer_encode(unsigned char *out, unsigned version, const kist__trailer *t);
void kist__trailer_decode(kist__trailer *t, unsigned version, const unsigned char *in);
/* Length of the index stream's ciphertext for a compressed index of zlen bytes. */
int kist__index_ct_len(uint64_t zlen, uint32_t chunk_size, uint64_t *out);
/*
 * The message the sealer signs (FORMAT.md, "Signature"), for h (parsed from
 * header) and t.  Version 2 signs core_digest, which kist__core_digest gives:
 * it covers the first `sealed` recipient slots (vault.recipients: the
 * sealer's), not those grants added.
 */
void kist__signature_message(unsigned char out[32], const kist__header *h,
                             const unsigned char *header, const kist__trailer *t, unsigned sealed);
void kist__core_digest(unsigned char out[32], const kist__header *h, const kist__trailer *t,
                       unsigned sealed);

/* ---- padding (trailer.c) */
#define KIST_PAD_MAX ((uint64_t)1 << 38) /* pad_len is below: one ChaCha20 keystream */
/* Padmé: the padded size of a vault of size u (u itself below 256). */
uint64_t kist__padme(uint64_t u);
/* The padding bytes [off, off + n) of a vault: ChaCha20 keystream of key. */
void kist__padding_bytes(unsigned char *out, size_t n, uint64_t off, const unsigned char key[32]);

/* ---- grant records (grant.c) */
typedef struct kist__grant {
	int64_t time;
	kist_pubkey granter;
	size_t nkeys;
	kist_pubkey keys[KIST_GRANT_KEYS_MAX];
	unsigned char prev[32];
	unsigned char digest[32]; /* SHA-256 of this record's plaintext: the next one's prev */
} kist__grant;

/*
 * Seals grant record j (plaintext from g, granter's signature over
 * core_digest and the slots it added, added[0..added_len) as stored) into a
 * type-6 slot at dst; *len its total length (slot head included).  dst has
 * room for KIST_SLOT_BODY_MAX + 8 bytes.
 */
kist_err kist__grant_seal(unsigned char *dst, size_t *len, unsigned j, kist__grant *g,
                          const kist_identity *granter, const unsigned char core_digest[32],
                          const unsigned char *added, size_t added_len,
                          const unsigned char grant_key[32]);

/*
 * Opens, parses and checks every grant record of h: the chain of prev
 * digests, each signature over core_digest and the slots it added, and that
 * record j follows exactly its nkeys recipient slots.  *out malloc'd (NULL when none).
 */
kist_err kist__grants_open(const kist__header *h, const unsigned char grant_key[32],
                           const unsigned char core_digest[32], kist__grant **out, size_t *n);

#endif
