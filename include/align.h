/*
 * align.h - DMARC-style identifier alignment of From: with the envelope
 *
 * CONTRACT
 *	Follows RFC 7489 §3.1 with the Public Suffix List (libpsl), not the
 *	DMARCbis DNS tree walk: strict alignment means the two domains are
 *	equal; relaxed alignment means their organisational domains (the
 *	registrable domain: one label below the longest public suffix) are
 *	equal. Comparison is case-insensitive and ignores a trailing dot.
 *	A domain that is itself a public suffix, or that libpsl cannot read,
 *	is its own organisational domain. The PSL is loaded once (the
 *	system's newest copy or libpsl's built-in one) and shared read-only.
 */
#ifndef RM_ALIGN_H
#define RM_ALIGN_H

#include <stdbool.h>

#include "config.h"

/* Organisational domain of d (malloc'ed, lower case), NULL on ENOMEM. */
char	*align_org_domain(const char *d);
/* 1 aligned, 0 not aligned, -1 allocation failure. mode: ALIGN_RELAXED
 * or ALIGN_STRICT from config.h. */
int	 align_check(const char *from_domain, const char *env_domain,
	    int mode);
/* Which PSL is in use, for `relaymilter -V`. */
const char *align_psl_source(void);

#endif
