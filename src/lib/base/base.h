/*
 * base: what every layer of the library uses (errors and their detail,
 * interruption, byte order, checked I/O, printable text, atomic output).
 * Includes the public header and the platform layer (os/os.h).  Not installed.
 */
#ifndef KIST_BASE_H
#define KIST_BASE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "kist.h"
#include "os/os.h"

#ifndef KIST_VERSION
#define KIST_VERSION "0.0.0"
#endif

/* ---- error detail (util.c) */
kist_err kist__fail(kist_err err, const char *fmt, ...) KIST__PRINTF(2, 3);
void kist__clear_detail(void);
/*
 * Copies the current detail into buf and returns it, to nest it in a new
 * one (kist__fail(err, "release 2: %s", kist__detail_copy(why))): passing
 * kist_errdetail() itself would format the buffer into itself.
 */
#define KIST__DETAIL_COPY 768
const char *kist__detail_copy(char buf[KIST__DETAIL_COPY]);
/* The one out-of-memory failure: KIST_E_NOMEM with the detail "out of memory". */
kist_err kist__nomem(void);

/*
 * ---- large buffers (util.c): malloc() for a buffer of size bytes that is
 * filled once and read much (the index image, the entry table).  From 2 MiB
 * up it is aligned to 2 MiB and advised to use huge pages: on a virtual
 * machine every 4 KiB first-touch fault can cost tens of microseconds, so a
 * 16 MiB table costs ~4,000 faults with small pages and ~8 with huge ones.
 * Released with free(); NULL if out of memory.
 */
/*
 * A heap whose blocks are wiped when freed (base/wipe.c), for the libraries'
 * allocations of plaintext: kist__wipe_install() (from kist_init) gives it to
 * SQLite, ICU and jansson; format/chunk.c to zstd.  The blocks are
 * malloc()'s: free() takes them too, without the wipe.  NULL is safe.
 */
void *kist__wipe_malloc(size_t size);
void *kist__wipe_realloc(void *block, size_t size);
void kist__wipe_free(void *block);
size_t kist__wipe_size(const void *block);
/* NULL, or the library that was used before it: too late to install. */
const char *kist__wipe_install(void);
void *kist__alloc_large(size_t size);

/* ---- interruption (util.c) */
extern volatile sig_atomic_t kist__interrupted;

/* ---- little-endian and big-endian helpers */
static inline void kist__st16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}
static inline void kist__st32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void kist__st64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint16_t kist__ld16(const unsigned char *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t kist__ld32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
static inline uint64_t kist__ld64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* ---- checked I/O (util.c): full reads and writes, EINTR handled, errno-mapped errors */
kist_err kist__pread_full(int fd, void *buf, size_t len, uint64_t off, const char *what);
kist_err kist__read_full(int fd, void *buf, size_t len, size_t *got, const char *what);
kist_err kist__write_full(int fd, const void *buf, size_t len, const char *what);
kist_err kist__errno_err(int err); /* maps ENOSPC/EFBIG/EDQUOT to NOSPACE, else IO */

/* ---- UTF-8 (util.c): the one decoder of the library */
/* Length of the valid UTF-8 sequence at s (1 to 4; its code point in *cp), 0 if invalid. */
size_t kist__utf8_next(const unsigned char *s, size_t len, uint32_t *cp);
int kist__utf8_valid(const unsigned char *s, size_t len);
/* Non-zero if UTF-8 text s holds a C0 control other than tab and line breaks, DEL, or a
 * C1 control (U+0080..U+009F). */
int kist__text_has_control(const unsigned char *s, size_t len);

/* kist_escape_buf(out, cap, s, KIST_ESCAPE_BACKSLASH): hostile text in an error detail. */
void kist__printable(char *out, size_t cap, const char *s);

/* ---- atomic output (atomic.c) */
typedef struct kist__outfile {
	int dirfd;
	int fd;
	int slot; /* signal-cleanup slot or -1 */
	char tmpname[256];
	char *final;
	int locked;   /* kist__outfile_open_locked: fd holds an flock until commit or abort */
	int finished; /* kist__outfile_finish: fsynced and closed, not yet renamed */
} kist__outfile;

/*
 * Creates a temporary file ".kist-tmp-XXXXXXXXXXXX" in dirfd (mode 0600) that
 * kist__outfile_commit() renames to name.  The temporary name is registered
 * for kist_cleanup_on_signal().
 */
kist_err kist__outfile_open(kist__outfile *o, int dirfd, const char *name);
/*
 * As kist__outfile_open, but the temporary file is named after its output,
 * ".NAME.kist-tmp-XXXXXXXXXXXX" (NAME cut to 200 bytes), and holds an
 * exclusive flock while it is written.  First removes the leftovers of
 * earlier runs for the same output that are provably dead: same name
 * pattern, a regular non-empty file of this user, whose flock can be taken
 * (a live writer holds it; a killed one released it).
 */
kist_err kist__outfile_open_locked(kist__outfile *o, int dirfd, const char *name);
/*
 * fsyncs and closes the temporary file before its commit, for callers that
 * write many outputs and rename them together (not for locked outputs).
 */
kist_err kist__outfile_finish(kist__outfile *o);
/* fsyncs (if do_sync), renames over/into name (no replace unless force). */
kist_err kist__outfile_commit(kist__outfile *o, int force, int do_sync);
/* Closes and unlinks the temporary file (safe after commit: does nothing). */
void kist__outfile_abort(kist__outfile *o);
/* Marks a closed, uncommitted temp file: forgets it for signal cleanup. */
void kist__outfile_release_slot(kist__outfile *o);

/* Splits "dir/name" into an open directory fd and a base name pointer. */
kist_err kist__open_parent(const char *path, int *dirfd, const char **base);

#endif
