/*
 * snapshot.h - everything the milter decides with, loaded as one object
 *
 * CONTRACT
 *	A snapshot is the configuration plus every file it names (SenderMap,
 *	authinfo, list files, trace key), parsed and checked. It is built
 *	completely or not at all: any error returns -1 with "FILE:LINE: ..."
 *	in err and leaves nothing behind. Warnings that do not stop loading
 *	(authinfo readable by others, an authinfo file without AuthInfo:
 *	entries) are appended to warn, one per line.
 *
 *	Snapshots are reference counted and immutable once built. The milter
 *	takes a reference for each message at MAIL FROM and drops it at the
 *	end of the message, so a reload (snapshot_install) never changes the
 *	rules under a message in flight. Loading happens outside any lock;
 *	only the pointer swap is locked.
 */
#ifndef RM_SNAPSHOT_H
#define RM_SNAPSHOT_H

#include <stdbool.h>
#include <time.h>

#include "authinfo.h"
#include "config.h"
#include "map.h"
#include "netlist.h"
#include "relayprof.h"
#include "relaylimit.h"
#include "strtab.h"
#include "tag.h"
#include "util.h"

/* One RelayDKIM entry: the relay (or a signer after relaymilter) signs
 * with d=domain (DKIM_EXPLICIT), the account's domain or the From:
 * domain; selector NULL: the relay profile's default. */
enum dkim_kind { DKIM_EXPLICIT = 0, DKIM_ACCOUNT, DKIM_FROM };

struct dkim_entry {
	enum dkim_kind	 kind;
	char		*domain;	/* DKIM_EXPLICIT: canonical */
	char		*selector;	/* or NULL */
};

struct rm_snapshot {
	unsigned		 refs;
	unsigned		 generation;
	time_t			 loaded;
	struct rm_config	*cfg;
	struct sendermap	*map;		/* NULL without SenderMap */
	struct authinfo		*authinfo;	/* NULL without AuthInfoFile */
	bool			*authid_addr;	/* per authinfo entry: its I: is
						 * an address (parsed once) */
	struct strtab		*allowed;	/* "user@domain", "@domain" */
	struct strtab		*local_domains;
	struct strtab		*relay_mailers;
	struct netlist		*trusted;
	bool			 have_key;	/* TraceHeader set */
	struct tag_key		 key;
	struct strlist		 spf_addrs;	/* canonical IP text */
	struct strtab		*spf_domains;	/* domains SPF may be run on */
	/* the receiver's view (rview.h) */
	const struct relay_profile *profile;	/* RelayProfile, NULL: auto */
	struct dkim_entry	*dkim;		/* RelayDKIM, in order */
	size_t			 ndkim;
	bool			 dkim_none;	/* "none": no provider signature */
	struct strlist		 bounce_domains; /* RelayBounceDomain, canonical */
	struct strtab		*dmarc_domains;	/* DMARCDomains */
	struct relay_limit	*limits;	/* RelayLimit lines, in order */
	size_t			 nlimits;
};

/* RelayLimit lines the budget takes (rules that may apply to one message) */
#define RM_MAX_LIMITS	8

struct snapshot_opts {
	bool		 check_only;	/* -n: never create the trace key */
	const char	*socket;	/* -p override, or NULL */
};

/* Build from a loaded configuration (ownership of cfg passes on success
 * and on failure). */
int	snapshot_build(struct rm_config *cfg, const struct snapshot_opts *opt,
	    struct rm_snapshot **out, strbuf *err, strbuf *warn);
/* config_load + snapshot_build. */
int	snapshot_load(const char *path, const struct snapshot_opts *opt,
	    struct rm_snapshot **out, strbuf *err, strbuf *warn);
struct rm_snapshot *snapshot_ref(struct rm_snapshot *s);
void	snapshot_unref(struct rm_snapshot *s);

/* The process-wide current snapshot. */
void	snapshot_install(struct rm_snapshot *s);	/* takes the reference */
struct rm_snapshot *snapshot_current(void);		/* a new reference */
void	snapshot_shutdown(void);			/* drops the current one */

/* Is this one of the representative Google egress addresses that the
 * SPFRelayAddress keyword "google" stands for? */
bool	snapshot_addr_is_google(const char *ip);
/* Is the I: of this entry of s->authinfo an address (user@domain)? */
bool	snapshot_authid_is_address(const struct rm_snapshot *s,
	    const struct authinfo_entry *e);
/* Is this domain one the SPF check may evaluate? */
bool	snapshot_spf_domain_ok(const struct rm_snapshot *s, const char *domain);
/* Is this a From: domain whose DMARC record may be looked up (an SPF
 * domain, or one of DMARCDomains)? */
bool	snapshot_dmarc_domain_ok(const struct rm_snapshot *s,
	    const char *domain);

#endif
