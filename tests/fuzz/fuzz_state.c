/* libFuzzer target for state_summarise: any text is a summary or a refusal, never a crash;
 * the job name survives, the strings stay terminated, the counts are never negative and
 * the durations are -1 or a sane value. */
#include <stdint.h>
#include <string.h>

#include "../../src/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state_summary s = { .job = "job" };
	int rc = state_summarise((const char *)data, size, &s);

	if (strcmp(s.job, "job") != 0 || (rc == 0) != (s.readable == 1))
		__builtin_trap();
	if (memchr(s.state, '\0', sizeof s.state) == NULL ||
	    memchr(s.reason, '\0', sizeof s.reason) == NULL)
		__builtin_trap();
	if (s.runs < 0 || s.consecutive_failures < 0 || s.duration_us < -1 ||
	    s.last_success_duration_us < -1)
		__builtin_trap();
	return 0;
}
