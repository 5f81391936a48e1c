/* Unit tests of the spool: its file format byte for byte, order, bound, lock and removal. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "suites.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/cg-spool-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct spool_entry entry(const char *sink, int64_t start, const char *run_id, char *body)
{
	struct spool_entry e = { .start_us = start, .url = "http://h:8086/write?db=x&precision=ms",
				 .content_type = "text/plain; charset=utf-8", .body = body,
				 .body_len = strlen(body) };

	snprintf(e.sink, sizeof e.sink, "%s", sink);
	snprintf(e.auth, sizeof e.auth, "%s", strcmp(sink, "influx") == 0 ? "influx" : "none");
	snprintf(e.job, sizeof e.job, "backup");
	snprintf(e.run_id, sizeof e.run_id, "%s", run_id);
	return e;
}

static size_t count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(encode_exact_and_round_trip)
{
	struct spool_entry e = entry("influx", 1700000000123456, "r1", "line 1\nline 2\n"), back;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_int_eq(spool_encode(f, &e), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_str_eq(buf, "cronguard-spool 1\nsink influx\nauth influx\njob backup\nrun-id r1\n"
			      "start-us 1700000000123456\nurl http://h:8086/write?db=x&precision=ms\n"
			      "content-type text/plain; charset=utf-8\n\nline 1\nline 2\n");
	ck_assert_int_eq(spool_decode(buf, len, &back), 0);
	ck_assert_str_eq(back.sink, "influx");
	ck_assert_str_eq(back.auth, "influx");
	ck_assert_str_eq(back.job, "backup");
	ck_assert_str_eq(back.run_id, "r1");
	ck_assert_int_eq(back.start_us, 1700000000123456);
	ck_assert_str_eq(back.url, e.url);
	ck_assert_str_eq(back.content_type, e.content_type);
	ck_assert_uint_eq(back.body_len, e.body_len);
	ck_assert_int_eq(memcmp(back.body, e.body, e.body_len), 0);
	spool_entry_free(&back);
	free(buf);
}
END_TEST

START_TEST(decode_refuses_damage)
{
	static const char *const bad[] = {
		"",
		"cronguard-spool 2\nsink influx\n\nx",
		"cronguard-spool 1\nsink influx\nauth none\nrun-id r\nurl http://h\n",  /* no blank line */
		"cronguard-spool 1\nsink influx\nauth none\nrun-id r\n\nbody",         /* no url */
		"cronguard-spool 1\nsink webhook\nauth token\nrun-id r\nurl http://h\ncontent-type a\n\nb",
		"cronguard-spool 1\nsink webhook\nauth none\nrun-id r\nurl http://h\ncontent-type a\rX: y\n\nb",
		"cronguard-spool 1\nsink webhook\nauth none\nrun-id r\nstart-us 12x\nurl http://h\ncontent-type a\n\nb",
		"cronguard-spool 1\nnospace\n\nb",
	};
	struct spool_entry e;
	const char *good = "cronguard-spool 1\nsink webhook\nauth none\nrun-id r\nfuture-key 1\n"
			   "url http://h\ncontent-type a\n\n";

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(spool_decode(bad[i], strlen(bad[i]), &e) == -1, "case %zu decoded", i);
	/* An unknown key is skipped (a later version's), an empty body is a body. */
	ck_assert_int_eq(spool_decode(good, strlen(good), &e), 0);
	ck_assert_uint_eq(e.body_len, 0);
	spool_entry_free(&e);
}
END_TEST

START_TEST(written_ahead_then_kept)
{
	struct spool sp;
	char err[256];
	struct spool_entry e = entry("webhook", 1700000000000000, "w", "{}");

	ck_assert_int_eq(spool_open(&sp, dir), 0);
	errno = 0;
	ck_assert_int_eq(spool_keep(&sp, "nothing-yet"), -1);   /* no spool dir yet */
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(spool_add(&sp, &e, 0, err, sizeof err), 0);
	ck_assert_int_eq(spool_keep(&sp, e.name), 0);
	ck_assert_int_eq(spool_keep(&sp, "00000000000000000001-backup-x.influx"), -1);
	spool_close(&sp, 100);
	/* Written ahead without a sync, it is still a whole entry for the next run. */
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 1);
	ck_assert_str_eq(sp.entries[0].run_id, "w");
	spool_close(&sp, 100);
}
END_TEST

START_TEST(entries_load_oldest_first)
{
	struct spool sp;
	char err[256], path[128];
	int64_t starts[] = { 1700000000000003, 999, 1700000000000001, 1800000000000000 };
	const char *ids[] = { "c", "a", "b", "d" };

	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_int_eq(sp.fd, -1);   /* no spool yet: nothing created until needed */
	for (size_t i = 0; i < 4; i++) {
		struct spool_entry e = entry(i % 2 ? "webhook" : "influx", starts[i], ids[i], "{}");
		ck_assert_int_eq(spool_add(&sp, &e, 1, err, sizeof err), 0);
	}
	spool_close(&sp, 100);
	snprintf(path, sizeof path, "%s/spool", dir);
	{
		struct stat st;
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 0777, 0700);
	}
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert(sp.locked);
	ck_assert_uint_eq(sp.n, 4);
	ck_assert_str_eq(sp.entries[0].run_id, "a");
	ck_assert_str_eq(sp.entries[0].name, "00000000000000000999-backup-a.webhook");
	ck_assert_str_eq(sp.entries[1].run_id, "b");
	ck_assert_str_eq(sp.entries[2].run_id, "c");
	ck_assert_str_eq(sp.entries[2].name, "00001700000000000003-backup-c.influx");
	ck_assert_str_eq(sp.entries[3].run_id, "d");
	ck_assert_str_eq(sp.entries[3].auth, "none");
	ck_assert_int_eq(spool_remove(&sp, sp.entries[1].name), 0);
	spool_close(&sp, 100);
	ck_assert_uint_eq(count_files(path), 3);
}
END_TEST

START_TEST(bound_drops_oldest)
{
	struct spool sp;
	char err[256];

	ck_assert_int_eq(spool_open(&sp, dir), 0);
	for (int i = 0; i < 5; i++) {
		char id[8];
		struct spool_entry e;

		snprintf(id, sizeof id, "r%d", i);
		e = entry("webhook", 1000 + i, id, "{}");
		ck_assert_int_eq(spool_add(&sp, &e, 1, err, sizeof err), 0);
	}
	spool_close(&sp, 2);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 2);
	ck_assert_str_eq(sp.entries[0].run_id, "r3");
	ck_assert_str_eq(sp.entries[1].run_id, "r4");
	spool_close(&sp, 0);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 0);
	spool_close(&sp, 0);
}
END_TEST

START_TEST(lock_keeps_a_second_run_out)
{
	struct spool a, b;
	char err[256];
	struct spool_entry e = entry("webhook", 5, "x", "{}");

	ck_assert_int_eq(spool_open(&a, dir), 0);
	ck_assert_int_eq(spool_add(&a, &e, 0, err, sizeof err), 0);
	spool_close(&a, 10);
	ck_assert_int_eq(spool_open(&a, dir), 0);
	ck_assert(a.locked);
	ck_assert_uint_eq(a.n, 1);
	/* The second run may add but neither loads nor trims what the first is sending. */
	ck_assert_int_eq(spool_open(&b, dir), 0);
	ck_assert(!b.locked);
	ck_assert_uint_eq(b.n, 0);
	e = entry("webhook", 6, "y", "{}");
	ck_assert_int_eq(spool_add(&b, &e, 1, err, sizeof err), 0);
	spool_close(&b, 0);
	spool_close(&a, 10);
	ck_assert_int_eq(spool_open(&a, dir), 0);
	ck_assert_uint_eq(a.n, 2);
	spool_close(&a, 10);
}
END_TEST

START_TEST(unreadable_entries_are_dropped)
{
	struct spool sp;
	char path[128];
	FILE *f;

	snprintf(path, sizeof path, "%s/spool", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/spool/00000000000000000001-j-r.webhook", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/spool/.00000000000000000002-j-r.webhook.123", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("half-written temporary", f);
	fclose(f);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 0);
	spool_close(&sp, 10);
	snprintf(path, sizeof path, "%s/spool/00000000000000000001-j-r.webhook", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, encode_exact_and_round_trip);
	tcase_add_test(tc, decode_refuses_damage);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entries_load_oldest_first);
	tcase_add_test(tc, written_ahead_then_kept);
	tcase_add_test(tc, bound_drops_oldest);
	tcase_add_test(tc, lock_keeps_a_second_run_out);
	tcase_add_test(tc, unreadable_entries_are_dropped);
	suite_add_tcase(s, tc);
	return s;
}
