/*
 * Sealing: walk the inputs, then stream header, content chunks, index and
 * trailer into a temporary file that is renamed into place at the end.
 */
#include "vault/vault.h"
#include "os/os.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zstd.h>

#define INDEX_ZSTD_LEVEL 3

/* A path that cannot be sealed, found by the walk (kist_sealer_set_problems). */
typedef struct problem {
	char *path, *why;
	int left_out; /* unreadable or special, and KIST_SEAL_SKIP_UNREADABLE: left out */
	int io;       /* missing or unreadable (KIST_E_IO), else a refused name or type */
} problem;

typedef struct input {
	char *src; /* file system path, or NULL for a descriptor */
	int fd;
	uint64_t dev; /* to refuse sealing a vault over one of its own inputs */
	uint64_t ino;
	uint64_t size_hint;        /* st_size when added (regular files), for progress */
	const unsigned char *data; /* a small file's content, read by the walk (or NULL) */
	kist__entry e;
} input;

/* Small files' contents, read when the walk checks them (see probe_file). */
typedef struct cblock {
	struct cblock *next;
	size_t used;
	unsigned char d[];
} cblock;
#define CACHE_FILE_MAX  (16u << 10)        /* files up to this size are read by the walk */
#define CACHE_TOTAL_MAX ((size_t)64 << 20) /* and no more than this in all */
#define CACHE_BLOCK     ((size_t)1 << 20)

struct kist_sealer {
	kist_warn_fn warn;
	void *warn_ctx;
	kist_pubkey *recips;
	size_t nrecips;
	const kist_identity *signer;
	unsigned threads;
	int level;       /* zstd level of content chunks, 1..KIST_LEVEL_MAX */
	int no_pad;      /* kist_sealer_set_padding(s, 0) */
	kist__gate gate; /* custodians (gate.n 0: none) and quorum (0: 1) */
	input *in;
	size_t nin, cap;
	kist__people people;
	uint64_t stat_entries, stat_bytes, stat_vault;
	char vault_id[33];             /* of the last vault written */
	unsigned char file_sha256[32]; /* of the last vault written */
	kist_progress_fn progress;
	void *progress_ctx;
	char *base;      /* kist_sealer_set_base: the real path of the folder, or NULL */
	char **root;     /* the stored name of each input ("": its contents at the top) */
	char **root_src; /* the input as given, for messages */
	size_t nroots;
	size_t nvaults; /* inputs that start with a vault's magic (earlier outputs?) */
	int collect;    /* kist_sealer_set_problems: record problems and walk on */
	unsigned problem_flags;
	kist_problem_fn problem_fn;
	void *problem_ctx;
	problem *probs;
	size_t nprobs;
	char **excl; /* --exclude patterns */
	size_t nexcl;
	size_t nexcluded; /* paths left out by a pattern */
	cblock *cache;    /* small files' contents (wiped when freed) */
	size_t cached;
};

/* n bytes of the content cache, or NULL when it is full. */
static unsigned char *cache_take(kist_sealer *s, size_t n)
{
	if (n > CACHE_BLOCK || s->cached + n > CACHE_TOTAL_MAX)
		return NULL;
	if (s->cache == NULL || CACHE_BLOCK - s->cache->used < n) {
		cblock *b = malloc(sizeof *b + CACHE_BLOCK);
		if (b == NULL)
			return NULL;
		b->next = s->cache;
		b->used = 0;
		s->cache = b;
	}
	unsigned char *p = s->cache->d + s->cache->used;
	s->cache->used += n;
	s->cached += n;
	return p;
}

/* Gives back the last n bytes taken. */
static void cache_untake(kist_sealer *s, size_t n)
{
	s->cache->used -= n;
	s->cached -= n;
}

/*
 * A small regular file (st from lstat): read whole now, through the one
 * descriptor that the walk's check opens anyway, so that sealing does not
 * open it again.  The bytes sealed are then those read here, with the mode
 * and time of this same open (*fst).  Returns NULL (nothing kept) when the
 * file is not the one lstat saw, grew past its size, or the cache is full.
 */
static const unsigned char *read_small(kist_sealer *s, int fd, const kist__os_stat *st,
                                       kist__os_stat *fst, size_t *len)
{
	size_t want = (size_t)st->size + 1; /* one more: a file that grew is not cut */
	unsigned char *buf;
	ptrdiff_t n;
	if (st->size > (uint64_t)CACHE_FILE_MAX || (buf = cache_take(s, want)) == NULL)
		return NULL;
	n = 0;
	if (kist__os_fstat(fd, fst) == 0 && fst->type == KIST__OS_FILE &&
	    kist__os_same_file(fst, st)) {
		/* Until the end (read gives 0): some file systems (FUSE, network)
		 * return short counts before it. */
		ptrdiff_t r;
		while ((size_t)n < want && (r = kist__os_read(fd, buf + n, want - (size_t)n)) != 0)
			if (r < 0 ? errno != EINTR : (n += r, 0)) {
				n = -1;
				break;
			}
	} else {
		n = -1;
	}
	if (n < 0 || (size_t)n >= want) {
		sodium_memzero(buf, want);
		cache_untake(s, want);
		return NULL;
	}
	/* The file's end, as it was at this read. */
	cache_untake(s, want - (size_t)n);
	*len = (size_t)n;
	return buf;
}

/*
 * Opens the regular file at path as the seal will, to learn before anything is
 * written that it can be read, and whether it starts with a vault's magic
 * bytes (an earlier output inside a sealed folder?).  A small file is read
 * whole (read_small): in->data, in->e.pub.size, mode and time are set.
 * @return 0, or the errno of the failed open.
 */
static int probe_file(kist_sealer *s, const char *path, const kist__os_stat *st, int *is_vault,
                      input *in)
{
	char m[sizeof KIST_MAGIC - 1];
	kist__os_stat fst;
	size_t len = 0;
	*is_vault = 0;
	/* NOATIME as for the seal's own read: a look must not touch the evidence. */
	int fd = kist__os_open(
	    path, KIST__OS_RDONLY | KIST__OS_NOFOLLOW | KIST__OS_NONBLOCK | KIST__OS_NOATIME, 0);
	if (fd < 0)
		return errno;
	if ((in->data = read_small(s, fd, st, &fst, &len)) != NULL) {
		*is_vault = len >= sizeof m && memcmp(in->data, KIST_MAGIC, sizeof m) == 0;
		in->e.pub.size = len;
		in->size_hint = len;
		in->e.pub.mode = fst.mode;
		in->e.pub.mtime = fst.mtime;
		in->e.pub.mtime_nsec = (uint32_t)fst.mtime_nsec;
	} else if (st->size >= (uint64_t)sizeof m) {
		ptrdiff_t n = kist__os_pread(fd, m, sizeof m, 0);
		*is_vault = n == (ptrdiff_t)sizeof m && memcmp(m, KIST_MAGIC, sizeof m) == 0;
	}
	kist__os_close(fd);
	return 0;
}

kist_err kist_sealer_new(kist_sealer **out, kist_warn_fn warn_fn, void *warn_ctx)
{
	kist_err err;
	if ((err = kist_init()) != KIST_OK)
		return err;
	kist_sealer *s = calloc(1, sizeof *s);
	if (s == NULL)
		return kist__nomem();
	s->recips = calloc(KIST_MAX_RECIPIENTS, sizeof *s->recips);
	if (s->recips == NULL) {
		free(s);
		return kist__nomem();
	}
	s->warn = warn_fn;
	s->warn_ctx = warn_ctx;
	s->level = KIST_LEVEL_DEFAULT;
	*out = s;
	return KIST_OK;
}

void kist_sealer_free(kist_sealer *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nin; i++) {
		free(s->in[i].src);
		free(s->in[i].e.path);
		free(s->in[i].e.link);
		free(s->in[i].e.chunk_len);
	}
	free(s->in);
	free(s->recips);
	for (size_t i = 0; i < s->nroots; i++) {
		free(s->root[i]);
		free(s->root_src[i]);
	}
	free(s->root);
	free(s->root_src);
	free(s->base);
	for (size_t i = 0; i < s->nprobs; i++) {
		free(s->probs[i].path);
		free(s->probs[i].why);
	}
	free(s->probs);
	for (size_t i = 0; i < s->nexcl; i++)
		free(s->excl[i]);
	free(s->excl);
	kist__people_free(&s->people);
	while (s->cache != NULL) {
		cblock *b = s->cache;
		s->cache = b->next;
		sodium_memzero(b->d, b->used); /* evidence */
		free(b);
	}
	free(s);
}

const char *kist_sealer_vault_id(const kist_sealer *s)
{
	return s->vault_id;
}

void kist_sealer_file_sha256(const kist_sealer *s, unsigned char out[32])
{
	memcpy(out, s->file_sha256, 32);
}

void kist_sealer_stats(const kist_sealer *s, uint64_t *entries, uint64_t *bytes,
                       uint64_t *vault_bytes)
{
	*entries = s->stat_entries;
	*bytes = s->stat_bytes;
	*vault_bytes = s->stat_vault;
}

kist_err kist_sealer_add_recipient(kist_sealer *s, const kist_pubkey *pk)
{
	for (size_t i = 0; i < s->nrecips; i++)
		if (sodium_memcmp(s->recips[i].x25519, pk->x25519, 32) == 0)
			return KIST_OK;
	if (s->nrecips == KIST_MAX_RECIPIENTS)
		return kist__fail(KIST_E_LIMIT, "more than %d recipients", KIST_MAX_RECIPIENTS);
	s->recips[s->nrecips++] = *pk;
	return KIST_OK;
}

kist_err kist_sealer_set_threads(kist_sealer *s, unsigned threads)
{
	if (threads > 64)
		return kist__fail(KIST_E_ARG, "at most 64 threads");
	s->threads = threads;
	return KIST_OK;
}

kist_err kist_sealer_set_level(kist_sealer *s, int level)
{
	if (level == 0)
		level = KIST_LEVEL_DEFAULT;
	if (level < 1 || level > KIST_LEVEL_MAX)
		return kist__fail(KIST_E_ARG, "the compression level is 1 to %d", KIST_LEVEL_MAX);
	s->level = level;
	return KIST_OK;
}

kist_err kist_sealer_add_custodian(kist_sealer *s, const kist_pubkey *pk)
{
	if (pk->kind != KIST_PUBKEY_KIST)
		return kist__fail(KIST_E_BADKEY, "a custodian needs a kist1 key (an age key "
		                                 "cannot sign a release)");
	for (unsigned i = 0; i < s->gate.n; i++)
		if (sodium_memcmp(s->gate.custodians[i].x25519, pk->x25519, 32) == 0 ||
		    sodium_memcmp(s->gate.custodians[i].ed25519, pk->ed25519, 32) == 0)
			return kist__fail(KIST_E_ARG, "custodian %u is named twice", i + 1);
	if (s->gate.n == KIST_CUSTODIANS_MAX)
		return kist__fail(KIST_E_LIMIT, "more than %d custodians", KIST_CUSTODIANS_MAX);
	s->gate.custodians[s->gate.n++] = *pk;
	return KIST_OK;
}

kist_err kist_sealer_set_quorum(kist_sealer *s, unsigned quorum)
{
	if (quorum < 1 || quorum > KIST_CUSTODIANS_MAX)
		return kist__fail(KIST_E_ARG, "the quorum is 1 to %d", KIST_CUSTODIANS_MAX);
	s->gate.quorum = quorum;
	return KIST_OK;
}

kist_err kist_sealer_set_padding(kist_sealer *s, int on)
{
	s->no_pad = !on;
	return KIST_OK;
}

kist_err kist_sealer_set_progress(kist_sealer *s, kist_progress_fn fn, void *ctx)
{
	s->progress = fn;
	s->progress_ctx = ctx;
	return KIST_OK;
}

kist_err kist_sealer_set_signer(kist_sealer *s, const kist_identity *id)
{
	s->signer = id;
	return KIST_OK;
}

static kist_err push(kist_sealer *s, const char *src, int fd, const char *stored,
                     kist_entry_type type, const kist__os_stat *st, const char *link)
{
	kist_err err;
	if (s->nin == KIST_MAX_ENTRIES)
		return kist__fail(KIST_E_LIMIT, "more than %d entries", KIST_MAX_ENTRIES);
	if ((err = kist__path_check(stored, strlen(stored))) != KIST_OK) {
		char why[600];
		snprintf(why, sizeof why, "%s", kist_errdetail());
		return kist__fail(KIST_E_INPUT, "%s: kist cannot store this name (%s)",
		                  src ? src : stored, why);
	}
	if (s->nin == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		input *ni = realloc(s->in, nc * sizeof *ni);
		if (ni == NULL)
			return kist__nomem();
		s->in = ni;
		s->cap = nc;
	}
	input *in = &s->in[s->nin];
	memset(in, 0, sizeof *in);
	in->fd = fd;
	in->src = src ? strdup(src) : NULL;
	in->e.path = strdup(stored);
	in->e.link = link ? strdup(link) : NULL;
	if ((src && !in->src) || !in->e.path || (link && !in->e.link)) {
		free(in->src);
		free(in->e.path);
		free(in->e.link);
		return kist__nomem();
	}
	in->e.pub.type = type;
	if (st != NULL) {
		in->dev = st->dev;
		in->ino = st->ino;
		in->e.pub.mode = st->mode;
		in->e.pub.mtime = st->mtime;
		in->e.pub.mtime_nsec = (uint32_t)st->mtime_nsec;
		if (type == KIST_ENTRY_FILE && st->size > 0)
			in->size_hint = (uint64_t)st->size;
	} else {
		in->e.pub.mode = 0600;
		in->e.pub.mtime = time(NULL);
	}
	s->nin++;
	return KIST_OK;
}

/*
 * A path that cannot be sealed.  Collecting (kist_sealer_set_problems), it is
 * recorded and told, and the walk goes on; otherwise it ends the add with err.
 * skippable: unreadable or special, left out under KIST_SEAL_SKIP_UNREADABLE.
 */
static kist_err refuse(kist_sealer *s, kist_err err, int skippable, const char *src,
                       const char *fmt, ...)
{
	char why[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (n < 0)
		why[0] = '\0';
	if (!s->collect)
		return kist__fail(err, "%s: %s", src, why);
	if ((s->nprobs & (s->nprobs - 1)) == 0) { /* grow at powers of two */
		size_t nc = s->nprobs ? s->nprobs * 2 : 4;
		problem *np = realloc(s->probs, nc * sizeof *np);
		if (np == NULL)
			return kist__nomem();
		s->probs = np;
	}
	problem *p = &s->probs[s->nprobs];
	p->path = strdup(src);
	p->why = strdup(why);
	if (p->path == NULL || p->why == NULL) {
		free(p->path);
		free(p->why);
		return kist__nomem();
	}
	p->left_out = skippable && (s->problem_flags & KIST_SEAL_SKIP_UNREADABLE);
	p->io = err == KIST_E_IO;
	s->nprobs++;
	if (s->problem_fn != NULL)
		s->problem_fn(s->problem_ctx, p->path, p->why, p->left_out);
	return KIST_OK;
}

/* Whether a pattern of kist_sealer_add_exclude() matches the stored path or one of its names. */
static int excluded(const kist_sealer *s, const char *stored)
{
	for (size_t i = 0; i < s->nexcl; i++) {
		if (kist__os_fnmatch(s->excl[i], stored) == 0)
			return 1;
		for (const char *c = stored; *c != '\0';) {
			const char *end = strchr(c, '/');
			size_t len = end ? (size_t)(end - c) : strlen(c);
			char name[KIST_MAX_PATH + 1];
			if (len < sizeof name) {
				memcpy(name, c, len);
				name[len] = '\0';
				if (kist__os_fnmatch(s->excl[i], name) == 0)
					return 1;
			}
			c += len + (end != NULL);
		}
	}
	return 0;
}

/* The kind of a file that is neither a file, a folder nor a link, for messages. */
static const char *special_kind(kist__os_type t)
{
	return t == KIST__OS_FIFO     ? "a fifo"
	       : t == KIST__OS_SOCKET ? "a socket"
	       : t == KIST__OS_DEVICE ? "a device"
	                              : "not a file, folder or link";
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in folder path ("." and ".." left out) in byte order, each and
 * the array malloc()'d; -1 with errno on error.
 */
static int list_dir(const char *path, char ***out, size_t *count)
{
	int fd = kist__os_open(path, KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0), rc = 0, e = 0;
	kist__os_dir *d = fd >= 0 ? kist__os_dir_open(fd) : NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	const char *name;

	if (d == NULL) {
		e = errno;
		if (fd >= 0)
			kist__os_close(fd);
		errno = e;
		return -1;
	}
	while ((rc = kist__os_dir_next(d, &name, NULL)) > 0) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nn =
			    nc > SIZE_MAX / sizeof *nn ? NULL : realloc(names, nc * sizeof *nn);
			if (nn == NULL)
				break;
			names = nn;
			cap = nc;
		}
		if ((names[n] = strdup(name)) == NULL)
			break;
		n++;
	}
	e = rc < 0 ? errno : ENOMEM;
	kist__os_dir_close(d);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		errno = e;
		return -1;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, cmp_name);
	*out = names;
	*count = n;
	return 0;
}

static kist_err walk(kist_sealer *s, const char *src, const char *stored, int depth);

/* The entries of the folder src (already pushed), walked in name order. */
static kist_err walk_dir(kist_sealer *s, const char *src, const char *stored, int depth,
                         char **names, size_t n)
{
	kist_err err = KIST_OK;
	for (size_t i = 0; i < n; i++) {
		const char *nm = names[i];
		if (err == KIST_OK) {
			size_t sl = strlen(src), tl = strlen(stored), nl = strlen(nm);
			char *csrc = malloc(sl + nl + 2), *cst = malloc(tl + nl + 2);
			if (csrc == NULL || cst == NULL) {
				err = kist__nomem();
			} else {
				snprintf(csrc, sl + nl + 2, "%s%s%s", src,
				         (sl && src[sl - 1] == '/') ? "" : "/", nm);
				snprintf(cst, tl + nl + 2, "%s%s%s", stored, tl ? "/" : "", nm);
				if (tl + nl + 1 > KIST_MAX_PATH)
					err = refuse(s, KIST_E_LIMIT, 0, csrc, "path too long");
				else
					err = walk(s, csrc, cst, depth + 1);
			}
			free(csrc);
			free(cst);
		}
		free(names[i]);
	}
	free(names);
	return err;
}

static kist_err walk(kist_sealer *s, const char *src, const char *stored, int depth)
{
	kist__os_stat st;
	kist_err err = KIST_OK;

	if (kist__interrupted)
		return kist__fail(KIST_E_INTERRUPTED, "interrupted");
	if (stored[0] != '\0' && excluded(s, stored)) {
		s->nexcluded++; /* never even looked at */
		return KIST_OK;
	}
	if (depth > 256)
		return kist__fail(KIST_E_LIMIT, "%s: folders nested too deeply", src);
	if (stored[0] != '\0' && kist__path_check(stored, strlen(stored)) != KIST_OK) {
		char why[600]; /* nothing below a refused name is looked at */
		snprintf(why, sizeof why, "%s", kist_errdetail());
		return refuse(s, KIST_E_INPUT, 0, src, "kist cannot store this name (%s)", why);
	}
	if (kist__os_fstatat(KIST__OS_CWD, src, &st, KIST__OS_STAT_NOFOLLOW) !=
	    0) /* a named input that is missing is no reason to skip */
		return refuse(s, kist__errno_err(errno), depth > 0 || errno != ENOENT, src, "%s",
		              strerror(errno));
	if (st.type == KIST__OS_FILE) {
		int e, vault;
		if (stored[0] == '\0')
			return refuse(s, KIST_E_INPUT, 0, src, "no name to store it under");
		if ((err = push(s, src, -1, stored, KIST_ENTRY_FILE, &st, NULL)) != KIST_OK)
			return err;
		if ((e = probe_file(s, src, &st, &vault, &s->in[s->nin - 1])) != 0) {
			input *in = &s->in[--s->nin]; /* unreadable: not an entry after all */
			free(in->src);
			free(in->e.path);
			return refuse(s, kist__errno_err(e), 1, src, "%s", strerror(e));
		}
		if (vault) {
			s->nvaults++;
			if (s->warn)
				s->warn(s->warn_ctx, src,
				        "is a kist vault (an earlier output?): sealed as it is");
		}
		return KIST_OK;
	}
	if (st.type == KIST__OS_LINK) {
		char target[KIST_MAX_PATH + 1];
		ptrdiff_t n = kist__os_readlinkat(KIST__OS_CWD, src, target, sizeof target);
		if (n < 0)
			return refuse(s, kist__errno_err(errno), 1, src, "%s", strerror(errno));
		if ((size_t)n >= sizeof target || n == 0 || memchr(target, '\0', (size_t)n))
			return refuse(s, KIST_E_INPUT, 0, src, "link target too long");
		target[n] = '\0';
		if (stored[0] == '\0')
			return refuse(s, KIST_E_INPUT, 0, src, "no name to store it under");
		return push(s, src, -1, stored, KIST_ENTRY_SYMLINK, &st, target);
	}
	if (st.type != KIST__OS_DIR) {
		if (s->collect)
			return refuse(s, KIST_E_INPUT, 1, src, "%s, which kist cannot seal",
			              special_kind(st.type));
		if (s->warn)
			s->warn(s->warn_ctx, src, "not a file, folder or link: skipped");
		return KIST_OK;
	}
	/* Listed before the folder is pushed: an unreadable one is left out whole. */
	char **names = NULL;
	size_t n = 0;
	if (list_dir(src, &names, &n) != 0)
		return refuse(s, kist__errno_err(errno), 1, src, "%s", strerror(errno));
	if (stored[0] != '\0' && (err = push(s, src, -1, stored, KIST_ENTRY_DIR, &st, NULL))) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return err;
	}
	return walk_dir(s, src, stored, depth, names, n);
}

/* Lexical normalisation: drop "", "." and leading "/"; ".." removes the previous name. */
static char *stored_name(const char *path)
{
	size_t len = strlen(path);
	char *out = malloc(len + 1);
	size_t o = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && path[j] != '/')
			j++;
		size_t cl = j - i;
		if (cl == 2 && path[i] == '.' && path[i + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (cl > 0 && !(cl == 1 && path[i] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, path + i, cl);
			o += cl;
		}
		i = j + 1;
	}
	out[o] = '\0';
	return out;
}

kist_err kist_sealer_set_base(kist_sealer *s, const char *dir)
{
	kist__os_stat st;
	char *real;
	if (s->nroots > 0)
		return kist__fail(KIST_E_ARG, "the base folder is set before any input is added");
	if (dir == NULL) {
		free(s->base);
		s->base = NULL;
		return KIST_OK;
	}
	if ((real = kist__os_realpath(dir)) == NULL)
		return kist__fail(kist__errno_err(errno), "%s: %s", dir, strerror(errno));
	if (kist__os_fstatat(KIST__OS_CWD, real, &st, 0) != 0 || st.type != KIST__OS_DIR) {
		free(real);
		return kist__fail(KIST_E_ARG, "%s: not a folder", dir);
	}
	free(s->base);
	s->base = real;
	return KIST_OK;
}

size_t kist_sealer_input_count(const kist_sealer *s)
{
	return s->nroots;
}

const char *kist_sealer_input_stored(const kist_sealer *s, size_t i)
{
	return i < s->nroots ? s->root[i] : NULL;
}

size_t kist_sealer_vault_inputs(const kist_sealer *s)
{
	return s->nvaults;
}

size_t kist_sealer_entry_count(const kist_sealer *s)
{
	return s->nin;
}

const char *kist_sealer_entry_path(const kist_sealer *s, size_t i)
{
	return i < s->nin ? s->in[i].e.path : NULL;
}

/* The last component of a normalised stored name ("" stays ""). */
static const char *last_component(const char *stored)
{
	const char *slash = strrchr(stored, '/');
	return slash ? slash + 1 : stored;
}

/* A root folder's real name: "/", or "C:/" on Windows. */
static int ends_in_slash(const char *real)
{
	size_t n = strlen(real);
	return n > 0 && real[n - 1] == '/';
}

/*
 * The name path is stored under with --base: its real location relative to
 * the base folder.  The last component is not resolved (a link is recorded,
 * not followed).  Refuses a path outside the base.
 */
static kist_err stored_under_base(const kist_sealer *s, const char *path, char **out)
{
	char *norm = stored_name(path + kist__os_path_drive(path)), *dir = NULL, *real = NULL,
	     *abs = NULL;
	kist_err err = KIST_OK;
	size_t bl = strlen(s->base);

	if (norm == NULL)
		return kist__nomem();
	const char *last = strrchr(path, '/');
	last = last ? last + 1 : path;
	if (*last == '\0' || strcmp(last, ".") == 0 || strcmp(last, "..") == 0 || norm[0] == '\0') {
		real = kist__os_realpath(path); /* a folder named by ".", "..", "/" */
		abs = real ? strdup(real) : NULL;
	} else {
		size_t dl = (size_t)(last - path);
		dir = dl == 0 ? strdup(".") : kist__os_strndup(path, dl);
		real = dir ? kist__os_realpath(dir) : NULL;
		size_t al = real ? strlen(real) + strlen(last) + 2 : 0;
		if (real != NULL && (abs = malloc(al)) != NULL)
			snprintf(abs, al, "%s%s%s", real, ends_in_slash(real) ? "" : "/", last);
	}
	if (real == NULL) {
		err = errno == ENOMEM
		          ? kist__nomem()
		          : kist__fail(kist__errno_err(errno), "%s: %s", path, strerror(errno));
		goto out;
	}
	if (abs == NULL) {
		err = kist__nomem();
		goto out;
	}
	if (strcmp(abs, s->base) == 0) {
		*out = strdup("");
	} else if (ends_in_slash(s->base) && strncmp(abs, s->base, bl) == 0) { /* "/", "C:/" */
		*out = strdup(abs + bl);
	} else if (strncmp(abs, s->base, bl) == 0 && abs[bl] == '/') {
		*out = strdup(abs + bl + 1);
	} else {
		err = kist__fail(KIST_E_INPUT, "%s is outside the base folder %s", path, s->base);
		goto out;
	}
	if (*out == NULL)
		err = kist__nomem();
out:
	free(norm);
	free(dir);
	free(real);
	free(abs);
	return err;
}

/*
 * Records the stored name of an input, refusing one that another input
 * already uses, or that lies inside or around one (the same entries twice).
 */
static kist_err add_root(kist_sealer *s, const char *src, const char *stored)
{
	for (size_t i = 0; i < s->nroots; i++) {
		const char *r = s->root[i];
		size_t rl = strlen(r), nl = strlen(stored);
		/* A folder stored by its contents ("") clashes entry by entry, which
		 * kist_sealer_write() names. */
		int clash = rl > 0 && nl > 0 &&
		            (strcmp(r, stored) == 0 ||
		             (rl < nl && strncmp(r, stored, rl) == 0 && stored[rl] == '/') ||
		             (nl < rl && strncmp(r, stored, nl) == 0 && r[nl] == '/'));
		if (!clash)
			continue;
		if (strcmp(r, stored) == 0)
			return kist__fail(KIST_E_INPUT,
			                  "%s and %s would both be stored as %s: give one of them "
			                  "another name, or store paths relative to a folder that "
			                  "holds both",
			                  s->root_src[i], src, stored);
		return kist__fail(KIST_E_INPUT, "%s and %s overlap (stored as %s and %s)",
		                  s->root_src[i], src, r, stored);
	}
	if ((s->nroots & (s->nroots - 1)) == 0) { /* grow at powers of two */
		size_t nc = s->nroots ? s->nroots * 2 : 4;
		char **nr = realloc(s->root, nc * sizeof *nr);
		if (nr == NULL)
			return kist__nomem();
		s->root = nr;
		char **ns = realloc(s->root_src, nc * sizeof *ns);
		if (ns == NULL)
			return kist__nomem();
		s->root_src = ns;
	}
	char *a = strdup(stored), *b = strdup(src);
	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return kist__nomem();
	}
	s->root[s->nroots] = a;
	s->root_src[s->nroots++] = b;
	return KIST_OK;
}

/* kist_sealer_add_path, for a path in kist's form ('/'-separated). */
static kist_err add_path(kist_sealer *s, const char *path)
{
	char *stored = NULL;
	kist_err err;
	if (s->base != NULL) {
		if ((err = stored_under_base(s, path, &stored)) == KIST_OK) {
		} else if (s->collect && (err == KIST_E_IO || err == KIST_E_INPUT)) {
			/* Missing, or outside the base: one more problem, told with the others. */
			char why[600];
			const char *d = kist_errdetail();
			size_t pl = strlen(path);
			if (strncmp(d, path, pl) == 0 && d[pl] == ':' && d[pl + 1] == ' ')
				d += pl + 2;
			snprintf(why, sizeof why, "%s", d);
			return refuse(s, err, 0, path, "%s", why);
		} else {
			return err;
		}
	} else {
		/* Only the last name: never the folders above it (they say where the
		 * files lay).  ".", ".." and "/" store a folder's contents. */
		char *norm = stored_name(path + kist__os_path_drive(path));
		if (norm == NULL)
			return kist__nomem();
		stored = strdup(last_component(norm));
		free(norm);
		if (stored == NULL)
			return kist__nomem();
	}
	size_t before = s->nin, probs_before = s->nprobs, excl_before = s->nexcluded;
	if ((err = add_root(s, path, stored)) == KIST_OK &&
	    (err = walk(s, path, stored, 0)) != KIST_OK) {
		/* Leave the sealer as it was: drop what this input added. */
		for (size_t i = before; i < s->nin; i++) {
			free(s->in[i].src);
			free(s->in[i].e.path);
			free(s->in[i].e.link);
		}
		s->nin = before;
		for (size_t i = probs_before; i < s->nprobs; i++) {
			free(s->probs[i].path);
			free(s->probs[i].why);
		}
		s->nprobs = probs_before;
		s->nexcluded = excl_before;
		s->nroots--;
		free(s->root[s->nroots]);
		free(s->root_src[s->nroots]);
	}
	free(stored);
	return err;
}

kist_err kist_sealer_add_path(kist_sealer *s, const char *arg)
{
	char *path;
	kist_err err;
	if (arg == NULL || arg[0] == '\0')
		return kist__fail(KIST_E_ARG, "empty path");
	if ((path = strdup(arg)) == NULL)
		return kist__nomem();
	kist__os_path_slashes(path); /* Windows: "a\b" is "a/b" */
	err = add_path(s, path);
	free(path);
	return err;
}

kist_err kist_sealer_set_problems(kist_sealer *s, kist_problem_fn fn, void *ctx, unsigned flags)
{
	if (flags & ~KIST_SEAL_SKIP_UNREADABLE)
		return kist__fail(KIST_E_ARG, "unknown flags");
	s->collect = 1;
	s->problem_fn = fn;
	s->problem_ctx = ctx;
	s->problem_flags = flags;
	return KIST_OK;
}

kist_err kist_sealer_add_exclude(kist_sealer *s, const char *pattern)
{
	if (pattern == NULL || pattern[0] == '\0')
		return kist__fail(KIST_E_ARG, "an empty exclude pattern");
	if (strlen(pattern) > KIST_MAX_PATH)
		return kist__fail(KIST_E_LIMIT, "an exclude pattern longer than %d bytes",
		                  KIST_MAX_PATH);
	if (s->nexcl == 1024)
		return kist__fail(KIST_E_LIMIT, "more than 1024 exclude patterns");
	char **ne = realloc(s->excl, (s->nexcl + 1) * sizeof *ne);
	if (ne == NULL)
		return kist__nomem();
	s->excl = ne;
	if ((s->excl[s->nexcl] = strdup(pattern)) == NULL)
		return kist__nomem();
	s->nexcl++;
	return KIST_OK;
}

size_t kist_sealer_problem_count(const kist_sealer *s)
{
	return s->nprobs;
}

const char *kist_sealer_problem(const kist_sealer *s, size_t i, const char **why, int *left_out)
{
	if (i >= s->nprobs)
		return NULL;
	if (why != NULL)
		*why = s->probs[i].why;
	if (left_out != NULL)
		*left_out = s->probs[i].left_out;
	return s->probs[i].path;
}

size_t kist_sealer_excluded_count(const kist_sealer *s)
{
	return s->nexcluded;
}

kist_err kist_sealer_add_fd(kist_sealer *s, int fd, const char *name)
{
	char *norm;
	kist_err err;
	if (name == NULL || (norm = stored_name(name)) == NULL || norm[0] == '\0') {
		if (name != NULL)
			free(norm);
		return kist__fail(KIST_E_ARG, "a name is needed for standard input");
	}
	if ((err = add_root(s, name, norm)) == KIST_OK &&
	    (err = push(s, NULL, fd, norm, KIST_ENTRY_FILE, NULL, NULL)) != KIST_OK) {
		s->nroots--;
		free(s->root[s->nroots]);
		free(s->root_src[s->nroots]);
	}
	free(norm);
	return err;
}

kist_err kist_sealer_add_people_buf(kist_sealer *s, const void *buf, size_t len, const char *name)
{
	return kist__register_parse(&s->people, buf, len, name ? name : "register");
}

kist_err kist_sealer_add_people(kist_sealer *s, const char *path)
{
	unsigned char *buf = NULL;
	size_t got = 0;
	kist__os_stat st;
	kist_err err;
	int fd = kist__os_open(path, KIST__OS_RDONLY, 0);
	if (fd < 0)
		return kist__fail(kist__errno_err(errno), "%s: %s", path, strerror(errno));
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE) {
		err = kist__fail(KIST_E_INPUT, "%s: not a regular file", path);
		goto out;
	}
	if (st.size > KIST_MAX_REGISTER_BYTES) {
		err = kist__fail(KIST_E_LIMIT, "%s: register larger than %d MiB", path,
		                 KIST_MAX_REGISTER_BYTES >> 20);
		goto out;
	}
	/* One byte more than the limit shows a file that grew while being read. */
	buf = malloc((size_t)st.size + 1);
	if (buf == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = kist__read_full(fd, buf, (size_t)st.size + 1, &got, path)) != KIST_OK)
		goto out;
	if (got > (size_t)st.size) {
		err = kist__fail(KIST_E_IO, "%s: the file changed while being read", path);
		goto out;
	}
	err = kist__register_parse(&s->people, buf, got, path);
out:
	if (buf != NULL) {
		sodium_memzero(buf, (size_t)st.size + 1);
		free(buf);
	}
	kist__os_close(fd);
	return err;
}

/* Resolves the registers' media paths to entry ids. */
static int cmp_input_path(const void *a, const void *b)
{
	const input *x = *(const input *const *)a, *y = *(const input *const *)b;
	return strcmp(x->e.path, y->e.path);
}

static kist_err link_people(kist_sealer *s)
{
	if (s->people.n == 0)
		return KIST_OK;
	const input **sorted = malloc(s->nin * sizeof *sorted);
	const char **paths = malloc(s->nin * sizeof *paths);
	uint32_t *ids = malloc(s->nin * sizeof *ids);
	kist_err err = KIST_OK;
	if (sorted == NULL || paths == NULL || ids == NULL) {
		err = kist__nomem();
		goto out;
	}
	for (size_t i = 0; i < s->nin; i++)
		sorted[i] = &s->in[i];
	qsort(sorted, s->nin, sizeof *sorted, cmp_input_path);
	for (size_t i = 0; i < s->nin; i++) {
		paths[i] = sorted[i]->e.path;
		ids[i] = sorted[i]->e.id;
	}
	err = kist__people_link(&s->people, paths, s->nin, ids);
out:
	free(sorted);
	free(paths);
	free(ids);
	return err;
}

/* State shared by the write steps. */
typedef struct writer {
	kist_sealer *s;
	kist__outfile out;
	kist__chunker *ck; /* index and trailer */
	kist__pipe *pipe;  /* content chunks */
	const kist__keys *keys;
	uint64_t body; /* bytes of body written so far */
	uint32_t chunk_size;
	kist__slot *spare; /* a read-ahead slot that found end of input, reused next */
	kist__slot *batch; /* small files being packed into one job (acquired, not submitted) */
	size_t batch_in, batch_out; /* bytes of its buffers taken, counting the chunks' overhead */
	const char *out_path;
	kist__sha256 *hash;   /* of every byte written: the vault file's SHA-256 */
	uint64_t done, total; /* progress: content bytes read, expected (0: unknown) */
} writer;

static kist_err emit(writer *w, const unsigned char *p, size_t n)
{
	kist_err err = kist__write_full(w->out.fd, p, n, w->out_path);
	if (err == KIST_OK) {
		w->body += n;
		kist__sha256_update(w->hash, p, n);
	}
	return err;
}

/* Writes the oldest finished chunk to the vault and records it in its entry. */
static kist_err drain_one(writer *w)
{
	kist__slot *sl = kist__pipe_oldest(w->pipe);
	kist_err err;
	if (sl == NULL)
		return KIST_OK;
	if (sl->err != KIST_OK)
		return sl->err;
	kist__entry *e = sl->tag;
	if (sl->nsub > 0) {
		/* A batch: every small file's chunk written at once, then recorded. */
		for (unsigned i = 0; i < sl->nsub; i++)
			if (sl->sub[i].err != KIST_OK)
				return kist__fail(sl->sub[i].err, "%s", sl->sub[i].errdetail);
		if ((err = emit(w, sl->result, sl->result_len)) != KIST_OK)
			return err;
		kist__pipe_digest(w->pipe, sl); /* waits for every entry's digest */
		for (unsigned i = 0; i < sl->nsub; i++) {
			const kist__sub *u = &sl->sub[i];
			kist__entry *se = u->tag;
			uint32_t *nl = realloc(se->chunk_len, sizeof *nl);
			if (nl == NULL)
				return kist__nomem();
			se->chunk_len = nl;
			se->chunk_len[0] = (uint32_t)u->result_len;
			se->nchunks = 1;
			se->pub.stored_size = u->result_len;
			memcpy(se->pub.sha256, u->digest, sizeof se->pub.sha256);
		}
	} else if (e != NULL) {
		if ((e->nchunks & (e->nchunks - 1)) == 0) { /* grow at powers of two */
			size_t nc = e->nchunks ? (size_t)e->nchunks * 2 : 1;
			uint32_t *nl = realloc(e->chunk_len, nc * sizeof *nl);
			if (nl == NULL)
				return kist__nomem();
			e->chunk_len = nl;
		}
		if ((err = emit(w, sl->result, sl->result_len)) != KIST_OK)
			return err;
		e->chunk_len[e->nchunks++] = (uint32_t)sl->result_len;
		e->pub.stored_size += sl->result_len;
		if (sl->last) /* hashed in order by the pipeline */
			memcpy(e->pub.sha256, kist__pipe_digest(w->pipe, sl), sizeof e->pub.sha256);
	}
	kist__pipe_release(w->pipe);
	return KIST_OK;
}

static kist_err get_slot(writer *w, kist__slot **out)
{
	kist_err err;
	if (w->spare != NULL) {
		*out = w->spare;
		w->spare = NULL;
		return KIST_OK;
	}
	while ((*out = kist__pipe_acquire(w->pipe)) == NULL)
		if ((err = drain_one(w)) != KIST_OK)
			return err;
	return KIST_OK;
}

/*
 * Opens an input file the walk checked, for reading its content, and takes
 * its mode and time.  KIST__OS_NOATIME: sealing should not even change the
 * evidence's access time (allowed only to the file's owner; otherwise the
 * os layer opens without it).  KIST__OS_NONBLOCK: a file swapped for a FIFO since the walk must not
 * hang the seal.  The file must be the one the walk checked, not one swapped
 * in under its path since (through a folder replaced by a symbolic link, say).
 */
static kist_err open_checked(input *in, const char *name, int *out)
{
	kist__os_stat st;
	int fd = kist__os_open(
	    in->src, KIST__OS_RDONLY | KIST__OS_NOFOLLOW | KIST__OS_NOATIME | KIST__OS_NONBLOCK, 0);
	if (fd < 0)
		return kist__fail(kist__errno_err(errno), "%s: %s", name, strerror(errno));
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE ||
	    (in->ino != 0 && (st.dev != in->dev || st.ino != in->ino))) {
		kist__os_close(fd);
		return kist__fail(KIST_E_IO, "%s: changed since it was checked", name);
	}
	kist__os_set_blocking(fd);
	in->e.pub.mode = st.mode;
	in->e.pub.mtime = st.mtime;
	in->e.pub.mtime_nsec = (uint32_t)st.mtime_nsec;
	kist__os_advise_sequential(fd);
	*out = fd;
	return KIST_OK;
}

/*
 * Reads a file chunk by chunk and hands each chunk to the pipeline, which
 * hashes it (in order, on its hashing thread) and seals it; chunks are
 * written, in order, as they finish.
 */
static kist_err seal_file(writer *w, input *in)
{
	kist__entry *e = &in->e;
	int fd = in->fd, own = 0;
	kist__slot *cur = NULL, *nxt = NULL;
	size_t got = 0, got2 = 0;
	uint64_t counter = 0;
	kist_err err;
	const char *name = in->src ? in->src : "standard input";

	if (fd < 0) {
		if ((err = open_checked(in, name, &fd)) != KIST_OK)
			return err;
		own = 1;
	}
	e->pub.size = 0;
	e->pub.stored_size = 0;
	e->nchunks = 0;
	if ((err = get_slot(w, &cur)) != KIST_OK ||
	    (err = kist__read_full(fd, KIST__SLOT_DATA(cur), w->chunk_size, &got, name)) != KIST_OK)
		goto out;
	for (;;) {
		int last = got < w->chunk_size;
		if (!last) {
			/* Read ahead to learn whether this chunk ends the file. */
			if ((err = get_slot(w, &nxt)) != KIST_OK ||
			    (err = kist__read_full(fd, KIST__SLOT_DATA(nxt), w->chunk_size, &got2,
			                           name)) != KIST_OK)
				goto out;
			last = got2 == 0;
		}
		if (kist__interrupted) {
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
			goto out;
		}
		cur->stream = e->id;
		cur->counter = counter++;
		cur->last = last;
		cur->allow_zstd = 1;
		cur->inlen = got;
		cur->tag = e;
		kist__pipe_submit(w->pipe, cur);
		cur = NULL;
		e->pub.size += got;
		w->done += got;
		if (w->s->progress != NULL)
			w->s->progress(w->s->progress_ctx, w->done, w->total);
		if (last)
			break;
		cur = nxt;
		got = got2;
		nxt = NULL;
	}
	w->s->stat_bytes += e->pub.size;
	err = KIST_OK;
out:
	/* An acquired slot not handed over becomes the spare (the pipeline is in order). */
	if (nxt != NULL)
		w->spare = nxt;
	else if (cur != NULL)
		w->spare = cur;
	if (own)
		kist__os_close(fd);
	return err;
}

/* Files up to this size are packed many to a pipeline job (one chunk each). */
#define SMALL_FILE_MAX (64u << 10)

/* Hands the batch being packed to the pipeline (an empty one is kept as the spare). */
static void flush_batch(writer *w)
{
	if (w->batch == NULL)
		return;
	if (w->batch->nsub > 0)
		kist__pipe_submit(w->pipe, w->batch);
	else
		w->spare = w->batch;
	w->batch = NULL;
}

/*
 * A small file: read whole into the batch slot as one more entry of its job.
 * The chunk is the one seal_file would make (stream e->id, counter 0, last),
 * so the vault's bytes do not change; what changes is that many files share
 * one job, one hand-over between threads and one write.  A file that grew
 * past SMALL_FILE_MAX since the walk goes through seal_file after all.
 */
static kist_err seal_small(writer *w, input *in)
{
	kist__entry *e = &in->e;
	size_t cap = kist__pipe_cap(w->pipe) + KIST_CHUNK_OVERHEAD, want = SMALL_FILE_MAX + 1;
	size_t got = 0;
	int fd;
	kist_err err;

	if (kist__interrupted)
		return kist__fail(KIST_E_INTERRUPTED, "interrupted");
	if (in->data != NULL) {
		fd = -1; /* read by the walk */
	} else if ((err = open_checked(in, in->src, &fd)) != KIST_OK) {
		return err;
	}
	if (w->batch != NULL && (w->batch->nsub == KIST__SUB_MAX || w->batch_in + 1 + want > cap ||
	                         w->batch_out + want + KIST_CHUNK_OVERHEAD > cap))
		flush_batch(w);
	if (w->batch == NULL) {
		if ((err = get_slot(w, &w->batch)) != KIST_OK)
			goto out;
		w->batch_in = w->batch_out = 0;
	}
	kist__slot *b = w->batch;
	if (in->data != NULL) {
		got = (size_t)in->e.pub.size;
		memcpy(b->in + w->batch_in + 1, in->data, got);
	} else if ((err = kist__read_full(fd, b->in + w->batch_in + 1, want, &got, in->src)) !=
	           KIST_OK) {
		goto out;
	}
	if (got == want) { /* grew since the walk: chunk by chunk, from its start */
		flush_batch(w);
		if (kist__os_seek(fd, 0, KIST__OS_SEEK_SET) != 0) {
			err = kist__fail(KIST_E_IO, "%s: %s", in->src, strerror(errno));
			goto out;
		}
		in->fd = fd;
		err = seal_file(w, in);
		in->fd = -1;
		goto out;
	}
	kist__sub *u = &b->sub[b->nsub++];
	u->stream = e->id;
	u->off = w->batch_in;
	u->len = got;
	u->tag = e;
	w->batch_in += 1 + got;
	w->batch_out += got + KIST_CHUNK_OVERHEAD;
	e->pub.size = got;
	e->pub.stored_size = 0;
	e->nchunks = 0;
	w->done += got;
	w->s->stat_bytes += got;
	if (w->s->progress != NULL)
		w->s->progress(w->s->progress_ctx, w->done, w->total);
out:
	if (fd >= 0)
		kist__os_close(fd);
	return err;
}

static kist_err seal_index(writer *w, kist__trailer *t, int signed_)
{
	kist__index_meta m;
	unsigned char *db = NULL, *z = NULL, rnd[16];
	size_t dblen = 0, zcap = 0;
	kist__entry *ents = NULL;
	kist_err err;

	memset(&m, 0, sizeof m);
	memcpy(rnd, w->s->gate.vault_id, sizeof rnd); /* drawn with the header */
	sodium_bin2hex(m.vault_id, sizeof m.vault_id, rnd, sizeof rnd);
	memcpy(w->s->vault_id, m.vault_id, sizeof m.vault_id);
	m.created = time(NULL);
	snprintf(m.tool_version, sizeof m.tool_version, "kist %s", KIST_VERSION);
	m.format_version = KIST_FORMAT_VERSION;
	m.recipients = (unsigned)w->s->nrecips;
	m.chunk_size = w->chunk_size;
	if (signed_) {
		kist_pubkey_format(&w->s->signer->pk, m.signer);
		m.has_signer = 1;
	}
	ents = malloc(w->s->nin * sizeof *ents);
	if (ents == NULL)
		return kist__nomem();
	for (size_t i = 0; i < w->s->nin; i++)
		ents[i] = w->s->in[i].e;
	err = kist__index_build(&db, &dblen, &m, ents, w->s->nin, &w->s->people);
	free(ents);
	if (err != KIST_OK)
		return err;

	zcap = ZSTD_compressBound(dblen);
	z = malloc(zcap);
	if (z == NULL) {
		err = kist__nomem();
		goto out;
	}
	/* One frame, on this thread, in a context whose buffers are wiped when
	 * freed (kist__zstd_cctx_new): they held the plaintext index. */
	ZSTD_CCtx *zc = kist__zstd_cctx_new();
	size_t zlen = (size_t)-1;
	if (zc != NULL) {
		ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, INDEX_ZSTD_LEVEL);
		zlen = ZSTD_compress2(zc, z, zcap, db, dblen);
		ZSTD_freeCCtx(zc);
	}
	if (zc == NULL || ZSTD_isError(zlen)) {
		err = kist__fail(KIST_E_NOMEM, "index compression failed");
		goto out;
	}
	t->index_offset = w->body;
	t->index_zlen = zlen;
	t->index_len = dblen;
	kist__sha256_oneshot(t->index_sha256, db, dblen);
	uint64_t counter = 0;
	for (size_t off = 0; off < zlen; off += w->chunk_size, counter++) {
		size_t n = zlen - off < w->chunk_size ? zlen - off : w->chunk_size;
		const unsigned char *ct;
		size_t ctlen;
		err = kist__chunk_seal(w->ck, w->keys->index, KIST_STREAM_INDEX, counter,
		                       off + n == zlen, 0, z + off, n, &ct, &ctlen);
		if (err == KIST_OK)
			err = emit(w, ct, ctlen);
		if (err != KIST_OK)
			goto out;
	}
	err = KIST_OK;
out:
	if (db != NULL)
		sodium_memzero(db, dblen);
	free(db);
	if (z != NULL)
		sodium_memzero(z, zcap); /* the compressed index still names every entry */
	free(z);
	return err;
}

kist_err kist_sealer_check(kist_sealer *s)
{
	kist__entry *check;
	kist_err err;

	/* The problems the walk found, all told already: one error for them all. */
	size_t bad = 0, io = 0;
	for (size_t i = 0; i < s->nprobs; i++)
		if (!s->probs[i].left_out) {
			bad++;
			io += s->probs[i].io;
		}
	if (bad > 0)
		return kist__fail(io == bad ? KIST_E_IO : KIST_E_INPUT, "%zu %s cannot be sealed",
		                  bad, bad == 1 ? "input" : "inputs");
	if (s->nin == 0)
		return kist__fail(KIST_E_ARG, "nothing to seal");
	/* Names first: duplicates and files below files are refused before any output. */
	check = malloc(s->nin * sizeof *check);
	if (check == NULL)
		return kist__nomem();
	for (size_t i = 0; i < s->nin; i++) {
		s->in[i].e.id = (uint32_t)(i + 1);
		check[i] = s->in[i].e;
	}
	err = kist__entries_check(check, s->nin, 0);
	free(check);
	if (err != KIST_OK) {
		char why[600];
		snprintf(why, sizeof why, "%s", kist_errdetail());
		return kist__fail(KIST_E_INPUT, "%s", why);
	}
	return link_people(s);
}

/* Whether the file st describes is one of the inputs (the vault would overwrite it). */
static int is_input(const kist_sealer *s, const kist__os_stat *st)
{
	for (size_t i = 0; i < s->nin; i++)
		if (s->in[i].src != NULL && s->in[i].dev == st->dev && s->in[i].ino == st->ino)
			return 1;
	return 0;
}

/*
 * The output, checked before it is created: a stream (fd >= 0) must not be a
 * regular file that is one of the inputs; a path must not exist (unless
 * force) nor be an input.  Opens the locked temporary file for a path.
 */
static kist_err open_output(writer *w, const char *out_path, int force, int fd, int *dirfd)
{
	kist__os_stat ost;
	const char *base;
	kist_err err;
	if (fd >= 0) {
		if (kist__os_fstat(fd, &ost) == 0 && ost.type == KIST__OS_FILE &&
		    is_input(w->s, &ost))
			return kist__fail(KIST_E_INPUT,
			                  "%s is also an input: refusing to write into it",
			                  out_path);
		w->out.fd = fd;
		return KIST_OK;
	}
	if ((err = kist__open_parent(out_path, dirfd, &base)) != KIST_OK)
		return err;
	if (kist__os_fstatat(*dirfd, base, &ost, KIST__OS_STAT_NOFOLLOW) == 0) {
		if (!force)
			return kist__fail(KIST_E_EXISTS, "%s exists", out_path);
		if (is_input(w->s, &ost))
			return kist__fail(KIST_E_INPUT,
			                  "%s is also an input: refusing to replace it", out_path);
	}
	return kist__outfile_open_locked(&w->out, *dirfd, base);
}

/*
 * The content: every file entry read, sealed and written in id order, then
 * the offset of each entry (entries tile the body in id order; folders and
 * links take no space).
 */
static kist_err write_content(writer *w)
{
	kist_sealer *s = w->s;
	kist_err err;
	for (size_t i = 0; i < s->nin; i++) {
		if (s->in[i].e.pub.type != KIST_ENTRY_FILE)
			continue;
		if (s->in[i].src == NULL) { /* a descriptor: its size is not known */
			w->total = 0;
			break;
		}
		w->total += s->in[i].size_hint;
	}
	for (size_t i = 0; i < s->nin; i++) {
		input *in = &s->in[i];
		if (in->e.pub.type != KIST_ENTRY_FILE)
			continue;
		if (in->src != NULL && in->fd < 0 && in->size_hint <= SMALL_FILE_MAX) {
			err = seal_small(w, in);
		} else {
			flush_batch(w); /* chunks go to the pipeline in entry order */
			err = seal_file(w, in);
		}
		if (err != KIST_OK)
			return err;
	}
	flush_batch(w);
	if (w->spare != NULL) {
		w->spare->skip = 1;
		kist__pipe_submit(w->pipe, w->spare);
		w->spare = NULL;
	}
	while (!kist__pipe_empty(w->pipe))
		if ((err = drain_one(w)) != KIST_OK)
			return err;
	uint64_t pos = 0;
	for (size_t i = 0; i < s->nin; i++) {
		s->in[i].e.offset = pos;
		pos += s->in[i].e.pub.stored_size;
	}
	return KIST_OK;
}

/*
 * Padding (FORMAT.md, "Padding"): the keystream of the padding key, so that
 * the vault's size is Padmé's rounding of its unpadded size.
 */
static kist_err write_padding(writer *w, kist__trailer *t, size_t header_len)
{
	unsigned char buf[1 << 16];
	if (w->s->no_pad)
		return KIST_OK;
	uint64_t u = header_len + w->body + KIST_TRAILER_BYTES;
	if (kist__padme(u) - u >= KIST_PAD_MAX)
		return KIST_OK; /* beyond one ChaCha20 keystream (vaults of 2^43 bytes): not padded
		                 */
	t->flags |= KIST_TRAILER_PADDED;
	t->pad_len = kist__padme(u) - u;
	for (uint64_t off = 0; off < t->pad_len;) {
		size_t n = t->pad_len - off < sizeof buf ? (size_t)(t->pad_len - off) : sizeof buf;
		kist__padding_bytes(buf, n, off, w->keys->padding);
		kist_err err = emit(w, buf, n);
		if (err != KIST_OK)
			return err;
		off += n;
	}
	return KIST_OK;
}

/* The index, padding, then the trailer (signed when there is a signer) that closes the vault. */
static kist_err write_index_trailer(writer *w, const unsigned char *header, size_t header_len,
                                    unsigned char tplain[KIST_TRAILER_PLAIN])
{
	kist_sealer *s = w->s;
	kist__trailer t;
	kist__header h;
	const unsigned char *ct;
	size_t ctlen;
	kist_err err;
	memset(&t, 0, sizeof t);
	t.chunk_size = w->chunk_size;
	int signed_ = s->signer != NULL;
	if ((err = kist__header_parse(&h, header, header_len)) != KIST_OK ||
	    (err = seal_index(w, &t, signed_)) != KIST_OK ||
	    (err = write_padding(w, &t, header_len)) != KIST_OK)
		return err;
	if (signed_) {
		unsigned char msg[32];
		t.flags |= KIST_TRAILER_SIGNED;
		memcpy(t.signer, s->signer->pk.ed25519, 32);
		kist__signature_message(msg, &h, header, &t, (unsigned)s->nrecips);
		crypto_sign_detached(t.signature, NULL, msg, sizeof msg, s->signer->ed25519_sk);
	}
	kist__trailer_encode(tplain, KIST_FORMAT_VERSION, &t);
	if ((err = kist__chunk_seal(w->ck, w->keys->index, KIST_STREAM_TRAILER, 0, 1, 0, tplain,
	                            KIST_TRAILER_PLAIN, &ct, &ctlen)) != KIST_OK)
		return err;
	return emit(w, ct, ctlen);
}

/*
 * Writes the vault: to out_path through a temporary file (fd < 0), or
 * straight to the open descriptor fd, named out_path in messages.
 */
/*
 * K_r (file_key), wrapped for every recipient; with custodians, K_c drawn
 * and split among them, else zeros.  The vault id is drawn here: a gated
 * vault's gate and custodian slots carry it.
 */
static kist_err make_header(kist_sealer *s, unsigned char *file_key, unsigned char salt[32],
                            kist__keys *keys, unsigned char **header, size_t *header_len)
{
	unsigned char *kc = NULL;
	kist_err err;
	randombytes_buf(file_key, KIST_FILEKEY_BYTES);
	randombytes_buf(salt, KIST_SALT_BYTES);
	randombytes_buf(s->gate.vault_id, sizeof s->gate.vault_id);
	if (s->gate.n == 0 && s->gate.quorum > 0)
		return kist__fail(KIST_E_ARG, "a quorum without custodians");
	if (s->gate.n > 0) {
		if (s->gate.quorum == 0)
			s->gate.quorum = 1;
		if (s->gate.quorum > s->gate.n)
			return kist__fail(KIST_E_ARG, "a quorum of %u needs at least %u custodians",
			                  s->gate.quorum, s->gate.quorum);
		if ((kc = sodium_malloc(32)) == NULL)
			return kist__fail(KIST_E_NOMEM, "out of secure memory");
		randombytes_buf(kc, 32);
	}
	if ((err = kist__derive_keys(keys, KIST_FORMAT_VERSION, file_key, kc, salt)) == KIST_OK)
		err = kist__header_build_gated(header, header_len, file_key, salt, s->recips,
		                               s->nrecips, kc ? &s->gate : NULL, kc, keys);
	sodium_free(kc);
	return err;
}

static kist_err seal_to(kist_sealer *s, const char *out_path, int force, int fd)
{
	writer w;
	unsigned char *file_key = NULL, salt[KIST_SALT_BYTES], *header = NULL;
	unsigned char tplain[KIST_TRAILER_PLAIN];
	size_t header_len = 0;
	kist__keys *keys = NULL;
	int dirfd = -1;
	kist_err err;

	memset(&w, 0, sizeof w);
	memset(tplain, 0, sizeof tplain);
	w.out.dirfd = w.out.fd = w.out.slot = -1;
	w.s = s;
	w.out_path = out_path;
	w.chunk_size = KIST_CHUNK_SIZE;
	s->stat_entries = s->stat_bytes = s->stat_vault = 0;
	memset(s->file_sha256, 0, sizeof s->file_sha256);
	if (s->nrecips == 0)
		return kist__fail(KIST_E_ARG, "no recipients");
	if ((err = kist_sealer_check(s)) != KIST_OK)
		return err;

	/* Keys and header, before any output exists. */
	file_key = sodium_malloc(KIST_FILEKEY_BYTES);
	keys = sodium_malloc(sizeof *keys);
	if (file_key == NULL || keys == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = make_header(s, file_key, salt, keys, &header, &header_len)) != KIST_OK)
		goto out;
	w.keys = keys;
	if ((err = kist__chunker_new(&w.ck, w.chunk_size, s->level)) != KIST_OK ||
	    (err = kist__pipe_new(&w.pipe, KIST__PIPE_SEAL, s->threads, w.chunk_size, s->level,
	                          keys->content, UINT64_MAX, w.chunk_size)) != KIST_OK ||
	    (err = kist__sha256_new(&w.hash)) != KIST_OK)
		goto out;
	/* Header, content, index and trailer. */
	if ((err = open_output(&w, out_path, force, fd, &dirfd)) != KIST_OK ||
	    (err = kist__write_full(w.out.fd, header, header_len, out_path)) != KIST_OK)
		goto out;
	kist__sha256_update(w.hash, header, header_len);
	if ((err = write_content(&w)) != KIST_OK ||
	    (err = write_index_trailer(&w, header, header_len, tplain)) != KIST_OK)
		goto out;
	/* Renamed into place (a stream is the caller's). */
	if (fd >= 0) {
		w.out.fd = -1;
	} else if ((err = kist__outfile_commit(&w.out, force, 1)) != KIST_OK) {
		if (err == KIST_E_EXISTS)
			kist__fail(err, "%s exists", out_path);
		goto out;
	}
	s->stat_entries = s->nin;
	s->stat_vault = header_len + w.body;
	kist__sha256_final(w.hash, s->file_sha256);
	err = KIST_OK;
out:
	if (fd >= 0)
		w.out.fd = -1; /* the caller's, never closed here */
	kist__outfile_abort(&w.out);
	if (dirfd >= 0)
		kist__os_close(dirfd);
	kist__pipe_free(w.pipe);
	kist__chunker_free(w.ck);
	kist__sha256_free(w.hash);
	free(header);
	sodium_free(file_key);
	sodium_free(keys);
	sodium_memzero(tplain, sizeof tplain);
	return err;
}

kist_err kist_sealer_write(kist_sealer *s, const char *out_path, unsigned flags)
{
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	return seal_to(s, out_path, (flags & KIST_REPLACE) != 0, -1);
}

kist_err kist_sealer_write_fd(kist_sealer *s, int fd, const char *name)
{
	if (fd < 0)
		return kist__fail(KIST_E_ARG, "no descriptor to write to");
	return seal_to(s, name ? name : "standard output", 0, fd);
}
