/*
 * The trailer: a fixed-size sealed record at the end of the vault that
 * locates the index and carries the sealer's signature; the signed message;
 * size padding.  FORMAT.md, "Trailer", "Signature" and "Padding".
 */
#include "format/format.h"

#include <string.h>

#include <sodium.h>

#define SIG_LABEL_V1  "kist/v1 seal signature"
#define SIG_LABEL_V2  "kist/v2 seal signature"
#define CORE_LABEL_V2 "kist/v2 seal core"

size_t kist__trailer_plain_len(unsigned version)
{
	return version == KIST_FORMAT_V1 ? KIST_TRAILER_PLAIN_V1 : KIST_TRAILER_PLAIN;
}

void kist__trailer_encode(unsigned char *out, unsigned version, const kist__trailer *t)
{
	size_t o = 32;
	kist__st64(out, t->index_offset);
	kist__st64(out + 8, t->index_zlen);
	kist__st64(out + 16, t->index_len);
	kist__st32(out + 24, t->chunk_size);
	kist__st32(out + 28, t->flags);
	if (version != KIST_FORMAT_V1) {
		kist__st64(out + 32, t->pad_len);
		o = 40;
	}
	memcpy(out + o, t->index_sha256, 32);
	memcpy(out + o + 32, t->signer, 32);
	memcpy(out + o + 64, t->signature, 64);
}

void kist__trailer_decode(kist__trailer *t, unsigned version, const unsigned char *in)
{
	size_t o = 32;
	t->index_offset = kist__ld64(in);
	t->index_zlen = kist__ld64(in + 8);
	t->index_len = kist__ld64(in + 16);
	t->chunk_size = kist__ld32(in + 24);
	t->flags = kist__ld32(in + 28);
	t->pad_len = 0;
	if (version != KIST_FORMAT_V1) {
		t->pad_len = kist__ld64(in + 32);
		o = 40;
	}
	memcpy(t->index_sha256, in + o, 32);
	memcpy(t->signer, in + o + 32, 32);
	memcpy(t->signature, in + o + 64, 64);
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
 * Version 2: SHA-256("kist/v2 seal core\0" || version || salt || commitment
 * || the sealer's slots as stored || trailer bytes 0..71): what a grant
 * does not change.
 */
void kist__core_digest(unsigned char out[32], const kist__header *h, const kist__trailer *t,
                       unsigned sealed)
{
	crypto_hash_sha256_state st;
	unsigned char v[2], enc[KIST_TRAILER_PLAIN];
	const unsigned char *p = h->slots;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)CORE_LABEL_V2, sizeof CORE_LABEL_V2);
	kist__st16(v, (uint16_t)h->version);
	crypto_hash_sha256_update(&st, v, 2);
	crypto_hash_sha256_update(&st, h->salt, 32);
	crypto_hash_sha256_update(&st, h->commitment, 32);
	/* The sealer's slots, as stored: its recipient slots (the first `sealed`
	 * of types 1 and 2) and any of types 4 and 5; not grant records, nor the
	 * recipient slots grants added after them.  A grant only appends. */
	unsigned seen = 0;
	for (unsigned i = 0; i < h->slot_count; i++) {
		uint16_t type = kist__ld16(p);
		size_t n = 8 + kist__ld32(p + 4);
		int recipient = type == KIST_SLOT_X25519 || type == KIST_SLOT_AGE;
		if ((recipient && seen++ < sealed) || type == KIST_SLOT_CUSTODIAN ||
		    type == KIST_SLOT_GATE)
			crypto_hash_sha256_update(&st, p, n);
		p += n;
	}
	kist__trailer_encode(enc, h->version, t);
	crypto_hash_sha256_update(&st, enc, 72);
	crypto_hash_sha256_final(&st, out);
}

/*
 * Version 1: SHA-256(label || 0x00 || SHA-256(header) || trailer bytes 0..63 || signer).
 * Version 2: SHA-256(label || 0x00 || core_digest || signer).
 */
void kist__signature_message(unsigned char out[32], const kist__header *h,
                             const unsigned char *header, const kist__trailer *t, unsigned sealed)
{
	unsigned char buf[sizeof SIG_LABEL_V1 + 32 + 64 + 32], enc[KIST_TRAILER_PLAIN];
	size_t o;
	_Static_assert(sizeof SIG_LABEL_V1 == sizeof SIG_LABEL_V2, "labels of one length");
	if (h->version == KIST_FORMAT_V1) {
		o = sizeof SIG_LABEL_V1; /* label and its NUL */
		memcpy(buf, SIG_LABEL_V1, o);
		kist__sha256_oneshot(buf + o, header, h->header_len);
		o += 32;
		kist__trailer_encode(enc, h->version, t);
		memcpy(buf + o, enc, 64);
		o += 64;
	} else {
		o = sizeof SIG_LABEL_V2;
		memcpy(buf, SIG_LABEL_V2, o);
		kist__core_digest(buf + o, h, t, sealed);
		o += 32;
	}
	memcpy(buf + o, t->signer, 32);
	o += 32;
	kist__sha256_oneshot(out, buf, o);
}

/*
 * Padmé (Nikitin et al., PETS 2019, section 4): keep the top
 * floor(log2(E)) + 1 bits of the size, E = floor(log2(u)), rounding up.
 */
uint64_t kist__padme(uint64_t u)
{
	if (u < 256)
		return u;
	unsigned e = 63 - (unsigned)__builtin_clzll(u);
	unsigned s = 32 - (unsigned)__builtin_clz(e); /* floor(log2(e)) + 1 */
	unsigned z = e - s;
	uint64_t mask = ((uint64_t)1 << z) - 1;
	if (u > UINT64_MAX - mask)
		return u;
	return (u + mask) & ~mask;
}

void kist__padding_bytes(unsigned char *out, size_t n, uint64_t off, const unsigned char key[32])
{
	static const unsigned char nonce[12];
	unsigned char block[64];
	/* ChaCha20 (RFC 8439) from block counter off / 64. */
	if (off % 64 != 0) {
		size_t skip = (size_t)(off % 64), take = 64 - skip < n ? 64 - skip : n;
		memset(block, 0, sizeof block);
		crypto_stream_chacha20_ietf_xor_ic(block, block, sizeof block, nonce,
		                                   (uint32_t)(off / 64), key);
		memcpy(out, block + skip, take);
		out += take;
		n -= take;
		off += take;
		sodium_memzero(block, sizeof block);
	}
	if (n > 0) {
		memset(out, 0, n);
		crypto_stream_chacha20_ietf_xor_ic(out, out, n, nonce, (uint32_t)(off / 64), key);
	}
}
