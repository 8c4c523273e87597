/*
 * People registers (docs/PEOPLE.md): kist__register_parse reads CSV
 * (RFC 4180) and JSON.  One row per case: the register's text, and either
 * what is read from it or the error and the detail it is refused with.
 * Quoting, a byte order mark, CRLF, bad UTF-8, controls, field and column
 * limits, duplicate columns and keys.  A refused register leaves nothing
 * behind, also after an earlier good one.
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
#include "testutil.h"

struct accept {
	const char *what;
	const char *text; /* NUL-terminated; len is strlen */
	size_t people;
	const char *name;  /* of the first person */
	const char *notes; /* its notes field (NULL: absent) */
	size_t nmedia;     /* of the first person */
};

static const struct accept accepts[] = {
    {"plain CSV", "name,notes\nAlpha Test,one\nBeta Test,two\n", 2, "Alpha Test", "one", 0},
    {"no final line break", "name,notes\nAlpha Test,one", 1, "Alpha Test", "one", 0},
    {"CRLF", "name,notes\r\nAlpha Test,one\r\nBeta Test,two\r\n", 2, "Alpha Test", "one", 0},
    {"byte order mark", "\xef\xbb\xbfname,notes\nAlpha Test,one\n", 1, "Alpha Test", "one", 0},
    {"byte order mark, JSON", "\xef\xbb\xbf[{\"name\":\"Alpha Test\"}]", 1, "Alpha Test", NULL, 0},
    {"quoted comma and doubled quote", "name,notes\n\"Test, Alpha\",\"said \"\"hi\"\"\"\n", 1,
     "Test, Alpha", "said \"hi\"", 0},
    {"quoted line break", "name,notes\nAlpha,\"two\nlines\"\n", 1, "Alpha", "two\nlines", 0},
    {"blank lines skipped", "\n\nname,notes\n\nAlpha,one\n\n", 1, "Alpha", "one", 0},
    {"blanks trimmed, empty is absent", "name , notes\n  Alpha  ,\n", 1, "Alpha", NULL, 0},
    {"column names in any case", "NAME,Notes\nAlpha,one\n", 1, "Alpha", "one", 0},
    {"media split at ;", "name,media\nAlpha,a.jpg;b/c.png\n", 1, "Alpha", NULL, 2},
    {"unknown columns kept", "name,eye colour\nAlpha,grey\n", 1, "Alpha", NULL, 0},
    {"tab kept", "name,notes\nAlpha,a\tb\n", 1, "Alpha", "a\tb", 0},
    {"non-Latin text", "name,notes\n\xd8\xb9\xd9\x84\xd9\x8a,\xe2\x9c\x93\n", 1,
     "\xd8\xb9\xd9\x84\xd9\x8a", "\xe2\x9c\x93", 0},
    {"JSON", "[{\"name\":\"Alpha\",\"notes\":\"one\",\"media\":[\"a;b.jpg\"]}]", 1, "Alpha", "one",
     1},
    {"JSON numbers as text", "[{\"name\":\"Alpha\",\"notes\":12}]", 1, "Alpha", "12", 0},
    {"JSON null is absent", "[{\"name\":\"Alpha\",\"notes\":null}]", 1, "Alpha", NULL, 0},
};

struct reject {
	const char *what;
	const char *text;
	size_t len; /* 0: strlen(text) */
	kist_err err;
	const char *detail;
};

static const struct reject rejects[] = {
    /* CSV structure */
    {"empty", "", 0, KIST_E_INPUT, "empty register"},
    {"only blank lines", "\r\n\n", 0, KIST_E_INPUT, "empty register"},
    {"header only", "name,notes\n", 0, KIST_E_INPUT, "header but no records"},
    {"no name column", "alias,notes\nx,y\n", 0, KIST_E_INPUT, "no \"name\" column"},
    {"empty column name", "name,,notes\nx,y,z\n", 0, KIST_E_INPUT, "column 2 has no name"},
    {"duplicate column", "name,notes,Notes\nx,y,z\n", 0, KIST_E_INPUT,
     "column \"Notes\" appears twice"},
    {"unterminated quote", "name,notes\nx,\"open\n", 0, KIST_E_INPUT,
     "line 2: field \"notes\": unterminated quote"},
    {"text after a closing quote", "name,notes\nx,\"a\"b\n", 0, KIST_E_INPUT,
     "unexpected character after a closing quote"},
    {"quote inside an unquoted field", "name,notes\nx,a\"b\n", 0, KIST_E_INPUT,
     "a quote inside an unquoted field"},
    {"too many fields", "name,notes\nx,y,z\n", 0, KIST_E_INPUT,
     "line 2: too many fields (the header has 2)"},
    {"too few fields", "name,notes,born\nx,y\n", 0, KIST_E_INPUT,
     "line 2: 2 fields, but the header has 3"},
    {"missing name", "name,notes\n,y\n", 0, KIST_E_INPUT,
     "line 2: field \"name\" is missing or empty"},
    {"blank name", "name,notes\n   ,y\n", 0, KIST_E_INPUT, "\"name\" is missing or empty"},
    {"the bad record is named", "name\r\na\r\nb\r\n\"c\r\n", 0, KIST_E_INPUT,
     "line 4: field \"name\": unterminated quote"},
    /* Bytes */
    {"bad UTF-8", "name,notes\nx,\xff\n", 0, KIST_E_INPUT, "field \"notes\" is not valid UTF-8"},
    {"overlong UTF-8", "name,notes\nx,\xc0\xaf\n", 0, KIST_E_INPUT, "not valid UTF-8"},
    {"UTF-16 surrogate", "name,notes\nx,\xed\xa0\x80\n", 0, KIST_E_INPUT, "not valid UTF-8"},
    {"bad UTF-8 in the header", "name,n\xfe\nx,y\n", 0, KIST_E_INPUT,
     "field \"header\" is not valid UTF-8"},
    {"NUL byte", "name,notes\nx,a\0b\n", 17, KIST_E_INPUT, "field \"notes\" contains a NUL"},
    {"escape control", "name,notes\nx,a\x1b[2Jb\n", 0, KIST_E_INPUT,
     "field \"notes\" contains a control character"},
    {"C1 control",
     "name,notes\nx,a\xc2\x9b"
     "b\n",
     0, KIST_E_INPUT, "contains a control character"},
    {"DEL", "name,notes\nx,a\x7f\n", 0, KIST_E_INPUT, "contains a control character"},
    /* JSON */
    {"JSON syntax", "[{\"name\":\"x\",}]", 0, KIST_E_INPUT, "line 1, column"},
    {"JSON not a list", "{\"name\":\"x\"}", 0, KIST_E_INPUT, "must be an array of objects"},
    {"JSON empty list", "[]", 0, KIST_E_INPUT, "empty list"},
    {"JSON record not an object", "[{\"name\":\"x\"},7]", 0, KIST_E_INPUT,
     "record at index 1: not an object"},
    {"JSON duplicate key", "[{\"name\":\"x\",\"name\":\"y\"}]", 0, KIST_E_INPUT,
     "duplicate object key"},
    {"JSON the same field in two cases", "[{\"name\":\"x\",\"Name\":\"y\"}]", 0, KIST_E_INPUT,
     "field \"Name\" given twice"},
    {"JSON the same unknown field in two cases", "[{\"name\":\"x\",\"eye\":1,\"EYE\":2}]", 0,
     KIST_E_INPUT, "field \"EYE\" given twice"},
    {"JSON name missing", "[{\"notes\":\"x\"}]", 0, KIST_E_INPUT,
     "record at index 0: field \"name\" is missing"},
    {"JSON known field not a string", "[{\"name\":\"x\",\"notes\":{\"a\":1}}]", 0, KIST_E_INPUT,
     "field \"notes\" must be a string"},
    {"JSON media item not a string", "[{\"name\":\"x\",\"media\":[1]}]", 0, KIST_E_INPUT,
     "field \"media\": item 0 is not a string"},
    {"JSON empty key", "[{\"name\":\"x\",\"\":\"y\"}]", 0, KIST_E_INPUT, "empty name"},
    {"JSON bad UTF-8 in a value", "[{\"name\":\"x\",\"notes\":\"\xff\"}]", 0, KIST_E_INPUT,
     "record at index 0: field \"notes\" is not valid UTF-8"},
    {"JSON bad UTF-8 in a key", "[{\"name\":\"x\",\"n\xff\":\"y\"}]", 0, KIST_E_INPUT,
     "record at index 0: a field name is not valid UTF-8"},
    {"JSON escaped control", "[{\"name\":\"x\\u001b[2J\"}]", 0, KIST_E_INPUT,
     "field \"name\" contains a control character"},
    {"JSON escaped NUL", "[{\"name\":\"x\\u0000y\"}]", 0, KIST_E_INPUT, "NUL"},
};

static void test_accepts(void **state)
{
	for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
		const struct accept *a = &accepts[i];
		kist__people ppl = {0};
		kist_err err = kist__register_parse(&ppl, (const unsigned char *)a->text,
		                                    strlen(a->text), "reg");
		if (err != KIST_OK)
			fail_msg("%s: refused: %s", a->what, kist_errdetail());
		if (ppl.n != a->people)
			fail_msg("%s: %zu people, want %zu", a->what, ppl.n, a->people);
		const kist__person *p = &ppl.p[0];
		if (strcmp(p->name, a->name) != 0)
			fail_msg("%s: name \"%s\", want \"%s\"", a->what, p->name, a->name);
		const char *notes = p->field[6];
		if ((notes == NULL) != (a->notes == NULL) ||
		    (notes != NULL && strcmp(notes, a->notes) != 0))
			fail_msg("%s: notes \"%s\", want \"%s\"", a->what,
			         notes ? notes : "(absent)", a->notes ? a->notes : "(absent)");
		if (p->nmedia != a->nmedia)
			fail_msg("%s: %zu media, want %zu", a->what, p->nmedia, a->nmedia);
		kist__people_free(&ppl);
	}
}

static void test_rejects(void **state)
{
	static const char good[] = "name\nEarlier Person\n";
	for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
		const struct reject *r = &rejects[i];
		kist__people ppl = {0};
		size_t len = r->len ? r->len : strlen(r->text);
		/* An earlier register is kept; nothing of the refused one is. */
		assert_int_equal(
		    kist__register_parse(&ppl, (const unsigned char *)good, strlen(good), "first"),
		    KIST_OK);
		kist_err err =
		    kist__register_parse(&ppl, (const unsigned char *)r->text, len, "reg");
		if (err != r->err || strstr(kist_errdetail(), r->detail) == NULL)
			fail_msg("%s: got %s (%s), want %s (%s)", r->what, kist_strerror(err),
			         kist_errdetail(), kist_strerror(r->err), r->detail);
		if (strncmp(kist_errdetail(), "reg: ", 5) != 0)
			fail_msg("%s: the detail does not name the register: %s", r->what,
			         kist_errdetail());
		if (ppl.n != 1 || strcmp(ppl.p[0].name, "Earlier Person") != 0)
			fail_msg("%s: %zu people kept, want only the earlier one", r->what, ppl.n);
		kist__people_free(&ppl);
	}
}

/* Appends n copies of s to b at *len. */
static void put_n(char *b, size_t *len, const char *s, size_t n)
{
	size_t sl = strlen(s);
	for (size_t i = 0; i < n; i++) {
		memcpy(b + *len, s, sl);
		*len += sl;
	}
}

/* The limits: a field of KIST_MAX_FIELD_BYTES, a register of KIST_MAX_REGISTER_COLUMNS
 * columns, KIST_MAX_PERSON_MEDIA media; each one more is refused. */
static void test_limits(void **state)
{
	size_t cap = 2 * KIST_MAX_FIELD_BYTES + 64 * 1024, len;
	char *b = malloc(cap);
	assert_non_null(b);
	for (int over = 0; over <= 1; over++) {
		kist__people ppl = {0};
		/* field length, unquoted and quoted */
		for (int quoted = 0; quoted <= 1; quoted++) {
			len = 0;
			put_n(b, &len, "name,notes\nx,", 1);
			put_n(b, &len, "\"", (size_t)quoted);
			put_n(b, &len, "n", KIST_MAX_FIELD_BYTES + (size_t)over);
			put_n(b, &len, "\"", (size_t)quoted);
			put_n(b, &len, "\n", 1);
			kist_err err = kist__register_parse(&ppl, (unsigned char *)b, len, "reg");
			if (over) {
				assert_int_equal(err, KIST_E_INPUT);
				assert_non_null(
				    strstr(kist_errdetail(), "is longer than 65536 bytes"));
			} else {
				assert_int_equal(err, KIST_OK);
				assert_int_equal(strlen(ppl.p[ppl.n - 1].field[6]),
				                 KIST_MAX_FIELD_BYTES);
			}
		}
		/* columns */
		len = 0;
		put_n(b, &len, "name", 1);
		for (size_t c = 1; c < KIST_MAX_REGISTER_COLUMNS + (size_t)over; c++)
			len += (size_t)snprintf(b + len, cap - len, ",c%zu", c);
		put_n(b, &len, "\nx", 1);
		put_n(b, &len, ",", KIST_MAX_REGISTER_COLUMNS - 1 + (size_t)over);
		put_n(b, &len, "\n", 1);
		kist_err err = kist__register_parse(&ppl, (unsigned char *)b, len, "reg");
		if (over) {
			assert_int_equal(err, KIST_E_LIMIT);
			assert_non_null(strstr(kist_errdetail(), "more than 256 columns"));
		} else {
			assert_int_equal(err, KIST_OK);
		}
		/* media paths of one person */
		len = 0;
		put_n(b, &len, "name,media\nx,", 1);
		put_n(b, &len, "m;", KIST_MAX_PERSON_MEDIA - 1 + (size_t)over);
		put_n(b, &len, "m\n", 1);
		err = kist__register_parse(&ppl, (unsigned char *)b, len, "reg");
		if (over) {
			assert_int_equal(err, KIST_E_LIMIT);
			assert_non_null(strstr(kist_errdetail(), "more than 4096 paths"));
		} else {
			assert_int_equal(err, KIST_OK);
			assert_int_equal(ppl.p[ppl.n - 1].nmedia, KIST_MAX_PERSON_MEDIA);
		}
		assert_int_equal(ppl.n, over ? 0 : 4);
		kist__people_free(&ppl);
	}
	/* The register's size is checked before a byte is read. */
	kist__people ppl = {0};
	assert_int_equal(kist__register_parse(&ppl, (unsigned char *)b,
	                                      (size_t)KIST_MAX_REGISTER_BYTES + 1, "reg"),
	                 KIST_E_LIMIT);
	assert_non_null(strstr(kist_errdetail(), "register larger than 64 MiB"));
	free(b);
}

/* The line named in a message counts lines inside quoted fields too. */
static void test_line_numbers(void **state)
{
	static const char text[] = "name,notes\nA,\"x\ny\nz\"\nB,\"q\"w\n";
	kist__people ppl = {0};
	assert_int_equal(
	    kist__register_parse(&ppl, (const unsigned char *)text, strlen(text), "reg"),
	    KIST_E_INPUT);
	assert_non_null(strstr(kist_errdetail(), "reg: line 5: field \"notes\""));
	assert_int_equal(ppl.n, 0);
	kist__people_free(&ppl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_line_numbers),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
