/* Passphrases and the identities of -i for the CLI. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

/* --------------------------------------------------------------- passphrases */

static kist_err read_passfile(const char *path, char *buf, size_t cap, size_t *len)
{
	kist__os_stat st;
	size_t n = 0;
	int fd = kist__os_open(path, KIST__OS_RDONLY, 0);
	if (fd < 0) {
		cli_error(path, "%s", strerror(errno));
		return KIST_E_IO;
	}
	if (kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE ||
	    !kist__os_private_enough(&st)) {
		kist__os_close(fd);
		cli_error(path, "a passphrase file must be a regular file readable only by you "
		                "(chmod 600)");
		return KIST_E_KEYPERM;
	}
	while (n < cap) {
		ptrdiff_t r = kist__os_read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	kist__os_close(fd);
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

/* One line from the terminal with echo off (os/os.h). */
static kist_err tty_read(int tty, const char *prompt, char *buf, size_t cap, size_t *len)
{
	if (kist__os_tty_read_line(tty, prompt, buf, cap, len, 0) == 0)
		return KIST_OK;
	return errno == EINTR ? KIST_E_INTERRUPTED : errno == E2BIG ? KIST_E_LIMIT : KIST_E_IO;
}

kist_err cli_read_passphrase(const char *passfile, const char *prompt, int confirm, char *buf,
                             size_t cap, size_t *len)
{
	if (passfile != NULL)
		return read_passfile(passfile, buf, cap, len);
	int tty = kist__os_tty_open();
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
	kist__os_close(tty);
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
