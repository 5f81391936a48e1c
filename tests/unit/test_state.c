/* Unit tests of the state document and its atomic file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"
#include "suites.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/cg-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct run_record rec(enum run_state st, int64_t start)
{
	struct run_record r = { .job = "job", .host = "h", .state = st, .start_us = start,
				.end_us = start + 1000000, .duration_us = 1000000 };
	strcpy(r.run_id, "id");
	return r;
}

START_TEST(counts_failures_and_keeps_last_success)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000000);
	json_t *d1, *d2, *d3, *d4;

	d1 = state_update(NULL, &r);
	ck_assert_uint_eq(r.consecutive_failures, 0);
	r = rec(RUN_FAILURE, 2000000000);
	d2 = state_update(d1, &r);
	ck_assert_uint_eq(r.consecutive_failures, 1);
	/* A skip neither resets nor adds. */
	r = rec(RUN_SKIPPED_LOCKED, 3000000000);
	d3 = state_update(d2, &r);
	ck_assert_uint_eq(r.consecutive_failures, 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(d3, "last_run"), "state")),
			 "skipped_locked");
	ck_assert_double_eq(json_real_value(json_object_get(json_object_get(d3, "last_success"), "start")),
			    1000.0);
	ck_assert_int_eq(r.last_success_us, 1000000000);
	r = rec(RUN_TIMEOUT, 4000000000);
	d4 = state_update(d3, &r);
	ck_assert_uint_eq(r.consecutive_failures, 2);
	ck_assert_int_eq(json_integer_value(json_object_get(d4, "runs")), 3);
	json_decref(d1);
	json_decref(d2);
	json_decref(d3);
	json_decref(d4);
}
END_TEST

START_TEST(saves_atomically_and_reloads)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	char err[256], path[128];
	json_t *doc;
	struct stat st;

	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_uint_eq(r.consecutive_failures, 2);
	snprintf(path, sizeof path, "%s/job.json", dir);
	doc = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(json_integer_value(json_object_get(doc, "consecutive_failures")), 2);
	ck_assert(json_is_null(json_object_get(doc, "last_success")));
	json_decref(doc);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
}
END_TEST

START_TEST(corrupt_file_is_replaced_with_a_warning)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/job.json", dir);
	f = fopen(path, "w");
	fputs("{not json", f);
	fclose(f);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unreadable"));
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
}
END_TEST

static json_int_t runs_in(const char *name)
{
	char path[128];
	json_t *doc;
	json_int_t n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	doc = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	n = json_integer_value(json_object_get(doc, "runs"));
	json_decref(doc);
	return n;
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(spare_keeps_the_state_before)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], path[128];
	struct stat a, b;

	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 1);
	for (int i = 2; i <= 4; i++) {
		ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
		ck_assert_int_eq(runs_in("job.json"), i);
		ck_assert_int_eq(runs_in(".job.json.prev"), i - 1);
	}
	/* The two files trade places: no new inode per save. */
	snprintf(path, sizeof path, "%s/job.json", dir);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/.job.json.prev", dir);
	ck_assert_int_eq(stat(path, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(b.st_mode & 0777, 0644);
}
END_TEST

START_TEST(torn_file_continues_from_the_spare)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	char err[256];

	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	/* As a power loss can leave it: the newest file empty, the one before it whole. */
	write_file("job.json", "");
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unreadable"));
	ck_assert_ptr_nonnull(strstr(err, "previous state"));
	ck_assert_int_eq(runs_in("job.json"), 3);
	ck_assert_uint_eq(r.consecutive_failures, 3);
	/* Both torn: a fresh start, said so. */
	write_file("job.json", "{\"runs\": 9");
	write_file(".job.json.prev", "");
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "afresh"));
	ck_assert_int_eq(runs_in("job.json"), 1);
}
END_TEST

START_TEST(a_removed_state_is_not_resurrected)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], path[128];

	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	/* An operator resets a job by removing its file; the spare must not bring it back. */
	snprintf(path, sizeof path, "%s/job.json", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 1);
}
END_TEST

START_TEST(creates_missing_dirs)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], sub[128];

	snprintf(sub, sizeof sub, "%s/a/b/c", dir);
	ck_assert_int_eq(state_save(sub, &r, err, sizeof err), 0);
}
END_TEST

START_TEST(unwritable_dir_is_an_error)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256];

	if (geteuid() == 0)
		return; /* root writes anywhere; the fault drills cover a read-only mount */
	chmod(dir, 0500);
	ck_assert_int_eq(state_save(dir, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, dir));
	chmod(dir, 0700);
}
END_TEST

Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, counts_failures_and_keeps_last_success);
	tcase_add_test(tc, saves_atomically_and_reloads);
	tcase_add_test(tc, corrupt_file_is_replaced_with_a_warning);
	tcase_add_test(tc, spare_keeps_the_state_before);
	tcase_add_test(tc, torn_file_continues_from_the_spare);
	tcase_add_test(tc, a_removed_state_is_not_resurrected);
	tcase_add_test(tc, creates_missing_dirs);
	tcase_add_test(tc, unwritable_dir_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
