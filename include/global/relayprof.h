/*
 * relayprof.h - what the known smarthost providers do with relayed mail
 *
 * CONTRACT
 *	One table of provider profiles, found by the smarthost's host name
 *	(a {rcpt_host} such as "[smtp.gmail.com]", a sendmail.cf DS host or an
 *	authinfo key: brackets, a ":port" after them and a trailing dot are
 *	ignored, case is folded). Each fact states its source in relayprof.c.
 *	Pure: no I/O, no allocation, no state; NULL when the host is not a
 *	known provider's.
 *
 *	Each profile also says what the recipient's MX sees of a message the
 *	provider forwards (model, below): the envelope sender, the From: and
 *	the provider's own DKIM signature, and the SPF mechanism that
 *	authorizes its egress. relay_profile_named() finds a profile by the
 *	RelayProfile word (gmail, workspace-relay, sendgrid, passthrough);
 *	"passthrough" is a relay that forwards the message unchanged (a
 *	local relay such as Apache James, or direct delivery), and has no
 *	host names. A profile whose model is RPM_UNKNOWN is not modelled:
 *	its receiver's view is not predicted.
 */
#ifndef RM_RELAYPROF_H
#define RM_RELAYPROF_H

#include <stdbool.h>
#include <stddef.h>

enum rp_model {
	RPM_UNKNOWN = 0,	/* not modelled (Microsoft 365, SES) */
	RPM_GMAIL,		/* smtp.gmail.com: the account's envelope and
				 * From:, unless a verified alias */
	RPM_GOOGLE_RELAY,	/* smtp-relay.gmail.com: ours kept */
	RPM_SENDGRID,		/* its bounce domain in the envelope */
	RPM_PASSTHROUGH		/* envelope and From: kept, no signature */
};

struct relay_profile {
	const char	*id;		/* "gmail", "workspace-relay", ... */
	const char	*label;		/* "Gmail (smtp.gmail.com)" */
	/* an authinfo I: without "@" names an account of this domain (the
	 * provider logs it in as user@domain), or NULL */
	const char	*account_domain;
	/* the provider sends with the logged-in account as the envelope
	 * sender whatever MAIL FROM says (Gmail) */
	bool		 forces_account;
	/* the AUTH user is a fixed word, not a sender ("apikey") */
	const char	*fixed_user;
	/* one line: what a setup with this provider needs from relaymilter
	 * when the account is not an address */
	const char	*sender_fix;
	/* --- what the recipient's MX sees (relayprof.c gives the sources) */
	enum rp_model	 model;
	/* d= the provider signs with when none of your domains is set up
	 * there: "gmail.com" (consumer Gmail), "sendgrid.net"; NULL: Google
	 * Workspace's per-domain gappssmtp.com key (relay_gapps_domain())
	 * for the Google models, no signature for a passthrough relay */
	const char	*own_dkim;
	/* default selector of a signature with your domain ("google",
	 * "s1"), NULL when there is none */
	const char	*dkim_selector;
	/* envelope domain of a provider that replaces the envelope when your
	 * domain is not authenticated there ("sendgrid.net"), or NULL */
	const char	*bounce_domain;
	/* the SPF mechanism that authorizes its egress, or NULL (ip4:/ip6:
	 * of the SPFRelayAddress) */
	const char	*spf_mechanism;
	/* one line for relaymilter -T: what the recipient sees */
	const char	*model_note;
};

const struct relay_profile *relay_profile_for(const char *host);
/* Every profile, in table order, for callers that list them (SPF scoping
 * of the domains an unqualified default account can become). */
size_t		 relay_profile_count(void);
const struct relay_profile *relay_profile_at(size_t i);
/* By RelayProfile word; NULL for "auto" or an unknown word. */
const struct relay_profile *relay_profile_named(const char *id);
/* Consumer Gmail (gmail.com, googlemail.com): Google signs d=gmail.com
 * whatever the account sends as. */
bool		 relay_gmail_consumer(const char *domain);
/* Google Workspace's default signing domain for a domain that has not
 * turned DKIM on: "<domain with dots as hyphens>.20230601.gappssmtp.com"
 * in buf (size bytes); NULL when it does not fit. */
const char	*relay_gapps_domain(const char *domain, char *buf, size_t size);

#endif
