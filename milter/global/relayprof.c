/*
 * relayprof.c - the table of known smarthost providers
 *
 * CONTRACT
 *	See relayprof.h. The facts and where they come from:
 *	- smtp.gmail.com / smtp.googlemail.com: Gmail logs an unqualified
 *	  user name in as <name>@gmail.com (seeds 000 and 002 are working
 *	  set-ups with "I:user_id"; the post of seed 000 says "your Gmail user
 *	  id (user_id@gmail.com)"); a Workspace account must be given as the
 *	  full address. Gmail sends as the authenticated account: the
 *	  envelope sender and a From: that is not a verified "Send mail as"
 *	  alias are replaced (domain-facts §3.1, gophish#1311, nodemailer#240).
 *	- smtp-relay.gmail.com: the Workspace SMTP relay service, IP-registered
 *	  or AUTH with a Workspace user; it keeps the envelope sender when its
 *	  domain is allowed (Google Admin Help 2956491, domain-facts §3.2).
 *	- smtp.sendgrid.net: the AUTH user is the literal "apikey"; the From:
 *	  must be a verified Sender Identity and SendGrid puts its own bounce
 *	  domain in the envelope (SendGrid docs "Integrating with the SMTP
 *	  API", error 60222; domain-facts §3.4).
 *	- smtp.office365.com: the AUTH user is the mailbox; From: must be the
 *	  mailbox or one it may SendAs (554 5.2.0 SendAsDeniedException).
 *	- email-smtp.<region>.amazonaws.com: SMTP credentials derived from
 *	  IAM (not an address); the sender must be a verified identity.
 *
 *	What the recipient's MX sees (the model fields), per provider:
 *	- Gmail (smtp.gmail.com): the envelope sender is the account, also
 *	  for a verified alias (Return-Path is the account, domain-facts §3.1
 *	  [obs]); From: is kept when it is the account or a verified "Send
 *	  mail as" alias, else replaced by the account with the display name
 *	  kept and the old value in X-Google-Original-From (gophish#182,
 *	  gophish#1311, nodemailer#906, PHPMailer#1214). DKIM: a consumer
 *	  account is signed d=gmail.com whatever From: says ("the added
 *	  signature is for the gmail.com account, not the From address
 *	  account", SmarterTools community a97318); a Workspace account with
 *	  DKIM turned on for its domain d=<that domain>, selector "google" by
 *	  default (Google Admin Help 174124), else Google's default key
 *	  d=<domain-with-hyphens>.20230601.gappssmtp.com (Admin Help 174124;
 *	  the name as seen on real mail, SmarterTools a97318 [obs]).
 *	- smtp-relay.gmail.com: envelope and From: pass unchanged (the relay
 *	  checks the envelope domain, Admin Help 2956491); DKIM as for
 *	  Workspace, by the envelope sender's domain (domain-facts §4.3
 *	  [unverified] for relay traffic).
 *	- SendGrid: From: unchanged (a verified Sender Identity, error
 *	  60222); the envelope is its own, "@sendgrid.net", or
 *	  em<N>.<domain> once the domain is authenticated (SendGrid support
 *	  article 360000226322; "Authenticate a domain": CNAMEs em<N>.<domain>
 *	  and s1/s2._domainkey.<domain>); DKIM d=<authenticated domain>,
 *	  selector s1, else its own d=sendgrid.net (phishfence.io/learn/
 *	  dmarc-sendgrid). Its SPF: include:sendgrid.net ("Authenticate a
 *	  domain": the em<N> CNAME's target publishes it).
 *	- passthrough: envelope, From: and signatures as relaymilter and any
 *	  signer after it leave them.
 *	Microsoft 365 and SES are not modelled (their own signatures and
 *	MAIL FROM domains depend on tenant settings relaymilter cannot see).
 *
 *	What these providers let an account send (the RelayLimit presets)
 *	is beside this table, in global/relaylimit.c, with its sources.
 */
#include <string.h>
#include <strings.h>

#include "relayprof.h"

static const struct relay_profile profiles[] = {
	{ "gmail", "Gmail (smtp.gmail.com)", "gmail.com", true, NULL,
	  "give the account as an address (I:you@gmail.com) or set "
	  "RelayAccount",
	  RPM_GMAIL, NULL, "google", NULL, "include:_spf.google.com",
	  "envelope: the account; From: kept when it is the account or a "
	  "verified alias (AllowedSenders), else the account "
	  "(X-Google-Original-From keeps it); DKIM: d=gmail.com for a Gmail "
	  "account, your domain when DKIM is on for it in Workspace, else "
	  "*.gappssmtp.com" },
	{ "workspace-relay", "Google Workspace SMTP relay "
	  "(smtp-relay.gmail.com)", NULL, false, NULL,
	  "an IP-registered relay has no account: set RelayAccount to an "
	  "address of the Workspace domain, or list the senders the relay "
	  "accepts in AllowedSenders",
	  RPM_GOOGLE_RELAY, NULL, "google", NULL, "include:_spf.google.com",
	  "envelope and From: as relaymilter leaves them; DKIM: the envelope "
	  "domain when DKIM is on for it in Workspace, else *.gappssmtp.com" },
	{ "sendgrid", "SendGrid (smtp.sendgrid.net)", NULL, false, "apikey",
	  "SendGrid logs in as \"apikey\", which is no sender: it sends with "
	  "the From: address, which must be a verified Sender Identity, and "
	  "puts its own bounce domain in the envelope; set RelayAccount to a "
	  "verified sender (or map senders to verified ones with SenderMap) "
	  "and RewriteHeaderFrom yes, so that From: carries it",
	  RPM_SENDGRID, "sendgrid.net", "s1", "sendgrid.net",
	  "include:sendgrid.net",
	  "From: as relaymilter leaves it; envelope: SendGrid's bounce "
	  "domain, em<N>.<your domain> once authenticated "
	  "(RelayBounceDomain), else sendgrid.net; DKIM: your domain once "
	  "authenticated, else d=sendgrid.net" },
	{ "microsoft365", "Microsoft 365 (smtp.office365.com)", NULL, false,
	  NULL, "give the mailbox address as I: or set RelayAccount; From: "
	  "must be that mailbox or one it may send as (RewriteHeaderFrom "
	  "yes)",
	  RPM_UNKNOWN, NULL, NULL, NULL, NULL,
	  "not modelled: set RelayProfile to predict DMARC" },
	{ "ses", "Amazon SES (email-smtp.*.amazonaws.com)", NULL, false, NULL,
	  "SES logs in with IAM SMTP credentials, which are no sender: set "
	  "RelayAccount to a verified identity (or map senders with "
	  "SenderMap) and RewriteHeaderFrom yes",
	  RPM_UNKNOWN, NULL, NULL, NULL, NULL,
	  "not modelled: set RelayProfile to predict DMARC" },
	{ "passthrough", "a relay that passes the message on unchanged",
	  NULL, false, NULL, "",
	  RPM_PASSTHROUGH, NULL, NULL, NULL, NULL,
	  "envelope, From: and DKIM signatures as relaymilter and any signer "
	  "after it leave them" },
};

enum { P_GMAIL, P_WSRELAY, P_SENDGRID, P_M365, P_SES, P_PASSTHROUGH };

static const struct {
	const char	*name;
	int		 profile;
} hosts[] = {
	{ "smtp.gmail.com", P_GMAIL },
	{ "smtp.googlemail.com", P_GMAIL },
	{ "smtp-relay.gmail.com", P_WSRELAY },
	{ "smtp.sendgrid.net", P_SENDGRID },
	{ "smtp.office365.com", P_M365 },
	{ "smtp-mail.outlook.com", P_M365 },
};

/* host without "[", "]", ":port" after "]", trailing dots: [p, p + *len) */
static const char *
bare_host(const char *host, size_t *len)
{
	const char *p = host, *end;

	if (*p == '[') {
		p++;
		end = strchr(p, ']');
		if (end == NULL)
			end = p + strlen(p);
	} else {
		end = p + strlen(p);
	}
	while (end > p && end[-1] == '.')
		end--;
	*len = (size_t)(end - p);
	return p;
}

const struct relay_profile *
relay_profile_for(const char *host)
{
	static const char ses_pre[] = "email-smtp.";
	static const char ses_suf[] = ".amazonaws.com";
	const char *h;
	size_t len, i;

	if (host == NULL)
		return NULL;
	h = bare_host(host, &len);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		if (strlen(hosts[i].name) == len &&
		    strncasecmp(hosts[i].name, h, len) == 0)
			return &profiles[hosts[i].profile];
	if (len > sizeof(ses_pre) - 1 + sizeof(ses_suf) - 1 &&
	    strncasecmp(h, ses_pre, sizeof(ses_pre) - 1) == 0 &&
	    strncasecmp(h + len - (sizeof(ses_suf) - 1), ses_suf,
	    sizeof(ses_suf) - 1) == 0)
		return &profiles[P_SES];
	return NULL;
}

size_t
relay_profile_count(void)
{
	return sizeof(profiles) / sizeof(profiles[0]);
}

const struct relay_profile *
relay_profile_at(size_t i)
{
	return i < relay_profile_count() ? &profiles[i] : NULL;
}

const struct relay_profile *
relay_profile_named(const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
		if (profiles[i].model != RPM_UNKNOWN &&
		    strcasecmp(profiles[i].id, id) == 0)
			return &profiles[i];
	return NULL;
}

bool
relay_gmail_consumer(const char *domain)
{
	return domain != NULL && (strcasecmp(domain, "gmail.com") == 0 ||
	    strcasecmp(domain, "googlemail.com") == 0);
}

const char *
relay_gapps_domain(const char *domain, char *buf, size_t size)
{
	static const char suffix[] = ".20230601.gappssmtp.com";
	size_t n = strlen(domain), i;

	if (n + sizeof(suffix) > size)
		return NULL;
	for (i = 0; i < n; i++)
		buf[i] = domain[i] == '.' ? '-' : domain[i];
	memcpy(buf + n, suffix, sizeof(suffix));
	return buf;
}
