/* HTTP for the report sinks: libcurl, loaded on first use, driving every request at once. */
#ifndef CRONGUARD_HTTP_H
#define CRONGUARD_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_tls {
	const char *ca_file;       /* NULL: the system's CA bundle */
	const char *client_cert;   /* with client_key, or both NULL */
	const char *client_key;
	int insecure;              /* non-zero: skip certificate and host name checks */
};

/* What an HTTP answer means for the record it answered; each sink keeps its own table
 * (sink_*.c), from its protocol's documentation and the servers' observed behaviour. */
enum http_verdict {
	HTTP_KEEP,     /* not delivered, and no retry now: the record waits for a later run */
	HTTP_RETRY,    /* may pass if repeated: retried with backoff inside the deadline, then kept */
	HTTP_DROP,     /* proves the record itself bad: no run could deliver it */
};

/* One row: statuses LO..HI get VERDICT. Statuses no row names are HTTP_KEEP. */
struct http_rule {
	short lo, hi;
	enum http_verdict verdict;
};

struct http_rules {
	const struct http_rule *rows;
	size_t n;
};

/* One POST (or METHOD). The caller owns every pointer and keeps them alive during http_run_all. */
struct http_request {
	const char *url;
	const char *content_type;  /* NULL: none */
	const char *authorization; /* the Authorization header's value, a secret, or NULL */
	const char *body;
	size_t body_len;
	const struct http_rules *rules; /* the sink's table; NULL: retry 408, 429 and 5xx */
	const char *method;        /* NULL: POST; else this method (--forget's "DELETE") */

	/* Results. */
	int delivered;             /* a 2xx answer */
	int refused;               /* an answer that proves the record bad (HTTP_DROP); for a
				    * session, any answer that no retry would change */
	int answered;              /* not delivered, not refused, but the server answered this
				    * record (not "busy": 408, 429, 502-504), or the attempt failed
				    * in a way that repeats (TLS verification): a refusal that counts */
	long status;               /* the last HTTP status seen, 0 if none */
	unsigned attempts;
	long body_limit;           /* the Ping-Body-Limit response header, or -1 */
	char error[320];           /* why it was not delivered; never a header or a body we sent */

	/* Optional, set by the caller: keep up to RESPONSE_MAX bytes (at most HTTP_RESPONSE_MAX)
	 * of the last answer's body in RESPONSE; 0 keeps nothing. */
	size_t response_max;
	/* Results, beyond the ones above. */
	char *response;            /* the body kept, NUL-terminated, malloc'd (the caller frees
				    * it), or NULL */
	size_t response_len;
	int response_truncated;    /* the body was longer than RESPONSE_MAX */
	int sent;                  /* the last attempt put the request on the wire: if it failed,
				    * the server may still have acted on it */
};

enum { HTTP_RESPONSE_MAX = 1 << 20, HTTP_PARALLEL = 16 };

/* http_run_all sends the requests concurrently (curl multi, at most HTTP_PARALLEL at a time
 * over kept-alive connections), retrying what each request's rules call transient with
 * backoff, until all are done or TIMEOUT_MS have passed; requests still unanswered at the
 * deadline are abandoned. Redirects are never followed (see http.c). Fills the results of
 * each request. Returns 0, or -1 when libcurl could not be loaded (every request's error
 * then says so). */
int http_run_all(struct http_request *reqs, size_t n, uint64_t timeout_ms,
		 const struct http_tls *tls);

/* A session sends one request at a time, once, over connections it keeps alive between
 * requests: no retry, so the caller decides what a failure means (another endpoint, or a
 * re-read after a write that may have happened). */
struct http_session;

/* http_session_new loads libcurl if needed. Returns the session, or NULL with a reason in
 * ERR (libcurl missing, out of memory). */
struct http_session *http_session_new(char *err, size_t errlen);

/* http_session_send makes one attempt at REQ, which must end within TIMEOUT_MS and connect
 * within CONNECT_MS, and fills its results as http_run_all does (attempts is 1). Returns 0,
 * or -1 with errno when the request could not even be set up (REQ's error says why). */
int http_session_send(struct http_session *s, struct http_request *req, uint64_t timeout_ms,
		      uint64_t connect_ms, const struct http_tls *tls);

/* http_session_free closes the session's connections; NULL is fine. */
void http_session_free(struct http_session *s);

/* http_retryable tells whether an attempt that ended with CURL_CODE (a CURLcode) and HTTP
 * STATUS may succeed if repeated: connection failures, timeouts, 408, 429 and 5xx. Pure. */
int http_retryable(long status, int curl_code);

/* http_judge is RULES' verdict on STATUS (the default table for NULL). Pure. */
enum http_verdict http_judge(const struct http_rules *rules, long status);

/* http_busy tells whether STATUS says the server, not the record, is the trouble (408, 429,
 * 502, 503, 504): such an answer never counts against a record. Pure. */
int http_busy(long status);

/* http_backoff_ms is the pause after the ATTEMPTS-th failed attempt (1, 2...). Pure. */
uint64_t http_backoff_ms(unsigned attempts);

/* http_origin writes URL's scheme://host[:port] into BUF, the part safe to log: paths and
 * queries may carry check keys. Pure. */
void http_origin(const char *url, char *buf, size_t len);

#endif
