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

/* PATH as a socket address; -1 with ENAMETOOLONG when it does not fit. */
static int address(struct sockaddr_un *a, const char *path)
{
	*a = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof a->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(a->sun_path, path);
	return 0;
}

/* A stream socket connected to A, or -1. */
static int stream_to(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)a, sizeof *a) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* syslog(3) itself would read /etc/localtime for its timestamp on every run; the receivers
 * (rsyslog's imuxsock, journald) stamp what they receive on their own, so the message goes
 * without one. */
void sink_syslog_open(struct sink_syslog *s, const char *path)
{
	struct sockaddr_un a;

	s->fd = -1;
	s->stream = 0;
	if (address(&a, path) < 0 || (s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(s->fd, (const struct sockaddr *)&a, sizeof a) == 0)
		return;
	close(s->fd);
	s->fd = -1;
	if (errno == EPROTOTYPE)
		s->stream = (s->fd = stream_to(&a)) >= 0;
}

/* MSG through S, framed by its terminating NUL on a stream; S is closed after. Returns 0,
 * or -1 when nothing took it. */
static int send_once(struct sink_syslog *s, const char *msg, size_t len)
{
	ssize_t n;

	while ((n = send(s->fd, msg, len + (s->stream != 0), MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	close(s->fd);
	s->fd = -1;
	return n < 0 ? -1 : 0;
}

void sink_syslog_send(struct sink_syslog *s, const char *path, const struct run_record *rec)
{
	char msg[64 + SINK_SYSLOG_LINE_MAX + 1];
	size_t len = sink_syslog_format(record_state_is_failure(rec->state) ? LOG_ERR : LOG_NOTICE,
					getpid(), rec, msg, sizeof msg);
	struct sink_syslog own;

	if (s && s->fd >= 0 && send_once(s, msg, len) == 0)
		return;
	/* Not opened ahead, or the receiver restarted since: a socket of our own. */
	sink_syslog_open(&own, path);
	if (own.fd >= 0)
		(void)send_once(&own, msg, len);
}
