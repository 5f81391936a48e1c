/* Unit tests of the report sinks' pure parts: every formatter byte for byte, the ping rules,
 * the retry classification and backoff, and the shared encodings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "encode.h"
#include "http.h"
#include "options.h"
#include "report.h"
#include "sink_influx.h"
#include "sink_ping.h"
#include "sink_pushgateway.h"
#include "sink_textfile.h"
#include "sink_webhook.h"
#include "suites.h"

#define RUN_ID "0f8fad5b-d9cb-469f-a165-70867728950e"

/* A stream into memory for the formatters, read back as one string. */
struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	ck_assert_ptr_nonnull(m->f);
	return m->f;
}

static const char *mem_text(struct mem *m)
{
	ck_assert_int_eq(fclose(m->f), 0);
	m->f = NULL;
	return m->buf;
}

static struct run_record record(enum run_state st)
{
	static const struct label labels[] = { { "team", "db ops" }, { "env", "prod" } };
	struct run_record r = {
		.job = "backup", .host = "db1.example", .labels = labels, .nlabels = 2,
		.state = st, .exit_code = st == RUN_SUCCESS ? 0 : 3,
		.start_us = 1700000000123456, .end_us = 1700000061623456,
		.duration_us = 61500000, .maxrss_kb = 2048, .consecutive_failures = st == RUN_SUCCESS ? 0 : 2,
		.last_success_us = 1699990000000001,
		.period_ms = 86400000, .exclusive = 1, .slot_us = 1699999980000000,
		.splay_us = 15000000, .lateness_us = 5123456, .first_seen_us = 1690000000000000,
	};

	strcpy(r.run_id, RUN_ID);
	return r;
}

/* ---- encode ---- */

START_TEST(utf8_sequences)
{
	ck_assert_uint_eq(encode_utf8_len("a", 1), 1);
	ck_assert_uint_eq(encode_utf8_len("\xc3\xa9", 2), 2);          /* é */
	ck_assert_uint_eq(encode_utf8_len("\xe2\x82\xac", 3), 3);      /* € */
	ck_assert_uint_eq(encode_utf8_len("\xf0\x9f\x98\x80", 4), 4);  /* emoji */
	ck_assert_uint_eq(encode_utf8_len("\xc3", 1), 0);              /* truncated */
	ck_assert_uint_eq(encode_utf8_len("\xc0\xaf", 2), 0);          /* overlong '/' */
	ck_assert_uint_eq(encode_utf8_len("\xe0\x80\xaf", 3), 0);      /* overlong */
	ck_assert_uint_eq(encode_utf8_len("\xed\xa0\x80", 3), 0);      /* surrogate */
	ck_assert_uint_eq(encode_utf8_len("\xf4\x90\x80\x80", 4), 0);  /* > U+10FFFF */
	ck_assert_uint_eq(encode_utf8_len("\x80", 1), 0);              /* stray continuation */
	ck_assert_uint_eq(encode_utf8_len("\xff", 1), 0);
}
END_TEST

START_TEST(base64_both_alphabets)
{
	struct mem m;

	/* RFC 4648 section 10 vectors, and bytes that differ between the alphabets. */
	encode_base64(mem_open(&m), "", 0, 0);
	ck_assert_str_eq(mem_text(&m), "");
	free(m.buf);
	encode_base64(mem_open(&m), "f", 1, 0);
	ck_assert_str_eq(mem_text(&m), "Zg==");
	free(m.buf);
	encode_base64(mem_open(&m), "fo", 2, 0);
	ck_assert_str_eq(mem_text(&m), "Zm8=");
	free(m.buf);
	encode_base64(mem_open(&m), "foobar", 6, 0);
	ck_assert_str_eq(mem_text(&m), "Zm9vYmFy");
	free(m.buf);
	encode_base64(mem_open(&m), "\xfb\xff\xbf", 3, 0);
	ck_assert_str_eq(mem_text(&m), "+/+/");
	free(m.buf);
	encode_base64(mem_open(&m), "\xfb\xff\xbf", 3, 1);
	ck_assert_str_eq(mem_text(&m), "-_-_");
	free(m.buf);
}
END_TEST

/* ---- http: pure parts ---- */

/* Each sink's table, row by row (issue: one table per sink, from its protocol). */
START_TEST(sink_rules)
{
	static const struct {
		const char *sink;
		const struct http_rules *rules;
		long status;
		enum http_verdict want;
	} rows[] = {
		{ "influx", &influx_rules, 400, HTTP_DROP },     /* a bad line */
		{ "influx", &influx_rules, 413, HTTP_DROP },
		{ "influx", &influx_rules, 422, HTTP_DROP },
		{ "influx", &influx_rules, 401, HTTP_KEEP },     /* auth: not the point's fault */
		{ "influx", &influx_rules, 403, HTTP_KEEP },
		{ "influx", &influx_rules, 404, HTTP_KEEP },     /* database missing */
		{ "influx", &influx_rules, 500, HTTP_KEEP },     /* retention policy missing: never dropped */
		{ "influx", &influx_rules, 503, HTTP_RETRY },
		{ "influx", &influx_rules, 429, HTTP_RETRY },
		{ "influx", &influx_rules, 307, HTTP_KEEP },
		{ "webhook", &webhook_rules, 400, HTTP_DROP },
		{ "webhook", &webhook_rules, 413, HTTP_DROP },
		{ "webhook", &webhook_rules, 422, HTTP_DROP },
		{ "webhook", &webhook_rules, 404, HTTP_KEEP },
		{ "webhook", &webhook_rules, 401, HTTP_KEEP },
		{ "webhook", &webhook_rules, 302, HTTP_KEEP },
		{ "webhook", &webhook_rules, 500, HTTP_RETRY },
		{ "webhook", &webhook_rules, 408, HTTP_RETRY },
		{ "ping", &ping_rules, 400, HTTP_DROP },          /* a bad rid */
		{ "ping", &ping_rules, 408, HTTP_RETRY },
		{ "ping", &ping_rules, 429, HTTP_RETRY },
		{ "ping", &ping_rules, 502, HTTP_RETRY },
		{ "ping", &ping_rules, 404, HTTP_KEEP },
		{ "pushgateway", &pushgateway_rules, 400, HTTP_DROP },   /* a type conflict */
		{ "pushgateway", &pushgateway_rules, 500, HTTP_RETRY },
		{ "pushgateway", &pushgateway_rules, 404, HTTP_KEEP },
		{ "default", NULL, 503, HTTP_RETRY },
		{ "default", NULL, 400, HTTP_KEEP },
	};

	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		ck_assert_msg(http_judge(rows[i].rules, rows[i].status) == rows[i].want,
			      "%s %ld", rows[i].sink, rows[i].status);
	ck_assert(http_busy(503) && http_busy(429) && http_busy(408) && http_busy(502));
	ck_assert(!http_busy(500) && !http_busy(404) && !http_busy(400));
}
END_TEST

START_TEST(retry_classification)
{
	ck_assert(!http_retryable(200, CURLE_OK));
	ck_assert(!http_retryable(204, CURLE_OK));
	ck_assert(!http_retryable(400, CURLE_OK));
	ck_assert(!http_retryable(401, CURLE_OK));
	ck_assert(!http_retryable(404, CURLE_OK));
	ck_assert(http_retryable(408, CURLE_OK));
	ck_assert(http_retryable(429, CURLE_OK));
	ck_assert(http_retryable(500, CURLE_OK));
	ck_assert(http_retryable(503, CURLE_OK));
	ck_assert(http_retryable(599, CURLE_OK));
	ck_assert(!http_retryable(600, CURLE_OK));
	ck_assert(http_retryable(0, CURLE_COULDNT_CONNECT));
	ck_assert(http_retryable(0, CURLE_OPERATION_TIMEDOUT));
	ck_assert(http_retryable(0, CURLE_COULDNT_RESOLVE_HOST));
	ck_assert(http_retryable(0, CURLE_GOT_NOTHING));
	ck_assert(http_retryable(0, CURLE_RECV_ERROR));
	ck_assert(http_retryable(0, CURLE_SEND_ERROR));
	ck_assert(http_retryable(200, CURLE_PARTIAL_FILE));
	ck_assert(!http_retryable(0, CURLE_PEER_FAILED_VERIFICATION));
	ck_assert(!http_retryable(0, CURLE_UNSUPPORTED_PROTOCOL));
	ck_assert(!http_retryable(0, CURLE_URL_MALFORMAT));
	ck_assert(!http_retryable(0, CURLE_TOO_MANY_REDIRECTS));
}
END_TEST

START_TEST(backoff_schedule)
{
	ck_assert_uint_eq(http_backoff_ms(0), 0);
	ck_assert_uint_eq(http_backoff_ms(1), 250);
	ck_assert_uint_eq(http_backoff_ms(2), 500);
	ck_assert_uint_eq(http_backoff_ms(3), 1000);
	ck_assert_uint_eq(http_backoff_ms(4), 2000);
	ck_assert_uint_eq(http_backoff_ms(5), 4000);
	ck_assert_uint_eq(http_backoff_ms(6), 4000);
	ck_assert_uint_eq(http_backoff_ms(1000), 4000);
}
END_TEST

START_TEST(origin_for_logs)
{
	char buf[128];

	http_origin("https://hc-ping.com/5f1b6e9a-uuid/start?rid=x", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://hc-ping.com");
	http_origin("http://127.0.0.1:8086/write?db=x&u=me&p=secret", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://127.0.0.1:8086");
	http_origin("http://user:pw@[::1]:9091#frag", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://[::1]:9091");
	http_origin("https://a.example", buf, 10);
	ck_assert_str_eq(buf, "https://a");
}
END_TEST

/* ---- ping ---- */

START_TEST(ping_urls)
{
	struct mem m;

	ping_url(mem_open(&m), "https://hc-ping.com/abc", "start", RUN_ID);
	ck_assert_str_eq(mem_text(&m), "https://hc-ping.com/abc/start?rid=" RUN_ID);
	free(m.buf);
	ping_url(mem_open(&m), "https://hc-ping.com/abc/", "0", RUN_ID);
	ck_assert_str_eq(mem_text(&m), "https://hc-ping.com/abc/0?rid=" RUN_ID);
	free(m.buf);
	ping_url(mem_open(&m), "https://hc-ping.com/key/backup-db?create=1", "fail", RUN_ID);
	ck_assert_str_eq(mem_text(&m), "https://hc-ping.com/key/backup-db/fail?create=1&rid=" RUN_ID);
	free(m.buf);
	ping_url(mem_open(&m), "http://h/x?#frag", "24", RUN_ID);
	ck_assert_str_eq(mem_text(&m), "http://h/x/24?rid=" RUN_ID);
	free(m.buf);
}
END_TEST

START_TEST(ping_final_code)
{
	struct run_record r = record(RUN_SUCCESS);
	char buf[8];

	ck_assert_str_eq(ping_final_what(&r, buf), "0");
	/* --success-exit 0,24: the state decides, not the exit code. */
	r.exit_code = 24;
	ck_assert_str_eq(ping_final_what(&r, buf), "0");
	r = record(RUN_FAILURE);
	ck_assert_str_eq(ping_final_what(&r, buf), "3");
	r.exit_code = 0;   /* --success-exit 24 and the command exited 0 */
	ck_assert_str_eq(ping_final_what(&r, buf), "fail");
	r.state = RUN_TIMEOUT;
	r.exit_code = 124;
	ck_assert_str_eq(ping_final_what(&r, buf), "124");
	r.state = RUN_SIGNALED;
	r.exit_code = 137;
	ck_assert_str_eq(ping_final_what(&r, buf), "137");
	r.state = RUN_EXEC_FAILED;
	r.exit_code = 127;
	ck_assert_str_eq(ping_final_what(&r, buf), "127");
	r.state = RUN_ERROR;
	r.exit_code = 300;
	ck_assert_str_eq(ping_final_what(&r, buf), "fail");
}
END_TEST

START_TEST(ping_due_rules)
{
	struct run_record r = record(RUN_SUCCESS);

	ck_assert(ping_due(&r, 1));
	ck_assert(ping_due(&r, 3));
	r.state = RUN_SKIPPED_STANDBY;
	ck_assert(!ping_due(&r, 1));
	r.state = RUN_SKIPPED_LOCKED;
	ck_assert(!ping_due(&r, 1));
	r.state = RUN_SKIPPED_CLAIMED;
	ck_assert(!ping_due(&r, 1));
	r = record(RUN_FAILURE);
	r.consecutive_failures = 1;
	ck_assert(ping_due(&r, 1));
	ck_assert(!ping_due(&r, 2));
	r.consecutive_failures = 2;
	ck_assert(ping_due(&r, 2));
	ck_assert(!ping_due(&r, 3));
	r.state = RUN_TIMEOUT;
	ck_assert(ping_due(&r, 2));
	r.consecutive_failures = 5;
	ck_assert(ping_due(&r, 3));
}
END_TEST

START_TEST(ping_body_fits_limit)
{
	char text[1000];
	struct mem m;
	const char *out;

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = (char)('a' + i % 26);
	ping_body(mem_open(&m), "short", 5, 100);
	ck_assert_str_eq(mem_text(&m), "short");
	free(m.buf);
	ping_body(mem_open(&m), "exact", 5, 5);
	ck_assert_str_eq(mem_text(&m), "exact");
	free(m.buf);
	/* 1000 bytes into 100: the marker is sized for "1000" (29 bytes), 71 are left: 17 of the
	 * head and 54 of the tail; 929 bytes elided, one digit fewer, so 99 bytes in all. */
	ping_body(mem_open(&m), text, sizeof text, 100);
	out = mem_text(&m);
	ck_assert_uint_eq(m.len, 99);
	ck_assert_int_eq(memcmp(out, text, 17), 0);
	ck_assert_int_eq(memcmp(out + 17, "\n[... 929 bytes elided ...]\n", 28), 0);
	ck_assert_int_eq(memcmp(out + 45, text + 946, 54), 0);
	free(m.buf);
	/* No room for a marker: the last bytes. */
	ping_body(mem_open(&m), text, sizeof text, 10);
	out = mem_text(&m);
	ck_assert_uint_eq(m.len, 10);
	ck_assert_int_eq(memcmp(out, text + 990, 10), 0);
	free(m.buf);
	ping_body(mem_open(&m), text, sizeof text, 0);
	ck_assert_uint_eq(strlen(mem_text(&m)), 0);
	free(m.buf);
}
END_TEST

/* ---- pushgateway and textfile ---- */

#define PG_LABELS "{team=\"db ops\",env=\"prod\"}"
#define HT(name, help) "# HELP " name " " help "\n# TYPE " name " gauge\n"

/* What every push carries, runs and skips alike (LABELS: the samples' labels). */
#define PG_FACTS(LABELS) \
	HT("cronguard_job_period_seconds", "How often the job is meant to run (--period); 0: not given.") \
	"cronguard_job_period_seconds" LABELS " 86400.000000\n" \
	HT("cronguard_job_exclusive", "1 if the job is gated to run on one host (--vip, --once-per, --cluster-lock).") \
	"cronguard_job_exclusive" LABELS " 1\n" \
	HT("cronguard_job_first_seen_timestamp_seconds", "Start time of the job's first record on this host.") \
	"cronguard_job_first_seen_timestamp_seconds" LABELS " 1690000000.000000\n" \
	HT("cronguard_last_seen_timestamp_seconds", "Start time of the job's last invocation, run or skip.") \
	"cronguard_last_seen_timestamp_seconds" LABELS " 1700000000.123456\n"

static const char pg_run_head[] =
	HT("cronguard_last_run_start_timestamp_seconds", "Start time of the job's last run.")
	"cronguard_last_run_start_timestamp_seconds" PG_LABELS " 1700000000.123456\n"
	HT("cronguard_last_run_duration_seconds", "Duration of the job's last run.")
	"cronguard_last_run_duration_seconds" PG_LABELS " 61.500000\n"
	HT("cronguard_last_run_exit_code", "Exit status of the job's last run, as cronguard exited "
	   "(124 timeout, 128+N signal, 126/127 not executable/found).");

START_TEST(pushgateway_failure_body)
{
	struct run_record r = record(RUN_FAILURE);
	struct mem m;
	const char *want =
		"cronguard_last_run_exit_code" PG_LABELS " 3\n"
		HT("cronguard_last_run_success", "1 if the job's last run succeeded, else 0.")
		"cronguard_last_run_success" PG_LABELS " 0\n"
		HT("cronguard_last_run_state", "State of the job's last run.")
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"success\"} 0\n"
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"failure\"} 1\n"
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"timeout\"} 0\n"
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"signaled\"} 0\n"
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"exec_failed\"} 0\n"
		"cronguard_last_run_state{team=\"db ops\",env=\"prod\",state=\"error\"} 0\n"
		HT("cronguard_last_run_max_rss_bytes", "Peak resident memory of the job's last run.")
		"cronguard_last_run_max_rss_bytes" PG_LABELS " 2097152\n"
		HT("cronguard_consecutive_failures", "Runs that failed in a row, this one included.")
		"cronguard_consecutive_failures" PG_LABELS " 2\n"
		HT("cronguard_last_run_slot_timestamp_seconds", "The minute cron started the job's last run.")
		"cronguard_last_run_slot_timestamp_seconds" PG_LABELS " 1699999980.000000\n"
		HT("cronguard_last_run_splay_seconds", "The splay delay of the job's last run.")
		"cronguard_last_run_splay_seconds" PG_LABELS " 15.000000\n"
		HT("cronguard_last_run_lateness_seconds", "How late the job's last run started: start - slot - splay.")
		"cronguard_last_run_lateness_seconds" PG_LABELS " 5.123456\n"
		PG_FACTS(PG_LABELS);
	const char *out;

	ck_assert_int_eq(pushgateway_format(mem_open(&m), &r, PROM_PUSHGATEWAY), 0);
	out = mem_text(&m);
	ck_assert_int_eq(strncmp(out, pg_run_head, strlen(pg_run_head)), 0);
	/* No last success on a failure: the POST leaves the gateway's value alone. */
	ck_assert_str_eq(out + strlen(pg_run_head), want);
	free(m.buf);
}
END_TEST

START_TEST(pushgateway_success_body_ends_with_last_success)
{
	struct run_record r = record(RUN_SUCCESS);
	struct mem m;
	const char *out, *tail =
		"cronguard_last_seen_timestamp_seconds" PG_LABELS " 1700000000.123456\n"
		HT("cronguard_last_success_timestamp_seconds", "Start time of the job's last successful run.")
		"cronguard_last_success_timestamp_seconds" PG_LABELS " 1700000000.123456\n";

	ck_assert_int_eq(pushgateway_format(mem_open(&m), &r, PROM_PUSHGATEWAY), 0);
	out = mem_text(&m);
	ck_assert_uint_ge(m.len, strlen(tail));
	ck_assert_str_eq(out + m.len - strlen(tail), tail);
	ck_assert_ptr_nonnull(strstr(out, "cronguard_last_run_success" PG_LABELS " 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "state=\"success\"} 1\n"));
	/* No sample carries a timestamp: the gateway answers 400 to one. */
	ck_assert_ptr_null(strstr(out, "1700000000123"));
	free(m.buf);
}
END_TEST

START_TEST(pushgateway_skip_body_keeps_last_run)
{
	struct run_record r = record(RUN_SKIPPED_LOCKED);
	struct mem m;

	r.nlabels = 0;
	ck_assert_int_eq(pushgateway_format(mem_open(&m), &r, PROM_PUSHGATEWAY), 0);
	ck_assert_str_eq(mem_text(&m),
		HT("cronguard_last_skip_timestamp_seconds", "Start time of the last run that was "
		   "skipped (standby, lock held or slot claimed).")
		"cronguard_last_skip_timestamp_seconds 1700000000.123456\n"
		HT("cronguard_last_skip_state", "Why the last skipped run was skipped.")
		"cronguard_last_skip_state{state=\"skipped_standby\"} 0\n"
		"cronguard_last_skip_state{state=\"skipped_locked\"} 1\n"
		"cronguard_last_skip_state{state=\"skipped_claimed\"} 0\n"
		PG_FACTS(""));
	free(m.buf);
}
END_TEST

START_TEST(textfile_body_has_job_and_last_success)
{
	struct run_record r = record(RUN_FAILURE);
	struct mem m;
	const char *out;

	ck_assert_int_eq(pushgateway_format(mem_open(&m), &r, PROM_TEXTFILE), 0);
	out = mem_text(&m);
	ck_assert_ptr_nonnull(strstr(out,
		"cronguard_last_run_exit_code{job=\"backup\",team=\"db ops\",env=\"prod\"} 3\n"));
	/* The file is replaced whole: it carries the last success known from the state file. */
	ck_assert_ptr_nonnull(strstr(out,
		"cronguard_last_success_timestamp_seconds{job=\"backup\",team=\"db ops\",env=\"prod\"} "
		"1699990000.000001\n"));
	free(m.buf);
	r.last_success_us = 0;
	ck_assert_int_eq(pushgateway_format(mem_open(&m), &r, PROM_TEXTFILE), 0);
	ck_assert_ptr_null(strstr(mem_text(&m), "cronguard_last_success_timestamp_seconds"));
	free(m.buf);
}
END_TEST

START_TEST(prom_label_escaping)
{
	struct mem m;

	pushgateway_escape_value(mem_open(&m), "a\\b\"c\nd\te\xc3\xa9");
	ck_assert_str_eq(mem_text(&m), "a\\\\b\\\"c\\nd\te\xc3\xa9");
	free(m.buf);
	pushgateway_escape_value(mem_open(&m), "bad\xff\xc3");
	ck_assert_str_eq(mem_text(&m), "bad" ENCODE_REPLACEMENT ENCODE_REPLACEMENT);
	free(m.buf);
}
END_TEST

START_TEST(pushgateway_paths)
{
	struct mem m;

	pushgateway_path(mem_open(&m), "http://gw:9091", "backup", "db1.example");
	ck_assert_str_eq(mem_text(&m), "http://gw:9091/metrics/job/backup/instance/db1.example");
	free(m.buf);
	pushgateway_path(mem_open(&m), "http://gw:9091/prefix//", "backup", "db1");
	ck_assert_str_eq(mem_text(&m), "http://gw:9091/prefix/metrics/job/backup/instance/db1");
	free(m.buf);
	/* PROTOCOLS.md: a "/" needs base64 (URL-safe alphabet), an empty value is "=". */
	pushgateway_path(mem_open(&m), "http://gw", "backup", "/var/tmp");
	ck_assert_str_eq(mem_text(&m), "http://gw/metrics/job/backup/instance@base64/L3Zhci90bXA=");
	free(m.buf);
	pushgateway_path(mem_open(&m), "http://gw", "backup", "");
	ck_assert_str_eq(mem_text(&m), "http://gw/metrics/job/backup/instance@base64/=");
	free(m.buf);
	/* "?>>" is "Pz4+" in the standard alphabet. */
	pushgateway_path(mem_open(&m), "http://gw", "..", "?>>");
	ck_assert_str_eq(mem_text(&m), "http://gw/metrics/job@base64/Li4=/instance@base64/Pz4-");
	free(m.buf);
	pushgateway_path(mem_open(&m), "http://gw", ".", "a b%");
	ck_assert_str_eq(mem_text(&m), "http://gw/metrics/job@base64/Lg==/instance@base64/YSBiJQ==");
	free(m.buf);
}
END_TEST

START_TEST(textfile_merge_replaces_families)
{
	const char *old =
		"# HELP a_metric old a\n# TYPE a_metric gauge\na_metric{x=\"1\"} 1\n"
		"# HELP skip_ts skip\n# TYPE skip_ts gauge\nskip_ts 5\n"
		"# a comment line\n\n"
		"b_metric 2";   /* no final newline */
	const char *fresh = "# HELP a_metric new a\n# TYPE a_metric gauge\na_metric{x=\"1\"} 9\n";
	struct mem m;

	ck_assert_int_eq(textfile_merge(mem_open(&m), old, strlen(old), fresh, strlen(fresh)), 0);
	ck_assert_str_eq(mem_text(&m),
		"# HELP skip_ts skip\n# TYPE skip_ts gauge\nskip_ts 5\n"
		"b_metric 2\n"
		"# HELP a_metric new a\n# TYPE a_metric gauge\na_metric{x=\"1\"} 9\n");
	free(m.buf);
	ck_assert_int_eq(textfile_merge(mem_open(&m), "", 0, fresh, strlen(fresh)), 0);
	ck_assert_str_eq(mem_text(&m), fresh);
	free(m.buf);
}
END_TEST

/* ---- influx ---- */

START_TEST(influx_escaping)
{
	struct mem m;

	influx_escape(mem_open(&m), "my meas,ure=x", INFLUX_MEASUREMENT);
	ck_assert_str_eq(mem_text(&m), "my\\ meas\\,ure=x");
	free(m.buf);
	influx_escape(mem_open(&m), "a b,c=d\"e", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "a\\ b\\,c\\=d\"e");
	free(m.buf);
	influx_escape(mem_open(&m), "say \"hi\" C:\\dir", INFLUX_STRING);
	ck_assert_str_eq(mem_text(&m), "say \\\"hi\\\" C:\\\\dir");
	free(m.buf);
	/* No escape exists for a newline: control characters become (escaped) spaces. */
	influx_escape(mem_open(&m), "l1\nl2\tx", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "l1\\ l2\\ x");
	free(m.buf);
	influx_escape(mem_open(&m), "l1\nl2", INFLUX_STRING);
	ck_assert_str_eq(mem_text(&m), "l1 l2");
	free(m.buf);
	/* A lone backslash stays; one before an escape or at the end is doubled. */
	influx_escape(mem_open(&m), "C:\\dir", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "C:\\dir");
	free(m.buf);
	influx_escape(mem_open(&m), "end\\", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "end\\\\");
	free(m.buf);
	influx_escape(mem_open(&m), "a\\,b", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "a\\\\\\,b");
	free(m.buf);
	influx_escape(mem_open(&m), "a\\\\b", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "a\\\\\\b");
	free(m.buf);
	influx_escape(mem_open(&m), "x\xff", INFLUX_KEY);
	ck_assert_str_eq(mem_text(&m), "x" ENCODE_REPLACEMENT);
	free(m.buf);
}
END_TEST

START_TEST(influx_line_failure)
{
	static const struct label labels[] = { { "zone", "eu west" }, { "app", "a,b=c" }, { "empty", "" } };
	struct run_record r = record(RUN_FAILURE);
	struct mem m;

	r.labels = labels;
	r.nlabels = 3;
	r.reason = "said \"no\"\nbye";
	r.signal = 9;
	ck_assert_int_eq(influx_format_line(mem_open(&m), &r), 0);
	ck_assert_str_eq(mem_text(&m),
		"cronguard,app=a\\,b\\=c,host=db1.example,job=backup,state=failure,zone=eu\\ west "
		"exit_code=3i,duration=61.500000,success=false,maxrss_kb=2048i,consecutive_failures=2i,"
		"signal=9i,run_id=\"" RUN_ID "\",reason=\"said \\\"no\\\" bye\",ran=1i,period=86400i,"
		"exclusive=1i,slot=1699999980i,splay=15.000000,lateness=5.123456 1700000000123\n");
	free(m.buf);
}
END_TEST

START_TEST(influx_line_success_and_skip)
{
	struct run_record r = record(RUN_SUCCESS);
	struct mem m;

	r.nlabels = 0;
	ck_assert_int_eq(influx_format_line(mem_open(&m), &r), 0);
	ck_assert_str_eq(mem_text(&m),
		"cronguard,host=db1.example,job=backup,state=success exit_code=0i,duration=61.500000,"
		"success=true,maxrss_kb=2048i,consecutive_failures=0i,run_id=\"" RUN_ID "\",ran=1i,"
		"period=86400i,exclusive=1i,slot=1699999980i,splay=15.000000,lateness=5.123456 "
		"1700000000123\n");
	free(m.buf);
	/* An empty tag value makes InfluxDB refuse the line: the tag is left out. */
	r.host = "";
	ck_assert_int_eq(influx_format_line(mem_open(&m), &r), 0);
	ck_assert_int_eq(strncmp(mem_text(&m), "cronguard,job=backup,state=success exit_code=0i,", 48), 0);
	free(m.buf);
	r.host = "db1.example";
	r.state = RUN_SKIPPED_CLAIMED;
	r.reason = "slot claimed by db2";
	r.duration_us = 1500;
	ck_assert_int_eq(influx_format_line(mem_open(&m), &r), 0);
	ck_assert_str_eq(mem_text(&m),
		"cronguard,host=db1.example,job=backup,state=skipped_claimed duration=0.001500,"
		"run_id=\"" RUN_ID "\",reason=\"slot claimed by db2\",ran=0i,period=86400i,exclusive=1i,"
		"slot=1699999980i,splay=15.000000,lateness=5.123456 1700000000123\n");
	free(m.buf);
}
END_TEST

START_TEST(influx_urls_get_ms_precision)
{
	struct mem m;

	influx_url(mem_open(&m), "http://i:8086/write?db=cron");
	ck_assert_str_eq(mem_text(&m), "http://i:8086/write?db=cron&precision=ms");
	free(m.buf);
	influx_url(mem_open(&m), "http://i:8086/write?precision=us&db=cron&rp=x");
	ck_assert_str_eq(mem_text(&m), "http://i:8086/write?db=cron&rp=x&precision=ms");
	free(m.buf);
	influx_url(mem_open(&m), "https://i/api/v2/write?org=o&bucket=b&precision=ns#x");
	ck_assert_str_eq(mem_text(&m), "https://i/api/v2/write?org=o&bucket=b&precision=ms");
	free(m.buf);
	influx_url(mem_open(&m), "http://i/write");
	ck_assert_str_eq(mem_text(&m), "http://i/write?precision=ms");
	free(m.buf);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(influx_credentials_from_files)
{
	char dir[] = "/tmp/cg-auth-XXXXXX", tok[64], pw[64], *auth;
	struct influx_spec o = { 0 };
	char err[256];

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tok, sizeof tok, "%s/token", dir);
	snprintf(pw, sizeof pw, "%s/pw", dir);
	ck_assert_int_eq(influx_authorization(&o, &auth, err, sizeof err), 0);
	ck_assert_ptr_null(auth);
	/* One trailing newline is the file's, not the secret's. */
	write_file(tok, "s3cr3t-token\n");
	o.token_file = tok;
	ck_assert_int_eq(influx_authorization(&o, &auth, err, sizeof err), 0);
	ck_assert_str_eq(auth, "Token s3cr3t-token");
	free(auth);
	o.token_file = NULL;
	o.user = "Aladdin";
	o.password_file = pw;
	write_file(pw, "open sesame\n");
	ck_assert_int_eq(influx_authorization(&o, &auth, err, sizeof err), 0);
	ck_assert_str_eq(auth, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");   /* RFC 7617's example */
	free(auth);
	/* A second line would end up in a header: refused, and the error shows no secret. */
	write_file(pw, "open\r\nX-Evil: 1\n");
	ck_assert_int_eq(influx_authorization(&o, &auth, err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "open"));
	ck_assert_ptr_nonnull(strstr(err, "control character"));
	unlink(pw);
	ck_assert_int_eq(influx_authorization(&o, &auth, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	unlink(tok);
	rmdir(dir);
}
END_TEST

/* ---- webhook ---- */

START_TEST(webhook_document)
{
	struct run_record r = record(RUN_FAILURE);
	char *out;

	r.reason = "bad \xff byte";
	r.output = "line1\nline2\n";
	r.output_len = 12;
	out = webhook_json(&r);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out,
		"{\"consecutive_failures\":2,\"duration_us\":61500000,\"end_time\":\"2023-11-14T22:14:21.623456Z\","
		"\"end_us\":1700000061623456,\"exclusive\":true,\"exit_code\":3,\"host\":\"db1.example\","
		"\"job\":\"backup\",\"labels\":{\"env\":\"prod\",\"team\":\"db ops\"},"
		"\"last_success_us\":1699990000000001,\"lateness_us\":5123456,"
		"\"maxrss_kb\":2048,\"output\":\"line1\\nline2\\n\",\"period_s\":86400,"
		"\"reason\":\"bad \xef\xbf\xbd byte\","
		"\"run_id\":\"" RUN_ID "\",\"signal\":null,\"slot_us\":1699999980000000,\"splay_us\":15000000,"
		"\"start_time\":\"2023-11-14T22:13:20.123456Z\","
		"\"start_us\":1700000000123456,\"state\":\"failure\",\"success\":false}");
	free(out);
}
END_TEST

START_TEST(webhook_nulls_and_binary_output)
{
	struct run_record r = record(RUN_SUCCESS);
	json_t *doc;
	json_error_t jerr;
	char *out;

	r.last_success_us = 0;
	r.signal = 15;
	r.output = "a\0b\xc3";
	r.output_len = 4;
	out = webhook_json(&r);
	ck_assert_ptr_nonnull(out);
	doc = json_loads(out, JSON_ALLOW_NUL, &jerr);
	ck_assert_ptr_nonnull(doc);
	ck_assert(json_is_null(json_object_get(doc, "reason")));
	ck_assert(json_is_null(json_object_get(doc, "last_success_us")));
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "signal")), 15);
	ck_assert(json_is_true(json_object_get(doc, "success")));
	ck_assert_uint_eq(json_string_length(json_object_get(doc, "output")), 6);
	ck_assert_int_eq(memcmp(json_string_value(json_object_get(doc, "output")), "a\0b\xef\xbf\xbd", 6), 0);
	json_decref(doc);
	free(out);
	r.output = NULL;
	out = webhook_json(&r);
	ck_assert_ptr_nonnull(strstr(out, "\"output\":null"));
	free(out);
}
END_TEST

START_TEST(spool_targets)
{
	struct options o = { .name = "job" };

	o.webhook = "http://hooks.example/cg";
	o.influx = "http://influx.example:8086/write?db=cg&precision=s";
	ck_assert_int_eq(report_spool_target(&o, "job", "webhook", "http://hooks.example/cg"), 1);
	ck_assert_int_eq(report_spool_target(&o, "job", "webhook", "http://evil.example/cg"), 0);
	ck_assert_int_eq(report_spool_target(&o, "job", "webhook", "http://hooks.example/cg/x"), 0);
	ck_assert_int_eq(report_spool_target(&o, "other", "webhook", "http://hooks.example/cg"), 0);
	/* The influx URL as this run would send to it: its precision set to ms. */
	ck_assert_int_eq(report_spool_target(&o, "job", "influx",
					     "http://influx.example:8086/write?db=cg&precision=ms"), 1);
	ck_assert_int_eq(report_spool_target(&o, "job", "influx", o.influx), 0);
	ck_assert_int_eq(report_spool_target(&o, "job", "influx", "http://hooks.example/cg"), 0);
	ck_assert_int_eq(report_spool_target(&o, "job", "ping", "http://hooks.example/cg"), 0);
	o.webhook = NULL;
	o.influx = NULL;
	ck_assert_int_eq(report_spool_target(&o, "job", "webhook", "http://hooks.example/cg"), 0);
	ck_assert_int_eq(report_spool_target(&o, "job", "influx", "http://x/write?precision=ms"), 0);
}
END_TEST

Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc;

	tc = tcase_create("encode");
	tcase_add_test(tc, utf8_sequences);
	tcase_add_test(tc, base64_both_alphabets);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, retry_classification);
	tcase_add_test(tc, sink_rules);
	tcase_add_test(tc, backoff_schedule);
	tcase_add_test(tc, origin_for_logs);
	suite_add_tcase(s, tc);

	tc = tcase_create("ping");
	tcase_add_test(tc, ping_urls);
	tcase_add_test(tc, ping_final_code);
	tcase_add_test(tc, ping_due_rules);
	tcase_add_test(tc, ping_body_fits_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("pushgateway");
	tcase_add_test(tc, pushgateway_failure_body);
	tcase_add_test(tc, pushgateway_success_body_ends_with_last_success);
	tcase_add_test(tc, pushgateway_skip_body_keeps_last_run);
	tcase_add_test(tc, textfile_body_has_job_and_last_success);
	tcase_add_test(tc, prom_label_escaping);
	tcase_add_test(tc, pushgateway_paths);
	tcase_add_test(tc, textfile_merge_replaces_families);
	suite_add_tcase(s, tc);

	tc = tcase_create("influx");
	tcase_add_test(tc, influx_escaping);
	tcase_add_test(tc, influx_line_failure);
	tcase_add_test(tc, influx_line_success_and_skip);
	tcase_add_test(tc, influx_urls_get_ms_precision);
	tcase_add_test(tc, spool_targets);
	tcase_add_test(tc, influx_credentials_from_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("webhook");
	tcase_add_test(tc, webhook_document);
	tcase_add_test(tc, webhook_nulls_and_binary_output);
	suite_add_tcase(s, tc);
	return s;
}
