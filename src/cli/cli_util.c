/* Error reporting, exit codes and safe output for the CLI (the lowest layer). */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

void cli_error(const char *context, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg[0] = '\0';
	/* Messages quote vault, ledger and file names: one line, escaped as everywhere. */
	cli_progress_clear();
	fputs("kist: ", stderr);
	if (context != NULL) {
		cli_put_safe(stderr, context, strlen(context), 0);
		fputs(": ", stderr);
	}
	cli_put_safe(stderr, msg, strlen(msg), 0);
	fputc('\n', stderr);
}

void cli_usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;
	fputs("kist: ", stderr);
	if (verb != NULL)
		fprintf(stderr, "%s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'kist help%s%s')\n", verb ? " " : "", verb ? verb : "");
}

int cli_exit_code(kist_err err)
{
	switch (err) {
	case KIST_OK:
		return EXIT_OK;
	case KIST_E_NOACCESS:
	case KIST_E_PASSPHRASE:
	case KIST_E_KEYPERM:
		return EXIT_ACCESS;
	case KIST_E_FORMAT:
	case KIST_E_CORRUPT:
	case KIST_E_SIGNATURE:
	case KIST_E_UNSAFE:
		return EXIT_INTEGRITY;
	case KIST_E_IO:
	case KIST_E_NOSPACE:
		return EXIT_IO;
	case KIST_E_INTERRUPTED:
		return EXIT_INTERRUPTED;
	default:
		return EXIT_OTHER;
	}
}

int cli_fail(const char *context, kist_err err)
{
	return cli_fail_hint(context, err, KIST_OK, NULL);
}

int cli_fail_hint(const char *context, kist_err err, kist_err when, const char *hint)
{
	const char *d = kist_errdetail();
	const char *msg = d[0] != '\0' ? d : kist_strerror(err);
	if (hint != NULL && err == when)
		cli_error(context, "%s (%s)", msg, hint);
	else
		cli_error(context, "%s", msg);
	return cli_exit_code(err);
}

/* ---------------------------------------------------------------- output */

static void file_write(void *ctx, const char *p, size_t n)
{
	fwrite(p, 1, n, (FILE *)ctx);
}

void cli_put_safe(FILE *f, const char *s, size_t len, int flags)
{
	kist_escape(s, len, (unsigned)flags, file_write, f);
}

void cli_escape(char *out, size_t cap, const char *s)
{
	kist_escape_buf(out, cap, s, 0);
}

void cli_print_path(const char *s)
{
	cli_put_safe(stdout, s, strlen(s), CLI_SAFE_BACKSLASH);
}

void cli_warn(void *ctx, const char *path, const char *message)
{
	(void)ctx;
	cli_progress_clear();
	fputs("kist: warning: ", stderr);
	cli_put_safe(stderr, path, strlen(path), CLI_SAFE_BACKSLASH);
	fputs(": ", stderr);
	cli_put_safe(stderr, message, strlen(message), 0);
	fputc('\n', stderr);
}

const char *cli_plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void cli_time(char *out, size_t cap, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (kist__os_gmtime(&tt, &tm) == NULL ||
	    strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, cap, "@%lld", t);
}

int cli_parse_count(const char *s, unsigned max, unsigned *out)
{
	unsigned long v = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -1;
	}
	if (v == 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}
