"""doctor_probe.py - what relaymilter-doctor probe says inside each seed's world

CONTRACT
  run(tap, doctor, wanted) brings up the world of each configuration of
  PROBES below (seedlib.world_for: its relay stand-ins, DNS and the port
  25 block of the seed, without relaymilter) and runs `relaymilter-doctor
  --json probe` there with each case's arguments (the seed's own authinfo
  where it has one; for seed 004, whose James is logged into by
  DefaultAuthInfo, an authinfo entry with the account of its setup.json
  written to /etc/mail/probe-authinfo in the world). Each case asserts
  the exit status and, per step, the verdict, the cause and texts its
  message must hold (the trap of that seed, named by the probe), and that
  the relay's password is in no output (its base64 form; the raw text
  too when it is 12 characters or more, not a word such as "password"). One TAP line per case; `tap` has
  line(ok, name, diag) and skip(name, why); `wanted(name)` selects
  configurations (SEEDS_ONLY). The world is torn down in every case.
"""
import base64
import json
import os
import time

import seedlib

CA = "/etc/mail/tls/ca.pem"          # the world's test CA, inside the world
AUTHINFO_004 = "/etc/mail/probe-authinfo"

# config -> [(title, probe arguments, exit status, {step: {verdict, cause,
# message: [texts], facts: {name: value}}})]
PROBES = {
    # 000: the ISP blocks port 25 (the world black-holes it), 587 works with
    # the author's I:user_id
    "000/first-try": [
        ("port 25 blocked, 587 answers", ["smtp.gmail.com:25"], 2,
         {"connect": {"verdict": "fail", "cause": "connect-timeout-port25",
                      "message": ["port 587 answers", "relay on 587"]}}),
        ("587 with the author's authinfo logs in as user_id",
         ["--auth", "--cafile", CA, "--authinfo", "/etc/mail/auth/client-info",
          "smtp.gmail.com:587"], 0,
         {"auth": {"verdict": "ok", "facts": {"account": "user_id"}}}),
    ],
    # 003: sendmail goes to port 25 of the smtp mailer (smtp:[host]:587 has
    # no port); the authinfo key with the port is never used
    "003/as-written": [
        ("the target of sendmail.cf is port 25 (smtp: mailer)",
         ["--cafile", CA], 0,
         {"connect": {"verdict": "ok", "message": ["port 25"]}}),
        ("AuthInfo:smtp.example.com:587 is never used",
         ["--auth", "--cafile", CA, "--authinfo", "/etc/mail/authinfo",
          "smtp.example.com:587"], 2,
         {"auth": {"verdict": "fail", "cause": "auth-required",
                   "message": ["AuthInfo:smtp.example.com:587, is never used "
                               "(authinfo keys carry no port): key it "
                               "AuthInfo:smtp.example.com"]}}),
    ],
    # 004: James on 127.0.0.1:25 greets with this host's name, no STARTTLS
    "004/as-edited": [
        ("James: the loop is named, the password withheld without "
         "--allow-plaintext",
         ["--auth", "--authinfo", AUTHINFO_004, "127.0.0.1:25"], 2,
         {"ehlo": {"verdict": "fail", "cause": "mail-loops",
                   "message": ["mail loops back to me"]},
          "auth": {"verdict": "fail", "message": ["--allow-plaintext"]}}),
        ("James: --allow-plaintext tests the login on loopback",
         ["--auth", "--allow-plaintext", "--authinfo", AUTHINFO_004,
          "127.0.0.1:25"], 2,
         {"ehlo": {"verdict": "fail", "cause": "mail-loops"},
          "auth-mechanisms": {"facts": {"mechanisms": "LOGIN PLAIN"}},
          "auth": {"verdict": "ok", "facts": {"account": "username"}}}),
    ],
}


def _bad(out, rc, want_rc, want, secrets, text):
    bad = []
    if rc != want_rc:
        bad.append("exit %d, want %d" % (rc, want_rc))
    steps = {s["step"]: s for s in (out or {}).get("steps", [])}
    for name, exp in want.items():
        s = steps.get(name)
        if s is None:
            bad.append("no %s step" % name)
            continue
        for key in ("verdict", "cause"):
            if key in exp and s.get(key) != exp[key]:
                bad.append("%s: %s %r, want %r" % (name, key, s.get(key),
                                                   exp[key]))
        for t in exp.get("message", []):
            if t not in s.get("message", ""):
                bad.append("%s: the message lacks %r" % (name, t))
        for k, v in exp.get("facts", {}).items():
            if (s.get("facts") or {}).get(k) != v:
                bad.append("%s: fact %s %r, want %r" %
                           (name, k, (s.get("facts") or {}).get(k), v))
    for p in secrets:
        # the raw password when it cannot be a word of the probe's own
        # messages (seed 004's is "password"), and its base64 forms always
        forms = [base64.b64encode(p.encode()).decode()] if p else []
        if p and len(p) >= 12:
            forms.append(p)
        if any(f in text for f in forms):
            bad.append("the password is in the output")
    if bad:
        bad += ["%s %s %s: %s" % (s["step"], s["verdict"], s.get("cause") or "",
                                  s.get("message", "")[:200])
                for s in steps.values()]
    return bad


def run(tap, doctor, wanted):
    for config, cases in PROBES.items():
        if not wanted(config):
            continue
        if not os.access(doctor, os.X_OK):
            tap.skip("doctor probe in the world of %s" % config,
                     "no %s (run make)" % doctor)
            continue
        st = seedlib.world.load_setup(os.path.join(seedlib.HERE, config))
        secrets = [sh.get("password") for sh in
                   (st.get("smarthosts") or {}).values()]
        w = seedlib.world_for(config, quick_stop=("relaymilter",))
        t = time.monotonic()
        try:
            w.up()
            james = (st.get("smarthosts") or {}).get("james")
            if james:
                w.run(["sh", "-c", "umask 077; printf '%%s\\n' "
                       "'AuthInfo:127.0.0.1 \"U:%s\" \"I:%s\" \"P:%s\" "
                       "\"M:LOGIN PLAIN\"' > %s" %
                       (james["account"], james["account"],
                        james["password"], AUTHINFO_004)])
            for title, args, want_rc, want in cases:
                r = w.run([doctor, "--json", "probe", "--timeout", "3"] + args,
                          check=False, timeout=60)
                try:
                    out = json.loads(r.stdout)
                except ValueError:
                    out = None
                bad = _bad(out, r.returncode, want_rc, want, secrets,
                           r.stdout + r.stderr)
                if out is None:
                    bad.insert(0, "no JSON: %s" % r.stderr[-500:])
                tap.line(not bad, "doctor probe in %s's world: %s" %
                         (config, title), bad)
        except Exception as e:
            tap.line(False, "doctor probe in %s's world" % config,
                     ["%s: %s" % (type(e).__name__, e)])
        finally:
            w.down()
        tap.comment("doctor probe in %s's world: %.1fs" %
                    (config, time.monotonic() - t))
