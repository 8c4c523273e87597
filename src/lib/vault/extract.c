/*
 * Extraction into a directory, defended against hostile indexes.
 *
 * Every path is resolved component by component with kist__os_openat(
 * KIST__OS_NOFOLLOW | KIST__OS_DIRECTORY) from the target directory, so no symbolic link (whether
 * planted before or created by the vault) is ever followed.  Files are
 * staged under temporary names and renamed into place only when every
 * selected entry has authenticated and matched its SHA-256; on failure all
 * staged files and created directories are removed.
 */
#include "vault/vault.h"
#include "os/os.h"
#include "os/winname.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utypes.h>

typedef struct staged {
	const kist__entry *e;
	char tmp[64];
} staged;

typedef struct xstate {
	kist_vault *v;
	const kist_extract_opts *o;
	int root;
	char **created; /* directories created, in creation order */
	size_t ncreated, capcreated;
	staged *st;
	size_t nst;
	kist__outfile cur;        /* the file being written */
	uint64_t cur_len;         /* bytes of it delivered so far */
	int cur_holes;            /* some were zeros left as holes */
	const unsigned char *sel; /* entries selected, by index */
	int meta_warned;          /* told once that modes or times cannot be set */
	/* cached_dir: the last folder opened (a borrowed descriptor), and while
	 * checking (nothing created yet) the last folder found missing
	 * (miss_len SIZE_MAX: none). */
	int dc_fd;
	size_t dc_len, miss_len;
	int checking;
	char dc_path[KIST_MAX_PATH + 1], miss_path[KIST_MAX_PATH + 1];
} xstate;

static void shown_path(char *buf, size_t cap, const char *p)
{
	kist__printable(buf, cap, p);
}

static kist_err note_created(xstate *x, const char *path, size_t len)
{
	if (x->ncreated == x->capcreated) {
		size_t nc = x->capcreated ? x->capcreated * 2 : 16;
		char **n = realloc(x->created, nc * sizeof *n);
		if (n == NULL)
			return kist__nomem();
		x->created = n;
		x->capcreated = nc;
	}
	if ((x->created[x->ncreated] = kist__os_strndup(path, len)) == NULL)
		return kist__nomem();
	x->ncreated++;
	return KIST_OK;
}

/*
 * Opens the directory rel (the first len bytes of a stored path) below the
 * root without following links, creating missing components when create is
 * set.  len == 0 is the root itself.  *fd is -1 (and KIST_OK returned) if a
 * component is missing and create is not set.
 */
static kist_err open_dir(xstate *x, const char *rel, size_t len, int create, int *fd)
{
	int cur = kist__os_dup(x->root);
	size_t i = 0;
	char name[KIST_MAX_NAME + 1], shown[160];

	if (cur < 0)
		return kist__fail(KIST_E_IO, "dup: %s", strerror(errno));
	while (i < len) {
		size_t j = i;
		while (j < len && rel[j] != '/')
			j++;
		memcpy(name, rel + i, j - i);
		name[j - i] = '\0';
		int next = kist__os_openat(
		    cur, name, KIST__OS_RDONLY | KIST__OS_DIRECTORY | KIST__OS_NOFOLLOW, 0);
		if (next < 0 && errno == ENOENT && create) {
			if (kist__os_mkdirat(cur, name, 0700) != 0 && errno != EEXIST) {
				int e = errno;
				kist__os_close(cur);
				return kist__fail(kist__errno_err(e), "mkdir: %s", strerror(e));
			}
			kist_err err = note_created(x, rel, j);
			if (err != KIST_OK) {
				kist__os_close(cur);
				return err;
			}
			next = kist__os_openat(
			    cur, name, KIST__OS_RDONLY | KIST__OS_DIRECTORY | KIST__OS_NOFOLLOW, 0);
		}
		if (next < 0) {
			int e = errno;
			kist__os_close(cur);
			if (e == ENOENT && !create) {
				*fd = -1;
				return KIST_OK;
			}
			shown_path(shown, sizeof shown, rel);
			if (e == ELOOP || e == ENOTDIR)
				return kist__fail(
				    KIST_E_UNSAFE,
				    "%s: a parent is not a directory (a link?): refused", shown);
			return kist__fail(kist__errno_err(e), "%s: %s", shown, strerror(e));
		}
		kist__os_close(cur);
		cur = next;
		i = j + 1;
	}
	*fd = cur;
	return KIST_OK;
}

/*
 * open_dir() through a cache of one folder: entries come in tree order, so
 * the files of a folder follow one another and share one descriptor,
 * opened once, component by component without following links, as
 * open_dir() does.  The descriptor stays the folder it was: a link put in
 * its place later is not followed.  *fd is borrowed: do not close it.
 */
static kist_err cached_dir(xstate *x, const char *rel, size_t len, int create, int *fd)
{
	kist_err err;
	int nfd;
	if (x->dc_fd >= 0 && len == x->dc_len && memcmp(rel, x->dc_path, len) == 0) {
		*fd = x->dc_fd;
		return KIST_OK;
	}
	if (x->checking && !create && len == x->miss_len && memcmp(rel, x->miss_path, len) == 0) {
		*fd = -1;
		return KIST_OK;
	}
	if ((err = open_dir(x, rel, len, create, &nfd)) != KIST_OK)
		return err;
	if (nfd < 0) {
		if (x->checking) {
			memcpy(x->miss_path, rel, len);
			x->miss_len = len;
		}
		*fd = -1;
		return KIST_OK;
	}
	if (x->dc_fd >= 0)
		kist__os_close(x->dc_fd);
	x->dc_fd = nfd;
	memcpy(x->dc_path, rel, len);
	x->dc_len = len;
	*fd = nfd;
	return KIST_OK;
}

static size_t parent_len(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? (size_t)(s - path) : 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* What a path of the target will be once this extraction is done. */
typedef enum node_kind { NODE_MISSING, NODE_DIR, NODE_LINK, NODE_OTHER, NODE_UNKNOWN } node_kind;

#define LINK_HOPS_MAX 40          /* as the kernel's MAXSYMLINKS */
#define LINK_REST_MAX (64u << 10) /* bytes of path still to resolve */

/*
 * Looks path (relative to the target, every parent a real directory) up as
 * it will be: a selected entry of this vault is what will be there; else
 * what is on disk (a link's target read with readlinkat); else, for a
 * missing path, a link of this vault that is not selected counts as a link
 * all the same (a later extraction may create it).  link receives a link's
 * target (cap bytes).
 */
static node_kind lookup_node(xstate *x, const char *path, char *link, size_t cap)
{
	const kist__entry *e = kist__vault_find(x->v, path);
	kist__os_stat st;
	int dfd;

	if (e != NULL && x->sel[e - x->v->entries]) {
		if (e->pub.type == KIST_ENTRY_DIR)
			return NODE_DIR;
		if (e->pub.type != KIST_ENTRY_SYMLINK || strlen(e->link) >= cap)
			return e->pub.type == KIST_ENTRY_SYMLINK ? NODE_UNKNOWN : NODE_OTHER;
		memcpy(link, e->link, strlen(e->link) + 1);
		return NODE_LINK;
	}
	if (open_dir(x, path, parent_len(path), 0, &dfd) != KIST_OK)
		return NODE_UNKNOWN;
	if (dfd >= 0 && kist__os_fstatat(dfd, base_name(path), &st, KIST__OS_STAT_NOFOLLOW) == 0) {
		node_kind k = st.type == KIST__OS_DIR    ? NODE_DIR
		              : st.type == KIST__OS_LINK ? NODE_LINK
		                                         : NODE_OTHER;
		if (k == NODE_LINK) {
			ptrdiff_t n = kist__os_readlinkat(dfd, base_name(path), link, cap);
			if (n < 0 || (size_t)n >= cap)
				k = NODE_UNKNOWN;
			else
				link[n] = '\0';
		}
		kist__os_close(dfd);
		return k;
	}
	if (dfd >= 0)
		kist__os_close(dfd);
	if (e != NULL && e->pub.type == KIST_ENTRY_SYMLINK && strlen(e->link) < cap) {
		memcpy(link, e->link, strlen(e->link) + 1);
		return NODE_LINK;
	}
	return NODE_MISSING;
}

/*
 * A link target is allowed if, resolved from the link's folder as the kernel
 * would resolve it once this extraction is done, it stays inside the target:
 * one component at a time, following every link on the way (already on disk,
 * whoever made it, or of this vault) up to LINK_HOPS_MAX.  Refused: an
 * absolute target, ".." at the target's top, too many links, and ".." after
 * a component that does not exist or is not a folder (the kernel fails there
 * today, but a link created there later would decide where it leads).
 */
static int link_is_contained(xstate *x, const char *path, const char *target)
{
	char cur[KIST_MAX_PATH + 1], link[KIST_MAX_PATH + 1];
	char *rest = NULL, *tmp = NULL;
	size_t len = parent_len(path), pos = 0;
	int hops = 0, lost = 0, ok = 0;

	if (target[0] == '/' || target[0] == '\0' || strlen(target) >= LINK_REST_MAX)
		return 0;
	if ((rest = malloc(LINK_REST_MAX)) == NULL || (tmp = malloc(LINK_REST_MAX)) == NULL)
		goto out;
	memcpy(rest, target, strlen(target) + 1);
	memcpy(cur, path, len);
	cur[len] = '\0';
	while (rest[pos] != '\0') {
		const char *p = rest + pos;
		const char *q = strchr(p, '/');
		size_t l = q ? (size_t)(q - p) : strlen(p);
		size_t before = len;
		pos += l + (q != NULL);
		if (l == 0 || (l == 1 && p[0] == '.'))
			continue;
		if (l == 2 && p[0] == '.' && p[1] == '.') {
			if (lost || len == 0)
				goto out;
			len = parent_len(cur);
			cur[len] = '\0';
			continue;
		}
		if (l > KIST_MAX_NAME || len + 1 + l > KIST_MAX_PATH)
			goto out;
		if (len > 0)
			cur[len++] = '/';
		memcpy(cur + len, p, l);
		len += l;
		cur[len] = '\0';
		if (lost)
			continue;
		switch (lookup_node(x, cur, link, sizeof link)) {
		case NODE_DIR:
			break;
		case NODE_MISSING:
		case NODE_OTHER:
			lost = 1;
			break;
		case NODE_LINK: {
			/* Go on from the link's folder with its target, then what was left. */
			size_t tl = strlen(link), rl = strlen(rest + pos);
			if (++hops > LINK_HOPS_MAX || link[0] == '/' || link[0] == '\0' ||
			    tl + 1 + rl >= LINK_REST_MAX)
				goto out;
			memcpy(tmp, link, tl);
			tmp[tl] = '/';
			memcpy(tmp + tl + 1, rest + pos, rl + 1);
			memcpy(rest, tmp, tl + rl + 2);
			pos = 0;
			len = before;
			cur[len] = '\0';
			break;
		}
		default:
			goto out;
		}
	}
	ok = 1;
out:
	free(rest);
	free(tmp);
	return ok;
}

/*
 * File staging, driven by kist__vault_stream_many: begin() creates the
 * temporary file, data() writes authenticated plaintext to it, end() sets
 * mode and time and closes it, keeping its temporary name for the commit.
 */
static kist_err file_begin(void *ctx, const kist__entry *e)
{
	xstate *x = ctx;
	int dfd = -1;
	kist_err err;
	staged *s = &x->st[x->nst];

	if ((err = cached_dir(x, e->path, parent_len(e->path), 1, &dfd)) != KIST_OK)
		return err;
	x->cur = (kist__outfile){.dirfd = -1, .fd = -1, .slot = -1};
	x->cur_len = 0;
	x->cur_holes = 0;
	err = kist__outfile_open(&x->cur, dfd, base_name(e->path));
	if (err != KIST_OK)
		return err;
	s->e = e;
	memcpy(s->tmp, x->cur.tmpname, sizeof s->tmp);
	x->nst++;
	return KIST_OK;
}

/* A whole chunk of zeros (the common case in disk images and sparse files). */
static int all_zero(const unsigned char *p, size_t n)
{
	return n >= 4096 && p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static kist_err file_data(void *ctx, const kist__entry *e, const unsigned char *p, size_t n)
{
	xstate *x = ctx;
	(void)e;
	/*
	 * The staging file is new and empty (KIST__OS_EXCL), so a run of zeros can be
	 * left as a hole instead of written: cheaper, and the file stays sparse.
	 * file_end sets the length, which covers a hole at the end.
	 */
	if (all_zero(p, n)) {
		if (kist__os_seek(x->cur.fd, (int64_t)n, KIST__OS_SEEK_CUR) < 0)
			return kist__fail(KIST_E_IO, "extracted file: %s", strerror(errno));
		x->cur_len += n;
		x->cur_holes = 1;
		return KIST_OK;
	}
	x->cur_len += n;
	return kist__write_full(x->cur.fd, p, n, "extracted file");
}

/*
 * Sets an extracted file's mode and time.  A file system that cannot keep
 * them (FAT through FUSE answers ENOSYS, vfat EPERM for a mode it cannot
 * store, some shares EOPNOTSUPP) still holds the authenticated bytes: that is
 * a warning, given once, not a failed extraction.  Any other error fails.
 */
static kist_err set_file_meta(xstate *x, const kist__entry *e)
{
	int bad;
	if (kist__os_fchmod(x->cur.fd, e->pub.mode & 0777) == 0 &&
	    kist__os_futimes(x->cur.fd, e->pub.mtime, e->pub.mtime_nsec) == 0)
		return KIST_OK;
	bad = errno;
	if (bad != EPERM && bad != ENOSYS && bad != EOPNOTSUPP && bad != ENOTSUP)
		return kist__fail(KIST_E_IO, "setting mode or time: %s", strerror(bad));
	if (!x->meta_warned && x->o->warn_fn) {
		char msg[200];
		snprintf(msg, sizeof msg,
		         "this file system cannot keep file modes or times (%s): files are "
		         "extracted without them",
		         strerror(bad));
		x->o->warn_fn(x->o->warn_ctx, e->pub.path, msg);
	}
	x->meta_warned = 1;
	return KIST_OK;
}

static kist_err file_end(void *ctx, const kist__entry *e, kist_err status)
{
	xstate *x = ctx;
	kist_err err = status;

	if (err == KIST_OK && x->cur_holes && kist__os_truncate(x->cur.fd, x->cur_len) != 0)
		err = kist__fail(kist__errno_err(errno), "extracted file: %s", strerror(errno));
	x->cur_len = 0;
	x->cur_holes = 0;
	if (err == KIST_OK)
		err = set_file_meta(x, e);
	if (err == KIST_OK) {
		int fd = x->cur.fd;
		x->cur.fd = -1;
		if (kist__os_close(fd) != 0)
			err = kist__fail(kist__errno_err(errno), "close: %s", strerror(errno));
	}
	/* Staged (or failed, and then removed with the others): drop the signal slot. */
	if (x->cur.fd >= 0)
		kist__os_close(x->cur.fd);
	x->cur.fd = -1;
	kist__outfile_release_slot(&x->cur);
	x->cur.tmpname[0] = '\0';
	kist__outfile_abort(&x->cur);
	return err;
}

/* *skipped: the target cannot hold links; the user was warned and nothing staged. */
static kist_err stage_link(xstate *x, const kist__entry *e, staged *s, int *skipped)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[6];
	int dfd = -1;
	kist_err err;

	if ((err = cached_dir(x, e->path, parent_len(e->path), 1, &dfd)) != KIST_OK)
		return err;
	randombytes_buf(rnd, sizeof rnd);
	char *p = s->tmp + snprintf(s->tmp, sizeof s->tmp, ".kist-tmp-");
	for (size_t i = 0; i < sizeof rnd; i++) {
		*p++ = hex[rnd[i] >> 4];
		*p++ = hex[rnd[i] & 15];
	}
	*p = '\0';
	if (kist__os_symlinkat(e->link, dfd, s->tmp) != 0) {
		int why = errno;
		s->tmp[0] = '\0';
		if (why == EPERM || why == EOPNOTSUPP) {
			/* The target cannot hold links (FAT; Windows, where kist makes
			 * none): the rest is extracted, and the user told. */
			if (x->o->warn_fn) {
				char msg[KIST_MAX_PATH + 128], t[KIST_MAX_PATH + 1];
				kist__printable(t, sizeof t, e->link);
				snprintf(msg, sizeof msg,
				         "link to %s: links cannot be made here (%s): not created",
				         t, strerror(why));
				x->o->warn_fn(x->o->warn_ctx, e->path, msg);
			}
			*skipped = 1;
			return KIST_OK;
		}
		err = kist__fail(kist__errno_err(why), "symlink: %s", strerror(why));
	}
	return err;
}

static void unstage_all(xstate *x)
{
	for (size_t i = 0; i < x->nst; i++) {
		int dfd;
		if (x->st[i].tmp[0] == '\0')
			continue;
		const char *path = x->st[i].e->path;
		if (open_dir(x, path, parent_len(path), 0, &dfd) == KIST_OK && dfd >= 0) {
			kist__os_unlinkat(dfd, x->st[i].tmp, 0);
			kist__os_close(dfd);
		}
		x->st[i].tmp[0] = '\0';
	}
	for (size_t i = x->ncreated; i > 0; i--) {
		const char *path = x->created[i - 1];
		int dfd;
		if (open_dir(x, path, parent_len(path), 0, &dfd) == KIST_OK && dfd >= 0) {
			kist__os_unlinkat(dfd, base_name(path), KIST__OS_REMOVEDIR);
			kist__os_close(dfd);
		}
	}
}

/* Refuses, before anything is written, to replace what is already there. */
static kist_err precheck(xstate *x, const kist__entry *e)
{
	kist__os_stat st;
	int dfd;
	char shown[160];
	kist_err err = cached_dir(x, e->path, parent_len(e->path), 0, &dfd);
	if (err != KIST_OK || dfd < 0)
		return err;
	int r = kist__os_fstatat(dfd, base_name(e->path), &st, KIST__OS_STAT_NOFOLLOW);
	if (r != 0)
		return KIST_OK;
	shown_path(shown, sizeof shown, e->path);
	if (e->pub.type == KIST_ENTRY_DIR) {
		if (st.type == KIST__OS_DIR)
			return KIST_OK;
		return kist__fail(KIST_E_EXISTS, "%s exists and is not a directory", shown);
	}
	if (st.type == KIST__OS_DIR)
		return kist__fail(KIST_E_EXISTS, "%s exists and is a directory", shown);
	if (!x->o->force)
		return kist__fail(KIST_E_EXISTS, "%s exists", shown);
	return KIST_OK;
}

static kist_err commit_one(xstate *x, staged *s)
{
	int dfd;
	char shown[160];
	const char *path = s->e->path;
	kist_err err = cached_dir(x, path, parent_len(path), 0, &dfd);
	if (err != KIST_OK)
		return err;
	if (dfd < 0)
		return kist__fail(KIST_E_IO, "a directory vanished during extraction");
	int r = x->o->force ? kist__os_renameat(dfd, s->tmp, dfd, base_name(path))
	                    : kist__os_rename_noreplace(dfd, s->tmp, base_name(path));
	int e = errno;
	if (r != 0) {
		shown_path(shown, sizeof shown, path);
		if (e == EEXIST)
			return kist__fail(KIST_E_EXISTS, "%s appeared during extraction", shown);
		return kist__fail(kist__errno_err(e), "%s: %s", shown, strerror(e));
	}
	s->tmp[0] = '\0';
	if (s->e->pub.type == KIST_ENTRY_SYMLINK) {
		/* A link's own time: set after the rename, on the link, never its target. */
		if (cached_dir(x, path, parent_len(path), 0, &dfd) == KIST_OK && dfd >= 0)
			kist__os_utimes_nofollow(dfd, base_name(path), s->e->pub.mtime,
			                         s->e->pub.mtime_nsec);
	}
	return KIST_OK;
}

static void set_dir_attrs(xstate *x, const kist__entry *e)
{
	int dfd;
	if (open_dir(x, e->path, strlen(e->path), 0, &dfd) != KIST_OK || dfd < 0)
		return;
	kist__os_fchmod(dfd, e->pub.mode & 0777);
	kist__os_futimes(dfd, e->pub.mtime, e->pub.mtime_nsec);
	kist__os_close(dfd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* After sort_created: N log N over a vault of N folders, not N squared. */
static int was_created(const xstate *x, const char *path)
{
	return x->ncreated > 0 &&
	       bsearch(&path, x->created, x->ncreated, sizeof *x->created, cmp_str) != NULL;
}

/*
 * A conservative key for names that such a file system may take as one:
 * ICU's NFKC_Casefold, the Unicode key for caseless matching after
 * normalisation.  A precomposed letter (NFC) and its decomposed form (NFD)
 * meet in every script, as do names that differ only by case or by
 * compatibility forms (a full-width letter, a ligature) and default-ignorable
 * characters.  File systems fold less than this (FAT and NTFS fold case, HFS+
 * normalises): refusing a few names one of them would keep apart is the
 * price of never overwriting one entry with another.  The path is UTF-8
 * (checked when the index was loaded) and bounded (KIST_MAX_PATH).
 */
kist_err kist__name_key(const char *path, char **out)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&st);
	size_t len = strlen(path);
	UChar *u = NULL, *n = NULL;
	char *f = NULL;
	int32_t ulen = 0, nlen = 0, flen = 0;
	kist_err err = KIST_OK;

	*out = NULL;
	if (U_FAILURE(st))
		return kist__fail(KIST_E_FORMAT, "this build lacks Unicode normalisation data: %s",
		                  u_errorName(st));
	if (len > INT32_MAX / 4)
		return kist__fail(KIST_E_CORRUPT, "a path in the index is too long");
	/* UTF-16 needs at most one unit per UTF-8 byte. */
	if ((u = malloc((len + 1) * sizeof *u)) == NULL)
		goto nomem;
	u_strFromUTF8(u, (int32_t)len + 1, &ulen, path, (int32_t)len, &st);
	if (U_FAILURE(st))
		goto bad;
	/* Ask for the folded length first: NFKC_Casefold can expand a name. */
	nlen = unorm2_normalize(nf, u, ulen, NULL, 0, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		goto bad;
	st = U_ZERO_ERROR;
	if ((n = malloc(((size_t)nlen + 1) * sizeof *n)) == NULL)
		goto nomem;
	unorm2_normalize(nf, u, ulen, n, nlen + 1, &st);
	if (U_FAILURE(st))
		goto bad;
	/* Each UTF-16 unit becomes at most three UTF-8 bytes. */
	if ((f = malloc((size_t)nlen * 3 + 1)) == NULL)
		goto nomem;
	u_strToUTF8(f, nlen * 3 + 1, &flen, n, nlen, &st);
	if (U_FAILURE(st))
		goto bad;
	*out = f;
	f = NULL;
	goto done;
nomem:
	err = kist__nomem();
	goto done;
bad:
	err = kist__fail(KIST_E_CORRUPT, "a path in the index cannot be normalised: %s",
	                 u_errorName(st));
done:
	free(u);
	free(n);
	free(f);
	return err;
}

typedef struct folded {
	char *key;
	const char *path;
} folded;

static int cmp_folded(const void *a, const void *b)
{
	const folded *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->path, y->path);
}

/*
 * On a target that ignores case, refuses before anything is written two
 * selected entries that it would take as one name (which would otherwise
 * replace one another under --force, or stop the extraction half committed).
 * Sorting the folded paths finds every pair in N log N.
 */
static kist_err check_collisions(const xstate *x, const unsigned char *sel)
{
	folded *f;
	size_t n = 0;
	kist_err err = KIST_OK;
	char a[160], b[160];

	if (!kist__os_folds_case(x->root)) /* names compared without case there */
		return KIST_OK;
	if ((f = calloc(x->v->nentries ? x->v->nentries : 1, sizeof *f)) == NULL)
		return kist__nomem();
	for (size_t i = 0; i < x->v->nentries; i++) {
		if (!sel[i])
			continue;
		f[n].path = x->v->entries[i].path;
		if ((err = kist__name_key(f[n].path, &f[n].key)) != KIST_OK)
			goto out;
		n++;
	}
	qsort(f, n, sizeof *f, cmp_folded);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(f[i - 1].key, f[i].key) != 0)
			continue;
		shown_path(a, sizeof a, f[i - 1].path);
		shown_path(b, sizeof b, f[i].path);
		err =
		    kist__fail(KIST_E_UNSAFE,
		               "%s and %s would be one name on %s (its file system ignores case): "
		               "refused, nothing was written",
		               a, b, x->o->dir ? x->o->dir : ".");
		break;
	}
out:
	for (size_t i = 0; i < n; i++)
		free(f[i].key);
	free(f);
	return err;
}

/* Bytes as a person reads them: "812 bytes", "3.4 MiB", "2.0 GiB". */
static void human_size(char *buf, size_t cap, uint64_t n)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)n;
	int u = -1;
	if (n < 1024) {
		snprintf(buf, cap, "%llu bytes", (unsigned long long)n);
		return;
	}
	while (d >= 1024 && u < 5) {
		d /= 1024;
		u++;
	}
	snprintf(buf, cap, "%.1f %s", d, unit[u]);
}

/*
 * Refuses, before anything is written, an extraction that cannot fit: the
 * selected files at their full sizes (a run of zeros that will become a hole
 * is counted in full), each rounded up to the file system's block, plus one
 * block for each folder and link, against the space and the inodes free to
 * this user on the target's file system.  Files replaced with --force still
 * count: their old blocks are freed only at the final rename.
 */
static kist_err check_room(const xstate *x, const unsigned char *sel)
{
	kist__os_space sv;
	uint64_t need = 0, inodes = 0, block, avail;
	char a[32], b[32];
	const char *dir = x->o->dir ? x->o->dir : ".";

	if (kist__os_space_free(x->root, &sv) != 0)
		return KIST_OK; /* no figure to compare with: the writes will tell */
	block = sv.block;
	for (size_t i = 0; i < x->v->nentries; i++) {
		if (!sel[i])
			continue;
		uint64_t sz =
		    x->v->entries[i].pub.type == KIST_ENTRY_FILE ? x->v->entries[i].pub.size : 0;
		uint64_t blocks = sz / block + (sz % block != 0);
		if (blocks == 0)
			blocks = 1;
		if (blocks > (UINT64_MAX - need) / block)
			need = UINT64_MAX;
		else
			need += blocks * block;
		inodes++;
	}
	avail = sv.blocks_free > UINT64_MAX / block ? UINT64_MAX : sv.blocks_free * block;
	if (need > avail) {
		human_size(a, sizeof a, need);
		human_size(b, sizeof b, avail);
		return kist__fail(KIST_E_NOSPACE,
		                  "not enough room in %s: the extraction needs %s, %s is free; "
		                  "nothing was written",
		                  dir, a, b);
	}
	/* files 0: the file system has no fixed inode count (btrfs, some tmpfs). */
	if (sv.files != 0 && inodes > sv.files_free)
		return kist__fail(
		    KIST_E_NOSPACE,
		    "not enough room in %s: the extraction needs %llu inodes, %llu are "
		    "free; nothing was written",
		    dir, (unsigned long long)inodes, (unsigned long long)sv.files_free);
	return KIST_OK;
}

/* Marks entries selected by paths (exact entry, or everything below a directory). */
static kist_err select_entries(kist_vault *v, const char *const *paths, size_t npaths,
                               unsigned char *sel)
{
	char shown[160];
	if (npaths == 0) {
		memset(sel, 1, v->nentries);
		return KIST_OK;
	}
	memset(sel, 0, v->nentries);
	for (size_t p = 0; p < npaths; p++) {
		size_t len = strlen(paths[p]);
		while (len > 1 && paths[p][len - 1] == '/')
			len--;
		int any = 0;
		for (size_t i = 0; i < v->nentries; i++) {
			const char *ep = v->entries[i].path;
			if (strncmp(ep, paths[p], len) == 0 &&
			    (ep[len] == '\0' || ep[len] == '/')) {
				sel[i] = 1;
				any = 1;
			}
		}
		if (!any) {
			shown_path(shown, sizeof shown, paths[p]);
			return kist__fail(KIST_E_NOTFOUND, "%s: not in the vault", shown);
		}
	}
	return KIST_OK;
}

/*
 * Creates the selected folders and stages the selected links; the selected
 * files go into files (*nfiles of them) for the pipeline.
 */
static kist_err stage_entries(xstate *x, const kist__entry **files, size_t *nfiles)
{
	kist_err err;
	for (size_t i = 0; i < x->v->nentries; i++) {
		const kist__entry *e = &x->v->entries[i];
		if (!x->sel[i])
			continue;
		if (e->pub.type == KIST_ENTRY_DIR) {
			int dfd;
			if ((err = cached_dir(x, e->path, strlen(e->path), 1, &dfd)) != KIST_OK)
				return err;
			continue;
		}
		if (e->pub.type == KIST_ENTRY_SYMLINK && !link_is_contained(x, e->path, e->link)) {
			if (x->o->warn_fn) {
				char msg[KIST_MAX_PATH + 128], t[KIST_MAX_PATH + 1];
				kist__printable(t, sizeof t, e->link);
				snprintf(
				    msg, sizeof msg,
				    "link to %s resolves outside the target (through the links "
				    "of this vault and those already there): not created",
				    t);
				x->o->warn_fn(x->o->warn_ctx, e->path, msg);
			}
			continue;
		}
		if (e->pub.type == KIST_ENTRY_SYMLINK) {
			staged *s = &x->st[x->nst++];
			int skipped = 0;
			s->e = e;
			if ((err = stage_link(x, e, s, &skipped)) != KIST_OK)
				return err;
			if (skipped)
				x->nst--; /* not made, said so: nothing to commit */
			continue;
		}
		files[(*nfiles)++] = e;
	}
	return KIST_OK;
}

/* After the pipeline: names for everything staged, then the folders' attributes. */
static kist_err commit_all(xstate *x)
{
	kist_err err;
	/* Everything authenticated: make it durable, then give the files their names. */
	kist__os_sync_fs(x->root);
	for (size_t i = 0; i < x->nst; i++)
		if ((err = commit_one(x, &x->st[i])) != KIST_OK)
			return err;
	/* Everything is committed: creation order is no longer needed for undoing. */
	if (x->ncreated > 1)
		qsort(x->created, x->ncreated, sizeof *x->created, cmp_str);
	for (size_t i = x->v->nentries; i > 0; i--) {
		const kist__entry *e = &x->v->entries[i - 1];
		if (x->sel[i - 1] && e->pub.type == KIST_ENTRY_DIR && was_created(x, e->path))
			set_dir_attrs(x, e);
	}
	return KIST_OK;
}

/*
 * Opens the target folder o->dir (default "."); with o->create_dir a missing
 * one is created, mode 0700, one level only (*made: to remove it on failure).
 */
static kist_err open_root(const kist_extract_opts *o, int *root, int *made)
{
	kist_err err;
	*root = kist__os_open(o->dir ? o->dir : ".", KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
	if (*root < 0 && errno == ENOENT && o->dir != NULL && o->create_dir) {
		/* One level only: a mistyped parent is an error, not a new tree. */
		if (kist__os_mkdirat(KIST__OS_CWD, o->dir, 0700) != 0)
			return kist__fail(kist__errno_err(errno), "%s: %s%s", o->dir,
			                  strerror(errno),
			                  errno == ENOENT ? " (its parent folder must exist)" : "");
		*made = 1;
		*root = kist__os_open(o->dir,
		                      KIST__OS_RDONLY | KIST__OS_DIRECTORY | KIST__OS_NOFOLLOW, 0);
	}
	if (*root < 0) {
		err = kist__fail(kist__errno_err(errno), "%s: %s", o->dir ? o->dir : ".",
		                 strerror(errno));
		if (*made)
			kist__os_unlinkat(KIST__OS_CWD, o->dir, KIST__OS_REMOVEDIR);
		*made = 0;
		return err;
	}
	return KIST_OK;
}

/*
 * On Windows, refuses before anything is written (and before any name is
 * looked up on disk) a selected entry whose name Windows cannot hold, or
 * two that NTFS would take as one (os/winname.h).  Elsewhere these names
 * are legal and extracted as they are.
 */
static kist_err check_windows_names(const xstate *x, const unsigned char *sel)
{
	const char **p;
	size_t n = 0;
	kist__winname_fault f;
	char a[160], b[160], cut[KIST_MAX_PATH + 1];
	kist_err err = KIST_OK;
	int rc;

	if (!kist__winname_needed())
		return KIST_OK;
	if ((p = malloc((x->v->nentries ? x->v->nentries : 1) * sizeof *p)) == NULL)
		return kist__nomem();
	for (size_t i = 0; i < x->v->nentries; i++)
		if (sel[i])
			p[n++] = x->v->entries[i].path;
	rc = kist__winname_check_plan(p, n, &f);
	if (rc < 0) {
		err = kist__nomem();
	} else if (rc > 0 && f.why == KIST__WINNAME_TWIN) {
		snprintf(cut, sizeof cut, "%.*s", (int)f.len, p[f.entry]);
		shown_path(a, sizeof a, cut);
		snprintf(cut, sizeof cut, "%.*s", (int)f.other_len, p[f.other]);
		shown_path(b, sizeof b, cut);
		err = kist__fail(
		    KIST_E_UNSAFE,
		    "%s and %s would be one name on Windows: refused, nothing was written", a, b);
	} else if (rc > 0) {
		snprintf(cut, sizeof cut, "%.*s", (int)f.len, p[f.entry]);
		shown_path(a, sizeof a, cut);
		err = kist__fail(KIST_E_UNSAFE, "%s: %s: refused, nothing was written", a,
		                 kist__winname_why(f.why));
	}
	free(p);
	return err;
}

/* The entries selected, and every check made before anything is written:
 * each entry's path, case collisions on the target, room and inodes. */
static kist_err check_selection(xstate *x, const char *const *paths, size_t npaths,
                                unsigned char *sel)
{
	kist_vault *v = x->v;
	kist_err err;
	if ((err = select_entries(v, paths, npaths, sel)) != KIST_OK)
		return err;
	x->sel = sel;
	if ((err = check_windows_names(x, sel)) != KIST_OK)
		return err;
	x->checking = 1; /* nothing is created while checking: a missing folder stays missing */
	for (size_t i = 0; i < v->nentries; i++)
		if (sel[i] && (err = precheck(x, &v->entries[i])) != KIST_OK)
			break;
	x->checking = 0;
	if (err != KIST_OK)
		return err;
	if ((err = check_collisions(x, sel)) != KIST_OK)
		return err;
	return check_room(x, sel);
}

kist_err kist_vault_extract(kist_vault *v, const kist_extract_opts *o, const char *const *paths,
                            size_t npaths)
{
	xstate x;
	unsigned char *sel = NULL;
	const kist__entry **files = NULL;
	size_t nfiles = 0;
	int made_root = 0;
	kist_err err;

	memset(&x, 0, sizeof x);
	x.v = v;
	x.o = o;
	x.cur = (kist__outfile){.dirfd = -1, .fd = -1, .slot = -1};
	x.dc_fd = -1;
	x.miss_len = SIZE_MAX;
	if ((err = open_root(o, &x.root, &made_root)) != KIST_OK)
		return err;
	sel = malloc(v->nentries ? v->nentries : 1);
	x.st = calloc(v->nentries ? v->nentries : 1, sizeof *x.st);
	files = malloc((v->nentries ? v->nentries : 1) * sizeof *files);
	if (sel == NULL || x.st == NULL || files == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = check_selection(&x, paths, npaths, sel)) != KIST_OK ||
	    (err = stage_entries(&x, files, &nfiles)) != KIST_OK)
		goto out;
	/* Files, all through one pipeline, each staged under a temporary name. */
	static const kist__stream_cb cb = {file_begin, file_data, file_end};
	if ((err = kist__vault_stream_many(v, files, nfiles, &cb, &x, 0)) != KIST_OK)
		goto out;
	if ((err = commit_all(&x)) != KIST_OK)
		goto out;
	kist__os_fsync(x.root);
	err = KIST_OK;
out:
	if (x.cur.fd >= 0 || x.cur.final != NULL) {
		/* Stopped inside a file: forget its descriptor; unstage_all removes it. */
		if (x.cur.fd >= 0)
			kist__os_close(x.cur.fd);
		kist__outfile_release_slot(&x.cur);
		free(x.cur.final);
	}
	if (err != KIST_OK) {
		char why[768];
		snprintf(why, sizeof why, "%s", kist_errdetail());
		/* The cached folder is closed first: Windows cannot remove a
		 * folder a descriptor is open on. */
		if (x.dc_fd >= 0)
			kist__os_close(x.dc_fd);
		x.dc_fd = -1;
		unstage_all(&x);
		kist__fail(err, "%s", why);
	}
	if (x.dc_fd >= 0)
		kist__os_close(x.dc_fd);
	for (size_t i = 0; i < x.ncreated; i++)
		free(x.created[i]);
	free(x.created);
	free(x.st);
	free(files);
	free(sel);
	kist__os_close(x.root);
	if (err != KIST_OK && made_root)
		kist__os_unlinkat(
		    KIST__OS_CWD, o->dir,
		    KIST__OS_REMOVEDIR); /* empty again: leave no trace of a failed extraction */
	return err;
}
