/*
 * Releases (FORMAT.md, "Requests and releases"): a custodian's decision on
 * a request, recorded in its ledger first, then sent with the proof of that
 * record; and the opening of a trustee-gated vault with a quorum of them.
 */
#include "gate/gate.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define RELEASE_LABEL   "kist/v2 release"       /* the custodian's signature */
#define SHARE_LABEL     "kist/v2 release share" /* the share's wrap to the request key */
#define REL_FIXED       190                     /* magic .. wrapped share */
#define WRAPPED_LEN     81                      /* E || AEAD(x || share) */
#define BODY_MAX        (2u << 20)
#define PROOF_MAX       63
#define NOTE_MAX        8192
#define DECISION_OK     1
#define DECISION_REFUSE 2

typedef struct release {
	unsigned decision;
	unsigned char digest[32];
	kist_pubkey custodian;
	const unsigned char *wrapped;
	char *note;
	const unsigned char *body;
	size_t body_len;
	const unsigned char *entry_sig;
	unsigned nproof;
	const unsigned char (*proof)[32];
	const char *cp;
	size_t cp_len;
} release;

static void sig_digest(unsigned char out[32], const unsigned char *p, size_t n)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)RELEASE_LABEL, sizeof RELEASE_LABEL);
	crypto_hash_sha256_update(&st, p, n);
	crypto_hash_sha256_final(&st, out);
}

/* Parses and checks the custodian's signature; r points into buf. */
static kist_err parse_release(release *r, const unsigned char *b, size_t len)
{
	kist__rd rd = {b, len, REL_FIXED, 0};
	const unsigned char *p, *sig;
	unsigned char sd[32];

	memset(r, 0, sizeof *r);
	if (len < REL_FIXED || memcmp(b, KIST_RELEASE_MAGIC, 8) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist release");
	if (len > KIST_RELEASE_MAX)
		return kist__fail(KIST_E_LIMIT, "larger than %u bytes", KIST_RELEASE_MAX);
	if (kist__ld16(b + 8) != 1 || kist__ld16(b + 10) != 0)
		return kist__fail(KIST_E_FORMAT, "release version %u is not supported",
		                  kist__ld16(b + 8));
	r->decision = b[12];
	if (r->decision != DECISION_OK && r->decision != DECISION_REFUSE)
		return kist__fail(KIST_E_FORMAT, "unknown decision %u", r->decision);
	memcpy(r->digest, b + 13, 32);
	r->custodian.kind = KIST_PUBKEY_KIST;
	memcpy(r->custodian.x25519, b + 45, 32);
	memcpy(r->custodian.ed25519, b + 77, 32);
	r->wrapped = b + 109;
	if ((r->note = kist__rd_text(&rd, 0, KIST_REQUEST_REASON_MAX)) == NULL)
		return rd.bad == 2 ? kist__nomem() : kist__fail(KIST_E_FORMAT, "malformed note");
	if ((p = kist__rd_take(&rd, 4)) == NULL || (r->body_len = kist__ld32(p)) > BODY_MAX ||
	    (r->body = kist__rd_take(&rd, r->body_len)) == NULL ||
	    (r->entry_sig = kist__rd_take(&rd, 64)) == NULL ||
	    (p = kist__rd_take(&rd, 1)) == NULL || (r->nproof = p[0]) > PROOF_MAX ||
	    (r->proof = (const void *)kist__rd_take(&rd, 32u * r->nproof)) == NULL ||
	    (p = kist__rd_take(&rd, 2)) == NULL || (r->cp_len = kist__ld16(p)) > NOTE_MAX ||
	    r->cp_len == 0 || (r->cp = (const char *)kist__rd_take(&rd, r->cp_len)) == NULL)
		return kist__fail(KIST_E_FORMAT, "malformed ledger record");
	size_t signed_len = rd.off;
	if ((sig = kist__rd_take(&rd, 64)) == NULL || rd.off != len)
		return kist__fail(KIST_E_FORMAT, "bad length");
	if (r->decision == DECISION_REFUSE) {
		static const unsigned char zero[WRAPPED_LEN];
		if (memcmp(r->wrapped, zero, WRAPPED_LEN) != 0)
			return kist__fail(KIST_E_FORMAT, "a refusal carries a share");
	}
	sig_digest(sd, b, signed_len);
	if (crypto_sign_verify_detached(sig, sd, 32, r->custodian.ed25519) != 0)
		return kist__fail(KIST_E_SIGNATURE, "not signed by the custodian it names "
		                                    "(altered?)");
	return KIST_OK;
}

kist_err kist_release_request_digest(const void *buf, size_t len, unsigned char digest[32])
{
	if (len < REL_FIXED || memcmp(buf, KIST_RELEASE_MAGIC, 8) != 0)
		return kist__fail(KIST_E_FORMAT, "not a kist release");
	memcpy(digest, (const unsigned char *)buf + 13, 32);
	return KIST_OK;
}

/* ---- a ledger entry's body, as AUDIT.md encodes it */

typedef struct body_fields {
	const unsigned char *origin, *vault_id, *actor, *action, *path0;
	size_t origin_len, vault_id_len, action_len, path0_len;
	uint64_t index;
	uint32_t npaths;
} body_fields;

static const unsigned char *field(kist__rd *rd, size_t *n)
{
	const unsigned char *l = kist__rd_take(rd, 4);
	if (l == NULL)
		return NULL;
	*n = kist__ld32(l);
	return kist__rd_take(rd, *n);
}

static kist_err parse_body(body_fields *f, const unsigned char *b, size_t len)
{
	kist__rd rd = {b, len, 0, 0};
	const unsigned char *p;
	size_t n;
	memset(f, 0, sizeof *f);
	if ((p = kist__rd_take(&rd, strlen(KIST_LEDGER_LABEL))) == NULL ||
	    memcmp(p, KIST_LEDGER_LABEL, strlen(KIST_LEDGER_LABEL)) != 0 ||
	    (f->origin = field(&rd, &f->origin_len)) == NULL || (p = field(&rd, &n)) == NULL ||
	    n != 8)
		return kist__fail(KIST_E_FORMAT, "the ledger entry is malformed");
	f->index = kist__ld64(p);
	if ((p = field(&rd, &n)) == NULL || n != 32 ||
	    (f->vault_id = field(&rd, &f->vault_id_len)) == NULL ||
	    (f->actor = field(&rd, &n)) == NULL || n != 64 ||
	    (f->action = field(&rd, &f->action_len)) == NULL || (p = field(&rd, &n)) == NULL ||
	    n != 8 || (p = field(&rd, &n)) == NULL || (p = kist__rd_take(&rd, 4)) == NULL)
		return kist__fail(KIST_E_FORMAT, "the ledger entry is malformed");
	f->npaths = kist__ld32(p);
	if (f->npaths < 1 || (f->path0 = field(&rd, &f->path0_len)) == NULL)
		return kist__fail(KIST_E_FORMAT, "the ledger entry names no request");
	for (uint32_t i = 1; i < f->npaths; i++)
		if (field(&rd, &n) == NULL)
			return kist__fail(KIST_E_FORMAT, "the ledger entry is malformed");
	if (rd.off != len)
		return kist__fail(KIST_E_FORMAT, "the ledger entry is malformed");
	return KIST_OK;
}

static int eq(const unsigned char *a, size_t alen, const char *b)
{
	return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/*
 * The ledger record of r: the entry is the custodian's, records this
 * decision on this request for this vault, is signed, and is included in a
 * checkpoint the custodian signed.
 */
static kist_err check_record(const release *r, const char vault_hex[33])
{
	char want[8 + 65], dhex[65];
	unsigned char pk[64], leaf[32];
	kist__checkpoint cp;
	body_fields f;
	kist_err err;
	char why[KIST__DETAIL_COPY];

	if ((err = parse_body(&f, r->body, r->body_len)) != KIST_OK)
		return err;
	memcpy(pk, r->custodian.x25519, 32);
	memcpy(pk + 32, r->custodian.ed25519, 32);
	sodium_bin2hex(dhex, sizeof dhex, r->digest, 32);
	snprintf(want, sizeof want, "request=%s", dhex);
	if (memcmp(f.actor, pk, 64) != 0)
		return kist__fail(KIST_E_CORRUPT, "the ledger entry is another key's");
	if (!eq(f.action, f.action_len, r->decision == DECISION_OK ? "release" : "refuse"))
		return kist__fail(KIST_E_CORRUPT, "the ledger entry records another decision");
	if (!eq(f.path0, f.path0_len, want))
		return kist__fail(KIST_E_CORRUPT, "the ledger entry records another request");
	if (!eq(f.vault_id, f.vault_id_len, vault_hex))
		return kist__fail(KIST_E_CORRUPT, "the ledger entry records another vault");
	if (crypto_sign_verify_detached(r->entry_sig, r->body, r->body_len, r->custodian.ed25519) !=
	    0)
		return kist__fail(KIST_E_SIGNATURE, "the ledger entry's signature does not verify");
	crypto_hash_sha256_state st;
	static const unsigned char zero = 0;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, r->body, r->body_len);
	crypto_hash_sha256_update(&st, r->entry_sig, 64);
	crypto_hash_sha256_final(&st, leaf);
	if ((err = kist__checkpoint_parse(&cp, r->cp, r->cp_len)) != KIST_OK)
		return kist__fail(err, "the checkpoint: %s", kist__detail_copy(why));
	if (kist__checkpoint_verify_by(&cp, r->cp, &r->custodian) != KIST_OK)
		return kist__fail(KIST_E_SIGNATURE,
		                  "the checkpoint is not signed by the custodian");
	if (!eq(f.origin, f.origin_len, cp.origin))
		return kist__fail(KIST_E_CORRUPT, "the checkpoint is of another ledger");
	if ((err = kist__merkle_inclusion_verify(leaf, f.index, cp.size, r->proof, r->nproof,
	                                         cp.root)) != KIST_OK)
		return kist__fail(KIST_E_CORRUPT, "the entry is not in the checkpoint: %s",
		                  kist__detail_copy(why));
	return KIST_OK;
}

/* ---- the custodian's side */

kist_err kist_release_record(const kist_request *r, const kist_identity *custodian, kist_ledger *l,
                             int refuse, uint64_t *index)
{
	char vid[33], **paths = NULL;
	size_t n = 0;
	kist_err err;
	if ((err = kist_request_check(r, custodian, NULL)) != KIST_OK ||
	    (err = kist__release_entry_paths(r, &paths, &n)) != KIST_OK)
		return err;
	sodium_bin2hex(vid, sizeof vid, r->vault_id, 16);
	err = kist_ledger_append(l, custodian, vid, refuse ? "refuse" : "release",
	                         (const char *const *)paths, n, index);
	kist__strv_free(paths, n);
	return err;
}

/* Entry idx of log, which must be the custodian's record of this decision on r. */
static kist_err find_entry(const kist_ledger_log *log, uint64_t idx, const kist_request *r,
                           const kist_identity *custodian, int refuse, unsigned char (**leaves)[32],
                           const kist_ledger_entry **out)
{
	size_t n = kist_ledger_log_count(log);
	char hex[65], want[8 + 65];
	sodium_bin2hex(hex, sizeof hex, r->digest, 32);
	snprintf(want, sizeof want, "request=%s", hex);
	if (idx >= n)
		return kist__fail(KIST_E_CORRUPT, "ledger entry %llu does not exist",
		                  (unsigned long long)idx);
	if ((*leaves = malloc(n * sizeof **leaves)) == NULL)
		return kist__nomem();
	for (size_t i = 0; i < n; i++) {
		const kist_ledger_entry *e = kist_ledger_log_entry(log, i);
		if (e->malformed != NULL || e->index != i)
			return kist__fail(KIST_E_CORRUPT, "the ledger is damaged at entry %zu", i);
		memcpy((*leaves)[i], e->leaf, 32);
	}
	const kist_ledger_entry *e = kist_ledger_log_entry(log, idx);
	if (memcmp(e->actor.ed25519, custodian->pk.ed25519, 32) != 0 ||
	    strcmp(e->action, refuse ? "refuse" : "release") != 0 || e->npaths < 1 ||
	    strcmp(e->paths[0], want) != 0)
		return kist__fail(KIST_E_CORRUPT, "ledger entry %llu is not this decision",
		                  (unsigned long long)idx);
	*out = e;
	return KIST_OK;
}

static void put16(unsigned char **p, size_t v)
{
	kist__st16(*p, (uint16_t)v);
	*p += 2;
}

/* A release's fields after the wrapped share (FORMAT.md); returns the end. */
static unsigned char *put_record(unsigned char *p, const char *note, size_t nlen,
                                 const unsigned char *body, size_t body_len,
                                 const unsigned char sig[64], const unsigned char (*proof)[32],
                                 size_t nproof, const char *cp, size_t cplen)
{
	put16(&p, nlen);
	if (nlen)
		memcpy(p, note, nlen);
	p += nlen;
	kist__st32(p, (uint32_t)body_len);
	memcpy(p + 4, body, body_len);
	p += 4 + body_len;
	memcpy(p, sig, 64);
	p += 64;
	*p++ = (unsigned char)nproof;
	if (nproof)
		memcpy(p, proof, 32 * nproof);
	p += 32 * nproof;
	put16(&p, cplen);
	memcpy(p, cp, cplen);
	return p + cplen;
}

kist_err kist_release_build(const kist_request *r, const kist_identity *custodian,
                            const char *ledger_path, uint64_t index, int refuse, const char *note,
                            unsigned char **out, size_t *len)
{
	unsigned char(*leaves)[32] = NULL, (*proof)[32] = NULL, *body = NULL, *o = NULL, *p;
	unsigned char *plain = NULL, vid[16], ad[96], sd[32];
	size_t nproof = 0, body_len = 0, nlen = note ? strlen(note) : 0;
	const kist_ledger_entry *e = NULL;
	kist_ledger_log *log = NULL;
	char *cp = NULL;
	unsigned x = 0;
	kist__header h;
	kist_err err;

	if (nlen > KIST_REQUEST_REASON_MAX)
		return kist__fail(KIST_E_LIMIT, "the note is longer than %d bytes",
		                  KIST_REQUEST_REASON_MAX);
	if ((plain = sodium_malloc(33)) == NULL)
		return kist__fail(KIST_E_NOMEM, "out of secure memory");
	if ((err = kist__header_parse(&h, r->header, r->header_len)) != KIST_OK ||
	    (err = kist__custodian_unwrap(&h, custodian, &x, plain + 1, vid)) != KIST_OK)
		goto out;
	if (sodium_memcmp(vid, r->vault_id, 16) != 0) {
		err =
		    kist__fail(KIST_E_CORRUPT, "the request names another vault than its header's "
		                               "custodian slot");
		goto out;
	}
	plain[0] = (unsigned char)x;
	if ((err = kist_ledger_load(&log, ledger_path)) != KIST_OK ||
	    (err = find_entry(log, index, r, custodian, refuse, &leaves, &e)) != KIST_OK ||
	    (err = kist__ledger_entry_body(log, e, &body, &body_len)) != KIST_OK ||
	    (err = kist__merkle_inclusion_proof(&proof, &nproof, (const void *)leaves,
	                                        kist_ledger_log_count(log), index)) != KIST_OK ||
	    (err = kist_ledger_checkpoint(log, custodian, &cp)) != KIST_OK)
		goto out;
	size_t cplen = strlen(cp);
	if (body_len > BODY_MAX || nproof > PROOF_MAX || cplen > NOTE_MAX) {
		err = kist__fail(KIST_E_LIMIT, "the ledger record is too large for a release");
		goto out;
	}
	*len = REL_FIXED + 2 + nlen + 4 + body_len + 64 + 1 + 32 * nproof + 2 + cplen + 64;
	if ((o = calloc(1, *len)) == NULL) {
		err = kist__nomem();
		goto out;
	}
	memcpy(o, KIST_RELEASE_MAGIC, 8);
	kist__st16(o + 8, 1);
	kist__st16(o + 10, 0);
	o[12] = refuse ? DECISION_REFUSE : DECISION_OK;
	memcpy(o + 13, r->digest, 32);
	memcpy(o + 45, custodian->pk.x25519, 32);
	memcpy(o + 77, custodian->pk.ed25519, 32);
	memcpy(ad, r->digest, 32);
	memcpy(ad + 32, o + 45, 64);
	if (!refuse && (err = kist__x25519_wrap_ad(o + 109, o + 141, plain, 33, r->t_pub,
	                                           SHARE_LABEL, ad, sizeof ad)) != KIST_OK)
		goto out;
	p = put_record(o + REL_FIXED, note, nlen, body, body_len, e->signature, (const void *)proof,
	               nproof, cp, cplen);
	sig_digest(sd, o, (size_t)(p - o));
	crypto_sign_detached(p, NULL, sd, 32, custodian->ed25519_sk);
	*out = o;
	o = NULL;
	err = KIST_OK;
out:
	sodium_free(plain);
	kist_ledger_log_free(log);
	free(leaves);
	free(proof);
	free(body);
	free(cp);
	free(o);
	return err;
}

/* ---- the requester's side */

typedef struct opening {
	const kist__gate *g;
	const kist_request *q;
	unsigned char *t; /* the request's one-time secret */
	char vault_hex[33];
	unsigned char xs[KIST_CUSTODIANS_MAX];
	unsigned char (*shares)[32]; /* secure memory */
	unsigned have;
	int used[KIST_CUSTODIANS_MAX]; /* custodian c released (release number + 1) */
} opening;

static kist_err take_release(opening *op, size_t i, const unsigned char *b, size_t len)
{
	release r;
	unsigned c;
	char fpr[KIST_FINGERPRINT_STRLEN + 1];
	unsigned char ad[96];
	kist_err err;
	char why[KIST__DETAIL_COPY];

	if ((err = parse_release(&r, b, len)) != KIST_OK) {
		err = kist__fail(err, "release %zu: %s", i + 1, kist__detail_copy(why));
		goto out;
	}
	kist_pubkey_fingerprint(&r.custodian, fpr);
	if (sodium_memcmp(r.digest, op->q->digest, 32) != 0) {
		err = kist__fail(KIST_E_NOACCESS,
		                 "release %zu answers another request than the "
		                 "one pending (another request, vault or requester)",
		                 i + 1);
		goto out;
	}
	for (c = 0; c < op->g->n; c++)
		if (sodium_memcmp(op->g->custodians[c].ed25519, r.custodian.ed25519, 32) == 0 &&
		    sodium_memcmp(op->g->custodians[c].x25519, r.custodian.x25519, 32) == 0)
			break;
	if (c == op->g->n) {
		err = kist__fail(KIST_E_NOACCESS,
		                 "release %zu: %s is not a custodian of this vault", i + 1, fpr);
		goto out;
	}
	if (op->used[c]) {
		err = kist__fail(KIST_E_NOACCESS,
		                 "releases %d and %zu come from the same custodian, %s",
		                 op->used[c], i + 1, fpr);
		goto out;
	}
	op->used[c] = (int)i + 1;
	if (r.decision == DECISION_REFUSE) {
		err =
		    kist__fail(KIST_E_NOACCESS, "release %zu: custodian %s refused the request%s%s",
		               i + 1, fpr, r.note[0] ? ": " : "", r.note);
		goto out;
	}
	if ((err = check_record(&r, op->vault_hex)) != KIST_OK) {
		err = kist__fail(err, "release %zu: its ledger record: %s", i + 1,
		                 kist__detail_copy(why));
		goto out;
	}
	unsigned char *plain = op->shares[KIST_CUSTODIANS_MAX]; /* scratch, secure */
	memcpy(ad, r.digest, 32);
	memcpy(ad + 32, r.custodian.x25519, 32);
	memcpy(ad + 64, r.custodian.ed25519, 32);
	if (kist__x25519_unwrap_ad(plain, 33, r.wrapped, r.wrapped + 32, WRAPPED_LEN - 32, op->t,
	                           op->q->t_pub, SHARE_LABEL, ad, sizeof ad) != KIST_OK) {
		err = kist__fail(KIST_E_CORRUPT, "release %zu does not open with the request key",
		                 i + 1);
		goto out;
	}
	if (plain[0] != c + 1) {
		err = kist__fail(KIST_E_CORRUPT, "release %zu carries another custodian's share",
		                 i + 1);
		goto out;
	}
	op->xs[op->have] = plain[0];
	memcpy(op->shares[op->have++], plain + 1, 32);
	err = KIST_OK;
out:
	free(r.note);
	return err;
}

static kist_err too_few(const opening *op)
{
	char list[KIST_CUSTODIANS_MAX * (KIST_FINGERPRINT_STRLEN + 2) + 1] = "";
	size_t o = 0;
	for (unsigned c = 0; c < op->g->n; c++) {
		char fpr[KIST_FINGERPRINT_STRLEN + 1];
		if (op->used[c])
			continue;
		kist_pubkey_fingerprint(&op->g->custodians[c], fpr);
		o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", fpr);
	}
	return kist__fail(KIST_E_NOACCESS,
	                  "%u of %u needed releases given: %u more from custodians %s", op->have,
	                  op->g->quorum, op->g->quorum - op->have, list);
}

kist_err kist_vault_open_released(kist_vault **out, const char *path, kist_identity *const *ids,
                                  size_t nids, const void *const *rel, const size_t *rel_len,
                                  size_t nrel, const void *key, size_t key_len, kist_request **req)
{
	unsigned char *header = NULL, *kc = NULL;
	size_t hlen = 0;
	kist_request *q = NULL;
	kist__gate g;
	opening op;
	kist_err err;

	memset(&op, 0, sizeof op);
	if ((err = kist_init()) != KIST_OK)
		return err;
	op.t = sodium_malloc(32);
	op.shares = sodium_malloc((KIST_CUSTODIANS_MAX + 2) * 32);
	kc = sodium_malloc(32);
	if (op.t == NULL || op.shares == NULL || kc == NULL) {
		err = kist__fail(KIST_E_NOMEM, "out of secure memory");
		goto out;
	}
	if ((err = kist__reqkey_open(key, key_len, ids, nids, &q, op.t)) != KIST_OK ||
	    (err = kist__vault_read_gate(path, ids, nids, &g, &header, &hlen)) != KIST_OK)
		goto out;
	if (hlen != q->header_len || memcmp(header, q->header, hlen) != 0) {
		err = kist__fail(KIST_E_NOACCESS, "the pending request is for another vault");
		goto out;
	}
	op.g = &g;
	op.q = q;
	sodium_bin2hex(op.vault_hex, sizeof op.vault_hex, g.vault_id, 16);
	for (size_t i = 0; i < nrel; i++)
		if ((err = take_release(&op, i, rel[i], rel_len[i])) != KIST_OK)
			goto out;
	if (op.have < g.quorum) {
		err = too_few(&op);
		goto out;
	}
	if ((err = kist__gate_combine(kc, op.xs, (const void *)op.shares, g.quorum)) != KIST_OK ||
	    (err = kist__vault_open(out, path, ids, nids, kc)) != KIST_OK)
		goto out;
	if (req != NULL) {
		*req = q;
		q = NULL;
	}
	err = KIST_OK;
out:
	kist_request_free(q);
	free(header);
	sodium_free(op.t);
	sodium_free(op.shares);
	sodium_free(kc);
	return err;
}
