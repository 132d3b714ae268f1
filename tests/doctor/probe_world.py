"""probe_world.py - relaymilter-doctor probe (and config) in the end-to-end world

CONTRACT
  run(tap, doctor) brings up one world (tests/e2e/world.py, without the
  milter) with the gmail profile and extra smarthost stand-ins: TLS with a
  self-signed, an expired and a wrong-host certificate, one without
  STARTTLS, and smtp.blocked.test with port 25 black-holed and 587 open.
  It runs `relaymilter-doctor --json probe` inside the world against each
  and asserts the verdict, the cause id (which must exist in the catalogue:
  the JSON then carries its summary and fix) and the exit status; the
  password of the authinfo entry must never appear in any output (text,
  JSON, --debug transcript), nor its base64 forms. Last, a stopped relay,
  and `relaymilter-doctor config` on the world's own sendmail.cf. `tap` is
  an object with ok(name), not_ok(name, *diag), skip(name, why). The world
  is torn down in every case. The world's library is tests/e2e/world.py
  (RM_WORLD_DIR overrides the directory); without it every test is a SKIP
  that says so.
"""
import base64
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORLD_DIR = os.environ.get("RM_WORLD_DIR", os.path.join(REPO, "tests", "e2e"))

CA = "/etc/mail/tls/ca.pem"          # the world's test CA, inside the world
GMAIL = ("smtp.gmail.test", "127.0.0.2")
PASSWORD = None                      # filled from the world's table

# extra stand-ins: name -> (address, port, tls kind or None for no STARTTLS)
VARIANTS = {
    "selfsigned": ("smtp.selfsigned.test", "127.0.0.6", 587, "selfsigned"),
    "expired": ("smtp.expired.test", "127.0.0.7", 587, "expired"),
    "wrongname": ("smtp.wronghost.test", "127.0.0.8", 587, "wrongname"),
    "plain": ("smtp.plain.test", "127.0.0.10", 587, None),
    "blocked587": ("smtp.blocked.test", "127.0.0.9", 587, "valid"),
}

PROBE_TESTS = ["gmail all green", "default target from sendmail.cf",
               "no secret in any output", "self-signed certificate",
               "expired certificate", "wrong-host certificate", "no STARTTLS",
               "bad password", "account password instead of an app password",
               "black-holed port 25 with 587 open", "stopped relay",
               "config on the world's sendmail.cf"]


def steps_of(out):
    return {s["step"]: s for s in out.get("steps", [])}


class Probe:
    def __init__(self, w, doctor, tap):
        self.w, self.doctor, self.tap = w, doctor, tap

    def run(self, *args, debug=False):
        argv = [self.doctor, "--json", "probe", "--timeout", "3"]
        if debug:
            argv.append("--debug")
        r = self.w.run(argv + list(args), check=False, timeout=60)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {}
        return r, out

    def check(self, name, r, out, want_exit, conds):
        """conds: list of (description, bool)."""
        bad = [d for d, c in conds if not c]
        if r.returncode != want_exit:
            bad.append("exit %d, want %d" % (r.returncode, want_exit))
        for s in out.get("steps", []):
            if s.get("cause") and not s.get("fix"):
                bad.append("step %s: cause %s is not in the catalogue" %
                           (s["step"], s["cause"]))
        if bad:
            self.tap.not_ok("probe: " + name, *(bad + [r.stdout[-3000:],
                                                       r.stderr[-2000:]]))
        else:
            self.tap.ok("probe: " + name)


def secret_forms(account, password):
    forms = [password]
    for raw in ("\0%s\0%s" % (account, password), "%s\0%s\0%s" % ("smmsp", account, password)):
        forms.append(base64.b64encode(raw.encode()).decode())
    forms.append(base64.b64encode(password.encode()).decode())
    return forms


def run(tap, doctor):
    sys.path.insert(0, WORLD_DIR)
    try:
        import world
    except ImportError as e:
        for t in PROBE_TESTS:
            tap.skip("probe: " + t, "no end-to-end world (%s)" % e)
        return
    why = world.require_root()
    if why:
        for t in PROBE_TESTS:
            tap.skip("probe: " + t, why)
        return
    # with relaymilter when it is built, so that the world's sendmail.cf
    # has its INPUT_MAIL_FILTER (the config test below)
    milter = os.path.join(REPO, os.environ.get("BUILD", "build"), "relaymilter")
    have_milter = os.access(milter, os.X_OK)
    w = world.World(milter=have_milter, milter_binary=milter, profile="gmail")
    w.doctor_have_milter = have_milter
    try:
        w.up()
        _run(tap, doctor, w, world)
    except world.WorldError as e:
        tap.not_ok("probe: the world comes up and stays up", str(e))
    finally:
        w.down()


def _run(tap, doctor, w, world):
    gm = world.SMARTHOSTS["gmail"]
    account, password = gm["account"], gm["password"]
    for key, (name, addr, port, tls) in VARIANTS.items():
        spec = {"profile": "gmail", "addr": addr, "port": port, "name": name,
                "account": account, "password": password}
        if tls is None:
            spec["starttls"] = False
        else:
            spec["tls"] = tls
        w.add_smarthost(key, spec)
    # the stand-ins' names, for the probe's resolver inside the world
    with open(w.root("/etc/hosts"), "a") as f:
        for key, (name, addr, port, tls) in VARIANTS.items():
            if name != "smtp.blocked.test":
                f.write("%s\t%s\n" % (addr, name))
    w.blackhole("127.0.0.9", 25)
    p = Probe(w, doctor, tap)

    # all green: the gmail stand-in with the test CA, logging in with the
    # authinfo entry sendmail itself uses
    r, out = p.run("--cafile", CA, "--auth", "%s:587" % GMAIL[0])
    st = steps_of(out)
    p.check("gmail all green", r, out, 0, [
        ("every step ok or info", all(s["verdict"] in ("ok", "info")
                                     for s in out.get("steps", []))),
        ("all nine steps ran", list(st) == ["dns", "connect", "ports",
         "greeting", "ehlo", "starttls", "certificate", "auth-mechanisms",
         "auth"]),
        ("certificate verified", st.get("certificate", {}).get("facts", {})
         .get("verify") == "OK"),
        ("logged in as the account", st.get("auth", {}).get("facts", {})
         .get("account") == account),
        ("PLAIN and LOGIN offered", "PLAIN" in st.get("auth-mechanisms", {})
         .get("facts", {}).get("mechanisms", "")),
        ("the DNS step sees the relay on this host's loopback",
         st.get("dns", {}).get("facts", {}).get("addresses") == GMAIL[1]),
    ])

    # no HOST: the smarthost and port from /etc/mail/sendmail.cf
    r, out = p.run("--cafile", CA, "--no-compare")
    p.check("default target from sendmail.cf", r, out, 0, [
        ("host from DS", out.get("host") == GMAIL[0]),
        ("port from the relay mailer", out.get("port") == 587),
    ])

    # the password never shows, not in text, JSON or the transcript
    leaks = []
    for args in (["--json"], []):
        for dbg in (True, False):
            argv = [doctor] + args + ["probe", "--timeout", "3", "--cafile", CA,
                                      "--auth", "--no-compare"]
            if dbg:
                argv.append("--debug")
            rr = w.run(argv + ["%s:587" % GMAIL[0]], check=False)
            for form in secret_forms(account, password):
                if form in rr.stdout or form in rr.stderr:
                    leaks.append("%s: %r leaked" % (" ".join(argv[1:]), form))
            if dbg and "AUTH PLAIN <credentials hidden>" not in rr.stderr:
                leaks.append("%s: no masked AUTH line in the transcript: %s"
                             % (" ".join(argv[1:]), rr.stderr[-1500:]))
    if leaks:
        tap.not_ok("probe: no secret in any output", *leaks)
    else:
        tap.ok("probe: no secret in any output")

    # certificates that must not verify against the test CA
    for key, word, test in (("selfsigned", "self-signed", "self-signed certificate"),
                            ("expired", "expired on", "expired certificate"),
                            ("wrongname", "issued for wrong.", "wrong-host certificate")):
        name = VARIANTS[key][0]
        r, out = p.run("--cafile", CA, "--auth", "--no-compare", "%s:587" % name)
        st = steps_of(out)
        cert = st.get("certificate", {})
        p.check(test, r, out, 2, [
            ("certificate step fails", cert.get("verdict") == "fail"),
            ("cause tls-verify", cert.get("cause") == "tls-verify"),
            ("message says %r" % word, word in cert.get("message", "")),
            ("the password is not sent there", st.get("auth", {}).get("verdict")
             == "fail" and "not sending the password" in st.get("auth", {})
             .get("message", "")),
            ("the handshake itself worked", st.get("starttls", {})
             .get("verdict") == "ok"),
        ])

    # no STARTTLS offered: the world's stand-ins are on loopback addresses,
    # where no STARTTLS is what a local relay (Apache James) does: info,
    # and the password is still withheld without --allow-plaintext (a
    # relay elsewhere without STARTTLS fails: tests/doctor/probe_ns.py)
    r, out = p.run("--cafile", CA, "--auth", "--no-compare",
                   "%s:587" % VARIANTS["plain"][0])
    st = steps_of(out)
    p.check("no STARTTLS", r, out, 2, [
        ("ehlo step says it (info on loopback)", st.get("ehlo", {})
         .get("verdict") == "info" and "does not offer STARTTLS" in
         st.get("ehlo", {}).get("message", "")),
        ("no password over clear text", "not sending the password"
         in st.get("auth", {}).get("message", "")),
        ("the way to test it named", "--allow-plaintext"
         in st.get("auth", {}).get("message", "")),
        ("no starttls step", "starttls" not in st),
    ])

    # wrong credentials: a bad password, and the account password where
    # Gmail wants an app password
    for test, pw, cause, code in (
            ("bad password", "not the password", "auth-bad-credentials", "535 5.7.8"),
            ("account password instead of an app password",
             gm["args"][1].split(":", 1)[1], "auth-app-password", "534 5.7.9")):
        ai = w.path("authinfo-" + cause)
        with open(ai, "w") as f:
            f.write('AuthInfo:%s "U:smmsp" "I:%s" "P:%s" "M:PLAIN LOGIN"\n'
                    % (GMAIL[0], account, pw))
        os.chmod(ai, 0o600)
        r, out = p.run("--cafile", CA, "--auth", "--authinfo", ai,
                       "--no-compare", "%s:587" % GMAIL[0])
        st = steps_of(out)
        a = st.get("auth", {})
        p.check(test, r, out, 2, [
            ("auth step fails", a.get("verdict") == "fail"),
            ("cause %s" % cause, a.get("cause") == cause),
            ("reply %s" % code, a.get("reply", "").startswith(code)),
            ("the password is not in the output", pw not in r.stdout + r.stderr),
        ])

    # port 25 black-holed (nft drop), 587 answering on the same address
    r, out = p.run("--cafile", CA, "--timeout", "2", "smtp.blocked.test:25")
    st = steps_of(out)
    c = st.get("connect", {})
    ports = st.get("ports", {}).get("facts", {})
    p.check("black-holed port 25 with 587 open", r, out, 2, [
        ("connect fails", c.get("verdict") == "fail"),
        ("cause connect-timeout-port25", c.get("cause") == "connect-timeout-port25"),
        ("message names 587", "587 answers" in c.get("message", "")),
        ("587 open in the comparison", ports.get("port-587", "").startswith("open")),
        ("465 refused in the comparison", ports.get("port-465") == "refused"),
    ])

    # the relay is down
    w.stop("smarthost:gmail")
    r, out = p.run("--cafile", CA, "--no-compare", "%s:587" % GMAIL[0])
    st = steps_of(out)
    p.check("stopped relay", r, out, 2, [
        ("connect fails", st.get("connect", {}).get("verdict") == "fail"),
        ("cause connect-refused", st.get("connect", {}).get("cause")
         == "connect-refused"),
        ("nothing after connect", list(st) == ["dns", "connect"]),
    ])
    w.start("smarthost:gmail")

    # the configuration checks on the world's real sendmail.cf: whatever
    # they find must be at most warnings and notes (the world's
    # configuration is a working one)
    r = w.run([doctor, "--json", "config", "--conf",
               "/etc/mail/relaymilter/relaymilter.conf", "--timeout", "10"],
              check=False, timeout=120)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {}
    errors = [f for f in out.get("findings", []) if f["severity"] == "error"
              and not (f["id"] == "milter-missing" and not w.doctor_have_milter)]
    sh = out.get("smarthost", {})
    conds = [("smarthost smtp.gmail.test:587", sh.get("host") == GMAIL[0]
              and sh.get("port") == 587),
             ("no error", not errors)]
    bad = [d for d, ok in conds if not ok]
    if bad or (r.returncode == 2 and w.doctor_have_milter):
        tap.not_ok("probe: config on the world's sendmail.cf", *(bad + [
            "%s %s: %s" % (f["severity"], f["id"], f["what"])
            for f in out.get("findings", [])] + [r.stderr[-2000:]]))
    else:
        tap.ok("probe: config on the world's sendmail.cf")
