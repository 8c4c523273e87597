/*
 * The trailer: a fixed-size sealed record at the end of the vault that
 * locates the index and carries the sealer's signature.  FORMAT.md, "Trailer".
 */
#include "format/format.h"

#include <string.h>

void kist__trailer_encode(unsigned char out[KIST_TRAILER_PLAIN], const kist__trailer *t)
{
	kist__st64(out, t->index_offset);
	kist__st64(out + 8, t->index_zlen);
	kist__st64(out + 16, t->index_len);
	kist__st32(out + 24, t->chunk_size);
	kist__st32(out + 28, t->flags);
	memcpy(out + 32, t->index_sha256, 32);
	memcpy(out + 64, t->signer, 32);
	memcpy(out + 96, t->signature, 64);
}

void kist__trailer_decode(kist__trailer *t, const unsigned char in[KIST_TRAILER_PLAIN])
{
	t->index_offset = kist__ld64(in);
	t->index_zlen = kist__ld64(in + 8);
	t->index_len = kist__ld64(in + 16);
	t->chunk_size = kist__ld32(in + 24);
	t->flags = kist__ld32(in + 28);
	memcpy(t->index_sha256, in + 32, 32);
	memcpy(t->signer, in + 64, 32);
	memcpy(t->signature, in + 96, 64);
}

int kist__index_ct_len(uint64_t zlen, uint32_t chunk_size, uint64_t *out)
{
	if (zlen == 0 || chunk_size == 0 || zlen > KIST_INDEX_MAX)
		return -1;
	uint64_t n = (zlen - 1) / chunk_size + 1;
	*out = zlen + n * KIST_CHUNK_OVERHEAD;
	return 0;
}

/*
 * SHA-256( label || 0x00 || SHA-256(header) || trailer bytes 0..63 || signer )
 * where trailer bytes 0..63 are the locator fields and the index hash.
 */
void kist__signature_message(unsigned char out[32], const unsigned char *header, size_t hlen,
                             const kist__trailer *t)
{
	unsigned char buf[sizeof KIST_SIG_LABEL + 32 + 64 + 32], enc[KIST_TRAILER_PLAIN];
	size_t o = sizeof KIST_SIG_LABEL; /* label and its NUL */
	memcpy(buf, KIST_SIG_LABEL, o);
	kist__sha256_oneshot(buf + o, header, hlen);
	o += 32;
	kist__trailer_encode(enc, t);
	memcpy(buf + o, enc, 64);
	o += 64;
	memcpy(buf + o, t->signer, 32);
	o += 32;
	kist__sha256_oneshot(out, buf, o);
}
