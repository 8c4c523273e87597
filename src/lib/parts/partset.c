/*
 * Part sets: the part header and geometry, finding a set's parts by content,
 * the manifest, the keyless block check, and join.  docs/FORMAT.md, "Part
 * sets".  Every part file is hostile: a header is trusted only after its own
 * digest and the geometry rules hold, a manifest only when its digest equals
 * the header's, a block only when its hash equals the manifest's.
 */
#include "parts/parts.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static const unsigned char part_magic[8] = {0x89, 'K', 'P', 'R', 'T', '\r', '\n', 0x1a};

int kist__part_magic(const unsigned char *raw, size_t len)
{
	return len >= sizeof part_magic && memcmp(raw, part_magic, sizeof part_magic) == 0;
}

int kist_is_part(const char *path)
{
	unsigned char raw[sizeof part_magic];
	int fd = kist__os_open(path, KIST__OS_RDONLY | KIST__OS_NONBLOCK, 0), ok = 0;
	kist__os_stat st;
	if (fd < 0)
		return 0;
	if (kist__os_fstat(fd, &st) == 0 && st.type == KIST__OS_FILE)
		ok = kist__os_pread(fd, raw, sizeof raw, 0) == (ptrdiff_t)sizeof raw &&
		     kist__part_magic(raw, sizeof raw);
	kist__os_close(fd);
	return ok;
}

int kist__part_open(const char *path)
{
	kist__os_stat st;
	int fd = kist__os_open(path, KIST__OS_RDONLY | KIST__OS_NOFOLLOW | KIST__OS_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE) {
		kist__os_close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

uint64_t kist__part_payload_len(const kist__part_hdr *h, unsigned number)
{
	if (number < h->k)
		return h->col;
	if (number == h->k)
		return h->vlen - (uint64_t)(h->k - 1) * h->col;
	return h->col;
}

uint64_t kist__part_manifest_len(const kist__part_hdr *h)
{
	return kist__part_rows(h) * (h->k + h->m) * KIST__PART_HASH;
}

uint32_t kist__part_block_len(const kist__part_hdr *h, unsigned number, uint64_t r)
{
	uint64_t len = kist__part_payload_len(h, number), off = r * h->block;
	if (off >= len)
		return 0;
	return (uint32_t)(len - off < h->block ? len - off : h->block);
}

void kist__part_block_hash(unsigned char out[KIST__PART_HASH], const void *p, size_t n)
{
	crypto_generichash(out, KIST__PART_HASH, p, n, NULL, 0);
}

static const unsigned char parity_magic[8] = {0x89, 'K', 'P', 'A', 'R', '\r', '\n', 0x1a};

int kist__parity_magic(const unsigned char *raw, size_t len)
{
	return len >= sizeof parity_magic && memcmp(raw, parity_magic, sizeof parity_magic) == 0;
}

/* A part header, or with `sidecar` a parity file's: another magic, no tag, no number. */
static void hdr_encode(unsigned char raw[KIST__PART_HDR], const kist__part_hdr *h, int sidecar)
{
	memset(raw, 0, KIST__PART_HDR);
	memcpy(raw, sidecar ? parity_magic : part_magic, 8);
	kist__st16(raw + 8, 1);
	if (!sidecar) {
		memcpy(raw + 12, h->tag, 16);
		kist__st16(raw + 28, (uint16_t)h->number);
	}
	kist__st16(raw + 30, (uint16_t)h->k);
	kist__st16(raw + 32, (uint16_t)h->m);
	kist__st32(raw + 36, h->block);
	kist__st64(raw + 40, h->col);
	kist__st64(raw + 48, h->vlen);
	memcpy(raw + 56, h->manifest_digest, 32);
	kist__sha256_oneshot(raw + 96, raw, 96);
}

void kist__part_hdr_encode(unsigned char raw[KIST__PART_HDR], const kist__part_hdr *h)
{
	hdr_encode(raw, h, 0);
}

void kist__parity_hdr_encode(unsigned char raw[KIST__PART_HDR], const kist__part_hdr *h)
{
	hdr_encode(raw, h, 1);
}

/* The geometry rules of FORMAT.md, "Part sets", shared by parts and parity files. */
static kist_err hdr_geometry(const kist__part_hdr *h, const char *what, int numbered)
{
	if (h->k < 1 || (h->m == 0 && h->k > KIST__PART_MAX_K) ||
	    (h->m > 0 && h->k + h->m > KIST__PART_MAX_KM))
		return kist__fail(KIST_E_CORRUPT, "%s header: %u data and %u parity parts", what,
		                  h->k, h->m);
	if (numbered && (h->number < 1 || h->number > h->k + h->m))
		return kist__fail(KIST_E_CORRUPT, "part header: part number %u of %u", h->number,
		                  h->k + h->m);
	if (h->block < KIST__PART_MIN_BLOCK || h->block > KIST__PART_MAX_BLOCK ||
	    (h->block & (h->block - 1)) != 0)
		return kist__fail(KIST_E_CORRUPT, "%s header: block size %" PRIu32, what, h->block);
	if (h->col == 0 || h->col % h->block != 0 || h->col > KIST__PART_MAX_VAULT)
		return kist__fail(KIST_E_CORRUPT, "%s header: part length %" PRIu64, what, h->col);
	/* (k - 1) * C < L <= k * C; C <= 2^44 and k < 2^16, so no overflow. */
	if (h->vlen == 0 || h->vlen > KIST__PART_MAX_VAULT ||
	    h->vlen <= (uint64_t)(h->k - 1) * h->col || h->vlen > (uint64_t)h->k * h->col)
		return kist__fail(KIST_E_CORRUPT,
		                  "%s header: vault length %" PRIu64
		                  " does not fit %u parts of %" PRIu64 " bytes",
		                  what, h->vlen, h->k, h->col);
	if (h->k == 1 && h->col != (h->vlen + h->block - 1) / h->block * h->block)
		return kist__fail(KIST_E_CORRUPT,
		                  "%s header: one part of %" PRIu64
		                  " bytes for a vault of %" PRIu64,
		                  what, h->col, h->vlen);
	if (kist__part_manifest_len(h) > KIST__PART_MAX_MANIFEST)
		return kist__fail(KIST_E_CORRUPT, "%s header: manifest too large", what);
	return KIST_OK;
}

/* Digest, version and reserved fields, then the fields into h. */
static kist_err hdr_fields(kist__part_hdr *h, const unsigned char raw[KIST__PART_HDR],
                           const char *what)
{
	unsigned char d[32];
	kist__sha256_oneshot(d, raw, 96);
	if (sodium_memcmp(d, raw + 96, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "%s header damaged (its digest does not match)",
		                  what);
	if (kist__ld16(raw + 8) != 1)
		return kist__fail(KIST_E_FORMAT, "%s format version %u is not supported", what,
		                  kist__ld16(raw + 8));
	if (kist__ld16(raw + 10) != 0 || kist__ld16(raw + 34) != 0 || kist__ld64(raw + 88) != 0)
		return kist__fail(KIST_E_FORMAT, "%s header has unknown flags", what);
	memcpy(h->tag, raw + 12, 16);
	h->number = kist__ld16(raw + 28);
	h->k = kist__ld16(raw + 30);
	h->m = kist__ld16(raw + 32);
	h->block = kist__ld32(raw + 36);
	h->col = kist__ld64(raw + 40);
	h->vlen = kist__ld64(raw + 48);
	memcpy(h->manifest_digest, raw + 56, 32);
	return KIST_OK;
}

kist_err kist__part_hdr_parse(kist__part_hdr *h, const unsigned char raw[KIST__PART_HDR])
{
	kist_err err;
	if (!kist__part_magic(raw, KIST__PART_HDR))
		return kist__fail(KIST_E_FORMAT, "not a kist part");
	if ((err = hdr_fields(h, raw, "part")) != KIST_OK)
		return err;
	return hdr_geometry(h, "part", 1);
}

kist_err kist__parity_hdr_parse(kist__part_hdr *h, const unsigned char raw[KIST__PART_HDR])
{
	static const unsigned char zero[18];
	kist_err err;
	if (!kist__parity_magic(raw, KIST__PART_HDR))
		return kist__fail(KIST_E_FORMAT, "not a kist parity file");
	if ((err = hdr_fields(h, raw, "parity file")) != KIST_OK)
		return err;
	if (memcmp(raw + 12, zero, sizeof zero) != 0)
		return kist__fail(KIST_E_FORMAT, "parity file header has unknown flags");
	if (h->m < 1)
		return kist__fail(KIST_E_CORRUPT, "parity file header: no parity parts");
	return hdr_geometry(h, "parity file", 0);
}

int kist__part_same_set(const kist__part_hdr *a, const kist__part_hdr *b)
{
	return memcmp(a->tag, b->tag, 16) == 0 && a->k == b->k && a->m == b->m &&
	       a->block == b->block && a->col == b->col && a->vlen == b->vlen &&
	       memcmp(a->manifest_digest, b->manifest_digest, 32) == 0;
}

/*
 * Largest part length C (a multiple of B) such that a part of C payload bytes
 * plus header and manifest fits part_size.  The manifest grows with the
 * number of parts, which shrinks as C grows: walk C down one block at a time
 * from the bound without a manifest (at most 64 MiB / B steps, since a
 * manifest over 64 MiB moves on to a larger block).  Blocks start at 64 KiB
 * (smaller for small parts) and double while the manifest would pass what a
 * reader accepts.
 */
static uint64_t fit_col(uint64_t vlen, uint64_t part_size, unsigned m, uint32_t b, uint64_t *k,
                        kist_err *err)
{
	for (uint64_t col = (part_size - KIST__PART_HDR) / b * b; col > 0; col -= b) {
		*k = (vlen + col - 1) / col;
		uint64_t man = col / b * (*k + m) * KIST__PART_HASH;
		if (*k + m > 999 || (m > 0 && *k + m > KIST__PART_MAX_KM)) {
			*err =
			    kist__fail(KIST_E_LIMIT,
			               "%" PRIu64 " parts: a set has at most %u (%u with parity); "
			               "use a larger part size",
			               *k + m, 999u, (unsigned)KIST__PART_MAX_KM);
			return 0;
		}
		if (man > KIST__PART_MAX_MANIFEST)
			return 0; /* a larger block */
		if (KIST__PART_HDR + col + man <= part_size)
			return col;
	}
	return 0;
}

kist_err kist__part_geometry(kist__part_hdr *h, uint64_t vlen, uint64_t part_size, unsigned m)
{
	uint32_t b = 65536;
	uint64_t col = 0, k = 0;
	kist_err err = KIST_OK;
	memset(h, 0, sizeof *h);
	if (vlen == 0 || vlen > KIST__PART_MAX_VAULT)
		return kist__fail(KIST_E_LIMIT, "a vault of %" PRIu64 " bytes cannot be split",
		                  vlen);
	if (part_size < 16384 || part_size > KIST__PART_MAX_VAULT)
		return kist__fail(KIST_E_ARG, "part size %" PRIu64 " is out of range (16K to 16T)",
		                  part_size);
	while (b > KIST__PART_MIN_BLOCK && (part_size - KIST__PART_HDR) / b < 8)
		b /= 2;
	for (;; b *= 2) {
		if ((col = fit_col(vlen, part_size, m, b, &k, &err)) > 0 || err != KIST_OK)
			break;
		if (b >= KIST__PART_MAX_BLOCK || (part_size - KIST__PART_HDR) / (b * 2) == 0)
			break;
	}
	if (err != KIST_OK)
		return err;
	if (col == 0)
		return kist__fail(KIST_E_LIMIT,
		                  "cannot cut %" PRIu64 " bytes into parts of %" PRIu64
		                  ": the part size is too small for the vault",
		                  vlen, part_size);
	/* A single part holds the whole vault: C is the vault, rounded up. */
	if (k == 1)
		col = (vlen + b - 1) / b * b;
	h->k = (unsigned)k;
	h->m = m;
	h->block = b;
	h->col = col;
	h->vlen = vlen;
	return KIST_OK;
}

kist_err kist__part_name(char *out, size_t cap, const char *base, unsigned number, unsigned total)
{
	int width = total > 999 ? 4 : 3;
	int n = snprintf(out, cap, "%s.%0*u", base, width, number);
	if (n < 0 || (size_t)n >= cap)
		return kist__fail(KIST_E_ARG, "part name too long");
	return KIST_OK;
}

/* ------------------------------------------------------------------ sets */

static kist_err ps_add_unusable(kist_partset *ps, const char *path, const char *why)
{
	char **p;
	if (ps->nunusable >= KIST__PART_SCAN_MAX)
		return KIST_OK;
	p = realloc(ps->unusable_path, (ps->nunusable + 1) * sizeof *p);
	if (p == NULL)
		return kist__nomem();
	ps->unusable_path = p;
	if ((p[ps->nunusable] = strdup(path)) == NULL)
		return kist__nomem();
	p = realloc(ps->unusable, (ps->nunusable + 1) * sizeof *p);
	if (p == NULL) {
		free(ps->unusable_path[ps->nunusable]);
		return kist__nomem();
	}
	ps->unusable = p;
	size_t len = strlen(path) + strlen(why) + 3;
	if ((p[ps->nunusable] = malloc(len)) == NULL)
		return kist__nomem();
	snprintf(p[ps->nunusable++], len, "%s: %s", path, why);
	return KIST_OK;
}

/* Reads a candidate's header: 1 = a part of this set (or the first part),
 * 0 = not a part or another set's, -1 = a part whose header is refused
 * (*why: the parser's error, its detail left set). */
static int read_candidate(int dirfd, const char *name, kist__part_hdr *h, uint64_t *size,
                          kist_err *why)
{
	unsigned char raw[KIST__PART_HDR];
	kist__os_stat st;
	/* Only regular files are opened: opening a device can have effects. */
	if (kist__os_fstatat(dirfd, name, &st, KIST__OS_STAT_NOFOLLOW) != 0 ||
	    st.type != KIST__OS_FILE)
		return 0;
	int fd = kist__os_openat(dirfd, name,
	                         KIST__OS_RDONLY | KIST__OS_NOFOLLOW | KIST__OS_NONBLOCK, 0);
	if (fd < 0)
		return 0;
	ptrdiff_t n = -1;
	if (kist__os_fstat(fd, &st) == 0 && st.type == KIST__OS_FILE)
		n = kist__os_pread(fd, raw, sizeof raw, 0);
	kist__os_close(fd);
	if (n < 8 || !kist__part_magic(raw, (size_t)n))
		return 0;
	*size = (uint64_t)st.size;
	if (n < (ptrdiff_t)sizeof raw) {
		*why = kist__fail(KIST_E_CORRUPT, "part header truncated");
		return -1;
	}
	if ((*why = kist__part_hdr_parse(h, raw)) != KIST_OK)
		return -1;
	return 1;
}

static kist_err ps_take(kist_partset *ps, const char *path, const kist__part_hdr *h, uint64_t size,
                        int given)
{
	if (!ps->have_hdr) {
		ps->hdr = *h;
		ps->have_hdr = 1;
		ps->total = h->k + h->m;
		ps->path = calloc(ps->total + 1, sizeof *ps->path);
		ps->fsize = calloc(ps->total + 1, sizeof *ps->fsize);
		if (ps->path == NULL || ps->fsize == NULL)
			return kist__nomem();
	} else if (!kist__part_same_set(&ps->hdr, h)) {
		if (memcmp(ps->hdr.tag, h->tag, 16) == 0)
			return kist__fail(
			    KIST_E_CORRUPT,
			    "%s claims the set's tag but disagrees with its other parts", path);
		if (given)
			return kist__fail(KIST_E_ARG, "%s belongs to another part set", path);
		return KIST_OK; /* a sibling from another set: not ours */
	}
	if (ps->path[h->number] != NULL)
		return KIST_OK; /* the same part twice: the first found is used */
	if ((ps->path[h->number] = strdup(path)) == NULL)
		return kist__nomem();
	ps->fsize[h->number] = size;
	return KIST_OK;
}

static kist_err ps_take_path(kist_partset *ps, const char *path, int given)
{
	kist__part_hdr h;
	uint64_t size = 0;
	kist_err why = KIST_OK;
	char detail[256] = "";
	int r = read_candidate(KIST__OS_CWD, path, &h, &size, &why);
	if (r < 0)
		snprintf(detail, sizeof detail, "%s", kist_errdetail());
	if (r < 0 && given && ps->why == KIST_OK) { /* kept: said if no part is usable */
		ps->why = why;
		snprintf(ps->why_detail, sizeof ps->why_detail, "%s: %s", path, detail);
	}
	kist__clear_detail();
	if (r == 0 && given) {
		kist__os_stat st;
		if (kist__os_fstatat(KIST__OS_CWD, path, &st, KIST__OS_STAT_NOFOLLOW) != 0)
			return kist__fail(KIST_E_IO, "%s: %s", path, strerror(errno));
		return kist__fail(KIST_E_FORMAT, "%s is not a kist part", path);
	}
	if (r < 0)
		return ps_add_unusable(ps, path, detail);
	if (r == 0)
		return KIST_OK;
	return ps_take(ps, path, &h, size, given);
}

/* Looks at every regular file in dir for parts of the set (bounded). */
static kist_err ps_scan_dir(kist_partset *ps, const char *dir)
{
	int fd = kist__os_open(dir, KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
	kist__os_dir *d = fd >= 0 ? kist__os_dir_open(fd) : NULL;
	const char *name;
	size_t seen = 0;
	kist_err err = KIST_OK;
	if (d == NULL) {
		int e = errno;
		if (fd >= 0)
			kist__os_close(fd);
		return kist__fail(KIST_E_IO, "%s: %s", dir, strerror(e));
	}
	while (err == KIST_OK && seen < KIST__PART_SCAN_MAX &&
	       kist__os_dir_next(d, &name, NULL) > 0) {
		if (name[0] == '.' && strstr(name, ".kist-tmp-"))
			continue;
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			break;
		}
		seen++;
		size_t len = strlen(dir) + strlen(name) + 2;
		char *path = malloc(len);
		if (path == NULL) {
			err = kist__nomem();
			break;
		}
		if (strcmp(dir, ".") == 0)
			snprintf(path, len, "%s", name);
		else
			snprintf(path, len, "%s/%s", dir, name);
		err = ps_take_path(ps, path, 0);
		free(path);
	}
	kist__os_dir_close(d);
	return err;
}

static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (s == NULL)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return kist__os_strndup(path, (size_t)(s - path));
}

/* The manifest from the first part that holds an intact copy. */
static kist_err ps_load_manifest(kist_partset *ps)
{
	uint64_t len = kist__part_manifest_len(&ps->hdr);
	unsigned char d[32];
	if ((ps->manifest = malloc(len)) == NULL)
		return kist__nomem();
	for (unsigned p = 1; p <= ps->total; p++) {
		if (ps->path[p] == NULL)
			continue;
		int fd = kist__part_open(ps->path[p]);
		if (fd < 0)
			continue;
		kist_err e = kist__pread_full(fd, ps->manifest, len,
		                              KIST__PART_HDR + kist__part_payload_len(&ps->hdr, p),
		                              "manifest");
		kist__os_close(fd);
		kist__clear_detail();
		if (e != KIST_OK)
			continue;
		kist__sha256_oneshot(d, ps->manifest, len);
		if (sodium_memcmp(d, ps->hdr.manifest_digest, 32) == 0) {
			ps->manifest_from = p;
			return KIST_OK;
		}
	}
	return kist__fail(KIST_E_CORRUPT, "no part holds an intact manifest");
}

kist_err kist_partset_open(kist_partset **out, const char *const *paths, size_t n, int search)
{
	kist_partset *ps;
	kist_err err = KIST_OK;
	*out = NULL;
	if (n == 0)
		return kist__fail(KIST_E_ARG, "no part given");
	if ((ps = calloc(1, sizeof *ps)) == NULL)
		return kist__nomem();
	for (size_t i = 0; i < n && err == KIST_OK; i++)
		err = ps_take_path(ps, paths[i], 1);
	/* A named part that is refused and no named part intact: the set is not
	 * taken from whatever else lies in the folder. */
	if (err == KIST_OK && !ps->have_hdr && ps->why != KIST_OK)
		search = 0;
	for (size_t i = 0; search && i < n && err == KIST_OK; i++) {
		char *dir = dir_of(paths[i]);
		int again = 0;
		if (dir == NULL) {
			err = kist__nomem();
			break;
		}
		for (size_t j = 0; j < i; j++) { /* each folder once */
			char *dj = dir_of(paths[j]);
			again |= dj != NULL && strcmp(dj, dir) == 0;
			free(dj);
		}
		if (!again)
			err = ps_scan_dir(ps, dir);
		free(dir);
	}
	if (err == KIST_OK && !ps->have_hdr)
		err = ps->why != KIST_OK
		          ? kist__fail(ps->why, "%s", ps->why_detail)
		          : kist__fail(KIST_E_CORRUPT, "no part with an intact header was found");
	if (err == KIST_OK)
		err = ps_load_manifest(ps);
	if (err == KIST_OK &&
	    ((ps->bad = calloc(ps->total + 1, kist__part_rows(&ps->hdr))) == NULL ||
	     (ps->nbad = calloc(ps->total + 1, sizeof *ps->nbad)) == NULL ||
	     (ps->tail_bad = calloc(ps->total + 1, 1)) == NULL))
		err = kist__nomem();
	if (err != KIST_OK) {
		kist_partset_free(ps);
		return err;
	}
	*out = ps;
	return KIST_OK;
}

void kist_partset_free(kist_partset *ps)
{
	if (ps == NULL)
		return;
	for (unsigned p = 0; ps->path != NULL && p <= ps->total; p++)
		free(ps->path[p]);
	for (size_t i = 0; i < ps->nunusable; i++) {
		free(ps->unusable[i]);
		free(ps->unusable_path[i]);
	}
	free(ps->unusable);
	free(ps->unusable_path);
	free(ps->path);
	free(ps->fsize);
	free(ps->manifest);
	free(ps->bad);
	free(ps->nbad);
	free(ps->tail_bad);
	free(ps);
}

const unsigned char *kist__partset_hash(const kist_partset *ps, unsigned p, uint64_t r)
{
	return ps->manifest + ((uint64_t)(p - 1) * kist__part_rows(&ps->hdr) + r) * KIST__PART_HASH;
}

/* Checks one present part's blocks and tail against the manifest. */
static kist_err check_part(kist_partset *ps, unsigned p, unsigned char *buf, uint64_t *done,
                           kist_progress_fn fn, void *ctx, uint64_t total)
{
	const kist__part_hdr *h = &ps->hdr;
	uint64_t rows = kist__part_rows(h), man = kist__part_manifest_len(h);
	uint64_t plen = kist__part_payload_len(h, p);
	unsigned char hash[KIST__PART_HASH], raw[KIST__PART_HDR], want[KIST__PART_HDR], d[32];
	int fd = kist__part_open(ps->path[p]);
	if (fd < 0)
		return kist__fail(KIST_E_IO, "%s: %s", ps->path[p], strerror(errno));
	for (uint64_t r = 0; r < rows; r++) {
		uint32_t len = kist__part_block_len(h, p, r);
		ptrdiff_t got =
		    len ? kist__os_pread(fd, buf, len, KIST__PART_HDR + r * h->block) : 0;
		if (kist__interrupted) {
			kist__os_close(fd);
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		}
		kist__part_block_hash(hash, buf, len);
		if (got != (ptrdiff_t)len ||
		    memcmp(hash, kist__partset_hash(ps, p, r), KIST__PART_HASH) != 0) {
			ps->bad[(uint64_t)p * rows + r] = 1;
			ps->nbad[p]++;
		}
		*done += len;
		if (fn != NULL)
			fn(ctx, *done, total);
	}
	/* The part's own header and manifest copy, and nothing after them. */
	kist__part_hdr self = *h;
	self.number = p;
	kist__part_hdr_encode(want, &self);
	int tail_ok = ps->fsize[p] == KIST__PART_HDR + plen + man &&
	              kist__os_pread(fd, raw, sizeof raw, 0) == (ptrdiff_t)sizeof raw &&
	              memcmp(raw, want, sizeof raw) == 0;
	if (tail_ok && p != ps->manifest_from) {
		unsigned char *m = malloc(man);
		tail_ok = m != NULL && kist__pread_full(fd, m, man, KIST__PART_HDR + plen,
		                                        "manifest") == KIST_OK;
		if (tail_ok) {
			kist__sha256_oneshot(d, m, man);
			tail_ok = memcmp(d, h->manifest_digest, 32) == 0;
		}
		free(m);
		kist__clear_detail();
	}
	ps->tail_bad[p] = !tail_ok;
	kist__os_close(fd);
	return KIST_OK;
}

kist_err kist_partset_check(kist_partset *ps, kist_progress_fn fn, void *ctx)
{
	const kist__part_hdr *h = &ps->hdr;
	uint64_t rows = kist__part_rows(h), done = 0, total = 0;
	unsigned char *buf = malloc(h->block);
	kist_err err = KIST_OK;
	if (buf == NULL)
		return kist__nomem();
	for (unsigned p = 1; p <= ps->total; p++)
		total += kist__part_payload_len(h, p);
	memset(ps->bad, 0, (ps->total + 1) * rows);
	memset(ps->nbad, 0, (ps->total + 1) * sizeof *ps->nbad);
	for (unsigned p = 1; p <= ps->total && err == KIST_OK; p++) {
		if (ps->path[p] == NULL) {
			memset(ps->bad + (uint64_t)p * rows, 1, rows);
			ps->nbad[p] = rows;
			ps->tail_bad[p] = 1;
			done += kist__part_payload_len(h, p);
			continue;
		}
		err = check_part(ps, p, buf, &done, fn, ctx, total);
	}
	free(buf);
	if (err == KIST_OK)
		ps->checked = 1;
	return err;
}

unsigned kist_partset_count(const kist_partset *ps)
{
	return ps->total;
}

unsigned kist_partset_data_count(const kist_partset *ps)
{
	return ps->hdr.k;
}

uint64_t kist_partset_vault_size(const kist_partset *ps)
{
	return ps->hdr.vlen;
}

void kist_partset_status(const kist_partset *ps, unsigned number, kist_part_status *out)
{
	memset(out, 0, sizeof *out);
	out->number = number;
	if (number < 1 || number > ps->total)
		return;
	out->path = ps->path[number];
	out->parity = number > ps->hdr.k;
	out->bad_blocks = ps->nbad[number];
	if (ps->path[number] == NULL)
		out->state = KIST_PART_MISSING;
	else if (ps->checked && (ps->nbad[number] > 0 || ps->tail_bad[number]))
		out->state = KIST_PART_DAMAGED;
	else
		out->state = KIST_PART_OK;
}

size_t kist_partset_unusable_count(const kist_partset *ps)
{
	return ps->nunusable;
}

const char *kist_partset_unusable(const kist_partset *ps, size_t i)
{
	return i < ps->nunusable ? ps->unusable[i] : NULL;
}

int kist_partset_repairable(const kist_partset *ps)
{
	uint64_t rows = kist__part_rows(&ps->hdr);
	if (!ps->checked)
		return 0;
	for (uint64_t r = 0; r < rows; r++) {
		unsigned lost = 0;
		for (unsigned p = 1; p <= ps->total; p++)
			lost += ps->bad[(uint64_t)p * rows + r];
		if (lost > ps->hdr.m)
			return 0;
	}
	return 1;
}

/* ------------------------------------------------------------------ join */

static kist_err join_part(kist_partset *ps, unsigned p, int out, unsigned char *buf)
{
	const kist__part_hdr *h = &ps->hdr;
	uint64_t rows = kist__part_rows(h);
	unsigned char hash[KIST__PART_HASH];
	kist_err err = KIST_OK;
	int fd = kist__part_open(ps->path[p]);
	if (fd < 0)
		return kist__fail(KIST_E_IO, "%s: %s", ps->path[p], strerror(errno));
	for (uint64_t r = 0; r < rows && err == KIST_OK; r++) {
		uint32_t len = kist__part_block_len(h, p, r);
		if (len == 0)
			break;
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			break;
		}
		ptrdiff_t got = kist__os_pread(fd, buf, len, KIST__PART_HDR + r * h->block);
		kist__part_block_hash(hash, buf, len);
		if (got != (ptrdiff_t)len ||
		    memcmp(hash, kist__partset_hash(ps, p, r), KIST__PART_HASH) != 0)
			err = kist__fail(KIST_E_CORRUPT, "part %u is damaged (block %" PRIu64 ")%s",
			                 p, r, h->m ? " (the parity parts can rebuild it)" : "");
		else
			err = kist__write_full(out, buf, len, "output");
	}
	kist__os_close(fd);
	return err;
}

kist_err kist_partset_join(kist_partset *ps, const char *out_path, unsigned flags)
{
	kist__outfile o;
	const char *base;
	int dirfd = -1;
	unsigned char *buf = NULL;
	kist_err err;

	memset(&o, 0, sizeof o);
	o.fd = o.slot = o.dirfd = -1;
	for (unsigned p = 1; p <= ps->hdr.k; p++)
		if (ps->path[p] == NULL)
			return kist__fail(KIST_E_CORRUPT, "part %u of %u is missing%s", p,
			                  ps->total,
			                  ps->hdr.m ? " (the parity parts can rebuild it)" : "");
	if ((err = kist__open_parent(out_path, &dirfd, &base)) != KIST_OK)
		return err;
	if ((buf = malloc(ps->hdr.block)) == NULL)
		err = kist__nomem();
	if (err == KIST_OK)
		err = kist__outfile_open(&o, dirfd, base);
	for (unsigned p = 1; p <= ps->hdr.k && err == KIST_OK; p++)
		err = join_part(ps, p, o.fd, buf);
	if (err == KIST_OK)
		err = kist__outfile_commit(&o, (flags & KIST_REPLACE) != 0, 1);
	kist__outfile_abort(&o);
	free(buf);
	kist__os_close(dirfd);
	return err;
}
