/*
 * Secrets are wiped (docs/SECURITY.md, "Hygiene in the code"): a test that
 * fails when a wipe is removed.
 *
 * Two probes, both without core dumps or debuggers:
 *
 *  - the dead stack: right after a library call returns, the frames it used
 *    lie below the caller's stack pointer, untouched until the next call.
 *    stack_snapshot() takes a large uninitialised frame over that region,
 *    copies it, and the test then looks there for a secret the test can compute independently (an
 * Ed25519 seed, an X25519 shared secret, a slot's wrap key).  A local buffer that is not wiped
 * before its function returns is found there.
 *
 *  - the heap: this test is linked with -Wl,--wrap=free, so every free() of
 *    the library goes through __wrap_free(), which looks for a marker in the
 *    block being freed.  Built as test_wipe_all (KIST_WIPE_INTERPOSE), it
 *    replaces free() itself, so the blocks SQLite, zstd, ICU and jansson
 *    free are looked into too.  The marker is the content and the name of a sealed
 *    file: a decrypted index or chunk buffer freed without a wipe holds it.
 *
 * Buffers in sodium_malloc memory are wiped by sodium_free itself and are not
 * probed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <malloc.h>
#include <sodium.h>

#include "format/format.h"
#include "testutil.h"

/* ------------------------------------------------------------ the heap */

/* A fresh marker per test: a block the test itself freed unwiped earlier
 * (sealing is not under test) and that malloc hands the library again must
 * not count against it. */
static char marker[32] = "kist-wipe-marker-000000000000";
#define MARKER marker

static void new_marker(void)
{
	unsigned char r[6];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(marker + 17, 13, r, sizeof r);
}

static int heap_armed;
static unsigned heap_hits;
static char heap_first[128];

#ifdef KIST_WIPE_INTERPOSE
/* Every free() of the process comes here: the executable's free() takes the
 * place of libc's for the shared libraries too (ELF interposition). */
void __libc_free(void *p);
#define __real_free __libc_free
#define __wrap_free free
#else
void __real_free(void *p);
void __wrap_free(void *p);
#endif

void __wrap_free(void *p)
{
	if (p != NULL && heap_armed) {
		size_t n = malloc_usable_size(p), ml = strlen(MARKER);
		const unsigned char *b = p;
		for (size_t i = 0; i + ml <= n; i++)
			if (b[i] == 'k' && memcmp(b + i, MARKER, ml) == 0) {
				if (heap_hits++ == 0)
					snprintf(
					    heap_first, sizeof heap_first,
					    "a block of %zu bytes freed with the marker at %zu", n,
					    i);
				break;
			}
	}
	__real_free(p);
}

/* ------------------------------------------------------- the dead stack */

#define PROBE_BYTES (256 * 1024)

static unsigned char snap[PROBE_BYTES];

/*
 * Copies the stack below the caller's frame into snap.  The probe array is
 * deliberately not initialised: its bytes are whatever the last calls left
 * there.  The empty asm makes the compiler treat them as written.  Called
 * right after the library call under test, before anything else runs over
 * its dead frames; the secrets are computed and searched for afterwards.
 */
__attribute__((noinline)) static void stack_snapshot(void)
{
	unsigned char probe[PROBE_BYTES];
	unsigned char *volatile p = probe;
	__asm__ volatile("" : : "r"(p) : "memory");
	for (size_t i = 0; i < sizeof probe; i++)
		snap[i] = p[i];
}

/* Zeroes the stack region the next library call will use. */
__attribute__((noinline)) static void stack_clear(void)
{
	unsigned char probe[PROBE_BYTES];
	sodium_memzero(probe, sizeof probe);
	__asm__ volatile("" : : "r"(probe) : "memory");
}

static int snap_holds(const unsigned char *needle, size_t n)
{
	for (size_t i = 0; i + n <= sizeof snap; i++)
		if (snap[i] == needle[0] && memcmp(snap + i, needle, n) == 0)
			return 1;
	return 0;
}

/* The X25519 shared secret and the wrap key of the kist slot 1 in header h for id. */
static void slot_secrets(const unsigned char *h, const kist_identity *id, unsigned char shared[32],
                         unsigned char wrap[32])
{
	unsigned char salt[64];
	const unsigned char *share = h + KIST_HEADER_FIXED + 8;
	assert_int_equal(crypto_scalarmult(shared, id->x25519_sk, share), 0);
	memcpy(salt, share, 32);
	memcpy(salt + 32, id->pk.x25519, 32);
	kist__hkdf_sha256(wrap, 32, salt, sizeof salt, shared, 32, "kist/v2 X25519 recipient");
	/* The wrap key found must be the slot's (a wrong label would make the
	 * leak checks below look for bytes that were never there). */
	static const unsigned char zero_nonce[12];
	unsigned char key[32];
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(key, NULL, NULL, share + 32, 48,
	                                                           NULL, 0, zero_nonce, wrap),
	                 0);
	sodium_memzero(key, sizeof key);
}

static void generate_leaves_no_seed(void **state)
{
	(void)state;
	kist_identity *id = NULL;
	stack_clear();
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	stack_snapshot();
	/* libsodium's Ed25519 secret key is seed || public key */
	int found = snap_holds(id->ed25519_sk, 32);
	kist_identity_free(id);
	if (found)
		fail_msg("kist_identity_generate left the Ed25519 seed on the stack");
}

static void header_build_leaves_no_slot_secret(void **state)
{
	(void)state;
	kist_identity *alice = NULL;
	kist_pubkey pk;
	unsigned char fk[32], salt[32], shared[32], wrap[32], *h = NULL;
	size_t hl = 0;
	assert_int_equal(kist_identity_generate(&alice), KIST_OK);
	kist_identity_pubkey(alice, &pk);
	randombytes_buf(fk, sizeof fk);
	randombytes_buf(salt, sizeof salt);
	stack_clear();
	kist_err err = kist__header_build(&h, &hl, fk, salt, &pk, 1);
	stack_snapshot();
	assert_int_equal(err, KIST_OK);
	slot_secrets(h, alice, shared, wrap);
	int f_shared = snap_holds(shared, 32), f_wrap = snap_holds(wrap, 32);
	free(h);
	kist_identity_free(alice);
	if (f_shared)
		fail_msg("kist__header_build left the X25519 shared secret on the stack");
	if (f_wrap)
		fail_msg("kist__header_build left the slot's wrap key on the stack");
}

static void header_unwrap_leaves_no_slot_secret(void **state)
{
	(void)state;
	kist_identity *alice = NULL;
	kist_pubkey pk;
	kist__header hd;
	unsigned char fk[32], fk2[32], salt[32], shared[32], wrap[32], *h = NULL;
	size_t hl = 0, which = 9;
	assert_int_equal(kist_identity_generate(&alice), KIST_OK);
	kist_identity_pubkey(alice, &pk);
	randombytes_buf(fk, sizeof fk);
	randombytes_buf(salt, sizeof salt);
	assert_int_equal(kist__header_build(&h, &hl, fk, salt, &pk, 1), KIST_OK);
	assert_int_equal(kist__header_parse(&hd, h, hl), KIST_OK);
	kist_identity *const ids[1] = {alice};
	stack_clear();
	kist_err err = kist__header_unwrap(&hd, ids, 1, fk2, &which);
	stack_snapshot();
	assert_int_equal(err, KIST_OK);
	assert_memory_equal(fk, fk2, 32);
	slot_secrets(h, alice, shared, wrap);
	int f_shared = snap_holds(shared, 32), f_wrap = snap_holds(wrap, 32);
	free(h);
	kist_identity_free(alice);
	if (f_shared)
		fail_msg("kist__header_unwrap left the X25519 shared secret on the stack");
	if (f_wrap)
		fail_msg("kist__header_unwrap left the slot's wrap key on the stack");
}

/* The probe itself must see secrets that are left behind: a control. */
__attribute__((noinline)) static void leave_secret(const unsigned char s[32])
{
	unsigned char copy[32];
	memcpy(copy, s, 32);
	__asm__ volatile("" : : "r"(copy) : "memory");
}

static void probe_finds_an_unwiped_local(void **state)
{
	(void)state;
	unsigned char s[32];
	randombytes_buf(s, sizeof s);
	stack_clear();
	leave_secret(s);
	stack_snapshot();
	assert_true(snap_holds(s, 32));
}

/* ------------------------------------------------- decrypted plaintext */

static void open_and_read_free_no_plaintext(void **state)
{
	(void)state;
	new_marker();
	char name[64], content[96];
	snprintf(name, sizeof name, "%s.txt", MARKER);
	snprintf(content, sizeof content, "the content is %s and more\n", MARKER);
	char *dir = tu_tmpdir(), *src = tu_join(dir, name), *vault = tu_join(dir, "v.kist"),
	     *out = tu_join(dir, "out");
	kist_identity *alice = NULL;
	kist_vault *v = NULL;
	kist_verify_report rep;

	assert_int_equal(kist_identity_generate(&alice), KIST_OK);
	tu_write(src, content, strlen(content));
	assert_int_equal(mkdir(out, 0700), 0);
	const char *paths[] = {src};
	tu_seal(vault, &alice, 1, NULL, paths, 1);

	heap_armed = 1;
	heap_hits = 0;
	kist_identity *ids[1] = {alice};
	kist_err err = kist_vault_open(&v, vault, ids, 1);
	if (err == KIST_OK)
		err = kist_vault_verify(v, &rep, NULL, NULL);
	kist_extract_opts o = {.dir = out};
	if (err == KIST_OK)
		err = kist_vault_extract(v, &o, NULL, 0);
	kist_vault_close(v);
	heap_armed = 0;
	if (err != KIST_OK)
		fail_msg("%s (%s)", kist_strerror(err), kist_errdetail());

	kist_identity_free(alice);
	tu_rmtree(dir);
	free(src);
	free(vault);
	free(out);
	free(dir);
	if (heap_hits != 0)
		fail_msg("%u freed heap blocks still held decrypted text (%s)", heap_hits,
		         heap_first);
}

/*
 * A chunker opening a chunk holds its plaintext (stored: in its buffer;
 * zstd: in its output and zstd's own buffers too) and must wipe it when
 * freed, whatever part of its buffers a chunk used; a chunker sealing one
 * holds it in zstd's window and literals.
 */
static void chunker_free_wipes_what_it_opened(void **state)
{
	(void)state;
	unsigned char key[32], data[3000];
	kist__chunker *w = NULL, *r = NULL;
	randombytes_buf(key, sizeof key);
	new_marker();
	for (size_t i = 0; i + strlen(MARKER) <= sizeof data; i += strlen(MARKER))
		memcpy(data + i, MARKER, strlen(MARKER));
	for (int zstd = 0; zstd <= 1; zstd++) {
		const unsigned char *ct, *plain;
		size_t ctlen;
		assert_int_equal(kist__chunker_new(&w, 65536, 3), KIST_OK);
		assert_int_equal(kist__chunker_new(&r, 65536, 0), KIST_OK);
		assert_int_equal(
		    kist__chunk_seal(w, key, 1, 0, 1, zstd, data, sizeof data, &ct, &ctlen),
		    KIST_OK);
		assert_int_equal(kist__chunk_open(r, key, 1, 0, 1, ct, ctlen, sizeof data, &plain),
		                 KIST_OK);
		assert_memory_equal(plain, data, sizeof data);
		heap_armed = 1;
		heap_hits = 0;
		kist__chunker_free(r);
		kist__chunker_free(w); /* zstd's window held what it compressed */
		heap_armed = 0;
		if (heap_hits != 0)
			fail_msg("%s chunk: %u freed blocks still held it (%s)",
			         zstd ? "a zstd" : "a stored", heap_hits, heap_first);
	}
	sodium_memzero(data, sizeof data);
}

int main(void)
{
	if (kist_init() != KIST_OK)
		return 1;
	const struct CMUnitTest stack_tests[] = {
	    cmocka_unit_test(probe_finds_an_unwiped_local),
	    cmocka_unit_test(generate_leaves_no_seed),
	    cmocka_unit_test(header_build_leaves_no_slot_secret),
	    cmocka_unit_test(header_unwrap_leaves_no_slot_secret),
	};
	const struct CMUnitTest heap_tests[] = {
	    cmocka_unit_test(open_and_read_free_no_plaintext),
	    cmocka_unit_test(chunker_free_wipes_what_it_opened),
	};
	int failed = cmocka_run_group_tests(heap_tests, NULL, NULL);
	/* AddressSanitizer moves and poisons stack frames, so the dead-stack probe
	 * sees nothing there (its control test fails): those run in the other builds. */
	if (SANITIZED)
		printf("test_wipe: the dead-stack tests run only in builds without "
		       "AddressSanitizer\n");
	else
		failed += cmocka_run_group_tests(stack_tests, NULL, NULL);
	return failed;
}
