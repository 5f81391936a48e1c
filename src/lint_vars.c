/* Crontab variable lines: NAME = VALUE as cron reads it, a CRONGUARD_ variable through
 * cronguard's own grammar, PATH for the lookup, and the normalised command duplicates compare. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"
#include "options.h"

/* A variable line as cron reads one: NAME = VALUE, either side optionally quoted. */
int lint_parse_var(const char *s, char *name, char *value)
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
void lint_var(struct lint *l, unsigned line, const char *name, const char *value)
{
	char *argv[] = { (char *)"cronguard", (char *)"--", (char *)"true", NULL };
	struct options_source src = { NULL, NULL, NULL };
	char *env[2] = { NULL, NULL }, err[1024];
	struct options o;

	/* cron looks the command up in the last PATH line above it (default LINT_CRON_PATH). */
	if (strcmp(name, "PATH") == 0) {
		free(l->path);
		if (!(l->path = strdup(value)))
			l->oom = 1;
		return;
	}
	if (strncmp(name, "CRONGUARD_", 10) != 0)
		return;
	if (asprintf(&env[0], "%s=%s", name, value) < 0) {
		l->oom = 1;
		return;
	}
	src.env = env;
	if (options_parse(&o, 3, argv, &src, err, sizeof err) < 0) {
		lint_fault(l, line, "cronguard: %s: every cronguard line below fails (exit 125)", err);
		free(env[0]);
		options_free(&o);
		return;
	}
	if (strcmp(name, "CRONGUARD_DRY_RUN") == 0) {
		if (o.dry_run && !l->env_dry_run)
			lint_warn(l, line, "%s is set: the cronguard lines below never run their command", name);
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
void lint_normalise(const char *s, char *out)
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
