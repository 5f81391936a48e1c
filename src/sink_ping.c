/* The ping sink: the healthchecks.io protocol, URL/start?rid=ID before the run and URL/EXIT?rid=ID after. */
#include "config.h"

#include <string.h>

#include "sink_ping.h"

static const struct http_rule ping_rows[] = {
	{ 400, 400, HTTP_DROP },
	{ 408, 408, HTTP_RETRY },
	{ 429, 429, HTTP_RETRY },
	{ 500, 599, HTTP_RETRY },
};
const struct http_rules ping_rules = { ping_rows, sizeof ping_rows / sizeof *ping_rows };

int ping_due(const struct run_record *rec, unsigned fail_after)
{
	if (record_state_is_skip(rec->state))
		return 0;
	if (record_state_is_failure(rec->state))
		return rec->consecutive_failures >= fail_after;
	return 1;
}

int ping_url(FILE *out, const char *base, const char *what, const char *run_id)
{
	size_t path = strcspn(base, "?#");
	const char *query = base[path] == '?' ? base + path + 1 : NULL;
	size_t n = path;

	while (n > 0 && base[n - 1] == '/')
		n--;
	fwrite(base, 1, n, out);
	fprintf(out, "/%s?", what);
	if (query) {
		size_t qlen = strcspn(query, "#");
		if (qlen > 0) {
			fwrite(query, 1, qlen, out);
			fputc('&', out);
		}
	}
	fprintf(out, "rid=%s", run_id);
	return ferror(out) ? -1 : 0;
}

const char *ping_final_what(const struct run_record *rec, char buf[8])
{
	if (rec->state == RUN_SUCCESS)
		return "0";
	/* A failure that exited 0 (--success-exit without 0) must not read as a success. */
	if (rec->exit_code >= 1 && rec->exit_code <= 255) {
		snprintf(buf, 8, "%d", rec->exit_code);
		return buf;
	}
	return "fail";
}

void ping_body(FILE *out, const char *text, size_t len, size_t limit)
{
	char marker[64];
	size_t head, tail, room;

	if (len <= limit) {
		fwrite(text, 1, len, out);
		return;
	}
	/* The marker is sized for LEN's digits, so it never needs more than it was given. */
	room = (size_t)snprintf(marker, sizeof marker, "\n[... %zu bytes elided ...]\n", len);
	if (limit < room + 16) {
		/* No room for both ends: the end is where the error usually is. */
		fwrite(text + len - limit, 1, limit, out);
		return;
	}
	head = (limit - room) / 4;
	tail = limit - room - head;
	fwrite(text, 1, head, out);
	fprintf(out, "\n[... %zu bytes elided ...]\n", len - head - tail);
	fwrite(text + len - tail, 1, tail, out);
}
