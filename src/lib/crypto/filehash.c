/*
 * The SHA-256 of a vault file as a whole: what a sender sends by another
 * channel so that the receiver can tell the file is the one that was sealed.
 */
#include "crypto/crypto.h"
#include "vault/vault.h" /* TEMPORARY: struct kist_vault (issue 14, step 3) */

#include <stdlib.h>
#include <sys/stat.h>

#define BLOCK (1u << 20)

kist_err kist_vault_file_sha256(kist_vault *v, unsigned char out[32])
{
	kist__sha256 *h = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	kist_err err;

	if (fstat(v->fd, &st) != 0 || (uint64_t)st.st_size != v->file_size)
		return kist__fail(KIST_E_IO, "the vault file changed size since it was opened");
	if ((err = kist__sha256_new(&h)) != KIST_OK)
		return err;
	if ((buf = malloc(BLOCK)) == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of memory");
		goto out;
	}
	for (uint64_t off = 0; off < v->file_size;) {
		size_t n = v->file_size - off < BLOCK ? (size_t)(v->file_size - off) : BLOCK;
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			goto out;
		}
		if ((err = kist__pread_full(v->fd, buf, n, off, "vault")) != KIST_OK)
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
