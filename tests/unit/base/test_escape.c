/*
 * kist_escape(): the one rendering of hostile text for a person (kist.h).
 * Every character that reorders or hides text, every control and every
 * invalid byte is escaped; their neighbours in Unicode are not; a cut never
 * splits a character or an escape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kist.h"

static const char *esc(const char *s, unsigned flags)
{
	static char out[256];
	kist_escape_buf(out, sizeof out, s, flags);
	return out;
}

/* The UTF-8 encoding of cp (below U+10000) as a string. */
static const char *utf8(uint32_t cp)
{
	static char b[4];
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		b[2] = 0;
	} else {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		b[3] = 0;
	}
	return b;
}

static void test_hiding_characters(void **state)
{
	(void)state;
	static const uint32_t hide[] = {0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f,
	                                0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2060,
	                                0x2066, 0x2067, 0x2068, 0x2069, 0xfeff};
	static const uint32_t keep[] = {0x061b, 0x061d, 0x200a, 0x2010, 0x2029, 0x202f,
	                                0x205f, 0x2061, 0x2065, 0x206a, 0xfefe, 0x00a0};
	char want[32];
	for (size_t i = 0; i < sizeof hide / sizeof *hide; i++) {
		snprintf(want, sizeof want, "\\u{%04x}", (unsigned)hide[i]);
		assert_string_equal(esc(utf8(hide[i]), 0), want);
	}
	for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
		const char *s = utf8(keep[i]);
		snprintf(want, sizeof want, "%s", s);
		assert_string_equal(esc(want, 0), want);
	}
	assert_string_equal(esc("invoice_\xe2\x80\xae"
	                        "fdp.exe",
	                        0),
	                    "invoice_\\u{202e}fdp.exe");
}

static void test_controls_and_bytes(void **state)
{
	(void)state;
	assert_string_equal(esc("a\x1b[2Jb", 0), "a\\x1b[2Jb");
	assert_string_equal(esc("del\x7f", 0), "del\\x7f");
	assert_string_equal(esc("c1\xc2\x9b", 0), "c1\\xc2\\x9b"); /* U+009B, CSI */
	assert_string_equal(esc("bad\xff\xc3", 0), "bad\\xff\\xc3");
	assert_string_equal(esc("tab\tnl\n", 0), "tab\\x09nl\\x0a");
	assert_string_equal(esc("tab\tnl\n", KIST_ESCAPE_KEEP_NEWLINES), "tab\tnl\n");
	assert_string_equal(esc("a\\b", 0), "a\\b");
	assert_string_equal(esc("a\\b", KIST_ESCAPE_BACKSLASH), "a\\x5cb");
	assert_string_equal(esc("Jos\xc3\xa9 \xd9\x85", 0), "Jos\xc3\xa9 \xd9\x85");
}

static void test_cut(void **state)
{
	(void)state;
	char out[8];
	/* "ab" + U+202E: the escape (8 bytes) does not fit after "ab" in 7 bytes + NUL */
	kist_escape_buf(out, sizeof out, "ab\xe2\x80\xae", 0);
	assert_string_equal(out, "ab");
	/* a character is never cut: "abcdef" + é needs 8 bytes + NUL */
	kist_escape_buf(out, sizeof out, "abcdef\xc3\xa9", 0);
	assert_string_equal(out, "abcdef");
	kist_escape_buf(out, 1, "abc", 0);
	assert_string_equal(out, "");
}

/* kist_utf8_next: the one decoder; every class of invalid sequence refused. */
static void test_utf8_next(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len, want;
		uint32_t cp;
	} cases[] = {
	    {"A", 1, 1, 0x41},
	    {"\xc3\xa9", 2, 2, 0xe9},
	    {"\xe2\x80\xae", 3, 3, 0x202e},
	    {"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
	    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	    {"", 0, 0, 0},                 /* nothing */
	    {"\x80", 1, 0, 0},             /* a lone continuation byte */
	    {"\xc0\xaf", 2, 0, 0},         /* overlong '/' */
	    {"\xe0\x80\xaf", 3, 0, 0},     /* overlong, 3 bytes */
	    {"\xed\xa0\x80", 3, 0, 0},     /* a surrogate */
	    {"\xf4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
	    {"\xe2\x80", 2, 0, 0},         /* truncated */
	    {"\xc3\x28", 2, 0, 0},         /* a bad continuation */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		uint32_t cp = 0;
		size_t n = kist_utf8_next(cases[i].s, cases[i].len, &cp);
		if (n != cases[i].want || (n > 0 && cp != cases[i].cp))
			fail_msg("case %zu: got %zu U+%04X, want %zu U+%04X", i, n, (unsigned)cp,
			         cases[i].want, (unsigned)cases[i].cp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hiding_characters),
	    cmocka_unit_test(test_controls_and_bytes),
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_utf8_next),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
