/* Unit tests of the spool: its file format byte for byte, names, order, ownership, refusals, dead letters, bound. */
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

/* Adds E to the spool in DIR as another run would, and lets it go. */
static void add_released(struct spool_entry e)
{
	struct spool sp;
	char err[256];

	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_int_eq(spool_add(&sp, &e, 1, err, sizeof err), 0);
	spool_release(&e);
	spool_close(&sp, 100);
}

START_TEST(names_parse)
{
	static const struct {
		const char *name, *job, *sink;
		unsigned refusals;
	} good[] = {
		{ "00000000000000000999-backup-a.webhook", "backup", "webhook", 0 },
		{ "00001700000000000003-db-dump-x.influx.3", "db-dump", "influx", 3 },
		{ "00001700000000000003-my-job-0f8fad5b-d9cb-469f-a165-70867728950e.webhook", "my-job", "webhook", 0 },
	};
	static const char *const bad[] = {
		"dead", ".00000000000000000999-backup-a.webhook.123", "00000000000000000999-backup-a.ping",
		"0000000000000000099x-backup-a.webhook", "00000000000000000999-backup.webhook",
		"00000000000000000999--a.webhook", "00000000000000000999-backup-a.webhook.0",
	};
	char job[65], sink[16];
	unsigned n;

	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		ck_assert_msg(spool_name_parse(good[i].name, job, sink, &n) == 0, "%s", good[i].name);
		ck_assert_str_eq(job, good[i].job);
		ck_assert_str_eq(sink, good[i].sink);
		ck_assert_uint_eq(n, good[i].refusals);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(spool_name_parse(bad[i], job, sink, &n) == -1, "%s parsed", bad[i]);
}
END_TEST

START_TEST(written_ahead_then_kept)
{
	struct spool sp, other;
	char err[256];
	struct spool_entry e = entry("webhook", 1700000000000000, "w", "{}"), got;
	int dead;

	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_int_eq(sp.fd, -1);   /* no spool yet: nothing created until needed */
	ck_assert_int_eq(spool_add(&sp, &e, 0, err, sizeof err), 0);
	ck_assert_int_ge(e.fd, 0);
	/* Written ahead, it is this run's from the start: another run passes it over. */
	ck_assert_int_eq(spool_open(&other, dir), 0);
	ck_assert_uint_eq(other.n, 1);
	ck_assert_int_eq(spool_claim(&other, 0, &got), 1);
	ck_assert_int_eq(spool_defer(&sp, &e, 0, &dead), 0);
	ck_assert_int_eq(dead, 0);
	ck_assert_int_eq(e.fd, -1);
	/* Released, the next claim gets it whole. */
	ck_assert_int_eq(spool_claim(&other, 0, &got), 0);
	ck_assert_str_eq(got.run_id, "w");
	ck_assert_uint_eq(got.refusals, 0);
	spool_release(&got);
	spool_entry_free(&got);
	spool_close(&other, 100);
	spool_close(&sp, 100);
}
END_TEST

START_TEST(entries_list_oldest_first)
{
	struct spool sp;
	char path[128];
	int64_t starts[] = { 1700000000000003, 999, 1700000000000001, 1800000000000000 };
	const char *ids[] = { "c", "a", "b", "d" };
	struct spool_entry e;

	for (size_t i = 0; i < 4; i++)
		add_released(entry(i % 2 ? "webhook" : "influx", starts[i], ids[i], "{}"));
	snprintf(path, sizeof path, "%s/spool", dir);
	{
		struct stat st;
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 0777, 0700);
	}
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 4);
	ck_assert_str_eq(sp.names[0], "00000000000000000999-backup-a.webhook");
	ck_assert_str_eq(sp.names[2], "00001700000000000003-backup-c.influx");
	ck_assert_int_eq(spool_claim(&sp, 3, &e), 0);
	ck_assert_str_eq(e.run_id, "d");
	ck_assert_str_eq(e.auth, "none");
	spool_entry_free(&e);
	ck_assert_int_eq(spool_claim(&sp, 1, &e), 0);
	ck_assert_str_eq(e.run_id, "b");
	ck_assert_int_eq(spool_done(&sp, &e), 0);
	spool_entry_free(&e);
	/* A claimed entry that another run removed meanwhile is gone, not sent twice. */
	ck_assert_int_eq(spool_claim(&sp, 1, &e), 1);
	spool_close(&sp, 100);
	ck_assert_uint_eq(count_files(path), 3);
}
END_TEST

START_TEST(refusals_counted_then_dead_letter)
{
	struct spool sp;
	struct spool_entry e;
	size_t depth, deadn;
	int dead = 0;

	add_released(entry("webhook", 1000, "r", "{}"));
	for (unsigned i = 1; i <= SPOOL_MAX_REFUSALS; i++) {
		ck_assert_int_eq(spool_open(&sp, dir), 0);
		ck_assert_uint_eq(sp.n, 1);
		ck_assert_int_eq(spool_claim(&sp, 0, &e), 0);
		ck_assert_uint_eq(e.refusals, i - 1);
		ck_assert_int_eq(spool_defer(&sp, &e, 1, &dead), 0);
		ck_assert_int_eq(dead, i == SPOOL_MAX_REFUSALS);
		spool_entry_free(&e);
		spool_close(&sp, 100);
		ck_assert_int_eq(spool_stats(dir, "backup", &depth, &deadn), 0);
		ck_assert_uint_eq(depth, i < SPOOL_MAX_REFUSALS);
		ck_assert_uint_eq(deadn, i == SPOOL_MAX_REFUSALS);
	}
	/* Kept, not counted: a run that got no answer leaves the count as it was. */
	ck_assert_int_eq(spool_stats(dir, "other", &depth, &deadn), 0);
	ck_assert_uint_eq(depth + deadn, 0);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 0);
	spool_close(&sp, 100);
}
END_TEST

START_TEST(bound_drops_oldest)
{
	struct spool sp;
	struct spool_entry e;

	for (int i = 0; i < 5; i++) {
		char id[8];

		snprintf(id, sizeof id, "r%d", i);
		add_released(entry("webhook", 1000 + i, id, "{}"));
	}
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	spool_close(&sp, 2);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 2);
	ck_assert_int_eq(spool_claim(&sp, 0, &e), 0);
	ck_assert_str_eq(e.run_id, "r3");
	spool_release(&e);
	spool_entry_free(&e);
	spool_close(&sp, 0);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 0);
	spool_close(&sp, 0);
}
END_TEST

START_TEST(unreadable_entries_set_aside)
{
	struct spool sp;
	struct spool_entry e;
	char path[160];
	FILE *f;

	snprintf(path, sizeof path, "%s/spool", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/spool/00000000000000000001-j-r.webhook", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("garbage", f);
	fclose(f);
	/* A directory named like an entry: once set aside, never logged again. */
	snprintf(path, sizeof path, "%s/spool/00000000000000000002-j-s.webhook", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/spool/.00000000000000000003-j-r.webhook.123", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("half-written temporary", f);
	fclose(f);
	/* The directory is set aside from the listing alone; the damaged file when read. */
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 1);
	ck_assert_int_eq(spool_claim(&sp, 0, &e), -1);
	spool_close(&sp, 10);
	ck_assert_int_eq(spool_open(&sp, dir), 0);
	ck_assert_uint_eq(sp.n, 0);
	spool_close(&sp, 10);
	snprintf(path, sizeof path, "%s/spool/dead/00000000000000000002-j-s.webhook", dir);
	{
		struct stat st;
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert(S_ISDIR(st.st_mode));
	}
}
END_TEST

Suite *spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, encode_exact_and_round_trip);
	tcase_add_test(tc, decode_refuses_damage);
	tcase_add_test(tc, names_parse);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, entries_list_oldest_first);
	tcase_add_test(tc, written_ahead_then_kept);
	tcase_add_test(tc, refusals_counted_then_dead_letter);
	tcase_add_test(tc, bound_drops_oldest);
	tcase_add_test(tc, unreadable_entries_set_aside);
	suite_add_tcase(s, tc);
	return s;
}
