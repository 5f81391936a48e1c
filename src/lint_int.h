/* What lint.c and its check files share: the lint state, its warnings, and their helpers. */
#ifndef CRONGUARD_LINT_INT_H
#define CRONGUARD_LINT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cronsched.h"
#include "lint.h"
#include "shword.h"

/* One warning or error, kept until the end: they are said in line order, then as found. */
struct warning {
	unsigned line, seq;
	enum lint_severity sev;
	char *msg;
};

/* One job line as read, for the checks across the crontab (lint_across.c). */
struct job {
	unsigned line;
	struct cronsched s;
	int splayed;
	int duplicate;                    /* already reported: not counted again in a crowd */
	int named;                        /* its name's collision already said */
	char *key;                        /* user and normalised command, for duplicates */
	char *name;                       /* user and cronguard job name, or NULL */
	char *what;                       /* what that job runs: its command words, or --command */
	struct cronsched_times t;
};

/* What one cronguard invocation tells the line: for the crowd and the name checks. */
struct seen {
	int splayed;
	char *name, *what;
};

/* The state of one lint_crontab run. */
struct lint {
	const struct lint_history *h;
	enum lint_format format;
	unsigned same_minute;
	struct warning *w;
	size_t nw, wcap;
	char **env;                       /* the crontab's valid CRONGUARD_ variables, NAME=VALUE */
	size_t nenv, envcap;
	int env_dry_run;                  /* CRONGUARD_DRY_RUN is on (said once, at its line) */
	char *path;                       /* the crontab's PATH line, or NULL: cron's default */
	struct job *jobs;
	size_t njobs, jobcap;
	int oom;
};

/* A line that works but burns. */
void lint_warn(struct lint *l, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A line that does not do its job: cron or cronguard refuses it, or its command never runs. */
void lint_fault(struct lint *l, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* lint_vars.c: a variable line as cron reads one (NAME = VALUE, either side optionally
 * quoted), what it means for the lines below, and a command's duplicate key. */
int lint_parse_var(const char *s, char *name, char *value);
void lint_var(struct lint *l, unsigned line, const char *name, const char *value);
void lint_normalise(const char *s, char *out);

/* lint_path.c: the wrappers lint looks through to find cronguard, and whether cron finds it. */
void lint_skip_wrappers(const struct shword *seg, size_t ns, size_t *p, char **path);
void lint_check_reachable(struct lint *l, unsigned line, const char *word, const char *path);

/* lint_across.c: the checks over all the crontab's jobs, once every line is read. */
void lint_same_minute(struct lint *l);
void lint_names(struct lint *l);

/* The small helpers every lint file reads lines and bit sets with. */
static inline int blank(char c)
{
	return c == ' ' || c == '\t';
}

static inline int bit(const uint64_t *bits, unsigned i)
{
	return (int)((bits[i / 64] >> (i % 64)) & 1);
}

static inline void set_bit(uint64_t *bits, unsigned i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static inline size_t popcount(const uint64_t *b, size_t words)
{
	size_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (size_t)__builtin_popcountll(b[i]);
	return n;
}

#endif
