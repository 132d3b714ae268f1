#!/usr/bin/python3
"""queue_world.py - relaymilter-doctor queue (and relaymilter-trace --queue)
on the queue files the real sendmail of the end-to-end world writes

CONTRACT
  run(tap, doctor, trace, save=None) brings up one world
  (tests/e2e/world.py, with relaymilter when it is built) and makes
  sendmail 8.17 queue mail in every way the view must explain:
    mta: the relay black-holed (connect timeout, two recipient domains);
         the relay's 450 4.2.1 at RCPT (a recipient's own status); a
         temporary AUTH failure; a message quarantined with sendmail -Q
         (hf); a qf file with a line sendmail cannot read, which its queue
         run renames to Qf (lost);
    msp: a message submitted with -odq (queued, never tried) and one
         submitted while the MTA is down (connection refused).
  It then checks, inside the world: `relaymilter-doctor --json queue
  --messages` as root and as the trace service's user (relaymilter, group
  smmsp) names each message's cause (CASES), counts the rows and the
  oldest message, agrees with mailq about which messages are queued,
  exits 2 (error causes); the text view shows every cause with its fix;
  a control file that does not parse is named with its line and the rest
  is still read; reading changes nothing in the queue directories (names,
  sizes, times, contents); `relaymilter-trace --queue --prometheus`
  writes the same counts as gauges (promtool check metrics when
  installed), as the trace service's user; and the doctor, run again and
  again while sendmail's queue run delivers 30 messages, never fails and
  never names a file as unreadable (files rewritten or vanishing under
  it).
  With save=DIR (queue_world.py --save-fixtures [DIR]) the queue files are
  copied to DIR (default tests/e2e/fixtures/queue) before the concurrency
  test, with MANIFEST.json (queue, file, state, expected cause, how it was
  made). `tap` has ok(name), not_ok(name, *diag), skip(name, why); the
  world is torn down in every case; without root every test is a SKIP.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
WORLD_DIR = os.environ.get("RM_WORLD_DIR", os.path.join(REPO, "tests", "e2e"))
FIXTURES = os.path.join(REPO, "tests", "e2e", "fixtures", "queue")
MTA_Q, MSP_Q = "/var/spool/mqueue", "/var/spool/mqueue-client"

TESTS = ["the world queues mail in every way", "doctor names each message's cause",
         "doctor counts rows, oldest and exits 2", "doctor agrees with mailq",
         "doctor text view shows causes and fixes",
         "doctor reads both queues as relaymilter:smmsp",
         "a control file that does not parse is named, the rest read",
         "reading changes nothing in the queue directories",
         "trace --queue writes the same counts as gauges",
         "doctor while sendmail's queue run delivers"]

# name -> (queue, state, expected cause, how it was made)
CASES = {
    "blackhole": ("mta", "queued", "connect-timeout",
                  "two recipients (remote.test, other.test); the relay "
                  "127.0.0.2:587 black-holed (nft drop): connect timed out"),
    "rcpt450": ("mta", "queued", "quota-customer",
                "the relay answers RCPT with 450 4.2.1 Peak SMTP relay limit "
                "exceeded for customer (Workspace's text): the recipient's own M"),
    "auth454": ("mta", "queued", "auth-temporary",
                "the relay answers AUTH with 454 4.7.0 Too many login attempts; "
                "the queue file keeps only sendmail's 'Deferred: Temporary AUTH "
                "failure' (the reply is in the maillog's AUTH=client line)"),
    "quarantine": ("mta", "quarantined", "quarantined",
                   "deferred (451 at DATA), then sendmail -Q'held: relay budget "
                   "test (relaymilter)' -qI<qid>: sendmail's own quarantine, hf file"),
    "lost": ("mta", "lost", "queue-file-lost",
             "deferred (451 at DATA); the test added the line 'Xnot a queue line' "
             "before the final '.', and sendmail's queue run (-qI<qid>) "
             "renamed the file to Qf"),
    "msp-odq": ("msp", "queued", "none",
                "sendmail -odq -t through the MSP: queued, never tried (N0, no M)"),
    "msp-down": ("msp", "queued", "local-mta-down",
                 "sendmail -t through the MSP while the MTA is stopped: "
                 "Connection refused by [127.0.0.1]"),
}


def run(tap, doctor, trace, save=None):
    sys.path.insert(0, WORLD_DIR)
    try:
        import world
    except ImportError as e:
        for t in TESTS:
            tap.skip("queue: " + t, "no end-to-end world (%s)" % e)
        return
    why = world.require_root()
    if why:
        for t in TESTS:
            tap.skip("queue: " + t, why)
        return
    milter = os.path.join(REPO, os.environ.get("BUILD", "build"), "relaymilter")
    w = world.World(milter=os.access(milter, os.X_OK), milter_binary=milter,
                    profile="gmail")
    try:
        w.up()
        Q(tap, doctor, trace, w, world).all(save)
    except world.WorldError as e:
        tap.not_ok("queue: the world comes up and stays up", str(e))
    finally:
        w.down()


class Q:
    def __init__(self, tap, doctor, trace, w, world):
        self.tap, self.doctor, self.trace, self.w, self.world = tap, doctor, trace, w, world
        self.qid = {}

    def check(self, name, bad, *diag):
        if bad:
            self.tap.not_ok("queue: " + name, *(list(bad) + list(diag)))
        else:
            self.tap.ok("queue: " + name)

    # ------------------------------------------------------------ making it
    def deferred(self, subject, rcpt, stat="Deferred", timeout=30):
        w = self.w
        msg, mid = w.message("root@mta.test", rcpt, subject=subject)
        mark = w.log_mark()
        w.sendmail(msg)
        qid = w.wait_mta_qid(mid, since=mark)
        first = rcpt if isinstance(rcpt, str) else rcpt[0]
        w.wait_delivery(qid, first, since=mark, stat=stat, timeout=timeout)
        w.wait_mta_idle()
        return qid

    def make(self):
        w = self.w
        gmail = self.world.SMARTHOSTS["gmail"]
        # the MSP first: the MTA's restart runs its queue, which would
        # retry the deferred messages below
        msg, mid = w.message("root@mta.test", "heidi@remote.test", subject="queued only")
        w.sendmail(msg, args=("-odq", "-t", "-i"))
        self.qid["msp-odq"] = self.msp_qid(mid)
        w.stop("mta")
        msg, mid = w.message("root@mta.test", "ivan@remote.test", subject="mta down")
        w.sendmail(msg)
        self.qid["msp-down"] = self.msp_qid(mid)
        w.start("mta")
        w.blackhole(gmail["addr"], gmail["port"])
        self.qid["blackhole"] = self.deferred("relay black-holed",
                                              ["bob@remote.test", "carol@other.test"])
        w.unblackhole(gmail["addr"], gmail["port"])
        w.set_mode("gmail", rcpt="450 4.2.1 Peak SMTP relay limit exceeded for customer")
        self.qid["rcpt450"] = self.deferred("peak limit", "dave@remote.test")
        w.set_mode("gmail", auth="454 4.7.0 Too many login attempts, please try again "
                   "later. https://support.google.com/mail/answer/7126229 - gsmtp")
        self.qid["auth454"] = self.deferred("auth 454", "erin@remote.test")
        w.set_mode("gmail", data="451 4.3.0 Mail server temporarily rejected message.")
        q = self.qid["quarantine"] = self.deferred("to be quarantined", "frank@remote.test")
        r = w.run(["/usr/sbin/sendmail", "-Am", "-L", "sm-mta",
                   "-Qheld: relay budget test (relaymilter)", "-qI" + q], check=False)
        if not os.path.exists(w.root(MTA_Q + "/hf" + q)):
            raise self.world.WorldError("sendmail -Q made no hf file: %s %s"
                                        % (r.stdout, r.stderr))
        q = self.qid["lost"] = self.deferred("to be lost", "grace@remote.test")
        w.clear_mode("gmail")
        path = w.root(MTA_Q + "/qf" + q)
        with open(path, "rb") as f:
            text = f.read()
        if not text.endswith(b"\n.\n"):
            raise self.world.WorldError("%s does not end with a '.' line" % path)
        with open(path + ".new", "wb") as f:
            f.write(text[:-2] + b"Xnot a queue line\n.\n")
        st = os.stat(path)
        os.chown(path + ".new", st.st_uid, st.st_gid)
        os.chmod(path + ".new", st.st_mode & 0o7777)
        os.rename(path + ".new", path)
        mark = w.log_mark()
        w.run(["/usr/sbin/sendmail", "-Am", "-L", "sm-mta", "-qI" + q], check=False,
              timeout=60)
        self.wait_file(MTA_Q + "/Qf" + q)
        w.wait_log(r" %s: Losing \./qf%s: unrecognized line" % (q, q), since=mark)
    def wait_file(self, inside, timeout=20):
        self.world.wait_for(lambda: os.path.exists(self.w.root(inside)), timeout,
                            inside)

    def msp_qid(self, mid, timeout=20):
        d = self.w.root(MSP_Q)

        def find():
            for n in os.listdir(d):
                if n.startswith("qf"):
                    try:
                        with open(os.path.join(d, n), errors="replace") as f:
                            if mid in f.read():
                                return n[2:]
                    except FileNotFoundError:
                        pass
            return None
        return self.world.wait_for(find, timeout, "the MSP queue file of " + mid)

    # ------------------------------------------------------------ reading it
    def doctor_json(self, *args, user=None):
        r = self.w.run([self.doctor, "--json", "queue", "--messages"] + list(args),
                       user=user, check=False, timeout=120)
        try:
            return r, json.loads(r.stdout)
        except ValueError:
            return r, None

    def snapshot(self):
        snap = {}
        for d in (MTA_Q, MSP_Q):
            root = self.w.root(d)
            for n in sorted(os.listdir(root)):
                p = os.path.join(root, n)
                st = os.lstat(p)
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
                snap[d + "/" + n] = (st.st_size, st.st_mtime_ns, st.st_ino,
                                     st.st_mode, h)
        return snap

    def all(self, save):
        try:
            self.make()
        except self.world.WorldError as e:
            self.tap.not_ok("queue: " + TESTS[0], str(e))
            return
        self.tap.ok("queue: " + TESTS[0] + " (%s)" % ", ".join(
            "%s %s" % (k, v) for k, v in sorted(self.qid.items())))
        before = self.snapshot()
        r, out = self.doctor_json()
        self.check_causes(r, out)
        self.check_rows(r, out)
        self.check_mailq(out)
        self.check_text()
        self.check_user(out)
        self.check_broken()
        after = self.snapshot()
        changed = sorted(k for k in set(before) | set(after)
                         if before.get(k) != after.get(k))
        self.check(TESTS[7], ["changed: %s" % changed] if changed else [])
        self.check_trace(out)
        if save:
            self.save(save)
        self.check_concurrent()

    def by_qid(self, out):
        return {m["qid"]: m for m in (out or {}).get("messages", [])}

    def check_causes(self, r, out):
        bad = []
        if out is None:
            self.check(TESTS[1], ["no JSON: exit %d" % r.returncode], r.stdout[-2000:],
                       r.stderr[-2000:])
            return
        msgs = self.by_qid(out)
        for name, (queue, state, cause, _how) in CASES.items():
            m = msgs.get(self.qid[name])
            if m is None:
                bad.append("%s (%s): not listed" % (name, self.qid[name]))
                continue
            got = (m["queue"], m["state"], m["cause"])
            if got != (queue, state, cause):
                bad.append("%s (%s): %s, want %s (status %r)" % (
                    name, self.qid[name], got, (queue, state, cause), m.get("status")))
        q = msgs.get(self.qid["quarantine"], {})
        if "relay budget test" not in q.get("status", ""):
            bad.append("the quarantine reason is not shown: %r" % q.get("status"))
        b = msgs.get(self.qid["blackhole"], {})
        if "id=" not in (b.get("trace") or "") and os.access(
                os.path.join(REPO, os.environ.get("BUILD", "build"), "relaymilter"),
                os.X_OK):
            bad.append("the trace header of a relayed message is not shown: %r" % b)
        for c in out.get("causes", []):
            if c["cause"] not in ("none", "unknown") and not c.get("fix"):
                bad.append("cause %s has no fix" % c["cause"])
        self.check(TESTS[1], bad, json.dumps(out.get("causes"), indent=1)[-3000:])

    def check_rows(self, r, out):
        if out is None:
            self.check(TESTS[2], ["no JSON"])
            return
        bad = []
        qs = {q["name"]: q for q in out["queues"]}
        mta, msp = qs.get("mta", {}), qs.get("msp", {})
        rows = {x["key"]: x["messages"] for x in mta.get("rows", [])}
        # queued in the MTA: blackhole (2 domains), rcpt450, auth454
        if mta.get("queued") != 3 or rows.get("remote.test") != 3 or \
                rows.get("other.test") != 1:
            bad.append("mta queued %r rows %r, want 3 and remote.test 3, other.test 1"
                       % (mta.get("queued"), rows))
        if mta.get("quarantined") != 1 or mta.get("lost") != 1:
            bad.append("mta quarantined %r lost %r, want 1 and 1" % (
                mta.get("quarantined"), mta.get("lost")))
        if (mta.get("oldest") or {}).get("qid") != self.qid["blackhole"]:
            bad.append("mta oldest %r, want %s" % (mta.get("oldest"), self.qid["blackhole"]))
        if mta.get("relay") != self.world.SMARTHOSTS["gmail"]["name"] or \
                mta.get("port") != self.world.SMARTHOSTS["gmail"]["port"]:
            bad.append("mta relay %r port %r" % (mta.get("relay"), mta.get("port")))
        if msp.get("queued") != 2 or msp.get("relay") != "[127.0.0.1]":
            bad.append("msp queued %r relay %r" % (msp.get("queued"), msp.get("relay")))
        if any(q.get("unreadable") for q in out["queues"]):
            bad.append("unreadable files: %r" % [q.get("unreadable") for q in out["queues"]])
        if r.returncode != 2 or out.get("exit") != 2:
            bad.append("exit %d (json %r), want 2" % (r.returncode, out.get("exit")))
        self.check(TESTS[2], bad)

    def check_mailq(self, out):
        """mailq's queued ids (and -qQ's quarantined ones) are the doctor's."""
        if out is None:
            self.check(TESTS[3], ["no JSON"])
            return
        import re
        pat = re.compile(r"^([0-9A-Za-z]{14})[*X -]?\s", re.M)
        sm = ["/usr/sbin/sendmail", "-bp"]
        mq = set(pat.findall(self.w.run(sm + ["-Am"], check=False).stdout))
        mqq = set(pat.findall(self.w.run(sm + ["-Am", "-qQ"], check=False).stdout))
        mc = set(pat.findall(self.w.run(sm + ["-Ac"], check=False).stdout))
        msgs = (out or {}).get("messages", [])
        d_mta = {m["qid"] for m in msgs if m["queue"] == "mta" and m["state"] == "queued"}
        d_q = {m["qid"] for m in msgs if m["queue"] == "mta" and m["state"] == "quarantined"}
        d_msp = {m["qid"] for m in msgs if m["queue"] == "msp"}
        bad = []
        for what, a, b in (("sendmail -bp -Am", mq, d_mta),
                           ("sendmail -bp -Am -qQ", mqq, d_q),
                           ("sendmail -bp -Ac", mc, d_msp)):
            if a != b:
                bad.append("%s lists %s, the doctor %s" % (what, sorted(a), sorted(b)))
        self.check(TESTS[3], bad)

    def check_text(self):
        r = self.w.run([self.doctor, "queue"], check=False, timeout=120)
        bad = []
        for name, (queue, state, cause, _how) in CASES.items():
            if cause != "none" and cause not in r.stdout:
                bad.append("no line for cause %s" % cause)
        for want in ("fix", "relay budget test", "result: error", "TOTAL", "remote.test",
                     "not tried yet"):
            if want not in r.stdout:
                bad.append("no %r in the text" % want)
        if r.returncode != 2:
            bad.append("exit %d, want 2" % r.returncode)
        self.check(TESTS[4], bad, r.stdout[-3000:], r.stderr[-1000:])

    def check_user(self, root_out):
        r, out = self.doctor_json(user=self.world.MILTER_USER)
        bad = []
        if out is None:
            bad.append("no JSON: exit %d %s" % (r.returncode, r.stderr[-500:]))
        else:
            for a, b in zip(root_out["queues"], out["queues"]):
                for k in ("queued", "quarantined", "lost", "error"):
                    if a.get(k) != b.get(k):
                        bad.append("%s %s: root %r, relaymilter %r" % (
                            a["name"], k, a.get(k), b.get(k)))
        self.check(TESTS[5], bad)

    def check_broken(self):
        """A control file sendmail did not write: named, never fatal."""
        p = self.w.root(MTA_Q + "/qfBrokenTest0001")
        with open(p, "w") as f:
            f.write("V8\nTnot-a-time\nSroot\nRPFD:<x@remote.test>\n.\n")
        try:
            r, out = self.doctor_json()
        finally:
            os.unlink(p)
        bad = []
        if out is None:
            bad.append("no JSON: exit %d %s" % (r.returncode, r.stderr[-500:]))
        else:
            mta = [q for q in out["queues"] if q["name"] == "mta"][0]
            u = mta.get("unreadable", [])
            if not (len(u) == 1 and u[0]["file"].endswith("/qfBrokenTest0001")
                    and u[0].get("line") == 2 and "T" in u[0]["error"]):
                bad.append("unreadable: %r" % u)
            if mta.get("queued") != 3:
                bad.append("the other files were not all read: queued %r" % mta.get("queued"))
        self.check(TESTS[6], bad)

    def check_trace(self, out):
        if not os.access(self.trace, os.X_OK):
            self.tap.skip("queue: " + TESTS[8], "relaymilter-trace not built")
            return
        prom = "/run/relaymilter/queue-test.prom"
        r = self.w.run([self.trace, "--queue", "--prometheus", prom, "/dev/null"],
                       user=self.world.MILTER_USER, check=False, timeout=120)
        bad = []
        try:
            with open(self.w.root(prom)) as f:
                text = f.read()
        except OSError as e:
            text = ""
            bad.append("no textfile: %s (exit %d %s)" % (e, r.returncode, r.stderr))
        g = {}
        for line in text.splitlines():
            if line.startswith("relaymilter_queue_") and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                g[k] = float(v)
        qs = {q["name"]: q for q in (out or {}).get("queues", [])}
        for qn in ("mta", "msp"):
            if g.get('relaymilter_queue_pending_messages{queue="%s"}' % qn) != \
                    qs.get(qn, {}).get("queued"):
                bad.append("%s pending %r, doctor %r" % (
                    qn, g.get('relaymilter_queue_pending_messages{queue="%s"}' % qn),
                    qs.get(qn, {}).get("queued")))
            if g.get('relaymilter_queue_readable{queue="%s"}' % qn) != 1:
                bad.append("%s not readable" % qn)
        total = sum(v for k, v in g.items() if k.startswith("relaymilter_queue_messages{"))
        want = len(out.get("messages", [])) if out else -1
        if total != want:
            bad.append("relaymilter_queue_messages sum %r, doctor %r messages" % (total, want))
        if 'cause="queue-file-lost"' not in text or 'cause="quarantined"' not in text:
            bad.append("lost/quarantined causes missing from the gauges")
        if shutil.which("promtool") and text:
            pr = subprocess.run(["promtool", "check", "metrics"], input=text,
                                capture_output=True, text=True)
            if pr.returncode != 0:
                bad.append("promtool check metrics: %s%s" % (pr.stdout, pr.stderr))
        try:
            os.unlink(self.w.root(prom))
        except OSError:
            pass
        self.check(TESTS[8], bad, text[-2000:])

    def save(self, dest):
        for sub in ("mta", "msp"):
            d = os.path.join(dest, sub)
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)
        man = {"made_by": "tests/doctor/queue_world.py --save-fixtures",
               "sendmail": self.w.run(["sh", "-c", "sendmail -d0.1 -bt </dev/null | "
                                       "sed -n '1s/^Version //p'"], check=False).stdout.strip(),
               "files": []}
        for name, (queue, state, cause, how) in sorted(CASES.items()):
            qid = self.qid[name]
            letter = {"queued": "qf", "quarantined": "hf", "lost": "Qf"}[state]
            src = self.w.root((MTA_Q if queue == "mta" else MSP_Q) + "/" + letter + qid)
            shutil.copyfile(src, os.path.join(dest, queue, letter + qid))
            man["files"].append({"case": name, "queue": queue, "file": queue + "/" +
                                 letter + qid, "state": state, "cause": cause, "how": how})
        with open(os.path.join(dest, "MANIFEST.json"), "w") as f:
            json.dump(man, f, indent=1, sort_keys=True)
            f.write("\n")

    def check_concurrent(self):
        """The doctor again and again while a queue run delivers 30 messages:
        files are rewritten and removed under it."""
        w = self.w
        gmail = self.world.SMARTHOSTS["gmail"]
        w.blackhole(gmail["addr"], gmail["port"])
        mark = w.log_mark()
        mids = []
        for i in range(30):
            msg, mid = w.message("root@mta.test", "burst%d@remote.test" % i,
                                 subject="burst %d" % i)
            w.smtp("root@mta.test", ["burst%d@remote.test" % i], msg)
            mids.append(mid)
        try:
            self.world.wait_for(
                lambda: "".join(w.log_since(mark)).count("Connection timed out") >= 30
                or None, 120, "30 deferrals")
        except self.world.WorldError as e:
            self.check(TESTS[9], [str(e)])
            return
        w.unblackhole(gmail["addr"], gmail["port"])
        w.wait_mta_idle()
        before = len(w.queue("mta"))
        p = w.popen(["/usr/sbin/sendmail", "-Am", "-L", "sm-mta", "-qf"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        runs, bad, counts, vanished = 0, [], [], 0
        while True:
            done = p.poll() is not None
            r, out = self.doctor_json()
            runs += 1
            if out is None or r.returncode not in (0, 1, 2):
                bad.append("run %d: exit %d, %s" % (runs, r.returncode, r.stderr[-300:]))
            else:
                mta = [q for q in out["queues"] if q["name"] == "mta"][0]
                if mta.get("unreadable"):
                    bad.append("run %d: unreadable %r" % (runs, mta["unreadable"]))
                counts.append(mta.get("queued"))
                vanished += mta.get("vanished", 0)
            if done:
                break
        after = len(w.queue("mta"))
        if after >= before:
            bad.append("the queue run delivered nothing (%d -> %d)" % (before, after))
        if len(set(counts)) < 2:
            bad.append("no doctor run saw the queue change: %r" % counts)
        self.check(TESTS[9] + " (%d runs, %d -> %d queued, %d vanished files seen)"
                   % (runs, before, after, vanished), bad)


class _Tap:
    n = 0
    failed = 0

    @classmethod
    def ok(cls, name):
        cls.n += 1
        print("ok %d - %s" % (cls.n, name), flush=True)

    @classmethod
    def not_ok(cls, name, *diag):
        cls.n += 1
        cls.failed += 1
        print("not ok %d - %s" % (cls.n, name), flush=True)
        for d in diag:
            for line in str(d).splitlines():
                print("#   " + line)

    @classmethod
    def skip(cls, name, why):
        cls.n += 1
        print("ok %d - %s # SKIP %s" % (cls.n, name, why), flush=True)


if __name__ == "__main__":
    build = os.path.join(REPO, os.environ.get("BUILD", "build"))
    save = None
    if len(sys.argv) > 1 and sys.argv[1] == "--save-fixtures":
        save = sys.argv[2] if len(sys.argv) > 2 else FIXTURES
    sys.path.insert(0, WORLD_DIR)
    import world
    world.teardown_on_signals()
    run(_Tap, os.path.join(build, "relaymilter-doctor"),
        os.path.join(build, "relaymilter-trace"), save)
    print("1..%d" % _Tap.n)
    sys.exit(1 if _Tap.failed else 0)
