/*
 * People registers: identity records imported from CSV (RFC 4180, header row)
 * or JSON (an array of objects), chosen by content.  The input is hostile:
 * every size is bounded, every byte of text is checked to be UTF-8 without
 * control characters, and every error names the line (CSV) or the record
 * index (JSON) and the field.  Records live only in memory and, once sealed,
 * in the encrypted index; buffers holding them are wiped when freed.
 */
#include "people/people.h"
#include "os/os.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

/* aliases, relation, born, location, status, contact, notes: the people table's columns */
static const char *const person_fields[KIST__PERSON_NFIELDS] = {
    "aliases", "relation", "born", "location", "status", "contact", "notes"};

static void wipe_free(char *s)
{
	if (s != NULL) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

static void person_free(kist__person *p)
{
	wipe_free(p->name);
	for (int i = 0; i < KIST__PERSON_NFIELDS; i++)
		wipe_free(p->field[i]);
	for (size_t i = 0; i < p->nextra; i++) {
		wipe_free(p->extra_key[i]);
		wipe_free(p->extra_val[i]);
	}
	free(p->extra_key);
	free(p->extra_val);
	for (size_t i = 0; i < p->nmedia; i++)
		wipe_free(p->media[i]);
	free(p->media);
	free(p->media_id);
	memset(p, 0, sizeof *p);
}

void kist__people_free(kist__people *ppl)
{
	if (ppl == NULL)
		return;
	for (size_t i = 0; i < ppl->n; i++)
		person_free(&ppl->p[i]);
	free(ppl->p);
	memset(ppl, 0, sizeof *ppl);
}

/* Checks one value: bounded, UTF-8, no control characters but tab and line breaks. */
static kist_err check_text(const char *src, const char *where, const char *field, const char *s,
                           size_t len, size_t max)
{
	if (len > max)
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" is longer than %zu bytes",
		                  src, where, field, max);
	if (memchr(s, '\0', len) != NULL)
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" contains a NUL byte", src,
		                  where, field);
	if (!kist__utf8_valid((const unsigned char *)s, len))
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" is not valid UTF-8", src,
		                  where, field);
	if (kist__text_has_control((const unsigned char *)s, len))
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" contains a control character",
		                  src, where, field);
	return KIST_OK;
}

/* Copies s[0..len) with surrounding blanks removed; NULL (and *empty set) if nothing is left. */
static char *dup_trimmed(const char *s, size_t len, int *nomem)
{
	while (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' ||
	                   s[len - 1] == '\n'))
		len--;
	if (len == 0)
		return NULL;
	char *d = kist__os_strndup(s, len);
	if (d == NULL)
		*nomem = 1;
	return d;
}

static kist__person *new_person(kist__people *ppl, const char *src, const char *where)
{
	if (ppl->n == KIST_MAX_PEOPLE) {
		kist__fail(KIST_E_LIMIT, "%s: %s: more than %d people", src, where,
		           KIST_MAX_PEOPLE);
		return NULL;
	}
	if (ppl->n == ppl->cap) {
		size_t nc = ppl->cap ? ppl->cap * 2 : 64;
		kist__person *np = realloc(ppl->p, nc * sizeof *np);
		if (np == NULL) {
			kist__nomem();
			return NULL;
		}
		ppl->p = np;
		ppl->cap = nc;
	}
	kist__person *p = &ppl->p[ppl->n++];
	memset(p, 0, sizeof *p);
	snprintf(p->where, sizeof p->where, "%s", where);
	kist__printable(p->src, sizeof p->src, src);
	return p;
}

/* Adds one media path (trimmed; empty ones are ignored). */
static kist_err add_media(kist__person *p, const char *src, const char *s, size_t len)
{
	int nomem = 0;
	char *m = dup_trimmed(s, len, &nomem);
	if (nomem)
		return kist__nomem();
	if (m == NULL)
		return KIST_OK;
	if (p->nmedia == KIST_MAX_PERSON_MEDIA) {
		wipe_free(m);
		return kist__fail(KIST_E_LIMIT, "%s: %s: field \"media\": more than %d paths", src,
		                  p->where, KIST_MAX_PERSON_MEDIA);
	}
	char **nm = realloc(p->media, (p->nmedia + 1) * sizeof *nm);
	if (nm == NULL) {
		wipe_free(m);
		return kist__nomem();
	}
	p->media = nm;
	p->media[p->nmedia++] = m;
	return KIST_OK;
}

/* Splits "a; b;c" into media paths. */
static kist_err add_media_list(kist__person *p, const char *src, const char *s, size_t len)
{
	size_t start = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == len || s[i] == ';') {
			kist_err err = add_media(p, src, s + start, i - start);
			if (err != KIST_OK)
				return err;
			start = i + 1;
		}
	return KIST_OK;
}

static kist_err add_extra(kist__person *p, const char *src, const char *key, const char *val,
                          size_t len)
{
	for (size_t i = 0; i < p->nextra; i++)
		if (strcasecmp(p->extra_key[i], key) == 0) /* as CSV columns */
			return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" given twice", src,
			                  p->where, key);
	if (p->nextra == KIST_MAX_REGISTER_COLUMNS)
		return kist__fail(KIST_E_LIMIT, "%s: %s: more than %d fields", src, p->where,
		                  KIST_MAX_REGISTER_COLUMNS);
	char **nk = realloc(p->extra_key, (p->nextra + 1) * sizeof *nk);
	if (nk == NULL)
		return kist__nomem();
	p->extra_key = nk;
	char **nv = realloc(p->extra_val, (p->nextra + 1) * sizeof *nv);
	if (nv == NULL)
		return kist__nomem();
	p->extra_val = nv;
	char *k = strdup(key), *v = kist__os_strndup(val, len);
	if (k == NULL || v == NULL) {
		wipe_free(k);
		wipe_free(v);
		return kist__nomem();
	}
	p->extra_key[p->nextra] = k;
	p->extra_val[p->nextra] = v;
	p->nextra++;
	return KIST_OK;
}

/* Index of a known field (0..6), KIST__FIELD_NAME, KIST__FIELD_MEDIA, or -1. */
#define FIELD_NAME  100
#define FIELD_MEDIA 101
static int known_field(const char *name)
{
	if (strcasecmp(name, "name") == 0)
		return FIELD_NAME;
	if (strcasecmp(name, "media") == 0)
		return FIELD_MEDIA;
	for (int i = 0; i < KIST__PERSON_NFIELDS; i++)
		if (strcasecmp(name, person_fields[i]) == 0)
			return i;
	return -1;
}

/* Stores one value of a record under its column name. */
static kist_err set_field(kist__person *p, const char *src, const char *col, const char *val,
                          size_t len)
{
	kist_err err;
	int k = known_field(col);
	if ((err = check_text(src, p->where, col, val, len, KIST_MAX_FIELD_BYTES)) != KIST_OK)
		return err;
	if (k == FIELD_MEDIA)
		return add_media_list(p, src, val, len);
	int nomem = 0;
	char *v = dup_trimmed(val, len, &nomem);
	if (nomem)
		return kist__nomem();
	if (v == NULL)
		return KIST_OK; /* empty: absent */
	char **slot = k == FIELD_NAME ? &p->name : k >= 0 ? &p->field[k] : NULL;
	if (slot == NULL) {
		err = add_extra(p, src, col, v, strlen(v));
		wipe_free(v);
		return err;
	}
	if (*slot != NULL) {
		wipe_free(v);
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" given twice", src, p->where,
		                  col);
	}
	*slot = v;
	return KIST_OK;
}

static kist_err finish_person(const kist__person *p, const char *src)
{
	if (p->name == NULL)
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"name\" is missing or empty", src,
		                  p->where);
	return KIST_OK;
}

/* ---- CSV (RFC 4180) */

typedef struct csv {
	const char *s;
	size_t len, pos;
	unsigned line;
	char *buf; /* the current field, unquoted */
	size_t blen, bcap;
} csv;

static kist_err csv_put(csv *c, char ch)
{
	if (c->blen == c->bcap) {
		size_t nc = c->bcap ? c->bcap * 2 : 256;
		char *nb = malloc(nc);
		if (nb == NULL)
			return kist__nomem();
		if (c->buf != NULL) {
			memcpy(nb, c->buf, c->blen);
			sodium_memzero(c->buf, c->bcap);
			free(c->buf);
		}
		c->buf = nb;
		c->bcap = nc;
	}
	c->buf[c->blen++] = ch;
	return KIST_OK;
}

/* "field \"notes\"" (printable), or "a column name" for the header row. */
static const char *csv_label(char *out, size_t cap, const char *col)
{
	char shown[64];
	if (col == NULL) {
		snprintf(out, cap, "a column name");
	} else {
		kist__printable(shown, sizeof shown, col);
		snprintf(out, cap, "field \"%s\"", shown);
	}
	return out;
}

/*
 * Reads one field into c->buf.  *end is set to 1 at the end of a record and
 * 2 at the end of the input.  Fields longer than the limit are refused while
 * reading, so memory stays bounded; col names the field in messages
 * (NULL: a column name of the header).
 */
static kist_err csv_field(csv *c, const char *src, const char *col, int *end)
{
	char f[80]; /* "field \"notes\"" for messages */
	c->blen = 0;
	*end = 0;
	if (c->pos < c->len && c->s[c->pos] == '"') {
		unsigned opened = c->line;
		c->pos++;
		for (;;) {
			if (c->pos == c->len)
				return kist__fail(KIST_E_INPUT,
				                  "%s: line %u: %s: unterminated quote (the quoted "
				                  "field starting here never ends)",
				                  src, opened, csv_label(f, sizeof f, col));
			char ch = c->s[c->pos++];
			if (ch == '"') {
				if (c->pos < c->len && c->s[c->pos] == '"') {
					c->pos++;
				} else {
					break;
				}
			}
			if (ch == '\n')
				c->line++;
			if (c->blen > KIST_MAX_FIELD_BYTES)
				return kist__fail(
				    KIST_E_INPUT, "%s: line %u: %s is longer than %d bytes", src,
				    opened, csv_label(f, sizeof f, col), KIST_MAX_FIELD_BYTES);
			kist_err err = csv_put(c, ch);
			if (err != KIST_OK)
				return err;
		}
		if (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
		    c->s[c->pos] != '\r')
			return kist__fail(KIST_E_INPUT,
			                  "%s: line %u: %s: unexpected character after a closing "
			                  "quote",
			                  src, c->line, csv_label(f, sizeof f, col));
	} else {
		while (c->pos < c->len && c->s[c->pos] != ',' && c->s[c->pos] != '\n' &&
		       c->s[c->pos] != '\r') {
			if (c->s[c->pos] == '"')
				return kist__fail(
				    KIST_E_INPUT,
				    "%s: line %u: %s: a quote inside an unquoted field "
				    "(quote the whole field and double the quote)",
				    src, c->line, csv_label(f, sizeof f, col));
			if (c->blen > KIST_MAX_FIELD_BYTES)
				return kist__fail(
				    KIST_E_INPUT, "%s: line %u: %s is longer than %d bytes", src,
				    c->line, csv_label(f, sizeof f, col), KIST_MAX_FIELD_BYTES);
			kist_err err = csv_put(c, c->s[c->pos++]);
			if (err != KIST_OK)
				return err;
		}
	}
	if (c->pos == c->len) {
		*end = 2;
	} else if (c->s[c->pos] == ',') {
		c->pos++;
	} else {
		if (c->s[c->pos] == '\r')
			c->pos++;
		if (c->pos < c->len && c->s[c->pos] == '\n')
			c->pos++;
		c->line++;
		*end = c->pos == c->len ? 2 : 1;
	}
	return KIST_OK;
}

static int csv_blank_line(const csv *c)
{
	return c->pos < c->len && (c->s[c->pos] == '\n' || c->s[c->pos] == '\r');
}

static void csv_skip_line(csv *c)
{
	if (c->s[c->pos] == '\r')
		c->pos++;
	if (c->pos < c->len && c->s[c->pos] == '\n')
		c->pos++;
	c->line++;
}

/*
 * The header row of a CSV register, starting on line hline: the column names,
 * distinct and at most KIST_MAX_REGISTER_COLUMNS, appended to *cols (the
 * caller frees them); *has_name set if one is "name".
 */
static kist_err csv_header(csv *c, const char *src, unsigned hline, char ***cols, size_t *ncols,
                           int *has_name, int *end)
{
	kist_err err;
	do {
		if ((err = csv_field(c, src, NULL, end)) != KIST_OK)
			return err;
		char where[32];
		snprintf(where, sizeof where, "line %u", hline);
		if ((err = check_text(src, where, "header", c->buf ? c->buf : "", c->blen, 256)) !=
		    KIST_OK)
			return err;
		int nomem = 0;
		char *name = dup_trimmed(c->buf ? c->buf : "", c->blen, &nomem);
		if (nomem)
			return kist__nomem();
		if (name == NULL)
			return kist__fail(KIST_E_INPUT, "%s: line %u: column %zu has no name", src,
			                  hline, *ncols + 1);
		for (size_t i = 0; i < *ncols; i++)
			if (strcasecmp((*cols)[i], name) == 0) {
				err = kist__fail(KIST_E_INPUT,
				                 "%s: line %u: column \"%s\" appears twice", src,
				                 hline, name);
				free(name);
				return err;
			}
		if (*ncols == KIST_MAX_REGISTER_COLUMNS) {
			free(name);
			return kist__fail(KIST_E_LIMIT, "%s: line %u: more than %d columns", src,
			                  hline, KIST_MAX_REGISTER_COLUMNS);
		}
		char **nc = realloc(*cols, (*ncols + 1) * sizeof *nc);
		if (nc == NULL) {
			free(name);
			return kist__nomem();
		}
		*cols = nc;
		(*cols)[(*ncols)++] = name;
		*has_name |= known_field(name) == FIELD_NAME;
	} while (*end == 0);
	return KIST_OK;
}

/* One record of a CSV register, whose header named ncols columns cols. */
static kist_err csv_record(kist__people *ppl, csv *c, const char *src, char **cols, size_t ncols,
                           int *end)
{
	kist_err err;
	char where[32];
	snprintf(where, sizeof where, "line %u", c->line);
	kist__person *p = new_person(ppl, src, where);
	if (p == NULL) {
		if (ppl->cap == 0 || ppl->n < KIST_MAX_PEOPLE)
			return KIST_E_NOMEM;
		return KIST_E_LIMIT;
	}
	size_t f = 0;
	do {
		if ((err = csv_field(c, src, f < ncols ? cols[f] : "(beyond the header)", end)) !=
		    KIST_OK)
			return err;
		if (f == ncols)
			return kist__fail(KIST_E_INPUT,
			                  "%s: %s: too many fields (the header has %zu)", src,
			                  p->where, ncols);
		if ((err = set_field(p, src, cols[f], c->buf ? c->buf : "", c->blen)) != KIST_OK)
			return err;
		f++;
	} while (*end == 0);
	if (f != ncols)
		return kist__fail(KIST_E_INPUT, "%s: %s: %zu field%s, but the header has %zu", src,
		                  p->where, f, f == 1 ? "" : "s", ncols);
	return finish_person(p, src);
}

static kist_err parse_csv(kist__people *ppl, const char *s, size_t len, const char *src)
{
	size_t first = ppl->n; /* records of earlier registers */
	csv c = {s, len, 0, 1, NULL, 0, 0};
	char **cols = NULL;
	size_t ncols = 0;
	int end = 0, has_name = 0;
	kist_err err = KIST_OK;

	/* Header row. */
	while (csv_blank_line(&c))
		csv_skip_line(&c);
	if (c.pos == c.len) {
		err = kist__fail(KIST_E_INPUT, "%s: empty register (no header row)", src);
		goto out;
	}
	unsigned hline = c.line;
	if ((err = csv_header(&c, src, hline, &cols, &ncols, &has_name, &end)) != KIST_OK)
		goto out;
	if (!has_name) {
		err = kist__fail(KIST_E_INPUT, "%s: line %u: the header has no \"name\" column",
		                 src, hline);
		goto out;
	}

	/* Records. */
	while (end != 2) {
		while (csv_blank_line(&c))
			csv_skip_line(&c);
		if (c.pos == c.len)
			break;
		if ((err = csv_record(ppl, &c, src, cols, ncols, &end)) != KIST_OK)
			goto out;
	}
	if (ppl->n == first)
		err = kist__fail(KIST_E_INPUT, "%s: the register has a header but no records", src);
out:
	for (size_t i = 0; i < ncols; i++)
		free(cols[i]);
	free(cols);
	if (c.buf != NULL) {
		sodium_memzero(c.buf, c.bcap);
		free(c.buf);
	}
	return err;
}

/* ---- JSON */

/* A value as text: strings as they are, numbers and booleans printed. */
static kist_err json_scalar(kist__person *p, const char *src, const char *key, json_t *v,
                            char **out, size_t *len)
{
	char num[64];
	*out = NULL;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*out = kist__os_strndup(json_string_value(v), json_string_length(v));
		*len = json_string_length(v);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		*out = strdup(num);
		*len = strlen(num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		*out = strdup(num);
		*len = strlen(num);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		*out = strdup(json_is_true(v) ? "true" : "false");
		*len = strlen(*out ? *out : "");
		break;
	case JSON_NULL:
		return KIST_OK;
	default:
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" must be a string", src,
		                  p->where, key);
	}
	if (*out == NULL)
		return kist__nomem();
	return KIST_OK;
}

/*
 * A list of strings for field key (known field k): media, one path an item,
 * or aliases, joined with "; ".
 */
static kist_err json_list(kist__person *p, const char *src, const char *where, const char *key,
                          int k, json_t *v)
{
	kist_err err = KIST_OK;
	size_t i;
	json_t *item;
	char *joined = NULL;
	size_t jlen = 0;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item)) {
			wipe_free(joined);
			return kist__fail(KIST_E_INPUT,
			                  "%s: %s: field \"%s\": item %zu is not a string", src,
			                  where, key, i);
		}
		const char *s = json_string_value(item);
		size_t sl = json_string_length(item);
		if ((err = check_text(src, where, key, s, sl, KIST_MAX_FIELD_BYTES)) != KIST_OK) {
			wipe_free(joined);
			return err;
		}
		if (k == FIELD_MEDIA) {
			/* a list item is one path, ';' included */
			if ((err = add_media(p, src, s, sl)) != KIST_OK)
				return err;
			continue;
		}
		/* aliases: joined with "; " */
		if (jlen + sl + 2 > KIST_MAX_FIELD_BYTES) {
			wipe_free(joined);
			return kist__fail(KIST_E_INPUT,
			                  "%s: %s: field \"%s\" is longer than %d bytes", src,
			                  where, key, KIST_MAX_FIELD_BYTES);
		}
		/* not realloc: the old copy of the aliases is wiped */
		char *nj = malloc(jlen + sl + 3);
		if (nj == NULL) {
			wipe_free(joined);
			return kist__nomem();
		}
		if (joined != NULL)
			memcpy(nj, joined, jlen + 1);
		wipe_free(joined);
		joined = nj;
		if (jlen > 0) {
			memcpy(joined + jlen, "; ", 2);
			jlen += 2;
		}
		memcpy(joined + jlen, s, sl);
		jlen += sl;
		joined[jlen] = '\0';
	}
	if (k == 0 && joined != NULL) {
		err = set_field(p, src, key, joined, jlen);
		wipe_free(joined);
	}
	return err;
}

/* Any other value of field key (known field k, or -1 for another field). */
static kist_err json_value(kist__person *p, const char *src, const char *where, const char *key,
                           int k, json_t *v)
{
	kist_err err;
	if (k >= 0 && (json_is_object(v) || json_is_array(v)))
		return kist__fail(KIST_E_INPUT, "%s: %s: field \"%s\" must be a string%s", src,
		                  where, key, k == FIELD_MEDIA ? " or a list of strings" : "");
	char *text = NULL;
	size_t tlen = 0;
	if (json_is_object(v) || json_is_array(v)) {
		/* Unknown structured fields are kept as compact JSON text. */
		text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL)
			return kist__nomem();
		tlen = strlen(text);
	} else if ((err = json_scalar(p, src, key, v, &text, &tlen)) != KIST_OK) {
		return err;
	}
	if (text == NULL)
		return KIST_OK; /* null: absent */
	if (k == FIELD_MEDIA) {
		/* A single string is one path (JSON has lists for more). */
		err = check_text(src, where, key, text, tlen, KIST_MAX_FIELD_BYTES);
		if (err == KIST_OK)
			err = add_media(p, src, text, tlen);
	} else {
		err = set_field(p, src, key, text, tlen);
	}
	wipe_free(text);
	return err;
}

static kist_err json_record(kist__people *ppl, const char *src, size_t idx, json_t *obj)
{
	char where[48];
	const char *key;
	json_t *v;
	kist_err err;

	snprintf(where, sizeof where, "record at index %zu", idx);
	if (!json_is_object(obj))
		return kist__fail(KIST_E_INPUT, "%s: %s: not an object", src, where);
	kist__person *p = new_person(ppl, src, where);
	if (p == NULL)
		return ppl->n >= KIST_MAX_PEOPLE ? KIST_E_LIMIT : KIST_E_NOMEM;
	json_object_foreach(obj, key, v)
	{
		char kw[64];
		kist__printable(kw, sizeof kw, key);
		if ((err = check_text(src, where, kw, key, strlen(key), 256)) != KIST_OK)
			return err;
		if (key[0] == '\0')
			return kist__fail(KIST_E_INPUT, "%s: %s: a field has an empty name", src,
			                  where);
		int k = known_field(key);
		if ((k == FIELD_MEDIA || k == 0 /* aliases */) && json_is_array(v))
			err = json_list(p, src, where, key, k, v);
		else
			err = json_value(p, src, where, key, k, v);
		if (err != KIST_OK)
			return err;
	}
	return finish_person(p, src);
}

/*
 * Where in a register s[0..pos) ends: the index of the record (an element of
 * the top-level array) and the name of the field whose key or value it is in.
 * For errors jansson reports only as a line and column (invalid UTF-8): the
 * bytes before pos are what jansson already read, so this walk over strings
 * and brackets agrees with it.  Returns 0 if pos is not inside a record, 2 if
 * it is inside a field's name, else 1.
 */
static int json_locate(const char *s, size_t pos, size_t *index, char *field, size_t cap)
{
	int depth = 0, in_str = 0, esc = 0, is_key = 0, want_key = 0, in_array = 0;
	size_t idx = 0, kstart = 0;
	field[0] = '\0';
	for (size_t i = 0; i < pos; i++) {
		char c = s[i];
		if (in_str) {
			if (esc) {
				esc = 0;
			} else if (c == '\\') {
				esc = 1;
			} else if (c == '"') {
				in_str = 0;
				if (is_key) {
					char raw[64];
					size_t n = i - kstart < sizeof raw - 1 ? i - kstart
					                                       : sizeof raw - 1;
					memcpy(raw, s + kstart, n);
					raw[n] = '\0';
					kist__printable(field, cap, raw);
				}
			}
			continue;
		}
		if (c == '"') {
			in_str = 1;
			kstart = i + 1;
			is_key = depth == 2 && want_key;
		} else if (c == '[' || c == '{') {
			if (depth == 0)
				in_array = c == '[';
			depth++;
			if (depth == 2) {
				want_key = c == '{';
				field[0] = '\0';
			}
		} else if (c == ']' || c == '}') {
			depth--;
		} else if (c == ',') {
			if (depth == 1)
				idx++;
			else if (depth == 2)
				want_key = 1;
		} else if (c == ':' && depth == 2) {
			want_key = 0;
		}
	}
	if (!in_array || depth < 2)
		return 0;
	*index = idx;
	return in_str && is_key ? 2 : 1;
}

static kist_err parse_json(kist__people *ppl, const char *s, size_t len, const char *src)
{
	size_t first = ppl->n; /* records of earlier registers */
	json_error_t je;
	json_t *root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	kist_err err = KIST_OK;
	if (root == NULL) {
		char why[JSON_ERROR_TEXT_LENGTH * 4], field[80];
		size_t idx;
		kist__printable(why, sizeof why, je.text); /* it quotes the input */
		if (json_error_code(&je) != json_error_invalid_utf8)
			return kist__fail(KIST_E_INPUT, "%s: line %d, column %d: %s", src, je.line,
			                  je.column, why);
		int at = je.position >= 0 && (size_t)je.position <= len
		             ? json_locate(s, (size_t)je.position, &idx, field, sizeof field)
		             : 0;
		if (at == 2)
			return kist__fail(
			    KIST_E_INPUT,
			    "%s: record at index %zu: a field name is not valid UTF-8 "
			    "(line %d, column %d)",
			    src, idx, je.line, je.column);
		if (at == 1 && field[0] != '\0')
			return kist__fail(
			    KIST_E_INPUT,
			    "%s: record at index %zu: field \"%s\" is not valid UTF-8 "
			    "(line %d, column %d)",
			    src, idx, field, je.line, je.column);
		return kist__fail(KIST_E_INPUT, "%s: line %d, column %d: not valid UTF-8: %s", src,
		                  je.line, je.column, why);
	}
	if (!json_is_array(root)) {
		err = kist__fail(KIST_E_INPUT, "%s: a JSON register must be an array of objects",
		                 src);
		goto out;
	}
	size_t i;
	json_t *rec;
	json_array_foreach(root, i, rec)
	{
		if ((err = json_record(ppl, src, i, rec)) != KIST_OK)
			goto out;
	}
	if (ppl->n == first)
		err = kist__fail(KIST_E_INPUT, "%s: the register is an empty list", src);
out:
	json_decref(root);
	return err;
}

kist_err kist__register_parse(kist__people *ppl, const unsigned char *buf, size_t len,
                              const char *src)
{
	size_t start = 0;
	kist_err err;

	if (len > KIST_MAX_REGISTER_BYTES)
		return kist__fail(KIST_E_LIMIT, "%s: register larger than %d MiB", src,
		                  KIST_MAX_REGISTER_BYTES >> 20);
	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		start = 3; /* UTF-8 byte order mark */
	size_t i = start;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	size_t before = ppl->n;
	/* Invalid UTF-8 is reported by jansson (JSON, with line and column) and by the
	 * field checks (CSV, with line and field). */
	if (i < len && (buf[i] == '[' || buf[i] == '{'))
		err = parse_json(ppl, (const char *)buf + start, len - start, src);
	else
		err = parse_csv(ppl, (const char *)buf + start, len - start, src);
	if (err != KIST_OK) {
		/* Nothing of a bad register is kept. */
		for (size_t k = before; k < ppl->n; k++)
			person_free(&ppl->p[k]);
		ppl->n = before;
	}
	return err;
}

kist_err kist__people_link(kist__people *ppl, const char *const *paths, size_t npaths,
                           const uint32_t *ids)
{
	for (size_t i = 0; i < ppl->n; i++) {
		kist__person *p = &ppl->p[i];
		free(p->media_id);
		p->media_id = NULL;
		if (p->nmedia == 0)
			continue;
		p->media_id = calloc(p->nmedia, sizeof *p->media_id);
		if (p->media_id == NULL)
			return kist__nomem();
		for (size_t m = 0; m < p->nmedia; m++) {
			const char *want = p->media[m];
			while (want[0] == '.' && want[1] == '/')
				want += 2;
			size_t lo = 0, hi = npaths;
			while (lo < hi) { /* paths are sorted with strcmp */
				size_t mid = lo + (hi - lo) / 2;
				int c = strcmp(paths[mid], want);
				if (c == 0) {
					lo = mid;
					break;
				}
				if (c < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo >= npaths || strcmp(paths[lo], want) != 0) {
				char shown[160], who[64];
				kist__printable(shown, sizeof shown, p->media[m]);
				kist__printable(who, sizeof who, p->name);
				return kist__fail(
				    KIST_E_INPUT,
				    "%s: %s (%s): media \"%s\" is not an entry of the "
				    "vault",
				    p->src, p->where, who, shown);
			}
			p->media_id[m] = ids[lo];
			for (size_t k = 0; k < m; k++)
				if (p->media_id[k] == ids[lo]) {
					p->media_id[m] = 0; /* listed twice: linked once */
					break;
				}
		}
	}
	return KIST_OK;
}
