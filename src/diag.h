/* Diagnostics: the one place cronguard writes to stderr, always prefixed "cronguard:". */
#ifndef CRONGUARD_DIAG_H
#define CRONGUARD_DIAG_H

#include <stddef.h>

/* diag_error prints one line "cronguard: ..." on stderr. */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag_verbose prints like diag_error, but only after diag_set_verbose(1). */
void diag_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_set_verbose(int on);

/* diag_log sends one line to syslog (facility cron, unless diag_set_syslog(0)) and prints it
 * on stderr only when verbose: for what an operator may look up but cron must not mail (a
 * monitoring outage would mail every job on every run). */
void diag_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag_alert prints one line on stderr and sends it to syslog: for what someone must know
 * once (a record dropped or set aside). */
void diag_alert(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_set_syslog(int on);

/* diag_syslog_error also logs MSG (one diag line, e.g. a configuration error) at facility cron,
 * level err, naming JOB when it is known (not NULL): with MAILTO="" or no mail at all, cron's
 * mail is not where anyone would see that no job on the host can run. */
void diag_syslog_error(const char *job, const char *msg);

/* diag_fail fills ERR (ERRLEN bytes) with one message from FMT and returns -1 with errno E:
 * how a module that may not print says why it failed. */
int diag_fail(char *err, size_t errlen, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
