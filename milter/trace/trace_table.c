/*
 * trace_table.c - the records of a trace: hosts by name, messages by
 *		   (host, queue id), the lists that order the open messages,
 *		   the records kept for reuse
 *
 * CONTRACT
 *	See trace_int.h. Hosts sit in an open-addressing table (a
 *	power of two, at most half full); when HOST_PRUNE_MIN hosts or twice
 *	as many as after the last pruning are known, the hosts without open
 *	messages are forgotten (those quiet for an hour first). The last one
 *	found is remembered, since consecutive lines mostly come from one
 *	host. A host is keyed by its name without control
 *	characters, the name it is printed with (the check of the last one
 *	is tr_host_get(), inline in trace_int.h). Messages sit in a chained
 *	hash table that doubles when it holds as many records as buckets;
 *	each open message is also on exactly one list (tr_l_append moves it
 *	to the tail). A message's record and its first arena chunk are one
 *	allocation; a freed record goes to a free list of at most FREE_MAX
 *	for the next message. tr_msg_get() makes no room: its callers
 *	(trace_feed, tr_on_dsn) call tr_make_room() (trace_tick.c, which
 *	calls this file) first. A message's recipients are an array
 *	(two inside the record, then on the heap) found by a linear scan up
 *	to RCPT_SCAN of them, then by an open-addressing index of their
 *	cleaned addresses. Allocation failures return NULL (tr_msg_get and
 *	tr_rcpt_get also set t->err) and leave the tables as they were.
 *	tr_msg_age() (trace.h) reads a record's age, for trace_tick.c and
 *	the outputs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
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

static void
host_free(struct trace *t, struct host *h)
{
	tr_health_host_gone(t, h);
	sb_free(&h->milter_err);
	free(h->name);
	free(h);
}

/*
 * Forget hosts that have no open message: first those quiet for an hour of
 * log time, then, when that did not halve the table, all of them. The
 * table is rebuilt (open addressing has no cheap delete); pid-matched
 * evidence of a forgotten host is dropped.
 */
static void
host_prune(struct trace *t)
{
	struct host **nt, *h;
	size_t i, j, kept;
	int pass;
	bool drop;

	for (pass = 0; pass < 2; pass++) {
		if ((nt = calloc(t->hostcap, sizeof(*nt))) == NULL)
			return;
		kept = 0;
		for (i = 0; i < t->hostcap; i++) {
			if ((h = t->hosts[i]) == NULL)
				continue;
			drop = h->nmsgs == 0 && (pass == 1 ||
			    h->seen < t->clock - TR_CLOCK_SLACK);
			if (drop) {
				for (j = 0; j < EVID_SLOTS; j++)
					if (t->evid[j].h == h)
						t->evid[j].h = NULL;
				if (t->lasthost == h)
					t->lasthost = NULL;
				host_free(t, h);
				t->nhosts--;
				t->st.hosts_pruned++;
				continue;
			}
			for (j = h->hash & (t->hostcap - 1); nt[j];
			    j = (j + 1) & (t->hostcap - 1))
				;
			nt[j] = h;
			kept++;
		}
		free(t->hosts);
		t->hosts = nt;
		if (kept * 2 <= t->host_prune_at)
			break;
	}
	t->host_prune_at = t->nhosts * 2 > HOST_PRUNE_MIN ? t->nhosts * 2 :
	    HOST_PRUNE_MIN;
	t->st.hosts = t->nhosts;
}

struct host *
tr_host_lookup(struct trace *t, struct ml_span s)
{
	struct host *h, **nt;
	uint32_t hv;
	size_t i, j, ncap;

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
	hv = fnv1a32(s.p, s.n, FNV1A32_INIT);
	for (i = hv & (t->hostcap - 1);; i = (i + 1) & (t->hostcap - 1)) {
		h = t->hosts[i];
		if (h == NULL)
			break;
		if (h->hash == hv && h->namelen == s.n &&
		    memcmp(h->name, s.p, s.n) == 0)
			return t->lasthost = h;
	}
	if (t->nhosts + 1 > t->host_prune_at) {
		host_prune(t);
		for (i = hv & (t->hostcap - 1); t->hosts[i];
		    i = (i + 1) & (t->hostcap - 1))
			;
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
	t->st.hosts = t->nhosts;
	return t->lasthost = h;
}

/* ------------------------------------------------------------ messages */

static uint32_t
msg_hash(const struct host *h, const char *qid, size_t n)
{
	return fnv1a32(qid, n, h->hash);
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
	m->bytes = 0;
	tr_mem_add(t, m, (long)(sizeof(*m) + sizeof(*c) + CHUNK0));
	h->nmsgs++;
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

long
tr_msg_age(const struct tr_msg *m, int64_t now)
{
	int64_t c = m->ctime ? m->ctime : m->first;

	return now > c ? (long)(now - c) : 0;
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
	if (m->pub.rcpt != m->rin)
		free(m->pub.rcpt);
	free(m->ridx);
	m->ridx = NULL;
	m->h->nmsgs--;
	t->mem -= m->bytes;
	if (t->pin == m)
		t->pin = NULL;
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

/* ------------------------------------------------------------ setup */

/* ------------------------------------------------------------ recipients */

static uint32_t
rcpt_hash(const char *p, size_t n)
{
	return tr_fnv_clean(p, n, FNV1A32_INIT);
}

/* Index every recipient of m in a table of cap slots (a power of two). */
static int
ridx_build(struct trace *t, struct msg *m, size_t cap)
{
	uint32_t *ix;
	size_t i, j;

	if ((ix = calloc(cap, sizeof(*ix))) == NULL)
		return -1;
	for (i = 0; i < m->pub.nrcpt; i++) {
		const char *a = m->pub.rcpt[i].addr;

		for (j = rcpt_hash(a, strlen(a)) & (cap - 1); ix[j];
		    j = (j + 1) & (cap - 1))
			;
		ix[j] = (uint32_t)i + 1;
	}
	free(m->ridx);
	tr_mem_add(t, m, (long)((cap - m->ridxcap) * sizeof(*ix)));
	m->ridx = ix;
	m->ridxcap = cap;
	return 0;
}

struct tr_rcpt *
tr_rcpt_get(struct trace *t, struct msg *m, const char *p, size_t n)
{
	struct tr_msg *pm = &m->pub;
	struct tr_rcpt *r, *nr;
	size_t i, ncap;
	uint32_t hv = 0;

	if (m->ridx == NULL) {
		for (i = 0; i < pm->nrcpt; i++) {
			r = &pm->rcpt[i];
			if (tr_clean_eq(r->addr, p, n))
				return r;
		}
	} else {
		hv = rcpt_hash(p, n);
		for (i = hv & (m->ridxcap - 1); m->ridx[i];
		    i = (i + 1) & (m->ridxcap - 1)) {
			r = &pm->rcpt[m->ridx[i] - 1];
			if (tr_clean_eq(r->addr, p, n))
				return r;
		}
	}
	if (pm->nrcpt >= TR_MAX_RCPT) {
		pm->rcpt_dropped++;
		return NULL;
	}
	if (pm->nrcpt == m->rcap) {
		ncap = m->rcap < 8 ? 8 : m->rcap * 2;
		if (pm->rcpt == m->rin) {
			if ((nr = malloc(ncap * sizeof(*nr))) != NULL)
				memcpy(nr, pm->rcpt, pm->nrcpt * sizeof(*nr));
		} else
			nr = realloc(pm->rcpt, ncap * sizeof(*nr));
		if (nr == NULL) {
			t->err = 1;
			return NULL;
		}
		tr_mem_add(t, m, (long)((ncap - (pm->rcpt == m->rin ? 0 :
		    m->rcap)) * sizeof(*nr)));
		pm->rcpt = nr;
		m->rcap = ncap;
	}
	r = &pm->rcpt[pm->nrcpt];
	memset(r, 0, sizeof(*r));
	r->delay = r->xdelay = -1;
	if (tr_sset(t, m, &r->addr, p, n) < 0)
		return NULL;
	pm->nrcpt++;
	m->nout[TR_PENDING]++;
	if (pm->nrcpt > RCPT_SCAN) {
		if (pm->nrcpt * 2 > m->ridxcap) {
			for (ncap = 64; ncap < pm->nrcpt * 4; ncap *= 2)
				;
			if (ridx_build(t, m, ncap) < 0) {
				t->err = 1;
				return NULL;
			}
		} else {
			for (i = hv & (m->ridxcap - 1); m->ridx[i];
			    i = (i + 1) & (m->ridxcap - 1))
				;
			m->ridx[i] = (uint32_t)pm->nrcpt;
		}
	}
	return r;
}

int
tr_table_init(struct trace *t)
{
	t->tabsize = 1024;
	t->hostcap = 16;
	t->host_prune_at = HOST_PRUNE_MIN;
	t->tab = calloc(t->tabsize, sizeof(*t->tab));
	t->hosts = calloc(t->hostcap, sizeof(*t->hosts));
	return t->tab == NULL || t->hosts == NULL ? -1 : 0;
}

void
tr_table_free(struct trace *t)
{
	struct msg *m;
	size_t i;
	int l;

	for (l = L_ACTIVE; l < L_COUNT; l++)
		while (t->lists[l].head)
			tr_msg_free(t, t->lists[l].head);
	while ((m = t->freelist) != NULL) {
		t->freelist = m->hnext;
		free(m);
	}
	tr_health_free(t);
	if (t->hosts)
		for (i = 0; i < t->hostcap; i++)
			if (t->hosts[i])
				host_free(t, t->hosts[i]);
	free(t->hosts);
	free(t->tab);
	t->hosts = NULL;
	t->tab = NULL;
}
