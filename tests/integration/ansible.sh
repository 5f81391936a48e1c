#!/bin/bash
# System test of contrib/ansible (the cronguard role): ansible-playbook -i localhost, -c local
# applies the role with the cases of cronguard_jobs.json (the same as the Puppet test's), using
# ansible.builtin.cron for real, into crontabs in a temporary directory:
# - the user's crontab, through a stand-in crontab(1) first on PATH (the cron module runs the
#   crontab it finds on PATH, without -u for the user it runs as): each job line is exactly the
#   line a person would write, and cron + sh hand cronguard exactly the intended argv
#   (crontab_check.py); Debian's crontab -n accepts the file; a second run changes nothing;
# - check mode with --diff writes nothing and shows the same lines;
# - cronguard_cron_file: the same lines in the system format (user field), in a cron.d file;
# - the string form, rendered as --command '...', run as cron runs it with this cronguard:
#   the pipeline runs inside the guard, a failing first stage fails, a skipped standby leaves
#   the redirection's file untouched; the splay slot; lint finds nothing outside the guard;
#   cronguard_environment goes on the cronguard lines, never on crontab variable lines, and
#   cron's own variables (MAILTO) are refused;
# - a job name cronguard would refuse stops the play.
# Exit status: 0 all passed, 1 a check failed, 77 ansible cannot be had (a failure under CI=true).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=tests/integration/fleet_lib.sh
. "$top/tests/integration/fleet_lib.sh"

need_tool ansible-playbook ansible-core
need_file /usr/bin/crontab cron

CASES=$top/tests/integration/cronguard_jobs.json
USER_NAME=$(id -un)
mkdir -p "$T_TMP/bin" "$T_TMP/ansible"
export FAKE_CRONTAB=$T_TMP/crontab
cat >"$T_TMP/bin/crontab" <<'EOF'
#!/bin/sh
# A stand-in for crontab(1): the current user's crontab is the file $FAKE_CRONTAB.
case "$1" in
-l) [ -f "$FAKE_CRONTAB" ] && exec cat "$FAKE_CRONTAB"; echo "no crontab for $(id -un)" >&2; exit 1 ;;
-r) rm -f "$FAKE_CRONTAB" ;;
-*) echo "crontab stand-in: unexpected arguments: $*" >&2; exit 2 ;;
*) cat "$1" >"$FAKE_CRONTAB" ;;
esac
EOF
chmod 755 "$T_TMP/bin/crontab"

# The cases as role variables; EXTRA (JSON) is merged in.
vars() { # EXTRA-JSON
	python3 - "$CASES" "$USER_NAME" "$1" <<'EOF'
import json, sys
cases, user, extra = json.load(open(sys.argv[1])), sys.argv[2], json.loads(sys.argv[3])
jobs = []
rename = {"monthday": "day", "special": "special_time"}
for c in cases:
    job = {"name": c["name"], "user": user}
    for k, v in c["settings"].items():
        job[rename.get(k, k)] = v
    jobs.append(job)
print(json.dumps(dict({"cronguard_jobs": jobs}, **extra)))
EOF
}
cat >"$T_TMP/play.yml" <<'EOF'
- hosts: localhost
  gather_facts: false
  roles:
    - cronguard
EOF
# Everything Ansible keeps goes to the temporary directory, not to ~/.ansible.
mkdir -p "$T_TMP/home"
export HOME=$T_TMP/home ANSIBLE_ROLES_PATH=$top/contrib/ansible/roles ANSIBLE_HOME=$T_TMP/ansible \
	ANSIBLE_LOCAL_TEMP=$T_TMP/ansible/tmp ANSIBLE_REMOTE_TEMP=$T_TMP/ansible/remote \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_DEPRECATION_WARNINGS=0 \
	ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0
play() { # EXTRA-JSON [ansible-playbook options...]: sets RC; the output in $T_TMP/play.out
	local extra=$1
	shift
	vars "$extra" >"$T_TMP/vars.json"
	# Ansible refuses to run under a locale that is not UTF-8 (tests/lib.sh sets C).
	PATH="$T_TMP/bin:$PATH" LC_ALL=C.UTF-8 ansible-playbook -i localhost, -c local -e "@$T_TMP/vars.json" "$@" \
		"$T_TMP/play.yml" >"$T_TMP/play.out" 2>&1
	RC=$?
}
recap() { grep -E '^localhost +:' "$T_TMP/play.out" | sed 's/  */ /g'; }
relay() { # the checker's lines as this script's own
	while IFS= read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done
}

# ---- Check mode first: nothing may be written, the diff shows the lines.
play '{}' --check --diff
check "check mode with --diff succeeds and writes no crontab ($(recap))" \
	sh -c "[ $RC = 0 ] && [ ! -e '$FAKE_CRONTAB' ]"
cat >"$T_TMP/diff.py" <<'EOF'
import json, sys
cases, out = json.load(open(sys.argv[1])), open(sys.argv[2], encoding="utf-8").read()
for c in cases:
    line = "+" + c["schedule"] + " " + c["command"]
    print(("ok - " if line in out.split("\n") else "not ok - ") + "the --diff shows %s's line" % c["name"])
EOF
relay < <(python3 "$T_TMP/diff.py" "$CASES" "$T_TMP/play.out")

# ---- The user's crontab.
play '{}'
check "ansible-playbook applies the role ($(recap))" test "$RC" = 0
[ "$RC" = 0 ] || sed 's/^/#   /' "$T_TMP/play.out" | tail -n 30
sed 's/^/# crontab: /' "$FAKE_CRONTAB"
relay < <(python3 "$top/tests/integration/crontab_check.py" "$FAKE_CRONTAB" "$CASES" user)
check "Debian's crontab -n accepts the rendered crontab" \
	sh -c "/usr/bin/crontab -n '$FAKE_CRONTAB' >'$T_TMP/crontab-n.out' 2>&1 || { cat '$T_TMP/crontab-n.out'; false; }"
cp "$FAKE_CRONTAB" "$T_TMP/crontab.first"
play '{}'
check "a second run changes nothing ($(recap))" \
	sh -c "[ $RC = 0 ] && grep -Eq 'changed=0 ' '$T_TMP/play.out' && cmp -s '$T_TMP/crontab.first' '$FAKE_CRONTAB'"

# ---- A cron.d file: the system format, with the user field.
mkdir -p "$T_TMP/cron.d"
play "{\"cronguard_cron_file\": \"$T_TMP/cron.d/cronguard\"}"
check "cronguard_cron_file: the role writes $T_TMP/cron.d/cronguard ($(recap))" \
	sh -c "[ $RC = 0 ] && [ -s '$T_TMP/cron.d/cronguard' ]"
sed "s/^/# cron.d: /" "$T_TMP/cron.d/cronguard"
python3 - "$CASES" "$USER_NAME" >"$T_TMP/cases.system.json" <<'EOF'
import json, sys
cases = json.load(open(sys.argv[1]))
for c in cases:
    c["user"] = sys.argv[2]
print(json.dumps(cases))
EOF
relay < <(python3 "$top/tests/integration/crontab_check.py" "$T_TMP/cron.d/cronguard" \
	"$T_TMP/cases.system.json" system | sed 's/^\(\(not \)\{0,1\}ok - \)/\1cron.d: /')

# ---- The string form for real: the rendered lines, run as cron runs them, with this
# cronguard (issue 15 #1 and #4); cronguard_environment and cronguard_splay_slot on the lines.
export FAKE_CRONTAB=$T_TMP/crontab.run
mkdir -p "$T_TMP/state"
echo keep >"$T_TMP/standby.out"
python3 - "$T_TMP" "$CRONGUARD" >"$T_TMP/run.json" <<'EOF'
import json, sys
tmp, binary = sys.argv[1:3]
print(json.dumps({
    "cronguard_binary": binary,
    "cronguard_environment": {"CRONGUARD_STATE_DIR": tmp + "/state"},
    "cronguard_splay_slot": "3/10",
    "cronguard_jobs": [
        {"name": "pipe", "command": 'printf "a\\n" | tr a A > %s/pipe.out && date +%%F >> %s/pipe.out' % (tmp, tmp)},
        {"name": "firstfails", "command": "false | cat"},
        {"name": "standby", "command": "echo x > %s/standby.out" % tmp, "vip": ["192.0.2.77"]},
        {"name": "slotted", "command": "true", "splay": "10m", "options": ["--dry-run"]},
        {"name": "ownslot", "command": "true", "splay": "10m", "splay_slot": "9/10", "options": ["--dry-run"]},
    ]}))
EOF
play "$(cat "$T_TMP/run.json")"
check "ansible-playbook applies the string-form jobs ($(recap))" test "$RC" = 0
[ "$RC" = 0 ] || sed 's/^/#   /' "$T_TMP/play.out" | tail -n 30
sed 's/^/# crontab: /' "$FAKE_CRONTAB"
check_string_jobs cronguard_splay_slot
check "string form: the pipeline job kept its state file" test -s "$T_TMP/state/pipe.json"
ms=$(runjob ownslot | sed -n 's/^splay_ms=//p')
check "a job's splay_slot wins over cronguard_splay_slot (splay_ms=$ms)" \
	sh -c "[ '$ms' -ge 540000 ] && [ '$ms' -lt 600000 ]"
check "no crontab variable line: cronguard_environment is on the cronguard lines only" \
	sh -c "! grep -Eq '^[A-Za-z_][A-Za-z0-9_]* *=' '$FAKE_CRONTAB' && [ \$(grep -c '^\\* \\* \\* \\* \\* CRONGUARD_STATE_DIR=' '$FAKE_CRONTAB') = 5 ]"

# cron's own variables can only be crontab lines, which apply to every later job: refused.
cp "$FAKE_CRONTAB" "$T_TMP/crontab.before"
play '{"cronguard_jobs": [{"name": "quiet", "command": "/bin/true", "environment": {"MAILTO": ""}}]}'
check "environment: cron's MAILTO is refused, not made a line for every later job (exit $RC)" \
	sh -c "[ $RC != 0 ] && grep -q \"cron's own variables\" '$T_TMP/play.out' && cmp -s '$T_TMP/crontab.before' '$FAKE_CRONTAB'"

# ---- A bad job name stops the play before any crontab is touched.
cp "$FAKE_CRONTAB" "$T_TMP/crontab.before"
play '{"cronguard_jobs": [{"name": "bad name", "command": "/bin/true"}]}'
check "a job name cronguard would refuse stops the play (exit $RC)" \
	sh -c "[ $RC != 0 ] && grep -q \"bad entry 'bad name'\" '$T_TMP/play.out' && cmp -s '$T_TMP/crontab.before' '$FAKE_CRONTAB'"

done_testing
