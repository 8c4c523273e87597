/*
 * Part sets (src/lib/parts/): the geometry fits every part within its size
 * limit; the header parser refuses each broken rule of FORMAT.md, "Part
 * sets", for its own reason; split, check, join and repair round-trip for
 * every small geometry, with parity rebuilding exactly m lost parts per
 * stripe and refusing m + 1.
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

#include "parts/parts.h"
#include "testutil.h"

static void test_geometry(void **state)
{
	(void)state;
	static const struct {
		uint64_t vlen, size;
		unsigned m;
	} cases[] = {
	    {1, 16384, 0},
	    {20000, 16384, 1},
	    {3000000, 716800, 2},
	    {1u << 30, 99614720, 0},
	    {4000000000ull, 4194304000ull, 0},
	    {123456789, 1000000, 3},
	    {65536, 65536 + 128, 0},
	    {999, 1 << 20, 254},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		kist__part_hdr h;
		assert_int_equal(kist__part_geometry(&h, cases[i].vlen, cases[i].size, cases[i].m),
		                 KIST_OK);
		/* Every part within the limit, the set just large enough. */
		assert_true(KIST__PART_HDR + h.col + kist__part_manifest_len(&h) <= cases[i].size);
		assert_int_equal(h.col % h.block, 0);
		assert_true((uint64_t)(h.k - 1) * h.col < cases[i].vlen);
		assert_true((uint64_t)h.k * h.col >= cases[i].vlen);
		assert_int_equal(h.m, cases[i].m);
		/* And the header a writer makes from it parses. */
		unsigned char raw[KIST__PART_HDR];
		kist__part_hdr back;
		h.number = 1;
		kist__part_hdr_encode(raw, &h);
		assert_int_equal(kist__part_hdr_parse(&back, raw), KIST_OK);
		assert_true(kist__part_same_set(&h, &back));
	}
	kist__part_hdr h;
	/* One part: its length is the vault's, rounded up to a block, and nothing else. */
	unsigned char raw[KIST__PART_HDR];
	kist__part_hdr back;
	assert_int_equal(kist__part_geometry(&h, 5000, 1 << 20, 3), KIST_OK);
	assert_int_equal(h.k, 1);
	assert_int_equal(h.col, 2 * h.block > 5000 ? (5000 + h.block - 1) / h.block * h.block : 0);
	h.number = 1;
	h.col += h.block;
	kist__part_hdr_encode(raw, &h);
	tu_assert_fails(kist__part_hdr_parse(&back, raw), KIST_E_CORRUPT, "one part of");
	tu_assert_fails(kist__part_geometry(&h, 1000, 1024, 0), KIST_E_ARG, "out of range");
	tu_assert_fails(kist__part_geometry(&h, 100000000, 20000, 0), KIST_E_LIMIT, "at most");
	tu_assert_fails(kist__part_geometry(&h, 100000000, 1000000, 200), KIST_E_LIMIT, "at most");
}

/* A valid header, then one field broken per case: each refused for its reason. */
static void test_header_rules(void **state)
{
	(void)state;
	static const struct {
		size_t off, len;
		uint64_t value;
		kist_err err;
		const char *why;
	} cases[] = {
	    {0, 1, 0x88, KIST_E_FORMAT, "not a kist part"},
	    {8, 2, 2, KIST_E_FORMAT, "version 2"},
	    {10, 2, 1, KIST_E_FORMAT, "unknown flags"},
	    {34, 2, 1, KIST_E_FORMAT, "unknown flags"},
	    {88, 8, 1, KIST_E_FORMAT, "unknown flags"},
	    {28, 2, 0, KIST_E_CORRUPT, "part number 0"},
	    {28, 2, 5, KIST_E_CORRUPT, "part number 5"},
	    {30, 2, 0, KIST_E_CORRUPT, "0 data"},
	    {30, 2, 4097, KIST_E_CORRUPT, "4097 data"},
	    {32, 2, 253, KIST_E_CORRUPT, "parity parts"},
	    {36, 4, 4096 + 1, KIST_E_CORRUPT, "block size"},
	    {36, 4, 2048, KIST_E_CORRUPT, "block size"},
	    {36, 4, 2u << 20, KIST_E_CORRUPT, "block size"},
	    {40, 8, 0, KIST_E_CORRUPT, "part length"},
	    {40, 8, 4096 * 3 + 1, KIST_E_CORRUPT, "part length"},
	    {48, 8, 0, KIST_E_CORRUPT, "vault length"},
	    {48, 8, 12288, KIST_E_CORRUPT, "vault length"}, /* (k-1)*C: no byte for part 3 */
	    {48, 8, 3 * 12288 + 1, KIST_E_CORRUPT, "vault length"},
	};
	kist__part_hdr h, out;
	unsigned char raw[KIST__PART_HDR];
	assert_int_equal(kist__part_geometry(&h, 30000, 16384, 1), KIST_OK);
	assert_int_equal(h.k, 3);
	assert_int_equal(h.col, 12288);
	h.number = 2;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		kist__part_hdr_encode(raw, &h);
		for (size_t b = 0; b < cases[i].len; b++)
			raw[cases[i].off + b] = (unsigned char)(cases[i].value >> (8 * b));
		if (cases[i].off !=
		    0) /* past the magic: re-seal the digest, so the rule is what fails */
			kist__sha256_oneshot(raw + 96, raw, 96);
		kist_err e = kist__part_hdr_parse(&out, raw);
		if (e != cases[i].err || strstr(kist_errdetail(), cases[i].why) == NULL)
			fail_msg("case %zu (offset %zu): got %d \"%s\", want %d \"%s\"", i,
			         cases[i].off, e, kist_errdetail(), cases[i].err, cases[i].why);
	}
	/* Any byte changed without re-sealing: the digest catches it. */
	for (size_t off = 8; off < 96; off++) {
		kist__part_hdr_encode(raw, &h);
		raw[off] ^= 1;
		tu_assert_fails(kist__part_hdr_parse(&out, raw), KIST_E_CORRUPT, "damaged");
	}
}

static char *part_path(const char *dir, unsigned p)
{
	char name[32];
	snprintf(name, sizeof name, "v.%03u", p);
	return tu_join(dir, name);
}

/* Split, lose parts, check, repair (or not), join: for several geometries. */
static void test_round_trips(void **state)
{
	(void)state;
	static const struct {
		size_t vlen;
		uint64_t size;
		unsigned m, lose[3], nlose;
		int repairable;
	} cases[] = {
	    {50000, 16384, 0, {0}, 0, 1},    {50000, 16384, 1, {2}, 1, 1},
	    {50000, 16384, 2, {1, 5}, 2, 1}, {50000, 16384, 2, {1, 2, 3}, 3, 0},
	    {5000, 16384, 1, {1}, 1, 1},     {123457, 40000, 3, {2, 4, 7}, 3, 1},
	    {40000, 16384, 1, {4}, 1, 1}, /* the parity part itself */
	};
	if (!kist_parts_have_parity()) {
		print_message("no ISA-L in this build: parity cases skipped\n");
	}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (cases[i].m > 0 && !kist_parts_have_parity())
			continue;
		char *dir = tu_tmpdir(), *vault = tu_join(dir, "vault"), *base = tu_join(dir, "v");
		unsigned char *data = malloc(cases[i].vlen), *back;
		unsigned n = 0;
		size_t len;
		tu_fill_random(data, cases[i].vlen, 7 + i);
		tu_write(vault, data, cases[i].vlen);
		assert_int_equal(kist_split(vault, base, cases[i].size, cases[i].m, 0, &n),
		                 KIST_OK);
		for (unsigned j = 0; j < cases[i].nlose; j++) {
			char *p = part_path(dir, cases[i].lose[j]);
			assert_int_equal(unlink(p), 0);
			free(p);
		}
		unsigned keep = cases[i].lose[0] == 1 ? n : 1;
		char *any = part_path(dir, keep);
		const char *paths[] = {any};
		kist_partset *ps;
		assert_int_equal(kist_partset_open(&ps, paths, 1, 1), KIST_OK);
		assert_int_equal(kist_partset_count(ps), n);
		assert_int_equal(kist_partset_check(ps, NULL, NULL), KIST_OK);
		assert_int_equal(kist_partset_repairable(ps), cases[i].repairable);
		if (!cases[i].repairable) {
			assert_int_equal(kist_partset_repair(ps, NULL, 0, NULL, NULL),
			                 KIST_E_CORRUPT);
		} else {
			assert_int_equal(kist_partset_repair(ps, NULL, 0, NULL, NULL), KIST_OK);
			kist_partset_free(ps);
			assert_int_equal(kist_partset_open(&ps, paths, 1, 1), KIST_OK);
			assert_int_equal(kist_partset_check(ps, NULL, NULL), KIST_OK);
			for (unsigned p = 1; p <= n; p++) {
				kist_part_status st;
				kist_partset_status(ps, p, &st);
				if (st.state != KIST_PART_OK)
					fail_msg("case %zu: part %u not intact after repair", i, p);
			}
			char *joined = tu_join(dir, "joined");
			assert_int_equal(kist_partset_join(ps, joined, 0), KIST_OK);
			back = tu_read(joined, &len);
			assert_int_equal(len, cases[i].vlen);
			assert_memory_equal(back, data, len);
			free(back);
			free(joined);
		}
		kist_partset_free(ps);
		free(any);
		free(data);
		free(vault);
		free(base);
		tu_rmtree(dir);
		free(dir);
	}
}

/* ---- parity files (sidecar.c) */

/* The writer's geometry: at most 40 columns, m = ceil(k * P / 100), the
 * manifest within 32 MiB (so < 64 MiB of memory at 4 GiB), and a header
 * that parses back. */
static void test_parity_geometry(void **state)
{
	(void)state;
	static const struct {
		uint64_t vlen;
		unsigned percent, k, m;
		uint32_t block;
	} cases[] = {
	    {1, 5, 1, 1, 4096},
	    {4096, 100, 1, 1, 4096},
	    {4097, 5, 2, 1, 4096},
	    {163840, 5, 40, 2, 4096},
	    {163841, 5, 21, 2, 4096}, /* C = 2 blocks: fewer columns */
	    {2501413, 5, 39, 2, 4096},
	    {4ull << 30, 5, 40, 2, 4096},
	    {4ull << 30, 100, 40, 40, 8192}, /* 4096: 768 bytes over */
	    {4ull << 30, 1, 40, 1, 4096},
	    {64ull << 30, 5, 40, 2, 65536},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		kist__part_hdr h, back;
		unsigned char raw[KIST__PART_HDR];
		assert_int_equal(kist__parity_geometry(&h, cases[i].vlen, cases[i].percent),
		                 KIST_OK);
		if (h.k != cases[i].k || h.m != cases[i].m || h.block != cases[i].block)
			fail_msg("case %zu: k %u m %u B %u, want %u %u %u", i, h.k, h.m, h.block,
			         cases[i].k, cases[i].m, cases[i].block);
		assert_true(kist__part_manifest_len(&h) <= KIST__PARITY_MANIFEST_CAP);
		kist__parity_hdr_encode(raw, &h);
		assert_int_equal(kist__parity_hdr_parse(&back, raw), KIST_OK);
		assert_true(back.k == h.k && back.m == h.m && back.col == h.col &&
		            back.vlen == h.vlen && back.block == h.block);
		/* A parity file is not a part, nor a part a parity file. */
		tu_assert_fails(kist__part_hdr_parse(&back, raw), KIST_E_FORMAT, "not a kist part");
	}
	kist__part_hdr h;
	tu_assert_fails(kist__parity_geometry(&h, 1000, 0), KIST_E_ARG, "1% to 100%");
	tu_assert_fails(kist__parity_geometry(&h, 1000, 101), KIST_E_ARG, "1% to 100%");
	tu_assert_fails(kist__parity_geometry(&h, 1ull << 44, 100), KIST_E_LIMIT, "too large");
}

/* The parity header's own rules: tag and number zero, at least one parity part. */
static void test_parity_header_rules(void **state)
{
	(void)state;
	static const struct {
		size_t off;
		unsigned char value;
		kist_err err;
		const char *why;
	} cases[] = {
	    {12, 1, KIST_E_FORMAT, "unknown flags"}, {27, 1, KIST_E_FORMAT, "unknown flags"},
	    {28, 1, KIST_E_FORMAT, "unknown flags"}, {32, 0, KIST_E_CORRUPT, "no parity parts"},
	    {8, 2, KIST_E_FORMAT, "version 2"},
	};
	kist__part_hdr h, out;
	unsigned char raw[KIST__PART_HDR];
	assert_int_equal(kist__parity_geometry(&h, 100000, 5), KIST_OK);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		kist__parity_hdr_encode(raw, &h);
		raw[cases[i].off] = cases[i].value;
		kist__sha256_oneshot(raw + 96, raw, 96);
		kist_err e = kist__parity_hdr_parse(&out, raw);
		if (e != cases[i].err || strstr(kist_errdetail(), cases[i].why) == NULL)
			fail_msg("case %zu: got %d \"%s\"", i, e, kist_errdetail());
	}
	kist__part_hdr_encode(raw, &h);
	tu_assert_fails(kist__parity_hdr_parse(&out, raw), KIST_E_FORMAT, "not a kist parity");
}

/* Overwrites block r of column c of the vault file: c = 900 is the last
 * column, c = 1000 + i parity part k + i. */
static void spoil(const char *vault, const char *side, const kist__part_hdr *h, unsigned c,
                  uint64_t r)
{
	unsigned char junk[64];
	c = c == 900 ? h->k : c > 1000 ? h->k + c - 1000 : c;
	uint64_t off = c <= h->k ? (uint64_t)(c - 1) * h->col + r * h->block
	                         : kist__parity_part_off(h, c - h->k - 1) + r * h->block;
	FILE *f = fopen(c <= h->k ? vault : side, "r+b");
	assert_non_null(f);
	tu_fill_random(junk, sizeof junk, off + 99);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	assert_int_equal(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	fclose(f);
}

/* Write, spoil up to m blocks of one stripe (or m + 1), check, repair, compare. */
static void test_parity_round_trips(void **state)
{
	(void)state;
	static const struct {
		size_t vlen;
		unsigned percent, spoil[4], nspoil;
		int repairable;
	} cases[] = {
	    {5000, 5, {1}, 1, 1},       /* k = 2, m = 1 */
	    {300000, 5, {3, 17}, 2, 1}, /* two columns, same stripe, m = 2 */
	    {300000, 5, {3, 17, 30}, 3, 0},
	    {300000, 5, {1001}, 1, 1},      /* a parity block only */
	    {300000, 5, {900, 1002}, 2, 1}, /* the last column's and a parity block */
	    {1000003, 10, {1, 2, 3, 4}, 4, 1},
	};
	if (!kist_parts_have_parity()) {
		print_message("no ISA-L in this build: parity files skipped\n");
		return;
	}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *dir = tu_tmpdir(), *vault = tu_join(dir, "v.kist");
		char *side = tu_join(dir, "v.kist.parity"), *copy = tu_join(dir, "copy");
		unsigned char *data = malloc(cases[i].vlen), *orig_side, *back;
		size_t side_len, len;
		kist_parity *pp;
		kist_parity_info in;
		tu_fill_random(data, cases[i].vlen, 31 + i);
		tu_write(vault, data, cases[i].vlen);
		assert_int_equal(kist_parity_write(vault, side, cases[i].percent, 0), KIST_OK);
		orig_side = tu_read(side, &side_len);
		assert_int_equal(kist_parity_open(&pp, vault, side), KIST_OK);
		assert_int_equal(kist_parity_check(pp, NULL, NULL), KIST_OK);
		kist_parity_get_info(pp, &in);
		assert_false(in.vault_damaged || in.parity_damaged);
		assert_int_equal(side_len, kist__parity_file_len(&pp->hdr));
		kist__part_hdr h = pp->hdr;
		kist_parity_free(pp);
		/* The stripe in the middle of the shortest column: every column has it. */
		uint64_t r = (kist__part_payload_len(&h, h.k) - 1) / h.block / 2;
		for (unsigned j = 0; j < cases[i].nspoil; j++)
			spoil(vault, side, &h, cases[i].spoil[j], r);
		back = tu_read(vault, &len);
		tu_write(copy, back, len); /* the damaged vault, to compare with */
		free(back);
		assert_int_equal(kist_parity_open(&pp, vault, side), KIST_OK);
		assert_int_equal(kist_parity_check(pp, NULL, NULL), KIST_OK);
		kist_parity_get_info(pp, &in);
		if (in.bad_stripes != 1 || in.worst_stripe != cases[i].nspoil)
			fail_msg("case %zu: %" PRIu64 " damaged stripes, worst %u", i,
			         in.bad_stripes, in.worst_stripe);
		assert_int_equal(in.repairable, cases[i].repairable);
		if (!cases[i].repairable) {
			tu_assert_fails(kist_parity_repair(pp, NULL, 0, NULL, NULL), KIST_E_CORRUPT,
			                "too much is lost");
			unsigned char *now = tu_read(vault, &len), *was = tu_read(copy, &side_len);
			assert_int_equal(len, side_len);
			assert_memory_equal(now, was, len);
			free(now);
			free(was);
		} else {
			assert_int_equal(kist_parity_repair(pp, NULL, 0, NULL, NULL), KIST_OK);
			back = tu_read(vault, &len);
			assert_int_equal(len, cases[i].vlen);
			assert_memory_equal(back, data, len);
			free(back);
			back = tu_read(side, &len);
			assert_int_equal(len, kist__parity_file_len(&h));
			assert_memory_equal(back, orig_side, len);
			free(back);
		}
		assert_int_equal(tu_count_tree(dir), 3); /* no temporary file left */
		kist_parity_free(pp);
		free(orig_side);
		free(data);
		free(vault);
		free(side);
		free(copy);
		tu_rmtree(dir);
		free(dir);
	}
}

/*
 * A hostile parity file, consistent with itself: a parity block changed and
 * its manifest entry, both manifest copies and both headers made to match.
 * The vault block rebuilt from it does not match the manifest: repair must
 * refuse and write nothing, never a guess.
 */
static void test_parity_hostile(void **state)
{
	(void)state;
	if (!kist_parts_have_parity())
		return;
	char *dir = tu_tmpdir(), *vault = tu_join(dir, "v.kist"), *side = tu_join(dir, "v.parity");
	size_t vlen = 300000, len;
	unsigned char *data = malloc(vlen), raw[KIST__PART_HDR];
	tu_fill_random(data, vlen, 77);
	tu_write(vault, data, vlen);
	assert_int_equal(kist_parity_write(vault, side, 5, 0), KIST_OK);
	unsigned char *f = tu_read(side, &len);
	kist__part_hdr h;
	assert_int_equal(kist__parity_hdr_parse(&h, f), KIST_OK);
	uint64_t man = kist__part_manifest_len(&h), rows = kist__part_rows(&h);
	uint64_t tail = kist__parity_tail_off(&h);
	unsigned char *pb = f + kist__parity_part_off(&h, 0); /* parity part k + 1, row 0 */
	pb[10] ^= 0x5a;
	kist__part_block_hash(f + KIST__PART_HDR + (uint64_t)h.k * rows * KIST__PART_HASH, pb,
	                      h.block);
	memcpy(f + tail, f + KIST__PART_HDR, man);
	kist__sha256_oneshot(h.manifest_digest, f + KIST__PART_HDR, man);
	kist__parity_hdr_encode(raw, &h);
	memcpy(f, raw, sizeof raw);
	memcpy(f + tail + man, raw, sizeof raw);
	tu_write(side, f, len);
	data[100] ^= 1; /* column 1, row 0: rebuilt from the changed parity block */
	tu_write(vault, data, vlen);
	kist_parity *pp;
	kist_parity_info in;
	assert_int_equal(kist_parity_open(&pp, vault, side), KIST_OK);
	assert_int_equal(kist_parity_check(pp, NULL, NULL), KIST_OK);
	kist_parity_get_info(pp, &in);
	assert_true(in.vault_damaged && !in.parity_damaged && in.repairable);
	tu_assert_fails(kist_parity_repair(pp, NULL, 0, NULL, NULL), KIST_E_CORRUPT,
	                "rebuilt wrong");
	kist_parity_free(pp);
	unsigned char *now = tu_read(vault, &len);
	assert_int_equal(len, vlen);
	assert_memory_equal(now, data, vlen); /* the damaged vault, untouched */
	assert_int_equal(tu_count_tree(dir), 2);
	free(now);
	free(f);
	free(data);
	free(vault);
	free(side);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_geometry),
	    cmocka_unit_test(test_header_rules),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_parity_geometry),
	    cmocka_unit_test(test_parity_header_rules),
	    cmocka_unit_test(test_parity_round_trips),
	    cmocka_unit_test(test_parity_hostile),
	};
	if (kist_init() != KIST_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
