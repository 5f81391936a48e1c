/* Directory trust: whether no other local user can have made, swapped or filled a directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "safedir.h"

static int others_write(const struct stat *st)
{
	return (st->st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

/* safedir_check on what fstat(FD) gave, *ST, for a process whose effective uid is ME. */
static int judge(int fd, const struct stat *st, uid_t me, const char *what, const char *path,
		 enum safedir_use use, char *err, size_t errlen)
{
	if (!S_ISDIR(st->st_mode))
		return diag_fail(err, errlen, ENOTDIR, "%s %s is not a directory", what, path);
	if (use == SAFEDIR_PRIVATE) {
		if (st->st_uid != me)
			return diag_fail(err, errlen, EPERM,
				    "%s %s is owned by uid %u, not by us (uid %u): remove it (rm -r %s)",
				    what, path, (unsigned)st->st_uid, (unsigned)me, path);
		if (others_write(st))
			return diag_fail(err, errlen, EPERM,
				    "%s %s is writable by other users (mode %04o): remove it (rm -r %s)",
				    what, path, (unsigned)(st->st_mode & 07777), path);
		/* Ours and nobody else's to write, but maybe theirs to enter: a file opened in
		 * it before now is not revoked, which is why lock files are checked too. */
		if ((st->st_mode & 077) && fchmod(fd, st->st_mode & 07700) < 0)
			return diag_fail(err, errlen, errno, "%s %s: cannot make it private: %s", what, path,
				    strerror(errno));
		return 0;
	}
	if (use == SAFEDIR_READ && others_write(st))
		return diag_fail(err, errlen, EPERM,
			    "%s %s is writable by other users (mode %04o): its files may be anyone's; refusing it",
			    what, path, (unsigned)(st->st_mode & 07777));
	if (use == SAFEDIR_READ)
		return 0;
	if (st->st_uid != me && st->st_uid != 0)
		return diag_fail(err, errlen, EPERM,
			    "%s %s is owned by uid %u, neither us (uid %u) nor root: remove it or chown it",
			    what, path, (unsigned)st->st_uid, (unsigned)me);
	if (!others_write(st))
		return 0;
	/* Writable by others: they could rename ours away and put theirs in its place, unless
	 * the sticky bit reserves that to each file's owner. */
	if (!(st->st_mode & S_ISVTX))
		return diag_fail(err, errlen, EPERM,
			    "%s %s is writable by other users (mode %04o): chmod go-w %s, or remove it",
			    what, path, (unsigned)(st->st_mode & 07777), path);
	/* Sticky, even ours (/tmp is root's): others may still plant files under the names we
	 * read and write (NAME.json, its spare, a .prom, a spool entry), and every reader would
	 * have to tell theirs from ours. A data directory is one only we can add files to. */
	if (use == SAFEDIR_DATA || use == SAFEDIR_COLLECTED)
		return diag_fail(err, errlen, EPERM,
			    "%s %s is writable by other users (mode %04o, sticky): use a directory only we can write",
			    what, path, (unsigned)(st->st_mode & 07777));
	return 0;
}

int safedir_check(int fd, const char *what, const char *path, enum safedir_use use, char *err,
		  size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return diag_fail(err, errlen, errno, "%s %s: %s", what, path, strerror(errno));
	return judge(fd, &st, geteuid(), what, path, use, err, errlen);
}

int safedir_open(const char *path, const char *what, enum safedir_use use, char *err,
		 size_t errlen)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	struct stat st;

	/* With O_DIRECTORY a symlink fails as ENOTDIR, without it as ELOOP. */
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) && lstat(path, &st) == 0 &&
	    S_ISLNK(st.st_mode))
		return diag_fail(err, errlen, ELOOP, "%s %s is a symlink; refusing it", what, path);
	if (fd < 0) {
		return diag_fail(err, errlen, errno, "cannot open %s %s: %s", what, path, strerror(errno));
	}
	if (safedir_check(fd, what, path, use, err, errlen) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Opens the directory NAME in the directory DFD, never through a symlink, making it with
 * MODE when missing and asked to. */
static int open_component(int dfd, const char *name, mode_t mode)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0 || errno != ENOENT || mode == 0)
		return fd;
	/* EEXIST: another run made it between the two calls; the checks below judge it. */
	if (mkdirat(dfd, name, mode) < 0 && errno != EEXIST)
		return -1;
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The directory part of a trusted symlink check: whether DIR (a symlink-free absolute path,
 * "" for "/") is one no other user can write, so nobody else can have made or changed a
 * symlink in it. */
static int private_parent(const char *dir)
{
	struct stat st;

	return stat(dir[0] ? dir : "/", &st) == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_uid == 0 || st.st_uid == geteuid()) && !others_write(&st);
}

int safedir_resolve_n(const char *path, size_t plen, char *out, size_t outlen, char *err,
		      size_t errlen)
{
	/* What is left to resolve is read from PATH itself until a symlink is followed; only
	 * then does it take a buffer of its own, on the heap: a deep stack stays resident while
	 * the command runs. */
	char *buf = NULL, *target = NULL, *res = out;
	const char *rest = path, *end = path + plen;
	size_t rn = 0;
	int links = 0, rc = -1, pl = plen < 200 ? (int)plen : 200;   /* in messages */

	if (plen == 0 || path[0] != '/' || plen >= PATH_MAX || outlen < 2)
		return diag_fail(err, errlen, EINVAL, "%.*s: not an absolute path, or too long", pl,
				 path);
	res[0] = '\0';
	while (rest < end) {
		const char *p = rest;
		char comp[256];
		size_t n = 0, rl;
		struct stat st;
		ssize_t tn;

		while (p < end && *p == '/')
			p++;
		while (p + n < end && p[n] != '/')
			n++;
		if (n >= sizeof comp) {
			diag_fail(err, errlen, ENAMETOOLONG, "%.*s: a name too long", pl, path);
			goto out;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		rest = p + n;
		if (n == 0 || strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			/* RES holds no symlink, so its parent is the lexical one. */
			char *slash = strrchr(res, '/');

			rn = slash ? (size_t)(slash - res) : 0;
			res[rn] = '\0';
			continue;
		}
		if (rn + 1 + n >= outlen || rn + 1 + n >= PATH_MAX) {
			diag_fail(err, errlen, ENAMETOOLONG, "%.*s: path too long", pl, path);
			goto out;
		}
		res[rn] = '/';
		memcpy(res + rn + 1, comp, n + 1);
		if (lstat(res, &st) < 0 || !S_ISLNK(st.st_mode)) {
			/* Missing or not a symlink: the walk that follows judges it. */
			rn += 1 + n;
			continue;
		}
		res[rn] = '\0';
		/* Followed only where nobody else can have made it or can change it: /var/lock,
		 * root's, in root's /var, is; one in /tmp, or another user's, is not. */
		if ((st.st_uid != 0 && st.st_uid != geteuid()) || !private_parent(res)) {
			diag_fail(err, errlen, EPERM, "%s/%s is a symlink %s; refusing it", res, comp,
				  st.st_uid != 0 && st.st_uid != geteuid() ? "of another user"
				  : "in a directory other users can write");
			goto out;
		}
		if (++links > 40) {
			diag_fail(err, errlen, ELOOP, "%.*s: too many symlinks", pl, path);
			goto out;
		}
		if ((!buf && !(buf = malloc(PATH_MAX))) || (!target && !(target = malloc(PATH_MAX)))) {
			diag_fail(err, errlen, ENOMEM, "out of memory");
			goto out;
		}
		res[rn] = '/';
		tn = readlink(res, target, PATH_MAX - 1);
		res[rn] = '\0';
		if (tn < 0) {
			diag_fail(err, errlen, errno, "%.*s: %s", pl, path, strerror(errno));
			goto out;
		}
		rl = (size_t)(end - rest);
		if ((size_t)tn + 1 + rl >= PATH_MAX) {
			diag_fail(err, errlen, ENAMETOOLONG, "%.*s: path too long", pl, path);
			goto out;
		}
		/* The target, then what was left after the symlink (REST may be in BUF already). */
		memmove(buf + tn + 1, rest, rl);
		memcpy(buf, target, (size_t)tn);
		buf[tn] = '/';
		rest = buf;
		end = buf + tn + 1 + rl;
		if (target[0] == '/')
			res[rn = 0] = '\0';
	}
	if (!res[0])
		strcpy(res, "/");
	rc = 0;
out:
	free(buf);
	free(target);
	return rc;
}

int safedir_resolve(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	return safedir_resolve_n(path, strlen(path), out, outlen, err, errlen);
}

/* PATH into BUF with the symlinks above its last component resolved where they are
 * trusted (safedir_resolve): /var/lib may be a symlink of root's; the last component is
 * never followed. */
static int resolve_parent(const char *path, char *buf, size_t len, const char *what, char *err,
			  size_t errlen)
{
	const char *last;
	char why[512];
	size_t n = strlen(path), pn;

	while (n > 1 && path[n - 1] == '/')
		n--;
	last = path + n;
	while (last > path && last[-1] != '/')
		last--;
	pn = (size_t)(last - path);
	if (safedir_resolve_n(path, pn, buf, len, why, sizeof why) < 0)
		return diag_fail(err, errlen, errno, "%s %s: %s", what, path, why);
	pn = strlen(buf);
	if ((size_t)snprintf(buf + pn, len - pn, "%s%.*s", strcmp(buf, "/") == 0 ? "" : "/",
			     (int)(path + n - last), last) >= len - pn)
		return diag_fail(err, errlen, ENAMETOOLONG, "%s %.200s: path too long", what, path);
	return 0;
}

/* The walk of safedir_walk over BUF, an absolute path with no symlink left to resolve,
 * which it cuts and mends as it goes; the messages name the first PLEN bytes of PATH, what
 * the caller asked for. Returns the last directory's descriptor, not yet checked for its
 * use, or -1 with errno and ERR. */
static int walk(char *buf, const char *path, int plen, const char *what, enum safedir_use use,
		mode_t mode, char *err, size_t errlen)
{
	int fd, shared = 0;
	char *p, *next;
	struct stat st;
	uid_t me = geteuid();

	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return diag_fail(err, errlen, errno, "cannot open /: %s", strerror(errno));
	for (p = buf + 1; *p; p = next) {
		int nfd;

		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		else
			next = p + strlen(p);
		if (p[0] == '\0' || strcmp(p, ".") == 0) {
			if (*next)
				next[-1] = '/';
			continue;
		}
		/* The directory we are in must not let anyone else change what we open next. */
		p[-1] = '\0';
		if (fstat(fd, &st) < 0) {
			diag_fail(err, errlen, errno, "%s: %s", buf[0] ? buf : "/", strerror(errno));
			goto out;
		}
		shared = others_write(&st);
		if (!(use == SAFEDIR_COLLECTED && !shared) &&
		    judge(fd, &st, me, "directory", buf[0] ? buf : "/", SAFEDIR_PARENT, err, errlen) < 0)
			goto out;
		p[-1] = '/';
		if (strcmp(p, "..") == 0) {
			diag_fail(err, errlen, EINVAL, "%s %.*s: \"..\" in the path", what, plen, path);
			goto out;
		}
		nfd = open_component(fd, p, mode);
		if (nfd < 0) {
			if (errno == ELOOP || errno == ENOTDIR)
				diag_fail(err, errlen, errno, "%s %.*s: %s is not a directory (a symlink?)",
				     what, plen, path, buf);
			else
				diag_fail(err, errlen, errno, "%s %.*s: cannot %s %s: %s", what, plen, path,
				     mode && errno != EACCES ? "create" : "open", buf, strerror(errno));
			goto out;
		}
		close(fd);
		fd = nfd;
		/* In a sticky shared directory (/tmp) anyone may have made this name first. */
		if (shared && fstat(fd, &st) < 0) {
			diag_fail(err, errlen, errno, "%s: %s", buf, strerror(errno));
			goto out;
		}
		if (shared && st.st_uid != me) {
			diag_fail(err, errlen, EPERM,
			     "%s %.*s: %s is owned by uid %u, not by us (uid %u), in a directory anyone "
			     "can write: remove it (rm -r %s)",
			     what, plen, path, buf, (unsigned)st.st_uid, (unsigned)me, buf);
			goto out;
		}
		if (*next)
			next[-1] = '/';
	}
	return fd;
out:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* FD, once the directory it is passes safedir_check for USE; else closed, -1. */
static int checked(int fd, const char *what, const char *path, enum safedir_use use, char *err,
		   size_t errlen)
{
	int e;

	if (fd < 0 || safedir_check(fd, what, path, use, err, errlen) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

int safedir_walk(const char *path, const char *what, enum safedir_use use, mode_t mode,
		 char *err, size_t errlen)
{
	char buf[4096];

	if (path[0] != '/' || strlen(path) >= sizeof buf)
		return diag_fail(err, errlen, EINVAL, "%s %.200s: not an absolute path, or too long", what,
			    path);
	if (resolve_parent(path, buf, sizeof buf, what, err, errlen) < 0)
		return -1;
	return checked(walk(buf, path, (int)strlen(path), what, use, mode, err, errlen), what, path,
		       use, err, errlen);
}

int safedir_walk_dir_of(const char *path, const char *what, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash && slash > path ? (size_t)(slash - path) : 1;
	char buf[4096], why[512];

	if (path[0] != '/' || n >= sizeof buf)
		return diag_fail(err, errlen, EINVAL, "%s %.200s: not an absolute path, or too long", what,
			    path);
	if (safedir_resolve_n(path, n, buf, sizeof buf, why, sizeof why) < 0)
		return diag_fail(err, errlen, errno, "%s %.*s: %s", what, (int)n, path, why);
	return checked(walk(buf, path, (int)n, what, SAFEDIR_PARENT, 0, err, errlen), what, buf,
		       SAFEDIR_PARENT, err, errlen);
}
