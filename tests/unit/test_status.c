/* Unit tests of the --status table. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "status.h"
#include "suites.h"

START_TEST(row_of_a_failing_job)
{
	static const char text[] =
		"{\"job\": \"backup\", \"last_run\": {\"state\": \"failure\", \"start\": 1.0,"
		" \"duration\": 1.5, \"exit_code\": 2}, \"last_success\": null,"
		" \"consecutive_failures\": 3}";
	struct state_summary s = { .job = "backup" };
	char row[512];

	ck_assert_int_eq(state_summarise(text, sizeof text - 1, &s), 0);
	ck_assert_int_eq(status_row(&s, 0, row, sizeof row), 1);
	ck_assert(strncmp(row, "backup ", 7) == 0);
	ck_assert_ptr_nonnull(strstr(row, "failure"));
	ck_assert_ptr_nonnull(strstr(row, "1.500s"));
	ck_assert_ptr_nonnull(strstr(row, " 2 "));
	ck_assert_ptr_nonnull(strstr(row, "never"));
	ck_assert_int_eq(state_summarise("null", 4, &s), -1);
	ck_assert_int_eq(s.readable, 0);
	ck_assert_str_eq(s.job, "backup");
	ck_assert_int_eq(status_row(&s, 0, row, sizeof row), 1);
	ck_assert_ptr_nonnull(strstr(row, "unreadable"));
}
END_TEST

/* A skip shows neither a duration nor an exit code. */
START_TEST(row_of_a_skip)
{
	static const char text[] =
		"{\"last_run\": {\"state\": \"skipped_locked\", \"start\": 1700000000.5,"
		" \"duration\": 0.002, \"exit_code\": 0}, \"consecutive_failures\": 0}";
	struct state_summary s = { .job = "x" };
	char row[512], want[512];

	ck_assert_int_eq(state_summarise(text, sizeof text - 1, &s), 0);
	ck_assert_int_eq(status_row(&s, 0, row, sizeof row), 0);
	ck_assert_ptr_nonnull(strstr(row, "skipped_locked"));
	snprintf(want, sizeof want, "%10s %5s %-20s %5s\n", "-", "-", "never", "0");
	ck_assert_ptr_nonnull(strstr(row, want));
}
END_TEST

static int save(const char *dir, struct run_record *r)
{
	struct state_history h;
	char err[256];
	int sig;

	return state_save(dir, r, NULL, &h, &sig, err, sizeof err);
}

START_TEST(table_over_a_dir)
{
	char dir[] = "/tmp/cg-status-XXXXXX", err[256], cmd[128], path[128], *text = NULL;
	size_t len = 0;
	struct run_record r = { .job = "b-job", .host = "h", .state = RUN_SUCCESS };
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	strcpy(r.run_id, "id");
	ck_assert_int_eq(save(dir, &r), 0);
	r.job = "a-job";
	r.state = RUN_FAILURE;
	ck_assert_int_eq(save(dir, &r), 0);
	/* A FIFO planted as a job's state file: an unreadable row, at once, never a hang. */
	snprintf(path, sizeof path, "%s/c-fifo.json", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	out = open_memstream(&text, &len);
	ck_assert_int_eq(status_print(out, dir, err, sizeof err), 2);
	fclose(out);
	ck_assert(strncmp(text, "JOB", 3) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\na-job"));
	ck_assert(strstr(text, "a-job") < strstr(text, "b-job"));
	ck_assert_ptr_nonnull(strstr(text, "\nc-fifo"));
	ck_assert_ptr_nonnull(strstr(strstr(text, "\nc-fifo"), "unreadable"));
	free(text);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(missing_dir_says_so)
{
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_int_eq(status_print(out, "/nonexistent/cg-state", err, sizeof err), 0);
	fclose(out);
	ck_assert_str_eq(text, "no jobs recorded yet in /nonexistent/cg-state\n");
	free(text);
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, row_of_a_failing_job);
	tcase_add_test(tc, row_of_a_skip);
	tcase_add_test(tc, table_over_a_dir);
	tcase_add_test(tc, missing_dir_says_so);
	suite_add_tcase(s, tc);
	return s;
}
