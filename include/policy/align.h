/*
 * align.h - DMARC identifier alignment of the header From domain with the
 *	     envelope (SPF) domain, RFC 7489 section 3.1 with the PSL
 *
 * CONTRACT
 *	Follows RFC 7489 3.1 with the Public Suffix List (libpsl), not the
 *	DMARCbis DNS tree walk of _dmarc records (the two differ for domains
 *	that publish psd= tags or records below a public suffix). Strict
 *	alignment: the two domains are equal. Relaxed alignment: their
 *	organisational domains are equal; the organisational domain is the
 *	registrable domain of the PSL (one label below the longest public
 *	suffix), or the domain itself when it is a public suffix or under no
 *	listed suffix. The PSL is psl_latest() (the newest of Debian's
 *	publicsuffix data and libpsl's built-in list), loaded once and shared
 *	read-only by all threads.
 *
 *	Domains are compared in a canonical form: ASCII lower case, leading
 *	and trailing dots removed, U-labels converted to A-labels (IDNA2008,
 *	libidn2), so "Example.COM.", "münchen.de" and "xn--mnchen-3ya.de"
 *	compare as one expects. A domain that is empty, has an empty label
 *	inside, a label over 63 octets, more than 253 octets, a character
 *	other than letters, digits, '-' and '_' once in A-label form, or
 *	that IDNA refuses, is not a domain: it is aligned with nothing.
 */
#ifndef RM_ALIGN_H
#define RM_ALIGN_H

#include <stdbool.h>

/* A canonical name is at most this long (RFC 1035: 253 octets in text). */
#define ALIGN_NAME_MAX	253

/* The four names live in the result itself (from_buf, env_buf: an
 * organisational domain is the last labels of its name, the envelope's
 * names may be the From:'s): read them while the result is in scope,
 * never free them, never copy the struct (the pointers would still point
 * into the original). align_result_clear() forgets them; it frees
 * nothing. */
struct align_result {
	bool		 aligned;
	const char	*from_dom;	/* canonical forms, NULL when not */
	const char	*env_dom;	/* a domain */
	const char	*from_org;	/* organisational domains, NULL when
					 * not a domain: each the last
					 * labels of its name, a pointer
					 * into that name's storage */
	const char	*env_org;
	char		 from_buf[ALIGN_NAME_MAX + 1];	/* storage */
	char		 env_buf[ALIGN_NAME_MAX + 1];
};

/* relaxed or strict alignment; the AlignmentMode option holds one */
enum align_mode { ALIGN_RELAXED = 0, ALIGN_STRICT };

/* 1 aligned, 0 not aligned (also when either is not a domain), -1 on
 * allocation failure. mode: ALIGN_RELAXED or ALIGN_STRICT. */
int		 align_check(const char *from_domain, const char *env_domain,
		    int mode);
/* The same, filling out (align_result_clear() it) with both canonical
 * and organisational domains, for the decision line and hints. */
int		 align_eval(const char *from_domain, const char *env_domain,
		    int mode, struct align_result *out);
void		 align_result_clear(struct align_result *r);
/* Canonical form (see CONTRACT), malloc'ed; NULL when d is not a domain
 * or on allocation failure. */
char		*align_canonical(const char *d);
/* Organisational domain of d, malloc'ed, in canonical form; a d that is
 * not a domain is its own (lower-cased). NULL only on ENOMEM. */
char		*align_org_domain(const char *d);
/* Which PSL is in use, for `relaymilter -V`. */
const char	*align_psl_source(void);
/* Drop the loaded PSL (tests, valgrind); the next call loads it again. */
void		 align_cleanup(void);

#endif
