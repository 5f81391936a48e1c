/* The local lock: one flock per job, so runs never overlap on this host. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "lock.h"
#include "diag.h"
#include "safedir.h"

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

/* The lock directory of a user other than root, from the passwd entry and the file system
 * alone: never from the environment, which differs between cron (no XDG_RUNTIME_DIR, maybe
 * no HOME) and a login shell, so both lock the same file. HOME/.local/state/cronguard/lock
 * when the home is ours and reached through directories no one else can change, else
 * /tmp/cronguard-UID. */
static int user_lock_dir(char *dir, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());
	char real[PATH_MAX], scratch[512], uid[21];
	struct stat st;
	size_t n = 0;
	int fd, ours = 0;

	if (pw && pw->pw_dir && pw->pw_dir[0] == '/' && realpath(pw->pw_dir, real)) {
		fd = safedir_walk(real, "home", SAFEDIR_PARENT, 0, scratch, sizeof scratch);
		if (fd >= 0) {
			ours = fstat(fd, &st) == 0 && st.st_uid == geteuid();
			close(fd);
		}
	}
	if (ours)
		return put(dir, len, &n, real) && put(dir, len, &n, "/.local/state/cronguard/lock");
	return put(dir, len, &n, "/tmp/cronguard-") && put(dir, len, &n, decimal(geteuid(), uid));
}

int lock_default_path(const char *job, int create, char *buf, size_t len, char *err, size_t errlen)
{
	size_t n = 0, dn;
	int fits, fd;

	/* The directory first, in BUF itself (a second PATH_MAX buffer would deepen the stack
	 * that stays resident while the command runs). Root's is in /run, which only root can
	 * write: never /run/lock, where anyone can make the directory first. */
	if (geteuid() == 0)
		fits = put(buf, len, &n, "/run/cronguard");
	else
		fits = user_lock_dir(buf, len);
	if (!fits)
		return diag_fail(err, errlen, ENAMETOOLONG, "the home directory is too long for a lock path");
	if (create) {
		fd = safedir_walk(buf, "lock directory", SAFEDIR_PRIVATE, 0700, err, errlen);
		if (fd < 0)
			return -1;
		close(fd);
	}
	n = dn = strlen(buf);
	if (!put(buf, len, &n, "/") || !put(buf, len, &n, job) || !put(buf, len, &n, ".lock")) {
		buf[dn] = '\0';
		return diag_fail(err, errlen, ENAMETOOLONG, "lock path in %s is too long", buf);
	}
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
	/* Only informative: a failure to write it must not fail the lock we already hold.
	 * Written over the last holder's line, and cut to length only when the two differ:
	 * a truncation frees the file's block and the write allocates it again, which costs
	 * more than the rest of the lock. */
	if (pwrite(fd, line, n, 0) == (ssize_t)n) {
		struct stat st;

		if (fstat(fd, &st) == 0 && st.st_size != (off_t)n)
			(void)!ftruncate(fd, (off_t)n);
	}
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

int lock_open_at(int dfd, const char *name, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			return diag_fail(err, errlen, ELOOP, "lock file %s is a symlink; refusing it", path);
		return diag_fail(err, errlen, errno, "cannot open lock file %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return diag_fail(err, errlen, EINVAL, "lock file %s is not a regular file", path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return diag_fail(err, errlen, EPERM,
				 "lock file %s is owned by uid %u, not by us (uid %u), who could hold it: remove it (rm %s)",
				 path, (unsigned)st.st_uid, (unsigned)geteuid(), path);
	}
	if (st.st_nlink != 1) {
		close(fd);
		return diag_fail(err, errlen, EPERM, "lock file %s has %ju links: remove it (rm %s)", path,
				 (uintmax_t)st.st_nlink, path);
	}
	/* Made by an older version (0644), by flock(1) or by hand: others could have opened it,
	 * and a descriptor opened then is never revoked by a chmod, so such a file is refused. */
	if (st.st_mode & 077) {
		close(fd);
		return diag_fail(err, errlen, EPERM,
				 "lock file %s can be opened by other users (mode %04o), who could hold it: remove it (rm %s)",
				 path, (unsigned)(st.st_mode & 07777), path);
	}
	/* Narrower than 0600 (a umask): ours to open again. */
	if ((st.st_mode & 0600) != 0600 && fchmod(fd, 0600) < 0) {
		int e = errno;

		close(fd);
		return diag_fail(err, errlen, e, "lock file %s: %s", path, strerror(e));
	}
	return fd;
}

/* Opens the lock file PATH through lock_open_at. Its directory is reached from "/" through
 * directories no other user can change (safedir_walk), following only the symlinks that
 * nobody else can have made or redirected (/var/lock is one): a symlink another user can
 * flip would give two runs two different lock files. Returns the descriptor, or -1 with
 * errno and ERR. */
static int open_lock_file(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char why[512];
	int dfd, fd;

	if (path[0] != '/')
		return diag_fail(err, errlen, EINVAL, "lock file %s: not an absolute path", path);
	if (!slash[1])
		return diag_fail(err, errlen, EISDIR, "lock file %s names a directory", path);
	if ((size_t)(slash - path) >= PATH_MAX)
		return diag_fail(err, errlen, ENAMETOOLONG, "lock file %.200s: path too long", path);
	dfd = safedir_walk_dir_of(path, "directory", why, sizeof why);
	if (dfd < 0)
		return diag_fail(err, errlen, errno, "lock file %s: %s", path, why);
	fd = lock_open_at(dfd, slash + 1, path, err, errlen);
	close(dfd);
	return fd;
}

int lock_acquire(const char *path, uint64_t wait_ms, const sigset_t *stop, const char *host,
		 int *fd_out, int *signo, char *holder, size_t holderlen, char *err, size_t errlen)
{
	uint64_t deadline = now_ms() + wait_ms, step = 5;
	int fd;

	fd = open_lock_file(path, err, errlen);
	if (fd < 0)
		return -1;
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
			return diag_fail(err, errlen, errno, "cannot lock %s: %s", path, strerror(errno));
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
	/* The line stays: it is read only by a run that finds the lock held, and then it is
	 * the holder's own, written over it (write_holder). Unlocked explicitly: the keeper's
	 * copy of this descriptor, which it may not have closed yet, shares the lock. */
	(void)flock(fd, LOCK_UN);
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
		diag_verbose("lock: took %s", path);
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
