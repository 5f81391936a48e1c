/* libFuzzer target for the output keeper: any stream, any render size, never an overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/tailbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tailbuf tb;
	size_t outlen, n;
	char *out;

	if (size < 2)
		return 0;
	memset(&tb, 0, sizeof tb);
	outlen = ((size_t)data[0] << 8 | data[1]) % 20000;
	/* Append in chunks, repeated so the ring wraps. */
	for (int round = 0; round < 4; round++)
		for (size_t off = 2; off < size; off += 97)
			tailbuf_append(&tb, (const char *)data + off, size - off < 97 ? size - off : 97);
	out = malloc(outlen ? outlen : 1);
	n = tailbuf_render(&tb, out, outlen);
	if (outlen && (n >= outlen || out[n] != '\0'))
		__builtin_trap();
	free(out);
	return 0;
}
