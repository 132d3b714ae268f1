/*
 * rview.c - what the recipient's MX sees of a relayed message, per relay
 *	     profile
 *
 * CONTRACT
 *	See include/rview.h. Domains are kept in the form addr.h gives them
 *	(lower case, no trailing dot); RelayDKIM and RelayBounceDomain
 *	entries are lower case already (snapshot.c). A profile that is not
 *	modelled gets relaymilter's envelope and From: (SPF and alignment
 *	are checked as before profiles existed) and no signature.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "align.h"
#include "policy.h"
#include "relayprof.h"
#include "rview.h"
#include "snapshot.h"
#include "strtab.h"
#include "util.h"

void
rview_free(struct rview *v)
{
	free(v->env);
	free(v->env_domain);
	free(v->from);
	free(v->from_domain);
	free(v->dkim_d);
	free(v->dkim_sel);
	memset(v, 0, sizeof(*v));
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

static char *
dup_lower(const char *s)
{
	return s != NULL ? strdup_lower(s) : NULL;
}

/* AllowedSenders lists the address or its @domain (policy.c's rule). */
static bool
allowed(const struct rm_snapshot *s, const char *addr)
{
	const char *dom = domain_of(addr);
	char *k;
	bool hit;

	if (dom == NULL || (k = strdup_lower(addr)) == NULL)
		return false;
	hit = strtab_get(s->allowed, k, NULL) == 1 ||
	    strtab_get(s->allowed, strrchr(k, '@'), NULL) == 1;
	free(k);
	return hit;
}

/* c is b, or b lies below c. */
static bool
at_or_below(const char *b, const char *c)
{
	size_t nb = strlen(b), nc = strlen(c);

	if (str_ieq(b, c))
		return true;
	return nb > nc + 1 && b[nb - nc - 1] == '.' &&
	    str_ieq(b + nb - nc, c);
}

/* The From: address relaymilter leaves: the rewrite's, else the one
 * mailbox of the message's From:; NULL otherwise. */
static int
our_from(const struct decision *d, const char *header_from,
    unsigned from_count, char **out)
{
	struct hdr_from hf;

	*out = NULL;
	if (d->from_rewrite)
		return (*out = strdup(d->final)) != NULL ? 0 : -1;
	if (header_from == NULL || from_count != 1 ||
	    hdr_from_parse(header_from, &hf) < 0)
		return 0;
	if (hf.count == 1 && hf.addr.domain != NULL &&
	    (*out = addr_text(&hf.addr)) == NULL) {
		hdr_from_free(&hf);
		return -1;
	}
	hdr_from_free(&hf);
	return 0;
}

static int
set_env(struct rview *v, const char *addr, const char *domain,
    const char *note)
{
	v->env = addr != NULL ? strdup(addr) : NULL;
	v->env_domain = dup_lower(domain != NULL ? domain : domain_of(addr));
	v->env_note = note;
	return (addr != NULL && v->env == NULL) ||
	    (v->env_domain == NULL && (domain != NULL ||
	    domain_of(addr) != NULL)) ? -1 : 0;
}

/*
 * The DKIM signature: basis is the domain the relay signs by (Google: the
 * account's or the envelope's; others: the From: domain), exact for
 * Google. acct_dom is what "account" stands for.
 */
static int
pick_dkim(const struct rm_snapshot *s, struct rview *v, const char *basis,
    bool google, const char *acct_dom)
{
	const struct dkim_entry *e;
	const char *c;
	char gapps[300];
	size_t i;

	if (basis != NULL) {
		for (i = 0; i < s->ndkim; i++) {
			e = &s->dkim[i];
			c = e->kind == DKIM_EXPLICIT ? e->domain :
			    e->kind == DKIM_ACCOUNT ? acct_dom : v->from_domain;
			if (c == NULL || !(google ? str_ieq(basis, c) :
			    at_or_below(basis, c)))
				continue;
			v->dkim_d = strdup_lower(c);
			v->dkim_sel = e->selector ? strdup(e->selector) :
			    v->prof->dkim_selector ?
			    strdup(v->prof->dkim_selector) : NULL;
			v->dkim_note = "your domain (RelayDKIM)";
			if (v->dkim_d == NULL || (v->dkim_sel == NULL &&
			    (e->selector || v->prof->dkim_selector)))
				return -1;
			return 0;
		}
	}
	if (s->dkim_none)
		return 0;
	if (v->prof->own_dkim != NULL) {
		v->dkim_d = strdup(v->prof->own_dkim);
		v->own_key = true;
		v->dkim_note = "the provider's own signature";
		return v->dkim_d != NULL ? 0 : -1;
	}
	if (google && basis != NULL &&
	    relay_gapps_domain(basis, gapps, sizeof(gapps)) != NULL) {
		v->dkim_d = strdup(gapps);
		v->own_key = true;
		v->dkim_note = "Google's default key: DKIM is not turned on "
		    "for the domain (RelayDKIM account when it is)";
		return v->dkim_d != NULL ? 0 : -1;
	}
	return 0;
}

int
rview_build(const struct rm_snapshot *s, const struct decision *d,
    const char *header_from, unsigned from_count, struct rview *v)
{
	const char *acct = NULL, *fdom;
	char *ours = NULL;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->prof = s->profile;
	if (v->prof == NULL) {
		v->prof = relay_profile_for(d->relay);
		v->auto_profile = v->prof != NULL;
		if (v->prof == NULL)
			v->prof = relay_profile_named("passthrough");
	}
	if (our_from(d, header_from, from_count, &ours) < 0)
		goto nomem;
	v->modelled = v->prof != NULL && v->prof->model != RPM_UNKNOWN;
	if (!v->modelled) {
		/* SPF and alignment as relaymilter leaves the message */
		if (set_env(v, d->final, NULL, "relaymilter's: the relay is "
		    "not modelled") < 0)
			goto nomem;
		v->from = ours;
		ours = NULL;
		if (v->from != NULL &&
		    (v->from_domain = dup_lower(domain_of(v->from))) == NULL)
			goto nomem;
		return 0;
	}
	if (d->account != NULL && domain_of(d->account) != NULL)
		acct = d->account;

	switch (v->prof->model) {
	case RPM_GMAIL:
		if (acct == NULL) {
			/* whom Gmail logs in as is not known: ours */
			if (set_env(v, d->final, NULL, "relaymilter's: the "
			    "account Gmail forces is not known") < 0)
				goto nomem;
			v->from = ours;
			ours = NULL;
			break;
		}
		if (set_env(v, acct, NULL, "the account: Gmail sends with it")
		    < 0)
			goto nomem;
		if (ours != NULL && !str_ieq(ours, acct) && !allowed(s, ours)) {
			v->from = strdup(acct);
			v->from_replaced = true;
			v->from_note = "Gmail replaces a From: that is neither "
			    "the account nor a verified alias (AllowedSenders) "
			    "with the account, X-Google-Original-From keeps the "
			    "old one";
			if (v->from == NULL)
				goto nomem;
		} else {
			v->from = ours;
			ours = NULL;
		}
		break;
	case RPM_SENDGRID:
		v->from = ours;
		ours = NULL;
		fdom = domain_of(v->from);
		for (i = 0; fdom != NULL && i < s->bounce_domains.n; i++) {
			int al = align_check(fdom, s->bounce_domains.v[i],
			    ALIGN_RELAXED);

			if (al < 0)
				goto nomem;
			if (al == 1)
				break;
		}
		if (fdom != NULL && i < s->bounce_domains.n) {
			if (set_env(v, NULL, s->bounce_domains.v[i],
			    "SendGrid's return path for your domain, "
			    "RelayBounceDomain") < 0)
				goto nomem;
		} else if (set_env(v, NULL, v->prof->bounce_domain,
		    "SendGrid's own bounce domain: the From: domain is not "
		    "authenticated there (RelayBounceDomain)") < 0) {
			goto nomem;
		}
		break;
	default:	/* workspace-relay, passthrough */
		if (set_env(v, d->final, NULL, "relaymilter's") < 0)
			goto nomem;
		v->from = ours;
		ours = NULL;
		break;
	}
	free(ours);
	ours = NULL;
	if (v->from != NULL && (v->from_domain = dup_lower(domain_of(v->from)))
	    == NULL)
		goto nomem;

	/* DKIM */
	switch (v->prof->model) {
	case RPM_GMAIL:
		if (acct != NULL && relay_gmail_consumer(domain_of(acct))) {
			v->dkim_d = strdup("gmail.com");
			v->own_key = true;
			v->dkim_note = "Gmail signs a Gmail account's mail "
			    "d=gmail.com";
			if (v->dkim_d == NULL)
				goto nomem;
			break;
		}
		if (pick_dkim(s, v, domain_of(v->env), true,
		    domain_of(v->env)) < 0)
			goto nomem;
		break;
	case RPM_GOOGLE_RELAY:
		if (pick_dkim(s, v, v->env_domain, true, v->env_domain) < 0)
			goto nomem;
		break;
	default:
		if (pick_dkim(s, v, v->from_domain, false,
		    domain_of(d->final)) < 0)
			goto nomem;
		break;
	}
	return 0;
nomem:
	free(ours);
	rview_free(v);
	return -1;
}

bool
rview_env_ok(const struct rm_snapshot *s, const struct decision *d,
    const struct rview *v)
{
	const char *ad = domain_of(d->account);

	if (v->env_domain == NULL)
		return false;
	if ((ad != NULL && str_ieq(v->env_domain, ad)) ||
	    (v->prof != NULL && v->prof->bounce_domain != NULL &&
	    str_ieq(v->env_domain, v->prof->bounce_domain)))
		return true;
	return snapshot_spf_domain_ok(s, v->env_domain);
}
