#!/usr/bin/python3
"""provider.py - what a smarthost provider does to a message before its
egress hands it to the recipient's MX: envelope, From:, DKIM signature.

CONTRACT (library, used by smarthost.py; pure except reading key files)
  out = transform(settings, login, mail_from, rcpt_to, content, now=None,
                  helo=None, peer=None)
    settings  the stand-in's provider.json (dict, see below)
    login     the AUTH user of the session or None (smtp-relay, open relay)
    mail_from the envelope sender the stand-in accepted ("" for <>)
    content   the message as received (bytes, CRLF line ends)
    helo, peer  the client's HELO name and address, for the provider's
              Received: line on top
  returns {"mail_from": envelope the provider's egress uses,
           "content": the message as it leaves (bytes),
           "from": the From: address that leaves, "from_rewritten": bool,
           "dkim": {"d", "s"} signed with, or None, "dkim_wanted": the
           {"d", "s"} the provider would sign with (also when the key is
           missing), "notes": [...]}
  Never raises on bad input: a message without a From: leaves unchanged
  (note "no-from"), a DKIM key that is not there means no signature (note
  "no-key:SELECTOR._domainkey.DOMAIN"), as a provider without the key would.

settings["provider"] picks the model; every fact comes from the provider's
documentation or from saved real headers, never from relaymilter's code
(the end-to-end DMARC matrix compares relaymilter's prediction with what a
real verifier makes of this model's output, so the two must not share a
source). Sources, see also /work/shared/research/domain-facts.md sec. 3:

  "gmail" (smtp.gmail.com, an account authenticated with an app password)
    - From: that is neither the account nor a verified "Send mail as" alias
      is replaced by the account's address, the display name kept, and the
      original From: value goes to X-Google-Original-From:
      (gophish/gophish#182: "From: Spider Man <totallyprivatemail@gmail.com>
      / X-Google-Original-From: Spider Man <spiderman@spiderman.com>";
      gophish#1311: "authorize it in gmail as a send from address and
      complete verification before the SMTP server will leave your email
      alone"; nodemailer#906, PHPMailer#1214: "Gmail doesn't allow random
      From addresses").
    - Envelope: the account; a verified alias keeps its own envelope only
      when settings["alias_envelope"] == "alias" (not documented by
      Google; observed: Return-Path is the account, domain-facts 3.1 [obs]).
    - DKIM: consumer accounts (settings["kind"] "consumer") are signed
      d=gmail.com, also when From: is a verified alias ("the added
      signature is for the gmail.com account, not the From address
      account", SmarterTools community a97318). Workspace accounts: with
      DKIM turned on for the account's domain (settings["dkim_domains"]
      {domain: selector}, Google's default selector "google", Admin Help
      174124) d=<that domain>; otherwise Google's default key
      d=*.gappssmtp.com (Admin Help 174124), named after the MAIL FROM
      domain with dots as hyphens: d=example-com.20230601.gappssmtp.com,
      s=20230601 (SmarterTools a97318).
  "gmail-relay" (smtp-relay.gmail.com, Workspace SMTP relay service)
    - Envelope and From: pass unchanged (the relay checks the envelope
      domain, Admin Help 2956491); DKIM as for Workspace above, with the
      envelope sender's domain in place of the account's.
  "sendgrid" (smtp.sendgrid.net, user "apikey")
    - From: unchanged (it must be a verified Sender Identity, error 60222).
    - Envelope: SendGrid generates it, "@sendgrid.net" by default; once the
      From: domain is authenticated (Domain Authentication) "em????.<From
      domain>" (SendGrid support JP article 360000226322, "エンベロープFrom");
      settings["authenticated"] {domain: {"return_path": "em1234",
      "selector": "s1"}}: the CNAMEs em1234.<domain>, s1._domainkey.<domain>
      (SendGrid "Authenticate a domain"; a real set: em5945.millsoakley.org,
      s1._domainkey.millsoakley.org). The local part is
      bounces+<uid>-<id>-<rcpt local part>=<rcpt domain> (Sender: lines in
      sisimai/set-of-emails lhost-sendgrid-01.eml).
    - DKIM: the authenticated domain (d=<From domain>, s=s1) else its own
      d=sendgrid.net (phishfence.io/learn/dmarc-sendgrid: "Default SendGrid
      sends sign as d=sendgrid.net"; selector "smtpapi" as on real
      unauthenticated SendGrid mail, [obs]).
  "passthrough" (a local relay, e.g. Apache James: relays what it gets)
    - Envelope and From: unchanged; DKIM only when settings["dkim"]
      {"domain", "selector"} says the relay signs (a local signer).
Common settings: "keys" the directory of test keys
  (<selector>._domainkey.<domain>.pem), "received_by" the provider's host
  name for its Received: line.
"""
import email.utils
import os
import re
import time
import zlib

try:
    import dkim
except ImportError:          # python3-dkim missing: signing says so
    dkim = None

GAPPS_SELECTOR = "20230601"
GMAIL_SELECTOR = "20230601"
SENDGRID_SELECTOR = "smtpapi"
# what the providers' signatures cover (h=), as in the saved real headers
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id",
                  b"mime-version", b"reply-to", b"cc", b"content-type",
                  b"x-google-original-from"]


def split_message(content):
    """(header lines [bytes, with their folds and CRLF], body bytes)."""
    m = re.search(rb"\r?\n\r?\n", content)
    if m is None:
        head, body = content, b""
    else:
        head, body = content[:m.start() + (2 if content[m.start()] == 13 else 1)], \
            content[m.end():]
    fields = []
    for line in re.split(rb"(?<=\n)", head):
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields, body


def join_message(fields, body):
    return b"".join(fields) + b"\r\n" + body


def field_name(f):
    return f.split(b":", 1)[0].strip().lower().decode("ascii", "replace")


def field_value(f):
    v = f.split(b":", 1)[1] if b":" in f else b""
    return re.sub(rb"\r?\n[ \t]+", b" ", v).strip().decode("utf-8", "replace")


def get_header(fields, name):
    for f in fields:
        if field_name(f) == name:
            return field_value(f)
    return None


def addr_of(value):
    """The (display name, address) of the first mailbox of a From: value."""
    if value is None:
        return "", ""
    name, addr = email.utils.parseaddr(value)
    return name, addr


def domain_of(addr):
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


def gapps_domain(domain):
    return "%s.%s.gappssmtp.com" % (domain.replace(".", "-"), GAPPS_SELECTOR)


def key_path(keys, domain, selector):
    return os.path.join(keys or "", "%s._domainkey.%s.pem" % (selector, domain))


def sign(content, domain, selector, keys, notes):
    """content with a DKIM-Signature on top, or content unchanged (a note)."""
    path = key_path(keys, domain, selector)
    try:
        with open(path, "rb") as f:
            priv = f.read()
    except OSError:
        notes.append("no-key:%s._domainkey.%s" % (selector, domain))
        return content, None
    if dkim is None:
        notes.append("no-dkimpy")
        return content, None
    fields, _ = split_message(content)
    present = {field_name(f).encode() for f in fields}
    include = [h for h in SIGNED_HEADERS if h in present]
    sig = dkim.sign(content, selector.encode(), domain.encode(), priv,
                    canonicalize=(b"relaxed", b"relaxed"), include_headers=include)
    return sig + content, {"d": domain, "s": selector}


def received_line(by, helo, peer, rcpt, now):
    ident = "%08x" % (zlib.crc32(("%s%f" % (rcpt, now)).encode()) & 0xffffffff)
    return ("Received: from %s (%s [%s])\r\n\tby %s with ESMTPSA id %s\r\n"
            "\tfor <%s>;\r\n\t%s\r\n" % (helo or "unknown", helo or "unknown", peer or "",
                                         by, ident, rcpt,
                                         email.utils.formatdate(now))).encode()


def transform(settings, login, mail_from, rcpt_to, content, now=None, helo=None,
              peer=None):
    now = time.time() if now is None else now
    kind = settings.get("provider", "passthrough")
    keys = settings.get("keys")
    notes = []
    fields, body = split_message(content)
    from_value = get_header(fields, "from")
    name, hdr_from = addr_of(from_value)
    hdr_from_l = hdr_from.lower()
    env = mail_from
    rewritten = False
    d = s = None
    rcpt0 = rcpt_to[0] if rcpt_to else ""
    if from_value is None:
        notes.append("no-from")

    if kind == "gmail":
        acct = (login or "").lower()
        aliases = {a.lower() for a in settings.get("aliases", [])}
        if from_value is not None and hdr_from_l != acct and hdr_from_l not in aliases:
            # replace the address, keep the display name; the old value
            # goes to X-Google-Original-From (gophish#182)
            new = email.utils.formataddr((name, login)) if name else login
            out = []
            for f in fields:
                if field_name(f) == "from":
                    out.append(b"X-Google-Original-From: " + from_value.encode() + b"\r\n")
                    out.append(b"From: " + new.encode() + b"\r\n")
                else:
                    out.append(f)
            fields = out
            rewritten = True
            hdr_from_l = acct
        mf = (mail_from or "").lower()
        if mf == acct or (mf in aliases and settings.get("alias_envelope") == "alias"):
            env = mail_from
        else:
            env = login
        if settings.get("kind", "consumer") == "consumer":
            d, s = "gmail.com", GMAIL_SELECTOR
        else:
            dom = domain_of(acct)
            sel = settings.get("dkim_domains", {}).get(dom)
            d, s = (dom, sel) if sel else (gapps_domain(domain_of(env)), GAPPS_SELECTOR)
    elif kind == "gmail-relay":
        dom = domain_of(mail_from)
        sel = settings.get("dkim_domains", {}).get(dom)
        d, s = (dom, sel) if sel else (gapps_domain(dom), GAPPS_SELECTOR)
    elif kind == "sendgrid":
        auth = settings.get("authenticated", {}).get(domain_of(hdr_from_l))
        local, _, rdom = rcpt0.partition("@")
        uid = settings.get("uid", "4711")
        tag = "%s-%04x" % (uid, zlib.crc32(content) & 0xffff)
        lp = "bounces+%s-%s=%s" % (tag, local, rdom)
        if auth:
            env = "%s@%s.%s" % (lp, auth.get("return_path", "em1234"),
                                domain_of(hdr_from_l))
            d, s = domain_of(hdr_from_l), auth.get("selector", "s1")
        else:
            env = "%s@sendgrid.net" % lp
            d, s = "sendgrid.net", SENDGRID_SELECTOR
    else:   # passthrough
        sig = settings.get("dkim")
        if sig:
            d, s = sig["domain"], sig["selector"]

    by = settings.get("received_by", "smtp.provider.test")
    content = received_line(by, helo, peer, rcpt0, now) + join_message(fields, body)
    signed = None
    if d:
        content, signed = sign(content, d, s, keys, notes)
    return {"mail_from": env or "", "content": content, "from": hdr_from_l,
            "from_rewritten": rewritten, "dkim": signed,
            "dkim_wanted": {"d": d, "s": s} if d else None, "notes": notes}
