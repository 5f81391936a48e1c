/* Unit tests of option loading: precedence, validation and the command's own arguments. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "suites.h"

extern char **environ;

static char dir[] = "/tmp/cg-options-XXXXXX";
static char conf_path[256];

static void clear_env(void)
{
	for (int again = 1; again;) {
		again = 0;
		for (char **e = environ; *e; e++) {
			if (strncmp(*e, "CRONGUARD_", 10) == 0) {
				char name[128];
				snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
				unsetenv(name);
				again = 1;
				break;
			}
		}
	}
}

static void write_conf(const char *text, mode_t mode)
{
	FILE *f = fopen(conf_path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(conf_path, mode);
}

static void setup(void)
{
	strcpy(dir, "/tmp/cg-options-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(conf_path, sizeof conf_path, "%s/cronguard.conf", dir);
	clear_env();
	write_conf("", 0644);
	setenv("CRONGUARD_CONFIG", conf_path, 1);
}

static void teardown(void)
{
	unlink(conf_path);
	rmdir(dir);
	clear_env();
}

/* Loads a NULL-terminated argument list; returns options_load's value. The vector is
 * static: options keep pointers into it, as they do into main's argv. */
static int load(struct options *o, char *err, const char *const *args)
{
	static char *argv[32];
	int argc = 0;

	argv[argc++] = (char *)"cronguard";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	return options_load(o, argc, argv, err, 512);
}

#define LOAD(o, err, ...) load(o, err, (const char *[]){ __VA_ARGS__, NULL })

START_TEST(defaults)
{
	struct options o;
	char err[512];

	ck_assert_int_eq(LOAD(&o, err, "/usr/local/bin/backup.sh"), 0);
	ck_assert_str_eq(o.name, "backup.sh");
	ck_assert_uint_eq(o.splay_ms, 0);
	ck_assert_uint_eq(o.kill_after_ms, 10000);
	ck_assert_int_eq(o.lock, 0);
	ck_assert_int_eq(o.skip_exit, 0);
	ck_assert_int_eq(options_success_exit(&o, 0), 1);
	ck_assert_int_eq(options_success_exit(&o, 1), 0);
	ck_assert_int_eq(o.argc, 1);
	ck_assert_ptr_nonnull(o.host);
	ck_assert_ptr_nonnull(o.state_dir);
	options_free(&o);
}
END_TEST

START_TEST(command_arguments_untouched)
{
	struct options o;
	char err[512];

	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "--splay", "5m", "rsync", "-a", "--delete",
			      "a b", "100%", "--splay", "1h"), 0);
	ck_assert_int_eq(o.argc, 7);
	ck_assert_str_eq(o.argv[0], "rsync");
	ck_assert_str_eq(o.argv[1], "-a");
	ck_assert_str_eq(o.argv[2], "--delete");
	ck_assert_str_eq(o.argv[3], "a b");
	ck_assert_str_eq(o.argv[4], "100%");
	ck_assert_str_eq(o.argv[5], "--splay");
	ck_assert_uint_eq(o.splay_ms, 300000);
	ck_assert_ptr_null(o.argv[7]);
	options_free(&o);

	/* Grouped short flags: more options than words. */
	ck_assert_int_eq(LOAD(&o, err, "-lqvlqv", "true"), 0);
	ck_assert_int_eq(o.lock, 1);
	ck_assert_int_eq(o.quiet, 1);
	options_free(&o);

	ck_assert_int_eq(LOAD(&o, err, "-l", "--", "-weird-command", "-x"), 0);
	ck_assert_str_eq(o.argv[0], "-weird-command");
	ck_assert_str_eq(o.name, "-weird-command");
	options_free(&o);
}
END_TEST

START_TEST(precedence)
{
	struct options o;
	char err[512];

	write_conf("splay = 1m\ntimeout = 1h\nskip-exit = 3\nlabel = a=conf\n"
		   "[job]\nsplay = 2m\nlock = yes\n", 0644);
	/* config global < config [job] */
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 120000);
	ck_assert_uint_eq(o.timeout_ms, 3600000);
	ck_assert_int_eq(o.lock, 1);
	ck_assert_int_eq(o.skip_exit, 3);
	ck_assert_uint_eq(o.nlabels, 1);
	options_free(&o);
	/* < environment */
	setenv("CRONGUARD_SPLAY", "3m", 1);
	setenv("CRONGUARD_LABEL", "b=env,c=env", 1);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 180000);
	ck_assert_uint_eq(o.nlabels, 2);
	ck_assert_str_eq(o.labels[0].key, "b");
	options_free(&o);
	/* < command line */
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "-s", "4m", "--label", "d=cli", "--skip-exit",
			      "0", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 240000);
	ck_assert_int_eq(o.skip_exit, 0);
	ck_assert_uint_eq(o.nlabels, 1);
	ck_assert_str_eq(o.labels[0].value, "cli");
	options_free(&o);
	/* Another job does not see [job]. */
	unsetenv("CRONGUARD_SPLAY");
	ck_assert_int_eq(LOAD(&o, err, "-n", "other", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 60000);
	ck_assert_int_eq(o.lock, 0);
	options_free(&o);
	/* The job name from the environment picks the section too. */
	setenv("CRONGUARD_NAME", "job", 1);
	ck_assert_int_eq(LOAD(&o, err, "true"), 0);
	ck_assert_str_eq(o.name, "job");
	ck_assert_int_eq(o.lock, 1);
	options_free(&o);
}
END_TEST

static const struct {
	const char *args[6];
	const char *needle;
} bad[] = {
	{ { "--splay", "5x", "true" }, "--splay: bad duration '5x'" },
	{ { "--splay", "400d", "true" }, "--splay: duration too long" },
	{ { "--timeout", "-1", "true" }, "--timeout" },
	{ { "--bogus", "true" }, "unknown option '--bogus'" },
	{ { "-Z", "true" }, "unknown option '-Z'" },
	{ { "--splay" }, "needs a value" },
	{ { "-n", "bad/name", "true" }, "--name: bad job name 'bad/name'" },
	{ { "-n", "", "true" }, "--name" },
	{ { "-n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "true" }, "--name" },
	{ { "my script" }, "not a valid job name" },
	{ { "--skip-exit", "256", "true" }, "--skip-exit: bad exit status '256'" },
	{ { "--skip-exit", "1x", "true" }, "--skip-exit" },
	{ { "--success-exit", "0,", "true" }, "--success-exit" },
	{ { "--success-exit", "3-1", "true" }, "--success-exit" },
	{ { "--success-exit", "300", "true" }, "--success-exit" },
	{ { "--fail-after", "0", "true" }, "--fail-after" },
	{ { "--label", "noequals", "true" }, "--label" },
	{ { "--label", "job=x", "true" }, "--label" },
	{ { "--label", "1a=x", "true" }, "--label" },
	{ { "--label", "a=x", "--label", "a=y", "true" }, "given twice" },
	{ { "--host", "a b", "true" }, "--host" },
	{ { "-n", "x" }, "no command given" },
	{ { "--status", "true" }, "--status takes no command" },
	{ { "--config", "/nonexistent/cg.conf", "true" }, "/nonexistent/cg.conf" },
	{ { "--lock-file", "", "true" }, "--lock-file: empty path" },
};

START_TEST(bad_input_names_the_problem)
{
	struct options o;
	char err[512];
	const char *const *a = bad[_i].args;
	int rc;

	rc = load(&o, err, a);
	ck_assert_int_eq(rc, -1);
	ck_assert_msg(strstr(err, bad[_i].needle) != NULL, "got '%s', want '%s'", err, bad[_i].needle);
	ck_assert_ptr_null(strchr(err, '\n'));
	options_free(&o);
}
END_TEST

static const struct {
	const char *conf;
	const char *needle;
} bad_conf[] = {
	{ "splay = 1m\nsplya = 2m\n", "cronguard.conf:2: unknown key 'splya'" },
	{ "\n\ntimeout = soon\n", "cronguard.conf:3: --timeout: bad duration 'soon'" },
	{ "name = x\n", "cronguard.conf:1: not allowed" },
	{ "lock = maybe\n", "cronguard.conf:1: --lock: bad boolean 'maybe'" },
	{ "just words\n", "cronguard.conf:1: expected 'key = value'" },
	{ "[job]\nsplay = 1q\n", "cronguard.conf:2:" },
	{ "[otherjob]\nsplya = 1m\n", "cronguard.conf:2: unknown key 'splya'" },
};

START_TEST(bad_config_names_file_and_line)
{
	struct options o;
	char err[512];

	write_conf(bad_conf[_i].conf, 0644);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), -1);
	ck_assert_msg(strstr(err, bad_conf[_i].needle) != NULL, "got '%s'", err);
	options_free(&o);
}
END_TEST

START_TEST(unsafe_config_refused)
{
	struct options o;
	char err[512];

	write_conf("splay = 1m\n", 0666);
	ck_assert_int_eq(LOAD(&o, err, "true"), -1);
	ck_assert_ptr_nonnull(strstr(err, "writable by any user"));
	options_free(&o);
}
END_TEST

START_TEST(bad_environment)
{
	struct options o;
	char err[512];

	setenv("CRONGUARD_SPALY", "10m", 1);
	ck_assert_int_eq(LOAD(&o, err, "true"), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown environment variable CRONGUARD_SPALY"));
	options_free(&o);
	unsetenv("CRONGUARD_SPALY");
	setenv("CRONGUARD_LOCK_WAIT", "forever", 1);
	ck_assert_int_eq(LOAD(&o, err, "true"), -1);
	ck_assert_ptr_nonnull(strstr(err, "CRONGUARD_LOCK_WAIT: --lock-wait: bad duration"));
	options_free(&o);
}
END_TEST

START_TEST(help_and_version_win)
{
	struct options o;
	char err[512];

	ck_assert_int_eq(LOAD(&o, err, "--splay", "bad", "--help"), 0);
	ck_assert_int_eq(o.action, ACTION_HELP);
	options_free(&o);
	ck_assert_int_eq(LOAD(&o, err, "--help", "--splay", "bad"), 0);
	ck_assert_int_eq(o.action, ACTION_HELP);
	options_free(&o);
	ck_assert_int_eq(LOAD(&o, err, "-V"), 0);
	ck_assert_int_eq(o.action, ACTION_VERSION);
	options_free(&o);
}
END_TEST

START_TEST(success_exit_list)
{
	struct options o;
	char err[512];

	ck_assert_int_eq(LOAD(&o, err, "--success-exit", "0,24,100-102", "true"), 0);
	ck_assert_int_eq(options_success_exit(&o, 0), 1);
	ck_assert_int_eq(options_success_exit(&o, 24), 1);
	ck_assert_int_eq(options_success_exit(&o, 101), 1);
	ck_assert_int_eq(options_success_exit(&o, 1), 0);
	ck_assert_int_eq(options_success_exit(&o, 103), 0);
	ck_assert_int_eq(options_success_exit(&o, 256), 0);
	options_free(&o);
}
END_TEST

START_TEST(valid_names)
{
	ck_assert(options_valid_name("backup"));
	ck_assert(options_valid_name("db_dump-2.daily"));
	ck_assert(!options_valid_name(""));
	ck_assert(!options_valid_name("a/b"));
	ck_assert(!options_valid_name("a b"));
	ck_assert(!options_valid_name("caf\xc3\xa9"));
}
END_TEST

Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, command_arguments_untouched);
	tcase_add_test(tc, precedence);
	tcase_add_loop_test(tc, bad_input_names_the_problem, 0, sizeof bad / sizeof *bad);
	tcase_add_loop_test(tc, bad_config_names_file_and_line, 0, sizeof bad_conf / sizeof *bad_conf);
	tcase_add_test(tc, unsafe_config_refused);
	tcase_add_test(tc, bad_environment);
	tcase_add_test(tc, help_and_version_win);
	tcase_add_test(tc, success_exit_list);
	tcase_add_test(tc, valid_names);
	suite_add_tcase(s, tc);
	return s;
}
