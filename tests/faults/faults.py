"""faults.py - the fault proofs of tests/faults/run.

CONTRACT: test functions t_NAME(c, ctx) -> the TAP line's name; c is a
faultlib.Check collecting failures, ctx the suite's faultlib.Ctx (world,
smarthost reader, base state to restore):
  t_sigkill         relaymilter SIGKILLed in the middle of a burst, restarted
  t_dns(mode)       DNS stopped, black-holed and answering late, with
                    On-DNSError accept or tempfail; the DNSTimeout bound
  t_smarthost       the smarthost stopped and back; relaymilter-trace's cause
  t_reload          corrupt SenderMap and relaymilter.conf reloaded (SIGUSR1)
                    under traffic
  t_authinfo_start  an authinfo file the run user cannot read, at start
  t_stop_dns        SIGTERM while a message waits on a black-holed DNS for
                    longer than libmilter's own stop takes
  t_usr1_storm      SIGUSR1 every 10 ms during traffic
  t_usr1_storm_budget  the same while the reloads switch a RelayLimit on
                    and off: the counts stay consecutive, none lost
  t_reload_expand   a reloaded SenderMap whose %1 gives no address for some
                    senders: those are rewritten to the account, not
                    tempfailed
  t_budget          the relay budget under a burst of concurrent clients,
                    relaymilter SIGKILLed with mail held, restarted
Each leaves what it changed for ctx.reset() or puts it back itself.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import traceback

from faultlib import (ACCOUNT, BASE_CONF, BURST_N, CONFDIR, DNS_TIMEOUT, MSP_SENDER, POLICY,
                      RCPT,
                      SLOWDNS, SOCKDIR, TRACE, WORLD_MAP, Check, Ledger, conf_with,
                      decisions_since, failed_start, kv, msp_submit, run_queues, smtp1,
                      smtp_jobs, wait_queues_empty)
import world  # tests/e2e/world.py, on sys.path through faultlib
from world import WorldError, wait_for


def t_sigkill(c, ctx):
    """relaymilter SIGKILLed in the middle of a burst, restarted"""
    w = ctx.w
    n_msp = max(1, BURST_N // 5)
    n_smtp = BURST_N - n_msp
    led = Ledger(w)
    smtp_sent = [led.new(POLICY[i % len(POLICY)], "burst %d" % i) for i in range(n_smtp)]
    msp_sent = [led.new(MSP_SENDER, "burst-msp %d" % i, via="msp") for i in range(n_msp)]
    mark = w.log_mark()
    pid = w.pid("relaymilter")
    errors = []

    def smtp_part():
        try:
            smtp_jobs(w, smtp_sent, concurrency=20)
        except Exception as e:
            errors.append("SMTP clients: %s" % e)

    def msp_part():
        try:
            failed = msp_submit(w, msp_sent, threads=3)
            if failed:
                errors.append("sendmail -t failed: %s" % failed[:5])
        except Exception as e:
            errors.append("sendmail -t: %s" % e)

    t0 = time.monotonic()
    threads = [threading.Thread(target=smtp_part), threading.Thread(target=msp_part)]
    for t in threads:
        t.start()
    # kill it once a fifth of the burst has been decided: mid-burst
    try:
        wait_for(lambda: len(decisions_since(w, mark)) >= BURST_N // 5, 120,
                 "%d decisions" % (BURST_N // 5))
    except WorldError as e:
        errors.append(str(e))
    before_kill = len(decisions_since(w, mark))
    ctx.sigkilled.add(pid)
    w.kill("relaymilter", signal.SIGKILL)
    t_kill = time.monotonic() - t0
    kill_mark = w.log_mark()
    time.sleep(1.5)                       # down for a while: sendmail tempfails (F=T)
    w.stop("relaymilter")                 # reap it (status -9)
    w.start("relaymilter")
    restart_mark = w.log_mark()
    for t in threads:
        t.join()
    c.true(not errors, "the burst ran: %s" % errors)
    killed = [e for e in w.exits if e["pid"] == pid]
    c.true(killed and killed[-1]["status"] == -signal.SIGKILL,
           "relaymilter pid %d ended by SIGKILL: %s" % (pid, killed))

    # what the clients were told
    refused = [s for s in smtp_sent if s.result and not s.result["ok"]]
    no_result = [s.msgid for s in smtp_sent if s.result is None]
    c.true(not no_result, "SMTP results missing for %s" % no_result[:5])
    perm = [(s.msgid, s.result.get("code"), s.result.get("reply")) for s in refused
            if not (s.result.get("code") or 0) // 100 == 4]
    c.true(not perm, "every refusal while relaymilter was down is temporary (4xx), "
           "nothing bounced or dropped: %s" % perm[:5])
    msp_deferred = [l for l in w.log_since(mark)
                    if re.search(r"sendmail\[\d+\]: \w+: to=.*stat=Deferred", l)]
    c.true(refused or msp_deferred, "the kill came mid-burst: some clients were refused "
           "while relaymilter was down (%d decisions before the kill, at %.1fs)"
           % (before_kill, t_kill))
    err_state = [l for l in w.log_since(kill_mark) if "Milter (relaymilter): to error state" in l]
    c.true(err_state, "sendmail saw the milter die ('Milter (relaymilter): to error state')")
    # the clients' retries (an SMTP client keeps a refused message), then the
    # MSP queue run for what `sendmail -t` queued
    if refused:
        smtp_jobs(w, refused, concurrency=10)
        again = [(s.msgid, s.result.get("reply")) for s in refused if not s.result["ok"]]
        c.true(not again, "the retried messages are accepted: %s" % again[:5])
    for _ in range(3):
        if not w.queue("msp"):
            break
        w.run_queue("msp")
    missing = ctx.gmail.wait_all(list(led.sent), timeout=120)
    if missing:
        run_queues(w)
        missing = ctx.gmail.wait_all(list(led.sent), timeout=30)
    try:
        wait_queues_empty(w, timeout=30)
        w.wait_mta_idle()
    except WorldError as e:
        c.fail.append(str(e))
    led.verify(c, ctx.gmail, "burst message")
    after = len(decisions_since(w, restart_mark))
    c.true(after > 0, "relaymilter decided messages after its restart")
    c.show(note="%d SMTP + %d sendmail -t; killed after %d decisions (%.1fs); %d SMTP "
           "refusals, %d MSP deferrals, retried; %d decisions after the restart"
           % (n_smtp, n_msp, before_kill, t_kill, len(refused), len(msp_deferred), after))
    ctx.tap.figure("sigkill", "%d messages (%d SMTP from 20 clients, %d sendmail -t); "
                   "SIGKILL after %d decisions; %d SMTP 4xx + %d MSP deferrals while down; "
                   "burst, retries and queue runs took %.1fs"
                   % (BURST_N, n_smtp, n_msp, before_kill, len(refused), len(msp_deferred),
                      time.monotonic() - t0))
    return ("faults: relaymilter SIGKILLed in the middle of a %d-message burst (20 SMTP "
            "clients + sendmail -t), restarted: refusals only 4xx (F=T), after the clients' "
            "retries and the MSP queue run every message reached the smarthost exactly once, "
            "with the policy's MAIL FROM and one trace header" % BURST_N)


def _sendmail_without_dns(w, ctx):
    """Every name sendmail and its MSP need answered from /etc/hosts, so that
    the DNS faults hit relaymilter's SPF queries (its own stub resolver reads
    resolv.conf) and nothing else: on a dead resolver sendmail spends 8 to 20
    seconds per name (sender domains, AAAA of its own name and of the
    smarthost, through sendmail's resolver calls and glibc's), which is not
    what these tests measure. service.switch and, inside the world's private
    mount namespace only, nsswitch.conf say "hosts: files"; the MTA is
    restarted to read them; reset() puts everything back."""
    with open(w.root("/etc/hosts"), "w") as f:
        f.write(ctx.hosts + "# the fault suite: sendmail's names without DNS\n"
                "127.0.0.2\tsmtp.gmail.test\n198.51.100.27\tremote.test\n"
                "198.51.100.26\tgmail.test\n198.51.100.25\texample.test\n"
                "192.0.2.20\tpbx.test\n")
    with open(w.root("/etc/mail/service.switch"), "w") as f:
        f.write(re.sub(r"(?m)^hosts\s.*$", "hosts\t\tfiles", ctx.switch))
    with open("/etc/nsswitch.conf") as f:
        nss = f.read()
    with open(w.path("faults-nsswitch.conf"), "w") as f:
        f.write(re.sub(r"(?m)^hosts:.*$", "hosts:\t\tfiles", nss))
    os.chmod(w.path("faults-nsswitch.conf"), 0o644)
    w.run(["mount", "--bind", w.path("faults-nsswitch.conf"), "/etc/nsswitch.conf"])
    ctx.nss_mounted = True
    w.wait_mta_idle()
    w.restart("mta")


class DnsFault:
    """stopped (refused at once), blackholed (queries dropped), slow: every
    answer DELAY s late; slowdns.py takes the world's DNS address
    (127.0.0.1:53) and forwards to a dnsmasq with the world's zones on port
    5353, so relaymilter (which reads resolv.conf once, at start) needs no
    restart."""

    def __init__(self, ctx, kind, delay=DNS_TIMEOUT + 1.0):
        self.ctx, self.kind, self.delay = ctx, kind, delay
        self.procs = []

    def __enter__(self):
        w = self.ctx.w
        if self.kind in ("stopped", "slow"):
            w.stop("dns")
        if self.kind == "blackholed":
            w.blackhole("127.0.0.1", 53, "udp")
        elif self.kind == "slow":
            log = open(w.path("log", "faults-dns.out"), "ab")
            self.procs.append(w.popen(
                ["/usr/sbin/dnsmasq", "-k", "--user=root", "--pid-file=", "-C",
                 w.path("dnsmasq.conf"), "--port=5353"], stdout=log, stderr=subprocess.STDOUT))
            ready = w.path("log", "slowdns.ready")
            if os.path.exists(ready):
                os.unlink(ready)
            self.procs.append(w.popen(
                [world.PYTHON, SLOWDNS, "127.0.0.1:53", "127.0.0.1:5353", "%.1f" % self.delay,
                 ready], stdout=log, stderr=subprocess.STDOUT))
            log.close()
            wait_for(lambda: os.path.exists(ready) and w.listening("udp", "127.0.0.1", 5353),
                     10, "slowdns.py and its upstream dnsmasq")
        return self

    def __exit__(self, *exc):
        w = self.ctx.w
        if self.kind == "blackholed":
            w.unblackhole("127.0.0.1", 53, "udp")
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait(10)
        if self.kind in ("stopped", "slow"):
            w.start("dns")
        return False

    def queries(self):
        try:
            with open(self.ctx.w.path("log", "faults-dns.out")) as f:
                return sum(1 for l in f if l.startswith("QUERY"))
        except OSError:
            return 0


def _dns_case(c, ctx, mode, kind, spf_addr, bound):
    """One DNS fault with On-DNSError MODE: one SMTP message from the box, one
    from the phone system (SenderMap), one `sendmail -t`. SPF_ADDR (a relay
    egress address not used before) keeps the SPF cache out of the way."""
    w = ctx.w
    ctx.set_conf(conf_with(spf_addr, "On-DNSError %s\n" % mode))
    led = Ledger(w)
    s_box = led.new(POLICY[0], "dns %s %s" % (mode, kind))
    s_pbx = led.new(POLICY[3], "dns %s %s" % (mode, kind))
    s_msp = led.new(MSP_SENDER, "dns %s %s" % (mode, kind), via="msp")
    mark = w.log_mark()
    with DnsFault(ctx, kind) as fault:
        for s in (s_box, s_pbx):
            s.result = smtp1(w, s.sender, s.data, client=s.client)
        out = w.sendmail(s_msp.data)
        c.eq(out.returncode, 0, "sendmail -t exit status (%s)" % kind)
        msp_qid = wait_for(lambda: w.qids_for_msgid(s_msp.msgid, since=mark).get("msp"),
                           20, "the MSP queue id")
        msp_line = w.wait_delivery(msp_qid, since=mark, timeout=30)
        slow_queries = fault.queries() if kind == "slow" else None
        # accept: delivered while DNS is still down (sendmail's names are in
        # /etc/hosts); tempfail: nothing may reach the smarthost
        if mode == "accept":
            missing = ctx.gmail.wait_all([s.msgid for s in led.sent.values()], timeout=30)
            c.true(not missing, "%s, accept: delivered while DNS is down: missing %s"
                   % (kind, missing))
        else:
            time.sleep(0.5)
            have = ctx.gmail.by_msgid()
            early = [s.msgid for s in led.sent.values() if s.msgid in have]
            c.true(not early, "%s, tempfail: nothing reaches the smarthost while DNS is "
                   "down: %s" % (kind, early))
    for s in (s_box, s_pbx):
        r = s.result
        ds = r.get("data_seconds")
        bound.setdefault(kind, []).append(ds or 0.0)
        c.true(ds is not None and ds < DNS_TIMEOUT + 1.0,
               "%s/%s: %s waited %ss from the end of DATA to the reply (bound: DNSTimeout "
               "%ds + 1s)" % (mode, kind, s.sender, ds, DNS_TIMEOUT))
        if mode == "accept":
            c.true(r["ok"], "%s/%s: %s accepted: %r" % (mode, kind, s.sender, r))
            if r.get("qid"):
                c.show(qid=r["qid"]) if not r["ok"] else None
                d = kv(w.wait_decision(r["qid"]))
                c.eq((d.get("action"), d.get("spf"), d.get("result")),
                     ("rewrite", "temperror", "ok"),
                     "%s/%s: decision of %s (action, spf, result)" % (mode, kind, r["qid"]))
        else:
            c.true(r.get("code") == 451 and r.get("reply", "").startswith("4.7.24"),
                   "%s/%s: %s gets 451 4.7.24: %r" % (mode, kind, s.sender, r))
    if mode == "accept":
        c.true("stat=Sent" in msp_line, "%s/accept: sendmail -t handed over at once: %s"
               % (kind, msp_line))
    else:
        c.true("reply=451 4.7.24" in msp_line and "stat=Deferred" in msp_line,
               "%s/tempfail: the MSP got 451 4.7.24 and keeps the message: %s"
               % (kind, msp_line))
        c.true(msp_qid in w.queue("msp"), "%s/tempfail: the message waits in the MSP queue"
               % kind)
        # DNS is back: the SMTP clients send again, the MSP queue runs
        retry = [s for s in (s_box, s_pbx)]
        for s in retry:
            s.result = smtp1(w, s.sender, s.data, client=s.client)
            c.true(s.result["ok"], "%s/tempfail: %s accepted once DNS is back: %r"
                   % (kind, s.sender, s.result))
        w.run_queue("msp")
        missing = ctx.gmail.wait_all([s.msgid for s in led.sent.values()], timeout=30)
        c.true(not missing, "%s/tempfail: delivered after DNS came back: missing %s"
               % (kind, missing))
        for s in retry:
            if s.result.get("qid"):
                d = kv(w.wait_decision(s.result["qid"]))
                c.eq(d.get("spf"), "pass", "%s/tempfail: spf= once DNS is back" % kind)
    if slow_queries is not None:
        c.true(slow_queries > 0, "slow: relaymilter asked the slow resolver (%d queries)"
               % slow_queries)
    try:
        wait_queues_empty(w, timeout=30)
    except WorldError as e:
        c.fail.append(str(e))
    led.verify(c, ctx.gmail, "%s/%s message" % (mode, kind))


def t_dns(c, ctx, mode):
    w = ctx.w
    _sendmail_without_dns(w, ctx)
    bound = {}
    for i, kind in enumerate(("stopped", "blackholed", "slow")):
        sub = Check(w)
        addr = "198.51.100.%d" % (140 + i + (10 if mode == "tempfail" else 0))
        try:
            _dns_case(sub, ctx, mode, kind, addr, bound)
        except Exception:
            sub.fail.append(traceback.format_exc())
        c.fail += ["[%s] %s" % (kind, f) for f in sub.fail]
        c.qids += sub.qids
    top = max([x for v in bound.values() for x in v] or [0])
    ctx.tap.figure("dns-" + mode, "On-DNSError %s, DNSTimeout %ds: end of DATA to reply, "
                   "max per fault: %s" % (mode, DNS_TIMEOUT, ", ".join(
                       "%s %.3fs" % (k, max(v)) for k, v in bound.items())))
    if mode == "accept":
        return ("faults: DNS stopped, black-holed and answering after DNSTimeout, On-DNSError "
                "accept: mail flows, decision spf=temperror, delivered once; end of DATA to "
                "reply < DNSTimeout+1s (max %.2fs)" % top)
    return ("faults: DNS stopped, black-holed and answering after DNSTimeout, On-DNSError "
            "tempfail: 451 4.7.24 to SMTP clients and the MSP, nothing lost, delivered once "
            "after DNS is back; end of DATA to reply < DNSTimeout+1s (max %.2fs)" % top)


def t_smarthost(c, ctx):
    """smarthost stopped, then back"""
    w = ctx.w
    led = Ledger(w)
    smtp_s = [led.new(POLICY[i], "smarthost down") for i in (0, 1, 3, 4)]
    msp_s = [led.new(MSP_SENDER, "smarthost down %d" % i, via="msp") for i in range(2)]
    mark = w.log_mark()
    w.stop("smarthost:gmail")
    try:
        for s in smtp_s:
            s.result = smtp1(w, s.sender, s.data, client=s.client)
            c.true(s.result["ok"], "%s accepted while the smarthost is down: %r"
                   % (s.sender, s.result))
        for s in msp_s:
            c.eq(w.sendmail(s.data).returncode, 0, "sendmail -t exit status")
        qids = {}
        for s in led.sent.values():
            q = s.result["qid"] if s.via == "smtp" and s.result.get("qid") else \
                w.wait_mta_qid(s.msgid, since=mark)
            qids[s.msgid] = q
            line = w.wait_delivery(q, RCPT, since=mark, timeout=30, stat="Deferred")
            c.true("stat=Deferred: Connection refused by smtp.gmail.test." in line,
                   "%s deferred with 'Connection refused': %s" % (q, line))
        w.wait_mta_idle()
        queued = w.queue("mta")
        c.true(all(q in queued for q in qids.values()),
               "every deferred message waits in the MTA queue: %s not in %s"
               % (list(qids.values()), queued))
        c.true(not any(s.msgid in ctx.gmail.by_msgid() for s in led.sent.values()),
               "nothing reached the smarthost while it was down")
        # relaymilter-trace on the maillog as it is now
        snap = w.path("log", "faults-smarthost-down.maillog")
        shutil.copy(w.maillog_path, snap)
        out = subprocess.run([TRACE, "-j", snap], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, timeout=60)
        with open(w.path("log", "faults-trace-down.json"), "w") as f:
            f.write(out.stdout + out.stderr)
        recs = {}
        for l in out.stdout.splitlines():
            try:
                r = json.loads(l)
            except ValueError:
                continue
            recs[r.get("qid")] = r
        for mid, q in qids.items():
            r = recs.get(q)
            if not c.true(r is not None, "relaymilter-trace reports %s" % q):
                continue
            rc = (r.get("recipients") or [{}])[0]
            c.eq((r.get("outcome"), (rc.get("cause") or {}).get("id")),
                 ("deferred", "connect-refused"),
                 "relaymilter-trace outcome and cause of %s (%s)" % (q, json.dumps(rc)[:300]))
    finally:
        w.start("smarthost:gmail")
    w.run_queue("mta")
    missing = ctx.gmail.wait_all(list(led.sent), timeout=30)
    c.true(not missing, "delivered after the queue run: missing %s" % missing)
    wait_queues_empty(w)
    led.verify(c, ctx.gmail, "deferred message")
    for q in qids.values():
        n = len([l for l in w.lines_for(q, since=mark) if re.search(r"relaymilter\[\d+\]: "
                                                                    r"\w+: action=", l)])
        c.eq(n, 1, "decision lines of %s (the queue run does not pass the milter again)" % q)
    # afterwards relaymilter-trace sees the deferral and the delivery
    out = subprocess.run([TRACE, "-j", w.maillog_path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=60)
    recs = {json.loads(l).get("qid"): json.loads(l) for l in out.stdout.splitlines()
            if l.startswith("{")}
    for q in qids.values():
        r = recs.get(q) or {}
        rc = (r.get("recipients") or [{}])[0]
        c.true(r.get("outcome") == "sent" and rc.get("attempts", 0) >= 2,
               "relaymilter-trace after the queue run: %s sent after %s attempts: %s"
               % (q, rc.get("attempts"), json.dumps(r)[:400]))
    return ("faults: smarthost stopped: deferred (stat=Deferred: Connection refused), "
            "relaymilter-trace names the cause connect-refused; back and one queue run: "
            "every message delivered exactly once, one decision line each")


def t_stop_dns(c, ctx):
    """stop while a message waits on a black-holed DNS (issue 14.2)"""
    # libmilter's smfi_main() returns about 5 s after SIGTERM without
    # joining its session threads; DNSTimeout 8 keeps the message's end of
    # message step waiting on DNS past that, so the stop path must wait for
    # it (before, main() freed the SPF checker under it, and the message's
    # session died with the process: sendmail tempfailed it). No sleep: the
    # SIGTERM goes as soon as the MTA logged the message's from= line,
    # which sendmail writes before the milter's end-of-message step.
    w = ctx.w
    wait = 8
    _sendmail_without_dns(w, ctx)
    ctx.set_conf(conf_with("198.51.100.160", "On-DNSError accept\n").replace(
        "DNSTimeout %d\n" % DNS_TIMEOUT, "DNSTimeout %d\n" % wait), restart=True)
    led = Ledger(w)
    s = led.new(POLICY[0], "stop during DNS")
    mark = w.log_mark()
    res = {}
    w.blackhole("127.0.0.1", 53, "udp")
    try:
        th = threading.Thread(target=lambda: res.update(
            smtp1(w, s.sender, s.data, client=s.client, timeout=60)))
        th.start()
        qid = wait_for(lambda: w.qids_for_msgid(s.msgid, since=mark).get("mta"), 20,
                       "the from= line of the message")
        t0 = time.monotonic()
        w.stop("relaymilter", timeout=3 * wait + 10)
        took = time.monotonic() - t0
        th.join(60)
    finally:
        w.unblackhole("127.0.0.1", 53, "udp")
    ex = [e for e in w.exits if e["name"] == "relaymilter"][-1]
    c.eq((ex["status"], ex["output"]), (0, ""), "relaymilter's exit status and output "
         "(an ASan build reports a use after free there)")
    c.true(res.get("ok"), "the message in flight got its answer (accepted, On-DNSError "
           "accept), not a tempfail from a dead milter: %r" % res)
    try:
        d = kv(w.wait_decision(qid, mark, timeout=5))
    except WorldError:
        d = {}
    c.eq((d.get("action"), d.get("spf"), d.get("result")), ("rewrite", "temperror", "ok"),
         "the decision line of %s was written before the daemon exited" % qid)
    c.true(took >= 5.0, "the stop waited for the session in flight (%.1fs)" % took)
    missing = ctx.gmail.wait_all([s.msgid], timeout=30)
    c.true(not missing, "the message reached the smarthost: missing %s" % missing)
    led.verify(c, ctx.gmail, "stop-during-DNS message")
    return ("faults: SIGTERM while a message waits on a black-holed DNS (DNSTimeout %ds, "
            "longer than libmilter's stop): the stop waits for it (%.1fs), the message is "
            "answered, decided and delivered once, exit status 0 with no sanitizer report"
            % (wait, took))


def t_usr1_storm(c, ctx):
    """SIGUSR1 storm during traffic (issue 14, wider nets)"""
    w = ctx.w
    led = Ledger(w)
    burst = [led.new(POLICY[i % len(POLICY)], "usr1 storm %d" % i) for i in range(150)]
    mark = w.log_mark()
    pid = w.pid("relaymilter")
    done = threading.Event()
    sent = [0]

    def storm():
        while not done.is_set():
            try:
                os.kill(pid, signal.SIGUSR1)
                sent[0] += 1
            except ProcessLookupError:
                return
            time.sleep(0.01)

    th = threading.Thread(target=storm)
    th.start()
    try:
        smtp_jobs(w, burst, concurrency=10, per_connection=5)
    finally:
        done.set()
        th.join()
    refused = [(s.msgid, s.result) for s in burst if not s.result["ok"]]
    c.true(not refused, "every message accepted during the storm: %s" % refused[:5])
    missing = ctx.gmail.wait_all(list(led.sent), timeout=60)
    c.true(not missing, "missing: %s" % missing)
    wait_queues_empty(w)
    led.verify(c, ctx.gmail, "message sent during the SIGUSR1 storm")
    c.eq(w.running("relaymilter") and w.pid("relaymilter") == pid, True,
         "the same relaymilter still runs")
    reloads = sum(1 for l in w.log_since(mark) if " relaymilter[" in l and "reloaded " in l)
    decisions = len(decisions_since(w, mark))
    c.true(reloads >= 10, "the storm's reloads happened (%d of %d signals)" % (reloads, sent[0]))
    c.eq(decisions, len(burst), "one decision line per message")
    return ("faults: %d SIGUSR1 (every 10 ms, %d reloads) during 150 messages from 10 SMTP "
            "clients: every message accepted, decided once and delivered once per policy, "
            "the daemon keeps running" % (sent[0], reloads))


def t_usr1_storm_budget(c, ctx):
    """SIGUSR1 storm while the reloads switch the relay budget on and off"""
    w = ctx.w
    rule = "RelayLimit per=account msgs/24h=100000\n"
    confs = [conf_with(extra=rule), BASE_CONF]
    ctx.set_conf(confs[0])
    led = Ledger(w)
    burst = [led.new(POLICY[i % len(POLICY)], "usr1 budget %d" % i) for i in range(100)]
    mark = w.log_mark()
    pid = w.pid("relaymilter")
    done = threading.Event()
    sent = [0]

    def storm():
        # each configuration for 5 signals (about 50 ms), then the other
        while not done.is_set():
            if sent[0] % 5 == 0:
                w.write_milter_file("relaymilter.conf", confs[sent[0] // 5 % 2])
            try:
                os.kill(pid, signal.SIGUSR1)
                sent[0] += 1
            except ProcessLookupError:
                return
            time.sleep(0.01)

    th = threading.Thread(target=storm)
    th.start()
    try:
        smtp_jobs(w, burst, concurrency=10, per_connection=5)
    finally:
        done.set()
        th.join()
    # end with the budget on
    w.write_milter_file("relaymilter.conf", confs[0])
    c.true("reloaded " in w.reload_milter(), "the last reload (budget on) succeeds")
    refused = [(s.msgid, s.result) for s in burst if not s.result["ok"]]
    c.true(not refused, "every message accepted during the storm: %s" % refused[:5])
    missing = ctx.gmail.wait_all(list(led.sent), timeout=60)
    c.true(not missing, "missing: %s" % missing)
    wait_queues_empty(w)
    led.verify(c, ctx.gmail, "message sent during the SIGUSR1 storm with the budget")
    c.eq(w.running("relaymilter") and w.pid("relaymilter") == pid, True,
         "the same relaymilter still runs")
    lines = w.log_since(mark)
    ds = [kv(l) for l in decisions_since(w, mark)]
    c.eq(len(ds), len(burst), "one decision line per message")
    counted = sorted(int(d["budget"].split("/")[0]) for d in ds if d.get("budget"))
    held = [d for d in ds if d.get("result") != "ok"]
    c.true(counted and len(counted) < len(ds),
           "both configurations were in force: %d of %d messages counted"
           % (len(counted), len(ds)))
    c.true(counted == list(range(counted[0], counted[0] + len(counted))) if counted else False,
           "the counted messages have consecutive counts, none twice, none lost across "
           "the reloads: %s" % counted)
    c.eq(held, [], "nothing held, tempfailed or refused (a budget of 100,000)")
    bad = [l for l in lines if re.search(r"relay budget: .*(corrupt|not kept|out of memory"
                                         r"|cannot)|reload failed", l)]
    c.eq(bad, [], "no budget error and no failed reload in the log")
    want = r"msgs/24h\s+%d/100000" % counted[-1] if counted else "-"
    out = [None]

    def status():
        out[0] = w.run([w.milter_binary, "-S", "-c", world.MILTER_CONF], check=False)
        return re.search(want, out[0].stdout) or None
    try:
        wait_for(status, 20, "budget.state with the last count")
        ok = out[0].returncode == 0
    except WorldError:
        ok = False
    c.true(ok, "-S (the state file) shows the last count, %s, nothing held: %s"
           % (want, out[0] and out[0].stdout + out[0].stderr))
    reloads = sum(1 for l in lines if " relaymilter[" in l and "reloaded " in l)
    return ("faults: %d SIGUSR1 (every 10 ms, %d reloads) switching a RelayLimit on and off "
            "during 100 messages from 10 SMTP clients: %d counted with consecutive counts, "
            "none twice, the state file agrees, every message delivered once"
            % (sent[0], reloads, len(counted)))


def t_reload_expand(c, ctx):
    """a reloaded SenderMap whose %1 expands to no address for some senders"""
    w = ctx.w
    # user+*@mta.test gives "@example.test" for "user+@mta.test"; @pbx.test
    # (the world's) gives "voice mail.alerts@example.test" for a quoted
    # local part with a space: neither is an address
    w.write_milter_file("sendermap", WORLD_MAP + "user+*@mta.test       %1@example.test\n")
    line = w.reload_milter()
    c.true("reloaded " in line, "the map reloads: %s" % line)
    led = Ledger(w)
    cases = [
        (("plus", world.MTA_ADDR, "user+@mta.test", ACCOUNT), "user+*@mta.test"),
        (("plus-ok", world.MTA_ADDR, "user+tag@mta.test", "tag@example.test"), None),
        (("quoted", world.LAN_TRUSTED, '"voice mail"@pbx.test', ACCOUNT), "@pbx.test"),
        (("pbx-ok", world.LAN_TRUSTED, "voicemail@pbx.test", "voicemail.alerts@example.test"),
         None),
    ]
    mark = w.log_mark()
    sent = [(led.new(p, "bad expansion %s" % p[0]), key) for p, key in cases]
    for s, _ in sent:
        s.result = smtp1(w, s.sender, s.data, client=s.client)
        c.true(s.result["ok"], "%s accepted (not tempfailed): %r" % (s.sender, s.result))
    for s, key in sent:
        if not s.result.get("qid"):
            continue
        d = kv(w.wait_decision(s.result["qid"], mark))
        c.eq((d.get("action"), d.get("result")), ("rewrite", "ok"),
             "decision of %s (action, result)" % s.sender)
        if key is not None:
            c.true((d.get("map_skipped") or "").startswith(key + ":"),
                   "%s: the entry passed over is named: map_skipped=%r"
                   % (s.sender, d.get("map_skipped")))
        else:
            c.true("map_skipped" not in d, "%s: no entry passed over" % s.sender)
    missing = ctx.gmail.wait_all(list(led.sent), timeout=30)
    c.true(not missing, "missing: %s" % missing)
    led.verify(c, ctx.gmail, "message of a badly expanding map")
    return ("faults: a reloaded SenderMap whose %1 gives no address for some senders "
            "(user+@, a quoted local part with a space): those leave as the account with "
            "map_skipped=KEY:LINE on the decision line, the others as the map says; none "
            "tempfailed")


def t_reload(c, ctx):
    """corrupt SenderMap and relaymilter.conf reloaded under traffic"""
    w = ctx.w
    led = Ledger(w)
    # traffic while the corrupt files are reloaded
    burst = [led.new(POLICY[i % len(POLICY)], "reload %d" % i) for i in range(60)]
    errors = []

    def traffic():
        try:
            smtp_jobs(w, burst, concurrency=10, per_connection=5)
        except Exception as e:
            errors.append(str(e))

    th = threading.Thread(target=traffic)
    th.start()
    nmap = len(WORLD_MAP.splitlines())
    # a map whose valid lines change the rules, then a broken line
    bad_map = WORLD_MAP.replace("%1.alerts@example.test", "hijacked.%1@example.test") + \
        "this-key-has-no-value\n"
    w.write_milter_file("sendermap", bad_map)
    l1 = w.reload_milter()
    c.true("reload failed, keeping the previous configuration" in l1 and
           "%s/sendermap:%d:" % (CONFDIR, nmap + 1) in l1,
           "a corrupt SenderMap is refused with file:line: %s" % l1)
    # a config whose valid lines would trust everyone and rewrite to another
    # account, then a broken line
    nconf = len(BASE_CONF.splitlines())
    bad_conf = BASE_CONF + "TrustedNetworks 0.0.0.0/0\nRelayAccount hijacked@gmail.test\n" \
        "DryRun perhaps\n"
    w.write_milter_file("relaymilter.conf", bad_conf)
    l2 = w.reload_milter()
    c.true("reload failed, keeping the previous configuration" in l2 and
           "%s/relaymilter.conf:%d:" % (CONFDIR, nconf + 3) in l2,
           "a corrupt relaymilter.conf is refused with file:line: %s" % l2)
    w.write_milter_file("relaymilter.conf", BASE_CONF + "TrustedNetworks 0.0.0.0/0 300.1.2.3\n")
    l3 = w.reload_milter()
    c.true("reload failed" in l3 and "%s/relaymilter.conf:%d:" % (CONFDIR, nconf + 1) in l3,
           "a bad network in relaymilter.conf is refused with file:line: %s" % l3)
    th.join()
    c.true(not errors, "traffic during the reloads: %s" % errors)
    # and after the failed reloads, with the corrupt files still in place
    after = [led.new(p, "after failed reload") for p in POLICY]
    smtp_jobs(w, after, concurrency=5)
    msp = led.new(MSP_SENDER, "after failed reload", via="msp")
    c.eq(w.sendmail(msp.data).returncode, 0, "sendmail -t exit status")
    refused = [(s.msgid, s.result) for s in burst + after if not s.result["ok"]]
    c.true(not refused, "every message accepted during and after the failed reloads: %s"
           % refused[:5])
    missing = ctx.gmail.wait_all(list(led.sent), timeout=60)
    c.true(not missing, "missing: %s" % missing)
    wait_queues_empty(w)
    led.verify(c, ctx.gmail, "message sent during the failed reloads")
    c.eq(w.pid("relaymilter") and w.running("relaymilter"), True,
         "relaymilter still runs after the failed reloads")
    w.write_milter_file("sendermap", WORLD_MAP)
    w.write_milter_file("relaymilter.conf", BASE_CONF)
    l4 = w.reload_milter()
    c.true("reloaded %s/relaymilter.conf" % CONFDIR in l4, "the good files reload: %s" % l4)
    return ("faults: corrupt SenderMap and relaymilter.conf (valid lines that would widen "
            "trust and change the account, then a broken one) reloaded with SIGUSR1 under "
            "traffic: refused with file:line, the old snapshot kept, mail flows with the old "
            "rules")




def t_authinfo_start(c, ctx):
    """authinfo unreadable by relaymilter:smmsp at start"""
    w = ctx.w
    src, dst = w.root("/etc/mail/authinfo"), w.root("/etc/mail/authinfo.faults")
    shutil.copy(src, dst)
    os.chown(dst, w.ids["smmta"][0], w.ids["smmsp"][1])
    os.chmod(dst, 0o600)
    sock, pid = SOCKDIR + "/faults-start.sock", SOCKDIR + "/faults-start.pid"
    conf = BASE_CONF.replace("/etc/mail/authinfo", "/etc/mail/authinfo.faults") \
        .replace("local:" + world.MILTER_SOCKET, "local:" + sock) + "PidFile %s\n" % pid
    w.write_milter_file("faults-start.conf", conf)
    try:
        failed_start(c, w, "faults-start.conf", [], "/etc/mail/authinfo.faults: cannot "
                      "read: Permission denied", sock, pid, "unreadable authinfo")
        # the running daemon did not notice
        msg, mid = w.message("root@mta.test", RCPT)
        r = smtp1(w, "root@mta.test", msg)
        c.true(r["ok"] and ctx.gmail.wait_all([mid], 20) == [],
               "the running relaymilter is unaffected: %r" % r)
    finally:
        os.unlink(dst)
        os.unlink(w.milter_file("faults-start.conf"))
    return ("faults: authinfo unreadable by relaymilter:smmsp at start: the error names the "
            "file, exit status 1 (-f and detaching), in the maillog too; no socket, no "
            "PidFile, no process left")


def t_budget(c, ctx):
    """the relay budget under a burst of concurrent clients, relaymilter
    SIGKILLed with mail held, restarted"""
    w = ctx.w
    limit, n = 4, 8
    ctx.set_conf(conf_with(extra="RelayLimit per=relay msgs/min=%d\n" % limit))
    led = Ledger(w)
    sent = [led.new(POLICY[i % len(POLICY)], "budget %d" % i) for i in range(n)]
    mark = w.log_mark()
    t0 = time.monotonic()
    smtp_jobs(w, sent, concurrency=n)
    refused = [(s.msgid, s.result) for s in sent if not (s.result or {}).get("ok")]
    c.true(not refused, "every client got 250 (held mail is accepted): %s" % refused[:3])
    ds = [kv(l) for l in decisions_since(w, mark)]
    ok = [d for d in ds if d.get("result") == "ok"]
    held = [d for d in ds if d.get("result") == "hold"]
    c.true(len(ok) == limit and len(held) == n - limit,
           "%d concurrent clients, %d a minute: exactly %d counted and sent, %d held "
           "(got %d ok, %d hold)" % (n, limit, limit, n - limit, len(ok), len(held)))
    c.true(sorted(d.get("budget") for d in ok) == ["%d/%d" % (i + 1, limit)
                                                   for i in range(limit)],
           "the counts of the sent ones are 1/%d .. %d/%d, no two the same: %s"
           % (limit, limit, limit, [d.get("budget") for d in ok]))
    try:
        wait_for(lambda: len(w.held()) == n - limit or None, 10,
                 "%d held messages in the queue" % (n - limit))
    except WorldError as e:
        c.fail.append(str(e))
    # the state reaches the disk at once after a hold: a SIGKILL loses
    # nothing of it
    time.sleep(0.5)
    pid = w.pid("relaymilter")
    ctx.sigkilled.add(pid)
    w.kill("relaymilter", signal.SIGKILL)
    w.stop("relaymilter")
    w.start("relaymilter")
    ctx.restarted_with = None
    out = w.run([w.milter_binary, "-S", "-c", world.MILTER_CONF], check=False)
    c.true(out.returncode == 1 and re.search(r"msgs/min\s+%d/%d" % (limit, limit),
                                             out.stdout)
           and "held      %d message" % (n - limit) in out.stdout,
           "after SIGKILL and a restart -S still shows %d/%d used and %d held: %s"
           % (limit, limit, n - limit, out.stdout + out.stderr))
    w.start("release-timer")
    try:
        missing = ctx.gmail.wait_all(list(led.sent), timeout=150)
        c.true(not missing, "the held ones leave once the minute has passed: "
               "missing %s" % missing[:5])
        wait_for(lambda: not w.held() or None, 20, "nothing held")
    except WorldError as e:
        c.fail.append(str(e))
    finally:
        w.stop("release-timer")
    led.verify(c, ctx.gmail, "budget message")
    bounced = [l for l in w.log_since(mark) if re.search(r"DSN:|return to sender", l)]
    c.true(not bounced, "nothing bounced: %s" % bounced[:3])
    ctx.tap.figure("budget", "%d messages from %d concurrent clients, %d a minute: %d held, "
                   "SIGKILL and restart with them held, all delivered once after %.0fs"
                   % (n, n, limit, n - limit, time.monotonic() - t0))
    return ("faults: relay budget (%d a minute) under %d concurrent SMTP clients: exactly "
            "%d sent, %d held; relaymilter SIGKILLed with them held and restarted keeps "
            "its counts; the releaser delivers each exactly once, nothing bounced"
            % (limit, n, limit, n - limit))
