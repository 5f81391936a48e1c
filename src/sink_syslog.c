/* The syslog sink: one key=value line per run, facility cron. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "sink_syslog.h"

size_t sink_syslog_format(int level, pid_t pid, const struct run_record *rec, char *buf, size_t len)
{
	int n = snprintf(buf, len, "<%d>cronguard[%ld]: ", LOG_CRON | (level & LOG_PRIMASK), (long)pid);
	size_t room;

	if (n < 0 || (size_t)n >= len)
		return len ? strlen(buf) : 0;
	/* The line is rendered in place after the prefix: one buffer on the stack, not two. */
	room = len - (size_t)n < SINK_SYSLOG_LINE_MAX + 1 ? len - (size_t)n : SINK_SYSLOG_LINE_MAX + 1;
	record_format_kv(rec, buf + n, room);
	return (size_t)n + strlen(buf + n);
}

/* One datagram to /dev/log, addressed in the send itself (no connect), or one NUL-terminated
 * message on a stream socket where the receiver listens on one (as syslog(3) does).
 * syslog(3) itself would read /etc/localtime for its timestamp on every run; the receivers
 * (rsyslog's imuxsock, journald) stamp what they receive on their own, so the message goes
 * without one. */
static void send_to(const char *msg, size_t len)
{
	static const struct sockaddr_un addr = { .sun_family = AF_UNIX, .sun_path = _PATH_LOG };
	const struct sockaddr *to = (const struct sockaddr *)&addr;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = sendto(fd, msg, len, MSG_NOSIGNAL, to, sizeof addr)) < 0 && errno == EINTR)
		;
	close(fd);
	if (n >= 0 || errno != EPROTOTYPE)
		return;
	/* A stream's messages are framed by their terminating NUL. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, to, sizeof addr) == 0)
		while (send(fd, msg, len + 1, MSG_NOSIGNAL) < 0 && errno == EINTR)
			;
	close(fd);
}

void sink_syslog_send(const struct run_record *rec)
{
	char msg[64 + SINK_SYSLOG_LINE_MAX + 1];

	send_to(msg, sink_syslog_format(record_state_is_failure(rec->state) ? LOG_ERR : LOG_NOTICE,
					getpid(), rec, msg, sizeof msg));
}
