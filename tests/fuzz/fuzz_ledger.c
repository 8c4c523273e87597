/*
 * Fuzzes the parsers a trustee runs on someone else's data: the checkpoint
 * note parser and verifier, and the export bundle loader followed by a full
 * audit with the input also offered as a checkpoint, and the checkpoints
 * written from it.  Nothing may crash, and whatever parses must be
 * internally consistent.  Regression inputs: a bundle of 100 entries, many
 * malformed (their reasons once pointed into the growing entry array), and
 * notes with CRLF line ends or trailing spaces.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "custody/custody.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kist__checkpoint cp;
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (kist__checkpoint_parse(&cp, text, size) == KIST_OK) {
		FUZZ_ASSERT(cp.body_len <= size);
		FUZZ_ASSERT(cp.nsigs <= KIST_CHECKPOINT_SIGS);
		FUZZ_ASSERT(strlen(cp.origin) > 0);
		kist_pubkey pk;
		(void)kist__checkpoint_verify(&cp, text, &pk);
	}
	kist_ledger_log *log = NULL;
	if (kist_ledger_load_bundle(&log, data, size) == KIST_OK) {
		kist_audit_report rep;
		const char *notes[1] = {text};
		kist_err err =
		    kist_ledger_audit(log, notes, strlen(text) == size ? 1 : 0, NULL, NULL, &rep);
		FUZZ_ASSERT(err == KIST_OK || err == KIST_E_CORRUPT || err == KIST_E_NOMEM);
		FUZZ_ASSERT(rep.size == kist_ledger_log_count(log));
		char *fresh = NULL;
		if (kist_ledger_checkpoint_audited(log, &rep, NULL, &fresh) == KIST_OK)
			FUZZ_ASSERT(kist__checkpoint_parse(&cp, fresh, strlen(fresh)) == KIST_OK);
		free(fresh);
		fresh = NULL;
		if (kist_ledger_checkpoint(log, NULL, &fresh) == KIST_OK)
			FUZZ_ASSERT(kist__checkpoint_parse(&cp, fresh, strlen(fresh)) == KIST_OK);
		free(fresh);
		char *json = NULL;
		size_t len = 0;
		if (kist_ledger_bundle(log, &json, &len) == KIST_OK) {
			kist_ledger_log *again = NULL;
			FUZZ_ASSERT(kist_ledger_load_bundle(&again, json, len) == KIST_OK);
			FUZZ_ASSERT(kist_ledger_log_count(again) == kist_ledger_log_count(log));
			kist_ledger_log_free(again);
			free(json);
		}
		kist_ledger_log_free(log);
	}
	free(text);
	return 0;
}
