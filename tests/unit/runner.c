/* Runs every unit suite; the exit status is non-zero when any test failed. */
#include "config.h"

#include <stdlib.h>

#include "suites.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
		duration_suite, conf_suite, options_suite, splay_suite, lock_suite,
		safedir_suite, preflight_suite, run_suite, tailbuf_suite, record_suite, state_suite, status_suite, vip_suite,
		report_suite, spool_suite, lint_suite,
		cronsched_suite, shword_suite,
		etcd_suite, clock_suite, fileio_suite, gate_suite,
	};
	SRunner *sr = srunner_create(NULL);
	int failed;

	for (size_t i = 0; i < sizeof suites / sizeof *suites; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
