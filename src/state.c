/* The state file: STATE_DIR/NAME.json, each job's last run and last success. The one module
 * that knows its schema: it writes it, and it reads it back as summaries for everyone else. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "lock.h"
#include "safedir.h"
#include "state.h"

/* Microseconds from a file's seconds; 0 for what is not a number or out of any sane range
 * (a hand-edited 1e300 must not reach a conversion whose overflow is undefined). */
static int64_t seconds_us(const json_t *v)
{
	double s;

	if (!json_is_number(v))
		return 0;
	s = json_number_value(v);
	if (!(s > -1e11 && s < 1e11))
		return 0;
	return (int64_t)(s * 1e6);
}

/* A count from the file: a non-negative integer, else 0. */
static json_int_t count(const json_t *doc, const char *key)
{
	const json_t *v = json_object_get(doc, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : 0;
}

/* N + 1, saturating: a hand-edited count near the top must not overflow (undefined). */
static json_int_t incr(json_int_t n)
{
	_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "jansson integers are 64-bit");
	return n < (json_int_t)INT64_MAX ? n + 1 : n;
}

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
	json_object_set_new(o, "slot", json_real((double)r->slot_us / 1e6));
	json_object_set_new(o, "splay", json_real((double)r->splay_us / 1e6));
	json_object_set_new(o, "lateness", json_real((double)r->lateness_us / 1e6));
	return o;
}

json_t *state_update(const json_t *old, const struct run_record *rec, struct state_history *hist)
{
	json_t *doc = json_object(), *labels = json_object();
	json_int_t fails = 0, runs = 0;
	int64_t last_success_us = 0, first_us;
	json_t *v;

	if (!doc || !labels) {
		json_decref(doc);
		json_decref(labels);
		return NULL;
	}
	if (json_is_object(old)) {
		fails = count(old, "consecutive_failures");
		runs = count(old, "runs");
	}
	if (!record_state_is_skip(rec->state)) {
		runs = incr(runs);
		fails = rec->state == RUN_SUCCESS ? 0 : incr(fails);
	}
	for (size_t i = 0; i < rec->nlabels; i++)
		json_object_set_new(labels, rec->labels[i].key, json_string(rec->labels[i].value));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "job", json_string(rec->job));
	json_object_set_new(doc, "host", json_string(rec->host));
	json_object_set_new(doc, "labels", labels);
	json_object_set_new(doc, "last_run", run_object(rec));
	if (rec->state == RUN_SUCCESS) {
		json_object_set_new(doc, "last_success", run_object(rec));
		last_success_us = rec->start_us;
	} else if (json_is_object(old) && json_is_object(json_object_get(old, "last_success"))) {
		v = json_object_get(old, "last_success");
		json_object_set(doc, "last_success", v);
		last_success_us = seconds_us(json_object_get(v, "start"));
	} else {
		json_object_set_new(doc, "last_success", json_null());
	}
	json_object_set_new(doc, "consecutive_failures", json_integer(fails));
	json_object_set_new(doc, "runs", json_integer(runs));
	if (rec->period_ms)
		json_object_set_new(doc, "period", json_real((double)rec->period_ms / 1e3));
	json_object_set_new(doc, "exclusive", json_boolean(rec->exclusive));
	first_us = json_is_object(old) ? seconds_us(json_object_get(old, "first_seen")) : 0;
	if (first_us <= 0 || first_us > rec->start_us)
		first_us = rec->start_us;
	json_object_set_new(doc, "first_seen", json_real((double)first_us / 1e6));
	if (hist) {
		hist->consecutive_failures = fails > UINT_MAX ? UINT_MAX : (unsigned)fails;
		hist->last_success_us = last_success_us;
		hist->first_seen_us = first_us;
	}
	return doc;
}

/* The JSON document NAME in DFD, read under the rules every reader shares; NULL with errno
 * ENOENT when there is none, or with JERR saying why it could not be read. */
static json_t *load(int dfd, const char *name, json_error_t *jerr)
{
	char *text;
	size_t len;
	json_t *doc;

	text = fileio_read_at(dfd, name, STATE_MAX_BYTES, &len, NULL);
	if (!text) {
		int e = errno;

		snprintf(jerr->text, sizeof jerr->text, "%s", fileio_strerror(e));
		errno = e;
		return NULL;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
	free(text);
	errno = EINVAL;
	return doc;
}

/* Takes the state directory's lock, DFD/.lock, within STATE_LOCK_WAIT_MS, leaving it held
 * on *LFD. A file, not the directory: anyone who can open the directory (0755, so that
 * monitoring users can read the state) could flock it and stop every run's state; a 0600
 * file of ours is one nobody else can open (lock_open_at). A run that holds it only reads
 * and writes two small files, so a longer wait is something wrong: give up rather than pile
 * up behind it. Returns 0, a signal from STOP, or -1 with errno (ETIMEDOUT when the bound
 * passed; EPERM, ELOOP, EINVAL for a .lock that is not a private file of ours). */
static int lock_dir(int dfd, const sigset_t *stop, int *lfd)
{
	int64_t deadline = clock_mono_us() + (int64_t)STATE_LOCK_WAIT_MS * 1000, step = 1000;
	char why[512];

	if ((*lfd = lock_open_at(dfd, ".lock", ".lock", why, sizeof why)) < 0)
		return -1;
	for (;;) {
		int64_t now;
		int sig;

		if (flock(*lfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -1;
		now = clock_mono_us();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Polled rather than a blocking flock, which no signal of ours could end. */
		if ((sig = clock_wait_until(stop, now + step < deadline ? now + step : deadline)) > 0)
			return sig;
		if (step < 100000)
			step *= 2;
	}
}

int state_save(const char *dir, const struct run_record *rec, const sigset_t *stop,
	       struct state_history *hist, int *signo, char *err, size_t errlen)
{
	char name[80], prev[90];
	json_t *old = NULL, *doc = NULL;
	json_error_t jerr;
	char *text = NULL;
	size_t len;
	int dfd = -1, lfd = -1, rc = -1, warn = 0, sig;
	mode_t mode = geteuid() == 0 ? 0755 : 0700;

	*signo = 0;
	/* Until the file says more: this run alone. (Computed without a JSON object: the first
	 * one made would seed jansson's hash from /dev/urandom before json_object_seed below.) */
	hist->consecutive_failures = !record_state_is_skip(rec->state) && rec->state != RUN_SUCCESS;
	hist->last_success_us = rec->state == RUN_SUCCESS ? rec->start_us : 0;
	hist->first_seen_us = rec->start_us;
	if (strlen(dir) > 4000) {
		snprintf(err, errlen, "state dir %.64s...: path too long", dir);
		return -1;
	}
	snprintf(name, sizeof name, "%s.json", rec->job);
	snprintf(prev, sizeof prev, ".%s.prev", name);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT) {
		if (fileio_mkdirs(dir, mode) < 0) {
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
	if ((sig = lock_dir(dfd, stop, &lfd)) != 0) {
		if (sig > 0) {
			*signo = sig;
			snprintf(err, errlen, "%s while waiting for the lock on state dir %s; state not saved",
				 strsignal(sig), dir);
		} else if (errno == ETIMEDOUT) {
			snprintf(err, errlen, "state dir %s stayed locked by another process for %d s; "
				 "state not saved", dir, STATE_LOCK_WAIT_MS / 1000);
		} else {
			snprintf(err, errlen, "cannot lock state dir %s: %s", dir, strerror(errno));
		}
		goto out;
	}
	/* A fixed hash seed: these are our own small files, and the default seed costs an open
	 * and read of /dev/urandom on every run. */
	json_object_seed(0x63726f6e);
	old = load(dfd, name, &jerr);
	if (!old && errno != ENOENT) {
		/* Torn by a crash, most likely: the state before it is in the spare file. */
		char why[sizeof jerr.text];

		snprintf(why, sizeof why, "%s", jerr.text);
		old = load(dfd, prev, &jerr);
		snprintf(err, errlen, "state file %s/%s was unreadable (%s); %s", dir, name, why,
			 old ? "continued from the previous state in its spare file" : "starting it afresh");
		warn = 1;
	}
	doc = state_update(old, rec, hist);
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
		int e = errno;

		/* A spare that is not a plain file of its own (a FIFO, a device, another file's
		 * hard link: planted, or a FIFO planted as the state file that the last swap put
		 * there) is never written through; its name is ours, so it goes, and a new one
		 * is made. */
		if ((e != EINVAL && e != EMLINK && e != ENXIO) || unlinkat(dfd, prev, 0) < 0 ||
		    fileio_swap(dfd, name, prev, text, len + 1, 0644) < 0) {
			snprintf(err, errlen, "cannot write state file %s/%s: %s", dir, name,
				 fileio_strerror(errno));
			goto out;
		}
		if (!warn)
			snprintf(err, errlen, "state file %s/%s: its spare %s was not a plain file of "
				 "its own (%s); replaced it", dir, name, prev,
				 e == EMLINK ? "hard-linked" : "not a regular file");
		warn = 1;
	}
	rc = warn;
out:
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	free(text);
	json_decref(doc);
	json_decref(old);
	return rc;
}

static void copy_string(const json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	snprintf(buf, len, "%s", s ? s : "");
}

static int64_t duration_us(const json_t *run)
{
	const json_t *v = json_object_get(run, "duration");
	double s;

	if (!json_is_number(v))
		return -1;
	s = json_number_value(v);
	return s >= 0 && s < 1e11 ? (int64_t)(s * 1e6) : -1;
}

int state_summarise(const char *text, size_t len, struct state_summary *s)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *run = json_object_get(doc, "last_run");
	const json_t *ok = json_object_get(doc, "last_success");
	const json_t *v;
	char job[sizeof s->job];

	memcpy(job, s->job, sizeof job);
	memset(s, 0, sizeof *s);
	memcpy(s->job, job, sizeof job);
	s->duration_us = s->last_success_duration_us = -1;
	if (!json_is_object(doc) || !json_is_object(run)) {
		json_decref(doc);
		return -1;
	}
	s->readable = 1;
	copy_string(json_object_get(run, "state"), s->state, sizeof s->state);
	s->start_us = seconds_us(json_object_get(run, "start"));
	s->duration_us = duration_us(run);
	v = json_object_get(run, "exit_code");
	if ((s->has_exit = json_is_integer(v)))
		s->exit_code = json_integer_value(v);
	v = json_object_get(run, "signal");
	s->signal = json_is_integer(v) ? json_integer_value(v) : 0;
	copy_string(json_object_get(run, "reason"), s->reason, sizeof s->reason);
	if (json_is_object(ok)) {
		s->last_success_us = seconds_us(json_object_get(ok, "start"));
		s->last_success_duration_us = duration_us(ok);
	}
	s->consecutive_failures = count(doc, "consecutive_failures");
	s->runs = count(doc, "runs");
	copy_string(json_object_get(run, "run_id"), s->run_id, sizeof s->run_id);
	s->period_us = seconds_us(json_object_get(doc, "period"));
	if (s->period_us < 0)
		s->period_us = 0;
	json_decref(doc);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The job names of DIR's state files, sorted; -1 with errno when DIR cannot be listed. */
static ssize_t list_jobs(DIR *d, char ***names)
{
	struct dirent *de;
	size_t n = 0, cap = 0;
	char **v = NULL;

	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 || l - 5 > 64 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(v, ncap * sizeof *v);

			if (!nv)
				goto oom;
			v = nv;
			cap = ncap;
		}
		if (!(v[n] = strndup(de->d_name, l - 5)))
			goto oom;
		n++;
	}
	if (n)
		qsort(v, n, sizeof *v, by_name);
	*names = v;
	return (ssize_t)n;
oom:
	while (n)
		free(v[--n]);
	free(v);
	errno = ENOMEM;
	return -1;
}

int state_scan(const char *dir, state_scan_fn fn, void *ctx, char *err, size_t errlen)
{
	int dfd = safedir_open(dir, "state dir", SAFEDIR_READ, err, errlen), lfd, rc = 0, e;
	char **names = NULL;
	ssize_t n = -1;
	DIR *d;

	/* Listed through a second descriptor (closedir closes it); files are read through
	 * DFD, so the directory cannot be swapped for another between the two. */
	if (dfd >= 0 && (lfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if ((d = fdopendir(lfd))) {
			n = list_jobs(d, &names);
			e = errno;
			closedir(d);
			errno = e;
		} else {
			e = errno;
			close(lfd);
			errno = e;
		}
	}
	if (dfd < 0)
		return -1;
	if (n < 0) {
		e = errno;
		snprintf(err, errlen, "cannot read state dir %s: %s", dir, strerror(e));
		close(dfd);
		errno = e;
		return -1;
	}
	for (ssize_t i = 0; i < n; i++) {
		struct state_summary s;
		char file[80];
		size_t len;
		char *text;

		snprintf(s.job, sizeof s.job, "%s", names[i]);
		snprintf(file, sizeof file, "%s.json", names[i]);
		text = fileio_read_at(dfd, file, STATE_MAX_BYTES, &len, NULL);
		if (!text || state_summarise(text, len, &s) < 0) {
			memset(&s, 0, sizeof s);
			snprintf(s.job, sizeof s.job, "%s", names[i]);
			s.duration_us = s.last_success_duration_us = -1;
		}
		free(text);
		if (rc == 0)
			rc = fn(ctx, &s);
		free(names[i]);
	}
	free(names);
	close(dfd);
	return rc;
}
