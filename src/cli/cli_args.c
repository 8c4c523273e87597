/*
 * The one option parser of the CLI: argv after the verb, against the verb's
 * options in the verb table (verbs.c), into a cli_args sized to what was given.
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

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

/* Options a verb refuses on purpose, with the reason and what to do instead. */
static const struct {
	const char *verb, *option, *why;
} refused[] = {
    {"keygen", "force",
     "keygen never replaces an identity (vaults sealed to it could no longer be opened); "
     "move the old file elsewhere first"},
};

/* An option of another verb is named as such (the verb's own table does not have it). */
static void unknown_long(const cli_args *a, const char *name, size_t nl)
{
	for (size_t r = 0; r < sizeof refused / sizeof refused[0]; r++)
		if (strcmp(refused[r].verb, a->verb) == 0 && strlen(refused[r].option) == nl &&
		    strncmp(refused[r].option, name, nl) == 0) {
			cli_usage_error(a->verb, "--%s: %s", refused[r].option, refused[r].why);
			return;
		}
	for (size_t v = 0; v < a->nall; v++)
		for (size_t i = 0; i < a->all[v].nopts; i++)
			if (strlen(a->all[v].opts[i].long_name) == nl &&
			    strncmp(a->all[v].opts[i].long_name, name, nl) == 0) {
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

int cli_parse(cli_args *a, const cli_verb *verb, const cli_verb *all, size_t nall, int argc,
              char **argv)
{
	int only_pos = 0, rc = -1;
	size_t ng = 0;
	memset(a, 0, sizeof *a);
	a->specs = verb->opts;
	a->nspecs = verb->nopts;
	a->verb = verb->name;
	a->all = all;
	a->nall = nall;
	/* Never more options or arguments than words given. */
	given *g = calloc((size_t)argc + 1, sizeof *g);
	a->vals = calloc((size_t)argc + 1, sizeof *a->vals);
	a->first = calloc(a->nspecs + 1, sizeof *a->first);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	if (g == NULL || a->vals == NULL || a->first == NULL || a->pos == NULL) {
		cli_fail(NULL, KIST_E_NOMEM);
		goto out;
	}
	/* The entries these verbs name after the vault are in kist's form: on
	 * Windows "docs\a.txt" is "docs/a.txt" (a name there holds no '\'). */
	int entries = strcmp(verb->name, "extract") == 0 || strcmp(verb->name, "cat") == 0 ||
	              strcmp(verb->name, "request") == 0;
	for (int k = 0; k < argc; k++) {
		char *arg = argv[k];
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (entries && a->npos > 0)
				kist__os_path_slashes(arg);
			a->pos[a->npos++] = arg;
		} else if (strcmp(arg, "--") == 0)
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
