/*
 * The people register (issue 5) through the public API: CSV and JSON
 * registers sealed with kist_sealer_add_people_buf(), read back with
 * kist_vault_people(), kist_vault_person_find() and kist_vault_query();
 * every malformed register refused with its line or index and its field;
 * search on fragments, case, accents and Arabic/Persian variants; the
 * read-only query authorizer; and hostile people tables in an index that a
 * malicious sealer (holding valid keys) re-sealed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <sqlite3.h>
#include <zstd.h>

#include "format/format.h"
#include "kist.h"
#include "people/people.h"
#include "testutil.h"

#ifndef KIST_SOURCE_DIR
#error "KIST_SOURCE_DIR must name the source tree (tests/vectors is read)"
#endif

typedef struct fx {
	char *dir;
	kist_identity *id;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir();
	assert_int_equal(chdir(f->dir), 0);
	assert_int_equal(kist_identity_generate(&f->id), KIST_OK);
	assert_int_equal(mkdir("media", 0755), 0);
	assert_int_equal(mkdir("docs", 0755), 0);
	tu_write("media/a.jpg", "photo a\n", 8);
	tu_write("media/b.jpg", "photo b\n", 8);
	tu_write("media/c.jpg", "photo c\n", 8);
	tu_write("docs/statement.txt", "statement\n", 10);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	kist_identity_free(f->id);
	free(f);
	return 0;
}

/* ---- sealing and opening */

typedef struct sealres {
	kist_err add, write;
	char detail[1024];
} sealres;

/* Seals media/ and docs/ with the register reg[0..len) into out. */
static sealres seal_reg(fx *f, const char *out, const void *reg, size_t len, const char *name)
{
	sealres r = {KIST_OK, KIST_OK, ""};
	kist_sealer *s = NULL;
	kist_pubkey pk;
	unlink(out);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	kist_identity_pubkey(f->id, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_set_threads(s, 1), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "media"), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "docs"), KIST_OK);
	r.add = kist_sealer_add_people_buf(s, reg, len, name);
	if (r.add != KIST_OK) {
		snprintf(r.detail, sizeof r.detail, "%s", kist_errdetail());
	} else {
		r.write = kist_sealer_write(s, out, 0);
		if (r.write != KIST_OK)
			snprintf(r.detail, sizeof r.detail, "%s", kist_errdetail());
	}
	kist_sealer_free(s);
	return r;
}

static void seal_ok(fx *f, const char *out, const char *reg)
{
	sealres r = seal_reg(f, out, reg, strlen(reg), "reg");
	if (r.add != KIST_OK || r.write != KIST_OK)
		fail_msg("sealing the register failed: %s / %s: %s", kist_strerror(r.add),
		         kist_strerror(r.write), r.detail);
}

static kist_vault *open_ok(fx *f, const char *path)
{
	kist_vault *v = NULL;
	kist_err err = kist_vault_open(&v, path, &f->id, 1);
	if (err != KIST_OK)
		fail_msg("open %s: %s: %s", path, kist_strerror(err), kist_errdetail());
	return v;
}

/* ---- collecting people */

#define MAXP 64
typedef struct got {
	size_t n;
	int64_t id[MAXP];
	char *name[MAXP];
	kist_person first; /* a deep copy of the first person seen */
	char *first_strs[16];
	char *xn[8], *xv[8];
	char *media[8];
	int stop_after;
} got;

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int collect(void *ctx, const kist_person *p)
{
	got *g = ctx;
	assert_true(g->n < MAXP);
	g->id[g->n] = p->id;
	g->name[g->n] = strdup(p->name);
	if (g->n == 0) {
		g->first = *p;
		const char *const *src[] = {&p->name,     &p->aliases, &p->relation, &p->born,
		                            &p->location, &p->status,  &p->contact,  &p->notes};
		const char **dst[] = {&g->first.name,    &g->first.aliases,  &g->first.relation,
		                      &g->first.born,    &g->first.location, &g->first.status,
		                      &g->first.contact, &g->first.notes};
		for (size_t k = 0; k < 8; k++) {
			g->first_strs[k] = dup0(*src[k]);
			*dst[k] = g->first_strs[k];
		}
		assert_true(p->nextra <= 8 && p->nmedia <= 8);
		for (size_t k = 0; k < p->nextra; k++) {
			g->xn[k] = strdup(p->extra_names[k]);
			g->xv[k] = strdup(p->extra_values[k]);
		}
		for (size_t k = 0; k < p->nmedia; k++)
			g->media[k] = strdup(p->media[k]->path);
		g->first.extra_names = (const char *const *)g->xn;
		g->first.extra_values = (const char *const *)g->xv;
		g->first.media = NULL;
	}
	g->n++;
	return g->stop_after != 0 && g->n >= (size_t)g->stop_after;
}

static void got_free(got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->name[i]);
	for (size_t k = 0; k < 16; k++)
		free(g->first_strs[k]);
	for (size_t k = 0; k < 8; k++) {
		free(g->xn[k]);
		free(g->xv[k]);
		free(g->media[k]);
	}
	memset(g, 0, sizeof *g);
}

static const char *extra(const got *g, const char *name)
{
	for (size_t k = 0; k < g->first.nextra; k++)
		if (strcmp(g->xn[k], name) == 0)
			return g->xv[k];
	return NULL;
}

/* What one person reads as: every field (NULL: absent), extras and media in order. */
typedef struct want_person {
	const char *find; /* the kist_vault_person_find() argument */
	int64_t id;
	const char *name, *aliases, *relation, *born, *location, *status, *contact, *notes;
	size_t nextra;
	const char *extra[3][2]; /* name, value */
	size_t nmedia;
	const char *media[3];
} want_person;

static void expect_str(const char *find, const char *field, const char *have, const char *want)
{
	if ((have == NULL) != (want == NULL) || (have != NULL && strcmp(have, want) != 0))
		fail_msg("person \"%s\": %s is \"%s\", want \"%s\"", find, field,
		         have ? have : "(absent)", want ? want : "(absent)");
}

static void expect_person(kist_vault *v, const want_person *w)
{
	got g;
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_person_find(v, w->find, collect, &g), KIST_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.first.id, w->id);
	const char *gf[] = {g.first.name,     g.first.aliases, g.first.relation, g.first.born,
	                    g.first.location, g.first.status,  g.first.contact,  g.first.notes};
	const char *wf[] = {w->name,     w->aliases, w->relation, w->born,
	                    w->location, w->status,  w->contact,  w->notes};
	static const char *const names[] = {"name",     "aliases", "relation", "born",
	                                    "location", "status",  "contact",  "notes"};
	for (size_t k = 0; k < 8; k++)
		expect_str(w->find, names[k], gf[k], wf[k]);
	assert_int_equal(g.first.nextra, w->nextra);
	for (size_t k = 0; k < w->nextra; k++)
		expect_str(w->find, w->extra[k][0], extra(&g, w->extra[k][0]), w->extra[k][1]);
	assert_int_equal(g.first.nmedia, w->nmedia);
	for (size_t k = 0; k < w->nmedia; k++)
		expect_str(w->find, "media", g.media[k], w->media[k]);
	got_free(&g);
}

/* The ids a search finds, as "1,4" (in the order given). */
static void search_ids(kist_vault *v, const char *q, char *out, size_t cap)
{
	got g;
	memset(&g, 0, sizeof g);
	kist_err err = kist_vault_people(v, q, collect, &g);
	if (err != KIST_OK)
		fail_msg("search \"%s\": %s: %s", q, kist_strerror(err), kist_errdetail());
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < g.n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%lld", i ? "," : "", (long long)g.id[i]);
	got_free(&g);
}

/* Same, sorted ascending (for searches whose ranking among equals is not specified). */
static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void search_set(kist_vault *v, const char *q, char *out, size_t cap)
{
	got g;
	long long ids[MAXP];
	memset(&g, 0, sizeof g);
	kist_err err = kist_vault_people(v, q, collect, &g);
	if (err != KIST_OK)
		fail_msg("search \"%s\": %s: %s", q, kist_strerror(err), kist_errdetail());
	for (size_t i = 0; i < g.n; i++)
		ids[i] = g.id[i];
	qsort(ids, g.n, sizeof ids[0], cmp_ll);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < g.n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%lld", i ? "," : "", ids[i]);
	got_free(&g);
}

/*
 * One search and the ids it finds, as "1,4": in that order, or (set) in any
 * order, for searches whose ranking among equals is not specified.  A failure
 * names the search.
 */
typedef struct search_case {
	const char *q, *want;
	int set;
} search_case;

static void expect_search(kist_vault *v, const search_case *c)
{
	char ids[512];
	if (c->set)
		search_set(v, c->q, ids, sizeof ids);
	else
		search_ids(v, c->q, ids, sizeof ids);
	if (strcmp(ids, c->want) == 0)
		return;
	if (c->set)
		fail_msg("search \"%s\": expected {%s}, got {%s}", c->q, c->want, ids);
	else
		fail_msg("search \"%s\": expected [%s], got [%s]", c->q, c->want, ids);
}

static void expect_searches(kist_vault *v, const search_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_search(v, &c[i]);
}

#define ASSERT_SEARCH(v, q, want)     expect_search((v), &(search_case){(q), (want), 0})
#define ASSERT_SEARCH_SET(v, q, want) expect_search((v), &(search_case){(q), (want), 1})
#define N_CASES(a)                    (sizeof(a) / sizeof((a)[0]))

/* ---- CSV */

/*
 * Each register, and what its people read as.  CSV: BOM, CRLF, upper and
 * mixed-case header names, a quoted field with a comma and doubled quotes, a
 * multi-line quoted note, ';'-separated media with blanks, a repeated media
 * path, unknown columns, a blank line between records; an empty field is
 * absent (contact, the first's "eye colour"); media a and b are linked, the
 * repeat of a once.  JSON: BOM and blanks before the list, lists of aliases
 * and media, numbers, null, booleans and objects, a field name in another
 * case.
 */
static const char csv_features_reg[] =
    "\xef\xbb\xbfNAME,Aliases,relation,Born,location,STATUS,contact,notes,Media,"
    "Shoe Size,eye colour\r\n"
    "\"N\xc3\xba\xc3\xb1\x65z, Jos\xc3\xa9\",\"Pepe; \"\"El Flaco\"\"\",brother,1980,"
    "Krak\xc3\xb3w,missing,,\"line one\r\nline two, with a comma\",media/a.jpg; "
    "./media/b.jpg ;media/a.jpg,42,\r\n"
    "\r\n"
    "Amina,,,,,,,,,,brown\r\n";

/* clang-format off */
static const struct {
	const char *reg;
	want_person want[2];
} features[] = {
    {csv_features_reg, {
	{"1", 1, "N\xc3\xba\xc3\xb1\x65z, Jos\xc3\xa9", "Pepe; \"El Flaco\"", "brother", "1980",
	 "Krak\xc3\xb3w", "missing", NULL, "line one\r\nline two, with a comma",
	 1, {{"Shoe Size", "42"}}, 2, {"media/a.jpg", "media/b.jpg"}},
	{"#2", 2, "Amina", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	 1, {{"eye colour", "brown"}}, 0, {NULL}}}},
    {"\xef\xbb\xbf  [\n"
     " {\"name\": \"Jos\xc3\xa9\", \"aliases\": [\"Pepe\", \"J\"], \"born\": 1980,"
     "  \"status\": null, \"height\": 1.75, \"verified\": true,"
     "  \"tags\": {\"a\": [1, 2], \"b\": \"x\"}, \"Relation\": \"uncle\","
     "  \"media\": [\"media/c.jpg\", \"docs/statement.txt\"]},\n"
     " {\"name\": \"Bea\", \"media\": \"media/a.jpg\", \"aliases\": \"B\"}\n"
     "]\n", {
	{"1", 1, "Jos\xc3\xa9", "Pepe; J", "uncle", "1980", NULL, NULL, NULL, NULL,
	 3, {{"height", "1.75"}, {"verified", "true"}, {"tags", "{\"a\":[1,2],\"b\":\"x\"}"}},
	 2, {"media/c.jpg", "docs/statement.txt"}},
	{"2", 2, "Bea", "B", NULL, NULL, NULL, NULL, NULL, NULL,
	 0, {{NULL}}, 1, {"media/a.jpg"}}}},
};
/* clang-format on */

static void test_register_features(void **state)
{
	fx *f = *state;
	for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
		seal_ok(f, "v.kist", features[i].reg);
		kist_vault *v = open_ok(f, "v.kist");
		assert_int_equal(kist_vault_people_count(v), 2);
		for (size_t k = 0; k < 2; k++)
			expect_person(v, &features[i].want[k]);
		kist_vault_close(v);
		unlink("v.kist");
	}
}

static void test_csv_listing(void **state)
{
	fx *f = *state;
	seal_ok(f, "v.kist", csv_features_reg);
	kist_vault *v = open_ok(f, "v.kist");
	/* Listing without a search: every person, in register order; a non-zero
	 * return from the callback stops. */
	ASSERT_SEARCH(v, NULL, "1,2");
	ASSERT_SEARCH(v, "  ", "1,2");
	got g;
	memset(&g, 0, sizeof g);
	g.stop_after = 1;
	assert_int_equal(kist_vault_people(v, NULL, collect, &g), KIST_OK);
	assert_int_equal(g.n, 1);
	got_free(&g);
	kist_vault_close(v);
}

static void test_csv_line_numbers(void **state)
{
	fx *f = *state;
	/* A multi-line field counts its lines: the bad row is on line 6. */
	static const char reg[] = "name,notes\n"
	                          "Ana,\"one\ntwo\nthree\"\n"
	                          "\n"
	                          "Bea,\"x\"y\n";
	sealres r = seal_reg(f, "v.kist", reg, strlen(reg), "reg.csv");
	assert_int_equal(r.add, KIST_E_INPUT);
	if (strstr(r.detail, "reg.csv: line 6") == NULL || strstr(r.detail, "\"notes\"") == NULL)
		fail_msg("detail: %s", r.detail);
	assert_int_equal(access("v.kist", F_OK), -1);
}

/* ---- malformed registers */

typedef struct bad {
	const char *what;
	const char *reg; /* NULL: built by the test */
	kist_err want;
	const char *must[3]; /* substrings of the detail */
} bad;

static const bad bad_regs[] = {
    {"CSV invalid UTF-8",
     "name,notes\nAna,ok\nBea,bad \xff byte\n",
     KIST_E_INPUT,
     {"line 3", "\"notes\"", "UTF-8"}},
    {"CSV overlong UTF-8",
     "name,notes\nAna,\xc0\xaf\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "UTF-8"}},
    {"CSV surrogate", "name\n\xed\xa0\x80\n", KIST_E_INPUT, {"line 2", "\"name\"", "UTF-8"}},
    {"CSV no name column",
     "relation,location\nbrother,Tehran\n",
     KIST_E_INPUT,
     {"line 1", "\"name\"", NULL}},
    {"CSV empty name",
     "name,relation\nAna,sister\n  ,brother\n",
     KIST_E_INPUT,
     {"line 3", "\"name\"", "missing or empty"}},
    {"CSV unterminated quote",
     "name,notes\nAna,\"never\nends\n\nat all\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "unterminated"}},
    {"CSV too many fields",
     "name,relation\nAna,sister\nBea,sister,extra\n",
     KIST_E_INPUT,
     {"line 3", "too many fields", NULL}},
    {"CSV too few fields",
     "name,relation,location\nAna,sister\n",
     KIST_E_INPUT,
     {"line 2", "2 fields", "header has 3"}},
    {"CSV quote in unquoted field",
     "name,notes\nAna,say \"hi\"\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "quote"}},
    {"CSV junk after closing quote",
     "name,notes\nAna,\"hi\"x\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "closing quote"}},
    {"CSV duplicate column",
     "name,relation,RELATION\nAna,a,b\n",
     KIST_E_INPUT,
     {"line 1", "twice", NULL}},
    {"CSV unnamed column", "name,,relation\nAna,a,b\n", KIST_E_INPUT, {"line 1", "column 2", NULL}},
    {"CSV control character",
     "name,notes\nAna,esc \x1b[31m red\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "control character"}},
    {"CSV header only", "name,relation\n", KIST_E_INPUT, {"no records", NULL, NULL}},
    {"CSV empty", "", KIST_E_INPUT, {"empty", NULL, NULL}},
    {"JSON syntax error", "[{\"name\": \"Ana\",}]", KIST_E_INPUT, {"line 1", "column", NULL}},
    {"JSON syntax error line 3",
     "[\n{\"name\": \"Ana\"},\n{\"name\" \"Bea\"}\n]",
     KIST_E_INPUT,
     {"line 3", NULL, NULL}},
    {"JSON not an array", "{\"name\": \"Ana\"}", KIST_E_INPUT, {"array", NULL, NULL}},
    {"JSON record not an object",
     "[{\"name\": \"Ana\"}, \"Bea\"]",
     KIST_E_INPUT,
     {"index 1", "not an object", NULL}},
    {"JSON missing name",
     "[{\"name\": \"Ana\"}, {\"relation\": \"x\"}]",
     KIST_E_INPUT,
     {"index 1", "\"name\"", NULL}},
    {"JSON empty name", "[{\"name\": \" \"}]", KIST_E_INPUT, {"index 0", "\"name\"", NULL}},
    {"JSON null name", "[{\"name\": null}]", KIST_E_INPUT, {"index 0", "\"name\"", NULL}},
    {"JSON name is an object",
     "[{\"name\": {\"first\": \"Ana\"}}]",
     KIST_E_INPUT,
     {"index 0", "\"name\"", NULL}},
    {"JSON media item not a string",
     "[{\"name\": \"Ana\"}, {\"name\": \"Bea\", \"media\": [\"media/a.jpg\", 7]}]",
     KIST_E_INPUT,
     {"index 1", "\"media\"", "item 1"}},
    {"JSON alias item not a string",
     "[{\"name\": \"Ana\", \"aliases\": [\"A\", null]}]",
     KIST_E_INPUT,
     {"index 0", "\"aliases\"", NULL}},
    {"JSON control character",
     "[{\"name\": \"Ana\", \"notes\": \"a\\u001bb\"}]",
     KIST_E_INPUT,
     {"index 0", "\"notes\"", "control"}},
    {"JSON NUL escape", "[{\"name\": \"A\\u0000na\"}]", KIST_E_INPUT, {"line 1", NULL, NULL}},
    {"JSON invalid UTF-8",
     "[{\"name\": \"Ana\"},\n {\"name\": \"B\xff\"}]",
     KIST_E_INPUT,
     {"index 1", "\"name\"", "UTF-8"}},
    /* Strings holding brackets, commas and escaped quotes, nested values and
     * lists before the bad byte: the record and field are still found. */
    {"JSON invalid UTF-8 after nesting",
     "[{\"name\": \"A, \\\"[{\"}, {\"x\": {\"a\": [1, {\"b\": 2}]}, \"name\": \"Bea\"},\n"
     " {\"name\": \"Cy\", \"tags\": [\"x\", \"y\"], \"notes\": \"\xc3(\"}]",
     KIST_E_INPUT,
     {"index 2", "\"notes\"", "UTF-8"}},
    {"JSON invalid UTF-8 in a key",
     "[{\"name\": \"Ana\", \"n\xffo\": 1}]",
     KIST_E_INPUT,
     {"index 0", "a field name", "UTF-8"}},
    {"JSON invalid UTF-8 outside records", "[\"\xff\"]", KIST_E_INPUT, {"line 1", "UTF-8", NULL}},
    {"JSON duplicate key",
     "[{\"name\": \"Ana\", \"name\": \"Bea\"}]",
     KIST_E_INPUT,
     {"line 1", "duplicate", NULL}},
    {"JSON name given twice",
     "[{\"name\": \"Ana\", \"NAME\": \"Bea\"}]",
     KIST_E_INPUT,
     {"index 0", "twice", NULL}},
    {"JSON extra field given twice in other case",
     "[{\"name\": \"Ana\", \"Camp\": \"B\", \"camp\": \"C\"}]",
     KIST_E_INPUT,
     {"index 0", "\"camp\"", "twice"}},
    {"CSV C1 control (U+009B, CSI to some terminals)",
     "name,notes\nAna,x\xc2\x9b"
     "31mred\n",
     KIST_E_INPUT,
     {"line 2", "\"notes\"", "control character"}},
    {"JSON empty list", "[]", KIST_E_INPUT, {"empty", NULL, NULL}},
};

static void check_bad(fx *f, const char *what, const void *reg, size_t len, kist_err want,
                      const char *const *must, int at_write)
{
	sealres r = seal_reg(f, "bad.kist", reg, len, "reg");
	kist_err got_err = at_write ? r.write : r.add;
	if (at_write)
		assert_int_equal(r.add, KIST_OK);
	if (got_err != want)
		fail_msg("%s: expected %s, got %s (%s)", what, kist_strerror(want),
		         kist_strerror(got_err), r.detail);
	for (int i = 0; i < 3; i++)
		if (must[i] != NULL && strstr(r.detail, must[i]) == NULL)
			fail_msg("%s: the detail \"%s\" does not say \"%s\"", what, r.detail,
			         must[i]);
	if (strstr(r.detail, "reg") != r.detail)
		fail_msg("%s: the detail \"%s\" does not start with the register's name", what,
		         r.detail);
	struct stat st;
	if (stat("bad.kist", &st) == 0)
		fail_msg("%s: a vault was written", what);
	assert_int_equal(tu_count_tree("."), 6); /* media/ (3), docs/ (1): no temp files */
}

static void test_malformed_registers(void **state)
{
	fx *f = *state;
	for (size_t i = 0; i < sizeof bad_regs / sizeof bad_regs[0]; i++)
		check_bad(f, bad_regs[i].what, bad_regs[i].reg, strlen(bad_regs[i].reg),
		          bad_regs[i].want, bad_regs[i].must, 0);

	/* A NUL byte inside a CSV field. */
	static const char nul[] = "name,notes\nAna,a\0b\n";
	const char *m_nul[3] = {"line 2", "\"notes\"", "NUL"};
	check_bad(f, "CSV NUL byte", nul, sizeof nul - 1, KIST_E_INPUT, m_nul, 0);

	/* A field over KIST_MAX_FIELD_BYTES: exactly one byte over, and far over
	 * (the reader stops early), unquoted and quoted. */
	for (int quoted = 0; quoted < 2; quoted++)
		for (size_t over = 1; over <= 1000; over += 999) {
			size_t n = KIST_MAX_FIELD_BYTES + over;
			char *reg = malloc(n + 64);
			assert_non_null(
			    reg); /* the writes below are short literals within the headroom */
			size_t o =
			    (size_t)snprintf(reg, n + 64, "name,notes\nAna,%s", quoted ? "\"" : "");
			memset(reg + o, 'x', n);
			o += n;
			o += (size_t)snprintf(reg + o, n + 64 - o, "%s\n", quoted ? "\"" : "");
			const char *m[3] = {"line 2", "\"notes\"", "longer than"};
			check_bad(f, "field over the limit", reg, o, KIST_E_INPUT, m, 0);
			free(reg);
		}
	/* Exactly at the limit is accepted. */
	{
		size_t n = KIST_MAX_FIELD_BYTES;
		char *reg = malloc(n + 64);
		assert_non_null(reg); /* the writes below are short literals within the headroom */
		size_t o = (size_t)snprintf(reg, n + 64, "name,notes\nAna,");
		memset(reg + o, 'x', n);
		o += n;
		reg[o++] = '\n';
		sealres r = seal_reg(f, "ok.kist", reg, o, "reg");
		assert_int_equal(r.add, KIST_OK);
		assert_int_equal(r.write, KIST_OK);
		unlink("ok.kist");
		free(reg);
	}
	/* A JSON alias list joined beyond the limit. */
	{
		size_t n = KIST_MAX_FIELD_BYTES / 2 + 10;
		char *reg = malloc(2 * n + 128);
		assert_non_null(reg); /* the writes below are short literals within the headroom */
		size_t cap = 2 * n + 128;
		size_t o = (size_t)snprintf(reg, cap, "[{\"name\": \"Ana\", \"aliases\": [\"");
		memset(reg + o, 'a', n);
		o += n;
		o += (size_t)snprintf(reg + o, cap - o, "\", \"");
		memset(reg + o, 'b', n);
		o += n;
		o += (size_t)snprintf(reg + o, cap - o, "\"]}]");
		const char *m[3] = {"index 0", "\"aliases\"", "longer than"};
		check_bad(f, "JSON aliases over the limit", reg, o, KIST_E_INPUT, m, 0);
		free(reg);
	}
	/* More columns than KIST_MAX_REGISTER_COLUMNS. */
	{
		size_t cap = 8 * (KIST_MAX_REGISTER_COLUMNS + 2) + 16;
		char *reg = malloc(cap);
		assert_non_null(reg); /* the writes below are short literals within the headroom */
		size_t o = (size_t)snprintf(reg, cap, "name");
		for (int c = 0; c < KIST_MAX_REGISTER_COLUMNS; c++)
			o += (size_t)snprintf(reg + o, cap - o, ",c%d", c);
		o += (size_t)snprintf(reg + o, cap - o, "\nAna\n");
		const char *m[3] = {"line 1", "columns", NULL};
		check_bad(f, "too many columns", reg, o, KIST_E_LIMIT, m, 0);
		free(reg);
	}
	/* A register over KIST_MAX_REGISTER_BYTES, from memory and from a file. */
	{
		size_t n = (size_t)KIST_MAX_REGISTER_BYTES + 1;
		char *reg = malloc(n);
		assert_non_null(reg); /* the writes below are short literals within the headroom */
		memset(reg, 'a', n);
		memcpy(reg, "name\n", 5);
		const char *m[3] = {"MiB", NULL, NULL};
		check_bad(f, "register over the limit", reg, n, KIST_E_LIMIT, m, 0);
		FILE *fp = fopen("big-register.csv", "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(reg, 1, n, fp), n);
		assert_int_equal(fclose(fp), 0);
		free(reg);
		kist_sealer *s = NULL;
		assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
		assert_int_equal(kist_sealer_add_people(s, "big-register.csv"), KIST_E_LIMIT);
		assert_non_null(strstr(kist_errdetail(), "big-register.csv"));
		unlink("big-register.csv");
		kist_sealer_free(s);
		unlink("big-register.csv");
	}
	/* A media path that is not in the vault: refused by kist_sealer_write(),
	 * naming the row (CSV line, JSON index) and the path; no vault written.
	 * An absolute path is not a stored path either. */
	static const bad bad_media[] = {
	    {"CSV media not in the vault",
	     "name,media\nAna,media/a.jpg\nBea,media/a.jpg;media/nope.jpg\n",
	     KIST_E_INPUT,
	     {"line 3", "media/nope.jpg", "Bea"}},
	    {"JSON media not in the vault",
	     "[{\"name\": \"Ana\", \"media\": \"media/a.jpg\"},"
	     "{\"name\": \"Bea\", \"media\": [\"docs/missing.txt\"]}]",
	     KIST_E_INPUT,
	     {"index 1", "docs/missing.txt", NULL}},
	    {"absolute media path",
	     "name,media\nAna,/etc/passwd\n",
	     KIST_E_INPUT,
	     {"line 2", "/etc/passwd", NULL}},
	};
	for (size_t i = 0; i < N_CASES(bad_media); i++)
		check_bad(f, bad_media[i].what, bad_media[i].reg, strlen(bad_media[i].reg),
		          bad_media[i].want, bad_media[i].must, 1);
	/* A refused register leaves nothing behind in the sealer: a good one added
	 * after it is sealed alone. */
	{
		kist_sealer *s = NULL;
		kist_pubkey pk;
		assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
		kist_identity_pubkey(f->id, &pk);
		assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
		assert_int_equal(kist_sealer_add_path(s, "media"), KIST_OK);
		static const char half[] = "name\nAna\nBea\n\"Cy\n";
		assert_int_equal(kist_sealer_add_people_buf(s, half, strlen(half), "half"),
		                 KIST_E_INPUT);
		static const char good[] = "[{\"name\": \"Dee\"}]";
		assert_int_equal(kist_sealer_add_people_buf(s, good, strlen(good), "good"),
		                 KIST_OK);
		assert_int_equal(kist_sealer_write(s, "two.kist", 0), KIST_OK);
		kist_sealer_free(s);
		kist_vault *v = open_ok(f, "two.kist");
		assert_int_equal(kist_vault_people_count(v), 1);
		kist_vault_close(v);
		unlink("two.kist");
	}
}

/* ---- JSON */

static void test_several_registers(void **state)
{
	fx *f = *state;
	kist_vault *v;
	got g;
	/* Several registers in one vault: ids continue in order. */
	kist_sealer *s = NULL;
	kist_pubkey pk;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	kist_identity_pubkey(f->id, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "media"), KIST_OK);
	assert_int_equal(kist_sealer_add_people_buf(s, "name\nAna\nBea\n", 13, "a.csv"), KIST_OK);
	assert_int_equal(kist_sealer_add_people_buf(s, "[{\"name\":\"Cy\"}]", 15, "b.json"),
	                 KIST_OK);
	/* An empty register after others is still refused, and changes nothing. */
	assert_int_equal(kist_sealer_add_people_buf(s, "name\n", 5, "c.csv"), KIST_E_INPUT);
	assert_int_equal(kist_sealer_add_people_buf(s, "[]", 2, "d.json"), KIST_E_INPUT);
	assert_int_equal(kist_sealer_write(s, "two.kist", 0), KIST_OK);
	kist_sealer_free(s);
	v = open_ok(f, "two.kist");
	assert_int_equal(kist_vault_people_count(v), 3);
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_people(v, NULL, collect, &g), KIST_OK);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.name[0], "Ana");
	assert_string_equal(g.name[1], "Bea");
	assert_string_equal(g.name[2], "Cy");
	got_free(&g);
	kist_vault_close(v);
}

/* ---- search and lookup */

/* Ids 1..10.  3 is Persian (yeh U+06CC, kaf U+06A9), 8 Arabic (yeh U+064A, kaf U+0643). */
static const char search_reg[] =
    "name,aliases,relation,location,notes,media\n"
    "Jos\xc3\xa9 N\xc3\xba\xc3\xb1\x65z,,brother,Krak\xc3\xb3w,last seen at the "
    "station,media/a.jpg;media/b.jpg\n"
    "Anna Kowalska,,sister,Krakow,,media/c.jpg\n"
    "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xd8\xb1\xd8\xb6\xd8\xa7\xdb\x8c\xdb\x8c,,father,"
    "\xda\xa9\xd8\xb1\xd9\x85\xd8\xa7\xd9\x86,,docs/statement.txt\n"
    "Zo\xc3\xab Martin,,witness,Lyon,her statement mentions Nunez twice,\n"
    "Peter Grant,,neighbour,Leeds,,\n"
    "Fatima Haddad,Umm Ali,mother,Aleppo,,\n"
    "Ali Hassan,,cousin,Aleppo,,\n"
    "\xd8\xb9\xd9\x84\xd9\x8a \xd9\x83\xd8\xb1\xd9\x8a\xd9\x85\xd9\x8a,,uncle,Homs,,\n"
    "Ali Hassan,,friend,Beirut,,\n"
    "Marie-Th\xc3\xa9r\xc3\xa8se Dub\xc5\x93uf,,aunt,Qu\xc3\xa9\x62\x65\x63,,\n";

static void test_search(void **state)
{
	fx *f = *state;
	seal_ok(f, "v.kist", search_reg);
	kist_vault *v = open_ok(f, "v.kist");
	assert_int_equal(kist_vault_people_count(v), 10);

	static const search_case searches[] = {
	    /* Case and Latin accents. */
	    {"KRAKOW", "1,2", 1},
	    {"krak\xc3\xb3w", "1,2", 1},
	    {"jose", "1", 0},
	    {"JOS\xc3\x89", "1", 0},
	    {"zoe", "4", 0},
	    {"therese", "10", 0},
	    {"dubo", "10", 0},   /* "œ" folds to "oe": a word prefix */
	    {"quebec", "10", 0}, /* é in the middle of a word */
	    /* Fragments: a word's beginning, and (three characters or more) any part. */
	    {"krak", "1,2", 1},
	    {"kr", "1,2", 1},
	    {"rako", "1,2", 1},
	    {"owalsk", "2", 0},
	    {"atim", "6", 0},
	    {"ak", "", 0}, /* two characters mid-word: not a fragment search */
	    /* Relations, places, aliases, notes. */
	    {"sister", "2", 0},
	    {"Cousin", "7", 0},
	    {"aleppo", "6,7", 1},
	    {"umm", "6", 0},
	    {"station", "1", 0},
	    /* Every word must match. */
	    {"aleppo cousin", "7", 0},
	    {"mother  ALEPPO", "6", 0},
	    {"aleppo uncle", "", 0},
	    {"leppo cous", "7", 0}, /* two fragments */
	    {"ati", "6,1", 0},      /* a fragment in a name before one in notes */
	    {"ssan ali", "7,9", 0}, /* a fragment and a word */
	    /* Best match first: a name hit ranks above a notes hit. */
	    {"nunez", "1,4", 0},
	    {"N\xc3\x9a\xc3\x91\x45Z", "1,4", 0},
	    /* Persian and Arabic: exact words, with the letter variants unified. */
	    {"\xda\xa9\xd8\xb1\xd9\x85\xd8\xa7\xd9\x86", "3", 0}, /* Persian kaf */
	    {"\xd9\x83\xd8\xb1\xd9\x85\xd8\xa7\xd9\x86", "3", 0}, /* Arabic kaf */
	    {"\xd8\xb1\xd8\xb6\xd8\xa7\xdb\x8c\xdb\x8c", "3", 0}, /* Persian yeh */
	    {"\xd8\xb1\xd8\xb6\xd8\xa7\xd9\x8a\xd9\x8a", "3", 0}, /* Arabic yeh */
	    {"\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", "3", 0},
	    /* with harakat (damma, fatha, shadda) */
	    {"\xd9\x85\xd9\x8f\xd8\xad\xd9\x8e\xd9\x85\xd9\x91\xd9\x8e\xd8\xaf", "3", 0},
	    {"\xd8\xb9\xd9\x84\xd9\x8a", "8", 0},                          /* Arabic */
	    {"\xd8\xb9\xd9\x84\xdb\x8c", "8", 0},                          /* Persian */
	    {"\xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c", "8", 0},          /* Persian */
	    {"\xd8\xb9\xd9\x84\xdb\x8c \xd9\x83\xd8\xb1\xd9\x8a", "8", 0}, /* mixed */
	    /* Nobody, and inputs FTS5 would read as syntax: no error, no match. */
	    {"zzzz", "", 0},
	    {"\"", "", 0},
	    {"* AND OR NOT (", "", 0},
	    {"name:jose", "", 0},
	    {"NEAR(a b)", "", 0},
	    {"'; DROP TABLE people; --", "", 0},
	};
	expect_searches(v, searches, N_CASES(searches));
	got g;
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_people(v, "bad \xff", collect, &g), KIST_E_ARG);
	assert_int_equal(g.n, 0);
	/* At most 32 words. */
	char many[33 * 4 + 1] = "";
	for (int i = 0; i < 32; i++)
		strcat(many, "ali ");
	ASSERT_SEARCH_SET(v, many, "6,7,9");
	strcat(many, "ali");
	assert_int_equal(kist_vault_people(v, many, collect, &g), KIST_E_ARG);
	assert_int_equal(g.n, 0);
	/* The search tables are not a way to change anything: still 10 people. */
	ASSERT_SEARCH(v, NULL, "1,2,3,4,5,6,7,8,9,10");

	/* Media come with the people found. */
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_people(v, "jose", collect, &g), KIST_OK);
	assert_int_equal(g.first.nmedia, 2);
	assert_string_equal(g.media[0], "media/a.jpg");
	assert_string_equal(g.media[1], "media/b.jpg");
	got_free(&g);
	kist_vault_close(v);
}

/* Case in every script, Vietnamese diacritics, and searches that fold to nothing. */
static void test_search_scripts(void **state)
{
	fx *f = *state;
	static const char reg[] =
	    "name,notes\n"
	    "\xd0\xa1\xd0\x95\xd0\x9c\xd0\x81\xd0\x9d\xd0\x9e\xd0\x92,\n" /* СЕМЁНОВ */
	    "NGUY\xe1\xbb\x84N V\xc4\x82N,\n"                             /* NGUYỄN VĂN */
	    "\xd5\x84\xd4\xbf\xd5\x90\xd5\x8f\xd5\x89\xd5\x85\xd4\xb1\xd5\x86,\n" /* ՄԿՐՏՉՅԱՆ */
	    "Plain Name,\n";
	seal_ok(f, "v.kist", reg);
	kist_vault *v = open_ok(f, "v.kist");
	static const search_case searches[] = {
	    /* Fragments inside a word, in lower case, of names written in capitals. */
	    {"\xd0\xbc\xd1\x91\xd0\xbd", "1", 0}, /* мён */
	    {"uy\xe1\xbb\x85", "2", 0},           /* uyễ */
	    {"uye", "2", 0},
	    {"\xd5\xaf\xd6\x80\xd5\xbf", "3", 0}, /* կրտ */
	    /* Only characters folding drops: nobody, not everybody. */
	    {"\xd9\x80", "", 0},                  /* tatweel */
	    {"\xd9\x8e\xd9\x91 \xd9\x80", "", 0}, /* fatha, shadda */
	};
	expect_searches(v, searches, N_CASES(searches));
	kist_vault_close(v);
}

static void test_person_find(void **state)
{
	fx *f = *state;
	seal_ok(f, "v.kist", search_reg);
	kist_vault *v = open_ok(f, "v.kist");
	got g;
	static const struct {
		const char *who;
		int64_t id;
	} ok[] = {{"1", 1},
	          {"#2", 2},
	          {"10", 10},
	          {"jose nunez", 1},
	          {"JOS\xc3\x89 N\xc3\x9a\xc3\x91\x45Z", 1},
	          {"Jos\xc3\xa9 N\xc3\xba\xc3\xb1\x65z", 1},
	          {"anna kowalska", 2},
	          {"\xd8\xb9\xd9\x84\xdb\x8c \xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c", 8}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		memset(&g, 0, sizeof g);
		kist_err err = kist_vault_person_find(v, ok[i].who, collect, &g);
		if (err != KIST_OK || g.n != 1 || g.id[0] != ok[i].id)
			fail_msg("find \"%s\": %s (%s), %zu found, id %lld", ok[i].who,
			         kist_strerror(err), kist_errdetail(), g.n,
			         (long long)(g.n ? g.id[0] : 0));
		got_free(&g);
	}
	static const char *const notfound[] = {
	    "0", "11", "#11", "#0", "99999", "Nobody", "jose", "#jose nunez", "1a", "", "#"};
	for (size_t i = 0; i < sizeof notfound / sizeof notfound[0]; i++) {
		memset(&g, 0, sizeof g);
		kist_err err = kist_vault_person_find(v, notfound[i], collect, &g);
		if (err != KIST_E_NOTFOUND || g.n != 0)
			fail_msg("find \"%s\": expected not found, got %s (%s), %zu found",
			         notfound[i], kist_strerror(err), kist_errdetail(), g.n);
	}
	/* Two people named Ali Hassan: refused, the detail lists both ids. */
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_person_find(v, "ALI HASSAN", collect, &g), KIST_E_ARG);
	assert_int_equal(g.n, 0);
	assert_non_null(strstr(kist_errdetail(), "#7"));
	assert_non_null(strstr(kist_errdetail(), "#9"));
	assert_int_equal(kist_vault_person_find(v, NULL, collect, &g), KIST_E_ARG);
	/* Invalid UTF-8 is not a name: no crash, not found. */
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_person_find(v, "\xff\xfe\xc3", collect, &g), KIST_E_NOTFOUND);
	kist_vault_close(v);
}

/* ---- the search scan against FTS5 */

/* The ids a search or a query gives, in order (approximate ones left out). */
typedef struct idlist {
	size_t n;
	int64_t id[512];
} idlist;

static int collect_exact(void *ctx, const kist_person *p)
{
	idlist *l = ctx;
	if (!p->approximate && l->n < 512)
		l->id[l->n++] = p->id;
	return 0;
}

static int collect_rowid(void *ctx, size_t ncols, const char *const *names, const kist_value *vals)
{
	idlist *l = ctx;
	(void)ncols;
	(void)names;
	if (vals != NULL && vals[0].type == KIST_VALUE_INTEGER && l->n < 512)
		l->id[l->n++] = vals[0].integer;
	return 0;
}

/* s as an SQL string literal, appended to q. */
static void sql_lit(char *q, size_t cap, const char *s, size_t n)
{
	size_t o = strlen(q);
	q[o++] = '\'';
	for (size_t i = 0; i < n && o + 3 < cap; i++) {
		if (s[i] == '\'')
			q[o++] = '\'';
		q[o++] = s[i];
	}
	q[o++] = '\'';
	q[o] = '\0';
}

/*
 * What the search found with FTS5 tables before it became a scan, as SQL on
 * the tables kist query still builds: MATCH on people_words ranked with
 * bm25(10, 5, 1), then instr() fragments when every word has three
 * characters or more.
 */
static void fts5_oracle(kist_vault *v, const char *search, idlist *want)
{
	char *folded = kist__fold(search), match[2048] = "", q[8192];
	const char *w[32];
	size_t wl[32], nw = 0;
	int grams = 1;
	for (char *p = folded; *p != '\0' && nw < 32;) {
		p += strspn(p, " \t\r\n");
		size_t n = strcspn(p, " \t\r\n");
		if (n == 0)
			break;
		w[nw] = p;
		wl[nw++] = n;
		size_t chars = 0;
		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)p[i] & 0xc0) != 0x80;
		grams &= chars >= 3;
		size_t o = strlen(match);
		o += (size_t)snprintf(match + o, sizeof match - o, "%s\"", nw > 1 ? " AND " : "");
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				match[o++] = '"';
			match[o++] = p[i];
		}
		snprintf(match + o, sizeof match - o, "\"*");
		p += n;
	}
	memset(want, 0, sizeof *want);
	snprintf(q, sizeof q, "SELECT rowid FROM people_words WHERE people_words MATCH ");
	sql_lit(q, sizeof q, match, strlen(match));
	strcat(q, " ORDER BY bm25(people_words, 10.0, 5.0, 1.0), rowid");
	if (nw > 0)
		kist_vault_query(v, q, collect_rowid, want); /* a query FTS5 refuses finds nobody */
	if (nw > 0 && grams) {
		idlist frag;
		memset(&frag, 0, sizeof frag);
		snprintf(q, sizeof q, "SELECT rowid FROM people_words WHERE ");
		for (size_t i = 0; i < nw; i++) {
			strcat(q, "instr(name || char(10) || aliases || char(10) || other, ");
			sql_lit(q, sizeof q, w[i], wl[i]);
			strcat(q, ") > 0 AND ");
		}
		strcat(q, "1 ORDER BY instr(name, ");
		sql_lit(q, sizeof q, w[0], wl[0]);
		strcat(q, ") = 0, instr(aliases, ");
		sql_lit(q, sizeof q, w[0], wl[0]);
		strcat(q, ") = 0, rowid");
		assert_int_equal(kist_vault_query(v, q, collect_rowid, &frag), KIST_OK);
		for (size_t i = 0; i < frag.n; i++) {
			size_t k = 0;
			while (k < want->n && want->id[k] != frag.id[i])
				k++;
			if (k == want->n)
				want->id[want->n++] = frag.id[i];
		}
	}
	free(folded);
}

static uint32_t next_rand(uint32_t *seed, size_t n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (uint32_t)((*seed >> 16) % n);
}

/*
 * The scan finds what FTS5 found, in the same order (bm25's ties and all),
 * over a register of mixed scripts, accents, combining marks, punctuation
 * and repeated words: case, diacritics, transliterated forms, partial words.
 */
static void test_search_matches_fts5(void **state)
{
	fx *f = *state;
	static const char *const given[] = {
	    "Jos\xc3\xa9",
	    "M\xc3\xbcller",
	    "Amira",
	    "\xc3\x96l\xc3\xa7\x65r",
	    "NGUY\xe1\xbb\x84N",
	    "\xce\x86\xce\xbd\xce\xbd\xce\xb1",
	    "\xc3\x91u\xc3\xb1o",
	    "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",
	    "\xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c",
	    "Zo\xc3\xab",
	    "\xc5\x81ukasz",
	    "Jean-Luc",
	    "O'Brien",
	    "e\xcc\x81lodie",
	    "Stra\xc3\x9f\x65",
	    "\xc4\xb0smail",
	    "\xd0\x94\xd0\xbc\xd0\xb8\xd1\x82\xd1\x80\xd0\xb8\xd0\xb9",
	    "\xe6\x9d\x8e",
	    "amira",
	    "Amira-Bahar",
	    "Ali Ali",
	    "x.y"};
	static const char *const family[] = {"Karimi",
	                                     "al-Karimi",
	                                     "Hosseini",
	                                     "Hoseini",
	                                     "Krakow",
	                                     "Krak\xc3\xb3w",
	                                     "Mueller",
	                                     "Smith",
	                                     "Smithson",
	                                     "Abbasi",
	                                     "Abbas",
	                                     "Nguyen",
	                                     "Ali",
	                                     "\xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c",
	                                     "\xd9\x83\xd8\xb1\xd9\x8a\xd9\x85\xd9\x8a",
	                                     "smith smith"};
	static const char *const rel[] = {"brother", "sister", "witness", "", "Smith"};
	static const char *const loc[] = {"Krak\xc3\xb3w",   "Krakow", "Leeds",
	                                  "Sheffield-Leeds", "",       "al-Karimi street 12"};
	static const char *const notes[] = {"sample statement",
	                                    "statement 12",
	                                    "",
	                                    "seen at Leeds market",
	                                    "karimi sample amira",
	                                    "\xce\x86\xce\xbd\xce\xbd\xce\xb1 and Ali"};
	static const char *const village[] = {"Ali", "x-y", "", "M\xc3\xbcller", "amira amira"};
	static const char *const searches[] = {
	    "amira",
	    "ami",
	    "AMIRA",
	    "kar",
	    "karimi",
	    "al-karimi",
	    "al",
	    "m\xc3\xbcller",
	    "muller",
	    "mueller",
	    "krak",
	    "krak\xc3\xb3w leeds",
	    "jose",
	    "jos\xc3\xa9",
	    "sam sta",
	    "sample statement",
	    "ali ali",
	    "ali",
	    "-",
	    "o'brien",
	    "brien",
	    "\xce\xb1\xce\xbd\xce\xbd\xce\xb1",
	    "\xce\x86\xce\xbd",
	    "\xd0\xb4\xd0\xbc\xd0\xb8\xd1\x82\xd1\x80\xd0\xb8\xd0\xb9",
	    "smith",
	    "smiths",
	    "smith smith",
	    "leeds",
	    "she",
	    "1970",
	    "19",
	    "l",
	    "a b",
	    "\xc3\xa9lodie",
	    "elodie",
	    "e\xcc\x81lodie",
	    "stra\xc3\x9f\x65",
	    "strasse",
	    "ismail",
	    "hoseini",
	    "nguyen",
	    "\xe6\x9d\x8e",
	    "x-y",
	    "x.y",
	    "li",
	    "\xda\xa9\xd8\xb1\xdb\x8c\xd9\x85\xdb\x8c",
	    "\xd9\x83\xd8\xb1\xd9\x8a\xd9\x85\xd9\x8a",
	    "\"quoted\"",
	    "ali amira statement",
	    "zoe",
	    "lukasz",
	    "jean luc",
	    "jean-luc",
	    "12",
	    "street 12",
	    "b",
	    "bahar"};
	uint32_t seed = 7;
#define N(a) (sizeof(a) / sizeof((a)[0]))
	char *reg = malloc(1 << 20);
	size_t o =
	    (size_t)snprintf(reg, 1 << 20, "name,aliases,relation,born,location,notes,village\n");
	for (int i = 0; i < 300; i++) {
		const char *al = next_rand(&seed, 3) == 0 ? given[next_rand(&seed, N(given))] : "";
		const char *gn = given[next_rand(&seed, N(given))];
		const char *fn = family[next_rand(&seed, N(family))];
		const char *re = rel[next_rand(&seed, N(rel))];
		int born = 1960 + (int)next_rand(&seed, 20);
		const char *lo = loc[next_rand(&seed, N(loc))];
		const char *no = notes[next_rand(&seed, N(notes))];
		const char *vi = village[next_rand(&seed, N(village))];
		o += (size_t)snprintf(reg + o, (1 << 20) - o,
		                      "\"%s %s\",\"%s\",\"%s\",%d,\"%s\",\"%s\",\"%s\"\n", gn, fn,
		                      al, re, born, lo, no, vi);
	}
	seal_ok(f, "diff.kist", reg);
	free(reg);
	kist_vault *v = open_ok(f, "diff.kist");
	assert_int_equal(kist_vault_people_count(v), 300);
	size_t nonempty = 0;
	for (size_t i = 0; i < N(searches); i++) {
		idlist have, want;
		memset(&have, 0, sizeof have);
		assert_int_equal(kist_vault_people(v, searches[i], collect_exact, &have), KIST_OK);
		fts5_oracle(v, searches[i], &want);
		nonempty += want.n > 0;
		for (size_t k = 0; k < have.n || k < want.n; k++)
			if (k >= have.n || k >= want.n || have.id[k] != want.id[k])
				fail_msg(
				    "search \"%s\": %zu people, FTS5 %zu; first difference at %zu "
				    "(#%lld against #%lld)",
				    searches[i], have.n, want.n, k,
				    k < have.n ? (long long)have.id[k] : -1,
				    k < want.n ? (long long)want.id[k] : -1);
	}
#undef N
	assert_true(nonempty >= 40); /* the searches find people, not nothing */
	kist_vault_close(v);
}

/* ---- query */

typedef struct rows {
	size_t ncols, nrows;
	char text[4096];
	size_t len;
} rows;

/* Renders the result as "col|col\nval|val\n..." (NULL as "~"). */
static int on_row(void *ctx, size_t ncols, const char *const *names, const kist_value *vals)
{
	rows *r = ctx;
	char cell[512];
	r->ncols = ncols;
	for (size_t c = 0; c < ncols; c++) {
		if (vals == NULL) {
			snprintf(cell, sizeof cell, "%s", names[c]);
		} else if (vals[c].type == KIST_VALUE_INTEGER) {
			snprintf(cell, sizeof cell, "%lld", (long long)vals[c].integer);
		} else if (vals[c].type == KIST_VALUE_TEXT) {
			snprintf(cell, sizeof cell, "%.*s", (int)vals[c].len,
			         (const char *)vals[c].bytes);
		} else if (vals[c].type == KIST_VALUE_REAL) {
			snprintf(cell, sizeof cell, "%g", vals[c].real);
		} else if (vals[c].type == KIST_VALUE_BLOB) {
			snprintf(cell, sizeof cell, "blob:%zu", vals[c].len);
		} else {
			snprintf(cell, sizeof cell, "~");
		}
		int n =
		    snprintf(r->text + r->len, sizeof r->text - r->len, "%s%s", c ? "|" : "", cell);
		if (n > 0 && (size_t)n < sizeof r->text - r->len)
			r->len += (size_t)n;
	}
	if (r->len + 1 < sizeof r->text)
		r->text[r->len++] = '\n';
	r->text[r->len] = '\0';
	if (vals != NULL)
		r->nrows++;
	return 0;
}

static void query_expect(kist_vault *v, const char *sql, const char *want)
{
	rows r;
	memset(&r, 0, sizeof r);
	kist_err err = kist_vault_query(v, sql, on_row, &r);
	if (err != KIST_OK)
		fail_msg("query \"%s\": %s: %s", sql, kist_strerror(err), kist_errdetail());
	if (strcmp(r.text, want) != 0)
		fail_msg("query \"%s\":\nexpected:\n%s\ngot:\n%s", sql, want, r.text);
}

/* A digest of everything a reader can see, to show nothing changed. */
static const char snapshot_sql[] =
    "SELECT (SELECT group_concat(id || ':' || name || ':' || ifnull(relation, '') || ':' || "
    "ifnull(location, ''), ';') FROM people) || '/' || (SELECT group_concat(person_id || '>' "
    "|| entry_id, ';') FROM person_media) || '/' || (SELECT group_concat(person_id || ':' || "
    "field || '=' || value, ';') FROM person_fields) || '/' || (SELECT group_concat(id || ':' "
    "|| path || ':' || size, ';') FROM entries) || '/' || (SELECT count(*) FROM custody) || '/' "
    "|| (SELECT group_concat(vault_id || chunk_size) FROM vault) || '/' || (SELECT "
    "group_concat(type || name || ifnull(sql, ''), ';') FROM sqlite_schema) || '/' || (SELECT "
    "count(*) FROM temp.sqlite_schema) || '/' || (SELECT count(*) FROM people_words) || '/' || "
    "(SELECT count(*) FROM people_grams) AS digest";

static char *snapshot(kist_vault *v)
{
	rows r;
	memset(&r, 0, sizeof r);
	kist_err err = kist_vault_query(v, snapshot_sql, on_row, &r);
	if (err != KIST_OK)
		fail_msg("snapshot: %s: %s", kist_strerror(err), kist_errdetail());
	assert_int_equal(r.nrows, 1);
	return strdup(r.text);
}

static void test_query(void **state)
{
	fx *f = *state;
	static const char reg[] = "name,relation,location,media,Eye colour\n"
	                          "Ana,sister,Leeds,media/a.jpg;docs/statement.txt,green\n"
	                          "Bea,mother,Leeds,media/b.jpg,\n"
	                          "Cy,brother,York,,brown\n";
	seal_ok(f, "v.kist", reg);
	kist_vault *v = open_ok(f, "v.kist");

	static const struct {
		const char *sql, *want;
	} queries[] = {
	    {"SELECT count(*) AS n FROM people", "n\n3\n"},
	    {"SELECT location, count(*) FROM people GROUP BY location ORDER BY 1",
	     "location|count(*)\nLeeds|2\nYork|1\n"},
	    {"SELECT p.name, e.path, e.size FROM people p JOIN person_media pm ON "
	     "pm.person_id = p.id JOIN entries e ON e.id = pm.entry_id ORDER BY p.id, "
	     "e.path",
	     "name|path|size\nAna|docs/statement.txt|10\nAna|media/a.jpg|8\nBea|media/"
	     "b.jpg|8\n"},
	    {"SELECT p.name, f.value FROM people p JOIN person_fields f ON f.person_id = "
	     "p.id WHERE f.field = 'Eye colour' ORDER BY p.id",
	     "name|value\nAna|green\nCy|brown\n"},
	    {"SELECT name, born FROM people WHERE id = 3", "name|born\nCy|~\n"},
	    {"SELECT count(*) FROM entries WHERE type = 'file'", "count(*)\n4\n"},
	    {"  SELECT 1 AS one ; -- trailing comment\n /* and another */ ;", "one\n1\n"},
	    {"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) "
	     "SELECT sum(x) FROM n",
	     "sum(x)\n6\n"},
	    /* The search tables may be read (MATCH) too; each is built when first named. */
	    {"SELECT count(*) FROM temp.sqlite_schema", "count(*)\n0\n"},
	    {"SELECT rowid FROM people_words WHERE people_words MATCH 'leeds' ORDER BY "
	     "rowid",
	     "rowid\n1\n2\n"},
	    {"SELECT count(*) FROM temp.sqlite_schema WHERE name LIKE 'people_gr%'",
	     "count(*)\n0\n"},
	    {"SELECT count(*) FROM PEOPLE_GRAMS WHERE people_grams MATCH 'eed'", "count(*)\n2\n"},
	    {"SELECT count(*) > 0 FROM temp.sqlite_schema WHERE name LIKE 'people_gr%'",
	     "count(*) > 0\n1\n"},
	};
	for (size_t i = 0; i < N_CASES(queries); i++)
		query_expect(v, queries[i].sql, queries[i].want);

	char *before = snapshot(v);
	static const char *const writes[] = {
	    "INSERT INTO people (name) VALUES ('Eve')",
	    "INSERT INTO people VALUES (4, 'Eve', NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
	    "UPDATE people SET name = 'Eve' WHERE id = 1",
	    "DELETE FROM people",
	    "INSERT INTO person_media VALUES (3, 1)",
	    "UPDATE person_media SET entry_id = 1",
	    "DELETE FROM person_media",
	    "INSERT INTO person_fields VALUES (3, 'x', 'y')",
	    "UPDATE person_fields SET value = 'x'",
	    "DELETE FROM person_fields",
	    "INSERT INTO entries (id, path, type, size, mode, mtime, mtime_nsec, offset, "
	    "stored_size, chunks) VALUES (99, 'x', 'file', 0, 0, 0, 0, 0, 0, x'')",
	    "UPDATE entries SET path = 'evil'",
	    "DELETE FROM entries",
	    "UPDATE vault SET recipients = 2",
	    "DELETE FROM vault",
	    "INSERT INTO custody (time, action, tool_version) VALUES (0, 'x', 'y')",
	    "UPDATE custody SET action = 'x'",
	    "DELETE FROM custody",
	    "REPLACE INTO people (id, name) VALUES (1, 'Eve')",
	    "INSERT INTO people SELECT * FROM people",
	    "WITH x AS (SELECT 1) DELETE FROM people",
	    "CREATE TABLE t (x)",
	    "CREATE TABLE main.t AS SELECT * FROM people",
	    "CREATE TEMP TABLE t (x)",
	    "CREATE TEMP VIEW w AS SELECT 1",
	    "CREATE VIEW w AS SELECT 1",
	    "CREATE INDEX i ON people (name)",
	    "CREATE TRIGGER tr AFTER INSERT ON people BEGIN SELECT 1; END",
	    "CREATE TEMP TRIGGER tr AFTER INSERT ON people BEGIN SELECT 1; END",
	    "CREATE VIRTUAL TABLE temp.f USING fts5(x)",
	    "DROP TABLE people",
	    "DROP TABLE temp.people_words",
	    "DROP TABLE people_grams",
	    "ALTER TABLE people ADD COLUMN x",
	    "ALTER TABLE people RENAME TO folk",
	    "ATTACH DATABASE ':memory:' AS other",
	    "ATTACH DATABASE 'file:/tmp/kist-attach?mode=rwc' AS other",
	    "DETACH DATABASE temp",
	    "PRAGMA query_only = 0",
	    "PRAGMA writable_schema = 1",
	    "PRAGMA user_version = 7",
	    "PRAGMA user_version",
	    "PRAGMA table_info(people)",
	    "PRAGMA temp_store = FILE",
	    "PRAGMA temp.journal_mode = WAL",
	    "VACUUM",
	    "VACUUM INTO '/tmp/kist-vacuum-into.db'",
	    "REINDEX",
	    "REINDEX people",
	    "ANALYZE",
	    "ANALYZE people",
	    "BEGIN",
	    "BEGIN IMMEDIATE",
	    "COMMIT",
	    "ROLLBACK",
	    "SAVEPOINT s",
	    "RELEASE s",
	    "SELECT load_extension('/tmp/nothing.so')",
	    "SELECT load_extension('libc.so.6', 'abort')",
	    "SELECT fts3_tokenizer('simple')",
	    "SELECT writefile('/tmp/kist-writefile', name) FROM people",
	    "INSERT INTO people_words(people_words) VALUES('delete-all')",
	    "INSERT INTO people_words(people_words, rank) VALUES('rank', 'bm25(1)')",
	    "INSERT INTO people_grams(people_grams) VALUES('rebuild')",
	    "INSERT INTO people_words(rowid, name, aliases, other) VALUES (99, 'x', 'y', 'z')",
	    "DELETE FROM people_words",
	    "UPDATE people_grams SET text = 'x'",
	    "DELETE FROM people_words_data",
	    "INSERT INTO people_words_config VALUES ('pgsz', 64)",
	    "SELECT 1; DELETE FROM people",
	    "SELECT 1; SELECT 2",
	    "SELECT 1; PRAGMA user_version",
	    "",
	    "   ;  ",
	    "-- only a comment",
	    "not sql at all",
	};
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		rows r;
		memset(&r, 0, sizeof r);
		kist_err err = kist_vault_query(v, writes[i], on_row, &r);
		if (err != KIST_E_ARG)
			fail_msg("query \"%s\": expected a refusal (KIST_E_ARG), got %s (%s)",
			         writes[i], kist_strerror(err), kist_errdetail());
		if (r.nrows != 0)
			fail_msg("query \"%s\": refused but returned rows", writes[i]);
		if (kist_errdetail()[0] == '\0')
			fail_msg("query \"%s\": refused without a detail", writes[i]);
	}
	/* VACUUM of the (in-memory) temp schema is a no-op in SQLite: allowed or
	 * refused, it must change nothing (checked by the snapshot below). */
	{
		rows r0;
		memset(&r0, 0, sizeof r0);
		kist_err err = kist_vault_query(v, "VACUUM temp", on_row, &r0);
		assert_true(err == KIST_OK || err == KIST_E_ARG);
	}
	/* The refusals name what was refused. */
	static const struct {
		const char *sql, *must[2]; /* substrings of the detail */
	} named[] = {
	    {"DELETE FROM people", {"refused", "people"}},
	    {"ATTACH ':memory:' AS x", {"refused", NULL}},
	    {"PRAGMA user_version", {"PRAGMA", NULL}},
	    {"SELECT load_extension('x')", {"load_extension", NULL}},
	    {"SELECT 1; SELECT 2", {"one SQL statement", NULL}},
	    {"SELECT '\xff'", {NULL, NULL}},
	};
	for (size_t i = 0; i < N_CASES(named); i++) {
		rows r;
		memset(&r, 0, sizeof r);
		kist_err err = kist_vault_query(v, named[i].sql, on_row, &r);
		if (err != KIST_E_ARG)
			fail_msg("query \"%s\": expected KIST_E_ARG, got %s", named[i].sql,
			         kist_strerror(err));
		for (size_t k = 0; k < 2; k++)
			if (named[i].must[k] != NULL &&
			    strstr(kist_errdetail(), named[i].must[k]) == NULL)
				fail_msg("query \"%s\": the detail \"%s\" does not say \"%s\"",
				         named[i].sql, kist_errdetail(), named[i].must[k]);
	}

	/* Nothing changed: the same digest, the same people, no file written. */
	char *after = snapshot(v);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(access("/tmp/kist-vacuum-into.db", F_OK), -1);
	assert_int_equal(access("/tmp/kist-writefile", F_OK), -1);
	assert_int_equal(access("/tmp/kist-attach", F_OK), -1);
	ASSERT_SEARCH_SET(v, "leeds", "1,2");
	ASSERT_SEARCH(v, NULL, "1,2,3");
	/* A reopened vault says the same (the vault file did not change either). */
	kist_vault_close(v);
	v = open_ok(f, "v.kist");
	query_expect(v, "SELECT group_concat(name) FROM people",
	             "group_concat(name)\nAna,Bea,Cy\n");
	kist_vault_close(v);
}

/* ---- schema 1 */

static void test_schema1_vault(void **state)
{
	(void)state;
	size_t klen;
	unsigned char *key = tu_read(KIST_SOURCE_DIR "/tests/vectors/v1/keys/alice.key", &klen);
	int fd = open("alice.key", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, key, klen), (ssize_t)klen);
	close(fd);
	free(key);
	kist_identity *alice = NULL;
	assert_int_equal(kist_identity_load(&alice, "alice.key", NULL, NULL), KIST_OK);
	kist_vault *v = NULL;
	assert_int_equal(
	    kist_vault_open(&v, KIST_SOURCE_DIR "/tests/vectors/v1/valid/one-file.kist", &alice, 1),
	    KIST_OK);
	assert_int_equal(kist_vault_people_count(v), 0);
	got g;
	memset(&g, 0, sizeof g);
	assert_int_equal(kist_vault_people(v, NULL, collect, &g), KIST_OK);
	assert_int_equal(kist_vault_people(v, "anyone", collect, &g), KIST_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(kist_vault_person_find(v, "1", collect, &g), KIST_E_NOTFOUND);
	assert_int_equal(kist_vault_person_find(v, "Ana", collect, &g), KIST_E_NOTFOUND);
	query_expect(v, "SELECT count(*) FROM entries", "count(*)\n1\n");
	rows r;
	memset(&r, 0, sizeof r);
	/* There is no people table in schema 1: an error, not a crash. */
	assert_int_equal(kist_vault_query(v, "SELECT * FROM people", on_row, &r), KIST_E_ARG);
	kist_vault_close(v);
	kist_identity_free(alice);
}

/* ---- hostile people tables, sealed behind valid keys */

/* Runs sql on a writable copy of the index image; returns the new image. */
static unsigned char *edit_image(const unsigned char *img, size_t len, const char *sql,
                                 size_t *outlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	sqlite3_int64 n = 0;
	unsigned char *copy = sqlite3_malloc64(len);
	assert_non_null(copy);
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	memcpy(copy, img, len);
	assert_int_equal(
	    sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
	                        SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE),
	    SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("crafting SQL failed: %s: %s", sql, msg ? msg : "?");
	unsigned char *ser = sqlite3_serialize(db, "main", &n, 0);
	assert_non_null(ser);
	unsigned char *out = malloc((size_t)n);
	memcpy(out, ser, (size_t)n);
	sqlite3_free(ser);
	sqlite3_close(db);
	*outlen = (size_t)n;
	return out;
}

/*
 * Decrypts the index of the vault at in (sealed to id), runs sql on it and
 * writes to out the same vault with that index, re-compressed and re-sealed
 * under the vault's keys with a matching trailer: everything authenticates,
 * as from a malicious sealer.
 */
static void reseal_index(const char *in, const char *out, kist_identity *id, const char *sql)
{
	size_t len, which;
	unsigned char *v = tu_read(in, &len);
	unsigned char fk[32];
	kist__header h;
	kist__keys k;
	kist__trailer t;
	kist__chunker *ck = NULL;
	const unsigned char *pt, *ct;
	size_t ctlen;

	size_t hl = kist__ld32(v + 12);
	assert_int_equal(kist__header_parse(&h, v, hl), KIST_OK);
	assert_int_equal(kist__header_unwrap(&h, &id, 1, fk, &which), KIST_OK);
	kist__derive_keys(&k, KIST_FORMAT_VERSION, fk, NULL, h.salt);
	assert_int_equal(kist__chunker_new(&ck, KIST_CHUNK_SIZE_MAX, 3), KIST_OK);
	assert_int_equal(kist__chunk_open(ck, k.index, KIST_STREAM_TRAILER, 0, 1,
	                                  v + len - KIST_TRAILER_BYTES, KIST_TRAILER_BYTES,
	                                  KIST_TRAILER_PLAIN, &pt),
	                 KIST_OK);
	kist__trailer_decode(&t, KIST_FORMAT_VERSION, pt);
	assert_int_equal(t.flags & ~KIST_TRAILER_PADDED, 0); /* unsigned vaults only */
	t.flags = 0;                                         /* the new vault is not padded */
	t.pad_len = 0;

	unsigned char *z = malloc(t.index_zlen);
	size_t off = hl + t.index_offset, done = 0;
	for (uint64_t c = 0; done < t.index_zlen; c++) {
		size_t n = t.index_zlen - done < t.chunk_size ? t.index_zlen - done : t.chunk_size;
		assert_int_equal(kist__chunk_open(ck, k.index, KIST_STREAM_INDEX, c,
		                                  done + n == t.index_zlen, v + off,
		                                  n + KIST_CHUNK_OVERHEAD, n, &pt),
		                 KIST_OK);
		memcpy(z + done, pt, n);
		done += n;
		off += n + KIST_CHUNK_OVERHEAD;
	}
	unsigned char *img = malloc(t.index_len);
	size_t ilen = ZSTD_decompress(img, t.index_len, z, t.index_zlen);
	assert_false(ZSTD_isError(ilen));
	assert_int_equal(ilen, t.index_len);
	free(z);

	size_t nlen;
	unsigned char *nimg = edit_image(img, ilen, sql, &nlen);
	free(img);
	size_t zcap = ZSTD_compressBound(nlen);
	z = malloc(zcap);
	size_t zlen = ZSTD_compress(z, zcap, nimg, nlen, 3);
	assert_false(ZSTD_isError(zlen));

	FILE *fp = fopen(out, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(v, 1, hl + t.index_offset, fp), hl + t.index_offset);
	done = 0;
	for (uint64_t c = 0; done < zlen; c++) {
		size_t n = zlen - done < t.chunk_size ? zlen - done : t.chunk_size;
		assert_int_equal(kist__chunk_seal(ck, k.index, KIST_STREAM_INDEX, c,
		                                  done + n == zlen, 0, z + done, n, &ct, &ctlen),
		                 KIST_OK);
		assert_int_equal(fwrite(ct, 1, ctlen, fp), ctlen);
		done += n;
	}
	t.index_zlen = zlen;
	t.index_len = nlen;
	kist__sha256_oneshot(t.index_sha256, nimg, nlen);
	unsigned char tplain[KIST_TRAILER_PLAIN];
	kist__trailer_encode(tplain, KIST_FORMAT_VERSION, &t);
	assert_int_equal(kist__chunk_seal(ck, k.index, KIST_STREAM_TRAILER, 0, 1, 0, tplain,
	                                  sizeof tplain, &ct, &ctlen),
	                 KIST_OK);
	assert_int_equal(fwrite(ct, 1, ctlen, fp), ctlen);
	assert_int_equal(fclose(fp), 0);
	free(z);
	free(nimg);
	free(v);
	kist__chunker_free(ck);
	sodium_memzero(fk, sizeof fk);
	sodium_memzero(&k, sizeof k);
}

/* Runs sql with the NOT NULL of people.name lifted (the schema text is restored). */
#define WITHOUT_NOT_NULL(sql)                                                                      \
	"PRAGMA writable_schema=ON;"                                                               \
	"UPDATE sqlite_schema SET sql = replace(sql, 'name TEXT NOT NULL,', 'name TEXT,') "        \
	"WHERE name = 'people';"                                                                   \
	"PRAGMA writable_schema=RESET;" sql ";"                                                    \
	"PRAGMA writable_schema=ON;"                                                               \
	"UPDATE sqlite_schema SET sql = replace(sql, 'name TEXT,', 'name TEXT NOT NULL,') "        \
	"WHERE name = 'people';"                                                                   \
	"PRAGMA writable_schema=RESET;"

static void test_hostile_index(void **state)
{
	fx *f = *state;
	static const char reg[] = "name,relation,media,Eye colour\n"
	                          "Ana,sister,media/a.jpg;docs/statement.txt,green\n"
	                          "Bea,mother,media/b.jpg,\n"
	                          "Cy,brother,,brown\n";
	seal_ok(f, "good.kist", reg);

	/* The helper itself: a harmless edit still opens, with what it changed. */
	reseal_index("good.kist", "same.kist", f->id,
	             "UPDATE people SET relation = 'aunt' WHERE id = 2");
	kist_vault *v = open_ok(f, "same.kist");
	assert_int_equal(kist_vault_people_count(v), 3);
	ASSERT_SEARCH(v, "aunt", "2");
	kist_vault_close(v);
	/* So is a person with NULL name made by the schema trick, when restored. */
	reseal_index("good.kist", "same.kist", f->id,
	             WITHOUT_NOT_NULL("UPDATE people SET name = 'Bee' WHERE id = 2"));
	v = open_ok(f, "same.kist");
	ASSERT_SEARCH(v, "bee", "2");
	kist_vault_close(v);

	static const struct {
		const char *what, *sql;
		kist_err want;
	} cases[] = {
	    {"media -> missing entry", "UPDATE person_media SET entry_id = 99 WHERE person_id = 2",
	     KIST_E_CORRUPT},
	    {"media -> entry 0", "UPDATE person_media SET entry_id = 0 WHERE person_id = 2",
	     KIST_E_CORRUPT},
	    {"media -> missing person", "INSERT INTO person_media VALUES (4, 1)", KIST_E_CORRUPT},
	    {"media -> person 0", "INSERT INTO person_media VALUES (0, 1)", KIST_E_CORRUPT},
	    {"media -> negative person", "INSERT INTO person_media VALUES (-1, 1)", KIST_E_CORRUPT},
	    {"media person id text",
	     "UPDATE person_media SET person_id = 'two' WHERE person_id = 2", KIST_E_CORRUPT},
	    {"media person id real", "UPDATE person_media SET person_id = 1.5 WHERE person_id = 2",
	     KIST_E_CORRUPT},
	    {"media entry id blob", "UPDATE person_media SET entry_id = x'01' WHERE person_id = 2",
	     KIST_E_CORRUPT},
	    {"media entry id real",
	     "UPDATE person_media SET entry_id = 2.0000001 WHERE person_id "
	     "= 2",
	     KIST_E_CORRUPT},
	    {"field -> missing person",
	     "UPDATE person_fields SET person_id = 9 WHERE person_id = 1", KIST_E_CORRUPT},
	    {"field person id text", "UPDATE person_fields SET person_id = 'x' WHERE person_id = 1",
	     KIST_E_CORRUPT},
	    {"field name empty", "UPDATE person_fields SET field = '' WHERE person_id = 1",
	     KIST_E_CORRUPT},
	    {"field value blob", "UPDATE person_fields SET value = x'00ff' WHERE person_id = 1",
	     KIST_E_CORRUPT},
	    {"field value escape", "UPDATE person_fields SET value = 'a' || char(27) || '[2J'",
	     KIST_E_CORRUPT},
	    {"ids shifted", "UPDATE people SET id = id + 10", KIST_E_CORRUPT},
	    {"ids with a gap", "UPDATE people SET id = 4 WHERE id = 3", KIST_E_CORRUPT},
	    {"ids negative", "UPDATE people SET id = -id", KIST_E_CORRUPT},
	    {"person removed", "DELETE FROM people WHERE id = 2", KIST_E_CORRUPT},
	    {"name NULL", WITHOUT_NOT_NULL("UPDATE people SET name = NULL WHERE id = 2"),
	     KIST_E_CORRUPT},
	    {"name empty", "UPDATE people SET name = '' WHERE id = 2", KIST_E_CORRUPT},
	    {"name blob", "UPDATE people SET name = x'416e61' WHERE id = 2", KIST_E_CORRUPT},
	    {"name invalid UTF-8", "UPDATE people SET name = CAST(x'41ff42' AS TEXT) WHERE id = 2",
	     KIST_E_CORRUPT},
	    {"name overlong UTF-8", "UPDATE people SET name = CAST(x'c0af' AS TEXT) WHERE id = 2",
	     KIST_E_CORRUPT},
	    {"name escape", "UPDATE people SET name = 'A' || char(27) || ']0;evil' || char(7)",
	     KIST_E_CORRUPT},
	    {"name DEL", "UPDATE people SET name = 'A' || char(127) WHERE id = 1", KIST_E_CORRUPT},
	    {"name C1 control", "UPDATE people SET name = 'A' || char(155) || '2J' WHERE id = 1",
	     KIST_E_CORRUPT},
	    {"custody detail escape",
	     "UPDATE custody SET detail = char(27) || ']0;PWNED' || char(7) || char(27) || '[2J'",
	     KIST_E_CORRUPT},
	    {"custody action C1", "UPDATE custody SET action = 'seal' || char(155) || '1A'",
	     KIST_E_CORRUPT},
	    {"custody time text", "UPDATE custody SET time = 'yesterday'", KIST_E_CORRUPT},
	    {"tool_version escape", "UPDATE vault SET tool_version = 'kist ' || char(27) || '[31m'",
	     KIST_E_CORRUPT},
	    {"name NUL inside", "UPDATE people SET name = CAST(x'410042' AS TEXT) WHERE id = 1",
	     KIST_E_CORRUPT},
	    {"name too long",
	     "UPDATE people SET name = replace(hex(zeroblob(35000)), '0', 'x') WHERE id = 1",
	     KIST_E_CORRUPT},
	    {"notes blob", "UPDATE people SET notes = x'00' WHERE id = 1", KIST_E_CORRUPT},
	    {"location invalid UTF-8",
	     "UPDATE people SET location = CAST(x'eda080' AS TEXT) WHERE id = 3", KIST_E_CORRUPT},
	    {"too many fields",
	     "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300) "
	     "INSERT INTO person_fields SELECT 3, 'f' || x, 'v' FROM n",
	     KIST_E_LIMIT},
	    {"extra table", "CREATE TABLE evil (x)", KIST_E_CORRUPT},
	    {"extra index", "CREATE INDEX evil ON people (name)", KIST_E_CORRUPT},
	    {"trigger",
	     "CREATE TRIGGER evil AFTER INSERT ON people BEGIN DELETE FROM person_media; END",
	     KIST_E_CORRUPT},
	    {"view", "CREATE VIEW people_view AS SELECT * FROM people", KIST_E_CORRUPT},
	    {"FTS5 table in the index", "CREATE VIRTUAL TABLE people_words USING fts5(name)",
	     KIST_E_CORRUPT},
	    {"people table dropped", "DROP TABLE person_fields", KIST_E_CORRUPT},
	    {"extra column", "ALTER TABLE people ADD COLUMN evil TEXT", KIST_E_CORRUPT},
	    {"schema 2 labelled 1", "PRAGMA user_version = 1", KIST_E_CORRUPT},
	    {"schema 3", "PRAGMA user_version = 3", KIST_E_FORMAT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reseal_index("good.kist", "bad.kist", f->id, cases[i].sql);
		v = NULL;
		kist_err err = kist_vault_open(&v, "bad.kist", &f->id, 1);
		if (err != cases[i].want) {
			if (err == KIST_OK)
				kist_vault_close(v);
			fail_msg("%s: expected %s, got %s (%s)", cases[i].what,
			         kist_strerror(cases[i].want), kist_strerror(err),
			         kist_errdetail());
		}
		assert_null(v);
		unlink("bad.kist");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_features, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_listing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_csv_line_numbers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_several_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search_matches_fts5, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_search_scripts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_person_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_schema1_vault, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile_index, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
