/* The run record: state names, and its rendering as one key=value line. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "record.h"

static const char *const state_names[] = {
	[RUN_SUCCESS] = "success",
	[RUN_FAILURE] = "failure",
	[RUN_TIMEOUT] = "timeout",
	[RUN_SIGNALED] = "signaled",
	[RUN_EXEC_FAILED] = "exec_failed",
	[RUN_SKIPPED_STANDBY] = "skipped_standby",
	[RUN_SKIPPED_LOCKED] = "skipped_locked",
	[RUN_SKIPPED_CLAIMED] = "skipped_claimed",
	[RUN_ERROR] = "error",
};

const char *record_state_name(enum run_state s)
{
	if ((unsigned)s >= sizeof state_names / sizeof *state_names)
		return "error";
	return state_names[s];
}

int record_state_is_skip(enum run_state s)
{
	return s == RUN_SKIPPED_STANDBY || s == RUN_SKIPPED_LOCKED || s == RUN_SKIPPED_CLAIMED;
}

int record_state_is_failure(enum run_state s)
{
	return s != RUN_SUCCESS && !record_state_is_skip(s);
}

/* A tiny appender that counts what it could not write, like snprintf. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->pos++)
		if (o->pos + 1 < o->len)
			o->buf[o->pos] = s[i];
}

static void put_value(struct out *o, const char *v)
{
	int quote = *v == '\0' || strpbrk(v, " \"\\=") != NULL;

	if (quote)
		put(o, "\"", 1);
	for (; *v; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			continue;
		if (quote && (*v == '"' || *v == '\\'))
			put(o, "\\", 1);
		put(o, v, 1);
	}
	if (quote)
		put(o, "\"", 1);
}

static void put_kv(struct out *o, const char *k, const char *v)
{
	if (o->pos > 0)
		put(o, " ", 1);
	put(o, k, strlen(k));
	put(o, "=", 1);
	put_value(o, v);
}

size_t record_format_kv(const struct run_record *r, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	char num[32];

	put_kv(&o, "job", r->job);
	put_kv(&o, "host", r->host);
	put_kv(&o, "state", record_state_name(r->state));
	if (!record_state_is_skip(r->state) && r->state != RUN_ERROR) {
		snprintf(num, sizeof num, "%d", r->exit_code);
		put_kv(&o, "exit", num);
		if (r->signal) {
			snprintf(num, sizeof num, "%d", r->signal);
			put_kv(&o, "signal", num);
		}
		snprintf(num, sizeof num, "%lld.%03lld", (long long)(r->duration_us / 1000000),
			 (long long)(r->duration_us % 1000000 / 1000));
		put_kv(&o, "duration", num);
		if (r->maxrss_kb > 0) {
			snprintf(num, sizeof num, "%ld", r->maxrss_kb);
			put_kv(&o, "maxrss_kb", num);
		}
	}
	put_kv(&o, "run_id", r->run_id);
	if (r->period_ms) {
		snprintf(num, sizeof num, "%llu", (unsigned long long)(r->period_ms / 1000));
		put_kv(&o, "period", num);
	}
	if (r->exclusive)
		put_kv(&o, "exclusive", "1");
	if (r->splay_us) {
		snprintf(num, sizeof num, "%.3f", (double)r->splay_us / 1e6);
		put_kv(&o, "splay", num);
	}
	snprintf(num, sizeof num, "%.3f", (double)r->lateness_us / 1e6);
	put_kv(&o, "lateness", num);
	if (r->reason)
		put_kv(&o, "reason", r->reason);
	for (size_t i = 0; i < r->nlabels; i++)
		put_kv(&o, r->labels[i].key, r->labels[i].value);
	if (len > 0)
		buf[o.pos < len ? o.pos : len - 1] = '\0';
	return o.pos;
}

void record_new_run_id(char id[37])
{
	unsigned char b[16];
	static const char hex[] = "0123456789abcdef";
	size_t j = 0;

	if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
		/* Without entropy yet, uniqueness is what matters: time and pid give it. */
		uint64_t t = (uint64_t)clock_real_us();
		for (size_t i = 0; i < sizeof b; i++)
			b[i] = (unsigned char)((t * 2654435761u + (t >> 20) +
						(uint64_t)getpid() * 40503u) >> (i % 8 * 8));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			id[j++] = '-';
		id[j++] = hex[b[i] >> 4];
		id[j++] = hex[b[i] & 15];
	}
	id[j] = '\0';
}
