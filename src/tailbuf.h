/* A bounded keeper of a stream's head and tail, for reports of long outputs. */
#ifndef CRONGUARD_TAILBUF_H
#define CRONGUARD_TAILBUF_H

#include <stddef.h>
#include <stdint.h>

#define TAILBUF_HEAD 2048
#define TAILBUF_TAIL 8192

struct tailbuf {
	char head[TAILBUF_HEAD];
	char tail[TAILBUF_TAIL];   /* a ring: the last bytes seen past the head */
	size_t head_len;
	size_t tail_pos;           /* next write position in the ring */
	uint64_t total;            /* every byte ever appended */
};

/* tailbuf_append records N bytes; memory stays fixed whatever the stream's length. */
void tailbuf_append(struct tailbuf *tb, const char *data, size_t n);

/* tailbuf_render writes the kept text into OUT (at most OUTLEN-1 bytes plus NUL): the whole
 * stream when it fit, else its head, a line "[... N bytes elided ...]" and its tail, cut to
 * OUTLEN by eliding more of the middle. Returns the length written. Pure. */
size_t tailbuf_render(const struct tailbuf *tb, char *out, size_t outlen);

#endif
