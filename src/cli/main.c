/*
 * kist: the command-line tool.  Parses the verb, installs signal handlers,
 * dispatches, and maps library errors to exit codes.  All the work is done
 * by libkist.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static const char usage[] =
    "kist - seal evidence into encrypted, indexed vaults\n"
    "\n"
    "usage:\n"
    "  kist keygen -o FILE [--passphrase-file F | --no-passphrase] [--force] [-q]\n"
    "  kist pubkey [--qr] [-q] FILE|KEY\n"
    "  kist seal (-r KEY | -R FILE)... [-s IDENTITY] -o OUT.kist [--force] [-j N] [-q]\n"
    "            [--people REGISTER] [--stdin-name NAME] [--ledger PATH] [--base DIR]\n"
    "            [--dry-run] PATH...\n"
    "  kist info [--json] VAULT\n"
    "  kist list -i IDENTITY [-l | --json] VAULT\n"
    "  kist extract -i IDENTITY [-C DIR] [--force] [-q] VAULT [PATH... | --person WHO]\n"
    "  kist cat -i IDENTITY VAULT PATH\n"
    "  kist verify -i IDENTITY [--signer KEY] [--json] [-q] VAULT\n"
    "  kist people -i IDENTITY VAULT [--search TEXT] [--json]\n"
    "  kist query -i IDENTITY VAULT 'SQL' [--csv | --json]\n"
    "  kist manifest -i IDENTITY VAULT [--json] [--verify]\n"
    "  kist log list [--json] | log checkpoint -s IDENTITY | log export -o BUNDLE [-r KEY...]\n"
    "  kist audit verify BUNDLE_OR_LEDGER [--checkpoint OLD.note...] [--json] [-i IDENTITY]\n"
    "                    [--cosigner KEY... [--quorum K]] [--origin ORIGIN | --state DIR]\n"
    "  kist audit compare NOTE NOTE [BUNDLE_OR_LEDGER] [--json]\n"
    "  kist witness cosign -i TRUSTEE --state DIR NOTE BUNDLE_OR_LEDGER [-o FILE] [--json]\n"
    "  kist help [VERB] | kist VERB --help | kist --version\n"
    "\n"
    "Identities: -i may be given several times; --passphrase-file F reads the\n"
    "passphrase of protected identities from F instead of the terminal.  age keys\n"
    "work too: age1... recipients and age-keygen identity files.\n"
    "Seal, extract and verify show progress on stderr when it is a terminal.\n"
    "\n"
    "Every opening of a vault (list, extract, cat, verify, people, query, manifest)\n"
    "is first recorded in the custody ledger ($KIST_LEDGER, else\n"
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

static const struct {
	const char *verb;
	const char *help;
} helps[] = {
    {"keygen",
     "usage: kist keygen -o FILE [--passphrase-file F | --no-passphrase] [--force] [-q]\n"
     "\n"
     "Creates an identity (X25519 access key, Ed25519 signing key) in FILE, mode\n"
     "0600, passphrase-protected (Argon2id) unless --no-passphrase.  Prints the\n"
     "public key on stdout and its fingerprint on stderr.\n"
     "\n"
     "  -o, --output FILE        the identity file to create\n"
     "  --passphrase-file F      read the passphrase from F (mode 0600), not the terminal\n"
     "  --no-passphrase          store the keys unprotected (not with --passphrase-file)\n"
     "  --force                  replace an existing FILE\n"
     "  -q, --quiet              no fingerprint on stderr\n"},
    {"pubkey", "usage: kist pubkey [--qr] [-q] FILE|KEY\n"
               "\n"
               "Prints the public key (kist1...) of the identity in FILE on stdout and its\n"
               "fingerprint, to compare aloud, on stderr.  Needs no passphrase.  Given a\n"
               "kist1... key, or a file holding one, checks it and shows its fingerprint\n"
               "(line breaks, blanks, quotes and invisible characters of a paste are dropped).\n"
               "\n"
               "  --qr                     also draw the key as a QR code (for a phone camera)\n"
               "  -q, --quiet              no fingerprint on stderr\n"},
    {"seal", "usage: kist seal (-r KEY | -R FILE)... [-s IDENTITY] -o OUT.kist [--force] PATH...\n"
             "\n"
             "Seals files and folders (recursively; '-' is standard input) for the\n"
             "recipients.  The sealer cannot reopen the vault unless listed with -r.\n"
             "The summary names every recipient's fingerprint and the vault's SHA-256,\n"
             "and warns when the sealer's own key is a recipient.\n"
             "A people register (CSV with a header row, or a JSON array of objects:\n"
             "name, aliases, relation, born, location, status, contact, notes, media =\n"
             "vault paths, other columns kept) is sealed into the index with --people;\n"
             "a malformed one, or a media path not in the vault, writes nothing.\n"
             "Each PATH is stored under its last name (/x/y/photos as photos/...), never\n"
             "the folders above it; two inputs with the same last name are refused.\n"
             "\n"
             "  -r, --recipient KEY      a recipient's kist1... or age1... key, as pasted\n"
             "                           (repeatable; a file of keys goes to -R)\n"
             "  -R, --recipients-file F  one key per line, '#' comments (repeatable)\n"
             "  -s, --sign IDENTITY      sign the vault with this identity\n"
             "  --people REGISTER        seal a people register (repeatable; docs/INDEX.md)\n"
             "  --ledger PATH            log the seal in this ledger (needs -s; without it, and\n"
             "                           whatever $KIST_LEDGER says, a seal logs nothing)\n"
             "  -o, --output OUT.kist    the vault to write\n"
             "  --force                  replace an existing OUT.kist\n"
             "  --stdin-name NAME        name stored for '-' (default: stdin)\n"
             "  --base DIR               store paths relative to DIR (inputs must be inside it)\n"
             "  --dry-run                list the paths that would be stored; write nothing\n"
             "                           (no -o or recipient needed; -s is not opened)\n"
             "  --passphrase-file F      passphrase of the -s identity\n"
             "  -j, --threads N          threads (1 to 64; default: one per processor)\n"
             "  --level N                zstd level, 1 (fastest) to 19 (smallest); default 3\n"
             "  -q, --quiet              no progress, summary or notes on stderr\n"},
    {"info", "usage: kist info [--json] VAULT\n"
             "\n"
             "Shows what anyone can see without a key: format version, size, number of\n"
             "recipient slots.\n"
             "\n"
             "  --json                   one JSON document on stdout (docs/JSON.md)\n"
             "  -q, --quiet              accepted for symmetry; info prints no notes\n"},
    {"list", "usage: kist list -i IDENTITY [-l | --json] [--ledger PATH] VAULT\n"
             "\n"
             "Lists the entries (reads the header and index only).\n"
             "\n"
             "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
             "  --passphrase-file F      passphrase of protected identities\n"
             "  -l, --long               add type, mode, size, modification time and SHA-256\n"
             "  --json                   one JSON document on stdout, every field (docs/JSON.md)\n"
             "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
             "  -q, --quiet              fewer messages on stderr\n"},
    {"extract",
     "usage: kist extract -i IDENTITY [-C DIR] [--force] [-q] VAULT [PATH... | --person WHO]\n"
     "\n"
     "Extracts all entries, or those named (a folder brings all below it), or the\n"
     "media linked to a person, into DIR.  Nothing is written unless every\n"
     "selected entry authenticates; existing files are kept unless --force.\n"
     "Refused before anything is written if DIR lacks room or inodes (exit 5), or\n"
     "if two entries would be one name on a DIR that ignores case (exit 4).\n"
     "Links that would resolve outside DIR (through links already there too) are\n"
     "not created, with a warning.\n"
     "\n"
     "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
     "  --passphrase-file F      passphrase of protected identities\n"
     "  -C, --directory DIR      extract into DIR (default: the current directory)\n"
     "  --force                  replace existing files\n"
     "  --person NAME_OR_ID      the media of this person of the register\n"
     "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
     "  -q, --quiet              no progress or summary on stderr\n"},
    {"cat", "usage: kist cat -i IDENTITY VAULT PATH\n"
            "\n"
            "Writes one file entry to standard output, nothing before the whole entry\n"
            "has authenticated and matched its SHA-256 (else no output, exit 4).\n"
            "\n"
            "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
            "  --passphrase-file F      passphrase of protected identities\n"
            "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
            "  -q, --quiet              fewer messages on stderr\n"},
    {"verify", "usage: kist verify -i IDENTITY [--signer KEY] [--json] [-q] VAULT\n"
               "\n"
               "Authenticates every chunk and recomputes every SHA-256; checks the sealer's\n"
               "signature; names the vault file's SHA-256.  Exit 0 only if everything is\n"
               "intact (4 if not); 7 if intact but unsigned or signed by another than --signer.\n"
               "\n"
               "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
               "  --passphrase-file F      passphrase of protected identities\n"
               "  --signer KEY             require that KEY signed the vault: a kist1... key, a\n"
               "                           file holding one, or a fingerprint (dashes optional)\n"
               "  --json                   one JSON document on stdout (docs/JSON.md)\n"
               "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
               "  -q, --quiet              no progress on stderr\n"},
    {"people", "usage: kist people -i IDENTITY VAULT [--search TEXT] [--json]\n"
               "\n"
               "Lists the people of the vault's register with their fields and linked\n"
               "media, or those matching TEXT, best matches first.  Every word must match\n"
               "the start of a word (or, from 3 letters, any part); case and accents are\n"
               "ignored.  Reads the index only.\n"
               "\n"
               "  --search TEXT            only the people matching TEXT\n"
               "  --json                   one JSON document on stdout (docs/JSON.md)\n"
               "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
               "  --passphrase-file F      passphrase of protected identities\n"
               "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
               "  -q, --quiet              fewer messages on stderr\n"},
    {"query", "usage: kist query -i IDENTITY VAULT 'SQL' [--csv | --json]\n"
              "\n"
              "Runs one read-only SQL statement over the vault's index (schema in\n"
              "docs/INDEX.md).  Writes, ATTACH, PRAGMA and extension loading are refused\n"
              "(exit 2).\n"
              "\n"
              "  --csv                    CSV with a header row (the default)\n"
              "  --json                   one JSON document on stdout (docs/JSON.md)\n"
              "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
              "  --passphrase-file F      passphrase of protected identities\n"
              "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
              "  -q, --quiet              fewer messages on stderr\n"},
    {"manifest", "usage: kist manifest -i IDENTITY VAULT [--json] [--verify]\n"
                 "\n"
                 "Prints every file's SHA-256 and path in the format 'sha256sum -c' checks in\n"
                 "the extraction folder, or a JSON report for the legal file (vault id,\n"
                 "sealer, entries, verification status).\n"
                 "\n"
                 "  --json                   the report as one JSON document (docs/JSON.md)\n"
                 "  --verify                 first authenticate every chunk and recompute every\n"
                 "                           SHA-256 (exit 4 if an entry is damaged)\n"
                 "  -i, --identity FILE      an identity that can open the vault (repeatable)\n"
                 "  --passphrase-file F      passphrase of protected identities\n"
                 "  --ledger PATH            the custody ledger (default: $KIST_LEDGER, XDG data)\n"
                 "  -q, --quiet              fewer messages on stderr\n"},
    {"log", "kist log list [--json] [--ledger PATH]\n"
            "  Shows the custody ledger: who opened which vault, what they took, when.\n"
            "kist log checkpoint -s IDENTITY [--passphrase-file F] [--ledger PATH]\n"
            "  Prints a signed checkpoint (C2SP tlog-checkpoint) of the ledger's size and\n"
            "  Merkle root for a trustee to keep; also stores it in the ledger.\n"
            "kist log export -o BUNDLE [-r TRUSTEE_KEY...] [--force] [-q] [--ledger PATH]\n"
            "  Writes every entry, signature and checkpoint as JSON; with -r, sealed\n"
            "  into a kist vault for the trustees instead.\n"},
    {"audit",
     "kist audit verify BUNDLE_OR_LEDGER [--checkpoint OLD.note...] [--json]\n"
     "                  [-i IDENTITY] [-s IDENTITY] [--passphrase-file F] [--ledger PATH]\n"
     "                  [--cosigner KEY... [--quorum K]] [--origin ORIGIN | --state DIR]\n"
     "  Checks every signature, contiguous indices, the hash chain and the Merkle\n"
     "  root, and that the log is consistent with each checkpoint (RFC 9162).\n"
     "  -i opens a sealed bundle (logged, in --ledger, as an audit access).  Prints who opened\n"
     "  what and when, each checkpoint (size, signer, cosigners), and a fresh checkpoint\n"
     "  (signed with -s).  Exit 10 rewritten, 11 deleted, 12 reordered, 13 forged\n"
     "  signature, 14 truncated, rolled back or forked, 15 bad checkpoint, not\n"
     "  witnessed or a different ledger (the lowest code found).\n"
     "  --cosigner KEY           a trustee's kist1... key (repeatable): a checkpoint counts\n"
     "                           only if cosigned by --quorum K of them (default: all);\n"
     "                           exit 15 if none does\n"
     "  --origin ORIGIN          exit 15 if the ledger has another origin\n"
     "  --state DIR              a witness state folder: the ledger must be of an origin\n"
     "                           cosigned there (else 15) and extend it (else 14); the\n"
     "                           entries it covers, audited then, are not signature-\n"
     "                           checked again while they hash to its root\n"
     "kist audit compare NOTE NOTE [BUNDLE_OR_LEDGER] [--json] [-q]\n"
     "                   [-i IDENTITY] [--passphrase-file F] [--ledger PATH]\n"
     "  Two checkpoints of one origin: consistent (exit 0) or a fork (exit 14, both\n"
     "  sizes and roots printed).  Notes of different sizes are proven consistent\n"
     "  only against the ledger or bundle (without it: exit 1, unchecked); notes\n"
     "  of two origins, or not signed, exit 15.\n"},
    {"witness",
     "kist witness cosign -i TRUSTEE --state DIR NOTE BUNDLE_OR_LEDGER [-o FILE] [--force]\n"
     "                    [--json] [-q] [--passphrase-file F] [--ledger PATH]\n"
     "  The trustee's witness: cosigns NOTE (C2SP tlog-cosignature v1) only if a kist\n"
     "  key signed it, it is of the ledger given (size and root recomputed), the\n"
     "  ledger passes its audit, and it extends the last checkpoint cosigned for\n"
     "  this origin (kept in DIR).  The first use pins the origin and the note's\n"
     "  key.  Prints the note with the cosignature appended (or writes -o FILE).\n"
     "  Exit 14: a rollback or a fork (the message says which); 15: the note is\n"
     "  not signed, is of another ledger or signed by another key than pinned.\n"
     "  -i, --identity FILE      the trustee's identity (also opens a sealed bundle)\n"
     "  --state DIR              the witness's state folder (created 0700)\n"
     "  -o, --output FILE        write the cosigned note to FILE (not replaced unless --force)\n"
     "  --json                   one JSON document on stdout (docs/JSON.md)\n"
     "  -q, --quiet              no message on stderr\n"},
    {"help", "usage: kist help [VERB]\n"
             "\n"
             "Shows the overview, or the options of VERB.  'kist VERB --help' does the same.\n"},
};

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
	(void)sig;
	if (signals_seen++ == 0) {
		kist_interrupt(); /* the library stops at the next chunk and cleans up */
		return;
	}
	kist_cleanup_on_signal();
	_exit(EXIT_INTERRUPTED);
}

static void harden_process(void)
{
	struct rlimit rl = {0, 0};
	struct sigaction sa;
	setrlimit(RLIMIT_CORE, &rl); /* no core dump can carry keys or plaintext */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: blocking reads return EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Past RLIMIT_FSIZE a write fails with EFBIG (reported as "no space") instead of
	 * killing the process with a half-written temporary file. */
	signal(SIGXFSZ, SIG_IGN);
}

static int cmd_help(int argc, char **argv)
{
	/* "kist help log list": the verbs with subcommands have one help text. */
	if (argc > 2 || (argc == 2 && strcmp(argv[0], "log") != 0 &&
	                 strcmp(argv[0], "audit") != 0 && strcmp(argv[0], "witness") != 0)) {
		cli_usage_error("help", "usage: kist help [VERB]");
		return EXIT_USAGE;
	}
	if (argc == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++)
		if (strcmp(argv[0], helps[i].verb) == 0) {
			fputs(helps[i].help, stdout);
			return EXIT_OK;
		}
	cli_usage_error(NULL, "no such verb: %s", argv[0]);
	return EXIT_USAGE;
}

/* "kist VERB ... --help ...": --help or -h before any "--" asks for the verb's help. */
static int wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *verb;
		int (*fn)(int, char **);
	} verbs[] = {
	    {"keygen", cmd_keygen}, {"pubkey", cmd_pubkey}, {"seal", cmd_seal},
	    {"info", cmd_info},     {"list", cmd_list},     {"extract", cmd_extract},
	    {"cat", cmd_cat},       {"verify", cmd_verify}, {"help", cmd_help},
	    {"people", cmd_people}, {"query", cmd_query},   {"manifest", cmd_manifest},
	    {"log", cmd_log},       {"audit", cmd_audit},   {"witness", cmd_witness},
	};

	harden_process();
	if (kist_init() != KIST_OK) {
		cli_error(NULL, "cannot initialise the crypto library");
		return EXIT_OTHER;
	}
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	int rc = -1;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		if (argc > 2) {
			cli_usage_error(NULL, "--version takes no arguments");
			return EXIT_USAGE;
		}
		printf("kist %s\n", kist_version());
		rc = EXIT_OK;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		rc = cmd_help(argc - 2, argv + 2);
	} else if (wants_help(argc - 2, argv + 2)) {
		rc = cmd_help(1, argv + 1); /* an unknown verb is a usage error there */
	}
	for (size_t i = 0; rc < 0 && i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(argv[1], verbs[i].verb) == 0)
			rc = verbs[i].fn(argc - 2, argv + 2);
	if (rc < 0) {
		cli_usage_error(NULL, "unknown verb '%s'", argv[1]);
		return EXIT_USAGE;
	}
	/* Data lost on the way to stdout (a full disk, a closed pipe) is a failure. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == EXIT_OK) {
		cli_error(NULL, "writing standard output failed");
		rc = EXIT_IO;
	}
	return rc;
}
