#!/usr/bin/env bash
# System tests of what makes failures loud: configuration errors in syslog, --quiet's summary
# line, --status as a check (exit codes, JSON, --max-age, --forget) and --min-duration.
. "${top_srcdir:-.}/tests/lib.sh"

export CRONGUARD_STATE_DIR="$T_TMP/state"
export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
chmod 600 "$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"

# --- configuration errors reach syslog (facility cron, level err) ---------------------------
# A datagram socket of our own is bound over /dev/log in a private mount namespace, so the
# machine's syslog never sees these lines and we see exactly what cronguard sent.
cat >"$T_TMP/capture.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(65536).decode("utf-8", "replace") + "\n")
        f.flush()
PY
# in_logns CMD...: CMD in a private mount namespace whose /dev/log is our socket.
in_logns() {
	unshare -m --propagation private sh -c '
		if [ -e /dev/log ] || [ -L /dev/log ]; then
			mount --bind "$0" /dev/log || exit 99
		else
			mount -t tmpfs tmpfs /dev && touch /dev/null /dev/log &&
			mount --bind /proc/1/root/dev/null /dev/null && mount --bind "$0" /dev/log || exit 99
		fi
		exec "$@"' "$SOCK" "$@"
}
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip_all "needs root and mount namespaces"
fi
SOCK=$T_TMP/log.sock
SYSLOG=$T_TMP/syslog
: >"$SYSLOG"
start_bg "$T_TMP/capture.out" python3 "$T_TMP/capture.py" "$SOCK" "$SYSLOG"
wait_for 10 grep -q ready "$T_TMP/capture.out" || bail_out "syslog capture starts"

printf 'lock = yes\nlokc-wait = 5s\n' >"$T_TMP/typo.conf"
chmod 600 "$T_TMP/typo.conf"
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" -c "$T_TMP/typo.conf" -n backup -- true \
	2>"$T_TMP/typo.err"
rc=$?
check "a config typo: exit 125" [ "$rc" -eq 125 ]
check "a config typo: one stderr line with FILE:LINE" grep -qF "$T_TMP/typo.conf:2: unknown key 'lokc-wait'" "$T_TMP/typo.err"
has_line() { grep -F "$1" "$SYSLOG" | grep -qF "$2"; }
check "a config typo reaches syslog at cron.err (<75>), naming FILE:LINE and the job" \
	wait_for 5 has_line "job backup: configuration error: $T_TMP/typo.conf:2: unknown key 'lokc-wait'" "<75>"
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" --timeout 5x -- true 2>/dev/null
check "a bad value on the command line also reaches syslog (the job from the command)" \
	wait_for 5 has_line "job true: configuration error: --timeout: " "<75>"
in_logns "$CRONGUARD" --no-syslog --timeout 5x -n quiet -- true 2>/dev/null
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" -n ok -- true 2>/dev/null
check "a good run logs its line" wait_for 5 has_line "job=ok" "state=success"
check "--no-syslog, when read, keeps a configuration error out of syslog" [ -z "$(grep -F 'job quiet' "$SYSLOG")" ]

# --- --quiet: one summary line after the held output of a run that did not succeed -----------
cg -n q -q -- sh -c 'exit 5'
check "-q, a silent exit 5: one summary line on stderr, so cron mails it" \
	[ "$RC" -eq 5 -a -z "$OUT" -a "$(wc -l <"$ERR_FILE")" -eq 1 ]
check "-q, exit 5: the line says state, exit status and duration" \
	grep -qE '^cronguard: job q: failure, exit 5, ran [0-9]+\.[0-9]{3} s$' "$ERR_FILE"
cg -n q -q -- sh -c 'echo out; echo err >&2; exit 3'
check "-q: the held output first, the summary last" \
	[ "$OUT" = out -a "$(head -n 1 "$ERR_FILE")" = err -a "$(wc -l <"$ERR_FILE")" -eq 2 ]
check "-q: ... the last line is the summary" grep -qE '^cronguard: job q: failure, exit 3, ran ' <(tail -n 1 "$ERR_FILE")
cg -n q -q --timeout 300ms -- sh -c 'echo partial; sleep 10'
check "-q, killed by --timeout: partial output, then a line that says so" \
	[ "$RC" -eq 124 -a "$OUT" = partial ]
check "-q, timeout: the line says killed after --timeout, the signal and exit 124" \
	grep -qE '^cronguard: job q: timeout, killed after --timeout 300ms, signal 15 \(Terminated\), exit 124, ran 0\.[0-9]{3} s$' "$ERR_FILE"
cg -n q -q -- sh -c 'kill -KILL $$'
check "-q, killed by a signal: the line names it" \
	grep -qE '^cronguard: job q: signaled, signal 9 \(Killed\), exit 137, ran ' "$ERR_FILE"
cg -n q -q -- sh -c 'echo fine'
check "-q: a success stays silent" [ "$RC" -eq 0 -a -z "$OUT" -a -z "$ERR" ]
cg -n q -q --lock-file "$T_TMP/q.lock" -- true
flock "$T_TMP/q.lock" "$CRONGUARD" -n q -q --lock-file "$T_TMP/q.lock" -- true >"$T_TMP/skip.out" 2>&1
check "-q: a skip stays silent (no summary for a run that did not run)" [ ! -s "$T_TMP/skip.out" ]

done_testing
