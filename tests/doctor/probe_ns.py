"""probe_ns.py - relaymilter-doctor probe against scripted servers

CONTRACT
  run(tap, doctor): each case starts tests/doctor/standin.py inside private
  mount, network, uts and pid namespaces (ns-setup.sh: only loopback, the
  case's /etc/hosts in the overlay on /etc; the stand-in dies with the
  namespace) and runs `relaymilter-doctor --json probe` there, asserting
  steps, verdicts, cause ids and messages:
  - Microsoft 365 (smtp.office365.com, on 198.51.100.77 added to lo): the
    offered mechanisms (LOGIN and XOAUTH2, then XOAUTH2 alone) and the
    refusals 535 5.7.139, 550 5.7.30 and 530 5.7.57 named basic-auth SMTP
    AUTH off, with the routes that work for sendmail. The replies are the
    texts of domain-facts 3.4 and of relaymilter's cause vectors (Microsoft's
    documented ones), not a Microsoft server's.
  - a relay on 127.0.0.1:25 without STARTTLS that wants AUTH (seed 004's
    Apache James, greeting with this host's name): the login is tested with
    --allow-plaintext; without it the password is withheld and the message
    says how; greeting with the host's own name (as the seed's James did)
    the ehlo step fails with mail-loops and the login is tested all the
    same; on an address that is not loopback --allow-plaintext is
    refused; the password and its base64 forms never show in the output.
  - a port that accepts and never greets: the greeting step says what it
    waited for, cause greeting-timeout.
  Needs root for the namespaces, python3-cryptography for the test CA
  (tests/e2e/certs.py); without them every case is a SKIP saying why.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STANDIN = os.path.join(HERE, "standin.py")

M365 = "198.51.100.77"
PLAIN_REMOTE = "198.51.100.78"
CASES = ["Microsoft 365: LOGIN and XOAUTH2, 535 5.7.139",
         "Microsoft 365: 550 5.7.30", "Microsoft 365: 530 5.7.57",
         "Microsoft 365: XOAUTH2 only",
         "loopback relay without STARTTLS: --allow-plaintext logs in",
         "loopback relay without STARTTLS: no --allow-plaintext",
         "--allow-plaintext refused off loopback",
         "greeting time-out",
         "loopback relay greeting with this host's name: mail-loops, "
         "and the login is still tested"]


def host_ns():
    return [os.readlink("/proc/self/ns/%s" % k) for k in ("mnt", "net", "uts")]


class Case:
    def __init__(self, work, doctor):
        self.work, self.doctor = work, doctor

    def run(self, pre, args):
        with open(os.path.join(self.work, "pre"), "w") as f:
            f.write(pre + "\n")
        cmd = ["unshare", "-mnup", "--fork", "--propagation", "private",
               os.path.join(HERE, "ns-setup.sh")] + host_ns() + \
            [self.work, "box", "--", self.doctor, "--json", "probe",
             "--timeout", "3", "--no-compare"] + args
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = {}
        return r, out


def standin(addr, port, *args, add_addr=False):
    s = ""
    if add_addr:
        s = "ip addr add %s/32 dev lo && " % addr
    return (s + "exec python3 %s --listen %s:%d --ready \"$WORK/pre.ready\" %s"
            % (STANDIN, addr, port, " ".join("'%s'" % a for a in args)))


def steps(out):
    return {s["step"]: s for s in out.get("steps", [])}


def check(tap, name, r, out, conds):
    bad = [d for d, c in conds if not c]
    if bad:
        tap.not_ok("probe: " + name, *(bad + ["exit %d" % r.returncode,
                                              r.stdout[-3000:], r.stderr[-1500:]]))
    else:
        tap.ok("probe: " + name)


def run(tap, doctor):
    if os.geteuid() != 0:
        for c in CASES:
            tap.skip("probe: " + c, "not root (namespaces)")
        return
    sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
    try:
        import certs
    except ImportError as e:
        for c in CASES:
            tap.skip("probe: " + c, "no test CA: %s" % e)
        return
    work = tempfile.mkdtemp(prefix="rm-doctor.")
    os.chmod(work, 0o755)
    try:
        _run(tap, doctor, work, certs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(tap, doctor, work, certs):
    os.makedirs(os.path.join(work, "over", "etc"))
    os.makedirs(os.path.join(work, "bin"))
    with open(os.path.join(work, "over", "etc", "hosts"), "w") as f:
        f.write("127.0.0.1\tlocalhost\n127.0.1.1\tapache.example.com apache\n"
                "%s\tsmtp.office365.com\n%s\trelay.example.net\n"
                % (M365, PLAIN_REMOTE))
    ca, _ = certs.make_ca(work)
    cert, key = certs.make_cert(work, "smtp.office365.com", "valid")
    ai = os.path.join(work, "authinfo")
    with open(ai, "w") as f:
        f.write('AuthInfo:smtp.office365.com "U:alerts@contoso.example" '
                '"I:alerts@contoso.example" "P:M365-pass-1" "M:LOGIN"\n'
                'AuthInfo:127.0.0.1 "U:username" "I:username" '
                '"P:james-pass-1" "M:LOGIN PLAIN"\n'
                'AuthInfo:relay.example.net "U:username" "I:username" '
                '"P:james-pass-1" "M:LOGIN PLAIN"\n')
    os.chmod(ai, 0o600)
    c = Case(work, doctor)
    m365 = ["--cafile", ca, "--auth", "--authinfo", ai, "smtp.office365.com:587"]

    def m365_standin(auth_reply, mechs="AUTH LOGIN XOAUTH2"):
        return standin(M365, 587, "--name", "smtp.office365.com", "--cert",
                       cert, "--key", key, "--keywords",
                       "SIZE 157286400;PIPELINING;8BITMIME",
                       "--tls-keywords", "SIZE 157286400;%s;8BITMIME" % mechs,
                       "--auth-reply", auth_reply, add_addr=True)

    r, out = c.run(m365_standin(
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
        "is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled "
        "for more information. [SN4PR0201CA0045.namprd02.prod.outlook.com]"),
        m365)
    st = steps(out)
    a, mech = st.get("auth", {}), st.get("auth-mechanisms", {})
    check(tap, CASES[0], r, out, [
        ("the mechanisms are read: LOGIN XOAUTH2",
         mech.get("facts", {}).get("mechanisms") == "LOGIN XOAUTH2"),
        ("they say when LOGIN goes", "end of December 2026"
         in mech.get("message", "")),
        ("auth fails as basic-auth-disabled", a.get("verdict") == "fail"
         and a.get("cause") == "basic-auth-disabled"),
        ("the message gives the connector", "IP-authenticated connector"
         in a.get("message", "")),
        ("and OAuth2", "OAuth2 (XOAUTH2)" in a.get("message", "")),
        ("the catalogue's fix too", "connector" in a.get("fix", "")),
        ("exit 2", r.returncode == 2),
        ("no password", "M365-pass-1" not in r.stdout + r.stderr),
    ])
    for name, reply in ((CASES[1], "550 5.7.30 Basic authentication is not "
                         "supported for Client Submission."),
                        (CASES[2], "530 5.7.57 Client not authenticated to "
                         "send mail. [AM0PR02CA0001.eurprd02.prod.outlook.com]")):
        r, out = c.run(m365_standin(reply), m365)
        a = steps(out).get("auth", {})
        check(tap, name, r, out, [
            ("auth fails as basic-auth-disabled", a.get("cause")
             == "basic-auth-disabled"),
            ("the reply is kept", a.get("reply", "").startswith(reply[:10])),
        ])
    r, out = c.run(m365_standin("535 5.7.3 never asked", "AUTH XOAUTH2"), m365)
    st = steps(out)
    check(tap, CASES[3], r, out, [
        ("auth-mechanisms warns basic-auth-disabled",
         st.get("auth-mechanisms", {}).get("verdict") == "warning" and
         st.get("auth-mechanisms", {}).get("cause") == "basic-auth-disabled"),
        ("auth names it too", st.get("auth", {}).get("cause")
         == "basic-auth-disabled"),
    ])

    james = standin("127.0.0.1", 25, "--name", "apache.example.com",
                    "--keywords", "SIZE 33554432;8BITMIME;AUTH LOGIN PLAIN",
                    "--log", os.path.join(work, "james.log"))
    r, out = c.run(james, ["--auth", "--allow-plaintext", "--authinfo", ai,
                           "--debug", "127.0.0.1:25"])
    st = steps(out)
    leaked = [f for f in ("james-pass-1",
                          base64.b64encode(b"james-pass-1").decode(),
                          base64.b64encode(b"\0username\0james-pass-1").decode())
              if f in r.stdout + r.stderr]
    check(tap, CASES[4], r, out, [
        ("no STARTTLS is info on loopback", st.get("ehlo", {}).get("verdict")
         == "info"),
        ("the mechanisms are read", st.get("auth-mechanisms", {})
         .get("facts", {}).get("mechanisms") == "LOGIN PLAIN"),
        ("logged in", st.get("auth", {}).get("verdict") == "ok"),
        ("as username", st.get("auth", {}).get("facts", {}).get("account")
         == "username"),
        ("exit 0", r.returncode == 0),
        ("no password in any output (%s)" % leaked, not leaked),
    ])
    # seed 004 as its author had it: James greets with the name of the
    # host it shares with sendmail (the probe's EHLO name here)
    r, out = c.run(james, ["--auth", "--allow-plaintext", "--authinfo", ai,
                           "--helo", "apache.example.com", "127.0.0.1:25"])
    st = steps(out)
    check(tap, CASES[8], r, out, [
        ("ehlo fails with mail-loops", st.get("ehlo", {}).get("verdict")
         == "fail" and st.get("ehlo", {}).get("cause") == "mail-loops"),
        ("the mechanisms are read", st.get("auth-mechanisms", {})
         .get("facts", {}).get("mechanisms") == "LOGIN PLAIN"),
        ("logged in all the same", st.get("auth", {}).get("verdict") == "ok"),
        ("exit 2", r.returncode == 2),
    ])
    r, out = c.run(james, ["--auth", "--authinfo", ai, "127.0.0.1:25"])
    a = steps(out).get("auth", {})
    check(tap, CASES[5], r, out, [
        ("auth withheld", a.get("verdict") == "fail"),
        ("it says --allow-plaintext", "--allow-plaintext" in a.get("message", "")),
    ])
    r, out = c.run(standin(PLAIN_REMOTE, 25, "--name", "relay.example.net",
                           "--keywords", "AUTH LOGIN PLAIN", "--log",
                           os.path.join(work, "remote.log"), add_addr=True),
                   ["--auth", "--allow-plaintext", "--authinfo", ai,
                    "relay.example.net:25"])
    a = steps(out).get("auth", {})
    check(tap, CASES[6], r, out, [
        ("auth withheld", a.get("verdict") == "fail"),
        ("only for loopback", "loopback" in a.get("message", "")),
        ("no STARTTLS fails off loopback", steps(out).get("ehlo", {})
         .get("verdict") == "fail"),
        ("the stand-in never saw AUTH", "AUTH" not in (open(
            os.path.join(work, "remote.log")).read() if os.path.exists(
            os.path.join(work, "remote.log")) else "")),
    ])
    r, out = c.run(standin("127.0.0.1", 2526, "--silent"),
                   ["--timeout", "2", "127.0.0.1:2526"])
    g = steps(out).get("greeting", {})
    check(tap, CASES[7], r, out, [
        ("greeting fails", g.get("verdict") == "fail"),
        ("cause greeting-timeout", g.get("cause") == "greeting-timeout"),
        ("it says what it waited for", "waited 2 s for the server's 220 "
         "greeting" in g.get("message", "")),
        ("and the TLS attempt", "TLS handshake" in g.get("message", "")),
    ])
