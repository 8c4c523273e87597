/* kist grant: open a vault for more recipients, keeping the sealer's signature. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* -r KEY... and -R FILE...: the recipients to add, at most KIST_GRANT_KEYS_MAX. */
static int grant_keys(const cli_args *a, kist_pubkey *keys, size_t *n)
{
	kist_pubkey pk;
	int rc;
	*n = 0;
	for (size_t i = 0; i < cli_count(a, "recipient"); i++) {
		if ((rc = cli_recipient_arg(cli_get_n(a, "recipient", i), &pk)) != EXIT_OK)
			return rc;
		if (*n == KIST_GRANT_KEYS_MAX)
			goto too_many;
		keys[(*n)++] = pk;
	}
	for (size_t i = 0; i < cli_count(a, "recipients-file"); i++) {
		kist_pubkey *file = NULL;
		size_t m = 0;
		kist_err err =
		    kist_recipients_file_read(cli_get_n(a, "recipients-file", i), &file, &m);
		if (err != KIST_OK)
			return cli_fail(NULL, err);
		for (size_t j = 0; j < m; j++) {
			if (*n == KIST_GRANT_KEYS_MAX) {
				free(file);
				goto too_many;
			}
			keys[(*n)++] = file[j];
		}
		free(file);
	}
	if (*n == 0) {
		cli_usage_error("grant", "no recipient to add: give -r KEY or -R FILE");
		return EXIT_USAGE;
	}
	return EXIT_OK;
too_many:
	cli_usage_error("grant", "one grant adds at most %d recipients", KIST_GRANT_KEYS_MAX);
	return EXIT_USAGE;
}

int cmd_grant(const cli_args *a)
{
	kist_pubkey keys[KIST_GRANT_KEYS_MAX];
	kist_identity **ids = NULL;
	kist_vault *v = NULL;
	size_t nkeys = 0, nids = 0;
	const char *out = cli_get(a, "output");
	int rc;

	if (a->npos != 1 || out == NULL || cli_count(a, "identity") == 0) {
		cli_usage_error("grant",
		                "usage: kist grant -i IDENTITY -r KEY... -o NEW.kist VAULT");
		return EXIT_USAGE;
	}
	if ((rc = grant_keys(a, keys, &nkeys)) != EXIT_OK ||
	    (rc = cli_load_identities(a, &ids, &nids)) != EXIT_OK)
		return rc;
	kist_err err = kist_vault_open(&v, a->pos[0], ids, nids);
	if (err != KIST_OK) {
		rc = cli_fail(a->pos[0], err);
		goto out;
	}
	const kist_identity *holder = ids[kist_vault_opened_with(v)];
	/* A grant reads the header and the index: logged as an access first. */
	if ((rc = cli_ledger_record(a, v, holder, "grant", NULL, 0)) != EXIT_OK)
		goto out;
	unsigned flags = cli_count(a, "force") ? KIST_REPLACE : 0;
	if ((err = kist_vault_grant(v, holder, keys, nkeys, out, flags)) != KIST_OK) {
		rc = cli_fail_hint(NULL, err, KIST_E_EXISTS, "use --force to replace it");
		goto out;
	}
	if (!cli_count(a, "quiet")) {
		char fpr[CLI_FPR_LABEL_MAX];
		kist_pubkey pk;
		kist_identity_pubkey(holder, &pk);
		cli_progress_clear();
		fprintf(stderr, "kist: wrote ");
		cli_put_safe(stderr, out, strlen(out), 0);
		fprintf(stderr, ": opens for %zu more %s, and for every recipient before\n", nkeys,
		        cli_plural(nkeys, "recipient", "recipients"));
		for (size_t i = 0; i < nkeys; i++) {
			cli_fpr_label(fpr, sizeof fpr, &keys[i]);
			fprintf(stderr, "  added:      %s\n", fpr);
		}
		cli_fpr_label(fpr, sizeof fpr, &pk);
		fprintf(stderr, "  granted by: %s (signed grant record, shown by kist verify)\n",
		        fpr);
		fprintf(stderr, "  content copied unchanged; the sealer's signature still holds\n");
	}
	rc = EXIT_OK;
out:
	kist_vault_close(v);
	cli_free_identities(ids, nids);
	return rc;
}
