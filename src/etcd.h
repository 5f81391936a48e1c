/* The cluster gate: a cluster-wide lock and once-per-period claims, kept in etcd. */
#ifndef CRONGUARD_ETCD_H
#define CRONGUARD_ETCD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gate.h"
#include "run.h"

struct etcd_gate;

/* What the cluster gate uses, and nothing more. */
struct etcd_spec {
	char *const *endpoints;    /* scheme://host:port, tried in turn */
	size_t nendpoints;
	const char *prefix;        /* key prefix, as given (default "/cronguard/") */
	uint64_t ttl_ms;           /* the lock's lease */
	const char *ca_file, *cert, *key;   /* TLS files, or NULL */
	const char *user;          /* NULL: no authentication */
	const char *password_file;
	int fail_open;             /* run anyway when no endpoint answers */
	const char *job, *host;
	int cluster_lock;
	uint64_t once_per_ms;      /* 0: no claim */
	uint64_t lock_wait_ms;     /* how long the cluster lock is waited for */
	uint64_t splay_ms;         /* with the lock wait, how late a host of the same period can be */
};

/* etcd_gate_enter takes the cluster lock (with SPEC->cluster_lock: a lease of SPEC->ttl_ms
 * and the key PREFIX/lock/JOB, waiting up to SPEC->lock_wait_ms, a signal from STOP ending
 * the wait), then claims this period's slot (with SPEC->once_per_ms: PREFIX/once/JOB/SLOT,
 * SLOT from INVOKED_US, the realtime of the invocation before the splay, in microseconds).
 * Takes at most about 10 s plus the lock wait. R says how it went: GATE_GO, or GATE_END with
 * skipped_locked (the lock is held elsewhere; the reason names the holder), skipped_claimed
 * (the slot is claimed), or error (a signal ended a wait, no endpoint answered, etcd refused
 * us, or cronguard itself failed). With SPEC->fail_open, no endpoint answering is a GATE_GO
 * whose reason is the warning. On GATE_GO, *GATE holds what was taken (NULL when nothing was
 * asked): pass it to etcd_gate_watch and etcd_gate_leave (SPEC must stay valid until then).
 * Otherwise *GATE is NULL and nothing is held. */
void etcd_gate_enter(const struct etcd_spec *spec, const char *run_id, int64_t invoked_us,
		     const sigset_t *stop, struct etcd_gate **gate, struct gate_result *r);

/* etcd_gate_watch starts the lease's keeper, a thread that renews it every TTL/3 (and again
 * every 250 ms while a renewal fails), and fills W so that run_command stops the command with
 * "lost the cluster lock (etcd lease ...)" when etcd says the lease is gone, or when it was
 * not renewed for so long that the command's TERM must go out to be KILLed (KILL_WITHIN)
 * before the lease can expire. The watch's check reads the clock and never waits for etcd,
 * so no request holds up run_command's loop. Without a lease (no --cluster-lock, or GATE
 * NULL), W's fd is -1 and its interval 0: nothing to watch. Returns 0, or -1 with errno when
 * the thread could not be started: the command must not run. etcd_gate_leave stops it. */
int etcd_gate_watch(struct etcd_gate *gate, struct run_watch *w);

/* etcd_gate_revision returns the etcd revision at which the cluster lock (else the
 * --once-per claim) was created, the job's fencing token: it grows with every new holder.
 * 0 when not known (GATE NULL, or no such key taken). */
int64_t etcd_gate_revision(const struct etcd_gate *gate);

/* etcd_gate_leave releases the lock (revoking its lease deletes the key), best effort,
 * with a diag_error line when that fails, and frees GATE. NULL is fine. */
void etcd_gate_leave(struct etcd_gate *gate);

/* etcd_gate_describe prints, for --dry-run, etcd_endpoints=, etcd_lock_key=,
 * etcd_lock_holder=, etcd_once_key= and etcd_once_holder= lines (keys "none" when not
 * used, holders a host, "none", "unknown" when the value is not cronguard's, or "error"),
 * with read-only requests. Returns 0, or -1 (with a diag_error line) when etcd could not be
 * read and the real run would have failed. */
int etcd_gate_describe(const struct etcd_spec *spec, int64_t invoked_us, FILE *out);

#endif
