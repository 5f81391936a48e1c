/* Durations as the contract writes them: "90", "90s", "1h30m", "1d", "250ms". */
#ifndef CRONGUARD_DURATION_H
#define CRONGUARD_DURATION_H

#include <stdint.h>

/* The largest duration accepted: 366 days, far beyond any cron period, far below overflow. */
#define DURATION_MAX_MS (366ULL * 24 * 3600 * 1000)

/* duration_parse reads TEXT into milliseconds. A bare number is seconds; otherwise one or more
 * NUMBER UNIT groups with units ms, s, m, h, d, each unit at most once and in decreasing order.
 * Returns 0, or -1 with errno EINVAL (garbage, empty, bad order) or ERANGE (over DURATION_MAX_MS). */
int duration_parse(const char *text, uint64_t *ms);

/* duration_format writes MS back in the shortest unit form ("1h30m", "250ms", "0"). */
const char *duration_format(uint64_t ms, char *buf, unsigned len);

#endif
