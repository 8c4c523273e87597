/*
 * Identities (secret key files) and public keys.
 *
 * An identity holds an X25519 key pair (to open vaults) and an Ed25519 key
 * pair (to sign them).  The file format is in docs/FORMAT.md, "Identity file".
 * Identity files may also be age identity files (age.c parses their keys).
 */
#include "keys/keys.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#define ID_MAGIC       "kistid\0\1"
#define ID_HEAD        128 /* magic, protection, costs, salt, nonce, public keys */
#define ID_SECRET      64
#define ID_LINE_PREFIX "KIST-IDENTITY-1 "
#define ID_FILE_MAX    16384
#define ID_OPS_DEFAULT 3u
#define ID_MEM_DEFAULT (256u << 20)
#define ID_OPS_MAX     16u
#define ID_MEM_MAX     (1024ull << 20)
#define PUBKEY_HRP     "kist"
#define FPR_LABEL      "kist/v1 fingerprint"
#define FPR_AGE_LABEL  "kist/v1 age fingerprint"

static kist_identity *identity_alloc(void)
{
	kist_identity *id = sodium_malloc(sizeof *id);
	if (id != NULL)
		sodium_memzero(id, sizeof *id);
	return id;
}

void kist_identity_free(kist_identity *id)
{
	if (id != NULL)
		sodium_free(id); /* sodium_free wipes before freeing */
}

static void identity_fill_public(kist_identity *id)
{
	crypto_scalarmult_base(id->pk.x25519, id->x25519_sk);
	memcpy(id->pk.ed25519, id->ed25519_sk + 32, 32);
}

kist_err kist_identity_generate(kist_identity **out)
{
	kist_err err;
	unsigned char seed[32];
	kist_identity *id;

	if ((err = kist_init()) != KIST_OK)
		return err;
	if ((id = identity_alloc()) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	randombytes_buf(id->x25519_sk, sizeof id->x25519_sk);
	randombytes_buf(seed, sizeof seed);
	crypto_sign_seed_keypair(id->pk.ed25519, id->ed25519_sk, seed);
	sodium_memzero(seed, sizeof seed);
	identity_fill_public(id);
	*out = id;
	return KIST_OK;
}

void kist_identity_pubkey(const kist_identity *id, kist_pubkey *out)
{
	*out = id->pk;
}

int kist_identity_is_age(const kist_identity *id)
{
	return id->from_age;
}

void kist_identity_recipient(const kist_identity *id, kist_pubkey *out)
{
	*out = id->pk;
	if (id->from_age) {
		memset(out->ed25519, 0, sizeof out->ed25519);
		out->kind = KIST_PUBKEY_AGE;
	}
}

int kist_identity_is_protected(const kist_identity *id)
{
	return id->was_protected;
}

/* ------------------------------------------------------------ public keys */

void kist_pubkey_format(const kist_pubkey *pk, char out[KIST_PUBKEY_STRLEN + 1])
{
	unsigned char raw[64];
	if (pk->kind == KIST_PUBKEY_AGE) {
		kist__age_pubkey_format(pk->x25519, out);
		return;
	}
	memcpy(raw, pk->x25519, 32);
	memcpy(raw + 32, pk->ed25519, 32);
	kist__bech32_encode(out, KIST_PUBKEY_STRLEN + 1, PUBKEY_HRP, raw, sizeof raw);
}

/* Longest paste looked at: a key with a fingerprint line and blanks around it. */
#define PASTE_MAX 4096

/*
 * Length of what a paste adds around or inside a key at p (0 if nothing):
 * ASCII blanks and line breaks, quotes, angle brackets, no-break space,
 * typographic quotes, zero-width characters (U+200B/C/D, U+2060) and the
 * byte order mark U+FEFF.
 */
static size_t paste_noise(const unsigned char *p)
{
	if (strchr(" \t\r\n\v\f\"'`<>", p[0]) != NULL && p[0] != '\0')
		return 1;
	if (p[0] == 0xc2 && p[1] == 0xa0) /* U+00A0 */
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 &&
	    (p[2] == 0x8b || p[2] == 0x8c || p[2] == 0x8d ||                /* U+200B..D */
	     p[2] == 0x98 || p[2] == 0x99 || p[2] == 0x9c || p[2] == 0x9d)) /* quotes */
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0xa0) /* U+2060 */
		return 3;
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) /* U+FEFF */
		return 3;
	return 0;
}

/*
 * Copies str into out (capacity PASTE_MAX + 1) without paste noise, up to a
 * "fingerprint" label (the line kist prints after a key).  The checksum
 * still guards what is left.
 */
static kist_err paste_clean(char out[PASTE_MAX + 1], const char *str)
{
	size_t len = strnlen(str, PASTE_MAX + 1), o = 0;
	const char *fp;

	if (len > PASTE_MAX)
		return kist__fail(KIST_E_BADKEY, "too long to be a public key (%d bytes or more)",
		                  PASTE_MAX + 1);
	if ((fp = kist__os_strcasestr(str, "fingerprint")) != NULL)
		len = (size_t)(fp - str);
	for (size_t i = 0; i < len;) {
		size_t n = paste_noise((const unsigned char *)str + i);
		if (n > 0 && i + n <= len) {
			i += n;
			continue;
		}
		out[o++] = str[i++];
	}
	out[o] = '\0';
	return KIST_OK;
}

/*
 * Names the first character of key (after its "kist1"/"age1" prefix) that
 * no key of this kind contains: "character 58 is 'O' (letter O); kist keys
 * never contain it".  Returns 0 if every character could be in a key.
 */
static int explain_char(const char *key, size_t prefix, const char *kind)
{
	static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
	const unsigned char *p = (const unsigned char *)key;
	size_t len = strlen(key);
	int lower = 0, upper = 0;
	size_t pos = 0;

	for (size_t i = 0; i < prefix; i++) {
		lower |= p[i] >= 'a' && p[i] <= 'z';
		upper |= p[i] >= 'A' && p[i] <= 'Z';
	}
	pos = prefix;
	for (size_t i = prefix; p[i] != '\0';) {
		uint32_t cp;
		size_t n = kist__utf8_next(p + i, len - i, &cp);
		if (n == 0) { /* not UTF-8 (an overlong "o", say): the byte stands for itself */
			cp = p[i];
			n = 1;
		}
		pos++;
		i += n;
		if (cp >= 0x80) {
			kist__fail(KIST_E_BADKEY,
			           "character %zu is U+%04X, not an ASCII letter or digit; %s keys "
			           "never contain it",
			           pos, (unsigned)cp, kind);
			return 1;
		}
		int c = (int)cp, lc = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
		if (c == '1' || lc == 'b' || lc == 'i' || lc == 'o') {
			const char *what = c == '1'   ? "digit one"
			                   : c == 'O' ? "capital letter O"
			                   : c == 'I' ? "capital letter I"
			                   : c == 'B' ? "capital letter B"
			                   : c == 'o' ? "letter o"
			                   : c == 'i' ? "letter i"
			                              : "letter b";
			kist__fail(KIST_E_BADKEY,
			           "character %zu is '%c' (%s); %s keys never contain it%s", pos, c,
			           what, kind, c == '1' ? " after the prefix" : "");
			return 1;
		}
		if (lc == '\0' || strchr(charset, lc) == NULL) {
			if (c < 0x21 || c > 0x7e)
				kist__fail(KIST_E_BADKEY,
				           "character %zu is the control byte 0x%02x; %s "
				           "keys never contain it",
				           pos, (unsigned)c, kind);
			else
				kist__fail(KIST_E_BADKEY,
				           "character %zu is '%c'; %s keys contain only "
				           "letters and digits",
				           pos, c, kind);
			return 1;
		}
		if ((c != lc && lower) || (c == lc && c >= 'a' && upper)) {
			kist__fail(KIST_E_BADKEY,
			           "character %zu is '%c' but the key before it is in "
			           "%s case; a key is all lower (or all upper) case",
			           pos, c, lower ? "lower" : "upper");
			return 1;
		}
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
	}
	return 0;
}

static kist_err parse_clean(kist_pubkey *out, const char *str)
{
	unsigned char raw[80];
	char hrp[16];
	size_t n = 0, len = strlen(str);
	int rc;

	if (*str == '\0')
		return kist__fail(KIST_E_BADKEY, "empty public key");
	if (strncasecmp(str, "age1", 4) == 0) {
		if (explain_char(str, 4, "age"))
			return KIST_E_BADKEY;
		kist_err err = kist__age_pubkey_parse(raw, str);
		if (err != KIST_OK)
			return err;
		memset(out, 0, sizeof *out);
		memcpy(out->x25519, raw, 32);
		out->kind = KIST_PUBKEY_AGE;
		return KIST_OK;
	}
	if (strncasecmp(str, "kist1", 5) != 0)
		return kist__fail(KIST_E_BADKEY,
		                  "a public key starts with kist1 (or age1 for an age "
		                  "key); this starts with \"%.6s\"",
		                  str);
	if (explain_char(str, 5, "kist"))
		return KIST_E_BADKEY;
	if (len != KIST_PUBKEY_STRLEN)
		return kist__fail(KIST_E_BADKEY,
		                  "a kist public key is %d characters starting with kist1, this is "
		                  "%zu: %s",
		                  KIST_PUBKEY_STRLEN, len,
		                  len < KIST_PUBKEY_STRLEN
		                      ? "some are missing (a line cut short?)"
		                      : "it has too many (two keys run together?)");
	rc = kist__bech32_decode(raw, sizeof raw, &n, hrp, sizeof hrp, str);
	if (rc == -2)
		return kist__fail(KIST_E_BADKEY,
		                  "checksum mismatch: a character is mistyped or two "
		                  "are swapped");
	if (rc != 0)
		return kist__fail(KIST_E_BADKEY, "not a valid bech32 string");
	if (strcmp(hrp, PUBKEY_HRP) != 0)
		return kist__fail(KIST_E_BADKEY, "not a kist public key (prefix \"%s1\")", hrp);
	if (n != KIST_PUBKEY_BYTES)
		return kist__fail(KIST_E_BADKEY, "wrong key length");
	memcpy(out->x25519, raw, 32);
	memcpy(out->ed25519, raw + 32, 32);
	out->kind = KIST_PUBKEY_KIST;
	return KIST_OK;
}

kist_err kist_pubkey_parse(kist_pubkey *out, const char *str)
{
	char clean[PASTE_MAX + 1];
	kist_err err;

	if (str == NULL)
		return kist__fail(KIST_E_BADKEY, "empty public key");
	if ((err = paste_clean(clean, str)) != KIST_OK)
		return err;
	return parse_clean(out, clean);
}

void kist_pubkey_fingerprint(const kist_pubkey *pk, char out[KIST_FINGERPRINT_STRLEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[sizeof FPR_AGE_LABEL + 64], h[32];
	size_t o = 0;

	if (pk->kind == KIST_PUBKEY_AGE) {
		memcpy(buf, FPR_AGE_LABEL, sizeof FPR_AGE_LABEL); /* includes the NUL */
		memcpy(buf + sizeof FPR_AGE_LABEL, pk->x25519, 32);
		kist__sha256_oneshot(h, buf, sizeof FPR_AGE_LABEL + 32);
	} else {
		memcpy(buf, FPR_LABEL, sizeof FPR_LABEL); /* includes the NUL separator */
		memcpy(buf + sizeof FPR_LABEL, pk->x25519, 32);
		memcpy(buf + sizeof FPR_LABEL + 32, pk->ed25519, 32);
		kist__sha256_oneshot(h, buf, sizeof FPR_LABEL + 64);
	}
	for (int i = 0; i < 10; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = '-';
		out[o++] = hex[h[i] >> 4];
		out[o++] = hex[h[i] & 15];
	}
	out[o] = '\0';
}

kist_err kist_recipients_file_read(const char *path, kist_pubkey **out, size_t *count)
{
	FILE *f = kist__os_fopen(path, "r");
	kist_pubkey *keys = NULL;
	size_t n = 0, lineno = 0;
	char line[512];
	kist_err err = KIST_OK;

	if (f == NULL)
		return kist__fail(kist__errno_err(errno), "%s: %s", path, strerror(errno));
	keys = calloc(KIST_MAX_RECIPIENTS, sizeof *keys);
	if (keys == NULL) {
		fclose(f);
		return kist__nomem();
	}
	while (fgets(line, sizeof line, f) != NULL) {
		size_t len = strlen(line);
		lineno++;
		if (len == sizeof line - 1 && line[len - 1] != '\n') {
			err = kist__fail(KIST_E_BADKEY, "%s: line %zu is too long", path, lineno);
			goto out;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		                   line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#' || strncasecmp(p, "fingerprint", 11) == 0)
			continue; /* a fingerprint line as kist pubkey prints it */
		if (n == KIST_MAX_RECIPIENTS) {
			err = kist__fail(KIST_E_LIMIT, "%s: more than %d recipients", path,
			                 KIST_MAX_RECIPIENTS);
			goto out;
		}
		if ((err = kist_pubkey_parse(&keys[n], p)) != KIST_OK) {
			char why[256];
			snprintf(why, sizeof why, "%s", kist_errdetail());
			err = kist__fail(err, "%s: line %zu: %s", path, lineno, why);
			goto out;
		}
		n++;
	}
	if (ferror(f)) {
		err = kist__fail(KIST_E_IO, "%s: read error", path);
		goto out;
	}
	if (n == 0) {
		err = kist__fail(KIST_E_BADKEY, "%s: no recipients in file", path);
		goto out;
	}
	*out = keys;
	*count = n;
	keys = NULL;
out:
	free(keys);
	fclose(f);
	return err;
}

/* -------------------------------------------------------- identity files */

static kist_err derive_pass_key(unsigned char key[32], const char *pass, size_t passlen,
                                const unsigned char salt[16], uint32_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, 32, pass, passlen, salt, ops, (size_t)mem,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return kist__fail(KIST_E_NOMEM, "Argon2id needs %llu MiB of memory",
		                  (unsigned long long)(mem >> 20));
	return KIST_OK;
}

/*
 * The identity blob of id: head and secret keys, the secret encrypted under
 * pass when there is one (key, 32 bytes of secure memory, is scratch).
 */
static kist_err identity_blob(const kist_identity *id, unsigned char *blob, unsigned char *key,
                              const char *pass, size_t passlen)
{
	kist_err err;
	memset(blob, 0, ID_HEAD);
	memcpy(blob, ID_MAGIC, 8);
	memcpy(blob + 64, id->pk.x25519, 32);
	memcpy(blob + 96, id->pk.ed25519, 32);
	unsigned char *secret = blob + ID_HEAD;
	memcpy(secret, id->x25519_sk, 32);
	memcpy(secret + 32, id->ed25519_sk, 32); /* the seed */
	if (pass != NULL) {
		blob[8] = 1;
		kist__st32(blob + 12, ID_OPS_DEFAULT);
		kist__st64(blob + 16, ID_MEM_DEFAULT);
		randombytes_buf(blob + 24, 16);
		randombytes_buf(blob + 40, 24);
		if ((err = derive_pass_key(key, pass, passlen, blob + 24, ID_OPS_DEFAULT,
		                           ID_MEM_DEFAULT)) != KIST_OK)
			return err;
		crypto_aead_xchacha20poly1305_ietf_encrypt(secret, NULL, secret, ID_SECRET, blob,
		                                           ID_HEAD, NULL, blob + 40, key);
	}
	return KIST_OK;
}

kist_err kist_identity_save(const kist_identity *id, const char *path, const char *pass,
                            size_t passlen, unsigned flags)
{
	unsigned char *blob = NULL, *key = NULL;
	char *text = NULL;
	size_t bloblen, textcap, b64len;
	char pkstr[KIST_PUBKEY_STRLEN + 1], fpr[KIST_FINGERPRINT_STRLEN + 1];
	kist__outfile of = {.dirfd = -1, .fd = -1, .slot = -1};
	const char *base;
	int dirfd = -1;
	kist_err err;

	if ((err = kist_init()) != KIST_OK)
		return err;
	if (flags & ~KIST_REPLACE)
		return kist__fail(KIST_E_ARG, "unknown flags 0x%x", flags & ~KIST_REPLACE);
	if (pass != NULL && passlen == 0)
		return kist__fail(KIST_E_ARG, "empty passphrase");
	int force = (flags & KIST_REPLACE) != 0;
	bloblen = ID_HEAD + ID_SECRET + (pass ? crypto_aead_xchacha20poly1305_ietf_ABYTES : 0);
	blob = sodium_malloc(bloblen);
	key = sodium_malloc(32);
	b64len = sodium_base64_ENCODED_LEN(bloblen, sodium_base64_VARIANT_ORIGINAL);
	textcap = b64len + 1024;
	text = sodium_malloc(textcap);
	if (blob == NULL || key == NULL || text == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = identity_blob(id, blob, key, pass, passlen)) != KIST_OK)
		goto out;
	kist_pubkey_format(&id->pk, pkstr);
	kist_pubkey_fingerprint(&id->pk, fpr);
	int n = snprintf(text, textcap,
	                 "# kist identity: SECRET. Whoever holds this file%s can open vaults "
	                 "sealed to it.\n"
	                 "# public key: %s\n# fingerprint: %s\n" ID_LINE_PREFIX,
	                 pass ? " and its passphrase" : "", pkstr, fpr);
	if (n < 0 || (size_t)n >= textcap - b64len - 2) {
		err = kist__fail(KIST_E_ARG, "internal: identity text too long");
		goto out;
	}
	sodium_bin2base64(text + n, b64len, blob, bloblen, sodium_base64_VARIANT_ORIGINAL);
	size_t tlen = strlen(text);
	text[tlen++] = '\n';

	if ((err = kist__open_parent(path, &dirfd, &base)) != KIST_OK)
		goto out;
	if (!force && kist__os_exists_at(dirfd, base)) {
		err = kist__fail(KIST_E_EXISTS, "%s exists", path);
		goto out;
	}
	if ((err = kist__outfile_open(&of, dirfd, base)) != KIST_OK)
		goto out;
	if ((err = kist__write_full(of.fd, text, tlen, path)) != KIST_OK)
		goto out;
	err = kist__outfile_commit(&of, force, 1);
	if (err == KIST_E_EXISTS)
		kist__fail(err, "%s exists", path);
out:
	kist__outfile_abort(&of);
	if (dirfd >= 0)
		kist__os_close(dirfd);
	sodium_free(blob);
	sodium_free(key);
	sodium_free(text);
	return err;
}

/*
 * Reads an identity file (permissions checked) into *text: secure memory of
 * ID_FILE_MAX + 1 bytes, NUL-terminated, without NUL bytes inside.
 */
static kist_err read_key_text(const char *path, char **text_out)
{
	char *text = NULL;
	size_t textlen = 0;
	kist__os_stat st;
	kist_err err;
	int fd = kist__os_open(path, KIST__OS_RDONLY, 0);

	if (fd < 0)
		return kist__fail(kist__errno_err(errno), "%s: %s", path, strerror(errno));
	if (kist__os_fstat(fd, &st) != 0) {
		err = kist__fail(KIST_E_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.type != KIST__OS_FILE) {
		err = kist__fail(KIST_E_BADKEY, "%s is not a regular file", path);
		goto out;
	}
	if (!kist__os_private_enough(&st)) {
		err = kist__fail(KIST_E_KEYPERM, "%s has mode %03o; run: chmod 600 %s", path,
		                 (unsigned)(st.mode & 0777), path);
		goto out;
	}
	if (st.size > ID_FILE_MAX) {
		err = kist__fail(KIST_E_BADKEY, "%s is too large to be an identity file", path);
		goto out;
	}
	if ((text = sodium_malloc(ID_FILE_MAX + 1)) == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = kist__read_full(fd, text, ID_FILE_MAX, &textlen, path)) != KIST_OK)
		goto out;
	text[textlen] = '\0';
	if (memchr(text, '\0', textlen) != NULL) {
		err = kist__fail(KIST_E_BADKEY, "%s is not a kist or age identity file", path);
		goto out;
	}
	*text_out = text;
	text = NULL;
out:
	kist__os_close(fd);
	sodium_free(text);
	return err;
}

/* Whether text is a kist identity file (0) or an age identity file (1). */
static kist_err key_text_kind(const char *text, const char *path, int *is_age)
{
	int kist = 0, age = 0;

	if (strncmp(text, "age-encryption.org/", 19) == 0)
		return kist__fail(KIST_E_BADKEY,
		                  "%s is a passphrase-protected age identity file, which kist does "
		                  "not support",
		                  path);
	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, ID_LINE_PREFIX, strlen(ID_LINE_PREFIX)) == 0)
			kist = 1;
		else if (strncmp(p, "AGE-", 4) == 0)
			age = 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (kist && age)
		return kist__fail(KIST_E_BADKEY, "%s mixes kist and age keys", path);
	if (!kist && !age)
		return kist__fail(KIST_E_BADKEY, "%s is not a kist or age identity file", path);
	*is_age = age;
	return KIST_OK;
}

/* Decodes the one KIST-IDENTITY-1 line of text (modified) into blob (ID_FILE_MAX bytes). */
static kist_err decode_identity_blob(char *text, const char *path, unsigned char *blob,
                                     size_t *bloblen)
{
	/* Find the one line that starts with the prefix; comments are ignored. */
	char *line = NULL;
	for (char *p = text; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (strncmp(p, ID_LINE_PREFIX, strlen(ID_LINE_PREFIX)) == 0) {
			if (line != NULL)
				return kist__fail(KIST_E_BADKEY, "%s holds more than one identity",
				                  path);
			line = p + strlen(ID_LINE_PREFIX);
		}
		p = nl ? nl + 1 : NULL;
	}
	if (line == NULL)
		return kist__fail(KIST_E_BADKEY, "%s is not a kist identity file", path);
	size_t ll = strlen(line);
	if (ll > 0 && line[ll - 1] == '\r')
		line[--ll] = '\0';
	if (sodium_base642bin(blob, ID_FILE_MAX, line, ll, NULL, bloblen, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    *bloblen < ID_HEAD + ID_SECRET || memcmp(blob, ID_MAGIC, 8) != 0 || blob[9] != 0 ||
	    blob[10] != 0 || blob[11] != 0)
		return kist__fail(KIST_E_BADKEY, "%s: malformed identity", path);
	return KIST_OK;
}

/* Reads the key file at path into *text and tells whether it holds age identities. */
static kist_err key_file_open(const char *path, char **text, int *is_age)
{
	kist_err err;
	if ((err = kist_init()) != KIST_OK || (err = read_key_text(path, text)) != KIST_OK)
		return err;
	return key_text_kind(*text, path, is_age);
}

kist_err kist_identity_file_pubkey(const char *path, kist_pubkey *out)
{
	unsigned char *blob = NULL;
	kist_identity **ids = NULL;
	size_t bloblen = 0, n = 0;
	char *text = NULL;
	int is_age = 0;
	kist_err err;

	if ((err = key_file_open(path, &text, &is_age)) != KIST_OK)
		goto out;
	if (is_age) {
		if ((err = kist__age_identities_parse(text, path, &ids, &n)) == KIST_OK)
			kist_identity_recipient(ids[0], out);
		goto out;
	}
	if ((blob = sodium_malloc(ID_FILE_MAX)) == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = decode_identity_blob(text, path, blob, &bloblen)) == KIST_OK) {
		memset(out, 0, sizeof *out);
		memcpy(out->x25519, blob + 64, 32);
		memcpy(out->ed25519, blob + 96, 32);
		out->kind = KIST_PUBKEY_KIST;
	}
out:
	kist_identities_free(ids, n);
	sodium_free(blob);
	sodium_free(text);
	return err;
}

/*
 * Decrypts in place the secret of a passphrase-protected identity blob of
 * bloblen bytes, with key (32 bytes of secure memory) as scratch.
 */
static kist_err unlock_secret(unsigned char *blob, size_t bloblen, unsigned char *key,
                              const char *path, kist_passphrase_fn pass_fn, void *pass_ctx)
{
	unsigned char *secret = blob + ID_HEAD;
	char *pass = NULL;
	size_t passlen = 0;
	kist_err err;

	uint32_t ops = kist__ld32(blob + 12);
	uint64_t mem = kist__ld64(blob + 16);
	if (bloblen != ID_HEAD + ID_SECRET + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
		err = kist__fail(KIST_E_BADKEY, "%s: malformed identity", path);
		goto out;
	}
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > ID_OPS_MAX ||
	    mem < crypto_pwhash_MEMLIMIT_MIN || mem > ID_MEM_MAX) {
		err =
		    kist__fail(KIST_E_LIMIT, "%s: passphrase cost parameters out of bounds", path);
		goto out;
	}
	if (pass_fn == NULL) {
		err = kist__fail(KIST_E_PASSPHRASE, "%s needs a passphrase", path);
		goto out;
	}
	pass = sodium_malloc(KIST_PASSPHRASE_MAX);
	if (pass == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = pass_fn(pass_ctx, path, pass, KIST_PASSPHRASE_MAX, &passlen)) != KIST_OK)
		goto out;
	if ((err = derive_pass_key(key, pass, passlen, blob + 24, ops, mem)) != KIST_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
	        secret, NULL, NULL, secret, ID_SECRET + crypto_aead_xchacha20poly1305_ietf_ABYTES,
	        blob, ID_HEAD, blob + 40, key) != 0) {
		err = kist__fail(KIST_E_PASSPHRASE, "%s: wrong passphrase", path);
		goto out;
	}
	err = KIST_OK;
out:
	sodium_free(pass);
	return err;
}

/* Loads the kist identity in text (modified). */
static kist_err load_kist_identity(kist_identity **out, char *text, const char *path,
                                   kist_passphrase_fn pass_fn, void *pass_ctx)
{
	unsigned char *blob = NULL, *key = NULL;
	kist_identity *id = NULL;
	size_t bloblen = 0;
	kist_err err;

	blob = sodium_malloc(ID_FILE_MAX);
	key = sodium_malloc(32);
	id = identity_alloc();
	if (blob == NULL || key == NULL || id == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = decode_identity_blob(text, path, blob, &bloblen)) != KIST_OK)
		goto out;
	unsigned char *secret = blob + ID_HEAD;
	if (blob[8] == 0) {
		static const unsigned char zero[52];
		if (bloblen != ID_HEAD + ID_SECRET || memcmp(blob + 12, zero, sizeof zero) != 0) {
			err = kist__fail(KIST_E_BADKEY, "%s: malformed identity", path);
			goto out;
		}
	} else if (blob[8] == 1) {
		if ((err = unlock_secret(blob, bloblen, key, path, pass_fn, pass_ctx)) != KIST_OK)
			goto out;
		id->was_protected = 1;
	} else {
		err = kist__fail(KIST_E_BADKEY, "%s: unknown protection type %u", path, blob[8]);
		goto out;
	}
	memcpy(id->x25519_sk, secret, 32);
	crypto_sign_seed_keypair(id->pk.ed25519, id->ed25519_sk, secret + 32);
	identity_fill_public(id);
	/* The stored public keys must be the ones the secret keys give. */
	if (sodium_memcmp(id->pk.x25519, blob + 64, 32) != 0 ||
	    sodium_memcmp(id->pk.ed25519, blob + 96, 32) != 0) {
		err = kist__fail(KIST_E_BADKEY, "%s: damaged identity (keys do not match)", path);
		goto out;
	}
	*out = id;
	id = NULL;
	err = KIST_OK;
out:
	sodium_free(blob);
	sodium_free(key);
	kist_identity_free(id);
	return err;
}

kist_err kist_identity_load_all(kist_identity ***out, size_t *count, const char *path,
                                kist_passphrase_fn pass_fn, void *pass_ctx)
{
	kist_identity **ids = NULL;
	char *text = NULL;
	int is_age = 0;
	kist_err err;

	if ((err = key_file_open(path, &text, &is_age)) != KIST_OK)
		goto out;
	if (is_age) {
		err = kist__age_identities_parse(text, path, out, count);
		goto out;
	}
	if ((ids = calloc(1, sizeof *ids)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = load_kist_identity(&ids[0], text, path, pass_fn, pass_ctx)) != KIST_OK)
		goto out;
	*out = ids;
	*count = 1;
	ids = NULL;
out:
	free(ids);
	sodium_free(text);
	return err;
}

kist_err kist_identity_load(kist_identity **out, const char *path, kist_passphrase_fn pass_fn,
                            void *pass_ctx)
{
	kist_identity **ids = NULL;
	size_t n = 0;
	kist_err err = kist_identity_load_all(&ids, &n, path, pass_fn, pass_ctx);

	if (err != KIST_OK)
		return err;
	if (n != 1) {
		kist_identities_free(ids, n);
		return kist__fail(KIST_E_BADKEY,
		                  "%s holds %zu age identities; only one can be used here", path,
		                  n);
	}
	*out = ids[0];
	free(ids);
	return KIST_OK;
}

void kist_identities_free(kist_identity **ids, size_t n)
{
	if (ids == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		kist_identity_free(ids[i]);
	free(ids);
}
