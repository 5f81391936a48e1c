/* The state file: STATE_DIR/NAME.json, each job's last run and last success, written atomically. */
#ifndef CRONGUARD_STATE_H
#define CRONGUARD_STATE_H

#include <stddef.h>

#include <jansson.h>

#include "record.h"

/* state_update is the pure heart of state_save: given the job's previous document OLD (or
 * NULL) and this run, it returns the new document (a new reference), and sets
 * REC->consecutive_failures and REC->last_success_us. A skip counts neither as success nor failure. */
json_t *state_update(const json_t *old, struct run_record *rec);

/* state_save creates DIR if needed, then reads, updates and atomically replaces
 * DIR/JOB.json while holding a lock on DIR, so concurrent runs never lose each other's
 * counts. The replace goes through a spare file, DIR/.JOB.json.prev, which keeps the state
 * before the last run: an unreadable JOB.json (torn by a crash) is continued from it, or
 * started afresh, and said so in ERR with a 1 return. Returns 0, 1 (saved, with a warning
 * in ERR) or -1 with ERR. */
int state_save(const char *dir, struct run_record *rec, char *err, size_t errlen);

/* state_mkdirs creates DIR and its missing parents with MODE. Returns 0 or -1 with errno. */
int state_mkdirs(const char *dir, unsigned mode);

#endif
