/*
 * gate: trustee-gated opening (docs/GATE.md, FORMAT.md "Requests and
 * releases"): request and request-key files (request.c), releases and the
 * opening with them (release.c).  Calls every layer below it.  Not installed.
 */
#ifndef KIST_GATE_H
#define KIST_GATE_H

#include "custody/custody.h"
#include "vault/vault.h"

#define KIST_REQUEST_MAGIC "\x89KREQ\r\n\x1a"
#define KIST_REQKEY_MAGIC  "\x89KRKY\r\n\x1a"
#define KIST_RELEASE_MAGIC "\x89KREL\r\n\x1a"
#define KIST_REQUEST_MAX   (2u << 20) /* bytes in a request file */
#define KIST_RELEASE_MAX   (4u << 20) /* bytes in a release file */

struct kist_request {
	unsigned char *raw; /* the whole file */
	size_t len;
	unsigned char digest[32];
	unsigned char id[16];
	int64_t created;
	kist_pubkey requester;
	unsigned char t_pub[32]; /* the one-time X25519 key releases wrap to */
	unsigned char vault_id[16];
	const unsigned char *header; /* into raw */
	size_t header_len;
	kist_scope scope;
	char **items;
	size_t nitems;
	char *reason;
};

/* A byte reader over untrusted input: every take is bounds-checked. */
typedef struct kist__rd {
	const unsigned char *p;
	size_t len, off;
	int bad;
} kist__rd;
const unsigned char *kist__rd_take(kist__rd *r, size_t n);
/* A text field: 2-byte length, then UTF-8 without controls, min..max bytes; malloc'd. */
char *kist__rd_text(kist__rd *r, size_t min, size_t max);

/* request.c: the request key's one-time secret t (unwrapped with ids) and its request. */
kist_err kist__reqkey_open(const void *key, size_t key_len, kist_identity *const *ids, size_t nids,
                           kist_request **req, unsigned char t[32]);

/* The entry paths a custodian's decision on r records (docs/GATE.md); free with kist__strv_free. */
kist_err kist__release_entry_paths(const kist_request *r, char ***out, size_t *n);
void kist__strv_free(char **v, size_t n);

#endif
