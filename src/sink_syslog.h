/* The syslog sink: one key=value line per run, facility cron. */
#ifndef CRONGUARD_SINK_SYSLOG_H
#define CRONGUARD_SINK_SYSLOG_H

#include <stddef.h>
#include <sys/types.h>

#include "record.h"

/* The longest key=value line a message carries (longer ones are cut, as before). */
#define SINK_SYSLOG_LINE_MAX 2047

/* sink_syslog_format renders REC as one message for /dev/log, as syslog(3) with
 * openlog("cronguard", LOG_PID, LOG_CRON) would, less the timestamp, which the receiver
 * adds: "<PRI>cronguard[PID]: " and record_format_kv's line, cut to SINK_SYSLOG_LINE_MAX.
 * PRI is LOG_CRON with LEVEL. Returns the message's length (less than LEN, which must
 * leave room for the line: 64 + SINK_SYSLOG_LINE_MAX + 1 always does). Pure. */
size_t sink_syslog_format(int level, pid_t pid, const struct run_record *rec, char *buf, size_t len);

/* sink_syslog_send logs REC: notice for success and skips, err for failures. Nothing
 * listening on /dev/log is no error: the line is dropped, as syslog(3) drops it. */
void sink_syslog_send(const struct run_record *rec);

#endif
