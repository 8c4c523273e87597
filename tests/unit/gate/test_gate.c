/*
 * Trustee-gated opening through the library: a vault sealed for a lawyer
 * with K of n custodians opens with a request key and K releases, each
 * recorded in its custodian's ledger (a temporary directory), and with
 * nothing less: fewer releases, one custodian twice, a release of another
 * request, vault or requester, a refusal, and every single-byte change of
 * a release, a request key or a request are refused without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "testutil.h"

static const char content[] = "synthetic statement, case 0001\n";

typedef struct fx {
	char *dir;
	kist_identity *lawyer, *bob, *cust[KIST_CUSTODIANS_MAX];
	unsigned nvaults, nledger;
} fx;

/* One sealed vault and one request on it. */
typedef struct gated {
	char *path;
	unsigned n, k;
	unsigned char *req, *key;
	size_t req_len, key_len;
	kist_request *q;
} gated;

static int fx_setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	assert_non_null(f);
	f->dir = tu_tmpdir();
	assert_int_equal(kist_identity_generate(&f->lawyer), KIST_OK);
	assert_int_equal(kist_identity_generate(&f->bob), KIST_OK);
	for (unsigned i = 0; i < KIST_CUSTODIANS_MAX; i++)
		assert_int_equal(kist_identity_generate(&f->cust[i]), KIST_OK);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	fx *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	kist_identity_free(f->lawyer);
	kist_identity_free(f->bob);
	for (unsigned i = 0; i < KIST_CUSTODIANS_MAX; i++)
		kist_identity_free(f->cust[i]);
	free(f);
	return 0;
}

/* Seals content as a.txt for the lawyer and bob, custodians cust[0..n), quorum k. */
static void seal_gated(fx *f, gated *g, unsigned n, unsigned k)
{
	kist_sealer *s = NULL;
	kist_pubkey pk;
	char name[32];
	int fd = memfd_create("content", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	memset(g, 0, sizeof *g);
	snprintf(name, sizeof name, "v%u.kist", f->nvaults++);
	g->path = tu_join(f->dir, name);
	g->n = n;
	g->k = k;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	kist_identity_pubkey(f->lawyer, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	kist_identity_pubkey(f->bob, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	for (unsigned i = 0; i < n; i++) {
		kist_identity_pubkey(f->cust[i], &pk);
		assert_int_equal(kist_sealer_add_custodian(s, &pk), KIST_OK);
	}
	assert_int_equal(kist_sealer_set_quorum(s, k), KIST_OK);
	assert_int_equal(kist_sealer_add_fd(s, fd, "a.txt"), KIST_OK);
	kist_err err = kist_sealer_write(s, g->path, KIST_REPLACE);
	if (err != KIST_OK)
		fail_msg("seal: %s (%s)", kist_strerror(err), kist_errdetail());
	kist_sealer_free(s);
	close(fd);
}

/* A request by who on g (the whole vault). */
static void request(gated *g, kist_identity *who)
{
	kist_err err =
	    kist_request_make(g->path, &who, 1, KIST_SCOPE_ALL, NULL, 0, "synthetic test reason",
	                      &g->req, &g->req_len, &g->key, &g->key_len);
	if (err != KIST_OK)
		fail_msg("request: %s (%s)", kist_strerror(err), kist_errdetail());
	assert_int_equal(kist_request_parse(&g->q, g->req, g->req_len), KIST_OK);
}

static void gated_free(gated *g)
{
	free(g->path);
	free(g->req);
	free(g->key);
	kist_request_free(g->q);
	memset(g, 0, sizeof *g);
}

/* Custodian c's decision on q, recorded in a fresh ledger of its own, then built. */
static unsigned char *release_of(fx *f, const kist_request *q, unsigned c, int refuse, size_t *len)
{
	char name[32];
	kist_ledger *l = NULL;
	uint64_t idx = 0;
	unsigned char *out = NULL;
	snprintf(name, sizeof name, "ledger%u/c%u.db", f->nledger++, c);
	char *lp = tu_join(f->dir, name);
	assert_int_equal(kist_ledger_open(&l, lp), KIST_OK);
	kist_err err = kist_release_record(q, f->cust[c], l, refuse, &idx);
	if (err != KIST_OK)
		fail_msg("record: %s (%s)", kist_strerror(err), kist_errdetail());
	kist_ledger_close(l);
	err = kist_release_build(q, f->cust[c], lp, idx, refuse, refuse ? "not now" : NULL, &out,
	                         len);
	if (err != KIST_OK)
		fail_msg("build: %s (%s)", kist_strerror(err), kist_errdetail());
	free(lp);
	return out;
}

/* Opens g as who with key and rel[0..n); on success checks a.txt and closes. */
static kist_err open_with(const gated *g, kist_identity *who, const unsigned char *key,
                          size_t key_len, unsigned char *const *rel, const size_t *len, size_t n)
{
	kist_vault *v = NULL;
	kist_request *q = NULL;
	kist_err err = kist_vault_open_released(&v, g->path, &who, 1, (const void *const *)rel, len,
	                                        n, key, key_len, &q);
	if (err != KIST_OK) {
		assert_null(v);
		return err;
	}
	assert_non_null(q);
	const kist_entry *e = kist_vault_find(v, "a.txt");
	assert_non_null(e);
	int fd = memfd_create("out", MFD_CLOEXEC);
	char buf[128];
	assert_true(fd >= 0);
	assert_int_equal(kist_vault_cat(v, e, fd), KIST_OK);
	assert_int_equal(pread(fd, buf, sizeof buf, 0), (ssize_t)strlen(content));
	assert_memory_equal(buf, content, strlen(content));
	close(fd);
	kist_request_free(q);
	kist_vault_close(v);
	return KIST_OK;
}

static kist_err open_g(const gated *g, fx *f, unsigned char *const *rel, const size_t *len,
                       size_t n)
{
	return open_with(g, f->lawyer, g->key, g->key_len, rel, len, n);
}

/* ------------------------------------------------------------ K of n */

/* Opens with each subset of the releases given by mask (bit i: custodian i). */
static kist_err open_mask(fx *f, const gated *g, unsigned char **rel, const size_t *len,
                          uint32_t mask, int reverse)
{
	unsigned char *r[KIST_CUSTODIANS_MAX];
	size_t l[KIST_CUSTODIANS_MAX], n = 0;
	for (unsigned i = 0; i < g->n; i++) {
		unsigned c = reverse ? g->n - 1 - i : i;
		if (mask & (1u << c)) {
			r[n] = rel[c];
			l[n++] = len[c];
		}
	}
	return open_g(g, f, r, l, n);
}

static void check_quorum(fx *f, unsigned n, unsigned k)
{
	gated g;
	unsigned char *rel[KIST_CUSTODIANS_MAX];
	size_t len[KIST_CUSTODIANS_MAX];
	seal_gated(f, &g, n, k);
	request(&g, f->lawyer);
	for (unsigned c = 0; c < n; c++)
		rel[c] = release_of(f, g.q, c, 0, &len[c]);

	if (n <= 4) {
		/* every subset: K or more open (in both orders), fewer are refused */
		for (uint32_t m = 0; m < (1u << n); m++) {
			unsigned bits = (unsigned)__builtin_popcount(m);
			for (int rev = 0; rev < 2; rev++) {
				kist_err err = open_mask(f, &g, rel, len, m, rev);
				if (bits >= k && err != KIST_OK)
					fail_msg("%u of %u, set %#x: %s (%s)", k, n, m,
					         kist_strerror(err), kist_errdetail());
				if (bits < k) {
					assert_int_equal(err, KIST_E_NOACCESS);
					assert_non_null(
					    strstr(kist_errdetail(), "needed releases"));
				}
			}
		}
	} else {
		/* the empty set, each single custodian, each set of n - 1, and all */
		uint32_t all = (uint32_t)((1ull << n) - 1);
		assert_int_equal(open_mask(f, &g, rel, len, 0, 0), KIST_E_NOACCESS);
		for (unsigned c = 0; c < n; c++) {
			kist_err one = open_mask(f, &g, rel, len, 1u << c, c & 1);
			kist_err most = open_mask(f, &g, rel, len, all & ~(1u << c), c & 1);
			assert_int_equal(one, k <= 1 ? KIST_OK : KIST_E_NOACCESS);
			assert_int_equal(most, k <= n - 1 ? KIST_OK : KIST_E_NOACCESS);
		}
		assert_int_equal(open_mask(f, &g, rel, len, all, 0), KIST_OK);
		assert_int_equal(open_mask(f, &g, rel, len, all, 1), KIST_OK);
	}
	for (unsigned c = 0; c < n; c++)
		free(rel[c]);
	gated_free(&g);
}

static void test_1_of_1(void **state)
{
	check_quorum(*state, 1, 1);
}

static void test_2_of_3(void **state)
{
	check_quorum(*state, 3, 2);
}

static void test_3_of_3(void **state)
{
	check_quorum(*state, 3, 3);
}

static void test_16_of_16(void **state)
{
	check_quorum(*state, 16, 16);
}

static void test_1_of_16(void **state)
{
	check_quorum(*state, 16, 1);
}

/* ------------------------------------------------------------ refusals */

static void test_without_releases(void **state)
{
	fx *f = *state;
	gated g;
	kist_vault *v = NULL;
	seal_gated(f, &g, 3, 2);
	tu_assert_fails(kist_vault_open(&v, g.path, &f->lawyer, 1), KIST_E_NOACCESS,
	                "trustee-gated");
	assert_null(v);
	tu_assert_fails(kist_vault_open(&v, g.path, &f->bob, 1), KIST_E_NOACCESS, "trustee-gated");
	/* a custodian is no recipient */
	tu_assert_fails(kist_vault_open(&v, g.path, &f->cust[0], 1), KIST_E_NOACCESS,
	                "no recipient slot");
	request(&g, f->lawyer);
	tu_assert_fails(open_g(&g, f, NULL, NULL, 0), KIST_E_NOACCESS,
	                "0 of 2 needed releases given");
	/* the gate, as a recipient reads it */
	kist_gate_info gi;
	assert_int_equal(kist_vault_gate(g.path, &f->lawyer, 1, &gi), KIST_OK);
	assert_int_equal(gi.quorum, 2);
	assert_int_equal(gi.ncustodians, 3);
	kist_pubkey pk;
	kist_identity_pubkey(f->cust[2], &pk);
	assert_memory_equal(gi.custodians[2].ed25519, pk.ed25519, 32);
	gated_free(&g);
}

static void test_same_custodian_twice(void **state)
{
	fx *f = *state;
	gated g;
	size_t len[3];
	seal_gated(f, &g, 3, 2);
	request(&g, f->lawyer);
	unsigned char *a = release_of(f, g.q, 1, 0, &len[0]);
	unsigned char *b = release_of(f, g.q, 1, 0, &len[1]); /* a second entry */
	unsigned char *r[] = {a, a};
	size_t l[] = {len[0], len[0]};
	tu_assert_fails(open_g(&g, f, r, l, 2), KIST_E_NOACCESS,
	                "releases 1 and 2 come from the same custodian");
	r[1] = b;
	l[1] = len[1];
	tu_assert_fails(open_g(&g, f, r, l, 2), KIST_E_NOACCESS,
	                "releases 1 and 2 come from the same custodian");
	/* and a third, good one does not make the pair count */
	unsigned char *c = release_of(f, g.q, 2, 0, &len[2]);
	unsigned char *r3[] = {a, c, b};
	size_t l3[] = {len[0], len[2], len[1]};
	tu_assert_fails(open_g(&g, f, r3, l3, 3), KIST_E_NOACCESS,
	                "releases 1 and 3 come from the same custodian");
	assert_int_equal(open_g(&g, f, r3, l3, 2), KIST_OK);
	free(a);
	free(b);
	free(c);
	gated_free(&g);
}

static void test_other_request_vault_requester(void **state)
{
	fx *f = *state;
	gated g, g2, other, byb;
	size_t l1, l2, l3, l4;
	seal_gated(f, &g, 1, 1);
	request(&g, f->lawyer);
	/* another request of the same requester on the same vault */
	g2 = g;
	g2.path = strdup(g.path);
	g2.req = g2.key = NULL;
	g2.q = NULL;
	request(&g2, f->lawyer);
	unsigned char *r2 = release_of(f, g2.q, 0, 0, &l2);
	tu_assert_fails(open_g(&g, f, &r2, &l2, 1), KIST_E_NOACCESS,
	                "answers another request than the one pending");
	assert_int_equal(open_g(&g2, f, &r2, &l2, 1), KIST_OK);

	/* another vault, with the same custodian */
	seal_gated(f, &other, 1, 1);
	request(&other, f->lawyer);
	unsigned char *r3 = release_of(f, other.q, 0, 0, &l3);
	tu_assert_fails(open_g(&g, f, &r3, &l3, 1), KIST_E_NOACCESS,
	                "answers another request than the one pending");
	/* the other vault's request key on this vault */
	tu_assert_fails(open_with(&g, f->lawyer, other.key, other.key_len, &r3, &l3, 1),
	                KIST_E_NOACCESS, "the pending request is for another vault");

	/* another requester (bob, also a recipient) */
	byb = g;
	byb.path = strdup(g.path);
	byb.req = byb.key = NULL;
	byb.q = NULL;
	request(&byb, f->bob);
	unsigned char *r4 = release_of(f, byb.q, 0, 0, &l4);
	tu_assert_fails(open_g(&g, f, &r4, &l4, 1), KIST_E_NOACCESS,
	                "answers another request than the one pending");
	tu_assert_fails(open_with(&g, f->lawyer, byb.key, byb.key_len, &r4, &l4, 1),
	                KIST_E_NOACCESS, "made by another requester");
	assert_int_equal(open_with(&g, f->bob, byb.key, byb.key_len, &r4, &l4, 1), KIST_OK);

	/* a non-custodian cannot record or build a decision */
	kist_ledger *l = NULL;
	char *lp = tu_join(f->dir, "lawyer-ledger.db");
	assert_int_equal(kist_ledger_open(&l, lp), KIST_OK);
	tu_assert_fails(kist_release_record(g.q, f->lawyer, l, 0, NULL), KIST_E_NOACCESS,
	                "not a custodian");
	tu_assert_fails(kist_request_check(g.q, f->cust[1], NULL), KIST_E_NOACCESS,
	                "not a custodian");
	kist_ledger_close(l);
	free(lp);
	(void)l1;
	free(r2);
	free(r3);
	free(r4);
	gated_free(&g);
	gated_free(&g2);
	gated_free(&other);
	gated_free(&byb);
}

static void test_refusal(void **state)
{
	fx *f = *state;
	gated g;
	size_t len[3];
	seal_gated(f, &g, 3, 2);
	request(&g, f->lawyer);
	unsigned char *no = release_of(f, g.q, 0, 1, &len[0]);
	unsigned char *y1 = release_of(f, g.q, 1, 0, &len[1]);
	unsigned char *y2 = release_of(f, g.q, 2, 0, &len[2]);
	tu_assert_fails(open_g(&g, f, &no, &len[0], 1), KIST_E_NOACCESS,
	                "refused the request: not now");
	unsigned char *r[] = {y1, no};
	size_t l[] = {len[1], len[0]};
	tu_assert_fails(open_g(&g, f, r, l, 2), KIST_E_NOACCESS, "refused the request");
	unsigned char *ok[] = {y2, y1};
	size_t okl[] = {len[2], len[1]};
	assert_int_equal(open_g(&g, f, ok, okl, 2), KIST_OK);

	/* a release built from the entry of a refusal (and the reverse) */
	kist_ledger *lg = NULL;
	uint64_t idx;
	unsigned char *out = NULL;
	size_t olen;
	char *lp = tu_join(f->dir, "refusal.db");
	assert_int_equal(kist_ledger_open(&lg, lp), KIST_OK);
	assert_int_equal(kist_release_record(g.q, f->cust[0], lg, 1, &idx), KIST_OK);
	kist_ledger_close(lg);
	tu_assert_fails(kist_release_build(g.q, f->cust[0], lp, idx, 0, NULL, &out, &olen),
	                KIST_E_CORRUPT, "is not this decision");
	tu_assert_fails(kist_release_build(g.q, f->cust[1], lp, idx, 1, NULL, &out, &olen),
	                KIST_E_CORRUPT, "is not this decision");
	tu_assert_fails(kist_release_build(g.q, f->cust[0], lp, idx + 1, 1, NULL, &out, &olen),
	                KIST_E_CORRUPT, "does not exist");
	assert_null(out);
	free(lp);
	free(no);
	free(y1);
	free(y2);
	gated_free(&g);
}

/* ------------------------------------------------------------ every byte */

static void test_release_byte_flips(void **state)
{
	fx *f = *state;
	gated g;
	size_t len;
	seal_gated(f, &g, 1, 1);
	request(&g, f->lawyer);
	unsigned char *rel = release_of(f, g.q, 0, 0, &len);
	assert_int_equal(open_g(&g, f, &rel, &len, 1), KIST_OK);
	for (size_t i = 0; i < len; i++) {
		rel[i] ^= 0x01;
		kist_err err = open_g(&g, f, &rel, &len, 1);
		if (err == KIST_OK)
			fail_msg("release byte %zu changed, and the vault opened", i);
		rel[i] ^= 0x01;
	}
	/* shorter and longer by one byte */
	size_t shorter = len - 1, longer = len + 1;
	unsigned char *big = calloc(1, len + 1);
	memcpy(big, rel, len);
	assert_int_not_equal(open_g(&g, f, &rel, &shorter, 1), KIST_OK);
	assert_int_not_equal(open_g(&g, f, &big, &longer, 1), KIST_OK);
	assert_int_equal(open_g(&g, f, &rel, &len, 1), KIST_OK);
	free(big);
	free(rel);
	gated_free(&g);
}

static void test_request_key_byte_flips(void **state)
{
	fx *f = *state;
	gated g;
	size_t len;
	seal_gated(f, &g, 1, 1);
	request(&g, f->lawyer);
	unsigned char *rel = release_of(f, g.q, 0, 0, &len);
	/* the request key: its wrap of t (bytes 12..91) and the request it carries */
	for (size_t i = 0; i < g.key_len; i++) {
		g.key[i] ^= 0x01;
		kist_err err = open_g(&g, f, &rel, &len, 1);
		if (err == KIST_OK)
			fail_msg("request key byte %zu changed, and the vault opened", i);
		g.key[i] ^= 0x01;
	}
	assert_int_equal(open_g(&g, f, &rel, &len, 1), KIST_OK);
	/* the request file alone: every change is refused by the parser */
	for (size_t i = 0; i < g.req_len; i++) {
		kist_request *q = NULL;
		g.req[i] ^= 0x01;
		kist_err err = kist_request_parse(&q, g.req, g.req_len);
		if (err == KIST_OK)
			fail_msg("request byte %zu changed, and it parsed", i);
		assert_null(q);
		g.req[i] ^= 0x01;
	}
	kist_request *q = NULL;
	assert_int_equal(kist_request_parse(&q, g.req, g.req_len), KIST_OK);
	kist_request_info info;
	kist_request_get_info(q, &info);
	assert_int_equal(info.scope, KIST_SCOPE_ALL);
	assert_string_equal(info.reason, "synthetic test reason");
	kist_pubkey pk;
	kist_identity_pubkey(f->lawyer, &pk);
	assert_memory_equal(info.requester.ed25519, pk.ed25519, 32);
	kist_request_free(q);
	free(rel);
	gated_free(&g);
}

/* An age key cannot sign a release: the sealer refuses it as a custodian. */
static void test_age_custodian(void **state)
{
	fx *f = *state;
	kist_sealer *s = NULL;
	kist_pubkey pk;
	kist_identity_pubkey(f->cust[0], &pk);
	pk.kind = KIST_PUBKEY_AGE;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	tu_assert_fails(kist_sealer_add_custodian(s, &pk), KIST_E_BADKEY, "kist1 key");
	kist_sealer_free(s);
}

/* A check's detail, nested in the release's or request key's, reads whole. */
static void test_nested_details(void **state)
{
	fx *f = *state;
	gated g;
	size_t len;
	seal_gated(f, &g, 1, 1);
	request(&g, f->lawyer);
	unsigned char *rel = release_of(f, g.q, 0, 0, &len);
	rel[len - 1] ^= 0x01;
	tu_assert_fails(open_g(&g, f, &rel, &len, 1), KIST_E_SIGNATURE,
	                "release 1: not signed by the custodian it names (altered?)");
	rel[len - 1] ^= 0x01;
	g.key[g.key_len - 65] ^= 0x01; /* the last byte of the request's reason */
	tu_assert_fails(open_g(&g, f, &rel, &len, 1), KIST_E_SIGNATURE,
	                "request key: request: the requester's signature does not verify");
	free(rel);
	gated_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_1_of_1, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_2_of_3, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_3_of_3, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_16_of_16, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_1_of_16, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_without_releases, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_same_custodian_twice, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_other_request_vault_requester, fx_setup,
	                                    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_refusal, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_release_byte_flips, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_request_key_byte_flips, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_nested_details, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_age_custodian, fx_setup, fx_teardown),
	};
	if (kist_init() != KIST_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
