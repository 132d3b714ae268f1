#!/usr/bin/python3
# tests/trace/expect.py - compare relaymilter-trace --json output with a
# list of expected recipient outcomes
#
# usage: expect.py FILE.expect TRACE.json
# FILE.expect: "ADDRESS OUTCOME CAUSE" per line ('#' comments allowed),
# CAUSE "-" when the recipient must have none. Each address must appear
# in the JSON output with that outcome and cause id (the last report of
# it counts: a recipient deferred and later sent is "sent"). Exit 0 when
# all match; otherwise one line per difference on stdout and exit 1.
import json
import sys

want = []
with open(sys.argv[1]) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            addr, outcome, cause = line.split()
            want.append((addr, outcome, cause))
got = {}
with open(sys.argv[2]) as f:
    for line in f:
        m = json.loads(line)
        for r in m.get("recipients", []):
            got[r["to"]] = (r["outcome"], (r.get("cause") or {}).get("id", "-"))
bad = 0
for addr, outcome, cause in want:
    g = got.get(addr)
    if g != (outcome, cause):
        print("# %s: want %s %s, got %s" % (addr, outcome, cause,
                                            " ".join(g) if g else "nothing"))
        bad += 1
sys.exit(1 if bad else 0)
