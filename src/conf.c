/* The config file format: "key = value" lines, "#" comments, "[NAME]" job sections. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define CONF_LINE_MAX 4096

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void trim(char **s, char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

static int key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int bad(unsigned *bad_line, unsigned line, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int bad(unsigned *bad_line, unsigned line, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	*bad_line = line;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Splits one line (BUF, NUL-terminated, trimmed by the caller into S..E) into C's arena. */
static int parse_line(struct conf *c, char **arena, const char **section, unsigned lineno,
		      char *s, char *e, unsigned *bad_line, char *err, size_t errlen)
{
	char *eq, *ks, *ke, *vs, *ve;
	size_t kl, vl;

	*e = '\0';
	if (*s == '[') {
		if (e[-1] != ']' || e - s < 3)
			return bad(bad_line, lineno, err, errlen, "malformed section header '%s'", s);
		e[-1] = '\0';
		s++;
		for (char *p = s; *p; p++)
			if (!key_char(*p) && !(*p >= 'A' && *p <= 'Z') && *p != '.')
				return bad(bad_line, lineno, err, errlen,
					   "bad job name in section header '[%s]'", s);
		*section = memcpy(*arena, s, strlen(s) + 1);
		*arena += strlen(s) + 1;
		return 0;
	}
	eq = strchr(s, '=');
	if (!eq)
		return bad(bad_line, lineno, err, errlen, "expected 'key = value', got '%s'", s);
	ks = s;
	ke = eq;
	vs = eq + 1;
	ve = e;
	trim(&ks, &ke);
	trim(&vs, &ve);
	if (ks == ke)
		return bad(bad_line, lineno, err, errlen, "missing key before '='");
	*ke = '\0';
	for (char *p = ks; p < ke; p++)
		if (!key_char(*p))
			return bad(bad_line, lineno, err, errlen, "bad key '%s'", ks);
	*ve = '\0';
	if (*vs == '"' || *vs == '\'') {
		/* Quoted: keeps spaces and '#'; only a comment may follow the closing quote. */
		char *close = strchr(vs + 1, *vs), *after;

		if (!close)
			return bad(bad_line, lineno, err, errlen, "unterminated quote in the value of '%s'", ks);
		after = close + 1;
		while (is_space(*after))
			after++;
		if (*after && *after != '#')
			return bad(bad_line, lineno, err, errlen, "text after the quoted value of '%s'", ks);
		*close = '\0';
		vs++;
	} else {
		/* An inline comment starts at a '#' after white space: "2h # nightly" is "2h",
		 * while "a#b" keeps its '#'. */
		for (char *p = vs; *p; p++) {
			if (*p == '#' && (p == vs || is_space(p[-1]))) {
				ve = p;
				trim(&vs, &ve);
				*ve = '\0';
				break;
			}
		}
	}
	kl = strlen(ks) + 1;
	vl = strlen(vs) + 1;
	c->v[c->n] = (struct conf_entry){ lineno, *section, memcpy(*arena, ks, kl),
					  memcpy(*arena + kl, vs, vl) };
	*arena += kl + vl;
	c->n++;
	return 0;
}

static const struct conf *sort_conf;

static int by_section(const void *a, const void *b)
{
	const struct conf_entry *x = &sort_conf->v[*(const size_t *)a];
	const struct conf_entry *y = &sort_conf->v[*(const size_t *)b];
	int d = strcmp(x->section, y->section);

	if (d)
		return d;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* How many '\n' in P[0..N): eight bytes at a time, exactly (no borrow between bytes). */
static size_t count_lines(const char *p, size_t n)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, nl = 0x0a0a0a0a0a0a0a0aULL;
	size_t count = 0;

	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w, t;

		memcpy(&w, p, 8);
		w ^= nl;                           /* a '\n' byte is now 0 */
		t = ((w & low7) + low7) | w;       /* high bit set in every non-zero byte */
		t = (~t & ~low7) >> 7;             /* 1 in each byte that was '\n', else 0 */
		count += (size_t)((t * 0x0101010101010101ULL) >> 56);   /* their sum, at most 8 */
	}
	for (; n; p++, n--)
		count += *p == '\n';
	return count;
}

/* Whether LINE[0..N) is "[ONLY]", blanks around it aside. */
static int is_header_of(const char *line, size_t n, const char *only, size_t onlylen)
{
	const char *s = line, *e = line + n;

	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	return (size_t)(e - s) == onlylen + 2 && *s == '[' && e[-1] == ']' &&
	       memcmp(s + 1, only, onlylen) == 0;
}

/* The start of the next line at or after POS (a line start) that is "[ONLY]", blanks around
 * it aside; LEN if none. Only that pattern is searched for (memmem), so the lines of other
 * sections, their headers included, cost no more than the search. */
static size_t next_header_of(const char *text, size_t len, size_t pos, const char *only,
			     size_t onlylen)
{
	const char *p = text + pos, *end = text + len, *pat = only, *m;
	char brk[130];
	size_t patlen = onlylen, skip = 0;

	/* "[ONLY]" itself where it fits (job names have at most 64 characters), else ONLY. */
	if (onlylen + 2 <= sizeof brk) {
		brk[0] = '[';
		memcpy(brk + 1, only, onlylen);
		brk[onlylen + 1] = ']';
		pat = brk;
		patlen = onlylen + 2;
	} else {
		skip = 1;
	}
	while ((m = memmem(p, (size_t)(end - p), pat, patlen))) {
		const char *q, *nl;

		p = m + 1;          /* where the search goes on */
		if (skip) {         /* ONLY alone was searched for: the '[' must precede it */
			if (m == text + pos || m[-1] != '[')
				continue;
			m--;
		}
		for (q = m; q > text + pos && is_space(q[-1]); q--)
			;
		if (q == text + pos || q[-1] == '\n') {
			nl = memchr(m, '\n', (size_t)(end - m));
			if (is_header_of(q, (size_t)((nl ? nl : end) - q), only, onlylen))
				return (size_t)(q - text);
		}
	}
	return len;
}

/* Parses TEXT[0..LEN). RUNS (NRUNS of them), when given, say at which file line each run of
 * TEXT's lines starts (a job's kept lines: conf_job); without them the lines are numbered
 * from 1. SORT orders the section entries by section for conf_section. */
static int parse(const char *text, size_t len, const struct conf_run *runs, size_t nruns,
		 int sort, struct conf *c, unsigned *bad_line, char *err, size_t errlen)
{
	char buf[CONF_LINE_MAX + 1], *arena;
	const char *section = NULL;
	size_t pos = 0, k = 0, cap = 16, run = 0;
	unsigned lineno = 0;

	memset(c, 0, sizeof *c);
	*bad_line = 0;
	/* Each line gives at most one entry or section name, never longer than the line + 2:
	 * at most LEN + 2 * (LEN + 1) bytes, of which only what is used is ever touched. */
	c->v = malloc(cap * sizeof *c->v);
	c->arena = arena = malloc(3 * len + 3);
	if (!c->v || !c->arena)
		goto oom;
	while (pos < len) {
		const char *nl;
		size_t n;
		char *s, *e;

		if (run < nruns && runs[run].off == pos)
			lineno = runs[run++].line - 1;
		nl = memchr(text + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if (n > CONF_LINE_MAX) {
			bad(bad_line, lineno, err, errlen, "line longer than %d bytes", CONF_LINE_MAX);
			goto fail;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(buf, '\0', n)) {
			bad(bad_line, lineno, err, errlen, "NUL byte");
			goto fail;
		}
		s = buf;
		e = buf + n;
		trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		if (c->n == cap) {
			struct conf_entry *v = realloc(c->v, 2 * cap * sizeof *c->v);

			if (!v)
				goto oom;
			c->v = v;
			cap *= 2;
		}
		if (parse_line(c, &arena, &section, lineno, s, e, bad_line, err, errlen) < 0)
			goto fail;
	}
	c->order = malloc((c->n + 1) * sizeof *c->order);
	if (!c->order)
		goto oom;
	for (size_t i = 0; i < c->n; i++)
		if (!c->v[i].section)
			c->order[k++] = i;
	c->nglobal = k;
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].section)
			c->order[k++] = i;
	if (sort) {
		sort_conf = c;
		qsort(c->order + c->nglobal, c->n - c->nglobal, sizeof *c->order, by_section);
		sort_conf = NULL;
	}
	return 0;
oom:
	errno = ENOMEM;
	snprintf(err, errlen, "out of memory");
fail:
	conf_free(c);
	return -1;
}

int conf_parse(const char *text, size_t len, struct conf *c, unsigned *bad_line, char *err,
	       size_t errlen)
{
	return parse(text, len, NULL, 0, 1, c, bad_line, err, errlen);
}

void conf_job_init(struct conf_job *j, const char *job)
{
	memset(j, 0, sizeof *j);
	j->only = job ? job : "";
	j->onlylen = strlen(j->only);
}

void conf_job_free(struct conf_job *j)
{
	free(j->kept);
	free(j->runs);
	j->kept = NULL;
	j->runs = NULL;
}

/* Appends P[0..N) to the kept text, starting a run at file line LINE unless it continues one. */
static int keep(struct conf_job *j, const char *p, size_t n, unsigned line)
{
	if (!j->inrun) {
		if (j->nruns == j->rcap) {
			size_t cap = j->rcap ? 2 * j->rcap : 4;
			struct conf_run *r = realloc(j->runs, cap * sizeof *r);

			if (!r)
				return -1;
			j->runs = r;
			j->rcap = cap;
		}
		j->runs[j->nruns++] = (struct conf_run){ j->klen, line };
		j->inrun = 1;
	}
	if (j->kcap - j->klen < n) {
		size_t cap = j->kcap ? j->kcap : 256;
		char *k;

		while (cap - j->klen < n)
			cap *= 2;
		if (!(k = realloc(j->kept, cap)))
			return -1;
		j->kept = k;
		j->kcap = cap;
	}
	memcpy(j->kept + j->klen, p, n);
	j->klen += n;
	return 0;
}

/* The first non-blank character of LINE[0..N), or '\0'. */
static char lead(const char *line, size_t n)
{
	while (n && is_space(*line))
		line++, n--;
	return n ? *line : '\0';
}

int conf_job_feed(struct conf_job *j, const char *piece, size_t len)
{
	size_t pos = 0, mark = 0;

	while (pos < len) {
		const char *nl;
		size_t n;

		if (j->skipping) {
			/* Another job's section: not read; only the next header of ONLY is looked
			 * for, and the lines up to it counted in one go. */
			size_t h = next_header_of(piece, len, pos, j->only, j->onlylen);

			if (h == len)
				break;
			j->line += (unsigned)count_lines(piece + mark, h - mark);
			j->skipping = 0;
			pos = h;
			continue;
		}
		/* The global lines and the job's: kept whole, for parse to read (and refuse). A
		 * header of another job (or a malformed one, which parse refuses) ends the run. */
		nl = memchr(piece + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (piece + pos)) : len - pos;
		if (keep(j, piece + pos, n + (nl ? 1 : 0), j->line + 1) < 0) {
			errno = ENOMEM;
			return -1;
		}
		j->line += nl ? 1 : 0;
		if (lead(piece + pos, n) == '[' && !is_header_of(piece + pos, n, j->only, j->onlylen)) {
			j->skipping = 1;
			j->inrun = 0;
			mark = pos + n + (nl ? 1 : 0);
		}
		pos += n + (nl ? 1 : 0);
	}
	if (j->skipping)
		j->line += (unsigned)count_lines(piece + mark, len - mark);
	return 0;
}

int conf_job_finish(struct conf_job *j, struct conf *c, unsigned *bad_line, char *err,
		    size_t errlen)
{
	/* With ONLY, every section entry kept is ONLY's, already in file order. */
	int rc = parse(j->kept ? j->kept : "", j->klen, j->runs, j->nruns, 0, c, bad_line, err,
		       errlen);

	conf_job_free(j);
	return rc;
}

int conf_parse_job(const char *text, size_t len, const char *job, struct conf *c,
		   unsigned *bad_line, char *err, size_t errlen)
{
	struct conf_job j;

	conf_job_init(&j, job);
	if (conf_job_feed(&j, text, len) < 0) {
		conf_job_free(&j);
		*bad_line = 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return conf_job_finish(&j, c, bad_line, err, errlen);
}

void conf_free(struct conf *c)
{
	free(c->v);
	free(c->order);
	free(c->arena);
	memset(c, 0, sizeof *c);
}

size_t conf_section(const struct conf *c, const char *job, size_t *first)
{
	size_t lo = c->nglobal, hi = c->n, end;

	if (!job)
		return 0;
	/* The first entry whose section is not below JOB ... */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(c->v[c->order[mid]].section, job) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < c->n && strcmp(c->v[c->order[end]].section, job) == 0; end++)
		;
	*first = lo;
	return end - lo;
}

int conf_scan(const char *text, size_t len, const char *job, conf_entry_fn fn, void *ctx,
	      unsigned *bad_line, char *err, size_t errlen)
{
	struct conf c;
	size_t first = 0, n;
	int rc = 0;

	if (conf_parse(text, len, &c, bad_line, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < c.n && !rc; i++) {
		const struct conf_entry *e = &c.v[i];

		if (!e->section)
			rc = fn(ctx, e->line, e->key, e->value, 1);
		else if (!job || strcmp(e->section, job) != 0)
			rc = fn(ctx, e->line, e->key, e->value, 0);  /* another job's: checked only */
	}
	n = conf_section(&c, job, &first);
	for (size_t i = 0; i < n && !rc; i++) {
		const struct conf_entry *e = &c.v[c.order[first + i]];

		rc = fn(ctx, e->line, e->key, e->value, 1);
	}
	conf_free(&c);
	return rc;
}
