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

/* What lint knows besides the crontab. All zero (or a NULL pointer) is valid: no history,
 * no config file, the format guessed, the default threshold. */
struct lint_history {
	struct lint_job *jobs;    /* usual durations, for the overlap check */
	size_t njobs;
	struct conf *conf;        /* the config file, parsed once and options_check_conf'ed, or NULL */
	const char *conf_path;    /* its name, in cronguard's messages */
	enum lint_format format;
	unsigned same_minute;     /* 0: LINT_SAME_MINUTE */
};

/* lint_emit_fn receives each warning, in line order; LINE is 1-based. */
typedef void (*lint_emit_fn)(void *ctx, unsigned line, const char *message);

/* lint_crontab reads the crontab TEXT[0..LEN) and calls EMIT for each warning: jobs starting
 * on the same minute without a splay, an unescaped % in a cronguard line, duplicate lines,
 * cronguard lines without a lock that can start again before their last run's duration is
 * over, lines cron itself would reject, and every cronguard line or CRONGUARD_ variable that
 * cronguard would refuse, with the message cronguard prints ("cronguard: ..."): each line's
 * words go through options_parse and options_check, over the crontab's variables and the
 * config file in HIST. Pure. Returns the number of warnings,
 * or -1 with errno ENOMEM (nothing emitted). */
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
 * CONFIG_PATH (or NULL), printing "PATH:LINE: message" lines on OUT. /etc/crontab and files
 * under /etc/cron.d are read with a user field, others are guessed. Returns the number of
 * warnings, or -1 with a message in ERR when the file, the state dir or the config cannot
 * be read. */
int lint_file(const char *path, const char *state_dir, const char *config_path, FILE *out,
	      char *err, size_t errlen);

#endif
