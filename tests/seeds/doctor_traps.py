"""doctor_traps.py - what relaymilter-doctor config says about each seed

CONTRACT
  run(tap, doctor, wanted) runs `relaymilter-doctor --json config` on the
  seeds' configurations (tests/seeds/NNN/CONFIG and variants, as their
  authors wrote them) in tests/doctor's namespaces (tests/doctor/setups.py:
  the configuration's files on overlays of /etc, /var and /usr, its
  installed_mc rendered, its commands run, its local relays and running
  MTA played by stand-ins, the world's relays on addresses that are not
  this host's) and asserts, per configuration of TRAPS below, one line of
  tests/seeds/README.md's "Traps" each: the finding ids that must be there
  and those that must not, and the text each one's what, why and fix must
  hold (the fix that applies to THAT set-up). Then THE PROPERTY of issue 13
  on every configuration of TRAPS (tests/doctor/fixprop.py): each fix the
  doctor prints, applied as written, clears its finding. `tap` has
  line(ok, name, diag) and skip(name, why); `wanted(name)` selects
  configurations (SEEDS_ONLY).

  run_world(tap, doctor, cap, scratch, wanted): the second half of the
  property. For each capture of tests/seeds/capture that shows a failure a
  doctor finding is about (WORLD below: the capture's own failure
  patterns), the capture's configuration gets every fix the doctor prints,
  one after the other as a reader applies them (fixes.py; the doctor runs
  again after each, up to MAX_ROUNDS), and is written as a new
  configuration: the files the fixes changed or created, the user's
  commands, then the fixes' commands. What a fix asks of another program
  is done too and said so: a local relay the fix moves to 127.0.0.5 is
  started there, an MTA the fix starts again runs. The capture then runs
  again in the real world with that configuration, and none of its
  failure patterns may be in what it captures (where the failure was
  that relaymilter never saw the mail, its decision line must be there),
  and the mail must leave (a stat=Sent line, or a relay stand-in received
  it): a failure is not gone because nothing happened at all. A fix that
  adds relaymilter's filter line to a set-up without it makes relaymilter
  run there, with the configuration make install puts in place
  (conf/relaymilter.conf) when the set-up has none.
"""
import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "doctor"))
import fixes  # noqa: E402
import fixprop  # noqa: E402
import setups  # noqa: E402

SAMPLE_CONF = os.path.join(os.path.dirname(os.path.dirname(HERE)), "conf",
                           "relaymilter.conf")
MAX_ROUNDS = 14
WAIT_MAX = 12       # seconds a capture step waits in a fixed configuration

MOVE = "move these lines of /etc/mail/sendmail.mc above its line"
REBUILD = "make -C /etc/mail"

# config -> expectations; "has": ids that must be there, "not": ids that
# must not, "what"/"why"/"fix": id -> texts the field must hold. The
# README line each one asserts is quoted in the comment above it.
TRAPS = {
    # 000: defines pasted after MAILER(): move them, make -C /etc/mail;
    # SMART_HOST is not ignored, only the port is; no CA file
    "000/first-try": {
        "has": ["mc-after-mailer", "relay-port-25", "smarthost-mx-lookup",
                "cacert-missing"],
        "not": ["smarthost-missing"],
        "why": {"mc-after-mailer": ["mailer relay A=TCP $h (it would be TCP $h 587)",
                                    "FEATURE() should be before MAILER()"]},
        "fix": {"relay-port-25": [MOVE, "(MAILER_DEFINITIONS):",
                                  "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl",
                                  REBUILD],
                "cacert-missing": ["define(`confCACERT', `/etc/ssl/certs/"
                                   "ca-certificates.crt')dnl"]}},
    # the same with no m4 message at all: the defines after MAILER() are
    # the finding, not m4's output
    "000/variants/reordered": {
        "has": ["mc-after-mailer", "relay-port-25"],
        "why": {"mc-after-mailer": ["mailer relay A=TCP $h (it would be TCP $h 587)"]},
        "fix": {"relay-port-25": [MOVE]}},
    "000/variants/centos": {
        "has": ["mc-after-mailer", "relay-port-25"],
        "fix": {"relay-port-25": [MOVE]}},
    # port 25 blocked, no smarthost: a smarthost on 587 with AUTH, not the
    # mailer args alone
    "000/before": {
        "has": ["smarthost-missing"],
        "fix": {"smarthost-missing": ["define(`SMART_HOST', `[",
                                      "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl",
                                      "FEATURE(`authinfo')dnl"]}},
    # unbracketed SMART_HOST; the second authinfo line with a port
    "000/working": {
        "has": ["smarthost-mx-lookup", "authinfo-port-key"],
        "fix": {"smarthost-mx-lookup": ["define(`SMART_HOST', `[smtp.gmail.com]')dnl"],
                "authinfo-port-key": ["remove line 2 of /etc/mail/auth/client-info"]}},
    "000/variants/googlemail-debian-path": {
        "has": ["smarthost-mx-lookup"],
        "fix": {"smarthost-mx-lookup": ["[smtp.googlemail.com]"]}},
    # 001: no smarthost; unbracketed smtp-relay on port 25, CentOS's CA
    # bundle; no authinfo warning with RelayAccount (IP-registered)
    "001/before": {"has": ["smarthost-missing"]},
    "001/smarthost": {
        "has": ["smarthost-mx-lookup", "relay-port-25", "cacert-missing"],
        "not": ["authinfo-not-configured", "hostname-localhost"],
        "fix": {"smarthost-mx-lookup": ["define(`SMART_HOST', `[smtp-relay.gmail.com]')dnl"],
                "relay-port-25": ["define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl"],
                "cacert-missing": ["define(`confCACERT', `/etc/pki/tls/certs/"
                                   "ca-bundle.crt')dnl"]}},
    # the loopback line first: $j localhost.localdomain, the bounce refused
    # with 550 5.7.1 Invalid credentials for relay (EHLO)
    "001/variants/hosts-loopback-first": {
        "has": ["hostname-localhost"],
        "what": {"hostname-localhost": ["($j) is localhost.localdomain"]},
        "why": {"hostname-localhost": ["EHLO localhost.localdomain",
                                       "550 5.7.1 Invalid credentials for relay"]},
        "fix": {"hostname-localhost": ["127.0.0.1 localhost localhost.localdomain "
                                       "localhost4 localhost4.localdomain4   (in "
                                       "/etc/hosts, line 1: without sipserver1)"]}},
    "001/fixed": {"not": ["hostname-localhost", "relay-port-25",
                          "smarthost-mx-lookup", "cacert-missing",
                          "authinfo-not-configured"]},
    # 002: the joined confPRIVACY_FLAGS line truncates sendmail.cf: split it
    # (not "SMART_HOST missing"); the includes of missing m4 files
    "002/as-printed": {
        "has": ["cf-incomplete", "mc-include-missing"],
        "not": ["smarthost-missing", "milter-missing", "cacert-missing"],
        "fix": {"cf-incomplete": ["replace line 12 of /etc/mail/sendmail.mc by:\n"
                                  "  define(`confPRIVACY_FLAGS',`needmailhelo,",
                                  REBUILD],
                "mc-include-missing": ["touch /etc/mail/m4/dialup.m4",
                                       "touch /etc/mail/m4/provider.m4"]}},
    "002/variants/m4-files-present": {
        "has": ["cf-incomplete"], "not": ["mc-include-missing",
                                          "smarthost-missing"]},
    "002/corrected": {"has": ["cf-incomplete"], "not": ["smarthost-missing"]},
    # LOCAL_DOMAIN = the account's domain; genericstable without
    # masquerade_envelope; the TLS lines; authinfo 0644; unbracketed
    "002/apps": {
        "has": ["local-domain-relay-account", "genericstable-headers-only",
                "tls-file-missing", "tls-file-wrong", "authinfo-world-readable",
                "smarthost-mx-lookup"],
        "what": {"tls-file-missing": ["/etc/ssl/certs/ca.pem does not exist; "
                                      "ServerCertFile, ServerKeyFile, "
                                      "ClientCertFile, ClientKeyFile name it"],
                 "tls-file-wrong": ["CRLFile /etc/ssl/certs/ca-certificates.crt "
                                    "holds no CRL"]},
        "fix": {"local-domain-relay-account": ["remove LOCAL_DOMAIN(`example.org')dnl"],
                "authinfo-world-readable": ["chmod 640 /etc/mail/authinfo",
                                            "chown root:smmsp /etc/mail/authinfo"],
                "genericstable-headers-only": ["SenderMap /etc/mail/genericstable"]}},
    "002/variants/other-domain": {"has": ["local-domain-relay-account"],
                                  "fix": {"local-domain-relay-account":
                                          ["remove LOCAL_DOMAIN(`corp.example.net')dnl"]}},
    "002/fixed": {"not": ["local-domain-relay-account", "tls-file-missing",
                          "tls-file-wrong", "cf-incomplete"]},
    # 003: smtp:[host]:587 is the smtp mailer and a host named 587; $p is
    # the process id; the authinfo key with a port; no CA file
    "003/as-written": {
        "has": ["smarthost-port-ignored", "smarthost-mailer-args",
                "mailer-port-pid", "authinfo-no-entry", "cacert-missing"],
        "why": {"smarthost-port-ignored": ["a host named \"587\""]},
        "fix": {"smarthost-port-ignored": ["define(`SMART_HOST', `[smtp.example.com]')dnl",
                                           "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl"],
                "mailer-port-pid": ["`TCP $h 587')dnl"],
                "authinfo-no-entry": ["AuthInfo:smtp.example.com \""]},
        "what": {"authinfo-no-entry": ["AuthInfo:smtp.example.com:587, but sendmail "
                                       "never puts a port in the key"]}},
    "003/variants/relay-port-p": {
        "has": ["relay-port-pid"],
        "fix": {"relay-port-pid": ["define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl"]}},
    "003/variants/reordered": {
        "has": ["mc-after-mailer"],
        "why": {"mc-after-mailer": ["FEATURE() should be before MAILER()"]}},
    "003/fixed": {"not": ["smarthost-port-ignored", "smarthost-mailer-args",
                          "mailer-port-pid", "relay-port-pid",
                          "authinfo-no-entry", "cacert-missing"]},
    # 004: the hand edits (make would erase them: into the .mc); the MTA
    # stopped: the MSP hands mail to James, relaymilter never sees it;
    # DefaultAuthInfo ignored
    "004/as-edited": {
        "has": ["cf-hand-edited", "milter-bypassed", "defaultauthinfo-ignored"],
        "why": {"milter-bypassed": ["milters run only in sendmail's SMTP server"]},
        "fix": {"cf-hand-edited": ["define(`SMART_HOST', `esmtp:localhost')dnl",
                                   "define(`LOCAL_RELAY', `esmtp:localhost')dnl",
                                   "define(`MAIL_HUB', `esmtp:localhost')dnl",
                                   "MODIFY_MAILER_FLAGS(`ESMTP', `+k')dnl"],
                "milter-bypassed": ["define(`SMART_HOST', `relay:[127.0.0.5]')dnl",
                                    "systemctl start sendmail"],
                "defaultauthinfo-ignored": ["FEATURE(`authinfo')dnl",
                                            "AuthInfo:localhost \"U:username\" "
                                            "\"I:username\""]}},
    # DS esmtp:localhost while sendmail listens on 127.0.0.1:25
    "004/step2": {"has": ["smarthost-loops", "cf-hand-edited"],
                  "not": ["milter-bypassed"]},
    # F=k with the daemon on port 25: the loop is no longer caught
    "004/as-edited-daemon": {
        "has": ["smarthost-loops"],
        "why": {"smarthost-loops": ["F=k on the esmtp mailer only turns off the check"]}},
    "004/variants/defaultauthinfo-james": {
        "has": ["defaultauthinfo-ignored"],
        "not": ["smarthost-loops", "milter-bypassed"],
        "fix": {"defaultauthinfo-ignored": ["AuthInfo:127.0.0.5 \"U:username\" "
                                            "\"I:username\" \"P:<password>\""]}},
    "004/variants/james-trusts-localhost": {"has": ["milter-bypassed"]},
    "004/fixed": {"not": ["smarthost-loops", "milter-bypassed",
                          "defaultauthinfo-ignored", "cf-hand-edited"]},
}


def _check(tap, config, exp, out, work):
    byid = {}
    for f in out["findings"]:
        byid.setdefault(f["id"], f)
    bad = []
    for i in exp.get("has", []):
        if i not in byid:
            bad.append("no %s" % i)
    for i in exp.get("not", []):
        if i in byid:
            bad.append("%s must not be there: %s" % (i, byid[i]["what"]))
    for key in ("what", "why", "fix"):
        for i, texts in exp.get(key, {}).items():
            for t in texts:
                if i in byid and t not in byid[i][key]:
                    bad.append("%s of %s lacks %r: %r" % (key, i, t, byid[i][key]))
    if bad:
        bad += ["%s %s: %s" % (f["severity"], f["id"], f["what"])
                for f in out["findings"]] + [work.log()[-2000:]]
    tap.line(not bad, "doctor config %s: %s" % (config, ", ".join(
        exp.get("has", [])) or "none of " + ", ".join(exp.get("not", []))), bad)


def run(tap, doctor, wanted):
    if not os.access(doctor, os.X_OK):
        tap.skip("doctor config on the seeds", "no %s (run make)" % doctor)
        return
    chosen = [c for c in TRAPS if wanted(c)]
    for config in chosen:
        w = setups.Work(os.path.join(HERE, config))
        try:
            rc, out, err = w.doctor(doctor)
            if out is None:
                tap.line(False, "doctor config %s: JSON" % config,
                         ["exit %d" % rc, err, w.log()])
                continue
            _check(tap, config, TRAPS[config], out, w)
        finally:
            w.cleanup()

    class Tap:
        @staticmethod
        def ok(name):
            tap.line(True, name)

        @staticmethod
        def not_ok(name, *diag):
            tap.line(False, name, diag)

        @staticmethod
        def skip(name, why):
            tap.skip(name, why)
    for config in chosen:
        st = setups.load(os.path.join(HERE, config))
        acct = None
        for sh in (st.get("smarthosts") or {}).values():
            acct = acct or sh.get("account")
        fixprop.check(Tap, "doctor fixes %s" % config,
                      lambda c=config: setups.Work(os.path.join(HERE, c)),
                      doctor, {"account": st.get("account") or acct or
                               "relay@example.test",
                               "password": st.get("password") or "password"})


# capture -> the patterns of its failure (from its expect= in capture),
# which must be gone once the doctor's fixes are applied; "want": patterns
# that must then be there
WORLD = {
    "000/port25-first-try": {"gone": [
        r"FEATURE\(\) should be before MAILER\(\)",
        r"stat=Deferred: Connection timed out with smtp\.gmail\.com\."]},
    "000/before-mx-timeout": {"gone": [
        r"stat=Deferred: Connection timed out with aspmx2\.googlemail\.com\."]},
    "001/hosts-loopback-first": {"gone": [
        r"\$j = localhost\.localdomain",
        r"reply=550 5\.7\.1 Invalid credentials for relay"]},
    "002/as-printed": {"gone": [
        r"end of file in argument list", r"cannot open `/etc/mail/m4/dialup\.m4'",
        r"No local mailer defined",
        r"stat=Deferred: Connection refused by \[127\.0\.0\.1\]"]},
    "002/corrected": {"gone": [
        r"end of file in argument list",
        r"stat=Deferred: Connection refused by \[127\.0\.0\.1\]"]},
    "002/local-domain": {"gone": [
        r"to=user@example\.org, .*mailer=local, .*stat=User unknown",
        r"<someone@example\.org>\.\.\. User unknown"]},
    "003/port25-open": {"gone": [r"reply=550 Unauthenticated senders not allowed"]},
    "003/port25-blocked": {"gone": [r"relay=587, dsn=5\.1\.2"]},
    "003/relay-port-p": {"gone": [
        r"stat=Deferred: Connection refused by smtp\.example\.com\."]},
    "004/step2-loop": {"gone": [r"config error: mail loops back to me",
                                r"dsn=5\.3\.5, stat=Local configuration error"]},
    "004/msp-direct": {"gone": [r"reply=530 5\.7\.0 Authentication Required"],
                       "want": [r"relaymilter\[\d+\]: \w+: action="]},
    "004/msp-direct-accepted": {"want": [r"relaymilter\[\d+\]: \w+: action="]},
    "004/daemon-loop": {"gone": [r"Too many hops"]},
    "004/defaultauthinfo-ignored": {"gone": [
        r"reply=530 5\.7\.0 Authentication Required"]},
}


def _known(st):
    acct = None
    for sh in (st.get("smarthosts") or {}).values():
        acct = acct or sh.get("account")
    return {"account": st.get("account") or acct or "relay@example.test",
            "password": st.get("password") or "password"}


def doctor_fixed(config, doctor, out_dir):
    """The configuration with every applicable fix of the doctor applied,
    written to out_dir/setup.json; returns (notes, the last findings)."""
    cdir = os.path.join(HERE, config)
    merged = setups.load(cdir)
    known = _known(merged)
    w = setups.Work(cdir)
    edited, cmds, applied, notes, pending = [], [], [], [], []

    def host(path):
        if path not in edited:
            edited.append(path)
        return w.host(path)
    try:
        out = None
        for _ in range(MAX_ROUNDS):
            rc, out, err = w.doctor(doctor, pending, args=["--no-mailq"])
            cmds += pending
            pending = []
            if out is None:
                notes.append("no JSON: %s" % err)
                break
            picked = None
            for f in out["findings"]:
                key = (f["id"], f.get("file"), f["what"])
                if key in applied:
                    continue
                applied.append(key)
                try:
                    pending = fixes.apply(f["fix"], out.get("mc"), host, known)
                except fixes.NotApplicable:
                    continue
                picked = f
                notes.append("applied the fix of %s" % f["id"])
                break
            if picked is None:
                break
        raw = json.load(open(os.path.join(cdir, "setup.json")))
        new = dict(raw)
        new["title"] = "%s with every fix relaymilter-doctor config printed" % config
        if "base" in raw:
            new["base"] = os.path.normpath(os.path.join(cdir, raw["base"]))
        files = []
        for f in raw.get("files", []):
            f = dict(f)
            if "src" in f:
                f["src"] = os.path.normpath(os.path.join(cdir, f["src"]))
            files.append(f)
        for path in edited:
            up = w.host(path)
            if not os.path.isfile(up):
                continue
            dst = os.path.join(out_dir, "fixed-" + path.strip("/").replace("/", "_"))
            text = open(up, errors="surrogateescape").read()
            if path == "/etc/hosts":
                text = "".join(l for l in text.splitlines(True)
                               if l.rstrip("\n") not in w.dns_lines)
            with open(dst, "w", errors="surrogateescape") as fh:
                fh.write(text)
            for f in files:
                if f.get("dst") == path:
                    f["src"] = dst
                    break
            else:
                files.append({"src": dst, "dst": path})
        new["files"] = files
        new["commands"] = list(raw.get("commands", [])) + cmds
        # what a fix asks of another program
        if any(n == "applied the fix of milter-missing" for n in notes) and \
                not merged.get("milter", True):
            # the INPUT_MAIL_FILTER line the fix adds: relaymilter runs,
            # with the configuration make install puts in place when
            # there is none (conf/relaymilter.conf: every default)
            new["milter"] = True
            if not any(f.get("dst") == "/etc/relaymilter/relaymilter.conf"
                       for f in files):
                files.append({"src": SAMPLE_CONF, "dst":
                              "/etc/relaymilter/relaymilter.conf",
                              "mode": "0640", "owner": "root:smmsp"})
            notes.append("relaymilter runs, as the fix's filter line asks")
        if any("systemctl start sendmail" in c for c in cmds):
            mta = dict(merged.get("mta") or {})
            mta["run"] = True
            new["mta"] = mta
            notes.append("sendmail's MTA runs again, as the fix says")
        cf = w.host("/etc/mail/sendmail.cf")
        if os.path.exists(cf) and "\nDSrelay:[127.0.0.5]" in open(cf).read():
            shs = json.loads(json.dumps(merged.get("smarthosts") or {}))
            for name, sh in shs.items():
                if sh.get("profile") == "local-relay" and sh.get("addr") != "127.0.0.5":
                    sh["addr"] = "127.0.0.5"
                    notes.append("the local relay %s moved to 127.0.0.5, as the "
                                 "fix says" % name)
            new["smarthosts"] = shs
        with open(os.path.join(out_dir, "setup.json"), "w") as fh:
            json.dump(new, fh, indent=1)
        return notes, out
    finally:
        w.cleanup()


def _capture(cap, name, config, doc, fn, scratch):
    """cap.run_capture() for a configuration that may no longer fail: its
    steps wait for any delivery line where they waited for a failure, no
    step waits longer than WAIT_MAX for a line, and a step that still
    waits for one that never comes ends the steps (the maillog is kept all
    the same)."""
    import seedlib
    orig = cap.settle

    def settle(r, s, stat=None, timeout=40):
        return orig(r, s, None, min(timeout, WAIT_MAX))
    cap.settle = settle
    w = seedlib.world_for(config, quick_stop=("relaymilter",))
    # the steps wait up to 3 minutes for the lines of the failure; with
    # the fixes they never come: WAIT_MAX is long enough for a delivery
    wait_log = w.wait_log

    def capped(regex, since=0, timeout=20):
        return wait_log(regex, since=since, timeout=min(timeout, WAIT_MAX))
    w.wait_log = capped
    r = cap.Run(name, config, doc, w, scratch)
    err = None
    try:
        w.up()
        try:
            fn(r)
        except Exception as e:
            err = "%s: %s" % (type(e).__name__, e)
        r.wait_idle()
        r.files(r.since)
    finally:
        cap.settle = orig
        w.down()
    return r, err


def run_world(tap, doctor, cap, scratch, wanted):
    import re
    if not os.access(doctor, os.X_OK):
        tap.skip("the doctor's fixes in the world", "no %s" % doctor)
        return
    for name, config, doc, fn, expect in cap.CAPTURES:
        spec = WORLD.get(name)
        if spec is None or not wanted(name, config):
            continue
        d = tempfile.mkdtemp(prefix="rm-seeds-fixed.")
        try:
            notes, last = doctor_fixed(config, doctor, d)
            r, err = _capture(cap, name, d, doc, fn, scratch)
            if err:
                notes.append("the capture's steps stopped: %s" % err)
            text = (r.log_text + "\n" + "\n".join(r.text) + "\n" +
                    json.dumps(r.received, sort_keys=True))
            bad = ["still there: /%s/" % g for g in spec.get("gone", [])
                   if re.search(g, text)]
            # the failure may be gone because nothing happened at all (a
            # step that stopped, mail tempfailed): the message must leave
            if not re.search(r"stat=Sent", r.log_text) and not r.received:
                bad.append("nothing delivered: no stat=Sent, the relay "
                           "stand-ins received nothing")
            bad += ["missing: /%s/" % g for g in spec.get("want", [])
                    if not re.search(g, text)]
            left = ["left: %s %s" % (f["id"], f["what"][:150])
                    for f in (last or {}).get("findings", [])]
            tap.line(not bad, "capture %s with the doctor's fixes (%s): its failure "
                     "is gone" % (name, "; ".join(n for n in notes if
                                                  not n.startswith("applied")) or
                                   "%d fixes" % len(notes)),
                     bad + notes + left + ["maillog:"] +
                     ["  " + l for l in r.log_text.splitlines()[-30:]] +
                     ["commands:"] + r.text[-6:])
        except Exception as e:
            import traceback
            tap.line(False, "capture %s with the doctor's fixes" % name,
                     [traceback.format_exc()])
        finally:
            shutil.rmtree(d, ignore_errors=True)
