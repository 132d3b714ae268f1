#!/usr/bin/python3
"""smtpsend.py - SMTP client of the end-to-end world (runs inside it).

CONTRACT: reads one JSON job on stdin and prints one JSON object:
  job: {"server": "127.0.0.1", "port": 25, "source": "192.0.2.10" (the
        client address to bind, optional), "helo": name, "starttls": bool,
        "auth": [user, password] or null, "timeout": seconds,
        "concurrency": N (default 1), "per_connection": M (default 100),
        "messages": [{"mail_from": addr ("" for <>), "rcpt": [addr...],
                      "data": "message text"}, ...]}
  out: {"results": [result per message, in job order], "seconds": float,
        "started": wall-clock time (epoch seconds) the clients started}
  result: {"ok": true when DATA got 2xx, "stage": where it ended (connect,
        ehlo, starttls, auth, mail, rcpt, data, done), "code": int,
        "reply": "last reply text", "qid": sendmail's queue id from
        "250 2.0.0 QID Message accepted for delivery" or null,
        "rcpt": {addr: "code text"}, "seconds": float, "data_seconds": float
        (from sending DATA to the reply after the message's final dot, the
        time the server and its milters took; only when DATA was sent)}
Messages are spread over `concurrency` threads, each with its own
connection (RSET between messages, a new connection after per_connection
messages or an error); the load tests use this with 20 clients. Exit status
0 when the job could be run at all (individual refusals are results).
"""
import json
import re
import smtplib
import ssl
import sys
import threading
import time

QID = re.compile(r"^2\.0\.0 (\S+) Message accepted", re.I)


class Client:
    def __init__(self, job):
        self.job = job
        self.conn = None
        self.sent = 0

    def close(self):
        if self.conn is not None:
            try:
                self.conn.quit()
            except Exception:
                try:
                    self.conn.close()
                except Exception:
                    pass
        self.conn = None
        self.sent = 0

    def open(self, res):
        j = self.job
        src = (j["source"], 0) if j.get("source") else None
        res["stage"] = "connect"
        c = smtplib.SMTP(timeout=j.get("timeout", 30), source_address=src,
                         local_hostname=j.get("helo") or None)
        server = j.get("server", "127.0.0.1")
        code, msg = c.connect(server, j.get("port", 25))
        c._host = server    # smtplib takes the TLS server name from here
        if code != 220:
            res.update(code=code, reply=msg.decode(errors="replace"))
            c.close()
            return False
        res["stage"] = "ehlo"
        code, msg = c.ehlo()
        if code != 250:
            res.update(code=code, reply=msg.decode(errors="replace"))
            c.close()
            return False
        if j.get("starttls"):
            res["stage"] = "starttls"
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c.starttls(context=ctx)
            c.ehlo()
        if j.get("auth"):
            res["stage"] = "auth"
            c.login(j["auth"][0], j["auth"][1])
        self.conn = c
        return True

    def send(self, m):
        t = time.monotonic()
        res = {"ok": False, "stage": "connect", "code": None, "reply": "", "qid": None,
               "rcpt": {}}
        try:
            if self.conn is None and not self.open(res):
                return self.done(res, t)
            c = self.conn
            res["stage"] = "mail"
            code, msg = c.mail(m["mail_from"])
            res.update(code=code, reply=msg.decode(errors="replace"))
            if code != 250:
                c.rset()
                return self.done(res, t)
            res["stage"] = "rcpt"
            good = 0
            for r in m["rcpt"]:
                code, msg = c.rcpt(r)
                res["rcpt"][r] = "%d %s" % (code, msg.decode(errors="replace"))
                res.update(code=code, reply=msg.decode(errors="replace"))
                good += code in (250, 251)
            if not good:
                c.rset()
                return self.done(res, t)
            res["stage"] = "data"
            data = m["data"].encode("utf-8", "surrogateescape")
            t_data = time.monotonic()
            try:
                code, msg = c.data(data)
            finally:
                res["data_seconds"] = round(time.monotonic() - t_data, 4)
            text = msg.decode(errors="replace")
            res.update(code=code, reply=text)
            mq = QID.match(text)
            res["qid"] = mq.group(1) if mq else None
            if 200 <= code < 300:
                res["ok"], res["stage"] = True, "done"
        except smtplib.SMTPResponseException as e:
            res.update(code=e.smtp_code, reply=e.smtp_error.decode(errors="replace")
                       if isinstance(e.smtp_error, bytes) else str(e.smtp_error))
            self.close()
        except Exception as e:   # a result for every message, whatever happened
            res.update(reply="%s: %s" % (type(e).__name__, e))
            self.close()
        return self.done(res, t)

    def done(self, res, t):
        res["seconds"] = round(time.monotonic() - t, 4)
        self.sent += 1
        if self.conn is not None and (not res["ok"] or
                                      self.sent >= self.job.get("per_connection", 100)):
            self.close()
        return res


def main():
    job = json.load(sys.stdin)
    msgs = job.get("messages", [])
    n = max(1, min(int(job.get("concurrency", 1)), len(msgs) or 1))
    results = [None] * len(msgs)
    t = time.monotonic()
    started = time.time()

    def worker(k):
        cl = Client(job)
        for i in range(k, len(msgs), n):
            results[i] = cl.send(msgs[i])
        cl.close()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    json.dump({"results": results, "seconds": round(time.monotonic() - t, 4),
               "started": started}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
