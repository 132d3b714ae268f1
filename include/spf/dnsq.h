/*
 * dnsq.h - a small stub resolver whose every query ends by a deadline
 *
 * CONTRACT
 *	dnsq_query() asks the configured recursive name servers one
 *	question (UDP with EDNS0, TCP when the answer is truncated) and
 *	returns no later than the deadline given in CLOCK_MONOTONIC
 *	milliseconds, whatever the servers do (silence, garbage, slow TCP).
 *	Servers come from an explicit list ("ADDR" or "ADDR#PORT", v4 or v6,
 *	separated by spaces or commas) or from the "nameserver" lines of a
 *	resolv.conf file (127.0.0.1 when it names none). Outcomes: answer,
 *	nxdomain, nodata, or tempfail (timeout, SERVFAIL, REFUSED, network
 *	error); a name that is not a valid DNS name is nxdomain without a
 *	query. Answers hold the records of the asked type (A, AAAA, MX
 *	exchange, PTR name, TXT strings concatenated). A dnsq is read-only
 *	after dnsq_new(): one can serve every thread.
 */
#ifndef RM_DNSQ_H
#define RM_DNSQ_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

enum dnsq_status {
	DNSQ_ANSWER = 0,
	DNSQ_NXDOMAIN,
	DNSQ_NODATA,
	DNSQ_TEMPFAIL,
	DNSQ_TIMEOUT
};

struct dnsq_rr {
	size_t		 len;	/* bytes of data (4 for A, 16 for AAAA) */
	unsigned char	*data;	/* NUL-terminated for names and TXT */
};

struct dnsq_answer {
	enum dnsq_status status;
	unsigned	 ttl;	/* smallest TTL of the records */
	size_t		 n;
	struct dnsq_rr	*rr;
};

struct dnsq;

/* servers: explicit list, or NULL to read resolv_conf (NULL: the system's
 * /etc/resolv.conf). NULL and err set on a bad list or unreadable file. */
struct dnsq	*dnsq_new(const char *servers, const char *resolv_conf,
		    strbuf *err);
void		 dnsq_free(struct dnsq *q);
/* type: ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_ptr, ns_t_txt. -1 only on an
 * allocation failure (ans->status is then DNSQ_TEMPFAIL). */
int		 dnsq_query(const struct dnsq *q, const char *name, int type,
		    uint64_t deadline_ms, struct dnsq_answer *ans);
void		 dnsq_answer_clear(struct dnsq_answer *ans);
/*
 * What dnsq_query() makes of one reply RB (bytes from the network) to the
 * question NAME/TYPE with the reply's own id: a reply that is not to that
 * question is tempfail, as are SERVFAIL, REFUSED and garbage; else
 * nxdomain, nodata or the answer. For tests and fuzzing; 0, or -1 on an
 * allocation failure.
 */
int		 dnsq_reply_check(const char *name, int type,
		    const unsigned char *rb, size_t rlen,
		    struct dnsq_answer *ans);
const char	*dnsq_status_name(enum dnsq_status st);

#endif
