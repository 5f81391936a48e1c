/* The local lock: one flock per job, so runs never overlap on this host. */
#ifndef CRONGUARD_LOCK_H
#define CRONGUARD_LOCK_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gate.h"

enum lock_outcome { LOCK_ACQUIRED, LOCK_BUSY, LOCK_INTERRUPTED };

/* lock_default_path writes the contract's default lock path for JOB into BUF, creating the
 * lock directory (0700) when it is missing: /run/cronguard for root (never under /run/lock,
 * where anyone can make it first); for other users HOME/.local/state/cronguard/lock, HOME
 * from the passwd entry (never the environment, which cron sets differently from a login
 * shell) when it is ours and every directory above it is safe, else /tmp/cronguard-UID.
 * Every directory on the way is checked (safedir_walk); one that another user owns or can
 * write is an error whose message says what to remove. With CREATE 0 (--dry-run) nothing is
 * created, and only the choice of the home is checked. Returns 0, or -1 with errno and a reason in ERR. */
int lock_default_path(const char *job, int create, char *buf, size_t len, char *err, size_t errlen);

/* lock_acquire opens PATH without following a symlink (O_NOFOLLOW, O_CLOEXEC, so the command
 * never inherits it), creating it 0600, and takes an exclusive flock, retrying for up to
 * WAIT_MS. PATH must be absolute; its directory is reached from "/" through directories
 * owned by us or root and not writable by others unless sticky, following only symlinks
 * of root's or ours in directories no one else can write (safedir_resolve); the file must
 * be a regular file of ours with one link and no permission for group or others (one made
 * 0644 by an older version is refused, EPERM: a descriptor another user opened then would
 * still hold the lock after a chmod). While waiting, a signal from STOP ends the wait:
 * LOCK_INTERRUPTED with *SIGNO set. On LOCK_ACQUIRED, *FD holds the lock and the file
 * records the holder (pid, start time, uid, host); on LOCK_BUSY, HOLDER describes the
 * current holder as read from the file. Returns the outcome, or -1 with errno and a reason
 * in ERR. */
int lock_acquire(const char *path, uint64_t wait_ms, const sigset_t *stop, const char *host,
		 int *fd, int *signo, char *holder, size_t holderlen, char *err, size_t errlen);

/* lock_open_at opens NAME in the directory DFD as a lock file (PATH names it in messages):
 * created 0600, O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK, then it must be a regular file of ours
 * with one link that no other user can open, since whoever can open it can flock it.
 * Returns the descriptor, or -1 with errno (ELOOP, EINVAL, EPERM, open's) and ERR. */
int lock_open_at(int dfd, const char *name, const char *path, char *err, size_t errlen);

/* lock_release drops the lock and closes FD (the file stays: removing it would race). */
void lock_release(int fd);

/* lock_gate_enter is the local lock as a gate: with PATH NULL (no --lock) GATE_GO and *FD
 * -1; else lock_acquire's outcome: GATE_GO with *FD holding the lock, or GATE_END with
 * skipped_locked (the reason names the holder), or error (a signal from STOP ended the
 * wait: R->signal; or the lock could not be taken). */
void lock_gate_enter(const char *path, uint64_t wait_ms, const sigset_t *stop,
		     const char *host, int *fd, struct gate_result *r);

/* lock_gate_describe prints, for --dry-run, the lock= and lock_wait_ms= lines. */
void lock_gate_describe(const char *path, uint64_t wait_ms, FILE *out);

#endif
