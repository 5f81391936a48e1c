/* Unit tests of the one whole-file reader and the writers' checks. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "suites.h"

static char dir[64];
static int dfd = -1;

static void setup(void)
{
	strcpy(dir, "/tmp/cg-fileio-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dfd, 0);
}

static void teardown(void)
{
	char cmd[128];

	close(dfd);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fileio_write_all(fd, text, strlen(text)), 0);
	close(fd);
}

static void get(const char *name, char *buf, size_t len)
{
	int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, len - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
}

/* Reading a file leaves its access time alone, where the file system would have changed it
 * for a plain read (relatime: an access time older than the last change). */
START_TEST(reads_without_touching_the_access_time)
{
	struct timespec old[2] = { { 1000000000, 0 }, { 0, UTIME_OMIT } };
	struct stat st;
	char buf[16], *text;
	size_t len;
	int fd, touches;

	put("control", "x\n");
	put("ours", "x\n");
	ck_assert_int_eq(utimensat(dfd, "control", old, 0), 0);
	ck_assert_int_eq(utimensat(dfd, "ours", old, 0), 0);
	fd = openat(dfd, "control", O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 2);
	close(fd);
	ck_assert_int_eq(fstatat(dfd, "control", &st, 0), 0);
	touches = st.st_atim.tv_sec != old[0].tv_sec;
	text = fileio_read_at(dfd, "ours", 64, &len, NULL);
	ck_assert_ptr_nonnull(text);
	free(text);
	ck_assert_int_eq(fstatat(dfd, "ours", &st, 0), 0);
	if (touches)
		ck_assert_int_eq(st.st_atim.tv_sec, old[0].tv_sec);
}
END_TEST

START_TEST(reads_a_regular_file_whole)
{
	char path[128], *text;
	struct stat st;
	size_t len = 99;

	put("a", "hello\nworld\n");
	text = fileio_read_at(dfd, "a", 100, &len, &st);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 12);
	ck_assert_str_eq(text, "hello\nworld\n");
	ck_assert(S_ISREG(st.st_mode));
	free(text);
	snprintf(path, sizeof path, "%s/a", dir);
	text = fileio_read_path(path, 12, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 12);
	free(text);
	text = fileio_read_input(path, 12, &len, NULL);
	ck_assert_ptr_nonnull(text);
	free(text);
	/* Empty is a file too. */
	put("e", "");
	text = fileio_read_at(dfd, "e", 100, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

START_TEST(the_size_bound_holds)
{
	size_t len;

	put("a", "0123456789");
	ck_assert_ptr_null(fileio_read_at(dfd, "a", 9, &len, NULL));
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_str_eq(fileio_strerror(EFBIG), "too large");
	free(fileio_read_at(dfd, "a", 10, &len, NULL));
	ck_assert_uint_eq(len, 10);
	ck_assert_ptr_null(fileio_read_at(dfd, "missing", 10, &len, NULL));
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* fileio_read_lines: pieces of whole lines through a small buffer, a long line whole. */
struct pieces {
	size_t n, bytes, stop_after;
	int partial;          /* a piece that did not end in a newline, other than the last */
	char last_end;
};

static int piece(void *ctx, const char *p, size_t n)
{
	struct pieces *c = ctx;

	if (c->n && c->last_end != '\n')
		c->partial = 1;
	c->n++;
	c->bytes += n;
	c->last_end = p[n - 1];
	return c->stop_after && c->n == c->stop_after ? 7 : 0;
}

START_TEST(lines_come_in_whole_pieces)
{
	size_t big = 100000;
	char *text = malloc(big + 1);
	struct pieces c = { 0 };
	struct stat st;
	int fd;

	/* Short lines, then one line of 60,000 bytes (more than the buffer), then a last line
	 * without a newline. */
	for (size_t i = 0; i < big; i++)
		text[i] = i % 10 == 9 ? '\n' : 'x';
	memset(text + 20000, 'y', 60000);
	memcpy(text + big - 3, "end", 3);
	text[big] = '\0';
	put("l", text);
	fd = fileio_open_at(dfd, "l", big, &st);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(st.st_size, (off_t)big);
	ck_assert_int_eq(fileio_read_lines(fd, big, piece, &c), 0);
	close(fd);
	ck_assert_uint_eq(c.bytes, big);
	ck_assert_int_eq(c.partial, 0);
	ck_assert_uint_gt(c.n, 2);
	ck_assert_int_eq(c.last_end, 'd');
	/* A callback's non-zero value stops the read and is returned. */
	memset(&c, 0, sizeof c);
	c.stop_after = 1;
	fd = fileio_open_at(dfd, "l", big, &st);
	ck_assert_int_eq(fileio_read_lines(fd, big, piece, &c), 7);
	close(fd);
	ck_assert_uint_eq(c.n, 1);
	/* The bound holds while reading too (a file that grew after its fstat). */
	fd = fileio_open_at(dfd, "l", big, &st);
	ck_assert_int_eq(fileio_read_lines(fd, big - 1, piece, &c), -1);
	ck_assert_int_eq(errno, EFBIG);
	close(fd);
	ck_assert_int_eq(fileio_open_at(dfd, "l", big - 1, &st), -1);
	ck_assert_int_eq(errno, EFBIG);
	ck_assert_int_eq(mkfifoat(dfd, "fifo", 0600), 0);
	ck_assert_int_eq(fileio_open_at(dfd, "fifo", big, &st), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(text);
}
END_TEST

/* What another user can plant where cronguard reads: each refused at once, never followed,
 * never waited on. */
START_TEST(fifos_symlinks_and_directories_are_refused)
{
	char path[128];
	size_t len;

	ck_assert_int_eq(mkfifoat(dfd, "fifo", 0666), 0);
	ck_assert_ptr_null(fileio_read_at(dfd, "fifo", 100, &len, NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(fileio_strerror(EINVAL), "not a regular file");
	put("target", "secret");
	ck_assert_int_eq(symlinkat("target", dfd, "link"), 0);
	ck_assert_ptr_null(fileio_read_at(dfd, "link", 100, &len, NULL));
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_int_eq(mkdirat(dfd, "sub", 0700), 0);
	ck_assert_ptr_null(fileio_read_at(dfd, "sub", 100, &len, NULL));
	ck_assert_int_eq(errno, EINVAL);
	snprintf(path, sizeof path, "%s/fifo", dir);
	ck_assert_ptr_null(fileio_read_path(path, 100, &len, NULL));
	ck_assert_ptr_null(fileio_read_input(path, 100, &len, NULL));
	ck_assert_ptr_null(fileio_read_path("/dev/null", 100, &len, NULL));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(dash_is_standard_input)
{
	int p[2];
	size_t len;
	char *text;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "from a pipe\n", 12), 12);
	close(p[1]);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	close(p[0]);
	text = fileio_read_input("-", 100, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "from a pipe\n");
	ck_assert_uint_eq(len, 12);
	free(text);
	/* Bounded too. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "0123456789", 10), 10);
	close(p[1]);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	close(p[0]);
	ck_assert_ptr_null(fileio_read_input("-", 5, &len, NULL));
	ck_assert_int_eq(errno, EFBIG);
}
END_TEST

/* Lint's input handed over as a descriptor (<(crontab -l) is /dev/fd/N, a symlink to a
 * pipe): read as that descriptor. The path reader, for config and secrets, stays strict. */
START_TEST(descriptors_are_input)
{
	char name[32];
	int p[2];
	size_t len;
	char *text;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "0 * * * * true\n", 15), 15);
	close(p[1]);
	snprintf(name, sizeof name, "/dev/fd/%d", p[0]);
	ck_assert_ptr_null(fileio_read_path(name, 100, &len, NULL));
	text = fileio_read_input(name, 100, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "0 * * * * true\n");
	free(text);
	close(p[0]);
	/* /dev/stdin is descriptor 0. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "x\n", 2), 2);
	close(p[1]);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	close(p[0]);
	text = fileio_read_input("/dev/stdin", 100, &len, NULL);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "x\n");
	free(text);
	/* A descriptor that is not open, and names that only look like one. */
	ck_assert_ptr_null(fileio_read_input("/dev/fd/999", 100, &len, NULL));
	ck_assert_int_eq(errno, EBADF);
	ck_assert_ptr_null(fileio_read_input("/dev/fd/0x", 100, &len, NULL));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_null(fileio_read_input("/dev/fd/", 100, &len, NULL));
}
END_TEST

START_TEST(secrets_through_the_reader)
{
	char path[128], err[256], *s;

	put("pw", "hunter2\n");
	snprintf(path, sizeof path, "%s/pw", dir);
	s = fileio_read_secret(path, err, sizeof err);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "hunter2");
	free(s);
	put("two", "a\nb\n");
	snprintf(path, sizeof path, "%s/two", dir);
	ck_assert_ptr_null(fileio_read_secret(path, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "control character"));
	ck_assert_ptr_null(strstr(err, "a\nb"));
	ck_assert_int_eq(mkfifoat(dfd, "fifo", 0666), 0);
	snprintf(path, sizeof path, "%s/fifo", dir);
	ck_assert_ptr_null(fileio_read_secret(path, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(symlinkat("pw", dfd, "link"), 0);
	snprintf(path, sizeof path, "%s/link", dir);
	ck_assert_ptr_null(fileio_read_secret(path, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	put("empty", "\n");
	snprintf(path, sizeof path, "%s/empty", dir);
	ck_assert_ptr_null(fileio_read_secret(path, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "empty"));
}
END_TEST

START_TEST(overwrite_targets_are_checked)
{
	ck_assert_int_eq(fileio_check_target(dfd, "absent"), 0);
	put("plain", "x");
	ck_assert_int_eq(fileio_check_target(dfd, "plain"), 0);
	ck_assert_int_eq(linkat(dfd, "plain", dfd, "hard", 0), 0);
	ck_assert_int_eq(fileio_check_target(dfd, "plain"), -1);
	ck_assert_int_eq(errno, EMLINK);
	ck_assert_int_eq(mkfifoat(dfd, "fifo", 0666), 0);
	ck_assert_int_eq(fileio_check_target(dfd, "fifo"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(symlinkat("plain", dfd, "link"), 0);
	ck_assert_int_eq(fileio_check_target(dfd, "link"), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(swap_refuses_a_planted_spare)
{
	char buf[64];

	put("victim", "precious\n");
	ck_assert_int_eq(linkat(dfd, "victim", dfd, ".s.prev", 0), 0);
	ck_assert_int_eq(fileio_swap(dfd, "s", ".s.prev", "new\n", 4, 0644), -1);
	ck_assert_int_eq(errno, EMLINK);
	get("victim", buf, sizeof buf);
	ck_assert_str_eq(buf, "precious\n");
	ck_assert_int_eq(unlinkat(dfd, ".s.prev", 0), 0);
	/* A FIFO with no reader fails the open; with one, the check. Neither blocks. */
	ck_assert_int_eq(mkfifoat(dfd, ".s.prev", 0666), 0);
	ck_assert_int_eq(fileio_swap(dfd, "s", ".s.prev", "new\n", 4, 0644), -1);
	ck_assert_int_eq(unlinkat(dfd, ".s.prev", 0), 0);
	/* Nothing planted: the swap works. */
	ck_assert_int_eq(fileio_swap(dfd, "s", ".s.prev", "new\n", 4, 0644), 0);
	get("s", buf, sizeof buf);
	ck_assert_str_eq(buf, "new\n");
}
END_TEST

/* The spare is written over in place: a longer old text is cut to the new one's length, a
 * shorter or equal one needs no cut. Each swap leaves the text it wrote under the name. */
START_TEST(swap_leaves_exactly_the_new_text)
{
	static const char *const texts[] = { "a long first text\n", "a longer second text\n",
					     "short\n", "shorts\n", "x\n", "a long first text\n" };
	char buf[64];
	struct stat st;

	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		ck_assert_int_eq(fileio_swap(dfd, "s", ".s.prev", texts[i], strlen(texts[i]), 0644), 0);
		get("s", buf, sizeof buf);
		ck_assert_str_eq(buf, texts[i]);
		ck_assert_int_eq(fstatat(dfd, "s", &st, 0), 0);
		ck_assert_int_eq(st.st_size, (off_t)strlen(texts[i]));
	}
	/* The spare holds the text before the last. */
	get(".s.prev", buf, sizeof buf);
	ck_assert_str_eq(buf, "x\n");
}
END_TEST

START_TEST(replace_never_writes_through_a_planted_temporary)
{
	char tmp[64], buf[64];

	/* The temporary name is predictable (.NAME.PID): whatever sits there is replaced. */
	snprintf(tmp, sizeof tmp, ".r.%ld", (long)getpid());
	put("victim", "precious\n");
	ck_assert_int_eq(linkat(dfd, "victim", dfd, tmp, 0), 0);
	ck_assert_int_eq(fileio_replace(dfd, "r", "new\n", 4, 0644, 0), 0);
	get("victim", buf, sizeof buf);
	ck_assert_str_eq(buf, "precious\n");
	get("r", buf, sizeof buf);
	ck_assert_str_eq(buf, "new\n");
	ck_assert_int_eq(mkfifoat(dfd, tmp, 0666), 0);
	ck_assert_int_eq(fileio_replace(dfd, "r", "newer\n", 6, 0644, 0), 0);
	get("r", buf, sizeof buf);
	ck_assert_str_eq(buf, "newer\n");
	ck_assert_int_eq(faccessat(dfd, tmp, F_OK, AT_SYMLINK_NOFOLLOW), -1);
}
END_TEST

START_TEST(mkdirs_makes_the_parents)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof path, "%s/a/b/c", dir);
	ck_assert_int_eq(fileio_mkdirs(path, 0700), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(fileio_mkdirs(path, 0700), 0);
	ck_assert_int_eq(fileio_mkdirs("", 0700), -1);
}
END_TEST

/* /proc's small files, as the keeper and the peak-memory sampler read them. */
START_TEST(small_proc_files)
{
	char buf[64], path[64];

	ck_assert_int_gt(fileio_read_small(AT_FDCWD, "/proc/self/stat", buf, sizeof buf), 0);
	ck_assert_uint_lt(strlen(buf), sizeof buf);   /* cut to fit, and terminated */
	snprintf(path, sizeof path, "%d (", (int)getpid());
	ck_assert_msg(strncmp(buf, path, strlen(path)) == 0, "%s", buf);
	errno = 0;
	ck_assert_int_eq(fileio_read_small(AT_FDCWD, "/proc/self/no-such-file", buf, sizeof buf), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

Suite *fileio_suite(void)
{
	Suite *s = suite_create("fileio");
	TCase *tc = tcase_create("files");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_without_touching_the_access_time);
	tcase_add_test(tc, reads_a_regular_file_whole);
	tcase_add_test(tc, the_size_bound_holds);
	tcase_add_test(tc, lines_come_in_whole_pieces);
	tcase_add_test(tc, fifos_symlinks_and_directories_are_refused);
	tcase_add_test(tc, dash_is_standard_input);
	tcase_add_test(tc, descriptors_are_input);
	tcase_add_test(tc, secrets_through_the_reader);
	tcase_add_test(tc, overwrite_targets_are_checked);
	tcase_add_test(tc, swap_refuses_a_planted_spare);
	tcase_add_test(tc, swap_leaves_exactly_the_new_text);
	tcase_add_test(tc, replace_never_writes_through_a_planted_temporary);
	tcase_add_test(tc, mkdirs_makes_the_parents);
	tcase_add_test(tc, small_proc_files);
	suite_add_tcase(s, tc);
	return s;
}
