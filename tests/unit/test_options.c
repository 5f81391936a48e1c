/* Unit tests of option loading: precedence, validation and the command's own arguments. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
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

	ck_assert_int_eq(LOAD(&o, err, "-l", "-n", "weird", "--", "-weird-command", "-x"), 0);
	ck_assert_str_eq(o.argv[0], "-weird-command");
	ck_assert_str_eq(o.name, "weird");
	options_free(&o);

	/* A job name may not start with '-': it would be an option to whatever is handed it. */
	ck_assert_int_eq(LOAD(&o, err, "-l", "--", "-weird-command", "-x"), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a valid job name"));
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
	/* Labels merge across levels: the environment's add to the config file's. */
	ck_assert_uint_eq(o.nlabels, 3);
	ck_assert_str_eq(o.labels[0].key, "a");
	ck_assert_str_eq(o.labels[1].key, "b");
	options_free(&o);
	/* < command line */
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "-s", "4m", "--label", "d=cli", "--skip-exit",
			      "0", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 240000);
	ck_assert_int_eq(o.skip_exit, 0);
	ck_assert_uint_eq(o.nlabels, 4);
	ck_assert_str_eq(o.labels[3].key, "d");
	ck_assert_str_eq(o.labels[3].value, "cli");
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
	/* Long options are spelled in full (issue 15 #6). */
	{ { "--time", "1h", "true" }, "option '--time' is not spelled in full: write --timeout" },
	{ { "--time=1h", "true" }, "option '--time' is not spelled in full: write --timeout" },
	{ { "--lo", "true" }, "option '--lo' is not spelled in full: write --lock or --lock-file or --lock-wait" },
	{ { "--dry", "true" }, "write --dry-run" },
	{ { "--lock=yes", "true" }, "option '--lock' takes no value" },
	{ { "--no-lock=yes", "true" }, "option '--no-lock' takes no value" },
	{ { "--no-splay", "true" }, "unknown option '--no-splay'" },
	/* An empty element of a list (issue 12 #7). */
	{ { "--success-exit", "0,,1", "true" }, "--success-exit: empty element in '0,,1'" },
	{ { "--etcd", "http://a:2379,,http://b:2379", "--cluster-lock", "true" }, "--etcd: empty element" },
	{ { "--etcd", "http://a:2379,", "--cluster-lock", "true" }, "--etcd: empty element" },
	{ { "--vip", "", "true" }, "--vip: empty element" },
	/* Job names start with a letter or a digit (issue 12 #10). */
	{ { "-n", ".x", "true" }, "--name: bad job name '.x'" },
	{ { "-n", ".", "true" }, "--name: bad job name '.'" },
	{ { "-n", "..", "true" }, "--name: bad job name '..'" },
	{ { "-n", "-x", "true" }, "--name: bad job name '-x'" },
	{ { "--", ".hidden" }, "not a valid job name" },
	/* A shell or a command runner names no job (issue 15 #2). */
	{ { "--lock", "--", "sh", "-c", "backup" }, "the command 'sh' is a shell or a command runner" },
	{ { "/bin/bash", "-c", "x" }, "the command 'bash' is a shell or a command runner" },
	{ { "/usr/bin/env", "X=1", "backup" }, "give the job its name with --name" },
	{ { "nice", "-n", "10", "backup" }, "the command 'nice'" },
	{ { "flock", "/x", "backup" }, "the command 'flock'" },
	/* Labels' values are UTF-8, or the state file could not hold them (issue 11). */
	{ { "--label", "note=caf\xe9", "true" }, "--label: the value of label 'note' is not UTF-8" },
	{ { "--label", "note=\xc0\xaf", "true" }, "is not UTF-8" },
	{ { "--label", "note=\xed\xa0\x80", "true" }, "is not UTF-8" },
	/* Two actions at once (issue 11). */
	{ { "--status", "--lint-crontab", "/etc/crontab" }, "--status and --lint-crontab do not go together" },
	{ { "--lint-crontab", "/etc/crontab", "--status" }, "--status and --lint-crontab do not go together" },
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
	{ "[job]\nsplya = 1m\n", "cronguard.conf:2: unknown key 'splya'" },
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

/* A run reads the global entries and its own section: another job's typo is that job's
 * error (and lint's), not every job's. */
START_TEST(other_jobs_typo_is_theirs)
{
	struct options o;
	char err[512];

	write_conf("splay = 1m\n[otherjob]\nsplya = 1m\nnot a line\n[job]\ntimeout = 1h\n", 0644);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), 0);
	ck_assert_uint_eq(o.splay_ms, 60000);
	ck_assert_uint_eq(o.timeout_ms, 3600000);
	options_free(&o);
	ck_assert_int_eq(LOAD(&o, err, "-n", "otherjob", "true"), -1);
	ck_assert_msg(strstr(err, "cronguard.conf:4: expected 'key = value'") != NULL, "got '%s'", err);
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


/* Lists and flags in the environment: an empty element or an empty flag is an error, never
 * "no VIP" or "on" (issues 12 #7, 15 #5). */
static const struct {
	const char *var, *value, *needle;
} bad_env[] = {
	{ "CRONGUARD_VIP", "", "CRONGUARD_VIP: --vip: empty element in ''" },
	{ "CRONGUARD_VIP", ",", "CRONGUARD_VIP: --vip: empty element in ','" },
	{ "CRONGUARD_VIP", "10.0.0.1,", "CRONGUARD_VIP: --vip: empty element" },
	{ "CRONGUARD_LABEL", ",", "CRONGUARD_LABEL: --label: empty element in ','" },
	{ "CRONGUARD_LABEL", "a=1,,b=2", "CRONGUARD_LABEL: --label: empty element" },
	{ "CRONGUARD_SUCCESS_EXIT", "", "CRONGUARD_SUCCESS_EXIT: --success-exit: empty element" },
	{ "CRONGUARD_LOCK", "", "CRONGUARD_LOCK: --lock: empty value (want yes or no)" },
	{ "CRONGUARD_LOCK", "on", "CRONGUARD_LOCK: --lock: bad boolean 'on'" },
	{ "CRONGUARD_QUIET", "off", "CRONGUARD_QUIET: --quiet: bad boolean 'off'" },
	{ "CRONGUARD_NAME", ".hidden", "--name: bad job name '.hidden'" },
};

START_TEST(bad_environment_values)
{
	struct options o;
	char err[512];

	setenv(bad_env[_i].var, bad_env[_i].value, 1);
	ck_assert_int_eq(LOAD(&o, err, "true"), -1);
	ck_assert_msg(strstr(err, bad_env[_i].needle) != NULL, "got '%s', want '%s'", err, bad_env[_i].needle);
	ck_assert_ptr_null(strchr(err, '\n'));
	options_free(&o);
}
END_TEST

START_TEST(flag_words)
{
	static const char *const on[] = { "yes", "true", "1", "YES", "True" };
	static const char *const off[] = { "no", "false", "0", "No", "FALSE" };
	struct options o;
	char err[512];

	for (size_t i = 0; i < 5; i++) {
		setenv("CRONGUARD_LOCK", on[i], 1);
		ck_assert_int_eq(LOAD(&o, err, "true"), 0);
		ck_assert_int_eq(o.lock, 1);
		options_free(&o);
		setenv("CRONGUARD_LOCK", off[i], 1);
		ck_assert_int_eq(LOAD(&o, err, "true"), 0);
		ck_assert_int_eq(o.lock, 0);
		options_free(&o);
	}
	unsetenv("CRONGUARD_LOCK");
	write_conf("lock =\n", 0644);
	ck_assert_int_eq(LOAD(&o, err, "true"), -1);
	ck_assert_msg(strstr(err, "cronguard.conf:1: --lock: empty value") != NULL, "%s", err);
	options_free(&o);
}
END_TEST

/* --no-FLAG undoes the config file and the environment (issue 15 #5). */
START_TEST(no_flags)
{
	struct options o;
	char err[512];

	write_conf("lock = yes\nquiet = yes\nno-syslog = yes\n[job]\nverbose = true\n", 0644);
	setenv("CRONGUARD_INSECURE", "yes", 1);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "--no-lock", "--no-verbose", "--no-insecure",
			      "--no-no-syslog", "true"), 0);
	ck_assert_int_eq(o.lock, 0);
	ck_assert_int_eq(o.quiet, 1);
	ck_assert_int_eq(o.verbose, 0);
	ck_assert_int_eq(o.insecure, 0);
	ck_assert_int_eq(o.no_syslog, 0);
	options_free(&o);
	/* The last word wins, as for any option. */
	ck_assert_int_eq(LOAD(&o, err, "--no-lock", "-l", "true"), 0);
	ck_assert_int_eq(o.lock, 1);
	options_free(&o);
	ck_assert_int_eq(LOAD(&o, err, "-l", "--no-lock", "true"), 0);
	ck_assert_int_eq(o.lock, 0);
	options_free(&o);
}
END_TEST

/* A --label adds to the config file's labels; the same key: the command line wins. */
START_TEST(labels_merge)
{
	struct options o;
	char err[512];

	write_conf("label = site=par1\nlabel = team=db\n[job]\nlabel = tier=1\n", 0644);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "--label", "team=web", "--label", "x=y", "true"), 0);
	ck_assert_uint_eq(o.nlabels, 4);
	ck_assert_str_eq(o.labels[0].key, "site");
	ck_assert_str_eq(o.labels[0].value, "par1");
	ck_assert_str_eq(o.labels[1].key, "tier");
	ck_assert_str_eq(o.labels[2].key, "team");
	ck_assert_str_eq(o.labels[2].value, "web");
	ck_assert_str_eq(o.labels[3].key, "x");
	options_free(&o);
	/* One key twice on one level is still an error. */
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "--label", "team=a", "--label", "team=b", "true"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--label: label 'team' given twice"));
	options_free(&o);
	/* A '#' after white space starts a comment; quoted, it is part of the value. */
	write_conf("label = note=a #b\nlabel = \"quoted=a #b\"\nlabel = word=a#b\n", 0644);
	ck_assert_int_eq(LOAD(&o, err, "true"), 0);
	ck_assert_uint_eq(o.nlabels, 3);
	ck_assert_str_eq(o.labels[0].value, "a");
	ck_assert_str_eq(o.labels[1].value, "a #b");
	ck_assert_str_eq(o.labels[2].value, "a#b");
	options_free(&o);
}
END_TEST

/* Every row of the one table, from each source it allows: its example loads, a value of the
 * wrong type is refused naming the option, and a source it does not allow refuses it. */
static int parse_words(struct options *o, char *err, char **words, char *const *env,
		       const struct conf *conf)
{
	struct options_source src = { env, conf, "test.conf" };
	int argc = 0;

	while (words[argc])
		argc++;
	return options_parse(o, argc, words, &src, err, 512);
}

START_TEST(every_row)
{
	struct options_info in;
	size_t rows = 0, hlen = 0;
	char *help = NULL;
	FILE *hf = open_memstream(&help, &hlen);

	ck_assert_ptr_nonnull(hf);
	options_usage(hf);
	fclose(hf);

	for (size_t i = 0; options_describe(i, &in) == 0; i++, rows++) {
		char opt[96], var[96], text[256], err[512], *env[2] = { NULL, NULL };
		char *argv[8] = { (char *)"cronguard" };
		struct options o;
		struct conf c;
		unsigned bad_line;
		int n = 1, k;
		const char *badval;

		ck_assert_msg(in.arg ? in.example != NULL : in.example == NULL, "--%s", in.name);
		snprintf(opt, sizeof opt, "--%s%s", in.name, in.arg ? " " : "");
		ck_assert_msg(strstr(help, opt) != NULL, "--help does not list %s", opt);
		snprintf(opt, sizeof opt, "--%s", in.name);
		if (in.type == OPT_ACTION) {
			argv[n++] = opt;
			if (in.arg)
				argv[n++] = (char *)in.example;
			argv[n] = NULL;
			ck_assert_msg(parse_words(&o, err, argv, NULL, NULL) == 0, "%s: %s", opt, err);
			ck_assert_int_ne(o.action, ACTION_RUN);
			options_free(&o);
			ck_assert_uint_eq(in.from, OPT_FROM_CLI);
			continue;
		}
		/* The command line. */
		argv[n++] = (char *)"-n";
		argv[n++] = (char *)"job";
		argv[n++] = opt;
		if (in.arg)
			argv[n++] = (char *)in.example;
		argv[n++] = (char *)"true";
		argv[n] = NULL;
		ck_assert_msg(parse_words(&o, err, argv, NULL, NULL) == 0, "%s: %s", opt, err);
		options_free(&o);
		/* The environment. */
		snprintf(var, sizeof var, "CRONGUARD_");
		for (k = 0; in.name[k]; k++)
			var[10 + k] = in.name[k] == '-' ? '_' : (char)(in.name[k] - 'a' + 'A');
		snprintf(var + 10 + k, sizeof var - 10 - (size_t)k, "=%s", in.arg ? in.example : "yes");
		env[0] = var;
		argv[3] = (char *)"true";
		argv[4] = NULL;
		if (in.from & OPT_FROM_ENV) {
			ck_assert_msg(parse_words(&o, err, argv, env, NULL) == 0, "%s: %s", var, err);
		} else {
			ck_assert_int_eq(parse_words(&o, err, argv, env, NULL), -1);
			ck_assert_ptr_nonnull(strstr(err, "unknown environment variable"));
		}
		options_free(&o);
		/* The config file. */
		snprintf(text, sizeof text, "%s = %s\n", in.name, in.arg ? in.example : "yes");
		ck_assert_int_eq(conf_parse(text, strlen(text), &c, &bad_line, err, 512), 0);
		if (in.from & OPT_FROM_CONF) {
			ck_assert_int_eq(options_check_conf(&c, "test.conf", err, 512), 0);
			ck_assert_msg(parse_words(&o, err, argv, NULL, &c) == 0, "%s: %s", text, err);
			options_free(&o);
		} else {
			ck_assert_int_eq(options_check_conf(&c, "test.conf", err, 512), -1);
			ck_assert_ptr_nonnull(strstr(err, "test.conf:1: not allowed in the config file"));
		}
		conf_free(&c);
		/* A value of the wrong type. */
		switch (in.type) {
		case OPT_FLAG: badval = "maybe"; break;
		case OPT_DURATION: badval = "10 min"; break;
		case OPT_UINT: badval = "-1"; break;
		case OPT_URL: badval = "ftp://x"; break;
		case OPT_PATH: badval = ""; break;
		default: badval = NULL; break;
		}
		if (!badval || !(in.from & OPT_FROM_ENV))
			continue;
		snprintf(var + 10 + k, sizeof var - 10 - (size_t)k, "=%s", badval);
		ck_assert_int_eq(parse_words(&o, err, argv, env, NULL), -1);
		ck_assert_msg(strstr(err, opt) != NULL, "%s: %s", var, err);
		options_free(&o);
	}
	ck_assert_uint_ge(rows, 50);
	free(help);
}
END_TEST

/* The rules between options live in options_check alone: options_parse leaves them. */
START_TEST(cross_option_rules)
{
	static const struct {
		const char *args[6];
		const char *needle;
	} rules[] = {
		{ { "--standby", "true" }, "--standby needs --vip" },
		{ { "--etcd", "http://x:2379", "true" }, "--etcd needs --cluster-lock or --once-per" },
		{ { "--once-per", "1h", "true" }, "--once-per needs --etcd" },
		{ { "--vip", "10.0.0.1", "--standby", "--vip-watch", "true" }, "do not go together" },
		{ { "--etcd-user", "u", "true" }, "--etcd-user needs --etcd-password-file" },
		{ { "--client-cert", "/c", "true" }, "--client-cert and --client-key go together" },
		{ { "--command", "a | b" }, "--command needs --name" },
		{ { "-n", "j", "--command", "a | b", "b" }, "--command and a COMMAND do not go together" },
		{ { "--command", "a", "--", "sh" }, "--command and a COMMAND do not go together" },
		{ { "-n", "j", "--format", "json", "true" }, "--format needs --lint-crontab" },
		{ { "--splay-slot", "1/2", "--random-splay", "true" }, "do not go together" },
	};

	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
		char *argv[8] = { (char *)"cronguard" }, err[512];
		struct options o;
		int n = 1;

		for (const char *const *a = rules[i].args; *a; a++)
			argv[n++] = (char *)*a;
		argv[n] = NULL;
		ck_assert_int_eq(parse_words(&o, err, argv, NULL, NULL), 0);
		ck_assert_int_eq(options_check(&o, err, sizeof err), -1);
		ck_assert_msg(strstr(err, rules[i].needle) != NULL, "%s", err);
		options_free(&o);
	}
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
	ck_assert(options_valid_name("0day"));
	ck_assert(!options_valid_name(".x"));
	ck_assert(!options_valid_name("_x"));
	ck_assert(!options_valid_name("-x"));
}
END_TEST

/* URLs as libcurl will take them: each is accepted or refused at loading, never per run. */
static const struct {
	const char *url;
	int ok;
} urls[] = {
	{ "http://127.0.0.1:8080/x", 1 }, { "https://example.com/a?b#c", 1 },
	{ "http://[::1]/x", 1 }, { "http://[::1]:65535/x", 1 }, { "http://h:1", 1 },
	{ "http://[fe80::1%25eth0]/x", 1 }, { "http://[fe80::1%eth0]/x", 0 }, { "http://[fe80::1%25]/x", 0 },
	{ "http://127.0.0.1:99999/x", 0 }, { "http://127.0.0.1:65536/x", 0 },
	{ "http://h:0/x", 0 }, { "http://h:/x", 0 }, { "http://h:8o/x", 0 },
	{ "http://:80/x", 0 }, { "http://[::1/x", 0 }, { "http://[::1]x/", 0 },
	{ "http://[zz]/x", 0 }, { "http://[]/x", 0 }, { "http://h]/x", 0 }, { "http://h[/x", 0 },
};

START_TEST(url_authority)
{
	struct options o;
	char err[512];
	int rc = LOAD(&o, err, "-n", "job", "--ping", urls[_i].url, "true");

	ck_assert_msg(rc == (urls[_i].ok ? 0 : -1), "%s: rc %d (%s)", urls[_i].url, rc, err);
	if (rc < 0)
		ck_assert_ptr_nonnull(strstr(err, "--ping: bad URL"));
	options_free(&o);
}
END_TEST

/* The paths every run must agree on are absolute, and lose their trailing slashes (a
 * "DIR/" would follow a symlink that "DIR" refuses). */
START_TEST(paths_absolute_and_normalised)
{
	static const char *const opts[] = { "--state-dir", "--textfile-dir", "--lock-file", "-c" };
	struct options o;
	char err[512];

	for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
		ck_assert_int_eq(LOAD(&o, err, "-n", "job", opts[i], "rel/dir", "true"), -1);
		ck_assert_msg(strstr(err, "want an absolute path") != NULL, "%s: %s", opts[i], err);
		options_free(&o);
	}
	setenv("CRONGUARD_STATE_DIR", "state", 1);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--state-dir: bad path 'state'"));
	options_free(&o);
	unsetenv("CRONGUARD_STATE_DIR");
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "--state-dir", "/srv/st//", "--textfile-dir", "/",
			      "true"), 0);
	ck_assert_str_eq(o.state_dir, "/srv/st");
	ck_assert_str_eq(o.textfile_dir, "/");
	options_free(&o);
}
END_TEST

/* Group-writable: only root's group may be trusted with it, as sudo has it. */
START_TEST(group_writable_config_refused)
{
	struct options o;
	char err[512];

	write_conf("splay = 1m\n", 0664);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(conf_path, 0, 65534), 0);
	ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), getgid() == 0 && geteuid() != 0 ? 0 : -1);
	if (geteuid() == 0 || getgid() != 0) {
		ck_assert_msg(strstr(err, "writable by group") && strstr(err, "chmod g-w"), "%s", err);
		ck_assert_ptr_null(strchr(err, '\n'));
	}
	options_free(&o);
	/* Root's group: accepted. */
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(conf_path, 0, 0), 0);
		ck_assert_int_eq(LOAD(&o, err, "-n", "job", "true"), 0);
		options_free(&o);
	}
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
	tcase_add_test(tc, other_jobs_typo_is_theirs);
	tcase_add_test(tc, unsafe_config_refused);
	tcase_add_test(tc, bad_environment);
	tcase_add_test(tc, help_and_version_win);
	tcase_add_test(tc, success_exit_list);
	tcase_add_test(tc, valid_names);
	tcase_add_loop_test(tc, bad_environment_values, 0, sizeof bad_env / sizeof *bad_env);
	tcase_add_test(tc, flag_words);
	tcase_add_test(tc, no_flags);
	tcase_add_test(tc, labels_merge);
	tcase_add_test(tc, every_row);
	tcase_add_test(tc, cross_option_rules);
	tcase_add_loop_test(tc, url_authority, 0, sizeof urls / sizeof *urls);
	tcase_add_test(tc, paths_absolute_and_normalised);
	tcase_add_test(tc, group_writable_config_refused);
	suite_add_tcase(s, tc);
	return s;
}
