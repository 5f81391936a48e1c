/* The clock: monotonic and real time, and the one wait that a signal can end. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <time.h>

#include "clock.h"

static int64_t now_us(clockid_t clk)
{
	struct timespec ts;

	/* Cannot fail for these two clocks with a valid pointer. */
	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_us(void)
{
	return now_us(CLOCK_MONOTONIC);
}

int64_t clock_real_us(void)
{
	return now_us(CLOCK_REALTIME);
}

int clock_wait_until(const sigset_t *stop, int64_t deadline_us)
{
	sigset_t none;
	int64_t left;

	if (!stop) {
		sigemptyset(&none);
		stop = &none;
	}
	/* The time left is measured again after every wake-up: a stray handled signal (EINTR)
	 * must neither end the wait early nor restart it from the full length. */
	while ((left = deadline_us - clock_mono_us()) > 0) {
		struct timespec ts = { (time_t)(left / 1000000), (long)(left % 1000000) * 1000 };
		int sig = sigtimedwait(stop, NULL, &ts);

		if (sig > 0)
			return sig;
		/* EAGAIN: the time ran out (the loop's test confirms it); EINTR: go on. */
	}
	/* A stop signal that came with the deadline still counts: it was sent before we gave up. */
	if (sigisemptyset(stop) == 0) {
		struct timespec zero = { 0, 0 };
		int sig = sigtimedwait(stop, NULL, &zero);

		if (sig > 0)
			return sig;
	}
	return 0;
}
