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
 * readable, and every INTERVAL_MS (if > 0). CHECK returns 0 to go on, or 1 to stop the
 * command (TERM to its group, KILL after the grace) with REASON filled in. */
struct run_watch {
	int fd;
	uint64_t interval_ms;
	int (*check)(void *ctx, char *reason, size_t len);
	void *ctx;
};

struct run_spec {
	char **argv;
	uint64_t timeout_ms;        /* 0: none */
	uint64_t kill_after_ms;     /* 0: never KILL */
	enum run_output output;
	const sigset_t *forward;    /* signals passed on to the command's process group */
	const sigset_t *blocked;    /* every signal the caller blocked; all are handled here */
	struct run_watch *watches;
	size_t nwatches;
};

struct run_result {
	int status;                 /* wait(2) status, valid when exec_errno is 0 */
	int exec_errno;             /* non-zero: the command never started */
	int timed_out;
	int stopped;                /* a watch stopped it; REASON says why */
	char reason[256];
	int last_forwarded;         /* the last signal passed on, or 0 */
	struct rusage ru;
	struct tailbuf *output;     /* HOLD and TEE: the output's head and tail */
	int held[2];                /* HOLD: files with stdout and stderr, else -1 */
};

/* run_command runs SPEC->argv to its end and fills RES. The child gets its own process
 * group, a parent-death KILL (so it never outlives our lock), an empty signal mask and
 * default dispositions. Returns 0 (even when the command failed or could not be executed:
 * see RES), or -1 with errno when cronguard itself could not run it (fork, pipe). */
int run_command(const struct run_spec *spec, struct run_result *res);

/* run_replay_held copies held output to our stdout and stderr. Returns 0 or -1. */
int run_replay_held(struct run_result *res);

/* run_result_free releases the output buffers and held files. */
void run_result_free(struct run_result *res);

#endif
