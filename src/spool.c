/* The spool: timestamped reports (influx, webhook) that could not be delivered, kept under STATE_DIR/spool for a later run. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
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

static int is_entry_name(const char *name)
{
	/* Dot files are temporaries being written. */
	return name[0] != '.' && strlen(name) < sizeof ((struct spool_entry *)0)->name;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The spool's entry names, sorted oldest first. Returns how many, or -1. */
static ssize_t list_names(int fd, char ***names)
{
	DIR *d;
	struct dirent *de;
	size_t n = 0, cap = 0;
	char **v = NULL;
	int dfd = dup(fd);

	*names = NULL;
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!is_entry_name(de->d_name))
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

static void free_names(char **names, ssize_t n)
{
	for (ssize_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static void load(struct spool *sp)
{
	char **names;
	ssize_t n = list_names(sp->fd, &names);

	if (n <= 0) {
		free(names);
		return;
	}
	sp->entries = calloc((size_t)n, sizeof *sp->entries);
	for (ssize_t i = 0; sp->entries && i < n; i++) {
		struct spool_entry *e = &sp->entries[sp->n];
		size_t len;
		char *buf = fileio_read_at(sp->fd, names[i], MAX_FILE, &len, NULL);

		if (!buf && errno == ENOENT)
			continue;
		if (!buf || spool_decode(buf, len, e) < 0) {
			/* Kept, it would be retried and fail forever; it cannot be sent anyway. */
			diag_error("spool %s: dropped unreadable record %s", sp->dir, names[i]);
			unlinkat(sp->fd, names[i], 0);
			free(buf);
			continue;
		}
		free(buf);
		snprintf(e->name, sizeof e->name, "%s", names[i]);
		sp->n++;
	}
	free_names(names, n);
}

int spool_open(struct spool *sp, const char *state_dir)
{
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
	/* Another run holding the lock is delivering these very records: leave them to it. */
	if (flock(sp->fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? 0 : -1;
	sp->locked = 1;
	load(sp);
	return 0;
refused:
	if (errno == ENOENT)
		return 0;
	sp->dir[0] = '\0';
	return 0;
}

int spool_add(struct spool *sp, struct spool_entry *e, int durable, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	/* Zero-padded, so that names sort as times do. */
	snprintf(e->name, sizeof e->name, "%020" PRId64 "-%s-%s.%s",
		 e->start_us > 0 ? e->start_us : 0, e->job, e->run_id, e->sink);
	if (!sp->dir[0]) {
		snprintf(err, errlen, "the spool is not used: its directory is not safe");
		return -1;
	}
	if (sp->fd < 0) {
		if (fileio_mkdirs(sp->dir, 0700) < 0 ||
		    (sp->fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
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
	/* Atomic, so a reader finds the record whole or absent; durable when asked. */
	if (fileio_replace(sp->fd, e->name, text, len, 0600, durable) < 0) {
		snprintf(err, errlen, "cannot write %s/%s: %s", sp->dir, e->name, strerror(errno));
		rc = -1;
	}
	free(text);
	return rc;
}

int spool_keep(struct spool *sp, const char *name)
{
	int fd, rc;

	if (sp->fd < 0) {
		errno = ENOENT;
		return -1;
	}
	fd = openat(sp->fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fdatasync(fd);
	close(fd);
	return rc;
}

int spool_remove(struct spool *sp, const char *name)
{
	if (sp->fd < 0) {
		errno = ENOENT;
		return -1;
	}
	if (unlinkat(sp->fd, name, 0) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

void spool_close(struct spool *sp, unsigned max)
{
	char **names = NULL;
	ssize_t n = 0;

	/* The bound is kept by the lock holder; a run that could not lock tries once more, so
	 * the spool never grows past it for long. */
	if (sp->fd >= 0 && !sp->locked && flock(sp->fd, LOCK_EX | LOCK_NB) == 0)
		sp->locked = 1;
	if (sp->locked && (n = list_names(sp->fd, &names)) > (ssize_t)max) {
		for (ssize_t i = 0; i < n - (ssize_t)max; i++) {
			if (unlinkat(sp->fd, names[i], 0) == 0)
				diag_error("spool %s is full (--spool-max %u): dropped the oldest record, %s",
					   sp->dir, max, names[i]);
		}
	}
	if (names)
		free_names(names, n);
	for (size_t i = 0; i < sp->n; i++)
		spool_entry_free(&sp->entries[i]);
	free(sp->entries);
	if (sp->fd >= 0)
		close(sp->fd);   /* also releases the lock */
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
}
