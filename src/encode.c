/* Encodings shared by the report formats: UTF-8 validation and base64. */
#include "config.h"

#include "encode.h"

/* The table of well-formed byte sequences is RFC 3629, section 4. */
size_t encode_utf8_len(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* The second byte's range is what excludes overlongs, surrogates and > U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void encode_base64(FILE *out, const void *data, size_t n, int urlsafe)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *abc = urlsafe ? url : std;
	const unsigned char *p = data;

	for (; n >= 3; p += 3, n -= 3) {
		fputc(abc[p[0] >> 2], out);
		fputc(abc[(p[0] & 3) << 4 | p[1] >> 4], out);
		fputc(abc[(p[1] & 15) << 2 | p[2] >> 6], out);
		fputc(abc[p[2] & 63], out);
	}
	if (n == 0)
		return;
	fputc(abc[p[0] >> 2], out);
	if (n == 1) {
		fputc(abc[(p[0] & 3) << 4], out);
		fputs("==", out);
		return;
	}
	fputc(abc[(p[0] & 3) << 4 | p[1] >> 4], out);
	fputc(abc[(p[1] & 15) << 2], out);
	fputc('=', out);
}
