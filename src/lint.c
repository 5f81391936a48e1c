/* --lint-crontab: reads a crontab and warns about what burns people on a fleet. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "duration.h"
#include "lint.h"
#include "options.h"

/* The calendar window in which schedules are expanded: 2024-01-01 (a Monday, in a leap year)
 * and the 730 days after it, so that every month length, a 29 February, a year's wrap and
 * every weekday of every day of the month are seen. */
enum { WINDOW_DAYS = 731, DAY_WORDS = (WINDOW_DAYS + 63) / 64, DAY_MINUTES = 1440,
       MOD_WORDS = (DAY_MINUTES + 63) / 64, MAX_GROUPS = 256, MAX_LISTED = 8,
       MAX_FILE = 16 << 20 };

#define NO_PERIOD UINT64_MAX

/* ---- The option table of a cronguard line ---------------------------------------------- */

/* What lint needs to know about an option; the unit suite checks this table against
 * options_usage(), so it cannot drift from the real one unnoticed. */
enum kind {
	K_OTHER, K_NAME, K_CONFIG, K_LOCK, K_LOCK_FILE, K_CLUSTER_LOCK, K_SPLAY, K_RANDOM_SPLAY,
	K_TIMEOUT, K_KILL_AFTER, K_DURATION, K_EXIT, K_ACTION,
};

struct lopt {
	const char *name;
	char shortopt;
	unsigned char arg;       /* 1: takes a value */
	unsigned char kind;
	unsigned char cli_only;  /* never from the environment */
};

static const struct lopt lopts[] = {
	{ "name", 'n', 1, K_NAME, 0 },
	{ "host", 0, 1, K_OTHER, 0 },
	{ "label", 0, 1, K_OTHER, 0 },
	{ "config", 'c', 1, K_CONFIG, 0 },
	{ "dry-run", 0, 0, K_ACTION, 0 },
	{ "verbose", 'v', 0, K_OTHER, 0 },
	{ "help", 'h', 0, K_ACTION, 1 },
	{ "version", 'V', 0, K_ACTION, 1 },
	{ "splay", 's', 1, K_SPLAY, 0 },
	{ "splay-seed", 0, 1, K_OTHER, 0 },
	{ "random-splay", 0, 0, K_RANDOM_SPLAY, 0 },
	{ "vip", 0, 1, K_OTHER, 0 },
	{ "vip-dev", 0, 1, K_OTHER, 0 },
	{ "standby", 0, 0, K_OTHER, 0 },
	{ "vip-watch", 0, 0, K_OTHER, 0 },
	{ "lock", 'l', 0, K_LOCK, 0 },
	{ "lock-file", 0, 1, K_LOCK_FILE, 0 },
	{ "lock-wait", 'w', 1, K_DURATION, 0 },
	{ "timeout", 't', 1, K_TIMEOUT, 0 },
	{ "kill-after", 0, 1, K_KILL_AFTER, 0 },
	{ "quiet", 'q', 0, K_OTHER, 0 },
	{ "skip-exit", 0, 1, K_EXIT, 0 },
	{ "success-exit", 0, 1, K_OTHER, 0 },
	{ "fail-after", 0, 1, K_OTHER, 0 },
	{ "ping", 0, 1, K_OTHER, 0 },
	{ "pushgateway", 0, 1, K_OTHER, 0 },
	{ "influx", 0, 1, K_OTHER, 0 },
	{ "influx-token-file", 0, 1, K_OTHER, 0 },
	{ "influx-user", 0, 1, K_OTHER, 0 },
	{ "influx-password-file", 0, 1, K_OTHER, 0 },
	{ "webhook", 0, 1, K_OTHER, 0 },
	{ "textfile-dir", 0, 1, K_OTHER, 0 },
	{ "report-timeout", 0, 1, K_DURATION, 0 },
	{ "ca-file", 0, 1, K_OTHER, 0 },
	{ "client-cert", 0, 1, K_OTHER, 0 },
	{ "client-key", 0, 1, K_OTHER, 0 },
	{ "insecure", 0, 0, K_OTHER, 0 },
	{ "spool-max", 0, 1, K_OTHER, 0 },
	{ "etcd", 0, 1, K_OTHER, 0 },
	{ "cluster-lock", 0, 0, K_CLUSTER_LOCK, 0 },
	{ "once-per", 0, 1, K_DURATION, 0 },
	{ "etcd-prefix", 0, 1, K_OTHER, 0 },
	{ "etcd-ttl", 0, 1, K_DURATION, 0 },
	{ "etcd-fail-open", 0, 0, K_OTHER, 0 },
	{ "etcd-ca-file", 0, 1, K_OTHER, 0 },
	{ "etcd-cert", 0, 1, K_OTHER, 0 },
	{ "etcd-key", 0, 1, K_OTHER, 0 },
	{ "etcd-user", 0, 1, K_OTHER, 0 },
	{ "etcd-password-file", 0, 1, K_OTHER, 0 },
	{ "state-dir", 0, 1, K_OTHER, 0 },
	{ "no-syslog", 0, 0, K_OTHER, 0 },
	{ "status", 0, 0, K_ACTION, 1 },
	{ "lint-crontab", 0, 1, K_ACTION, 1 },
};

#define NLOPTS (sizeof lopts / sizeof *lopts)

/* Long options as getopt_long matches them: the exact name, else a unique prefix. Returns
 * the entry, NULL when unknown, or AMBIGUOUS. */
static const struct lopt AMBIGUOUS_[1];
#define AMBIGUOUS (&AMBIGUOUS_[0])

static const struct lopt *find_long(const char *name, size_t n)
{
	const struct lopt *found = NULL;

	for (size_t i = 0; i < NLOPTS; i++) {
		if (strncmp(lopts[i].name, name, n) != 0)
			continue;
		if (lopts[i].name[n] == '\0')
			return &lopts[i];
		found = found ? AMBIGUOUS : &lopts[i];
	}
	return found;
}

static const struct lopt *find_short(char c)
{
	for (size_t i = 0; i < NLOPTS; i++)
		if (c && lopts[i].shortopt == c)
			return &lopts[i];
	return NULL;
}

/* CRONGUARD_LOCK_FILE -> the "lock-file" entry, or NULL. */
static const struct lopt *find_env(const char *var)
{
	char name[64];
	size_t n = 0;

	for (const char *p = var + strlen("CRONGUARD_"); *p; p++) {
		if (n + 1 >= sizeof name || (*p >= 'a' && *p <= 'z') || *p == '-')
			return NULL;
		name[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
	}
	name[n] = '\0';
	for (size_t i = 0; i < NLOPTS; i++)
		if (strcmp(lopts[i].name, name) == 0)
			return lopts[i].cli_only ? NULL : &lopts[i];
	return NULL;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "", "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	return -1;
}

static int parse_exit(const char *s)
{
	unsigned v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned)(*s - '0')) > 255)
			return -1;
	}
	return 0;
}

/* Whether VALUE is acceptable for option O, as far as lint can tell cheaply. */
static int value_ok(const struct lopt *o, const char *value)
{
	uint64_t ms;
	int b;

	switch (o->kind) {
	case K_NAME:
		return options_valid_name(value);
	case K_SPLAY: case K_TIMEOUT: case K_KILL_AFTER: case K_DURATION:
		return duration_parse(value, &ms) == 0;
	case K_EXIT:
		return parse_exit(value) == 0;
	default:
		return o->arg || parse_bool(value, &b) == 0;
	}
}

/* ---- Schedules --------------------------------------------------------------------------- */

/* The five time fields, expanded as cron does. */
struct sched {
	uint64_t minute;          /* bit m: minute m */
	uint32_t hour;
	uint32_t dom;             /* bits 1-31 */
	uint16_t month;           /* bits 1-12 */
	uint8_t dow;              /* bits 0-6, Sunday 0 (7 folds into 0) */
	uint8_t dom_star;         /* the field starts with '*': cron then ANDs the two day fields */
	uint8_t dow_star;
	uint8_t reboot;
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun", "jul",
					   "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };

/* A number or (where NAMES) a three-letter name at *P, as cron reads one. */
static int field_value(const char **p, const char *end, int lo, const char *const *names, int *v)
{
	const char *s = *p;

	if (s < end && isdigit((unsigned char)*s)) {
		int n = 0;

		while (s < end && isdigit((unsigned char)*s)) {
			n = n * 10 + (*s++ - '0');
			if (n > 1000)
				return -1;
		}
		*v = n;
		*p = s;
		return 0;
	}
	if (names && end - s >= 3) {
		for (int i = 0; names[i]; i++) {
			if (strncasecmp(s, names[i], 3) == 0) {
				*v = lo + i;
				*p = s + 3;
				return 0;
			}
		}
	}
	return -1;
}

/* One time field: lists of '*', N, N-M, each with an optional /STEP. Returns -1 when cron
 * would reject it. (N/STEP is read as N-MAX/STEP, as cronie does.) */
static int parse_field(const char *f, size_t n, int lo, int hi, const char *const *names,
		       uint64_t *bits, uint8_t *star)
{
	const char *p = f, *end = f + n;

	*bits = 0;
	if (star)
		*star = n > 0 && f[0] == '*';
	for (;;) {
		int a, b, step = 1;

		if (p < end && *p == '*') {
			a = lo;
			b = hi;
			p++;
		} else {
			if (field_value(&p, end, lo, names, &a) < 0)
				return -1;
			b = a;
			if (p < end && *p == '-') {
				p++;
				if (field_value(&p, end, lo, names, &b) < 0)
					return -1;
			} else if (p < end && *p == '/') {
				b = hi;
			}
		}
		if (p < end && *p == '/') {
			p++;
			if (p >= end || !isdigit((unsigned char)*p) || field_value(&p, end, lo, NULL, &step) < 0 ||
			    step < 1)
				return -1;
		}
		if (a < lo || b > hi || a > b)
			return -1;
		for (int v = a; v <= b; v += step)
			*bits |= (uint64_t)1 << v;
		if (p == end)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static int parse_special(const char *w, size_t n, struct sched *s)
{
	static const struct {
		const char *name;
		const char *fields;
	} specials[] = {
		{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
		{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};

	memset(s, 0, sizeof *s);
	if (n == 7 && memcmp(w, "@reboot", 7) == 0) {
		s->reboot = 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof specials / sizeof *specials; i++) {
		const char *f = specials[i].fields;
		uint64_t b;

		if (strlen(specials[i].name) != n || memcmp(specials[i].name, w, n) != 0)
			continue;
		parse_field(f, 1, 0, 59, NULL, &s->minute, NULL);
		parse_field(f + 2, 1, 0, 23, NULL, &b, NULL);
		s->hour = (uint32_t)b;
		parse_field(f + 4, 1, 1, 31, NULL, &b, &s->dom_star);
		s->dom = (uint32_t)b;
		parse_field(f + 6, 1, 1, 12, NULL, &b, NULL);
		s->month = (uint16_t)b;
		parse_field(f + 8, 1, 0, 7, NULL, &b, &s->dow_star);
		s->dow = (uint8_t)((b | (b >> 7)) & 0x7f);
		return 0;
	}
	return -1;
}

struct day {
	uint8_t month, mday, wday;
};

static void calendar(struct day *cal)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = 2024, m = 1, d = 1, wd = 1;

	for (int i = 0; i < WINDOW_DAYS; i++) {
		int len = mdays[m - 1] + (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));

		cal[i] = (struct day){ (uint8_t)m, (uint8_t)d, (uint8_t)wd };
		wd = (wd + 1) % 7;
		if (++d > len) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
}

/* cron's day rule: when either day field starts with '*', both must match; else either. */
static int fires_on(const struct sched *s, const struct day *d)
{
	int dom = (s->dom >> d->mday) & 1, dow = (s->dow >> d->wday) & 1;

	if (!((s->month >> d->month) & 1))
		return 0;
	return (s->dom_star || s->dow_star) ? dom && dow : dom || dow;
}

static int bit(const uint64_t *bits, unsigned i)
{
	return (int)((bits[i / 64] >> (i % 64)) & 1);
}

static void set_bit(uint64_t *bits, unsigned i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* ---- The lint state ---------------------------------------------------------------------- */

struct warning {
	unsigned line, seq;
	char *msg;
};

struct var {
	char *name, *value;
};

struct job {
	unsigned line;
	struct sched s;
	int splayed;
	int duplicate;                    /* already reported: not counted again in a crowd */
	char *key;                        /* user and normalised command, for duplicates */
	uint64_t days[DAY_WORDS];         /* the days of the window it fires on */
	uint64_t mods[MOD_WORDS];         /* the minutes of the day it fires at */
};

struct lint {
	const struct lint_history *h;
	enum lint_format format;
	unsigned same_minute;
	struct day cal[WINDOW_DAYS];
	struct warning *w;
	size_t nw, wcap;
	struct var *vars;
	size_t nvars, varcap;
	struct job *jobs;
	size_t njobs, jobcap;
	int oom;
};

static void warn(struct lint *l, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warn(struct lint *l, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	if (l->oom)
		return;
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		l->oom = 1;
		return;
	}
	if (l->nw == l->wcap) {
		size_t cap = l->wcap ? l->wcap * 2 : 16;
		struct warning *nw = realloc(l->w, cap * sizeof *nw);

		if (!nw) {
			free(msg);
			l->oom = 1;
			return;
		}
		l->w = nw;
		l->wcap = cap;
	}
	l->w[l->nw] = (struct warning){ line, (unsigned)l->nw, msg };
	l->nw++;
}

static const char *var_get(const struct lint *l, const char *name)
{
	for (size_t i = l->nvars; i-- > 0;)
		if (strcmp(l->vars[i].name, name) == 0)
			return l->vars[i].value;
	return NULL;
}

static void var_set(struct lint *l, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value);

	if (l->nvars == l->varcap) {
		size_t cap = l->varcap ? l->varcap * 2 : 8;
		struct var *nv = realloc(l->vars, cap * sizeof *nv);

		if (nv) {
			l->vars = nv;
			l->varcap = cap;
		}
	}
	if (!n || !v || l->nvars == l->varcap) {
		free(n);
		free(v);
		l->oom = 1;
		return;
	}
	l->vars[l->nvars++] = (struct var){ n, v };
}

/* ---- Crontab lines ----------------------------------------------------------------------- */

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A variable line as cron reads one: NAME = VALUE, either side optionally quoted. */
static int parse_var(const char *s, char *name, char *value)
{
	const char *e;
	size_t n;

	while (blank(*s))
		s++;
	if (*s == '"' || *s == '\'') {
		e = strchr(s + 1, *s);
		if (!e)
			return 0;
		n = (size_t)(e - s - 1);
		memcpy(name, s + 1, n);
		s = e + 1;
	} else {
		for (e = s; *e && *e != '=' && !blank(*e); e++)
			;
		n = (size_t)(e - s);
		memcpy(name, s, n);
		s = e;
	}
	name[n] = '\0';
	while (blank(*s))
		s++;
	if (n == 0 || *s != '=')
		return 0;
	s++;
	while (blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s++;
		n -= 2;
	}
	memcpy(value, s, n);
	value[n] = '\0';
	return 1;
}

static void lint_var(struct lint *l, unsigned line, const char *name, const char *value)
{
	const struct lopt *o;
	int on;

	var_set(l, name, value);
	if (strncmp(name, "CRONGUARD_", 10) != 0)
		return;
	/* cronguard refuses any CRONGUARD_ variable it does not know, so a typo is loud. */
	o = find_env(name);
	if (!o)
		warn(l, line, "unknown variable %s: every cronguard line below fails (exit 125)", name);
	else if (!value_ok(o, value))
		warn(l, line, "bad value for %s: '%s': every cronguard line below fails (exit 125)",
		     name, value);
	else if (o->kind == K_ACTION && parse_bool(value, &on) == 0 && on)
		warn(l, line, "%s is set: the cronguard lines below never run their command", name);
}

/* cron's own pass over the command: "\%" becomes "%", and the first other "%" ends the
 * command (the rest is its standard input). Writes the command to OUT; returns whether
 * such a "%" was found. */
static int cron_command(const char *cmd, char *out)
{
	int escaped = 0;
	char *p = out;

	for (; *cmd; cmd++) {
		if (escaped) {
			if (*cmd == '%')
				p[-1] = '%';
			else
				*p++ = *cmd;
			escaped = 0;
			continue;
		}
		if (*cmd == '%') {
			*p = '\0';
			return 1;
		}
		escaped = *cmd == '\\';
		*p++ = *cmd;
	}
	*p = '\0';
	return 0;
}

/* The command with runs of blanks outside quotes made one space: the duplicate key. */
static void normalise(const char *s, char *out)
{
	char quote = 0, *p = out;

	while (blank(*s))
		s++;
	for (; *s; s++) {
		if (!quote && blank(*s)) {
			while (blank(s[1]))
				s++;
			if (s[1])
				*p++ = ' ';
			continue;
		}
		if (*s == '\\' && quote != '\'' && s[1]) {
			*p++ = *s++;
		} else if (quote && *s == quote) {
			quote = 0;
		} else if (!quote && (*s == '"' || *s == '\'')) {
			quote = *s;
		}
		*p++ = *s;
	}
	*p = '\0';
}

/* ---- Enough of sh(1) to find cronguard's arguments ---------------------------------------- */

struct word {
	char *s;
	unsigned dynamic : 1;    /* holds an expansion: its value is unknown here */
	unsigned sep : 1;        /* ends a simple command (; && || | & and parentheses) */
	unsigned assign : 1;     /* NAME=VALUE before a command */
};

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

static int op_char(char c)
{
	return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>' ||
	       c == '\n';
}

/* Copies $(...), ${...} or `...` from S to *OUT; returns the characters consumed. */
static size_t copy_expansion(const char *s, char **out)
{
	size_t i = 0;

	if (s[0] == '`') {
		*(*out)++ = s[i++];
		while (s[i] && s[i] != '`')
			*(*out)++ = s[i++];
	} else {
		char open = s[1], close = open == '(' ? ')' : '}';
		int depth = 0;

		*(*out)++ = s[i++];
		for (; s[i]; i++) {
			*(*out)++ = s[i];
			if (s[i] == open)
				depth++;
			else if (s[i] == close && --depth == 0)
				return i + 1;
		}
		return i;
	}
	if (s[i])
		*(*out)++ = s[i++];
	return i;
}

/* Splits shell text into words, with a separator word between simple commands;
 * redirections and comments are dropped. W has room for strlen(S) + 2 words, BUF for
 * 2 * strlen(S) + 2 bytes. Returns the number of words. */
static size_t shell_split(const char *s, struct word *w, char *buf)
{
	size_t nw = 0, i = 0;
	char *out = buf;

	for (;;) {
		int redirect = 0;
		struct word cur = { 0 };
		size_t plain = 0;
		int quoted = 0;

		while (blank(s[i]))
			i++;
		if (!s[i] || s[i] == '#')
			break;
		if (op_char(s[i]) && s[i] != '<' && s[i] != '>') {
			while (s[i] && op_char(s[i]) && s[i] != '<' && s[i] != '>')
				i++;
			if (nw > 0 && !w[nw - 1].sep)
				w[nw++] = (struct word){ .s = out, .sep = 1 };
			*out++ = '\0';
			continue;
		}
		cur.s = out;
		while (s[i] && !blank(s[i]) && !op_char(s[i])) {
			char c = s[i];

			if (c == '\\') {
				*out++ = s[i + 1] ? s[i + 1] : '\\';
				i += s[i + 1] ? 2 : 1;
				quoted = 1;
			} else if (c == '\'') {
				for (i++; s[i] && s[i] != '\''; i++)
					*out++ = s[i];
				i += s[i] != '\0';
				quoted = 1;
			} else if (c == '"') {
				for (i++; s[i] && s[i] != '"'; i++) {
					if (s[i] == '\\' && s[i + 1] && strchr("$`\"\\", s[i + 1]))
						i++;
					else if (s[i] == '$' || s[i] == '`')
						cur.dynamic = 1;
					*out++ = s[i];
				}
				i += s[i] != '\0';
				quoted = 1;
			} else if (c == '`' || (c == '$' && (s[i + 1] == '(' || s[i + 1] == '{'))) {
				i += copy_expansion(s + i, &out);
				cur.dynamic = 1;
				quoted = 1;
			} else {
				cur.dynamic |= c == '$';
				*out++ = c;
				i++;
				if (!quoted)
					plain++;
			}
		}
		*out++ = '\0';
		/* "2>file": the digits name a descriptor, not a word. */
		if ((s[i] == '<' || s[i] == '>') && !quoted && strspn(cur.s, "0123456789") == strlen(cur.s)) {
			redirect = 1;
		} else if (cur.s[0] || quoted) {
			const char *eq = strchr(cur.s, '=');

			/* NAME=VALUE, with NAME and "=" unquoted, sets the command's environment. */
			cur.assign = eq && (size_t)(eq - cur.s) < plain &&
				     (isalpha((unsigned char)cur.s[0]) || cur.s[0] == '_') &&
				     strspn(cur.s, NAME_CHARS) == (size_t)(eq - cur.s);
			w[nw++] = cur;
		}
		if (s[i] == '<' || s[i] == '>' || redirect) {
			/* A redirection: the operator, then its target word, both dropped. */
			while (s[i] == '<' || s[i] == '>' || s[i] == '&' || s[i] == '|')
				i++;
			while (blank(s[i]))
				i++;
			while (s[i] && !blank(s[i]) && !op_char(s[i])) {
				char q = s[i++];

				if (q == '\\' && s[i])
					i++;
				else if (q == '\'' || q == '"')
					while (s[i] && s[i++] != q)
						;
			}
		}
	}
	return nw;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* ---- A cronguard invocation ----------------------------------------------------------------- */

/* Settings that decide the checks, at one precedence level; -1 (or UINT64_MAX) is unset. */
struct settings {
	int lock, cluster_lock, random_splay;
	uint64_t splay_ms, timeout_ms, kill_after_ms;
};

#define UNSET_MS UINT64_MAX

static void settings_unset(struct settings *s)
{
	*s = (struct settings){ -1, -1, -1, UNSET_MS, UNSET_MS, UNSET_MS };
}

static void settings_apply(struct settings *s, const struct lopt *o, const char *value)
{
	uint64_t ms;
	int b;

	switch (o->kind) {
	case K_LOCK:
		if (parse_bool(value, &b) == 0)
			s->lock = b;
		break;
	case K_LOCK_FILE:
		s->lock = 1;
		break;
	case K_CLUSTER_LOCK:
		if (parse_bool(value, &b) == 0)
			s->cluster_lock = b;
		break;
	case K_RANDOM_SPLAY:
		if (parse_bool(value, &b) == 0)
			s->random_splay = b;
		break;
	case K_SPLAY:
		if (duration_parse(value, &ms) == 0)
			s->splay_ms = ms;
		break;
	case K_TIMEOUT:
		if (duration_parse(value, &ms) == 0)
			s->timeout_ms = ms;
		break;
	case K_KILL_AFTER:
		if (duration_parse(value, &ms) == 0)
			s->kill_after_ms = ms;
		break;
	default:
		break;
	}
}

/* Layers HIGH over LOW. */
static void settings_merge(struct settings *low, const struct settings *high)
{
	if (high->lock >= 0)
		low->lock = high->lock;
	if (high->cluster_lock >= 0)
		low->cluster_lock = high->cluster_lock;
	if (high->random_splay >= 0)
		low->random_splay = high->random_splay;
	if (high->splay_ms != UNSET_MS)
		low->splay_ms = high->splay_ms;
	if (high->timeout_ms != UNSET_MS)
		low->timeout_ms = high->timeout_ms;
	if (high->kill_after_ms != UNSET_MS)
		low->kill_after_ms = high->kill_after_ms;
}

static int config_entry(void *ctx, unsigned line, const char *key, const char *value, int applies)
{
	const struct lopt *o = find_long(key, strlen(key));

	(void)line;
	if (applies && o && o != AMBIGUOUS && strcmp(o->name, key) == 0)
		settings_apply(ctx, o, value);
	return 0;
}

static void env_settings(struct settings *s, const char *name, const char *value)
{
	const struct lopt *o;

	if (strncmp(name, "CRONGUARD_", 10) == 0 && (o = find_env(name)))
		settings_apply(s, o, value);
}

static uint64_t usual_duration(const struct lint_history *h, const char *name)
{
	for (size_t i = 0; h && i < h->njobs; i++)
		if (strcmp(h->jobs[i].name, name) == 0)
			return h->jobs[i].duration_ms;
	return 0;
}

/* "7m12s": whole seconds from a second on, which is what a person compares. */
static const char *human(uint64_t ms, char *buf)
{
	return duration_format(ms >= 1000 ? ms - ms % 1000 : ms, buf, 32);
}

/* Checks one cronguard invocation, ARGS[0..N) being its arguments, PRE the shell's
 * NAME=VALUE words before it. Returns whether the job is splayed. */
static int lint_invocation(struct lint *l, unsigned line, const struct word *args, size_t n,
			   const struct word *pre, size_t npre, uint64_t period_ms)
{
	struct settings cli, env, eff;
	const char *name = NULL, *command = NULL, *env_name, *from_command = NULL;
	int other_config = 0, known = 1, name_unknown = 0;
	size_t i = 0;
	uint64_t usual, window;
	char a[32], b[32];

	settings_unset(&cli);
	settings_unset(&env);
	while (i < n) {
		const char *wd = args[i].s, *value = NULL;
		const struct lopt *o;

		if (args[i].dynamic) {
			/* "$OPTS": the options or the command are unknown from here on. */
			known = 0;
			break;
		}
		if (strcmp(wd, "--") == 0) {
			i++;
			break;
		}
		if (wd[0] != '-' || wd[1] == '\0')
			break;
		if (wd[1] == '-') {
			const char *eq = strchr(wd + 2, '=');
			size_t len = eq ? (size_t)(eq - wd - 2) : strlen(wd + 2);

			o = find_long(wd + 2, len);
			if (o == AMBIGUOUS) {
				warn(l, line, "ambiguous cronguard option '%.*s'", (int)len + 2, wd);
				return 0;
			}
			if (!o) {
				warn(l, line, "unknown cronguard option '%.*s' (if it is the command, put -- before it)",
				     (int)len + 2, wd);
				return 0;
			}
			if (eq && !o->arg) {
				warn(l, line, "cronguard option '--%s' takes no value", o->name);
				return 0;
			}
			i++;
			if (o->arg) {
				if (!eq && i >= n) {
					warn(l, line, "cronguard option '--%s' needs a value", o->name);
					return 0;
				}
				value = eq ? eq + 1 : args[i].s;
				if (!eq && args[i++].dynamic)
					value = NULL;
			}
		} else {
			/* A cluster of short options, the last of which may take the rest or the next word. */
			size_t k = 1;

			o = NULL;
			for (; wd[k]; k++) {
				o = find_short(wd[k]);
				if (!o) {
					warn(l, line, "unknown cronguard option '-%c' (if '%s' is the command, put -- before it)",
					     wd[k], wd);
					return 0;
				}
				if (o->arg)
					break;
				settings_apply(&cli, o, "");
				if (o->kind == K_ACTION)
					break;
			}
			i++;
			if (o->arg) {
				if (wd[k + 1]) {
					value = wd + k + 1;
				} else if (i < n) {
					value = args[i].dynamic ? NULL : args[i].s;
					i++;
				} else {
					warn(l, line, "cronguard option '-%c' needs a value", o->shortopt);
					return 0;
				}
			} else if (o->kind != K_ACTION) {
				continue;
			}
		}
		if (o->kind == K_ACTION) {
			warn(l, line, "cronguard --%s in a crontab line: the command never runs", o->name);
			return 0;
		}
		if (!o->arg) {
			settings_apply(&cli, o, "");
			continue;
		}
		if (o->kind == K_CONFIG)
			other_config = 1;
		/* "-n $JOB": the name is unknown, not the command's basename. */
		name_unknown |= o->kind == K_NAME && !value;
		if (!value)
			continue;
		if (!value_ok(o, value)) {
			warn(l, line, "bad value for cronguard --%s: '%s' (cronguard exits 125)", o->name, value);
			return 0;
		}
		if (o->kind == K_NAME)
			name = value;
		settings_apply(&cli, o, value);
	}
	if (known && i >= n) {
		warn(l, line, "cronguard without a command");
		return 0;
	}
	if (known && !args[i].dynamic)
		command = args[i].s;

	/* The environment: crontab variables, then the shell's NAME=VALUE words. */
	env_name = var_get(l, "CRONGUARD_NAME");
	other_config |= var_get(l, "CRONGUARD_CONFIG") != NULL;
	for (size_t v = 0; v < l->nvars; v++)
		env_settings(&env, l->vars[v].name, l->vars[v].value);
	for (size_t p = 0; p < npre; p++) {
		const char *eq = strchr(pre[p].s, '=');
		char var[64];

		/* Only the NAME=VALUE words: "exec", "env" and the like are skipped. */
		if (!pre[p].assign || !eq || (size_t)(eq - pre[p].s) >= sizeof var)
			continue;
		memcpy(var, pre[p].s, (size_t)(eq - pre[p].s));
		var[eq - pre[p].s] = '\0';
		if (strcmp(var, "CRONGUARD_NAME") == 0) {
			env_name = pre[p].dynamic ? NULL : eq + 1;
			name_unknown |= pre[p].dynamic;
		}
		other_config |= strcmp(var, "CRONGUARD_CONFIG") == 0;
		if (!pre[p].dynamic)
			env_settings(&env, var, eq + 1);
	}
	if (!name && !name_unknown)
		name = env_name;
	if (!name && !name_unknown && command) {
		from_command = base_name(command);
		if (!options_valid_name(from_command)) {
			warn(l, line, "cronguard cannot name the job after '%s': give -n NAME (cronguard exits 125)",
			     command);
			return 0;
		}
		name = from_command;
	}

	/* Config file < environment < command line, as cronguard layers them. */
	eff = (struct settings){ 0, 0, 0, 0, 0, 10000 };
	if (l->h && l->h->config && !other_config) {
		struct settings conf;
		unsigned bad;
		char err[128];

		settings_unset(&conf);
		conf_scan(l->h->config, l->h->config_len, name, config_entry, &conf, &bad, err, sizeof err);
		settings_merge(&eff, &conf);
	}
	settings_merge(&eff, &env);
	settings_merge(&eff, &cli);

	/* Overlap: the next firing comes before the last run's duration is over. */
	usual = name ? usual_duration(l->h, name) : 0;
	if (!eff.lock && !eff.cluster_lock && usual > 0 && period_ms != NO_PERIOD) {
		window = period_ms;
		if (eff.random_splay)
			window = eff.splay_ms >= window ? 0 : window - eff.splay_ms;
		/* A timeout with a KILL that lands before the next firing also prevents overlap. */
		if (usual > window && !(eff.timeout_ms > 0 && eff.kill_after_ms > 0 &&
					eff.timeout_ms + eff.kill_after_ms <= window))
			warn(l, line, "job %s can start again %s after a run, but a recent run took %s, "
				      "and the line has no --lock: runs will overlap",
			     name, human(window, a), human(usual, b));
	}
	return eff.splay_ms > 0;
}

/* ---- Schedules: period and collisions ------------------------------------------------------ */

static void expand(const struct lint *l, struct job *j)
{
	memset(j->days, 0, sizeof j->days);
	memset(j->mods, 0, sizeof j->mods);
	if (j->s.reboot)
		return;
	for (unsigned d = 0; d < WINDOW_DAYS; d++)
		if (fires_on(&j->s, &l->cal[d]))
			set_bit(j->days, d);
	for (unsigned h = 0; h < 24; h++)
		for (unsigned m = 0; m < 60; m++)
			if (((j->s.hour >> h) & 1) && ((j->s.minute >> m) & 1))
				set_bit(j->mods, h * 60 + m);
}

/* The shortest time between two firings in the window, in ms, or NO_PERIOD. */
static uint64_t period_ms(const struct job *j)
{
	int first = -1, last = -1, prev = -1, prevday = -1;
	uint64_t best = NO_PERIOD;

	for (int m = 0; m < DAY_MINUTES; m++) {
		if (!bit(j->mods, (unsigned)m))
			continue;
		if (prev >= 0 && (uint64_t)(m - prev) < best)
			best = (uint64_t)(m - prev);
		if (first < 0)
			first = m;
		last = prev = m;
	}
	if (first < 0)
		return NO_PERIOD;
	for (int d = 0; d < WINDOW_DAYS; d++) {
		if (!bit(j->days, (unsigned)d))
			continue;
		if (prevday >= 0) {
			uint64_t gap = (uint64_t)(d - prevday) * DAY_MINUTES + (uint64_t)first - (uint64_t)last;

			if (gap < best)
				best = gap;
		}
		prevday = d;
	}
	if (prevday < 0)
		return NO_PERIOD;
	return best == NO_PERIOD ? NO_PERIOD : best * 60000;
}

struct group {
	uint64_t *members;        /* bits over the eligible jobs */
	int minute;
	int dropped;
};

static size_t popcount(const uint64_t *b, size_t words)
{
	size_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (size_t)__builtin_popcountll(b[i]);
	return n;
}

static int subset(const uint64_t *a, const uint64_t *b, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (a[i] & ~b[i])
			return 0;
	return 1;
}

/* Jobs without a splay starting on the same minute: one warning per largest set of them. */
static void lint_same_minute(struct lint *l)
{
	size_t *elig = malloc((l->njobs + 1) * sizeof *elig), ne = 0, words, nsig = 0, ngroups = 0;
	uint64_t **sigs = NULL, *cur = NULL;
	struct group *groups = NULL;

	for (size_t i = 0; elig && i < l->njobs; i++)
		if (!l->jobs[i].splayed && !l->jobs[i].duplicate && !l->jobs[i].s.reboot)
			elig[ne++] = i;
	if (!elig || ne < l->same_minute) {
		free(elig);
		l->oom |= !elig;
		return;
	}
	words = (ne + 63) / 64;
	sigs = calloc(WINDOW_DAYS, sizeof *sigs);
	groups = calloc(MAX_GROUPS, sizeof *groups);
	if (!sigs || !groups)
		goto oom;
	/* The days with the same set of jobs are one case: most crontabs have a handful. */
	for (unsigned d = 0; d < WINDOW_DAYS; d++) {
		size_t s;

		if (!cur && !(cur = calloc(words, sizeof *cur)))
			goto oom;
		for (size_t k = 0; k < ne; k++)
			if (bit(l->jobs[elig[k]].days, d))
				set_bit(cur, (unsigned)k);
		if (popcount(cur, words) < l->same_minute) {
			memset(cur, 0, words * sizeof *cur);
			continue;
		}
		for (s = 0; s < nsig && memcmp(sigs[s], cur, words * sizeof *cur) != 0; s++)
			;
		if (s == nsig) {
			sigs[nsig++] = cur;
			cur = NULL;
		} else {
			memset(cur, 0, words * sizeof *cur);
		}
	}
	for (size_t s = 0; s < nsig; s++) {
		unsigned counts[DAY_MINUTES] = { 0 };
		size_t last = MAX_GROUPS;

		for (size_t k = 0; k < ne; k++) {
			if (!bit(sigs[s], (unsigned)k))
				continue;
			for (unsigned wi = 0; wi < MOD_WORDS; wi++)
				for (uint64_t b = l->jobs[elig[k]].mods[wi]; b; b &= b - 1)
					counts[wi * 64 + (unsigned)__builtin_ctzll(b)]++;
		}
		for (unsigned m = 0; m < DAY_MINUTES && ngroups < MAX_GROUPS; m++) {
			size_t g;

			if (counts[m] < l->same_minute)
				continue;
			if (!cur && !(cur = calloc(words, sizeof *cur)))
				goto oom;
			for (size_t k = 0; k < ne; k++)
				if (bit(sigs[s], (unsigned)k) && bit(l->jobs[elig[k]].mods, m))
					set_bit(cur, (unsigned)k);
			/* Neighbouring minutes usually hold the same crowd: try the last one first. */
			if (last < ngroups && memcmp(groups[last].members, cur, words * sizeof *cur) == 0)
				g = last;
			else
				for (g = 0; g < ngroups && memcmp(groups[g].members, cur, words * sizeof *cur) != 0; g++)
					;
			last = g;
			if (g == ngroups) {
				groups[ngroups++] = (struct group){ cur, (int)m, 0 };
				cur = NULL;
			} else {
				memset(cur, 0, words * sizeof *cur);
			}
		}
	}
	/* A set inside a larger one is the same crowd seen at another time: say it once. */
	for (size_t g = 0; g < ngroups; g++)
		for (size_t o = 0; o < ngroups && !groups[g].dropped; o++)
			if (o != g && !groups[o].dropped && subset(groups[g].members, groups[o].members, words))
				groups[g].dropped = 1;
	for (size_t g = 0; g < ngroups; g++) {
		char lines[MAX_LISTED * 12 + 32];
		size_t len = 0, listed = 0, total = popcount(groups[g].members, words);
		unsigned first = 0;

		if (groups[g].dropped)
			continue;
		for (size_t k = 0; k < ne; k++) {
			if (!bit(groups[g].members, (unsigned)k))
				continue;
			if (!first)
				first = l->jobs[elig[k]].line;
			if (listed < MAX_LISTED)
				len += (size_t)snprintf(lines + len, sizeof lines - len, "%s%u", listed ? ", " : "",
							l->jobs[elig[k]].line);
			listed++;
		}
		if (listed > MAX_LISTED)
			snprintf(lines + len, sizeof lines - len, " and %zu more", listed - MAX_LISTED);
		warn(l, first, "%zu jobs start on the same minute without a splay (lines %s; first at %02d:%02d): "
			       "spread them with cronguard --splay",
		     total, lines, groups[g].minute / 60, groups[g].minute % 60);
	}
	goto out;
oom:
	l->oom = 1;
out:
	for (size_t s = 0; s < nsig; s++)
		free(sigs[s]);
	for (size_t g = 0; g < ngroups; g++)
		free(groups[g].members);
	free(sigs);
	free(groups);
	free(cur);
	free(elig);
}

/* ---- One line --------------------------------------------------------------------------------- */

/* The blank-separated words of S: up to MAX of them, their starts and lengths. */
static size_t fields(const char *s, const char **start, size_t *len, size_t max)
{
	size_t n = 0;

	while (n < max) {
		while (blank(*s))
			s++;
		if (!*s)
			break;
		start[n] = s;
		while (*s && !blank(*s))
			s++;
		len[n] = (size_t)(s - start[n]);
		n++;
	}
	return n;
}

static int parse_schedule(const char **f, const size_t *n, struct sched *s, const char **bad)
{
	static const char *const what[] = { "minute", "hour", "day-of-month", "month", "day-of-week" };
	uint64_t b[5];
	uint8_t dom_star = 0, dow_star = 0;
	int rc[5];

	rc[0] = parse_field(f[0], n[0], 0, 59, NULL, &b[0], NULL);
	rc[1] = parse_field(f[1], n[1], 0, 23, NULL, &b[1], NULL);
	rc[2] = parse_field(f[2], n[2], 1, 31, NULL, &b[2], &dom_star);
	rc[3] = parse_field(f[3], n[3], 1, 12, month_names, &b[3], NULL);
	rc[4] = parse_field(f[4], n[4], 0, 7, dow_names, &b[4], &dow_star);
	for (int i = 0; i < 5; i++) {
		if (rc[i] < 0) {
			*bad = what[i];
			return i;
		}
	}
	*s = (struct sched){ .minute = b[0], .hour = (uint32_t)b[1], .dom = (uint32_t)b[2],
			     .month = (uint16_t)b[3], .dow = (uint8_t)((b[4] | (b[4] >> 7)) & 0x7f),
			     .dom_star = dom_star, .dow_star = dow_star };
	return -1;
}

static int same_sched(const struct sched *a, const struct sched *b)
{
	return a->minute == b->minute && a->hour == b->hour && a->dom == b->dom &&
	       a->month == b->month && a->dow == b->dow && a->reboot == b->reboot &&
	       (a->dom_star || a->dow_star) == (b->dom_star || b->dow_star);
}

static void lint_job(struct lint *l, unsigned line, const char *s)
{
	const char *f[7], *cmd, *bad = NULL;
	size_t n[7], nf, nsched, want, ulen = 0;
	struct job j = { .line = line };
	char *sh = NULL, *norm = NULL, *wbuf = NULL;
	struct word *w = NULL;
	int pct, any = 0, splayed = 0;
	uint64_t period;
	int badfield;

	nsched = s[0] == '@' ? 1 : 5;
	want = nsched + (l->format == LINT_SYSTEM) + 1;
	nf = fields(s, f, n, want);
	if (nsched == 1 && parse_special(f[0], n[0], &j.s) < 0) {
		warn(l, line, "not a valid crontab line: unknown schedule '%.*s'", (int)n[0], f[0]);
		return;
	}
	if (nf < want) {
		warn(l, line, "not a valid crontab line: expected %s%s a command",
		     nsched == 1 ? "a schedule" : "five time fields",
		     l->format == LINT_SYSTEM ? ", a user and" : " and");
		return;
	}
	if (nsched == 5 && (badfield = parse_schedule(f, n, &j.s, &bad)) >= 0) {
		warn(l, line, "not a valid crontab line: bad %s field '%.*s'", bad, (int)n[badfield],
		     f[badfield]);
		return;
	}
	if (l->format == LINT_SYSTEM)
		ulen = n[nsched];
	cmd = f[want - 1];

	sh = malloc(strlen(cmd) + 1);
	norm = malloc(ulen + strlen(cmd) + 2);
	w = malloc((strlen(cmd) + 2) * sizeof *w);
	wbuf = malloc(2 * strlen(cmd) + 2);
	if (!sh || !norm || !w || !wbuf) {
		l->oom = 1;
		goto out;
	}
	expand(l, &j);
	period = period_ms(&j);
	if (!j.s.reboot && popcount(j.days, DAY_WORDS) == 0)
		warn(l, line, "the schedule never fires: no month has that day");

	/* cronguard lines: every simple command of the line whose program is cronguard. */
	pct = cron_command(cmd, sh);
	{
		size_t nw = shell_split(sh, w, wbuf), c = 0;

		while (c < nw) {
			size_t e = c, p = c;

			while (e < nw && !w[e].sep)
				e++;
			while (p < e && w[p].assign)
				p++;
			while (p < e && (strcmp(w[p].s, "exec") == 0 || strcmp(w[p].s, "command") == 0 ||
					 strcmp(w[p].s, "nohup") == 0))
				p++;
			if (p < e && strcmp(base_name(w[p].s), "env") == 0)
				for (p++; p < e && w[p].assign; p++)
					;
			if (p < e && !w[p].dynamic && strcmp(base_name(w[p].s), "cronguard") == 0) {
				any = 1;
				splayed |= lint_invocation(l, line, w + p + 1, e - p - 1, w + c, p - c, period);
			}
			c = e + 1;
		}
	}
	if (any && pct)
		warn(l, line, "unescaped %% in a cronguard line: cron ends the command there and feeds the "
			      "rest to its standard input; write \\%%");

	/* Duplicates: the same schedule, user and command, however they are spaced. */
	memcpy(norm, f[nsched], ulen);
	norm[ulen] = '\x1f';
	normalise(cmd, norm + ulen + 1);
	for (size_t i = 0; i < l->njobs; i++) {
		if (same_sched(&l->jobs[i].s, &j.s) && strcmp(l->jobs[i].key, norm) == 0) {
			warn(l, line, "duplicate of line %u: the job runs twice", l->jobs[i].line);
			j.duplicate = 1;
			break;
		}
	}
	j.splayed = splayed;
	j.key = norm;
	if (l->njobs == l->jobcap) {
		size_t cap = l->jobcap ? l->jobcap * 2 : 16;
		struct job *nj = realloc(l->jobs, cap * sizeof *nj);

		if (!nj) {
			l->oom = 1;
			goto out;
		}
		l->jobs = nj;
		l->jobcap = cap;
	}
	l->jobs[l->njobs++] = j;
	norm = NULL;
out:
	free(sh);
	free(norm);
	free(w);
	free(wbuf);
}

static void lint_line(struct lint *l, unsigned line, char *s, size_t n, int last)
{
	char *name, *value;

	int cr = n > 0 && s[n - 1] == '\r';

	if (memchr(s, '\0', n)) {
		warn(l, line, "NUL byte in the line");
		return;
	}
	if (cr)
		s[--n] = '\0';
	while (blank(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return;
	if (cr)
		warn(l, line, "carriage return at the end of the line (DOS line endings): cron keeps it "
			      "as part of the line");
	if (last)
		warn(l, line, "no newline at the end of the file: cron takes the crontab as broken");
	name = malloc(n + 1);
	value = malloc(n + 1);
	if (!name || !value)
		l->oom = 1;
	else if (parse_var(s, name, value))
		lint_var(l, line, name, value);
	else
		lint_job(l, line, s);
	free(name);
	free(value);
}

/* ---- The format, when it is not given ------------------------------------------------------- */

static int user_like(const char *s, size_t n)
{
	if (n == 0 || n > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && !strchr("_.-", s[i]) &&
		    !(s[i] == '$' && i == n - 1))
			return 0;
	return 1;
}

static int is_cronguard(const char *s, size_t n)
{
	return (n == 9 || (n > 9 && s[n - 10] == '/')) && memcmp(s + n - 9, "cronguard", 9) == 0;
}

/* Weighs each job line's first two words after the schedule: "root", or a user name followed
 * by cronguard or an absolute path, says system; a path or cronguard itself says user. */
static enum lint_format guess_format(const char *text, size_t len)
{
	int sys = 0, usr = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char line[512], name[512], value[512];
		const char *f[7];
		size_t fl[7], k, nf;

		if (n < sizeof line) {
			memcpy(line, text + pos, n);
			line[n] = '\0';
		} else {
			line[0] = '\0';
		}
		pos += n + (nl ? 1 : 0);
		if (strlen(line) != n || parse_var(line, name, value))
			continue;
		nf = fields(line, f, fl, 7);
		if (nf == 0 || f[0][0] == '#')
			continue;
		k = f[0][0] == '@' ? 1 : 5;
		if (nf <= k)
			continue;
		if (fl[k] == 4 && memcmp(f[k], "root", 4) == 0)
			sys += 2;
		else if (!user_like(f[k], fl[k]) || is_cronguard(f[k], fl[k]))
			usr += 2;
		if (nf == k + 1)
			usr++;
		else if (user_like(f[k], fl[k]) && is_cronguard(f[k + 1], fl[k + 1]))
			sys += 2;
		else if (user_like(f[k], fl[k]) && f[k + 1][0] == '/')
			sys++;
	}
	return sys > usr ? LINT_SYSTEM : LINT_USER;
}

/* ---- The entry points ------------------------------------------------------------------------ */

static int by_line(const void *a, const void *b)
{
	const struct warning *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int lint_crontab(const char *text, size_t len, const struct lint_history *hist, lint_emit_fn emit,
		 void *ctx)
{
	struct lint *l = calloc(1, sizeof *l);
	unsigned lineno = 0;
	size_t pos = 0;
	int rc;

	if (!l) {
		errno = ENOMEM;
		return -1;
	}
	l->h = hist;
	l->format = hist ? hist->format : LINT_AUTO;
	if (l->format == LINT_AUTO)
		l->format = guess_format(text, len);
	l->same_minute = hist && hist->same_minute ? hist->same_minute : LINT_SAME_MINUTE;
	calendar(l->cal);
	while (pos < len && !l->oom) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *line = malloc(n + 1);

		lineno++;
		if (!line) {
			l->oom = 1;
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		lint_line(l, lineno, line, n, !nl);
		free(line);
	}
	if (!l->oom)
		lint_same_minute(l);
	if (l->nw > 1)
		qsort(l->w, l->nw, sizeof *l->w, by_line);
	for (size_t i = 0; i < l->nw && !l->oom; i++)
		emit(ctx, l->w[i].line, l->w[i].msg);
	rc = l->oom ? -1 : (int)l->nw;
	for (size_t i = 0; i < l->nw; i++)
		free(l->w[i].msg);
	for (size_t i = 0; i < l->nvars; i++) {
		free(l->vars[i].name);
		free(l->vars[i].value);
	}
	for (size_t i = 0; i < l->njobs; i++)
		free(l->jobs[i].key);
	free(l->w);
	free(l->vars);
	free(l->jobs);
	free(l);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

/* Reads a whole file of at most MAX_FILE bytes; "-" is standard input. */
static char *slurp(const char *path, size_t *len)
{
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0, cap = 4096;
	char *buf = NULL;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			char *nb = cap >= MAX_FILE ? NULL : realloc(buf, (cap *= 2) + 1);

			if (!nb) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(buf);
			buf = NULL;
			errno = e;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (fd > 0)
		close(fd);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* The duration a person would call usual: the longer of the last success and the last run
 * that ran the command (a skip or an error says nothing about the job's length). */
static uint64_t doc_duration(const json_t *doc)
{
	static const char *const ran[] = { "success", "failure", "timeout", "signaled" };
	const char *which[] = { "last_success", "last_run" };
	double best = 0;

	for (size_t i = 0; i < 2; i++) {
		const json_t *run = json_object_get(doc, which[i]);
		const char *state = json_string_value(json_object_get(run, "state"));
		const json_t *d = json_object_get(run, "duration");
		int counts = 0;

		for (size_t k = 0; state && k < sizeof ran / sizeof *ran; k++)
			counts |= strcmp(state, ran[k]) == 0;
		if (counts && json_is_number(d) && json_number_value(d) > best)
			best = json_number_value(d);
	}
	return best > 0 && best < 1e9 ? (uint64_t)(best * 1000) : 0;
}

int lint_history_load(struct lint_history *h, const char *state_dir, const char *config_path,
		      char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	memset(h, 0, sizeof *h);
	if (config_path && !(h->config = slurp(config_path, &h->config_len))) {
		snprintf(err, errlen, "cannot read %s: %s", config_path, strerror(errno));
		return -1;
	}
	if (!state_dir || !(d = opendir(state_dir))) {
		if (!state_dir || errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read state dir %s: %s", state_dir, strerror(errno));
		lint_history_free(h);
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[4096];
		json_t *doc;
		uint64_t ms;

		if (de->d_name[0] == '.' || l < 6 || l - 5 > 64 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", state_dir, de->d_name);
		doc = json_load_file(path, 0, NULL);
		ms = doc ? doc_duration(doc) : 0;
		json_decref(doc);
		if (ms == 0)
			continue;
		if (h->njobs == cap) {
			struct lint_job *nj = realloc(h->jobs, (cap = cap ? cap * 2 : 32) * sizeof *nj);

			if (!nj) {
				closedir(d);
				lint_history_free(h);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			h->jobs = nj;
		}
		memcpy(h->jobs[h->njobs].name, de->d_name, l - 5);
		h->jobs[h->njobs].name[l - 5] = '\0';
		h->jobs[h->njobs++].duration_ms = ms;
	}
	closedir(d);
	return 0;
}

void lint_history_free(struct lint_history *h)
{
	free(h->jobs);
	free(h->config);
	memset(h, 0, sizeof *h);
}

struct printer {
	FILE *out;
	const char *label;
};

static void print_warning(void *ctx, unsigned line, const char *message)
{
	struct printer *p = ctx;

	fprintf(p->out, "%s:%u: %s\n", p->label, line, message);
}

int lint_file(const char *path, const char *state_dir, const char *config_path, FILE *out,
	      char *err, size_t errlen)
{
	struct lint_history h;
	struct printer p = { out, strcmp(path, "-") == 0 ? "stdin" : path };
	size_t len;
	char *text = slurp(path, &len);
	int n;

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (lint_history_load(&h, state_dir, config_path, err, errlen) < 0) {
		free(text);
		return -1;
	}
	/* The system crontabs have a user field; anything else is guessed from its lines. */
	if (strcmp(path, "/etc/crontab") == 0 || strncmp(path, "/etc/cron.d/", 12) == 0)
		h.format = LINT_SYSTEM;
	n = lint_crontab(text, len, &h, print_warning, &p);
	if (n < 0)
		snprintf(err, errlen, "out of memory linting %s", path);
	lint_history_free(&h);
	free(text);
	return n;
}
