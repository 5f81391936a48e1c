/* Unit tests of running a command: status, exec errors, timeout, output modes, watches. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeper.h"
#include "run.h"
#include "suites.h"

static sigset_t forward, blocked;

static void setup(void)
{
	sigemptyset(&forward);
	sigaddset(&forward, SIGTERM);
	sigaddset(&forward, SIGUSR1);
	blocked = forward;
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
}

static int run_argv(char **argv, uint64_t timeout_ms, enum run_output out, struct run_result *res)
{
	struct run_spec spec = { .argv = argv, .timeout_ms = timeout_ms, .kill_after_ms = 1000,
				 .output = out, .forward = &forward, .blocked = &blocked };

	return run_command(&spec, res);
}

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

START_TEST(exit_status_passes)
{
	struct run_result r;

	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "exit 42"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert(WIFEXITED(r.status));
	ck_assert_int_eq(WEXITSTATUS(r.status), 42);
	ck_assert_int_eq(r.exec_errno, 0);
	run_result_free(&r);
}
END_TEST

START_TEST(killed_by_signal)
{
	struct run_result r;

	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "kill -9 $$"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert(WIFSIGNALED(r.status));
	ck_assert_int_eq(WTERMSIG(r.status), SIGKILL);
	run_result_free(&r);
}
END_TEST

START_TEST(exec_errors)
{
	struct run_result r;

	ck_assert_int_eq(run_argv(ARGV("/nonexistent/cmd"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert_int_eq(r.exec_errno, ENOENT);
	run_result_free(&r);
	ck_assert_int_eq(run_argv(ARGV("no-such-command-anywhere"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert_int_eq(r.exec_errno, ENOENT);
	run_result_free(&r);
	ck_assert_int_eq(run_argv(ARGV("/etc/passwd"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert_int_eq(r.exec_errno, EACCES);
	run_result_free(&r);
	ck_assert_int_eq(run_argv(ARGV("/tmp"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert_int_eq(r.exec_errno, EACCES);
	run_result_free(&r);
}
END_TEST

START_TEST(timeout_terms_the_group)
{
	struct run_result r;
	struct timespec a, b;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	/* The grandchild sleep must die too: the whole group gets the TERM. */
	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "sleep 30 & wait"), 200, RUN_OUTPUT_PASS, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert_int_ge(ms, 190);
	ck_assert_int_lt(ms, 2000);
	run_result_free(&r);
}
END_TEST

START_TEST(timeout_kills_a_term_ignorer)
{
	struct run_result r;
	struct timespec a, b;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"), 100,
				  RUN_OUTPUT_PASS, &r), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert(WIFSIGNALED(r.status));
	ck_assert_int_eq(WTERMSIG(r.status), SIGKILL);
	ck_assert_int_ge(ms, 1050); /* 100 ms timeout + 1 s grace */
	ck_assert_int_lt(ms, 3000);
	run_result_free(&r);
}
END_TEST

START_TEST(hold_keeps_output)
{
	struct run_result r;
	char buf[64];
	ssize_t n;

	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "echo out; echo err >&2; exit 3"), 0,
				  RUN_OUTPUT_HOLD, &r), 0);
	ck_assert_int_eq(WEXITSTATUS(r.status), 3);
	n = pread(r.held[0], buf, sizeof buf - 1, 0);
	ck_assert_int_eq(n, 4);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "out\n");
	n = pread(r.held[1], buf, sizeof buf - 1, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "err\n");
	ck_assert_uint_eq(r.output->total, 8);
	run_result_free(&r);
}
END_TEST

START_TEST(tee_keeps_tail_of_long_output)
{
	struct run_result r;
	char text[TAILBUF_HEAD + TAILBUF_TAIL + 200];

	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "seq 1 200000 >/dev/null; seq 1 100000"), 0,
				  RUN_OUTPUT_HOLD, &r), 0);
	ck_assert_uint_gt(r.output->total, 500000);
	tailbuf_render(r.output, text, sizeof text);
	ck_assert(strncmp(text, "1\n2\n3\n", 6) == 0);
	ck_assert_ptr_nonnull(strstr(text, "99999\n100000\n"));
	ck_assert_ptr_nonnull(strstr(text, "bytes elided"));
	run_result_free(&r);
}
END_TEST

static int stop_now(void *ctx, char *reason, size_t len)
{
	int *calls = ctx;

	if (++*calls < 3)
		return 0;
	snprintf(reason, len, "watch said stop");
	return 1;
}

START_TEST(watch_stops_the_command)
{
	int calls = 0;
	struct run_watch w = { .fd = -1, .interval_ms = 50, .check = stop_now, .ctx = &calls };
	struct run_spec spec = { .argv = ARGV("sleep", "30"), .kill_after_ms = 1000,
				 .forward = &forward, .blocked = &blocked, .watches = &w, .nwatches = 1 };
	struct run_result r;

	ck_assert_int_eq(run_command(&spec, &r), 0);
	ck_assert_int_eq(r.stopped, 1);
	ck_assert_str_eq(r.reason, "watch said stop");
	ck_assert(WIFSIGNALED(r.status));
	ck_assert_int_eq(WTERMSIG(r.status), SIGTERM);
	ck_assert_int_eq(calls, 3);
	run_result_free(&r);
}
END_TEST

START_TEST(signal_mask_is_clean)
{
	struct run_result r;
	char buf[512];
	ssize_t n;

	/* The child reads its own mask and ignored set: both must be empty. */
	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status"), 0,
				  RUN_OUTPUT_HOLD, &r), 0);
	n = pread(r.held[0], buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "SigBlk:\t0000000000000000"));
	ck_assert_msg(strstr(buf, "SigIgn:\t0000000000000000") != NULL, "%s", buf);
	run_result_free(&r);
}
END_TEST


START_TEST(env_is_cleaned)
{
	char *env[] = { "PATH=/bin", "CRONGUARD_LOCK_FILE=/x", "CG_JOB=parent", "CG_JOBS=keep",
			"CRONGUARD_=y", "HOME=/root", "CG_RUN_ID=old", NULL };
	char **out = run_env_new(env, "11111111-2222-4333-8444-555555555555", "backup", NULL);
	size_t n = 0;

	ck_assert_ptr_nonnull(out);
	for (; out[n]; n++)
		ck_assert_msg(strncmp(out[n], "CRONGUARD_", 10) != 0, "%s", out[n]);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(out[0], "PATH=/bin");
	ck_assert_str_eq(out[1], "CG_JOBS=keep");
	ck_assert_str_eq(out[2], "HOME=/root");
	ck_assert_str_eq(out[3], "CG_RUN_ID=11111111-2222-4333-8444-555555555555");
	ck_assert_str_eq(out[4], "CG_JOB=backup");
	free(out);
	out = run_env_new(NULL, "r", "j", "42");
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out[2], "CG_FENCING_TOKEN=42");
	ck_assert_ptr_null(out[3]);
	free(out);
}
END_TEST

START_TEST(pending_signal_means_not_started)
{
	struct run_result r;

	/* SIGUSR1 is blocked by the fixture: it stays pending until run_command looks. */
	raise(SIGUSR1);
	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "exit 7"), 0, RUN_OUTPUT_PASS, &r), 0);
	ck_assert_int_eq(r.unstarted_signal, SIGUSR1);
	ck_assert_int_eq(r.status, 0);
	run_result_free(&r);
}
END_TEST

START_TEST(leftovers_are_ended)
{
	struct run_result r;
	char buf[64];
	ssize_t n;
	pid_t left;

	ck_assert_int_eq(run_argv(ARGV("sh", "-c", "sleep 100 & echo $!; exit 0"), 0, RUN_OUTPUT_HOLD,
				  &r), 0);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(r.leftovers, 1);
	n = pread(r.held[0], buf, sizeof buf - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	left = (pid_t)atoi(buf);
	ck_assert_int_gt(left, 0);
	/* Reaped by us as a subreaper: no such process any more. */
	ck_assert_int_eq(kill(left, 0), -1);
	run_result_free(&r);
}
END_TEST

START_TEST(zombies_are_not_alive)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		_exit(0);
	}
	setpgid(pid, pid);
	/* Wait until it is a zombie without reaping it. */
	for (int i = 0; i < 200; i++) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			break;
		usleep(10000);
	}
	ck_assert_int_eq(keeper_group_alive(pid), 0);
	ck_assert_int_eq(keeper_group_alive(getpgrp()), 1);
	waitpid(pid, &st, 0);
}
END_TEST

START_TEST(keeper_kills_the_group)
{
	struct keeper k;
	pid_t pid;
	int st;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setpgid(0, 0);
		execlp("sh", "sh", "-c", "sleep 100 & sleep 100", (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	ck_assert_int_eq(keeper_start(&k, -1, pid), 0);
	/* As if we died: the keeper sees its socket end without "done". */
	close(k.fd);
	waitpid(k.pid, &st, 0);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(keeper_group_alive(pid), 0);
	waitpid(pid, &st, 0);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}
END_TEST

Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *tc = tcase_create("command");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, exit_status_passes);
	tcase_add_test(tc, killed_by_signal);
	tcase_add_test(tc, exec_errors);
	tcase_add_test(tc, timeout_terms_the_group);
	tcase_add_test(tc, timeout_kills_a_term_ignorer);
	tcase_add_test(tc, hold_keeps_output);
	tcase_add_test(tc, tee_keeps_tail_of_long_output);
	tcase_add_test(tc, watch_stops_the_command);
	tcase_add_test(tc, signal_mask_is_clean);
	tcase_add_test(tc, env_is_cleaned);
	tcase_add_test(tc, pending_signal_means_not_started);
	tcase_add_test(tc, leftovers_are_ended);
	tcase_add_test(tc, zombies_are_not_alive);
	tcase_add_test(tc, keeper_kills_the_group);
	suite_add_tcase(s, tc);
	return s;
}
