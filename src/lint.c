/* --lint-crontab: reads a crontab and warns about what burns people on a fleet. The schedule
 * is cronsched's, the words shword's, and each cronguard invocation goes through cronguard's
 * own option grammar (options_parse, options_check): lint only adds the checks. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "cronsched.h"
#include "duration.h"
#include "lint.h"
#include "options.h"
#include "shword.h"

enum { MAX_GROUPS = 256, MAX_LISTED = 8 };

/* What an expansion ($X, $(...)) on a cronguard line stands for when its words are parsed: a
 * message that quotes it is about a value lint cannot know, and is not reported. */
#define EXPANSION "/cronguard-lint/expansion"

/* ---- The lint state ---------------------------------------------------------------------- */

struct warning {
	unsigned line, seq;
	char *msg;
};

struct job {
	unsigned line;
	struct cronsched s;
	int splayed;
	int duplicate;                    /* already reported: not counted again in a crowd */
	char *key;                        /* user and normalised command, for duplicates */
	struct cronsched_times t;
};

struct lint {
	const struct lint_history *h;
	enum lint_format format;
	unsigned same_minute;
	struct warning *w;
	size_t nw, wcap;
	char **env;                       /* the crontab's valid CRONGUARD_ variables, NAME=VALUE */
	size_t nenv, envcap;
	int env_dry_run;                  /* CRONGUARD_DRY_RUN is on (said once, at its line) */
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

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static int bit(const uint64_t *bits, unsigned i)
{
	return (int)((bits[i / 64] >> (i % 64)) & 1);
}

static void set_bit(uint64_t *bits, unsigned i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* ---- Crontab variable lines ---------------------------------------------------------------- */

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

/* A crontab variable is kept for the cronguard lines below it; a CRONGUARD_ one is first put
 * through cronguard's grammar on its own, so a bad one is said once, here, and left out. */
static void lint_var(struct lint *l, unsigned line, const char *name, const char *value)
{
	char *argv[] = { (char *)"cronguard", (char *)"--", (char *)"true", NULL };
	struct options_source src = { NULL, NULL, NULL };
	char *env[2] = { NULL, NULL }, err[1024];
	struct options o;

	if (strncmp(name, "CRONGUARD_", 10) != 0)
		return;
	if (asprintf(&env[0], "%s=%s", name, value) < 0) {
		l->oom = 1;
		return;
	}
	src.env = env;
	if (options_parse(&o, 3, argv, &src, err, sizeof err) < 0) {
		warn(l, line, "cronguard: %s: every cronguard line below fails (exit 125)", err);
		free(env[0]);
		options_free(&o);
		return;
	}
	if (strcmp(name, "CRONGUARD_DRY_RUN") == 0) {
		if (o.dry_run && !l->env_dry_run)
			warn(l, line, "%s is set: the cronguard lines below never run their command", name);
		l->env_dry_run = o.dry_run;
	}
	options_free(&o);
	if (l->nenv + 1 >= l->envcap) {
		size_t cap = l->envcap ? l->envcap * 2 : 8;
		char **ne = realloc(l->env, cap * sizeof *ne);

		if (!ne) {
			free(env[0]);
			l->oom = 1;
			return;
		}
		l->env = ne;
		l->envcap = cap;
	}
	l->env[l->nenv++] = env[0];
	l->env[l->nenv] = NULL;
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

/* ---- A cronguard invocation ----------------------------------------------------------------- */

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

static const char *action_name(enum action a)
{
	switch (a) {
	case ACTION_HELP:
		return "help";
	case ACTION_VERSION:
		return "version";
	case ACTION_STATUS:
		return "status";
	case ACTION_LINT:
		return "lint-crontab";
	case ACTION_FORGET:
		return "forget";
	case ACTION_RUN:
		break;
	}
	return "dry-run";
}

/* Overlap: the next firing comes before the last run's duration is over. */
static void check_overlap(struct lint *l, unsigned line, const struct options *o, uint64_t period_ms)
{
	uint64_t usual = usual_duration(l->h, o->name), window = period_ms;
	char a[32], b[32];

	if (o->lock || o->cluster_lock || usual == 0 || period_ms == CRONSCHED_NO_PERIOD)
		return;
	if (o->random_splay)
		window = o->splay_ms >= window ? 0 : window - o->splay_ms;
	/* A timeout with a KILL that lands before the next firing also prevents overlap. */
	if (usual > window && !(o->timeout_ms > 0 && o->kill_after_ms > 0 &&
				o->timeout_ms + o->kill_after_ms <= window))
		warn(l, line, "job %s can start again %s after a run, but a recent run took %s, "
			      "and the line has no --lock: runs will overlap",
		     o->name, human(window, a), human(usual, b));
}

/* Checks one cronguard invocation: ARGS[0..N) are the words after "cronguard", PRE the shell's
 * NAME=VALUE words before it. They are handed to cronguard's own grammar over the crontab's
 * variables and the config file, so that lint refuses exactly what cronguard refuses. Returns
 * whether the job is splayed (an invocation lint cannot read counts as splayed). */
static int lint_invocation(struct lint *l, unsigned line, const struct shword *args, size_t n,
			   const struct shword *pre, size_t npre, uint64_t period_ms)
{
	char **argv = calloc(n + 2, sizeof *argv), **env = calloc(l->nenv + npre + 1, sizeof *env);
	struct options_source src = { env, l->h ? l->h->conf : NULL, l->h ? l->h->conf_path : NULL };
	struct options o;
	size_t ne = 0, dashdash = n, cmd;
	int rc, dynamic = 0, splayed = 0;
	char err[1024];

	if (!argv || !env) {
		l->oom = 1;
		goto out;
	}
	argv[0] = (char *)"cronguard";
	for (size_t i = 0; i < n; i++) {
		argv[i + 1] = args[i].dynamic ? (char *)EXPANSION : args[i].s;
		dynamic |= args[i].dynamic;
		if (dashdash == n && !args[i].dynamic && strcmp(args[i].s, "--") == 0)
			dashdash = i;
	}
	/* The environment: crontab variables, then the shell's NAME=VALUE words. */
	for (size_t i = 0; i < l->nenv; i++)
		env[ne++] = l->env[i];
	for (size_t i = 0; i < npre; i++) {
		if (!pre[i].assign)
			continue;  /* "exec", "env" and the like */
		if (!pre[i].dynamic) {
			env[ne++] = pre[i].s;
		} else if (strncmp(pre[i].s, "CRONGUARD_", 10) == 0) {
			goto out;  /* CRONGUARD_NAME=$JOB: lint cannot know */
		}
	}
	rc = options_parse(&o, (int)n + 1, argv, &src, err, sizeof err);
	if (rc == 0 && o.action != ACTION_HELP && o.action != ACTION_VERSION)
		rc = options_check(&o, err, sizeof err);
	if (rc < 0) {
		if (dynamic && strstr(err, EXPANSION))
			goto done;  /* about a value only the shell knows */
		warn(l, line, "cronguard: %s", err);
		splayed = 0;
		goto done;
	}
	if (o.action != ACTION_RUN || (o.dry_run && !l->env_dry_run)) {
		warn(l, line, "cronguard --%s in a crontab line: the command never runs", action_name(o.action));
		splayed = 0;
		goto done;
	}
	cmd = (size_t)(o.argv - argv) - 1;
	/* "$OPTS" before the command, without a "--": the options are unknown from there on. */
	if (args[cmd].dynamic && dashdash > cmd)
		goto done;
	splayed = o.splay_ms > 0;
	/* Named after an expansion ("-- $CMD"): the job's name, and so its history, is unknown. */
	if (!args[cmd].dynamic || strcmp(o.name, shword_base(EXPANSION)) != 0)
		check_overlap(l, line, &o, period_ms);
done:
	options_free(&o);
out:
	free(argv);
	free(env);
	return splayed;
}

/* ---- Schedules: collisions ------------------------------------------------------------------- */

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
	sigs = calloc(CRONSCHED_DAYS, sizeof *sigs);
	groups = calloc(MAX_GROUPS, sizeof *groups);
	if (!sigs || !groups)
		goto oom;
	/* The days with the same set of jobs are one case: most crontabs have a handful. */
	for (unsigned d = 0; d < CRONSCHED_DAYS; d++) {
		size_t s;

		if (!cur && !(cur = calloc(words, sizeof *cur)))
			goto oom;
		for (size_t k = 0; k < ne; k++)
			if (bit(l->jobs[elig[k]].t.days, d))
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
		unsigned counts[CRONSCHED_MINUTES] = { 0 };
		size_t last = MAX_GROUPS;

		for (size_t k = 0; k < ne; k++) {
			if (!bit(sigs[s], (unsigned)k))
				continue;
			for (unsigned wi = 0; wi < CRONSCHED_MINUTE_WORDS; wi++)
				for (uint64_t b = l->jobs[elig[k]].t.minutes[wi]; b; b &= b - 1)
					counts[wi * 64 + (unsigned)__builtin_ctzll(b)]++;
		}
		for (unsigned m = 0; m < CRONSCHED_MINUTES && ngroups < MAX_GROUPS; m++) {
			size_t g;

			if (counts[m] < l->same_minute)
				continue;
			if (!cur && !(cur = calloc(words, sizeof *cur)))
				goto oom;
			for (size_t k = 0; k < ne; k++)
				if (bit(sigs[s], (unsigned)k) && bit(l->jobs[elig[k]].t.minutes, m))
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

/* Every simple command of the line whose program is cronguard, through "exec", "command",
 * "nohup" and "env X=1". Returns whether there was one; *SPLAYED whether any was splayed. */
static int lint_commands(struct lint *l, unsigned line, const char *sh, uint64_t period, int *splayed)
{
	size_t len = strlen(sh), nw, c = 0;
	struct shword *w = malloc((len + 2) * sizeof *w);
	char *wbuf = malloc(2 * len + 2);
	int any = 0;

	if (!w || !wbuf) {
		l->oom = 1;
		goto out;
	}
	nw = shword_split(sh, w, wbuf);
	while (c < nw) {
		size_t e = c, p = c;

		while (e < nw && !w[e].sep)
			e++;
		while (p < e && w[p].assign)
			p++;
		while (p < e && (strcmp(w[p].s, "exec") == 0 || strcmp(w[p].s, "command") == 0 ||
				 strcmp(w[p].s, "nohup") == 0))
			p++;
		if (p < e && strcmp(shword_base(w[p].s), "env") == 0)
			for (p++; p < e && w[p].assign; p++)
				;
		if (p < e && !w[p].dynamic && strcmp(shword_base(w[p].s), "cronguard") == 0) {
			any = 1;
			*splayed |= lint_invocation(l, line, w + p + 1, e - p - 1, w + c, p - c, period);
		}
		c = e + 1;
	}
out:
	free(w);
	free(wbuf);
	return any;
}

static void add_job(struct lint *l, struct job *j)
{
	if (l->njobs == l->jobcap) {
		size_t cap = l->jobcap ? l->jobcap * 2 : 16;
		struct job *nj = realloc(l->jobs, cap * sizeof *nj);

		if (!nj) {
			l->oom = 1;
			free(j->key);
			return;
		}
		l->jobs = nj;
		l->jobcap = cap;
	}
	l->jobs[l->njobs++] = *j;
}

static void lint_job(struct lint *l, unsigned line, const char *s)
{
	const char *f[7], *cmd, *bad = NULL;
	size_t n[7], nf, nsched, want, ulen = 0;
	struct job j = { .line = line };
	char *sh = NULL, *norm = NULL;
	int pct, any, splayed = 0, badfield;
	uint64_t period;

	nsched = s[0] == '@' ? 1 : 5;
	want = nsched + (l->format == LINT_SYSTEM) + 1;
	nf = fields(s, f, n, want);
	if (nsched == 1 && cronsched_special(f[0], n[0], &j.s) < 0) {
		warn(l, line, "not a valid crontab line: unknown schedule '%.*s'", (int)n[0], f[0]);
		return;
	}
	if (nf < want) {
		warn(l, line, "not a valid crontab line: expected %s%s a command",
		     nsched == 1 ? "a schedule" : "five time fields",
		     l->format == LINT_SYSTEM ? ", a user and" : " and");
		return;
	}
	if (nsched == 5 && (badfield = cronsched_parse(f, n, &j.s, &bad)) >= 0) {
		warn(l, line, "not a valid crontab line: bad %s field '%.*s'", bad, (int)n[badfield],
		     f[badfield]);
		return;
	}
	if (l->format == LINT_SYSTEM)
		ulen = n[nsched];
	cmd = f[want - 1];
	sh = malloc(strlen(cmd) + 1);
	norm = malloc(ulen + strlen(cmd) + 2);
	if (!sh || !norm) {
		l->oom = 1;
		goto out;
	}
	cronsched_expand(&j.s, &j.t);
	period = cronsched_period_ms(&j.t);
	if (!j.s.reboot && popcount(j.t.days, CRONSCHED_DAY_WORDS) == 0)
		warn(l, line, "the schedule never fires: no month has that day");

	pct = cronsched_command(cmd, sh);
	any = lint_commands(l, line, sh, period, &splayed);
	if (any && pct)
		warn(l, line, "unescaped %% in a cronguard line: cron ends the command there and feeds the "
			      "rest to its standard input; write \\%%");

	/* Duplicates: the same schedule, user and command, however they are spaced. */
	memcpy(norm, f[nsched], ulen);
	norm[ulen] = '\x1f';
	normalise(cmd, norm + ulen + 1);
	for (size_t i = 0; i < l->njobs; i++) {
		if (cronsched_same(&l->jobs[i].s, &j.s) && strcmp(l->jobs[i].key, norm) == 0) {
			warn(l, line, "duplicate of line %u: the job runs twice", l->jobs[i].line);
			j.duplicate = 1;
			break;
		}
	}
	j.splayed = splayed;
	j.key = norm;
	norm = NULL;
	add_job(l, &j);
out:
	free(sh);
	free(norm);
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
	for (size_t i = 0; i < l->nenv; i++)
		free(l->env[i]);
	for (size_t i = 0; i < l->njobs; i++)
		free(l->jobs[i].key);
	free(l->w);
	free(l->env);
	free(l->jobs);
	free(l);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}
