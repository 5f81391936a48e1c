/* Running the command: fork, exec without a shell, forward signals, enforce the timeout. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "keeper.h"
#include "run.h"

#define MAX_WATCHES 4
/* What a stalled stdout or stderr may hold back before the command itself must wait. */
#define OUTQ_SIZE 65536
/* At the end, output the reader has not taken is dropped once it takes nothing this long. */
#define OUTQ_LINGER_MS 1000
/* How often the group is looked at while only processes the command left behind are in it:
 * their exits need not reach us (their parent may be one of them). */
#define GROUP_TICK_MS 20
#define SAMPLE_MS 1000

static uint64_t now_ms(void)
{
	return (uint64_t)clock_mono_us() / 1000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Held output goes to an unnamed temporary file, not memory: a failing job may print a lot. */
static int held_file(void)
{
	const char *dir = getenv("TMPDIR");
	int fd = -1;

	if (dir && dir[0] == '/')
		fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = memfd_create("cronguard-output", MFD_CLOEXEC);
	return fd;
}

/* glibc keeps signals 32 and 33 for itself and refuses sigaction on them, yet they can arrive
 * ignored from whoever started us; ask the kernel directly so the command starts clean. */
static void reset_reserved(int sig)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} ksa = { .handler = SIG_DFL };

	(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof ksa.mask);
}

/* Tells the parent why the command did not start, through the close-on-exec pipe: exec
 * closes it unwritten, so an empty read means the command runs. */
static void report_errno(int errfd, int e)
{
	if (e == 0)
		e = EIO;
	if (write(errfd, &e, sizeof e) < 0) {
		/* The parent sees a plain exit status instead; nothing else can be done. */
	}
}

/* Every descriptor from 3 up is closed by the exec, whatever its flag: the job must not get
 * our etcd connection, libcurl's sockets or a lock. CLOEXEC rather than a close, so that ERRFD
 * can still report a failed exec. */
static void cloexec_from_3(void)
{
	struct rlimit rl;

	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Before Linux 5.11: one by one, up to the descriptor limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20)
		rl.rlim_cur = 1 << 20;
	for (int fd = 3; fd < (int)rl.rlim_cur; fd++)
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
}

struct child_args {
	const struct run_spec *spec;
	pid_t parent;
	int errfd;
	int keeper_fd;          /* the keeper's socket, or -1 */
	int tty;                /* give the terminal on fd 0 to the new group */
	int (*out)[2];
};

/* In the child, between vfork and exec: it runs on our memory and stack, so it may only make
 * system calls and store to *EXEC_ERRNO, never return. Never returns. */
static void child_exec(const struct child_args *a)
{
	struct sigaction dfl;
	sigset_t set;
	pid_t self;
	int32_t v;

	/* Our own process group, so a timeout or a forwarded signal reaches the whole job. */
	setpgid(0, 0);
	self = getpid();
	/* The keeper learns of the group before the command can fork: if cronguard dies from
	 * here on, the whole group is killed before the lock can be taken again. */
	v = (int32_t)self;
	if (a->keeper_fd >= 0 && send(a->keeper_fd, &v, sizeof v, MSG_NOSIGNAL) != (ssize_t)sizeof v) {
		report_errno(a->errfd, errno);
		_exit(125);
	}
	/* If cronguard dies, its lock is released: the command must not run on without it.
	 * The getppid check closes the race where the parent died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != a->parent) {
		report_errno(a->errfd, ESRCH);
		_exit(125);
	}
	if (a->tty) {
		/* Run by hand in the foreground: the command may read the terminal (and get ^C).
		 * From a background group, tcsetpgrp raises SIGTTOU unless it is blocked. */
		sigemptyset(&set);
		sigaddset(&set, SIGTTOU);
		sigprocmask(SIG_BLOCK, &set, NULL);
		(void)tcsetpgrp(0, self);
	}
	for (int i = 0; i < 2; i++) {
		if (a->out[i][1] >= 0 && dup2(a->out[i][1], 1 + i) < 0) {
			report_errno(a->errfd, errno);
			_exit(125);
		}
	}
	cloexec_from_3();
	/* Restore what the command would have got from cron: default dispositions and an
	 * empty mask. Handled signals reset on exec anyway; ignored ones would not. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (sigaction(s, &dfl, NULL) < 0)
			reset_reserved(s);
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	if (a->spec->envp)
		execvpe(a->spec->argv[0], a->spec->argv, a->spec->envp);
	else
		execvp(a->spec->argv[0], a->spec->argv);
	report_errno(a->errfd, errno);
	_exit(errno == ENOENT ? 127 : 126);
}

/* vfork, not fork: the parent sleeps until the child has exec'd, and no page of ours is
 * copied or write-protected. On these machines page faults dominate a short run, and after a
 * fork every later write of cronguard's faulted (measured: about 0.5 ms a run). The exec
 * errno comes back through a close-on-exec pipe, not the shared memory, because valgrind
 * and some sandboxes run vfork as a plain fork. Kept in its own small frame, so nothing the
 * caller keeps in registers can be clobbered. Returns the pid, or -1 with errno. */
static pid_t __attribute__((noinline)) spawn(struct child_args *a, int *exec_errno)
{
	int errpipe[2], e = 0;
	pid_t pid;
	ssize_t n;

	*exec_errno = 0;
	a->parent = getpid();
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -1;
	a->errfd = errpipe[1];
	pid = vfork();
	if (pid == 0)
		child_exec(a);
	if (pid < 0) {
		e = errno;
		close(errpipe[0]);
		close(errpipe[1]);
		errno = e;
		return -1;
	}
	close(errpipe[1]);
	/* The child has exec'd or exited by now: this read does not wait. */
	do
		n = read(errpipe[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof e)
		*exec_errno = e ? e : EIO;
	close(errpipe[0]);
	return pid;
}

/* TEE output on its way to our stdout or stderr. Writes never block the loop: a pipe or a
 * socket is switched to O_NONBLOCK for the run, what the reader does not take waits here,
 * and while this is full the command's own pipe is not read, so the command waits instead
 * of losing output (a slow gzip reader must get every byte). */
struct outq {
	int fd;
	int saved_flags;        /* to restore, or -1 when we did not change them */
	int dead;               /* EPIPE or another error: nobody reads it any more */
	size_t head, len;
	uint64_t dropped;
	char buf[OUTQ_SIZE];
};

static void outq_open(struct outq *q, int fd)
{
	struct stat st;
	int fl;

	q->fd = fd;
	q->saved_flags = -1;
	/* A terminal keeps blocking writes: its flags are shared with the shell, which would be
	 * left with a non-blocking terminal if we died. Regular files never stall. */
	if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode) || isatty(fd))
		return;
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
		q->saved_flags = fl;
}

static void outq_close(struct outq *q)
{
	if (q->saved_flags >= 0)
		(void)fcntl(q->fd, F_SETFL, q->saved_flags);
	q->saved_flags = -1;
}

/* Writes what it can of the queue. */
static void outq_flush(struct outq *q)
{
	while (q->len && !q->dead) {
		size_t k = OUTQ_SIZE - q->head < q->len ? OUTQ_SIZE - q->head : q->len;
		ssize_t n = write(q->fd, q->buf + q->head, k);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* A closed or broken destination must not stop the command. */
			q->dead = 1;
			q->len = 0;
			return;
		}
		q->head = (q->head + (size_t)n) % OUTQ_SIZE;
		q->len -= (size_t)n;
	}
}

static size_t outq_room(const struct outq *q)
{
	return q->dead ? OUTQ_SIZE : OUTQ_SIZE - q->len;
}

/* Queues N bytes (at most outq_room) and writes what the destination takes now. */
static void outq_push(struct outq *q, const char *data, size_t n)
{
	if (q->dead)
		return;
	while (n > 0) {
		size_t tail = (q->head + q->len) % OUTQ_SIZE;
		size_t k = OUTQ_SIZE - tail;

		if (k > OUTQ_SIZE - q->len)
			k = OUTQ_SIZE - q->len;
		if (k > n)
			k = n;
		if (k == 0)
			break;
		memcpy(q->buf + tail, data, k);
		q->len += k;
		data += k;
		n -= k;
	}
	outq_flush(q);
}

/* The one buffer the command's output passes through (pump, drain, run_replay_held: all on
 * the main thread, never nested). Static, not on the stack: its pages are touched only by
 * output that flows, and the calls below it do not reach 16 KiB further down the stack,
 * whose every touched page stays resident while the command runs. */
static char iobuf[16384];

/* Reads what is there from FD into the tail buffer and on to DEST (a file, or the queue Q);
 * returns -1 at EOF, or when *BUDGET (if not NULL) bytes have been read. With a queue, reads
 * no more than it can hold. */
static int pump(int fd, int dest, struct outq *q, struct tailbuf *tb, size_t *budget)
{
	char *buf = iobuf;

	for (;;) {
		size_t want = sizeof iobuf;
		ssize_t n;

		if (q) {
			want = outq_room(q);
			if (want == 0)
				return 0;
			if (want > sizeof iobuf)
				want = sizeof iobuf;
		}
		if (budget) {
			if (*budget == 0)
				return -1;
			if (want > *budget)
				want = *budget;
		}
		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		if (budget)
			*budget -= (size_t)n;
		tailbuf_append(tb, buf, (size_t)n);
		if (q)
			outq_push(q, buf, (size_t)n);
		else
			/* A full or failing file (EFBIG under ulimit -f) must not stop the command. */
			(void)fileio_write_all(dest, buf, (size_t)n);
	}
}

/* The command's VmHWM as /proc says while it lives, in kB, or 0. */
static long proc_hwm_kb(pid_t pid)
{
	char path[40], buf[2048], *p;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (fileio_read_small(AT_FDCWD, path, buf, sizeof buf) < 0)
		return 0;
	p = strstr(buf, "\nVmHWM:");
	return p ? strtol(p + 7, NULL, 10) : 0;
}

/* Signals the group, unless it is known to be empty: once the leader is reaped, its number
 * is free for reuse as soon as the last member goes. */
static void signal_group(pid_t pgid, int leader_reaped, int sig)
{
	if (leader_reaped && !keeper_group_alive(pgid))
		return;
	/* The group may be gone already (ESRCH): that's the race we accept, nothing to undo. */
	(void)kill(-pgid, sig);
}

/* The loop's state for one command. */
struct runner {
	const struct run_spec *spec;
	struct run_result *res;
	struct keeper keeper;
	struct outq *q[2];
	int out[2][2];
	int sfd;
	pid_t pid;
	int reaped;             /* the leader is reaped */
	int ending;             /* TERM went to the group: timeout, watch, or leftovers */
	int tty;                /* we gave the terminal to the group */
	int stopped;            /* the leader is stopped now */
	uint64_t kill_at;
	long floor_kb;          /* our own peak at the exec: the child's ru_maxrss starts there */
};

static void end_group(struct runner *r, uint64_t now)
{
	r->ending = 1;
	/* As timeout(1): TERM, then CONT in case the job was stopped, then KILL later. */
	signal_group(r->pid, r->reaped, SIGTERM);
	signal_group(r->pid, r->reaped, SIGCONT);
	if (r->spec->kill_after_ms && !r->kill_at)
		r->kill_at = now + r->spec->kill_after_ms;
}

/* The leader stopped or went on. A stop from the terminal (^Z, or reading it from the
 * background) is passed up, as a shell's subjob does: we take the terminal back and stop
 * too, so the shell sees the job stopped; on `fg` we give the terminal on and continue. */
static void leader_stopped(struct runner *r, int sig)
{
	sigset_t ttou, old;

	r->stopped = 1;
	r->res->was_stopped = 1;
	if (!isatty(0) || (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU))
		return;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	if (tcgetpgrp(0) == r->pid)
		(void)tcsetpgrp(0, getpgrp());
	(void)kill(getpid(), SIGSTOP);
	/* Continued. In the foreground again: the command gets the terminal back. */
	if (tcgetpgrp(0) == getpgrp()) {
		(void)tcsetpgrp(0, r->pid);
		r->tty = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal_group(r->pid, r->reaped, SIGCONT);
}

static void take_signals(struct runner *r)
{
	struct signalfd_siginfo si;

	while (read(r->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		int sig = (int)si.ssi_signo;

		/* The rest of what the caller blocked (SIGALRM, SIGIO, ...) is dropped here: its
		 * default would end cronguard without a record. */
		if (sig == SIGCHLD || !r->spec->forward || !sigismember(r->spec->forward, sig))
			continue;
		signal_group(r->pid, r->reaped, sig);
		/* A stopped process would not act on it until continued. */
		if (r->stopped || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT)
			signal_group(r->pid, r->reaped, SIGCONT);
		r->res->last_forwarded = sig;
	}
}

/* Reaps every child that has exited: the leader (with its rusage), the keeper (restarted),
 * and orphans of the job, which come to us as a subreaper. */
static void reap(struct runner *r)
{
	siginfo_t si;

	if (!r->reaped) {
		for (;;) {
			memset(&si, 0, sizeof si);
			if (waitid(P_PID, (id_t)r->pid, &si, WSTOPPED | WCONTINUED | WNOHANG) < 0 ||
			    si.si_pid != r->pid)
				break;
			if (si.si_code == CLD_STOPPED)
				leader_stopped(r, si.si_status);
			else if (si.si_code == CLD_CONTINUED)
				r->stopped = 0;
			else
				break;
		}
	}
	for (;;) {
		struct rusage ru;
		int st;
		pid_t p = wait4(-1, &st, WNOHANG, &ru);

		if (p <= 0)
			break;
		if (p == r->pid) {
			r->res->status = st;
			r->res->ru = ru;
			r->reaped = 1;
		} else {
			(void)keeper_reaped(&r->keeper, p);
		}
	}
}

static void loop(struct runner *r)
{
	const struct run_spec *spec = r->spec;
	struct run_result *res = r->res;
	uint64_t start = now_ms(), watch_next[MAX_WATCHES], sample_at = start + SAMPLE_MS;

	for (size_t i = 0; i < spec->nwatches; i++)
		watch_next[i] = start + spec->watches[i].interval_ms;

	for (;;) {
		struct pollfd pfd[5 + MAX_WATCHES];
		int npfd = 0, timeout = -1;
		uint64_t now = now_ms(), next = UINT64_MAX;

		if (r->reaped && !keeper_group_alive(r->pid))
			break;
		if (spec->timeout_ms && !r->ending && !r->reaped)
			next = start + spec->timeout_ms;
		if (r->kill_at && r->kill_at < next)
			next = r->kill_at;
		for (size_t i = 0; i < spec->nwatches; i++)
			if (spec->watches[i].interval_ms && watch_next[i] < next)
				next = watch_next[i];
		if (!r->reaped && sample_at < next)
			next = sample_at;
		if (r->reaped && now + GROUP_TICK_MS < next)
			next = now + GROUP_TICK_MS;
		if (next != UINT64_MAX)
			timeout = next > now ? (int)(next - now < 60000 ? next - now : 60000) : 0;

		pfd[npfd++] = (struct pollfd){ .fd = r->sfd, .events = POLLIN };
		for (int i = 0; i < 2; i++) {
			/* A full queue: leave the command's pipe unread, so the command waits. */
			int full = r->q[i] && outq_room(r->q[i]) == 0;
			pfd[npfd++] = (struct pollfd){ .fd = full ? -1 : r->out[i][0], .events = POLLIN };
		}
		for (int i = 0; i < 2; i++) {
			int busy = r->q[i] && r->q[i]->len && !r->q[i]->dead;
			pfd[npfd++] = (struct pollfd){ .fd = busy ? r->q[i]->fd : -1, .events = POLLOUT };
		}
		for (size_t i = 0; i < spec->nwatches; i++)
			pfd[npfd++] = (struct pollfd){ .fd = res->stopped ? -1 : spec->watches[i].fd,
						       .events = POLLIN };
		if (poll(pfd, (nfds_t)npfd, timeout) < 0 && errno != EINTR) {
			/* Cannot wait for events: end the job, and sleep-poll until it is gone. */
			struct timespec pause = { 0, GROUP_TICK_MS * 1000000L };
			signal_group(r->pid, r->reaped, SIGKILL);
			nanosleep(&pause, NULL);
			reap(r);
			continue;
		}
		now = now_ms();

		for (int i = 0; i < 2; i++) {
			if (r->q[i] && (pfd[3 + i].revents & (POLLOUT | POLLERR | POLLHUP)))
				outq_flush(r->q[i]);
			if (r->out[i][0] >= 0 && (pfd[1 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
				int dest = spec->output == RUN_OUTPUT_HOLD ? res->held[i] : 1 + i;
				if (pump(r->out[i][0], dest, r->q[i], res->output, NULL) < 0)
					close_fd(&r->out[i][0]);
			}
		}
		if (pfd[0].revents & POLLIN)
			take_signals(r);
		/* Reap on every wakeup: SIGCHLD may have been merged with another signal. */
		reap(r);
		if (r->reaped && !r->ending && keeper_group_alive(r->pid)) {
			/* The command is done; what it left in its group must not outlive the run. */
			res->leftovers = 1;
			end_group(r, now);
		}
		if (spec->timeout_ms && !r->ending && !r->reaped && now >= start + spec->timeout_ms) {
			res->timed_out = 1;
			end_group(r, now);
		}
		if (r->kill_at && now >= r->kill_at) {
			/* Even when the leader is gone: a member that ignores TERM ends here. */
			signal_group(r->pid, r->reaped, SIGKILL);
			r->kill_at = 0;
		}
		if (!r->reaped && now >= sample_at) {
			long kb = proc_hwm_kb(r->pid);
			if (kb > res->maxrss_kb)
				res->maxrss_kb = kb;
			sample_at = now + SAMPLE_MS;
		}
		for (size_t i = 0; i < spec->nwatches && !res->stopped && !res->timed_out; i++) {
			struct run_watch *w = &spec->watches[i];
			int due = (w->interval_ms && now >= watch_next[i]) ||
				  (w->fd >= 0 && (pfd[5 + i].revents & POLLIN));
			if (!due)
				continue;
			watch_next[i] = now + w->interval_ms;
			if (w->check(w->ctx, res->reason, sizeof res->reason) == 1) {
				res->stopped = 1;
				end_group(r, now);
				if (w->kill_within) {
					uint64_t by = now + w->kill_within(w->ctx);
					if (!r->kill_at || by < r->kill_at)
						r->kill_at = by;
				}
			}
		}
	}
}

/* The group is gone: take what is left in the pipes (without waiting for an escaped process
 * that still holds them), and give the queued output a last chance while the reader takes
 * some; what a stalled reader never takes is dropped and counted. */
static void drain(struct runner *r)
{
	uint64_t last = now_ms();
	/* What the group left in a pipe is at most its capacity; more can only come from a
	 * process that escaped the group and still writes: not waited for. */
	size_t budget[2];

	for (int i = 0; i < 2; i++) {
		int cap = r->out[i][0] >= 0 ? fcntl(r->out[i][0], F_GETPIPE_SZ) : -1;
		budget[i] = cap > 0 ? (size_t)cap : 1 << 20;
	}

	for (;;) {
		int pending = 0;

		for (int i = 0; i < 2; i++) {
			if (r->out[i][0] >= 0) {
				int dest = r->spec->output == RUN_OUTPUT_HOLD ? r->res->held[i] : 1 + i;
				if (pump(r->out[i][0], dest, r->q[i], r->res->output, &budget[i]) < 0 ||
				    !r->q[i])
					close_fd(&r->out[i][0]);
				else if (outq_room(r->q[i]) > 0)
					close_fd(&r->out[i][0]);  /* took all there was */
			}
			if (r->q[i]) {
				size_t before = r->q[i]->len;
				outq_flush(r->q[i]);
				if (r->q[i]->len != before)
					last = now_ms();
				pending |= r->q[i]->len > 0 || r->out[i][0] >= 0;
			}
		}
		if (!pending)
			break;
		if (now_ms() - last >= OUTQ_LINGER_MS) {
			for (int i = 0; i < 2; i++) {
				if (!r->q[i])
					continue;
				r->res->dropped[i] += r->q[i]->len;
				r->q[i]->len = 0;
				if (r->out[i][0] >= 0) {
					/* Count what the command wrote that never got into the queue. */
					ssize_t n;
					while ((n = read(r->out[i][0], iobuf, sizeof iobuf)) > 0) {
						tailbuf_append(r->res->output, iobuf, (size_t)n);
						r->res->dropped[i] += (uint64_t)n;
					}
					close_fd(&r->out[i][0]);
				}
			}
			break;
		}
		{
			struct pollfd pfd[2];
			int n = 0;
			for (int i = 0; i < 2; i++)
				if (r->q[i] && r->q[i]->len && !r->q[i]->dead)
					pfd[n++] = (struct pollfd){ .fd = r->q[i]->fd, .events = POLLOUT };
			if (poll(pfd, (nfds_t)n, GROUP_TICK_MS) < 0 && errno != EINTR)
				break;
		}
	}
	for (int i = 0; i < 2; i++)
		close_fd(&r->out[i][0]);
}

int run_command(const struct run_spec *spec, struct run_result *res)
{
	struct runner r = { .spec = spec, .res = res, .out = { { -1, -1 }, { -1, -1 } }, .sfd = -1 };
	struct timespec zero = { 0, 0 };
	struct child_args ca = { .spec = spec, .keeper_fd = -1 };
	struct rusage self;
	sigset_t ttys, oldmask;
	int e, sig, unstarted = 0;

	memset(res, 0, sizeof *res);
	res->held[0] = res->held[1] = -1;
	if (spec->nwatches > MAX_WATCHES) {
		errno = EINVAL;
		return -1;
	}
	/* A signal to pass on that came before the command exists (during a gate or the start
	 * report) ends the run here: starting the command only to kill it would be recorded as
	 * the command's own death. */
	if (spec->forward && (sig = sigtimedwait(spec->forward, NULL, &zero)) > 0) {
		res->unstarted_signal = sig;
		return 0;
	}
	if (spec->output != RUN_OUTPUT_PASS) {
		res->output = calloc(1, sizeof *res->output);
		if (!res->output)
			return -1;
		for (int i = 0; i < 2; i++) {
			if (pipe2(r.out[i], O_CLOEXEC) < 0)
				goto fail;
			fcntl(r.out[i][0], F_SETFL, O_NONBLOCK);
			if (spec->output == RUN_OUTPUT_HOLD && (res->held[i] = held_file()) < 0)
				goto fail;
			if (spec->output == RUN_OUTPUT_TEE && !(r.q[i] = calloc(1, sizeof *r.q[i])))
				goto fail;
		}
	}
	r.sfd = signalfd(-1, spec->blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r.sfd < 0)
		goto fail;
	/* Orphans of the job come to us, not to init (which, in a container, may never reap
	 * them): a zombie must not look like a live member of the group. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (spec->keeper && keeper_start(&r.keeper, spec->keeper_hold_fd, 0) < 0)
		goto fail;
	/* We may have to take the terminal back from the background. */
	sigemptyset(&ttys);
	sigaddset(&ttys, SIGTTOU);
	sigaddset(&ttys, SIGTTIN);
	sigprocmask(SIG_BLOCK, &ttys, &oldmask);
	r.tty = isatty(0) && tcgetpgrp(0) == getpgrp();
	ca.tty = r.tty;
	ca.keeper_fd = r.keeper.pid ? r.keeper.fd : -1;
	ca.out = r.out;
	/* The last word of the watches, after everything slow: a lease that can no longer be
	 * trusted, or a VIP that moved during the lock wait, means the command is not run. */
	for (size_t i = 0; i < spec->nwatches; i++) {
		if (spec->watches[i].check(spec->watches[i].ctx, res->reason, sizeof res->reason) == 1) {
			sigprocmask(SIG_SETMASK, &oldmask, NULL);
			unstarted = 1;
			errno = 0;
			goto fail;
		}
	}
	/* The child's ru_maxrss starts from the peak of the address space it left at exec, ours. */
	getrusage(RUSAGE_SELF, &self);
	r.floor_kb = self.ru_maxrss;
	r.pid = spawn(&ca, &res->exec_errno);
	if (r.pid < 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		goto fail;
	}
	r.keeper.pgid = r.pid;
	for (int i = 0; i < 2; i++) {
		close_fd(&r.out[i][1]);
		if (r.q[i])
			outq_open(r.q[i], 1 + i);
	}
	if (spec->started && !res->exec_errno)
		spec->started(spec->started_ctx);

	loop(&r);
	/* The group's last members may be zombies of ours (we are their subreaper). */
	reap(&r);
	drain(&r);

	for (int i = 0; i < 2; i++) {
		if (r.q[i]) {
			outq_close(r.q[i]);
			free(r.q[i]);
			r.q[i] = NULL;
		}
	}
	/* Give the terminal back, unless the shell has moved it on meanwhile. */
	if (r.tty && tcgetpgrp(0) == r.pid)
		(void)tcsetpgrp(0, getpgrp());
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	/* Past our own peak, the kernel's figure can only be the command's; below it, only what
	 * /proc showed while it lived is known. */
	if (res->ru.ru_maxrss > r.floor_kb)
		res->maxrss_kb = res->ru.ru_maxrss;
	if (res->exec_errno)
		res->maxrss_kb = 0;
	keeper_stop(&r.keeper);
	close(r.sfd);
	return 0;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		close_fd(&r.out[i][0]);
		close_fd(&r.out[i][1]);
		free(r.q[i]);
	}
	keeper_stop(&r.keeper);
	if (r.sfd >= 0)
		close(r.sfd);
	run_result_free(res);
	if (unstarted) {
		res->unstarted_stop = 1;
		return 0;
	}
	errno = e;
	return -1;
}

char **run_env_new(char *const *env, const char *run_id, const char *job, const char *fencing)
{
	static const char *const ours[] = { "CG_RUN_ID=", "CG_JOB=", "CG_FENCING_TOKEN=" };
	const char *val[] = { run_id, job, fencing };
	size_t n = 0, bytes = 0, k = 0;
	char **out, *p;

	for (size_t i = 0; env && env[i]; i++)
		n++;
	for (size_t i = 0; i < 3; i++)
		if (val[i])
			bytes += strlen(ours[i]) + strlen(val[i]) + 1;
	out = malloc((n + 4) * sizeof *out + bytes);
	if (!out)
		return NULL;
	p = (char *)(out + n + 4);
	for (size_t i = 0; i < n; i++) {
		int drop = strncmp(env[i], "CRONGUARD_", 10) == 0;

		for (size_t o = 0; o < 3 && !drop; o++)
			drop = strncmp(env[i], ours[o], strlen(ours[o])) == 0;
		if (!drop)
			out[k++] = env[i];
	}
	for (size_t i = 0; i < 3; i++) {
		if (!val[i])
			continue;
		out[k++] = p;
		p += sprintf(p, "%s%s", ours[i], val[i]) + 1;
	}
	out[k] = NULL;
	return out;
}

int run_replay_held(struct run_result *res)
{
	char *buf = iobuf;
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		off_t off = 0;
		ssize_t n;

		if (res->held[i] < 0)
			continue;
		while ((n = pread(res->held[i], buf, sizeof iobuf, off)) > 0) {
			if (fileio_write_all(1 + i, buf, (size_t)n) < 0) {
				rc = -1;
				break;
			}
			off += n;
		}
	}
	return rc;
}

void run_result_free(struct run_result *res)
{
	free(res->output);
	res->output = NULL;
	for (int i = 0; i < 2; i++)
		close_fd(&res->held[i]);
}
