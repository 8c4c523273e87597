/*
 * kist: the command-line tool.  Parses the verb, installs the interruption
 * handler (through the library's os layer, os/os.h),
 * dispatches, and maps library errors to exit codes.  All the work is done
 * by libkist.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t signals_seen;
volatile sig_atomic_t cli_interrupted; /* cli.h */

/* SIGINT, SIGTERM, SIGHUP (Windows: Ctrl-C, Ctrl-Break, console close). */
static void on_interrupt(void)
{
	cli_interrupted = 1;
	if (signals_seen++ == 0) {
		kist_interrupt(); /* the library stops at the next chunk and cleans up */
		return;
	}
	kist_cleanup_on_signal();
	cli_html_cleanup_on_signal(); /* report --pdf: the HTML handed to chromium */
	kist__os_exit_now(EXIT_INTERRUPTED);
}

static void harden_process(void)
{
	kist__os_harden_process(); /* no core dump can carry keys or plaintext */
	/* No restarting: blocking reads return EINTR.  SIGPIPE and SIGXFSZ ignored:
	 * a closed pipe or a file past RLIMIT_FSIZE is a write error, not death
	 * with a half-written temporary file. */
	kist__os_on_interrupt(on_interrupt);
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

/* Parses the verb's options, then runs it. */
static int run_verb(int argc, char **argv)
{
	int used = 0;
	cli_args a;
	const cli_verb *v = cli_verb_find(argc, argv, &used);
	if (v == NULL)
		return EXIT_USAGE;
	if (cli_parse(&a, v, cli_verbs, cli_nverbs, argc - used, argv + used) != 0)
		return EXIT_USAGE;
	cli_quiet = cli_count(&a, "quiet") > 0;
	int rc = EXIT_OK;
	for (size_t i = 0; i < v->nopts; i++) /* the verbs that name keys read the contacts */
		if (strcmp(v->opts[i].long_name, "contacts") == 0)
			rc = cli_contacts_load(&a);
	if (rc == EXIT_OK)
		rc = v->run(&a);
	cli_contacts_free();
	cli_args_free(&a);
	return rc;
}

int main(int argc, char **argv)
{
	harden_process();
	/* Windows hands main() its arguments in the ANSI code page. */
	if (kist__os_utf8_args(&argc, &argv) != 0) {
		cli_error(NULL, "the command line is not valid Unicode");
		return EXIT_USAGE;
	}
	if (kist_init() != KIST_OK) {
		cli_error(NULL, "cannot initialise the crypto library");
		return EXIT_OTHER;
	}
	if (argc < 2) {
		cli_help_overview(stderr);
		return EXIT_USAGE;
	}
	int rc;
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		if (argc > 2) {
			cli_usage_error(NULL, "--version takes no arguments");
			return EXIT_USAGE;
		}
		printf("kist %s\n", kist_version());
		rc = EXIT_OK;
	} else if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		static char help[] = "help";
		argv[1] = help; /* kist --help [VERB] is kist help [VERB] */
		rc = run_verb(argc - 1, argv + 1);
	} else if (wants_help(argc - 2, argv + 2)) {
		rc = cli_help(argv[1]); /* an unknown verb is a usage error there */
	} else if (strcmp(argv[1], "completion") == 0) { /* hidden: packaging/completions */
		rc = argc == 3 ? cli_completion(argv[2]) : EXIT_USAGE;
		if (argc != 3)
			cli_usage_error("completion", "usage: kist completion bash|zsh|fish");
	} else {
		rc = run_verb(argc - 1, argv + 1);
	}
	/* Data lost on the way to stdout (a full disk, a closed pipe) is a failure. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && rc == EXIT_OK) {
		cli_error(NULL, "writing standard output failed");
		rc = EXIT_IO;
	}
	return rc;
}
