/*
 * trace_alert.c - alert lines for --alert and the exit status they imply
 *
 * CONTRACT
 *	See trace_out.h. Evaluated on reported messages and on each
 *	delivery attempt; appends "LEVEL kind key=value...: text" lines to
 *	the caller's strbuf and remembers the worst level. State is bounded:
 *	a ring of max_failures + 1 failure times and a set of at most
 *	SEEN_MAX (message, cause) keys for AUTH/TLS alerts, restarted when
 *	full.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "trace_out.h"

#define SEEN_MAX	8192

struct talert {
	struct talert_opts o;
	enum talert_level	 level;
	unsigned long	 count;
	int64_t		*ring;		/* failure times, oldest first */
	size_t		 nring, ring_head;
	int64_t		 burst_until;	/* no new burst alert before */
	char		**seen;		/* open addressing set */
	size_t		 nseen;
};

struct talert *
talert_new(const struct talert_opts *o)
{
	struct talert *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->o = *o;
	if ((a->seen = calloc(SEEN_MAX * 2, sizeof(*a->seen))) == NULL ||
	    (o->max_failures > 0 &&
	    (a->ring = calloc(o->max_failures + 1, sizeof(*a->ring))) == NULL)) {
		talert_free(a);
		return NULL;
	}
	return a;
}

static void
seen_clear(struct talert *a)
{
	size_t i;

	for (i = 0; i < SEEN_MAX * 2; i++) {
		free(a->seen[i]);
		a->seen[i] = NULL;
	}
	a->nseen = 0;
}

void
talert_free(struct talert *a)
{
	if (a == NULL)
		return;
	if (a->seen)
		seen_clear(a);
	free(a->seen);
	free(a->ring);
	free(a);
}

/* true when key was not seen before (and remembers it) */
static bool
seen_first(struct talert *a, const char *key)
{
	uint32_t h = fnv1a32_str(key);
	size_t i;

	for (i = h & (SEEN_MAX * 2 - 1); a->seen[i];
	    i = (i + 1) & (SEEN_MAX * 2 - 1))
		if (strcmp(a->seen[i], key) == 0)
			return false;
	if (a->nseen >= SEEN_MAX) {
		seen_clear(a);
		return seen_first(a, key);
	}
	if ((a->seen[i] = strdup(key)) != NULL)
		a->nseen++;
	return true;
}

static void
raise_level(struct talert *a, enum talert_level l)
{
	a->count++;
	if (l > a->level)
		a->level = l;
}

static void
head(strbuf *out, enum talert_level l, const char *kind, const struct tr_msg *m)
{
	sb_puts(out, l == TALERT_CRITICAL ? "CRITICAL " : "WARNING ");
	sb_puts(out, kind);
	sb_puts(out, " host=");
	sb_puts_sanitized(out, m->host);
	sb_puts(out, " qid=");
	sb_puts_sanitized(out, m->qid);
}

static void
tail(strbuf *out, const struct cause *c, const char *fallback)
{
	if (c) {
		sb_puts(out, " cause=");
		sb_puts(out, c->id);
		sb_puts(out, ": ");
		sb_puts(out, c->summary);
	} else {
		c = cause_unexplained();
		sb_printf(out, " cause=%s: ", c->id);
		sb_puts_sanitized(out, fallback ? fallback : "(no reply)");
	}
	sb_putc(out, '\n');
}

static const struct tr_rcpt *
first_rcpt(const struct tr_msg *m, enum tr_outcome o)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].outcome == o)
			return &m->rcpt[i];
	return NULL;
}

/* How long the message was (or is) deferred. */
static long
deferred_for(const struct tr_msg *m, int64_t now)
{
	const struct tr_rcpt *r;
	int64_t c = m->ctime ? m->ctime : m->first, end = 0;
	size_t i;
	bool any = false;

	for (i = 0; i < m->nrcpt; i++) {
		r = &m->rcpt[i];
		if (r->deferrals == 0)
			continue;
		any = true;
		if (r->outcome == TR_DEFERRED)
			end = now;
		else if (r->last_try > end)
			end = r->last_try;
	}
	return any && end > c ? (long)(end - c) : 0;
}

void
talert_message(struct talert *a, strbuf *out, const struct tr_msg *m,
    enum tr_emit why, int64_t now)
{
	const struct tr_rcpt *r;
	long age;
	size_t i;

	if (why == TR_EMIT_THRESHOLD || (!m->threshold_emitted &&
	    (age = deferred_for(m, now)) > a->o.max_defer)) {
		age = why == TR_EMIT_THRESHOLD ? tr_msg_age(m, now) :
		    deferred_for(m, now);
		r = first_rcpt(m, TR_DEFERRED);
		head(out, TALERT_WARNING, "deferred", m);
		sb_puts(out, " age=");
		tro_duration(out, age);
		if (r == NULL)
			sb_printf(out, " now=%s", tr_outcome_name(m->outcome));
		else {
			sb_puts(out, " to=");
			sb_puts_sanitized(out, r->addr);
		}
		if (r == NULL)
			r = m->nrcpt ? &m->rcpt[0] : NULL;
		tail(out, r ? r->last_cause : NULL,
		    r ? (r->reply ? r->reply : r->stat) : NULL);
		raise_level(a, TALERT_WARNING);
	}
	if (why == TR_EMIT_THRESHOLD)
		return;
	if (m->outcome == TR_BOUNCED) {
		for (i = 0; i < m->nrcpt; i++) {
			r = &m->rcpt[i];
			if (r->outcome != TR_BOUNCED)
				continue;
			head(out, TALERT_CRITICAL, "bounce", m);
			sb_puts(out, " to=");
			sb_puts_sanitized(out, r->addr);
			tail(out, r->cause, r->reply ? r->reply : r->stat);
			raise_level(a, TALERT_CRITICAL);
		}
	}
	for (i = 0; i < m->npolicy; i++) {
		/* the relay budget: warning at LimitWarn, critical over it */
		bool budget = strncmp(m->policy[i]->id, "relay-budget", 12) == 0;
		enum talert_level l = budget && m->policy[i]->severity ==
		    CAUSE_ERROR ? TALERT_CRITICAL : TALERT_WARNING;

		head(out, l, budget ? "budget" : "policy", m);
		if (budget && m->d.budget_key) {
			sb_puts(out, " key=");
			sb_puts_sanitized(out, m->d.budget_key);
			if (m->d.budget) {
				sb_puts(out, " budget=");
				sb_puts_sanitized(out, m->d.budget);
			}
			if (m->d.budget_window) {
				sb_puts(out, " window=");
				sb_puts_sanitized(out, m->d.budget_window);
			}
		}
		if (m->d.from) {
			sb_puts(out, " from=");
			sb_puts_sanitized(out, m->d.to && m->d.action &&
			    strcmp(m->d.action, "rewrite") == 0 ? m->d.to :
			    m->d.from);
		}
		tail(out, m->policy[i], NULL);
		raise_level(a, l);
	}
}

static void
burst(struct talert *a, strbuf *out, int64_t when)
{
	size_t cap = a->o.max_failures + 1, n;

	if (a->ring == NULL)
		return;
	/* drop failures that left the window */
	while (a->nring > 0 &&
	    a->ring[a->ring_head] <= when - a->o.window) {
		a->ring_head = (a->ring_head + 1) % cap;
		a->nring--;
	}
	if (a->nring == cap) {
		a->ring_head = (a->ring_head + 1) % cap;
		a->nring--;
	}
	a->ring[(a->ring_head + a->nring) % cap] = when;
	a->nring++;
	n = a->nring;
	if (n > a->o.max_failures && when >= a->burst_until) {
		sb_printf(out, "CRITICAL failures count=%zu window=", n);
		tro_duration(out, a->o.window);
		sb_puts(out, " since=");
		tro_time_utc(out, a->ring[a->ring_head]);
		sb_printf(out, ": more than %lu failed delivery attempts "
		    "within ", a->o.max_failures);
		tro_duration(out, a->o.window);
		sb_putc(out, '\n');
		raise_level(a, TALERT_CRITICAL);
		a->burst_until = when + a->o.window;
	}
}

void
talert_attempt(struct talert *a, strbuf *out, const struct tr_msg *m,
    const struct tr_rcpt *r, int64_t when)
{
	const struct cause *c = r->cause;
	strbuf key;

	if (r->outcome != TR_DEFERRED && r->outcome != TR_BOUNCED)
		return;
	burst(a, out, when);
	if (c == NULL || (c->phase != CAUSE_PHASE_AUTH &&
	    c->phase != CAUSE_PHASE_TLS))
		return;
	sb_init(&key);
	sb_printf(&key, "%s %s %s", m->host, m->qid, c->id);
	if (!key.err && seen_first(a, key.s)) {
		head(out, TALERT_CRITICAL, c->phase == CAUSE_PHASE_AUTH ?
		    "auth" : "tls", m);
		sb_puts(out, " to=");
		sb_puts_sanitized(out, r->addr);
		if (r->relay) {
			sb_puts(out, " relay=");
			sb_puts_sanitized(out, r->relay);
		}
		tail(out, c, NULL);
		raise_level(a, TALERT_CRITICAL);
	}
	sb_free(&key);
}

enum talert_level
talert_level(const struct talert *a)
{
	return a->level;
}

unsigned long
talert_count(const struct talert *a)
{
	return a->count;
}
