/*
 * The verb table: one entry per verb (or "verb subcommand") with its
 * handler, options, usage and help.  The overview, kist help VERB, the
 * option check of cli_parse() and the shell completions (completion.c) are
 * all produced from it; docs/man/kist.1 names the same options, which
 * tests/cli/help_flags.sh checks.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#define N(opts) opts, sizeof opts / sizeof opts[0]

/* Options several verbs share, worded once. */
#define O_IDENTITY                                                                                 \
	{                                                                                          \
		'i', "identity", "FILE", 1, 'f',                                                   \
		    "an identity that can open the vault (repeatable)"                             \
	}
#define O_PASSFILE                                                                                 \
	{                                                                                          \
		0, "passphrase-file", "F", 0, 'f', "passphrase of protected identities"            \
	}
#define O_LEDGER                                                                                   \
	{                                                                                          \
		0, "ledger", "PATH", 0, 'f',                                                       \
		    "the custody ledger (default: $KIST_LEDGER, XDG data)"                         \
	}
#define O_JSON                                                                                     \
	{                                                                                          \
		0, "json", NULL, 0, 0, "one JSON document on stdout (docs/JSON.md)"                \
	}
#define O_CONTACTS                                                                                 \
	{                                                                                          \
		0, "contacts", "FILE", 0, 'f',                                                     \
		    "names beside keys (default: $XDG_CONFIG_HOME/kist/contacts)"                  \
	}
#define O_RELEASE                                                                                  \
	{                                                                                          \
		0, "release", "FILE", 1, 'f',                                                      \
		    "a custodian's release of a trustee-gated vault\n(repeatable; kist request)"   \
	}
#define O_REQSTORE                                                                                 \
	{                                                                                          \
		0, "request-store", "DIR", 0, 'd',                                                 \
		    "where request keys are kept (default: XDG data\nkist/requests)"               \
	}
#define O_QUIET                                                                                    \
	{                                                                                          \
		'q', "quiet", NULL, 0, 0, "fewer messages on stderr"                               \
	}

static const opt_spec keygen_opts[] = {
    {'o', "output", "FILE", 0, 'f', "the identity file to create"},
    {0, "passphrase-file", "F", 0, 'f', "read the passphrase from F (mode 0600), not the terminal"},
    {0, "no-passphrase", NULL, 0, 0, "store the keys unprotected (not with --passphrase-file)"},
    {0, "weak-passphrase", NULL, 0, 0, "accept a passphrase shorter than 8 characters"},
    {'q', "quiet", NULL, 0, 0, "no fingerprint on stderr"},
};

static const opt_spec pubkey_opts[] = {
    {0, "qr", NULL, 0, 0, "also draw the key as a QR code (for a phone camera)"},
    {'q', "quiet", NULL, 0, 0, "no fingerprint on stderr"},
    O_CONTACTS,
};

static const opt_spec contacts_add_opts[] = {
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
};

static const opt_spec contacts_list_opts[] = {
    {0, "json", NULL, 0, 0, "one JSON document on stdout (docs/JSON.md)"},
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
};

static const opt_spec contacts_remove_opts[] = {
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
};

static const opt_spec seal_opts[] = {
    {'r', "recipient", "KEY", 1, 0,
     "a recipient's kist1... or age1... key, as pasted, or a\ncontact's name (repeatable; a file "
     "of "
     "keys goes to -R)"},
    {'R', "recipients-file", "F", 1, 'f', "one key per line, '#' comments (repeatable)"},
    {'s', "sign", "IDENTITY", 0, 'f', "sign the vault with this identity"},
    {0, "custodian", "KEY", 1, 0,
     "a trustee whose release opening needs: a kist1... key or\na contact's name (repeatable, "
     "at most 16; docs/GATE.md)"},
    {0, "quorum", "K", 0, 0, "how many custodians must release (default 1)"},
    {0, "people", "REGISTER", 1, 'f', "seal a people register (repeatable; docs/INDEX.md)"},
    {0, "ledger", "PATH", 0, 'f',
     "log the seal in this ledger (needs -s; without it, and\nwhatever $KIST_LEDGER says, a seal "
     "logs nothing)"},
    {'o', "output", "OUT.kist", 0, 'f',
     "the vault to write (not a folder); '-' writes it to\nstandard output (not a terminal)"},
    {0, "force", NULL, 0, 0, "replace an existing OUT.kist (or its parts)"},
    {0, "split", "SIZE", 0, 0,
     "write the vault as parts OUT.kist.001, ... of at most SIZE\n(95M, 2G; see kist split)"},
    {0, "parity", "N|P%", 0, 0,
     "with --split: add N parity parts (see kist split); without:\nwrite OUT.kist.parity "
     "beside the vault, P% (1% to 100%) parity"},
    {0, "pad", "MODE", 0, 0,
     "padme (default): round the vault's size up (at most\n6.25 %, 3.1 % from 64 KiB) so it "
     "does not identify\nits content; none: no padding"},
    {0, "stdin-name", "NAME", 0, 0, "name stored for '-' (default: stdin)"},
    {0, "base", "DIR", 0, 'd', "store paths relative to DIR (inputs must be inside it)"},
    {0, "exclude", "PATTERN", 1, 0,
     "leave out paths matching PATTERN (fnmatch, as tar: the\nstored path or any of its names; "
     "repeatable)"},
    {0, "skip-unreadable", NULL, 0, 0,
     "leave out unreadable files and folders, fifos, sockets\nand devices, and seal the rest"},
    {0, "dry-run", NULL, 0, 0,
     "list the paths that would be stored; write nothing\n(no -o or recipient needed; -s is not "
     "opened)"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of the -s identity"},
    {'j', "threads", "N", 0, 0, "threads (1 to 64; default: one per processor)"},
    {0, "level", "N", 0, 0,
     "zstd level, 1 (fastest) to 19 (smallest); default 3;\nfewer threads at high levels "
     "(compressors stay\nunder 256 MiB together)"},
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no progress, summary or notes on stderr"},
};

static const opt_spec grant_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    {'r', "recipient", "KEY", 1, 0,
     "a recipient to add: kist1... or age1... key, or a contact's\nname (repeatable; at most 32 "
     "per grant)"},
    {'R', "recipients-file", "F", 1, 'f', "one key per line, '#' comments (repeatable)"},
    {'o', "output", "NEW.kist", 0, 'f', "the granted vault to write"},
    {0, "force", NULL, 0, 0, "replace an existing NEW.kist"},
    O_LEDGER,
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec request_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    {0, "reason", "TEXT", 0, 0, "why you ask (shown to the custodians, kept in\ntheir ledgers)"},
    {0, "all", NULL, 0, 0, "ask for the whole vault"},
    {0, "person", "WHO", 0, 0, "ask for one person's media (the name or #id)"},
    {'o', "output", "ASK.kist-request", 0, 'f', "the request to write"},
    O_JSON,
    {0, "force", NULL, 0, 0, "replace an existing request file"},
    O_REQSTORE,
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec release_opts[] = {
    {'i', "identity", "FILE", 1, 'f', "the custodian's identity"},
    O_PASSFILE,
    {'o', "output", "OUT.kist-release", 0, 'f', "the release (or refusal) to write"},
    {0, "refuse", NULL, 0, 0, "record and write a refusal"},
    {0, "note", "TEXT", 0, 0, "a note for the requester (a refusal's reason)"},
    {0, "show", NULL, 0, 0, "only show the request; record and write nothing"},
    {0, "yes", NULL, 0, 0, "do not ask for confirmation (scripts)"},
    O_JSON,
    {0, "force", NULL, 0, 0, "replace an existing output"},
    {0, "ledger", "PATH", 0, 'f',
     "the custodian's ledger, where the decision is recorded\nfirst (default: $KIST_LEDGER, "
     "XDG data)"},
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec info_opts[] = {
    O_JSON,
    {'q', "quiet", NULL, 0, 0, "accepted for symmetry; info prints no notes"},
};

static const opt_spec list_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    {'l', "long", NULL, 0, 0, "add type, mode, size, modification time and SHA-256"},
    {0, "json", NULL, 0, 0, "one JSON document on stdout, every field (docs/JSON.md)"},
    O_LEDGER,
    O_QUIET,
};

static const opt_spec extract_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    {'C', "directory", "DIR", 0, 'd',
     "extract into DIR (default: the current directory);\ncreated, mode 0700, if missing (its "
     "parent must exist)"},
    {0, "force", NULL, 0, 0, "replace existing files"},
    {0, "person", "NAME_OR_ID", 0, 0,
     "the media of this person of the register: an id, a\nfull name, or a fragment only one "
     "person matches"},
    O_LEDGER,
    {'q', "quiet", NULL, 0, 0, "no progress or summary on stderr"},
};

static const opt_spec cat_opts[] = {O_IDENTITY, O_PASSFILE, O_RELEASE,
                                    O_REQSTORE, O_LEDGER,   O_QUIET};

static const opt_spec parity_add_opts[] = {
    {0, "parity", "P%", 0, 0, "parity as a percentage of the vault, 1% to 100% (default 5%)"},
    {0, "force", NULL, 0, 0, "replace an existing VAULT.parity"},
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec split_opts[] = {
    {'o', "output", "BASE", 0, 'f', "name the parts BASE.001, BASE.002, ... (default: VAULT)"},
    {0, "parity", "N", 0, 0, "add N parity parts: any N lost or damaged parts can be rebuilt"},
    {0, "force", NULL, 0, 0, "replace existing parts of the same names"},
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec join_opts[] = {
    {'o', "output", "VAULT", 0, 'f', "the vault file to write"},
    {0, "force", NULL, 0, 0, "replace VAULT if it exists"},
    {'q', "quiet", NULL, 0, 0, "no summary on stderr"},
};

static const opt_spec repair_opts[] = {
    {'o', "output", "DIR", 0, 'd',
     "write rebuilt parts (or the vault) into DIR (default:\nreplace in place)"},
    {0, "force", NULL, 0, 0, "with -o, replace files of the same names in DIR"},
    {'q', "quiet", NULL, 0, 0, "no progress or summary on stderr"},
};

static const opt_spec verify_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    {0, "signer", "KEY", 0, 'f',
     "require that KEY signed the vault: a kist1... key, a\ncontact's name, a file holding a key, "
     "or a fingerprint\n(dashes optional)"},
    O_JSON,
    O_CONTACTS,
    O_LEDGER,
    {'q', "quiet", NULL, 0, 0, "no progress on stderr"},
};

static const opt_spec people_opts[] = {
    {0, "search", "TEXT", 0, 0, "only the people matching TEXT"},
    O_JSON,
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    O_LEDGER,
    O_QUIET,
};

static const opt_spec query_opts[] = {
    {0, "csv", NULL, 0, 0, "CSV with a header row (the default)"},
    O_JSON,
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    O_LEDGER,
    O_QUIET,
};

static const opt_spec manifest_opts[] = {
    {0, "json", NULL, 0, 0, "the report as one JSON document (docs/JSON.md)"},
    {0, "verify", NULL, 0, 0,
     "first authenticate every chunk and recompute every\nSHA-256 (exit 4 if an entry is damaged)"},
    O_CONTACTS,
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    O_LEDGER,
    O_QUIET,
};

static const opt_spec log_list_opts[] = {
    {0, "json", NULL, 0, 0, "the ledger as one JSON bundle on stdout (docs/AUDIT.md)"},
    O_LEDGER,
    O_CONTACTS,
};

static const opt_spec log_checkpoint_opts[] = {
    {'s', "sign", "IDENTITY", 0, 'f', "sign the checkpoint with this identity"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of the -s identity"},
    O_LEDGER,
};

static const opt_spec log_export_opts[] = {
    {'o', "output", "BUNDLE", 0, 'f', "the bundle to write"},
    {'r', "recipient", "TRUSTEE_KEY", 1, 0,
     "seal the bundle for this trustee: a key or a contact's\nname (repeatable)"},
    {0, "force", NULL, 0, 0, "replace an existing BUNDLE"},
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
    O_LEDGER,
    O_CONTACTS,
};

static const opt_spec audit_verify_opts[] = {
    {0, "checkpoint", "OLD.note", 1, 'f', "a checkpoint kept earlier (repeatable)"},
    {0, "json", NULL, 0, 0, "one JSON document on stdout (docs/JSON.md)"},
    {'i', "identity", "FILE", 1, 'f', "an identity that opens a sealed bundle (repeatable)"},
    {'s', "sign", "IDENTITY", 0, 'f', "sign a fresh checkpoint with this identity"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of protected identities"},
    {0, "ledger", "PATH", 0, 'f', "the custody ledger that logs the -i access"},
    {0, "cosigner", "KEY", 1, 0,
     "a trustee's kist1... key (repeatable): a checkpoint counts\nonly if cosigned by --quorum K "
     "of them (default: all);\nexit 15 if none does"},
    {0, "quorum", "K", 0, 0, "the cosigners needed (1 to the number of --cosigner)"},
    {0, "origin", "ORIGIN", 0, 0, "exit 15 if the ledger has another origin"},
    O_CONTACTS,
    {0, "state", "DIR", 0, 'd',
     "a witness state folder: the ledger must be of an origin\ncosigned there (else 15) and "
     "extend it (else 14); the\nentries it covers, audited then, are not signature-\nchecked "
     "again while they hash to its root"},
};

static const opt_spec audit_compare_opts[] = {
    {0, "json", NULL, 0, 0, "one JSON document on stdout (docs/JSON.md)"},
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
    {'i', "identity", "FILE", 1, 'f', "an identity that opens a sealed bundle (repeatable)"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of protected identities"},
    {0, "ledger", "PATH", 0, 'f', "the custody ledger that logs the -i access"},
    O_CONTACTS,
};

static const opt_spec witness_cosign_opts[] = {
    {'i', "identity", "FILE", 1, 'f', "the trustee's identity (also opens a sealed bundle)"},
    {0, "state", "DIR", 0, 'd', "the witness's state folder (created 0700)"},
    {'o', "output", "FILE", 0, 'f',
     "write the cosigned note to FILE (not replaced unless --force)"},
    {0, "force", NULL, 0, 0, "replace an existing -o FILE"},
    {0, "json", NULL, 0, 0, "one JSON document on stdout (docs/JSON.md)"},
    {'q', "quiet", NULL, 0, 0, "no message on stderr"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of the trustee's identity"},
    {0, "ledger", "PATH", 0, 'f', "the custody ledger that logs the opening of a sealed bundle"},
    O_CONTACTS,
};

#define O_REPORT_OUT                                                                               \
	{                                                                                          \
		'o', "output", "OUT", 0, 'f',                                                      \
		    "the report to write (HTML, or PDF with --pdf); '-':\nstandard output"         \
	}
#define O_PDF                                                                                      \
	{                                                                                          \
		0, "pdf", NULL, 0, 0,                                                              \
		    "print the report to PDF with headless chromium (exit 1\nif it is not on "     \
		    "PATH)"                                                                        \
	}
#define O_PAPER                                                                                    \
	{                                                                                          \
		0, "paper", "SIZE", 0, 0, "printed page size: a4 (the default) or letter"          \
	}
#define O_FORCE_OUT                                                                                \
	{                                                                                          \
		0, "force", NULL, 0, 0, "replace an existing OUT"                                  \
	}

static const opt_spec report_opts[] = {
    O_IDENTITY,
    O_PASSFILE,
    O_RELEASE,
    O_REQSTORE,
    O_REPORT_OUT,
    {0, "ledger", "PATH", 0, 'f',
     "the custody ledger: logs this opening, and its entries\nfor the vault are reported "
     "(default: $KIST_LEDGER, XDG data)"},
    {0, "bundle", "BUNDLE", 0, 'f',
     "report the custody entries of this exported ledger,\nbundle or sealed bundle instead"},
    {0, "people", NULL, 0, 0, "include the people register (left out by default)"},
    O_PDF,
    O_PAPER,
    O_FORCE_OUT,
    O_CONTACTS,
    {'q', "quiet", NULL, 0, 0, "no progress on stderr"},
};

static const opt_spec audit_report_opts[] = {
    O_REPORT_OUT,
    {'i', "identity", "FILE", 1, 'f', "an identity that opens a sealed bundle (repeatable)"},
    {0, "passphrase-file", "F", 0, 'f', "passphrase of protected identities"},
    {0, "ledger", "PATH", 0, 'f', "the custody ledger that logs the -i access"},
    O_PDF,
    O_PAPER,
    O_FORCE_OUT,
    O_CONTACTS,
};

static int cmd_help(const cli_args *a);

const cli_verb cli_verbs[] = {
    {"keygen", cmd_keygen, N(keygen_opts),
     "-o FILE [--passphrase-file F | --no-passphrase] [--weak-passphrase]\n[-q]",
     "create an identity",
     "Creates an identity (X25519 access key, Ed25519 signing key) in FILE, mode\n"
     "0600, passphrase-protected (Argon2id) unless --no-passphrase.  A passphrase\n"
     "shorter than 8 characters is refused (exit 2) unless --weak-passphrase; one\n"
     "that is easy to guess is warned about, with a rough time to guess it.  Prints the\n"
     "public key on stdout and its fingerprint on stderr.  Never replaces an\n"
     "existing FILE (vaults sealed to it could no longer be opened): move the\n"
     "old one first.\n"},
    {"pubkey", cmd_pubkey, N(pubkey_opts), "[--qr] [-q] [--contacts FILE] FILE|KEY",
     "print the public key of an identity",
     "Prints the public key (kist1...) of the identity in FILE on stdout and its\n"
     "fingerprint, to compare aloud, on stderr.  Needs no passphrase.  Given a\n"
     "kist1... key, or a file holding one, checks it and shows its fingerprint\n"
     "(line breaks, blanks, quotes and invisible characters of a paste are dropped).\n"},
    {"contacts add", cmd_contacts_add, N(contacts_add_opts), "[--contacts FILE] [-q] NAME KEY",
     "give a key a name",
     "Adds the line 'NAME KEY' to the contacts file (created mode 0600 if missing).\n"
     "Refused if NAME or KEY is already there.  NAME may hold spaces (quote it).\n"},
    {"contacts list", cmd_contacts_list, N(contacts_list_opts), "[--json] [--contacts FILE] [-q]",
     "show the contacts", "Shows each contact: name, fingerprint and key, tab-separated.\n"},
    {"contacts remove", cmd_contacts_remove, N(contacts_remove_opts), "[--contacts FILE] [-q] NAME",
     "forget a name", "Removes the contact named NAME.\n"},
    {"seal", cmd_seal, N(seal_opts),
     "(-r KEY | -R FILE)... [-s IDENTITY] [--custodian KEY]... [--quorum K] -o OUT.kist [--force]\n"
     "[-j N] [--level N] [-q] [--people REGISTER]...\n"
     "[--stdin-name NAME] [--ledger PATH] [--base DIR] [--dry-run]\n"
     "[--exclude PATTERN]... [--skip-unreadable] [--passphrase-file F]\n"
     "[--split SIZE [--parity N] | --parity P%] [--pad MODE] [--contacts FILE]\n"
     "PATH...",
     "seal files and folders into a vault",
     "Seals files and folders (recursively; '-' is standard input) for the\n"
     "recipients.  The sealer cannot reopen the vault unless listed with -r.\n"
     "The summary names the signer's and every recipient's fingerprint (with the\n"
     "contact's name if known) and the vault's SHA-256, and warns when the\n"
     "sealer's own key is a recipient.\n"
     "A people register (CSV with a header row, or a JSON array of objects:\n"
     "name, aliases, relation, born, location, status, contact, notes, media =\n"
     "vault paths, other columns kept) is sealed into the index with --people;\n"
     "a malformed one, or a media path not in the vault, writes nothing.\n"
     "Each PATH is stored under its last name (/x/y/photos as photos/...), never\n"
     "the folders above it; two inputs with the same last name are refused.\n"
     "Every input that cannot be sealed (unreadable, a name kist cannot store, a\n"
     "fifo, socket or device) is named, one line each, before anything is\n"
     "written; then the seal is refused (exit 5 if all are unreadable or missing,\n"
     "else 1) unless --skip-unreadable leaves the unreadable and special ones out.\n"},
    {"info", cmd_info, N(info_opts), "[--json] [-q] VAULT", "show what anyone can see of a vault",
     "Shows what anyone can see without a key: format version, size, number of\n"
     "recipient slots.\n"},
    {"list", cmd_list, N(list_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [-l | --json] [--ledger PATH]\n"
     "[-q] VAULT",
     "list the entries of a vault", "Lists the entries (reads the header and index only).\n"},
    {"extract", cmd_extract, N(extract_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [-C DIR] [--force]\n"
     "[--ledger PATH] [-q] VAULT [PATH... | --person WHO]",
     "extract entries, all authenticated first",
     "Extracts all entries, or those named (a folder brings all below it), or the\n"
     "media linked to a person, into DIR.  Nothing is written unless every\n"
     "selected entry authenticates; existing files are kept unless --force.\n"
     "Refused before anything is written if DIR lacks room or inodes (exit 5), or\n"
     "if two entries would be one name on a DIR that ignores case (exit 4).\n"
     "Links that would resolve outside DIR (through links already there too) are\n"
     "not created, with a warning.\n"},
    {"cat", cmd_cat, N(cat_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [--ledger PATH] [-q]\nVAULT PATH",
     "write one entry to standard output",
     "Writes one file entry to standard output, nothing before the whole entry\n"
     "has authenticated and matched its SHA-256 (else no output, exit 4).\n"},
    {"verify", cmd_verify, N(verify_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [--signer KEY] [--json]\n"
     "[--ledger PATH] [--contacts FILE] [-q] VAULT",
     "check every byte and the signature",
     "Authenticates every chunk and recomputes every SHA-256; checks the sealer's\n"
     "signature; names the vault file's SHA-256.  Exit 0 only if everything is\n"
     "intact (4 if not); 7 if intact but unsigned or signed by another than --signer.\n"
     "Given a part of a split vault, checks every part of its set without a key\n"
     "and says which are missing or damaged and whether kist repair can rebuild them.\n"
     "With VAULT.parity beside VAULT, checks both first without a key, names the\n"
     "damaged byte ranges and says whether kist repair can rebuild them (exit 4).\n"},
    {"grant", cmd_grant, N(grant_opts),
     "-i IDENTITY (-r KEY | -R FILE)... -o NEW.kist [--force]\n"
     "[--passphrase-file F] [--ledger PATH] [--contacts FILE] [-q] VAULT",
     "let more recipients open a vault, keeping its signature",
     "Writes NEW.kist: VAULT that also opens for the new recipients.  Every byte\n"
     "after the header is copied unchanged (nothing is decrypted or re-encrypted),\n"
     "so the sealer's signature still verifies; the grant is recorded in the\n"
     "header, signed by the -i identity, and kist verify shows it.  A recipient\n"
     "cannot be removed: copies already sent keep opening for the old ones.\n"
     "Version 2 vaults only.\n"},
    {"request", cmd_request, N(request_opts),
     "-i IDENTITY --reason TEXT -o ASK.kist-request [--force] [--json]\n"
     "[--passphrase-file F] [--request-store DIR] [--contacts FILE] [-q]\n"
     "VAULT (--all | --person WHO | PATH...)",
     "ask the custodians of a trustee-gated vault to release it",
     "Writes a request, signed by the -i identity (a recipient of VAULT), that\n"
     "names the vault, what is asked and why, and carries a fresh one-time key.\n"
     "Its secret half stays in the request store, wrapped to the identity.  Send\n"
     "the request to the custodians kist names; open with --release FILE (one per\n"
     "custodian, as many as the vault's quorum) once they answer.  The releases\n"
     "open once: the request key is deleted after the opening is logged.\n"
     "The request shows in clear who asks, for what and why.\n"},
    {"release", cmd_release, N(release_opts),
     "-i IDENTITY (-o OUT [--refuse] [--note TEXT] [--yes] [--force] | --show)\n"
     "[--json] [--passphrase-file F] [--ledger PATH] [--contacts FILE] [-q] REQUEST",
     "decide on a request, as a custodian (logged first)",
     "Shows who asks, for which vault, what and why, and asks for confirmation\n"
     "(--yes for scripts).  Then records the decision in the custodian's ledger\n"
     "(exit 6 if it cannot: nothing is written) and writes the release: this\n"
     "custodian's share of the vault's key, wrapped to the request's one-time\n"
     "key, with the ledger entry, its inclusion proof and a signed checkpoint.\n"
     "--refuse records and writes a refusal instead.  --show only displays.\n"},
    {"report", cmd_report, N(report_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] -o OUT\n"
     "[--ledger PATH | --bundle BUNDLE] [--people] [--pdf] [--paper SIZE]\n"
     "[--force] [--contacts FILE] [-q] VAULT",
     "write a printable report of a vault (HTML or PDF)",
     "Verifies the vault as verify does and writes one self-contained HTML page\n"
     "(no script, nothing fetched; prints to A4 or Letter): the vault file's\n"
     "SHA-256 and size, when and with what it was sealed (as claimed), the signer,\n"
     "every entry with its size, time, SHA-256 and check result, the custody\n"
     "ledger's entries for this vault with its audit and latest checkpoint, and\n"
     "how to check it all without trusting the report.  The people register only\n"
     "with --people.  The opening is logged as 'report'.  A damaged entry is named\n"
     "in the report, which is still written (exit 4); a vault that does not open\n"
     "writes nothing.  The report is plaintext about the vault: handle it so.\n"},
    {"split", cmd_split, N(split_opts), "[-o BASE] [--parity N] [--force] [-q] VAULT SIZE",
     "cut a vault into parts of at most SIZE",
     "Cuts VAULT into parts BASE.001, BASE.002, ... of at most SIZE bytes each\n"
     "(95M, 2G, 4000M: K, M, G, T are powers of 1024; KB, MB, GB, TB of 1000), for\n"
     "a messaging app's or a FAT32 stick's file limit.  --parity N adds N parity\n"
     "parts: any N parts lost or damaged can be rebuilt with kist repair.  A part\n"
     "says which set it belongs to and its number; names do not matter.  Every\n"
     "verb that opens a vault takes any one part's name.\n"},
    {"join", cmd_join, N(join_opts), "-o VAULT [--force] [-q] PART...",
     "put a split vault back together",
     "Writes the vault that a part set holds.  One PART is enough: the other\n"
     "parts are found beside it by content, whatever their names.  Every block\n"
     "is checked on the way; a missing or damaged part is named (exit 4).\n"},
    {"repair", cmd_repair, N(repair_opts), "[-o DIR] [--force] [-q] (PART... | VAULT)",
     "rebuild lost or damaged parts from parity",
     "Checks every part of the set (found beside the PARTs given) and rebuilds\n"
     "those missing or damaged from the parity parts, byte for byte as sealed.\n"
     "Given a VAULT with VAULT.parity beside it, rebuilds whichever of the two is\n"
     "damaged; an intact file is never written.  Exit 4, writing nothing, if too\n"
     "much is lost.  `kist verify PART` or `kist verify VAULT` checks without writing.\n"},
    {"parity add", cmd_parity_add, N(parity_add_opts), "[--parity P%] [--force] [-q] VAULT",
     "write a parity file beside a vault",
     "Writes VAULT.parity: Reed-Solomon parity over the vault read as 40 columns\n"
     "(fewer for a small vault), P% of their size (1% to 100%, default 5%), so that\n"
     "damage in a few places (bad sectors) can be rebuilt with kist repair VAULT.\n"
     "VAULT is not changed and opens without it.  kist verify VAULT checks both.\n"},
    {"people", cmd_people, N(people_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [--search TEXT] [--json]\n"
     "[--ledger PATH] [-q] VAULT",
     "list or search the people register",
     "Lists the people of the vault's register with their fields and linked\n"
     "media, or those matching TEXT, best matches first.  Every word must match\n"
     "the start of a word (or, from 3 letters, any part); case and accents are\n"
     "ignored.  Reads the index only.\n"},
    {"query", cmd_query, N(query_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [--csv | --json]\n"
     "[--ledger PATH] [-q] VAULT 'SQL'",
     "run a read-only SQL query over the index",
     "Runs one read-only SQL statement over the vault's index (schema in\n"
     "docs/INDEX.md).  Writes, ATTACH, PRAGMA and extension loading are refused\n"
     "(exit 2).\n"},
    {"manifest", cmd_manifest, N(manifest_opts),
     "-i IDENTITY [--passphrase-file F]\n"
     "[--release FILE]... [--request-store DIR] [--json] [--verify]\n"
     "[--ledger PATH] [--contacts FILE] [-q] VAULT",
     "print SHA-256 sums or a JSON report",
     "Prints every file's SHA-256 and path in the format 'sha256sum -c' checks in\n"
     "the extraction folder, or a JSON report for the legal file (vault id,\n"
     "sealer, entries, verification status).\n"},
    {"log list", cmd_log_list, N(log_list_opts), "[--json] [--ledger PATH] [--contacts FILE]",
     "show the custody ledger",
     "Shows the custody ledger: who opened which vault, what they took, when.\n"},
    {"log checkpoint", cmd_log_checkpoint, N(log_checkpoint_opts),
     "-s IDENTITY [--passphrase-file F] [--ledger PATH]", "print a signed checkpoint of the ledger",
     "Prints a signed checkpoint (C2SP tlog-checkpoint) of the ledger's size and\n"
     "Merkle root for a trustee to keep; also stores it in the ledger.\n"},
    {"log export", cmd_log_export, N(log_export_opts),
     "-o BUNDLE [-r TRUSTEE_KEY...] [--force] [-q] [--ledger PATH]\n"
     "[--contacts FILE]",
     "write the ledger as a JSON bundle",
     "Writes every entry, signature and checkpoint as JSON; with -r, sealed\n"
     "into a kist vault for the trustees instead.\n"},
    {"audit verify", cmd_audit_verify, N(audit_verify_opts),
     "BUNDLE_OR_LEDGER [--checkpoint OLD.note...] [--json]\n"
     "[-i IDENTITY] [-s IDENTITY] [--passphrase-file F] [--ledger PATH]\n"
     "[--cosigner KEY... [--quorum K]] [--origin ORIGIN | --state DIR]\n"
     "[--contacts FILE]",
     "check a ledger, bundle or sealed bundle",
     "Checks every signature, contiguous indices, the hash chain and the Merkle\n"
     "root, and that the log is consistent with each checkpoint (RFC 9162).\n"
     "-i opens a sealed bundle (logged, in --ledger, as an audit access).  Prints who opened\n"
     "what and when, each checkpoint (size, signer, cosigners), and a fresh checkpoint\n"
     "(signed with -s).  Exit 10 rewritten, 11 deleted, 12 reordered, 13 forged\n"
     "signature, 14 truncated, rolled back or forked, 15 bad checkpoint, not\n"
     "witnessed or a different ledger (the lowest code found).\n"},
    {"audit report", cmd_audit_report, N(audit_report_opts),
     "BUNDLE_OR_LEDGER -o OUT [-i IDENTITY] [--passphrase-file F]\n"
     "[--ledger PATH] [--pdf] [--paper SIZE] [--force] [--contacts FILE]",
     "write a printable custody audit (HTML or PDF)",
     "The trustee's view as one printable HTML page: the findings of audit\n"
     "verify, each checkpoint with who signed and cosigned it, and every entry by\n"
     "vault and by person.  Written even when the audit fails, with audit\n"
     "verify's exit code (10 to 15).\n"},
    {"audit compare", cmd_audit_compare, N(audit_compare_opts),
     "NOTE NOTE [BUNDLE_OR_LEDGER] [--json] [-q]\n"
     "[-i IDENTITY] [--passphrase-file F] [--ledger PATH] [--contacts FILE]",
     "compare two checkpoint notes",
     "Two checkpoints of one origin: consistent (exit 0) or a fork (exit 14, both\n"
     "sizes and roots printed).  Notes of different sizes are proven consistent\n"
     "only against the ledger or bundle (without it: exit 1, unchecked); notes\n"
     "of two origins, or not signed, exit 15.\n"},
    {"witness cosign", cmd_witness_cosign, N(witness_cosign_opts),
     "-i TRUSTEE --state DIR NOTE BUNDLE_OR_LEDGER [-o FILE]\n"
     "[--force] [--json] [-q] [--passphrase-file F] [--ledger PATH]\n"
     "[--contacts FILE]",
     "cosign a checkpoint the ledger extends",
     "The trustee's witness: cosigns NOTE (C2SP tlog-cosignature v1) only if a kist\n"
     "key signed it, it is of the ledger given (size and root recomputed), the\n"
     "ledger passes its audit, and it extends the last checkpoint cosigned for\n"
     "this origin (kept in DIR).  The first use pins the origin and the note's\n"
     "key.  Prints the note with the cosignature appended (or writes -o FILE).\n"
     "Exit 14: a rollback or a fork (the message says which); 15: the note is\n"
     "not signed, is of another ledger or signed by another key than pinned.\n"},
    {"help", cmd_help, NULL, 0, "[VERB] | kist VERB --help | kist --version", "show help",
     "Shows the overview, or the options of VERB.  'kist VERB --help' does the same.\n"},
};
const size_t cli_nverbs = sizeof cli_verbs / sizeof cli_verbs[0];

static const char overview_tail[] =
    "\n"
    "Identities: -i may be given several times; --passphrase-file F reads the\n"
    "passphrase of protected identities from F instead of the terminal.  age keys\n"
    "work too: age1... recipients and age-keygen identity files.\n"
    "Seal, extract and verify show progress on stderr when it is a terminal.\n"
    "Contacts ($XDG_CONFIG_HOME/kist/contacts, or --contacts FILE; only if it\n"
    "exists): -r NAME and --signer NAME take a contact's name, and every\n"
    "fingerprint printed shows the name beside it.\n"
    "\n"
    "Every opening of a vault (list, extract, cat, verify, report, people, query,\n"
    "manifest) is first recorded in the custody ledger ($KIST_LEDGER, else\n"
    "$XDG_DATA_HOME/kist/ledger.db; --ledger PATH).\n"
    "\n"
    "exit codes: 0 ok, 1 other error, 2 usage, 3 no access, 4 integrity failure,\n"
    "            5 I/O error, 6 ledger not writable (nothing released), 7 verify --signer:\n"
    "            intact but not signed by that key, 130 interrupted;\n"
    "            audit verify: 10 rewritten, 11 deleted, 12 reordered, 13 forged\n"
    "            signature, 14 truncated, rolled back or forked, 15 bad checkpoint,\n"
    "            not witnessed or a different ledger; witness cosign and audit\n"
    "            compare: 14 rollback or fork, 15 a note that does not hold\n"
    "\n"
    "See kist(1) and kist-format(5).\n";

/* Length of the first word of a verb's name ("log" of "log list"). */
static size_t group_len(const char *name)
{
	const char *sp = strchr(name, ' ');
	return sp ? (size_t)(sp - name) : strlen(name);
}

static int in_group(const cli_verb *v, const char *word)
{
	size_t n = group_len(v->name);
	return strlen(word) == n && strncmp(v->name, word, n) == 0;
}

/* Writes text, each line after the first indented by indent spaces (and each line by
 * first_indent before it, for the first). */
static void put_indented(FILE *f, const char *text, int first_indent, int indent)
{
	int col = first_indent;
	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		fprintf(f, "%*s%.*s\n", col, "", (int)n, p);
		col = indent;
		p += n + (nl != NULL);
	}
}

static void put_usage(FILE *f, const char *prefix, const cli_verb *v)
{
	int n = fprintf(f, "%skist %s ", prefix, v->name);
	put_indented(f, v->usage, 0, n > 0 ? n : 0);
}

/* "  -o, --output FILE        the identity file to create" */
static void put_options(FILE *f, const cli_verb *v)
{
	for (size_t i = 0; i < v->nopts; i++) {
		const opt_spec *o = &v->opts[i];
		char flag[64], shrt[5] = "";
		if (o->short_name != 0)
			snprintf(shrt, sizeof shrt, "-%c, ", o->short_name);
		int n = snprintf(flag, sizeof flag, "%s--%s%s%s", shrt, o->long_name,
		                 o->arg ? " " : "", o->arg ? o->arg : "");
		if (n < 0 || (size_t)n >= sizeof flag)
			continue; /* the table's own names: never that long */
		if (n > 24)       /* the help on the next line */
			fprintf(f, "  %s\n%27s", flag, "");
		else
			fprintf(f, "  %-24s ", flag);
		put_indented(f, o->help, 0, 27);
	}
}

void cli_help_overview(FILE *f)
{
	fputs("kist - seal evidence into encrypted, indexed vaults\n\nusage:\n", f);
	for (size_t i = 0; i < cli_nverbs; i++)
		put_usage(f, "  ", &cli_verbs[i]);
	fputs(overview_tail, f);
}

int cli_help(const char *verb)
{
	int found = 0;
	if (verb == NULL) {
		cli_help_overview(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		if (!in_group(v, verb))
			continue;
		if (strchr(v->name, ' ') == NULL) { /* a verb: usage, what it does, options */
			put_usage(stdout, "usage: ", v);
			fputs("\n", stdout);
			fputs(v->help, stdout);
			if (v->nopts > 0)
				fputs("\n", stdout);
		} else { /* one of the subcommands of a verb: each in turn */
			if (found)
				fputs("\n", stdout);
			put_usage(stdout, "", v);
			put_indented(stdout, v->help, 2, 2);
		}
		put_options(stdout, v);
		found = 1;
	}
	if (!found) {
		cli_usage_error(NULL, "no such verb: %s", verb);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* 1 if word is a verb with subcommands (log, audit, witness). */
static int is_group(const char *word)
{
	for (size_t i = 0; i < cli_nverbs; i++)
		if (in_group(&cli_verbs[i], word) && strchr(cli_verbs[i].name, ' ') != NULL)
			return 1;
	return 0;
}

/* kist help [VERB] (kist help log list: the verbs with subcommands have one help text). */
static int cmd_help(const cli_args *a)
{
	if (a->npos > 2 || (a->npos == 2 && !is_group(a->pos[0]))) {
		cli_usage_error("help", "usage: kist help [VERB]");
		return EXIT_USAGE;
	}
	return cli_help(a->npos == 0 ? NULL : a->pos[0]);
}

/* "usage: kist log list|checkpoint|export ..." */
static void group_usage(const char *word)
{
	char subs[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		if (!in_group(v, word) || strchr(v->name, ' ') == NULL)
			continue;
		int n = snprintf(subs + len, sizeof subs - len, "%s%s", len ? "|" : "",
		                 v->name + group_len(v->name) + 1);
		if (n < 0 || (size_t)n >= sizeof subs - len)
			break;
		len += (size_t)n;
	}
	cli_usage_error(word, "usage: kist %s %s ...", word, subs);
}

const cli_verb *cli_verb_find(int argc, char **argv, int *used)
{
	for (size_t i = 0; argc >= 1 && i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		if (!in_group(v, argv[0]))
			continue;
		if (strchr(v->name, ' ') == NULL) {
			*used = 1;
			return v;
		}
		if (argc >= 2 && strcmp(v->name + group_len(v->name) + 1, argv[1]) == 0) {
			*used = 2;
			return v;
		}
	}
	if (argc >= 1 && is_group(argv[0]))
		group_usage(argv[0]);
	else
		cli_usage_error(NULL, "unknown verb '%s'", argc >= 1 ? argv[0] : "");
	return NULL;
}
