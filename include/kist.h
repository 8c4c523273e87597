/*
 * kist: seal evidence into encrypted, indexed vaults.
 *
 * Public API of libkist.  The library never prints and never exits: every
 * function that can fail returns a kist_err, and kist_strerror() names it.
 * A short, human-readable detail of the last failure in the calling thread
 * (which file, which entry, which chunk) is available from kist_errdetail().
 *
 * Ownership: objects returned through an out-pointer belong to the caller and
 * are released with the matching _free() or _close() function; NULL is
 * always safe.  Secret material is kept in sodium_malloc()'d memory and wiped
 * when released.
 *
 * The vault format is described byte for byte in docs/FORMAT.md.
 */
#ifndef KIST_H
#define KIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum kist_err {
	KIST_OK = 0,
	KIST_E_ARG,        /* invalid argument */
	KIST_E_NOMEM,      /* out of memory */
	KIST_E_IO,         /* a read, write or open failed (missing input included) */
	KIST_E_NOSPACE,    /* no space left on the device, or file size limit */
	KIST_E_EXISTS,     /* an output already exists and overwriting was not asked for */
	KIST_E_NOTFOUND,   /* the named entry is not in the vault */
	KIST_E_FORMAT,     /* not a kist vault, or a version or feature this build lacks */
	KIST_E_CORRUPT,    /* authentication or consistency check failed */
	KIST_E_SIGNATURE,  /* the signature is invalid, or not from the required signer */
	KIST_E_UNSAFE,     /* a stored path or link would escape the target directory */
	KIST_E_NOACCESS,   /* none of the given identities can open the vault */
	KIST_E_PASSPHRASE, /* wrong passphrase for an identity file */
	KIST_E_KEYPERM,    /* identity file is readable by group or others */
	KIST_E_BADKEY,     /* malformed public key, identity or recipients file */
	KIST_E_LIMIT,      /* input exceeds a documented limit */
	KIST_E_INPUT,      /* an input that cannot be sealed (e.g. a control character in a name) */
	KIST_E_CRYPTO,     /* the crypto library could not be initialised, or refused */
	KIST_E_INTERRUPTED /* stopped by a signal */
} kist_err;

/* Returns a static, constant description of err. Never NULL. */
const char *kist_strerror(kist_err err);

/*
 * Returns a description of the last failure in this thread, with context
 * (file name, entry path, chunk number), or "" if none was recorded.
 * The string is valid until the next libkist call in this thread.
 */
const char *kist_errdetail(void);

/*
 * Initialises the library (libsodium). Safe to call more than once.
 * Every other function calls it as needed; call it first from threads.
 */
kist_err kist_init(void);

/* Returns the library version, e.g. "0.1.0". */
const char *kist_version(void);

/* ------------------------------------------------------------ public keys */

#define KIST_PUBKEY_BYTES       64  /* X25519 public key || Ed25519 public key */
#define KIST_PUBKEY_STRLEN      114 /* "kist1" + bech32 data + checksum */
#define KIST_FINGERPRINT_STRLEN 24  /* "xxxx-xxxx-xxxx-xxxx-xxxx" */

typedef struct kist_pubkey {
	unsigned char x25519[32];  /* access: vaults are sealed to this key */
	unsigned char ed25519[32]; /* signing: vaults sealed with -s are signed by this key */
} kist_pubkey;

/*
 * Parses a "kist1..." public key string (bech32, checksummed; all lower or
 * all upper case).  Leading and trailing white space is not accepted.
 * @return KIST_OK, or KIST_E_BADKEY with a detail naming what is wrong.
 */
kist_err kist_pubkey_parse(kist_pubkey *out, const char *str);

/* Writes the "kist1..." form of pk, NUL-terminated, into out. */
void kist_pubkey_format(const kist_pubkey *pk, char out[KIST_PUBKEY_STRLEN + 1]);

/*
 * Writes the short fingerprint of pk ("xxxx-xxxx-xxxx-xxxx-xxxx", 80 bits of
 * SHA-256 over a domain label and the key), meant to be compared aloud.
 */
void kist_pubkey_fingerprint(const kist_pubkey *pk, char out[KIST_FINGERPRINT_STRLEN + 1]);

/*
 * Reads a recipients file: one "kist1..." key per line; blank lines and lines
 * starting with '#' are ignored.  At most KIST_MAX_RECIPIENTS keys.
 * On success *out is a malloc()'d array of *count keys (free() it).
 * @return KIST_OK, KIST_E_IO, KIST_E_BADKEY (detail names the line), KIST_E_LIMIT.
 */
kist_err kist_recipients_file_read(const char *path, kist_pubkey **out, size_t *count);

/* ------------------------------------------------------------- identities */

typedef struct kist_identity kist_identity;

/*
 * Called when an identity file is passphrase-protected.  Writes at most cap
 * bytes of passphrase into buf (secure memory owned by the library) and sets
 * *len.  Return KIST_OK, or any error to abandon loading.
 */
typedef kist_err (*kist_passphrase_fn)(void *ctx, const char *path, char *buf, size_t cap,
                                       size_t *len);

#define KIST_PASSPHRASE_MAX 1024

/* Creates a fresh identity (random X25519 and Ed25519 key pairs). */
kist_err kist_identity_generate(kist_identity **out);

/*
 * Writes id to path with mode 0600, created with O_EXCL (or replacing an
 * existing file atomically when force is non-zero).  With a passphrase the
 * secret keys are encrypted (Argon2id, XChaCha20-Poly1305); with pass == NULL
 * they are stored unprotected.
 * @return KIST_OK, KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE, KIST_E_ARG (empty passphrase).
 */
kist_err kist_identity_save(const kist_identity *id, const char *path, const char *pass,
                            size_t passlen, int force);

/*
 * Loads an identity file.  Refuses a file that is not a regular file or that
 * is readable or writable by group or others (KIST_E_KEYPERM).  Calls pass_fn
 * only if the file is protected.
 * @return KIST_OK, KIST_E_IO, KIST_E_KEYPERM, KIST_E_BADKEY, KIST_E_PASSPHRASE,
 *         KIST_E_LIMIT (cost parameters beyond the documented bounds).
 */
kist_err kist_identity_load(kist_identity **out, const char *path, kist_passphrase_fn pass_fn,
                            void *pass_ctx);

/*
 * Reads the public key stored in an identity file without decrypting it (no
 * passphrase needed).  The same permission checks as kist_identity_load().
 */
kist_err kist_identity_file_pubkey(const char *path, kist_pubkey *out);

/* Returns non-zero if id was loaded from a passphrase-protected file. */
int kist_identity_is_protected(const kist_identity *id);

/* Copies the public half of id. */
void kist_identity_pubkey(const kist_identity *id, kist_pubkey *out);

/* Wipes and frees id.  NULL is allowed. */
void kist_identity_free(kist_identity *id);

/* ----------------------------------------------------------------- limits */

#define KIST_MAX_RECIPIENTS 1024
#define KIST_MAX_ENTRIES    1000000
#define KIST_MAX_PATH       4096    /* bytes in a stored path */
#define KIST_MAX_NAME       255     /* bytes in one path component */
#define KIST_CHUNK_SIZE     1048576 /* plaintext bytes per chunk written by this version */

/* ---------------------------------------------------------------- sealing */

typedef struct kist_sealer kist_sealer;

/* Called for non-fatal events (a skipped device or socket).  May be NULL. */
typedef void (*kist_warn_fn)(void *ctx, const char *path, const char *message);

/* Creates a sealer.  warn_fn receives warnings; it may be NULL. */
kist_err kist_seal_new(kist_sealer **out, kist_warn_fn warn_fn, void *warn_ctx);

/* Adds a recipient.  Duplicates are sealed once.  @return KIST_OK, KIST_E_LIMIT. */
kist_err kist_seal_add_recipient(kist_sealer *s, const kist_pubkey *pk);

/*
 * Sets how many threads compress and encrypt (0, the default: one per
 * online processor; 1: no threads).  The vault is the same either way.
 */
kist_err kist_seal_set_threads(kist_sealer *s, unsigned threads);

/* Signs the vault with id's Ed25519 key.  id must outlive kist_seal_write(). */
kist_err kist_seal_set_signer(kist_sealer *s, const kist_identity *id);

/*
 * Adds a file, folder (recursively) or symbolic link (recorded, not
 * followed).  The stored name is path made relative: "." components and
 * leading "/" and "../" are removed.  Devices, sockets and fifos are skipped
 * with a warning.  Nothing is read yet beyond directory listings.
 * @return KIST_OK, KIST_E_IO (missing or unreadable), KIST_E_INPUT (a name kist
 *         refuses, e.g. with a control character), KIST_E_LIMIT.
 */
kist_err kist_seal_add_path(kist_sealer *s, const char *path);

/*
 * Adds the contents of an open file descriptor (standard input) as one file
 * entry named name.  The descriptor is read during kist_seal_write().
 */
kist_err kist_seal_add_fd(kist_sealer *s, int fd, const char *name);

/*
 * Writes the vault to out_path: to a temporary file in the same directory,
 * fsynced, then renamed.  On any failure nothing is left under out_path.
 * Refuses to replace an existing out_path unless force is non-zero.
 * @return KIST_OK, KIST_E_ARG (no recipients, no inputs), KIST_E_EXISTS,
 *         KIST_E_IO, KIST_E_NOSPACE, KIST_E_INPUT (duplicate stored paths).
 */
kist_err kist_seal_write(kist_sealer *s, const char *out_path, int force);

/* Number of entries and total bytes of file content sealed by the last write. */
void kist_seal_stats(const kist_sealer *s, uint64_t *entries, uint64_t *bytes,
                     uint64_t *vault_bytes);

/*
 * Progress of long work (sealing, extracting, verifying): done bytes of file
 * content processed so far, out of total.  total is 0 when it is not known in
 * advance (standard input is among the inputs); done may exceed a non-zero
 * total if a file grew while it was sealed.  Called on the thread that called
 * the library function (never on a worker thread), at most once per chunk, so
 * the callback may throttle and print; it must not call back into libkist.
 */
typedef void (*kist_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Sets the progress callback of kist_seal_write() (fn NULL: none).  total is
 * the sum of the sizes the files had when they were added.
 */
kist_err kist_seal_set_progress(kist_sealer *s, kist_progress_fn fn, void *ctx);

/* Frees s.  NULL is allowed. */
void kist_seal_free(kist_sealer *s);

/* ---------------------------------------------------------------- opening */

/* What anyone can see without a key. */
typedef struct kist_vault_info {
	unsigned format_version;
	uint64_t file_size;
	uint32_t header_size;
	unsigned slot_count; /* recipient slots (of any type) */
} kist_vault_info;

/* Reads and checks the structure of the public header of the vault at path. */
kist_err kist_vault_probe(const char *path, kist_vault_info *out);

typedef struct kist_vault kist_vault;

typedef enum kist_entry_type {
	KIST_ENTRY_FILE = 0,
	KIST_ENTRY_DIR = 1,
	KIST_ENTRY_SYMLINK = 2
} kist_entry_type;

/* One entry, as recorded in the authenticated index.  Pointers are owned by the vault. */
typedef struct kist_entry {
	const char *path; /* relative, '/'-separated, validated */
	kist_entry_type type;
	uint64_t size; /* bytes of the original file (0 for dirs and links) */
	uint32_t mode; /* permission bits (07777 mask) */
	int64_t mtime; /* seconds since the epoch */
	uint32_t mtime_nsec;
	unsigned char sha256[32]; /* SHA-256 of the original bytes (files only) */
	const char *link_target;  /* symlinks only, else NULL */
	uint64_t stored_size;     /* bytes the entry occupies in the vault */
} kist_entry;

/*
 * Opens a vault with the first identity (in order) that can unwrap its key,
 * then authenticates the header, the key commitment, the trailer and the
 * index, and validates every index row.  Reads only the header, the trailer
 * and the index; no content.
 * @return KIST_OK, KIST_E_IO, KIST_E_FORMAT, KIST_E_CORRUPT, KIST_E_UNSAFE,
 *         KIST_E_NOACCESS (no identity matches), KIST_E_LIMIT.
 */
kist_err kist_vault_open(kist_vault **out, const char *path, kist_identity *const *ids,
                         size_t nids);

/* Sets how many threads decrypt (0, the default: one per processor; 1: none). */
kist_err kist_vault_set_threads(kist_vault *v, unsigned threads);

/*
 * Sets the progress callback (see kist_progress_fn) of kist_vault_extract(),
 * kist_vault_verify() and kist_vault_cat(); fn NULL: none.  total is the sum
 * of the sizes of the file entries the call reads.
 */
kist_err kist_vault_set_progress(kist_vault *v, kist_progress_fn fn, void *ctx);

/* Closes v, wiping its keys.  NULL is allowed. */
void kist_vault_close(kist_vault *v);

/* Vault metadata from the authenticated index. */
typedef struct kist_vault_meta {
	unsigned format_version;
	const char *vault_id;     /* 32 hex digits */
	int64_t created;          /* seconds since the epoch, as claimed by the sealer */
	const char *tool_version; /* of the sealing tool */
	uint64_t entry_count;
	uint64_t total_size; /* sum of file sizes */
	unsigned recipient_count;
	int signed_by_sealer; /* non-zero if the vault carries a sealer signature */
	kist_pubkey signer;   /* valid when signed_by_sealer */
	int signature_valid;  /* non-zero if the signature verified at open */
} kist_vault_meta;

void kist_vault_get_meta(const kist_vault *v, kist_vault_meta *out);

/* Number of entries, and entry i (0-based, in stored order). */
size_t kist_vault_entry_count(const kist_vault *v);
const kist_entry *kist_vault_entry_at(const kist_vault *v, size_t i);

/* Finds an entry by exact stored path.  @return the entry or NULL. */
const kist_entry *kist_vault_find(const kist_vault *v, const char *path);

/*
 * Writes the content of a file entry to fd, chunk by chunk, each chunk
 * authenticated before it is written; the SHA-256 is checked at the end.
 * A failure after some output leaves that output written: callers that must
 * not release unverified data write to a temporary file (as extract does).
 * @return KIST_OK, KIST_E_CORRUPT, KIST_E_IO, KIST_E_ARG (not a file).
 */
kist_err kist_vault_cat(kist_vault *v, const kist_entry *e, int fd);

/* Options for kist_vault_extract(). */
typedef struct kist_extract_opts {
	const char *dir;      /* target directory; must exist ("." if NULL) */
	int force;            /* replace existing files */
	kist_warn_fn warn_fn; /* told of refused symlinks and similar; may be NULL */
	void *warn_ctx;
} kist_extract_opts;

/*
 * Extracts the entries named in paths (an entry, or a directory and all
 * below it), or every entry when npaths is 0.  Every file is written under a
 * temporary name inside the target, and only when every selected entry has
 * authenticated and matched its SHA-256 are they all renamed into place; on
 * any failure every temporary file and every directory it created is removed.
 * Never writes outside dir and never follows a symbolic link while doing so.
 * Restores mode (permission bits 0777) and modification time.
 * @return KIST_OK, KIST_E_NOTFOUND, KIST_E_EXISTS, KIST_E_CORRUPT,
 *         KIST_E_UNSAFE, KIST_E_IO, KIST_E_NOSPACE, KIST_E_INTERRUPTED.
 */
kist_err kist_vault_extract(kist_vault *v, const kist_extract_opts *opts, const char *const *paths,
                            size_t npaths);

/* Result of kist_vault_verify(). */
typedef struct kist_verify_report {
	uint64_t entries_checked; /* file entries read */
	uint64_t bytes_checked;   /* original bytes authenticated and hashed */
	uint64_t entries_failed;
} kist_verify_report;

/*
 * Authenticates every chunk of every file entry and recomputes every
 * SHA-256.  Each entry that fails is reported to fail_fn (path, reason) and
 * the check goes on with the next.  The header, key commitment, index and
 * signature were already checked by kist_vault_open(), and the entries were
 * checked to cover the vault's body exactly, so every byte of the file is
 * covered by some check.
 * @return KIST_OK if everything is intact, KIST_E_CORRUPT if any entry
 *         failed, KIST_E_IO, KIST_E_INTERRUPTED.
 */
kist_err kist_vault_verify(kist_vault *v, kist_verify_report *report, kist_warn_fn fail_fn,
                           void *fail_ctx);

/* The read-only in-memory SQLite index (sqlite3 *), for queries.  Owned by v. */
void *kist_vault_index_db(kist_vault *v);

/* --------------------------------------------------------- signals, misc */

/*
 * Removes every temporary file the library currently has open by name.
 * Async-signal-safe: call it from a SIGINT/SIGTERM handler before exiting.
 */
void kist_cleanup_on_signal(void);

/*
 * Asks long operations in progress to stop at the next chunk boundary with
 * KIST_E_INTERRUPTED (async-signal-safe).
 */
void kist_interrupt(void);

#ifdef __cplusplus
}
#endif

#endif /* KIST_H */
