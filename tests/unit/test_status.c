/* Unit tests of the --status table. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "status.h"
#include "suites.h"

START_TEST(row_of_a_failing_job)
{
	json_t *doc = json_pack("{s:s, s:{s:s, s:f, s:f, s:i}, s:n, s:i}", "job", "backup",
				"last_run", "state", "failure", "start", 0.0, "duration", 1.5,
				"exit_code", 2, "last_success", "consecutive_failures", 3);
	char row[512];

	ck_assert_int_eq(status_row(doc, "x", 0, row, sizeof row), 1);
	ck_assert(strncmp(row, "backup ", 7) == 0);
	ck_assert_ptr_nonnull(strstr(row, "failure"));
	ck_assert_ptr_nonnull(strstr(row, "1.500s"));
	ck_assert_ptr_nonnull(strstr(row, "never"));
	json_decref(doc);
	ck_assert_int_eq(status_row(json_null(), "x", 0, row, sizeof row), -1);
}
END_TEST

START_TEST(table_over_a_dir)
{
	char dir[] = "/tmp/cg-status-XXXXXX", err[256], cmd[128], *text = NULL;
	size_t len = 0;
	struct run_record r = { .job = "b-job", .host = "h", .state = RUN_SUCCESS };
	FILE *out;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	strcpy(r.run_id, "id");
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	r.job = "a-job";
	r.state = RUN_FAILURE;
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	out = open_memstream(&text, &len);
	ck_assert_int_eq(status_print(out, dir, err, sizeof err), 1);
	fclose(out);
	ck_assert(strncmp(text, "JOB", 3) == 0);
	ck_assert_ptr_nonnull(strstr(text, "\na-job"));
	ck_assert(strstr(text, "a-job") < strstr(text, "b-job"));
	free(text);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, row_of_a_failing_job);
	tcase_add_test(tc, table_over_a_dir);
	suite_add_tcase(s, tc);
	return s;
}
