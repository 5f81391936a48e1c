/* libFuzzer target for options_load: any argument vector loads or fails with one line, and
 * what loads obeys the contract's rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char conf[] = "/tmp/cg-fuzz-options.XXXXXX";
	int fd = mkstemp(conf);

	(void)argc;
	(void)argv;
	/* An empty config of our own, so the machine's /etc/cronguard.conf plays no part. */
	if (fd >= 0)
		close(fd);
	setenv("CRONGUARD_CONFIG", conf, 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	char *argv[33], err[512];
	struct options o;
	int argc = 1;

	if (size >= sizeof buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"cronguard";
	/* NUL-separated arguments, as the kernel hands them over. */
	for (size_t i = 0; i <= size && argc < 32;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	argv[argc] = NULL;
	if (options_load(&o, argc, argv, err, sizeof err) == 0) {
		if (o.action == ACTION_RUN && (o.argc < 1 || !options_valid_name(o.name)))
			__builtin_trap();
		if (o.action == ACTION_RUN && o.vips.n && !o.vip_addrs)
			__builtin_trap();
	} else if (err[0] == '\0' || strchr(err, '\n')) {
		__builtin_trap();
	}
	options_free(&o);
	return 0;
}
