/* --status: a table of every job's last run, from the state files' summaries. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"

#define ROW_FMT "%-24s %-16s %-20s %10s %5s %-20s %5s\n"

static void format_when(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

int status_row(const struct state_summary *s, int64_t now_s, char *buf, size_t len)
{
	char when[32], dur[16], code[24], last_ok[32], nfail[24];
	int ran = s->state[0] && strncmp(s->state, "skipped_", 8) != 0;

	(void)now_s;
	if (!s->readable) {
		snprintf(buf, len, ROW_FMT, s->job, "unreadable", "-", "-", "-", "-", "?");
		return 1;
	}
	if (s->start_us)
		format_when(s->start_us, when, sizeof when);
	else
		snprintf(when, sizeof when, "-");
	if (s->duration_us >= 0 && ran)
		snprintf(dur, sizeof dur, "%.3fs", (double)s->duration_us / 1e6);
	else
		snprintf(dur, sizeof dur, "-");
	if (ran && strcmp(s->state, "error") != 0 && s->has_exit)
		snprintf(code, sizeof code, "%lld", (long long)s->exit_code);
	else
		snprintf(code, sizeof code, "-");
	if (s->last_success_us)
		format_when(s->last_success_us, last_ok, sizeof last_ok);
	else
		snprintf(last_ok, sizeof last_ok, "never");
	snprintf(nfail, sizeof nfail, "%lld", (long long)s->consecutive_failures);
	snprintf(buf, len, ROW_FMT, s->job, s->state[0] ? s->state : "?", when, dur, code, last_ok,
		 nfail);
	return s->consecutive_failures > 0;
}

struct table {
	FILE *out;
	time_t now;
	int failing;
	int headed;
};

static void header(struct table *t)
{
	fprintf(t->out, ROW_FMT, "JOB", "LAST STATE", "LAST RUN", "DURATION", "EXIT",
		"LAST SUCCESS", "FAILS");
	t->headed = 1;
}

static int print_row(void *ctx, const struct state_summary *s)
{
	struct table *t = ctx;
	char row[512];

	if (!t->headed)
		header(t);
	t->failing += status_row(s, t->now, row, sizeof row);
	fputs(row, t->out);
	return 0;
}

int status_print(FILE *out, const char *dir, char *err, size_t errlen)
{
	struct table t = { out, time(NULL), 0, 0 };

	if (state_scan(dir, print_row, &t, err, errlen) < 0) {
		if (errno != ENOENT)
			return -1;
		fprintf(out, "no jobs recorded yet in %s\n", dir);
		return 0;
	}
	if (!t.headed)
		header(&t);
	return t.failing;
}
