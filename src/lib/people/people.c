/*
 * The search fold of people's names and fields: what makes "Muller" find
 * "Müller" and a Persian keyboard find Arabic spellings.  The search itself
 * runs over the index (index/query.c).
 */
#include "people/people.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- folding */

/* Latin letters with diacritics, U+00C0..U+024F, to their base letters ("" keeps). */
static const char *const latin_fold[0x250 - 0xc0] = {
#include "fold_latin.inc"
};

/* Case (and, for U+1E00..U+1EFF, diacritics) of every other letter, sorted. */
static const struct {
	uint32_t from, to;
} fold_extra[] = {
#include "fold_extra.inc"
};

static uint32_t fold_extra_lookup(uint32_t cp)
{
	size_t lo = 0, hi = sizeof fold_extra / sizeof fold_extra[0];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (fold_extra[mid].from == cp)
			return fold_extra[mid].to;
		if (fold_extra[mid].from < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return cp;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *kist__fold(const char *s)
{
	size_t len = strlen(s);
	/* Folding never lengthens a character by more than 2 bytes ("ß" -> "ss" is 2 -> 2). */
	char *out = malloc(len * 2 + 1);
	if (out == NULL)
		return NULL;
	kist__fold_to(out, s, len);
	return out;
}

size_t kist__fold_to(char *out, const char *s, size_t len)
{
	size_t o = 0, i = 0;
	const unsigned char *u = (const unsigned char *)s;
	while (i < len) {
		if (u[i] < 0x80) { /* ASCII: only capitals change */
			out[o++] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
			i++;
			continue;
		}
		uint32_t cp;
		size_t n = kist__utf8_next(u + i, len - i, &cp);
		if (n == 0) { /* not UTF-8 (validated text never gets here): keep the byte */
			out[o++] = (char)u[i++];
			continue;
		}
		i += n;
		if (cp >= 'A' && cp <= 'Z') {
			out[o++] = (char)(cp + 32);
			continue;
		}
		if (cp >= 0xc0 && cp < 0x250 && latin_fold[cp - 0xc0][0] != '\0') {
			const char *f = latin_fold[cp - 0xc0];
			size_t fl = strlen(f);
			memcpy(out + o, f, fl);
			o += fl;
			continue;
		}
		/* Arabic diacritics (harakat, superscript alef) and tatweel carry no letter. */
		if ((cp >= 0x064b && cp <= 0x065f) || cp == 0x0670 || cp == 0x0640)
			continue;
		/* Arabic and Persian keyboards write these letters differently. */
		if (cp == 0x0643) /* ARABIC LETTER KAF -> KEHEH */
			cp = 0x06a9;
		else if (cp == 0x064a || cp == 0x0649) /* YEH, ALEF MAKSURA -> FARSI YEH */
			cp = 0x06cc;
		else if (cp == 0x0622 || cp == 0x0623 || cp == 0x0625) /* alef with hamza/madda */
			cp = 0x0627;
		else if (cp == 0x0629) /* TEH MARBUTA -> HEH */
			cp = 0x0647;
		else if (cp >= 0x250)
			cp = fold_extra_lookup(cp); /* other scripts' capitals, Vietnamese ... */
		o += put_utf8(out + o, cp);
	}
	out[o] = '\0';
	return o;
}
