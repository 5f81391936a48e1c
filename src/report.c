/* The remote reports: one run record fanned out to ping, Pushgateway, InfluxDB, webhook and textfile.
 *
 * Each sink module renders (pure functions); this file decides who hears of what, builds the
 * requests, hands them all to http_run_all at once, and spools what must not be lost. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "http.h"
#include "report.h"
#include "sink_influx.h"
#include "sink_ping.h"
#include "sink_pushgateway.h"
#include "sink_textfile.h"
#include "sink_webhook.h"
#include "spool.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON "application/json"

/* The Ping-Body-Limit the start ping's answer announced: one process runs one job, so the
 * start and the final ping of this run share it. -1 until a server says. */
static long ping_body_limit = -1;

/* One request and what report_send needs to know about it afterwards. */
struct item {
	const char *sink;          /* "ping", "pushgateway", "influx", "webhook" */
	char *url;                 /* owned */
	char *body;                /* owned, unless from the spool */
	size_t body_len;
	struct spool_entry *spooled;   /* resent from the spool, or NULL for this run's */
	char ahead[192];           /* this run's record, spooled before sending ("" if not) */
};

struct outbox {
	struct item *items;
	struct http_request *reqs;
	size_t n, cap;
};

int report_wanted(const struct options *o)
{
	return o->ping || o->pushgateway || o->influx || o->webhook || o->textfile_dir;
}

static struct http_tls tls_of(const struct options *o)
{
	return (struct http_tls){ .ca_file = o->ca_file, .client_cert = o->client_cert,
				  .client_key = o->client_key, .insecure = o->insecure };
}

static int64_t now_ms(void)
{
	return clock_mono_us() / 1000;
}

/* Runs CALL, one of the sinks' formatters writing to the stream `out`, into a new string
 * *BUFP of *LENP bytes; *BUFP is NULL if it failed. */
#define RENDER(bufp, lenp, call) \
	do { \
		FILE *out = open_memstream((bufp), (lenp)); \
		int rc_ = out ? (call) : -1; \
		if (out && fclose(out) != 0) \
			rc_ = -1; \
		if (rc_ < 0) { \
			free(*(bufp)); \
			*(bufp) = NULL; \
		} \
	} while (0)

static void log_failure(const char *sink, const char *url, const char *why, const char *after)
{
	char origin[256];

	/* The origin only: a ping URL's path is the check's key, and a query may hold more. */
	http_origin(url, origin, sizeof origin);
	diag_error("report to %s (%s) failed: %s%s", sink, origin, why, after);
}

void report_start(const struct options *o, const struct run_record *rec)
{
	struct http_request req = { .content_type = CT_TEXT, .body = "" };
	struct http_tls tls = tls_of(o);
	char *url = NULL;
	size_t len = 0;

	/* With --fail-after above 1 a failure below the threshold sends no final ping; a start
	 * without one would turn the check red after its grace time all the same. So those
	 * jobs go without /start (healthchecks then measures no duration). */
	if (!o->ping || o->fail_after > 1)
		return;
	RENDER(&url, &len, ping_url(out, o->ping, "start", rec->run_id));
	if (!url) {
		diag_error("report to ping failed: out of memory");
		return;
	}
	req.url = url;
	http_run_all(&req, 1, o->report_timeout_ms, &tls);
	if (req.delivered && req.body_limit >= 0)
		ping_body_limit = req.body_limit;
	if (!req.delivered)
		log_failure("ping", url, req.error, " (start)");
	free(url);
}

static struct item *outbox_add(struct outbox *ob, const char *sink, const char *content_type)
{
	if (ob->n == ob->cap) {
		size_t cap = ob->cap ? ob->cap * 2 : 8;
		struct item *items = realloc(ob->items, cap * sizeof *items);
		struct http_request *reqs = items ? realloc(ob->reqs, cap * sizeof *reqs) : NULL;

		if (items)
			ob->items = items;
		if (!reqs)
			return NULL;
		ob->reqs = reqs;
		ob->cap = cap;
	}
	ob->items[ob->n] = (struct item){ .sink = sink };
	ob->reqs[ob->n] = (struct http_request){ .content_type = content_type };
	return &ob->items[ob->n++];
}

/* Requests to one URL form a queue, so that a receiver gets its records oldest first. */
static unsigned queue_for(const struct outbox *ob, const char *url)
{
	unsigned top = 0;

	for (size_t i = 0; i < ob->n; i++) {
		if (ob->reqs[i].queue && strcmp(ob->items[i].url, url) == 0)
			return ob->reqs[i].queue;
		if (ob->reqs[i].queue > top)
			top = ob->reqs[i].queue;
	}
	return top + 1;
}

static int same_origin(const char *a, const char *b)
{
	char oa[256], obuf[256];

	http_origin(a, oa, sizeof oa);
	http_origin(b, obuf, sizeof obuf);
	return strcmp(oa, obuf) == 0;
}

/* Queues the spooled records this run may send. Credentials are never spooled: a record
 * that needs them is sent only by a run configured with credentials for the same server
 * (a token never goes to a server the configuration no longer names), and otherwise waits
 * in the spool for one. A record without credentials goes to the URL it was meant for. */
static void queue_spooled(struct outbox *ob, struct spool *sp, const struct options *o,
			  const char *influx_auth)
{
	for (size_t i = 0; i < sp->n; i++) {
		struct spool_entry *e = &sp->entries[i];
		const char *auth = NULL;
		struct item *it;

		if (strcmp(e->auth, "influx") == 0) {
			if (!influx_auth || !o->influx || !same_origin(e->url, o->influx))
				continue;
			auth = influx_auth;
		}
		it = outbox_add(ob, strcmp(e->sink, "influx") == 0 ? "influx" : "webhook",
				e->content_type);
		if (!it)
			return;
		it->url = strdup(e->url);
		if (!it->url) {
			ob->n--;
			return;
		}
		it->spooled = e;
		ob->reqs[ob->n - 1].url = it->url;
		ob->reqs[ob->n - 1].authorization = auth;
		ob->reqs[ob->n - 1].body = e->body;
		ob->reqs[ob->n - 1].body_len = e->body_len;
		ob->reqs[ob->n - 1].queue = queue_for(ob, it->url);
	}
}

/* Adds this run's request for SINK; takes URL and BODY (freeing them on failure). */
static int queue_current(struct outbox *ob, const char *sink, const char *content_type,
			 char *url, char *body, size_t body_len, const char *auth, int queued)
{
	struct item *it = url && body ? outbox_add(ob, sink, content_type) : NULL;
	struct http_request *r;

	if (!it) {
		free(url);
		free(body);
		diag_error("report to %s failed: out of memory", sink);
		return -1;
	}
	it->url = url;
	it->body = body;
	it->body_len = body_len;
	r = &ob->reqs[ob->n - 1];
	r->url = url;
	r->body = body;
	r->body_len = body_len;
	r->authorization = auth;
	r->queue = queued ? queue_for(ob, url) : 0;
	return 0;
}

/* Renders this run's requests. Returns how many sinks failed before sending anything. */
static int queue_run(struct outbox *ob, const struct options *o, const struct run_record *rec,
		     const char *influx_auth)
{
	char *url, *body;
	size_t ulen, blen;
	int failed = 0;
	char what[8];

	if (o->ping && ping_due(rec, o->fail_after)) {
		size_t limit = ping_body_limit >= 0 ? (size_t)ping_body_limit : PING_BODY_DEFAULT_LIMIT;
		url = body = NULL;
		RENDER(&url, &ulen, ping_url(out, o->ping, ping_final_what(rec, what), rec->run_id));
		RENDER(&body, &blen, (ping_body(out, rec->output ? rec->output : "", rec->output_len,
						limit), 0));
		failed += queue_current(ob, "ping", CT_TEXT, url, body, blen, NULL, 0) < 0;
	}
	if (o->pushgateway) {
		url = body = NULL;
		RENDER(&url, &ulen, pushgateway_path(out, o->pushgateway, rec->job, rec->host));
		RENDER(&body, &blen, pushgateway_format(out, rec, PROM_PUSHGATEWAY));
		failed += queue_current(ob, "pushgateway", CT_PROM, url, body, blen, NULL, 0) < 0;
	}
	if (o->influx && influx_auth) {
		url = body = NULL;
		RENDER(&url, &ulen, influx_url(out, o->influx));
		RENDER(&body, &blen, influx_format_line(out, rec));
		failed += queue_current(ob, "influx", CT_TEXT, url, body, blen,
					influx_auth[0] ? influx_auth : NULL, 1) < 0;
	}
	/* The webhook is an alerting sink too: it hears what the ping would. */
	if (o->webhook && ping_due(rec, o->fail_after)) {
		url = strdup(o->webhook);
		body = webhook_json(rec);
		failed += queue_current(ob, "webhook", CT_JSON, url, body, body ? strlen(body) : 0,
					NULL, 1) < 0;
	}
	return failed;
}

/* Spools this run's undelivered influx or webhook record; says what became of it, for the
 * failure's log line. AUTH names the credentials a resend must add ("none", "influx").
 * AHEAD, when not NULL, receives the entry's name: it is written ahead of the send, not
 * yet synced to disk. */
static const char *spool_record(struct spool *sp, const struct options *o,
				const struct run_record *rec, const char *sink, const char *auth,
				char *url, char *body, size_t body_len, const char *content_type,
				char ahead[192])
{
	struct spool_entry e = { .start_us = rec->start_us, .url = url, .body = body,
				 .body_len = body_len, .content_type = (char *)content_type };
	char err[512];

	if (o->spool_max == 0)
		return "; not spooled (--spool-max 0): record dropped";
	snprintf(e.sink, sizeof e.sink, "%s", sink);
	snprintf(e.auth, sizeof e.auth, "%s", auth);
	snprintf(e.job, sizeof e.job, "%s", rec->job);
	snprintf(e.run_id, sizeof e.run_id, "%s", rec->run_id);
	if (spool_add(sp, &e, !ahead, err, sizeof err) < 0) {
		diag_error("cannot spool the %s record: %s", sink, err);
		return "; could not be spooled: record dropped";
	}
	if (ahead)
		snprintf(ahead, 192, "%s", e.name);
	return "; spooled for a later run";
}

/* Write-ahead: this run's timestamped records (influx, webhook) go into the spool before
 * they are sent, so a cronguard killed while reporting loses nothing; the next run sends
 * them (a point overwrites itself, a webhook carries its run id for receivers to drop a
 * repeat). They are synced to disk only when they stay for a later run (settle): two
 * fdatasyncs a run cost more than the sends themselves, and a record that only has to
 * survive a killed process is safe in the page cache. Without a spool (--spool-max 0)
 * they are only sent. */
static void spool_ahead(struct outbox *ob, struct spool *sp, const struct options *o,
			const struct run_record *rec)
{
	for (size_t i = 0; i < ob->n; i++) {
		struct item *it = &ob->items[i];
		struct http_request *r = &ob->reqs[i];

		if (it->spooled || o->spool_max == 0 ||
		    (strcmp(it->sink, "influx") != 0 && strcmp(it->sink, "webhook") != 0))
			continue;
		spool_record(sp, o, rec, it->sink, r->authorization ? "influx" : "none", it->url,
			     it->body, it->body_len, r->content_type, it->ahead);
	}
}

/* Reads the results: spooled records delivered or refused leave the spool, this run's
 * failures are logged and, when timestamped, spooled. Returns the failed sinks. */
static int settle(struct outbox *ob, struct spool *sp, const struct options *o,
		  const struct run_record *rec)
{
	size_t kept = 0;
	int failed = 0;
	const char *fate;

	for (size_t i = 0; i < ob->n; i++) {
		struct item *it = &ob->items[i];
		struct http_request *r = &ob->reqs[i];

		if (it->spooled) {
			if (r->delivered || r->refused)
				spool_remove(sp, it->spooled->name);
			if (r->refused) {
				char origin[256];

				http_origin(it->url, origin, sizeof origin);
				diag_error("spooled %s record %s refused by %s, dropped: %s", it->sink,
					   it->spooled->name, origin, r->error);
			}
			kept += !r->delivered && !r->refused;
			continue;
		}
		/* Written ahead, this run's record leaves the spool once it is settled. */
		if (it->ahead[0] && (r->delivered || r->refused))
			spool_remove(sp, it->ahead);
		if (r->delivered)
			continue;
		failed++;
		if (strcmp(it->sink, "influx") != 0 && strcmp(it->sink, "webhook") != 0)
			fate = "";
		else if (r->refused)
			fate = "; not spooled: the server refused it";
		else if (it->ahead[0])
			fate = spool_keep(sp, it->ahead) == 0
				       ? "; spooled for a later run"
				       : "; spooled for a later run (not synced to disk)";
		else
			fate = spool_record(sp, o, rec, it->sink, r->authorization ? "influx" : "none",
					    it->url, it->body, it->body_len, r->content_type, NULL);
		log_failure(it->sink, it->url, r->error, fate);
	}
	if (kept > 0)
		diag_error("%zu spooled record%s still undelivered, kept in %s", kept,
			   kept == 1 ? "" : "s", sp->dir);
	return failed;
}

/* The influx Authorization value into *AUTH: the header, or "" when none is configured.
 * Read once per run, here, so a rotated secret is picked up by the next run. */
static int influx_credentials(const struct options *o, char **auth)
{
	char err[512];

	if (influx_authorization(o, auth, err, sizeof err) < 0) {
		diag_error("report to influx failed: %s", err);
		return -1;
	}
	if (!*auth && !(*auth = strdup(""))) {
		diag_error("report to influx failed: out of memory");
		return -1;
	}
	return 0;
}

/* This run's point when its credentials could not be read: spooled unsent, for a run
 * that can read them. */
static void hold_influx(struct spool *sp, const struct options *o, const struct run_record *rec)
{
	char *url = NULL, *body = NULL;
	size_t ulen, blen;
	const char *fate;

	RENDER(&url, &ulen, influx_url(out, o->influx));
	RENDER(&body, &blen, influx_format_line(out, rec));
	fate = url && body ? spool_record(sp, o, rec, "influx", "influx", url, body, blen, CT_TEXT, NULL)
			   : "; out of memory: record dropped";
	diag_error("influx record of run %s: %s", rec->run_id, fate + 2);
	free(url);
	free(body);
}

int report_send(const struct options *o, const struct run_record *rec)
{
	int64_t deadline = now_ms() + (int64_t)o->report_timeout_ms;
	struct outbox ob = { 0 };
	struct http_tls tls = tls_of(o);
	struct spool sp;
	char *influx_auth = NULL, err[512];
	int failed = 0;

	if (o->textfile_dir && textfile_write(o->textfile_dir, rec, err, sizeof err) < 0) {
		diag_error("report to textfile failed: %s", err);
		failed++;
	}
	if (!o->ping && !o->pushgateway && !o->influx && !o->webhook)
		return failed;
	if (spool_open(&sp, o->state_dir) < 0)
		diag_error("cannot open the spool in %s; sending this run's reports only", o->state_dir);
	if (o->influx && influx_credentials(o, &influx_auth) < 0) {
		failed++;
		hold_influx(&sp, o, rec);
	}
	queue_spooled(&ob, &sp, o, influx_auth && influx_auth[0] ? influx_auth : NULL);
	failed += queue_run(&ob, o, rec, influx_auth);
	spool_ahead(&ob, &sp, o, rec);
	if (ob.n > 0) {
		int64_t left = deadline - now_ms();
		http_run_all(ob.reqs, ob.n, left > 0 ? (uint64_t)left : 1, &tls);
	}
	failed += settle(&ob, &sp, o, rec);
	spool_close(&sp, o->spool_max);
	for (size_t i = 0; i < ob.n; i++) {
		free(ob.items[i].url);
		free(ob.items[i].body);
	}
	free(ob.items);
	free(ob.reqs);
	if (influx_auth) {
		explicit_bzero(influx_auth, strlen(influx_auth));
		free(influx_auth);
	}
	return failed;
}

int report_forget(const struct options *o, const char *job, char *err, size_t errlen)
{
	struct http_tls tls = tls_of(o);
	struct http_request req = { .method = "DELETE" };
	char *url = NULL, origin[256];
	size_t ulen;

	RENDER(&url, &ulen, pushgateway_path(out, o->pushgateway, job, o->host));
	if (!url) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req.url = url;
	http_run_all(&req, 1, o->report_timeout_ms, &tls);
	free(url);
	if (req.delivered)
		return 0;
	http_origin(o->pushgateway, origin, sizeof origin);
	snprintf(err, errlen, "cannot delete job %s's group on the Pushgateway %s: %s", job, origin,
		 req.error[0] ? req.error : "refused");
	return -1;
}
