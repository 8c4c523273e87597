/*
 * Consonant skeletons (skeleton.c): the key of the people search across
 * scripts.  Names that should meet do, names that should not do not, and
 * every input gives a well-formed " w1 w2 " string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "people/people.h"

/* The skeleton of s after the search's own folding. */
static char *skel(kist__skel *k, const char *s)
{
	char *f = kist__fold(s), *out = NULL;
	assert_non_null(f);
	assert_int_equal(kist__skel_of(k, f, &out), KIST_OK);
	free(f);
	assert_non_null(out);
	return out;
}

static void test_table(void **state)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
	    {"Karimi", " krm "},
	    {"\xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c", " krm "}, /* Persian */
	    {"\xd9\x83\xd8\xb1\xd9\x8a\xd9\x85\xd9\x8a", " krm "}, /* Arabic letters */
	    {"Hosseini", " hsn "},
	    {"Hoseini", " hsn "},
	    {"\xd8\xad\xd8\xb3\xdb\x8c\xd9\x86\xdb\x8c", " hsn "},
	    {"Mohammed", " mhmd "},
	    {"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", " mhmd "},
	    {"Fatima", " ftm "},
	    {"\xd9\x81\xd8\xa7\xd8\xb7\xd9\x85\xd8\xa9", " ftm "}, /* teh marbuta */
	    {"Qasim Kasim", " ksm ksm "},
	    {"\xd0\x9c\xd0\xb0\xd1\x80\xd0\xb8\xd1\x8f", " mr "}, /* Cyrillic */
	    {"Haddad", " hdd "}, /* a vowel between two equal letters keeps both */
	    {"", " "},
	    {"a e i o", " "},
	    {"123 --- !", " "},
	};
	kist__skel *k = NULL;
	(void)state;
	assert_int_equal(kist__skel_new(&k), KIST_OK);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = skel(k, cases[i].name);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("skeleton of case %zu: \"%s\", want \"%s\"", i, got,
			         cases[i].want);
		free(got);
	}
	kist__skel_free(k);
}

/* Names that differ in a consonant stay apart (vowels do not count: Omar
 * and Amir meet, one reason these matches are marked approximate). */
static void test_apart(void **state)
{
	static const char *const pairs[][2] = {
	    {"Karimi", "Rahimi"}, {"Hosseini", "Husayn Tehrani"}, {"Omar", "Amin"}};
	kist__skel *k = NULL;
	(void)state;
	assert_int_equal(kist__skel_new(&k), KIST_OK);
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		char *a = skel(k, pairs[i][0]), *b = skel(k, pairs[i][1]);
		if (strcmp(a, b) == 0)
			fail_msg("%s and %s meet as \"%s\"", pairs[i][0], pairs[i][1], a);
		free(a);
		free(b);
	}
	kist__skel_free(k);
}

/* Any bytes (the search text is UTF-8-checked, but the function must not
 * trust that): the result is spaces and a-z only, space-led and space-ended. */
static void test_shape(void **state)
{
	kist__skel *k = NULL;
	unsigned char buf[64];
	(void)state;
	assert_int_equal(kist__skel_new(&k), KIST_OK);
	srand(7);
	for (int n = 0; n < 2000; n++) {
		size_t len = (size_t)(rand() % 63);
		for (size_t i = 0; i < len; i++)
			buf[i] = (unsigned char)(1 + rand() % 255);
		buf[len] = 0;
		char *out = NULL;
		assert_int_equal(kist__skel_of(k, (const char *)buf, &out), KIST_OK);
		size_t ol = strlen(out);
		assert_true(ol >= 1 && out[0] == ' ' && out[ol - 1] == ' ');
		assert_int_equal(strspn(out, " abcdefghijklmnopqrstuvwxyz"), ol);
		assert_null(strstr(out, "  "));
		free(out);
	}
	kist__skel_free(k);
}

/*
 * ASCII text skips ICU (a fast path): its skeleton must be the one ICU gives.
 * The same text followed by " \xc3\xa9" (é, a vowel once transliterated: no
 * letter of its own) goes through ICU; both skeletons must be equal, for
 * every printable ASCII character, upper case included, and random text.
 */
static void test_ascii_as_icu(void **state)
{
	kist__skel *k = NULL;
	char buf[160], viaicu[200];
	(void)state;
	assert_int_equal(kist__skel_new(&k), KIST_OK);
	srand(11);
	for (int n = 0; n < 3000; n++) {
		size_t len = 0;
		if (n == 0)
			for (int c = 0x20; c < 0x7f; c++)
				buf[len++] = (char)c;
		else
			for (size_t want = (size_t)(rand() % 40); len < want; len++)
				buf[len] = (char)(n % 2 ? 0x20 + rand() % 0x5f
				                        : "Ab cQ\tk-y'Zh9."[rand() % 15]);
		buf[len] = '\0';
		snprintf(viaicu, sizeof viaicu, "%s \xc3\xa9", buf);
		char *fast = NULL, *icu = NULL;
		assert_int_equal(kist__skel_of(k, buf, &fast), KIST_OK);
		assert_int_equal(kist__skel_of(k, viaicu, &icu), KIST_OK);
		if (strcmp(fast, icu) != 0)
			fail_msg("skeleton of \"%s\": \"%s\" without ICU, \"%s\" with it", buf,
			         fast, icu);
		free(fast);
		free(icu);
	}
	kist__skel_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_apart),
	    cmocka_unit_test(test_shape),
	    cmocka_unit_test(test_ascii_as_icu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
