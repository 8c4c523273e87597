/*
 * An ordered parallel pipeline of chunk jobs.
 *
 * One producer thread (the caller) fills slots in sequence and submits them;
 * worker threads seal or open them (compression, encryption, decompression,
 * authentication: the costly, independent part); a hashing thread runs
 * SHA-256 over every chunk's plaintext strictly in submission order (the one
 * sequential cost per byte, kept off the caller's thread so that reading,
 * hashing and writing overlap); the caller takes finished slots back
 * strictly in submission order, so the vault is written, and plaintext is
 * released, in order, and an entry's digest is read from the slot of its
 * last chunk once hashed.  A slot is reused only when both its job and its
 * hash are done.  With one thread the work is done inline in submit, with no
 * threads at all.
 */
#include "format/format.h"
#include "os/os.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_estimateCCtxSize_usingCParams, exported by libzstd */
#include <zstd.h>

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_BUSY, SLOT_DONE };

struct kist__pipe {
	int mode;
	const unsigned char *key;
	uint32_t chunk_size;
	unsigned nthreads;
	kist__slot *slots;
	size_t nslots;
	uint64_t head;      /* next sequence number to acquire */
	uint64_t tail;      /* oldest sequence number not yet released */
	uint64_t next_work; /* next sequence number a worker takes */
	uint64_t submitted; /* sequence numbers below this are READY or later */
	int stop;
	uint64_t next_hash; /* next sequence number the hashing thread takes */
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv, hash_cv;
	pthread_t *threads;
	pthread_t hasher;
	int hasher_started;
	kist__chunker **chunkers; /* one per worker (one for inline work) */
	kist__sha256 *sha;        /* the running hash of the current entry */
	unsigned started;
};

/* Each entry of a batch slot, in order: its own chunk, its own error. */
static void run_batch(kist__pipe *p, kist__chunker *c, kist__slot *s)
{
	size_t at = 0;
	for (unsigned i = 0; i < s->nsub; i++) {
		kist__sub *u = &s->sub[i];
		kist__clear_detail();
		if (p->mode == KIST__PIPE_SEAL) {
			u->outoff = at;
			u->err =
			    kist__chunk_seal_into(c, p->key, u->stream, 0, 1, 1, s->in + u->off + 1,
			                          u->len, 1, s->out + at, &u->result_len);
			u->result = s->out + at;
			at += u->result_len;
		} else {
			u->err = kist__chunk_open_inplace(c, p->key, u->stream, 0, 1,
			                                  s->in + u->off, u->len, u->expect,
			                                  s->out + u->outoff, &u->result);
			u->result_len = u->expect;
		}
		if (u->err != KIST_OK)
			snprintf(u->errdetail, sizeof u->errdetail, "%s", kist_errdetail());
	}
	s->err = KIST_OK;
	s->result = s->out;
	s->result_len = at;
}

static void run_job(kist__pipe *p, kist__chunker *c, kist__slot *s)
{
	kist__clear_detail();
	if (s->skip) {
		s->err = KIST_OK;
		s->result_len = 0;
		return;
	}
	if (s->nsub > 0) {
		run_batch(p, c, s);
		return;
	}
	if (p->mode == KIST__PIPE_SEAL) {
		s->err =
		    kist__chunk_seal_into(c, p->key, s->stream, s->counter, s->last, s->allow_zstd,
		                          KIST__SLOT_DATA(s), s->inlen, 1, s->out, &s->result_len);
		s->result = s->out;
	} else {
		s->err = kist__chunk_open_inplace(c, p->key, s->stream, s->counter, s->last, s->in,
		                                  s->inlen, s->expect, s->out, &s->result);
		s->result_len = s->expect;
	}
	if (s->err != KIST_OK)
		snprintf(s->errdetail, sizeof s->errdetail, "%s", kist_errdetail());
}

/*
 * Hashes one slot's plaintext into the running SHA-256 of its entry: the
 * first chunk of an entry (counter 0) starts a new hash, its last chunk
 * leaves the digest in the slot.  Skipped slots and chunks that did not open
 * are left out (their entry has failed anyway).
 */
static void hash_one(kist__pipe *p, kist__slot *s)
{
	const unsigned char *data = p->mode == KIST__PIPE_SEAL ? KIST__SLOT_DATA(s) : s->result;
	size_t len = p->mode == KIST__PIPE_SEAL ? s->inlen : s->result_len;
	if (s->skip)
		return;
	for (unsigned i = 0; i < s->nsub; i++) {
		kist__sub *u = &s->sub[i];
		if (p->mode == KIST__PIPE_OPEN && u->err != KIST_OK)
			continue;
		kist__sha256_reset(p->sha);
		kist__sha256_update(p->sha,
		                    p->mode == KIST__PIPE_SEAL ? s->in + u->off + 1 : u->result,
		                    p->mode == KIST__PIPE_SEAL ? u->len : u->result_len);
		kist__sha256_final(p->sha, u->digest);
	}
	if (s->nsub > 0)
		return;
	if (s->counter == 0)
		kist__sha256_reset(p->sha);
	if (p->mode == KIST__PIPE_OPEN && s->err != KIST_OK)
		return;
	kist__sha256_update(p->sha, data, len);
	if (s->last)
		kist__sha256_final(p->sha, s->digest);
}

/* A slot can be hashed once its plaintext exists: at submission when sealing,
 * once the worker has opened it when opening. */
static int hashable(const kist__pipe *p, const kist__slot *s)
{
	return p->mode == KIST__PIPE_SEAL ? s->state >= SLOT_READY : s->state == SLOT_DONE;
}

static void *hasher(void *arg)
{
	kist__pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		kist__slot *s = NULL;
		while (!p->stop && (p->next_hash >= p->submitted ||
		                    !hashable(p, s = &p->slots[p->next_hash % p->nslots])))
			pthread_cond_wait(&p->hash_cv, &p->mu);
		if (p->stop)
			break;
		pthread_mutex_unlock(&p->mu);
		hash_one(p, s);
		pthread_mutex_lock(&p->mu);
		s->hashed = 1;
		p->next_hash++;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Each worker gets its chunker and the pipe. */
typedef struct worker_arg {
	kist__chunker *c;
	kist__pipe *p;
} worker_arg;

static void *worker(void *arg)
{
	worker_arg *wa = arg;
	kist__pipe *p = wa->p;
	kist__chunker *c = wa->c;

	free(wa);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next_work >= p->submitted)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop)
			break;
		kist__slot *s = &p->slots[p->next_work % p->nslots];
		p->next_work++;
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		run_job(p, c, s);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done_cv);
		if (p->mode == KIST__PIPE_OPEN)
			pthread_cond_signal(&p->hash_cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* What the compressors of one seal may take together (docs/man/kist.1, -j). */
#define KIST__COMPRESSOR_MEM_MAX ((size_t)256 << 20)

/*
 * Workers that seal at level: no more than fit in KIST__COMPRESSOR_MEM_MAX
 * together, by zstd's own estimate of one compressor for a chunk of
 * chunk_size bytes (for 1 MiB: 1.2 MiB at level 3, 12.5 MiB at 9, 17.2 MiB
 * at 19, so -j 64 keeps 64 workers at level 3 and 14 at level 19).
 */
static unsigned compressor_threads(unsigned threads, uint32_t chunk_size, int level)
{
	if (level <= 0)
		return threads;
	size_t per = ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, chunk_size, 0));
	size_t most = per == 0 ? threads : KIST__COMPRESSOR_MEM_MAX / per;
	if (most < 1)
		most = 1;
	return threads > most ? (unsigned)most : threads;
}

unsigned kist__default_threads(void)
{
	unsigned n = kist__os_cpu_count(); /* at least 1 */
	return n > 64 ? 64 : n;
}

kist_err kist__pipe_new(kist__pipe **out, int mode, unsigned threads, uint32_t chunk_size,
                        int level, const unsigned char key[32], uint64_t jobs, size_t max_len)
{
	kist__pipe *p = calloc(1, sizeof *p);
	kist_err err;
	if (p == NULL)
		return kist__nomem();
	if (threads == 0)
		threads = kist__default_threads();
	/* Small jobs: no more workers than chunks, and buffers no larger than needed. */
	if (jobs < threads)
		threads = jobs < 1 ? 1 : (unsigned)jobs;
	if (max_len < chunk_size)
		chunk_size = (uint32_t)max_len;
	if (mode == KIST__PIPE_SEAL)
		threads = compressor_threads(threads, chunk_size, level);
	p->mode = mode;
	p->key = key;
	p->chunk_size = chunk_size;
	p->nthreads = threads;
	/* Enough slots to keep every worker busy while the caller reads and writes. */
	p->nslots = threads == 1 ? 2 : 2 * (size_t)threads + 2;
	p->slots = calloc(p->nslots, sizeof *p->slots);
	p->chunkers = calloc(threads, sizeof *p->chunkers);
	p->threads = calloc(threads, sizeof *p->threads);
	if (p->slots == NULL || p->chunkers == NULL || p->threads == NULL) {
		kist__pipe_free(p);
		return kist__nomem();
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	pthread_cond_init(&p->hash_cv, NULL);
	if ((err = kist__sha256_new(&p->sha)) != KIST_OK) {
		kist__pipe_free(p);
		return err;
	}
	for (size_t i = 0; i < p->nslots; i++) {
		p->slots[i].in = malloc((size_t)chunk_size + KIST_CHUNK_OVERHEAD);
		p->slots[i].out = malloc((size_t)chunk_size + KIST_CHUNK_OVERHEAD);
		p->slots[i].sub = calloc(KIST__SUB_MAX, sizeof *p->slots[i].sub);
		if (p->slots[i].in == NULL || p->slots[i].out == NULL || p->slots[i].sub == NULL) {
			kist__pipe_free(p);
			return kist__nomem();
		}
	}
	for (unsigned i = 0; i < threads; i++) {
		if ((err = kist__chunker_new(&p->chunkers[i], chunk_size, level)) != KIST_OK) {
			kist__pipe_free(p);
			return err;
		}
	}
	if (threads > 1) {
		for (unsigned i = 0; i < threads; i++) {
			worker_arg *wa = malloc(sizeof *wa);
			if (wa == NULL) {
				kist__pipe_free(p);
				return kist__nomem();
			}
			wa->c = p->chunkers[i];
			wa->p = p;
			if (pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
				free(wa);
				kist__pipe_free(p);
				return kist__fail(KIST_E_NOMEM, "cannot start a worker thread");
			}
			p->started++;
		}
		if (pthread_create(&p->hasher, NULL, hasher, p) != 0) {
			kist__pipe_free(p);
			return kist__fail(KIST_E_NOMEM, "cannot start the hashing thread");
		}
		p->hasher_started = 1;
	}
	*out = p;
	return KIST_OK;
}

void kist__pipe_free(kist__pipe *p)
{
	if (p == NULL)
		return;
	if (p->started > 0 || p->hasher_started) {
		pthread_mutex_lock(&p->mu);
		p->stop = 1;
		pthread_cond_broadcast(&p->work_cv);
		pthread_cond_broadcast(&p->hash_cv);
		pthread_mutex_unlock(&p->mu);
		for (unsigned i = 0; i < p->started; i++)
			pthread_join(p->threads[i], NULL);
		if (p->hasher_started)
			pthread_join(p->hasher, NULL);
	}
	kist__sha256_free(p->sha);
	if (p->slots != NULL) {
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->work_cv);
		pthread_cond_destroy(&p->done_cv);
		pthread_cond_destroy(&p->hash_cv);
		for (size_t i = 0; i < p->nslots; i++) {
			/* Slots held plaintext: wipe before freeing. */
			if (p->slots[i].in != NULL)
				sodium_memzero(p->slots[i].in,
				               (size_t)p->chunk_size + KIST_CHUNK_OVERHEAD);
			if (p->slots[i].out != NULL)
				sodium_memzero(p->slots[i].out,
				               (size_t)p->chunk_size + KIST_CHUNK_OVERHEAD);
			free(p->slots[i].in);
			free(p->slots[i].out);
			free(p->slots[i].sub);
		}
	}
	if (p->chunkers != NULL)
		for (unsigned i = 0; i < p->nthreads; i++)
			kist__chunker_free(p->chunkers[i]);
	free(p->chunkers);
	free(p->threads);
	free(p->slots);
	free(p);
}

static int pipe_full(const kist__pipe *p)
{
	return p->head - p->tail >= p->nslots;
}

int kist__pipe_empty(const kist__pipe *p)
{
	return p->head == p->tail;
}

kist__slot *kist__pipe_acquire(kist__pipe *p)
{
	if (pipe_full(p))
		return NULL;
	kist__slot *s = &p->slots[p->head % p->nslots];
	s->state = SLOT_FILLING;
	s->hashed = 0;
	s->skip = 0;
	s->nsub = 0;
	s->tag = NULL;
	s->err = KIST_OK;
	s->errdetail[0] = '\0';
	p->head++;
	return s;
}

void kist__pipe_submit(kist__pipe *p, kist__slot *s)
{
	if (p->nthreads <= 1) {
		run_job(p, p->chunkers[0], s);
		hash_one(p, s);
		s->state = SLOT_DONE;
		s->hashed = 1;
		p->submitted++;
		p->next_hash++;
		return;
	}
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_READY;
	p->submitted++;
	pthread_cond_signal(&p->work_cv);
	if (p->mode == KIST__PIPE_SEAL)
		pthread_cond_signal(&p->hash_cv);
	pthread_mutex_unlock(&p->mu);
}

kist__slot *kist__pipe_oldest(kist__pipe *p)
{
	if (kist__pipe_empty(p) || p->tail >= p->submitted)
		return NULL;
	kist__slot *s = &p->slots[p->tail % p->nslots];
	if (p->nthreads > 1) {
		pthread_mutex_lock(&p->mu);
		while (s->state != SLOT_DONE)
			pthread_cond_wait(&p->done_cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
	if (s->err != KIST_OK)
		kist__fail(s->err, "%s", s->errdetail);
	return s;
}

/* Waits until the hashing thread is done with s (at once with one thread). */
static void wait_hashed(kist__pipe *p, kist__slot *s)
{
	if (p->nthreads <= 1)
		return;
	pthread_mutex_lock(&p->mu);
	while (!s->hashed)
		pthread_cond_wait(&p->done_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

const unsigned char *kist__pipe_digest(kist__pipe *p, kist__slot *s)
{
	wait_hashed(p, s);
	return s->digest;
}

void kist__pipe_release(kist__pipe *p)
{
	kist__slot *s = &p->slots[p->tail % p->nslots];
	wait_hashed(p, s); /* the hashing thread may still be reading its plaintext */
	s->state = SLOT_FREE;
	p->tail++;
}

size_t kist__pipe_cap(const kist__pipe *p)
{
	return p->chunk_size;
}
