/* libFuzzer target for shword_split and the crontab schedule: any text splits into at most
 * strlen + 1 words inside the buffer, and any five fields parse or name the field cron rejects. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cronsched.h"
#include "../../src/shword.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *buf = malloc(2 * size + 2);
	struct shword *w = malloc((size + 2) * sizeof *w);
	const char *f[5] = { "", "", "", "", "" }, *what = NULL;
	size_t n[5] = { 0 }, nw, k = 0, i = 0;
	struct cronsched s;
	struct cronsched_times t;
	int rc;

	if (!text || !buf || !w)
		goto out;
	memcpy(text, data, size);
	text[size] = '\0';
	nw = shword_split(text, w, buf);
	if (nw > strlen(text) + 1)
		__builtin_trap();
	/* Every word (a redirection's target too) inside the buffer, starting inside the text,
	 * in order; an operator is a short string. */
	for (size_t j = 0; j < nw; j++)
		if (w[j].s < buf || w[j].s >= buf + 2 * size + 2 || w[j].start >= strlen(text) ||
		    (j > 0 && w[j].start <= w[j - 1].start) || strlen(w[j].op) >= sizeof w[j].op ||
		    (w[j].sep && w[j].redir))
			__builtin_trap();
	/* The same text as five blank-separated fields. */
	while (k < 5 && text[i]) {
		while (text[i] == ' ')
			i++;
		f[k] = text + i;
		while (text[i] && text[i] != ' ')
			i++;
		n[k] = (size_t)(text + i - f[k]);
		k++;
	}
	rc = cronsched_parse(f, n, &s, &what);
	if (rc >= 5 || (rc >= 0 && !what))
		__builtin_trap();
	if (rc < 0) {
		cronsched_expand(&s, &t);
		if (cronsched_period_ms(&t) == 0)
			__builtin_trap();
	}
out:
	free(text);
	free(buf);
	free(w);
	return 0;
}
