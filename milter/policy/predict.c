/*
 * predict.c - SPF at the relay's egress, From: alignment, hint and action
 *
 * CONTRACT
 *	See predict.h. The hint names the domain, the address and the
 *	exact SPF mechanism to add: include:_spf.google.com when the address
 *	is a Google egress (or the relay is Google's), ip4:/ip6: otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "align.h"
#include "config.h"
#include "netlist.h"
#include "policy.h"
#include "predict.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

void
prediction_free(struct prediction *p)
{
	free(p->spf_detail);
	free(p->from_domain);
	free(p->hint);
	free(p->reply);
	memset(p, 0, sizeof(*p));
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

/* Badness of a verdict for choosing the one to report. */
static int
rank(enum spf_verdict v)
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
prediction_align_word(const struct prediction *p, int mode)
{
	if (p->align < 0)
		return "none";
	if (p->align == 0)
		return "fail";
	return mode == ALIGN_STRICT ? "strict" : "relaxed";
}

static bool
relay_is_google(const char *relay)
{
	static const char *const g[] = { "gmail.com", "google.com",
	    "googlemail.com", NULL };
	char *k;
	size_t i, n, kl;
	bool hit = false;

	if (relay == NULL || (k = strdup_lower(relay)) == NULL)
		return false;
	kl = strcspn(k, "]");
	k[kl] = '\0';
	if (kl > 0 && k[kl - 1] == '.')
		k[--kl] = '\0';
	for (i = 0; g[i] != NULL && !hit; i++) {
		n = strlen(g[i]);
		hit = kl >= n && strcmp(k + kl - n, g[i]) == 0 &&
		    (kl == n || k[kl - n - 1] == '.' || k[kl - n - 1] == '[');
	}
	free(k);
	return hit;
}

/* The SPF mechanism that would authorise ip. */
static void
mechanism(const struct decision *d, const char *ip, strbuf *sb)
{
	bool v6 = strchr(ip, ':') != NULL;

	if (snapshot_addr_is_google(ip) || relay_is_google(d->relay)) {
		sb_puts(sb, "include:_spf.google.com");
	} else {
		sb_puts(sb, v6 ? "ip6:" : "ip4:");
		sb_puts(sb, ip);
	}
}

static void
spf_hint(const struct decision *d, const char *dom, const struct prediction *p,
    strbuf *h)
{
	strbuf mech;

	sb_init(&mech);
	if (p->spf == SPFV_NONE || p->spf == SPFV_PERMERROR)
		mechanism(d, p->spf_ip, &mech);
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
		mechanism(d, p->spf_ip, h);
		break;
	}
	sb_free(&mech);
}

/* SPF at every relay address; fills the spf_* fields. */
static int
check_spf(const struct rm_snapshot *s, struct spfc *sc,
    const struct decision *d, const char *dom, struct prediction *p,
    strbuf *err)
{
	struct spf_outcome o;
	size_t i;
	int worst = -1;
	bool all_cached = true;

	if (s->spf_addrs.n == 0) {
		p->spf_state = PRED_OFF;
		return 0;
	}
	if (sc == NULL) {
		p->spf_state = PRED_UNCHECKED;
		p->unchecked_why = "no-checker";
		return 0;
	}
	if (dom == NULL || dom[0] == '[') {
		p->spf_state = PRED_UNCHECKED;
		p->unchecked_why = "no-envelope-domain";
		return 0;
	}
	if (!snapshot_spf_domain_ok(s, dom)) {
		p->spf_state = PRED_UNCHECKED;
		p->unchecked_why = "domain-not-configured";
		return 0;
	}
	for (i = 0; i < s->spf_addrs.n; i++) {
		memset(&o, 0, sizeof(o));
		if (spfc_check(sc, d->final, s->spf_addrs.v[i], &o) < 0) {
			sb_printf(err, "SPF check of %s at %s failed: %s",
			    dom, s->spf_addrs.v[i], o.detail ? o.detail :
			    "internal error");
			spf_outcome_clear(&o);
			return -1;
		}
		if (!o.cached)
			all_cached = false;
		if (rank(o.verdict) > worst) {
			worst = rank(o.verdict);
			p->spf = o.verdict;
			free(p->spf_detail);
			p->spf_ip = s->spf_addrs.v[i];
			p->spf_detail = o.detail ? sanitize_inplace(o.detail) :
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
	p->spf_state = PRED_DONE;
	p->spf_cached = all_cached;
	return 0;
}

/* The From: domain as it will be, or NULL (p->align -1). */
static int
from_domain(const struct decision *d, const char *header_from,
    unsigned from_count, struct prediction *p)
{
	struct hdr_from hf;
	const char *at;

	if (d->from_rewrite) {
		at = strrchr(d->final, '@');
		p->from_domain = at ? strdup(at + 1) : NULL;
		return 0;
	}
	if (header_from == NULL || from_count != 1 ||
	    hdr_from_parse(header_from, &hf) < 0)
		return 0;
	if (hf.count == 1 && hf.addr.domain != NULL) {
		p->from_domain = hf.addr.domain;	/* taken from hf */
		hf.addr.domain = NULL;
	}
	hdr_from_free(&hf);
	return 0;
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

int
predict(const struct rm_snapshot *s, struct spfc *sc, const struct decision *d,
    const char *header_from, unsigned from_count, struct prediction *p,
    strbuf *err)
{
	const struct rm_config *c = s->cfg;
	const char *dom = decision_final_domain(d);
	strbuf hint, why;
	int al;

	memset(p, 0, sizeof(*p));
	p->align = -1;
	if (d->action == DECIDE_SKIP)
		return 0;
	if (check_spf(s, sc, d, dom, p, err) < 0)
		goto fail;
	from_domain(d, header_from, from_count, p);
	if (p->from_domain != NULL && dom != NULL) {
		if ((al = align_check(p->from_domain, dom, c->alignment_mode)) <
		    0) {
			sb_puts(err, "out of memory");
			goto fail;
		}
		p->align = al;
	}

	sb_init(&hint);
	sb_init(&why);
	if (p->spf_state == PRED_DONE && p->spf != SPFV_PASS) {
		spf_hint(d, dom, p, &hint);
		/* the reply text is only written when it will be used */
		if (p->spf == SPFV_TEMPERROR) {
			if (c->on_dns_error == ON_TEMPFAIL) {
				sb_printf(&why, "relaymilter: %s", hint.s);
				raise_action(p, PACT_TEMPFAIL, "5.7.24",
				    "4.7.24", why.s);
			}
		} else if (act(c->spf_fail_action) >= PACT_TEMPFAIL) {
			sb_printf(&why, "relaymilter: the recipient would see "
			    "SPF %s for %s at %s; %s", spf_verdict_name(p->spf),
			    dom, p->spf_ip, hint.s);
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
	if (p->align == 0) {
		/* the fixed text below is under 130 bytes, and three names */
		sb_reserve(&hint, 160 + strlen(p->from_domain) + strlen(dom) +
		    strlen(d->final));
		if (hint.len > 0)
			sb_puts(&hint, "; ");
		sb_puts(&hint, "From: domain ");
		sb_puts(&hint, p->from_domain);
		sb_puts(&hint, " is not aligned with the envelope domain ");
		sb_puts(&hint, dom);
		sb_puts(&hint, " (");
		sb_puts(&hint, rm_align_names[c->alignment_mode]);
		sb_puts(&hint, "): set RewriteHeaderFrom unaligned, or send "
		    "From: ");
		sb_puts(&hint, d->final);
		if (act(c->misaligned_action) >= PACT_TEMPFAIL)
			sb_printf(&why, "relaymilter: DMARC would fail at the "
			    "recipient: From: domain %s is not aligned with %s",
			    p->from_domain, dom);
		raise_action(p, act(c->misaligned_action), "5.7.26", "4.7.26",
		    why.s);
	}
	if (p->align >= 0 && act(c->misaligned_action) >= PACT_TAG)
		p->tag_align = true;
	if (hint.err || why.err) {
		sb_free(&hint);
		sb_free(&why);
		sb_puts(err, "out of memory");
		goto fail;
	}
	if (hint.len > 0)
		p->hint = sanitize_inplace(sb_steal(&hint));
	sb_free(&hint);
	sb_free(&why);
	return 0;
fail:
	prediction_free(p);
	return -1;
}
