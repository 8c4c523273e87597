/*
 * Fuzzes releases and request keys (FORMAT.md, "Requests and releases")
 * through kist_vault_open_released(), against the trustee-gated test vector
 * valid/gated-2of3 (quorum 2) opened as "alice" (tests/vectors/vec_keys.h):
 *
 *   - the input as the second release, after grace's valid one, with
 *     alice's request key: an input that opens is a release of erin or
 *     frank for that request;
 *   - the input as the request key, with erin's and grace's releases.
 *
 * The vector's vault, request key and releases are read once at startup
 * from KIST_VECTORS_DIR: the seeds (corpus/release/, that vector's files)
 * then answer the harness's request, so mutations reach every check of a
 * release (signature, request, custodian, ledger entry, inclusion proof,
 * checkpoint, share) and of a request key.
 *
 * A release signs everything before its last 64 bytes; an input (as a
 * release) that names erin or frank as its custodian is re-signed with that
 * custodian's key first, unless its length is odd, so that mutations also
 * reach the checks behind the signature: the ledger record, the share.
 *
 * Checks: documented error kinds only, nothing returned on failure, an
 * opened vault holds hello.txt, and a request key that opens is alice's
 * own, byte for byte (nobody else can wrap its one-time secret to her).
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "vec_keys.h"

#define DIR_VALID KIST_VECTORS_DIR "/valid/"

static unsigned char *load(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;
	unsigned char *b;
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (b = malloc((size_t)n + 1)) == NULL ||
	    fread(b, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_release: cannot read %s\n", path);
		abort();
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

static int documented(kist_err err)
{
	return err == KIST_E_FORMAT || err == KIST_E_CORRUPT || err == KIST_E_NOACCESS ||
	       err == KIST_E_SIGNATURE || err == KIST_E_NOTFOUND || err == KIST_E_ARG ||
	       err == KIST_E_LIMIT || err == KIST_E_NOMEM;
}

static void opened(kist_vault *v, kist_request *q)
{
	FUZZ_ASSERT(v != NULL && q != NULL);
	FUZZ_ASSERT(kist_vault_find(v, "hello.txt") != NULL);
	kist_request_free(q);
	kist_vault_close(v);
}

/* Ed25519 over SHA-256("kist/v2 release" NUL || b[0 .. len - 64)) by the custodian b names. */
static void resign(unsigned char *b, size_t len, kist_identity *const *cs, size_t n)
{
	static const char label[] = "kist/v2 release";
	crypto_hash_sha256_state st;
	unsigned char sd[32];
	if (len < 190 + 64 || (len & 1))
		return;
	for (size_t i = 0; i < n; i++) {
		if (memcmp(b + 77, cs[i]->pk.ed25519, 32) != 0)
			continue;
		crypto_hash_sha256_init(&st);
		crypto_hash_sha256_update(&st, (const unsigned char *)label, sizeof label);
		crypto_hash_sha256_update(&st, b, len - 64);
		crypto_hash_sha256_final(&st, sd);
		crypto_sign_detached(b + len - 64, NULL, sd, 32, cs[i]->ed25519_sk);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static kist_identity *alice, *cs[2];
	static unsigned char *key, *erin, *grace;
	static size_t key_len, erin_len, grace_len;
	const char *vault = DIR_VALID "gated-2of3.kist";
	kist_vault *v = NULL;
	kist_request *q = NULL;

	if (alice == NULL) {
		if ((alice = vec_identity("alice")) == NULL ||
		    (cs[0] = vec_identity("erin")) == NULL ||
		    (cs[1] = vec_identity("frank")) == NULL)
			abort();
		key = load(DIR_VALID "gated-2of3.kist-reqkey", &key_len);
		erin = load(DIR_VALID "gated-2of3.erin.kist-release", &erin_len);
		grace = load(DIR_VALID "gated-2of3.grace.kist-release", &grace_len);
	}

	/* the input as a release */
	unsigned char *mine = malloc(size ? size : 1);
	if (mine == NULL)
		abort();
	memcpy(mine, data, size);
	resign(mine, size, cs, 2);
	const void *rel[2] = {grace, mine};
	size_t rel_len[2] = {grace_len, size};
	kist_err err =
	    kist_vault_open_released(&v, vault, &alice, 1, rel, rel_len, 2, key, key_len, &q);
	if (err == KIST_OK) {
		opened(v, q);
	} else {
		FUZZ_ASSERT(v == NULL && q == NULL);
		FUZZ_ASSERT(documented(err));
	}
	unsigned char digest[32];
	err = kist_release_request_digest(data, size, digest);
	FUZZ_ASSERT(err == KIST_OK || err == KIST_E_FORMAT);
	free(mine);

	/* the input as the request key */
	const void *both[2] = {erin, grace};
	size_t both_len[2] = {erin_len, grace_len};
	v = NULL;
	q = NULL;
	err = kist_vault_open_released(&v, vault, &alice, 1, both, both_len, 2, data, size, &q);
	if (err == KIST_OK) {
		FUZZ_ASSERT(size == key_len && memcmp(data, key, size) == 0);
		opened(v, q);
	} else {
		FUZZ_ASSERT(v == NULL && q == NULL);
		FUZZ_ASSERT(documented(err));
	}
	return 0;
}
