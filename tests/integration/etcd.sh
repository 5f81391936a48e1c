#!/bin/bash
# System test of the cluster gate (--etcd, --cluster-lock, --once-per): the built cronguard as
# several "hosts" (--host a|b|c) against real etcd processes from Debian's etcd-server, on
# free 127.0.0.1 ports: one run per slot, locks that never overlap, a member killed, a holder
# killed, etcd stopped (fail closed and fail open), auth and TLS, --dry-run.
#
# Exit status: 0 all passed, 1 a check failed, 77 etcd is not installed (a failure under
# CI=true). Takes about a minute and a half.

# Checks given as eval strings expand when they run:
# shellcheck disable=SC2016,SC2034
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
# shellcheck source=tests/integration/etcd_lib.sh
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/etcd_lib.sh"

for tool in etcd etcdctl curl python3; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
at_exit etcd_stop_all

# The --once-per drills: SLOTS slots of SLOT_S seconds, three invocations at once in each, and
# MULTI_SLOTS across a leader's death; TTL_S, the leases of the holders there and of the one
# killed with SIGKILL.
# Under memcheck, where a run takes a second or more to reach etcd and three at once longer,
# the slots and the lease are longer and there are fewer slots, so the script keeps its time.
SLOT_S=2 SLOTS=8 MULTI_SLOTS=6 TTL_S=3
if in_memcheck; then SLOT_S=10 SLOTS=3 MULTI_SLOTS=3 TTL_S=6; fi

export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"

# host_cg HOST ARGS...: cronguard as HOST, with HOST's own state directory.
host_cg() {
	local h=$1
	shift
	"$CRONGUARD" --host "$h" --state-dir "$T_TMP/state-$h" "$@"
}

# bg_cg HOST ARGS...: the same in the background, with cronguard's own pid in BG (a signal
# sent there reaches cronguard, not a subshell).
bg_cg() {
	local h=$1
	shift
	(exec "$CRONGUARD" --host "$h" --state-dir "$T_TMP/state-$h" "$@") &
	BG=$!
	PIDS+=("$BG")
}

# wait_all: waits for the bg_cg runs started since the last wait_all (a bare wait would also
# wait for the etcd members).
PIDS=()
wait_all() {
	[ ${#PIDS[@]} -eq 0 ] || wait "${PIDS[@]}" 2>/dev/null
	PIDS=()
}

# out_has LINE: cronguard's last stdout (from cg) has LINE.
out_has() { printf '%s\n' "$OUT" | grep -qx -- "$1"; }

# state HOST JOB [FIELD]: a field (default state) of HOST's last run of JOB.
state() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["last_run"].get(sys.argv[2], ""))' \
		"$T_TMP/state-$1/$2.json" "${3:-state}" 2>/dev/null
}

# sleep_to PERIOD_MS OFFSET_MS: sleep until the wall clock is OFFSET_MS into a period.
sleep_to() {
	python3 -c 'import sys, time; p, o = int(sys.argv[1]), int(sys.argv[2]); time.sleep(((o - time.time() * 1000) % p) / 1000)' "$1" "$2"
}

say() { echo "# $*"; }

etcd_cluster 1 || { not_ok "etcd starts"; done_testing; exit 1; }
ok "etcd starts on ${ETCD_EP[1]}"
EP=${ETCD_EP[1]}
SINGLE_PID=${ETCD_PID[1]}

# --- --dry-run: endpoints, keys and holders, read-only -----------------------------------
cg --host a --state-dir "$T_TMP/state-a" -n dry --etcd "$EP" --cluster-lock --once-per 1h --dry-run -- true
slot=$(($(date +%s) / 3600 * 3600))
check "--dry-run: exit 0" [ "$RC" -eq 0 ]
check "--dry-run: endpoints, keys, no holders" [ "$(printf '%s\n' "$OUT" | grep '^etcd_')" = "etcd_endpoints=$EP
etcd_lock_key=/cronguard/lock/dry
etcd_lock_holder=none
etcd_once_key=/cronguard/once/dry/$slot
etcd_once_holder=none" ]
check "--dry-run: wrote nothing" [ -z "$(etcdctl_ get --prefix /cronguard/ --keys-only)" ]
host_cg b -n dry --etcd "$EP" --once-per 1h -- true
# c holds the lock until both dry runs have looked.
bg_cg c -n dry --etcd "$EP" --cluster-lock --etcd-prefix /other -- \
	sh -c "until [ -e '$T_TMP/dry.release' ]; do sleep 0.05; done"
wait_for 5 sh -c "ETCDCTL_API=3 etcdctl --endpoints=$EP get /other/lock/dry --keys-only | grep -q ."
cg --host a -n dry --etcd "$EP" --once-per 1h --dry-run -- true
check "--dry-run: names the host of this period's claim" out_has etcd_once_holder=b
cg --host a -n dry --etcd "$EP" --cluster-lock --etcd-prefix /other --dry-run -- true
check "--dry-run: names the lock's holder (prefix without a trailing slash)" \
	eval 'out_has etcd_lock_holder=c && out_has etcd_lock_key=/other/lock/dry'
touch "$T_TMP/dry.release"
wait_all

# --- (1) once per slot: three hosts at once, SLOTS slots of SLOT_S seconds ----------------------
# Each batch starts 300 ms into its slot, so all three invocations fall in the same one; the
# commands' own output is what is counted. A rerun on a host within the slot must skip too
# (tried only while the slot has time left: a loaded machine may take long over a batch).
: >"$T_TMP/once.runs"
bad_states=0
reruns=0
for i in $(seq 1 "$SLOTS"); do
	sleep_to $((SLOT_S * 1000)) 300
	slot_end=$((($(now_ms) / (SLOT_S * 1000) + 1) * SLOT_S * 1000))
	for h in a b c; do
		bg_cg "$h" -n once --etcd "$EP" --once-per "${SLOT_S}s" -- sh -c "echo $i $h >>'$T_TMP/once.runs'"
	done
	wait_all
	states=$(for h in a b c; do state "$h" once; done | sort | tr '\n' ' ')
	[ "$states" = "skipped_claimed skipped_claimed success " ] || { bad_states=$((bad_states + 1)); say "slot $i: $states"; }
	[ "$(now_ms)" -lt $((slot_end - 500)) ] || continue
	host_cg a -n once --etcd "$EP" --once-per "${SLOT_S}s" -- sh -c "echo $i a-rerun >>'$T_TMP/once.runs'"
	[ "$(state a once)" = skipped_claimed ] || { bad_states=$((bad_states + 1)); say "slot $i: rerun $(state a once)"; }
	reruns=$((reruns + 1))
	rr_winner=$(awk -v i="$i" '$1 == i {print $2}' "$T_TMP/once.runs")
	rr_reason=$(state a once reason)
done
per_slot=$(awk '{n[$1]++} END {for (s in n) print n[s]}' "$T_TMP/once.runs" | sort -u | tr '\n' ' ')
say "runs per host: $(awk '{print $2}' "$T_TMP/once.runs" | sort | uniq -c | tr -s ' \n' ' ')"
check "once-per: $SLOTS slots, exactly one run in each ($SLOTS runs)" \
	[ "$(wc -l <"$T_TMP/once.runs")" -eq "$SLOTS" -a "$per_slot" = "1 " -a "$(cut -d' ' -f1 "$T_TMP/once.runs" | sort -u | wc -l)" -eq "$SLOTS" ]
check "once-per: every slot is one success and two skipped_claimed; $reruns reruns skipped" \
	[ "$bad_states" -eq 0 -a "$reruns" -ge 1 ]
if [ "${rr_winner:-}" = a ]; then
	want="already claimed by this host (run "
else
	want="claimed by ${rr_winner:-?} (run "
fi
say "a rerun's reason: ${rr_reason:-}"
check "once-per: a skip names the holder" eval 'printf "%s" "${rr_reason:-}" | grep -qF "$want"'
check "once-per: one key per slot" [ "$(etcdctl_ get --prefix /cronguard/once/once/ --keys-only | grep -c .)" -eq "$SLOTS" ]

# Claims of long-gone periods are purged by the next claim; recent ones and other jobs stay.
etcdctl_ put /cronguard/once/purge/1000000000 old >/dev/null
etcdctl_ put /cronguard/once/purge/$(($(date +%s) - 60)) recent >/dev/null
etcdctl_ put /cronguard/once/purge2/1000000000 other >/dev/null
host_cg a -n purge --etcd "$EP" --once-per 1s -- true
keys=$(etcdctl_ get --prefix /cronguard/once/purge --keys-only | grep . | tr '\n' ' ')
check "once-per: an old claim is purged, recent ones and other jobs' stay ($keys)" \
	eval '! echo "$keys" | grep -q "purge/1000000000" && echo "$keys" | grep -q "purge2/1000000000" && [ "$(echo "$keys" | wc -w)" -eq 3 ]'

# --- (2) cluster lock: overlapping runs from four hosts never overlap ---------------------------
rm -f "$T_TMP"/lockrun.*
for h in a b c d; do
	for k in 1 2 3; do
		bg_cg "$h" -n locked --etcd "$EP" --cluster-lock --lock-wait "$(t_slow 40)s" -- \
			sh -c "echo start \$(date +%s%N) >'$T_TMP/lockrun.$h$k'; sleep 0.2; echo end \$(date +%s%N) >>'$T_TMP/lockrun.$h$k'"
	done
done
wait_all
overlap=$(python3 - "$T_TMP"/lockrun.* <<'EOF'
import sys
iv = []
for f in sys.argv[1:]:
    d = dict(line.split() for line in open(f))
    iv.append((int(d["start"]), int(d["end"]), f))
iv.sort()
bad = [(a[2], b[2]) for a, b in zip(iv, iv[1:]) if b[0] < a[1]]
gaps = [(b[0] - a[1]) / 1e6 for a, b in zip(iv, iv[1:])]
print(len(iv), len(bad), "%.0f" % max(gaps))
EOF
)
say "runs, overlaps, longest hand-over (ms): $overlap"
check "cluster lock: all 12 waiting runs ran, none overlapping" [ "$(echo "$overlap" | cut -d' ' -f1-2)" = "12 0" ]
check "cluster lock: the key is gone after the last release" [ -z "$(etcdctl_ get /cronguard/lock/locked --keys-only)" ]

# Without --lock-wait, the others skip at once, naming the holder, who holds until they have.
: >"$T_TMP/nowait.runs"
for h in a b c d; do
	bg_cg "$h" -n nowait --etcd "$EP" --cluster-lock -- \
		sh -c "echo $h >>'$T_TMP/nowait.runs'; until [ -e '$T_TMP/nowait.release' ]; do sleep 0.05; done"
done
wait_for 30 alive_at_most 1 "${PIDS[@]}"
touch "$T_TMP/nowait.release"
wait_all
winner=$(cat "$T_TMP/nowait.runs")
check "cluster lock without wait: exactly one of four ran ($winner)" [ "$(wc -l <"$T_TMP/nowait.runs")" -eq 1 ]
losers_ok=0
for h in a b c d; do
	[ "$h" = "$winner" ] && continue
	[ "$(state "$h" nowait)" = skipped_locked ] && state "$h" nowait reason | grep -q "held by $winner (pid" && losers_ok=$((losers_ok + 1))
done
check "cluster lock without wait: the three others are skipped_locked, naming $winner" [ "$losers_ok" -eq 3 ]

# Both: the lock first, then the claim; a second host skips on either.
host_cg a -n both --etcd "$EP" --cluster-lock --once-per 1h -- true
host_cg b -n both --etcd "$EP" --cluster-lock --once-per 1h -- true
check "lock and claim: the first runs, the second is skipped_claimed" \
	[ "$(state a both)" = success -a "$(state b both)" = skipped_claimed ]
check "lock and claim: the lock is released either way" [ -z "$(etcdctl_ get /cronguard/lock/both --keys-only)" ]

# A signal during the lock wait ends it: the command never runs. The holder holds until then.
bg_cg a -n sig --etcd "$EP" --cluster-lock -- sh -c "until [ -e '$T_TMP/sig.release' ]; do sleep 0.05; done"
holder=$BG
wait_for 5 sh -c "ETCDCTL_API=3 etcdctl --endpoints=$EP get /cronguard/lock/sig --keys-only | grep -q ."
t0=$(now_ms)
bg_cg b -n sig --etcd "$EP" --cluster-lock --lock-wait 30s -- sh -c "echo ran >'$T_TMP/sig.ran'" 2>"$T_TMP/sig.err"
waiter=$BG
wait_for 10 eval '[ "$(etcdctl_ lease list | grep -c "^[0-9a-f]\+$")" -ge 2 ]'
kill -TERM "$waiter"
wait "$waiter"
rc=$?
ms=$(($(now_ms) - t0))
check "TERM during the lock wait: exit 143 at once (took $ms ms from the start), state error, not run" \
	[ "$rc" -eq 143 -a "$ms" -lt "$(t_slow 2500)" -a "$(state b sig)" = error -a ! -e "$T_TMP/sig.ran" ]
touch "$T_TMP/sig.release"
wait "$holder"

# --- (4) a holder killed with SIGKILL: the next host runs after the TTL, not before --------------
marker=cg-etcd-victim-$$
bg_cg a -n killed --etcd "$EP" --cluster-lock --etcd-ttl "${TTL_S}s" -- bash -c "exec -a $marker sleep 60"
victim=$BG
disown "$victim"   # no "Killed" line from bash when it dies
wait_for 5 sh -c "ETCDCTL_API=3 etcdctl --endpoints=$EP get /cronguard/lock/killed --keys-only | grep -q ."
sleep "$((TTL_S / 3)).2"   # past a keepalive (every TTL/3), so that the lease was renewed at least once
kill -KILL "$victim"
t_kill=$(now_ms)
wait_for 2 eval '! kill -0 "$victim" 2>/dev/null'
host_cg b -n killed --etcd "$EP" --cluster-lock -- true
early=$(state b killed)
host_cg c -n killed --etcd "$EP" --cluster-lock --lock-wait "$(t_slow 10)s" -- sh -c "date +%s%3N >'$T_TMP/killed.ran'"
after=$(($(cat "$T_TMP/killed.ran" 2>/dev/null || echo 0) - t_kill))
ttl_ms=$((TTL_S * 1000))
say "the next holder ran $after ms after the SIGKILL (TTL $ttl_ms ms, keepalive every $((ttl_ms / 3)) ms)"
check "holder killed: another host is still skipped right after the kill ($early)" [ "$early" = skipped_locked ]
check "holder killed: the waiting host ran after TTL minus one keepalive interval (>= $((ttl_ms * 2 / 3)) ms), within TTL + $(t_slow 2) s" \
	[ "$after" -ge $((ttl_ms * 2 / 3)) -a "$after" -le $((ttl_ms + $(t_slow 2000))) ]
check "holder killed: its command died with it (parent-death signal)" wait_for 2 eval "! pgrep -f '^$marker' >/dev/null"

# --- a lease lost mid-run (etcd frozen past the TTL): the command gets TERM --------------------
cg --host a --state-dir "$T_TMP/state-a" -n lost --etcd "$EP" --cluster-lock --etcd-ttl 3s --kill-after 1s -- \
	sh -c 'trap "echo got-term; exit 0" TERM; kill -STOP '"$SINGLE_PID"'; sleep 30 & wait' &
lost_bg=$!
t0=$(now_ms)
wait "$lost_bg"
ms=$(($(now_ms) - t0))
kill -CONT "$SINGLE_PID"
say "lost lease: $(state a lost reason)"
check "lease lost mid-run: the command was stopped within the TTL plus the release (took $ms ms)" [ "$ms" -lt "$(t_slow 7500)" ]
check "lease lost mid-run: recorded as failure, 'lost the cluster lock (etcd lease ...'" \
	eval '[ "$(state a lost)" = failure ] && state a lost reason | grep -q "^lost the cluster lock (etcd lease [0-9a-f]* not renewed"'
wait_for 5 etcd_healthy "$EP"

# --- (3) a three-member cluster, its leader killed during the runs ------------------------------
if etcd_cluster 3; then
	ok "a three-member cluster starts"
	leader=$(etcd_leader)
	say "leader: n$leader of ${ETCD_ENDPOINTS}"
	rot() { # the endpoints starting at the Nth, so every host talks to another member first
		local n=$1 i out=
		for i in 0 1 2; do out+="${out:+,}${ETCD_EP[$(((n - 1 + i) % 3 + 1))]}"; done
		echo "$out"
	}
	# A lock holder that talks to the leader first, holding across the kill, to the last slot.
	bg_cg l -n mlock --etcd "$(rot "$leader")" --cluster-lock --etcd-ttl "${TTL_S}s" -- \
		sh -c "until [ -e '$T_TMP/mlock.release' ]; do sleep 0.05; done"
	mholder=$BG
	: >"$T_TMP/multi.runs"
	for i in $(seq 1 "$MULTI_SLOTS"); do
		sleep_to $((SLOT_S * 1000)) 300
		n=0
		batch=()
		for h in a b c; do
			n=$((n + 1))
			bg_cg "$h" -n multi --etcd "$(rot $n)" --once-per "${SLOT_S}s" -- sh -c "echo $i $h >>'$T_TMP/multi.runs'"
			batch+=("$BG")
		done
		if [ "$i" -eq 2 ]; then
			sleep 0.01   # while the claims are in flight
			{ kill -KILL "${ETCD_PID[leader]}"; wait "${ETCD_PID[leader]}"; } 2>/dev/null
			say "killed the leader n$leader during slot 2"
		fi
		wait "${batch[@]}"
	done
	touch "$T_TMP/mlock.release"
	wait "$mholder"
	per_slot=$(awk '{n[$1]++} END {for (s in n) print n[s]}' "$T_TMP/multi.runs" | sort -u | tr '\n' ' ')
	check "cluster, leader killed: exactly one run in each of $MULTI_SLOTS slots ($(wc -l <"$T_TMP/multi.runs") runs)" \
		[ "$(wc -l <"$T_TMP/multi.runs")" -eq "$MULTI_SLOTS" -a "$per_slot" = "1 " -a "$(cut -d' ' -f1 "$T_TMP/multi.runs" | sort -u | wc -l)" -eq "$MULTI_SLOTS" ]
	check "cluster, leader killed: the lock holder kept its lease through another member" \
		[ "$(state l mlock)" = success ]
	check "cluster, leader killed: the lock was released" [ -z "$(etcdctl_ get /cronguard/lock/mlock --keys-only)" ]
else
	not_ok "a three-member cluster starts"
fi

# --- auth: user and password file; the password is never printed ----------------------------
if etcd_cluster 1; then
	AEP=${ETCD_EP[1]}
	ETCDCTL_API=3 etcdctl --endpoints="$AEP" user add root:rootpw >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" user grant-role root root >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" user add cg:s3cret-pw >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" role add cgrole >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" role grant-permission cgrole --prefix=true readwrite /cronguard/ >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" user grant-role cg cgrole >/dev/null &&
		ETCDCTL_API=3 etcdctl --endpoints="$AEP" auth enable >/dev/null
	printf 's3cret-pw\n' >"$T_TMP/pw"
	printf 'wrong\n' >"$T_TMP/badpw"
	chmod 600 "$T_TMP/pw" "$T_TMP/badpw"   # readable by all, they would be warned about
	cg --host a --state-dir "$T_TMP/state-a" -n auth --etcd "$AEP" --cluster-lock --once-per 1h \
		--etcd-user cg --etcd-password-file "$T_TMP/pw" -- echo authed
	check "auth: lock and claim with a user and a password file" [ "$RC" -eq 0 -a "$OUT" = authed ]
	cg --host a --state-dir "$T_TMP/state-a" -n auth2 --etcd "$AEP" --once-per 1h -v --dry-run \
		--etcd-user cg --etcd-password-file "$T_TMP/pw" -- true
	check "auth: --dry-run reads with the token" out_has etcd_once_holder=none
	cg --host a --state-dir "$T_TMP/state-a" -n auth3 --etcd "$AEP" --once-per 1h \
		--etcd-user cg --etcd-password-file "$T_TMP/badpw" -- echo ran
	check "auth: a wrong password is an error at once (exit $RC, $MS ms)" \
		[ "$RC" -eq 125 -a -z "$OUT" -a "$MS" -lt "$(t_slow 3000)" ]
	say "wrong password: $ERR"
	check "auth: it says so in one line" eval '[ "$(printf "%s\n" "$ERR" | wc -l)" -eq 1 ] && printf "%s" "$ERR" | grep -q "authentication as cg failed"'
	cg --host a --state-dir "$T_TMP/state-a" -n auth4 --etcd "$AEP" --once-per 1h -- echo ran
	check "auth: without credentials, etcd's refusal is an error, not a skip (exit $RC)" [ "$RC" -eq 125 -a -z "$OUT" ]
	check "auth: no password in any output or state file" \
		eval '! grep -rq -e s3cret-pw -e wrong "$T_TMP/state-a" && ! printf "%s" "$OUT$ERR" | grep -q -e s3cret -e wrong'
else
	not_ok "etcd with auth starts"
fi

# --- TLS: https with a private CA and a client certificate ------------------------------------
if command -v openssl >/dev/null; then
	P=$T_TMP/pki
	mkdir -p "$P"
	(
		cd "$P" || exit 1
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=cg-test-ca
		openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
		# clientAuth too: with --client-cert-auth, etcd 3.4's JSON gateway dials its own gRPC
		# port with the server certificate, and is refused ("connection closed", 503) without.
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
		openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=cg
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext
	) >"$T_TMP/pki.log" 2>&1
	if etcd_cluster 1 --cert-file "$P/server.pem" --key-file "$P/server.key" \
		--trusted-ca-file "$P/ca.pem" --client-cert-auth &&
		wait_for 10 sh -c "curl -s --cacert '$P/ca.pem' --cert '$P/client.pem' --key '$P/client.key' '${ETCD_EP[1]}/health' | grep -q true"; then
		TEP=${ETCD_EP[1]}
		cg --host a --state-dir "$T_TMP/state-a" -n tls --etcd "$TEP" --cluster-lock --once-per 1h \
			--etcd-ca-file "$P/ca.pem" --etcd-cert "$P/client.pem" --etcd-key "$P/client.key" -- echo tls-ok
		check "TLS: lock and claim over https with a client certificate" [ "$RC" -eq 0 -a "$OUT" = tls-ok ]
		# The failures take the full deadline: run them with the ones below.
		TLS_FAIL=1
	else
		not_ok "etcd with TLS starts"
		sed 's/^/#   /' "$T_TMP/pki.log" | tail -n 5
	fi
else
	say "no openssl: TLS not tested"
fi

# --- (5) etcd stopped: fail closed, fail open, bounded ------------------------------------------
{ kill -KILL "$SINGLE_PID"; wait "$SINGLE_PID"; } 2>/dev/null
rm -f "$T_TMP"/down.*
timed() { # NAME ARGS...: host_cg in the background, its rc, stdout, stderr and ms in files
	local n=$1
	shift
	(
		t0=$(now_ms)
		host_cg "$@" >"$T_TMP/down.$n.out" 2>"$T_TMP/down.$n.err"
		echo $? >"$T_TMP/down.$n.rc"
		echo $(($(now_ms) - t0)) >"$T_TMP/down.$n.ms"
	) &
	PIDS+=($!)
}
timed closed a -n down --etcd "$EP" --once-per 1h -- sh -c "echo ran"
timed open b -n down --etcd "$EP" --cluster-lock --once-per 1h --etcd-fail-open -- sh -c "echo ran"
timed two c -n down --etcd "$EP,http://127.0.0.1:$(etcd_free_port)" --cluster-lock -- sh -c "echo ran"
timed dry a -n down --etcd "$EP" --once-per 1h --dry-run -- true
if [ "${TLS_FAIL:-}" ]; then
	timed noca a -n tls2 --etcd "$TEP" --once-per 1h --etcd-cert "$P/client.pem" --etcd-key "$P/client.key" -- echo ran
	timed nocert a -n tls3 --etcd "$TEP" --once-per 1h --etcd-ca-file "$P/ca.pem" -- echo ran
fi
wait_all
r() { cat "$T_TMP/down.$1.$2"; }
say "fail closed: $(r closed err)"
check "etcd down, fail closed: exit 125, command not run" [ "$(r closed rc)" -eq 125 -a ! -s "$T_TMP/down.closed.out" ]
check "etcd down, fail closed: one stderr line, naming the endpoint" \
	[ "$(wc -l <"$T_TMP/down.closed.err")" -eq 1 -a -n "$(grep "etcd unreachable.*$EP" "$T_TMP/down.closed.err")" ]
check "etcd down, fail closed: recorded as error" [ "$(state a down)" = error ]
bound=$(t_slow 12000)
check "etcd down, fail closed: bounded (took $(r closed ms) ms, want <= $bound)" [ "$(r closed ms)" -le "$bound" ]
check "etcd down, fail open: the command ran, exit 0 (took $(r open ms) ms)" [ "$(r open rc)" -eq 0 -a "$(r open out)" = ran -a "$(r open ms)" -le "$bound" ]
check "etcd down, fail open: a line says so" grep -q "etcd unreachable.*running anyway (--etcd-fail-open)" "$T_TMP/down.open.err"
check "etcd down, two dead endpoints: exit 125 within $bound ms (took $(r two ms) ms)" [ "$(r two rc)" -eq 125 -a "$(r two ms)" -le "$bound" -a ! -s "$T_TMP/down.two.out" ]
check "etcd down, --dry-run: exit 125, holder error, bounded (took $(r dry ms) ms)" \
	[ "$(r dry rc)" -eq 125 -a "$(r dry ms)" -le "$(t_slow 7000)" -a -n "$(grep -x etcd_once_holder=error "$T_TMP/down.dry.out")" ]
if [ "${TLS_FAIL:-}" ]; then
	check "TLS: verification is on (no CA: not run, exit $(r noca rc))" [ "$(r noca rc)" -eq 125 -a ! -s "$T_TMP/down.noca.out" ]
	check "TLS: no client certificate: not run (exit $(r nocert rc))" [ "$(r nocert rc)" -eq 125 -a ! -s "$T_TMP/down.nocert.out" ]
fi

done_testing
