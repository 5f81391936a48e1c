/* The reports of a run: syslog, textfile and the remote sinks (ping, Pushgateway, InfluxDB, webhook), with the spool.
 *
 * Each sink module renders (pure functions) and owns its table of what an answer means;
 * this file decides who hears of what, builds the requests, hands them to http_run_all, and
 * spools what must not be lost. The sinks get the few values they use, never the options.
 *
 * Delivery rules of the spool. Every spooled record is independent (each carries its own
 * timestamp and run id), owned by one run at a time (spool_claim locks it), resent only by
 * runs of its own job, and sent in rounds: the first round carries this run's records and
 * one spooled record of each of the job's sinks that has none of this run's, a probe; a
 * group whose probe (or this run's own record) was delivered is then sent whole, a few
 * hundred at a time, while one that got no answer, or only "busy", is left for a later run
 * after that single try. A record the server refuses in a way that counts
 * (a 5xx that persists, 404, 401, 403, 3xx) goes back with its count raised, and at
 * SPOOL_MAX_REFUSALS it is set aside in the dead-letter directory; only an answer that
 * proves the record bad (the sink's HTTP_DROP rows) drops it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "clock.h"
#include "diag.h"
#include "http.h"
#include "report.h"
#include "sink_influx.h"
#include "sink_ping.h"
#include "sink_pushgateway.h"
#include "sink_syslog.h"
#include "sink_textfile.h"
#include "sink_webhook.h"
#include "spool.h"

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_JSON "application/json"

/* Spooled records sent per group and round once the group's receiver is known to answer. */
enum { CHUNK = 256, PROBES_REFUSED = 3 };

/* The values the remote sinks use, taken once from the options. */
struct remote {
	const char *ping;
	const char *pushgateway;
	const char *webhook;
	struct influx_spec influx;
	struct http_tls tls;
	uint64_t timeout_ms;
	unsigned fail_after;
	unsigned spool_max;
	const char *state_dir;
};

static struct remote remote_of(const struct options *o)
{
	return (struct remote){
		.ping = o->ping, .pushgateway = o->pushgateway, .webhook = o->webhook,
		.influx = { .url = o->influx, .token_file = o->influx_token_file,
			    .user = o->influx_user, .password_file = o->influx_password_file },
		.tls = { .ca_file = o->ca_file, .client_cert = o->client_cert,
			 .client_key = o->client_key, .insecure = o->insecure },
		.timeout_ms = o->report_timeout_ms, .fail_after = o->fail_after,
		.spool_max = o->spool_max, .state_dir = o->state_dir,
	};
}

int report_wanted(const struct options *o)
{
	return o->ping || o->pushgateway || o->influx || o->webhook || o->textfile_dir;
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

/* The origin only: a ping URL's path is the check's key, and a query may hold more. */
static const char *origin_of(const char *url, char buf[256])
{
	http_origin(url, buf, 256);
	return buf;
}

/* A failure that a later run may mend (no answer, busy) is syslog only, so that a
 * monitoring outage mails nobody; one that will not mend itself is on stderr too. */
static void log_failure(const char *sink, const char *url, const struct http_request *r,
			const char *after)
{
	char origin[256];

	if (r->refused || r->answered)
		diag_alert("report to %s (%s) failed: %s%s", sink, origin_of(url, origin), r->error, after);
	else
		diag_log("report to %s (%s) failed: %s%s", sink, origin_of(url, origin), r->error, after);
}

void report_start(const struct options *o, const struct run_record *rec, struct report_session *s)
{
	struct http_request req = { .content_type = CT_TEXT, .body = "", .rules = &ping_rules };
	struct remote rm = remote_of(o);
	char *url = NULL;
	size_t len = 0;

	/* With --fail-after above 1 a failure below the threshold sends no final ping; a start
	 * without one would turn the check red after its grace time all the same. So those
	 * jobs go without /start (healthchecks then measures no duration). */
	if (!rm.ping || rm.fail_after > 1)
		return;
	RENDER(&url, &len, ping_url(out, rm.ping, "start", rec->run_id));
	if (!url) {
		diag_error("report to ping failed: out of memory");
		return;
	}
	req.url = url;
	http_run_all(&req, 1, rm.timeout_ms, &rm.tls);
	if (req.delivered && req.body_limit >= 0) {
		s->ping_limit_known = 1;
		s->ping_body_limit = (size_t)req.body_limit;
	}
	if (!req.delivered)
		log_failure("ping", url, &req, " (start)");
	free(url);
}

/* One request and what settling it needs. */
struct item {
	const char *sink;          /* "ping", "pushgateway", "influx", "webhook" */
	char *url;                 /* owned (this run's), or the entry's */
	char *body;                /* owned (this run's), or the entry's */
	size_t body_len;
	struct spool_entry entry;  /* the spool file this run owns for it (entry.fd >= 0), or none */
	int spooled;               /* from an earlier run */
	int group;                 /* index in the groups, or -1 */
};

struct batch {
	struct item *items;
	struct http_request *reqs;
	size_t n, cap;
};

/* The spool's records of one job and sink: sent, probed or left alone together. */
enum group_state { G_PROBE, G_UP, G_DOWN };
struct group {
	char job[65];
	char sink[16];
	size_t *idx;               /* listed entries, oldest first */
	size_t n, cap, next;
	enum group_state state;
	unsigned refused_row;      /* counted refusals since the last success */
	int fresh;                 /* this run has its own record in the group */
};

struct flush {
	struct spool sp;
	struct group *groups;
	size_t ngroups;
	const struct remote *rm;
	const struct run_record *rec;
	const char *influx_auth;   /* NULL: none configured or unreadable */
	size_t kept;               /* spooled records that stay for a later run */
	int failed;                /* this run's sinks that failed */
};

static struct item *batch_add(struct batch *b, const char *sink, const char *content_type,
			      const struct http_rules *rules)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct item *items = realloc(b->items, cap * sizeof *items);
		struct http_request *reqs = items ? realloc(b->reqs, cap * sizeof *reqs) : NULL;

		if (items)
			b->items = items;
		if (!reqs)
			return NULL;
		b->reqs = reqs;
		b->cap = cap;
	}
	b->items[b->n] = (struct item){ .sink = sink, .group = -1, .entry = { .fd = -1 } };
	b->reqs[b->n] = (struct http_request){ .content_type = content_type, .rules = rules };
	return &b->items[b->n++];
}

static void batch_clear(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct item *it = &b->items[i];

		if (it->spooled) {
			spool_release(&it->entry);
			spool_entry_free(&it->entry);
		} else {
			spool_release(&it->entry);
			free(it->url);
			free(it->body);
		}
	}
	b->n = 0;
}

static const struct http_rules *rules_of(const char *sink)
{
	return strcmp(sink, "influx") == 0 ? &influx_rules : &webhook_rules;
}

static int group_find(struct flush *f, const char *job, const char *sink)
{
	for (size_t g = 0; g < f->ngroups; g++)
		if (strcmp(f->groups[g].job, job) == 0 && strcmp(f->groups[g].sink, sink) == 0)
			return (int)g;
	return -1;
}

static int group_get(struct flush *f, const char *job, const char *sink)
{
	int g = group_find(f, job, sink);
	struct group *ng;

	if (g >= 0)
		return g;
	if (!(ng = realloc(f->groups, (f->ngroups + 1) * sizeof *ng)))
		return -1;
	f->groups = ng;
	ng = &f->groups[f->ngroups];
	*ng = (struct group){ .state = G_PROBE };
	snprintf(ng->job, sizeof ng->job, "%s", job);
	snprintf(ng->sink, sizeof ng->sink, "%s", sink);
	return (int)f->ngroups++;
}

/* Sorts this job's listed names into groups, reading none of the files. A record is resent
 * only by a later run of its own job: another job's run knows nothing of where it goes. */
static void group_spool(struct flush *f)
{
	for (size_t i = 0; i < f->sp.n; i++) {
		char job[65], sink[16];
		unsigned refusals;
		struct group *g;
		int gi;
		size_t *idx;

		if (spool_name_parse(f->sp.names[i], job, sink, &refusals) < 0 ||
		    strcmp(job, f->rec->job) != 0 || (gi = group_get(f, job, sink)) < 0)
			continue;
		g = &f->groups[gi];
		if (g->n == g->cap) {
			size_t cap = g->cap ? g->cap * 2 : 16;

			if (!(idx = realloc(g->idx, cap * sizeof *idx)))
				continue;
			g->idx = idx;
			g->cap = cap;
		}
		g->idx[g->n++] = i;
	}
}

static int same_origin(const char *a, const char *b)
{
	char oa[256], ob[256];

	return strcmp(origin_of(a, oa), origin_of(b, ob)) == 0;
}

/* Whether URL is where this run sends SINK's records: a webhook's URL as given, an influx
 * point's as influx_url renders it. */
static int configured_url(const struct remote *rm, const char *sink, const char *url)
{
	char *mine = NULL;
	size_t len = 0;
	int same;

	if (strcmp(sink, "webhook") == 0)
		return rm->webhook && strcmp(url, rm->webhook) == 0;
	if (strcmp(sink, "influx") != 0 || !rm->influx.url)
		return 0;
	RENDER(&mine, &len, influx_url(out, rm->influx.url));
	same = mine && strcmp(mine, url) == 0;
	free(mine);
	return same;
}

/* A spool entry names its own URL: only a run of the entry's JOB configured to send that
 * SINK's records to exactly URL sends it, or anyone who could write an entry would choose
 * where a run POSTs. */
static int spool_target(const struct remote *rm, const char *self, const char *job,
			const char *sink, const char *url)
{
	return self && strcmp(job, self) == 0 && configured_url(rm, sink, url);
}

int report_spool_target(const struct options *o, const char *job, const char *sink,
			const char *url)
{
	struct remote rm = remote_of(o);

	return spool_target(&rm, o->name, job, sink, url);
}

/* Claims up to WANT of group G's records into B. Credentials are never spooled: a record
 * that needs them is sent only by a run configured with credentials for the same server
 * (a token never goes to a server the configuration no longer names); if this run cannot
 * send it, it leaves the whole group alone. */
static void claim_group(struct flush *f, struct batch *b, int gi, size_t want)
{
	struct group *g = &f->groups[gi];

	while (want > 0 && g->next < g->n) {
		struct spool_entry e;
		const char *auth = NULL;
		struct item *it;

		if (spool_claim(&f->sp, g->idx[g->next++], &e) != 0)
			continue;
		if (!spool_target(f->rm, f->rec->job, e.job, e.sink, e.url)) {
			spool_release(&e);
			spool_entry_free(&e);
			continue;
		}
		if (strcmp(e.auth, "influx") == 0) {
			if (!f->influx_auth || !f->rm->influx.url || !same_origin(e.url, f->rm->influx.url)) {
				spool_release(&e);
				spool_entry_free(&e);
				g->state = G_DOWN;
				f->kept++;
				return;
			}
			auth = f->influx_auth;
		}
		it = batch_add(b, strcmp(e.sink, "influx") == 0 ? "influx" : "webhook", e.content_type,
			       rules_of(e.sink));
		if (!it) {
			spool_release(&e);
			spool_entry_free(&e);
			return;
		}
		it->entry = e;
		it->spooled = 1;
		it->group = gi;
		it->url = it->entry.url;
		it->body = it->entry.body;
		it->body_len = it->entry.body_len;
		b->reqs[b->n - 1].url = it->url;
		b->reqs[b->n - 1].authorization = auth;
		b->reqs[b->n - 1].body = it->body;
		b->reqs[b->n - 1].body_len = it->body_len;
		want--;
	}
}

/* Adds this run's request for SINK; takes URL and BODY (freeing them on failure). */
static struct item *add_current(struct batch *b, const char *sink, const char *content_type,
				const struct http_rules *rules, char *url, char *body,
				size_t body_len, const char *auth)
{
	struct item *it = url && body ? batch_add(b, sink, content_type, rules) : NULL;
	struct http_request *r;

	if (!it) {
		free(url);
		free(body);
		diag_error("report to %s failed: out of memory", sink);
		return NULL;
	}
	it->url = url;
	it->body = body;
	it->body_len = body_len;
	r = &b->reqs[b->n - 1];
	r->url = url;
	r->body = body;
	r->body_len = body_len;
	r->authorization = auth;
	return it;
}

/* Write-ahead: this run's timestamped record goes into the spool, owned by this run, before
 * it is sent, so a cronguard killed while reporting loses nothing; the next run sends it
 * (a point overwrites itself, a webhook carries its run id for receivers to drop a repeat).
 * It is synced to disk only when it stays for a later run: a record that only has to
 * survive a killed process is safe in the page cache. */
static int spool_ahead(struct flush *f, struct item *it, const char *auth, const char *content_type,
		       int durable)
{
	struct spool_entry *e = &it->entry;
	char err[512];

	/* A refused spool (preflight_check said so, once) is neither read nor written. */
	if (!f->sp.dir[0]) {
		e->fd = -1;
		return -1;
	}

	*e = (struct spool_entry){ .start_us = f->rec->start_us, .url = it->url, .body = it->body,
				   .body_len = it->body_len, .content_type = (char *)content_type,
				   .fd = -1 };
	snprintf(e->sink, sizeof e->sink, "%s", it->sink);
	snprintf(e->auth, sizeof e->auth, "%s", auth);
	snprintf(e->job, sizeof e->job, "%s", f->rec->job);
	snprintf(e->run_id, sizeof e->run_id, "%s", f->rec->run_id);
	if (spool_add(&f->sp, e, durable, err, sizeof err) < 0) {
		diag_error("cannot spool the %s record: %s", it->sink, err);
		e->fd = -1;
		return -1;
	}
	return 0;
}

/* Renders this run's requests into B. */
static void add_run(struct flush *f, struct batch *b, const struct report_session *s,
		    const char *influx_auth)
{
	const struct remote *rm = f->rm;
	const struct run_record *rec = f->rec;
	char *url, *body, what[8];
	size_t ulen, blen;
	struct item *it;

	if (rm->ping && ping_due(rec, rm->fail_after)) {
		size_t limit = s->ping_limit_known ? s->ping_body_limit : PING_BODY_DEFAULT_LIMIT;
		url = body = NULL;
		RENDER(&url, &ulen, ping_url(out, rm->ping, ping_final_what(rec, what), rec->run_id));
		RENDER(&body, &blen, (ping_body(out, rec->output ? rec->output : "", rec->output_len,
						limit), 0));
		f->failed += !add_current(b, "ping", CT_TEXT, &ping_rules, url, body, blen, NULL);
	}
	if (rm->pushgateway) {
		url = body = NULL;
		RENDER(&url, &ulen, pushgateway_path(out, rm->pushgateway, rec->job, rec->host));
		RENDER(&body, &blen, pushgateway_format(out, rec, PROM_PUSHGATEWAY));
		f->failed += !add_current(b, "pushgateway", CT_PROM, &pushgateway_rules, url, body,
					  blen, NULL);
	}
	if (rm->influx.url && influx_auth) {
		url = body = NULL;
		RENDER(&url, &ulen, influx_url(out, rm->influx.url));
		RENDER(&body, &blen, influx_format_line(out, rec));
		it = add_current(b, "influx", CT_TEXT, &influx_rules, url, body, blen,
				 influx_auth[0] ? influx_auth : NULL);
		f->failed += !it;
		if (it && rm->spool_max > 0)
			spool_ahead(f, it, influx_auth[0] ? "influx" : "none", CT_TEXT, 0);
		if (it)
			it->group = group_get(f, rec->job, "influx");
	}
	/* The webhook is an alerting sink too: it hears what the ping would. */
	if (rm->webhook && ping_due(rec, rm->fail_after)) {
		url = strdup(rm->webhook);
		body = webhook_json(rec);
		it = add_current(b, "webhook", CT_JSON, &webhook_rules, url, body,
				 body ? strlen(body) : 0, NULL);
		f->failed += !it;
		if (it && rm->spool_max > 0)
			spool_ahead(f, it, "none", CT_JSON, 0);
		if (it)
			it->group = group_get(f, rec->job, "webhook");
	}
	for (size_t g = 0; g < f->ngroups; g++)
		for (size_t i = 0; i < b->n; i++)
			if (b->items[i].group == (int)g)
				f->groups[g].fresh = 1;
}

/* Settles this run's own request: its failure is logged, its spool entry kept or removed. */
static void settle_current(struct flush *f, struct item *it, const struct http_request *r)
{
	char after[400];
	int dead = 0;

	if (r->delivered) {
		if (it->entry.fd >= 0)
			spool_done(&f->sp, &it->entry);
		return;
	}
	f->failed++;
	if (strcmp(it->sink, "influx") != 0 && strcmp(it->sink, "webhook") != 0) {
		log_failure(it->sink, it->url, r, "");
		return;
	}
	if (r->refused) {
		if (it->entry.fd >= 0)
			spool_done(&f->sp, &it->entry);
		snprintf(after, sizeof after, "; the server refused it: record of run %s dropped",
			 f->rec->run_id);
		log_failure(it->sink, it->url, r, after);
		return;
	}
	if (it->entry.fd < 0) {
		char origin[256];

		/* A record lost is said on stderr, whatever the answer was. */
		diag_alert("report to %s (%s) failed: %s%s", it->sink, origin_of(it->url, origin),
			   r->error, f->rm->spool_max == 0 ? "; not spooled (--spool-max 0): record dropped"
							   : "; could not be spooled: record dropped");
		return;
	}
	if (spool_defer(&f->sp, &it->entry, r->answered, &dead) < 0)
		snprintf(after, sizeof after, "; spooled for a later run (not synced to disk)");
	else
		snprintf(after, sizeof after, "; spooled for a later run");
	/* Kept for later: syslog only, whatever the answer; cron would mail every outage. */
	{
		char origin[256];

		diag_log("report to %s (%s) failed: %s%s", it->sink, origin_of(it->url, origin),
			 r->error, after);
	}
}

/* Settles a spooled record: removed when delivered or proved bad, else kept, its refusals
 * counted, and set aside at the limit. */
static void settle_spooled(struct flush *f, struct item *it, const struct http_request *r)
{
	char origin[256];
	int dead = 0;

	if (r->delivered) {
		spool_done(&f->sp, &it->entry);
		return;
	}
	if (r->refused) {
		diag_alert("spooled %s record of job %s, run %s, refused by %s, dropped: %s", it->sink,
			   it->entry.job, it->entry.run_id, origin_of(it->url, origin), r->error);
		spool_done(&f->sp, &it->entry);
		return;
	}
	spool_defer(&f->sp, &it->entry, r->answered, &dead);
	if (dead)
		diag_alert("spooled %s record of job %s, run %s, refused %d times by %s (last: %s): "
			   "moved to %s/dead", it->sink, it->entry.job, it->entry.run_id,
			   SPOOL_MAX_REFUSALS, origin_of(it->url, origin), r->error, f->sp.dir);
	else
		f->kept++;
}

/* Reads one round's answers into each group's state. */
static void classify(struct flush *f, const struct batch *b)
{
	for (size_t g = 0; g < f->ngroups; g++) {
		struct group *gr = &f->groups[g];
		unsigned ok = 0, down = 0, refused = 0;

		for (size_t i = 0; i < b->n; i++) {
			const struct http_request *r = &b->reqs[i];

			if (b->items[i].group != (int)g)
				continue;
			if (r->delivered || r->refused)
				ok++;
			else if (r->answered)
				refused++;
			else
				down++;
		}
		if (ok + down + refused == 0 || gr->state == G_DOWN)
			continue;
		if (down > 0) {
			gr->state = G_DOWN;
		} else if (ok > 0) {
			gr->state = G_UP;
			gr->refused_row = 0;
		} else {
			/* Refused, but answered: the next record may be fine (no head-of-line
			 * blocking), unless the receiver refuses everything. */
			gr->refused_row += refused;
			if (gr->refused_row >= PROBES_REFUSED)
				gr->state = G_DOWN;
		}
	}
}

static void run_batch(struct flush *f, struct batch *b, int64_t deadline)
{
	int64_t left = deadline - now_ms();

	if (b->n > 0)
		http_run_all(b->reqs, b->n, left > 0 ? (uint64_t)left : 1, &f->rm->tls);
	for (size_t i = 0; i < b->n; i++) {
		if (b->items[i].spooled)
			settle_spooled(f, &b->items[i], &b->reqs[i]);
		else
			settle_current(f, &b->items[i], &b->reqs[i]);
	}
	classify(f, b);
	batch_clear(b);
}

/* The influx Authorization value into *AUTH: the header, or "" when none is configured.
 * Read once per run, here, so a rotated secret is picked up by the next run. */
static int influx_credentials(const struct influx_spec *s, char **auth)
{
	char err[512];

	if (influx_authorization(s, auth, err, sizeof err) < 0) {
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
static void hold_influx(struct flush *f)
{
	struct item it = { .sink = "influx", .entry = { .fd = -1 } };
	size_t ulen;

	if (f->rm->spool_max == 0) {
		diag_alert("influx record of run %s: not spooled (--spool-max 0): record dropped",
			   f->rec->run_id);
		return;
	}
	RENDER(&it.url, &ulen, influx_url(out, f->rm->influx.url));
	RENDER(&it.body, &it.body_len, influx_format_line(out, f->rec));
	if (!it.url || !it.body || spool_ahead(f, &it, "influx", CT_TEXT, 1) < 0)
		diag_alert("influx record of run %s: could not be spooled: record dropped",
			   f->rec->run_id);
	else
		diag_log("influx record of run %s: spooled for a later run", f->rec->run_id);
	spool_release(&it.entry);
	free(it.url);
	free(it.body);
}

/* Sends this run's records and one probe per spooled group, then, round after round, the
 * groups whose receiver answers. */
static void deliver(struct flush *f, const struct report_session *s, const char *influx_auth,
		    int64_t deadline)
{
	struct batch b = { 0 };

	add_run(f, &b, s, influx_auth);
	for (size_t g = 0; g < f->ngroups; g++)
		if (!f->groups[g].fresh)
			claim_group(f, &b, (int)g, 1);
	run_batch(f, &b, deadline);
	while (now_ms() < deadline) {
		for (size_t g = 0; g < f->ngroups; g++)
			if (f->groups[g].state != G_DOWN)
				claim_group(f, &b, (int)g, f->groups[g].state == G_UP ? CHUNK : 1);
		if (b.n == 0)
			break;
		run_batch(f, &b, deadline);
	}
	/* What no round reached (a receiver down, the deadline) stays, unread. */
	for (size_t g = 0; g < f->ngroups; g++)
		f->kept += f->groups[g].n - f->groups[g].next;
	batch_clear(&b);
	free(b.items);
	free(b.reqs);
}

void report_local_begin(const struct options *o, struct sink_syslog *ahead)
{
	if (!o->no_syslog)
		sink_syslog_open(ahead, _PATH_LOG);
}

void report_local(const struct options *o, struct sink_syslog *ahead, const struct run_record *rec)
{
	if (!o->no_syslog)
		sink_syslog_send(ahead, _PATH_LOG, rec);
}

int report_send(const struct options *o, const struct report_session *s,
		const struct run_record *rec)
{
	struct remote rm = remote_of(o);
	int64_t deadline = now_ms() + (int64_t)rm.timeout_ms;
	struct flush f = { .rm = &rm, .rec = rec };
	char *influx_auth = NULL, err[512];

	if (o->textfile_dir && textfile_write(o->textfile_dir, rec, err, sizeof err) < 0) {
		diag_error("report to textfile failed: %s", err);
		f.failed++;
	}
	if (!rm.ping && !rm.pushgateway && !rm.influx.url && !rm.webhook)
		return f.failed;
	if (spool_open(&f.sp, rm.state_dir) < 0)
		diag_error("cannot open the spool in %s; sending this run's reports only", rm.state_dir);
	group_spool(&f);
	if (rm.influx.url && influx_credentials(&rm.influx, &influx_auth) < 0) {
		f.failed++;
		hold_influx(&f);
	}
	/* Spooled points that need credentials go out only with credentials read now; this
	 * run's own point goes out when its credentials were read ("" for none). */
	f.influx_auth = influx_auth && influx_auth[0] ? influx_auth : NULL;
	deliver(&f, s, influx_auth, deadline);
	if (f.kept > 0)
		diag_log("%zu spooled record%s still undelivered, kept in %s", f.kept,
			 f.kept == 1 ? "" : "s", f.sp.dir);
	spool_close(&f.sp, rm.spool_max);
	for (size_t g = 0; g < f.ngroups; g++)
		free(f.groups[g].idx);
	free(f.groups);
	if (influx_auth) {
		explicit_bzero(influx_auth, strlen(influx_auth));
		free(influx_auth);
	}
	return f.failed;
}

int report_forget(const struct options *o, const char *job, char *err, size_t errlen)
{
	struct remote rm = remote_of(o);
	struct http_request req = { .method = "DELETE" };
	char *url = NULL, origin[256];
	size_t ulen;

	RENDER(&url, &ulen, pushgateway_path(out, o->pushgateway, job, o->host));
	if (!url) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	req.url = url;
	http_run_all(&req, 1, rm.timeout_ms, &rm.tls);
	free(url);
	if (req.delivered)
		return 0;
	http_origin(o->pushgateway, origin, sizeof origin);
	snprintf(err, errlen, "cannot delete job %s's group on the Pushgateway %s: %s", job, origin,
		 req.error[0] ? req.error : "refused");
	return -1;
}
