/* libFuzzer target for the etcd answers: any bytes, as any answer, parse or fail cleanly; and
 * what the request builders encode, the answer parser decodes back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../../src/etcd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the parser keeps of a host: printable bytes, at most 255. */
static void printable(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++)
		out[o++] = (unsigned char)*in >= 0x20 && *in != 0x7f ? *in : '?';
	out[o] = '\0';
}

/* What the builders encode for TEXT (a key, a holder's host), the range parser decodes. */
static void round_trip(const char *text)
{
	char *req = etcd_proto_request(ETCD_RANGE, text, NULL, 0, NULL, NULL);
	char *holder = etcd_proto_holder(text, 1, "run", 0);
	struct etcd_answer ans;
	json_t *doc, *hdoc;
	char *answer, want[256];
	const char *b64;

	if (!req)
		__builtin_trap();
	doc = json_loads(req, 0, NULL);
	b64 = json_string_value(json_object_get(doc, "key"));
	if (!b64)
		__builtin_trap();
	/* The key's own encoding must decode: use it as the value of a found key. */
	answer = malloc(2 * strlen(b64) + 64);
	if (!answer)
		__builtin_trap();
	sprintf(answer, "{\"kvs\":[{\"key\":\"%s\",\"value\":\"%s\"}]}", b64, b64);
	if (etcd_proto_parse(ETCD_RANGE, answer, strlen(answer), &ans) != 0 || !ans.found)
		__builtin_trap();
	free(answer);
	json_decref(doc);
	free(req);
	/* A holder written for TEXT (valid UTF-8 only: JSON strings are) reads back as TEXT. */
	if (!holder)
		return;
	req = etcd_proto_request(ETCD_RANGE, holder, NULL, 0, NULL, NULL);
	hdoc = req ? json_loads(req, 0, NULL) : NULL;
	b64 = json_string_value(json_object_get(hdoc, "key"));
	if (!b64)
		__builtin_trap();
	answer = malloc(strlen(b64) + 64);
	if (!answer)
		__builtin_trap();
	sprintf(answer, "{\"kvs\":[{\"value\":\"%s\",\"lease\":\"7\"}]}", b64);
	if (etcd_proto_parse(ETCD_RANGE, answer, strlen(answer), &ans) != 0 || !ans.found ||
	    ans.lease != 7 || ans.holder.pid != 1 || strcmp(ans.holder.run_id, "run") != 0)
		__builtin_trap();
	/* Values longer than a holder can be are not read: the host is then unknown. */
	printable(text, want, sizeof want);
	if (strlen(holder) < 4000 && strcmp(ans.holder.host, want) != 0)
		__builtin_trap();
	free(answer);
	json_decref(hdoc);
	free(req);
	free(holder);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_answer ans;
	char *text, msg[64], key[128];
	int code;

	if (size == 0)
		return 0;
	/* The first byte picks the answer's kind; the rest is the body. */
	if (etcd_proto_parse((enum etcd_op)(data[0] % 6), (const char *)data + 1, size - 1, &ans) == 0) {
		if (ans.succeeded && ans.found)
			__builtin_trap();
		if (memchr(ans.holder.host, '\0', sizeof ans.holder.host) == NULL ||
		    memchr(ans.token, '\0', sizeof ans.token) == NULL)
			__builtin_trap();
	}
	if (etcd_proto_parse_error((const char *)data, size, &code, msg, sizeof msg) == 0 &&
	    strlen(msg) >= sizeof msg)
		__builtin_trap();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	{
		int64_t slot = (int64_t)size * 7919 - 100000;

		if (etcd_proto_key(text, "once", text, &slot, key, sizeof key) == 0 && strlen(key) >= sizeof key)
			__builtin_trap();
	}
	round_trip(text);
	free(text);
	return 0;
}
