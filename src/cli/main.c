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
    "  kist keygen -o FILE [--passphrase-file F | --no-passphrase] [--force]\n"
    "  kist pubkey FILE\n"
    "  kist seal -r KEY [-r KEY...] [-R FILE] [-s IDENTITY] -o OUT.kist [--force]\n"
    "            [--people REGISTER] [--stdin-name NAME] PATH...\n"
    "  kist info VAULT\n"
    "  kist list -i IDENTITY [-l] VAULT\n"
    "  kist extract -i IDENTITY [-C DIR] [--force] VAULT [PATH... | --person WHO]\n"
    "  kist cat -i IDENTITY VAULT PATH\n"
    "  kist verify -i IDENTITY [--signer KEY] VAULT\n"
    "  kist people -i IDENTITY VAULT [--search TEXT] [--json]\n"
    "  kist query -i IDENTITY VAULT 'SQL' [--csv | --json]\n"
    "  kist manifest -i IDENTITY VAULT [--json] [--verify]\n"
    "  kist log list [--json] | log checkpoint -s IDENTITY | log export -o BUNDLE [-r KEY...]\n"
    "  kist audit verify BUNDLE_OR_LEDGER [--checkpoint OLD.note...] [--json] [-i IDENTITY]\n"
    "  kist help [VERB] | kist --version\n"
    "\n"
    "Identities: -i may be given several times; --passphrase-file F reads the\n"
    "passphrase of protected identities from F instead of the terminal.  age keys\n"
    "work too: age1... recipients and age-keygen identity files.\n"
    "\n"
    "Every opening of a vault (list, extract, cat, verify) is first recorded in the\n"
    "custody ledger ($KIST_LEDGER, else $XDG_DATA_HOME/kist/ledger.db; --ledger PATH).\n"
    "\n"
    "exit codes: 0 ok, 1 other error, 2 usage, 3 no access, 4 integrity failure,\n"
    "            5 I/O error, 6 ledger not writable (nothing released), 130 interrupted;\n"
    "            audit verify: 10 rewritten, 11 deleted, 12 reordered, 13 forged\n"
    "            signature, 14 truncated or rolled back, 15 bad checkpoint\n";

static const struct {
	const char *verb;
	const char *help;
} helps[] = {
    {"keygen", "kist keygen -o FILE [--passphrase-file F | --no-passphrase] [--force]\n"
               "  Creates an identity (X25519 access key, Ed25519 signing key) in FILE, mode\n"
               "  0600, passphrase-protected (Argon2id) unless --no-passphrase.  Prints the\n"
               "  public key on stdout and its fingerprint on stderr.\n"},
    {"pubkey", "kist pubkey FILE\n"
               "  Prints the public key (kist1...) of the identity in FILE on stdout and its\n"
               "  fingerprint, to compare aloud, on stderr.  For an age identity file\n"
               "  (AGE-SECRET-KEY-1...), two lines per key: its age1... recipient, then its\n"
               "  kist1... key, which names it as a signer (verify --signer).\n"},
    {"seal", "kist seal -r KEY [-r KEY...] [-R FILE] [-s IDENTITY] -o OUT.kist PATH...\n"
             "  Seals files and folders (recursively; '-' is standard input, stored under\n"
             "  --stdin-name, default 'stdin') for the recipients: kist1... or age1...\n"
             "  keys.  -R reads keys from a file, one per line ('#' comments allowed).\n"
             "  -s signs the vault with IDENTITY (kist or age).  --force replaces an\n"
             "  existing OUT.  The sealer cannot reopen the vault unless listed with -r.\n"
             "  --people FILE adds a people register (CSV with a header row, or a JSON\n"
             "  array of objects): name (required), aliases, relation, born, location,\n"
             "  status, contact, notes, media (vault paths, ';'-separated in CSV); other\n"
             "  columns are kept.  A malformed register, or a media path that is not in\n"
             "  the vault, is refused with its line and nothing is written.\n"},
    {"info", "kist info VAULT\n"
             "  Shows what anyone can see without a key: format version, size, number of\n"
             "  recipient slots.\n"},
    {"list", "kist list -i IDENTITY [-l] VAULT\n"
             "  Lists the entries (reads the header and index only).  -l adds type, mode,\n"
             "  size, modification time and SHA-256.\n"},
    {"extract", "kist extract -i IDENTITY [-C DIR] [--force] VAULT [PATH...]\n"
                "  Extracts all entries, or those named (a folder brings all below it), into\n"
                "  DIR (default: the current directory).  Nothing is written unless every\n"
                "  selected entry authenticates; existing files are kept unless --force.\n"
                "  --person NAME_OR_ID extracts the media linked to that person.\n"},
    {"cat", "kist cat -i IDENTITY VAULT PATH\n"
            "  Writes one file entry to standard output, each chunk authenticated first.\n"},
    {"verify", "kist verify -i IDENTITY [--signer KEY] VAULT\n"
               "  Authenticates every chunk and recomputes every SHA-256; checks the\n"
               "  sealer's signature (and with --signer, that KEY signed it).  Exit 0 only\n"
               "  if everything is intact.\n"},
    {"people", "kist people -i IDENTITY VAULT [--search TEXT] [--json]\n"
               "  Lists the people of the vault's register with their fields and linked\n"
               "  media, or those matching TEXT, best matches first.  Every word must\n"
               "  match the start of a word (or, from 3 letters, any part); case and\n"
               "  accents are ignored.  Reads the index only.\n"},
    {"query", "kist query -i IDENTITY VAULT 'SQL' [--csv | --json]\n"
              "  Runs one read-only SQL statement over the vault's index (schema in\n"
              "  docs/INDEX.md) and prints CSV (the default) or JSON.  Writes, ATTACH,\n"
              "  PRAGMA and extension loading are refused (exit 2).\n"},
    {"manifest", "kist manifest -i IDENTITY VAULT [--json] [--verify]\n"
                 "  Prints every file's SHA-256 and path in the format `sha256sum -c`\n"
                 "  checks in the extraction folder; --json prints a report for the legal\n"
                 "  file (vault id, sealer, entries, verification status).  --verify first\n"
                 "  authenticates every chunk and recomputes every SHA-256 (exit 4 if any\n"
                 "  entry is damaged).\n"},
    {"log", "kist log list [--json] [--ledger PATH]\n"
            "  Shows the custody ledger: who opened which vault, what they took, when.\n"
            "kist log checkpoint -s IDENTITY [--ledger PATH]\n"
            "  Prints a signed checkpoint (C2SP tlog-checkpoint) of the ledger's size and\n"
            "  Merkle root for a trustee to keep; also stores it in the ledger.\n"
            "kist log export -o BUNDLE [-r TRUSTEE_KEY...] [--force] [--ledger PATH]\n"
            "  Writes every entry, signature and checkpoint as JSON; with -r, sealed\n"
            "  into a kist vault for the trustees instead.\n"},
    {"audit", "kist audit verify BUNDLE_OR_LEDGER [--checkpoint OLD.note...] [--json]\n"
              "                  [-i IDENTITY] [-s IDENTITY]\n"
              "  Checks every signature, contiguous indices, the hash chain and the Merkle\n"
              "  root, and that the log is consistent with each checkpoint (RFC 9162).\n"
              "  -i opens a sealed bundle (logged as an audit access).  Prints who opened\n"
              "  what and when, and a fresh checkpoint (signed with -s).  Exit 10 rewritten,\n"
              "  11 deleted, 12 reordered, 13 forged signature, 14 truncated or rolled\n"
              "  back, 15 bad checkpoint (the lowest code found).\n"},
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
	    {"log", cmd_log},       {"audit", cmd_audit},
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
		printf("kist %s\n", kist_version());
		rc = EXIT_OK;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		rc = cmd_help(0, NULL);
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
