/* Encodings shared by the report formats: UTF-8 validation and base64. */
#ifndef CRONGUARD_ENCODE_H
#define CRONGUARD_ENCODE_H

#include <stddef.h>
#include <stdio.h>

/* The replacement character U+FFFD, written where a byte is not valid UTF-8. */
#define ENCODE_REPLACEMENT "\xef\xbf\xbd"

/* encode_utf8_len returns the length (1-4) of the well-formed UTF-8 sequence at the start
 * of S (N bytes available), or 0 when there is none (overlong, surrogate, past U+10FFFF,
 * truncated, stray continuation byte). Pure. */
size_t encode_utf8_len(const char *s, size_t n);

/* encode_base64 writes the N bytes at DATA to OUT in base64 with padding: RFC 4648's
 * standard alphabet, or its URL-safe one ("-_") when URLSAFE. Pure. */
void encode_base64(FILE *out, const void *data, size_t n, int urlsafe);

#endif
