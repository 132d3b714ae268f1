#!/usr/bin/python3
"""matrix.py - the DMARC agreement matrix of tests/dmarcworld: the
domains' DNS records and one row per message, each with the verdict the
recipient MX must reach, written from RFC 7489 (not from any program) and
saying why.

CONTRACT (data, imported by tests/dmarcworld/run)
  DOMAINS {domain: {"spf": TXT or None, "dmarc": TXT or None (at
           _dmarc.<domain>), "keys": [(selector, published)]}}: every
           domain also gets an MX (mx.remote.test), so sendmail accepts it
           as a sender domain; a key not published is made (the provider
           signs with it) but its TXT record is left out of DNS.
  ACCOUNTS {stand-in: [(account, password)]}: the AUTH users each stand-in
           accepts (a row switches the authinfo entry to its account).
  ROWS     [{"id", "relay" (stand-in), "account" (authinfo I: or None),
           "conf" {relaymilter options: the user's set-up as relaymilter
           is told it, e.g. AllowedSenders for Gmail's verified aliases,
           RelayDKIM where DKIM is on at the provider, RelayBounceDomain
           for SendGrid's authenticated return path, DMARCDomains for a
           From: domain no rewrite produces}, "provider" {provider.json},
           "env" (the sender given to sendmail -f), "from" (From: header),
           "expect" {"dmarc", "policy"}, "why", "opendmarc_deviates": None or
           {"dmarc", "policy", "why"}: what OpenDMARC says instead where it is
           known to be wrong (OPENDMARC_STRICT_BUG)}]
RFC 7489 reading used for "expect" (sections):
  - DMARC passes when SPF passes for the MAIL FROM domain and that domain is
    aligned with the From: domain, or a DKIM signature passes with d=
    aligned (4.2, 3.1): relaxed = same Organizational Domain (3.2, the PSL),
    strict = the same name (3.1.1, 3.1.2); aspf/adkim default r (6.3).
  - Policy discovery (6.6.3): _dmarc.<From domain>; if there is none,
    _dmarc.<Organizational Domain>; a record found at the organizational
    domain for a subdomain From: applies sp= (p= when sp is absent, 6.3);
    no record: no DMARC (result "none").
  - The policy named is the one the receiver applies to this message:
    p= (or sp=) of the record used; "none" when no record exists (what
    opendmarc writes as "p=none" then).
Provider behaviour (envelope, From:, DKIM d=) is provider.py's, with its
sources; the egress addresses are world.EGRESS (Google 209.85.220.41 in
_spf.google.com, SendGrid 149.72.120.130 in sendgrid.net, the local relay
203.0.113.25).
"""

GOOGLE_INC = "v=spf1 include:_spf.google.com ~all"
LOCAL_IP = "ip4:203.0.113.25"

DOMAINS = {
    # verified "Send mail as" aliases of the Gmail consumer account
    "alias-reject.org": {"spf": "v=spf1 ip4:192.0.2.0/24 -all", "dmarc": "v=DMARC1; p=reject"},
    "alias-quar.org": {"spf": "v=spf1 -all",
                       "dmarc": "v=DMARC1; p=quarantine; adkim=r; aspf=r"},
    "alias-nodmarc.org": {"spf": "v=spf1 -all", "dmarc": None},
    "alias-sp.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=none; sp=reject"},
    "mail.alias-sp.org": {"spf": None, "dmarc": None},
    "noalias-reject.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject"},
    # Google Workspace domains (accounts alerts@<domain> on smtp.gmail.com)
    "ws-full.org": {"spf": GOOGLE_INC, "dmarc": "v=DMARC1; p=reject",
                    "keys": [("google", True)]},
    "ws-nospf.org": {"spf": "v=spf1 mx -all", "dmarc": "v=DMARC1; p=reject",
                     "keys": [("google", True)]},
    "ws-nodkim.org": {"spf": GOOGLE_INC, "dmarc": "v=DMARC1; p=quarantine"},
    "ws-none.org": {"spf": "v=spf1 ip4:203.0.113.0/24 -all", "dmarc": "v=DMARC1; p=reject"},
    "ws-nokey.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=quarantine",
                     "keys": [("google", False)]},
    "ws-strict.org": {"spf": GOOGLE_INC,
                      "dmarc": "v=DMARC1; p=reject; sp=quarantine; aspf=s; adkim=r",
                      "keys": [("google", True)]},
    "app.ws-strict.org": {"spf": None, "dmarc": None},
    "ws-strict2.org": {"spf": GOOGLE_INC,
                       "dmarc": "v=DMARC1; p=reject; sp=quarantine; aspf=s; adkim=s",
                       "keys": [("google", True)]},
    "app.ws-strict2.org": {"spf": None, "dmarc": None},
    "ws-relaxed.org": {"spf": GOOGLE_INC, "dmarc": "v=DMARC1; p=reject; aspf=r; adkim=s"},
    "app.ws-relaxed.org": {"spf": None, "dmarc": None},
    "ws-relay.org": {"spf": GOOGLE_INC, "dmarc": "v=DMARC1; p=reject"},
    # SendGrid customers; em1234.<domain> is the authenticated return path
    "sg-plain.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": "v=DMARC1; p=reject"},
    "sg-auth.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject",
                    "keys": [("s1", True)]},
    "em1234.sg-auth.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": None},
    "sg-strict.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=quarantine; aspf=s",
                      "keys": [("s1", True)]},
    "em1234.sg-strict.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": None},
    "sg-strict2.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=quarantine; aspf=s",
                       "keys": [("s1", False)]},
    "em1234.sg-strict2.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": None},
    "sg-relaxed.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject; aspf=r",
                       "keys": [("s1", False)]},
    "em1234.sg-relaxed.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": None},
    "sg-noem.org": {"spf": "v=spf1 include:sendgrid.net -all", "dmarc": "v=DMARC1; p=none",
                    "keys": [("s1", False)]},
    "em1234.sg-noem.org": {"spf": None, "dmarc": None},
    # a local relay (its egress 203.0.113.25), accounts outbound@<domain>
    "lr-spf.org": {"spf": "v=spf1 %s -all" % LOCAL_IP, "dmarc": "v=DMARC1; p=reject"},
    "lr-other.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject"},
    "lr-nodmarc.org": {"spf": "v=spf1 %s -all" % LOCAL_IP, "dmarc": None},
    "lr-nospf.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=none"},
    "lr-dkim.org": {"spf": "v=spf1 -all", "dmarc": "v=DMARC1; p=reject",
                    "keys": [("mail", True)]},
}

GMAIL = "relay.account@gmail.com"
GMAIL_PW = "abcd efgh ijkl mnop"
WS_PW = "wxyz wxyz wxyz wxyz"
LR_PW = "james-secret"
WS_DOMAINS = ["ws-full.org", "ws-nospf.org", "ws-nodkim.org", "ws-none.org", "ws-nokey.org",
              "ws-strict.org", "ws-strict2.org", "ws-relaxed.org"]
LR_DOMAINS = ["lr-spf.org", "lr-nodmarc.org", "lr-nospf.org", "lr-dkim.org"]
ACCOUNTS = {
    "gmail": [(GMAIL, GMAIL_PW)] + [("alerts@" + d, WS_PW) for d in WS_DOMAINS],
    "local-relay": [("outbound@" + d, LR_PW) for d in LR_DOMAINS],
}
# Gmail's verified "Send mail as" aliases of the consumer account
GMAIL_ALIASES = ["billing@alias-reject.org", "billing@alias-quar.org",
                 "billing@alias-nodmarc.org", "billing@mail.alias-sp.org"]

# relaymilter's SPFRelayAddress per relay: the egress the receiver sees
RELAY_IP = {"gmail": "google", "generic": "149.72.120.130", "local-relay": "203.0.113.25",
            "workspace": "google"}
# relaymilter's RelayProfile per stand-in (their .test names are no
# provider's, so "auto" would not recognise them)
RELAY_PROFILE = {"gmail": "gmail", "workspace": "workspace-relay", "generic": "sendgrid",
                 "local-relay": "passthrough"}


def consumer():
    return {"provider": "gmail", "kind": "consumer", "aliases": GMAIL_ALIASES}


def workspace(domain, dkim=True, aliases=()):
    return {"provider": "gmail", "kind": "workspace", "aliases": list(aliases),
            "dkim_domains": {domain: "google"} if dkim else {}}


def sendgrid(*authenticated):
    return {"provider": "sendgrid",
            "authenticated": {d: {"return_path": "em1234", "selector": "s1"}
                              for d in authenticated}}


def sendgrid_conf(domain):
    """relaymilter's settings for a domain authenticated at SendGrid (the
    stand-in's sendgrid(domain)): its return path and its signature."""
    return {"DMARCDomains": domain, "RelayBounceDomain": "em1234." + domain,
            "RelayDKIM": domain}


def row(id, relay, account, rewrite, env, from_, provider, dmarc, policy, why, known=None,
        **conf):
    c = {"RewriteHeaderFrom": rewrite}
    c.update(conf)
    return {"id": id, "relay": relay, "account": account, "conf": c, "provider": provider,
            "env": env, "from": from_, "expect": {"dmarc": dmarc, "policy": policy},
            "why": why, "opendmarc_deviates": known}


# OpenDMARC 1.4.2 (Debian 12) and its master up to bf37d53: in strict mode
# opendmarc_policy_check_alignment(From domain, identifier, mode) reduces the
# identifier (SPF MAIL FROM domain, DKIM d=) to its organizational domain and
# returns "aligned" when that equals the From: domain ("Perfect match is
# aligned irrespective of relaxed or strict"). So aspf=s / adkim=s pass for
# From: example.org with an identifier in a subdomain of it, where RFC 7489
# 3.1.1/3.1.2 demands the same name. OpenDMARC is wrong here; reported as
# trusteddomainproject/OpenDMARC#268, fixed upstream by PR #354 (2026),
# after 1.4.2. The matrix expects the RFC verdict; a row naming this
# deviation accepts OpenDMARC's documented wrong one instead, and fails
# once OpenDMARC gives the RFC verdict (then the note must go).
OPENDMARC_STRICT_BUG = (
    "OpenDMARC 1.4.2 bug: strict alignment passes when the From: domain is the "
    "organizational domain of the identifier (opendmarc_policy_check_alignment; "
    "OpenDMARC#268, fixed by PR #354 after 1.4.2)")


ROWS = [
    # ---- smtp.gmail.com, a consumer account (envelope and DKIM gmail.com)
    row("G01", "gmail", GMAIL, "no", GMAIL, "Relay Account <%s>" % GMAIL, consumer(),
        "pass", "none",
        "From: is the account: SPF passes for gmail.com at the Google egress, aligned; "
        "DKIM d=gmail.com aligned -> pass (gmail.com p=none)"),
    row("G02", "gmail", GMAIL, "no", "alerts@noalias-reject.org",
        "Alerts <alerts@noalias-reject.org>", consumer(), "pass", "none",
        "From: is no verified alias: Gmail replaces it with the account (old value in "
        "X-Google-Original-From), so From: gmail.com; SPF and DKIM gmail.com aligned -> "
        "pass under gmail.com's p=none (noalias-reject.org's p=reject is never consulted)"),
    row("G03", "gmail", GMAIL, "no", "billing@alias-reject.org",
        "Billing <billing@alias-reject.org>", consumer(), "fail", "reject",
        "verified alias, From: kept: SPF passes for gmail.com (envelope = account) but "
        "gmail.com is not alias-reject.org; DKIM d=gmail.com not aligned -> fail, p=reject "
        "(the 550 5.7.26 case)", AllowedSenders="billing@alias-reject.org"),
    row("G04", "gmail", GMAIL, "yes", "billing@alias-reject.org",
        "Billing <billing@alias-reject.org>", consumer(), "pass", "none",
        "as G03 with RewriteHeaderFrom yes: relaymilter rewrites From: to the account "
        "gmail.com; SPF and DKIM aligned -> pass (gmail.com p=none)"),
    row("G05", "gmail", GMAIL, "no", "billing@alias-quar.org",
        "Billing <billing@alias-quar.org>", consumer(), "fail", "quarantine",
        "verified alias in alias-quar.org: envelope and DKIM are gmail.com, neither "
        "aligned -> fail, p=quarantine", AllowedSenders="billing@alias-quar.org"),
    row("G06", "gmail", GMAIL, "no", "billing@alias-nodmarc.org",
        "Billing <billing@alias-nodmarc.org>", consumer(), "none", "none",
        "verified alias in a domain without any DMARC record (nor at its organizational "
        "domain, itself) -> none", AllowedSenders="billing@alias-nodmarc.org"),
    row("G07", "gmail", GMAIL, "no", "billing@mail.alias-sp.org",
        "Billing <billing@mail.alias-sp.org>", consumer(), "fail", "reject",
        "alias in a subdomain with no record of its own: the record of the organizational "
        "domain alias-sp.org applies with sp=reject; gmail.com aligns with neither -> fail, "
        "policy reject (sp)", AllowedSenders="billing@mail.alias-sp.org"),
    row("G08", "gmail", GMAIL, "unaligned", "billing@alias-quar.org",
        "Billing <billing@alias-quar.org>", consumer(), "pass", "none",
        "as G05 with RewriteHeaderFrom unaligned: alias-quar.org is not aligned with the "
        "envelope gmail.com, so relaymilter rewrites From: to the account -> pass "
        "(gmail.com p=none)"),
    # ---- smtp.gmail.com, Google Workspace accounts
    row("W01", "gmail", "alerts@ws-full.org", "no", "alerts@ws-full.org",
        "Alerts <alerts@ws-full.org>", workspace("ws-full.org"), "pass", "reject",
        "Workspace, DKIM on: SPF passes for ws-full.org (include:_spf.google.com) aligned, "
        "DKIM d=ws-full.org aligned -> pass (p=reject)", RelayDKIM="account"),
    row("W02", "gmail", "alerts@ws-nospf.org", "no", "alerts@ws-nospf.org",
        "Alerts <alerts@ws-nospf.org>", workspace("ws-nospf.org"), "pass", "reject",
        "SPF of ws-nospf.org lacks Google (fail at 209.85.220.41), but DKIM d=ws-nospf.org "
        "passes aligned -> pass (p=reject)", RelayDKIM="account"),
    row("W03", "gmail", "alerts@ws-nodkim.org", "no", "alerts@ws-nodkim.org",
        "Alerts <alerts@ws-nodkim.org>", workspace("ws-nodkim.org", dkim=False), "pass",
        "quarantine",
        "DKIM off: Google signs d=ws-nodkim-org.20230601.gappssmtp.com (not aligned), but "
        "SPF passes for ws-nodkim.org aligned -> pass (p=quarantine)"),
    row("W04", "gmail", "alerts@ws-none.org", "no", "alerts@ws-none.org",
        "Alerts <alerts@ws-none.org>", workspace("ws-none.org", dkim=False), "fail", "reject",
        "DKIM off (gappssmtp.com, not aligned) and SPF of ws-none.org without Google (fail) "
        "-> fail, p=reject"),
    row("W05", "gmail", "alerts@ws-nokey.org", "no", "alerts@ws-nokey.org",
        "Alerts <alerts@ws-nokey.org>", workspace("ws-nokey.org"), "fail", "quarantine",
        "DKIM on at Google but google._domainkey.ws-nokey.org not published: the signature "
        "cannot verify; SPF without Google fails -> fail, p=quarantine", RelayDKIM="account"),
    row("W06", "gmail", "alerts@ws-strict.org", "no", "alerts@ws-strict.org",
        "Alerts <alerts@app.ws-strict.org>",
        workspace("ws-strict.org", aliases=["alerts@app.ws-strict.org"]), "pass", "quarantine",
        "From: a verified alias in app.ws-strict.org, record only at ws-strict.org (sp="
        "quarantine, aspf=s, adkim=r): SPF passes for ws-strict.org but strict alignment "
        "needs app.ws-strict.org; DKIM d=ws-strict.org aligns relaxed -> pass, policy "
        "quarantine (sp)", AllowedSenders="alerts@app.ws-strict.org", RelayDKIM="account"),
    row("W07", "gmail", "alerts@ws-strict2.org", "no", "alerts@ws-strict2.org",
        "Alerts <alerts@app.ws-strict2.org>",
        workspace("ws-strict2.org", aliases=["alerts@app.ws-strict2.org"]), "fail",
        "quarantine",
        "as W06 with adkim=s: neither SPF (ws-strict2.org) nor DKIM (d=ws-strict2.org) is "
        "the From: name app.ws-strict2.org -> fail, policy quarantine (sp)",
        AllowedSenders="alerts@app.ws-strict2.org", RelayDKIM="account"),
    row("W08", "gmail", "alerts@ws-relaxed.org", "no", "alerts@ws-relaxed.org",
        "Alerts <alerts@app.ws-relaxed.org>",
        workspace("ws-relaxed.org", dkim=False, aliases=["alerts@app.ws-relaxed.org"]),
        "pass", "reject",
        "subdomain alias, DKIM off (gappssmtp.com), aspf=r: SPF passes for ws-relaxed.org, "
        "the same organizational domain as app.ws-relaxed.org -> pass; no sp, so p=reject "
        "applies to the subdomain", AllowedSenders="alerts@app.ws-relaxed.org"),
    # ---- smtp-relay.gmail.com (Workspace SMTP relay, IP-registered, no AUTH)
    row("R01", "workspace", None, "yes", "root@mta.test", "Cron Daemon <root@mta.test>",
        {"provider": "gmail-relay"}, "pass", "reject",
        "relaymilter rewrites envelope (RelayAccount) and From: to alerts@ws-relay.org; the "
        "relay keeps both; SPF passes for ws-relay.org at the Google egress, aligned "
        "(DKIM gappssmtp.com is not) -> pass (p=reject)",
        RelayAccount="alerts@ws-relay.org"),
    row("R02", "workspace", None, "no", "root@mta.test", "Cron Daemon <root@mta.test>",
        {"provider": "gmail-relay"}, "none", "none",
        "From: root@mta.test kept (RewriteHeaderFrom no): mta.test publishes no DMARC "
        "record -> none, whatever SPF says for ws-relay.org",
        RelayAccount="alerts@ws-relay.org"),
    # ---- SendGrid (envelope and DKIM by SendGrid)
    row("S01", "generic", None, "no", "news@sg-plain.org", "News <news@sg-plain.org>",
        sendgrid(), "fail", "reject",
        "domain not authenticated at SendGrid: envelope @sendgrid.net (SPF passes, not "
        "aligned), DKIM d=sendgrid.net (not aligned); the include:sendgrid.net in "
        "sg-plain.org's SPF is never used -> fail, p=reject", DMARCDomains="sg-plain.org"),
    row("S02", "generic", None, "no", "news@sg-auth.org", "News <news@sg-auth.org>",
        sendgrid("sg-auth.org"), "pass", "reject",
        "authenticated: envelope em1234.sg-auth.org (SPF include:sendgrid.net passes, "
        "relaxed aligned) and DKIM d=sg-auth.org aligned -> pass (p=reject)",
        **sendgrid_conf("sg-auth.org")),
    row("S03", "generic", None, "no", "news@sg-strict.org", "News <news@sg-strict.org>",
        sendgrid("sg-strict.org"), "pass", "quarantine",
        "authenticated, aspf=s: em1234.sg-strict.org is not sg-strict.org (SPF not aligned "
        "strictly), DKIM d=sg-strict.org aligned -> pass (p=quarantine)",
        **sendgrid_conf("sg-strict.org")),
    row("S04", "generic", None, "no", "news@sg-strict2.org", "News <news@sg-strict2.org>",
        sendgrid("sg-strict2.org"), "fail", "quarantine",
        "authenticated, aspf=s, DKIM key s1._domainkey not published: the signature fails "
        "and SPF (em1234.sg-strict2.org) is not strictly aligned -> fail, p=quarantine",
        known={"dmarc": "pass", "policy": "quarantine", "why": OPENDMARC_STRICT_BUG},
        **sendgrid_conf("sg-strict2.org")),
    row("S05", "generic", None, "no", "news@sg-relaxed.org", "News <news@sg-relaxed.org>",
        sendgrid("sg-relaxed.org"), "pass", "reject",
        "authenticated, DKIM key not published (fails), aspf=r: SPF passes for "
        "em1234.sg-relaxed.org, relaxed aligned with sg-relaxed.org -> pass (p=reject)",
        **sendgrid_conf("sg-relaxed.org")),
    row("S06", "generic", None, "no", "news@sg-noem.org", "News <news@sg-noem.org>",
        sendgrid("sg-noem.org"), "fail", "none",
        "authenticated at SendGrid but em1234.sg-noem.org (it resolves: an MX) has no SPF "
        "record (SPF none) and "
        "the DKIM key is not published -> fail, p=none", **sendgrid_conf("sg-noem.org")),
    # ---- a local relay (passes our envelope and From: through)
    row("L01", "local-relay", "outbound@lr-spf.org", "unaligned", "root@mta.test",
        "Cron Daemon <root@mta.test>", {"provider": "passthrough"}, "pass", "reject",
        "relaymilter rewrites envelope and (unaligned) From: to outbound@lr-spf.org; the "
        "relay's egress 203.0.113.25 is in lr-spf.org's SPF, aligned -> pass (p=reject)"),
    row("L02", "local-relay", "outbound@lr-spf.org", "no", "noreply@lr-other.org",
        "No Reply <noreply@lr-other.org>", {"provider": "passthrough"}, "fail", "reject",
        "envelope rewritten to outbound@lr-spf.org (SPF passes), From: lr-other.org kept "
        "(RewriteHeaderFrom no): not aligned, no DKIM -> fail, lr-other.org's p=reject",
        DMARCDomains="lr-other.org"),
    row("L03", "local-relay", "outbound@lr-nodmarc.org", "no", "outbound@lr-nodmarc.org",
        "Outbound <outbound@lr-nodmarc.org>", {"provider": "passthrough"}, "none", "none",
        "no DMARC record for lr-nodmarc.org -> none (SPF would pass)"),
    row("L04", "local-relay", "outbound@lr-nospf.org", "no", "outbound@lr-nospf.org",
        "Outbound <outbound@lr-nospf.org>", {"provider": "passthrough"}, "fail", "none",
        "SPF of lr-nospf.org is -all without the relay's address (fail), no DKIM -> fail, "
        "p=none"),
    row("L05", "local-relay", "outbound@lr-dkim.org", "no", "outbound@lr-dkim.org",
        "Outbound <outbound@lr-dkim.org>",
        {"provider": "passthrough", "dkim": {"domain": "lr-dkim.org", "selector": "mail"}},
        "pass", "reject",
        "a local DKIM signer after relaymilter signs d=lr-dkim.org: aligned pass although "
        "SPF (-all) fails -> pass (p=reject)", RelayDKIM="lr-dkim.org:mail"),
]
