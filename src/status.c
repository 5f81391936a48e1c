/* --status: a table of every job's last run, read from the state dir. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"

#define ROW_FMT "%-24s %-16s %-20s %10s %5s %-20s %5s\n"

static void format_when(const json_t *run, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(run, key);
	struct tm tm;
	time_t t;

	if (!json_is_number(v)) {
		snprintf(buf, len, "-");
		return;
	}
	t = (time_t)json_number_value(v);
	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
}

int status_row(const json_t *doc, const char *fallback, int64_t now_s, char *buf, size_t len)
{
	const json_t *run = json_object_get(doc, "last_run");
	const json_t *ok = json_object_get(doc, "last_success");
	const json_t *job = json_object_get(doc, "job");
	const json_t *fails = json_object_get(doc, "consecutive_failures");
	const char *state;
	char when[32], dur[16], code[8], last_ok[32], nfail[8];
	json_int_t failing;

	(void)now_s;
	if (!json_is_object(doc) || !json_is_object(run))
		return -1;
	state = json_string_value(json_object_get(run, "state"));
	format_when(run, "start", when, sizeof when);
	if (json_is_number(json_object_get(run, "duration")) && state &&
	    strncmp(state, "skipped_", 8) != 0)
		snprintf(dur, sizeof dur, "%.3fs", json_number_value(json_object_get(run, "duration")));
	else
		snprintf(dur, sizeof dur, "-");
	if (state && strncmp(state, "skipped_", 8) != 0 && strcmp(state, "error") != 0 &&
	    json_is_integer(json_object_get(run, "exit_code")))
		snprintf(code, sizeof code, "%lld",
			 (long long)json_integer_value(json_object_get(run, "exit_code")));
	else
		snprintf(code, sizeof code, "-");
	if (json_is_object(ok))
		format_when(ok, "start", last_ok, sizeof last_ok);
	else
		snprintf(last_ok, sizeof last_ok, "never");
	failing = json_is_integer(fails) ? json_integer_value(fails) : 0;
	snprintf(nfail, sizeof nfail, "%lld", (long long)failing);
	snprintf(buf, len, ROW_FMT, json_is_string(job) ? json_string_value(job) : fallback,
		 state ? state : "?", when, dur, code, last_ok, nfail);
	return failing > 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int status_print(FILE *out, const char *dir, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int failing = 0;
	time_t now = time(NULL);

	if (!d) {
		if (errno == ENOENT) {
			fprintf(out, "no jobs recorded yet in %s\n", dir);
			return 0;
		}
		snprintf(err, errlen, "cannot read state dir %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *nn);
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	fprintf(out, ROW_FMT, "JOB", "LAST STATE", "LAST RUN", "DURATION", "EXIT", "LAST SUCCESS",
		"FAILS");
	for (size_t i = 0; i < n; i++) {
		char path[4096], row[512];
		json_error_t jerr;
		json_t *doc;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		names[i][strlen(names[i]) - 5] = '\0';
		doc = json_load_file(path, 0, &jerr);
		if (!doc || status_row(doc, names[i], now, row, sizeof row) < 0) {
			fprintf(out, ROW_FMT, names[i], "unreadable", "-", "-", "-", "-", "?");
			failing++;
		} else {
			failing += status_row(doc, names[i], now, row, sizeof row);
			fputs(row, out);
		}
		json_decref(doc);
		free(names[i]);
	}
	free(names);
	return failing;
}
