/* The syslog sink: one key=value line per run, facility cron. */
#include "config.h"

#include <syslog.h>

#include "sink_syslog.h"

void sink_syslog_send(const struct run_record *rec)
{
	char line[2048];

	record_format_kv(rec, line, sizeof line);
	/* LOG_NDELAY is left off: the socket is opened by the first syslog() call, here. */
	openlog("cronguard", LOG_PID, LOG_CRON);
	syslog(record_state_is_failure(rec->state) ? LOG_ERR : LOG_NOTICE, "%s", line);
	closelog();
}
