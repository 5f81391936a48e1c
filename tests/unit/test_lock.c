/* Unit tests of the local lock: contention, waiting, symlinks, holder record, signals, and
 * files and directories another user could hold or swap. */
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

/* The keeper holds a copy of the lock's descriptor while the command runs and may not have
 * closed it when cronguard releases the lock: the release frees the lock all the same. Its
 * holder line stays, and is written over by the next holder. */
START_TEST(release_frees_a_lock_a_copy_still_holds)
{
	char holder[256];
	int fd = -1, fd2 = -1, copy, st;
	pid_t child;

	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	copy = dup(fd);
	ck_assert_int_ge(copy, 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		/* A keeper that has not yet heard that the job is over. */
		pause();
		_exit(0);
	}
	close(copy);
	lock_release(fd);
	ck_assert_int_eq(acquire(0, &fd2, holder), LOCK_ACQUIRED);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
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

START_TEST(default_path_ignores_the_environment)
{
	char a[4096], b[4096], err[256], xdg[128], home[128];

	snprintf(xdg, sizeof xdg, "%s/xdg", dir);
	snprintf(home, sizeof home, "%s/home", dir);
	ck_assert_int_eq(mkdir(xdg, 0700), 0);
	ck_assert_int_eq(mkdir(home, 0700), 0);
	/* A login shell... */
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	setenv("HOME", home, 1);
	ck_assert_int_eq(lock_default_path("job", 0, a, sizeof a, err, sizeof err), 0);
	/* ... and cron, which sets neither. */
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("HOME");
	ck_assert_int_eq(lock_default_path("job", 0, b, sizeof b, err, sizeof err), 0);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_null(strstr(a, xdg));
	ck_assert_ptr_null(strstr(a, home));
	if (geteuid() == 0)
		ck_assert_str_eq(a, "/run/cronguard/job.lock");
	else
		ck_assert_ptr_nonnull(strstr(a, "/job.lock"));
}
END_TEST

START_TEST(created_0600)
{
	char holder[256];
	struct stat st;
	int fd = -1;

	umask(0);
	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	umask(022);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	lock_release(fd);
}
END_TEST

/* Refuses a lock file others could have opened, and says what to remove. */
static void refused(const char *why)
{
	char holder[256], err[512], rm[200];
	int fd = -1, sig = 0;

	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(err, why) != NULL, "%s", err);
	snprintf(rm, sizeof rm, "rm %s)", path);
	ck_assert_msg(strstr(err, rm) != NULL, "%s", err);
}

START_TEST(open_to_others_refused)
{
	char holder[256];
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
	chmod(path, 0644);
	refused("can be opened by other users (mode 0644)");
	chmod(path, 0640);
	refused("mode 0640");
	chmod(path, 0600);
	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	lock_release(fd);
}
END_TEST

START_TEST(hard_link_refused)
{
	char other[160];
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(other, sizeof other, "%s/other", dir);
	ck_assert_int_eq(link(path, other), 0);
	refused("has 2 links");
}
END_TEST

START_TEST(another_users_file_refused)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	close(fd);
	if (geteuid() != 0)
		return; /* only root can give a file away */
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	refused("owned by uid 65534");
}
END_TEST

START_TEST(directory_others_can_write)
{
	char holder[256], err[512];
	int fd = -1, sig = 0;

	chmod(dir, 0777);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "writable by other users"));
	ck_assert_int_eq(access(path, F_OK), -1);
	/* Sticky, as /tmp and /run/lock: others cannot swap our file, so it is fine. */
	chmod(dir, 01777);
	ck_assert_int_eq(acquire(0, &fd, holder), LOCK_ACQUIRED);
	lock_release(fd);
	chmod(dir, 0700);
}
END_TEST

/* A symlink in the directory part is followed only when nobody else can have made it or
 * can flip it: ours or root's, in a directory no other user can write (as /var/lock). */
START_TEST(symlinks_in_the_directory_part)
{
	char real[80], link[80], err[512], holder[256], file[100];
	int fd = -1, sig = 0;

	snprintf(real, sizeof real, "%s/real", dir);
	snprintf(link, sizeof link, "%s/link", dir);
	ck_assert_int_eq(mkdir(real, 0755), 0);
	ck_assert_int_eq(symlink("real", link), 0);
	snprintf(path, sizeof path, "%s/job.lock", link);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), LOCK_ACQUIRED);
	lock_release(fd);
	snprintf(file, sizeof file, "%s/job.lock", real);
	ck_assert_int_eq(access(file, F_OK), 0);
	/* The same symlink where others can write (sticky or not): refused, nothing made. */
	unlink(file);
	chmod(dir, 01777);
	ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder, err,
				      sizeof err), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_msg(strstr(err, "is a symlink in a directory other users can write"), "%s", err);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_int_eq(access(file, F_OK), -1);
	chmod(dir, 0700);
	/* Another user's symlink. */
	if (geteuid() == 0) {
		ck_assert_int_eq(lchown(link, 65534, 65534), 0);
		ck_assert_int_eq(lock_acquire(path, 0, &stop, "h", &fd, &sig, holder, sizeof holder,
					      err, sizeof err), -1);
		ck_assert_msg(strstr(err, "is a symlink of another user"), "%s", err);
	}
	/* A relative path would differ between cron and a login shell. */
	ck_assert_int_eq(lock_acquire("job.lock", 0, &stop, "h", &fd, &sig, holder, sizeof holder,
				      err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an absolute path"));
}
END_TEST

Suite *lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("flock");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, acquire_busy_release);
	tcase_add_test(tc, release_frees_a_lock_a_copy_still_holds);
	tcase_add_test(tc, wait_then_acquire);
	tcase_add_test(tc, wait_times_out);
	tcase_add_test(tc, signal_ends_the_wait);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, fifo_refused);
	tcase_add_test(tc, missing_directory_is_an_error);
	tcase_add_test(tc, default_path_ignores_the_environment);
	tcase_add_test(tc, created_0600);
	tcase_add_test(tc, open_to_others_refused);
	tcase_add_test(tc, hard_link_refused);
	tcase_add_test(tc, another_users_file_refused);
	tcase_add_test(tc, directory_others_can_write);
	tcase_add_test(tc, symlinks_in_the_directory_part);
	suite_add_tcase(s, tc);
	return s;
}
