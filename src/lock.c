/* The local lock: one flock per job, so runs never overlap on this host. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lock.h"

/* Fills ERR from FMT; returns -1 with errno E. */
static int lock_fail(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int lock_fail(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

/* Appends S to the string of *AT bytes in BUF (LEN bytes); 0 when it does not fit. The paths
 * and the holder line are built without stdio: this runs before the command, and printf's
 * code, once touched, would stay resident in cronguard for as long as the command runs. */
static int put(char *buf, size_t len, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n >= len)
		return 0;
	memcpy(buf + *at, s, n + 1);
	*at += n;
	return 1;
}

/* V in decimal, in OUT. */
static const char *decimal(uint64_t v, char out[21])
{
	char *p = out + 20;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return p;
}

/* A lock directory someone else controls would let them hold our lock or swap the file. */
static int safe_dir(const char *dir, mode_t mode, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT || (mkdir(dir, mode) < 0 && errno != EEXIST))
			return lock_fail(err, errlen, errno, "cannot create lock directory %s: %s", dir,
					 strerror(errno));
		if (lstat(dir, &st) < 0)
			return lock_fail(err, errlen, errno, "lock directory %s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return lock_fail(err, errlen, ENOTDIR, "lock directory %s is not a directory (a symlink?)", dir);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return lock_fail(err, errlen, EPERM,
				 "lock directory %s is owned by another user or writable by others; refusing it", dir);
	return 0;
}

int lock_default_path(const char *job, int create, char *buf, size_t len, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char dir[4096], uid[21];
	mode_t mode = 0700;
	size_t n = 0;
	int fits;

	if (geteuid() == 0) {
		fits = put(dir, sizeof dir, &n, "/run/lock/cronguard");
		mode = 0755;
	} else if (xdg && xdg[0] == '/') {
		fits = put(dir, sizeof dir, &n, xdg) && put(dir, sizeof dir, &n, "/cronguard");
	} else {
		fits = put(dir, sizeof dir, &n, "/tmp/cronguard-") &&
		       put(dir, sizeof dir, &n, decimal(geteuid(), uid));
	}
	if (!fits)
		return lock_fail(err, errlen, ENAMETOOLONG, "XDG_RUNTIME_DIR is too long for a lock path");
	if (create && safe_dir(dir, mode, err, errlen) < 0)
		return -1;
	n = 0;
	if (!put(buf, len, &n, dir) || !put(buf, len, &n, "/") || !put(buf, len, &n, job) ||
	    !put(buf, len, &n, ".lock"))
		return lock_fail(err, errlen, ENAMETOOLONG, "lock path in %s is too long", dir);
	return 0;
}

static void read_holder(int fd, char *holder, size_t len)
{
	ssize_t n;

	if (len == 0)
		return;
	holder[0] = '\0';
	n = pread(fd, holder, len - 1, 0);
	if (n <= 0)
		return;
	holder[n] = '\0';
	holder[strcspn(holder, "\n")] = '\0';
}

static void write_holder(int fd, const char *host)
{
	char line[512], num[21];
	size_t n = 0;

	/* "pid=N start=EPOCH uid=N host=NAME": host names are at most 253 bytes, so it fits. */
	put(line, sizeof line, &n, "pid=");
	put(line, sizeof line, &n, decimal((uint64_t)getpid(), num));
	put(line, sizeof line, &n, " start=");
	put(line, sizeof line, &n, decimal((uint64_t)(clock_real_us() / 1000000), num));
	put(line, sizeof line, &n, " uid=");
	put(line, sizeof line, &n, decimal(geteuid(), num));
	put(line, sizeof line, &n, " host=");
	put(line, sizeof line, &n, host);
	put(line, sizeof line, &n, "\n");
	/* Only informative: a failure to write it must not fail the lock we already hold. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, n, 0) < 0)
		return;
}

/* Sleep up to MS, but wake for any signal in STOP; returns the signal or 0. */
static int nap(const sigset_t *stop, uint64_t ms)
{
	return clock_wait_until(stop, clock_mono_us() + (int64_t)ms * 1000);
}

static uint64_t now_ms(void)
{
	return (uint64_t)clock_mono_us() / 1000;
}

int lock_acquire(const char *path, uint64_t wait_ms, const sigset_t *stop, const char *host,
		 int *fd_out, int *signo, char *holder, size_t holderlen, char *err, size_t errlen)
{
	uint64_t deadline = now_ms() + wait_ms, step = 5;
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		if (errno == ELOOP)
			return lock_fail(err, errlen, ELOOP, "lock file %s is a symlink; refusing it", path);
		return lock_fail(err, errlen, errno, "cannot open lock file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return lock_fail(err, errlen, EINVAL, "lock file %s is not a regular file", path);
	}
	for (;;) {
		uint64_t now;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		switch (errno) {
		case EINTR:
			continue;
		case EWOULDBLOCK:
			break;
		default:
			close(fd);
			return lock_fail(err, errlen, errno, "cannot lock %s: %s", path, strerror(errno));
		}
		now = now_ms();
		if (now >= deadline) {
			read_holder(fd, holder, holderlen);
			close(fd);
			return LOCK_BUSY;
		}
		/* Poll with a growing step rather than block in flock(2): a blocked flock cannot
		 * also watch for our stop signals, which stay blocked for sigtimedwait. */
		*signo = nap(stop, step < deadline - now ? step : deadline - now);
		if (*signo) {
			close(fd);
			return LOCK_INTERRUPTED;
		}
		if (step < 200)
			step *= 2;
	}
	write_holder(fd, host);
	*fd_out = fd;
	return LOCK_ACQUIRED;
}

void lock_release(int fd)
{
	if (fd < 0)
		return;
	/* Truncate first, so a reader never sees a holder that is gone. */
	if (ftruncate(fd, 0) < 0) {
		/* Nothing to do: closing releases the lock whatever the contents say. */
	}
	close(fd);
}

void lock_gate_enter(const char *path, uint64_t wait_ms, const sigset_t *stop,
		     const char *host, int *fd, struct gate_result *r)
{
	char holder[256] = "";
	int rc;

	*r = (struct gate_result){ .verdict = GATE_END, .state = RUN_ERROR };
	*fd = -1;
	if (!path) {
		r->verdict = GATE_GO;
		return;
	}
	rc = lock_acquire(path, wait_ms, stop, host, fd, &r->signal, holder, sizeof holder,
			  r->reason, sizeof r->reason);
	switch (rc) {
	case LOCK_ACQUIRED:
		r->verdict = GATE_GO;
		r->signal = 0;
		r->reason[0] = '\0';
		return;
	case LOCK_BUSY:
		snprintf(r->reason, sizeof r->reason, "lock %.300s held by %.180s", path,
			 holder[0] ? holder : "another run");
		r->state = RUN_SKIPPED_LOCKED;
		return;
	case LOCK_INTERRUPTED:
		snprintf(r->reason, sizeof r->reason, "%s while waiting for the lock; command not run",
			 strsignal(r->signal));
		return;
	default:
		/* lock_acquire's own reason, already in R. */
		r->signal = 0;
		return;
	}
}

void lock_gate_describe(const char *path, uint64_t wait_ms, FILE *out)
{
	fprintf(out, "lock=%s\n", path ? path : "none");
	fprintf(out, "lock_wait_ms=%llu\n", (unsigned long long)wait_ms);
}
