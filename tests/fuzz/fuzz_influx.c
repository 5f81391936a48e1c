/* libFuzzer target for the line protocol: any job, host, label or reason yields one line that InfluxDB's scanner splits where we meant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/encode.h"
#include "../../src/sink_influx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits the input at NUL bytes into at most N strings; missing ones are empty. */
static size_t split(char *buf, size_t size, const char **out, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		out[i] = "";
	for (char *p = buf; p < buf + size && k < n; p += strlen(p) + 1)
		out[k++] = p;
	return k;
}

/* Scans as InfluxDB's models/points.go does: a backslash takes the next byte with it, quotes
 * (in the field set) hide everything up to the closing one. Counts the unescaped separators
 * of each kind in LINE and checks that what the escaper wrote never breaks out. */
static void scan(const char *line, size_t len, size_t nfields_min)
{
	size_t spaces = 0, commas = 0, i;
	int quoted = 0;

	for (i = 0; i < len; i++) {
		char c = line[i];

		if (c == '\n' && !quoted)
			break;
		if (c == '\\') {
			i++;
			continue;
		}
		if (c == '"' && spaces == 1)
			quoted = !quoted;
		else if (c == ' ' && !quoted)
			spaces++;
		else if (c == ',' && !quoted && spaces == 1)
			commas++;
	}
	/* measurement+tags, fields, timestamp: two separating spaces, the newline last. */
	if (quoted || spaces != 2 || i != len - 1 || line[len - 1] != '\n')
		__builtin_trap();
	if (commas + 1 < nfields_min)
		__builtin_trap();
}

static void check_escape(const char *s, enum influx_part part)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return;
	influx_escape(f, s, part);
	fclose(f);
	/* The whole line is UTF-8 without control characters... */
	for (i = 0; i < len; i += encode_utf8_len(out + i, len - i)) {
		if (encode_utf8_len(out + i, len - i) == 0 || (unsigned char)out[i] < 0x20 ||
		    out[i] == 0x7f)
			__builtin_trap();
	}
	/* ...and, read byte by byte as InfluxDB does, nothing escapes its part. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\\') {
			if (i + 1 == len)      /* a trailing backslash would escape what follows */
				__builtin_trap();
			i++;
			continue;
		}
		if (part == INFLUX_KEY && (c == ',' || c == '=' || c == ' '))
			__builtin_trap();
		if (part == INFLUX_MEASUREMENT && (c == ',' || c == ' '))
			__builtin_trap();
		if (part == INFLUX_STRING && c == '"')
			__builtin_trap();
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	const char *f[8];
	struct label labels[2];
	struct run_record rec = { 0 };
	char *line = NULL;
	size_t len = 0;
	FILE *out;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	split(buf, size, f, 8);
	for (int p = INFLUX_MEASUREMENT; p <= INFLUX_STRING; p++)
		check_escape(f[0], (enum influx_part)p);

	/* Options keep job names and label keys tame; the values can be anything. */
	labels[0] = (struct label){ "k1", f[3] };
	labels[1] = (struct label){ "zone", f[4] };
	rec = (struct run_record){ .job = f[0], .host = f[1], .labels = labels, .nlabels = 2,
				   .state = (enum run_state)(size % 9), .reason = f[2][0] ? f[2] : NULL,
				   .exit_code = (int)size - 100, .start_us = (int64_t)size * 999983,
				   .duration_us = (int64_t)size * 7, .signal = (int)(size % 3) };
	snprintf(rec.run_id, sizeof rec.run_id, "%.36s", f[5]);
	out = open_memstream(&line, &len);
	if (out) {
		if (influx_format_line(out, &rec) != 0)
			__builtin_trap();
		fclose(out);
		/* At least duration, success and run_id in the field set. */
		scan(line, len, 3);
		free(line);
	}
	free(buf);
	return 0;
}
