/* kist keygen, kist pubkey. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#ifdef KIST_HAVE_QRENCODE
#include <qrencode.h>
#endif
#ifdef KIST_HAVE_ZXCVBN
#include <math.h>
#include <zxcvbn.h>
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

#define KEYFILE_MAX 4096 /* a public key file: a key, a fingerprint line, comments */

int cli_pubkey_file(const char *path, kist_pubkey *pk)
{
	char *buf = NULL, *text = NULL;
	ptrdiff_t got = 0;
	int rc = 0;
	kist__os_stat st;
	int fd = kist__os_open(path, KIST__OS_RDONLY | KIST__OS_NONBLOCK, 0);
	if (fd < 0 || kist__os_fstat(fd, &st) != 0 || st.type != KIST__OS_FILE ||
	    st.size > KEYFILE_MAX)
		goto out;
	/* It may be an identity file: secure memory, wiped. */
	buf = sodium_malloc(KEYFILE_MAX + 1);
	text = sodium_malloc(KEYFILE_MAX + 1);
	if (buf == NULL || text == NULL)
		goto out;
	while (got < KEYFILE_MAX) {
		ptrdiff_t n = kist__os_read(fd, buf + got, (size_t)(KEYFILE_MAX - got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	/* Drop '#' comment lines; the rest must start with kist1 or age1. */
	size_t o = 0;
	for (char *line = buf; line != NULL && *line != '\0';) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '#') {
			memcpy(text + o, line, len);
			o += len;
		}
		line = nl ? nl + 1 : NULL;
	}
	text[o] = '\0';
	const char *k = text;
	while (*k != '\0' && strchr(" \t\r\n\"'<", *k) != NULL)
		k++;
	if (strncasecmp(k, "kist1", 5) != 0 && strncasecmp(k, "age1", 4) != 0)
		goto out; /* not a public key file (an identity file, say) */
	if (kist_pubkey_parse(pk, text) != KIST_OK) {
		cli_error(path, "holds no valid public key: %s", kist_errdetail());
		rc = -1;
		goto out;
	}
	rc = 1;
out:
	if (fd >= 0)
		kist__os_close(fd);
	sodium_free(buf);
	sodium_free(text);
	return rc;
}

/* Takes dashes, blanks and colons out of s; 1 if 20 hex digits remain (into out). */
static int parse_fingerprint(const char *s, char out[KIST_FINGERPRINT_STRLEN + 1])
{
	char hex[21];
	size_t n = 0;
	for (; *s != '\0'; s++) {
		if (*s == '-' || *s == ' ' || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s) || n == 20)
			return 0;
		hex[n++] = (char)tolower((unsigned char)*s);
	}
	if (n != 20)
		return 0;
	for (size_t i = 0, o = 0; i < 20; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = hex[i];
		out[o] = '\0';
	}
	return 1;
}

/* 1 if arg looks like a key (kist1.../age1...), not a name. */
static int looks_like_key(const char *arg)
{
	while (*arg != '\0' && strchr(" \t\r\n\"'<", *arg) != NULL)
		arg++;
	return strncasecmp(arg, "kist1", 5) == 0 || strncasecmp(arg, "age1", 4) == 0;
}

/* "no key, and no contact named X": nothing else of the contacts is listed. */
static void no_such_name(const char *opt, const char *arg, const char *what)
{
	const char *book = cli_contacts_path();
	if (book[0] != '\0' && kist__os_exists(book))
		cli_error(opt, "%s is not %s, and no contact is named so (contacts: %s)", arg, what,
		          book);
	else
		cli_error(opt, "%s is not %s, and there is no contacts file%s%s%s", arg, what,
		          book[0] ? " (" : "", book, book[0] ? ")" : "");
}

/*
 * A contact's name is looked up only for what is nothing else: not a key, a
 * fingerprint or an existing file.  The contacts file may have been edited by
 * someone else; a planted name must never change what a key, a fingerprint or
 * a file the user typed means.
 */
static int contact_for(const char *arg, kist_pubkey *pk)
{
	char f[KIST_FINGERPRINT_STRLEN + 1];
	if (looks_like_key(arg) || parse_fingerprint(arg, f) || kist__os_exists(arg))
		return 0;
	return cli_contact_find(arg, pk);
}

/* Resolution order: a key, a fingerprint, a file holding a key, a contact's name. */
int cli_signer_arg(const char *arg, cli_signer *out)
{
	memset(out, 0, sizeof *out);
	if (kist_pubkey_parse(&out->pk, arg) == KIST_OK) {
		if (out->pk.kind == KIST_PUBKEY_AGE)
			goto age;
		kist_pubkey_fingerprint(&out->pk, out->fpr);
		return EXIT_OK;
	}
	if (parse_fingerprint(arg, out->fpr) && !kist__os_exists(arg)) {
		out->by_fingerprint = 1;
		return EXIT_OK;
	}
	if (contact_for(arg, &out->pk)) {
		kist_pubkey_fingerprint(&out->pk, out->fpr);
		return EXIT_OK;
	}
	int r = kist__os_exists(arg) ? cli_pubkey_file(arg, &out->pk) : 0;
	if (r < 0)
		return EXIT_USAGE;
	if (r == 0 && kist__os_exists(arg)) {
		kist_err err = kist_identity_file_pubkey(arg, &out->pk);
		if (err != KIST_OK)
			return cli_fail("--signer", err);
	} else if (r == 0 && !looks_like_key(arg)) {
		no_such_name("--signer", arg, "a key, a file or a fingerprint");
		return EXIT_USAGE;
	} else if (r == 0 && kist_pubkey_parse(&out->pk, arg) != KIST_OK) {
		cli_error("--signer",
		          "%s: %s (give a kist1 key, a file holding one, or a "
		          "fingerprint)",
		          arg, kist_errdetail());
		return EXIT_USAGE;
	}
	if (out->pk.kind == KIST_PUBKEY_AGE) {
	age:
		cli_error("--signer",
		          "an age1 key cannot sign; give the kist1 key that 'kist pubkey' prints "
		          "for the age identity file");
		return EXIT_USAGE;
	}
	kist_pubkey_fingerprint(&out->pk, out->fpr);
	return EXIT_OK;
}

int cli_signer_matches(const cli_signer *want, const kist_pubkey *signer)
{
	char f[KIST_FINGERPRINT_STRLEN + 1];
	if (want->by_fingerprint) {
		kist_pubkey_fingerprint(signer, f);
		return strcmp(f, want->fpr) == 0;
	}
	return sodium_memcmp(want->pk.x25519, signer->x25519, 32) == 0 &&
	       sodium_memcmp(want->pk.ed25519, signer->ed25519, 32) == 0;
}

/* Resolution order: a key, then a file (named, to say -R), then a contact's name. */
int cli_recipient_arg(const char *arg, kist_pubkey *pk)
{
	if (kist_pubkey_parse(pk, arg) == KIST_OK || contact_for(arg, pk))
		return EXIT_OK;
	char why[512];
	snprintf(why, sizeof why, "%s", kist_errdetail());
	kist__os_stat st;
	if (kist__os_fstatat(KIST__OS_CWD, arg, &st, 0) == 0 && st.type == KIST__OS_FILE) {
		cli_error("-r", "%s is a file: -r takes a key; to read keys from a file use -R %s",
		          arg, arg);
		return EXIT_USAGE;
	}
	if (!looks_like_key(arg)) {
		no_such_name("-r", arg, "a key");
		return EXIT_USAGE;
	}
	cli_error("-r", "%s: %s", arg, why);
	return EXIT_USAGE;
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
	if (!cli_quiet) {
		char l[CLI_FPR_LABEL_MAX];
		cli_fpr_label(l, sizeof l, pk);
		fprintf(stderr, "fingerprint: %s\n", l);
	}
	return EXIT_OK;
}

#define PASS_MIN_CHARS 8 /* shorter only with --weak-passphrase */
/*
 * The attacker the strength warning assumes: many machines trying 10,000
 * guesses a second in all against kist's Argon2id (256 MiB, 3 passes: about
 * a second per guess on one core).  Below a century of guessing, keygen warns.
 */
#define GUESSES_PER_SECOND 1e4
#define WARN_BELOW_SECONDS (100 * 365.25 * 86400)

/* Characters (UTF-8 sequences; a stray byte counts as one) of the len bytes at s. */
static size_t count_chars(const char *s, size_t len)
{
	size_t n = 0;
	uint32_t cp;
	for (size_t i = 0; i < len; n++) {
		size_t k = kist_utf8_next(s + i, len - i, &cp);
		i += k ? k : 1;
	}
	return n;
}

#ifdef KIST_HAVE_ZXCVBN
/* "3 hours", "about 40 years": a duration for people. */
static void human_duration(char *out, size_t cap, double s)
{
	static const struct {
		double secs;
		const char *one, *many;
	} u[] = {{365.25 * 86400, "year", "years"},
	         {86400, "day", "days"},
	         {3600, "hour", "hours"},
	         {60, "minute", "minutes"}};
	if (s < 60) {
		snprintf(out, cap, "less than a minute");
		return;
	}
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
		if (s >= u[i].secs) {
			double v = floor(s / u[i].secs);
			snprintf(out, cap, "about %.0f %s", v, v == 1 ? u[i].one : u[i].many);
			return;
		}
}
#endif

/*
 * The passphrase rules of keygen: fewer than PASS_MIN_CHARS characters is
 * refused unless --weak-passphrase; a weak one (zxcvbn's estimate, if built
 * in) is warned about.  Returns an exit code.
 */
static int check_passphrase(const cli_args *a, const char *pass, size_t len)
{
	size_t chars = count_chars(pass, len);
	int weak_ok = cli_count(a, "weak-passphrase") > 0;
	if (chars < PASS_MIN_CHARS && !weak_ok) {
		cli_error("keygen",
		          "the passphrase has %zu characters; at least %d are needed (a few "
		          "unrelated words are best), or give --weak-passphrase",
		          chars, PASS_MIN_CHARS);
		return EXIT_USAGE;
	}
#ifdef KIST_HAVE_ZXCVBN
	/* zxcvbn reads a C string: a copy in secure memory, wiped. */
	char *z = sodium_malloc(len + 1);
	if (z == NULL)
		return cli_fail(NULL, KIST_E_NOMEM);
	memcpy(z, pass, len);
	z[len] = '\0';
	double bits = ZxcvbnMatch(z, NULL, NULL);
	sodium_free(z);
	double secs = pow(2.0, bits) / GUESSES_PER_SECOND;
	if (secs < WARN_BELOW_SECONDS) {
		char d[64];
		human_duration(d, sizeof d, secs);
		fprintf(stderr,
		        "kist: warning: weak passphrase: could be guessed in %s at 10,000 guesses "
		        "a second "
		        "(zxcvbn's estimate); a few unrelated words make a stronger one\n",
		        d);
	}
#else
	if (chars < PASS_MIN_CHARS)
		fprintf(stderr, "kist: warning: weak passphrase: fewer than %d characters\n",
		        PASS_MIN_CHARS);
#endif
	return EXIT_OK;
}

static void keygen_exists(const char *out)
{
	cli_error(out, "already exists; keygen never replaces an identity (vaults sealed to it "
	               "could no longer be opened): move it elsewhere first, or choose another -o");
}

int cmd_keygen(const cli_args *a)
{
	kist_identity *id = NULL;
	char *pass = NULL;
	size_t passlen = 0;
	kist_pubkey pk;
	kist_err err;
	int rc;

	const char *out = cli_get(a, "output");
	if (out == NULL || a->npos != 0) {
		cli_usage_error("keygen", "usage: kist keygen -o FILE");
		return EXIT_USAGE;
	}
	if (cli_get(a, "passphrase-file") && cli_count(a, "no-passphrase")) {
		cli_usage_error("keygen", "--passphrase-file and --no-passphrase conflict");
		return EXIT_USAGE;
	}
	if (cli_count(a, "weak-passphrase") && cli_count(a, "no-passphrase")) {
		cli_usage_error("keygen", "--weak-passphrase and --no-passphrase conflict");
		return EXIT_USAGE;
	}
	/* Never replaced: every vault sealed to the old identity would be lost. */
	if (kist__os_exists_at(KIST__OS_CWD, out)) {
		keygen_exists(out);
		return EXIT_OTHER;
	}
	if ((err = kist_identity_generate(&id)) != KIST_OK)
		return cli_fail(NULL, err);
	if (!cli_count(a, "no-passphrase")) {
		pass = sodium_malloc(KIST_PASSPHRASE_MAX);
		if (pass == NULL) {
			rc = cli_fail(NULL, KIST_E_NOMEM);
			goto out;
		}
		err = cli_read_passphrase(cli_get(a, "passphrase-file"),
		                          "Passphrase for the new identity: ", 1, pass,
		                          KIST_PASSPHRASE_MAX, &passlen);
		if (err != KIST_OK) {
			rc = cli_exit_code(err);
			goto out;
		}
		if ((rc = check_passphrase(a, pass, passlen)) != EXIT_OK)
			goto out;
	}
	if ((err = kist_identity_save(id, out, pass, passlen, 0)) != KIST_OK) {
		if (err == KIST_E_EXISTS) { /* created meanwhile */
			keygen_exists(out);
			rc = EXIT_OTHER;
		} else {
			rc = cli_fail(NULL, err);
		}
		goto out;
	}
	if (cli_count(a, "no-passphrase"))
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

int cmd_pubkey(const cli_args *a)
{
	kist_pubkey pk;
	int qr;

	if (a->npos != 1) {
		cli_usage_error("pubkey", "usage: kist pubkey [--qr] FILE|KEY");
		return EXIT_USAGE;
	}
	qr = cli_count(a, "qr") > 0;
	/* A public key given instead of a file: show its fingerprint. */
	if (!kist__os_exists(a->pos[0]) && kist_pubkey_parse(&pk, a->pos[0]) == KIST_OK)
		return print_pubkey(&pk, qr);
	if ((strncasecmp(a->pos[0], "kist1", 5) == 0 || strncasecmp(a->pos[0], "age1", 4) == 0) &&
	    !kist__os_exists(a->pos[0])) {
		kist_err err = kist_pubkey_parse(&pk, a->pos[0]);
		if (err != KIST_OK)
			return cli_fail(a->pos[0], err);
		return print_pubkey(&pk, qr);
	}
	/* A file holding a public key (no secret: no permission check). */
	int r = cli_pubkey_file(a->pos[0], &pk);
	if (r < 0)
		return EXIT_USAGE;
	if (r > 0)
		return print_pubkey(&pk, qr);
	kist_err err = kist_identity_file_pubkey(a->pos[0], &pk);
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
	if ((err = kist_identity_load_all(&ids, &n, a->pos[0], NULL, NULL)) != KIST_OK)
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
