#!/usr/bin/python3
"""world.py - the hermetic end-to-end world: a real sendmail, its MSP, DNS,
syslog, smarthost stand-ins and relaymilter, in private namespaces.

CONTRACT (library; `world.py --help` for the command-line front end)
  w = World(dir=None, milter=True, profile="gmail", keep=False)
  w.up()        builds DIR (a fresh /tmp/relaymilter-e2e.XXXXXX unless dir
                is given), starts the namespace holder, checks it is not
                the host's (namespace ids read before unsharing), runs
                ns-setup.sh inside, then starts syslog, DNS, the smarthost
                stand-ins, relaymilter (if milter) and the sendmail MTA,
                each as a separate process tracked by pid (and its start
                time, so a recycled pid is never signalled).
  w.down()      stops every component by pid (MTA first, syslog last),
                then looks for any process still inside the world's network
                namespace: those are "stragglers", killed by pid and
                returned in the report ({"stragglers": [...], "left": [...],
                "seconds": ...}); removes DIR unless keep (or E2E_KEEP=1).
                Safe to call twice; also runs from atexit, and `with
                World() as w:` calls it. teardown_on_signals() makes
                SIGTERM/SIGINT/SIGHUP unwind into it.
  World(quick_stop=("relaymilter",)): down() stops those with SIGKILL (for
  tests that do not look at how they end).
  Components: "syslog", "dns", "smarthost:NAME" (NAME in SMARTHOSTS),
  "relaymilter", "mta". w.start(name), w.stop(name, sig, timeout) -> seconds
  (also stops what the component started; for the MTA its detached sendmail
  workers), w.restart(name), w.kill(name, sig), w.pid(name), w.running(name).
  Inside the world: w.run(argv, input=, user=, timeout=, check=) runs a
  command in the namespaces (CompletedProcess, text), w.popen(argv, ...).
  MTA: w.set_smarthost(NAME or (host, port)), w.set_milter(on, flags="T")
  re-render sendmail.cf from etc/sendmail.mc and restart the MTA once it is
  idle; w.run_queue("mta"|"msp") runs one queue run in the foreground;
  w.queue(kind) lists queue ids; w.wait_queue_empty(kind), w.wait_mta_idle().
  w.set_milter(True, socket=PATH): sendmail.cf names another milter socket.
  relaymilter: w.write_milter_file(NAME, text) replaces
  /etc/mail/relaymilter/NAME, w.reload_milter() sends SIGUSR1 and returns the
  daemon's "reloaded"/"reload failed" line.
  Mail: w.message(...) builds a message (bytes, unique Message-ID);
  w.sendmail(msg, user=, args=) submits through the MSP (`sendmail -t -i`,
  as cron does); w.smtp(...) sends over SMTP from any world address
  (smtpsend.py inside the world) and returns the reply and queue id.
  Smarthosts: w.received(NAME) -> [dict] (smarthost.py's records),
  w.wait_received(NAME, msgid, count=1), w.events(NAME), w.set_mode(NAME,
  **{stage: reply}), w.clear_mode(NAME), w.blackhole(addr, port),
  w.unblackhole(addr, port), w.add_smarthost(NAME, spec) for more
  stand-ins (TLS variants: certs.py kinds valid/selfsigned/expired/
  wrongname, "starttls": False). DNS: w.dns(name, type) (dnsq.py).
  Maillog: w.maillog() -> [str], w.log_mark() / w.log_since(mark),
  w.lines_for(qid), w.qids_for_msgid(msgid) -> {"mta": qid, "msp": qid},
  w.wait_mta_qid(msgid), w.wait_delivery(qid, rcpt, stat=regex),
  w.wait_log(regex, since=mark) -> matching line, w.decision_line(qid),
  w.wait_decision(qid), w.mailbox(user).
  Recipient MX (tests/dmarcworld, README "The recipient MX"):
  w.add_recipient_mx() adds mx.remote.test (198.51.100.27:25, a second
  sendmail, etc/rmx/) with Debian's opendkim and opendmarc milters, the
  providers' egress addresses (EGRESS) on lo and the providers' DNS
  (etc/dnsmasq-providers.conf plus their test DKIM keys); components
  "rmx-opendkim", "rmx-opendmarc", "rmx". w.set_recipient_mx(
  reject_failures=) restarts opendmarc with RejectFailures on or off.
  w.rmx_received() -> [dict] (envelope, headers, auth_results, dmarc),
  w.wait_rmx(msgid). w.set_provider(NAME, settings) makes stand-in NAME
  forward what it accepts as its provider would (provider.py);
  w.forwarded(NAME), w.wait_forwarded(NAME, msgid); DSNs of late bounces
  land in w.path("mailboxes", ADDRESS, "mbox"|"Maildir"), read with
  w.dsns(ADDRESS). DNS and keys: w.add_dns(text) appends dnsmasq lines
  and restarts DNS; w.dkim_key(domain, selector, publish=True) makes a
  test key the stand-ins sign with and returns its TXT line (or "").
  Accounts: w.set_account(NAME, account, password) rewrites authinfo.
  A user's own configuration instead of the world's (tests/seeds):
  World(setup=load_setup(DIR)) reads DIR/setup.json (format in load_setup):
  the host name, extra addresses, files put at their inside paths with
  their modes and owners (a .mc, authinfo, hosts, relaymilter.conf ...),
  the commands the user ran (makemap, m4 ...; run inside as root, each
  recorded in w.setup_log with its status and output, a failure is data,
  not an error), DNS records (the stand-ins under the relays' real names,
  smtp.gmail.com ...), the stand-ins, black holes, and how the MTA runs
  (label, arguments, or not at all). Such a world mounts overlays on /etc,
  /var and /usr (ns-setup.sh) so that whatever that configuration writes
  stays in DIR (and a file it needs, e.g. CentOS's procmail, can be put
  there), refuses a sendmail.cf naming files elsewhere, trusts the test CA
  in /etc/ssl/certs (as a public CA signs the real relays), and runs the
  MTA with SETUP_MTA_OPTIONS on its command line (short connect timeouts,
  no load-average queueing): the .cf stays the user's. A component that
  fails to start (a truncated .cf, a milter that cannot read its files) is
  recorded in w.start_errors instead of failing up(); w.render_only()
  stops after the commands (no services). w.host_path(P) is the host path
  of inside path P; w.run_queue(kind, args=) passes more arguments.
  Every wait takes timeout= (seconds) and raises WorldError naming what it
  waited for. Nothing is written outside DIR: the host's /etc/mail,
  spools, /run and /dev are replaced inside the private mount namespace.
Requires root (namespaces, mounts); world.require_root() returns the reason
when it cannot run. Uses Debian's /usr/bin/python3 (aiosmtpd, cryptography).
"""
import argparse
import atexit
import email.utils
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True     # nothing written into the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ETC = os.path.join(HERE, "etc")
PYTHON = "/usr/bin/python3"
MARKER = ".relaymilter-e2e-world"

# addresses inside the world (see ns-setup.sh)
MTA_ADDR = "127.0.0.1"
LAN_MTA = "192.0.2.1"
LAN_UNTRUSTED = "192.0.2.10"     # printer.lan.test, relays, not trusted
LAN_TRUSTED = "192.0.2.20"       # pbx.test, in TrustedNetworks
INTERNET = "203.0.113.10"        # mail.outside.test

# the recipient MX (w.add_recipient_mx) and the providers' egress
# addresses, added on lo with it: what a real receiver sees as the client of
# a relayed message. 209.85.220.41 is the address relaymilter's "google"
# preset names (SPFRelayAddress google), inside Google's 209.85.128.0/17;
# 149.72.120.130 is in SendGrid's 149.72.0.0/16; 203.0.113.25 is a local
# relay's public address. They exist only on the world's loopback, in its
# private network namespace: nothing is ever sent to the real hosts.
RMX_ADDR = "198.51.100.27"
RMX_NAME = "mx.remote.test"
RMX_QUEUE = "/run/rmx/mqueue"
RMX_STORE = "/run/rmx/store"
EGRESS = {
    "google": {"addr": "209.85.220.41", "helo": "mail-sor-f41.google.com",
               "received_by": "smtp.gmail.com"},
    "sendgrid": {"addr": "149.72.120.130", "helo": "o1.ptr4711.sendgrid.net",
                 "received_by": "smtp.sendgrid.net"},
    "local": {"addr": "203.0.113.25", "helo": "james-out.example.net",
              "received_by": "james.local.test"},
}
# provider -> its egress
PROVIDER_EGRESS = {"gmail": "google", "gmail-relay": "google", "sendgrid": "sendgrid",
                   "passthrough": "local"}
# the providers' own DKIM keys (domain, selector), made by add_recipient_mx;
# Google's per-domain *.gappssmtp.com keys come with w.dkim_key()
PROVIDER_KEYS = [("gmail.com", "20230601"), ("sendgrid.net", "smtpapi")]

# the relays our users run; the authinfo file is generated from this table
SMARTHOSTS = {
    "gmail": {
        "profile": "gmail", "addr": "127.0.0.2", "port": 587,
        "name": "smtp.gmail.test",
        "account": "relay.account@gmail.test", "password": "abcd efgh ijkl mnop",
        "args": ["--account-password", "relay.account@gmail.test:correct horse",
                 "--alias", "billing@example.test"],
    },
    "workspace": {
        "profile": "workspace", "addr": "127.0.0.3", "port": 587,
        "name": "smtp-relay.gmail.test",
        "args": ["--client", "127.0.0.1/32", "--domain", "example.test"],
    },
    "generic": {
        "profile": "generic", "addr": "127.0.0.4", "port": 587,
        "name": "smtp.sendgrid.test",
        "account": "apikey", "password": "SG.e2e-test-key.0123456789",
        "args": ["--verified", "alerts@example.test",
                 "--verified", "voicemail.alerts@example.test"],
    },
    "local-relay": {
        "profile": "local-relay", "addr": "127.0.0.5", "port": 25,
        "name": "james.local.test",
        "account": "outbound@example.test", "password": "james-secret",
        "args": [],
    },
}
BLACKHOLE = {"name": "smtp.blocked.test", "addr": "127.0.0.9", "port": 25}


def _gmail_like(addr, name, **kw):
    d = {"profile": "gmail", "addr": addr, "port": 587, "name": name,
         "account": SMARTHOSTS["gmail"]["account"],
         "password": SMARTHOSTS["gmail"]["password"], "args": []}
    d.update(kw)
    return d


# Gmail-like relays with certificate trouble, for the doctor's probes
# (w.add_tls_variants() starts them; DNS names in etc/dnsmasq.conf)
TLS_VARIANTS = {
    "tls-valid": _gmail_like("127.0.0.6", "smtp-valid.tls.test", tls="valid"),
    "tls-selfsigned": _gmail_like("127.0.0.7", "smtp-selfsigned.tls.test", tls="selfsigned"),
    "tls-expired": _gmail_like("127.0.0.8", "smtp-expired.tls.test", tls="expired"),
    "tls-wrongname": _gmail_like("127.0.0.10", "smtp-wrongname.tls.test", tls="wrongname"),
    "tls-none": _gmail_like("127.0.0.11", "smtp-notls.tls.test", starttls=False),
    # port 25 black-holed (an ISP's block), 587 open
    "port25-blocked": _gmail_like("127.0.0.12", "smtp.port25blocked.test", tls="valid"),
}

# users added inside the world (the host's /etc/passwd is not touched)
MILTER_USER = "relaymilter"
LOCAL_USER = "alice"

MILTER_SOCKET = "/run/relaymilter/relaymilter.sock"
MILTER_CONF = "/etc/mail/relaymilter/relaymilter.conf"
# where a user's relaymilter.conf lives (README, make install)
SETUP_MILTER_CONF = "/etc/relaymilter/relaymilter.conf"

# paths ns-setup.sh bind-mounts from DIR/root over the stock ones
BOUND = ("/etc/mail", "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/resolv.conf",
         "/var/spool/mqueue", "/var/spool/mqueue-client", "/var/lib/sendmail",
         "/var/mail", "/run")
# directories covered by an overlay in a world with a user's configuration
OVERLAID = ("/etc", "/var", "/usr")

# The world's deviations for a user's configuration, given on the MTA's
# command line so that the .cf stays the user's own: a black-holed port
# times out in 3 s (instead of the kernel's 2 minutes), and the busy 2-core
# test machine never makes sendmail queue or refuse mail by load average.
SETUP_MTA_OPTIONS = ["-OTimeout.connect=3s", "-OTimeout.iconnect=3s",
                     "-OQueueLA=100", "-ORefuseLA=200", "-ODelayLA=0"]

# sendmail.cf options naming files sendmail writes: in a world with a
# user's configuration they must be inside the world's private paths
CF_WRITTEN_OPTIONS = ("QueueDirectory", "PidFile", "StatusFile", "HostStatusDirectory",
                      "AliasFile", "DeadLetterDrop", "ControlSocketName")
RELEASE_EVERY = 3      # seconds between two runs of the "release-timer"
UNITS = os.path.join(REPO, "contrib", "systemd")


class WorldError(Exception):
    pass


def parse_dmarc(auth_results):
    """OpenDMARC's verdict from a message's Authentication-Results values:
    {"dmarc": pass|fail|none|..., "policy": p= (the policy applied, p or
    sp), "disposition": dis=, "header_from": ..., "spf": ..., "dkim": [...]}
    or None when no dmarc= field is there. RFC 8601 syntax as opendmarc
    1.4.2 and opendkim 2.11 write it (one method per field)."""
    out = {"spf": None, "dkim": []}
    found = False
    for v in auth_results:
        m = re.search(r";\s*dmarc=(\w+)(?:\s*\(([^)]*)\))?(?:\s+header\.from=(\S+))?", v)
        if m:
            found = True
            out["dmarc"] = m.group(1).lower()
            cm = dict(re.findall(r"(\w+)=(\S+)", m.group(2) or ""))
            out["policy"] = cm.get("p")
            out["disposition"] = cm.get("dis")
            out["header_from"] = (m.group(3) or "").rstrip(";")
            continue
        m = re.search(r";\s*spf=(\w+)(?:\s+smtp\.(?:mailfrom|helo)=(\S+))?", v)
        if m:
            out["spf"] = m.group(1).lower()
            out["spf_domain"] = (m.group(2) or "").rstrip(";")
            continue
        # one result a ";"-separated segment: dkim=RESULT [(comment)]
        # [reason="..."] header.d=... header.s=...
        for seg in re.sub(r"\([^)]*\)", "", v).split(";"):
            m = re.match(r"\s*dkim=(\w+)(.*)", seg, re.S)
            if m:
                props = dict(re.findall(r"header\.(\w+)=(\S+)", m.group(2)))
                out["dkim"].append({"result": m.group(1).lower(), "d": props.get("d", ""),
                                    "s": props.get("s", "")})
    return out if found else None
def load_setup(directory):
    """Read DIRECTORY/setup.json: a user's configuration for World(setup=).

    {
     "title": "one line",
     "hostname": "homeserver.example.lan",     # UTS name (default mta.test)
     "addresses": ["192.168.10.10/32"],        # more addresses on lo
     "dirs": [{"path": "/etc/mail/auth", "mode": "0700", "owner": "root:root"}],
     "base": "../world.json",                  # settings this file extends
     "files": [{"src": "client-info",          # relative to this file
                "dst": "/etc/mail/auth/client-info",
                "mode": "0600", "owner": "root:root"},   # default 0644 root:root
               {"symlink": "/usr/share/sendmail/cf", "dst": "/usr/share/sendmail-cf"}],
     "installed_mc": "REL.mc",    # rendered to sendmail.cf before the commands
     "commands": ["makemap -r hash ... < ...", "cd /etc/mail && m4 ..."],
     "dns": ["host-record=smtp.gmail.com,127.0.0.2"],    # dnsmasq.conf lines
     "smarthosts": {"NAME": {...as SMARTHOSTS...}},       # replaces SMARTHOSTS
     "blackhole": [["127.0.0.2", 25]],
     "milter": true,                           # start relaymilter
     "milter_conf": "/etc/relaymilter/relaymilter.conf",
     "mta": {"run": true, "label": "sm-mta", "args": ["-bD", "-q30m"],
             "listen": [["127.0.0.1", 25]]}
    }
    Paths inside are those of a stock box; files may be put anywhere under
    /etc, /var or /usr (overlays) or the bound paths (BOUND)."""
    return _load_setup_file(os.path.join(os.path.abspath(directory), "setup.json"), 0)


# keys of a setup whose lists add up along "base" (the others replace)
SETUP_LISTS = ("files", "dirs", "dns", "addresses", "blackhole", "commands")


def _load_setup_file(path, depth):
    """One setup file; "base": "REL.json" names a file whose settings this
    one extends (lists in SETUP_LISTS: the base's first; others replaced).
    "src" paths are made absolute, relative to the file that names them."""
    if depth > 4:
        raise WorldError("%s: base files nest too deep" % path)
    try:
        with open(path) as f:
            setup = json.load(f)
    except (OSError, ValueError) as e:
        raise WorldError("%s: %s" % (path, e))
    if not isinstance(setup, dict):
        raise WorldError("%s: not an object" % path)
    here = os.path.dirname(path)
    for f in setup.get("files", []):
        if not f.get("dst", "").startswith("/"):
            raise WorldError("%s: dst must be absolute: %r" % (path, f))
        if "src" in f:
            f["src"] = os.path.normpath(os.path.join(here, f["src"]))
            if not os.path.isfile(f["src"]):
                raise WorldError("%s: no file %s" % (path, f["src"]))
    if setup.get("installed_mc"):
        setup["installed_mc"] = os.path.normpath(os.path.join(here, setup["installed_mc"]))
    base = setup.pop("base", None)
    if base:
        b = _load_setup_file(os.path.normpath(os.path.join(here, base)), depth + 1)
        for k in SETUP_LISTS:
            if k in b or k in setup:
                setup[k] = list(b.get(k, [])) + list(setup.get(k, []))
        for k, v in b.items():
            setup.setdefault(k, v)
    setup["dir"] = here
    return setup


def require_root():
    """Return None when the world can run here, else the reason it cannot."""
    if os.geteuid() != 0:
        return "not root (the world needs mount and network namespaces)"
    missing = [p for p in ("/usr/sbin/sendmail", "/usr/bin/m4", "/usr/sbin/dnsmasq",
                           "/usr/sbin/nft", "/usr/bin/unshare", "/usr/bin/nsenter",
                           "/usr/sbin/makemap", PYTHON)
               if not os.path.exists(p)]
    if missing:
        return "missing %s (run `make deps`)" % ", ".join(missing)
    try:
        subprocess.run([PYTHON, "-c", "import aiosmtpd, cryptography"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.CalledProcessError:
        return "python3-aiosmtpd or python3-cryptography missing (run `make deps`)"
    return None


def ns_ids(pid="self"):
    ids = {}
    for kind in ("mnt", "net", "uts"):
        try:
            ids[kind] = os.readlink("/proc/%s/ns/%s" % (pid, kind))
        except OSError:
            ids[kind] = ""
    return ids


def proc_start(pid):
    """Start time of PID in clock ticks (field 22 of /proc/PID/stat) or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return int(rest[19])


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(")") + 2:].split()[0]


def proc_ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(")") + 2:].split()[1])


def proc_cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def wait_for(fn, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise WorldError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)
        interval = min(interval * 1.5, 0.1)


def teardown_on_signals():
    """Turn SIGTERM, SIGINT and SIGHUP into SystemExit, so that `finally`
    blocks and atexit (World.down) run when a test run is interrupted."""
    def bail(sig, _frame):
        raise SystemExit(128 + sig)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, bail)


class World:
    def __init__(self, dir=None, milter=True, profile="gmail", keep=False,
                 milter_binary=None, milter_conf=MILTER_CONF, loglevel=9,
                 smarthosts=None, milter_argv=None, setup=None, quick_stop=()):
        self.dir = dir
        # components down() stops with SIGKILL (tests that do not test how
        # they end: libmilter takes seconds to return after SIGTERM)
        self.quick_stop = set(quick_stop)
        # a user's configuration instead of the world's (load_setup)
        self.setup = setup
        self.setup_log = []            # [{"cmd", "status", "stdout", "stderr"}]
        self.start_errors = {}         # component -> why it did not start
        if setup is not None:
            smarthosts = setup.get("smarthosts", smarthosts)
            milter = bool(setup.get("milter", milter))
            if milter_conf == MILTER_CONF:
                milter_conf = setup.get("milter_conf", SETUP_MILTER_CONF)
            if profile not in (smarthosts or {}):
                profile = sorted(smarthosts)[0] if smarthosts else profile
        self.milter = milter
        self.profile = profile
        self.keep = keep
        self.milter_binary = milter_binary or os.path.join(
            REPO, os.environ.get("BUILD", "build"), "relaymilter")
        self.milter_conf = milter_conf
        # another milter in relaymilter's place (a no-op milter for `make
        # bench`): its argv; it must listen on MILTER_SOCKET
        self.milter_argv = milter_argv
        self.milter_flags = "T"
        # the socket sendmail.cf names (w.set_milter(True, socket=...))
        self.milter_socket = MILTER_SOCKET
        self.loglevel = loglevel
        self.smarthosts = {k: dict(v) for k, v in (smarthosts or SMARTHOSTS).items()}
        self.smart = None              # (name, port) the MTA relays to
        self.holder = None
        self.host_ns = None
        self.world_ns = None
        self.procs = {}                # name -> {"pid", "start", "argv"}
        self._popen = {}
        self.blackholes = []
        self.times = {}
        self._down = False
        self._seq = 0
        self._ready_fn = {}
        self.ids = {}
        self.exits = []                # [{"name", "pid", "status", "output"}]
        self.rmx = None                # {"reject_failures": bool} once added
        self.release_strace = None     # strace output of the release-timer
        self._pending_dns = []         # dkim_key() lines not yet added

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()
        return False

    # ------------------------------------------------------------ paths
    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def root(self, inside_path):
        """Host path of a path as seen inside the world (bind-mounted ones)."""
        return self.path("root", inside_path.lstrip("/"))

    def host_path(self, inside_path):
        """Host path of any file the world keeps: under a bound path
        (DIR/root/...) or, with a user's configuration, under /etc or /var
        (the overlays' upper directories). WorldError for anything else."""
        p = os.path.normpath(inside_path)
        if not p.startswith("/"):
            raise WorldError("not an absolute path: %s" % inside_path)
        if p == "/var/run" or p.startswith("/var/run/"):
            p = "/run" + p[len("/var/run"):]      # a symlink on Debian
        for b in BOUND:
            if p == b or p.startswith(b + "/"):
                return self.root(p)
        if self.setup is not None:
            for top in OVERLAID:
                if p.startswith(top + "/"):
                    return self.path("overlay", top[1:], "upper", p[len(top) + 1:])
        raise WorldError("%s is outside the world's private paths" % inside_path)

    def _owner(self, spec):
        """uid, gid of "user:group" (names of the world's passwd/group)."""
        user, _, group = (spec or "root:root").partition(":")
        uid = gid = None
        with open(self.root("/etc/passwd")) as f:
            for l in f:
                p = l.split(":")
                if len(p) >= 7 and p[0] == user:
                    uid, gid = int(p[2]), int(p[3])
        if group:
            gid = None
            with open(self.root("/etc/group")) as f:
                for l in f:
                    p = l.split(":")
                    if len(p) >= 3 and p[0] == group:
                        gid = int(p[2])
        if uid is None or gid is None:
            raise WorldError("no owner %s inside the world" % spec)
        return uid, gid

    def _apply_setup(self):
        """Put a user's configuration in place (before the namespaces):
        directories, files, DNS lines, the test CA in the system bundle."""
        st = self.setup
        for d in st.get("dirs", []):
            hp = self.host_path(d["path"])
            os.makedirs(hp, exist_ok=True)
            os.chown(hp, *self._owner(d.get("owner")))
            os.chmod(hp, int(d.get("mode", "0755"), 8))
        for f in st.get("files", []):
            hp = self.host_path(f["dst"])
            os.makedirs(os.path.dirname(hp), exist_ok=True)
            if "symlink" in f:
                if os.path.lexists(hp):
                    os.unlink(hp)
                os.symlink(f["symlink"], hp)
                continue
            if "src" in f:
                with open(f["src"], "rb") as src:
                    data = src.read()
            else:
                data = f.get("text", "").encode()
            if os.path.islink(hp) or os.path.isdir(hp):
                raise WorldError("%s: not a plain file" % f["dst"])
            with open(hp, "wb") as out:
                out.write(data)
            os.chown(hp, *self._owner(f.get("owner")))
            os.chmod(hp, int(f.get("mode", "0644"), 8))
        if st.get("dns"):
            with open(self.path("dnsmasq.conf"), "a") as out:
                out.write("\n# the setup's own records (%s)\n" % st.get("title", st["dir"]))
                out.write("\n".join(st["dns"]) + "\n")
        # the relays' real names are signed by the test CA here, as a public
        # CA signs them in reality: trust it where Debian's bundle is
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        with open(self.path("tls", "ca.pem")) as f:
            ca = f.read()
        try:
            with open(bundle) as f:
                system = f.read()
        except OSError:
            system = ""
        hp = self.host_path(bundle)
        os.makedirs(os.path.dirname(hp), exist_ok=True)
        with open(hp, "w") as out:
            out.write(system + ("" if system.endswith("\n") or not system else "\n") + ca)
        h = subprocess.run(["openssl", "x509", "-noout", "-hash", "-in",
                            self.path("tls", "ca.pem")], stdout=subprocess.PIPE,
                           text=True, check=True).stdout.strip()
        shutil.copy(self.path("tls", "ca.pem"),
                    os.path.join(os.path.dirname(hp), "%s.0" % h))

    def _check_cf_paths(self, cf="/etc/mail/sendmail.cf"):
        """Refuse a user's sendmail.cf that names files sendmail writes
        outside the world's private paths (/etc, /var, /usr, /run)."""
        try:
            with open(self.host_path(cf), errors="replace") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return
        for l in lines:
            m = re.match(r"^O\s*(\w+)\s*=\s*(.*)$", l)
            if not m or m.group(1) not in CF_WRITTEN_OPTIONS:
                continue
            for word in re.split(r"[\s,]+", m.group(2)):
                word = word.split(":", 1)[-1] if word.startswith(("hash:", "dbm:")) else word
                if not word.startswith("/") or word == "/dev/null":
                    continue
                if not any(word == t or word.startswith(t + "/")
                           for t in OVERLAID + ("/run",)):
                    raise WorldError("REFUSING: %s sets %s=%s, outside the world"
                                     % (cf, m.group(1), word))

    @property
    def maillog_path(self):
        return self.path("log", "maillog")

    # ------------------------------------------------------------ build
    def _prepare(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="relaymilter-e2e.")
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        with open(self.path(MARKER), "w") as f:
            f.write("relaymilter end-to-end world\n")
        for d in ("log", "tls", "root/etc/mail/tls", "root/etc/mail/relaymilter",
                  "root/var/spool/mqueue", "root/var/spool/mqueue-client",
                  "root/var/lib/sendmail", "root/var/mail", "root/run/sendmail/mta",
                  "root/run/sendmail/msp", "root/run/relaymilter"):
            os.makedirs(self.path(d), exist_ok=True)
        for name in ("maillog", "all.log"):
            open(self.path("log", name), "a").close()
        if self.setup is not None:
            for top in OVERLAID:
                for sub in ("upper", "work"):
                    os.makedirs(self.path("overlay", top[1:], sub), exist_ok=True)
        ids = self._accounts()
        etc = self.root("/etc/mail")
        for f in ("access", "aliases", "local-host-names", "trusted-users",
                  "service.switch", "e2e-local-mda", "sendmail.mc", "submit.mc"):
            shutil.copy(os.path.join(ETC, f), os.path.join(etc, f))
        shutil.copy(os.path.join(ETC, "dnsmasq.conf"), self.path("dnsmasq.conf"))
        for f in os.listdir(os.path.join(ETC, "relaymilter")):
            shutil.copy(os.path.join(ETC, "relaymilter", f),
                        os.path.join(etc, "relaymilter", f))
        if self.setup is None:
            self._write_authinfo()   # a user's configuration brings its own
        # ownership and modes as Debian has them
        smmta, smmsp, mail = ids["smmta"], ids["smmsp"], ids["mail_gid"]
        os.chown(etc, smmta[0], smmsp[1]); os.chmod(etc, 0o2755)
        os.chown(self.root("/var/spool/mqueue"), smmta[0], smmsp[1])
        os.chmod(self.root("/var/spool/mqueue"), 0o2750)
        os.chown(self.root("/var/spool/mqueue-client"), smmsp[0], smmsp[1])
        os.chmod(self.root("/var/spool/mqueue-client"), 0o2770)
        os.chown(self.root("/var/lib/sendmail"), smmta[0], smmsp[1])
        os.chmod(self.root("/var/lib/sendmail"), 0o2751)
        os.chown(self.root("/var/mail"), 0, mail); os.chmod(self.root("/var/mail"), 0o3777)
        os.chmod(self.root("/run"), 0o755)
        os.chown(self.root("/run/sendmail/msp"), smmsp[0], smmsp[1])
        os.chmod(self.root("/run/sendmail/msp"), 0o2775)
        mu = ids[MILTER_USER]
        os.chown(self.root("/run/relaymilter"), mu[0], mu[1])
        os.chmod(self.root("/run/relaymilter"), 0o750)
        os.chown(self.root("/etc/mail/relaymilter"), mu[0], mu[1])
        os.chmod(self.root("/etc/mail/relaymilter"), 0o750)
        with open(self.root("/etc/hosts"), "w") as f:
            f.write("127.0.0.1\tlocalhost\n%s\tmta.test mta\n" % LAN_MTA)
        with open(self.root("/etc/resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:2 attempts:2\n")
        self._make_certs()
        if self.setup is not None:
            if self.setup.get("hostname"):
                with open(self.root("/etc/hosts"), "w") as f:
                    f.write("127.0.0.1\tlocalhost\n")
            self._apply_setup()
        self._render()

    def _accounts(self):
        """Write the world's passwd/group: the host's plus the test users."""
        with open("/etc/passwd") as f:
            passwd = f.read().splitlines()
        with open("/etc/group") as f:
            group = f.read().splitlines()
        used_uid = {int(l.split(":")[2]) for l in passwd if l.count(":") >= 6}
        used_gid = {int(l.split(":")[2]) for l in group if l.count(":") >= 3}
        ids = {}
        for l in passwd:
            p = l.split(":")
            if len(p) >= 7 and p[0] in ("smmta", "smmsp"):
                ids[p[0]] = (int(p[2]), int(p[3]))
        for l in group:
            p = l.split(":")
            if len(p) >= 4 and p[0] == "mail":
                ids["mail_gid"] = int(p[2])
        for need in ("smmta", "smmsp", "mail_gid"):
            if need not in ids:
                raise WorldError("the host has no %s account (is sendmail-bin installed?)"
                                 % need)
        n = 64025
        for user, home in ((MILTER_USER, "/nonexistent"), (LOCAL_USER, "/nonexistent")):
            while n in used_uid or n in used_gid:
                n += 1
            ids[user] = (n, n)
            used_uid.add(n); used_gid.add(n)
            passwd.append("%s:x:%d:%d:relaymilter e2e %s:%s:/usr/sbin/nologin"
                          % (user, n, n, user, home))
            group.append("%s:x:%d:" % (user, n))
        # the milter reads authinfo through group smmsp, as on a Debian box
        out = []
        for l in group:
            p = l.split(":")
            if len(p) >= 4 and p[0] == "smmsp":
                members = [m for m in p[3].split(",") if m] + [MILTER_USER]
                l = ":".join(p[:3] + [",".join(members)])
            out.append(l)
        with open(self.root("/etc/passwd"), "w") as f:
            f.write("\n".join(passwd) + "\n")
        with open(self.root("/etc/group"), "w") as f:
            f.write("\n".join(out) + "\n")
        os.chmod(self.root("/etc/passwd"), 0o644)
        os.chmod(self.root("/etc/group"), 0o644)
        self.ids = ids
        return ids

    def _write_authinfo(self):
        lines = ["# /etc/mail/authinfo - the world's smarthost credentials",
                 "# (text source; makemap hash authinfo < authinfo)"]
        for name, sh in sorted(self.smarthosts.items()):
            if sh.get("account"):
                # a tab after the key, as most hand-written authinfo files have
                lines.append('AuthInfo:%s\t"U:smmsp" "I:%s" "P:%s" "M:PLAIN LOGIN"'
                             % (sh["name"], sh["account"], sh["password"]))
        path = self.root("/etc/mail/authinfo")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chown(path, self.ids["smmta"][0], self.ids["smmsp"][1])
        os.chmod(path, 0o640)

    def _make_certs(self):
        sys.path.insert(0, HERE)
        import certs
        ca, _ = certs.make_ca(self.path("tls"))
        shutil.copy(ca, self.root("/etc/mail/tls/ca.pem"))
        for name, sh in self.smarthosts.items():
            self._smarthost_cert(name, sh)

    def _smarthost_cert(self, name, sh):
        import certs
        if sh.get("starttls", True) and not sh.get("cert"):
            cert, key = certs.make_cert(self.path("tls"), sh["name"],
                                        sh.get("tls", "valid"), [sh["addr"]])
            sh["cert"], sh["key"] = cert, key

    def _render(self):
        """Render sendmail.cf (and submit.cf) from the .mc files with m4."""
        if self.smart is None and self.profile in self.smarthosts:
            sh = self.smarthosts[self.profile]
            self.smart = (sh["name"], sh["port"])
        elif self.smart is None:
            self.smart = ("", 0)      # a user's configuration without stand-ins
        defs = ["-DE2E_SMART_HOST=%s" % self.smart[0],
                "-DE2E_SMART_PORT=%d" % self.smart[1],
                "-DE2E_LOGLEVEL=%d" % self.loglevel]
        if self.milter:
            defs += ["-DE2E_MILTER=local:%s" % self.milter_socket,
                     "-DE2E_MILTER_FLAGS=%s" % self.milter_flags]
        etc = self.root("/etc/mail")
        todo = [("sendmail.mc", "sendmail.cf", defs), ("submit.mc", "submit.cf", [])]
        if self.setup is not None:
            if self._popen.get("holder"):
                raise WorldError("a world with a user's configuration has no world "
                                 "sendmail.mc to render again")
            todo = todo[1:]     # sendmail.cf comes from the setup's own commands
        for mc, cf, d in todo:
            out = subprocess.run(["m4"] + d + [os.path.join(etc, mc)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 cwd=etc, check=False)
            if out.returncode != 0 or out.stderr.strip():
                raise WorldError("m4 %s: %s" % (mc, out.stderr.decode(errors="replace")))
            tmp = os.path.join(etc, cf + ".tmp")
            with open(tmp, "wb") as f:
                f.write(out.stdout)
            os.chmod(tmp, 0o644)
            os.rename(tmp, os.path.join(etc, cf))

    # ------------------------------------------------------------ state
    def _save(self):
        state = {"dir": self.dir, "holder": self.holder, "host_ns": self.host_ns,
                 "world_ns": self.world_ns, "procs": self.procs, "smart": self.smart,
                 "milter": self.milter, "milter_flags": self.milter_flags,
                 "milter_socket": self.milter_socket,
                 "milter_binary": self.milter_binary, "milter_conf": self.milter_conf,
                 "milter_argv": self.milter_argv,
                 "profile": self.profile, "blackholes": self.blackholes,
                 "smarthosts": self.smarthosts, "loglevel": self.loglevel,
                 "ids": self.ids, "keep": self.keep, "rmx": self.rmx,
                 "setup": self.setup}
        tmp = self.path("state.json.tmp")
        with open(tmp, "w") as f:
            json.dump(state, f, indent=1)
        os.rename(tmp, self.path("state.json"))

    @classmethod
    def attach(cls, dir):
        """A World for a directory brought up by another process (the CLI)."""
        with open(os.path.join(dir, "state.json")) as f:
            st = json.load(f)
        w = cls(dir=st["dir"], milter=st["milter"], profile=st["profile"],
                keep=st["keep"], milter_binary=st["milter_binary"],
                milter_argv=st.get("milter_argv"),
                milter_conf=st["milter_conf"], loglevel=st["loglevel"],
                smarthosts=st["smarthosts"], setup=st.get("setup"))
        w.holder, w.host_ns, w.world_ns = st["holder"], st["host_ns"], st["world_ns"]
        w.procs, w.smart = st["procs"], tuple(st["smart"])
        w.milter_flags, w.blackholes, w.ids = st["milter_flags"], st["blackholes"], st["ids"]
        w.milter_socket = st.get("milter_socket", MILTER_SOCKET)
        w.rmx = st.get("rmx")
        return w

    # ------------------------------------------------------------ up / down
    def up(self):
        why = require_root()
        if why:
            raise WorldError("cannot build the world: " + why)
        atexit.register(self.down)
        try:
            return self._up()
        except BaseException:
            self.down()
            raise

    def render_only(self):
        """A world with a user's configuration up to its commands (the .cf
        rendered, maps built), without any service: for fixtures whose
        sendmail.cf is all that is wanted. down() as usual."""
        if self.setup is None:
            raise WorldError("render_only() needs setup=")
        why = require_root()
        if why:
            raise WorldError("cannot build the world: " + why)
        atexit.register(self.down)
        try:
            self._prepare()
            self._start_holder()
            self._save()
            self._setup_commands()
            return self
        except BaseException:
            self.down()
            raise

    def _setup_commands(self):
        """The user's own commands, inside, as root; each one recorded."""
        st = self.setup
        for a in st.get("addresses", []):
            self.run(["ip", "addr", "add", a, "dev", "lo"])
        if st.get("installed_mc"):
            # the box as the sendmail package left it, before the user's
            # changes: the packaged sendmail.mc rendered (makemap needs a .cf)
            # (dated an hour back: the user's files are newer, as after an edit)
            out = self.run(["sh", "-c", "m4 %s > /etc/mail/sendmail.cf; s=$?; touch -d "
                            "'1 hour ago' /etc/mail/sendmail.cf; exit $s"
                            % st["installed_mc"]], check=False)
            self.setup_log.append({"cmd": "m4 (installed) %s" % st["installed_mc"],
                                   "world": True, "status": out.returncode,
                                   "stdout": out.stdout, "stderr": out.stderr})
        for cmd in st.get("commands", []):
            out = self.run(["sh", "-c", cmd], check=False)
            self.setup_log.append({"cmd": cmd, "status": out.returncode,
                                   "stdout": out.stdout, "stderr": out.stderr})
        self._check_cf_paths()
        # the access map as Debian builds it; makemap reads only the one
        # setting it needs (the user's sendmail.cf may be broken): TrustedUser
        # smmta, which owns /etc/mail (else the directory is "unsafe")
        with open(self.path("makemap.cf"), "w") as f:
            f.write("O TrustedUser=smmta\n")
        self.run(["sh", "-ec", "cd /etc/mail; makemap -C %s hash access < access; "
                  "chown smmta:smmsp access.db; chmod 0640 access.db"
                  % self.path("makemap.cf")])
        if st.get("newaliases", True) and os.path.exists(self.root("/etc/mail/sendmail.cf")):
            # what installing sendmail did on the user's box (not one of
            # their commands): the alias database
            out = self.run(["/usr/sbin/sendmail", "-bi", "-L", self.mta_label()], check=False)
            self.setup_log.append({"cmd": "sendmail -bi", "world": True,
                                   "status": out.returncode,
                                   "stdout": out.stdout, "stderr": out.stderr})

    def _up(self):
        t0 = time.monotonic()
        self._prepare()
        self.times["prepare"] = time.monotonic() - t0
        t = time.monotonic()
        self._start_holder()
        self._save()
        self.times["namespaces"] = time.monotonic() - t
        if self.setup is not None:
            return self._up_setup(t0)
        t = time.monotonic()
        self.start("syslog")
        for name in ["dns"] + ["smarthost:" + n for n in self.smarthosts]:
            self.start(name, wait=False)
        for name in ["dns"] + ["smarthost:" + n for n in self.smarthosts]:
            self._wait_ready(name)
        self.times["services"] = time.monotonic() - t
        t = time.monotonic()
        self.run(["sh", "-ec",
                  "cd /etc/mail; makemap hash access < access; "
                  "makemap hash authinfo < authinfo; "
                  "chown smmta:smmsp authinfo.db; chmod 0640 authinfo.db; "
                  "sendmail -bi -L sm-mta >/dev/null"])
        self.times["maps"] = time.monotonic() - t
        t = time.monotonic()
        if self.milter:
            self.start("relaymilter")
        self.start("mta")
        self.times["mta"] = time.monotonic() - t
        self.times["up"] = time.monotonic() - t0
        return self

    def _up_setup(self, t0):
        """up() for a user's configuration: services, the user's commands,
        then relaymilter and the MTA as the setup says; a component that
        does not start is recorded in start_errors."""
        t = time.monotonic()
        self.start("syslog")
        names = ["dns"] + ["smarthost:" + n for n in self.smarthosts]
        for name in names:
            self.start(name, wait=False)
        for name in names:
            self._wait_ready(name)
        self.times["services"] = time.monotonic() - t
        t = time.monotonic()
        self._setup_commands()
        for b in self.setup.get("blackhole", []):
            self.blackhole(*b)
        self.times["commands"] = time.monotonic() - t
        t = time.monotonic()
        mta = self.setup.get("mta", {})
        todo = (["relaymilter"] if self.milter else []) + \
            (["mta"] if mta.get("run", True) else [])
        for name in todo:
            try:
                self.start(name)
            except WorldError as e:
                self.start_errors[name] = str(e)
                self.procs.pop(name, None)
                self._popen.pop(name, None)
                self._save()
        self.times["mta"] = time.monotonic() - t
        self.times["up"] = time.monotonic() - t0
        return self

    def mta_label(self):
        """The MTA's syslog name (-L): sm-mta, or the setup's (CentOS: sendmail)."""
        return (self.setup or {}).get("mta", {}).get("label", "sm-mta")

    def _start_holder(self):
        self.host_ns = ns_ids()
        if not all(self.host_ns.values()):
            raise WorldError("cannot read this process's namespace ids: %r" % self.host_ns)
        p = subprocess.Popen(["unshare", "-mnu", "--propagation", "private",
                              "sleep", "infinity"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        self._popen["holder"] = p

        def unshared():
            if p.poll() is not None:
                raise WorldError("unshare exited with %s" % p.returncode)
            ids = ns_ids(p.pid)
            return ids if all(ids.values()) and ids["net"] != self.host_ns["net"] \
                and proc_cmdline(p.pid).startswith("sleep") else None
        ids = wait_for(unshared, 5, "the namespace holder")
        for kind in ("mnt", "net", "uts"):
            if not ids[kind] or ids[kind] == self.host_ns[kind]:
                p.kill()
                raise WorldError("REFUSING: the holder's %s namespace is the host's" % kind)
        self.holder = {"pid": p.pid, "start": proc_start(p.pid)}
        self.world_ns = ids
        argv = [os.path.join(HERE, "ns-setup.sh"), self.dir, self.host_ns["mnt"],
                self.host_ns["net"], self.host_ns["uts"]]
        if self.setup is not None:
            argv += [self.setup.get("hostname") or "mta.test", "overlay"]
        out = self.run(argv, check=False)
        if out.returncode != 0:
            raise WorldError("ns-setup.sh failed (%d): %s" % (out.returncode,
                                                             out.stdout + out.stderr))

    def _nsenter(self, argv, user=None, group=None):
        if not self.holder:
            raise WorldError("the world is not up")
        pid = self.holder["pid"]
        if proc_start(pid) != self.holder["start"]:
            raise WorldError("the namespace holder (pid %d) is gone" % pid)
        # -r: the holder's root too (inside a chroot, paths would resolve
        # on the host without it)
        pre = ["nsenter", "-t", str(pid), "-r", "-m", "-n", "-u", "--wd=" + self.dir, "--"]
        if user:
            gid = self._owner("root:" + group)[1] if group else self._gid_of(user)
            pre += ["setpriv", "--reuid=" + user, "--regid=%d" % gid,
                    "--init-groups", "--reset-env", "--"]
        return pre + list(argv)

    def _gid_of(self, user):
        with open(self.root("/etc/passwd")) as f:
            for l in f:
                p = l.split(":")
                if p[0] == user and len(p) >= 7:
                    return int(p[3])
        raise WorldError("no user %s inside the world" % user)

    def run(self, argv, input=None, user=None, timeout=60, check=True, env=None, group=None):
        """Run ARGV inside the world; text in/out. Raises WorldError if check."""
        try:
            out = subprocess.run(self._nsenter(argv, user, group), input=input,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 timeout=timeout, env=env,
                                 text=not isinstance(input, bytes))
        except subprocess.TimeoutExpired as e:
            raise WorldError("%s: timed out after %ss" % (" ".join(argv), timeout)) from e
        if isinstance(out.stdout, bytes):
            out.stdout = out.stdout.decode(errors="replace")
            out.stderr = out.stderr.decode(errors="replace")
        if check and out.returncode != 0:
            raise WorldError("%s exited %d: %s%s" % (" ".join(argv), out.returncode,
                                                     out.stdout, out.stderr))
        return out

    def popen(self, argv, user=None, group=None, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("start_new_session", True)
        return subprocess.Popen(self._nsenter(argv, user, group), **kw)

    # ------------------------------------------------------------ components
    def _spec(self, name):
        """argv and readiness check of a component."""
        if name == "syslog":
            ready = self.path("log", "syslog.ready")
            if os.path.exists(ready):
                os.unlink(ready)
            return ([PYTHON, os.path.join(HERE, "syslogd.py"), "/dev/log",
                     self.maillog_path, self.path("log", "all.log"), ready],
                    lambda: os.path.exists(ready))
        if name == "dns":
            return (["/usr/sbin/dnsmasq", "-k", "--user=root", "--pid-file=",
                     "-C", self.path("dnsmasq.conf"),
                     "--log-facility=" + self.path("log", "dnsmasq.log"), "--log-queries"],
                    lambda: self.listening("udp", "127.0.0.1", 53))
        if name.startswith("smarthost:"):
            sh = self.smarthosts[name.split(":", 1)[1]]
            d = self.path("smarthost", name.split(":", 1)[1])
            os.makedirs(d, exist_ok=True)
            argv = [PYTHON, os.path.join(HERE, "smarthost.py"), "--profile", sh["profile"],
                    "--listen", "%s:%d" % (sh["addr"], sh["port"]), "--dir", d,
                    "--hostname", sh["name"]] + list(sh.get("args", []))
            if sh.get("account"):
                argv += ["--user", "%s:%s" % (sh["account"], sh["password"])]
            if sh.get("cert") and sh.get("starttls", True):
                argv += ["--cert", sh["cert"], "--key", sh["key"]]
            return argv, lambda: self.listening("tcp", sh["addr"], sh["port"])
        if name == "relaymilter" and self.milter_argv:
            sock = self.root(MILTER_SOCKET)
            if os.path.exists(sock):
                os.unlink(sock)
            return (list(self.milter_argv), lambda: self.listening("unix", MILTER_SOCKET))
        if name == "relaymilter":
            if not os.access(self.milter_binary, os.X_OK):
                raise WorldError("no relaymilter binary at %s (run `make`)" % self.milter_binary)
            sock = self.root(MILTER_SOCKET)
            if os.path.exists(sock):
                os.unlink(sock)
            return ([self.milter_binary, "-f", "-c", self.milter_conf],
                    lambda: self.listening("unix", MILTER_SOCKET))
        if name == "rmx":
            return (["/usr/sbin/sendmail", "-C", "/etc/mail/rmx/sendmail.cf", "-L", "sm-rmx",
                     "-bD", "-q30m"],
                    lambda: self.listening("tcp", RMX_ADDR, 25))
        if name == "rmx-opendkim":
            sock = "/run/rmx/opendkim/opendkim.sock"
            return (["/usr/sbin/opendkim", "-f", "-x", "/etc/mail/rmx/opendkim.conf"],
                    lambda: self.listening("unix", sock))
        if name == "rmx-opendmarc":
            sock = "/run/rmx/opendmarc/opendmarc.sock"
            if os.path.exists(self.root(sock)):
                os.unlink(self.root(sock))
            return (["/usr/sbin/opendmarc", "-f", "-c", "/etc/mail/rmx/opendmarc.conf"],
                    lambda: self.listening("unix", sock))
        if name == "mta" and self.setup is not None:
            mta = self.setup.get("mta", {})
            listen = [tuple(x) for x in mta.get("listen", [[MTA_ADDR, 25]])]
            argv = (["/usr/sbin/sendmail", "-Am", "-L", self.mta_label()]
                    + list(mta.get("args", ["-bD", "-q30m"])) + SETUP_MTA_OPTIONS)
            return (argv, lambda: all(self.listening("tcp", a, p) for a, p in listen))
        if name == "release-timer":
            # relaymilter-release.timer: relaymilter -R as root, every few
            # seconds (RELEASE_EVERY; the unit runs it every minute); with
            # self.release_strace set, each run under strace -f, appended
            # to that file (the unit's system call filter is checked on it)
            pre = ("strace -f -qq -A -o %s " % self.release_strace
                   if self.release_strace else "")
            return (["/bin/sh", "-c", "while :; do %s%s -R -c %s; sleep %d; done"
                     % (pre, self.milter_binary, self.milter_conf, RELEASE_EVERY)],
                    lambda: True)
        if name == "mta":
            return (["/usr/sbin/sendmail", "-Am", "-L", "sm-mta", "-bD", "-q30m"],
                    lambda: self.listening("tcp", MTA_ADDR, 25)
                    and self.listening("tcp", LAN_MTA, 25))
        raise WorldError("no such component: %s" % name)

    def start(self, name, wait=True, timeout=10):
        if self.running(name):
            raise WorldError("%s is already running (pid %d)" % (name, self.pid(name)))
        argv, ready = self._spec(name)
        user = group = None
        if name == "relaymilter" and self.setup is not None and not self.milter_argv:
            # as relaymilter.service runs it: User=relaymilter, Group=smmsp,
            # StateDirectory=relaymilter, after ExecStartPre=relaymilter -n
            user, group = MILTER_USER, "smmsp"
            # (inside: the overlay's upper directory must not be changed
            # from outside while it is mounted)
            self.run(["install", "-d", "-o", MILTER_USER, "-g", MILTER_USER, "-m", "0700",
                      "/var/lib/relaymilter"])
            pre = self.run([self.milter_binary, "-n", "-c", self.milter_conf],
                           user=user, group=group, check=False)
            self.setup_log.append({"cmd": "relaymilter -n -c %s" % self.milter_conf,
                                   "world": True, "status": pre.returncode,
                                   "stdout": pre.stdout, "stderr": pre.stderr})
            if pre.returncode != 0:
                raise WorldError("relaymilter -n (ExecStartPre) exited %d: %s%s"
                                 % (pre.returncode, pre.stdout, pre.stderr))
        log = open(self.path("log", name.replace(":", "-") + ".out"), "ab")
        p = self.popen(argv, user=user, group=group, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._popen[name] = p
        self.procs[name] = {"pid": p.pid, "start": proc_start(p.pid), "argv": argv,
                            "ready": False}
        self._save()
        self._ready_fn[name] = ready
        if wait:
            self._wait_ready(name, timeout)
        return p.pid

    def _wait_ready(self, name, timeout=10):
        ready = self._ready_fn[name]

        def ok():
            if not self.running(name):
                raise WorldError("%s exited during start-up: %s" % (name, self.output(name)))
            return ready()
        wait_for(ok, timeout, "%s to be ready" % name)
        self.procs[name]["ready"] = True
        self._save()

    def output(self, name, tail=2000):
        try:
            with open(self.path("log", name.replace(":", "-") + ".out"), "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-tail:].decode(errors="replace")

    def pid(self, name):
        p = self.procs.get(name)
        return p["pid"] if p else None

    def running(self, name):
        p = self.procs.get(name)
        if not p:
            return False
        if name in self._popen and self._popen[name].poll() is not None:
            return False
        return proc_start(p["pid"]) == p["start"] and proc_state(p["pid"]) not in ("Z", None)

    def kill(self, name, sig):
        if not self.running(name):
            raise WorldError("%s is not running" % name)
        os.kill(self.pid(name), sig)

    def descendants(self, pid):
        """Pids of the processes PID started (children, grandchildren, ...),
        e.g. sendmail's delivery and queue-run children, which a SIGTERM to
        the sendmail daemon leaves running."""
        kids = {}
        for p in self.world_pids():
            kids.setdefault(proc_ppid(p), []).append(p)
        out, todo = [], [pid]
        while todo:
            for k in kids.get(todo.pop(), []):
                out.append((k, proc_start(k)))
                todo.append(k)
        return out

    def mta_workers(self):
        """sendmail processes inside the world that are not the daemon: the
        delivery processes it detached (double fork, so no longer its
        children), queue runs, submissions in progress."""
        daemon = self.pid("mta")
        try:
            exe = os.readlink("/proc/%d/exe" % daemon)
        except (OSError, TypeError):
            return []
        out = []
        rmx = self.pid("rmx")
        for k in self.world_pids():
            try:
                if k != daemon and k != rmx and os.readlink("/proc/%d/exe" % k) == exe \
                        and not self._is_rmx(k):
                    out.append((k, proc_start(k)))
            except OSError:
                pass
        return out

    def _is_rmx(self, pid):
        """A sendmail process of the recipient MX: it works in its queue."""
        try:
            return os.readlink("/proc/%d/cwd" % pid) == RMX_QUEUE
        except OSError:
            return False

    def rmx_workers(self):
        """The recipient MX's sendmail processes other than its daemon."""
        daemon = self.pid("rmx")
        return [(k, proc_start(k)) for k in self.world_pids()
                if k != daemon and self._is_rmx(k)]

    def stop(self, name, sig=signal.SIGTERM, timeout=15):
        """Stop NAME and whatever it started (for the MTA also its detached
        sendmail workers), by pid; SIGKILL after timeout. Returns seconds."""
        t = time.monotonic()
        p = self.procs.get(name)
        if not p:
            return 0.0
        if self.running(name):
            kids = self.descendants(p["pid"])
            if name == "mta":
                kids += [k for k in self.mta_workers() if k not in kids]
            if name == "rmx":
                kids += [k for k in self.rmx_workers() if k not in kids]
            os.kill(p["pid"], sig)
            for k, start in kids:
                if proc_start(k) == start:
                    os.kill(k, sig)
            try:
                self._wait_exit(name, timeout)
                wait_for(lambda: all(proc_start(k) != start or proc_state(k) == "Z"
                                     for k, start in kids), timeout,
                         "the children of %s to exit" % name)
            except WorldError:
                for k, start in [(p["pid"], p["start"])] + kids:
                    if proc_start(k) == start:
                        os.kill(k, signal.SIGKILL)
                self._wait_exit(name, 5)
                self.times.setdefault("sigkilled", []).append(name)
        if name in self._popen:
            rc = self._popen.pop(name).wait()
            # how it ended: tests assert clean exits (sanitizer reports, crashes)
            self.exits.append({"name": name, "pid": p["pid"], "status": rc,
                               "output": self.output(name) if rc else ""})
        del self.procs[name]
        self._save()
        return time.monotonic() - t

    def _wait_exit(self, name, timeout):
        pop = self._popen.get(name)
        if pop is not None:
            try:
                pop.wait(timeout)
                return
            except subprocess.TimeoutExpired:
                raise WorldError("%s did not exit in %ss" % (name, timeout))
        wait_for(lambda: not self.running(name), timeout, "%s to exit" % name)

    def restart(self, name):
        self.stop(name)
        return self.start(name)

    def listening(self, proto, addr, port=None):
        """Is something inside the world listening (TCP/UDP addr:port, or unix path)?"""
        pid = self.holder["pid"]
        try:
            with open("/proc/%d/net/%s" % (pid, proto)) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            return False
        if proto == "unix":
            return any(l.split()[-1] == addr and l.split()[5] == "01"
                       for l in lines if len(l.split()) >= 8)
        want = "%s:%04X" % ("".join("%02X" % int(b) for b in reversed(addr.split("."))), port)
        for l in lines:
            f = l.split()
            if f[1] == want and (proto == "udp" or f[3] == "0A"):
                return True
        return False

    def world_pids(self):
        """Pids of every process inside the world's network namespace."""
        if not self.world_ns:
            return []
        pids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if os.readlink("/proc/%s/ns/net" % d) == self.world_ns["net"]:
                    pids.append(int(d))
            except OSError:
                pass
        return sorted(pids)

    def down(self):
        """Tear the world down; return {"stragglers", "left", "seconds"}."""
        if self._down or not self.dir:
            return {"stragglers": [], "left": [], "seconds": 0.0}
        self._down = True
        # an interrupt must not cut the teardown short
        blocked = signal.pthread_sigmask(
            signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
        try:
            return self._teardown()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _teardown(self):
        t0 = time.monotonic()
        report = {"stragglers": [], "left": [], "stop_seconds": {}}
        try:
            atexit.unregister(self.down)
        except Exception:
            pass
        others = [n for n in self.procs if n not in ("mta", "rmx", "syslog")]
        if self.holder:
            for n in ("mta", "rmx"):
                if n in self.procs:
                    report["stop_seconds"][n] = self.stop(n)
            for n in others:
                if self.running(n):
                    os.kill(self.pid(n), signal.SIGKILL if n in self.quick_stop
                            else signal.SIGTERM)
            for n in others:
                report["stop_seconds"][n] = self.stop(
                    n, signal.SIGKILL if n in self.quick_stop else signal.SIGTERM)
            if "syslog" in self.procs:
                report["stop_seconds"]["syslog"] = self.stop("syslog")
            hp = self.holder["pid"]
            for pid in self.world_pids():
                if pid == hp:
                    continue
                report["stragglers"].append({"pid": pid, "cmd": proc_cmdline(pid)})
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if report["stragglers"]:
                time.sleep(0.2)
            if proc_start(hp) == self.holder["start"]:
                os.kill(hp, signal.SIGTERM)
            if "holder" in self._popen:
                self._popen.pop("holder").wait()
            else:
                wait_for(lambda: proc_start(hp) != self.holder["start"]
                         or proc_state(hp) == "Z", 5, "the holder to exit")
            report["left"] = [{"pid": p, "cmd": proc_cmdline(p)} for p in self.world_pids()]
        report["seconds"] = time.monotonic() - t0
        self.last_down = report
        if not self.keep and not report["left"] and not os.environ.get("E2E_KEEP"):
            self.remove_dir()
        return report

    def remove_dir(self):
        d = self.dir
        if (d and os.path.isabs(d) and os.path.basename(d).startswith("relaymilter-e2e.")
                and os.path.exists(os.path.join(d, MARKER))):
            shutil.rmtree(d, ignore_errors=True)

    # ------------------------------------------------------------ MTA
    def set_smarthost(self, name_or_target):
        """Relay through SMARTHOSTS[name] or an explicit (host, port); restart MTA."""
        if isinstance(name_or_target, str):
            sh = self.smarthosts[name_or_target]
            self.smart = (sh["name"], sh["port"])
            self.profile = name_or_target
        else:
            self.smart = (name_or_target[0], int(name_or_target[1]))
        self._render()
        if self.running("mta"):
            self.wait_mta_idle()
            self.restart("mta")
        self._save()

    def set_milter(self, on, flags="T", socket=MILTER_SOCKET):
        """Include the milter in sendmail.cf (F=flags, S=local:socket, e.g.
        a second milter the caller runs) or not; restart the MTA."""
        self.milter, self.milter_flags = bool(on), flags
        self.milter_socket = socket
        self._render()
        if self.running("mta"):
            self.wait_mta_idle()
            self.restart("mta")
        self._save()

    def wait_mta_idle(self, timeout=30):
        """Wait until no sendmail worker (delivery, queue run) is running."""
        return wait_for(lambda: not self.mta_workers(), timeout,
                        "sendmail's workers to finish") if self.running("mta") else True

    def queue(self, kind="mta"):
        d = self.root("/var/spool/mqueue" if kind == "mta" else "/var/spool/mqueue-client")
        return sorted(n[2:] for n in os.listdir(d) if n.startswith("qf"))

    def held(self):
        """Queue ids of the MTA queue's quarantined messages (hf files)."""
        d = self.root("/var/spool/mqueue")
        return sorted(n[2:] for n in os.listdir(d) if n.startswith("hf"))

    def queue_file(self, qid):
        """The MTA's control file of QID ({"name": "qf"|"hf", "lines": [...]})
        or None when it is gone."""
        for kind in ("hf", "qf"):
            try:
                with open(self.root("/var/spool/mqueue/%s%s" % (kind, qid)),
                          errors="replace") as f:
                    return {"name": kind, "lines": f.read().splitlines()}
            except FileNotFoundError:
                continue
        return None

    def release_budget(self, check=False):
        """One run of `relaymilter -R` (the releaser) as root inside."""
        return self.run([self.milter_binary, "-R", "-c", self.milter_conf],
                        check=check, timeout=120)

    def wait_queue_empty(self, kind="mta", timeout=20):
        return wait_for(lambda: not self.queue(kind) or None, timeout,
                        "the %s queue to empty (left: %s)" % (kind, self.queue(kind))) \
            if self.queue(kind) else True

    def run_queue(self, kind="mta", timeout=60, args=()):
        """One queue run in the foreground (sm-mta / sm-msp-queue). Waits first
        until no sendmail worker runs: a delivery that has just logged its
        Deferred line still holds the queue file, and a queue run started
        then skips the message without a word."""
        self.wait_mta_idle()
        if kind == "mta":
            argv = ["/usr/sbin/sendmail", "-Am", "-L", self.mta_label(), "-qf"]
            if self.setup is not None:
                argv += SETUP_MTA_OPTIONS
        else:
            argv = ["/usr/sbin/sendmail", "-Ac", "-L", "sm-msp-queue", "-qf"]
        return self.run(argv + list(args), timeout=timeout, check=False)

    # ------------------------------------------------------------ mail
    def message(self, from_hdr, to, subject=None, body=None, headers=(), msgid=None):
        """A small RFC 5322 message (bytes) with a unique Message-ID."""
        self._seq += 1
        if msgid is None:
            msgid = "<e2e.%d.%d.%d@mta.test>" % (os.getpid(), int(time.time() * 1000),
                                                 self._seq)
        to = [to] if isinstance(to, str) else list(to)
        lines = ["From: %s" % from_hdr, "To: %s" % ", ".join(to),
                 "Subject: %s" % (subject or "e2e message %d" % self._seq),
                 "Date: %s" % email.utils.formatdate(localtime=True),
                 "Message-ID: %s" % msgid]
        lines += ["%s: %s" % h for h in headers]
        lines += ["", body or "relaymilter end-to-end test message.", ""]
        return "\r\n".join(lines).encode(), msgid

    def sendmail(self, msg, user=None, args=("-t", "-i"), timeout=60):
        """Submit MSG through the MSP as `sendmail -t -i` (as USER, default root)."""
        return self.run(["/usr/sbin/sendmail"] + list(args), input=msg, user=user,
                        timeout=timeout, check=False)

    def smtp(self, mail_from, rcpt, msg, client=MTA_ADDR, server=MTA_ADDR, port=25,
             helo=None, starttls=False, auth=None, timeout=30):
        """Send MSG over SMTP from CLIENT inside the world; returns smtpsend's dict:
        {"ok", "stage", "code", "reply", "qid", "rcpt": {addr: reply}}."""
        job = {"server": server, "port": port, "source": client, "helo": helo,
               "starttls": starttls, "auth": auth, "timeout": timeout,
               "messages": [{"mail_from": mail_from,
                             "rcpt": [rcpt] if isinstance(rcpt, str) else list(rcpt),
                             "data": msg.decode("utf-8", "surrogateescape")
                             if isinstance(msg, bytes) else msg}]}
        out = self.smtp_job(job, timeout=timeout + 10)
        try:
            return out["results"][0]
        except (KeyError, IndexError):
            raise WorldError("smtpsend.py gave no result: %r" % out)

    # ------------------------------------------------------------ relaymilter
    def milter_file(self, name):
        """Host path of /etc/mail/relaymilter/NAME (config, sendermap, ...)."""
        return self.root("/etc/mail/relaymilter/" + name)

    def write_milter_file(self, name, text):
        """Replace /etc/mail/relaymilter/NAME atomically (root 0644)."""
        path = self.milter_file(name)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.chmod(path + ".tmp", 0o644)
        os.rename(path + ".tmp", path)
        return path

    def reload_milter(self, timeout=10):
        """SIGUSR1 to relaymilter; returns its "reloaded ..." or "reload failed
        ..." log line."""
        mark = self.log_mark()
        self.kill("relaymilter", signal.SIGUSR1)
        return self.wait_log(r" relaymilter\[\d+\]: (reloaded |reload failed)",
                             since=mark, timeout=timeout)

    def smtp_job(self, job, timeout=600):
        """Run a whole smtpsend.py job inside the world (many messages, N
        concurrent clients: {"concurrency": 20, "messages": [...]}); returns
        its output {"results": [...], "seconds": float}."""
        out = self.run([PYTHON, os.path.join(HERE, "smtpsend.py")], input=json.dumps(job),
                       timeout=timeout, check=False)
        try:
            return json.loads(out.stdout)
        except ValueError:
            raise WorldError("smtpsend.py failed (%d): %s%s" % (out.returncode, out.stdout,
                                                               out.stderr))

    # ------------------------------------------------------------ smarthosts
    def add_smarthost(self, name, spec, start=True):
        """Another stand-in, e.g. {"profile": "gmail", "addr": "127.0.0.6", "port": 587,
        "name": "smtp.tls-expired.test", "tls": "expired"} ("starttls": False for
        none). Its name needs a DNS record (dnsmasq.conf) or an explicit IP use."""
        self.smarthosts[name] = dict(spec)
        self._smarthost_cert(name, self.smarthosts[name])
        self._save()
        if start:
            self.start("smarthost:" + name)

    def add_tls_variants(self):
        """Start every TLS_VARIANTS stand-in and black-hole port 25 of
        smtp.port25blocked.test."""
        for name, spec in TLS_VARIANTS.items():
            self.add_smarthost(name, spec, start=False)
        for name in TLS_VARIANTS:
            self.start("smarthost:" + name, wait=False)
        for name in TLS_VARIANTS:
            self._wait_ready("smarthost:" + name)
        self.blackhole(TLS_VARIANTS["port25-blocked"]["addr"], 25)

    def received(self, name):
        d = self.path("smarthost", name, "received")
        out = []
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        except FileNotFoundError:
            return out
        for n in names:
            with open(os.path.join(d, n)) as f:
                rec = json.load(f)
            rec["file"] = os.path.join(d, n)
            out.append(rec)
        return out

    def received_msgid(self, name, msgid):
        return [r for r in self.received(name) if r.get("message_id") == msgid]

    def wait_received(self, name, msgid, count=1, timeout=20):
        return wait_for(lambda: (lambda r: r if len(r) >= count else None)(
            self.received_msgid(name, msgid)), timeout,
            "%d message(s) %s at smarthost %s" % (count, msgid, name))

    def events(self, name):
        try:
            with open(self.path("smarthost", name, "events.jsonl")) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def set_mode(self, name, **stages):
        """Every STAGE command (ehlo, auth, mail, rcpt, data) answers REPLY."""
        d = self.path("smarthost", name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "mode.json.tmp"), "w") as f:
            json.dump(stages, f)
        os.rename(os.path.join(d, "mode.json.tmp"), os.path.join(d, "mode.json"))

    def clear_mode(self, name):
        try:
            os.unlink(self.path("smarthost", name, "mode.json"))
        except FileNotFoundError:
            pass

    def blackhole(self, addr, port, proto="tcp"):
        """Drop every packet to addr:port (tcp or udp) inside the world: TCP
        connects time out (an ISP blocking port 25), DNS queries get no
        answer (proto="udp", port 53) instead of the instant refusal a
        stopped server gives."""
        self.run(["nft", "add", "rule", "inet", "e2e", "in", "ip", "daddr", addr,
                  proto, "dport", str(port), "drop"])
        self.blackholes.append([addr, int(port), proto])
        self._save()

    def unblackhole(self, addr, port, proto="tcp"):
        self.blackholes = [b for b in self.blackholes if b != [addr, int(port), proto]]
        self.run(["nft", "flush", "chain", "inet", "e2e", "in"])
        for a, p, pr in self.blackholes:
            self.run(["nft", "add", "rule", "inet", "e2e", "in", "ip", "daddr", a,
                      pr, "dport", str(p), "drop"])
        self._save()

    # ------------------------------------------------------------ recipient MX
    def add_recipient_mx(self, reject_failures=False):
        """Start the recipient MX (see the module contract and README)."""
        if self.rmx is not None:
            raise WorldError("the recipient MX is already there")
        for prog in ("/usr/sbin/opendkim", "/usr/sbin/opendmarc"):
            if not os.access(prog, os.X_OK):
                raise WorldError("no %s (run `make deps`)" % prog)
        have = self.run(["ip", "-o", "addr", "show", "dev", "lo"]).stdout
        for a in [RMX_ADDR] + [e["addr"] for e in EGRESS.values()]:
            if " %s/" % a not in have:
                self.run(["ip", "addr", "add", a + "/32", "dev", "lo"])
        etc = self.root("/etc/mail/rmx")
        os.makedirs(etc, exist_ok=True)
        src = os.path.join(ETC, "rmx")
        for f in os.listdir(src):
            shutil.copy(os.path.join(src, f), os.path.join(etc, f))
        out = subprocess.run(["m4", os.path.join(etc, "sendmail.mc")], cwd=etc,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if out.returncode != 0 or out.stderr.strip():
            raise WorldError("m4 rmx sendmail.mc: %s" % out.stderr.decode(errors="replace"))
        with open(os.path.join(etc, "sendmail.cf"), "wb") as f:
            f.write(out.stdout)
        for d, owner, mode in (("mqueue", None, 0o700), ("store", None, 0o1777),
                               ("opendkim", "opendkim", 0o750),
                               ("opendmarc", "opendmarc", 0o750)):
            p = self.root("/run/rmx/" + d)
            os.makedirs(p, exist_ok=True)
            os.chmod(p, mode)
            uid = self._host_user(owner)
            if uid:
                os.chown(p, uid[0], uid[1])
        self.rmx = {"reject_failures": bool(reject_failures)}
        self._render_rmx_milters()
        for name, sel in PROVIDER_KEYS:
            self.dkim_key(name, sel)
        with open(os.path.join(ETC, "dnsmasq-providers.conf")) as f:
            providers = f.read()
        self.add_dns(providers + "\n" + "".join(self._pending_dns))
        self._pending_dns = []
        self.run(["sh", "-ec", "cd /etc/mail/rmx; makemap hash access < access"])
        self._save()
        for name in ("rmx-opendkim", "rmx-opendmarc"):
            self.start(name, wait=False)
        for name in ("rmx-opendkim", "rmx-opendmarc"):
            self._wait_ready(name)
        self.start("rmx")
        return self

    def _host_user(self, name):
        """(uid, gid) of NAME in the world's passwd, or None."""
        if not name:
            return None
        with open(self.root("/etc/passwd")) as f:
            for l in f:
                p = l.split(":")
                if p[0] == name and len(p) >= 7:
                    return int(p[2]), int(p[3])
        return None

    def _render_rmx_milters(self):
        etc = self.root("/etc/mail/rmx")
        for name, user in (("opendkim.conf", "opendkim"), ("opendmarc.conf", "opendmarc")):
            with open(os.path.join(ETC, "rmx", name)) as f:
                text = f.read()
            text = text.replace("@REJECT@", "true" if self.rmx["reject_failures"] else "false")
            # the packages' own system users, when they exist (else root)
            text = text.replace("@USERID@", ("UserID\t\t\t%s\n" % user)
                                if self._host_user(user) else "")
            with open(os.path.join(etc, name), "w") as f:
                f.write(text)

    def set_recipient_mx(self, reject_failures):
        """opendmarc's RejectFailures on (a failing message with p=reject is
        refused with 550 5.7.1 at the end of DATA) or off; restarts it."""
        if self.rmx is None:
            raise WorldError("no recipient MX (add_recipient_mx first)")
        self.rmx["reject_failures"] = bool(reject_failures)
        self._render_rmx_milters()
        self._save()
        self.wait_rmx_idle()
        self.restart("rmx-opendmarc")

    def wait_rmx_idle(self, timeout=30):
        return wait_for(lambda: not self.rmx_workers(), timeout,
                        "the recipient MX's workers to finish")

    def rmx_received(self):
        """Every message the recipient MX delivered: {"file", "from", "to",
        "headers" [[name, value]], "message_id", "auth_results" [values],
        "dmarc" {...} (parse_dmarc of opendmarc's field) or None}."""
        d = self.root(RMX_STORE)
        out = []
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".eml"))
        except FileNotFoundError:
            return out
        from email.parser import BytesHeaderParser
        from email import policy as email_policy
        for n in names:
            base = os.path.join(d, n[:-4])
            with open(base + ".eml", "rb") as f:
                raw = f.read()
            env = {}
            try:
                with open(base + ".env") as f:
                    for l in f:
                        k, _, v = l.rstrip("\n").partition(" ")
                        env[k] = v
            except FileNotFoundError:
                pass
            msg = BytesHeaderParser(policy=email_policy.compat32).parsebytes(raw)
            headers = [[k, " ".join(str(v).split())] for k, v in msg.items()]
            ar = [v for k, v in headers if k.lower() == "authentication-results"]
            out.append({"file": base + ".eml", "from": env.get("from"), "to": env.get("to"),
                        "headers": headers, "message_id": msg.get("Message-ID", "").strip(),
                        "auth_results": ar, "dmarc": parse_dmarc(ar)})
        return out

    def wait_rmx(self, msgid, count=1, timeout=30):
        return wait_for(lambda: (lambda r: r if len(r) >= count else None)(
            [m for m in self.rmx_received() if m["message_id"] == msgid]), timeout,
            "%d message(s) %s at the recipient MX" % (count, msgid))

    # ------------------------------------------------------------ providers
    def set_provider(self, name, settings):
        """Stand-in NAME forwards what it accepts as SETTINGS["provider"]
        would (provider.py); forward target, egress, keys and mailboxes are
        filled in unless SETTINGS has them. None: stop forwarding."""
        d = self.path("smarthost", name)
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "provider.json")
        if settings is None:
            if os.path.exists(path):
                os.unlink(path)
            return None
        if self.rmx is None:
            raise WorldError("no recipient MX to forward to (add_recipient_mx first)")
        s = dict(settings)
        eg = EGRESS[PROVIDER_EGRESS.get(s.get("provider", "passthrough"), "local")]
        fwd = {"to": "%s:25" % RMX_ADDR, "egress": eg["addr"], "helo": eg["helo"],
               "mx_name": RMX_NAME}
        fwd.update(s.get("forward") or {})
        s["forward"] = fwd
        s.setdefault("received_by", eg["received_by"])
        s.setdefault("keys", self.path("dkim"))
        s.setdefault("mailboxes", self.path("mailboxes"))
        with open(path + ".tmp", "w") as f:
            json.dump(s, f, indent=1, sort_keys=True)
        os.rename(path + ".tmp", path)
        return s

    def forwarded(self, name):
        d = self.path("smarthost", name, "forwarded")
        out = []
        try:
            names = sorted(n for n in os.listdir(d) if n.endswith(".json"))
        except FileNotFoundError:
            return out
        for n in names:
            with open(os.path.join(d, n)) as f:
                rec = json.load(f)
            rec["file"] = os.path.join(d, n[:-5] + ".eml")
            out.append(rec)
        return out

    def wait_forwarded(self, name, msgid, timeout=30):
        return wait_for(lambda: [r for r in self.forwarded(name)
                                 if r.get("message_id") == msgid] or None, timeout,
                        "stand-in %s to forward %s" % (name, msgid))

    def dsns(self, address):
        """The messages in ADDRESS's Maildir (new/), oldest first, as bytes."""
        sys.path.insert(0, HERE)
        import dsn
        d = os.path.join(dsn.mailbox_dir(self.path("mailboxes"), address), "Maildir", "new")
        try:
            names = sorted(os.listdir(d))
        except FileNotFoundError:
            return []
        out = []
        for n in names:
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def dkim_key(self, domain, selector, publish=True):
        """A test DKIM key for DOMAIN/SELECTOR in DIR/dkim (made once; the
        stand-ins sign with it). Returns the dnsmasq txt-record line that
        publishes its public key ("" when not PUBLISH); add_dns() it."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        import base64
        d = self.path("dkim")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "%s._domainkey.%s.pem" % (selector, domain))
        if os.path.exists(path):
            with open(path, "rb") as f:
                key = serialization.load_pem_private_key(f.read(), None)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            with open(path + ".tmp", "wb") as f:
                f.write(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
            os.rename(path + ".tmp", path)
        if not publish:
            return ""
        pub = base64.b64encode(key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
        rec = "v=DKIM1; k=rsa; p=" + pub
        parts = [rec[i:i + 250] for i in range(0, len(rec), 250)]   # <= 255 a string
        line = "txt-record=%s._domainkey.%s,%s\n" % (
            selector, domain, ",".join('"%s"' % p for p in parts))
        self._pending_dns.append(line)
        return line

    def add_dns(self, text):
        """Append dnsmasq lines to the world's DNS and restart it."""
        with open(self.path("dnsmasq.conf"), "a") as f:
            f.write("\n" + text + "\n")
        if self.running("dns"):
            self.restart("dns")

    def set_account(self, name, account, password=None):
        """Stand-in NAME's authinfo entry becomes ACCOUNT (and PASSWORD);
        authinfo.db is rebuilt. The stand-in must accept it (--user)."""
        sh = self.smarthosts[name]
        sh["account"] = account
        if password is not None:
            sh["password"] = password
        self._write_authinfo()
        self.run(["sh", "-ec", "cd /etc/mail; makemap hash authinfo < authinfo; "
                  "chown smmta:smmsp authinfo.db; chmod 0640 authinfo.db"])
        self._save()

    # ------------------------------------------------------------ DNS
    def dns(self, name, qtype="A", server="127.0.0.1", timeout=3.0):
        """One DNS query inside the world (dnsq.py): {"rcode", "answers", "seconds"}."""
        out = self.run([PYTHON, os.path.join(HERE, "dnsq.py"), name, qtype, server,
                        str(timeout)], check=False, timeout=timeout + 10)
        try:
            return json.loads(out.stdout)
        except ValueError:
            raise WorldError("dnsq.py %s %s failed: %s" % (name, qtype, out.stderr))

    # ------------------------------------------------------------ maillog
    def maillog(self):
        with open(self.maillog_path, errors="replace") as f:
            return f.read().splitlines()

    def log_mark(self):
        return os.path.getsize(self.maillog_path)

    def log_since(self, mark):
        with open(self.maillog_path, "rb") as f:
            f.seek(mark)
            return f.read().decode(errors="replace").splitlines()

    def lines_for(self, qid, since=0):
        key = " %s: " % qid
        return [l for l in self.log_since(since) if key in l]

    def wait_log(self, regex, since=0, timeout=20):
        rx = re.compile(regex)

        def find():
            for l in self.log_since(since):
                if rx.search(l):
                    return l
            return None
        return wait_for(find, timeout, "a maillog line matching /%s/" % regex)

    def qids_for_msgid(self, msgid, since=0):
        """{"mta": qid, "msp": qid} from the from= lines carrying MSGID."""
        out = {}
        for l in self.log_since(since):
            m = re.search(r" (sm-mta|sendmail|sm-msp-queue)\[\d+\]: (\w+): from=.*"
                          r"msgid=(<[^>]*>)", l)
            if m and m.group(3) == msgid:
                out["mta" if "daemon=" in l else "msp"] = m.group(2)
        return out

    def wait_mta_qid(self, msgid, since=0, timeout=20):
        return wait_for(lambda: self.qids_for_msgid(msgid, since).get("mta"), timeout,
                        "the MTA queue id of %s" % msgid)

    def wait_delivery(self, qid, rcpt=None, since=0, timeout=20, stat=None):
        """The `to=` line of QID (for RCPT) with a stat= matching STAT (regex)."""
        if rcpt:
            who = r"(?:<%s>|%s)[,>]" % (re.escape(rcpt), re.escape(rcpt))
            who = r"(?:[^ ]*,)?%s" % who    # sendmail lists several as to=a,b,
        else:
            who = ""
        rx = re.compile(r" %s: to=%s.*stat=%s" % (re.escape(qid), who, stat or ""))
        return self.wait_log(rx.pattern, since=since, timeout=timeout)

    def decision_line(self, qid, since=0):
        for l in self.lines_for(qid, since):
            if re.search(r" relaymilter\[\d+\]: %s: action=" % re.escape(qid), l):
                return l
        return None

    def wait_decision(self, qid, since=0, timeout=10):
        """relaymilter's decision line for QID, waiting for the syslog catcher."""
        return wait_for(lambda: self.decision_line(qid, since), timeout,
                        "the relaymilter decision line of %s" % qid)

    def mailbox(self, user):
        try:
            with open(self.root("/var/mail/" + user), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


# ---------------------------------------------------------------- CLI
def _cli(argv):
    ap = argparse.ArgumentParser(prog="world.py", description=(
        "Bring the relaymilter end-to-end world up and down, and poke at it. "
        "`up` prints the world directory; the other commands take it."))
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("up", help="build and start a world, print its directory")
    u.add_argument("--dir")
    u.add_argument("--no-milter", action="store_true")
    u.add_argument("--profile", default="gmail", choices=sorted(SMARTHOSTS))
    u.add_argument("--loglevel", type=int, default=9)
    for c in ("down", "status"):
        p = sub.add_parser(c)
        p.add_argument("dir")
        if c == "down":
            p.add_argument("--keep", action="store_true")
    e = sub.add_parser("exec", help="run a command inside the world")
    e.add_argument("dir")
    e.add_argument("argv", nargs=argparse.REMAINDER)
    for c in ("stop", "start", "restart"):
        p = sub.add_parser(c, help="%s one component" % c)
        p.add_argument("dir")
        p.add_argument("component")
    p = sub.add_parser("profile", help="relay through another smarthost")
    p.add_argument("dir")
    p.add_argument("name", choices=sorted(SMARTHOSTS))
    p = sub.add_parser("mode", help="set STAGE=REPLY failure modes (none to clear)")
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("stages", nargs="*")
    p = sub.add_parser("blackhole", help="drop packets to ADDR:PORT (tcp, or udp)")
    p.add_argument("dir")
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("proto", nargs="?", default="tcp", choices=("tcp", "udp"))
    p = sub.add_parser("runq")
    p.add_argument("dir")
    p.add_argument("kind", nargs="?", default="mta", choices=("mta", "msp"))
    p = sub.add_parser("received")
    p.add_argument("dir")
    p.add_argument("name")
    a = ap.parse_args(argv)

    if a.cmd == "up":
        w = World(dir=a.dir, milter=not a.no_milter, profile=a.profile, keep=True,
                  loglevel=a.loglevel)
        try:
            w.up()
        except BaseException:
            w.keep = False
            w.down()
            raise
        atexit.unregister(w.down)
        w._popen.clear()
        w._down = True   # this process exits; the world stays up
        print(w.dir)
        return 0
    w = World.attach(a.dir)
    if a.cmd == "down":
        w.keep = a.keep
        r = w.down()
        print(json.dumps(r, indent=1))
        return 1 if r["left"] or r["stragglers"] else 0
    if a.cmd == "status":
        for n in w.procs:
            print("%-22s pid %-7d %s" % (n, w.pid(n), "running" if w.running(n) else "GONE"))
        print("relay: [%s]:%d  dir: %s" % (w.smart[0], w.smart[1], w.dir))
        return 0
    atexit.unregister(w.down)
    w._down = True
    if a.cmd == "exec":
        argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
        return subprocess.call(w._nsenter(argv or ["sh"]))
    if a.cmd in ("stop", "start", "restart"):
        getattr(w, a.cmd)(a.component)
        return 0
    if a.cmd == "profile":
        w.set_smarthost(a.name)
        return 0
    if a.cmd == "mode":
        if not a.stages or a.stages == ["none"]:
            w.clear_mode(a.name)
        else:
            w.set_mode(a.name, **dict(s.split("=", 1) for s in a.stages))
        return 0
    if a.cmd == "blackhole":
        w.blackhole(a.addr, a.port, a.proto)
        return 0
    if a.cmd == "runq":
        out = w.run_queue(a.kind)
        sys.stdout.write(out.stdout + out.stderr)
        return out.returncode
    if a.cmd == "received":
        print(json.dumps(w.received(a.name), indent=1))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
