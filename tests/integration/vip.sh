#!/bin/bash
# System test of --vip, --vip-dev and --standby: the built cronguard against real addresses in network namespaces.
#
# Each namespace is held open by a sleeping process of ours and entered with nsenter, so no
# name is left behind in /run/netns and everything goes away with those processes.
# As root the namespaces are made with `unshare -n`; otherwise the whole script re-runs
# inside a user namespace (`unshare -rn`), where it may make network namespaces of its own.
# Exit status: 0 all passed, 1 a check failed, 77 no namespace can be made here (skip;
# under CI=true that is a failure instead).

# Helpers are called through check(), and the job's sh -c scripts expand in the job's shell:
# shellcheck disable=SC2317,SC2016

set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"

declare -A NS

# ---- setup ----

if [ ! -x "$CRONGUARD" ]; then
	echo "not ok - cronguard binary $CRONGUARD is not executable"
	exit 1
fi
for tool in ip nsenter unshare; do
	command -v "$tool" >/dev/null || skip_all "network namespaces: $tool not found"
done
if [ -z "${VIP_SH_IN_USERNS:-}" ] && ! unshare -n true 2>/dev/null; then
	if unshare -rn true 2>/dev/null; then
		rm -rf "$T_TMP"   # the run in the user namespace makes its own
		VIP_SH_IN_USERNS=1 exec unshare -rn -- "$BASH" "$0" "$@"
	fi
	skip_all "network namespaces: neither 'unshare -n' nor 'unshare -rn' works here"
fi
unshare -n true 2>/dev/null || skip_all "network namespaces: 'unshare -n' fails inside the user namespace"
# Others may read it: the unprivileged check below runs cronguard as nobody.
chmod 755 "$T_TMP"

ns_differs() { # PID: has the process left our network namespace yet?
	local theirs
	theirs=$(readlink "/proc/$1/ns/net" 2>/dev/null) || return 1
	[ "$theirs" != "$(readlink /proc/$$/ns/net)" ]
}

ns_new() { # NAME: a fresh network namespace with lo up
	local pid
	unshare -n -- sleep 1000000 </dev/null >/dev/null 2>&1 &
	pid=$!
	at_exit "stop_bg $pid"
	# unshare(1) only execs sleep after it has entered the new namespace.
	if ! wait_for 10 ns_differs "$pid"; then
		echo "not ok - namespace $1 could not be made"
		exit 1
	fi
	NS[$1]=$pid
	in_ns "$1" ip link set lo up || exit 1
}

in_ns() { # NAME COMMAND...
	local pid=${NS[$1]}
	shift
	nsenter -t "$pid" -n -- "$@"
}

# Runs cronguard in namespace NAME; sets OUT, ERR and RC.
cg_in() { # NAME ARGS...
	local ns=$1
	shift
	OUT=$(in_ns "$ns" "$CRONGUARD" "$@" 2>"$T_TMP/stderr")
	RC=$?
	ERR=$(cat "$T_TMP/stderr")
}

has_line() { # LINE TEXT
	grep -qxF -- "$1" <<<"$2"
}

# --dry-run must say held, with the matched address and interface.
held() { # NS VIP_ADDR IFNAME CRONGUARD_ARGS...
	local ns=$1 addr=$2 dev=$3
	shift 3
	cg_in "$ns" --dry-run "$@" -n t -- /bin/true
	[ "$RC" = 0 ] && has_line vip_held=yes "$OUT" && has_line "vip_addr=$addr" "$OUT" &&
		has_line "vip_dev=$dev" "$OUT" && return 0
	echo "# rc=$RC stdout: $(tr '\n' ' ' <<<"$OUT") stderr: $ERR"
	return 1
}

not_held() { # NS CRONGUARD_ARGS...
	local ns=$1
	shift
	cg_in "$ns" --dry-run "$@" -n t -- /bin/true
	[ "$RC" = 0 ] && has_line vip_held=no "$OUT" && ! grep -q vip_held=yes <<<"$OUT" && return 0
	echo "# rc=$RC stdout: $(tr '\n' ' ' <<<"$OUT") stderr: $ERR"
	return 1
}

# --dry-run may report an error in its output or fail with 125; either way it is not "held".
dry_never_held() { # NS CRONGUARD_ARGS...
	local ns=$1
	shift
	cg_in "$ns" --dry-run "$@" -n t -- /bin/true
	{ [ "$RC" = 0 ] || [ "$RC" = 125 ]; } && ! grep -q vip_held=yes <<<"$OUT" && return 0
	echo "# rc=$RC stdout: $(tr '\n' ' ' <<<"$OUT") stderr: $ERR"
	return 1
}

addr_flag() { # NS DEV ADDR FLAG: does ip(8) show FLAG on the address?
	in_ns "$1" ip -6 addr show dev "$2" | grep -F "inet6 $3/" | grep -qw "$4"
}

oper_up() { # NS DEV (not via /sys: sysfs shows the namespace it was mounted in)
	in_ns "$1" ip -o link show dev "$2" | grep -q 'state UP'
}

ipv6_dad_on() { # NS DEV...: make sure duplicate address detection runs as the kernel default says
	local ns=$1 dev
	shift
	for dev in all default "$@"; do
		in_ns "$ns" sh -c "echo 0 >/proc/sys/net/ipv6/conf/$dev/disable_ipv6 &&
			echo 1 >/proc/sys/net/ipv6/conf/$dev/accept_dad &&
			echo 1 >/proc/sys/net/ipv6/conf/$dev/dad_transmits" 2>/dev/null
	done
}

# ---- held / not held, on lo ----

ns_new main
in_ns main ip addr add 10.0.0.50/32 dev lo
in_ns main ip -6 addr add fd00::50/128 dev lo

check "ipv4 VIP on lo is held" held main 10.0.0.50 lo --vip 10.0.0.50
check "ipv4 VIP given with /32 is held" held main 10.0.0.50 lo --vip 10.0.0.50/32
check "ipv6 VIP on lo is held" held main fd00::50 lo --vip fd00::50
check "ipv6 VIP given with /128 is held" held main fd00::50 lo --vip fd00::50/128
check "absent ipv4 VIP is not held" not_held main --vip 10.0.0.51
check "absent ipv6 VIP is not held" not_held main --vip fd00::51
check "second of two VIPs is held" held main fd00::50 lo --vip 10.0.0.99 --vip fd00::50

# ---- the substring trap ----

ns_new trap
in_ns trap ip addr add 110.0.0.50/32 dev lo
in_ns trap ip addr add 10.0.0.5/32 dev lo
check "110.0.0.50 present, 10.0.0.50 asked: not held" not_held trap --vip 10.0.0.50
check "110.0.0.50 itself is held" held trap 110.0.0.50 lo --vip 110.0.0.50

# ---- a point-to-point peer ----

ns_new peer
in_ns peer ip link add pv0 type veth peer name pv1
in_ns peer ip addr add 10.1.1.1 peer 10.0.0.50/32 dev pv0
check "peer address 10.0.0.50 is not held" not_held peer --vip 10.0.0.50
check "local address 10.1.1.1 of the peer link is held" held peer 10.1.1.1 pv0 --vip 10.1.1.1

# ---- tentative IPv6: the veth's peer is down, so DAD cannot complete ----

ns_new tent
ipv6_dad_on tent
in_ns tent ip link add tv0 type veth peer name tv1
ipv6_dad_on tent tv0
in_ns tent ip link set tv0 up
in_ns tent ip -6 addr add fd00:1::5/64 dev tv0
in_ns tent ip -6 addr add fd00:1::6/64 dev tv0 nodad
if addr_flag tent tv0 fd00:1::5 tentative; then
	check "tentative ipv6 VIP is not held" not_held tent --vip fd00:1::5
else
	not_ok "setup: fd00:1::5 on tv0 is not tentative"
fi
check "same link, nodad: ipv6 VIP is held" held tent fd00:1::6 tv0 --vip fd00:1::6

# ---- DAD-failed IPv6: two namespaces on one link claim the same address ----

ns_new dad1
ns_new dad2
ipv6_dad_on dad1
ipv6_dad_on dad2
in_ns dad1 ip link add dv1 type veth peer name dv2 netns "${NS[dad2]}"
ipv6_dad_on dad1 dv1
ipv6_dad_on dad2 dv2
in_ns dad1 ip link set dv1 up
in_ns dad2 ip link set dv2 up
in_ns dad1 ip -6 addr add fd00:2::9/64 dev dv1 nodad
if wait_for 10 oper_up dad1 dv1 && wait_for 10 oper_up dad2 dv2; then
	in_ns dad2 ip -6 addr add fd00:2::9/64 dev dv2
	if wait_for 20 addr_flag dad2 dv2 fd00:2::9 dadfailed; then
		check "DAD-failed ipv6 VIP is not held" not_held dad2 --vip fd00:2::9
		check "the owner of the duplicated address holds it" held dad1 fd00:2::9 dv1 --vip fd00:2::9
	else
		not_ok "setup: fd00:2::9 on dv2 did not fail DAD within 20s"
	fi
else
	not_ok "setup: veth dv1/dv2 did not come up within 10s"
fi

# ---- --vip-dev ----

in_ns main ip link add mv0 type veth peer name mv1
check "--vip-dev on the right interface: held" held main 10.0.0.50 lo --vip 10.0.0.50 --vip-dev lo
check "--vip-dev on another interface: not held" not_held main --vip 10.0.0.50 --vip-dev mv0
check "--vip-dev naming no interface: --dry-run does not say held" \
	dry_never_held main --vip 10.0.0.50 --vip-dev cgnosuch0

# ---- real runs, --standby ----

RUNS=$T_TMP/runs
STATE=$T_TMP/state
mkdir -p "$STATE"
: >"$RUNS"

# Runs the job once; sets RC, and RAN to 1 if the command ran.
job() { # NS CRONGUARD_ARGS...
	local ns=$1 before
	shift
	before=$(grep -c '' "$RUNS")
	cg_in "$ns" -n t "$@" --state-dir "$STATE" -- sh -c 'echo ran >>"$0"; exit 3' "$RUNS"
	RAN=$(($(grep -c '' "$RUNS") - before))
}

ran_with_3() { [ "$RAN" = 1 ] && [ "$RC" = 3 ]; }
skipped() {
	[ "$RAN" = 0 ] && [ "$RC" = 0 ] && grep -q skipped_standby "$STATE/t.json" 2>/dev/null
}

# An error is neither "held" nor "not held": exit 125, one line on stderr, nothing run,
# with or without --standby.
failed_125() {
	[ "$RAN" = 0 ] && [ "$RC" = 125 ] && [ -n "$ERR" ] && [ "$(grep -c '' <<<"$ERR")" = 1 ] &&
		return 0
	echo "# rc=$RC ran=$RAN stderr: $ERR"
	return 1
}

job main --vip 10.0.0.50 --vip-dev cgnosuch0
check "--vip-dev naming no interface: exit 125, one stderr line, not run" failed_125
job trap --vip 10.0.0.50 --vip-dev cgnosuch0 --standby
check "--vip-dev naming no interface, --standby: exit 125, not run" failed_125
job main --vip 10.0.0.50
check "held: the command runs and its status is cronguard's" ran_with_3
rm -f "$STATE/t.json"
job trap --vip 10.0.0.50
check "not held: the command is skipped, exit 0, state skipped_standby" skipped
rm -f "$STATE/t.json"
job main --vip 10.0.0.50 --standby
check "--standby where the VIP is held: skipped" skipped
job trap --vip 10.0.0.50 --standby
check "--standby where the VIP is not held: the command runs" ran_with_3

# ---- unprivileged: reading addresses needs no privilege ----

# As nobody, from a copy where nobody can reach it: the build tree may be private (a clone in
# a mktemp directory is). Under memcheck the copy is of the binary itself, run natively.
if [ -z "${VIP_SH_IN_USERNS:-}" ] && [ "$(id -u)" = 0 ]; then
	pub=$(mktemp -d /tmp/cg-nobody.XXXXXX) && chmod 755 "$pub" && at_exit "rm -rf '$pub'"
	cp "${CG_MEMCHECK_BINARY:-$CRONGUARD}" "$pub/cronguard"
	OUT=$(in_ns main setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$pub/cronguard" --dry-run --vip 10.0.0.50 -n t -- /bin/true 2>&1)
	check "an unprivileged user sees the VIP" has_line vip_held=yes "$OUT"
fi

# ---- failover drill ----
# Both nodes run the same line at the same time; the VIP (IPv4 in odd rounds, IPv6 in even
# ones) moves between them; exactly one of them must run the command, the holder.

ns_new primary
ns_new standby
DRILL=$T_TMP/drill
: >"$DRILL"
DRILL_STATE=$T_TMP/drill-state
mkdir -p "$DRILL_STATE"
declare -A NETNS_ID=(
	[primary]=$(readlink "/proc/${NS[primary]}/ns/net")
	[standby]=$(readlink "/proc/${NS[standby]}/ns/net")
)

drill_run() { # NS: the one cron line
	in_ns "$1" "$CRONGUARD" -n drill --vip 10.0.0.100 --vip fd00:9::100 \
		--state-dir "$DRILL_STATE" -- sh -c 'readlink /proc/self/ns/net >>"$0"' "$DRILL" \
		>/dev/null 2>>"$T_TMP/drill.err"
}

holds() { # NS ADDR: the kernel's view, through ip(8)'s exact form
	[ -n "$(in_ns "$1" ip -o addr show to "$2")" ]
}

holder=
for round in 1 2 3 4 5 6; do
	old=$holder
	if ((round % 2)); then holder=primary addr=10.0.0.100/32; else holder=standby addr=fd00:9::100/128; fi
	if [ -n "$old" ]; then
		in_ns "$old" ip addr flush dev lo scope global
	fi
	in_ns "$holder" ip addr add "$addr" dev lo
	other=primary
	[ "$holder" = primary ] && other=standby
	if ! holds "$holder" "$addr" || holds "$other" 10.0.0.100/32 || holds "$other" fd00:9::100/128; then
		not_ok "failover round $round: setup"
		continue
	fi
	before=$(grep -c '' "$DRILL")
	drill_run primary &
	p1=$!
	drill_run standby &
	p2=$!
	wait "$p1"
	rc1=$?
	wait "$p2"
	rc2=$?
	new=$(tail -n +$((before + 1)) "$DRILL")
	if [ "$rc1" = 0 ] && [ "$rc2" = 0 ] && [ "$new" = "${NETNS_ID[$holder]}" ]; then
		ok "failover round $round: only $holder ran the command"
	else
		not_ok "failover round $round: holder $holder, exits $rc1/$rc2, ran in: $(tr '\n' ' ' <<<"$new")"
	fi
done

# ---- --vip-watch: a failover during the run stops the command ----

in_ns primary ip addr add 10.0.0.200/32 dev lo
WATCH=$T_TMP/watch
mkdir -p "$WATCH"
in_ns primary "$CRONGUARD" -n watch --vip 10.0.0.200 --vip-watch --kill-after 2s \
	--state-dir "$WATCH" -- sh -c 'echo started >"$0"; sleep 30' "$WATCH/started" \
	>/dev/null 2>"$WATCH/err" &
wpid=$!
if wait_for 10 test -s "$WATCH/started"; then
	t0=$SECONDS
	in_ns primary ip addr del 10.0.0.200/32 dev lo
	wait "$wpid"
	wrc=$?
	check "--vip-watch: the VIP leaves mid-run, the command is stopped (exit 143, $((SECONDS - t0)) s)" \
		test "$wrc" = 143 -a $((SECONDS - t0)) -le "$(t_slow 5)"
	check "--vip-watch: the run is recorded as failed, with the reason" \
		grep -q '"reason": "the VIP left this host during the run (failover)"' "$WATCH/watch.json"
	check "--vip-watch: state failure" grep -q '"state": "failure"' "$WATCH/watch.json"
else
	not_ok "--vip-watch: the command did not start: $(cat "$WATCH/err")"
	kill "$wpid" 2>/dev/null
fi
in_ns primary ip addr add 10.0.0.201/32 dev lo
cg_in primary -n watch2 --vip 10.0.0.201 --vip-watch --state-dir "$WATCH" -- sh -c 'sleep 0.3; exit 0'
check "--vip-watch: a VIP that stays lets the command finish (exit 0)" test "$RC" = 0

# A failover while the run waits for its lock: the last check before the exec sees it, and
# the command is not run at all (an error, 125), instead of started and stopped at once.
in_ns primary ip addr add 10.0.0.202/32 dev lo
(umask 077 && : >"$WATCH/wait.lock")
# (The holder is one process: killing it lets the lock go.)
sh -c 'exec 9>>"$0" && flock -x 9 && exec sleep 30' "$WATCH/wait.lock" &
holder=$!
wait_for 5 sh -c "! flock -n '$WATCH/wait.lock' true"
in_ns primary "$CRONGUARD" -n watch3 --vip 10.0.0.202 --vip-watch --lock-file "$WATCH/wait.lock" \
	--lock-wait 20s --state-dir "$WATCH" -- touch "$WATCH/watch3.ran" >/dev/null 2>"$WATCH/err3" &
wpid=$!
# Past the VIP gate and waiting: cronguard has the lock file open beside its holder.
wait_for "$(t_slow 5)" sh -c "[ \$(find /proc/[0-9]*/fd -lname '$WATCH/wait.lock' 2>/dev/null | wc -l) -ge 2 ]"
in_ns primary ip addr del 10.0.0.202/32 dev lo
kill "$holder"
wait "$holder" 2>/dev/null
wait "$wpid"
wrc=$?
check "--vip-watch: the VIP left during the lock wait: not run, exit 125 (exit $wrc)" \
	test "$wrc" = 125 -a ! -e "$WATCH/watch3.ran"
check "... recorded as an error that says so" eval \
	"grep -q '\"state\": \"error\"' '$WATCH/watch3.json' && grep -q 'the VIP left this host.*before the command started; command not run' '$WATCH/watch3.json'"

done_testing
