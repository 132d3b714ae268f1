/*
 * spfint.h - interfaces between the modules of the SPF checker; not for
 *	      callers of spfcheck.h
 *
 * CONTRACT
 *	Included only by spfguard.c, spfzone.c, spfdns.c and spfcheck.c,
 *	which together implement spfcheck.h, and by dmarcdns.c,
 *	which asks the same DNS layer and keeps its answers in the
 *	checker's record cache (dmarcdns.h); nothing here is API
 *	for other modules or tests. Layering: spfcheck.c uses the three
 *	others (and spfcache.h); spfdns.c uses spfzone.c; spfzone.c and
 *	spfcheck.c call libspf2 under the guard; dmarcdns.c uses spfdns.c
 *	and spfcache.h through struct spfc. Each module states its
 *	contract at the top of its source file; this header adds what they
 *	share: the guard protocol, struct spfc, and struct spfdns_eval,
 *	which spfdns.c fills and spfcheck.c reads.
 *
 *	The guard (spfguard.c): libspf2 reports internal inconsistencies
 *	through SPF_error(), whose default handler aborts. After
 *	spfguard_install() ours copies the message into a thread-local
 *	buffer and unwinds with siglongjmp(*spfguard_jmp, 1). Every call
 *	into libspf2 that may reach SPF_error() is therefore guarded:
 *
 *		sigjmp_buf jb;
 *		sigjmp_buf *volatile saved = spfguard_jmp;
 *
 *		if (sigsetjmp(jb, 0) == 0) {
 *			spfguard_jmp = &jb;
 *			... calls into libspf2 ...
 *		} else {
 *			... spfguard_message() says what happened ...
 *		}
 *		spfguard_jmp = saved;
 *
 *	The guarding function keeps the locals it changes after sigsetjmp()
 *	volatile, or on the heap; libspf2 memory held by the interrupted
 *	call is lost. Without a guard (spfguard_jmp NULL) SPF_error() writes
 *	the message to stderr and ends the process with _exit(70): it never
 *	returns and never dumps core. Warnings, info and debug messages of
 *	libspf2 are dropped. The handlers are process-wide; the jump target
 *	and the message are per thread.
 */
#ifndef RM_SPFINT_H
#define RM_SPFINT_H

#include <netinet/in.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <spf2/spf.h>

#include "dnsq.h"
#include "spfcheck.h"
#include "util.h"

/* Deadline of a DNS query asked outside any evaluation, and the default
 * of spfc_options.dns_timeout_ms. */
#define SPFC_DEFAULT_TIMEOUT_MS	2000

/* ------------------------------------------------------------ spfcheck.c */

struct spfcache;
struct spfzone;
struct spfdns;

/* The checker (spfcheck.h). The two caches are separate so that one kind
 * of lookup cannot evict the other: verdicts per (domain, address), and
 * the DMARC and DKIM key records of dmarcdns.c per DNS name. */
struct spfc {
	struct spfc_options	 opt;
	SPF_server_t		*spf;
	struct spfdns		*dns;
	struct spfzone		*zone;		/* zone_file mode, else NULL */
	struct spfcache		*cache;		/* SPF verdicts */
	struct spfcache		*rcache;	/* DMARC and DKIM key records */
};

/* ------------------------------------------------------------ spfguard.c */

/* The innermost guarded call of this thread, or NULL. */
extern __thread sigjmp_buf *spfguard_jmp;

/* Replace libspf2's handlers (once per process; any thread may call it). */
void		 spfguard_install(void);
/* The last SPF_error() message of this thread, "libspf2 FILE:LINE: MSG",
 * cut at 255 bytes (the handler must not allocate); "" before any. */
const char	*spfguard_message(void);

/* ------------------------------------------------------------ spfzone.c */

/* The in-memory zone of tests and dry runs (contract in spfzone.c). */
struct spfzone;

/* NULL with err on an allocation failure or a libspf2 error. */
struct spfzone	*spfzone_new(strbuf *err);
void		 spfzone_free(struct spfzone *z);
/* One record, types and errors as for spfc_zone_add(). 0, or -1 with err. */
int		 spfzone_add(struct spfzone *z, const char *name,
		    const char *type, const char *data, strbuf *err);
/* Every record of a zone file. 0, or -1 with "FILE:LINE: ..." in err. */
int		 spfzone_load(struct spfzone *z, const char *path, strbuf *err);
/* Answer one question (type ns_t_*) from the zone; ans is overwritten. */
void		 spfzone_query(struct spfzone *z, const char *name, int type,
		    struct dnsq_answer *ans);
/* The form names are compared in: a lower-case copy without a trailing
 * dot (malloc), NULL on an allocation failure. */
char		*spfzone_name_key(const char *name);

/* ------------------------------------------------------------ spfdns.c */

/* The DNS layer of the checker's SPF_server_t (contract in spfdns.c). */
struct spfdns;

/*
 * One evaluation as the DNS layer sees it. The layer fills the counters,
 * flags and strings while libspf2 runs; the driver reads them afterwards.
 * Heap-allocated so that it survives an unwinding out of libspf2.
 */
struct spfdns_eval {
	uint64_t	 deadline;	/* mono_ms() after which no query */
	int		 family;	/* client's: AF_INET or AF_INET6 */
	unsigned	 queries;	/* questions asked for it */
	unsigned	 mechs;		/* DNS mechanisms counted (limit 10) */
	unsigned	 voids;		/* void lookups counted (limit 2) */
	bool		 top_done;	/* the top-level record was asked for */
	bool		 dns_error;	/* an answer was TEMPFAIL or TIMEOUT */
	bool		 timed_out;	/* an answer was TIMEOUT */
	bool		 stop;		/* a limit was passed: ask no more */
	bool		 over_mechs;	/* more than 10 DNS mechanisms */
	bool		 over_voids;	/* more than 2 void lookups */
	bool		 over_mx;	/* a marker mx met more than 10 MX */
	bool		 uses_local;	/* a record uses %{l} or %{s} */
	char		*record;	/* top-level record as published */
	char		*why;		/* cause of a permerror */
	char		*failname;	/* name whose lookup failed */
	char		**pending;	/* MX / PTR target names */
	size_t		 npending, ipending;
	SPF_request_t	*req;		/* the driver's libspf2 objects, */
	SPF_response_t	*resp;		/* freed after an unwinding too */
};

/* zone NULL: ask the network through dnsq (nameservers, else the
 * nameserver lines of resolv_conf, else /etc/resolv.conf). The zone is
 * not owned; it outlives the layer. NULL with err on failure. */
struct spfdns	*spfdns_new(struct spfzone *zone,
		    const char *nameservers, const char *resolv_conf,
		    bool libspf2_only, strbuf *err);
/* After SPF_server_free() of the server using the layer. */
void		 spfdns_free(struct spfdns *dns);
SPF_dns_server_t *spfdns_layer(struct spfdns *dns);
/* Questions asked so far, by every thread (zone or network). */
unsigned long	 spfdns_queries(struct spfdns *dns);
/* One question outside any evaluation (dmarcdns.c): from the zone or
 * the network, answered TIMEOUT once mono_ms() reaches deadline. */
void		 spfdns_ask(struct spfdns *dns, const char *name, int type,
		    uint64_t deadline, struct dnsq_answer *ans);
/* Attach ev to this thread's questions; NULL detaches. */
void		 spfdns_set_eval(struct spfdns_eval *ev);
/* NULL on an allocation failure. */
struct spfdns_eval *spfdns_eval_new(int family, uint64_t deadline);
void		 spfdns_eval_free(struct spfdns_eval *ev);
/* Set ev->why unless a cause is already there (the first one wins). */
void		 spfdns_why(struct spfdns_eval *ev, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

#endif
