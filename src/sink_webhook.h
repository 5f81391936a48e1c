/* The webhook sink: one JSON object per run, with every field of the record. */
#ifndef CRONGUARD_SINK_WEBHOOK_H
#define CRONGUARD_SINK_WEBHOOK_H

#include "record.h"

/* webhook_json renders REC as one compact JSON object with sorted keys: job, host, labels,
 * run_id (for receivers to drop a resent duplicate), state, success, exit_code, signal,
 * start_us, end_us, start_time and end_time (RFC 3339, UTC), duration_us, maxrss_kb,
 * reason, output, consecutive_failures, last_success_us; absent values are null, and bytes
 * that are not UTF-8 become U+FFFD. Returns a string to free, or NULL. Pure. */
char *webhook_json(const struct run_record *rec);

#endif
