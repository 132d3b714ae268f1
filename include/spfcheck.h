/*
 * spfcheck.h - SPF verdicts for a domain at a relay egress address (libspf2)
 *
 * CONTRACT
 *	One checker per process (spfc_new), created before libmilter starts
 *	its threads and shared by all of them; spfc_check() is thread-safe.
 *	libspf2's error handlers are replaced so that the library never calls
 *	abort(); SPF_RESULT_INVALID is mapped to temperror (DNS trouble) or
 *	permerror (syntax trouble). The total DNS time of one evaluation is
 *	bounded by dns_timeout_ms. Results are cached per (domain, address)
 *	for cache_ttl seconds, at most cache_max entries; a cache hit does no
 *	DNS lookup. With zone_file set, DNS comes from that file through
 *	libspf2's in-memory zone resolver (tests, `relaymilter -T` dry runs).
 *
 *	Only domains the caller chose are evaluated: the milter passes the
 *	domain its rewrite produced or the configuration names, never an
 *	arbitrary inbound sender's domain.
 */
#ifndef RM_SPFCHECK_H
#define RM_SPFCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum spf_verdict {
	SPFV_NONE = 0,
	SPFV_NEUTRAL,
	SPFV_PASS,
	SPFV_FAIL,
	SPFV_SOFTFAIL,
	SPFV_TEMPERROR,
	SPFV_PERMERROR
};

struct spfc_options {
	unsigned	 dns_timeout_ms;	/* budget for one evaluation */
	unsigned	 cache_ttl;		/* seconds; 0 disables the cache */
	size_t		 cache_max;		/* entries */
	const char	*zone_file;		/* NULL: real DNS */
};

struct spf_outcome {
	enum spf_verdict verdict;
	bool		 cached;	/* answered from the cache */
	bool		 dns_error;	/* temperror caused by DNS trouble/timeout */
	char		*detail;	/* short human explanation (malloc), or NULL */
	unsigned	 elapsed_ms;	/* time spent in this call */
};

struct spfc;

struct spfc	*spfc_new(const struct spfc_options *opt, strbuf *err);
void		 spfc_free(struct spfc *sc);
/* Evaluate "postmaster@domain" (or a full sender address) at ip (v4, v6 or
 * v4-mapped v6 text form). 0 on success (out filled), -1 on an internal
 * error (bad address text, allocation failure) with out->detail set when
 * possible. */
int		 spfc_check(struct spfc *sc, const char *sender, const char *ip,
		    struct spf_outcome *out);
void		 spf_outcome_clear(struct spf_outcome *out);
const char	*spf_verdict_name(enum spf_verdict v);

#endif
