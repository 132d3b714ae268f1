"""setups.py - users' set-ups for relaymilter-doctor config, in namespaces

CONTRACT
  A set-up is a directory holding setup.json in the format of tests/seeds
  (seedlib.py): "files" [{src, dst, mode, owner} or {symlink, dst}] with
  src relative to the directory of the json naming it, "dirs" [{path, mode,
  owner}], "commands" [shell lines run as root in /etc/mail, as the user
  typed them], "hostname", "dns" (dnsmasq lines: host-record=NAME,ADDR
  becomes a line of /etc/hosts), "base" (a json read first, its files,
  dirs, commands and dns before this one's). The doctor suite adds
  "expect" [finding ids, each as many times as expected], "fix", "why",
  "what" {id: text the finding's field must hold}, "where" {id:
  "FILE:LINE"}, "absent" [ids that must not be there], "args" [more
  arguments of `relaymilter-doctor config`], "pre" (a shell line started
  in the background before the doctor, e.g. a stand-in SMTP server,
  standin.py; it must create $WORK/pre.ready), "account"/"password" (what
  an authinfo fix's <account>/<password> stand for).

  Work(setup_dir) prepares a fresh /tmp/rm-doctor.* directory: over/etc,
  over/var and over/usr hold what the set-up writes under /etc, /var and
  /usr (files, symlinks, directories: the upper directories of the
  overlays ns-setup.sh mounts, /etc/mail the set-up's alone with Debian's
  submit.cf unless it brings one; any other destination is skipped and
  listed in .skipped), bin/ a systemctl that only records its arguments.
  "installed_mc" (the distribution's .mc, seedlib's format) is rendered to
  /etc/mail/sendmail.cf before the set-up's commands, as the package did,
  and dated an hour back, as the world does.
  The seeds' worlds put every relay on a loopback address (127.0.0.2 for
  smtp.gmail.com); to the doctor a loopback address is this host, so a
  host-record on 127.0.0.0/8 becomes 198.51.100.N (TEST-NET-2, same last
  byte: a host elsewhere) unless it is a relay the set-up runs on this
  host ("smarthosts" of profile local-relay, Apache James) or an address
  its MTA listens on. Without a "pre" of its own, a set-up's local relays
  and its running MTA ("mta": {"run", "listen"}) are played by
  standin.py: a local relay greets with its "name" and offers AUTH LOGIN
  PLAIN without STARTTLS (the world's local-relay profile); the MTA greets
  as sendmail does ("ESMTP Sendmail ..."), so that the doctor reads who
  answers there. The set-up's commands run at the first
  doctor(). host(path) maps a path of the set-up's box to WORK/over.
  doctor(commands) runs those commands, then `relaymilter-doctor --json
  config` with the real default paths, inside ns-setup.sh's namespaces (a
  private mount, network, uts and pid namespace: the host's /etc/mail is
  never touched), and returns (exit status, parsed JSON or None, stderr).
  copy() is a new Work with the same files (to apply one fix to).
  cleanup() removes the directory. Nothing here writes outside it.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTS = ("/etc", "/var", "/usr")


def host_ns():
    return [os.readlink("/proc/self/ns/%s" % k) for k in ("mnt", "net", "uts")]


def load(setup_dir):
    """setup.json with its bases merged in, src paths made absolute."""
    def one(path):
        with open(path) as f:
            st = json.load(f)
        base_dir = os.path.dirname(os.path.abspath(path))
        for f in st.get("files", []):
            if "src" in f:
                f["src"] = os.path.normpath(os.path.join(base_dir, f["src"]))
        if st.get("installed_mc"):
            st["installed_mc"] = os.path.normpath(os.path.join(
                base_dir, st["installed_mc"]))
        merged = {"files": [], "dirs": [], "commands": [], "dns": []}
        if "base" in st:
            b = one(os.path.join(base_dir, st["base"]))
            for k in ("files", "dirs", "commands", "dns"):
                merged[k] += b.get(k, [])
            for k, v in b.items():
                if k not in merged:
                    merged[k] = v
        for k, v in st.items():
            if k in ("files", "dirs", "commands", "dns"):
                merged[k] += v
            elif k != "base":
                merged[k] = v
        return merged
    return one(os.path.join(setup_dir, "setup.json"))


def _under_roots(path):
    return any(path.startswith(r + "/") for r in ROOTS)


class Work:
    def __init__(self, setup_dir=None, _from=None):
        self.dir = tempfile.mkdtemp(prefix="rm-doctor.")
        os.chmod(self.dir, 0o755)
        if _from is not None:
            shutil.rmtree(self.dir)
            shutil.copytree(_from.dir, self.dir, symlinks=True)
            self.setup = _from.setup
            self.hostname = _from.hostname
            self.dns_lines = _from.dns_lines
            self.pending = []
            return
        self.setup = load(setup_dir)
        self.hostname = self.setup.get("hostname", "box.example.test")
        for r in ROOTS:
            os.makedirs(os.path.join(self.dir, "over") + r, exist_ok=True)
        os.makedirs(os.path.join(self.dir, "bin"))
        sysctl = os.path.join(self.dir, "bin", "systemctl")
        with open(sysctl, "w") as f:
            f.write('#!/bin/sh\necho "systemctl $*" >>"$WORK/systemctl.log"\n')
        os.chmod(sysctl, 0o755)
        skipped = []
        for d in self.setup.get("dirs", []):
            if not _under_roots(d["path"]):
                skipped.append(d["path"])
                continue
            os.makedirs(self.host(d["path"]), exist_ok=True)
            os.chmod(self.host(d["path"]), int(d.get("mode", "0755"), 8))
        hosts = []
        self.dns_lines = hosts
        for f in self.setup.get("files", []):
            if not _under_roots(f["dst"]):
                skipped.append(f["dst"])
                continue
            dst = self.host(f["dst"])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if "symlink" in f:
                if os.path.lexists(dst):
                    os.unlink(dst)
                os.symlink(f["symlink"], dst)
                continue
            shutil.copyfile(f["src"], dst)
            os.chmod(dst, int(f.get("mode", "0644"), 8))
            owner = f.get("owner", "root:root")
            shutil.chown(dst, *owner.split(":"))
        local = set()
        for sh in (self.setup.get("smarthosts") or {}).values():
            if sh.get("profile") == "local-relay":
                local.add(sh["addr"])
        mta = self.setup.get("mta") or {}
        for a, _ in mta.get("listen", []):
            local.add(a)
        for line in self.setup.get("dns", []):
            m = re.match(r"host-record=([^,]+),(.+)$", line)
            if m:
                for addr in m.group(2).split(","):
                    if addr.startswith("127.") and addr not in local:
                        addr = "198.51.100." + addr.rsplit(".", 1)[1]
                    hosts.append("%s\t%s" % (addr, m.group(1)))
        # /etc/mail is the set-up's alone (ns-setup.sh); the MSP's
        # submit.cf of Debian's package unless the set-up brings one
        sub = os.path.join(self.dir, "over", "etc", "mail", "submit.cf")
        if not os.path.exists(sub):
            os.makedirs(os.path.dirname(sub), exist_ok=True)
            shutil.copyfile(os.path.join(HERE, "setups", "common",
                                         "debian-submit.cf"), sub)
        hp = os.path.join(self.dir, "over", "etc", "hosts")
        text = open(hp).read() if os.path.exists(hp) else \
            "127.0.0.1\tlocalhost\n"
        if self.setup.get("installed_mc"):
            os.makedirs(self.host("/var/tmp"), exist_ok=True)
            shutil.copyfile(self.setup["installed_mc"],
                            self.host("/var/tmp/sendmail.mc.installed"))
            # an hour old, as the world makes it: make rebuilds it from
            # a newer .mc (CentOS's Makefile goes by the files' times)
            self.setup["commands"] = ["m4 /var/tmp/sendmail.mc.installed > "
                                      "/etc/mail/sendmail.cf; touch -d '1 hour "
                                      "ago' /etc/mail/sendmail.cf"] + \
                self.setup.get("commands", [])
        if hosts:
            text = text.rstrip("\n") + "\n" + "\n".join(hosts) + "\n"
        with open(hp, "w") as f:
            f.write(text)
        with open(os.path.join(self.dir, ".skipped"), "w") as f:
            f.write("\n".join(skipped))
        self.pending = list(self.setup.get("commands", []))
        pre = self.setup.get("pre") or self._standins()
        if pre:
            with open(os.path.join(self.dir, "pre"), "w") as f:
                f.write(pre + "\n")

    def _standins(self):
        """The shell lines that start the set-up's local relays and its
        running MTA as stand-ins, then create $WORK/pre.ready."""
        py = os.path.join(HERE, "standin.py")
        lines, n, taken = [], 0, set()
        for sh in (self.setup.get("smarthosts") or {}).values():
            if sh.get("profile") != "local-relay":
                continue
            n += 1
            taken.add((sh["addr"], int(sh["port"])))
            lines.append("python3 %s --listen %s:%d --name %s --keywords "
                         "'SIZE 33554432;8BITMIME;AUTH LOGIN PLAIN' "
                         "--ready \"$WORK/pre.ready.%d\" &"
                         % (py, sh["addr"], int(sh["port"]),
                            sh.get("name", "relay.test"), n))
        mta = self.setup.get("mta") or {}
        if mta.get("run", True):
            for a, port in mta.get("listen", []):
                if (a, int(port)) in taken:
                    continue
                n += 1
                lines.append("python3 %s --listen %s:%d --greeting '220 %s "
                             "ESMTP Sendmail 8.17.1.9/8.17.1.9/"
                             "Debian-2+deb12u2; (the MTA stand-in)' --ready "
                             "\"$WORK/pre.ready.%d\" &"
                             % (py, a, int(port), self.hostname, n))
        if not lines:
            return None
        lines.append("i=0; while [ $i -lt 100 ]; do n=0; for k in %s; do "
                     "[ -e \"$WORK/pre.ready.$k\" ] && n=$((n+1)); done; "
                     "[ $n -eq %d ] && break; sleep 0.1; i=$((i+1)); done"
                     % (" ".join(str(k) for k in range(1, n + 1)), n))
        lines.append("touch \"$WORK/pre.ready\"")
        lines.append("wait")
        return "\n".join(lines)

    def host(self, path):
        """Where a path of the set-up's box is kept here (the overlay's
        upper directory; a file only in the host's lower one is copied up
        first, as the overlay would on a write)."""
        up = os.path.join(self.dir, "over") + path
        if _under_roots(path) and not os.path.lexists(up) and \
                not path.startswith("/etc/mail/") and os.path.isfile(path):
            os.makedirs(os.path.dirname(up), exist_ok=True)
            shutil.copy2(path, up)
        return up

    def copy(self):
        w = Work(_from=self)
        w.pending = list(self.pending)
        return w

    def run(self, argv, commands=()):
        todo = self.pending + list(commands)
        self.pending = []
        with open(os.path.join(self.dir, "commands"), "w") as f:
            for c in todo:
                f.write(c.replace("\n", " ") + "\n")
        cmd = ["unshare", "-mnup", "--fork", "--propagation", "private",
               os.path.join(HERE, "ns-setup.sh")] + host_ns() + \
            [self.dir, self.hostname, "--"] + argv
        return subprocess.run(cmd, capture_output=True, text=True, timeout=180)

    def doctor(self, doctor, commands=(), args=()):
        r = self.run([doctor, "--json", "config", "--timeout", "8"] +
                     list(self.setup.get("args", [])) + list(args), commands)
        try:
            out = json.loads(r.stdout)
        except ValueError:
            out = None
        return r.returncode, out, r.stderr

    def log(self):
        p = os.path.join(self.dir, "commands.log")
        return open(p).read() if os.path.exists(p) else ""

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
