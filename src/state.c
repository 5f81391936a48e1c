/* The state file: STATE_DIR/NAME.json, each job's last run and last success, written atomically. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "safedir.h"
#include "state.h"

static json_t *run_object(const struct run_record *r)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:f, s:f, s:f}",
			      "run_id", r->run_id,
			      "state", record_state_name(r->state),
			      "exit_code", (json_int_t)r->exit_code,
			      "start", (double)r->start_us / 1e6,
			      "end", (double)r->end_us / 1e6,
			      "duration", (double)r->duration_us / 1e6);

	if (!o)
		return NULL;
	if (r->signal)
		json_object_set_new(o, "signal", json_integer(r->signal));
	if (r->maxrss_kb)
		json_object_set_new(o, "maxrss_kb", json_integer(r->maxrss_kb));
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	return o;
}

json_t *state_update(const json_t *old, struct run_record *rec)
{
	json_t *doc = json_object(), *labels = json_object();
	json_int_t fails = 0, runs = 0;
	json_t *v;

	if (!doc || !labels) {
		json_decref(doc);
		json_decref(labels);
		return NULL;
	}
	if (json_is_object(old)) {
		v = json_object_get(old, "consecutive_failures");
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			fails = json_integer_value(v);
		v = json_object_get(old, "runs");
		if (json_is_integer(v) && json_integer_value(v) >= 0)
			runs = json_integer_value(v);
	}
	if (!record_state_is_skip(rec->state)) {
		runs++;
		fails = rec->state == RUN_SUCCESS ? 0 : fails + 1;
	}
	rec->consecutive_failures = (unsigned)fails;
	for (size_t i = 0; i < rec->nlabels; i++)
		json_object_set_new(labels, rec->labels[i].key, json_string(rec->labels[i].value));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "job", json_string(rec->job));
	json_object_set_new(doc, "host", json_string(rec->host));
	json_object_set_new(doc, "labels", labels);
	json_object_set_new(doc, "last_run", run_object(rec));
	rec->last_success_us = 0;
	if (rec->state == RUN_SUCCESS) {
		json_object_set_new(doc, "last_success", run_object(rec));
		rec->last_success_us = rec->start_us;
	} else if (json_is_object(old) && json_is_object(json_object_get(old, "last_success"))) {
		v = json_object_get(old, "last_success");
		json_object_set(doc, "last_success", v);
		if (json_is_number(json_object_get(v, "start")))
			rec->last_success_us = (int64_t)(json_number_value(json_object_get(v, "start")) * 1e6);
	} else {
		json_object_set_new(doc, "last_success", json_null());
	}
	json_object_set_new(doc, "consecutive_failures", json_integer(fails));
	json_object_set_new(doc, "runs", json_integer(runs));
	return doc;
}

int state_mkdirs(const char *dir, unsigned mode)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* The JSON document in DIR/NAME; NULL with errno ENOENT when there is none, or with JERR
 * saying why it could not be read. */
static json_t *load(const char *dir, const char *name, json_error_t *jerr)
{
	char path[4200];
	char *text;
	size_t len;
	json_t *doc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	text = fileio_read(path, 1 << 20, 1, &len);
	if (!text) {
		snprintf(jerr->text, sizeof jerr->text, "%s", strerror(errno));
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
	free(text);
	errno = EINVAL;
	return doc;
}

int state_save(const char *dir, struct run_record *rec, char *err, size_t errlen)
{
	char name[80], prev[90];
	json_t *old = NULL, *doc = NULL;
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	int dfd = -1, rc = -1, warn = 0;
	mode_t mode = geteuid() == 0 ? 0755 : 0700;

	if (strlen(dir) > 4000) {
		snprintf(err, errlen, "state dir %.64s...: path too long", dir);
		return -1;
	}
	snprintf(name, sizeof name, "%s.json", rec->job);
	snprintf(prev, sizeof prev, ".%s.prev", name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		if (state_mkdirs(dir, mode) < 0) {
			snprintf(err, errlen, "cannot create state dir %s: %s", dir, strerror(errno));
			return -1;
		}
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0) {
		snprintf(err, errlen, "cannot open state dir %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Whoever else could make or change it would own our state and our spool. */
	if (safedir_check(dfd, "state dir", dir, SAFEDIR_DATA, err, errlen) < 0)
		goto out;
	/* One job's runs may overlap (no --lock): serialise the read-modify-write. */
	while (flock(dfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot lock state dir %s: %s", dir, strerror(errno));
			goto out;
		}
	}
	/* A fixed hash seed: these are our own small files, and the default seed costs an open
	 * and read of /dev/urandom on every run. */
	json_object_seed(0x63726f6e);
	old = load(dir, name, &jerr);
	if (!old && errno != ENOENT) {
		/* Torn by a crash, most likely: the state before it is in the spare file. */
		char why[sizeof jerr.text];

		snprintf(why, sizeof why, "%s", jerr.text);
		old = load(dir, prev, &jerr);
		snprintf(err, errlen, "state file %s/%s was unreadable (%s); %s", dir, name, why,
			 old ? "continued from the previous state in its spare file" : "starting it afresh");
		warn = 1;
	}
	doc = state_update(old, rec);
	/* 16 significant digits: microseconds on an epoch time, without %.17g noise. */
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(16)) : NULL;
	if (!text) {
		snprintf(err, errlen, "out of memory writing %s/%s", dir, name);
		goto out;
	}
	/* No fsync: it would double the cost of every run, and the file is a summary that syslog
	 * and the sinks also carry. The spare file is what makes that safe: after a power loss
	 * NAME.json may be torn, but .NAME.json.prev then holds the state before it, written
	 * a run earlier. JSON_INDENT output ends without a newline; a text file wants one. */
	len = strlen(text);
	text[len] = '\n';
	if (fileio_swap(dfd, name, prev, text, len + 1, 0644) < 0) {
		snprintf(err, errlen, "cannot write state file %s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = warn;
out:
	if (dfd >= 0)
		close(dfd);
	free(text);
	json_decref(doc);
	json_decref(old);
	return rc;
}
