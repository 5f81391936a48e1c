/* Preflight: every file a run will need, checked before the splay, and what the spool may send. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "fileio.h"
#include "preflight.h"
#include "safedir.h"

/* How a file is used, which decides what is said about who can read it. */
enum kind { PUBLIC, PRIVATE_KEY, SECRET };

/* Checks the file PATH given as --OPTION: it opens (O_NONBLOCK: a FIFO put there must not
 * hang us) and is a regular file. Returns 0, or -1 with ERR. */
static int check_file(const char *option, const char *path, enum kind kind, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "--%s: cannot read %s: %s", option, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "--%s: cannot read %s: not a regular file", option, path);
		return -1;
	}
	close(fd);
	/* A warning, not an error: refusing it would stop every job at once over a mode that
	 * only the administrator can fix. */
	if (kind != PUBLIC && (st.st_mode & S_IROTH))
		diag_error("--%s %s is readable by every user: chmod o-r %s", option, path, path);
	if (kind == SECRET) {
		/* What the sink or etcd will read later, read now: an empty file or a second
		 * line is found before the splay, not after it. */
		char *secret = fileio_read_secret(path, err, errlen);

		if (!secret)
			return -1;
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	return 0;
}

/* Returns 0, or 1 after saying on stderr why the state directory is refused. It is walked
 * from "/" (safedir_walk), so no directory above it lets another user rename it away or
 * make it first, and the run after the splay finds the one checked here. Missing, it is
 * made now, by the same walk (not in a dry run, which makes nothing). The spool in it is
 * checked as spool_open will: refused, it is said here, once, before the splay. */
static int check_state_dir(const char *dir, int create)
{
	mode_t mode = !create ? 0 : geteuid() == 0 ? 0755 : 0700;
	char err[1024], *spool = NULL;
	int fd = safedir_walk(dir, "state dir", SAFEDIR_DATA, mode, err, sizeof err), sfd;

	if (fd < 0 && errno == ENOENT && !create)
		return 0;
	if (fd < 0) {
		diag_error("%s; this run's record is not kept and its spool is not used", err);
		return 1;
	}
	sfd = openat(fd, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0 && (errno == ELOOP || errno == ENOTDIR))
		diag_error("spool %s/spool is a symlink or not a directory; its records are not sent",
			   dir);
	/* Its name for messages on the heap: a path buffer here would deepen the stack that
	 * stays resident while the command runs. */
	else if (sfd >= 0 && asprintf(&spool, "%s/spool", dir) >= 0 &&
		 safedir_check(sfd, "spool", spool, SAFEDIR_DATA, err, sizeof err) < 0)
		diag_error("%s; its records are not sent", err);
	free(spool);
	if (sfd >= 0)
		close(sfd);
	close(fd);
	return 0;
}

int preflight_check(const struct options *o, char *err, size_t errlen)
{
	const struct {
		const char *option, *path;
		enum kind kind;
	} files[] = {
		{ "influx-token-file", o->influx_token_file, SECRET },
		{ "influx-password-file", o->influx_password_file, SECRET },
		{ "etcd-password-file", o->etcd_password_file, SECRET },
		{ "ca-file", o->ca_file, PUBLIC },
		{ "client-cert", o->client_cert, PUBLIC },
		{ "client-key", o->client_key, PRIVATE_KEY },
		{ "etcd-ca-file", o->etcd_ca_file, PUBLIC },
		{ "etcd-cert", o->etcd_cert, PUBLIC },
		{ "etcd-key", o->etcd_key, PRIVATE_KEY },
	};

	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (check_file(files[i].option, files[i].path, files[i].kind, err, errlen) < 0)
			return -1;
	/* A missing textfile dir is a configuration error found now, not after the splay. An
	 * unsafe one is the sink's to refuse, in its one line, the run going on. */
	if (o->textfile_dir) {
		int fd = safedir_walk(o->textfile_dir, "textfile dir", SAFEDIR_COLLECTED, 0, err,
				      errlen);

		if (fd < 0 && errno == ENOENT)
			return -1;
		if (fd >= 0)
			close(fd);
	}
	return check_state_dir(o->state_dir, !o->dry_run);
}
