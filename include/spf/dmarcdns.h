/*
 * dmarcdns.h - DMARC policy discovery (RFC 7489 6.6.3) and DKIM key
 *		lookups through the SPF checker's DNS layer and its cache
 *
 * CONTRACT
 *	Both lookups ask the checker's DNS (its test zone, or the name
 *	servers through dnsq) and stop at the caller's deadline (a message's
 *	one DNSTimeout budget, shared with its SPF evaluations): a question
 *	asked at or after the deadline answers TIMEOUT without a query. Each
 *	DNS name's outcome is cached in the checker's record cache for
 *	SPFCacheTTL (the checker's cache_ttl), as SPF verdicts are; DNS TTLs
 *	are not consulted. A temporary failure (timeout, SERVFAIL, REFUSED)
 *	is never cached. Only names the caller chose are asked: the caller
 *	passes the From: domain the rewrite or the configuration produced,
 *	and the DKIM domains of the configuration.
 *
 *	dmarcdns_discover() is RFC 7489 6.6.3 with the organizational domain
 *	the caller computed (the Public Suffix List, align.h): TXT at
 *	_dmarc.<from>, records not starting with v=DMARC1 discarded; when
 *	none is left and org differs from from, the same at _dmarc.<org>
 *	(whose sp= then applies). More than one DMARC record at the name
 *	where discovery stops, or a record that is no policy record
 *	(dmarcrec.h), ends discovery without a policy (DMARCF_NONE with
 *	why): "DMARC processing is not applied". It does not implement
 *	DMARCbis's DNS tree walk (psd= tags, records above the
 *	organizational domain): for most domains the two agree, for domains
 *	below a public suffix that publish psd= they do not.
 *
 *	dmarcdns_dkim_key() reads TXT at <selector>._domainkey.<domain> and
 *	says whether a verifier finds a usable key there (dmarcrec.h): the
 *	first record that is a usable key wins, else the first one's state.
 *
 *	Thread-safe like spfc_check(). Strings in the results are malloc'ed
 *	and sanitised (no control characters), except dmarc_found.text, the
 *	record as published (sanitise it before showing it; kept in the
 *	result when it fits), and
 *	dmarc_found.where, one of the two domains the caller passed (not a
 *	copy); *_clear() frees them.
 *	Returns 0, or -1 on an allocation failure (why set when possible).
 */
#ifndef RM_DMARCDNS_H
#define RM_DMARCDNS_H

#include <stdbool.h>
#include <stdint.h>

#include "dmarcrec.h"
#include "spfcheck.h"

enum dmarcf_status {
	DMARCF_NONE = 0,	/* no policy record applies */
	DMARCF_FOUND,
	DMARCF_TEMPERROR
};

/* A record up to this long (with its NUL) is kept in the result itself. */
#define DMARC_TEXT_INLINE	256

/* text may point into the struct itself: never copy a struct
 * dmarc_found (nor one that holds it), pass a pointer. */
struct dmarc_found {
	enum dmarcf_status	 status;
	bool			 at_org;	/* found at the org domain */
	const char		*where;		/* domain of the record used,
						 * or the last one asked: the
						 * caller's from_domain or
						 * org_domain, valid while
						 * that is */
	char			*text;		/* the record as published: may
						 * hold control characters; in
						 * text_inl when it fits */
	struct dmarc_record	 rec;		/* when FOUND */
	char			*why;		/* NONE/TEMPERROR: why */
	bool			 cached;	/* every answer cached */
	unsigned		 queries;	/* DNS questions asked */
	char			 text_inl[DMARC_TEXT_INLINE];
};

int	 dmarcdns_discover(struct spfc *sc, const char *from_domain,
	    const char *org_domain, uint64_t deadline_ms,
	    struct dmarc_found *out);
void	 dmarcdns_found_clear(struct dmarc_found *f);
/* An empty result (dmarcdns_found_clear() on it frees nothing), without
 * zeroing text_inl. */
void	 dmarcdns_found_init(struct dmarc_found *f);

enum dkimk_status {
	DKIMK_OK = 0,		/* a usable key is published */
	DKIMK_MISSING,		/* no TXT record at the name */
	DKIMK_REVOKED,		/* p= empty */
	DKIMK_BAD,		/* TXT records, none a usable key */
	DKIMK_TEMPERROR
};

struct dkim_keyq {
	enum dkimk_status	 status;
	char			*why;
	bool			 cached;
};

int	 dmarcdns_dkim_key(struct spfc *sc, const char *selector,
	    const char *domain, uint64_t deadline_ms, struct dkim_keyq *out);
void	 dmarcdns_keyq_clear(struct dkim_keyq *k);
const char *dmarcdns_key_status_name(enum dkimk_status s);

#endif
