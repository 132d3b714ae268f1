#!/usr/bin/env python3
"""unit-syscalls.py UNIT STRACE-OUTPUT - the system calls a process made
that the unit's SystemCallFilter= would not let through

Reads every SystemCallFilter= line of UNIT in order, as systemd merges them
(systemd.exec(5)): the first line sets the mode (an allow list unless it
starts with "~"), later lines add to or take from the set; groups (@name)
are expanded with `systemd-analyze syscall-filter`, recursively; execve,
exit, exit_group, getrlimit, rt_sigreturn, sigreturn and the time and
sleep calls are always allowed. STRACE-OUTPUT is `strace -f -o` output.
Prints each call that would be refused (one per line, with a count) and
exits 1 when there is one, 0 when all are allowed, 2 on bad input.
"""
import re
import subprocess
import sys

ALWAYS = {"execve", "exit", "exit_group", "getrlimit", "rt_sigreturn",
          "sigreturn", "clock_gettime", "clock_getres", "gettimeofday",
          "time", "nanosleep", "clock_nanosleep"}
_groups = {}


def expand(name):
    if not name.startswith("@"):
        return {name}
    if name not in _groups:
        out = subprocess.run(["systemd-analyze", "syscall-filter", name],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit("unit-syscalls: systemd-analyze syscall-filter %s: %s"
                     % (name, out.stderr.strip()))
        calls = set()
        for line in out.stdout.splitlines()[1:]:
            w = line.strip()
            if w and not w.startswith("#"):
                calls |= expand(w)
        _groups[name] = calls
    return _groups[name]


def allowed_set(unit):
    allow, mode = set(), None
    with open(unit) as f:
        for line in f:
            m = re.match(r"\s*SystemCallFilter=(.*)", line)
            if not m:
                continue
            v = m.group(1).strip()
            deny = v.startswith("~")
            names = set()
            for w in v.lstrip("~").split():
                names |= expand(w.split(":")[0])
            if mode is None:
                mode = "deny" if deny else "allow"
                allow = set() if deny else names
                denied = names if deny else set()
            elif mode == "allow":
                allow = allow - names if deny else allow | names
            else:
                denied = denied | names if deny else denied - names
    if mode is None:
        return None, None
    return (allow | ALWAYS, None) if mode == "allow" else (None, denied - ALWAYS)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: unit-syscalls.py UNIT STRACE-OUTPUT")
    allow, deny = allowed_set(sys.argv[1])
    made = {}
    with open(sys.argv[2], errors="replace") as f:
        for line in f:
            m = re.match(r"\s*(?:\d+\s+)?([a-z0-9_]+)\(", line)
            if m:
                made[m.group(1)] = made.get(m.group(1), 0) + 1
    if not made:
        print("unit-syscalls: no system calls in %s" % sys.argv[2])
        return 2
    bad = sorted(c for c in made
                 if (allow is not None and c not in allow) or
                 (deny is not None and c in deny))
    for c in bad:
        print("%s (%d calls)" % (c, made[c]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
