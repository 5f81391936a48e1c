/* HTTP for the report sinks: libcurl, loaded on first use, driving every request at once. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>

#include "clock.h"
#include "http.h"

/* Linking libcurl costs every run milliseconds and megabytes of relocations, and most runs
 * report nothing remote: the library is opened only here, on the first request. */
struct curl_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

#define SYM(name) { "curl_" #name, offsetof(struct curl_api, name) }
static const struct {
	const char *name;
	size_t off;
} curl_syms[] = {
	SYM(global_init), SYM(easy_init), SYM(easy_setopt), SYM(easy_getinfo),
	SYM(easy_cleanup), SYM(easy_strerror), SYM(easy_perform), SYM(easy_reset), SYM(multi_init), SYM(multi_add_handle),
	SYM(multi_remove_handle), SYM(multi_perform), SYM(multi_poll), SYM(multi_info_read),
	SYM(multi_cleanup), SYM(slist_append), SYM(slist_free_all),
};
#undef SYM

static struct curl_api api;
static int api_state;          /* 0: not tried yet, 1: loaded, -1: failed (see api_error) */
static char api_error[256];

/* Tries once per process; the library is never closed, because TLS back ends register
 * exit handlers that would point into unmapped code. */
static int api_load(void)
{
	void *lib;

	if (api_state != 0)
		return api_state > 0 ? 0 : -1;
	api_state = -1;
	lib = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(api_error, sizeof api_error, "cannot load %s (is libcurl installed?): %s",
			 CURL_SONAME, dlerror());
		return -1;
	}
	for (size_t i = 0; i < sizeof curl_syms / sizeof *curl_syms; i++) {
		void *p = dlsym(lib, curl_syms[i].name);

		if (!p) {
			snprintf(api_error, sizeof api_error, "%s lacks %s (libcurl too old?)",
				 CURL_SONAME, curl_syms[i].name);
			return -1;
		}
		/* POSIX guarantees that dlsym's object pointer converts to a function pointer. */
		memcpy((char *)&api + curl_syms[i].off, &p, sizeof p);
	}
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(api_error, sizeof api_error, "libcurl failed to initialise");
		return -1;
	}
	api_state = 1;
	return 0;
}

enum { MAX_ATTEMPTS = 5, SNIPPET = 160 };

int http_retryable(long status, int curl_code)
{
	switch (curl_code) {
	case CURLE_OK:
		return status == 408 || status == 429 || (status >= 500 && status <= 599);
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_HTTP2:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		/* TLS verification, bad URLs, refused protocols: the same next time. */
		return 0;
	}
}

/* Retry what may pass if repeated: timeouts, rate limits and server errors. */
static const struct http_rule default_rows[] = {
	{ 408, 408, HTTP_RETRY },
	{ 429, 429, HTTP_RETRY },
	{ 500, 599, HTTP_RETRY },
};
static const struct http_rules default_rules = { default_rows, sizeof default_rows / sizeof *default_rows };

enum http_verdict http_judge(const struct http_rules *rules, long status)
{
	if (!rules)
		rules = &default_rules;
	for (size_t i = 0; i < rules->n; i++)
		if (status >= rules->rows[i].lo && status <= rules->rows[i].hi)
			return rules->rows[i].verdict;
	return HTTP_KEEP;
}

int http_busy(long status)
{
	return status == 408 || status == 429 || (status >= 502 && status <= 504);
}

uint64_t http_backoff_ms(unsigned attempts)
{
	if (attempts == 0)
		return 0;
	if (attempts > 5)
		return 4000;
	return (uint64_t)250 << (attempts - 1) > 4000 ? 4000 : (uint64_t)250 << (attempts - 1);
}

void http_origin(const char *url, char *buf, size_t len)
{
	const char *host = strstr(url, "://");
	const char *end, *at;
	size_t n;

	host = host ? host + 3 : url;
	end = host + strcspn(host, "/?#");
	/* Userinfo is refused by the options, but a log line must never depend on that. */
	at = memchr(host, '@', (size_t)(end - host));
	n = (size_t)(host - url);
	if (len == 0)
		return;
	snprintf(buf, len, "%.*s%.*s", (int)n, url, (int)(end - (at ? at + 1 : host)),
		 at ? at + 1 : host);
}

static int64_t now_ms(void)
{
	return clock_mono_us() / 1000;
}

enum slot_state { SLOT_WAITING, SLOT_RUNNING, SLOT_DONE };

/* What one request needs beyond the caller's struct while it is in flight. */
struct slot {
	struct http_request *req;
	CURL *easy;
	struct curl_slist *headers;
	enum slot_state state;
	int64_t next_ms;           /* WAITING: not before this time */
	long retry_after_ms;       /* from the last answer's Retry-After, or -1 */
	char snippet[SNIPPET];     /* the start of the last answer's body, for the log */
	size_t snippet_len;
	size_t response_cap;       /* bytes allocated at req->response */
	char errbuf[CURL_ERROR_SIZE];
};

/* Matches a header line "Name: value" case-insensitively; returns the value or NULL. */
static const char *header_value(const char *line, size_t len, const char *name, char *out,
				size_t outlen)
{
	size_t nl = strlen(name), i, o = 0;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	for (i = nl + 1; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	for (; i < len && line[i] != '\r' && line[i] != '\n' && o + 1 < outlen; i++)
		out[o++] = line[i];
	out[o] = '\0';
	return out;
}

static long parse_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < 0)
		return -1;
	return v;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct slot *s = ctx;
	size_t len = size * nmemb;
	char value[64];

	/* A new status line starts a new answer (after a redirect or a 100): forget the last. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		s->req->body_limit = -1;
		s->retry_after_ms = -1;
	} else if (header_value(data, len, "Ping-Body-Limit", value, sizeof value)) {
		s->req->body_limit = parse_count(value);
	} else if (header_value(data, len, "Retry-After", value, sizeof value)) {
		long secs = parse_count(value);   /* an HTTP date is left to the backoff */
		s->retry_after_ms = secs >= 0 && secs < 86400 ? secs * 1000 : -1;
	}
	return len;
}

/* The whole body, up to the bound the caller chose, for callers that read answers (etcd).
 * Returns -1 when memory ran out, which aborts the transfer. */
static int keep_body(struct slot *s, const char *data, size_t len)
{
	struct http_request *r = s->req;
	size_t max = r->response_max < HTTP_RESPONSE_MAX ? r->response_max : HTTP_RESPONSE_MAX;
	size_t room = max - r->response_len;

	if (len > room) {
		r->response_truncated = 1;
		len = room;
	}
	if (len == 0)
		return 0;
	if (r->response_len + len + 1 > s->response_cap) {
		size_t cap = s->response_cap ? s->response_cap * 2 : 4096;
		char *p;

		while (cap < r->response_len + len + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		if (!(p = realloc(r->response, cap)))
			return -1;
		r->response = p;
		s->response_cap = cap;
	}
	memcpy(r->response + r->response_len, data, len);
	r->response_len += len;
	r->response[r->response_len] = '\0';
	return 0;
}

/* Answers are read for their first bytes, which name the error when there is one, and kept
 * whole only when the caller asked for them. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct slot *s = ctx;
	size_t len = size * nmemb, room = sizeof s->snippet - 1 - s->snippet_len;

	if (len < room)
		room = len;
	memcpy(s->snippet + s->snippet_len, data, room);
	s->snippet_len += room;
	s->snippet[s->snippet_len] = '\0';
	if (s->req->response_max && keep_body(s, data, len) < 0)
		return 0;
	return len;
}

/* libcurl's sockets are opened close-on-exec, so a command forked while a request is in
 * flight (the etcd gate keeps connections across the run) never inherits one. The
 * callback's contract: a socket for ADDR, or CURL_SOCKET_BAD. */
static curl_socket_t open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *addr)
{
	int fd;

	(void)ctx;
	(void)purpose;
	fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

#define SETOPT(s, opt, val) \
	do { \
		if (rc == CURLE_OK) \
			rc = api.easy_setopt((s)->easy, opt, val); \
	} while (0)

/* Sets every option of S's request on S->easy, a new handle or one just reset. */
static CURLcode slot_setup(struct slot *s, const struct http_tls *tls)
{
	struct http_request *r = s->req;
	CURLcode rc = CURLE_OK;
	char line[512];

	/* Sent POST bodies larger than 1 KiB would otherwise wait up to a second for a "100
	 * Continue" that small servers never send. */
	s->headers = api.slist_append(NULL, "Expect:");
	if (s->headers && r->content_type) {
		snprintf(line, sizeof line, "Content-Type: %s", r->content_type);
		s->headers = api.slist_append(s->headers, line);
	}
	if (s->headers && r->authorization) {
		/* libcurl >= 7.58 never passes a custom Authorization on to another host on a
		 * redirect, so the secret stays with the server it was meant for. */
		size_t n = strlen(r->authorization) + sizeof "Authorization: ";
		char *h = malloc(n);

		if (h) {
			snprintf(h, n, "Authorization: %s", r->authorization);
			s->headers = api.slist_append(s->headers, h);
			explicit_bzero(h, n);
			free(h);
		} else {
			api.slist_free_all(s->headers);
			s->headers = NULL;
		}
	}
	if (!s->headers)
		return CURLE_OUT_OF_MEMORY;
	SETOPT(s, CURLOPT_URL, r->url);
	SETOPT(s, CURLOPT_POST, 1L);
	SETOPT(s, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
	SETOPT(s, CURLOPT_POSTFIELDS, r->body_len ? r->body : "");
	SETOPT(s, CURLOPT_CUSTOMREQUEST, r->method);
	SETOPT(s, CURLOPT_HTTPHEADER, s->headers);
	SETOPT(s, CURLOPT_USERAGENT, "cronguard/" PACKAGE_VERSION);
	/* Signals stay with cronguard: no SIGALRM-based DNS timeouts inside libcurl. */
	SETOPT(s, CURLOPT_NOSIGNAL, 1L);
	SETOPT(s, CURLOPT_ERRORBUFFER, s->errbuf);
	SETOPT(s, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	/* Every request is a POST whose body may hold a job's output: a redirect is never
	 * followed, so the body never goes to another origin nor from https to http (a 307 to
	 * http:// would re-send it in cleartext). A 3xx is an answer like any other refusal;
	 * the user gives the final URL. The redirect protocols are narrowed all the same, in
	 * case a later change follows one: never down from https. */
	SETOPT(s, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(s, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(s, CURLOPT_REDIR_PROTOCOLS_STR, strncasecmp(r->url, "https:", 6) == 0 ? "https" : "http,https");
#else
	SETOPT(s, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SETOPT(s, CURLOPT_REDIR_PROTOCOLS, strncasecmp(r->url, "https:", 6) == 0
			? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(s, CURLOPT_PRIVATE, (void *)s);
	SETOPT(s, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(s, CURLOPT_HEADERDATA, s);
	SETOPT(s, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(s, CURLOPT_WRITEDATA, s);
	SETOPT(s, CURLOPT_SSL_VERIFYPEER, tls && tls->insecure ? 0L : 1L);
	SETOPT(s, CURLOPT_SSL_VERIFYHOST, tls && tls->insecure ? 0L : 2L);
	if (tls && tls->ca_file)
		SETOPT(s, CURLOPT_CAINFO, tls->ca_file);
	if (tls && tls->client_cert)
		SETOPT(s, CURLOPT_SSLCERT, tls->client_cert);
	if (tls && tls->client_key)
		SETOPT(s, CURLOPT_SSLKEY, tls->client_key);
	return rc;
}

static CURLcode slot_prepare(struct slot *s, const struct http_tls *tls)
{
	s->easy = api.easy_init();
	if (!s->easy)
		return CURLE_OUT_OF_MEMORY;
	return slot_setup(s, tls);
}

static void slot_fail(struct slot *s, const char *what, const char *detail)
{
	snprintf(s->req->error, sizeof s->req->error, "%s%s", what, detail);
	s->state = SLOT_DONE;
}

/* Starts (or restarts) the transfer with what is left of the deadline as its limit. */
static int slot_start(struct slot *s, CURLM *multi, int64_t left_ms, const struct http_tls *tls)
{
	CURLcode rc = CURLE_OK;

	if (!s->easy) {
		rc = slot_prepare(s, tls);
		if (rc != CURLE_OK) {
			slot_fail(s, "cannot set up the request: ", api.easy_strerror(rc));
			return -1;
		}
	}
	s->errbuf[0] = '\0';
	s->snippet_len = 0;
	s->snippet[0] = '\0';
	s->retry_after_ms = -1;
	s->req->response_len = 0;
	s->req->response_truncated = 0;
	if (s->req->response)
		s->req->response[0] = '\0';
	SETOPT(s, CURLOPT_TIMEOUT_MS, (long)left_ms);
	SETOPT(s, CURLOPT_CONNECTTIMEOUT_MS, (long)left_ms);
	if (rc != CURLE_OK || api.multi_add_handle(multi, s->easy) != CURLM_OK) {
		slot_fail(s, "cannot start the request: ", api.easy_strerror(rc));
		return -1;
	}
	s->req->attempts++;
	s->state = SLOT_RUNNING;
	return 0;
}

/* The first line of an answer's body, printable bytes only, for one log line. */
static void clean_snippet(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && *in != '\n' && *in != '\r' && o + 1 < len; in++)
		out[o++] = (unsigned char)*in >= 0x20 && *in != 0x7f ? *in : '?';
	out[o] = '\0';
}

static void describe(struct slot *s, CURLcode code)
{
	struct http_request *r = s->req;
	char detail[SNIPPET];
	char tries[48] = "";

	if (r->attempts > 1)
		snprintf(tries, sizeof tries, " (%u attempts)", r->attempts);
	if (code == CURLE_OK) {
		clean_snippet(s->snippet, detail, sizeof detail);
		snprintf(r->error, sizeof r->error, "HTTP %ld%s%s%s%s", r->status,
			 r->status >= 300 && r->status <= 399 ? " (redirects are not followed: give the final URL)" : "",
			 detail[0] ? ": " : "", detail, tries);
	} else {
		snprintf(r->error, sizeof r->error, "%s%s",
			 s->errbuf[0] ? s->errbuf : api.easy_strerror(code), tries);
	}
}

/* Bytes of the request reached the socket: after that, a failure does not prove that the
 * server never acted on it. */
static int was_sent(CURL *easy)
{
	long size = 0;

	return api.easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &size) == CURLE_OK && size > 0;
}

/* Reads an attempt's end: delivered, retried after a pause, or given up. */
static void slot_finish(struct slot *s, CURLM *multi, CURLcode code, int64_t now, int64_t deadline)
{
	struct http_request *r = s->req;
	enum http_verdict verdict;
	long status = 0;
	int64_t pause;

	api.multi_remove_handle(multi, s->easy);
	api.easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	r->sent = was_sent(s->easy);
	if (code == CURLE_OK && status >= 200 && status <= 299) {
		r->delivered = 1;
		r->error[0] = '\0';
		s->state = SLOT_DONE;
		return;
	}
	describe(s, code);
	verdict = code == CURLE_OK ? http_judge(r->rules, status)
				   : http_retryable(0, code) ? HTTP_RETRY : HTTP_KEEP;
	r->refused = code == CURLE_OK && verdict == HTTP_DROP;
	/* A transport failure that repeats the same way (a certificate refused, a protocol
	 * not allowed) is as much an answer as a 4xx. */
	r->answered = code == CURLE_OK ? verdict != HTTP_DROP && !http_busy(status)
				       : verdict == HTTP_KEEP;
	if (verdict != HTTP_RETRY) {
		s->state = SLOT_DONE;
		return;
	}
	pause = (int64_t)http_backoff_ms(r->attempts);
	if (s->retry_after_ms > pause)
		pause = s->retry_after_ms;
	if (r->attempts >= MAX_ATTEMPTS || now + pause >= deadline) {
		s->state = SLOT_DONE;
		return;
	}
	s->state = SLOT_WAITING;
	s->next_ms = now + pause;
}

/* A finished request gives its handle back at once: a flush of thousands of records keeps
 * only HTTP_PARALLEL handles alive, and their connections stay in the multi's cache. */
static void slot_release(struct slot *s)
{
	if (s->easy)
		api.easy_cleanup(s->easy);
	if (s->headers)
		api.slist_free_all(s->headers);
	s->easy = NULL;
	s->headers = NULL;
}

static void run_loop(struct slot *slots, size_t n, CURLM *multi, int64_t deadline,
		     const struct http_tls *tls)
{
	size_t first = 0;          /* slots before this one are all done */
	size_t running = 0;

	for (;;) {
		int64_t now = now_ms(), wake = deadline;
		int still, finished = 0;
		CURLMsg *msg;

		while (first < n && slots[first].state == SLOT_DONE)
			first++;
		if (first == n)
			return;
		if (now >= deadline)
			break;
		for (size_t i = first; i < n && running < HTTP_PARALLEL; i++) {
			struct slot *s = &slots[i];

			if (s->state != SLOT_WAITING)
				continue;
			if (s->next_ms <= now) {
				if (slot_start(s, multi, deadline - now, tls) == 0)
					running++;
				else
					slot_release(s);
			} else if (s->next_ms < wake) {
				wake = s->next_ms;
			}
		}
		api.multi_perform(multi, &still);
		while ((msg = api.multi_info_read(multi, &still))) {
			struct slot *s = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			api.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			if (!s || s->state != SLOT_RUNNING)
				continue;
			running--;
			finished = 1;
			slot_finish(s, multi, msg->data.result, now_ms(), deadline);
			if (s->state == SLOT_DONE)
				slot_release(s);
		}
		/* A request that ended frees a place, or became a retry: go round at once. */
		if (finished)
			continue;
		now = now_ms();
		if (wake > now)
			api.multi_poll(multi, NULL, 0, (int)(wake - now > 1000 ? 1000 : wake - now), NULL);
	}
	/* The deadline: whatever is still open is abandoned, with the last reason it had. */
	for (size_t i = first; i < n; i++) {
		struct slot *s = &slots[i];

		if (s->state == SLOT_RUNNING) {
			api.multi_remove_handle(multi, s->easy);
			snprintf(s->req->error, sizeof s->req->error,
				 "no answer within the report timeout (%u attempt%s)", s->req->attempts,
				 s->req->attempts == 1 ? "" : "s");
		} else if (s->state == SLOT_WAITING && !s->req->error[0]) {
			snprintf(s->req->error, sizeof s->req->error,
				 "not tried before the report timeout");
		}
		s->state = SLOT_DONE;
		slot_release(s);
	}
}

int http_run_all(struct http_request *reqs, size_t n, uint64_t timeout_ms,
		 const struct http_tls *tls)
{
	int64_t deadline = now_ms() + (int64_t)timeout_ms;
	struct slot *slots;
	CURLM *multi;

	for (size_t i = 0; i < n; i++) {
		reqs[i].delivered = reqs[i].refused = reqs[i].answered = 0;
		reqs[i].status = 0;
		reqs[i].attempts = 0;
		reqs[i].body_limit = -1;
		reqs[i].error[0] = '\0';
		reqs[i].response = NULL;
		reqs[i].response_len = 0;
		reqs[i].response_truncated = 0;
		reqs[i].sent = 0;
	}
	if (n == 0)
		return 0;
	if (api_load() < 0) {
		for (size_t i = 0; i < n; i++)
			snprintf(reqs[i].error, sizeof reqs[i].error, "%s", api_error);
		return -1;
	}
	slots = calloc(n, sizeof *slots);
	multi = slots ? api.multi_init() : NULL;
	if (!multi) {
		for (size_t i = 0; i < n; i++)
			snprintf(reqs[i].error, sizeof reqs[i].error, "out of memory");
		free(slots);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		slots[i].req = &reqs[i];
		slots[i].state = SLOT_WAITING;
	}
	run_loop(slots, n, multi, deadline, tls);
	for (size_t i = 0; i < n; i++)
		slot_release(&slots[i]);
	api.multi_cleanup(multi);
	free(slots);
	return 0;
}

struct http_session {
	CURL *easy;                /* one handle, so that its connection cache outlives requests */
	struct slot slot;          /* here, not on the stack: the handle points into it (error
				    * buffer, callbacks' data) until the next reset */
};

struct http_session *http_session_new(char *err, size_t errlen)
{
	struct http_session *s;

	if (api_load() < 0) {
		snprintf(err, errlen, "%s", api_error);
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (s && !(s->easy = api.easy_init())) {
		free(s);
		s = NULL;
	}
	if (!s)
		snprintf(err, errlen, "out of memory");
	return s;
}

int http_session_send(struct http_session *sess, struct http_request *req, uint64_t timeout_ms,
		      uint64_t connect_ms, const struct http_tls *tls)
{
	struct slot *s = &sess->slot;
	CURLcode rc, code;
	long status = 0;

	req->delivered = req->refused = req->answered = 0;
	req->status = 0;
	req->attempts = 0;
	req->body_limit = -1;
	req->error[0] = '\0';
	req->response = NULL;
	req->response_len = 0;
	req->response_truncated = 0;
	req->sent = 0;
	/* A reset keeps the handle's live connections and drops the last request's options. */
	api.easy_reset(sess->easy);
	*s = (struct slot){ .req = req, .easy = sess->easy, .retry_after_ms = -1 };
	rc = slot_setup(s, tls);
	SETOPT(s, CURLOPT_TIMEOUT_MS, (long)(timeout_ms ? timeout_ms : 1));
	SETOPT(s, CURLOPT_CONNECTTIMEOUT_MS, (long)(connect_ms ? connect_ms : 1));
	if (rc != CURLE_OK) {
		snprintf(req->error, sizeof req->error, "cannot set up the request: %s",
			 api.easy_strerror(rc));
		api.easy_setopt(sess->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
		if (s->headers)
			api.slist_free_all(s->headers);
		s->headers = NULL;
		errno = ENOMEM;
		return -1;
	}
	req->attempts = 1;
	code = api.easy_perform(sess->easy);
	api.easy_getinfo(sess->easy, CURLINFO_RESPONSE_CODE, &status);
	req->status = status;
	req->sent = was_sent(sess->easy);
	if (code == CURLE_OK && status >= 200 && status <= 299) {
		req->delivered = 1;
	} else {
		describe(s, code);
		req->refused = code == CURLE_OK && !http_retryable(status, code);
	}
	/* The handle keeps pointers to the header list until the next reset: clear them first. */
	api.easy_setopt(sess->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	api.slist_free_all(s->headers);
	s->headers = NULL;
	return 0;
}

void http_session_free(struct http_session *s)
{
	if (!s)
		return;
	api.easy_cleanup(s->easy);
	free(s);
}
