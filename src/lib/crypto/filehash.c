/*
 * The SHA-256 of a whole file read through a descriptor: for a vault, what a
 * sender sends by another channel so that the receiver can tell the file is
 * the one that was sealed (kist_vault_file_sha256 in vault.c).
 */
#include "crypto/crypto.h"
#include "os/os.h"

#include <stdlib.h>

#define BLOCK (1u << 20)

kist_err kist__read_sha256(kist__read_fn read, const void *ctx, uint64_t size, const char *what,
                           unsigned char out[32])
{
	kist__sha256 *h = NULL;
	unsigned char *buf = NULL;
	kist_err err;

	if ((err = kist__sha256_new(&h)) != KIST_OK)
		return err;
	if ((buf = malloc(BLOCK)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < BLOCK ? (size_t)(size - off) : BLOCK;
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			goto out;
		}
		if ((err = read(ctx, buf, n, off, what)) != KIST_OK)
			goto out;
		kist__sha256_update(h, buf, n);
		off += n;
	}
	kist__sha256_final(h, out);
	err = KIST_OK;
out:
	free(buf);
	kist__sha256_free(h);
	return err;
}

static kist_err fd_read(const void *ctx, void *buf, size_t len, uint64_t off, const char *what)
{
	return kist__pread_full(*(const int *)ctx, buf, len, off, what);
}

kist_err kist__fd_sha256(int fd, uint64_t size, const char *what, unsigned char out[32])
{
	kist__os_stat st;
	if (kist__os_fstat(fd, &st) != 0 || st.size != size)
		return kist__fail(KIST_E_IO, "the %s file changed size since it was opened", what);
	return kist__read_sha256(fd_read, &fd, size, what, out);
}
