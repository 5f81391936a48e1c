/* The state file: STATE_DIR/NAME.json, each job's last run and last success. The one module
 * that knows its schema: it writes it, and it reads it back as summaries for everyone else. */
#ifndef CRONGUARD_STATE_H
#define CRONGUARD_STATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <jansson.h>

#include "record.h"

/* How long state_save waits for the state directory's lock before it gives up (the run's
 * exit status does not change; the state of this run is then not saved). */
#define STATE_LOCK_WAIT_MS 5000

/* The largest state file any reader accepts. */
#define STATE_MAX_BYTES (1 << 20)

/* What the state file tells about the job's history, including this run: handed back by
 * state_save for the sinks' record. Counts saturate, never wrap. */
struct state_history {
	unsigned consecutive_failures;
	int64_t last_success_us;  /* start of the last successful run (this one included), or 0 */
	int64_t first_seen_us;    /* start of the job's first record here (this one, the first time) */
};

/* A job's state file as every reader sees it. Times are realtime microseconds since the
 * epoch, durations microseconds; a value the file does not hold (or holds out of range) is 0,
 * and -1 for the durations. */
struct state_summary {
	char job[65];             /* from the file's name, which is what -n NAME selects */
	int readable;             /* 0: not a readable state file; the fields below are empty */
	char state[24];           /* the last run's state ("success", "skipped_locked", ...), or "" */
	int64_t start_us;
	int64_t duration_us;
	int has_exit;             /* the last run recorded an exit code */
	int64_t exit_code;
	int64_t signal;
	char reason[256];         /* the last run's reason, cut to fit, or "" */
	int64_t last_success_us;  /* 0: never succeeded */
	int64_t last_success_duration_us;
	int64_t consecutive_failures;
	int64_t runs;
	char run_id[37];          /* the last run's id, or "" */
	int64_t period_us;        /* the job's --period as last recorded, or 0 */
};

/* state_update is the pure heart of state_save: given the job's previous document OLD (or
 * NULL) and this run, it returns the new document (a new reference) and, when HIST is not
 * NULL, the history it implies. A skip counts neither as success nor failure. */
json_t *state_update(const json_t *old, const struct run_record *rec, struct state_history *hist);

/* The deepest nesting of arrays and objects the run path's reader accepts (jansson's is
 * 2048): no state file is deeper than 3, and the bound keeps a hostile file's cost linear. */
#define STATE_MAX_DEPTH 64

/* What a run needs from the previous state file, as state_update reads it from the parsed
 * document: the counts (non-negative integers, else 0), and the last_success object, whose
 * text (pointing into the text read) is carried over. */
struct state_prior {
	int64_t consecutive_failures;
	int64_t runs;
	const char *last_success;  /* "{...}" in the text, or NULL: none, or not an object */
	size_t last_success_len;
	int64_t last_success_us;   /* its start, as state_summary reads times */
	int64_t first_seen_us;     /* "first_seen", or 0 */
};

/* state_read_prior is the run path's strict reader, without jansson: it accepts exactly
 * what json_loadb(JSON_REJECT_DUPLICATES) accepts, nested at most STATE_MAX_DEPTH deep. A
 * document that is not an object leaves *P empty. Pure. Returns 0, or -1 with errno EINVAL
 * when TEXT[0..LEN) is not such a JSON document (*P empty). */
int state_read_prior(const char *text, size_t len, struct state_prior *p);

/* state_render is state_update without jansson: the text of the new state file, byte for
 * byte what json_dumps(state_update(OLD's document, REC), JSON_INDENT(2) | JSON_SORT_KEYS |
 * JSON_REAL_PRECISION(16)) gives, and a newline. OLD NULL: no previous state. HIST as for
 * state_update. Pure. Returns the text (malloc'ed, NUL-terminated, its length in *LEN), or
 * NULL with errno ENOMEM. */
char *state_render(const struct state_prior *old, const struct run_record *rec,
		   struct state_history *hist, size_t *len);

/* The previous state, read while the command runs (state_prefetch), so that what is left
 * for after it is the write: the state directory as it was opened and checked, and the file
 * as it was read, with its identity and change time, which state_save checks again under the
 * state directory's lock before it trusts the text. Empty: dfd and lfd -1, text NULL. */
struct state_early {
	int dfd;                  /* DIR, checked, or -1: state_save opens it itself */
	int lfd;                  /* DIR/.lock, opened (not locked), or -1 */
	char *text;               /* JOB.json as read and parsed, or NULL: state_save reads it */
	struct state_prior prior; /* pointing into TEXT */
	struct stat st;           /* JOB.json when it was read */
};

/* An empty struct state_early, as state_prefetch leaves one that found nothing. */
#define STATE_EARLY_NONE { .dfd = -1, .lfd = -1 }

/* state_prefetch fills *E from DIR/JOB.json where it can, without the state directory's lock
 * and without a word: whatever it cannot do (no DIR yet, a DIR to refuse, no file, a file that
 * does not parse) is left to state_save, which does it again and says why. */
void state_prefetch(struct state_early *e, const char *dir, const char *job);

/* Closes and frees what state_save did not take of *E, and empties it. */
void state_early_free(struct state_early *e);

/* state_save creates DIR if needed, then reads, updates and atomically replaces DIR/JOB.json
 * while holding a lock on DIR, so concurrent runs never lose each other's counts. The lock is
 * waited for at most STATE_LOCK_WAIT_MS, and a signal from STOP (kept blocked by the caller;
 * NULL: none) ends the wait with *SIGNO set. The replace goes through a spare file,
 * DIR/.JOB.json.prev, which keeps the state before the last run: an unreadable JOB.json (torn
 * by a crash) is continued from it, or started afresh, and said so in ERR with a 1 return.
 * Every file is opened as fileio's reader does, and a spare that is not a plain file of its
 * own is refused. *HIST always gets the history (from this run alone when the old state could
 * not be had). EARLY (or NULL) is what state_prefetch read of DIR and JOB.json: its
 * directory is taken over, its text used when JOB.json is still the file it read. Returns 0,
 * 1 (saved, with a warning in ERR) or -1 with ERR (not saved). */
int state_save(const char *dir, struct state_early *early, const struct run_record *rec,
	       const sigset_t *stop, struct state_history *hist, int *signo, char *err, size_t errlen);

/* state_summarise reads TEXT[0..LEN), a state file's content, into *S (JOB left as it is).
 * Pure. Returns 0, or -1 when TEXT is not a cronguard state file (S->readable 0). */
int state_summarise(const char *text, size_t len, struct state_summary *s);

/* state_scan_fn gets each job's summary; a non-zero return stops the scan. */
typedef int (*state_scan_fn)(void *ctx, const struct state_summary *s);

/* state_scan calls FN for every job's state file in DIR (every NAME.json whose NAME is a job
 * name; dot files are spares and temporaries), in byte order of the names, with readable 0
 * for a file that is not a regular file, a symlink, larger than STATE_MAX_BYTES, or not a
 * state file. Returns 0, FN's non-zero value, or -1 with errno (ENOENT: no such DIR) and a
 * reason in ERR. */
int state_scan(const char *dir, state_scan_fn fn, void *ctx, char *err, size_t errlen);

#endif
