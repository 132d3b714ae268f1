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
 */
#include <string.h>
#include <strings.h>

#include "relayprof.h"

static const struct relay_profile profiles[] = {
	{ "gmail", "Gmail (smtp.gmail.com)", "gmail.com", true, NULL,
	  "give the account as an address (I:you@gmail.com) or set "
	  "RelayAccount" },
	{ "workspace-relay", "Google Workspace SMTP relay "
	  "(smtp-relay.gmail.com)", NULL, false, NULL,
	  "an IP-registered relay has no account: set RelayAccount to an "
	  "address of the Workspace domain, or list the senders the relay "
	  "accepts in AllowedSenders" },
	{ "sendgrid", "SendGrid (smtp.sendgrid.net)", NULL, false, "apikey",
	  "SendGrid logs in as \"apikey\", which is no sender: it sends with "
	  "the From: address, which must be a verified Sender Identity, and "
	  "puts its own bounce domain in the envelope; set RelayAccount to a "
	  "verified sender (or map senders to verified ones with SenderMap) "
	  "and RewriteHeaderFrom yes, so that From: carries it" },
	{ "microsoft365", "Microsoft 365 (smtp.office365.com)", NULL, false,
	  NULL, "give the mailbox address as I: or set RelayAccount; From: "
	  "must be that mailbox or one it may send as (RewriteHeaderFrom "
	  "yes)" },
	{ "ses", "Amazon SES (email-smtp.*.amazonaws.com)", NULL, false, NULL,
	  "SES logs in with IAM SMTP credentials, which are no sender: set "
	  "RelayAccount to a verified identity (or map senders with "
	  "SenderMap) and RewriteHeaderFrom yes" },
};

enum { P_GMAIL, P_WSRELAY, P_SENDGRID, P_M365, P_SES };

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
