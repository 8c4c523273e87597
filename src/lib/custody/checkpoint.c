/* Checkpoints: C2SP tlog-checkpoint signed notes, parsed strictly and verified. */
#include "custody/custody_int.h"

/* --------------------------------------------------------- checkpoints */

static const char em_dash[] = "\xe2\x80\x94 "; /* "— " starts a signature line */

static void key_id(unsigned char out[4], const char *name, const unsigned char pk[32])
{
	buf b = {0};
	unsigned char h[32], type = 0x01;
	kist__buf_put(&b, name, strlen(name));
	kist__buf_put(&b, "\n", 1);
	kist__buf_put(&b, &type, 1);
	kist__buf_put(&b, pk, 32);
	if (b.oom) {
		memset(out, 0, 4);
		free(b.p);
		return;
	}
	kist__sha256_oneshot(h, b.p, b.len);
	memcpy(out, h, 4);
	free(b.p);
}

/* The note's size, its final newline and its bytes: no CR, no control characters. */
static kist_err check_bytes(const char *text, size_t len)
{
	if (len > KIST_CHECKPOINT_MAX)
		return kist__fail(KIST_E_FORMAT, "checkpoint: longer than %d bytes",
		                  KIST_CHECKPOINT_MAX);
	if (len == 0 || text[len - 1] != '\n')
		return kist__fail(KIST_E_FORMAT, "checkpoint: does not end with a newline");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\r')
			return kist__fail(
			    KIST_E_FORMAT,
			    "checkpoint: CRLF line ends (as email or a Windows editor "
			    "leaves them): save the note with plain LF line ends");
		if ((c < 0x20 && c != '\n') || c == 0x7f)
			return kist__fail(KIST_E_FORMAT,
			                  "checkpoint: control character at byte %zu", i);
	}
	return KIST_OK;
}

/* Body line number line (0: origin, 1: tree size, 2: root), l of ll bytes, into cp. */
static kist_err body_line(kist__checkpoint *cp, size_t line, const char *l, size_t ll)
{
	if (line == 0) {
		if (ll > 256)
			return kist__fail(KIST_E_FORMAT, "checkpoint: origin line too long");
		memcpy(cp->origin, l, ll);
		cp->origin[ll] = '\0';
	} else if (line == 1) {
		uint64_t v = 0;
		if (ll > 20 || (ll > 1 && l[0] == '0'))
			return kist__fail(KIST_E_FORMAT, "checkpoint: bad tree size");
		for (size_t i = 0; i < ll; i++) {
			if (l[i] < '0' || l[i] > '9' || v > (UINT64_MAX - 9) / 10)
				return kist__fail(KIST_E_FORMAT, "checkpoint: bad tree size");
			v = v * 10 + (uint64_t)(l[i] - '0');
		}
		cp->size = v;
	} else if (line == 2) {
		size_t got = 0;
		if (ll != 44 ||
		    sodium_base642bin(cp->root, 32, l, ll, NULL, &got, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
		    got != 32)
			return kist__fail(KIST_E_FORMAT,
			                  "checkpoint: root is not base64 of 32 bytes");
	} /* further lines are extensions, covered by the signature, ignored */
	return KIST_OK;
}

/*
 * One signature line l of ll bytes: "— NAME BASE64".  A well-formed line
 * of a kind kist does not use (not 4 + 64 bytes, a long name, past
 * KIST_CHECKPOINT_SIGS) is skipped; only a malformed one is refused.
 */
static kist_err sig_line(kist__checkpoint *cp, const char *l, size_t ll)
{
	size_t dl = sizeof em_dash - 1;
	if (ll < dl || memcmp(l, em_dash, dl) != 0)
		return kist__fail(KIST_E_FORMAT, "checkpoint: a signature line must start with "
		                                 "an em dash and a space");
	const char *name = l + dl;
	const char *sp = memchr(name, ' ', ll - dl);
	if (sp == NULL || sp == name)
		return kist__fail(KIST_E_FORMAT, "checkpoint: signature line without a name");
	size_t nl_len = (size_t)(sp - name);
	const char *b64 = sp + 1;
	size_t bl = ll - dl - nl_len - 1;
	unsigned char raw[4 + 64 + 64];
	size_t got = 0;
	if (memchr(name, '+', nl_len) != NULL || bl == 0 || bl > 4 * sizeof raw / 3 + 4 ||
	    sodium_base642bin(raw, sizeof raw, b64, bl, NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    got < 5)
		return kist__fail(KIST_E_FORMAT, "checkpoint: malformed signature line");
	if (cp->nsigs < KIST_CHECKPOINT_SIGS && nl_len < sizeof cp->sigs[0].name && got == 68) {
		memcpy(cp->sigs[cp->nsigs].name, name, nl_len);
		cp->sigs[cp->nsigs].name[nl_len] = '\0';
		memcpy(cp->sigs[cp->nsigs].keyid, raw, 4);
		memcpy(cp->sigs[cp->nsigs].sig, raw + 4, 64);
		cp->nsigs++;
	}
	return KIST_OK;
}

kist_err kist__checkpoint_parse(kist__checkpoint *cp, const char *text, size_t len)
{
	kist_err err;
	memset(cp, 0, sizeof *cp);
	if ((err = check_bytes(text, len)) != KIST_OK)
		return err;
	/* Body: the lines up to the first empty line (or the end, unsigned). */
	size_t pos = 0, line = 0, body_end = len;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (size_t)(nl - (text + pos));
		if (ll == 0) {
			body_end = pos;
			break;
		}
		if ((err = body_line(cp, line, text + pos, ll)) != KIST_OK)
			return err;
		line++;
		pos += ll + 1;
	}
	if (line < 3)
		return kist__fail(KIST_E_FORMAT, "checkpoint: needs origin, size and root lines");
	cp->body_len = body_end;
	if (body_end == len)
		return KIST_OK; /* unsigned */
	pos = body_end + 1;
	if (pos >= len)
		return kist__fail(KIST_E_FORMAT, "checkpoint: blank line without signatures");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = (size_t)(nl - (text + pos));
		if ((err = sig_line(cp, text + pos, ll)) != KIST_OK)
			return err;
		pos += ll + 1;
	}
	return KIST_OK;
}

kist_err kist__checkpoint_verify_by(const kist__checkpoint *cp, const char *text,
                                    const kist_pubkey *want)
{
	for (size_t i = 0; i < cp->nsigs && cp->body_len > 0; i++) {
		kist_pubkey pk;
		unsigned char id[4];
		if (kist_pubkey_parse(&pk, cp->sigs[i].name) != KIST_OK ||
		    sodium_memcmp(pk.ed25519, want->ed25519, 32) != 0)
			continue;
		key_id(id, cp->sigs[i].name, pk.ed25519);
		if (sodium_memcmp(id, cp->sigs[i].keyid, 4) == 0 &&
		    crypto_sign_verify_detached(cp->sigs[i].sig, (const unsigned char *)text,
		                                cp->body_len, pk.ed25519) == 0)
			return KIST_OK;
	}
	return kist__fail(KIST_E_SIGNATURE, "checkpoint: not signed by the key required");
}

kist_err kist__checkpoint_verify(const kist__checkpoint *cp, const char *text, kist_pubkey *signer)
{
	if (cp->body_len == 0)
		return kist__fail(KIST_E_FORMAT, "checkpoint: empty");
	for (size_t i = 0; i < cp->nsigs; i++) {
		kist_pubkey pk;
		unsigned char id[4];
		if (kist_pubkey_parse(&pk, cp->sigs[i].name) != KIST_OK)
			continue; /* a signer this tool does not know */
		key_id(id, cp->sigs[i].name, pk.ed25519);
		if (sodium_memcmp(id, cp->sigs[i].keyid, 4) != 0)
			continue;
		if (crypto_sign_verify_detached(cp->sigs[i].sig, (const unsigned char *)text,
		                                cp->body_len, pk.ed25519) == 0) {
			if (signer)
				*signer = pk;
			kist__clear_detail();
			return KIST_OK;
		}
	}
	return kist__fail(KIST_E_SIGNATURE, "checkpoint: no valid signature from a kist key");
}

kist_err kist__checkpoint_note(char **note, const char *origin, uint64_t size,
                               const unsigned char root[32], const kist_identity *signer)
{
	char b64[64], body[512];
	int n;
	sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(body, sizeof body, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	if (n < 0 || (size_t)n >= sizeof body)
		return kist__fail(KIST_E_LIMIT, "checkpoint: origin too long");
	size_t cap = (size_t)n + 512;
	*note = malloc(cap);
	if (*note == NULL)
		return kist__nomem();
	memcpy(*note, body, (size_t)n + 1);
	if (signer == NULL)
		return KIST_OK;
	char name[KIST_PUBKEY_STRLEN + 1], sb64[128];
	unsigned char raw[68];
	kist_pubkey_format(&signer->pk, name);
	key_id(raw, name, signer->pk.ed25519);
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)body, (size_t)n,
	                     signer->ed25519_sk);
	sodium_bin2base64(sb64, sizeof sb64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	int m = snprintf(*note + n, cap - (size_t)n, "\n%s%s %s\n", em_dash, name, sb64);
	if (m < 0 || (size_t)m >= cap - (size_t)n) {
		free(*note);
		*note = NULL;
		return kist__fail(KIST_E_LIMIT, "checkpoint: too long");
	}
	return KIST_OK;
}

/* A checkpoint is stored only once it parses. */
kist_err kist_ledger_store_checkpoint(kist_ledger *l, const char *note)
{
	sqlite3_stmt *st = NULL;
	kist__checkpoint cp;
	kist_err err;
	int rc;
	if ((err = kist__checkpoint_parse(&cp, note, strlen(note))) != KIST_OK)
		return err;
	if ((rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoints(note) VALUES(?1)", -1, &st,
	                             NULL)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(st, 1, note, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_step(st)) != SQLITE_DONE)
		err = kist__ledger_sql_err(l->db, rc, "checkpoint");
	sqlite3_finalize(st);
	return err;
}
