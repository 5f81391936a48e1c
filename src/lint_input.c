/* What --lint-crontab reads: the crontab, the config file (parsed once for the whole crontab)
 * and, in one function, the state directory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "lint.h"
#include "options.h"

enum { MAX_FILE = 16 << 20 };

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

/* ---- The history: lint's one reader of the state directory ----------------------------------
 * Everything lint knows from the state files is read here, and nowhere else in lint: the usual
 * duration of each job. (To be replaced by state.c's reader of summaries.) */

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

static int history_durations(struct lint_history *h, const char *state_dir, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	if (!state_dir || !(d = opendir(state_dir))) {
		if (!state_dir || errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read state dir %s: %s", state_dir, strerror(errno));
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

/* The config file, parsed once for the whole crontab (not once per line). */
static int history_config(struct lint_history *h, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = slurp(path, &len), why[512];
	unsigned bad = 0;
	int rc;

	if (!text) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
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
