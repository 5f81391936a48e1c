/* Options: defaults < config file < CRONGUARD_* environment < command line, all validated. */
#ifndef CRONGUARD_OPTIONS_H
#define CRONGUARD_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "record.h"
#include "vip.h"

enum action { ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_STATUS, ACTION_LINT, ACTION_FORGET };

struct strlist {
	char **v;
	size_t n;
};

struct options {
	enum action action;
	unsigned actions;         /* 1 << ACTION_x for each action asked for, for options_check */
	char *name;
	char *host;
	struct label *labels;
	size_t nlabels;
	char *config;             /* the config file read, or NULL */
	int dry_run;
	int verbose;

	uint64_t splay_ms;
	char *splay_seed;
	int random_splay;

	struct strlist vips;      /* the addresses as given, for messages */
	struct vip_addr *vip_addrs; /* ... and parsed, nvips == vips.n of them */
	char *vip_dev;
	int standby;
	int vip_watch;

	int lock;
	char *lock_file;          /* NULL: the default path for NAME */
	uint64_t lock_wait_ms;

	uint64_t timeout_ms;      /* 0: none */
	uint64_t kill_after_ms;   /* 0: never KILL */
	int quiet;

	int skip_exit;
	uint8_t success_exit[32]; /* bitmap of exit codes 0..255 that count as success */
	unsigned fail_after;

	/* Sinks beyond the local ones; NULL when not wanted. */
	char *ping;
	char *pushgateway;
	char *influx;
	char *influx_token_file;
	char *influx_user;
	char *influx_password_file;
	char *webhook;
	char *textfile_dir;
	uint64_t report_timeout_ms;
	char *ca_file;
	char *client_cert;
	char *client_key;
	int insecure;
	unsigned spool_max;

	/* Cluster coordination on etcd. */
	struct strlist etcd;      /* endpoints, scheme://host:port */
	int cluster_lock;
	uint64_t once_per_ms;     /* 0: no claim */
	char *etcd_prefix;        /* always set; ends as given (default "/cronguard/") */
	uint64_t etcd_ttl_ms;
	int etcd_fail_open;
	char *etcd_ca_file;
	char *etcd_cert;
	char *etcd_key;
	char *etcd_user;
	char *etcd_password_file;

	char *state_dir;
	int no_syslog;

	char *lint_crontab;       /* --lint-crontab FILE */
	char *format;             /* --format: lint's output, "text" or "json"; NULL: text */

	char *command;            /* --command STRING: shell text run by SHELL_ARGV, or NULL */
	char *splay_slot;         /* --splay-slot I/N, checked by splay_slot_parse, or NULL */
	char *shell_argv[6];      /* --command's argv, built by options_load (argv points here) */

	/* Monitoring (issue 16). */
	uint64_t period_ms;       /* --period: how often the job is meant to run; 0: unknown */
	uint64_t min_duration_ms; /* a success faster than this is a failure; 0: none */
	uint64_t max_age_ms;      /* --status: 0 means twice each job's period, when known */
	int json;                 /* --status --json */
	char *forget;             /* --forget NAME */
	struct strlist names;     /* every -n given on the command line: --status's selection */

	char **argv;              /* the command, NULL-terminated; points into the caller's argv, or
				   * at shell_argv with --command */
	int argc;
};

struct conf;

/* options_load fills OPTS from ARGV, the environment and the config file, in the contract's
 * precedence, validates everything and applies options_check. Returns 0, or -1 with one line
 * in ERR naming the option (or FILE:LINE) and the bad value. options_free releases what it
 * allocated (also after a failed load). */
int options_load(struct options *opts, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *opts);

/* Where options_parse takes what options_load would read. */
struct options_source {
	char *const *env;         /* NAME=VALUE strings, as environ has them; NULL: none */
	const struct conf *conf;  /* the default config file, parsed (options_check_conf'ed); NULL: none */
	const char *conf_path;    /* its name, for FILE:LINE messages */
};

/* options_parse is options_load's grammar without its reads: the same parsing, layering and
 * validation of ARGV over SRC, reading no file, no environ and no hostname (so HOST and
 * STATE_DIR stay NULL). A line that names another config file (--config, CRONGUARD_CONFIG)
 * gets none. It does not apply options_check. Same return as options_load. */
int options_parse(struct options *opts, int argc, char **argv, const struct options_source *src,
		  char *err, size_t errlen);

/* options_check applies the rules between options (--standby needs --vip, --etcd needs a
 * cluster option, a command is given or not, ...). Returns 0, or -1 with one line in ERR. */
int options_check(const struct options *opts, char *err, size_t errlen);

/* options_check_conf checks that every key of C (every section parsed into it: all of them
 * for lint's conf_parse, the global ones and the job's for a run's conf_parse_job) is an
 * option the config file may set. PATH names the file in the message. Returns 0 or -1. */
int options_check_conf(const struct conf *c, const char *path, char *err, size_t errlen);

/* options_usage writes the --help text. */
void options_usage(FILE *out);

/* options_success_exit tells whether CODE counts as success. */
int options_success_exit(const struct options *opts, int code);

/* options_valid_name checks a job name: [A-Za-z0-9_.-], 1 to 64 characters, the first a letter
 * or a digit. */
int options_valid_name(const char *name);

/* --command's shell: bash, for pipefail (see options_load). */
#define OPTIONS_SHELL "/bin/bash"

/* The option table, as tests and documentation see it. */
enum options_type { OPT_STRING, OPT_PATH, OPT_URL, OPT_FLAG, OPT_DURATION, OPT_UINT, OPT_LIST,
		    OPT_ACTION };
#define OPT_FROM_CLI 1u
#define OPT_FROM_ENV 2u
#define OPT_FROM_CONF 4u

struct options_info {
	const char *name;         /* the long name, without "--" */
	char shortopt;            /* 0: none */
	const char *arg;          /* its value's name in --help, or NULL for a flag or action */
	unsigned from;            /* OPT_FROM_* */
	enum options_type type;
	const char *example;      /* a value it accepts on its own, or NULL when it takes none */
};

/* options_describe fills INFO with row I of the table; returns -1 past the last one. */
int options_describe(size_t i, struct options_info *info);

#endif
