/* Unit tests of the state document and its atomic file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
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

static struct state_history hist;

/* state_save without stop signals; the history lands in HIST. */
static int save(const char *d, const struct run_record *r, char *err, size_t errlen)
{
	int sig = -1, rc = state_save(d, NULL, r, NULL, &hist, &sig, err, errlen);

	ck_assert_int_eq(sig, 0);
	return rc;
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

	d1 = state_update(NULL, &r, &hist);
	ck_assert_uint_eq(hist.consecutive_failures, 0);
	r = rec(RUN_FAILURE, 2000000000);
	d2 = state_update(d1, &r, &hist);
	ck_assert_uint_eq(hist.consecutive_failures, 1);
	/* A skip neither resets nor adds. */
	r = rec(RUN_SKIPPED_LOCKED, 3000000000);
	d3 = state_update(d2, &r, &hist);
	ck_assert_uint_eq(hist.consecutive_failures, 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(d3, "last_run"), "state")),
			 "skipped_locked");
	ck_assert_double_eq(json_real_value(json_object_get(json_object_get(d3, "last_success"), "start")),
			    1000.0);
	ck_assert_int_eq(hist.last_success_us, 1000000000);
	r = rec(RUN_TIMEOUT, 4000000000);
	d4 = state_update(d3, &r, &hist);
	ck_assert_uint_eq(hist.consecutive_failures, 2);
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

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_uint_eq(hist.consecutive_failures, 2);
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
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unreadable"));
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
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

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 1);
	for (int i = 2; i <= 4; i++) {
		ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
		ck_assert_int_eq(runs_in("job.json"), i);
		ck_assert_int_eq(runs_in(".job.json.prev"), i - 1);
	}
	/* The two files trade places: no new inode per save. */
	snprintf(path, sizeof path, "%s/job.json", dir);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
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

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	/* As a power loss can leave it: the newest file empty, the one before it whole. */
	write_file("job.json", "");
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unreadable"));
	ck_assert_ptr_nonnull(strstr(err, "previous state"));
	ck_assert_int_eq(runs_in("job.json"), 3);
	ck_assert_uint_eq(hist.consecutive_failures, 3);
	/* Both torn: a fresh start, said so. */
	write_file("job.json", "{\"runs\": 9");
	write_file(".job.json.prev", "");
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "afresh"));
	ck_assert_int_eq(runs_in("job.json"), 1);
}
END_TEST

START_TEST(a_removed_state_is_not_resurrected)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], path[128];

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	/* An operator resets a job by removing its file; the spare must not bring it back. */
	snprintf(path, sizeof path, "%s/job.json", dir);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 1);
}
END_TEST

START_TEST(creates_missing_dirs)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], sub[128];

	snprintf(sub, sizeof sub, "%s/a/b/c", dir);
	ck_assert_int_eq(save(sub, &r, err, sizeof err), 0);
}
END_TEST

START_TEST(unwritable_dir_is_an_error)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256];

	if (geteuid() == 0)
		return; /* root writes anywhere; the fault drills cover a read-only mount */
	chmod(dir, 0500);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, dir));
	chmod(dir, 0700);
}
END_TEST

/* A hand-edited file near the top of the range: the counts saturate (overflow would be
 * undefined, and under UBSan an abort), the history handed back is clamped, and a start
 * time no clock can have is no last success. */
START_TEST(counts_saturate_on_a_hand_edited_file)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	char err[256];
	struct state_summary s = { .job = "job" };
	char path[128], *text;
	size_t len;
	FILE *f;

	write_file("job.json", "{\"runs\": 9223372036854775807, "
		   "\"consecutive_failures\": 9223372036854775807, "
		   "\"last_run\": {\"state\": \"failure\", \"start\": 1e300},"
		   "\"last_success\": {\"state\": \"success\", \"start\": -1e300}}");
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), INT64_MAX);
	ck_assert_uint_eq(hist.consecutive_failures, UINT_MAX);
	ck_assert_int_eq(hist.last_success_us, 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), INT64_MAX);
	snprintf(path, sizeof path, "%s/job.json", dir);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	text = calloc(1, 1 << 16);
	len = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	ck_assert_int_eq(state_summarise(text, len, &s), 0);
	free(text);
	ck_assert_int_eq(s.runs, INT64_MAX);
	ck_assert_int_eq(s.consecutive_failures, INT64_MAX);
	/* A success resets the failures; the runs stay at the top. */
	r = rec(RUN_SUCCESS, 2000000);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_uint_eq(hist.consecutive_failures, 0);
	ck_assert_int_eq(hist.last_success_us, 2000000);
	ck_assert_int_eq(runs_in("job.json"), INT64_MAX);
}
END_TEST

START_TEST(summary_of_what_state_save_wrote)
{
	struct run_record r = rec(RUN_SUCCESS, 1700000000123456);
	struct state_summary s = { .job = "job" };
	char err[256], path[128], *text;
	size_t len;
	FILE *f;

	r.duration_us = 420500000;
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	r = rec(RUN_FAILURE, 1700000100000000);
	r.exit_code = 3;
	r.signal = 9;
	r.reason = "ran past --timeout";
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/job.json", dir);
	f = fopen(path, "r");
	text = calloc(1, 1 << 16);
	len = fread(text, 1, (1 << 16) - 1, f);
	fclose(f);
	ck_assert_int_eq(state_summarise(text, len, &s), 0);
	free(text);
	ck_assert_int_eq(s.readable, 1);
	ck_assert_str_eq(s.job, "job");
	ck_assert_str_eq(s.state, "failure");
	ck_assert_int_eq(s.start_us, 1700000100000000);
	ck_assert_int_eq(s.duration_us, 1000000);
	ck_assert_int_eq(s.has_exit, 1);
	ck_assert_int_eq(s.exit_code, 3);
	ck_assert_int_eq(s.signal, 9);
	ck_assert_str_eq(s.reason, "ran past --timeout");
	ck_assert_int_eq(s.last_success_us, 1700000000123456);
	ck_assert_int_eq(s.last_success_duration_us, 420500000);
	ck_assert_int_eq(s.consecutive_failures, 1);
	ck_assert_int_eq(s.runs, 2);
}
END_TEST

struct seen {
	char jobs[8][65];
	int readable[8];
	int n;
};

static int collect(void *ctx, const struct state_summary *s)
{
	struct seen *w = ctx;

	ck_assert_int_lt(w->n, 8);
	snprintf(w->jobs[w->n], sizeof w->jobs[w->n], "%s", s->job);
	w->readable[w->n++] = s->readable;
	return 0;
}

/* The scan reads every job's file by the same rules: planted FIFOs and symlinks are
 * unreadable entries at once, spares and temporaries are not jobs. */
START_TEST(scan_lists_jobs_by_the_same_rules)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	struct seen w = { .n = 0 };
	char err[256], path[128];

	r.job = "b";
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	r.job = "a";
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/c.json", dir);
	ck_assert_int_eq(mkfifo(path, 0666), 0);
	snprintf(path, sizeof path, "%s/d.json", dir);
	ck_assert_int_eq(symlink("a.json", path), 0);
	write_file("e.json", "[]");
	write_file(".f.json", "{}");
	write_file("notes.txt", "{}");
	ck_assert_int_eq(state_scan(dir, collect, &w, err, sizeof err), 0);
	ck_assert_int_eq(w.n, 5);
	ck_assert_str_eq(w.jobs[0], "a");
	ck_assert_int_eq(w.readable[0], 1);
	ck_assert_str_eq(w.jobs[1], "b");
	ck_assert_int_eq(w.readable[1], 1);
	ck_assert_str_eq(w.jobs[2], "c");
	ck_assert_int_eq(w.readable[2], 0);
	ck_assert_str_eq(w.jobs[3], "d");
	ck_assert_int_eq(w.readable[3], 0);
	ck_assert_str_eq(w.jobs[4], "e");
	ck_assert_int_eq(w.readable[4], 0);
	ck_assert_int_eq(state_scan("/nonexistent/cg", collect, &w, err, sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cg"));
}
END_TEST

/* FIFOs planted as the state file and as its spare: never a hang, and the state goes on. */
START_TEST(planted_fifos_never_block_a_save)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	char err[256], path[128];
	struct stat st;

	snprintf(path, sizeof path, "%s/job.json", dir);
	ck_assert_int_eq(mkfifo(path, 0666), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(runs_in("job.json"), 1);
	/* The swap left the FIFO as the spare: the next save replaces it. */
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "replaced it"));
	ck_assert_int_eq(runs_in("job.json"), 2);
	snprintf(path, sizeof path, "%s/.job.json.prev", dir);
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(mkfifo(path, 0666), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_int_eq(runs_in("job.json"), 3);
	ck_assert_uint_eq(hist.consecutive_failures, 3);
}
END_TEST

/* The spare hard-linked to another file: that file is never written. */
START_TEST(a_hard_linked_spare_is_never_written_through)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	char err[256], path[128], victim[128], buf[32] = "";
	FILE *f;

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	write_file("victim", "precious");
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(path, sizeof path, "%s/.job.json.prev", dir);
	ck_assert_int_eq(link(victim, path), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "hard-linked"));
	ck_assert_int_eq(runs_in("job.json"), 2);
	f = fopen(victim, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "precious");
}
END_TEST

/* Anyone who can open the state directory (0755, for monitoring users) can flock it: that
 * must not hold up a run's state. Its lock is a 0600 file of ours. */
START_TEST(a_flock_on_the_directory_holds_nothing)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	sigset_t stop;
	char err[256], lockpath[256];
	int sig = 0, holder = open(dir, O_RDONLY | O_DIRECTORY);
	struct timespec a, b;
	struct stat st;

	ck_assert_int_ge(holder, 0);
	ck_assert_int_eq(flock(holder, LOCK_EX), 0);
	sigemptyset(&stop);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(state_save(dir, NULL, &r, &stop, &hist, &sig, err, sizeof err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 2);
	snprintf(lockpath, sizeof lockpath, "%s/.lock", dir);
	ck_assert_int_eq(lstat(lockpath, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	close(holder);
}
END_TEST

/* Someone else holds the state directory's lock: a stop signal ends the wait at once. */
START_TEST(a_stop_signal_ends_the_lock_wait)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	sigset_t stop, old;
	char err[256];
	struct timespec a, b;
	char lockpath[256];
	int sig = 0, holder;

	snprintf(lockpath, sizeof lockpath, "%s/.lock", dir);
	holder = open(lockpath, O_RDWR | O_CREAT, 0600);

	ck_assert_int_ge(holder, 0);
	ck_assert_int_eq(flock(holder, LOCK_EX), 0);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	raise(SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &a);
	/* flock locks belong to the open file description: our own second open conflicts. */
	ck_assert_int_eq(state_save(dir, NULL, &r, &stop, &hist, &sig, err, sizeof err), -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ck_assert_int_eq(sig, SIGTERM);
	ck_assert_ptr_nonnull(strstr(err, "state not saved"));
	ck_assert_int_lt(b.tv_sec - a.tv_sec, 2);
	ck_assert_uint_eq(hist.consecutive_failures, 0);
	ck_assert_int_eq(hist.last_success_us, 1000000);
	close(holder);
	sigprocmask(SIG_SETMASK, &old, NULL);
}
END_TEST

/* ---- the run path's reader and writer, held to jansson's bytes ---- */

/* The model: jansson's parse of OLD (NULL: none) and dump of state_update, with a newline. */
static char *model(const char *old, const struct run_record *r, struct state_history *h, int *old_ok)
{
	json_t *o = old ? json_loadb(old, strlen(old), JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *d = state_update(o, r, h);
	char *t = json_dumps(d, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(16));
	char *withnl = malloc(strlen(t) + 2);

	sprintf(withnl, "%s\n", t);
	free(t);
	json_decref(d);
	*old_ok = o != NULL;
	json_decref(o);
	return withnl;
}

static const char *const old_docs[] = {
	NULL,
	"{}",
	"[]",
	"[1, {\"a\": 2}]",
	"{\"runs\": 7, \"consecutive_failures\": 2, \"last_success\": null}",
	"{\"runs\": 9223372036854775807, \"consecutive_failures\": 9223372036854775807}",
	"{\"runs\": -3, \"consecutive_failures\": 2.0, \"last_success\": [1]}",
	"{\"runs\": true, \"consecutive_failures\": \"4\", \"last_success\": {}}",
	/* hand-edited: unsorted, odd spacing, odd numbers, escapes, extra members, nesting */
	" \r\n\t{\"zz\":{\"b\":[],\"a\":[1,2.50,-0,-0.0,1E+2,1e-7,123456789012345678]},"
	"\"last_success\" : {\"state\":\"success\",\"start\":1700000000.5,\"x\":{\"y\":[{},[[]]]},"
	"\"reason\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u001f\\u00e9\\ud83d\\ude00\\u20AC\xc3\xa9\","
	"\"duration\":1e300, \"end\": 5e-324, \"exit_code\": 0, \"\": true, \"f\": false},"
	"\"runs\":1}\n",
	"{\"last_success\": {\"start\": 1e11}, \"runs\": 0}",
	"{\"last_success\": {\"start\": -99999999999.9}, \"runs\": 0}",
	"{\"last_success\": {\"start\": 17}, \"runs\": 0}",
	"{\"last_success\": {\"start\": 0.000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000001}}",
};

static struct run_record sample(int i)
{
	static const struct label labels[] = {
		{ "zone", "b" }, { "team", "ops \"x\"" }, { "zone", "a" }, { "bad", "\xff" },
		{ "uni", "\xc3\xa9\xe2\x82\xac" },
	};
	struct run_record r = rec((enum run_state[]){ RUN_SUCCESS, RUN_FAILURE, RUN_SKIPPED_LOCKED,
						      RUN_TIMEOUT }[i % 4],
				  1764621234123456 + i * 999999);

	r.duration_us = 1234567 * i;
	r.end_us = r.start_us + r.duration_us;
	if (i & 1) {
		r.labels = labels;
		r.nlabels = sizeof labels / sizeof *labels;
		r.signal = 9;
		r.maxrss_kb = 1024 * i;
		r.exit_code = 137;
	}
	if (i % 3 == 1)
		r.reason = "quote \" backslash \\ newline \n tab \t bell \a del \x7f \xc3\xa9";
	if (i % 3 == 2)
		r.reason = "not UTF-8: \xc3\x28";
	if (i == 5)
		r.host = "h\xe9";
	return r;
}

START_TEST(render_is_jansson_byte_for_byte)
{
	for (size_t d = 0; d < sizeof old_docs / sizeof *old_docs; d++) {
		for (int i = 0; i < 8; i++) {
			struct run_record r = sample(i);
			struct state_history h1 = { 7, 7, 7 }, h2 = { 8, 8, 8 };
			struct state_prior p;
			int old_ok = 0, prior_ok = 0;
			char *want = model(old_docs[d], &r, &h1, &old_ok), *got, *again;
			size_t len = 0;

			if (old_docs[d])
				prior_ok = state_read_prior(old_docs[d], strlen(old_docs[d]), &p) == 0;
			ck_assert_msg(prior_ok == old_ok, "doc %zu: reader %d, jansson %d", d, prior_ok, old_ok);
			got = state_render(prior_ok ? &p : NULL, &r, &h2, &len);
			ck_assert_ptr_nonnull(got);
			ck_assert_uint_eq(len, strlen(got));
			ck_assert_msg(strcmp(got, want) == 0, "doc %zu, record %d:\n%s\nwant:\n%s", d, i, got, want);
			ck_assert_uint_eq(h1.consecutive_failures, h2.consecutive_failures);
			ck_assert_int_eq(h1.last_success_us, h2.last_success_us);
			/* What the writer wrote, the reader reads back to the same file. */
			ck_assert_int_eq(state_read_prior(got, len, &p), 0);
			free(want);
			want = model(got, &r, &h1, &old_ok);
			again = state_render(&p, &r, &h2, &len);
			ck_assert_str_eq(again, want);
			free(again);
			free(got);
			free(want);
		}
	}
}
END_TEST

/* Hostile and broken files: refused by the reader exactly where jansson refuses them. */
START_TEST(reader_refuses_what_jansson_refuses)
{
	static const char *const bad[] = {
		"", " ", "null", "1", "\"s\"", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}",
		"[1,]", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "[1e+]", "[+1]", "[0x10]", "[tru]",
		"[truex]", "[nul]", "{\"a\":1}x", "{\"a\":1}\0", "\xef\xbb\xbf{}", "{'a':1}",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"x\":{\"b\":1,\"b\":1}}",
		"[\"\\u0000\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]",
		"[\"\\ud800x\"]", "[\"\\u12\"]", "[\"\\x\"]", "[\"\t\"]", "[\"\xc3\"]", "[\"\xc0\xaf\"]",
		"[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"abc]", "[9223372036854775808]",
		"[-9223372036854775809]", "[1e400]", "[-1e400]", "{\"last_success\":{\"start\":1}",
		"{} {}", "[\xff]",
	};
	struct state_prior p;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t len = i == 23 ? 8 : strlen(bad[i]);
		json_t *j = json_loadb(bad[i], len, JSON_REJECT_DUPLICATES, NULL);

		ck_assert_msg(j == NULL, "jansson took bad[%zu]", i);
		errno = 0;
		ck_assert_msg(state_read_prior(bad[i], len, &p) == -1, "reader took bad[%zu] %s", i, bad[i]);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_ptr_null(p.last_success);
		ck_assert_int_eq(p.runs, 0);
	}
}
END_TEST

/* Nesting: jansson goes to 2048; the reader stops at STATE_MAX_DEPTH, so a hostile file
 * costs linear time. Every prefix of a good file is refused, never read past. */
START_TEST(reader_bounds_depth_and_truncation)
{
	char deep[2 * STATE_MAX_DEPTH + 8], *text, *cut;
	struct run_record r = rec(RUN_FAILURE, 1000000);
	struct state_prior p;
	size_t len, i;

	for (i = 0; i < STATE_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[2 * STATE_MAX_DEPTH - 1 - i] = ']';
	}
	ck_assert_int_eq(state_read_prior(deep, 2 * STATE_MAX_DEPTH, &p), 0);
	memmove(deep + 1, deep, 2 * STATE_MAX_DEPTH);
	deep[0] = '[';
	deep[2 * STATE_MAX_DEPTH + 1] = ']';
	ck_assert_int_eq(state_read_prior(deep, 2 * STATE_MAX_DEPTH + 2, &p), -1);

	r.reason = "why";
	text = state_render(NULL, &r, NULL, &len);
	for (i = 0; i + 1 < len; i++) {
		/* Each prefix in a buffer of its own size, so a read past it is ASan's to see. */
		cut = malloc(i ? i : 1);
		memcpy(cut, text, i);
		ck_assert_msg(state_read_prior(cut, i, &p) == -1, "prefix %zu read", i);
		free(cut);
	}
	ck_assert_int_eq(state_read_prior(text, len, &p), 0);
	ck_assert_int_eq(p.runs, 1);
	ck_assert_int_eq(p.consecutive_failures, 1);
	free(text);
}
END_TEST

/* state_save with what state_prefetch read; the history lands in HIST. */
static int save_prefetched(struct state_early *e, const struct run_record *r, char *err,
			   size_t errlen)
{
	int sig = -1, rc = state_save(dir, e, r, NULL, &hist, &sig, err, errlen);

	ck_assert_int_eq(sig, 0);
	ck_assert_int_eq(e->dfd, -1);     /* taken over */
	ck_assert_int_eq(e->lfd, -1);
	state_early_free(e);
	return rc;
}

/* Read while the command runs, written after: the same file as a save that reads it then. */
START_TEST(a_prefetched_state_saves_the_same)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	struct state_early e;
	char err[256], a[2048], b[2048], path[128];
	FILE *f;
	size_t na, nb;

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	state_prefetch(&e, dir, "job");
	ck_assert_int_ge(e.dfd, 0);
	ck_assert_int_ge(e.lfd, 0);
	ck_assert_ptr_nonnull(e.text);
	ck_assert_int_eq(e.prior.runs, 1);
	r = rec(RUN_FAILURE, 2000000);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), 0);
	ck_assert_uint_eq(hist.consecutive_failures, 2);
	snprintf(path, sizeof path, "%s/job.json", dir);
	f = fopen(path, "r");
	na = fread(a, 1, sizeof a, f);
	fclose(f);
	/* The same two runs, saved the usual way, elsewhere. */
	{
		char other[64];

		strcpy(other, "/tmp/cg-state2-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(other));
		r = rec(RUN_FAILURE, 1000000);
		ck_assert_int_eq(state_save(other, NULL, &r, NULL, &hist, &(int){ 0 }, err, sizeof err), 0);
		r = rec(RUN_FAILURE, 2000000);
		ck_assert_int_eq(state_save(other, NULL, &r, NULL, &hist, &(int){ 0 }, err, sizeof err), 0);
		snprintf(path, sizeof path, "%s/job.json", other);
		f = fopen(path, "r");
		nb = fread(b, 1, sizeof b, f);
		fclose(f);
		snprintf(path, sizeof path, "rm -rf %s", other);
		ck_assert_int_eq(system(path), 0);
	}
	ck_assert_uint_eq(na, nb);
	ck_assert_int_eq(memcmp(a, b, na), 0);
}
END_TEST

/* Another run of the job saved between the read and the write (no --lock, or another lock
 * file): its run is not lost, the file is read again. Twice over, the same inode is back
 * under the name, written anew. */
START_TEST(a_save_after_the_prefetch_is_not_lost)
{
	struct run_record r = rec(RUN_FAILURE, 1000000);
	struct state_early e;
	char err[256];

	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	state_prefetch(&e, dir, "job");
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 3);
	ck_assert_uint_eq(hist.consecutive_failures, 3);
	state_prefetch(&e, dir, "job");
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save(dir, &r, err, sizeof err), 0);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 6);
	ck_assert_uint_eq(hist.consecutive_failures, 6);
}
END_TEST

/* Whatever the prefetch could not do is done, and said, by the save: no directory yet, no
 * file, a file that does not parse. */
START_TEST(a_failed_prefetch_leaves_it_to_the_save)
{
	struct run_record r = rec(RUN_SUCCESS, 1000000);
	struct state_early e;
	char err[256], sub[128], path[160];
	FILE *f;

	snprintf(sub, sizeof sub, "%s/new/state", dir);
	state_prefetch(&e, sub, "job");
	ck_assert_int_eq(e.dfd, -1);
	ck_assert_ptr_null(e.text);
	ck_assert_int_eq(state_save(sub, &e, &r, NULL, &hist, &(int){ 0 }, err, sizeof err), 0);
	state_early_free(&e);
	state_prefetch(&e, dir, "job");
	ck_assert_int_ge(e.dfd, 0);
	ck_assert_ptr_null(e.text);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), 0);
	ck_assert_int_eq(runs_in("job.json"), 1);
	snprintf(path, sizeof path, "%s/job.json", dir);
	f = fopen(path, "w");
	fputs("{not json", f);
	fclose(f);
	state_prefetch(&e, dir, "job");
	ck_assert_ptr_null(e.text);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), 1);
	ck_assert_ptr_nonnull(strstr(err, "unreadable"));
	/* A directory other users can write is refused at the prefetch, and again, said, by
	 * the save. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	state_prefetch(&e, dir, "job");
	ck_assert_int_eq(e.dfd, -1);
	ck_assert_int_eq(save_prefetched(&e, &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "writable by other users"));
	ck_assert_int_eq(chmod(dir, 0700), 0);
}
END_TEST

/* Objects with more members than the reader keeps on the stack (16 in a nested object, 24
 * at the top): read whole, and a duplicate among the later members is still refused. */
START_TEST(reader_reads_large_objects)
{
	char text[4096];
	size_t n = 0;
	struct state_prior p;

	n += (size_t)snprintf(text + n, sizeof text - n, "{\"last_success\": {");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s\"k%02d\": %d", i ? ", " : "", i, i);
	n += (size_t)snprintf(text + n, sizeof text - n, ", \"start\": 12.5}");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, ", \"t%02d\": [%d]", i, i);
	n += (size_t)snprintf(text + n, sizeof text - n, ", \"runs\": 7}");
	ck_assert_int_eq(state_read_prior(text, n, &p), 0);
	ck_assert_int_eq(p.runs, 7);
	ck_assert_int_eq(p.last_success_us, 12500000);
	/* The same with "t30" twice. */
	memcpy(strstr(text, "\"t31\""), "\"t30\"", 5);
	ck_assert_int_eq(state_read_prior(text, n, &p), -1);
	memcpy(strstr(text, "\"t30\": [31]"), "\"t31\"", 5);
	memcpy(strstr(text, "\"k20\""), "\"k19\"", 5);
	ck_assert_int_eq(state_read_prior(text, n, &p), -1);
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
	tcase_add_test(tc, counts_saturate_on_a_hand_edited_file);
	tcase_add_test(tc, summary_of_what_state_save_wrote);
	tcase_add_test(tc, scan_lists_jobs_by_the_same_rules);
	tcase_add_test(tc, planted_fifos_never_block_a_save);
	tcase_add_test(tc, a_hard_linked_spare_is_never_written_through);
	tcase_add_test(tc, a_stop_signal_ends_the_lock_wait);
	tcase_add_test(tc, a_flock_on_the_directory_holds_nothing);
	tcase_add_test(tc, a_prefetched_state_saves_the_same);
	tcase_add_test(tc, a_save_after_the_prefetch_is_not_lost);
	tcase_add_test(tc, a_failed_prefetch_leaves_it_to_the_save);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_test(tc, render_is_jansson_byte_for_byte);
	tcase_add_test(tc, reader_refuses_what_jansson_refuses);
	tcase_add_test(tc, reader_bounds_depth_and_truncation);
	tcase_add_test(tc, reader_reads_large_objects);
	suite_add_tcase(s, tc);
	return s;
}
