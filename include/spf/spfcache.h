/*
 * spfcache.h - a thread-safe cache of SPF outcomes keyed by string, with a
 *		TTL, an LRU bound and a replaceable clock
 *
 * CONTRACT
 *	A cache holds at most max entries; each lives ttl seconds from its
 *	spfcache_put() by the cache's clock (CLOCK_MONOTONIC seconds unless
 *	spfcache_set_clock() replaced it). An entry is expired when the clock
 *	reads expires or later; an expired entry is never returned and is
 *	dropped when a lookup meets it. When a put finds the cache full it
 *	evicts the least recently used entries (a hit counts as a use). A
 *	put replaces an entry with the same key. Keys are compared byte for
 *	byte: the caller normalises them (case, form).
 *
 *	A cache created with ttl 0 or max 0 is disabled: every get misses,
 *	every put is dropped, the size is 0.
 *
 *	Only verdict, detail and record of an outcome are stored (copies);
 *	spfcache_get() fills those three and sets cached, and leaves the
 *	other fields of out alone. The cache is an optimisation and may
 *	forget: an allocation failure in put drops the entry, one in get
 *	makes it a miss (out untouched: the caller evaluates again, so an
 *	answer never lacks the detail or record asked for). Nothing here logs, aborts or does DNS.
 *
 *	spfcache_get(), spfcache_put() and spfcache_size() are thread-safe
 *	(one mutex per cache). spfcache_set_clock() is not: call it before
 *	the cache is shared between threads.
 */
#ifndef RM_SPFCACHE_H
#define RM_SPFCACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "spfoutcome.h"

struct spfcache;

/* NULL only on an allocation failure. */
struct spfcache	*spfcache_new(unsigned ttl, size_t max);
void		 spfcache_free(struct spfcache *c);
/* true on a hit (out->verdict, detail, record and cached set). */
bool		 spfcache_get(struct spfcache *c, const char *key,
		    struct spf_outcome *out);
/* The same, copying only the strings asked for (the others are NULL):
 * a caller that does not show them spares the allocations. */
#define SPFCACHE_DETAIL			1u
#define SPFCACHE_RECORD			2u
#define SPFCACHE_DETAIL_UNLESS_PASS	4u	/* detail only when not pass */
bool		 spfcache_get_some(struct spfcache *c, const char *key,
		    unsigned what, struct spf_outcome *out);
/* spfcache_get_some() with the record (SPFCACHE_RECORD) copied into buf
 * (size bytes) when it fits, else malloc'ed as there: out->record == buf
 * says which (never free it then). */
bool		 spfcache_get_into(struct spfcache *c, const char *key,
		    unsigned what, struct spf_outcome *out, char *buf,
		    size_t size);
void		 spfcache_put(struct spfcache *c, const char *key,
		    const struct spf_outcome *o);
/* Entries held now (expired ones not yet met by a lookup included). */
size_t		 spfcache_size(struct spfcache *c);
/* Replace the clock (seconds, any epoch); NULL restores CLOCK_MONOTONIC. */
void		 spfcache_set_clock(struct spfcache *c,
		    long long (*now)(void *), void *arg);

#endif
