/* The remote reports: one run record fanned out to ping, Pushgateway, InfluxDB, webhook and textfile. */
#ifndef CRONGUARD_REPORT_H
#define CRONGUARD_REPORT_H

#include "options.h"
#include "record.h"

/* report_wanted tells whether any remote sink is configured (ping, pushgateway, influx,
 * webhook, textfile), i.e. whether report_send has anything to do. */
int report_wanted(const struct options *o);

/* report_start sends the healthchecks /start ping (with --ping; not with --fail-after above
 * 1, see report.c), bounded by the report timeout. A failure is logged, never fatal. */
void report_start(const struct options *o, const struct run_record *rec);

/* report_send renders REC for every configured sink and delivers them all at once under one
 * deadline (--report-timeout), retrying transient failures inside it. Each sink that fails
 * gets one logged line; an undelivered influx or webhook record is spooled under the state
 * dir, and records spooled by earlier runs are sent first, oldest first. Returns the number
 * of this run's sinks that failed; the exit status must not depend on it. */
int report_send(const struct options *o, const struct run_record *rec);

/* report_forget deletes JOB's Pushgateway group (job=JOB, instance=this host) for --forget,
 * within the report timeout. Returns 0, or -1 with ERR. */
int report_forget(const struct options *o, const char *job, char *err, size_t errlen);

#endif
