/*
 * Writes a synthetic custody ledger of N entries for bench/ledger.sh with
 * the library's own kist_ledger_append() (one signed entry per call), then
 * stores C signed checkpoints at sizes N/C, 2N/C, ..., N (each the root of
 * that prefix, signed with the same key, as `kist log checkpoint` would).
 *
 *   ledger_gen LEDGER N [C]
 *   ledger_gen --verify-rate     (CPU microseconds per Ed25519 verification,
 *                                 libsodium, one core: what bounds the audit)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "keys/keys.h"

static void key_id(unsigned char out[4], const char *name, const unsigned char pk[32])
{
	unsigned char b[256], h[32];
	size_t n = strlen(name);
	memcpy(b, name, n);
	b[n] = '\n';
	b[n + 1] = 0x01;
	memcpy(b + n + 2, pk, 32);
	kist__sha256_oneshot(h, b, n + 34);
	memcpy(out, h, 4);
}

static int verify_rate(void)
{
	unsigned char pk[32], sk[64], sig[64], msg[300];
	const int n = 20000;
	int bad = 0;
	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof msg);
	crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	clock_t t0 = clock();
	for (int i = 0; i < n; i++)
		bad |= crypto_sign_verify_detached(sig, msg, sizeof msg, pk);
	double us = (double)(clock() - t0) / CLOCKS_PER_SEC * 1e6 / n;
	printf("%.1f\n", us);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--verify-rate") == 0)
		return verify_rate();
	kist_identity *id = NULL;
	kist_ledger *l = NULL;
	kist_ledger_log *log = NULL;
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: ledger_gen LEDGER N [CHECKPOINTS]\n");
		return 2;
	}
	unsigned long n = strtoul(argv[2], NULL, 10),
	              c = argc == 4 ? strtoul(argv[3], NULL, 10) : 0;
	if (kist_identity_generate(&id) != KIST_OK || kist_ledger_open(&l, argv[1]) != KIST_OK)
		goto fail;
	for (unsigned long i = 0; i < n; i++) {
		char p[64];
		snprintf(p, sizeof p, "case-%lu/statement-%lu.txt", i % 97, i);
		const char *paths[1] = {p};
		if (kist_ledger_append(l, id, "0123456789abcdef0123456789abcdef", "extract", paths,
		                       1, NULL) != KIST_OK)
			goto fail;
	}
	if (c == 0)
		goto done;
	if (kist_ledger_load(&log, argv[1]) != KIST_OK)
		goto fail;
	n = kist_ledger_log_count(log); /* the ledger may have had entries before */
	unsigned char(*leaves)[32] = malloc(n * 32);
	for (size_t i = 0; i < n; i++)
		memcpy(leaves[i], kist_ledger_log_entry(log, i)->leaf, 32);
	char name[KIST_PUBKEY_STRLEN + 1];
	kist_pubkey_format(&id->pk, name);
	for (unsigned long k = 1; k <= c; k++) {
		unsigned long size = n * k / c;
		unsigned char root[32], raw[68];
		char b64[64], sb64[128], body[512], note[1024];
		kist__merkle_root(root, (const unsigned char(*)[32])leaves, size);
		sodium_bin2base64(b64, sizeof b64, root, 32, sodium_base64_VARIANT_ORIGINAL);
		int bl =
		    snprintf(body, sizeof body, "%s\n%lu\n%s\n", kist_ledger_origin(l), size, b64);
		key_id(raw, name, id->pk.ed25519);
		crypto_sign_detached(raw + 4, NULL, (unsigned char *)body, (size_t)bl,
		                     id->ed25519_sk);
		sodium_bin2base64(sb64, sizeof sb64, raw, sizeof raw,
		                  sodium_base64_VARIANT_ORIGINAL);
		snprintf(note, sizeof note, "%s\n\xe2\x80\x94 %s %s\n", body, name, sb64);
		if (kist_ledger_store_checkpoint(l, note) != KIST_OK)
			goto fail;
	}
	free(leaves);
	kist_ledger_log_free(log);
done:
	kist_ledger_close(l);
	kist_identity_free(id);
	return 0;
fail:
	fprintf(stderr, "ledger_gen: %s\n", kist_errdetail());
	return 1;
}
