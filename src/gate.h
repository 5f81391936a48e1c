/* The one outcome of the gates before the command (the VIP, the local lock, the cluster):
 * go on, or end the run here with a state, the signal that ended a wait, and a reason. */
#ifndef CRONGUARD_GATE_H
#define CRONGUARD_GATE_H

#include "record.h"

enum gate_verdict {
	GATE_GO,                  /* passed: on to the next step */
	GATE_END,                 /* the run ends here, with STATE */
};

/* Each gate fills one, writing its own reason; only cronguard.c turns it into an exit
 * status. A GATE_GO with a reason is a warning the run keeps (--etcd-fail-open). */
struct gate_result {
	enum gate_verdict verdict;
	enum run_state state;     /* GATE_END: a skipped_* state, or RUN_ERROR */
	int signal;               /* a stop signal that ended the gate's wait (RUN_ERROR), or 0 */
	char reason[512];         /* why it ended, or the warning; "" when there is none */
};

#endif
