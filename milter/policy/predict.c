/*
 * predict.c - SPF at the relay's egress, From: alignment, hint and action
 *
 * CONTRACT
 *	See predict.h. The SPF hint names the domain, the address and
 *	the exact SPF mechanism to add: the relay profile's include: (Google,
 *	SendGrid), include:_spf.google.com when the address is a Google
 *	egress or the relay is Google's, ip4:/ip6: otherwise. The DMARC
 *	parts come from rview.c (what the recipient sees), egress.c (SPF),
 *	dmarcpred.c (the verdict) and dmarcfix.c (its hint).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "align.h"
#include "config.h"
#include "deadline.h"
#include "dmarcfix.h"
#include "dmarcpred.h"
#include "egress.h"
#include "policy.h"
#include "predict.h"
#include "rview.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

void
prediction_free(struct prediction *p)
{
	free(p->spf_detail);
	rview_free(&p->rv);
	dmarcpred_clear(&p->dm);
	free(p->hint);
	free(p->reply);
	memset(p, 0, offsetof(struct prediction, rv));
}

/* Empty, without zeroing the inline blocks of rv and dm. */
static void
prediction_init(struct prediction *p)
{
	memset(p, 0, offsetof(struct prediction, rv));
	rview_init(&p->rv);
	dmarcpred_init(&p->dm);
}

struct spfc *
predict_checker_new(const struct rm_config *cfg, strbuf *err)
{
	struct spfc_options o;

	memset(&o, 0, sizeof(o));
	o.dns_timeout_ms = (unsigned)cfg->dns_timeout * 1000;
	o.cache_ttl = (unsigned)cfg->spf_cache_ttl;
	o.cache_max = cfg->spf_cache_size;
	o.zone_file = cfg->spf_test_zone != NULL && *cfg->spf_test_zone ?
	    cfg->spf_test_zone : NULL;
	return spfc_new(&o, err);
}

const char *
prediction_spf_word(const struct prediction *p)
{
	switch (p->spf_state) {
	case PRED_OFF: return NULL;
	case PRED_UNCHECKED: return "unchecked";
	case PRED_DONE: return spf_verdict_name(p->spf);
	}
	return NULL;
}

const char *
prediction_dmarc_word(const struct prediction *p)
{
	return dmarcpred_verdict_name(p->dm.verdict);
}

const char *
prediction_align_word(const struct prediction *p, int mode)
{
	if (p->align < 0)
		return "none";
	if (p->align == 0)
		return "fail";
	return mode == ALIGN_STRICT ? "strict" : "relaxed";
}

/* The relay's name (up to a ']', less one trailing dot) is one of
 * Google's or below one; compared in place, ASCII case folded. */
static bool
relay_is_google(const char *relay)
{
	static const char *const g[] = { "gmail.com", "google.com",
	    "googlemail.com", NULL };
	size_t i, n, kl;
	bool hit = false;

	if (relay == NULL)
		return false;
	kl = strcspn(relay, "]");
	if (kl > 0 && relay[kl - 1] == '.')
		kl--;
	for (i = 0; g[i] != NULL && !hit; i++) {
		n = strlen(g[i]);
		hit = kl >= n && strncasecmp(relay + kl - n, g[i], n) == 0 &&
		    (kl == n || relay[kl - n - 1] == '.' ||
		    relay[kl - n - 1] == '[');
	}
	return hit;
}

/* The SPF mechanism that would authorise ip. */
static void
mechanism(const struct decision *d, const struct prediction *p,
    const char *ip, strbuf *sb)
{
	if ((p->rv.prof == NULL || p->rv.prof->spf_mechanism == NULL) &&
	    relay_is_google(d->relay))
		sb_puts(sb, "include:_spf.google.com");
	else
		dmarcfix_spf_mechanism(&p->rv, ip, sb);
}

static void
spf_hint(const struct decision *d, const char *dom, const struct prediction *p,
    strbuf *h)
{
	strbuf mech;

	sb_init(&mech);
	if (p->spf == SPFV_NONE || p->spf == SPFV_PERMERROR)
		mechanism(d, p, p->spf_ip, &mech);
	switch (p->spf) {
	case SPFV_NONE:
		sb_printf(h, "%s publishes no SPF record: publish \"v=spf1 %s "
		    "~all\"", dom, mech.s);
		break;
	case SPFV_PERMERROR:
		sb_printf(h, "%s SPF record is broken (%s): fix it, it must "
		    "authorize %s (%s)", dom, p->spf_detail ? p->spf_detail :
		    "permerror", p->spf_ip, mech.s);
		break;
	case SPFV_TEMPERROR:
		sb_printf(h, "DNS trouble while checking %s SPF at %s: check "
		    "the resolver of this host", dom, p->spf_ip);
		break;
	default:	/* the common case, without printf: a per-message path */
		sb_puts(h, dom);
		sb_puts(h, " SPF does not authorize ");
		sb_puts(h, p->spf_ip);
		sb_puts(h, ": add ");
		mechanism(d, p, p->spf_ip, h);
		break;
	}
	sb_free(&mech);
}

static enum pred_action
act(int option_value)
{
	switch (option_value) {
	case ACT_TAG: return PACT_TAG;
	case ACT_TEMPFAIL: return PACT_TEMPFAIL;
	case ACT_REJECT: return PACT_REJECT;
	default: return PACT_NONE;
	}
}

/* Raise the action; remember the reply of the strongest refusal. */
static void
raise_action(struct prediction *p, enum pred_action a, const char *dsn5,
    const char *dsn4, const char *why)
{
	if (a <= p->action)
		return;
	p->action = a;
	if (a == PACT_REJECT) {
		p->code = "550";
		p->dsn = dsn5;
	} else if (a == PACT_TEMPFAIL) {
		p->code = "451";
		p->dsn = dsn4;
	}
	if (a >= PACT_TEMPFAIL) {
		free(p->reply);
		p->reply = sanitize_dup(why);
	}
}

/* The alignment hint, for the relay the recipient's view comes from. */
static void
align_hint(const struct rm_snapshot *s, const struct decision *d,
    const struct prediction *p, const char *dom, strbuf *hint)
{
	const struct rview *v = &p->rv;

	/* the fixed texts below are under 200 bytes, with four names */
	sb_reserve(hint, 200 + 2 * strlen(p->from_domain) + 2 * strlen(dom) +
	    strlen(d->final));
	if (hint->len > 0)
		sb_puts(hint, "; ");
	sb_puts(hint, "From: domain ");
	sb_puts(hint, p->from_domain);
	sb_puts(hint, " is not aligned with the envelope domain ");
	sb_puts(hint, dom);
	sb_puts(hint, " (");
	sb_puts(hint, rm_align_names[s->cfg->alignment_mode]);
	if (v->modelled && v->prof->model == RPM_SENDGRID) {
		sb_puts(hint, ", SendGrid's): authenticate ");
		sb_puts(hint, p->from_domain);
		sb_puts(hint, " at SendGrid and set RelayBounceDomain to its "
		    "em<N>.");
		sb_puts(hint, p->from_domain);
		sb_puts(hint, " return path");
	} else if (v->modelled && v->prof->model == RPM_GMAIL &&
	    v->env != NULL && !str_ieq(v->env, d->final)) {
		sb_puts(hint, ", the account Gmail sends with): From: must be "
		    "in ");
		sb_puts(hint, dom);
		sb_puts(hint, ": drop ");
		sb_puts(hint, v->from);
		sb_puts(hint, " from AllowedSenders, with RewriteHeaderFrom "
		    "unaligned");
	} else {
		sb_puts(hint, "): set RewriteHeaderFrom unaligned, or send "
		    "From: ");
		sb_puts(hint, d->final);
	}
}

/* The DMARC action and its reply. */
static void
dmarc_action(const struct rm_snapshot *s, struct prediction *p, strbuf *why)
{
	const struct rm_config *c = s->cfg;
	const struct dmarc_eval *e = &p->dm;

	if (e->verdict == DMV_TEMPERROR && c->on_dns_error == ON_TEMPFAIL) {
		sb_reset(why);
		sb_printf(why, "relaymilter: the DMARC check of %s could not be "
		    "made: %s", p->from_domain ? p->from_domain : "?",
		    e->found.why ? e->found.why : e->key.why ? e->key.why :
		    "DNS trouble");
		raise_action(p, PACT_TEMPFAIL, "5.7.26", "4.7.26", why->s);
	}
	if (e->verdict != DMV_FAIL || e->policy == DMARC_P_NONE)
		return;
	if (act(c->dmarc_fail_action) >= PACT_TEMPFAIL) {
		sb_reset(why);
		sb_printf(why, "relaymilter: the recipient would %s this "
		    "message: ", e->policy == DMARC_P_REJECT ? "reject" :
		    "quarantine");
		if (p->hint != NULL)
			sb_puts(why, p->hint);
		else
			sb_printf(why, "DMARC fails for %s (policy %s): "
			    "neither SPF (%s) nor DKIM (%s) passes aligned",
			    p->from_domain, dmarcrec_policy_name(e->policy),
			    p->rv.env_domain ? p->rv.env_domain : "none",
			    p->rv.dkim_d ? p->rv.dkim_d : "none");
		raise_action(p, act(c->dmarc_fail_action), "5.7.26", "4.7.26",
		    why->s);
	} else {
		raise_action(p, act(c->dmarc_fail_action), NULL, NULL, NULL);
	}
}

int
predict(const struct rm_snapshot *s, struct spfc *sc, const struct decision *d,
    const char *header_from, unsigned from_count, const char *jdomain,
    struct prediction *p, strbuf *err)
{
	const struct rm_config *c = s->cfg;
	const char *dom;
	struct egress_spf e;
	struct align_result ar;
	struct dmarc_fix_in fx;
	uint64_t deadline;
	strbuf hint, why;
	bool dkim_carries;
	int al;

	prediction_init(p);
	p->align = -1;
	if (d->action == DECIDE_SKIP)
		return 0;
	/* one DNSTimeout for every lookup of this message */
	deadline = mono_ms() + (uint64_t)c->dns_timeout * 1000;
	if (rview_build(s, d, header_from, from_count, &p->rv) < 0) {
		sb_puts(err, "out of memory");
		goto fail;
	}
	dom = p->rv.env_domain;
	if (egress_spf(s, sc, p->rv.env, dom, rview_env_ok(s, d, &p->rv),
	    deadline, &e, err) < 0)
		goto fail;
	p->spf_state = e.state;
	p->spf = e.verdict;
	p->spf_ip = e.ip;
	p->spf_detail = e.detail;	/* taken from e */
	p->spf_cached = e.cached;
	p->unchecked_why = e.why;
	p->from_domain = p->rv.from_domain;
	align_result_clear(&ar);	/* its buffers are only read once
					 * align_eval() has filled them */
	if (p->from_domain != NULL && dom != NULL) {
		if ((al = align_eval(p->from_domain, dom, c->alignment_mode,
		    &ar)) < 0) {
			sb_puts(err, "out of memory");
			goto fail;
		}
		p->align = al;
	}
	/* the same pair's domains serve DMARC's aspf= (strict or relaxed) */
	al = dmarcpred_evaluate(s, sc, d, jdomain, &p->rv, &e, p->align >= 0 ?
	    &ar : NULL, deadline, &p->dm, err);
	align_result_clear(&ar);
	if (al < 0)
		goto fail;
	/* an aligned DKIM signature carries DMARC: misalignment is moot */
	dkim_carries = p->dm.verdict == DMV_PASS && p->dm.dkim_aligned;

	sb_init(&hint);
	sb_init(&why);
	if (p->dm.verdict == DMV_FAIL) {
		fx.s = s;
		fx.sc = sc;
		fx.d = d;
		fx.header_from = header_from;
		fx.from_count = from_count;
		fx.jdomain = jdomain;
		fx.v = &p->rv;
		fx.spf = &e;
		fx.e = &p->dm;
		fx.deadline_ms = deadline;
		if (dmarcfix_hint(&fx, &hint, err) < 0) {
			sb_free(&hint);
			sb_free(&why);
			goto fail;
		}
	}
	if (p->spf_state == PRED_DONE && p->spf != SPFV_PASS) {
		/* for a DMARC failure the hint above names the one change */
		if (p->dm.verdict != DMV_FAIL)
			spf_hint(d, dom, p, &hint);
		/* the reply text is only written when it will be used */
		if (p->spf == SPFV_TEMPERROR) {
			if (c->on_dns_error == ON_TEMPFAIL) {
				sb_reset(&why);
				sb_puts(&why, "relaymilter: ");
				spf_hint(d, dom, p, &why);
				raise_action(p, PACT_TEMPFAIL, "5.7.24",
				    "4.7.24", why.s);
			}
		} else if (act(c->spf_fail_action) >= PACT_TEMPFAIL) {
			strbuf sh;

			sb_init(&sh);
			spf_hint(d, dom, p, &sh);
			sb_reset(&why);
			sb_printf(&why, "relaymilter: the recipient would see "
			    "SPF %s for %s at %s; %s", spf_verdict_name(p->spf),
			    dom, p->spf_ip, sh.s);
			sb_free(&sh);
			raise_action(p, act(c->spf_fail_action), "5.7.23",
			    "4.7.23", why.s);
		} else {
			raise_action(p, act(c->spf_fail_action), NULL, NULL,
			    NULL);
		}
		sb_reset(&why);
	}
	if (p->spf_state == PRED_DONE && act(c->spf_fail_action) >= PACT_TAG)
		p->tag_spf = true;
	if (p->align == 0 && !dkim_carries) {
		if (p->dm.verdict != DMV_FAIL)
			align_hint(s, d, p, dom, &hint);
		sb_reset(&why);
		if (act(c->misaligned_action) >= PACT_TEMPFAIL)
			sb_printf(&why, "relaymilter: DMARC would fail at the "
			    "recipient: From: domain %s is not aligned with %s",
			    p->from_domain, dom);
		raise_action(p, act(c->misaligned_action), "5.7.26", "4.7.26",
		    why.s);
	}
	if (p->align >= 0 && act(c->misaligned_action) >= PACT_TAG)
		p->tag_align = true;
	if (p->dm.verdict == DMV_NONE) {
		strbuf nr;

		sb_init(&nr);
		if (dmarcfix_no_record(&p->rv, &p->dm, &nr) < 0)
			hint.err = 1;
		else if (nr.len > 0) {
			if (hint.len > 0)
				sb_puts(&hint, "; ");
			sb_puts(&hint, nr.s);
		}
		sb_free(&nr);
	}
	if (hint.len > 0 && !hint.err)
		p->hint = sanitize_inplace(sb_steal(&hint));
	dmarc_action(s, p, &why);
	if (p->dm.verdict != DMV_OFF && act(c->dmarc_fail_action) >= PACT_TAG)
		p->tag_dmarc = true;
	if (hint.err || why.err) {
		sb_free(&hint);
		sb_free(&why);
		sb_puts(err, "out of memory");
		goto fail;
	}
	sb_free(&hint);
	sb_free(&why);
	return 0;
fail:
	prediction_free(p);
	return -1;
}
