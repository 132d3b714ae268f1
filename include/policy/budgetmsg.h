/*
 * budgetmsg.h - which RelayLimit rules a message falls under, the keys it
 *		 counts under, and what the relay sees of it
 *
 * CONTRACT
 *	Only relayed mail counts (the decision's relayed: some recipient
 *	leaves via RelayMailers), whoever sends it: untrusted clients' and
 *	bounces (<>) too, since the relay counts them. A rule applies when
 *	its relay= (if any) is the first relayed recipient's {rcpt_host}.
 *	Its key:
 *	  per=account  "account:" the I: sendmail logs in with for that relay
 *	               (policy_auth_account); a relay without one (an
 *	               IP-registered Workspace relay) counts as per=relay;
 *	  per=sender   "sender:" the final envelope sender (after a
 *	               rewrite; the original for a skipped message);
 *	  per=relay    "relay:" the relay host, bare and lower case.
 *	Recipients: those that leave via a relay mailer. Messages: the
 *	envelopes the relay will see: sendmail sends at most 100 recipients
 *	per envelope (its default r= of SMTP mailers), and at most rcpts/msg
 *	when a rule sets less; a message to R recipients is ceil(R / that).
 *
 *	Pure (the snapshot is read-only). Keys are allocated; -1 on
 *	allocation failure with the reason in err.
 */
#ifndef RM_BUDGETMSG_H
#define RM_BUDGETMSG_H

#include <stddef.h>

#include "budget.h"
#include "policy.h"
#include "snapshot.h"
#include "util.h"

#define SENDMAIL_MAX_RCPT	100	/* sendmail's default r= (conf.h) */

struct budget_msgbuf {
	struct budget_msg	 msg;
	struct budget_req	 req[BUDGET_MAX_REQS];
	char			*account_owned;	/* freed with the buffer */
};

/* The message's rules and keys; msg.nreq is 0 when no rule applies (or
 * it is not relayed). The relay, account and sender may point into d:
 * the buffer must not outlive it. */
int	budget_msg_make(const struct rm_snapshot *s, const struct msg_facts *f,
	    const struct decision *d, struct budget_msgbuf *mb, strbuf *err);
void	budget_msg_free(struct budget_msgbuf *mb);

/* The same for a held message, from what was kept with it (a
 * budget_reqs_fn; ctx is the snapshot). */
int	budget_msg_reqs(void *ctx, const char *relay, const char *account,
	    const char *sender, unsigned rcpts, struct budget_req *req,
	    size_t *nreq, unsigned *msgs);

/* The envelopes the relay sees of a message to rcpts relayed recipients
 * via relay (at least 1). */
unsigned budget_envelopes(const struct rm_snapshot *s, const char *relay,
	    unsigned rcpts);

#endif
