/*
 * The progress line: one line on stderr, rewritten in place with '\r', for
 * seal, extract and verify.  Shown only when stderr is a terminal and -q was
 * not given, so pipes and logs never see it.  The library calls back on the
 * calling thread once per chunk; this file throttles to about four updates a
 * second (the first update is drawn at once) and erases the line at the end.
 */
#include "cli.h"

#include <stdio.h>
#include <time.h>

#define PROGRESS_INTERVAL 0.25 /* seconds between two drawings */

int cli_quiet;

static cli_progress *drawn; /* the progress whose line is on the terminal, if any */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p, const char *label)
{
	p->label = label;
	p->active = !cli_quiet && kist__os_isatty(KIST__OS_STDERR);
	p->start = now();
	p->last = p->start - 2 * PROGRESS_INTERVAL;
}

static void fmt_duration(char *out, size_t cap, double s)
{
	unsigned long t = s < 0 ? 0 : s > 359999 ? 359999 : (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

void cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
	cli_progress *p = ctx;
	char d[32], tot[32], rate[32], left[32], line[200];
	double t, elapsed, bps;
	int n;

	if (p == NULL || !p->active)
		return;
	t = now();
	if (t - p->last < PROGRESS_INTERVAL)
		return;
	p->last = t;
	elapsed = t - p->start;
	bps = elapsed > 0.001 ? (double)done / elapsed : 0;
	cli_human_size(d, sizeof d, done);
	cli_human_size(rate, sizeof rate, (unsigned long long)bps);
	if (total > 0 && done <= total) {
		cli_human_size(tot, sizeof tot, total);
		if (bps > 0)
			fmt_duration(left, sizeof left, (double)(total - done) / bps);
		else
			snprintf(left, sizeof left, "?");
		n = snprintf(line, sizeof line, "kist: %s %s of %s (%u%%), %s/s, %s left", p->label,
		             d, tot, (unsigned)(done * 100 / total), rate, left);
	} else {
		n = snprintf(line, sizeof line, "kist: %s %s, %s/s", p->label, d, rate);
	}
	if (n < 0)
		return;
	/* '\r' back to the start, the line, then erase whatever an older, longer line left. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	drawn = p;
}

void cli_progress_clear(void)
{
	if (drawn == NULL)
		return;
	fputs("\r\033[K", stderr);
	fflush(stderr);
	drawn = NULL;
}

void cli_progress_end(cli_progress *p)
{
	if (drawn == p)
		cli_progress_clear();
	p->active = 0;
}

void cli_human_size(char *out, size_t cap, unsigned long long n)
{
	static const char *units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%llu bytes", n);
	else
		snprintf(out, cap, "%.1f %s", v, units[u]);
}
