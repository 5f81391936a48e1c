/* The keeper: a tiny process that outlives cronguard only to kill what is left of the job.
 *
 * PR_SET_PDEATHSIG reaches the command's first process only; a shell's children, a pipeline,
 * a backup's helpers would run on, reparented to init, without the lock, beside the next run.
 * So while the command runs, a forked keeper holds a copy of the lock descriptor and one end
 * of a socket pair whose other end only cronguard has. If cronguard dies, by any signal, the
 * socket reaches EOF; the keeper then SIGKILLs the job's process group until no live process
 * is left in it, and only then exits, which drops the last copy of the lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "keeper.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Tells whether /proc/NAME/stat ("pid (comm) S ppid pgrp ...") is a live member of PGID. */
static int member_live(int procfd, const char *name, pid_t pgid)
{
	char path[40], buf[512], *p, *end;
	size_t len = strlen(name);
	long pg;

	if (len > sizeof path - 6)
		return 0;
	memcpy(path, name, len);
	memcpy(path + len, "/stat", 6);
	if (fileio_read_small(procfd, path, buf, sizeof buf) < 0)
		return 0;     /* gone meanwhile */
	/* The command name may hold spaces and parentheses: the fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return 0;
	if (p[2] == 'Z' || p[2] == 'X')
		return 0;
	p = strchr(p + 4, ' ');     /* skip ppid */
	if (!p)
		return 0;
	pg = strtol(p + 1, &end, 10);
	return end != p + 1 && pg == (long)pgid;
}

int keeper_group_alive(pid_t pgid)
{
	char buf[4096];
	int procfd, live = 0;
	long n = 0;

	if (pgid <= 0)
		return 0;
	if (kill(-pgid, 0) < 0 && errno == ESRCH)
		return 0;
	procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return 1;     /* kill(2) found someone; without /proc, zombies cannot be told apart */
	while (!live && (n = syscall(SYS_getdents64, procfd, buf, sizeof buf)) > 0) {
		for (long off = 0; off < n && !live;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(void *)(buf + off);

			off += d->d_reclen;
			if (d->d_name[0] >= '1' && d->d_name[0] <= '9')
				live = member_live(procfd, d->d_name, pgid);
		}
	}
	close(procfd);
	return live || n < 0;
}

/* Closes descriptors LO..HI; where close_range(2) is missing (before Linux 5.9), one by one. */
static void close_span(unsigned lo, unsigned hi)
{
	struct rlimit rl;

	if (lo > hi || close_range(lo, hi, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur - 1 < hi)
		hi = (unsigned)rl.rlim_cur - 1;
	for (unsigned fd = lo; fd <= hi && fd >= lo; fd++)
		close((int)fd);
}

static void __attribute__((noreturn)) keeper_main(int sock, int hold_fd, pid_t pgid)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	unsigned a = (unsigned)sock, b = hold_fd >= 0 ? (unsigned)hold_fd : (unsigned)sock;
	sigset_t all;
	int32_t v;

	/* Nothing but SIGKILL may end the keeper early: not the terminal's ^C, not a TERM sent to
	 * cronguard's process group, which the keeper shares. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (a > b) {
		unsigned t = a;
		a = b;
		b = t;
	}
	/* Keep only the socket and the lock: cron waits for EOF on our stdout, and the command's
	 * etcd connection and pipes are none of the keeper's business. */
	close_span(0, a - 1);
	close_span(a + 1, b - 1);
	close_span(b + 1, ~0U);
	for (;;) {
		ssize_t n = recv(sock, &v, sizeof v, 0);

		if (n == (ssize_t)sizeof v) {
			if (v == 0) {
				/* The job is over and its group empty: let the lock go now and say
				 * so, so that cronguard need not wait for our exit. */
				if (hold_fd >= 0)
					close(hold_fd);
				(void)send(sock, &v, sizeof v, MSG_NOSIGNAL);
				_exit(0);
			}
			pgid = v;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;                /* EOF: cronguard is gone without saying "done" */
	}
	while (pgid > 0 && keeper_group_alive(pgid)) {
		(void)kill(-pgid, SIGKILL);
		nanosleep(&pause, NULL);
	}
	_exit(0);
}

int keeper_start(struct keeper *k, int hold_fd, pid_t pgid)
{
	int sv[2], e;
	pid_t pid;

	k->pid = 0;
	k->fd = -1;
	k->hold_fd = hold_fd;
	k->pgid = pgid;
	/* A socket, not a pipe: a send to a dead keeper is EPIPE without SIGPIPE (MSG_NOSIGNAL),
	 * and SEQPACKET keeps each group id whole. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	/* _Fork, not fork: no atfork handlers (the keeper touches neither malloc nor stdio),
	 * which also makes it safe while the start report's thread runs (keeper_reaped). */
	pid = _Fork();
	if (pid < 0) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		errno = e;
		return -1;
	}
	if (pid == 0)
		keeper_main(sv[0], hold_fd, pgid);
	close(sv[0]);
	k->pid = pid;
	k->fd = sv[1];
	return 0;
}

int keeper_tell(struct keeper *k, pid_t pgid)
{
	int32_t v = (int32_t)pgid;

	k->pgid = pgid;
	if (k->pid == 0)
		return 0;
	return send(k->fd, &v, sizeof v, MSG_NOSIGNAL) == (ssize_t)sizeof v ? 0 : -1;
}

int keeper_reaped(struct keeper *k, pid_t pid)
{
	if (k->pid == 0 || pid != k->pid)
		return 0;
	close(k->fd);
	/* Killed under us (the OOM killer picks from every process): the guarantee must not lapse
	 * for the rest of the run. If the fork fails, the command's parent-death signal is left. */
	(void)keeper_start(k, k->hold_fd, k->pgid);
	return 1;
}

void keeper_stop(struct keeper *k)
{
	int32_t done = 0;

	if (k->pid == 0)
		return;
	/* Said, not waited for: waking the keeper to hear it close its copy of the lock cost
	 * half a millisecond a run. Its copy shares our open file description, so lock_release's
	 * LOCK_UN frees the lock at once whatever the keeper has done by then; it exits on its
	 * own, holding nothing else (keeper_main). */
	(void)send(k->fd, &done, sizeof done, MSG_NOSIGNAL);
	close(k->fd);
	k->fd = -1;
	(void)waitpid(k->pid, NULL, WNOHANG);
	k->pid = 0;
}
