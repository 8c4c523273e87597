/*
 * vault: the vault object (open, verify, stream entries), sealing and
 * extraction.  Only this module changes struct kist_vault.  Calls every
 * layer below custody.  Not installed.
 */
#ifndef KIST_VAULT_H
#define KIST_VAULT_H

#include "format/format.h"
#include "index/index.h"

/* ---- vault object (vault.c) */
struct kist_vault {
	kist__source src; /* the vault file, or the data parts of a part set */
	uint64_t file_size;
	unsigned char *header;
	size_t header_len;
	kist__header hdr;    /* parsed from header */
	kist__keys *keys;    /* secure memory */
	kist__grant *grants; /* version 2: grant records, checked */
	size_t ngrants;
	kist__trailer trailer;
	sqlite3 *db;
	unsigned char *index_buf; /* serialised index; the database reads from it */
	size_t index_len;
	kist__index_meta meta;
	kist__entry *entries;
	size_t nentries;
	const kist__entry **by_path; /* in tree order; NULL if entries are */
	kist__chunker *chunker;
	int signature_valid;
	unsigned threads;      /* 0: one per processor */
	unsigned search_ready; /* people search tables built (index/query.c) */
	size_t opened_with;    /* index of the identity that unwrapped the file key */
	kist_progress_fn progress;
	void *progress_ctx;
	unsigned slot_count; /* recipient slots in the header */
};

const kist__entry *kist__vault_find(const kist_vault *v, const char *path);

/* kist_vault_open() with the custodians' part kc of a trustee-gated vault (NULL: none). */
kist_err kist__vault_open(kist_vault **out, const char *path, kist_identity *const *ids,
                          size_t nids, const unsigned char *kc);

/*
 * Opens far enough to read a trustee-gated vault's gate with a recipient's
 * identity: header, K_r, header MAC, gate slot.  With header non-NULL, the
 * raw header (malloc'd) too.  KIST_E_NOTFOUND if the vault has no gate.
 */
kist_err kist__vault_read_gate(const char *path, kist_identity *const *ids, size_t nids,
                               kist__gate *g, unsigned char **header, size_t *header_len);

/* Callbacks of kist__vault_stream_many(); any may be NULL. */
typedef struct kist__stream_cb {
	kist_err (*begin)(void *ctx, const kist__entry *e);
	kist_err (*data)(void *ctx, const kist__entry *e, const unsigned char *p, size_t n);
	/* status is KIST_OK, or the entry's failure (with the detail raised). */
	kist_err (*end)(void *ctx, const kist__entry *e, kist_err status);
} kist__stream_cb;

/*
 * Streams the content of the file entries in list, in order, through the
 * pipeline: every chunk is authenticated before data() sees it, and end()
 * reports whether the whole entry matched its SHA-256.  With keep_going, an
 * entry that fails is reported to end() and the others go on; otherwise the
 * first failure is returned.
 */
kist_err kist__vault_stream_many(kist_vault *v, const kist__entry *const *list, size_t n,
                                 const kist__stream_cb *cb, void *ctx, int keep_going);

/*
 * The key under which a case-insensitive or normalising file system may take
 * two names as one: Unicode NFKC_Casefold (ICU) of path, in *out (freed by
 * the caller).  extract.c refuses two selected entries with one key.
 */
kist_err kist__name_key(const char *path, char **out);

#endif
