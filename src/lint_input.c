/* What --lint-crontab reads: the crontab, the config file (parsed once for the whole crontab)
 * and the usual durations of the jobs, from state.c's summaries of the state directory. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "encode.h"
#include "fileio.h"
#include "lint.h"
#include "options.h"
#include "state.h"

enum { MAX_FILE = 16 << 20 };

/* ---- The history: what lint knows from the state files ---------------------------------------
 * The usual duration of each job, from state.c's summaries (lint never reads the JSON). */

static const char *const ran_states[] = { "success", "failure", "timeout", "signaled" };

/* The duration a person would call usual: the longer of the last success and the last run
 * that ran the command (a skip or an error says nothing about the job's length). */
struct filling {
	struct lint_history *h;
	size_t cap;
};

static int history_add(void *ctx, const struct state_summary *s)
{
	struct filling *f = ctx;
	struct lint_history *h = f->h;
	int64_t best = s->last_success_duration_us;
	int ran = 0;

	if (!s->readable)
		return 0;
	for (size_t k = 0; k < sizeof ran_states / sizeof *ran_states; k++)
		ran |= strcmp(s->state, ran_states[k]) == 0;
	if (ran && s->duration_us > best)
		best = s->duration_us;
	if (best < 1000 || best >= (int64_t)1e15)
		return 0;
	if (h->njobs == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 32;
		struct lint_job *nj = realloc(h->jobs, cap * sizeof *nj);

		if (!nj)
			return -1;
		h->jobs = nj;
		f->cap = cap;
	}
	snprintf(h->jobs[h->njobs].name, sizeof h->jobs[h->njobs].name, "%s", s->job);
	h->jobs[h->njobs++].duration_ms = (uint64_t)(best / 1000);
	return 0;
}

static int history_durations(struct lint_history *h, const char *state_dir, char *err, size_t errlen)
{
	struct filling f = { h, 0 };
	int rc;

	if (!state_dir)
		return 0;
	rc = state_scan(state_dir, history_add, &f, err, errlen);
	if (rc < 0 && errno == ENOENT)
		return 0;
	if (rc > 0 || (rc < 0 && errno == ENOMEM))
		snprintf(err, errlen, "out of memory");
	return rc == 0 ? 0 : -1;
}

/* The config file, parsed once for the whole crontab (not once per line). */
static int history_config(struct lint_history *h, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = fileio_read_path(path, MAX_FILE, &len, NULL), why[512];
	unsigned bad = 0;
	int rc;

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, fileio_strerror(errno));
		return -1;
	}
	h->conf = malloc(sizeof *h->conf);
	rc = h->conf ? conf_parse(text, len, h->conf, &bad, why, sizeof why) : -1;
	free(text);
	if (rc < 0) {
		free(h->conf);
		h->conf = NULL;
		if (bad)
			snprintf(err, errlen, "%s:%u: %s", path, bad, why);
		else
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->conf_path = path;
	return options_check_conf(h->conf, path, err, errlen);
}

int lint_history_load(struct lint_history *h, const char *state_dir, const char *config_path,
		      char *err, size_t errlen)
{
	memset(h, 0, sizeof *h);
	if ((config_path && history_config(h, config_path, err, errlen) < 0) ||
	    history_durations(h, state_dir, err, errlen) < 0) {
		lint_history_free(h);
		return -1;
	}
	return 0;
}

void lint_history_free(struct lint_history *h)
{
	free(h->jobs);
	if (h->conf)
		conf_free(h->conf);
	free(h->conf);
	memset(h, 0, sizeof *h);
}

struct printer {
	FILE *out;
	const char *label;
	int json;
	unsigned n;
};

static const char *severity_name(enum lint_severity sev)
{
	return sev == LINT_ERROR ? "error" : "warning";
}

/* A JSON string: a byte that is not UTF-8 (a crontab may hold any) becomes U+FFFD, so that
 * the document stays valid for the CI that reads it. */
static void json_text(FILE *out, const char *s)
{
	size_t n = strlen(s);

	fputc('"', out);
	while (n > 0) {
		size_t k = encode_utf8_len(s, n);
		unsigned char c = (unsigned char)*s;

		if (k == 0) {
			fputs("\\ufffd", out);
			k = 1;
		} else if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else {
			fwrite(s, 1, k, out);
		}
		s += k;
		n -= k;
	}
	fputc('"', out);
}

static void print_warning(void *ctx, unsigned line, enum lint_severity sev, const char *message)
{
	struct printer *p = ctx;

	if (!p->json) {
		fprintf(p->out, "%s:%u: %s\n", p->label, line, message);
		return;
	}
	fputs(p->n++ ? ",\n {\"file\": " : "[\n {\"file\": ", p->out);
	json_text(p->out, p->label);
	fprintf(p->out, ", \"line\": %u, \"severity\": \"%s\", \"message\": ", line, severity_name(sev));
	json_text(p->out, message);
	fputc('}', p->out);
}

/* The PATH check, on this host's file system. */
static int has_cronguard(void *ctx, const char *dir)
{
	char path[4096];

	(void)ctx;
	if (snprintf(path, sizeof path, "%s/cronguard", dir) >= (int)sizeof path)
		return 0;
	return access(path, X_OK) == 0;
}

int lint_file(const char *path, const char *state_dir, const char *config_path, int json,
	      FILE *out, char *err, size_t errlen)
{
	struct lint_history h;
	struct printer p = { out, strcmp(path, "-") == 0 ? "stdin" : path, json, 0 };
	size_t len;
	char *text = fileio_read_input(path, MAX_FILE, &len, NULL);
	int n;

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, fileio_strerror(errno));
		return -1;
	}
	if (lint_history_load(&h, state_dir, config_path, err, errlen) < 0) {
		free(text);
		return -1;
	}
	/* The system crontabs have a user field; anything else is guessed from its lines. */
	if (strcmp(path, "/etc/crontab") == 0 || strncmp(path, "/etc/cron.d/", 12) == 0)
		h.format = LINT_SYSTEM;
	h.has_cronguard = has_cronguard;
	h.installed = BINDIR "/cronguard";
	n = lint_crontab(text, len, &h, print_warning, &p);
	if (n < 0)
		snprintf(err, errlen, "out of memory linting %s", path);
	else if (json)
		fputs(p.n ? "\n]\n" : "[]\n", out);
	lint_history_free(&h);
	free(text);
	return n;
}
