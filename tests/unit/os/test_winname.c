/*
 * os/winname: the names Windows cannot hold.  Each rule is checked on both
 * sides (a name it refuses, the nearest name it lets through), the UTF-16
 * length at its boundary, the case key across Latin, Greek and Cyrillic, and
 * the check of a whole extraction's paths, folders included.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "os/winname.h"

static int check(const char *s)
{
	return kist__winname_check(s, strlen(s));
}

typedef struct name_case {
	const char *name;
	int want;
} name_case;

static void run_cases(const name_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int got = check(c[i].name);
		if (got != c[i].want)
			fail_msg("\"%s\": got %d (%s), want %d (%s)", c[i].name, got,
			         kist__winname_why(got), c[i].want, kist__winname_why(c[i].want));
	}
}

static void test_safe_names(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"report.pdf", KIST__WINNAME_OK},
	    {".hidden", KIST__WINNAME_OK},
	    {"...x", KIST__WINNAME_OK},
	    {" leading space", KIST__WINNAME_OK},
	    {"a.b.c", KIST__WINNAME_OK},
	    {"\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1", KIST__WINNAME_OK}, /* Ελλάδα */
	    {"\xd0\x94\xd0\xbe\xd0\xba", KIST__WINNAME_OK},                         /* Док */
	    {"del\x7f", KIST__WINNAME_OK},      /* DEL is not a control NTFS refuses */
	    {"\xef\xbc\x9a", KIST__WINNAME_OK}, /* U+FF1A FULLWIDTH COLON is a letter to NTFS */
	};
	run_cases(c, sizeof c / sizeof c[0]);
}

static void test_dots_and_empty(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"", KIST__WINNAME_EMPTY},
	    {".", KIST__WINNAME_DOTS},
	    {"..", KIST__WINNAME_DOTS},
	    {"..a", KIST__WINNAME_OK},
	};
	run_cases(c, sizeof c / sizeof c[0]);
}

static void test_characters(void **state)
{
	(void)state;
	static const char bad[] = "<>:\"/\\|?*";
	char name[8];
	for (size_t i = 0; bad[i] != '\0'; i++) {
		snprintf(name, sizeof name, "a%cb", bad[i]);
		if (check(name) != KIST__WINNAME_CHAR)
			fail_msg("\"%s\" was not refused", name);
	}
	for (int b = 1; b < 0x20; b++) {
		name[0] = 'a';
		name[1] = (char)b;
		name[2] = '\0';
		if (check(name) != KIST__WINNAME_CHAR)
			fail_msg("control 0x%02x was not refused", b);
	}
	/* Alternate data streams, whatever their form. */
	assert_int_equal(check("a:b"), KIST__WINNAME_CHAR);
	assert_int_equal(check("file.txt::$DATA"), KIST__WINNAME_CHAR);
	/* The neighbours of the refused characters are names. */
	assert_int_equal(check("a;b=c,d[e]f{g}h+i'j!k#l$m%n&o(p)q@r^s`t~u"), KIST__WINNAME_OK);
	assert_int_equal(check("a b"), KIST__WINNAME_OK);
}

static void test_utf8(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"a\x80", KIST__WINNAME_UTF8},            /* a lone continuation byte */
	    {"\xc0\xaf", KIST__WINNAME_UTF8},         /* overlong '/' */
	    {"\xed\xa0\x80", KIST__WINNAME_UTF8},     /* a surrogate */
	    {"\xf4\x90\x80\x80", KIST__WINNAME_UTF8}, /* above U+10FFFF */
	    {"\xe2\x80", KIST__WINNAME_UTF8},         /* truncated */
	    {"\xf0\x9f\x98\x80", KIST__WINNAME_OK},   /* U+1F600 */
	};
	run_cases(c, sizeof c / sizeof c[0]);
}

static void test_trailing(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"name.", KIST__WINNAME_TRAILING},   {"name ", KIST__WINNAME_TRAILING},
	    {"name. .", KIST__WINNAME_TRAILING}, {"...", KIST__WINNAME_TRAILING},
	    {" ", KIST__WINNAME_TRAILING},       {"name.x", KIST__WINNAME_OK},
	    {"na me", KIST__WINNAME_OK},
	};
	run_cases(c, sizeof c / sizeof c[0]);
}

static void test_devices(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"CON", KIST__WINNAME_DEVICE},
	    {"con", KIST__WINNAME_DEVICE},
	    {"Con.txt", KIST__WINNAME_DEVICE},
	    {"PRN", KIST__WINNAME_DEVICE},
	    {"aux.txt", KIST__WINNAME_DEVICE},
	    {"NUL.tar.gz", KIST__WINNAME_DEVICE},
	    {"nul .txt", KIST__WINNAME_DEVICE},
	    {"COM0", KIST__WINNAME_DEVICE},
	    {"com1", KIST__WINNAME_DEVICE},
	    {"COM9.log", KIST__WINNAME_DEVICE},
	    {"LPT0", KIST__WINNAME_DEVICE},
	    {"lpt5", KIST__WINNAME_DEVICE},
	    {"COM\xc2\xb9", KIST__WINNAME_DEVICE},     /* COM¹ */
	    {"com\xc2\xb2.txt", KIST__WINNAME_DEVICE}, /* com².txt */
	    {"LPT\xc2\xb3", KIST__WINNAME_DEVICE},     /* LPT³ */
	    {"CONIN$", KIST__WINNAME_DEVICE},
	    {"conout$.x", KIST__WINNAME_DEVICE},
	    {"con\xc4\xb1n$", KIST__WINNAME_DEVICE}, /* conın$: ı upcases to I */
	    /* Their neighbours are names. */
	    {"CONSOLE", KIST__WINNAME_OK},
	    {"con_", KIST__WINNAME_OK},
	    {"xcon", KIST__WINNAME_OK},
	    {"COM10", KIST__WINNAME_OK},
	    {"LPT", KIST__WINNAME_OK},
	    {"COMA", KIST__WINNAME_OK},
	    {"COM\xc2\xb4", KIST__WINNAME_OK},     /* U+00B4 ACUTE ACCENT follows ³ */
	    {"COM\xe2\x81\xb4", KIST__WINNAME_OK}, /* COM⁴: only ¹²³ are devices */
	    {"CONIN", KIST__WINNAME_OK},
	    {".con", KIST__WINNAME_OK},
	    {" con", KIST__WINNAME_OK},
	    {"\xd0\xa1\xd0\x9e\xd0\x9d", KIST__WINNAME_OK}, /* Cyrillic СОН */
	};
	run_cases(c, sizeof c / sizeof c[0]);
}

static void test_short_names(void **state)
{
	(void)state;
	static const name_case c[] = {
	    {"LONGFI~1.TXT", KIST__WINNAME_SHORT},
	    {"longfi~1.txt", KIST__WINNAME_SHORT},
	    {"progra~1", KIST__WINNAME_SHORT},
	    {"AB12C3~1.DOC", KIST__WINNAME_SHORT}, /* a hashed short name */
	    {"a~1", KIST__WINNAME_SHORT},
	    {"abcd~12.x", KIST__WINNAME_SHORT},
	    {"a~b~1.txt", KIST__WINNAME_SHORT}, /* '~' is a short name's character too */
	    /* Their neighbours are names. */
	    {"~1.txt", KIST__WINNAME_OK},        /* nothing before '~' */
	    {"file~.txt", KIST__WINNAME_OK},     /* no number */
	    {"file~0.txt", KIST__WINNAME_OK},    /* numbers start at 1 */
	    {"report~1.text", KIST__WINNAME_OK}, /* a 4-byte extension */
	    {"abcdefg~1.txt", KIST__WINNAME_OK}, /* 9 bytes before the dot */
	    {"abcdef~12.txt", KIST__WINNAME_OK}, /* the same: ~12 leaves room for 5 */
	    {"a~1b.txt", KIST__WINNAME_OK},
	    {"a.b~1", KIST__WINNAME_OK},
	    {"a~1.tar.gz", KIST__WINNAME_OK}, /* two dots */
	    {"a~1.b.c", KIST__WINNAME_OK},

	};
	run_cases(c, sizeof c / sizeof c[0]);
}

/* n copies of the UTF-8 text u, then the ASCII tail. */
static char *repeat(const char *u, size_t n, const char *tail)
{
	size_t ul = strlen(u), tl = strlen(tail);
	char *s = malloc(ul * n + tl + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, u, ul);
	memcpy(s + ul * n, tail, tl + 1);
	return s;
}

static void test_length(void **state)
{
	(void)state;
	static const struct {
		const char *u;
		size_t n;
		const char *tail;
		int want;
	} c[] = {
	    {"a", 255, "", KIST__WINNAME_OK},
	    {"a", 256, "", KIST__WINNAME_LONG},
	    /* U+20AC: three bytes, one unit: 765 bytes are 255 units. */
	    {"\xe2\x82\xac", 255, "", KIST__WINNAME_OK},
	    {"\xe2\x82\xac", 256, "", KIST__WINNAME_LONG},
	    /* U+1F600: four bytes, two units (a surrogate pair). */
	    {"\xf0\x9f\x98\x80", 127, "a", KIST__WINNAME_OK},
	    {"\xf0\x9f\x98\x80", 127, "ab", KIST__WINNAME_LONG},
	    {"\xf0\x9f\x98\x80", 128, "", KIST__WINNAME_LONG},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		char *s = repeat(c[i].u, c[i].n, c[i].tail);
		int got = check(s);
		free(s);
		if (got != c[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, c[i].want);
	}
}

static char *key(const char *s)
{
	char *k = NULL;
	assert_int_equal(kist__winname_key(s, strlen(s), &k), 0);
	return k;
}

static void same_key(const char *a, const char *b, int want)
{
	char *ka = key(a), *kb = key(b);
	int got = strcmp(ka, kb) == 0;
	if (got != want)
		fail_msg("\"%s\" and \"%s\": keys \"%s\" and \"%s\", want them %s", a, b, ka, kb,
		         want ? "equal" : "different");
	free(ka);
	free(kb);
}

static void test_key(void **state)
{
	(void)state;
	same_key("Report.pdf", "report.PDF", 1);
	same_key("a/B/x", "A/b/X", 1);
	/* Greek: ΣΟΦΙΑ, σοφια, σοφιας with a final sigma, ΣΟΦΙΑΣ. */
	same_key("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91",
	         "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1", 1);
	same_key("\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1\xcf\x82",
	         "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91\xce\xa3", 1);
	/* Cyrillic: ДОКУМЕНТ and документ; Ё and ё. */
	same_key("\xd0\x94\xd0\x9e\xd0\x9a\xd0\xa3\xd0\x9c\xd0\x95\xd0\x9d\xd0\xa2",
	         "\xd0\xb4\xd0\xbe\xd0\xba\xd1\x83\xd0\xbc\xd0\xb5\xd0\xbd\xd1\x82", 1);
	same_key("\xd0\x81", "\xd1\x91", 1);
	/* Dotless ı upcases to I on NTFS, so it meets i. */
	same_key("f\xc4\xb1le", "FILE", 1);
	/* Look-alikes of other scripts are other names: Latin a, Cyrillic а, Greek α. */
	same_key("a", "\xd0\xb0", 0);
	same_key("A", "\xce\x91", 0);
	/* No normalisation: NTFS keeps é (NFC) and e + U+0301 (NFD) apart. */
	same_key("\xc3\xa9", "e\xcc\x81", 0);
	same_key("report1", "report2", 0);
	/* Not UTF-8: no key. */
	char *k = (char *)1;
	errno = 0;
	assert_int_equal(kist__winname_key("a\xff", 2, &k), -1);
	assert_int_equal(errno, EILSEQ);
	assert_null(k);
}

static int plan(const char *const *paths, size_t n, kist__winname_fault *f)
{
	return kist__winname_check_plan(paths, n, f);
}

static void test_plan_names(void **state)
{
	(void)state;
	kist__winname_fault f;
	const char *ok[] = {"docs", "docs/a.txt", "docs/b.txt", "photos/x.jpg"};
	assert_int_equal(plan(ok, 4, &f), 0);
	assert_int_equal(f.why, KIST__WINNAME_OK);
	assert_int_equal(plan(NULL, 0, &f), 0);

	/* The refused component is named by the prefix that ends with it. */
	const char *dev[] = {"docs/a.txt", "docs/CON/x.txt"};
	assert_int_equal(plan(dev, 2, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_DEVICE);
	assert_int_equal(f.entry, 1);
	assert_int_equal(f.len, strlen("docs/CON"));

	const char *ads[] = {"a:b"};
	assert_int_equal(plan(ads, 1, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_CHAR);
	assert_int_equal(f.entry, 0);

	const char *trail[] = {"ok", "dir./x"};
	assert_int_equal(plan(trail, 2, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_TRAILING);
	assert_int_equal(f.entry, 1);
	assert_int_equal(f.len, 4);

	const char *empty[] = {"a//b"};
	assert_int_equal(plan(empty, 1, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_EMPTY);
	const char *dots[] = {"a/../b"};
	assert_int_equal(plan(dots, 1, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_DOTS);
	assert_int_equal(f.len, 4);
}

static void twin(const char *const *paths, size_t n, size_t e, const char *a, size_t o,
                 const char *b)
{
	kist__winname_fault f;
	assert_int_equal(plan(paths, n, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_TWIN);
	/* The pair comes in byte order. */
	assert_int_equal(f.entry, e);
	assert_int_equal(f.len, strlen(a));
	assert_memory_equal(paths[f.entry], a, f.len);
	assert_int_equal(f.other, o);
	assert_int_equal(f.other_len, strlen(b));
	assert_memory_equal(paths[f.other], b, f.other_len);
}

static void test_plan_twins(void **state)
{
	(void)state;
	kist__winname_fault f;

	const char *files[] = {"x", "report.PDF", "Report.pdf"};
	twin(files, 3, 2, "Report.pdf", 1, "report.PDF");
	/* Folders collide even when no file does. */
	const char *dirs[] = {"a/B/x", "a/b/y"};
	twin(dirs, 2, 0, "a/B", 1, "a/b");
	/* A file and a folder. */
	const char *mixed[] = {"a/b", "a/B/c"};
	twin(mixed, 2, 1, "a/B", 0, "a/b");
	/* Greek and Cyrillic twins: ΦΩΤΟ/σοφια vs φωτο/x, Дело vs ДЕЛО. */
	const char *greek[] = {"\xce\xa6\xce\xa9\xce\xa4\xce\x9f/a",
	                       "\xcf\x86\xcf\x89\xcf\x84\xce\xbf/b"};
	twin(greek, 2, 0, "\xce\xa6\xce\xa9\xce\xa4\xce\x9f", 1,
	     "\xcf\x86\xcf\x89\xcf\x84\xce\xbf");
	const char *cyr[] = {"\xd0\x94\xd0\xb5\xd0\xbb\xd0\xbe",
	                     "\xd0\x94\xd0\x95\xd0\x9b\xd0\x9e"};
	twin(cyr, 2, 1, "\xd0\x94\xd0\x95\xd0\x9b\xd0\x9e", 0, "\xd0\x94\xd0\xb5\xd0\xbb\xd0\xbe");

	/* Not twins: the same path twice, a folder and its files, look-alikes of
	 * other scripts, NFC and NFD. */
	const char *same[] = {"a/b", "a", "a/b", "a/c", "a/b/c", "a!"};
	assert_int_equal(plan(same, 6, &f), 0);
	const char *look[] = {"a", "\xd0\xb0", "\xce\xb1", "\xc3\xa9", "e\xcc\x81"};
	assert_int_equal(plan(look, 5, &f), 0);
}

/* A twin far from its pair in byte order, under many folders. */
static void test_plan_many(void **state)
{
	(void)state;
	enum { N = 3000 };
	char **p = calloc(N + 1, sizeof *p);
	kist__winname_fault f;
	assert_non_null(p);
	for (size_t i = 0; i < N; i++) {
		char buf[64];
		snprintf(buf, sizeof buf, "d%03zu/e%02zu/f%zu.txt", i % 100, i % 7, i);
		p[i] = strdup(buf);
	}
	assert_int_equal(plan((const char *const *)p, N, &f), 0);
	p[N] = strdup("D042/x"); /* d042 is a folder above */
	assert_int_equal(plan((const char *const *)p, N + 1, &f), 1);
	assert_int_equal(f.why, KIST__WINNAME_TWIN);
	assert_int_equal(f.entry, N);
	assert_int_equal(f.len, 4);
	assert_memory_equal(p[f.other], "d042", 4);
	assert_int_equal(f.other_len, 4);
	for (size_t i = 0; i <= N; i++)
		free(p[i]);
	free(p);
}

static void test_needed(void **state)
{
	(void)state;
#ifdef _WIN32
	assert_int_equal(kist__winname_needed(), 1);
#else
	assert_int_equal(kist__winname_needed(), 0);
#endif
	for (int w = KIST__WINNAME_OK; w <= KIST__WINNAME_TWIN; w++)
		assert_non_null(strstr(kist__winname_why(w), "a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safe_names),  cmocka_unit_test(test_dots_and_empty),
	    cmocka_unit_test(test_characters),  cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_trailing),    cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_short_names), cmocka_unit_test(test_length),
	    cmocka_unit_test(test_key),         cmocka_unit_test(test_plan_names),
	    cmocka_unit_test(test_plan_twins),  cmocka_unit_test(test_plan_many),
	    cmocka_unit_test(test_needed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
