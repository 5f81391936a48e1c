/* --status: a check of jobs' last runs (Nagios/Icinga verdicts), as a table or JSON, from the
 * state files' summaries; --forget; and the output tail of a failed run it shows. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "duration.h"
#include "fileio.h"
#include "status.h"

#define ROW_FMT "%-24s %-16s %-20s %10s %5s %-20s %5s %5s %s\n"
#define OUTPUT_MAX (64 * 1024)   /* the output tail file's bound (a tail is ~10 KiB) */
#define OUTPUT_LINES 10          /* the last lines shown of a failed run's output */

static const char *const verdict_names[] = { "OK", "CRITICAL", "UNKNOWN" };

static void format_when(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

static int is_skip(const char *state)
{
	return strncmp(state, "skipped_", 8) == 0;
}

enum status_verdict status_judge(const struct state_summary *s, int64_t now_us, uint64_t max_age_ms,
				 char *why, size_t len)
{
	char a[32], m[32];
	int64_t age_us;

	if (!s->readable) {
		snprintf(why, len, "no readable state file");
		return STATUS_UNKNOWN;
	}
	if (s->consecutive_failures > 0) {
		/* A skip after a failure keeps the failure: the job has not succeeded since. */
		snprintf(why, len, "last run failed (%lld in a row)", (long long)s->consecutive_failures);
		return STATUS_CRITICAL;
	}
	if (!max_age_ms && s->period_us > 0)
		max_age_ms = (uint64_t)s->period_us / 1000 * 2;
	age_us = now_us - s->start_us;
	if (max_age_ms && (!s->start_us || age_us > (int64_t)max_age_ms * 1000)) {
		duration_format(age_us > 0 ? (uint64_t)age_us / 1000 : 0, a, sizeof a);
		duration_format(max_age_ms, m, sizeof m);
		if (s->start_us)
			snprintf(why, len, "last run %s ago, older than the max age %s", a, m);
		else
			snprintf(why, len, "no run recorded within the max age %s", m);
		return STATUS_CRITICAL;
	}
	snprintf(why, len, "%s", is_skip(s->state) ? "skipped, by design" : "last run succeeded");
	return STATUS_OK;
}

/* ---- The spool and the output tail ----------------------------------------------------- */

/* Spool entries are named START_US-JOB-RUN_ID.SINK (spool.h); a job name may hold '-', so
 * JOB is what lies between the first '-' and the 36-character run id. */
static int spool_entry_of(const char *name, const char *job)
{
	size_t jl = strlen(job), n = strspn(name, "0123456789");
	const char *p = name + n, *dot;

	if (n == 0 || *p != '-' || strncmp(p + 1, job, jl) != 0 || p[1 + jl] != '-')
		return 0;
	dot = strchr(p + 2 + jl, '.');
	return dot && dot - (p + 2 + jl) == 36;
}

/* The spool's entry names, read once for a whole check (a fleet host has thousands of jobs). */
struct spool_names {
	char **v;
	size_t n;
};

static void spool_names_load(const char *state_dir, struct spool_names *sn)
{
	char path[4200];
	struct dirent *de;
	DIR *d;

	sn->v = NULL;
	sn->n = 0;
	snprintf(path, sizeof path, "%s/spool", state_dir);
	if (!(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char **v;

		if (de->d_name[0] == '.' || !(v = realloc(sn->v, (sn->n + 1) * sizeof *v)))
			continue;
		sn->v = v;
		if ((v[sn->n] = strdup(de->d_name)))
			sn->n++;
	}
	closedir(d);
}

static unsigned spool_names_count(const struct spool_names *sn, const char *job)
{
	unsigned n = 0;

	for (size_t i = 0; i < sn->n; i++)
		n += spool_entry_of(sn->v[i], job);
	return n;
}

static void spool_names_free(struct spool_names *sn)
{
	for (size_t i = 0; i < sn->n; i++)
		free(sn->v[i]);
	free(sn->v);
}

unsigned status_spool_depth(const char *state_dir, const char *job)
{
	struct spool_names sn;
	unsigned n;

	spool_names_load(state_dir, &sn);
	n = spool_names_count(&sn, job);
	spool_names_free(&sn);
	return n;
}

int status_save_output(const char *dir, const char *job, const char *run_id, const char *text,
		       size_t len, char *err, size_t errlen)
{
	char name[80], *buf;
	size_t hl;
	int dfd, rc;

	snprintf(name, sizeof name, "%s.output", job);
	if (!(buf = malloc(len + 64))) {
		snprintf(err, errlen, "out of memory writing %s/%s", dir, name);
		return -1;
	}
	hl = (size_t)snprintf(buf, 64, "run_id %s\n", run_id);
	memcpy(buf + hl, text, len);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dfd < 0 ? -1 : fileio_replace(dfd, name, buf, hl + len, 0600, 0);
	if (rc < 0)
		snprintf(err, errlen, "cannot write %s/%s: %s", dir, name, strerror(errno));
	if (dfd >= 0)
		close(dfd);
	free(buf);
	return rc;
}

/* The last OUTPUT_LINES lines of the output kept for run RUN_ID of JOB, or NULL (none kept,
 * or kept for another run). Malloc'd. */
static char *output_tail(const char *dir, const char *job, const char *run_id)
{
	char name[80], head[64], *text, *nl, *p;
	size_t len;
	int lines = 0;

	snprintf(name, sizeof name, "%s/%s.output", dir, job);
	if (!run_id[0] || !(text = fileio_read_path(name, OUTPUT_MAX, &len, NULL)))
		return NULL;
	snprintf(head, sizeof head, "run_id %s\n", run_id);
	if (strncmp(text, head, strlen(head)) != 0 || !(nl = strchr(text, '\n'))) {
		free(text);
		return NULL;
	}
	/* Back from the end, past a final newline, to the start of the OUTPUT_LINES-th line. */
	for (p = text + len; p > nl + 1; p--)
		if (p[-1] == '\n' && p != text + len && ++lines == OUTPUT_LINES)
			break;
	memmove(text, p, strlen(p) + 1);
	return text;
}

/* ---- The check ------------------------------------------------------------------------- */

struct check {
	FILE *out;
	const struct status_query *q;
	enum status_verdict worst;
	unsigned char *found;     /* per selected job: seen */
	json_t *array;            /* --json: the jobs, else NULL */
	struct spool_names spool;
};

static int selected(struct check *c, const char *job)
{
	if (!c->q->njobs)
		return 1;
	for (size_t i = 0; i < c->q->njobs; i++)
		if (strcmp(c->q->jobs[i], job) == 0) {
			c->found[i] = 1;
			return 1;
		}
	return 0;
}

/* Output goes into a terminal, a mail or a monitoring system's page: one line per line. */
static void print_lines(FILE *out, const char *prefix, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		fputs(prefix, out);
		for (size_t i = 0; i < n; i++)
			fputc((unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i], out);
		fputc('\n', out);
		text += n + (text[n] == '\n');
	}
}

static void print_table_row(struct check *c, const struct state_summary *s, enum status_verdict v,
			    const char *why, unsigned spool, const char *output)
{
	char when[32], dur[24], code[24], last_ok[32], nfail[24], nspool[16], verdict[400];
	int ran = s->state[0] && !is_skip(s->state);

	if (!s->readable) {
		snprintf(verdict, sizeof verdict, "%s: %s", verdict_names[v], why);
		fprintf(c->out, ROW_FMT, s->job, "unknown", "-", "-", "-", "-", "-", "-", verdict);
		return;
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
	snprintf(nspool, sizeof nspool, "%u", spool);
	snprintf(verdict, sizeof verdict, "%s: %s", verdict_names[v], why);
	fprintf(c->out, ROW_FMT, s->job, s->state[0] ? s->state : "?", when, dur, code, last_ok,
		nfail, nspool, verdict);
	if (s->reason[0])
		print_lines(c->out, "    reason: ", s->reason);
	if (output)
		print_lines(c->out, "    | ", output);
}

/* JSON strings must be UTF-8; a job's output need not be. */
static json_t *text_value(const char *t)
{
	json_t *v = json_string(t);
	char *copy;

	if (v || !(copy = strdup(t)))
		return v;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

static double seconds(int64_t us)
{
	return (double)us / 1e6;
}

static void add_json_row(struct check *c, const struct state_summary *s, enum status_verdict v,
			 const char *why, unsigned spool, const char *output)
{
	json_t *o = json_object();

	if (!o)
		return;
	json_object_set_new(o, "job", json_string(s->job));
	json_object_set_new(o, "status", json_string(verdict_names[v]));
	json_object_set_new(o, "why", text_value(why));
	if (s->readable) {
		json_object_set_new(o, "state", text_value(s->state));
		json_object_set_new(o, "run_id", text_value(s->run_id));
		json_object_set_new(o, "start", s->start_us ? json_real(seconds(s->start_us)) : json_null());
		json_object_set_new(o, "age", s->start_us ? json_real(seconds(c->q->now_us - s->start_us))
							  : json_null());
		json_object_set_new(o, "duration", s->duration_us >= 0 ? json_real(seconds(s->duration_us))
								      : json_null());
		json_object_set_new(o, "exit_code", s->has_exit ? json_integer(s->exit_code) : json_null());
		json_object_set_new(o, "signal", s->signal ? json_integer(s->signal) : json_null());
		json_object_set_new(o, "reason", s->reason[0] ? text_value(s->reason) : json_null());
		json_object_set_new(o, "last_success", s->last_success_us ? json_real(seconds(s->last_success_us))
									   : json_null());
		json_object_set_new(o, "consecutive_failures", json_integer(s->consecutive_failures));
		json_object_set_new(o, "runs", json_integer(s->runs));
		json_object_set_new(o, "period", s->period_us ? json_real(seconds(s->period_us)) : json_null());
	}
	json_object_set_new(o, "spool", json_integer(spool));
	json_object_set_new(o, "output", output ? text_value(output) : json_null());
	json_array_append_new(c->array, o);
}

static void show(struct check *c, const struct state_summary *s)
{
	char why[300];
	enum status_verdict v = status_judge(s, c->q->now_us, c->q->max_age_ms, why, sizeof why);
	unsigned spool = spool_names_count(&c->spool, s->job);
	char *output = NULL;

	if (v > c->worst)
		c->worst = v;
	/* Only a failed last run has output worth showing: the one the failure is about. */
	if (s->readable && s->state[0] && strcmp(s->state, "success") != 0 && !is_skip(s->state))
		output = output_tail(c->q->dir, s->job, s->run_id);
	if (c->array)
		add_json_row(c, s, v, why, spool, output);
	else
		print_table_row(c, s, v, why, spool, output);
	free(output);
}

static int visit(void *ctx, const struct state_summary *s)
{
	struct check *c = ctx;

	if (selected(c, s->job))
		show(c, s);
	return 0;
}

enum status_verdict status_check(FILE *out, const struct status_query *q, char *err, size_t errlen)
{
	struct check c = { .out = out, .q = q, .worst = STATUS_OK };

	if (q->njobs && !(c.found = calloc(q->njobs, 1))) {
		snprintf(err, errlen, "out of memory");
		return STATUS_UNKNOWN;
	}
	if (q->json && !(c.array = json_array())) {
		free(c.found);
		snprintf(err, errlen, "out of memory");
		return STATUS_UNKNOWN;
	}
	if (!q->json)
		fprintf(out, ROW_FMT, "JOB", "LAST STATE", "LAST RUN", "DURATION", "EXIT", "LAST SUCCESS",
			"FAILS", "SPOOL", "CHECK");
	/* A missing state directory is unknown, never OK: a check that cannot look must not
	 * pass (a mistyped --state-dir would otherwise be green forever). */
	spool_names_load(q->dir, &c.spool);
	if (state_scan(q->dir, visit, &c, err, errlen) < 0) {
		json_decref(c.array);
		free(c.found);
		spool_names_free(&c.spool);
		return STATUS_UNKNOWN;
	}
	for (size_t i = 0; i < q->njobs; i++) {
		struct state_summary s = { .readable = 0, .duration_us = -1 };

		if (c.found[i])
			continue;
		snprintf(s.job, sizeof s.job, "%s", q->jobs[i]);
		c.found[i] = 1;
		show(&c, &s);
	}
	if (c.array) {
		json_dumpf(c.array, out, JSON_INDENT(2) | JSON_REAL_PRECISION(16));
		fputc('\n', out);
		json_decref(c.array);
	}
	free(c.found);
	spool_names_free(&c.spool);
	return c.worst;
}

/* ---- --forget -------------------------------------------------------------------------- */

static int remove_at(int dfd, const char *name, int *removed, const char *dir, char *err,
		     size_t errlen)
{
	if (unlinkat(dfd, name, 0) == 0) {
		(*removed)++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "cannot remove %s/%s: %s", dir, name, strerror(errno));
	return -1;
}

int status_forget(const char *dir, const char *job, const char *textfile_dir, char *err,
		  size_t errlen)
{
	char names[3][96];
	int removed = 0, dfd, rc = 0;

	snprintf(names[0], sizeof names[0], "%s.json", job);
	snprintf(names[1], sizeof names[1], ".%s.json.prev", job);
	snprintf(names[2], sizeof names[2], "%s.output", job);
	/* Names within a directory opened once: nothing is followed out of it. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot open state dir %s: %s", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; dfd >= 0 && i < 3 && rc == 0; i++)
		rc = remove_at(dfd, names[i], &removed, dir, err, errlen);
	if (dfd >= 0)
		close(dfd);
	if (rc == 0 && textfile_dir) {
		snprintf(names[0], sizeof names[0], "cronguard_%s.prom", job);
		dfd = open(textfile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			rc = remove_at(dfd, names[0], &removed, textfile_dir, err, errlen);
			close(dfd);
		}
	}
	return rc < 0 ? -1 : removed;
}
