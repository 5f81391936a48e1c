/* The Prometheus metrics of a run: the Pushgateway push, and the text both it and the textfile sink use. */
#ifndef CRONGUARD_SINK_PUSHGATEWAY_H
#define CRONGUARD_SINK_PUSHGATEWAY_H

#include <stdio.h>

#include "http.h"
#include "record.h"

/* The Pushgateway's answers: 400 is the push's own fault (no trailing newline, a timestamp,
 * a # TYPE conflicting with another group's), 408, 429 and 5xx are retried. A push is never
 * spooled: the next run's replaces it. */
extern const struct http_rules pushgateway_rules;

enum prom_target {
	PROM_PUSHGATEWAY,  /* grouping key job/instance in the URL; last success only on success */
	PROM_TEXTFILE,     /* job="NAME" on every sample; the last success known so far */
};

/* pushgateway_format writes REC's metrics in the Prometheus text format (# HELP, # TYPE,
 * no timestamps, ending in a newline) to OUT. A skip writes only the skip metrics, so it
 * never overwrites the last run's. Returns 0, or -1 when OUT failed. Pure. */
int pushgateway_format(FILE *out, const struct run_record *rec, enum prom_target target);

/* pushgateway_path writes BASE/metrics/job/JOB/instance/HOST to OUT, each value in the
 * LABEL@base64/VALUE form (URL-safe alphabet, "=" for empty) when it is not plainly safe in
 * a path segment. Returns 0 or -1. Pure. */
int pushgateway_path(FILE *out, const char *base, const char *job, const char *host);

/* pushgateway_escape_value writes a label value escaped for the text format: backslash,
 * double quote and newline escaped, bytes that are not UTF-8 replaced by U+FFFD. Pure. */
void pushgateway_escape_value(FILE *out, const char *value);

#endif
