/*
 * Checks kist's age X25519 code against the age X25519 test vectors of the
 * public age test kit, read from a folder outside the project (argument 1,
 * by default ../shared/vectors/age beside the source tree; see its README).
 * When the folder is missing the test says so and exits 77, which ctest
 * reports as skipped.
 *
 * Each vector is a full age file.  To pass a vector honestly this decrypts
 * it as age would, with libsodium and kist's HKDF: parse the header (stanzas,
 * canonical unpadded base64), unwrap the X25519 stanza with kist's
 * kist__age_x25519_unwrap() (16-byte file key), check the header MAC
 * (HMAC-SHA256 under HKDF(ikm = file key, info "header")), decrypt the
 * payload (STREAM: ChaCha20-Poly1305 under HKDF(salt = nonce, ikm = file key,
 * info "payload"), 64 KiB chunks, nonce = 11-byte big-endian counter || last
 * flag), and compare the SHA-256 of the plaintext.  The outcome must be the
 * vector's "expect" line, and a "success" must give exactly its file key.
 *
 * Output is TAP.  Exit 0: all passed; 1: a failure; 77: no vectors.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "keys/keys.h"

#define SKIP          77
#define AGE_CHUNK     65536
#define FILE_KEY_LEN  16
#define MAX_STANZAS   32
#define MAX_ARGS      8
#define MAX_BODY      1024
#define INTRO_LINE    "age-encryption.org/v1\n"
#define OUTCOME_COUNT 4

enum outcome { SUCCESS, NO_MATCH, HEADER_FAILURE, PAYLOAD_FAILURE };
static const char *const outcome_names[OUTCOME_COUNT] = {"success", "no match", "header failure",
                                                         "payload failure"};

typedef struct stanza {
	char *args[MAX_ARGS];
	size_t nargs;
	unsigned char body[MAX_BODY];
	size_t bodylen;
} stanza;

typedef struct vector {
	char expect[64];
	char identity[128];
	unsigned char file_key[64];
	size_t file_key_len;
	unsigned char payload_sha[32];
	int has_payload_sha;
	const unsigned char *age; /* the age file */
	size_t agelen;
} vector;

static char why[512]; /* why the last vector ended as it did */

static int hex_decode(unsigned char *out, size_t cap, size_t *len, const char *hex)
{
	size_t got = 0;
	if (sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &got, NULL) != 0)
		return -1;
	*len = got;
	return 0;
}

/*
 * age's base64: standard alphabet, no padding, canonical (sodium_base642bin
 * refuses non-zero trailing bits).  Returns -1 for anything else.
 */
static int b64_decode(unsigned char *out, size_t cap, size_t *len, const char *s, size_t slen)
{
	if (memchr(s, '=', slen) != NULL)
		return -1;
	if (sodium_base642bin(out, cap, s, slen, NULL, len, NULL,
	                      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0)
		return -1;
	return 0;
}

/* Splits the vector's "key: value" lines from the age file after the blank line. */
static int parse_vector(vector *v, unsigned char *buf, size_t len)
{
	char *p = (char *)buf, *end = (char *)buf + len;
	memset(v, 0, sizeof *v);
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return -1;
		*nl = '\0';
		if (*p == '\0') {
			v->age = (unsigned char *)nl + 1;
			v->agelen = (size_t)(end - (nl + 1));
			return v->expect[0] && v->identity[0] && v->file_key_len ? 0 : -1;
		}
		char *colon = strstr(p, ": ");
		if (colon == NULL)
			return -1;
		*colon = '\0';
		const char *key = p, *val = colon + 2;
		if (strcmp(key, "expect") == 0)
			snprintf(v->expect, sizeof v->expect, "%s", val);
		else if (strcmp(key, "identity") == 0)
			snprintf(v->identity, sizeof v->identity, "%s", val);
		else if (strcmp(key, "file key") == 0) {
			if (hex_decode(v->file_key, sizeof v->file_key, &v->file_key_len, val) != 0)
				return -1;
		} else if (strcmp(key, "payload") == 0) {
			size_t n = 0;
			if (hex_decode(v->payload_sha, 32, &n, val) != 0 || n != 32)
				return -1;
			v->has_payload_sha = 1;
		}
		/* "comment" and other keys are informative. */
		p = nl + 1;
	}
	return -1;
}

/*
 * Parses the age header into stanzas, the MAC, the length of the MACed part
 * (through "---") and the payload offset.  -1 on any syntax error.
 */
static int parse_header(const unsigned char *age, size_t len, stanza *st, size_t *nst,
                        unsigned char mac[32], size_t *mac_len, size_t *payload_off, char *scratch)
{
	size_t off = strlen(INTRO_LINE), n = 0;
	memcpy(scratch, age, len);
	if (len < off || memcmp(age, INTRO_LINE, off) != 0)
		return snprintf(why, sizeof why, "bad intro line"), -1;
	for (;;) {
		char *line = scratch + off;
		char *nl = memchr(line, '\n', len - off);
		if (nl == NULL)
			return snprintf(why, sizeof why, "header ends early"), -1;
		*nl = '\0';
		size_t ll = (size_t)(nl - line);
		if (strncmp(line, "---", 3) == 0) {
			size_t got = 0;
			*mac_len = off + 3;
			if (ll != 4 + 43 || line[3] != ' ' ||
			    b64_decode(mac, 32, &got, line + 4, 43) != 0 || got != 32)
				return snprintf(why, sizeof why, "bad MAC line"), -1;
			*payload_off = off + ll + 1;
			*nst = n;
			return 0;
		}
		if (strncmp(line, "-> ", 3) != 0 || n == MAX_STANZAS)
			return snprintf(why, sizeof why, "bad stanza line"), -1;
		stanza *s = &st[n++];
		memset(s, 0, sizeof *s);
		/* Arguments: non-empty, separated by single spaces, printable ASCII. */
		for (char *a = line + 3; a != NULL;) {
			char *sp = strchr(a, ' ');
			if (sp != NULL)
				*sp = '\0';
			if (*a == '\0' || s->nargs == MAX_ARGS)
				return snprintf(why, sizeof why, "bad stanza arguments"), -1;
			for (char *c = a; *c; c++)
				if (*c < 33 || *c > 126)
					return snprintf(why, sizeof why, "bad argument byte"), -1;
			s->args[s->nargs++] = a;
			a = sp ? sp + 1 : NULL;
		}
		off += ll + 1;
		/* Body: lines of 64 columns, ended by a shorter (maybe empty) one. */
		char body64[MAX_BODY * 2];
		size_t b64len = 0;
		for (;;) {
			char *bl = scratch + off;
			char *bnl = memchr(bl, '\n', len - off);
			if (bnl == NULL)
				return snprintf(why, sizeof why, "stanza body ends early"), -1;
			size_t bll = (size_t)(bnl - bl);
			if (bll > 64 || b64len + bll > sizeof body64)
				return snprintf(why, sizeof why, "stanza body line too long"), -1;
			memcpy(body64 + b64len, bl, bll);
			b64len += bll;
			off += bll + 1;
			if (bll < 64)
				break;
		}
		if (b64_decode(s->body, sizeof s->body, &s->bodylen, body64, b64len) != 0)
			return snprintf(why, sizeof why, "stanza body is not canonical base64"), -1;
	}
}

/* Decrypts age's STREAM payload and hashes the plaintext. */
static enum outcome decrypt_payload(const unsigned char *p, size_t len,
                                    const unsigned char *file_key, unsigned char sha[32])
{
	unsigned char key[32], nonce[12] = {0}, *plain = malloc(AGE_CHUNK);
	kist__sha256 *h = NULL;
	enum outcome r = PAYLOAD_FAILURE;
	uint64_t counter = 0;

	if (plain == NULL || kist__sha256_new(&h) != KIST_OK)
		goto out;
	if (len < 16) {
		snprintf(why, sizeof why, "no payload nonce");
		goto out;
	}
	kist__hkdf_sha256(key, 32, p, 16, file_key, FILE_KEY_LEN, "payload");
	p += 16;
	len -= 16;
	if (len == 0) {
		snprintf(why, sizeof why, "no payload chunk");
		goto out;
	}
	for (;;) {
		size_t ct = len > AGE_CHUNK + 16 ? AGE_CHUNK + 16 : len;
		int last = ct == len;
		unsigned long long got = 0;
		if (ct < 16) {
			snprintf(why, sizeof why, "payload chunk shorter than its tag");
			goto out;
		}
		/* 11-byte big-endian counter: the top 3 bytes stay zero for a 64-bit count */
		for (int i = 3; i < 11; i++)
			nonce[i] = (unsigned char)(counter >> (8 * (10 - i)));
		nonce[11] = (unsigned char)last;
		if (crypto_aead_chacha20poly1305_ietf_decrypt(plain, &got, NULL, p, ct, NULL, 0,
		                                              nonce, key) != 0) {
			snprintf(why, sizeof why, "payload chunk %llu does not authenticate",
			         (unsigned long long)counter);
			goto out;
		}
		if (last && got == 0 && counter > 0) {
			snprintf(why, sizeof why, "empty final chunk after others");
			goto out;
		}
		kist__sha256_update(h, plain, (size_t)got);
		p += ct;
		len -= ct;
		counter++;
		if (last)
			break;
	}
	kist__sha256_final(h, sha);
	r = SUCCESS;
out:
	sodium_memzero(key, sizeof key);
	kist__sha256_free(h);
	free(plain);
	return r;
}

/* Runs one vector as age would; *unwrapped says whether a file key came out. */
static enum outcome run_vector(const vector *v, unsigned char file_key[FILE_KEY_LEN],
                               int *unwrapped)
{
	static stanza st[MAX_STANZAS];
	unsigned char *sk = sodium_malloc(32), pk[32], mac[32], want_mac[32], hkey[32], sha[32];
	char *scratch = malloc(v->agelen + 1);
	size_t nst = 0, mac_len = 0, payload_off = 0;
	enum outcome r = HEADER_FAILURE;

	*unwrapped = 0;
	why[0] = '\0';
	if (sk == NULL || scratch == NULL)
		goto out;
	if (kist__age_secret_parse(sk, v->identity) != KIST_OK) {
		snprintf(why, sizeof why, "identity: %s", kist_errdetail());
		goto out;
	}
	crypto_scalarmult_base(pk, sk);
	if (parse_header(v->age, v->agelen, st, &nst, mac, &mac_len, &payload_off, scratch) != 0)
		goto out;
	for (size_t i = 0; i < nst && !*unwrapped; i++) {
		unsigned char share[32];
		size_t sharelen = 0;
		if (strcmp(st[i].args[0], "X25519") != 0)
			continue; /* another recipient type (grease, "x25519"): not ours */
		if (st[i].nargs != 2 ||
		    b64_decode(share, sizeof share, &sharelen, st[i].args[1],
		               strlen(st[i].args[1])) != 0 ||
		    sharelen != 32) {
			snprintf(why, sizeof why, "X25519 stanza: bad arguments");
			goto out;
		}
		kist_err e = kist__age_x25519_unwrap(file_key, FILE_KEY_LEN, share, st[i].body,
		                                     st[i].bodylen, sk, pk);
		if (e == KIST_OK)
			*unwrapped = 1;
		else if (e != KIST_E_NOACCESS) {
			snprintf(why, sizeof why, "kist__age_x25519_unwrap: %s", kist_errdetail());
			goto out;
		}
	}
	if (!*unwrapped) {
		snprintf(why, sizeof why, "no stanza unwraps with the identity");
		r = NO_MATCH;
		goto out;
	}
	kist__hkdf_sha256(hkey, 32, NULL, 0, file_key, FILE_KEY_LEN, "header");
	kist__hmac_sha256(want_mac, hkey, 32, v->age, mac_len);
	sodium_memzero(hkey, sizeof hkey);
	if (sodium_memcmp(want_mac, mac, 32) != 0) {
		snprintf(why, sizeof why, "header MAC mismatch");
		goto out;
	}
	r = decrypt_payload(v->age + payload_off, v->agelen - payload_off, file_key, sha);
	if (r == SUCCESS && v->has_payload_sha && memcmp(sha, v->payload_sha, 32) != 0) {
		snprintf(why, sizeof why, "payload SHA-256 differs");
		r = PAYLOAD_FAILURE;
	}
	if (r == SUCCESS && !v->has_payload_sha) {
		snprintf(why, sizeof why, "a success vector without a payload hash");
		r = PAYLOAD_FAILURE;
	}
out:
	sodium_free(sk);
	free(scratch);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The shared vectors may be missing in a user's clone, never in CI (CI=true). */
static int skip_or_fail(void)
{
	const char *ci = getenv("CI");
	if (ci != NULL && strcmp(ci, "true") == 0) {
		printf("not ok - CI=true and the age test vectors are missing: a failure in CI\n");
		return 1;
	}
	return SKIP;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/vectors/age";
	char *names[256];
	size_t n = 0;
	int failed = 0;
	DIR *d;
	struct dirent *de;

	if (kist_init() != KIST_OK)
		return 1;
	if ((d = opendir(dir)) == NULL) {
		printf("1..0 # SKIP the age test vectors are not at %s (%s)\n", dir,
		       strerror(errno));
		return skip_or_fail();
	}
	while ((de = readdir(d)) != NULL && n < 256)
		if (strncmp(de->d_name, "x25519", 6) == 0)
			names[n++] = strdup(de->d_name);
	closedir(d);
	if (n == 0) {
		printf("1..0 # SKIP no x25519* vectors in %s\n", dir);
		return skip_or_fail();
	}
	qsort(names, n, sizeof *names, name_cmp);
	printf("1..%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		vector v;
		unsigned char file_key[FILE_KEY_LEN];
		int unwrapped = 0, ok = 0;
		size_t len = 0;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		unsigned char *buf = malloc(1 << 20);
		if (f != NULL && buf != NULL)
			len = fread(buf, 1, 1 << 20, f);
		if (f != NULL)
			fclose(f);
		if (f == NULL || buf == NULL || len == 0 || parse_vector(&v, buf, len) != 0) {
			printf("not ok %zu - %s: unreadable vector\n", i + 1, names[i]);
			failed++;
			free(buf);
			continue;
		}
		enum outcome got = run_vector(&v, file_key, &unwrapped);
		const char *got_name = outcome_names[got];
		if (strcmp(v.expect, got_name) == 0) {
			ok = 1;
			if (got == SUCCESS && (v.file_key_len != FILE_KEY_LEN ||
			                       memcmp(file_key, v.file_key, 16) != 0)) {
				snprintf(why, sizeof why, "unwrapped a different file key");
				ok = 0;
			}
			if ((got == NO_MATCH || got == HEADER_FAILURE) && unwrapped &&
			    v.file_key_len == FILE_KEY_LEN &&
			    memcmp(file_key, v.file_key, FILE_KEY_LEN) == 0 &&
			    strstr(why, "MAC") == NULL) {
				snprintf(why, sizeof why, "a failing vector released its file key");
				ok = 0;
			}
		}
		printf("%s %zu - %s: expect %s, got %s\n", ok ? "ok" : "not ok", i + 1, names[i],
		       v.expect, got_name);
		if (why[0])
			printf("# %s\n", why);
		failed += !ok;
		free(buf);
		free(names[i]);
	}
	if (failed)
		printf("# %d of %zu age vectors FAILED\n", failed, n);
	return failed ? 1 : 0;
}
