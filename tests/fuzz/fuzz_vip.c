/* libFuzzer target for vip_scan: any received buffer is an error, "more", or a sound answer, and never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "../../src/vip.h"

/* The seeds in corpus/vip/ carry this sequence number and port id and put their addresses
 * on interface 2, so that the checked paths are reachable as well as the unchecked ones. */
#define SEED_SEQ 4242u
#define SEED_PORTID 777u
#define SEED_IFINDEX 2u

static void check_invariants(int ret, const struct vip_match *m, const struct vip_addr *vips,
			     size_t n, unsigned ifindex)
{
	size_t i;

	if (ret < -1 || ret > 1)
		__builtin_trap();
	/* A failure must never read as held. */
	if (ret == -1 && m->held)
		__builtin_trap();
	if (!m->held)
		return;
	if (memchr(m->ifname, '\0', sizeof(m->ifname)) == NULL)
		__builtin_trap();
	if (ifindex != 0 && m->ifindex != ifindex)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (memcmp(&m->addr, &vips[i], sizeof(vips[i])) == 0)
			return;
	__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 10.0.0.50 and fd00::5, written out so that the target does not depend on vip_parse. */
	static const struct vip_addr vips[2] = {
		{ AF_INET, { 10, 0, 0, 50 } },
		{ AF_INET6, { 0xfd, 0x00, [15] = 0x05 } },
	};
	const struct vip_query open_q = { vips, 2, 0, 0, 0 };
	const struct vip_query checked_q = { vips, 2, SEED_IFINDEX, SEED_SEQ, SEED_PORTID };
	struct vip_match m;
	int ret;

	/* libFuzzer hands over a fresh heap copy, aligned as a receive buffer is. */
	memset(&m, 0, sizeof(m));
	ret = vip_scan(data, size, &open_q, &m);
	check_invariants(ret, &m, vips, 2, 0);

	memset(&m, 0, sizeof(m));
	ret = vip_scan(data, size, &checked_q, &m);
	check_invariants(ret, &m, vips, 2, SEED_IFINDEX);
	return 0;
}
