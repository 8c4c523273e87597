/* Option parsing, error reporting, passphrases and identities for the CLI. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

int cli_quiet;

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
	const char *d = kist_errdetail();
	if (d[0] != '\0')
		cli_error(context, "%s", d);
	else
		cli_error(context, "%s", kist_strerror(err));
	return cli_exit_code(err);
}

static int spec_index(const cli_args *a, const char *long_name)
{
	for (size_t i = 0; i < a->nspecs; i++)
		if (strcmp(a->specs[i].long_name, long_name) == 0)
			return (int)i;
	return -1;
}

size_t cli_count(const cli_args *a, const char *long_name)
{
	int i = spec_index(a, long_name);
	return i < 0 ? 0 : a->first[i + 1] - a->first[i];
}

const char *cli_get_n(const cli_args *a, const char *long_name, size_t n)
{
	int i = spec_index(a, long_name);
	return (i < 0 || n >= a->first[i + 1] - a->first[i]) ? NULL : a->vals[a->first[i] + n];
}

const char *cli_get(const cli_args *a, const char *long_name)
{
	size_t n = cli_count(a, long_name);
	return n == 0 ? NULL : cli_get_n(a, long_name, n - 1);
}

void cli_args_free(cli_args *a)
{
	free(a->vals);
	free(a->first);
	free(a->pos);
	memset(a, 0, sizeof *a);
}

/* An option of another verb is named as such (the verb's own table does not have it). */
static void unknown_long(const cli_args *a, const char *name, size_t nl)
{
	for (size_t v = 0; v < cli_nverbs; v++)
		for (size_t i = 0; i < cli_verbs[v].nopts; i++)
			if (strlen(cli_verbs[v].opts[i].long_name) == nl &&
			    strncmp(cli_verbs[v].opts[i].long_name, name, nl) == 0) {
				cli_usage_error(a->verb, "--%.*s does not apply to %s", (int)nl,
				                name, a->verb);
				return;
			}
	cli_usage_error(a->verb, "unknown option --%.*s", (int)nl, name);
}

/* The spec of "--name[=value]" or "-xVALUE"; *val is the value attached, if any.  -1 after
 * a usage error. */
static long find_spec(const cli_args *a, const char *arg, const char **val)
{
	size_t i;
	*val = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		for (i = 0; i < a->nspecs; i++)
			if (strlen(a->specs[i].long_name) == nl &&
			    strncmp(a->specs[i].long_name, name, nl) == 0)
				break;
		if (i == a->nspecs) {
			unknown_long(a, name, nl);
			return -1;
		}
		if (eq != NULL && a->specs[i].arg == NULL) {
			cli_usage_error(a->verb, "--%s takes no value", a->specs[i].long_name);
			return -1;
		}
		*val = eq ? eq + 1 : NULL;
		return (long)i;
	}
	for (i = 0; i < a->nspecs; i++)
		if (a->specs[i].short_name == arg[1])
			break;
	if (i == a->nspecs) {
		cli_usage_error(a->verb, "unknown option -%c", arg[1]);
		return -1;
	}
	if (arg[2] != '\0') {
		if (a->specs[i].arg == NULL) {
			cli_usage_error(a->verb, "-%c takes no value (write flags apart)", arg[1]);
			return -1;
		}
		*val = arg + 2;
	}
	return (long)i;
}

/* The options given, in order: spec and value. */
typedef struct given {
	size_t spec;
	const char *val;
} given;

/* Adds one option (taking its value from argv[*k + 1] if it needs one); first[i + 1]
 * counts the values of spec i until cli_parse() groups them. */
static int add_option(cli_args *a, given *g, size_t *ng, const char *arg, int argc, char **argv,
                      int *k)
{
	const char *val;
	long i = find_spec(a, arg, &val);
	if (i < 0)
		return -1;
	const opt_spec *s = &a->specs[i];
	if (s->arg != NULL && val == NULL) {
		if (*k + 1 >= argc) {
			cli_usage_error(a->verb, "--%s needs a value", s->long_name);
			return -1;
		}
		val = argv[++*k];
	}
	if (!s->multi && a->first[i + 1] > 0) {
		cli_usage_error(a->verb, "--%s given more than once", s->long_name);
		return -1;
	}
	a->first[i + 1]++;
	g[*ng].spec = (size_t)i;
	g[(*ng)++].val = val ? val : "";
	return 0;
}

/* Counts become offsets; each spec's values go together, in the order given. */
static void group_values(cli_args *a, const given *g, size_t ng)
{
	for (size_t i = 0; i < a->nspecs; i++)
		a->first[i + 1] += a->first[i];
	size_t *next = a->first; /* reused as cursors, restored below */
	for (size_t k = 0; k < ng; k++)
		a->vals[next[g[k].spec]++] = g[k].val;
	for (size_t i = a->nspecs; i > 0; i--)
		a->first[i] = a->first[i - 1];
	a->first[0] = 0;
}

int cli_parse(cli_args *a, const cli_verb *verb, int argc, char **argv)
{
	int only_pos = 0, rc = -1;
	size_t ng = 0;
	memset(a, 0, sizeof *a);
	a->specs = verb->opts;
	a->nspecs = verb->nopts;
	a->verb = verb->name;
	/* Never more options or arguments than words given. */
	given *g = calloc((size_t)argc + 1, sizeof *g);
	a->vals = calloc((size_t)argc + 1, sizeof *a->vals);
	a->first = calloc(a->nspecs + 1, sizeof *a->first);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	if (g == NULL || a->vals == NULL || a->first == NULL || a->pos == NULL) {
		cli_fail(NULL, KIST_E_NOMEM);
		goto out;
	}
	for (int k = 0; k < argc; k++) {
		char *arg = argv[k];
		if (only_pos || arg[0] != '-' || arg[1] == '\0')
			a->pos[a->npos++] = arg;
		else if (strcmp(arg, "--") == 0)
			only_pos = 1;
		else if (add_option(a, g, &ng, arg, argc, argv, &k) != 0)
			goto out;
	}
	group_values(a, g, ng);
	rc = 0;
out:
	free(g);
	if (rc != 0)
		cli_args_free(a);
	return rc;
}

/* --------------------------------------------------------------- passphrases */

static kist_err read_passfile(const char *path, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		cli_error(path, "%s", strerror(errno));
		return KIST_E_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		close(fd);
		cli_error(path, "a passphrase file must be a regular file readable only by you "
		                "(chmod 600)");
		return KIST_E_KEYPERM;
	}
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	char *nl = memchr(buf, '\n', n);
	if (nl != NULL)
		n = (size_t)(nl - buf);
	else if (n == cap) {
		cli_error(path, "passphrase longer than %d bytes", KIST_PASSPHRASE_MAX - 1);
		return KIST_E_LIMIT;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		cli_error(path, "empty passphrase");
		return KIST_E_PASSPHRASE;
	}
	*len = n;
	return KIST_OK;
}

static kist_err tty_read(int tty, const char *prompt, char *buf, size_t cap, size_t *len)
{
	struct termios old, quiet;
	size_t n = 0;
	char c;
	kist_err err = KIST_OK;

	if (tcgetattr(tty, &old) != 0)
		return KIST_E_IO;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	/* Echo off before the prompt, so nothing typed early is shown; nothing discarded. */
	tcsetattr(tty, TCSANOW, &quiet);
	if (write(tty, prompt, strlen(prompt)) < 0) {
		tcsetattr(tty, TCSANOW, &old);
		return KIST_E_IO;
	}
	for (;;) {
		ssize_t r = read(tty, &c, 1);
		if (r < 0 && errno == EINTR) {
			err = KIST_E_INTERRUPTED;
			break;
		}
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap) {
			err = KIST_E_LIMIT;
			break;
		}
		buf[n++] = c;
	}
	tcsetattr(tty, TCSANOW, &old);
	if (write(tty, "\n", 1) < 0)
		err = KIST_E_IO;
	c = 0;
	*len = n;
	return err;
}

kist_err cli_read_passphrase(const char *passfile, const char *prompt, int confirm, char *buf,
                             size_t cap, size_t *len)
{
	if (passfile != NULL)
		return read_passfile(passfile, buf, cap, len);
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0) {
		cli_error(NULL, "no terminal to ask for a passphrase: use --passphrase-file");
		return KIST_E_PASSPHRASE;
	}
	kist_err err = tty_read(tty, prompt, buf, cap, len);
	if (err == KIST_OK && *len == 0) {
		cli_error(NULL, "empty passphrase");
		err = KIST_E_PASSPHRASE;
	}
	if (err == KIST_OK && confirm) {
		char *again = sodium_malloc(cap);
		size_t alen = 0;
		if (again == NULL) {
			err = KIST_E_NOMEM;
		} else {
			err = tty_read(tty, "Repeat the passphrase: ", again, cap, &alen);
			if (err == KIST_OK &&
			    (alen != *len || sodium_memcmp(again, buf, alen) != 0)) {
				cli_error(NULL, "the passphrases do not match");
				err = KIST_E_PASSPHRASE;
			}
			sodium_free(again);
		}
	}
	close(tty);
	if (err == KIST_E_LIMIT)
		cli_error(NULL, "passphrase too long");
	return err;
}

typedef struct pass_ctx {
	const char *passfile;
	int reported; /* the callback already told the user what went wrong */
} pass_ctx;

static kist_err pass_cb(void *ctx, const char *path, char *buf, size_t cap, size_t *len)
{
	pass_ctx *pc = ctx;
	char prompt[512];
	snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
	kist_err err = cli_read_passphrase(pc->passfile, prompt, 0, buf, cap, len);
	if (err != KIST_OK)
		pc->reported = 1;
	return err;
}

/* Loads every identity of one file (an age identity file may hold several). */
static int load_identity_file(const char *path, const char *passfile, kist_identity ***out,
                              size_t *n)
{
	pass_ctx pc = {passfile, 0};
	kist_err err = kist_identity_load_all(out, n, path, pass_cb, &pc);
	if (err != KIST_OK) {
		if (pc.reported)
			return cli_exit_code(err);
		return cli_fail(NULL, err);
	}
	return EXIT_OK;
}

int cli_load_identity(const char *path, const char *passfile, kist_identity **out)
{
	pass_ctx pc = {passfile, 0};
	kist_err err = kist_identity_load(out, path, pass_cb, &pc);
	if (err != KIST_OK) {
		if (pc.reported)
			return cli_exit_code(err);
		return cli_fail(NULL, err);
	}
	return EXIT_OK;
}

int cli_load_identities(const cli_args *a, kist_identity ***ids, size_t *n)
{
	size_t count = cli_count(a, "identity"), total = 0;
	const char *passfile = cli_get(a, "passphrase-file");
	kist_identity **list = NULL;
	if (count == 0) {
		cli_usage_error(NULL, "an identity is needed: -i FILE");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < count; i++) {
		kist_identity **got = NULL, **grown;
		size_t ngot = 0;
		int rc = load_identity_file(cli_get_n(a, "identity", i), passfile, &got, &ngot);
		if (rc != EXIT_OK) {
			cli_free_identities(list, total);
			return rc;
		}
		grown = realloc(list, (total + ngot) * sizeof *list);
		if (grown == NULL) {
			kist_identities_free(got, ngot);
			cli_free_identities(list, total);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
		list = grown;
		memcpy(list + total, got, ngot * sizeof *got);
		total += ngot;
		free(got); /* the identities now belong to list */
	}
	*ids = list;
	*n = total;
	return EXIT_OK;
}

void cli_free_identities(kist_identity **ids, size_t n)
{
	kist_identities_free(ids, n);
}

/* ---------------------------------------------------------------- output */

size_t cli_utf8_seq(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[k] & 0x3f);
	}
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

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

void cli_human_size(char *out, size_t cap, unsigned long long n)
{
	static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu bytes", n);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}

void cli_time(char *out, size_t cap, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
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
