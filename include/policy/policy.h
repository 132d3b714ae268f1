/*
 * policy.h - the per-message decision: rewrite, keep or skip, and why
 *
 * CONTRACT
 *	policy_decide() is pure: it reads the facts the milter gathered and a
 *	snapshot, and fills a decision. It performs no I/O, calls no libmilter
 *	function and keeps no state, so every rule is unit-testable. Rules, in
 *	order (README "How relaymilter decides"):
 *	  1. relayed: some recipient's {rcpt_mailer} is in RelayMailers,
 *	     else skip (reason not-relayed; no-mailer-macro when sendmail sent
 *	     no {rcpt_mailer} at all);
 *	  2. trusted: the client address is in TrustedNetworks, or the
 *	     client is local (no address), or TrustAuthenticated and
 *	     {auth_authen} is set; else skip (untrusted);
 *	  3. the null sender <> is never rewritten (skip, null-sender); an
 *	     envelope sender that does not parse is skipped (bad-sender);
 *	  4. the relay account: RelayAccount, else the I: of the authinfo
 *	     entry for the first relayed recipient's {rcpt_host}, else the
 *	     default AuthInfo: entry; an I: without a domain is qualified
 *	     with the provider's account domain where it has one ("I:user_id"
 *	     for smtp.gmail.com is user_id@gmail.com, relayprof.h); any other
 *	     I: that is not an address (SendGrid's "apikey") is no account;
 *	  5. the new sender: a SenderMap hit (genericstable order; unqualified
 *	     senders are looked up as user@$j first; an entry whose %1
 *	     expansion is no address for this sender does not apply and is
 *	     named in map_skipped_key), else the sender itself
 *	     when AllowedSenders lists it or its @domain (keep, allowed), else
 *	     the account (keep, no-account when there is none); a result equal
 *	     to the sender is a keep (unchanged);
 *	  6. the From: header, for rewrite and keep, per RewriteHeaderFrom
 *	     (yes: when it differs from the final sender; unaligned: when its
 *	     domain is not aligned with the final sender's per AlignmentMode),
 *	     keeping the display name; the old From: goes to Reply-To unless
 *	     the message has one. A message with no From:, several From:
 *	     fields or several mailboxes is not touched (from_note says why).
 *	Returns 0, or -1 on an internal error (allocation failure) with the
 *	reason in err: the caller then follows On-InternalError.
 */
#ifndef RM_POLICY_H
#define RM_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"
#include "util.h"

struct rcpt_info {
	char	*addr;		/* as given to RCPT TO */
	char	*mailer;	/* {rcpt_mailer}, or NULL when not sent */
	char	*host;		/* {rcpt_host}, or NULL */
};

struct msg_facts {
	const char		*sender;	/* MAIL FROM argument, "<...>" */
	const char		*client_addr;	/* text, NULL: local, no address */
	const char		*auth_authen;	/* {auth_authen} or NULL */
	const char		*jdomain;	/* {j} or NULL */
	const struct rcpt_info	*rcpts;
	size_t			 nrcpts;
	const char		*header_from;	/* first From: value or NULL */
	unsigned		 from_count;	/* number of From: fields */
	bool			 has_reply_to;
};

enum decision_action { DECIDE_SKIP = 0, DECIDE_KEEP, DECIDE_REWRITE };

struct decision {
	enum decision_action	 action;
	const char		*reason;	/* static; NULL for a rewrite */
	const char		*trust;		/* network, local, auth, untrusted */
	char			*orig;		/* envelope sender, no brackets */
	char			*final;		/* sender after the decision */
	char			*account;	/* relay account, or NULL */
	char			*account_src;	/* "RelayAccount", "authinfo:host"... */
	char			*relay;		/* {rcpt_host} of the first relayed rcpt */
	char			*map_key;	/* SenderMap key that matched */
	unsigned		 map_line;
	char			*map_skipped_key; /* a key that matched but whose
						   * %1 expansion is no address
						   * for this sender (passed over) */
	unsigned		 map_skipped_line;
	bool			 relayed;
	/* From: header */
	bool			 from_rewrite;
	char			*from_old_addr;	/* address in From: */
	char			*from_new;	/* new From: value */
	char			*reply_to;	/* Reply-To: to add, or NULL */
	const char		*from_note;	/* why From: was left alone */
};

const char	*decision_action_name(enum decision_action a);
int		 policy_decide(const struct rm_snapshot *snap,
		    const struct msg_facts *f, struct decision *d, strbuf *err);
void		 decision_free(struct decision *d);
/* The domain of the final sender (points into d->final), or NULL. */
const char	*decision_final_domain(const struct decision *d);
/* Does this recipient leave via a relay mailer (RelayMailers)? */
bool		 policy_rcpt_relayed(const struct rm_snapshot *s,
		    const struct rcpt_info *r);
/* The account sendmail logs in with at relay ({rcpt_host}): the I: of the
 * authinfo entry it uses, qualified as in rule 4 ("user_id" for
 * smtp.gmail.com is user_id@gmail.com); NULL when there is none (or no
 * memory). Never RelayAccount: that is the sender, not the login. */
char		*policy_auth_account(const struct rm_snapshot *s,
		    const char *relay);

#endif
