/* Options: defaults < config file < CRONGUARD_* environment < command line, all validated. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "duration.h"
#include "fileio.h"
#include "options.h"

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
	O_COUNT
};

/* Where an option may come from besides the command line. */
#define F_REPEAT 1u   /* may be given more than once; a higher source replaces the whole list */
#define F_CLI 2u      /* command line only */
#define F_NOCONF 4u   /* command line and environment, never the config file */

struct optdef {
	const char *name;
	int shortopt;
	const char *arg;   /* NULL for a flag */
	unsigned flags;
	const char *help;
};

/* One table drives getopt, the environment, the config file and --help, so none can drift. */
static const struct optdef defs[O_COUNT] = {
	[O_NAME] = { "name", 'n', "NAME", F_NOCONF, "job name (default: the command's basename)" },
	[O_HOST] = { "host", 0, "NAME", 0, "host identity for splay and reports (default: hostname)" },
	[O_LABEL] = { "label", 0, "KEY=VALUE", F_REPEAT, "add a label to every report (repeatable)" },
	[O_CONFIG] = { "config", 'c', "FILE", F_NOCONF, "config file (default " SYSCONFDIR "/cronguard.conf)" },
	[O_DRY_RUN] = { "dry-run", 0, NULL, 0, "print every decision as key=value and exit 0" },
	[O_VERBOSE] = { "verbose", 'v', NULL, 0, "explain each step on stderr" },
	[O_HELP] = { "help", 'h', NULL, F_CLI, "show this help and exit" },
	[O_VERSION] = { "version", 'V', NULL, F_CLI, "show the version and exit" },
	[O_SPLAY] = { "splay", 's', "DURATION", 0, "sleep a per-host delay in [0, DURATION) first" },
	[O_SPLAY_SEED] = { "splay-seed", 0, "STRING", 0, "reshuffle the fleet's delays" },
	[O_RANDOM_SPLAY] = { "random-splay", 0, NULL, 0, "a fresh random delay each run instead" },
	[O_VIP] = { "vip", 0, "ADDR", F_REPEAT, "run only where this IPv4/IPv6 address is assigned (repeatable)" },
	[O_VIP_DEV] = { "vip-dev", 0, "IFACE", 0, "look for the VIPs on this interface only" },
	[O_STANDBY] = { "standby", 0, NULL, 0, "invert: run only where none of the VIPs is held" },
	[O_VIP_WATCH] = { "vip-watch", 0, NULL, 0, "TERM the command if the VIP leaves during the run" },
	[O_LOCK] = { "lock", 'l', NULL, 0, "never overlap: skip while another run holds NAME.lock" },
	[O_LOCK_FILE] = { "lock-file", 0, "PATH", 0, "lock this file (implies --lock)" },
	[O_LOCK_WAIT] = { "lock-wait", 'w', "DURATION", 0, "wait this long for the lock before skipping" },
	[O_TIMEOUT] = { "timeout", 't', "DURATION", 0, "TERM the command's process group after DURATION" },
	[O_KILL_AFTER] = { "kill-after", 0, "DURATION", 0, "then KILL it after this grace (default 10s)" },
	[O_QUIET] = { "quiet", 'q', NULL, 0, "hold the output; print it only if the run failed" },
	[O_SKIP_EXIT] = { "skip-exit", 0, "N", 0, "exit status of a skipped run (default 0)" },
	[O_SUCCESS_EXIT] = { "success-exit", 0, "CODES", 0, "exit codes that count as success (default 0)" },
	[O_FAIL_AFTER] = { "fail-after", 0, "N", 0, "alert only after N consecutive failures (default 1)" },
	[O_PING] = { "ping", 0, "URL", 0, "healthchecks-style pings: URL/start, then URL/EXIT" },
	[O_PUSHGATEWAY] = { "pushgateway", 0, "URL", 0, "push metrics to this Prometheus Pushgateway" },
	[O_INFLUX] = { "influx", 0, "URL", 0, "write a point to InfluxDB (1.x /write?db= or 2.x /api/v2/write?...)" },
	[O_INFLUX_TOKEN_FILE] = { "influx-token-file", 0, "FILE", 0, "InfluxDB token, read from FILE" },
	[O_INFLUX_USER] = { "influx-user", 0, "NAME", 0, "InfluxDB 1.x user (with --influx-password-file)" },
	[O_INFLUX_PASSWORD_FILE] = { "influx-password-file", 0, "FILE", 0, "InfluxDB 1.x password, read from FILE" },
	[O_WEBHOOK] = { "webhook", 0, "URL", 0, "POST one JSON document per run to URL" },
	[O_TEXTFILE_DIR] = { "textfile-dir", 0, "DIR", 0, "write node_exporter textfile metrics into DIR" },
	[O_REPORT_TIMEOUT] = { "report-timeout", 0, "DURATION", 0, "one deadline for all sinks together (default 10s)" },
	[O_CA_FILE] = { "ca-file", 0, "FILE", 0, "CA bundle for HTTPS sinks (default: the system's)" },
	[O_CLIENT_CERT] = { "client-cert", 0, "FILE", 0, "client certificate (PEM) for HTTPS sinks" },
	[O_CLIENT_KEY] = { "client-key", 0, "FILE", 0, "client key (PEM) for HTTPS sinks" },
	[O_INSECURE] = { "insecure", 0, NULL, 0, "do not verify HTTPS certificates (not recommended)" },
	[O_SPOOL_MAX] = { "spool-max", 0, "N", 0, "undelivered reports kept for later (default 1000)" },
	[O_ETCD] = { "etcd", 0, "URL[,URL...]", 0, "etcd v3 endpoints, tried in turn" },
	[O_CLUSTER_LOCK] = { "cluster-lock", 0, NULL, 0, "hold a cluster-wide lock (etcd lease) for the run" },
	[O_ONCE_PER] = { "once-per", 0, "DURATION", 0, "run at most once per period across the cluster" },
	[O_ETCD_PREFIX] = { "etcd-prefix", 0, "PREFIX", 0, "key prefix in etcd (default /cronguard/)" },
	[O_ETCD_TTL] = { "etcd-ttl", 0, "DURATION", 0, "lease TTL: how long a dead holder blocks (default 30s)" },
	[O_ETCD_FAIL_OPEN] = { "etcd-fail-open", 0, NULL, 0, "run anyway when etcd cannot be reached" },
	[O_ETCD_CA_FILE] = { "etcd-ca-file", 0, "FILE", 0, "CA bundle for https etcd endpoints" },
	[O_ETCD_CERT] = { "etcd-cert", 0, "FILE", 0, "client certificate (PEM) for etcd" },
	[O_ETCD_KEY] = { "etcd-key", 0, "FILE", 0, "client key (PEM) for etcd" },
	[O_ETCD_USER] = { "etcd-user", 0, "NAME", 0, "etcd user (with --etcd-password-file)" },
	[O_ETCD_PASSWORD_FILE] = { "etcd-password-file", 0, "FILE", 0, "etcd password, read from FILE" },
	[O_STATE_DIR] = { "state-dir", 0, "DIR", 0, "where run records live (default /var/lib/cronguard)" },
	[O_NO_SYSLOG] = { "no-syslog", 0, NULL, 0, "do not write the syslog line" },
	[O_STATUS] = { "status", 0, NULL, F_CLI, "print every job's last run and exit" },
	[O_LINT_CRONTAB] = { "lint-crontab", 0, "FILE", F_CLI, "warn about what burns people in a crontab, and exit" },
};

/* Precedence levels: a value set at a level is replaced only by a higher one. */
enum level { L_DEFAULT, L_CONFIG, L_ENV, L_CLI };

struct loader {
	struct options *o;
	enum level list_level[O_COUNT];
	const char *where;   /* "FILE" while reading the config, for FILE:LINE */
	char *err;
	size_t errlen;
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

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
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

	if (n < 1 || n > 64)
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

static int valid_label_value(const char *v)
{
	if (strlen(v) > 256)
		return 0;
	for (; *v; v++)
		if (iscntrl((unsigned char)*v))
			return 0;
	return 1;
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
	if (end == rest || memchr(rest, '@', (size_t)(end - rest)))
		return 0;
	for (const char *p = u; *p; p++)
		if (!isgraph((unsigned char)*p))
			return 0;
	return strlen(u) <= 2048;
}

static int set_etcd(struct loader *ld, const char *val)
{
	struct options *o = ld->o;
	char *copy = strdup(val), *save = NULL;
	size_t n = 0;

	if (!copy)
		return fail(ld, "out of memory");
	for (size_t i = 0; i < o->etcd.n; i++)
		free(o->etcd.v[i]);
	free(o->etcd.v);
	o->etcd.v = NULL;
	o->etcd.n = 0;
	for (const char *p = val; *p; p++)
		n += *p == ',';
	o->etcd.v = calloc(n + 1, sizeof *o->etcd.v);
	if (!o->etcd.v) {
		free(copy);
		return fail(ld, "out of memory");
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(tok);
		if (!valid_url(tok)) {
			fail(ld, "--etcd: bad endpoint '%s' (want http:// or https://HOST:PORT)", tok);
			free(copy);
			return -1;
		}
		/* Paths are ours to add (/v3/...): keep just scheme://host:port. */
		while (l > 0 && tok[l - 1] == '/')
			tok[--l] = '\0';
		if (!(o->etcd.v[o->etcd.n++] = strdup(tok))) {
			free(copy);
			return fail(ld, "out of memory");
		}
	}
	free(copy);
	if (o->etcd.n == 0)
		return fail(ld, "--etcd: no endpoint in '%s'", val);
	return 0;
}

static char **url_slot(struct options *o, int id)
{
	switch (id) {
	case O_PING:
		return &o->ping;
	case O_PUSHGATEWAY:
		return &o->pushgateway;
	case O_INFLUX:
		return &o->influx;
	default:
		return &o->webhook;
	}
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

static int add_label(struct loader *ld, const char *val)
{
	struct options *o = ld->o;
	const char *eq = strchr(val, '=');
	struct label *l;
	char *k, *v;

	if (!eq || !valid_label_key(val, (size_t)(eq - val)) || !valid_label_value(eq + 1))
		return fail(ld, "--label: bad label '%s' (want KEY=VALUE, KEY [A-Za-z_][A-Za-z0-9_]*, "
			    "not job/instance/host/state)", val);
	for (size_t i = 0; i < o->nlabels; i++)
		if (strncmp(o->labels[i].key, val, (size_t)(eq - val)) == 0 &&
		    o->labels[i].key[eq - val] == '\0')
			return fail(ld, "--label: label '%.*s' given twice", (int)(eq - val), val);
	l = realloc(o->labels, (o->nlabels + 1) * sizeof *l);
	if (!l)
		return fail(ld, "out of memory");
	o->labels = l;
	k = strndup(val, (size_t)(eq - val));
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

static int parse_success_exit(struct loader *ld, const char *val)
{
	uint8_t set[32] = { 0 };
	const char *p = val;

	/* "0,24" or ranges "0-3,24"; each code 0..255. */
	while (*p) {
		char num[8];
		size_t n = strcspn(p, ",-");
		unsigned long lo, hi;

		if (n == 0 || n >= sizeof num)
			goto bad;
		memcpy(num, p, n);
		num[n] = '\0';
		if (parse_uint(num, 0, 255, &lo) < 0)
			goto bad;
		hi = lo;
		p += n;
		if (*p == '-') {
			p++;
			n = strcspn(p, ",");
			if (n == 0 || n >= sizeof num)
				goto bad;
			memcpy(num, p, n);
			num[n] = '\0';
			if (parse_uint(num, lo, 255, &hi) < 0)
				goto bad;
			p += n;
		}
		for (unsigned long c = lo; c <= hi; c++)
			set[c / 8] |= (uint8_t)(1u << (c % 8));
		if (*p == ',' && *++p == '\0')
			goto bad;
	}
	if (p == val)
		goto bad;
	memcpy(ld->o->success_exit, set, sizeof set);
	return 0;
bad:
	return fail(ld, "--success-exit: bad exit code list '%s' (want e.g. 0,24 or 0-3)", val);
}

static int set_duration(struct loader *ld, int id, const char *val, uint64_t *dst)
{
	uint64_t ms;

	if (duration_parse(val, &ms) < 0)
		return fail(ld, "--%s: %s '%s' (want e.g. 90, 90s, 1h30m, 250ms)", defs[id].name,
			    errno == ERANGE ? "duration too long" : "bad duration", val);
	*dst = ms;
	return 0;
}

static int set_flag(struct loader *ld, int id, const char *val, int *dst)
{
	if (!val) {
		*dst = 1;
		return 0;
	}
	if (parse_bool(val, dst) < 0)
		return fail(ld, "--%s: bad boolean '%s' (want yes or no)", defs[id].name, val);
	return 0;
}

/* apply sets one option from one source; VAL is NULL for a flag given on the command line. */
static int apply(struct loader *ld, int id, const char *val, enum level lvl)
{
	struct options *o = ld->o;
	unsigned long n;

	if ((defs[id].flags & F_REPEAT) && lvl > ld->list_level[id]) {
		/* A list given on a higher level replaces the lower one, as any scalar does. */
		if (id == O_LABEL)
			clear_labels(o);
		if (id == O_VIP)
			clear_vips(o);
		ld->list_level[id] = lvl;
	}
	switch ((enum opt_id)id) {
	case O_NAME:
		if (!options_valid_name(val))
			return fail(ld, "--name: bad job name '%s' (want 1-64 of A-Z a-z 0-9 _ . -)", val);
		return set_str(&o->name, val);
	case O_HOST:
		if (!valid_host(val))
			return fail(ld, "--host: bad host name '%s'", val);
		return set_str(&o->host, val);
	case O_LABEL:
		return add_label(ld, val);
	case O_CONFIG:
		return set_str(&o->config, val);
	case O_DRY_RUN:
		return set_flag(ld, id, val, &o->dry_run);
	case O_VERBOSE:
		return set_flag(ld, id, val, &o->verbose);
	case O_HELP:
		o->action = ACTION_HELP;
		return 0;
	case O_VERSION:
		o->action = ACTION_VERSION;
		return 0;
	case O_SPLAY:
		return set_duration(ld, id, val, &o->splay_ms);
	case O_SPLAY_SEED:
		if (strlen(val) > 256)
			return fail(ld, "--splay-seed: longer than 256 bytes");
		return set_str(&o->splay_seed, val);
	case O_RANDOM_SPLAY:
		return set_flag(ld, id, val, &o->random_splay);
	case O_VIP:
		return add_vip(ld, val);
	case O_VIP_DEV:
		if (!*val || strlen(val) >= 16 || strpbrk(val, "/ \t") || !strcmp(val, ".") || !strcmp(val, ".."))
			return fail(ld, "--vip-dev: bad interface name '%s'", val);
		return set_str(&o->vip_dev, val);
	case O_STANDBY:
		return set_flag(ld, id, val, &o->standby);
	case O_VIP_WATCH:
		return set_flag(ld, id, val, &o->vip_watch);
	case O_LOCK:
		return set_flag(ld, id, val, &o->lock);
	case O_LOCK_FILE:
		if (!*val)
			return fail(ld, "--lock-file: empty path");
		o->lock = 1;
		return set_str(&o->lock_file, val);
	case O_LOCK_WAIT:
		return set_duration(ld, id, val, &o->lock_wait_ms);
	case O_TIMEOUT:
		return set_duration(ld, id, val, &o->timeout_ms);
	case O_KILL_AFTER:
		return set_duration(ld, id, val, &o->kill_after_ms);
	case O_QUIET:
		return set_flag(ld, id, val, &o->quiet);
	case O_SKIP_EXIT:
		if (parse_uint(val, 0, 255, &n) < 0)
			return fail(ld, "--skip-exit: bad exit status '%s' (want 0-255)", val);
		o->skip_exit = (int)n;
		return 0;
	case O_SUCCESS_EXIT:
		return parse_success_exit(ld, val);
	case O_FAIL_AFTER:
		if (parse_uint(val, 1, 1000000, &n) < 0)
			return fail(ld, "--fail-after: bad count '%s' (want 1 or more)", val);
		o->fail_after = (unsigned)n;
		return 0;
	case O_PING:
	case O_PUSHGATEWAY:
	case O_INFLUX:
	case O_WEBHOOK:
		if (!valid_url(val))
			return fail(ld, "--%s: bad URL '%s' (want http:// or https://, no credentials)",
				    defs[id].name, val);
		return set_str(url_slot(o, id), val);
	case O_INFLUX_TOKEN_FILE:
		return set_str(&o->influx_token_file, val);
	case O_INFLUX_USER:
		return set_str(&o->influx_user, val);
	case O_INFLUX_PASSWORD_FILE:
		return set_str(&o->influx_password_file, val);
	case O_TEXTFILE_DIR:
		if (!*val)
			return fail(ld, "--textfile-dir: empty path");
		return set_str(&o->textfile_dir, val);
	case O_REPORT_TIMEOUT:
		if (set_duration(ld, id, val, &o->report_timeout_ms) < 0)
			return -1;
		if (o->report_timeout_ms == 0)
			return fail(ld, "--report-timeout: must be more than 0");
		return 0;
	case O_CA_FILE:
		return set_str(&o->ca_file, val);
	case O_CLIENT_CERT:
		return set_str(&o->client_cert, val);
	case O_CLIENT_KEY:
		return set_str(&o->client_key, val);
	case O_INSECURE:
		return set_flag(ld, id, val, &o->insecure);
	case O_SPOOL_MAX:
		if (parse_uint(val, 0, 1000000, &n) < 0)
			return fail(ld, "--spool-max: bad count '%s' (want 0-1000000)", val);
		o->spool_max = (unsigned)n;
		return 0;
	case O_ETCD:
		return set_etcd(ld, val);
	case O_CLUSTER_LOCK:
		return set_flag(ld, id, val, &o->cluster_lock);
	case O_ONCE_PER:
		if (set_duration(ld, id, val, &o->once_per_ms) < 0)
			return -1;
		if (o->once_per_ms && (o->once_per_ms < 1000 || o->once_per_ms % 1000))
			return fail(ld, "--once-per: want whole seconds, at least 1s ('%s')", val);
		return 0;
	case O_ETCD_PREFIX:
		if (val[0] != '/' || strlen(val) > 256 || strpbrk(val, " \t\n"))
			return fail(ld, "--etcd-prefix: bad prefix '%s' (want /path/)", val);
		return set_str(&o->etcd_prefix, val);
	case O_ETCD_TTL:
		if (set_duration(ld, id, val, &o->etcd_ttl_ms) < 0)
			return -1;
		if (o->etcd_ttl_ms < 2000 || o->etcd_ttl_ms % 1000 || o->etcd_ttl_ms > 86400000)
			return fail(ld, "--etcd-ttl: want whole seconds from 2s to 1d ('%s')", val);
		return 0;
	case O_ETCD_FAIL_OPEN:
		return set_flag(ld, id, val, &o->etcd_fail_open);
	case O_ETCD_CA_FILE:
		return set_str(&o->etcd_ca_file, val);
	case O_ETCD_CERT:
		return set_str(&o->etcd_cert, val);
	case O_ETCD_KEY:
		return set_str(&o->etcd_key, val);
	case O_ETCD_USER:
		return set_str(&o->etcd_user, val);
	case O_ETCD_PASSWORD_FILE:
		return set_str(&o->etcd_password_file, val);
	case O_STATE_DIR:
		if (!*val)
			return fail(ld, "--state-dir: empty path");
		return set_str(&o->state_dir, val);
	case O_NO_SYSLOG:
		return set_flag(ld, id, val, &o->no_syslog);
	case O_STATUS:
		o->action = ACTION_STATUS;
		return 0;
	case O_LINT_CRONTAB:
		o->action = ACTION_LINT;
		return set_str(&o->lint_crontab, val);
	case O_COUNT:
		break;
	}
	return fail(ld, "internal error: option %d", id);
}

static int find_def(const char *key)
{
	for (int i = 0; i < O_COUNT; i++)
		if (strcmp(defs[i].name, key) == 0)
			return i;
	return -1;
}

static int conf_entry(void *ctx, unsigned line, const char *key, const char *value, int applies)
{
	struct loader *ld = ctx;
	int id = find_def(key);
	char why[512];

	/* Every section's keys are checked, so a typo in one job's section fails on any run. */
	if (id < 0 || (defs[id].flags & (F_CLI | F_NOCONF))) {
		fail(ld, "%s:%u: %s key '%s'", ld->where, line,
		     id < 0 ? "unknown" : "not allowed in the config file:", key);
		return -1;
	}
	if (!applies)
		return 0;
	if (apply(ld, id, defs[id].arg ? value : (*value ? value : "yes"), L_CONFIG) < 0) {
		snprintf(why, sizeof why, "%s", ld->err);
		fail(ld, "%s:%u: %s", ld->where, line, why);
		return -1;
	}
	return 0;
}

/* The config file may hold credentials and decides what runs as whom: refuse one that others
 * could have written, as sudo and ssh do. */
/* Returns 1 when PATH was read, 0 when it is absent and need not exist, -1 on error. */
static int read_config(struct loader *ld, const char *path, int must_exist)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	unsigned bad_line = 0;
	char why[512];
	int rc;

	/* fileio's reader: a FIFO or a symlink planted as the config never blocks or redirects. */
	text = fileio_read_path(path, 1 << 20, &len, &st);
	if (!text) {
		if (errno == ENOENT && !must_exist)
			return 0;
		if (errno == EFBIG)
			return fail(ld, "config %s: larger than 1 MiB", path);
		return fail(ld, "config %s: %s", path, fileio_strerror(errno));
	}
	if (st.st_mode & S_IWOTH) {
		free(text);
		return fail(ld, "config %s: writable by any user; refusing it (chmod o-w)", path);
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		free(text);
		return fail(ld, "config %s: owned by uid %u, neither root nor this user; refusing it",
			    path, (unsigned)st.st_uid);
	}
	ld->where = path;
	rc = conf_scan(text, len, ld->o->name, conf_entry, ld, &bad_line, why, sizeof why);
	free(text);
	if (rc == -1 && bad_line)
		return fail(ld, "%s:%u: %s", path, bad_line, why);
	return rc ? -1 : 1;
}

static void env_name(int id, char *buf, size_t len)
{
	size_t i = 0;

	i = (size_t)snprintf(buf, len, "CRONGUARD_");
	for (const char *p = defs[id].name; *p && i + 1 < len; p++)
		buf[i++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	buf[i] = '\0';
}

static int env_allowed(int id)
{
	return !(defs[id].flags & F_CLI);
}

/* A typo in a crontab variable line (CRONGUARD_SPALY=10m) must not pass silently. */
static int check_env_names(struct loader *ld)
{
	for (char **e = environ; *e; e++) {
		char name[64];
		const char *eq;
		int known = 0;

		if (strncmp(*e, "CRONGUARD_", 10) != 0)
			continue;
		eq = strchr(*e, '=');
		for (int i = 0; i < O_COUNT && eq; i++) {
			env_name(i, name, sizeof name);
			if (env_allowed(i) && strlen(name) == (size_t)(eq - *e) &&
			    memcmp(name, *e, (size_t)(eq - *e)) == 0)
				known = 1;
		}
		if (!known)
			return fail(ld, "unknown environment variable %.*s", eq ? (int)(eq - *e) : 64, *e);
	}
	return 0;
}

static int apply_env(struct loader *ld)
{
	char name[64], why[512];

	for (int i = 0; i < O_COUNT; i++) {
		const char *val;

		if (!env_allowed(i) || i == O_NAME || i == O_CONFIG)
			continue;
		env_name(i, name, sizeof name);
		val = getenv(name);
		if (!val)
			continue;
		if (defs[i].flags & F_REPEAT) {
			/* Repeatable options take a comma-separated list in one variable. */
			char *copy = strdup(val), *save = NULL;
			if (!copy)
				return fail(ld, "out of memory");
			for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
				if (apply(ld, i, tok, L_ENV) < 0) {
					free(copy);
					snprintf(why, sizeof why, "%s", ld->err);
					return fail(ld, "%s: %s", name, why);
				}
			}
			free(copy);
			continue;
		}
		if (apply(ld, i, defs[i].arg ? val : (*val ? val : "yes"), L_ENV) < 0) {
			snprintf(why, sizeof why, "%s", ld->err);
			return fail(ld, "%s: %s", name, why);
		}
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
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

struct cli_item {
	int id;
	const char *val;
};

int options_load(struct options *o, int argc, char **argv, char *err, size_t errlen)
{
	struct loader ld = { .o = o, .err = err, .errlen = errlen };
	struct option longopts[O_COUNT + 1];
	char shortopts[3 * O_COUNT + 2], *sp = shortopts;
	struct cli_item *cli;
	size_t ncli = 0, ncap = 0;
	const char *config = NULL, *name = NULL;
	int must_exist = 1, found, c, rc = -1;

	memset(o, 0, sizeof *o);
	o->kill_after_ms = 10000;
	o->success_exit[0] = 1;
	o->fail_after = 1;
	o->report_timeout_ms = 10000;
	o->spool_max = 1000;
	o->etcd_ttl_ms = 30000;
	o->action = ACTION_RUN;
	err[0] = '\0';

	/* '+': stop at the first non-option, so the command's own options reach it untouched;
	 * ':': report a missing argument distinctly from an unknown option. */
	*sp++ = '+';
	*sp++ = ':';
	for (int i = 0; i < O_COUNT; i++) {
		longopts[i] = (struct option){ defs[i].name, defs[i].arg ? required_argument : no_argument,
					       NULL, 1000 + i };
		if (defs[i].shortopt) {
			*sp++ = (char)defs[i].shortopt;
			if (defs[i].arg)
				*sp++ = ':';
		}
	}
	*sp = '\0';
	longopts[O_COUNT] = (struct option){ 0 };

	/* One item per option given: a group of short flags (-lq) gives several from one word,
	 * so the words' lengths bound the count, not their number. */
	for (int i = 1; i < argc; i++)
		ncap += strlen(argv[i]);
	cli = calloc(ncap + 1, sizeof *cli);
	if (!cli)
		return fail(&ld, "out of memory");
	opterr = 0;
	/* 0, not 1: glibc then also forgets a half-read group of short options (-lvv) left
	 * over from an earlier call that stopped at an error. */
	optind = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int id = -1;

		if (c == '?') {
			if (optopt)
				fail(&ld, "unknown option '-%c' (see --help)", optopt);
			else
				fail(&ld, "unknown option '%s' (see --help)", argv[optind - 1]);
			goto out;
		}
		if (c == ':') {
			fail(&ld, "option '%s' needs a value", argv[optind - 1]);
			goto out;
		}
		if (c >= 1000)
			id = c - 1000;
		for (int i = 0; id < 0 && i < O_COUNT; i++)
			if (defs[i].shortopt == c)
				id = i;
		if (id < 0) {
			fail(&ld, "internal error: getopt returned %d", c);
			goto out;
		}
		if (id == O_HELP || id == O_VERSION) {
			/* --help and --version answer even when the rest of the line is wrong. */
			apply(&ld, id, NULL, L_CLI);
			rc = 0;
			goto out;
		}
		if (id == O_CONFIG)
			config = optarg;
		if (id == O_NAME)
			name = optarg;
		cli[ncli++] = (struct cli_item){ id, defs[id].arg ? optarg : NULL };
	}
	o->argv = argv + optind;
	o->argc = argc - optind;
	for (size_t i = 0; i < ncli; i++) {
		if (cli[i].id == O_STATUS)
			o->action = ACTION_STATUS;
		if (cli[i].id == O_LINT_CRONTAB)
			o->action = ACTION_LINT;
	}

	/* The job name picks the config section, so it is settled before the config is read. */
	if (!name)
		name = getenv("CRONGUARD_NAME");
	if (!name && o->action == ACTION_RUN && o->argc > 0) {
		name = base_name(o->argv[0]);
		if (!options_valid_name(name)) {
			fail(&ld, "the command's name '%s' is not a valid job name; give -n NAME", name);
			goto out;
		}
	}
	if (name && apply(&ld, O_NAME, name, L_CLI) < 0)
		goto out;

	if (!config)
		config = getenv("CRONGUARD_CONFIG");
	if (!config) {
		config = SYSCONFDIR "/cronguard.conf";
		must_exist = 0;
	}
	found = read_config(&ld, config, must_exist);
	if (found < 0)
		goto out;
	if (found)
		set_str(&o->config, config);
	if (check_env_names(&ld) < 0 || apply_env(&ld) < 0)
		goto out;
	for (size_t i = 0; i < ncli; i++)
		if (cli[i].id != O_NAME && cli[i].id != O_CONFIG && cli[i].id != O_STATUS &&
		    apply(&ld, cli[i].id, cli[i].val, L_CLI) < 0)
			goto out;

	if (o->action == ACTION_RUN && o->argc == 0) {
		fail(&ld, "no command given (usage: cronguard [OPTION]... [--] COMMAND [ARG]...)");
		goto out;
	}
	if (o->action != ACTION_RUN && o->argc > 0) {
		fail(&ld, "--%s takes no command", o->action == ACTION_STATUS ? "status" : "lint-crontab");
		goto out;
	}
	if (!o->vips.n && (o->vip_dev || o->standby || o->vip_watch)) {
		fail(&ld, "--%s needs --vip", o->vip_dev ? "vip-dev" : o->standby ? "standby" : "vip-watch");
		goto out;
	}
	if (o->standby && o->vip_watch) {
		fail(&ld, "--vip-watch and --standby do not go together");
		goto out;
	}
	if ((o->cluster_lock || o->once_per_ms) && !o->etcd.n) {
		fail(&ld, "--%s needs --etcd", o->cluster_lock ? "cluster-lock" : "once-per");
		goto out;
	}
	if (o->etcd.n && !o->cluster_lock && !o->once_per_ms) {
		fail(&ld, "--etcd needs --cluster-lock or --once-per");
		goto out;
	}
	if (!!o->etcd_cert != !!o->etcd_key) {
		fail(&ld, "--etcd-cert and --etcd-key go together");
		goto out;
	}
	if (o->etcd_user && !o->etcd_password_file) {
		fail(&ld, "--etcd-user needs --etcd-password-file");
		goto out;
	}
	if (!o->etcd_prefix && set_str(&o->etcd_prefix, "/cronguard/") < 0) {
		fail(&ld, "out of memory");
		goto out;
	}
	if (o->influx_user && !o->influx_password_file) {
		fail(&ld, "--influx-user needs --influx-password-file");
		goto out;
	}
	if (!!o->client_cert != !!o->client_key) {
		fail(&ld, "--client-cert and --client-key go together");
		goto out;
	}
	if (default_host(&ld) < 0 || default_state_dir(o) < 0)
		goto out;
	rc = 0;
out:
	free(cli);
	return rc;
}

void options_free(struct options *o)
{
	free(o->name);
	free(o->host);
	clear_labels(o);
	free(o->config);
	free(o->splay_seed);
	clear_vips(o);
	free(o->vip_dev);
	free(o->lock_file);
	free(o->ping);
	free(o->pushgateway);
	free(o->influx);
	free(o->influx_token_file);
	free(o->influx_user);
	free(o->influx_password_file);
	free(o->webhook);
	free(o->textfile_dir);
	free(o->ca_file);
	free(o->client_cert);
	free(o->client_key);
	for (size_t i = 0; i < o->etcd.n; i++)
		free(o->etcd.v[i]);
	free(o->etcd.v);
	free(o->etcd_prefix);
	free(o->etcd_ca_file);
	free(o->etcd_cert);
	free(o->etcd_key);
	free(o->etcd_user);
	free(o->etcd_password_file);
	free(o->lint_crontab);
	free(o->state_dir);
	memset(o, 0, sizeof *o);
}

int options_success_exit(const struct options *o, int code)
{
	if (code < 0 || code > 255)
		return 0;
	return (o->success_exit[code / 8] >> (code % 8)) & 1;
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
	fputs("\nDURATION: seconds, or units ms s m h d combined (90, 90s, 1h30m, 250ms); 0 = none.\n"
	      "Every option can also be set as CRONGUARD_NAME_OF_OPTION in the environment, or as\n"
	      "'name-of-option = value' in the config file (globally or in a [JOB] section).\n\n"
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
