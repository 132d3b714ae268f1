"""queue_fixtures.py - relaymilter-doctor queue on saved queue files (no root)

CONTRACT
  run(tap, doctor) runs `relaymilter-doctor queue` on copies of
  tests/e2e/fixtures/queue (control files sendmail 8.17.1.9 wrote in the
  end-to-end world; MANIFEST.json says how each was made and its cause),
  with a small sendmail.cf/submit.cf pair naming the world's smarthost
  (smtp.gmail.test, port 587) and the MSP's [127.0.0.1], and --now fixed:
  every file's state and cause as the manifest says, rows, buckets and the
  oldest message in JSON; the text view (qshape table, cause lines with
  their fix, result); --by relay; --top; broken, NUL-holding, cut-short and
  still-being-written files next to them (named with their line, or not
  named when young; the rest still read); a queue directory that cannot be
  read (the queue's error, exit 2, the other queue read); empty queues
  (exit 0); an MSP queue that is the MTA's (read once); usage errors
  (exit 2). `tap` has ok(name), not_ok(name,
  *diag), skip(name, why).
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "tests", "e2e", "fixtures", "queue")

MTA_CF = """# a sendmail.cf with what relaymilter-doctor queue reads
O QueueDirectory=%(mta)s
DSsmtp.gmail.test
Dj mta.test
Cwlocalhost mta.test
Mrelay,\t\tP=[IPC], F=mDFMuXa8, S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP, E=\\r\\n, L=2040,
\t\tT=DNS/RFC822/SMTP,
\t\tA=TCP $h 587
"""
MSP_CF = """O QueueDirectory=%(msp)s
DS
D{MTAHost}[127.0.0.1]
Mrelay,\t\tP=[IPC], F=mDFMuXa8, S=EnvFromSMTP/HdrFromSMTP, R=MasqSMTP, E=\\r\\n, L=2040,
\t\tT=DNS/RFC822/SMTP,
\t\tA=TCP $h
"""


def qtime(path):
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"T"):
                return int(line[1:])
    raise ValueError(path)


class Fx:
    def __init__(self, tap, doctor):
        self.tap, self.doctor = tap, doctor
        self.d = tempfile.mkdtemp(prefix="rm-doctor-queue.")
        self.mta, self.msp = os.path.join(self.d, "mta"), os.path.join(self.d, "msp")
        shutil.copytree(os.path.join(FIXTURES, "mta"), self.mta)
        shutil.copytree(os.path.join(FIXTURES, "msp"), self.msp)
        self.cf, self.scf = os.path.join(self.d, "sendmail.cf"), os.path.join(self.d, "submit.cf")
        with open(self.cf, "w") as f:
            f.write(MTA_CF % {"mta": self.mta})
        with open(self.scf, "w") as f:
            f.write(MSP_CF % {"msp": self.msp})
        with open(os.path.join(FIXTURES, "MANIFEST.json")) as f:
            self.man = json.load(f)
        self.times = {e["file"]: qtime(os.path.join(FIXTURES, e["file"]))
                      for e in self.man["files"]}
        # an hour and a half after the newest file
        self.now = max(self.times.values()) + 5400

    def doctor_run(self, *args, json_out=True, now=None):
        argv = [self.doctor] + (["--json"] if json_out else []) + [
            "queue", "--cf", self.cf, "--submit-cf", self.scf,
            "--now", str(now or self.now)] + list(args)
        r = subprocess.run(argv, capture_output=True, text=True)
        out = None
        if json_out:
            try:
                out = json.loads(r.stdout)
            except ValueError:
                pass
        return r, out

    def check(self, name, bad, *diag):
        if bad:
            self.tap.not_ok("queue fixtures: " + name, *(list(bad) + list(diag)))
        else:
            self.tap.ok("queue fixtures: " + name)

    def manifest(self):
        r, out = self.doctor_run("--messages")
        bad = []
        if out is None:
            self.check("each file's state and cause as MANIFEST.json says",
                       ["no JSON, exit %d" % r.returncode], r.stderr)
            return
        msgs = {m["qid"]: m for m in out["messages"]}
        for e in self.man["files"]:
            qid = os.path.basename(e["file"])[2:]
            m = msgs.get(qid)
            if m is None:
                bad.append("%s: not listed" % e["file"])
            elif (m["queue"], m["state"], m["cause"]) != (e["queue"], e["state"],
                                                          e["cause"]):
                bad.append("%s: %s/%s/%s, want %s/%s/%s" % (
                    e["file"], m["queue"], m["state"], m["cause"], e["queue"],
                    e["state"], e["cause"]))
            elif m["age"] != self.now - self.times[e["file"]]:
                bad.append("%s: age %r" % (e["file"], m["age"]))
        if len(msgs) != len(self.man["files"]):
            bad.append("%d messages listed, %d files" % (len(msgs), len(self.man["files"])))
        self.check("each file's state and cause as MANIFEST.json says (%d files)"
                   % len(self.man["files"]), bad)

        bad = []
        qs = {q["name"]: q for q in out["queues"]}
        queued = [e for e in self.man["files"] if e["queue"] == "mta" and
                  e["state"] == "queued"]
        mta = qs["mta"]
        if mta["queued"] != len(queued) or mta["quarantined"] != 1 or mta["lost"] != 1:
            bad.append("mta counts %r" % {k: mta[k] for k in ("queued", "quarantined",
                                                              "lost")})
        oldest = min(queued, key=lambda e: self.times[e["file"]])
        if mta["oldest"]["qid"] != os.path.basename(oldest["file"])[2:]:
            bad.append("mta oldest %r, want %s" % (mta["oldest"], oldest["file"]))
        if (mta.get("relay"), mta.get("port")) != ("smtp.gmail.test", 587):
            bad.append("mta relay %r port %r" % (mta.get("relay"), mta.get("port")))
        if (qs["msp"].get("relay"), qs["msp"].get("port")) != ("[127.0.0.1]", 25):
            bad.append("msp relay %r port %r" % (qs["msp"].get("relay"),
                                                 qs["msp"].get("port")))
        rows = {x["key"]: x for x in mta["rows"]}
        if set(rows) != {"remote.test", "other.test"} or \
                rows["remote.test"]["messages"] != len(queued):
            bad.append("mta rows %r" % rows)
        # 90 minutes after the newest: every message in the 80-160 bucket
        if mta["total"]["ages"] != [0, 0, 0, 0, 0, len(queued), 0, 0, 0, 0]:
            bad.append("mta ages %r" % mta["total"]["ages"])
        if out.get("age_buckets", [None])[-1] != "1280m+":
            bad.append("age_buckets %r" % out.get("age_buckets"))
        if r.returncode != 2 or out["exit"] != 2 or out["result"] != "error":
            bad.append("exit %d / %r %r, want 2" % (r.returncode, out["exit"], out["result"]))
        ver = {(v["queue"], v["cause"]): v["messages"] for v in out["verdicts"]}
        if ver.get(("mta", "align-fail-predicted")) != len(queued) + 2:
            bad.append("verdicts %r" % ver)
        self.check("counts, rows, buckets, oldest, relay and exit in JSON", bad)

    def text(self):
        r, _ = self.doctor_run(json_out=False)
        want = ["relaymilter-doctor queue: %s, %s" % (self.cf, self.scf),
                "mta queue %s (mail leaves via smtp.gmail.test port 587)" % self.mta,
                "T     5m    10m    20m    40m    80m   160m   320m   640m  1280m 1280m+",
                "TOTAL", "remote.test", "other.test", "causes",
                "fix     Start it (systemctl start sendmail)",
                "reason  held: relay budget test (relaymilter)",
                "status  not tried yet", "1 quarantined; 1 lost (Qf)",
                "align-fail-predicted", "result: error"]
        missing = [w for w in want if w not in r.stdout]
        for e in self.man["files"]:
            if e["cause"] != "none" and e["cause"] not in r.stdout:
                missing.append(e["cause"])
        self.check("text: qshape table, cause lines with their fix, result",
                   missing + ([] if r.returncode == 2 else ["exit %d" % r.returncode]),
                   r.stdout)

    def by_relay_top(self):
        bad = []
        r, out = self.doctor_run("--by", "relay")
        rows = {q["name"]: [x["key"] for x in q["rows"]] for q in (out or {}).get(
            "queues", [])}
        if rows != {"mta": ["smtp.gmail.test"], "msp": ["[127.0.0.1]"]}:
            bad.append("--by relay rows %r" % rows)
        r, out = self.doctor_run("--top", "1")
        mta = [q for q in (out or {"queues": []})["queues"] if q["name"] == "mta"]
        if not mta or len(mta[0]["rows"]) != 1 or mta[0]["rows_not_shown"] != 1:
            bad.append("--top 1: %r" % mta)
        r, _ = self.doctor_run("--top", "1", json_out=False)
        if "... and 1 more (--top 0 shows every one)" not in r.stdout:
            bad.append("--top 1 text does not say what it left out")
        self.check("--by relay and --top", bad)

    def broken(self):
        """Files sendmail did not write, next to the real ones."""
        bad = []
        files = {
            "qfBadTime0001": b"V8\nTsoon\nSa@b\nRP:<x@remote.test>\n.\n",
            "qfNulByte0001": b"V8\nT1\nSa\0b\nRP:<x@remote.test>\n.\n",
            "qfCutShort001": b"V8\nT1\nSa@b\nRP:<x@remote.",
            "qfYoungOne001": b"V8\nT1\nSa@b\n",
            "hfAfterEnd001": b"V8\nT1\nqx\nSa@b\n.\nRP:<x@y>\n",
        }
        for n, data in files.items():
            with open(os.path.join(self.mta, n), "wb") as f:
                f.write(data)
        old = time.time() - 3600
        for n in files:
            if n != "qfYoungOne001":
                os.utime(os.path.join(self.mta, n), (old, old))
        try:
            r, out = self.doctor_run(now=int(time.time()))
            mta = [q for q in (out or {"queues": []})["queues"] if q["name"] == "mta"]
            if not mta:
                bad.append("no JSON: exit %d %s" % (r.returncode, r.stderr))
            else:
                u = {os.path.basename(x["file"]): (x.get("line"), x["error"])
                     for x in mta[0]["unreadable"]}
                want = {"qfBadTime0001": (2, "T (queue time)"),
                        "qfNulByte0001": (3, "NUL"),
                        "qfCutShort001": (4, "cut short"),
                        "hfAfterEnd001": (6, "after the final")}
                for n, (line, what) in want.items():
                    if n not in u or u[n][0] != line or what not in u[n][1]:
                        bad.append("%s: %r, want line %d %r" % (n, u.get(n), line, what))
                if "qfYoungOne001" in u or mta[0]["being_written"] != 1:
                    bad.append("a file being written is named: %r, being_written %r"
                               % (u.get("qfYoungOne001"), mta[0]["being_written"]))
                if mta[0]["queued"] != len([e for e in self.man["files"]
                                            if e["file"].startswith("mta/qf")]):
                    bad.append("the real files were not all read: %r" % mta[0]["queued"])
            r, _ = self.doctor_run(json_out=False, now=int(time.time()))
            if "qfBadTime0001:2: T (queue time) is not a number" not in r.stdout:
                bad.append("the text does not name the broken file:\n" + r.stdout)
        finally:
            for n in files:
                os.unlink(os.path.join(self.mta, n))
        self.check("broken files are named with their line, the rest read", bad)

    def no_dir_and_empty(self):
        bad = []
        r = subprocess.run([self.doctor, "--json", "queue", "--cf", self.cf,
                            "--submit-cf", self.scf, "--mta-dir", "/nonexistent/mqueue"],
                           capture_output=True, text=True)
        try:
            out = json.loads(r.stdout)
            qs = {q["name"]: q for q in out["queues"]}
            if "/nonexistent/mqueue" not in qs["mta"].get("error", "") or \
                    qs["msp"]["queued"] != 2 or r.returncode != 2:
                bad.append("unreadable queue: exit %d %r" % (r.returncode, qs))
        except (ValueError, KeyError) as e:
            bad.append("unreadable queue: %s: %s %s" % (e, r.stdout, r.stderr))
        empty = os.path.join(self.d, "empty")
        os.mkdir(empty)
        r = subprocess.run([self.doctor, "queue", "--cf", self.cf, "--submit-cf",
                            self.scf, "--mta-dir", empty, "--msp-dir", empty],
                           capture_output=True, text=True)
        if r.returncode != 0 or "no message waits for delivery" not in r.stdout or \
                "result: ok" not in r.stdout:
            bad.append("empty queues: exit %d\n%s" % (r.returncode, r.stdout))
        # an MSP configuration naming the MTA's queue: read once
        r = subprocess.run([self.doctor, "--json", "queue", "--cf", self.cf,
                            "--submit-cf", self.scf, "--msp-dir", self.mta],
                           capture_output=True, text=True)
        try:
            out = json.loads(r.stdout)
            if [q["name"] for q in out["queues"]] != ["mta"] or \
                    "read once" not in out.get("notes", ""):
                bad.append("one queue named twice: %r %r" % (
                    [q["name"] for q in out["queues"]], out.get("notes")))
        except (ValueError, KeyError) as e:
            bad.append("one queue named twice: %s: %s" % (e, r.stderr))
        r = subprocess.run([self.doctor, "queue", "--cf", "/nonexistent.cf",
                            "--submit-cf", ""], capture_output=True, text=True)
        if r.returncode != 2 or "/nonexistent.cf" not in r.stderr:
            bad.append("no sendmail.cf: exit %d %s" % (r.returncode, r.stderr))
        self.check("an unreadable queue directory, empty queues, the MSP naming the "
                   "MTA's queue, no sendmail.cf", bad)

    def usage(self):
        bad = []
        for args in (["--by", "sender"], ["--now", "yesterday"], ["--top", "x"],
                     ["extra"], ["--bogus"]):
            r = subprocess.run([self.doctor, "queue"] + args, capture_output=True,
                               text=True)
            if r.returncode != 2:
                bad.append("%s: exit %d" % (args, r.returncode))
        self.check("usage errors exit 2", bad)

    def done(self):
        shutil.rmtree(self.d, ignore_errors=True)


def run(tap, doctor):
    if not os.path.exists(os.path.join(FIXTURES, "MANIFEST.json")):
        tap.not_ok("queue fixtures: tests/e2e/fixtures/queue/MANIFEST.json exists")
        return
    fx = Fx(tap, doctor)
    try:
        fx.manifest()
        fx.text()
        fx.by_relay_top()
        fx.broken()
        fx.no_dir_and_empty()
        fx.usage()
    finally:
        fx.done()
