/* --lint-crontab: reads a crontab and warns about what burns people on a fleet. */
#ifndef CRONGUARD_LINT_H
#define CRONGUARD_LINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct conf;

/* Unsplayed jobs starting on the same minute that make a warning, unless told otherwise. */
#define LINT_SAME_MINUTE 3

enum lint_format {
	LINT_AUTO,    /* guess from the lines (a user field such as "root" before the command) */
	LINT_USER,    /* crontab -e: five time fields, then the command */
	LINT_SYSTEM,  /* /etc/crontab and /etc/cron.d: five time fields, a user, the command */
};

/* A job's usual duration, from its state file. */
struct lint_job {
	char name[65];
	uint64_t duration_ms;
};

/* cron's PATH when the crontab sets none (Debian's cron, and Vixie cron's _PATH_DEFPATH). */
#define LINT_CRON_PATH "/usr/bin:/bin"

/* What lint knows besides the crontab. All zero (or a NULL pointer) is valid: no history,
 * no config file, the format guessed, the default threshold, no PATH check. */
struct lint_history {
	struct lint_job *jobs;    /* usual durations, for the overlap check */
	size_t njobs;
	struct conf *conf;        /* the config file, parsed once and options_check_conf'ed, or NULL */
	const char *conf_path;    /* its name, in cronguard's messages */
	enum lint_format format;
	unsigned same_minute;     /* 0: LINT_SAME_MINUTE */
	/* Whether an executable cronguard is in directory DIR; NULL: PATH is not checked. */
	int (*has_cronguard)(void *ctx, const char *dir);
	void *path_ctx;
	const char *installed;    /* where this cronguard is, for the advice (or NULL) */
};

/* An error is a line that does not do its job (cron or cronguard refuses it, the command
 * never runs); a warning is a line that works but burns (a crowd, an overlap, a leak). */
enum lint_severity { LINT_WARNING, LINT_ERROR };

/* lint_emit_fn receives each warning, in line order; LINE is 1-based. */
typedef void (*lint_emit_fn)(void *ctx, unsigned line, enum lint_severity sev, const char *message);

/* lint_crontab reads the crontab TEXT[0..LEN) and calls EMIT for each warning: jobs starting
 * on the same minute without a splay, an unescaped % in any line, duplicate lines, job names
 * shared by lines with different commands, cronguard lines without a lock that can start
 * again before their last run's duration is over, a splay, lock wait or timeout that does not
 * fit in the job's period, shell operators and truncating redirections outside the guard, a
 * duration split by a space, cronguard not on the crontab's PATH (through nice, ionice, env,
 * sudo and the like), lines cron itself would reject, and every cronguard line or CRONGUARD_
 * variable that cronguard would refuse, with the message cronguard prints ("cronguard: ..."):
 * each line's words go through options_parse and options_check, over the crontab's variables
 * and the config file in HIST. Pure, but for HIST's has_cronguard. Returns the number of
 * warnings, or -1 with errno ENOMEM (nothing emitted). */
int lint_crontab(const char *text, size_t len, const struct lint_history *hist, lint_emit_fn emit,
		 void *ctx);

/* lint_history_load fills H with the durations of every job in STATE_DIR (a missing directory
 * is an empty history) and the config file CONFIG_PATH (NULL: none), parsed and checked as
 * cronguard checks it; a bad one is an error, since cronguard refuses every line then. Returns 0, or -1 with a
 * message in ERR. lint_history_free releases what it allocated. */
int lint_history_load(struct lint_history *h, const char *state_dir, const char *config_path,
		      char *err, size_t errlen);
void lint_history_free(struct lint_history *h);

/* lint_file lints the crontab at PATH with the history of STATE_DIR and the config file
 * CONFIG_PATH (or NULL), printing "PATH:LINE: message" lines on OUT, or with JSON one array
 * of {"file", "line", "severity", "message"} objects. cronguard's PATH check looks in the
 * file system. /etc/crontab and files under /etc/cron.d are read with a user field, others
 * are guessed. Returns the number of warnings, or -1 with a message in ERR when the file,
 * the state dir or the config cannot be read. */
int lint_file(const char *path, const char *state_dir, const char *config_path, int json,
	      FILE *out, char *err, size_t errlen);

#endif
