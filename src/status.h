/* --status: a table of every job's last run, from the state files' summaries. */
#ifndef CRONGUARD_STATUS_H
#define CRONGUARD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "state.h"

/* status_row renders one job's summary as a table row into BUF (pure; NOW_S is the current
 * time, for ages). Returns 1 when the job is failing (its last completed run failed, or its
 * file is unreadable), 0 if not. */
int status_row(const struct state_summary *s, int64_t now_s, char *buf, size_t len);

/* status_print writes the header and one row per job in DIR, sorted by name. Returns the
 * number of failing jobs, or -1 with a reason in ERR when DIR cannot be read. */
int status_print(FILE *out, const char *dir, char *err, size_t errlen);

#endif
