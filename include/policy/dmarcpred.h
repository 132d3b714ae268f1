/*
 * dmarcpred.h - the DMARC verdict the recipient's MX will reach (RFC 7489)
 *
 * CONTRACT
 *	dmarcpred_evaluate() takes the recipient's view of a message (rview.h)
 *	and the SPF verdict of its envelope domain at the relay's egress
 *	(egress.h), and says what a DMARC verifier at the recipient makes of
 *	it:
 *	  - OFF when SPF is off (no SPFRelayAddress: the egress, and with it
 *	    the recipient's SPF verdict, is not known);
 *	  - UNCHECKED (why: relay-not-modelled, no-from, domain-not-
 *	    configured, envelope-domain-not-configured) when it cannot be
 *	    predicted. Only From: domains the rewrite or the configuration
 *	    produce are looked up: those SPF may evaluate (SPFDomains and the
 *	    rest, snapshot.h), DMARCDomains, the account's domain and the
 *	    host's own ($j, jdomain);
 *	  - otherwise policy discovery (dmarcdns.h, with the organizational
 *	    domain of the Public Suffix List, align.h): NONE without a policy
 *	    record, TEMPERROR on DNS trouble; with one, SPF aligned pass (SPF
 *	    pass, envelope domain aligned with From: per aspf=) or DKIM
 *	    aligned pass (a signature that verifies, d= aligned per adkim=)
 *	    gives PASS, neither FAIL. A signature with the provider's own key
 *	    verifies; one with your domain verifies when its key is published
 *	    (dmarcdns_dkim_key(); without a selector it is assumed to). When
 *	    one side's answer is unknown (SPF unchecked or temperror, the key
 *	    lookup temperror) and the other does not pass, the verdict is
 *	    UNCHECKED or TEMPERROR, never a guess.
 *	  - policy: p= of a record found at the From: domain, sp= (else p=)
 *	    of one found at the organizational domain (RFC 7489 6.3).
 *	All DNS by the caller's deadline. Returns 0, or -1 on an allocation
 *	failure (err). dmarcpred_clear() frees what it allocated. The
 *	result may point into the view's strings (org, found.where): clear
 *	it before the view is freed.
 */
#ifndef RM_DMARCPRED_H
#define RM_DMARCPRED_H

#include <stdbool.h>
#include <stdint.h>

#include "align.h"
#include "dmarcdns.h"
#include "dmarcrec.h"
#include "egress.h"
#include "policy.h"
#include "rview.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

enum dmarc_verdict {
	DMV_OFF = 0, DMV_UNCHECKED, DMV_NONE, DMV_PASS, DMV_FAIL,
	DMV_TEMPERROR
};

struct dmarc_eval {
	enum dmarc_verdict verdict;
	const char	*why;		/* static, when UNCHECKED */
	const char	*org;		/* organizational domain of From:, in
					 * the view's from_domain when it is
					 * canonical (valid while the view
					 * is), else org_heap */
	char		*org_heap;	/* NULL when org is in the view */
	enum dmarc_policy policy;	/* when found.status is FOUND */
	bool		 spf_id_aligned; /* envelope domain aligned (aspf=) */
	bool		 spf_aligned;	/* ... and SPF passes */
	bool		 key_checked;	/* key looked up (key valid) */
	struct dkim_keyq key;
	enum { DKIMV_NONE = 0, DKIMV_PASS, DKIMV_FAIL, DKIMV_TEMPERROR }
			 dkim;		/* the signature at the recipient */
	bool		 dkim_id_aligned; /* d= aligned (adkim=) */
	bool		 dkim_aligned;	/* ... and it verifies */
	struct dmarc_found found;	/* discovery's outcome (last: see
					 * dmarcpred_init()) */
};

/* fe: align_eval() of the view's From: domain with its envelope domain,
 * when the caller has it (any mode), else NULL. */
int		 dmarcpred_evaluate(const struct rm_snapshot *s,
		    struct spfc *sc,
		    const struct decision *d, const char *jdomain,
		    const struct rview *v, const struct egress_spf *spf,
		    const struct align_result *fe, uint64_t deadline_ms,
		    struct dmarc_eval *out, strbuf *err);
void		 dmarcpred_clear(struct dmarc_eval *e);
/* An empty result (OFF; dmarcpred_clear() on it frees nothing), without
 * zeroing the record's inline block. */
void		 dmarcpred_init(struct dmarc_eval *e);
/* "pass", "fail", "none", "temperror", "unchecked"; NULL for OFF. */
const char	*dmarcpred_verdict_name(enum dmarc_verdict v);
const char	*dmarcpred_dkim_name(const struct dmarc_eval *e);
/* May the DMARC record of this From: domain be looked up? */
bool		 dmarcpred_domain_ok(const struct rm_snapshot *s,
		    const struct decision *d, const char *jdomain,
		    const char *domain);

#endif
