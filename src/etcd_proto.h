/* The etcd v3 JSON gateway as pure functions: key names, slots, request bodies, answers. */
#ifndef CRONGUARD_ETCD_PROTO_H
#define CRONGUARD_ETCD_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* The requests cronguard makes; etcd_proto_path names each one's URL path. */
enum etcd_op { ETCD_GRANT, ETCD_KEEPALIVE, ETCD_REVOKE, ETCD_RANGE, ETCD_CLAIM, ETCD_AUTH };

/* What a lock or claim key records about the run that wrote it. */
struct etcd_holder {
	char host[256];            /* "" when the value is not cronguard's */
	char run_id[40];
	long long pid;             /* 0 when absent (claims) */
	char time[32];             /* ISO 8601 UTC, as written */
};

/* An answer, read by etcd_proto_parse. Absent fields are zero: the gateway omits zero,
 * false and empty fields, so a lost transaction has no "succeeded" and an empty range no
 * "kvs". */
struct etcd_answer {
	int succeeded;             /* CLAIM: the key was created */
	int found;                 /* RANGE, lost CLAIM: the key exists ... */
	struct etcd_holder holder; /* ... and records this */
	int64_t lease;             /* ... under this lease (0: none) */
	int64_t revision;          /* CLAIM: the revision that created the key (the header's when
				    * won, the key's create_revision when found), or 0 */
	int64_t id;                /* GRANT: the lease */
	int64_t ttl;               /* GRANT, KEEPALIVE: seconds; 0 when the lease is gone */
	char token[2048];          /* AUTH: a secret */
};

/* etcd_proto_key writes PREFIX, a '/' unless PREFIX ends with one, then KIND ("lock" or
 * "once"), '/', NAME and, when SLOT is non-NULL, '/' and SLOT's decimal value. Returns 0, or
 * -1 with errno ENAMETOOLONG. Pure. */
int etcd_proto_key(const char *prefix, const char *kind, const char *name, const int64_t *slot,
		   char *buf, size_t len);

/* etcd_proto_slot returns the start, in UTC seconds, of the period of PERIOD_MS (whole
 * seconds, at least one) that holds INVOKED_US: floor(t / period) * period. Pure. */
int64_t etcd_proto_slot(int64_t invoked_us, uint64_t period_ms);

/* etcd_proto_holder returns the value a key records (JSON: host, pid when non-zero, run_id,
 * time of NOW_US in ISO 8601 UTC), malloc'd, or NULL with errno. Pure. */
char *etcd_proto_holder(const char *host, long pid, const char *run_id, int64_t now_us);

/* etcd_proto_request returns OP's JSON body, malloc'd, or NULL with errno. GRANT: {"TTL"}
 * from NUM; KEEPALIVE, REVOKE: {"ID"} from NUM; RANGE: {"key"} of KEY; AUTH: {"name",
 * "password"} from KEY and VALUE (a secret: wipe the body after use); CLAIM: a transaction
 * that creates KEY with VALUE, under lease NUM if non-zero, only if KEY does not exist, and
 * else reads KEY; with PURGE_TO, its success also deletes the keys from PURGE_FROM up to
 * PURGE_TO (excluded). int64 values go as strings, keys and values in base64. Pure. */
char *etcd_proto_request(enum etcd_op op, const char *key, const char *value, int64_t num,
			 const char *purge_from, const char *purge_to);

/* etcd_proto_path returns OP's URL path ("/v3/kv/txn"...). Pure. */
const char *etcd_proto_path(enum etcd_op op);

/* etcd_proto_parse reads the LEN bytes of BODY, a 2xx answer to OP, into ANS. Returns 0, or
 * -1 with errno EPROTO when it is not such an answer (not JSON, a field of the wrong type,
 * a value that is not base64, an error object, a grant without an ID). Pure. */
int etcd_proto_parse(enum etcd_op op, const char *body, size_t len, struct etcd_answer *ans);

/* etcd_proto_parse_error reads an error answer, {"error":MESSAGE,"code":GRPC} (or the
 * streaming form {"error":{"grpc_code","message"}}), into *CODE (-1 when absent) and MSG
 * (printable bytes only). Returns 0, or -1 when BODY is not one. Pure. */
int etcd_proto_parse_error(const char *body, size_t len, int *code, char *msg, size_t msglen);

#endif
