/* The state file: STATE_DIR/NAME.json, each job's last run and last success. The one module
 * that knows its schema: it writes it, and it reads it back as summaries for everyone else. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "encode.h"
#include "fileio.h"
#include "lock.h"
#include "safedir.h"
#include "state.h"

/* Microseconds from a file's seconds; 0 for what is not a number or out of any sane range
 * (a hand-edited 1e300 must not reach a conversion whose overflow is undefined). */
static int64_t seconds_us(const json_t *v)
{
	double s;

	if (!json_is_number(v))
		return 0;
	s = json_number_value(v);
	if (!(s > -1e11 && s < 1e11))
		return 0;
	return (int64_t)(s * 1e6);
}

/* A count from the file: a non-negative integer, else 0. */
static json_int_t count(const json_t *doc, const char *key)
{
	const json_t *v = json_object_get(doc, key);

	return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) : 0;
}

/* N + 1, saturating: a hand-edited count near the top must not overflow (undefined). */
static json_int_t incr(json_int_t n)
{
	_Static_assert(sizeof(json_int_t) == sizeof(int64_t), "jansson integers are 64-bit");
	return n < (json_int_t)INT64_MAX ? n + 1 : n;
}

static json_t *run_object(const struct run_record *r)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:f, s:f, s:f}",
			      "run_id", r->run_id,
			      "state", record_state_name(r->state),
			      "exit_code", (json_int_t)r->exit_code,
			      "start", (double)r->start_us / 1e6,
			      "end", (double)r->end_us / 1e6,
			      "duration", (double)r->duration_us / 1e6);

	if (!o)
		return NULL;
	if (r->signal)
		json_object_set_new(o, "signal", json_integer(r->signal));
	if (r->maxrss_kb)
		json_object_set_new(o, "maxrss_kb", json_integer(r->maxrss_kb));
	if (r->reason)
		json_object_set_new(o, "reason", json_string(r->reason));
	json_object_set_new(o, "slot", json_real((double)r->slot_us / 1e6));
	json_object_set_new(o, "splay", json_real((double)r->splay_us / 1e6));
	json_object_set_new(o, "lateness", json_real((double)r->lateness_us / 1e6));
	return o;
}

json_t *state_update(const json_t *old, const struct run_record *rec, struct state_history *hist)
{
	json_t *doc = json_object(), *labels = json_object();
	json_int_t fails = 0, runs = 0;
	int64_t last_success_us = 0, first_us;
	json_t *v;

	if (!doc || !labels) {
		json_decref(doc);
		json_decref(labels);
		return NULL;
	}
	if (json_is_object(old)) {
		fails = count(old, "consecutive_failures");
		runs = count(old, "runs");
	}
	if (!record_state_is_skip(rec->state)) {
		runs = incr(runs);
		fails = rec->state == RUN_SUCCESS ? 0 : incr(fails);
	}
	for (size_t i = 0; i < rec->nlabels; i++)
		json_object_set_new(labels, rec->labels[i].key, json_string(rec->labels[i].value));
	json_object_set_new(doc, "version", json_integer(1));
	json_object_set_new(doc, "job", json_string(rec->job));
	json_object_set_new(doc, "host", json_string(rec->host));
	json_object_set_new(doc, "labels", labels);
	json_object_set_new(doc, "last_run", run_object(rec));
	if (rec->state == RUN_SUCCESS) {
		json_object_set_new(doc, "last_success", run_object(rec));
		last_success_us = rec->start_us;
	} else if (json_is_object(old) && json_is_object(json_object_get(old, "last_success"))) {
		v = json_object_get(old, "last_success");
		json_object_set(doc, "last_success", v);
		last_success_us = seconds_us(json_object_get(v, "start"));
	} else {
		json_object_set_new(doc, "last_success", json_null());
	}
	json_object_set_new(doc, "consecutive_failures", json_integer(fails));
	json_object_set_new(doc, "runs", json_integer(runs));
	if (rec->period_ms)
		json_object_set_new(doc, "period", json_real((double)rec->period_ms / 1e3));
	json_object_set_new(doc, "exclusive", json_boolean(rec->exclusive));
	first_us = json_is_object(old) ? seconds_us(json_object_get(old, "first_seen")) : 0;
	if (first_us <= 0 || first_us > rec->start_us)
		first_us = rec->start_us;
	json_object_set_new(doc, "first_seen", json_real((double)first_us / 1e6));
	if (hist) {
		hist->consecutive_failures = fails > UINT_MAX ? UINT_MAX : (unsigned)fails;
		hist->last_success_us = last_success_us;
		hist->first_seen_us = first_us;
	}
	return doc;
}

/* ---- The run path's JSON, without jansson ----
 *
 * Every run reads the previous state file and writes the next one. Loading, parsing and
 * dumping through jansson was most of a run's own cost, so the run path has its own strict
 * reader and writer here; state_update above stays the model of the document, and the unit
 * suite and fuzz target hold the two to the same bytes. What the reader accepts is what
 * json_loadb(JSON_REJECT_DUPLICATES) accepts (RFC 8259 in UTF-8, an object or array at the
 * top, no duplicate keys, no \u0000, 64-bit integers, finite reals), except that nesting
 * deeper than STATE_MAX_DEPTH is refused: no state file is deeper than 3. */

/* A growable output buffer; a failed allocation is remembered and reported once, at the end. */
struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len <= n) {
		size_t cap = b->cap ? b->cap : 64;
		char *p;

		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2) {
				b->oom = 1;
				return;
			}
			cap *= 2;
		}
		if (!(p = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_cstr(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* jansson's indentation with JSON_INDENT(2): a newline, then two spaces per level. */
static void indent(struct buf *b, int depth)
{
	static const char sp[] = "\n                                ";

	put(b, sp, 1);
	for (int n = 2 * depth; n > 0; n -= 32)
		put(b, sp + 1, n < 32 ? (size_t)n : 32);
}

/* A string as jansson dumps it (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH): ", \ and the
 * control characters escaped, everything else (valid UTF-8 by now) as it is. */
static void put_string(struct buf *b, const char *s, size_t n)
{
	size_t run = 0;

	put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': put_cstr(b, "\\\""); break;
		case '\\': put_cstr(b, "\\\\"); break;
		case '\b': put_cstr(b, "\\b"); break;
		case '\f': put_cstr(b, "\\f"); break;
		case '\n': put_cstr(b, "\\n"); break;
		case '\r': put_cstr(b, "\\r"); break;
		case '\t': put_cstr(b, "\\t"); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04X", c);
			put_cstr(b, esc);
		}
	}
	put(b, s + run, n - run);
	put(b, "\"", 1);
}

/* json_string() refuses a string that is not UTF-8, and the member is then left out. */
static int utf8_ok(const char *s, size_t n)
{
	for (size_t i = 0, l; i < n; i += l)
		if ((l = encode_utf8_len(s + i, n - i)) == 0)
			return 0;
	return 1;
}

static void put_int(struct buf *b, long long v)
{
	char num[24];

	put(b, num, (size_t)snprintf(num, sizeof num, "%lld", v));
}

/* A real as jansson dumps it with JSON_REAL_PRECISION(16): %.16g, with ".0" added where
 * it would read back as an integer, and the exponent without "+" or leading zeros. */
static void put_real(struct buf *b, double v)
{
	char num[40], *e;
	int n = snprintf(num, sizeof num, "%.16g", v);

	if (n < 0 || (size_t)n >= sizeof num - 3)
		return;
	if (!strchr(num, '.') && !strchr(num, 'e')) {
		memcpy(num + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(num, 'e'))) {
		char *start = e + 1, *end = e + 2;

		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		memmove(start, end, strlen(end) + 1);
		n = (int)strlen(num);
	}
	put(b, num, (size_t)n);
}

/* ---- the reader ---- */

struct parser {
	const char *s, *end;
	int depth;
};

struct member {
	const char *key;    /* decoded, NUL-free (\u0000 is refused): in the text, or owned */
	size_t klen;
	int owned;          /* it had escapes: decoded into memory of its own */
	const char *value;  /* where its value starts in the text */
};

/* Frees the keys M owns and M itself, unless M is ROOM, the array it began in. */
static void free_members(struct member *m, size_t n, const struct member *room)
{
	while (n--)
		if (m[n].owned)
			free((char *)m[n].key);
	if (m != room)
		free(m);
}

static void skip_ws(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static int hex4(const char *s, const char *end, unsigned *v)
{
	*v = 0;
	if (end - s < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)s[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		*v = *v << 4 | (unsigned)d;
	}
	return 0;
}

static void put_utf8(struct buf *b, unsigned cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		put(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 3);
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		put(b, u, 4);
	}
}

/* A string token at P->s (the opening quote), decoded into OUT when it is not NULL. */
static int parse_string(struct parser *p, struct buf *out)
{
	const char *s = p->s + 1;

	while (s < p->end && *s != '"') {
		unsigned char c = (unsigned char)*s;
		unsigned cp, lo;
		size_t l;

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if ((l = encode_utf8_len(s, (size_t)(p->end - s))) == 0)
				return -1;
			if (out)
				put(out, s, l);
			s += l;
			continue;
		}
		if (++s == p->end)
			return -1;
		switch (*s) {
		case '"': case '\\': case '/':
			cp = (unsigned char)*s;
			break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(s + 1, p->end, &cp) < 0)
				return -1;
			s += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->end - s < 7 || s[1] != '\\' || s[2] != 'u' ||
				    hex4(s + 3, p->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				s += 6;
			}
			if (cp == 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (out)
			put_utf8(out, cp);
		s++;
	}
	if (s == p->end)
		return -1;
	p->s = s + 1;
	return 0;
}

/* A number token; an integer must fit in 64 bits and a real must be finite, as jansson
 * wants. Its value goes to *IV or *RV, and *IS_INT says which. */
static int parse_number(struct parser *p, int *is_int, long long *iv, double *rv)
{
	const char *s = p->s;
	int bad;
	char small[64], *tok = small, *endp;
	size_t n;

	*is_int = 1;
	if (s < p->end && *s == '-')
		s++;
	if (s == p->end || *s < '0' || *s > '9')
		return -1;
	if (*s == '0')
		s++;
	else
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	if (s < p->end && *s == '.') {
		*is_int = 0;
		if (++s == p->end || *s < '0' || *s > '9')
			return -1;
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	if (s < p->end && (*s == 'e' || *s == 'E')) {
		*is_int = 0;
		if (++s < p->end && (*s == '+' || *s == '-'))
			s++;
		if (s == p->end || *s < '0' || *s > '9')
			return -1;
		while (s < p->end && *s >= '0' && *s <= '9')
			s++;
	}
	n = (size_t)(s - p->s);
	/* strtod and strtoll want a terminated token: the text goes on past it. */
	if (n >= sizeof small && !(tok = malloc(n + 1)))
		return -1;
	memcpy(tok, p->s, n);
	tok[n] = '\0';
	errno = 0;
	if (*is_int) {
		*iv = strtoll(tok, &endp, 10);
		bad = errno == ERANGE;
	} else {
		*rv = strtod(tok, &endp);
		bad = errno == ERANGE && (*rv == HUGE_VAL || *rv == -HUGE_VAL);
	}
	if (tok != small)
		free(tok);
	if (bad)
		return -1;
	p->s = s;
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->klen < y->klen ? x->klen : y->klen);

	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static int parse_value(struct parser *p, struct buf *out);

/* An object or array at P->s. With OUT, it is written there as jansson dumps it at depth
 * P->depth (keys sorted); with MEMBERS (objects, and ROOM given), its members are handed
 * back, sorted, in ROOM[0..NROOM) where they fit, else on the heap (free_members with ROOM
 * frees either).
 * The members of an object are kept on the stack until they outgrow it: a state file read
 * while the command runs must not spread the heap over another page. */
static int parse_container(struct parser *p, struct buf *out, struct member *room, size_t nroom,
			   struct member **members, size_t *nmembers)
{
	char close = *p->s == '{' ? '}' : ']';
	struct member local[16], *m = room ? room : local;
	size_t n = 0, cap = room ? nroom : sizeof local / sizeof *local;
	int rc = -1, depth = p->depth;

	if (++p->depth > STATE_MAX_DEPTH)
		return -1;
	p->s++;
	skip_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		if (out)
			put(out, close == '}' ? "{}" : "[]", 2);
		rc = 0;
		goto done;
	}
	if (out)
		put(out, close == '}' ? "{" : "[", 1);
	for (;;) {
		skip_ws(p);
		if (close == '}') {
			const char *raw = p->s + 1;

			if (p->s == p->end || *p->s != '"')
				goto done;
			if (n == cap) {
				int first = m == room || m == local;
				struct member *nm = first ? malloc(2 * cap * sizeof *m)
							  : realloc(m, 2 * cap * sizeof *m);

				if (!nm)
					goto done;
				if (first)
					memcpy(nm, m, n * sizeof *m);
				m = nm;
				cap *= 2;
			}
			if (parse_string(p, NULL) < 0)
				goto done;
			m[n] = (struct member){ .key = raw, .klen = (size_t)(p->s - 1 - raw) };
			/* Most keys have no escapes: compared where they are, not copied. */
			if (memchr(raw, '\\', m[n].klen)) {
				struct parser q = { raw - 1, p->end, 0 };
				struct buf key = { 0 };

				put(&key, "", 0);
				if (key.oom || parse_string(&q, &key) < 0) {
					free(key.p);
					goto done;
				}
				m[n] = (struct member){ .key = key.p, .klen = key.len, .owned = 1 };
			}
			n++;
			skip_ws(p);
			if (p->s == p->end || *p->s != ':')
				goto done;
			p->s++;
			skip_ws(p);
			m[n - 1].value = p->s;
		} else if (out) {
			indent(out, depth + 1);
		}
		/* Objects are written after their keys are sorted; array items right away. */
		if (parse_value(p, close == ']' ? out : NULL) < 0)
			goto done;
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			if (out && close == ']')
				put(out, ",", 1);
			continue;
		}
		if (p->s < p->end && *p->s == close)
			break;
		goto done;
	}
	p->s++;
	if (n > 1)
		qsort(m, n, sizeof *m, by_key);
	for (size_t i = 1; i < n; i++)
		if (by_key(&m[i - 1], &m[i]) == 0)
			goto done;   /* JSON_REJECT_DUPLICATES */
	if (out && close == '}') {
		const char *after = p->s;

		for (size_t i = 0; i < n; i++) {
			indent(out, depth + 1);
			put_string(out, m[i].key, m[i].klen);
			put(out, ": ", 2);
			p->s = m[i].value;
			p->depth = depth + 1;
			if (parse_value(p, out) < 0)
				goto done;
			if (i + 1 < n)
				put(out, ",", 1);
		}
		p->s = after;
	}
	if (out) {
		indent(out, depth);
		put(out, &close, 1);
	}
	rc = 0;
done:
	p->depth = depth;
	if (rc == 0 && members) {
		*members = m;
		*nmembers = n;
		return 0;
	}
	free_members(m, n, m == local ? local : room);
	return rc;
}

static int parse_literal(struct parser *p, const char *word, struct buf *out)
{
	size_t n = strlen(word);

	if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
		return -1;
	p->s += n;
	if (out)
		put(out, word, n);
	return 0;
}

/* Any value at P->s, written to OUT (when not NULL) as jansson would dump it. */
static int parse_value(struct parser *p, struct buf *out)
{
	int is_int;
	long long iv;
	double rv;

	if (p->s == p->end)
		return -1;
	switch (*p->s) {
	case '{':
	case '[':
		return parse_container(p, out, NULL, 0, NULL, NULL);
	case '"':
		if (!out)
			return parse_string(p, NULL);
		{
			struct buf s = { 0 };
			int rc;

			put(&s, "", 0);
			rc = s.oom ? -1 : parse_string(p, &s);
			if (rc == 0)
				put_string(out, s.p, s.len);
			free(s.p);
			return rc;
		}
	case 't':
		return parse_literal(p, "true", out);
	case 'f':
		return parse_literal(p, "false", out);
	case 'n':
		return parse_literal(p, "null", out);
	default:
		if (parse_number(p, &is_int, &iv, &rv) < 0)
			return -1;
		if (out) {
			if (is_int)
				put_int(out, iv);
			else
				put_real(out, rv);
		}
		return 0;
	}
}

static const struct member *member(const struct member *m, size_t n, const char *key)
{
	struct member k = { .key = key, .klen = strlen(key) };

	if (n == 0)
		return NULL;
	return bsearch(&k, m, n, sizeof *m, by_key);
}

/* The value of M as a number, as the counts and times are read; -1 when it is not one. */
static int number_at(const char *text_end, const struct member *m, int *is_int, long long *iv, double *rv)
{
	struct parser p = { m->value, text_end, 0 };

	if (p.s == p.end || (*p.s != '-' && (*p.s < '0' || *p.s > '9')))
		return -1;
	return parse_number(&p, is_int, iv, rv);
}

static int64_t count_at(const char *end, const struct member *m)
{
	int is_int;
	long long v;
	double r;

	if (!m || number_at(end, m, &is_int, &v, &r) < 0 || !is_int || v < 0)
		return 0;
	return v;
}

int state_read_prior(const char *text, size_t len, struct state_prior *prior)
{
	struct parser p = { text, text + len, 0 };
	/* Room for the members of a state file as cronguard writes it, and some. */
	struct member top[24], lsroom[24], *m = top, *ls = lsroom;
	size_t n = 0, nls = 0;
	const struct member *v;

	memset(prior, 0, sizeof *prior);
	skip_ws(&p);
	if (p.s == p.end || (*p.s != '{' && *p.s != '['))
		goto bad;
	if (*p.s == '[') {
		/* A document, but not ours: as if there were none. */
		if (parse_container(&p, NULL, NULL, 0, NULL, NULL) < 0)
			goto bad;
	} else if (parse_container(&p, NULL, top, sizeof top / sizeof *top, &m, &n) < 0) {
		goto bad;
	}
	skip_ws(&p);
	if (p.s != p.end)
		goto bad;
	prior->consecutive_failures = count_at(p.end, member(m, n, "consecutive_failures"));
	prior->runs = count_at(p.end, member(m, n, "runs"));
	if ((v = member(m, n, "first_seen"))) {
		int is_int;
		long long iv;
		double rv;

		if (number_at(p.end, v, &is_int, &iv, &rv) == 0) {
			double s = is_int ? (double)iv : rv;

			prior->first_seen_us = s > 0 && s < 1e11 ? (int64_t)(s * 1e6) : 0;
		}
	}
	if ((v = member(m, n, "last_success")) && *v->value == '{') {
		struct parser q = { v->value, p.end, 1 };
		const struct member *start;
		int is_int;
		long long iv;
		double rv;

		if (parse_container(&q, NULL, lsroom, sizeof lsroom / sizeof *lsroom, &ls, &nls) < 0)
			goto bad;   /* cannot be: the whole document parsed */
		prior->last_success = v->value;
		prior->last_success_len = (size_t)(q.s - v->value);
		if ((start = member(ls, nls, "start")) &&
		    number_at(p.end, start, &is_int, &iv, &rv) == 0) {
			double s = is_int ? (double)iv : rv;

			prior->last_success_us = s > -1e11 && s < 1e11 ? (int64_t)(s * 1e6) : 0;
		}
	}
	free_members(m, n, top);
	free_members(ls, nls, lsroom);
	return 0;
bad:
	free_members(m, n, top);
	memset(prior, 0, sizeof *prior);
	errno = EINVAL;
	return -1;
}

/* ---- the writer ---- */

static void put_key(struct buf *b, int depth, int *first, const char *key)
{
	if (!*first)
		put(b, ",", 1);
	*first = 0;
	indent(b, depth);
	put_string(b, key, strlen(key));
	put(b, ": ", 2);
}

static void put_str_member(struct buf *b, int depth, int *first, const char *key, const char *v)
{
	if (!utf8_ok(v, strlen(v)))
		return;
	put_key(b, depth, first, key);
	put_string(b, v, strlen(v));
}

/* run_object's members, in sorted key order. */
static void put_run(struct buf *b, const struct run_record *r)
{
	int first = 1;

	put(b, "{", 1);
	put_key(b, 2, &first, "duration");
	put_real(b, (double)r->duration_us / 1e6);
	put_key(b, 2, &first, "end");
	put_real(b, (double)r->end_us / 1e6);
	put_key(b, 2, &first, "exit_code");
	put_int(b, r->exit_code);
	put_key(b, 2, &first, "lateness");
	put_real(b, (double)r->lateness_us / 1e6);
	if (r->maxrss_kb) {
		put_key(b, 2, &first, "maxrss_kb");
		put_int(b, r->maxrss_kb);
	}
	if (r->reason)
		put_str_member(b, 2, &first, "reason", r->reason);
	put_str_member(b, 2, &first, "run_id", r->run_id);
	if (r->signal) {
		put_key(b, 2, &first, "signal");
		put_int(b, r->signal);
	}
	put_key(b, 2, &first, "slot");
	put_real(b, (double)r->slot_us / 1e6);
	put_key(b, 2, &first, "splay");
	put_real(b, (double)r->splay_us / 1e6);
	put_key(b, 2, &first, "start");
	put_real(b, (double)r->start_us / 1e6);
	put_str_member(b, 2, &first, "state", record_state_name(r->state));
	indent(b, 1);
	put(b, "}", 1);
}

/* The labels object: sorted, a repeated key keeps its last value, and what json_string
 * would refuse is left out, as with json_object_set_new. */
static void put_labels(struct buf *b, const struct run_record *r)
{
	size_t *order = r->nlabels ? malloc(r->nlabels * sizeof *order) : NULL, n = 0;
	int first = 1;

	if (r->nlabels && !order) {
		b->oom = 1;
		return;
	}
	for (size_t i = 0; i < r->nlabels; i++) {
		const struct label *l = &r->labels[i];
		size_t j;

		if (!utf8_ok(l->key, strlen(l->key)) || !utf8_ok(l->value, strlen(l->value)))
			continue;
		for (j = 0; j < n && strcmp(r->labels[order[j]].key, l->key) != 0; j++)
			;
		if (j < n) {
			order[j] = i;
			continue;
		}
		for (j = n++; j > 0 && strcmp(r->labels[order[j - 1]].key, l->key) > 0; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	if (n == 0) {
		put(b, "{}", 2);
	} else {
		put(b, "{", 1);
		for (size_t i = 0; i < n; i++)
			put_str_member(b, 2, &first, r->labels[order[i]].key, r->labels[order[i]].value);
		indent(b, 1);
		put(b, "}", 1);
	}
	free(order);
}

char *state_render(const struct state_prior *old, const struct run_record *rec,
		   struct state_history *hist, size_t *len)
{
	struct buf b = { 0 };
	int64_t fails = old ? old->consecutive_failures : 0, runs = old ? old->runs : 0;
	int64_t last_success_us = 0, first_us = old ? old->first_seen_us : 0;
	int first = 1;

	/* As state_update: the first run this state file saw, never later than this one. */
	if (first_us <= 0 || first_us > rec->start_us)
		first_us = rec->start_us;
	if (!record_state_is_skip(rec->state)) {
		runs = runs < INT64_MAX ? runs + 1 : runs;
		fails = rec->state != RUN_SUCCESS ? (fails < INT64_MAX ? fails + 1 : fails) : 0;
	}
	put(&b, "{", 1);
	put_key(&b, 1, &first, "consecutive_failures");
	put_int(&b, fails);
	put_key(&b, 1, &first, "exclusive");
	put_cstr(&b, rec->exclusive ? "true" : "false");
	put_key(&b, 1, &first, "first_seen");
	put_real(&b, (double)first_us / 1e6);
	put_str_member(&b, 1, &first, "host", rec->host);
	put_str_member(&b, 1, &first, "job", rec->job);
	put_key(&b, 1, &first, "labels");
	put_labels(&b, rec);
	put_key(&b, 1, &first, "last_run");
	put_run(&b, rec);
	put_key(&b, 1, &first, "last_success");
	if (rec->state == RUN_SUCCESS) {
		put_run(&b, rec);
		last_success_us = rec->start_us;
	} else if (old && old->last_success) {
		struct parser p = { old->last_success, old->last_success + old->last_success_len, 1 };

		if (parse_value(&p, &b) < 0)
			b.oom = 1;   /* state_read_prior parsed it: cannot be */
		last_success_us = old->last_success_us;
	} else {
		put_cstr(&b, "null");
	}
	if (rec->period_ms) {
		put_key(&b, 1, &first, "period");
		put_real(&b, (double)rec->period_ms / 1e3);
	}
	put_key(&b, 1, &first, "runs");
	put_int(&b, runs);
	put_key(&b, 1, &first, "version");
	put_int(&b, 1);
	indent(&b, 0);
	put(&b, "}\n", 2);
	if (hist) {
		hist->consecutive_failures = fails > UINT_MAX ? UINT_MAX : (unsigned)fails;
		hist->last_success_us = last_success_us;
		hist->first_seen_us = first_us;
	}
	if (b.oom) {
		free(b.p);
		errno = ENOMEM;
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* The previous state NAME in DFD, read under the rules every reader shares, into *PRIOR
 * (pointing into *TEXT, which the caller frees) and, when ST is not NULL, what fstat said of
 * it before it was read. Returns 0; -1 with errno ENOENT when there is none, or with WHY
 * saying why it could not be read. */
static int load(int dfd, const char *name, char **text, struct state_prior *prior,
		struct stat *st, char *why, size_t whylen)
{
	size_t len;

	*text = fileio_read_at(dfd, name, STATE_MAX_BYTES, &len, st);
	if (!*text) {
		int e = errno;

		snprintf(why, whylen, "%s", fileio_strerror(e));
		errno = e;
		return -1;
	}
	if (state_read_prior(*text, len, prior) < 0) {
		snprintf(why, whylen, "not a JSON document");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Takes the state directory's lock, DFD/.lock, within STATE_LOCK_WAIT_MS, leaving it held
 * on *LFD. A file, not the directory: anyone who can open the directory (0755, so that
 * monitoring users can read the state) could flock it and stop every run's state; a 0600
 * file of ours is one nobody else can open (lock_open_at). A run that holds it only reads
 * and writes two small files, so a longer wait is something wrong: give up rather than pile
 * up behind it. Returns 0, a signal from STOP, or -1 with errno (ETIMEDOUT when the bound
 * passed; EPERM, ELOOP, EINVAL for a .lock that is not a private file of ours). *LFD, when
 * not -1, is .lock opened already. */
static int lock_dir(int dfd, const sigset_t *stop, int *lfd)
{
	int64_t deadline = clock_mono_us() + (int64_t)STATE_LOCK_WAIT_MS * 1000, step = 1000;
	char why[512];

	if (*lfd < 0 && (*lfd = lock_open_at(dfd, ".lock", ".lock", why, sizeof why)) < 0)
		return -1;
	for (;;) {
		int64_t now;
		int sig;

		if (flock(*lfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return -1;
		now = clock_mono_us();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		/* Polled rather than a blocking flock, which no signal of ours could end. */
		if ((sig = clock_wait_until(stop, now + step < deadline ? now + step : deadline)) > 0)
			return sig;
		if (step < 100000)
			step *= 2;
	}
}

/* The job's file names in the state directory: NAME.json and its spare (job names are at
 * most 64 bytes: options_valid_name). */
static void file_names(const char *job, char name[80], char prev[90])
{
	snprintf(name, 80, "%s.json", job);
	snprintf(prev, 90, ".%s.prev", name);
}

/* DIR opened as a state directory and checked (SAFEDIR_DATA), made first where it is missing
 * and CREATE says so. Returns its descriptor, or -1 with ERR. */
static int open_dir(const char *dir, int create, char *err, size_t errlen)
{
	int dfd;

	if (strlen(dir) > 4000) {
		snprintf(err, errlen, "state dir %.64s...: path too long", dir);
		return -1;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT && create) {
		if (fileio_mkdirs(dir, geteuid() == 0 ? 0755 : 0700) < 0) {
			snprintf(err, errlen, "cannot create state dir %s: %s", dir, strerror(errno));
			return -1;
		}
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (dfd < 0) {
		snprintf(err, errlen, "cannot open state dir %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Whoever else could make or change it would own our state and our spool. */
	if (safedir_check(dfd, "state dir", dir, SAFEDIR_DATA, err, errlen) < 0) {
		close(dfd);
		return -1;
	}
	return dfd;
}

void state_prefetch(struct state_early *e, const char *dir, const char *job)
{
	char name[80], prev[90], why[512];

	e->lfd = -1;
	e->text = NULL;
	file_names(job, name, prev);
	if ((e->dfd = open_dir(dir, 0, why, sizeof why)) < 0)
		return;
	e->lfd = lock_open_at(e->dfd, ".lock", ".lock", why, sizeof why);
	if (load(e->dfd, name, &e->text, &e->prior, &e->st, why, sizeof why) < 0) {
		free(e->text);
		e->text = NULL;
	}
}

void state_early_free(struct state_early *e)
{
	if (e->dfd >= 0)
		close(e->dfd);
	if (e->lfd >= 0)
		close(e->lfd);
	free(e->text);
	e->dfd = e->lfd = -1;
	e->text = NULL;
}

/* Whether NAME in DFD is still the file *ST describes: the same inode, size and times. Every
 * save replaces the file by a rename, which changes the change time of both files, and writes
 * into the spare, which changes its size or modification time too. */
static int unchanged(int dfd, const char *name, const struct stat *st)
{
	struct stat now;

	return fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st->st_dev &&
	       now.st_ino == st->st_ino && now.st_size == st->st_size &&
	       now.st_mtim.tv_sec == st->st_mtim.tv_sec && now.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
	       now.st_ctim.tv_sec == st->st_ctim.tv_sec && now.st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

int state_save(const char *dir, struct state_early *early, const struct run_record *rec,
	       const sigset_t *stop, struct state_history *hist, int *signo, char *err, size_t errlen)
{
	char name[80], prev[90], why[128];
	struct state_prior prior;
	char *old = NULL, *text = NULL;
	size_t len;
	int dfd = -1, lfd = -1, rc = -1, warn = 0, sig, have;

	*signo = 0;
	/* Until the file says more: this run alone. */
	hist->consecutive_failures = !record_state_is_skip(rec->state) && rec->state != RUN_SUCCESS;
	hist->last_success_us = rec->state == RUN_SUCCESS ? rec->start_us : 0;
	hist->first_seen_us = rec->start_us;
	file_names(rec->job, name, prev);
	if (early && early->dfd >= 0) {
		/* Opened and checked by state_prefetch: only we can change it since. */
		dfd = early->dfd;
		lfd = early->lfd;
		early->dfd = early->lfd = -1;
	} else if ((dfd = open_dir(dir, 1, err, errlen)) < 0) {
		return -1;
	}
	/* One job's runs may overlap (no --lock): serialise the read-modify-write. */
	if ((sig = lock_dir(dfd, stop, &lfd)) != 0) {
		if (sig > 0) {
			*signo = sig;
			snprintf(err, errlen, "%s while waiting for the lock on state dir %s; state not saved",
				 strsignal(sig), dir);
		} else if (errno == ETIMEDOUT) {
			snprintf(err, errlen, "state dir %s stayed locked by another process for %d s; "
				 "state not saved", dir, STATE_LOCK_WAIT_MS / 1000);
		} else {
			snprintf(err, errlen, "cannot lock state dir %s: %s", dir, strerror(errno));
		}
		goto out;
	}
	if (early && early->text && unchanged(dfd, name, &early->st)) {
		/* What state_prefetch read is still the state: no other run saved since. */
		old = early->text;
		early->text = NULL;
		prior = early->prior;
		have = 1;
	} else {
		have = load(dfd, name, &old, &prior, NULL, why, sizeof why) == 0;
	}
	if (!have && errno != ENOENT) {
		/* Torn by a crash, most likely: the state before it is in the spare file. */
		char spare_why[sizeof why];

		free(old);
		have = load(dfd, prev, &old, &prior, NULL, spare_why, sizeof spare_why) == 0;
		snprintf(err, errlen, "state file %s/%s was unreadable (%s); %s", dir, name, why,
			 have ? "continued from the previous state in its spare file" : "starting it afresh");
		warn = 1;
	}
	text = state_render(have ? &prior : NULL, rec, hist, &len);
	if (!text) {
		snprintf(err, errlen, "out of memory writing %s/%s", dir, name);
		goto out;
	}
	/* No fsync: it would double the cost of every run, and the file is a summary that syslog
	 * and the sinks also carry. The spare file is what makes that safe: after a power loss
	 * NAME.json may be torn, but .NAME.json.prev then holds the state before it, written
	 * a run earlier. */
	if (fileio_swap(dfd, name, prev, text, len, 0644) < 0) {
		int e = errno;

		/* A spare that is not a plain file of its own (a FIFO, a device, another file's
		 * hard link: planted, or a FIFO planted as the state file that the last swap put
		 * there) is never written through; its name is ours, so it goes, and a new one
		 * is made. */
		if ((e != EINVAL && e != EMLINK && e != ENXIO) || unlinkat(dfd, prev, 0) < 0 ||
		    fileio_swap(dfd, name, prev, text, len, 0644) < 0) {
			snprintf(err, errlen, "cannot write state file %s/%s: %s", dir, name,
				 fileio_strerror(errno));
			goto out;
		}
		if (!warn)
			snprintf(err, errlen, "state file %s/%s: its spare %s was not a plain file of "
				 "its own (%s); replaced it", dir, name, prev,
				 e == EMLINK ? "hard-linked" : "not a regular file");
		warn = 1;
	}
	rc = warn;
out:
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	free(text);
	free(old);
	return rc;
}

static void copy_string(const json_t *v, char *buf, size_t len)
{
	const char *s = json_string_value(v);

	snprintf(buf, len, "%s", s ? s : "");
}

static int64_t duration_us(const json_t *run)
{
	const json_t *v = json_object_get(run, "duration");
	double s;

	if (!json_is_number(v))
		return -1;
	s = json_number_value(v);
	return s >= 0 && s < 1e11 ? (int64_t)(s * 1e6) : -1;
}

int state_summarise(const char *text, size_t len, struct state_summary *s)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const json_t *run = json_object_get(doc, "last_run");
	const json_t *ok = json_object_get(doc, "last_success");
	const json_t *v;
	char job[sizeof s->job];

	memcpy(job, s->job, sizeof job);
	memset(s, 0, sizeof *s);
	memcpy(s->job, job, sizeof job);
	s->duration_us = s->last_success_duration_us = -1;
	if (!json_is_object(doc) || !json_is_object(run)) {
		json_decref(doc);
		return -1;
	}
	s->readable = 1;
	copy_string(json_object_get(run, "state"), s->state, sizeof s->state);
	s->start_us = seconds_us(json_object_get(run, "start"));
	s->duration_us = duration_us(run);
	v = json_object_get(run, "exit_code");
	if ((s->has_exit = json_is_integer(v)))
		s->exit_code = json_integer_value(v);
	v = json_object_get(run, "signal");
	s->signal = json_is_integer(v) ? json_integer_value(v) : 0;
	copy_string(json_object_get(run, "reason"), s->reason, sizeof s->reason);
	if (json_is_object(ok)) {
		s->last_success_us = seconds_us(json_object_get(ok, "start"));
		s->last_success_duration_us = duration_us(ok);
	}
	s->consecutive_failures = count(doc, "consecutive_failures");
	s->runs = count(doc, "runs");
	copy_string(json_object_get(run, "run_id"), s->run_id, sizeof s->run_id);
	s->period_us = seconds_us(json_object_get(doc, "period"));
	if (s->period_us < 0)
		s->period_us = 0;
	json_decref(doc);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The job names of DIR's state files, sorted; -1 with errno when DIR cannot be listed. */
static ssize_t list_jobs(DIR *d, char ***names)
{
	struct dirent *de;
	size_t n = 0, cap = 0;
	char **v = NULL;

	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 6 || l - 5 > 64 || strcmp(de->d_name + l - 5, ".json") != 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(v, ncap * sizeof *v);

			if (!nv)
				goto oom;
			v = nv;
			cap = ncap;
		}
		if (!(v[n] = strndup(de->d_name, l - 5)))
			goto oom;
		n++;
	}
	if (n)
		qsort(v, n, sizeof *v, by_name);
	*names = v;
	return (ssize_t)n;
oom:
	while (n)
		free(v[--n]);
	free(v);
	errno = ENOMEM;
	return -1;
}

int state_scan(const char *dir, state_scan_fn fn, void *ctx, char *err, size_t errlen)
{
	int dfd = safedir_open(dir, "state dir", SAFEDIR_READ, err, errlen), lfd, rc = 0, e;
	char **names = NULL;
	ssize_t n = -1;
	DIR *d;

	/* Listed through a second descriptor (closedir closes it); files are read through
	 * DFD, so the directory cannot be swapped for another between the two. */
	if (dfd >= 0 && (lfd = fcntl(dfd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		if ((d = fdopendir(lfd))) {
			n = list_jobs(d, &names);
			e = errno;
			closedir(d);
			errno = e;
		} else {
			e = errno;
			close(lfd);
			errno = e;
		}
	}
	if (dfd < 0)
		return -1;
	if (n < 0) {
		e = errno;
		snprintf(err, errlen, "cannot read state dir %s: %s", dir, strerror(e));
		close(dfd);
		errno = e;
		return -1;
	}
	for (ssize_t i = 0; i < n; i++) {
		struct state_summary s;
		char file[80];
		size_t len;
		char *text;

		snprintf(s.job, sizeof s.job, "%s", names[i]);
		snprintf(file, sizeof file, "%s.json", names[i]);
		text = fileio_read_at(dfd, file, STATE_MAX_BYTES, &len, NULL);
		if (!text || state_summarise(text, len, &s) < 0) {
			memset(&s, 0, sizeof s);
			snprintf(s.job, sizeof s.job, "%s", names[i]);
			s.duration_us = s.last_success_duration_us = -1;
		}
		free(text);
		if (rc == 0)
			rc = fn(ctx, &s);
		free(names[i]);
	}
	free(names);
	close(dfd);
	return rc;
}
