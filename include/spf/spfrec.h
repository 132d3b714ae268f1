/*
 * spfrec.h - SPF record syntax (RFC 7208 section 12) and domain name checks
 *
 * CONTRACT
 *	Pure functions, no DNS, no libspf2. spfrec_is_spf() tells whether a
 *	TXT string is an SPF record at all ("v=spf1" followed by a space or
 *	the end, case-insensitive, RFC 7208 4.5). spfrec_check() validates a
 *	whole record against the ABNF of RFC 7208 section 12 (plus the rules
 *	of 5.6 for CIDR ranges, 6 for duplicate modifiers and 7.1 for macro
 *	transformers) and, when it is valid, returns an equivalent record
 *	that libspf2 1.2.10 compiles and evaluates as RFC 7208 says:
 *	  - terms after the first "all" are dropped (never evaluated);
 *	  - "redirect=" is dropped when an "all" is present (6.1);
 *	  - "exp=" and unknown modifiers are dropped after their syntax is
 *	    checked (the explanation never changes a result; unknown
 *	    modifiers MUST be ignored);
 *	  - "ip4:N/0" and "ip6:N/0" become two /1 ranges (libspf2 reads a
 *	    zero prefix length as "unset", i.e. /32 or /128);
 *	  - "a"/"mx" with a zero prefix length for the client's family
 *	    (libspf2 cannot express it) become "exists:" of the domain: for
 *	    "a" and an IPv4 client that is exact; otherwise the domain gets
 *	    a marker suffix under .invalid (RFC 6761, never a real name)
 *	    that the checker's DNS layer recognises and answers itself:
 *	    SPFREC_MARK_AAAA "has the domain an AAAA record", _MX4/_MX6
 *	    "has one of its (at most 10) MX hosts an A/AAAA record".
 *	  - a macro transformer over 127 parts (%{d999}, which libspf2
 *	    refuses above 255) loses its number: no name has more labels.
 *	Macro letters c, r and t are refused outside explanation text (7.1).
 *	spfrec_domain_ok() is the check of RFC 7208 4.3 on a <domain>: at
 *	least two labels, none empty (except a trailing root dot), none over
 *	63 octets, total at most 253 octets without the trailing dot.
 */
#ifndef RM_SPFREC_H
#define RM_SPFREC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "util.h"

#define SPFREC_MARK_AAAA	"._rm-aaaa-any.invalid"
#define SPFREC_MARK_MX4		"._rm-mx-a-any.invalid"
#define SPFREC_MARK_MX6		"._rm-mx-aaaa-any.invalid"

enum spfrec_status {
	SPFREC_OK = 0,
	SPFREC_SYNTAX,		/* not valid per RFC 7208: permerror */
	SPFREC_NOMEM
};

bool	spfrec_is_spf(const char *txt);
/* family is the client's address family (AF_INET or AF_INET6): the
 * rewriting of "a"/"mx" prefix lengths depends on it. On SPFREC_OK *out is
 * a malloc'ed record for SPF_record_compile(); on any other status *out is
 * NULL and why (if not NULL) says what is wrong. */
enum spfrec_status spfrec_check(const char *txt, int family, char **out,
		    strbuf *why);
bool	spfrec_domain_ok(const char *dom);

#endif
