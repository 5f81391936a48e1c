/* The cluster gate: a cluster-wide lock and once-per-period claims, kept in etcd. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "diag.h"
#include "etcd.h"
#include "fileio.h"
#include "etcd_proto.h"
#include "http.h"

enum {
	/* etcd's share of a run's start, lock wait aside: long enough to ride out a leader
	 * election (1-2 s with etcd's defaults), short enough for cron. */
	GATE_MS = 10000,
	/* One request to one endpoint. A write that etcd cannot commit fails on its side after
	 * about 7 s; giving up earlier and asking another member is faster and safe, because
	 * every write here can be repeated (see claim_won). */
	REQUEST_MS = 3000,
	CONNECT_MS = 1000,
	KEEPALIVE_MS = 3000,       /* one keepalive round, in the keeper thread */
	RETRY_MS = 250,            /* the pause before a failed keepalive is tried again */
	LEAVE_MS = 3000,
	DESCRIBE_MS = 5000,
	NAP_MIN_MS = 100,          /* pauses between rounds of endpoints, and lock polls */
	NAP_MAX_MS = 1000,
	/* Claims are kept this long past two periods, the splay and the lock wait, so that a
	 * late host (skewed clock, long splay) still finds the claim of its period. */
	RETENTION_S = 3600,
	KEY_MAX = 512,
};

/* gRPC codes that the gateway passes on (google.golang.org/grpc/codes). */
enum { GRPC_NOT_FOUND = 5, GRPC_UNAVAILABLE = 14, GRPC_DEADLINE = 4 };

/* How the gate's steps end, before they become a gate_result. */
enum etcd_outcome {
	ETCD_GO,                   /* everything asked for is held: run */
	ETCD_BUSY,                 /* the cluster lock is held elsewhere (REASON names the holder) */
	ETCD_CLAIMED,              /* this period's slot is claimed (REASON names the holder) */
	ETCD_INTERRUPTED,          /* a signal from STOP ended the lock wait (*SIGNO) */
	ETCD_UNREACHABLE,          /* no endpoint answered in time (REASON says why): an error,
				    * or with --etcd-fail-open a run with REASON as its warning */
};

enum call_status { CALL_OK, CALL_REFUSED, CALL_UNREACHABLE, CALL_INTERRUPTED, CALL_FAILED };

/* One conversation with the cluster: endpoints in turn, the auth token, the last error. */
struct client {
	const struct etcd_spec *spec;
	struct http_session *http;
	struct http_tls tls;
	char *password;            /* secrets, wiped before they are freed */
	char *token;
	size_t cur;                /* the endpoint that answered last: stay with it */
	const sigset_t *stop;      /* pauses end on these; NULL while the command runs, because
				    * run_command takes (and forwards) them from a signalfd */
	int signo;                 /* the signal that ended a pause */
	int code;                  /* the gRPC code of the last refusal, or -1 */
	char error[400];           /* why the last call failed; never a secret */
};

struct etcd_gate {
	struct client c;
	char run_id[40];
	uint64_t ttl_ms;
	int64_t lease;             /* 0: none */
	int64_t renewed_ms;        /* when the last successful grant or keepalive was sent: the
				    * lease lives at least TTL past it */
	int64_t started_ms;
	int64_t deadline_ms;       /* for the whole gate: GATE_MS plus the lock wait */
	char lock_key[KEY_MAX];
	int locked;
	int64_t revision;          /* where the lock (else the claim) was created: CG_FENCING_TOKEN */
	/* While the command runs, a thread of its own renews the lease (lease_keeper), so that
	 * no request ever holds up run_command's loop; the loop only reads the clock. Under MU:
	 * renewed_ms, locked, lost and why. */
	pthread_t keeper;
	int keeping;               /* the thread runs */
	int bell[2];               /* the thread -> the loop: the lease is gone (lost) */
	int quit[2];               /* the loop -> the thread: stop */
	pthread_mutex_t mu;
	int lost;                  /* etcd said the lease is gone */
	char why[400];             /* the last keepalive's error */
};

static int64_t mono_ms(void)
{
	return clock_mono_us() / 1000;
}

/* Sleeps MS, or until a signal from STOP (returned) arrives when STOP is given. */
static int nap(const sigset_t *stop, int64_t ms)
{
	if (ms <= 0)
		return 0;
	return clock_wait_until(stop, clock_mono_us() + ms * 1000);
}


static void wipe_free(char **s)
{
	if (*s) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

static int client_init(struct client *c, const struct etcd_spec *o, const sigset_t *stop,
		       char *err, size_t errlen)
{
	*c = (struct client){ .spec = o, .stop = stop, .code = -1 };
	/* Verification is always on: a lock server anyone can impersonate is no lock. */
	c->tls = (struct http_tls){ .ca_file = o->ca_file, .client_cert = o->cert,
				    .client_key = o->key };
	if (o->user && !(c->password = fileio_read_secret(o->password_file, err, errlen))) {
		errno = EINVAL;
		return -1;
	}
	if (!(c->http = http_session_new(err, errlen))) {
		wipe_free(&c->password);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static void client_free(struct client *c)
{
	http_session_free(c->http);
	c->http = NULL;
	wipe_free(&c->password);
	wipe_free(&c->token);
}

static enum call_status call(struct client *c, enum etcd_op op, const char *body,
			     int64_t deadline, struct etcd_answer *ans);

/* Trades the user's password for a token, which every later request carries. */
static enum call_status authenticate(struct client *c, int64_t deadline)
{
	struct etcd_answer ans;
	enum call_status st;
	char *body = etcd_proto_request(ETCD_AUTH, c->spec->user, c->password, 0, NULL, NULL);

	wipe_free(&c->token);
	if (!body) {
		snprintf(c->error, sizeof c->error, "out of memory");
		return CALL_FAILED;
	}
	st = call(c, ETCD_AUTH, body, deadline, &ans);
	wipe_free(&body);
	if (st == CALL_REFUSED) {
		char why[sizeof c->error];

		snprintf(why, sizeof why, "%s", c->error);
		snprintf(c->error, sizeof c->error, "authentication as %.64s failed: %.300s",
			 c->spec->user, why);
	}
	if (st != CALL_OK)
		return st;
	c->token = strdup(ans.token);
	explicit_bzero(ans.token, sizeof ans.token);
	if (!c->token) {
		snprintf(c->error, sizeof c->error, "out of memory");
		return CALL_FAILED;
	}
	return CALL_OK;
}

/* Why one attempt failed, for c->error: the server's own words when it sent an error. */
static void note_failure(struct client *c, const struct http_request *req, const char *url,
			 int *code)
{
	char origin[128], msg[240];

	http_origin(url, origin, sizeof origin);
	*code = -1;
	if (req->response &&
	    etcd_proto_parse_error(req->response, req->response_len, code, msg, sizeof msg) == 0 &&
	    msg[0])
		snprintf(c->error, sizeof c->error, "%s: %.230s (HTTP %ld)", origin, msg,
			 req->status);
	else if (req->delivered)
		snprintf(c->error, sizeof c->error, "%s: unexpected answer (HTTP %ld)", origin,
			 req->status);
	else
		snprintf(c->error, sizeof c->error, "%s: %.260s", origin, req->error);
}

/* Sends OP to the endpoints in turn until one answers, DEADLINE passes, or a signal from
 * c->stop arrives during a pause. A refused connection, a timeout or a 5xx moves on to the
 * next endpoint: a dead member refuses, a member cut from the quorum answers 503. A write
 * that timed out may still happen; the callers' writes can all be repeated safely. */
static enum call_status call(struct client *c, enum etcd_op op, const char *body,
			     int64_t deadline, struct etcd_answer *ans)
{
	size_t n = c->spec->nendpoints, tried = 0;
	unsigned rounds = 0;
	int reauthed = 0;

	c->signo = 0;
	c->code = -1;
	if (c->password && !c->token && op != ETCD_AUTH) {
		enum call_status st = authenticate(c, deadline);

		if (st != CALL_OK)
			return st;
	}
	for (;;) {
		int64_t now = mono_ms(), left = deadline - now;
		char url[2200];
		struct http_request req = { .url = url, .content_type = "application/json",
					    .authorization = op == ETCD_AUTH ? NULL : c->token,
					    .body = body, .body_len = strlen(body),
					    .response_max = HTTP_RESPONSE_MAX };
		int code = -1, parsed;

		if (left <= 0 && tried)
			return CALL_UNREACHABLE;
		if (left < 100)
			left = 100;   /* every call gets one real attempt, even past its deadline */
		snprintf(url, sizeof url, "%s%s", c->spec->endpoints[c->cur], etcd_proto_path(op));
		if (http_session_send(c->http, &req, left < REQUEST_MS ? (uint64_t)left : REQUEST_MS,
				      left < CONNECT_MS ? (uint64_t)left : CONNECT_MS, &c->tls) < 0) {
			snprintf(c->error, sizeof c->error, "%s", req.error);
			free(req.response);
			return CALL_FAILED;
		}
		tried++;
		parsed = req.delivered &&
			 etcd_proto_parse(op, req.response ? req.response : "", req.response_len, ans) == 0;
		if (!parsed)
			note_failure(c, &req, url, &code);
		if (op == ETCD_AUTH && req.response)
			explicit_bzero(req.response, req.response_len);
		free(req.response);
		if (parsed)
			return CALL_OK;
		if (req.status == 401 && c->password && op != ETCD_AUTH && !reauthed) {
			/* The token expired (etcd forgets simple tokens after 5 idle minutes). */
			enum call_status st = authenticate(c, deadline);

			if (st != CALL_OK)
				return st;
			reauthed = 1;
			continue;
		}
		/* A definite no from etcd itself (its error, with a gRPC code): the same on every
		 * member (bad request, permission, no such lease). A stream reports its errors
		 * inside a 200. A 4xx without etcd's error is some other server: next endpoint. */
		if ((req.refused || req.delivered) && code >= 0 && code != GRPC_UNAVAILABLE &&
		    code != GRPC_DEADLINE) {
			c->code = code;
			return CALL_REFUSED;
		}
		/* A claim that failed after it was sent may have happened: the next attempt, on
		 * whichever member, re-reads the key in the same transaction and finds our run id
		 * there if so (claim_won). */
		if (op == ETCD_CLAIM && req.sent && !req.delivered)
			diag_verbose("%s; the claim may have been written: asking again", c->error);
		c->cur = (c->cur + 1) % n;
		if (tried % n == 0) {
			/* Every endpoint failed once more: pause before the next round (a leader
			 * election takes a moment), and never past the deadline. */
			int64_t ms = (int64_t)NAP_MIN_MS << (rounds < 4 ? rounds : 4);

			if (ms > NAP_MAX_MS)
				ms = NAP_MAX_MS;
			rounds++;
			if (mono_ms() + ms >= deadline)
				return CALL_UNREACHABLE;
			if ((c->signo = nap(c->stop, ms)))
				return CALL_INTERRUPTED;
		}
	}
}

/* Sends a request built by etcd_proto_request. */
static enum call_status call_op(struct client *c, enum etcd_op op, const char *key,
				const char *value, int64_t num, int64_t deadline,
				struct etcd_answer *ans)
{
	char *body = etcd_proto_request(op, key, value, num, NULL, NULL);
	enum call_status st;

	if (!body) {
		snprintf(c->error, sizeof c->error, "out of memory");
		return CALL_FAILED;
	}
	st = call(c, op, body, deadline, ans);
	free(body);
	return st;
}

static int64_t gate_deadline(const struct etcd_gate *g)
{
	int64_t d = mono_ms() + GATE_MS;

	return d < g->deadline_ms ? d : g->deadline_ms;
}

static enum call_status lease_grant(struct etcd_gate *g)
{
	struct etcd_answer ans;
	int64_t sent = mono_ms();
	enum call_status st = call_op(&g->c, ETCD_GRANT, NULL, NULL, (int64_t)(g->ttl_ms / 1000),
				      gate_deadline(g), &ans);

	if (st == CALL_OK) {
		g->lease = ans.id;
		g->renewed_ms = sent;
	}
	return st;
}

/* Sends one keepalive before DEADLINE. Returns 1 renewed (*SENT: when it was sent, from
 * which the lease lives its TTL), 0 the lease is gone (expired or revoked), -1 not renewed
 * (*ST and c.error say why). Sets nothing else: the gate's steps and the keeper thread keep
 * renewed_ms each in their own way. */
static int lease_keepalive(struct etcd_gate *g, int64_t deadline, int64_t *sent,
			   enum call_status *st)
{
	struct etcd_answer ans;

	*sent = mono_ms();
	*st = call_op(&g->c, ETCD_KEEPALIVE, NULL, NULL, g->lease, deadline, &ans);
	if (*st == CALL_OK && ans.ttl > 0)
		return 1;
	if (*st == CALL_OK || (*st == CALL_REFUSED && g->c.code == GRPC_NOT_FOUND)) {
		snprintf(g->c.error, sizeof g->c.error, "lease %" PRIx64 " expired",
			 (uint64_t)g->lease);
		return 0;
	}
	return -1;
}

/* lease_keepalive for the gate's own steps, before the command runs. */
static int lease_renew(struct etcd_gate *g, int64_t deadline, enum call_status *st)
{
	int64_t sent;
	int r = lease_keepalive(g, deadline, &sent, st);

	if (r > 0)
		g->renewed_ms = sent;
	return r;
}

/* Revokes the lease, which deletes the lock key with it, atomically and only if the key is
 * still ours: a plain delete could remove the key of a host that took over after our lease
 * expired. Returns 0, or -1 with c.error. */
static int lease_revoke(struct etcd_gate *g, int64_t deadline)
{
	struct etcd_answer ans;
	enum call_status st;

	if (!g->lease)
		return 0;
	st = call_op(&g->c, ETCD_REVOKE, NULL, NULL, g->lease, deadline, &ans);
	if (st == CALL_OK || (st == CALL_REFUSED && g->c.code == GRPC_NOT_FOUND)) {
		g->lease = 0;
		g->locked = 0;
		return 0;
	}
	return -1;
}

/* "HOST (pid N, run ID, since TIME)" for a reason line; WHEN is "since" or "at". */
static void describe_holder(const struct etcd_holder *h, const char *when, char *buf, size_t len)
{
	char pid[32] = "";

	if (!h->host[0]) {
		snprintf(buf, len, "a client that is not cronguard");
		return;
	}
	if (h->pid)
		snprintf(pid, sizeof pid, "pid %lld, ", h->pid);
	snprintf(buf, len, "%s (%srun %s, %s %s)", h->host, pid, h->run_id[0] ? h->run_id : "?",
		 when, h->time[0] ? h->time : "?");
}

/* A lost transaction whose key holds our own run id is a write of ours that timed out but
 * happened: the retry sees it and takes it as won. */
static int claim_won(const struct etcd_answer *ans, const char *run_id, int64_t lease)
{
	return ans->succeeded ||
	       (ans->found && strcmp(ans->holder.run_id, run_id) == 0 && ans->lease == lease);
}

/* Maps a failed call to the gate's outcome, filling REASON. */
static int call_outcome(struct etcd_gate *g, enum call_status st, int *signo, char *reason,
			size_t len)
{
	switch (st) {
	case CALL_OK:
		return ETCD_GO;
	case CALL_UNREACHABLE:
		snprintf(reason, len, "etcd unreachable (%zu endpoint%s tried for up to %d s; last: %s)",
			 g->c.spec->nendpoints, g->c.spec->nendpoints == 1 ? "" : "s", GATE_MS / 1000, g->c.error);
		return ETCD_UNREACHABLE;
	case CALL_INTERRUPTED:
		*signo = g->c.signo;
		snprintf(reason, len, "%s while waiting for etcd; command not run",
			 strsignal(g->c.signo));
		return ETCD_INTERRUPTED;
	case CALL_REFUSED:
		snprintf(reason, len, "etcd refused: %s", g->c.error);
		errno = EACCES;
		return -1;
	case CALL_FAILED:
		break;
	}
	snprintf(reason, len, "etcd: %s", g->c.error);
	errno = ENOMEM;
	return -1;
}

/* The cluster lock: a lease, then the lock key under it if nobody has it, polled with a
 * growing step up to --lock-wait. A blocking /v3/lock/lock would be simpler but waits on
 * the server, where no deadline of ours and no signal can end it. */
static int take_lock(struct etcd_gate *g, int *signo, char *reason, size_t len)
{
	const struct etcd_spec *o = g->c.spec;
	int64_t wait_end = g->started_ms + (int64_t)o->lock_wait_ms, step = NAP_MIN_MS;
	struct etcd_answer ans;
	enum call_status st;
	char holder[400];
	int rc = -1;

	if (etcd_proto_key(o->prefix, "lock", o->job, NULL, g->lock_key, sizeof g->lock_key) < 0) {
		snprintf(reason, len, "etcd lock key for %s is too long", o->job);
		return -1;
	}
	if ((st = lease_grant(g)) != CALL_OK)
		return call_outcome(g, st, signo, reason, len);
	for (;;) {
		/* Built afresh each time: the time it records is when the lock was taken. */
		char *value = etcd_proto_holder(o->host, (long)getpid(), g->run_id, clock_real_us());
		char *body = value ? etcd_proto_request(ETCD_CLAIM, g->lock_key, value, g->lease, NULL,
							NULL) : NULL;
		int64_t now;

		free(value);
		st = body ? call(&g->c, ETCD_CLAIM, body, gate_deadline(g), &ans) : CALL_FAILED;
		free(body);
		if (st != CALL_OK) {
			rc = call_outcome(g, st, signo, reason, len);
			break;
		}
		if (claim_won(&ans, g->run_id, g->lease)) {
			g->locked = 1;
			g->revision = ans.revision;
			rc = ETCD_GO;
			break;
		}
		now = mono_ms();
		if (now >= wait_end) {
			describe_holder(&ans.holder, "since", holder, sizeof holder);
			snprintf(reason, len, "cluster lock %.200s held by %.280s", g->lock_key, holder);
			rc = ETCD_BUSY;
			break;
		}
		if ((*signo = nap(g->c.stop, wait_end - now < step ? wait_end - now : step))) {
			snprintf(reason, len, "%s while waiting for the cluster lock; command not run",
				 strsignal(*signo));
			rc = ETCD_INTERRUPTED;
			break;
		}
		step = step * 2 > NAP_MAX_MS ? NAP_MAX_MS : step * 2;
		/* A long wait outlives the lease: renew it, or take a new one if it is gone. */
		if (mono_ms() - g->renewed_ms >= (int64_t)g->ttl_ms / 3) {
			int r = lease_renew(g, gate_deadline(g), &st);

			if (r < 0) {
				rc = call_outcome(g, st, signo, reason, len);
				break;
			}
			if (r == 0 && (st = lease_grant(g)) != CALL_OK) {
				rc = call_outcome(g, st, signo, reason, len);
				break;
			}
		}
	}
	return rc;
}

/* The claims older than this slot's retention go with its claim (same number of digits
 * only: the purge is a range of keys, compared as bytes). */
static int purge_bounds(const struct etcd_spec *o, int64_t slot, char *from, char *to, size_t len)
{
	int64_t keep = (int64_t)(2 * (o->once_per_ms / 1000) + (o->splay_ms + o->lock_wait_ms) / 1000) +
		       RETENTION_S;
	int64_t cutoff = slot - keep;
	char a[24], b[24];

	snprintf(a, sizeof a, "%" PRId64, slot);
	snprintf(b, sizeof b, "%" PRId64, cutoff);
	if (cutoff <= 0 || strlen(a) != strlen(b) ||
	    etcd_proto_key(o->prefix, "once", o->job, NULL, from, len - 1) < 0 ||
	    etcd_proto_key(o->prefix, "once", o->job, &cutoff, to, len) < 0)
		return -1;
	strcat(from, "/");
	return 0;
}

/* The once-per-period claim: create the slot's key if nobody has; no lease, because the
 * claim must outlive the period (older claims are purged by later ones instead). */
static int claim_slot(struct etcd_gate *g, int64_t invoked_us, int *signo, char *reason,
		      size_t len)
{
	const struct etcd_spec *o = g->c.spec;
	int64_t slot = etcd_proto_slot(invoked_us, o->once_per_ms);
	char key[KEY_MAX], from[KEY_MAX], to[KEY_MAX], holder[400];
	int purge = 0;
	struct etcd_answer ans;
	enum call_status st;
	char *value, *body = NULL;

	if (etcd_proto_key(o->prefix, "once", o->job, &slot, key, sizeof key) < 0) {
		snprintf(reason, len, "etcd claim key for %s is too long", o->job);
		return -1;
	}
	purge = purge_bounds(o, slot, from, to, sizeof from) == 0;
	value = etcd_proto_holder(o->host, 0, g->run_id, clock_real_us());
	if (value)
		body = etcd_proto_request(ETCD_CLAIM, key, value, 0, purge ? from : NULL,
					  purge ? to : NULL);
	free(value);
	if (!body)
		return call_outcome(g, CALL_FAILED, signo, reason, len);
	st = call(&g->c, ETCD_CLAIM, body, gate_deadline(g), &ans);
	free(body);
	if (st != CALL_OK)
		return call_outcome(g, st, signo, reason, len);
	if (claim_won(&ans, g->run_id, 0)) {
		if (!g->revision)
			g->revision = ans.revision;
		return ETCD_GO;
	}
	if (ans.holder.host[0] && strcmp(ans.holder.host, o->host) == 0) {
		snprintf(reason, len, "slot %.200s already claimed by this host (run %s at %s): "
			 "a rerun within the period", key, ans.holder.run_id, ans.holder.time);
	} else {
		describe_holder(&ans.holder, "at", holder, sizeof holder);
		snprintf(reason, len, "slot %.200s claimed by %.280s", key, holder);
	}
	return ETCD_CLAIMED;
}

static void keeper_stop(struct etcd_gate *g);

/* Gives back whatever was taken; LOUD says so on stderr when that fails. */
static void gate_free(struct etcd_gate *g, int loud)
{
	uint64_t ttl_s = g->ttl_ms / 1000;

	keeper_stop(g);
	pthread_mutex_destroy(&g->mu);
	g->c.stop = NULL;
	if (g->lease && lease_revoke(g, mono_ms() + LEAVE_MS) < 0) {
		if (loud && g->locked)
			diag_error("cannot release the cluster lock %s (it is freed when its lease "
				   "expires, within %" PRIu64 " s): %s", g->lock_key, ttl_s, g->c.error);
		else
			diag_verbose("cannot revoke etcd lease %" PRIx64 ": %s", (uint64_t)g->lease,
				     g->c.error);
	}
	client_free(&g->c);
	free(g);
}

/* The gate's steps; returns an outcome, or -1 with errno and REASON. */
static int enter(const struct etcd_spec *o, const char *run_id, int64_t invoked_us,
		 const sigset_t *stop, struct etcd_gate **gate, int *signo, char *reason, size_t len)
{
	struct etcd_gate *g;
	int rc = ETCD_GO, e;

	*gate = NULL;
	*signo = 0;
	if (len)
		reason[0] = '\0';
	if (o->nendpoints == 0 || (!o->cluster_lock && !o->once_per_ms))
		return ETCD_GO;
	if (!(g = calloc(1, sizeof *g))) {
		snprintf(reason, len, "out of memory");
		return -1;
	}
	if (client_init(&g->c, o, stop, reason, len) < 0) {
		e = errno;
		free(g);
		errno = e;
		return -1;
	}
	snprintf(g->run_id, sizeof g->run_id, "%s", run_id);
	g->bell[0] = g->bell[1] = g->quit[0] = g->quit[1] = -1;
	pthread_mutex_init(&g->mu, NULL);
	g->ttl_ms = o->ttl_ms;
	g->started_ms = mono_ms();
	g->deadline_ms = g->started_ms + GATE_MS + (int64_t)o->lock_wait_ms;
	/* The lock first: a host that waits for it must not hold the period's claim meanwhile. */
	if (o->cluster_lock)
		rc = take_lock(g, signo, reason, len);
	if (rc == ETCD_GO && o->once_per_ms)
		rc = claim_slot(g, invoked_us, signo, reason, len);
	if (rc == ETCD_GO && g->lease && mono_ms() - g->renewed_ms >= (int64_t)g->ttl_ms / 3) {
		/* A slow claim: make sure the lock still stands before the command starts. */
		enum call_status st;
		int r = lease_renew(g, gate_deadline(g), &st);

		if (r <= 0)
			rc = call_outcome(g, r == 0 ? CALL_UNREACHABLE : st, signo, reason, len);
	}
	if (rc == ETCD_UNREACHABLE && o->fail_open) {
		size_t n = strlen(reason);

		snprintf(reason + n, len - n, "; running anyway (--etcd-fail-open)");
	} else if (rc == ETCD_UNREACHABLE) {
		size_t n = strlen(reason);

		snprintf(reason + n, len - n, "; command not run");
	}
	if (rc == ETCD_GO || (rc == ETCD_UNREACHABLE && o->fail_open)) {
		g->c.stop = NULL;
		*gate = g;
		return rc;
	}
	e = errno;
	gate_free(g, 0);
	errno = e;
	return rc;
}

void etcd_gate_enter(const struct etcd_spec *spec, const char *run_id, int64_t invoked_us,
		     const sigset_t *stop, struct etcd_gate **gate, struct gate_result *r)
{
	int rc = enter(spec, run_id, invoked_us, stop, gate, &r->signal, r->reason,
		       sizeof r->reason);

	r->verdict = GATE_END;
	r->state = RUN_ERROR;
	switch (rc) {
	case ETCD_GO:
		if (spec->nendpoints)
			diag_verbose("cluster: %s%s%s on etcd", spec->cluster_lock ? "cluster lock held" : "",
			     spec->cluster_lock && spec->once_per_ms ? ", " : "",
			     spec->once_per_ms ? "this period's slot claimed" : "");
		r->verdict = GATE_GO;
		r->reason[0] = '\0';
		break;
	case ETCD_BUSY:
		r->state = RUN_SKIPPED_LOCKED;
		break;
	case ETCD_CLAIMED:
		r->state = RUN_SKIPPED_CLAIMED;
		break;
	case ETCD_INTERRUPTED:
		snprintf(r->reason, sizeof r->reason,
			 "%s while waiting for the cluster lock; command not run", strsignal(r->signal));
		break;
	case ETCD_UNREACHABLE:
		/* Kept as the run's reason, and said: it runs unguarded. */
		if (spec->fail_open)
			r->verdict = GATE_GO;
		break;
	default:
		break;
	}
}

/* The last moment the command may still live: the lease lives TTL past the last keepalive
 * sent, less a margin for the KILL to take effect and for the clocks' drift. */
static int64_t kill_by_ms(int64_t renewed_ms, int64_t ttl)
{
	int64_t margin = ttl / 10 > 500 ? ttl / 10 : 500;

	return renewed_ms + ttl - margin;
}

/* The moment TERM must go out: a third of the TTL before the KILL, for the command to end
 * on TERM. Pure arithmetic on the last renewal, so that the loop never waits for etcd. */
static int64_t term_by_ms(int64_t renewed_ms, int64_t ttl)
{
	return kill_by_ms(renewed_ms, ttl) - ttl / 3;
}

static uint64_t lease_kill_within(void *ctx)
{
	struct etcd_gate *g = ctx;
	int64_t left;
	int locked;

	pthread_mutex_lock(&g->mu);
	left = kill_by_ms(g->renewed_ms, (int64_t)g->ttl_ms) - mono_ms();
	locked = g->locked && !g->lost;
	pthread_mutex_unlock(&g->mu);
	/* Gone already (the server said so): now. */
	return left > 0 && locked ? (uint64_t)left : 0;
}

/* The watch's verdict, from the clock and what the keeper thread found; never a request.
 * Stops the command when etcd said the lease is gone, or when the lease was not renewed
 * for so long that only the TERM-to-KILL third is left before it may expire. */
static int lease_check(void *ctx, char *reason, size_t len)
{
	struct etcd_gate *g = ctx;
	int64_t ttl = (int64_t)g->ttl_ms, now = mono_ms(), silent;
	char ding[16];
	int stop = 0;

	if (g->bell[0] >= 0)
		while (read(g->bell[0], ding, sizeof ding) > 0)
			;
	pthread_mutex_lock(&g->mu);
	silent = now - g->renewed_ms;
	if (g->lost) {
		snprintf(reason, len, "lost the cluster lock (etcd lease %" PRIx64 " expired)",
			 (uint64_t)g->lease);
		stop = 1;
	} else if (now >= term_by_ms(g->renewed_ms, ttl)) {
		snprintf(reason, len, "lost the cluster lock (etcd lease %" PRIx64 " not renewed "
			 "for %" PRId64 " s of its %" PRId64 " s: %s)", (uint64_t)g->lease,
			 silent / 1000, ttl / 1000, g->why[0] ? g->why : "no answer yet");
		stop = 1;
	}
	pthread_mutex_unlock(&g->mu);
	return stop;
}

/* Waits MS on the quit pipe; returns 1 when told to stop. */
static int keeper_nap(struct etcd_gate *g, int64_t ms)
{
	struct pollfd p = { .fd = g->quit[0], .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, ms > 0 ? (int)(ms < 60000 ? ms : 60000) : 0);
	while (r < 0 && errno == EINTR);
	return r != 0;
}

/* The keeper thread: a keepalive every TTL/3 after the last renewal, again after RETRY_MS
 * while one fails, each one bounded; it alone uses the client while the command runs. A
 * lease that etcd says is gone rings the bell at once; a silence is judged by lease_check. */
static void *lease_keeper(void *arg)
{
	struct etcd_gate *g = arg;
	int64_t ttl = (int64_t)g->ttl_ms, budget = ttl / 3 < KEEPALIVE_MS ? ttl / 3 : KEEPALIVE_MS;
	int64_t next;

	pthread_mutex_lock(&g->mu);
	next = g->renewed_ms + ttl / 3;
	pthread_mutex_unlock(&g->mu);
	while (!keeper_nap(g, next - mono_ms())) {
		enum call_status st;
		int64_t sent;
		int r = lease_keepalive(g, mono_ms() + budget, &sent, &st);

		pthread_mutex_lock(&g->mu);
		if (r > 0) {
			g->renewed_ms = sent;
			g->why[0] = '\0';
			next = sent + ttl / 3;
		} else if (r == 0) {
			g->lost = 1;
		} else {
			snprintf(g->why, sizeof g->why, "%s", g->c.error);
			next = mono_ms() + RETRY_MS;
		}
		pthread_mutex_unlock(&g->mu);
		if (g->lost) {
			(void)!write(g->bell[1], "x", 1);
			break;
		}
		if (r < 0)
			diag_verbose("cannot renew etcd lease %" PRIx64 " (will retry): %s",
				     (uint64_t)g->lease, g->c.error);
	}
	return NULL;
}

static void keeper_stop(struct etcd_gate *g)
{
	if (g->keeping) {
		(void)!write(g->quit[1], "x", 1);
		pthread_join(g->keeper, NULL);
		g->keeping = 0;
		/* What the thread learnt, for the revoke: a lease etcd said is gone is not ours. */
		if (g->lost)
			g->locked = 0;
	}
	for (int i = 0; i < 2; i++) {
		if (g->bell[i] >= 0)
			close(g->bell[i]);
		if (g->quit[i] >= 0)
			close(g->quit[i]);
		g->bell[i] = g->quit[i] = -1;
	}
}

int etcd_gate_watch(struct etcd_gate *gate, struct run_watch *w)
{
	sigset_t all, old;
	int e;

	*w = (struct run_watch){ .fd = -1 };
	if (!gate || !gate->lease)
		return 0;
	if (pipe2(gate->bell, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	if (pipe2(gate->quit, O_CLOEXEC) < 0) {
		e = errno;
		keeper_stop(gate);
		errno = e;
		return -1;
	}
	/* Every signal stays with the main thread's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&gate->keeper, NULL, lease_keeper, gate);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		keeper_stop(gate);
		errno = e;
		return -1;
	}
	gate->keeping = 1;
	/* Woken by the bell, and often enough to TERM within a twentieth of the TTL (at most
	 * 500 ms) of the moment lease_check names. */
	*w = (struct run_watch){ .fd = gate->bell[0], .check = lease_check,
				 .kill_within = lease_kill_within, .ctx = gate,
				 .interval_ms = gate->ttl_ms / 20 < 500 ? gate->ttl_ms / 20 : 500 };
	return 0;
}

int64_t etcd_gate_revision(const struct etcd_gate *gate)
{
	return gate ? gate->revision : 0;
}

void etcd_gate_leave(struct etcd_gate *gate)
{
	if (gate)
		gate_free(gate, 1);
}

/* One key's holder for --dry-run: a host, "none", "unknown", or "error". */
static int describe_key(struct client *c, const char *name, const char *key, int64_t deadline,
			FILE *out)
{
	struct etcd_answer ans;
	enum call_status st;

	fprintf(out, "etcd_%s_key=%s\n", name, key ? key : "none");
	if (!key) {
		fprintf(out, "etcd_%s_holder=none\n", name);
		return 0;
	}
	st = call_op(c, ETCD_RANGE, key, NULL, 0, deadline, &ans);
	if (st != CALL_OK) {
		fprintf(out, "etcd_%s_holder=error\n", name);
		diag_error("cannot read %s from etcd: %s%s", key,
			   st == CALL_UNREACHABLE ? "unreachable: " : "", c->error);
		return st == CALL_UNREACHABLE && c->spec->fail_open ? 0 : -1;
	}
	fprintf(out, "etcd_%s_holder=%s\n", name,
		!ans.found ? "none" : ans.holder.host[0] ? ans.holder.host : "unknown");
	return 0;
}

int etcd_gate_describe(const struct etcd_spec *o, int64_t invoked_us, FILE *out)
{
	char lock[KEY_MAX], once[KEY_MAX], err[320];
	int64_t slot = o->once_per_ms ? etcd_proto_slot(invoked_us, o->once_per_ms) : 0, deadline;
	int have_lock = o->cluster_lock, have_once = o->once_per_ms != 0, rc = 0;
	struct client c;

	fputs("etcd_endpoints=", out);
	for (size_t i = 0; i < o->nendpoints; i++)
		fprintf(out, "%s%s", i ? "," : "", o->endpoints[i]);
	fputs(o->nendpoints ? "\n" : "none\n", out);
	if (have_lock && etcd_proto_key(o->prefix, "lock", o->job, NULL, lock, sizeof lock) < 0)
		have_lock = 0;
	if (have_once && etcd_proto_key(o->prefix, "once", o->job, &slot, once, sizeof once) < 0)
		have_once = 0;
	if (!have_lock && !have_once) {
		fputs("etcd_lock_key=none\netcd_lock_holder=none\n"
		      "etcd_once_key=none\netcd_once_holder=none\n", out);
		return 0;
	}
	if (client_init(&c, o, NULL, err, sizeof err) < 0) {
		fprintf(out, "etcd_lock_key=%s\netcd_lock_holder=error\n", have_lock ? lock : "none");
		fprintf(out, "etcd_once_key=%s\netcd_once_holder=error\n", have_once ? once : "none");
		diag_error("%s", err);
		return -1;
	}
	deadline = mono_ms() + DESCRIBE_MS;
	if (describe_key(&c, "lock", have_lock ? lock : NULL, deadline, out) < 0)
		rc = -1;
	if (describe_key(&c, "once", have_once ? once : NULL, deadline, out) < 0)
		rc = -1;
	client_free(&c);
	return rc;
}
