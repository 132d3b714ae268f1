#!/usr/bin/python3
"""slowdns.py - a DNS forwarder that answers late (runs inside the world).

CONTRACT: `slowdns.py LISTEN_ADDR:PORT UPSTREAM_ADDR:PORT DELAY [READYFILE]`
listens for DNS queries over UDP on LISTEN, forwards each one unchanged to
UPSTREAM (the world's dnsmasq) and sends the upstream's answer back to the
client DELAY seconds (a float) after the query arrived; "never" as DELAY
drops every query after reading it (a resolver that never answers). One
line per query goes to standard output: "QUERY <seconds since start>
<client>". READYFILE, when given, is created once the socket is bound.
Ends on SIGTERM/SIGINT. Used by the fault suite for "DNS answers after
more than DNSTimeout".
"""
import os
import signal
import socket
import sys
import threading
import time


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write("usage: slowdns.py LISTEN:PORT UPSTREAM:PORT DELAY [READYFILE]\n")
        return 2
    listen, upstream = hostport(argv[1]), hostport(argv[2])
    delay = None if argv[3] == "never" else float(argv[3])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind(listen)
    srv.settimeout(0.2)
    if len(argv) == 5:
        with open(argv[4], "w") as f:
            f.write("%d\n" % os.getpid())
    t0 = time.monotonic()
    lock = threading.Lock()

    def answer(query, client, arrived):
        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        up.settimeout(5)
        try:
            up.sendto(query, upstream)
            data = up.recv(65535)
        except OSError:
            return
        finally:
            up.close()
        wait = arrived + delay - time.monotonic()
        if wait > 0 and stop.wait(wait):
            return
        with lock:
            srv.sendto(data, client)

    while not stop.is_set():
        try:
            query, client = srv.recvfrom(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        arrived = time.monotonic()
        print("QUERY %.3f %s:%d" % (arrived - t0, client[0], client[1]), flush=True)
        if delay is not None:
            threading.Thread(target=answer, args=(query, client, arrived),
                             daemon=True).start()
    srv.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
