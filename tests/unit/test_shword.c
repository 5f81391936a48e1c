/* Unit tests of the sh(1) word splitter: quotes, expansions, assignments, separators. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shword.h"
#include "suites.h"

/* The words of TEXT as "w|w|;|w", with flags: $ dynamic, = assignment; a separator as its
 * operator in brackets ("[&&]"), a redirection as <OP>TARGET. */
static const char *split(const char *text)
{
	static char out[1024];
	struct shword w[64];
	char buf[512];
	size_t n = shword_split(text, w, buf), len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s%s%s%s%s", i ? "|" : "",
					w[i].sep ? "[" : w[i].redir ? "<" : "", w[i].sep || w[i].redir ? w[i].op : "",
					w[i].sep ? "]" : w[i].redir ? ">" : "", w[i].sep ? "" : w[i].s,
					w[i].dynamic ? "$" : "", w[i].assign ? "=" : "");
	return out;
}

static const struct {
	const char *text, *want;
} cases[] = {
	{ "cronguard -n a -- /a", "cronguard|-n|a|--|/a" },
	{ "  a   'b c'  \"d e\" f\\ g", "a|b c|d e|f g" },
	{ "a 'it''s' \"x\\\"y\" \"\\$HOME\"", "a|its|x\"y|$HOME" },
	{ "echo $HOME \"$X\" ${Y} $(date +%s) `id`", "echo|$HOME$|$X$|${Y}$|$(date +%s)$|`id`$" },
	{ "FOO=1 'BAR'=2 X=\"a b\" cmd Z=3", "FOO=1=|BAR=2|X=a b=|cmd|Z=3=" },
	{ "a; b && c || d | e & f", "a|[;]|b|[&&]|c|[||]|d|[|]|e|[&]|f" },
	{ "(a) ; ;", "a|[)]" },
	{ "a >/dev/null 2>&1 < in b", "a|<>>/dev/null|<>&>1|<<>in|b" },
	{ "a > \"/tmp/x y\" 2>'/tmp/e f' c", "a|<>>/tmp/x y|<>>/tmp/e f|c" },
	{ "a>>log b>|f <$X c>&2", "a|<>>>log|b|<>|>f|<<>$X$|c|<>&>2" },
	{ "pg_dump db | gzip > /srv/db.gz", "pg_dump|db|[|]|gzip|<>>/srv/db.gz" },
	{ "a # comment b", "a" },
	{ "a#b", "a#b" },
	{ "''", "" },
	{ "", "" },
};

START_TEST(words)
{
	ck_assert_msg(strcmp(split(cases[_i].text), cases[_i].want) == 0, "%s: got '%s', want '%s'",
		      cases[_i].text, split(cases[_i].text), cases[_i].want);
}
END_TEST

START_TEST(empty_quoted_word_is_a_word)
{
	struct shword w[8];
	char buf[32];

	ck_assert_uint_eq(shword_split("a '' b", w, buf), 3);
	ck_assert_str_eq(w[1].s, "");
}
END_TEST

/* Where each word begins in the text: lint cuts a line there to rewrite it with --command. */
START_TEST(starts)
{
	const char *text = "cronguard -n 'a b' -- x  2>&1 | y";
	static const size_t want[] = { 0, 10, 13, 19, 22, 25, 30, 32 };
	struct shword w[16];
	char buf[128];

	ck_assert_uint_eq(shword_split(text, w, buf), 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(w[i].start, want[i]);
}
END_TEST

START_TEST(base)
{
	ck_assert_str_eq(shword_base("/usr/bin/cronguard"), "cronguard");
	ck_assert_str_eq(shword_base("cronguard"), "cronguard");
	ck_assert_str_eq(shword_base("/x/"), "");
}
END_TEST

/* What --dry-run prints: every word comes back from shword_split as it was. */
START_TEST(quote_round_trips)
{
	static const char *const samples[] = { "/usr/bin/backup.sh", "it's", "a b", "", "x=1",
					     "$HOME", "*", "a'b'c", "--opt=v", "tab\there", "\\" };

	for (size_t i = 0; i < sizeof samples / sizeof *samples; i++) {
		char *text = NULL, buf[256];
		size_t len = 0, n;
		struct shword w[64];
		FILE *f = open_memstream(&text, &len);

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(shword_quote(f, samples[i]), 0);
		fclose(f);
		n = shword_split(text, w, buf);
		ck_assert_msg(n == 1 && strcmp(w[0].s, samples[i]) == 0 && !w[0].dynamic,
			      "%s came back from %s as %zu words", samples[i], text, n);
		free(text);
	}
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		shword_quote(f, "/bin/true");
		fclose(f);
		ck_assert_str_eq(text, "/bin/true");   /* plain words stay plain */
		free(text);
	}
}
END_TEST

Suite *shword_suite(void)
{
	Suite *s = suite_create("shword");
	TCase *tc = tcase_create("split");

	tcase_add_loop_test(tc, words, 0, sizeof cases / sizeof *cases);
	tcase_add_test(tc, empty_quoted_word_is_a_word);
	tcase_add_test(tc, starts);
	tcase_add_test(tc, base);
	tcase_add_test(tc, quote_round_trips);
	suite_add_tcase(s, tc);
	return s;
}
