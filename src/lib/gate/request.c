/*
 * Requests (FORMAT.md, "Requests and releases"): a recipient of a
 * trustee-gated vault asks its custodians for a release.  The request names
 * the vault (its whole header), what is asked and why, and carries a fresh
 * one-time X25519 key; its secret half is kept in the request key, wrapped
 * to the requester.
 */
#include "gate/gate.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#define REQUEST_LABEL "kist/v2 request"
#define REQKEY_LABEL  "kist/v2 request key"
#define REQ_FIXED     152 /* magic .. hlen */
#define REQKEY_FIXED  (12 + 32 + 48)

const unsigned char *kist__rd_take(kist__rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	const unsigned char *p = r->p + r->off;
	r->off += n;
	return p;
}

/* UTF-8 without C0 or C1 controls and DEL. */
static int text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		size_t k = kist__utf8_next(s + i, n - i, &cp);
		if (k == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return 0;
		i += k;
	}
	return 1;
}

char *kist__rd_text(kist__rd *r, size_t min, size_t max)
{
	const unsigned char *l = kist__rd_take(r, 2), *s;
	if (l == NULL)
		return NULL;
	size_t n = kist__ld16(l);
	if (n < min || n > max || (s = kist__rd_take(r, n)) == NULL || !text_ok(s, n)) {
		r->bad = 1;
		return NULL;
	}
	char *t = malloc(n + 1);
	if (t == NULL) {
		r->bad = 2;
		return NULL;
	}
	memcpy(t, s, n);
	t[n] = '\0';
	return t;
}

void kist__strv_free(char **v, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void kist_request_free(kist_request *r)
{
	if (r == NULL)
		return;
	free(r->raw);
	kist__strv_free(r->items, r->nitems);
	free(r->reason);
	free(r);
}

static void signed_digest(unsigned char out[32], const unsigned char *p, size_t n)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)REQUEST_LABEL, sizeof REQUEST_LABEL);
	crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, out);
}

kist_err kist_vault_gate(const char *path, kist_identity *const *ids, size_t nids,
                         kist_gate_info *out)
{
	kist__gate g;
	kist_err err = kist__vault_read_gate(path, ids, nids, &g, NULL, NULL);
	if (err != KIST_OK)
		return err;
	memset(out, 0, sizeof *out);
	out->quorum = g.quorum;
	out->ncustodians = g.n;
	memcpy(out->custodians, g.custodians, sizeof g.custodians);
	sodium_bin2hex(out->vault_id, sizeof out->vault_id, g.vault_id, 16);
	return KIST_OK;
}

static kist_err check_scope(kist_scope scope, const char *const *items, size_t n,
                            const char *reason)
{
	size_t max = scope == KIST_SCOPE_PERSON ? 256 : KIST_REQUEST_TEXT_MAX;
	if ((scope == KIST_SCOPE_ALL && n != 0) || (scope == KIST_SCOPE_PERSON && n != 1) ||
	    (scope == KIST_SCOPE_PATHS && (n < 1 || n > KIST_REQUEST_PATHS_MAX)) ||
	    scope > KIST_SCOPE_PERSON)
		return kist__fail(KIST_E_ARG,
		                  "a request names everything, 1 to %d paths, or one "
		                  "person",
		                  KIST_REQUEST_PATHS_MAX);
	for (size_t i = 0; i < n; i++)
		if (strlen(items[i]) < 1 || strlen(items[i]) > max ||
		    !text_ok((const unsigned char *)items[i], strlen(items[i])))
			return kist__fail(KIST_E_ARG,
			                  "request item %zu is empty, longer than %zu "
			                  "bytes, or has a control character",
			                  i + 1, max);
	if (reason == NULL || strlen(reason) < 1 || strlen(reason) > KIST_REQUEST_REASON_MAX ||
	    !text_ok((const unsigned char *)reason, strlen(reason)))
		return kist__fail(KIST_E_ARG, "the reason is needed: 1 to %d bytes of text",
		                  KIST_REQUEST_REASON_MAX);
	return KIST_OK;
}

static void put_text(unsigned char **p, const char *s)
{
	size_t n = strlen(s);
	kist__st16(*p, (uint16_t)n);
	memcpy(*p + 2, s, n);
	*p += 2 + n;
}

/* Which identity of ids opens the vault's recipient slots: the requester. */
static kist_err requester_of(const char *path, kist_identity *const *ids, size_t nids,
                             kist_identity **who)
{
	for (size_t i = 0; i < nids; i++) {
		kist__gate g;
		if (kist__vault_read_gate(path, ids + i, 1, &g, NULL, NULL) == KIST_OK) {
			if (kist_identity_is_age(ids[i]))
				return kist__fail(KIST_E_BADKEY,
				                  "an age identity cannot sign a request: "
				                  "use a kist identity");
			*who = ids[i];
			return KIST_OK;
		}
	}
	return kist__vault_read_gate(path, ids, nids, &(kist__gate){0}, NULL, NULL);
}

kist_err kist_request_make(const char *path, kist_identity *const *ids, size_t nids,
                           kist_scope scope, const char *const *items, size_t nitems,
                           const char *reason, unsigned char **req, size_t *req_len,
                           unsigned char **key, size_t *key_len)
{
	unsigned char *header = NULL, *r = NULL, *k = NULL, *t = NULL, *p, sd[32], digest[32];
	size_t hlen = 0, len;
	kist_identity *who = NULL;
	kist__gate g;
	kist_err err;

	if ((err = check_scope(scope, items, nitems, reason)) != KIST_OK ||
	    (err = requester_of(path, ids, nids, &who)) != KIST_OK ||
	    (err = kist__vault_read_gate(path, &who, 1, &g, &header, &hlen)) != KIST_OK)
		return err;
	len = REQ_FIXED + hlen + 3 + 2 + strlen(reason) + 64;
	for (size_t i = 0; i < nitems; i++)
		len += 2 + strlen(items[i]);
	if (len > KIST_REQUEST_MAX) {
		err = kist__fail(KIST_E_LIMIT,
		                 "the request would be larger than %u bytes: ask for "
		                 "fewer paths",
		                 KIST_REQUEST_MAX);
		goto out;
	}
	r = malloc(len);
	k = malloc(REQKEY_FIXED + len);
	t = sodium_malloc(32);
	if (r == NULL || k == NULL || t == NULL) {
		err = kist__nomem();
		goto out;
	}
	p = r;
	memcpy(p, KIST_REQUEST_MAGIC, 8);
	kist__st16(p + 8, 1);
	kist__st16(p + 10, 0);
	randombytes_buf(p + 12, 16);
	kist__st64(p + 28, (uint64_t)(int64_t)time(NULL));
	memcpy(p + 36, who->pk.x25519, 32);
	memcpy(p + 68, who->pk.ed25519, 32);
	randombytes_buf(t, 32);
	crypto_scalarmult_base(p + 100, t);
	memcpy(p + 132, g.vault_id, 16);
	kist__st32(p + 148, (uint32_t)hlen);
	memcpy(p + REQ_FIXED, header, hlen);
	p += REQ_FIXED + hlen;
	*p++ = (unsigned char)scope;
	kist__st16(p, (uint16_t)nitems);
	p += 2;
	for (size_t i = 0; i < nitems; i++)
		put_text(&p, items[i]);
	put_text(&p, reason);
	signed_digest(sd, r, (size_t)(p - r));
	crypto_sign_detached(p, NULL, sd, 32, who->ed25519_sk);
	kist__sha256_oneshot(digest, r, len);

	/* The request key: t wrapped to the requester, bound to the request. */
	memcpy(k, KIST_REQKEY_MAGIC, 8);
	kist__st16(k + 8, 1);
	kist__st16(k + 10, 0);
	if ((err = kist__x25519_wrap_ad(k + 12, k + 44, t, 32, who->pk.x25519, REQKEY_LABEL, digest,
	                                32)) != KIST_OK)
		goto out;
	memcpy(k + REQKEY_FIXED, r, len);
	*req = r;
	*req_len = len;
	*key = k;
	*key_len = REQKEY_FIXED + len;
	r = k = NULL;
	err = KIST_OK;
out:
	free(header);
	free(r);
	free(k);
	sodium_free(t);
	return err;
}

static kist_err parse_items(kist_request *q, kist__rd *rd)
{
	const unsigned char *sc = kist__rd_take(rd, 1), *cn = kist__rd_take(rd, 2);
	if (sc == NULL || cn == NULL)
		return kist__fail(KIST_E_FORMAT, "request is truncated");
	q->scope = (kist_scope)sc[0];
	size_t n = kist__ld16(cn);
	if (sc[0] > KIST_SCOPE_PERSON || (sc[0] == KIST_SCOPE_ALL && n != 0) ||
	    (sc[0] == KIST_SCOPE_PERSON && n != 1) ||
	    (sc[0] == KIST_SCOPE_PATHS && (n < 1 || n > KIST_REQUEST_PATHS_MAX)))
		return kist__fail(KIST_E_FORMAT, "request has a bad scope");
	if ((q->items = calloc(n ? n : 1, sizeof *q->items)) == NULL)
		return kist__nomem();
	for (; q->nitems < n; q->nitems++)
		if ((q->items[q->nitems] = kist__rd_text(
		         rd, 1, sc[0] == KIST_SCOPE_PERSON ? 256 : KIST_REQUEST_TEXT_MAX)) == NULL)
			return rd->bad == 2
			           ? kist__nomem()
			           : kist__fail(KIST_E_FORMAT, "request item %zu is malformed",
			                        q->nitems + 1);
	if ((q->reason = kist__rd_text(rd, 1, KIST_REQUEST_REASON_MAX)) == NULL)
		return rd->bad == 2 ? kist__nomem()
		                    : kist__fail(KIST_E_FORMAT, "request reason is malformed");
	return KIST_OK;
}

kist_err kist_request_parse(kist_request **out, const void *buf, size_t len)
{
	kist__rd rd = {buf, len, 0, 0};
	const unsigned char *b = buf, *sig;
	unsigned char sd[32];
	kist_request *q;
	kist__header h;
	kist_err err;
	char why[KIST__DETAIL_COPY];

	if (len < REQ_FIXED || memcmp(b, KIST_REQUEST_MAGIC, 8) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist request");
	if (len > KIST_REQUEST_MAX)
		return kist__fail(KIST_E_LIMIT, "request is larger than %u bytes",
		                  KIST_REQUEST_MAX);
	if (kist__ld16(b + 8) != 1 || kist__ld16(b + 10) != 0)
		return kist__fail(KIST_E_FORMAT, "request version %u is not supported",
		                  kist__ld16(b + 8));
	if ((q = calloc(1, sizeof *q)) == NULL)
		return kist__nomem();
	memcpy(q->id, b + 12, 16);
	q->created = (int64_t)kist__ld64(b + 28);
	q->requester.kind = KIST_PUBKEY_KIST;
	memcpy(q->requester.x25519, b + 36, 32);
	memcpy(q->requester.ed25519, b + 68, 32);
	memcpy(q->t_pub, b + 100, 32);
	{
		/* A low-order T could not take a release: refused here, before a
		 * custodian records anything. */
		unsigned char probe[32], s[32] = {9};
		if (crypto_scalarmult(probe, s, q->t_pub) != 0) {
			err = kist__fail(KIST_E_FORMAT, "request: the one-time key is a low-order "
			                                "point");
			goto out;
		}
	}
	memcpy(q->vault_id, b + 132, 16);
	q->header_len = kist__ld32(b + 148);
	rd.off = REQ_FIXED;
	if (q->header_len > KIST_HEADER_MAX ||
	    (q->header = kist__rd_take(&rd, q->header_len)) == NULL) {
		err = kist__fail(KIST_E_FORMAT, "request: the vault header is truncated");
		goto out;
	}
	if ((err = kist__header_parse(&h, q->header, q->header_len)) != KIST_OK) {
		err = kist__fail(err, "request: the vault header: %s", kist__detail_copy(why));
		goto out;
	}
	if (h.version == KIST_FORMAT_V1 || h.gate_slots != 1) {
		err = kist__fail(KIST_E_FORMAT, "request: the vault is not trustee-gated");
		goto out;
	}
	if ((err = parse_items(q, &rd)) != KIST_OK)
		goto out;
	size_t signed_len = rd.off;
	if ((sig = kist__rd_take(&rd, 64)) == NULL || rd.off != len) {
		err = kist__fail(KIST_E_FORMAT, "request: bad length");
		goto out;
	}
	signed_digest(sd, b, signed_len);
	if (crypto_sign_verify_detached(sig, sd, 32, q->requester.ed25519) != 0) {
		err = kist__fail(KIST_E_SIGNATURE, "request: the requester's signature does not "
		                                   "verify (altered?)");
		goto out;
	}
	if ((q->raw = malloc(len)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	memcpy(q->raw, b, len);
	q->len = len;
	q->header = q->raw + REQ_FIXED; /* into the copy */
	kist__sha256_oneshot(q->digest, b, len);
	*out = q;
	q = NULL;
	err = KIST_OK;
out:
	kist_request_free(q);
	return err;
}

void kist_request_get_info(const kist_request *r, kist_request_info *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->digest, r->digest, 32);
	out->created = r->created;
	out->requester = r->requester;
	sodium_bin2hex(out->vault_id, sizeof out->vault_id, r->vault_id, 16);
	out->scope = r->scope;
	out->items = (const char *const *)r->items;
	out->nitems = r->nitems;
	out->reason = r->reason;
}

kist_err kist_request_check(const kist_request *r, const kist_identity *custodian,
                            unsigned *share_no)
{
	unsigned char *share = sodium_malloc(32), vid[16];
	unsigned x = 0;
	kist__header h;
	kist_err err;

	if (share == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	if ((err = kist__header_parse(&h, r->header, r->header_len)) == KIST_OK &&
	    (err = kist__custodian_unwrap(&h, custodian, &x, share, vid)) == KIST_OK &&
	    sodium_memcmp(vid, r->vault_id, 16) != 0)
		err =
		    kist__fail(KIST_E_CORRUPT, "the request names another vault than its header's "
		                               "custodian slot");
	if (err == KIST_E_NOACCESS)
		kist__fail(err, "the identity given is not a custodian of this request's vault");
	if (err == KIST_OK && share_no != NULL)
		*share_no = x;
	sodium_free(share);
	return err;
}

/*
 * The request key: t unwrapped with ids (the requester's), and the request
 * it belongs to, parsed and checked.
 */
kist_err kist__reqkey_open(const void *key, size_t key_len, kist_identity *const *ids, size_t nids,
                           kist_request **req, unsigned char t[32])
{
	const unsigned char *k = key;
	kist_request *q = NULL;
	kist_err err;
	char why[KIST__DETAIL_COPY];

	if (key_len < REQKEY_FIXED || memcmp(k, KIST_REQKEY_MAGIC, 8) != 0 ||
	    kist__ld16(k + 8) != 1 || kist__ld16(k + 10) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist request key");
	if ((err = kist_request_parse(&q, k + REQKEY_FIXED, key_len - REQKEY_FIXED)) != KIST_OK)
		return kist__fail(err, "request key: %s", kist__detail_copy(why));
	err = KIST_E_NOACCESS;
	for (size_t i = 0; i < nids && err != KIST_OK; i++)
		if (sodium_memcmp(ids[i]->pk.x25519, q->requester.x25519, 32) == 0)
			err =
			    kist__x25519_unwrap_ad(t, 32, k + 12, k + 44, 48, ids[i]->x25519_sk,
			                           ids[i]->pk.x25519, REQKEY_LABEL, q->digest, 32);
	if (err != KIST_OK) {
		kist_request_free(q);
		return kist__fail(KIST_E_NOACCESS, "the request was made by another requester than "
		                                   "the identities given");
	}
	*req = q;
	return KIST_OK;
}

/* "key=value", malloc'd. */
static char *kv(const char *key, const char *value)
{
	size_t a = strlen(key), b = strlen(value);
	char *s = malloc(a + b + 2);
	if (s != NULL) {
		memcpy(s, key, a);
		s[a] = '=';
		memcpy(s + a + 1, value, b + 1);
	}
	return s;
}

kist_err kist__release_entry_paths(const kist_request *r, char ***out, size_t *n)
{
	char hex[65], pk[KIST_PUBKEY_STRLEN + 1];
	size_t cap = r->nitems + 4, k = 0;
	char **v = calloc(cap, sizeof *v);
	if (v == NULL)
		return kist__nomem();
	sodium_bin2hex(hex, sizeof hex, r->digest, 32);
	kist_pubkey_format(&r->requester, pk);
	const char *scope = r->scope == KIST_SCOPE_PATHS ? "path" : "person";
	int bad = (v[k++] = kv("request", hex)) == NULL;
	bad |= (v[k++] = kv("requester", pk)) == NULL;
	bad |= (v[k++] = kv("reason", r->reason)) == NULL;
	if (r->scope == KIST_SCOPE_ALL)
		bad |= (v[k++] = kv("scope", "all")) == NULL;
	for (size_t i = 0; i < r->nitems && !bad; i++)
		bad |= (v[k++] = kv(scope, r->items[i])) == NULL;
	if (bad) {
		kist__strv_free(v, cap);
		return kist__nomem();
	}
	*out = v;
	*n = k;
	return KIST_OK;
}
