/*
 * dmarcdns.c - DMARC policy discovery and DKIM key lookups, cached
 *
 * CONTRACT
 *	See dmarcdns.h. Each DNS name's outcome goes into the
 *	checker's record cache (struct spfc in spfint.h) under
 *	"dmarc|_dmarc.DOMAIN" or "dkim|SEL._domainkey.DOMAIN", in the form
 *	spfcache stores (verdict, detail, record):
 *	  _dmarc names:  pass = one DMARC record (record: its text),
 *	                 none = no DMARC record,
 *	                 permerror = several (detail: how many);
 *	  _domainkey:    pass = a usable key, none = no TXT record,
 *	                 fail = revoked, permerror = no usable key (detail).
 *	Temporary failures are not put in the cache.
 */
#include <arpa/nameser.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarcdns.h"
#include "dmarcrec.h"
#include "dnsq.h"
#include "spfcache.h"
#include "spfint.h"
#include "util.h"

/* "PREFIX" + "LABEL." + domain, lower case; NULL on ENOMEM. */
static char *
join_name(const char *label, const char *domain)
{
	strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, label);
	sb_putc(&sb, '.');
	sb_puts(&sb, domain);
	if (sb.err) {
		sb_free(&sb);
		return NULL;
	}
	return str_lower_inplace(sb_steal(&sb));
}

static char *
cache_key(const char *kind, const char *name)
{
	strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, kind);
	sb_putc(&sb, '|');
	sb_puts(&sb, name);
	return sb.err ? (sb_free(&sb), NULL) : sb_steal(&sb);
}

static char *
temp_why(const char *name, const struct dnsq_answer *ans)
{
	strbuf sb;

	sb_init(&sb);
	sb_puts(&sb, ans->status == DNSQ_TIMEOUT ? "DNS timeout" :
	    "temporary DNS failure");
	sb_puts(&sb, " looking up ");
	sb_puts_sanitized(&sb, name);
	return sb_steal(&sb);
}

/* One _dmarc name. */
struct nres {
	enum { N_ONE, N_EMPTY, N_MULTI, N_TEMP } st;
	char	*text;		/* N_ONE */
	char	*why;		/* N_MULTI, N_TEMP */
	bool	 cached;
};

/*
 * The cache key "dmarc|_dmarc.DOMAIN" in lower case, in buf when it fits,
 * else allocated (free it when it is not buf); *name points at the DNS
 * name inside it. NULL when out of memory.
 */
static char *
dmarc_key(const char *domain, char *buf, size_t size, const char **name)
{
	static const char pre[] = "dmarc|_dmarc.";
	size_t n = strlen(domain);
	char *k = sizeof(pre) + n <= size ? buf : malloc(sizeof(pre) + n);

	if (k == NULL)
		return NULL;
	memcpy(k, pre, sizeof(pre) - 1);
	memcpy(k + sizeof(pre) - 1, domain, n + 1);
	str_lower_inplace(k + sizeof(pre) - 1);
	*name = k + 6;		/* after "dmarc|" */
	return k;
}

/* The record's text goes into tbuf (tsize bytes) when it fits, else into
 * an allocation: free r->text only when it is not tbuf. */
static int
dmarc_name(struct spfc *sc, const char *domain, uint64_t deadline,
    struct nres *r, unsigned *queries, char *tbuf, size_t tsize)
{
	struct spf_outcome o;
	struct dnsq_answer ans;
	char kbuf[300], *key;
	const char *name;
	size_t i, n = 0, one = 0, tl;
	strbuf sb;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&o, 0, sizeof(o));
	if ((key = dmarc_key(domain, kbuf, sizeof(kbuf), &name)) == NULL)
		return -1;
	if (spfcache_get_into(sc->rcache, key, SPFCACHE_DETAIL |
	    SPFCACHE_RECORD, &o, tbuf, tsize)) {
		r->cached = true;
		r->st = o.verdict == SPFV_PASS && o.record != NULL ? N_ONE :
		    o.verdict == SPFV_PERMERROR ? N_MULTI : N_EMPTY;
		r->text = o.record;
		r->why = o.detail;
		o.record = o.detail = NULL;
		spf_outcome_clear(&o);
		rc = 0;
		goto out;
	}
	spfdns_ask(sc->dns, name, ns_t_txt, deadline, &ans);
	(*queries)++;
	switch (ans.status) {
	case DNSQ_ANSWER:
		for (i = 0; i < ans.n; i++) {
			if (dmarcrec_is_record((const char *)ans.rr[i].data,
			    ans.rr[i].len)) {
				if (n++ == 0)
					one = i;
			}
		}
		if (n == 0) {
			r->st = N_EMPTY;
		} else if (n == 1) {
			r->st = N_ONE;
			tl = strlen((const char *)ans.rr[one].data);
			r->text = tl < tsize ? memcpy(tbuf,
			    ans.rr[one].data, tl + 1) :
			    strdup((const char *)ans.rr[one].data);
			if (r->text == NULL)
				goto nomem;
		} else {
			r->st = N_MULTI;
			sb_init(&sb);
			sb_printf(&sb, "%zu DMARC records at %s: DMARC is not "
			    "applied (RFC 7489 6.6.3)", n, name);
			if ((r->why = sb_steal(&sb)) == NULL)
				goto nomem;
			sanitize_inplace(r->why);
		}
		break;
	case DNSQ_NXDOMAIN:
	case DNSQ_NODATA:
		r->st = N_EMPTY;
		break;
	default:
		r->st = N_TEMP;
		if ((r->why = temp_why(name, &ans)) == NULL)
			goto nomem;
		break;
	}
	dnsq_answer_clear(&ans);
	if (r->st != N_TEMP) {
		o.verdict = r->st == N_ONE ? SPFV_PASS : r->st == N_MULTI ?
		    SPFV_PERMERROR : SPFV_NONE;
		o.record = r->text;
		o.detail = r->why;
		spfcache_put(sc->rcache, key, &o);	/* copies */
	}
	rc = 0;
	goto out;
nomem:
	dnsq_answer_clear(&ans);
	if (r->text != tbuf)
		free(r->text);
	free(r->why);
	memset(r, 0, sizeof(*r));
out:
	if (key != kbuf)
		free(key);
	return rc;
}

/* Everything but text_inl, which is only read where text says. */
void
dmarcdns_found_init(struct dmarc_found *f)
{
	memset(f, 0, offsetof(struct dmarc_found, text_inl));
}

void
dmarcdns_found_clear(struct dmarc_found *f)
{
	if (f == NULL)
		return;
	if (f->text != f->text_inl)
		free(f->text);
	free(f->why);
	dmarcdns_found_init(f);
}

/*
 * dmarcrec_parse() with a memo per thread of the last record parsed:
 * a milter meets the same few records again and again (the cache holds
 * their text), and the parse costs more than the rest of the lookup. The
 * why strings of dmarcrec.c are static, so they may be kept.
 */
static int
parse_memo(const char *text, struct dmarc_record *rec, const char **why)
{
	static __thread struct {
		char			 text[256];
		size_t			 len;
		int			 rc;
		struct dmarc_record	 rec;
		const char		*why;
	} m;
	size_t n = strlen(text);

	if (n == m.len && n > 0 && memcmp(text, m.text, n) == 0) {
		if (m.rc == 0)
			*rec = m.rec;
		*why = m.why;
		return m.rc;
	}
	m.rc = dmarcrec_parse(text, n, &m.rec, &m.why);
	if (n < sizeof(m.text)) {
		memcpy(m.text, text, n);
		m.len = n;
	} else {
		m.len = 0;
	}
	if (m.rc == 0)
		*rec = m.rec;
	*why = m.why;
	return m.rc;
}

/* Fill out from one name's outcome; 1 when discovery ends here. */
static int
take(struct dmarc_found *out, const char *domain, bool at_org,
    struct nres *r)
{
	const char *why = NULL;
	strbuf sb;

	out->where = domain;		/* the caller's (dmarcdns.h) */
	out->at_org = at_org;
	if (!r->cached)
		out->cached = false;
	switch (r->st) {
	case N_EMPTY:
		return 0;
	case N_TEMP:
		out->status = DMARCF_TEMPERROR;
		out->why = r->why;
		r->why = NULL;
		return 1;
	case N_MULTI:
		out->status = DMARCF_NONE;
		out->why = r->why;
		r->why = NULL;
		return 1;
	case N_ONE:
		break;
	}
	if (parse_memo(r->text, &out->rec, &why) == 0) {
		out->status = DMARCF_FOUND;
		out->text = r->text;	/* taken, as published */
		r->text = NULL;
		return 1;
	}
	out->status = DMARCF_NONE;
	sb_init(&sb);
	sb_printf(&sb, "the record at _dmarc.%s is not a policy record: %s",
	    domain, why);
	if ((out->why = sb_steal(&sb)) == NULL)
		return -1;
	sanitize_inplace(out->why);
	out->text = r->text;		/* taken, as published */
	r->text = NULL;
	return 1;
}

int
dmarcdns_discover(struct spfc *sc, const char *from_domain,
    const char *org_domain, uint64_t deadline_ms, struct dmarc_found *out)
{
	const char *doms[2];
	struct nres r;
	size_t i, nd;
	int rc;

	dmarcdns_found_init(out);
	out->cached = true;
	doms[0] = from_domain;
	nd = 1;
	if (org_domain != NULL && org_domain != from_domain &&
	    strcasecmp(org_domain, from_domain) != 0)
		doms[nd++] = org_domain;
	for (i = 0; i < nd; i++) {
		rc = dmarc_name(sc, doms[i], deadline_ms, &r, &out->queries,
		    out->text_inl, sizeof(out->text_inl));
		if (rc < 0)
			goto nomem;
		rc = take(out, doms[i], i == 1, &r);
		if (r.text != out->text_inl)
			free(r.text);
		free(r.why);
		if (rc < 0)
			goto nomem;
		if (rc == 1)
			return 0;
	}
	out->status = DMARCF_NONE;
	return 0;
nomem:
	dmarcdns_found_clear(out);
	return -1;
}

/* ------------------------------------------------------------ DKIM keys */

const char *
dmarcdns_key_status_name(enum dkimk_status s)
{
	switch (s) {
	case DKIMK_OK: return "ok";
	case DKIMK_MISSING: return "missing";
	case DKIMK_REVOKED: return "revoked";
	case DKIMK_BAD: return "unusable";
	case DKIMK_TEMPERROR: return "temperror";
	}
	return "?";
}

void
dmarcdns_keyq_clear(struct dkim_keyq *k)
{
	if (k == NULL)
		return;
	free(k->why);
	memset(k, 0, sizeof(*k));
}

int
dmarcdns_dkim_key(struct spfc *sc, const char *selector, const char *domain,
    uint64_t deadline_ms, struct dkim_keyq *out)
{
	struct spf_outcome o;
	struct dnsq_answer ans;
	enum dkim_key_state ks, first = DKIMKEY_BAD;
	const char *why = NULL, *first_why = NULL;
	char *label = NULL, *name = NULL, *key = NULL;
	size_t i;
	strbuf sb;

	memset(out, 0, sizeof(*out));
	memset(&o, 0, sizeof(o));
	sb_init(&sb);
	sb_puts(&sb, selector);
	sb_puts(&sb, "._domainkey");
	if (sb.err || (label = sb_steal(&sb)) == NULL ||
	    (name = join_name(label, domain)) == NULL ||
	    (key = cache_key("dkim", name)) == NULL)
		goto nomem;
	if (spfcache_get(sc->rcache, key, &o)) {
		out->cached = true;
		out->status = o.verdict == SPFV_PASS ? DKIMK_OK :
		    o.verdict == SPFV_FAIL ? DKIMK_REVOKED :
		    o.verdict == SPFV_PERMERROR ? DKIMK_BAD : DKIMK_MISSING;
		out->why = o.detail;
		o.detail = NULL;
		spf_outcome_clear(&o);
		goto done;
	}
	spfdns_ask(sc->dns, name, ns_t_txt, deadline_ms, &ans);
	switch (ans.status) {
	case DNSQ_ANSWER:
		out->status = DKIMK_BAD;
		for (i = 0; i < ans.n; i++) {
			ks = dmarcrec_dkim_key((const char *)ans.rr[i].data,
			    ans.rr[i].len, &why);
			if (ks == DKIMKEY_OK) {
				out->status = DKIMK_OK;
				break;
			}
			if (i == 0) {
				first = ks;
				first_why = why;
			}
		}
		if (out->status != DKIMK_OK) {
			out->status = first == DKIMKEY_REVOKED ?
			    DKIMK_REVOKED : DKIMK_BAD;
			sb_printf(&sb, "%s: %s", name, first_why ? first_why :
			    "no TXT record");
		}
		break;
	case DNSQ_NXDOMAIN:
	case DNSQ_NODATA:
		out->status = DKIMK_MISSING;
		sb_printf(&sb, "no key published at %s", name);
		break;
	default:
		out->status = DKIMK_TEMPERROR;
		out->why = temp_why(name, &ans);
		if (out->why == NULL) {
			dnsq_answer_clear(&ans);
			goto nomem;
		}
		break;
	}
	dnsq_answer_clear(&ans);
	if (out->why == NULL && sb.len > 0) {
		if ((out->why = sb_steal(&sb)) == NULL)
			goto nomem;
		sanitize_inplace(out->why);
	}
	if (out->status != DKIMK_TEMPERROR) {
		o.verdict = out->status == DKIMK_OK ? SPFV_PASS :
		    out->status == DKIMK_REVOKED ? SPFV_FAIL :
		    out->status == DKIMK_BAD ? SPFV_PERMERROR : SPFV_NONE;
		o.detail = out->why;
		spfcache_put(sc->rcache, key, &o);	/* copies */
		o.detail = NULL;
	}
done:
	sb_free(&sb);
	free(label);
	free(name);
	free(key);
	return 0;
nomem:
	sb_free(&sb);
	free(label);
	free(name);
	free(key);
	dmarcdns_keyq_clear(out);
	return -1;
}
