/* --status: a table of every job's last run, read from the state dir. */
#ifndef CRONGUARD_STATUS_H
#define CRONGUARD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* status_row renders one state document as a table row into BUF (pure; NOW_S is the current
 * time, for ages). Returns 1 when the job is failing (its last completed run failed), 0 if
 * not, -1 if the document is not a cronguard state file. */
int status_row(const json_t *doc, const char *fallback_name, int64_t now_s, char *buf, size_t len);

/* status_print writes the header and one row per DIR/\*.json, sorted by name. Returns the
 * number of failing jobs, or -1 with a reason in ERR when DIR cannot be read. */
int status_print(FILE *out, const char *dir, char *err, size_t errlen);

#endif
