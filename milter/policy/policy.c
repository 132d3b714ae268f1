/*
 * policy.c - decide what happens to one message's envelope sender and From:
 *
 * CONTRACT
 *	See policy.h for the rules. Everything the decision refers to
 *	is copied into it, so it outlives the facts; decision_free() releases
 *	it. Static reason words are part of the log contract: not-relayed,
 *	no-mailer-macro, untrusted, null-sender, bad-sender, allowed,
 *	unchanged, no-account, account-not-address.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "align.h"
#include "authinfo.h"
#include "map.h"
#include "netlist.h"
#include "policy.h"
#include "relayprof.h"
#include "snapshot.h"
#include "strtab.h"
#include "util.h"

const char *
decision_action_name(enum decision_action a)
{
	switch (a) {
	case DECIDE_SKIP: return "skip";
	case DECIDE_KEEP: return "keep";
	case DECIDE_REWRITE: return "rewrite";
	}
	return "?";
}

void
decision_free(struct decision *d)
{
	free(d->orig);
	free(d->final);
	free(d->account);
	free(d->account_src);
	free(d->relay);
	free(d->map_key);
	free(d->map_skipped_key);
	free(d->from_old_addr);
	free(d->from_new);
	free(d->reply_to);
	memset(d, 0, sizeof(*d));
}

const char *
decision_final_domain(const struct decision *d)
{
	const char *at;

	if (d->final == NULL || (at = strrchr(d->final, '@')) == NULL)
		return NULL;
	return at + 1;
}

static bool
in_set(const struct strtab *t, const char *s)
{
	char buf[256], *k;
	size_t n = strlen(s);
	bool hit;

	/* the lower-case key on the stack: this runs per recipient */
	k = n < sizeof(buf) ? memcpy(buf, s, n + 1) : strdup(s);
	if (k == NULL)
		return false;
	str_lower_inplace(k);
	hit = strtab_get(t, k, NULL) == 1;
	if (k != buf)
		free(k);
	return hit;
}

/* in_set() for a key made of an rm_addr's domain: that is lower case
 * already (addr.h), except a domain literal, so no lower-case copy. */
static bool
in_set_lower(const struct strtab *t, const char *key, const char *domain)
{
	if (domain[0] == '[')
		return in_set(t, key);
	return strtab_get(t, key, NULL) == 1;
}

bool
policy_rcpt_relayed(const struct rm_snapshot *s, const struct rcpt_info *r)
{
	return r->mailer != NULL && in_set(s->relay_mailers, r->mailer);
}

/* Step 1: the first recipient that leaves via a relay mailer. */
static const struct rcpt_info *
first_relayed(const struct rm_snapshot *s, const struct msg_facts *f,
    bool *macro_missing)
{
	size_t i;

	*macro_missing = f->nrcpts > 0;
	for (i = 0; i < f->nrcpts; i++) {
		if (f->rcpts[i].mailer == NULL)
			continue;
		*macro_missing = false;
		if (in_set(s->relay_mailers, f->rcpts[i].mailer))
			return &f->rcpts[i];
	}
	return NULL;
}

/* Step 2. */
static const char *
trust_of(const struct rm_snapshot *s, const struct msg_facts *f)
{
	if (f->client_addr == NULL)
		return "local";
	if (netlist_match_str(s->trusted, f->client_addr))
		return "network";
	if (s->cfg->trust_authenticated && f->auth_authen != NULL &&
	    *f->auth_authen != '\0')
		return "auth";
	return "untrusted";
}

static bool
is_address(const char *s)
{
	struct rm_addr a;
	bool ok;

	if (addr_parse_envelope(s, &a) < 0)
		return false;
	ok = !a.null && a.domain != NULL;
	addr_free(&a);
	return ok;
}

/* Step 4: the account and where it came from; -1 on ENOMEM. */
static int
find_account(const struct rm_snapshot *s, const char *relay,
    struct decision *d, bool *not_address)
{
	const struct authinfo_entry *e;
	strbuf src;

	*not_address = false;
	if (s->cfg->relay_account != NULL && *s->cfg->relay_account != '\0') {
		d->account = strdup(s->cfg->relay_account);
		d->account_src = strdup("RelayAccount");
		return d->account && d->account_src ? 0 : -1;
	}
	if ((e = authinfo_lookup(s->authinfo, relay)) == NULL)
		return 0;
	sb_init(&src);
	sb_puts(&src, "authinfo:");
	sb_puts(&src, *e->host ? e->host : "default");
	if (!snapshot_authid_is_address(s, e)) {
		/* "I:user_id" for smtp.gmail.com: Gmail logs it in as
		 * user_id@gmail.com (relayprof.c) */
		const struct relay_profile *rp =
		    relay_profile_for(*e->host ? e->host : relay);
		strbuf q;

		sb_init(&q);
		if (rp != NULL && rp->account_domain != NULL &&
		    strchr(e->authid, '@') == NULL) {
			sb_puts(&q, e->authid);
			sb_putc(&q, '@');
			sb_puts(&q, rp->account_domain);
		}
		if (q.s != NULL && !q.err && is_address(q.s)) {
			sb_puts(&src, ", I:");
			sb_puts(&src, e->authid);
			sb_puts(&src, " qualified with @");
			sb_puts(&src, rp->account_domain);
			d->account = sb_steal(&q);
			d->account_src = sb_steal(&src);
			return d->account && d->account_src ? 0 : -1;
		}
		sb_free(&q);
		sb_free(&src);
		*not_address = true;
		d->account = strdup(e->authid);
		return d->account ? 0 : -1;
	}
	d->account = strdup(e->authid);
	d->account_src = sb_steal(&src);
	return d->account && d->account_src ? 0 : -1;
}

char *
policy_auth_account(const struct rm_snapshot *s, const char *relay)
{
	const struct authinfo_entry *e;
	const struct relay_profile *rp;
	strbuf q;

	if (s->authinfo == NULL ||
	    (e = authinfo_lookup(s->authinfo, relay)) == NULL ||
	    e->authid == NULL || *e->authid == '\0')
		return NULL;
	rp = relay_profile_for(*e->host ? e->host : relay);
	if (strchr(e->authid, '@') == NULL && rp != NULL &&
	    rp->account_domain != NULL) {
		sb_init(&q);
		sb_printf(&q, "%s@%s", e->authid, rp->account_domain);
		return sb_steal(&q);
	}
	return strdup(e->authid);
}

/* Is the sender listed in AllowedSenders (address or @domain)? */
static bool
allowed(const struct rm_snapshot *s, const struct rm_addr *a, const char *text)
{
	char buf[258], *k;	/* '@', a domain (at most 255, addr.c), NUL */
	size_t n;
	bool hit;

	if (a->domain == NULL)
		return false;
	if (in_set(s->allowed, text))
		return true;
	n = strlen(a->domain);
	if (n + 2 <= sizeof(buf))
		k = buf;
	else if ((k = malloc(n + 2)) == NULL)
		return false;
	k[0] = '@';
	memcpy(k + 1, a->domain, n + 1);
	hit = in_set_lower(s->allowed, k, a->domain);
	if (k != buf)
		free(k);
	return hit;
}

/* Step 6: From: header per RewriteHeaderFrom. */
static int
decide_from(const struct rm_snapshot *s, const struct msg_facts *f,
    struct decision *d)
{
	struct hdr_from hf;
	const char *final_dom = decision_final_domain(d);
	bool rewrite = false;
	int al;

	if (s->cfg->rewrite_header_from == HFROM_NO)
		return 0;
	if (f->from_count == 0 || f->header_from == NULL) {
		d->from_note = "no-from-header";
		return 0;
	}
	if (f->from_count > 1) {
		d->from_note = "several-from-headers";
		return 0;
	}
	if (hdr_from_parse(f->header_from, &hf) < 0) {
		d->from_note = "unreadable-from";
		return 0;
	}
	if (hf.count > 1) {
		d->from_note = "several-from-mailboxes";
		hdr_from_free(&hf);
		return 0;
	}
	if ((d->from_old_addr = addr_text(&hf.addr)) == NULL)
		goto nomem;
	if (s->cfg->rewrite_header_from == HFROM_YES) {
		rewrite = !str_ieq(d->from_old_addr, d->final);
	} else {
		al = align_check(hf.addr.domain, final_dom,
		    s->cfg->alignment_mode);
		if (al < 0)
			goto nomem;
		rewrite = al == 0;
	}
	if (rewrite) {
		d->from_rewrite = true;
		if ((d->from_new = hdr_from_build(hf.display, d->final)) ==
		    NULL)
			goto nomem;
		if (!f->has_reply_to &&
		    (d->reply_to = sanitize_dup(f->header_from)) == NULL)
			goto nomem;
	}
	hdr_from_free(&hf);
	return 0;
nomem:
	hdr_from_free(&hf);
	return -1;
}

int
policy_decide(const struct rm_snapshot *s, const struct msg_facts *f,
    struct decision *d, strbuf *err)
{
	const struct rcpt_info *r;
	struct rm_addr a, lookup;
	struct map_hit hit;
	enum map_result mr;
	bool macro_missing, not_address, local_ok;

	memset(d, 0, sizeof(*d));
	memset(&a, 0, sizeof(a));
	memset(&hit, 0, sizeof(hit));

	/* the sender as text, for the log, whatever happens next */
	if (addr_parse_envelope(f->sender, &a) == 0) {
		d->orig = addr_text(&a);
	} else {
		d->orig = sanitize_dup(f->sender ? f->sender : "");
		memset(&a, 0, sizeof(a));
		a.local = NULL;
	}
	if (d->orig == NULL)
		goto nomem;
	d->trust = trust_of(s, f);

	/* 1. relayed? */
	if ((r = first_relayed(s, f, &macro_missing)) == NULL) {
		d->reason = macro_missing ? "no-mailer-macro" : "not-relayed";
		goto skip;
	}
	d->relayed = true;
	if (r->host != NULL && (d->relay = sanitize_dup(r->host)) == NULL)
		goto nomem;

	/* 2. trusted? */
	if (strcmp(d->trust, "untrusted") == 0) {
		d->reason = "untrusted";
		goto skip;
	}

	/* 3. the null sender, or no sender we can read */
	if (a.null) {
		d->reason = "null-sender";
		goto skip;
	}
	if (a.local == NULL) {
		d->reason = "bad-sender";
		goto skip;
	}

	/* 4. the relay account */
	if (find_account(s, d->relay, d, &not_address) < 0)
		goto nomem;

	/* 5. SenderMap, AllowedSenders, account */
	lookup = a;
	local_ok = a.domain == NULL ||
	    in_set_lower(s->local_domains, a.domain, a.domain) ||
	    (f->jdomain != NULL && str_ieq(a.domain, f->jdomain));
	if (a.domain == NULL && f->jdomain != NULL && *f->jdomain != '\0') {
		if ((lookup.domain = strdup_lower(f->jdomain)) == NULL)
			goto nomem;
		domain_normalise(lookup.domain);
	}
	mr = sendermap_lookup(s->map, &lookup, local_ok, &hit);
	if (lookup.domain != a.domain)
		free(lookup.domain);
	if (mr == MAP_ERROR) {
		sb_puts(err, "SenderMap lookup failed (out of memory)");
		goto fail;
	}
	/* an entry that matched but expanded to no address: named in the
	 * decision (the lookup went on down the order) */
	d->map_skipped_key = hit.skipped_key;
	d->map_skipped_line = hit.skipped_line;
	hit.skipped_key = NULL;
	if (mr == MAP_FOUND) {
		d->final = hit.address;
		d->map_key = hit.key;
		d->map_line = hit.line;
		hit.address = hit.key = NULL;
	} else if (allowed(s, &a, d->orig)) {
		d->action = DECIDE_KEEP;
		d->reason = "allowed";
		if ((d->final = strdup(d->orig)) == NULL)
			goto nomem;
	} else if (d->account != NULL && !not_address) {
		if ((d->final = strdup(d->account)) == NULL)
			goto nomem;
	} else {
		d->action = DECIDE_KEEP;
		d->reason = not_address ? "account-not-address" : "no-account";
		if ((d->final = strdup(d->orig)) == NULL)
			goto nomem;
	}
	if (d->reason == NULL) {
		if (str_ieq(d->final, d->orig)) {
			d->action = DECIDE_KEEP;
			d->reason = "unchanged";
		} else {
			d->action = DECIDE_REWRITE;
		}
	}

	/* 6. From: */
	if (decide_from(s, f, d) < 0)
		goto nomem;
	addr_free(&a);
	return 0;
skip:
	d->action = DECIDE_SKIP;
	addr_free(&a);
	return 0;
nomem:
	sb_puts(err, "out of memory");
fail:
	map_hit_free(&hit);
	addr_free(&a);
	decision_free(d);
	return -1;
}
