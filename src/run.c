/* Running the command: fork, exec without a shell, forward signals, enforce the timeout. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "run.h"

#define MAX_WATCHES 4

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

/* In the child, between vfork and exec: it runs on our memory and stack, so it may only make
 * system calls and store to *EXEC_ERRNO, never return. Never returns. */
static void child_exec(const struct run_spec *spec, pid_t parent, int errfd, int out[2][2])
{
	struct sigaction dfl;
	sigset_t empty;

	/* Our own process group, so a timeout or a forwarded signal reaches the whole job. */
	setpgid(0, 0);
	/* If cronguard dies, its lock is released: the command must not run on without it.
	 * The getppid check closes the race where the parent died before the prctl. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) {
		report_errno(errfd, ESRCH);
		_exit(125);
	}
	for (int i = 0; i < 2; i++) {
		if (out[i][1] >= 0 && dup2(out[i][1], 1 + i) < 0) {
			report_errno(errfd, errno);
			_exit(125);
		}
	}
	/* Restore what the command would have got from cron: default dispositions and an
	 * empty mask. Handled signals reset on exec anyway; ignored ones would not. */
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (sigaction(s, &dfl, NULL) < 0)
			reset_reserved(s);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	execvp(spec->argv[0], spec->argv);
	report_errno(errfd, errno);
	_exit(errno == ENOENT ? 127 : 126);
}

/* vfork, not fork: the parent sleeps until the child has exec'd, and no page of ours is
 * copied or write-protected. On these machines page faults dominate a short run, and after a
 * fork every later write of cronguard's faulted (measured: about 0.5 ms a run). The exec
 * errno comes back through a close-on-exec pipe, not the shared memory, because valgrind
 * and some sandboxes run vfork as a plain fork. Kept in its own small frame, so nothing the
 * caller keeps in registers can be clobbered. Returns the pid, or -1 with errno. */
static pid_t __attribute__((noinline)) spawn(const struct run_spec *spec, int out[2][2],
					     int *exec_errno)
{
	pid_t parent = getpid(), pid;
	int errpipe[2], e = 0;
	ssize_t n;

	*exec_errno = 0;
	if (pipe2(errpipe, O_CLOEXEC) < 0)
		return -1;
	pid = vfork();
	if (pid == 0)
		child_exec(spec, parent, errpipe[1], out);
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

/* Reads what is there from FD into the tail buffer and on to DEST; returns -1 at EOF. */
static int pump(int fd, int dest, struct tailbuf *tb)
{
	char buf[16384];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1;
		tailbuf_append(tb, buf, (size_t)n);
		/* A closed or full destination must not stop the command; its output is kept. */
		(void)fileio_write_all(dest, buf, (size_t)n);
	}
}

static void signal_group(pid_t pid, int sig)
{
	/* The group may be gone already (ESRCH): that's the race we accept, nothing to undo. */
	(void)kill(-pid, sig);
}

int run_command(const struct run_spec *spec, struct run_result *res)
{
	int out[2][2] = { { -1, -1 }, { -1, -1 } };
	int sfd, e;
	uint64_t start, kill_at = 0, watch_next[MAX_WATCHES];
	pid_t pid;
	int reaped = 0;

	memset(res, 0, sizeof *res);
	res->held[0] = res->held[1] = -1;
	if (spec->nwatches > MAX_WATCHES) {
		errno = EINVAL;
		return -1;
	}
	if (spec->output != RUN_OUTPUT_PASS) {
		res->output = calloc(1, sizeof *res->output);
		if (!res->output)
			return -1;
		for (int i = 0; i < 2; i++) {
			if (pipe2(out[i], O_CLOEXEC) < 0)
				goto fail;
			fcntl(out[i][0], F_SETFL, O_NONBLOCK);
			if (spec->output == RUN_OUTPUT_HOLD && (res->held[i] = held_file()) < 0)
				goto fail;
		}
	}
	sfd = signalfd(-1, spec->blocked, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		goto fail;
	pid = spawn(spec, out, &res->exec_errno);
	if (pid < 0) {
		e = errno;
		close(sfd);
		errno = e;
		goto fail;
	}
	start = now_ms();
	for (int i = 0; i < 2; i++)
		close_fd(&out[i][1]);
	for (size_t i = 0; i < spec->nwatches; i++)
		watch_next[i] = start + spec->watches[i].interval_ms;

	while (!reaped) {
		struct pollfd pfd[3 + MAX_WATCHES];
		int npfd = 0, timeout = -1;
		uint64_t now = now_ms(), next = UINT64_MAX;

		if (spec->timeout_ms && !res->timed_out && !res->stopped)
			next = start + spec->timeout_ms;
		if (kill_at && kill_at < next)
			next = kill_at;
		for (size_t i = 0; i < spec->nwatches; i++)
			if (spec->watches[i].interval_ms && watch_next[i] < next)
				next = watch_next[i];
		if (next != UINT64_MAX)
			timeout = next > now ? (int)(next - now < 60000 ? next - now : 60000) : 0;

		pfd[npfd++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (int i = 0; i < 2; i++)
			pfd[npfd++] = (struct pollfd){ .fd = out[i][0], .events = POLLIN };
		for (size_t i = 0; i < spec->nwatches; i++)
			pfd[npfd++] = (struct pollfd){ .fd = res->stopped ? -1 : spec->watches[i].fd,
						       .events = POLLIN };
		if (poll(pfd, (nfds_t)npfd, timeout) < 0 && errno != EINTR)
			break;
		now = now_ms();

		for (int i = 0; i < 2; i++) {
			if (out[i][0] >= 0 && (pfd[1 + i].revents & (POLLIN | POLLHUP | POLLERR))) {
				int dest = spec->output == RUN_OUTPUT_HOLD ? res->held[i] : 1 + i;
				if (pump(out[i][0], dest, res->output) < 0)
					close_fd(&out[i][0]);
			}
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				int sig = (int)si.ssi_signo;
				if (sig == SIGCHLD)
					continue;
				if (spec->forward && sigismember(spec->forward, sig)) {
					signal_group(pid, sig);
					res->last_forwarded = sig;
				}
			}
		}
		/* Reap on every wakeup: SIGCHLD may have been merged with another signal. */
		if (wait4(pid, &res->status, WNOHANG, &res->ru) == pid) {
			reaped = 1;
			break;
		}
		if (spec->timeout_ms && !res->timed_out && !res->stopped && now >= start + spec->timeout_ms) {
			/* As timeout(1): TERM, then CONT in case the job was stopped, then KILL later. */
			res->timed_out = 1;
			signal_group(pid, SIGTERM);
			signal_group(pid, SIGCONT);
			if (spec->kill_after_ms)
				kill_at = now + spec->kill_after_ms;
		}
		if (kill_at && now >= kill_at) {
			signal_group(pid, SIGKILL);
			kill_at = 0;
		}
		for (size_t i = 0; i < spec->nwatches && !res->stopped && !res->timed_out; i++) {
			struct run_watch *w = &spec->watches[i];
			int due = (w->interval_ms && now >= watch_next[i]) ||
				  (w->fd >= 0 && (pfd[3 + i].revents & POLLIN));
			if (!due)
				continue;
			watch_next[i] = now + w->interval_ms;
			if (w->check(w->ctx, res->reason, sizeof res->reason) == 1) {
				res->stopped = 1;
				signal_group(pid, SIGTERM);
				signal_group(pid, SIGCONT);
				if (spec->kill_after_ms)
					kill_at = now + spec->kill_after_ms;
			}
		}
	}
	if (!reaped) {
		/* poll failed: nothing left to do but wait. */
		while (wait4(pid, &res->status, 0, &res->ru) < 0 && errno == EINTR)
			;
	}
	/* The command is gone; take what it left in the pipes, but don't wait for processes it
	 * left behind that still hold them open. */
	for (int i = 0; i < 2; i++) {
		if (out[i][0] >= 0) {
			int dest = spec->output == RUN_OUTPUT_HOLD ? res->held[i] : 1 + i;
			pump(out[i][0], dest, res->output);
			close_fd(&out[i][0]);
		}
	}
	close(sfd);
	return 0;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		close_fd(&out[i][0]);
		close_fd(&out[i][1]);
	}
	run_result_free(res);
	errno = e;
	return -1;
}

int run_replay_held(struct run_result *res)
{
	char buf[16384];
	int rc = 0;

	for (int i = 0; i < 2; i++) {
		off_t off = 0;
		ssize_t n;

		if (res->held[i] < 0)
			continue;
		while ((n = pread(res->held[i], buf, sizeof buf, off)) > 0) {
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
