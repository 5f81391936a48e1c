/* The config file format: "key = value" lines, "#" comments, "[NAME]" job sections. */
#ifndef CRONGUARD_CONF_H
#define CRONGUARD_CONF_H

#include <stddef.h>

/* One "key = value" line. SECTION is NULL for the global entries (before any [NAME]). */
struct conf_entry {
	unsigned line;            /* 1-based, for "FILE:LINE" messages */
	const char *section;
	const char *key;
	const char *value;
};

/* A parsed file: the entries in file order, and an index by section for conf_section. */
struct conf {
	struct conf_entry *v;
	size_t n;
	size_t *order;            /* the global entries first, then by section name and line */
	size_t nglobal;
	char *arena;              /* every string above points in here */
};

/* conf_parse reads TEXT[0..LEN) into C once, so that many jobs can be looked up in it without
 * reading the text again. A value ends at a '#' that follows white space (an inline comment)
 * unless it is quoted; a '#' inside a word is part of it. Pure. Returns 0, or -1 with
 * *BAD_LINE set and a reason in ERR (a syntax error), or -1 with *BAD_LINE 0 and errno ENOMEM.
 * conf_free releases what it allocated. */
int conf_parse(const char *text, size_t len, struct conf *c, unsigned *bad_line, char *err,
	       size_t errlen);
void conf_free(struct conf *c);

/* conf_parse_job is conf_parse for one job's run: the global entries and the entries of
 * section JOB (NULL: none) are parsed and checked as conf_parse does; other jobs' sections
 * are skipped unread, so their cost is a scan for the next line that starts with '[' and
 * their mistakes are found by a full parse (--lint-crontab), not by every run. Where
 * conf_parse succeeds, the result is conf_parse's less the other sections' entries. Pure. */
int conf_parse_job(const char *text, size_t len, const char *job, struct conf *c,
		   unsigned *bad_line, char *err, size_t errlen);

/* The same parse, fed in pieces as a file is read (fileio_read_lines), so that a run holds
 * only the lines it reads, never the whole file: conf_job_init, then conf_job_feed for each
 * piece in order (whole lines; only the last piece may end without a newline), then
 * conf_job_finish, which parses what was kept and returns what conf_parse_job would for the
 * whole text. conf_job_feed returns 0, or -1 with errno ENOMEM; conf_job_finish frees J's
 * buffers in every case (conf_job_free alone, when the reading failed). Pure. */
struct conf_run {
	size_t off;               /* where in the kept text a run of kept lines starts */
	unsigned line;            /* the file's line number of its first line */
};
struct conf_job {
	const char *only;         /* the job's name ("" for none), the caller's, kept alive */
	size_t onlylen;
	int skipping;             /* inside another job's section */
	int inrun;                /* the last piece's last kept line ended a run unbroken */
	unsigned line;            /* newlines fed so far */
	char *kept;               /* the lines the job reads, in file order */
	size_t klen, kcap;
	struct conf_run *runs;
	size_t nruns, rcap;
};
void conf_job_init(struct conf_job *j, const char *job);
int conf_job_feed(struct conf_job *j, const char *piece, size_t n);
int conf_job_finish(struct conf_job *j, struct conf *c, unsigned *bad_line, char *err,
		    size_t errlen);
void conf_job_free(struct conf_job *j);

/* conf_section returns how many entries section JOB has and sets *FIRST to the first of their
 * indices in C->order (in file order), in O(log n). */
size_t conf_section(const struct conf *c, const char *job, size_t *first);

/* conf_entry_fn is called for each entry; APPLIES is 1 for the global entries and the job's
 * section, 0 for other jobs' sections (so their keys can still be checked). A non-zero return
 * stops the scan and is returned by conf_scan. LINE is 1-based, for "FILE:LINE" messages. */
typedef int (*conf_entry_fn)(void *ctx, unsigned line, const char *key, const char *value,
			     int applies);

/* conf_scan parses TEXT and calls FN for the global entries and other sections' entries (APPLIES
 * 0) in file order, then for those of the section named JOB (job sections may appear anywhere;
 * the global ones always apply first, so a job section wins whatever the order in the file).
 * Returns 0; the callback's value when it stops the scan; or -1 as conf_parse. */
int conf_scan(const char *text, size_t len, const char *job, conf_entry_fn fn, void *ctx,
	      unsigned *bad_line, char *err, size_t errlen);

#endif
