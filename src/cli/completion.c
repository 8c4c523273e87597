/*
 * kist completion bash|zsh|fish (hidden): the shell completions, produced
 * from the verb table (verbs.c).  packaging/completions/ holds their output,
 * which tests/cli/help_flags.sh compares with this.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static int is_sub(const cli_verb *v)
{
	return strchr(v->name, ' ') != NULL;
}

/* The words of v's name: "log" and "list" of "log list" (sub is "" for a plain verb). */
static void split_name(const cli_verb *v, char *group, size_t cap, const char **sub)
{
	const char *sp = strchr(v->name, ' ');
	size_t n = sp ? (size_t)(sp - v->name) : strlen(v->name);
	snprintf(group, cap, "%.*s", (int)n, v->name);
	*sub = sp ? sp + 1 : "";
}

/* 1 if v is the first subcommand of its group (where the group is described). */
static int first_of_group(const cli_verb *v)
{
	return is_sub(v) && (v == cli_verbs || !is_sub(v - 1) ||
	                     strncmp(v[-1].name, v->name, strchr(v->name, ' ') - v->name + 1) != 0);
}

/* The subcommands of v's group, separated by sep. */
static void put_subs(FILE *f, const cli_verb *v, const char *sep)
{
	char group[32];
	const char *sub;
	split_name(v, group, sizeof group, &sub);
	for (const cli_verb *w = v; w < cli_verbs + cli_nverbs; w++) {
		char g2[32];
		const char *s2;
		split_name(w, g2, sizeof g2, &s2);
		if (!is_sub(w) || strcmp(g2, group) != 0)
			break;
		fprintf(f, "%s%s", w == v ? "" : sep, s2);
	}
}

/* First line of an option's help, with quote (and for zsh, bracket) escaped. */
static void put_desc(FILE *f, const char *help, const char *quote_esc, int brackets)
{
	for (const char *p = help; *p != '\0' && *p != '\n'; p++) {
		if (*p == '\'')
			fputs(quote_esc, f);
		else if (brackets && (*p == '[' || *p == ']'))
			fprintf(f, "\\%c", *p);
		else
			fputc(*p, f);
	}
}

/* ---------------------------------------------------------------- bash */

/* The options of every verb whose value is of kind c ('f', 'd'; 1: no completion). */
static void bash_values(FILE *f, int kind)
{
	const char *sep = "";
	for (size_t i = 0; i < cli_nverbs; i++)
		for (size_t k = 0; k < cli_verbs[i].nopts; k++) {
			const opt_spec *o = &cli_verbs[i].opts[k];
			int seen = 0;
			if (o->arg == NULL || (kind == 1 ? o->complete != 0 : o->complete != kind))
				continue;
			/* Once each, at its first appearance. */
			for (size_t j = 0; j <= i && !seen; j++)
				for (size_t m = 0; m < cli_verbs[j].nopts && !seen; m++) {
					const opt_spec *p = &cli_verbs[j].opts[m];
					if (j == i && m == k)
						break;
					seen = p->arg != NULL && p->short_name == o->short_name &&
					       strcmp(p->long_name, o->long_name) == 0;
				}
			if (seen)
				continue;
			if (o->short_name != 0)
				fprintf(f, "%s-%c", sep, o->short_name), sep = " | ";
			fprintf(f, "%s--%s", sep, o->long_name);
			sep = " | ";
		}
}

static const char bash_head[] =
    "# bash completion for kist: verbs, each verb's options, the subcommands of\n"
    "# log, audit and witness, and file names.  Produced by 'kist completion bash'\n"
    "# from the verb table (src/cli/verbs.c); do not edit by hand.\n"
    "# Installed as share/bash-completion/completions/kist.\n"
    "\n"
    "# The options of a verb (or of \"log SUB\" / \"audit SUB\" / \"witness SUB\"), as kist help "
    "VERB lists them.\n"
    "_kist_opts() {\n"
    "\tcase $1 in\n";

static const char bash_body[] = "\tesac\n"
                                "}\n"
                                "\n"
                                "_kist() {\n"
                                "\tlocal cur prev verb first i subs\n"
                                "\tCOMPREPLY=()\n"
                                "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
                                "\tprev=${COMP_WORDS[COMP_CWORD - 1]}\n";

static const char bash_tail[] =
    "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$verbs --help --version\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tverb=${COMP_WORDS[1]}\n"
    "\tfirst=2 # the first word after the verb (and its subcommand)\n"
    "\tsubs=$(_kist_subs \"$verb\")\n"
    "\tif [ \"$verb\" = help ]; then\n"
    "\t\t[ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W \"$verbs\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tif [ -n \"$subs\" ]; then\n"
    "\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then\n"
    "\t\t\tif [[ $cur == -* ]]; then\n"
    "\t\t\t\tCOMPREPLY=($(compgen -W \"-h --help\" -- \"$cur\"))\n"
    "\t\t\telse\n"
    "\t\t\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
    "\t\t\tfi\n"
    "\t\t\treturn 0\n"
    "\t\tfi\n"
    "\t\tcase \" $subs \" in\n"
    "\t\t*\" ${COMP_WORDS[2]} \"*) verb=\"$verb ${COMP_WORDS[2]}\" ;;\n"
    "\t\t*) return 0 ;;\n"
    "\t\tesac\n"
    "\t\tfirst=3\n"
    "\tfi\n"
    "\n"
    "\t# The value of an option that takes one.\n"
    "\tcase $prev in\n";

static const char bash_end[] =
    "\tesac\n"
    "\n"
    "\t# Options, unless \"--\" came before.\n"
    "\tfor ((i = first; i < COMP_CWORD; i++)); do\n"
    "\t\t[ \"${COMP_WORDS[i]}\" = \"--\" ] && break\n"
    "\tdone\n"
    "\tif [ \"$i\" -eq \"$COMP_CWORD\" ] && [[ $cur == -* ]]; then\n"
    "\t\tCOMPREPLY=($(compgen -W \"$(_kist_opts \"$verb\")\" -- \"$cur\"))\n"
    "\t\treturn 0\n"
    "\tfi\n"
    "\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
    "\treturn 0\n"
    "}\n"
    "\n"
    "complete -o filenames -F _kist kist\n";

/* The verbs, each verb with subcommands once, separated by blanks. */
static void put_verb_names(FILE *f)
{
	for (size_t i = 0, n = 0; i < cli_nverbs; i++)
		if (!is_sub(&cli_verbs[i]) || first_of_group(&cli_verbs[i])) {
			char group[32];
			const char *sub;
			split_name(&cli_verbs[i], group, sizeof group, &sub);
			fprintf(f, "%s%s", n++ ? " " : "", group);
		}
}

static void bash_verbs(FILE *f)
{
	fputs("\tlocal verbs=\"", f);
	put_verb_names(f);
	fputs("\"\n", f);
}

static void bash(FILE *f)
{
	fputs(bash_head, f);
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		fprintf(f, is_sub(v) ? "\t\"%s\") echo \"" : "\t%s) echo \"", v->name);
		for (size_t k = 0; k < v->nopts; k++) {
			if (v->opts[k].short_name != 0)
				fprintf(f, "-%c ", v->opts[k].short_name);
			fprintf(f, "--%s ", v->opts[k].long_name);
		}
		fputs("-h --help\" ;;\n", f);
	}
	fputs("\tesac\n}\n\n# The subcommands of a verb that has them.\n_kist_subs() {\n\tcase $1 "
	      "in\n",
	      f);
	for (size_t i = 0; i < cli_nverbs; i++)
		if (first_of_group(&cli_verbs[i])) {
			char group[32];
			const char *sub;
			split_name(&cli_verbs[i], group, sizeof group, &sub);
			fprintf(f, "\t%s) echo \"", group);
			put_subs(f, &cli_verbs[i], " ");
			fputs("\" ;;\n", f);
		}
	fputs(bash_body, f);
	bash_verbs(f);
	fputs("\n", f);
	fputs(bash_tail, f);
	fputs("\t", f);
	bash_values(f, 'd');
	fputs(")\n\t\tCOMPREPLY=($(compgen -d -- \"$cur\"))\n\t\treturn 0\n\t\t;;\n\t", f);
	bash_values(f, 'f');
	fputs(")\n\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n\t\treturn 0\n\t\t;;\n\t", f);
	bash_values(f, 1);
	fputs(")\n\t\treturn 0 # a key, a name, a number or a text: nothing to offer\n\t\t;;\n", f);
	fputs(bash_end, f);
}

/* ----------------------------------------------------------------- zsh */

static void zsh_option(FILE *f, const opt_spec *o)
{
	static const char *const actions[] = {"", "_files", "_directories"};
	const char *action = actions[o->complete == 'f' ? 1 : o->complete == 'd' ? 2 : 0];
	const char *eq = o->arg ? "=" : "", *plus = o->arg ? "+" : "";
	fputs("\t\t", f);
	if (o->multi)
		fputs("'*'", f);
	else if (o->short_name != 0)
		fprintf(f, "'(-%c --%s)'", o->short_name, o->long_name);
	if (o->short_name != 0)
		fprintf(f, "{-%c%s,--%s%s}'[", o->short_name, plus, o->long_name, eq);
	else
		fprintf(f, "'--%s%s[", o->long_name, eq);
	put_desc(f, o->help, "'\\''", 1);
	fputc(']', f);
	if (o->arg != NULL)
		fprintf(f, ":%s:%s", o->arg, action);
	fputs("' \\\n", f);
}

static void zsh_function(FILE *f, const cli_verb *v)
{
	fputs("_kist_", f);
	for (const char *p = v->name; *p != '\0'; p++)
		fputc(*p == ' ' ? '_' : *p, f);
	fputs("() {\n\t_arguments \\\n", f);
	for (size_t k = 0; k < v->nopts; k++)
		zsh_option(f, &v->opts[k]);
	fputs("\t\t'(-h --help)'{-h,--help}'[show the help of the verb]' \\\n"
	      "\t\t'*:argument:_files'\n}\n\n",
	      f);
}

static const char zsh_main[] = "\tif (( CURRENT == 2 )); then\n"
                               "\t\t_describe -t verbs 'kist verb' verbs\n"
                               "\t\t_arguments '--help[show help]' '--version[show the version]'\n"
                               "\t\treturn\n"
                               "\tfi\n"
                               "\tlocal verb=$words[2]\n"
                               "\tshift words\n"
                               "\t(( CURRENT-- ))\n"
                               "\tif [[ $verb == help ]]; then\n"
                               "\t\t_describe -t verbs 'kist verb' verbs\n"
                               "\t\treturn\n"
                               "\tfi\n"
                               "\tif (( $+functions[_kist_$verb] )); then\n"
                               "\t\t_kist_$verb\n"
                               "\t\treturn\n"
                               "\tfi\n"
                               "\tlocal -a subs\n"
                               "\tcase $verb in\n";

static const char zsh_end[] = "\t*) return 1 ;;\n"
                              "\tesac\n"
                              "\tif (( CURRENT == 2 )); then\n"
                              "\t\t_describe -t commands \"kist $verb subcommand\" subs\n"
                              "\t\treturn\n"
                              "\tfi\n"
                              "\tlocal sub=$words[2]\n"
                              "\tshift words\n"
                              "\t(( CURRENT-- ))\n"
                              "\t(( $+functions[_kist_${verb}_$sub] )) && _kist_${verb}_$sub\n"
                              "}\n"
                              "\n"
                              "_kist \"$@\"\n";

static void zsh(FILE *f)
{
	fputs("#compdef kist\n"
	      "# zsh completion for kist: verbs, each verb's options, and file names.\n"
	      "# Produced by 'kist completion zsh' from the verb table (src/cli/verbs.c);\n"
	      "# do not edit by hand.  Installed as share/zsh/vendor-completions/_kist.\n\n",
	      f);
	for (size_t i = 0; i < cli_nverbs; i++)
		if (strcmp(cli_verbs[i].name, "help") != 0)
			zsh_function(f, &cli_verbs[i]);
	fputs("_kist() {\n\tlocal -a verbs\n\tverbs=(\n", f);
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		char group[32];
		const char *sub;
		split_name(v, group, sizeof group, &sub);
		if (!is_sub(v))
			fprintf(f, "\t\t'%s:%s'\n", v->name, v->summary);
		else if (first_of_group(v)) {
			fprintf(f, "\t\t'%s:", group);
			put_subs(f, v, ", ");
			fputs("'\n", f);
		}
	}
	fputs("\t)\n", f);
	fputs(zsh_main, f);
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		char group[32];
		const char *sub;
		split_name(v, group, sizeof group, &sub);
		if (!is_sub(v))
			continue;
		if (first_of_group(v))
			fprintf(f, "\t%s) subs=(", group);
		fprintf(f, "%s'%s:%s'", first_of_group(v) ? "" : " ", sub, v->summary);
		if (v + 1 == cli_verbs + cli_nverbs || first_of_group(v + 1) || !is_sub(v + 1))
			fputs(") ;;\n", f);
	}
	fputs(zsh_end, f);
}

/* ---------------------------------------------------------------- fish */

static const char fish_head[] =
    "# fish completion for kist: verbs, each verb's options, the subcommands of\n"
    "# log, audit and witness, and file names.  Produced by 'kist completion fish'\n"
    "# from the verb table (src/cli/verbs.c); do not edit by hand.\n"
    "# Installed as share/fish/vendor_completions.d/kist.fish.\n"
    "\n"
    "# The verb is the first word after kist (kist has no options before it).\n"
    "function __kist_no_verb\n"
    "    test (count (commandline -opc)) -eq 1\n"
    "end\n"
    "function __kist_verb_is # VERB...: the verb is one of these\n"
    "    set -l t (commandline -opc)\n"
    "    test (count $t) -ge 2; and contains -- $t[2] $argv\n"
    "end\n"
    "function __kist_sub_is # VERB [SUB...]: without SUB, no subcommand yet; else it is one "
    "of SUB\n"
    "    set -l t (commandline -opc)\n"
    "    test (count $t) -ge 2; and test \"$t[2]\" = $argv[1]; or return 1\n"
    "    if test (count $argv) -eq 1\n"
    "        test (count $t) -eq 2\n"
    "    else\n"
    "        test (count $t) -ge 3; and contains -- $t[3] $argv[2..-1]\n"
    "    end\n"
    "end\n"
    "\n"
    "complete -c kist -f\n"
    "complete -c kist -n \"__kist_no_verb\" -l help -d 'show help'\n"
    "complete -c kist -n \"__kist_no_verb\" -l version -d 'show the version'\n";

static void fish_verb(FILE *f, const cli_verb *v)
{
	char group[32], cond[64];
	const char *sub;
	split_name(v, group, sizeof group, &sub);
	if (is_sub(v))
		snprintf(cond, sizeof cond, "__kist_sub_is %s %s", group, sub);
	else
		snprintf(cond, sizeof cond, "__kist_verb_is %s", v->name);
	fprintf(f, "\n# kist %s\n", v->name);
	if (!is_sub(v))
		fprintf(f, "complete -c kist -n \"__kist_no_verb\" -a %s -d '%s'\n", v->name,
		        v->summary);
	else
		fprintf(f, "complete -c kist -n \"__kist_sub_is %s\" -a %s -d '%s'\n", group, sub,
		        v->summary);
	if (strcmp(v->name, "help") != 0)
		fprintf(f, "complete -c kist -n \"%s\" -F\n", cond);
	fprintf(f, "complete -c kist -n \"%s\" -s h -l help -d 'show the help of the verb'\n",
	        cond);
	for (size_t k = 0; k < v->nopts; k++) {
		const opt_spec *o = &v->opts[k];
		fprintf(f, "complete -c kist -n \"%s\"", cond);
		if (o->short_name != 0)
			fprintf(f, " -s %c", o->short_name);
		fprintf(f, " -l %s", o->long_name);
		if (o->complete == 'f')
			fputs(" -r -F", f);
		else if (o->complete == 'd')
			fputs(" -x -a '(__fish_complete_directories)'", f);
		else if (o->arg != NULL)
			fputs(" -x", f);
		fputs(" -d '", f);
		put_desc(f, o->help, "\\'", 0);
		fputs("'\n", f);
	}
}

static void fish(FILE *f)
{
	fputs(fish_head, f);
	fputs("complete -c kist -n \"__kist_verb_is help\" -a \"", f);
	put_verb_names(f);
	fputs("\"\n", f);
	for (size_t i = 0; i < cli_nverbs; i++) {
		const cli_verb *v = &cli_verbs[i];
		if (first_of_group(v)) {
			char group[32];
			const char *sub;
			split_name(v, group, sizeof group, &sub);
			fprintf(f, "\ncomplete -c kist -n \"__kist_no_verb\" -a %s -d '", group);
			put_subs(f, v, ", ");
			fprintf(
			    f,
			    "'\ncomplete -c kist -n \"__kist_sub_is %s\" -s h -l help -d 'show the "
			    "help of the verb'\n",
			    group);
		}
		fish_verb(f, v);
	}
}

int cli_completion(const char *shell)
{
	if (strcmp(shell, "bash") == 0)
		bash(stdout);
	else if (strcmp(shell, "zsh") == 0)
		zsh(stdout);
	else if (strcmp(shell, "fish") == 0)
		fish(stdout);
	else {
		cli_usage_error("completion", "usage: kist completion bash|zsh|fish");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
