/* Where cron finds cronguard on a line: the wrappers lint looks through (env, sudo, timeout,
 * ...), the PATH each leaves the command, and whether cronguard is on it on this host. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

/* Commands that run the command after them, which lint looks through to find cronguard: their
 * options that take a value (short letters, long names), and the words before the command. */
static const struct wrapper {
	const char *name, *argopts, *const *longargs;
	unsigned assigns : 1;     /* NAME=VALUE words before the command (env) */
	unsigned duration : 1;    /* one word before the command (timeout's DURATION) */
	unsigned secure_path : 1; /* looks the command up in its own PATH (sudo's secure_path) */
} wrappers[] = {
	{ "exec", "a", NULL, 0, 0, 0 },
	{ "command", "", NULL, 0, 0, 0 },
	{ "nohup", "", NULL, 0, 0, 0 },
	{ "env", "uCS", (const char *const[]){ "--unset", "--chdir", "--split-string", NULL }, 1, 0, 0 },
	{ "nice", "n", (const char *const[]){ "--adjustment", NULL }, 0, 0, 0 },
	{ "ionice", "cnp", (const char *const[]){ "--class", "--classdata", "--pid", NULL }, 0, 0, 0 },
	{ "sudo", "ugCDhpRrtTU", (const char *const[]){ "--user", "--group", "--chdir", "--host",
						       "--prompt", "--role", "--type", NULL }, 0, 0, 1 },
	{ "timeout", "sk", (const char *const[]){ "--signal", "--kill-after", NULL }, 0, 1, 0 },
	{ "chronic", "", NULL, 0, 0, 0 },
	{ "setsid", "", NULL, 0, 0, 0 },
	/* flock [-n] [-w SECONDS] FILE COMMAND: the lock file is the one word before it. */
	{ "flock", "wE", (const char *const[]){ "--timeout", "--wait", "--conflict-exit-code", NULL },
	  0, 1, 0 },
};

/* sudo's secure_path as Debian's sudoers sets it: sudo looks its command up there. */
#define SUDO_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const struct wrapper *find_wrapper(const char *word)
{
	const char *base = shword_base(word);

	for (size_t i = 0; i < sizeof wrappers / sizeof *wrappers; i++)
		if (strcmp(base, wrappers[i].name) == 0)
			return &wrappers[i];
	return NULL;
}

/* Skips wrapper W's options and leading words from W[*P], the word after its name. */
static void skip_wrapper(const struct wrapper *wr, const struct shword *w, size_t e, size_t *p)
{
	while (*p < e && w[*p].s[0] == '-' && w[*p].s[1]) {
		const char *o = w[*p].s;
		int takes = 0;

		(*p)++;
		if (strcmp(o, "--") == 0)
			break;
		if (o[1] == '-') {
			for (size_t k = 0; wr->longargs && wr->longargs[k]; k++)
				takes |= strcmp(o, wr->longargs[k]) == 0;
		} else {
			/* -n 10 takes the next word, -n10 and -10 do not. */
			takes = !o[2] && strchr(wr->argopts, o[1]) != NULL;
		}
		if (takes && *p < e)
			(*p)++;
	}
	if (wr->duration && *p < e)
		(*p)++;
}

/* The PATH after a NAME=VALUE word that sets it: $PATH in it is the PATH before. Returns
 * NULL (the lookup is unknown) for any other expansion. */
static char *path_after(const char *assign, const char *before)
{
	const char *v = assign + 5, *hit;
	char *out;

	if (!before)
		return NULL;
	hit = strstr(v, "${PATH}") ? strstr(v, "${PATH}") : strstr(v, "$PATH");
	if (!hit)
		return strchr(v, '$') ? NULL : strdup(v);
	{
		size_t skip = hit[1] == '{' ? 7 : 5;

		if (strchr(hit + skip, '$') || memchr(v, '$', (size_t)(hit - v)) ||
		    asprintf(&out, "%.*s%s%s", (int)(hit - v), v, before, hit + skip) < 0)
			return NULL;
	}
	return out;
}

/* Steps *P over SEG's assignments and the wrappers from *P on, to the word the shell runs as
 * the program, keeping *PATH (allocated; NULL when unknown) the PATH that word is looked up in. */
void lint_skip_wrappers(const struct shword *seg, size_t ns, size_t *p, char **path)
{
	for (;;) {
		const struct wrapper *wr;
		char *np;

		for (; *p < ns && seg[*p].assign; (*p)++)
			if (strncmp(seg[*p].s, "PATH=", 5) == 0) {
				np = seg[*p].dynamic ? path_after(seg[*p].s, *path) : strdup(seg[*p].s + 5);
				free(*path);
				*path = np;
			}
		if (*p >= ns || seg[*p].dynamic || !(wr = find_wrapper(seg[*p].s)))
			break;
		if (wr->secure_path) {
			free(*path);
			*path = strdup(SUDO_PATH);
		}
		(*p)++;
		skip_wrapper(wr, seg, ns, p);
		/* env's NAME=VALUE words are the loop's assignments, as the shell's are. */
	}
}

/* cron runs the line with /bin/sh, which finds cronguard on the crontab's PATH (cron's default
 * is short, /usr/bin:/bin, and make install's /usr/local/bin is not on it). */
void lint_check_reachable(struct lint *l, unsigned line, const char *word, const char *path)
{
	const struct lint_history *h = l->h;
	char dir[4096];

	if (!h || !h->has_cronguard || !path)
		return;
	if (strchr(word, '/')) {
		size_t n = (size_t)(shword_base(word) - word) - 1;

		if (word[0] != '/' || n >= sizeof dir || strcmp(shword_base(word), "cronguard") != 0)
			return;  /* relative to cron's working directory, the user's home */
		memcpy(dir, word, n);
		dir[n] = '\0';
		if (!h->has_cronguard(h->path_ctx, n ? dir : "/"))
			lint_fault(l, line, "%s: not found on this host: cron says 'not found' and the job never runs", word);
		return;
	}
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, ":");

		if (n > 0 && n < sizeof dir) {
			memcpy(dir, p, n);
			dir[n] = '\0';
			if (h->has_cronguard(h->path_ctx, dir))
				return;
		}
		p += n + (p[n] == ':');
	}
	lint_fault(l, line, "cronguard is not on the crontab's PATH (%s): cron says 'cronguard: not found' and "
			    "the job never runs; write its full path%s%s, or set PATH in the crontab",
		   path, h->installed ? " " : "", h->installed ? h->installed : "");
}
