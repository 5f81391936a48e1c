/* The Prometheus metrics of a run: the Pushgateway push, and the text both it and the textfile sink use. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sink_pushgateway.h"
#include "encode.h"

static const struct http_rule pushgateway_rows[] = {
	{ 400, 400, HTTP_DROP },
	{ 408, 408, HTTP_RETRY },
	{ 429, 429, HTTP_RETRY },
	{ 500, 599, HTTP_RETRY },
};
const struct http_rules pushgateway_rules = { pushgateway_rows,
					      sizeof pushgateway_rows / sizeof *pushgateway_rows };

void pushgateway_escape_value(FILE *out, const char *v)
{
	size_t n = strlen(v);

	while (n > 0) {
		size_t len = encode_utf8_len(v, n);

		if (len == 0) {
			/* Prometheus rejects the whole push when one value is not UTF-8. */
			fputs(ENCODE_REPLACEMENT, out);
			len = 1;
		} else if (*v == '\\') {
			fputs("\\\\", out);
		} else if (*v == '"') {
			fputs("\\\"", out);
		} else if (*v == '\n') {
			fputs("\\n", out);
		} else {
			fwrite(v, 1, len, out);
		}
		v += len;
		n -= len;
	}
}

/* Seconds with six decimals, from microseconds, without going through a double. */
static void put_seconds(FILE *out, int64_t us)
{
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;

	fprintf(out, "%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* The labels every sample carries, "{...}" or nothing. */
static void put_labels(FILE *out, const struct run_record *rec, enum prom_target target,
		       const char *state)
{
	int any = 0;

	if (target == PROM_TEXTFILE) {
		fputs("{job=\"", out);
		pushgateway_escape_value(out, rec->job);
		fputc('"', out);
		any = 1;
	}
	for (size_t i = 0; i < rec->nlabels; i++) {
		fprintf(out, "%s%s=\"", any ? "," : "{", rec->labels[i].key);
		pushgateway_escape_value(out, rec->labels[i].value);
		fputc('"', out);
		any = 1;
	}
	if (state) {
		fprintf(out, "%sstate=\"%s\"", any ? "," : "{", state);
		any = 1;
	}
	if (any)
		fputc('}', out);
}

static void put_head(FILE *out, const char *name, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void put_seconds_metric(FILE *out, const struct run_record *rec, enum prom_target t,
			       const char *name, const char *help, int64_t us)
{
	put_head(out, name, help);
	fputs(name, out);
	put_labels(out, rec, t, NULL);
	fputc(' ', out);
	put_seconds(out, us);
	fputc('\n', out);
}

static void put_int_metric(FILE *out, const struct run_record *rec, enum prom_target t,
			   const char *name, const char *help, long long v)
{
	put_head(out, name, help);
	fputs(name, out);
	put_labels(out, rec, t, NULL);
	fprintf(out, " %lld\n", v);
}

/* One sample per possible state, 1 for the current one: the "state set" idiom, so that an
 * alert can match state="failure" == 1 without the series ever going absent. */
static void put_state_set(FILE *out, const struct run_record *rec, enum prom_target t,
			  const char *name, const char *help, int skips)
{
	put_head(out, name, help);
	for (int s = RUN_SUCCESS; s <= RUN_ERROR; s++) {
		if (record_state_is_skip((enum run_state)s) != skips)
			continue;
		fputs(name, out);
		put_labels(out, rec, t, record_state_name((enum run_state)s));
		fprintf(out, " %d\n", rec->state == (enum run_state)s);
	}
}

/* What every push carries, runs and skips alike: the missing-run alert and the dashboard
 * need a job that only ever skips to exist, with its period, on every host. */
static void put_job_facts(FILE *out, const struct run_record *rec, enum prom_target t)
{
	put_seconds_metric(out, rec, t, "cronguard_job_period_seconds",
			   "How often the job is meant to run (--period); 0: not given.",
			   (int64_t)rec->period_ms * 1000);
	put_int_metric(out, rec, t, "cronguard_job_exclusive",
		       "1 if the job is gated to run on one host (--vip, --once-per, --cluster-lock).",
		       rec->exclusive);
	put_seconds_metric(out, rec, t, "cronguard_job_first_seen_timestamp_seconds",
			   "Start time of the job's first record on this host.",
			   rec->first_seen_us ? rec->first_seen_us : rec->start_us);
	put_seconds_metric(out, rec, t, "cronguard_last_seen_timestamp_seconds",
			   "Start time of the job's last invocation, run or skip.", rec->start_us);
}

int pushgateway_format(FILE *out, const struct run_record *rec, enum prom_target t)
{
	if (record_state_is_skip(rec->state)) {
		/* A skip is a fact of its own: the last run's metrics stay as they were. */
		put_seconds_metric(out, rec, t, "cronguard_last_skip_timestamp_seconds",
				   "Start time of the last run that was skipped (standby, lock held or slot claimed).",
				   rec->start_us);
		put_state_set(out, rec, t, "cronguard_last_skip_state",
			      "Why the last skipped run was skipped.", 1);
		put_job_facts(out, rec, t);
		return ferror(out) ? -1 : 0;
	}
	put_seconds_metric(out, rec, t, "cronguard_last_run_start_timestamp_seconds",
			   "Start time of the job's last run.", rec->start_us);
	put_seconds_metric(out, rec, t, "cronguard_last_run_duration_seconds",
			   "Duration of the job's last run.", rec->duration_us);
	put_int_metric(out, rec, t, "cronguard_last_run_exit_code",
		       "Exit status of the job's last run, as cronguard exited (124 timeout, 128+N signal, 126/127 not executable/found).",
		       rec->exit_code);
	put_int_metric(out, rec, t, "cronguard_last_run_success",
		       "1 if the job's last run succeeded, else 0.", rec->state == RUN_SUCCESS);
	put_state_set(out, rec, t, "cronguard_last_run_state", "State of the job's last run.", 0);
	/* maxrss_kb 0: not known (see run.h); absent rather than a false zero. */
	if (rec->maxrss_kb > 0)
		put_int_metric(out, rec, t, "cronguard_last_run_max_rss_bytes",
			       "Peak resident memory of the job's last run.",
			       (long long)rec->maxrss_kb * 1024);
	put_int_metric(out, rec, t, "cronguard_consecutive_failures",
		       "Runs that failed in a row, this one included.", rec->consecutive_failures);
	put_seconds_metric(out, rec, t, "cronguard_last_run_slot_timestamp_seconds",
			   "The minute cron started the job's last run.", rec->slot_us);
	put_seconds_metric(out, rec, t, "cronguard_last_run_splay_seconds",
			   "The splay delay of the job's last run.", rec->splay_us);
	put_seconds_metric(out, rec, t, "cronguard_last_run_lateness_seconds",
			   "How late the job's last run started: start - slot - splay.", rec->lateness_us);
	put_job_facts(out, rec, t);
	/* The Pushgateway keeps the names a POST does not send: leaving the last success out
	 * of a failure's push is what keeps it. The textfile is written whole, so it always
	 * carries the last success known from the state file. */
	if (rec->state == RUN_SUCCESS || (t == PROM_TEXTFILE && rec->last_success_us != 0))
		put_seconds_metric(out, rec, t, "cronguard_last_success_timestamp_seconds",
				   "Start time of the job's last successful run.",
				   rec->state == RUN_SUCCESS ? rec->start_us : rec->last_success_us);
	return ferror(out) ? -1 : 0;
}

/* Characters that pass through a path segment and the Pushgateway's router unchanged. */
static int plain_segment(const char *v)
{
	if (!*v || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
		return 0;
	for (; *v; v++)
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
		      *v == '-' || *v == '_' || *v == '.' || *v == '~'))
			return 0;
	return 1;
}

static void put_segment(FILE *out, const char *label, const char *v)
{
	if (plain_segment(v)) {
		fprintf(out, "/%s/%s", label, v);
		return;
	}
	fprintf(out, "/%s@base64/", label);
	/* An empty segment would vanish from the path: the Pushgateway reads "=" as "". */
	if (*v)
		encode_base64(out, v, strlen(v), 1);
	else
		fputc('=', out);
}

int pushgateway_path(FILE *out, const char *base, const char *job, const char *host)
{
	size_t n = strlen(base);

	/* "http://gw:9091/" and "http://gw:9091" name the same gateway. */
	while (n > 0 && base[n - 1] == '/')
		n--;
	fwrite(base, 1, n, out);
	fputs("/metrics", out);
	put_segment(out, "job", job);
	put_segment(out, "instance", host);
	return ferror(out) ? -1 : 0;
}
