#!/bin/bash
# System test of contrib/puppet (the cronguard::job define): `puppet apply` with the real
# cron type (Debian's puppet and puppet-module-puppetlabs-cron-core) renders the cases of
# cronguard_jobs.json into a crontab in a temporary directory, through a stand-in crontab(1)
# first on PATH: Puppet's crontab provider runs plain `crontab -l` / `crontab -` for the user
# it runs as, so nothing touches a real crontab. Then:
# - each job line is exactly the line a person would write, and cron + sh hand cronguard
#   exactly the intended argv (crontab_check.py);
# - Debian's crontab -n (a dry run) accepts the file;
# - a second run changes nothing; a job name cronguard would refuse fails the catalog;
# - the string form, rendered as --command '...', run as cron runs it with this cronguard:
#   the pipeline runs inside the guard, a failing first stage fails, a skipped standby leaves
#   the redirection's file untouched; --splay-slot; lint finds nothing outside the guard;
#   cron's own variables (MAILTO) are refused rather than leaked to later lines.
# Exit status: 0 all passed, 1 a check failed, 77 puppet cannot be had (a failure under CI=true).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=tests/integration/fleet_lib.sh
. "$top/tests/integration/fleet_lib.sh"

need_tool puppet puppet
# Puppet 6 and later keep the cron type in a module of its own.
need_file /usr/share/puppet/modules/cron_core/metadata.json puppet-module-puppetlabs-cron-core
need_file /usr/bin/crontab cron

CASES=$top/tests/integration/cronguard_jobs.json
mkdir -p "$T_TMP/bin" "$T_TMP/puppet"
export FAKE_CRONTAB=$T_TMP/crontab
cat >"$T_TMP/bin/crontab" <<'EOF'
#!/bin/sh
# A stand-in for crontab(1): the current user's crontab is the file $FAKE_CRONTAB.
case "$1" in
-l) [ -f "$FAKE_CRONTAB" ] && exec cat "$FAKE_CRONTAB"; echo "no crontab for $(id -un)" >&2; exit 1 ;;
-r) rm -f "$FAKE_CRONTAB" ;;
-) cat >"$FAKE_CRONTAB" ;;
*) echo "crontab stand-in: unexpected arguments: $*" >&2; exit 2 ;;
esac
EOF
chmod 755 "$T_TMP/bin/crontab"

# The cases as cronguard::job declarations (Puppet single-quoted strings: \\ and \' escaped).
python3 - "$CASES" "$(id -un)" >"$T_TMP/site.pp" <<'EOF'
import json, sys
cases, user = json.load(open(sys.argv[1])), sys.argv[2]
def lit(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(lit(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join("%s => %s" % (lit(k), lit(x)) for k, x in v.items()) + "}"
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
for c in cases:
    s = dict(c["settings"], user=user)
    if "environment" in s:
        s["environment"] = ["%s=%s" % kv for kv in s["environment"].items()]
    print("cronguard::job { %s:" % lit(c["name"]))
    for k, v in s.items():
        print("  %s => %s," % (k, lit(v)))
    print("}")
EOF
PUPPET=(puppet apply --detailed-exitcodes --color=false --vardir="$T_TMP/puppet/var"
	--confdir="$T_TMP/puppet/etc" --codedir="$T_TMP/puppet/code" --logdir="$T_TMP/puppet/log"
	--rundir="$T_TMP/puppet/run" --publicdir="$T_TMP/puppet/public" --modulepath="$top/contrib/puppet:/usr/share/puppet/modules")
# Puppet writes a crontab in the locale's encoding: a non-ASCII word needs a UTF-8 locale
# (under C, the write fails with "U+00FC from UTF-8 to US-ASCII"; the README says so).
# Run as another user than root, Puppet keeps its files under ~/.puppet: a temporary HOME.
mkdir -p "$T_TMP/home"
export HOME=$T_TMP/home
papply() { # MANIFEST: sets RC; the output in $T_TMP/puppet.out, without Facter's container noise
	PATH="$T_TMP/bin:$PATH" LC_ALL=C.UTF-8 "${PUPPET[@]}" "$1" 2>&1 |
		grep -v 'Facter: Permission denied' >"$T_TMP/puppet.out"
	RC=${PIPESTATUS[0]}
}

papply "$T_TMP/site.pp"
# --detailed-exitcodes: 2 means changes were applied and nothing failed.
check "puppet apply of $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$CASES") cronguard::job resources (exit $RC)" test "$RC" = 2
[ "$RC" = 2 ] || sed 's/^/#   /' "$T_TMP/puppet.out"
sed 's/^/# crontab: /' "$FAKE_CRONTAB"
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done < <(python3 "$top/tests/integration/crontab_check.py" "$FAKE_CRONTAB" "$CASES" user)
check "Debian's crontab -n accepts the rendered crontab" \
	sh -c "/usr/bin/crontab -n '$FAKE_CRONTAB' >'$T_TMP/crontab-n.out' 2>&1 || { cat '$T_TMP/crontab-n.out'; false; }"

cp "$FAKE_CRONTAB" "$T_TMP/crontab.first"
papply "$T_TMP/site.pp"
check "a second puppet apply changes nothing (exit $RC)" \
	sh -c "[ $RC = 0 ] && cmp -s '$T_TMP/crontab.first' '$FAKE_CRONTAB'"
[ "$RC" = 0 ] || sed 's/^/#   /' "$T_TMP/puppet.out"

# ---- The string form for real: the rendered lines, run as cron runs them, with this
# cronguard (issue 15 #1 and #4).
export FAKE_CRONTAB=$T_TMP/crontab.run
mkdir -p "$T_TMP/state"
echo keep >"$T_TMP/standby.out"
cat >"$T_TMP/run.pp" <<EOF
cronguard::job { 'pipe':
  command => 'printf "a\\\\n" | tr a A > $T_TMP/pipe.out && date +%F >> $T_TMP/pipe.out',
  options => ['--state-dir', '$T_TMP/state'],
  binary  => '$CRONGUARD',
}
cronguard::job { 'firstfails':
  command => 'false | cat',
  options => ['--state-dir', '$T_TMP/state'],
  binary  => '$CRONGUARD',
}
cronguard::job { 'standby':
  command => 'echo x > $T_TMP/standby.out',
  vip     => ['192.0.2.77'],
  options => ['--state-dir', '$T_TMP/state'],
  binary  => '$CRONGUARD',
}
cronguard::job { 'slotted':
  command    => 'true',
  splay      => '10m',
  splay_slot => '3/10',
  options    => ['--dry-run'],
  binary     => '$CRONGUARD',
}
EOF
papply "$T_TMP/run.pp"
check "puppet apply of the string-form jobs (exit $RC)" test "$RC" = 2
[ "$RC" = 2 ] || sed 's/^/#   /' "$T_TMP/puppet.out"
sed 's/^/# crontab: /' "$FAKE_CRONTAB"
check_string_jobs splay_slot

# cron's own variables can only be crontab lines, which apply to every later job: refused.
printf "cronguard::job { 'quiet': command => '/bin/true', environment => ['MAILTO='] }\n" >"$T_TMP/mailto.pp"
papply "$T_TMP/mailto.pp"
check "environment: cron's MAILTO is refused, not made a line for every later job" \
	sh -c "[ $RC = 1 ] && grep -q 'MAILTO is cron' '$T_TMP/puppet.out'"

printf "cronguard::job { 'bad name': command => '/bin/true' }\n" >"$T_TMP/bad.pp"
papply "$T_TMP/bad.pp"
check "a job name cronguard would refuse fails the catalog" \
	sh -c "[ $RC = 1 ] && grep -q 'job.*expects a match for Pattern' '$T_TMP/puppet.out'"

done_testing
