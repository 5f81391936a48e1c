/* Diagnostics: the one place cronguard writes to stderr, always prefixed "cronguard:". */
#ifndef CRONGUARD_DIAG_H
#define CRONGUARD_DIAG_H

/* diag_error prints one line "cronguard: ..." on stderr. */
void diag_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* diag_verbose prints like diag_error, but only after diag_set_verbose(1). */
void diag_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_set_verbose(int on);

#endif
