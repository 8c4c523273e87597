/*
 * The printable reports' HTML (kist report, kist audit report): a growing
 * buffer, hostile text escaped twice over (kist_escape()'s rules for control
 * and bidi characters, then HTML's five), one page frame with inline CSS for
 * screen and print, and the output: atomically to a file, to stdout, or
 * through headless Chromium to a PDF.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PDF_MAX (1u << 30) /* bytes of a printed report read back */

static int grow(cli_html *h, size_t more)
{
	if (h->nomem)
		return -1;
	if (more > SIZE_MAX / 2 - h->len) {
		h->nomem = 1;
		return -1;
	}
	if (h->len + more + 1 <= h->cap)
		return 0;
	size_t cap = h->cap ? h->cap : 65536;
	while (cap < h->len + more + 1)
		cap *= 2;
	char *p = realloc(h->p, cap);
	if (p == NULL) {
		h->nomem = 1;
		return -1;
	}
	h->p = p;
	h->cap = cap;
	return 0;
}

void cli_html_raw(cli_html *h, const char *s)
{
	size_t n = strlen(s);
	if (grow(h, n) != 0)
		return;
	memcpy(h->p + h->len, s, n);
	h->len += n;
	h->p[h->len] = '\0';
}

void cli_html_fmt(cli_html *h, const char *fmt, ...)
{
	va_list ap;
	char small[512];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		h->nomem = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		cli_html_raw(h, small);
		return;
	}
	if (grow(h, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(h->p + h->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	h->len += (size_t)n;
}

/* kist_escape()'s output, with HTML's special characters as references. */
static void html_write(void *ctx, const char *p, size_t n)
{
	cli_html *h = ctx;
	for (size_t i = 0; i < n; i++) {
		const char *r = NULL;
		switch (p[i]) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '"':
			r = "&quot;";
			break;
		case '\'':
			r = "&#39;";
			break;
		}
		if (r != NULL) {
			cli_html_raw(h, r);
		} else if (grow(h, 1) == 0) {
			h->p[h->len++] = p[i];
			h->p[h->len] = '\0';
		}
	}
}

void cli_html_text(cli_html *h, const char *s)
{
	kist_escape(s, strlen(s), 0, html_write, h);
}

void cli_html_path(cli_html *h, const char *s)
{
	kist_escape(s, strlen(s), KIST_ESCAPE_BACKSLASH, html_write, h);
}

void cli_html_time(cli_html *h, long long t)
{
	char s[40];
	cli_time(s, sizeof s, t);
	cli_html_text(h, s);
}

void cli_html_key(cli_html *h, const kist_pubkey *pk)
{
	char s[CLI_FPR_LABEL_MAX];
	cli_fpr_label(s, sizeof s, pk); /* a contact's name in it is escaped already */
	cli_html_text(h, s);
}

/*
 * One page frame for both reports: no script, nothing fetched (the CSP says
 * so to the browser too), A4 and Letter both fit (the page box is the
 * printer's; margins are small enough for either), table headers repeat on
 * every printed page and rows are never cut.
 */
static const char page_css[] =
    "body{font:10.5pt/1.35 'DejaVu Sans',Arial,sans-serif;color:#111;margin:2em "
    "auto;max-width:60em;padding:0 1em}\n"
    "h1{font-size:17pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.4em 0 .4em;border-bottom:1px "
    "solid #999;break-after:avoid}\n"
    "p,li{max-width:48em}.lead{color:#333}\n"
    "table{border-collapse:collapse;width:100%;margin:.3em 0 1em}\n"
    "th,td{border:1px solid #bbb;padding:.15em .35em;text-align:left;vertical-align:top}\n"
    "th{background:#eee}thead{display:table-header-group}tr{break-inside:avoid}\n"
    "table.kv th{width:12em;background:#f5f5f5}\n"
    ".mono,.hash,td.path{font-family:'DejaVu Sans Mono',monospace;font-size:8.5pt}\n"
    ".hash,td.path,.wrap{overflow-wrap:anywhere;word-break:break-all}\n"
    ".ok{color:#064}.bad{color:#a00;font-weight:bold}.note{color:#555}\n"
    ".verdict{border:2px solid #064;padding:.4em .6em;margin:.6em 0}"
    ".verdict.bad{border-color:#a00}\n"
    "pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:8.5pt;background:#f7f7f7;"
    "padding:.4em}\n"
    "footer{margin-top:2em;font-size:8.5pt;color:#555}\n"
    "@page{margin:14mm 12mm}\n"
    "@media print{body{margin:0;max-width:none;padding:0;font-size:9.5pt}"
    "a{color:inherit;text-decoration:none}h2{break-after:avoid}"
    ".verdict{break-inside:avoid}}\n";

void cli_html_begin(cli_html *h, const char *title, int letter)
{
	cli_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
	                "'none'; style-src 'unsafe-inline'; img-src data:\">\n"
	                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	cli_html_text(h, title);
	cli_html_raw(h, "</title>\n<style>\n");
	cli_html_raw(h, page_css);
	cli_html_raw(h, letter ? "@page{size:letter}\n" : "@page{size:A4}\n");
	cli_html_raw(h, "</style>\n</head>\n<body>\n");
}

void cli_html_end(cli_html *h)
{
	char t[40];
	cli_time(t, sizeof t, (long long)time(NULL));
	cli_html_fmt(h,
	             "<footer>Written by kist %s on %s (the clock of the machine that wrote "
	             "it). This document is plaintext about the vault: handle it as you "
	             "would its contents' names.</footer>\n</body>\n</html>\n",
	             kist_version(), t);
}

void cli_html_free(cli_html *h)
{
	free(h->p);
	memset(h, 0, sizeof *h);
}

/* ---------------------------------------------------------------- output */

/* The temporary files of --pdf, for the signal handler (main.c), while pdf_active. */
static char pdf_html[PATH_MAX + 32];
static char pdf_out[PATH_MAX + 32];
static volatile sig_atomic_t pdf_active;

void cli_html_cleanup_on_signal(void)
{
	if (!pdf_active)
		return;
	/* async-signal-safe; the rest of the folder holds no report */
	kist__os_unlinkat(KIST__OS_CWD, pdf_html, 0);
	kist__os_unlinkat(KIST__OS_CWD, pdf_out, 0);
}

/* chromium or chromium-browser on PATH, into out; 0 if found. */
static int find_chromium(char *out, size_t cap)
{
	const char *path = getenv("PATH");
	const char *names[] = {"chromium", "chromium-browser"};
	if (path == NULL)
		return -1;
	for (size_t k = 0; k < 2; k++) {
		for (const char *p = path; *p;) {
			char sep[2] = {kist__os_path_list_sep(), '\0'};
			size_t n = strcspn(p, sep);
			if (n > 0) {
				int w = snprintf(out, cap, "%.*s/%s", (int)n, p, names[k]);
				if (w > 0 && (size_t)w < cap && kist__os_can_execute(out))
					return 0;
			}
			p += n + (p[n] == sep[0]);
		}
	}
	return -1;
}

int cli_html_pdf_available(const char *verb)
{
	char exe[PATH_MAX];
	if (find_chromium(exe, sizeof exe) == 0)
		return EXIT_OK;
	cli_error(verb, "--pdf needs chromium (or chromium-browser) on PATH, and there is "
	                "none: write the HTML without --pdf and print it to PDF from any browser");
	return EXIT_OTHER;
}

/* Removes what chromium left in its profile folder under dir (depth-first, no links). */
static void remove_tree(int dirfd, const char *name)
{
	int fd = kist__os_openat(dirfd, name,
	                         KIST__OS_RDONLY | KIST__OS_DIRECTORY | KIST__OS_NOFOLLOW, 0);
	if (fd >= 0) {
		kist__os_dir *d = kist__os_dir_open(fd);
		const char *n;
		while (d != NULL && kist__os_dir_next(d, &n, NULL) > 0)
			if (kist__os_unlinkat(fd, n, 0) != 0)
				remove_tree(fd, n);
		if (d != NULL)
			kist__os_dir_close(d);
		else
			kist__os_close(fd);
	}
	kist__os_unlinkat(dirfd, name, KIST__OS_REMOVEDIR);
}

/* Runs chromium to print html to pdf; returns an exit code (one line printed on failure). */
static int run_chromium(const char *verb, const char *exe, const char *dir)
{
	char url[sizeof pdf_html + 16], prof[PATH_MAX + 32], pdfarg[sizeof pdf_out + 32];
	snprintf(url, sizeof url, "file://%s", pdf_html);
	snprintf(prof, sizeof prof, "--user-data-dir=%s/profile", dir);
	snprintf(pdfarg, sizeof pdfarg, "--print-to-pdf=%s", pdf_out);
	char *argv[] = {(char *)exe,
	                "--headless",
	                "--no-sandbox",
	                "--disable-gpu",
	                "--no-pdf-header-footer",
	                "--no-first-run",
	                "--disable-extensions",
	                "--disable-background-networking",
	                "--disable-component-update",
	                "--disable-sync",
	                "--disable-default-apps",
	                prof,
	                pdfarg,
	                url,
	                NULL};
	/* Its own process group (an interrupt stops every chromium process), its
	 * chatter on the null device, its temporary files in dir (removed with ours). */
	int st = 0;
	if (kist__os_run_quietly(exe, argv, dir, &st) != 0) {
		if (errno == EINTR) { /* chromium stopped: clean up as on any failure */
			cli_error(verb, "interrupted: no PDF written");
			return EXIT_INTERRUPTED;
		}
		cli_error(verb, "cannot start chromium: %s", strerror(errno));
		return EXIT_OTHER;
	}
	kist__os_stat sb;
	if (st != 0 || kist__os_fstatat(KIST__OS_CWD, pdf_out, &sb, 0) != 0 || sb.size == 0) {
		cli_error(verb, "chromium did not print the report to PDF (exit status %d)", st);
		return EXIT_OTHER;
	}
	return EXIT_OK;
}

/* An interrupt that came while the report was made (or chromium started) stops it here. */
static int interrupted(const char *verb)
{
	if (!cli_interrupted)
		return 0;
	cli_error(verb, "interrupted: nothing written");
	return 1;
}

/* Writes data to out ("-": stdout) atomically; an exit code. */
static int put_output(const char *out, const void *data, size_t len, int force)
{
	if (strcmp(out, "-") == 0) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
			cli_error("standard output", "%s", strerror(errno ? errno : EIO));
			return EXIT_IO;
		}
		return EXIT_OK;
	}
	kist_err err = kist_file_write(out, data, len, force ? KIST_REPLACE : 0);
	if (err == KIST_E_EXISTS) {
		cli_error(out, "already exists (use --force to replace it)");
		return EXIT_OTHER;
	}
	return err == KIST_OK ? EXIT_OK : cli_fail(out, err);
}

/* --pdf: the HTML in a private folder, printed by chromium, the PDF read back. */
static int write_pdf(const char *verb, const cli_html *h, const char *out, int force)
{
	char exe[PATH_MAX], dir[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	char *pdf = NULL;
	size_t plen = 0;
	int rc;
	if (find_chromium(exe, sizeof exe) != 0)
		return cli_html_pdf_available(verb);
	int n = snprintf(dir, sizeof dir, "%s/kist-report.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof dir - 64 || kist__os_make_private_dir(dir) != 0) {
		cli_error(verb, "cannot make a private temporary folder: %s", strerror(errno));
		return EXIT_IO;
	}
	snprintf(pdf_html, sizeof pdf_html, "%s/report.html", dir);
	snprintf(pdf_out, sizeof pdf_out, "%s/report.pdf", dir);
	pdf_active = 1;
	int fd = kist__os_open(
	    pdf_html, KIST__OS_WRONLY | KIST__OS_CREAT | KIST__OS_EXCL | KIST__OS_NOFOLLOW, 0600);
	int wrote = fd >= 0 && kist__os_write(fd, h->p, h->len) == (ptrdiff_t)h->len;
	int closed = fd < 0 || kist__os_close(fd) == 0; /* closed on every path */
	if (!wrote || !closed) {
		cli_error(verb, "cannot write the temporary HTML for chromium: %s",
		          strerror(errno));
		rc = EXIT_IO;
		goto out;
	}
	if ((rc = run_chromium(verb, exe, dir)) != EXIT_OK)
		goto out;
	if (interrupted(verb)) { /* before the fork: chromium ran to its end */
		rc = EXIT_INTERRUPTED;
		goto out;
	}
	if ((rc = cli_read_small(pdf_out, PDF_MAX, &pdf, &plen)) != EXIT_OK)
		goto out;
	rc = put_output(out, pdf, plen, force);
out:
	free(pdf);
	kist__os_unlinkat(KIST__OS_CWD, pdf_html, 0);
	kist__os_unlinkat(KIST__OS_CWD, pdf_out, 0);
	pdf_active = 0;
	/* Stopped chromium processes may still write in their profile for a moment. */
	for (int i = 0; i < 50; i++) {
		remove_tree(KIST__OS_CWD, dir);
		if (!kist__os_exists(dir))
			break;
		kist__os_sleep_ms(100);
	}
	return rc;
}

int cli_html_write(const char *verb, const cli_html *h, const char *out, int pdf, int force)
{
	if (h->nomem)
		return cli_fail(NULL, KIST_E_NOMEM);
	if (interrupted(verb))
		return EXIT_INTERRUPTED;
	return pdf ? write_pdf(verb, h, out, force) : put_output(out, h->p, h->len, force);
}
