/*
 * A vault's bytes, from one file or read in place from the data parts of a
 * part set (found beside the part named), so that every verb that opens a
 * vault takes any one part's name.  Reads across parts are stitched here;
 * the vault's own authentication covers every byte read.
 */
#include "parts/parts.h"
#include "os/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void kist__source_plain(kist__source *s, int fd, uint64_t size)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->size = size;
}

static kist_err open_parts(kist__source *s, const char *path)
{
	kist_partset *ps = NULL;
	kist_err err = kist_partset_open(&ps, &path, 1, 1);
	if (err != KIST_OK)
		return err;
	const kist__part_hdr *h = &ps->hdr;
	if ((s->fds = malloc(h->k * sizeof *s->fds)) == NULL) {
		kist_partset_free(ps);
		return kist__nomem();
	}
	for (unsigned j = 0; j < h->k; j++)
		s->fds[j] = -1;
	s->nfds = h->k;
	s->col = h->col;
	s->size = h->vlen;
	for (unsigned p = 1; p <= h->k && err == KIST_OK; p++) {
		kist__os_stat st;
		if (ps->path[p] == NULL) {
			err = kist__fail(
			    KIST_E_CORRUPT, "part %u of %u of this split vault is missing%s", p,
			    ps->total, h->m ? " (the parity parts can rebuild it)" : "");
		} else if ((s->fds[p - 1] = kist__part_open(ps->path[p])) < 0) {
			err = kist__fail(kist__errno_err(errno), "%s: %s", ps->path[p],
			                 strerror(errno));
		} else if (kist__os_fstat(s->fds[p - 1], &st) != 0 ||
		           (uint64_t)st.size < KIST__PART_HDR + kist__part_payload_len(h, p)) {
			err = kist__fail(KIST_E_CORRUPT,
			                 "part %u of %u of this split vault is truncated", p,
			                 ps->total);
		}
	}
	kist_partset_free(ps);
	return err;
}

kist_err kist__source_open(kist__source *s, const char *path)
{
	kist__os_stat st;
	unsigned char magic[8];
	memset(s, 0, sizeof *s);
	s->fd = kist__os_open(path, KIST__OS_RDONLY, 0);
	if (s->fd < 0)
		return kist__fail(kist__errno_err(errno), "%s", strerror(errno));
	if (kist__os_fstat(s->fd, &st) != 0 || st.type != KIST__OS_FILE) {
		kist__source_close(s);
		return kist__fail(KIST_E_FORMAT, "not a regular file");
	}
	s->size = (uint64_t)st.size;
	if (kist__os_pread(s->fd, magic, sizeof magic, 0) != (ptrdiff_t)sizeof magic ||
	    !kist__part_magic(magic, sizeof magic))
		return KIST_OK;
	kist__os_close(s->fd);
	s->fd = -1;
	kist_err err = open_parts(s, path);
	if (err != KIST_OK)
		kist__source_close(s);
	return err;
}

void kist__source_close(kist__source *s)
{
	if (s->fd >= 0)
		kist__os_close(s->fd);
	s->fd = -1;
	for (unsigned j = 0; j < s->nfds; j++)
		if (s->fds[j] >= 0)
			kist__os_close(s->fds[j]);
	free(s->fds);
	s->fds = NULL;
	s->nfds = 0;
}

kist_err kist__source_pread(const kist__source *s, void *buf, size_t len, uint64_t off,
                            const char *what)
{
	unsigned char *p = buf;
	if (s->fds == NULL)
		return kist__pread_full(s->fd, buf, len, off, what);
	if (off > s->size || len > s->size - off)
		return kist__fail(KIST_E_CORRUPT, "%s: read past the end of the vault", what);
	while (len > 0) {
		uint64_t j = off / s->col, within = off % s->col;
		size_t n = s->col - within < len ? (size_t)(s->col - within) : len;
		kist_err err = kist__pread_full(s->fds[j], p, n, KIST__PART_HDR + within, what);
		if (err != KIST_OK)
			return err;
		p += n;
		off += n;
		len -= n;
	}
	return KIST_OK;
}

static kist_err source_read(const void *ctx, void *buf, size_t len, uint64_t off, const char *what)
{
	return kist__source_pread(ctx, buf, len, off, what);
}

kist_err kist__source_sha256(const kist__source *s, const char *what, unsigned char out[32])
{
	if (s->fds == NULL)
		return kist__fd_sha256(s->fd, s->size, what, out);
	return kist__read_sha256(source_read, s, s->size, what, out);
}
