/* The spool: timestamped reports (influx, webhook) that could not be delivered, kept under STATE_DIR/spool for a later run. */
#ifndef CRONGUARD_SPOOL_H
#define CRONGUARD_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One undelivered request: what it takes to send it again, and never a secret. */
struct spool_entry {
	char name[192];          /* START_US-JOB-RUN_ID.SINK: names sort oldest first */
	char sink[16];           /* "influx" or "webhook" */
	char auth[16];           /* the credentials to add when resending: "none" or "influx" */
	char job[65];
	char run_id[37];
	int64_t start_us;
	char *url;
	char *content_type;
	char *body;
	size_t body_len;
};

/* An open spool. Only the run holding its lock reads and resends entries, so two runs
 * never deliver the same record; any run may add to it. */
struct spool {
	char dir[4096];          /* "" when refused: a directory others could write */
	int fd;                  /* the directory, or -1 while it does not exist */
	int locked;
	struct spool_entry *entries;   /* when locked: every readable entry, oldest first */
	size_t n;
};

/* spool_encode writes E as a spool file: "key value" header lines, a blank line, the body.
 * spool_decode reads one back into E (URL, content type and body allocated; free with
 * spool_entry_free), refusing control characters in header values. Both return 0 or -1. Pure. */
int spool_encode(FILE *out, const struct spool_entry *e);
int spool_decode(const char *buf, size_t len, struct spool_entry *e);
void spool_entry_free(struct spool_entry *e);

/* spool_open opens STATE_DIR/spool if it exists and, when no other run holds it, locks it and
 * loads its entries; unreadable files are dropped with a logged line. Returns 0 or -1. */
int spool_open(struct spool *sp, const char *state_dir);

/* spool_add names E (from its start, job, run id and sink) and writes it atomically,
 * creating the directory (0700) if needed; DURABLE syncs it to disk first (spool_keep can do
 * that later). Returns 0, or -1 with ERR. */
int spool_add(struct spool *sp, struct spool_entry *e, int durable, char *err, size_t errlen);

/* spool_keep syncs the entry NAME to disk: it is to wait for a later run. Returns 0 or -1
 * with errno. */
int spool_keep(struct spool *sp, const char *name);

/* spool_remove deletes the entry NAME, delivered or refused. Returns 0 or -1 with errno. */
int spool_remove(struct spool *sp, const char *name);

/* spool_close keeps at most MAX entries, dropping the oldest with one logged line each,
 * then unlocks and frees SP. */
void spool_close(struct spool *sp, unsigned max);

#endif
