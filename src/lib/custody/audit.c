/* The ledger audit (docs/AUDIT.md), on threads, and the checkpoints signed over an audited log. */
#include "custody/custody_int.h"

/* Leaf hashes recomputed from the entries in signed (index) order. */
typedef struct ordered {
	unsigned char (*leaves)[32];
	size_t n;
} ordered;

/* ---------------------------------------------------------------- audit */

typedef struct audit {
	kist_audit_fn fn;
	void *ctx;
	kist_audit_report *rep;
} audit;

static void finding(audit *a, kist_audit_kind kind, uint64_t index, const char *fmt, ...)
    KIST__PRINTF(4, 5);

static void finding(audit *a, kist_audit_kind kind, uint64_t index, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	a->rep->found |= 1u << kind;
	if (a->fn)
		a->fn(a->ctx, kind, index, msg);
}

/* How one entry checked on its own (check_entry). */
enum { E_SOUND, E_MALFORMED, E_FIELDS, E_FORGED, E_LEAF };

/* Encodes e as if signed at index idx into body; whether its hash is the stored body hash. */
static int body_matches(buf *body, const char *origin, const kist_ledger_entry *e, uint64_t idx)
{
	kist_ledger_entry t = *e;
	unsigned char bh[32];
	t.index = idx;
	kist__ledger_body_encode(body, origin, &t);
	if (body->oom)
		return 0;
	kist__sha256_oneshot(bh, BODY(body), BODY_LEN(body));
	return sodium_memcmp(bh, e->body_hash, 32) == 0;
}

/*
 * Checks one entry on its own, with body as scratch space: returns E_SOUND
 * and its leaf and the index it was signed at (its stored index or, if that
 * was changed, its position in storage: an entry moved by renumbering, not
 * rewritten), another E_ value naming what is wrong, or -1 when out of
 * memory.  The signature is verified only if verify.  Touches nothing
 * shared: the audit runs it on several threads.
 */
static int check_entry(buf *body, const char *origin, const lentry *le, size_t pos,
                       unsigned char leaf[32], uint64_t *signed_index, int verify)
{
	const kist_ledger_entry *e = &le->pub;
	*signed_index = e->index;
	if (e->malformed)
		return E_MALFORMED;
	int match = body_matches(body, origin, e, e->index);
	if (!match && !body->oom && e->index != pos && body_matches(body, origin, e, pos))
		*signed_index = pos, match = 1;
	if (body->oom)
		return -1;
	if (!match)
		return E_FIELDS;
	if (verify && crypto_sign_verify_detached(e->signature, BODY(body), BODY_LEN(body),
	                                          e->actor.ed25519) != 0)
		return E_FORGED;
	if (!kist__ledger_leaf_hash(leaf, body, e->signature))
		return -1;
	return sodium_memcmp(leaf, e->leaf, 32) == 0 ? E_SOUND : E_LEAF;
}

/* Reports what check_entry found about the entry at pos, in storage order. */
static void report_entry(audit *a, const lentry *le, size_t pos, int status, uint64_t signed_index)
{
	const kist_ledger_entry *e = &le->pub;
	unsigned long long idx = (unsigned long long)e->index;
	switch (status) {
	case E_MALFORMED:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry at position %zu was rewritten: %s", pos, e->malformed);
		break;
	case E_FIELDS:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry %llu was rewritten: its fields no longer match what was signed",
		        idx);
		break;
	case E_FORGED:
		finding(a, KIST_AUDIT_FORGED, e->index,
		        "entry %llu has a forged or replaced signature: it does not verify for its "
		        "actor's key",
		        idx);
		break;
	case E_LEAF:
		finding(a, KIST_AUDIT_REWRITTEN, e->index,
		        "entry %llu was rewritten: its stored leaf hash is not its own", idx);
		break;
	default:
		if (signed_index != e->index)
			finding(a, KIST_AUDIT_REORDERED, signed_index,
			        "entries were reordered: entry %llu was renumbered %llu",
			        (unsigned long long)signed_index, idx);
	}
}

typedef struct keyed {
	uint64_t key; /* signed index */
	size_t pos;   /* position in storage */
} keyed;

static int cmp_keyed(const void *x, const void *y)
{
	const keyed *a = x, *b = y;
	return a->key < b->key ? -1 : a->key > b->key;
}

/* A checkpoint whose signature held, waiting for the root of its size. */
typedef struct pinned {
	uint64_t size;
	unsigned char root[32];
	size_t c; /* its number in the audit (1-based) */
} pinned;

static int cmp_pinned(const void *x, const void *y)
{
	const pinned *a = x, *b = y;
	return a->size < b->size ? -1 : a->size > b->size;
}

static kist_err interrupted(void)
{
	return kist__fail(KIST_E_INTERRUPTED, "interrupted");
}

/*
 * Whether text, with CR bytes and the spaces and tabs that end a line
 * removed (what email and some editors add), is a note whose signature holds.
 */
static int verifies_normalised(const char *text)
{
	size_t len = strlen(text), n = 0;
	kist__checkpoint cp;
	char *t = malloc(len + 1);
	int ok = 0;
	if (t == NULL)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r')
			continue;
		if (text[i] == '\n')
			while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
				n--;
		t[n++] = text[i];
	}
	t[n] = '\0';
	ok = kist__checkpoint_parse(&cp, t, n) == KIST_OK &&
	     kist__checkpoint_verify(&cp, t, NULL) == KIST_OK;
	free(t);
	return ok;
}

static int mangled(const char *text)
{
	return strchr(text, '\r') != NULL || strstr(text, " \n") != NULL ||
	       strstr(text, "\t\n") != NULL;
}

/*
 * Reads checkpoint c: returns 1 and fills pin if its signature holds and it
 * names this ledger; otherwise reports what is wrong with it.  A note that
 * email or an editor damaged, or one of another ledger, is a note problem
 * (KIST_AUDIT_NOTE), not a sign of tampering.
 */
static int read_checkpoint(audit *a, const char *origin, const char *text, const char *label,
                           size_t c, pinned *pin)
{
	kist__checkpoint cp;
	if (kist__checkpoint_parse(&cp, text, strlen(text)) != KIST_OK ||
	    kist__checkpoint_verify(&cp, text, NULL) != KIST_OK) {
		int parsed = kist__checkpoint_parse(&cp, text, strlen(text)) == KIST_OK;
		if (mangled(text) && verifies_normalised(text))
			finding(a, KIST_AUDIT_NOTE, c,
			        "%s was changed in transit: it has CRLF line ends or trailing "
			        "spaces (as email leaves them); its signature holds once they are "
			        "removed: save it with plain LF line ends and no trailing spaces",
			        label);
		else if (!parsed)
			finding(a, KIST_AUDIT_NOTE, c, "%s is not a checkpoint note: %s", label,
			        kist_errdetail() +
			            (strncmp(kist_errdetail(), "checkpoint: ", 12) ? 0 : 12));
		else
			finding(a, KIST_AUDIT_CHECKPOINT, c,
			        "%s has no valid signature (unsigned, forged or altered)", label);
		return 0;
	}
	if (strcmp(cp.origin, origin) != 0) {
		finding(a, KIST_AUDIT_NOTE, c,
		        "%s belongs to another ledger (origin %s, not %s): it says nothing about "
		        "this one",
		        label, cp.origin, origin);
		return 0;
	}
	pin->size = cp.size;
	memcpy(pin->root, cp.root, 32);
	pin->c = c;
	return 1;
}

/*
 * Checks every pinned checkpoint against the leaves (in signed order) in one
 * pass: the RFC 9162 root of the first m leaves is folded from the perfect
 * subtrees a left-to-right walk keeps (at most 64), so each checkpoint costs
 * O(log n) beyond the walk.  A checkpoint whose root equals the root of the
 * first m leaves is one the current log extends, which is what an RFC 9162
 * consistency proof from it to the whole log would show.  Also sets root.
 */
static kist_err check_pins(audit *a, const unsigned char (*ol)[32], size_t n, pinned *pins,
                           size_t npins, const char *const *labels, unsigned char root[32])
{
	unsigned char stack[64][32], t[32];
	uint64_t height[64];
	size_t top = 0, next = 0;
	qsort(pins, npins, sizeof *pins, cmp_pinned);
	for (size_t m = 0; m <= n; m++) {
		if (m > 0) { /* add leaf m-1, merging equal perfect subtrees */
			memcpy(stack[top], ol[m - 1], 32);
			height[top++] = 0;
			while (top >= 2 && height[top - 1] == height[top - 2]) {
				kist__merkle_node(stack[top - 2], stack[top - 2], stack[top - 1]);
				height[top - 2]++;
				top--;
			}
			if ((m & 0xfff) == 0 && kist__interrupted)
				return interrupted();
		}
		while ((next < npins && pins[next].size == m) || m == n) {
			if (top == 0)
				kist__sha256_oneshot(t, "", 0);
			else {
				memcpy(t, stack[top - 1], 32);
				for (size_t j = top - 1; j-- > 0;)
					kist__merkle_node(t, stack[j], t);
			}
			if (m == n && (next >= npins || pins[next].size != m)) {
				memcpy(root, t, 32);
				break;
			}
			if (sodium_memcmp(t, pins[next].root, 32) == 0)
				a->rep->checkpoints_ok++;
			else
				finding(
				    a, KIST_AUDIT_ROLLBACK, pins[next].size,
				    "the log is not an extension of %s (size %llu): its history "
				    "was rewritten or rolled back",
				    labels[pins[next].c - 1], (unsigned long long)pins[next].size);
			next++;
		}
	}
	return KIST_OK;
}

/*
 * Step 1 of the audit, each entry on its own, on several threads: the
 * entries are cut into one contiguous run per thread, and each thread writes
 * only the slots of its own run (a status, a leaf and a signed index per
 * entry), with a body buffer of its own.  Findings are reported afterwards,
 * in storage order, by the caller's thread: the report does not depend on
 * the number of threads.  Ed25519 verification is most of the audit's time.
 */
typedef struct checker {
	const kist_ledger_log *log;
	size_t lo, hi;
	unsigned char (*leaves)[32];
	keyed *sorted;
	signed char *status;
	int verify, oom, stopped;
	pthread_t tid;
} checker;

static void *check_run(void *arg)
{
	checker *c = arg;
	buf body = {0};
	for (size_t i = c->lo; i < c->hi; i++) {
		if (kist__interrupted) {
			c->stopped = 1;
			break;
		}
		c->sorted[i].pos = i;
		int st = check_entry(&body, c->log->origin, &c->log->e[i], i, c->leaves[i],
		                     &c->sorted[i].key, c->verify);
		if (st < 0) {
			c->oom = 1;
			break;
		}
		c->status[i] = (signed char)st;
		if (st != E_SOUND)
			memcpy(c->leaves[i], c->log->e[i].pub.leaf, 32);
	}
	free(body.p);
	return NULL;
}

/*
 * Runs check_run over the entries from to to-1 on threads threads (0: one
 * per processor for many entries), verifying signatures if verify.
 */
static kist_err check_all(const kist_ledger_log *log, size_t from, size_t to, int verify,
                          unsigned threads, unsigned char (*leaves)[32], keyed *sorted,
                          signed char *status)
{
	size_t n = to - from;
	if (threads == 0)
		threads = n < 1024 ? 1 : kist__default_threads();
	if (threads > 16)
		threads = 16;
	if (threads > n)
		threads = n ? (unsigned)n : 1;
	checker c[16];
	kist_err err = KIST_OK;
	for (unsigned t = 0; t < threads; t++) {
		c[t] = (checker){log,
		                 from + n * t / threads,
		                 from + n * (t + 1) / threads,
		                 leaves,
		                 sorted,
		                 status,
		                 verify,
		                 0,
		                 0,
		                 0};
	}
	unsigned started = 0;
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&c[t].tid, NULL, check_run, &c[t]) != 0)
			break; /* the caller's thread does the rest */
		started = t;
	}
	check_run(&c[0]);
	for (unsigned t = started + 1; t < threads; t++) /* runs no thread took */
		check_run(&c[t]);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(c[t].tid, NULL);
	for (unsigned t = 0; t < threads; t++) {
		if (c[t].oom)
			err = kist__nomem();
		else if (c[t].stopped && err == KIST_OK)
			err = interrupted();
	}
	return err;
}

/* The audits below, and kist_ledger_audit_held() (held_root NULL: no held checkpoint). */
static kist_err kist__ledger_audit_core(const kist_ledger_log *log, const char *const *notes,
                                        size_t nnotes, kist_audit_fn fn, void *ctx,
                                        kist_audit_report *rep, unsigned threads,
                                        uint64_t held_size, const unsigned char *held_root);

kist_err kist_ledger_audit(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                           kist_audit_fn fn, void *ctx, kist_audit_report *rep)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, 0, 0, NULL);
}

/*
 * Whether the first held entries are the ones a full audit found sound when
 * the checkpoint (held, root) was cosigned: each entry checked without its
 * signature, and the RFC 9162 root of their leaf hashes, recomputed from
 * their fields and signatures (never the stored leaf hashes), is root.
 */
static kist_err held_prefix(const kist_ledger_log *log, uint64_t held, const unsigned char root[32],
                            unsigned threads, unsigned char (*leaves)[32], keyed *sorted,
                            signed char *status, int *holds)
{
	unsigned char r[32];
	kist_err err;
	*holds = 0;
	if (held == 0 || held > log->n)
		return KIST_OK;
	if ((err = check_all(log, 0, (size_t)held, 0, threads, leaves, sorted, status)) != KIST_OK)
		return err;
	for (size_t i = 0; i < held; i++)
		if (status[i] != E_SOUND || sorted[i].key != i)
			return KIST_OK;
	kist__merkle_root(r, (const unsigned char(*)[32])leaves, held);
	*holds = sodium_memcmp(r, root, 32) == 0;
	return KIST_OK;
}

kist_err kist_ledger_audit_held(const kist_ledger_log *log, const char *const *notes, size_t nnotes,
                                uint64_t held_size, const unsigned char held_root[32],
                                kist_audit_fn fn, void *ctx, kist_audit_report *rep)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, 0, held_size, held_root);
}

kist_err kist__ledger_audit_threads(const kist_ledger_log *log, const char *const *notes,
                                    size_t nnotes, kist_audit_fn fn, void *ctx,
                                    kist_audit_report *rep, unsigned threads)
{
	return kist__ledger_audit_core(log, notes, nnotes, fn, ctx, rep, threads, 0, NULL);
}

/* 2. Storage order against signed order: indices 0, 1, 2, ... in turn. */
static void check_order(audit *a, keyed *sorted, size_t n)
{
	qsort(sorted, n, sizeof *sorted, cmp_keyed);
	int permutation = 1;
	for (size_t i = 0; i < n; i++)
		if (sorted[i].key != i)
			permutation = 0;
	if (permutation) {
		for (size_t k = 0; k < n; k++)
			if (sorted[k].pos != k)
				finding(
				    a, KIST_AUDIT_REORDERED, k,
				    "entries were reordered: entry %zu is stored at position %zu",
				    k, sorted[k].pos);
		return;
	}
	uint64_t want = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t got = sorted[i].key;
		if (i > 0 && got == sorted[i - 1].key) {
			finding(a, KIST_AUDIT_REWRITTEN, got, "entry %llu appears twice",
			        (unsigned long long)got);
			continue;
		}
		if (got > want) {
			if (got - want == 1)
				finding(a, KIST_AUDIT_DELETED, want, "entry %llu was deleted",
				        (unsigned long long)want);
			else
				finding(a, KIST_AUDIT_DELETED, want,
				        "entries %llu to %llu were deleted",
				        (unsigned long long)want, (unsigned long long)(got - 1));
		}
		want = got + 1;
	}
}

/*
 * 3. The chain, in signed order: each entry names the leaf before it.  Also
 * copies the leaves into ol in signed order, for the checkpoints.
 */
static void check_chain(audit *a, const kist_ledger_log *log, const keyed *sorted,
                        const unsigned char (*leaves)[32], const signed char *status,
                        unsigned char (*ol)[32])
{
	static const unsigned char zero[32];
	for (size_t i = 0; i < log->n; i++) {
		const lentry *e = &log->e[sorted[i].pos];
		const unsigned char *want = zero;
		memcpy(ol[i], leaves[sorted[i].pos], 32);
		if (status[sorted[i].pos] != E_SOUND)
			continue;
		if (sorted[i].key > 0) {
			if (i == 0 || sorted[i - 1].key != sorted[i].key - 1)
				continue; /* the gap is already reported */
			want = leaves[sorted[i - 1].pos];
		}
		if (sodium_memcmp(want, e->pub.prev, 32) != 0)
			finding(a, KIST_AUDIT_DELETED, sorted[i].key,
			        "entry %llu does not follow entry %llu: an entry between them was "
			        "deleted or the history was replaced",
			        (unsigned long long)sorted[i].key,
			        (unsigned long long)(sorted[i].key ? sorted[i].key - 1 : 0));
	}
}

/*
 * 4a. Each checkpoint note on its own (given ones first, then those stored
 * in the log): labels each, and keeps in pins those whose signature holds
 * and whose size the log reaches.
 */
static kist_err read_checkpoints(audit *a, const kist_ledger_log *log, const char *const *notes,
                                 size_t nnotes, char (*labels)[64], const char **lp, pinned *pins,
                                 size_t *npins)
{
	size_t ncps = nnotes + log->nnotes, n = log->n;
	*npins = 0;
	for (size_t c = 0; c < ncps; c++) {
		const char *text = c < nnotes ? notes[c] : log->notes[c - nnotes];
		if (kist__interrupted)
			return interrupted();
		if (c < nnotes)
			snprintf(labels[c], sizeof labels[c], "checkpoint %zu", c + 1);
		else
			snprintf(labels[c], sizeof labels[c], "checkpoint stored in the log (%zu)",
			         c - nnotes + 1);
		lp[c] = labels[c];
		if (!read_checkpoint(a, log->origin, text, labels[c], c + 1, &pins[*npins]))
			continue;
		if (pins[*npins].size > n) {
			finding(a, KIST_AUDIT_ROLLBACK, pins[*npins].size,
			        "the log was truncated or rolled back: %s pins %llu entries, the "
			        "log has %zu",
			        labels[c], (unsigned long long)pins[*npins].size, n);
			continue;
		}
		(*npins)++;
	}
	return KIST_OK;
}

static kist_err kist__ledger_audit_core(const kist_ledger_log *log, const char *const *notes,
                                        size_t nnotes, kist_audit_fn fn, void *ctx,
                                        kist_audit_report *rep, unsigned threads,
                                        uint64_t held_size, const unsigned char *held_root)
{
	audit a = {fn, ctx, rep};
	keyed *sorted = NULL;
	unsigned char(*leaves)[32] = NULL, (*ol)[32] = NULL;
	signed char *status = NULL;
	pinned *pins = NULL;
	char(*labels)[64] = NULL;
	const char **lp = NULL;
	size_t npins = 0, ncps = nnotes + log->nnotes;
	kist_err err = KIST_OK;

	memset(rep, 0, sizeof *rep);
	if ((err = kist_init()) != KIST_OK)
		return err;
	size_t n = log->n;
	sorted = malloc((n ? n : 1) * sizeof *sorted);
	leaves = malloc((n ? n : 1) * 32);
	ol = malloc((n ? n : 1) * 32);
	status = calloc(n ? n : 1, 1);
	pins = calloc(ncps ? ncps : 1, sizeof *pins);
	labels = calloc(ncps ? ncps : 1, sizeof *labels);
	lp = calloc(ncps ? ncps : 1, sizeof *lp);
	if (sorted == NULL || leaves == NULL || ol == NULL || status == NULL || pins == NULL ||
	    labels == NULL || lp == NULL) {
		err = kist__nomem();
		goto out;
	}
	rep->size = n;

	/* 1. Each entry on its own: fields against the signed body, signature,
	 * leaf; with a held checkpoint that the log still extends, the
	 * signatures of the entries it covers are not verified again. */
	int holds = 0;
	if (held_root != NULL && (err = held_prefix(log, held_size, held_root, threads, leaves,
	                                            sorted, status, &holds)) != KIST_OK)
		goto out;
	rep->unverified = holds ? held_size : 0;
	if ((err = check_all(log, (size_t)rep->unverified, n, 1, threads, leaves, sorted,
	                     status)) != KIST_OK)
		goto out;
	for (size_t i = 0; i < n; i++)
		report_entry(&a, &log->e[i], i, status[i], sorted[i].key);

	check_order(&a, sorted, n); /* 2. */
	if (kist__interrupted) {
		err = interrupted();
		goto out;
	}
	check_chain(&a, log, sorted, (const unsigned char(*)[32])leaves, status, ol); /* 3. */

	/* 4. Checkpoints: each note on its own, then all against the tree in
	 * one pass, which also gives the root over the leaves in signed order. */
	if ((err = read_checkpoints(&a, log, notes, nnotes, labels, lp, pins, &npins)) != KIST_OK)
		goto out;
	if ((err = check_pins(&a, (const unsigned char(*)[32])ol, n, pins, npins, lp, rep->root)) !=
	    KIST_OK)
		goto out;
	err = rep->found ? kist__fail(KIST_E_CORRUPT, "the ledger failed its audit") : KIST_OK;
out:
	free(sorted);
	free(leaves);
	free(ol);
	free(status);
	free(pins);
	free(labels);
	free(lp);
	return err;
}

kist_err kist_ledger_checkpoint_audited(const kist_ledger_log *log, const kist_audit_report *rep,
                                        const kist_identity *signer, char **note)
{
	*note = NULL;
	if (rep->size != log->n)
		return kist__fail(KIST_E_ARG, "the audit report is not of this log");
	if (rep->found != 0 && signer != NULL)
		return kist__fail(KIST_E_CORRUPT,
		                  "the ledger does not pass its audit: no checkpoint signed");
	return kist__checkpoint_note(note, log->origin, rep->size, rep->root, signer);
}

/*
 * Whether every entry is stored at its index, hashes to its stored body and
 * leaf hashes, and names the leaf before it: what a checkpoint pins.  The
 * actors' signatures are left to the audit (they cost most of its time).
 */
static kist_err chain_holds(const kist_ledger_log *log, unsigned char (*leaves)[32], int *holds)
{
	static const unsigned char zero[32];
	buf body = {0};
	kist_err err = KIST_OK;
	*holds = 0;
	for (size_t i = 0; i < log->n; i++) {
		const kist_ledger_entry *e = &log->e[i].pub;
		if ((i & 0xff) == 0 && kist__interrupted) {
			err = interrupted();
			goto out;
		}
		if (e->malformed || e->index != i ||
		    sodium_memcmp(e->prev, i ? leaves[i - 1] : zero, 32) != 0)
			goto out;
		int match = body_matches(&body, log->origin, e, i);
		if (body.oom || !kist__ledger_leaf_hash(leaves[i], &body, e->signature)) {
			err = kist__nomem();
			goto out;
		}
		if (!match || sodium_memcmp(leaves[i], e->leaf, 32) != 0)
			goto out;
	}
	*holds = 1;
out:
	free(body.p);
	return err;
}

kist_err kist_ledger_checkpoint(const kist_ledger_log *log, const kist_identity *signer,
                                char **note)
{
	kist_audit_report rep;
	audit a = {NULL, NULL, &rep};
	unsigned char(*leaves)[32] = malloc((log->n ? log->n : 1) * 32);
	pinned *pins = calloc(log->nnotes ? log->nnotes : 1, sizeof *pins);
	const char **labels = calloc(log->nnotes ? log->nnotes : 1, sizeof *labels);
	size_t npins = 0;
	int holds = 0;
	kist_err err;
	*note = NULL;
	memset(&rep, 0, sizeof rep);
	if (leaves == NULL || pins == NULL || labels == NULL) {
		err = kist__nomem();
		goto out;
	}
	if ((err = kist_init()) != KIST_OK || (err = chain_holds(log, leaves, &holds)) != KIST_OK)
		goto out;
	if (!holds) {
		if (signer != NULL) {
			err =
			    kist__fail(KIST_E_CORRUPT,
			               "the ledger does not pass its audit: no checkpoint signed");
			goto out;
		}
		/* unsigned: the root over the leaves as stored */
		for (size_t i = 0; i < log->n; i++)
			memcpy(leaves[i], log->e[i].pub.leaf, 32);
	}
	/* The checkpoints stored in the log must hold too (a truncated log is refused). */
	for (size_t c = 0; c < log->nnotes; c++) {
		labels[c] = "a checkpoint stored in the log";
		if (read_checkpoint(&a, log->origin, log->notes[c], labels[c], c + 1,
		                    &pins[npins])) {
			if (pins[npins].size <= log->n)
				npins++;
			else
				rep.found |= 1u << KIST_AUDIT_ROLLBACK;
		}
	}
	if ((err = check_pins(&a, (const unsigned char(*)[32])leaves, log->n, pins, npins, labels,
	                      rep.root)) != KIST_OK)
		goto out;
	if (rep.found != 0 && signer != NULL) {
		err = kist__fail(KIST_E_CORRUPT,
		                 "the ledger does not pass its audit: no checkpoint signed");
		goto out;
	}
	err = kist__checkpoint_note(note, log->origin, log->n, rep.root, signer);
out:
	free(leaves);
	free(pins);
	free(labels);
	return err;
}
