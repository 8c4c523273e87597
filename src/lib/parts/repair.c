/*
 * Rebuilding damaged or missing parts (kist_partset_repair).  Stripe by
 * stripe: the blocks of a stripe that the check found damaged are erasures;
 * any k intact blocks of the stripe give them back through the inverse of
 * the corresponding rows of the Cauchy encoding matrix (ISA-L's
 * gf_invert_matrix, gf_mul, ec_init_tables, ec_encode_data).  Every rebuilt
 * block must hash to its manifest entry before it is written.
 */
#include "parts/parts.h"
#include "os/os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef KIST_HAVE_ISAL
#include <isa-l/erasure_code.h>
#endif

typedef struct repair_job {
	kist_partset *ps;
	uint64_t rows;
	unsigned total, k, m;
	int *fd;                /* [1..total]: present parts, or -1 */
	unsigned char *redo;    /* [1..total]: part is rewritten */
	unsigned char *replace; /* [1..total]: its output name may be replaced */
	kist__outfile *out;     /* [1..total] */
	char **final;           /* [1..total]: path of the rewritten part, for the report */
	int *dirfd;             /* [1..total] */
	unsigned char **blk;    /* [1..total] stripe buffers */
	unsigned char *enc;     /* (k + m) x k encoding matrix */
	unsigned char *tables;  /* decode tables for the cached erasure pattern */
	unsigned *src, *err;    /* cached pattern: k sources, nerr erasures */
	unsigned nerr;
	int have_tables;
} repair_job;

/* "BASE" such that present parts are named BASE.NNN, else "DIR/part". */
static char *derive_base(const kist_partset *ps)
{
	char suffix[16];
	unsigned first = 0;
	for (unsigned p = 1; p <= ps->total; p++) {
		if (ps->path[p] == NULL)
			continue;
		if (first == 0)
			first = p;
		snprintf(suffix, sizeof suffix, ".%0*u", ps->total > 999 ? 4 : 3, p);
		size_t n = strlen(ps->path[p]), s = strlen(suffix);
		if (n > s && strcmp(ps->path[p] + n - s, suffix) == 0)
			return kist__os_strndup(ps->path[p], n - s);
	}
	const char *path = ps->path[first], *slash = strrchr(path, '/');
	size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
	char *b = malloc(dl + 5);
	if (b != NULL) {
		memcpy(b, path, dl);
		memcpy(b + dl, "part", 5);
	}
	return b;
}

/* Opens the temporary output for part p: in place, beside the set, or in out_dir. */
/* The path part p is written to: in place, beside the set, or in out_dir. */
static kist_err name_output(repair_job *j, unsigned p, const char *out_dir, const char *base)
{
	char path[4096 + 16];
	kist_err err;
	if (j->ps->path[p] != NULL) {
		snprintf(path, sizeof path, "%s", j->ps->path[p]);
	} else if ((err = kist__part_name(path, sizeof path, base, p, j->total)) != KIST_OK) {
		return err;
	}
	if (out_dir != NULL) {
		const char *slash = strrchr(path, '/');
		char tmp[2 * sizeof path + 2];
		int n = snprintf(tmp, sizeof tmp, "%s/%s", out_dir, slash ? slash + 1 : path);
		if (n < 0 || (size_t)n >= sizeof path)
			return kist__fail(KIST_E_ARG, "%s: path too long", out_dir);
		memcpy(path, tmp, (size_t)n + 1);
	}
	if ((j->final[p] = strdup(path)) == NULL)
		return kist__nomem();
	return KIST_OK;
}

static int same_file(const char *a, const char *b)
{
	kist__os_stat x, y;
	return kist__os_fstatat(KIST__OS_CWD, a, &x, KIST__OS_STAT_NOFOLLOW) == 0 &&
	       kist__os_fstatat(KIST__OS_CWD, b, &y, KIST__OS_STAT_NOFOLLOW) == 0 &&
	       kist__os_same_file(&x, &y);
}

/*
 * Before any work: what each rebuilt part may replace.  The damaged part
 * itself (in place) and a file whose part header was refused may be
 * replaced; an intact part of the set never; anything else only with
 * out_dir and KIST_REPLACE.  Two rebuilt parts never share a name.
 */
static kist_err check_outputs(repair_job *j, const char *out_dir, unsigned flags)
{
	const kist_partset *ps = j->ps;
	kist__os_stat st;
	for (unsigned p = 1; p <= j->total; p++) {
		if (!j->redo[p])
			continue;
		for (unsigned q = 1; q < p; q++)
			if (j->redo[q] && strcmp(j->final[q], j->final[p]) == 0)
				return kist__fail(KIST_E_EXISTS,
				                  "parts %u and %u would both be written to %s", q,
				                  p, j->final[p]);
		if (kist__os_fstatat(KIST__OS_CWD, j->final[p], &st, KIST__OS_STAT_NOFOLLOW) != 0)
			continue;
		for (unsigned q = 1; q <= j->total; q++)
			if (q != p && ps->path[q] != NULL && same_file(ps->path[q], j->final[p]))
				return kist__fail(KIST_E_EXISTS,
				                  "%s holds part %u: it is not replaced",
				                  j->final[p], q);
		int ok = out_dir == NULL && ps->path[p] != NULL;
		for (size_t i = 0; !ok && i < ps->nunusable; i++)
			ok = same_file(ps->unusable_path[i], j->final[p]);
		if (!ok && !(out_dir != NULL && (flags & KIST_REPLACE)))
			return kist__fail(KIST_E_EXISTS, "%s exists", j->final[p]);
		j->replace[p] = 1;
	}
	return KIST_OK;
}

static kist_err open_output(repair_job *j, unsigned p)
{
	const char *name;
	kist_err err = kist__open_parent(j->final[p], &j->dirfd[p], &name);
	if (err != KIST_OK)
		return err;
	return kist__outfile_open(&j->out[p], j->dirfd[p], name);
}

#ifdef KIST_HAVE_ISAL
kist_err kist__rs_decode_tables(unsigned k, const unsigned char *enc, const unsigned *src,
                                const unsigned *er, unsigned nerr, unsigned char *tables)
{
	unsigned char *b = malloc((size_t)k * k), *inv = malloc((size_t)k * k);
	unsigned char *dec = malloc((size_t)k * nerr);
	kist_err err = KIST_OK;
	if (b == NULL || inv == NULL || dec == NULL) {
		err = kist__nomem();
		goto out;
	}
	for (unsigned i = 0; i < k; i++)
		memcpy(b + (size_t)k * i, enc + (size_t)k * (src[i] - 1), k);
	if (gf_invert_matrix(b, inv, (int)k) < 0) {
		err = kist__fail(KIST_E_CORRUPT, "internal: singular decoding matrix");
		goto out;
	}
	for (unsigned e = 0; e < nerr; e++) {
		unsigned row = er[e] - 1; /* 0-based part index */
		for (unsigned i = 0; i < k; i++) {
			if (row < k) { /* a data block: its row of the inverse */
				dec[(size_t)k * e + i] = inv[(size_t)k * row + i];
				continue;
			}
			unsigned char s =
			    0; /* a parity block: its encoding row times the inverse */
			for (unsigned t = 0; t < k; t++)
				s ^= gf_mul(inv[(size_t)k * t + i], enc[(size_t)k * row + t]);
			dec[(size_t)k * e + i] = s;
		}
	}
	ec_init_tables((int)k, (int)nerr, dec, tables);
out:
	free(b);
	free(inv);
	free(dec);
	return err;
}

/* Decode tables for erasures err[0..nerr) from sources src[0..k). */
static kist_err build_tables(repair_job *j)
{
	kist_err err = kist__rs_decode_tables(j->k, j->enc, j->src, j->err, j->nerr, j->tables);
	j->have_tables = err == KIST_OK;
	return err;
}
#endif

/* Rebuilds the erased blocks of stripe r into j->blk[err[e]]. */
static kist_err rebuild_stripe(repair_job *j, uint64_t r)
{
	const kist__part_hdr *h = &j->ps->hdr;
	unsigned src[KIST__PART_MAX_KM], er[KIST__PART_MAX_KM], ns = 0, ne = 0;
	for (unsigned p = 1; p <= j->total; p++)
		ne += j->ps->bad[(uint64_t)p * j->rows + r];
	if (ne == 0)
		return KIST_OK; /* (a set without parity gets no further: k may pass 255) */
	if (ne > j->m || j->total > KIST__PART_MAX_KM)
		return kist__fail(KIST_E_CORRUPT,
		                  "stripe %" PRIu64 " lost %u blocks; parity rebuilds %u", r, ne,
		                  j->m);
	ne = 0;
	for (unsigned p = 1; p <= j->total; p++) {
		if (j->ps->bad[(uint64_t)p * j->rows + r])
			er[ne++] = p;
		else if (ns < j->k)
			src[ns++] = p;
	}
	if (ns < j->k)
		return kist__fail(KIST_E_CORRUPT,
		                  "stripe %" PRIu64 " lost %u blocks; parity rebuilds %u", r, ne,
		                  j->m);
#ifdef KIST_HAVE_ISAL
	if (!j->have_tables || ne != j->nerr || memcmp(er, j->err, ne * sizeof *er) != 0 ||
	    memcmp(src, j->src, j->k * sizeof *src) != 0) {
		kist_err err;
		memcpy(j->err, er, ne * sizeof *er);
		memcpy(j->src, src, j->k * sizeof *src);
		j->nerr = ne;
		if ((err = build_tables(j)) != KIST_OK)
			return err;
	}
	unsigned char *in[KIST__PART_MAX_KM], *outp[KIST__PART_MAX_KM];
	for (unsigned i = 0; i < j->k; i++) {
		unsigned p = src[i];
		uint32_t len = kist__part_block_len(h, p, r);
		kist_err err = len ? kist__pread_full(j->fd[p], j->blk[p], len,
		                                      KIST__PART_HDR + r * h->block, "part")
		                   : KIST_OK;
		if (err != KIST_OK)
			return err;
		memset(j->blk[p] + len, 0, h->block - len);
		in[i] = j->blk[p];
	}
	for (unsigned e = 0; e < ne; e++)
		outp[e] = j->blk[er[e]];
	ec_encode_data((int)h->block, (int)j->k, (int)ne, j->tables, in, outp);
	for (unsigned e = 0; e < ne; e++) {
		unsigned char hash[KIST__PART_HASH];
		kist__part_block_hash(hash, j->blk[er[e]], kist__part_block_len(h, er[e], r));
		if (memcmp(hash, kist__partset_hash(j->ps, er[e], r), KIST__PART_HASH) != 0)
			return kist__fail(KIST_E_CORRUPT,
			                  "part %u block %" PRIu64
			                  " rebuilt wrong: the parts disagree",
			                  er[e], r);
	}
	return KIST_OK;
#else
	(void)h, (void)src, (void)er;
	return kist__fail(KIST_E_FORMAT, "this build of kist has no parity (ISA-L)");
#endif
}

/* Writes stripe r of every rewritten part (rebuilt blocks, else its own). */
static kist_err write_stripe(repair_job *j, uint64_t r)
{
	const kist__part_hdr *h = &j->ps->hdr;
	kist_err err;
	if ((err = rebuild_stripe(j, r)) != KIST_OK)
		return err;
	for (unsigned p = 1; p <= j->total; p++) {
		uint32_t len = kist__part_block_len(h, p, r);
		if (!j->redo[p] || len == 0)
			continue;
		if (!j->ps->bad[(uint64_t)p * j->rows + r] &&
		    (err = kist__pread_full(j->fd[p], j->blk[p], len, KIST__PART_HDR + r * h->block,
		                            "part")) != KIST_OK)
			return err;
		if ((err = kist__write_full(j->out[p].fd, j->blk[p], len, "part")) != KIST_OK)
			return err;
	}
	return KIST_OK;
}

static kist_err repair_setup(repair_job *j, const char *out_dir, unsigned flags)
{
	kist_partset *ps = j->ps;
	const kist__part_hdr *h = &ps->hdr;
	char *base = NULL;
	kist_err err = KIST_OK;
	unsigned n = j->total + 1;
	j->fd = malloc(n * sizeof *j->fd);
	j->dirfd = malloc(n * sizeof *j->dirfd);
	j->redo = calloc(n, 1);
	j->replace = calloc(n, 1);
	j->out = calloc(n, sizeof *j->out);
	j->final = calloc(n, sizeof *j->final);
	j->blk = calloc(n, sizeof *j->blk);
	j->enc = malloc((size_t)j->total * j->k);
	j->tables = malloc((size_t)j->k * (j->m ? j->m : 1) * 32);
	j->src = malloc(KIST__PART_MAX_KM * sizeof *j->src);
	j->err = malloc(KIST__PART_MAX_KM * sizeof *j->err);
	for (unsigned p = 0; p < n; p++) { /* before any return: repair_free closes these */
		if (j->fd != NULL)
			j->fd[p] = -1;
		if (j->dirfd != NULL)
			j->dirfd[p] = -1;
		if (j->out != NULL)
			j->out[p].fd = j->out[p].slot = -1;
	}
	if (!j->fd || !j->dirfd || !j->redo || !j->replace || !j->out || !j->final || !j->blk ||
	    !j->enc || !j->tables || !j->src || !j->err || (base = derive_base(ps)) == NULL) {
		free(base);
		return kist__nomem();
	}
#ifdef KIST_HAVE_ISAL
	if (j->m > 0)
		gf_gen_cauchy1_matrix(j->enc, (int)j->total, (int)j->k);
#endif
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++) {
		kist_part_status st;
		kist_partset_status(ps, p, &st);
		j->redo[p] = st.state != KIST_PART_OK;
		if ((j->blk[p] = malloc(h->block)) == NULL)
			err = kist__nomem();
		else if (ps->path[p] != NULL && (j->fd[p] = kist__part_open(ps->path[p])) < 0)
			err = kist__fail(KIST_E_IO, "%s: %s", ps->path[p], strerror(errno));
		else if (j->redo[p])
			err = name_output(j, p, out_dir, base);
	}
	free(base);
	if (err == KIST_OK)
		err = check_outputs(j, out_dir, flags);
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++)
		if (j->redo[p])
			err = open_output(j, p);
	return err;
}

static void repair_free(repair_job *j)
{
	for (unsigned p = 1; p <= j->total; p++) {
		if (j->out != NULL && (j->out[p].fd >= 0 || j->out[p].final != NULL))
			kist__outfile_abort(&j->out[p]);
		if (j->fd != NULL && j->fd[p] >= 0)
			kist__os_close(j->fd[p]);
		if (j->dirfd != NULL && j->dirfd[p] >= 0)
			kist__os_close(j->dirfd[p]);
		if (j->final != NULL)
			free(j->final[p]);
		if (j->blk != NULL)
			free(j->blk[p]);
	}
	free(j->fd);
	free(j->dirfd);
	free(j->redo);
	free(j->replace);
	free(j->out);
	free(j->final);
	free(j->blk);
	free(j->enc);
	free(j->tables);
	free(j->src);
	free(j->err);
}

/* Header and manifest of each rewritten part, then all renamed. */
static kist_err finish_parts(repair_job *j, const char *out_dir, unsigned flags,
                             kist_warn_fn done_fn, void *ctx)
{
	const kist__part_hdr *h = &j->ps->hdr;
	unsigned char raw[KIST__PART_HDR];
	kist_err err = KIST_OK;
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++) {
		kist__part_hdr self = *h;
		if (!j->redo[p])
			continue;
		self.number = p;
		kist__part_hdr_encode(raw, &self);
		int64_t tail = KIST__PART_HDR + (int64_t)kist__part_payload_len(h, p);
		if (kist__os_pwrite(j->out[p].fd, raw, sizeof raw, 0) != (ptrdiff_t)sizeof raw ||
		    kist__os_seek(j->out[p].fd, tail, KIST__OS_SEEK_SET) != tail)
			err = kist__fail(kist__errno_err(errno), "writing a part: %s",
			                 strerror(errno));
		else if ((err = kist__write_full(j->out[p].fd, j->ps->manifest,
		                                 kist__part_manifest_len(h), "part")) == KIST_OK)
			err = kist__outfile_finish(&j->out[p]);
	}
	for (unsigned p = 1; p <= j->total && err == KIST_OK; p++) {
		if (!j->redo[p])
			continue;
		/* Nothing more is read from it, and Windows replaces no open file. */
		if (j->fd[p] >= 0) {
			kist__os_close(j->fd[p]);
			j->fd[p] = -1;
		}
		if ((err = kist__outfile_commit(&j->out[p], j->replace[p], 0)) == KIST_OK) {
			kist__os_fsync(j->dirfd[p]);
			if (done_fn != NULL)
				done_fn(ctx, j->final[p], j->ps->path[p] ? "repaired" : "rebuilt");
		}
	}
	return err;
}

kist_err kist_partset_repair(kist_partset *ps, const char *out_dir, unsigned flags,
                             kist_warn_fn done_fn, void *ctx)
{
	repair_job j;
	kist_err err = KIST_OK;
	int any = 0;

	if (!ps->checked)
		return kist__fail(KIST_E_ARG, "internal: repair before check");
	for (unsigned p = 1; p <= ps->total; p++) {
		kist_part_status st;
		kist_partset_status(ps, p, &st);
		any |= st.state != KIST_PART_OK;
	}
	if (!any)
		return KIST_OK;
	if (!kist_partset_repairable(ps))
		return kist__fail(KIST_E_CORRUPT,
		                  "too much is lost: a stripe lost more blocks than the %u parity "
		                  "part%s can rebuild",
		                  ps->hdr.m, ps->hdr.m == 1 ? "" : "s");
	memset(&j, 0, sizeof j);
	j.ps = ps;
	j.rows = kist__part_rows(&ps->hdr);
	j.total = ps->total;
	j.k = ps->hdr.k;
	j.m = ps->hdr.m;
	err = repair_setup(&j, out_dir, flags);
	for (uint64_t r = 0; err == KIST_OK && r < j.rows; r++) {
		if (kist__interrupted)
			err = kist__fail(KIST_E_INTERRUPTED, "interrupted");
		else {
			for (unsigned p = 1; p <= j.total; p++)
				if (j.redo[p] &&
				    kist__os_seek(j.out[p].fd,
				                  KIST__PART_HDR + (int64_t)(r * ps->hdr.block),
				                  KIST__OS_SEEK_SET) < 0)
					err = kist__fail(KIST_E_IO, "seek: %s", strerror(errno));
			if (err == KIST_OK)
				err = write_stripe(&j, r);
		}
	}
	if (err == KIST_OK)
		err = finish_parts(&j, out_dir, flags, done_fn, ctx);
	repair_free(&j);
	return err;
}
