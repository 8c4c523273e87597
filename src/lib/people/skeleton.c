/*
 * Consonant skeletons of names, for a search across scripts: a name written
 * in Latin letters finds the person registered in Arabic or Persian script
 * (Karimi, کریمی), and spelling variants meet (Hoseini, Hosseini).
 *
 * A word's skeleton: the folded text (kist__fold) transliterated by ICU
 * ("Any-Latin; Latin-ASCII; Lower"), only its letters a-z kept, c and q taken
 * as k, the vowels and the half-vowels (a e i o u y w) dropped, a run of one
 * letter taken once, and a final h dropped (the Arabic teh marbuta, heh at a
 * word's end).  Scripts write vowels differently or not at all; consonants
 * survive.  Matches by skeleton are approximate by nature: the search ranks
 * them last and marks them.
 */
#include "people/people.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

struct kist__skel {
	UTransliterator *t;
};

kist_err kist__skel_new(kist__skel **out)
{
	*out = calloc(1, sizeof **out);
	return *out == NULL ? kist__nomem() : KIST_OK;
}

/* Opens s's transliterator if it is not open yet. */
static kist_err skel_open(kist__skel *s)
{
	static const char id[] = "Any-Latin; Latin-ASCII; Lower";
	UChar uid[sizeof id];
	UErrorCode st = U_ZERO_ERROR;

	if (s->t != NULL)
		return KIST_OK;
	u_uastrcpy(uid, id);
	s->t = utrans_openU(uid, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
	if (U_FAILURE(st)) {
		s->t = NULL;
		return kist__fail(KIST_E_FORMAT, "this build lacks ICU transliteration data: %s",
		                  u_errorName(st));
	}
	return KIST_OK;
}

void kist__skel_free(kist__skel *s)
{
	if (s == NULL)
		return;
	if (s->t != NULL)
		utrans_close(s->t);
	free(s);
}

/* Appends the skeleton of the ASCII word w[0..n) to out at *o, space-led. */
static void add_word(char *out, size_t *o, const char *w, size_t n)
{
	size_t start = *o + 1, k = start;
	char last = 0;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (c == 'c' || c == 'q')
			c = 'k';
		if (strchr("aeiouyw", c) != NULL) {
			last = 0; /* a vowel between two equal consonants keeps both */
			continue;
		}
		if (c == last)
			continue;
		out[k++] = c;
		last = c;
	}
	if (k > start && out[k - 1] == 'h')
		k--;
	if (k > start) {
		out[*o] = ' ';
		*o = k;
	}
}

static int ascii_only(const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] >= 0x80)
			return 0;
	return 1;
}

kist_err kist__skel_of(kist__skel *s, const char *folded, char **out)
{
	size_t len = strlen(folded);
	UChar *u = NULL;
	char *a = NULL, *r = NULL;
	int32_t ulen = 0, cap = 0, limit, alen = 0;
	UErrorCode st = U_ZERO_ERROR;
	kist_err err = KIST_OK;

	*out = NULL;
	if (len > KIST_MAX_FIELD_BYTES)
		return kist__fail(KIST_E_LIMIT, "a name is longer than %d bytes",
		                  KIST_MAX_FIELD_BYTES);
	if (ascii_only(folded, len)) {
		/* ICU leaves ASCII as it is but for Lower, at ~10 us a name: building
		 * the skeletons of 20,000 Latin-script names took most of a search. */
		if ((a = malloc(len + 1)) == NULL)
			goto nomem;
		for (size_t i = 0; i < len; i++)
			a[i] = folded[i] >= 'A' && folded[i] <= 'Z' ? (char)(folded[i] + 32)
			                                            : folded[i];
		a[len] = '\0';
		alen = (int32_t)len;
		goto skeleton;
	}
	if ((err = skel_open(s)) != KIST_OK)
		return err;
	/* Transliteration lengthens text (one Arabic letter to "sh", a Han
	 * character to a syllable): room for eight UTF-16 units per byte. */
	cap = (int32_t)len * 8 + 16;
	if ((u = malloc((size_t)cap * sizeof *u)) == NULL)
		goto nomem;
	u_strFromUTF8(u, cap, &ulen, folded, (int32_t)len, &st);
	limit = ulen;
	if (U_SUCCESS(st))
		utrans_transUChars(s->t, u, &ulen, cap, 0, &limit, &st);
	if (U_SUCCESS(st) && (a = malloc((size_t)ulen * 3 + 1)) == NULL)
		goto nomem;
	if (U_SUCCESS(st))
		u_strToUTF8(a, ulen * 3 + 1, &alen, u, ulen, &st);
	if (U_FAILURE(st)) {
		/* Too long once transliterated, or not convertible: no skeleton. */
		if ((r = strdup(" ")) == NULL)
			goto nomem;
		goto done;
	}
skeleton:
	if ((r = malloc((size_t)alen + 3)) == NULL)
		goto nomem;
	size_t o = 0;
	for (int32_t i = 0; i < alen;) {
		int32_t j = i;
		while (j < alen && a[j] >= 'a' && a[j] <= 'z')
			j++;
		if (j > i)
			add_word(r, &o, a + i, (size_t)(j - i));
		i = j == i ? i + 1 : j;
	}
	r[o++] = ' ';
	r[o] = '\0';
	goto done;
nomem:
	err = kist__nomem();
	if (r != NULL)
		free(r);
	r = NULL;
done:
	if (u != NULL)
		sodium_memzero(u, (size_t)cap * sizeof *u);
	free(u);
	if (a != NULL)
		sodium_memzero(a, (size_t)alen);
	free(a);
	*out = r;
	return err;
}
