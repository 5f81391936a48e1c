/* Unit tests of the etcd gate's pure half: keys, slots, exact request bodies, and answers as
 * etcd 3.4's gateway writes them (zero, false and empty fields left out). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "etcd.h"
#include "etcd_proto.h"
#include "suites.h"

/* A holder value as cronguard writes it, and its base64 (python3 base64.b64encode). */
#define HOLDER_A "{\"host\":\"a\",\"pid\":42,\"run_id\":\"r1\",\"time\":\"2023-11-14T22:13:20Z\"}"
#define HOLDER_A_B64 \
	"eyJob3N0IjoiYSIsInBpZCI6NDIsInJ1bl9pZCI6InIxIiwidGltZSI6IjIwMjMtMTEtMTRUMjI6MTM6MjBaIn0="
#define LOCK_B64 "L2Nyb25ndWFyZC9sb2NrL2JhY2t1cA=="   /* /cronguard/lock/backup */
#define ONCE_B64 "L2Nyb25ndWFyZC9vbmNlL2JhY2t1cC8xNzAwMDAwMDAw" /* .../once/backup/1700000000 */
#define HEADER "\"header\":{\"cluster_id\":\"15118495548433857066\",\"member_id\":" \
	       "\"13668033151171901709\",\"revision\":\"2\",\"raft_term\":\"2\"}"

static void key_is(const char *prefix, const char *kind, const char *name, const int64_t *slot,
		   const char *want)
{
	char buf[256];

	ck_assert_int_eq(etcd_proto_key(prefix, kind, name, slot, buf, sizeof buf), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(keys_join_prefix_and_name)
{
	int64_t slot = 1700000000, neg = -86400;
	char small[20];

	key_is("/cronguard/", "lock", "backup", NULL, "/cronguard/lock/backup");
	key_is("/cronguard", "lock", "backup", NULL, "/cronguard/lock/backup");
	key_is("/", "lock", "db.dump-1_x", NULL, "/lock/db.dump-1_x");
	key_is("/a/b/", "once", "backup", &slot, "/a/b/once/backup/1700000000");
	key_is("/a/b", "once", "backup", &slot, "/a/b/once/backup/1700000000");
	key_is("/p/", "once", "j", &neg, "/p/once/j/-86400");
	errno = 0;
	ck_assert_int_eq(etcd_proto_key("/cronguard/", "lock", "backup", NULL, small, sizeof small), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	/* Exactly fitting (19 characters and the NUL) is fine. */
	ck_assert_int_eq(etcd_proto_key("/cronguard/", "lock", "abc", NULL, small, sizeof small), 0);
	ck_assert_str_eq(small, "/cronguard/lock/abc");
}
END_TEST

START_TEST(slots_floor_the_invocation_time)
{
	static const struct {
		int64_t us;
		uint64_t period_ms;
		int64_t slot;
	} cases[] = {
		{ 1700000000000000, 1000, 1700000000 },
		{ 1700000000999999, 1000, 1700000000 },
		{ 1700000001000000, 2000, 1700000000 },
		{ 1700000002000000, 2000, 1700000002 },
		/* 1d: UTC midnight, whatever the time of day. */
		{ 1700000000000000, 86400000, 1699920000 },
		{ 1699920000000000, 86400000, 1699920000 },
		{ 1699919999999999, 86400000, 1699833600 },
		{ 1700003600000000, 3600000, 1700002800 },
		/* Floor, not truncation, before 1970. */
		{ -1, 1000, -1 },
		{ -1000000, 60000, -60 },
		{ -60000001, 60000, -120 },
		{ 0, 1000, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_msg(etcd_proto_slot(cases[i].us, cases[i].period_ms) == cases[i].slot,
			      "case %zu: %lld", i, (long long)etcd_proto_slot(cases[i].us, cases[i].period_ms));
}
END_TEST

static void request_is(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(requests_are_exact)
{
	request_is(etcd_proto_request(ETCD_GRANT, NULL, NULL, 30, NULL, NULL), "{\"TTL\":\"30\"}");
	request_is(etcd_proto_request(ETCD_KEEPALIVE, NULL, NULL, 7587869201745438217, NULL, NULL),
		   "{\"ID\":\"7587869201745438217\"}");
	request_is(etcd_proto_request(ETCD_REVOKE, NULL, NULL, 1, NULL, NULL), "{\"ID\":\"1\"}");
	request_is(etcd_proto_request(ETCD_RANGE, "/cronguard/lock/backup", NULL, 0, NULL, NULL),
		   "{\"key\":\"" LOCK_B64 "\"}");
	request_is(etcd_proto_request(ETCD_AUTH, "cg", "p\"w", 0, NULL, NULL),
		   "{\"name\":\"cg\",\"password\":\"p\\\"w\"}");
	/* The lock: create-if-absent under a lease; the failure branch reads the holder. */
	request_is(etcd_proto_request(ETCD_CLAIM, "/cronguard/lock/backup", HOLDER_A, 42, NULL, NULL),
		   "{\"compare\":[{\"key\":\"" LOCK_B64 "\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
		   "\"create_revision\":\"0\"}],"
		   "\"success\":[{\"request_put\":{\"key\":\"" LOCK_B64 "\",\"value\":\"" HOLDER_A_B64
		   "\",\"lease\":\"42\"}}],"
		   "\"failure\":[{\"request_range\":{\"key\":\"" LOCK_B64 "\"}}]}");
	/* The claim: no lease; the older claims purged in the same transaction. */
	request_is(etcd_proto_request(ETCD_CLAIM, "/cronguard/once/backup/1700000000", "x", 0,
				      "/cronguard/once/backup/", "/cronguard/once/backup/1699990000"),
		   "{\"compare\":[{\"key\":\"" ONCE_B64 "\",\"target\":\"CREATE\",\"result\":\"EQUAL\","
		   "\"create_revision\":\"0\"}],"
		   "\"success\":[{\"request_put\":{\"key\":\"" ONCE_B64 "\",\"value\":\"eA==\"}},"
		   "{\"request_delete_range\":{\"key\":\"L2Nyb25ndWFyZC9vbmNlL2JhY2t1cC8=\","
		   "\"range_end\":\"L2Nyb25ndWFyZC9vbmNlL2JhY2t1cC8xNjk5OTkwMDAw\"}}],"
		   "\"failure\":[{\"request_range\":{\"key\":\"" ONCE_B64 "\"}}]}");
	/* Base64 padding of every length. */
	request_is(etcd_proto_request(ETCD_RANGE, "", NULL, 0, NULL, NULL), "{\"key\":\"\"}");
	request_is(etcd_proto_request(ETCD_RANGE, "a", NULL, 0, NULL, NULL), "{\"key\":\"YQ==\"}");
	request_is(etcd_proto_request(ETCD_RANGE, "ab", NULL, 0, NULL, NULL), "{\"key\":\"YWI=\"}");
	request_is(etcd_proto_request(ETCD_RANGE, "abc", NULL, 0, NULL, NULL), "{\"key\":\"YWJj\"}");
	ck_assert_str_eq(etcd_proto_path(ETCD_CLAIM), "/v3/kv/txn");
	ck_assert_str_eq(etcd_proto_path(ETCD_KEEPALIVE), "/v3/lease/keepalive");
	ck_assert_str_eq(etcd_proto_path(ETCD_AUTH), "/v3/auth/authenticate");
}
END_TEST

START_TEST(holder_values_are_exact)
{
	request_is(etcd_proto_holder("a", 42, "r1", 1700000000123456), HOLDER_A);
	/* Claims carry no pid; quotes and control bytes are JSON's to escape. */
	request_is(etcd_proto_holder("h\"\n", 0, "r2", 0),
		   "{\"host\":\"h\\\"\\n\",\"run_id\":\"r2\",\"time\":\"1970-01-01T00:00:00Z\"}");
}
END_TEST

static struct etcd_answer parsed(enum etcd_op op, const char *body)
{
	struct etcd_answer a;

	ck_assert_msg(etcd_proto_parse(op, body, strlen(body), &a) == 0, "cannot parse %s", body);
	return a;
}

static void parse_fails(enum etcd_op op, const char *body)
{
	struct etcd_answer a;

	errno = 0;
	ck_assert_msg(etcd_proto_parse(op, body, strlen(body), &a) == -1, "parsed %s", body);
	ck_assert_int_eq(errno, EPROTO);
}

START_TEST(grant_and_keepalive_answers)
{
	struct etcd_answer a;

	a = parsed(ETCD_GRANT, "{" HEADER ",\"ID\":\"4111120158233733126\",\"TTL\":\"30\"}");
	ck_assert(a.id == 4111120158233733126);
	ck_assert(a.ttl == 30);
	/* int64 as a plain number is taken too. */
	a = parsed(ETCD_GRANT, "{\"ID\":7,\"TTL\":5}");
	ck_assert(a.id == 7 && a.ttl == 5);
	parse_fails(ETCD_GRANT, "{" HEADER ",\"TTL\":\"30\"}");   /* no ID */
	parse_fails(ETCD_GRANT, "{\"ID\":\"12x\",\"TTL\":\"30\"}");
	parse_fails(ETCD_GRANT, "{\"ID\":\"\",\"TTL\":\"30\"}");
	parse_fails(ETCD_GRANT, "{\"ID\":\"99999999999999999999\"}");
	parse_fails(ETCD_GRANT, "{\"ID\":true}");
	parse_fails(ETCD_GRANT, "{\"error\":\"etcdserver: no leader\",\"code\":14}");
	parse_fails(ETCD_GRANT, "");
	parse_fails(ETCD_GRANT, "[]");

	/* The keepalive stream: its message inside "result", and a newline after it. */
	a = parsed(ETCD_KEEPALIVE, "{\"result\":{" HEADER ",\"ID\":\"4111120158233733134\","
		   "\"TTL\":\"2\"}}\n");
	ck_assert(a.ttl == 2);
	/* An expired or unknown lease: TTL left out, as every zero field. */
	a = parsed(ETCD_KEEPALIVE, "{\"result\":{" HEADER ",\"ID\":\"4111120158233733134\"}}\n");
	ck_assert(a.ttl == 0);
	/* More than one message: the first counts. */
	a = parsed(ETCD_KEEPALIVE, "{\"result\":{\"TTL\":\"9\"}}\n{\"result\":{}}\n");
	ck_assert(a.ttl == 9);
	parse_fails(ETCD_KEEPALIVE, "{\"error\":{\"grpc_code\":14,\"http_code\":503,"
				    "\"message\":\"etcdserver: no leader\"}}");
	parse_fails(ETCD_KEEPALIVE, "{\"result\":{\"error\":\"x\"}}");
	parse_fails(ETCD_KEEPALIVE, "{\"result\":[]}");
	parse_fails(ETCD_KEEPALIVE, "{\"result\":{\"TTL\":\"-\"}}");

	a = parsed(ETCD_REVOKE, "{" HEADER "}");
	ck_assert(a.id == 0 && a.ttl == 0);
}
END_TEST

START_TEST(claim_answers)
{
	struct etcd_answer a;

	a = parsed(ETCD_CLAIM, "{" HEADER ",\"succeeded\":true,\"responses\":[{\"response_put\":"
		   "{\"header\":{\"revision\":\"2\"}}}]}");
	ck_assert_int_eq(a.succeeded, 1);
	ck_assert_int_eq(a.found, 0);
	/* The transaction's revision (the header's) created the key: the fencing token. */
	ck_assert(a.revision == 2);

	/* Lost: no "succeeded" at all, and the failure branch's range names the holder. */
	a = parsed(ETCD_CLAIM, "{" HEADER ",\"responses\":[{\"response_range\":{\"header\":"
		   "{\"revision\":\"2\"},\"kvs\":[{\"key\":\"" LOCK_B64 "\",\"create_revision\":\"2\","
		   "\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"" HOLDER_A_B64 "\","
		   "\"lease\":\"4111120158266337035\"}],\"count\":\"1\"}}]}");
	ck_assert_int_eq(a.succeeded, 0);
	ck_assert_int_eq(a.found, 1);
	ck_assert_str_eq(a.holder.host, "a");
	ck_assert_str_eq(a.holder.run_id, "r1");
	ck_assert_str_eq(a.holder.time, "2023-11-14T22:13:20Z");
	ck_assert(a.holder.pid == 42);
	ck_assert(a.lease == 4111120158266337035);
	ck_assert(a.revision == 2);

	/* "succeeded":false, spelled out, is a loss too; a claim has no lease. */
	a = parsed(ETCD_CLAIM, "{\"succeeded\":false,\"responses\":[{\"response_range\":{\"kvs\":"
		   "[{\"key\":\"" ONCE_B64 "\",\"value\":\"" HOLDER_A_B64 "\"}]}}]}");
	ck_assert_int_eq(a.succeeded, 0);
	ck_assert_int_eq(a.found, 1);
	ck_assert(a.lease == 0);

	/* A loss whose key vanished in between: not found, no holder. */
	a = parsed(ETCD_CLAIM, "{" HEADER ",\"responses\":[{\"response_range\":{\"header\":{}}}]}");
	ck_assert_int_eq(a.succeeded, 0);
	ck_assert_int_eq(a.found, 0);

	parse_fails(ETCD_CLAIM, "{" HEADER "}");
	parse_fails(ETCD_CLAIM, "{\"succeeded\":\"true\"}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":[]}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":{}}}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":[{\"value\":\"e30\"}]}}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":[{\"value\":\"=e30\"}]}}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":[{\"value\":\"e3*=\"}]}}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":[{\"value\":7}]}}]}");
	parse_fails(ETCD_CLAIM, "{\"responses\":[{\"response_range\":{\"kvs\":[{\"lease\":\"x\"}]}}]}");
	parse_fails(ETCD_CLAIM, "{\"error\":\"etcdserver: duplicate key given in txn request\","
				"\"code\":3}");
}
END_TEST

START_TEST(range_answers)
{
	struct etcd_answer a;

	/* An empty range: no "kvs", no "count". */
	a = parsed(ETCD_RANGE, "{" HEADER "}");
	ck_assert_int_eq(a.found, 0);
	ck_assert_str_eq(a.holder.host, "");
	a = parsed(ETCD_RANGE, "{\"kvs\":[]}");
	ck_assert_int_eq(a.found, 0);

	a = parsed(ETCD_RANGE, "{" HEADER ",\"kvs\":[{\"key\":\"" LOCK_B64 "\",\"value\":\""
		   HOLDER_A_B64 "\",\"lease\":\"9\"}],\"count\":\"1\"}");
	ck_assert_int_eq(a.found, 1);
	ck_assert_str_eq(a.holder.host, "a");
	ck_assert(a.lease == 9);

	/* Someone else's value (etcdctl put): found, holder unknown. Same for an empty value,
	 * which the gateway leaves out. */
	a = parsed(ETCD_RANGE, "{\"kvs\":[{\"key\":\"" LOCK_B64 "\",\"value\":\"bm90IGpzb24=\"}]}");
	ck_assert_int_eq(a.found, 1);
	ck_assert_str_eq(a.holder.host, "");
	a = parsed(ETCD_RANGE, "{\"kvs\":[{\"key\":\"" LOCK_B64 "\"}]}");
	ck_assert_int_eq(a.found, 1);
	ck_assert_str_eq(a.holder.host, "");
	/* JSON, but with a host of the wrong type: unknown, not an error. */
	a = parsed(ETCD_RANGE, "{\"kvs\":[{\"value\":\"eyJob3N0Ijo3fQ==\"}]}");   /* {"host":7} */
	ck_assert_int_eq(a.found, 1);
	ck_assert_str_eq(a.holder.host, "");
	/* A holder's control bytes never reach a log line. */
	a = parsed(ETCD_RANGE, "{\"kvs\":[{\"value\":\"eyJob3N0IjoiYVxuYiJ9\"}]}"); /* {"host":"a\nb"} */
	ck_assert_str_eq(a.holder.host, "a?b");
}
END_TEST

START_TEST(auth_answers)
{
	struct etcd_answer a;
	char big[3000];

	a = parsed(ETCD_AUTH, "{" HEADER ",\"token\":\"sjgnqhEWcGniKGum.24\"}");
	ck_assert_str_eq(a.token, "sjgnqhEWcGniKGum.24");
	parse_fails(ETCD_AUTH, "{" HEADER "}");
	parse_fails(ETCD_AUTH, "{\"token\":\"\"}");
	parse_fails(ETCD_AUTH, "{\"token\":\"a\\u0000b\"}");
	snprintf(big, sizeof big, "{\"token\":\"%02500d\"}", 0);
	parse_fails(ETCD_AUTH, big);
}
END_TEST

static int perr(const char *body, int *code, char *msg, size_t len)
{
	return etcd_proto_parse_error(body, strlen(body), code, msg, len);
}

START_TEST(error_answers)
{
	char msg[64];
	int code;

	ck_assert_int_eq(perr("{\"error\":\"etcdserver: permission denied\","
			      "\"message\":\"etcdserver: permission denied\",\"code\":7}",
			      &code, msg, sizeof msg), 0);
	ck_assert_int_eq(code, 7);
	ck_assert_str_eq(msg, "etcdserver: permission denied");
	/* The streaming form. */
	ck_assert_int_eq(perr("{\"error\":{\"grpc_code\":14,\"http_code\":503,"
			      "\"message\":\"etcdserver: no leader\"}}", &code, msg, sizeof msg), 0);
	ck_assert_int_eq(code, 14);
	ck_assert_str_eq(msg, "etcdserver: no leader");
	/* No code; a message that is too long is cut, control bytes replaced. */
	ck_assert_int_eq(perr("{\"error\":\"a\\tb\"}", &code, msg, 3), 0);
	ck_assert_int_eq(code, -1);
	ck_assert_str_eq(msg, "a?");
	ck_assert_int_eq(perr("{\"header\":{}}", &code, msg, sizeof msg), -1);
	ck_assert_int_eq(perr("404 page not found\n", &code, msg, sizeof msg), -1);
	ck_assert_int_eq(perr("", &code, msg, sizeof msg), -1);
}
END_TEST

/* The gate without a server: nothing asked, nothing held; a watch without a lease never fires. */
START_TEST(gate_without_cluster_options)
{
	char *endpoints[] = { "http://127.0.0.1:9" };
	struct etcd_spec spec = { .prefix = "/cronguard/", .job = "job", .host = "h" };
	struct etcd_gate *g = (struct etcd_gate *)&spec;
	struct run_watch w = { .fd = 5, .interval_ms = 9 };
	struct gate_result r = { .verdict = GATE_END, .signal = 7, .reason = "x" };
	sigset_t stop;

	sigemptyset(&stop);
	etcd_gate_enter(&spec, "r", 0, &stop, &g, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(r.signal, 0);
	ck_assert_str_eq(r.reason, "");
	/* Endpoints alone ask for nothing either. */
	spec.endpoints = endpoints;
	spec.nendpoints = 1;
	r = (struct gate_result){ .verdict = GATE_END, .reason = "x" };
	etcd_gate_enter(&spec, "r", 0, &stop, &g, &r);
	ck_assert_int_eq(r.verdict, GATE_GO);
	ck_assert_ptr_null(g);
	/* Nothing to keep: no watch, and no thread. */
	ck_assert_int_eq(etcd_gate_watch(NULL, &w), 0);
	ck_assert_int_eq(w.fd, -1);
	ck_assert(w.interval_ms == 0);
	ck_assert(w.check == NULL);
	etcd_gate_leave(NULL);
}
END_TEST

/* The password file is read before anything is sent: a FIFO there is refused at once, an
 * error that --etcd-fail-open does not cover. */
START_TEST(gate_refuses_a_fifo_as_the_password_file)
{
	char dir[] = "/tmp/cg-etcd-XXXXXX", path[64];
	char *endpoints[] = { "http://127.0.0.1:9" };
	struct etcd_spec spec = { .endpoints = endpoints, .nendpoints = 1, .prefix = "/cronguard/",
				  .job = "job", .host = "h", .cluster_lock = 1, .ttl_ms = 30000,
				  .user = "u", .password_file = path, .fail_open = 1 };
	struct etcd_gate *g = NULL;
	struct gate_result r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pw", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	etcd_gate_enter(&spec, "r", 0, NULL, &g, &r);
	ck_assert_int_eq(r.verdict, GATE_END);
	ck_assert_int_eq(r.state, RUN_ERROR);
	ck_assert_ptr_null(g);
	ck_assert_ptr_nonnull(strstr(r.reason, "not a regular file"));
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(describe_without_cluster_options)
{
	struct etcd_spec spec = { .prefix = "/cronguard/", .job = "job", .host = "h" };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(etcd_gate_describe(&spec, 0, f), 0);
	fclose(f);
	ck_assert_str_eq(text, "etcd_endpoints=none\netcd_lock_key=none\netcd_lock_holder=none\n"
			       "etcd_once_key=none\netcd_once_holder=none\n");
	free(text);
}
END_TEST

Suite *etcd_suite(void)
{
	Suite *s = suite_create("etcd");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, keys_join_prefix_and_name);
	tcase_add_test(tc, slots_floor_the_invocation_time);
	suite_add_tcase(s, tc);
	tc = tcase_create("requests");
	tcase_add_test(tc, requests_are_exact);
	tcase_add_test(tc, holder_values_are_exact);
	suite_add_tcase(s, tc);
	tc = tcase_create("answers");
	tcase_add_test(tc, grant_and_keepalive_answers);
	tcase_add_test(tc, claim_answers);
	tcase_add_test(tc, range_answers);
	tcase_add_test(tc, auth_answers);
	tcase_add_test(tc, error_answers);
	suite_add_tcase(s, tc);
	tc = tcase_create("gate");
	tcase_add_test(tc, gate_without_cluster_options);
	tcase_add_test(tc, gate_refuses_a_fifo_as_the_password_file);
	tcase_add_test(tc, describe_without_cluster_options);
	suite_add_tcase(s, tc);
	return s;
}
