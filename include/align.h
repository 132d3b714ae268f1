/*
 * align.h - DMARC identifier alignment of the header From domain with the
 *	     envelope (SPF) domain, RFC 7489 section 3.1 with the PSL
 *
 * CONTRACT
 *	Relaxed alignment: both domains have the same Organizational Domain,
 *	which is the registrable domain of the Public Suffix List (libpsl,
 *	psl_latest(): the newer of Debian's publicsuffix data and libpsl's
 *	built-in list), or the domain itself when it is a public suffix or
 *	under no listed suffix. Strict alignment: the same domain. This is
 *	RFC 7489's rule; DMARCbis replaces the PSL with a DNS tree walk of
 *	_dmarc records, which this module does not do (the two differ for
 *	domains that publish psd= tags or records below a suffix).
 *
 *	Domains are compared in a canonical form: ASCII lower case, leading
 *	and trailing dots removed, U-labels converted to A-labels (IDNA2008,
 *	libidn2), so "Example.COM.", "münchen.de" and "xn--mnchen-3ya.de"
 *	compare as one expects. A domain that is empty, has an empty label
 *	inside, a label over 63 octets, more than 253 octets, a character
 *	other than letters, digits, '-' and '_' once in A-label form, or
 *	that IDNA refuses, is not a domain: align_check() returns -1 and the caller
 *	treats the pair as not aligned. Thread-safe; the PSL is loaded once.
 */
#ifndef RM_ALIGN_H
#define RM_ALIGN_H

#include <stdbool.h>

enum align_mode {
	ALIGN_RELAXED = 0,
	ALIGN_STRICT
};

struct align_result {
	bool	 aligned;
	char	*from_org;	/* Organizational Domain of From (malloc) */
	char	*env_org;	/* Organizational Domain of the envelope */
	char	*from_dom;	/* the canonical forms compared (malloc) */
	char	*env_dom;
};

/* 0 with out filled; -1 when either domain is not a domain (out->aligned
 * is false, the fields of the valid one are filled) or on allocation
 * failure. */
int		 align_check(const char *from_domain, const char *env_domain,
		    enum align_mode mode, struct align_result *out);
void		 align_result_clear(struct align_result *r);
/* Canonical form (see CONTRACT), malloc'ed; NULL when not a domain. */
char		*align_canonical(const char *domain);
/* Organizational Domain of a domain, malloc'ed; NULL when not a domain. */
char		*align_org_domain(const char *domain);
const char	*align_mode_name(enum align_mode m);
/* "relaxed" | "strict" (case-insensitive); -1 otherwise. */
int		 align_mode_parse(const char *s, enum align_mode *out);
/* Drop the loaded PSL (tests, valgrind); a later call loads it again. */
void		 align_cleanup(void);

#endif
