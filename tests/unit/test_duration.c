/* Unit tests of duration parsing and formatting. */
#include "config.h"

#include <errno.h>

#include "duration.h"
#include "suites.h"

static const struct {
	const char *text;
	uint64_t ms;
} good[] = {
	{ "0", 0 }, { "90", 90000 }, { "90s", 90000 }, { "1h30m", 5400000 }, { "1d", 86400000 },
	{ "250ms", 250 }, { "1m30s", 90000 }, { "2h", 7200000 }, { "1d2h3m4s5ms", 93784005 },
	{ "0s", 0 }, { "007", 7000 }, { "366d", 366ULL * 86400000 },
};

static const struct {
	const char *text;
	int err;
} bad[] = {
	{ "", EINVAL }, { "s", EINVAL }, { "-5", EINVAL }, { "+5", EINVAL }, { "5 s", EINVAL },
	{ " 5", EINVAL }, { "5x", EINVAL }, { "1.5h", EINVAL }, { "30m1h", EINVAL },
	{ "1h1h", EINVAL }, { "5msx", EINVAL }, { "1h30", EINVAL }, { "0x10", EINVAL },
	{ "367d", ERANGE }, { "99999999999999999999999999", ERANGE }, { "18446744073709551617ms", ERANGE },
	{ "9000h", ERANGE }, { "365d24h1s", ERANGE },
};

START_TEST(parses_good)
{
	uint64_t ms = 12345;

	ck_assert_msg(duration_parse(good[_i].text, &ms) == 0, "'%s' rejected", good[_i].text);
	ck_assert_uint_eq(ms, good[_i].ms);
}
END_TEST

START_TEST(rejects_bad)
{
	uint64_t ms = 12345;

	errno = 0;
	ck_assert_int_eq(duration_parse(bad[_i].text, &ms), -1);
	ck_assert_msg(errno == bad[_i].err, "'%s': errno %d", bad[_i].text, errno);
	ck_assert_uint_eq(ms, 12345);
}
END_TEST

START_TEST(formats_round_trip)
{
	char buf[64];
	uint64_t ms;

	ck_assert_str_eq(duration_format(5400000, buf, sizeof buf), "1h30m");
	ck_assert_str_eq(duration_format(250, buf, sizeof buf), "250ms");
	ck_assert_str_eq(duration_format(0, buf, sizeof buf), "0");
	ck_assert_int_eq(duration_parse(duration_format(93784005, buf, sizeof buf), &ms), 0);
	ck_assert_uint_eq(ms, 93784005);
}
END_TEST

Suite *duration_suite(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, parses_good, 0, sizeof good / sizeof *good);
	tcase_add_loop_test(tc, rejects_bad, 0, sizeof bad / sizeof *bad);
	tcase_add_test(tc, formats_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
