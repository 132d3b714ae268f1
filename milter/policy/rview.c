/*
 * rview.c - what the recipient's MX sees of a relayed message, per relay
 *	     profile
 *
 * CONTRACT
 *	See rview.h. Domains are kept in the form addr.h gives them
 *	(lower case, no trailing dot); RelayDKIM and RelayBounceDomain
 *	entries are lower case already (snapshot.c). A profile that is not
 *	modelled gets relaymilter's envelope and From: (SPF and alignment
 *	are checked as before profiles existed) and no signature.
 */
#include <stddef.h>
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

/* Everything but the inline block, which is only read where the
 * pointers say. */
void
rview_init(struct rview *v)
{
	memset(v, 0, offsetof(struct rview, inl));
}

void
rview_free(struct rview *v)
{
	if (v->arena != v->inl)
		free(v->arena);
	rview_init(v);
}

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* AllowedSenders lists the address or its @domain (policy.c's rule); the
 * lower-case key is made on the stack. */
static bool
allowed(const struct rm_snapshot *s, const char *addr)
{
	char buf[512], *k, *at;
	size_t n = strlen(addr);
	bool hit;

	if (domain_of(addr) == NULL)
		return false;
	k = n < sizeof(buf) ? memcpy(buf, addr, n + 1) : strdup(addr);
	if (k == NULL)
		return false;
	str_lower_inplace(k);
	at = strrchr(k, '@');
	hit = strtab_get(s->allowed, k, NULL) == 1 ||
	    strtab_get(s->allowed, at, NULL) == 1;
	if (k != buf)
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

/*
 * The strings of a view while it is built: each is a pointer to text that
 * lives at least as long as the build (the snapshot, the decision, the
 * caller's buffers), copied into the arena at the end.
 */
enum { S_ENV, S_ENVDOM, S_FROM, S_FROMDOM, S_DKIMD, S_DKIMSEL, S_N };

struct build {
	const char	*str[S_N];
	char		 ours_buf[320];	/* the From: address relaymilter
					 * leaves, when it fits */
	char		*ours_heap;	/* ... when it does not */
	char		 gapps[300];	/* Google's default signing domain */
};

/* The From: address relaymilter leaves: the rewrite's, else the one
 * mailbox of the message's From:; NULL otherwise. -1 on ENOMEM. */
static int
our_from(const struct decision *d, const char *header_from,
    unsigned from_count, struct build *b, const char **out)
{
	struct hdr_from hf;
	size_t n;

	*out = NULL;
	if (d->from_rewrite) {
		*out = d->final;
		return 0;
	}
	if (header_from == NULL || from_count != 1 ||
	    hdr_from_parse_addr(header_from, &hf) < 0)
		return 0;
	if (hf.count == 1 && hf.addr.domain != NULL && hf.addr.local != NULL) {
		n = addr_format_buf(hf.addr.local, hf.addr.domain, b->ours_buf,
		    sizeof(b->ours_buf));
		if (n < sizeof(b->ours_buf)) {
			*out = b->ours_buf;
		} else if ((b->ours_heap = addr_text(&hf.addr)) == NULL) {
			hdr_from_free(&hf);
			return -1;
		} else {
			*out = b->ours_heap;
		}
	}
	hdr_from_free(&hf);
	return 0;
}

/*
 * The DKIM signature: basis is the domain the relay signs by (Google: the
 * account's or the envelope's; others: the From: domain), exact for
 * Google. acct_dom is what "account" stands for.
 */
static void
pick_dkim(const struct rm_snapshot *s, struct rview *v, struct build *b,
    const char *basis, bool google, const char *acct_dom)
{
	const struct dkim_entry *e;
	const char *c;
	size_t i;

	if (basis != NULL) {
		for (i = 0; i < s->ndkim; i++) {
			e = &s->dkim[i];
			c = e->kind == DKIM_EXPLICIT ? e->domain :
			    e->kind == DKIM_ACCOUNT ? acct_dom :
			    b->str[S_FROMDOM];
			if (c == NULL || !(google ? str_ieq(basis, c) :
			    at_or_below(basis, c)))
				continue;
			b->str[S_DKIMD] = c;
			b->str[S_DKIMSEL] = e->selector ? e->selector :
			    v->prof->dkim_selector;
			v->dkim_note = "your domain (RelayDKIM)";
			return;
		}
	}
	if (s->dkim_none)
		return;
	if (v->prof->own_dkim != NULL) {
		b->str[S_DKIMD] = v->prof->own_dkim;
		v->own_key = true;
		v->dkim_note = "the provider's own signature";
	} else if (google && basis != NULL &&
	    relay_gapps_domain(basis, b->gapps, sizeof(b->gapps)) != NULL) {
		b->str[S_DKIMD] = b->gapps;
		v->own_key = true;
		v->dkim_note = "Google's default key: DKIM is not turned on "
		    "for the domain (RelayDKIM account when it is)";
	}
}

/* Copy the strings into the view's inline block, or one allocation of
 * their exact size when they do not fit, and point the view at them. */
static int
seal(struct rview *v, const struct build *b)
{
	static const bool lower[S_N] = { false, true, false, true, true,
	    false };
	size_t len[S_N], off[S_N], total = 0, i;
	const char **dst[S_N];

	dst[S_ENV] = &v->env;
	dst[S_ENVDOM] = &v->env_domain;
	dst[S_FROM] = &v->from;
	dst[S_FROMDOM] = &v->from_domain;
	dst[S_DKIMD] = &v->dkim_d;
	dst[S_DKIMSEL] = &v->dkim_sel;
	for (i = 0; i < S_N; i++) {
		len[i] = b->str[i] != NULL ? strlen(b->str[i]) : 0;
		off[i] = total;
		total += b->str[i] != NULL ? len[i] + 1 : 0;
	}
	if (total + 1 <= sizeof(v->inl))
		v->arena = v->inl;
	else if ((v->arena = malloc(total + 1)) == NULL)
		return -1;
	for (i = 0; i < S_N; i++) {
		if (b->str[i] == NULL) {
			*dst[i] = NULL;
			continue;
		}
		memcpy(v->arena + off[i], b->str[i], len[i] + 1);
		if (lower[i])
			str_lower_inplace(v->arena + off[i]);
		*dst[i] = v->arena + off[i];
	}
	return 0;
}

int
rview_build(const struct rm_snapshot *s, const struct decision *d,
    const char *header_from, unsigned from_count, struct rview *v)
{
	struct build b;
	const char *acct = NULL, *acct_dom = NULL, *ours = NULL, *fdom,
	    *final_dom;
	size_t i;
	int rc = -1;

	rview_init(v);
	memset(b.str, 0, sizeof(b.str));
	b.ours_heap = NULL;
	v->prof = s->profile;
	if (v->prof == NULL) {
		v->prof = relay_profile_for(d->relay);
		v->auto_profile = v->prof != NULL;
		if (v->prof == NULL)
			v->prof = relay_profile_named("passthrough");
	}
	if (our_from(d, header_from, from_count, &b, &ours) < 0)
		goto out;
	v->modelled = v->prof != NULL && v->prof->model != RPM_UNKNOWN;
	/* each address's domain once */
	if (d->account != NULL && (acct_dom = domain_of(d->account)) != NULL)
		acct = d->account;
	final_dom = domain_of(d->final);
	/* by default: the envelope and From: relaymilter leaves */
	b.str[S_ENV] = d->final;
	b.str[S_ENVDOM] = final_dom;
	b.str[S_FROM] = ours;
	v->env_note = "relaymilter's";
	if (!v->modelled) {
		/* SPF and alignment as relaymilter leaves the message */
		v->env_note = "relaymilter's: the relay is not modelled";
		b.str[S_FROMDOM] = domain_of(ours);
		rc = seal(v, &b);
		goto out;
	}

	switch (v->prof->model) {
	case RPM_GMAIL:
		if (acct == NULL) {
			/* whom Gmail logs in as is not known: ours */
			v->env_note = "relaymilter's: the account Gmail forces "
			    "is not known";
			break;
		}
		b.str[S_ENV] = acct;
		b.str[S_ENVDOM] = acct_dom;
		v->env_note = "the account: Gmail sends with it";
		if (ours != NULL && !str_ieq(ours, acct) && !allowed(s, ours)) {
			b.str[S_FROM] = acct;
			v->from_replaced = true;
			v->from_note = "Gmail replaces a From: that is neither "
			    "the account nor a verified alias (AllowedSenders) "
			    "with the account, X-Google-Original-From keeps the "
			    "old one";
		}
		break;
	case RPM_SENDGRID:
		fdom = domain_of(ours);
		for (i = 0; fdom != NULL && i < s->bounce_domains.n; i++) {
			int al = align_check(fdom, s->bounce_domains.v[i],
			    ALIGN_RELAXED);

			if (al < 0)
				goto out;
			if (al == 1)
				break;
		}
		b.str[S_ENV] = NULL;
		if (fdom != NULL && i < s->bounce_domains.n) {
			b.str[S_ENVDOM] = s->bounce_domains.v[i];
			v->env_note = "SendGrid's return path for your domain, "
			    "RelayBounceDomain";
		} else {
			b.str[S_ENVDOM] = v->prof->bounce_domain;
			v->env_note = "SendGrid's own bounce domain: the From: "
			    "domain is not authenticated there "
			    "(RelayBounceDomain)";
		}
		break;
	default:	/* workspace-relay, passthrough */
		break;
	}
	b.str[S_FROMDOM] = b.str[S_FROM] == acct ? acct_dom :
	    domain_of(b.str[S_FROM]);

	/* DKIM */
	switch (v->prof->model) {
	case RPM_GMAIL:
		if (acct != NULL && relay_gmail_consumer(acct_dom)) {
			b.str[S_DKIMD] = "gmail.com";
			v->own_key = true;
			v->dkim_note = "Gmail signs a Gmail account's mail "
			    "d=gmail.com";
			break;
		}
		pick_dkim(s, v, &b, b.str[S_ENVDOM], true, b.str[S_ENVDOM]);
		break;
	case RPM_GOOGLE_RELAY:
		pick_dkim(s, v, &b, b.str[S_ENVDOM], true, b.str[S_ENVDOM]);
		break;
	default:
		pick_dkim(s, v, &b, b.str[S_FROMDOM], false,
		    final_dom);
		break;
	}
	rc = seal(v, &b);
out:
	free(b.ours_heap);
	if (rc < 0)
		rview_free(v);
	return rc;
}

bool
rview_env_ok(const struct rm_snapshot *s, const struct decision *d,
    const struct rview *v)
{
	const char *ad = domain_of(d->account);

	if (v->env_domain == NULL)
		return false;
	/* byte for byte first: both are mostly lower case already */
	if ((ad != NULL && (strcmp(v->env_domain, ad) == 0 ||
	    str_ieq(v->env_domain, ad))) ||
	    (v->prof != NULL && v->prof->bounce_domain != NULL &&
	    str_ieq(v->env_domain, v->prof->bounce_domain)))
		return true;
	return snapshot_spf_domain_ok(s, v->env_domain);
}
