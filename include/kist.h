/*
 * kist: seal evidence into encrypted, indexed vaults.
 *
 * Public API of libkist.  The library never prints and never exits: every
 * function that can fail returns a kist_err, and kist_strerror() names it.
 * A short, human-readable detail of the last failure in the calling thread
 * (which file, which entry, which chunk) is available from kist_errdetail().
 *
 * Freeing.  What the library hands out is released in one of two ways:
 *   - an object (kist_identity, kist_sealer, kist_vault, kist_ledger,
 *     kist_ledger_log) with its own kist_X_free() or kist_X_close();
 *   - a buffer or array returned through an out-pointer (char **json,
 *     char **note, char **out, kist_pubkey **out) is malloc()'d: release it
 *     with free().  Each function's comment says which.
 * NULL is always safe to release.  Pointers returned by value or inside a
 * struct (entries, paths, origins, names) are owned by the object they came
 * from and stay valid until it is freed or closed, unless the function says
 * otherwise.  Secret material is kept in sodium_malloc()'d memory and wiped
 * when released.
 *
 * Threads.  Call kist_init() once, before any other thread calls libkist.
 * An object is used by one thread at a time; different objects may be used
 * by different threads at once (each has its own SQLite connection, zstd
 * contexts and keys).  kist_errdetail() is per thread.  The functions that
 * take no object (key parsing, kist_file_write(), kist_strerror(), ...) may
 * be called from any thread.  Callbacks (progress, warnings, rows, people,
 * audit findings) run on the thread that called the library, never on its
 * worker threads, and must not call back into libkist with the same object.
 *
 * Interruption.  kist_interrupt() sets one process-wide flag: every
 * operation that checks it, in any thread, stops at its next check (a chunk,
 * a batch of entries, a SQLite step) with KIST_E_INTERRUPTED and cleans up
 * as on any failure, and so does every operation started later, until
 * kist_interrupt_clear().  A program that goes on after an interrupt (to
 * report it, or to take the next job) clears the flag before its next
 * operation.  Both are async-signal-safe.
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
 * (file name, entry path, chunk number), or "" if none was recorded.  Only a
 * failure replaces it: after a call that succeeded it may still describe an
 * older failure.  The string is owned by the library and valid until the
 * next libkist call in this thread.
 */
const char *kist_errdetail(void);

/*
 * The one rendering of hostile text (names, paths, ledger and index text) for
 * a person: valid UTF-8 is shown as it is, except
 *   - bytes that are not valid UTF-8, C0 controls, DEL and C1 controls
 *     (U+0080..U+009F): each byte as \xNN (two lower-case hex digits);
 *   - characters that reorder or hide text: U+061C, U+200B..U+200F,
 *     U+202A..U+202E, U+2060, U+2066..U+2069, U+FEFF: as \u{XXXX} (four
 *     lower-case hex digits);
 *   - with KIST_ESCAPE_BACKSLASH, a backslash as \x5c (so that every
 *     backslash shown begins an escape);
 *   - with KIST_ESCAPE_KEEP_NEWLINES, tab and newline are kept.
 * kist_escape passes the rendering of len bytes of s to write(ctx, p, n) in
 * pieces; kist_escape_buf writes the rendering of the string s into out (cap
 * bytes, always terminated; cut at a character or escape, never inside one) and
 * returns its length.
 */
#define KIST_ESCAPE_BACKSLASH     1u
#define KIST_ESCAPE_KEEP_NEWLINES 2u
typedef void (*kist_write_fn)(void *ctx, const char *p, size_t n);
void kist_escape(const char *s, size_t len, unsigned flags, kist_write_fn write, void *ctx);
size_t kist_escape_buf(char *out, size_t cap, const char *s, unsigned flags);

/*
 * Decodes the UTF-8 sequence at the start of s (len bytes): returns its
 * length, 1 to 4, and its code point in *cp; 0 if len is 0 or s does not
 * begin with a valid sequence (an overlong form, a surrogate, a code point
 * above U+10FFFF, a truncated sequence).  The library's one decoder.
 */
size_t kist_utf8_next(const char *s, size_t len, uint32_t *cp);

/*
 * Initialises the library: libsodium; the allocators of SQLite, ICU and
 * jansson, which become kist's (every block wiped when freed); and OpenSSL's
 * libcrypto, without its configuration file (kist needs only the default
 * provider's SHA-256 and ChaCha20-Poly1305; a configuration, $OPENSSL_CONF or
 * the system's, could load a provider module or disable a cipher).  Those are
 * process-wide: call kist_init() before the program itself uses any of these
 * libraries (a program that started libcrypto itself keeps its own
 * configuration).  Safe to call more than once.  Every other function calls it as
 * needed; a program with threads calls it first, before starting them (see
 * "Threads" above).
 * @return KIST_OK, KIST_E_CRYPTO; KIST_E_ARG when SQLite or ICU was used
 *         before it (their allocators can no longer be set).
 */
kist_err kist_init(void);

/* Returns the library version, e.g. "0.1.0". */
const char *kist_version(void);

/*
 * Flags of the functions that write an output file (kist_sealer_write(),
 * kist_identity_save(), kist_file_write()).  Without KIST_REPLACE an
 * existing output is refused with KIST_E_EXISTS; with it, it is replaced
 * atomically.  Other bits are refused with KIST_E_ARG.
 */
#define KIST_REPLACE 1u

/* ------------------------------------------------------------ public keys */

#define KIST_PUBKEY_BYTES       64  /* X25519 public key || Ed25519 public key */
#define KIST_PUBKEY_STRLEN      114 /* "kist1" + bech32 data + checksum; the longest form */
#define KIST_AGE_PUBKEY_STRLEN  62  /* "age1" + bech32 data + checksum */
#define KIST_FINGERPRINT_STRLEN 24  /* "xxxx-xxxx-xxxx-xxxx-xxxx" */

/* What a kist_pubkey holds. */
typedef enum kist_pubkey_kind {
	KIST_PUBKEY_KIST = 0, /* a kist1... key: X25519 and Ed25519 */
	KIST_PUBKEY_AGE = 1   /* an age1... recipient: X25519 only; vaults get an age slot */
} kist_pubkey_kind;

typedef struct kist_pubkey {
	unsigned char x25519[32];  /* access: vaults are sealed to this key */
	unsigned char ed25519[32]; /* signing: vaults sealed with -s are signed by this key
	                              (all zero for KIST_PUBKEY_AGE: an age1 key cannot sign) */
	kist_pubkey_kind kind;     /* zero (KIST_PUBKEY_KIST) in a zero-initialised key */
} kist_pubkey;

/*
 * Parses a public key string: "kist1..." (bech32, checksummed; all lower or
 * all upper case), or an age recipient "age1..." (bech32 as age writes it:
 * lower case, 62 characters), which sets kind to KIST_PUBKEY_AGE.  What a
 * paste adds is dropped first, anywhere in str: ASCII blanks and line breaks,
 * quotes (also typographic ones), angle brackets, no-break spaces,
 * zero-width characters (U+200B, U+200C, U+200D, U+2060, U+FEFF), and
 * everything from a "fingerprint" label on.  The checksum still guards the
 * key.  str is at most 4096 bytes.
 * @return KIST_OK, or KIST_E_BADKEY with a detail naming what is wrong (the
 *         position and name of a character no key contains, or the length).
 */
kist_err kist_pubkey_parse(kist_pubkey *out, const char *str);

/* Writes the "kist1..." or "age1..." form of pk (by its kind), NUL-terminated, into out. */
void kist_pubkey_format(const kist_pubkey *pk, char out[KIST_PUBKEY_STRLEN + 1]);

/*
 * Writes the short fingerprint of pk ("xxxx-xxxx-xxxx-xxxx-xxxx", 80 bits of
 * SHA-256 over a domain label and the key), meant to be compared aloud.  An
 * age1 key has its own label (FORMAT.md, "Public keys").
 */
void kist_pubkey_fingerprint(const kist_pubkey *pk, char out[KIST_FINGERPRINT_STRLEN + 1]);

/*
 * Reads a recipients file: one "kist1..." or "age1..." key per line; blank
 * lines and lines starting with '#' are ignored (as in age's recipients files).  At most
 * KIST_MAX_RECIPIENTS keys. On success *out is a malloc()'d array of *count keys (free() it).
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
 * existing file atomically with flags KIST_REPLACE).  With a passphrase the
 * secret keys are encrypted (Argon2id, XChaCha20-Poly1305); with pass == NULL
 * they are stored unprotected.
 * @return KIST_OK, KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE, KIST_E_ARG (empty passphrase).
 */
kist_err kist_identity_save(const kist_identity *id, const char *path, const char *pass,
                            size_t passlen, unsigned flags);

/*
 * Loads an identity file: a kist identity file, or an age identity file with
 * one "AGE-SECRET-KEY-1..." line (as age-keygen writes it; '#' comments and
 * blank lines ignored).  Refuses a file that is not a regular file or that
 * is readable or writable by group or others (KIST_E_KEYPERM), and an age
 * file with more than one key (KIST_E_BADKEY: use kist_identity_load_all()).
 * Calls pass_fn only if the file is protected (age files never are).
 * @return KIST_OK, KIST_E_IO, KIST_E_KEYPERM, KIST_E_BADKEY, KIST_E_PASSPHRASE,
 *         KIST_E_LIMIT (cost parameters beyond the documented bounds).
 */
kist_err kist_identity_load(kist_identity **out, const char *path, kist_passphrase_fn pass_fn,
                            void *pass_ctx);

/*
 * As kist_identity_load(), but loads every key of an age identity file (a
 * kist identity file gives one).  On success *out is a malloc()'d array of
 * *count identities; release it with kist_identities_free().
 * @return as kist_identity_load(); KIST_E_LIMIT for more than 256 age keys.
 */
kist_err kist_identity_load_all(kist_identity ***out, size_t *count, const char *path,
                                kist_passphrase_fn pass_fn, void *pass_ctx);

/* Frees the n identities of ids and the array.  NULL is allowed. */
void kist_identities_free(kist_identity **ids, size_t n);

/*
 * Reads the public key of an identity file without decrypting it (no
 * passphrase needed): the key to seal to.  For a kist identity file its
 * kist1 key; for an age identity file the age1 recipient of its first key
 * (kind KIST_PUBKEY_AGE).  The same permission checks as kist_identity_load().
 */
kist_err kist_identity_file_pubkey(const char *path, kist_pubkey *out);

/* Returns non-zero if id was loaded from a passphrase-protected file. */
int kist_identity_is_protected(const kist_identity *id);

/*
 * Copies the public half of id as a kist1 key (kind KIST_PUBKEY_KIST): for
 * an age identity, its X25519 key and the Ed25519 key derived from it
 * (FORMAT.md, "Age identities").  This is the key a signature names.
 */
void kist_identity_pubkey(const kist_identity *id, kist_pubkey *out);

/* Returns non-zero if id was loaded from an age identity file. */
int kist_identity_is_age(const kist_identity *id);

/*
 * The key to seal to so that id can open the vault: its age1 recipient
 * (kind KIST_PUBKEY_AGE) for an age identity, else its kist1 key.
 */
void kist_identity_recipient(const kist_identity *id, kist_pubkey *out);

/* Wipes and frees id.  NULL is allowed. */
void kist_identity_free(kist_identity *id);

/* ----------------------------------------------------------------- limits */

#define KIST_MAX_RECIPIENTS       1024
#define KIST_MAX_ENTRIES          1000000
#define KIST_MAX_PATH             4096     /* bytes in a stored path */
#define KIST_MAX_NAME             255      /* bytes in one path component */
#define KIST_CHUNK_SIZE           1048576  /* plaintext bytes per chunk written by this version */
#define KIST_MAX_PEOPLE           1000000  /* records in a vault */
#define KIST_MAX_FIELD_BYTES      65536    /* bytes in one field of a person */
#define KIST_MAX_REGISTER_BYTES   67108864 /* bytes in one register file (64 MiB) */
#define KIST_MAX_REGISTER_COLUMNS 256      /* columns (fields) of a register */
#define KIST_MAX_PERSON_MEDIA     4096     /* media paths of one person */

/* ---------------------------------------------------------------- sealing */

typedef struct kist_sealer kist_sealer;

/* Called for non-fatal events (a skipped device or socket).  May be NULL. */
typedef void (*kist_warn_fn)(void *ctx, const char *path, const char *message);

/* Creates a sealer.  warn_fn receives warnings; it may be NULL. */
kist_err kist_sealer_new(kist_sealer **out, kist_warn_fn warn_fn, void *warn_ctx);

/*
 * Adds a recipient: a kist1 key gets a kist X25519 slot, an age1 key an age
 * X25519 slot (FORMAT.md, "Recipient slots").  Keys with the same X25519
 * key are duplicates, sealed once (the first kind given).
 * @return KIST_OK, KIST_E_LIMIT.
 */
kist_err kist_sealer_add_recipient(kist_sealer *s, const kist_pubkey *pk);

/*
 * Sets how many threads compress and encrypt (0, the default: one per
 * online processor; 1: no threads).  Fewer are used where the compressors
 * at the level would need more than 256 MiB together (at level 19, 14
 * threads at most).  The vault is the same either way.
 */
kist_err kist_sealer_set_threads(kist_sealer *s, unsigned threads);

#define KIST_LEVEL_DEFAULT 3  /* zstd level of content chunks unless set */
#define KIST_LEVEL_MAX     19 /* highest level kist_sealer_set_level() takes */

/*
 * Sets the zstd level of content chunks, 1 (fastest) to KIST_LEVEL_MAX
 * (smallest); 0 restores KIST_LEVEL_DEFAULT.  Any level opens with any
 * reader: the level is not recorded.  Chunks that do not shrink are stored
 * whatever the level.
 * @return KIST_OK, KIST_E_ARG.
 */
kist_err kist_sealer_set_level(kist_sealer *s, int level);

/*
 * Whether to pad the vault's size (on by default): Padmé rounding, at most
 * 6.25 % more bytes, 3.1 % from 64 KiB, 1.6 % from 4 GiB, so that a vault's exact size
 * does not identify known content.  Off: the vault is as small as it can be.
 */
kist_err kist_sealer_set_padding(kist_sealer *s, int on);

/*
 * Makes the vault trustee-gated (docs/GATE.md): adds a custodian (a kist1
 * key: it must sign its releases; 1 to KIST_CUSTODIANS_MAX, each once).
 * No recipient opens the vault before `quorum` custodians
 * (kist_sealer_set_quorum, default 1) released it.
 * @return KIST_OK, KIST_E_BADKEY (an age key), KIST_E_LIMIT, KIST_E_ARG (named twice).
 */
kist_err kist_sealer_add_custodian(kist_sealer *s, const kist_pubkey *pk);
/* How many custodians must release (1 to the number of custodians; checked at write). */
kist_err kist_sealer_set_quorum(kist_sealer *s, unsigned quorum);

/*
 * Signs the vault with id's Ed25519 key (for an age identity, the derived
 * one).  id must outlive kist_sealer_write().
 */
kist_err kist_sealer_set_signer(kist_sealer *s, const kist_identity *id);

/*
 * Stores the paths of the inputs added after it relative to the folder dir
 * (resolved with realpath) instead of by their last name; NULL goes back to
 * last names.  Must come before the first input.
 * @return KIST_OK, KIST_E_IO (missing), KIST_E_ARG (not a folder, or inputs
 *         already added).
 */
kist_err kist_sealer_set_base(kist_sealer *s, const char *dir);

/*
 * Adds a file, folder (recursively) or symbolic link (recorded, not
 * followed).  It is stored under the last component of path, never the
 * folders above it ("/x/Camp evidence" and "../x/photos" become "Camp
 * evidence" and "photos", "a/photos/.." becomes "a"); a folder named by ".",
 * ".." or "/" stores its contents at the top.  With kist_sealer_set_base() it
 * is stored relative to that folder instead (an input outside it is
 * refused).  Two inputs stored under the same name (or one inside the other)
 * are refused, the message naming both.  Devices, sockets and fifos are
 * skipped with a warning.  Nothing is read yet beyond directory listings.  On
 * failure the sealer is as it was.  On Windows '\' separates names as '/'
 * does, and a drive or share ("C:", "\\server\share") is never stored.
 * @return KIST_OK, KIST_E_IO (missing or unreadable), KIST_E_INPUT (a name kist
 *         refuses, e.g. with a control character; a name another input has; a
 *         path outside the base folder), KIST_E_LIMIT.
 */
kist_err kist_sealer_add_path(kist_sealer *s, const char *path);

/* The inputs added so far: their number, and the stored name of the i-th ("": a
 * folder stored by its contents).  Valid until the next add or free. */
size_t kist_sealer_input_count(const kist_sealer *s);
const char *kist_sealer_input_stored(const kist_sealer *s, size_t i);
/* The files added so far that start with a vault's magic bytes (an earlier
 * output inside a sealed folder?); each was also named to the warn function.
 * They are sealed as they are.  Inputs later dropped by a failed add count. */
size_t kist_sealer_vault_inputs(const kist_sealer *s);
/* The entries added so far, in the order they will be stored, and their stored paths. */
size_t kist_sealer_entry_count(const kist_sealer *s);
const char *kist_sealer_entry_path(const kist_sealer *s, size_t i);

/*
 * Checks what kist_sealer_write() checks before writing anything: stored paths
 * (duplicates, an entry below a file) and the registers' media paths.
 * Writes nothing (kist seal --dry-run).
 * @return KIST_OK, KIST_E_ARG (nothing to seal), KIST_E_INPUT (the detail
 *         names the path), KIST_E_NOMEM.
 */
kist_err kist_sealer_check(kist_sealer *s);

/*
 * Adds the contents of an open file descriptor (standard input) as one file
 * entry named name.  The descriptor is read during kist_sealer_write().
 */
kist_err kist_sealer_add_fd(kist_sealer *s, int fd, const char *name);

/*
 * Adds the people register in the file at path: CSV (RFC 4180, a header row,
 * UTF-8) or JSON (an array of objects), told apart by content (JSON starts
 * with '[').  Known fields: name (required), aliases, relation, born,
 * location, status, contact, notes, and media: paths of entries of the same
 * vault (';'-separated in CSV, a list in JSON), checked by kist_sealer_write().
 * Other columns are kept as extra fields.  Records go only into the
 * encrypted index.  Several registers may be added.
 * @return KIST_OK, KIST_E_IO, KIST_E_INPUT (malformed: the detail names the
 *         line or record index and the field), KIST_E_LIMIT (see the limits).
 */
kist_err kist_sealer_add_people(kist_sealer *s, const char *path);

/* As kist_sealer_add_people(), from memory; name is used in messages. */
kist_err kist_sealer_add_people_buf(kist_sealer *s, const void *buf, size_t len, const char *name);

/*
 * Writes the vault to out_path: to a temporary file in the same directory,
 * fsynced, then renamed.  On any failure nothing is left under out_path.
 * Refuses to replace an existing out_path unless flags has KIST_REPLACE.
 * Every media path of the people registers must name an entry; this is
 * checked before any output is created.
 * @return KIST_OK, KIST_E_ARG (no recipients, no inputs), KIST_E_EXISTS,
 *         KIST_E_IO, KIST_E_NOSPACE, KIST_E_INPUT (duplicate stored paths,
 *         a media path that is not an entry).
 */
kist_err kist_sealer_write(kist_sealer *s, const char *out_path, unsigned flags);

/*
 * As kist_sealer_write(), but writes the vault straight to the open descriptor
 * fd (a pipe, or standard output), named name in messages; fd is not closed.
 * A stream cannot be taken back: on failure part of a vault may have been
 * written, and the caller must say so (a reader of it finds it truncated).
 * Refuses a regular file behind fd that is one of the inputs.
 * @return as kist_sealer_write(), KIST_E_ARG (fd < 0).
 */
kist_err kist_sealer_write_fd(kist_sealer *s, int fd, const char *name);

/* Number of entries and total bytes of file content sealed by the last write. */
void kist_sealer_stats(const kist_sealer *s, uint64_t *entries, uint64_t *bytes,
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
 * Sets the progress callback of kist_sealer_write() (fn NULL: none).  total is
 * the sum of the sizes the files had when they were added.
 */
kist_err kist_sealer_set_progress(kist_sealer *s, kist_progress_fn fn, void *ctx);

/* Frees s.  NULL is allowed. */
void kist_sealer_free(kist_sealer *s);

/* --- Problems with the inputs, found in one pass (issue 15) --- */

/*
 * Told of one path that cannot be sealed: path as given (below an input:
 * the input's path joined with the names below it), why in words, and
 * left_out non-zero when KIST_SEAL_SKIP_UNREADABLE leaves it out.
 */
typedef void (*kist_problem_fn)(void *ctx, const char *path, const char *why, int left_out);

/* kist_sealer_set_problems(): leave out what cannot be read (unreadable
 * files and folders, fifos, sockets, devices) and seal the rest. */
#define KIST_SEAL_SKIP_UNREADABLE 1u

/*
 * From now on kist_sealer_add_path() does not stop at a path it cannot seal:
 * a missing or unreadable file or folder (each file is opened once to
 * know), a name kist cannot store, a fifo, socket or device, a path
 * outside the base folder.  It tells fn (may be NULL) of each, leaves it
 * out and walks on; kist_sealer_check() and kist_sealer_write() then fail
 * before anything is written with one error, its detail the count ("2
 * inputs cannot be sealed"): KIST_E_IO if every one is missing or
 * unreadable, else KIST_E_INPUT.  With KIST_SEAL_SKIP_UNREADABLE the
 * unreadable and special ones (not a missing input named by its caller)
 * are left out instead and do not count.  Without this call the first
 * problem ends kist_sealer_add_path() and fifos, sockets and devices are
 * skipped with a warning.  Call it before the first input.
 * @return KIST_OK, KIST_E_ARG (unknown flags).
 */
kist_err kist_sealer_set_problems(kist_sealer *s, kist_problem_fn fn, void *ctx, unsigned flags);

/*
 * Leaves out of the inputs added after it every path that pattern matches,
 * with fnmatch(3) and no flags ('*' also matches '/'), against its stored
 * path or against any one of its names; what is below an excluded folder is
 * never looked at.  Repeatable (at most 1024 patterns).
 * @return KIST_OK, KIST_E_ARG (empty), KIST_E_LIMIT.
 */
kist_err kist_sealer_add_exclude(kist_sealer *s, const char *pattern);

/* The problems found so far (kist_sealer_set_problems), in walk order: the
 * i-th one's path, or NULL past the end; why and left_out may be NULL. */
size_t kist_sealer_problem_count(const kist_sealer *s);
const char *kist_sealer_problem(const kist_sealer *s, size_t i, const char **why, int *left_out);

/* The paths left out so far by kist_sealer_add_exclude() patterns (a folder
 * counts once, whatever it holds). */
size_t kist_sealer_excluded_count(const kist_sealer *s);

/* ---------------------------------------------------------------- opening */

/* What anyone can see without a key. */
typedef struct kist_vault_info {
	unsigned format_version;
	uint64_t file_size;
	uint32_t header_size;
	unsigned slot_count;      /* recipient slots (version 1: slots of any type) */
	unsigned age_slots;       /* of which age X25519 slots (type 2); slot types are public */
	unsigned grant_count;     /* version 2: grant records (their number is public) */
	unsigned custodian_count; /* version 2: custodians of a trustee-gated vault (public) */
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
 * Opens a vault with the first identity (in order) that can unwrap its key
 * (every identity, kist or age, tries both the kist and the age X25519 slots),
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
	int padded;           /* version 2: the size is padded (kist_sealer_set_padding) */
	uint64_t pad_len;     /* padding bytes */
	int padme;            /* padded to exactly Padmé's size (as kist pads) */
	size_t grant_count;   /* grant records (kist_vault_grant_get) */
} kist_vault_meta;

/* Fills out; its strings are owned by v. */
void kist_vault_get_meta(const kist_vault *v, kist_vault_meta *out);

#define KIST_GRANT_KEYS_MAX 32 /* recipients one grant adds */
#define KIST_CUSTODIANS_MAX 16 /* custodians of a trustee-gated vault */

/* A grant record of a version 2 vault: who added which recipients, when. */
typedef struct kist_grant_info {
	int64_t time;            /* seconds since the epoch, as the granter claims */
	kist_pubkey granter;     /* the granter's key; its signature verified at open */
	size_t key_count;        /* recipients this grant added */
	const kist_pubkey *keys; /* owned by the vault */
} kist_grant_info;

/* Number of grant records (0 for a version 1 vault), and record i, oldest first. */
size_t kist_vault_grant_count(const kist_vault *v);
/* @return KIST_OK, KIST_E_ARG (no record i). */
kist_err kist_vault_grant_get(const kist_vault *v, size_t i, kist_grant_info *out);

/*
 * Writes to out_path a copy of v that also opens for keys[0..n) (1 to 32
 * recipients): the header gains their slots and a grant record signed by
 * granter's Ed25519 key; every byte after the header is copied unchanged (no
 * content is decrypted), so the sealer's signature still verifies.  Written
 * atomically; an existing out_path is replaced only with KIST_REPLACE.  A
 * recipient cannot be removed this way: copies already sent keep opening.
 * @return KIST_OK, KIST_E_ARG, KIST_E_FORMAT (a version 1 vault),
 *         KIST_E_LIMIT (header full), KIST_E_EXISTS, KIST_E_IO,
 *         KIST_E_INTERRUPTED.
 */
kist_err kist_vault_grant(kist_vault *v, const kist_identity *granter, const kist_pubkey *keys,
                          size_t n, const char *out_path, unsigned flags);

/* Number of entries, and entry i (0-based, in stored order). */
size_t kist_vault_entry_count(const kist_vault *v);
const kist_entry *kist_vault_entry_at(const kist_vault *v, size_t i);

/* Finds an entry by exact stored path.  @return the entry or NULL. */
const kist_entry *kist_vault_find(const kist_vault *v, const char *path);

/*
 * Writes the content of a file entry to fd, and nothing before the whole
 * entry has authenticated and matched its SHA-256 (which the index, and so
 * the sealer's signature, binds).  An entry of at most 64 MiB is held in
 * memory between the check and the write; a larger one is decrypted twice,
 * the second pass writing each chunk only if it equals what the first pass
 * checked.  No unchecked byte is ever written: on KIST_E_CORRUPT nothing
 * was (unless the vault file changed between the two passes, when only
 * checked chunks were); a write failure (KIST_E_IO) may leave part written.
 * @return KIST_OK, KIST_E_CORRUPT, KIST_E_IO, KIST_E_NOMEM, KIST_E_ARG (not a file).
 */
kist_err kist_vault_cat(kist_vault *v, const kist_entry *e, int fd);

/* Options for kist_vault_extract(). */
typedef struct kist_extract_opts {
	const char *dir;      /* target directory ("." if NULL) */
	int force;            /* replace existing files */
	int create_dir;       /* create a missing dir, mode 0700, one level (its parent must
	                       * exist); removed again if the extraction fails */
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
	int padding_damaged; /* version 2: the padding is not what the key makes */
} kist_verify_report;

/*
 * Authenticates every chunk of every file entry and recomputes every
 * SHA-256.  Each entry that fails is reported to fail_fn (path, reason) and
 * the check goes on with the next.  The header, key commitment, index and
 * signature were already checked by kist_vault_open(), and the entries were
 * checked to cover the vault's body exactly, so every byte of the file is
 * covered by some check (the padding of a version 2 vault is compared with
 * the keystream it must be).
 * @return KIST_OK if everything is intact, KIST_E_CORRUPT if any entry
 *         failed, KIST_E_IO, KIST_E_INTERRUPTED.
 */
kist_err kist_vault_verify(kist_vault *v, kist_verify_report *report, kist_warn_fn fail_fn,
                           void *fail_ctx);

/* ----------------------------------------------------------------- people */

/* One person of the register, as read from the authenticated index. */
typedef struct kist_person {
	int64_t id; /* 1-based, in register order */
	const char *name;
	const char *aliases, *relation, *born, *location, *status, *contact, *notes; /* or NULL */
	size_t nextra; /* fields the register had beyond the known ones */
	const char *const *extra_names;
	const char *const *extra_values;
	size_t nmedia; /* linked entries */
	const kist_entry *const *media;
	int approximate; /* found only by the cross-script comparison (see kist_vault_people) */
} kist_person;

/* Called once per person; pointers are valid during the call.  Non-zero stops. */
typedef int (*kist_person_fn)(void *ctx, const kist_person *p);

/* Number of people in the vault's register (0 if it has none). */
size_t kist_vault_people_count(const kist_vault *v);

/*
 * Calls fn for the people matching search, best matches first, or for every
 * person in register order if search is NULL or empty.  Every word of search
 * must match: a word matches the beginning of a word of the name, aliases,
 * relation, born, location, status, notes or extra fields, or (three
 * characters or more) any part of them.  Case (in every script) and Latin
 * diacritics are ignored; Arabic and Persian letter variants and diacritics
 * are unified.  Last come the people found only across scripts or spellings
 * (approximate is set): every word of two consonants or more has the same
 * consonant skeleton, after ICU transliteration to Latin letters, as a word
 * of the name or aliases ("Karimi" finds the person registered in Arabic
 * script, "Hoseini" the one spelt "Hosseini").  search has at most 32 words
 * and 64 KiB.
 * @return KIST_OK (also when nobody matches), KIST_E_ARG (search too long or
 *         not UTF-8), KIST_E_NOMEM.
 */
kist_err kist_vault_people(kist_vault *v, const char *search, kist_person_fn fn, void *ctx);

/*
 * Finds one person by id ("17" or "#17") or by full name (case and
 * diacritics ignored).  @return KIST_OK, KIST_E_NOTFOUND, KIST_E_ARG (a name
 * shared by several people: the detail lists their ids).
 */
kist_err kist_vault_person_find(kist_vault *v, const char *name_or_id, kist_person_fn fn,
                                void *ctx);

typedef enum kist_value_type {
	KIST_VALUE_NULL,
	KIST_VALUE_INTEGER,
	KIST_VALUE_REAL,
	KIST_VALUE_TEXT,
	KIST_VALUE_BLOB
} kist_value_type;

/* One value of a query result. */
typedef struct kist_value {
	kist_value_type type;
	int64_t integer;
	double real;
	const unsigned char *bytes; /* TEXT (UTF-8, NUL-terminated) and BLOB */
	size_t len;
} kist_value;

/* Called first with values NULL (the column names), then once per row.  Non-zero stops. */
typedef int (*kist_row_fn)(void *ctx, size_t ncols, const char *const *names,
                           const kist_value *values);

/*
 * Runs one read-only SQL statement over the index (schema in docs/INDEX.md).
 * An authorizer allows only reading: writes, ATTACH, PRAGMA, extension
 * loading and every other state change are refused with KIST_E_ARG and a
 * detail naming what was refused.  kist_interrupt() stops a long query.
 * @return KIST_OK, KIST_E_ARG (refused or not valid SQL), KIST_E_LIMIT,
 *         KIST_E_INTERRUPTED.
 */
kist_err kist_vault_query(kist_vault *v, const char *sql, kist_row_fn fn, void *ctx);

/* --------------------------------------------------------- custody ledger */

/*
 * The custody ledger (docs/AUDIT.md): a local SQLite file to which every
 * opening of a vault appends an entry signed with the actor's Ed25519 key.
 * The entries' leaf hashes form an RFC 9162 Merkle tree whose size and root
 * are pinned by checkpoints in the C2SP tlog-checkpoint signed-note format.
 */
typedef struct kist_ledger kist_ledger;

#define KIST_LEDGER_ACTION_MAX 32   /* bytes in an action name */
#define KIST_LEDGER_PATHS_MAX  4096 /* entries touched, recorded per ledger entry */

/*
 * Writes the default ledger path into out: $KIST_LEDGER if set and not
 * empty, else $XDG_DATA_HOME/kist/ledger.db, else ~/.local/share/kist/ledger.db.
 * @return KIST_OK, KIST_E_ARG (no home directory), KIST_E_LIMIT (too long).
 */
kist_err kist_ledger_default_path(char *out, size_t cap);

/*
 * Opens the ledger at path for appending, creating it (mode 0600, missing
 * parent directories 0700) with a fresh random origin if it does not exist.
 * Refuses a path that is not a regular file, and a ledger that cannot be
 * written (KIST_E_IO, detail says so): callers must then release nothing.
 * @return KIST_OK, KIST_E_IO, KIST_E_NOSPACE, KIST_E_FORMAT (not a ledger).
 */
kist_err kist_ledger_open(kist_ledger **out, const char *path);

/*
 * Appends one entry: the vault's id, the actor's public key, the action
 * ("list", "extract", ...), the stored paths touched (npaths may be 0), the
 * current time and this tool's version, at the next index, signed with the
 * actor's Ed25519 key.  One IMMEDIATE transaction, synchronous=FULL: when it
 * returns KIST_OK the entry is on disk.  Concurrent appenders wait for each
 * other (up to 30 s), so indices stay contiguous.  *index (may be NULL)
 * receives the new entry's index.
 * @return KIST_OK, KIST_E_ARG, KIST_E_LIMIT, KIST_E_IO, KIST_E_NOSPACE.
 */
kist_err kist_ledger_append(kist_ledger *l, const kist_identity *actor, const char *vault_id,
                            const char *action, const char *const *paths, size_t npaths,
                            uint64_t *index);

/* The ledger's origin line, "kist-ledger/<32 hex digits>".  Owned by l. */
const char *kist_ledger_origin(const kist_ledger *l);

/* Stores a checkpoint note in the ledger (exported with it, checked by audits). */
kist_err kist_ledger_store_checkpoint(kist_ledger *l, const char *note);

/* Closes l.  NULL is allowed. */
void kist_ledger_close(kist_ledger *l);

/* One entry as loaded for listing or audit.  Pointers are owned by the log. */
typedef struct kist_ledger_entry {
	uint64_t index;       /* as stored */
	const char *vault_id; /* as stored: may be hostile, print it escaped */
	kist_pubkey actor;
	const char *action;
	const char *const *paths;
	size_t npaths;
	int64_t time;     /* seconds since the epoch, the actor's clock */
	const char *tool; /* e.g. "kist 0.1.0" */
	unsigned char prev[32];
	unsigned char body_hash[32];
	unsigned char signature[64];
	unsigned char leaf[32];
	const char *malformed; /* non-NULL if a stored field could not be read: why */
} kist_ledger_entry;

/* A loaded ledger or bundle: the entries in storage order, and stored checkpoints. */
typedef struct kist_ledger_log kist_ledger_log;

/*
 * Loads a ledger file read-only and defensively (it may be crafted): no
 * triggers, views or extensions, exact columns, every value's type and size
 * checked.  A row whose values cannot be read is kept, marked malformed.
 * @return KIST_OK, KIST_E_IO, KIST_E_FORMAT (not a kist ledger), KIST_E_LIMIT, KIST_E_NOMEM.
 */
kist_err kist_ledger_load(kist_ledger_log **out, const char *path);

/* Loads an export bundle (JSON, see docs/AUDIT.md).  Same rules as kist_ledger_load(). */
kist_err kist_ledger_load_bundle(kist_ledger_log **out, const void *buf, size_t len);

/* Writes log as an export bundle (JSON, NUL-terminated, *len bytes) into *json; free() it. */
kist_err kist_ledger_bundle(const kist_ledger_log *log, char **json, size_t *len);

/* Receives the bundle piece by piece; returns KIST_OK to go on, anything else to stop. */
typedef kist_err (*kist_ledger_out_fn)(void *ctx, const char *data, size_t len);

/*
 * Writes log as an export bundle through out, one entry at a time (the same
 * JSON as kist_ledger_bundle()).  Stops at kist_interrupt().
 * @return KIST_OK, KIST_E_NOMEM, KIST_E_INTERRUPTED, or what out returned.
 */
kist_err kist_ledger_bundle_write(const kist_ledger_log *log, kist_ledger_out_fn out, void *ctx);

/*
 * The log's origin line, its number of entries and entry i (storage order),
 * its number of stored checkpoint notes and note i.  Owned by log.
 */
const char *kist_ledger_log_origin(const kist_ledger_log *log);
size_t kist_ledger_log_count(const kist_ledger_log *log);
const kist_ledger_entry *kist_ledger_log_entry(const kist_ledger_log *log, size_t i);
size_t kist_ledger_log_checkpoint_count(const kist_ledger_log *log);
const char *kist_ledger_log_checkpoint(const kist_ledger_log *log, size_t i);
/* Frees log.  NULL is allowed. */
void kist_ledger_log_free(kist_ledger_log *log);

/*
 * Writes a checkpoint note (C2SP tlog-checkpoint: origin, size, base64 root)
 * for the whole log into *note (NUL-terminated; free() it).  With a signer, a
 * signature line "— <kist public key> <base64(key id || Ed25519 signature)>"
 * follows a blank line; without one, the note is the unsigned body.  With a
 * signer it refuses (KIST_E_CORRUPT) a log whose entries are not stored in
 * index order, do not hash to their stored body and leaf hashes, break the
 * chain, or do not extend a checkpoint stored in it; the actors' signatures
 * are left to kist_ledger_audit(), which is slower by far.
 */
kist_err kist_ledger_checkpoint(const kist_ledger_log *log, const kist_identity *signer,
                                char **note);

/* What an audit found, from the most to the least specific. */
typedef enum kist_audit_kind {
	KIST_AUDIT_REWRITTEN = 1, /* an entry's fields no longer match what was signed */
	KIST_AUDIT_DELETED,   /* an index is missing, or an entry does not follow its predecessor */
	KIST_AUDIT_REORDERED, /* the entries are stored out of their signed order */
	KIST_AUDIT_FORGED,    /* a signature does not verify for the entry's actor */
	KIST_AUDIT_ROLLBACK,  /* the log is shorter than, or diverges from, a checkpoint */
	KIST_AUDIT_CHECKPOINT, /* a checkpoint is unsigned, or its signature is forged or altered */
	KIST_AUDIT_NOTE /* a note given or stored is unusable but not evidence of tampering: not a
	                   checkpoint, damaged in transit (CRLF, trailing spaces), or another
	                   ledger's */
} kist_audit_kind;

/* Called for each finding; index is the entry's (or the checkpoint's) number. */
typedef void (*kist_audit_fn)(void *ctx, kist_audit_kind kind, uint64_t index, const char *message);

typedef struct kist_audit_report {
	uint64_t size;          /* entries */
	unsigned char root[32]; /* recomputed over the entries in signed order */
	unsigned found;         /* bit (1u << kind) for each kind found */
	size_t checkpoints_ok;  /* checkpoints whose signature and consistency held */
	uint64_t unverified;    /* the first entries whose signatures were not verified again
	                           (kist_ledger_audit_held); 0 otherwise */
} kist_audit_report;

/*
 * Audits log: every signature, body hash and leaf hash, contiguous indices in
 * storage order, the hash chain, the Merkle root, and for each checkpoint
 * (the nnotes given, then those stored in the log) its signature, its origin
 * and that the log extends it (its root is the RFC 9162 root of the log's
 * first size leaves: what a consistency proof shows; all checkpoints are
 * checked in one pass over the leaves).  Each finding goes to fn (may be
 * NULL).  Stops at kist_interrupt().
 * @return KIST_OK if nothing was found, KIST_E_CORRUPT if anything was (see
 *         rep->found), KIST_E_NOMEM, KIST_E_INTERRUPTED.
 */
kist_err kist_ledger_audit(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                           kist_audit_fn fn, void *ctx, kist_audit_report *rep);

/*
 * kist_ledger_audit() for a trustee who audited this log before: held_size
 * and held_root are the checkpoint this trustee last cosigned, from the
 * trustee's own witness state (kist_witness_state_load()), which
 * kist_witness_cosign() writes only after the log passed a full audit.  If
 * the first held_size entries are each sound without their signatures, and
 * the RFC 9162 root of their leaf hashes, recomputed from their fields and
 * signatures (SHA-256; never the stored leaf hashes), is held_root, then
 * they are the same bytes whose signatures were verified then: their
 * signatures are not verified again and rep->unverified is held_size.
 * Otherwise every signature is verified (rep->unverified 0).  Every other
 * check runs on every entry.  Returns as kist_ledger_audit().
 */
kist_err kist_ledger_audit_held(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                                uint64_t held_size, const unsigned char held_root[32],
                                kist_audit_fn fn, void *ctx, kist_audit_report *rep);

/*
 * As kist_ledger_checkpoint(), from the report of the kist_ledger_audit() of
 * log just run, without auditing again (*note: free() it).  Refuses to sign
 * (KIST_E_CORRUPT) when the report has findings, and a report of another size
 * (KIST_E_ARG).
 */
kist_err kist_ledger_checkpoint_audited(const kist_ledger_log *log, const kist_audit_report *rep,
                                        const kist_identity *signer, char **note);

/* Index of the identity (in the array given to kist_vault_open) that opened v. */
size_t kist_vault_opened_with(const kist_vault *v);

/* The vault id of the last vault kist_sealer_write() wrote ("" before). */
const char *kist_sealer_vault_id(const kist_sealer *s);

/* The SHA-256 of the whole file kist_sealer_write() last wrote (zeros before). */
void kist_sealer_file_sha256(const kist_sealer *s, unsigned char out[32]);

/*
 * The SHA-256 of the whole vault file v was opened from, read again from its
 * open descriptor (sha256sum of the file gives the same).
 * @return KIST_OK, KIST_E_IO (a read failed, or the file changed size),
 *         KIST_E_NOMEM, KIST_E_INTERRUPTED.
 */
kist_err kist_vault_file_sha256(kist_vault *v, unsigned char out[32]);

/* ------------------------------------------------ trustee-gated opening */

/*
 * A trustee-gated vault (docs/GATE.md) opens only with releases from a
 * quorum of its custodians: a recipient makes a request, each custodian
 * records a release in its own ledger and sends it back, and the recipient
 * opens with the releases and the request key kept when the request was made.
 */
typedef struct kist_gate_info {
	unsigned quorum;
	unsigned ncustodians;
	kist_pubkey custodians[KIST_CUSTODIANS_MAX];
	char vault_id[33];
} kist_gate_info;

/*
 * Reads the gate of the vault at path with a recipient's identities (the
 * header is authenticated first).
 * @return KIST_OK, KIST_E_NOTFOUND (not trustee-gated), and kist_vault_open()'s errors.
 */
kist_err kist_vault_gate(const char *path, kist_identity *const *ids, size_t nids,
                         kist_gate_info *out);

typedef enum kist_scope {
	KIST_SCOPE_ALL = 0,    /* the whole vault */
	KIST_SCOPE_PATHS = 1,  /* the stored paths named */
	KIST_SCOPE_PERSON = 2, /* one person's linked media */
} kist_scope;
#define KIST_REQUEST_PATHS_MAX  256  /* paths one request names */
#define KIST_REQUEST_TEXT_MAX   4091 /* bytes in a path (its ledger entry adds "path=") */
#define KIST_REQUEST_REASON_MAX 1024 /* bytes in a reason or a release's note */

/* A request, parsed and its requester's signature checked. */
typedef struct kist_request kist_request;

typedef struct kist_request_info {
	unsigned char digest[32]; /* SHA-256 of the request file: what releases name */
	int64_t created;          /* the requester's clock */
	kist_pubkey requester;
	char vault_id[33];
	kist_scope scope;
	const char *const *items; /* scope's paths, or the person; owned by the request */
	size_t nitems;
	const char *reason;
} kist_request_info;

/*
 * Makes a request for the gated vault at path, signed by the identity of
 * ids that opens the vault's gate (a kist identity).  Returns the request
 * file (*req) and the request key (*key): the request's one-time secret,
 * wrapped to the requester, with the request; keep it (mode 0600) until the
 * releases are used.  Both malloc'd.  items are the paths or the person of scope.
 * @return KIST_OK, KIST_E_ARG, KIST_E_LIMIT, KIST_E_BADKEY (an age identity),
 *         and kist_vault_gate()'s errors.
 */
kist_err kist_request_make(const char *path, kist_identity *const *ids, size_t nids,
                           kist_scope scope, const char *const *items, size_t nitems,
                           const char *reason, unsigned char **req, size_t *req_len,
                           unsigned char **key, size_t *key_len);

/*
 * Parses a request file strictly and checks its signature.
 * @return KIST_OK, KIST_E_FORMAT, KIST_E_LIMIT, KIST_E_SIGNATURE, KIST_E_NOMEM.
 */
kist_err kist_request_parse(kist_request **out, const void *buf, size_t len);
void kist_request_get_info(const kist_request *r, kist_request_info *out);
void kist_request_free(kist_request *r);

/*
 * A custodian's check of a request: the vault's header in it holds a
 * custodian slot that custodian opens, naming the request's vault.  *share_no
 * (may be NULL) receives the custodian's share number.
 * @return KIST_OK, KIST_E_NOACCESS (not a custodian of that vault), KIST_E_CORRUPT.
 */
kist_err kist_request_check(const kist_request *r, const kist_identity *custodian,
                            unsigned *share_no);

/*
 * Records the custodian's decision in its ledger l (action "release" or
 * "refuse", the request's digest, requester, scope and reason as the
 * entry's paths; docs/GATE.md): the first step of a release, before
 * anything leaves.  *index receives the entry's index.
 * @return kist_ledger_append()'s errors, and kist_request_check()'s.
 */
kist_err kist_release_record(const kist_request *r, const kist_identity *custodian, kist_ledger *l,
                             int refuse, uint64_t *index);

/*
 * Builds the release (or refusal) of entry index of the ledger at
 * ledger_path: the custodian's share wrapped to the request's one-time key,
 * the entry, its inclusion proof and a checkpoint of the ledger signed by
 * the custodian, all signed.  *out malloc'd.
 * @return KIST_OK, KIST_E_CORRUPT (the entry is not this decision), ledger and check errors.
 */
kist_err kist_release_build(const kist_request *r, const kist_identity *custodian,
                            const char *ledger_path, uint64_t index, int refuse, const char *note,
                            unsigned char **out, size_t *len);

/* The request digest a release names (its structure only is checked). */
kist_err kist_release_request_digest(const void *buf, size_t len, unsigned char digest[32]);

/*
 * Opens a trustee-gated vault with releases rel[0..nrel) (rel_len[i] bytes
 * each) and the request key they answer: every release's signature,
 * request, vault, custodian, ledger entry, inclusion proof and checkpoint
 * are checked, then quorum shares rebuild the key.  *req (may be NULL)
 * receives the request, for its scope.  KIST_E_NOACCESS with fewer good
 * releases than the quorum (the detail names the custodians still needed).
 * @return kist_vault_open()'s errors, KIST_E_SIGNATURE, KIST_E_NOTFOUND.
 */
kist_err kist_vault_open_released(kist_vault **out, const char *path, kist_identity *const *ids,
                                  size_t nids, const void *const *rel, const size_t *rel_len,
                                  size_t nrel, const void *key, size_t key_len, kist_request **req);

/* --------------------------------------------------------- signals, misc */

/*
 * Removes every temporary file the library currently has open by name.
 * Async-signal-safe: call it from a SIGINT/SIGTERM handler before exiting.
 */
void kist_cleanup_on_signal(void);

/*
 * Sets the interrupt flag (see "Interruption" above): long operations stop at
 * their next check (a chunk, a batch of entries or rows) with
 * KIST_E_INTERRUPTED, in every thread, and so do the operations started
 * later until kist_interrupt_clear().  Async-signal-safe.
 */
void kist_interrupt(void);

/*
 * Clears the interrupt flag: operations started after it run normally.
 * One that was stopped is not resumed.  Async-signal-safe.
 */
void kist_interrupt_clear(void);

/* ---------------------------------------------------- witnessed checkpoints */

/*
 * A trustee (a witness) cosigns a ledger's checkpoint notes, C2SP
 * tlog-cosignature v1 with Ed25519, after checking that the ledger it was
 * given extends the last checkpoint it cosigned for that origin.  Its state,
 * one small file per origin in a folder it keeps, is written atomically.
 * docs/AUDIT.md describes the flow and the formats.
 */
#define KIST_COSIGNERS_MAX 16 /* cosigner keys checked per note */

/* What a witness or a comparison found. */
typedef enum kist_witness_verdict {
	KIST_WITNESS_OK = 0,
	KIST_WITNESS_ROLLBACK, /* fewer entries than a checkpoint already held */
	KIST_WITNESS_FORK,     /* one origin, two histories */
	KIST_WITNESS_OTHER     /* another ledger (origin), or a key other than the pinned one */
} kist_witness_verdict;

/* A checkpoint note as read for witnessing. */
typedef struct kist_note_info {
	char origin[257];
	uint64_t size;
	unsigned char root[32];
	kist_pubkey signer; /* the kist key whose signature verified */
	size_t ncosigners;  /* distinct cosigners whose cosignature verified */
	kist_pubkey cosigners[KIST_COSIGNERS_MAX];
	uint64_t cosigned_at[KIST_COSIGNERS_MAX]; /* their timestamps (seconds since the epoch) */
	int normalized; /* CRLF line ends or trailing blanks were removed before reading */
} kist_note_info;

/*
 * Reads a checkpoint note (at most 65536 bytes; CRLF line ends and blanks at
 * line ends, as mail leaves them, are removed first) and checks that a kist
 * key signed it.  Then checks its cosignatures: by each of the n keys in
 * cosigners, or, with n 0, by every key whose kist1... form is the line's
 * name.  A key is counted once.
 * @return KIST_OK, KIST_E_FORMAT (malformed: detail says what),
 *         KIST_E_SIGNATURE (no valid kist signature), KIST_E_NOMEM.
 */
kist_err kist_note_read(kist_note_info *info, const char *text, size_t len,
                        const kist_pubkey *cosigners, size_t n);

/*
 * Appends to a signed note (normalised as kist_note_read() does; an earlier
 * cosignature by the same key is replaced) the cosignature of witness made at
 * timestamp: "— <kist1 key> base64(key id || timestamp (8 bytes BE) ||
 * Ed25519 signature)", over "cosignature/v1\ntime <timestamp>\n" || body.
 * Checks nothing about the ledger: use kist_witness_cosign().  *out is
 * NUL-terminated; free() it.
 * @return KIST_OK, KIST_E_FORMAT, KIST_E_ARG (a key that cannot sign), KIST_E_LIMIT (the
 *         note would exceed 65536 bytes), KIST_E_NOMEM.
 */
kist_err kist_note_cosign(char **out, const char *text, size_t len, const kist_identity *witness,
                          uint64_t timestamp);

/* What a witness holds for one origin. */
typedef struct kist_witness_state {
	char origin[257];
	kist_pubkey key; /* the ledger key pinned on first use */
	uint64_t size;   /* the last size cosigned */
	unsigned char root[32];
	int64_t time; /* when (the witness's clock) */
} kist_witness_state;

/*
 * Loads the state for origin from dir.  *found is 0 (and st zeroed) if this
 * witness never cosigned that origin.
 * @return KIST_OK, KIST_E_IO, KIST_E_CORRUPT (a damaged state file), KIST_E_ARG.
 */
kist_err kist_witness_state_load(const char *dir, const char *origin, kist_witness_state *st,
                                 int *found);

/*
 * The witness: reads the note (kist_note_read()), audits log, and cosigns the
 * note at now only if the note is of log (origin, and its size and root
 * recomputed from log's entries) and log extends the state held in dir for
 * that origin (RFC 9162 consistency proof).  The first cosignature of an
 * origin pins it and the key that signed the note.  The new state is written
 * (temporary file, fsync, rename, fsync of dir; dir is created 0700 if
 * missing; one witness at a time, under a lock) before *out (the cosigned
 * note, NUL-terminated; free() it) is made.  *held
 * (may be NULL) receives the state held before, if any (held->size 0 and
 * origin "" if none).
 * @return KIST_OK; KIST_E_CORRUPT with *verdict ROLLBACK, FORK or OTHER (the
 *         detail says which, with both sizes), or with KIST_WITNESS_OK when
 *         the ledger fails its audit or the state file is damaged (it is
 *         never replaced then); KIST_E_SIGNATURE, KIST_E_FORMAT (the note),
 *         KIST_E_IO, KIST_E_NOSPACE, KIST_E_NOMEM.
 */
kist_err kist_witness_cosign(const char *dir, const char *note, size_t len,
                             const kist_ledger_log *log, const kist_identity *witness, uint64_t now,
                             char **out, kist_witness_verdict *verdict, kist_witness_state *held);

/*
 * Checks that log extends size and root (as held by a witness or pinned by a
 * note): the root of log's first size entries equals root.  Call it only
 * for a log that passed kist_ledger_audit(): it trusts the stored leaf
 * hashes (one pass, no signature checked again).  @return KIST_OK;
 * KIST_E_CORRUPT with *verdict ROLLBACK (log is shorter) or FORK, or with
 * KIST_WITNESS_OK for entries out of index order; KIST_E_NOMEM.
 */
kist_err kist_witness_check_log(const kist_ledger_log *log, uint64_t size,
                                const unsigned char root[32], kist_witness_verdict *verdict);

/*
 * Compares two notes read by kist_note_read().  With the same origin, equal
 * sizes must have equal roots; with different sizes, log (may be NULL) must
 * hold both (each root recomputed from its entries), which proves one
 * extends the other.
 * @return KIST_OK (consistent; *checked is 0 if that could not be proven:
 *         different sizes and no log), KIST_E_CORRUPT with *verdict FORK,
 *         ROLLBACK (log is shorter than a note) or OTHER (another origin).
 */
kist_err kist_note_compare(const kist_note_info *a, const kist_note_info *b,
                           const kist_ledger_log *log, kist_witness_verdict *verdict, int *checked);

/*
 * Writes len bytes to path: temporary name, fsync, rename (replaces an
 * existing path only with flags KIST_REPLACE).
 * @return KIST_OK, KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE, KIST_E_ARG (unknown flags).
 */
kist_err kist_file_write(const char *path, const void *data, size_t len, unsigned flags);

/* ------------------------------------------------------------ part sets */
/*
 * A vault can travel as a part set: numbered part files of at most a given
 * size, plus optional parity parts from which any that many lost or damaged
 * parts are rebuilt (Reed-Solomon, ISA-L).  A part names its set and its
 * place in it; parts are found by content, whatever their names.  Nothing
 * here needs a key: the checks cover the vault's ciphertext.  The format is
 * in docs/FORMAT.md, "Part sets".
 */
/*
 * Cuts the vault file at vault_path into parts named BASE.001, BASE.002, ...
 * of at most part_size bytes each, header and manifest included, followed by
 * `parity` parity parts numbered after them.  Every part is written under a
 * temporary name and renamed only once all are complete; on failure none is
 * left.  *nparts (may be NULL) gets the number of parts written.
 * @return KIST_OK, KIST_E_IO, KIST_E_NOSPACE, KIST_E_EXISTS (a part name
 *         exists and flags lacks KIST_REPLACE), KIST_E_ARG (part size
 *         too small), KIST_E_LIMIT (more than 999 parts, or 255 with parity),
 *         KIST_E_FORMAT (parity asked of a build without ISA-L),
 *         KIST_E_INTERRUPTED.
 */
kist_err kist_split(const char *vault_path, const char *base, uint64_t part_size, unsigned parity,
                    unsigned flags, unsigned *nparts);
/* The same for the vault open at fd (a regular file; read with pread, not closed). */
kist_err kist_split_fd(int fd, const char *base, uint64_t part_size, unsigned parity,
                       unsigned flags, unsigned *nparts);

/* 1 if this build can write and repair parity parts (ISA-L). */
int kist_parts_have_parity(void);

typedef struct kist_partset kist_partset;

/* 1 if the file at path begins as a part of a part set does (its magic), else 0. */
int kist_is_part(const char *path);

typedef enum kist_part_state {
	KIST_PART_OK,      /* present; intact if kist_partset_check() ran */
	KIST_PART_DAMAGED, /* present, but blocks, its header or its manifest copy are damaged */
	KIST_PART_MISSING  /* no file for it was found */
} kist_part_state;

typedef struct kist_part_status {
	unsigned number; /* 1 .. count */
	int parity;      /* a parity part */
	kist_part_state state;
	uint64_t bad_blocks; /* damaged or missing blocks (after kist_partset_check) */
	const char *path;    /* the file, or NULL when missing; owned by the set */
} kist_part_status;

/*
 * Reads the headers of the n files named, which must be parts of one set,
 * and, if search is set, of every file in their folders (up to 4096), keeping
 * the parts of the same set.  A part whose header is damaged is listed by
 * kist_partset_unusable().  Free with kist_partset_free().
 * @return KIST_OK, KIST_E_IO, KIST_E_FORMAT (a named file is not a part, or
 *         a part version this build lacks), KIST_E_ARG (parts of two sets),
 *         KIST_E_CORRUPT (no intact header or manifest), KIST_E_NOMEM.
 */
kist_err kist_partset_open(kist_partset **out, const char *const *paths, size_t n, int search);
/* Reads every block of every part found and compares it with the manifest. */
kist_err kist_partset_check(kist_partset *ps, kist_progress_fn fn, void *ctx);
unsigned kist_partset_count(const kist_partset *ps);      /* data + parity parts */
unsigned kist_partset_data_count(const kist_partset *ps); /* data parts */
uint64_t kist_partset_vault_size(const kist_partset *ps);
void kist_partset_status(const kist_partset *ps, unsigned number, kist_part_status *out);
/* Files that carry the part magic but whose header is damaged ("PATH: why"). */
size_t kist_partset_unusable_count(const kist_partset *ps);
const char *kist_partset_unusable(const kist_partset *ps, size_t i);
/* After kist_partset_check(): 1 if no stripe lost more blocks than there are parity parts. */
int kist_partset_repairable(const kist_partset *ps);
/*
 * Writes the vault the data parts hold to out_path (atomically), checking
 * every block against the manifest on the way.
 * @return KIST_OK, KIST_E_CORRUPT (a data part is missing, or a block is
 *         damaged), KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE,
 *         KIST_E_INTERRUPTED.
 */
kist_err kist_partset_join(kist_partset *ps, const char *out_path, unsigned flags);
/*
 * After kist_partset_check(): rebuilds every damaged or missing part.  With
 * out_dir NULL, a damaged part is replaced in place and a missing one is
 * created beside the others; with out_dir, rebuilt parts go there.  A rebuilt
 * part is byte-identical to the one sealed.  done_fn (may be NULL) is called
 * with each part written.
 * @return KIST_OK, KIST_E_CORRUPT (not repairable: more blocks lost in a
 *         stripe than parity parts), KIST_E_FORMAT (no ISA-L in this build),
 *         KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE, KIST_E_INTERRUPTED.
 */
kist_err kist_partset_repair(kist_partset *ps, const char *out_dir, unsigned flags,
                             kist_warn_fn done_fn, void *ctx);
void kist_partset_free(kist_partset *ps);

/* ------------------------------------------------- parity of a whole vault */
/*
 * An unsplit vault can carry parity in a file beside it, VAULT.parity
 * (docs/FORMAT.md, "Parity file"): the vault is read as k columns (k = 40,
 * fewer for a small vault) and the file holds m = ceil(k * percent / 100)
 * Reed-Solomon parity parts over them, with BLAKE2b-128 checksums of every
 * block of both.  The vault file itself is never changed and never needs
 * its parity file to open.  Nothing here needs a key.
 */
/*
 * Writes the parity file of the vault open at fd (a regular file, read with
 * pread, not closed) to parity_path, with percent 1 to 100.  With vault_out
 * (may be NULL), also writes the vault's bytes there: both files are
 * written under temporary names and renamed together, the parity file
 * first; if the vault's rename fails the parity file is removed again.
 * An existing output is replaced only with flags KIST_REPLACE.
 * @return KIST_OK, KIST_E_ARG (percent, flags), KIST_E_LIMIT (a vault too
 *         large for a parity file: above about 1 TiB), KIST_E_FORMAT (no
 *         ISA-L in this build), KIST_E_EXISTS, KIST_E_IO, KIST_E_NOSPACE,
 *         KIST_E_INTERRUPTED.
 */
kist_err kist_parity_write_fd(int fd, const char *vault_out, const char *parity_path,
                              unsigned percent, unsigned flags);
/* The same for the vault file at vault_path, without a copy of it. */
kist_err kist_parity_write(const char *vault_path, const char *parity_path, unsigned percent,
                           unsigned flags);

typedef struct kist_parity kist_parity;

/* 1 if the file at path begins as a parity file does (its magic), else 0. */
int kist_is_parity(const char *path);

/*
 * Opens a vault and its parity file: reads the parity file's header and
 * manifest (from the first copy, else from the copy at its end).  Refuses a
 * parity file made for another vault when the vault's size and first block
 * both differ from what it records.  Free with kist_parity_free().
 * @return KIST_OK, KIST_E_IO, KIST_E_FORMAT (not a parity file, or a
 *         version this build lacks), KIST_E_CORRUPT (no intact header or
 *         manifest copy; another vault's parity file), KIST_E_NOMEM.
 */
kist_err kist_parity_open(kist_parity **out, const char *vault_path, const char *parity_path);
/*
 * Reads every block of the vault and of the parity parts and compares it
 * with the manifest.  A block that cannot be read (an I/O error on a bad
 * sector) counts as damaged.
 * @return KIST_OK (whatever is damaged), KIST_E_CORRUPT (no block of the
 *         vault matches: the parity file of another vault), KIST_E_IO,
 *         KIST_E_NOMEM, KIST_E_INTERRUPTED.
 */
kist_err kist_parity_check(kist_parity *pp, kist_progress_fn fn, void *ctx);

typedef struct kist_parity_info {
	unsigned columns, parity;  /* k and m */
	uint32_t block;            /* B */
	uint64_t column_len;       /* C */
	uint64_t vault_size;       /* L, as recorded */
	uint64_t vault_file_size;  /* the vault file's size */
	uint64_t bad_vault_blocks; /* after kist_parity_check() */
	uint64_t bad_parity_blocks;
	uint64_t bad_stripes;  /* stripes with at least one damaged block */
	unsigned worst_stripe; /* most blocks lost in one stripe */
	int vault_damaged;     /* blocks damaged, or the size differs from L */
	int parity_damaged;    /* blocks, a header or manifest copy, or its size */
	int repairable;        /* no stripe lost more than m blocks */
} kist_parity_info;

void kist_parity_get_info(const kist_parity *pp, kist_parity_info *out);
/* After kist_parity_check(): the damaged byte ranges of the vault, in order. */
size_t kist_parity_range_count(const kist_parity *pp);
void kist_parity_range(const kist_parity *pp, size_t i, uint64_t *off, uint64_t *len);
/*
 * After kist_parity_check(): rebuilds whichever of the two files is damaged,
 * byte for byte as written; an intact one is never written.  With out_dir
 * NULL a damaged file is replaced in place; with out_dir the rebuilt file
 * goes there under its own name (an existing file there is replaced only
 * with KIST_REPLACE, never the intact other file).  Every rebuilt block is
 * checked against the manifest before anything is renamed.  done_fn (may be
 * NULL) is called with each file written.
 * @return KIST_OK, KIST_E_CORRUPT (a stripe lost more than m blocks: nothing
 *         is written), KIST_E_FORMAT (no ISA-L in this build), KIST_E_EXISTS,
 *         KIST_E_IO, KIST_E_NOSPACE, KIST_E_INTERRUPTED.
 */
kist_err kist_parity_repair(kist_parity *pp, const char *out_dir, unsigned flags,
                            kist_warn_fn done_fn, void *ctx);
void kist_parity_free(kist_parity *pp);

#ifdef __cplusplus
}
#endif

#endif /* KIST_H */
