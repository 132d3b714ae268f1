/*
 * causes.c - the one table of relay failure causes, their fixes and matchers
 *
 * CONTRACT
 *	See causes.h. causes[] below is the only place where a cause
 *	is named, described and given a fix; each entry also carries the
 *	rules that recognise it. Ids are stable tokens: once published they
 *	are never renamed (tools, alerts and dashboards key on them).
 *
 *	A rule is a conjunction of optional constraints: SMTP reply code
 *	(exact "534" or class "4xx"), enhanced status code (exact), text
 *	alternatives ("a|b", case-insensitive substrings of the reply, the
 *	stat= text or the extra evidence), relay port, phase and flags: the
 *	facts a caller found around the line (no connection tried, the port
 *	dead or working elsewhere, the relay account's domain delivered
 *	locally, a failure at all) and a relay named by a number. Each
 *	satisfied constraint adds to the rule's score (codes weigh most, a
 *	recognised set-up trap or a cached status more); the entry with the
 *	best scoring rule wins, ties go to the earlier entry. A failure that
 *	nothing else names is "unexplained". An entry may carry fixes for a
 *	set-up (CAUSE_SETUP_*), chosen by cause_fix(). Nothing here
 *	allocates, logs or keeps state.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "causes.h"
#include "util.h"

#define RULES_MAX	8

/* rule flags */
#define R_LOCAL		0x01	/* relay_host is this machine (loopback) */
#define R_CACHED	0x02	/* input flag CAUSE_F_CACHED is set */
#define R_NOCODE	0x04	/* no SMTP reply code is known */
#define R_PORT_DEAD	0x08	/* input flag CAUSE_F_PORT_DEAD is set */
#define R_OTHERS_OK	0x10	/* input flag CAUSE_F_OTHERS_OK is set */
#define R_LOCAL_DOMAIN	0x20	/* input flag CAUSE_F_LOCAL_DOMAIN is set */
#define R_FAILED	0x40	/* input flag CAUSE_F_FAILED: the fallback */
#define R_RELAY_PORT	0x80	/* relay_host is a number: a port taken for
				 * a host */

/* scores of satisfied constraints */
#define S_CODE		8
#define S_CODECLASS	2
#define S_ESC		8
#define S_TEXT		6
#define S_PORT		3
#define S_PHASE		2
#define S_LOCAL		3
#define S_CACHED	25
#define S_EVIDENCE	10	/* what the log shows around the line */
#define S_TRAP		25	/* a set-up trap the tracer recognised */
#define S_FALLBACK	1

struct cause_rule {
	const char	*code;	/* "534" or "4xx", NULL: any */
	const char	*esc;	/* "5.7.9", NULL: any */
	const char	*text;	/* "a|b" alternatives, NULL: any */
	unsigned	 port;	/* relay port, 0: any */
	enum cause_phase phase;	/* required phase, ANY: any */
	unsigned	 flags;	/* R_* */
};

struct cause_entry {
	struct cause		c;
	struct cause_rule	r[RULES_MAX];
};

/* A fix of cause `id` for a set-up: used when every CAUSE_SETUP_* bit of
 * `when` is in what the caller knows (cause_fix); the first that fits. */
struct cause_fixvar {
	const char	*id;
	unsigned	 when;
	const char	*fix;
};

#define C(id, sev, ph, sum, fix)	{ id, CAUSE_##sev, CAUSE_PHASE_##ph, sum, fix }
#define CODE(c, e)			{ c, e, NULL, 0, CAUSE_PHASE_ANY, 0 }
#define CTXT(c, e, t)			{ c, e, t, 0, CAUSE_PHASE_ANY, 0 }
#define TXT(t)				{ NULL, NULL, t, 0, CAUSE_PHASE_ANY, 0 }
#define POLICY(t)			{ NULL, NULL, t, 0, CAUSE_PHASE_POLICY, 0 }
#define FLAGS(f)			{ NULL, NULL, NULL, 0, CAUSE_PHASE_ANY, f }
#define TXTF(t, f)			{ NULL, NULL, t, 0, CAUSE_PHASE_ANY, f }

#define TIMED_OUT	"Connection timed out|connect timed out|" \
			"timed out while connecting"
#define SMARTHOST_587 \
	"relay through a smarthost on port 587 with STARTTLS: " \
	"define(`SMART_HOST', `[smtp.example.com]') and " \
	"define(`RELAY_MAILER_ARGS', `TCP $h 587') in sendmail.mc, " \
	"FEATURE(`authinfo') with an AuthInfo:smtp.example.com line in " \
	"/etc/mail/authinfo (makemap hash), rebuild sendmail.cf " \
	"(make -C /etc/mail), restart sendmail"

#define GMAIL_AUTHINFO \
	"/etc/mail/authinfo (AuthInfo:<relay> \"U:root\" \"I:<account>\" " \
	"\"P:<app password>\" \"M:PLAIN LOGIN\"), rebuild it with " \
	"`makemap hash /etc/mail/authinfo < /etc/mail/authinfo`"

static const struct cause_entry causes[] = {
/* ---- the message's fate: sendmail gave up or warned ---- */
{ C("queue-lifetime", ERROR, LOCAL,
    "sendmail gave up after the queue lifetime (Timeout.queuereturn, 5 days "
    "by default) and returned the mail",
    "Fix the cause of the earlier deferrals (see the attempts); the sender "
    "got a bounce and must send again"),
  { CODE(NULL, "4.4.7"),
    CODE(NULL, "5.4.7"),
    TXT("Cannot send message for|could not be delivered for|"
        "delivery time expired") } },

{ C("delay-warning", INFO, LOCAL,
    "sendmail warned the sender that the mail is still queued "
    "(Timeout.queuewarn, 4 hours by default)",
    "Nothing yet: fix the cause of the deferrals before the queue lifetime "
    "runs out"),
  { TXT("Warning: could not send message for past") } },

/* ---- the smarthost login: STARTTLS and AUTH ---- */
{ C("starttls-required", ERROR, TLS,
    "The relay wants STARTTLS before MAIL or AUTH, and sendmail spoke to it "
    "in clear text",
    "Make sendmail use STARTTLS to the relay: a STARTTLS build with "
    "confCACERT_PATH set, relay on port 587 (RELAY_MAILER_ARGS `TCP $h 587'); "
    "check the STARTTLS=client line for a handshake error"),
  { CTXT("530", "5.7.0", "STARTTLS"),
    CTXT("421", "4.7.0", "TLS required"),
    TXT("Must issue a STARTTLS command first|TLS required for RCPT") } },

{ C("auth-required", ERROR, AUTH,
    "The relay refused MAIL because sendmail did not authenticate (after a "
    "rejected AUTH sendmail goes on without it, so the mail bounces)",
    "Check " GMAIL_AUTHINFO " (SendGrid: \"I:apikey\" \"P:<API key>\"), "
    "allow PLAIN LOGIN in confAUTH_MECHANISMS and install "
    "libsasl2-modules; the bounce's transcript shows the AUTH reply"),
  { CTXT("530", "5.7.0", "Authentication Required|WantAuthError"),
    CTXT("530", NULL, "authentication required|not authenticated"),
    /* SendGrid, when no AUTH was sent (docs.sendgrid.com, SMTP errors) */
    CTXT("550", NULL, "Unauthenticated senders not allowed"),
    CTXT("554", "5.7.0", "Too many unauthenticated commands"),
    TXT("p=WantAuthError|Unauthenticated senders not allowed") } },

{ C("auth-app-password", ERROR, AUTH,
    "The Google account has 2-step verification: the relay wants an app "
    "password, not the account password",
    "Create an app password (Google Account > Security > App passwords), "
    "put it in the P: field of /etc/mail/authinfo, rebuild with makemap, "
    "then run sendmail -q"),
  { CTXT("534", "5.7.9", "Application-specific password|InvalidSecondFactor"),
    CODE("534", "5.7.9"),
    TXT("Application-specific password required|p=InvalidSecondFactor") } },

{ C("auth-web-login", ERROR, AUTH,
    "Google blocked the sign-in as suspicious and wants an interactive "
    "login first",
    "Sign in to the account in a browser from this server's public IP (or "
    "confirm the attempt under Security > Recent activity), use an app "
    "password, then run sendmail -q"),
  { CODE("534", "5.7.14"),
    CTXT("534", "5.7.9", "web browser|WebLoginRequired"),
    TXT("log in via your web browser|log in with your web browser|"
        "log in through your web browser|p=WebLoginRequired") } },

{ C("auth-bad-credentials", ERROR, AUTH,
    "The relay rejected the user name or the password",
    "Put the full account address in I: and a current app password in P: "
    "of /etc/mail/authinfo, rebuild with makemap, run sendmail -q (a revoked "
    "app password gives the same reply)"),
  { CODE("535", "5.7.8"),
    CODE("535", "5.7.3"),
    CTXT("535", NULL, NULL),
    TXT("Username and Password not accepted|p=BadCredentials|"
        "Authentication unsuccessful|authentication failed") } },

{ C("auth-mechanism", ERROR, AUTH,
    "sendmail and the relay share no AUTH mechanism (sendmail's default list "
    "lacks PLAIN and LOGIN, or the SASL modules are missing)",
    "Add PLAIN LOGIN to confAUTH_MECHANISMS (or \"M:PLAIN LOGIN\" in "
    "authinfo) and install libsasl2-modules; Gmail no longer accepts XOAUTH"),
  { CODE("504", "5.7.4"),
    TXT("Unrecognized authentication type|XOAUTH is no longer supported|"
        "do not fulfill requirements|No worthy mechs") } },

{ C("auth-rate-limit", WARN, AUTH,
    "Too many login attempts: the relay throttles logins (often a retry loop "
    "with a wrong password)",
    "Fix the credentials first, then let the queue retry slowly (no "
    "sendmail -q loops); sendmail defers with \"Temporary AUTH failure\" "
    "meanwhile"),
  { CTXT("454", "4.7.0", "Too many login attempts"),
    TXT("Too many login attempts") } },

{ C("authinfo-broken", ERROR, LOCAL,
    "sendmail could not use the authinfo entry for the relay (bad syntax or "
    "base64)",
    "Write the entry as AuthInfo:<relay> \"U:root\" \"I:<account>\" "
    "\"P:<password>\" (P= means base64), rebuild with makemap hash"),
  { TXT("authinfo failed") } },

{ C("auth-temporary", WARN, AUTH,
    "AUTH failed temporarily (a 4xx reply to AUTH or an aborted AUTH "
    "dialogue), so sendmail deferred the mail",
    "Usually transient; if it repeats, set LogLevel 10 to see the "
    "AUTH=client lines and check the account and mechanisms in authinfo"),
  { CODE("454", "4.7.0"),
    TXT("Temporary AUTH failure|temporary failure, connection abort|"
        "Cannot authenticate due to a temporary system problem") } },


{ C("auth-identity-change", ERROR, AUTH,
    "The relay refused a second AUTH in the same session",
    "A client or proxy bug: make sure one AUTH is sent per session; update "
    "sendmail and remove wrappers in front of the relay"),
  { CTXT("503", "5.7.0", "identity changes"),
    TXT("No identity changes permitted") } },

{ C("basic-auth-disabled", ERROR, AUTH,
    "Microsoft 365 refused SMTP AUTH with a password: basic authentication "
    "is turned off for the tenant or the mailbox (535 5.7.139, 550 5.7.30; "
    "530 5.7.57 is the MAIL that follows without AUTH); Microsoft turns it "
    "off by default at the end of December 2026",
    "Send through an IP-authenticated connector to the tenant's MX "
    "(SMART_HOST `[<tenant>.mail.protection.outlook.com]' on port 25, "
    "this server's public IP in the connector) or use OAuth2 (XOAUTH2 "
    "through a SASL plugin); turning Authenticated SMTP on for the mailbox "
    "works only while Microsoft still offers it"),
  { CODE("535", "5.7.139"),
    CTXT("550", "5.7.30", "Basic authentication"),
    CODE("530", "5.7.57"),
    CTXT("530", NULL, "Client not authenticated to send mail"),
    TXT("SmtpClientAuthentication is disabled|"
        "Basic authentication is not supported|security defaults policy") } },

{ C("sendas-denied", ERROR, DATA,
    "Microsoft 365 refused the sender: the authenticated mailbox may not "
    "send as that address",
    "Send as the authenticated mailbox (relaymilter rewrites the envelope "
    "to the account) or grant Send As permission for that address in "
    "Exchange"),
  { CODE("554", "5.2.252"),
    CTXT("554", "5.2.0", "STOREDRV.Submission"),
    TXT("SendAsDenied") } },

{ C("sender-identity-unverified", ERROR, MAIL,
    "The relay only accepts verified sender identities and this sender is "
    "not one (SendGrid, Amazon SES)",
    "Verify the sender address or domain at the provider, or map senders to "
    "a verified address with relaymilter's SenderMap"),
  { TXT("does not match a verified Sender Identity|"
        "Email address is not verified") } },

/* ---- relay permission and quotas ---- */
{ C("account-suspended", ERROR, MAIL,
    "The provider suspended the sending account (Google: \"temporarily "
    "suspended due to abuse\")",
    "Look for what sent spam through the account (a compromised sender, a "
    "form), stop it, then follow the provider's appeal process; the queue "
    "retries meanwhile"),
  { CTXT("550", "5.7.0", "suspended due to abuse"),
    TXT("account has been temporarily suspended|suspended due to abuse") } },

{ C("relay-denied", ERROR, RCPT,
    "The relay refused to relay for this server (IP not registered, or no "
    "AUTH)",
    "Workspace: add this server's public IP under Gmail > Routing > SMTP "
    "relay service or require SMTP AUTH there; other relays: authenticate "
    "(authinfo) or have the IP allowed"),
  { CTXT("550", "5.7.0", "relay denied"),
    CTXT("554", "5.7.1", "Relay"),
    TXT("Relaying denied|Relay access denied|relay not permitted|"
        "Email relay denied|not permitted to relay|Email sending denied") } },


{ C("relay-sender-domain", ERROR, MAIL,
    "smtp-relay.gmail.com refused the envelope sender: its domain is not a "
    "domain of the registered IP's Workspace account (or it is empty)",
    "Send with an envelope sender in your Workspace domain (relaymilter "
    "SenderMap/RelayAccount), present your domain in HELO, or enable SMTP "
    "AUTH in the relay settings"),
  { CTXT("550", "5.7.1", "Invalid credentials for relay"),
    TXT("Invalid credentials for relay") } },

{ C("quota-user-daily", ERROR, MAIL,
    "The account hit its daily sending limit (Gmail about 500 recipients a "
    "day, Workspace 2,000 messages, relay service 10,000)",
    "Wait up to 24 hours (the queue retries), spread mail over several "
    "accounts, or send bulk mail through a service made for it"),
  { CODE("550", "5.4.5"),
    CODE(NULL, "5.4.5"),
    TXT("Daily user sending limit exceeded|"
        "Daily SMTP relay limit exceeded for user|sending limit exceeded") } },

{ C("quota-customer", ERROR, MAIL,
    "The Workspace organisation hit its SMTP relay limit (daily total or "
    "peak rate)",
    "Throttle the senders (fewer queue runners, confMAX_DAEMON_CHILDREN) "
    "and wait; the Workspace admin can see the relay limits"),
  { CTXT("550", "5.7.1", "relay sending limit exceeded for this customer"),
    CTXT("450", "4.2.1", "Peak SMTP relay limit"),
    TXT("SMTP relay sending limit exceeded|Peak SMTP relay limit exceeded") } },

{ C("rate-limit", WARN, CONNECT,
    "The relay is rate-limiting this server and closed the connection",
    "Occasional ones need nothing (the queue retries); if it persists, slow "
    "down (fewer queue runners, confMAX_QUEUE_RUN_SIZE) and look for a mail "
    "loop or a flood"),
  { CTXT("421", "4.7.0", "Try again later"),
    CODE("421", "4.7.0"),
    CTXT("421", "4.4.5", "Server busy"),
    CTXT("550", "5.7.1", "email has been rate limited"),
    TXT("rate limit|too many connections|too many concurrent") } },

{ C("rate-limit-reputation", WARN, DATA,
    "Gmail sees an unusual rate of (unsolicited) mail from this IP, domain "
    "or DKIM/SPF domain and throttles or blocks it",
    "Reduce the volume, stop unwanted mail (complaints) and authenticate "
    "with SPF and DKIM; 4.7.28 deferrals are retried automatically"),
  { CODE(NULL, "4.7.28"),
    CODE(NULL, "5.7.28"),
    CTXT("421", "4.7.0", "low reputation"),
    CTXT("550", "5.7.1", "low reputation"),
    TXT("unusual rate of|unusual amount of") } },

{ C("recipient-rate-limit", WARN, RCPT,
    "The recipient's mailbox is receiving mail too fast and refused more "
    "for now",
    "Nothing to fix here: the queue retries; avoid bursts of many messages "
    "to one mailbox"),
  { CTXT("450", "4.2.1", "at a rate that prevents|too quickly"),
    CTXT("550", "5.2.1", "at a rate that prevents"),
    TXT("at a rate that prevents|receiving email too quickly") } },

/* ---- authentication of the mail at the receiving end ---- */
{ C("ptr-missing", ERROR, CONNECT,
    "The receiving server wants a PTR (reverse DNS) record that matches the "
    "sending IP",
    "Ask the owner of the IP (ISP or hoster) for a PTR whose name resolves "
    "back to the IP, or send through the smarthost instead of directly"),
  { CTXT("421", "4.7.0", "PTR record"),
    CODE(NULL, "4.7.23"),
    CODE(NULL, "5.7.25"),
    CTXT("550", "5.7.1", "IPv6 sending guidelines"),
    TXT("does not have a PTR record|doesn't have a PTR record|"
        "reverse DNS") } },

{ C("dmarc-reject", ERROR, DATA,
    "The receiver enforced the From: domain's DMARC policy: no aligned SPF "
    "or DKIM pass",
    "Align the From: domain with the envelope domain (relaymilter "
    "RewriteHeaderFrom/SenderMap) or sign with DKIM d=<From domain>; "
    "relaymilter's align= verdict predicts this"),
  { CTXT("550", "5.7.26", "DMARC"),
    CTXT("451", "4.7.26", "DMARC"),
    CODE(NULL, "5.7.32"),
    CODE(NULL, "4.7.32"),
    CODE(NULL, "5.7.509"),
    TXT("DMARC policy|DMARC verification|does not pass DMARC") } },

{ C("unauthenticated", ERROR, DATA,
    "The receiving server refused the mail as unauthenticated: neither SPF "
    "nor DKIM passed for the sender's domain",
    "Publish SPF for the envelope domain including the relay (Google: "
    "include:_spf.google.com) and enable DKIM; relaymilter's spf= verdict "
    "predicts this"),
  { CTXT("550", "5.7.26", "unauthenticated"),
    CTXT("421", "4.7.26", "unauthenticated|rate limited"),
    CODE(NULL, "5.7.26"),
    CODE(NULL, "4.7.26") } },

{ C("spf-reject", ERROR, DATA,
    "The receiving server refused the mail because SPF failed for the "
    "envelope domain at the relay's IP",
    "Add the relay's sending IPs to that domain's SPF record (Google: "
    "include:_spf.google.com) or rewrite the envelope to a domain whose SPF "
    "covers the relay"),
  { CTXT("550", "5.7.26", "hard fail policy|fails to pass SPF"),
    CODE(NULL, "5.7.27"),
    CODE(NULL, "4.7.27"),
    CODE(NULL, "5.7.23"),
    TXT("SPF validation failed|SPF check failed|fails to pass SPF") } },

{ C("spf-suspicious", WARN, DATA,
    "Gmail distrusts the sender domain's SPF record (overly broad or "
    "suspicious entries)",
    "Tighten the SPF record: no +all or ?all, no huge ranges or stray "
    "includes, list only the real senders"),
  { CODE(NULL, "5.7.24"),
    CODE(NULL, "4.7.24"),
    TXT("suspicious entries") } },


{ C("bulk-tls-required", WARN, DATA,
    "Gmail's bulk-sender rules refused or throttled the mail because it did "
    "not arrive over TLS (4.7.29, 5.7.29)",
    "Make the hop that delivers to Gmail use STARTTLS (through a smarthost: "
    "the smarthost's hop; direct: a STARTTLS build of sendmail with "
    "confCACERT_PATH)"),
  { CODE(NULL, "5.7.29"),
    CODE(NULL, "4.7.29") } },

{ C("dkim-required", WARN, DATA,
    "Gmail's bulk-sender rules refused or throttled the mail because DKIM "
    "did not pass (4.7.30, 5.7.30)",
    "Sign with DKIM for the From: domain (opendkim after relaymilter, or the "
    "provider's domain authentication) and publish the key"),
  { CODE(NULL, "5.7.30"),
    CODE(NULL, "4.7.30"),
    TXT("DKIM = did not pass|DKIM authentication didn't pass") } },

{ C("dmarc-record-missing", WARN, DATA,
    "Gmail's bulk-sender rules refused or throttled the mail because the "
    "sending domain has no DMARC record (4.7.40, 5.7.40)",
    "Publish a DMARC record for the From: domain (v=DMARC1; p=none is "
    "enough to start) at _dmarc.<domain>"),
  { CODE(NULL, "5.7.40"),
    CODE(NULL, "4.7.40"),
    TXT("doesn't have a DMARC record|does not have a DMARC record") } },

{ C("bulk-sender-requirements", WARN, DATA,
    "Gmail's bulk-sender rules refused or throttled the mail (TLS, SPF, "
    "DKIM, DMARC or unsubscribe requirements)",
    "Meet Gmail's sender requirements: TLS, SPF and DKIM for the domain, a "
    "DMARC record (p=none is enough), one-click unsubscribe for marketing"),
  { TXT("requires all bulk email senders|requires bulk email senders") } },

/* ---- the message and its addresses ---- */
{ C("message-too-large", ERROR, DATA,
    "The message is bigger than the relay or the recipient accepts (Gmail: "
    "25 MB after encoding)",
    "Send a link instead of the attachment or compress it; base64 makes "
    "attachments a third bigger"),
  { CODE("552", "5.3.4"),
    CODE("552", "5.2.3"),
    CODE(NULL, "5.3.4"),
    TXT("message size exceeds|exceeded Google's message size|"
        "Message too large|size limit") } },

{ C("recipient-domain-unknown", ERROR, RCPT,
    "The recipient's domain does not exist",
    "Correct the recipient address (a typo in the domain?)"),
  { CODE("553", "5.1.2"),
    TXT("find the recipient domain") } },

{ C("recipient-invalid", ERROR, RCPT,
    "The recipient address is malformed (not a valid RFC 5321 address)",
    "Correct the recipient address (stray spaces, quotes or a missing "
    "domain)"),
  { CODE("553", "5.1.3"),
    CTXT(NULL, "5.1.3", "not a valid|syntax"),
    TXT("recipient address <|recipient address is not a valid") } },

{ C("mailbox-disabled", ERROR, RCPT,
    "The recipient's mailbox exists but is disabled (an inactive account)",
    "Tell the recipient another way, or remove the address from the list "
    "or alias"),
  { CTXT("550", "5.2.1", "inactive|DisabledUser|disabled"),
    TXT("p=DisabledUser|account that you tried to reach is inactive|"
        "mailbox disabled") } },

{ C("too-many-recipients", WARN, RCPT,
    "The server takes fewer recipients (or recipient domains) in one "
    "transaction; the others are refused for this attempt",
    "Nothing to do when the queue delivers them later; keep messages under "
    "the provider's limit (Workspace relay: 100 recipients a transaction) "
    "or lower confMAX_RCPTS_PER_MESSAGE"),
  { CODE(NULL, "4.5.3"),
    CODE(NULL, "5.5.3"),
    TXT("Multiple destination domains per transaction|too many recipients|"
        "Domain policy size per transaction") } },

{ C("recipient-policy", ERROR, RCPT,
    "The recipient's domain has a policy that refuses this mail (its admin's "
    "rule, an allowlist of sending IPs)",
    "Ask the recipient's admin: the refusal comes from their policy, not "
    "from this server's set-up"),
  { CTXT("550", "5.7.1", "has a policy that prohibits"),
    CTXT("421", "4.7.0", "not in whitelist|not in allowlist"),
    TXT("has a policy that prohibits|- gcdp ") } },

{ C("recipient-unknown", ERROR, RCPT,
    "The recipient's mailbox does not exist",
    "Correct the recipient address, or remove it from the list or alias"),
  { CODE("550", "5.1.1"),
    CODE(NULL, "5.1.1"),
    TXT("User unknown|No such user|mailbox unavailable|"
        "Recipient address rejected") } },

{ C("mailbox-full", WARN, RCPT,
    "The recipient's mailbox is full",
    "Nothing to fix here; tell the recipient another way (4xx replies are "
    "retried)"),
  { CODE("452", "4.2.2"),
    CODE("552", "5.2.2"),
    CODE(NULL, "4.2.2"),
    CODE(NULL, "5.2.2"),
    TXT("over quota|mailbox full|mailbox is full|quota exceeded") } },

{ C("greylisted", INFO, RCPT,
    "The recipient's server greylisted the first attempt",
    "Nothing to do: sendmail retries and the next attempt normally passes"),
  { TXT("greylist|grey-list|graylist") } },

{ C("sender-invalid", ERROR, MAIL,
    "The relay refused the envelope sender as malformed (often an "
    "unqualified name such as root)",
    "Qualify local senders (FEATURE(always_add_domain), MASQUERADE_AS, or "
    "relaymilter's rewrite to the account)"),
  { CODE("553", "5.1.7"),
    TXT("not a valid RFC 5321 address|not a valid RFC-5321 address|"
        "Sender address rejected") } },

{ C("sender-domain-unknown", ERROR, MAIL,
    "The envelope sender's domain does not resolve (no A or MX), so the "
    "server refused it (sendmail checks this on the MSP to MTA hop too)",
    "Use a sender domain that exists in DNS: fix $j/MASQUERADE_AS or "
    "genericstable, or let relaymilter rewrite to the account"),
  { CODE("553", "5.1.8"),
    CODE("451", "4.1.8"),
    TXT("Domain of sender address") } },

{ C("header-invalid", ERROR, DATA,
    "The headers break RFC 5322 (no valid From:, several From: addresses, "
    "no Message-ID, duplicated headers)",
    "Fix the program that writes the mail (one valid From:, a Message-ID); "
    "check that no milter adds a second From:"),
  { CTXT("550", "5.7.1", "From: header|Message-ID|duplicate header|"
        "multiple addresses|not RFC 5322 compliant|disallowed header|"
        "Encoded-word syntax"),
    CODE("554", "5.6.0"),
    CTXT("421", "4.7.28", "same Message-ID"),
    TXT("missing a valid address in the From|missing a valid address in "
        "From|multiple addresses in the From: header|missing a valid "
        "Message-ID|duplicate headers|not RFC 5322 compliant") } },

{ C("helo-invalid", ERROR, CONNECT,
    "The relay refused sendmail's HELO/EHLO name (invalid or empty); "
    "sendmail says HELO with $j, this host's canonical name",
    "Give the host a fully qualified name that resolves: the first name "
    "after the address in /etc/hosts (not localhost.localdomain), or "
    "define(`confDOMAIN_NAME', `host.example.com') in sendmail.mc"),
  { CODE(NULL, "5.5.4"),
    TXT("HELO/EHLO argument|Empty HELO") } },


/* ---- reaching the relay ---- */
{ C("greeting-timeout", WARN, CONNECT,
    "The relay accepted the connection but never sent its 220 greeting "
    "(nor a TLS handshake)",
    "Something holds the port without speaking SMTP (a firewall or proxy), "
    "or the relay waits on its own DNS before greeting; check the port with "
    "relaymilter-doctor probe, and the relay's logs when it is yours"),
  { CTXT(NULL, "4.4.2", "during client greeting"),
    TXT("during client greeting|no greeting within") } },


{ C("connect-timeout-port25", ERROR, CONNECT,
    "Outgoing connections to port 25 time out: port 25 is blocked here "
    "(ISPs, cloud hosts and firewalls often block it); relaymilter-trace "
    "says so only when no port-25 connection to any destination worked "
    "within an hour around the failure",
    "Through a smarthost: relay on 587 with STARTTLS "
    "(define(`RELAY_MAILER_ARGS', `TCP $h 587'), and ESMTP_MAILER_ARGS for "
    "an esmtp: smarthost); straight to the recipients' MX: " SMARTHOST_587),
  { { NULL, NULL, TIMED_OUT, 25, CAUSE_PHASE_ANY, R_PORT_DEAD } } },

{ C("destination-timeout", WARN, CONNECT,
    "This destination did not answer while connections on the same port to "
    "other destinations worked around that time: the trouble is at that "
    "destination (down, firewalled, or a stale MX), not here",
    "Nothing to change here: sendmail retries until its queue lifetime; if "
    "it lasts, check the destination's MX (host -t mx DOMAIN) and tell its "
    "admin"),
  { TXTF(TIMED_OUT, R_OTHERS_OK) } },

{ C("connect-timeout", ERROR, CONNECT,
    "sendmail could not connect to the relay before the timeout (no answer "
    "at all)",
    "Check the relay name and port (smtp.gmail.com:587 needs "
    "RELAY_MAILER_ARGS `TCP $h 587'), that the firewall lets the port out "
    "(nc -vz HOST PORT), and that the relay is up; port 25 is often "
    "blocked by ISPs"),
  { TXT(TIMED_OUT) } },

{ C("local-mta-down", ERROR, CONNECT,
    "The local sendmail daemon refused the hand-off: it is not running or "
    "not listening on the loopback address",
    "Start it (systemctl start sendmail) and check DAEMON_OPTIONS in "
    "sendmail.mc; the mail waits in the MSP queue (mailq -Ac) until then"),
  { { NULL, NULL, "Connection refused", 0, CAUSE_PHASE_ANY, R_LOCAL } } },

{ C("connect-refused", ERROR, CONNECT,
    "The relay host refused the connection: nothing listens on that port",
    "Check the relay host and port in sendmail.mc (SMART_HOST, "
    "RELAY_MAILER_ARGS); a firewall REJECT rule gives the same error"),
  { TXT("Connection refused") } },

{ C("host-unknown", ERROR, CONNECT,
    "The relay or recipient host name does not resolve in DNS",
    "Check the SMART_HOST spelling in sendmail.mc and that DNS works here "
    "(host smtp.gmail.com); [brackets] in SMART_HOST skip the MX lookup"),
  { TXT("Host unknown|host not found|Unknown host|No such host") } },

{ C("dns-temporary", WARN, CONNECT,
    "DNS did not answer while sendmail looked up the relay (temporary "
    "resolver failure)",
    "Check /etc/resolv.conf and that the resolver answers (host "
    "smtp.gmail.com); sendmail retries by itself"),
  { CODE(NULL, "4.4.3"),
    TXT("host name lookup failure|Name server timeout|"
        "Temporary failure in name resolution") } },

{ C("network-unreachable", ERROR, CONNECT,
    "There is no network route to the relay (link down, no default route, "
    "or IPv6 without connectivity)",
    "Check the network and routes (ip route; ping the relay); if IPv6 is "
    "broken, make sendmail use IPv4 (CLIENT_OPTIONS(`Family=inet'))"),
  { TXT("Network is unreachable|No route to host|Host is down") } },

{ C("connection-lost", WARN, DATA,
    "The connection to the relay broke in the middle of the SMTP dialogue",
    "Usually transient (the queue retries); if it repeats, check MTU and "
    "firewall middleboxes and the relay's size or time limits"),
  { CODE(NULL, "4.4.2"),
    CTXT("421", "4.7.0", "Connection expired"),
    TXT("Connection reset by|Broken pipe|lost connection|"
        "Connection closed|connection dropped|Timeout - closing connection") } },

{ C("tls-handshake", ERROR, TLS,
    "The STARTTLS handshake with the relay failed (protocol, cipher or "
    "certificate trouble)",
    "Read the STARTTLS=client error line; check confCACERT_PATH, "
    "confCLIENT_CERT, the clock, and test with openssl s_client "
    "-starttls smtp -connect HOST:587"),
  { CTXT("403", "4.7.0", "TLS handshake"),
    TXT("TLS handshake failed|STARTTLS=client, error|SSL_connect"),
    /* RFC 3207: 454 TLS not available due to temporary reason; the same
     * code as a temporary AUTH failure, told apart by the text or by the
     * step that got it */
    CTXT("454", "4.7.0", "TLS not available"),
    { "454", "4.7.0", NULL, 0, CAUSE_PHASE_TLS, 0 },
    { "454", NULL, NULL, 0, CAUSE_PHASE_TLS, 0 } } },

{ C("tls-verify", ERROR, TLS,
    "The relay's TLS certificate could not be verified (unknown CA, wrong "
    "name or expired) and the configuration requires verification",
    "Point confCACERT_PATH at /etc/ssl/certs (package ca-certificates) or "
    "confCACERT at the relay's CA; check the relay's name and this "
    "machine's clock"),
  { CODE("403", "4.7.0"),
    { NULL, NULL, "not authenticated|certificate verify failed|verify=FAIL",
      0, CAUSE_PHASE_ANY, R_NOCODE } } },

{ C("starttls-not-offered", ERROR, TLS,
    "The relay does not offer STARTTLS: sendmail would send the mail (and "
    "any password) in clear text, and relays such as Gmail refuse AUTH "
    "without it",
    "Check the relay name and port (smtp.gmail.com offers STARTTLS on 587); "
    "a relay you run needs a certificate and STARTTLS turned on"),
  { { NULL, NULL, "STARTTLS not offered|does not offer STARTTLS",
      0, CAUSE_PHASE_ANY, 0 } } },

{ C("implicit-tls-port", ERROR, CONNECT,
    "The relay port speaks TLS from the first byte (SMTPS, usually 465); "
    "sendmail's client only does STARTTLS and waits for a greeting that "
    "never comes",
    "Relay on 587 with STARTTLS: define(`RELAY_MAILER_ARGS', `TCP $h 587') "
    "(and ESMTP_MAILER_ARGS), rebuild sendmail.cf, restart sendmail"),
  { { NULL, NULL, "implicit TLS|SMTPS", 0, CAUSE_PHASE_ANY, 0 },
    { NULL, NULL, "timed out|timeout waiting for input", 465,
      CAUSE_PHASE_ANY, 0 } } },

{ C("relay-not-smtp", ERROR, CONNECT,
    "What answers on the relay port is not an SMTP server (a web server, "
    "a proxy, a captive portal)",
    "Check the relay name and port in sendmail.mc (SMART_HOST, "
    "RELAY_MAILER_ARGS) and what listens there: "
    "openssl s_client -starttls smtp -connect HOST:587"),
  { TXT("not an SMTP server|not an SMTP greeting") } },

{ C("smtp-protocol-violation", ERROR, TLS,
    "The relay saw an SMTP protocol error: commands out of sequence, "
    "unknown or malformed, or pipelined right after STARTTLS",
    "Look for something between sendmail and the relay (a proxy, an "
    "antivirus, a firewall's SMTP fixup) and update sendmail; report the "
    "session's transcript to the relay's operator if it persists"),
  { CODE("523", "5.7.10"),
    CODE(NULL, "5.7.11"),
    CODE(NULL, "5.5.1"),
    CODE(NULL, "5.5.2"),
    CODE(NULL, "4.5.0"),
    TXT("no commands allowed to pipeline after STARTTLS|"
        "SMTP protocol violation|Bad sequence of commands") } },

{ C("direct-delivery-refused", ERROR, CONNECT,
    "The recipient's server does not take mail sent directly from this IP "
    "(a residential or dynamic address): it wants it from a provider's "
    "relay",
    "Send through a smarthost instead of to the recipients' MX: "
    SMARTHOST_587),
  { CTXT("550", "5.7.1", "not authorized to send email directly"),
    TXT("not authorized to send email directly|dynamic IP|"
        "residential IP") } },

{ C("smarthost-port-ignored", ERROR, CONNECT,
    "sendmail tried a host whose name is a number: in SMART_HOST "
    "`[host]:587' the `:587' is not a port but a second host to try "
    "(sendmail's host list), so the relay was reached on the mailer's port "
    "or not at all",
    "Put the port in the mailer: define(`SMART_HOST', `[smtp.example.com]') "
    "with define(`RELAY_MAILER_ARGS', `TCP $h 587'), or `esmtp:"
    "[smtp.example.com]' with ESMTP_MAILER_ARGS; rebuild sendmail.cf "
    "(make -C /etc/mail) and restart sendmail"),
  { FLAGS(R_RELAY_PORT) } },

/* ---- inside sendmail ---- */
{ C("mail-loops", ERROR, LOCAL,
    "The mail would come back to this host: the relay or MX points at this "
    "machine (or there were too many hops)",
    "SMART_HOST must name another host: not [127.0.0.1], not this host's "
    "name, and its name must not resolve to this server"),
  { CODE("553", "5.3.5"),
    CODE(NULL, "5.3.5"),
    CODE("554", "5.4.6"),
    TXT("mail loops back to me|loops back to me|Too many hops") } },

{ C("host-status-cached", WARN, CONNECT,
    "sendmail did not connect: it replayed the status of an earlier failure "
    "with that host from its host status cache (a deferral without a "
    "connection; the first failure is the real cause)",
    "Fix the cause of the first failure, then retry at once: with "
    "HostStatusDirectory set in sendmail.cf, purgestat then sendmail -q; "
    "without it (Debian's default) the cache lives one queue run: "
    "sendmail -q -OTimeout.hoststatus=0m"),
  { FLAGS(R_CACHED) } },

{ C("client-timeout", WARN, LOCAL,
    "The sending client stopped answering while the message was being "
    "received, so nothing was queued for this recipient",
    "Nothing to do unless the client is yours (then check its network and "
    "timeouts); a well-behaved client sends the message again"),
  { TXT("timeout waiting for input during message collect|"
        "timeout waiting for input") } },

{ C("milter-error", WARN, LOCAL,
    "A milter did not answer (down, crashed or too slow), so sendmail "
    "tempfailed the mail (F=T) or passed it unfiltered",
    "Check that the milter runs (systemctl status relaymilter) and that its "
    "socket matches INPUT_MAIL_FILTER S=; raise T= if it is only slow"),
  { CTXT("451", "4.3.2", "Please try again later"),
    TXT("to error state|error connecting to filter|initialization failed|"
        "timeout before data|timeout during data|returned -1|"
        "local socket name") } },

{ C("milter-reject", ERROR, LOCAL,
    "A milter on this host rejected the message",
    "Read the milter's reason in the reject text; relaymilter rejects only "
    "with SPFFailAction/MisalignedAction reject (see its decision line)"),
  { TXT("Milter: data, reject|Milter: from=|Milter: to=|"
        "Milter: cmd=data, reject|rejected by milter") } },



{ C("account-domain-local", ERROR, LOCAL,
    "Mail for the relay account's own domain was delivered by this sendmail "
    "(mailer local) instead of being relayed: that domain is in class w "
    "(LOCAL_DOMAIN, local-host-names), so sendmail takes it for its own, "
    "bounces unknown users and keeps mail for the others",
    "Keep only this host's own names in class w: remove the account's "
    "domain from LOCAL_DOMAIN in sendmail.mc and from "
    "/etc/mail/local-host-names, rebuild (make -C /etc/mail), restart "
    "sendmail; then mail for that domain goes to the smarthost"),
  { FLAGS(R_LOCAL_DOMAIN) } },

{ C("disk-space", WARN, LOCAL,
    "Not enough free disk space for the queue (here or at the receiver)",
    "Free space in the queue file system (df /var/spool/mqueue); "
    "confMIN_FREE_BLOCKS sets the reserve"),
  { CODE("452", "4.4.5"),
    TXT("Insufficient disk space|No space left on device") } },

{ C("local-delivery-error", WARN, LOCAL,
    "A local mailer program failed (procmail, a pipe alias or a file "
    "delivery)",
    "Run the mailer by hand with the same input and read its error; check "
    "the alias or .forward that calls it"),
  { CODE(NULL, "5.3.0"),
    TXT("unknown mailer error|died with signal|local mailer") } },

/* ---- held in sendmail's queue (relaymilter-doctor queue) ---- */
{ C("quarantined", WARN, LOCAL,
    "The message is held in sendmail's quarantine (an hf file): a milter "
    "(smfi_quarantine) or an administrator (sendmail -Q) put it there, and "
    "sendmail does not deliver it until it is released",
    "Read the reason (mailq -qQ shows it); release the message with "
    "sendmail -qQ -Q -qI<queue id>, then sendmail -qI<queue id> sends it "
    "now"),
  { { NULL, NULL, "quarantine=", 0, CAUSE_PHASE_LOCAL, 0 } } },

{ C("queue-file-lost", ERROR, LOCAL,
    "sendmail gave up on the queue file and renamed it Qf (a bad owner or "
    "mode, a missing data file, a line it cannot read): the message is "
    "never delivered as it is",
    "Find the queue id in the maillog (\"Losing ...: why\"), fix that, "
    "then rename the Qf file to qf and run sendmail -qI<queue id>"),
  { { NULL, NULL, "lost queue file", 0, CAUSE_PHASE_LOCAL, 0 } } },

/* ---- broad fallbacks, after everything more specific ---- */
{ C("content-rejected", ERROR, DATA,
    "The receiving server refused the content or the sending IP as spam or "
    "virus, or the IP is on a blocklist",
    "Read the reply for the list or rule named; check the IP against that "
    "blocklist, the content, and SPF/DKIM/DMARC"),
  { CTXT("554", NULL, "spam|virus|blocked|listed"),
    CTXT("550", "5.7.1", "spam|unsolicited|blocked|listed|virus"),
    CTXT("552", "5.7.0", "security issue"),
    CTXT("421", "4.7.0", "nature of the content"),
    TXT("unsolicited mail|spam|virus|excessive number of complaints") } },

{ C("remote-temporary", WARN, ANY,
    "The remote server refused the mail for now (4xx); sendmail retries",
    "Read the reply; if it repeats for hours, contact the relay's or "
    "recipient's admin with it"),
  { CODE("4xx", NULL) } },

{ C("remote-permanent", ERROR, ANY,
    "The remote server refused the mail for good (5xx)",
    "Read the reply and fix what it names; the sender got a bounce"),
  { CODE("5xx", NULL) } },

{ C("unexplained", WARN, ANY,
    "sendmail logged this failure without a server reply or an error text "
    "the catalogue knows (older sendmail versions log no reply=)",
    "Read the stat= and dsn= of the attempt; mailq shows the queued "
    "message's last error and sendmail -v -qI<queue id> replays the "
    "delivery with the whole dialogue"),
  { FLAGS(R_FAILED) } },

/* ---- relaymilter's own verdicts (decision line) ---- */
{ C("spf-fail-predicted", ERROR, POLICY,
    "relaymilter predicts SPF fail: the relay's egress IPs are not allowed "
    "by the SPF record of the final envelope domain",
    "Add the relay to that domain's SPF (Google: include:_spf.google.com), "
    "or rewrite the envelope to a domain whose SPF covers the relay "
    "(SenderMap/RelayAccount)"),
  { POLICY("spf=fail") } },

{ C("spf-softfail-predicted", WARN, POLICY,
    "relaymilter predicts SPF softfail (~all) for the envelope domain at "
    "the relay's IPs: receivers may junk it, or reject it under DMARC",
    "Add the relay to that domain's SPF (Google: include:_spf.google.com), "
    "or rewrite the envelope to a domain whose SPF covers the relay"),
  { POLICY("spf=softfail") } },

{ C("spf-permerror-predicted", ERROR, POLICY,
    "The envelope domain's SPF record is broken (syntax error or more than "
    "10 DNS lookups): receivers treat it as a failure",
    "Fix the SPF record (check it with spfquery); flatten includes to stay "
    "within 10 lookups"),
  { POLICY("spf=permerror") } },

{ C("spf-temperror", WARN, POLICY,
    "relaymilter could not evaluate SPF because DNS failed or timed out",
    "Check this server's resolver and the domain's DNS servers; "
    "On-DNSError decides whether such mail is tempfailed or accepted"),
  { POLICY("spf=temperror") } },

{ C("align-fail-predicted", WARN, POLICY,
    "relaymilter predicts DMARC misalignment: the From: domain does not "
    "match the (rewritten) envelope domain",
    "Make the From: domain match the envelope domain (RewriteHeaderFrom, "
    "SenderMap) or sign with DKIM for the From: domain; under p=reject "
    "receivers bounce it"),
  { POLICY("align=fail") } },

{ C("relaymilter-tempfail", WARN, POLICY,
    "relaymilter asked sendmail to retry later (internal error, DNS trouble "
    "with On-DNSError tempfail, or a tempfail action)",
    "Read error= and hint= on the decision line and `systemctl status "
    "relaymilter`; the mail stays queued at the client meanwhile"),
  { POLICY("result=tempfail") } },

{ C("relaymilter-failopen", WARN, POLICY,
    "relaymilter hit an internal error and let the mail through unchanged "
    "(On-InternalError accept)",
    "Read error= on the decision line; the mail left without rewrite or "
    "checks"),
  { POLICY("result=failopen") } },

{ C("relay-budget", WARN, POLICY,
    "The relay budget reached LimitWarn: the account (or relay) is close to "
    "the sending limit its provider enforces (RelayLimit)",
    "See what sends so much (the senders of the decision lines with "
    "budget=); `relaymilter -S` shows each window and when it has room "
    "again; past the limit mail is held (OverLimitAction hold)"),
  { POLICY("budget=warn") } },

{ C("relay-budget-exceeded", ERROR, POLICY,
    "Relayed mail went over the relay budget: held in sendmail's queue "
    "(OverLimitAction hold), refused with 451 (tempfail) or sent anyway "
    "(tag, none), before the provider blocks the account",
    "Held mail leaves when the window has room (relaymilter-release.timer; "
    "`relaymilter -S` says when); stop what sends too much, or raise "
    "RelayLimit if the provider allows more"),
  { POLICY("budget=over"),
    /* relaymilter-doctor queue: the reason of a message the budget
     * holds (an hf file; budget.h's BUDGET_QUARANTINE_MARK), named
     * before the catalogue's generic "quarantined", whose fix (release
     * it by hand) would go past the budget */
    TXT("relaymilter relay budget: ") } },

{ C("relaymilter-reject", ERROR, POLICY,
    "relaymilter rejected the message (SPFFailAction or MisalignedAction "
    "reject)",
    "Fix SPF or alignment for the sender's domain, or relax SPFFailAction / "
    "MisalignedAction"),
  { POLICY("result=reject") } },
};

#define NCAUSES	(sizeof(causes) / sizeof(causes[0]))

/* The fixes that depend on the set-up (see struct cause_fixvar). */
static const struct cause_fixvar fixvars[] = {
{ "connect-timeout", CAUSE_SETUP_DIRECT,
    "Straight to the recipients' MX: when only this destination fails it is "
    "its own trouble (sendmail retries); when every destination fails with "
    "nothing working again, port 25 is being blocked here (an hour without "
    "a success settles it) and the way out is to " SMARTHOST_587 },
{ "connect-timeout-port25", CAUSE_SETUP_SMARTHOST,
    "Your ISP probably blocks port 25: relay on 587 with STARTTLS, "
    "define(`RELAY_MAILER_ARGS', `TCP $h 587') (and ESMTP_MAILER_ARGS), "
    "rebuild sendmail.cf, restart sendmail" },
{ "connect-timeout-port25", CAUSE_SETUP_DIRECT,
    "Mail goes straight to the recipients' MX on port 25, which is blocked "
    "here; RELAY_MAILER_ARGS alone changes nothing without a smarthost: "
    SMARTHOST_587 },
{ "host-status-cached", CAUSE_SETUP_HOSTSTAT,
    "Fix the cause of the first failure, then clear the host status cache "
    "(sendmail.cf sets HostStatusDirectory): purgestat, then sendmail -q" },
{ "host-status-cached", CAUSE_SETUP_NO_HOSTSTAT,
    "Fix the cause of the first failure, then retry every host at once: "
    "sendmail -q -OTimeout.hoststatus=0m (sendmail.cf has no "
    "HostStatusDirectory: the cache lives one queue run and has no file "
    "to clear)" },
};

#define NFIXVARS	(sizeof(fixvars) / sizeof(fixvars[0]))

struct facts {
	char		 code[4];	/* "" when unknown */
	char		 esc[16];	/* "" when unknown */
	const char	*hay[3];
	char		*lower[3];	/* lower-case copies, NULL on ENOMEM */
	size_t		 nhay;
	bool		 local;
	bool		 relay_port;	/* relay_host is a number */
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive search of needle[0..nlen) in the C string hay. */
static bool
ci_contains(const char *hay, const char *needle, size_t nlen)
{
	const char *h;
	size_t i;

	if (hay == NULL || nlen == 0)
		return false;
	for (h = hay; *h != '\0'; h++) {
		for (i = 0; i < nlen; i++)
			if (h[i] == '\0' ||
			    lower((unsigned char)h[i]) !=
			    lower((unsigned char)needle[i]))
				break;
		if (i == nlen)
			return true;
	}
	return false;
}

/*
 * Any of the '|'-separated alternatives in one of the haystacks. The
 * haystacks were lower-cased once (gather), so each alternative is one
 * strstr() of its lower-cased copy; without a copy (allocation failure, or
 * an alternative longer than the buffer) the slower ci_contains() answers.
 */
static bool
text_matches(const char *alts, const struct facts *f)
{
	const char *a = alts, *bar;
	char needle[128];
	size_t n, i, k;

	while (*a != '\0') {
		bar = strchr(a, '|');
		n = bar ? (size_t)(bar - a) : strlen(a);
		for (k = 0; k < n && n < sizeof(needle); k++)
			needle[k] = (char)lower((unsigned char)a[k]);
		needle[n < sizeof(needle) ? n : 0] = '\0';
		for (i = 0; i < f->nhay; i++) {
			if (n > 0 && n < sizeof(needle) && f->lower[i] != NULL) {
				if (strstr(f->lower[i], needle) != NULL)
					return true;
			} else if (ci_contains(f->hay[i], a, n)) {
				return true;
			}
		}
		if (bar == NULL)
			break;
		a = bar + 1;
	}
	return false;
}

/*
 * A reply code at the start of s ("550 ...", "550-...", "550"): copy it
 * to code[4] and return the text after the separator, or NULL.
 */
static const char *
reply_code(const char *s, char code[4])
{
	if (s == NULL || !ch_digit((unsigned char)s[0]) ||
	    !ch_digit((unsigned char)s[1]) || !ch_digit((unsigned char)s[2]))
		return NULL;
	if (s[0] < '2' || s[0] > '5')
		return NULL;
	if (s[3] != '\0' && s[3] != ' ' && s[3] != '-')
		return NULL;
	memcpy(code, s, 3);
	code[3] = '\0';
	return s[3] ? s + 4 : s + 3;
}

/*
 * An enhanced status code "d.ddd.ddd" at the start of s, copied to esc.
 * A full stop right after it ("... 5.7.1.") ends a sentence, not the code.
 */
static bool
enh_code(const char *s, char esc[16])
{
	size_t i, part = 0, digits = 0;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (digits == 0)
				return false;
			if (part == 2)
				break;
			part++;
			digits = 0;
		} else if (ch_digit((unsigned char)s[i])) {
			if (++digits > 3)
				return false;
		} else
			break;
	}
	if (part != 2 || digits == 0 || i >= 16)
		return false;
	if (s[i] != '\0' && s[i] != ' ' && s[i] != '.' && s[i] != ',' &&
	    s[i] != ';' && s[i] != ')' && s[i] != '-')
		return false;
	memcpy(esc, s, i);
	esc[i] = '\0';
	return true;
}

/* Skip sendmail's "Deferred: " and similar prefixes of stat=. */
static const char *
stat_reply(const char *stat)
{
	static const char *const pfx[] = { "Deferred: ", "deferred: " };
	size_t i, n;

	if (stat == NULL)
		return NULL;
	for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		n = strlen(pfx[i]);
		if (strncmp(stat, pfx[i], n) == 0)
			return stat + n;
	}
	return stat;
}

static bool
is_local_host(const char *h)
{
	if (h == NULL)
		return false;
	if (*h == '[')
		h++;
	if (strncmp(h, "IPv6:", 5) == 0)
		h += 5;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "::1", 3) == 0 ||
	    strncmp(h, "localhost", 9) == 0;
}


/* "587" or "587." as a relay: a port that SMART_HOST made a host name */
static bool
is_number_host(const char *h)
{
	size_t i, n;

	if (h == NULL)
		return false;
	n = strcspn(h, " ");
	if (n > 0 && h[n - 1] == '.')
		n--;
	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++)
		if (!ch_digit((unsigned char)h[i]))
			return false;
	return true;
}

static void
gather(const struct cause_input *in, struct facts *f)
{
	const char *rest = NULL, *sr;
	size_t i;

	memset(f, 0, sizeof(*f));
	if ((rest = reply_code(in->reply, f->code)) == NULL &&
	    (sr = stat_reply(in->stat)) != NULL)
		rest = reply_code(sr, f->code);
	if (rest == NULL || !enh_code(rest, f->esc)) {
		if (!enh_code(in->dsn, f->esc))
			f->esc[0] = '\0';
	}
	if (in->reply != NULL)
		f->hay[f->nhay++] = in->reply;
	if (in->stat != NULL)
		f->hay[f->nhay++] = in->stat;
	if (in->extra != NULL)
		f->hay[f->nhay++] = in->extra;
	for (i = 0; i < f->nhay; i++)
		f->lower[i] = strdup_lower(f->hay[i]);
	f->local = is_local_host(in->relay_host);
	f->relay_port = is_number_host(in->relay_host);
}

/* Score of one rule, or 0 when a constraint fails (or it has none). */
static int
rule_score(const struct cause_rule *r, const struct cause_input *in,
    const struct facts *f)
{
	int s = 0;

	if (r->code == NULL && r->esc == NULL && r->text == NULL &&
	    r->port == 0 && r->phase == CAUSE_PHASE_ANY && r->flags == 0)
		return 0;
	if (r->phase == CAUSE_PHASE_POLICY) {
		if (in->phase != CAUSE_PHASE_POLICY)
			return 0;
		s += S_PHASE;
	} else if (in->phase == CAUSE_PHASE_POLICY)
		return 0;
	else if (r->phase != CAUSE_PHASE_ANY) {
		if (in->phase != r->phase)
			return 0;
		s += S_PHASE;
	}
	if (r->code != NULL) {
		if (f->code[0] == '\0')
			return 0;
		if (r->code[1] == 'x') {
			if (r->code[0] != f->code[0])
				return 0;
			s += S_CODECLASS;
		} else {
			if (strcmp(r->code, f->code) != 0)
				return 0;
			s += S_CODE;
		}
	}
	if (r->esc != NULL) {
		if (strcmp(r->esc, f->esc) != 0)
			return 0;
		s += S_ESC;
	}
	if (r->text != NULL) {
		if (!text_matches(r->text, f))
			return 0;
		s += S_TEXT;
	}
	if (r->port != 0) {
		if ((unsigned)in->port != r->port)
			return 0;
		s += S_PORT;
	}
	if (r->flags & R_LOCAL) {
		if (!f->local)
			return 0;
		s += S_LOCAL;
	}
	if (r->flags & R_CACHED) {
		if (!(in->flags & CAUSE_F_CACHED))
			return 0;
		s += S_CACHED;
	}
	if ((r->flags & R_NOCODE) && f->code[0] != '\0')
		return 0;
	if (r->flags & R_PORT_DEAD) {
		if (!(in->flags & CAUSE_F_PORT_DEAD))
			return 0;
		s += S_EVIDENCE;
	}
	if (r->flags & R_OTHERS_OK) {
		if (!(in->flags & CAUSE_F_OTHERS_OK))
			return 0;
		s += S_EVIDENCE;
	}
	if (r->flags & R_LOCAL_DOMAIN) {
		if (!(in->flags & CAUSE_F_LOCAL_DOMAIN))
			return 0;
		s += S_TRAP;
	}
	if (r->flags & R_RELAY_PORT) {
		if (!f->relay_port)
			return 0;
		s += S_TRAP;
	}
	if (r->flags & R_FAILED) {
		if (!(in->flags & CAUSE_F_FAILED))
			return 0;
		s += S_FALLBACK;
	}
	return s;
}

const struct cause *
cause_classify(const struct cause_input *in)
{
	const struct cause *best = NULL;
	struct facts f;
	int bs = 0, s;
	size_t i, j;

	if (in == NULL)
		return NULL;
	gather(in, &f);
	for (i = 0; i < NCAUSES; i++) {
		for (j = 0; j < RULES_MAX; j++) {
			s = rule_score(&causes[i].r[j], in, &f);
			if (s > bs) {
				bs = s;
				best = &causes[i].c;
			}
		}
	}
	for (i = 0; i < f.nhay; i++)
		free(f.lower[i]);
	return best;
}

const char *
cause_fix(const struct cause *c, unsigned setup)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < NFIXVARS; i++)
		if (strcmp(fixvars[i].id, c->id) == 0 &&
		    (fixvars[i].when & setup) == fixvars[i].when)
			return fixvars[i].fix;
	return c->fix;
}

const struct cause *
cause_by_id(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < NCAUSES; i++)
		if (strcmp(causes[i].c.id, id) == 0)
			return &causes[i].c;
	return NULL;
}

const struct cause *
cause_unexplained(void)
{
	static const struct cause *c;

	if (c == NULL)
		c = cause_by_id("unexplained");
	return c;
}

size_t
cause_count(void)
{
	return NCAUSES;
}

const struct cause *
cause_at(size_t i)
{
	return i < NCAUSES ? &causes[i].c : NULL;
}

const char *
cause_severity_name(enum cause_severity s)
{
	switch (s) {
	case CAUSE_INFO:
		return "info";
	case CAUSE_WARN:
		return "warn";
	case CAUSE_ERROR:
		return "error";
	}
	return "unknown";
}
