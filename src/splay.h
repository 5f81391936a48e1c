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

/* splay_slot_parse reads --splay-slot's "I/N": decimal, no sign or spaces, 0 <= I < N <=
 * SPLAY_SLOTS_MAX. Returns 0, or -1 with errno EINVAL. Pure. */
#define SPLAY_SLOTS_MAX 1000000u
int splay_slot_parse(const char *s, unsigned *i, unsigned *n);

/* splay_slot_ms is host I of N's delay: (I + h) / N * SPLAY_MS, with h in [0,1) from
 * splay_hash over an empty host name, JOB and SEED. h is the same on every host, so the
 * fleet's N starts are exactly SPLAY_MS / N apart, and each job's fleet is shifted by its
 * own h. Pure. 0 when SPLAY_MS is 0. */
uint64_t splay_slot_ms(unsigned i, unsigned n, const char *job, const char *seed, uint64_t splay_ms);

/* splay_random_ms draws a fresh delay in [0, SPLAY_MS) from getrandom(2). */
uint64_t splay_random_ms(uint64_t splay_ms);

#endif
