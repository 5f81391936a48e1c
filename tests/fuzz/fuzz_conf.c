/* libFuzzer target for conf_scan: any file text yields entries or one located error. */
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	unsigned bad = 0, last = 0;
	int rc = conf_scan((const char *)data, size, "job", entry, &last, &bad, err, sizeof err);

	if (rc == -1 && (bad == 0 || err[0] == '\0'))
		__builtin_trap();
	if (rc != 0 && rc != -1)
		__builtin_trap();
	return 0;
}
