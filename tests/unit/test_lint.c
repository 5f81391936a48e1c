/* Unit tests of --lint-crontab: exact warnings for a table of crontabs, cronguard's own
 * refusals through the one option table, and the history read from real state files. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "lint.h"
#include "options.h"
#include "state.h"
#include "suites.h"

struct out {
	char text[8192];
	size_t len;
};

static void collect(void *ctx, unsigned line, enum lint_severity sev, const char *message)
{
	(void)sev;
	struct out *o = ctx;

	o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, "%u: %s\n", line, message);
}

/* The history every case sees unless it says otherwise: backup took 7 minutes, sync 30 s. */
static struct lint_job jobs[] = { { "backup", 7 * 60000 }, { "sync", 30000 } };

static int lint(const char *text, enum lint_format format, const char *config, unsigned same,
		struct out *o)
{
	struct lint_history h = { jobs, 2, NULL, "cronguard.conf", format, same, NULL, NULL, NULL };
	struct conf c;
	unsigned bad;
	char err[256];
	int n;

	if (config) {
		ck_assert_int_eq(conf_parse(config, strlen(config), &c, &bad, err, sizeof err), 0);
		ck_assert_int_eq(options_check_conf(&c, "cronguard.conf", err, sizeof err), 0);
		h.conf = &c;
	}
	memset(o, 0, sizeof *o);
	n = lint_crontab(text, strlen(text), &h, collect, o);
	if (config)
		conf_free(&c);
	return n;
}

static const struct lint_case {
	const char *name;
	enum lint_format format;
	const char *config;
	unsigned same_minute;
	const char *text;
	const char *want;
} cases[] = {
	{ "clean user crontab", LINT_AUTO, NULL, 0,
	  "MAILTO=ops@example.com\n"
	  "CRONGUARD_STATE_DIR = /srv/cron-state\n"
	  "# nightly\n"
	  "\n"
	  "0 1 * * * cronguard -n backup --splay 10m --vip 10.0.0.50 --lock --pushgateway http://pg:9091 -- /usr/local/bin/backup.sh\n"
	  "*/15 * * * * cronguard --splay 12m --lock --timeout 10m -- /usr/local/bin/report-inventory\n"
	  "15 3 * * * cronguard -n pgdump --lock -- /usr/bin/pg_dump -f /srv/dump/db-$(date +\\%F).sql db\n"
	  "@reboot cronguard -n warmup -- /usr/local/bin/warmup\n"
	  "  \t# indented comment with a % sign\n",
	  "" },
	{ "three jobs on one minute", LINT_USER, NULL, 0,
	  "0 1 * * * /usr/bin/a\n"
	  "0 1 * * * cronguard -n b -- /usr/bin/b\n"
	  "0 1 * * * cronguard -n c --splay 5m -- /usr/bin/c\n"
	  "0 1 * * * CRONGUARD_SPLAY=1m cronguard -n d -- /usr/bin/d\n"
	  "0 1 * * * /usr/bin/e >/dev/null 2>&1\n",
	  "1: 3 jobs start on the same minute without a splay (lines 1, 2, 5; at 01:00): spread them with cronguard --splay\n" },
	{ "threshold raised", LINT_USER, NULL, 4,
	  "0 1 * * * /usr/bin/a\n0 1 * * * /usr/bin/b\n0 1 * * * /usr/bin/c\n",
	  "" },
	{ "threshold lowered", LINT_USER, NULL, 2,
	  "0 1 * * * /usr/bin/a\n30 1 * * * /usr/bin/b\n30 1 * * * /usr/bin/c\n",
	  "2: 2 jobs start on the same minute without a splay (lines 2, 3; at 01:30): spread them with cronguard --splay\n" },
	{ "hourly crowd inside a larger one is said once", LINT_USER, NULL, 0,
	  "0 * * * * /usr/bin/a\n@hourly /usr/bin/b\n0 */1 * * * /usr/bin/c\n0 2 * * * /usr/bin/d\n",
	  "1: 4 jobs start on the same minute without a splay (lines 1, 2, 3, 4; at 02:00): spread them with cronguard --splay\n" },
	{ "different weekdays never meet", LINT_USER, NULL, 0,
	  "0 1 * * mon /usr/bin/a\n0 1 * * 2 /usr/bin/b\n0 1 * * wed /usr/bin/c\n0 1 * * 7 /usr/bin/d\n",
	  "" },
	{ "day of month OR day of week", LINT_USER, NULL, 0,
	  "0 1 1 * * /usr/bin/a\n0 1 15 * * /usr/bin/b\n0 1 1 * 1 /usr/bin/c\n0 1 * * 1 /usr/bin/d\n",
	  "1: 3 jobs start on the same minute without a splay (lines 1, 3, 4; at 01:00): spread them with cronguard --splay\n"
	  "2: 3 jobs start on the same minute without a splay (lines 2, 3, 4; at 01:00): spread them with cronguard --splay\n" },
	{ "unescaped percent", LINT_USER, NULL, 0,
	  "0 1 * * * cronguard -n a -- date +%F\n"
	  "0 2 * * * cronguard -n b -- date +\\%F\n"
	  "0 3 * * * date +%F\n"
	  "0 4 * * * cronguard -n c -- printf '\\\\%s'\n"
	  "0 5 * * * cd /srv && cronguard -n d -- tar czf x-$(date +%s).tgz .\n",
	  "1: unescaped % in the command: cron ends the command there and feeds the rest to its standard input; write \\%\n"
	  "3: unescaped % in the command: cron ends the command there and feeds the rest to its standard input; write \\%\n"
	  "4: unescaped % in the command: cron ends the command there and feeds the rest to its standard input; write \\%\n"
	  "5: unescaped % in the command: cron ends the command there and feeds the rest to its standard input; write \\%\n" },
	{ "duplicates", LINT_USER, NULL, 0,
	  "0 0 * * * /usr/bin/a  --x\n"
	  "@daily   /usr/bin/a --x  \n"
	  "0 0 * * * /usr/bin/a '--x  y'\n"
	  "0 0 * * * /usr/bin/a '--x y'\n"
	  "0 0 * * 0 /usr/bin/a --x\n"
	  "0 0 * * 7 /usr/bin/a --x\n",
	  "1: 4 jobs start on the same minute without a splay (lines 1, 3, 4, 5; at 00:00): spread them with cronguard --splay\n"
	  "2: duplicate of line 1: the job runs twice\n"
	  "6: duplicate of line 5: the job runs twice\n" },
	{ "system crontab: the user is part of the line", LINT_SYSTEM, NULL, 0,
	  "SHELL=/bin/sh\n"
	  "17 * * * * root cd / && run-parts --report /etc/cron.hourly\n"
	  "0 1 * * * root cronguard -n backup -- /x\n"
	  "0 1 * * * nobody cronguard -n backup -- /x\n"
	  "0 1 * * * root cronguard -n backup -- /x\n"
	  "0 2 * * * root\n",
	  "5: duplicate of line 3: the job runs twice\n"
	  "6: not a valid crontab line: expected five time fields, a user and a command\n" },
	{ "system crontab guessed from root and cronguard", LINT_AUTO, NULL, 0,
	  "*/5 * * * * root cronguard -n backup -- /usr/local/bin/backup.sh\n"
	  "0 1 * * * www-data cronguard -n report -- /usr/local/bin/report\n",
	  "1: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n" },
	{ "user crontab guessed from cronguard", LINT_AUTO, NULL, 0,
	  "*/5 * * * * cronguard -n backup -- root\n"
	  "0 1 * * * /usr/local/bin/report\n",
	  "1: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n" },
	{ "overlap: locks in every form prevent it", LINT_USER, NULL, 0,
	  "*/5 * * * * cronguard -n backup -- /x\n"
	  "*/5 * * * * cronguard -n backup --lock -- /y\n"
	  "*/5 * * * * cronguard -ln backup -- /z\n"
	  "*/5 * * * * cronguard -n backup --lock-file=/run/lock/b -- /a\n"
	  "*/5 * * * * cronguard -n backup --cluster-lock --etcd http://e:2379 -- /b\n"
	  "*/5 * * * * CRONGUARD_LOCK=yes cronguard -n backup -- /c\n"
	  "*/5 * * * * cronguard -n backup -t 4m -- /d\n"
	  "*/5 * * * * cronguard -n backup -t 4m --kill-after 0 -- /e\n"
	  "*/5 * * * * cronguard -n backup -t 4m50s1ms -- /f\n"
	  "*/5 * * * * cronguard -n sync -- /g\n"
	  "*/5 * * * * cronguard -n unknown -- /h\n"
	  "*/5 * * * * cronguard -- /usr/local/bin/backup\n"
	  "CRONGUARD_LOCK = yes\n"
	  "*/5 * * * * cronguard -n backup -- /i\n"
	  "CRONGUARD_LOCK=false\n"
	  "*/5 * * * * cronguard -n backup -- /j\n"
	  "CRONGUARD_NAME=backup\n"
	  "*/5 * * * * cronguard -- /k\n"
	  "*/5 * * * * cronguard -n \"$JOB\" -- /usr/local/bin/backup\n"
	  "*/5 * * * * CRONGUARD_NAME=$JOB exec env X=1 cronguard -- /usr/local/bin/backup\n"
	  "*/5 * * * * exec env X=1 CRONGUARD_NAME=sync cronguard -- /usr/local/bin/backup\n",
	  "1: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "1: 18 jobs start on the same minute without a splay (lines 1, 2, 3, 4, 5, 6, 7, 8 and 10 more; 288 times a day, first at 00:00): spread them with cronguard --splay\n"
	  "1: lines 1, 2, 3, 4, 5, 6, 7, 8 and 5 more run different commands as job backup: they share one lock, one state file and one set of reports; give each its own --name\n"
	  "8: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "9: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "10: lines 10, 21 run different commands as job sync: they share one lock, one state file and one set of reports; give each its own --name\n"
	  "12: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "16: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "18: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n" },
	{ "overlap: the period is the shortest gap, random splay shortens it", LINT_USER, NULL, 0,
	  "0,6 1 * * * cronguard -n backup -- /a\n"
	  "58 23 * * * cronguard -n backup -- /b\n"
	  "5 0 * * * cronguard -n backup -- /c\n"
	  "*/10 * * * * cronguard -n backup --random-splay --splay 3m -- /d\n"
	  "*/10 * * * * cronguard -n backup --random-splay --splay 4m -- /e\n"
	  "*/10 * * * * cronguard -n backup --splay 4m -- /f\n",
	  "1: job backup can start again 6m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "1: lines 1, 2, 3, 4, 5, 6 run different commands as job backup: they share one lock, one state file and one set of reports; give each its own --name\n"
	  "5: job backup can start again 6m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n" },
	{ "overlap: the config file's lock, globally or for the job", LINT_USER,
	  "lock = yes\n[other]\nlock = no\n[backup]\nsplay = 1m\n", 0,
	  "*/5 * * * * cronguard -n backup -- /a\n"
	  "*/5 * * * * cronguard -n other -- /a\n"
	  "*/5 * * * * cronguard -n backup -c /etc/other.conf -- /a\n"
	  "*/5 * * * * CRONGUARD_LOCK=no cronguard -n backup -- /a\n",
	  "3: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n"
	  "4: job backup can start again 5m after a run, but a recent run took 7m, and the line has no --lock: runs will overlap\n" },
	{ "the config file's splay counts", LINT_USER, "[a]\nsplay = 5m\n[b]\nsplay = 0\n", 0,
	  "0 1 * * * cronguard -n a -- /a\n0 1 * * * cronguard -n b -- /b\n0 1 * * * /c\n0 1 * * * /d\n",
	  "2: 3 jobs start on the same minute without a splay (lines 2, 3, 4; at 01:00): spread them with cronguard --splay\n" },
	{ "option errors", LINT_USER, NULL, 0,
	  "0 1 * * * cronguard --spaly 10m -- /a\n"
	  "0 2 * * * cronguard -n x -zap-command\n"
	  "0 3 * * * cronguard --lo -- /a\n"
	  "0 4 * * * cronguard --lock=yes -- /a\n"
	  "0 5 * * * cronguard -n x --timeout\n"
	  "0 6 * * * cronguard -s\n"
	  "0 7 * * * cronguard --splay=10x -- /a\n"
	  "0 8 * * * cronguard -n 'a b' -- /a\n"
	  "0 9 * * * cronguard --skip-exit 256 -- /a\n"
	  "0 10 * * * cronguard -n x --lock --\n"
	  "0 11 * * * cronguard --dry-run -n x -- /a\n"
	  "0 12 * * * cronguard -qV\n"
	  "0 13 * * * cronguard -- ./foo+bar\n"
	  "0 14 * * * cronguard -n \"$JOB\" -s \"$SPLAY\" $OPTS -- /a\n"
	  "0 15 * * * /usr/bin/cronguard --tim 1h -lqs10m -w 1m -- /a\n",
	  "1: cronguard: unknown option '--spaly' (see --help)\n"
	  "2: cronguard: unknown option '-z' (see --help)\n"
	  "3: cronguard: option '--lo' is not spelled in full: write --lock or --lock-file or --lock-wait\n"
	  "4: cronguard: option '--lock' takes no value\n"
	  "5: cronguard: option '--timeout' needs a value\n"
	  "6: cronguard: option '-s' needs a value\n"
	  "7: cronguard: --splay: bad duration '10x' (want e.g. 90, 90s, 1h30m, 250ms)\n"
	  "8: cronguard: --name: bad job name 'a b' (want 1-64 of A-Z a-z 0-9 _ . -, the first a letter or digit)\n"
	  "9: cronguard: --skip-exit: bad exit status '256' (want 0-255)\n"
	  "10: cronguard: no command given (usage: cronguard [OPTION]... [--] COMMAND [ARG]...)\n"
	  "11: cronguard --dry-run in a crontab line: the command never runs\n"
	  "12: cronguard --version in a crontab line: the command never runs\n"
	  "13: cronguard: the command's name 'foo+bar' is not a valid job name; give -n NAME\n"
	  "15: cronguard: option '--tim' is not spelled in full: write --timeout\n" },
	{ "variables", LINT_USER, NULL, 0,
	  "CRONGUARD_SPLAYY=1m\n"
	  "CRONGUARD_SPLAY=10x\n"
	  "CRONGUARD_LOCK=maybe\n"
	  "CRONGUARD_HELP=1\n"
	  "CRONGUARD_DRY_RUN=yes\n"
	  "CRONGUARD_DRY_RUN=no\n"
	  "CRONGUARD_LOCK=\n"
	  "CRONGUARD_LABEL=team=db,tier=1\n"
	  "\"CRONGUARD_NAME\" = 'backup'\n"
	  "CRONGUARD_TIMEOUT = \"1h\"\n"
	  "CRONGUARD_QUIET=on\n"
	  "CRONGUARD_VIP=,\n"
	  "CRONGUARD_LABEL=a=1,\n",
	  "1: cronguard: unknown environment variable CRONGUARD_SPLAYY: every cronguard line below fails (exit 125)\n"
	  "2: cronguard: CRONGUARD_SPLAY: --splay: bad duration '10x' (want e.g. 90, 90s, 1h30m, 250ms): every cronguard line below fails (exit 125)\n"
	  "3: cronguard: CRONGUARD_LOCK: --lock: bad boolean 'maybe' (want yes or no): every cronguard line below fails (exit 125)\n"
	  "4: cronguard: unknown environment variable CRONGUARD_HELP: every cronguard line below fails (exit 125)\n"
	  "5: CRONGUARD_DRY_RUN is set: the cronguard lines below never run their command\n"
	  "7: cronguard: CRONGUARD_LOCK: --lock: empty value (want yes or no): every cronguard line below fails (exit 125)\n"
	  "11: cronguard: CRONGUARD_QUIET: --quiet: bad boolean 'on' (want yes or no): every cronguard line below fails (exit 125)\n"
	  "12: cronguard: CRONGUARD_VIP: --vip: empty element in ',': every cronguard line below fails (exit 125)\n"
	  "13: cronguard: CRONGUARD_LABEL: --label: empty element in 'a=1,': every cronguard line below fails (exit 125)\n" },
	{ "lines cron rejects or mangles", LINT_USER, NULL, 0,
	  "61 * * * * /a\n"
	  "0 24 * * * /a\n"
	  "0 0 0 * * /a\n"
	  "0 0 * 13 * /a\n"
	  "0 0 * * 8 /a\n"
	  "*/0 * * * * /a\n"
	  "5-1 * * * * /a\n"
	  "1,,2 * * * * /a\n"
	  "0 0 * foo * /a\n"
	  "@dayly /a\n"
	  "1 2 3\n"
	  "@daily\n"
	  "0 0 30 2 * /never\n"
	  "0 0 29 2 * /leap\n"
	  "0 1 * * * /crlf\r\n"
	  "# comment\r\n"
	  "0 2 * * * /last",
	  "1: not a valid crontab line: bad minute field '61'\n"
	  "2: not a valid crontab line: bad hour field '24'\n"
	  "3: not a valid crontab line: bad day-of-month field '0'\n"
	  "4: not a valid crontab line: bad month field '13'\n"
	  "5: not a valid crontab line: bad day-of-week field '8'\n"
	  "6: not a valid crontab line: bad minute field '*/0'\n"
	  "7: not a valid crontab line: bad minute field '5-1'\n"
	  "8: not a valid crontab line: bad minute field '1,,2'\n"
	  "9: not a valid crontab line: bad month field 'foo'\n"
	  "10: not a valid crontab line: unknown schedule '@dayly'\n"
	  "11: not a valid crontab line: expected five time fields and a command\n"
	  "12: not a valid crontab line: expected a schedule and a command\n"
	  "13: the schedule never fires: no month has that day\n"
	  "15: carriage return at the end of the line (DOS line endings): cron keeps it as part of the line\n"
	  "17: no newline at the end of the file: cron takes the crontab as broken\n" },
	{ "shell words: assignments, redirections, lists", LINT_USER, NULL, 0,
	  "0 1 * * * FOO=1 exec cronguard --bogus -- /a\n"
	  "0 2 * * * cronguard -n a -- /a 2>&1 | logger; /usr/bin/env X=1 cronguard --bogus2 -- /b\n"
	  "0 3 * * * test -x /usr/bin/cronguard && cronguard -n a -- /a >/dev/null\n"
	  "0 4 * * * echo cronguard --bogus3\n"
	  "0 5 * * * \"cronguard\" --bogus4 -- /a\n"
	  "0 6 * * * (cronguard --bogus5 -- /a)\n"
	  "0 7 * * * cronguard -n a -- /a > \"/tmp/x y\" 2>'/tmp/e f'; cronguard --bogus6 -- /b\n",
	  "1: cronguard: unknown option '--bogus' (see --help)\n"
	  "2: '|' after cronguard runs even when cronguard skips; use --command '...': 0 2 * * * cronguard -n a --command '/a 2>&1 | logger; /usr/bin/env X=1 cronguard --bogus2 -- /b'\n"
	  "2: cronguard: unknown option '--bogus2' (see --help)\n"
	  "5: cronguard: unknown option '--bogus4' (see --help)\n"
	  "6: cronguard: unknown option '--bogus5' (see --help)\n"
	  "7: '> /tmp/x y' truncates the file even when cronguard skips; use --command '...': 0 7 * * * cronguard -n a --command '/a > \"/tmp/x y\" 2>'\\''/tmp/e f'\\''; cronguard --bogus6 -- /b'\n"
	  "7: cronguard: unknown option '--bogus6' (see --help)\n" },
	/* Issue 15 #1: the shell runs what follows cronguard whether or not cronguard runs its
	 * command; the warning gives the line with that text inside the guard. */
	{ "shell operators outside the guard", LINT_USER, NULL, 0,
	  "0 1 * * * cronguard -n db --vip 10.0.0.50 -- pg_dump db | gzip > /srv/db.gz\n"
	  "0 2 * * * cronguard -n a -- a && b\n"
	  "0 3 * * * cronguard -n a2 -- a || b\n"
	  "0 4 * * * cronguard /usr/bin/a4 ; b\n"
	  "0 5 * * * cronguard -n d -- pg_dump db > /srv/db.sql\n"
	  "0 6 * * * cronguard -n e -- x >> /var/log/x 2>&1\n"
	  "0 7 * * * cronguard -n f -- x > /dev/null\n"
	  "0 8 * * * cronguard -n g --command 'a | b' | logger\n"
	  "0 9 * * * cronguard -n h --command 'x > /srv/y; date +\\%F'\n"
	  "0 10 * * * cronguard -n i -- echo 100\\% done | mail x\n",
	  "1: '|' after cronguard runs even when cronguard skips; use --command '...': 0 1 * * * cronguard -n db --vip 10.0.0.50 --command 'pg_dump db | gzip > /srv/db.gz'\n"
	  "2: '&&' after cronguard runs even when cronguard skips; use --command '...': 0 2 * * * cronguard -n a --command 'a && b'\n"
	  "3: '||' after cronguard runs even when cronguard skips; use --command '...': 0 3 * * * cronguard -n a2 --command 'a || b'\n"
	  "4: ';' after cronguard runs even when cronguard skips; use --command '...': 0 4 * * * cronguard --name a4 --command '/usr/bin/a4 ; b'\n"
	  "5: '> /srv/db.sql' truncates the file even when cronguard skips; use --command '...': 0 5 * * * cronguard -n d --command 'pg_dump db > /srv/db.sql'\n"
	  "8: '|' after cronguard --command runs even when cronguard skips: put it inside the --command string\n"
	  "10: '|' after cronguard runs even when cronguard skips; use --command '...': 0 10 * * * cronguard -n i --command 'echo 100\\% done | mail x'\n" },
	{ "operators in a system crontab: the rewrite keeps the user", LINT_SYSTEM, NULL, 0,
	  "17 3  * * *\troot   exec nice -n 5 /usr/bin/cronguard -n dump -- pg_dump db>/srv/db.sql\n",
	  "1: '> /srv/db.sql' truncates the file even when cronguard skips; use --command '...': 17 3  * * *\troot   exec nice -n 5 /usr/bin/cronguard -n dump --command 'pg_dump db>/srv/db.sql'\n" },
	/* Issue 15 #2: one name, one lock and one state file, whatever the command. */
	{ "job names shared by different commands", LINT_USER, NULL, 0,
	  "0 1 * * * cronguard --lock -- /opt/a/run\n"
	  "0 2 * * * cronguard --lock -- /opt/b/run --fast\n"
	  "0 3 * * 1-5 cronguard -n backup -- /x\n"
	  "0 4 * * 0,6 cronguard  -n backup --  /x\n"
	  "0 5 * * * cronguard -n sh1 --command 'a | b'\n"
	  "0 6 * * * cronguard -n sh1 --command 'c'\n"
	  "CRONGUARD_NAME=run\n"
	  "0 7 * * * cronguard -- /opt/c/other\n",
	  "1: lines 1, 2, 8 run different commands as job run: they share one lock, one state file and one set of reports; give each its own --name\n"
	  "5: lines 5, 6 run different commands as job sh1: they share one lock, one state file and one set of reports; give each its own --name\n" },
	/* Issue 15 #7: what does not fit between two firings. */
	{ "splay, lock wait and timeout against the period", LINT_USER, "[p7]\nsplay = 20m\n", 9,
	  "*/15 * * * * cronguard -n p1 --splay 15m -- /a\n"
	  "*/10 * * * * cronguard -n p2 --lock --lock-wait 10m -- /a\n"
	  "0 * * * * cronguard -n p3 --timeout 2h -- /a\n"
	  "*/10 * * * * cronguard -n p4 --random-splay --splay 5m --timeout 6m -- /a\n"
	  "0 1 * * * cronguard -n p5 --splay 1h --timeout 4h -- /a\n"
	  "@reboot cronguard -n p6 --splay 1d -- /a\n"
	  "*/15 * * * * cronguard -n p7 -- /a\n"
	  "*/10 * * * * cronguard -n p8 --lock-wait 10m -- /a\n",
	  "1: --splay 15m does not fit in the 15m between runs: a run starts after the next one is due; keep the splay below the period\n"
	  "2: --lock-wait 10m does not fit in the 10m between runs: the runs waiting for the lock queue up\n"
	  "3: --timeout 2h does not fit in the 1h between runs: a run that hangs is still running when the next one is due\n"
	  "4: --timeout 6m after the random splay does not fit in the 10m between runs: a run that hangs is still running when the next one is due\n"
	  "7: --splay 20m does not fit in the 15m between runs: a run starts after the next one is due; keep the splay below the period\n" },
	/* Issue 15 #6: "--splay 10 min" runs "min". */
	{ "a duration split by a space", LINT_USER, NULL, 0,
	  "0 1 * * * cronguard --splay 10 min -- /a\n"
	  "0 2 * * * cronguard -n x -t 2 h /a\n"
	  "0 3 * * * cronguard -n y --timeout=90 s -- /a\n"
	  "0 4 * * * cronguard -n z -s5 m /a\n"
	  "0 5 * * * cronguard -n w --splay 10 -- min\n",
	  "1: '--splay 10 min': a duration is one word (--splay 10min); here 'min' is taken as the command\n"
	  "2: '-t 2 h': a duration is one word (-t 2h); here 'h' is taken as the command\n"
	  "3: '--timeout=90 s': a duration is one word (--timeout=90s); here 's' is taken as the command\n"
	  "4: '-s5 m': a duration is one word (-s5m); here 'm' is taken as the command\n" },
	/* Issue 15 #7: one warning per crowd, saying when it meets. */
	{ "every minute is not 00:00", LINT_USER, NULL, 0,
	  "* * * * * /a\n* * * * * /b\n* * * * * cronguard -n c -- /c\n",
	  "1: 3 jobs start on the same minute without a splay (lines 1, 2, 3; every minute): spread them with cronguard --splay\n" },
};

START_TEST(table)
{
	const struct lint_case *c = &cases[_i];
	struct out o;
	int n = lint(c->text, c->format, c->config, c->same_minute, &o);
	int want_n = 0;

	for (const char *p = c->want; *p; p++)
		want_n += *p == '\n';
	ck_assert_msg(strcmp(o.text, c->want) == 0, "%s: got\n%s\nwant\n%s", c->name, o.text, c->want);
	ck_assert_int_eq(n, want_n);
}
END_TEST

/* A host where cronguard is in /usr/local/bin (make install's) and /opt/cg/bin only. */
static int fake_has_cronguard(void *ctx, const char *dir)
{
	(*(unsigned *)ctx)++;
	return strcmp(dir, "/usr/local/bin") == 0 || strcmp(dir, "/opt/cg/bin") == 0;
}

/* Issue 15 #3 and #7: cron's PATH is /usr/bin:/bin unless the crontab sets one, and lint
 * looks through the wrappers in front of cronguard. */
START_TEST(path_reachable)
{
	static const char text[] =
		"0 1 * * * cronguard -n a -- /a\n"
		"0 2 * * * /usr/local/bin/cronguard -n b -- /a\n"
		"0 3 * * * /usr/bin/cronguard -n c -- /a\n"
		"0 4 * * * nice -n 10 ionice -c 3 cronguard -n d -- /a\n"
		"0 5 * * * sudo -u backup cronguard -n e -- /a\n"
		"0 6 * * * env -i PATH=/opt/cg/bin cronguard -n f -- /a\n"
		"0 7 * * * PATH=/usr/local/bin:$PATH cronguard -n g -- /a\n"
		"0 8 * * * timeout 1h nice -5 cronguard -n h -- /a\n"
		"PATH=/usr/local/bin:/usr/bin:/bin\n"
		"0 10 * * * cronguard -n i -- /a\n"
		"0 11 * * * /usr/bin/env nice cronguard -n j -- /a\n"
		"0 12 * * * flock -n -w 5 /tmp/x cronguard -n k -- /a\n";
	static const char want[] =
		"1: cronguard is not on the crontab's PATH (/usr/bin:/bin): cron says 'cronguard: not found' and the job never runs; write its full path /usr/local/bin/cronguard, or set PATH in the crontab\n"
		"3: /usr/bin/cronguard: not found on this host: cron says 'not found' and the job never runs\n"
		"4: cronguard is not on the crontab's PATH (/usr/bin:/bin): cron says 'cronguard: not found' and the job never runs; write its full path /usr/local/bin/cronguard, or set PATH in the crontab\n"
		"8: cronguard is not on the crontab's PATH (/usr/bin:/bin): cron says 'cronguard: not found' and the job never runs; write its full path /usr/local/bin/cronguard, or set PATH in the crontab\n";
	unsigned asked = 0;
	struct lint_history h = { jobs, 2, NULL, NULL, LINT_USER, 0, fake_has_cronguard, &asked,
				  "/usr/local/bin/cronguard" };
	struct out o = { { 0 }, 0 };

	ck_assert_int_eq(lint_crontab(text, sizeof text - 1, &h, collect, &o), 4);
	ck_assert_str_eq(o.text, want);
	ck_assert_uint_gt(asked, 0);
}
END_TEST

/* Behind any wrapper lint looks through, a line cronguard refuses is still refused, with
 * cronguard's own message (an adversarial review found these linting clean). */
START_TEST(refused_behind_wrappers)
{
	static const char *const wrapped[] = { "nice -n 10", "timeout 1h", "sudo -u bob", "ionice -c3",
					       "flock -n /tmp/x", "env A=1", "nohup" };

	for (size_t i = 0; i < sizeof wrapped / sizeof *wrapped; i++) {
		char text[256];
		struct lint_history h = { jobs, 2, NULL, NULL, LINT_USER, 0, NULL, NULL, NULL };
		struct out o = { { 0 }, 0 };

		snprintf(text, sizeof text, "* * * * * %s /usr/bin/cronguard --fail-after 0 -n a -- /bin/true\n",
			 wrapped[i]);
		lint_crontab(text, strlen(text), &h, collect, &o);
		ck_assert_msg(strstr(o.text, "cronguard: --fail-after: bad count '0'") != NULL,
			      "behind '%s': %s", wrapped[i], o.text);
	}
}
END_TEST

/* The line lint suggests with --command is one lint has nothing against. */
START_TEST(rewrite_lints_clean)
{
	static const char *const lines[] = {
		"0 1 * * * cronguard -n db --vip 10.0.0.50 -- pg_dump db | gzip > /srv/db.gz\n",
		"0 4 * * * cronguard /usr/bin/a4 ; b\n",
		"0 10 * * * cronguard -n i -- echo '100\\% it'\\''s' | mail -s \"x y\" root\n",
	};

	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++) {
		struct out o;
		char line[1024];
		const char *at;

		lint(lines[i], LINT_USER, NULL, 0, &o);
		at = strstr(o.text, "use --command '...': ");
		ck_assert_msg(at != NULL, "%s: %s", lines[i], o.text);
		snprintf(line, sizeof line, "%s", at + 21);
		lint(line, LINT_USER, NULL, 0, &o);
		ck_assert_msg(o.len == 0, "%s: %s", line, o.text);
	}
}
END_TEST

/* Errors are lines that do not do their job; the rest are warnings. */
static void count_errors(void *ctx, unsigned line, enum lint_severity sev, const char *message)
{
	(void)line;
	(void)message;
	((unsigned *)ctx)[sev == LINT_ERROR]++;
}

START_TEST(severities)
{
	static const char text[] = "0 1 * * * cronguard --bogus -- /a\n"
				   "61 * * * * /a\n"
				   "0 2 * * * cronguard --splay 10 min -- /a\n"
				   "0 3 * * * date +%F\n"
				   "0 4 * * * cronguard -n x -- a | b\n";
	unsigned n[2] = { 0, 0 };

	ck_assert_int_eq(lint_crontab(text, sizeof text - 1, NULL, count_errors, n), 5);
	ck_assert_uint_eq(n[1], 3);
	ck_assert_uint_eq(n[0], 2);
}
END_TEST

START_TEST(no_history_no_config)
{
	const char *text = "*/5 * * * * cronguard -n backup -- /x\n";
	struct out o = { { 0 }, 0 };

	ck_assert_int_eq(lint_crontab(text, strlen(text), NULL, collect, &o), 0);
	ck_assert_str_eq(o.text, "");
	ck_assert_int_eq(lint_crontab("", 0, NULL, collect, &o), 0);
}
END_TEST

START_TEST(nul_byte_and_binary)
{
	static const char text[] = "0 1 * * * /a\0b\n\xff\xfe * * * * /a\n";
	struct out o = { { 0 }, 0 };

	ck_assert_int_eq(lint_crontab(text, sizeof text - 1, NULL, collect, &o), 2);
	ck_assert_str_eq(o.text, "1: NUL byte in the line\n"
				 "2: not a valid crontab line: bad minute field '\xff\xfe'\n");
}
END_TEST

/* Lines cronguard refuses are lint errors with cronguard's own message: the eight lines of
 * issue 11 that used to lint clean, and the grammar of issues 12 and 15. */
static const struct {
	const char *line, *want;
} refused[] = {
	{ "/usr/bin/cronguard --fail-after 0 -n a -- /bin/true",
	  "cronguard: --fail-after: bad count '0' (want 1 or more)" },
	{ "/usr/bin/cronguard --vip 10.0.0.300 -n a -- /bin/true",
	  "cronguard: --vip: bad address '10.0.0.300' (want IPv4 or IPv6, optionally /PREFIX)" },
	{ "/usr/bin/cronguard --ping ftp://x -n a -- /bin/true",
	  "cronguard: --ping: bad URL 'ftp://x' (want http:// or https://, no credentials)" },
	{ "/usr/bin/cronguard --label job=x -n a -- /bin/true",
	  "cronguard: --label: bad label 'job=x' (want KEY=VALUE, KEY [A-Za-z_][A-Za-z0-9_]*, not job/instance/host/state)" },
	{ "/usr/bin/cronguard --success-exit 0,,1 -n a -- /bin/true",
	  "cronguard: --success-exit: empty element in '0,,1'" },
	{ "/usr/bin/cronguard --etcd http://x:2379 -n a -- /bin/true",
	  "cronguard: --etcd needs --cluster-lock or --once-per" },
	{ "/usr/bin/cronguard --once-per 1500ms --etcd http://x:2379 -n a -- /bin/true",
	  "cronguard: --once-per: want whole seconds, at least 1s ('1500ms')" },
	{ "/usr/bin/cronguard --standby -n a -- /bin/true", "cronguard: --standby needs --vip" },
	{ "cronguard --etcd http://a:2379,,http://b:2379 --cluster-lock -n a -- /bin/true",
	  "cronguard: --etcd: empty element in 'http://a:2379,,http://b:2379'" },
	{ "cronguard -n .nightly-backup -- /bin/true",
	  "cronguard: --name: bad job name '.nightly-backup' (want 1-64 of A-Z a-z 0-9 _ . -, the first a letter or digit)" },
	{ "cronguard --lock -- sh -c 'backup; rotate'",
	  "cronguard: the command 'sh' is a shell or a command runner, which names no job: give the job its name with --name" },
	{ "cronguard --lock -- /usr/bin/nice -n 10 /usr/local/bin/backup",
	  "cronguard: the command 'nice' is a shell or a command runner, which names no job: give the job its name with --name" },
	{ "cronguard --time 1h -n a -- /bin/true",
	  "cronguard: option '--time' is not spelled in full: write --timeout" },
	{ "cronguard --status --lint-crontab /etc/crontab",
	  "cronguard: --status and --lint-crontab do not go together" },
	{ "cronguard --label note=caf\xe9 -n a -- /bin/true",
	  "cronguard: --label: the value of label 'note' is not UTF-8" },
	{ "CRONGUARD_LOCK= cronguard -n a -- /bin/true",
	  "cronguard: CRONGUARD_LOCK: --lock: empty value (want yes or no)" },
	{ "CRONGUARD_VIP= cronguard -n a -- /bin/true",
	  "cronguard: CRONGUARD_VIP: --vip: empty element in ''" },
};

START_TEST(refused_like_cronguard)
{
	char text[512], want[512];
	struct out o;

	snprintf(text, sizeof text, "* * * * * %s\n", refused[_i].line);
	snprintf(want, sizeof want, "1: %s\n", refused[_i].want);
	ck_assert_int_eq(lint(text, LINT_USER, NULL, 0, &o), 1);
	ck_assert_str_eq(o.text, want);
}
END_TEST

/* What cronguard itself says of ARGS with no environment and no config: "" when it takes them. */
static void cronguard_says(char **argv, int argc, char *msg, size_t len)
{
	struct options_source src = { NULL, NULL, NULL };
	struct options opt;
	char err[512];

	msg[0] = '\0';
	if (options_parse(&opt, argc, argv, &src, err, sizeof err) < 0 ||
	    (opt.action != ACTION_HELP && opt.action != ACTION_VERSION &&
	     options_check(&opt, err, sizeof err) < 0))
		snprintf(msg, len, "1: cronguard: %s\n", err);
	options_free(&opt);
}

/* Every row of the one option table, on a crontab line: lint says exactly what cronguard says
 * of the same words, and knows each row's need for a value, its --no- form, its full spelling
 * and its environment variable. */
START_TEST(every_row_on_a_line)
{
	struct options_info in;

	for (size_t i = 0; options_describe(i, &in) == 0; i++) {
		char opt[96], text[512], var[96], want[600];
		char *argv[8] = { (char *)"cronguard", (char *)"-n", (char *)"job", opt };
		struct out o;
		int argc = 4;
		size_t k;

		if (in.type == OPT_ACTION)
			continue;
		snprintf(opt, sizeof opt, "--%s", in.name);
		if (in.arg)
			argv[argc++] = (char *)in.example;
		argv[argc++] = (char *)"--";
		argv[argc++] = (char *)"/a";
		argv[argc] = NULL;
		cronguard_says(argv, argc, want, sizeof want);
		/* A dry run is cronguard's to take, and lint's to warn of. */
		if (!want[0] && strcmp(in.name, "dry-run") == 0)
			snprintf(want, sizeof want, "1: cronguard --dry-run in a crontab line: the command never runs\n");
		snprintf(text, sizeof text, "0 1 * * * cronguard -n job --%s%s%s -- /a\n", in.name,
			 in.arg ? " " : "", in.arg ? in.example : "");
		lint(text, LINT_USER, NULL, 0, &o);
		ck_assert_msg(strcmp(o.text, want) == 0, "--%s: got '%s', want '%s'", in.name, o.text, want);

		/* A value-taking option at the end of the line, or a flag given a value. */
		snprintf(text, sizeof text, "* * * * * cronguard -n job --%s%s\n", in.name, in.arg ? "" : "=1 -- /a");
		lint(text, LINT_USER, NULL, 0, &o);
		ck_assert_msg(strstr(o.text, in.arg ? "needs a value" : "takes no value"), "--%s: %s", in.name, o.text);

		/* An abbreviation. */
		snprintf(text, sizeof text, "* * * * * cronguard -n job --%.*s -- /a\n",
			 (int)strlen(in.name) - 1, in.name);
		lint(text, LINT_USER, NULL, 0, &o);
		ck_assert_msg(strstr(o.text, "is not spelled in full") && strstr(o.text, opt), "--%s: %s",
			      in.name, o.text);

		if (in.type == OPT_FLAG) {
			snprintf(text, sizeof text, "* * * * * cronguard -n job --no-%s -- /a\n", in.name);
			lint(text, LINT_USER, NULL, 0, &o);
			ck_assert_msg(o.len == 0, "--no-%s: %s", in.name, o.text);
		}

		snprintf(var, sizeof var, "CRONGUARD_");
		for (k = 0; in.name[k]; k++)
			var[10 + k] = in.name[k] == '-' ? '_' : (char)(in.name[k] - 'a' + 'A');
		var[10 + k] = '\0';
		snprintf(text, sizeof text, "%s=%s\n", var, in.arg ? in.example : "no");
		lint(text, LINT_USER, NULL, 0, &o);
		if (in.from & OPT_FROM_ENV)
			ck_assert_msg(o.len == 0, "%s: %s", var, o.text);
		else
			ck_assert_msg(strstr(o.text, "unknown environment variable"), "%s: %s", var, o.text);
	}
}
END_TEST

/* Words only the shell knows ($X, $(...)) are not held against a line; the rest still is. */
START_TEST(expansions)
{
	struct out o;

	ck_assert_int_eq(lint("0 1 * * * cronguard -n \"$JOB\" -s \"$SPLAY\" $OPTS -- /a\n"
			      "0 2 * * * cronguard --lock -- $CMD\n"
			      "0 3 * * * CRONGUARD_NAME=$JOB cronguard -- /usr/local/bin/backup\n"
			      "0 4 * * * cronguard -n x --vip \"$VIP\" -- /a\n"
			      "0 5 * * * cronguard -n x -- tar czf /srv/x-$(date +\\%s).tgz .\n"
			      "0 6 * * * cronguard --bogus \"$X\" -- /a\n"
			      "0 7 * * * cronguard -n x --standby -- \"$CMD\"\n",
			      LINT_USER, NULL, 0, &o), 2);
	ck_assert_str_eq(o.text, "6: cronguard: unknown option '--bogus' (see --help)\n"
				 "7: cronguard: --standby needs --vip\n");
}
END_TEST

/* The config file is cronguard's: its global entries and the job's section reach each line,
 * and a bad value in them is cronguard's refusal of that line. */
START_TEST(config_on_the_line)
{
	struct out o;

	ck_assert_int_eq(lint("0 1 * * * cronguard -n a -- /a\n"
			      "0 2 * * * cronguard -n b -- /b\n"
			      "0 3 * * * cronguard -n c --no-lock -- /c\n",
			      LINT_USER, "[a]\nstandby = yes\n[b]\nfail-after = 0\n[c]\nlock = yes\n", 0, &o), 2);
	ck_assert_str_eq(o.text, "1: cronguard: --standby needs --vip\n"
				 "2: cronguard: cronguard.conf:4: --fail-after: bad count '0' (want 1 or more)\n");
}
END_TEST

/* State files as state.c writes them. */
static void write_state(const char *dir, const char *job, enum run_state state, double seconds,
			json_t *old, json_t **doc)
{
	struct run_record rec = { .job = job, .host = "h1", .state = state,
				  .start_us = 1700000000000000, .duration_us = (int64_t)(seconds * 1e6) };
	char path[4096];

	rec.end_us = rec.start_us + rec.duration_us;
	snprintf(rec.run_id, sizeof rec.run_id, "00000000-0000-4000-8000-000000000000");
	*doc = state_update(old, &rec, NULL);
	ck_assert_ptr_nonnull(*doc);
	snprintf(path, sizeof path, "%s/%s.json", dir, job);
	ck_assert_int_eq(json_dump_file(*doc, path, JSON_INDENT(2)), 0);
}

static const struct lint_job *find(const struct lint_history *h, const char *name)
{
	for (size_t i = 0; i < h->njobs; i++)
		if (strcmp(h->jobs[i].name, name) == 0)
			return &h->jobs[i];
	return NULL;
}

START_TEST(history_from_state_files)
{
	char dir[] = "/tmp/cg-lint-XXXXXX", path[4096], err[256];
	struct lint_history h;
	json_t *a, *b, *c;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* A success of 7m, then a failure of 2m: the longer of the two is the usual one. */
	write_state(dir, "backup", RUN_SUCCESS, 420.5, NULL, &a);
	write_state(dir, "backup", RUN_FAILURE, 120, a, &b);
	json_decref(a);
	json_decref(b);
	/* A timeout of 1h is a run too; a skip and an error say nothing about the length. */
	write_state(dir, "slow", RUN_TIMEOUT, 3600, NULL, &a);
	write_state(dir, "skipped", RUN_SKIPPED_LOCKED, 0.002, NULL, &b);
	write_state(dir, "broken", RUN_ERROR, 5, NULL, &c);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	snprintf(path, sizeof path, "%s/torn.json", dir);
	f = fopen(path, "w");
	fputs("{\"last_run\": {\"dur", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/.backup.json.Xy12ab", dir);
	f = fopen(path, "w");
	fputs("{}", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/cronguard.conf", dir);
	f = fopen(path, "w");
	fputs("lock = yes\n", f);
	fclose(f);

	ck_assert_int_eq(lint_history_load(&h, dir, path, err, sizeof err), 0);
	ck_assert_uint_eq(h.njobs, 2);
	ck_assert_ptr_nonnull(find(&h, "backup"));
	ck_assert_uint_eq(find(&h, "backup")->duration_ms, 420500);
	ck_assert_ptr_nonnull(find(&h, "slow"));
	ck_assert_uint_eq(find(&h, "slow")->duration_ms, 3600000);
	ck_assert_ptr_nonnull(h.conf);
	ck_assert_uint_eq(h.conf->n, 1);
	ck_assert_str_eq(h.conf->v[0].key, "lock");
	lint_history_free(&h);

	ck_assert_int_eq(lint_history_load(&h, "/nonexistent/cronguard", NULL, err, sizeof err), 0);
	ck_assert_uint_eq(h.njobs, 0);
	ck_assert_ptr_null(h.conf);
	ck_assert_int_eq(lint_history_load(&h, dir, "/nonexistent/cronguard.conf", err, sizeof err), -1);
	ck_assert_str_eq(err, "cannot read /nonexistent/cronguard.conf: No such file or directory");

	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* The whole path --lint-crontab takes: file, state dir, config, "FILE:LINE: message". */
START_TEST(lint_file_prints_file_line_message)
{
	char dir[] = "/tmp/cg-lint-XXXXXX", crontab[256], conf[256], err[256], *text = NULL;
	size_t len = 0;
	json_t *doc;
	FILE *f, *out;
	int n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_state(dir, "backup", RUN_SUCCESS, 600, NULL, &doc);
	json_decref(doc);
	/* An executable cronguard in DIR/bin, and the crontab's PATH finds it there. */
	snprintf(conf, sizeof conf, "%s/bin", dir);
	ck_assert_int_eq(mkdir(conf, 0755), 0);
	snprintf(conf, sizeof conf, "%s/bin/cronguard", dir);
	f = fopen(conf, "w");
	fclose(f);
	ck_assert_int_eq(chmod(conf, 0755), 0);
	snprintf(crontab, sizeof crontab, "%s/crontab", dir);
	f = fopen(crontab, "w");
	fprintf(f, "PATH=/nonexistent:%s/bin\n"
		"*/5 * * * * cronguard -n backup -- /usr/local/bin/backup.sh\n"
		"*/5 * * * * cronguard -n pgdump -- pg_dump -f /srv/db-$(date +%%F).sql\n", dir);
	fclose(f);
	snprintf(conf, sizeof conf, "%s/conf", dir);
	f = fopen(conf, "w");
	fputs("[pgdump]\nlock = yes\n", f);
	fclose(f);

	out = open_memstream(&text, &len);
	n = lint_file(crontab, dir, conf, 0, out, err, sizeof err);
	fclose(out);
	ck_assert_int_eq(n, 2);
	{
		char want[8192];

		snprintf(want, sizeof want,
			 "%s:2: job backup can start again 5m after a run, but a recent run took 10m, and the line has no --lock: runs will overlap\n"
			 "%s:3: unescaped %% in the command: cron ends the command there and feeds the rest to its standard input; write \\%%\n",
			 crontab, crontab);
		ck_assert_str_eq(text, want);
	}
	free(text);

	/* --format json, and cron's default PATH, which has no cronguard of ours. */
	f = fopen(crontab, "w");
	fputs("0 1 * * * nice -n 5 cronguard -n pgdump -- /usr/bin/pg_dump\n"
	      "0 2 * * * date \"+%F\"\n", f);
	fclose(f);
	out = open_memstream(&text, &len);
	n = lint_file(crontab, dir, NULL, 1, out, err, sizeof err);
	fclose(out);
	ck_assert_int_eq(n, access("/usr/bin/cronguard", X_OK) == 0 || access("/bin/cronguard", X_OK) == 0 ? 1 : 2);
	{
		json_error_t je;
		json_t *arr = json_loads(text, 0, &je), *last;

		ck_assert_msg(arr != NULL && json_is_array(arr), "not a JSON array: %s", text);
		ck_assert_uint_eq(json_array_size(arr), (size_t)n);
		last = json_array_get(arr, json_array_size(arr) - 1);
		ck_assert_str_eq(json_string_value(json_object_get(last, "file")), crontab);
		ck_assert_int_eq(json_integer_value(json_object_get(last, "line")), 2);
		ck_assert_str_eq(json_string_value(json_object_get(last, "severity")), "warning");
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(last, "message")), "unescaped %"));
		if (n == 2) {
			json_t *first = json_array_get(arr, 0);

			ck_assert_str_eq(json_string_value(json_object_get(first, "severity")), "error");
			ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(first, "message")),
						     "cronguard is not on the crontab's PATH (/usr/bin:/bin)"));
		}
		json_decref(arr);
	}
	free(text);
	/* No warning at all is an empty array, still one JSON document. */
	f = fopen(crontab, "w");
	fputs("# nothing\n", f);
	fclose(f);
	out = open_memstream(&text, &len);
	ck_assert_int_eq(lint_file(crontab, dir, NULL, 1, out, err, sizeof err), 0);
	fclose(out);
	ck_assert_str_eq(text, "[]\n");
	free(text);

	out = open_memstream(&text, &len);
	ck_assert_int_eq(lint_file("/nonexistent/crontab", dir, NULL, 0, out, err, sizeof err), -1);
	fclose(out);
	ck_assert_str_eq(err, "cannot read /nonexistent/crontab: No such file or directory");
	ck_assert_str_eq(text, "");
	free(text);

	snprintf(conf, sizeof conf, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(conf), 0);
}
END_TEST

Suite *lint_suite(void)
{
	Suite *s = suite_create("lint");
	TCase *tc = tcase_create("crontabs");

	tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof *cases));
	tcase_add_test(tc, no_history_no_config);
	tcase_add_test(tc, path_reachable);
	tcase_add_test(tc, refused_behind_wrappers);
	tcase_add_test(tc, rewrite_lints_clean);
	tcase_add_test(tc, severities);
	tcase_add_test(tc, nul_byte_and_binary);
	suite_add_tcase(s, tc);
	tc = tcase_create("options");
	tcase_add_loop_test(tc, refused_like_cronguard, 0, sizeof refused / sizeof *refused);
	tcase_add_test(tc, every_row_on_a_line);
	tcase_add_test(tc, expansions);
	tcase_add_test(tc, config_on_the_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("history");
	tcase_add_test(tc, history_from_state_files);
	tcase_add_test(tc, lint_file_prints_file_line_message);
	suite_add_tcase(s, tc);
	return s;
}
