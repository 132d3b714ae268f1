/*
 * egress.h - SPF of an envelope domain at the relay's egress addresses
 *
 * CONTRACT
 *	egress_spf() evaluates SPF for sender (an address, or a bare domain:
 *	"postmaster@domain") at every SPFRelayAddress with the shared
 *	checker, all by one deadline, and reports the worst verdict with its
 *	address. After a DNS failure at one address the others are not
 *	tried, so DNS trouble costs the budget once, not once per address.
 *	It evaluates nothing when the snapshot has no SPFRelayAddress (OFF),
 *	without a checker or a domain, or when domain_ok is false: the caller
 *	says whether the rewrite or the configuration produced the domain
 *	(UNCHECKED, with a static why). DNS only through the checker.
 *	Returns 0, or -1 on an internal error of the checker (reason in err).
 */
#ifndef RM_EGRESS_H
#define RM_EGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

enum pred_state { PRED_OFF = 0, PRED_UNCHECKED, PRED_DONE };

struct egress_spf {
	enum pred_state	 state;
	enum spf_verdict verdict;	/* when DONE: the worst */
	const char	*ip;		/* its address, in s->spf_addrs */
	char		*detail;	/* sanitised, or NULL */
	bool		 cached;	/* every address from the cache */
	const char	*why;		/* static, when UNCHECKED */
};

int	 egress_spf(const struct rm_snapshot *s, struct spfc *sc,
	    const char *sender, const char *domain, bool domain_ok,
	    uint64_t deadline_ms, struct egress_spf *out, strbuf *err);
void	 egress_spf_clear(struct egress_spf *e);
/* Badness of a verdict, to choose the one to report (pass 0 ... fail). */
int	 egress_rank(enum spf_verdict v);

#endif
