/*
 * predict.h - will the recipient's MX accept it? SPF and alignment, before the
 *	       mail leaves, with a hint and the policy action
 *
 * CONTRACT
 *	predict() runs for a rewrite or keep decision (mail that leaves via
 *	the relay from a trusted submitter, never for skipped mail):
 *	  - SPF of the final envelope domain at every SPFRelayAddress, with
 *	    the shared checker, but only when the snapshot allows that domain
 *	    (the rewrite produced it or the configuration names it): an
 *	    arbitrary sender's domain is never evaluated (spf "unchecked").
 *	    After a DNS failure at one address the others are not tried, so
 *	    DNS trouble costs one DNSTimeout, not one per address. The worst
 *	    verdict is reported, with its address.
 *	  - alignment (RFC 7489 with the PSL, AlignmentMode) of the From:
 *	    domain, as it will be after a From: rewrite, with the final
 *	    envelope domain;
 *	  - a one-line hint when the recipient's DMARC check is predicted to
 *	    fail (SPF not pass, or From: not aligned), saying what to fix;
 *	  - the action: SPFFailAction when SPF does not pass (fail, softfail,
 *	    neutral, none, permerror), On-DNSError for temperror,
 *	    MisalignedAction when not aligned; the strongest wins. A refusal
 *	    carries an RFC 7372 reply: X.7.23 (SPF would fail), X.7.24 (SPF
 *	    could not be evaluated), X.7.26 (DMARC would fail: not aligned).
 *	It performs DNS through the checker only; everything else is pure.
 *	Returns 0, or -1 on an internal error (reason in err).
 */
#ifndef RM_PREDICT_H
#define RM_PREDICT_H

#include <stdbool.h>

#include "policy.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

enum pred_state { PRED_OFF = 0, PRED_UNCHECKED, PRED_DONE };
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
	char		*from_domain;	/* From: domain after any rewrite */
	char		*hint;		/* what to fix, or NULL */
	enum pred_action action;
	bool		 tag_spf;	/* put spf= in the trace header */
	bool		 tag_align;	/* put align= in the trace header */
	const char	*code;		/* "550"/"451" when refusing */
	const char	*dsn;		/* "5.7.23" ... */
	char		*reply;		/* reply text when refusing */
};

int		 predict(const struct rm_snapshot *s, struct spfc *sc,
		    const struct decision *d, const char *header_from,
		    unsigned from_count, struct prediction *p, strbuf *err);
void		 prediction_free(struct prediction *p);
/* An SPF checker set up from DNSTimeout, SPFCacheTTL, SPFCacheSize and
 * SPFTestZone; NULL with the reason (FILE:LINE for a bad zone) in err. */
struct spfc	*predict_checker_new(const struct rm_config *cfg, strbuf *err);
/* The word for the decision line and the trace header. */
const char	*prediction_spf_word(const struct prediction *p);
const char	*prediction_align_word(const struct prediction *p, int mode);

#endif
