/* A bounded keeper of a stream's head and tail, for reports of long outputs. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tailbuf.h"

void tailbuf_append(struct tailbuf *tb, const char *data, size_t n)
{
	tb->total += n;
	if (tb->head_len < TAILBUF_HEAD) {
		size_t k = TAILBUF_HEAD - tb->head_len;
		if (k > n)
			k = n;
		memcpy(tb->head + tb->head_len, data, k);
		tb->head_len += k;
		data += k;
		n -= k;
	}
	if (n >= TAILBUF_TAIL) {
		/* Only the last TAILBUF_TAIL bytes can survive: copy just those. */
		data += n - TAILBUF_TAIL;
		n = TAILBUF_TAIL;
	}
	while (n > 0) {
		size_t k = TAILBUF_TAIL - tb->tail_pos;
		if (k > n)
			k = n;
		memcpy(tb->tail + tb->tail_pos, data, k);
		tb->tail_pos = (tb->tail_pos + k) % TAILBUF_TAIL;
		data += k;
		n -= k;
	}
}

/* Copies the last WANT bytes of the ring (in stream order) to OUT. */
static void ring_copy_last(const struct tailbuf *tb, size_t kept, size_t want, char *out)
{
	size_t start = (tb->tail_pos + TAILBUF_TAIL - want) % TAILBUF_TAIL;
	size_t first = TAILBUF_TAIL - start;

	(void)kept;
	if (first > want)
		first = want;
	memcpy(out, tb->tail + start, first);
	memcpy(out + first, tb->tail, want - first);
}

size_t tailbuf_render(const struct tailbuf *tb, char *out, size_t outlen)
{
	uint64_t past_head = tb->total - tb->head_len;
	size_t kept = past_head < TAILBUF_TAIL ? (size_t)past_head : TAILBUF_TAIL;
	size_t room, head, tail;
	char mark[64];
	int marklen;

	if (outlen == 0)
		return 0;
	room = outlen - 1;
	if (tb->head_len + kept <= room && past_head == kept) {
		/* Everything was kept and fits: no elision. */
		memcpy(out, tb->head, tb->head_len);
		ring_copy_last(tb, kept, kept, out + tb->head_len);
		out[tb->head_len + kept] = '\0';
		return tb->head_len + kept;
	}
	/* Keep a quarter of the room for the head and the rest for the tail, which usually
	 * holds the error; never more than was kept of either. */
	marklen = snprintf(mark, sizeof mark, "\n[... %llu bytes elided ...]\n", 0ULL);
	if ((size_t)marklen + 40 > room) {
		/* Too small for a marker: just the very end. */
		tail = kept < room ? kept : room;
		head = tail < room ? (room - tail < tb->head_len ? room - tail : tb->head_len) : 0;
		memcpy(out, tb->head, head);
		ring_copy_last(tb, kept, tail, out + head);
		out[head + tail] = '\0';
		return head + tail;
	}
	room -= (size_t)marklen + 20; /* the marker's number may be up to 20 digits longer */
	head = room / 4 < tb->head_len ? room / 4 : tb->head_len;
	tail = room - head < kept ? room - head : kept;
	if (head + tail < room && head < tb->head_len)
		head = room - tail < tb->head_len ? room - tail : tb->head_len;
	marklen = snprintf(mark, sizeof mark, "\n[... %llu bytes elided ...]\n",
			   (unsigned long long)(tb->total - head - tail));
	memcpy(out, tb->head, head);
	memcpy(out + head, mark, (size_t)marklen);
	ring_copy_last(tb, kept, tail, out + head + (size_t)marklen);
	out[head + (size_t)marklen + tail] = '\0';
	return head + (size_t)marklen + tail;
}
