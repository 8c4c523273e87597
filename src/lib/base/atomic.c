/*
 * Crash-safe output: every file kist writes is created under a temporary
 * name in its final directory, fsynced, then renamed.  Temporary names are
 * registered in a fixed table that kist_cleanup_on_signal() can walk from a
 * signal handler (unlinkat is async-signal-safe).
 */
#include "base/base.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* One per output written at once: a part set has up to 999. */
#define SLOTS 1024

static struct {
	volatile sig_atomic_t used;
	int dirfd;
	char name[256];
} slots[SLOTS];

/* Two threads writing outputs at once must not take the same slot.  The lock is never
 * taken in a signal handler: kist_cleanup_on_signal() only reads. */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static int slot_take(int dirfd, const char *name)
{
	int got = -1;
	pthread_mutex_lock(&slots_lock);
	for (int i = 0; i < SLOTS; i++) {
		if (!slots[i].used) {
			slots[i].dirfd = dirfd;
			memcpy(slots[i].name, name, sizeof slots[i].name);
			slots[i].used = 1;
			got = i;
			break;
		}
	}
	pthread_mutex_unlock(&slots_lock);
	return got;
}

void kist_cleanup_on_signal(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].used)
			unlinkat(slots[i].dirfd, slots[i].name, 0);
}

void kist__outfile_release_slot(kist__outfile *o)
{
	if (o->slot >= 0) {
		slots[o->slot].used = 0;
		o->slot = -1;
	}
}

kist_err kist__open_parent(const char *path, int *dirfd, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (path[0] == '\0')
		return kist__fail(KIST_E_ARG, "empty file name");
	if (slash == NULL) {
		dir = strdup(".");
		*base = path;
	} else if (slash == path) {
		dir = strdup("/");
		*base = slash + 1;
	} else {
		dir = strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	if (dir == NULL)
		return kist__nomem();
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		free(dir);
		return kist__fail(KIST_E_ARG, "%s: not a file name", path);
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		kist_err err = kist__fail(kist__errno_err(e), "%s: %s", dir, strerror(e));
		free(dir);
		return err;
	}
	free(dir);
	*dirfd = fd;
	return KIST_OK;
}

#define TMP_TAG      ".kist-tmp-"
#define TMP_NAME_MAX 200 /* bytes of the output's name kept in its temporary name */

/* The prefix of the temporary names of output name: ".NAME.kist-tmp-". */
static void locked_prefix(char *out, size_t cap, const char *name)
{
	size_t nl = strlen(name);
	snprintf(out, cap, ".%.*s" TMP_TAG, (int)(nl > TMP_NAME_MAX ? TMP_NAME_MAX : nl), name);
}

/* Removes dead leftovers "PREFIX" + 12 hex digits in dirfd (see base/base.h). */
static void sweep_dead(int dirfd, const char *prefix)
{
	size_t pl = strlen(prefix);
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *n = de->d_name;
		if (strncmp(n, prefix, pl) != 0 || strlen(n) != pl + 12 ||
		    strspn(n + pl, "0123456789abcdef") != 12)
			continue;
		int fd =
		    openat(dirfd, n, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		struct stat st, again;
		if (fd < 0)
			continue;
		/* Non-empty: a writer locks before it writes its first byte. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
		    st.st_size > 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dirfd, n, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
		    again.st_dev == st.st_dev && again.st_ino == st.st_ino)
			unlinkat(dirfd, n, 0);
		close(fd);
	}
	closedir(d);
}

/*
 * Random bytes for temporary names, drawn 4 KiB at a time: one system call
 * per 680 names instead of one per name (an extraction names every file).
 * The names must be unguessable, not secret; a collision (after a fork,
 * say) only costs a retry, as O_EXCL refuses it.
 */
static void name_random(unsigned char *out, size_t n)
{
	static __thread unsigned char pool[4096];
	static __thread size_t left;
	if (left < n) {
		randombytes_buf(pool, sizeof pool);
		left = sizeof pool;
	}
	memcpy(out, pool + sizeof pool - left, n);
	left -= n;
}

static kist_err outfile_create(kist__outfile *o, int dirfd, const char *name, int locked)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6];
	char prefix[TMP_NAME_MAX + 16];

	o->dirfd = dirfd;
	o->fd = -1;
	o->slot = -1;
	o->locked = 0;
	o->finished = 0;
	o->final = strdup(name);
	if (o->final == NULL)
		return kist__nomem();
	if (locked) {
		locked_prefix(prefix, sizeof prefix, name);
		sweep_dead(dirfd, prefix);
	} else {
		snprintf(prefix, sizeof prefix, TMP_TAG);
	}
	for (int attempt = 0; attempt < 16; attempt++) {
		name_random(rnd, sizeof rnd);
		char *p = o->tmpname + snprintf(o->tmpname, sizeof o->tmpname, "%s", prefix);
		for (size_t i = 0; i < sizeof rnd; i++) {
			*p++ = hex[rnd[i] >> 4];
			*p++ = hex[rnd[i] & 15];
		}
		*p = '\0';
		/* Register before creating, so a signal between the two still cleans up. */
		o->slot = slot_take(dirfd, o->tmpname);
		o->fd = openat(dirfd, o->tmpname,
		               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (o->fd >= 0 && locked) {
			if (flock(o->fd, LOCK_EX | LOCK_NB) != 0) {
				int e = errno;
				return kist__fail(kist__errno_err(e),
				                  "locking a temporary file: %s", strerror(e));
			}
			o->locked = 1;
		}
		if (o->fd >= 0)
			return KIST_OK;
		int e = errno;
		kist__outfile_release_slot(o);
		o->tmpname[0] = '\0'; /* not ours: never unlink it */
		if (e != EEXIST)
			return kist__fail(kist__errno_err(e), "creating a temporary file: %s",
			                  strerror(e));
	}
	return kist__fail(KIST_E_IO, "could not create a temporary file");
}

kist_err kist__outfile_open(kist__outfile *o, int dirfd, const char *name)
{
	return outfile_create(o, dirfd, name, 0);
}

kist_err kist__outfile_open_locked(kist__outfile *o, int dirfd, const char *name)
{
	return outfile_create(o, dirfd, name, 1);
}

int kist__rename_noreplace(int dirfd, const char *from, const char *to)
{
	struct stat st;
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	/* No RENAME_NOREPLACE on this file system (FUSE, some shares): a hard
	 * link never replaces either. */
	if (linkat(dirfd, from, dirfd, to, 0) == 0) {
		unlinkat(dirfd, from, 0);
		return 0;
	}
	if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS && errno != EMLINK)
		return -1;
	/* Nor hard links (FAT, exFAT): look, then rename.  Two steps, so a
	 * file that another process creates between them is replaced. */
	if (fstatat(dirfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return renameat(dirfd, from, dirfd, to);
}

kist_err kist__outfile_finish(kist__outfile *o)
{
	if (o->fd < 0 || o->locked)
		return kist__fail(KIST_E_ARG, "internal: output not open");
	int rc = fsync(o->fd), e = errno;
	if (close(o->fd) != 0 && rc == 0) /* closed either way: never twice */
		rc = -1, e = errno;
	o->fd = -1;
	if (rc != 0)
		return kist__fail(kist__errno_err(e), "fsync: %s", strerror(e));
	o->finished = 1;
	return KIST_OK;
}

kist_err kist__outfile_commit(kist__outfile *o, int force, int do_sync)
{
	if (o->finished) {
		do_sync = 0; /* fsynced and closed by kist__outfile_finish */
	} else if (o->fd < 0) {
		return kist__fail(KIST_E_ARG, "internal: output not open");
	}
	if (do_sync && fsync(o->fd) != 0) {
		int e = errno;
		return kist__fail(kist__errno_err(e), "fsync: %s", strerror(e));
	}
	/* A locked file keeps its lock (and descriptor) until it has its final
	 * name: unlocked under its temporary name, a sweep could take it as dead. */
	if (!o->locked && !o->finished) {
		if (close(o->fd) != 0) {
			int e = errno;
			o->fd = -1;
			return kist__fail(kist__errno_err(e), "close: %s", strerror(e));
		}
		o->fd = -1;
	}
	if (force) {
		if (renameat(o->dirfd, o->tmpname, o->dirfd, o->final) != 0) {
			int e = errno;
			return kist__fail(kist__errno_err(e), "rename: %s", strerror(e));
		}
	} else if (kist__rename_noreplace(o->dirfd, o->tmpname, o->final) != 0) {
		int e = errno;
		if (e == EEXIST)
			return kist__fail(KIST_E_EXISTS, "%s already exists", o->final);
		return kist__fail(kist__errno_err(e), "rename: %s", strerror(e));
	}
	kist__outfile_release_slot(o);
	o->tmpname[0] = '\0';
	if (do_sync)
		fsync(o->dirfd);
	if (o->locked) {
		int rc = close(o->fd);
		o->fd = -1;
		o->locked = 0;
		if (rc != 0) /* renamed already: the data were fsynced above */
			return kist__fail(KIST_E_IO, "close: %s", strerror(errno));
	}
	return KIST_OK;
}

void kist__outfile_abort(kist__outfile *o)
{
	if (o->fd >= 0) {
		close(o->fd);
		o->fd = -1;
	}
	if (o->tmpname[0] != '\0' && o->dirfd >= 0) {
		unlinkat(o->dirfd, o->tmpname, 0);
		o->tmpname[0] = '\0';
	}
	o->locked = 0;
	kist__outfile_release_slot(o);
	if (o->final != NULL) /* an entry's name, as secret as its content */
		sodium_memzero(o->final, strlen(o->final));
	free(o->final);
	o->final = NULL;
}

/* A small file written whole or not at all (the public kist_file_write). */
kist_err kist_file_write(const char *path, const void *data, size_t len, unsigned flags)
{
	kist__outfile o;
	const char *base;
	int dirfd = -1;
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	int force = (flags & KIST_REPLACE) != 0;
	kist_err err = kist__open_parent(path, &dirfd, &base);
	if (err != KIST_OK)
		return err;
	memset(&o, 0, sizeof o);
	if ((err = kist__outfile_open(&o, dirfd, base)) == KIST_OK &&
	    (err = kist__write_full(o.fd, data, len, path)) == KIST_OK)
		err = kist__outfile_commit(&o, force, 1);
	kist__outfile_abort(&o); /* after a commit: only frees */
	close(dirfd);
	return err;
}
