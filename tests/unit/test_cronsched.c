/* Unit tests of the crontab schedule parser: fields as cron reads them, @specials, periods. */
#include "config.h"

#include <string.h>

#include "cronsched.h"
#include "suites.h"

/* Splits "M H DOM MON DOW" and parses it; returns cronsched_parse's value. */
static int parse(const char *text, struct cronsched *s, const char **what)
{
	const char *f[5];
	size_t n[5];
	const char *p = text;

	for (int i = 0; i < 5; i++) {
		while (*p == ' ')
			p++;
		f[i] = p;
		while (*p && *p != ' ')
			p++;
		n[i] = (size_t)(p - f[i]);
	}
	return cronsched_parse(f, n, s, what);
}

static uint64_t period_of(const char *text)
{
	struct cronsched s;
	struct cronsched_times t;
	const char *what;

	if (text[0] == '@')
		ck_assert_int_eq(cronsched_special(text, strlen(text), &s), 0);
	else
		ck_assert_int_eq(parse(text, &s, &what), -1);
	cronsched_expand(&s, &t);
	return cronsched_period_ms(&t);
}

START_TEST(fields)
{
	struct cronsched s;
	const char *what = NULL;

	ck_assert_int_eq(parse("*/15 1-3,5 * jan-mar mon-fri", &s, &what), -1);
	ck_assert_uint_eq(s.minute, (1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45));
	ck_assert_uint_eq(s.hour, (1u << 1) | (1u << 2) | (1u << 3) | (1u << 5));
	ck_assert_uint_eq(s.month, (1u << 1) | (1u << 2) | (1u << 3));
	ck_assert_uint_eq(s.dow, 0x3e);
	ck_assert_int_eq(s.dom_star, 1);
	ck_assert_int_eq(s.dow_star, 0);
	/* 7 is Sunday too; N/STEP runs to the field's end, as cronie reads it. */
	ck_assert_int_eq(parse("5/20 0 1 * 7", &s, &what), -1);
	ck_assert_uint_eq(s.dow, 1);
	ck_assert_uint_eq(s.minute, (1ULL << 5) | (1ULL << 25) | (1ULL << 45));
}
END_TEST

static const struct {
	const char *text;
	int field;
	const char *what;
} rejected[] = {
	{ "61 * * * *", 0, "minute" }, { "0 24 * * *", 1, "hour" }, { "0 0 0 * *", 2, "day-of-month" },
	{ "0 0 * 13 *", 3, "month" }, { "0 0 * * 8", 4, "day-of-week" }, { "*/0 * * * *", 0, "minute" },
	{ "5-1 * * * *", 0, "minute" }, { "1,,2 * * * *", 0, "minute" }, { "0 0 * foo *", 3, "month" },
	{ "0 0 * * mon-", 4, "day-of-week" }, { "0 0 1, * *", 2, "day-of-month" },
};

START_TEST(rejected_fields)
{
	struct cronsched s;
	const char *what = NULL;

	ck_assert_int_eq(parse(rejected[_i].text, &s, &what), rejected[_i].field);
	ck_assert_str_eq(what, rejected[_i].what);
}
END_TEST

START_TEST(specials)
{
	struct cronsched a, b;
	const char *what;

	ck_assert_int_eq(cronsched_special("@daily", 6, &a), 0);
	ck_assert_int_eq(parse("0 0 * * *", &b, &what), -1);
	ck_assert(cronsched_same(&a, &b));
	ck_assert_int_eq(cronsched_special("@midnight", 9, &a), 0);
	ck_assert(cronsched_same(&a, &b));
	ck_assert_int_eq(cronsched_special("@hourly", 7, &a), 0);
	ck_assert(!cronsched_same(&a, &b));
	ck_assert_int_eq(cronsched_special("@reboot", 7, &a), 0);
	ck_assert_int_eq(a.reboot, 1);
	ck_assert_int_eq(cronsched_special("@dayly", 6, &a), -1);
	ck_assert_int_eq(cronsched_special("@daily", 5, &a), -1);
	/* Sunday as 0 and as 7 is one schedule. */
	ck_assert_int_eq(parse("0 0 * * 0", &a, &what), -1);
	ck_assert_int_eq(parse("0 0 * * 7", &b, &what), -1);
	ck_assert(cronsched_same(&a, &b));
}
END_TEST

START_TEST(periods)
{
	ck_assert_uint_eq(period_of("* * * * *"), 60000);
	ck_assert_uint_eq(period_of("*/5 * * * *"), 5 * 60000);
	ck_assert_uint_eq(period_of("0,6 1 * * *"), 6 * 60000);
	/* 23:58 to 00:05 the next day. */
	ck_assert_uint_eq(period_of("58 23 * * *"), 24 * 3600000);
	ck_assert_uint_eq(period_of("5 0,23 * * *"), 60 * 60000);
	ck_assert_uint_eq(period_of("@hourly"), 3600000);
	ck_assert_uint_eq(period_of("@weekly"), 7 * 24 * 3600000ULL);
	/* Once a year (the window's first year is a leap year), and 30 February never. */
	ck_assert_uint_eq(period_of("@yearly"), 366 * 24 * 3600000ULL);
	ck_assert_uint_eq(period_of("0 0 30 2 *"), CRONSCHED_NO_PERIOD);
	ck_assert_uint_eq(period_of("@reboot"), CRONSCHED_NO_PERIOD);
	/* The day fields: both restricted is either (1st OR Mondays). */
	ck_assert_uint_lt(period_of("0 0 1 * 1"), 7 * 24 * 3600000ULL);
}
END_TEST

START_TEST(cron_percent)
{
	char out[64];

	ck_assert_int_eq(cronsched_command("date +\\%F", out), 0);
	ck_assert_str_eq(out, "date +%F");
	ck_assert_int_eq(cronsched_command("mail -s x root%body%more", out), 1);
	ck_assert_str_eq(out, "mail -s x root");
	/* "\\%": the backslash is escaped, not the percent sign. */
	ck_assert_int_eq(cronsched_command("printf '\\\\%s'", out), 1);
	ck_assert_str_eq(out, "printf '\\\\");
}
END_TEST

Suite *cronsched_suite(void)
{
	Suite *s = suite_create("cronsched");
	TCase *tc = tcase_create("schedules");

	tcase_add_test(tc, fields);
	tcase_add_loop_test(tc, rejected_fields, 0, sizeof rejected / sizeof *rejected);
	tcase_add_test(tc, specials);
	tcase_add_test(tc, periods);
	tcase_add_test(tc, cron_percent);
	suite_add_tcase(s, tc);
	return s;
}
