/*
 * The names Windows cannot hold (os/winname.h): one component's rules, the
 * case-insensitive key, and the check of a whole extraction's paths.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include "os/winname.h"

int kist__winname_needed(void)
{
#ifdef _WIN32
	return 1;
#else
	return 0;
#endif
}

const char *kist__winname_why(int why)
{
	switch (why) {
	case KIST__WINNAME_OK:
		return "a safe name";
	case KIST__WINNAME_EMPTY:
		return "an empty name";
	case KIST__WINNAME_DOTS:
		return "a name that means a folder (\".\" or \"..\")";
	case KIST__WINNAME_UTF8:
		return "a name that is not UTF-8";
	case KIST__WINNAME_CHAR:
		return "a name with a character Windows refuses (< > : \" / \\ | ? * or a control)";
	case KIST__WINNAME_TRAILING:
		return "a name ending in a dot or a space (Windows drops them)";
	case KIST__WINNAME_DEVICE:
		return "a reserved device name on Windows";
	case KIST__WINNAME_SHORT:
		return "a name of the form of a short name (LONGFI~1.TXT), which may be another "
		       "file's";
	case KIST__WINNAME_LONG:
		return "a name longer than 255 UTF-16 units";
	case KIST__WINNAME_TWIN:
		return "the same name as another entry when case is ignored";
	}
	return "an unknown reason";
}

/* The key of one code point: its simple uppercase, then its simple folding. */
static UChar32 fold_cp(UChar32 c)
{
	return u_foldCase(u_toupper(c), U_FOLD_CASE_DEFAULT);
}

/* Appends c to buf[*n..cap) as UTF-8; 0 if it does not fit. */
static int put_cp(char *buf, size_t cap, size_t *n, UChar32 c)
{
	size_t need = (size_t)U8_LENGTH(c);
	if (need == 0 || cap - *n < need)
		return 0;
	int32_t i = 0;
	UBool bad = 0;
	U8_APPEND((uint8_t *)buf + *n, i, (int32_t)need, c, bad);
	if (bad)
		return 0;
	*n += (size_t)i;
	return 1;
}

/* Device names by their key (lower case); "\xc2\xb9" is U+00B9 '¹'. */
static int is_device(const char *name, size_t len)
{
	static const char *const dev[] = {
	    "con",         "prn",         "aux",         "nul",
	    "conin$",      "conout$",     "com\xc2\xb9", "com\xc2\xb2",
	    "com\xc2\xb3", "lpt\xc2\xb9", "lpt\xc2\xb2", "lpt\xc2\xb3",
	};
	char key[16];
	size_t base = 0, k = 0;
	int32_t i = 0;

	/* What Windows compares: the part before the first dot, without the
	 * spaces that end it ("NUL .txt", "CON " are CON). */
	while (base < len && name[base] != '.')
		base++;
	while (base > 0 && name[base - 1] == ' ')
		base--;
	if (base == 0 || base > 12)
		return 0;
	while (i < (int32_t)base) {
		UChar32 c;
		U8_NEXT(name, i, (int32_t)base, c);
		if (c < 0 || !put_cp(key, sizeof key - 1, &k, fold_cp(c)))
			return 0;
	}
	key[k] = '\0';
	for (size_t d = 0; d < sizeof dev / sizeof dev[0]; d++)
		if (strcmp(key, dev[d]) == 0)
			return 1;
	/* COM0..COM9 and LPT0..LPT9. */
	return k == 4 && (memcmp(key, "com", 3) == 0 || memcmp(key, "lpt", 3) == 0) &&
	       key[3] >= '0' && key[3] <= '9';
}

/*
 * The form of a short name Windows generates for a long one: BASE~N[.EXT],
 * BASE 1 to 6 bytes, N digits from 1 (BASE~N at most 8 bytes), at most one
 * dot and 3 bytes after it.  Case does not matter (lookups ignore it).
 */
static int is_short_form(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);
	size_t base = dot ? (size_t)(dot - name) : len, d;
	if (dot != NULL && (memchr(dot + 1, '.', len - base - 1) != NULL || len - base - 1 > 3))
		return 0;
	if (base > 8)
		return 0;
	for (d = base; d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9'; d--)
		;
	/* At least one byte before the '~' (so at most 6, as base is at most 8). */
	return d != base && name[d] != '0' && d >= 2 && name[d - 1] == '~';
}

int kist__winname_check(const char *name, size_t len)
{
	size_t units = 0;
	int32_t i = 0;

	if (len == 0)
		return KIST__WINNAME_EMPTY;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return KIST__WINNAME_DOTS;
	if (len > INT32_MAX)
		return KIST__WINNAME_LONG;
	while (i < (int32_t)len) {
		UChar32 c;
		U8_NEXT(name, i, (int32_t)len, c);
		if (c < 0)
			return KIST__WINNAME_UTF8;
		units += (size_t)U16_LENGTH(c);
	}
	for (size_t j = 0; j < len; j++) {
		unsigned char b = (unsigned char)name[j];
		if (b < 0x20 || (b < 0x80 && strchr("<>:\"/\\|?*", b) != NULL))
			return KIST__WINNAME_CHAR;
	}
	if (name[len - 1] == '.' || name[len - 1] == ' ')
		return KIST__WINNAME_TRAILING;
	if (is_device(name, len))
		return KIST__WINNAME_DEVICE;
	if (is_short_form(name, len))
		return KIST__WINNAME_SHORT;
	if (units > KIST__WINNAME_MAX_UNITS)
		return KIST__WINNAME_LONG;
	return KIST__WINNAME_OK;
}

int kist__winname_key(const char *s, size_t len, char **out)
{
	char *k;
	size_t n = 0, cap;
	int32_t i = 0;

	*out = NULL;
	if (len > INT32_MAX || len > (SIZE_MAX - 1) / 4) {
		errno = ENOMEM;
		return -1;
	}
	/* A code point of one byte keys to one byte (ASCII stays ASCII); none
	 * takes more than four. */
	cap = len * 4 + 1;
	if ((k = malloc(cap)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	while (i < (int32_t)len) {
		UChar32 c;
		U8_NEXT(s, i, (int32_t)len, c);
		if (c < 0 || !put_cp(k, cap - 1, &n, fold_cp(c))) {
			free(k);
			errno = EILSEQ;
			return -1;
		}
	}
	k[n] = '\0';
	*out = k;
	return 0;
}

/* One name the extraction creates: a whole path or one of its folders. */
typedef struct item {
	const char *key;
	size_t klen;
	size_t entry; /* its path's index */
	size_t len;   /* the prefix of that path it is */
	const char *path;
} item;

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);
	return c ? c : (na > nb) - (na < nb);
}

static int cmp_item(const void *pa, const void *pb)
{
	const item *a = pa, *b = pb;
	int c = cmp_bytes(a->key, a->klen, b->key, b->klen);
	return c ? c : cmp_bytes(a->path, a->len, b->path, b->len);
}

/* A path with its index, to sort paths in byte order. */
typedef struct ranked {
	const char *path;
	size_t entry;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
	return strcmp(((const ranked *)pa)->path, ((const ranked *)pb)->path);
}

/* Every component of every path, in list order. */
static int check_names(const char *const *paths, size_t n, kist__winname_fault *f)
{
	for (size_t e = 0; e < n; e++) {
		const char *p = paths[e];
		size_t start = 0, end;
		for (;;) {
			for (end = start; p[end] != '\0' && p[end] != '/'; end++)
				;
			int why = kist__winname_check(p + start, end - start);
			if (why != KIST__WINNAME_OK) {
				f->why = why;
				f->entry = e;
				f->len = end;
				return 1;
			}
			if (p[end] == '\0')
				break;
			start = end + 1;
		}
	}
	return 0;
}

/*
 * The names of the paths in byte order (ord): each path, and each of its
 * folders the first time it appears (the paths under a folder "P/" follow
 * one another in byte order).  Counts them if it is NULL.
 */
static size_t collect(const ranked *ord, size_t n, char **keys, item *it)
{
	size_t m = 0;
	for (size_t r = 0; r < n; r++) {
		size_t e = ord[r].entry;
		const char *p = ord[r].path, *prev = r ? ord[r - 1].path : NULL;
		size_t plen = strlen(p), prevlen = prev ? strlen(prev) : 0, kpos = 0;
		for (size_t j = 0; j <= plen; j++) {
			if (p[j] != '/' && p[j] != '\0')
				continue;
			if (it != NULL)
				while (keys[e][kpos] != '/' && keys[e][kpos] != '\0')
					kpos++;
			/* A folder already seen through the previous path. */
			if (p[j] == '/' && prev != NULL && j < prevlen &&
			    memcmp(prev, p, j + 1) == 0) {
				kpos++;
				continue;
			}
			if (it != NULL)
				it[m] = (item){keys[e], kpos, e, j, p};
			m++;
			kpos++;
		}
	}
	return m;
}

int kist__winname_check_plan(const char *const *paths, size_t n, kist__winname_fault *f)
{
	ranked *ord = NULL;
	size_t m = 0;
	char **keys = NULL;
	item *it = NULL;
	int ret = -1, saved = ENOMEM;

	memset(f, 0, sizeof *f);
	if (check_names(paths, n, f))
		return 1;
	if (n < 2)
		return 0;
	if ((ord = calloc(n, sizeof *ord)) == NULL || (keys = calloc(n, sizeof *keys)) == NULL)
		goto out;
	for (size_t e = 0; e < n; e++) {
		ord[e] = (ranked){paths[e], e};
		if (kist__winname_key(paths[e], strlen(paths[e]), &keys[e]) != 0) {
			saved = errno;
			goto out;
		}
	}
	qsort(ord, n, sizeof *ord, cmp_ranked);
	m = collect(ord, n, keys, NULL);
	if ((it = calloc(m, sizeof *it)) == NULL)
		goto out;
	collect(ord, n, keys, it);
	qsort(it, m, sizeof *it, cmp_item);
	ret = 0;
	for (size_t i = 1; i < m && ret == 0; i++) {
		const item *a = &it[i - 1], *b = &it[i];
		if (cmp_bytes(a->key, a->klen, b->key, b->klen) != 0 ||
		    cmp_bytes(a->path, a->len, b->path, b->len) == 0)
			continue;
		f->why = KIST__WINNAME_TWIN;
		f->entry = a->entry;
		f->len = a->len;
		f->other = b->entry;
		f->other_len = b->len;
		ret = 1;
	}
out:
	if (ret < 0)
		errno = saved;
	if (keys != NULL)
		for (size_t e = 0; e < n; e++)
			free(keys[e]);
	free(keys);
	free(ord);
	free(it);
	return ret;
}
