/* The active-node gate: is one of the configured service VIPs assigned to this host, by the kernel's word? */
#ifndef CRONGUARD_VIP_H
#define CRONGUARD_VIP_H

#include <stddef.h>
#include <stdio.h>

#include "gate.h"

struct vip_addr {
	int family;              /* AF_INET or AF_INET6 */
	unsigned char addr[16];  /* network byte order; 4 bytes used for AF_INET */
};

struct vip_match {
	int held;                /* 1: one of the VIPs is usable here; 0: none is */
	struct vip_addr addr;    /* the VIP that matched (valid when held) */
	unsigned ifindex;        /* its interface (valid when held) */
	char ifname[16];         /* its interface as the dump labelled it (IPv4 only: IFA_LABEL,
				  * maybe an alias such as eth0:1), or ""; see vip_match_ifname */
};

/* What vip_scan looks for, and which replies it accepts. */
struct vip_query {
	const struct vip_addr *vips;
	size_t n;
	unsigned ifindex;        /* 0: any interface */
	unsigned seq;            /* sequence number of our request; 0 disables the check */
	unsigned portid;         /* our netlink port id; 0 disables the check */
};

/*
 * Parses "10.0.0.50", "10.0.0.50/32", "fd00::5" or "fd00::5/128" into *out.
 * The prefix is validated (0-32, 0-128) and ignored: a VIP is matched as a host address.
 * Returns 0, or -1 with errno EINVAL for anything else (empty, junk, scope ids, bad prefix).
 */
int vip_parse(const char *text, struct vip_addr *out);

/*
 * Writes *a as text into buf (inet_ntop). Returns buf, or NULL with errno
 * (EAFNOSUPPORT for an unknown family, ENOSPC when len is too small).
 */
const char *vip_format(const struct vip_addr *a, char *buf, size_t len);

/*
 * Asks the kernel, in one RTM_GETADDR dump, whether any of vips[0..n) is assigned here
 * (only on interface dev, unless dev is NULL). Tentative and DAD-failed IPv6 addresses
 * do not count; deprecated ones do; a point-to-point peer address is not ours.
 * Needs no privilege. Returns 0 with *m filled (m->held 1 or 0), or -1 with errno and
 * m->held == 0: EINVAL bad arguments, ENODEV dev does not exist, EAGAIN the dump was
 * interrupted by address changes on every attempt, EBADMSG/EPROTO/ESRCH a malformed or
 * foreign reply, ENOSPC a truncated read, or the socket's or the kernel's own errno.
 * A failure never reads as held.
 */
int vip_check(const struct vip_addr *vips, size_t n, const char *dev, struct vip_match *m);

/* The name of the interface a held VIP is on, for messages: the kernel's name for
 * m->ifindex (if_indextoname), else the dump's label, else "". Asked only where a message
 * shows it: it costs a socket of its own. */
const char *vip_match_ifname(struct vip_match *m);

/*
 * Scans one buffer received in reply to an RTM_GETADDR dump; pure, for tests and fuzzing.
 * buf must be 4-byte aligned, as a receive buffer is. Clear *m before the first buffer of
 * a dump; the first matching address is kept across buffers.
 * Returns 1 when the dump is complete (NLMSG_DONE), 0 when more buffers are to come, or
 * -1 with errno and m->held cleared: EBADMSG malformed or truncated message or attribute,
 * EPROTO wrong sequence number, ESRCH wrong port id, EINTR dump interrupted
 * (NLM_F_DUMP_INTR: redo it), or the error the kernel reported in NLMSG_ERROR/NLMSG_DONE.
 */
int vip_scan(const void *buf, size_t len, const struct vip_query *q, struct vip_match *m);

/*
 * --vip-watch. vip_watch_open returns a non-blocking, close-on-exec netlink socket
 * subscribed to IPv4 and IPv6 address changes, or -1 with errno. Open it before the
 * initial vip_check so that no change between the check and the subscription is missed.
 * When the fd polls readable, vip_watch_ready drains it and checks again: returns 0 with
 * *still_held set, or -1 with errno and *still_held == 0 (a failure never reads as held).
 */
int vip_watch_open(void);
int vip_watch_ready(int fd, const struct vip_addr *vips, size_t n, const char *dev,
		    int *still_held);

/* The gate (--vip, --vip-dev, --standby, --vip-watch): what it uses, and nothing more. */
struct vip_gate {
	const struct vip_addr *addrs;
	char *const *names;       /* the addresses as given, for messages */
	size_t n;                 /* 0: no gate */
	const char *dev;          /* NULL: any interface */
	int standby;
	int watch;
};

/* vip_gate_enter asks the kernel once: GATE_GO where one of the VIPs is held (with
 * G->standby, where none is), else GATE_END with skipped_standby, or error when the kernel
 * could not answer (never read as held). With G->watch, *WATCH_FD gets a vip_watch_open
 * socket, opened before the check so that no failover between the two is missed; else -1. */
void vip_gate_enter(const struct vip_gate *g, int *watch_fd, struct gate_result *r);

/* vip_gate_describe prints, for --dry-run, vip= lines and what the kernel says (vip_held=,
 * vip_addr=, vip_dev=, vip_mode=, vip_run=). Returns 0, or -1 with a diag_error line when
 * the kernel could not answer: a dry run fails where the real one would. */
int vip_gate_describe(const struct vip_gate *g, FILE *out);

#endif
