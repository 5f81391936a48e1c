/* The ping sink: the healthchecks.io protocol, URL/start?rid=ID before the run and URL/EXIT?rid=ID after. */
#ifndef CRONGUARD_SINK_PING_H
#define CRONGUARD_SINK_PING_H

#include <stddef.h>
#include <stdio.h>

#include "http.h"
#include "record.h"

/* The healthchecks.io client rules: retry timeouts, 408, 429 and 5xx only; a 400 (a bad
 * rid, a bad key) is permanent. A ping is never spooled: it says "now". */
extern const struct http_rules ping_rules;

/* The body size sent when the server has not said its limit (hosted healthchecks.io's). */
#define PING_BODY_DEFAULT_LIMIT 100000

/* ping_due tells whether the alerting sinks (ping, webhook) hear of REC: never of a skip,
 * and of a failure only from the FAIL_AFTER-th in a row. Below that a failure sends nothing
 * at all, so the check stays in the state its last report left it in. Pure. */
int ping_due(const struct run_record *rec, unsigned fail_after);

/* ping_url writes BASE/WHAT?rid=RUN_ID to OUT, keeping BASE's own query (?create=1) and
 * dropping a trailing slash of its path. WHAT is "start", an exit code or "fail". Pure. */
int ping_url(FILE *out, const char *base, const char *what, const char *run_id);

/* ping_final_what names REC's final ping in BUF: "0" for a success whatever the exit code
 * (--success-exit), the exit code 1-255 of a failure, else "fail". Pure. */
const char *ping_final_what(const struct run_record *rec, char buf[8]);

/* ping_body writes TEXT (LEN bytes) to OUT, at most LIMIT bytes: servers keep only the
 * first bytes of a body, so a longer text keeps its first quarter and its end around a line
 * "[... N bytes elided ...]". Pure. */
void ping_body(FILE *out, const char *text, size_t len, size_t limit);

#endif
