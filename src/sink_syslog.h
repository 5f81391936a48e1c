/* The syslog sink: one key=value line per run, facility cron. */
#ifndef CRONGUARD_SINK_SYSLOG_H
#define CRONGUARD_SINK_SYSLOG_H

#include <stddef.h>
#include <sys/types.h>

#include "record.h"

/* sink_syslog_format renders one message for /dev/log as syslog(3) with
 * openlog("cronguard", LOG_PID, LOG_CRON) would, less the timestamp, which the receiver
 * adds: "<PRI>cronguard[PID]: LINE". PRI is LOG_CRON with LEVEL. Returns the length the
 * whole message needs, as snprintf does. Pure. */
size_t sink_syslog_format(int level, pid_t pid, const char *line, char *buf, size_t len);

/* sink_syslog_send logs REC: notice for success and skips, err for failures. Nothing
 * listening on /dev/log is no error: the line is dropped, as syslog(3) drops it. */
void sink_syslog_send(const struct run_record *rec);

#endif
