/* The config file format: "key = value" lines, "#" comments, "[NAME]" job sections. */
#include "config.h"

#include <stdio.h>
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

/* One pass over the text; PASS 0 delivers global entries, PASS 1 the job's section. */
static int conf_pass(const char *text, size_t len, const char *job, int pass, conf_entry_fn fn,
		     void *ctx, unsigned *bad_line, char *err, size_t errlen)
{
	char buf[CONF_LINE_MAX + 1];
	unsigned lineno = 0;
	int in_job = 0, in_global = 1;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *s, *e, *eq, *ks, *ke, *vs, *ve;
		int rc;

		lineno++;
		if (n > CONF_LINE_MAX) {
			*bad_line = lineno;
			snprintf(err, errlen, "line longer than %d bytes", CONF_LINE_MAX);
			return -1;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(buf, '\0', n)) {
			*bad_line = lineno;
			snprintf(err, errlen, "NUL byte");
			return -1;
		}
		s = buf;
		e = buf + n;
		trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		*e = '\0';
		if (*s == '[') {
			if (e[-1] != ']' || e - s < 3) {
				*bad_line = lineno;
				snprintf(err, errlen, "malformed section header '%s'", s);
				return -1;
			}
			e[-1] = '\0';
			s++;
			for (char *c = s; *c; c++) {
				if (!key_char(*c) && !(*c >= 'A' && *c <= 'Z') && *c != '.') {
					*bad_line = lineno;
					snprintf(err, errlen, "bad job name in section header '[%s]'", s);
					return -1;
				}
			}
			in_global = 0;
			in_job = job && strcmp(s, job) == 0;
			continue;
		}
		eq = strchr(s, '=');
		if (!eq) {
			*bad_line = lineno;
			snprintf(err, errlen, "expected 'key = value', got '%s'", s);
			return -1;
		}
		ks = s;
		ke = eq;
		vs = eq + 1;
		ve = e;
		trim(&ks, &ke);
		trim(&vs, &ve);
		if (ks == ke) {
			*bad_line = lineno;
			snprintf(err, errlen, "missing key before '='");
			return -1;
		}
		for (char *c = ks; c < ke; c++) {
			if (!key_char(*c)) {
				*bad_line = lineno;
				*ke = '\0';
				snprintf(err, errlen, "bad key '%s'", ks);
				return -1;
			}
		}
		*ke = '\0';
		*ve = '\0';
		if (*vs == '"' || *vs == '\'') {
			/* Quoted: keeps spaces and '#'; only a comment may follow the closing quote. */
			char *close = strchr(vs + 1, *vs), *after;
			if (!close) {
				*bad_line = lineno;
				snprintf(err, errlen, "unterminated quote in the value of '%s'", ks);
				return -1;
			}
			after = close + 1;
			while (is_space(*after))
				after++;
			if (*after && *after != '#') {
				*bad_line = lineno;
				snprintf(err, errlen, "text after the quoted value of '%s'", ks);
				return -1;
			}
			*close = '\0';
			vs++;
		} else {
			/* An inline comment starts at a '#' after white space. */
			for (char *c = vs; *c; c++) {
				if (*c == '#' && (c == vs || is_space(c[-1]))) {
					*c = '\0';
					ve = c;
					trim(&vs, &ve);
					*ve = '\0';
					break;
				}
			}
		}
		rc = 0;
		if (pass == 0 && !in_global && !in_job)
			rc = fn(ctx, lineno, ks, vs, 0);  /* another job's: checked, not applied */
		else if ((pass == 0 && in_global) || (pass == 1 && in_job))
			rc = fn(ctx, lineno, ks, vs, 1);
		if (rc)
			return rc;
	}
	return 0;
}

int conf_scan(const char *text, size_t len, const char *job, conf_entry_fn fn, void *ctx,
	      unsigned *bad_line, char *err, size_t errlen)
{
	int rc = conf_pass(text, len, job, 0, fn, ctx, bad_line, err, errlen);

	if (rc)
		return rc;
	return conf_pass(text, len, job, 1, fn, ctx, bad_line, err, errlen);
}
