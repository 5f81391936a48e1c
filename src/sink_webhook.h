/* The webhook sink: one JSON object per run, with every field of the record. */
#ifndef CRONGUARD_SINK_WEBHOOK_H
#define CRONGUARD_SINK_WEBHOOK_H

#include "http.h"
#include "record.h"

/* A webhook receiver is any HTTP server: 400, 413 and 422 say the document is bad; 408,
 * 429 and 5xx are retried inside the deadline (a 500 that persists, a body the receiver
 * cannot take, counts against the record); anything else waits for a later run. */
extern const struct http_rules webhook_rules;

/* webhook_json renders REC as one compact JSON object with sorted keys: job, host, labels,
 * run_id (for receivers to drop a resent duplicate), state, success, exit_code, signal,
 * start_us, end_us, start_time and end_time (RFC 3339, UTC), duration_us, maxrss_kb,
 * reason, output, consecutive_failures, last_success_us; absent values are null, and bytes
 * that are not UTF-8 become U+FFFD. Returns a string to free, or NULL. Pure. */
char *webhook_json(const struct run_record *rec);

#endif
