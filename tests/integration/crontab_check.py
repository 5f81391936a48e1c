#!/usr/bin/env python3
"""Checks a crontab rendered by contrib/puppet or contrib/ansible against cronguard_jobs.json.

    crontab_check.py CRONTAB CASES.json user|system

For every case: the crontab has exactly the expected line (schedule, the user field in the
system format, then the command), its variable lines come before it, and the command, passed
through cron's own % handling and then /bin/sh as cron runs it, gives cronguard exactly the
expected argv (a stand-in cronguard on PATH prints its arguments). No other job line may be
there. Prints "ok - ..." / "not ok - ..." lines; exits 1 if any check failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

VAR = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=")


def cron_command(cmd):
    """What cron hands to sh: "\\%" becomes "%", and a bare "%" ends the command (the rest
    would be its standard input). The same loop as cron's do_command.c."""
    out, escaped = [], False
    for ch in cmd:
        if escaped:
            if ch == "%":
                out[-1] = "%"
            else:
                out.append(ch)
            escaped = False
            continue
        if ch == "%":
            break
        escaped = ch == "\\"
        out.append(ch)
    return "".join(out)


def main():
    path, cases_path, fmt = sys.argv[1:4]
    cases = json.load(open(cases_path))
    try:
        lines = open(path, encoding="utf-8").read().split("\n")
    except OSError as e:
        print("not ok - no crontab to check: %s" % e)
        sys.exit(1)
    jobs = [(i, l) for i, l in enumerate(lines) if l.strip() and not l.lstrip().startswith("#") and not VAR.match(l)]
    failed = 0

    def report(good, what):
        nonlocal failed
        print(("ok - " if good else "not ok - ") + what)
        failed += not good

    fake = tempfile.mkdtemp()
    with open(os.path.join(fake, "cronguard"), "w") as f:
        f.write("#!/usr/bin/env python3\nimport json, sys\nprint(json.dumps(sys.argv[1:], ensure_ascii=False))\n")
    os.chmod(os.path.join(fake, "cronguard"), 0o755)
    env = dict(os.environ, PATH=fake + ":/usr/bin:/bin", LC_ALL="C.UTF-8")

    seen = set()
    for c in cases:
        user = " " + c.get("user", "root") if fmt == "system" else ""
        want = c["schedule"] + user + " " + c["command"]
        at = [i for i, l in jobs if l == want]
        if len(at) != 1:
            near = [l for _, l in jobs if " -n %s " % c["name"] in l]
            report(False, "%s: the line, exactly once (%d times); want:\n#   %s\n# near:\n%s" % (
                c["name"], len(at), want, "\n".join("#   " + l for l in near)))
            continue
        report(True, "%s: exactly the line %s" % (c["name"], want))
        seen.add(at[0])
        # Variable lines as cron reads them: NAME = VALUE, the value maybe quoted.
        seen_vars = set()
        for l in lines[:at[0]]:
            m = re.match(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", l)
            if m:
                v = m.group(2)
                if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
                    v = v[1:-1]
                seen_vars.add(m.group(1) + "=" + v)
        for var in c.get("env_before", []):
            report(var in seen_vars, "%s: %s comes before its line" % (c["name"], var))
        command = want[len(c["schedule"] + user) + 1:]
        run = subprocess.run(["/bin/sh", "-c", cron_command(command)], env=env,
                             capture_output=True, text=True)
        try:
            got = json.loads(run.stdout)
        except ValueError:
            got = run.stdout + run.stderr
        report(got == c["argv"], "%s: cron + sh give cronguard exactly %s%s" % (
            c["name"], json.dumps(c["argv"], ensure_ascii=False),
            "" if got == c["argv"] else "; got " + json.dumps(got, ensure_ascii=False)))
    extra = [l for i, l in jobs if i not in seen]
    report(not extra, "no other job line%s" % ("".join("\n#   " + l for l in extra)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
