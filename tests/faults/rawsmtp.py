#!/usr/bin/python3
"""rawsmtp.py - send exact bytes to an SMTP server (runs inside the world).

CONTRACT: reads one JSON job on stdin and prints one JSON object.
  job: {"server": "127.0.0.1", "port": 25, "source": "192.0.2.10" or null,
        "timeout": seconds, "sessions": [[step, ...], ...]}
  step: {"send": "latin-1 text"} (sent as is: no line ending is added,
        so bare CR, bare LF and NUL reach the server exactly),
        {"expect": true} (read one complete reply).
  Each session connects, reads the greeting, runs its steps and closes.
  out: {"sessions": [[{"code": int or null, "text": "reply"}, ...], ...]}
  where the first reply of a session is the greeting. A reply is complete
  when a line "NNN text" (space after the code) ends with CRLF; a closed
  connection or a timeout ends it with code null and text saying why.
Used by the fault suite for what smtplib refuses to send (CR or LF inside a
command, NUL bytes, control characters in headers).
"""
import json
import socket
import sys


def read_reply(f):
    lines = []
    while True:
        try:
            line = f.readline()
        except (socket.timeout, OSError) as e:
            return {"code": None, "text": "\n".join(lines + ["(%s)" % e])}
        if not line:
            return {"code": None, "text": "\n".join(lines + ["(closed)"])}
        text = line.decode("latin-1").rstrip("\r\n")
        lines.append(text)
        if len(text) >= 4 and text[:3].isdigit() and text[3] == " ":
            return {"code": int(text[:3]), "text": "\n".join(lines)}
        if len(text) == 3 and text.isdigit():
            return {"code": int(text), "text": "\n".join(lines)}


def session(job, steps):
    src = (job["source"], 0) if job.get("source") else None
    try:
        s = socket.create_connection((job.get("server", "127.0.0.1"), job.get("port", 25)),
                                     timeout=job.get("timeout", 30), source_address=src)
    except OSError as e:
        return [{"code": None, "text": "connect: %s" % e}]
    f = s.makefile("rb")
    out = [read_reply(f)]
    for st in steps:
        if "send" in st:
            try:
                s.sendall(st["send"].encode("latin-1"))
            except OSError as e:
                out.append({"code": None, "text": "send: %s" % e})
                break
        if st.get("expect"):
            out.append(read_reply(f))
    s.close()
    return out


def main():
    job = json.load(sys.stdin)
    json.dump({"sessions": [session(job, steps) for steps in job["sessions"]]},
              sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
