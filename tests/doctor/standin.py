#!/usr/bin/python3
"""standin.py - a scripted SMTP server for relaymilter-doctor's tests

CONTRACT
  standin.py --listen ADDR:PORT [--listen ...] [options], run inside the
  test's private network namespace (tests/doctor/ns-setup.sh or
  ns-run.sh); serves each connection in a thread until QUIT or the peer
  closes, and ends on SIGTERM or when its namespace goes. Options:
    --greeting TEXT   the 220 line (default "220 NAME ESMTP stand-in")
    --name NAME       the name in the greeting and in EHLO (default
                      standin.test; seed 004's James greets with this
                      host's own name)
    --silent          accept connections and never send a greeting
    --keywords KW     EHLO keywords before STARTTLS, separated by ';'
                      (default "PIPELINING;8BITMIME"; an AUTH keyword as
                      "AUTH LOGIN PLAIN")
    --tls-keywords KW EHLO keywords after STARTTLS
    --cert PEM --key PEM   offer STARTTLS with this certificate
    --auth-reply TEXT the final reply to AUTH (default 235 2.7.0 OK);
                      "334" challenges are sent for LOGIN as a server does
    --ready FILE      created once every listener is bound
    --log FILE        one JSON line per command received (AUTH data shown
                      as "<data>")
  Replies are those of the script, never of a real provider: each test
  says which provider's replies it stands for and where they come from.
"""
import argparse
import json
import os
import signal
import socket
import ssl
import sys
import threading


def serve(conn, a, tls_ctx, log):
    f = conn.makefile("rwb", buffering=0)
    tls = False

    def send(line):
        f.write((line + "\r\n").encode())

    def note(**kw):
        if log:
            with open(log, "a") as lf:
                lf.write(json.dumps(kw) + "\n")

    if a.silent:
        conn.recv(1)
        return
    send(a.greeting or "220 %s ESMTP stand-in" % a.name)
    while True:
        raw = f.readline()
        if not raw:
            return
        line = raw.decode("latin-1").rstrip("\r\n")
        verb = line.split(" ")[0].upper()
        note(cmd=line if verb != "AUTH" else "AUTH " +
             line.split(" ")[1] + " <data>", tls=tls)
        if verb in ("EHLO", "HELO"):
            kws = (a.tls_keywords if tls and a.tls_keywords is not None
                   else a.keywords).split(";")
            kws = [k for k in kws if k]
            if tls_ctx is not None and not tls:
                kws.append("STARTTLS")
            lines = [a.name] + kws
            for n, k in enumerate(lines):
                send("250%s%s" % (" " if n == len(lines) - 1 else "-", k))
        elif verb == "STARTTLS" and tls_ctx is not None and not tls:
            send("220 2.0.0 Ready to start TLS")
            s = tls_ctx.wrap_socket(conn, server_side=True)
            conn = s
            f = s.makefile("rwb", buffering=0)
            tls = True
        elif verb == "AUTH":
            parts = line.split(" ")
            if parts[1].upper() == "LOGIN" and len(parts) == 2:
                send("334 VXNlcm5hbWU6")
                f.readline()
                send("334 UGFzc3dvcmQ6")
                f.readline()
            elif parts[1].upper() == "PLAIN" and len(parts) == 2:
                send("334 ")
                f.readline()
            send(a.auth_reply)
        elif verb == "QUIT":
            send("221 2.0.0 Bye")
            return
        elif verb in ("RSET", "NOOP"):
            send("250 2.0.0 OK")
        else:
            send("502 5.5.2 Not implemented by the stand-in")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--greeting")
    ap.add_argument("--name", default="standin.test")
    ap.add_argument("--silent", action="store_true")
    ap.add_argument("--keywords", default="PIPELINING;8BITMIME")
    ap.add_argument("--tls-keywords")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth-reply", default="235 2.7.0 Authentication "
                    "successful")
    ap.add_argument("--ready")
    ap.add_argument("--log")
    a = ap.parse_args()
    tls_ctx = None
    if a.cert:
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(a.cert, a.key)
    signal.signal(signal.SIGTERM, lambda *x: os._exit(0))
    socks = []
    for l in a.listen:
        host, port = l.rsplit(":", 1)
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host.strip("[]"), int(port)))
        s.listen(16)
        socks.append(s)
    if a.ready:
        open(a.ready, "w").close()

    def accept(s):
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c, a, tls_ctx, a.log),
                             daemon=True).start()
    for s in socks[1:]:
        threading.Thread(target=accept, args=(s,), daemon=True).start()
    accept(socks[0])


if __name__ == "__main__":
    sys.exit(main())
