#!/usr/bin/python3
"""dsn.py - delivery status notifications (RFC 3464 multipart/report) as a
provider sends them after it accepted a message that the recipient's MX
then refused ("late bounces"), and the mailboxes they land in.

CONTRACT (library, used by smarthost.py)
  msg = build(layout, failure, now=None) -> bytes (CRLF line ends)
    layout   "gmail" | "sendgrid" | "sendmail"
    failure  {"to": address the DSN goes to, "envelope_from": the envelope
              sender of the failed message, "rcpt": the refused recipient,
              "reply": the refusing reply, lines joined by "\n" ("550-5.7.26
              ...\n550 5.7.26 ..."), "stage": "RCPT"|"DATA"|"MAIL",
              "remote_mta": host name, "remote_ip": address,
              "reporting_mta": host name, "arrival": epoch seconds,
              "original": the message as it left the provider (bytes),
              "queue_id": the provider's id, "client": "host [ip]" the
              provider got it from, "message_id": the original Message-ID}
  path = deliver(root, address, msg) stores msg for ADDRESS twice, as the
    account's mail fetched to the box would be: ROOT/ADDRESS/mbox (mbox,
    "From MAILER-DAEMON date" separators, >From quoting, by Python's mailbox
    module) and ROOT/ADDRESS/Maildir/new/ (one file); returns
    {"mbox": path, "maildir": file path}.
  status_of(reply) -> the enhanced status code in a reply ("5.7.26") or
    "5.0.0" (4.0.0 for a 4xx) when the reply has none, as Gmail's DSNs do.
Layouts, each from saved real DSNs (sisimai/set-of-emails, BSD-2-Clause,
commit 18e585c22288b83c1f6943949cb86b2623b362ce; fields and texts, not
copied wholesale):
  gmail     maildir/bsd/rfc3464-57.eml (2018, "Address not found") and
            rfc3464-56.eml ("Message not delivered"): From: Mail Delivery
            Subsystem <mailer-daemon@googlemail.com>, Subject: Delivery
            Status Notification (Failure), Auto-Submitted: auto-replied,
            X-Failed-Recipients:, References/In-Reply-To: the original
            Message-ID; multipart/report with multipart/related(multipart/
            alternative(text/plain, text/html), image/png icon), then
            message/delivery-status (Reporting-MTA: dns; googlemail.com,
            Arrival-Date, X-Original-Message-ID; Final-Recipient, Action,
            Status, Remote-MTA "host. (IP, the server for the domain D.)",
            Diagnostic-Code: smtp; ..., Last-Attempt-Date), then the message
            as sent (message/rfc822). For a 5.7.x refusal Gmail's heading is
            "Message blocked" ("Your message to X has been blocked. See
            technical details below for more information.") [obs: seen in
            user reports, not in the saved set].
  sendgrid  maildir/bsd/lhost-sendgrid-01.eml (2012; the forwarded bounce
            of SendGrid's "Forward Bounce" mail setting): Subject:
            Undelivered Mail Returned to Sender, X-Mailer: MIME-tools,
            "This is an automatically generated message from SendGrid.",
            the one-line "local:NNN:<addr> : IP : mx:[IP] : reply" summary,
            X-SendGrid-QueueID / X-SendGrid-Sender / Arrival-Date
            "YYYY-MM-DD HH-MM-SS", Diagnostic-Code without a type, the
            message as message/rfc822; name="QUEUEID". SendGrid's current
            layout may differ; without Forward Bounce nothing comes back by
            mail (the event webhook only).
  sendmail  maildir/bsd/lhost-sendmail-60.eml (8.16.1, a Gmail 550 5.7.26)
            and sendmail 8.17's savemail.c: "Returned mail: see transcript
            for details", "----- The following addresses had permanent fatal
            errors -----", "----- Transcript of session follows -----", the
            >>> / <<< lines, Reporting-MTA/Final-Recipient: RFC822/Remote-MTA:
            DNS/Diagnostic-Code: SMTP. (A real one from the world's own
            sendmail is saved as a fixture too, tests/e2e/fixtures/dsn.)
"""
import email.utils
import hashlib
import mailbox
import os
import re
import time
import zlib


def status_of(reply):
    m = re.search(r"^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})\b", reply or "", re.M)
    if m:
        return m.group(1)
    return "4.0.0" if (reply or "").startswith("4") else "5.0.0"


def _crlf(text):
    return re.sub(r"\r?\n", "\r\n", text)


def _date(t):
    return email.utils.formatdate(t, localtime=False, usegmt=False)


def _boundary(seed, width=28):
    """Gmail-like boundary (28 hex digits), stable for a given seed."""
    return hashlib.sha1(seed.encode()).hexdigest()[:width]


def _one_line(reply):
    """Multi-line reply as Gmail's text shows it: the lines joined."""
    return " ".join(l.strip() for l in (reply or "").splitlines() if l.strip())


def _folded(reply):
    lines = [l.strip() for l in (reply or "").splitlines() if l.strip()]
    return "\r\n ".join(lines)


def _raw(original):
    data = original or b""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


def build_gmail(f, now):
    rcpt, status = f["rcpt"], status_of(f["reply"])
    dom = rcpt.rpartition("@")[2]
    if status.startswith("5.1.") or re.search(r"user unknown|does not exist", f["reply"], re.I):
        heading = "Address not found"
        text = ("Your message wasn't delivered to %s because the address couldn't be "
                "found, or is unable to receive mail." % rcpt)
    elif status.startswith("5.7.") or status.startswith("4.7."):
        heading = "Message blocked"
        text = ("Your message to %s has been blocked. See technical details below for "
                "more information." % rcpt)
    else:
        heading = "Message not delivered"
        text = ("There was a problem delivering your message to %s. See the technical "
                "details below." % rcpt)
    reply1 = _one_line(f["reply"])
    b0 = _boundary("r" + f["queue_id"])
    b1 = _boundary("l" + f["queue_id"])
    b2 = _boundary("a" + f["queue_id"])
    mid = "<%s.%s.%s.%s.GMRIR@mx.google.com>" % (b0[:8], b0[8:16], b0[16:21], b0[21:25])
    omid = f.get("message_id") or ""
    head = [
        'Content-Type: multipart/report; boundary="%s"; report-type=delivery-status' % b0,
        "Return-Path: <>",
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        "To: %s" % f["to"],
        "Auto-Submitted: auto-replied",
        "Subject: Delivery Status Notification (Failure)",
    ]
    if omid:
        head += ["References: %s" % omid, "In-Reply-To: %s" % omid]
    head += ["X-Failed-Recipients: %s" % rcpt, "Message-ID: %s" % mid,
             "Date: %s" % _date(now), ""]
    plain = "\n** %s **\n\n%s\n\n\n\nThe response was:\n\n%s\n" % (heading, text, reply1)
    html = ("\n<html>\n<head>\n<style>\n* {\nfont-family:Roboto, \"Helvetica Neue\", "
            "Helvetica, Arial, sans-serif;\n}\n</style>\n</head>\n<body>\n<table "
            "cellpadding=\"0\" cellspacing=\"0\" class=\"email-wrapper\"><tbody>\n<tr><td>\n"
            "<h2>\n%s\n</h2>\n</td></tr>\n<tr><td>\n%s\n</td></tr>\n<tr><td>\nThe response "
            "was:<br/>\n<p style=\"font-family:monospace\">\n%s\n</p>\n</td></tr>\n</tbody>"
            "</table>\n</body>\n</html>\n" % (heading, text, reply1))
    ds = ["Reporting-MTA: dns; googlemail.com",
          "Arrival-Date: %s" % _date(f["arrival"])]
    if omid:
        ds.append("X-Original-Message-ID: %s" % omid)
    ds += ["", "Final-Recipient: rfc822; %s" % rcpt, "Action: failed",
           "Status: %s" % status,
           "Remote-MTA: dns; %s. (%s, the server for the domain %s.)"
           % (f["remote_mta"], f["remote_ip"], dom),
           "Diagnostic-Code: smtp; %s" % _folded(f["reply"]),
           "Last-Attempt-Date: %s" % _date(now), ""]
    body = ["", "--" + b0, 'Content-Type: multipart/related; boundary="%s"' % b1, "",
            "--" + b1, 'Content-Type: multipart/alternative; boundary="%s"' % b2, "",
            "--" + b2, 'Content-Type: text/plain; charset="UTF-8"', "", plain,
            "--" + b2, 'Content-Type: text/html; charset="UTF-8"', "", html,
            "--" + b2 + "--",
            "--" + b1, 'Content-Type: image/png; name="icon.png"',
            'Content-Disposition: attachment; filename="icon.png"',
            "Content-Transfer-Encoding: base64", "Content-ID: <icon.png>", "", "",
            "--" + b1 + "--",
            "--" + b0, "Content-Type: message/delivery-status", ""] + ds + \
           ["--" + b0, "Content-Type: message/rfc822", ""]
    out = _crlf("\n".join(head + body) + "\n").encode()
    return out + _raw(f["original"]) + ("\r\n--%s--\r\n" % b0).encode()


def build_sendgrid(f, now):
    rcpt, status = f["rcpt"], status_of(f["reply"])
    local = rcpt.partition("@")[0]
    qid = str(zlib.crc32(f["queue_id"].encode()) % 1000000000)
    b0 = "----------=_%d-%d-%d" % (int(now), os.getpid() % 100000, int(qid) % 1000000)
    host = f["to"].rpartition("@")[2] or "localhost"
    reply1 = _one_line(f["reply"])
    arr = time.strftime("%Y-%m-%d %H-%M-%S", time.gmtime(f["arrival"]))
    head = ["Date: %s" % _date(now),
            "Message-Id: <%s.%s@%s>" % (time.strftime("%Y%m%d%H%M", time.gmtime(now)),
                                        qid, host),
            "Content-Type: multipart/report; report-type=delivery-status;",
            ' boundary="%s"' % b0,
            "Content-Transfer-Encoding: binary", "MIME-Version: 1.0",
            "X-Mailer: MIME-tools 5.502 (Entity 5.502)",
            "From: MAILER-DAEMON@%s" % host, "To: %s" % f["to"],
            "Subject: Undelivered Mail Returned to Sender", ""]
    summary = "%s:%06d:<%s> : %s : %s:[%s] : %s  in %s" % (
        local, int(qid) % 1000000, rcpt, f.get("egress", ""), f["remote_mta"],
        f["remote_ip"], reply1, "RCPT TO" if f["stage"] == "RCPT" else "DATA")
    body = ["This is a multi-part message in MIME format...", "",
            "--" + b0, "Content-Type: text/plain", "Content-Disposition: inline",
            "Content-Transfer-Encoding: 7bit", "Content-Description: Notification", "",
            "This is an automatically generated message from SendGrid.", "",
            "I'm sorry to have to tell you that your message was not able to be",
            "delivered to one of its intended recipients.", "",
            "If you require assistance with this, please contact SendGrid support.", "",
            summary, "",
            "--" + b0, "Content-Type: message/delivery-status",
            "Content-Disposition: inline", "Content-Transfer-Encoding: 7bit",
            "Content-Description: Delivery Report", "",
            "X-SendGrid-QueueID: %s" % qid,
            "X-SendGrid-Sender: <%s>" % f["envelope_from"],
            "Arrival-Date: %s" % arr, "",
            "Final-Recipient: rfc822; %s" % rcpt,
            "Original-Recipient: rfc822; %s" % rcpt,
            "Action: failed", "Status: %s" % status,
            "Diagnostic-Code: %s" % _folded(f["reply"]), "",
            "--" + b0, 'Content-Type: message/rfc822; name="%s"' % qid,
            'Content-Disposition: inline; filename="%s"' % qid,
            "Content-Transfer-Encoding: binary",
            "Content-Description: Undelivered Message", ""]
    out = _crlf("\n".join(head + body) + "\n").encode()
    return out + _raw(f["original"]) + ("\r\n--%s--\r\n" % b0).encode()


def build_sendmail(f, now):
    rcpt, status = f["rcpt"], status_of(f["reply"])
    host = f["reporting_mta"]
    qid = f["queue_id"]
    b0 = "%s.%d/%s" % (qid, int(now), host)
    lines = [l.strip() for l in f["reply"].splitlines() if l.strip()]
    first = lines[0] if lines else ""
    reason = re.sub(r"^(\d{3})-", r"\1 ", first)
    head = ["Date: %s" % _date(now),
            "From: Mail Delivery Subsystem <MAILER-DAEMON@%s>" % host,
            "To: <%s>" % f["to"],
            "Message-Id: <%s.%s@%s>" % (time.strftime("%Y%m%d%H%M", time.gmtime(now)),
                                        qid, host),
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            '\tboundary="%s"' % b0,
            "Subject: Returned mail: see transcript for details",
            "Auto-Submitted: auto-generated (failure)", ""]
    cmd = {"RCPT": "RCPT To:<%s>" % rcpt, "MAIL": "MAIL From:<%s>" % f["envelope_from"]}
    body = ["This is a MIME-encapsulated message", "", "--" + b0, "",
            "The original message was received at %s" % _date(f["arrival"]),
            "from %s" % f.get("client", "localhost [127.0.0.1]"), "",
            "   ----- The following addresses had permanent fatal errors -----",
            "<%s>" % rcpt, "    (reason: %s)" % reason, "",
            "   ----- Transcript of session follows -----",
            "... while talking to %s.:" % f["remote_mta"],
            ">>> %s" % cmd.get(f["stage"], "DATA")] + \
           ["<<< %s" % l for l in lines] + \
           (["550 5.1.1 <%s>... User unknown" % rcpt] if status.startswith("5.1.")
            else ["554 5.0.0 Service unavailable"]) + \
           ["", "--" + b0, "Content-Type: message/delivery-status", "",
            "Reporting-MTA: dns; %s" % host,
            "Received-From-MTA: DNS; %s" % f.get("client", "localhost").split(" ")[0],
            "Arrival-Date: %s" % _date(f["arrival"]), "",
            "Final-Recipient: RFC822; %s" % rcpt, "Action: failed",
            "Status: %s" % status, "Remote-MTA: DNS; %s" % f["remote_mta"],
            "Diagnostic-Code: SMTP; %s" % first,
            "Last-Attempt-Date: %s" % _date(now), "",
            "--" + b0, "Content-Type: message/rfc822", ""]
    out = _crlf("\n".join(head + body) + "\n").encode()
    return out + _raw(f["original"]) + ("\r\n--%s--\r\n" % b0).encode()


BUILDERS = {"gmail": build_gmail, "sendgrid": build_sendgrid, "sendmail": build_sendmail}


def build(layout, failure, now=None):
    return BUILDERS[layout](failure, time.time() if now is None else now)


def mailbox_dir(root, address):
    safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", address.lower()) or "_"
    return os.path.join(root, safe)


def deliver(root, address, msg):
    """Append MSG to ROOT/ADDRESS/mbox and add it to ROOT/ADDRESS/Maildir."""
    d = mailbox_dir(root, address)
    os.makedirs(d, exist_ok=True)
    lf = msg.replace(b"\r\n", b"\n")
    mb = mailbox.mbox(os.path.join(d, "mbox"))
    mb.lock()
    try:
        m = mailbox.mboxMessage(lf)
        m.set_from("MAILER-DAEMON", time.gmtime())
        mb.add(m)
        mb.flush()
    finally:
        mb.unlock()
        mb.close()
    md = mailbox.Maildir(os.path.join(d, "Maildir"), create=True)
    key = md.add(mailbox.MaildirMessage(lf))
    path = os.path.join(d, "Maildir", "new", key)
    if not os.path.exists(path):
        path = os.path.join(d, "Maildir", md._lookup(key))
    return {"mbox": os.path.join(d, "mbox"), "maildir": path}
