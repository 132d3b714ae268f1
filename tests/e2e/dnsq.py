#!/usr/bin/python3
"""dnsq.py - a minimal DNS client for the end-to-end world (runs inside it).

CONTRACT: `dnsq.py NAME TYPE [SERVER] [TIMEOUT]` sends one UDP query (TYPE is
A, MX, TXT or PTR; for PTR give the address) to SERVER (default 127.0.0.1,
the world's dnsmasq) and prints one JSON object:
  {"rcode": "NOERROR"|"NXDOMAIN"|..., "answers": [...], "seconds": float}
answers are dotted addresses (A), "PREF HOST" (MX), the joined strings
(TXT) or host names (PTR). A timeout prints {"rcode": "TIMEOUT", ...} and
exits 2; no server listening prints {"rcode": "UNREACHABLE", ...} and exits
0; a malformed reply exits 3. No other resolver is involved, so the
fault tests can tell "DNS down" from "DNS slow" by the seconds.
"""
import json
import random
import socket
import struct
import sys
import time

TYPES = {"A": 1, "PTR": 12, "MX": 15, "TXT": 16}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP",
          5: "REFUSED"}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode(errors="replace"))
        off += n
    return ".".join(labels), (end if jumped else off)


def query(name, qtype, server="127.0.0.1", timeout=3.0):
    if qtype == "PTR" and not name.endswith(".arpa"):
        name = ".".join(reversed(name.split("."))) + ".in-addr.arpa"
    qid = random.randrange(65536)
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack(">HH", TYPES[qtype], 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    t = time.monotonic()
    try:
        # connected, so that an ICMP port unreachable is reported (refused)
        s.connect((server, 53))
        s.send(pkt)
        while True:
            msg = s.recv(4096)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                break
    except socket.timeout:
        return {"rcode": "TIMEOUT", "answers": [], "seconds": round(time.monotonic() - t, 3)}
    except ConnectionRefusedError:
        # ICMP port unreachable: nothing listens (the DNS server is stopped)
        return {"rcode": "UNREACHABLE", "answers": [],
                "seconds": round(time.monotonic() - t, 3)}
    seconds = round(time.monotonic() - t, 3)
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        _, off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1 and rdlen == 4:
            answers.append(socket.inet_ntoa(rdata))
        elif rtype == 15:
            pref = struct.unpack(">H", rdata[:2])[0]
            answers.append("%d %s" % (pref, read_name(msg, off + 2)[0]))
        elif rtype == 16:
            parts, i = [], 0
            while i < rdlen:
                n = rdata[i]
                parts.append(rdata[i + 1:i + 1 + n].decode(errors="replace"))
                i += 1 + n
            answers.append("".join(parts))
        elif rtype == 12:
            answers.append(read_name(msg, off)[0])
        off += rdlen
    return {"rcode": RCODES.get(flags & 0xF, str(flags & 0xF)), "answers": answers,
            "seconds": seconds}


def main(argv):
    if len(argv) < 3 or argv[2].upper() not in TYPES:
        sys.stderr.write("usage: dnsq.py NAME A|MX|TXT|PTR [SERVER] [TIMEOUT]\n")
        return 1
    try:
        r = query(argv[1], argv[2].upper(), argv[3] if len(argv) > 3 else "127.0.0.1",
                  float(argv[4]) if len(argv) > 4 else 3.0)
    except (IndexError, struct.error) as e:
        sys.stderr.write("dnsq: malformed reply: %s\n" % e)
        return 3
    print(json.dumps(r))
    return 2 if r["rcode"] == "TIMEOUT" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
