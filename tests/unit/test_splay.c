/* Unit tests of the splay hash: the documented vectors, determinism, and an even spread. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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

START_TEST(slot_parse)
{
	static const char *const bad[] = { "", "/", "3", "3/", "/10", "10/10", "11/10", "0/0", "-1/10",
					   "+1/10", " 1/10", "1/10 ", "1/1000001", "1/2/3", "a/b",
					   "99999999/100000000" };
	unsigned i = 99, n = 99;

	ck_assert_int_eq(splay_slot_parse("0/1", &i, &n), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(splay_slot_parse("559/560", &i, &n), 0);
	ck_assert_uint_eq(i, 559);
	ck_assert_uint_eq(n, 560);
	ck_assert_int_eq(splay_slot_parse("999999/1000000", &i, &n), 0);
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
		ck_assert_msg(splay_slot_parse(bad[k], &i, &n) == -1, "'%s' was taken", bad[k]);
}
END_TEST

START_TEST(slot_formula)
{
	/* (I + h) / N * SPLAY with h = splay_hash("", job, seed) / 2^64, the same on every host. */
	uint64_t h = splay_hash("", "backup", NULL);
	long double frac = (long double)h / 18446744073709551616.0L;

	for (unsigned i = 0; i < 10; i++) {
		uint64_t want = (uint64_t)floorl((i + frac) / 10 * 900000);
		uint64_t got = splay_slot_ms(i, 10, "backup", NULL, 900000);

		ck_assert_msg(got == want || got + 1 == want || got == want + 1, "slot %u: %llu, want %llu", i,
			      (unsigned long long)got, (unsigned long long)want);
		ck_assert_uint_lt(got, 900000);
		ck_assert_uint_ge(got, (uint64_t)i * 90000);
		ck_assert_uint_lt(got, (uint64_t)(i + 1) * 90000);
	}
	ck_assert_uint_eq(splay_slot_ms(3, 10, "backup", NULL, 0), 0);
	/* The seed and the job move the whole fleet, not one host. */
	ck_assert_uint_ne(splay_slot_ms(0, 10, "backup", "2024", 900000), splay_slot_ms(0, 10, "backup", NULL, 900000));
	ck_assert_uint_ne(splay_slot_ms(0, 10, "sync", NULL, 900000), splay_slot_ms(0, 10, "backup", NULL, 900000));
	ck_assert_uint_eq(splay_slot_ms(999999, 1000000, "j", NULL, UINT64_MAX) < UINT64_MAX, 1);
}
END_TEST

/* The busiest second of N starts spread over SPLAY_MS: by slot, or by independent hashes. */
static unsigned busiest_second(unsigned n, uint64_t splay_ms, int slots, uint64_t *min_gap)
{
	static unsigned per_second[86400];
	static uint64_t at[10000];
	unsigned busiest = 0;

	memset(per_second, 0, sizeof per_second);
	*min_gap = UINT64_MAX;
	for (unsigned i = 0; i < n; i++) {
		char host[32];

		snprintf(host, sizeof host, "app%05u", i + 1);
		at[i] = slots ? splay_slot_ms(i, n, "backup", NULL, splay_ms) : splay_delay_ms(host, "backup", NULL, splay_ms);
		if (++per_second[at[i] / 1000] > busiest)
			busiest = per_second[at[i] / 1000];
		if (slots && i > 0 && at[i] - at[i - 1] < *min_gap)
			*min_gap = at[i] - at[i - 1];
	}
	return busiest;
}

/* Issue 15: 560 hosts over 15 minutes by slot start at most one per 1.6 s (900 s / 560 is
 * 1.607 s); independent hashes give a busiest second of several. */
START_TEST(slot_spread)
{
	uint64_t gap, unused;
	unsigned slot560 = busiest_second(560, 900000, 1, &gap), hash560 = busiest_second(560, 900000, 0, &unused);
	unsigned slot10k, hash10k;

	ck_assert_uint_ge(gap, 1600);
	ck_assert_uint_eq(slot560, 1);
	ck_assert_uint_ge(hash560, 3);
	slot10k = busiest_second(10000, 900000, 1, &gap);
	hash10k = busiest_second(10000, 900000, 0, &unused);
	/* 10,000 over 900 s is 11.1 a second: slots give 11 or 12, hashes far more. */
	ck_assert_uint_ge(gap, 90);
	ck_assert_uint_le(slot10k, 12);
	ck_assert_uint_gt(hash10k, slot10k);
	fprintf(stderr, "splay-slot spread over 15m: 560 hosts busiest second %u (independent hashes %u); "
			"10000 hosts busiest second %u (independent hashes %u)\n",
		slot560, hash560, slot10k, hash10k);
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
	tcase_add_test(tc, slot_parse);
	tcase_add_test(tc, slot_formula);
	tcase_add_test(tc, slot_spread);
	suite_add_tcase(s, tc);
	return s;
}
