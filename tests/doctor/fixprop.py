"""fixprop.py - the property of relaymilter-doctor config's fixes

CONTRACT
  check(tap, label, factory, doctor, known): for every finding of the
  doctor on a fresh set-up from factory() whose fix is in a form a reader
  can apply (fixes.py), a new set-up from factory() gets that fix (the
  fix's paths moved to the new set-up's directory), the set-up's pending
  commands and the fix's commands run, the doctor runs again, and the
  finding must be gone (one fewer of that id when it was there several
  times). One TAP line per finding: ok, not ok with what is left and the
  commands' log, or SKIP naming why the fix cannot be applied by a test
  (prose, a package to install). A factory()'s object has doctor(path,
  commands) -> (exit, json, stderr), host(path), dir, log(), cleanup(),
  and keeps its pending set-up commands until its first doctor().
  Returns the number of fixes applied.
"""
import collections

import fixes


def _ids(out):
    return collections.Counter(f["id"] for f in (out or {}).get("findings", []))


def check(tap, label, factory, doctor, known):
    w0 = factory()
    try:
        rc, out, err = w0.doctor(doctor)
        if out is None:
            tap.not_ok("%s: fixes: the doctor's JSON" % label, rc, err,
                       w0.log())
            return 0
        findings = out["findings"]
        mc = out.get("mc")
        before = _ids(out)
        old_dir = w0.dir
    finally:
        w0.cleanup()
    applied = 0
    for f in findings:
        name = "%s: fix of %s clears it" % (label, f["id"])
        w = factory()
        try:
            text = f["fix"].replace(old_dir, w.dir)
            try:
                cmds = fixes.apply(text, mc and mc.replace(old_dir, w.dir),
                                   w.host, known)
            except fixes.NotApplicable as e:
                tap.skip(name, "the fix is not applied by the test: %s" % e)
                continue
            except (OSError, ValueError, IndexError, AttributeError) as e:
                tap.not_ok(name, "the fix cannot be applied as written: "
                           "%s: %s" % (type(e).__name__, e), f["fix"])
                continue
            rc, out2, err = w.doctor(doctor, cmds)
            applied += 1
            after = _ids(out2)
            if out2 is None:
                tap.not_ok(name, "no JSON after the fix", err, w.log())
            elif after[f["id"]] >= before[f["id"]]:
                left = [g for g in out2["findings"] if g["id"] == f["id"]]
                tap.not_ok(name, "still there after applying:", f["fix"],
                           "now: %s" % left[0]["what"], "fix commands: %s" %
                           cmds, w.log()[-3000:])
            else:
                tap.ok(name)
        finally:
            w.cleanup()
    return applied
