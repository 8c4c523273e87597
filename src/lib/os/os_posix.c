/*
 * The platform layer on POSIX (os/os.h): each function is the system call
 * it names, with kist's flags mapped to the system's.  Linux first; the
 * Linux-only parts (renameat2, the casefold attribute, PR_SET_DUMPABLE)
 * are guarded by __linux__.
 */
#include "os/os.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/vfs.h>
#endif

static int at(int dirfd)
{
	return dirfd == KIST__OS_CWD ? AT_FDCWD : dirfd;
}

static int sys_flags(int flags)
{
	int f = O_CLOEXEC | O_NOCTTY;
	if (flags & KIST__OS_RDWR)
		f |= O_RDWR;
	else if (flags & KIST__OS_WRONLY)
		f |= O_WRONLY;
	else
		f |= O_RDONLY;
	if (flags & KIST__OS_CREAT)
		f |= O_CREAT;
	if (flags & KIST__OS_EXCL)
		f |= O_EXCL;
	if (flags & KIST__OS_TRUNC)
		f |= O_TRUNC;
	if (flags & KIST__OS_APPEND)
		f |= O_APPEND;
	if (flags & KIST__OS_NOFOLLOW)
		f |= O_NOFOLLOW;
	if (flags & KIST__OS_DIRECTORY)
		f |= O_DIRECTORY;
	if (flags & KIST__OS_NONBLOCK)
		f |= O_NONBLOCK;
#ifdef O_NOATIME
	if (flags & KIST__OS_NOATIME)
		f |= O_NOATIME;
#endif
	return f;
}

int kist__os_openat(int dirfd, const char *name, int flags, unsigned mode)
{
	int fd = openat(at(dirfd), name, sys_flags(flags), (mode_t)mode);
#ifdef O_NOATIME
	/* O_NOATIME is refused (EPERM) on files of other users: read them without. */
	if (fd < 0 && errno == EPERM && (flags & KIST__OS_NOATIME))
		fd = openat(at(dirfd), name, sys_flags(flags) & ~O_NOATIME, (mode_t)mode);
#endif
	return fd;
}

int kist__os_open(const char *path, int flags, unsigned mode)
{
	return kist__os_openat(KIST__OS_CWD, path, flags, mode);
}

FILE *kist__os_fopen(const char *path, const char *mode)
{
	char m[8];
	int n = snprintf(m, sizeof m, "%se", mode);
	if (n < 0 || (size_t)n >= sizeof m) {
		errno = EINVAL;
		return NULL;
	}
	return fopen(path, m);
}

int kist__os_close(int fd)
{
	return close(fd);
}

int kist__os_dup(int fd)
{
	return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

ptrdiff_t kist__os_read(int fd, void *buf, size_t len)
{
	return read(fd, buf, len);
}

ptrdiff_t kist__os_write(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len);
}

ptrdiff_t kist__os_pread(int fd, void *buf, size_t len, uint64_t off)
{
	if (off > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return pread(fd, buf, len, (off_t)off);
}

ptrdiff_t kist__os_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	if (off > (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return pwrite(fd, buf, len, (off_t)off);
}

int64_t kist__os_seek(int fd, int64_t off, int whence)
{
	int w = whence == KIST__OS_SEEK_CUR   ? SEEK_CUR
	        : whence == KIST__OS_SEEK_END ? SEEK_END
	                                      : SEEK_SET;
	return (int64_t)lseek(fd, (off_t)off, w);
}

int kist__os_truncate(int fd, uint64_t size)
{
	if (size > (uint64_t)INT64_MAX) {
		errno = EFBIG;
		return -1;
	}
	return ftruncate(fd, (off_t)size);
}

ptrdiff_t kist__os_copy_range(int in, uint64_t *in_off, int out, size_t len)
{
#ifdef __linux__
	loff_t o = (loff_t)*in_off;
	ptrdiff_t n = copy_file_range(in, &o, out, NULL, len, 0);
	if (n > 0)
		*in_off += (uint64_t)n;
	return n;
#else
	(void)in, (void)in_off, (void)out, (void)len;
	errno = ENOSYS;
	return -1;
#endif
}

int kist__os_fsync(int fd)
{
	return fsync(fd);
}

int kist__os_sync_fs(int fd)
{
#ifdef __linux__
	return syncfs(fd);
#else
	(void)fd;
	sync();
	return 0;
#endif
}

int kist__os_set_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ? -1 : 0;
}

void kist__os_advise_sequential(int fd)
{
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

static void fill_stat(kist__os_stat *o, const struct stat *s)
{
	mode_t m = s->st_mode;
	o->type = S_ISREG(m)                 ? KIST__OS_FILE
	          : S_ISDIR(m)               ? KIST__OS_DIR
	          : S_ISLNK(m)               ? KIST__OS_LINK
	          : S_ISFIFO(m)              ? KIST__OS_FIFO
	          : S_ISSOCK(m)              ? KIST__OS_SOCKET
	          : S_ISCHR(m) || S_ISBLK(m) ? KIST__OS_DEVICE
	                                     : KIST__OS_OTHER;
	o->mode = (unsigned)(m & 07777);
	o->size = s->st_size > 0 ? (uint64_t)s->st_size : 0;
	o->mtime = (int64_t)s->st_mtim.tv_sec;
	o->mtime_nsec = (uint32_t)s->st_mtim.tv_nsec;
	o->dev = (uint64_t)s->st_dev;
	o->ino = (uint64_t)s->st_ino;
	o->nlink = (uint64_t)s->st_nlink;
	o->uid = (uint32_t)s->st_uid;
}

int kist__os_fstat(int fd, kist__os_stat *st)
{
	struct stat s;
	if (fstat(fd, &s) != 0)
		return -1;
	fill_stat(st, &s);
	return 0;
}

int kist__os_fstatat(int dirfd, const char *name, kist__os_stat *st, int flags)
{
	struct stat s;
	if (fstatat(at(dirfd), name, &s,
	            (flags & KIST__OS_STAT_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) != 0)
		return -1;
	fill_stat(st, &s);
	return 0;
}

int kist__os_exists_at(int dirfd, const char *name)
{
	return faccessat(at(dirfd), name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int kist__os_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

int kist__os_can_write(const char *path)
{
	return access(path, W_OK) == 0;
}

int kist__os_same_file(const kist__os_stat *a, const kist__os_stat *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

int kist__os_is_mine(const kist__os_stat *st)
{
	return st->uid == (uint32_t)geteuid();
}

int kist__os_private_enough(const kist__os_stat *st)
{
	return (st->mode & 077) == 0;
}

int kist__os_mkdirat(int dirfd, const char *name, unsigned mode)
{
	return mkdirat(at(dirfd), name, (mode_t)mode);
}

int kist__os_unlinkat(int dirfd, const char *name, int flags)
{
	return unlinkat(at(dirfd), name, (flags & KIST__OS_REMOVEDIR) ? AT_REMOVEDIR : 0);
}

int kist__os_renameat(int fromdir, const char *from, int todir, const char *to)
{
	return renameat(at(fromdir), from, at(todir), to);
}

int kist__os_rename_noreplace(int dirfd, const char *from, const char *to)
{
	struct stat st;
	int d = at(dirfd);
#ifdef RENAME_NOREPLACE
	if (renameat2(d, from, d, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
#endif
	/* No RENAME_NOREPLACE on this file system (FUSE, some shares): a hard
	 * link never replaces either. */
	if (linkat(d, from, d, to, 0) == 0) {
		unlinkat(d, from, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS && errno != EMLINK)
		return -1;
	/* Nor hard links (FAT, exFAT): look, then rename.  Two steps, so a
	 * file that another process creates between them is replaced. */
	if (fstatat(d, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return renameat(d, from, d, to);
}

int kist__os_symlinkat(const char *target, int dirfd, const char *name)
{
	return symlinkat(target, at(dirfd), name);
}

ptrdiff_t kist__os_readlinkat(int dirfd, const char *name, char *buf, size_t cap)
{
	return readlinkat(at(dirfd), name, buf, cap);
}

char *kist__os_realpath(const char *path)
{
	return realpath(path, NULL);
}

void kist__os_path_slashes(char *path)
{
	(void)path;
}

size_t kist__os_path_drive(const char *path)
{
	(void)path;
	return 0;
}

int kist__os_fchmod(int fd, unsigned mode)
{
	return fchmod(fd, (mode_t)(mode & 07777));
}

int kist__os_futimes(int fd, int64_t sec, uint32_t nsec)
{
	struct timespec ts[2];
	ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
	return futimens(fd, ts);
}

int kist__os_utimes_nofollow(int dirfd, const char *name, int64_t sec, uint32_t nsec)
{
	struct timespec ts[2];
	ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
	return utimensat(at(dirfd), name, ts, AT_SYMLINK_NOFOLLOW);
}

int kist__os_folds_case(int dirfd)
{
#ifdef __linux__
	static const unsigned long insensitive[] = {
	    0x4d44,     /* MSDOS_SUPER_MAGIC: vfat, msdos */
	    0x2011bab0, /* exFAT */
	    0x5346544e, /* NTFS (ntfs, ntfs3) */
	    0x65735546, /* FUSE and FUSEBLK (one magic): ntfs-3g, exfat-fuse, fusefat, ... */
	    0x4244,     /* HFS */
	    0x482b,     /* HFS+ */
	    0xff534d42, /* CIFS */
	    0xfe534d42, /* SMB2 */
	    0x517b,     /* SMB */
	};
	struct statfs sf;
	int flags = 0;
	if (fstatfs(dirfd, &sf) == 0)
		for (size_t i = 0; i < sizeof insensitive / sizeof insensitive[0]; i++)
			if ((unsigned long)sf.f_type == insensitive[i])
				return 1;
#ifdef FS_CASEFOLD_FL
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_CASEFOLD_FL))
		return 1;
#else
	if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & 0x40000000))
		return 1;
#endif
	return 0;
#else
	(void)dirfd;
	return 0;
#endif
}

int kist__os_space_free(int dirfd, kist__os_space *sp)
{
	struct statvfs sv;
	if (fstatvfs(dirfd, &sv) != 0)
		return -1;
	sp->block = sv.f_frsize ? sv.f_frsize : sv.f_bsize ? sv.f_bsize : 4096;
	sp->blocks_free = (uint64_t)sv.f_bavail;
	sp->files = (uint64_t)sv.f_files;
	sp->files_free = (uint64_t)sv.f_favail;
	return 0;
}

int kist__os_nameless_file(const char *dir)
{
	char tmpl[4096 + 32];
	int n = dir == NULL ? snprintf(tmpl, sizeof tmpl, ".kist-whole-XXXXXX")
	                    : snprintf(tmpl, sizeof tmpl, "%s/.kist-whole-XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof tmpl) {
		errno = ENAMETOOLONG;
		return -1;
	}
#ifdef O_TMPFILE
	/* Linux: a file that never has a name, so a crash leaves nothing. */
	int tfd = open(dir == NULL ? "." : dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (tfd >= 0)
		return tfd;
#endif
	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	return fd;
}

int kist__os_memory_file(const char *name)
{
#ifdef __linux__
	return memfd_create(name, MFD_CLOEXEC);
#else
	(void)name;
	errno = ENOSYS;
	return -1;
#endif
}

int kist__os_make_private_dir(char *tmpl)
{
	return mkdtemp(tmpl) != NULL ? 0 : -1;
}

struct kist__os_dir {
	DIR *d;
};

kist__os_dir *kist__os_dir_open(int fd)
{
	kist__os_dir *d = malloc(sizeof *d);
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if ((d->d = fdopendir(fd)) == NULL) {
		int e = errno;
		free(d);
		errno = e;
		return NULL;
	}
	return d;
}

int kist__os_dir_next(kist__os_dir *d, const char **name, kist__os_type *type)
{
	struct dirent *de;
	for (;;) {
		errno = 0;
		if ((de = readdir(d->d)) == NULL)
			return errno != 0 ? -1 : 0;
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			break;
	}
	*name = de->d_name;
	if (type != NULL) {
		switch (de->d_type) {
		case DT_REG:
			*type = KIST__OS_FILE;
			break;
		case DT_DIR:
			*type = KIST__OS_DIR;
			break;
		case DT_LNK:
			*type = KIST__OS_LINK;
			break;
		case DT_FIFO:
			*type = KIST__OS_FIFO;
			break;
		case DT_SOCK:
			*type = KIST__OS_SOCKET;
			break;
		case DT_CHR:
		case DT_BLK:
			*type = KIST__OS_DEVICE;
			break;
		default:
			*type = KIST__OS_UNKNOWN;
			break;
		}
	}
	return 1;
}

void kist__os_dir_close(kist__os_dir *d)
{
	if (d == NULL)
		return;
	closedir(d->d);
	free(d);
}

int kist__os_lock(int fd, int flags)
{
	return flock(fd, LOCK_EX | ((flags & KIST__OS_LOCK_NB) ? LOCK_NB : 0));
}

int kist__os_lock_dir(int dirfd, int flags)
{
	int fd = kist__os_dup(dirfd);
	if (fd < 0)
		return -1;
	if (kist__os_lock(fd, flags) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

char *kist__os_strndup(const char *s, size_t n)
{
	return strndup(s, n);
}

void *kist__os_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	return memmem(hay, hlen, needle, nlen);
}

char *kist__os_strcasestr(const char *hay, const char *needle)
{
	return strcasestr(hay, needle);
}

struct tm *kist__os_gmtime(const time_t *t, struct tm *out)
{
	return gmtime_r(t, out);
}

int kist__os_fnmatch(const char *pattern, const char *name)
{
	return fnmatch(pattern, name, 0);
}

#define HUGE_PAGE ((size_t)2 << 20)

int kist__os_utf8_args(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0; /* the bytes given are the names */
}

int kist__os_data_path(const char *sub, char *out, size_t cap)
{
	const char *x = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
	int n;
	if (x != NULL && x[0] == '/')
		n = snprintf(out, cap, "%s/kist/%s", x, sub);
	else if (h != NULL && h[0] == '/')
		n = snprintf(out, cap, "%s/.local/share/kist/%s", h, sub);
	else {
		errno = ENOENT;
		return -1;
	}
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

size_t kist__os_heap_size(void *block)
{
	return malloc_usable_size(block);
}

void *kist__os_alloc_huge(size_t size)
{
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, size ? size : 1) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* Advice only: without transparent huge pages it changes nothing. */
	(void)madvise(p, size & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
	return p;
}

unsigned kist__os_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 4096 ? 4096 : (unsigned)n;
}

static void (*interrupt_fn)(void);

static void on_signal(int sig)
{
	(void)sig;
	if (interrupt_fn != NULL)
		interrupt_fn();
}

int kist__os_on_interrupt(void (*fn)(void))
{
	struct sigaction sa;
	int rc = 0;
	interrupt_fn = fn;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking reads return EINTR */
	rc |= sigaction(SIGINT, &sa, NULL);
	rc |= sigaction(SIGTERM, &sa, NULL);
	rc |= sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Past RLIMIT_FSIZE a write fails with EFBIG (reported as "no space") instead of
	 * killing the process with a half-written temporary file. */
	signal(SIGXFSZ, SIG_IGN);
	return rc != 0 ? -1 : 0;
}

void kist__os_harden_process(void)
{
	struct rlimit rl = {0, 0};
	setrlimit(RLIMIT_CORE, &rl); /* no core dump can carry keys or plaintext */
#ifdef __linux__
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}

int kist__os_run_quietly(const char *exe, char *const argv[], const char *tmpdir, int *status)
{
	pid_t pid = fork();
	int st = 0;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setpgid(0, 0); /* its own group: an interrupt stops every process it starts */
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
			dup2(nul, STDERR_FILENO);
		}
		setenv("TMPDIR", tmpdir, 1);
		execv(exe, argv);
		_exit(127);
	}
	setpgid(pid, pid); /* here too: an interrupt before the child's own call finds the group */
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			*status = -1;
			return 0;
		}
		/* An interrupt: stop the group, wait for it, report it. */
		if (kill(-pid, SIGTERM) != 0)
			kill(pid, SIGTERM);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		errno = EINTR;
		return -1;
	}
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return 0;
}

int kist__os_can_execute(const char *path)
{
	return access(path, X_OK) == 0;
}

char kist__os_path_list_sep(void)
{
	return ':';
}

void kist__os_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

void kist__os_exit_now(int status)
{
	_exit(status);
}

int kist__os_isatty(int fd)
{
	return isatty(fd) == 1;
}

int kist__os_tty_open(void)
{
	return open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
}

int kist__os_tty_read_line(int tty, const char *prompt, char *buf, size_t cap, size_t *len,
                           int echo)
{
	struct termios old, quiet;
	size_t n = 0;
	char c;
	int err = 0;

	*len = 0;
	if (!echo) {
		if (tcgetattr(tty, &old) != 0)
			return -1;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		/* Echo off before the prompt, so nothing typed early is shown; nothing discarded.
		 */
		tcsetattr(tty, TCSANOW, &quiet);
	}
	if (write(tty, prompt, strlen(prompt)) < 0) {
		err = errno;
		if (!echo)
			tcsetattr(tty, TCSANOW, &old);
		errno = err;
		return -1;
	}
	for (;;) {
		ssize_t r = read(tty, &c, 1);
		if (r < 0 && errno == EINTR) {
			err = EINTR;
			break;
		}
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap) {
			/* Too long: the rest of the line is read and dropped, so that
			 * none of it is left for the next reader (the shell). */
			err = E2BIG;
			continue;
		}
		buf[n++] = c;
	}
	if (!echo) {
		tcsetattr(tty, TCSANOW, &old);
		if (write(tty, "\n", 1) < 0 && err == 0)
			err = EIO;
	}
	c = 0;
	*len = n;
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}
