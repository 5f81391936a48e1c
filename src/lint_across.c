/* The checks over the whole crontab, once every line is read: jobs that start on the same
 * minute without a splay, and one job name given to different commands. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"

enum { MAX_GROUPS = 256, MAX_LISTED = 8 };

/* ---- Schedules: collisions ------------------------------------------------------------------- */

struct group {
	uint64_t *members;        /* bits over the eligible jobs */
	int minute;               /* the first minute of the day they meet */
	unsigned times;           /* how many minutes of such a day they meet */
	size_t sig;               /* the set of days it was found on */
	int dropped;
};

static int subset(const uint64_t *a, const uint64_t *b, size_t words)
{
	for (size_t i = 0; i < words; i++)
		if (a[i] & ~b[i])
			return 0;
	return 1;
}

/* Jobs without a splay starting on the same minute: one warning per largest set of them. */
void lint_same_minute(struct lint *l)
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
				groups[ngroups++] = (struct group){ cur, (int)m, 1, s, 0 };
				cur = NULL;
			} else {
				groups[g].times += groups[g].sig == s;
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
		char lines[MAX_LISTED * 12 + 32], when[64];
		size_t len = 0, listed = 0, total = popcount(groups[g].members, words);
		unsigned first = 0;
		int h = groups[g].minute / 60, mi = groups[g].minute % 60;

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
		/* When they meet, as a person reads a schedule: "* * * * *" meets every minute,
		 * not "at 00:00". */
		if (groups[g].times >= CRONSCHED_MINUTES)
			snprintf(when, sizeof when, "every minute");
		else if (groups[g].times == 1)
			snprintf(when, sizeof when, "at %02d:%02d", h, mi);
		else
			snprintf(when, sizeof when, "%u times a day, first at %02d:%02d", groups[g].times, h, mi);
		lint_warn(l, first, "%zu jobs start on the same minute without a splay (lines %s; %s): "
				    "spread them with cronguard --splay", total, lines, when);
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

/* ---- Job names ------------------------------------------------------------------------------ */

/* Lines that run different commands under one job name share its lock, its state file and its
 * reports: the second is skipped while the first holds the lock, and each run's record
 * overwrites the other's. One name on several schedules with the same command is one job. */
void lint_names(struct lint *l)
{
	for (size_t i = 0; i < l->njobs; i++) {
		struct job *a = &l->jobs[i];
		char lines[MAX_LISTED * 12 + 32];
		size_t len, listed = 1, differ = 0;
		const char *name;

		if (!a->name || a->named || a->duplicate)
			continue;
		len = (size_t)snprintf(lines, sizeof lines, "%u", a->line);
		for (size_t k = i + 1; k < l->njobs; k++) {
			struct job *b = &l->jobs[k];

			if (!b->name || b->named || b->duplicate || strcmp(a->name, b->name) != 0)
				continue;
			b->named = 1;
			differ |= strcmp(a->what, b->what) != 0;
			if (listed++ < MAX_LISTED)
				len += (size_t)snprintf(lines + len, sizeof lines - len, ", %u", b->line);
		}
		if (!differ)
			continue;
		if (listed > MAX_LISTED)
			snprintf(lines + len, sizeof lines - len, " and %zu more", listed - MAX_LISTED);
		name = strchr(a->name, '\x1f') + 1;
		lint_warn(l, a->line, "lines %s run different commands as job %s: they share one lock, one state "
				      "file and one set of reports; give each its own --name", lines, name);
	}
}
