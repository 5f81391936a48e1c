/* Files: the one whole-file reader (every open of an existing file goes through its rules),
 * whole writes, atomic replaces, and the directories they live in. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
	/* Created afresh: a file planted under the temporary name (a FIFO, a hard link to
	 * another file) is removed, never opened. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
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

/* A descriptor we are about to overwrite in place must be a plain file of its own. */
static int overwritable(const struct stat *st)
{
	if (!S_ISREG(st->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (st->st_nlink > 1) {
		errno = EMLINK;
		return -1;
	}
	return 0;
}

int fileio_check_target(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	return overwritable(&st);
}

int fileio_swap(int dirfd, const char *name, const char *spare, const void *text, size_t len,
		mode_t mode)
{
	struct stat st;
	int fd, e, swapped;

	/* O_NONBLOCK: a FIFO planted as the spare fails the open (ENXIO) or the check below,
	 * rather than blocking us until someone reads it. */
	fd = openat(dirfd, spare, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
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
	/* Checked on the descriptor, so nothing can be swapped in between the check and the
	 * write; a hard link would carry our text into another name's file. */
	if (fstat(fd, &st) < 0 || overwritable(&st) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* Overwrite, then cut to length where the old text was longer: O_TRUNC would make ext4
	 * flush on close, and a truncation to the length the file has is a metadata write too. */
	if (fileio_write_all(fd, text, len) < 0 ||
	    (st.st_size > (off_t)len && ftruncate(fd, (off_t)len) < 0)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return exchange(dirfd, spare, name, &swapped);
}

/* Reads FD to its end into a buffer of at least HINT + 1 bytes, at most MAX bytes. Grown
 * buffers are wiped before they are freed: the reader also reads secrets. */
static char *read_fd(int fd, size_t hint, size_t max, size_t *len)
{
	/* One byte past the hint, so that a file of the size fstat said is read to its end
	 * without growing; one byte past MAX tells a file of MAX bytes from a longer one. */
	size_t n = 0, cap = (hint < max ? hint : max) + 1;
	char *buf = malloc(cap + 1);

	while (buf) {
		ssize_t r;

		if (n == cap) {
			size_t ncap = cap < max / 2 ? cap * 2 + 64 : max + 1;
			char *nb;

			if (n > max || !(nb = malloc(ncap + 1))) {
				explicit_bzero(buf, n);
				free(buf);
				errno = n > max ? EFBIG : ENOMEM;
				return NULL;
			}
			memcpy(nb, buf, n);
			explicit_bzero(buf, n);
			free(buf);
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			explicit_bzero(buf, n);
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	if (n > max) {
		explicit_bzero(buf, n);
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

int fileio_open_at(int dirfd, const char *name, size_t max, struct stat *st)
{
	struct stat sb;
	int fd, e;

	/* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, forever, while we hold
	 * the state directory's lock. O_NOCTTY: a terminal never becomes ours. O_NOATIME: the
	 * state file is rewritten and read on every run, and relatime would journal a new
	 * access time on each read; only the file's owner (or root) may ask for it. */
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
		e = fstat(fd, &sb) < 0 ? errno : !S_ISREG(sb.st_mode) ? EINVAL : EFBIG;
		close(fd);
		errno = e;
		return -1;
	}
	*st = sb;
	return fd;
}

char *fileio_read_at(int dirfd, const char *name, size_t max, size_t *len, struct stat *st)
{
	struct stat sb;
	char *buf;
	int fd = fileio_open_at(dirfd, name, max, &sb), e;

	if (fd < 0)
		return NULL;
	/* The size is a hint: a file may grow while we read (the bound still holds), and some
	 * file systems report 0 for files that have content. */
	buf = read_fd(fd, (size_t)sb.st_size, max, len);
	e = errno;
	close(fd);
	errno = e;
	if (buf && st)
		*st = sb;
	return buf;
}

int fileio_read_lines(int fd, size_t max, int (*fn)(void *ctx, const char *piece, size_t n),
		      void *ctx)
{
	/* On the heap, not the stack: a config read before the command would otherwise leave
	 * 16 KiB of stack resident all run long; the heap's pages go on to serve later needs. */
	size_t cap = 16384, have = 0, total = 0, high = 0;   /* HIGH: bytes ever written */
	char *buf = malloc(cap);
	int rc = 0, e = 0;

	if (!buf) {
		errno = ENOMEM;
		return -1;
	}

	for (;;) {
		const char *last;
		ssize_t r;

		if (have == cap) {
			/* One line longer than the buffer: only then is more memory touched. */
			char *nb = cap < max + 1 ? malloc(2 * cap) : NULL;

			if (!nb) {
				e = cap < max + 1 ? ENOMEM : EFBIG;
				break;
			}
			memcpy(nb, buf, have);
			explicit_bzero(buf, cap);
			free(buf);
			buf = nb;
			cap *= 2;
			high = have;
		}
		r = read(fd, buf + have, cap - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0) {
			if (have)
				rc = fn(ctx, buf, have);
			break;
		}
		if ((total += (size_t)r) > max) {
			e = EFBIG;
			break;
		}
		/* Hand on every whole line; what follows the last newline waits for the rest. */
		last = memrchr(buf + have, '\n', (size_t)r);
		have += (size_t)r;
		if (have > high)
			high = have;
		if (last) {
			size_t cut = (size_t)(last - buf) + 1;

			if ((rc = fn(ctx, buf, cut)) != 0)
				break;
			memmove(buf, buf + cut, have - cut);
			have -= cut;
		}
	}
	/* Wiped as far as it was ever written (what was handed on lies past HAVE): not
	 * further, which would touch pages nothing used. */
	explicit_bzero(buf, high);
	free(buf);
	if (e) {
		errno = e;
		return -1;
	}
	return rc;
}

ssize_t fileio_read_small(int dirfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	e = n == 0 ? EIO : errno;
	close(fd);
	if (n <= 0) {
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	return n;
}

char *fileio_read_fd(int fd, size_t max, size_t *len)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return NULL;
	if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > max) {
		errno = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	return read_fd(fd, (size_t)sb.st_size, max, len);
}

char *fileio_read_path(const char *path, size_t max, size_t *len, struct stat *st)
{
	return fileio_read_at(AT_FDCWD, path, max, len, st);
}

/* The descriptor PATH names as input ("-", /dev/stdin, /dev/fd/N), or -1 for a file. */
static int input_fd(const char *path)
{
	char *end;
	long n;

	if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdin") == 0)
		return 0;
	if (strncmp(path, "/dev/fd/", 8) != 0 || !isdigit((unsigned char)path[8]))
		return -1;
	errno = 0;
	n = strtol(path + 8, &end, 10);
	return *end || errno || n > INT_MAX ? -1 : (int)n;
}

char *fileio_read_input(const char *path, size_t max, size_t *len, struct stat *st)
{
	int fd = input_fd(path);

	/* A descriptor the user handed us (a pipe from <(crontab -l) as often as a file) is
	 * data they chose, not a place another user could have planted something: read it as
	 * it comes, bounded, rather than refuse /dev/fd/N as the symlink it is. */
	if (fd >= 0) {
		if (fcntl(fd, F_GETFD) < 0)
			return NULL;
		return read_fd(fd, 4096, max, len);
	}
	return fileio_read_path(path, max, len, st);
}

const char *fileio_strerror(int e)
{
	switch (e) {
	case ELOOP:
		return "a symbolic link; refusing it";
	case EINVAL:
		return "not a regular file";
	case EFBIG:
		return "too large";
	default:
		return strerror(e);
	}
}

int fileio_mkdirs(const char *dir, mode_t mode)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

char *fileio_read_secret(const char *path, char *err, size_t errlen)
{
	size_t n = 0;
	char *s = fileio_read_path(path, 4097, &n, NULL);

	if (!s) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: longer than 4096 bytes", path);
		else
			snprintf(err, errlen, "cannot read %s: %s", path, fileio_strerror(errno));
		return NULL;
	}
	if (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n == 0 || n > 4096) {
		snprintf(err, errlen, "%s: %s", path, n ? "longer than 4096 bytes" : "empty");
	} else {
		size_t i = 0;

		while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			i++;
		if (i == n)
			return s;
		snprintf(err, errlen, "%s: holds a control character", path);
	}
	explicit_bzero(s, n);
	free(s);
	return NULL;
}
