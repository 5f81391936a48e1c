/* The unit suites, one per module, gathered by runner.c. */
#ifndef CRONGUARD_TEST_SUITES_H
#define CRONGUARD_TEST_SUITES_H

#include <check.h>

Suite *duration_suite(void);
Suite *conf_suite(void);
Suite *options_suite(void);
Suite *splay_suite(void);
Suite *lock_suite(void);
Suite *safedir_suite(void);
Suite *preflight_suite(void);
Suite *run_suite(void);
Suite *tailbuf_suite(void);
Suite *record_suite(void);
Suite *state_suite(void);
Suite *status_suite(void);
Suite *vip_suite(void);
Suite *report_suite(void);
Suite *spool_suite(void);
Suite *lint_suite(void);
Suite *cronsched_suite(void);
Suite *shword_suite(void);
Suite *etcd_suite(void);
Suite *clock_suite(void);
Suite *fileio_suite(void);
Suite *gate_suite(void);

#endif
