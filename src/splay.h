/* Splay: a delay that is a pure function of (host, job, seed), so a fleet spreads evenly. */
#ifndef CRONGUARD_SPLAY_H
#define CRONGUARD_SPLAY_H

#include <stdint.h>

/* splay_hash is the documented hash (cronguard(1), SPLAY): FNV-1a 64 over
 * HOST NUL JOB NUL SEED, then the SplitMix64 finalizer, so that neighbouring inputs
 * (app001, app002...) land far apart. */
uint64_t splay_hash(const char *host, const char *job, const char *seed);

/* splay_delay_ms maps the hash onto [0, SPLAY_MS) with a 128-bit multiply (no modulo bias
 * worth the name). 0 when SPLAY_MS is 0. */
uint64_t splay_delay_ms(const char *host, const char *job, const char *seed, uint64_t splay_ms);

/* splay_random_ms draws a fresh delay in [0, SPLAY_MS) from getrandom(2). */
uint64_t splay_random_ms(uint64_t splay_ms);

#endif
