/* Unit tests of --status: verdicts, the table, JSON, the output tail, the spool depth, --forget. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "state.h"
#include "status.h"
#include "suites.h"

static int save(const char *dir, struct run_record *r)
{
	struct state_history h;
	char err[256];
	int sig;

	return state_save(dir, NULL, r, NULL, &h, &sig, err, sizeof err);
}

static void summarise(const char *text, struct state_summary *s)
{
	ck_assert_int_eq(state_summarise(text, strlen(text), s), 0);
}

/* The verdicts, as Nagios reads them: unknown, critical (failed, too old), ok. */
START_TEST(judge_verdicts)
{
	struct state_summary s = { .job = "backup" };
	const int64_t now = 1700000000LL * 1000000;
	char why[300];

	summarise("{\"last_run\": {\"state\": \"failure\", \"start\": 1699999990.0, \"exit_code\": 2},"
		  " \"consecutive_failures\": 3}", &s);
	ck_assert_int_eq(status_judge(&s, now, 0, why, sizeof why), STATUS_CRITICAL);
	ck_assert_str_eq(why, "last run failed (3 in a row)");
	/* A skip after failures: still critical, it has not succeeded since. */
	summarise("{\"last_run\": {\"state\": \"skipped_locked\", \"start\": 1699999990.0},"
		  " \"consecutive_failures\": 1}", &s);
	ck_assert_int_eq(status_judge(&s, now, 0, why, sizeof why), STATUS_CRITICAL);
	summarise("{\"last_run\": {\"state\": \"success\", \"start\": 1699990000.0}, \"period\": 3600.0,"
		  " \"consecutive_failures\": 0}", &s);
	ck_assert_int_eq(s.period_us, 3600LL * 1000000);
	/* 10000 s old: within twice the period (7200 s)? No. */
	ck_assert_int_eq(status_judge(&s, now, 0, why, sizeof why), STATUS_CRITICAL);
	ck_assert_str_eq(why, "last run 2h46m40s ago, older than the max age 2h");
	ck_assert_int_eq(status_judge(&s, now, 3 * 3600 * 1000, why, sizeof why), STATUS_OK);
	ck_assert_str_eq(why, "last run succeeded");
	/* No period and no --max-age: no age limit at all. */
	summarise("{\"last_run\": {\"state\": \"success\", \"start\": 1.0}, \"consecutive_failures\": 0}", &s);
	ck_assert_int_eq(status_judge(&s, now, 0, why, sizeof why), STATUS_OK);
	ck_assert_int_eq(status_judge(&s, now, 60000, why, sizeof why), STATUS_CRITICAL);
	summarise("{\"last_run\": {\"state\": \"skipped_standby\", \"start\": 1699999999.0},"
		  " \"consecutive_failures\": 0}", &s);
	ck_assert_int_eq(status_judge(&s, now, 60000, why, sizeof why), STATUS_OK);
	ck_assert_int_eq(state_summarise("null", 4, &s), -1);
	ck_assert_int_eq(status_judge(&s, now, 0, why, sizeof why), STATUS_UNKNOWN);
}
END_TEST

static char *check_text(const struct status_query *q, enum status_verdict want)
{
	char err[256] = "", *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(status_check(out, q, err, sizeof err), want);
	fclose(out);
	return text;
}

static void rm_rf(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void touch(const char *dir, const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0600), 0);
	close(fd);
}

START_TEST(check_over_a_dir)
{
	char dir[] = "/tmp/cg-status-XXXXXX", path[128], *text;
	struct run_record r = { .job = "b-job", .host = "h", .state = RUN_SUCCESS,
				.start_us = 1700000000LL * 1000000 };
	char *sel[] = { "b-job", "gone" };
	struct status_query q = { .now_us = r.start_us + 1000000 };

	ck_assert_ptr_nonnull(mkdtemp(dir));
	q.dir = dir;
	strcpy(r.run_id, "11111111-1111-4111-8111-111111111111");
	ck_assert_int_eq(save(dir, &r), 0);
	text = check_text(&q, STATUS_OK);
	ck_assert(strncmp(text, "JOB", 3) == 0);
	ck_assert_ptr_nonnull(strstr(text, "OK: last run succeeded"));
	free(text);
	r.job = "a-job";
	r.state = RUN_FAILURE;
	r.reason = "finished in 0.1 s, under --min-duration 1m";
	strcpy(r.run_id, "22222222-2222-4222-8222-222222222222");
	ck_assert_int_eq(save(dir, &r), 0);
	/* A FIFO planted as a job's state file: an unknown row, at once, never a hang. */
	snprintf(path, sizeof path, "%s/c-fifo.json", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	text = check_text(&q, STATUS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(text, "\na-job"));
	ck_assert(strstr(text, "a-job") < strstr(text, "b-job"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "\na-job"), "CRITICAL: last run failed (1 in a row)"));
	ck_assert_ptr_nonnull(strstr(text, "\n    reason: finished in 0.1 s, under --min-duration 1m\n"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "\nc-fifo"), "UNKNOWN"));
	free(text);
	/* A selection: only those jobs, and one without a state file is unknown. */
	q.jobs = sel;
	q.njobs = 1;
	text = check_text(&q, STATUS_OK);
	ck_assert_ptr_null(strstr(text, "a-job"));
	free(text);
	q.njobs = 2;
	text = check_text(&q, STATUS_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(strstr(text, "\ngone"), "UNKNOWN: no readable state file"));
	free(text);
	sel[1] = "a-job";
	text = check_text(&q, STATUS_CRITICAL);
	free(text);
	rm_rf(dir);
}
END_TEST

START_TEST(json_with_output_and_spool)
{
	char dir[] = "/tmp/cg-status-XXXXXX", spool[128], err[256], out[2048], *text;
	struct run_record r = { .job = "db-dump", .host = "h", .state = RUN_FAILURE, .exit_code = 3,
				.start_us = 1700000000LL * 1000000, .duration_us = 1500000,
				.period_ms = 86400000 };
	char *sel[] = { "db-dump" };
	struct status_query q = { .json = 1, .jobs = sel, .njobs = 1, .now_us = r.start_us + 2000000 };
	json_t *doc, *o;
	size_t n = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	q.dir = dir;
	strcpy(r.run_id, "33333333-3333-4333-8333-333333333333");
	ck_assert_int_eq(save(dir, &r), 0);
	for (int i = 1; i <= 15; i++)
		n += (size_t)snprintf(out + n, sizeof out - n, "line %d\n", i);
	ck_assert_int_eq(status_save_output(dir, r.job, r.run_id, out, n, err, sizeof err), 0);
	/* Two entries of this job, one of a job whose name it begins with, a temporary. */
	snprintf(spool, sizeof spool, "%s/spool", dir);
	ck_assert_int_eq(mkdir(spool, 0700), 0);
	touch(spool, "1700000000000000-db-dump-33333333-3333-4333-8333-333333333333.influx");
	touch(spool, "1700000000000001-db-dump-33333333-3333-4333-8333-333333333333.webhook");
	touch(spool, "1700000000000002-db-dump-x-33333333-3333-4333-8333-333333333333.influx");
	touch(spool, ".1700000000000003-db-dump-33333333-3333-4333-8333-333333333333.influx.tmp");
	ck_assert_uint_eq(status_spool_depth(dir, "db-dump"), 2);
	ck_assert_uint_eq(status_spool_depth(dir, "db-dump-x"), 1);
	text = check_text(&q, STATUS_CRITICAL);
	ck_assert_ptr_nonnull(doc = json_loads(text, 0, NULL));
	ck_assert_uint_eq(json_array_size(doc), 1);
	o = json_array_get(doc, 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "job")), "db-dump");
	ck_assert_str_eq(json_string_value(json_object_get(o, "status")), "CRITICAL");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")), "failure");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "exit_code")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "spool")), 2);
	ck_assert(json_real_value(json_object_get(o, "period")) == 86400.0);
	ck_assert(json_real_value(json_object_get(o, "age")) == 2.0);
	/* The last ten lines of the failed run's output. */
	ck_assert_str_eq(json_string_value(json_object_get(o, "output")),
			 "line 6\nline 7\nline 8\nline 9\nline 10\nline 11\nline 12\nline 13\nline 14\nline 15\n");
	json_decref(doc);
	free(text);
	/* Output kept for another run is not this run's. */
	ck_assert_int_eq(status_save_output(dir, r.job, "44444444-4444-4444-8444-444444444444", out, n,
					    err, sizeof err), 0);
	text = check_text(&q, STATUS_CRITICAL);
	ck_assert_ptr_nonnull(strstr(text, "\"output\": null"));
	free(text);
	/* --forget: the state file, its spare and the output go; then the job is unknown. */
	ck_assert_int_ge(status_forget(dir, r.job, NULL, err, sizeof err), 2);
	ck_assert_int_eq(status_forget(dir, r.job, NULL, err, sizeof err), 0);
	snprintf(spool, sizeof spool, "%s/db-dump.output", dir);
	ck_assert_int_ne(access(spool, F_OK), 0);
	text = check_text(&q, STATUS_UNKNOWN);
	free(text);
	rm_rf(dir);
}
END_TEST

START_TEST(missing_dir_is_unknown)
{
	struct status_query q = { .dir = "/nonexistent/cg-state" };
	char err[256] = "", *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(status_check(out, &q, err, sizeof err), STATUS_UNKNOWN);
	fclose(out);
	ck_assert_str_eq(err, "cannot open state dir /nonexistent/cg-state: No such file or directory");
	free(text);
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, judge_verdicts);
	tcase_add_test(tc, check_over_a_dir);
	tcase_add_test(tc, json_with_output_and_spool);
	tcase_add_test(tc, missing_dir_is_unknown);
	suite_add_tcase(s, tc);
	return s;
}
