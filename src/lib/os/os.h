/*
 * os: the library's platform layer, its lowest folder.  Everything kist asks
 * of the operating system that is not ISO C, pthreads, libsodium, zstd or
 * SQLite goes through these functions, so that no other file names a POSIX-
 * or Windows-only call.  os_posix.c implements them on POSIX (Linux first);
 * os_win.c on Windows.  Includes only ISO C headers.  Not installed.
 *
 * Conventions, for every function below unless it says otherwise:
 *  - Descriptors are small ints.  On POSIX they are the kernel's; on
 *    Windows os_win.c keeps a table of HANDLEs behind them.  Every
 *    descriptor is opened close-on-exec and never becomes a controlling
 *    terminal.  KIST__OS_CWD names the current directory where a directory
 *    descriptor is taken.
 *  - Names and paths are UTF-8 (on Windows converted to UTF-16 at the API).
 *  - A function returning int returns 0 (or a descriptor, a count) on
 *    success and -1 with errno set on failure, with POSIX errno values
 *    (ENOENT, EEXIST, ELOOP, ENOTDIR, EINTR, EWOULDBLOCK, ENOSPC, ...):
 *    callers map them with kist__errno_err() and name them with strerror().
 *    os_win.c translates Windows errors to the nearest errno value.
 *  - Nothing here prints or holds a secret; only kist__os_exit_now exits.
 */
#ifndef KIST_OS_H
#define KIST_OS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/*
 * KIST__PRINTF(f, a): the function's argument f is a printf format, its
 * arguments start at a.  mingw-w64's "printf" archetype is Microsoft's, which
 * knows no %zu or %PRIu64 of C99; kist is built with _GNU_SOURCE, so its
 * printf family is mingw's own C99 one, whose archetype is gnu_printf.
 */
#if defined(__MINGW32__)
#if !defined(__USE_MINGW_ANSI_STDIO) || !__USE_MINGW_ANSI_STDIO
#error "kist needs mingw-w64's C99 printf (_GNU_SOURCE or __USE_MINGW_ANSI_STDIO=1)"
#endif
#define KIST__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define KIST__PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* ---- descriptors and their bytes */

/* Open flags (any OR of these; one of RDONLY, WRONLY, RDWR). */
#define KIST__OS_RDONLY    0x0001
#define KIST__OS_WRONLY    0x0002
#define KIST__OS_RDWR      0x0004
#define KIST__OS_CREAT     0x0010
#define KIST__OS_EXCL      0x0020 /* with CREAT: fails with EEXIST if the name exists */
#define KIST__OS_TRUNC     0x0040
#define KIST__OS_APPEND    0x0080
#define KIST__OS_NOFOLLOW  0x0100 /* the last component a link: ELOOP (Windows: a reparse point) */
#define KIST__OS_DIRECTORY 0x0200 /* not a folder: ENOTDIR; opens folders for the *at calls */
#define KIST__OS_NONBLOCK  0x0400 /* a FIFO opens without waiting for a writer; see set_blocking */
#define KIST__OS_NOATIME   0x0800 /* reading leaves the access time (where allowed, else ignored) */

/* The current directory, where a directory descriptor is taken. */
#define KIST__OS_CWD (-100)

/* The standard streams' descriptors, on Windows too (os_win.c maps them to
 * GetStdHandle).  A descriptor of this layer is not a C library one: never
 * mix them with fileno() or fdopen(). */
#define KIST__OS_STDIN  0
#define KIST__OS_STDOUT 1
#define KIST__OS_STDERR 2

/*
 * Opens name relative to the folder dirfd (KIST__OS_CWD: the current one;
 * an absolute name ignores dirfd).  mode (0600, 0700, ...) is used with
 * KIST__OS_CREAT.  Windows keeps no mode bits: a mode without group or
 * other bits (0600) gives the new file a DACL for its owner only (what
 * kist__os_private_enough then accepts), any other the inherited one.  A
 * descriptor or -1.
 */
int kist__os_openat(int dirfd, const char *name, int flags, unsigned mode);
/* kist__os_openat(KIST__OS_CWD, path, flags, mode). */
int kist__os_open(const char *path, int flags, unsigned mode);
/*
 * fopen(path, mode) with mode one of ISO C's ("r", "w", "rb", ...): the
 * stream is close-on-exec (POSIX: glibc's "e"), and on Windows path is UTF-8
 * (_wfopen).  NULL with errno on error.
 */
FILE *kist__os_fopen(const char *path, const char *mode);
/* Closes fd (once, even on failure: -1 reports a late write error). */
int kist__os_close(int fd);
/* A second descriptor on what fd is open on; -1 on error.  POSIX: the two
 * share one position; Windows: each has its own (a copy of fd's). */
int kist__os_dup(int fd);
/* One read()/write(): a count (0: end of file), -1 on error (EINTR included). */
ptrdiff_t kist__os_read(int fd, void *buf, size_t len);
ptrdiff_t kist__os_write(int fd, const void *buf, size_t len);
/* One read/write at offset off, the file position unchanged; as above. */
ptrdiff_t kist__os_pread(int fd, void *buf, size_t len, uint64_t off);
ptrdiff_t kist__os_pwrite(int fd, const void *buf, size_t len, uint64_t off);

#define KIST__OS_SEEK_SET 0
#define KIST__OS_SEEK_CUR 1
#define KIST__OS_SEEK_END 2
/* Moves fd's position: the new offset, or -1 on error. */
int64_t kist__os_seek(int fd, int64_t off, int whence);
/* Sets fd's size (cuts, or extends with zeros). */
int kist__os_truncate(int fd, uint64_t size);
/*
 * Copies up to len bytes from in, at *in_off (advanced by the count), to out
 * at its position, inside the kernel where it can (Linux copy_file_range):
 * the count, 0 at in's end, or -1.  errno ENOSYS, EXDEV, EINVAL, EOPNOTSUPP
 * or EBADF means "not here": copy through a buffer instead.  Windows: always
 * -1 with ENOSYS.
 */
ptrdiff_t kist__os_copy_range(int in, uint64_t *in_off, int out, size_t len);
/*
 * Makes fd's data and size durable.  On a folder's descriptor: makes the
 * names in it durable (POSIX); Windows has no such call and returns 0.
 */
int kist__os_fsync(int fd);
/*
 * Makes everything written to the file system fd is on durable at once
 * (Linux syncfs; other POSIX systems sync()): cheaper than an fsync per file
 * when an extraction wrote thousands.  Windows has no such call for a
 * normal user: FlushFileBuffers on fd only.
 */
int kist__os_sync_fs(int fd);
/* Clears KIST__OS_NONBLOCK on fd after the open (reads then wait again). */
int kist__os_set_blocking(int fd);
/* Tells the system fd will be read once from start to end (advice only: no error). */
void kist__os_advise_sequential(int fd);

/* ---- what a name is */

typedef enum kist__os_type {
	KIST__OS_UNKNOWN = 0, /* only from kist__os_dir_next: look with fstatat */
	KIST__OS_FILE,
	KIST__OS_DIR,
	KIST__OS_LINK, /* symbolic link; Windows: any name-surrogate reparse point (junctions too)
	                */
	KIST__OS_FIFO,
	KIST__OS_SOCKET,
	KIST__OS_DEVICE, /* character or block device */
	KIST__OS_OTHER
} kist__os_type;

typedef struct kist__os_stat {
	kist__os_type type;
	unsigned mode; /* permission bits, 07777; Windows: 0644/0755, private 0600/0700, 0444 r/o */
	uint64_t size; /* bytes (a link: its target's length) */
	int64_t mtime; /* seconds since 1970-01-01 UTC */
	uint32_t mtime_nsec; /* Windows: in steps of 100 ns */
	uint64_t dev,
	    ino; /* identity: equal pairs, same file (Windows: volume serial, file index) */
	uint64_t nlink;
	uint32_t uid; /* owner; Windows: 0 if the process's user owns it, else 1 (see
	                 kist__os_is_mine) */
} kist__os_stat;

#define KIST__OS_STAT_NOFOLLOW 1 /* fstatat: describe a link, not its target */
/* Describes what fd is open on. */
int kist__os_fstat(int fd, kist__os_stat *st);
/* Describes name in dirfd (KIST__OS_CWD and paths as openat). */
int kist__os_fstatat(int dirfd, const char *name, kist__os_stat *st, int flags);
/* 1 if name exists in dirfd (a link counts: not followed), else 0. */
int kist__os_exists_at(int dirfd, const char *name);
/* 1 if path exists (a link is followed: access(F_OK)), else 0. */
int kist__os_exists(const char *path);
/* 1 if this user may write to path (access(W_OK)), else 0. */
int kist__os_can_write(const char *path);
/* 1 if a and b describe the same file (same dev and ino), else 0. */
int kist__os_same_file(const kist__os_stat *a, const kist__os_stat *b);
/*
 * 1 if the file st describes belongs to the user running kist (POSIX: its
 * uid is the effective uid; Windows: its owner SID is the process token's).
 */
int kist__os_is_mine(const kist__os_stat *st);
/*
 * 1 if a secret file st describes is readable only by its owner (POSIX: no
 * group or other permission bit, mode & 077 == 0).  Windows: its DACL lets
 * nobody but the owner, SYSTEM and Administrators do more than read its
 * attributes and DACL (writing, deleting, changing the DACL or owner count).
 */
int kist__os_private_enough(const kist__os_stat *st);

/* ---- names in folders */

/* Creates folder name in dirfd with mode (0700; Windows: as kist__os_openat's mode). */
int kist__os_mkdirat(int dirfd, const char *name, unsigned mode);
#define KIST__OS_REMOVEDIR 1
/*
 * Removes name in dirfd (with KIST__OS_REMOVEDIR: an empty folder).  On
 * POSIX async-signal-safe: kist_cleanup_on_signal() calls it.  Windows: a
 * folder that a kist descriptor is open on cannot be removed (EBUSY).
 */
int kist__os_unlinkat(int dirfd, const char *name, int flags);
/* Renames from (in fromdir) to to (in todir), replacing a file there. */
int kist__os_renameat(int fromdir, const char *from, int todir, const char *to);
/*
 * Renames from to to, both in dirfd, never replacing to: -1 with errno
 * EEXIST if to exists.  POSIX: renameat2(RENAME_NOREPLACE), else (FUSE,
 * some shares) a hard link and an unlink, else (FAT: neither) a look then
 * a rename, which a concurrent creator of to can race.  Windows:
 * MoveFileExW without MOVEFILE_REPLACE_EXISTING.
 */
int kist__os_rename_noreplace(int dirfd, const char *from, const char *to);
/*
 * Creates a symbolic link name in dirfd pointing to target.  Windows: where
 * the user may create links (developer mode or the privilege), else -1 with
 * errno EPERM.
 */
int kist__os_symlinkat(const char *target, int dirfd, const char *name);
/* Reads link name in dirfd into buf (not terminated): its length, or -1. */
ptrdiff_t kist__os_readlinkat(int dirfd, const char *name, char *buf, size_t cap);
/*
 * The absolute name of path with every link, "." and ".." resolved,
 * malloc()'d (free()); NULL with errno on error.  In kist's form: on
 * Windows '/'-separated, "C:/x/y" or "//server/share/x".
 */
char *kist__os_realpath(const char *path);
/*
 * A path given by the user, in kist's form, in place: on Windows every '\'
 * becomes '/' (so "evidence\photos" is two names, as "evidence/photos" is);
 * on POSIX, where '\' is a character of a name, unchanged.
 */
void kist__os_path_slashes(char *path);
/*
 * The length of the drive or share that starts path (in kist's form, after
 * kist__os_path_slashes): on Windows 2 for "C:", the whole "//server/share"
 * or "//?/C:" prefix; on POSIX 0.  What follows is the path on that drive.
 */
size_t kist__os_path_drive(const char *path);

/*
 * Sets fd's permission bits (07777 masked by the caller).  Windows: only the
 * owner-write bit means something (clear: read-only); the rest is ignored
 * and 0 returned.
 */
int kist__os_fchmod(int fd, unsigned mode);
/* Sets fd's access and modification times both to sec + nsec (since 1970 UTC). */
int kist__os_futimes(int fd, int64_t sec, uint32_t nsec);
/* As kist__os_futimes, for name in dirfd, never following a link (the link's own time). */
int kist__os_utimes_nofollow(int dirfd, const char *name, int64_t sec, uint32_t nsec);

/*
 * 1 if names in the folder dirfd are compared without case (and for some,
 * after Unicode normalisation), 0 if they count as case-sensitive.  POSIX:
 * FAT, exFAT, NTFS, HFS, SMB and every FUSE file system, and ext4 or f2fs
 * folders with the casefold attribute.  Windows: 1 unless the folder has
 * the case-sensitive attribute.
 */
int kist__os_folds_case(int dirfd);

/*
 * The room left on the file system dirfd is on, for this user.  0, or -1
 * when the system gives no figure (the caller then goes without).
 */
typedef struct kist__os_space {
	uint64_t block;       /* the allocation unit, bytes (never 0) */
	uint64_t blocks_free; /* blocks this user may still fill */
	uint64_t files;       /* inodes in all; 0: no fixed count (btrfs, NTFS) */
	uint64_t files_free;  /* inodes this user may still use */
} kist__os_space;
int kist__os_space_free(int dirfd, kist__os_space *sp);

/*
 * A new file without a name, read-write, in folder dir (NULL: the current
 * one): nothing is left on a crash.  Linux: O_TMPFILE, where the file
 * system has it; other POSIX: mkstemp then unlink (a crash between the two
 * leaves a .kist-whole-* file); Windows: a hidden file opened
 * delete-on-close.  A descriptor, or -1.
 */
int kist__os_nameless_file(const char *dir);
/*
 * A read-write file in memory, never on a disk (docs/AUDIT.md: the ledger
 * bundle is sealed from memory), name only a label.  Linux: memfd_create;
 * other POSIX systems: -1 with ENOSYS.  Windows: os_win.c keeps the bytes
 * in its own memory behind the descriptor (read, write, pread, seek, fstat
 * and close work on it).  A descriptor, or -1.
 */
int kist__os_memory_file(const char *name);

/*
 * Creates a new folder of this user only (0700) from tmpl, whose last six
 * characters are XXXXXX (replaced: mkdtemp).  0, or -1 with errno.
 */
int kist__os_make_private_dir(char *tmpl);

/* ---- folder listing */

typedef struct kist__os_dir kist__os_dir;
/*
 * Lists the folder fd is open on (opened with KIST__OS_DIRECTORY); takes fd,
 * which kist__os_dir_close closes.  NULL with errno on error (fd is then
 * still the caller's).
 */
kist__os_dir *kist__os_dir_open(int fd);
/*
 * The next name (valid until the next call), "." and ".." skipped, and its
 * type if the system says so cheaply (else KIST__OS_UNKNOWN; type may be
 * NULL).  1 for a name, 0 at the end, -1 with errno on error.  Order: the
 * file system's.
 */
int kist__os_dir_next(kist__os_dir *d, const char **name, kist__os_type *type);
/* Closes the listing and its descriptor; NULL is safe. */
void kist__os_dir_close(kist__os_dir *d);

/* ---- locks */

#define KIST__OS_LOCK_NB 1 /* do not wait: -1 with errno EWOULDBLOCK if another holds it */
/*
 * Takes an exclusive advisory lock on fd (POSIX flock; Windows LockFileEx on
 * one byte far past any end of file, so no read is blocked), held until fd
 * is closed.  Without KIST__OS_LOCK_NB waits; a signal makes it -1 with
 * errno EINTR (POSIX; Windows: an interrupt does not end the wait).  fd is
 * a file's (a temporary file's); for a folder, kist__os_lock_dir.
 */
int kist__os_lock(int fd, int flags);
/*
 * Takes the exclusive lock of folder dirfd, as kist__os_lock takes a file's
 * (same flags, same errors), and returns the descriptor that holds it until
 * closed, or -1.  POSIX: flock on the folder itself.  Windows, which locks
 * no folder: the lock of the file ".kist-lock" in it, created (0600) if
 * missing, never through a link.
 */
int kist__os_lock_dir(int dirfd, int flags);

/* ---- C library extensions that not every C library has (Windows' lacks them) */

/* strndup: at most n bytes of s, terminated, malloc()'d; NULL if out of memory. */
char *kist__os_strndup(const char *s, size_t n);
/* memmem: the first occurrence of needle in hay, or NULL (an empty needle: hay). */
void *kist__os_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen);
/* strcasestr: the first occurrence of needle in hay, ASCII case ignored, or NULL. */
char *kist__os_strcasestr(const char *hay, const char *needle);

/* gmtime_r: the UTC calendar time of *t in *out; out, or NULL if it has none. */
struct tm *kist__os_gmtime(const time_t *t, struct tm *out);

/* ---- patterns */

/*
 * 0 if name matches the shell pattern (fnmatch with no flags: * ? [...]
 * and backslash escapes, '/' matched like any character), else non-zero.
 */
int kist__os_fnmatch(const char *pattern, const char *name);

/* ---- memory, processors */

/*
 * size bytes aligned to 2 MiB and advised to use huge pages (POSIX:
 * posix_memalign + madvise; Windows: plain malloc).  Released with free();
 * NULL if out of memory.
 */
void *kist__os_alloc_huge(size_t size);
/*
 * The usable size of a block malloc() returned, at least what was asked
 * (base/wipe.c wipes all of it).  POSIX: malloc_usable_size; Windows: _msize.
 */
size_t kist__os_heap_size(void *block);
/*
 * The user's folder for application data, with "/kist" and sub (e.g.
 * "ledger.db", "requests") appended, into out[0..cap): 0, or -1 (ENOENT:
 * no such folder is set; ENAMETOOLONG).  POSIX: $XDG_DATA_HOME if
 * absolute, else $HOME/.local/share.  Windows: %LOCALAPPDATA% (not roamed
 * to other machines), with / as separator.
 */
int kist__os_data_path(const char *sub, char *out, size_t cap);
/* The processors online, at least 1. */
unsigned kist__os_cpu_count(void);

/* ---- the process */

/*
 * fn() is called, in a signal handler (POSIX) or a console-control thread
 * (Windows), each time the user interrupts: SIGINT, SIGTERM, SIGHUP (not
 * restarting system calls, so blocking reads return EINTR); Windows: Ctrl-C,
 * Ctrl-Break, console close (a blocking call is not interrupted: no EINTR).
 * fn must be async-signal-safe.  Also ignores SIGPIPE (a closed pipe is a
 * write error) and SIGXFSZ (past RLIMIT_FSIZE a write fails with EFBIG).
 * 0, or -1 if a handler could not be installed.
 */
int kist__os_on_interrupt(void (*fn)(void));
/*
 * Leaves no core dump that could carry keys or plaintext (POSIX: RLIMIT_CORE
 * 0 and PR_SET_DUMPABLE 0 on Linux; Windows: no error dialogs or WER dumps).
 */
void kist__os_harden_process(void);
/*
 * Runs the program exe with argv (argv[0] first, NULL last) and waits for
 * it: its standard streams on the null device, the environment's TMPDIR
 * (Windows: TMP and TEMP) set to tmpdir, in a process group of its own.
 * 0 with *status its exit status (-1 if it did not exit normally); -1 with
 * errno if it could not start, or EINTR when an interrupt came: the whole
 * group was then stopped (SIGTERM; Windows: the job object) and waited for.
 */
int kist__os_run_quietly(const char *exe, char *const argv[], const char *tmpdir, int *status);
/* 1 if path is a file this user may run (access(X_OK)), else 0. */
int kist__os_can_execute(const char *path);
/* The separator of the PATH list: ':' (Windows: ';'). */
char kist__os_path_list_sep(void);
/* Waits ms milliseconds (less if interrupted). */
void kist__os_sleep_ms(unsigned ms);
/* Ends the process at once with status (no atexit, no flush): async-signal-safe. */
void kist__os_exit_now(int status);
/*
 * Makes *argc and *argv main()'s arguments as UTF-8, before any is read.
 * POSIX: they already are the bytes given; 0, nothing changed.  Windows:
 * main() gets them in the ANSI code page (a name outside it is lost, and
 * "best fit" turns a fullwidth quote or backslash into an ASCII one), so
 * they are rebuilt from the UTF-16 command line (CommandLineToArgvW), kept
 * for the life of the process; -1 with errno (EILSEQ: an argument that is
 * not valid UTF-16; ENOMEM), *argc and *argv then unchanged.
 */
int kist__os_utf8_args(int *argc, char ***argv);

/* ---- the terminal */

/* 1 if fd is a terminal (Windows: a console), else 0. */
int kist__os_isatty(int fd);
/*
 * Opens the user's terminal for a prompt (POSIX /dev/tty; Windows the
 * console, CONIN$ and CONOUT$ behind one descriptor): a descriptor for
 * kist__os_tty_read_line and kist__os_close, or -1 if there is none.
 */
int kist__os_tty_open(void);
/*
 * Writes prompt to the terminal tty and reads one line into buf (at most
 * cap - 1 bytes, not terminated, without its line end; *len its length).
 * With echo 0 nothing typed is shown (turned off before the prompt), and a
 * line end is written after.  -1 with errno EINTR (interrupted), E2BIG (the
 * line does not fit: buf holds its start, the rest is read to its end and
 * dropped, so nothing is left for the next reader) or another error; the
 * terminal is restored on every path.  Windows: read as UTF-16, returned as UTF-8.
 */
int kist__os_tty_read_line(int tty, const char *prompt, char *buf, size_t cap, size_t *len,
                           int echo);

#endif
