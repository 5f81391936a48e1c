/* Preflight: every file a run will need, checked before the splay, and what the spool may send. */
#ifndef CRONGUARD_PREFLIGHT_H
#define CRONGUARD_PREFLIGHT_H

#include <stddef.h>

#include "options.h"

/* preflight_check checks, before anything sleeps, what the run would otherwise find missing
 * only after the splay or not at all: every secret file given (etcd and influx passwords,
 * the influx token) opens, is a regular file and holds a usable secret; every CA,
 * certificate and key file given opens and is a regular file; the state directory, when it
 * exists, is one no other user can have made or can change. A secret or key file every
 * user can read is one warning line on stderr, and the run goes on. Returns 0; 1 when the
 * state directory is refused (said on stderr: the run goes on without its local record);
 * -1 with one line in ERR for a missing or unusable file (the run must not start). */
int preflight_check(const struct options *opts, char *err, size_t errlen);

#endif
