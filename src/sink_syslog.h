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

/* A socket to the receiver, opened ahead of the line it is to carry (while the command
 * runs), so that what is left for the record is the send. fd -1: none open. */
struct sink_syslog {
	int fd;
	int stream;               /* the receiver listens on a stream socket (NUL-framed) */
};

/* sink_syslog_open connects *S to the socket at PATH (_PATH_LOG, /dev/log, but for tests): a
 * datagram socket, or a stream one where the receiver listens on one, as syslog(3) does.
 * Nothing listening leaves S->fd -1, which is no error. */
void sink_syslog_open(struct sink_syslog *s, const char *path);

/* sink_syslog_send logs REC to PATH: notice for success and skips, err for failures, through
 * *S when it is open (then closed; S may be NULL), else through a socket of its own, and so
 * too when the one opened ahead no longer reaches a receiver (restarted meanwhile). Nothing
 * listening is no error: the line is dropped, as syslog(3) drops it. */
void sink_syslog_send(struct sink_syslog *s, const char *path, const struct run_record *rec);

#endif
