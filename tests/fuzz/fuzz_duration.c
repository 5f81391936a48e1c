/* libFuzzer target for duration_parse: any text parses to a bounded value or is rejected. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[256], back[64];
	uint64_t ms = 0, again = 0;

	if (size >= sizeof text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (duration_parse(text, &ms) == 0) {
		if (ms > DURATION_MAX_MS)
			__builtin_trap();
		/* What we print we must read back to the same value. */
		if (duration_parse(duration_format(ms, back, sizeof back), &again) != 0 || again != ms)
			__builtin_trap();
	} else if (errno != EINVAL && errno != ERANGE) {
		__builtin_trap();
	}
	return 0;
}
