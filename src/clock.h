/* The clock: monotonic and real time, and the one wait that a signal can end. */
#ifndef CRONGUARD_CLOCK_H
#define CRONGUARD_CLOCK_H

#include <signal.h>
#include <stdint.h>

/* clock_mono_us is CLOCK_MONOTONIC in microseconds: for deadlines and durations, immune to
 * clock steps. clock_real_us is CLOCK_REALTIME in microseconds since the epoch: for the
 * times a record or a lock file tells. */
int64_t clock_mono_us(void);
int64_t clock_real_us(void);

/* clock_wait_until waits until clock_mono_us() reaches DEADLINE_US, or until a signal of
 * STOP (which the caller keeps blocked) is pending, and takes it. STOP NULL or empty: a
 * plain sleep to the deadline. The one EINTR rule: a handled signal outside STOP interrupts
 * the wait, which then goes on to the same deadline, never longer and never shorter.
 * Returns the signal taken (> 0), or 0 once the deadline has passed (at once when it has
 * already). */
int clock_wait_until(const sigset_t *stop, int64_t deadline_us);

#endif
