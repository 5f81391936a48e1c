/* Splay: a delay that is a pure function of (host, job, seed), so a fleet spreads evenly. */
#include "config.h"

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
