/* The InfluxDB sink: one line-protocol point per run (skips too), for 1.x /write and 2.x /api/v2/write. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "encode.h"
#include "sink_influx.h"

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Whether PART escapes C with a backslash (control characters count: they become "\ "
 * in measurements and keys). */
static int escaped_in(enum influx_part part, unsigned char c)
{
	switch (part) {
	case INFLUX_MEASUREMENT:
		return c == ',' || c == ' ' || is_control(c);
	case INFLUX_KEY:
		return c == ',' || c == ' ' || c == '=' || is_control(c);
	default:
		return c == '"' || c == '\\';
	}
}

void influx_escape(FILE *out, const char *s, enum influx_part part)
{
	size_t n = strlen(s);

	while (n > 0) {
		unsigned char c = (unsigned char)*s;
		size_t len = encode_utf8_len(s, n);

		if (len == 0) {
			fputs(ENCODE_REPLACEMENT, out);
			len = 1;
		} else if (part == INFLUX_STRING && len == 1) {
			if (escaped_in(part, c))
				fputc('\\', out);
			fputc(is_control(c) ? ' ' : c, out);
		} else if (part == INFLUX_STRING) {
			fwrite(s, 1, len, out);
		} else if (c == '\\') {
			/* InfluxDB's scanner takes a backslash and the byte after it as a pair but
			 * unescapes only "\,", "\ " and "\=": a lone backslash before an ordinary
			 * character stays as it is, and one before an escape, another backslash or
			 * the end is doubled so the pairs stay aligned (read back doubled, but
			 * the line parses as intended). */
			unsigned char next = n > 1 ? (unsigned char)s[1] : '\0';
			fputs(next == '\0' || next == '\\' || escaped_in(part, next) ? "\\\\" : "\\", out);
		} else if (escaped_in(part, c)) {
			fputc('\\', out);
			fputc(is_control(c) ? ' ' : c, out);
		} else {
			fwrite(s, 1, len, out);
		}
		s += len;
		n -= len;
	}
}

struct tag {
	const char *key;
	const char *value;
};

static int tag_cmp(const void *a, const void *b)
{
	/* strcmp compares as unsigned bytes: InfluxDB's own (Go bytes.Compare) order. */
	return strcmp(((const struct tag *)a)->key, ((const struct tag *)b)->key);
}

static void put_micros_as_seconds(FILE *out, int64_t us)
{
	uint64_t a = us < 0 ? (uint64_t)0 - (uint64_t)us : (uint64_t)us;

	fprintf(out, "%s%" PRIu64 ".%06" PRIu64, us < 0 ? "-" : "", a / 1000000, a % 1000000);
}

int influx_format_line(FILE *out, const struct run_record *rec)
{
	size_t ntags = 0;
	struct tag *tags = malloc((rec->nlabels + 3) * sizeof *tags);
	int skip = record_state_is_skip(rec->state);

	if (!tags)
		return -1;
	tags[ntags++] = (struct tag){ "job", rec->job };
	tags[ntags++] = (struct tag){ "host", rec->host };
	tags[ntags++] = (struct tag){ "state", record_state_name(rec->state) };
	for (size_t i = 0; i < rec->nlabels; i++)
		tags[ntags++] = (struct tag){ rec->labels[i].key, rec->labels[i].value };
	qsort(tags, ntags, sizeof *tags, tag_cmp);

	influx_escape(out, "cronguard", INFLUX_MEASUREMENT);
	for (size_t i = 0; i < ntags; i++) {
		/* InfluxDB refuses an empty tag value: such a tag is left out of the point. */
		if (!tags[i].value[0] || !tags[i].key[0])
			continue;
		fputc(',', out);
		influx_escape(out, tags[i].key, INFLUX_KEY);
		fputc('=', out);
		influx_escape(out, tags[i].value, INFLUX_KEY);
	}
	free(tags);
	fputc(' ', out);
	if (!skip)
		fprintf(out, "exit_code=%di,", rec->exit_code);
	fputs("duration=", out);
	put_micros_as_seconds(out, rec->duration_us);
	/* success only on runs: a standby's skip is not a failure (ran, below, is on every point). */
	if (!skip)
		fprintf(out, ",success=%s", rec->state == RUN_SUCCESS ? "true" : "false");
	/* maxrss_kb 0: not known (see run.h); absent rather than a false zero. */
	if (!skip && rec->maxrss_kb > 0)
		fprintf(out, ",maxrss_kb=%ldi", rec->maxrss_kb);
	if (!skip)
		fprintf(out, ",consecutive_failures=%ui", rec->consecutive_failures);
	if (rec->signal)
		fprintf(out, ",signal=%di", rec->signal);
	fputs(",run_id=\"", out);
	influx_escape(out, rec->run_id, INFLUX_STRING);
	fputc('"', out);
	if (rec->reason) {
		fputs(",reason=\"", out);
		influx_escape(out, rec->reason, INFLUX_STRING);
		fputc('"', out);
	}
	/* ran: the command ran (a failure too); 0 for a skip, an error or a command that could
	 * not be started. A sum over it counts runs, and a role that only skipped sums to 0. */
	fprintf(out, ",ran=%di,period=%" PRIu64 "i,exclusive=%di,slot=%" PRId64 "i,splay=",
		rec->state == RUN_SUCCESS || rec->state == RUN_FAILURE || rec->state == RUN_TIMEOUT ||
			rec->state == RUN_SIGNALED,
		rec->period_ms / 1000, rec->exclusive, rec->slot_us / 1000000);
	put_micros_as_seconds(out, rec->splay_us);
	fputs(",lateness=", out);
	put_micros_as_seconds(out, rec->lateness_us);
	/* The start, in the precision influx_url asks for: a resent point lands on itself. */
	fprintf(out, " %" PRId64 "\n", rec->start_us / 1000);
	return ferror(out) ? -1 : 0;
}

int influx_url(FILE *out, const char *url)
{
	size_t base = strcspn(url, "?#");
	const char *q = url[base] == '?' ? url + base + 1 : NULL;
	char sep = '?';

	fwrite(url, 1, base, out);
	while (q && *q && *q != '#') {
		size_t len = strcspn(q, "&#");

		if (len > 0 && strncmp(q, "precision=", 10) != 0) {
			fputc(sep, out);
			fwrite(q, 1, len, out);
			sep = '&';
		}
		q += len;
		if (*q == '&')
			q++;
	}
	fprintf(out, "%cprecision=ms", sep);
	return ferror(out) ? -1 : 0;
}


/* "Basic base64(USER:SECRET)" into F; 1.x also takes u= and p= in the query, but URLs
 * end up in logs. */
static int put_basic(FILE *f, const char *user, const char *secret)
{
	size_t ulen = strlen(user), slen = strlen(secret);
	char *pair = malloc(ulen + 1 + slen);

	if (!pair)
		return -1;
	memcpy(pair, user, ulen);
	pair[ulen] = ':';
	memcpy(pair + ulen + 1, secret, slen);
	fputs("Basic ", f);
	encode_base64(f, pair, ulen + 1 + slen, 0);
	explicit_bzero(pair, ulen + 1 + slen);
	free(pair);
	return 0;
}

static const struct http_rule influx_rows[] = {
	{ 400, 400, HTTP_DROP },
	{ 408, 408, HTTP_RETRY },
	{ 413, 413, HTTP_DROP },
	{ 422, 422, HTTP_DROP },
	{ 429, 429, HTTP_RETRY },
	{ 502, 504, HTTP_RETRY },
};
const struct http_rules influx_rules = { influx_rows, sizeof influx_rows / sizeof *influx_rows };

int influx_authorization(const struct influx_spec *o, char **value, char *err, size_t errlen)
{
	char *secret, *text = NULL;
	size_t len = 0;
	int rc = -1;
	FILE *f;

	*value = NULL;
	if (!o->token_file && !o->user)
		return 0;
	secret = fileio_read_secret(o->token_file ? o->token_file
							 : o->password_file, err, errlen);
	if (!secret)
		return -1;
	f = open_memstream(&text, &len);
	if (f) {
		if (o->token_file)
			rc = fprintf(f, "Token %s", secret) < 0 ? -1 : 0;
		else
			rc = put_basic(f, o->user, secret);
		if (fclose(f) != 0)
			rc = -1;
	}
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (rc < 0) {
		free(text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*value = text;
	return 0;
}
