#!/usr/bin/python3
"""smarthost.py - SMTP smarthost stand-in for the relaymilter end-to-end world.

CONTRACT
  smarthost.py --profile P --listen ADDR:PORT --dir DIR [options]
Serves SMTP on ADDR:PORT (Debian's python3-aiosmtpd 1.4.3) behaving like one
kind of relay our users run, and records what it received:
  DIR/received/NNNNNN.json   one file per accepted message (written
                             atomically): envelope (mail_from, "" for <>;
                             rcpt_to; mail_params as sent, e.g. AUTH=<>),
                             peer, helo, tls {version, cipher} or null,
                             auth {mechanism, user} or null, headers
                             [[name, value], ...] in order, size, queued_as,
                             notes [...], plus gmail's view "gmail_sender"
                             (account | alias | rewritten) on that profile.
  DIR/received/NNNNNN.eml    the message as received.
  DIR/events.jsonl           one JSON line per SMTP event (connect, ehlo,
                             starttls, auth, mail, rcpt, data, close) with
                             the reply it got: rejections are assertable.
Profiles (what the real relay does, see domain-notes.md):
  gmail        STARTTLS required before AUTH/MAIL ("530 5.7.0 Must issue a
               STARTTLS command first."), AUTH PLAIN/LOGIN required,
               "535 5.7.8" bad password, "534 5.7.9" when the account's
               own password is used where an app password is needed;
               records when MAIL FROM is not the authenticated account
               (note "from-not-account"; Gmail would rewrite it unless it
               is a verified alias, --alias). With --account-domain D a
               login without "@" is the account LOGIN@D (Gmail takes the
               bare user name of a gmail.com account); the record's auth
               has that "account".
  workspace    smtp-relay style: no AUTH; accepts only from --client
               networks and envelope domains in --domain or below it
               ("subdomains are allowed", Google Admin Help 2956491); a
               null sender needs such a domain in HELO; else "550 5.7.1
               Invalid credentials for relay [IP]...".
  generic      SendGrid style: STARTTLS + AUTH required (user "apikey");
               MAIL FROM must be one of --verified when any is given, else
               550 "does not match a verified Sender Identity"; with
               --verify-from header the From: header is checked instead,
               after DATA (what SendGrid checks). --noauth-reply TEXT is
               the reply to MAIL without AUTH (SendGrid: "550
               Unauthenticated senders not allowed").
  local-relay  a local server (e.g. Apache James): AUTH required, offered
               without TLS, no STARTTLS; clients in --trusted-client
               networks relay without AUTH (James's authorizedAddresses).
  open         accepts everything (STARTTLS offered if a certificate is).
Options: --user USER:PASS (repeatable; accepted credentials),
  --account-password USER:PASS (gmail: answers 534 5.7.9), --alias ADDR,
  --client CIDR, --domain DOMAIN, --verified ADDR, --hostname NAME (greeting),
  --account-domain D, --verify-from envelope|header, --noauth-reply TEXT,
  --trusted-client CIDR,
  --cert PEM --key PEM (enables STARTTLS), --no-starttls (never offer it
  even with a certificate).
Failure injection:
  by recipient local part: rcpt-NNN[-anything]@... answers NNN at RCPT;
  data-NNN[-anything]@... makes DATA answer NNN; NNN is 4xx or 5xx.
  by mode file DIR/mode.json, re-read when it changes:
  {"ehlo"|"auth"|"mail"|"rcpt"|"data": "CODE text"}: every such command gets
  that reply. A 421 reply closes the connection, as real servers do.
Onward delivery (the provider's side, provider.py): when DIR/provider.json
  (re-read for every message, written by world.py's set_provider) has a
  "forward" {"to": "ADDR:PORT", "egress": ADDR, "helo": NAME}, each accepted
  message is, after the 250 reply, changed as the provider would
  (provider.transform: envelope, From:, DKIM) and sent by SMTP to the
  recipient's MX from the egress address, as the provider's outbound server
  does. DIR/forwarded/NNNNNN.json (same number as received/) records what
  left (mail_from, from, from_rewritten, dkim, egress) and each reply; the
  message as it left is DIR/forwarded/NNNNNN.eml. A 5xx from the MX after
  the stand-in accepted is a late bounce: a DSN (dsn.py, layout
  settings["bounce"]["layout"], default by provider: gmail, sendgrid for
  "sendgrid", sendmail for "passthrough") is delivered to the mailbox of
  the provider's bounce address (the envelope that left; SendGrid's own
  bounce address is not a mailbox of ours: there it goes to its "Forward
  Bounce" address settings["forward_bounce"], if any, and always to the
  event feed, a "provider-bounce" line in events.jsonl like SendGrid's
  event webhook), under settings["mailboxes"] (mbox and Maildir). A 4xx
  is recorded as deferred; there is no retry.
Ends cleanly on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import ipaddress
import itertools
import json
import os
import re
import signal
import smtplib
import ssl
import sys
import time
from email.parser import BytesHeaderParser
from email import policy

from aiosmtpd.smtp import SMTP, AuthResult, syntax

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsn  # noqa: E402
import provider  # noqa: E402

STD_TEXT = {
    "421": "4.7.0 Try again later, closing connection.",
    "450": "4.2.1 The user you are trying to contact is receiving mail too quickly.",
    "451": "4.3.0 Mail server temporarily rejected message.",
    "452": "4.5.3 Your message has too many recipients.",
    "550": "5.1.1 The email account that you tried to reach does not exist.",
    "552": "5.2.2 The email account that you tried to reach is over quota.",
    "553": "5.1.2 We weren't able to find the recipient domain.",
    "554": "5.7.0 Message rejected.",
}
INJECT = re.compile(r"^(rcpt|data)-([45]\d\d)(?:[-@]|$)", re.IGNORECASE)
KNOWN_MAIL_PARAMS = ("SIZE", "BODY", "SMTPUTF8")

PROFILES = {
    #               starttls  tls-first  auth   auth-required
    "gmail":       (True,     True,      True,  True),
    "workspace":   (True,     False,     False, False),
    "generic":     (True,     True,      True,  True),
    "local-relay": (False,    False,     True,  True),
    "open":        (True,     False,     False, False),
}


def reply_for(code):
    return "%s %s" % (code, STD_TEXT.get(code, "%s.0.0 Injected failure." % code[0]))


class Recorder:
    def __init__(self, directory):
        self.dir = directory
        self.received = os.path.join(directory, "received")
        os.makedirs(self.received, exist_ok=True)
        existing = [int(n[:6]) for n in os.listdir(self.received)
                    if n.endswith(".json") and n[:6].isdigit()]
        self.seq = itertools.count(max(existing, default=0) + 1)
        self.events = open(os.path.join(directory, "events.jsonl"), "a",
                           buffering=1)
        self.mode_path = os.path.join(directory, "mode.json")
        self._mode = {}
        self._mode_stamp = None
        self.provider_path = os.path.join(directory, "provider.json")
        self.forwarded = os.path.join(directory, "forwarded")

    def event(self, **kw):
        kw["t"] = round(time.time(), 3)
        self.events.write(json.dumps(kw, sort_keys=True) + "\n")

    def mode(self):
        try:
            st = os.stat(self.mode_path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            self._mode, self._mode_stamp = {}, None
            return self._mode
        if stamp != self._mode_stamp:
            try:
                with open(self.mode_path) as f:
                    m = json.load(f)
                self._mode = m if isinstance(m, dict) else {}
            except (OSError, ValueError) as e:
                sys.stderr.write("smarthost: bad mode file: %s\n" % e)
                self._mode = {}
            self._mode_stamp = stamp
        return self._mode

    def provider(self):
        """The provider settings (provider.json), {} when there are none."""
        try:
            with open(self.provider_path) as f:
                p = json.load(f)
            return p if isinstance(p, dict) else {}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            sys.stderr.write("smarthost: bad provider file: %s\n" % e)
            return {}

    def save_forwarded(self, qid, record, content):
        os.makedirs(self.forwarded, exist_ok=True)
        base = os.path.join(self.forwarded, qid[2:])
        if content is not None:
            with open(base + ".eml.tmp", "wb") as f:
                f.write(content)
            os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
        os.rename(base + ".json.tmp", base + ".json")

    def save(self, record, content):
        n = next(self.seq)
        base = os.path.join(self.received, "%06d" % n)
        record["queued_as"] = "SH%06d" % n
        with open(base + ".eml.tmp", "wb") as f:
            f.write(content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w") as f:
            json.dump(record, f, indent=1, sort_keys=True)
        os.rename(base + ".json.tmp", base + ".json")
        return record["queued_as"]


class Config:
    def __init__(self, a):
        self.profile = a.profile
        (self.starttls, self.tls_first, self.auth,
         self.auth_required) = PROFILES[a.profile]
        self.users = dict(u.split(":", 1) for u in a.user)
        self.account_passwords = dict(u.split(":", 1) for u in a.account_password)
        self.aliases = {x.lower() for x in a.alias}
        self.clients = [ipaddress.ip_network(c, strict=False) for c in a.client]
        self.domains = {d.lower() for d in a.domain}
        self.verified = {v.lower() for v in a.verified}
        self.account_domain = (a.account_domain or "").lower()
        self.verify_from = a.verify_from
        self.noauth_reply = a.noauth_reply or "530 5.7.0 Authentication Required."
        self.trusted = [ipaddress.ip_network(c, strict=False) for c in a.trusted_client]
        self.hostname = a.hostname
        self.tls_context = None
        if a.cert and not a.no_starttls and self.starttls:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(a.cert, a.key)
            self.tls_context = ctx
        if self.tls_first and not self.tls_context:
            # a gmail-like relay without a certificate cannot work; say so
            sys.stderr.write("smarthost: profile %s without STARTTLS: "
                             "every MAIL gets 530\n" % a.profile)


def null_to_empty(addr):
    return "" if addr in (None, "<>") else addr


def domain_of(addr):
    return addr.rpartition("@")[2].lower() if "@" in addr else ""


def in_domains(dom, domains):
    """DOM is one of DOMAINS or below one of them."""
    dom = dom.lower().rstrip(".")
    return any(dom == d or dom.endswith("." + d) for d in domains)


def header_address(value):
    """The address of a From: header value (\"Name <a@b>\" or a@b), lower case."""
    m = re.search(r"<([^>]*)>", value or "")
    return (m.group(1) if m else (value or "").strip()).lower()


class Handler:
    def __init__(self, cfg, rec):
        self.cfg, self.rec = cfg, rec

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # aiosmtpd leaves host_name to a "new style" EHLO hook, and lists
        # "250-AUTH" even with no mechanism: a relay without AUTH says nothing
        session.host_name = hostname
        if not self.cfg.auth:
            responses = [r for r in responses if not r.startswith("250-AUTH")]
        return responses

    async def handle_MAIL(self, server, session, envelope, address, options):
        cfg = self.cfg
        addr = "" if address == "<>" else address
        peer = session.peer[0] if session.peer else ""
        reply = None
        if cfg.profile == "workspace":
            client_ok = any(ipaddress.ip_address(peer) in n for n in cfg.clients)
            dom = domain_of(addr) if addr else domain_of("@" + (session.host_name or ""))
            if not client_ok or not in_domains(dom, cfg.domains):
                reply = ("550 5.7.1 Invalid credentials for relay [%s]. The IP "
                         "address you've registered in your Workspace SMTP Relay "
                         "service doesn't match domain of the account this email "
                         "is being sent from." % peer)
        elif (cfg.profile == "generic" and cfg.verified and cfg.verify_from == "envelope"
              and addr.lower() not in cfg.verified):
            reply = ("550 The from address does not match a verified Sender "
                     "Identity. Mail cannot be sent until this error is resolved.")
        if reply is None:
            # "<>" stays "<>" here (aiosmtpd needs a true value to accept
            # RCPT); the record says "" for the null sender
            envelope.mail_from = address
            envelope.mail_options.extend(options)
            reply = "250 2.1.0 OK"
        self.rec.event(event="mail", mail_from=addr, reply=reply, peer=peer)
        return reply

    async def handle_RCPT(self, server, session, envelope, address, options):
        m = INJECT.match(address)
        reply = None
        if m and m.group(1).lower() == "rcpt":
            reply = reply_for(m.group(2))
        else:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
            reply = "250 2.1.5 OK"
        self.rec.event(event="rcpt", rcpt=address, reply=reply)
        return reply

    async def handle_DATA(self, server, session, envelope):
        mode = self.rec.mode().get("data")
        if mode:
            # the reply comes after the message, as a real post-DATA refusal
            self.rec.event(event="data", reply=mode, injected=True,
                           mail_from=null_to_empty(envelope.mail_from),
                           rcpt_to=envelope.rcpt_tos)
            return mode
        for r in envelope.rcpt_tos:
            m = INJECT.match(r)
            if m and m.group(1).lower() == "data":
                reply = reply_for(m.group(2))
                self.rec.event(event="data", reply=reply,
                               mail_from=null_to_empty(envelope.mail_from),
                               rcpt_to=envelope.rcpt_tos)
                return reply
        content = envelope.original_content or b""
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(content)
        headers = [[k, str(v)] for k, v in msg.items()]
        if (self.cfg.profile == "generic" and self.cfg.verified
                and self.cfg.verify_from == "header"
                and header_address(msg.get("From", "")) not in self.cfg.verified):
            reply = ("550 The from address does not match a verified Sender "
                     "Identity. Mail cannot be sent until this error is resolved.")
            self.rec.event(event="data", reply=reply, header_from=msg.get("From", ""),
                           mail_from=null_to_empty(envelope.mail_from),
                           rcpt_to=envelope.rcpt_tos)
            return reply
        login = getattr(session, "standin_auth", None)
        record = {
            "profile": self.cfg.profile,
            "server": self.cfg.hostname,
            "listen": server.standin_listen,
            "peer": list(session.peer[:2]) if session.peer else None,
            "helo": session.host_name,
            "tls": server.standin_tls(),
            "auth": login,
            "mail_from": null_to_empty(envelope.mail_from),
            "mail_params": getattr(session, "standin_mail_params", []),
            "rcpt_to": list(envelope.rcpt_tos),
            "headers": headers,
            "message_id": msg.get("Message-ID", "").strip(),
            "size": len(content),
            "received_at": round(time.time(), 3),
            "notes": [],
        }
        if self.cfg.profile == "gmail" and login:
            acct = login.get("account", login["user"]).lower()
            sender = null_to_empty(envelope.mail_from).lower()
            if sender == acct:
                record["gmail_sender"] = "account"
            elif sender in self.cfg.aliases:
                record["gmail_sender"] = "alias"
            else:
                record["gmail_sender"] = "rewritten"
                record["notes"].append("from-not-account")
        qid = self.rec.save(record, content)
        settings = self.rec.provider()
        if settings.get("forward"):
            # after the 250: the provider has accepted; what the MX does
            # with it is a later story (a late bounce, if any)
            asyncio.get_running_loop().run_in_executor(
                None, forward, self.rec, settings, qid, record, content)
        reply = "250 2.0.0 OK: queued as %s" % qid
        self.rec.event(event="data", reply=reply,
                       mail_from=null_to_empty(envelope.mail_from),
                       rcpt_to=envelope.rcpt_tos, queued_as=qid,
                       message_id=record["message_id"])
        return reply


def smtp_reply(code, msg):
    """A reply as the wire had it: "550-5.7.26 a\n550 5.7.26 b"."""
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    lines = text.splitlines() or [""]
    return "\n".join("%d%s%s" % (code, "-" if i < len(lines) - 1 else " ", l)
                     for i, l in enumerate(lines))


def forward(rec, settings, qid, record, content):
    """Send the accepted message on as the provider would; record it; on a
    5xx from the MX deliver a DSN (see the module's docstring)."""
    fwd = settings["forward"]
    login = (record.get("auth") or {}).get("user")
    out_rec = {"queued_as": qid, "message_id": record["message_id"],
               "egress": fwd.get("egress"), "to": fwd.get("to"),
               "provider": settings.get("provider"), "rcpt": {}, "data": None,
               "started_at": round(time.time(), 3)}
    out = None
    try:
        out = provider.transform(settings, login, record["mail_from"], record["rcpt_to"],
                                 content, helo=record.get("helo"),
                                 peer=(record.get("peer") or [""])[0])
        for k in ("mail_from", "from", "from_rewritten", "dkim", "dkim_wanted", "notes"):
            out_rec[k] = out[k]
        host, _, port = fwd["to"].rpartition(":")
        accepted = []
        with smtplib.SMTP(host, int(port), local_hostname=fwd.get("helo"),
                          source_address=(fwd["egress"], 0), timeout=30) as s:
            s.ehlo()
            code, msg = s.mail(out["mail_from"])
            out_rec["mail"] = smtp_reply(code, msg)
            if code == 250:
                for r in record["rcpt_to"]:
                    code, msg = s.rcpt(r)
                    out_rec["rcpt"][r] = smtp_reply(code, msg)
                    if code in (250, 251):
                        accepted.append(r)
                if accepted:
                    # smtplib raises only for a refused DATA command; the
                    # reply after the message is returned
                    try:
                        code, msg = s.data(out["content"])
                    except smtplib.SMTPDataError as e:
                        code, msg = e.smtp_code, e.smtp_error
                    out_rec["data"] = smtp_reply(code, msg)
            else:
                accepted = []
        failed = []
        for r in record["rcpt_to"]:
            rr = out_rec["rcpt"].get(r) or out_rec.get("mail", "")
            stage = "RCPT" if r in out_rec["rcpt"] else "MAIL"
            if r in accepted:
                rr, stage = out_rec["data"] or "", "DATA"
            if rr.startswith("5"):
                failed.append((r, rr, stage))
            elif rr.startswith("4"):
                out_rec.setdefault("deferred", []).append(r)
        out_rec["bounces"] = [bounce(rec, settings, qid, record, out, r, rr, stage)
                              for r, rr, stage in failed]
    except Exception as e:      # recorded, never kills the stand-in
        out_rec["error"] = "%s: %s" % (type(e).__name__, e)
    out_rec["finished_at"] = round(time.time(), 3)
    rec.save_forwarded(qid, out_rec, out["content"] if out else None)
    rec.event(event="forward", queued_as=qid, message_id=record["message_id"],
              error=out_rec.get("error"), rcpt=out_rec["rcpt"], data=out_rec["data"])


DEFAULT_LAYOUT = {"gmail": "gmail", "gmail-relay": "gmail", "sendgrid": "sendgrid",
                  "passthrough": "sendmail"}


def bounce(rec, settings, qid, record, out, rcpt, reply, stage):
    """The DSN for one refused recipient: built, delivered, described."""
    kind = settings.get("provider", "passthrough")
    b = settings.get("bounce", {})
    layout = b.get("layout") or DEFAULT_LAYOUT.get(kind, "sendmail")
    if kind == "sendgrid":
        to = settings.get("forward_bounce")
        rec.event(event="provider-bounce", email=rcpt, reason=reply,
                  status=dsn.status_of(reply), sg_message_id=qid)
    else:
        to = out["mail_from"]
    desc = {"rcpt": rcpt, "reply": reply, "stage": stage, "layout": layout, "to": to}
    if not to:
        desc["delivered"] = None
        return desc
    host, _, _ = settings["forward"]["to"].rpartition(":")
    failure = {"to": to, "envelope_from": out["mail_from"], "rcpt": rcpt,
               "reply": reply, "stage": stage,
               "remote_mta": settings["forward"].get("mx_name", host),
               "remote_ip": host, "egress": settings["forward"].get("egress", ""),
               "reporting_mta": settings.get("received_by", "localhost"),
               "arrival": record["received_at"], "original": out["content"],
               "queue_id": qid, "message_id": record["message_id"],
               "client": "%s [%s]" % (record.get("helo") or "unknown",
                                      (record.get("peer") or [""])[0])}
    msg = dsn.build(layout, failure)
    desc["delivered"] = dsn.deliver(settings["mailboxes"], to, msg)
    return desc


class StandIn(SMTP):
    """aiosmtpd's SMTP with the relay's gates and the 1.4.3 traps handled."""

    def __init__(self, handler, cfg, rec, listen):
        self.cfg, self.rec, self.standin_listen = cfg, rec, listen
        super().__init__(
            handler,
            hostname=cfg.hostname,
            ident="ESMTP stand-in",
            tls_context=cfg.tls_context,
            require_starttls=False,          # gated below with Gmail's text
            auth_required=False,             # gated below
            auth_require_tls=cfg.tls_first,
            authenticator=self.authenticate,
            decode_data=False,
            enable_SMTPUTF8=True,
        )
        if not cfg.auth:
            self._auth_methods = {}
        self._close_after_reply = False

    def connection_made(self, transport):
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self.rec.event(event="connect", peer=list(peer[:2]) if peer else None)

    def connection_lost(self, exc):
        self.rec.event(event="close")
        super().connection_lost(exc)

    def standin_tls(self):
        if not self._tls_protocol:
            return None
        obj = self.transport.get_extra_info("ssl_object")
        if obj is None:
            return {"version": None, "cipher": None}
        return {"version": obj.version(), "cipher": obj.cipher()[0]}

    async def push(self, status):
        await super().push(status)
        if isinstance(status, str) and status.startswith("421 "):
            self._close_after_reply = True

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        user = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        mode = self.rec.mode().get("auth")
        if mode:
            result = AuthResult(success=False, handled=False, message=mode)
        elif self.cfg.users.get(user) == password:
            session.standin_auth = {"mechanism": mechanism, "user": user}
            if "@" not in user and self.cfg.account_domain:
                session.standin_auth["account"] = "%s@%s" % (user, self.cfg.account_domain)
            result = AuthResult(success=True, handled=False,
                                message="235 2.7.0 Accepted", auth_data=auth_data)
        elif self.cfg.account_passwords.get(user) == password:
            result = AuthResult(
                success=False, handled=False,
                message="534 5.7.9 Application-specific password required. "
                        "Learn more at https://support.google.com/mail/?p=InvalidSecondFactor")
        elif self.cfg.profile == "gmail":
            result = AuthResult(
                success=False, handled=False,
                message="535 5.7.8 Username and Password not accepted. "
                        "Learn more at https://support.google.com/mail/?p=BadCredentials")
        else:
            # handled=False, or aiosmtpd 1.4.3 sends no reply and the client hangs
            result = AuthResult(success=False, handled=False,
                                message="535 5.7.8 Authentication credentials invalid")
        self.rec.event(event="auth", mechanism=mechanism, user=user,
                       reply=result.message)
        return result

    async def gate(self, stage):
        """Send the relay's refusal for STAGE and return True, or return False."""
        cfg = self.cfg
        if cfg.tls_first and not self._tls_protocol and stage != "ehlo":
            await self.push("530 5.7.0 Must issue a STARTTLS command first.")
            self.rec.event(event=stage, reply="530 5.7.0 Must issue a STARTTLS command first.")
            return True
        mode = self.rec.mode().get(stage)
        if mode:
            await self.push(mode)
            self.rec.event(event=stage, reply=mode, injected=True)
            return True
        if (stage in ("mail", "rcpt", "data") and cfg.auth_required
                and not self.session.authenticated and not self.trusted_peer()):
            await self.push(cfg.noauth_reply)
            self.rec.event(event=stage, reply=cfg.noauth_reply)
            return True
        return False

    def trusted_peer(self):
        peer = self.session.peer[0] if self.session and self.session.peer else None
        try:
            return bool(peer) and any(ipaddress.ip_address(peer) in n
                                      for n in self.cfg.trusted)
        except ValueError:
            return False

    async def _after(self):
        if self._close_after_reply:
            self.transport.close()

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname):
        if hostname and await self.gate("ehlo"):
            return await self._after()
        await super().smtp_EHLO(hostname)
        self.rec.event(event="ehlo", helo=hostname,
                       tls=self._tls_protocol is not None)

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname):
        if hostname and await self.gate("ehlo"):
            return await self._after()
        await super().smtp_HELO(hostname)

    @syntax("STARTTLS", when="tls_context")
    async def smtp_STARTTLS(self, arg):
        self.rec.event(event="starttls")
        await super().smtp_STARTTLS(arg)

    @syntax("AUTH <mechanism>")
    async def smtp_AUTH(self, arg):
        if not self.cfg.auth:
            return await self.push("502 5.5.1 Unrecognized command.")
        if self.cfg.tls_first and not self._tls_protocol:
            return await self.push("530 5.7.0 Must issue a STARTTLS command first.")
        await super().smtp_AUTH(arg)
        await self._after()

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg):
        if await self.gate("mail"):
            return await self._after()
        # aiosmtpd answers 555 to any parameter but SIZE/BODY/SMTPUTF8, and
        # sendmail sends AUTH=<> for MSP mail: keep them aside, pass the rest
        params = []
        if arg:
            head, sep, rest = arg.partition(">")
            if sep:
                kept = []
                for p in rest.split():
                    params.append(p)
                    if p.split("=", 1)[0].upper() in KNOWN_MAIL_PARAMS:
                        kept.append(p)
                arg = head + ">" + ("" if not kept else " " + " ".join(kept))
        self.session.standin_mail_params = params
        await super().smtp_MAIL(arg)
        await self._after()

    @syntax("RCPT TO: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_RCPT(self, arg):
        if await self.gate("rcpt"):
            return await self._after()
        if arg:
            head, sep, _rest = arg.partition(">")
            if sep:
                arg = head + ">"
        await super().smtp_RCPT(arg)
        await self._after()

    @syntax("DATA")
    async def smtp_DATA(self, arg):
        if self.cfg.tls_first and not self._tls_protocol:
            await self.push("530 5.7.0 Must issue a STARTTLS command first.")
            return
        await super().smtp_DATA(arg)
        await self._after()


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", required=True, choices=sorted(PROFILES))
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--hostname", default="smarthost.test")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--no-starttls", action="store_true")
    ap.add_argument("--user", action="append", default=[])
    ap.add_argument("--account-password", action="append", default=[])
    ap.add_argument("--alias", action="append", default=[])
    ap.add_argument("--client", action="append", default=[])
    ap.add_argument("--domain", action="append", default=[])
    ap.add_argument("--verified", action="append", default=[])
    ap.add_argument("--account-domain")
    ap.add_argument("--verify-from", choices=("envelope", "header"), default="envelope")
    ap.add_argument("--noauth-reply")
    ap.add_argument("--trusted-client", action="append", default=[])
    return ap.parse_args(argv)


async def serve(a):
    cfg = Config(a)
    rec = Recorder(a.dir)
    handler = Handler(cfg, rec)
    host, _, port = a.listen.rpartition(":")
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: StandIn(handler, cfg, rec, a.listen), host, int(port),
        reuse_address=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    rec.event(event="listening", listen=a.listen, profile=a.profile)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main(argv):
    a = parse_args(argv[1:])
    if bool(a.cert) != bool(a.key):
        sys.stderr.write("smarthost: --cert and --key go together\n")
        return 2
    asyncio.run(serve(a))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
