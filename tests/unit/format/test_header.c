/*
 * The vault header (FORMAT.md, "Header"): build and parse agree; each
 * structural rule of the parser accepts a header that keeps it and rejects
 * one that breaks it (KIST_E_FORMAT, with its own detail); the declared
 * length is bounded before anything is read; the slot count is bounded both
 * ways; the key commitment and the MAC reject every changed byte.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "format/format.h"
#include "testutil.h"

#define SLOT_LEN (8 + KIST_SLOT_X25519_BODY)

static const unsigned char file_key[32] = {1, 2, 3, 4, 5, 6, 7, 8};
static const unsigned char salt[32] = {9, 9, 9, 9};

/* A header for n fresh kist identities (*ids, n of them; free with free_ids). */
static unsigned char *build(size_t n, kist_identity ***ids, size_t *len)
{
	kist_pubkey *pk = calloc(n, sizeof *pk);
	kist_identity **id = calloc(n, sizeof *id);
	unsigned char *h = NULL;
	assert_non_null(pk);
	assert_non_null(id);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(kist_identity_generate(&id[i]), KIST_OK);
		kist_identity_pubkey(id[i], &pk[i]);
	}
	assert_int_equal(kist__header_build(&h, len, file_key, salt, pk, n), KIST_OK);
	free(pk);
	*ids = id;
	return h;
}

static void free_ids(kist_identity **id, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kist_identity_free(id[i]);
	free(id);
}

/* Parse, unwrap with the identity, derive, authenticate: the opener's steps. */
static kist_err open_header(const unsigned char *raw, size_t len, kist_identity *id)
{
	kist__header h;
	kist__keys k;
	unsigned char fk[32];
	size_t which;
	kist_err err;
	if ((err = kist__header_parse(&h, raw, len)) != KIST_OK)
		return err;
	if ((err = kist__header_unwrap(&h, &id, 1, fk, &which)) != KIST_OK)
		return err;
	assert_memory_equal(fk, file_key, 32);
	kist__derive_keys(&k, KIST_FORMAT_VERSION, fk, NULL, h.salt);
	return kist__header_authenticate(&h, raw, &k);
}

static void test_build_parse_roundtrip(void **state)
{
	kist_identity **id;
	size_t len;
	unsigned char *h = build(3, &id, &len);
	kist__header p;
	assert_int_equal(len, KIST_HEADER_FIXED + 3 * SLOT_LEN + 64);
	assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
	assert_int_equal(p.version, KIST_FORMAT_VERSION);
	assert_int_equal(p.header_len, len);
	assert_memory_equal(p.salt, salt, 32);
	assert_int_equal(p.slot_count, 3);
	assert_int_equal(p.age_slots, 0);
	assert_ptr_equal(p.slots, h + KIST_HEADER_FIXED);
	assert_int_equal(p.slots_len, 3 * SLOT_LEN);
	assert_ptr_equal(p.commitment, h + len - 64);
	assert_ptr_equal(p.mac, h + len - 32);
	/* Each recipient opens it, and is told which slot was its own. */
	for (size_t i = 0; i < 3; i++) {
		unsigned char fk[32];
		size_t which = 99;
		assert_int_equal(kist__header_unwrap(&p, &id[i], 1, fk, &which), KIST_OK);
		assert_int_equal(which, 0);
		assert_memory_equal(fk, file_key, 32);
		assert_int_equal(open_header(h, len, id[i]), KIST_OK);
	}
	/* A stranger does not. */
	kist_identity *other;
	assert_int_equal(kist_identity_generate(&other), KIST_OK);
	tu_assert_fails(open_header(h, len, other), KIST_E_NOACCESS, "no recipient slot");
	kist_identity_free(other);
	free(h);
	free_ids(id, 3);
}

/* An age recipient gets an age slot, counted apart, opened by the same identity. */
static void test_age_slot(void **state)
{
	kist_identity *id;
	kist_pubkey pk;
	unsigned char *h;
	size_t len;
	kist__header p;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	kist_identity_pubkey(id, &pk);
	pk.kind = KIST_PUBKEY_AGE;
	assert_int_equal(kist__header_build(&h, &len, file_key, salt, &pk, 1), KIST_OK);
	assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
	assert_int_equal(kist__ld16(h + KIST_HEADER_FIXED), KIST_SLOT_AGE);
	assert_int_equal(p.age_slots, 1);
	assert_int_equal(open_header(h, len, id), KIST_OK);
	free(h);
	kist_identity_free(id);
}

/* Between 1 and KIST_MAX_RECIPIENTS recipients: the builder and the parser agree. */
static void test_slot_count_bounds(void **state)
{
	kist_identity *id;
	kist_pubkey *pk = calloc(KIST_MAX_RECIPIENTS + 1, sizeof *pk);
	unsigned char *h = NULL;
	size_t len;
	kist__header p;
	assert_non_null(pk);
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	for (size_t i = 0; i <= KIST_MAX_RECIPIENTS; i++)
		kist_identity_pubkey(id, &pk[i]);
	tu_assert_fails(kist__header_build(&h, &len, file_key, salt, pk, 0), KIST_E_ARG,
	                "recipients");
	tu_assert_fails(kist__header_build(&h, &len, file_key, salt, pk, KIST_MAX_RECIPIENTS + 1),
	                KIST_E_ARG, "recipients");
	assert_null(h);
	assert_int_equal(kist__header_build(&h, &len, file_key, salt, pk, KIST_MAX_RECIPIENTS),
	                 KIST_OK);
	assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
	assert_int_equal(p.slot_count, KIST_MAX_RECIPIENTS);
	assert_int_equal(open_header(h, len, id), KIST_OK);
	/* One more declared than allowed, and zero, are rejected before any slot is read. */
	kist__st16(h + 48, KIST_MAX_RECIPIENTS + 1);
	tu_assert_fails(kist__header_parse(&p, h, len), KIST_E_FORMAT, "slot count");
	kist__st16(h + 48, 0);
	tu_assert_fails(kist__header_parse(&p, h, len), KIST_E_FORMAT, "slot count");
	free(h);
	free(pk);
	kist_identity_free(id);
}

/*
 * A hand-made header: nslots slots of the given types and body lengths,
 * zero bodies, zero commitment and MAC (the parser checks structure only).
 */
static unsigned char *craft(size_t *len, unsigned nslots, const uint16_t *type,
                            const uint32_t *blen)
{
	size_t n = KIST_HEADER_FIXED + 64;
	for (unsigned i = 0; i < nslots; i++)
		n += 8 + blen[i];
	unsigned char *h = calloc(1, n), *p;
	assert_non_null(h);
	memcpy(h, KIST_MAGIC, 8);
	kist__st16(h + 8, KIST_FORMAT_VERSION);
	kist__st32(h + 12, (uint32_t)n);
	memcpy(h + 16, salt, 32);
	kist__st16(h + 48, (uint16_t)nslots);
	p = h + KIST_HEADER_FIXED;
	for (unsigned i = 0; i < nslots; i++) {
		kist__st16(p, type[i]);
		kist__st32(p + 4, blen[i]);
		p += 8 + blen[i];
	}
	*len = n;
	return h;
}

/* One rule per row: the change that breaks it and the detail it is rejected with. */
struct rule {
	const char *what;
	size_t off;     /* the byte to change */
	unsigned width; /* 1, 2 or 4 bytes, little-endian; 0: the declared length + value */
	uint32_t value;
	const char *detail;
};

static const struct rule rules[] = {
    {"magic", 0, 1, 0x88, "bad magic"},
    {"magic, last byte", 7, 1, 0x0b, "bad magic"},
    {"version 0", 8, 2, 0, "version 0"},
    {"version 3", 8, 2, 3, "version 3"},
    {"flags", 10, 2, 1, "unknown flags"},
    {"flags, high bit", 10, 2, 0x8000, "unknown flags"},
    {"reserved after the slot count", 50, 2, 1, "unknown flags"},
    {"declared length one short", 12, 0, (uint32_t)-1, "length mismatch"},
    {"declared length one long", 12, 0, 1, "length mismatch"},
    {"slot count above the slots", 48, 2, 2, "slot 2 overruns"},
    {"slot reserved", KIST_HEADER_FIXED + 2, 2, 1, "slot 1 is malformed"},
    {"slot body over the maximum", KIST_HEADER_FIXED + 4, 4, KIST_SLOT_BODY_MAX + 1,
     "slot 1 is malformed"},
    {"slot body past the end", KIST_HEADER_FIXED + 4, 4, KIST_SLOT_X25519_BODY + 1,
     "slot 1 is malformed"},
    {"X25519 slot body short", KIST_HEADER_FIXED + 4, 4, KIST_SLOT_X25519_BODY - 1,
     "slot 1 has a bad length"},
    {"age slot body short", KIST_HEADER_FIXED + 0, 2, KIST_SLOT_AGE, NULL},
};

static void put(unsigned char *p, unsigned width, uint32_t v)
{
	if (width == 0)
		kist__st32(p, kist__ld32(p) + v);
	else if (width == 1)
		*p = (unsigned char)v;
	else if (width == 2)
		kist__st16(p, (uint16_t)v);
	else
		kist__st32(p, v);
}

static void test_parse_rules(void **state)
{
	uint16_t type[] = {KIST_SLOT_X25519};
	uint32_t blen[] = {KIST_SLOT_X25519_BODY};
	kist__header p;
	size_t len;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const struct rule *r = &rules[i];
		unsigned char *h = craft(&len, 1, type, blen);
		/* Accept: the unchanged header keeps every rule. */
		assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
		put(h + r->off, r->width, r->value);
		if (r->detail == NULL) {
			/* An age slot of the X25519 slot's length is well formed ... */
			assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
			assert_int_equal(p.age_slots, 1);
			/* ... and one byte shorter is not. */
			kist__st32(h + KIST_HEADER_FIXED + 4, KIST_SLOT_AGE_BODY - 1);
			kist__st32(h + 12, (uint32_t)len - 1);
			tu_assert_fails(kist__header_parse(&p, h, len - 1), KIST_E_FORMAT,
			                "slot 1 has a bad length");
			free(h);
			continue;
		}
		kist_err err = kist__header_parse(&p, h, len);
		if (err != KIST_E_FORMAT || strstr(kist_errdetail(), r->detail) == NULL)
			fail_msg("%s: got %s (%s), want \"%s\"", r->what, kist_strerror(err),
			         err == KIST_OK ? "-" : kist_errdetail(), r->detail);
		free(h);
	}
}

/* Lengths: shorter than the fixed part, trailing bytes, an unknown slot type. */
static void test_parse_lengths(void **state)
{
	uint16_t type[] = {KIST_SLOT_X25519, 7};
	uint32_t blen[] = {KIST_SLOT_X25519_BODY, 5};
	kist__header p;
	size_t len;
	unsigned char *h = craft(&len, 2, type, blen);
	/* Version 2 refuses a slot type it does not define ... */
	tu_assert_fails(kist__header_parse(&p, h, len), KIST_E_FORMAT, "slot 2 has unknown type 7");
	/* ... a custodian slot of the wrong length ... */
	kist__st16(h + KIST_HEADER_FIXED + 8 + KIST_SLOT_X25519_BODY, KIST_SLOT_CUSTODIAN);
	tu_assert_fails(kist__header_parse(&p, h, len), KIST_E_FORMAT, "malformed custodian slot");
	kist__st16(h + KIST_HEADER_FIXED + 8 + KIST_SLOT_X25519_BODY, 7);
	/* ... and version 1 skips an unknown slot type of any bounded length
	 * (FORMAT.md: later types). */
	kist__st16(h + 8, KIST_FORMAT_V1);
	assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
	assert_int_equal(p.slot_count, 2);
	assert_int_equal(p.slots_len, 2 * 8 + KIST_SLOT_X25519_BODY + 5);
	/* Shorter than the fixed part. */
	tu_assert_fails(kist__header_parse(&p, h, KIST_HEADER_FIXED - 1), KIST_E_FORMAT,
	                "bad magic");
	/* Fewer than 64 bytes after the slots: a slot that would reach into them. */
	kist__st32(h + 12, (uint32_t)len - 1);
	tu_assert_fails(kist__header_parse(&p, h, len - 1), KIST_E_FORMAT, "slot 2 is malformed");
	free(h);
	/* Bytes between the last slot and the commitment. */
	h = craft(&len, 2, type, blen);
	kist__st16(h + 8, KIST_FORMAT_V1);
	kist__st32(h + KIST_HEADER_FIXED + 8 + KIST_SLOT_X25519_BODY + 4, 4);
	tu_assert_fails(kist__header_parse(&p, h, len), KIST_E_FORMAT, "length mismatch");
	free(h);
}

/* kist__header_read bounds the declared length before it allocates or reads. */
static void test_read_bounds(void **state)
{
	char *dir = tu_tmpdir(), *path = tu_join(dir, "h");
	kist_identity **id;
	size_t len, got;
	unsigned char *h = build(1, &id, &len), *raw = NULL;
	struct {
		uint32_t declared;
		uint64_t file_size; /* 0: the header's length */
		const char *detail; /* NULL: accepted */
	} cases[] = {
	    {0, 0, NULL},
	    {KIST_HEADER_FIXED + 64 - 1, 0, "out of bounds"},
	    {KIST_HEADER_MAX + 1, KIST_HEADER_MAX + 2, "out of bounds"},
	    {0, KIST_HEADER_FIXED - 1, "too short"},
	    {0, 1, "too short"},
	};
	tu_write(path, h, len);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	/* Declared longer than the file. */
	tu_assert_fails(kist__header_read(fd, &raw, &got, len - 1), KIST_E_FORMAT, "out of bounds");
	close(fd);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t declared = cases[i].declared ? cases[i].declared : (uint32_t)len;
		kist__st32(h + 12, declared);
		tu_write(path, h, len);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		kist_err err = kist__header_read(fd, &raw, &got,
		                                 cases[i].file_size ? cases[i].file_size : len);
		close(fd);
		if (cases[i].detail == NULL) {
			assert_int_equal(err, KIST_OK);
			assert_int_equal(got, len);
			assert_memory_equal(raw, h, len);
			free(raw);
			raw = NULL;
		} else {
			assert_int_equal(err, KIST_E_FORMAT);
			assert_non_null(strstr(kist_errdetail(), cases[i].detail));
			assert_null(raw);
		}
	}
	/* Magic and version are checked on the fixed part too. */
	kist__st32(h + 12, (uint32_t)len);
	h[0] ^= 1;
	tu_write(path, h, len);
	fd = open(path, O_RDONLY);
	tu_assert_fails(kist__header_read(fd, &raw, &got, len), KIST_E_FORMAT, "bad magic");
	close(fd);
	h[0] ^= 1;
	kist__st16(h + 8, 3);
	tu_write(path, h, len);
	fd = open(path, O_RDONLY);
	tu_assert_fails(kist__header_read(fd, &raw, &got, len), KIST_E_FORMAT, "version 3");
	close(fd);
	free(h);
	free_ids(id, 1);
	tu_rmtree(dir);
	free(dir);
	free(path);
}

/* The commitment and the MAC: each is checked, and no changed byte gets through. */
static void test_authenticate(void **state)
{
	kist_identity **id;
	size_t len;
	unsigned char *h = build(2, &id, &len);
	kist__header p;
	kist__keys k;
	kist__derive_keys(&k, KIST_FORMAT_VERSION, file_key, NULL, salt);
	assert_int_equal(kist__header_parse(&p, h, len), KIST_OK);
	assert_int_equal(kist__header_authenticate(&p, h, &k), KIST_OK);
	h[len - 64] ^= 0x01;
	tu_assert_fails(kist__header_authenticate(&p, h, &k), KIST_E_CORRUPT, "commitment");
	h[len - 64] ^= 0x01;
	h[len - 1] ^= 0x80;
	tu_assert_fails(kist__header_authenticate(&p, h, &k), KIST_E_CORRUPT, "authentication");
	h[len - 1] ^= 0x80;
	/* Another file key: the commitment catches it before the MAC. */
	kist__keys other;
	unsigned char fk2[32];
	memcpy(fk2, file_key, 32);
	fk2[31] ^= 1;
	kist__derive_keys(&other, KIST_FORMAT_VERSION, fk2, NULL, salt);
	tu_assert_fails(kist__header_authenticate(&p, h, &other), KIST_E_CORRUPT, "commitment");
	/* Every byte, one bit flipped: never opened (parse, unwrap or MAC refuse it). */
	for (size_t i = 0; i < len; i++) {
		h[i] ^= 0x04;
		kist_err e0 = open_header(h, len, id[0]), e1 = open_header(h, len, id[1]);
		if (e0 == KIST_OK || e1 == KIST_OK)
			fail_msg("a flip of header byte %zu was not detected", i);
		h[i] ^= 0x04;
	}
	assert_int_equal(open_header(h, len, id[0]), KIST_OK);
	free(h);
	free_ids(id, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_parse_roundtrip), cmocka_unit_test(test_age_slot),
	    cmocka_unit_test(test_slot_count_bounds),     cmocka_unit_test(test_parse_rules),
	    cmocka_unit_test(test_parse_lengths),         cmocka_unit_test(test_read_bounds),
	    cmocka_unit_test(test_authenticate),
	};
	assert_int_equal(kist_init(), KIST_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
