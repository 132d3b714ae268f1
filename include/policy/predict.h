/*
 * predict.h - will the recipient's MX accept it? SPF and alignment, before the
 *	       mail leaves, with a hint and the policy action
 *
 * CONTRACT
 *	predict() runs for a rewrite or keep decision (mail that leaves via
 *	the relay from a trusted submitter, never for skipped mail), and
 *	describes the message as the recipient's MX will see it after the
 *	relay (rview.h: Gmail forces the account, SendGrid its bounce domain,
 *	a local relay passes ours), all its DNS by one deadline (DNSTimeout
 *	from the start of the call):
 *	  - SPF of that envelope domain at every SPFRelayAddress (egress.h),
 *	    but only when the rewrite or the configuration produced the
 *	    domain (rview_env_ok()): an arbitrary sender's domain is never
 *	    evaluated (spf "unchecked");
 *	  - alignment (RFC 7489 with the PSL, AlignmentMode) of that From:
 *	    domain with that envelope domain;
 *	  - the DMARC verdict and the policy it meets (dmarcpred.h);
 *	  - a one-line hint: for a DMARC failure the one change that makes it
 *	    pass (dmarcfix.h); otherwise what is wrong with SPF (not pass),
 *	    with alignment (not aligned, unless an aligned DKIM signature
 *	    passes DMARC anyway), and the warning for a domain without a
 *	    DMARC record that sends through Google;
 *	  - the action: SPFFailAction when SPF does not pass (fail, softfail,
 *	    neutral, none, permerror), On-DNSError for an SPF or DMARC
 *	    temperror, MisalignedAction when not aligned, DMARCFailAction
 *	    when DMARC fails under p= (or sp=) quarantine or reject; the
 *	    strongest wins. A refusal carries an RFC 7372 reply: X.7.23 (SPF
 *	    would fail), X.7.24 (SPF could not be evaluated), X.7.26 (DMARC
 *	    would fail or could not be evaluated; not aligned).
 *	It performs DNS through the checker only; everything else is pure.
 *	Returns 0, or -1 on an internal error (reason in err).
 */
#ifndef RM_PREDICT_H
#define RM_PREDICT_H

#include <stdbool.h>

#include "dmarcpred.h"
#include "egress.h"
#include "policy.h"
#include "rview.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

enum pred_action { PACT_NONE = 0, PACT_TAG, PACT_TEMPFAIL, PACT_REJECT };

struct prediction {
	enum pred_state	 spf_state;	/* OFF: no SPFRelayAddress */
	enum spf_verdict spf;		/* when DONE: the worst verdict */
	const char	*spf_ip;	/* address of that verdict, in the snapshot's
				 * spf_addrs: valid while the snapshot is */
	char		*spf_detail;
	bool		 spf_cached;	/* every address came from the cache */
	const char	*unchecked_why;	/* static, when UNCHECKED */
	int		 align;		/* 1 aligned, 0 not, -1 no usable From: */
	const char	*from_domain;	/* From: domain the recipient sees (in
					 * rv), or NULL */
	char		*hint;		/* what to fix, or NULL */
	enum pred_action action;
	bool		 tag_spf;	/* put spf= in the trace header */
	bool		 tag_align;	/* put align= in the trace header */
	bool		 tag_dmarc;	/* put dmarc= in the trace header */
	const char	*code;		/* "550"/"451" when refusing */
	const char	*dsn;		/* "5.7.23" ... */
	char		*reply;		/* reply text when refusing */
	/* last: their inline blocks are never zeroed (rview_init(),
	 * dmarcpred_init()) */
	struct rview	 rv;		/* what the recipient sees */
	struct dmarc_eval dm;		/* its DMARC verdict */
};

/* jdomain: the host's own name ({j}), whose DMARC record may be looked
 * up; NULL when not known. */
int		 predict(const struct rm_snapshot *s, struct spfc *sc,
		    const struct decision *d, const char *header_from,
		    unsigned from_count, const char *jdomain,
		    struct prediction *p, strbuf *err);
void		 prediction_free(struct prediction *p);
/* An SPF checker set up from DNSTimeout, SPFCacheTTL, SPFCacheSize and
 * SPFTestZone; NULL with the reason (FILE:LINE for a bad zone) in err. */
struct spfc	*predict_checker_new(const struct rm_config *cfg, strbuf *err);
/* The word for the decision line and the trace header. */
const char	*prediction_spf_word(const struct prediction *p);
const char	*prediction_align_word(const struct prediction *p, int mode);
/* "pass", "fail", "none", "temperror", "unchecked"; NULL when DMARC is
 * not predicted (no SPFRelayAddress, skipped mail). */
const char	*prediction_dmarc_word(const struct prediction *p);

#endif
