/* libFuzzer target for the webhook document: any record, any output bytes, yields JSON that parses back to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../src/sink_webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *text;
	const char *reason, *value;
	struct label labels[2];
	struct run_record rec;
	json_error_t err;
	json_t *doc;
	size_t n;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	/* The first string is the reason and a label value; everything is the output. */
	reason = buf;
	n = strlen(reason);
	value = n < size ? buf + n + 1 : "";
	labels[0] = (struct label){ "team", value };
	labels[1] = (struct label){ "env", reason };
	rec = (struct run_record){ .job = "job", .host = "host", .labels = labels, .nlabels = 2,
				   .state = (enum run_state)(size % 9), .exit_code = (int)size,
				   .start_us = (int64_t)size * 1000003 - 5000000, .end_us = (int64_t)size,
				   .reason = n ? reason : NULL, .output = (const char *)data,
				   .output_len = size, .last_success_us = (int64_t)size };
	strcpy(rec.run_id, "0f8fad5b-d9cb-469f-a165-70867728950e");
	text = webhook_json(&rec);
	if (!text)
		__builtin_trap();
	doc = json_loads(text, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &err);
	if (!doc || !json_is_object(doc))
		__builtin_trap();
	if (strcmp(json_string_value(json_object_get(doc, "run_id")), rec.run_id) != 0 ||
	    json_integer_value(json_object_get(doc, "exit_code")) != (json_int_t)size ||
	    json_string_length(json_object_get(doc, "output")) < size ||
	    !json_is_object(json_object_get(doc, "labels")))
		__builtin_trap();
	/* Valid UTF-8 passes through unchanged. */
	if (json_string_length(json_object_get(doc, "output")) == size &&
	    memcmp(json_string_value(json_object_get(doc, "output")), data, size) != 0)
		__builtin_trap();
	json_decref(doc);
	free(text);
	free(buf);
	return 0;
}
