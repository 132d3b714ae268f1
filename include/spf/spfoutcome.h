/*
 * spfoutcome.h - the outcome of one SPF evaluation: what spfcheck.c
 *		  returns and spfcache.c keeps
 *
 * CONTRACT
 *	Only the types: spfcheck.h (spfc_check(), spf_outcome_clear(),
 *	spf_verdict_name()) says how an outcome is filled and freed,
 *	spfcache.h which of its fields the cache stores. A header of its own
 *	so that the cache does not include the header of its client.
 */
#ifndef RM_SPFOUTCOME_H
#define RM_SPFOUTCOME_H

#include <stdbool.h>

enum spf_verdict {
	SPFV_NONE = 0,
	SPFV_NEUTRAL,
	SPFV_PASS,
	SPFV_FAIL,
	SPFV_SOFTFAIL,
	SPFV_TEMPERROR,
	SPFV_PERMERROR
};

struct spf_outcome {
	enum spf_verdict verdict;
	bool		 cached;	/* answered from the cache */
	bool		 dns_error;	/* temperror caused by DNS trouble/timeout */
	char		*detail;	/* short human explanation (malloc), or NULL */
	unsigned	 elapsed_ms;	/* time spent in this call */
	char		*record;	/* the domain's SPF record as published
					 * (malloc), NULL when none was found */
	unsigned	 dns_queries;	/* DNS queries this call made */
};

#endif
