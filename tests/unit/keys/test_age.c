/*
 * age keys: age1 and AGE-SECRET-KEY-1 parsing, age identity files, the age
 * X25519 stanza (wrap, unwrap, low-order shares), and vaults with age slots.
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
#include <sodium.h>

#include "format/format.h"
#include "testutil.h"

/* A synthetic key pair made by age-keygen 1.1.1 for these tests. */
static const char known_secret[] =
    "AGE-SECRET-KEY-1HXQLK787V55EH942KN0XEHM9989TDGCQJSVYAAVL29LCFZR9FVDQC6PYYL";
static const char known_public[] = "age1jqlp4s4gds29t0af6kwtmju7lff269r6u38sd64l6srn5evkz3wsn74xdu";

/* A point of order 8 on Curve25519 (libsodium's blocklist): X25519 with it gives zero. */
static const unsigned char low_order[32] = {
    0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
    0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00};

/* Bech32 of len bytes under hrp (lower case), upper-cased if upper. */
static void encode(char *out, size_t cap, const char *hrp, const unsigned char *data, size_t len,
                   int upper)
{
	assert_true(kist__bech32_encode(out, cap, hrp, data, len) > 0);
	for (char *p = out; upper && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
}

/* Swaps the case of the first letter at or after position from (there is one). */
static void swap_case_of_one_letter(char *s, size_t from)
{
	for (size_t i = from; s[i] != '\0'; i++) {
		if (s[i] >= 'a' && s[i] <= 'z') {
			s[i] = (char)(s[i] - 'a' + 'A');
			return;
		}
		if (s[i] >= 'A' && s[i] <= 'Z') {
			s[i] = (char)(s[i] - 'A' + 'a');
			return;
		}
	}
	fail_msg("no letter in %s after %zu", s, from);
}

/* A fresh age secret key string and its X25519 public key. */
static void fresh_secret(char out[KIST_AGE_SECRET_STRLEN + 1], unsigned char pk[32])
{
	unsigned char sk[32];
	randombytes_buf(sk, sizeof sk);
	crypto_scalarmult_base(pk, sk);
	encode(out, KIST_AGE_SECRET_STRLEN + 1, "age-secret-key-", sk, 32, 1);
	sodium_memzero(sk, sizeof sk);
}

static char *write_key_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *path = tu_join(dir, name);
	unlink(path);
	tu_write(path, text, strlen(text));
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_age_pubkey_parse_format(void **state)
{
	kist_pubkey pk, back;
	char s[KIST_PUBKEY_STRLEN + 1], bad[128];
	unsigned char raw[33];

	assert_int_equal(kist_pubkey_parse(&pk, known_public), KIST_OK);
	assert_int_equal(pk.kind, KIST_PUBKEY_AGE);
	static const unsigned char zero[32];
	assert_memory_equal(pk.ed25519, zero, 32);
	kist_pubkey_format(&pk, s);
	assert_string_equal(s, known_public);
	assert_int_equal(strlen(s), KIST_AGE_PUBKEY_STRLEN);
	assert_int_equal(kist_pubkey_parse(&back, s), KIST_OK);
	assert_memory_equal(&pk, &back, sizeof pk);

	/* A kist1 key still round-trips, as kind KIST. */
	kist_identity *id;
	assert_int_equal(kist_identity_generate(&id), KIST_OK);
	kist_identity_pubkey(id, &pk);
	assert_int_equal(pk.kind, KIST_PUBKEY_KIST);
	kist_pubkey_format(&pk, s);
	assert_int_equal(strncmp(s, "kist1", 5), 0);
	assert_int_equal(kist_pubkey_parse(&back, s), KIST_OK);
	assert_memory_equal(&pk, &back, sizeof pk);
	/* The same X25519 key as an age recipient: another string, another fingerprint. */
	char f1[KIST_FINGERPRINT_STRLEN + 1], f2[KIST_FINGERPRINT_STRLEN + 1];
	kist_pubkey_fingerprint(&pk, f1);
	pk.kind = KIST_PUBKEY_AGE;
	kist_pubkey_format(&pk, s);
	assert_int_equal(strncmp(s, "age1", 4), 0);
	kist_pubkey_fingerprint(&pk, f2);
	assert_string_not_equal(f1, f2);
	kist_identity_free(id);

	/* Bad checksum: the last character changed. */
	snprintf(bad, sizeof bad, "%s", known_public);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'q' ? 'p' : 'q';
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "checksum"));
	/* Upper case: age writes and accepts recipients in lower case only. */
	for (size_t i = 0; i < sizeof bad && bad[i]; i++)
		bad[i] = (char)((known_public[i] >= 'a' && known_public[i] <= 'z')
		                    ? known_public[i] - 'a' + 'A'
		                    : known_public[i]);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	/* Mixed case. */
	snprintf(bad, sizeof bad, "%s", known_public);
	swap_case_of_one_letter(bad, 10);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	/* Wrong lengths: 31 and 33 bytes under the right HRP, with valid checksums. */
	randombytes_buf(raw, sizeof raw);
	encode(bad, sizeof bad, "age", raw, 31, 0);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	encode(bad, sizeof bad, "age", raw, 33, 0);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	/* Wrong HRP: 32 bytes under "agf", "kist", and an age secret key given as a recipient. */
	encode(bad, sizeof bad, "agf", raw, 32, 0);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	encode(bad, sizeof bad, "kist", raw, 32, 0);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	assert_int_equal(kist_pubkey_parse(&pk, known_secret), KIST_E_BADKEY);
	/* Truncated, empty; white space around it is dropped (as pasted). */
	snprintf(bad, sizeof bad, "%.*s", (int)strlen(known_public) - 1, known_public);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_E_BADKEY);
	assert_int_equal(kist_pubkey_parse(&pk, ""), KIST_E_BADKEY);
	snprintf(bad, sizeof bad, "%s ", known_public);
	assert_int_equal(kist_pubkey_parse(&pk, bad), KIST_OK);
}

static void test_age_secret_parse(void **state)
{
	unsigned char *sk = sodium_malloc(32), pk[32], want[32], raw[33];
	char bad[128];

	/* The secret age-keygen wrote gives the public key it printed. */
	assert_int_equal(kist__age_secret_parse(sk, known_secret), KIST_OK);
	crypto_scalarmult_base(pk, sk);
	assert_int_equal(kist__age_pubkey_parse(want, known_public), KIST_OK);
	assert_memory_equal(pk, want, 32);

	/* Lower case: age refuses it, so does kist. */
	for (size_t i = 0; known_secret[i]; i++)
		bad[i] = (char)((known_secret[i] >= 'A' && known_secret[i] <= 'Z')
		                    ? known_secret[i] - 'A' + 'a'
		                    : known_secret[i]);
	bad[strlen(known_secret)] = '\0';
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	/* Mixed case. */
	snprintf(bad, sizeof bad, "%s", known_secret);
	swap_case_of_one_letter(bad, 20);
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	/* Bad checksum. */
	snprintf(bad, sizeof bad, "%s", known_secret);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'Q' ? 'P' : 'Q';
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "checksum"));
	/* Wrong HRP with a valid checksum. */
	randombytes_buf(raw, sizeof raw);
	encode(bad, sizeof bad, "age-secret-kex-", raw, 32, 1);
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	/* Wrong lengths with valid checksums. */
	encode(bad, sizeof bad, "age-secret-key-", raw, 31, 1);
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	encode(bad, sizeof bad, "age-secret-key-", raw, 33, 1);
	assert_int_equal(kist__age_secret_parse(sk, bad), KIST_E_BADKEY);
	/* A public key where a secret is expected. */
	assert_int_equal(kist__age_secret_parse(sk, known_public), KIST_E_BADKEY);
	sodium_free(sk);
}

static void test_age_identity_file(void **state)
{
	char *dir = tu_tmpdir(), text[1024], s2[KIST_AGE_SECRET_STRLEN + 1];
	kist_identity *id = NULL, *id2 = NULL, **ids = NULL;
	kist_pubkey pk, rp, fp, want;
	unsigned char pk2[32];
	size_t n = 0;

	/* As age-keygen -o writes it: two comment lines and the key, mode 0600. */
	snprintf(text, sizeof text, "# created: 2026-01-01T00:00:00Z\n# public key: %s\n%s\n",
	         known_public, known_secret);
	char *path = write_key_file(dir, "age.key", text, 0600);
	assert_int_equal(kist_identity_load(&id, path, NULL, NULL), KIST_OK);
	assert_true(kist_identity_is_age(id));
	assert_false(kist_identity_is_protected(id));
	kist_identity_recipient(id, &rp);
	assert_int_equal(rp.kind, KIST_PUBKEY_AGE);
	assert_int_equal(kist_pubkey_parse(&want, known_public), KIST_OK);
	assert_memory_equal(&rp, &want, sizeof rp);
	assert_int_equal(kist_identity_file_pubkey(path, &fp), KIST_OK);
	assert_memory_equal(&fp, &want, sizeof fp);

	/*
	 * The signing key: Ed25519 seed = HKDF-SHA256(ikm = the X25519 secret, no
	 * salt, info "kist/v1 ed25519 seed from age identity") (FORMAT.md).
	 */
	unsigned char *sk = sodium_malloc(32), seed[32], edpk[32], edsk[64];
	assert_int_equal(kist__age_secret_parse(sk, known_secret), KIST_OK);
	kist__hkdf_sha256(seed, 32, NULL, 0, sk, 32, "kist/v1 ed25519 seed from age identity");
	crypto_sign_seed_keypair(edpk, edsk, seed);
	kist_identity_pubkey(id, &pk);
	assert_int_equal(pk.kind, KIST_PUBKEY_KIST);
	assert_memory_equal(pk.x25519, want.x25519, 32);
	assert_memory_equal(pk.ed25519, edpk, 32);
	sodium_free(sk);
	/* Deterministic: loading again gives the same key. */
	assert_int_equal(kist_identity_load(&id2, path, NULL, NULL), KIST_OK);
	kist_identity_pubkey(id2, &fp);
	assert_memory_equal(&pk, &fp, sizeof pk);
	kist_identity_free(id2);
	id2 = NULL;

	/* Group- or world-readable: refused like a kist identity. */
	chmod(path, 0640);
	assert_int_equal(kist_identity_load(&id2, path, NULL, NULL), KIST_E_KEYPERM);
	assert_int_equal(kist_identity_file_pubkey(path, &fp), KIST_E_KEYPERM);
	chmod(path, 0604);
	assert_int_equal(kist_identity_load_all(&ids, &n, path, NULL, NULL), KIST_E_KEYPERM);
	chmod(path, 0600);

	/* Two keys, blank lines, CRLF: load_all gives both; load (one wanted) refuses. */
	fresh_secret(s2, pk2);
	snprintf(text, sizeof text, "# one\r\n%s\r\n\r\n# two\n%s\n\n", known_secret, s2);
	char *two = write_key_file(dir, "two.key", text, 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, two, NULL, NULL), KIST_OK);
	assert_int_equal(n, 2);
	kist_identity_recipient(ids[0], &fp);
	assert_memory_equal(fp.x25519, want.x25519, 32);
	kist_identity_recipient(ids[1], &fp);
	assert_memory_equal(fp.x25519, pk2, 32);
	kist_identities_free(ids, n);
	assert_int_equal(kist_identity_load(&id2, two, NULL, NULL), KIST_E_BADKEY);
	assert_null(id2);

	/* Refused: a bad line among good ones, a plugin, an encrypted file, a mix, nothing. */
	snprintf(text, sizeof text, "%s\nnot a key\n", known_secret);
	char *p = write_key_file(dir, "junk.key", text, 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "line 2"));
	free(p);
	p = write_key_file(dir, "plugin.key",
	                   "AGE-PLUGIN-YUBIKEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n",
	                   0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "plugin"));
	free(p);
	p = write_key_file(dir, "enc.key", "age-encryption.org/v1\n-> scrypt abc 18\nxyz\n", 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);
	assert_non_null(strstr(kist_errdetail(), "passphrase-protected age"));
	snprintf(text, sizeof text, "%s\nKIST-IDENTITY-1 AAAA\n", known_secret);
	free(p);
	p = write_key_file(dir, "mix.key", text, 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);
	free(p);
	p = write_key_file(dir, "none.key", "# just a comment\n\n", 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);
	/* A truncated secret key. */
	snprintf(text, sizeof text, "AGE-SECRET-KEY-1%s\n", "qqqq");
	free(p);
	p = write_key_file(dir, "short.key", text, 0600);
	assert_int_equal(kist_identity_load_all(&ids, &n, p, NULL, NULL), KIST_E_BADKEY);

	kist_identity_free(id);
	tu_rmtree(dir);
	free(dir);
	free(path);
	free(two);
	free(p);
}

static void test_stanza_roundtrip(void **state)
{
	unsigned char sk[32], pk[32], other_sk[32], other_pk[32], share[32], body[48];
	unsigned char key[32], got[32];

	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
	randombytes_buf(other_sk, 32);
	crypto_scalarmult_base(other_pk, other_sk);
	/* age's 16-byte file key and kist's 32-byte one. */
	for (size_t fklen = 16; fklen <= 32; fklen += 16) {
		randombytes_buf(key, fklen);
		assert_int_equal(kist__age_x25519_wrap(share, body, key, fklen, pk), KIST_OK);
		memset(got, 0, sizeof got);
		assert_int_equal(
		    kist__age_x25519_unwrap(got, fklen, share, body, fklen + 16, sk, pk), KIST_OK);
		assert_memory_equal(got, key, fklen);
		/* Another identity: not for it. */
		assert_int_equal(kist__age_x25519_unwrap(got, fklen, share, body, fklen + 16,
		                                         other_sk, other_pk),
		                 KIST_E_NOACCESS);
		/* A changed body or share does not authenticate. */
		body[3] ^= 1;
		assert_int_equal(
		    kist__age_x25519_unwrap(got, fklen, share, body, fklen + 16, sk, pk),
		    KIST_E_NOACCESS);
		body[3] ^= 1;
		share[5] ^= 1;
		assert_int_equal(
		    kist__age_x25519_unwrap(got, fklen, share, body, fklen + 16, sk, pk),
		    KIST_E_NOACCESS);
		share[5] ^= 1;
		/* A body of the wrong length is refused before decryption. */
		assert_int_equal(
		    kist__age_x25519_unwrap(got, fklen, share, body, fklen + 15, sk, pk),
		    KIST_E_FORMAT);
	}
	/* Two wraps of one key to one recipient differ (fresh ephemeral keys). */
	unsigned char share2[32], body2[48];
	assert_int_equal(kist__age_x25519_wrap(share, body, key, 32, pk), KIST_OK);
	assert_int_equal(kist__age_x25519_wrap(share2, body2, key, 32, pk), KIST_OK);
	assert_memory_not_equal(share, share2, 32);
}

static void test_stanza_low_order(void **state)
{
	static const unsigned char zero[32];
	unsigned char sk[32], pk[32], share[32], body[48] = {0}, key[32] = {1}, got[32];

	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
	/* A low-order share (or the zero point) gives an all-zero secret: refused. */
	assert_int_equal(kist__age_x25519_unwrap(got, 32, low_order, body, 48, sk, pk),
	                 KIST_E_CORRUPT);
	assert_non_null(strstr(kist_errdetail(), "low-order"));
	assert_int_equal(kist__age_x25519_unwrap(got, 32, zero, body, 48, sk, pk), KIST_E_CORRUPT);
	/* Sealing to a low-order recipient is refused. */
	assert_int_equal(kist__age_x25519_wrap(share, body, key, 32, low_order), KIST_E_BADKEY);
	kist_pubkey bad = {.kind = KIST_PUBKEY_AGE};
	memcpy(bad.x25519, low_order, 32);
	unsigned char *h = NULL, salt[32] = {0};
	size_t hl = 0;
	assert_int_equal(kist__header_build(&h, &hl, key, salt, &bad, 1), KIST_E_BADKEY);
	assert_null(h);
}

static void test_header_slot_types(void **state)
{
	kist_identity *k, *a;
	kist_pubkey r[2];
	unsigned char key[32], salt[32], got[32], *h = NULL;
	size_t hl = 0, which = 9;
	kist__header hdr;

	assert_int_equal(kist_identity_generate(&k), KIST_OK);
	assert_int_equal(kist_identity_generate(&a), KIST_OK);
	kist_identity_pubkey(k, &r[0]);
	kist_identity_pubkey(a, &r[1]);
	r[1].kind = KIST_PUBKEY_AGE; /* a kist identity's X25519 key as an age recipient */
	memset(r[1].ed25519, 0, 32);
	randombytes_buf(key, 32);
	randombytes_buf(salt, 32);
	assert_int_equal(kist__header_build(&h, &hl, key, salt, r, 2), KIST_OK);
	assert_int_equal(hl, KIST_HEADER_FIXED + 2 * 88 + 64);
	assert_int_equal(kist__header_parse(&hdr, h, hl), KIST_OK);
	assert_int_equal(hdr.slot_count, 2);
	assert_int_equal(hdr.age_slots, 1);
	assert_int_equal(kist__ld16(h + KIST_HEADER_FIXED), KIST_SLOT_X25519);
	assert_int_equal(kist__ld16(h + KIST_HEADER_FIXED + 88), KIST_SLOT_AGE);
	assert_int_equal(kist__ld32(h + KIST_HEADER_FIXED + 88 + 4), 80);
	/* The age slot is age's stanza over the 32-byte file key. */
	const unsigned char *slot = h + KIST_HEADER_FIXED + 88 + 8;
	kist_identity_pubkey(a, &r[1]);
	unsigned char sk[32];
	memcpy(sk, a->x25519_sk, 32);
	assert_int_equal(kist__age_x25519_unwrap(got, 32, slot, slot + 32, 48, sk, r[1].x25519),
	                 KIST_OK);
	assert_memory_equal(got, key, 32);
	/* Each identity opens its own slot through the header code. */
	kist_identity *both[2] = {a, k};
	assert_int_equal(kist__header_unwrap(&hdr, both, 1, got, &which), KIST_OK);
	assert_int_equal(which, 0);
	assert_memory_equal(got, key, 32);
	assert_int_equal(kist__header_unwrap(&hdr, both + 1, 1, got, &which), KIST_OK);
	assert_memory_equal(got, key, 32);
	/* An age slot with body_len 81 is malformed. */
	unsigned char *h2 = malloc(hl + 1);
	memcpy(h2, h, KIST_HEADER_FIXED + 88 + 8 + 80);
	kist__st32(h2 + KIST_HEADER_FIXED + 88 + 4, 81);
	h2[KIST_HEADER_FIXED + 88 + 8 + 80] = 0;
	memcpy(h2 + KIST_HEADER_FIXED + 88 + 8 + 81, h + KIST_HEADER_FIXED + 88 + 8 + 80, 64);
	kist__st32(h2 + 12, (uint32_t)(hl + 1));
	assert_int_equal(kist__header_parse(&hdr, h2, hl + 1), KIST_E_FORMAT);
	free(h2);
	free(h);
	sodium_memzero(sk, sizeof sk);
	kist_identity_free(k);
	kist_identity_free(a);
}

static void test_vault_mixed(void **state)
{
	char *dir = tu_tmpdir(), *in = tu_join(dir, "in.txt"), *out = tu_join(dir, "v.kist");
	char secret[KIST_AGE_SECRET_STRLEN + 1], text[256];
	unsigned char agepk[32];
	kist_identity *kid, *aid, *stranger;
	kist_pubkey pk;
	kist_sealer *s;
	kist_vault *v;
	kist_vault_info info;
	kist_vault_meta m;

	tu_write(in, "age and kist\n", 13);
	fresh_secret(secret, agepk);
	snprintf(text, sizeof text, "# test key\n%s\n", secret);
	char *keyfile = write_key_file(dir, "age.key", text, 0600);
	assert_int_equal(kist_identity_load(&aid, keyfile, NULL, NULL), KIST_OK);
	assert_int_equal(kist_identity_generate(&kid), KIST_OK);
	assert_int_equal(kist_identity_generate(&stranger), KIST_OK);

	assert_int_equal(kist_sealer_new(&s, NULL, NULL), KIST_OK);
	kist_identity_recipient(aid, &pk);
	assert_int_equal(pk.kind, KIST_PUBKEY_AGE);
	assert_memory_equal(pk.x25519, agepk, 32);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	kist_identity_pubkey(kid, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	/* The age identity's kist1 form is the same X25519 key: a duplicate. */
	kist_identity_pubkey(aid, &pk);
	assert_int_equal(kist_sealer_add_recipient(s, &pk), KIST_OK);
	assert_int_equal(kist_sealer_set_signer(s, aid), KIST_OK);
	assert_int_equal(kist_sealer_add_path(s, in), KIST_OK);
	assert_int_equal(kist_sealer_write(s, out, 0), KIST_OK);
	kist_sealer_free(s);

	assert_int_equal(kist_vault_probe(out, &info), KIST_OK);
	assert_int_equal(info.slot_count, 2);
	assert_int_equal(info.age_slots, 1);

	kist_identity *ids[3] = {aid, kid, stranger};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(kist_vault_open(&v, out, &ids[i], 1), KIST_OK);
		kist_vault_get_meta(v, &m);
		assert_true(m.signed_by_sealer);
		assert_true(m.signature_valid);
		kist_identity_pubkey(aid, &pk);
		assert_int_equal(m.signer.kind, KIST_PUBKEY_KIST);
		assert_memory_equal(m.signer.ed25519, pk.ed25519, 32);
		assert_memory_equal(m.signer.x25519, pk.x25519, 32);
		kist_verify_report rep;
		assert_int_equal(kist_vault_verify(v, &rep, NULL, NULL), KIST_OK);
		assert_int_equal(rep.entries_checked, 1);
		kist_vault_close(v);
	}
	assert_int_equal(kist_vault_open(&v, out, &ids[2], 1), KIST_E_NOACCESS);

	/* A recipients file mixing age1 and kist1 keys with comments. */
	char a1[KIST_PUBKEY_STRLEN + 1], k1[KIST_PUBKEY_STRLEN + 1];
	kist_identity_recipient(aid, &pk);
	kist_pubkey_format(&pk, a1);
	kist_identity_pubkey(kid, &pk);
	kist_pubkey_format(&pk, k1);
	char rtext[512];
	snprintf(rtext, sizeof rtext, "# legal team (age)\n%s\n\n  # trustee\n%s\n", a1, k1);
	char *rf = tu_join(dir, "recipients.txt");
	tu_write(rf, rtext, strlen(rtext));
	kist_pubkey *keys = NULL;
	size_t n = 0;
	assert_int_equal(kist_recipients_file_read(rf, &keys, &n), KIST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].kind, KIST_PUBKEY_AGE);
	assert_memory_equal(keys[0].x25519, agepk, 32);
	assert_int_equal(keys[1].kind, KIST_PUBKEY_KIST);
	free(keys);

	kist_identity_free(aid);
	kist_identity_free(kid);
	kist_identity_free(stranger);
	tu_rmtree(dir);
	free(dir);
	free(in);
	free(out);
	free(keyfile);
	free(rf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_age_pubkey_parse_format),
	    cmocka_unit_test(test_age_secret_parse),
	    cmocka_unit_test(test_age_identity_file),
	    cmocka_unit_test(test_stanza_roundtrip),
	    cmocka_unit_test(test_stanza_low_order),
	    cmocka_unit_test(test_header_slot_types),
	    cmocka_unit_test(test_vault_mixed),
	};
	if (kist_init() != KIST_OK)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
