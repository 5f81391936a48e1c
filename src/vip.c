/* Answers "is one of the VIPs assigned here?" from one RTM_GETADDR netlink dump, and watches for changes. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "diag.h"
#include "vip.h"

/* libmnl 1.0.5 names the size the kernel uses for dump replies; 1.0.4 does not, so we say it. */
#ifdef MNL_SOCKET_DUMP_SIZE
#define VIP_BUF_SIZE MNL_SOCKET_DUMP_SIZE
#else
#define VIP_BUF_SIZE 32768
#endif

/* An interrupted dump is redone, but a host whose addresses keep changing under us is not
 * one we can call active, so the number of attempts is bounded. */
#define VIP_DUMP_TRIES 8

/* The kernel answers a dump at once; the bound only keeps a wedged socket from hanging cron. */
#define VIP_RECV_TIMEOUT_S 5

/* A notification burst is drained in bounded steps so that a misbehaving fd cannot spin us. */
#define VIP_DRAIN_MAX 1024

struct scan {
	const struct vip_query *q;
	struct vip_match *m;
};

static size_t addr_len(int family)
{
	if (family == AF_INET)
		return 4;
	if (family == AF_INET6)
		return 16;
	return 0;
}

/* Digits only, as ip(8) prints them: no sign, no blanks, no hex, at most three. */
static int parse_prefix(const char *s, unsigned max)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i == 3 || s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return i == 0 || v > max ? -1 : 0;
}

int vip_parse(const char *text, struct vip_addr *out)
{
	char host[INET6_ADDRSTRLEN];
	struct vip_addr a;
	const char *slash;
	size_t hostlen;
	unsigned max;

	if (text == NULL || out == NULL)
		goto invalid;
	slash = strchr(text, '/');
	hostlen = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (hostlen == 0 || hostlen >= sizeof(host))
		goto invalid;
	memcpy(host, text, hostlen);
	host[hostlen] = '\0';

	/* inet_pton is strict (no "10.1", no blanks, no "%scope"), which is what a VIP needs. */
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, host, a.addr) == 1) {
		a.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, a.addr) == 1) {
		a.family = AF_INET6;
		max = 128;
	} else {
		goto invalid;
	}
	if (slash != NULL && parse_prefix(slash + 1, max) < 0)
		goto invalid;
	*out = a;
	return 0;
invalid:
	errno = EINVAL;
	return -1;
}

const char *vip_format(const struct vip_addr *a, char *buf, size_t len)
{
	if (a == NULL || buf == NULL) {
		errno = EINVAL;
		return NULL;
	}
	if (len > INT_MAX)
		len = INT_MAX;
	return inet_ntop(a->family, a->addr, buf, (socklen_t)len);
}

/*
 * mnl_cb_run stops quietly at a message that overruns the buffer, so the framing is walked
 * first: a reply we cannot read whole must be an error, never a shorter answer. The walk is
 * our own because mnl_nlmsg_ok compares nlmsg_len as an int, and a length with the top bit
 * set would pass it and send mnl_nlmsg_next far outside the buffer.
 */
static int check_framing(const void *buf, size_t len)
{
	size_t off = 0;

	if (len > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)((const char *)buf + off);
		size_t msglen = nlh->nlmsg_len;

		if (msglen < sizeof(*nlh) || msglen > len - off) {
			errno = EBADMSG;
			return -1;
		}
		/* The last message's padding may be missing from the buffer: it is complete. */
		off = MNL_ALIGN(msglen) < len - off ? off + MNL_ALIGN(msglen) : len;
	}
	if (off != len) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

/* Kernel errors arrive negated (rtnetlink) or not (some families); anything absurd is EPROTO. */
static int kernel_errno(int32_t e)
{
	if (e < 0 && e >= -4095)
		return -e;
	if (e > 0 && e <= 4095)
		return e;
	return EPROTO;
}

static void remember(struct vip_match *m, const struct vip_addr *vip, unsigned ifindex,
		     const struct nlattr *label)
{
	const char *s;
	size_t plen;

	m->held = 1;
	m->addr = *vip;
	m->ifindex = ifindex;
	m->ifname[0] = '\0';
	/* IFA_LABEL (IPv4 only) names the interface without another syscall; vip_match_ifname
	 * still prefers if_indextoname, and a label that is not a proper C string is ignored. */
	if (label == NULL)
		return;
	s = mnl_attr_get_payload(label);
	plen = mnl_attr_get_payload_len(label);
	if (memchr(s, '\0', plen) != NULL && strlen(s) < sizeof(m->ifname))
		strcpy(m->ifname, s);
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct scan *s = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *attr, *local = NULL, *address = NULL, *label = NULL;
	const char *payload, *end;
	const unsigned char *mine;
	size_t alen, i;
	uint32_t flags;

	/* The kernel marks each message of a dump that raced with a change, and the caller
	 * redoes the dump. libmnl 1.0.4 checks this flag too; older releases did not. */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	ifa = mnl_nlmsg_get_payload(nlh);
	alen = addr_len(ifa->ifa_family);
	flags = ifa->ifa_flags;

	/* Attributes are bounded by nlmsg_len, not by its rounded-up tail: the tail of the
	 * last message may lie past the end of the buffer. */
	payload = (const char *)ifa + MNL_ALIGN(sizeof(*ifa));
	end = (const char *)nlh + nlh->nlmsg_len;
	for (attr = (const struct nlattr *)payload; mnl_attr_ok(attr, (int)(end - (const char *)attr));
	     attr = mnl_attr_next(attr)) {
		size_t plen = mnl_attr_get_payload_len(attr);

		/* An attribute of the wrong length for this family is ignored, not trusted. */
		switch (mnl_attr_get_type(attr)) {
		case IFA_LOCAL:
			if (alen != 0 && plen == alen)
				local = attr;
			break;
		case IFA_ADDRESS:
			if (alen != 0 && plen == alen)
				address = attr;
			break;
		case IFA_FLAGS:
			/* u32 IFA_FLAGS supersedes the u8 ifa_flags, which cannot hold every flag. */
			if (plen == sizeof(uint32_t))
				flags = mnl_attr_get_u32(attr);
			break;
		case IFA_LABEL:
			label = attr;
			break;
		default:
			break;
		}
	}
	/* mnl_attr_ok ends the walk quietly at a bad attribute; bytes left over mean one. */
	if (end - (const char *)attr > 0) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}

	if (alen == 0 || s->m->held)
		return MNL_CB_OK;
	if (s->q->ifindex != 0 && ifa->ifa_index != s->q->ifindex)
		return MNL_CB_OK;
	/* A tentative address is not ours yet and a DAD-failed one belongs to someone else.
	 * A deprecated one still answers: keepalived gives /128 VIPs preferred lifetime 0. */
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return MNL_CB_OK;
	/* On a point-to-point link IFA_ADDRESS is the peer's address: when IFA_LOCAL is
	 * present, only it is ours. */
	attr = local != NULL ? local : address;
	if (attr == NULL)
		return MNL_CB_OK;
	mine = mnl_attr_get_payload(attr);
	for (i = 0; i < s->q->n; i++) {
		const struct vip_addr *v = &s->q->vips[i];

		if (v->family == ifa->ifa_family && memcmp(v->addr, mine, alen) == 0) {
			remember(s->m, v, ifa->ifa_index, label);
			break;
		}
	}
	return MNL_CB_OK;
}

static int on_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err;

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	err = mnl_nlmsg_get_payload(nlh);
	/* An acknowledgement ends the exchange like NLMSG_DONE. */
	if (err->error == 0)
		return MNL_CB_STOP;
	errno = kernel_errno(err->error);
	return MNL_CB_ERROR;
}

static int on_done(const struct nlmsghdr *nlh, void *data)
{
	int32_t status;

	(void)data;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
		errno = EINTR;
		return MNL_CB_ERROR;
	}
	/* A dump that failed part-way says so in NLMSG_DONE's payload: what we read is partial. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(status)) {
		memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
		if (status < 0) {
			errno = kernel_errno(status);
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_STOP;
}

/* The kernel never sends it; if something does, messages were lost and the answer is void. */
static int on_overrun(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	errno = ENOBUFS;
	return MNL_CB_ERROR;
}

int vip_scan(const void *buf, size_t len, const struct vip_query *q, struct vip_match *m)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = on_noop,
		[NLMSG_ERROR] = on_error,
		[NLMSG_DONE] = on_done,
		[NLMSG_OVERRUN] = on_overrun,
	};
	struct scan s = { q, m };
	int ret, saved;

	if (m == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((buf == NULL && len != 0) || q == NULL || (q->vips == NULL && q->n != 0)) {
		errno = EINVAL;
		goto fail;
	}
	if (check_framing(buf, len) < 0)
		goto fail;
	/* mnl_cb_run2 checks sequence numbers (EPROTO) and port ids (ESRCH) for us. */
	ret = mnl_cb_run2(buf, len, q->seq, q->portid, on_addr, &s, ctl, NLMSG_MIN_TYPE);
	if (ret <= MNL_CB_ERROR)
		goto fail;
	return ret == MNL_CB_STOP ? 1 : 0;
fail:
	/* Whatever matched before the error came from a reply we cannot trust. */
	saved = errno;
	memset(m, 0, sizeof(*m));
	errno = saved;
	return -1;
}

/* One complete dump on a fresh socket, so that a redo never reads the tail of an old dump. */
/* The one family all the VIPs are of, so that the kernel dumps only its addresses; else
 * AF_UNSPEC, IPv4 and IPv6 in the same dump. */
static unsigned char dump_family(const struct vip_query *q)
{
	for (size_t i = 1; i < q->n; i++)
		if (q->vips[i].family != q->vips[0].family)
			return AF_UNSPEC;
	return (unsigned char)q->vips[0].family;
}

static int dump_once(struct vip_query *q, struct vip_match *m, unsigned attempt)
{
	/* On the heap (malloc's alignment suits netlink's headers), not the stack: 32 KiB of it
	 * would stay resident all run long under the calls made below it. */
	long *buf;
	struct timeval tv = { VIP_RECV_TIMEOUT_S, 0 };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	ssize_t got;
	int ret, saved;

	memset(m, 0, sizeof(*m));
	if (!(buf = malloc(VIP_BUF_SIZE)))
		return -1;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl == NULL) {
		free(buf);
		return -1;
	}
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto fail;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	q->portid = mnl_socket_get_portid(nl);
	/* Zero would switch libmnl's sequence check off. */
	q->seq = (unsigned)time(NULL) + attempt;
	if (q->seq == 0)
		q->seq = 1;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = q->seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = dump_family(q);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto fail;

	for (;;) {
		got = mnl_socket_recvfrom(nl, buf, VIP_BUF_SIZE);
		if (got < 0) {
			/* A signal is not an interrupted dump: read on. */
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			goto fail;
		}
		if (got == 0) {
			errno = EPROTO;    /* the reply ended without NLMSG_DONE */
			goto fail;
		}
		ret = vip_scan(buf, (size_t)got, q, m);
		if (ret < 0)
			goto fail;
		if (ret == 1)
			break;
	}
	mnl_socket_close(nl);
	free(buf);
	return 0;
fail:
	saved = errno;
	mnl_socket_close(nl);
	free(buf);
	memset(m, 0, sizeof(*m));
	errno = saved;
	return -1;
}

int vip_check(const struct vip_addr *vips, size_t n, const char *dev, struct vip_match *m)
{
	struct vip_query q = { vips, n, 0, 0, 0 };
	unsigned attempt;
	size_t i;

	if (m == NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(m, 0, sizeof(*m));
	if (vips == NULL || n == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (addr_len(vips[i].family) == 0) {
			errno = EINVAL;
			return -1;
		}
	}
	if (dev != NULL) {
		q.ifindex = if_nametoindex(dev);
		if (q.ifindex == 0) {
			/* Only running out of resources is not "no such interface". */
			if (errno != EMFILE && errno != ENFILE && errno != ENOMEM && errno != ENOBUFS)
				errno = ENODEV;
			return -1;
		}
	}
	for (attempt = 0; attempt < VIP_DUMP_TRIES; attempt++) {
		if (dump_once(&q, m, attempt) == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
	errno = EAGAIN;
	return -1;
}

/* A plain socket rather than libmnl's wrapper: the caller polls and owns a bare fd. */
const char *vip_match_ifname(struct vip_match *m)
{
	char name[IF_NAMESIZE];

	if (m->held && if_indextoname(m->ifindex, name) != NULL)
		memcpy(m->ifname, name, sizeof(m->ifname));
	return m->ifname;
}

int vip_watch_open(void)
{
	struct sockaddr_nl sa;
	int fd, saved;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int vip_watch_ready(int fd, const struct vip_addr *vips, size_t n, const char *dev,
		    int *still_held)
{
	char buf[4096];
	struct vip_match m;
	ssize_t got;
	int i;

	if (still_held == NULL) {
		errno = EINVAL;
		return -1;
	}
	*still_held = 0;
	/* The events are only a doorbell: a fresh dump is the answer, so their content is
	 * discarded, and an overrun (ENOBUFS: events were lost) changes nothing. */
	for (i = 0; i < VIP_DRAIN_MAX; i++) {
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got >= 0 || errno == EINTR || errno == ENOBUFS)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		return -1;
	}
	if (vip_check(vips, n, dev, &m) < 0)
		return -1;
	*still_held = m.held;
	return 0;
}

void vip_gate_enter(const struct vip_gate *g, int *watch_fd, struct gate_result *r)
{
	struct vip_match m;
	char addr[64] = "";

	*r = (struct gate_result){ .verdict = GATE_END, .state = RUN_ERROR };
	*watch_fd = -1;
	if (g->n == 0) {
		r->verdict = GATE_GO;
		return;
	}
	/* Subscribe before the check, so a failover between the two is not missed. */
	if (g->watch && (*watch_fd = vip_watch_open()) < 0) {
		snprintf(r->reason, sizeof r->reason, "--vip-watch: cannot watch addresses: %s",
			 strerror(errno));
		return;
	}
	if (vip_check(g->addrs, g->n, g->dev, &m) < 0) {
		/* Not knowing is never "active": a doubled backup is worse than a missed one. */
		if (errno == ENODEV)
			snprintf(r->reason, sizeof r->reason, "--vip-dev %s: no such interface", g->dev);
		else
			snprintf(r->reason, sizeof r->reason, "cannot read this host's addresses: %s",
				 strerror(errno));
		return;
	}
	if (m.held)
		vip_format(&m.addr, addr, sizeof addr);
	if (m.held && g->standby) {
		snprintf(r->reason, sizeof r->reason, "standby: VIP %s is held here on %s", addr,
			 vip_match_ifname(&m));
		r->state = RUN_SKIPPED_STANDBY;
		return;
	}
	if (!m.held && !g->standby) {
		snprintf(r->reason, sizeof r->reason, "not the active node: %s%s not held here%s%s",
			 g->names[0], g->n > 1 ? " (or another VIP)" : "", g->dev ? " on " : "",
			 g->dev ? g->dev : "");
		r->state = RUN_SKIPPED_STANDBY;
		return;
	}
	diag_verbose("active node: %s", m.held ? addr : "no VIP held (standby)");
	r->verdict = GATE_GO;
}

int vip_gate_describe(const struct vip_gate *g, FILE *out)
{
	struct vip_match m;
	char addr[64];

	if (g->n == 0) {
		fprintf(out, "vip=none\n");
		return 0;
	}
	for (size_t i = 0; i < g->n; i++)
		fprintf(out, "vip=%s\n", g->names[i]);
	if (vip_check(g->addrs, g->n, g->dev, &m) < 0) {
		int e = errno;

		fprintf(out, "vip_held=error\n");
		if (e == ENODEV)
			diag_error("--vip-dev %s: no such interface", g->dev);
		else
			diag_error("cannot read this host's addresses: %s", strerror(e));
		return -1;
	}
	fprintf(out, "vip_held=%s\n", m.held ? "yes" : "no");
	if (m.held)
		fprintf(out, "vip_addr=%s\nvip_dev=%s\n", vip_format(&m.addr, addr, sizeof addr),
			vip_match_ifname(&m));
	fprintf(out, "vip_mode=%s\n", g->standby ? "standby" : "active");
	fprintf(out, "vip_run=%s\n", m.held != g->standby ? "yes" : "no");
	return 0;
}
