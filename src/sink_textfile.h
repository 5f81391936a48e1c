/* The textfile sink: DIR/cronguard_NAME.prom for node_exporter's textfile collector, replaced atomically. */
#ifndef CRONGUARD_SINK_TEXTFILE_H
#define CRONGUARD_SINK_TEXTFILE_H

#include <stddef.h>
#include <stdio.h>

#include "record.h"

/* textfile_merge writes to OUT the metric families of FRESH, preceded by those families of
 * OLD (the file being replaced) that FRESH does not carry, as a Pushgateway POST would
 * keep them: a skip keeps the last run's metrics, a run keeps the last skip's. Pure. */
int textfile_merge(FILE *out, const char *old, size_t oldlen, const char *fresh, size_t freshlen);

/* textfile_write renders REC into DIR/cronguard_JOB.prom through a temporary file in DIR
 * and a rename, mode 0644. Returns 0, or -1 with ERR. */
int textfile_write(const char *dir, const struct run_record *rec, char *err, size_t errlen);

#endif
