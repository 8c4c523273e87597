/*
 * Parity of a whole vault (docs/FORMAT.md, "Parity file"): the vault, left
 * as it is, is read as the k data parts (columns) of a part set, and the
 * file VAULT.parity beside it holds the m parity parts, the manifest and
 * the header, each of the last two twice (at the start and at the end).
 * Everything is done a span of rows at a time: k + m buffers of
 * KIST__PARITY_SPAN bytes (one block if blocks are larger) and the manifest
 * are all the memory used.  The parity file is hostile like a part: its
 * header is trusted once its digest and the geometry rules hold, its
 * manifest once its digest equals the header's, a block once its hash
 * equals the manifest's; a rebuilt block is written only if it does too.
 */
#include "parts/parts.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#ifdef KIST_HAVE_ISAL
#include <isa-l/erasure_code.h>
#endif

kist_err kist__parity_geometry(kist__part_hdr *h, uint64_t vlen, unsigned percent)
{
	memset(h, 0, sizeof *h);
	if (percent < 1 || percent > 100)
		return kist__fail(KIST_E_ARG, "parity of %u%%: give 1%% to 100%%", percent);
	if (vlen == 0 || vlen > KIST__PART_MAX_VAULT)
		return kist__fail(KIST_E_LIMIT, "a vault of %" PRIu64 " bytes cannot have parity",
		                  vlen);
	/* The smallest block that keeps the manifest within the writer's bound. */
	for (uint32_t b = KIST__PART_MIN_BLOCK; b <= KIST__PART_MAX_BLOCK; b *= 2) {
		uint64_t blocks = (vlen + b - 1) / b;
		uint64_t k = blocks < KIST__PARITY_MAX_COLS ? blocks : KIST__PARITY_MAX_COLS;
		uint64_t col = (blocks + k - 1) / k * b;
		h->k = (unsigned)((vlen + col - 1) / col);
		h->m = (h->k * percent + 99) / 100;
		h->block = b;
		h->col = col;
		h->vlen = vlen;
		if (kist__part_manifest_len(h) <= KIST__PARITY_MANIFEST_CAP)
			return KIST_OK;
	}
	memset(h, 0, sizeof *h);
	return kist__fail(KIST_E_LIMIT,
	                  "a vault of %" PRIu64 " bytes is too large for a parity file", vlen);
}

uint64_t kist__parity_part_off(const kist__part_hdr *h, unsigned i)
{
	return KIST__PART_HDR + kist__part_manifest_len(h) + (uint64_t)i * h->col;
}

uint64_t kist__parity_tail_off(const kist__part_hdr *h)
{
	return kist__parity_part_off(h, h->m);
}

uint64_t kist__parity_file_len(const kist__part_hdr *h)
{
	return kist__parity_tail_off(h) + kist__part_manifest_len(h) + KIST__PART_HDR;
}

int kist_is_parity(const char *path)
{
	unsigned char raw[8];
	int fd = kist__part_open(path), ok;
	if (fd < 0)
		return 0;
	ok = kist__os_pread(fd, raw, sizeof raw, 0) == (ptrdiff_t)sizeof raw &&
	     kist__parity_magic(raw, sizeof raw);
	kist__os_close(fd);
	return ok;
}

/* ------------------------------------------------------------ the passes */

/* The rows of a span, and the buffers that hold them for every part. */
typedef struct span {
	const kist__part_hdr *h;
	uint64_t rows;
	unsigned total;
	size_t per;          /* rows per span */
	unsigned char **buf; /* [total]: per * B bytes each */
	unsigned char *bad;  /* [total * per]: block damaged or unreadable */
	unsigned char *hash; /* the manifest, or NULL while it is being made */
} span;

static kist_err span_init(span *s, const kist__part_hdr *h)
{
	memset(s, 0, sizeof *s);
	s->h = h;
	s->rows = kist__part_rows(h);
	s->total = h->k + h->m;
	s->per = KIST__PARITY_SPAN / h->block ? KIST__PARITY_SPAN / h->block : 1;
	if ((s->buf = calloc(s->total, sizeof *s->buf)) == NULL ||
	    (s->bad = calloc(s->total, s->per)) == NULL)
		return kist__nomem();
	for (unsigned p = 0; p < s->total; p++)
		if ((s->buf[p] = malloc(s->per * h->block)) == NULL)
			return kist__nomem();
	return KIST_OK;
}

static void span_free(span *s)
{
	for (unsigned p = 0; s->buf != NULL && p < s->total; p++)
		free(s->buf[p]);
	free(s->buf);
	free(s->bad);
}

/* Bytes of part p (1-based) in rows r0 .. r0 + n: data parts end with the vault. */
static size_t span_len(const span *s, unsigned p, uint64_t r0, size_t n)
{
	uint64_t start = r0 * s->h->block, want = (uint64_t)n * s->h->block;
	if (p > s->h->k)
		return (size_t)want;
	uint64_t plen = kist__part_payload_len(s->h, p);
	if (start >= plen)
		return 0;
	return (size_t)(plen - start < want ? plen - start : want);
}

static uint64_t span_off(const span *s, unsigned p, uint64_t r0)
{
	const kist__part_hdr *h = s->h;
	if (p <= h->k)
		return (uint64_t)(p - 1) * h->col + r0 * h->block;
	return kist__parity_part_off(h, p - h->k - 1) + r0 * h->block;
}

/*
 * Reads len bytes at off into buf as far as the file has them; a block
 * whose read fails with EIO (a bad sector), or that the file ends before,
 * is zero-filled and marked in bad[].  Other errors stop.
 */
static kist_err read_blocks(int fd, unsigned char *buf, size_t len, uint64_t off, uint32_t b,
                            unsigned char *bad, const char *what)
{
	size_t done = 0;
	while (done < len) {
		ptrdiff_t n = kist__os_pread(fd, buf + done, len - done, off + done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR && !kist__interrupted)
			continue;
		if (n == 0)
			break;
		if (errno != EIO)
			return kist__fail(kist__errno_err(errno), "reading %s: %s", what,
			                  strerror(errno));
		size_t blk = done / b, next = (blk + 1) * (size_t)b;
		if (next > len)
			next = len;
		memset(buf + done, 0, next - done);
		bad[blk] = 1;
		done = next;
	}
	if (done < len) {
		memset(buf + done, 0, len - done);
		for (size_t i = done / b; i * b < len; i++)
			bad[i] = 1;
	}
	return KIST_OK;
}

/* Reads rows r0 .. r0 + n of every part (zero-padded to whole blocks), and
 * with a manifest marks each block that is unreadable or does not match it. */
static kist_err span_read(span *s, int vfd, int sfd, uint64_t r0, size_t n, int with_parity)
{
	const kist__part_hdr *h = s->h;
	unsigned char got[KIST__PART_HASH];
	memset(s->bad, 0, (size_t)s->total * s->per);
	for (unsigned p = 1; p <= (with_parity ? s->total : h->k); p++) {
		unsigned char *bad = s->bad + (size_t)(p - 1) * s->per;
		size_t len = span_len(s, p, r0, n);
		kist_err err =
		    read_blocks(p <= h->k ? vfd : sfd, s->buf[p - 1], len, span_off(s, p, r0),
		                h->block, bad, p <= h->k ? "the vault" : "the parity file");
		if (err != KIST_OK)
			return err;
		memset(s->buf[p - 1] + len, 0, n * h->block - len);
		for (size_t i = 0; s->hash != NULL && i < n; i++) {
			uint32_t blen = kist__part_block_len(h, p, r0 + i);
			kist__part_block_hash(got, s->buf[p - 1] + i * h->block, blen);
			const unsigned char *want =
			    s->hash + ((uint64_t)(p - 1) * s->rows + r0 + i) * KIST__PART_HASH;
			if (blen == 0)
				bad[i] = 0; /* nothing of the vault there to lose */
			if (sodium_memcmp(got, want, KIST__PART_HASH) != 0)
				bad[i] = 1;
		}
	}
	return KIST_OK;
}

/* ------------------------------------------------------------ writing */

static kist_err out_open(kist__outfile *o, int *dirfd, const char *path, unsigned flags)
{
	const char *name;
	kist__os_stat st;
	kist_err err = kist__open_parent(path, dirfd, &name);
	if (err != KIST_OK)
		return err;
	if (kist__os_fstatat(*dirfd, name, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		if (!(flags & KIST_REPLACE))
			return kist__fail(KIST_E_EXISTS, "%s already exists", path);
		if (st.type != KIST__OS_FILE)
			return kist__fail(KIST_E_EXISTS, "%s exists and is not a file", path);
	}
	return kist__outfile_open(o, *dirfd, name);
}

/* Header and manifest at the start of the parity file, their copies at its end. */
static kist_err write_meta(int fd, const kist__part_hdr *h, const unsigned char *manifest)
{
	unsigned char raw[KIST__PART_HDR];
	uint64_t man = kist__part_manifest_len(h), tail = kist__parity_tail_off(h);
	kist__parity_hdr_encode(raw, h);
	if (kist__os_pwrite(fd, raw, sizeof raw, 0) != (ptrdiff_t)sizeof raw ||
	    kist__os_pwrite(fd, raw, sizeof raw, tail + man) != (ptrdiff_t)sizeof raw ||
	    kist__os_seek(fd, KIST__PART_HDR, KIST__OS_SEEK_SET) < 0)
		return kist__fail(kist__errno_err(errno), "writing the parity file: %s",
		                  strerror(errno));
	kist_err err = kist__write_full(fd, manifest, man, "the parity file");
	if (err == KIST_OK && kist__os_seek(fd, (int64_t)tail, KIST__OS_SEEK_SET) < 0)
		err = kist__fail(KIST_E_IO, "seek: %s", strerror(errno));
	if (err == KIST_OK)
		err = kist__write_full(fd, manifest, man, "the parity file");
	return err;
}

#ifdef KIST_HAVE_ISAL
static kist_err pwrite_full(int fd, const void *buf, size_t len, uint64_t off, const char *what)
{
	if (len > 0 && kist__os_seek(fd, (int64_t)off, KIST__OS_SEEK_SET) < 0)
		return kist__fail(KIST_E_IO, "seek: %s", strerror(errno));
	return kist__write_full(fd, buf, len, what);
}

/* Writes the spans of rows r0 .. r0 + n: the data parts to vfd (if >= 0),
 * the parity parts to sfd (if >= 0). */
static kist_err span_write(const span *s, int vfd, int sfd, uint64_t r0, size_t n)
{
	kist_err err = KIST_OK;
	for (unsigned p = 1; p <= s->total && err == KIST_OK; p++) {
		int fd = p <= s->h->k ? vfd : sfd;
		if (fd >= 0)
			err = pwrite_full(fd, s->buf[p - 1], span_len(s, p, r0, n),
			                  span_off(s, p, r0),
			                  p <= s->h->k ? "the vault" : "the parity file");
	}
	return err;
}
#endif

typedef struct write_job {
	kist__part_hdr h;
	span s;
	unsigned char *manifest, *tables;
	kist__outfile vo, so;
	int vdir, sdir;
} write_job;

/* One pass: hashes of the data blocks, parity encoded and hashed, spans written. */
static kist_err write_pass(write_job *j, int fd, int copy)
{
#ifdef KIST_HAVE_ISAL
	const kist__part_hdr *h = &j->h;
	span *s = &j->s;
	for (uint64_t r0 = 0; r0 < s->rows; r0 += s->per) {
		size_t n = s->rows - r0 < s->per ? (size_t)(s->rows - r0) : s->per;
		kist_err err;
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		for (unsigned p = 1; p <= h->k; p++) {
			size_t len = span_len(s, p, r0, n);
			if ((err = kist__pread_full(fd, s->buf[p - 1], len, span_off(s, p, r0),
			                            "the vault")) != KIST_OK)
				return err;
			memset(s->buf[p - 1] + len, 0, n * h->block - len);
		}
		/* Coding is bytewise: the n rows of a span are encoded as one. */
		ec_encode_data((int)(n * h->block), (int)h->k, (int)h->m, j->tables, s->buf,
		               s->buf + h->k);
		for (unsigned p = 1; p <= s->total; p++)
			for (size_t i = 0; i < n; i++)
				kist__part_block_hash(j->manifest +
				                          ((uint64_t)(p - 1) * s->rows + r0 + i) *
				                              KIST__PART_HASH,
				                      s->buf[p - 1] + i * h->block,
				                      kist__part_block_len(h, p, r0 + i));
		if ((err = span_write(s, copy ? j->vo.fd : -1, j->so.fd, r0, n)) != KIST_OK)
			return err;
	}
	return KIST_OK;
#else
	(void)j, (void)fd, (void)copy;
	return kist__fail(KIST_E_FORMAT, "this build of kist has no parity (ISA-L)");
#endif
}

static kist_err write_setup(write_job *j)
{
	const kist__part_hdr *h = &j->h;
	kist_err err = span_init(&j->s, h);
	if (err != KIST_OK)
		return err;
	if ((j->manifest = calloc(1, kist__part_manifest_len(h))) == NULL ||
	    (j->tables = malloc((size_t)h->k * h->m * 32)) == NULL)
		return kist__nomem();
#ifdef KIST_HAVE_ISAL
	unsigned char *a = malloc((size_t)(h->k + h->m) * h->k);
	if (a == NULL)
		return kist__nomem();
	gf_gen_cauchy1_matrix(a, (int)(h->k + h->m), (int)h->k);
	ec_init_tables((int)h->k, (int)h->m, a + (size_t)h->k * h->k, j->tables);
	free(a);
#endif
	return KIST_OK;
}

kist_err kist_parity_write_fd(int fd, const char *vault_out, const char *parity_path,
                              unsigned percent, unsigned flags)
{
	write_job j;
	kist__os_stat st;
	kist_err err;

	memset(&j, 0, sizeof j);
	j.vo.fd = j.vo.slot = j.vo.dirfd = j.so.fd = j.so.slot = j.so.dirfd = -1;
	j.vdir = j.sdir = -1;
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	if (!kist_parts_have_parity())
		return kist__fail(KIST_E_FORMAT, "this build of kist has no parity (ISA-L)");
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE)
		return kist__fail(KIST_E_IO, "the vault is not a file");
	if ((err = kist__parity_geometry(&j.h, (uint64_t)st.size, percent)) != KIST_OK)
		return err;
	if ((err = out_open(&j.so, &j.sdir, parity_path, flags)) == KIST_OK && vault_out != NULL)
		err = out_open(&j.vo, &j.vdir, vault_out, flags);
	if (err == KIST_OK)
		err = write_setup(&j);
	if (err == KIST_OK)
		err = write_pass(&j, fd, vault_out != NULL);
	if (err == KIST_OK) {
		kist__sha256_oneshot(j.h.manifest_digest, j.manifest,
		                     kist__part_manifest_len(&j.h));
		err = write_meta(j.so.fd, &j.h, j.manifest);
	}
	if (err == KIST_OK)
		err = kist__outfile_finish(&j.so);
	if (err == KIST_OK && vault_out != NULL)
		err = kist__outfile_finish(&j.vo);
	/* Both or neither: the parity file first, removed again if the vault fails. */
	if (err == KIST_OK)
		err = kist__outfile_commit(&j.so, (flags & KIST_REPLACE) != 0, 0);
	if (err == KIST_OK && vault_out != NULL &&
	    (err = kist__outfile_commit(&j.vo, (flags & KIST_REPLACE) != 0, 0)) != KIST_OK) {
		const char *name;
		int d = -1;
		if (kist__open_parent(parity_path, &d, &name) == KIST_OK)
			kist__os_unlinkat(d, name, 0);
		if (d >= 0)
			kist__os_close(d);
	}
	if (err == KIST_OK) {
		kist__os_fsync(j.sdir);
		if (j.vdir >= 0)
			kist__os_fsync(j.vdir);
	}
	kist__outfile_abort(&j.so);
	kist__outfile_abort(&j.vo);
	if (j.sdir >= 0)
		kist__os_close(j.sdir);
	if (j.vdir >= 0)
		kist__os_close(j.vdir);
	span_free(&j.s);
	free(j.manifest);
	free(j.tables);
	return err;
}

kist_err kist_parity_write(const char *vault_path, const char *parity_path, unsigned percent,
                           unsigned flags)
{
	int fd = kist__part_open(vault_path);
	if (fd < 0)
		return kist__fail(KIST_E_IO, "%s: %s", vault_path, strerror(errno));
	kist_err err = kist_parity_write_fd(fd, NULL, parity_path, percent, flags);
	kist__os_close(fd);
	return err;
}

/* ------------------------------------------------------------ reading */

/* The header at the start, else its copy at the end of the file. */
static kist_err read_header(kist_parity *pp)
{
	unsigned char raw[KIST__PART_HDR];
	char first[512];
	kist_err e0 = KIST__PART_HDR <= pp->ssize
	                  ? kist__pread_full(pp->sfd, raw, sizeof raw, 0, "the parity file")
	                  : kist__fail(KIST_E_CORRUPT, "the parity file is truncated");
	if (e0 == KIST_OK)
		e0 = kist__parity_hdr_parse(&pp->hdr, raw);
	if (e0 == KIST_OK)
		return KIST_OK;
	snprintf(first, sizeof first, "%s", kist_errdetail());
	if (pp->ssize >= 2 * KIST__PART_HDR &&
	    kist__pread_full(pp->sfd, raw, sizeof raw, pp->ssize - KIST__PART_HDR,
	                     "the parity file") == KIST_OK &&
	    kist__parity_hdr_parse(&pp->hdr, raw) == KIST_OK)
		return KIST_OK;
	memset(&pp->hdr, 0, sizeof pp->hdr);
	return kist__fail(e0, "%s: %s", pp->spath, first);
}

/* The manifest from the first copy whose digest holds. */
static kist_err read_manifest(kist_parity *pp)
{
	const kist__part_hdr *h = &pp->hdr;
	uint64_t len = kist__part_manifest_len(h), at[2] = {KIST__PART_HDR, 0};
	unsigned char d[32];
	at[1] = kist__parity_tail_off(h);
	if ((pp->manifest = malloc(len)) == NULL)
		return kist__nomem();
	for (int i = 0; i < 2; i++) {
		if (kist__pread_full(pp->sfd, pp->manifest, len, at[i], "the manifest") != KIST_OK)
			continue;
		kist__sha256_oneshot(d, pp->manifest, len);
		if (sodium_memcmp(d, h->manifest_digest, 32) == 0) {
			kist__clear_detail();
			return KIST_OK;
		}
	}
	return kist__fail(KIST_E_CORRUPT, "%s: both copies of its manifest are damaged", pp->spath);
}

static const unsigned char *man_hash(const kist_parity *pp, unsigned p, uint64_t r)
{
	return pp->manifest + ((uint64_t)(p - 1) * kist__part_rows(&pp->hdr) + r) * KIST__PART_HASH;
}

/* A vault of another size whose first block differs: not this file's vault. */
static kist_err first_block(kist_parity *pp)
{
	const kist__part_hdr *h = &pp->hdr;
	unsigned char *b, hash[KIST__PART_HASH];
	uint32_t len = kist__part_block_len(h, 1, 0);
	if (pp->vsize == h->vlen)
		return KIST_OK;
	if ((b = malloc(h->block)) == NULL)
		return kist__nomem();
	int same = kist__pread_full(pp->vfd, b, len, 0, "the vault") == KIST_OK;
	kist__clear_detail();
	kist__part_block_hash(hash, b, len);
	same = same && sodium_memcmp(hash, man_hash(pp, 1, 0), KIST__PART_HASH) == 0;
	free(b);
	if (same)
		return KIST_OK;
	return kist__fail(KIST_E_CORRUPT,
	                  "%s is not the parity file of %s: it was made for a vault of %" PRIu64
	                  " bytes (this one has %" PRIu64 ") whose first block differs",
	                  pp->spath, pp->vpath, h->vlen, pp->vsize);
}

kist_err kist_parity_open(kist_parity **out, const char *vault_path, const char *parity_path)
{
	kist_parity *pp;
	kist__os_stat st;
	kist_err err = KIST_OK;
	*out = NULL;
	if ((pp = calloc(1, sizeof *pp)) == NULL)
		return kist__nomem();
	pp->vfd = pp->sfd = -1;
	if ((pp->vpath = strdup(vault_path)) == NULL || (pp->spath = strdup(parity_path)) == NULL)
		err = kist__nomem();
	else if ((pp->sfd = kist__part_open(parity_path)) < 0 || kist__os_fstat(pp->sfd, &st) != 0)
		err = kist__fail(KIST_E_IO, "%s: %s", parity_path, strerror(errno));
	if (err == KIST_OK) {
		pp->ssize = (uint64_t)st.size;
		if ((err = read_header(pp)) == KIST_OK)
			err = read_manifest(pp);
	}
	if (err == KIST_OK &&
	    ((pp->vfd = kist__part_open(vault_path)) < 0 || kist__os_fstat(pp->vfd, &st) != 0))
		err = kist__fail(KIST_E_IO, "%s: %s", vault_path, strerror(errno));
	if (err == KIST_OK) {
		pp->vsize = (uint64_t)st.size;
		err = first_block(pp);
	}
	if (err == KIST_OK &&
	    (pp->bad = calloc(pp->hdr.k + pp->hdr.m, kist__part_rows(&pp->hdr))) == NULL)
		err = kist__nomem();
	if (err != KIST_OK) {
		kist_parity_free(pp);
		return err;
	}
	*out = pp;
	return KIST_OK;
}

void kist_parity_free(kist_parity *pp)
{
	if (pp == NULL)
		return;
	if (pp->vfd >= 0)
		kist__os_close(pp->vfd);
	if (pp->sfd >= 0)
		kist__os_close(pp->sfd);
	free(pp->vpath);
	free(pp->spath);
	free(pp->manifest);
	free(pp->bad);
	free(pp->range);
	free(pp);
}

/* Both header copies, both manifest copies and the size as written. */
static int meta_intact(kist_parity *pp, unsigned char *buf, size_t cap)
{
	const kist__part_hdr *h = &pp->hdr;
	uint64_t man = kist__part_manifest_len(h), tail = kist__parity_tail_off(h);
	unsigned char want[KIST__PART_HDR];
	uint64_t at[2] = {KIST__PART_HDR, tail};
	int ok = pp->ssize == kist__parity_file_len(h);
	kist__parity_hdr_encode(want, h);
	for (int i = 0; ok && i < 2; i++)
		ok = kist__pread_full(pp->sfd, buf, KIST__PART_HDR, i ? tail + man : 0, "header") ==
		         KIST_OK &&
		     memcmp(buf, want, KIST__PART_HDR) == 0;
	for (int i = 0; ok && i < 2; i++)
		for (uint64_t o = 0; ok && o < man; o += cap) {
			size_t n = man - o < cap ? (size_t)(man - o) : cap;
			ok = kist__pread_full(pp->sfd, buf, n, at[i] + o, "manifest") == KIST_OK &&
			     memcmp(buf, pp->manifest + o, n) == 0;
		}
	kist__clear_detail();
	return ok;
}

/* The damaged blocks of the vault as byte ranges, adjacent ones merged. */
static kist_err make_ranges(kist_parity *pp)
{
	const kist__part_hdr *h = &pp->hdr;
	uint64_t rows = kist__part_rows(h), n = 0, end = UINT64_MAX;
	free(pp->range);
	pp->range = NULL;
	pp->nrange = 0;
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		end = UINT64_MAX;
		for (unsigned p = 1; p <= h->k; p++)
			for (uint64_t r = 0; r < rows; r++) {
				uint32_t len = kist__part_block_len(h, p, r);
				uint64_t off = (uint64_t)(p - 1) * h->col + r * h->block;
				if (!pp->bad[(uint64_t)(p - 1) * rows + r] || len == 0)
					continue;
				if (off != end)
					n++;
				if (pass == 1 && off != end)
					pp->range[2 * (n - 1)] = off,
					                   pp->range[2 * (n - 1) + 1] = 0;
				if (pass == 1)
					pp->range[2 * (n - 1) + 1] += len;
				end = off + len;
			}
		if (pass == 0 && n > 0 && (pp->range = calloc(n, 2 * sizeof *pp->range)) == NULL)
			return kist__nomem();
	}
	pp->nrange = (size_t)n;
	return KIST_OK;
}

/* Counts per part kind and per stripe, once every block is marked. */
static void tally(kist_parity *pp)
{
	const kist__part_hdr *h = &pp->hdr;
	uint64_t rows = kist__part_rows(h);
	pp->nbad_vault = pp->nbad_parity = pp->nbad_stripes = 0;
	pp->worst = 0;
	for (uint64_t r = 0; r < rows; r++) {
		unsigned lost = 0;
		for (unsigned p = 1; p <= h->k + h->m; p++) {
			if (!pp->bad[(uint64_t)(p - 1) * rows + r])
				continue;
			lost++;
			if (p <= h->k)
				pp->nbad_vault++;
			else
				pp->nbad_parity++;
		}
		pp->nbad_stripes += lost > 0;
		if (lost > pp->worst)
			pp->worst = lost;
	}
}

kist_err kist_parity_check(kist_parity *pp, kist_progress_fn fn, void *ctx)
{
	const kist__part_hdr *h = &pp->hdr;
	uint64_t done = 0, total = h->vlen + (uint64_t)h->m * h->col, matched = 0;
	span s;
	kist_err err = span_init(&s, h);
	s.hash = pp->manifest;
	pp->checked = 0;
	for (uint64_t r0 = 0; err == KIST_OK && r0 < s.rows; r0 += s.per) {
		size_t n = s.rows - r0 < s.per ? (size_t)(s.rows - r0) : s.per;
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			break;
		}
		if ((err = span_read(&s, pp->vfd, pp->sfd, r0, n, 1)) != KIST_OK)
			break;
		for (unsigned p = 1; p <= s.total; p++) {
			for (size_t i = 0; i < n; i++) {
				unsigned char b = s.bad[(size_t)(p - 1) * s.per + i];
				pp->bad[(uint64_t)(p - 1) * s.rows + r0 + i] = b;
				matched +=
				    p <= h->k && !b && kist__part_block_len(h, p, r0 + i) > 0;
			}
			done += span_len(&s, p, r0, n);
		}
		if (fn != NULL)
			fn(ctx, done, total);
	}
	if (err == KIST_OK && matched == 0)
		err = kist__fail(KIST_E_CORRUPT,
		                 "%s is not the parity file of %s: no block of the vault matches "
		                 "it (another vault's, or this vault is destroyed)",
		                 pp->spath, pp->vpath);
	if (err == KIST_OK) {
		pp->meta_bad = !meta_intact(pp, s.buf[0], s.per * h->block);
		tally(pp);
		err = make_ranges(pp);
	}
	span_free(&s);
	pp->checked = err == KIST_OK;
	return err;
}

void kist_parity_get_info(const kist_parity *pp, kist_parity_info *out)
{
	const kist__part_hdr *h = &pp->hdr;
	memset(out, 0, sizeof *out);
	out->columns = h->k;
	out->parity = h->m;
	out->block = h->block;
	out->column_len = h->col;
	out->vault_size = h->vlen;
	out->vault_file_size = pp->vsize;
	if (!pp->checked)
		return;
	out->bad_vault_blocks = pp->nbad_vault;
	out->bad_parity_blocks = pp->nbad_parity;
	out->bad_stripes = pp->nbad_stripes;
	out->worst_stripe = pp->worst;
	out->vault_damaged = pp->nbad_vault > 0 || pp->vsize != h->vlen;
	out->parity_damaged = pp->nbad_parity > 0 || pp->meta_bad;
	out->repairable = pp->worst <= h->m;
}

size_t kist_parity_range_count(const kist_parity *pp)
{
	return pp->nrange;
}

void kist_parity_range(const kist_parity *pp, size_t i, uint64_t *off, uint64_t *len)
{
	*off = i < pp->nrange ? pp->range[2 * i] : 0;
	*len = i < pp->nrange ? pp->range[2 * i + 1] : 0;
}

/* ------------------------------------------------------------ repair */

typedef struct repair_out {
	kist__outfile o;
	int dirfd;
	char *path;
	int replace;
} repair_out;

static int same_file(const char *a, const char *b)
{
	kist__os_stat x, y;
	return kist__os_fstatat(KIST__OS_CWD, a, &x, 0) == 0 &&
	       kist__os_fstatat(KIST__OS_CWD, b, &y, 0) == 0 && kist__os_same_file(&x, &y);
}

/* Where a rebuilt file goes, and whether what is there may be replaced. */
static kist_err target(repair_out *t, const char *src, const char *other, const char *out_dir,
                       unsigned flags)
{
	kist__os_stat st;
	const char *name;
	const char *slash = strrchr(src, '/');
	size_t len = (out_dir ? strlen(out_dir) + 1 : 0) + strlen(src) + 1;
	if ((t->path = malloc(len)) == NULL)
		return kist__nomem();
	if (out_dir != NULL)
		snprintf(t->path, len, "%s/%s", out_dir, slash ? slash + 1 : src);
	else
		snprintf(t->path, len, "%s", src);
	t->replace = out_dir == NULL;
	if (out_dir != NULL &&
	    kist__os_fstatat(KIST__OS_CWD, t->path, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		if (same_file(t->path, other))
			return kist__fail(KIST_E_EXISTS,
			                  "%s is the intact file: it is not replaced", t->path);
		if (!(flags & KIST_REPLACE))
			return kist__fail(KIST_E_EXISTS, "%s exists", t->path);
		t->replace = 1;
	}
	kist_err err = kist__open_parent(t->path, &t->dirfd, &name);
	return err == KIST_OK ? kist__outfile_open(&t->o, t->dirfd, name) : err;
}

#ifdef KIST_HAVE_ISAL
typedef struct rebuild {
	const kist_parity *pp;
	unsigned char *enc, *tables;
	unsigned src[KIST__PART_MAX_KM], er[KIST__PART_MAX_KM], nerr;
	int have;
} rebuild;

/* Rebuilds the damaged blocks of row i of the span (stripe r0 + i) in place. */
static kist_err rebuild_row(rebuild *rb, span *s, uint64_t r0, size_t i)
{
	const kist__part_hdr *h = s->h;
	unsigned src[KIST__PART_MAX_KM], er[KIST__PART_MAX_KM], ns = 0, ne = 0;
	unsigned char *in[KIST__PART_MAX_KM], *outp[KIST__PART_MAX_KM], got[KIST__PART_HASH];
	kist_err err;
	for (unsigned p = 1; p <= s->total; p++) {
		if (s->bad[(size_t)(p - 1) * s->per + i])
			er[ne++] = p;
		else if (ns < h->k)
			src[ns++] = p;
	}
	if (ne == 0)
		return KIST_OK;
	if (ne > h->m || ns < h->k)
		return kist__fail(KIST_E_CORRUPT,
		                  "stripe %" PRIu64 " lost %u blocks; the parity rebuilds %u",
		                  r0 + i, ne, h->m);
	if (!rb->have || ne != rb->nerr || memcmp(er, rb->er, ne * sizeof *er) != 0 ||
	    memcmp(src, rb->src, h->k * sizeof *src) != 0) {
		memcpy(rb->er, er, ne * sizeof *er);
		memcpy(rb->src, src, h->k * sizeof *src);
		rb->nerr = ne;
		rb->have = 0;
		if ((err = kist__rs_decode_tables(h->k, rb->enc, src, er, ne, rb->tables)) !=
		    KIST_OK)
			return err;
		rb->have = 1;
	}
	for (unsigned t = 0; t < h->k; t++)
		in[t] = s->buf[src[t] - 1] + i * h->block;
	for (unsigned e = 0; e < ne; e++)
		outp[e] = s->buf[er[e] - 1] + i * h->block;
	ec_encode_data((int)h->block, (int)h->k, (int)ne, rb->tables, in, outp);
	for (unsigned e = 0; e < ne; e++) {
		kist__part_block_hash(got, outp[e], kist__part_block_len(h, er[e], r0 + i));
		if (sodium_memcmp(got, man_hash(rb->pp, er[e], r0 + i), KIST__PART_HASH) != 0)
			return kist__fail(KIST_E_CORRUPT,
			                  "stripe %" PRIu64 " rebuilt wrong: the files disagree",
			                  r0 + i);
	}
	return KIST_OK;
}

/* Every stripe read again, its damaged blocks rebuilt, the outputs written. */
static kist_err repair_pass(kist_parity *pp, repair_out *vo, repair_out *so)
{
	const kist__part_hdr *h = &pp->hdr;
	rebuild rb;
	span s;
	kist_err err = span_init(&s, h);
	memset(&rb, 0, sizeof rb);
	rb.pp = pp;
	s.hash = pp->manifest;
	if (err == KIST_OK && ((rb.enc = malloc((size_t)(h->k + h->m) * h->k)) == NULL ||
	                       (rb.tables = malloc((size_t)h->k * h->m * 32)) == NULL))
		err = kist__nomem();
	if (err == KIST_OK)
		gf_gen_cauchy1_matrix(rb.enc, (int)(h->k + h->m), (int)h->k);
	for (uint64_t r0 = 0; err == KIST_OK && r0 < s.rows; r0 += s.per) {
		size_t n = s.rows - r0 < s.per ? (size_t)(s.rows - r0) : s.per;
		if (kist__interrupted)
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
		else
			err = span_read(&s, pp->vfd, pp->sfd, r0, n, 1);
		for (size_t i = 0; err == KIST_OK && i < n; i++)
			err = rebuild_row(&rb, &s, r0, i);
		if (err == KIST_OK)
			err = span_write(&s, vo ? vo->o.fd : -1, so ? so->o.fd : -1, r0, n);
	}
	span_free(&s);
	free(rb.enc);
	free(rb.tables);
	return err;
}
#endif

static void out_free(repair_out *t)
{
	kist__outfile_abort(&t->o);
	if (t->dirfd >= 0)
		kist__os_close(t->dirfd);
	free(t->path);
}

kist_err kist_parity_repair(kist_parity *pp, const char *out_dir, unsigned flags,
                            kist_warn_fn done_fn, void *ctx)
{
	kist_parity_info in;
	repair_out vo, so;
	kist_err err = KIST_OK;
	if (!pp->checked)
		return kist__fail(KIST_E_ARG, "internal: repair before check");
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	kist_parity_get_info(pp, &in);
	if (!in.vault_damaged && !in.parity_damaged)
		return KIST_OK;
	if (!in.repairable)
		return kist__fail(KIST_E_CORRUPT,
		                  "too much is lost: a stripe lost %u blocks; the parity rebuilds "
		                  "%u per stripe",
		                  in.worst_stripe, in.parity);
	if (!kist_parts_have_parity())
		return kist__fail(KIST_E_FORMAT, "this build of kist has no parity (ISA-L)");
	memset(&vo, 0, sizeof vo);
	memset(&so, 0, sizeof so);
	vo.o.fd = vo.o.slot = vo.o.dirfd = vo.dirfd = -1;
	so.o.fd = so.o.slot = so.o.dirfd = so.dirfd = -1;
	if (in.vault_damaged)
		err = target(&vo, pp->vpath, pp->spath, out_dir, flags);
	if (err == KIST_OK && in.parity_damaged)
		err = target(&so, pp->spath, pp->vpath, out_dir, flags);
#ifdef KIST_HAVE_ISAL
	if (err == KIST_OK)
		err =
		    repair_pass(pp, in.vault_damaged ? &vo : NULL, in.parity_damaged ? &so : NULL);
#endif
	if (err == KIST_OK && in.parity_damaged)
		err = write_meta(so.o.fd, &pp->hdr, pp->manifest);
	if (err == KIST_OK && in.vault_damaged)
		err = kist__outfile_finish(&vo.o);
	if (err == KIST_OK && in.parity_damaged)
		err = kist__outfile_finish(&so.o);
	if (err == KIST_OK && in.vault_damaged &&
	    (err = kist__outfile_commit(&vo.o, vo.replace, 0)) == KIST_OK) {
		kist__os_fsync(vo.dirfd);
		if (done_fn != NULL)
			done_fn(ctx, vo.path, "rebuilt the vault");
	}
	if (err == KIST_OK && in.parity_damaged &&
	    (err = kist__outfile_commit(&so.o, so.replace, 0)) == KIST_OK) {
		kist__os_fsync(so.dirfd);
		if (done_fn != NULL)
			done_fn(ctx, so.path, "rebuilt the parity file");
	}
	out_free(&vo);
	out_free(&so);
	return err;
}
