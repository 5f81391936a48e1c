/* Unit tests of the config file scanner. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "suites.h"

struct seen {
	char text[1024];
};

static int collect(void *ctx, unsigned line, const char *key, const char *value, int applies)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof s->text - n, "%s%u:%s=%s;", applies ? "" : "!", line, key, value);
	return 0;
}

static int scan(const char *text, const char *job, struct seen *s, unsigned *bad, char *err)
{
	memset(s, 0, sizeof *s);
	*bad = 0;
	return conf_scan(text, strlen(text), job, collect, s, bad, err, 256);
}

START_TEST(global_then_job_section)
{
	const char *text = "# comment\n"
			   "[backup]\nsplay = 5m\n"
			   "\n"
			   "[other]\nsplay = 1h\n";
	struct seen s;
	unsigned bad;
	char err[256];

	ck_assert_int_eq(scan("lock = yes\n  timeout=1h  \n[backup]\nsplay = 5m\n", "backup", &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "1:lock=yes;2:timeout=1h;4:splay=5m;");
	ck_assert_int_eq(scan("timeout = 2h # nightly\nhost = a#b\n#x\n", "j", &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "1:timeout=2h;2:host=a#b;");
	ck_assert_int_eq(scan(text, "other", &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "!3:splay=5m;6:splay=1h;");
	ck_assert_int_eq(scan(text, "none", &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "!3:splay=5m;!6:splay=1h;");
}
END_TEST

/* The comment rule the man page states: a '#' after white space starts a comment, after a
 * value too; inside a word it is part of it; quoted, it is kept. */
START_TEST(inline_comments)
{
	struct seen s;
	unsigned bad;
	char err[256];

	ck_assert_int_eq(scan("label = note=a #b\nlabel = \"note=a #b\"\nlabel = note=a#b\n"
			      "label = x=1\t# tab\nhost = # all comment\n", NULL, &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "1:label=note=a;2:label=note=a #b;3:label=note=a#b;4:label=x=1;5:host=;");
}
END_TEST

/* Parsed once, looked up by section many times: the entries of a job, in file order. */
START_TEST(sections_indexed)
{
	const char *text = "a = 1\n[b]\nx = 1\n[a]\ny = 2\n[b]\nz = 3\nw = 0\n";
	struct conf c;
	unsigned bad;
	char err[256];
	size_t first = 0, n;

	ck_assert_int_eq(conf_parse(text, strlen(text), &c, &bad, err, sizeof err), 0);
	ck_assert_uint_eq(c.n, 5);
	ck_assert_uint_eq(c.nglobal, 1);
	n = conf_section(&c, "b", &first);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(c.v[c.order[first]].key, "x");
	ck_assert_str_eq(c.v[c.order[first + 1]].key, "z");
	ck_assert_str_eq(c.v[c.order[first + 2]].key, "w");
	ck_assert_str_eq(c.v[c.order[first + 2]].section, "b");
	n = conf_section(&c, "a", &first);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(c.v[c.order[first]].line, 5);
	ck_assert_uint_eq(conf_section(&c, "c", &first), 0);
	ck_assert_uint_eq(conf_section(&c, NULL, &first), 0);
	conf_free(&c);
	ck_assert_int_eq(conf_parse("", 0, &c, &bad, err, sizeof err), 0);
	ck_assert_uint_eq(c.n, 0);
	conf_free(&c);
}
END_TEST

/* "key=value@line;" for C's entries that apply to JOB, in the order a run applies them. */
static void applied(const struct conf *c, const char *job, char *out, size_t len)
{
	size_t first = 0, n = conf_section(c, job, &first), used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->nglobal + n; i++) {
		const struct conf_entry *e = &c->v[c->order[i < c->nglobal ? i : first + i - c->nglobal]];

		used += (size_t)snprintf(out + used, len - used, "%s=%s@%u;", e->key, e->value, e->line);
	}
}

/* A run parses the global entries and its own section only; where the full parse succeeds,
 * it gives the same entries, at the same lines, whatever the other sections hold. */
static const char *const job_texts[] = {
	"a = 1\n[b]\nx = 1\n[job]\ny = 2\n[b]\nz = 3\n[job]\nw = 0\n",
	"  [other]\nv = [x]\n  [job]  \r\nk = v\n",
	"# [job]\n[o]\n# [job]\ncommand = [ -f x ]\n\t[job]\nk = 1 # [job]\n",
	"[job]\n",
	"g = 1\n[o1]\na = 1\n[o2]\n\n\n[o3]\nb = 2\n",
	"[jobx]\nk = 1\n[xjob]\nk = 2\n[job]\nk = 3",
	"",
};

START_TEST(job_parse_matches_full_parse)
{
	const char *text = job_texts[_i];
	struct conf full, job;
	unsigned bad;
	char err[256], want[1024], got[1024];

	ck_assert_int_eq(conf_parse(text, strlen(text), &full, &bad, err, sizeof err), 0);
	ck_assert_int_eq(conf_parse_job(text, strlen(text), "job", &job, &bad, err, sizeof err), 0);
	applied(&full, "job", want, sizeof want);
	applied(&job, "job", got, sizeof got);
	ck_assert_str_eq(got, want);
	conf_free(&full);
	conf_free(&job);
}
END_TEST

/* Fed one line at a time, as a file is read, the run's parse is the same as over the whole
 * text, errors and their lines included; a name too long for the bracketed search too. */
START_TEST(job_parse_in_pieces)
{
	static const char *const texts[] = {
		"a = 1\n[b]\nx = 1\n[job]\ny = 2\n[b]\nz = 3\n[job]\nw = 0\n",
		"[o]\nbad\n[job]\nk = v\n\n[o]\n  [job] \nbad line\n",
		"g = 1\n[o]\nk = [job]\n[job] x\n[job]\nk = 2",
	};
	char name[200];

	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	for (size_t t = 0; t < sizeof texts / sizeof *texts + 1; t++) {
		char longtext[512];
		const char *text = texts[t < 3 ? t : 0], *job = "job";
		struct conf whole, fed;
		struct conf_job j;
		unsigned bad1 = 0, bad2 = 0;
		char err1[256] = "", err2[256] = "", want[1024], got[1024];
		int rc1, rc2;

		if (t == 3) {
			snprintf(longtext, sizeof longtext, "[o]\nk = 1\n[%s]\nk = 2\n[o]\n[%s]\nk = 3\n", name, name);
			text = longtext;
			job = name;
		}
		rc1 = conf_parse_job(text, strlen(text), job, &whole, &bad1, err1, sizeof err1);
		conf_job_init(&j, job);
		for (const char *p = text; *p;) {
			const char *nl = strchr(p, '\n');
			size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);

			ck_assert_int_eq(conf_job_feed(&j, p, n), 0);
			p += n;
		}
		rc2 = conf_job_finish(&j, &fed, &bad2, err2, sizeof err2);
		ck_assert_int_eq(rc1, rc2);
		ck_assert_uint_eq(bad1, bad2);
		ck_assert_str_eq(err1, err2);
		if (rc1 == 0) {
			applied(&whole, job, want, sizeof want);
			applied(&fed, job, got, sizeof got);
			ck_assert_str_eq(got, want);
			conf_free(&whole);
			conf_free(&fed);
		}
		if (t == 1)
			ck_assert_uint_eq(bad1, 8);
		if (t == 3)
			ck_assert_str_eq(got, "k=2@4;k=3@7;");
	}
}
END_TEST

/* Other jobs' mistakes cost a run nothing (lint's full parse finds them); the job's own and
 * the global ones are still errors, at their line. */
START_TEST(job_parse_skips_other_sections)
{
	const char *text = "[o]\nbad line\nx\0y = 1\n[job]\nk = v\n[o2]\nno equals\n";
	size_t len = strlen(text) + strlen(text + strlen(text) + 1) + 1;
	struct conf c;
	unsigned bad = 0;
	char err[256], got[256];

	ck_assert_int_eq(conf_parse(text, len, &c, &bad, err, sizeof err), -1);
	ck_assert_uint_eq(bad, 2);
	ck_assert_int_eq(conf_parse_job(text, len, "job", &c, &bad, err, sizeof err), 0);
	applied(&c, "job", got, sizeof got);
	ck_assert_str_eq(got, "k=v@5;");
	conf_free(&c);
	text = "[o]\nk = 1\n[o]\nj = 2\n[job]\nk = v\nbad line\n";
	ck_assert_int_eq(conf_parse_job(text, strlen(text), "job", &c, &bad, err, sizeof err), -1);
	ck_assert_uint_eq(bad, 7);
	text = "x y\n[o]\n";
	ck_assert_int_eq(conf_parse_job(text, strlen(text), "job", &c, &bad, err, sizeof err), -1);
	ck_assert_uint_eq(bad, 1);
	/* A malformed header inside another job's section is that section's mistake too. */
	text = "[o]\n[job\n";
	ck_assert_int_eq(conf_parse_job(text, strlen(text), "job", &c, &bad, err, sizeof err), 0);
	conf_free(&c);
	text = "[o]\n[jo]b]\nk = 1\n[job]\n";
	ck_assert_int_eq(conf_parse_job(text, strlen(text), "job", &c, &bad, err, sizeof err), 0);
	ck_assert_uint_eq(c.n, 0);
	conf_free(&c);
}
END_TEST

START_TEST(job_section_wins_whatever_the_order)
{
	struct seen s;
	unsigned bad;
	char err[256];

	/* Global entries come first in the callback order, so later ones (the job's) win. */
	ck_assert_int_eq(scan("[j]\nsplay = 1m\n", "j", &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "2:splay=1m;");
}
END_TEST

START_TEST(quotes_and_crlf)
{
	struct seen s;
	unsigned bad;
	char err[256];

	ck_assert_int_eq(scan("label = \"a=b # c\"\r\nhost='x' # comment\n", NULL, &s, &bad, err), 0);
	ck_assert_str_eq(s.text, "1:label=a=b # c;2:host=x;");
}
END_TEST

static const struct {
	const char *text;
	unsigned line;
} malformed[] = {
	{ "splay 5m\n", 1 }, { "lock = yes\n= 5\n", 2 }, { "[unterminated\n", 1 },
	{ "[]\n", 1 }, { "[a b]\n", 1 }, { "sp@y = 1\n", 1 }, { "\n\n[x/y]\n", 3 },
	{ "a = \"open\n", 1 }, { "a = \"x\" y\n", 1 },
};

START_TEST(malformed_lines)
{
	struct seen s;
	unsigned bad;
	char err[256];

	ck_assert_int_eq(scan(malformed[_i].text, "j", &s, &bad, err), -1);
	ck_assert_uint_eq(bad, malformed[_i].line);
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(long_line_and_nul)
{
	char big[5000];
	struct seen s;
	unsigned bad;
	char err[256];

	memset(big, 'a', sizeof big);
	big[sizeof big - 1] = '\0';
	ck_assert_int_eq(scan(big, "j", &s, &bad, err), -1);
	ck_assert_int_eq(conf_scan("a = b\0c\n", 8, "j", collect, &s, &bad, err, sizeof err), -1);
	ck_assert_uint_eq(bad, 1);
}
END_TEST

Suite *conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("scan");

	tcase_add_test(tc, global_then_job_section);
	tcase_add_test(tc, job_section_wins_whatever_the_order);
	tcase_add_test(tc, inline_comments);
	tcase_add_test(tc, sections_indexed);
	tcase_add_loop_test(tc, job_parse_matches_full_parse, 0, sizeof job_texts / sizeof *job_texts);
	tcase_add_test(tc, job_parse_skips_other_sections);
	tcase_add_test(tc, job_parse_in_pieces);
	tcase_add_test(tc, quotes_and_crlf);
	tcase_add_loop_test(tc, malformed_lines, 0, sizeof malformed / sizeof *malformed);
	tcase_add_test(tc, long_line_and_nul);
	suite_add_tcase(s, tc);
	return s;
}
