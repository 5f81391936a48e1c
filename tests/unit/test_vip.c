/* Unit tests of the VIP gate: address parsing, and the netlink scan on hand-built dump buffers. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "suites.h"
#include "vip.h"

#define SEQ 4242u
#define PORTID 777u

/* A dump as the kernel would send it; long-typed so that headers are aligned. */
struct dump {
	long mem[1024];
	size_t len;
};

/* One RTM_NEWADDR message, described as a test reads it. */
struct addr_spec {
	int family;
	unsigned ifindex;
	uint8_t ifa_flags;
	const char *local;      /* IFA_LOCAL as text, NULL for none */
	const char *address;    /* IFA_ADDRESS as text, NULL for none */
	int has_flags;          /* emit IFA_FLAGS */
	uint32_t flags;
	const char *label;      /* IFA_LABEL, NULL for none */
};

static char *tail(struct dump *d)
{
	return (char *)d->mem + d->len;
}

static struct nlmsghdr *msg_begin(struct dump *d, uint16_t type, uint16_t nlflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(tail(d));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = nlflags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

static void msg_end(struct dump *d, const struct nlmsghdr *nlh)
{
	d->len += MNL_ALIGN(nlh->nlmsg_len);
	ck_assert_uint_le(d->len, sizeof(d->mem));
}

/* Text to bytes in whatever family the text is, so that tests can put a v4 address in a
 * v6 message on purpose. */
static void put_text_addr(struct nlmsghdr *nlh, uint16_t type, const char *text)
{
	unsigned char a[16];

	if (strchr(text, ':') != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET6, text, a), 1);
		mnl_attr_put(nlh, type, 16, a);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET, text, a), 1);
		mnl_attr_put(nlh, type, 4, a);
	}
}

static struct nlmsghdr *put_addr(struct dump *d, const struct addr_spec *a, uint16_t nlflags)
{
	struct nlmsghdr *nlh = msg_begin(d, RTM_NEWADDR, NLM_F_MULTI | nlflags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->family == AF_INET ? 32 : 128;
	ifa->ifa_flags = a->ifa_flags;
	ifa->ifa_index = a->ifindex;
	if (a->address != NULL)
		put_text_addr(nlh, IFA_ADDRESS, a->address);
	if (a->local != NULL)
		put_text_addr(nlh, IFA_LOCAL, a->local);
	if (a->label != NULL)
		mnl_attr_put_strz(nlh, IFA_LABEL, a->label);
	if (a->has_flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, a->flags);
	msg_end(d, nlh);
	return nlh;
}

static struct nlmsghdr *put_done(struct dump *d, int32_t status, uint16_t nlflags)
{
	struct nlmsghdr *nlh = msg_begin(d, NLMSG_DONE, NLM_F_MULTI | nlflags);
	int32_t *p = mnl_nlmsg_put_extra_header(nlh, sizeof(*p));

	*p = status;
	msg_end(d, nlh);
	return nlh;
}

static struct nlmsghdr *put_error(struct dump *d, int32_t error)
{
	struct nlmsghdr *nlh = msg_begin(d, NLMSG_ERROR, 0);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = error;
	msg_end(d, nlh);
	return nlh;
}

static struct vip_addr vip(const char *text)
{
	struct vip_addr a;

	ck_assert_msg(vip_parse(text, &a) == 0, "vip_parse(%s)", text);
	return a;
}

static struct vip_query query(const struct vip_addr *vips, size_t n, unsigned ifindex)
{
	struct vip_query q = { vips, n, ifindex, SEQ, PORTID };

	return q;
}

/* Runs the scan on d, asking for a single VIP, and checks that it fails with err. */
static void expect_error(struct dump *d, const char *asked, int err)
{
	struct vip_addr v = vip(asked);
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;

	memset(&m, 0, sizeof(m));
	errno = 0;
	ck_assert_int_eq(vip_scan(d->mem, d->len, &q, &m), -1);
	ck_assert_int_eq(errno, err);
	ck_assert_int_eq(m.held, 0);
}

/* ---- the scan, as a table ---- */

#define V4 AF_INET
#define V6 AF_INET6
#define TENT IFA_F_TENTATIVE
#define DADF IFA_F_DADFAILED
#define DEPR IFA_F_DEPRECATED

static const struct scan_case {
	const char *name;
	struct addr_spec msgs[3];       /* family 0 ends the list */
	const char *asked[2];           /* NULL ends the list */
	unsigned filter;                /* --vip-dev's ifindex, 0 for any */
	int held;
	unsigned ifindex;               /* expected when held */
	const char *addr;               /* expected matched VIP when held */
} scan_cases[] = {
	{ "ipv4 held", { { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 1, 2, "10.0.0.50" },
	{ "ipv4 substring trap", { { V4, 2, 0, "110.0.0.50", "110.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "ipv4 prefix ignored", { { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50/24" }, 0, 1, 2, "10.0.0.50" },
	{ "ipv6 held", { { V6, 3, IFA_F_PERMANENT, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 1, 3, "fd00::5" },
	{ "ipv6 other address", { { V6, 3, 0, NULL, "fd00::50", 0, 0, NULL } },
	  { "fd00::5" }, 0, 0, 0, NULL },
	{ "ipv4 peer asked", { { V4, 2, 0, "10.1.1.1", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "ipv4 local of a peer link", { { V4, 2, 0, "10.1.1.1", "10.0.0.50", 0, 0, NULL } },
	  { "10.1.1.1" }, 0, 1, 2, "10.1.1.1" },
	{ "ipv6 peer asked", { { V6, 2, 0, "fd00::1", "fd00::2", 0, 0, NULL } },
	  { "fd00::2" }, 0, 0, 0, NULL },
	{ "ipv6 tentative", { { V6, 2, TENT, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 0, 0, NULL },
	{ "ipv6 dadfailed", { { V6, 2, TENT | DADF, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 0, 0, NULL },
	{ "ipv6 dadfailed alone", { { V6, 2, DADF, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 0, 0, NULL },
	{ "ipv6 deprecated counts", { { V6, 2, DEPR, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 1, 2, "fd00::5" },
	{ "IFA_FLAGS clears a stale ifa_flags", { { V6, 2, TENT, NULL, "fd00::5", 1, 0, NULL } },
	  { "fd00::5" }, 0, 1, 2, "fd00::5" },
	{ "IFA_FLAGS says tentative", { { V6, 2, 0, NULL, "fd00::5", 1, TENT | IFA_F_NOPREFIXROUTE, NULL } },
	  { "fd00::5" }, 0, 0, 0, NULL },
	{ "IFA_FLAGS says deprecated", { { V6, 2, 0, NULL, "fd00::5", 1, DEPR | IFA_F_NOPREFIXROUTE, NULL } },
	  { "fd00::5" }, 0, 1, 2, "fd00::5" },
	{ "v4 bytes in a v6 message", { { V6, 2, 0, NULL, "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "v6 bytes in a v4 message", { { V4, 2, 0, NULL, "a00:32::", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "unknown family", { { AF_PACKET, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "v6 message, v4 VIP", { { V6, 2, 0, NULL, "::a00:32", 0, 0, NULL } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "ifindex filter, other interface", { { V4, 3, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 2, 0, 0, NULL },
	{ "ifindex filter, same interface", { { V4, 3, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL } },
	  { "10.0.0.50" }, 3, 1, 3, "10.0.0.50" },
	{ "ifindex filter picks the right copy",
	  { { V6, 2, 0, NULL, "fd00::5", 0, 0, NULL }, { V6, 3, 0, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 3, 1, 3, "fd00::5" },
	{ "second VIP held", { { V6, 4, 0, NULL, "fd00::5", 0, 0, NULL } },
	  { "10.9.9.9", "fd00::5" }, 0, 1, 4, "fd00::5" },
	{ "first match kept",
	  { { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL }, { V6, 3, 0, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5", "10.0.0.50" }, 0, 1, 2, "10.0.0.50" },
	{ "tentative copy skipped, good copy found",
	  { { V6, 2, TENT, NULL, "fd00::5", 0, 0, NULL }, { V6, 3, 0, NULL, "fd00::5", 0, 0, NULL } },
	  { "fd00::5" }, 0, 1, 3, "fd00::5" },
	{ "no address attribute", { { V4, 2, 0, NULL, NULL, 0, 0, "eth0" } },
	  { "10.0.0.50" }, 0, 0, 0, NULL },
	{ "empty dump", { { 0 } }, { "10.0.0.50" }, 0, 0, 0, NULL },
};

START_TEST(test_scan_table)
{
	const struct scan_case *c = &scan_cases[_i];
	struct vip_addr vips[2];
	struct vip_query q;
	struct vip_match m;
	struct dump d = { .len = 0 };
	char text[INET6_ADDRSTRLEN];
	size_t i, n = 0;

	for (i = 0; i < 3 && c->msgs[i].family != 0; i++)
		put_addr(&d, &c->msgs[i], 0);
	put_done(&d, 0, 0);
	while (n < 2 && c->asked[n] != NULL) {
		vips[n] = vip(c->asked[n]);
		n++;
	}
	q = query(vips, n, c->filter);
	memset(&m, 0, sizeof(m));
	ck_assert_msg(vip_scan(d.mem, d.len, &q, &m) == 1, "%s: scan failed: %s", c->name,
		      strerror(errno));
	ck_assert_msg(m.held == c->held, "%s: held=%d", c->name, m.held);
	if (c->held) {
		ck_assert_msg(m.ifindex == c->ifindex, "%s: ifindex=%u", c->name, m.ifindex);
		ck_assert_str_eq(vip_format(&m.addr, text, sizeof(text)), c->addr);
	}
}
END_TEST

/* ---- the scan: framing, protocol and kernel errors ---- */

static const struct addr_spec held_v4 = { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, NULL };

START_TEST(test_scan_label)
{
	const struct addr_spec a = { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, "eth0:vip" };
	const struct addr_spec bad = { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0,
				       "a-label-much-too-long-for-ifname" };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;
	struct dump d = { .len = 0 };

	put_addr(&d, &a, 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
	ck_assert_str_eq(m.ifname, "eth0:vip");

	d.len = 0;
	put_addr(&d, &bad, 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
	ck_assert_str_eq(m.ifname, "");
}
END_TEST

START_TEST(test_scan_wrong_seq)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0)->nlmsg_seq = SEQ + 1;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EPROTO);
}
END_TEST

START_TEST(test_scan_wrong_portid)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0)->nlmsg_pid = PORTID + 1;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", ESRCH);
}
END_TEST

START_TEST(test_scan_wrong_seq_on_done)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_done(&d, 0, 0)->nlmsg_seq = SEQ - 1;
	expect_error(&d, "10.0.0.50", EPROTO);
}
END_TEST

START_TEST(test_scan_dump_intr)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_addr(&d, &held_v4, NLM_F_DUMP_INTR);
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EINTR);
}
END_TEST

START_TEST(test_scan_dump_intr_on_done)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_done(&d, 0, NLM_F_DUMP_INTR);
	expect_error(&d, "10.0.0.50", EINTR);
}
END_TEST

START_TEST(test_scan_truncated_buffer)
{
	struct dump d = { .len = 0 };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;
	size_t full, cut;

	put_addr(&d, &held_v4, 0);
	put_done(&d, 0, 0);
	full = d.len;
	/* Every proper prefix of the dump is an error or "more to come", never "complete and
	 * held"; cut on a message boundary it is "more to come". */
	for (cut = 1; cut < full; cut++) {
		int ret;

		memset(&m, 0, sizeof(m));
		ret = vip_scan(d.mem, cut, &q, &m);
		ck_assert_msg(ret != 1, "cut %zu: complete", cut);
		if (ret == -1)
			ck_assert_msg(errno == EBADMSG && !m.held, "cut %zu: errno %d held %d",
				      cut, errno, m.held);
	}
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, full - 20, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
	d.len = full - 1;
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

START_TEST(test_scan_trailing_junk)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_done(&d, 0, 0);
	memset(tail(&d), 0xff, 8);
	d.len += 8;
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

/* libmnl's mnl_nlmsg_ok compares the length as an int; one with the top bit set is caught
 * before it can send the walk outside the buffer (found by fuzz_vip). */
START_TEST(test_scan_huge_nlmsg_len)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_addr(&d, &held_v4, 0)->nlmsg_len = 0xdbdbdbdbu;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

START_TEST(test_scan_short_ifaddrmsg)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = msg_begin(&d, RTM_NEWADDR, NLM_F_MULTI);

	mnl_nlmsg_put_extra_header(nlh, 4);
	msg_end(&d, nlh);
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

/* A held address followed by a malformed message: the error wins over what came before. */
START_TEST(test_scan_attr_overruns_message)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh;
	struct nlattr *last;

	put_addr(&d, &held_v4, 0);
	nlh = put_addr(&d, &held_v4, 0);
	last = (struct nlattr *)((char *)nlh + nlh->nlmsg_len - MNL_ALIGN(MNL_ATTR_HDRLEN + 4));
	ck_assert_int_eq(last->nla_type, IFA_LOCAL);
	last->nla_len = 200;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

START_TEST(test_scan_attr_too_short)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = put_addr(&d, &held_v4, 0);
	struct nlattr *first = (struct nlattr *)((char *)nlh + MNL_NLMSG_HDRLEN +
						 MNL_ALIGN(sizeof(struct ifaddrmsg)));

	first->nla_len = 2;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

START_TEST(test_scan_junk_after_attrs)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = put_addr(&d, &held_v4, 0);

	/* Four zero bytes inside the message: an attribute header of length 0. */
	memset(tail(&d), 0, 4);
	nlh->nlmsg_len += 4;
	d.len += 4;
	put_done(&d, 0, 0);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

/* The kernel pads, but the last message's padding may be absent from the buffer. */
START_TEST(test_scan_unpadded_last_message)
{
	const struct addr_spec a = { V4, 2, 0, "10.0.0.50", "10.0.0.50", 0, 0, "ab" };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = put_addr(&d, &a, 0);

	nlh->nlmsg_len -= 1;            /* "ab\0" takes 7 of the label's 8 bytes */
	d.len -= 1;
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
}
END_TEST

START_TEST(test_scan_nlmsg_error)
{
	struct dump d = { .len = 0 };

	put_error(&d, -EPERM);
	expect_error(&d, "10.0.0.50", EPERM);
	d.len = 0;
	put_error(&d, INT32_MIN);
	expect_error(&d, "10.0.0.50", EPROTO);
}
END_TEST

START_TEST(test_scan_nlmsg_error_short)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = msg_begin(&d, NLMSG_ERROR, 0);

	*(int32_t *)mnl_nlmsg_put_extra_header(nlh, 4) = -EPERM;
	msg_end(&d, nlh);
	expect_error(&d, "10.0.0.50", EBADMSG);
}
END_TEST

START_TEST(test_scan_ack_completes)
{
	struct dump d = { .len = 0 };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;

	put_addr(&d, &held_v4, 0);
	put_error(&d, 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 1);
	ck_assert_int_eq(m.held, 1);
}
END_TEST

START_TEST(test_scan_done_with_error)
{
	struct dump d = { .len = 0 };

	put_addr(&d, &held_v4, 0);
	put_done(&d, -EMSGSIZE, 0);
	expect_error(&d, "10.0.0.50", EMSGSIZE);
}
END_TEST

START_TEST(test_scan_overrun)
{
	struct dump d = { .len = 0 };
	struct nlmsghdr *nlh = msg_begin(&d, NLMSG_OVERRUN, 0);

	msg_end(&d, nlh);
	expect_error(&d, "10.0.0.50", ENOBUFS);
}
END_TEST

/* Other rtnetlink messages and NLMSG_NOOP pass through; only RTM_NEWADDR is read. */
START_TEST(test_scan_other_messages)
{
	struct dump d = { .len = 0 };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	msg_end(&d, msg_begin(&d, NLMSG_NOOP, 0));
	nlh = msg_begin(&d, RTM_DELADDR, NLM_F_MULTI);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	put_text_addr(nlh, IFA_ADDRESS, "10.0.0.50");
	msg_end(&d, nlh);
	put_done(&d, 0, 0);
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 1);
	ck_assert_int_eq(m.held, 0);
}
END_TEST

/* A dump spans several reads: the match survives into the buffer that completes it, and an
 * error in a later buffer clears it. */
START_TEST(test_scan_multi_buffer)
{
	struct dump first = { .len = 0 }, second = { .len = 0 }, bad = { .len = 0 };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = query(&v, 1, 0);
	struct vip_match m;

	put_addr(&first, &held_v4, 0);
	put_done(&second, 0, 0);
	put_addr(&bad, &held_v4, NLM_F_DUMP_INTR);

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(first.mem, first.len, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
	ck_assert_int_eq(vip_scan(second.mem, second.len, &q, &m), 1);
	ck_assert_int_eq(m.held, 1);
	ck_assert_uint_eq(m.ifindex, 2);

	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(first.mem, first.len, &q, &m), 0);
	ck_assert_int_eq(vip_scan(bad.mem, bad.len, &q, &m), -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_int_eq(m.held, 0);
}
END_TEST

/* seq and portid 0 switch libmnl's checks off, as for kernel notifications. */
START_TEST(test_scan_checks_off)
{
	struct dump d = { .len = 0 };
	struct vip_addr v = vip("10.0.0.50");
	struct vip_query q = { &v, 1, 0, 0, 0 };
	struct vip_match m;

	put_addr(&d, &held_v4, 0)->nlmsg_seq = 99;
	memset(&m, 0, sizeof(m));
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), 0);
	ck_assert_int_eq(m.held, 1);
}
END_TEST

START_TEST(test_scan_bad_arguments)
{
	struct dump d = { .len = 0 };
	struct vip_query q = { NULL, 1, 0, SEQ, PORTID };
	struct vip_match m;

	put_addr(&d, &held_v4, 0);
	m.held = 1;
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, &m), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(m.held, 0);
	ck_assert_int_eq(vip_scan(d.mem, d.len, NULL, &m), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vip_scan(d.mem, d.len, &q, NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

/* ---- vip_parse and vip_format ---- */

static const struct parse_case {
	const char *text;
	int family;          /* 0: must be rejected */
	const char *canon;
} parse_cases[] = {
	{ "10.0.0.50", AF_INET, "10.0.0.50" },
	{ "10.0.0.50/32", AF_INET, "10.0.0.50" },
	{ "10.0.0.50/0", AF_INET, "10.0.0.50" },
	{ "10.0.0.50/24", AF_INET, "10.0.0.50" },
	{ "0.0.0.0", AF_INET, "0.0.0.0" },
	{ "fd00::5", AF_INET6, "fd00::5" },
	{ "fd00::5/128", AF_INET6, "fd00::5" },
	{ "fd00::5/64", AF_INET6, "fd00::5" },
	{ "FD00:0:0:0:0:0:0:5", AF_INET6, "fd00::5" },
	{ "::1", AF_INET6, "::1" },
	{ "::ffff:10.0.0.1", AF_INET6, "::ffff:10.0.0.1" },
	{ "", 0, NULL },
	{ "garbage", 0, NULL },
	{ "10.0.0.50/33", 0, NULL },
	{ "10.0.0.50/100", 0, NULL },
	{ "fd00::5/129", 0, NULL },
	{ "fd00::5/1280", 0, NULL },
	{ "10.0.0.50/", 0, NULL },
	{ "/32", 0, NULL },
	{ "10.0.0.50/-1", 0, NULL },
	{ "10.0.0.50/+3", 0, NULL },
	{ "10.0.0.50/3x", 0, NULL },
	{ "10.0.0.50/ 3", 0, NULL },
	{ "10.0.0.50/0x10", 0, NULL },
	{ "10.0.0.50/32/32", 0, NULL },
	{ "10.0.0.50x", 0, NULL },
	{ "10.0.0.50 ", 0, NULL },
	{ " 10.0.0.50", 0, NULL },
	{ "10.0.0", 0, NULL },
	{ "10.0.0.256", 0, NULL },
	{ "1.2.3.4.5", 0, NULL },
	{ "fe80::1%eth0", 0, NULL },
	{ "fd00::5::6", 0, NULL },
	{ "fd00:::5", 0, NULL },
	{ "[fd00::5]", 0, NULL },
	{ "10.0.0.50\n", 0, NULL },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001", 0, NULL },
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	struct vip_addr a;
	char text[INET6_ADDRSTRLEN];

	memset(&a, 0x5a, sizeof(a));
	errno = 0;
	if (c->family == 0) {
		ck_assert_msg(vip_parse(c->text, &a) == -1, "accepted \"%s\"", c->text);
		ck_assert_int_eq(errno, EINVAL);
		return;
	}
	ck_assert_msg(vip_parse(c->text, &a) == 0, "rejected \"%s\"", c->text);
	ck_assert_int_eq(a.family, c->family);
	ck_assert_str_eq(vip_format(&a, text, sizeof(text)), c->canon);
	if (a.family == AF_INET) {
		static const unsigned char zero[12];

		ck_assert_mem_eq(a.addr + 4, zero, sizeof(zero));
	}
}
END_TEST

START_TEST(test_parse_null)
{
	struct vip_addr a;

	ck_assert_int_eq(vip_parse(NULL, &a), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(vip_parse("10.0.0.50", NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_format_errors)
{
	struct vip_addr a = vip("fd00::1:2:3:4:5");
	char small[8];

	ck_assert_ptr_null(vip_format(&a, small, sizeof(small)));
	ck_assert_int_eq(errno, ENOSPC);
	a.family = AF_UNIX;
	ck_assert_ptr_null(vip_format(&a, small, sizeof(small)));
	ck_assert_int_eq(errno, EAFNOSUPPORT);
}
END_TEST

/* ---- against the running kernel: only answers that hold on any host ---- */

START_TEST(test_check_no_such_dev)
{
	struct vip_addr v = vip("10.0.0.50");
	struct vip_match m;

	m.held = 1;
	ck_assert_int_eq(vip_check(&v, 1, "cg-nosuch0", &m), -1);
	ck_assert_int_eq(errno, ENODEV);
	ck_assert_int_eq(m.held, 0);
	ck_assert_int_eq(vip_check(&v, 1, "a-name-longer-than-ifnamsiz", &m), -1);
	ck_assert_int_eq(errno, ENODEV);
}
END_TEST

START_TEST(test_check_bad_arguments)
{
	struct vip_addr v = vip("10.0.0.50");
	struct vip_match m;

	ck_assert_int_eq(vip_check(&v, 0, NULL, &m), -1);
	ck_assert_int_eq(errno, EINVAL);
	v.family = AF_UNIX;
	ck_assert_int_eq(vip_check(&v, 1, NULL, &m), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(m.held, 0);
}
END_TEST

/* Documentation addresses (RFC 5737, RFC 3849) are assigned nowhere sane. */
START_TEST(test_check_not_held)
{
	struct vip_addr v[2] = { vip("192.0.2.254"), vip("2001:db8::fe") };
	struct vip_match m;

	ck_assert_msg(vip_check(v, 2, NULL, &m) == 0, "vip_check: %s", strerror(errno));
	ck_assert_int_eq(m.held, 0);
}
END_TEST

/* Loopback is up wherever the tests run: ::1 (no IFA_LABEL in an IPv6 dump) and 127.0.0.1
 * alone, each a dump of its own family only, and the two in one dump of both. */
START_TEST(test_check_held_on_lo)
{
	struct vip_addr v6 = vip("::1"), v4 = vip("127.0.0.1"), both[2] = { vip("2001:db8::fe"),
									  vip("127.0.0.1") };
	struct vip_match m;

	ck_assert_msg(vip_check(&v6, 1, NULL, &m) == 0, "vip_check: %s", strerror(errno));
	ck_assert_int_eq(m.held, 1);
	ck_assert_str_eq(m.ifname, "");
	ck_assert_str_eq(vip_match_ifname(&m), "lo");
	ck_assert_msg(vip_check(&v4, 1, "lo", &m) == 0, "vip_check: %s", strerror(errno));
	ck_assert_int_eq(m.held, 1);
	ck_assert_str_eq(vip_match_ifname(&m), "lo");
	ck_assert_msg(vip_check(both, 2, NULL, &m) == 0, "vip_check: %s", strerror(errno));
	ck_assert_int_eq(m.held, 1);
	ck_assert_int_eq(m.addr.family, AF_INET);
	/* Not held: no name, and none looked up. */
	m.held = 0;
	m.ifname[0] = '\0';
	ck_assert_str_eq(vip_match_ifname(&m), "");
}
END_TEST

START_TEST(test_watch_open)
{
	struct vip_addr v = vip("192.0.2.254");
	int fd = vip_watch_open();
	int held = 1;

	ck_assert_msg(fd >= 0, "vip_watch_open: %s", strerror(errno));
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(vip_watch_ready(fd, &v, 1, NULL, &held), 0);
	ck_assert_int_eq(held, 0);
	close(fd);
	held = 1;
	ck_assert_int_eq(vip_watch_ready(fd, &v, 1, NULL, &held), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(held, 0);
}
END_TEST

Suite *vip_suite(void)
{
	Suite *s = suite_create("vip");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_table, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_parse_null);
	tcase_add_test(tc, test_format_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("scan");
	tcase_add_loop_test(tc, test_scan_table, 0, (int)(sizeof(scan_cases) / sizeof(scan_cases[0])));
	tcase_add_test(tc, test_scan_label);
	tcase_add_test(tc, test_scan_other_messages);
	tcase_add_test(tc, test_scan_multi_buffer);
	tcase_add_test(tc, test_scan_checks_off);
	tcase_add_test(tc, test_scan_ack_completes);
	suite_add_tcase(s, tc);

	tc = tcase_create("scan_errors");
	tcase_add_test(tc, test_scan_wrong_seq);
	tcase_add_test(tc, test_scan_wrong_seq_on_done);
	tcase_add_test(tc, test_scan_wrong_portid);
	tcase_add_test(tc, test_scan_dump_intr);
	tcase_add_test(tc, test_scan_dump_intr_on_done);
	tcase_add_test(tc, test_scan_truncated_buffer);
	tcase_add_test(tc, test_scan_trailing_junk);
	tcase_add_test(tc, test_scan_huge_nlmsg_len);
	tcase_add_test(tc, test_scan_short_ifaddrmsg);
	tcase_add_test(tc, test_scan_attr_overruns_message);
	tcase_add_test(tc, test_scan_attr_too_short);
	tcase_add_test(tc, test_scan_junk_after_attrs);
	tcase_add_test(tc, test_scan_unpadded_last_message);
	tcase_add_test(tc, test_scan_nlmsg_error);
	tcase_add_test(tc, test_scan_nlmsg_error_short);
	tcase_add_test(tc, test_scan_done_with_error);
	tcase_add_test(tc, test_scan_overrun);
	tcase_add_test(tc, test_scan_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("kernel");
	tcase_add_test(tc, test_check_no_such_dev);
	tcase_add_test(tc, test_check_bad_arguments);
	tcase_add_test(tc, test_check_not_held);
	tcase_add_test(tc, test_check_held_on_lo);
	tcase_add_test(tc, test_watch_open);
	suite_add_tcase(s, tc);

	return s;
}
