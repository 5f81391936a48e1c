/* libFuzzer target for spool files and names: any file decodes to a sound entry or is refused, a decoded entry encodes back to the same bytes, and any name parses to a bounded job and a known sink or is refused. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/spool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spool_entry e, again;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (size < 256) {
		char name[256], job[65], sink[16];
		unsigned refusals;

		memcpy(name, data, size);
		name[size] = '\0';
		if (spool_name_parse(name, job, sink, &refusals) == 0 &&
		    (strlen(job) == 0 || strlen(job) > 64 || refusals > 9 ||
		     (strcmp(sink, "influx") != 0 && strcmp(sink, "webhook") != 0)))
			__builtin_trap();
	}
	if (spool_decode((const char *)data, size, &e) < 0)
		return 0;
	if (!e.url || !e.content_type || !e.body || e.body_len > size)
		__builtin_trap();
	for (const char *s = e.content_type; *s; s++)
		if ((unsigned char)*s < 0x20)
			__builtin_trap();
	f = open_memstream(&text, &len);
	if (f) {
		if (spool_encode(f, &e) != 0)
			__builtin_trap();
		fclose(f);
		/* Unknown keys are dropped and keys come out in one order: compare the meaning. */
		if (spool_decode(text, len, &again) != 0 || strcmp(again.url, e.url) != 0 ||
		    strcmp(again.sink, e.sink) != 0 || strcmp(again.auth, e.auth) != 0 ||
		    strcmp(again.run_id, e.run_id) != 0 || again.start_us != e.start_us ||
		    again.body_len != e.body_len || memcmp(again.body, e.body, e.body_len) != 0)
			__builtin_trap();
		spool_entry_free(&again);
		free(text);
	}
	spool_entry_free(&e);
	return 0;
}
