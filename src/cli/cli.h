/* The kist command-line tool: shared declarations. */
#ifndef KIST_CLI_H
#define KIST_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "kist.h"
/* The library's platform layer: the one internal header the CLI uses, so that
 * no CLI file names a POSIX- or Windows-only call either (docs/HACKING.md). */
#include "os/os.h"

/* Exit codes (README, "Exit codes"). */
enum {
	EXIT_OK = 0,
	EXIT_OTHER = 1,
	EXIT_USAGE = 2,
	EXIT_ACCESS = 3,
	EXIT_INTEGRITY = 4,
	EXIT_IO = 5,
	EXIT_LEDGER = 6, /* the custody ledger could not be written: nothing released */
	EXIT_SIGNER = 7, /* verify --signer: intact, but unsigned or signed by another key */
	/* kist audit verify (docs/AUDIT.md): the lowest code of what was found */
	EXIT_AUDIT_REWRITTEN = 10,
	EXIT_AUDIT_DELETED = 11,
	EXIT_AUDIT_REORDERED = 12,
	EXIT_AUDIT_FORGED = 13,
	EXIT_AUDIT_ROLLBACK = 14,
	EXIT_AUDIT_CHECKPOINT = 15,
	EXIT_INTERRUPTED = 130
};

/* One option of a verb (src/cli/verbs.c). */
typedef struct opt_spec {
	char short_name;       /* 0 if none */
	const char *long_name; /* without the dashes */
	const char *arg;       /* name of its value in the help ("FILE"); NULL for a flag */
	int multi;             /* may be given more than once */
	char complete;         /* its value in completions: 'f' a file, 'd' a folder, 0 none */
	const char *help;      /* the help text; '\n' starts a continuation line */
} opt_spec;

/*
 * Parsed command line of one verb, sized to what was given: the values of
 * spec i are vals[first[i]] to vals[first[i + 1] - 1], in the order given;
 * pos holds the other arguments.  Freed by cli_args_free().
 */
typedef struct cli_args {
	const opt_spec *specs;
	size_t nspecs;
	const char *verb;           /* "seal", "log list": for messages */
	const struct cli_verb *all; /* every verb: an option of another is "does not apply" */
	size_t nall;
	const char **vals; /* "" for a flag */
	size_t *first;     /* nspecs + 1 offsets into vals */
	const char **pos;
	size_t npos;
} cli_args;

/* One verb (or "verb subcommand"): everything the usage, help, option check and
 * completions say about it comes from this table (verbs.c). */
typedef struct cli_verb {
	const char *name; /* "seal", "log list" */
	int (*run)(const cli_args *a);
	const opt_spec *opts;
	size_t nopts;
	const char *usage;   /* after "kist NAME "; '\n' continues the usage on a new line */
	const char *summary; /* one line, for the completions */
	const char *help;    /* what it does (paragraphs, no options) */
} cli_verb;

extern const cli_verb cli_verbs[];
extern const size_t cli_nverbs;
/* The verb called as argv[0] (and argv[1] for a subcommand); *used: words taken.  NULL if
 * none, after printing a usage error. */
const cli_verb *cli_verb_find(int argc, char **argv, int *used);
/* The overview of every verb's usage, the exit codes. */
void cli_help_overview(FILE *f);
/* kist help [VERB] on stdout.  Returns an exit code. */
int cli_help(const char *verb);
/* kist completion bash|zsh|fish: the completion script on stdout.  Returns an exit code. */
int cli_completion(const char *shell);

/* Parses argv (after the verb) into a with the verb's options (cli_args.c); all: the
 * table, to name an option of another verb as such.  Prints a usage error and
 * returns -1 on bad input. */
int cli_parse(cli_args *a, const cli_verb *verb, const cli_verb *all, size_t nall, int argc,
              char **argv);
void cli_args_free(cli_args *a);
/* Value of an option given once (or the last), or NULL; count of values. */
const char *cli_get(const cli_args *a, const char *long_name);
size_t cli_count(const cli_args *a, const char *long_name);
const char *cli_get_n(const cli_args *a, const char *long_name, size_t i);

/* Prints "kist: <context>: <message>" on stderr, both escaped by kist_escape(). */
void cli_error(const char *context, const char *fmt, ...) KIST__PRINTF(2, 3);
/* Reports a library error with its detail and returns the exit code for it. */
int cli_fail(const char *context, kist_err err);
/* As cli_fail(), with " (hint)" after the message when err is when: the library says
 * what is wrong, the CLI names the option or verb that changes it. */
int cli_fail_hint(const char *context, kist_err err, kist_err when, const char *hint);
int cli_exit_code(kist_err err);
void cli_usage_error(const char *verb, const char *fmt, ...) KIST__PRINTF(2, 3);

/* Loads identities named by -i, asking for passphrases as needed.  Returns an exit code. */
int cli_load_identities(const cli_args *a, kist_identity ***ids, size_t *n);
void cli_free_identities(kist_identity **ids, size_t n);
/* Loads one identity file. */
int cli_load_identity(const char *path, const char *passfile, kist_identity **out);
/* Reads a passphrase: from passfile if given, else from the terminal (twice if confirm). */
kist_err cli_read_passphrase(const char *passfile, const char *prompt, int confirm, char *buf,
                             size_t cap, size_t *len);

/* Writes s to stdout with control characters escaped. */
void cli_print_path(const char *s);
/* Warning callback for the library: "kist: warning: path: message". */
void cli_warn(void *ctx, const char *path, const char *message);
/* Parses a whole number from 1 to max; -1 if s is anything else. */
int cli_parse_count(const char *s, unsigned max, unsigned *out);
/* one when n is 1, else many: "1 entry", "2 entries". */
const char *cli_plural(unsigned long long n, const char *one, const char *many);
/* Formats a byte count as "12.3 MiB". */
void cli_human_size(char *out, size_t cap, unsigned long long n);
/* Formats seconds since the epoch as "YYYY-MM-DD HH:MM:SS UTC". */
void cli_time(char *out, size_t cap, long long t);

/*
 * The custody-ledger hook (cli_ledger.c).  Every verb that releases contents
 * or metadata of a vault calls it after kist_vault_open() and before printing
 * or writing anything:
 *
 *   rc = cli_ledger_record(&a, v, ids[kist_vault_opened_with(v)], "list", NULL, 0);
 *   if (rc != EXIT_OK) { close the vault; return rc; }
 *
 * It appends a signed entry (vault id, actor = the identity that opened the
 * vault, action, stored paths touched) to the ledger named by --ledger PATH
 * (if the verb's option table has "ledger"), else $KIST_LEDGER, else the
 * default, and returns EXIT_OK only once the entry is durable; otherwise it
 * prints one line and returns EXIT_LEDGER.  actor must stay loaded until then.
 */
int cli_ledger_record(const cli_args *a, kist_vault *v, const kist_identity *actor,
                      const char *action, const char *const *paths, size_t npaths);
/* The ledger path of --ledger/KIST_LEDGER/default into out; one line printed on failure. */
int cli_ledger_path(const cli_args *a, char *out, size_t cap);
/* Opens the ledger of --ledger/KIST_LEDGER/default for appending; on failure prints one
 * line ("the ACTION is refused") and returns EXIT_LEDGER. */
int cli_ledger_open(const cli_args *a, kist_ledger **l, const char *action);
/* The same for an event without an open vault (seal): vault_id given. */
int cli_ledger_append(const cli_args *a, const char *vault_id, const kist_identity *actor,
                      const char *action, const char *const *paths, size_t npaths);
/*
 * The progress line on stderr (cli_progress.c): init decides whether it is
 * shown (stderr a terminal, not -q); cb is a kist_progress_fn with the
 * cli_progress as its context; end erases the line.
 */
typedef struct cli_progress {
	const char *label; /* "sealing", "extracting", "verifying" */
	int active;
	double start, last;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label);
void cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress *p);
/* Erases a progress line on the terminal, if one is shown (before other output). */
void cli_progress_clear(void);

/*
 * --json (cli_json.c, docs/JSON.md).  set_name stores a name (bytes) under
 * key, adding key_hex with the exact bytes if they are not valid UTF-8;
 * print writes the document and a newline on stdout, releases it, and
 * returns an exit code.
 */
typedef struct json_t json_t;
int cli_json_set_name(json_t *obj, const char *key, const char *s);
int cli_json_print(json_t *root);
/* An entry of a vault as JSON, one layout for every verb (docs/JSON.md, "Entries"); NULL if
 * out of memory. */
json_t *cli_json_entry(const kist_entry *e);

extern int cli_quiet;

/*
 * Opens the vault at path with the identities of -i and records the access
 * (action, entries touched) in the custody ledger before the caller releases
 * anything.  Returns an exit code; on failure *v is NULL.
 */
int cli_open_vault(const cli_args *a, const char *path, kist_vault **v, const char *action,
                   const char *const *paths, size_t npaths);
/* The same; with who (extract --person), the paths recorded are that person's media,
 * returned in *who_paths (malloc'd; the strings are the vault's). */
int cli_open_vault_for(const cli_args *a, const char *path, kist_vault **v, const char *action,
                       const char *const *paths, size_t npaths, const char *who,
                       const char ***who_paths, size_t *who_n);
/* As cli_open_vault() with no entries touched; *opener gets the public key of the identity
 * that opened the vault (one of its recipients). */
int cli_open_vault_by(const cli_args *a, const char *path, kist_vault **v, const char *action,
                      kist_pubkey *opener);
/*
 * Trustee-gated opening (cli_gate.c).  cli_open_released opens with the
 * --release files and the pending request key they answer (from the request
 * store); x->req is the request (its scope), x->key_path the key to forget
 * with cli_released_forget() once the access is logged.  cli_gate_hint names
 * the custodians of a gated vault that opened for none of ids.
 */
typedef struct cli_released {
	kist_request *req;
	char key_path[4096];
} cli_released;
int cli_open_released(const cli_args *a, const char *path, kist_identity *const *ids, size_t n,
                      kist_vault **v, cli_released *x);
int cli_released_forget(const cli_released *x);
void cli_released_free(cli_released *x);
void cli_gate_hint(const char *path, kist_identity *const *ids, size_t n);
int cmd_request(const cli_args *a);
int cmd_release(const cli_args *a);

/* The media paths linked to a person (id or name); *paths is malloc'd, its strings are v's.
 * Prints nothing: on failure msg holds the reason (the caller logs the attempt first). */
int cli_person_media(kist_vault *v, const char *who, const char ***paths, size_t *n, char *msg,
                     size_t cap);
/* Hostile text for a person, through kist_escape() (kist.h) and nothing else: into out
 * (cap bytes), or to f with flags (a path: CLI_SAFE_BACKSLASH, so that it is unambiguous). */
void cli_escape(char *out, size_t cap, const char *s);
#define CLI_SAFE_KEEP_NEWLINES KIST_ESCAPE_KEEP_NEWLINES /* leave newlines and tabs */
#define CLI_SAFE_BACKSLASH     KIST_ESCAPE_BACKSLASH
void cli_put_safe(FILE *f, const char *s, size_t len, int flags);

/* JSON strings (jansson): text as it is if valid UTF-8, else bad bytes as U+FFFD. */
struct json_t;
struct json_t *cli_json_str(const char *s, size_t len);
struct json_t *cli_json_path(const char *s);

/*
 * Keys as people give them (cli_keys.c).  cli_pubkey_file: 1 if path is a
 * regular file holding one public key (a saved `kist pubkey` output; '#'
 * lines and a fingerprint line ignored) into *pk; 0 if it holds something
 * else (an identity file); -1 if it holds a malformed key (one line printed).
 */
int cli_pubkey_file(const char *path, kist_pubkey *pk);
/* A -r KEY: parsed, or one line printed (naming -R for a file) and EXIT_USAGE. */
int cli_recipient_arg(const char *arg, kist_pubkey *pk);
/* verify --signer: a kist1 key, a file holding one (or an identity), or a fingerprint. */
typedef struct cli_signer {
	int by_fingerprint;
	kist_pubkey pk; /* unless by_fingerprint */
	char fpr[KIST_FINGERPRINT_STRLEN + 1];
} cli_signer;
/* Parses arg into *out; prints one line and returns an exit code on error. */
int cli_signer_arg(const char *arg, cli_signer *out);
/* 1 if signer is the expected one. */
int cli_signer_matches(const cli_signer *want, const kist_pubkey *signer);

/*
 * Contacts (cli_contacts.c): names beside keys, from --contacts FILE or
 * $XDG_CONFIG_HOME/kist/contacts (~/.config/kist/contacts).  main.c loads
 * them before running a verb whose table has --contacts; no file, no
 * contacts.  load prints one line (file, line, why) and returns an exit
 * code on a malformed file.
 */
int cli_contacts_load(const cli_args *a);
void cli_contacts_free(void);
const char *cli_contacts_path(void);
/* 1 and *pk if a contact is named exactly name. */
int cli_contact_find(const char *name, kist_pubkey *pk);
/* The contact's name for pk (raw bytes: escape it to print), or NULL. */
const char *cli_contact_name(const kist_pubkey *pk);
/* "7837-...-1a2b" or "7837-...-1a2b (NAME)", NAME escaped: what kist prints for a key. */
#define CLI_FPR_LABEL_MAX 640
void cli_fpr_label(char *out, size_t cap, const kist_pubkey *pk);
/* Adds "contact": NAME to o when pk is a contact; nonzero if out of memory. */
int cli_json_contact(struct json_t *o, const kist_pubkey *pk);
int cmd_contacts_add(const cli_args *a);
int cmd_contacts_list(const cli_args *a);
int cmd_contacts_remove(const cli_args *a);

int cmd_keygen(const cli_args *a);
int cmd_pubkey(const cli_args *a);
int cmd_seal(const cli_args *a);
int cmd_info(const cli_args *a);
int cmd_list(const cli_args *a);
int cmd_extract(const cli_args *a);
int cmd_cat(const cli_args *a);
int cmd_verify(const cli_args *a);
int cmd_split(const cli_args *a);
int cmd_grant(const cli_args *a);
int cmd_join(const cli_args *a);
int cmd_repair(const cli_args *a);
/* kist verify given a part of a split vault: the keyless check of its set (cli_parts.c). */
int cli_parts_verify(const cli_args *a);
/* Parses "95M", "2G", "4000MB" (K/M/G/T binary, KB/MB/GB/TB decimal); -1 if not. */
int cli_parse_size(const char *s, uint64_t *out);
/* "N%" with N from 1 to 100: 0, else -1. */
int cli_parse_percent(const char *s, unsigned *out);
int cmd_parity_add(const cli_args *a);
/* VAULT and VAULT.parity from a vault or a parity file named: 1 a pair, 0 none,
 * -1 a parity file not named VAULT.parity (one line printed). */
int cli_parity_pair(const char *arg, char *vault, char *side, size_t cap);
/* The keyless check of a vault and its parity file; report 0: a line if intact. */
int cli_parity_verify(const cli_args *a, const char *vault, const char *side, int report);
int cli_parity_repair(const cli_args *a, const char *vault, const char *side);
int cmd_people(const cli_args *a);
int cmd_query(const cli_args *a);
int cmd_manifest(const cli_args *a);
int cmd_log_list(const cli_args *a);
int cmd_log_checkpoint(const cli_args *a);
int cmd_log_export(const cli_args *a);
int cmd_audit_verify(const cli_args *a);
/* The name of an audit finding ("rewritten", ...), and the exit code of the findings
 * rep->found lists (the lowest; EXIT_OK if none), as audit verify gives them. */
const char *cli_audit_kind_name(kist_audit_kind k);
int cli_audit_code(unsigned found);

/* ---- printable reports (cli_report.c: kist report, kist audit report; cli_html.c) */
int cmd_report(const cli_args *a);
int cmd_audit_report(const cli_args *a);
/* A growing HTML document; nomem set (and further output dropped) on a failed growth. */
typedef struct cli_html {
	char *p;
	size_t len, cap;
	int nomem;
} cli_html;
/* The page frame (no script, a CSP that fetches nothing, print CSS; letter: US Letter
 * pages, else A4), and its end (footer, closing tags). */
void cli_html_begin(cli_html *h, const char *title, int letter);
void cli_html_end(cli_html *h);
/* Markup as it is, or formatted (the arguments must be markup or plain numbers). */
void cli_html_raw(cli_html *h, const char *s);
void cli_html_fmt(cli_html *h, const char *fmt, ...) KIST__PRINTF(2, 3);
/* Hostile text: kist_escape()'s rendering (controls, bidi; a path with
 * CLI_SAFE_BACKSLASH), then HTML-escaped. */
void cli_html_text(cli_html *h, const char *s);
void cli_html_path(cli_html *h, const char *s);
void cli_html_time(cli_html *h, long long t);
/* A key as every verb shows it: fingerprint, and the contact's name if known. */
void cli_html_key(cli_html *h, const kist_pubkey *pk);
void cli_html_free(cli_html *h);
/* EXIT_OK if --pdf can work (chromium on PATH), else one line printed and EXIT_OTHER. */
int cli_html_pdf_available(const char *verb);
/* Writes the document to out ("-": stdout) atomically (with force: replacing it), or
 * with pdf printed by chromium from a private temporary folder.  An exit code. */
int cli_html_write(const char *verb, const cli_html *h, const char *out, int pdf, int force);
/* Set by main.c's handler of SIGINT, SIGTERM and SIGHUP: a report is then not written. */
extern volatile sig_atomic_t cli_interrupted;
/* For the signal handler: removes --pdf's temporary HTML and PDF (async-signal-safe). */
void cli_html_cleanup_on_signal(void);
int cmd_audit_compare(const cli_args *a);

/* ---- witnessed checkpoints (cli_witness.c, cli_policy.c, docs/AUDIT.md) */
/* Reads a whole small file (at most max bytes, NUL-terminated); prints one line on failure. */
int cli_read_small(const char *path, size_t max, char **out, size_t *len);
/*
 * Loads a ledger, bundle or sealed bundle (opened with id, already unlocked,
 * or else with the -i identities; logged as an audit access).
 */
int cli_ledger_load_any(const cli_args *a, const char *path, kist_identity *id,
                        kist_ledger_log **log);
int cmd_witness_cosign(const cli_args *a);

/* Notes as JSON and witness verdicts (cli_policy.c), shared by witness cosign, audit
 * compare and audit verify. */
const char *cli_verdict_name(kist_witness_verdict v);
/* The exit code of a witness failure: 14 rollback or fork, 15 a note that does not hold. */
int cli_witness_code(kist_err err, kist_witness_verdict v);
void cli_root_b64(char out[45], const unsigned char root[32]);
struct json_t *cli_key_json(const kist_pubkey *pk);
/* size, root, signer, cosigners (with time) and entries covered of a note read. */
struct json_t *cli_note_json(const kist_note_info *ni);

/* The witness policy of kist audit verify: --cosigner, --quorum, --origin, --state. */
typedef struct cli_witness_policy {
	kist_pubkey keys[KIST_COSIGNERS_MAX];
	size_t nkeys;
	unsigned quorum;
	const char *origin, *state;
	struct json_t *list; /* one object per checkpoint read */
	size_t witnessed;    /* checkpoints cosigned by a quorum */
	uint64_t pinned;     /* entries pinned by a witnessed checkpoint or the state */
	uint64_t state_size;
	char msg[512]; /* why the policy failed, or "" */
} cli_witness_policy;
/* Parses the options (usage errors first, before any work).  Returns an exit code. */
int cli_witness_policy_init(const cli_args *a, cli_witness_policy *wp);
/* After the audit: lists each checkpoint; rc becomes 14 or 15 (unless lower) if the policy fails.
 */
void cli_witness_policy_apply(cli_witness_policy *wp, const kist_ledger_log *log,
                              const char *const *notes, size_t nnotes, int *rc);
/* The checkpoint lines of the text report (n: the ledger's entries). */
void cli_witness_policy_print(const cli_witness_policy *wp, size_t n);
/* Adds "witness" and "checkpoint_list" to the --json report. */
void cli_witness_policy_json(cli_witness_policy *wp, struct json_t *o);
void cli_witness_policy_free(cli_witness_policy *wp);

#endif
