/* Small file helpers shared by the modules that write files: whole writes, atomic replaces. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int fileio_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Puts NEW in NAME's place, leaving NAME's old file at NEW. A rename over NAME would look the
 * same to readers, but ext4 (auto_da_alloc) then starts writeback of the new file inside
 * rename(2), about 0.25 ms, the largest single cost of a run; the exchange leaves the flush
 * to the kernel's schedule, which a file that is not fsync'ed accepts anyway. Falls back to
 * a rename when there is no NAME yet or the file system cannot exchange. */
static int exchange(int dirfd, const char *new, const char *name, int *exchanged)
{
	*exchanged = 0;
	if (renameat2(dirfd, new, dirfd, name, RENAME_EXCHANGE) == 0) {
		*exchanged = 1;
		return 0;
	}
	if (errno != ENOENT && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	return renameat(dirfd, new, dirfd, name);
}

int fileio_replace(int dirfd, const char *name, const void *text, size_t len, mode_t mode,
		   int durable)
{
	const char *base = strrchr(name, '/');
	char tmp[4200];
	int fd, e, swapped = 0;

	/* The temporary name starts with a dot in NAME's own directory: the rename stays on
	 * one file system, and readers that skip dot files (status, the spool, node_exporter's
	 * *.prom glob) never pick it up. */
	base = base ? base + 1 : name;
	if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.%ld", (int)(base - name), name, base,
			     (long)getpid()) >= sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	/* fchmod: the umask must not narrow a file another user (a collector) has to read. */
	if (fchmod(fd, mode) < 0 || fileio_write_all(fd, text, len) < 0 ||
	    (durable && fdatasync(fd) < 0) || close(fd) < 0) {
		e = errno;
		close(fd);
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	/* After fdatasync a rename costs nothing more; without it, exchange and drop the old. */
	if ((durable ? renameat(dirfd, tmp, dirfd, name) : exchange(dirfd, tmp, name, &swapped)) < 0) {
		e = errno;
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	if (swapped && unlinkat(dirfd, tmp, 0) < 0) {
		/* NAME was a directory (unlink says EISDIR): put it back and fail as rename would. */
		e = errno;
		(void)renameat2(dirfd, tmp, dirfd, name, RENAME_EXCHANGE);
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

int fileio_swap(int dirfd, const char *name, const char *spare, const void *text, size_t len,
		mode_t mode)
{
	int fd, e, swapped;

	fd = openat(dirfd, spare, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = openat(dirfd, spare, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		/* fchmod: the umask must not narrow a file another user (a collector) has to read. */
		if (fd >= 0 && fchmod(fd, mode) < 0) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
	}
	if (fd < 0)
		return -1;
	/* Overwrite, then cut to length: O_TRUNC would make ext4 flush on close. */
	if (fileio_write_all(fd, text, len) < 0 || ftruncate(fd, (off_t)len) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return exchange(dirfd, spare, name, &swapped);
}

char *fileio_read(const char *path, size_t max, int nofollow, size_t *len)
{
	struct stat st;
	size_t n = 0;
	char *buf;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		e = fstat(fd, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EINVAL : EFBIG;
		close(fd);
		errno = e;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

char *fileio_read_secret(const char *path, char *err, size_t errlen)
{
	char buf[4098];
	size_t n = 0;
	ssize_t r;
	char *s = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	while (n < sizeof buf - 1 && ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0 ||
				       (r < 0 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if (n == 0 || n > 4096) {
		snprintf(err, errlen, "%s: %s", path, n ? "longer than 4096 bytes" : "empty");
	} else {
		size_t i = 0;
		while (i < n && (unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f)
			i++;
		if (i < n)
			snprintf(err, errlen, "%s: holds a control character", path);
		else if (!(s = strdup(buf)))
			snprintf(err, errlen, "out of memory");
	}
	explicit_bzero(buf, sizeof buf);
	return s;
}
