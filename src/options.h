/* Options: defaults < config file < CRONGUARD_* environment < command line, all validated. */
#ifndef CRONGUARD_OPTIONS_H
#define CRONGUARD_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "record.h"
#include "vip.h"

enum action { ACTION_RUN, ACTION_HELP, ACTION_VERSION, ACTION_STATUS, ACTION_LINT };

struct strlist {
	char **v;
	size_t n;
};

struct options {
	enum action action;
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

	char **argv;              /* the command, NULL-terminated; points into the caller's argv */
	int argc;
};

/* options_load fills OPTS from ARGV, the environment and the config file, in the contract's
 * precedence, and validates everything. Returns 0, or -1 with one line in ERR naming the
 * option (or FILE:LINE) and the bad value. options_free releases what it allocated. */
int options_load(struct options *opts, int argc, char **argv, char *err, size_t errlen);
void options_free(struct options *opts);

/* options_usage writes the --help text. */
void options_usage(FILE *out);

/* options_success_exit tells whether CODE counts as success. */
int options_success_exit(const struct options *opts, int code);

/* options_valid_name checks a job name: [A-Za-z0-9_.-], 1 to 64 characters. */
int options_valid_name(const char *name);

#endif
