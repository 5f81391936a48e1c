/* libmnl, loaded on first use: only --vip (and --vip-watch) talk netlink. */
#include "config.h"

#include <errno.h>

/* Hidden, as in jansson.c: never exported, so never called back by the library itself. */
#pragma GCC visibility push(hidden)
#include <libmnl/libmnl.h>

#include "lazy/lazy.h"

static struct lazy_lib mnl = { .path = MNL_PATH, .soname = MNL_SONAME };

LAZY_FN(mnl, void *, mnl_attr_get_payload, (const struct nlattr *a), (a), NULL)
LAZY_FN(mnl, uint16_t, mnl_attr_get_payload_len, (const struct nlattr *a), (a), 0)
LAZY_FN(mnl, uint16_t, mnl_attr_get_type, (const struct nlattr *a), (a), 0)
LAZY_FN(mnl, uint32_t, mnl_attr_get_u32, (const struct nlattr *a), (a), 0)
LAZY_FN(mnl, struct nlattr *, mnl_attr_next, (const struct nlattr *a), (a), NULL)
LAZY_FN(mnl, bool, mnl_attr_ok, (const struct nlattr *a, int len), (a, len), false)
LAZY_FN(mnl, int, mnl_cb_run2,
	(const void *buf, size_t n, unsigned int seq, unsigned int portid, mnl_cb_t cb, void *data,
	 mnl_cb_t *ctl, unsigned int nctl),
	(buf, n, seq, portid, cb, data, ctl, nctl), MNL_CB_ERROR)
LAZY_FN(mnl, void *, mnl_nlmsg_get_payload, (const struct nlmsghdr *h), (h), NULL)
LAZY_FN(mnl, size_t, mnl_nlmsg_get_payload_len, (const struct nlmsghdr *h), (h), 0)
LAZY_FN(mnl, void *, mnl_nlmsg_put_extra_header, (struct nlmsghdr *h, size_t n), (h, n), NULL)
LAZY_FN(mnl, struct nlmsghdr *, mnl_nlmsg_put_header, (void *buf), (buf), NULL)
LAZY_FN(mnl, int, mnl_socket_bind, (struct mnl_socket *nl, unsigned int groups, pid_t pid),
	(nl, groups, pid), -1)
LAZY_FN(mnl, int, mnl_socket_close, (struct mnl_socket *nl), (nl), -1)
LAZY_FN(mnl, int, mnl_socket_get_fd, (const struct mnl_socket *nl), (nl), -1)
LAZY_FN(mnl, unsigned int, mnl_socket_get_portid, (const struct mnl_socket *nl), (nl), 0)
LAZY_FN(mnl, struct mnl_socket *, mnl_socket_open2, (int bus, int flags), (bus, flags), NULL)
LAZY_FN(mnl, ssize_t, mnl_socket_recvfrom, (const struct mnl_socket *nl, void *buf, size_t n),
	(nl, buf, n), -1)
LAZY_FN(mnl, ssize_t, mnl_socket_sendto, (const struct mnl_socket *nl, const void *req, size_t n),
	(nl, req, n), -1)
#pragma GCC visibility pop
