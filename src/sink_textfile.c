/* The textfile sink: DIR/cronguard_NAME.prom for node_exporter's textfile collector, replaced atomically. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "safedir.h"
#include "sink_pushgateway.h"
#include "sink_textfile.h"

enum { MAX_FAMILIES = 64, MAX_NAME = 200, MAX_OLD = 1 << 20 };

/* The metric family a line belongs to: the name after "# HELP"/"# TYPE", or the sample's
 * name. Other comments and blank lines have none (an empty name). */
static void family_of(const char *line, size_t len, char *name)
{
	size_t i = 0, n = 0;

	if (len >= 7 && (memcmp(line, "# HELP ", 7) == 0 || memcmp(line, "# TYPE ", 7) == 0))
		i = 7;
	else if (len > 0 && line[0] == '#')
		len = 0;
	for (; i < len && line[i] != ' ' && line[i] != '{' && line[i] != '\t' && n + 1 < MAX_NAME; i++)
		name[n++] = line[i];
	name[n] = '\0';
}

/* Steps *P over one line of the text ending at END; returns the line's length without its
 * newline, or -1 at the end. */
static ssize_t next_line(const char **p, const char *end, const char **line)
{
	const char *nl;

	if (*p >= end)
		return -1;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		nl = end;
	*p = nl < end ? nl + 1 : end;
	return nl - *line;
}

int textfile_merge(FILE *out, const char *old, size_t oldlen, const char *fresh, size_t freshlen)
{
	char names[MAX_FAMILIES][MAX_NAME], name[MAX_NAME];
	const char *p, *line;
	size_t nnames = 0;
	ssize_t len;

	for (p = fresh; (len = next_line(&p, fresh + freshlen, &line)) >= 0;) {
		family_of(line, (size_t)len, name);
		if (!name[0] || (nnames > 0 && strcmp(names[nnames - 1], name) == 0))
			continue;
		if (nnames < MAX_FAMILIES)
			strcpy(names[nnames++], name);
	}
	for (p = old; (len = next_line(&p, old + oldlen, &line)) >= 0;) {
		int replaced = 0;

		family_of(line, (size_t)len, name);
		if (!name[0])
			continue;
		for (size_t i = 0; i < nnames && !replaced; i++)
			replaced = strcmp(names[i], name) == 0;
		if (replaced)
			continue;
		fwrite(line, 1, (size_t)len, out);
		fputc('\n', out);
	}
	fwrite(fresh, 1, freshlen, out);
	if (freshlen > 0 && fresh[freshlen - 1] != '\n')
		fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

/* The old file NAME in DFD, or an empty text when there is none yet (or it is too large to
 * be ours). Read through DFD, the directory checked, not through its path again. */
static char *read_old(int dfd, const char *name, size_t *len)
{
	char *buf = fileio_read_at(dfd, name, MAX_OLD, len, NULL);

	if (!buf && errno != ENOMEM && (buf = malloc(1))) {
		buf[0] = '\0';
		*len = 0;
	}
	return buf;
}

/* Renders REC's metrics, then merges them with OLD, into a new *TEXT. */
static int render(const struct run_record *rec, const char *old, size_t oldlen, char **text,
		  size_t *textlen)
{
	char *fresh = NULL;
	size_t freshlen = 0;
	FILE *f = open_memstream(&fresh, &freshlen);
	int rc;

	if (!f)
		return -1;
	rc = pushgateway_format(f, rec, PROM_TEXTFILE);
	if (fclose(f) != 0)
		rc = -1;
	f = rc == 0 ? open_memstream(text, textlen) : NULL;
	if (!f) {
		free(fresh);
		return -1;
	}
	rc = textfile_merge(f, old, oldlen, fresh, freshlen);
	if (fclose(f) != 0)
		rc = -1;
	free(fresh);
	return rc;
}

int textfile_write(const char *dir, const struct run_record *rec, char *err, size_t errlen)
{
	char path[4096];
	char *old = NULL, *text = NULL;
	size_t oldlen, textlen = 0;
	int rc = -1, dfd;

	if ((size_t)snprintf(path, sizeof path, "%s/cronguard_%s.prom", dir, rec->job) >= sizeof path) {
		snprintf(err, errlen, "textfile dir %s: path too long", dir);
		return -1;
	}
	/* The collector reads what is there: a directory others can change is not ours to fill. */
	if ((dfd = safedir_walk(dir, "textfile dir", SAFEDIR_COLLECTED, 0, err, errlen)) < 0)
		return -1;
	old = read_old(dfd, strrchr(path, '/') + 1, &oldlen);
	if (!old || render(rec, old, oldlen, &text, &textlen) < 0) {
		snprintf(err, errlen, "out of memory rendering %s", path);
		goto out;
	}
	/* World-readable: the collector runs as another user. No fsync, as for the state
	 * file: the rename keeps readers whole, and the next run rewrites it. The temporary
	 * name does not end in .prom, so node_exporter never reads half a file. */
	if (fileio_replace(dfd, strrchr(path, '/') + 1, text, textlen, 0644, 0) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(dfd);
	free(old);
	free(text);
	return rc;
}
