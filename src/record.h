/* The run record: everything one invocation decided and observed, handed to every sink. */
#ifndef CRONGUARD_RECORD_H
#define CRONGUARD_RECORD_H

#include <stddef.h>
#include <stdint.h>

enum run_state {
	RUN_SUCCESS,
	RUN_FAILURE,
	RUN_TIMEOUT,
	RUN_SIGNALED,
	RUN_EXEC_FAILED,
	RUN_SKIPPED_STANDBY,
	RUN_SKIPPED_LOCKED,
	RUN_SKIPPED_CLAIMED,
	RUN_ERROR,
};

struct label {
	const char *key;
	const char *value;
};

struct run_record {
	const char *job;
	const char *host;
	const struct label *labels;
	size_t nlabels;
	char run_id[37];          /* canonical UUID v4, as healthchecks wants for ?rid= */
	enum run_state state;
	int exit_code;            /* cronguard's own exit status for this run */
	int signal;               /* the signal that ended the command, or 0 */
	int64_t start_us;         /* CLOCK_REALTIME, microseconds since the epoch */
	int64_t end_us;
	int64_t duration_us;      /* CLOCK_MONOTONIC difference: immune to clock steps */
	long maxrss_kb;           /* the command's peak RSS (getrusage children), 0 if it never ran */
	const char *reason;       /* why it was skipped or failed, or NULL */
	const char *output;       /* tail of the command's output when captured, or NULL */
	size_t output_len;
	unsigned consecutive_failures; /* including this run, from the state file */
	int64_t last_success_us;  /* start of the last successful run (this one included), or 0 */
	uint64_t period_ms;       /* --period: how often the job is meant to run; 0: not given */
	int exclusive;            /* gated to run on one host (--vip but not --standby, --once-per,
				   * --cluster-lock): only such a job can have run twice */
	int64_t slot_us;          /* the minute cron started the run: the invocation, truncated */
	int64_t splay_us;         /* this run's splay delay */
	int64_t lateness_us;      /* start - slot - splay: how late the start was, waits included */
	int64_t first_seen_us;    /* from the state file: this job's first record on this host */
};

/* record_state_name returns the contract name of a run state ("success", "skipped_locked"...). */
const char *record_state_name(enum run_state state);

/* record_state_is_skip tells whether a state means the command was not run by choice. */
int record_state_is_skip(enum run_state state);

/* record_state_is_failure tells whether a state must alert (anything not success nor skip). */
int record_state_is_failure(enum run_state state);

/* record_format_kv renders the record as one syslog-style line of key=value pairs, values
 * quoted (with \" and \\ escaped, control bytes dropped) when they hold spaces or quotes.
 * Returns the length the full line needs, as snprintf does. Pure. */
size_t record_format_kv(const struct run_record *rec, char *buf, size_t len);

/* record_new_run_id fills RUN_ID with a fresh random UUID v4. */
void record_new_run_id(char run_id[37]);

#endif
