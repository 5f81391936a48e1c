/* --lint-crontab: reads a crontab and warns about what burns people on a fleet. The schedule
 * is cronsched's, the words shword's, and each cronguard invocation goes through cronguard's
 * own option grammar (options_parse, options_check): lint only adds the checks. This file
 * reads each line; variable lines, the wrappers and PATH, and the checks across the whole
 * crontab are lint_vars.c's, lint_path.c's and lint_across.c's. */
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
#include "lint_int.h"
#include "options.h"
#include "shword.h"

/* What an expansion ($X, $(...)) on a cronguard line stands for when its words are parsed: a
 * message that quotes it is about a value lint cannot know, and is not reported. */
#define EXPANSION "/cronguard-lint/expansion"

/* ---- The warnings ------------------------------------------------------------------------- */

static void add_warning(struct lint *l, unsigned line, enum lint_severity sev, const char *fmt,
			va_list ap) __attribute__((format(printf, 4, 0)));
static void add_warning(struct lint *l, unsigned line, enum lint_severity sev, const char *fmt,
			va_list ap)
{
	char *msg;
	int rc;

	if (l->oom)
		return;
	rc = vasprintf(&msg, fmt, ap);
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
	l->w[l->nw] = (struct warning){ line, (unsigned)l->nw, sev, msg };
	l->nw++;
}

/* lint_warn and lint_fault: the severity is the only difference. */
void lint_warn(struct lint *l, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_warning(l, line, LINT_WARNING, fmt, ap);
	va_end(ap);
}

void lint_fault(struct lint *l, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_warning(l, line, LINT_ERROR, fmt, ap);
	va_end(ap);
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
		lint_warn(l, line, "job %s can start again %s after a run, but a recent run took %s, "
				   "and the line has no --lock: runs will overlap",
			  o->name, human(window, a), human(usual, b));
}

/* The words around one cronguard invocation, for the checks that look past its options. */
struct call {
	unsigned line;
	const char *text;                 /* the line's shell text (cron's % pass done) */
	const char *head;                 /* the crontab line before the command, HEADLEN bytes */
	size_t headlen;
	const struct shword *args;        /* the words after "cronguard", redirections apart */
	size_t n;
	const struct shword *pre;         /* the shell's words before it (NAME=VALUE, wrappers) */
	size_t npre;
	const struct shword *outside;     /* a truncating redirection or an operator, or NULL */
	uint64_t period_ms;
};

/* A splay, a lock wait or a timeout as long as the gap between two firings: the run is no
 * longer inside its own period. */
static void check_period(struct lint *l, unsigned line, const struct options *o, uint64_t period_ms)
{
	char a[32], b[32];

	if (period_ms == CRONSCHED_NO_PERIOD)
		return;
	if (o->splay_ms >= period_ms)
		lint_warn(l, line, "--splay %s does not fit in the %s between runs: a run starts after the next "
				   "one is due; keep the splay below the period", human(o->splay_ms, a),
			  human(period_ms, b));
	if (o->lock && o->lock_wait_ms >= period_ms)
		lint_warn(l, line, "--lock-wait %s does not fit in the %s between runs: the runs waiting for the "
				   "lock queue up", human(o->lock_wait_ms, a), human(period_ms, b));
	if (o->timeout_ms > 0 && o->timeout_ms + (o->random_splay ? o->splay_ms : 0) > period_ms)
		lint_warn(l, line, "--timeout %s%s does not fit in the %s between runs: a run that hangs is "
				   "still running when the next one is due", human(o->timeout_ms, a),
			  o->random_splay ? " after the random splay" : "", human(period_ms, b));
}

/* A unit written as a word of its own: "--splay 10 min" makes "min" the command. */
static int unit_word(const char *s)
{
	static const char *const units[] = { "ms", "s", "sec", "secs", "second", "seconds", "m", "min",
					      "mins", "minute", "minutes", "h", "hr", "hrs", "hour",
					      "hours", "d", "day", "days" };

	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (strcmp(s, units[i]) == 0)
			return 1;
	return 0;
}

static int digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Whether WORD is a duration option given its value in the next word (--splay, -s), or with
 * VALUE attached (--splay=10, -s10) when VALUE is not NULL. */
static int duration_option(const char *word, const char **value)
{
	struct options_info in;

	for (size_t i = 0; options_describe(i, &in) == 0; i++) {
		size_t n = strlen(in.name);

		if (in.type != OPT_DURATION)
			continue;
		if (!value) {
			if ((word[0] == '-' && word[1] == '-' && strcmp(word + 2, in.name) == 0) ||
			    (in.shortopt && word[0] == '-' && word[1] == in.shortopt && !word[2]))
				return 1;
		} else if (word[0] == '-' && word[1] == '-' && strncmp(word + 2, in.name, n) == 0 &&
			   word[2 + n] == '=') {
			*value = word + 3 + n;
			return 1;
		} else if (in.shortopt && word[0] == '-' && word[1] == in.shortopt && word[2]) {
			*value = word + 2;
			return 1;
		}
	}
	return 0;
}

/* Returns whether the command word CMD is a duration's unit split off by a space. */
static int split_duration(struct lint *l, const struct call *c, size_t cmd)
{
	const struct shword *a = c->args;
	const char *value = NULL;

	if (cmd == 0 || a[cmd].dynamic || !unit_word(a[cmd].s))
		return 0;
	if (cmd >= 2 && digits(a[cmd - 1].s) && duration_option(a[cmd - 2].s, NULL)) {
		lint_fault(l, c->line, "'%s %s %s': a duration is one word (%s %s%s); here '%s' is taken as the command",
			   a[cmd - 2].s, a[cmd - 1].s, a[cmd].s, a[cmd - 2].s, a[cmd - 1].s, a[cmd].s, a[cmd].s);
		return 1;
	}
	if (duration_option(a[cmd - 1].s, &value) && digits(value)) {
		lint_fault(l, c->line, "'%s %s': a duration is one word (%s%s); here '%s' is taken as the command",
			   a[cmd - 1].s, a[cmd].s, a[cmd - 1].s, a[cmd].s, a[cmd].s);
		return 1;
	}
	return 0;
}

/* Appends N bytes of S to the string *BUF (of *LEN bytes), quoted for sh(1) in single quotes
 * when QUOTE, with every % escaped for cron. */
static void append(struct lint *l, char **buf, size_t *len, const char *s, size_t n, int quote)
{
	char *nb = l->oom ? NULL : realloc(*buf, *len + 4 * n + 4);
	size_t k = *len;

	if (!nb) {
		l->oom = 1;
		return;
	}
	if (quote)
		nb[k++] = '\'';
	for (size_t i = 0; i < n; i++) {
		if (quote && s[i] == '\'') {
			memcpy(nb + k, "'\\''", 4);
			k += 4;
			continue;
		}
		if (s[i] == '%')
			nb[k++] = '\\';
		nb[k++] = s[i];
	}
	if (quote)
		nb[k++] = '\'';
	nb[k] = '\0';
	*buf = nb;
	*len = k;
}

/* Shell text after a cronguard command runs whether or not cronguard runs its command: say
 * so, with the line rewritten to put that text inside the guard with --command. */
static void check_outside(struct lint *l, const struct call *c, const struct options *o, size_t cmd)
{
	const struct shword *a = c->args, *x = c->outside;
	size_t cut = a[cmd].start, end = strlen(c->text), len = 0;
	int named = 0;
	char *line = NULL;

	if (cmd > 0 && !a[cmd - 1].dynamic && strcmp(a[cmd - 1].s, "--") == 0)
		cut = a[cmd - 1].start;
	while (end > a[cmd].start && blank(c->text[end - 1]))
		end--;
	for (size_t i = 0; i < cmd; i++)
		named |= strcmp(a[i].s, "-n") == 0 || strcmp(a[i].s, "--name") == 0 ||
			 strncmp(a[i].s, "--name=", 7) == 0;
	named |= strcmp(o->name, shword_base(a[cmd].s)) != 0;
	append(l, &line, &len, c->head, c->headlen, 0);
	append(l, &line, &len, c->text, cut, 0);
	if (!named) {
		append(l, &line, &len, "--name ", 7, 0);
		append(l, &line, &len, o->name, strlen(o->name), 0);
		append(l, &line, &len, " ", 1, 0);
	}
	append(l, &line, &len, "--command ", 10, 0);
	append(l, &line, &len, c->text + a[cmd].start, end - a[cmd].start, 1);
	if (!line)
		return;
	if (x->redir)
		lint_warn(l, c->line, "'%s %s' truncates the file even when cronguard skips; use --command '...': %s",
			  x->op, x->s, line);
	else
		lint_warn(l, c->line, "'%s' after cronguard runs even when cronguard skips; use --command '...': %s",
			  x->op, line);
	free(line);
}

/* What the job runs, for the name check: --command's text, or the command's words. */
static char *job_what(const struct options *o)
{
	size_t len = 3;
	char *s, *p;

	if (o->command)
		return strdup(o->command);
	for (int i = 0; i < o->argc; i++)
		len += strlen(o->argv[i]) + 1;
	if (!(s = malloc(len)))
		return NULL;
	p = s;
	*p++ = '\x1f';
	for (int i = 0; i < o->argc; i++)
		p += sprintf(p, "%s\x1f", o->argv[i]);
	*p = '\0';
	return s;
}

/* Checks one cronguard invocation: C's ARGS are the words after "cronguard", PRE the shell's
 * NAME=VALUE words before it. They are handed to cronguard's own grammar over the crontab's
 * variables and the config file, so that lint refuses exactly what cronguard refuses. Fills
 * *SEEN: whether the job is splayed (options lint cannot read, "$OPTS", count as splayed),
 * and its name and command when they are known. */
static void lint_invocation(struct lint *l, const struct call *c, struct seen *seen)
{
	const struct shword *args = c->args, *pre = c->pre;
	size_t n = c->n, npre = c->npre;
	unsigned line = c->line;
	char **argv = calloc(n + 2, sizeof *argv), **env = calloc(l->nenv + npre + 1, sizeof *env);
	struct options_source src = { env, l->h ? l->h->conf : NULL, l->h ? l->h->conf_path : NULL };
	struct options o;
	size_t ne = 0, dashdash = n, cmd;
	int rc, dynamic = 0;
	char err[1024];

	seen->splayed = 0;
	memset(&o, 0, sizeof o);
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
		if (!dynamic || !strstr(err, EXPANSION))  /* else about a value only the shell knows */
			lint_fault(l, line, "cronguard: %s", err);
		goto done;
	}
	if (o.action != ACTION_RUN || (o.dry_run && !l->env_dry_run)) {
		lint_fault(l, line, "cronguard --%s in a crontab line: the command never runs", action_name(o.action));
		goto done;
	}
	cmd = (size_t)(o.argv - argv) - 1;
	/* "$OPTS" before the command, without a "--": the options are unknown from there on. */
	if (!o.command && args[cmd].dynamic && dashdash > cmd) {
		seen->splayed = 1;
		goto done;
	}
	if (!o.command && split_duration(l, c, cmd))
		goto done;
	seen->splayed = o.splay_ms > 0;
	if (c->outside) {
		if (o.command)
			lint_warn(l, line, "'%s' after cronguard --command runs even when cronguard skips: "
					   "put it inside the --command string", c->outside->op);
		else
			check_outside(l, c, &o, cmd);
	}
	check_period(l, line, &o, c->period_ms);
	/* Named after an expansion ("-- $CMD"): the job's name, and so its history, is unknown. */
	if (o.command || !args[cmd].dynamic || strcmp(o.name, shword_base(EXPANSION)) != 0) {
		check_overlap(l, line, &o, c->period_ms);
		if (!(seen->name = strdup(o.name)) || !(seen->what = job_what(&o)))
			l->oom = 1;
	}
done:
	options_free(&o);
out:
	free(argv);
	free(env);
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


/* Every simple command of the line whose program is cronguard, through lint_path.c's wrappers:
 * fills *SEEN from the first (any one splayed makes the line splayed). */
static void lint_commands(struct lint *l, unsigned line, const char *head, size_t headlen, const char *sh,
			 uint64_t period, struct seen *seen)
{
	size_t len = strlen(sh), nw, c = 0;
	struct shword *w = malloc((len + 2) * sizeof *w), *seg = malloc((len + 2) * sizeof *seg);
	char *wbuf = malloc(2 * len + 2);
	int any = 0;

	if (!w || !wbuf || !seg) {
		l->oom = 1;
		goto out;
	}
	nw = shword_split(sh, w, wbuf);
	while (c < nw) {
		size_t e, p = 0, ns = 0;
		const struct shword *outside = NULL;
		char *path = strdup(l->path ? l->path : LINT_CRON_PATH);

		/* The simple command's words, its redirections apart; "> file" truncates FILE
		 * before the command (cronguard) even starts. */
		for (e = c; e < nw && !w[e].sep; e++) {
			if (!w[e].redir)
				seg[ns++] = w[e];
			else if (!outside && (strcmp(w[e].op, ">") == 0 || strcmp(w[e].op, ">|") == 0) &&
				 strcmp(w[e].s, "/dev/null") != 0)
				outside = &w[e];
		}
		/* What the shell runs after it whatever cronguard decides: a pipe's next stage,
		 * the next command of a list. */
		if (!outside && e + 1 < nw && (strcmp(w[e].op, "|") == 0 || strcmp(w[e].op, "&&") == 0 ||
					       strcmp(w[e].op, "||") == 0 || strcmp(w[e].op, ";") == 0 ||
					       strcmp(w[e].op, "\n") == 0))
			outside = &w[e];
		lint_skip_wrappers(seg, ns, &p, &path);
		if (p < ns && !seg[p].dynamic && strcmp(shword_base(seg[p].s), "cronguard") == 0) {
			struct call call = { line, sh, head, headlen, seg + p + 1, ns - p - 1, seg, p, outside,
					     period };
			struct seen one = { 0, NULL, NULL };

			lint_check_reachable(l, line, seg[p].s, path);
			lint_invocation(l, &call, &one);
			if (!any) {
				*seen = one;
			} else {
				seen->splayed |= one.splayed;
				free(one.name);
				free(one.what);
			}
			any = 1;
		}
		free(path);
		c = e + 1;
	}
out:
	free(w);
	free(seg);
	free(wbuf);
}

static void add_job(struct lint *l, struct job *j)
{
	if (l->njobs == l->jobcap) {
		size_t cap = l->jobcap ? l->jobcap * 2 : 16;
		struct job *nj = realloc(l->jobs, cap * sizeof *nj);

		if (!nj) {
			l->oom = 1;
			free(j->key);
			free(j->name);
			free(j->what);
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
	struct seen seen = { 0, NULL, NULL };
	int pct, badfield;
	uint64_t period;

	nsched = s[0] == '@' ? 1 : 5;
	want = nsched + (l->format == LINT_SYSTEM) + 1;
	nf = fields(s, f, n, want);
	if (nsched == 1 && cronsched_special(f[0], n[0], &j.s) < 0) {
		lint_fault(l, line, "not a valid crontab line: unknown schedule '%.*s'", (int)n[0], f[0]);
		return;
	}
	if (nf < want) {
		lint_fault(l, line, "not a valid crontab line: expected %s%s a command",
			  nsched == 1 ? "a schedule" : "five time fields",
			  l->format == LINT_SYSTEM ? ", a user and" : " and");
		return;
	}
	if (nsched == 5 && (badfield = cronsched_parse(f, n, &j.s, &bad)) >= 0) {
		lint_fault(l, line, "not a valid crontab line: bad %s field '%.*s'", bad, (int)n[badfield],
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
		lint_fault(l, line, "the schedule never fires: no month has that day");

	pct = cronsched_command(cmd, sh);
	lint_commands(l, line, s, (size_t)(cmd - s), sh, period, &seen);
	/* In any line: a date +%F in a plain job is cut short just the same. */
	if (pct)
		lint_warn(l, line, "unescaped %% in the command: cron ends the command there and feeds the "
				   "rest to its standard input; write \\%%");

	/* Duplicates: the same schedule, user and command, however they are spaced. */
	memcpy(norm, f[nsched], ulen);
	norm[ulen] = '\x1f';
	lint_normalise(cmd, norm + ulen + 1);
	for (size_t i = 0; i < l->njobs; i++) {
		if (cronsched_same(&l->jobs[i].s, &j.s) && strcmp(l->jobs[i].key, norm) == 0) {
			lint_warn(l, line, "duplicate of line %u: the job runs twice", l->jobs[i].line);
			j.duplicate = 1;
			break;
		}
	}
	j.splayed = seen.splayed;
	j.key = norm;
	norm = NULL;
	/* The name check is per user: each has its own state directory. */
	if (seen.name && asprintf(&j.name, "%.*s\x1f%s", (int)ulen, f[nsched], seen.name) < 0) {
		j.name = NULL;
		l->oom = 1;
	}
	j.what = seen.what;
	seen.what = NULL;
	add_job(l, &j);
out:
	free(seen.name);
	free(seen.what);
	free(sh);
	free(norm);
}

static void lint_line(struct lint *l, unsigned line, char *s, size_t n, int last)
{
	char *name, *value;
	int cr = n > 0 && s[n - 1] == '\r';

	if (memchr(s, '\0', n)) {
		lint_fault(l, line, "NUL byte in the line");
		return;
	}
	if (cr)
		s[--n] = '\0';
	while (blank(*s))
		s++;
	if (*s == '\0' || *s == '#')
		return;
	if (cr)
		lint_warn(l, line, "carriage return at the end of the line (DOS line endings): cron keeps it "
				   "as part of the line");
	if (last)
		lint_fault(l, line, "no newline at the end of the file: cron takes the crontab as broken");
	name = malloc(n + 1);
	value = malloc(n + 1);
	if (!name || !value)
		l->oom = 1;
	else if (lint_parse_var(s, name, value))
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
		if (strlen(line) != n || lint_parse_var(line, name, value))
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
	if (!l->oom)
		lint_names(l);
	if (l->nw > 1)
		qsort(l->w, l->nw, sizeof *l->w, by_line);
	for (size_t i = 0; i < l->nw && !l->oom; i++)
		emit(ctx, l->w[i].line, l->w[i].sev, l->w[i].msg);
	rc = l->oom ? -1 : (int)l->nw;
	for (size_t i = 0; i < l->nw; i++)
		free(l->w[i].msg);
	for (size_t i = 0; i < l->nenv; i++)
		free(l->env[i]);
	for (size_t i = 0; i < l->njobs; i++) {
		free(l->jobs[i].key);
		free(l->jobs[i].name);
		free(l->jobs[i].what);
	}
	free(l->path);
	free(l->w);
	free(l->env);
	free(l->jobs);
	free(l);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}
