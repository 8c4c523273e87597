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

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int cli_json_set_name(json_t *obj, const char *key, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, o = 0;
	char hexkey[64];
	int valid = 1;

	for (i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);
		if (l == 0) {
			valid = 0;
			break;
		}
		i += l;
	}
	if (valid)
		return json_object_set_new(obj, key, json_stringn(s, n));
	/* Lossy text: every invalid byte becomes U+FFFD (3 bytes). */
	char *lossy = malloc(3 * n + 1), *hex = malloc(2 * n + 1);
	if (lossy == NULL || hex == NULL) {
		free(lossy);
		free(hex);
		return -1;
	}
	for (i = 0; i < n;) {
		size_t l = utf8_seq(u + i, n - i);
		if (l == 0) {
			memcpy(lossy + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(lossy + o, s + i, l);
			o += l;
			i += l;
		}
	}
	sodium_bin2hex(hex, 2 * n + 1, u, n);
	snprintf(hexkey, sizeof hexkey, "%s_hex", key);
	int rc = json_object_set_new(obj, key, json_stringn(lossy, o)) ||
	         json_object_set_new(obj, hexkey, json_string(hex));
	free(lossy);
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
