"""fixes.py - apply a fix relaymilter-doctor prints, as its reader would

CONTRACT
  apply(fix, mc_path, host, known) applies the text of one finding's fix
  and returns the shell lines to run (as root, in the set-up's namespace,
  before the doctor runs again); file edits are made at once, through
  host(path) (the file of the set-up's box where the test keeps it).
  mc_path is the .mc the doctor read (its JSON "mc"). known holds what a
  placeholder stands for: "account" (<account>, <account address>) and
  "password" (<password>). The fix is read line by line, and every line
  must be one of the forms the doctor prints, else NotApplicable names
  it (a fix in prose is not applied, and the property test says so):
    move these lines of FILE above its line N (...):   then "  L: text"
    replace line N of FILE by:                        then "  text"
    carry the edits into FILE (above its line N), ...: then .mc lines
    remove line N of FILE...; remove LOCAL_DOMAIN(`d')dnl
    an .mc line (define(, undefine(, FEATURE(, INPUT_MAIL_FILTER(,
      MODIFY_MAILER_FLAGS(, LOCAL_DOMAIN(, ...), with "   (comment)"
      after it allowed: the last define or call of the same name and
      first argument is replaced (the line the finding points at), else
      the line is put just above MAILER_DEFINITIONS or the first MAILER()
    a command (makemap, chmod, chown, chgrp, mkdir, touch, make, m4, sed,
      install, newaliases, systemctl: the test's stand-in records it),
      alone or after "...: ", with "   (comment)" after it allowed
    ADDR NAMES   (in /etc/hosts ...)          the hosts line for ADDR
    AuthInfo:... "X:..."   (a line in FILE)     an authinfo entry
    create FILE with a line AuthInfo:..., then: COMMAND
    Option value   (in FILE)                   a relaymilter.conf line
    lines in parentheses, "then restart sendmail", a line of prose ending
      with ':' that introduces the lines after it
  A fix that installs packages (apt-get) is NotApplicable: the test does
  not change the machine.
"""
import re


class NotApplicable(Exception):
    pass


M4_CALL = re.compile(r"^(define|undefine|FEATURE|INPUT_MAIL_FILTER|MAIL_FILTER|"
                     r"MODIFY_MAILER_FLAGS|LOCAL_DOMAIN|MASQUERADE_AS|"
                     r"EXPOSED_USER|DAEMON_OPTIONS|GENERICS_DOMAIN|"
                     r"TRUST_AUTH_MECH|LOCAL_CONFIG)\b")
COMMANDS = ("makemap", "chmod", "chown", "chgrp", "mkdir", "touch", "make",
            "m4", "sed", "install", "newaliases", "rm", "systemctl")
COMMENT = re.compile(r"\s{3,}\(.*\)$")


def _read(path):
    with open(path) as f:
        return f.read().split("\n")


def _write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines))


def _anchor(lines, host):
    """Index of MAILER_DEFINITIONS or the first MAILER( (or the include of
    a file holding it), where late lines and new lines go above."""
    for i, l in enumerate(lines):
        s = l.strip()
        if s.startswith("dnl") or s.startswith("#"):
            continue
        if s.startswith("MAILER_DEFINITIONS") or s.startswith("MAILER("):
            return i
        m = re.match(r"s?include\(`([^']+)'", s)
        if m:
            try:
                inc = open(host(m.group(1))).read()
            except OSError:
                continue
            if re.search(r"^\s*MAILER\(", inc, re.M):
                return i
    return len(lines)


def _key(line):
    m = re.match(r"(\w+)\(`?([^',)]*)", line.strip())
    return (m.group(1), m.group(2)) if m else (None, None)


def _apply_m4(mc_file, line, host):
    lines = _read(mc_file)
    anchor = _anchor(lines, host)
    name, arg = _key(line)
    if name in ("define", "undefine"):
        same = ("define", "undefine")
    elif name in ("FEATURE", "INPUT_MAIL_FILTER", "MAIL_FILTER",
                  "LOCAL_DOMAIN"):
        same = (name,)
    else:
        same = ()
    # the reader edits the line that is there (the last one: it wins), or
    # adds one above MAILER()
    for i in range(len(lines) - 1, -1, -1):
        n2, a2 = _key(lines[i])
        if n2 in same and a2 == arg:
            lines[i] = line
            _write(mc_file, lines)
            return
    lines.insert(anchor, line)
    _write(mc_file, lines)


def _placeholders(text, known):
    for k, v in (("<account address>", known.get("account")),
                 ("<account>", known.get("account")),
                 ("<password>", known.get("password"))):
        if k in text:
            if v is None:
                raise NotApplicable("placeholder %s" % k)
            text = text.replace(k, v)
    return text


def _authinfo_line(path, entry, known):
    entry = _placeholders(entry, known)
    key = entry.split()[0]
    try:
        lines = [l for l in _read(path) if l.strip()]
    except OSError:
        lines = []
    lines = [l for l in lines if l.split()[:1] != [key]] + [entry]
    _write(path, lines + [""])


def _hosts_line(path, addr, names):
    lines = [l for l in _read(path)]
    new = "%s\t%s" % (addr, names)
    for i, l in enumerate(lines):
        if l.split()[:1] == [addr]:
            lines[i] = new
            break
    else:
        lines.insert(0, new)
    _write(path, lines)


def _conf_line(path, name, value):
    try:
        lines = _read(path)
    except OSError:
        lines = []
    lines = [l for l in lines if l.split()[:1] != [name]]
    lines.insert(0, "%s %s" % (name, value))
    _write(path, lines)


def apply(fix, mc_path, host, known):
    cmds = []
    lines = fix.split("\n")
    i = 0

    def block(start):
        out = []
        j = start
        while j < len(lines) and lines[j].startswith("  "):
            out.append(lines[j][2:])
            j += 1
        return out, j

    while i < len(lines):
        l = lines[i].rstrip()
        s = COMMENT.sub("", l).strip()
        i += 1
        if not s or s.startswith("(") or s == "then restart sendmail":
            continue
        intro = s.endswith(":") and not re.match(
            r"(move these lines|replace line|carry the edits)", s)
        m = re.match(r"move these lines of (\S+) above its line (\d+) "
                     r"\(.*\):$", s)
        if m:
            f = host(m.group(1))
            above = int(m.group(2))
            moved, i = block(i)
            nums = [int(re.match(r"(\d+): ", x).group(1)) for x in moved]
            src = _read(f)
            keep = [x for n, x in enumerate(src, 1) if n not in nums]
            take = [src[n - 1] for n in sorted(set(nums))]
            pos = above - 1 - sum(1 for n in set(nums) if n < above)
            _write(f, keep[:pos] + take + keep[pos:])
            continue
        m = re.match(r"replace line (\d+) of (\S+) by:$", s)
        if m:
            f = host(m.group(2))
            new, i = block(i)
            src = _read(f)
            n = int(m.group(1))
            _write(f, src[:n - 1] + new + src[n:])
            continue
        m = re.match(r"carry the edits into (\S+) \(above its line (\d+)\), "
                     r"so that a rebuild keeps them:$", s)
        if m:
            f = host(m.group(1))
            new = []
            while i < len(lines) and not re.match(r"(then |and by hand)",
                                                  lines[i]):
                new.append(lines[i])
                i += 1
            src = _read(f)
            n = int(m.group(2))
            _write(f, src[:n - 1] + new + src[n - 1:])
            continue
        m = re.match(r"remove line (\d+) of ([^:\s]+)", s)
        if m:
            f = host(m.group(2))
            src = _read(f)
            del src[int(m.group(1)) - 1]
            _write(f, src)
            continue
        m = re.match(r"remove (LOCAL_DOMAIN\(`[^']*'\))", s)
        if m:
            f = host(mc_path)
            _write(f, [x for x in _read(f) if m.group(1) not in x])
            continue
        if M4_CALL.match(s):
            if mc_path is None:
                raise NotApplicable("an .mc line, but no .mc: %s" % s)
            _apply_m4(host(mc_path), s, host)
            continue
        m = re.match(r"create (\S+) with a line (AuthInfo:.*?), then: (.*)$", s)
        if m:
            _authinfo_line(host(m.group(1)), m.group(2), known)
            cmds.append(m.group(3))
            continue
        m = re.match(r'(AuthInfo:\S*(?: "[^"]*")+)\s{3,}\(a line in '
                     r'([^;,)\s]+)[;,)]', l)
        if m:
            _authinfo_line(host(m.group(2)), m.group(1), known)
            continue
        m = re.match(r"([0-9a-fA-F.:]+)\s+(\S.*?)\s{3,}\(in (/\S+?),? ", l)
        if m and m.group(3).endswith("hosts"):
            _hosts_line(host(m.group(3)), m.group(1), m.group(2))
            continue
        m = re.match(r"([A-Z][A-Za-z-]+)\s+(\S+)\s{3,}\(in (/\S+)\)$", l)
        if m:
            _conf_line(host(m.group(3)), m.group(1), m.group(2))
            continue
        m = re.match(r"(?:[^:]*: )?((%s)\b.*)$" % "|".join(COMMANDS), s)
        if m:
            cmds.append(m.group(1))
            continue
        if "apt-get" in s:
            raise NotApplicable("installs a package: %s" % s)
        if intro:
            continue        # prose that introduces the lines after it
        raise NotApplicable("not a form the test can apply: %s" % s)
    return cmds
