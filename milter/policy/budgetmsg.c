/*
 * budgetmsg.c - a message's relay budget rules, keys and counts
 *
 * CONTRACT
 *	See include/budgetmsg.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "budgetmsg.h"
#include "policy.h"
#include "relaylimit.h"
#include "snapshot.h"
#include "util.h"

unsigned
budget_envelopes(const struct rm_snapshot *s, const char *relay,
    unsigned rcpts)
{
	unsigned long per = SENDMAIL_MAX_RCPT;
	size_t i;

	for (i = 0; i < s->nlimits; i++)
		if (relaylimit_applies(&s->limits[i], relay) &&
		    s->limits[i].max[RLW_RCPTS_MSG] != 0 &&
		    s->limits[i].max[RLW_RCPTS_MSG] < per)
			per = s->limits[i].max[RLW_RCPTS_MSG];
	if (rcpts == 0)
		return 1;
	return (unsigned)((rcpts + per - 1) / per);
}

static char *
make_key(const struct relay_limit *rl, const char *relay, const char *account,
    const char *sender)
{
	strbuf k;
	char *bare;

	sb_init(&k);
	sb_reserve(&k, 64);
	if (rl->scope == RL_ACCOUNT && account != NULL && *account != '\0') {
		sb_puts(&k, "account:");
		sb_puts_sanitized(&k, account);
	} else if (rl->scope == RL_SENDER) {
		sb_puts(&k, "sender:");
		sb_puts_sanitized(&k, sender && *sender ? sender : "<>");
	} else {
		sb_puts(&k, "relay:");
		if (relay == NULL || *relay == '\0')
			sb_puts(&k, "(unknown)");
		else if ((bare = relaylimit_bare_host(relay)) != NULL) {
			sb_puts_sanitized(&k, bare);
			free(bare);
		} else {
			sb_free(&k);
			return NULL;
		}
	}
	return sb_steal(&k);
}

int
budget_msg_reqs(void *ctx, const char *relay, const char *account,
    const char *sender, unsigned rcpts, struct budget_req *req, size_t *nreq,
    unsigned *msgs)
{
	const struct rm_snapshot *s = ctx;
	size_t i, n = 0;

	for (i = 0; i < s->nlimits && n < BUDGET_MAX_REQS; i++) {
		if (!relaylimit_applies(&s->limits[i], relay))
			continue;
		if ((req[n].key = make_key(&s->limits[i], relay, account,
		    sender)) == NULL) {
			while (n > 0)
				free(req[--n].key);
			*nreq = 0;
			return -1;
		}
		req[n].lim = &s->limits[i];
		n++;
	}
	*nreq = n;
	*msgs = budget_envelopes(s, relay, rcpts);
	return 0;
}

void
budget_msg_free(struct budget_msgbuf *mb)
{
	size_t i;

	for (i = 0; i < mb->msg.nreq; i++)
		free(mb->req[i].key);
	free(mb->account_owned);
	memset(mb, 0, sizeof(*mb));
}

int
budget_msg_make(const struct rm_snapshot *s, const struct msg_facts *f,
    const struct decision *d, struct budget_msgbuf *mb, strbuf *err)
{
	size_t i, n = 0;
	unsigned rcpts = 0, msgs = 1;

	const char *account;

	memset(mb, 0, sizeof(*mb));
	if (s->nlimits == 0 || !d->relayed)
		return 0;
	for (i = 0; i < f->nrcpts; i++)
		if (policy_rcpt_relayed(s, &f->rcpts[i]))
			rcpts++;
	/* the policy found the authinfo account already, qualified as this
	 * would (rule 4); else (RelayAccount, a skipped message) look it up */
	if (d->account != NULL && d->account_src != NULL &&
	    strncmp(d->account_src, "authinfo:", 9) == 0)
		account = d->account;
	else
		account = mb->account_owned = policy_auth_account(s, d->relay);
	mb->msg.relay = d->relay;
	mb->msg.account = account;
	mb->msg.sender = d->final ? d->final : d->orig ? d->orig : "";
	if (budget_msg_reqs((void *)(uintptr_t)s, mb->msg.relay, account,
	    mb->msg.sender, rcpts, mb->req, &n, &msgs) < 0)
		goto nomem;
	mb->msg.rcpts = rcpts;
	mb->msg.msgs = msgs;
	mb->msg.req = mb->req;
	mb->msg.nreq = n;
	return 0;
nomem:
	budget_msg_free(mb);
	sb_puts(err, "out of memory");
	return -1;
}
