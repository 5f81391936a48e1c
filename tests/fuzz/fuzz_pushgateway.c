/* libFuzzer target for the Pushgateway: label values stay inside their quotes, grouping values round-trip through the path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/encode.h"
#include "../../src/sink_pushgateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int b64val(char c)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = c ? strchr(abc, c) : NULL;

	return p ? (int)(p - abc) : -1;
}

/* Reads one grouping segment pair "/LABEL/VALUE" or "/LABEL@base64/B64" at *P back into OUT. */
static void read_segment(const char **p, const char *label, char *out, size_t outlen)
{
	size_t n = strlen(label), o = 0;
	const char *s = *p, *end;

	if (s[0] != '/' || strncmp(s + 1, label, n) != 0)
		__builtin_trap();
	s += 1 + n;
	if (strncmp(s, "@base64/", 8) == 0) {
		unsigned acc = 0;
		int bits = 0;

		s += 8;
		end = s + strcspn(s, "/");
		if (end - s == 1 && *s == '=') {
			out[0] = '\0';
			*p = end;
			return;
		}
		if ((end - s) % 4 != 0)
			__builtin_trap();
		for (; s < end && *s != '='; s++) {
			int v = b64val(*s);
			if (v < 0)
				__builtin_trap();
			acc = acc << 6 | (unsigned)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (o + 1 >= outlen)
					__builtin_trap();
				out[o++] = (char)(acc >> bits & 0xff);
			}
		}
		s = end;
	} else {
		if (*s++ != '/')
			__builtin_trap();
		end = s + strcspn(s, "/");
		for (; s < end; s++) {
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~", *s))
				__builtin_trap();
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	*p = s;
}

static void check_value(const char *v)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return;
	pushgateway_escape_value(f, v);
	fclose(f);
	for (size_t i = 0; i < len; i++) {
		size_t u = encode_utf8_len(out + i, len - i);

		if (u == 0 || out[i] == '\n' || out[i] == '"')
			__builtin_trap();
		if (out[i] == '\\') {
			if (i + 1 == len || !strchr("\\\"n", out[i + 1]))
				__builtin_trap();
			i++;
			continue;
		}
		i += u - 1;
	}
	free(out);
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == ':';
}

/* One sample line of the text format, read as Prometheus does. */
static void check_sample(const char *l, size_t len)
{
	size_t i = 0;

	while (i < len && name_char(l[i]))
		i++;
	if (i == 0)
		__builtin_trap();
	if (i < len && l[i] == '{') {
		for (i++;;) {
			size_t k = i;

			while (i < len && name_char(l[i]))
				i++;
			if (i == k || i + 1 >= len || l[i] != '=' || l[i + 1] != '"')
				__builtin_trap();
			for (i += 2; i < len && l[i] != '"'; i++)
				if (l[i] == '\\')
					i++;
			if (i + 1 >= len)
				__builtin_trap();
			i++;
			if (l[i] == ',') {
				i++;
				continue;
			}
			if (l[i++] != '}')
				__builtin_trap();
			break;
		}
	}
	if (i + 1 >= len || l[i] != ' ')
		__builtin_trap();
	for (i++; i < len; i++)
		if (l[i] == ' ')
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *url = NULL, *text = NULL, job_back[4096], host_back[4096];
	const char *job, *host, *p;
	size_t ulen = 0, tlen = 0, n;
	FILE *f;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	job = buf;
	n = strlen(job);
	host = n < size ? buf + n + 1 : "";
	check_value(job);
	check_value(host);

	f = open_memstream(&url, &ulen);
	if (f) {
		pushgateway_path(f, "http://gw:9091/", job, host);
		fclose(f);
		if (strncmp(url, "http://gw:9091/metrics", 22) != 0)
			__builtin_trap();
		p = url + 22;
		read_segment(&p, "job", job_back, sizeof job_back);
		read_segment(&p, "instance", host_back, sizeof host_back);
		if (*p || strcmp(job_back, job) != 0 || strcmp(host_back, host) != 0)
			__builtin_trap();
		free(url);
	}

	/* A whole body with hostile labels: every line is a comment or NAME{K="V",...} VALUE. */
	{
		struct label labels[1] = { { "k", host } };
		struct run_record rec = { .job = job, .host = host, .labels = labels, .nlabels = 1,
					  .state = (enum run_state)(size % 9), .start_us = (int64_t)size };
		f = open_memstream(&text, &tlen);
		if (f) {
			const char *line, *nl;

			pushgateway_format(f, &rec, (enum prom_target)(size % 2));
			fclose(f);
			if (tlen == 0 || text[tlen - 1] != '\n')
				__builtin_trap();
			for (line = text; line < text + tlen; line = nl + 1) {
				nl = memchr(line, '\n', (size_t)(text + tlen - line));
				if (line[0] != '#')
					check_sample(line, (size_t)(nl - line));
			}
			free(text);
		}
	}
	free(buf);
	return 0;
}
