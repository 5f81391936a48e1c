/* The syslog sink: one key=value line per run, facility cron. */
#ifndef CRONGUARD_SINK_SYSLOG_H
#define CRONGUARD_SINK_SYSLOG_H

#include "record.h"

/* sink_syslog_send logs REC: notice for success and skips, err for failures. */
void sink_syslog_send(const struct run_record *rec);

#endif
