/*
 * Contacts: names beside keys (kist contacts add|list|remove, -r NAME,
 * --signer NAME, a name beside every fingerprint printed).
 *
 * The file ($XDG_CONFIG_HOME/kist/contacts, or --contacts FILE) holds lines
 * "NAME KEY": the key is the last blank-separated field, the name the rest,
 * trimmed (it may hold spaces).  '#' lines and blank lines are skipped.  It
 * may have been planted or edited by someone else: its size, line length,
 * name length and count are bounded, every key goes through
 * kist_pubkey_parse(), names are printed escaped, and a duplicate name or
 * key is refused with the line that repeats it.  Read only if it exists;
 * created (0600, temporary name and rename) only by kist contacts add.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#define CONTACTS_FILE_MAX (1u << 20) /* bytes */
#define CONTACTS_LINE_MAX 1024       /* bytes of one line */
#define CONTACTS_NAME_MAX 128        /* bytes of one name */
#define CONTACTS_MAX      10000      /* contacts in one file */

typedef struct contact {
	char *name; /* points into book.text */
	kist_pubkey pk;
	size_t line;
} contact;

static struct book {
	int loaded;
	char path[4096];
	char *raw;  /* the file's bytes, NUL-terminated */
	char *text; /* a copy, cut into lines and fields in place */
	size_t len;
	contact *c;
	size_t n;
	size_t *by_name, *by_key; /* indices into c, sorted */
} book;

void cli_contacts_free(void)
{
	free(book.raw);
	free(book.text);
	free(book.c);
	free(book.by_name);
	free(book.by_key);
	memset(&book, 0, sizeof book);
}

/*
 * --contacts FILE, else $XDG_CONFIG_HOME/kist/contacts, else ~/.config/kist/contacts;
 * "" if there is no HOME either (then there are no contacts, and only the contacts verbs,
 * which need a file, fail).
 */
static int contacts_path(const cli_args *a, char *out, size_t cap)
{
	const char *p = a ? cli_get(a, "contacts") : NULL, *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	if (p != NULL)
		n = snprintf(out, cap, "%s", p);
	else if (x != NULL && x[0] == '/') /* XDG: a relative value is ignored */
		n = snprintf(out, cap, "%s/kist/contacts", x);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, cap, "%s/.config/kist/contacts", home);
	else
		n = snprintf(out, cap, "%s", "");
	if (n < 0 || (size_t)n >= cap) {
		cli_error(NULL, "the contacts file's name is too long");
		return EXIT_USAGE;
	}
	if (n == 0 && a != NULL && strncmp(a->verb, "contacts ", 9) == 0) {
		cli_error(NULL, "no HOME or XDG_CONFIG_HOME to find the contacts file in; give "
		                "--contacts FILE");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int key_cmp(const kist_pubkey *x, const kist_pubkey *y)
{
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	int c = memcmp(x->x25519, y->x25519, 32); /* public keys: no secret to time */
	return c != 0 ? c : memcmp(x->ed25519, y->ed25519, 32);
}

static int by_name_cmp(const void *x, const void *y)
{
	const contact *a = &book.c[*(const size_t *)x], *b = &book.c[*(const size_t *)y];
	int c = strcmp(a->name, b->name);
	return c != 0 ? c : (a->line > b->line) - (a->line < b->line);
}

static int by_key_cmp(const void *x, const void *y)
{
	const contact *a = &book.c[*(const size_t *)x], *b = &book.c[*(const size_t *)y];
	int c = key_cmp(&a->pk, &b->pk);
	return c != 0 ? c : (a->line > b->line) - (a->line < b->line);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Reads the whole file (bounded) into book.raw; *exists 0 if there is none. */
static int read_file(const char *path, int *exists)
{
	kist__os_stat st;
	*exists = 0;
	int fd = kist__os_open(path, KIST__OS_RDONLY | KIST__OS_NONBLOCK, 0);
	if (fd < 0) {
		if (errno == ENOENT)
			return EXIT_OK;
		cli_error(path, "cannot read the contacts file: %s", strerror(errno));
		return EXIT_IO;
	}
	*exists = 1;
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE) {
		kist__os_close(fd);
		cli_error(path, "the contacts file is not a regular file");
		return EXIT_USAGE;
	}
	if (st.size > CONTACTS_FILE_MAX) {
		kist__os_close(fd);
		cli_error(path, "the contacts file is larger than %u bytes", CONTACTS_FILE_MAX);
		return EXIT_USAGE;
	}
	book.raw = malloc(CONTACTS_FILE_MAX + 2);
	if (book.raw == NULL) {
		kist__os_close(fd);
		return cli_fail(NULL, KIST_E_NOMEM);
	}
	size_t got = 0;
	while (got <= CONTACTS_FILE_MAX) { /* one byte more than allowed: it grew */
		ptrdiff_t r = kist__os_read(fd, book.raw + got, CONTACTS_FILE_MAX + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cli_error(path, "cannot read the contacts file: %s", strerror(errno));
			kist__os_close(fd);
			return EXIT_IO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	kist__os_close(fd);
	if (got > CONTACTS_FILE_MAX) {
		cli_error(path, "the contacts file is larger than %u bytes", CONTACTS_FILE_MAX);
		return EXIT_USAGE;
	}
	book.raw[got] = '\0';
	book.len = got;
	if ((book.text = malloc(got + 1)) == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	memcpy(book.text, book.raw, got + 1);
	return EXIT_OK;
}

/* One line (NUL-terminated in place, no newline): a contact, or nothing.  *why on error. */
static const char *parse_line(char *line, size_t len, contact *out, int *is_contact)
{
	static char why[600];
	*is_contact = 0;
	if (len > CONTACTS_LINE_MAX)
		return "longer than 1024 bytes";
	if (memchr(line, '\0', len) != NULL)
		return "holds a NUL byte";
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	while (len > 0 && is_blank(line[len - 1]))
		line[--len] = '\0';
	char *p = line;
	while (is_blank(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return NULL;
	char *key = line + len;
	while (key > p && !is_blank(key[-1]))
		key--;
	if (key == p)
		return "a name and a key are needed (NAME KEY)";
	kist_pubkey pk;
	if (kist_pubkey_parse(&pk, key) != KIST_OK) {
		snprintf(why, sizeof why, "the key: %s", kist_errdetail());
		return why;
	}
	char *end = key;
	while (end > p && is_blank(end[-1]))
		end--;
	*end = '\0';
	if ((size_t)(end - p) > CONTACTS_NAME_MAX)
		return "a name longer than 128 bytes";
	out->name = p;
	out->pk = pk;
	*is_contact = 1;
	return NULL;
}

/* Parses book.text into book.c and the two sorted indices; one line printed on error. */
static int parse_book(void)
{
	size_t lineno = 0, cap = 0;
	char *s = book.text, *end = book.text + book.len;
	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
		lineno++;
		if (nl)
			*nl = '\0';
		contact c;
		int is_contact;
		const char *why = parse_line(s, len, &c, &is_contact);
		if (why != NULL) {
			cli_error(book.path, "line %zu: %s", lineno, why);
			return EXIT_USAGE;
		}
		if (is_contact) {
			if (book.n == CONTACTS_MAX) {
				cli_error(book.path, "line %zu: more than %u contacts", lineno,
				          CONTACTS_MAX);
				return EXIT_USAGE;
			}
			if (book.n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				contact *nc = realloc(book.c, ncap * sizeof *nc);
				if (nc == NULL)
					return cli_fail(NULL, KIST_E_NOMEM);
				book.c = nc;
				cap = ncap;
			}
			c.line = lineno;
			book.c[book.n++] = c;
		}
		s += len + (nl != NULL);
	}
	if (book.n == 0)
		return EXIT_OK;
	book.by_name = malloc(book.n * sizeof *book.by_name);
	book.by_key = malloc(book.n * sizeof *book.by_key);
	if (book.by_name == NULL || book.by_key == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	for (size_t i = 0; i < book.n; i++)
		book.by_name[i] = book.by_key[i] = i;
	qsort(book.by_name, book.n, sizeof *book.by_name, by_name_cmp);
	qsort(book.by_key, book.n, sizeof *book.by_key, by_key_cmp);
	for (size_t i = 1; i < book.n; i++) {
		const contact *a = &book.c[book.by_name[i - 1]], *b = &book.c[book.by_name[i]];
		if (strcmp(a->name, b->name) == 0) {
			cli_error(book.path, "line %zu: the name %s is already on line %zu",
			          b->line, b->name, a->line);
			return EXIT_USAGE;
		}
		a = &book.c[book.by_key[i - 1]];
		b = &book.c[book.by_key[i]];
		if (key_cmp(&a->pk, &b->pk) == 0) {
			cli_error(book.path, "line %zu: the same key as line %zu (%s)", b->line,
			          a->line, a->name);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

int cli_contacts_load(const cli_args *a)
{
	int exists, rc;
	cli_contacts_free();
	book.loaded = 1;
	if ((rc = contacts_path(a, book.path, sizeof book.path)) != EXIT_OK)
		return rc;
	if (book.path[0] == '\0')
		return EXIT_OK;
	if ((rc = read_file(book.path, &exists)) != EXIT_OK)
		return rc;
	/* A file named on purpose must exist, except for contacts add, which creates it. */
	if (!exists && a != NULL && cli_get(a, "contacts") != NULL &&
	    strcmp(a->verb, "contacts add") != 0) {
		cli_error(book.path, "no such contacts file");
		return EXIT_USAGE;
	}
	return exists ? parse_book() : EXIT_OK;
}

const char *cli_contacts_path(void)
{
	return book.path;
}

static int name_is(const contact *c, const void *want)
{
	return strcmp(c->name, want);
}

static int key_is(const contact *c, const void *want)
{
	return key_cmp(&c->pk, want);
}

/* Binary search of an index sorted by cmp (book.by_name or book.by_key); NULL if absent. */
static const contact *find(const size_t *idx, int (*cmp)(const contact *, const void *),
                           const void *want)
{
	size_t lo = 0, hi = book.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp(&book.c[idx[mid]], want);
		if (c == 0)
			return &book.c[idx[mid]];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The contact named name (exactly), or NULL. */
static const contact *find_name(const char *name)
{
	return find(book.by_name, name_is, name);
}

static const contact *find_key(const kist_pubkey *pk)
{
	return find(book.by_key, key_is, pk);
}

int cli_contact_find(const char *name, kist_pubkey *pk)
{
	const contact *c = find_name(name);
	if (c != NULL)
		*pk = c->pk;
	return c != NULL;
}

const char *cli_contact_name(const kist_pubkey *pk)
{
	const contact *c = find_key(pk);
	return c ? c->name : NULL;
}

void cli_fpr_label(char *out, size_t cap, const kist_pubkey *pk)
{
	char f[KIST_FINGERPRINT_STRLEN + 1], e[CLI_FPR_LABEL_MAX];
	const char *name = cli_contact_name(pk);
	kist_pubkey_fingerprint(pk, f);
	if (name == NULL) {
		snprintf(out, cap, "%s", f);
		return;
	}
	cli_escape(e, sizeof e, name);
	snprintf(out, cap, "%s (%s)", f, e);
}

int cli_json_contact(json_t *o, const kist_pubkey *pk)
{
	const char *name = cli_contact_name(pk);
	return name == NULL ? 0 : json_object_set_new(o, "contact", cli_json_path(name));
}

/* ------------------------------------------------------------ kist contacts */

/* A name given to contacts add: printable, not a comment, not a key, not too long. */
static int check_new_name(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len = strlen(name);
	if (len == 0 || is_blank(name[0]) || is_blank(name[len - 1])) {
		cli_usage_error("contacts add",
		                "a name must not be empty or start or end with a blank");
		return EXIT_USAGE;
	}
	if (len > CONTACTS_NAME_MAX) {
		cli_usage_error("contacts add", "a name is at most %u bytes", CONTACTS_NAME_MAX);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f) {
			cli_usage_error("contacts add", "a name must not hold control characters");
			return EXIT_USAGE;
		}
	if (name[0] == '#' || strncasecmp(name, "kist1", 5) == 0 ||
	    strncasecmp(name, "age1", 4) == 0) {
		cli_usage_error(
		    "contacts add",
		    "a name must not start with '#', kist1 or age1 (it would be read as "
		    "a comment or a key)");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Creates the folder of the default contacts file (mode 0700) if it is missing. */
static int make_parent(const char *path)
{
	char dir[sizeof book.path];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return EXIT_OK;
	*slash = '\0';
	char *up = strrchr(dir, '/'); /* ~/.config, then ~/.config/kist */
	if (up != NULL && up != dir) {
		*up = '\0';
		if (kist__os_mkdirat(KIST__OS_CWD, dir, 0700) != 0 && errno != EEXIST)
			goto fail;
		*up = '/';
	}
	if (kist__os_mkdirat(KIST__OS_CWD, dir, 0700) != 0 && errno != EEXIST)
		goto fail;
	return EXIT_OK;
fail:
	cli_error(dir, "cannot create the folder: %s", strerror(errno));
	return EXIT_IO;
}

/* Writes text as the contacts file: temporary name, fsync, rename, mode 0600. */
static int write_book(const char *text, size_t len)
{
	kist_err err = kist_file_write(book.path, text, len, KIST_REPLACE);
	return err == KIST_OK ? EXIT_OK : cli_fail(book.path, err);
}

int cmd_contacts_add(const cli_args *a)
{
	kist_pubkey pk;
	char key[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	int rc;
	if (a->npos != 2) {
		cli_usage_error("contacts add", "usage: kist contacts add NAME KEY");
		return EXIT_USAGE;
	}
	const char *name = a->pos[0];
	if ((rc = check_new_name(name)) != EXIT_OK)
		return rc;
	if (kist_pubkey_parse(&pk, a->pos[1]) != KIST_OK) {
		cli_error("contacts add", "%s: %s", a->pos[1], kist_errdetail());
		return EXIT_USAGE;
	}
	if (find_name(name) != NULL) {
		cli_error(book.path, "a contact is already named %s (line %zu); remove it first",
		          name, find_name(name)->line);
		return EXIT_USAGE;
	}
	const contact *same = find_key(&pk);
	if (same != NULL) {
		cli_error(book.path, "this key is already a contact, named %s (line %zu)",
		          same->name, same->line);
		return EXIT_USAGE;
	}
	kist_pubkey_format(&pk, key);
	kist_pubkey_fingerprint(&pk, f);
	size_t nl = book.len > 0 && book.raw[book.len - 1] != '\n';
	size_t len = book.len + nl + strlen(name) + 1 + strlen(key) + 1;
	char *text = malloc(len + 1);
	if (text == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	if (book.len > 0) /* no file yet: book.raw is NULL */
		memcpy(text, book.raw, book.len);
	int n =
	    snprintf(text + book.len, len + 1 - book.len, "%s%s %s\n", nl ? "\n" : "", name, key);
	if (n < 0 || (size_t)n != len - book.len) {
		free(text);
		return cli_fail(NULL, KIST_E_ARG);
	}
	if (cli_get(a, "contacts") == NULL && (rc = make_parent(book.path)) != EXIT_OK) {
		free(text);
		return rc;
	}
	rc = write_book(text, len);
	free(text);
	if (rc == EXIT_OK && !cli_quiet) {
		char e[CLI_FPR_LABEL_MAX];
		cli_escape(e, sizeof e, name);
		fprintf(stderr, "kist: %s added: %s\n", e, f);
	}
	return rc;
}

int cmd_contacts_list(const cli_args *a)
{
	char key[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	if (a->npos != 0) {
		cli_usage_error("contacts list", "usage: kist contacts list [--json]");
		return EXIT_USAGE;
	}
	if (cli_count(a, "json")) {
		json_t *arr = json_array(), *root = json_object();
		int bad = arr == NULL || root == NULL;
		for (size_t i = 0; !bad && i < book.n; i++) {
			json_t *o = json_object();
			kist_pubkey_format(&book.c[i].pk, key);
			kist_pubkey_fingerprint(&book.c[i].pk, f);
			bad = o == NULL || cli_json_set_name(o, "name", book.c[i].name) ||
			      json_object_set_new(o, "fingerprint", json_string(f)) ||
			      json_object_set_new(o, "key", json_string(key)) ||
			      json_object_set_new(o, "line",
			                          json_integer((json_int_t)book.c[i].line)) ||
			      json_array_append_new(arr, o);
		}
		if (bad || json_object_set_new(root, "version", json_integer(1)) ||
		    cli_json_set_name(root, "file", book.path) ||
		    json_object_set_new(root, "contacts", arr)) {
			json_decref(root);
			return cli_fail(NULL, KIST_E_NOMEM);
		}
		return cli_json_print(root);
	}
	for (size_t i = 0; i < book.n; i++) {
		kist_pubkey_format(&book.c[i].pk, key);
		kist_pubkey_fingerprint(&book.c[i].pk, f);
		cli_print_path(book.c[i].name);
		printf("\t%s\t%s\n", f, key);
	}
	if (book.n == 0 && !cli_quiet) {
		char e[CLI_FPR_LABEL_MAX];
		cli_escape(e, sizeof e, book.path);
		fprintf(stderr, "kist: no contacts in %s\n", e);
	}
	return EXIT_OK;
}

int cmd_contacts_remove(const cli_args *a)
{
	if (a->npos != 1) {
		cli_usage_error("contacts remove", "usage: kist contacts remove NAME");
		return EXIT_USAGE;
	}
	const contact *c = find_name(a->pos[0]);
	if (c == NULL) {
		cli_error(book.path, "no contact is named %s", a->pos[0]);
		return EXIT_USAGE;
	}
	/* The file's bytes without that line. */
	char *text = malloc(book.len + 1);
	if (text == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	size_t o = 0, lineno = 0;
	for (size_t i = 0; i < book.len;) {
		const char *nl = memchr(book.raw + i, '\n', book.len - i);
		size_t next = nl ? (size_t)(nl - book.raw) + 1 : book.len;
		if (++lineno != c->line) {
			memcpy(text + o, book.raw + i, next - i);
			o += next - i;
		}
		i = next;
	}
	char e[CLI_FPR_LABEL_MAX];
	cli_escape(e, sizeof e, c->name);
	int rc = write_book(text, o);
	free(text);
	if (rc == EXIT_OK && !cli_quiet)
		fprintf(stderr, "kist: %s removed\n", e);
	return rc;
}
