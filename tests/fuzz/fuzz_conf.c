/* libFuzzer target for the config parser: any file text yields entries or one located error,
 * and a run's parse (conf_parse_job) agrees with the full parse (conf_parse) wherever the
 * full parse succeeds: the same global and job entries, in the same order, at the same lines. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/conf.h"

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
	return 0;
}
