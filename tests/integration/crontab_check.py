#!/usr/bin/env python3
"""Checks a crontab rendered by contrib/puppet or contrib/ansible against cronguard_jobs.json.

    crontab_check.py CRONTAB CASES.json user|system
    crontab_check.py CRONTAB run NAME

The second form runs the job line of cronguard job NAME as cron would (its command through
cron's % handling, then /bin/sh -c, PATH=/usr/bin:/bin) and exits with its status.

For every case: the crontab has exactly the expected line (schedule, the user field in the
system format, then the command), and the command, passed through cron's own % handling and
then /bin/sh as cron runs it, gives cronguard exactly the expected argv and CRONGUARD_
environment (a stand-in cronguard on PATH prints them): a setting of one job reaches that
job only. No other job line may be there, and no crontab variable line, since one applies to
every later line. Prints "ok - ..." / "not ok - ..." lines; exits 1 if any check failed.
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


def run_job(path, name):
    """Runs job NAME's line of the user crontab PATH as cron would; returns its status."""
    for l in open(path, encoding="utf-8").read().split("\n"):
        if l.lstrip().startswith("#") or VAR.match(l) or (" -n %s " % name) not in l:
            continue
        fields = l.split(None, 1 if l.startswith("@") else 5)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRONGUARD_")}
        env.update(PATH="/usr/bin:/bin")
        return subprocess.run(["/bin/sh", "-c", cron_command(fields[-1])], env=env).returncode
    print("no job line for %s in %s" % (name, path), file=sys.stderr)
    return 2


def main():
    if sys.argv[2] == "run":
        sys.exit(run_job(sys.argv[1], sys.argv[3]))
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
        f.write("#!/usr/bin/env python3\nimport json, os, sys\n"
                "env = {k: v for k, v in os.environ.items() if k.startswith('CRONGUARD_')}\n"
                "print(json.dumps([sys.argv[1:], env], ensure_ascii=False))\n")
    os.chmod(os.path.join(fake, "cronguard"), 0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRONGUARD_")}
    env.update(PATH=fake + ":/usr/bin:/bin", LC_ALL="C.UTF-8")

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
        command = want[len(c["schedule"] + user) + 1:]
        run = subprocess.run(["/bin/sh", "-c", cron_command(command)], env=env,
                             capture_output=True, text=True)
        try:
            got, got_env = json.loads(run.stdout)
        except ValueError:
            got, got_env = run.stdout + run.stderr, None
        report(got == c["argv"], "%s: cron + sh give cronguard exactly %s%s" % (
            c["name"], json.dumps(c["argv"], ensure_ascii=False),
            "" if got == c["argv"] else "; got " + json.dumps(got, ensure_ascii=False)))
        want_env = c.get("env", {})
        report(got_env == want_env, "%s: and exactly the environment %s%s" % (
            c["name"], json.dumps(want_env, ensure_ascii=False),
            "" if got_env == want_env else "; got " + json.dumps(got_env, ensure_ascii=False)))
    extra = [l for i, l in jobs if i not in seen]
    report(not extra, "no other job line%s" % ("".join("\n#   " + l for l in extra)))
    variables = [l for l in lines if VAR.match(l)]
    report(not variables, "no crontab variable line, which would apply to every later line%s" % (
        "".join("\n#   " + l for l in variables)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
