/* libFuzzer target for the config parser: any file text yields entries or one located error,
 * and a run's parse (conf_parse_job) agrees with the full parse (conf_parse) wherever the
 * full parse succeeds: the same global and job entries, in the same order, at the same lines;
 * and the run's parse fed in pieces of whole lines, as a file is read (conf_job_feed), gives
 * exactly what it gives for the whole text, error and line included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/conf.h"

/* Feeds TEXT in pieces that end after every STEP-th newline and compares with the whole. */
static void pieces(const char *text, size_t len, const char *job, unsigned step)
{
	struct conf whole, fed;
	struct conf_job j;
	unsigned bad1 = 0, bad2 = 0, nl = 0;
	char err1[256] = "", err2[256] = "";
	size_t from = 0;
	int rc1 = conf_parse_job(text, len, job, &whole, &bad1, err1, sizeof err1), rc2;

	conf_job_init(&j, job);
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n' && ++nl % step == 0) {
			if (conf_job_feed(&j, text + from, i + 1 - from) < 0)
				__builtin_trap();
			from = i + 1;
		}
	}
	if (from < len && conf_job_feed(&j, text + from, len - from) < 0)
		__builtin_trap();
	rc2 = conf_job_finish(&j, &fed, &bad2, err2, sizeof err2);
	if (rc1 != rc2 || bad1 != bad2 || strcmp(err1, err2) != 0)
		__builtin_trap();
	if (rc1 < 0)
		return;
	if (whole.n != fed.n || whole.nglobal != fed.nglobal)
		__builtin_trap();
	for (size_t i = 0; i < whole.n; i++) {
		const struct conf_entry *a = &whole.v[whole.order[i]], *b = &fed.v[fed.order[i]];

		if (a->line != b->line || strcmp(a->key, b->key) || strcmp(a->value, b->value) ||
		    !a->section != !b->section || (a->section && strcmp(a->section, b->section)))
			__builtin_trap();
	}
	conf_free(&whole);
	conf_free(&fed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int entry(void *ctx, unsigned line, const char *key, const char *value, int applies)
{
	unsigned *last = ctx;

	/* Entries come in file order within each pass, keys are never empty. */
	if (line == 0 || key[0] == '\0' || strchr(key, '=') || strchr(value, '\n'))
		__builtin_trap();
	(void)applies;
	*last = line;
	return 0;
}

/* The I-th entry a run of JOB applies: the global ones, then the section's. */
static const struct conf_entry *applied(const struct conf *c, size_t first, size_t i)
{
	return &c->v[c->order[i < c->nglobal ? i : first + i - c->nglobal]];
}

static void agree(const char *text, size_t len, const char *job)
{
	struct conf full, run;
	unsigned bad = 0;
	char err[256];
	size_t f1 = 0, f2 = 0, n1, n2;

	if (conf_parse(text, len, &full, &bad, err, sizeof err) < 0)
		return;
	if (conf_parse_job(text, len, job, &run, &bad, err, sizeof err) < 0)
		__builtin_trap();
	n1 = conf_section(&full, job, &f1);
	n2 = conf_section(&run, job, &f2);
	if (n1 != n2 || full.nglobal != run.nglobal || run.n != run.nglobal + n2)
		__builtin_trap();
	for (size_t i = 0; i < run.n; i++) {
		const struct conf_entry *a = applied(&full, f1, i), *b = applied(&run, f2, i);

		if (a->line != b->line || strcmp(a->key, b->key) || strcmp(a->value, b->value))
			__builtin_trap();
	}
	conf_free(&full);
	conf_free(&run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	unsigned bad = 0, last = 0;
	int rc = conf_scan((const char *)data, size, "job", entry, &last, &bad, err, sizeof err);

	if (rc == -1 && (bad == 0 || err[0] == '\0'))
		__builtin_trap();
	if (rc != 0 && rc != -1)
		__builtin_trap();
	agree((const char *)data, size, "job");
	agree((const char *)data, size, "a");
	pieces((const char *)data, size, "job", 1);
	pieces((const char *)data, size, "a", 1 + (size ? (unsigned)data[0] % 4 : 0));
	return 0;
}
