"""security.py - the security proofs of tests/faults/run.

CONTRACT: test functions t_NAME(c, ctx) -> the TAP line's name:
  t_modes       the socket's mode from UMask, the trace key 0600, a key
                readable by group or others refused at start
  t_untrusted   no rewrite to the relay account for untrusted clients,
                whatever they send (SMTP, and IPv6/IPv4-mapped addresses
                through tests/tools/milterclient)
  t_injection   CR, LF, NUL and other control characters in senders and
                From: never make an extra header or an extra log line
  t_passwords   no authinfo password in any file the world wrote or in the
                tools' output
"""
import base64
import os
import re
import stat
import subprocess
import time

from faultlib import (ACCOUNT, BASE_CONF, CONFDIR, RCPT, SOCKDIR, TRACE, decisions_since,
                      failed_start, kv, milterclient, qid_of, raw_smtp, say)
import world  # tests/e2e/world.py, on sys.path through faultlib
from world import WorldError, wait_for


INJ = "X-Injected"


def _no_injected_header(c, rec, what):
    """No header named like the marker, no line of the message starting with
    it, and no control character in the headers relaymilter writes (From:,
    Reply-To:, the trace header) other than CRLF + blank folding."""
    names = [h[0] for h in rec.get("headers", [])]
    bad = [n for n in names if n.lower().startswith(INJ.lower())]
    c.true(not bad, "%s: injected header(s) at the smarthost: %s" % (what, bad))
    for name, value in rec.get("headers", []):
        if name.lower() in ("from", "reply-to", "x-relay-trace") and \
                re.search(r"[\x00-\x08\x0a-\x1f\x7f]", re.sub(r"\r?\n[ \t]", " ", value)):
            c.fail.append("%s: control character in %s: %r" % (what, name, value))
    try:
        with open(rec["file"][:-5] + ".eml", "rb") as f:
            raw = f.read()
    except OSError as e:
        c.fail.append("%s: the stand-in's copy of the message: %s" % (what, e))
        return
    starts = [l for l in raw.split(b"\n") if l.lower().startswith(INJ.lower().encode())]
    c.true(not starts, "%s: a line of the received message starts with %s: %s"
           % (what, INJ, starts[:3]))


def _log_clean(c, w, mark, what):
    """No line of the maillog (since MARK) starts with the marker once the
    syslog prefix is taken off, and relaymilter's lines carry no control
    characters (the catcher would write them as #ooo, as rsyslog does)."""
    for l in w.log_since(mark):
        m = re.match(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ ([^:]+): (.*)$", l)
        if not m:
            c.fail.append("%s: a maillog line that is not a syslog line: %r" % (what, l))
            continue
        prog, msg = m.group(1), m.group(2)
        if msg.lower().startswith(INJ.lower()) or re.match(r"^\w+: " + INJ, msg, re.I):
            c.fail.append("%s: the marker starts a log line: %r" % (what, l))
        if prog.startswith("relaymilter") and re.search(r"#0[0-3][0-7]|#177", msg):
            c.fail.append("%s: relaymilter logged a control character: %r" % (what, l))


def t_injection(c, ctx):
    """header and log injection"""
    w = ctx.w
    # the paths that copy client text: RewriteHeaderFrom yes rewrites From:
    # (keeping its display name) and adds Reply-To: with the old From:
    ctx.set_conf(ctx.conf("RewriteHeaderFrom yes\n"))
    mark = w.log_mark()
    n = [0]

    def mk(n_hdr):
        n[0] += 1
        mid = "<inj.%d.%d@mta.test>" % (os.getpid(), n[0] + int(time.time() * 1000))
        return mid, ("%sTo: %s\r\nSubject: injection %d\r\nMessage-ID: %s\r\n\r\n"
                     "body\r\n.\r\n" % (n_hdr, RCPT, n[0], mid))

    # 1. raw SMTP to sendmail: what sendmail lets through reaches relaymilter
    senders = ['<a\r%s-E1: 1@mta.test>' % INJ,                # bare CR: accepted
               '<"b\r%s-E2: 1"@mta.test>' % INJ,
               '<"c\x0b%s-E3: 1"@mta.test>' % INJ,            # VT, FF: accepted
               '<"d\x0c%s-E4: 1"@mta.test>' % INJ,
               '<"e\t%s-E5: 1"@mta.test>' % INJ,
               '<root@mta.test>']
    froms = ['From: root@mta.test\r\n',
             'From: "Evil\r\n %s-H1: 1" <root@mta.test>\r\n' % INJ,      # folded
             'From: =?utf-8?q?evil=0D=0A%s-H2:_1?= <root@mta.test>\r\n' % INJ,
             'From: =?utf-8?b?%s?= <root@mta.test>\r\n'
             % base64.b64encode(("x\r\n%s-H3: 1" % INJ).encode()).decode(),
             'From: root@mta.test\r\n\t%s-H4: 1\r\n' % INJ,
             'From: "x\x0b%s-H5: 1" <root@mta.test>\r\n' % INJ]
    accepted = []
    sessions = []
    for i, snd in enumerate(senders):
        for j, frm in enumerate(froms):
            if i and j:      # every sender with a plain From:, every From: from root
                continue
            mid, body = mk(frm)
            sessions.append((mid, snd, [say("EHLO mta.test\r\n"), say("MAIL FROM:%s\r\n" % snd),
                                        say("RCPT TO:<%s>\r\n" % RCPT), say("DATA\r\n"),
                                        say(body), say("QUIT\r\n")]))
    res = raw_smtp(w, [s[2] for s in sessions])
    for (mid, snd, _), r in zip(sessions, res):
        q = qid_of(r[5]["text"]) if len(r) > 5 else None
        if q:
            accepted.append((mid, q, "SMTP MAIL FROM %r" % snd))
    c.true(len(accepted) >= 6, "sendmail accepted enough of the hostile messages to test "
           "(%d): %s" % (len(accepted), [r[2:] for r in res][:3]))
    # 2. `sendmail -t`: header tricks through the MSP, and -f with a CR
    for k, frm in enumerate(froms[1:] + ['From: root@mta.test\r\n']):
        mid, body = mk(frm)
        args = ("-t", "-i") if k < len(froms) - 1 else \
            ("-t", "-i", "-f", "x\r%s-F1: 1@mta.test" % INJ)
        r = w.sendmail(body[:-5].replace("\r\n", "\n").encode(), args=args)
        if r.returncode == 0:
            try:
                q = w.wait_mta_qid(mid, since=mark, timeout=15)
                accepted.append((mid, q, "sendmail -t %s" % frm.strip()[:40]))
            except WorldError as e:
                c.fail.append("sendmail -t with %r: %s" % (frm, e))
    # every accepted message is either at the smarthost or refused there
    # (the stand-in answers 501 to a MAIL FROM with a CR in it: sendmail's
    # business, relaymilter skipped those as bad-sender)
    for mid, q, what in accepted:
        try:
            w.wait_delivery(q, RCPT, since=mark, timeout=20,
                            stat=r"(Sent|Data format error|Service unavailable|User unknown)")
        except WorldError as e:
            c.fail.append("%s: %s" % (what, e))
    have = ctx.gmail.by_msgid()
    arrived = [a for a in accepted if a[0] in have]
    c.true(len(arrived) >= len(froms) + 1, "hostile messages at the smarthost (%d of %d): %s"
           % (len(arrived), len(accepted), [a[2] for a in accepted if a not in arrived]))
    for mid, q, what in accepted:
        for rec in have.get(mid, []):
            _no_injected_header(c, rec, "%s (%s)" % (what, q))
        try:
            w.wait_decision(q, since=mark)
        except WorldError:
            c.fail.append("%s: no decision line for %s" % (what, q))
            c.show(qid=q)
        rm = [l for l in w.lines_for(q, since=mark) if re.search(r" relaymilter\[\d+\]: ", l)]
        c.eq(len(rm), 1, "%s: relaymilter lines for %s" % (what, q))
    # 3. the bytes sendmail refuses, straight to the daemon
    mc_cases = [
        ("-f", "<root@mta.test\\r\\n%s-M1: 1>" % INJ),
        ("-f", "<root@mta.test>\\r\\n%s-M2: 1" % INJ),
        ("-f", "<\"r\\n%s-M3: 1\"@mta.test>" % INJ),
        ("-f", "<root@mta.test\\0%s-M4: 1>" % INJ),
        ("-f", "<\\x1b[2J\\x1b]0;%s-M5\\x07root@mta.test>" % INJ),
        ("-H", "From: \"Evil\\r\\n%s-M6: 1\" <root@mta.test>" % INJ),
        ("-H", "From: \"Evil\\n%s-M7: 1\" <root@mta.test>" % INJ),
        ("-H", "From: root@mta.test\\r\\n%s-M8: 1" % INJ),
        ("-H", "From: \"E\\0vil\" <root@mta.test>\\0\\r\\n%s-M9: 1" % INJ),
        ("-H", "From: \"\\x7f\\x08\\x1b%s-M10: 1\" <root@mta.test>" % INJ),
        ("-q", "FXQ\\r\\n%s-M11: 1" % INJ),
        ("-j", "mta.test\\r\\n%s-M12: 1" % INJ),
    ]
    mc_mark = w.log_mark()
    for i, (opt, val) in enumerate(mc_cases):
        qid = "FXINJ%02d" % i
        args = ["-e", "-a", "127.0.0.1", "-j", "mta.test", "-q", qid, "-f", "<root@mta.test>",
                "-r", "<%s>,relay,[smtp.gmail.test]" % RCPT]
        if opt == "-H":
            args += ["-H", val]
        elif opt == "-f":
            args += ["-f", val]
        else:
            args[args.index(opt) + 1] = val
        out = milterclient(w, args)
        lines = out.stdout.splitlines()
        ok_lines = [l for l in lines if re.match(r"^(CHGFROM|INSHEADER|CHGHEADER|ADDHEADER|"
                                                 r"REPLYCODE|RESULT) ", l)]
        c.true(out.returncode == 0 and lines and len(ok_lines) == len(lines),
               "milterclient %s %r: every modification on one line: %r %s"
               % (opt, val, out.stdout, out.stderr))
        for l in lines:
            if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", l):
                c.fail.append("milterclient %s %r: control character in %r" % (opt, val, l))
            hdr = re.match(r"^(?:INSHEADER \d+|CHGHEADER \d+|ADDHEADER) ([^:]+): ", l)
            if hdr and hdr.group(1).lower().startswith(INJ.lower()):
                c.fail.append("milterclient %s %r: injected header %r" % (opt, val, l))
    time.sleep(0.5)
    for i, (opt, val) in enumerate(mc_cases):
        qid = "FXINJ%02d" % i if opt != "-q" else "FXQ"
        got = [l for l in w.log_since(mc_mark) if (" %s" % qid) in l]
        c.eq(len(got), 1, "milterclient %s %r: relaymilter lines for %s" % (opt, val, qid))
    _log_clean(c, w, mark, "maillog")
    # 4. the same bytes to a relaymilter that logs to stderr (Syslog no):
    # there no syslog daemon escapes what slips through
    sock = SOCKDIR + "/faults-stderr.sock"
    conf = ctx.conf("RewriteHeaderFrom yes\n").replace(
        "local:" + world.MILTER_SOCKET, "local:" + sock).replace("Syslog\t\tyes", "Syslog\t\tno")
    w.write_milter_file("faults-stderr.conf", conf)
    errf = w.path("log", "faults-stderr.out")
    with open(errf, "wb") as ef:
        p = w.popen([w.milter_binary, "-f", "-c", CONFDIR + "/faults-stderr.conf"],
                    stdout=ef, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: w.listening("unix", sock) or p.poll() is not None, 10,
                 "the Syslog-no relaymilter")
        for i, (opt, val) in enumerate(mc_cases):
            args = ["-e", "-a", "127.0.0.1", "-j", "mta.test", "-q", "FXERR%02d" % i,
                    "-f", "<root@mta.test>", "-r", "<%s>,relay,[smtp.gmail.test]" % RCPT]
            if opt in ("-H", "-f"):
                args += [opt, val]
            else:
                args[args.index(opt) + 1] = val
            milterclient(w, args, sock=sock)
    finally:
        p.terminate()
        p.wait(15)
        os.unlink(w.milter_file("faults-stderr.conf"))
    c.eq(p.returncode, 0, "exit status of the Syslog-no relaymilter after SIGTERM")
    with open(errf, "rb") as f:
        err_lines = f.read().split(b"\n")
    err_lines = [l for l in err_lines if l]
    dec = [l for l in err_lines if b"action=" in l]
    c.eq(len(dec), len(mc_cases), "decision lines on stderr (one per message)")
    other = [l for l in err_lines if b"action=" not in l and
             not re.search(rb"relaymilter.* (starting on|stopping)", l)]
    c.true(not other, "stderr lines that are neither a decision nor start/stop: %r" % other[:5])
    bad = [l for l in err_lines if re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", l) or
           l.lower().startswith(INJ.lower().encode())]
    c.true(not bad, "control characters or a marker at a line start on stderr: %r" % bad[:5])
    return ("security: CR, LF, NUL, VT, FF, ESC, DEL in senders and From: (raw SMTP %d "
            "accepted by sendmail, `sendmail -t` with folding/encoded words/-f, %d milterclient "
            "cases sendmail would refuse): no extra header at the smarthost or from the milter, "
            "one log line per message in the maillog and on stderr (Syslog no)"
            % (len(accepted), len(mc_cases)))


def t_passwords(c, ctx):
    """no authinfo password in any file or output"""
    w = ctx.w
    outs = {}

    def keep(name, cp):
        outs[name] = (cp.stdout or "") + (cp.stderr or "")

    keep("relaymilter -n", w.run([w.milter_binary, "-n", "-c", world.MILTER_CONF], check=False))
    for sh in world.SMARTHOSTS.values():
        keep("relaymilter -T --relay %s" % sh["name"],
             w.run([w.milter_binary, "-c", world.MILTER_CONF, "-T", "root@mta.test",
                    "--relay", "[%s]" % sh["name"]], check=False))
    keep("relaymilter -V", w.run([w.milter_binary, "-V"], check=False))
    for args in (["-t"], ["-j"], ["-s"], ["-a"], ["-u"]):
        cp = subprocess.run([TRACE] + args + [w.maillog_path], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, timeout=120)
        keep("relaymilter-trace %s" % " ".join(args), cp)
    # broken authinfo files: the error names file and line, never the value
    gm = world.SMARTHOSTS["gmail"]
    pw = gm["password"]
    broken = [
        '"U:smmsp" "I:%s" "P:%s" "M:PLAIN LOGIN' % (gm["account"], pw),      # no closing quote
        '"U:smmsp" "I:%s" "P=%s!!" "M:PLAIN"' % (gm["account"], pw),         # bad base64
        '"U:smmsp" "I:%s" "X:%s" "M:PLAIN"' % (gm["account"], pw),            # unknown tag
        '"U:smmsp" "I:%s" P:%s' % (gm["account"], pw),                        # unquoted
        '"P:%s"' % pw,                                                        # no U:, no I:
        '"U:smmsp" "I:a\x01b@gmail.test" "P:%s"' % pw,                        # control char
    ]
    for i, tail in enumerate(broken):
        path = "/etc/mail/relaymilter/faults-authinfo-%d" % i
        with open(w.root(path), "w") as f:
            f.write("AuthInfo:smtp.gmail.test\t%s\n" % tail)
        os.chmod(w.root(path), 0o644)
        w.write_milter_file("faults-pw.conf", BASE_CONF.replace("/etc/mail/authinfo", path))
        cp = w.run([w.milter_binary, "-n", "-c", CONFDIR + "/faults-pw.conf"], check=False)
        keep("relaymilter -n, broken authinfo %d" % i, cp)
        c.true(cp.returncode == 1 and "%s:1:" % path in cp.stderr,
               "broken authinfo %d: -n fails with file:line: %r" % (i, cp.stderr))
        cp = w.run([w.milter_binary, "-c", CONFDIR + "/faults-pw.conf", "-T", "root@mta.test"],
                   check=False)
        keep("relaymilter -T, broken authinfo %d" % i, cp)
    # and a reload with one (the error goes to the maillog)
    w.write_milter_file("relaymilter.conf", BASE_CONF.replace(
        "/etc/mail/authinfo", "/etc/mail/relaymilter/faults-authinfo-0"))
    line = w.reload_milter()
    c.true("reload failed" in line, "reload with a broken authinfo fails: %s" % line)
    w.write_milter_file("relaymilter.conf", BASE_CONF)
    c.true("reloaded" in w.reload_milter(), "reload back")
    for i in range(len(broken)):
        os.unlink(w.root("/etc/mail/relaymilter/faults-authinfo-%d" % i))
    os.unlink(w.milter_file("faults-pw.conf"))
    with open(w.path("log", "faults-outputs.txt"), "w") as f:
        for k, v in outs.items():
            f.write("==== %s\n%s\n" % (k, v))
    # every file the world wrote, except the harness's own state and the
    # credential files themselves
    needles = []
    for sh in world.SMARTHOSTS.values():
        if sh.get("password"):
            p = sh["password"]
            needles += [p.encode(), base64.b64encode(p.encode()),
                        base64.b64encode(("\0%s\0%s" % (sh["account"], p)).encode()),
                        base64.b64encode(("%s\0%s\0%s" % (sh["account"], sh["account"], p))
                                         .encode())]
    skip = {w.path("state.json"), w.root("/etc/mail/authinfo"), w.root("/etc/mail/authinfo.db")}
    scanned, hits = 0, []
    for root, dirs, files in os.walk(w.dir):
        for fn in files:
            path = os.path.join(root, fn)
            if path in skip or not os.path.isfile(path) or os.path.islink(path):
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            scanned += 1
            for nd in needles:
                if nd in data:
                    hits.append("%s contains %r" % (os.path.relpath(path, w.dir), nd[:6] + b"..."))
    c.true(scanned > 20, "files scanned: %d" % scanned)
    c.true(not hits, "password found: %s" % hits)
    return ("security: no authinfo password (plain, base64, AUTH PLAIN) in any of the %d files "
            "the world wrote (maillog, all.log, daemons' output, spools, stand-in records) nor "
            "in the outputs of relaymilter -n/-T/-V, relaymilter-trace, 6 broken authinfo "
            "files and a failed reload" % scanned)


def t_untrusted(c, ctx):
    """untrusted clients never get the relay account"""
    w = ctx.w
    mark = w.log_mark()
    cases = []

    def sess(source, helo, mail, rcpt=RCPT, auth=None):
        steps = [say("EHLO %s\r\n" % helo)]
        if auth:
            steps.append(say("AUTH PLAIN %s\r\n" % base64.b64encode(
                ("\0%s\0%s" % auth).encode()).decode()))
        mid = "<untrusted.%d.%d@lan.test>" % (len(cases), int(time.time() * 1000))
        body = ("From: %s\r\nTo: %s\r\nSubject: untrusted %d\r\nMessage-ID: %s\r\n\r\nb\r\n.\r\n"
                % (ACCOUNT, rcpt, len(cases), mid))
        steps += [say("MAIL FROM:%s\r\n" % mail), say("RCPT TO:<%s>\r\n" % rcpt),
                  say("DATA\r\n"), say(body), say("QUIT\r\n")]
        cases.append({"source": source, "mail": mail, "mid": mid, "steps": steps,
                      "rcpt": rcpt, "auth": bool(auth)})

    L, I = world.LAN_UNTRUSTED, world.INTERNET
    gm = world.SMARTHOSTS["gmail"]
    sess(L, "printer.lan.test", "<%s>" % ACCOUNT)
    sess(L, "printer.lan.test", "<scanner@lan.test> AUTH=<%s>" % ACCOUNT)
    sess(L, "printer.lan.test", "<%s> AUTH=<%s>" % (ACCOUNT, ACCOUNT))
    sess(L, "mta.test", "<root@mta.test>")
    sess(L, "localhost", "<voicemail@pbx.test>")
    sess(L, "[127.0.0.1]", "<backup@mta.test>")
    sess(L, "printer.lan.test", "<@mta.test:%s>" % ACCOUNT)
    sess(L, "printer.lan.test", "<root>")
    sess(L, "printer.lan.test", "<root@mta.test>", auth=(gm["account"], gm["password"]))
    sess(I, "mail.outside.test", "<%s>" % ACCOUNT)
    sess(I, "mail.outside.test", "<root@mta.test>", rcpt="alice@mta.test")
    sess(I, "mail.outside.test", "<%s>" % ACCOUNT, rcpt="alice@mta.test")
    by_source = {}
    for k in cases:
        by_source.setdefault(k["source"], []).append(k)
    for src, ks in by_source.items():
        server = world.LAN_MTA
        res = raw_smtp(w, [k["steps"] for k in ks], source=src, server=server)
        for k, r in zip(ks, res):
            k["replies"] = [x["text"] for x in r]
            k["qid"] = next((qid_of(x["text"]) for x in r if qid_of(x["text"])), None)
    relayed = [k for k in cases if k["qid"] and k["rcpt"] == RCPT]
    local = [k for k in cases if k["qid"] and k["rcpt"] != RCPT]
    c.true(len(relayed) >= 8, "sendmail relayed most of the untrusted LAN attempts (%d): %s"
           % (len(relayed), [(k["mail"], k["replies"][-3:]) for k in cases if not k["qid"]]))
    # (every address of the world is on its loopback interface, so sendmail
    # relays for the "internet" client too: relaymilter is the only guard)
    missing = ctx.gmail.wait_all([k["mid"] for k in relayed], timeout=30)
    c.true(not missing, "missing at the smarthost: %s" % missing)
    have = ctx.gmail.by_msgid()
    for k in relayed + local:
        q = k["qid"]
        d = kv(w.wait_decision(q, since=mark))
        c.true(d.get("action") != "rewrite" and "to" not in d,
               "%s from %s: not rewritten: decision %s" % (k["mail"], k["source"], d))
        c.true(d.get("reason") in ("untrusted", "not-relayed"),
               "%s from %s: reason %s" % (k["mail"], k["source"], d.get("reason")))
        w.wait_log(r" %s: to=" % q, since=mark, timeout=20)
        chg = [l for l in w.lines_for(q, since=mark) if "chgfrom" in l]
        c.eq(chg, [], "%s from %s: no chgfrom line" % (k["mail"], k["source"]))
        fromline = [l for l in w.lines_for(q, since=mark) if re.search(r": from=<", l)]
        env = re.search(r"from=<([^>]*)>", fromline[0]).group(1) if fromline else None
        if env:
            env = re.sub(r"^@[^:]*:", "", env)    # sendmail drops a source route
        for rec in have.get(k["mid"], []):
            c.eq(rec["mail_from"], env, "%s from %s: MAIL FROM at the smarthost is what the "
                 "client sent" % (k["mail"], k["source"]))
        if k["rcpt"] != RCPT:
            c.true("<%s>" % env in w.mailbox("alice") or env in w.mailbox("alice"),
                   "local delivery keeps the sender %s" % env)
    # addresses sendmail never presents (it listens on IPv4 only): straight to
    # the daemon, with the macros sendmail would send
    mapped = ["::ffff:192.0.2.10", "::ffff:c000:20a", "::ffff:203.0.113.10", "::192.0.2.10",
              "64:ff9b::c000:20a", "::ffff:0:192.0.2.10", "fe80::1", "::1", "2001:db8::1"]
    mmark = w.log_mark()
    for i, a in enumerate(mapped):
        for sender, auth in (("<root@mta.test>", None), ("<%s>" % ACCOUNT, None),
                             ("<root@mta.test>", "")):
            args = ["-a", a, "-j", "mta.test", "-q", "FXMAP%02d%s" % (i, "A" if auth == "" else
                                                                      "S" if "@g" in sender
                                                                      else ""),
                    "-f", sender, "-r", "<%s>,relay,[smtp.gmail.test]" % RCPT]
            if auth is not None:
                args += ["-A", auth]
            out = milterclient(w, args)
            c.true(out.returncode == 0 and "RESULT continue" in out.stdout,
                   "milterclient -a %s: %r %r" % (a, out.stdout, out.stderr))
            c.true("CHGFROM" not in out.stdout, "client %s (%s, auth %r): no change of sender: "
                   "%r" % (a, sender, auth, out.stdout))
    time.sleep(0.5)
    dl = decisions_since(w, mmark)
    c.eq(len(dl), 3 * len(mapped), "decision lines for the IPv6 clients")
    for l in dl:
        d = kv(l)
        c.true(d.get("action") == "skip" and d.get("reason") == "untrusted",
               "IPv6 client decision: %s" % l)
    return ("security: untrusted clients (LAN printer, internet) never get the relay account: "
            "MAIL FROM the account, AUTH= on MAIL, a failed AUTH, HELO as the box, SenderMap "
            "keys, source routes; IPv4-mapped and "
            "other IPv6 addresses (sendmail listens on IPv4 only: driven with milterclient -a "
            "::ffff:192.0.2.10 etc.) are untrusted")


def t_modes(c, ctx):
    """socket mode from UMask, trace key 0600, a readable key refused"""
    w = ctx.w
    mu = w.ids[world.MILTER_USER][0]
    # the world's daemon (UMask 007 by default), then side instances with
    # other masks, started together (each takes libmilter's ~5s to stop)
    inst = {"007": (world.MILTER_SOCKET, None)}
    procs = []
    mark = w.log_mark()
    try:
        for umask in ("027", "077", "002", "000"):
            sock = "%s/faults-umask-%s.sock" % (SOCKDIR, umask)
            conf = "faults-umask-%s.conf" % umask
            text = BASE_CONF.replace("local:" + world.MILTER_SOCKET, "local:" + sock) + \
                "UMask %s\n" % umask
            if umask == "000":    # and a trace key that does not exist yet
                text = text.replace(CONFDIR + "/trace.key", CONFDIR + "/faults-new.key")
            w.write_milter_file(conf, text)
            procs.append(w.popen([w.milter_binary, "-f", "-c", CONFDIR + "/" + conf],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            inst[umask] = (sock, procs[-1])
        for umask, (sock, p) in inst.items():
            try:
                if p is not None:    # started: socket chowned, privileges dropped
                    w.wait_log(r"relaymilter\[%d\]: relaymilter .* starting on local:%s "
                               % (p.pid, re.escape(sock)), since=mark, timeout=15)
            except WorldError as e:
                c.fail.append(str(e))
                continue
            st = os.stat(w.root(sock))
            c.true(stat.S_ISSOCK(st.st_mode), "%s is a socket" % sock)
            c.eq(oct(stat.S_IMODE(st.st_mode)), oct(0o777 & ~int(umask, 8)),
                 "socket mode with UMask %s" % umask)
            c.eq(st.st_uid, mu, "owner of %s (the relaymilter user)" % sock)
        nk = w.milter_file("faults-new.key")
        c.true(os.path.exists(nk) and stat.S_IMODE(os.stat(nk).st_mode) == 0o600,
               "a new trace key is created 0600 even under UMask 000: %s"
               % (oct(os.stat(nk).st_mode) if os.path.exists(nk) else "missing"))
        # sendmail (root) talks to a 0700 socket: the UMask 077 instance
        out = milterclient(w, ["-a", "127.0.0.1", "-j", "mta.test", "-q", "FXUMASK",
                               "-f", "<root@mta.test>", "-r", "<%s>,relay,[smtp.gmail.test]"
                               % RCPT], sock=inst["077"][0])
        c.true("CHGFROM <%s>" % ACCOUNT in out.stdout, "the UMask 077 instance works for "
               "root: %r %r" % (out.stdout, out.stderr))
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(20)
        for umask, (sock, p) in inst.items():
            if p is not None:
                c.eq(p.returncode, 0, "exit status of the UMask %s relaymilter after SIGTERM"
                     % umask)
        for umask in ("027", "077", "002", "000"):
            f = w.milter_file("faults-umask-%s.conf" % umask)
            if os.path.exists(f):
                os.unlink(f)
        if os.path.exists(w.milter_file("faults-new.key")):
            os.unlink(w.milter_file("faults-new.key"))
    key = w.milter_file("trace.key")
    st = os.stat(key)
    c.eq(oct(stat.S_IMODE(st.st_mode)), oct(0o600), "trace key mode")
    c.eq(st.st_uid, mu, "trace key owner")
    sock = SOCKDIR + "/faults-key.sock"
    w.write_milter_file("faults-key.conf", BASE_CONF.replace("local:" + world.MILTER_SOCKET,
                                                             "local:" + sock))
    try:
        for mode in (0o644, 0o640, 0o604):
            os.chmod(key, mode)
            failed_start(c, w, "faults-key.conf", [], "the trace key is readable by group or "
                          "others (mode %04o)" % mode, sock, None, "trace key %04o" % mode)
    finally:
        os.chmod(key, 0o600)
        os.unlink(w.milter_file("faults-key.conf"))
    return ("security: the socket's mode follows UMask (007 -> 0770, 027 -> 0750, 077 -> 0700, "
            "002 -> 0775, 000 -> 0777), owned by relaymilter; the trace key is 0600 (also when "
            "created under UMask 000); a key readable by group or others is refused at start "
            "(the error names file and mode, exit 1, nothing left)")
