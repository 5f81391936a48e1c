/* The InfluxDB sink: one line-protocol point per run (skips too), for 1.x /write and 2.x /api/v2/write. */
#ifndef CRONGUARD_SINK_INFLUX_H
#define CRONGUARD_SINK_INFLUX_H

#include <stddef.h>
#include <stdio.h>

#include "http.h"
#include "record.h"

/* What the sink uses: the write URL and where its credentials are. */
struct influx_spec {
	const char *url;
	const char *token_file;      /* 2.x: "Authorization: Token ..." */
	const char *user;            /* 1.x: Basic auth, with the password in... */
	const char *password_file;
};

/* The answers of InfluxDB 1.x and 2.x: 400 (a bad line), 413 and 422 prove the point bad;
 * 408, 429 and 502-504 are retried; 500 (1.x: a missing retention policy) is permanent for
 * the configuration but not the point's fault, so the point waits and is never dropped for
 * it; 401, 403 and 404 (database missing) wait too. */
extern const struct http_rules influx_rules;

enum influx_part {
	INFLUX_MEASUREMENT,   /* escapes commas and spaces */
	INFLUX_KEY,           /* tag keys, tag values, field keys: commas, spaces and "=" */
	INFLUX_STRING,        /* string field values, inside their quotes: '"' and '\' */
};

/* influx_escape writes S escaped for PART of a line. Line protocol has no escape for a
 * newline: control characters become spaces; bytes that are not UTF-8 become U+FFFD. A
 * backslash is doubled where it would otherwise escape what follows it. Pure. */
void influx_escape(FILE *out, const char *s, enum influx_part part);

/* influx_format_line writes REC as one point and its newline: measurement cronguard, tags
 * job, host, state and the labels sorted by key (empty values left out), fields exit_code,
 * duration (seconds), success, maxrss_kb, consecutive_failures, signal (if any), run_id,
 * reason (if any), and the start time in milliseconds. A skip has no exit_code, maxrss_kb
 * nor consecutive_failures. Returns 0 or -1. Pure. */
int influx_format_line(FILE *out, const struct run_record *rec);

/* influx_url writes URL with its precision parameter set to "ms" (1.x takes an unknown
 * precision for nanoseconds without a word). Pure. */
int influx_url(FILE *out, const char *url);

/* influx_authorization reads the credentials S names (token file, or user and password
 * file) into *VALUE, an Authorization header value to free (and wipe) after use, or NULL
 * when none is configured. Returns 0, or -1 with ERR (which never holds the secret). */
int influx_authorization(const struct influx_spec *s, char **value, char *err, size_t errlen);

#endif
