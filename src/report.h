/* The reports of a run: syslog, textfile and the remote sinks (ping, Pushgateway, InfluxDB, webhook), with the spool. */
#ifndef CRONGUARD_REPORT_H
#define CRONGUARD_REPORT_H

#include <stddef.h>

#include "options.h"
#include "record.h"
#include "sink_syslog.h"

/* What report_start learnt that report_send needs: zero-initialised means "nothing yet". */
struct report_session {
	int ping_limit_known;
	size_t ping_body_limit;     /* the Ping-Body-Limit the start ping's answer announced */
};

/* report_wanted tells whether any sink beyond syslog and the state file is configured
 * (ping, pushgateway, influx, webhook, textfile), i.e. whether the output tail is needed. */
int report_wanted(const struct options *o);

/* report_start sends the healthchecks /start ping (with --ping; not with --fail-after above
 * 1, see report.c), bounded by the report timeout, and notes in S what the server said. A
 * failure is logged, never fatal. */
void report_start(const struct options *o, const struct run_record *rec, struct report_session *s);

/* report_spool_target tells whether a record spooled for JOB's SINK ("influx", "webhook")
 * may go to URL from a run configured by O: only when the run is of JOB and sends that
 * sink's records to exactly URL. Returns 1 or 0. */
int report_spool_target(const struct options *o, const char *job, const char *sink,
			const char *url);

/* report_local_begin opens the syslog sink's socket ahead (unless --no-syslog), while the
 * command runs, into *AHEAD (fd -1 until then). */
void report_local_begin(const struct options *o, struct sink_syslog *ahead);

/* report_local writes REC's syslog line (unless --no-syslog), through AHEAD where it was
 * opened (NULL: not): the report that goes out while the job's lock is still held, with the
 * state file. */
void report_local(const struct options *o, struct sink_syslog *ahead, const struct run_record *rec);

/* report_send writes REC's textfile, then delivers it
 * to every remote sink at once under one deadline (--report-timeout), retrying what each
 * sink's rules call transient inside it, together with records spooled by earlier runs.
 * An undelivered influx or webhook record is spooled under the state dir (syslog only: an
 * outage mails nobody); a record dropped or set aside is one line on stderr. Returns the
 * number of this run's sinks that failed; the exit status must not depend on it. */
int report_send(const struct options *o, const struct report_session *s,
		const struct run_record *rec);

/* report_forget deletes JOB's Pushgateway group (job=JOB, instance=this host) for --forget,
 * within the report timeout. Returns 0, or -1 with ERR. */
int report_forget(const struct options *o, const char *job, char *err, size_t errlen);

#endif
