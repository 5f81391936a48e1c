/* libFuzzer target for lint_crontab: any text yields warnings in line order, one per call,
 * each on a line that exists, and the count it returns. */
#include <stdint.h>
#include <string.h>

#include "../../src/conf.h"
#include "../../src/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	unsigned last, count, lines;
};

static void emit(void *ctx, unsigned line, enum lint_severity sev, const char *message)
{
	struct seen *s = ctx;

	if (sev != LINT_WARNING && sev != LINT_ERROR)
		__builtin_trap();
	if (line == 0 || line < s->last || line > s->lines || message[0] == '\0' ||
	    strchr(message, '\n'))
		__builtin_trap();
	s->last = line;
	s->count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lint_job jobs[] = { { "backup", 420000 }, { "sync", 30000 }, { "a", 1 } };
	static const char config[] = "lock = no\nsplay = 0\n[backup]\nlock = yes\n[sync]\nsplay = 1m\n"
				     "[bad]\nfail-after = 0\n";
	static struct conf conf;
	static int parsed;
	struct lint_history h = { jobs, 3, &conf, "fuzz.conf", LINT_AUTO, 0, NULL, NULL, NULL };
	struct seen s = { 0, 0, 1 };
	unsigned bad;
	char err[256];
	int n;

	/* Parsed once, as lint_file does for a whole crontab. */
	if (!parsed && conf_parse(config, sizeof config - 1, &conf, &bad, err, sizeof err) < 0)
		__builtin_trap();
	parsed = 1;

	/* The first byte picks the format and the threshold, the rest is the crontab. */
	if (size > 0) {
		h.format = (enum lint_format)(data[0] % 3);
		h.same_minute = (unsigned)(data[0] >> 2) % 6;
		data++;
		size--;
	}
	for (size_t i = 0; i < size; i++)
		s.lines += data[i] == '\n';
	n = lint_crontab((const char *)data, size, &h, emit, &s);
	if (n < 0 || (unsigned)n != s.count)
		__builtin_trap();
	return 0;
}
