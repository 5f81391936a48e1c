#!/usr/bin/env bash
# The local run's fast path (issue 17): a run with only the local reports maps no library but
# libc (libjansson and libmnl are loaded on first use: --vip loads libmnl), and its syslog line
# is one datagram to /dev/log as syslog(3) sent it, less the timestamp: "<PRI>cronguard[PID]: "
# and the same key=value line, facility cron. /dev/log is a receiver of our own, bind-mounted
# over the machine's in a private mount namespace.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root: a private mount namespace for /dev/log"
{ command -v unshare && command -v python3; } >/dev/null || skip_all "needs unshare and python3"

W=$(mktemp -d /tmp/cg-fast.XXXXXX) && at_exit "rm -rf '$W'"
S=$W/state
mkdir -m 700 "$S"
export CRONGUARD_STATE_DIR=$S
: >"$W/empty.conf"
chmod 600 "$W/empty.conf"
export CRONGUARD_CONFIG="$W/empty.conf"

# --- libraries ------------------------------------------------------------------------------
libs=$(ldd "$CRONGUARD" 2>/dev/null)
check "the program is linked against neither libjansson, libmnl nor libcurl" \
	sh -c "! grep -qE 'libjansson|libmnl|libcurl' <<'E'
$libs
E"

# proc_while_running FILE ARGS...: /proc/PID/FILE of cronguard while its command (sleep) runs.
proc_while_running() {
	local file=$1 pid child maps=
	shift
	"$CRONGUARD" "$@" -- sleep 3 >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq $((100 * T_SLOW))); do
		# Its children: the command and, with a lock, the keeper that holds it.
		for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
			if [ "$(cat "/proc/$child/comm" 2>/dev/null)" = sleep ]; then
				maps=$(cat "/proc/$pid/$file")
				break 2
			fi
		done
		sleep 0.05
	done
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	printf '%s\n' "$maps"
}
M=$(proc_while_running maps -n fp-maps --lock-file "$W/fp.lock")
check "a local run maps libc" grep -q 'libc\.so' <<<"$M"
check "a local run maps neither libjansson nor libmnl" sh -c "! grep -qE 'libjansson|libmnl' <<'E'
$M
E"
M=$(proc_while_running maps -n fp-vip --vip 127.0.0.1 --lock-file "$W/fp.lock")
check "--vip maps libmnl (loaded when the kernel is asked)" grep -q 'libmnl' <<<"$M"
check "--vip does not map libjansson" sh -c "! grep -q libjansson <<'E'
$M
E"

# --- the syslog line ------------------------------------------------------------------------
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
with open(sys.argv[2], "ab") as f:
    while True:
        f.write(s.recv(65536) + b"\n")
        f.flush()' "$W/log" "$W/received" >"$W/receiver.out" 2>&1 &
RECEIVER=$!
at_exit "kill $RECEIVER 2>/dev/null"
wait_for 10 grep -q ready "$W/receiver.out" || bail_out "the test's /dev/log receiver did not start"

# logged ARGS...: run cronguard with our /dev/log; prints its pid. (The inner script's
# expansions are its own.)
# shellcheck disable=SC2016
logged() {
	"$WITH_DEVLOG" "$W/log" sh -c 'echo $$ && exec "$@"' sh "$CRONGUARD" "$@" 2>>"$W/cg.err"
}
PID1=$(logged -n fp-fail --label team=ops --lock-file "$W/fp.lock" -- sh -c 'exit 3')
PID2=$(logged -n fp-ok --lock-file "$W/fp.lock" -- true)
has_lines() { [ "$(wc -l <"$W/received" 2>/dev/null)" -ge 2 ]; }
wait_for 10 has_lines
RX=$(cat "$W/received" 2>/dev/null)
check "a failure: <75> (cron.err), the pid, the key=value line, no timestamp" \
	grep -qE "^<75>cronguard\[$PID1\]: job=fp-fail host=[^ ]+ state=failure exit=3 duration=[0-9]+\.[0-9]{3}( maxrss_kb=[0-9]+)? run_id=[0-9a-f-]{36} lateness=-?[0-9]+\.[0-9]{3} team=ops\$" <<<"$RX"
check "a success: <77> (cron.notice)" \
	grep -qE "^<77>cronguard\[$PID2\]: job=fp-ok host=[^ ]+ state=success exit=0 duration=[0-9]+\.[0-9]{3}( maxrss_kb=[0-9]+)? run_id=[0-9a-f-]{36} lateness=-?[0-9]+\.[0-9]{3}\$" <<<"$RX"
check "the line's run id is the state file's" \
	grep -q "run_id=$(json_get "$S/fp-fail.json" 'd["last_run"]["run_id"]') " <<<"$RX"
[ -s "$W/cg.err" ] && sed 's/^/# /' "$W/cg.err"

# --- the state file, hand-edited ------------------------------------------------------------
printf '{"runs": 4, "consecutive_failures": 1, "note": [1, 2.50],\n "last_success": {"start": 1700000000.25, "state": "success", "by": "hand \\u00e9"}}' >"$S/fp-hand.json"
cg -n fp-hand --lock-file "$W/fp.lock" -- false
check "a hand-edited state file is continued: runs 5, failures 2" \
	[ "$(json_get "$S/fp-hand.json" '(d["runs"], d["consecutive_failures"])')" = "(5, 2)" ]
check "its last success is carried over whole, keys sorted" \
	grep -qzE '"last_success": \{
    "by": "hand é",
    "start": 1700000000.25,
    "state": "success"
  \}' "$S/fp-hand.json"
printf '{"runs": 4, "last_success": {"start": 1' >"$S/fp-hand.json"
cg -n fp-hand --lock-file "$W/fp.lock" -- true
check "a truncated state file: a warning, and the run is saved" \
	sh -c "grep -q 'was unreadable (not a JSON document)' '$ERR_FILE' && grep -q '\"state\": \"success\"' '$S/fp-hand.json'"

# --- the config file: read through a small buffer, only the job's lines kept ------------------
# A run reads its own section of a 1,000,000-byte config (24,000 other sections around it)
# without holding the file: the peak of its address space (VmPeak, which unlike the resident
# set does not move with the page cache) is that of a run with an empty config, give or take
# a heap step, where reading the file whole added megabytes.
python3 - "$W/big.conf" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("# the fleet's jobs\n")
    i = 0
    while f.tell() < 999_000:
        if i == 12_000:
            f.write("[fp-big]\ntimeout = 7m\n\n")
        f.write("[job%05d]\ntimeout = 1h\n\n" % i)
        i += 1
PY
chmod 600 "$W/big.conf"
vmpeak_kb() { proc_while_running status "$@" | awk '/^VmPeak:/ { print $2 }'; }
check "the job's section is found in the middle of a 1 MB config" \
	sh -c "'$CRONGUARD' -c '$W/big.conf' -n fp-big --dry-run -- true | grep -qx timeout_ms=420000"
# (Under valgrind the address space is valgrind's own.)
if ! in_memcheck; then
	E_KB=$(vmpeak_kb -c "$W/empty.conf" -n fp-big --no-syslog)
	B_KB=$(vmpeak_kb -c "$W/big.conf" -n fp-big --no-syslog)
	check "a 1 MB config adds less than 256 KiB to the run's peak address space ($E_KB -> $B_KB KiB)" \
		test -n "$E_KB" -a -n "$B_KB" -a "${B_KB:-0}" -lt $((${E_KB:-0} + 256))
fi
printf '[fp-big]\nbogus = 1\n' >>"$W/big.conf"
L=$(wc -l <"$W/big.conf")
cg -n fp-big -c "$W/big.conf" -- true
check "a mistake in the job's section at the end is still found, at its line ($L)" \
	sh -c "[ $RC -eq 125 ] && grep -q 'big.conf:$L: unknown key .bogus.' '$ERR_FILE'"

done_testing
