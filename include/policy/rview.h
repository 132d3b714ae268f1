/*
 * rview.h - the recipient's view of a relayed message: the envelope, the
 *	     From: and the DKIM signature its MX will see after the relay
 *
 * CONTRACT
 *	rview_build() is pure: from the snapshot (RelayProfile, RelayDKIM,
 *	RelayBounceDomain, AllowedSenders), the decision and the message's
 *	From: it says what the relay's egress hands to the recipient's MX,
 *	following the relay profile's model (relayprof.h, which gives each
 *	fact's source):
 *	  - the profile: RelayProfile, else (auto) the smarthost's name
 *	    ({rcpt_host}), else passthrough. A profile that is not modelled
 *	    (Microsoft 365, SES) gives modelled false and nothing else;
 *	  - gmail: the envelope is the account; From: is kept when it is the
 *	    account or listed in AllowedSenders (a verified alias, address or
 *	    @domain), else replaced by the account. Without an account
 *	    address (no-account, account-not-address) the view is ours;
 *	  - workspace-relay, passthrough: our envelope and From:;
 *	  - sendgrid: our From:; the envelope domain is the RelayBounceDomain
 *	    entry in the From: domain's organizational domain, else
 *	    sendgrid.net;
 *	  - DKIM: the first RelayDKIM entry that applies, else the provider's
 *	    own signature (none for workspace-relay's and gmail's Workspace
 *	    case: *.gappssmtp.com; no signature for passthrough) unless
 *	    RelayDKIM lists "none". An entry names a domain (DOMAIN, or
 *	    "account": the account's domain, for passthrough and sendgrid
 *	    the final envelope sender's; "from": the From: domain); it
 *	    applies when the relay signs that mail with it: for the Google
 *	    profiles when it is the account's domain (gmail) or the envelope
 *	    domain (workspace-relay), as Google signs by the sending domain;
 *	    otherwise when the From: domain is it or below it. A consumer
 *	    Gmail account is always signed d=gmail.com. The selector is the
 *	    entry's, else the profile's default ("google", "s1"); a signature
 *	    of the provider's own (own_key) is assumed valid and never
 *	    looked up.
 *	No DNS, no I/O; -1 only on an allocation failure. rview_free()
 *	releases what rview_build() allocated.
 */
#ifndef RM_RVIEW_H
#define RM_RVIEW_H

#include <stdbool.h>

#include "policy.h"
#include "relayprof.h"
#include "snapshot.h"

/* The strings of a view live in one block (arena): the view's own inl
 * when they fit (the usual view costs no malloc), else one allocation.
 * The strings may point into the struct itself: never copy a struct
 * rview (pass a pointer). */
#define RVIEW_INLINE	256
struct rview {
	const struct relay_profile *prof;	/* never NULL after a build */
	bool		 auto_profile;	/* found by the smarthost's name */
	bool		 modelled;
	/* envelope */
	const char	*env;		/* address, or NULL when only its
					 * domain is known (sendgrid) */
	const char	*env_domain;	/* lower case; NULL: none */
	const char	*env_note;	/* static: where it comes from */
	/* From: */
	const char	*from;		/* address, NULL: no single From: */
	const char	*from_domain;	/* lower case */
	const char	*from_note;	/* static, NULL: as relaymilter
					 * leaves it */
	bool		 from_replaced;	/* by the relay */
	/* DKIM */
	const char	*dkim_d;	/* lower case; NULL: no signature */
	const char	*dkim_sel;	/* NULL: own key or no selector known */
	bool		 own_key;	/* the provider's key: not checked */
	const char	*dkim_note;	/* static: where the signature comes
					 * from */
	char		*arena;		/* holds the strings above: inl, or
					 * malloc'ed */
	char		 inl[RVIEW_INLINE];
};

int	 rview_build(const struct rm_snapshot *s, const struct decision *d,
	    const char *header_from, unsigned from_count, struct rview *out);
void	 rview_free(struct rview *v);
/* An empty view (rview_free() on it frees nothing), without zeroing the
 * inline block. */
void	 rview_init(struct rview *v);
/* May SPF be evaluated for the view's envelope domain: one SPF may
 * evaluate (snapshot.h), the account's domain, or the relay's own bounce
 * domain (sendgrid.net)? */
bool	 rview_env_ok(const struct rm_snapshot *s, const struct decision *d,
	    const struct rview *v);

#endif
