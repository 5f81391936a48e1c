/* The keeper: a tiny process that outlives cronguard only to kill what is left of the job. */
#ifndef CRONGUARD_KEEPER_H
#define CRONGUARD_KEEPER_H

#include <sys/types.h>

struct keeper {
	pid_t pid;       /* the keeper, or 0 */
	int fd;          /* our end of its pipe: close-on-exec, written only by us and the child */
	int hold_fd;     /* what it keeps open for the job (the lock), or -1 */
	pid_t pgid;      /* the job's process group once known, or 0 */
};

/* keeper_start forks the keeper. It keeps HOLD_FD open (a flock stays held while it lives),
 * closes every other descriptor, blocks every signal it can, and reads K->fd's pipe: told of
 * the job's group (PGID, or later through keeper_tell, or by the command's child itself
 * writing its pid to K->fd before exec), then "done", it exits at once; but when the pipe
 * ends without "done" (cronguard died, by any signal), it SIGKILLs the group until no live
 * process is left in it, and only then exits and lets HOLD_FD go. Returns 0, or -1 with
 * errno (fork, pipe). */
int keeper_start(struct keeper *k, int hold_fd, pid_t pgid);

/* keeper_tell passes the job's process group to the keeper. Returns 0 or -1 with errno. */
int keeper_tell(struct keeper *k, pid_t pgid);

/* keeper_reaped tells whether PID, just reaped by the caller, was the keeper; if so it starts
 * a new one for the same group and hold descriptor (the old one was killed, e.g. by the OOM
 * killer) and returns 1; returns 0 when PID was not the keeper. */
int keeper_reaped(struct keeper *k, pid_t pid);

/* keeper_stop tells the keeper the job is over (its group is empty), without waiting for it:
 * it closes its copy of the hold descriptor and exits on its own. Its copy shares the
 * caller's open file description, so an explicit unlock (lock_release) frees the lock at
 * once. Safe on a keeper that was never started (pid 0). */
void keeper_stop(struct keeper *k);

/* keeper_group_alive tells whether process group PGID still has a process that is not a
 * zombie: kill(2) first, then, only when it finds someone, /proc (a zombie nobody reaps must
 * not hold the job open forever). No allocation: safe in a child after fork. */
int keeper_group_alive(pid_t pgid);

#endif
