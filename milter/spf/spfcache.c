/*
 * spfcache.c - the SPF outcome cache: FNV-1a hash table, LRU list, TTL
 *
 * CONTRACT
 *	See spfcache.h. Structure: a power-of-two array of hash
 *	chains (64 buckets, doubled up to max entries but at most 65536)
 *	and a doubly linked LRU list whose head is the most recently used
 *	entry and whose tail is evicted first (a hit on the head leaves the
 *	list as it is: threads meeting the same entry do not write it).
 *	Every access to the table, the list and the count holds the cache's
 *	mutex; a key's hash is computed before it is taken. The clock is
 *	called with the mutex held and must not call back into the cache.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fnv.h"
#include "spfcache.h"

struct centry {
	char		*key;
	uint32_t	 hash;
	enum spf_verdict verdict;
	char		*detail;
	char		*record;
	long long	 expires;
	struct centry	*hnext;			/* hash chain */
	struct centry	*prev, *next;		/* LRU list, head = newest */
};

struct spfcache {
	unsigned		 ttl;
	size_t			 max;
	pthread_mutex_t		 lock;
	struct centry		**buckets;	/* NULL: disabled */
	size_t			 nbuckets;
	size_t			 count;
	struct centry		*head, *tail;
	long long		(*now)(void *);
	void			*now_arg;
};

static long long
mono_seconds(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

struct spfcache *
spfcache_new(unsigned ttl, size_t max)
{
	struct spfcache *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ttl = ttl;
	c->max = max;
	c->now = mono_seconds;
	pthread_mutex_init(&c->lock, NULL);
	if (ttl > 0 && max > 0) {
		c->nbuckets = 64;
		while (c->nbuckets < max && c->nbuckets < 65536)
			c->nbuckets <<= 1;
		c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
		if (c->buckets == NULL) {
			spfcache_free(c);
			return NULL;
		}
	}
	return c;
}

static void
centry_free(struct centry *e)
{
	free(e->key);
	free(e->detail);
	free(e->record);
	free(e);
}

void
spfcache_free(struct spfcache *c)
{
	struct centry *e, *n;

	if (c == NULL)
		return;
	for (e = c->head; e != NULL; e = n) {
		n = e->next;
		centry_free(e);
	}
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void
spfcache_set_clock(struct spfcache *c, long long (*now)(void *), void *arg)
{
	c->now = now != NULL ? now : mono_seconds;
	c->now_arg = now != NULL ? arg : NULL;
}

static void
lru_unlink(struct spfcache *c, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct spfcache *c, struct centry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

/* Lock held. */
static void
cache_remove(struct spfcache *c, struct centry *e)
{
	struct centry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	lru_unlink(c, e);
	c->count--;
	centry_free(e);
}

/* Lock held. The live entry for key, made the most recent; NULL when
 * there is none (an expired one is removed). */
static struct centry *
cache_find(struct spfcache *c, const char *key, uint32_t h, long long now)
{
	struct centry *e;

	for (e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->hnext) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			if (now >= e->expires) {
				cache_remove(c, e);
				return NULL;
			}
			if (e != c->head) {	/* the head stays unwritten */
				lru_unlink(c, e);
				lru_push(c, e);
			}
			return e;
		}
	}
	return NULL;
}

bool
spfcache_get_into(struct spfcache *c, const char *key, unsigned what,
    struct spf_outcome *out, char *buf, size_t size)
{
	struct centry *e;
	bool hit = false;
	uint32_t h;
	size_t n;

	if (c->buckets == NULL)
		return false;
	h = fnv1a32_str(key);		/* outside the lock */
	pthread_mutex_lock(&c->lock);
	e = cache_find(c, key, h, c->now(c->now_arg));
	if (e != NULL) {
		char *detail = NULL, *record = NULL;
		bool ok = true;

		if (e->detail != NULL && ((what & SPFCACHE_DETAIL) ||
		    ((what & SPFCACHE_DETAIL_UNLESS_PASS) &&
		    e->verdict != SPFV_PASS)))
			ok = (detail = strdup(e->detail)) != NULL;
		if (ok && e->record != NULL && (what & SPFCACHE_RECORD)) {
			if (buf != NULL && (n = strlen(e->record)) < size)
				record = memcpy(buf, e->record, n + 1);
			else
				ok = (record = strdup(e->record)) != NULL;
		}
		if (ok) {
			out->verdict = e->verdict;
			out->detail = detail;
			out->record = record;
			out->cached = true;
			hit = true;
		} else {
			/* a copy that cannot be made is a miss (the caller
			 * asks DNS), never an answer without its strings */
			free(detail);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

bool
spfcache_get_some(struct spfcache *c, const char *key, unsigned what,
    struct spf_outcome *out)
{
	return spfcache_get_into(c, key, what, out, NULL, 0);
}

bool
spfcache_get(struct spfcache *c, const char *key, struct spf_outcome *out)
{
	return spfcache_get_some(c, key, SPFCACHE_DETAIL | SPFCACHE_RECORD,
	    out);
}

void
spfcache_put(struct spfcache *c, const char *key, const struct spf_outcome *o)
{
	struct centry *e, *old;
	long long now;

	if (c->buckets == NULL)
		return;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->key = strdup(key);
	e->detail = o->detail ? strdup(o->detail) : NULL;
	e->record = o->record ? strdup(o->record) : NULL;
	if (e->key == NULL || (o->detail && !e->detail) ||
	    (o->record && !e->record)) {
		centry_free(e);
		return;
	}
	e->verdict = o->verdict;
	e->hash = fnv1a32_str(key);
	pthread_mutex_lock(&c->lock);
	now = c->now(c->now_arg);
	e->expires = now + (long long)c->ttl;
	if ((old = cache_find(c, key, e->hash, now)) != NULL)
		cache_remove(c, old);
	while (c->count >= c->max && c->tail != NULL)
		cache_remove(c, c->tail);
	e->hnext = c->buckets[e->hash & (c->nbuckets - 1)];
	c->buckets[e->hash & (c->nbuckets - 1)] = e;
	lru_push(c, e);
	c->count++;
	pthread_mutex_unlock(&c->lock);
}

size_t
spfcache_size(struct spfcache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
