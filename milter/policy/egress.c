/*
 * egress.c - SPF at every relay egress address, the worst verdict
 *
 * CONTRACT
 *	See egress.h.
 */
#include <stdlib.h>
#include <string.h>

#include "egress.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

void
egress_spf_clear(struct egress_spf *e)
{
	free(e->detail);
	memset(e, 0, sizeof(*e));
}

int
egress_rank(enum spf_verdict v)
{
	switch (v) {
	case SPFV_PASS: return 0;
	case SPFV_TEMPERROR: return 1;
	case SPFV_NEUTRAL: return 2;
	case SPFV_NONE: return 3;
	case SPFV_SOFTFAIL: return 4;
	case SPFV_PERMERROR: return 5;
	case SPFV_FAIL: return 6;
	}
	return 0;
}

int
egress_spf(const struct rm_snapshot *s, struct spfc *sc, const char *sender,
    const char *domain, bool domain_ok, uint64_t deadline_ms,
    struct egress_spf *p, strbuf *err)
{
	struct spf_outcome o;
	size_t i;
	int worst = -1;
	bool all_cached = true;

	memset(p, 0, sizeof(*p));
	if (s->spf_addrs.n == 0) {
		p->state = PRED_OFF;
		return 0;
	}
	if (sc == NULL) {
		p->state = PRED_UNCHECKED;
		p->why = "no-checker";
		return 0;
	}
	if (domain == NULL || domain[0] == '[') {
		p->state = PRED_UNCHECKED;
		p->why = "no-envelope-domain";
		return 0;
	}
	if (!domain_ok) {
		p->state = PRED_UNCHECKED;
		p->why = "domain-not-configured";
		return 0;
	}
	if (sender == NULL)
		sender = domain;
	for (i = 0; i < s->spf_addrs.n; i++) {
		memset(&o, 0, sizeof(o));
		if (spfc_check_by(sc, sender, s->spf_addrs.v[i], deadline_ms,
		    &o) < 0) {
			sb_printf(err, "SPF check of %s at %s failed: %s",
			    domain, s->spf_addrs.v[i], o.detail ? o.detail :
			    "internal error");
			spf_outcome_clear(&o);
			egress_spf_clear(p);
			return -1;
		}
		if (!o.cached)
			all_cached = false;
		if (egress_rank(o.verdict) > worst) {
			worst = egress_rank(o.verdict);
			p->verdict = o.verdict;
			free(p->detail);
			p->ip = s->spf_addrs.v[i];
			p->detail = o.detail ? sanitize_inplace(o.detail) :
			    NULL;	/* taken from o */
			o.detail = NULL;
		}
		/* a dead resolver costs one DNSTimeout, not one per address */
		if (o.verdict == SPFV_TEMPERROR && o.dns_error) {
			spf_outcome_clear(&o);
			break;
		}
		spf_outcome_clear(&o);
	}
	p->state = PRED_DONE;
	p->cached = all_cached;
	return 0;
}
