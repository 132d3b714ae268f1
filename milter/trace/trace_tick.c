/*
 * trace_tick.c - when an open message is released to the sink, and with
 *		  which outcome: grace, limits and max_defer as the log
 *		  clock advances, and the end of input
 *
 * CONTRACT
 *	See trace.h (the rules) and trace_int.h. After each
 *	of its lines a message goes to the done list when it is final
 *	(discarded; its from= line announced no recipient; every recipient
 *	it announced sent or bounced), else to the active list. Once a
 *	message has been quiet opts.grace seconds of log time, a done one is
 *	released; an active one is released when it is final without
 *	waiting for announced recipients that never got a line, dropped
 *	without a report when only a DSN line named it, else parked on the
 *	deferred list (a recipient deferred) or the waiting list. Deferred
 *	messages expire after opts.queue_lifetime of silence, waiting ones
 *	after opts.idle_limit. The lists are ordered by last line, so a tick
 *	stops at the first message still too young. The deferred list is
 *	scanned for max_defer crossings only when the earliest known
 *	crossing is due, at most once every CROSS_SCAN seconds of log time.
 *	Outcome and cause are settled from the recipients each time a
 *	message is handed to the sink; the stats count each message once,
 *	when released. tr_make_room() keeps the open messages within
 *	opts.max_open and TR_MEM_BUDGET bytes: a final message is released
 *	before its grace period ends, else the one whose last line is the
 *	oldest is released as evicted (and counted); the message of the line
 *	being read (t->pin) never is.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "causes.h"
#include "trace.h"
#include "trace_int.h"

/* ------------------------------------------------------------ outcome */

/* Decide the message outcome and cause from its recipients. */
static void
msg_settle(struct msg *m)
{
	struct tr_msg *p = &m->pub;
	const struct cause *bc = NULL, *dc = NULL, *sc = NULL;
	size_t i, nb = 0, nd = 0, np = 0;

	for (i = 0; i < p->nrcpt; i++) {
		switch (p->rcpt[i].outcome) {
		case TR_SENT:
			/* delivered, but flagged (kept locally) */
			if (sc == NULL)
				sc = p->rcpt[i].cause;
			break;
		case TR_BOUNCED:
			if (nb++ == 0)
				bc = p->rcpt[i].cause;
			break;
		case TR_DEFERRED:
			if (nd++ == 0)
				dc = p->rcpt[i].cause;
			break;
		case TR_PENDING:
			np++;
			break;
		default:
			break;
		}
	}
	p->cause = NULL;
	if (m->discarded)
		p->outcome = TR_DISCARDED;
	else if (p->nrcpt == 0 && p->milter_error != NULL &&
	    (p->reject == NULL || strstr(p->reject, "4.3.2") != NULL)) {
		/* sendmail tempfailed it: the milter did not answer */
		p->outcome = TR_TEMPFAILED;
		p->cause = cause_by_id("milter-error");
	}
	else if (p->nrcpt == 0)
		p->outcome = p->reject != NULL ||
		    (m->from_seen && p->nrcpts == 0) ? TR_REJECTED : TR_PENDING;
	else if (nb > 0) {
		p->outcome = TR_BOUNCED;
		p->cause = bc;
	} else if (nd > 0) {
		p->outcome = TR_DEFERRED;
		p->cause = dc;
	} else if (np > 0)
		p->outcome = TR_PENDING;
	else {
		p->outcome = TR_SENT;
		p->cause = sc;
	}
}

/* Final: nothing more is expected (idle: it has been quiet a while). */
static bool
msg_final(const struct msg *m, bool idle)
{
	const struct tr_msg *p = &m->pub;

	if (m->discarded)
		return true;
	if (p->nrcpt == 0)
		return (m->from_seen && (p->nrcpts == 0 ||
		    (idle && p->reject != NULL))) ||
		    (idle && p->milter_error != NULL);
	if (m->nout[TR_SENT] + m->nout[TR_BOUNCED] < p->nrcpt)
		return false;
	if (!idle && p->nrcpts > 0 && p->nrcpt < (size_t)p->nrcpts)
		return false;
	return true;
}

static bool
msg_has_deferred(const struct msg *m)
{
	return m->nout[TR_DEFERRED] > 0;
}

static void
emit(struct trace *t, struct msg *m, enum tr_emit why, int64_t now)
{
	tr_refine(t, m);
	msg_settle(m);
	if (why != TR_EMIT_THRESHOLD &&
	    (unsigned)m->pub.outcome < TR_OUTCOME_COUNT)
		t->st.emitted[m->pub.outcome]++;
	if (t->sink.message)
		t->sink.message(t->sink.ctx, &m->pub, why, now);
}

static void
emit_free(struct trace *t, struct msg *m, enum tr_emit why, int64_t now)
{
	emit(t, m, why, now);
	tr_msg_free(t, m);
}

void
tr_msg_place(struct trace *t, struct msg *m)
{
	tr_l_append(t, m, msg_final(m, false) ? L_DONE : L_ACTIVE);
}

/* The open message with the oldest last line, other than t->pin. */
static struct msg *
oldest_open(struct trace *t)
{
	static const int lists[] = { L_ACTIVE, L_DEFERRED, L_WAITING };
	struct msg *m, *best = NULL;
	size_t i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		m = t->lists[lists[i]].head;
		if (m != NULL && m == t->pin)
			m = m->next;
		if (m != NULL && (best == NULL || m->pub.last < best->pub.last))
			best = m;
	}
	return best;
}

void
tr_make_room(struct trace *t, bool extra)
{
	struct msg *m;
	size_t limit = t->o.max_open > 0 ? t->o.max_open : 1;

	while (t->count + (extra ? 1 : 0) > limit || t->mem > TR_MEM_BUDGET) {
		m = t->lists[L_DONE].head;
		if (m != NULL && m == t->pin)
			m = m->next;
		if (m != NULL) {
			/* final already: only its grace period is cut */
			emit_free(t, m, TR_EMIT_FINAL, t->clock);
			continue;
		}
		if ((m = oldest_open(t)) == NULL)
			return;
		t->st.evicted++;
		emit_free(t, m, TR_EMIT_EVICTED, t->clock);
	}
}

/* ------------------------------------------------------------ ticking */

/* When a deferred message becomes older than max_defer. */
static int64_t
cross_time(const struct trace *t, const struct msg *m)
{
	int64_t c = m->pub.ctime ? m->pub.ctime : m->pub.first;

	if (m->pub.threshold_emitted)
		return INT64_MAX;
	return c + t->o.max_defer + 1;
}

void
trace_tick(struct trace *t, int64_t now)
{
	struct msg *m, *nx;
	int64_t due;

	t->lasttick = now;
	while ((m = t->lists[L_DONE].head) != NULL &&
	    m->pub.last <= now - t->o.grace)
		emit_free(t, m, TR_EMIT_FINAL, now);
	while ((m = t->lists[L_ACTIVE].head) != NULL &&
	    m->pub.last <= now - t->o.grace) {
		if (msg_final(m, true))
			emit_free(t, m, TR_EMIT_FINAL, now);
		else if (m->pub.lines == 0) {
			tr_msg_free(t, m);	/* only named by a DSN line */
			t->st.messages--;
		}
		else if (msg_has_deferred(m)) {
			tr_l_append(t, m, L_DEFERRED);
			due = cross_time(t, m);
			if (due < t->next_cross)
				t->next_cross = due;
		} else
			tr_l_append(t, m, L_WAITING);
	}
	while ((m = t->lists[L_DEFERRED].head) != NULL &&
	    m->pub.last <= now - t->o.queue_lifetime)
		emit_free(t, m, TR_EMIT_EXPIRED, now);
	while ((m = t->lists[L_WAITING].head) != NULL &&
	    m->pub.last <= now - t->o.idle_limit)
		emit_free(t, m, TR_EMIT_EXPIRED, now);
	/* deferred messages crossing the max_defer age: scan only when
	 * the earliest crossing is due (and at most every CROSS_SCAN
	 * seconds of log time), and note the next one */
	if (now < t->next_cross || now < t->last_scan + CROSS_SCAN)
		return;
	t->last_scan = now;
	t->next_cross = INT64_MAX;
	for (m = t->lists[L_DEFERRED].head; m; m = nx) {
		nx = m->next;
		if (m->pub.threshold_emitted)
			continue;
		if (tr_msg_age(&m->pub, now) > t->o.max_defer) {
			emit(t, m, TR_EMIT_THRESHOLD, now);
			m->pub.threshold_emitted = true;
		} else if ((due = cross_time(t, m)) < t->next_cross)
			t->next_cross = due;
	}
}

void
trace_finish(struct trace *t, int64_t now)
{
	struct msg *m;
	int l;

	if (now < t->clock)
		now = t->clock;
	trace_tick(t, now);
	for (l = L_ACTIVE; l < L_COUNT; l++)
		while ((m = t->lists[l].head) != NULL) {
			if (m->pub.lines == 0) {
				tr_msg_free(t, m);
				t->st.messages--;
			} else
				emit_free(t, m, l == L_DONE || msg_final(m,
				    true) ? TR_EMIT_FINAL : TR_EMIT_END, now);
		}
}

void
trace_deferred(const struct trace *t, int64_t now, unsigned long *count,
    long *oldest)
{
	const struct msg *m;
	int l;
	long a;

	*count = 0;
	*oldest = 0;
	for (l = L_ACTIVE; l < L_COUNT; l++) {
		if (l == L_DONE || l == L_WAITING)
			continue;
		for (m = t->lists[l].head; m; m = m->next) {
			if (!msg_has_deferred(m))
				continue;
			(*count)++;
			if ((a = tr_msg_age(&m->pub, now)) > *oldest)
				*oldest = a;
		}
	}
}
