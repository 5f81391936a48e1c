/* Unit tests of the gates' one outcome: the VIP and the local lock gate each fill the same
 * gate_result, with their own reasons (the cluster gate's are in test_etcd.c). */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "suites.h"
#include "vip.h"

static struct gate_result dirty(void)
{
	return (struct gate_result){ .verdict = GATE_END, .state = RUN_FAILURE, .signal = 99,
				     .reason = "stale" };
}

START_TEST(vip_gate_outcomes)
{
	struct vip_addr addr[1];
	char *names[] = { "127.0.0.1", "192.0.2.123" };
	struct vip_gate g = { .addrs = addr, .names = names, .n = 0 };
	struct gate_result r = dirty();
	int fd = 5;

	vip_gate_enter(&g, &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_int_eq(fd, -1);
	ck_assert_str_eq(r.reason, "");
	/* 127.0.0.1 is on lo: held. */
	ck_assert_int_eq(vip_parse(names[0], &addr[0]), 0);
	g.n = 1;
	r = dirty();
	vip_gate_enter(&g, &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_int_eq(r.signal, 0);
	g.standby = 1;
	vip_gate_enter(&g, &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_SKIPPED_STANDBY);
	ck_assert_ptr_nonnull(strstr(r.reason, "standby: VIP 127.0.0.1 is held here"));
	/* A documentation address is held nowhere. */
	g = (struct vip_gate){ .addrs = addr, .names = names + 1, .n = 1 };
	ck_assert_int_eq(vip_parse(names[1], &addr[0]), 0);
	vip_gate_enter(&g, &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_SKIPPED_STANDBY);
	ck_assert_str_eq(r.reason, "not the active node: 192.0.2.123 not held here");
	g.dev = "cg-no-such-if";
	vip_gate_enter(&g, &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_ERROR);
	ck_assert_str_eq(r.reason, "--vip-dev cg-no-such-if: no such interface");
}
END_TEST

START_TEST(vip_gate_describes_itself)
{
	struct vip_addr addr[1];
	char *names[] = { "192.0.2.123" };
	struct vip_gate g = { .addrs = addr, .names = names, .n = 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(vip_gate_describe(&g, f), 0);
	ck_assert_int_eq(vip_parse(names[0], &addr[0]), 0);
	g.n = 1;
	ck_assert_int_eq(vip_gate_describe(&g, f), 0);
	fclose(f);
	ck_assert_str_eq(text, "vip=none\nvip=192.0.2.123\nvip_held=no\nvip_mode=active\nvip_run=no\n");
	free(text);
}
END_TEST

START_TEST(lock_gate_outcomes)
{
	char dir[] = "/tmp/cg-gate-XXXXXX", path[64], text[256] = "";
	struct gate_result r = dirty();
	sigset_t stop, old;
	int fd = 5, fd2;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/job.lock", dir);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &old);
	/* No --lock: nothing taken. */
	lock_gate_enter(NULL, 0, &stop, "h", &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_int_eq(fd, -1);
	r = dirty();
	lock_gate_enter(path, 0, &stop, "h1", &fd, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(r.reason, "");
	ck_assert_int_eq(r.signal, 0);
	/* Held: a skip naming the holder. */
	lock_gate_enter(path, 0, &stop, "h2", &fd2, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_SKIPPED_LOCKED);
	snprintf(text, sizeof text, "lock %s held by pid=%ld ", path, (long)getpid());
	ck_assert_msg(strncmp(r.reason, text, strlen(text)) == 0, "%s", r.reason);
	ck_assert_ptr_nonnull(strstr(r.reason, "host=h1"));
	/* A stop signal during the wait: an error carrying the signal. */
	raise(SIGTERM);
	lock_gate_enter(path, 5000, &stop, "h2", &fd2, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_ERROR);
	ck_assert_int_eq(r.signal, SIGTERM);
	ck_assert_str_eq(r.reason, "Terminated while waiting for the lock; command not run");
	lock_release(fd);
	/* The lock cannot be taken at all: lock_acquire's own reason. */
	snprintf(path, sizeof path, "%s/missing/job.lock", dir);
	lock_gate_enter(path, 0, &stop, "h", &fd2, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_ERROR);
	ck_assert_int_eq(r.signal, 0);
	ck_assert_ptr_nonnull(strstr(r.reason, path));
	sigprocmask(SIG_SETMASK, &old, NULL);
	snprintf(text, sizeof text, "rm -rf %s", dir);
	ck_assert_int_eq(system(text), 0);
}
END_TEST

START_TEST(lock_gate_describes_itself)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	lock_gate_describe(NULL, 0, f);
	lock_gate_describe("/run/x.lock", 1500, f);
	fclose(f);
	ck_assert_str_eq(text, "lock=none\nlock_wait_ms=0\nlock=/run/x.lock\nlock_wait_ms=1500\n");
	free(text);
}
END_TEST

Suite *gate_suite(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("outcome");

	tcase_add_test(tc, vip_gate_outcomes);
	tcase_add_test(tc, vip_gate_describes_itself);
	tcase_add_test(tc, lock_gate_outcomes);
	tcase_add_test(tc, lock_gate_describes_itself);
	suite_add_tcase(s, tc);
	return s;
}
