/*
 * trace.c - join maillog lines per (host, queue id), decide outcomes and
 *	     causes, release finished messages to a sink
 *
 * CONTRACT
 *	See include/trace.h. Each message owns one allocation holding its
 *	record and a first arena chunk; its strings live in that arena (a
 *	value that changes reuses its old space when it fits). Open messages
 *	sit in one of four lists ordered by their last line (trace_int.h);
 *	when they leave them is trace_tick.c's business. Lines without a
 *	queue id are kept in a fixed direct-mapped cache keyed by (host,
 *	pid). All text stored from the log has its control characters
 *	removed.
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

/* ------------------------------------------------------------ lists */

static void
l_unlink(struct trace *t, struct msg *m)
{
	struct list *l;

	if (m->list == L_NONE)
		return;
	l = &t->lists[m->list];
	if (m->prev)
		m->prev->next = m->next;
	else
		l->head = m->next;
	if (m->next)
		m->next->prev = m->prev;
	else
		l->tail = m->prev;
	m->prev = m->next = NULL;
	m->list = L_NONE;
}

void
tr_l_append(struct trace *t, struct msg *m, int which)
{
	struct list *l = &t->lists[which];

	l_unlink(t, m);
	m->prev = l->tail;
	m->next = NULL;
	if (l->tail)
		l->tail->next = m;
	else
		l->head = m;
	l->tail = m;
	m->list = which;
}

/* ------------------------------------------------------------ hosts */

static struct host *
host_get(struct trace *t, struct ml_span s)
{
	struct host *h, **nt;
	uint32_t hv;
	size_t i, j, ncap;

	if (t->lasthost && t->lasthost->namelen == s.n &&
	    memcmp(t->lasthost->name, s.p, s.n) == 0)
		return t->lasthost;
	if (tr_clean_len(s.p, s.n) != s.n) {
		/* key by the cleaned name: the one that will be printed */
		sb_reset(&t->scratch);
		tr_sb_append_clean(&t->scratch, s.p, s.n);
		if (t->scratch.err) {
			t->err = 1;
			return NULL;
		}
		s.p = t->scratch.s;
		s.n = t->scratch.len;
	}
	hv = tr_fnv(s.p, s.n, 2166136261u);
	for (i = hv & (t->hostcap - 1);; i = (i + 1) & (t->hostcap - 1)) {
		h = t->hosts[i];
		if (h == NULL)
			break;
		if (h->hash == hv && h->namelen == s.n &&
		    memcmp(h->name, s.p, s.n) == 0)
			return t->lasthost = h;
	}
	if ((t->nhosts + 1) * 2 > t->hostcap) {
		ncap = t->hostcap * 2;
		if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
			return NULL;
		for (j = 0; j < t->hostcap; j++) {
			if ((h = t->hosts[j]) == NULL)
				continue;
			for (i = h->hash & (ncap - 1); nt[i];
			    i = (i + 1) & (ncap - 1))
				;
			nt[i] = h;
		}
		free(t->hosts);
		t->hosts = nt;
		t->hostcap = ncap;
		for (i = hv & (ncap - 1); nt[i]; i = (i + 1) & (ncap - 1))
			;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	if ((h->name = malloc(tr_clean_len(s.p, s.n) + 1)) == NULL) {
		free(h);
		return NULL;
	}
	tr_clean_copy(h->name, s.p, s.n);
	h->namelen = s.n;
	h->hash = hv;
	sb_init(&h->milter_err);
	t->hosts[i] = h;
	t->nhosts++;
	return t->lasthost = h;
}

/* ------------------------------------------------------------ messages */

static uint32_t
msg_hash(const struct host *h, const char *qid, size_t n)
{
	return tr_fnv(qid, n, h->hash);
}

struct msg *
tr_msg_find(struct trace *t, struct host *h, const char *qid, size_t n)
{
	uint32_t hv = msg_hash(h, qid, n);
	struct msg *m;

	for (m = t->tab[hv & (t->tabsize - 1)]; m; m = m->hnext)
		if (m->hash == hv && m->h == h && m->qidlen == n &&
		    memcmp(m->qid, qid, n) == 0)
			return m;
	return NULL;
}

static int
tab_grow(struct trace *t)
{
	size_t ns = t->tabsize * 2, i;
	struct msg **nt, *m, *nx;

	if ((nt = calloc(ns, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < t->tabsize; i++)
		for (m = t->tab[i]; m; m = nx) {
			nx = m->hnext;
			m->hnext = nt[m->hash & (ns - 1)];
			nt[m->hash & (ns - 1)] = m;
		}
	free(t->tab);
	t->tab = nt;
	t->tabsize = ns;
	return 0;
}

struct msg *
tr_msg_get(struct trace *t, struct host *h, struct ml_span qid, int64_t when)
{
	struct msg *m;
	struct chunk *c;
	size_t b;

	if ((m = tr_msg_find(t, h, qid.p, qid.n)) != NULL)
		return m;
	if (qid.n >= sizeof(m->qid))
		return NULL;		/* ml_is_qid() caps it at 20 */
	if (t->count + 1 > t->tabsize && tab_grow(t) < 0) {
		t->err = 1;
		return NULL;
	}
	if ((m = t->freelist) != NULL) {
		t->freelist = m->hnext;
		t->nfree--;
	} else if ((m = malloc(sizeof(*m) + sizeof(*c) + CHUNK0)) == NULL) {
		t->err = 1;
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	c = (struct chunk *)(void *)(m + 1);
	c->next = NULL;
	c->used = 0;
	c->cap = CHUNK0;
	m->arena = c;
	memcpy(m->qid, qid.p, qid.n);
	m->qidlen = (unsigned char)qid.n;
	m->h = h;
	m->hash = msg_hash(h, qid.p, qid.n);
	m->pub.host = h->name;
	m->pub.qid = m->qid;
	m->pub.first = m->pub.last = when;
	m->pub.size = -1;
	m->pub.nrcpts = -1;
	m->pub.rcpt = m->rin;
	m->rcap = RCPT_INLINE;
	b = m->hash & (t->tabsize - 1);
	m->hnext = t->tab[b];
	t->tab[b] = m;
	t->count++;
	t->st.messages++;
	t->st.open = t->count;
	if (t->count > t->st.open_max)
		t->st.open_max = t->count;
	tr_l_append(t, m, L_ACTIVE);
	return m;
}

void
tr_msg_free(struct trace *t, struct msg *m)
{
	struct msg **pp;
	struct chunk *c, *nx;

	for (pp = &t->tab[m->hash & (t->tabsize - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == m) {
			*pp = m->hnext;
			break;
		}
	l_unlink(t, m);
	for (c = m->arena; c && c != (struct chunk *)(void *)(m + 1); c = nx) {
		nx = c->next;
		free(c);
	}
	/* keep a few records for the next messages */
	if (t->nfree < FREE_MAX) {
		m->hnext = t->freelist;
		t->freelist = m;
		t->nfree++;
	} else
		free(m);
	t->count--;
	t->st.open = t->count;
}

/* ------------------------------------------------------------ time */

/* Offset of local time from UTC at the given local calendar hour. */
static int
local_offset(int y, int mo, int d, int h)
{
	struct tm tm;
	time_t tt;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	if ((tt = mktime(&tm)) == (time_t)-1)
		return 0;
	return (int)(ml_epoch_utc(y, mo, d, h, 0, 0) - (int64_t)tt);
}

/* The year of an RFC 3164 line: at most a day after the reference. */
static int
guess_year(struct trace *t, int mon, int mday)
{
	struct tm tm;
	time_t ref;
	int y;

	if (t->o.year > 0)
		return t->o.year;
	if (t->tc_year_for_mon[mon] != 0)
		return t->tc_year_for_mon[mon];
	ref = (time_t)(t->clock > t->o.now ? t->clock : t->o.now);
	if (localtime_r(&ref, &tm) == NULL)
		return 1970;
	y = tm.tm_year + 1900;
	if (ml_epoch_utc(y, mon, mday, 0, 0, 0) >
	    ml_epoch_utc(y, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0) + 86400)
		y--;
	t->tc_year_for_mon[mon] = y;
	return y;
}

static int64_t
line_time(struct trace *t, const struct ml_time *ts)
{
	int y = ts->year ? ts->year : guess_year(t, ts->mon, ts->mday);

	if (y != t->tc_y || ts->mon != t->tc_m || ts->mday != t->tc_d ||
	    ts->hour != t->tc_h || ts->has_tz != t->tc_has_tz ||
	    (ts->has_tz && ts->tzoff != t->tc_tz)) {
		t->tc_y = y;
		t->tc_m = ts->mon;
		t->tc_d = ts->mday;
		t->tc_h = ts->hour;
		t->tc_has_tz = ts->has_tz;
		t->tc_tz = ts->tzoff;
		t->tc_base = ml_epoch_utc(y, ts->mon, ts->mday, ts->hour, 0, 0) -
		    (ts->has_tz ? ts->tzoff :
		    local_offset(y, ts->mon, ts->mday, ts->hour));
	}
	return t->tc_base + ts->min * 60 + ts->sec;
}

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
	when = line_time(t, &l->ts);
	if (when > t->clock)
		t->clock = when;
	if (t->st.first_time == 0 || when < t->st.first_time)
		t->st.first_time = when;
	if (when > t->st.last_time)
		t->st.last_time = when;
	if ((h = host_get(t, l->host)) == NULL) {
		t->err = 1;
		return -1;
	}
	if (l->qid.n > 0) {
		m = creates_message(k) ? tr_msg_get(t, h, l->qid, when) :
		    tr_msg_find(t, h, l->qid.p, l->qid.n);
		if (m == NULL && t->err)
			return -1;
	}
	if (m) {
		m->pub.lines++;
		if (when < m->pub.first)
			m->pub.first = when;
		if (when > m->pub.last)
			m->pub.last = when;
	}
	if (m == NULL && creates_message(k))
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
		if (m)
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
	if (m)
		tr_msg_place(t, m);
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
	o->details = true;
	o->now = (int64_t)time(NULL);
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
	t->tabsize = 1024;
	t->hostcap = 16;
	t->tab = calloc(t->tabsize, sizeof(*t->tab));
	t->hosts = calloc(t->hostcap, sizeof(*t->hosts));
	t->evid = calloc(EVID_SLOTS, sizeof(*t->evid));
	t->cc = calloc(CC_SLOTS, sizeof(*t->cc));
	sb_init(&t->cckey);
	if (t->tab == NULL || t->hosts == NULL || t->evid == NULL ||
	    t->cc == NULL) {
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
	t->tc_y = -1;
	t->next_cross = INT64_MAX;
	sb_init(&t->scratch);
	return t;
}

void
trace_free(struct trace *t)
{
	struct msg *m;
	size_t i;
	int l;

	if (t == NULL)
		return;
	for (l = L_ACTIVE; l < L_COUNT; l++)
		while (t->lists[l].head)
			tr_msg_free(t, t->lists[l].head);
	while ((m = t->freelist) != NULL) {
		t->freelist = m->hnext;
		free(m);
	}
	if (t->evid)
		for (i = 0; i < EVID_SLOTS; i++) {
			sb_free(&t->evid[i].relay);
			sb_free(&t->evid[i].tls);
			sb_free(&t->evid[i].auth);
			sb_free(&t->evid[i].sys);
		}
	if (t->hosts)
		for (i = 0; i < t->hostcap; i++)
			if (t->hosts[i]) {
				sb_free(&t->hosts[i]->milter_err);
				free(t->hosts[i]->name);
				free(t->hosts[i]);
			}
	if (t->cc)
		for (i = 0; i < CC_SLOTS; i++)
			sb_free(&t->cc[i].key);
	free(t->cc);
	sb_free(&t->cckey);
	free(t->hosts);
	free(t->evid);
	sb_free(&t->scratch);
	free(t->tab);
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
	case TR_OUTCOME_COUNT:
		break;
	}
	return "unknown";
}

long
tr_msg_age(const struct tr_msg *m, int64_t now)
{
	int64_t c = m->ctime ? m->ctime : m->first;

	return now > c ? (long)(now - c) : 0;
}
