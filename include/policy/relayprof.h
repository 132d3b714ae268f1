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
 */
#ifndef RM_RELAYPROF_H
#define RM_RELAYPROF_H

#include <stdbool.h>
#include <stddef.h>

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
};

const struct relay_profile *relay_profile_for(const char *host);
/* Every profile, in table order, for callers that list them (SPF scoping
 * of the domains an unqualified default account can become). */
size_t		 relay_profile_count(void);
const struct relay_profile *relay_profile_at(size_t i);

#endif
