/* The spool: timestamped reports (influx, webhook) that could not be delivered, kept under STATE_DIR/spool for a later run. */
#ifndef CRONGUARD_SPOOL_H
#define CRONGUARD_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A record answered with a counted refusal this many times (across runs) moves to the
 * dead-letter directory STATE_DIR/spool/dead. */
#define SPOOL_MAX_REFUSALS 5

/* One undelivered request: what it takes to send it again, and never a secret. */
struct spool_entry {
	char name[200];          /* START_US-JOB-RUN_ID.SINK[.N]: names sort oldest first; N
				  * counts the refusals so far */
	char sink[16];           /* "influx" or "webhook" */
	char auth[16];           /* the credentials to add when resending: "none" or "influx" */
	char job[65];
	char run_id[37];
	int64_t start_us;
	char *url;
	char *content_type;
	char *body;
	size_t body_len;
	unsigned refusals;       /* from the name's .N */
	int fd;                  /* the entry's lock while this run owns it, else -1 */
};

/* The spool's directory and the names listed when it was opened, oldest first. */
struct spool {
	char dir[4096];          /* "" when refused: a directory others could write */
	int fd;                  /* the directory, or -1 while it does not exist */
	char **names;
	size_t n;
	size_t added;            /* entries this run wrote */
};

/* spool_encode writes E as a spool file: "key value" header lines, a blank line, the body.
 * spool_decode reads one back into E (URL, content type and body allocated; free with
 * spool_entry_free), refusing control characters in header values. Both return 0 or -1. Pure. */
int spool_encode(FILE *out, const struct spool_entry *e);
int spool_decode(const char *buf, size_t len, struct spool_entry *e);
void spool_entry_free(struct spool_entry *e);

/* spool_name_parse reads JOB (up to 65 bytes), SINK (up to 16) and the refusal count from an
 * entry name; returns 0, or -1 when NAME is not an entry's (a temporary, "dead", junk). Pure. */
int spool_name_parse(const char *name, char job[65], char sink[16], unsigned *refusals);

/* spool_open opens STATE_DIR/spool if it exists and lists its entries' names, oldest first;
 * it reads none of them (a run that cannot send learns it from one record, not from all).
 * Returns 0 or -1. */
int spool_open(struct spool *sp, const char *state_dir);

/* spool_claim makes the listed entry I this run's: it locks the file (an entry is owned by
 * one run at a time: one being sent by another run is passed over) and reads it into E.
 * Returns 0 claimed (release it with spool_done, spool_defer or spool_release), 1 not
 * available (owned by another run, or already gone), -1 unreadable: then it is moved to the
 * dead-letter directory with one logged line, so it is never tried again. */
int spool_claim(struct spool *sp, size_t i, struct spool_entry *e);

/* spool_add names E (from its start, job, run id and sink) and writes it atomically,
 * already locked by this run, creating the directory (0700) if needed; DURABLE syncs it to
 * disk first (spool_defer does that later). Returns 0, or -1 with ERR. */
int spool_add(struct spool *sp, struct spool_entry *e, int durable, char *err, size_t errlen);

/* spool_done removes E, delivered or dropped, and releases it. Returns 0 or -1 with errno. */
int spool_done(struct spool *sp, struct spool_entry *e);

/* spool_defer keeps E for a later run: synced to disk; with REFUSED, its refusal count goes
 * up, and at SPOOL_MAX_REFUSALS it moves to the dead-letter directory (*DEAD set). Releases
 * E. Returns 0, or -1 with errno. */
int spool_defer(struct spool *sp, struct spool_entry *e, int refused, int *dead);

/* spool_release gives E back untouched (not tried by this run) and frees it. */
void spool_release(struct spool_entry *e);

/* spool_close keeps at most MAX entries, dropping the oldest it can claim with one logged
 * line each, then frees SP. */
void spool_close(struct spool *sp, unsigned max);

/* spool_stats counts JOB's entries waiting in STATE_DIR/spool and those in its dead-letter
 * directory (for --status). A missing spool counts 0. Returns 0, or -1 with errno. */
int spool_stats(const char *state_dir, const char *job, size_t *depth, size_t *dead);

#endif
