/*
 * Opening a vault: header, key unwrap, commitment and MAC, trailer,
 * signature, index; then streaming entries out of it.
 */
#include "vault/vault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>
#include <zstd.h>

kist_err kist_vault_probe(const char *path, kist_vault_info *out)
{
	unsigned char *raw = NULL;
	size_t len = 0;
	kist__header h;
	kist__source src;
	kist_err err;

	if ((err = kist__source_open(&src, path)) != KIST_OK)
		return err;
	uint64_t size = src.size;
	if ((err = kist__header_read_src(&src, &raw, &len)) == KIST_OK &&
	    (err = kist__header_parse(&h, raw, len)) == KIST_OK) {
		if (size < len + kist__trailer_plain_len(h.version) + KIST_CHUNK_OVERHEAD) {
			err = kist__fail(KIST_E_CORRUPT, "vault is truncated");
		} else {
			out->format_version = h.version;
			out->file_size = size;
			out->header_size = h.header_len;
			out->slot_count =
			    h.version == KIST_FORMAT_V1 ? h.slot_count : h.recipient_slots;
			out->grant_count = h.grant_slots;
			out->custodian_count = h.custodian_slots;
			out->age_slots = h.age_slots;
		}
	}
	free(raw);
	kist__source_close(&src);
	return err;
}

void kist_vault_close(kist_vault *v)
{
	if (v == NULL)
		return;
	kist__source_close(&v->src);
	free(v->header);
	sodium_free(v->keys);
	free(v->grants);
	sqlite3_close(v->db);
	if (v->index_buf != NULL) {
		sodium_memzero(v->index_buf, v->index_len);
		free(v->index_buf);
	}
	kist__entries_free(v->entries, v->nentries);
	free(v->by_path);
	kist__chunker_free(v->chunker);
	free(v);
}

/* Lookups by path use tree order (index/index.c), the order the sealer writes. */
static int cmp_entry_path(const void *a, const void *b)
{
	const kist__entry *x = *(const kist__entry *const *)a, *y = *(const kist__entry *const *)b;
	return kist__path_cmp_tree(x->path, y->path);
}

static int cmp_path_entry(const void *key, const void *elem)
{
	return kist__path_cmp_tree(key, ((const kist__entry *)elem)->path);
}

/* Reads, authenticates, decompresses and hashes the index stream. */
static kist_err read_index(kist_vault *v)
{
	const kist__trailer *t = &v->trailer;
	unsigned char *z = NULL;
	uint64_t off = v->header_len + t->index_offset;
	size_t cap;
	unsigned char *in = kist__chunker_inbuf(v->chunker, &cap);
	unsigned char digest[32];
	kist_err err;

	z = malloc(t->index_zlen);
	v->index_buf = kist__alloc_large(t->index_len);
	v->index_len = t->index_len;
	if (z == NULL || v->index_buf == NULL) {
		free(z);
		return kist__nomem();
	}
	uint64_t counter = 0;
	for (uint64_t done = 0; done < t->index_zlen; counter++) {
		size_t n = t->index_zlen - done < t->chunk_size ? (size_t)(t->index_zlen - done)
		                                                : t->chunk_size;
		const unsigned char *pt;
		if ((err = kist__source_pread(&v->src, in, n + KIST_CHUNK_OVERHEAD, off,
		                              "index")) != KIST_OK)
			goto out;
		err = kist__chunk_open(v->chunker, v->keys->index, KIST_STREAM_INDEX, counter,
		                       done + n == t->index_zlen, in, n + KIST_CHUNK_OVERHEAD, n,
		                       &pt);
		if (err != KIST_OK) {
			kist__fail(KIST_E_CORRUPT, "index chunk %llu failed authentication",
			           (unsigned long long)counter);
			goto out;
		}
		memcpy(z + done, pt, n);
		done += n;
		off += n + KIST_CHUNK_OVERHEAD;
	}
	/* Exactly one zstd frame: no skippable frame before or after it, no second frame
	 * (which ZSTD_decompress would join on), nothing else. */
	if (t->index_zlen < 4 || kist__ld32(z) != ZSTD_MAGICNUMBER ||
	    ZSTD_findFrameCompressedSize(z, t->index_zlen) != t->index_zlen) {
		err = kist__fail(KIST_E_CORRUPT, "index stream is not exactly one zstd frame");
		goto out;
	}
	unsigned long long fcs = ZSTD_getFrameContentSize(z, t->index_zlen);
	if (fcs != t->index_len) {
		err = kist__fail(KIST_E_CORRUPT, "index size does not match the trailer");
		goto out;
	}
	/* A context of kist's, so that its literals (index text) are wiped. */
	ZSTD_DCtx *dz = kist__zstd_dctx_new();
	size_t n = dz == NULL
	               ? (size_t)-1
	               : ZSTD_decompressDCtx(dz, v->index_buf, t->index_len, z, t->index_zlen);
	ZSTD_freeDCtx(dz);
	if (dz == NULL) {
		err = kist__nomem();
		goto out;
	}
	if (ZSTD_isError(n) || n != t->index_len) {
		err = kist__fail(KIST_E_CORRUPT, "index does not decompress");
		goto out;
	}
	kist__sha256_oneshot(digest, v->index_buf, t->index_len);
	if (sodium_memcmp(digest, t->index_sha256, 32) != 0) {
		err = kist__fail(KIST_E_CORRUPT, "index hash mismatch");
		goto out;
	}
	err = KIST_OK;
out:
	if (z != NULL)
		sodium_memzero(z, t->index_zlen);
	free(z);
	return err;
}

static kist_err read_trailer(kist_vault *v)
{
	unsigned char ct[KIST_TRAILER_BYTES];
	const unsigned char *pt;
	kist__trailer *t = &v->trailer;
	size_t plain = kist__trailer_plain_len(v->hdr.version),
	       tbytes = plain + KIST_CHUNK_OVERHEAD;
	uint32_t known = KIST_TRAILER_SIGNED;
	uint64_t ictlen;
	kist_err err;

	if (v->file_size < v->header_len + tbytes)
		return kist__fail(KIST_E_CORRUPT, "vault is truncated");
	if ((err = kist__source_pread(&v->src, ct, tbytes, v->file_size - tbytes, "trailer")) !=
	    KIST_OK)
		return err;
	if (kist__chunk_open(v->chunker, v->keys->index, KIST_STREAM_TRAILER, 0, 1, ct, tbytes,
	                     plain, &pt) != KIST_OK)
		return kist__fail(KIST_E_CORRUPT,
		                  "trailer failed authentication (truncated or appended to?)");
	kist__trailer_decode(t, v->hdr.version, pt);
	if (t->chunk_size < KIST_CHUNK_SIZE_MIN || t->chunk_size > KIST_CHUNK_SIZE_MAX)
		return kist__fail(KIST_E_CORRUPT, "trailer: bad chunk size");
	if (t->index_len == 0 || t->index_len > KIST_INDEX_MAX ||
	    kist__index_ct_len(t->index_zlen, t->chunk_size, &ictlen) != 0)
		return kist__fail(KIST_E_LIMIT, "trailer: index size out of bounds");
	if (v->hdr.version != KIST_FORMAT_V1)
		known |= KIST_TRAILER_PADDED;
	if ((t->flags & ~known) != 0)
		return kist__fail(KIST_E_CORRUPT, "trailer: unknown flags");
	if (t->pad_len >= KIST_PAD_MAX || (t->pad_len != 0 && !(t->flags & KIST_TRAILER_PADDED)))
		return kist__fail(KIST_E_CORRUPT, "trailer: bad padding length");
	uint64_t body = v->file_size - v->header_len - tbytes;
	if (t->index_offset > body || body - t->index_offset < ictlen ||
	    body - t->index_offset - ictlen != t->pad_len)
		return kist__fail(KIST_E_CORRUPT, "trailer: layout does not match the file size");
	return KIST_OK;
}

static kist_err check_signature(kist_vault *v)
{
	static const unsigned char zero[64];
	const kist__trailer *t = &v->trailer;
	unsigned char msg[32];

	if (!(t->flags & KIST_TRAILER_SIGNED)) {
		if (sodium_memcmp(t->signer, zero, 32) != 0 ||
		    sodium_memcmp(t->signature, zero, 64) != 0 || v->meta.has_signer)
			return kist__fail(KIST_E_CORRUPT, "unsigned vault carries signature data");
		return KIST_OK;
	}
	kist_pubkey pk;
	if (!v->meta.has_signer || kist_pubkey_parse(&pk, v->meta.signer) != KIST_OK ||
	    pk.kind != KIST_PUBKEY_KIST || sodium_memcmp(pk.ed25519, t->signer, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "index and trailer disagree on the sealer");
	kist__signature_message(msg, &v->hdr, v->header, t, v->meta.recipients);
	if (crypto_sign_verify_detached(t->signature, msg, sizeof msg, t->signer) != 0)
		return kist__fail(KIST_E_SIGNATURE, "the sealer's signature does not verify");
	v->signature_valid = 1;
	return KIST_OK;
}

/*
 * Version 2: the grant records, checked; the recipients the sealer named
 * (vault.recipients) are the header's recipient slots less those granted.
 */
static kist_err check_grants(kist_vault *v)
{
	unsigned char core[32];
	size_t granted = 0;
	kist_err err;
	if (v->hdr.version == KIST_FORMAT_V1)
		return KIST_OK;
	kist__core_digest(core, &v->hdr, &v->trailer, v->meta.recipients);
	if ((err = kist__grants_open(&v->hdr, v->keys->grant, core, &v->grants, &v->ngrants)) !=
	    KIST_OK)
		return err;
	for (size_t i = 0; i < v->ngrants; i++)
		granted += v->grants[i].nkeys;
	if (v->meta.recipients != v->hdr.recipient_slots - granted)
		return kist__fail(KIST_E_CORRUPT,
		                  "index claims %u recipients, the header has %zu sealed ones",
		                  v->meta.recipients, (size_t)v->hdr.recipient_slots - granted);
	return KIST_OK;
}

/* The entries must tile the body in id order, ending where the index starts. */
static kist_err check_tiling(const kist_vault *v)
{
	uint64_t pos = 0;
	for (size_t i = 0; i < v->nentries; i++) {
		if (v->entries[i].offset != pos)
			return kist__fail(KIST_E_CORRUPT, "index: entry %zu is not where expected",
			                  i + 1);
		pos += v->entries[i].pub.stored_size;
		if (pos > v->trailer.index_offset)
			break;
	}
	if (pos != v->trailer.index_offset)
		return kist__fail(KIST_E_CORRUPT, "index: entries do not cover the vault body");
	return KIST_OK;
}

/*
 * v->by_path: the entries in tree order, for lookups by path; left NULL when
 * v->entries already are in that order (as the sealer writes them; checking
 * it is O(n), sorting a copy was a tenth of opening 100,000 entries).
 */
static kist_err index_paths(kist_vault *v)
{
	if (kist__entries_in_tree_order(v->entries, v->nentries))
		return KIST_OK;
	v->by_path = malloc((v->nentries ? v->nentries : 1) * sizeof *v->by_path);
	if (v->by_path == NULL)
		return kist__nomem();
	for (size_t i = 0; i < v->nentries; i++)
		v->by_path[i] = &v->entries[i];
	qsort(v->by_path, v->nentries, sizeof *v->by_path, cmp_entry_path);
	return KIST_OK;
}

/*
 * Reads and parses v's header, unwraps what a recipient slot holds (K_r in
 * version 2) into file_key and checks the header MAC: what every opening
 * and a gate's reading share.
 */
static kist_err open_header(kist_vault *v, const char *path, kist_identity *const *ids, size_t nids,
                            unsigned char **file_key)
{
	kist_err err;
	if (nids == 0)
		return kist__fail(KIST_E_ARG, "no identity given");
	if ((err = kist__source_open(&v->src, path)) != KIST_OK)
		return err;
	v->file_size = v->src.size;
	if ((err = kist__header_read_src(&v->src, &v->header, &v->header_len)) != KIST_OK ||
	    (err = kist__header_parse(&v->hdr, v->header, v->header_len)) != KIST_OK)
		return err;
	*file_key = sodium_malloc(KIST_FILEKEY_BYTES);
	v->keys = sodium_malloc(sizeof *v->keys);
	if (*file_key == NULL || v->keys == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	if ((err = kist__header_unwrap(&v->hdr, ids, nids, *file_key, &v->opened_with)) != KIST_OK)
		return err;
	/* The MAC is checked by the caller: after the commitment for an ungated
	 * vault, as version 1 did; before the gate of a gated one. */
	return kist__derive_keys(v->keys, v->hdr.version, *file_key, NULL, v->hdr.salt);
}

kist_err kist__vault_read_gate(const char *path, kist_identity *const *ids, size_t nids,
                               kist__gate *g, unsigned char **header, size_t *header_len)
{
	unsigned char *file_key = NULL;
	kist_vault *v;
	kist_err err;

	if ((err = kist_init()) != KIST_OK)
		return err;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return kist__nomem();
	v->src.fd = -1;
	if ((err = open_header(v, path, ids, nids, &file_key)) == KIST_OK &&
	    (err = kist__header_check_mac(&v->hdr, v->header, v->keys)) == KIST_OK &&
	    (err = kist__gate_open(&v->hdr, v->keys->gate, g)) == KIST_OK && header != NULL) {
		*header = v->header;
		*header_len = v->header_len;
		v->header = NULL;
	}
	sodium_free(file_key);
	kist_vault_close(v);
	return err;
}

kist_err kist_vault_open(kist_vault **out, const char *path, kist_identity *const *ids, size_t nids)
{
	return kist__vault_open(out, path, ids, nids, NULL);
}

/*
 * A trustee-gated vault's keys: the MAC (keyed by K_r), the gate, then K
 * from K_r and the custodians' part kc, checked against the commitment.
 * An ungated vault takes no kc.
 */
static kist_err gate_keys(kist_vault *v, const unsigned char *file_key, const unsigned char *kc,
                          kist__gate *g)
{
	const kist__header *h = &v->hdr;
	kist_err err;
	if (h->gate_slots == 0)
		return kc == NULL
		           ? KIST_OK
		           : kist__fail(KIST_E_ARG,
		                        "the vault is not trustee-gated: it needs no release");
	if ((err = kist__header_check_mac(h, v->header, v->keys)) != KIST_OK ||
	    (err = kist__gate_open(h, v->keys->gate, g)) != KIST_OK)
		return err;
	if (kc == NULL)
		return kist__fail(KIST_E_NOACCESS,
		                  "this vault is trustee-gated: it opens with releases from "
		                  "%u of its %u custodians",
		                  g->quorum, g->n);
	if ((err = kist__derive_keys(v->keys, h->version, file_key, kc, h->salt)) != KIST_OK)
		return err;
	if (sodium_memcmp(h->commitment, v->keys->commitment, 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "the releases do not rebuild this vault's key");
	return KIST_OK;
}

kist_err kist__vault_open(kist_vault **out, const char *path, kist_identity *const *ids,
                          size_t nids, const unsigned char *kc)
{
	unsigned char *file_key = NULL;
	kist__header h;
	kist__gate g;
	kist_vault *v;
	kist_err err;

	if ((err = kist_init()) != KIST_OK)
		return err;
	memset(&g, 0, sizeof g);
	v = calloc(1, sizeof *v);
	if (v == NULL)
		return kist__nomem();
	v->src.fd = -1;
	if ((err = open_header(v, path, ids, nids, &file_key)) != KIST_OK)
		goto out;
	h = v->hdr;
	if ((err = gate_keys(v, file_key, kc, &g)) != KIST_OK)
		goto out;
	if ((err = kist__header_authenticate(&h, v->header, v->keys)) != KIST_OK)
		goto out;
	/* A small chunker reads the trailer, which says how large chunks are. */
	if ((err = kist__chunker_new(&v->chunker, KIST_CHUNK_SIZE_MIN, 0)) != KIST_OK ||
	    (err = read_trailer(v)) != KIST_OK)
		goto out;
	kist__chunker_free(v->chunker);
	v->chunker = NULL;
	if ((err = kist__chunker_new(&v->chunker, v->trailer.chunk_size, 0)) != KIST_OK ||
	    (err = read_index(v)) != KIST_OK)
		goto out;
	if ((err = kist__index_load(&v->db, &v->meta, &v->entries, &v->nentries, v->index_buf,
	                            v->index_len)) != KIST_OK)
		goto out;
	if (v->meta.chunk_size != v->trailer.chunk_size) {
		err = kist__fail(KIST_E_CORRUPT, "index and trailer disagree on the chunk size");
		goto out;
	}
	if (v->meta.format_version != h.version) {
		err = kist__fail(KIST_E_CORRUPT, "index says format version %u, the header %u",
		                 v->meta.format_version, h.version);
		goto out;
	}
	/* The header's slots are the recipients; the index only claims a count. */
	v->slot_count = h.version == KIST_FORMAT_V1 ? h.slot_count : h.recipient_slots;
	if (h.version == KIST_FORMAT_V1 && v->meta.recipients != h.slot_count) {
		err = kist__fail(KIST_E_CORRUPT,
		                 "index claims %u recipients, the header has %u slots",
		                 v->meta.recipients, h.slot_count);
		goto out;
	}
	if ((err = check_signature(v)) != KIST_OK || (err = check_grants(v)) != KIST_OK)
		goto out;
	if (h.gate_slots > 0) {
		char id[33];
		sodium_bin2hex(id, sizeof id, g.vault_id, sizeof g.vault_id);
		if (strcmp(id, v->meta.vault_id) != 0) {
			err =
			    kist__fail(KIST_E_CORRUPT, "the gate and the index name other vaults");
			goto out;
		}
	}
	if ((err = check_tiling(v)) != KIST_OK || (err = index_paths(v)) != KIST_OK)
		goto out;
	*out = v;
	v = NULL;
	err = KIST_OK;
out:
	sodium_free(file_key);
	kist_vault_close(v);
	return err;
}

size_t kist_vault_opened_with(const kist_vault *v)
{
	return v->opened_with;
}

void kist_vault_get_meta(const kist_vault *v, kist_vault_meta *out)
{
	memset(out, 0, sizeof *out);
	out->format_version = v->hdr.version;
	out->padded = (v->trailer.flags & KIST_TRAILER_PADDED) != 0;
	out->pad_len = v->trailer.pad_len;
	/* Padmé's size exactly, as sealed: the file less the padding and the
	 * header bytes grants added (grant records, and the recipient slots after
	 * the sealer's vault.recipients). */
	if (out->padded) {
		uint64_t added = 0; /* grant records and the recipient slots grants added */
		const unsigned char *p = v->hdr.slots;
		unsigned seen = 0;
		for (unsigned i = 0; i < v->hdr.slot_count; i++) {
			uint16_t type = kist__ld16(p);
			uint32_t n = 8 + kist__ld32(p + 4);
			int recipient = type == KIST_SLOT_X25519 || type == KIST_SLOT_AGE;
			if (type == KIST_SLOT_GRANT || (recipient && seen++ >= v->meta.recipients))
				added += n;
			p += n;
		}
		uint64_t u = v->file_size - v->trailer.pad_len - added;
		out->padme = kist__padme(u) == u + v->trailer.pad_len;
	}
	out->grant_count = v->ngrants;
	out->vault_id = v->meta.vault_id;
	out->created = v->meta.created;
	out->tool_version = v->meta.tool_version;
	out->entry_count = v->nentries;
	for (size_t i = 0; i < v->nentries; i++)
		out->total_size += v->entries[i].pub.size;
	out->recipient_count = v->slot_count;
	out->signed_by_sealer = v->meta.has_signer;
	if (v->meta.has_signer)
		kist_pubkey_parse(&out->signer, v->meta.signer);
	out->signature_valid = v->signature_valid;
}

/* ---- reads of the index (index/query.c), through a view of v */

static kist__index_view index_view(kist_vault *v)
{
	kist__index_view x = {v->db,       v->meta.schema_version, v->meta.people, v->entries,
	                      v->nentries, &v->search_ready};
	return x;
}

size_t kist_vault_people_count(const kist_vault *v)
{
	return v->meta.people;
}

kist_err kist_vault_people(kist_vault *v, const char *search, kist_person_fn fn, void *ctx)
{
	kist__index_view x = index_view(v);
	return kist__index_people(&x, search, fn, ctx);
}

kist_err kist_vault_person_find(kist_vault *v, const char *name_or_id, kist_person_fn fn, void *ctx)
{
	kist__index_view x = index_view(v);
	return kist__index_person_find(&x, name_or_id, fn, ctx);
}

kist_err kist_vault_query(kist_vault *v, const char *sql, kist_row_fn fn, void *ctx)
{
	kist__index_view x = index_view(v);
	return kist__index_query(&x, sql, fn, ctx);
}

kist_err kist_vault_file_sha256(kist_vault *v, unsigned char out[32])
{
	return kist__source_sha256(&v->src, "vault", out);
}

size_t kist_vault_entry_count(const kist_vault *v)
{
	return v->nentries;
}

const kist_entry *kist_vault_entry_at(const kist_vault *v, size_t i)
{
	return i < v->nentries ? &v->entries[i].pub : NULL;
}

const kist__entry *kist__vault_find(const kist_vault *v, const char *path)
{
	kist__entry key;
	const kist__entry *kp = &key, **hit;
	if (v->by_path == NULL)
		return bsearch(path, v->entries, v->nentries, sizeof *v->entries, cmp_path_entry);
	key.path = (char *)path;
	hit = bsearch(&kp, v->by_path, v->nentries, sizeof *v->by_path, cmp_entry_path);
	return hit ? *hit : NULL;
}

const kist_entry *kist_vault_find(const kist_vault *v, const char *path)
{
	const kist__entry *e = kist__vault_find(v, path);
	return e ? &e->pub : NULL;
}

/* The internal entry behind a public one, or NULL if e is not from v. */
static const kist__entry *vault_internal(const kist_vault *v, const kist_entry *e)
{
	/* pub is the first member of kist__entry, and e points into v->entries. */
	const kist__entry *ie = (const kist__entry *)(const void *)e;
	if (e == NULL || ie < v->entries || ie >= v->entries + v->nentries)
		return NULL;
	return ie;
}

/* State of kist__vault_stream_many's consumer side. */
typedef struct reader {
	kist_vault *v;
	const kist__stream_cb *cb;
	void *ctx;
	int keep_going;
	const kist__entry *cur; /* entry being delivered */
	int cur_failed;
	uint64_t delivered;
	uint64_t done, total; /* progress: bytes of chunks consumed (failed ones too) */
} reader;

static kist_err entry_failed(reader *r, const kist__entry *e, kist_err err)
{
	char shown[128], why[300];
	kist__printable(shown, sizeof shown, e->path);
	snprintf(why, sizeof why, "%s", kist_errdetail());
	kist__fail(err, "%s: %s", shown, why);
	if (r->cb->end != NULL)
		r->cb->end(r->ctx, e, err);
	return r->keep_going && err == KIST_E_CORRUPT ? KIST_OK : err;
}

/*
 * Consumes the oldest finished chunk: deliver it, and close its entry if it is
 * the last (the pipeline hashed the entry's chunks in order on its own thread).
 */
/* One whole entry of a batch slot: begin, its plaintext, its digest checked, end. */
static kist_err deliver_sub(reader *r, const kist__sub *u)
{
	const kist__entry *e = u->tag;
	kist_err err;
	r->done += u->expect;
	if (r->v->progress != NULL)
		r->v->progress(r->v->progress_ctx, r->done, r->total);
	r->cur = e;
	r->cur_failed = 0;
	if (r->cb->begin != NULL && (err = r->cb->begin(r->ctx, e)) != KIST_OK)
		return err;
	if (u->err != KIST_OK) {
		r->cur_failed = 1;
		kist__fail(u->err, "%s", u->errdetail);
		return entry_failed(r, e, u->err);
	}
	/* A batched entry is whole: its digest is checked before data() sees it. */
	if (sodium_memcmp(u->digest, e->pub.sha256, 32) != 0) {
		kist__fail(KIST_E_CORRUPT, "SHA-256 does not match the index");
		r->cur_failed = 1;
		return entry_failed(r, e, KIST_E_CORRUPT);
	}
	if (r->cb->data != NULL && (err = r->cb->data(r->ctx, e, u->result, u->result_len)))
		return err;
	r->delivered += u->result_len;
	return r->cb->end != NULL ? r->cb->end(r->ctx, e, KIST_OK) : KIST_OK;
}

static kist_err deliver_one(reader *r, kist__pipe *p)
{
	kist__slot *sl = kist__pipe_oldest(p);
	const kist__entry *e;
	kist_err err = KIST_OK;
	if (sl == NULL)
		return KIST_OK;
	if (sl->nsub > 0) {
		kist__pipe_digest(p, sl); /* waits for every entry's digest */
		for (unsigned i = 0; i < sl->nsub && err == KIST_OK; i++)
			err = deliver_sub(r, &sl->sub[i]);
		kist__pipe_release(p);
		return err;
	}
	e = sl->tag;
	if (!sl->skip) {
		r->done += sl->expect;
		if (r->v->progress != NULL)
			r->v->progress(r->v->progress_ctx, r->done, r->total);
	}
	if (sl->counter == 0) {
		r->cur = e;
		r->cur_failed = 0;
		if (r->cb->begin != NULL && (err = r->cb->begin(r->ctx, e)) != KIST_OK)
			goto out;
	}
	if (r->cur_failed)
		goto out;
	if (sl->err != KIST_OK) {
		r->cur_failed = 1;
		err = entry_failed(r, e, sl->err);
		goto out;
	}
	if (r->cb->data != NULL &&
	    (err = r->cb->data(r->ctx, e, sl->result, sl->result_len)) != KIST_OK)
		goto out;
	r->delivered += sl->result_len;
	if (sl->last) {
		if (sodium_memcmp(kist__pipe_digest(p, sl), e->pub.sha256, 32) != 0) {
			kist__fail(KIST_E_CORRUPT, "SHA-256 does not match the index");
			r->cur_failed = 1;
			err = entry_failed(r, e, KIST_E_CORRUPT);
			goto out;
		}
		if (r->cb->end != NULL)
			err = r->cb->end(r->ctx, e, KIST_OK);
	}
out:
	kist__pipe_release(p);
	return err;
}

/* The plaintext a batch of small entries may fill (the slot buffers' size). */
#define BATCH_BYTES ((size_t)256 << 10)

/* Whether e can go in a batch: a file of one chunk that fits one. */
static int batchable(const kist__entry *e, size_t cap)
{
	return e->pub.type == KIST_ENTRY_FILE && e->nchunks == 1 && e->pub.size <= cap / 4 &&
	       e->chunk_len[0] <= e->pub.size + KIST_CHUNK_OVERHEAD;
}

/*
 * Packs the next run of small one-chunk entries that lie next to each other
 * in the vault into one slot: one read, one job, one hand-over between
 * threads for them all (*took of them; 0 if list[0] is not such an entry).
 * Each is opened, hashed and checked on its own, exactly as alone.
 */
static kist_err stream_batch(kist_vault *v, kist__pipe *p, const kist__entry *const *list, size_t n,
                             size_t *took, reader *r)
{
	size_t cap = kist__pipe_cap(p), in = 0, out = 0, k = 0;
	uint64_t start = v->header_len + list[0]->offset;
	kist__slot *sl;
	kist_err err;

	*took = 0;
	while (k < n && k < KIST__SUB_MAX && batchable(list[k], cap) &&
	       v->header_len + list[k]->offset == start + in &&
	       in + list[k]->chunk_len[0] <= cap + KIST_CHUNK_OVERHEAD &&
	       out + list[k]->pub.size <= cap) {
		in += list[k]->chunk_len[0];
		out += list[k]->pub.size;
		k++;
	}
	if (k < 2) /* one alone goes the usual way */
		return KIST_OK;
	if (kist__interrupted)
		return kist__fail(KIST_E_INTERRUPTED, "interrupted");
	while ((sl = kist__pipe_acquire(p)) == NULL)
		if ((err = deliver_one(r, p)) != KIST_OK)
			return err;
	if ((err = kist__source_pread(&v->src, sl->in, in, start, "vault")) != KIST_OK) {
		sl->skip = 1; /* keep the pipeline in order before leaving */
		kist__pipe_submit(p, sl);
		return err;
	}
	in = out = 0;
	for (size_t i = 0; i < k; i++) {
		kist__sub *u = &sl->sub[i];
		u->stream = list[i]->id;
		u->off = in;
		u->len = list[i]->chunk_len[0];
		u->expect = list[i]->pub.size;
		u->outoff = out;
		u->tag = (void *)list[i];
		in += u->len;
		out += u->expect;
	}
	sl->nsub = (unsigned)k;
	kist__pipe_submit(p, sl);
	*took = k;
	return KIST_OK;
}

kist_err kist__vault_stream_many(kist_vault *v, const kist__entry *const *list, size_t n,
                                 const kist__stream_cb *cb, void *ctx, int keep_going)
{
	kist__pipe *p = NULL;
	reader r = {v, cb, ctx, keep_going, NULL, 0, 0, 0, 0};
	kist_err err;

	uint64_t jobs = 0;
	size_t max_len = 1;
	for (size_t i = 0; i < n; i++) {
		uint64_t sz = list[i]->pub.size;
		r.total += sz;
		jobs += list[i]->nchunks;
		if (sz > max_len)
			max_len = sz > v->meta.chunk_size ? v->meta.chunk_size : (size_t)sz;
	}
	/* Many entries: buffers that can hold a batch of small ones. */
	if (n > 1 && max_len < BATCH_BYTES)
		max_len = v->meta.chunk_size < BATCH_BYTES ? v->meta.chunk_size : BATCH_BYTES;
	if ((err = kist__pipe_new(&p, KIST__PIPE_OPEN, v->threads, v->meta.chunk_size, 0,
	                          v->keys->content, jobs, max_len)) != KIST_OK)
		return err;
	for (size_t i = 0; i < n; i++) {
		const kist__entry *e = list[i];
		uint64_t off = v->header_len + e->offset, remaining = e->pub.size;
		if (e->pub.type != KIST_ENTRY_FILE) {
			err = kist__fail(KIST_E_ARG, "not a file entry");
			goto out;
		}
		size_t took = 0;
		if (n > 1 && (err = stream_batch(v, p, list + i, n - i, &took, &r)) != KIST_OK)
			goto out;
		if (took > 0) {
			i += took - 1;
			continue;
		}
		for (uint32_t c = 0; c < e->nchunks; c++) {
			kist__slot *sl;
			size_t want =
			    remaining < v->meta.chunk_size ? (size_t)remaining : v->meta.chunk_size;
			if (kist__interrupted) {
				err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
				goto out;
			}
			while ((sl = kist__pipe_acquire(p)) == NULL)
				if ((err = deliver_one(&r, p)) != KIST_OK)
					goto out;
			if ((err = kist__source_pread(&v->src, sl->in, e->chunk_len[c], off,
			                              "vault")) != KIST_OK) {
				sl->skip = 1; /* keep the pipeline in order before leaving */
				kist__pipe_submit(p, sl);
				goto out;
			}
			sl->stream = e->id;
			sl->counter = c;
			sl->last = c + 1 == e->nchunks;
			sl->inlen = e->chunk_len[c];
			sl->expect = want;
			sl->tag = (void *)e;
			kist__pipe_submit(p, sl);
			off += e->chunk_len[c];
			remaining -= want;
		}
	}
	while (!kist__pipe_empty(p))
		if ((err = deliver_one(&r, p)) != KIST_OK)
			goto out;
	err = KIST_OK;
out:
	kist__pipe_free(p);
	return err;
}

/*
 * kist cat: no byte reaches fd before the whole entry matched the SHA-256
 * that the index (and so the signature) binds.  Every recipient holds the
 * file key and can re-encrypt chunks, so a chunk that authenticates proves
 * nothing about the sealer.  An entry up to KIST__CAT_BUFFER bytes is read
 * once into memory, checked, then written.  A larger one is read twice:
 * the first pass checks the SHA-256 and keeps a BLAKE2b digest of each
 * chunk's plaintext, the second writes each chunk only if it is the one the
 * first pass saw (the vault file could change between the passes).
 */
#define KIST__CAT_BUFFER (64u << 20)

typedef struct cat_ctx {
	int fd;
	unsigned char *buf; /* small entry: its plaintext */
	size_t len;
	unsigned char (*digests)[32]; /* large entry: one per chunk */
	uint32_t nchunks, at;
	int writing; /* second pass */
} cat_ctx;

static kist_err cat_data(void *ctx, const kist__entry *e, const unsigned char *p, size_t n)
{
	cat_ctx *c = ctx;
	unsigned char d[32];
	if (c->buf != NULL) {
		if (n > e->pub.size - c->len)
			return kist__fail(KIST_E_CORRUPT, "entry longer than its size");
		memcpy(c->buf + c->len, p, n);
		c->len += n;
		return KIST_OK;
	}
	if (c->at >= c->nchunks)
		return kist__fail(KIST_E_CORRUPT, "more chunks than the index says");
	crypto_generichash(d, sizeof d, p, n, NULL, 0);
	if (!c->writing) {
		memcpy(c->digests[c->at++], d, 32);
		return KIST_OK;
	}
	if (sodium_memcmp(d, c->digests[c->at++], 32) != 0)
		return kist__fail(KIST_E_CORRUPT, "chunk %u changed after it was checked",
		                  (unsigned)(c->at - 1));
	return kist__write_full(c->fd, p, n, "output");
}

kist_err kist_vault_cat(kist_vault *v, const kist_entry *e, int fd)
{
	static const kist__stream_cb cb = {NULL, cat_data, NULL};
	const kist__entry *ie = vault_internal(v, e);
	cat_ctx c = {.fd = fd};
	kist_err err;

	if (ie == NULL)
		return kist__fail(KIST_E_ARG, "entry does not belong to this vault");
	if (ie->pub.type != KIST_ENTRY_FILE)
		return kist__fail(KIST_E_ARG, "not a file entry");
	if (ie->pub.size <= KIST__CAT_BUFFER) {
		if ((c.buf = malloc(ie->pub.size ? (size_t)ie->pub.size : 1)) == NULL)
			return kist__nomem();
		err = kist__vault_stream_many(v, &ie, 1, &cb, &c, 0);
		if (err == KIST_OK)
			err = kist__write_full(fd, c.buf, c.len, "output");
		sodium_memzero(c.buf, c.len);
		free(c.buf);
		return err;
	}
	c.nchunks = ie->nchunks;
	if ((c.digests = calloc(c.nchunks, sizeof *c.digests)) == NULL)
		return kist__nomem();
	err = kist__vault_stream_many(v, &ie, 1, &cb, &c, 0);
	if (err == KIST_OK) {
		c.writing = 1;
		c.at = 0;
		err = kist__vault_stream_many(v, &ie, 1, &cb, &c, 0);
	}
	free(c.digests);
	return err;
}

typedef struct verify_ctx {
	kist_verify_report *rep;
	kist_warn_fn fail_fn;
	void *fail_ctx;
} verify_ctx;

static kist_err verify_end(void *ctx, const kist__entry *e, kist_err status)
{
	verify_ctx *vc = ctx;
	vc->rep->entries_checked++;
	if (status == KIST_OK) {
		vc->rep->bytes_checked += e->pub.size;
	} else {
		vc->rep->entries_failed++;
		if (vc->fail_fn != NULL)
			vc->fail_fn(vc->fail_ctx, e->path, kist_errdetail());
	}
	return KIST_OK;
}

/* Version 2: the padding is the keystream it must be (FORMAT.md, "Padding"). */
static kist_err verify_padding(kist_vault *v, kist_verify_report *rep)
{
	uint64_t ictlen, start, len = v->trailer.pad_len;
	unsigned char *buf, *want;
	kist_err err = KIST_OK;
	if (len == 0)
		return KIST_OK;
	kist__index_ct_len(v->trailer.index_zlen, v->trailer.chunk_size, &ictlen);
	start = v->header_len + v->trailer.index_offset + ictlen;
	buf = malloc(2 * (1u << 16));
	if (buf == NULL)
		return kist__nomem();
	want = buf + (1u << 16);
	for (uint64_t off = 0; off < len && err == KIST_OK;) {
		size_t n = len - off > (1u << 16) ? (1u << 16) : (size_t)(len - off);
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			break;
		}
		if ((err = kist__source_pread(&v->src, buf, n, start + off, "padding")) != KIST_OK)
			break;
		kist__padding_bytes(want, n, off, v->keys->padding);
		if (memcmp(buf, want, n) != 0)
			rep->padding_damaged = 1;
		off += n;
	}
	free(buf);
	return err;
}

kist_err kist_vault_verify(kist_vault *v, kist_verify_report *rep, kist_warn_fn fail_fn,
                           void *fail_ctx)
{
	static const kist__stream_cb cb = {NULL, NULL, verify_end};
	verify_ctx vc = {rep, fail_fn, fail_ctx};
	const kist__entry **files;
	size_t n = 0;
	kist_err err;

	memset(rep, 0, sizeof *rep);
	files = malloc((v->nentries ? v->nentries : 1) * sizeof *files);
	if (files == NULL)
		return kist__nomem();
	for (size_t i = 0; i < v->nentries; i++)
		if (v->entries[i].pub.type == KIST_ENTRY_FILE)
			files[n++] = &v->entries[i];
	err = kist__vault_stream_many(v, files, n, &cb, &vc, 1);
	free(files);
	if (err == KIST_OK)
		err = verify_padding(v, rep);
	if (err == KIST_OK && rep->entries_failed > 0)
		err = kist__fail(KIST_E_CORRUPT, "%llu of %llu entries failed%s",
		                 (unsigned long long)rep->entries_failed,
		                 (unsigned long long)rep->entries_checked,
		                 rep->padding_damaged ? ", and the padding is damaged" : "");
	else if (err == KIST_OK && rep->padding_damaged)
		err = kist__fail(KIST_E_CORRUPT, "the padding after the index is damaged (no "
		                                 "entry is affected)");
	return err;
}

kist_err kist_vault_set_progress(kist_vault *v, kist_progress_fn fn, void *ctx)
{
	v->progress = fn;
	v->progress_ctx = ctx;
	return KIST_OK;
}

kist_err kist_vault_set_threads(kist_vault *v, unsigned threads)
{
	if (threads > 64)
		return kist__fail(KIST_E_ARG, "at most 64 threads");
	v->threads = threads;
	return KIST_OK;
}
