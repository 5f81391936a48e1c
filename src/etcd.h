/* The cluster gate: a cluster-wide lock and once-per-period claims, kept in etcd. */
#ifndef CRONGUARD_ETCD_H
#define CRONGUARD_ETCD_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "run.h"

struct etcd_gate;

enum etcd_outcome {
	ETCD_GO,                   /* everything asked for is held: run */
	ETCD_BUSY,                 /* the cluster lock is held elsewhere (REASON names the holder) */
	ETCD_CLAIMED,              /* this period's slot is claimed (REASON names the holder) */
	ETCD_INTERRUPTED,          /* a signal from STOP ended the lock wait (*SIGNO) */
	ETCD_UNREACHABLE,          /* no endpoint answered in time (REASON says why): an error,
				    * or with --etcd-fail-open a run with REASON as its warning */
};

/* etcd_gate_enter takes the cluster lock (with O->cluster_lock: a lease of O->etcd_ttl_ms
 * and the key PREFIX/lock/NAME, waiting up to O->lock_wait_ms, a signal from STOP ending the
 * wait), then claims this period's slot (with O->once_per_ms: PREFIX/once/NAME/SLOT, SLOT
 * from INVOKED_US, the realtime of the invocation before the splay, in microseconds). Takes
 * at most about 10 s plus the lock wait. On ETCD_GO, and on ETCD_UNREACHABLE with
 * O->etcd_fail_open, *GATE holds what was taken: pass it to etcd_gate_watch and
 * etcd_gate_leave (O must stay valid until then). Otherwise *GATE is NULL and nothing is
 * held. REASON gets the holder, or why etcd could not be used. Returns the outcome, or -1
 * with errno and REASON when etcd refused us (authentication, permission) or cronguard
 * itself failed; --etcd-fail-open does not cover that. */
int etcd_gate_enter(const struct options *o, const char *run_id, int64_t invoked_us,
		    const sigset_t *stop, struct etcd_gate **gate, int *signo, char *reason,
		    size_t len);

/* etcd_gate_watch fills W (fd -1) so that run_command keeps the lock's lease alive every
 * TTL/3, and stops the command with "lost the cluster lock (etcd lease ...)" once its
 * keepalives have failed for so long that the lease may have expired. Without a lease
 * (no --cluster-lock, or GATE NULL), W's interval is 0: it never fires. */
void etcd_gate_watch(struct etcd_gate *gate, struct run_watch *w);

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
int etcd_gate_describe(const struct options *o, int64_t invoked_us, FILE *out);

#endif
