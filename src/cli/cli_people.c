/* kist people, query, manifest, and the people side of extract. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

/* ---- JSON helpers */

static void iso_time(char *out, size_t cap, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (kist__os_gmtime(&tt, &tm) == NULL || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "%lld", t);
}

/* Writes s on stdout, escaped, with repl in place of each character of sep. */
static void put_split(const char *s, const char *sep, const char *repl)
{
	for (;;) {
		size_t n = strcspn(s, sep);
		cli_put_safe(stdout, s, n, 0);
		if (s[n] == '\0')
			break;
		fputs(repl, stdout);
		s += n + 1;
	}
}

/* ---- kist people */

/* Prints a value, indenting continuation lines and escaping control characters. */
static void print_value(const char *s)
{
	put_split(s, "\n", "\n              ");
}

static void print_field(const char *label, const char *value)
{
	if (value == NULL)
		return;
	printf("    %-9s ", label);
	print_value(value);
	putchar('\n');
}

typedef struct people_out {
	int json;
	json_t *list;
	size_t count;
} people_out;

static json_t *person_json(const kist_person *p)
{
	json_t *o = json_object();
	const char *known[] = {"aliases", "relation", "born", "location",
	                       "status",  "contact",  "notes"};
	const char *vals[] = {p->aliases, p->relation, p->born, p->location,
	                      p->status,  p->contact,  p->notes};
	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "name", cli_json_path(p->name));
	for (size_t k = 0; k < 7; k++)
		json_object_set_new(o, known[k], vals[k] ? cli_json_path(vals[k]) : json_null());
	json_t *extra = json_object();
	for (size_t k = 0; k < p->nextra; k++)
		json_object_set_new(extra, p->extra_names[k], cli_json_path(p->extra_values[k]));
	json_object_set_new(o, "extra", extra);
	json_t *media = json_array();
	for (size_t k = 0; k < p->nmedia; k++)
		json_array_append_new(media, cli_json_entry(p->media[k]));
	json_object_set_new(o, "media", media);
	json_object_set_new(o, "approximate", json_boolean(p->approximate));
	return o;
}

static int on_person(void *ctx, const kist_person *p)
{
	people_out *po = ctx;
	po->count++;
	if (po->json) {
		json_array_append_new(po->list, person_json(p));
		return 0;
	}
	printf("#%lld  ", (long long)p->id);
	print_value(p->name);
	if (p->approximate)
		fputs("  (approximate: another script or spelling)", stdout);
	putchar('\n');
	print_field("aliases:", p->aliases);
	print_field("relation:", p->relation);
	print_field("born:", p->born);
	print_field("location:", p->location);
	print_field("status:", p->status);
	print_field("contact:", p->contact);
	print_field("notes:", p->notes);
	for (size_t k = 0; k < p->nextra; k++) {
		char label[64];
		snprintf(label, sizeof label, "%s:", p->extra_names[k]);
		printf("    ");
		print_value(label);
		printf(" ");
		print_value(p->extra_values[k]);
		putchar('\n');
	}
	for (size_t k = 0; k < p->nmedia; k++) {
		printf("    %-9s ", k == 0 ? "media:" : "");
		cli_print_path(p->media[k]->path);
		putchar('\n');
	}
	putchar('\n');
	return 0;
}

int cmd_people(const cli_args *a)
{
	kist_vault *v = NULL;
	kist_vault_meta m;
	people_out po = {0, NULL, 0};
	int rc;

	if (a->npos != 1) {
		cli_usage_error("people", "usage: kist people -i IDENTITY VAULT [--search TEXT] "
		                          "[--json]");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_vault(a, a->pos[0], &v, "people", NULL, 0)) != EXIT_OK)
		return rc;
	const char *search = cli_get(a, "search");
	po.json = cli_count(a, "json") > 0;
	po.list = json_array();
	kist_err err = kist_vault_people(v, search, on_person, &po);
	if (err != KIST_OK) {
		rc = cli_fail(a->pos[0], err);
		goto out;
	}
	kist_vault_get_meta(v, &m);
	if (po.json) {
		json_t *o = json_object();
		json_object_set_new(o, "version", json_integer(1));
		json_object_set_new(o, "vault_id", json_string(m.vault_id));
		json_object_set_new(o, "search", search ? cli_json_path(search) : json_null());
		json_object_set_new(o, "people_in_vault",
		                    json_integer((json_int_t)kist_vault_people_count(v)));
		json_object_set_new(o, "people", po.list);
		po.list = NULL;
		rc = cli_json_print(o);
	} else if (!cli_quiet) {
		if (kist_vault_people_count(v) == 0)
			fprintf(stderr, "kist: this vault has no people register\n");
		else
			fprintf(stderr, "kist: %zu of %zu %s%s\n", po.count,
			        kist_vault_people_count(v),
			        cli_plural(kist_vault_people_count(v), "person", "people"),
			        search ? " match" : "");
	}
out:
	json_decref(po.list);
	kist_vault_close(v);
	return rc;
}

/* ---- kist query */

typedef struct query_out {
	int json;
	size_t rows;
	json_t *names;
} query_out;

/* A cell as kist_escape() shows it (tab and line breaks kept): CSV is read by people;
 * --json keeps the exact text. */
static void csv_cell(const unsigned char *s, size_t len)
{
	int quote = len == 0 ? 0 : (s[0] == ' ' || s[len - 1] == ' ');
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
	if (quote)
		putchar('"');
	for (size_t i = 0; i < len;) {
		size_t run = 0;
		while (i + run < len && s[i + run] != '"')
			run++;
		cli_put_safe(stdout, (const char *)s + i, run, CLI_SAFE_KEEP_NEWLINES);
		i += run;
		if (i < len) {
			fputs("\"\"", stdout);
			i++;
		}
	}
	if (quote)
		putchar('"');
}

static int on_row(void *ctx, size_t ncols, const char *const *names, const kist_value *vals)
{
	query_out *q = ctx;
	if (vals == NULL) { /* column names */
		if (q->json) {
			q->names = json_array();
			for (size_t c = 0; c < ncols; c++)
				json_array_append_new(q->names, cli_json_path(names[c]));
			printf("{\n  \"version\": 1,\n  \"columns\": ");
			json_dumpf(q->names, stdout, JSON_COMPACT);
			printf(",\n  \"rows\": [");
		} else {
			for (size_t c = 0; c < ncols; c++) {
				if (c)
					putchar(',');
				csv_cell((const unsigned char *)names[c], strlen(names[c]));
			}
			fputs("\r\n", stdout);
		}
		return 0;
	}
	if (q->json) {
		/* Arrays in column order: names may repeat ("SELECT 1, 1"). */
		json_t *row = json_array();
		for (size_t c = 0; c < ncols; c++) {
			const kist_value *x = &vals[c];
			json_t *j;
			if (x->type == KIST_VALUE_INTEGER) {
				j = json_integer(x->integer);
			} else if (x->type == KIST_VALUE_REAL) {
				j = json_real(x->real);
			} else if (x->type == KIST_VALUE_TEXT) {
				j = cli_json_str((const char *)x->bytes, x->len);
			} else if (x->type == KIST_VALUE_BLOB) {
				char *hex = malloc(x->len * 2 + 1);
				if (hex != NULL)
					sodium_bin2hex(hex, x->len * 2 + 1, x->bytes, x->len);
				j = hex ? json_string(hex) : json_null();
				free(hex);
			} else {
				j = json_null();
			}
			json_array_append_new(row, j ? j : json_null());
		}
		printf("%s\n    ", q->rows ? "," : "");
		json_dumpf(row, stdout, JSON_COMPACT);
		json_decref(row);
	} else {
		for (size_t c = 0; c < ncols; c++) {
			const kist_value *x = &vals[c];
			char num[64];
			if (c)
				putchar(',');
			if (x->type == KIST_VALUE_INTEGER) {
				printf("%lld", (long long)x->integer);
			} else if (x->type == KIST_VALUE_REAL) {
				snprintf(num, sizeof num, "%.17g", x->real);
				fputs(num, stdout);
			} else if (x->type == KIST_VALUE_TEXT) {
				csv_cell(x->bytes, x->len);
			} else if (x->type == KIST_VALUE_BLOB) {
				for (size_t i = 0; i < x->len; i++)
					printf("%02x", x->bytes[i]);
			}
		}
		fputs("\r\n", stdout);
	}
	q->rows++;
	return ferror(stdout) ? 1 : 0;
}

int cmd_query(const cli_args *a)
{
	kist_vault *v = NULL;
	query_out q = {0, 0, NULL};
	int rc;

	if (a->npos != 2) {
		cli_usage_error("query",
		                "usage: kist query -i IDENTITY VAULT 'SQL' [--csv|--json]");
		return EXIT_USAGE;
	}
	if (cli_count(a, "json") && cli_count(a, "csv")) {
		cli_usage_error("query", "--csv and --json exclude each other");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_vault(a, a->pos[0], &v, "query", NULL, 0)) != EXIT_OK)
		return rc;
	q.json = cli_count(a, "json") > 0;
	kist_err err = kist_vault_query(v, a->pos[1], on_row, &q);
	if (q.json && q.names != NULL)
		printf("\n  ]\n}\n");
	if (err != KIST_OK) {
		rc = cli_fail("query", err);
		if (err == KIST_E_ARG)
			rc = EXIT_USAGE;
	} else if (!cli_quiet) {
		fprintf(stderr, "kist: %zu %s\n", q.rows, cli_plural(q.rows, "row", "rows"));
	}
	json_decref(q.names);
	kist_vault_close(v);
	return rc;
}

/* ---- kist manifest */

typedef struct damage {
	json_t *list;
	size_t n;
} damage;

static void on_damage(void *ctx, const char *path, const char *message)
{
	damage *d = ctx;
	json_t *o = json_object();
	cli_json_set_name(o, "path", path);
	json_object_set_new(o, "reason", cli_json_path(message));
	json_array_append_new(d->list, o);
	d->n++;
	fputs("kist: damaged: ", stderr);
	cli_put_safe(stderr, message, strlen(message), 0);
	fputc('\n', stderr);
}

/* The "vault" object of manifest --json: what the vault is and who sealed it. */
static json_t *manifest_vault(kist_vault *v, const kist_vault_meta *m, const char *path)
{
	char t[40], pks[KIST_PUBKEY_STRLEN + 1], fpr[KIST_FINGERPRINT_STRLEN + 1];
	json_t *vault = json_object();
	json_object_set_new(vault, "file", cli_json_path(path));
	json_object_set_new(vault, "id", json_string(m->vault_id));
	json_object_set_new(vault, "format_version", json_integer(m->format_version));
	iso_time(t, sizeof t, m->created);
	json_object_set_new(vault, "sealed_at", json_string(t));
	json_object_set_new(vault, "sealed_with", cli_json_path(m->tool_version));
	json_object_set_new(vault, "recipients", json_integer(m->recipient_count));
	if (m->signed_by_sealer) {
		json_t *s = json_object();
		kist_pubkey_format(&m->signer, pks);
		kist_pubkey_fingerprint(&m->signer, fpr);
		json_object_set_new(s, "public_key", json_string(pks));
		json_object_set_new(s, "fingerprint", json_string(fpr));
		cli_json_contact(s, &m->signer);
		json_object_set_new(vault, "sealed_by", s);
	} else {
		json_object_set_new(vault, "sealed_by", json_null());
	}
	json_object_set_new(vault, "entries", json_integer((json_int_t)m->entry_count));
	json_object_set_new(vault, "total_size", json_integer((json_int_t)m->total_size));
	json_object_set_new(vault, "people", json_integer((json_int_t)kist_vault_people_count(v)));
	return vault;
}

/* manifest --json (docs/JSON.md): the report; takes the damaged list.  An exit code. */
static int manifest_json(const cli_args *a, kist_vault *v, const kist_vault_meta *m, kist_err verr,
                         json_t *damaged)
{
	char t[40];
	json_t *o = json_object(), *ver = json_object(), *ents = json_array();
	json_object_set_new(o, "version", json_integer(1));
	json_object_set_new(o, "vault", manifest_vault(v, m, a->pos[0]));
	for (size_t i = 0; i < kist_vault_entry_count(v); i++)
		json_array_append_new(ents, cli_json_entry(kist_vault_entry_at(v, i)));
	json_object_set_new(o, "entries", ents);
	json_object_set_new(ver, "header_and_index", json_string("authenticated"));
	json_object_set_new(ver, "signature",
	                    json_string(m->signed_by_sealer ? "valid" : "unsigned"));
	json_object_set_new(ver, "content_checked", json_boolean(cli_count(a, "verify")));
	json_object_set_new(ver, "content",
	                    json_string(!cli_count(a, "verify") ? "not checked"
	                                : verr == KIST_OK       ? "intact"
	                                                        : "damaged"));
	json_object_set_new(ver, "damaged", damaged);
	json_object_set_new(o, "verification", ver);
	iso_time(t, sizeof t, (long long)time(NULL));
	json_object_set_new(o, "generated_at", json_string(t));
	json_object_set_new(o, "generated_by", json_string("kist"));
	json_object_set_new(o, "tool_version", json_string(kist_version()));
	return cli_json_print(o);
}

/* The lines 'sha256sum -c' checks: a name with a backslash gets sha256sum's escaping
 * (\\); the rest of the name is shown as kist_escape() shows it. */
static void manifest_sums(kist_vault *v)
{
	char hex[65];
	for (size_t i = 0; i < kist_vault_entry_count(v); i++) {
		const kist_entry *e = kist_vault_entry_at(v, i);
		if (e->type != KIST_ENTRY_FILE)
			continue;
		sodium_bin2hex(hex, sizeof hex, e->sha256, 32);
		int esc = strchr(e->path, '\\') != NULL;
		printf("%s%s  ", esc ? "\\" : "", hex);
		put_split(e->path, "\\", "\\\\");
		putchar('\n');
	}
}

int cmd_manifest(const cli_args *a)
{
	kist_vault *v = NULL;
	kist_vault_meta m;
	kist_verify_report rep;
	damage d = {NULL, 0};
	const char *content = "not checked (use --verify)";
	kist_err verr = KIST_OK;
	int rc;

	if (a->npos != 1) {
		cli_usage_error("manifest", "usage: kist manifest -i IDENTITY VAULT [--json] "
		                            "[--verify]");
		return EXIT_USAGE;
	}
	if ((rc = cli_open_vault(a, a->pos[0], &v, "manifest", NULL, 0)) != EXIT_OK)
		return rc;
	kist_vault_get_meta(v, &m);
	d.list = json_array();
	if (cli_count(a, "verify")) {
		verr = kist_vault_verify(v, &rep, on_damage, &d);
		if (verr == KIST_OK)
			content = "intact: every chunk authenticated, every SHA-256 recomputed";
		else if (verr == KIST_E_CORRUPT)
			content = "DAMAGED";
		else {
			rc = cli_fail(a->pos[0], verr);
			goto out;
		}
	}
	if (cli_count(a, "json")) {
		rc = manifest_json(a, v, &m, verr, d.list);
		d.list = NULL;
	} else {
		manifest_sums(v);
		if (!cli_quiet)
			fprintf(stderr, "kist: content: %s\n", content);
	}
	if (verr == KIST_E_CORRUPT) {
		cli_error(a->pos[0], "verification failed: %zu damaged %s", d.n,
		          cli_plural(d.n, "entry", "entries"));
		rc = EXIT_INTEGRITY;
	}
out:
	json_decref(d.list);
	kist_vault_close(v);
	return rc;
}
