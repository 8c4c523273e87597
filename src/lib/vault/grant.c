/*
 * Granting a recipient later (version 2): a new header wrapping the same
 * K_r for more recipients, with a signed grant record, before the body
 * copied byte for byte.  No content chunk is decrypted or re-encrypted, and
 * the sealer's signature, which covers what a grant does not change, still
 * verifies.  FORMAT.md, "Grant records".
 */

#include "vault/vault.h"
#include "os/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

size_t kist_vault_grant_count(const kist_vault *v)
{
	return v->ngrants;
}

kist_err kist_vault_grant_get(const kist_vault *v, size_t i, kist_grant_info *out)
{
	if (i >= v->ngrants)
		return kist__fail(KIST_E_ARG, "no grant %zu", i + 1);
	out->time = v->grants[i].time;
	out->granter = v->grants[i].granter;
	out->key_count = v->grants[i].nkeys;
	out->keys = v->grants[i].keys;
	return KIST_OK;
}

/* The new header: the old slots, the granted recipients' slots, the record. */
static kist_err grant_header(const kist_vault *v, const kist_identity *granter,
                             const kist_pubkey *keys, size_t n, unsigned char **out, size_t *outlen)
{
	kist__grant *g = NULL;
	unsigned char core[32], *slots = NULL;
	size_t old = v->hdr.slots_len, rlen = n * (8 + KIST_SLOT_X25519_BODY), glen = 0;
	kist_err err;

	if (v->hdr.slot_count + n + 1 > KIST_MAX_RECIPIENTS || v->ngrants + 1 > KIST_GRANTS_MAX)
		return kist__fail(KIST_E_LIMIT, "the header has no room for more grants");
	g = calloc(1, sizeof *g);
	slots = malloc(old + rlen + 8 + KIST_SLOT_BODY_MAX);
	if (g == NULL || slots == NULL) {
		err = kist__nomem();
		goto out;
	}
	memcpy(slots, v->hdr.slots, old);
	if ((err = kist__recipient_slots(slots + old, v->keys->slot_key, keys, n)) != KIST_OK)
		goto out;
	g->time = (int64_t)time(NULL);
	g->nkeys = n;
	memcpy(g->keys, keys, n * sizeof *keys);
	if (v->ngrants > 0)
		memcpy(g->prev, v->grants[v->ngrants - 1].digest, 32);
	kist__core_digest(core, &v->hdr, &v->trailer, v->meta.recipients);
	if ((err = kist__grant_seal(slots + old + rlen, &glen, (unsigned)v->ngrants, g, granter,
	                            core, slots + old, rlen, v->keys->grant)) != KIST_OK)
		goto out;
	err = kist__header_assemble(out, outlen, v->hdr.salt, slots, old + rlen + glen,
	                            v->hdr.slot_count + (unsigned)n + 1, v->keys);
out:
	free(g);
	free(slots);
	return err;
}

/* The body (everything after the header), copied: by the kernel where it can. */
static kist_err copy_body(const kist_vault *v, int fd, const char *out_path)
{
	uint64_t off = v->header_len, end = v->file_size;
	unsigned char *buf = NULL;
	kist_err err = KIST_OK;

	if (v->src.fd >= 0) {
		uint64_t in = off;
		while ((uint64_t)in < end) {
			if (kist__interrupted)
				return kist__fail(KIST_E_INTERRUPTED, "interrupted");
			size_t want = end - (uint64_t)in > (1u << 30)
			                  ? (1u << 30)
			                  : (size_t)(end - (uint64_t)in);
			ptrdiff_t r = kist__os_copy_range(v->src.fd, &in, fd, want);
			if (r < 0 &&
			    (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			     errno == EOPNOTSUPP) &&
			    (uint64_t)in == off)
				break; /* not here: copy through a buffer */
			if (r <= 0)
				return kist__fail(KIST_E_IO, "%s: %s", out_path,
				                  r < 0 ? strerror(errno)
				                        : "vault shrank while copied");
		}
		if ((uint64_t)in == end)
			return KIST_OK;
	}
	if ((buf = malloc(1u << 20)) == NULL)
		return kist__nomem();
	while (off < end && err == KIST_OK) {
		size_t n = end - off > (1u << 20) ? (1u << 20) : (size_t)(end - off);
		if (kist__interrupted)
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
		else if ((err = kist__source_pread(&v->src, buf, n, off, "vault")) == KIST_OK)
			err = kist__write_full(fd, buf, n, out_path);
		off += n;
	}
	free(buf);
	return err;
}

kist_err kist_vault_grant(kist_vault *v, const kist_identity *granter, const kist_pubkey *keys,
                          size_t n, const char *out_path, unsigned flags)
{
	kist__outfile out = {.dirfd = -1, .fd = -1, .slot = -1};
	unsigned char *header = NULL;
	size_t header_len = 0;
	const char *base;
	int dirfd = -1;
	kist_err err;

	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	if (n == 0 || n > KIST_GRANT_KEYS_MAX)
		return kist__fail(KIST_E_ARG, "a grant adds 1 to %d recipients",
		                  KIST_GRANT_KEYS_MAX);
	if (v->hdr.version == KIST_FORMAT_V1)
		return kist__fail(KIST_E_FORMAT, "a version 1 vault cannot take a grant: seal it "
		                                 "again for every recipient");
	if ((err = grant_header(v, granter, keys, n, &header, &header_len)) != KIST_OK ||
	    (err = kist__open_parent(out_path, &dirfd, &base)) != KIST_OK)
		goto out;
	if (!(flags & KIST_REPLACE) && kist__os_exists_at(dirfd, base)) {
		err = kist__fail(KIST_E_EXISTS, "%s exists", out_path);
		goto out;
	}
	if ((err = kist__outfile_open_locked(&out, dirfd, base)) != KIST_OK ||
	    (err = kist__write_full(out.fd, header, header_len, out_path)) != KIST_OK ||
	    (err = copy_body(v, out.fd, out_path)) != KIST_OK)
		goto out;
	if ((err = kist__outfile_commit(&out, (flags & KIST_REPLACE) != 0, 1)) == KIST_E_EXISTS)
		kist__fail(err, "%s exists", out_path);
out:
	kist__outfile_abort(&out);
	if (dirfd >= 0)
		kist__os_close(dirfd);
	free(header);
	return err;
}
