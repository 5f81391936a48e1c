/* The webhook sink: one JSON object per run, with every field of the record. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "encode.h"
#include "sink_webhook.h"

static const struct http_rule webhook_rows[] = {
	{ 400, 400, HTTP_DROP },
	{ 408, 408, HTTP_RETRY },
	{ 413, 413, HTTP_DROP },
	{ 422, 422, HTTP_DROP },
	{ 429, 429, HTTP_RETRY },
	{ 500, 599, HTTP_RETRY },
};
const struct http_rules webhook_rules = { webhook_rows, sizeof webhook_rows / sizeof *webhook_rows };

/* JSON strings must be UTF-8, and a command's output need not be: bad bytes become U+FFFD. */
static json_t *text(const char *s, size_t n)
{
	char *buf = malloc(n * 3 + 1);
	size_t o = 0;
	json_t *j;

	if (!buf)
		return NULL;
	while (n > 0) {
		size_t len = encode_utf8_len(s, n);

		if (len == 0) {
			memcpy(buf + o, ENCODE_REPLACEMENT, 3);
			o += 3;
			len = 1;
		} else {
			memcpy(buf + o, s, len);
			o += len;
		}
		s += len;
		n -= len;
	}
	j = json_stringn_nocheck(buf, o);
	free(buf);
	return j;
}

static json_t *text_or_null(const char *s, size_t n)
{
	return s ? text(s, n) : json_null();
}

static json_t *rfc3339(int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	char buf[64], stamp[48];

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (!gmtime_r(&secs, &tm) || strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return json_null();
	snprintf(buf, sizeof buf, "%s.%06ldZ", stamp, frac);
	return json_string(buf);
}

static int put(json_t *obj, const char *key, json_t *value)
{
	/* json_object_set_new takes the reference even when it fails, and fails on NULL. */
	return value ? json_object_set_new(obj, key, value) : -1;
}

char *webhook_json(const struct run_record *rec)
{
	json_t *o = json_object(), *labels = json_object();
	char *out = NULL;
	int bad = !o || !labels;

	for (size_t i = 0; !bad && i < rec->nlabels; i++)
		bad |= put(labels, rec->labels[i].key,
			   text(rec->labels[i].value, strlen(rec->labels[i].value)));
	if (!bad) {
		bad |= put(o, "labels", json_incref(labels));
		bad |= put(o, "job", text(rec->job, strlen(rec->job)));
		bad |= put(o, "host", text(rec->host, strlen(rec->host)));
		bad |= put(o, "run_id", text(rec->run_id, strlen(rec->run_id)));
		bad |= put(o, "state", json_string(record_state_name(rec->state)));
		bad |= put(o, "success", json_boolean(rec->state == RUN_SUCCESS));
		bad |= put(o, "exit_code", json_integer(rec->exit_code));
		bad |= put(o, "signal", rec->signal ? json_integer(rec->signal) : json_null());
		bad |= put(o, "start_us", json_integer(rec->start_us));
		bad |= put(o, "end_us", json_integer(rec->end_us));
		bad |= put(o, "start_time", rfc3339(rec->start_us));
		bad |= put(o, "end_time", rfc3339(rec->end_us));
		bad |= put(o, "duration_us", json_integer(rec->duration_us));
		bad |= put(o, "maxrss_kb", rec->maxrss_kb > 0 ? json_integer(rec->maxrss_kb) : json_null());
		bad |= put(o, "reason", text_or_null(rec->reason, rec->reason ? strlen(rec->reason) : 0));
		bad |= put(o, "output", text_or_null(rec->output, rec->output_len));
		bad |= put(o, "consecutive_failures", json_integer(rec->consecutive_failures));
		bad |= put(o, "last_success_us",
			   rec->last_success_us ? json_integer(rec->last_success_us) : json_null());
		bad |= put(o, "period_s", rec->period_ms ? json_integer((json_int_t)(rec->period_ms / 1000))
							 : json_null());
		bad |= put(o, "exclusive", json_boolean(rec->exclusive));
		bad |= put(o, "slot_us", json_integer(rec->slot_us));
		bad |= put(o, "splay_us", json_integer(rec->splay_us));
		bad |= put(o, "lateness_us", json_integer(rec->lateness_us));
	}
	if (!bad)
		out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(labels);
	json_decref(o);
	return out;
}
