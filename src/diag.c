/* Diagnostics: the one place cronguard writes to stderr, always prefixed "cronguard:". */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "diag.h"

static int verbose;
static int use_syslog = 1;

enum { TO_STDERR = 1, TO_SYSLOG = 2 };

/* Whatever a message quotes, it stays one line: cron mails it, syslog splits on it. */
static void one_line(char *line)
{
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

static void diag_vline(int to, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void diag_vline(int to, const char *fmt, va_list ap)
{
	/* One buffered write per line, so concurrent invocations never interleave halves. */
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);

	if (n < 0)
		return;
	one_line(line);
	if (to & TO_STDERR)
		fprintf(stderr, "cronguard: %s\n", line);
	if ((to & TO_SYSLOG) && use_syslog) {
		openlog("cronguard", LOG_PID, LOG_CRON);
		syslog(LOG_WARNING, "%s", line);
	}
}

void diag_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(TO_STDERR, fmt, ap);
	va_end(ap);
}

void diag_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	diag_vline(TO_STDERR, fmt, ap);
	va_end(ap);
}

void diag_set_verbose(int on)
{
	verbose = on;
}

void diag_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(TO_SYSLOG | (verbose ? TO_STDERR : 0), fmt, ap);
	va_end(ap);
}

void diag_alert(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(TO_STDERR | TO_SYSLOG, fmt, ap);
	va_end(ap);
}

void diag_set_syslog(int on)
{
	use_syslog = on;
}

void diag_syslog_error(const char *job, const char *msg)
{
	char line[1200];

	if (job)
		snprintf(line, sizeof line, "job %s: configuration error: %s", job, msg);
	else
		snprintf(line, sizeof line, "configuration error: %s", msg);
	one_line(line);
	openlog("cronguard", LOG_PID, LOG_CRON);
	syslog(LOG_ERR, "%s", line);
	closelog();
}

int diag_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}
