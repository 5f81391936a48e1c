/* Diagnostics: the one place cronguard writes to stderr, always prefixed "cronguard:". */
#ifndef CRONGUARD_DIAG_H
#define CRONGUARD_DIAG_H

/* diag_error prints one line "cronguard: ..." on stderr. */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag_verbose prints like diag_error, but only after diag_set_verbose(1). */
void diag_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_set_verbose(int on);

/* diag_syslog_error also logs MSG (one diag line, e.g. a configuration error) at facility cron,
 * level err, naming JOB when it is known (not NULL): with MAILTO="" or no mail at all, cron's
 * mail is not where anyone would see that no job on the host can run. */
void diag_syslog_error(const char *job, const char *msg);

#endif
