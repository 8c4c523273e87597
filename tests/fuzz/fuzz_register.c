/*
 * Fuzzes the people register readers, kist__register_parse() (CSV and JSON,
 * chosen by content), on the input three ways: as it is; behind a fixed CSV
 * header (so that JSON-looking and header-less inputs reach the CSV record
 * reader); and as the records of a JSON array ("[" + input + "]").  Each
 * accepted register is then linked against a few vault paths and its names
 * are folded as the search does.
 *
 * Properties: an error is one of the documented kinds with a detail, and
 * keeps nothing of the register (the records parsed before it are kept); an
 * accepted register holds only bounded, valid UTF-8 text with a non-empty
 * name and no control character but tab and line breaks.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "people/people.h"

#define INPUT_MAX (1u << 20) /* the limit itself is checked before any parsing */

static void check_text(const char *s, int may_be_null)
{
	if (s == NULL) {
		FUZZ_ASSERT(may_be_null);
		return;
	}
	size_t n = strlen(s);
	FUZZ_ASSERT(n <= KIST_MAX_FIELD_BYTES);
	FUZZ_ASSERT(kist__utf8_valid((const unsigned char *)s, n));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		FUZZ_ASSERT(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		FUZZ_ASSERT(c != 0x7f);
	}
}

static void parse_one(kist__people *ppl, const unsigned char *buf, size_t len)
{
	size_t before = ppl->n;
	kist_err err = kist__register_parse(ppl, buf, len, "fuzz");
	if (err != KIST_OK) {
		FUZZ_ASSERT(err == KIST_E_INPUT || err == KIST_E_LIMIT || err == KIST_E_NOMEM);
		FUZZ_ASSERT(kist_errdetail()[0] != '\0');
		FUZZ_ASSERT(ppl->n == before); /* nothing of a bad register is kept */
		return;
	}
	FUZZ_ASSERT(ppl->n > before);
	for (size_t i = before; i < ppl->n; i++) {
		const kist__person *p = &ppl->p[i];
		check_text(p->name, 0);
		FUZZ_ASSERT(p->name[0] != '\0');
		for (int k = 0; k < KIST__PERSON_NFIELDS; k++)
			check_text(p->field[k], 1);
		FUZZ_ASSERT(p->nextra <= KIST_MAX_REGISTER_COLUMNS);
		for (size_t k = 0; k < p->nextra; k++) {
			check_text(p->extra_key[k], 0);
			check_text(p->extra_val[k], 0);
			FUZZ_ASSERT(p->extra_key[k][0] != '\0');
			for (size_t j = 0; j < k; j++)
				FUZZ_ASSERT(strcmp(p->extra_key[j], p->extra_key[k]) != 0);
		}
		FUZZ_ASSERT(p->nmedia <= KIST_MAX_PERSON_MEDIA);
		for (size_t k = 0; k < p->nmedia; k++) {
			check_text(p->media[k], 0);
			FUZZ_ASSERT(p->media[k][0] != '\0');
		}
		FUZZ_ASSERT(p->where[0] != '\0');
		/* The search folds names; folding never grows text beyond twice its size. */
		char *f = kist__fold(p->name);
		FUZZ_ASSERT(f != NULL);
		FUZZ_ASSERT(strlen(f) <= 2 * strlen(p->name));
		FUZZ_ASSERT(kist__utf8_valid((const unsigned char *)f, strlen(f)));
		free(f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {"a.jpg", "docs", "docs/s.txt", "media/a.jpg"};
	static const uint32_t ids[] = {1, 2, 3, 4};
	static const char header[] = "name,aliases,media,notes,x\n";
	kist__people ppl = {NULL, 0, 0};

	if (size > INPUT_MAX)
		return 0;
	parse_one(&ppl, data, size);

	unsigned char *buf = malloc(size + sizeof header + 2);
	if (buf == NULL)
		abort();
	memcpy(buf, header, sizeof header - 1);
	memcpy(buf + sizeof header - 1, data, size);
	parse_one(&ppl, buf, sizeof header - 1 + size);

	buf[0] = '[';
	memcpy(buf + 1, data, size);
	buf[size + 1] = ']';
	parse_one(&ppl, buf, size + 2);
	free(buf);

	/* Linking resolves a media path or names it; either way no crash. */
	kist_err err = kist__people_link(&ppl, paths, 4, ids);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_INPUT || err == KIST_E_NOMEM);
	if (err == KIST_OK)
		for (size_t i = 0; i < ppl.n; i++)
			for (size_t k = 0; k < ppl.p[i].nmedia; k++)
				FUZZ_ASSERT(ppl.p[i].media_id[k] <= 4);
	kist__people_free(&ppl);
	return 0;
}
