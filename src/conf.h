/* The config file format: "key = value" lines, "#" comments, "[NAME]" job sections. */
#ifndef CRONGUARD_CONF_H
#define CRONGUARD_CONF_H

#include <stddef.h>

/* conf_entry_fn is called for each entry; APPLIES is 1 for the global entries and the job's
 * section, 0 for other jobs' sections (so their keys can still be checked). A non-zero return
 * stops the scan and is returned by conf_scan. LINE is 1-based, for "FILE:LINE" messages. */
typedef int (*conf_entry_fn)(void *ctx, unsigned line, const char *key, const char *value,
			     int applies);

/* conf_scan reads TEXT[0..LEN) and calls FN for the global entries, then for those of the
 * section named JOB (job sections may appear anywhere; the global ones always apply first,
 * so a job section wins whatever the order in the file), and for other sections' entries
 * with APPLIES 0. A value ends at " #" (an inline comment) unless it is quoted. Pure.
 * Returns 0; the callback's value when it stops the scan; or -1 on a syntax error, with
 * *BAD_LINE set and a reason in ERR. */
int conf_scan(const char *text, size_t len, const char *job, conf_entry_fn fn, void *ctx,
	      unsigned *bad_line, char *err, size_t errlen);

#endif
