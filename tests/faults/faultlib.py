"""faultlib.py - helpers of the fault suite (tests/faults/run, tests/bench/load).

CONTRACT (library, imported by tests/faults/run and tests/bench/load)
  The end-to-end world itself is tests/e2e/world.py, imported from there
  (never copied); this module adds what the fault, load and security
  proofs need on top of it:
  Tap()                TAP lines: line(ok, name, diag), skip, comment,
                       figure(name, text) ("# figure NAME: text", the lines
                       tests/bench/load reads), plan().
  Check(w)             one assertion group: true(cond, what), eq(got, want,
                       what), show(qid=, msgid=) for the diagnostics.
  kv(line)             the key=value fields of a decision line (quoted
                       values unescaped).
  Received(w, name)    an incremental reader of a smarthost stand-in's
                       records (only new files are parsed on refresh());
                       by_msgid() -> {msgid: [record, ...]}.
  POLICY               the senders the bursts use: (label, client address,
                       MAIL FROM, what the smarthost must see), from the
                       world's relaymilter.conf and sendermap.
  Ledger(w)            what was sent: add(msgid, via, client, sender,
                       expect, data); expected_at(rec) checks a record;
                       verify(c, received) asserts every message arrived
                       exactly once, with the MAIL FROM the policy says and
                       one X-Relay-Trace header.
  smtp_jobs(w, msgs, concurrency)  runs one smtpsend.py job per client
                       address in parallel threads; returns {msgid: result}.
  msp_submit(w, items, threads)    `sendmail -t -i` per message, in threads.
  rss_kb(pid)          VmRSS of a process in kB.
  decisions_since(w, mark)         relaymilter decision lines since mark.
  The suite's world: BASE_CONF (the world's relaymilter.conf plus
  SPFRelayAddress SPF_ADDR and DNSTimeout DNS_TIMEOUT), conf_with(addr,
  extra); Ctx(w, tap): set_conf(text, restart=False) (reload, or restart
  for the options a reload does not change), restart_milter(), reset()
  (back to the base state after each test: files, DNS, smarthost, black
  holes, service.switch/nsswitch.conf, the daemon); smtp1() one SMTP
  message, raw_smtp() exact bytes (rawsmtp.py), milterclient() the
  protocol client, failed_start() a start that must fail cleanly.
  Helpers change nothing by themselves; the tests do, and Ctx.reset()
  puts the world back.
"""
import json
import os
import re
import stat
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import world  # noqa: E402
from world import WorldError  # noqa: E402

ACCOUNT = world.SMARTHOSTS["gmail"]["account"]
RCPT = "bob@remote.test"

# (label, client address, MAIL FROM, MAIL FROM the smarthost must see)
POLICY = [
    ("box", world.MTA_ADDR, "root@mta.test", ACCOUNT),
    ("sendermap", world.MTA_ADDR, "backup@mta.test", "backups@example.test"),
    ("allowed", world.MTA_ADDR, "billing@example.test", "billing@example.test"),
    ("pbx", world.LAN_TRUSTED, "voicemail@pbx.test", "voicemail.alerts@example.test"),
    ("untrusted", world.LAN_UNTRUSTED, "scanner@lan.test", "scanner@lan.test"),
]
# `sendmail -t -i` as root: the MSP's envelope sender is root@mta.test
MSP_SENDER = ("msp", None, "root@mta.test", ACCOUNT)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def line(self, ok, name, diag=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name), flush=True)
        for d in () if ok else diag:
            for l in str(d).splitlines():
                print("#   " + l)
        sys.stdout.flush()

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def comment(self, text):
        for l in str(text).splitlines():
            print("# " + l)
        sys.stdout.flush()

    def figure(self, name, text):
        print("# figure %s: %s" % (name, text), flush=True)

    def plan(self):
        print("1..%d" % self.n, flush=True)


class Check:
    """One assertion group: collects failures and the context to show."""

    def __init__(self, w):
        self.w = w
        self.fail = []
        self.qids = []
        self.notes = []

    def true(self, cond, what):
        if not cond:
            self.fail.append(what)
        return bool(cond)

    def eq(self, got, want, what):
        if got != want:
            self.fail.append("%s: expected %r, got %r" % (what, want, got))
            return False
        return True

    def show(self, qid=None, note=None):
        if qid and qid not in self.qids and len(self.qids) < 6:
            self.qids.append(qid)
        if note:
            self.notes.append(note)

    def diag(self):
        out = list(self.fail[:40])
        if len(self.fail) > 40:
            out.append("... and %d more" % (len(self.fail) - 40))
        out += self.notes
        for q in self.qids:
            out.append("maillog lines of %s:" % q)
            out += ["  " + l for l in self.w.lines_for(q)] or ["  (none)"]
        return out


def kv(line):
    """The key=value pairs of a decision line (after "QID: ")."""
    if line is None:
        return {}
    body = line
    m = re.search(r"relaymilter\[\d+\]: [^ ]+: ", line)
    if m:
        body = line[m.end():]
    out = {}
    for m in re.finditer(r'([A-Za-z_][\w-]*)=("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)', body):
        v = m.group(2)
        if v.startswith('"'):
            v = re.sub(r"\\(.)", r"\1", v[1:-1])
        out.setdefault(m.group(1), v)
    return out


def decisions_since(w, mark):
    return [l for l in w.log_since(mark) if re.search(r" relaymilter\[\d+\]: \S+: action=", l)]


class Received:
    """What one smarthost stand-in accepted, read incrementally (smarthost.py
    writes DIR/received/NNNNNN.json atomically, one per message)."""

    def __init__(self, w, name="gmail"):
        self.dir = w.path("smarthost", name, "received")
        self.seen = set()
        self.records = []

    def refresh(self):
        try:
            names = [n for n in os.listdir(self.dir) if n.endswith(".json")]
        except FileNotFoundError:
            return self.records
        for n in sorted(set(names) - self.seen):
            with open(os.path.join(self.dir, n)) as f:
                rec = json.load(f)
            rec["file"] = os.path.join(self.dir, n)
            self.records.append(rec)
            self.seen.add(n)
        return self.records

    def by_msgid(self):
        out = {}
        for r in self.refresh():
            out.setdefault(r.get("message_id"), []).append(r)
        return out

    def wait_all(self, msgids, timeout, poll=None):
        """Wait until every msgid arrived; returns the missing ones (empty
        when all came). poll() is called between looks (queue runs)."""
        deadline = time.monotonic() + timeout
        while True:
            have = self.by_msgid()
            missing = [m for m in msgids if m not in have]
            if not missing or time.monotonic() >= deadline:
                return missing
            if poll:
                poll()
            time.sleep(0.3 if len(missing) < 1000 else 1.0)


class Sent:
    __slots__ = ("msgid", "via", "client", "sender", "expect", "data", "result")

    def __init__(self, msgid, via, client, sender, expect, data):
        self.msgid, self.via, self.client, self.sender = msgid, via, client, sender
        self.expect, self.data, self.result = expect, data, None


class Ledger:
    def __init__(self, w):
        self.w = w
        self.sent = {}

    def new(self, policy, subject, via="smtp", rcpt=RCPT):
        label, client, sender, expect = policy
        data, msgid = self.w.message(sender, rcpt, subject="%s %s" % (subject, label))
        s = Sent(msgid, via, client, sender, expect, data)
        self.sent[msgid] = s
        return s

    def verify(self, c, received, what="message"):
        """Every message exactly once, MAIL FROM per policy, one trace header."""
        have = received.by_msgid()
        missing, dup, wrong, trace = [], [], [], []
        for mid, s in self.sent.items():
            recs = have.get(mid, [])
            if not recs:
                missing.append(mid)
                continue
            if len(recs) > 1:
                dup.append("%s x%d (queued as %s)" % (mid, len(recs),
                                                     [r.get("queued_as") for r in recs]))
            for r in recs:
                if r.get("mail_from") != s.expect:
                    wrong.append("%s (%s from %s via %s): MAIL FROM %r, policy says %r"
                                 % (mid, s.sender, s.client, s.via, r.get("mail_from"),
                                    s.expect))
                n = len([h for h in r.get("headers", []) if h[0].lower() == "x-relay-trace"])
                if n != 1:
                    trace.append("%s: %d X-Relay-Trace headers" % (mid, n))
        c.true(not missing, "%d of %d %ss never reached the smarthost: %s"
               % (len(missing), len(self.sent), what, missing[:10]))
        c.true(not dup, "%d %ss reached the smarthost more than once: %s"
               % (len(dup), what, dup[:10]))
        c.true(not wrong, "%d %ss with the wrong MAIL FROM: %s" % (len(wrong), what, wrong[:10]))
        c.true(not trace, "%d %ss not filtered exactly once: %s" % (len(trace), what, trace[:10]))
        return not (missing or dup or wrong or trace)


def smtp_jobs(w, sents, concurrency, timeout=900, per_connection=100):
    """One smtpsend.py job per client address, all in parallel; the clients
    are shared out by message count (at least one per address). Sets
    s.result and returns {msgid: result}."""
    groups = {}
    for s in sents:
        groups.setdefault(s.client, []).append(s)
    total = max(1, len(sents))
    out, errors = {}, []

    def run(client, group, conc):
        job = {"server": world.MTA_ADDR if client.startswith("127.") else world.LAN_MTA,
               "port": 25, "source": client, "timeout": 60, "concurrency": conc,
               "per_connection": per_connection,
               "messages": [{"mail_from": s.sender, "rcpt": [RCPT],
                             "data": s.data.decode("utf-8", "surrogateescape")}
                            for s in group]}
        try:
            res = w.smtp_job(job, timeout=timeout)["results"]
        except Exception as e:   # reported by the caller as missing results
            errors.append("%s: %s" % (client, e))
            return
        for s, r in zip(group, res):
            s.result = r
            out[s.msgid] = r

    threads = []
    for client, group in groups.items():
        conc = max(1, round(concurrency * len(group) / total))
        threads.append(threading.Thread(target=run, args=(client, group, conc)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise world.WorldError("smtpsend failed: %s" % "; ".join(errors))
    return out


def msp_submit(w, sents, threads=4):
    """`sendmail -t -i` for each message, THREADS at a time; returns the
    list of (msgid, exit status, output) of the failed submissions."""
    failed = []
    lock = threading.Lock()
    todo = list(sents)

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                s = todo.pop(0)
            r = w.sendmail(s.data)
            s.result = {"ok": r.returncode == 0, "code": r.returncode,
                        "reply": (r.stdout + r.stderr).strip()}
            if r.returncode != 0:
                with lock:
                    failed.append((s.msgid, r.returncode, s.result["reply"]))

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return failed


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return None


# ---------------------------------------------------------------- the suite's world
BUILD = os.environ.get("BUILD", "build")
MILTERCLIENT = os.path.join(REPO, BUILD, "tests", "tools", "milterclient")
TRACE = os.path.join(REPO, BUILD, "relaymilter-trace")
RAWSMTP = os.path.join(HERE, "rawsmtp.py")
SLOWDNS = os.path.join(HERE, "slowdns.py")
LOAD_N = int(os.environ.get("FAULTS_LOAD_N", "1000"))
BURST_N = int(os.environ.get("FAULTS_BURST_N", "500"))
DNS_TIMEOUT = 2              # seconds, DNSTimeout in the suite's relaymilter.conf
SPF_ADDR = "198.51.100.130"  # in _spf.gmail.test's ip4:198.51.100.128/25 (dnsmasq.conf)
SOCKDIR = "/run/relaymilter"
CONFDIR = "/etc/mail/relaymilter"

WORLD_CONF = open(os.path.join(world.ETC, "relaymilter", "relaymilter.conf")).read()
WORLD_MAP = open(os.path.join(world.ETC, "relaymilter", "sendermap")).read()
BASE_CONF = WORLD_CONF + (
    "# the fault suite: SPF at an address of the relay's egress range, a\n"
    "# short DNS bound\n"
    "SPFRelayAddress %s\nDNSTimeout %d\n" % (SPF_ADDR, DNS_TIMEOUT))


def conf_with(spf_addr=SPF_ADDR, extra=""):
    """The suite's relaymilter.conf with another SPFRelayAddress and more lines."""
    return BASE_CONF.replace("SPFRelayAddress %s\n" % SPF_ADDR,
                             "SPFRelayAddress %s\n" % spf_addr) + extra


class Ctx:
    """The suite's world and what a test may have changed, to put back."""

    def __init__(self, w, tap):
        self.w = w
        self.tap = tap
        self.gmail = Received(w, "gmail")
        self.hosts = open(w.root("/etc/hosts")).read()
        self.resolv = open(w.root("/etc/resolv.conf")).read()
        self.switch = open(w.root("/etc/mail/service.switch")).read()
        self.nss_mounted = False
        self.restarted_with = None      # the config the daemon was started with
        self.sigkilled = set()          # pids of relaymilters killed on purpose

    def conf(self, extra=""):
        return BASE_CONF + extra

    def set_conf(self, text, restart=False):
        """Write relaymilter.conf and reload it (SIGUSR1), or restart the
        daemon for the options a reload does not change (Socket, UMask,
        DNSTimeout, SPFCacheTTL, Syslog...); libmilter takes about 5s to
        stop, so the suite restarts as little as it can."""
        self.w.write_milter_file("relaymilter.conf", text)
        if restart or not self.w.running("relaymilter"):
            self.restart_milter()
            self.restarted_with = text
            return None
        line = self.w.reload_milter()
        if "reloaded " not in line:
            raise WorldError("reloading relaymilter.conf failed: %s" % line)
        return line

    def restart_milter(self):
        if self.w.running("relaymilter"):
            self.w.stop("relaymilter")
        elif "relaymilter" in self.w.procs:
            self.w.stop("relaymilter")     # reap a killed one
        self.w.start("relaymilter")

    def reset(self):
        """Back to the suite's base state after a test, whatever it did."""
        w = self.w
        for a, p, proto in list(w.blackholes):
            w.unblackhole(a, p, proto)
        with open(w.root("/etc/hosts"), "w") as f:
            f.write(self.hosts)
        with open(w.root("/etc/resolv.conf"), "w") as f:
            f.write(self.resolv)
        if self.nss_mounted:
            w.run(["umount", "/etc/nsswitch.conf"])
            self.nss_mounted = False
        if open(w.root("/etc/mail/service.switch")).read() != self.switch:
            with open(w.root("/etc/mail/service.switch"), "w") as f:
                f.write(self.switch)
            w.wait_mta_idle()
            w.restart("mta")
        for name in ("dns", "smarthost:gmail"):
            if not w.running(name):
                if name in w.procs:
                    w.stop(name)
                w.start(name)
        w.clear_mode("gmail")
        for name, text in (("sendermap", WORLD_MAP), ("relaymilter.conf", BASE_CONF)):
            try:
                cur = open(w.milter_file(name)).read()
            except OSError:
                cur = None
            if cur != text:
                w.write_milter_file(name, text)
        key = w.milter_file("trace.key")
        if os.path.exists(key) and stat.S_IMODE(os.stat(key).st_mode) != 0o600:
            os.chmod(key, 0o600)
        if self.restarted_with != BASE_CONF or not w.running("relaymilter"):
            self.restart_milter()
            self.restarted_with = BASE_CONF
        else:
            line = w.reload_milter()
            if "reloaded " not in line:
                raise WorldError("reloading the base configuration failed: %s" % line)


def smtp1(w, sender, msg, client=world.MTA_ADDR, rcpt=RCPT, timeout=30):
    server = world.MTA_ADDR if client.startswith("127.") else world.LAN_MTA
    return w.smtp(sender, [rcpt], msg, client=client, server=server, timeout=timeout)


def raw_smtp(w, sessions, source=None, server=world.MTA_ADDR):
    out = w.run([world.PYTHON, RAWSMTP], input=json.dumps(
        {"server": server, "port": 25, "source": source, "timeout": 20,
         "sessions": sessions}), timeout=120)
    return json.loads(out.stdout)["sessions"]


def say(text):
    return {"send": text, "expect": True}


def qid_of(reply):
    m = re.search(r"2\.0\.0 (\w+) Message accepted", reply or "")
    return m.group(1) if m else None


def milterclient(w, args, sock=world.MILTER_SOCKET):
    return w.run([MILTERCLIENT, "-s", "unix:" + sock] + list(args), check=False, timeout=30)


def wait_queues_empty(w, timeout=60):
    w.wait_queue_empty("msp", timeout=timeout)
    w.wait_queue_empty("mta", timeout=timeout)


def run_queues(w):
    """One MSP and one MTA queue run (a deferred message goes out)."""
    if w.queue("msp"):
        w.run_queue("msp")
    if w.queue("mta"):
        w.run_queue("mta")


def failed_start(c, w, conf_name, argv_extra, want_err, sock, pidfile, what):
    """Start relaymilter with CONF_NAME, -f and detaching: exit non-zero,
    the error on stderr and in the maillog, nothing left behind."""
    for mode in (["-f"], []):
        mark = w.log_mark()
        out = w.run([w.milter_binary] + mode + ["-c", "%s/%s" % (CONFDIR, conf_name)]
                    + argv_extra, check=False, timeout=30)
        how = "-f" if mode else "detaching"
        c.true(out.returncode not in (0, None), "%s (%s): exit status %s" % (what, how,
                                                                         out.returncode))
        c.true(want_err in out.stderr, "%s (%s): stderr names the problem (%r): %r"
               % (what, how, want_err, out.stderr))
        try:
            logl = w.wait_log(r"relaymilter\[\d+\]: .*%s" % re.escape(want_err), since=mark,
                              timeout=5)
        except WorldError:
            logl = None
        c.true(logl, "%s (%s): the error is in the maillog too" % (what, how))
        left = [p for p in (sock, pidfile) if p and os.path.lexists(w.root(p))]
        c.true(not left, "%s (%s): nothing half-started, but left behind: %s"
               % (what, how, left))
        procs = [(p, world.proc_cmdline(p)) for p in w.world_pids()
                 if conf_name in world.proc_cmdline(p)]
        c.true(not procs, "%s (%s): no process left: %s" % (what, how, procs))
