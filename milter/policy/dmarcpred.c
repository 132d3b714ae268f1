/*
 * dmarcpred.c - the recipient's DMARC verdict from its view of the message
 *
 * CONTRACT
 *	See dmarcpred.h. Alignment is align.c's (RFC 7489 3.1 with
 *	the PSL), strict or relaxed as the record's aspf=/adkim= say.
 *	The DKIM key is looked up only when a policy record was found (no
 *	record: the signature cannot change the verdict) and the signature
 *	is one of your domain with a known selector.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "config.h"
#include "dmarcdns.h"
#include "dmarcpred.h"
#include "dmarcrec.h"
#include "egress.h"
#include "policy.h"
#include "rview.h"
#include "snapshot.h"
#include "util.h"

const char *
dmarcpred_verdict_name(enum dmarc_verdict v)
{
	switch (v) {
	case DMV_OFF: return NULL;
	case DMV_UNCHECKED: return "unchecked";
	case DMV_NONE: return "none";
	case DMV_PASS: return "pass";
	case DMV_FAIL: return "fail";
	case DMV_TEMPERROR: return "temperror";
	}
	return NULL;
}

const char *
dmarcpred_dkim_name(const struct dmarc_eval *e)
{
	switch (e->dkim) {
	case DKIMV_NONE: return "none";
	case DKIMV_PASS: return "pass";
	case DKIMV_FAIL: return "fail";
	case DKIMV_TEMPERROR: return "temperror";
	}
	return "none";
}

void
dmarcpred_init(struct dmarc_eval *e)
{
	memset(e, 0, offsetof(struct dmarc_eval, found));
	dmarcdns_found_init(&e->found);
}

void
dmarcpred_clear(struct dmarc_eval *e)
{
	free(e->org_heap);
	dmarcdns_found_clear(&e->found);
	dmarcdns_keyq_clear(&e->key);
	memset(e, 0, offsetof(struct dmarc_eval, found));
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

/* Domain names equal but for ASCII case: byte for byte first, the usual
 * case (both lower case already), which costs less than str_ieq(). */
static bool
dom_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0 || str_ieq(a, b);
}

bool
dmarcpred_domain_ok(const struct rm_snapshot *s, const struct decision *d,
    const char *jdomain, const char *domain)
{
	const char *ad = domain_of(d->account);

	if (domain == NULL)
		return false;
	if ((jdomain != NULL && dom_eq(domain, jdomain)) ||
	    (ad != NULL && dom_eq(domain, ad)))
		return true;
	return snapshot_dmarc_domain_ok(s, domain);
}

/* Strict or relaxed alignment from align_eval()'s canonical and
 * organizational domains (either NULL: not a domain, aligned with
 * nothing). */
static bool
aligned(const struct align_result *r, bool strict)
{
	if (r->from_org == NULL || r->env_org == NULL)
		return false;
	return strcmp(strict ? r->from_dom : r->from_org,
	    strict ? r->env_dom : r->env_org) == 0;
}

int
dmarcpred_evaluate(const struct rm_snapshot *s, struct spfc *sc,
    const struct decision *d, const char *jdomain, const struct rview *v,
    const struct egress_spf *spf, const struct align_result *fe,
    uint64_t deadline_ms, struct dmarc_eval *e, strbuf *err)
{
	const struct dmarc_record *r;
	struct align_result own, dk;
	bool spf_known, dkim_known, own_used = false, dk_used = false;

	dmarcpred_init(e);
	/* own and dk (about 550 bytes each) are only read once filled */
	if (spf->state == PRED_OFF || sc == NULL)
		return 0;		/* DMV_OFF */
	e->verdict = DMV_UNCHECKED;
	if (!v->modelled) {
		e->why = "relay-not-modelled";
		return 0;
	}
	if (v->from_domain == NULL || v->from_domain[0] == '[') {
		e->why = "no-from";
		return 0;
	}
	if (!dmarcpred_domain_ok(s, d, jdomain, v->from_domain)) {
		e->why = "domain-not-configured";
		return 0;
	}
	/* From: against the envelope: the caller's, or computed here; its
	 * organizational domain is the one policy discovery uses */
	if (fe == NULL) {
		own_used = true;
		if (align_eval(v->from_domain, v->env_domain, ALIGN_RELAXED,
		    &own) < 0)
			goto nomem;
		fe = &own;
	}
	if (fe->from_org != NULL && strcmp(fe->from_dom, v->from_domain) == 0)
		/* the view's domain is canonical: its org is its tail */
		e->org = v->from_domain + (fe->from_org - fe->from_dom);
	else if ((e->org = e->org_heap = fe->from_org != NULL ?
	    strdup(fe->from_org) : align_org_domain(v->from_domain)) == NULL)
		goto nomem;
	if (dmarcdns_discover(sc, v->from_domain, e->org, deadline_ms,
	    &e->found) < 0)
		goto nomem;
	if (e->found.status == DMARCF_TEMPERROR) {
		e->verdict = DMV_TEMPERROR;
		goto done;
	}
	if (e->found.status == DMARCF_NONE) {
		e->verdict = DMV_NONE;
		goto done;
	}
	r = &e->found.rec;
	e->policy = dmarcrec_policy(r, e->found.at_org);

	/* SPF: the recipient's envelope domain, aspf= */
	e->spf_id_aligned = aligned(fe, r->aspf_strict);
	e->spf_aligned = e->spf_id_aligned && spf->state == PRED_DONE &&
	    spf->verdict == SPFV_PASS;
	/* an unaligned envelope cannot help, whatever SPF says */
	spf_known = !e->spf_id_aligned || (spf->state == PRED_DONE &&
	    spf->verdict != SPFV_TEMPERROR);

	/* DKIM: d=, adkim=, and whether the key is there */
	if (v->dkim_d != NULL) {
		e->dkim = DKIMV_PASS;
		if (!v->own_key && v->dkim_sel != NULL) {
			if (dmarcdns_dkim_key(sc, v->dkim_sel, v->dkim_d,
			    deadline_ms, &e->key) < 0)
				goto nomem;
			e->key_checked = true;
			e->dkim = e->key.status == DKIMK_OK ? DKIMV_PASS :
			    e->key.status == DKIMK_TEMPERROR ?
			    DKIMV_TEMPERROR : DKIMV_FAIL;
		}
		/* d= is often the envelope domain: its alignment is known */
		if (v->env_domain != NULL && dom_eq(v->dkim_d, v->env_domain))
			e->dkim_id_aligned = aligned(fe, r->adkim_strict);
		else {
			dk_used = true;
			if (align_eval(v->from_domain, v->dkim_d,
			    ALIGN_RELAXED, &dk) < 0)
				goto nomem;
			e->dkim_id_aligned = aligned(&dk, r->adkim_strict);
		}
		e->dkim_aligned = e->dkim_id_aligned && e->dkim == DKIMV_PASS;
	}
	dkim_known = !e->dkim_id_aligned || e->dkim != DKIMV_TEMPERROR;

	if (e->spf_aligned || e->dkim_aligned)
		e->verdict = DMV_PASS;
	else if (!dkim_known || (spf->state == PRED_DONE &&
	    spf->verdict == SPFV_TEMPERROR && e->spf_id_aligned))
		e->verdict = DMV_TEMPERROR;
	else if (!spf_known) {
		e->verdict = DMV_UNCHECKED;
		e->why = "envelope-domain-not-configured";
	} else
		e->verdict = DMV_FAIL;
done:
	if (own_used)
		align_result_clear(&own);
	if (dk_used)
		align_result_clear(&dk);
	return 0;
nomem:
	if (own_used)
		align_result_clear(&own);
	if (dk_used)
		align_result_clear(&dk);
	dmarcpred_clear(e);
	sb_puts(err, "out of memory");
	return -1;
}
