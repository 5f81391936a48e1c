/* The etcd v3 JSON gateway as pure functions: key names, slots, request bodies, answers. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "etcd_proto.h"

/* A holder value is a small JSON object; anything longer was not written by cronguard. */
enum { VALUE_MAX = 4096 };

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The gateway wants bytes as standard base64 with padding; encode.c writes base64 to a
 * stream, but here it goes into a JSON string and comes back, so both directions work on
 * buffers. Returns a malloc'd string, or NULL. */
static char *b64_encode(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		*o++ = b64_alphabet[v >> 18 & 63];
		*o++ = b64_alphabet[v >> 12 & 63];
		*o++ = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decodes IN (LEN characters, padded) into OUT, at most OUTLEN bytes, NUL-terminated
 * past them. Returns the decoded length, -1 when IN is not base64, -2 when it does not fit. */
static long b64_decode(const char *in, size_t len, char *out, size_t outlen)
{
	size_t o = 0;

	if (len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		size_t bytes = 3;

		for (int k = 0; k < 4; k++)
			v[k] = b64_value(in[i + k]);
		/* Padding only at the very end: "xx==" or "xxx=". */
		if (i + 4 == len && in[i + 3] == '=') {
			bytes = in[i + 2] == '=' ? 1 : 2;
			v[3] = 0;
			if (bytes == 1)
				v[2] = 0;
		}
		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -1;
		if (o + bytes + 1 > outlen)
			return -2;
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (bytes > 1)
			out[o++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (bytes > 2)
			out[o++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	if (outlen)
		out[o] = '\0';
	return (long)o;
}

int etcd_proto_key(const char *prefix, const char *kind, const char *name, const int64_t *slot,
		   char *buf, size_t len)
{
	size_t pl = strlen(prefix);
	const char *sep = pl && prefix[pl - 1] == '/' ? "" : "/";
	int n;

	if (slot)
		n = snprintf(buf, len, "%s%s%s/%s/%" PRId64, prefix, sep, kind, name, *slot);
	else
		n = snprintf(buf, len, "%s%s%s/%s", prefix, sep, kind, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int64_t etcd_proto_slot(int64_t invoked_us, uint64_t period_ms)
{
	int64_t p = (int64_t)(period_ms / 1000), t, q;

	if (p <= 0)
		p = 1;
	/* Floor, not C's truncation, so that a time before 1970 still falls in its own period. */
	t = invoked_us / 1000000 - (invoked_us % 1000000 < 0);
	q = t / p - (t % p < 0);
	return q * p;
}

static char *dump(json_t *doc)
{
	char *s;

	if (!doc) {
		errno = ENOMEM;
		return NULL;
	}
	s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		errno = ENOMEM;
	return s;
}

char *etcd_proto_holder(const char *host, long pid, const char *run_id, int64_t now_us)
{
	time_t t = (time_t)(now_us / 1000000);
	char when[32] = "";
	struct tm tm;
	json_t *doc;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	doc = json_object();
	if (doc && (json_object_set_new(doc, "host", json_string(host)) < 0 ||
		    (pid && json_object_set_new(doc, "pid", json_integer(pid)) < 0) ||
		    json_object_set_new(doc, "run_id", json_string(run_id)) < 0 ||
		    json_object_set_new(doc, "time", json_string(when)) < 0)) {
		json_decref(doc);
		doc = NULL;
	}
	return dump(doc);
}

/* A key or value as the gateway wants it, a base64 JSON string; NULL when out of memory. */
static json_t *b64_json(const char *s)
{
	char *enc = b64_encode(s, strlen(s));
	json_t *j = enc ? json_string(enc) : NULL;

	free(enc);
	return j;
}

/* int64 goes as a decimal string, as the gateway writes it back: a JSON number would lose
 * lease IDs above 2^53 in many parsers. */
static json_t *int64_json(int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof buf, "%" PRId64, v);
	return json_string(buf);
}

static json_t *claim_request(const char *key, const char *value, int64_t lease,
			     const char *purge_from, const char *purge_to)
{
	json_t *put = json_pack("{s:o, s:o}", "key", b64_json(key), "value", b64_json(value));
	json_t *success;

	if (put && lease && json_object_set_new(put, "lease", int64_json(lease)) < 0) {
		json_decref(put);
		put = NULL;
	}
	success = json_pack("[{s:o}]", "request_put", put);
	/* Claims of long-gone periods are deleted by the next successful one, in the same
	 * transaction: no extra round trip, and no lease to keep alive for days. */
	if (success && purge_to &&
	    json_array_append_new(success, json_pack("{s:{s:o, s:o}}", "request_delete_range",
						     "key", b64_json(purge_from), "range_end",
						     b64_json(purge_to))) < 0) {
		json_decref(success);
		success = NULL;
	}
	return json_pack("{s:[{s:o, s:s, s:s, s:s}], s:o, s:[{s:{s:o}}]}",
			 "compare", "key", b64_json(key), "target", "CREATE", "result", "EQUAL",
			 "create_revision", "0",
			 "success", success,
			 "failure", "request_range", "key", b64_json(key));
}

char *etcd_proto_request(enum etcd_op op, const char *key, const char *value, int64_t num,
			 const char *purge_from, const char *purge_to)
{
	switch (op) {
	case ETCD_GRANT:
		return dump(json_pack("{s:o}", "TTL", int64_json(num)));
	case ETCD_KEEPALIVE:
	case ETCD_REVOKE:
		return dump(json_pack("{s:o}", "ID", int64_json(num)));
	case ETCD_RANGE:
		return dump(json_pack("{s:o}", "key", b64_json(key)));
	case ETCD_CLAIM:
		return dump(claim_request(key, value, num, purge_from, purge_to));
	case ETCD_AUTH:
		return dump(json_pack("{s:s, s:s}", "name", key, "password", value));
	}
	errno = EINVAL;
	return NULL;
}

const char *etcd_proto_path(enum etcd_op op)
{
	switch (op) {
	case ETCD_GRANT:
		return "/v3/lease/grant";
	case ETCD_KEEPALIVE:
		return "/v3/lease/keepalive";
	case ETCD_REVOKE:
		return "/v3/lease/revoke";
	case ETCD_RANGE:
		return "/v3/kv/range";
	case ETCD_CLAIM:
		return "/v3/kv/txn";
	case ETCD_AUTH:
		return "/v3/auth/authenticate";
	}
	return "/v3/";
}

/* Copies a JSON string's printable bytes: holders and errors end up in log lines. */
static void copy_printable(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	if (len == 0)
		return;
	for (; src && *src && o + 1 < len; src++)
		dst[o++] = (unsigned char)*src >= 0x20 && *src != 0x7f ? *src : '?';
	dst[o] = '\0';
}

/* An int64 field, absent (0), as the gateway's string, or as a plain number. */
static int get_int64(json_t *obj, const char *name, int64_t *out)
{
	json_t *v = json_object_get(obj, name);
	const char *s;
	char *end;
	long long n;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	if (!(*s >= '0' && *s <= '9') && !(*s == '-' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = (int64_t)n;
	return 0;
}

/* A JSON string member into DST (printable bytes); absent leaves "". Non-strings: -1. */
static int get_string(json_t *obj, const char *name, char *dst, size_t len)
{
	json_t *v = json_object_get(obj, name);

	dst[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -1;
	copy_printable(dst, len, json_string_value(v));
	return 0;
}

/* A value someone else wrote (etcdctl, another tool) is no error: its holder is unknown. */
static void parse_holder(const char *value, size_t len, struct etcd_holder *h)
{
	json_t *doc = json_loadb(value, len, 0, NULL);
	json_t *pid = json_object_get(doc, "pid");

	memset(h, 0, sizeof *h);
	if (!json_is_object(doc) || get_string(doc, "host", h->host, sizeof h->host) < 0 ||
	    get_string(doc, "run_id", h->run_id, sizeof h->run_id) < 0 ||
	    get_string(doc, "time", h->time, sizeof h->time) < 0)
		memset(h, 0, sizeof *h);
	else if (json_is_integer(pid))
		h->pid = json_integer_value(pid);
	json_decref(doc);
}

/* One key-value of a range: found, its lease and its holder. */
static int parse_kv(json_t *kv, struct etcd_answer *ans)
{
	json_t *value = json_object_get(kv, "value");
	char buf[VALUE_MAX + 1];
	long n;

	if (!json_is_object(kv) || get_int64(kv, "lease", &ans->lease) < 0 ||
	    get_int64(kv, "create_revision", &ans->revision) < 0)
		return -1;
	ans->found = 1;
	if (!value)
		return 0;
	if (!json_is_string(value))
		return -1;
	n = b64_decode(json_string_value(value), json_string_length(value), buf, sizeof buf);
	if (n == -1)
		return -1;
	if (n >= 0)
		parse_holder(buf, (size_t)n, &ans->holder);
	return 0;
}

/* The first key of a range answer's "kvs", if any. */
static int parse_range(json_t *range, struct etcd_answer *ans)
{
	json_t *kvs;

	if (!json_is_object(range))
		return -1;
	kvs = json_object_get(range, "kvs");
	if (!kvs)
		return 0;
	if (!json_is_array(kvs))
		return -1;
	return json_array_size(kvs) ? parse_kv(json_array_get(kvs, 0), ans) : 0;
}

static int parse_claim(json_t *doc, struct etcd_answer *ans)
{
	json_t *ok = json_object_get(doc, "succeeded"), *resp;

	if (ok && !json_is_boolean(ok))
		return -1;
	if (json_is_true(ok)) {
		ans->succeeded = 1;
		/* The transaction's revision is the one that created the key: a fencing token. */
		resp = json_object_get(doc, "header");
		return json_is_object(resp) ? get_int64(resp, "revision", &ans->revision) : 0;
	}
	/* A lost transaction: its failure branch read the key, which names the holder. */
	resp = json_object_get(doc, "responses");
	if (!json_is_array(resp) || json_array_size(resp) < 1)
		return -1;
	return parse_range(json_object_get(json_array_get(resp, 0), "response_range"), ans);
}

static int parse_doc(enum etcd_op op, json_t *doc, struct etcd_answer *ans)
{
	json_t *result;

	if (!json_is_object(doc) || json_object_get(doc, "error"))
		return -1;
	switch (op) {
	case ETCD_GRANT:
		if (get_int64(doc, "ID", &ans->id) < 0 || get_int64(doc, "TTL", &ans->ttl) < 0)
			return -1;
		return ans->id != 0 ? 0 : -1;
	case ETCD_KEEPALIVE:
		/* A stream's message comes wrapped in "result"; an expired lease has no TTL. */
		result = json_object_get(doc, "result");
		if (result && (!json_is_object(result) || json_object_get(result, "error")))
			return -1;
		return get_int64(result ? result : doc, "TTL", &ans->ttl);
	case ETCD_REVOKE:
		return 0;
	case ETCD_RANGE:
		return parse_range(doc, ans);
	case ETCD_CLAIM:
		return parse_claim(doc, ans);
	case ETCD_AUTH:
		result = json_object_get(doc, "token");
		if (!json_is_string(result) || json_string_length(result) == 0 ||
		    json_string_length(result) >= sizeof ans->token ||
		    strlen(json_string_value(result)) != json_string_length(result))
			return -1;
		memcpy(ans->token, json_string_value(result), json_string_length(result) + 1);
		return 0;
	}
	return -1;
}

int etcd_proto_parse(enum etcd_op op, const char *body, size_t len, struct etcd_answer *ans)
{
	/* A stream (keepalive) may send more than one message: the first is the answer. */
	json_t *doc = json_loadb(body, len, JSON_DISABLE_EOF_CHECK, NULL);
	int rc;

	memset(ans, 0, sizeof *ans);
	rc = parse_doc(op, doc, ans);
	json_decref(doc);
	if (rc < 0) {
		explicit_bzero(ans->token, sizeof ans->token);
		memset(ans, 0, sizeof *ans);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int etcd_proto_parse_error(const char *body, size_t len, int *code, char *msg, size_t msglen)
{
	json_t *doc = json_loadb(body, len, JSON_DISABLE_EOF_CHECK, NULL);
	json_t *err = json_object_get(doc, "error"), *c = json_object_get(doc, "code");
	int rc = 0;

	*code = -1;
	if (msglen)
		msg[0] = '\0';
	if (json_is_object(err)) {
		/* The gateway's form for an error inside a stream. */
		c = json_object_get(err, "grpc_code");
		err = json_object_get(err, "message");
	}
	if (json_is_string(err))
		copy_printable(msg, msglen, json_string_value(err));
	else
		rc = -1;
	if (json_is_integer(c))
		*code = (int)json_integer_value(c);
	json_decref(doc);
	return rc;
}
