/* Unit tests of the preflight: missing, empty and FIFO files, the state dir, spool targets. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "preflight.h"
#include "suites.h"

static char dir[64], state[128], good[128], empty[128], fifo[128];
static struct options o;
static char err[1024];

static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void setup(void)
{
	strcpy(dir, "/tmp/cg-preflight-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(good, sizeof good, "%s/good", dir);
	snprintf(empty, sizeof empty, "%s/empty", dir);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	put_file(good, "s3cret\n", 0600);
	put_file(empty, "", 0600);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	memset(&o, 0, sizeof o);
	o.name = "job";
	o.state_dir = state;
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(nothing_to_check)
{
	struct stat st;

	/* A dry run makes nothing. */
	o.dry_run = 1;
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	ck_assert_int_eq(access(state, F_OK), -1);
	/* A run makes the state dir, through the walk that checks every directory above it,
	 * before the splay: nobody can make it first while the run sleeps. */
	o.dry_run = 0;
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	ck_assert_int_eq(stat(state, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, geteuid() == 0 ? 0755 : 0700);
}
END_TEST

/* Every file option, each given a missing file, an empty one and a FIFO in turn. */
static const struct {
	const char *option;
	size_t offset;
	int secret;
} files[] = {
	{ "--influx-token-file", offsetof(struct options, influx_token_file), 1 },
	{ "--influx-password-file", offsetof(struct options, influx_password_file), 1 },
	{ "--etcd-password-file", offsetof(struct options, etcd_password_file), 1 },
	{ "--ca-file", offsetof(struct options, ca_file), 0 },
	{ "--client-cert", offsetof(struct options, client_cert), 0 },
	{ "--client-key", offsetof(struct options, client_key), 0 },
	{ "--etcd-ca-file", offsetof(struct options, etcd_ca_file), 0 },
	{ "--etcd-cert", offsetof(struct options, etcd_cert), 0 },
	{ "--etcd-key", offsetof(struct options, etcd_key), 0 },
};

static void set_file(size_t i, char *path)
{
	*(char **)((char *)&o + files[i].offset) = path;
}

START_TEST(each_file_option)
{
	char missing[] = "/nonexistent/cronguard-test";

	set_file((size_t)_i, good);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	set_file((size_t)_i, missing);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, files[_i].option));
	ck_assert_ptr_nonnull(strstr(err, missing));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	/* A FIFO must neither hang the check nor pass it. */
	set_file((size_t)_i, fifo);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	set_file((size_t)_i, dir);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), -1);
	/* An empty secret is found now, not after the splay; an empty CA file is curl's to judge. */
	set_file((size_t)_i, empty);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), files[_i].secret ? -1 : 0);
	if (files[_i].secret)
		ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

START_TEST(world_readable_secret_is_a_warning)
{
	chmod(good, 0644);
	o.influx_token_file = good;
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
}
END_TEST

START_TEST(unsafe_state_dir_is_refused_not_fatal)
{
	char spool[160];

	ck_assert_int_eq(mkdir(state, 0700), 0);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	chmod(state, 0777);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 1);
	/* Sticky: others could still plant the files a run reads and writes. */
	chmod(state, 01777);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 1);
	chmod(state, 0700);
	/* An unsafe spool is said, but the state itself is kept. */
	snprintf(spool, sizeof spool, "%s/spool", state);
	ck_assert_int_eq(mkdir(spool, 0700), 0);
	chmod(spool, 0777);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	rmdir(spool);
	ck_assert_int_eq(symlink(dir, spool), 0);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 0);
	unlink(spool);
	rmdir(state);
	ck_assert_int_eq(symlink(dir, state), 0);
	ck_assert_int_eq(preflight_check(&o, err, sizeof err), 1);
}
END_TEST

Suite *preflight_suite(void)
{
	Suite *s = suite_create("preflight");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, nothing_to_check);
	tcase_add_loop_test(tc, each_file_option, 0, sizeof files / sizeof *files);
	tcase_add_test(tc, world_readable_secret_is_a_warning);
	tcase_add_test(tc, unsafe_state_dir_is_refused_not_fatal);
	suite_add_tcase(s, tc);
	return s;
}
