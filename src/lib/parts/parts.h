/*
 * parts: part sets, a vault (any bytes) cut into numbered part files with
 * optional Reed-Solomon parity (ISA-L), and the keyless check, join and
 * repair of such a set.  docs/FORMAT.md, "Part sets".  Calls base and
 * crypto only: a part set knows nothing of what the vault holds.
 */
#ifndef KIST_PARTS_H
#define KIST_PARTS_H

#include "crypto/crypto.h"

#include <inttypes.h>

#define KIST__PART_HDR          128
#define KIST__PART_HASH         16   /* BLAKE2b-128 of one block */
#define KIST__PART_MAX_K        4096 /* data parts without parity */
#define KIST__PART_MAX_KM       255  /* data + parity parts with parity (GF(2^8)) */
#define KIST__PART_MIN_BLOCK    4096u
#define KIST__PART_MAX_BLOCK    1048576u
#define KIST__PART_MAX_MANIFEST (64u << 20)
#define KIST__PART_MAX_VAULT    (1ull << 44) /* 16 TiB */
#define KIST__PART_SCAN_MAX     4096         /* files looked at in a part's folder */

typedef struct kist__part_hdr {
	unsigned char tag[16];
	unsigned number; /* 1..k data, k+1..k+m parity */
	unsigned k, m;
	uint32_t block; /* B */
	uint64_t col;   /* C, a multiple of B */
	uint64_t vlen;  /* L */
	unsigned char manifest_digest[32];
} kist__part_hdr;

/* Blocks per part, R = C / B. */
static inline uint64_t kist__part_rows(const kist__part_hdr *h)
{
	return h->col / h->block;
}
/* Bytes of payload in part `number` (data: its slice of the vault; parity: C). */
uint64_t kist__part_payload_len(const kist__part_hdr *h, unsigned number);
/* Bytes of the manifest: R * (k + m) * 16. */
uint64_t kist__part_manifest_len(const kist__part_hdr *h);
/* Bytes of block r of part `number` that lie in its payload (0..B). */
uint32_t kist__part_block_len(const kist__part_hdr *h, unsigned number, uint64_t r);

void kist__part_hdr_encode(unsigned char raw[KIST__PART_HDR], const kist__part_hdr *h);
/*
 * Parses and checks a part header: magic, version, flags, header digest,
 * and the geometry rules of FORMAT.md.  KIST_E_FORMAT if it is not a part
 * header (wrong magic); KIST_E_CORRUPT for a damaged or inconsistent one.
 */
kist_err kist__part_hdr_parse(kist__part_hdr *h, const unsigned char raw[KIST__PART_HDR]);
/* A parity file's header (FORMAT.md, "Parity file"): the part header's
 * fields under another magic, tag and number zero, at least one parity part. */
void kist__parity_hdr_encode(unsigned char raw[KIST__PART_HDR], const kist__part_hdr *h);
kist_err kist__parity_hdr_parse(kist__part_hdr *h, const unsigned char raw[KIST__PART_HDR]);
/* 1 if raw begins with the parity file magic. */
int kist__parity_magic(const unsigned char *raw, size_t len);

/* Same set: tag, geometry and manifest digest equal. */
int kist__part_same_set(const kist__part_hdr *a, const kist__part_hdr *b);
/* 1 if raw begins with the part magic. */
int kist__part_magic(const unsigned char *raw, size_t len);

/* Opens a part file to read: a regular file, never a symlink, FIFO or device; -1 and errno. */
int kist__part_open(const char *path);

/* BLAKE2b-128 of a block (damage detection, not authentication). */
void kist__part_block_hash(unsigned char out[KIST__PART_HASH], const void *p, size_t n);

/*
 * Geometry for a vault of vlen bytes cut into parts of at most part_size
 * bytes with m parity parts: fills block, col, k, m, vlen.
 */
kist_err kist__part_geometry(kist__part_hdr *h, uint64_t vlen, uint64_t part_size, unsigned m);

/*
 * Reed-Solomon decode tables (ISA-L ec_init_tables) that rebuild the parts
 * er[0..nerr) (1-based) from the k intact parts src[0..k), for the
 * (k + m) x k Cauchy matrix enc.  Builds with ISA-L only.
 */
kist_err kist__rs_decode_tables(unsigned k, const unsigned char *enc, const unsigned *src,
                                const unsigned *er, unsigned nerr, unsigned char *tables);

/* ---- parity files (sidecar.c): a whole vault's columns and VAULT.parity */
#define KIST__PARITY_MAX_COLS     40
#define KIST__PARITY_MANIFEST_CAP (32u << 20)  /* a writer's bound; readers: 64 MiB */
#define KIST__PARITY_SPAN         (128u << 10) /* bytes of each part read at a time */

/* Geometry of the parity file of a vault of vlen bytes at percent (1..100). */
kist_err kist__parity_geometry(kist__part_hdr *h, uint64_t vlen, unsigned percent);
/* Offsets in a parity file: parity part k + 1 + i, the manifest copy, the header copy. */
uint64_t kist__parity_part_off(const kist__part_hdr *h, unsigned i);
uint64_t kist__parity_tail_off(const kist__part_hdr *h);
uint64_t kist__parity_file_len(const kist__part_hdr *h);

struct kist_parity {
	kist__part_hdr hdr;
	int vfd, sfd;          /* the vault, the parity file */
	uint64_t vsize, ssize; /* their sizes when opened */
	char *vpath, *spath;
	unsigned char *manifest; /* verified against hdr.manifest_digest */
	int checked;
	unsigned char *bad; /* [(p - 1) * rows + r]: block r of part p damaged */
	uint64_t nbad_vault, nbad_parity, nbad_stripes;
	unsigned worst;  /* most blocks lost in one stripe */
	int meta_bad;    /* a header copy, a manifest copy or the parity file's size */
	uint64_t *range; /* damaged byte ranges of the vault: off, len pairs */
	size_t nrange;
};

/* A part set as found on disk (kist_partset in kist.h). */
struct kist_partset {
	kist__part_hdr hdr; /* the set's geometry (number: of the first part found) */
	int have_hdr;
	unsigned total;          /* k + m */
	char **path;             /* [1..total]: the file used for each part, NULL if missing */
	uint64_t *fsize;         /* [1..total]: its size when found */
	unsigned char *manifest; /* verified against hdr.manifest_digest */
	unsigned manifest_from;  /* the part it was read from */
	int checked;             /* kist_partset_check() ran */
	unsigned char *bad;      /* [p * rows + r]: block r of part p damaged or missing */
	uint64_t *nbad;          /* [1..total]: damaged blocks per part */
	unsigned char *tail_bad; /* [1..total]: header copy, manifest copy or size wrong */
	char **unusable;         /* "PATH: why" of files with the part magic and a refused header */
	char **unusable_path;    /* their paths */
	size_t nunusable;
	kist_err why; /* the first given part's refusal, if it had one */
	char why_detail[512];
};

/* Manifest hash of block r of part p. */
const unsigned char *kist__partset_hash(const kist_partset *ps, unsigned p, uint64_t r);

/*
 * ---- a vault's bytes (source.c): one file, or read in place from the data
 * parts of a part set found beside the part named.
 */
typedef struct kist__source {
	int fd;        /* a plain file; -1 for a part set */
	uint64_t size; /* the vault's length */
	int *fds;      /* a part set: data part j + 1 is fds[j] */
	unsigned nfds;
	uint64_t col; /* the set's part length */
} kist__source;

/*
 * Opens path: a regular file read as it is, or, if it is a part, the data
 * parts of its set (all must be there; KIST_E_CORRUPT names a missing one).
 */
kist_err kist__source_open(kist__source *s, const char *path);
/* A plain source over an open descriptor (not closed by kist__source_close). */
void kist__source_plain(kist__source *s, int fd, uint64_t size);
void kist__source_close(kist__source *s);
kist_err kist__source_pread(const kist__source *s, void *buf, size_t len, uint64_t off,
                            const char *what);
/* SHA-256 of the whole vault (what sha256sum gives of the joined file). */
kist_err kist__source_sha256(const kist__source *s, const char *what, unsigned char out[32]);

/* The part file name for `number` of a set of `total` parts: "BASE.001". */
kist_err kist__part_name(char *out, size_t cap, const char *base, unsigned number, unsigned total);

#endif
