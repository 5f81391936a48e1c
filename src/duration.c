/* Durations as the contract writes them: "90", "90s", "1h30m", "1d", "250ms". */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duration.h"

struct unit {
	const char *name;
	uint64_t ms;
};

/* Decreasing order: "1h30m" is accepted, "30m1h" and "1h1h" are not, so typos don't add up. */
static const struct unit units[] = {
	{ "d", 86400000ULL }, { "h", 3600000ULL }, { "m", 60000ULL },
	{ "s", 1000ULL }, { "ms", 1ULL },
};
#define NUNITS (sizeof units / sizeof units[0])

static int unit_match(const char *p, size_t *len)
{
	/* "ms" must win over "m": try the longest names first. */
	if (p[0] == 'm' && p[1] == 's') {
		*len = 2;
		return 4;
	}
	for (size_t i = 0; i < NUNITS; i++) {
		size_t n = strlen(units[i].name);
		if (n == 1 && p[0] == units[i].name[0]) {
			*len = 1;
			return (int)i;
		}
	}
	return -1;
}

int duration_parse(const char *text, uint64_t *ms)
{
	const char *p = text;
	uint64_t total = 0;
	int last = -1;

	if (!text || !*text) {
		errno = EINVAL;
		return -1;
	}
	while (*p) {
		uint64_t n = 0;
		const char *digits = p;
		size_t ulen;
		int u;

		while (*p >= '0' && *p <= '9') {
			/* Saturate instead of wrapping, so any huge number reads as out of range. */
			if (n > DURATION_MAX_MS)
				n = DURATION_MAX_MS + 1;
			else
				n = n * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (p == digits) {
			errno = EINVAL;
			return -1;
		}
		if (*p == '\0' && last < 0) {
			/* A bare number is seconds, as sleep(1) and timeout(1) read it. */
			u = 3;
			ulen = 0;
		} else {
			u = unit_match(p, &ulen);
			if (u < 0 || u <= last) {
				errno = EINVAL;
				return -1;
			}
		}
		if (n > DURATION_MAX_MS || n * units[u].ms > DURATION_MAX_MS - total) {
			errno = ERANGE;
			return -1;
		}
		total += n * units[u].ms;
		last = u;
		p += ulen;
	}
	*ms = total;
	return 0;
}

const char *duration_format(uint64_t ms, char *buf, unsigned len)
{
	size_t off = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (ms == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	for (size_t i = 0; i < NUNITS && off < len; i++) {
		uint64_t n = ms / units[i].ms;
		if (n == 0)
			continue;
		ms -= n * units[i].ms;
		int w = snprintf(buf + off, len - off, "%llu%s", (unsigned long long)n, units[i].name);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
