/*
 * custody: the custody ledger (store, bundles, audit) and C2SP signed-note
 * checkpoints and witnesses.  Calls the layers below it.  Not installed.
 */
#ifndef KIST_CUSTODY_H
#define KIST_CUSTODY_H

#include "index/index.h"

/* ---- checkpoints (checkpoint.c): C2SP tlog-checkpoint signed notes */
#define KIST_LEDGER_LABEL    "kist/v1 ledger entry"
#define KIST_CHECKPOINT_MAX  65536 /* bytes in a checkpoint note */
#define KIST_CHECKPOINT_SIGS 16    /* signature lines read */
typedef struct kist__checkpoint {
	char origin[257];
	uint64_t size;
	unsigned char root[32];
	size_t body_len; /* bytes of the signed text, through its last newline */
	size_t nsigs;
	struct {
		char name[128];
		unsigned char keyid[4];
		unsigned char sig[64];
	} sigs[KIST_CHECKPOINT_SIGS];
} kist__checkpoint;
/* Parses a note strictly.  @return KIST_OK or KIST_E_FORMAT (detail says why). */
kist_err kist__checkpoint_parse(kist__checkpoint *cp, const char *text, size_t len);
/*
 * Verifies the note's signatures whose name is a kist public key with a
 * matching key id; *signer receives the first that verifies.
 * @return KIST_OK, KIST_E_SIGNATURE (none verifies), KIST_E_FORMAT.
 */
kist_err kist__checkpoint_verify(const kist__checkpoint *cp, const char *text, kist_pubkey *signer);
/* Whether one of the note's signature lines is a valid signature by want. */
kist_err kist__checkpoint_verify_by(const kist__checkpoint *cp, const char *text,
                                    const kist_pubkey *want);

/* ---- store.c */
/* The signed body of entry e of log (FORMAT of AUDIT.md, no 0x00 prefix), malloc'd. */
kist_err kist__ledger_entry_body(const kist_ledger_log *log, const kist_ledger_entry *e,
                                 unsigned char **body, size_t *len);

/* ---- the audit engine (audit.c), for kist_ledger_audit*() and the tests */
/*
 * kist_ledger_audit() on threads threads (0: one per processor for a large
 * log, 1: all on the caller's thread).  The report and the order of the
 * findings do not depend on threads.
 */
kist_err kist__ledger_audit_threads(const kist_ledger_log *log, const char *const *notes,
                                    size_t nnotes, kist_audit_fn fn, void *ctx,
                                    kist_audit_report *rep, unsigned threads);

#endif
