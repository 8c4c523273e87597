/*
 * --json output (docs/JSON.md): jansson builds the document, so escaping is
 * always right.  Names are bytes: a path that is valid UTF-8 is written as
 * it is; one that is not gets a lossy "path" (each bad byte as U+FFFD) and
 * the exact bytes in "path_hex", so the output is always valid JSON and a
 * script can still name the entry.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

json_t *cli_json_str(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	json_t *j = json_stringn(s, len); /* NULL if not valid UTF-8 (or a NUL inside) */
	if (j != NULL)
		return j;
	/* Lossy text: every invalid byte becomes U+FFFD (3 bytes). */
	char *lossy = malloc(3 * len + 1);
	size_t o = 0;
	if (lossy == NULL)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t l = kist_utf8_next((const char *)u + i, len - i, &cp);
		if (l == 0 || cp == 0) {
			memcpy(lossy + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(lossy + o, s + i, l);
			o += l;
			i += l;
		}
	}
	j = json_stringn(lossy, o);
	free(lossy);
	return j;
}

json_t *cli_json_path(const char *s)
{
	return cli_json_str(s, strlen(s));
}

/* The one layout of an entry (docs/JSON.md, "Entries"): every member always present,
 * null where it does not apply. */
static const char *type_name(kist_entry_type t)
{
	return t == KIST_ENTRY_DIR ? "dir" : t == KIST_ENTRY_SYMLINK ? "symlink" : "file";
}

json_t *cli_json_entry(const kist_entry *e)
{
	char mode[8], hex[65];
	json_t *o = json_object();
	snprintf(mode, sizeof mode, "%04o", (unsigned)(e->mode & 07777));
	if (o == NULL || cli_json_set_name(o, "path", e->path) ||
	    json_object_set_new(o, "type", json_string(type_name(e->type))) ||
	    json_object_set_new(o, "size", json_integer((json_int_t)e->size)) ||
	    json_object_set_new(o, "mode", json_string(mode)) ||
	    json_object_set_new(o, "mtime", json_integer(e->mtime)) ||
	    json_object_set_new(o, "mtime_nsec", json_integer(e->mtime_nsec)))
		goto fail;
	if (e->type == KIST_ENTRY_FILE) {
		sodium_bin2hex(hex, sizeof hex, e->sha256, 32);
		if (json_object_set_new(o, "sha256", json_string(hex)))
			goto fail;
	} else if (json_object_set_new(o, "sha256", json_null())) {
		goto fail;
	}
	if (e->type == KIST_ENTRY_SYMLINK ? cli_json_set_name(o, "link_target", e->link_target)
	                                  : json_object_set_new(o, "link_target", json_null()))
		goto fail;
	if (json_object_set_new(o, "stored_size", json_integer((json_int_t)e->stored_size)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

int cli_json_set_name(json_t *obj, const char *key, const char *s)
{
	size_t n = strlen(s);
	json_t *exact = json_stringn(s, n);
	char hexkey[64];
	if (exact != NULL)
		return json_object_set_new(obj, key, exact);
	char *hex = malloc(2 * n + 1);
	if (hex == NULL)
		return -1;
	sodium_bin2hex(hex, 2 * n + 1, (const unsigned char *)s, n);
	snprintf(hexkey, sizeof hexkey, "%s_hex", key);
	int rc = json_object_set_new(obj, key, cli_json_str(s, n)) ||
	         json_object_set_new(obj, hexkey, json_string(hex));
	free(hex);
	return rc ? -1 : 0;
}

int cli_json_print(json_t *root)
{
	if (root == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (rc != 0 || putchar('\n') == EOF) {
		cli_error(NULL, "writing standard output failed");
		return EXIT_IO;
	}
	return EXIT_OK;
}
