/* The crontab schedule: five time fields or an @special, expanded over a calendar window. */
#ifndef CRONGUARD_CRONSCHED_H
#define CRONGUARD_CRONSCHED_H

#include <stddef.h>
#include <stdint.h>

/* The window schedules are expanded in: 2024-01-01 (a Monday, in a leap year) and the 730 days
 * after it, so that every month length, a 29 February, a year's wrap and every weekday of
 * every day of the month are seen. */
enum { CRONSCHED_DAYS = 731, CRONSCHED_DAY_WORDS = (CRONSCHED_DAYS + 63) / 64,
       CRONSCHED_MINUTES = 1440, CRONSCHED_MINUTE_WORDS = (CRONSCHED_MINUTES + 63) / 64 };

#define CRONSCHED_NO_PERIOD UINT64_MAX

/* The five time fields, expanded as cron does. */
struct cronsched {
	uint64_t minute;          /* bit m: minute m */
	uint32_t hour;
	uint32_t dom;             /* bits 1-31 */
	uint16_t month;           /* bits 1-12 */
	uint8_t dow;              /* bits 0-6, Sunday 0 (7 folds into 0) */
	uint8_t dom_star;         /* the field starts with '*': cron then ANDs the two day fields */
	uint8_t dow_star;
	uint8_t reboot;           /* @reboot: never on the calendar */
};

/* When a schedule fires within the window: the days, and the minutes of each such day. */
struct cronsched_times {
	uint64_t days[CRONSCHED_DAY_WORDS];
	uint64_t minutes[CRONSCHED_MINUTE_WORDS];
};

/* cronsched_parse reads the five fields F[i] of N[i] bytes into S. Returns -1 when they are
 * valid, else the index of the first field cron would reject, with its name in *WHAT
 * ("minute", "hour", "day-of-month", "month", "day-of-week"). Pure. */
int cronsched_parse(const char *const f[5], const size_t n[5], struct cronsched *s, const char **what);

/* cronsched_special reads an @word of N bytes (@daily, @reboot, ...). Returns 0 or -1. */
int cronsched_special(const char *w, size_t n, struct cronsched *s);

/* cronsched_same tells whether A and B fire at the same times. */
int cronsched_same(const struct cronsched *a, const struct cronsched *b);

/* cronsched_expand fills T with the times S fires within the window (none for @reboot). */
void cronsched_expand(const struct cronsched *s, struct cronsched_times *t);

/* cronsched_period_ms is the shortest time between two firings in T, or CRONSCHED_NO_PERIOD. */
uint64_t cronsched_period_ms(const struct cronsched_times *t);

/* cronsched_command makes cron's own pass over a command: "\%" becomes "%", and the first other
 * "%" ends the command (the rest is its standard input). Writes the command to OUT (room for
 * strlen(CMD) + 1); returns whether such a "%" was found. */
int cronsched_command(const char *cmd, char *out);

#endif
