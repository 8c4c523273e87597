/*
 * Chunks: the unit of compression, encryption and random access.
 *
 * A chunk's plaintext is one method byte followed by the payload (the data
 * itself, or one zstd frame that decodes to it).  It is sealed with
 * ChaCha20-Poly1305 (IETF) under the STREAM construction: the 96-bit nonce is
 * stream id (32 bits) || chunk counter (56 bits) || last-chunk flag (8 bits),
 * big-endian, so every chunk is bound to its entry, its position and whether
 * it ends the entry.  See FORMAT.md, "Chunks".
 */
#include "format/format.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem: stable since zstd 1.4 */
#include <zstd.h>

/*
 * zstd's own buffers hold plaintext: the window and literals of what it
 * compresses or decompresses.  The contexts kist makes allocate from the
 * wiped heap (base/wipe.c).
 */
static void *zmem_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return kist__wipe_malloc(size);
}

static void zmem_free(void *opaque, void *addr)
{
	(void)opaque;
	kist__wipe_free(addr);
}

static const ZSTD_customMem zmem = {zmem_alloc, zmem_free, NULL};

ZSTD_CCtx *kist__zstd_cctx_new(void)
{
	return ZSTD_createCCtx_advanced(zmem);
}

ZSTD_DCtx *kist__zstd_dctx_new(void)
{
	return ZSTD_createDCtx_advanced(zmem);
}

struct kist__chunker {
	uint32_t chunk_size;
	int level;
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	kist__aead *aead;   /* ChaCha20-Poly1305 (crypto/aead.c) */
	unsigned char *buf; /* method || payload || tag; also the ciphertext */
	size_t bufcap;
	unsigned char *out; /* decompressed data */
	unsigned char *in;  /* ciphertext read from the vault */
	/* How much of buf and out has ever held data: only that is wiped at
	 * free.  Wiping all of a 1 MiB chunk's buffers touched 512 pages that
	 * opening a small index never used (page faults, not the wipe, cost). */
	size_t buf_used, out_used;
};

static void mark_used(size_t *used, size_t n)
{
	if (n > *used)
		*used = n;
}

kist_err kist__chunker_new(kist__chunker **out, uint32_t chunk_size, int level)
{
	kist__chunker *c = calloc(1, sizeof *c);
	if (c == NULL)
		return kist__nomem();
	c->chunk_size = chunk_size;
	c->level = level;
	c->bufcap = (size_t)chunk_size + KIST_CHUNK_OVERHEAD;
	c->buf = malloc(c->bufcap);
	c->in = malloc(c->bufcap);
	c->out = malloc(chunk_size);
	c->cctx = kist__zstd_cctx_new();
	c->dctx = kist__zstd_dctx_new();
	kist_err err = kist__aead_new(&c->aead, KIST__AEAD_AUTO);
	if (err != KIST_OK) {
		kist__chunker_free(c);
		return err;
	}
	if (c->buf == NULL || c->in == NULL || c->out == NULL || c->cctx == NULL ||
	    c->dctx == NULL) {
		kist__chunker_free(c);
		return kist__nomem();
	}
	/* One chunk never needs a window larger than itself. */
	ZSTD_DCtx_setParameter(c->dctx, ZSTD_d_windowLogMax, 25);
	*out = c;
	return KIST_OK;
}

void kist__chunker_free(kist__chunker *c)
{
	if (c == NULL)
		return;
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	kist__aead_free(c->aead);
	if (c->buf != NULL)
		sodium_memzero(c->buf, c->buf_used);
	if (c->out != NULL)
		sodium_memzero(c->out, c->out_used);
	free(c->buf);
	free(c->in);
	free(c->out);
	free(c);
}

unsigned char *kist__chunker_inbuf(kist__chunker *c, size_t *cap)
{
	*cap = c->bufcap;
	return c->in;
}

void kist__chunk_nonce(unsigned char n[12], uint32_t stream, uint64_t counter, int last)
{
	n[0] = (unsigned char)(stream >> 24);
	n[1] = (unsigned char)(stream >> 16);
	n[2] = (unsigned char)(stream >> 8);
	n[3] = (unsigned char)stream;
	for (int i = 0; i < 7; i++)
		n[4 + i] = (unsigned char)(counter >> (8 * (6 - i)));
	n[11] = last ? 1 : 0;
}

/* Data that zstd cannot shrink by 3% in a 32 KiB sample is stored as is. */
#define SAMPLE            32768
#define SAMPLE_MIN_SAVING (SAMPLE / 32)

kist_err kist__chunk_seal_into(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                               uint64_t counter, int last, int allow_zstd, unsigned char *data,
                               size_t len, int headroom, unsigned char *out, size_t *outlen)
{
	unsigned char nonce[12];
	size_t plen = 0;

	if (len > c->chunk_size || counter >= (1ull << 56))
		return kist__fail(KIST_E_ARG, "internal: chunk too large");
	if (stream >= KIST_STREAM_TRAILER)
		allow_zstd = 0; /* the index and trailer streams are always stored */
	if (allow_zstd && len >= 64) {
		int worth = 1;
		if (len >= 4 * SAMPLE) {
			/* A cheap look first: media (JPEG, MP4) is already compressed. */
			size_t z = ZSTD_compressCCtx(c->cctx, out + 1, SAMPLE, data, SAMPLE, 1);
			worth = !ZSTD_isError(z) && z + SAMPLE_MIN_SAVING <= SAMPLE;
		}
		/* Keep the compressed form only if it is strictly smaller. */
		size_t z =
		    worth ? ZSTD_compressCCtx(c->cctx, out + 1, len - 1, data, len, c->level) : 0;
		if (worth && !ZSTD_isError(z)) {
			out[0] = KIST_METHOD_ZSTD;
			plen = 1 + z;
		}
	}
	const unsigned char *plain = out;
	if (plen == 0 && headroom) {
		/* Stored, with room for the method byte in front: encrypt straight
		 * from the caller's buffer instead of copying the data first. */
		data[-1] = KIST_METHOD_STORED;
		plain = data - 1;
		plen = 1 + len;
	} else if (plen == 0) {
		out[0] = KIST_METHOD_STORED;
		memcpy(out + 1, data, len);
		plen = 1 + len;
	}
	kist__chunk_nonce(nonce, stream, counter, last);
	kist_err err = kist__aead_seal(c->aead, out, out + plen, plain, plen, NULL, 0, nonce, key);
	if (err != KIST_OK)
		return err;
	*outlen = plen + crypto_aead_chacha20poly1305_ietf_ABYTES;
	return KIST_OK;
}

kist_err kist__chunk_seal(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                          uint64_t counter, int last, int allow_zstd, const unsigned char *data,
                          size_t len, const unsigned char **out, size_t *outlen)
{
	*out = c->buf;
	if (len <= c->chunk_size) /* zstd or the copy write at most this much */
		mark_used(&c->buf_used, len + KIST_CHUNK_OVERHEAD);
	/* data is the caller's and has no room in front: stored data is copied. */
	return kist__chunk_seal_into(c, key, stream, counter, last, allow_zstd,
	                             (unsigned char *)(uintptr_t)data, len, 0, c->buf, outlen);
}

kist_err kist__chunk_open_inplace(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                                  uint64_t counter, int last, unsigned char *ct, size_t ctlen,
                                  size_t expect_len, unsigned char *out,
                                  const unsigned char **result)
{
	unsigned char nonce[12];
	size_t plen;

	if (ctlen < KIST_CHUNK_OVERHEAD || ctlen > c->bufcap || expect_len > c->chunk_size)
		return kist__fail(KIST_E_CORRUPT, "chunk %llu has an impossible length",
		                  (unsigned long long)counter);
	if (ct == c->buf)
		mark_used(&c->buf_used, ctlen);
	if (out == c->out)
		mark_used(&c->out_used, expect_len);
	plen = ctlen - crypto_aead_chacha20poly1305_ietf_ABYTES;
	kist__chunk_nonce(nonce, stream, counter, last);
	if (kist__aead_open(c->aead, ct, ct, plen, ct + plen, NULL, 0, nonce, key) != KIST_OK)
		return kist__fail(KIST_E_CORRUPT, "chunk %llu failed authentication",
		                  (unsigned long long)counter);
	/* The index and trailer streams are always stored (FORMAT.md, "Index stream"). */
	if (ct[0] != KIST_METHOD_STORED && stream >= KIST_STREAM_TRAILER)
		return kist__fail(KIST_E_CORRUPT, "chunk %llu of the index must be stored",
		                  (unsigned long long)counter);
	if (ct[0] == KIST_METHOD_STORED) {
		if (plen - 1 != expect_len)
			return kist__fail(KIST_E_CORRUPT, "chunk %llu has the wrong size",
			                  (unsigned long long)counter);
		*result = ct + 1;
		return KIST_OK;
	}
	if (ct[0] == KIST_METHOD_ZSTD) {
		/* Exactly one frame, filling the whole payload. */
		size_t fl = ZSTD_findFrameCompressedSize(ct + 1, plen - 1);
		if (ZSTD_isError(fl) || fl != plen - 1)
			return kist__fail(KIST_E_CORRUPT,
			                  "chunk %llu is not exactly one zstd frame",
			                  (unsigned long long)counter);
		size_t n = ZSTD_decompressDCtx(c->dctx, out, expect_len, ct + 1, plen - 1);
		if (ZSTD_isError(n) || n != expect_len)
			return kist__fail(KIST_E_CORRUPT,
			                  "chunk %llu does not decompress to its recorded size",
			                  (unsigned long long)counter);
		*result = out;
		return KIST_OK;
	}
	return kist__fail(KIST_E_CORRUPT, "chunk %llu has unknown method %u",
	                  (unsigned long long)counter, ct[0]);
}

kist_err kist__chunk_open(kist__chunker *c, const unsigned char key[32], uint32_t stream,
                          uint64_t counter, int last, const unsigned char *ct, size_t ctlen,
                          size_t expect_len, const unsigned char **out)
{
	if (ctlen > c->bufcap)
		return kist__fail(KIST_E_CORRUPT, "chunk %llu has an impossible length",
		                  (unsigned long long)counter);
	memcpy(c->buf, ct, ctlen);
	mark_used(&c->buf_used, ctlen);
	return kist__chunk_open_inplace(c, key, stream, counter, last, c->buf, ctlen, expect_len,
	                                c->out, out);
}
