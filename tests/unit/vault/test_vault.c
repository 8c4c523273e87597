/*
 * Sealing and opening through the public API: round trips, recipients,
 * signatures, and the corruption campaign (single-byte flips and truncations
 * of a small vault: every byte where a check of its own applies, a seeded
 * sample inside the encrypted chunks; see flip_campaign).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "format/format.h"
#include "kist.h"
#include "testutil.h"

typedef struct fixture {
	char *dir, *src, *vault;
	kist_identity *alice, *bob, *mallory, *signer;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	unsigned char buf[300000];
	f->dir = tu_tmpdir();
	f->src = tu_join(f->dir, "case");
	f->vault = tu_join(f->dir, "v.kist");
	assert_int_equal(mkdir(f->src, 0755), 0);
	char *p = tu_join(f->src, "photos");
	assert_int_equal(mkdir(p, 0750), 0);
	char *q = tu_join(p, "IMG_0001.jpg");
	tu_fill_random(buf, sizeof buf, 42);
	tu_write(q, buf, sizeof buf);
	free(q);
	q = tu_join(p, "IMG_0002.jpg");
	tu_fill_random(buf, 2000, 43);
	tu_write(q, buf, 2000);
	free(q);
	free(p);
	p = tu_join(f->src, "statement.txt");
	const char *text = "I saw the transfer on the morning of the hearing.\n";
	tu_write(p, text, strlen(text));
	chmod(p, 0640);
	free(p);
	p = tu_join(f->src, "empty");
	tu_write(p, "", 0);
	free(p);
	assert_int_equal(kist_identity_generate(&f->alice), KIST_OK);
	assert_int_equal(kist_identity_generate(&f->bob), KIST_OK);
	assert_int_equal(kist_identity_generate(&f->mallory), KIST_OK);
	assert_int_equal(kist_identity_generate(&f->signer), KIST_OK);
	kist_identity *r[] = {f->alice, f->bob};
	const char *paths[] = {f->src};
	assert_int_equal(chdir(f->dir), 0);
	const char *rel[] = {"case"};
	(void)paths;
	tu_seal(f->vault, r, 2, f->signer, rel, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->src);
	free(f->vault);
	kist_identity_free(f->alice);
	kist_identity_free(f->bob);
	kist_identity_free(f->mallory);
	kist_identity_free(f->signer);
	free(f);
	return 0;
}

static void sha_file(const char *path, unsigned char out[32])
{
	size_t len;
	unsigned char *b = tu_read(path, &len);
	SHA256(b, len, out);
	free(b);
}

static void test_roundtrip_each_recipient(void **state)
{
	fixture *f = *state;
	kist_identity *who[] = {f->alice, f->bob};
	for (int w = 0; w < 2; w++) {
		kist_vault *v;
		kist_vault_meta m;
		assert_int_equal(kist_vault_open(&v, f->vault, &who[w], 1), KIST_OK);
		kist_vault_get_meta(v, &m);
		assert_int_equal(m.entry_count, 6); /* case, case/empty, photos, 2 jpg, statement */
		assert_int_equal(m.recipient_count, 2);
		assert_true(m.signed_by_sealer);
		assert_true(m.signature_valid);
		kist_pubkey sp;
		kist_identity_pubkey(f->signer, &sp);
		assert_memory_equal(&sp, &m.signer, sizeof sp);
		assert_int_equal(strlen(m.vault_id), 32);

		const kist_entry *e = kist_vault_find(v, "case/statement.txt");
		assert_non_null(e);
		assert_int_equal(e->mode, 0640);
		unsigned char want[32];
		sha_file("case/statement.txt", want);
		assert_memory_equal(e->sha256, want, 32);
		assert_null(kist_vault_find(v, "case/nothing"));

		kist_verify_report rep;
		assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_OK);
		assert_int_equal(rep.entries_checked, 4);
		assert_int_equal(rep.entries_failed, 0);

		char *out = tu_join(f->dir, w ? "out-bob" : "out-alice");
		assert_int_equal(mkdir(out, 0700), 0);
		kist_extract_opts o = {.dir = out};
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
		const char *files[] = {"case/photos/IMG_0001.jpg", "case/photos/IMG_0002.jpg",
		                       "case/statement.txt", "case/empty"};
		for (size_t i = 0; i < 4; i++) {
			char *x = tu_join(out, files[i]);
			unsigned char a[32], b[32];
			sha_file(files[i], a);
			sha_file(x, b);
			assert_memory_equal(a, b, 32);
			struct stat s1, s2;
			assert_int_equal(stat(files[i], &s1), 0);
			assert_int_equal(stat(x, &s2), 0);
			assert_int_equal(s1.st_mode & 0777, s2.st_mode & 0777);
			assert_int_equal(s1.st_mtim.tv_sec, s2.st_mtim.tv_sec);
			assert_int_equal(s1.st_mtim.tv_nsec, s2.st_mtim.tv_nsec);
			free(x);
		}
		/* A second extraction refuses to overwrite, and writes nothing. */
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_EXISTS);
		o.force = 1;
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_OK);
		assert_int_equal(tu_count_tree(out), 6);
		free(out);
		kist_vault_close(v);
	}
}

static void test_no_access(void **state)
{
	fixture *f = *state;
	kist_vault *v = NULL;
	kist_identity *ids[] = {f->mallory, f->signer};
	assert_int_equal(kist_vault_open(&v, f->vault, ids, 2), KIST_E_NOACCESS);
	assert_null(v);
	/* The first identity that opens it is used. */
	kist_identity *more[] = {f->mallory, f->bob};
	assert_int_equal(kist_vault_open(&v, f->vault, more, 2), KIST_OK);
	kist_vault_close(v);
}

static void test_extract_selected(void **state)
{
	fixture *f = *state;
	kist_vault *v;
	char *out = tu_join(f->dir, "sel");
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(kist_vault_open(&v, f->vault, &f->alice, 1), KIST_OK);
	kist_extract_opts o = {.dir = out};
	const char *one[] = {"case/photos/"};
	assert_int_equal(kist_vault_extract(v, &o, one, 1), KIST_OK);
	assert_int_equal(tu_count_tree(out), 4); /* case, photos, 2 files */
	const char *missing[] = {"case/phot"};
	assert_int_equal(kist_vault_extract(v, &o, missing, 1), KIST_E_NOTFOUND);
	kist_vault_close(v);
	free(out);
}

/*
 * What opening a copy with one byte flipped at offset i must give, region by
 * region: the error kind and a text of its detail (NULL: any detail), or
 * KIST_OK for the content, which opens and fails verify and extract.  The
 * vault has two X25519 slots, alice's first.  Each region names the one
 * check that must catch it, so that a missing check is not hidden by a later
 * one that also fails (the signature, for a signed vault).
 */
typedef struct region_expect {
	kist_err err;
	const char *detail;
} region_expect;

#define PADDING_REGION "(padding)"

static region_expect expect_at(size_t i, uint32_t hl, uint64_t content_end, uint64_t pad_len,
                               size_t len)
{
	const size_t slot = 8 + 80, slots_end = 52 + 2 * (size_t)slot;
	assert_int_equal(hl, slots_end + 64);
	if (i < 8)
		return (region_expect){KIST_E_FORMAT, "bad magic"};
	if (i < 10)
		return (region_expect){KIST_E_FORMAT, "version"};
	if (i < 12)
		return (region_expect){KIST_E_FORMAT, "unknown flags"};
	if (i < 16) /* header_len */
		return (region_expect){KIST_E_FORMAT, NULL};
	if (i < 48) /* the salt: other keys, which the commitment refuses */
		return (region_expect){KIST_E_CORRUPT, "key commitment mismatch"};
	if (i < 50) /* slot_count */
		return (region_expect){KIST_E_FORMAT, NULL};
	if (i < 52)
		return (region_expect){KIST_E_FORMAT, "unknown flags"};
	if (i < slots_end) {
		size_t at = (i - 52) % slot;
		int own = i < 52 + slot;
		if (at >= 2 && at < 8) /* slot flags and body length */
			return (region_expect){KIST_E_FORMAT, "recipient slot"};
		if (at < 2) /* the type: one bit off type 1 is a type version 2 refuses */
			return (region_expect){KIST_E_FORMAT, "slot"};
		/* type and body: alice's slot no longer opens; bob's breaks the MAC */
		return own ? (region_expect){KIST_E_NOACCESS, "no recipient slot matches"}
		           : (region_expect){KIST_E_CORRUPT, "header authentication failed"};
	}
	if (i < hl - 32u)
		return (region_expect){KIST_E_CORRUPT, "key commitment mismatch"};
	if (i < hl)
		return (region_expect){KIST_E_CORRUPT, "header authentication failed"};
	if (i < content_end)
		return (region_expect){KIST_OK, NULL};
	if (i < len - KIST_TRAILER_BYTES - pad_len)
		return (region_expect){KIST_E_CORRUPT, "index chunk"};
	if (i < len - KIST_TRAILER_BYTES) /* opens; verify finds it, no entry is affected */
		return (region_expect){KIST_OK, PADDING_REGION};
	return (region_expect){KIST_E_CORRUPT, "trailer failed authentication"};
}

/* Opens a damaged copy and checks it against what its region expects. */
static void check_damaged(fixture *f, const unsigned char *bytes, size_t len, size_t where,
                          region_expect x, const char *what)
{
	char *path = tu_join(f->dir, "bad.kist"), *out = tu_join(f->dir, "bad-out");
	kist_vault *v = NULL;
	tu_write(path, bytes, len);
	kist_err err = kist_vault_open(&v, path, &f->alice, 1);
	if (err != x.err)
		fail_msg("%s at %zu: open gave %s (%s), expected %s", what, where,
		         kist_strerror(err), err ? kist_errdetail() : "", kist_strerror(x.err));
	if (err != KIST_OK && x.detail != NULL && strstr(kist_errdetail(), x.detail) == NULL)
		fail_msg("%s at %zu: open failed with \"%s\", expected \"%s\"", what, where,
		         kist_errdetail(), x.detail);
	if (err == KIST_OK && x.detail != NULL) { /* the padding */
		kist_verify_report rep;
		assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_E_CORRUPT);
		assert_int_equal(rep.entries_failed, 0);
		assert_true(rep.padding_damaged);
		kist_vault_close(v);
	} else if (err == KIST_OK) {
		kist_verify_report rep;
		assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_E_CORRUPT);
		assert_int_equal(rep.entries_failed, 1);
		assert_int_equal(mkdir(out, 0700), 0);
		kist_extract_opts o = {.dir = out};
		assert_int_equal(kist_vault_extract(v, &o, NULL, 0), KIST_E_CORRUPT);
		if (tu_count_tree(out) != 0)
			fail_msg("%s at %zu: extraction left files behind", what, where);
		rmdir(out);
		kist_vault_close(v);
	}
	unlink(path);
	free(path);
	free(out);
}

/*
 * Deterministic sample (xorshift64, fixed seed): every run flips the same
 * offsets, and a failure names its offset.
 */
static uint64_t sample_state = 0x6b697374u;
static int sampled(unsigned one_in)
{
	sample_state ^= sample_state << 13;
	sample_state ^= sample_state >> 7;
	sample_state ^= sample_state << 17;
	return sample_state % one_in == 0;
}

/* 1 if i is within w bytes of one of the n edges. */
static int near_edge(size_t i, const uint64_t *edge, size_t n, size_t w)
{
	for (size_t k = 0; k < n; k++)
		if (i + w > edge[k] && i < edge[k] + w)
			return 1;
	return 0;
}

/*
 * The flips of the vault at path (with header_only, of its header alone):
 *  - every byte of the header and of the trailer, where each field has its
 *    own check (expect_at names it);
 *  - every byte within 32 of each entry's stored bytes' start and end, and
 *    within 64 of the index stream's start and end: the method bytes, the
 *    Poly1305 tags and the chunk edges, the only places of a chunk with
 *    code of their own;
 *  - a seeded sample of the rest: the inside of a ChaCha20-Poly1305 chunk,
 *    where one check (the tag) sees every byte alike, so a sample is as
 *    strong for the checks as every byte (this was every byte of the index
 *    and every 997th of the content; it cost most of the test's time).
 */
static size_t flip_campaign(fixture *f, const char *vault, int header_only, const char *what)
{
	size_t len;
	unsigned char *orig = tu_read(vault, &len);
	kist_vault_info info;
	kist_vault *v;

	assert_int_equal(kist_vault_probe(vault, &info), KIST_OK);
	/* The content region ends where the index starts: header + stored sizes,
	 * written in entry order. */
	assert_int_equal(kist_vault_open(&v, vault, &f->alice, 1), KIST_OK);
	kist_vault_meta meta;
	kist_vault_get_meta(v, &meta);
	uint64_t pad_len = meta.pad_len;
	size_t nent = kist_vault_entry_count(v);
	uint64_t *edge = calloc(nent + 1, sizeof *edge);
	assert_non_null(edge);
	edge[0] = info.header_size;
	for (size_t i = 0; i < nent; i++)
		edge[i + 1] = edge[i] + kist_vault_entry_at(v, i)->stored_size;
	kist_vault_close(v);
	uint64_t content_end = edge[nent], index_end = len - KIST_TRAILER_BYTES - pad_len;
	uint64_t index_edges[2] = {content_end, index_end};
	unsigned char *m = malloc(len + 1);
	size_t flips = 0;
	for (size_t i = 0; i < len; i++) {
		if (header_only && i >= info.header_size)
			break;
		if (i >= info.header_size && i < content_end && !near_edge(i, edge, nent + 1, 32) &&
		    !sampled(4096))
			continue;
		if (i >= content_end && i < index_end && !near_edge(i, index_edges, 2, 64) &&
		    !sampled(8))
			continue;
		/* The padding: one keystream compare sees every byte alike. */
		if (i >= index_end && i < len - KIST_TRAILER_BYTES &&
		    !near_edge(i, index_edges + 1, 1, 64) && !sampled(256))
			continue;
		memcpy(m, orig, len);
		m[i] ^= (unsigned char)(1u << (i % 8));
		check_damaged(f, m, len, i,
		              expect_at(i, info.header_size, content_end, pad_len, len), what);
		flips++;
	}
	free(edge);
	free(m);
	free(orig);
	return flips;
}

static void test_every_flip_and_truncation(void **state)
{
	fixture *f = *state;
	size_t len;
	unsigned char *orig = tu_read(f->vault, &len);
	kist_vault *v;

	/* Signed (the fixture), and the header of an unsigned one: on a signed
	 * vault a missing header MAC would still be caught by the signature. */
	size_t flips = flip_campaign(f, f->vault, 0, "flip (signed)");
	char *unsigned_vault = tu_join(f->dir, "unsigned.kist");
	kist_identity *r[] = {f->alice, f->bob};
	const char *rel[] = {"case"};
	tu_seal(unsigned_vault, r, 2, NULL, rel, 1);
	flips += flip_campaign(f, unsigned_vault, 1, "flip (unsigned)");
	free(unsigned_vault);

	/* Every length that cuts the header, the trailer or the 64 bytes before it
	 * (each moves the trailer the opener reads); a seeded sample of the rest,
	 * which only moves it further (was: every length of the last 1500 bytes). */
	unsigned char *m = malloc(len + 1);
	for (size_t n = 0; n < len; n++) {
		if (n >= 400 && n < len - KIST_TRAILER_BYTES - 64 &&
		    !sampled(n > len - 1500 ? 16 : 4999))
			continue;
		memcpy(m, orig, n);
		char *path = tu_join(f->dir, "trunc.kist");
		tu_write(path, m, n);
		kist_err err = kist_vault_open(&v, path, &f->alice, 1);
		if (err != KIST_E_CORRUPT && err != KIST_E_FORMAT)
			fail_msg("truncation to %zu: got %s", n, kist_strerror(err));
		unlink(path);
		free(path);
	}
	/* Appended garbage. */
	memcpy(m, orig, len);
	m[len] = 0;
	char *path = tu_join(f->dir, "long.kist");
	tu_write(path, m, len + 1);
	assert_int_equal(kist_vault_open(&v, path, &f->alice, 1), KIST_E_CORRUPT);
	free(path);
	print_message("flipped %zu offsets of a signed vault and an unsigned header\n", flips);
	free(m);
	free(orig);
}

static void test_splicing(void **state)
{
	fixture *f = *state;
	char *a = tu_join(f->dir, "a.kist"), *b = tu_join(f->dir, "b.kist");
	char *src = tu_join(f->dir, "twins");
	unsigned char buf[5000];
	kist_vault *v;
	size_t la, lb;

	/* Two entries of equal stored size: swapping their chunks must be caught. */
	assert_int_equal(mkdir(src, 0700), 0);
	char *x = tu_join(src, "1"), *y = tu_join(src, "2");
	tu_fill_random(buf, sizeof buf, 1);
	tu_write(x, buf, sizeof buf);
	tu_fill_random(buf, sizeof buf, 2);
	tu_write(y, buf, sizeof buf);
	kist_identity *r[] = {f->alice};
	const char *paths[] = {"twins"};
	tu_seal(a, r, 1, NULL, paths, 1);
	tu_seal(b, r, 1, NULL, paths, 1);
	unsigned char *va = tu_read(a, &la), *vb = tu_read(b, &lb);
	/* Total sizes may differ by a few bytes (the compressed index); the header and the
	 * content layout are the same. */
	assert_true(lb > 52 + 88 + 64 + 2 * 5017);
	assert_int_equal(kist_vault_open(&v, a, &f->alice, 1), KIST_OK);
	const kist_entry *e1 = kist_vault_find(v, "twins/1"), *e2 = kist_vault_find(v, "twins/2");
	assert_int_equal(e1->stored_size, e2->stored_size);
	size_t cs = (size_t)e1->stored_size;
	kist_vault_close(v);
	uint32_t hl = 52 + 88 + 64;
	unsigned char *sw = malloc(la);
	memcpy(sw, va, la);
	memcpy(sw + hl, va + hl + cs, cs);
	memcpy(sw + hl + cs, va + hl, cs);
	tu_write(a, sw, la);
	assert_int_equal(kist_vault_open(&v, a, &f->alice, 1), KIST_OK);
	kist_verify_report rep;
	assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_E_CORRUPT);
	assert_int_equal(rep.entries_failed, 2);
	kist_vault_close(v);

	/* A chunk from another vault (same recipient, same layout). */
	memcpy(sw, va, la);
	memcpy(sw + hl, vb + hl, cs);
	tu_write(a, sw, la);
	assert_int_equal(kist_vault_open(&v, a, &f->alice, 1), KIST_OK);
	assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_E_CORRUPT);
	kist_vault_close(v);

	/* One vault's header on the other's body. */
	memcpy(sw, vb, hl);
	memcpy(sw + hl, va + hl, la - hl);
	tu_write(a, sw, la);
	assert_int_equal(kist_vault_open(&v, a, &f->alice, 1), KIST_E_CORRUPT);
	free(sw);
	free(va);
	free(vb);
	free(a);
	free(b);
	free(x);
	free(y);
	free(src);
}

static void test_seal_refusals(void **state)
{
	fixture *f = *state;
	kist_sealer *s;
	kist_pubkey pk;
	char *out = tu_join(f->dir, "refused.kist");
	kist_identity_pubkey(f->alice, &pk);

	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_OK);
	assert_int_equal(kist_sealer_write(s, out, 0), KIST_E_ARG); /* no recipients */
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	/* Stored under the same last name: refused at once, naming both. */
	assert_int_equal(kist_sealer_add_path(s, "./case/photos/.."), KIST_E_INPUT);
	assert_non_null(strstr(kist_errdetail(), "case and ./case/photos/.."));
	assert_int_equal(kist_sealer_input_count(s), 1);
	assert_int_equal(access(out, F_OK), -1);
	kist_sealer_free(s);

	/* Only the last component is stored; with a base, the path below it. */
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	char *abs = tu_join(f->dir, "case");
	assert_int_equal(kist_sealer_add_path(s, abs), KIST_OK);
	assert_string_equal(kist_sealer_input_stored(s, 0), "case");
	assert_string_equal(kist_sealer_entry_path(s, 0), "case");
	kist_sealer_free(s);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_set_base(s, f->dir), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case/statement.txt"), KIST_OK);
	assert_string_equal(kist_sealer_input_stored(s, 0), "case/statement.txt");
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_E_INPUT); /* overlaps */
	assert_int_equal(kist_sealer_add_path(s, "/"), KIST_E_INPUT);    /* outside */
	assert_int_equal(kist_sealer_check(s), KIST_OK);
	kist_sealer_free(s);
	free(abs);

	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "does-not-exist"), KIST_E_IO);
	char *bad = tu_join(f->dir, "bad\nname");
	tu_write(bad, "x", 1);
	assert_int_equal(kist_sealer_add_path(s, "bad\nname"), KIST_E_INPUT);
	/* Lexically normalised, last component: stored as statement.txt. */
	assert_int_equal(kist_sealer_add_path(s, "./case/photos/../statement.txt"), KIST_OK);
	/* The output exists: refused without force, and the existing file is untouched. */
	tu_write(out, "keep", 4);
	assert_int_equal(kist_sealer_write(s, out, 0), KIST_E_EXISTS);
	/* The library says what is wrong; the option that changes it is the CLI's to name. */
	assert_null(strstr(kist_errdetail(), "--"));
	assert_int_equal(kist_sealer_write(s, out, KIST_REPLACE << 1),
	                 KIST_E_ARG); /* unknown flag */
	size_t n;
	unsigned char *kept = tu_read(out, &n);
	assert_int_equal(n, 4);
	free(kept);
	/* Output into a missing directory: an I/O error, nothing created. */
	assert_int_equal(kist_sealer_write(s, "/nonexistent-dir/x.kist", 0), KIST_E_IO);
	kist_sealer_free(s);
	free(bad);
	free(out);
}

/* Counts what the problem callback was told. */
static void count_problem(void *ctx, const char *path, const char *why, int left_out)
{
	(void)path;
	(void)why;
	((int *)ctx)[left_out ? 1 : 0]++;
}

/* All problems of the inputs in one walk, one error, nothing written. */
/* A file swapped in under a checked path (its folder replaced) is refused, not sealed. */
static void test_swapped_after_check(void **state)
{
	fixture *f = *state;
	kist_sealer *s;
	kist_pubkey pk;
	struct stat st;
	char *out = tu_join(f->dir, "swapped.kist"), *ph = tu_join(f->src, "photos");
	char *old = tu_join(f->dir, "photos-checked"), *a = tu_join(ph, "IMG_0001.jpg");
	char *b = tu_join(ph, "IMG_0002.jpg");
	kist_identity_pubkey(f->alice, &pk);
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, f->src), KIST_OK);
	assert_int_equal(rename(ph, old), 0);
	assert_int_equal(mkdir(ph, 0755), 0);
	tu_write(a, "not the file that was checked", 29);
	tu_write(b, "nor this", 8);
	tu_assert_fails(kist_sealer_write(s, out, 0), KIST_E_IO, "changed since it was checked");
	assert_int_not_equal(stat(out, &st), 0);
	kist_sealer_free(s);
	free(out);
	free(ph);
	free(old);
	free(a);
	free(b);
}

static void test_seal_problems(void **state)
{
	fixture *f = *state;
	kist_sealer *s;
	kist_pubkey pk;
	int told[2] = {0, 0};
	char *out = tu_join(f->dir, "problems.kist");
	char *fifo = tu_join(f->src, "photos/pipe.fifo");
	char *bad = tu_join(f->src, "bad\tname");
	kist_identity_pubkey(f->alice, &pk);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	tu_write(bad, "x", 1);

	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(kist_sealer_set_problems(s, count_problem, told, 0), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "does-not-exist"), KIST_OK);
	assert_int_equal(told[0], 3);
	assert_int_equal(kist_sealer_problem_count(s), 3);
	assert_int_equal(kist_sealer_check(s), KIST_E_INPUT);
	assert_string_equal(kist_errdetail(), "3 inputs cannot be sealed");
	assert_int_equal(kist_sealer_write(s, out, 0), KIST_E_INPUT);
	assert_int_equal(access(out, F_OK), -1);
	kist_sealer_free(s);

	/* Skipping: the fifo is left out; excluded names are never looked at. */
	told[0] = told[1] = 0;
	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	assert_int_equal(
	    kist_sealer_set_problems(s, count_problem, told, KIST_SEAL_SKIP_UNREADABLE), KIST_OK);
	assert_int_equal(kist_sealer_add_exclude(s, "bad*"), KIST_OK);
	assert_int_equal(kist_sealer_add_exclude(s, "case/photos/IMG_0002.jpg"), KIST_OK);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, "case"), KIST_OK);
	assert_int_equal(told[0], 0);
	assert_int_equal(told[1], 1);
	assert_int_equal(kist_sealer_excluded_count(s), 2);
	assert_int_equal(kist_sealer_check(s), KIST_OK);
	assert_int_equal(kist_sealer_write(s, out, 0), KIST_OK);
	uint64_t entries, bytes, vbytes;
	kist_sealer_stats(s, &entries, &bytes, &vbytes);
	assert_int_equal(entries, 5); /* case, photos, IMG_0001, statement, empty */
	/* A missing input named by the caller is not skipped. */
	assert_int_equal(kist_sealer_add_path(s, "does-not-exist"), KIST_OK);
	assert_int_equal(kist_sealer_check(s), KIST_E_IO);
	kist_sealer_free(s);
	unlink(fifo);
	unlink(bad);
	unlink(out);
	free(fifo);
	free(bad);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_roundtrip_each_recipient, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_access, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extract_selected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_flip_and_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_splicing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seal_problems, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swapped_after_check, setup, teardown),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
