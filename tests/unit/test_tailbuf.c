/* Unit tests of the head-and-tail keeper. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "tailbuf.h"

START_TEST(short_stream_verbatim)
{
	struct tailbuf tb = { 0 };
	char out[64];

	tailbuf_append(&tb, "hello ", 6);
	tailbuf_append(&tb, "world", 5);
	ck_assert_uint_eq(tailbuf_render(&tb, out, sizeof out), 11);
	ck_assert_str_eq(out, "hello world");
}
END_TEST

START_TEST(long_stream_elided)
{
	static struct tailbuf tb;
	char line[32], out[4096];
	size_t n;

	memset(&tb, 0, sizeof tb);
	for (int i = 0; i < 100000; i++) {
		int k = snprintf(line, sizeof line, "line %d\n", i);
		tailbuf_append(&tb, line, (size_t)k);
	}
	n = tailbuf_render(&tb, out, sizeof out);
	ck_assert_uint_lt(n, sizeof out);
	ck_assert_uint_eq(strlen(out), n);
	ck_assert(strncmp(out, "line 0\nline 1\n", 14) == 0);
	ck_assert_ptr_nonnull(strstr(out, "line 99999\n"));
	ck_assert(strcmp(out + n - 11, "line 99999\n") == 0);
	ck_assert_ptr_nonnull(strstr(out, " bytes elided ...]\n"));
}
END_TEST

START_TEST(fits_exactly_or_not)
{
	static struct tailbuf tb;
	char big[TAILBUF_HEAD + TAILBUF_TAIL], out[TAILBUF_HEAD + TAILBUF_TAIL + 1];

	memset(&tb, 0, sizeof tb);
	memset(big, 'x', sizeof big);
	tailbuf_append(&tb, big, sizeof big);
	/* Everything kept and room for it all: no marker. */
	ck_assert_uint_eq(tailbuf_render(&tb, out, sizeof out), sizeof big);
	ck_assert_ptr_null(strstr(out, "elided"));
	/* One more byte lost from the middle: a marker. */
	tailbuf_append(&tb, "y", 1);
	tailbuf_render(&tb, out, sizeof out);
	ck_assert_ptr_nonnull(strstr(out, "elided"));
	ck_assert_int_eq(out[strlen(out) - 1], 'y');
	/* Tiny buffers never overflow. */
	for (size_t len = 0; len < 80; len++) {
		char small[80];
		memset(small, 0x55, sizeof small);
		size_t n = tailbuf_render(&tb, small, len);
		if (len)
			ck_assert_uint_lt(n, len);
		for (size_t i = len; i < sizeof small; i++)
			ck_assert_int_eq((unsigned char)small[i], 0x55);
	}
}
END_TEST

Suite *tailbuf_suite(void)
{
	Suite *s = suite_create("tailbuf");
	TCase *tc = tcase_create("render");

	tcase_add_test(tc, short_stream_verbatim);
	tcase_add_test(tc, long_stream_elided);
	tcase_add_test(tc, fits_exactly_or_not);
	suite_add_tcase(s, tc);
	return s;
}
