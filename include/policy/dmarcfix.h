/*
 * dmarcfix.h - the one change that makes a DMARC failure pass
 *
 * CONTRACT
 *	dmarcfix_hint() writes one hint for a message the recipient's DMARC
 *	check would fail (dmarcpred.h), naming a single change, the first of
 *	these that makes it pass:
 *	  1. the envelope domain is aligned but SPF does not pass: the SPF
 *	     mechanism to add (the relay profile's include:, else ip4:/ip6:
 *	     of the egress address);
 *	  2. a signature of your domain is aligned but its key is not
 *	     usable: the key to publish;
 *	  3. RewriteHeaderFrom unaligned, then yes: only when relaymilter
 *	     would then rewrite From: and the message, evaluated again with
 *	     that From: (its view, SPF and DMARC: DNS within the same
 *	     deadline), passes;
 *	  4. DKIM with the From: domain at the relay: Google Workspace's
 *	     "Authenticate email" (when the account's domain aligns with
 *	     From:), SendGrid's Domain Authentication, a signer after
 *	     relaymilter for a passthrough relay; with RelayDKIM to match;
 *	  5. consumer Gmail and a verified alias of another domain: no
 *	     setting aligns it; the alias must go (or go through another
 *	     relay).
 *	For a message whose From: domain publishes no DMARC record and
 *	leaves through Google (gmail, workspace-relay), dmarcfix_no_record()
 *	writes the warning of Google's sender rules (a record is required of
 *	bulk senders). Text is appended to hint; 0, or -1 on an allocation
 *	failure or an internal error of the checker (err).
 */
#ifndef RM_DMARCFIX_H
#define RM_DMARCFIX_H

#include <stdint.h>

#include "dmarcpred.h"
#include "egress.h"
#include "policy.h"
#include "rview.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

struct dmarc_fix_in {
	const struct rm_snapshot *s;
	struct spfc		*sc;
	const struct decision	*d;
	const char		*header_from;
	unsigned		 from_count;
	const char		*jdomain;
	const struct rview	*v;
	const struct egress_spf	*spf;
	const struct dmarc_eval	*e;
	uint64_t		 deadline_ms;
};

int	 dmarcfix_hint(const struct dmarc_fix_in *in, strbuf *hint,
	    strbuf *err);
int	 dmarcfix_no_record(const struct rview *v,
	    const struct dmarc_eval *e, strbuf *hint);
/* The SPF mechanism that authorizes ip for this view's relay. */
void	 dmarcfix_spf_mechanism(const struct rview *v, const char *ip,
	    strbuf *out);

#endif
