/*
 * trace.c - the join's front: a struct trace made and freed, each maillog
 *	     line handed to the handler of its kind, the counters
 *
 * CONTRACT
 *	See trace.h (the interface) and trace_int.h (the
 *	parts). trace_feed() parses a line (maillog.c), takes its time
 *	(trace_time.c), finds or makes its host and, by queue id, its
 *	message (trace_table.c: only the kinds that can start a message
 *	make one), hands it to the handler of its kind (trace_join.c,
 *	trace_evid.c, or here for the one-field kinds), places the message
 *	on its list and lets the advanced log clock release what is due
 *	(trace_tick.c). Every line is counted once in the stats: blank,
 *	or by its kind (not understood is a kind, shown to the sink). A
 *	line of a kind that would start a message but has no queue id
 *	(NOQUEUE) joins nothing; a line without a time is only counted.
 *	-1 only when memory ran out (t->err stays set).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"
#include "trace_int.h"
#include "util.h"

/* ------------------------------------------------------------ feeding */

static bool
creates_message(enum ml_kind k)
{
	switch (k) {
	case ML_FROM:
	case ML_TO:
	case ML_MILTER_CHANGE:
	case ML_MILTER_REJECT:
	case ML_DSN:
	case ML_DECISION:
	case ML_MILTER_ERROR:	/* a message tempfailed: its own record */
		return true;
	default:
		return false;
	}
}

void
trace_unparsed(struct trace *t, const char *src, unsigned long lineno,
    const char *line, size_t len)
{
	t->st.lines++;
	t->st.kinds[ML_UNPARSED]++;
	t->st.unparsed++;
	if (t->sink.unparsed)
		t->sink.unparsed(t->sink.ctx, src, lineno, line, len);
}

int
trace_feed(struct trace *t, const char *src, unsigned long lineno,
    const char *buf, size_t len)
{
	struct ml_line *l = &t->line;
	struct host *h;
	struct msg *m = NULL;
	enum ml_kind k;
	int64_t when;
	size_t i;

	t->st.lines++;
	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r')
			break;
	if (i == len) {
		t->st.blank++;
		return 0;
	}
	k = ml_parse(buf, len, l);
	t->st.kinds[k]++;
	if (k == ML_UNPARSED) {
		t->st.unparsed++;
		if (t->sink.unparsed)
			t->sink.unparsed(t->sink.ctx, src, lineno, buf, len);
		return 0;
	}
	if (!l->has_ts)
		return 0;
	if ((h = tr_host_get(t, l->host)) == NULL) {
		t->err = 1;
		return -1;
	}
	when = tr_time_place(t, h, tr_line_time(t, h, &l->ts));
	h->seen = when;
	if (l->qid.n > 0) {
		m = tr_msg_find(t, h, l->qid.p, l->qid.n);
		if (m == NULL && creates_message(k)) {
			tr_make_room(t, true);	/* for one more */
			m = tr_msg_get(t, h, l->qid, when);
		}
		if (m == NULL && t->err)
			return -1;
	}
	t->pin = m;
	if (m) {
		m->pub.lines++;
		if (when < m->pub.first)
			m->pub.first = when;
		if (when > m->pub.last)
			m->pub.last = when;
	}
	if (m == NULL && creates_message(k) && k != ML_MILTER_ERROR)
		k = ML_UNPARSED;	/* NOQUEUE or no id: nothing to join */
	switch (k) {
	case ML_FROM:
		tr_on_from(t, m, l);
		break;
	case ML_TO:
		tr_on_to(t, m, l, when);
		break;
	case ML_MILTER_CHANGE:
		tr_on_milter_change(t, m, l);
		break;
	case ML_MILTER_REJECT:
		tr_sset_span(t, m, &m->pub.reject, l->msg);
		if (ml_span_mem(l->detail, "discard") >= 0 &&
		    ml_span_mem(l->detail, "reject=") < 0)
			m->discarded = true;
		break;
	case ML_MILTER_ERROR:
		tr_sb_set_clean(&h->milter_err, l->msg.p, l->msg.n);
		h->milter_err_t = when;
		/* the first says why ("to error state", a timeout); a write
		 * of abort or quit that failed belongs to a session ending
		 * anyway (a client that timed out), not to a tempfail */
		if (m && (ml_span_mem(l->msg, "write(A)") >= 0 ||
		    ml_span_mem(l->msg, "write(Q)") >= 0))
			m->milter_aborted = true;
		else if (m && m->pub.milter_error == NULL && !m->milter_aborted)
			tr_sset_span(t, m, &m->pub.milter_error, l->msg);
		break;
	case ML_DSN:
		tr_on_dsn(t, m, l, when);
		break;
	case ML_DECISION:
		tr_on_decision(t, m, l);
		break;
	case ML_TLS:
		tr_on_tls(t, h, l, when);
		break;
	case ML_AUTH:
		tr_on_auth(t, h, l, when);
		break;
	case ML_SYSERR:
		tr_on_syserr(t, h, l, when);
		break;
	case ML_REJECT:
	case ML_RCPT_ERROR:
		if (m && m->pub.reject == NULL)
			tr_sset_span(t, m, &m->pub.reject, l->msg);
		break;
	case ML_NOTE:
		if (m && ml_span_eq(l->msg, "discarded"))
			m->discarded = true;
		break;
	default:
		break;
	}
	if (m) {
		tr_msg_place(t, m);
		if (t->mem > TR_MEM_BUDGET)
			tr_make_room(t, false);	/* it grew */
	}
	t->pin = NULL;
	if (t->clock > t->lasttick)
		trace_tick(t, t->clock);
	return t->err ? -1 : 0;
}

/* ------------------------------------------------------------ setup */

void
tr_opts_default(struct tr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_defer = 30 * 60;
	o->grace = 120;
	o->queue_lifetime = 5 * 86400;
	o->idle_limit = 86400;
	o->evidence_window = 600;
	o->max_open = 20000;
	o->port_window = 3600;
	o->details = true;
	o->now = o->wall = (int64_t)time(NULL);
}

void
trace_set_now(struct trace *t, int64_t now, int64_t wall)
{
	t->o.now = now;
	t->o.wall = wall;
}

struct trace *
trace_new(const struct tr_opts *o, const struct tr_sink *sink)
{
	struct trace *t;
	size_t i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->o = *o;
	if (sink)
		t->sink = *sink;
	t->evid = calloc(EVID_SLOTS, sizeof(*t->evid));
	t->cc = calloc(CC_SLOTS, sizeof(*t->cc));
	sb_init(&t->cckey);
	if (tr_table_init(t) < 0 || t->evid == NULL || t->cc == NULL) {
		trace_free(t);
		return NULL;
	}
	for (i = 0; i < CC_SLOTS; i++)
		sb_init(&t->cc[i].key);
	for (i = 0; i < EVID_SLOTS; i++) {
		sb_init(&t->evid[i].relay);
		sb_init(&t->evid[i].tls);
		sb_init(&t->evid[i].auth);
		sb_init(&t->evid[i].sys);
	}
	t->next_cross = INT64_MAX;
	sb_init(&t->scratch);
	return t;
}

void
trace_free(struct trace *t)
{
	size_t i;

	if (t == NULL)
		return;
	tr_table_free(t);
	if (t->evid)
		for (i = 0; i < EVID_SLOTS; i++) {
			sb_free(&t->evid[i].relay);
			sb_free(&t->evid[i].tls);
			sb_free(&t->evid[i].auth);
			sb_free(&t->evid[i].sys);
		}
	if (t->cc)
		for (i = 0; i < CC_SLOTS; i++)
			sb_free(&t->cc[i].key);
	free(t->cc);
	sb_free(&t->cckey);
	free(t->evid);
	sb_free(&t->scratch);
	free(t);
}

const struct tr_stats *
trace_stats(const struct trace *t)
{
	return &t->st;
}

int64_t
trace_clock(const struct trace *t)
{
	return t->clock;
}

const char *
tr_outcome_name(enum tr_outcome o)
{
	switch (o) {
	case TR_PENDING:
		return "pending";
	case TR_SENT:
		return "sent";
	case TR_DEFERRED:
		return "deferred";
	case TR_BOUNCED:
		return "bounced";
	case TR_REJECTED:
		return "rejected";
	case TR_DISCARDED:
		return "discarded";
	case TR_TEMPFAILED:
		return "tempfailed";
	case TR_OUTCOME_COUNT:
		break;
	}
	return "unknown";
}
