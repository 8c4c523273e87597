/* kist keygen, kist pubkey. */
#include "cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#ifdef KIST_HAVE_QRENCODE
#include <qrencode.h>
#endif

#define QR_MARGIN 4 /* light modules around the code (the standard's quiet zone) */

/*
 * Draws key as a QR code with Unicode half blocks, two rows of modules per
 * line of text.  The key is encoded in upper case (bech32 allows it), which
 * QR's alphanumeric mode stores compactly: a 114-character key fits version
 * 5 (37 x 37 modules) at error correction level M.  Light modules are drawn
 * as blocks, dark ones as spaces, as `qrencode -t UTF8` does: on the usual
 * light-on-dark terminal the code appears dark on light, as scanners expect.
 */
static int draw_qr(const char *key)
{
#ifdef KIST_HAVE_QRENCODE
	char up[KIST_PUBKEY_STRLEN + 1];
	size_t n = strlen(key);
	if (n >= sizeof up)
		return cli_fail(NULL, KIST_E_ARG);
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)key[i]);
	QRcode *qr = QRcode_encodeString(up, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		cli_error(NULL, "cannot draw the QR code");
		return EXIT_OTHER;
	}
	int w = qr->width, full = w + 2 * QR_MARGIN;
	for (int y = 0; y < full; y += 2) {
		for (int x = 0; x < full; x++) {
			int light[2];
			for (int k = 0; k < 2; k++) {
				int mx = x - QR_MARGIN, my = y + k - QR_MARGIN;
				light[k] = mx < 0 || my < 0 || mx >= w || my >= w ||
				           !(qr->data[my * w + mx] & 1);
			}
			fputs(light[0] && light[1] ? "\u2588"
			      : light[0]           ? "\u2580"
			      : light[1]           ? "\u2584"
			                           : " ",
			      stdout);
		}
		putchar('\n');
	}
	QRcode_free(qr);
	return EXIT_OK;
#else
	(void)key;
	cli_error("--qr", "this kist was built without QR code support (libqrencode)");
	return EXIT_OTHER;
#endif
}

static int print_pubkey(const kist_pubkey *pk, int qr)
{
	char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
	kist_pubkey_format(pk, s);
	kist_pubkey_fingerprint(pk, f);
	if (qr) {
		int rc = draw_qr(s);
		if (rc != EXIT_OK)
			return rc;
	}
	printf("%s\n", s);
	fflush(stdout);
	if (!cli_quiet)
		fprintf(stderr, "fingerprint: %s\n", f);
	return EXIT_OK;
}

int cmd_keygen(int argc, char **argv)
{
	static const opt_spec specs[] = {
	    {'o', "output", 1, 0}, {0, "passphrase-file", 1, 0}, {0, "no-passphrase", 0, 0},
	    {0, "force", 0, 0},    {'q', "quiet", 0, 0},
	};
	static cli_args a;
	kist_identity *id = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	kist_pubkey pk;
	kist_err err;
	int rc;

	if (cli_parse(&a, specs, sizeof specs / sizeof specs[0], argc, argv, "keygen") != 0)
		return EXIT_USAGE;
	cli_quiet = cli_count(&a, "quiet") > 0;
	const char *out = cli_get(&a, "output");
	if (out == NULL || a.npos != 0) {
		cli_usage_error("keygen", "usage: kist keygen -o FILE");
		return EXIT_USAGE;
	}
	if (cli_get(&a, "passphrase-file") && cli_count(&a, "no-passphrase")) {
		cli_usage_error("keygen", "--passphrase-file and --no-passphrase conflict");
		return EXIT_USAGE;
	}
	if (!cli_count(&a, "force") && access(out, F_OK) == 0) {
		cli_error(out, "already exists (use --force to overwrite)");
		return EXIT_OTHER;
	}
	if ((err = kist_identity_generate(&id)) != KIST_OK)
		return cli_fail(NULL, err);
	if (!cli_count(&a, "no-passphrase")) {
		pass = sodium_malloc(KIST_PASSPHRASE_MAX);
		if (pass == NULL) {
			rc = cli_fail(NULL, KIST_E_NOMEM);
			goto out;
		}
		err = cli_read_passphrase(cli_get(&a, "passphrase-file"),
		                          "Passphrase for the new identity: ", 1, pass,
		                          KIST_PASSPHRASE_MAX, &passlen);
		if (err != KIST_OK) {
			rc = cli_exit_code(err);
			goto out;
		}
	}
	if ((err = kist_identity_save(id, out, pass, passlen, cli_count(&a, "force") > 0)) !=
	    KIST_OK) {
		rc = cli_fail(NULL, err);
		goto out;
	}
	if (cli_count(&a, "no-passphrase"))
		fprintf(stderr,
		        "kist: warning: %s is not protected by a passphrase; anyone who "
		        "copies it can open vaults sealed to it\n",
		        out);
	kist_identity_pubkey(id, &pk);
	print_pubkey(&pk, 0);
	rc = EXIT_OK;
out:
	sodium_free(pass);
	kist_identity_free(id);
	return rc;
}

int cmd_pubkey(int argc, char **argv)
{
	static const opt_spec specs[] = {
	    {'q', "quiet", 0, 0},
	    {0, "qr", 0, 0},
	};
	static cli_args a;
	kist_pubkey pk;
	int qr;

	if (cli_parse(&a, specs, sizeof specs / sizeof specs[0], argc, argv, "pubkey") != 0)
		return EXIT_USAGE;
	cli_quiet = cli_count(&a, "quiet") > 0;
	if (a.npos != 1) {
		cli_usage_error("pubkey", "usage: kist pubkey [--qr] FILE|KEY");
		return EXIT_USAGE;
	}
	qr = cli_count(&a, "qr") > 0;
	/* A public key given instead of a file: show its fingerprint. */
	if ((strncasecmp(a.pos[0], "kist1", 5) == 0 || strncasecmp(a.pos[0], "age1", 4) == 0) &&
	    access(a.pos[0], F_OK) != 0) {
		kist_err err = kist_pubkey_parse(&pk, a.pos[0]);
		if (err != KIST_OK)
			return cli_fail(a.pos[0], err);
		return print_pubkey(&pk, qr);
	}
	kist_err err = kist_identity_file_pubkey(a.pos[0], &pk);
	if (err != KIST_OK)
		return cli_fail(NULL, err);
	if (pk.kind != KIST_PUBKEY_AGE)
		return print_pubkey(&pk, qr);
	/*
	 * An age identity file: for each key, its age1 recipient, then the kist1
	 * key of the same identity (the derived signing key is its second half),
	 * which is how verify names it as a signer.  Age keys are never protected.
	 */
	kist_identity **ids = NULL;
	size_t n = 0;
	int rc = EXIT_OK;
	if ((err = kist_identity_load_all(&ids, &n, a.pos[0], NULL, NULL)) != KIST_OK)
		return cli_fail(NULL, err);
	for (size_t i = 0; i < n; i++) {
		char s[KIST_PUBKEY_STRLEN + 1], f[KIST_FINGERPRINT_STRLEN + 1];
		kist_identity_recipient(ids[i], &pk);
		kist_pubkey_format(&pk, s);
		if (qr && (rc = draw_qr(s)) != EXIT_OK) /* the key others seal to */
			break;
		printf("%s\n", s);
		kist_identity_pubkey(ids[i], &pk);
		kist_pubkey_format(&pk, s);
		kist_pubkey_fingerprint(&pk, f);
		printf("%s\n", s);
		fflush(stdout);
		if (!cli_quiet)
			fprintf(stderr, "fingerprint: %s (the kist1 key: the signing key)\n", f);
	}
	kist_identities_free(ids, n);
	return rc;
}
