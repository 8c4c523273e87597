/*
 * Fuzzes the Windows name rules (os/winname.h) with the paths a hostile
 * vault may hold: the input cut at '\n' into up to 64 paths, given to
 * kist__winname_check_plan(), each path also to kist__winname_check() and
 * kist__winname_key().  Checks: a refused name is one the component check
 * refuses; a twin is two different prefixes with one key; a plan that
 * passes has every component safe; keys keep the '/' of their path.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "os/winname.h"

#define MAX_PATHS 64

/* The key of s[0..len), or NULL for a name that is not UTF-8. */
static char *key_of(const char *s, size_t len)
{
	char *k = NULL;
	if (kist__winname_key(s, len, &k) != 0) {
		FUZZ_ASSERT(errno == EILSEQ && k == NULL);
		return NULL;
	}
	return k;
}

static size_t count_slashes(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '/';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *paths[MAX_PATHS];
	size_t n = 0, start = 0;
	kist__winname_fault f;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (size_t i = 0; i <= size && n < MAX_PATHS; i++) {
		if (i < size && buf[i] != '\n' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		paths[n++] = buf + start;
		start = i + 1;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(paths[i]);
		char *k = key_of(paths[i], len);
		if (k != NULL)
			FUZZ_ASSERT(count_slashes(k, strlen(k)) == count_slashes(paths[i], len));
		free(k);
		(void)kist__winname_check(paths[i], len);
	}
	int rc = kist__winname_check_plan((const char *const *)paths, n, &f);
	FUZZ_ASSERT(rc == 0 || rc == 1);
	if (rc == 1 && f.why != KIST__WINNAME_TWIN) {
		const char *p = paths[f.entry];
		size_t b = f.len;
		FUZZ_ASSERT(f.entry < n && f.len <= strlen(p));
		while (b > 0 && p[b - 1] != '/')
			b--;
		FUZZ_ASSERT(kist__winname_check(p + b, f.len - b) == f.why);
	} else if (rc == 1) {
		const char *a = paths[f.entry], *b = paths[f.other];
		FUZZ_ASSERT(f.entry < n && f.other < n);
		FUZZ_ASSERT(f.len <= strlen(a) && f.other_len <= strlen(b));
		FUZZ_ASSERT(f.len != f.other_len || memcmp(a, b, f.len) != 0);
		char *ka = key_of(a, f.len), *kb = key_of(b, f.other_len);
		FUZZ_ASSERT(ka != NULL && kb != NULL && strcmp(ka, kb) == 0);
		free(ka);
		free(kb);
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *p = paths[i];
			for (size_t s = 0, e = 0;; e++) {
				if (p[e] != '/' && p[e] != '\0')
					continue;
				FUZZ_ASSERT(kist__winname_check(p + s, e - s) == KIST__WINNAME_OK);
				if (p[e] == '\0')
					break;
				s = e + 1;
			}
		}
	}
	free(buf);
	return 0;
}
