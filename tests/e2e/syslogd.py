#!/usr/bin/python3
"""syslogd.py - the end-to-end world's syslog catcher.

CONTRACT: `syslogd.py SOCKET MAILLOG ALLLOG [READYFILE]` binds an AF_UNIX
datagram socket at SOCKET (the world's private /dev/log, mode 0666) and
writes every datagram it receives as one classic syslog line
    "Mon DD HH:MM:SS host prog[pid]: message"
(the sender's RFC 3164 timestamp kept, the short host name inserted, "mta"
for the world's mta.test, as rsyslog writes /var/log/mail.log) to ALLLOG, and the lines of facility mail
(2) also to MAILLOG. A line without an RFC 3164 timestamp gets the time of
arrival. Control characters other than tab are written as #ooo octal
escapes, as rsyslog does, so one datagram is always one line. Lines are
flushed as they arrive (tests read the files while the world runs). When
READYFILE is given it is created once the socket is bound. SIGTERM and
SIGINT end it cleanly; it removes SOCKET on exit.
"""
import os
import re
import signal
import socket
import sys
import time

HOSTNAME = socket.gethostname().split(".")[0] or "mta"
MAIL_FACILITY = 2
RFC3164_TS = re.compile(rb"^([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d) ")


def escape(b):
    out = bytearray()
    for c in b:
        if c < 0x20 and c != 0x09 or c == 0x7F:
            out += b"#%03o" % c
        else:
            out.append(c)
    return bytes(out)


def format_line(data):
    """Return (facility, line bytes ending in newline) for one datagram."""
    data = data.rstrip(b"\n\x00")
    facility = 1  # user, RFC 3164's default
    m = re.match(rb"^<(\d{1,3})>", data)
    if m:
        facility = int(m.group(1)) >> 3
        data = data[m.end():]
    m = RFC3164_TS.match(data)
    if m:
        ts, rest = m.group(1), data[m.end():]
    else:
        ts, rest = time.strftime("%b %e %H:%M:%S").encode(), data
    return facility, ts + b" " + HOSTNAME.encode() + b" " + escape(rest) + b"\n"


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write("usage: syslogd.py SOCKET MAILLOG ALLLOG [READYFILE]\n")
        return 2
    path, maillog, alllog = argv[1:4]
    ready = argv[4] if len(argv) == 5 else None
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind(path)
    os.chmod(path, 0o666)
    sock.settimeout(0.2)
    with open(maillog, "ab", buffering=0) as mail, \
            open(alllog, "ab", buffering=0) as every:
        if ready:
            with open(ready, "w") as f:
                f.write("%d\n" % os.getpid())
        while not stop:
            try:
                data = sock.recv(65536)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            facility, line = format_line(data)
            every.write(line)
            if facility == MAIL_FACILITY:
                mail.write(line)
        # what arrived before the signal is still written
        sock.setblocking(False)
        while True:
            try:
                data = sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            facility, line = format_line(data)
            every.write(line)
            if facility == MAIL_FACILITY:
                mail.write(line)
    sock.close()
    try:
        os.unlink(path)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
