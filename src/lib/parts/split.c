/*
 * Cutting a vault into a part set (kist_split): one pass over the vault in
 * stripes hashes every block and, with parity, encodes the parity blocks;
 * a second pass copies each data part's slice.  Memory: (k + m) blocks.
 * Every part is written under a temporary name; all are renamed at the end.
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

int kist_parts_have_parity(void)
{
#ifdef KIST_HAVE_ISAL
	return 1;
#else
	return 0;
#endif
}

typedef struct split_job {
	kist__part_hdr h;
	int vfd;          /* the vault */
	int dirfd;        /* the parts' folder */
	const char *base; /* their base name, in dirfd */
	unsigned total;
	kist__outfile *out; /* [1..total] */
	unsigned char *manifest;
	unsigned char **blk; /* [0..total): stripe buffers of B bytes */
	unsigned char *tables;
} split_job;

/* Copies len bytes of the vault from off to fd (kist__os_copy_range, else read/write). */
static kist_err copy_range(int vfd, uint64_t off, uint64_t len, int fd, unsigned char *buf,
                           size_t cap)
{
	uint64_t in = off;
	int fallback = 0;
	while (len > 0) {
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		size_t want = len > (1u << 30) ? (1u << 30) : (size_t)len;
		if (!fallback) {
			ptrdiff_t n = kist__os_copy_range(vfd, &in, fd, want);
			if (n > 0) {
				len -= (uint64_t)n;
				continue;
			}
			if (n == 0)
				return kist__fail(KIST_E_IO, "the vault shrank while it was split");
			if (errno == EINTR)
				continue;
			if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
			    errno != EOPNOTSUPP && errno != EBADF)
				return kist__fail(kist__errno_err(errno), "copying: %s",
				                  strerror(errno));
			fallback = 1;
		}
		if (want > cap)
			want = cap;
		kist_err err = kist__pread_full(vfd, buf, want, in, "vault");
		if (err == KIST_OK)
			err = kist__write_full(fd, buf, want, "part");
		if (err != KIST_OK)
			return err;
		in += want;
		len -= want;
	}
	return KIST_OK;
}

/* Pass 1: every stripe read once; block hashes, and parity when m > 0. */
static kist_err stripe_pass(split_job *j)
{
	const kist__part_hdr *h = &j->h;
	uint64_t rows = kist__part_rows(h);
	for (uint64_t r = 0; r < rows; r++) {
		if (kist__interrupted)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		for (unsigned p = 1; p <= h->k; p++) {
			uint32_t len = kist__part_block_len(h, p, r);
			kist_err err = KIST_OK;
			if (len > 0)
				err = kist__pread_full(j->vfd, j->blk[p - 1], len,
				                       (uint64_t)(p - 1) * h->col + r * h->block,
				                       "vault");
			if (err != KIST_OK)
				return err;
			memset(j->blk[p - 1] + len, 0, h->block - len);
			kist__part_block_hash(j->manifest + ((p - 1) * rows + r) * KIST__PART_HASH,
			                      j->blk[p - 1], len);
		}
		if (h->m == 0)
			continue;
#ifdef KIST_HAVE_ISAL
		ec_encode_data((int)h->block, (int)h->k, (int)h->m, j->tables, j->blk,
		               j->blk + h->k);
#endif
		for (unsigned i = 0; i < h->m; i++) {
			unsigned p = h->k + 1 + i;
			kist_err err;
			if (kist__os_seek(j->out[p].fd, KIST__PART_HDR + (int64_t)(r * h->block),
			                  KIST__OS_SEEK_SET) < 0)
				return kist__fail(KIST_E_IO, "seek: %s", strerror(errno));
			if ((err = kist__write_full(j->out[p].fd, j->blk[p - 1], h->block,
			                            "part")) != KIST_OK)
				return err;
			kist__part_block_hash(j->manifest + ((p - 1) * rows + r) * KIST__PART_HASH,
			                      j->blk[p - 1], h->block);
		}
	}
	return KIST_OK;
}

/* Pass 2: header, slice (data parts) and manifest of every part, fsynced. */
static kist_err write_parts(split_job *j)
{
	const kist__part_hdr *h = &j->h;
	uint64_t man = kist__part_manifest_len(h);
	unsigned char raw[KIST__PART_HDR];
	kist_err err = KIST_OK;
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++) {
		kist__part_hdr self = *h;
		char name[512];
		self.number = p;
		kist__part_hdr_encode(raw, &self);
		if (p <= h->k) {
			if ((err = kist__part_name(name, sizeof name, j->base, p, j->total)) ||
			    (err = kist__outfile_open(&j->out[p], j->dirfd, name)) ||
			    (err = kist__write_full(j->out[p].fd, raw, sizeof raw, "part")) ||
			    (err = copy_range(j->vfd, (uint64_t)(p - 1) * h->col,
			                      kist__part_payload_len(h, p), j->out[p].fd, j->blk[0],
			                      h->block)))
				break;
		} else {
			if (kist__os_pwrite(j->out[p].fd, raw, sizeof raw, 0) !=
			        (ptrdiff_t)sizeof raw ||
			    kist__os_seek(j->out[p].fd, KIST__PART_HDR + (int64_t)h->col,
			                  KIST__OS_SEEK_SET) < 0) {
				err = kist__fail(kist__errno_err(errno), "writing a part: %s",
				                 strerror(errno));
				break;
			}
		}
		if ((err = kist__write_full(j->out[p].fd, j->manifest, man, "part")) == KIST_OK)
			err = kist__outfile_finish(&j->out[p]);
	}
	return err;
}

/* Renames every part to its name; on failure removes those already renamed. */
static kist_err commit_parts(split_job *j, unsigned flags)
{
	unsigned done = 0;
	kist_err err = KIST_OK;
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++) {
		if ((err = kist__outfile_commit(&j->out[p], (flags & KIST_REPLACE) != 0, 0)) ==
		    KIST_OK)
			done = p;
	}
	if (err != KIST_OK) {
		for (unsigned p = 1; p <= done; p++) {
			char name[512];
			if (kist__part_name(name, sizeof name, j->base, p, j->total) == KIST_OK)
				kist__os_unlinkat(j->dirfd, name, 0);
		}
	}
	kist__os_fsync(j->dirfd);
	return err;
}

/* Refuses before any work when a part name is taken (unless replacing). */
static kist_err names_free(split_job *j, unsigned flags)
{
	kist__os_stat st;
	char name[512];
	for (unsigned p = 1; p <= j->total; p++) {
		kist_err err = kist__part_name(name, sizeof name, j->base, p, j->total);
		if (err != KIST_OK)
			return err;
		if (kist__os_fstatat(j->dirfd, name, &st, KIST__OS_STAT_NOFOLLOW) == 0) {
			if (!(flags & KIST_REPLACE))
				return kist__fail(KIST_E_EXISTS, "%s already exists", name);
			if (st.type != KIST__OS_FILE)
				return kist__fail(KIST_E_EXISTS, "%s exists and is not a file",
				                  name);
		}
	}
	return KIST_OK;
}

static kist_err split_setup(split_job *j, unsigned flags)
{
	const kist__part_hdr *h = &j->h;
	kist_err err;
	j->total = h->k + h->m;
	if ((err = names_free(j, flags)) != KIST_OK)
		return err;
	j->out = calloc(j->total + 1, sizeof *j->out);
	j->manifest = calloc(1, kist__part_manifest_len(h));
	j->blk = calloc(j->total, sizeof *j->blk);
	if (j->out == NULL || j->manifest == NULL || j->blk == NULL)
		return kist__nomem();
	for (unsigned p = 0; p <= j->total; p++)
		j->out[p].fd = -1, j->out[p].slot = -1, j->out[p].dirfd = j->dirfd;
	for (unsigned i = 0; i < j->total; i++)
		if ((j->blk[i] = malloc(h->block)) == NULL)
			return kist__nomem();
	if (h->m == 0)
		return KIST_OK;
#ifdef KIST_HAVE_ISAL
	unsigned char *a = malloc((size_t)j->total * h->k);
	if (a == NULL || (j->tables = malloc((size_t)h->k * h->m * 32)) == NULL) {
		free(a);
		return kist__nomem();
	}
	gf_gen_cauchy1_matrix(a, (int)j->total, (int)h->k);
	ec_init_tables((int)h->k, (int)h->m, a + (size_t)h->k * h->k, j->tables);
	free(a);
#endif
	for (unsigned p = h->k + 1; p <= j->total; p++) {
		char name[512];
		if ((err = kist__part_name(name, sizeof name, j->base, p, j->total)) ||
		    (err = kist__outfile_open(&j->out[p], j->dirfd, name)))
			return err;
	}
	return KIST_OK;
}

static void split_free(split_job *j)
{
	for (unsigned p = 0; j->out != NULL && p <= j->total; p++)
		if (j->out[p].final != NULL || j->out[p].fd >= 0)
			kist__outfile_abort(&j->out[p]);
	for (unsigned i = 0; j->blk != NULL && i < j->total; i++)
		free(j->blk[i]);
	free(j->blk);
	free(j->out);
	free(j->manifest);
	free(j->tables);
}

kist_err kist_split_fd(int vfd, const char *base, uint64_t part_size, unsigned parity,
                       unsigned flags, unsigned *nparts)
{
	split_job j;
	kist__os_stat st;
	kist_err err;

	memset(&j, 0, sizeof j);
	j.vfd = vfd;
	j.dirfd = -1;
	if (nparts != NULL)
		*nparts = 0;
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	if (parity > 0 && !kist_parts_have_parity())
		return kist__fail(KIST_E_FORMAT, "this build of kist has no parity (ISA-L)");
	if (parity > KIST__PART_MAX_KM - 1)
		return kist__fail(KIST_E_ARG, "at most %u parity parts", KIST__PART_MAX_KM - 1);
	if (kist__os_fstat(vfd, &st) != 0 || st.type != KIST__OS_FILE)
		return kist__fail(KIST_E_IO, "the vault is not a file");
	if ((err = kist__part_geometry(&j.h, (uint64_t)st.size, part_size, parity)) ||
	    (err = kist__open_parent(base, &j.dirfd, &j.base)))
		return err;
	randombytes_buf(j.h.tag, sizeof j.h.tag);
	if ((err = split_setup(&j, flags)) == KIST_OK && (err = stripe_pass(&j)) == KIST_OK) {
		kist__sha256_oneshot(j.h.manifest_digest, j.manifest,
		                     kist__part_manifest_len(&j.h));
		if ((err = write_parts(&j)) == KIST_OK)
			err = commit_parts(&j, flags);
	}
	if (err == KIST_OK && nparts != NULL)
		*nparts = j.total;
	split_free(&j);
	kist__os_close(j.dirfd);
	return err;
}

kist_err kist_split(const char *vault_path, const char *base, uint64_t part_size, unsigned parity,
                    unsigned flags, unsigned *nparts)
{
	int fd = kist__os_open(vault_path, KIST__OS_RDONLY | KIST__OS_NOFOLLOW, 0);
	if (fd < 0)
		return kist__fail(KIST_E_IO, "%s: %s", vault_path, strerror(errno));
	kist_err err = kist_split_fd(fd, base, part_size, parity, flags, nparts);
	kist__os_close(fd);
	return err;
}
