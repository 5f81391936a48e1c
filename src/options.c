/* Options: defaults < config file < CRONGUARD_* environment < command line, all validated.
 *
 * One table (defs[] below) holds every option: its names, where it may come from, the type
 * of its value and the field it sets. getopt, the environment, the config file, --help,
 * validation and options_free all walk it; apply() keeps only the real special cases. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "duration.h"
#include "fileio.h"
#include "options.h"
#include "splay.h"

extern char **environ;

enum opt_id {
	O_NAME, O_HOST, O_LABEL, O_CONFIG, O_DRY_RUN, O_VERBOSE, O_HELP, O_VERSION,
	O_SPLAY, O_SPLAY_SEED, O_RANDOM_SPLAY,
	O_VIP, O_VIP_DEV, O_STANDBY, O_VIP_WATCH,
	O_LOCK, O_LOCK_FILE, O_LOCK_WAIT,
	O_TIMEOUT, O_KILL_AFTER, O_QUIET,
	O_SKIP_EXIT, O_SUCCESS_EXIT, O_FAIL_AFTER,
	O_PING, O_PUSHGATEWAY, O_INFLUX, O_INFLUX_TOKEN_FILE, O_INFLUX_USER, O_INFLUX_PASSWORD_FILE,
	O_WEBHOOK, O_TEXTFILE_DIR, O_REPORT_TIMEOUT, O_CA_FILE, O_CLIENT_CERT, O_CLIENT_KEY,
	O_INSECURE, O_SPOOL_MAX,
	O_ETCD, O_CLUSTER_LOCK, O_ONCE_PER, O_ETCD_PREFIX, O_ETCD_TTL, O_ETCD_FAIL_OPEN,
	O_ETCD_CA_FILE, O_ETCD_CERT, O_ETCD_KEY, O_ETCD_USER, O_ETCD_PASSWORD_FILE,
	O_STATE_DIR, O_NO_SYSLOG, O_STATUS, O_LINT_CRONTAB,
	O_FORMAT, O_COMMAND, O_SPLAY_SLOT,
	O_PERIOD, O_MIN_DURATION, O_MAX_AGE, O_JSON, O_FORGET,
	O_COUNT
};

/* Precedence levels: a value set at a level is replaced only by a higher one. */
enum level { L_DEFAULT, L_CONFIG, L_ENV, L_CLI };

struct loader {
	struct options *o;
	enum level list_level[O_COUNT];
	size_t label_base;   /* labels below this index came from a lower level */
	const char *where;   /* the config file's name while it is applied, for FILE:LINE */
	char *err;
	size_t errlen;
};

/* Row flags. */
#define R_REPEAT 1u   /* a list that each occurrence adds to (else each one replaces it) */
#define R_WHOLE_S 2u  /* a duration in whole seconds */
#define R_ZERO_OK 4u  /* a duration that may also be 0 (none), outside [min, max] */

#define CLI OPT_FROM_CLI
#define ENV OPT_FROM_ENV
#define CONF OPT_FROM_CONF
#define ALL (CLI | ENV | CONF)
#define F(field) offsetof(struct options, field)

struct optdef {
	const char *name;
	char shortopt;
	unsigned char type;       /* enum options_type */
	unsigned char from;       /* OPT_FROM_* */
	unsigned char flags;      /* R_* */
	size_t off;               /* the field it sets */
	uint64_t min, max;        /* durations (ms) and integers; an action's enum action */
	int (*check)(const char *);                   /* strings: the value's rule, or NULL */
	int (*add)(struct loader *, const char *);    /* lists: one element */
	void (*clear)(struct options *);              /* lists: back to empty */
	const char *arg;          /* the value's name in --help; NULL: no value */
	const char *noun, *want;  /* "bad NOUN 'VALUE' (want WANT)" */
	const char *example;      /* a value it accepts on its own (the unit suite's) */
	const char *help;
};

static int fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errlen, fmt, ap);
	va_end(ap);
	/* Values are quoted back as given; a newline in one must not split the one line. */
	for (char *c = ld->err; *c; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
	return -1;
}

/* Strict whole-string unsigned parsing: no sign, no spaces, no trailing junk, no overflow. */
static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned long)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

/* Flags in the environment and the config file: these words only, so that an empty value
 * (CRONGUARD_LOCK=, the usual way to unset) is an error rather than "on". */
static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "1" };
	static const char *const no[] = { "no", "false", "0" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

int options_valid_name(const char *name)
{
	size_t n = strlen(name);

	/* A leading letter or digit: ".x", "." and ".." would be hidden or be directories in the
	 * state directory, "-x" an option to whatever is handed the name. */
	if (n < 1 || n > 64 || !isalnum((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!isalnum((unsigned char)c) && c != '_' && c != '.' && c != '-')
			return 0;
	}
	return 1;
}

/* Host names go into file contents, syslog and reports: printable, no spaces, DNS-sized. */
static int valid_host(const char *h)
{
	size_t n = strlen(h);

	if (n < 1 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isgraph((unsigned char)h[i]))
			return 0;
	return 1;
}

static int valid_vip_dev(const char *v)
{
	return *v && strlen(v) < 16 && !strpbrk(v, "/ \t") && strcmp(v, ".") && strcmp(v, "..");
}

static int valid_seed(const char *v)
{
	return strlen(v) <= 256;
}

static int valid_format(const char *v)
{
	return strcmp(v, "text") == 0 || strcmp(v, "json") == 0;
}

/* One line: cron has already ended it at a newline, and bash would read a NUL as the end. */
static int valid_command(const char *v)
{
	return *v && !strchr(v, '\n');
}

static int valid_splay_slot(const char *v)
{
	unsigned i, n;

	return splay_slot_parse(v, &i, &n) == 0;
}

static int valid_etcd_prefix(const char *v)
{
	return v[0] == '/' && strlen(v) <= 256 && !strpbrk(v, " \t\n");
}

/* Label keys follow Prometheus' rule, so every sink can carry them unchanged. */
static int valid_label_key(const char *k, size_t n)
{
	static const char *const reserved[] = { "job", "instance", "host", "state" };

	if (n < 1 || n > 64 || isdigit((unsigned char)k[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return 0;
	if (n >= 2 && k[0] == '_' && k[1] == '_')
		return 0;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (strlen(reserved[i]) == n && memcmp(reserved[i], k, n) == 0)
			return 0;
	return 1;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF): the state file's JSON
 * can hold nothing else, and a value it drops would differ from what the sinks carry. */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

static int valid_label_value(const char *v)
{
	if (strlen(v) > 256)
		return 0;
	for (const char *p = v; *p; p++)
		if (iscntrl((unsigned char)*p))
			return 0;
	return 1;
}

/* HOST[:PORT] from A to END, as libcurl will take it: a host that is not empty, an IPv6
 * address well-formed inside its brackets, a port 1-65535. Refused here, once, rather than
 * failing in two stderr lines on every run. */
static int valid_authority(const char *a, const char *end)
{
	const char *host_end, *port;
	char addr[INET6_ADDRSTRLEN + 64], *zone;
	struct in6_addr in6;
	unsigned long n = 0;

	if (*a == '[') {
		host_end = memchr(a, ']', (size_t)(end - a));
		if (!host_end || (size_t)(host_end - a - 1) >= sizeof addr)
			return 0;
		memcpy(addr, a + 1, (size_t)(host_end - a - 1));
		addr[host_end - a - 1] = '\0';
		/* A zone (fe80::1%25eth0) is the interface's to judge; the address is ours. */
		if ((zone = strchr(addr, '%')) && (strncmp(zone, "%25", 3) != 0 || !zone[3]))
			return 0;
		if (zone)
			*zone = '\0';
		if (inet_pton(AF_INET6, addr, &in6) != 1)
			return 0;
		port = ++host_end;
		if (port < end && *port != ':')
			return 0;
	} else {
		port = memchr(a, ':', (size_t)(end - a));
		host_end = port ? port : end;
		if (host_end == a || memchr(a, '[', (size_t)(host_end - a)) ||
		    memchr(a, ']', (size_t)(host_end - a)))
			return 0;
	}
	if (port >= end || !port)
		return 1;
	/* ":" then 1-5 digits: an empty port or one over 65535 is a typo, not a default. */
	if (end - ++port < 1 || end - port > 5)
		return 0;
	for (const char *p = port; p < end; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	return n >= 1 && n <= 65535;
}

/* Sink URLs: http or https with a host; credentials in a URL would land in ps(1) and logs. */
static int valid_url(const char *u)
{
	const char *rest, *end;

	if (strncmp(u, "http://", 7) == 0)
		rest = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		rest = u + 8;
	else
		return 0;
	end = rest + strcspn(rest, "/?#");
	if (end == rest || memchr(rest, '@', (size_t)(end - rest)) || !valid_authority(rest, end))
		return 0;
	for (const char *p = u; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	return strlen(u) <= 2048;
}

static int set_str(char **dst, const char *val)
{
	char *s = strdup(val);

	if (!s)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* A path without its trailing slashes ("/" stays): "DIR/" would make the kernel follow a
 * symlink at DIR that our O_NOFOLLOW refuses as "DIR". */
static int set_path(char **dst, const char *val)
{
	size_t n = strlen(val);

	char *s;

	while (n > 1 && val[n - 1] == '/')
		n--;
	if (!(s = strndup(val, n)))
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

/* The files and directories every run of a job must agree on: absolute, so cron (its cwd
 * the home, or /) and a login shell (anywhere) use the same ones. */
static int absolute_path(const char *v)
{
	return v[0] == '/';
}

/* ---- The lists ------------------------------------------------------------------------- */

static void clear_labels(struct options *o)
{
	for (size_t i = 0; i < o->nlabels; i++) {
		free((char *)o->labels[i].key);
		free((char *)o->labels[i].value);
	}
	free(o->labels);
	o->labels = NULL;
	o->nlabels = 0;
}

/* Labels merge across levels by key: a higher level adds its keys and replaces the value of
 * a key given lower (so a --label adds to the config file's); one key twice on one level is
 * an error. */
static int add_label(struct loader *ld, const char *val)
{
	struct options *o = ld->o;
	const char *eq = strchr(val, '=');
	size_t kn = eq ? (size_t)(eq - val) : 0;
	struct label *l;
	char *k, *v;

	if (!eq || !valid_label_key(val, kn) || !valid_label_value(eq + 1))
		return fail(ld, "--label: bad label '%s' (want KEY=VALUE, KEY [A-Za-z_][A-Za-z0-9_]*, "
			    "not job/instance/host/state)", val);
	if (!valid_utf8((const unsigned char *)eq + 1))
		return fail(ld, "--label: the value of label '%.*s' is not UTF-8", (int)kn, val);
	for (size_t i = 0; i < o->nlabels; i++) {
		if (strncmp(o->labels[i].key, val, kn) != 0 || o->labels[i].key[kn] != '\0')
			continue;
		if (i >= ld->label_base)
			return fail(ld, "--label: label '%.*s' given twice", (int)kn, val);
		free((char *)o->labels[i].key);
		free((char *)o->labels[i].value);
		memmove(&o->labels[i], &o->labels[i + 1], (o->nlabels - i - 1) * sizeof *o->labels);
		o->nlabels--;
		ld->label_base--;
		break;
	}
	l = realloc(o->labels, (o->nlabels + 1) * sizeof *l);
	if (!l)
		return fail(ld, "out of memory");
	o->labels = l;
	k = strndup(val, kn);
	v = strdup(eq + 1);
	if (!k || !v) {
		free(k);
		free(v);
		return fail(ld, "out of memory");
	}
	l[o->nlabels].key = k;
	l[o->nlabels].value = v;
	o->nlabels++;
	return 0;
}

static void clear_vips(struct options *o)
{
	for (size_t i = 0; i < o->vips.n; i++)
		free(o->vips.v[i]);
	free(o->vips.v);
	free(o->vip_addrs);
	o->vips.v = NULL;
	o->vips.n = 0;
	o->vip_addrs = NULL;
}

static int add_vip(struct loader *ld, const char *val)
{
	struct options *o = ld->o;
	struct vip_addr a, *na;
	char **nv, *copy;

	if (vip_parse(val, &a) < 0)
		return fail(ld, "--vip: bad address '%s' (want IPv4 or IPv6, optionally /PREFIX)", val);
	if (o->vips.n >= 64)
		return fail(ld, "--vip: more than 64 addresses");
	nv = realloc(o->vips.v, (o->vips.n + 1) * sizeof *nv);
	if (nv)
		o->vips.v = nv;
	na = realloc(o->vip_addrs, (o->vips.n + 1) * sizeof *na);
	if (na)
		o->vip_addrs = na;
	copy = strdup(val);
	if (!nv || !na || !copy) {
		free(copy);
		return fail(ld, "out of memory");
	}
	o->vips.v[o->vips.n] = copy;
	o->vip_addrs[o->vips.n] = a;
	o->vips.n++;
	return 0;
}

static void clear_etcd(struct options *o)
{
	for (size_t i = 0; i < o->etcd.n; i++)
		free(o->etcd.v[i]);
	free(o->etcd.v);
	o->etcd.v = NULL;
	o->etcd.n = 0;
}

static int add_etcd(struct loader *ld, const char *val)
{
	struct options *o = ld->o;
	size_t l = strlen(val);
	char **nv;

	if (!valid_url(val))
		return fail(ld, "--etcd: bad endpoint '%s' (want http:// or https://HOST:PORT)", val);
	nv = realloc(o->etcd.v, (o->etcd.n + 1) * sizeof *nv);
	if (!nv)
		return fail(ld, "out of memory");
	o->etcd.v = nv;
	/* Paths are ours to add (/v3/...): keep just scheme://host:port. */
	while (l > 0 && val[l - 1] == '/')
		l--;
	if (!(o->etcd.v[o->etcd.n] = strndup(val, l)))
		return fail(ld, "out of memory");
	o->etcd.n++;
	return 0;
}

static void clear_success_exit(struct options *o)
{
	memset(o->success_exit, 0, sizeof o->success_exit);
}

/* One element of --success-exit: a code, or a range LO-HI, each 0..255. */
static int add_success_exit(struct loader *ld, const char *val)
{
	const char *dash = strchr(val, '-');
	unsigned long lo, hi;
	char num[8];

	if (dash) {
		size_t n = (size_t)(dash - val);

		if (n == 0 || n >= sizeof num)
			goto bad;
		memcpy(num, val, n);
		num[n] = '\0';
		if (parse_uint(num, 0, 255, &lo) < 0 || parse_uint(dash + 1, lo, 255, &hi) < 0)
			goto bad;
	} else {
		if (parse_uint(val, 0, 255, &lo) < 0)
			goto bad;
		hi = lo;
	}
	for (unsigned long c = lo; c <= hi; c++)
		ld->o->success_exit[c / 8] |= (uint8_t)(1u << (c % 8));
	return 0;
bad:
	return fail(ld, "--success-exit: bad exit code '%s' (want e.g. 0,24 or 0-3)", val);
}

/* The one option table. Rows are in --help order. */
static const struct optdef defs[O_COUNT] = {
	[O_NAME] = { "name", 'n', OPT_STRING, CLI | ENV, 0, F(name), .check = options_valid_name,
		     .arg = "NAME", .noun = "job name",
		     .want = "1-64 of A-Z a-z 0-9 _ . -, the first a letter or digit", .example = "nightly",
		     .help = "job name (default: the command's basename)" },
	[O_HOST] = { "host", 0, OPT_STRING, ALL, 0, F(host), .check = valid_host, .arg = "NAME",
		     .noun = "host name", .want = "1-253 printable characters, no spaces", .example = "web1",
		     .help = "host identity for splay and reports (default: hostname)" },
	[O_LABEL] = { "label", 0, OPT_LIST, ALL, R_REPEAT, F(labels), .add = add_label,
		      .clear = clear_labels, .arg = "KEY=VALUE", .example = "team=db",
		      .help = "add a label to every report (repeatable)" },
	[O_CONFIG] = { "config", 'c', OPT_PATH, CLI | ENV, 0, F(config), .arg = "FILE",
		       .check = absolute_path, .noun = "path", .want = "an absolute path",
		       .example = "/etc/cronguard.conf",
		       .help = "config file (default " SYSCONFDIR "/cronguard.conf)" },
	[O_DRY_RUN] = { "dry-run", 0, OPT_FLAG, ALL, 0, F(dry_run),
			.help = "print every decision as key=value and exit 0" },
	[O_VERBOSE] = { "verbose", 'v', OPT_FLAG, ALL, 0, F(verbose), .help = "explain each step on stderr" },
	[O_HELP] = { "help", 'h', OPT_ACTION, CLI, 0, 0, ACTION_HELP, .help = "show this help and exit" },
	[O_VERSION] = { "version", 'V', OPT_ACTION, CLI, 0, 0, ACTION_VERSION,
			.help = "show the version and exit" },
	[O_SPLAY] = { "splay", 's', OPT_DURATION, ALL, R_ZERO_OK, F(splay_ms), 0, DURATION_MAX_MS,
		      .arg = "DURATION", .example = "10m",
		      .help = "sleep a per-host delay in [0, DURATION) first" },
	[O_SPLAY_SEED] = { "splay-seed", 0, OPT_STRING, ALL, 0, F(splay_seed), .check = valid_seed,
			   .arg = "STRING", .noun = "seed", .want = "at most 256 bytes", .example = "2024",
			   .help = "reshuffle the fleet's delays" },
	[O_RANDOM_SPLAY] = { "random-splay", 0, OPT_FLAG, ALL, 0, F(random_splay),
			     .help = "a fresh random delay each run instead" },
	[O_VIP] = { "vip", 0, OPT_LIST, ALL, R_REPEAT, F(vips), .add = add_vip, .clear = clear_vips,
		    .arg = "ADDR", .example = "10.0.0.50",
		    .help = "run only where this IPv4/IPv6 address is assigned (repeatable)" },
	[O_VIP_DEV] = { "vip-dev", 0, OPT_STRING, ALL, 0, F(vip_dev), .check = valid_vip_dev,
			.arg = "IFACE", .noun = "interface name", .want = "1-15 characters, no / or spaces",
			.example = "eth0", .help = "look for the VIPs on this interface only" },
	[O_STANDBY] = { "standby", 0, OPT_FLAG, ALL, 0, F(standby),
			.help = "invert: run only where none of the VIPs is held" },
	[O_VIP_WATCH] = { "vip-watch", 0, OPT_FLAG, ALL, 0, F(vip_watch),
			  .help = "TERM the command if the VIP leaves during the run" },
	[O_LOCK] = { "lock", 'l', OPT_FLAG, ALL, 0, F(lock),
		     .help = "never overlap: skip while another run holds NAME.lock" },
	[O_LOCK_FILE] = { "lock-file", 0, OPT_PATH, ALL, 0, F(lock_file), .arg = "PATH",
			  .check = absolute_path, .noun = "path", .want = "an absolute path",
			  .example = "/run/lock/backup.lock", .help = "lock this file (implies --lock)" },
	[O_LOCK_WAIT] = { "lock-wait", 'w', OPT_DURATION, ALL, R_ZERO_OK, F(lock_wait_ms), 0,
			  DURATION_MAX_MS, .arg = "DURATION", .example = "1m",
			  .help = "wait this long for the lock before skipping" },
	[O_TIMEOUT] = { "timeout", 't', OPT_DURATION, ALL, R_ZERO_OK, F(timeout_ms), 0, DURATION_MAX_MS,
			.arg = "DURATION", .example = "4h",
			.help = "TERM the command's process group after DURATION" },
	[O_KILL_AFTER] = { "kill-after", 0, OPT_DURATION, ALL, R_ZERO_OK, F(kill_after_ms), 0,
			   DURATION_MAX_MS, .arg = "DURATION", .example = "30s",
			   .help = "then KILL it after this grace (default 10s)" },
	[O_QUIET] = { "quiet", 'q', OPT_FLAG, ALL, 0, F(quiet),
		      .help = "hold the output; print it only if the run failed" },
	[O_SKIP_EXIT] = { "skip-exit", 0, OPT_UINT, ALL, 0, F(skip_exit), 0, 255, .arg = "N",
			  .noun = "exit status", .want = "0-255", .example = "3",
			  .help = "exit status of a skipped run (default 0)" },
	[O_SUCCESS_EXIT] = { "success-exit", 0, OPT_LIST, ALL, 0, F(success_exit),
			     .add = add_success_exit, .clear = clear_success_exit, .arg = "CODES",
			     .example = "0,24", .help = "exit codes that count as success (default 0)" },
	[O_FAIL_AFTER] = { "fail-after", 0, OPT_UINT, ALL, 0, F(fail_after), 1, 1000000, .arg = "N",
			   .noun = "count", .want = "1 or more", .example = "3",
			   .help = "alert only after N consecutive failures (default 1)" },
	[O_PING] = { "ping", 0, OPT_URL, ALL, 0, F(ping), .arg = "URL", .example = "https://hc.example.com/k",
		     .help = "healthchecks-style pings: URL/start, then URL/EXIT" },
	[O_PUSHGATEWAY] = { "pushgateway", 0, OPT_URL, ALL, 0, F(pushgateway), .arg = "URL",
			    .example = "http://pg:9091", .help = "push metrics to this Prometheus Pushgateway" },
	[O_INFLUX] = { "influx", 0, OPT_URL, ALL, 0, F(influx), .arg = "URL",
		       .example = "http://influx:8086/write?db=cron",
		       .help = "write a point to InfluxDB (1.x /write?db= or 2.x /api/v2/write?...)" },
	[O_INFLUX_TOKEN_FILE] = { "influx-token-file", 0, OPT_PATH, ALL, 0, F(influx_token_file),
				  .arg = "FILE", .example = "/etc/cronguard/influx.token",
				  .help = "InfluxDB token, read from FILE" },
	[O_INFLUX_USER] = { "influx-user", 0, OPT_STRING, ALL, 0, F(influx_user), .arg = "NAME",
			    .example = "cron", .help = "InfluxDB 1.x user (with --influx-password-file)" },
	[O_INFLUX_PASSWORD_FILE] = { "influx-password-file", 0, OPT_PATH, ALL, 0, F(influx_password_file),
				     .arg = "FILE", .example = "/etc/cronguard/influx.pw",
				     .help = "InfluxDB 1.x password, read from FILE" },
	[O_WEBHOOK] = { "webhook", 0, OPT_URL, ALL, 0, F(webhook), .arg = "URL",
			.example = "https://hooks.example.com/cron",
			.help = "POST one JSON document per run to URL" },
	[O_TEXTFILE_DIR] = { "textfile-dir", 0, OPT_PATH, ALL, 0, F(textfile_dir), .arg = "DIR",
			     .check = absolute_path, .noun = "path", .want = "an absolute path",
			     .example = "/var/lib/node-exporter",
			     .help = "write node_exporter textfile metrics into DIR" },
	[O_REPORT_TIMEOUT] = { "report-timeout", 0, OPT_DURATION, ALL, 0, F(report_timeout_ms), 1,
			       DURATION_MAX_MS, .arg = "DURATION", .want = "must be more than 0", .example = "15s",
			       .help = "one deadline for all sinks together (default 10s)" },
	[O_CA_FILE] = { "ca-file", 0, OPT_PATH, ALL, 0, F(ca_file), .arg = "FILE", .example = "/etc/ssl/ca.pem",
			.help = "CA bundle for HTTPS sinks (default: the system's)" },
	[O_CLIENT_CERT] = { "client-cert", 0, OPT_PATH, ALL, 0, F(client_cert), .arg = "FILE",
			    .example = "/etc/cronguard/c.pem", .help = "client certificate (PEM) for HTTPS sinks" },
	[O_CLIENT_KEY] = { "client-key", 0, OPT_PATH, ALL, 0, F(client_key), .arg = "FILE",
			   .example = "/etc/cronguard/c.key", .help = "client key (PEM) for HTTPS sinks" },
	[O_INSECURE] = { "insecure", 0, OPT_FLAG, ALL, 0, F(insecure),
			 .help = "do not verify HTTPS certificates (not recommended)" },
	[O_SPOOL_MAX] = { "spool-max", 0, OPT_UINT, ALL, 0, F(spool_max), 0, 1000000, .arg = "N",
			  .noun = "count", .want = "0-1000000", .example = "100",
			  .help = "undelivered reports kept for later (default 1000)" },
	[O_ETCD] = { "etcd", 0, OPT_LIST, ALL, 0, F(etcd), .add = add_etcd, .clear = clear_etcd,
		     .arg = "URL[,URL...]", .example = "http://e1:2379,http://e2:2379",
		     .help = "etcd v3 endpoints, tried in turn" },
	[O_CLUSTER_LOCK] = { "cluster-lock", 0, OPT_FLAG, ALL, 0, F(cluster_lock),
			     .help = "hold a cluster-wide lock (etcd lease) for the run" },
	[O_ONCE_PER] = { "once-per", 0, OPT_DURATION, ALL, R_WHOLE_S | R_ZERO_OK, F(once_per_ms), 1000,
			 DURATION_MAX_MS, .arg = "DURATION", .want = "want whole seconds, at least 1s",
			 .example = "1h", .help = "run at most once per period across the cluster" },
	[O_ETCD_PREFIX] = { "etcd-prefix", 0, OPT_STRING, ALL, 0, F(etcd_prefix), .check = valid_etcd_prefix,
			    .arg = "PREFIX", .noun = "prefix", .want = "/path/", .example = "/cron/",
			    .help = "key prefix in etcd (default /cronguard/)" },
	[O_ETCD_TTL] = { "etcd-ttl", 0, OPT_DURATION, ALL, R_WHOLE_S, F(etcd_ttl_ms), 2000, 86400000,
			 .arg = "DURATION", .want = "want whole seconds from 2s to 1d", .example = "1m",
			 .help = "lease TTL: how long a dead holder blocks (default 30s)" },
	[O_ETCD_FAIL_OPEN] = { "etcd-fail-open", 0, OPT_FLAG, ALL, 0, F(etcd_fail_open),
			       .help = "run anyway when etcd cannot be reached" },
	[O_ETCD_CA_FILE] = { "etcd-ca-file", 0, OPT_PATH, ALL, 0, F(etcd_ca_file), .arg = "FILE",
			     .example = "/etc/etcd/ca.pem", .help = "CA bundle for https etcd endpoints" },
	[O_ETCD_CERT] = { "etcd-cert", 0, OPT_PATH, ALL, 0, F(etcd_cert), .arg = "FILE",
			  .example = "/etc/etcd/c.pem", .help = "client certificate (PEM) for etcd" },
	[O_ETCD_KEY] = { "etcd-key", 0, OPT_PATH, ALL, 0, F(etcd_key), .arg = "FILE",
			 .example = "/etc/etcd/c.key", .help = "client key (PEM) for etcd" },
	[O_ETCD_USER] = { "etcd-user", 0, OPT_STRING, ALL, 0, F(etcd_user), .arg = "NAME", .example = "cron",
			  .help = "etcd user (with --etcd-password-file)" },
	[O_ETCD_PASSWORD_FILE] = { "etcd-password-file", 0, OPT_PATH, ALL, 0, F(etcd_password_file),
				   .arg = "FILE", .example = "/etc/etcd/pw",
				   .help = "etcd password, read from FILE" },
	[O_STATE_DIR] = { "state-dir", 0, OPT_PATH, ALL, 0, F(state_dir), .arg = "DIR",
			  .check = absolute_path, .noun = "path", .want = "an absolute path",
			  .example = "/srv/cron-state",
			  .help = "where run records live (default /var/lib/cronguard)" },
	[O_NO_SYSLOG] = { "no-syslog", 0, OPT_FLAG, ALL, 0, F(no_syslog), .help = "do not write the syslog line" },
	[O_STATUS] = { "status", 0, OPT_ACTION, CLI, 0, 0, ACTION_STATUS,
		       .help = "print every job's last run and exit" },
	[O_LINT_CRONTAB] = { "lint-crontab", 0, OPT_ACTION, CLI, 0, F(lint_crontab), ACTION_LINT,
			     .arg = "FILE", .example = "/etc/crontab",
			     .help = "warn about what burns people in a crontab, and exit" },
	/* Shell text, lint's output and the fleet's slots (issue 15). */
	[O_FORMAT] = { "format", 0, OPT_STRING, CLI, 0, F(format), .check = valid_format, .arg = "FORMAT",
		       .noun = "format", .want = "text or json", .example = "json",
		       .help = "--lint-crontab's output: text (default) or json" },
	[O_COMMAND] = { "command", 0, OPT_STRING, CLI, 0, F(command), .check = valid_command,
			.arg = "STRING", .noun = "command", .want = "one line of shell text",
			.example = "pg_dump db | gzip > /srv/db.gz",
			.help = "run STRING with bash -o pipefail -c, inside the guard (needs --name)" },
	[O_SPLAY_SLOT] = { "splay-slot", 0, OPT_STRING, ALL, 0, F(splay_slot), .check = valid_splay_slot,
			   .arg = "I/N", .noun = "slot", .want = "I/N, 0 <= I < N <= 1000000",
			   .example = "3/10", .help = "host I of N: wait (I + h) / N * SPLAY, evenly spread" },
	/* Monitoring: what makes a missing, a too short or a stale run loud (issue 16). */
	[O_PERIOD] = { "period", 0, OPT_DURATION, ALL, R_ZERO_OK, F(period_ms), 1000, DURATION_MAX_MS,
		       .arg = "DURATION", .want = "at least 1s", .example = "1d",
		       .help = "how often the job is meant to run (for alerts and --status)" },
	[O_MIN_DURATION] = { "min-duration", 0, OPT_DURATION, ALL, R_ZERO_OK, F(min_duration_ms), 1,
			     DURATION_MAX_MS, .arg = "DURATION", .example = "1m",
			     .help = "record a success faster than this as a failure" },
	[O_MAX_AGE] = { "max-age", 0, OPT_DURATION, CLI, 0, F(max_age_ms), 1000, DURATION_MAX_MS,
			.arg = "DURATION", .want = "at least 1s", .example = "2d",
			.help = "--status: a last run older than this is critical (default 2 periods)" },
	[O_JSON] = { "json", 0, OPT_FLAG, CLI, 0, F(json), .help = "--status: print JSON, not a table" },
	[O_FORGET] = { "forget", 0, OPT_ACTION, CLI, 0, F(forget), ACTION_FORGET, .arg = "NAME",
		       .example = "old-job",
		       .help = "remove a job's state, textfile and Pushgateway group, and exit" },
};

static int find_def(const char *key)
{
	for (int i = 0; i < O_COUNT; i++)
		if (strcmp(defs[i].name, key) == 0)
			return i;
	return -1;
}

static char **str_field(struct options *o, int id)
{
	return (char **)((char *)o + defs[id].off);
}

/* ---- One value of one option ------------------------------------------------------------ */

static int set_duration(struct loader *ld, int id, const char *val)
{
	const struct optdef *d = &defs[id];
	uint64_t ms;

	if (duration_parse(val, &ms) < 0)
		return fail(ld, "--%s: %s '%s' (want e.g. 90, 90s, 1h30m, 250ms)", d->name,
			    errno == ERANGE ? "duration too long" : "bad duration", val);
	if (!(ms == 0 && (d->flags & R_ZERO_OK)) &&
	    (ms < d->min || ms > d->max || ((d->flags & R_WHOLE_S) && ms % 1000)))
		return fail(ld, "--%s: %s ('%s')", d->name, d->want ? d->want : "out of range", val);
	*(uint64_t *)((char *)ld->o + d->off) = ms;
	return 0;
}

/* VAL is NULL for a flag given on the command line, NEGATE for its --no- form. */
static int set_flag(struct loader *ld, int id, const char *val, int negate)
{
	int *dst = (int *)((char *)ld->o + defs[id].off);

	if (!val) {
		*dst = !negate;
		return 0;
	}
	if (!*val)
		return fail(ld, "--%s: empty value (want yes or no)", defs[id].name);
	if (parse_bool(val, dst) < 0)
		return fail(ld, "--%s: bad boolean '%s' (want yes or no)", defs[id].name, val);
	return 0;
}

/* A list's value: a comma-separated list where SPLIT, else one element; an empty element
 * is an error anywhere (CRONGUARD_VIP= must not quietly turn the VIP gate off). */
static int set_list(struct loader *ld, int id, const char *val, enum level lvl, int split)
{
	const struct optdef *d = &defs[id];
	const char *p = val;

	if (id == O_LABEL) {
		if (lvl > ld->list_level[id])
			ld->label_base = ld->o->nlabels;
	} else if (lvl > ld->list_level[id] || !(d->flags & R_REPEAT)) {
		/* A list given on a higher level replaces the lower one, as any scalar does. */
		d->clear(ld->o);
	}
	ld->list_level[id] = lvl;
	for (;;) {
		size_t n = split ? strcspn(p, ",") : strlen(p);
		char elem[4096];

		if (n == 0)
			return fail(ld, "--%s: empty element in '%s'", d->name, val);
		if (n >= sizeof elem)
			return fail(ld, "--%s: element longer than %zu bytes", d->name, sizeof elem - 1);
		memcpy(elem, p, n);
		elem[n] = '\0';
		if (d->add(ld, elem) < 0)
			return -1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

/* apply sets one option from one source. VAL is NULL for a flag on the command line. */
static int apply(struct loader *ld, int id, const char *val, enum level lvl, int negate)
{
	const struct optdef *d = &defs[id];
	struct options *o = ld->o;
	unsigned long n;

	switch ((enum options_type)d->type) {
	case OPT_FLAG:
		return set_flag(ld, id, val, negate);
	case OPT_DURATION:
		return set_duration(ld, id, val);
	case OPT_UINT:
		if (parse_uint(val, (unsigned long)d->min, (unsigned long)d->max, &n) < 0)
			return fail(ld, "--%s: bad %s '%s' (want %s)", d->name, d->noun, val, d->want);
		/* int and unsigned fields alike: the value fits both. */
		*(unsigned *)((char *)o + d->off) = (unsigned)n;
		return 0;
	case OPT_LIST:
		/* Repeatable options take one element per occurrence, and a comma-separated list in
		 * one environment variable; the others a list wherever they come from. */
		return set_list(ld, id, val, lvl, !(d->flags & R_REPEAT) || lvl == L_ENV);
	case OPT_URL:
		if (!valid_url(val))
			return fail(ld, "--%s: bad URL '%s' (want http:// or https://, no credentials)",
				    d->name, val);
		break;
	case OPT_PATH:
		if (!*val)
			return fail(ld, "--%s: empty path", d->name);
		if (d->check && !d->check(val))
			return fail(ld, "--%s: bad %s '%s' (want %s)", d->name, d->noun, val, d->want);
		/* The one special case: a lock file of one's own is a lock. */
		if (id == O_LOCK_FILE)
			o->lock = 1;
		return set_path(str_field(o, id), val) < 0 ? fail(ld, "out of memory") : 0;
	case OPT_STRING:
		if (d->check && !d->check(val))
			return fail(ld, "--%s: bad %s '%s' (want %s)", d->name, d->noun, val, d->want);
		break;
	case OPT_ACTION:
		o->action = (enum action)d->min;
		o->actions |= 1u << d->min;
		if (!d->arg)
			return 0;
		break;
	}
	if (set_str(str_field(o, id), val) < 0)
		return fail(ld, "out of memory");
	return 0;
}

/* ---- The sources ------------------------------------------------------------------------ */

static int conf_allowed(int id)
{
	return id >= 0 && (defs[id].from & CONF);
}

int options_check_conf(const struct conf *c, const char *path, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };

	for (size_t i = 0; i < c->n; i++) {
		int id = find_def(c->v[i].key);

		if (!conf_allowed(id))
			return fail(&ld, "%s:%u: %s key '%s'", path, c->v[i].line,
				    id < 0 ? "unknown" : "not allowed in the config file:", c->v[i].key);
	}
	return 0;
}

static int apply_conf_entry(struct loader *ld, const struct conf_entry *e)
{
	int id = find_def(e->key);
	char why[512];

	if (!conf_allowed(id))
		return fail(ld, "%s:%u: unknown key '%s'", ld->where, e->line, e->key);
	if (apply(ld, id, e->value, L_CONFIG, 0) < 0) {
		snprintf(why, sizeof why, "%s", ld->err);
		return fail(ld, "%s:%u: %s", ld->where, e->line, why);
	}
	return 0;
}

/* The global entries, then the job's section: the job's win. */
static int apply_conf(struct loader *ld, const struct conf *c, const char *path)
{
	size_t first = 0, n;

	ld->where = path;
	for (size_t i = 0; i < c->nglobal; i++)
		if (apply_conf_entry(ld, &c->v[c->order[i]]) < 0)
			return -1;
	n = conf_section(c, ld->o->name, &first);
	for (size_t i = 0; i < n; i++)
		if (apply_conf_entry(ld, &c->v[c->order[first + i]]) < 0)
			return -1;
	return 0;
}

/* fileio_read_lines hands the file to the job's parse. */
static int feed_conf(void *job, const char *piece, size_t n)
{
	return conf_job_feed(job, piece, n);
}

/* What opening or reading the config file failed with (errno E), in one line. */
static int config_unreadable(struct loader *ld, const char *path, int e)
{
	if (e == EFBIG)
		return fail(ld, "config %s: larger than 1 MiB", path);
	if (e == ENOMEM)
		return fail(ld, "out of memory");
	return fail(ld, "config %s: %s", path, fileio_strerror(e));
}

/* The config file may hold credentials and decides what runs as whom: refuse one that others
 * could have written, as sudo and ssh do. Returns 1 when PATH was read into C, 0 when it is
 * absent and need not exist, -1 on error. */
static int read_config(struct loader *ld, const char *path, int must_exist, struct conf *c)
{
	struct conf_job job;
	struct stat st;
	char why[512];
	unsigned bad_line = 0;
	int fd, rc;

	/* fileio's reader: a FIFO or a symlink planted as the config never blocks or redirects. */
	fd = fileio_open_at(AT_FDCWD, path, 1 << 20, &st);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		return config_unreadable(ld, path, errno);
	}
	rc = -1;
	if (st.st_mode & S_IWOTH)
		fail(ld, "config %s: writable by any user; refusing it (chmod o-w)", path);
	/* Group-writable is fine only for root's group, as sudo has it: any other group's
	 * members could rewrite what root runs. */
	else if ((st.st_mode & S_IWGRP) && st.st_gid != 0)
		fail(ld, "config %s: writable by group %u; refusing it (chmod g-w %s)", path,
		     (unsigned)st.st_gid, path);
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		fail(ld, "config %s: owned by uid %u, neither root nor this user; refusing it", path,
		     (unsigned)st.st_uid);
	else
		rc = 0;
	if (rc < 0) {
		close(fd);
		return -1;
	}
	/* Only what this job reads is kept, read through a small buffer: other jobs' sections
	 * cost a scan, not a parse nor their memory (lint parses them all). */
	conf_job_init(&job, ld->o->name);
	rc = fileio_read_lines(fd, 1 << 20, feed_conf, &job);
	close(fd);
	if (rc < 0) {
		int e = errno;

		conf_job_free(&job);
		return config_unreadable(ld, path, e);
	}
	rc = conf_job_finish(&job, c, &bad_line, why, sizeof why);
	if (rc < 0)
		return bad_line ? fail(ld, "%s:%u: %s", path, bad_line, why) : fail(ld, "out of memory");
	if (options_check_conf(c, path, ld->err, ld->errlen) < 0) {
		conf_free(c);
		return -1;
	}
	return 1;
}

/* An option name's character in its environment variable's name. */
static char env_char(char c)
{
	return c == '-' ? '_' : (char)toupper((unsigned char)c);
}

static void env_name(int id, char *buf, size_t len)
{
	size_t i = (size_t)snprintf(buf, len, "CRONGUARD_");

	for (const char *p = defs[id].name; *p && i + 1 < len; p++)
		buf[i++] = env_char(*p);
	buf[i] = '\0';
}

/* getenv over ENV; the last of several wins, as with crontab variable lines. */
static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			found = *env + n + 1;
	return found;
}

/* Whether S[0..N), an environment variable's name, is option ID's: CRONGUARD_ and the
 * option's name in upper case, '_' for '-' (env_name), compared in place. */
static int env_is(const char *s, size_t n, int id)
{
	const char *p = defs[id].name;

	if (n < 10 || memcmp(s, "CRONGUARD_", 10) != 0)
		return 0;
	for (s += 10, n -= 10; n && *p; n--, s++, p++)
		if (*s != env_char(*p))
			return 0;
	return n == 0 && *p == '\0';
}

/* The CRONGUARD_ variables of ENV, in one pass over it: one that names no option is an error
 * (a typo in a crontab variable line, CRONGUARD_SPALY=10m, must not pass silently); of
 * several of one name the last wins, as with crontab variable lines. They are then applied
 * in the table's order. */
static int apply_env(struct loader *ld, char *const *env)
{
	const char *val[O_COUNT] = { 0 };
	char name[64], why[512];

	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		int id = -1;

		if (strncmp(*env, "CRONGUARD_", 10) != 0)
			continue;
		for (int i = 0; i < O_COUNT && eq && id < 0; i++)
			if ((defs[i].from & ENV) && env_is(*env, (size_t)(eq - *env), i))
				id = i;
		if (id < 0)
			return fail(ld, "unknown environment variable %.*s", eq ? (int)(eq - *env) : 64, *env);
		val[id] = eq + 1;
	}
	for (int i = 0; i < O_COUNT; i++) {
		if (!val[i] || i == O_NAME || i == O_CONFIG)
			continue;
		if (apply(ld, i, val[i], L_ENV, 0) < 0) {
			env_name(i, name, sizeof name);
			snprintf(why, sizeof why, "%s", ld->err);
			return fail(ld, "%s: %s", name, why);
		}
	}
	return 0;
}

/* ---- The command line ------------------------------------------------------------------- */

/* Commands that run another command: named after them, every such line would be one job
 * sharing one lock and one state file ("sh -c ...", "nice backup"). */
static int is_runner(const char *base)
{
	static const char *const runners[] = {
		"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "csh", "tcsh", "fish", "busybox",
		"env", "nice", "ionice", "nohup", "timeout", "sudo", "su", "doas", "runuser", "setpriv",
		"flock", "chronic", "setsid", "stdbuf", "xargs", "chrt", "taskset", "unbuffer",
		"run-parts", "cronguard", "exec", "command", "time", "systemd-run", "sg", "chpst",
	};

	for (size_t i = 0; i < sizeof runners / sizeof *runners; i++)
		if (strcmp(base, runners[i]) == 0)
			return 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct cli_item {
	int id;
	int negate;          /* --no-FLAG */
	const char *val;
};

/* The long options getopt_long knows: every row's name, and --no-NAME for every flag. */
static char no_names[O_COUNT][32];

static size_t build_longopts(struct option *lo, char *shortopts)
{
	size_t n = 0;
	char *sp = shortopts;

	/* '+': stop at the first non-option, so the command's own options reach it untouched;
	 * ':': report a missing argument distinctly from an unknown option. */
	*sp++ = '+';
	*sp++ = ':';
	for (int i = 0; i < O_COUNT; i++) {
		if (!(defs[i].from & CLI))
			continue;
		lo[n++] = (struct option){ defs[i].name, defs[i].arg ? required_argument : no_argument,
					   NULL, 1000 + i };
		if (defs[i].type == OPT_FLAG) {
			/* Not snprintf: its frame would be the deepest the run's stack reaches. */
			size_t len = strlen(defs[i].name);

			if (len > sizeof no_names[i] - 4)
				len = sizeof no_names[i] - 4;
			memcpy(no_names[i], "no-", 3);
			memcpy(no_names[i] + 3, defs[i].name, len);
			no_names[i][3 + len] = '\0';
			lo[n++] = (struct option){ no_names[i], no_argument, NULL, 2000 + i };
		}
		if (defs[i].shortopt) {
			*sp++ = defs[i].shortopt;
			if (defs[i].arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	lo[n] = (struct option){ 0 };
	return n;
}

/* getopt_long takes any unique prefix (--time for --timeout), which an option added later
 * would silently make ambiguous: a long option must be spelled in full. WORD is the word as
 * given; names the options it could abbreviate in ERR. Returns 0 when spelled in full. */
static int check_spelling(struct loader *ld, const struct option *lo, size_t nlo, const char *word,
			  int is_unknown)
{
	size_t len = strcspn(word + 2, "="), cand = 0;
	char list[512];
	size_t ll = 0;

	list[0] = '\0';
	for (size_t i = 0; i < nlo; i++) {
		if (strncmp(lo[i].name, word + 2, len) != 0)
			continue;
		if (lo[i].name[len] == '\0')
			return 0;
		if (ll < sizeof list)
			ll += (size_t)snprintf(list + ll, sizeof list - ll, "%s--%s", cand ? " or " : "",
					       lo[i].name);
		cand++;
	}
	if (!cand)
		return is_unknown ? fail(ld, "unknown option '%.*s' (see --help)", (int)len + 2, word) : 0;
	return fail(ld, "option '%.*s' is not spelled in full: write %s", (int)len + 2, word, list);
}

/* Reads the options on the command line into ITEMS, in order. Returns 0, 1 when --help or
 * --version answers (even when the rest of the line is wrong), or -1. */
static int scan_cli(struct loader *ld, int argc, char **argv, struct cli_item *items, size_t *nitems)
{
	struct option lo[2 * O_COUNT + 1];
	char shortopts[3 * O_COUNT + 3];
	size_t nlo = build_longopts(lo, shortopts);
	int c;

	opterr = 0;
	/* 0, not 1: glibc then also forgets a half-read group of short options (-lvv) left
	 * over from an earlier call that stopped at an error. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		const char *word = argv[optind - 1];
		int id = -1, negate = 0;

		if (c == '?') {
			if (optopt >= 1000)
				return fail(ld, "option '--%s' takes no value",
					    optopt >= 2000 ? no_names[optopt - 2000] : defs[optopt - 1000].name);
			if (optopt)
				return fail(ld, "unknown option '-%c' (see --help)", optopt);
			if (strncmp(word, "--", 2) == 0)
				return check_spelling(ld, lo, nlo, word, 1);
			return fail(ld, "unknown option '%s' (see --help)", word);
		}
		if (c == ':')
			return fail(ld, "option '%s' needs a value", word);
		if (c >= 2000) {
			id = c - 2000;
			negate = 1;
		} else if (c >= 1000) {
			id = c - 1000;
		}
		for (int i = 0; id < 0 && i < O_COUNT; i++)
			if (defs[i].shortopt == c)
				id = i;
		if (id < 0)
			return fail(ld, "internal error: getopt returned %d", c);
		if (c >= 1000) {
			/* The word this option came from: its value may have been the next one. */
			if (defs[id].arg && !negate && optarg == argv[optind - 1] && optind >= 2)
				word = argv[optind - 2];
			if (check_spelling(ld, lo, nlo, word, 0) < 0)
				return -1;
		}
		if (id == O_HELP || id == O_VERSION) {
			apply(ld, id, NULL, L_CLI, 0);
			return 1;
		}
		items[(*nitems)++] = (struct cli_item){ id, negate, defs[id].arg ? optarg : NULL };
	}
	ld->o->argv = argv + optind;
	ld->o->argc = argc - optind;
	return 0;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->kill_after_ms = 10000;
	o->success_exit[0] = 1;
	o->fail_after = 1;
	o->report_timeout_ms = 10000;
	o->spool_max = 1000;
	o->etcd_ttl_ms = 30000;
	o->action = ACTION_RUN;
}

/* Every -n on the command line, for --status -n A -n B (a run uses the last one). */
static int add_name(struct loader *ld, const char *name)
{
	struct strlist *l = &ld->o->names;
	char **v;

	if (!options_valid_name(name))
		return fail(ld, "--name: bad job name '%s' (want %s)", name, defs[O_NAME].want);
	if (!(v = realloc(l->v, (l->n + 1) * sizeof *v)) || !(v[l->n] = strdup(name))) {
		if (v)
			l->v = v;
		return fail(ld, "out of memory");
	}
	l->v = v;
	l->n++;
	return 0;
}

/* The job name picks the config section, so it is settled before the config is read. */
static int settle_name(struct loader *ld, const char *name, char *const *env, int command)
{
	struct options *o = ld->o;

	if (!name)
		name = env_get(env, "CRONGUARD_NAME");
	/* With --command, a COMMAND too is options_check's error, not a name to take. */
	if (!name && o->action == ACTION_RUN && o->argc > 0 && !command) {
		const char *base = base_name(o->argv[0]);

		if (is_runner(base))
			return fail(ld, "the command '%s' is a shell or a command runner, which names no job: "
				    "give the job its name with --name", base);
		if (!options_valid_name(base))
			return fail(ld, "the command's name '%s' is not a valid job name; give -n NAME", base);
		name = base;
	}
	return name ? apply(ld, O_NAME, name, L_CLI, 0) : 0;
}

/* The grammar shared by options_load (READ: the config file and the environment as found)
 * and options_parse (SRC as given, nothing read). */
static int load(struct loader *ld, int argc, char **argv, const struct options_source *src, int read)
{
	struct options *o = ld->o;
	struct cli_item *cli;
	struct conf own = { 0 };
	const struct conf *conf = NULL;
	const char *config = NULL, *name = NULL, *conf_path = NULL;
	size_t ncli = 0, ncap = 0;
	int rc = -1, command = 0;

	set_defaults(o);
	ld->err[0] = '\0';
	/* One item per option given: a group of short flags (-lq) gives several from one word,
	 * so the words' lengths bound the count, not their number. */
	for (int i = 1; i < argc; i++)
		ncap += strlen(argv[i]);
	cli = calloc(ncap + 1, sizeof *cli);
	if (!cli)
		return fail(ld, "out of memory");
	rc = scan_cli(ld, argc, argv, cli, &ncli);
	if (rc != 0) {
		rc = rc > 0 ? 0 : -1;
		goto out;
	}
	rc = -1;
	for (size_t i = 0; i < ncli; i++) {
		if (defs[cli[i].id].type == OPT_ACTION && apply(ld, cli[i].id, cli[i].val, L_CLI, 0) < 0)
			goto out;
		if (cli[i].id == O_CONFIG)
			config = cli[i].val;
		if (cli[i].id == O_NAME && add_name(ld, (name = cli[i].val)) < 0)
			goto out;
		command |= cli[i].id == O_COMMAND;
	}
	if (settle_name(ld, name, src->env, command) < 0)
		goto out;

	if (!config)
		config = env_get(src->env, "CRONGUARD_CONFIG");
	if (config && !*config) {
		fail(ld, "--config: empty path");
		goto out;
	}
	/* Read before the rows are applied, so its row's rule is applied here. */
	if (config && !defs[O_CONFIG].check(config)) {
		fail(ld, "--config: bad %s '%s' (want %s)", defs[O_CONFIG].noun, config, defs[O_CONFIG].want);
		goto out;
	}
	if (read) {
		int found = read_config(ld, config ? config : SYSCONFDIR "/cronguard.conf", config != NULL, &own);

		if (found < 0)
			goto out;
		if (found) {
			conf = &own;
			conf_path = config ? config : SYSCONFDIR "/cronguard.conf";
		}
	} else if (!config && src->conf) {
		/* Another file named on the line is not read: its settings are unknown here. */
		conf = src->conf;
		conf_path = src->conf_path;
	}
	if (conf && apply_conf(ld, conf, conf_path) < 0)
		goto out;
	if (conf_path ? set_str(&o->config, conf_path) < 0 : config && set_str(&o->config, config) < 0) {
		fail(ld, "out of memory");
		goto out;
	}
	if (apply_env(ld, src->env) < 0)
		goto out;
	for (size_t i = 0; i < ncli; i++)
		if (cli[i].id != O_NAME && cli[i].id != O_CONFIG && defs[cli[i].id].type != OPT_ACTION &&
		    apply(ld, cli[i].id, cli[i].val, L_CLI, cli[i].negate) < 0)
			goto out;
	if (!o->etcd_prefix && set_str(&o->etcd_prefix, "/cronguard/") < 0) {
		fail(ld, "out of memory");
		goto out;
	}
	rc = 0;
out:
	conf_free(&own);
	free(cli);
	return rc;
}

int options_check(const struct options *o, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };

	unsigned acts = o->actions & (1u << ACTION_STATUS | 1u << ACTION_LINT | 1u << ACTION_FORGET);

	if (acts & (acts - 1))
		return fail(&ld, "--%s and --%s do not go together",
			    acts & 1u << ACTION_STATUS ? "status" : "lint-crontab",
			    acts & 1u << ACTION_FORGET ? "forget" : "lint-crontab");
	if (o->command && o->argc > 0)
		return fail(&ld, "--command and a COMMAND do not go together: put the whole shell line in --command");
	if (o->action == ACTION_RUN && o->argc == 0 && !o->command)
		return fail(&ld, "no command given (usage: cronguard [OPTION]... [--] COMMAND [ARG]...)");
	if (o->action != ACTION_RUN && (o->argc > 0 || o->command))
		return fail(&ld, "--%s takes no command", o->action == ACTION_STATUS ? "status" :
			    o->action == ACTION_FORGET ? "forget" : "lint-crontab");
	if (o->command && !o->name)
		return fail(&ld, "--command needs --name: shell text names no job");
	if (o->format && o->action != ACTION_LINT)
		return fail(&ld, "--format needs --lint-crontab");
	if (o->splay_slot && o->random_splay)
		return fail(&ld, "--splay-slot and --random-splay do not go together");
	if ((o->max_age_ms || o->json) && o->action != ACTION_STATUS)
		return fail(&ld, "--%s needs --status", o->json ? "json" : "max-age");
	if (o->forget && !options_valid_name(o->forget))
		return fail(&ld, "--forget: bad job name '%s' (want %s)", o->forget, defs[O_NAME].want);
	if (!o->vips.n && (o->vip_dev || o->standby || o->vip_watch))
		return fail(&ld, "--%s needs --vip", o->vip_dev ? "vip-dev" : o->standby ? "standby" : "vip-watch");
	if (o->standby && o->vip_watch)
		return fail(&ld, "--vip-watch and --standby do not go together");
	if ((o->cluster_lock || o->once_per_ms) && !o->etcd.n)
		return fail(&ld, "--%s needs --etcd", o->cluster_lock ? "cluster-lock" : "once-per");
	if (o->etcd.n && !o->cluster_lock && !o->once_per_ms)
		return fail(&ld, "--etcd needs --cluster-lock or --once-per");
	if (!!o->etcd_cert != !!o->etcd_key)
		return fail(&ld, "--etcd-cert and --etcd-key go together");
	if (o->etcd_user && !o->etcd_password_file)
		return fail(&ld, "--etcd-user needs --etcd-password-file");
	if (o->influx_user && !o->influx_password_file)
		return fail(&ld, "--influx-user needs --influx-password-file");
	if (!!o->client_cert != !!o->client_key)
		return fail(&ld, "--client-cert and --client-key go together");
	return 0;
}

static int default_state_dir(struct options *o)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char buf[4096];

	if (o->state_dir)
		return 0;
	if (geteuid() == 0)
		snprintf(buf, sizeof buf, "/var/lib/cronguard");
	else if (xdg && xdg[0] == '/')
		snprintf(buf, sizeof buf, "%s/cronguard", xdg);
	else if (home && home[0] == '/')
		snprintf(buf, sizeof buf, "%s/.local/state/cronguard", home);
	else
		snprintf(buf, sizeof buf, "/tmp/cronguard-state-%u", (unsigned)geteuid());
	return set_str(&o->state_dir, buf);
}

static int default_host(struct loader *ld)
{
	char buf[256];

	if (ld->o->host)
		return 0;
	if (gethostname(buf, sizeof buf - 1) < 0)
		return fail(ld, "cannot read the hostname: %s (give --host)", strerror(errno));
	buf[sizeof buf - 1] = '\0';
	if (!valid_host(buf))
		return fail(ld, "the hostname '%s' is not usable; give --host", buf);
	return set_str(&ld->o->host, buf);
}

int options_load(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct loader ld = { .o = o, .err = err, .errlen = errlen };
	struct options_source src = { environ, NULL, NULL };

	if (load(&ld, argc, argv, &src, 1) < 0)
		return -1;
	if (o->action == ACTION_HELP || o->action == ACTION_VERSION)
		return 0;
	if (options_check(o, err, errlen) < 0)
		return -1;
	if (default_host(&ld) < 0 || default_state_dir(o) < 0)
		return -1;
	/* --command: bash, not /bin/sh, because a pipeline must fail when any stage fails
	 * (pg_dump | gzip > f) and Debian's dash has no pipefail; bash is Essential there. An
	 * absolute path, so that the crontab's PATH cannot choose the shell. */
	if (o->command) {
		o->shell_argv[0] = (char *)OPTIONS_SHELL;
		o->shell_argv[1] = (char *)"-o";
		o->shell_argv[2] = (char *)"pipefail";
		o->shell_argv[3] = (char *)"-c";
		o->shell_argv[4] = o->command;
		o->shell_argv[5] = NULL;
		o->argv = o->shell_argv;
		o->argc = 5;
	}
	return 0;
}

int options_parse(struct options *o, int argc, char **argv, const struct options_source *src,
		  char *err, size_t errlen)
{
	struct loader ld = { .o = o, .err = err, .errlen = errlen };

	return load(&ld, argc, argv, src, 0);
}

void options_free(struct options *o)
{
	for (int i = 0; i < O_COUNT; i++) {
		switch ((enum options_type)defs[i].type) {
		case OPT_STRING:
		case OPT_PATH:
		case OPT_URL:
			free(*str_field(o, i));
			break;
		case OPT_ACTION:
			if (defs[i].arg)
				free(*str_field(o, i));
			break;
		case OPT_LIST:
			defs[i].clear(o);
			break;
		case OPT_FLAG:
		case OPT_DURATION:
		case OPT_UINT:
			break;
		}
	}
	for (size_t i = 0; i < o->names.n; i++)
		free(o->names.v[i]);
	free(o->names.v);
	memset(o, 0, sizeof *o);
}

int options_success_exit(const struct options *o, int code)
{
	if (code < 0 || code > 255)
		return 0;
	return (o->success_exit[code / 8] >> (code % 8)) & 1;
}

int options_describe(size_t i, struct options_info *info)
{
	if (i >= O_COUNT)
		return -1;
	*info = (struct options_info){ defs[i].name, defs[i].shortopt, defs[i].arg, defs[i].from,
				       (enum options_type)defs[i].type, defs[i].example };
	return 0;
}

void options_usage(FILE *out)
{
	fputs("Usage: cronguard [OPTION]... [--] COMMAND [ARG]...\n"
	      "Run a cron job at most once, on the right host, at a per-host time, and record it.\n\n",
	      out);
	for (int i = 0; i < O_COUNT; i++) {
		char left[64];

		if (defs[i].shortopt)
			snprintf(left, sizeof left, "-%c, --%s%s%s", defs[i].shortopt, defs[i].name,
				 defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", defs[i].name,
				 defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
		fprintf(out, "  %-28s %s\n", left, defs[i].help);
	}
	fputs("\nEvery flag F also has --no-F, which turns it off (--no-lock against lock = yes).\n"
	      "Long options are spelled in full; an abbreviation is an error.\n"
	      "DURATION: seconds, or units ms s m h d combined (90, 90s, 1h30m, 250ms); 0 = none.\n"
	      "Every option can also be set as CRONGUARD_NAME_OF_OPTION in the environment, or as\n"
	      "'name-of-option = value' in the config file (globally or in a [JOB] section);\n"
	      "there a flag is yes/no, true/false or 1/0, and a list is comma-separated.\n\n"
	      "Exit status:\n"
	      "  the command's   the command ran and exited\n"
	      "  128+N           the command was killed by signal N\n"
	      "  124             the command ran past --timeout and was killed\n"
	      "  125             cronguard itself failed (usage, configuration, internal error)\n"
	      "  126             the command was found but could not be executed\n"
	      "  127             the command was not found\n"
	      "  --skip-exit N   the run was skipped: not the active node, lock held elsewhere,\n"
	      "                  or this period claimed by another host (default 0)\n\n"
	      "See cronguard(1).\n", out);
}
