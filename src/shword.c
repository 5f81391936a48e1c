/* Enough of sh(1) to find a command's words in a crontab line. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "shword.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

static int op_char(char c)
{
	return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>' ||
	       c == '\n';
}

/* Copies $(...), ${...} or `...` from S to *OUT; returns the characters consumed. */
static size_t copy_expansion(const char *s, char **out)
{
	size_t i = 0;

	if (s[0] == '`') {
		*(*out)++ = s[i++];
		while (s[i] && s[i] != '`')
			*(*out)++ = s[i++];
	} else {
		char open = s[1], close = open == '(' ? ')' : '}';
		int depth = 0;

		*(*out)++ = s[i++];
		for (; s[i]; i++) {
			*(*out)++ = s[i];
			if (s[i] == open)
				depth++;
			else if (s[i] == close && --depth == 0)
				return i + 1;
		}
		return i;
	}
	if (s[i])
		*(*out)++ = s[i++];
	return i;
}

/* Reads a redirection at S + *I into *R: its operator, then its target word (quotes removed,
 * an expansion marked) copied to *OUT. */
static void read_redirect(const char *s, size_t *i, struct shword *r, char **out)
{
	size_t k = 0;

	while (s[*i] == '<' || s[*i] == '>' || s[*i] == '&' || s[*i] == '|') {
		if (k < sizeof r->op - 1)
			r->op[k++] = s[*i];
		(*i)++;
	}
	r->op[k] = '\0';
	while (blank(s[*i]))
		(*i)++;
	r->s = *out;
	while (s[*i] && !blank(s[*i]) && !op_char(s[*i])) {
		char q = s[(*i)++];

		if (q == '\\' && s[*i]) {
			*(*out)++ = s[(*i)++];
		} else if (q == '\'' || q == '"') {
			while (s[*i] && s[*i] != q) {
				r->dynamic |= q == '"' && (s[*i] == '$' || s[*i] == '`');
				*(*out)++ = s[(*i)++];
			}
			*i += s[*i] != '\0';
		} else {
			r->dynamic |= q == '$' || q == '`';
			*(*out)++ = q;
		}
	}
	*(*out)++ = '\0';
}

size_t shword_split(const char *s, struct shword *w, char *buf)
{
	size_t nw = 0, i = 0;
	char *out = buf;

	for (;;) {
		struct shword cur = { 0 };
		size_t plain = 0, start;
		int quoted = 0, redirect = 0;

		while (blank(s[i]))
			i++;
		if (!s[i] || s[i] == '#')
			break;
		start = i;
		if (op_char(s[i]) && s[i] != '<' && s[i] != '>') {
			struct shword sep = { .s = out, .start = i, .sep = 1 };

			/* The first operator of the run: "&&", "||", ";;", or one character. */
			sep.op[0] = s[i];
			if (s[i + 1] == s[i] && strchr("&|;", s[i]))
				sep.op[1] = s[i];
			while (s[i] && op_char(s[i]) && s[i] != '<' && s[i] != '>')
				i++;
			if (nw > 0 && !w[nw - 1].sep)
				w[nw++] = sep;
			*out++ = '\0';
			continue;
		}
		if (s[i] == '<' || s[i] == '>') {
			struct shword r = { .start = i, .redir = 1 };

			read_redirect(s, &i, &r, &out);
			w[nw++] = r;
			continue;
		}
		cur.s = out;
		cur.start = start;
		while (s[i] && !blank(s[i]) && !op_char(s[i])) {
			char c = s[i];

			if (c == '\\') {
				*out++ = s[i + 1] ? s[i + 1] : '\\';
				i += s[i + 1] ? 2 : 1;
				quoted = 1;
			} else if (c == '\'') {
				for (i++; s[i] && s[i] != '\''; i++)
					*out++ = s[i];
				i += s[i] != '\0';
				quoted = 1;
			} else if (c == '"') {
				for (i++; s[i] && s[i] != '"'; i++) {
					if (s[i] == '\\' && s[i + 1] && strchr("$`\"\\", s[i + 1]))
						i++;
					else if (s[i] == '$' || s[i] == '`')
						cur.dynamic = 1;
					*out++ = s[i];
				}
				i += s[i] != '\0';
				quoted = 1;
			} else if (c == '`' || (c == '$' && (s[i + 1] == '(' || s[i + 1] == '{'))) {
				i += copy_expansion(s + i, &out);
				cur.dynamic = 1;
				quoted = 1;
			} else {
				cur.dynamic |= c == '$';
				*out++ = c;
				i++;
				if (!quoted)
					plain++;
			}
		}
		*out++ = '\0';
		/* "2>file": the digits name a descriptor, not a word. */
		if ((s[i] == '<' || s[i] == '>') && !quoted && strspn(cur.s, "0123456789") == strlen(cur.s)) {
			redirect = 1;
		} else if (cur.s[0] || quoted) {
			const char *eq = strchr(cur.s, '=');

			/* NAME=VALUE, with NAME and "=" unquoted, sets the command's environment. */
			cur.assign = eq && (size_t)(eq - cur.s) < plain &&
				     (isalpha((unsigned char)cur.s[0]) || cur.s[0] == '_') &&
				     strspn(cur.s, NAME_CHARS) == (size_t)(eq - cur.s);
			w[nw++] = cur;
		}
		if (redirect) {
			struct shword r = { .start = start, .redir = 1 };

			read_redirect(s, &i, &r, &out);
			w[nw++] = r;
		}
	}
	return nw;
}

const char *shword_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int shword_quote(FILE *out, const char *word)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789@%+:,./-_";

	if (word[0] && strspn(word, plain) == strlen(word))
		return fputs(word, out) < 0 ? -1 : 0;
	if (fputc('\'', out) == EOF)
		return -1;
	for (const char *c = word; *c; c++)
		if ((*c == '\'' ? fputs("'\\''", out) : fputc(*c, out)) == EOF)
			return -1;
	return fputc('\'', out) == EOF ? -1 : 0;
}
