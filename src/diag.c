/* Diagnostics: the one place cronguard writes to stderr, always prefixed "cronguard:". */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "diag.h"

static int verbose;

static void diag_vline(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void diag_vline(const char *fmt, va_list ap)
{
	/* One buffered write per line, so concurrent invocations never interleave halves. */
	char line[1024];
	int n = vsnprintf(line, sizeof line, fmt, ap);

	if (n < 0)
		return;
	/* Whatever a message quotes, it stays one line: cron mails it, syslog splits on it. */
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "cronguard: %s\n", line);
}

void diag_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vline(fmt, ap);
	va_end(ap);
}

void diag_verbose(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	diag_vline(fmt, ap);
	va_end(ap);
}

void diag_set_verbose(int on)
{
	verbose = on;
}
