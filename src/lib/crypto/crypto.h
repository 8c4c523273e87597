/*
 * crypto: the primitives kist composes (SHA-256, HKDF, Bech32, Merkle trees).
 * Calls only base.  Not installed.
 */
#ifndef KIST_CRYPTO_H
#define KIST_CRYPTO_H

#include "base/base.h"

/* ---- HKDF-SHA256 (hkdf.c), RFC 5869 over libsodium's HMAC-SHA256 */
void kist__hkdf_sha256(unsigned char *out, size_t outlen, const unsigned char *salt, size_t saltlen,
                       const unsigned char *ikm, size_t ikmlen, const char *info);
void kist__hmac_sha256(unsigned char out[32], const unsigned char *key, size_t keylen,
                       const unsigned char *msg, size_t msglen);

/* ---- SHA-256 (sha256.c), libcrypto EVP */
typedef struct kist__sha256 kist__sha256;
kist_err kist__sha256_new(kist__sha256 **out);
void kist__sha256_reset(kist__sha256 *h);
void kist__sha256_update(kist__sha256 *h, const void *data, size_t len);
void kist__sha256_final(kist__sha256 *h, unsigned char out[32]);
void kist__sha256_free(kist__sha256 *h);
void kist__sha256_oneshot(unsigned char out[32], const void *data, size_t len);

/*
 * ---- whole-file SHA-256 (filehash.c): the size bytes of fd, which must
 * still be size bytes long (what names the file in messages).
 * @return KIST_OK, KIST_E_IO, KIST_E_NOMEM, KIST_E_INTERRUPTED.
 */
kist_err kist__fd_sha256(int fd, uint64_t size, const char *what, unsigned char out[32]);
/* The same over size bytes that read() gives (from offset 0, in 1 MiB reads). */
typedef kist_err (*kist__read_fn)(const void *ctx, void *buf, size_t len, uint64_t off,
                                  const char *what);
kist_err kist__read_sha256(kist__read_fn read, const void *ctx, uint64_t size, const char *what,
                           unsigned char out[32]);

/*
 * ---- the X25519 slot wrap (wrap.c): age's X25519 recipient stanza with the
 * HKDF label given, for a file key of fklen bytes (age: 16, kist: 32).
 *   wrap key = HKDF-SHA256(ikm = X25519(e, R), salt = E || R, info = label)
 *   body     = ChaCha20-Poly1305(wrap key, zero nonce, file key)
 * kist__x25519_wrap writes the ephemeral share E and the body (fklen + 16
 * bytes); KIST_E_BADKEY if the recipient R is a low-order point.
 * kist__x25519_unwrap, with the secret sk of public key pk: KIST_OK;
 * KIST_E_FORMAT if bodylen is not fklen + 16 (checked first); KIST_E_CORRUPT
 * for a low-order share (all-zero shared secret); KIST_E_NOACCESS if the body
 * does not authenticate (another recipient's).
 */
kist_err kist__x25519_wrap(unsigned char share[32], unsigned char *body,
                           const unsigned char *file_key, size_t fklen,
                           const unsigned char recipient[32], const char *label);
kist_err kist__x25519_unwrap(unsigned char *file_key, size_t fklen, const unsigned char share[32],
                             const unsigned char *body, size_t bodylen, const unsigned char sk[32],
                             const unsigned char pk[32], const char *label);
/* The same with associated data ad[0..adlen) authenticated by the body (kist v2
 * custodian slots, releases and request keys). */
kist_err kist__x25519_wrap_ad(unsigned char share[32], unsigned char *body,
                              const unsigned char *file_key, size_t fklen,
                              const unsigned char recipient[32], const char *label,
                              const unsigned char *ad, size_t adlen);
kist_err kist__x25519_unwrap_ad(unsigned char *file_key, size_t fklen,
                                const unsigned char share[32], const unsigned char *body,
                                size_t bodylen, const unsigned char sk[32],
                                const unsigned char pk[32], const char *label,
                                const unsigned char *ad, size_t adlen);

/*
 * ---- ChaCha20-Poly1305 IETF (aead.c), RFC 8439, for content, index and
 * trailer chunks: 32-byte key, 12-byte nonce, 16-byte detached tag.  Both
 * implementations give the same bytes.  KIST__AEAD_AUTO is libcrypto's
 * (faster), or libsodium's when the environment has KIST_AEAD=sodium or the
 * build has KIST_AEAD_SODIUM_ONLY.  A kist__aead is used by one thread at a
 * time; kist__aead_free(NULL) is a no-op.
 * kist__aead_new: KIST_OK, KIST_E_NOMEM, KIST_E_CRYPTO.
 * kist__aead_seal: ct gets len bytes (ct == pt is allowed); KIST_OK,
 * KIST_E_CRYPTO.  kist__aead_open: pt gets len bytes (pt == ct is allowed)
 * only on KIST_OK; KIST_E_CORRUPT (no detail set) if the tag does not
 * authenticate, and then pt holds zeros, never unauthenticated plaintext.
 */
typedef enum { KIST__AEAD_AUTO, KIST__AEAD_SODIUM, KIST__AEAD_LIBCRYPTO } kist__aead_impl;
typedef struct kist__aead kist__aead;
kist_err kist__aead_new(kist__aead **out, kist__aead_impl impl);
void kist__aead_free(kist__aead *a);
/* "libcrypto" or "libsodium". */
const char *kist__aead_name(const kist__aead *a);
kist_err kist__aead_seal(kist__aead *a, unsigned char *ct, unsigned char tag[16],
                         const unsigned char *pt, size_t len, const unsigned char *ad, size_t adlen,
                         const unsigned char nonce[12], const unsigned char key[32]);
kist_err kist__aead_open(kist__aead *a, unsigned char *pt, const unsigned char *ct, size_t len,
                         const unsigned char tag[16], const unsigned char *ad, size_t adlen,
                         const unsigned char nonce[12], const unsigned char key[32]);

/* ---- bech32 (bech32.c), BIP-173 */
int kist__bech32_encode(char *out, size_t cap, const char *hrp, const unsigned char *data,
                        size_t len);
int kist__bech32_decode(unsigned char *out, size_t cap, size_t *outlen, char *hrp, size_t hrpcap,
                        const char *str);

/* ---- Merkle tree (merkle.c), RFC 9162 section 2.1, SHA-256 */
/* Leaf hash: SHA-256(0x00 || data). */
kist_err kist__merkle_leaf(unsigned char out[32], const void *data, size_t len);
/* Node hash: SHA-256(0x01 || l || r). */
void kist__merkle_node(unsigned char out[32], const unsigned char l[32], const unsigned char r[32]);
/* Root of n leaf hashes; n == 0 gives SHA-256(""). */
void kist__merkle_root(unsigned char out[32], const unsigned char (*leaves)[32], uint64_t n);
/*
 * Proofs, as malloc'd arrays of *outlen hashes (free()).  The inclusion proof
 * is the audit path of leaf index in a tree of n leaves; the consistency
 * proof is PROOF(m, D[n]) (empty when m is 0 or m == n).
 * @return KIST_OK, KIST_E_ARG (index >= n, or m > n), KIST_E_NOMEM.
 */
kist_err kist__merkle_inclusion_proof(unsigned char (**out)[32], size_t *outlen,
                                      const unsigned char (*leaves)[32], uint64_t n,
                                      uint64_t index);
kist_err kist__merkle_consistency_proof(unsigned char (**out)[32], size_t *outlen,
                                        const unsigned char (*leaves)[32], uint64_t n, uint64_t m);
/* Verifiers (RFC 9162 2.1.3.2 and 2.1.4.2).  @return KIST_OK, KIST_E_ARG, KIST_E_CORRUPT. */
kist_err kist__merkle_inclusion_verify(const unsigned char leaf[32], uint64_t index, uint64_t n,
                                       const unsigned char (*proof)[32], size_t plen,
                                       const unsigned char root[32]);
kist_err kist__merkle_consistency_verify(uint64_t m, uint64_t n, const unsigned char old_root[32],
                                         const unsigned char new_root[32],
                                         const unsigned char (*proof)[32], size_t plen);

#endif
