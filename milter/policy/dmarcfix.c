/*
 * dmarcfix.c - the hint for a DMARC failure: one change that makes it pass
 *
 * CONTRACT
 *	See dmarcfix.h. Candidate 3 builds the alternative decision
 *	as a shallow copy of the caller's (only from_rewrite differs), so it
 *	never frees it.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "align.h"
#include "config.h"
#include "dmarcfix.h"
#include "dmarcpred.h"
#include "egress.h"
#include "policy.h"
#include "relayprof.h"
#include "rview.h"
#include "snapshot.h"
#include "util.h"

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at != NULL ? at + 1 : NULL;
}

void
dmarcfix_spf_mechanism(const struct rview *v, const char *ip, strbuf *out)
{
	if (v->prof != NULL && v->prof->spf_mechanism != NULL) {
		sb_puts(out, v->prof->spf_mechanism);
	} else if (snapshot_addr_is_google(ip)) {
		sb_puts(out, "include:_spf.google.com");
	} else {
		sb_puts(out, strchr(ip, ':') ? "ip6:" : "ip4:");
		sb_puts(out, ip);
	}
}

/* "DMARC fails for DOMAIN (p=POLICY): " */
static void
lead(const struct dmarc_eval *e, const struct rview *v, strbuf *h)
{
	sb_puts(h, "DMARC fails for ");
	sb_puts(h, v->from_domain);
	sb_puts(h, " (");
	sb_puts(h, e->found.at_org && e->found.rec.has_sp ? "sp=" : "p=");
	sb_puts(h, dmarcrec_policy_name(e->policy));
	sb_puts(h, "): ");
}

/* 1. aligned envelope, SPF does not pass */
static bool
fix_spf(const struct dmarc_fix_in *in, strbuf *h)
{
	const struct egress_spf *spf = in->spf;
	const struct rview *v = in->v;

	if (!in->e->spf_id_aligned || spf->state != PRED_DONE ||
	    spf->verdict == SPFV_PASS || spf->verdict == SPFV_TEMPERROR)
		return false;
	lead(in->e, v, h);
	if (spf->verdict == SPFV_NONE) {
		sb_puts(h, v->env_domain);
		sb_puts(h, " publishes no SPF record: publish \"v=spf1 ");
		dmarcfix_spf_mechanism(v, spf->ip, h);
		sb_puts(h, " ~all\" there");
	} else if (spf->verdict == SPFV_PERMERROR) {
		sb_puts(h, "the SPF record of ");
		sb_puts(h, v->env_domain);
		sb_puts(h, " is broken: fix it so that it authorizes ");
		sb_puts(h, spf->ip);
		sb_puts(h, " (");
		dmarcfix_spf_mechanism(v, spf->ip, h);
		sb_puts(h, ")");
	} else {
		sb_puts(h, "add ");
		dmarcfix_spf_mechanism(v, spf->ip, h);
		sb_puts(h, " to the SPF record of ");
		sb_puts(h, v->env_domain);
		sb_puts(h, " (it does not authorize the relay's ");
		sb_puts(h, spf->ip);
		sb_puts(h, ")");
	}
	return true;
}

/* 2. an aligned signature of your domain whose key is not usable */
static bool
fix_key(const struct dmarc_fix_in *in, strbuf *h)
{
	const struct dmarc_eval *e = in->e;
	const struct rview *v = in->v;

	if (!e->dkim_id_aligned || !e->key_checked || e->dkim != DKIMV_FAIL)
		return false;
	lead(e, v, h);
	sb_puts(h, "the relay signs d=");
	sb_puts(h, v->dkim_d);
	sb_puts(h, " but the key ");
	sb_puts(h, v->dkim_sel);
	sb_puts(h, "._domainkey.");
	sb_puts(h, v->dkim_d);
	sb_puts(h, " is ");
	sb_puts(h, e->key.status == DKIMK_MISSING ? "not published" :
	    e->key.status == DKIMK_REVOKED ? "revoked (empty p=)" :
	    "unusable");
	sb_puts(h, ": publish the key the relay gives you for it");
	return true;
}

/* 3. RewriteHeaderFrom: would the rewrite make it pass? 1 yes, 0 no,
 * -1 error. */
static int
try_rewrite(const struct dmarc_fix_in *in, int mode, strbuf *err)
{
	const struct decision *d = in->d;
	const char *fdom = NULL, *final_dom = decision_final_domain(d);
	struct hdr_from hf;
	struct decision alt;
	struct rview v;
	struct egress_spf spf;
	struct dmarc_eval e;
	bool rewrite;
	int al, rc = 0;

	if (d->from_rewrite || d->final == NULL || final_dom == NULL ||
	    in->header_from == NULL || in->from_count != 1 ||
	    hdr_from_parse(in->header_from, &hf) < 0)
		return 0;
	if (hf.count != 1 || (fdom = hf.addr.domain) == NULL) {
		hdr_from_free(&hf);
		return 0;
	}
	if (mode == HFROM_YES) {
		char *old = addr_text(&hf.addr);

		rewrite = old != NULL && !str_ieq(old, d->final);
		free(old);
	} else {
		if ((al = align_check(fdom, final_dom,
		    in->s->cfg->alignment_mode)) < 0) {
			hdr_from_free(&hf);
			sb_puts(err, "out of memory");
			return -1;
		}
		rewrite = al == 0;
	}
	hdr_from_free(&hf);
	if (!rewrite)
		return 0;
	alt = *d;
	alt.from_rewrite = true;
	if (rview_build(in->s, &alt, in->header_from, in->from_count, &v) <
	    0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	if (egress_spf(in->s, in->sc, v.env, v.env_domain,
	    rview_env_ok(in->s, &alt, &v),
	    in->deadline_ms, &spf, err) < 0) {
		rview_free(&v);
		return -1;
	}
	if (dmarcpred_evaluate(in->s, in->sc, &alt, in->jdomain, &v, &spf, NULL,
	    in->deadline_ms, &e, err) < 0)
		rc = -1;
	else
		rc = e.verdict == DMV_PASS ? 1 : 0;
	dmarcpred_clear(&e);
	egress_spf_clear(&spf);
	rview_free(&v);
	return rc;
}

static int
fix_rewrite(const struct dmarc_fix_in *in, strbuf *h, strbuf *err)
{
	static const int modes[] = { HFROM_UNALIGNED, HFROM_YES };
	int cur = in->s->cfg->rewrite_header_from, rc;
	size_t i;

	for (i = 0; i < 2; i++) {
		if (modes[i] == cur || (modes[i] == HFROM_UNALIGNED &&
		    cur == HFROM_YES))
			continue;
		if ((rc = try_rewrite(in, modes[i], err)) < 0)
			return -1;
		if (rc == 1) {
			lead(in->e, in->v, h);
			sb_puts(h, "set RewriteHeaderFrom ");
			sb_puts(h, rm_hfrom_names[modes[i]]);
			sb_puts(h, " (From: becomes ");
			sb_puts(h, in->d->final);
			sb_puts(h, ", which passes)");
			return 1;
		}
	}
	return 0;
}

/* 4. DKIM with the From: domain at the relay; 5. a consumer alias. */
static bool
fix_dkim(const struct dmarc_fix_in *in, strbuf *h)
{
	const struct rview *v = in->v;
	const struct dmarc_eval *e = in->e;
	const char *basis;
	int al;

	switch (v->prof->model) {
	case RPM_GMAIL:
	case RPM_GOOGLE_RELAY:
		basis = v->prof->model == RPM_GMAIL ? domain_of(v->env) :
		    v->env_domain;
		if (basis == NULL)
			return false;
		if (v->prof->model == RPM_GMAIL &&
		    relay_gmail_consumer(basis)) {
			lead(e, v, h);
			sb_puts(h, "Gmail sends ");
			sb_puts(h, v->from);
			sb_puts(h, " with the envelope and DKIM of ");
			sb_puts(h, basis);
			sb_puts(h, ", which never align with ");
			sb_puts(h, v->from_domain);
			sb_puts(h, ": drop it from AllowedSenders so that "
			    "RewriteHeaderFrom unaligned makes From: the "
			    "account, or relay mail of ");
			sb_puts(h, v->from_domain);
			sb_puts(h, " through a provider that signs for it");
			return true;
		}
		al = align_check(v->from_domain, basis,
		    e->found.rec.adkim_strict ? ALIGN_STRICT : ALIGN_RELAXED);
		if (al < 0)
			return false;
		if (al == 0) {
			lead(e, v, h);
			sb_puts(h, "Google sends it with the envelope and DKIM "
			    "of ");
			sb_puts(h, basis);
			sb_puts(h, ", which do not align with ");
			sb_puts(h, v->from_domain);
			sb_puts(h, e->found.rec.adkim_strict ? " (adkim=s)" :
			    "");
			sb_puts(h, ": send From: an address of ");
			sb_puts(h, basis);
			sb_puts(h, " (RewriteHeaderFrom yes)");
			return true;
		}
		lead(e, v, h);
		sb_puts(h, "turn on DKIM for ");
		sb_puts(h, basis);
		sb_puts(h, " in the Google Admin console (Apps > Google "
		    "Workspace > Gmail > Authenticate email), publish its "
		    "key and set RelayDKIM account");
		return true;
	case RPM_SENDGRID:
		lead(e, v, h);
		sb_puts(h, "authenticate ");
		sb_puts(h, v->from_domain);
		sb_puts(h, " at SendGrid (Settings > Sender Authentication > "
		    "Authenticate Your Domain), publish its CNAMEs and set "
		    "RelayDKIM ");
		sb_puts(h, v->from_domain);
		return true;
	default:
		lead(e, v, h);
		sb_puts(h, "sign mail of ");
		sb_puts(h, v->from_domain);
		sb_puts(h, " with DKIM after relaymilter (a signing milter "
		    "such as opendkim), publish its key and set RelayDKIM ");
		sb_puts(h, v->from_domain);
		sb_puts(h, ":SELECTOR");
		return true;
	}
}

int
dmarcfix_hint(const struct dmarc_fix_in *in, strbuf *h, strbuf *err)
{
	int rc;

	if (in->e->verdict != DMV_FAIL || in->v->from_domain == NULL)
		return 0;
	if (fix_spf(in, h) || fix_key(in, h))
		return h->err ? -1 : 0;
	if ((rc = fix_rewrite(in, h, err)) < 0)
		return -1;
	if (rc == 0)
		(void)fix_dkim(in, h);
	if (h->err) {
		sb_puts(err, "out of memory");
		return -1;
	}
	return 0;
}

int
dmarcfix_no_record(const struct rview *v, const struct dmarc_eval *e,
    strbuf *h)
{
	if (e->verdict != DMV_NONE || v->from_domain == NULL ||
	    (v->prof->model != RPM_GMAIL && v->prof->model != RPM_GOOGLE_RELAY))
		return 0;
	sb_puts(h, v->from_domain);
	sb_puts(h, " publishes no DMARC record");
	if (e->found.why != NULL) {
		sb_puts(h, " (");
		sb_puts(h, e->found.why);
		sb_puts(h, ")");
	}
	sb_puts(h, ": Google's sender rules require one of bulk senders and "
	    "reject unauthenticated mail; publish \"v=DMARC1; p=none\" at "
	    "_dmarc.");
	sb_puts(h, e->org != NULL ? e->org : v->from_domain);
	return h->err ? -1 : 0;
}
