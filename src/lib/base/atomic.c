/*
 * Crash-safe output: every file kist writes is created under a temporary
 * name in its final directory, fsynced, then renamed.  Temporary names are
 * registered in a fixed table that kist_cleanup_on_signal() can walk from a
 * signal handler (kist__os_unlinkat is async-signal-safe).
 */
#include "base/base.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

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
			kist__os_unlinkat(slots[i].dirfd, slots[i].name, 0);
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
		dir = kist__os_strndup(path, (size_t)(slash - path));
		*base = slash + 1;
	}
	if (dir == NULL)
		return kist__nomem();
	if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
		free(dir);
		return kist__fail(KIST_E_ARG, "%s: not a file name", path);
	}
	fd = kist__os_open(dir, KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
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
	int dfd = kist__os_openat(dirfd, ".", KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
	kist__os_dir *d = dfd >= 0 ? kist__os_dir_open(dfd) : NULL;
	const char *n;

	if (d == NULL) {
		if (dfd >= 0)
			kist__os_close(dfd);
		return;
	}
	while (kist__os_dir_next(d, &n, NULL) > 0) {
		if (strncmp(n, prefix, pl) != 0 || strlen(n) != pl + 12 ||
		    strspn(n + pl, "0123456789abcdef") != 12)
			continue;
		int fd = kist__os_openat(
		    dirfd, n, KIST__OS_RDONLY | KIST__OS_NOFOLLOW | KIST__OS_NONBLOCK, 0);
		kist__os_stat st, again;
		if (fd < 0)
			continue;
		/* Non-empty: a writer locks before it writes its first byte. */
		if (kist__os_fstat(fd, &st) == 0 && st.type == KIST__OS_FILE &&
		    kist__os_is_mine(&st) && st.size > 0 &&
		    kist__os_lock(fd, KIST__OS_LOCK_NB) == 0 &&
		    kist__os_fstatat(dirfd, n, &again, KIST__OS_STAT_NOFOLLOW) == 0 &&
		    kist__os_same_file(&again, &st))
			kist__os_unlinkat(dirfd, n, 0);
		kist__os_close(fd);
	}
	kist__os_dir_close(d);
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
		o->fd = kist__os_openat(
		    dirfd, o->tmpname,
		    KIST__OS_WRONLY | KIST__OS_CREAT | KIST__OS_EXCL | KIST__OS_NOFOLLOW, 0600);
		if (o->fd >= 0 && locked) {
			if (kist__os_lock(o->fd, KIST__OS_LOCK_NB) != 0) {
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

kist_err kist__outfile_finish(kist__outfile *o)
{
	if (o->fd < 0 || o->locked)
		return kist__fail(KIST_E_ARG, "internal: output not open");
	int rc = kist__os_fsync(o->fd), e = errno;
	if (kist__os_close(o->fd) != 0 && rc == 0) /* closed either way: never twice */
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
	if (do_sync && kist__os_fsync(o->fd) != 0) {
		int e = errno;
		return kist__fail(kist__errno_err(e), "fsync: %s", strerror(e));
	}
	/* A locked file keeps its lock (and descriptor) until it has its final
	 * name: unlocked under its temporary name, a sweep could take it as dead. */
	if (!o->locked && !o->finished) {
		if (kist__os_close(o->fd) != 0) {
			int e = errno;
			o->fd = -1;
			return kist__fail(kist__errno_err(e), "close: %s", strerror(e));
		}
		o->fd = -1;
	}
	if (force) {
		if (kist__os_renameat(o->dirfd, o->tmpname, o->dirfd, o->final) != 0) {
			int e = errno;
			return kist__fail(kist__errno_err(e), "rename: %s", strerror(e));
		}
	} else if (kist__os_rename_noreplace(o->dirfd, o->tmpname, o->final) != 0) {
		int e = errno;
		if (e == EEXIST)
			return kist__fail(KIST_E_EXISTS, "%s already exists", o->final);
		return kist__fail(kist__errno_err(e), "rename: %s", strerror(e));
	}
	kist__outfile_release_slot(o);
	o->tmpname[0] = '\0';
	if (do_sync)
		kist__os_fsync(o->dirfd);
	if (o->locked) {
		int rc = kist__os_close(o->fd);
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
		kist__os_close(o->fd);
		o->fd = -1;
	}
	if (o->tmpname[0] != '\0' && o->dirfd >= 0) {
		kist__os_unlinkat(o->dirfd, o->tmpname, 0);
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
	kist__os_close(dirfd);
	return err;
}
