"""seedlib.py - shared helpers of tests/seeds/capture and tests/seeds/run.

CONTRACT
  SEEDS: the seed directories (000 ... 004) under tests/seeds.
  configs(seed) -> [relative config directories holding a setup.json]
  (the seed's own ones, then variants/*).
  world_for(config, **kw) -> world.World for tests/seeds/<config>
  (world.load_setup), not started.
  submit(w, frm, rcpts, user=None, args=(), subject=None) -> Sent: a local
  submission as `sendmail -t -i` (cron, a web application, a phone system)
  through the world's MSP; Sent.mid, .msp (the MSP's queue id or None),
  .out (the CompletedProcess).
  mta_qid(w, sent, timeout) -> the MTA queue id of a submission.
  switch(w, config) -> the user changes the running world to CONFIG (same
  seed): its files written inside, its commands run, the MTA restarted,
  relaymilter started or stopped as CONFIG says; returns the commands'
  records (as w.setup_log).
  normalized_cf(text) -> sendmail.cf text with the two lines m4 writes
  about who rendered it, where and when ("##### built by ...", "##### in
  ...") replaced by fixed ones, so that a stored .cf changes only when its
  .mc or Debian's cf files do.
  Nothing here writes outside the world directory and the given paths.
"""
import os
import re
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import world  # noqa: E402

SEEDS = ("000", "001", "002", "003", "004")


def seed_dir(seed):
    return os.path.join(HERE, seed)


def configs(seed):
    d = seed_dir(seed)
    out = []
    for name in sorted(os.listdir(d)):
        if os.path.isfile(os.path.join(d, name, "setup.json")):
            out.append(os.path.join(seed, name))
    vd = os.path.join(d, "variants")
    if os.path.isdir(vd):
        for name in sorted(os.listdir(vd)):
            if os.path.isfile(os.path.join(vd, name, "setup.json")):
                out.append(os.path.join(seed, "variants", name))
    return out


def world_for(config, **kw):
    return world.World(setup=world.load_setup(os.path.join(HERE, config)), **kw)


class Sent:
    def __init__(self, mid, out, mark):
        self.mid, self.out, self.mark = mid, out, mark
        self.msp = None
        self.mta = None


def submit(w, frm, rcpts, user=None, args=(), subject=None, headers=(), domain=None):
    """`sendmail -t -i` through the MSP, as cron or an application does."""
    mark = w.log_mark()
    host = domain or (w.setup or {}).get("hostname") or "mta.test"
    w._seq += 1
    mid = "<seed.%d.%d.%d@%s>" % (os.getpid(), int(time.time() * 1000), w._seq, host)
    msg, mid = w.message(frm, rcpts, subject=subject, headers=headers, msgid=mid)
    out = w.sendmail(msg, user=user, args=["-t", "-i"] + list(args))
    s = Sent(mid, out, mark)
    for l in w.log_since(mark):
        m = re.search(r" (?:sendmail|sm-msp-queue)\[\d+\]: (\w+): from=.*msgid=(<[^>]*>)", l)
        if m and m.group(2) == mid and "daemon=" not in l:
            s.msp = m.group(1)
    return s


def mta_qid(w, sent, timeout=20):
    return w.wait_mta_qid(sent.mid, since=sent.mark, timeout=timeout)


def normalized_cf(text):
    text = re.sub(r"(?m)^##### built by .*$",
                  "##### built by (user@host and date left out: tests/seeds/capture)", text)
    text = re.sub(r"(?m)^##### in .*$", "##### in /etc/mail", text)
    return text


def switch(w, config, restart=True):
    """The user changes their configuration to CONFIG's (the same seed's
    world.json): its directories and files are written inside the world
    (as the user edits them), its commands run, the MTA restarts, and
    relaymilter starts, restarts or stops as CONFIG says. Returns the
    commands' records (as w.setup_log)."""
    st = world.load_setup(os.path.join(HERE, config))
    log = []
    for d in st.get("dirs", []):
        owner = d.get("owner", "root:root")
        w.run(["install", "-d", "-m", d.get("mode", "0755"), "-o", owner.split(":")[0],
               "-g", owner.split(":")[1], d["path"]])
    for f in st.get("files", []):
        if "symlink" in f:
            w.run(["ln", "-sfn", f["symlink"], f["dst"]])
            continue
        with open(f["src"], "rb") as src:
            data = src.read()
        owner = f.get("owner", "root:root")
        w.run(["sh", "-ec", 'mkdir -p "$(dirname "$1")"; cat > "$1"; chown "$2" "$1"; '
               'chmod "$3" "$1"', "sh", f["dst"], owner, f.get("mode", "0644")], input=data)
    for cmd in st.get("commands", []):
        out = w.run(["sh", "-c", cmd], check=False)
        log.append({"cmd": cmd, "status": out.returncode, "stdout": out.stdout,
                    "stderr": out.stderr})
    w._check_cf_paths()
    w.setup = st
    w.setup_log += log
    if not restart:
        return log
    for name in ("mta", "relaymilter"):
        if w.running(name):
            w.stop(name)
    w.milter = bool(st.get("milter", True))
    w.start_errors = {}
    todo = (["relaymilter"] if w.milter else []) + \
        (["mta"] if st.get("mta", {}).get("run", True) else [])
    for name in todo:
        try:
            w.start(name)
        except world.WorldError as e:
            w.start_errors[name] = str(e)
            w.procs.pop(name, None)
            w._popen.pop(name, None)
    w._save()
    return log
