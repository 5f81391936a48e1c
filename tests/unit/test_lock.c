/* Unit tests of the local lock: contention, waiting, symlinks, holder record, signals. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "suites.h"

static char dir[64];
static char path[128];
static sigset_t stop;

static void setup(void)
{
	strcpy(dir, "/tmp/cg-lock-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/job.lock", dir);
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR1);
	sigprocmask(SIG_BLOCK, &stop, NULL);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int acquire(uint64_t wait_ms, int *fd, char *holder)
{
	char err[256];
	int sig = 0;

	return lock_acquire(path, wait_ms, &stop, "testhost", fd, &sig, holder, 256, err, sizeof err);
}

START_TEST(acquire_busy_release)
{
	char holder[256];
	int fd = -1, fd2 = -1;

	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* flock locks belong to the open file: a second open in this process conflicts too. */
	ck_assert_int_eq(acquire(0, &fd2, holder), LOCK_BUSY);
	ck_assert_ptr_nonnull(strstr(holder, "host=testhost"));
	ck_assert_ptr_nonnull(strstr(holder, "pid="));
	lock_release(fd);
	ck_assert_int_eq(acquire(0, &fd2, holder), LOCK_ACQUIRED);
	lock_release(fd2);
}
END_TEST

START_TEST(wait_then_acquire)
{
	char holder[256];
	struct timespec a, b;
	int fd = -1, fd2 = -1;
	pid_t pid;

	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(0);
	}
	/* The child inherits the open file (fork, not exec): release ours, the child's copy
	 * holds the lock until it exits after 200 ms. */
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(acquire(5000, &fd2, holder), LOCK_ACQUIRED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	waitpid(pid, NULL, 0);
	ck_assert_int_ge((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000, 150);
	lock_release(fd2);
}
END_TEST

START_TEST(wait_times_out)
{
	char holder[256];
	struct timespec a, b;
	int fd = -1, fd2 = -1;
	long ms;

	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(acquire(300, &fd2, holder), LOCK_BUSY);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 290);
	ck_assert_int_lt(ms, 1500);
	lock_release(fd);
}
END_TEST

START_TEST(signal_ends_the_wait)
{
	char holder[256], err[256];
	int fd = -1, fd2 = -1, sig = 0;
	pid_t pid;

	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	pid = fork();
	if (pid == 0) {
		usleep(100000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	ck_assert_int_eq(lock_acquire(path, 10000, &stop, "h", &fd2, &sig, holder, sizeof holder, err,
				      sizeof err), LOCK_INTERRUPTED);
	ck_assert_int_eq(sig, SIGUSR1);
	waitpid(pid, NULL, 0);
	lock_release(fd);
}
END_TEST

START_TEST(symlink_refused)
{
	char holder[256], err[256], target[160];
	int fd = -1, sig = 0;

	snprintf(target, sizeof target, "%s/target", dir);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_int_eq(errno, ELOOP);
	ck_assert_ptr_nonnull(strstr(err, "symlink"));
	ck_assert_int_eq(access(target, F_OK), -1);
}
END_TEST

START_TEST(fifo_refused)
{
	char holder[256], err[256];
	int fd = -1, sig = 0;

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
}
END_TEST

START_TEST(missing_directory_is_an_error)
{
	char holder[256], err[256];
	int fd = -1, sig = 0;

	snprintf(path, sizeof path, "%s/no/such/dir/job.lock", dir);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

START_TEST(default_path_is_safe)
{
	char buf[4096], err[256], xdg[128], d[160];

	if (geteuid() == 0)
		return; /* root uses /run/lock/cronguard; covered by the system tests */
	snprintf(xdg, sizeof xdg, "%s/xdg", dir);
	ck_assert_int_eq(mkdir(xdg, 0700), 0);
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	ck_assert_int_eq(lock_default_path("job", 1, buf, sizeof buf, err, sizeof err), 0);
	snprintf(d, sizeof d, "%s/cronguard/job.lock", xdg);
	ck_assert_str_eq(buf, d);
	/* A directory others can write is refused. */
	snprintf(d, sizeof d, "%s/cronguard", xdg);
	chmod(d, 0777);
	ck_assert_int_eq(lock_default_path("job", 1, buf, sizeof buf, err, sizeof err), -1);
	unsetenv("XDG_RUNTIME_DIR");
}
END_TEST

Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("flock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, acquire_busy_release);
	tcase_add_test(tc, wait_then_acquire);
	tcase_add_test(tc, wait_times_out);
	tcase_add_test(tc, signal_ends_the_wait);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, fifo_refused);
	tcase_add_test(tc, missing_directory_is_an_error);
	tcase_add_test(tc, default_path_is_safe);
	suite_add_tcase(s, tc);
	return s;
}
