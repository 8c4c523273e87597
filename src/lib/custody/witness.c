/*
 * Witnessed checkpoints: C2SP tlog-cosignature v1 (Ed25519) over the
 * ledger's checkpoint notes, and the witness's state per origin.
 *
 * A cosignature line is a signed-note signature line
 *
 *     "— " name " " base64(key id || timestamp || signature) "\n"
 *
 * with key id = SHA-256(name || "\n" || 0x04 || Ed25519 public key)[:4],
 * timestamp 8 bytes big-endian, and signature Ed25519 over
 *
 *     "cosignature/v1\n" "time " decimal(timestamp) "\n" || note body
 *
 * (the body through its last newline, without signature lines).  kist names
 * a cosigner by its kist1... public key.
 */
#include "custody/custody.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define COSIG_RAW   (4 + 8 + 64)
#define STATE_MAX   4096
#define STATE_MAGIC "kist witness state v1"

static const char em_dash[] = "\xe2\x80\x94 ";

/* ---------------------------------------------------------- note text */

/*
 * Removes "\r" before "\n" and blanks (space, tab) at line ends: what mail
 * does to a note.  The signatures are checked on the result, so this cannot
 * make a forged note pass.
 */
static void normalize(char *t, size_t *len, int *changed)
{
	size_t w = 0, r = 0, n = *len;
	*changed = 0;
	while (r < n) {
		size_t e = r;
		while (e < n && t[e] != '\n')
			e++;
		size_t end = e;
		while (end > r && (t[end - 1] == '\r' || t[end - 1] == ' ' || t[end - 1] == '\t'))
			end--;
		if (end != e)
			*changed = 1;
		memmove(t + w, t + r, end - r);
		w += end - r;
		if (e < n)
			t[w++] = '\n';
		r = e + 1;
	}
	/* A signed note ends with one newline; mail may add empty lines. */
	while (w >= 2 && t[w - 1] == '\n' && t[w - 2] == '\n') {
		w--;
		*changed = 1;
	}
	*len = w;
	t[w] = '\0';
}

/* A normalised, NUL-terminated copy of text. */
static kist_err copy_normalized(char **out, size_t *outlen, const char *text, size_t len,
                                int *changed)
{
	if (len > KIST_CHECKPOINT_MAX)
		return kist__fail(KIST_E_FORMAT, "checkpoint: longer than %d bytes",
		                  KIST_CHECKPOINT_MAX);
	if (memchr(text, '\0', len) != NULL)
		return kist__fail(KIST_E_FORMAT, "checkpoint: a NUL byte");
	char *c = malloc(len + 1);
	if (c == NULL)
		return kist__nomem();
	memcpy(c, text, len);
	c[len] = '\0';
	normalize(c, &len, changed);
	*out = c;
	*outlen = len;
	return KIST_OK;
}

/* One signature line after the body, as it is in the text. */
typedef struct sigline {
	const char *start; /* the line, with its newline */
	size_t linelen;
	const char *name;
	size_t namelen;
	unsigned char raw[COSIG_RAW + 1];
	size_t rawlen; /* 0 if the base64 is not of 5 to COSIG_RAW bytes */
} sigline;

/* Next signature line from *pos (kist__checkpoint_parse already checked the lines). */
static int next_sig(const char *t, size_t len, size_t *pos, sigline *s)
{
	size_t dl = sizeof em_dash - 1;
	if (*pos >= len)
		return 0;
	const char *l = t + *pos;
	const char *nl = memchr(l, '\n', len - *pos);
	size_t ll = (size_t)(nl - l);
	memset(s, 0, sizeof *s);
	s->start = l;
	s->linelen = ll + 1;
	*pos += ll + 1;
	if (ll < dl || memcmp(l, em_dash, dl) != 0)
		return 1;
	s->name = l + dl;
	const char *sp = memchr(s->name, ' ', ll - dl);
	if (sp == NULL)
		return 1;
	s->namelen = (size_t)(sp - s->name);
	size_t bl = ll - dl - s->namelen - 1, got = 0;
	if (bl <= 4 * (COSIG_RAW + 2) / 3 + 4 &&
	    sodium_base642bin(s->raw, sizeof s->raw, sp + 1, bl, NULL, &got, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    got >= 5 && got <= COSIG_RAW)
		s->rawlen = got;
	return 1;
}

static void cosig_key_id(unsigned char out[4], const char *name, size_t namelen,
                         const unsigned char pk[32])
{
	crypto_hash_sha256_state h;
	unsigned char d[32], type = 0x04;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)name, namelen);
	crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
	crypto_hash_sha256_update(&h, &type, 1);
	crypto_hash_sha256_update(&h, pk, 32);
	crypto_hash_sha256_final(&h, d);
	memcpy(out, d, 4);
}

/* "cosignature/v1\ntime T\n" || body, malloc'd. */
static unsigned char *cosig_message(const char *body, size_t body_len, uint64_t ts, size_t *mlen)
{
	char head[64];
	int n = snprintf(head, sizeof head, "cosignature/v1\ntime %llu\n", (unsigned long long)ts);
	if (n < 0 || (size_t)n >= sizeof head)
		return NULL;
	unsigned char *m = malloc((size_t)n + body_len);
	if (m == NULL)
		return NULL;
	memcpy(m, head, (size_t)n);
	memcpy(m + n, body, body_len);
	*mlen = (size_t)n + body_len;
	return m;
}

static uint64_t ld64be(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* 1 if s is a valid cosignature by pk named name over body; *ts its time. */
static int cosig_ok(const sigline *s, const char *name, const unsigned char pk[32],
                    const char *body, size_t body_len, uint64_t *ts, int *oom)
{
	unsigned char id[4];
	size_t mlen = 0;
	if (s->rawlen != COSIG_RAW || s->namelen != strlen(name) ||
	    memcmp(s->name, name, s->namelen) != 0)
		return 0;
	cosig_key_id(id, name, strlen(name), pk);
	if (sodium_memcmp(id, s->raw, 4) != 0)
		return 0;
	uint64_t t = ld64be(s->raw + 4);
	if (t > (uint64_t)INT64_MAX)
		return 0;
	unsigned char *m = cosig_message(body, body_len, t, &mlen);
	if (m == NULL) {
		*oom = 1;
		return 0;
	}
	int ok = crypto_sign_verify_detached(s->raw + 12, m, mlen, pk) == 0;
	free(m);
	if (ok)
		*ts = t;
	return ok;
}

static int same_key(const kist_pubkey *a, const kist_pubkey *b)
{
	return sodium_memcmp(a->ed25519, b->ed25519, 32) == 0 &&
	       sodium_memcmp(a->x25519, b->x25519, 32) == 0;
}

/* Adds pk (cosigned at ts) to info unless it is there. */
static void add_cosigner(kist_note_info *info, const kist_pubkey *pk, uint64_t ts)
{
	for (size_t i = 0; i < info->ncosigners; i++)
		if (same_key(&info->cosigners[i], pk))
			return;
	if (info->ncosigners < KIST_COSIGNERS_MAX) {
		info->cosigners[info->ncosigners] = *pk;
		info->cosigned_at[info->ncosigners++] = ts;
	}
}

/* Parses and verifies the normalised note t; fills info and *body_len. */
static kist_err read_normalized(kist_note_info *info, const char *t, size_t len,
                                const kist_pubkey *keys, size_t nkeys, size_t *body_len)
{
	kist__checkpoint cp;
	kist_err err;
	int oom = 0;
	if ((err = kist__checkpoint_parse(&cp, t, len)) != KIST_OK)
		return err;
	if (cp.body_len == len)
		return kist__fail(KIST_E_SIGNATURE, "checkpoint: not signed");
	if ((err = kist__checkpoint_verify(&cp, t, &info->signer)) != KIST_OK)
		return err;
	memcpy(info->origin, cp.origin, sizeof info->origin);
	info->size = cp.size;
	memcpy(info->root, cp.root, 32);
	*body_len = cp.body_len;

	size_t pos = cp.body_len + 1;
	sigline s;
	while (next_sig(t, len, &pos, &s)) {
		uint64_t ts = 0;
		if (s.rawlen != COSIG_RAW)
			continue;
		if (nkeys == 0) {
			char name[KIST_PUBKEY_STRLEN + 1];
			kist_pubkey pk;
			if (s.namelen > KIST_PUBKEY_STRLEN)
				continue;
			memcpy(name, s.name, s.namelen);
			name[s.namelen] = '\0';
			if (kist_pubkey_parse(&pk, name) != KIST_OK || pk.kind != KIST_PUBKEY_KIST)
				continue;
			if (cosig_ok(&s, name, pk.ed25519, t, cp.body_len, &ts, &oom))
				add_cosigner(info, &pk, ts);
		} else {
			for (size_t k = 0; k < nkeys; k++) {
				char name[KIST_PUBKEY_STRLEN + 1];
				kist_pubkey_format(&keys[k], name);
				if (cosig_ok(&s, name, keys[k].ed25519, t, cp.body_len, &ts, &oom))
					add_cosigner(info, &keys[k], ts);
			}
		}
		if (oom)
			return kist__nomem();
	}
	kist__clear_detail();
	return KIST_OK;
}

kist_err kist_note_read(kist_note_info *info, const char *text, size_t len,
                        const kist_pubkey *cosigners, size_t n)
{
	char *t = NULL;
	size_t tl = 0, body_len = 0;
	kist_err err;
	memset(info, 0, sizeof *info);
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (n > KIST_COSIGNERS_MAX)
		return kist__fail(KIST_E_ARG, "more than %d cosigners", KIST_COSIGNERS_MAX);
	if ((err = copy_normalized(&t, &tl, text, len, &info->normalized)) != KIST_OK)
		return err;
	int normalized = info->normalized;
	err = read_normalized(info, t, tl, cosigners, n, &body_len);
	info->normalized = normalized;
	free(t);
	return err;
}

/* Appends the cosignature of witness to the normalised, verified note t. */
static kist_err cosign_text(char **out, const char *t, size_t len, size_t body_len,
                            const kist_identity *witness, uint64_t ts)
{
	char name[KIST_PUBKEY_STRLEN + 1],
	    b64[sodium_base64_ENCODED_LEN(COSIG_RAW, sodium_base64_VARIANT_ORIGINAL)];
	unsigned char raw[COSIG_RAW];
	size_t mlen = 0, nlen;
	if (ts > (uint64_t)INT64_MAX)
		return kist__fail(KIST_E_ARG, "cosignature: timestamp beyond 2^63 - 1");
	kist_pubkey_format(&witness->pk, name);
	nlen = strlen(name);
	cosig_key_id(raw, name, nlen, witness->pk.ed25519);
	for (int i = 0; i < 8; i++)
		raw[4 + i] = (unsigned char)(ts >> (56 - 8 * i));
	unsigned char *m = cosig_message(t, body_len, ts, &mlen);
	if (m == NULL)
		return kist__nomem();
	crypto_sign_detached(raw + 12, NULL, m, mlen, witness->ed25519_sk);
	free(m);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);

	size_t cap = len + sizeof em_dash + nlen + sizeof b64 + 4, w = 0;
	char *o = malloc(cap);
	if (o == NULL)
		return kist__nomem();
	memcpy(o, t, body_len + 1); /* the body and the blank line */
	w = body_len + 1;
	size_t pos = body_len + 1;
	sigline s;
	while (next_sig(t, len, &pos, &s)) {
		if (s.rawlen == COSIG_RAW && s.namelen == nlen && memcmp(s.name, name, nlen) == 0)
			continue; /* our earlier cosignature: replaced */
		memcpy(o + w, s.start, s.linelen);
		w += s.linelen;
	}
	int n = snprintf(o + w, cap - w, "%s%s %s\n", em_dash, name, b64);
	if (n < 0 || (size_t)n >= cap - w) {
		free(o);
		return kist__fail(KIST_E_LIMIT, "cosignature: note too long");
	}
	if (w + (size_t)n > KIST_CHECKPOINT_MAX) {
		free(o);
		return kist__fail(KIST_E_LIMIT, "cosignature: the note would exceed %d bytes",
		                  KIST_CHECKPOINT_MAX);
	}
	*out = o;
	return KIST_OK;
}

kist_err kist_note_cosign(char **out, const char *text, size_t len, const kist_identity *witness,
                          uint64_t timestamp)
{
	kist_note_info info;
	char *t = NULL;
	size_t tl = 0, body_len = 0;
	int changed;
	kist_err err;
	*out = NULL;
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (witness == NULL || witness->pk.kind != KIST_PUBKEY_KIST)
		return kist__fail(KIST_E_ARG, "cosignature: needs a kist identity");
	if ((err = copy_normalized(&t, &tl, text, len, &changed)) != KIST_OK)
		return err;
	memset(&info, 0, sizeof info);
	if ((err = read_normalized(&info, t, tl, NULL, 0, &body_len)) == KIST_OK)
		err = cosign_text(out, t, tl, body_len, witness, timestamp);
	free(t);
	return err;
}

/* ------------------------------------------------------------- state */

/* "<64 hex digits of SHA-256(origin)>.witness": never the origin itself as a path. */
static void state_name(char out[80], const char *origin)
{
	unsigned char h[32];
	char hex[65];
	kist__sha256_oneshot(h, origin, strlen(origin));
	sodium_bin2hex(hex, sizeof hex, h, 32);
	snprintf(out, 80, "%s.witness", hex);
}

static kist_err state_parse(kist_witness_state *st, char *text, const char *origin)
{
	char *save = NULL, *line;
	int have = 0;
	memset(st, 0, sizeof *st);
	line = strtok_r(text, "\n", &save);
	if (line == NULL || strcmp(line, STATE_MAGIC) != 0)
		return kist__fail(KIST_E_FORMAT, "witness state: not a kist witness state file");
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			return kist__fail(KIST_E_FORMAT, "witness state: malformed line");
		*sp++ = '\0';
		if (strcmp(line, "origin") == 0 && strlen(sp) < sizeof st->origin) {
			memcpy(st->origin, sp, strlen(sp) + 1);
			have |= 1;
		} else if (strcmp(line, "key") == 0 && kist_pubkey_parse(&st->key, sp) == KIST_OK &&
		           st->key.kind == KIST_PUBKEY_KIST) {
			have |= 2;
		} else if (strcmp(line, "size") == 0 && sp[0] >= '0' && sp[0] <= '9') {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(sp, &end, 10);
			if (*end != '\0' || errno != 0)
				return kist__fail(KIST_E_FORMAT, "witness state: bad size");
			st->size = v;
			have |= 4;
		} else if (strcmp(line, "root") == 0) {
			size_t got = 0;
			if (strlen(sp) != 44 ||
			    sodium_base642bin(st->root, 32, sp, 44, NULL, &got, NULL,
			                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    got != 32)
				return kist__fail(KIST_E_FORMAT, "witness state: bad root");
			have |= 8;
		} else if (strcmp(line, "time") == 0) {
			st->time = strtoll(sp, NULL, 10);
		} else {
			return kist__fail(KIST_E_FORMAT, "witness state: unknown or bad line '%s'",
			                  line);
		}
	}
	if (have != 15)
		return kist__fail(KIST_E_FORMAT, "witness state: a line is missing");
	if (strcmp(st->origin, origin) != 0)
		return kist__fail(KIST_E_FORMAT, "witness state: the file is of another origin");
	return KIST_OK;
}

/* Loads the state of origin from the open folder dirfd. */
static kist_err state_load_at(int dirfd, const char *dir, const char *origin,
                              kist_witness_state *st, int *found)
{
	char name[80], text[STATE_MAX + 1];
	size_t got = 0;
	memset(st, 0, sizeof *st);
	*found = 0;
	state_name(name, origin);
	int fd = kist__os_openat(dirfd, name, KIST__OS_RDONLY | KIST__OS_NOFOLLOW, 0);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return KIST_OK;
		return kist__fail(kist__errno_err(e), "%s/%s: %s", dir, name, strerror(e));
	}
	kist_err err = kist__read_full(fd, text, STATE_MAX + 1, &got, name);
	kist__os_close(fd);
	if (err != KIST_OK)
		return err;
	if (got > STATE_MAX)
		return kist__fail(KIST_E_FORMAT, "%s/%s: witness state: too long", dir, name);
	text[got] = '\0';
	if (strlen(text) != got)
		return kist__fail(KIST_E_FORMAT, "%s/%s: witness state: a NUL byte", dir, name);
	if ((err = state_parse(st, text, origin)) != KIST_OK) {
		char why[256];
		snprintf(why, sizeof why, "%s", kist_errdetail());
		return kist__fail(KIST_E_CORRUPT, "%s/%s: %s", dir, name, why);
	}
	*found = 1;
	return KIST_OK;
}

kist_err kist_witness_state_load(const char *dir, const char *origin, kist_witness_state *st,
                                 int *found)
{
	memset(st, 0, sizeof *st);
	*found = 0;
	if (dir == NULL || origin == NULL || strlen(origin) > 256)
		return kist__fail(KIST_E_ARG, "witness state: no folder or origin");
	int dirfd = kist__os_open(dir, KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
	if (dirfd < 0) {
		int e = errno;
		return kist__fail(kist__errno_err(e), "%s: %s", dir, strerror(e));
	}
	kist_err err = state_load_at(dirfd, dir, origin, st, found);
	kist__os_close(dirfd);
	return err;
}

static kist_err state_save_at(int dirfd, const kist_witness_state *st)
{
	char name[80], text[STATE_MAX], key[KIST_PUBKEY_STRLEN + 1], root[64];
	kist__outfile o;
	kist_err err;
	state_name(name, st->origin);
	kist_pubkey_format(&st->key, key);
	sodium_bin2base64(root, sizeof root, st->root, 32, sodium_base64_VARIANT_ORIGINAL);
	int n = snprintf(text, sizeof text,
	                 "%s\norigin %s\nkey %s\nsize %llu\nroot %s\ntime %lld\n", STATE_MAGIC,
	                 st->origin, key, (unsigned long long)st->size, root, (long long)st->time);
	if (n < 0 || (size_t)n >= sizeof text)
		return kist__fail(KIST_E_LIMIT, "witness state: too long");
	memset(&o, 0, sizeof o);
	if ((err = kist__outfile_open(&o, dirfd, name)) != KIST_OK) {
		kist__outfile_abort(&o);
		return err;
	}
	if ((err = kist__write_full(o.fd, text, (size_t)n, "witness state")) != KIST_OK ||
	    (err = kist__outfile_commit(&o, 1, 1)) != KIST_OK) {
		kist__outfile_abort(&o);
		return err;
	}
	kist__outfile_abort(&o); /* frees the name; the file is committed */
	return KIST_OK;
}

/* --------------------------------------------------------- the ledger */

/* The log's leaf hashes in index order, once it passes its audit. */
static kist_err log_leaves(const kist_ledger_log *log, unsigned char (**out)[32])
{
	kist_audit_report rep;
	kist_err err = kist_ledger_audit(log, NULL, 0, NULL, NULL, &rep);
	if (err == KIST_E_CORRUPT)
		return kist__fail(KIST_E_CORRUPT,
		                  "the ledger fails its audit (run kist audit verify): nothing to "
		                  "witness");
	if (err != KIST_OK)
		return err;
	size_t n = kist_ledger_log_count(log);
	unsigned char(*l)[32] = malloc((n ? n : 1) * 32);
	if (l == NULL)
		return kist__nomem();
	for (size_t i = 0; i < n; i++)
		memcpy(l[i], kist_ledger_log_entry(log, i)->leaf, 32);
	*out = l;
	return KIST_OK;
}

/*
 * Checks that leaves[0..n) hold a tree of size m with root old_root, by an RFC
 * 9162 consistency proof from (m, old_root) to (n, root of the n leaves).
 */
static kist_err extends(const unsigned char (*leaves)[32], uint64_t n, uint64_t m,
                        const unsigned char old_root[32], int *ok)
{
	unsigned char root[32], (*proof)[32] = NULL;
	size_t plen = 0;
	*ok = 0;
	if (m > n)
		return KIST_OK;
	kist__merkle_root(root, leaves, n);
	if (m == n || m == 0) { /* the same tree, or the empty one */
		unsigned char old[32];
		kist__merkle_root(old, leaves, m);
		*ok = sodium_memcmp(old, old_root, 32) == 0;
		return KIST_OK;
	}
	kist_err err = kist__merkle_consistency_proof(&proof, &plen, leaves, n, m);
	if (err != KIST_OK)
		return err;
	*ok = kist__merkle_consistency_verify(m, n, old_root, root,
	                                      (const unsigned char(*)[32])proof, plen) == KIST_OK;
	free(proof);
	return KIST_OK;
}

kist_err kist_witness_check_log(const kist_ledger_log *log, uint64_t size,
                                const unsigned char root[32], kist_witness_verdict *verdict)
{
	unsigned char(*leaves)[32] = NULL;
	int ok = 0;
	*verdict = KIST_WITNESS_OK;
	/* The caller audited log: its stored leaves are its own, in index order. */
	size_t n = kist_ledger_log_count(log);
	kist_err err = KIST_OK;
	leaves = malloc((n ? n : 1) * 32);
	if (leaves == NULL)
		return kist__nomem();
	for (size_t i = 0; i < n; i++) {
		const kist_ledger_entry *e = kist_ledger_log_entry(log, i);
		if (e->index != i || e->malformed) {
			free(leaves);
			return kist__fail(KIST_E_CORRUPT, "the ledger fails its audit: nothing to "
			                                  "check against the witness state");
		}
		memcpy(leaves[i], e->leaf, 32);
	}
	if (size > n) {
		*verdict = KIST_WITNESS_ROLLBACK;
		err =
		    kist__fail(KIST_E_CORRUPT,
		               "rollback: a checkpoint already held pins %llu entries, the ledger "
		               "has %zu",
		               (unsigned long long)size, n);
	} else if ((err = extends((const unsigned char(*)[32])leaves, size, size, root, &ok)) ==
	               KIST_OK &&
	           !ok) {
		*verdict = KIST_WITNESS_FORK;
		err = kist__fail(
		    KIST_E_CORRUPT,
		    "fork: the ledger's first %llu entries are not those of the checkpoint "
		    "already held (another history)",
		    (unsigned long long)size);
	}
	free(leaves);
	return err;
}

/* ------------------------------------------------------------ witness */

static void b64root(char out[45], const unsigned char root[32])
{
	sodium_bin2base64(out, 45, root, 32, sodium_base64_VARIANT_ORIGINAL);
}

/* Checks the note (size, root) against the ledger's leaves and the state held. */
static kist_err judge(const kist_note_info *ni, const unsigned char (*leaves)[32], size_t n,
                      const kist_witness_state *held, int found, kist_witness_verdict *v)
{
	int ok = 0;
	kist_err err;
	if (ni->size > n) {
		*v = KIST_WITNESS_ROLLBACK;
		return kist__fail(KIST_E_CORRUPT,
		                  "rollback: the note pins %llu entries, the ledger given has only "
		                  "%zu (an older copy?)",
		                  (unsigned long long)ni->size, n);
	}
	if ((err = extends(leaves, ni->size, ni->size, ni->root, &ok)) != KIST_OK)
		return err;
	if (!ok) {
		*v = KIST_WITNESS_FORK;
		return kist__fail(
		    KIST_E_CORRUPT,
		    "fork: the note's root is not the root of the ledger's first %llu "
		    "entries: the note and the ledger show two histories",
		    (unsigned long long)ni->size);
	}
	if (!found)
		return KIST_OK;
	if (!same_key(&held->key, &ni->signer)) {
		char a[KIST_FINGERPRINT_STRLEN + 1], b[KIST_FINGERPRINT_STRLEN + 1];
		kist_pubkey_fingerprint(&ni->signer, a);
		kist_pubkey_fingerprint(&held->key, b);
		*v = KIST_WITNESS_OTHER;
		return kist__fail(KIST_E_SIGNATURE,
		                  "the note is signed by %s, not by %s, the key pinned for this "
		                  "ledger",
		                  a, b);
	}
	if (ni->size < held->size) {
		*v = KIST_WITNESS_ROLLBACK;
		return kist__fail(KIST_E_CORRUPT,
		                  "rollback: the note pins %llu entries; you already cosigned %llu "
		                  "for this ledger",
		                  (unsigned long long)ni->size, (unsigned long long)held->size);
	}
	if ((err = extends(leaves, ni->size, held->size, held->root, &ok)) != KIST_OK)
		return err;
	if (!ok) {
		char r[45];
		b64root(r, held->root);
		*v = KIST_WITNESS_FORK;
		return kist__fail(KIST_E_CORRUPT,
		                  "fork: the ledger does not extend the checkpoint you cosigned "
		                  "(size %llu, root %s): its history was rewritten",
		                  (unsigned long long)held->size, r);
	}
	return KIST_OK;
}

/* Opens (creating, 0700) and locks the state folder: *lock holds the lock. */
static kist_err open_state_dir(const char *dir, int *fd, int *lock)
{
	if (kist__os_mkdirat(KIST__OS_CWD, dir, 0700) != 0 && errno != EEXIST) {
		int e = errno;
		return kist__fail(kist__errno_err(e), "%s: %s", dir, strerror(e));
	}
	*fd = kist__os_open(dir, KIST__OS_RDONLY | KIST__OS_DIRECTORY, 0);
	if (*fd < 0) {
		int e = errno;
		return kist__fail(kist__errno_err(e), "%s: %s", dir, strerror(e));
	}
	while ((*lock = kist__os_lock_dir(*fd, 0)) < 0) {
		if (errno == EINTR && !kist__interrupted)
			continue;
		int e = errno;
		kist__os_close(*fd);
		*fd = -1;
		if (e == EINTR)
			return kist__fail(KIST_E_INTERRUPTED, "interrupted");
		return kist__fail(kist__errno_err(e), "%s: lock: %s", dir, strerror(e));
	}
	return KIST_OK;
}

kist_err kist_witness_cosign(const char *dir, const char *note, size_t len,
                             const kist_ledger_log *log, const kist_identity *witness, uint64_t now,
                             char **out, kist_witness_verdict *verdict, kist_witness_state *held)
{
	kist_witness_state st, next;
	kist_note_info ni;
	unsigned char(*leaves)[32] = NULL;
	char *t = NULL;
	size_t tl = 0, body_len = 0;
	int dirfd = -1, lockfd = -1, found = 0, changed = 0;
	kist_err err;

	*out = NULL;
	*verdict = KIST_WITNESS_OK;
	memset(&st, 0, sizeof st);
	if (held)
		memset(held, 0, sizeof *held);
	if ((err = kist_init()) != KIST_OK)
		return err;
	if (witness == NULL || witness->pk.kind != KIST_PUBKEY_KIST || dir == NULL)
		return kist__fail(KIST_E_ARG, "witness: needs a kist identity and a state folder");
	if (now > (uint64_t)INT64_MAX)
		return kist__fail(KIST_E_ARG, "witness: time beyond 2^63 - 1");
	memset(&ni, 0, sizeof ni);
	if ((err = copy_normalized(&t, &tl, note, len, &changed)) != KIST_OK ||
	    (err = read_normalized(&ni, t, tl, NULL, 0, &body_len)) != KIST_OK)
		goto out;
	if (strcmp(ni.origin, kist_ledger_log_origin(log)) != 0) {
		char a[200], b[200];
		kist__printable(a, sizeof a, ni.origin);
		kist__printable(b, sizeof b, kist_ledger_log_origin(log));
		*verdict = KIST_WITNESS_OTHER;
		err = kist__fail(KIST_E_CORRUPT,
		                 "another ledger: the note is of %s, the ledger given is %s", a, b);
		goto out;
	}
	if ((err = log_leaves(log, &leaves)) != KIST_OK)
		goto out;
	if ((err = open_state_dir(dir, &dirfd, &lockfd)) != KIST_OK ||
	    (err = state_load_at(dirfd, dir, ni.origin, &st, &found)) != KIST_OK)
		goto out;
	if (held && found)
		*held = st;
	if ((err = judge(&ni, (const unsigned char(*)[32])leaves, kist_ledger_log_count(log), &st,
	                 found, verdict)) != KIST_OK)
		goto out;
	memset(&next, 0, sizeof next);
	memcpy(next.origin, ni.origin, sizeof next.origin);
	next.key = found ? st.key : ni.signer;
	next.size = ni.size;
	memcpy(next.root, ni.root, 32);
	next.time = (int64_t)now;
	if ((err = state_save_at(dirfd, &next)) != KIST_OK)
		goto out;
	err = cosign_text(out, t, tl, body_len, witness, now);
out:
	if (lockfd >= 0)
		kist__os_close(lockfd); /* releases the lock */
	if (dirfd >= 0)
		kist__os_close(dirfd);
	free(leaves);
	free(t);
	return err;
}

/* ------------------------------------------------------------ compare */

kist_err kist_note_compare(const kist_note_info *a, const kist_note_info *b,
                           const kist_ledger_log *log, kist_witness_verdict *verdict, int *checked)
{
	unsigned char(*leaves)[32] = NULL;
	kist_err err = KIST_OK;
	*verdict = KIST_WITNESS_OK;
	*checked = 0;
	if (strcmp(a->origin, b->origin) != 0) {
		*verdict = KIST_WITNESS_OTHER;
		return kist__fail(KIST_E_CORRUPT,
		                  "the notes are of two different ledgers (origins)");
	}
	if (a->size > b->size) {
		const kist_note_info *t = a;
		a = b;
		b = t;
	}
	if (a->size == b->size && sodium_memcmp(a->root, b->root, 32) != 0) {
		*verdict = KIST_WITNESS_FORK;
		return kist__fail(KIST_E_CORRUPT, "fork: two roots for size %llu",
		                  (unsigned long long)a->size);
	}
	if (a->size == b->size)
		*checked = 1;
	if (log == NULL)
		return KIST_OK;
	if (strcmp(kist_ledger_log_origin(log), a->origin) != 0) {
		*verdict = KIST_WITNESS_OTHER;
		return kist__fail(KIST_E_CORRUPT, "the ledger given is of another origin than the "
		                                  "notes");
	}
	if ((err = log_leaves(log, &leaves)) != KIST_OK)
		return err;
	size_t n = kist_ledger_log_count(log);
	const kist_note_info *two[2] = {a, b};
	for (int i = 0; i < 2 && err == KIST_OK; i++) {
		int ok = 0;
		if (two[i]->size > n) {
			*verdict = KIST_WITNESS_ROLLBACK;
			err = kist__fail(KIST_E_CORRUPT,
			                 "rollback: a note pins %llu entries, the ledger has %zu",
			                 (unsigned long long)two[i]->size, n);
		} else if ((err = extends((const unsigned char(*)[32])leaves, two[i]->size,
		                          two[i]->size, two[i]->root, &ok)) == KIST_OK &&
		           !ok) {
			*verdict = KIST_WITNESS_FORK;
			err = kist__fail(
			    KIST_E_CORRUPT,
			    "fork: the note of size %llu is not of this ledger's history",
			    (unsigned long long)two[i]->size);
		}
	}
	if (err == KIST_OK)
		*checked = 1;
	free(leaves);
	return err;
}
