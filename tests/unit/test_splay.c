/* Unit tests of the splay hash: the documented vectors, determinism, and an even spread. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "splay.h"
#include "suites.h"

/* The same vectors stand in cronguard(1); an independent implementation must match them. */
static const struct {
	const char *host, *job, *seed;
	uint64_t hash;
	uint64_t delay_600000;
} vectors[] = {
#include "splay_vectors.h"
};

START_TEST(documented_vectors)
{
	ck_assert_uint_eq(splay_hash(vectors[_i].host, vectors[_i].job, vectors[_i].seed), vectors[_i].hash);
	ck_assert_uint_eq(splay_delay_ms(vectors[_i].host, vectors[_i].job, vectors[_i].seed, 600000),
			  vectors[_i].delay_600000);
}
END_TEST

START_TEST(zero_and_bounds)
{
	ck_assert_uint_eq(splay_delay_ms("h", "j", NULL, 0), 0);
	ck_assert_uint_eq(splay_delay_ms("h", "j", NULL, 1), 0);
	for (int i = 0; i < 1000; i++) {
		char host[32];
		snprintf(host, sizeof host, "h%d", i);
		ck_assert_uint_lt(splay_delay_ms(host, "j", NULL, 7), 7);
		ck_assert_uint_lt(splay_random_ms(1000), 1000);
	}
	/* NULL seed and empty seed are the same thing. */
	ck_assert_uint_eq(splay_hash("a", "b", NULL), splay_hash("a", "b", ""));
	/* The separators keep the fields apart. */
	ck_assert_uint_ne(splay_hash("ab", "c", NULL), splay_hash("a", "bc", NULL));
	ck_assert_uint_ne(splay_hash("a", "b", "1"), splay_hash("a", "b", "2"));
}
END_TEST

/* Chi-square of N sequential names over K buckets of a 15-minute splay. */
struct pattern {
	const char *prefix;
	int width;
	const char *suffix;
};

static double chi_square(const struct pattern *p, int n, int k)
{
	int count[64] = { 0 };
	double expect = (double)n / k, chi = 0;

	for (int i = 1; i <= n; i++) {
		char host[64];
		snprintf(host, sizeof host, "%s%0*d%s", p->prefix, p->width, i, p->suffix);
		count[splay_delay_ms(host, "backup", NULL, 900000) * (uint64_t)k / 900000]++;
	}
	for (int b = 0; b < k; b++)
		chi += (count[b] - expect) * (count[b] - expect) / expect;
	return chi;
}

START_TEST(sequential_hosts_spread_evenly)
{
	/* 15 buckets: 14 degrees of freedom; 36.1 is the 0.1% critical value. */
	static const struct pattern pats[] = {
		{ "app", 3, "" }, { "kvm-", 3, ".site.example.com" }, { "web", 0, "" },
		{ "node-", 0, ".dc1" }, { "10.0.", 0, ".1" },
	};

	for (size_t f = 0; f < sizeof pats / sizeof *pats; f++) {
		double chi = chi_square(&pats[f], 560, 15);
		ck_assert_msg(chi < 36.1, "%s...%s: chi-square %.1f", pats[f].prefix, pats[f].suffix, chi);
	}
}
END_TEST

START_TEST(minute_collisions_are_rare)
{
	/* 560 hosts over 15 minutes: no single second should take more than a handful. */
	int per_second[900] = { 0 }, worst = 0;

	for (int i = 1; i <= 560; i++) {
		char host[32];
		snprintf(host, sizeof host, "app%03d", i);
		int s = (int)(splay_delay_ms(host, "dns-check", NULL, 900000) / 1000);
		if (++per_second[s] > worst)
			worst = per_second[s];
	}
	ck_assert_int_le(worst, 5);
}
END_TEST

Suite *splay_suite(void)
{
	Suite *s = suite_create("splay");
	TCase *tc = tcase_create("hash");

	tcase_add_loop_test(tc, documented_vectors, 0, sizeof vectors / sizeof *vectors);
	tcase_add_test(tc, zero_and_bounds);
	tcase_add_test(tc, sequential_hosts_spread_evenly);
	tcase_add_test(tc, minute_collisions_are_rare);
	suite_add_tcase(s, tc);
	return s;
}
