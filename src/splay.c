/* Splay: a delay that is a pure function of (host, job, seed), so a fleet spreads evenly. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "splay.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* FNV-1a alone leaves sequential names clustered in the high bits that the mapping uses;
 * SplitMix64's finalizer makes every input bit reach every output bit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t splay_hash(const char *host, const char *job, const char *seed)
{
	uint64_t h = FNV_OFFSET;

	/* The NUL separators keep ("ab","c") and ("a","bc") apart. */
	h = fnv1a(h, host, strlen(host) + 1);
	h = fnv1a(h, job, strlen(job) + 1);
	h = fnv1a(h, seed ? seed : "", seed ? strlen(seed) : 0);
	return mix64(h);
}

static uint64_t scale(uint64_t h, uint64_t range)
{
	return (uint64_t)(((unsigned __int128)h * range) >> 64);
}

uint64_t splay_delay_ms(const char *host, const char *job, const char *seed, uint64_t splay_ms)
{
	if (splay_ms == 0)
		return 0;
	return scale(splay_hash(host, job, seed), splay_ms);
}

static int parse_count(const char *s, size_t len, unsigned *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 7)
		return -1;
	for (size_t k = 0; k < len; k++) {
		if (s[k] < '0' || s[k] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[k] - '0');
	}
	*out = (unsigned)v;
	return 0;
}

int splay_slot_parse(const char *s, unsigned *i, unsigned *n)
{
	const char *slash = strchr(s, '/');

	if (!slash || parse_count(s, (size_t)(slash - s), i) < 0 ||
	    parse_count(slash + 1, strlen(slash + 1), n) < 0 || *n == 0 || *n > SPLAY_SLOTS_MAX ||
	    *i >= *n) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

uint64_t splay_slot_ms(unsigned i, unsigned n, const char *job, const char *seed, uint64_t splay_ms)
{
	/* (I + h) / N * SPLAY as (I * 2^64 + H) * SPLAY / (N * 2^64): exact in 128 bits, since
	 * I < N <= 10^6 and SPLAY < 2^64 keep the product below 2^128. Over an empty host, so
	 * that h is the fleet's, not the host's. */
	unsigned __int128 pos = ((unsigned __int128)i << 64) | splay_hash("", job, seed);

	if (splay_ms == 0 || n == 0 || i >= n)
		return 0;
	return (uint64_t)((pos / n * splay_ms) >> 64);
}

uint64_t splay_random_ms(uint64_t splay_ms)
{
	uint64_t r;

	if (splay_ms == 0)
		return 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
		/* Early boot without entropy: a splay needs spread, not secrecy. */
		r = mix64((uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32));
	}
	return scale(r, splay_ms);
}
