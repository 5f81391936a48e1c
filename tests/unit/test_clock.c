/* Unit tests of the clock and its one signal-aware wait. */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "clock.h"
#include "suites.h"

static sigset_t stop, saved;

static void setup(void)
{
	sigemptyset(&stop);
	sigaddset(&stop, SIGUSR1);
	sigaddset(&stop, SIGTERM);
	/* As cronguard does: the stop signals stay blocked and are only ever taken by the wait. */
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &stop, &saved), 0);
}

static void teardown(void)
{
	struct timespec zero = { 0, 0 };

	while (sigtimedwait(&stop, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

START_TEST(clocks_move_forward)
{
	int64_t a = clock_mono_us(), r = clock_real_us(), b;

	usleep(2000);
	b = clock_mono_us();
	ck_assert_int_ge(b - a, 2000);
	/* The realtime clock reads as an epoch time in microseconds (after 2020). */
	ck_assert_int_gt(r, (int64_t)1577836800 * 1000000);
}
END_TEST

START_TEST(the_deadline_is_honoured)
{
	int64_t t0 = clock_mono_us(), t1;

	ck_assert_int_eq(clock_wait_until(&stop, t0 + 150000), 0);
	t1 = clock_mono_us();
	ck_assert_int_ge(t1 - t0, 150000);
	ck_assert_int_lt(t1 - t0, 1000000);
	/* Past deadlines return at once, with or without a stop set. */
	t0 = clock_mono_us();
	ck_assert_int_eq(clock_wait_until(&stop, t0 - 1000), 0);
	ck_assert_int_eq(clock_wait_until(NULL, t0 - 1000), 0);
	ck_assert_int_lt(clock_mono_us() - t0, 50000);
	/* No stop set: a plain sleep to the deadline. */
	t0 = clock_mono_us();
	ck_assert_int_eq(clock_wait_until(NULL, t0 + 50000), 0);
	ck_assert_int_ge(clock_mono_us() - t0, 50000);
}
END_TEST

START_TEST(a_pending_stop_signal_is_returned)
{
	int64_t t0 = clock_mono_us();

	/* Sent before the wait began (as during an earlier step): taken at once, not lost. */
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(clock_wait_until(&stop, t0 + 5000000), SIGTERM);
	ck_assert_int_lt(clock_mono_us() - t0, 1000000);
	/* Taken: the next wait runs to its deadline. */
	ck_assert_int_eq(clock_wait_until(&stop, clock_mono_us() + 20000), 0);
	/* Pending when the deadline has already passed: still reported. */
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(clock_wait_until(&stop, clock_mono_us() - 1), SIGUSR1);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

START_TEST(a_stray_handled_signal_continues_the_same_deadline)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 40000 }, { 0, 40000 } };
	int64_t t0, t1;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	/* SIGALRM every 40 ms, handled and outside the stop set: sigtimedwait fails with
	 * EINTR each time, and the wait must neither end nor start over. */
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	t0 = clock_mono_us();
	ck_assert_int_eq(clock_wait_until(&stop, t0 + 300000), 0);
	t1 = clock_mono_us();
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_ge(alarms, 3);
	ck_assert_int_ge(t1 - t0, 300000);
	/* Restarting the full length after each EINTR would never end at all; allow load. */
	ck_assert_int_lt(t1 - t0, 1500000);
	/* A stop signal still ends a wait that strays interrupt. */
	alarms = 0;
	it = (struct itimerval){ { 0, 20000 }, { 0, 20000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(raise(SIGUSR1), 0);
	ck_assert_int_eq(clock_wait_until(&stop, clock_mono_us() + 5000000), SIGUSR1);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}
END_TEST

Suite *clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("wait");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, clocks_move_forward);
	tcase_add_test(tc, the_deadline_is_honoured);
	tcase_add_test(tc, a_pending_stop_signal_is_returned);
	tcase_add_test(tc, a_stray_handled_signal_continues_the_same_deadline);
	suite_add_tcase(s, tc);
	return s;
}
