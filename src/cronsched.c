/* The crontab schedule: five time fields or an @special, expanded over a calendar window. */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cronsched.h"

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
					   "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

/* A number or (where NAMES) a three-letter name at *P, as cron reads one. */
static int field_value(const char **p, const char *end, int lo, const char *const *names, int *v)
{
	const char *s = *p;

	if (s < end && isdigit((unsigned char)*s)) {
		int n = 0;

		while (s < end && isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			if (n > 1000)
				return -1;
		}
		*v = n;
		*p = s;
		return 0;
	}
	if (names && end - s >= 3) {
		for (int i = 0; names[i]; i++) {
			if (strncasecmp(s, names[i], 3) == 0) {
				*v = lo + i;
				*p = s + 3;
				return 0;
			}
		}
	}
	return -1;
}

/* One time field: lists of '*', N, N-M, each with an optional /STEP. Returns -1 when cron
 * would reject it. (N/STEP is read as N-MAX/STEP, as cronie does.) */
static int parse_field(const char *f, size_t n, int lo, int hi, const char *const *names,
		       uint64_t *bits, uint8_t *star)
{
	const char *p = f, *end = f + n;

	*bits = 0;
	if (star)
		*star = n > 0 && f[0] == '*';
	for (;;) {
		int a, b, step = 1;

		if (p < end && *p == '*') {
			a = lo;
			b = hi;
			p++;
		} else {
			if (field_value(&p, end, lo, names, &a) < 0)
				return -1;
			b = a;
			if (p < end && *p == '-') {
				p++;
				if (field_value(&p, end, lo, names, &b) < 0)
					return -1;
			} else if (p < end && *p == '/') {
				b = hi;
			}
		}
		if (p < end && *p == '/') {
			p++;
			if (p >= end || !isdigit((unsigned char)*p) || field_value(&p, end, lo, NULL, &step) < 0 ||
			    step < 1)
				return -1;
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (int v = a; v <= b; v += step)
			*bits |= (uint64_t)1 << v;
		if (p == end)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

int cronsched_parse(const char *const f[5], const size_t n[5], struct cronsched *s, const char **what)
{
	static const char *const names[] = { "minute", "hour", "day-of-month", "month", "day-of-week" };
	uint64_t b[5];
	uint8_t dom_star = 0, dow_star = 0;
	int rc[5];

	rc[0] = parse_field(f[0], n[0], 0, 59, NULL, &b[0], NULL);
	rc[1] = parse_field(f[1], n[1], 0, 23, NULL, &b[1], NULL);
	rc[2] = parse_field(f[2], n[2], 1, 31, NULL, &b[2], &dom_star);
	rc[3] = parse_field(f[3], n[3], 1, 12, month_names, &b[3], NULL);
	rc[4] = parse_field(f[4], n[4], 0, 7, dow_names, &b[4], &dow_star);
	for (int i = 0; i < 5; i++) {
		if (rc[i] < 0) {
			*what = names[i];
			return i;
		}
	}
	*s = (struct cronsched){ .minute = b[0], .hour = (uint32_t)b[1], .dom = (uint32_t)b[2],
				 .month = (uint16_t)b[3], .dow = (uint8_t)((b[4] | (b[4] >> 7)) & 0x7f),
				 .dom_star = dom_star, .dow_star = dow_star };
	return -1;
}

int cronsched_special(const char *w, size_t n, struct cronsched *s)
{
	static const struct {
		const char *name;
		const char *fields[5];
	} specials[] = {
		{ "@yearly", { "0", "0", "1", "1", "*" } }, { "@annually", { "0", "0", "1", "1", "*" } },
		{ "@monthly", { "0", "0", "1", "*", "*" } }, { "@weekly", { "0", "0", "*", "*", "0" } },
		{ "@daily", { "0", "0", "*", "*", "*" } }, { "@midnight", { "0", "0", "*", "*", "*" } },
		{ "@hourly", { "0", "*", "*", "*", "*" } },
	};
	static const size_t ones[5] = { 1, 1, 1, 1, 1 };
	const char *what;

	memset(s, 0, sizeof *s);
	if (n == 7 && memcmp(w, "@reboot", 7) == 0) {
		s->reboot = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
		if (strlen(specials[i].name) == n && memcmp(specials[i].name, w, n) == 0)
			return cronsched_parse(specials[i].fields, ones, s, &what) < 0 ? 0 : -1;
	return -1;
}

int cronsched_same(const struct cronsched *a, const struct cronsched *b)
{
	return a->minute == b->minute && a->hour == b->hour && a->dom == b->dom &&
	       a->month == b->month && a->dow == b->dow && a->reboot == b->reboot &&
	       (a->dom_star || a->dow_star) == (b->dom_star || b->dow_star);
}

static int bit(const uint64_t *bits, unsigned i)
{
	return (int)((bits[i / 64] >> (i % 64)) & 1);
}

static void set_bit(uint64_t *bits, unsigned i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

void cronsched_expand(const struct cronsched *s, struct cronsched_times *t)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = 2024, m = 1, d = 1, wd = 1;

	memset(t, 0, sizeof *t);
	if (s->reboot)
		return;
	for (unsigned i = 0; i < CRONSCHED_DAYS; i++) {
		int len = mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
		int dom = (s->dom >> d) & 1, dow = (s->dow >> wd) & 1;

		/* cron's day rule: when either day field starts with '*', both must match; else either. */
		if (((s->month >> m) & 1) && ((s->dom_star || s->dow_star) ? dom && dow : dom || dow))
			set_bit(t->days, i);
		wd = (wd + 1) % 7;
		if (++d > len) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	for (unsigned h = 0; h < 24; h++)
		for (unsigned mi = 0; mi < 60; mi++)
			if (((s->hour >> h) & 1) && ((s->minute >> mi) & 1))
				set_bit(t->minutes, h * 60 + mi);
}

uint64_t cronsched_period_ms(const struct cronsched_times *t)
{
	int first = -1, last = -1, prev = -1, prevday = -1;
	uint64_t best = CRONSCHED_NO_PERIOD;

	for (int m = 0; m < CRONSCHED_MINUTES; m++) {
		if (!bit(t->minutes, (unsigned)m))
			continue;
		if (prev >= 0 && (uint64_t)(m - prev) < best)
			best = (uint64_t)(m - prev);
		if (first < 0)
			first = m;
		last = prev = m;
	}
	if (first < 0)
		return CRONSCHED_NO_PERIOD;
	for (int d = 0; d < CRONSCHED_DAYS; d++) {
		if (!bit(t->days, (unsigned)d))
			continue;
		if (prevday >= 0) {
			uint64_t gap = (uint64_t)(d - prevday) * CRONSCHED_MINUTES + (uint64_t)first - (uint64_t)last;

			if (gap < best)
				best = gap;
		}
		prevday = d;
	}
	if (prevday < 0)
		return CRONSCHED_NO_PERIOD;
	return best == CRONSCHED_NO_PERIOD ? CRONSCHED_NO_PERIOD : best * 60000;
}

int cronsched_command(const char *cmd, char *out)
{
	int escaped = 0;
	char *p = out;

	for (; *cmd; cmd++) {
		if (escaped) {
			if (*cmd == '%')
				p[-1] = '%';
			else
				*p++ = *cmd;
			escaped = 0;
			continue;
		}
		if (*cmd == '%') {
			*p = '\0';
			return 1;
		}
		escaped = *cmd == '\\';
		*p++ = *cmd;
	}
	*p = '\0';
	return 0;
}
