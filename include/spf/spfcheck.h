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
 *
 *	The evaluation follows RFC 7208 as far as a libspf2 wrapper can:
 *	records are looked up as TXT only, checked against the ABNF of RFC
 *	7208 section 12 before libspf2 sees them (spfrec.h), the 10-lookup
 *	limit is counted across include: and redirect=, more than two void
 *	lookups give permerror, a malformed sender domain gives none without
 *	a lookup, v4-mapped IPv6 clients are evaluated as IPv4. Loopback and
 *	unspecified client addresses are refused (-1): libspf2 passes them
 *	unconditionally, which would say nothing about what a recipient sees.
 *	A result that depends on the local part (%{l}, %{s} macros) is cached
 *	per address, otherwise per domain. temperror is never cached.
 *
 *	libspf2 reports internal inconsistencies through SPF_error(), whose
 *	default handler aborts. Ours unwinds (siglongjmp) to the spfcheck
 *	call that was running, which then returns permerror with the message
 *	in detail (libspf2 memory held by the interrupted call is lost).
 */
#ifndef RM_SPFCHECK_H
#define RM_SPFCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spfoutcome.h"
#include "util.h"

struct spfc_options {
	unsigned	 dns_timeout_ms;	/* budget for one evaluation */
	unsigned	 cache_ttl;		/* seconds; 0 disables the cache */
	size_t		 cache_max;		/* entries */
	/* NULL: real DNS; "" an empty in-memory zone filled with
	 * spfc_zone_add(); else a zone file, one record a line:
	 *	NAME TYPE [DATA]
	 * TYPE as for spfc_zone_add(); NAME and DATA (the rest of the
	 * line) take \\ and \xHH escapes; blank lines and lines starting with # are
	 * ignored. Errors name FILE:LINE. */
	const char	*zone_file;
	/* Real DNS only: "ADDR[#PORT] ..." name servers to ask; NULL: the
	 * nameserver lines of resolv_conf (NULL: /etc/resolv.conf). */
	const char	*nameservers;
	const char	*resolv_conf;
	/* Diagnostics: evaluate with libspf2 alone (its own record lookup
	 * and parser, no wrapper fixes but the INVALID mapping), to measure
	 * what the wrapper adds. Never for production. */
	bool		 libspf2_only;
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
/* The same with the DNS budget ending at deadline_ms (mono_ms()
 * time, CLOCK_MONOTONIC milliseconds) instead of dns_timeout_ms from now:
 * one budget for every lookup a message needs. 0: dns_timeout_ms. An
 * answer from the cache has no record, and a detail only when the
 * verdict is not pass. */
int		 spfc_check_by(struct spfc *sc, const char *sender,
		    const char *ip, uint64_t deadline_ms,
		    struct spf_outcome *out);
void		 spf_outcome_clear(struct spf_outcome *out);
const char	*spf_verdict_name(enum spf_verdict v);

/* RFC 7208 check_host() for MAIL FROM sender (HELO identity when sender is
 * "" or "<>": postmaster@helo) at ip, with helo as the %{h} value; never
 * cached. For the conformance suite and diagnostics. Same returns as
 * spfc_check(). */
int		 spfc_eval(struct spfc *sc, const char *sender, const char *helo,
		    const char *ip, struct spf_outcome *out);
/* Add one record to the in-memory zone (zone_file mode only): type is A,
 * AAAA, MX ("PREF NAME"), TXT, SPF (type 99, only libspf2_only mode asks
 * for it), PTR, CNAME, NONE (no data: the name exists) or TIMEOUT (no
 * data: a query for name that finds no record times out). A name that
 * exists without the asked type answers NODATA, an unknown name NXDOMAIN.
 * Only before the checker is shared between threads. 0, or -1 with err. */
int		 spfc_zone_add(struct spfc *sc, const char *name,
		    const char *type, const char *data, strbuf *err);
/* DNS queries made so far (zone or network), for tests and statistics. */
unsigned long	 spfc_dns_queries(struct spfc *sc);
/* Cache entries held now. */
size_t		 spfc_cache_size(struct spfc *sc);
/* Replace the clock of the cache (seconds, any epoch); NULL restores
 * CLOCK_MONOTONIC. For tests; call before sharing the checker. */
void		 spfc_set_clock(struct spfc *sc, long long (*now)(void *),
		    void *arg);
/* Provoke SPF_error() in libspf2 (a NULL sender, which it rejects that
 * way) inside a guarded call: 0 when our handler unwound, with libspf2's
 * message in msg; -1 otherwise. No record of the RFC 7208/4408 suites nor
 * of 8,000 fuzzed records reaches SPF_error() through this module; API
 * misuse and allocation failures do. The daemon may run this at start. */
int		 spfc_selftest_error_handler(strbuf *msg);

#endif
