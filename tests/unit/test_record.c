/* Unit tests of run states and the key=value rendering. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "record.h"
#include "sink_syslog.h"
#include "suites.h"

START_TEST(state_names_and_classes)
{
	ck_assert_str_eq(record_state_name(RUN_SUCCESS), "success");
	ck_assert_str_eq(record_state_name(RUN_SKIPPED_LOCKED), "skipped_locked");
	ck_assert_str_eq(record_state_name(RUN_EXEC_FAILED), "exec_failed");
	ck_assert(record_state_is_skip(RUN_SKIPPED_STANDBY));
	ck_assert(!record_state_is_skip(RUN_ERROR));
	ck_assert(record_state_is_failure(RUN_TIMEOUT));
	ck_assert(!record_state_is_failure(RUN_SKIPPED_CLAIMED));
	ck_assert(!record_state_is_failure(RUN_SUCCESS));
}
END_TEST

START_TEST(kv_line_exact)
{
	struct label labels[] = { { "team", "db ops" }, { "env", "prod" } };
	struct run_record r = { .job = "backup", .host = "db1", .labels = labels, .nlabels = 2,
				.state = RUN_FAILURE, .exit_code = 2, .duration_us = 1234567,
				.maxrss_kb = 2048, .reason = "said \"no\"\n" };
	char buf[512];

	strcpy(r.run_id, "0f8fad5b-d9cb-469f-a165-70867728950e");
	record_format_kv(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "job=backup host=db1 state=failure exit=2 duration=1.234 maxrss_kb=2048 "
			      "run_id=0f8fad5b-d9cb-469f-a165-70867728950e lateness=0.000 reason=\"said \\\"no\\\"\" "
			      "team=\"db ops\" env=prod");
}
END_TEST

START_TEST(kv_skip_has_no_exit)
{
	struct run_record r = { .job = "j", .host = "h", .state = RUN_SKIPPED_LOCKED,
				.reason = "lock held" };
	char buf[256];

	strcpy(r.run_id, "x");
	record_format_kv(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "job=j host=h state=skipped_locked run_id=x lateness=0.000 reason=\"lock held\"");
}
END_TEST

/* The monitoring facts: the period, exclusivity, the splay and the lateness. */
START_TEST(kv_period_exclusive_lateness)
{
	struct run_record r = { .job = "j", .host = "h", .state = RUN_SKIPPED_STANDBY,
				.period_ms = 86400000, .exclusive = 1, .splay_us = 12345678,
				.lateness_us = 61500000 };
	char buf[256];

	strcpy(r.run_id, "x");
	record_format_kv(&r, buf, sizeof buf);
	ck_assert_str_eq(buf, "job=j host=h state=skipped_standby run_id=x period=86400 exclusive=1 "
			      "splay=12.346 lateness=61.500");
}
END_TEST

START_TEST(kv_truncates_safely)
{
	struct run_record r = { .job = "backup", .host = "db1", .state = RUN_SUCCESS };
	char buf[10];
	size_t need;

	strcpy(r.run_id, "x");
	need = record_format_kv(&r, buf, sizeof buf);
	ck_assert_uint_gt(need, sizeof buf);
	ck_assert_str_eq(buf, "job=backu");
}
END_TEST

START_TEST(run_ids_are_uuid_v4)
{
	char a[37], b[37];

	record_new_run_id(a);
	record_new_run_id(b);
	ck_assert_uint_eq(strlen(a), 36);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(a[8], '-');
	ck_assert_int_eq(a[14], '4');
	ck_assert(strchr("89ab", a[19]) != NULL);
}
END_TEST

/* The message for /dev/log: syslog(3)'s "<PRI>TAG[PID]: " with facility cron, no timestamp,
 * then the record's key=value line, cut as the line always was. */
START_TEST(syslog_message_exact)
{
	struct run_record r = { .job = "a", .host = "h", .state = RUN_SKIPPED_LOCKED, .run_id = "id" };
	static char buf[64 + SINK_SYSLOG_LINE_MAX + 1], big[4000];
	char small[24];

	ck_assert_uint_eq(sink_syslog_format(LOG_NOTICE, 4242, &r, buf, sizeof buf), 79);
	ck_assert_str_eq(buf, "<77>cronguard[4242]: job=a host=h state=skipped_locked run_id=id lateness=0.000");
	r.state = RUN_ERROR;
	ck_assert_uint_eq(sink_syslog_format(LOG_ERR, 1, &r, buf, sizeof buf), 67);
	ck_assert_str_eq(buf, "<75>cronguard[1]: job=a host=h state=error run_id=id lateness=0.000");
	ck_assert_uint_eq(sink_syslog_format(LOG_ERR, 1, &r, small, sizeof small), 23);
	ck_assert_str_eq(small, "<75>cronguard[1]: job=a");
	ck_assert_uint_eq(sink_syslog_format(LOG_ERR, 1, &r, small, 8), 7);
	ck_assert_str_eq(small, "<75>cro");
	/* A reason longer than the line's bound is cut at it, whatever the buffer. */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	r.reason = big;
	ck_assert_uint_eq(sink_syslog_format(LOG_ERR, 1, &r, buf, sizeof buf), 18 + SINK_SYSLOG_LINE_MAX);
}
END_TEST

/* A receiver at PATH: a datagram socket, or a listening stream one. */
static int receiver(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type, 0);

	ck_assert_int_ge(fd, 0);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	unlink(path);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	if (type == SOCK_STREAM)
		ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

/* What one message to FD (a datagram socket, or an accepted stream) says, NUL-terminated. */
static ssize_t received(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Opened ahead, the socket carries the line; a receiver restarted in between (rsyslog after a
 * logrotate) still gets it, through a socket of the send's own; a stream receiver gets it
 * NUL-framed; with nobody listening nothing fails. */
START_TEST(syslog_sent_through_the_socket_opened_ahead)
{
	struct run_record r = { .job = "j", .host = "h", .state = RUN_SUCCESS };
	char dir[] = "/tmp/cg-syslog-XXXXXX", path[64], buf[4096];
	struct sink_syslog s;
	int rx, conn;
	ssize_t n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/log", dir);
	rx = receiver(path, SOCK_DGRAM);
	sink_syslog_open(&s, path);
	ck_assert_int_ge(s.fd, 0);
	ck_assert_int_eq(s.stream, 0);
	sink_syslog_send(&s, path, &r);
	ck_assert_int_eq(s.fd, -1);
	ck_assert_int_gt(received(rx, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "cronguard["));
	ck_assert_ptr_nonnull(strstr(buf, "job=j host=h state=success"));
	/* Restarted between the open and the send. */
	sink_syslog_open(&s, path);
	ck_assert_int_ge(s.fd, 0);
	close(rx);
	rx = receiver(path, SOCK_DGRAM);
	sink_syslog_send(&s, path, &r);
	ck_assert_int_gt(received(rx, buf, sizeof buf), 0);
	ck_assert_ptr_nonnull(strstr(buf, "job=j host=h"));
	ck_assert_int_eq(received(rx, buf, sizeof buf), -1);   /* once, not twice */
	close(rx);
	/* A stream receiver. */
	rx = receiver(path, SOCK_STREAM);
	sink_syslog_open(&s, path);
	ck_assert_int_ge(s.fd, 0);
	ck_assert_int_eq(s.stream, 1);
	sink_syslog_send(&s, path, &r);
	conn = accept(rx, NULL, NULL);
	ck_assert_int_ge(conn, 0);
	n = recv(conn, buf, sizeof buf, 0);
	ck_assert_int_gt(n, 1);
	ck_assert_int_eq(buf[n - 1], '\0');
	ck_assert_ptr_nonnull(strstr(buf, "job=j host=h"));
	close(conn);
	/* Not opened ahead: the send's own socket, to the stream receiver too. */
	sink_syslog_send(NULL, path, &r);
	conn = accept(rx, NULL, NULL);
	ck_assert_int_ge(conn, 0);
	n = recv(conn, buf, sizeof buf, 0);
	ck_assert_int_gt(n, 1);
	ck_assert_int_eq(buf[n - 1], '\0');
	close(conn);
	close(rx);
	/* Nobody listening. */
	unlink(path);
	sink_syslog_open(&s, path);
	ck_assert_int_eq(s.fd, -1);
	sink_syslog_send(&s, path, &r);
	rmdir(dir);
}
END_TEST

Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, state_names_and_classes);
	tcase_add_test(tc, kv_line_exact);
	tcase_add_test(tc, kv_skip_has_no_exit);
	tcase_add_test(tc, kv_period_exclusive_lateness);
	tcase_add_test(tc, kv_truncates_safely);
	tcase_add_test(tc, run_ids_are_uuid_v4);
	tcase_add_test(tc, syslog_message_exact);
	tcase_add_test(tc, syslog_sent_through_the_socket_opened_ahead);
	suite_add_tcase(s, tc);
	return s;
}
