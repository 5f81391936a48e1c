# Real etcd members for tests/integration/etcd.sh and tests/bench/etcd, sourced, never run:
# each cluster on free 127.0.0.1 ports with its data in ETCD_WORK, stopped by etcd_stop_all.
#
# After etcd_cluster N: ETCD_EP[1..N] (client URLs), ETCD_PID[1..N], ETCD_ENDPOINTS (all,
# comma-separated). Election settings are fast (10 ms heartbeat, 100 ms election) so that a
# member starts in ~60 ms and a lost leader is replaced in a few hundred.

# shellcheck shell=bash disable=SC2034

: "${ETCD_WORK:=$(mktemp -d /tmp/cg-etcd-XXXXXX)}"
ETCD_ALL_PIDS=()
ETCD_CLUSTERS=0

etcd_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# etcd_healthy URL: the member answers /health with true.
etcd_healthy() {
	[ "$(curl -s --max-time 1 "$1/health" 2>/dev/null)" = '{"health":"true"}' ]
}

etcd_all_healthy() {
	local ep
	for ep in "${ETCD_EP[@]:1}"; do etcd_healthy "$ep" || return 1; done
}

# etcd_wait SECONDS: until every member of the last cluster is healthy.
etcd_wait() {
	local end=$((SECONDS + $1))
	until etcd_all_healthy; do
		((SECONDS < end)) || return 1
		sleep 0.05
	done
}

# etcd_cluster N [EXTRA ETCD ARGS...]: starts members n1..nN as one new cluster. Returns 1
# when they are not healthy within 15 s (three tries with new ports: a free port may be
# taken between our probe and etcd's bind).
etcd_cluster() {
	local n=$1 try i cluster dir
	shift
	for try in 1 2 3; do
		ETCD_CLUSTERS=$((ETCD_CLUSTERS + 1))
		ETCD_EP=(x)
		ETCD_PID=(x)
		local cport=(x) pport=(x)
		cluster=
		for ((i = 1; i <= n; i++)); do
			cport[i]=$(etcd_free_port)
			pport[i]=$(etcd_free_port)
			cluster+="${cluster:+,}n$i=http://127.0.0.1:${pport[i]}"
		done
		for ((i = 1; i <= n; i++)); do
			dir=$ETCD_WORK/c$ETCD_CLUSTERS-n$i
			local scheme=http
			case " $* " in *" --cert-file"*) scheme=https ;; esac
			ETCD_EP[i]=$scheme://127.0.0.1:${cport[i]}
			etcd --name "n$i" --data-dir "$dir" \
				--listen-client-urls "${ETCD_EP[i]}" --advertise-client-urls "${ETCD_EP[i]}" \
				--listen-peer-urls "http://127.0.0.1:${pport[i]}" \
				--initial-advertise-peer-urls "http://127.0.0.1:${pport[i]}" \
				--initial-cluster "$cluster" --initial-cluster-state new \
				--initial-cluster-token "cg-$$-$ETCD_CLUSTERS" \
				--heartbeat-interval=10 --election-timeout=100 "$@" \
				>"$dir.log" 2>&1 &
			ETCD_PID[i]=$!
			ETCD_ALL_PIDS+=($!)
		done
		ETCD_ENDPOINTS=$(IFS=,; echo "${ETCD_EP[*]:1}")
		[ "$scheme" = https ] && return 0   # the caller checks health with its certificates
		etcd_wait 5 && return 0
		for ((i = 1; i <= n; i++)); do kill -9 "${ETCD_PID[i]}" 2>/dev/null; done
		sed 's/^/#   /' "$ETCD_WORK/c$ETCD_CLUSTERS-n1.log" | tail -n 5
	done
	return 1
}

# etcd_leader: the index (1..N) of the last cluster's leader, from a member that is up.
etcd_leader() {
	local i ep out
	for ((i = 1; i < ${#ETCD_EP[@]}; i++)); do
		ep=${ETCD_EP[i]}
		out=$(curl -s --max-time 1 -X POST "$ep/v3/maintenance/status" -d '{}') || continue
		python3 - "$out" "${ETCD_EP[@]:1}" <<'EOF' && return 0
import json, sys, urllib.request
leader = json.loads(sys.argv[1]).get("leader")
for i, ep in enumerate(sys.argv[2:], 1):
    try:
        req = urllib.request.Request(ep + "/v3/maintenance/status", data=b"{}", method="POST")
        me = json.load(urllib.request.urlopen(req, timeout=1))["header"]["member_id"]
    except Exception:
        continue
    if me == leader:
        print(i)
        sys.exit(0)
sys.exit(1)
EOF
	done
	return 1
}

etcdctl_() { ETCDCTL_API=3 etcdctl --dial-timeout=2s --command-timeout=5s --endpoints="$ETCD_ENDPOINTS" "$@"; }

etcd_stop_all() {
	local p
	for p in "${ETCD_ALL_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${ETCD_ALL_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ETCD_ALL_PIDS=()
	rm -rf "$ETCD_WORK"
}
