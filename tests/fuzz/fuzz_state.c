/* libFuzzer target for the state file's readers: any text is a summary or a refusal, never a
 * crash; the job name survives, the strings stay terminated, the counts are never negative and
 * the durations are -1 or a sane value. The run path's own reader and writer are held to
 * jansson's: the reader refuses exactly what jansson refuses, save two things only it refuses
 * (nesting deeper than STATE_MAX_DEPTH, and a NUL byte right after a number or a literal,
 * which jansson's lexer skips), and the file written from what it read is the one
 * state_update and json_dumps would write. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int deeper_than_bound(const uint8_t *data, size_t size)
{
	int depth = 0, in_string = 0;

	for (size_t i = 0; i < size; i++) {
		if (in_string) {
			if (data[i] == '\\')
				i++;
			else if (data[i] == '"')
				in_string = 0;
		} else if (data[i] == '"') {
			in_string = 1;
		} else if (data[i] == '[' || data[i] == '{') {
			if (++depth > STATE_MAX_DEPTH)
				return 1;
		} else if (data[i] == ']' || data[i] == '}') {
			depth--;
		}
	}
	return 0;
}

static void differential(const uint8_t *data, size_t size)
{
	struct run_record r = { .job = "job", .host = "h", .state = RUN_FAILURE, .start_us = 1,
				.end_us = 2, .duration_us = 1, .reason = "r" };
	struct state_history h1, h2;
	struct state_prior p;
	json_t *old = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL), *doc;
	int mine = state_read_prior((const char *)data, size, &p);
	char *want, *got;
	size_t len;

	strcpy(r.run_id, "id");
	if ((old != NULL) != (mine == 0) &&
	    !(old && (deeper_than_bound(data, size) || memchr(data, '\0', size))))
		__builtin_trap();
	if (mine == 0 && old) {
		doc = state_update(old, &r, &h1);
		want = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(16));
		got = state_render(&p, &r, &h2, &len);
		if (!want || !got || len != strlen(want) + 1 || memcmp(got, want, len - 1) != 0 ||
		    got[len - 1] != '\n' || h1.consecutive_failures != h2.consecutive_failures ||
		    h1.last_success_us != h2.last_success_us)
			__builtin_trap();
		free(want);
		free(got);
		json_decref(doc);
	}
	json_decref(old);
}

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
	differential(data, size);
	return 0;
}
