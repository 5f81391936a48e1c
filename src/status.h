/* --status: a check of jobs' last runs (Nagios/Icinga verdicts), as a table or JSON, from the
 * state files' summaries; --forget; and the output tail of a failed run it shows. */
#ifndef CRONGUARD_STATUS_H
#define CRONGUARD_STATUS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "state.h"

/* Worst first is the larger: a check's verdict is the largest of its jobs'. */
enum status_verdict { STATUS_OK, STATUS_CRITICAL, STATUS_UNKNOWN };

/* What one --status asks. */
struct status_query {
	const char *dir;          /* the state directory */
	char *const *jobs;        /* the jobs selected (-n), or none: every job in DIR */
	size_t njobs;
	uint64_t max_age_ms;      /* 0: twice each job's recorded period, or no age check */
	int json;
	int64_t now_us;           /* realtime, for ages */
};

/* status_judge says what S means for a check at NOW_US (pure): unknown when its file is
 * unreadable, critical when its last completed run failed or its last run (a skip too)
 * started more than MAX_AGE_MS ago (0: twice S's period; no period: no age limit), else ok.
 * WHY gets one line saying which. */
enum status_verdict status_judge(const struct state_summary *s, int64_t now_us, uint64_t max_age_ms,
				 char *why, size_t len);

/* status_check prints Q's jobs (table or JSON) to OUT: a row each with its verdict, last
 * reason and spool depth, and a failed run's last lines of output. Returns the worst verdict;
 * STATUS_UNKNOWN with a reason in ERR when the state directory cannot be read, and STATUS_UNKNOWN
 * (printed as such) for a selected job that has no state file. */
enum status_verdict status_check(FILE *out, const struct status_query *q, char *err, size_t errlen);

/* status_spool_depth counts STATE_DIR/spool's entries that belong to JOB (0 when there is no
 * spool). Names only: no entry is opened. */
unsigned status_spool_depth(const char *state_dir, const char *job);

/* The output tail of a job's last failed run: STATE_DIR/NAME.output (0600: output may hold
 * what the job's owner only should read), its first line naming the run. status_save_output
 * replaces it atomically. Returns 0, or -1 with ERR. */
int status_save_output(const char *dir, const char *job, const char *run_id, const char *text,
		       size_t len, char *err, size_t errlen);

/* status_forget removes JOB's state file, its spare and its output tail from DIR and, when
 * TEXTFILE_DIR is not NULL, its textfile. Returns the number of files removed (0: the job was
 * not known), or -1 with ERR. */
int status_forget(const char *dir, const char *job, const char *textfile_dir, char *err,
		  size_t errlen);

#endif
