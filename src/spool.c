/* The spool: timestamped reports (influx, webhook) that could not be delivered, kept under STATE_DIR/spool for a later run. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "diag.h"
#include "safedir.h"
#include "spool.h"
#include "state.h"

#define SPOOL_MAGIC "cronguard-spool 1"
enum { MAX_FILE = 16 << 20 };

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int spool_encode(FILE *out, const struct spool_entry *e)
{
	if (has_control(e->url) || has_control(e->content_type) || has_control(e->sink) ||
	    has_control(e->auth) || has_control(e->job) || has_control(e->run_id))
		return -1;
	fprintf(out, SPOOL_MAGIC "\nsink %s\nauth %s\njob %s\nrun-id %s\nstart-us %" PRId64
		"\nurl %s\ncontent-type %s\n\n", e->sink, e->auth, e->job, e->run_id, e->start_us,
		e->url, e->content_type);
	fwrite(e->body, 1, e->body_len, out);
	return ferror(out) ? -1 : 0;
}

/* Copies a header value into a fixed field; refuses what does not fit. */
static int set_field(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static char *dup_field(const char *v, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, v, n);
		s[n] = '\0';
	}
	return s;
}

static int parse_header(struct spool_entry *e, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);
	size_t klen, vlen;
	const char *v;
	char num[24];
	char *end;

	if (!sp)
		return -1;
	klen = (size_t)(sp - line);
	v = sp + 1;
	vlen = len - klen - 1;
	for (size_t i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
#define KEY(k) (klen == sizeof k - 1 && memcmp(line, k, klen) == 0)
	if (KEY("sink"))
		return set_field(e->sink, sizeof e->sink, v, vlen);
	if (KEY("auth"))
		return set_field(e->auth, sizeof e->auth, v, vlen);
	if (KEY("job"))
		return set_field(e->job, sizeof e->job, v, vlen);
	if (KEY("run-id"))
		return set_field(e->run_id, sizeof e->run_id, v, vlen);
	if (KEY("start-us")) {
		if (set_field(num, sizeof num, v, vlen) < 0)
			return -1;
		errno = 0;
		e->start_us = strtoll(num, &end, 10);
		return errno || end == num || *end ? -1 : 0;
	}
	if (KEY("url")) {
		free(e->url);
		return (e->url = dup_field(v, vlen)) ? 0 : -1;
	}
	if (KEY("content-type")) {
		free(e->content_type);
		return (e->content_type = dup_field(v, vlen)) ? 0 : -1;
	}
#undef KEY
	/* Keys from a later version are skipped: an older binary still resends the record. */
	return 0;
}

int spool_decode(const char *buf, size_t len, struct spool_entry *e)
{
	const char *p = buf, *end = buf + len;
	size_t mlen = sizeof SPOOL_MAGIC - 1;

	memset(e, 0, sizeof *e);
	e->fd = -1;
	if (len <= mlen || memcmp(buf, SPOOL_MAGIC "\n", mlen + 1) != 0)
		return -1;
	p += mlen + 1;
	for (;;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			goto bad;
		if (nl == p)
			break;
		if (parse_header(e, p, (size_t)(nl - p)) < 0)
			goto bad;
		p = nl + 1;
	}
	p++;
	if (!e->url || !e->content_type || !e->sink[0] || !e->run_id[0] ||
	    (strcmp(e->auth, "none") != 0 && strcmp(e->auth, "influx") != 0))
		goto bad;
	e->body_len = (size_t)(end - p);
	e->body = dup_field(p, e->body_len);
	if (!e->body)
		goto bad;
	return 0;
bad:
	spool_entry_free(e);
	return -1;
}

void spool_entry_free(struct spool_entry *e)
{
	free(e->url);
	free(e->content_type);
	free(e->body);
	e->url = e->content_type = e->body = NULL;
	e->body_len = 0;
}

static int is_uuid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

int spool_name_parse(const char *name, char job[65], char sink[16], unsigned *refusals)
{
	size_t len = strlen(name), mid;
	const char *m, *dash = NULL;
	unsigned n = 0;

	if (len >= 2 && name[len - 2] == '.' && name[len - 1] >= '1' && name[len - 1] <= '9') {
		n = (unsigned)(name[len - 1] - '0');
		len -= 2;
	}
	if (len > 7 && memcmp(name + len - 7, ".influx", 7) == 0) {
		snprintf(sink, 16, "influx");
		len -= 7;
	} else if (len > 8 && memcmp(name + len - 8, ".webhook", 8) == 0) {
		snprintf(sink, 16, "webhook");
		len -= 8;
	} else {
		return -1;
	}
	if (len < 24 || name[20] != '-')
		return -1;
	for (int i = 0; i < 20; i++)
		if (name[i] < '0' || name[i] > '9')
			return -1;
	m = name + 21;
	mid = len - 21;
	/* JOB-RUN_ID: a run id is a UUID, and a job name may hold dashes itself. */
	if (mid >= 38 && m[mid - 37] == '-' && is_uuid(m + mid - 36))
		dash = m + mid - 37;
	else
		for (const char *c = m + mid; c > m; c--)
			if (c[-1] == '-') {
				dash = c - 1;
				break;
			}
	if (!dash || dash == m || (size_t)(dash - m) >= 65 || dash + 1 == m + mid)
		return -1;
	memcpy(job, m, (size_t)(dash - m));
	job[dash - m] = '\0';
	*refusals = n;
	return 0;
}

static int is_entry_name(const char *name)
{
	char job[65], sink[16];
	unsigned n;

	/* Dot files are temporaries being written; "dead" and strays are not entries. */
	return name[0] != '.' && strlen(name) < sizeof ((struct spool_entry *)0)->name &&
	       spool_name_parse(name, job, sink, &n) == 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name that is an entry's but not a regular file (a directory, a link, a FIFO): known
 * from the listing alone, so any run sets it aside without opening it. */
static int odd_entry(const struct dirent *de)
{
	return de->d_type != DT_REG && de->d_type != DT_UNKNOWN && is_entry_name(de->d_name);
}

/* The names in directory FD that KEEP accepts, sorted; with ODD, the names odd_entry finds
 * are left out and kept there (*NODD of them). Returns how many, or -1. */
static ssize_t list_names(int fd, int (*keep)(const char *), char ***names, char ***odd,
			  size_t *nodd)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0, cap = 0;
	char **v = NULL;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*names = NULL;
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (odd && odd_entry(de)) {
			char **no = realloc(*odd, (*nodd + 1) * sizeof *no);

			if (no && (no[*nodd] = strdup(de->d_name)))
				(*nodd)++;
			if (no)
				*odd = no;
			continue;
		}
		if (!keep(de->d_name))
			continue;
		if (n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, name_cmp);
	*names = v;
	return (ssize_t)n;
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int open_dir(struct spool *sp)
{
	sp->fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return sp->fd < 0 ? -1 : 0;
}

/* The dead-letter directory, created on first use. Returns its fd or -1. */
static int dead_dir(struct spool *sp)
{
	int fd;

	if (mkdirat(sp->fd, "dead", 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(sp->fd, "dead", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* Moves NAME out of the way into dead/ (AS its new name there). Returns 0 or -1. */
static int move_dead(struct spool *sp, const char *name, const char *as)
{
	int dfd = dead_dir(sp), rc;

	if (dfd < 0)
		return -1;
	rc = renameat(sp->fd, name, dfd, as);
	close(dfd);
	return rc;
}

/* Kept in place, an unreadable entry would be tried and fail on every run; removed, a
 * directory or a stranger's file would be lost. Out of the way, it waits for a person. */
static void set_aside(struct spool *sp, const char *name)
{
	if (move_dead(sp, name, name) == 0)
		diag_alert("spool %s: %s is not a readable record; moved to %s/dead", sp->dir, name,
			   sp->dir);
	else
		diag_alert("spool %s: %s is not a readable record and cannot be moved: %s", sp->dir,
			   name, strerror(errno));
}

int spool_open(struct spool *sp, const char *state_dir)
{
	char **odd = NULL;
	size_t nodd = 0;
	ssize_t n;

	char why[1024];
	int sfd, e;

	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	if ((size_t)snprintf(sp->dir, sizeof sp->dir, "%s/spool", state_dir) >= sizeof sp->dir)
		return -1;
	/* A spool entry names the URL it goes to: a spool others could write to, or swap, is
	 * neither read nor written (preflight_check has said so on stderr). */
	if ((sfd = safedir_open(state_dir, "state dir", SAFEDIR_DATA, why, sizeof why)) < 0)
		goto refused;
	sp->fd = openat(sfd, "spool", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(sfd);
	errno = e;
	if (sp->fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		goto refused;
	if (sp->fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (safedir_check(sp->fd, "spool", sp->dir, SAFEDIR_DATA, why, sizeof why) < 0) {
		close(sp->fd);
		sp->fd = -1;
		goto refused;
	}
	n = list_names(sp->fd, is_entry_name, &sp->names, &odd, &nodd);
	for (size_t i = 0; i < nodd; i++) {
		set_aside(sp, odd[i]);
		free(odd[i]);
	}
	free(odd);
	if (n < 0)
		return -1;
	sp->n = (size_t)n;
	return 0;
refused:
	if (errno == ENOENT)
		return 0;
	sp->dir[0] = '\0';
	return 0;
}

/* Whether FD, locked, is still the file NAME: the run that owned it may have removed or
 * renamed it between our open and our lock. */
static int still_there(int dirfd, const char *name, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && a.st_nlink > 0 &&
	       fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Locks the listed entry NAME for this run. Returns its fd, -2 when another run owns it or
 * it is gone, -1 (errno) when it cannot be opened as an entry. */
static int lock_entry(struct spool *sp, const char *name)
{
	/* O_NONBLOCK: a FIFO planted here must not hang the run. */
	int fd = openat(sp->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? -2 : -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int busy = errno == EWOULDBLOCK;

		close(fd);
		return busy ? -2 : -1;
	}
	if (!still_there(sp->fd, name, fd)) {
		close(fd);
		return -2;
	}
	return fd;
}

int spool_claim(struct spool *sp, size_t i, struct spool_entry *e)
{
	const char *name = sp->names[i];
	char job[65], sink[16];
	unsigned refusals = 0;
	size_t len = 0;
	char *buf;
	int fd;

	memset(e, 0, sizeof *e);
	e->fd = -1;
	spool_name_parse(name, job, sink, &refusals);
	fd = lock_entry(sp, name);
	if (fd == -2)
		return 1;
	buf = fd >= 0 ? fileio_read_fd(fd, MAX_FILE, &len) : NULL;
	if (!buf || spool_decode(buf, len, e) < 0) {
		set_aside(sp, name);
		free(buf);
		if (fd >= 0)
			close(fd);
		memset(e, 0, sizeof *e);
		e->fd = -1;
		return -1;
	}
	free(buf);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->refusals = refusals;
	e->fd = fd;
	return 0;
}

int spool_add(struct spool *sp, struct spool_entry *e, int durable, char *err, size_t errlen)
{
	char *text = NULL, tmp[256];
	size_t len = 0;
	FILE *f;
	int rc, fd;

	e->fd = -1;
	e->refusals = 0;
	/* Zero-padded, so that names sort as times do. */
	snprintf(e->name, sizeof e->name, "%020" PRId64 "-%s-%s.%s",
		 e->start_us > 0 ? e->start_us : 0, e->job, e->run_id, e->sink);
	if (!sp->dir[0]) {
		snprintf(err, errlen, "the spool is not used: its directory is not safe");
		return -1;
	}
	if (sp->fd < 0) {
		if (fileio_mkdirs(sp->dir, 0700) < 0 || open_dir(sp) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", sp->dir, strerror(errno));
			return -1;
		}
		if (safedir_check(sp->fd, "spool", sp->dir, SAFEDIR_DATA, err, errlen) < 0) {
			close(sp->fd);
			sp->fd = -1;
			return -1;
		}
	}
	f = open_memstream(&text, &len);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = spool_encode(f, e);
	if (fclose(f) != 0 || rc < 0) {
		free(text);
		snprintf(err, errlen, "cannot encode the record");
		return -1;
	}
	/* Written beside its name and locked before the rename: no other run ever sees the
	 * record unowned, half written or not at all. */
	snprintf(tmp, sizeof tmp, ".%s.%ld", e->name, (long)getpid());
	fd = openat(sp->fd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || fileio_write_all(fd, text, len) < 0 ||
	    (durable && fdatasync(fd) < 0) || renameat(sp->fd, tmp, sp->fd, e->name) < 0) {
		snprintf(err, errlen, "cannot write %s/%s: %s", sp->dir, e->name, strerror(errno));
		if (fd >= 0) {
			unlinkat(sp->fd, tmp, 0);
			close(fd);
		}
		free(text);
		return -1;
	}
	free(text);
	e->fd = fd;
	sp->added++;
	return 0;
}

void spool_release(struct spool_entry *e)
{
	if (e->fd >= 0)
		close(e->fd);   /* also releases the lock */
	e->fd = -1;
}

int spool_done(struct spool *sp, struct spool_entry *e)
{
	int rc = 0;

	/* Removed while still locked: a run that opened it meanwhile finds it gone. */
	if (sp->fd < 0 || (unlinkat(sp->fd, e->name, 0) < 0 && errno != ENOENT))
		rc = -1;
	spool_release(e);
	return rc;
}

int spool_defer(struct spool *sp, struct spool_entry *e, int refused, int *dead)
{
	char to[sizeof e->name + 4];
	size_t base = strlen(e->name);
	int rc = 0;

	*dead = 0;
	if (e->fd >= 0 && fdatasync(e->fd) < 0)
		rc = -1;
	if (refused && sp->fd >= 0) {
		unsigned n = e->refusals + 1;

		if (e->refusals > 0)
			base -= 2;
		snprintf(to, sizeof to, "%.*s.%u", (int)base, e->name, n);
		/* Renamed, not rewritten: the inode, and so our lock on it, stays. */
		if (n >= SPOOL_MAX_REFUSALS) {
			if (move_dead(sp, e->name, to) == 0)
				*dead = 1;
			else
				rc = -1;
		} else if (renameat(sp->fd, e->name, sp->fd, to) == 0) {
			/* Fits: the name only ever grows by ".N" once (at most 1 + 1 bytes). */
			if (strlen(to) < sizeof e->name)
				memcpy(e->name, to, strlen(to) + 1);
			e->refusals = n;
		} else {
			rc = -1;
		}
	}
	spool_release(e);
	return rc;
}

void spool_close(struct spool *sp, unsigned max)
{
	char **names = NULL;
	ssize_t n = 0;

	/* Entries another run owns are passed over: the bound is kept by whichever run gets
	 * there next, so the spool never grows past it for long. */
	/* Listed again only when the bound may be passed: a large spool waiting for a receiver
	 * that is down costs one listing a run, not two. */
	if (sp->fd >= 0 && sp->n + sp->added > max &&
	    (n = list_names(sp->fd, is_entry_name, &names, NULL, NULL)) > (ssize_t)max) {
		ssize_t over = n - (ssize_t)max;

		for (ssize_t i = 0; i < n && over > 0; i++) {
			int fd = lock_entry(sp, names[i]);

			if (fd == -2)
				continue;
			if (unlinkat(sp->fd, names[i], 0) == 0)
				diag_alert("spool %s is full (--spool-max %u): dropped the oldest record, %s",
					   sp->dir, max, names[i]);
			over--;
			if (fd >= 0)
				close(fd);
		}
	}
	if (names)
		free_names(names, n > 0 ? (size_t)n : 0);
	free_names(sp->names, sp->n);
	if (sp->fd >= 0)
		close(sp->fd);
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
}

static int any_name(const char *name)
{
	return name[0] != '.';
}

/* How many of NAMES belong to JOB. */
static size_t count_job(char **names, size_t n, const char *job)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++) {
		char j[65], sink[16];
		unsigned r;

		c += spool_name_parse(names[i], j, sink, &r) == 0 && strcmp(j, job) == 0;
	}
	return c;
}

int spool_stats(const char *state_dir, const char *job, size_t *depth, size_t *dead)
{
	struct spool sp;
	char **names = NULL;
	ssize_t n;
	int dfd;

	*depth = *dead = 0;
	if (spool_open(&sp, state_dir) < 0)
		return -1;
	*depth = count_job(sp.names, sp.n, job);
	if (sp.fd >= 0 && (dfd = openat(sp.fd, "dead", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		n = list_names(dfd, any_name, &names, NULL, NULL);
		if (n > 0)
			*dead = count_job(names, (size_t)n, job);
		free_names(names, n > 0 ? (size_t)n : 0);
		close(dfd);
	}
	free_names(sp.names, sp.n);
	if (sp.fd >= 0)
		close(sp.fd);
	return 0;
}
