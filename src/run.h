/* Running the command: fork, exec without a shell, forward signals, enforce the timeout. */
#ifndef CRONGUARD_RUN_H
#define CRONGUARD_RUN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "tailbuf.h"

enum run_output {
	RUN_OUTPUT_PASS,   /* the command writes to our stdout/stderr directly: no copy at all */
	RUN_OUTPUT_HOLD,   /* held in temporary files, replayed only on failure (--quiet) */
	RUN_OUTPUT_TEE,    /* copied through as it comes, and its head and tail kept for reports */
};

/* A watch is asked while the command runs whether it may go on: when FD (if >= 0) is
 * readable, and every INTERVAL_MS (if > 0), and once more just before the exec, after
 * everything slow. CHECK returns 0 to go on, or 1 to stop the command (TERM to its group,
 * KILL after the grace; before the exec: not start it) with REASON filled in. When it stopped
 * the command, KILL_WITHIN (if not NULL) says how long the KILL may wait at most, in ms,
 * whatever the grace (even none): a lease must not expire on a live command. */
struct run_watch {
	int fd;
	uint64_t interval_ms;
	int (*check)(void *ctx, char *reason, size_t len);
	uint64_t (*kill_within)(void *ctx);
	void *ctx;
};

struct run_spec {
	char **argv;
	char **envp;                /* the command's environment (see run_env_new); NULL: ours */
	uint64_t timeout_ms;        /* 0: none */
	uint64_t kill_after_ms;     /* 0: never KILL */
	enum run_output output;
	const sigset_t *forward;    /* signals passed on to the command's process group */
	const sigset_t *blocked;    /* every signal the caller blocked; all are handled here */
	struct run_watch *watches;
	size_t nwatches;
	void (*started)(void *ctx); /* if not NULL, called once the command has been exec'd */
	void *started_ctx;
	int keeper;                 /* non-zero: a keeper kills the group if we die (keeper.h) */
	int keeper_hold_fd;         /* with KEEPER: the lock it holds open until then, or -1 */
};

struct run_result {
	int status;                 /* wait(2) status, valid when exec_errno is 0 */
	int exec_errno;             /* non-zero: the command never started */
	int timed_out;
	int stopped;                /* a watch stopped it; REASON says why */
	char reason[256];
	int last_forwarded;         /* the last signal passed on, or 0 */
	int unstarted_signal;       /* a signal to forward was pending before the exec: the
				     * command was not started at all (exec_errno 0, no status) */
	int unstarted_stop;         /* a watch said stop just before the exec (REASON says why):
				     * the command was not started at all */
	int leftovers;              /* processes were left in the group when the command ended */
	int was_stopped;            /* the command was seen stopped at least once */
	long maxrss_kb;             /* the command's own peak RSS, or 0 when not known */
	uint64_t dropped[2];        /* TEE: bytes of stdout, stderr not written (reader stalled) */
	struct rusage ru;
	struct tailbuf *output;     /* HOLD and TEE: the output's head and tail */
	int held[2];                /* HOLD: files with stdout and stderr, else -1 */
};

/* run_command runs SPEC->argv to its end and fills RES. A signal of SPEC->forward already
 * pending means the command is not started (RES->unstarted_signal). The child gets its own
 * process group (and the terminal, when ours is the terminal's foreground group), a
 * parent-death KILL, descriptors 0-2 only, an empty signal mask and default dispositions.
 * Returns only when the whole group is gone: processes the command leaves in it get TERM
 * and CONT, then KILL after SPEC->kill_after_ms, as after a timeout. We become a child
 * subreaper, and every child of ours that exits meanwhile is reaped here. Returns 0 (even
 * when the command failed or could not be executed: see RES), or -1 with errno when
 * cronguard itself could not run it (fork, pipe). */
int run_command(const struct run_spec *spec, struct run_result *res);

/* run_env_new returns a copy of ENV for the command: without any CRONGUARD_* variable (a
 * nested cronguard must not inherit our settings) nor an inherited CG_RUN_ID, CG_JOB or
 * CG_FENCING_TOKEN, plus CG_RUN_ID=RUN_ID, CG_JOB=JOB and, when FENCING is not NULL,
 * CG_FENCING_TOKEN=FENCING. One allocation: free() it. Returns NULL with errno on ENOMEM.
 * Pure. */
char **run_env_new(char *const *env, const char *run_id, const char *job, const char *fencing);

/* run_replay_held copies held output to our stdout and stderr. Returns 0 or -1. */
int run_replay_held(struct run_result *res);

/* run_result_free releases the output buffers and held files. */
void run_result_free(struct run_result *res);

#endif
