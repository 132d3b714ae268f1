/*
 * trace.c - join maillog lines per (host, queue id), decide outcomes and
 *	     causes, release finished messages to a sink
 *
 * CONTRACT
 *	See include/trace.h. Each message owns one allocation holding its
 *	record and a first arena chunk; its strings live in that arena (a
 *	value that changes reuses its old space when it fits). Open messages
 *	sit in one of four lists ordered by their last line: active (recent),
 *	done (final, waiting out the grace period), deferred, waiting (no
 *	delivery line yet). Lines without a queue id are kept in a fixed
 *	direct-mapped cache keyed by (host, pid). All text stored from the
 *	log has its control characters removed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace.h"
#include "util.h"

/* ------------------------------------------------------------ arena */

struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	char		 data[];
};

enum { L_NONE = 0, L_ACTIVE, L_DONE, L_DEFERRED, L_WAITING, L_COUNT };

#define RCPT_INLINE	2
#define CHUNK0		384
#define FREE_MAX	256

struct msg {
	struct tr_msg	 pub;
	struct msg	*hnext;
	struct msg	*prev, *next;
	int		 list;
	uint32_t	 hash;
	struct host	*h;
	struct chunk	*arena;		/* newest first; the last is embedded */
	size_t		 rcap;
	bool		 from_seen;
	bool		 discarded;
	unsigned char	 qidlen;
	char		 qid[24];
	struct tr_rcpt	 rin[RCPT_INLINE];
};

struct host {
	char		*name;
	size_t		 namelen;
	uint32_t	 hash;
	bool		 seen_reply;	/* its log has reply= fields */
	strbuf		 milter_err;	/* last milter error line */
	int64_t		 milter_err_t;
};

/* A line without queue id, remembered for the delivery that follows. */
struct evid {
	struct host	*h;
	long		 pid;
	int64_t		 tls_t, auth_t, sys_t;
	strbuf		 relay;		/* relay named by the TLS line */
	strbuf		 tls;		/* compact STARTTLS=client summary */
	bool		 tls_fail;
	strbuf		 auth;		/* AUTH=client text */
	strbuf		 sys;		/* SYSERR text */
};

#define EVID_SLOTS	1024

/*
 * The same few replies come back again and again (a smarthost that times
 * out, a full mailbox): remember the last classifications. A slot keeps
 * its own copies of the input, so a hit is an exact match.
 */
#define CC_SLOTS	256

struct ccache {
	strbuf		 key;	/* reply, stat, dsn, extra, relay, \0-joined */
	int		 port, phase;
	unsigned	 flags;
	bool		 used;
	const struct cause *c;
};

struct list {
	struct msg	*head, *tail;
};

struct trace {
	struct tr_opts	 o;
	struct tr_sink	 sink;
	struct tr_stats	 st;
	struct msg	**tab;
	struct msg	*freelist;	/* freed records, linked by hnext */
	size_t		 nfree;
	size_t		 tabsize;	/* power of two */
	size_t		 count;
	struct list	 lists[L_COUNT];
	struct host	**hosts;
	size_t		 nhosts, hostcap;	/* open addressing, power of 2 */
	struct host	*lasthost;
	struct evid	*evid;
	struct ccache	*cc;
	strbuf		 cckey;
	int64_t		 clock;
	int64_t		 lasttick;
	/* time cache: the epoch of the start of the last (y, m, d, h) */
	int		 tc_y, tc_m, tc_d, tc_h, tc_tz;
	bool		 tc_has_tz;
	int64_t		 tc_base;
	int		 tc_year_for_mon[13];	/* guessed year per month */
	int64_t		 next_cross;	/* earliest max_defer crossing due */
	strbuf		 scratch;
	struct ml_line	 line;
	int		 err;
};

static uint32_t
fnv(const char *p, size_t n, uint32_t h)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}

static bool
is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* Append p[0..n) without control characters (TAB becomes a space). */
static void
sb_append_clean(strbuf *sb, const char *p, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		if (!is_ctl((unsigned char)p[i]))
			continue;
		if (i > run)
			sb_append(sb, p + run, i - run);
		if (p[i] == '\t')
			sb_putc(sb, ' ');
		run = i + 1;
	}
	if (n > run)
		sb_append(sb, p + run, n - run);
}

static void *
a_alloc(struct msg *m, size_t n)
{
	struct chunk *c = m->arena;
	size_t cap;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (c->cap - c->used < n) {
		cap = c->cap * 2;
		if (cap > 65536)
			cap = 65536;
		if (cap < n)
			cap = n;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = m->arena;
		c->used = 0;
		c->cap = cap;
		m->arena = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

/* Length of p[0..n) once control characters are dropped. */
static size_t
clean_len(const char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!is_ctl((unsigned char)p[i]) || p[i] == '\t')
			k++;
	return k;
}

static void
clean_copy(char *d, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\t')
			*d++ = ' ';
		else if (!is_ctl((unsigned char)p[i]))
			*d++ = p[i];
	}
	*d = '\0';
}

/* Is the stored (cleaned) string s equal to p[0..n) once cleaned? */
static bool
clean_eq(const char *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\t') {
			if (*s++ != ' ')
				return false;
		} else if (!is_ctl((unsigned char)p[i])) {
			if (*s++ != p[i])
				return false;
		}
	}
	return *s == '\0';
}

/* Any control character (< 0x20 or 0x7f) in p[0..n)? Eight bytes at a
 * time: a byte below 0x20 or equal to 0x7f sets its high bit in t. */
static bool
has_ctl(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t w, t;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		t = ((w - ones * 0x20) & ~w & high) |
		    (((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)) & high);
		if (t != 0)
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

/* Set *field to a cleaned copy of p[0..n), reusing its space if it fits. */
static int
sset(struct trace *t, struct msg *m, const char **field, const char *p,
    size_t n)
{
	bool ctl = has_ctl(p, n);
	size_t k = ctl ? clean_len(p, n) : n;
	char *d;

	if (*field != NULL && strnlen(*field, k) >= k)
		d = (char *)*field;
	else if ((d = a_alloc(m, k + 1)) == NULL) {
		t->err = 1;
		return -1;
	}
	if (ctl)
		clean_copy(d, p, n);
	else {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	*field = d;
	return 0;
}

static int
sset_span(struct trace *t, struct msg *m, const char **field,
    struct ml_span s)
{
	return sset(t, m, field, s.p, s.n);
}

/* A quoted value ("a \"b\"") is stored without its quoting. */
static int
sset_unquote(struct trace *t, struct msg *m, const char **field,
    struct ml_span s)
{
	char *d, *w;
	size_t i;

	if (s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return sset_span(t, m, field, s);
	if ((d = a_alloc(m, s.n)) == NULL) {
		t->err = 1;
		return -1;
	}
	w = d;
	for (i = 1; i + 1 < s.n; i++) {
		if (s.p[i] == '\\' && i + 2 < s.n)
			i++;
		if (s.p[i] == '\t')
			*w++ = ' ';
		else if (!is_ctl((unsigned char)s.p[i]))
			*w++ = s.p[i];
	}
	*w = '\0';
	*field = d;
	return 0;
}

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

static void
l_append(struct trace *t, struct msg *m, int which)
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

	if (clean_len(s.p, s.n) != s.n) {
		/* key by the cleaned name: the one that will be printed */
		sb_reset(&t->scratch);
		sb_append_clean(&t->scratch, s.p, s.n);
		if (t->scratch.err) {
			t->err = 1;
			return NULL;
		}
		s.p = t->scratch.s;
		s.n = t->scratch.len;
	}
	if (t->lasthost && t->lasthost->namelen == s.n &&
	    memcmp(t->lasthost->name, s.p, s.n) == 0)
		return t->lasthost;
	hv = fnv(s.p, s.n, 2166136261u);
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
	if ((h->name = malloc(clean_len(s.p, s.n) + 1)) == NULL) {
		free(h);
		return NULL;
	}
	clean_copy(h->name, s.p, s.n);
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
	return fnv(qid, n, h->hash);
}

static struct msg *
msg_find(struct trace *t, struct host *h, const char *qid, size_t n)
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

static struct msg *
msg_get(struct trace *t, struct host *h, struct ml_span qid, int64_t when)
{
	struct msg *m;
	struct chunk *c;
	size_t b;

	if ((m = msg_find(t, h, qid.p, qid.n)) != NULL)
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
	l_append(t, m, L_ACTIVE);
	return m;
}

static void
msg_free(struct trace *t, struct msg *m)
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

/* ------------------------------------------------------------ outcome */

static bool
rcpt_final(const struct tr_rcpt *r)
{
	return r->outcome == TR_SENT || r->outcome == TR_BOUNCED;
}

/* Decide the message outcome and cause from its recipients. */
static void
msg_settle(struct msg *m)
{
	struct tr_msg *p = &m->pub;
	const struct cause *bc = NULL, *dc = NULL;
	size_t i, nb = 0, nd = 0, np = 0;

	for (i = 0; i < p->nrcpt; i++) {
		switch (p->rcpt[i].outcome) {
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
	else
		p->outcome = TR_SENT;
}

/* Final: nothing more is expected (idle: it has been quiet a while). */
static bool
msg_final(const struct msg *m, bool idle)
{
	const struct tr_msg *p = &m->pub;
	size_t i;

	if (m->discarded)
		return true;
	if (p->nrcpt == 0)
		return m->from_seen && (p->nrcpts == 0 ||
		    (idle && p->reject != NULL));
	for (i = 0; i < p->nrcpt; i++)
		if (!rcpt_final(&p->rcpt[i]))
			return false;
	if (!idle && p->nrcpts > 0 && p->nrcpt < (size_t)p->nrcpts)
		return false;
	return true;
}

static bool
msg_has_deferred(const struct msg *m)
{
	size_t i;

	for (i = 0; i < m->pub.nrcpt; i++)
		if (m->pub.rcpt[i].outcome == TR_DEFERRED)
			return true;
	return false;
}

static void
emit(struct trace *t, struct msg *m, enum tr_emit why, int64_t now)
{
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
	msg_free(t, m);
}

/* Where the message waits now that it got a line. */
static void
msg_place(struct trace *t, struct msg *m)
{
	l_append(t, m, msg_final(m, false) ? L_DONE : L_ACTIVE);
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

/* ------------------------------------------------------------ evidence */

static struct evid *
evid_slot(struct trace *t, struct host *h, long pid)
{
	uint32_t x = (uint32_t)pid * 2654435761u ^ h->hash;

	return &t->evid[x & (EVID_SLOTS - 1)];
}

static struct evid *
evid_get(struct trace *t, struct host *h, long pid, int64_t when)
{
	struct evid *e = evid_slot(t, h, pid);

	if (e->h != h || e->pid != pid) {
		e->h = h;
		e->pid = pid;
		e->tls_t = e->auth_t = e->sys_t = 0;
		if (e->relay.len)
			sb_reset(&e->relay);
		if (e->tls.len)
			sb_reset(&e->tls);
		if (e->auth.len)
			sb_reset(&e->auth);
		if (e->sys.len)
			sb_reset(&e->sys);
		e->tls_fail = false;
	}
	(void)when;
	return e;
}

static struct evid *
evid_find(struct trace *t, struct host *h, long pid)
{
	struct evid *e = evid_slot(t, h, pid);

	return e->h == h && e->pid == pid ? e : NULL;
}

static void
sb_set_clean(strbuf *sb, const char *p, size_t n)
{
	sb_reset(sb);
	sb_append_clean(sb, p, n);
}

/* relay names compare up to the first blank, without a trailing dot */
static bool
same_relay(const char *a, struct ml_span b)
{
	size_t na = strcspn(a, " "), nb = 0, i;

	while (nb < b.n && b.p[nb] != ' ')
		nb++;
	if (na > 0 && a[na - 1] == '.')
		na--;
	if (nb > 0 && b.p[nb - 1] == '.')
		nb--;
	if (na != nb)
		return false;
	for (i = 0; i < na; i++) {
		int x = a[i], y = b.p[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

static void
on_tls(struct trace *t, struct host *h, const struct ml_line *l, int64_t when)
{
	const struct ml_span *v = ml_get(l, "STARTTLS"), *x;
	struct evid *e;

	if (v == NULL || l->pid < 0 || !ml_span_starts(*v, "client"))
		return;
	e = evid_get(t, h, l->pid, when);
	e->tls_t = when;
	if ((x = ml_get(l, "relay")) != NULL)
		sb_set_clean(&e->relay, x->p, x->n);
	else
		sb_reset(&e->relay);
	e->tls_fail = ml_span_mem(l->msg, "error") >= 0;
	if (e->tls_fail) {
		sb_set_clean(&e->tls, l->msg.p, l->msg.n);
		return;
	}
	sb_reset(&e->tls);
	if ((x = ml_get(l, "version")) != NULL) {
		sb_append_clean(&e->tls, x->p, x->n);
		sb_puts(&e->tls, ", ");
	}
	if ((x = ml_get(l, "verify")) != NULL) {
		sb_puts(&e->tls, "verify=");
		sb_append_clean(&e->tls, x->p, x->n);
		/* FAIL, PROTOCOL, SOFTWARE, TEMP: the certificate is not
		 * trusted; OK, NONE, NO, NOT: verified or not asked for */
		e->tls_fail = !ml_span_eq(*x, "OK") && !ml_span_eq(*x, "NONE") &&
		    !ml_span_eq(*x, "NO") && !ml_span_eq(*x, "NOT");
	}
	if ((x = ml_get(l, "cipher")) != NULL) {
		sb_puts(&e->tls, ", cipher=");
		sb_append_clean(&e->tls, x->p, x->n);
	}
}

static void
on_auth(struct trace *t, struct host *h, const struct ml_line *l, int64_t when)
{
	const struct ml_span *v = ml_get(l, "AUTH");
	struct evid *e;

	/* client side only: AUTH=client, ... and SASL "No worthy mechs" */
	if (l->pid < 0)
		return;
	if (v != NULL && !ml_span_starts(*v, "client"))
		return;
	if (v == NULL && !ml_span_starts(l->msg, "No worthy mechs"))
		return;
	e = evid_get(t, h, l->pid, when);
	/* "No worthy mechs" comes first; keep the more telling AUTH= line */
	if (v == NULL && e->auth.len > 0 && e->auth_t == when)
		return;
	e->auth_t = when;
	sb_set_clean(&e->auth, l->msg.p, l->msg.n);
}

static void
on_syserr(struct trace *t, struct host *h, const struct ml_line *l,
    int64_t when)
{
	struct evid *e;

	/* only the ones about delivery: a collect: I/O error of an
	 * inbound session says nothing about the next outbound attempt */
	if (l->pid < 0 || (ml_span_mem(l->msg, "config error") < 0 &&
	    ml_span_mem(l->msg, "loops back") < 0 &&
	    ml_span_mem(l->msg, "Too many hops") < 0))
		return;
	e = evid_get(t, h, l->pid, when);
	e->sys_t = when;
	sb_set_clean(&e->sys, l->msg.p, l->msg.n);
}

/* ------------------------------------------------------------ rcpts */

static struct tr_rcpt *
rcpt_get(struct trace *t, struct msg *m, const char *p, size_t n)
{
	struct tr_msg *pm = &m->pub;
	struct tr_rcpt *r, *nr;
	size_t i, ncap;

	for (i = 0; i < pm->nrcpt; i++) {
		r = &pm->rcpt[i];
		if (clean_eq(r->addr, p, n))
			return r;
	}
	if (pm->nrcpt == m->rcap) {
		ncap = m->rcap * 2;
		if ((nr = a_alloc(m, ncap * sizeof(*nr))) == NULL) {
			t->err = 1;
			return NULL;
		}
		memcpy(nr, pm->rcpt, pm->nrcpt * sizeof(*nr));
		pm->rcpt = nr;
		m->rcap = ncap;
	}
	r = &pm->rcpt[pm->nrcpt];
	memset(r, 0, sizeof(*r));
	r->delay = r->xdelay = -1;
	if (sset(t, m, &r->addr, p, n) < 0)
		return NULL;
	pm->nrcpt++;
	return r;
}

enum stat_kind { SK_SENT, SK_DEFERRED, SK_QUEUED, SK_FAILED };

static enum stat_kind
stat_kind(const struct ml_span *stat, const struct ml_span *dsn)
{
	if (stat == NULL)
		return dsn && dsn->n > 0 && dsn->p[0] == '2' ? SK_SENT :
		    dsn && dsn->n > 0 && dsn->p[0] == '4' ? SK_DEFERRED :
		    SK_FAILED;
	if (ml_span_starts(*stat, "Sent"))
		return SK_SENT;
	if (ml_span_starts(*stat, "Deferred"))
		return SK_DEFERRED;
	if (ml_span_eq(*stat, "queued") || ml_span_starts(*stat, "queued") ||
	    ml_span_starts(*stat, "quarantined"))
		return SK_QUEUED;
	if (dsn && dsn->n > 0 && dsn->p[0] == '4')
		return SK_DEFERRED;
	return SK_FAILED;
}

/* "Sent (QID Message accepted for delivery)": the next hop's queue id */
static bool
handoff_qid(const struct ml_span *stat, struct ml_span *q)
{
	const char *p, *e;

	if (stat == NULL || !ml_span_starts(*stat, "Sent (") ||
	    ml_span_mem(*stat, "Message accepted for delivery") < 0)
		return false;
	p = stat->p + 6;
	e = stat->p + stat->n;
	q->p = p;
	while (p < e && *p != ' ')
		p++;
	q->n = (size_t)(p - q->p);
	return ml_is_qid(q->p, q->n);
}

/* "Deferred: 451 4.3.0 ..." carries an SMTP reply code */
static bool
stat_has_code(const struct ml_span *stat)
{
	const char *p;
	size_t off = 0;

	if (stat == NULL)
		return false;
	if (ml_span_starts(*stat, "Deferred: "))
		off = 10;
	if (stat->n < off + 4)
		return false;
	p = stat->p + off;
	/* 403 comes from sendmail's own tls_* rulesets, not from a server */
	if (p[0] == '4' && p[1] == '0' && p[2] == '3')
		return false;
	return p[0] >= '2' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' &&
	    p[2] >= '0' && p[2] <= '9' && (p[3] == ' ' || p[3] == '-');
}

static void
cc_put(strbuf *k, const char *s)
{
	if (s)
		sb_puts(k, s);
	sb_putc(k, s ? '\0' : '\1');
}

static const struct cause *
classify_cached(struct trace *t, const struct cause_input *in)
{
	struct ccache *c;
	strbuf *k = &t->cckey;

	sb_reset(k);
	cc_put(k, in->reply);
	cc_put(k, in->stat);
	cc_put(k, in->dsn);
	cc_put(k, in->extra);
	cc_put(k, in->relay_host);
	if (k->err)
		return cause_classify(in);
	c = &t->cc[fnv(k->s, k->len, 2166136261u ^ (uint32_t)in->port ^
	    ((uint32_t)in->phase << 20) ^ (in->flags << 28)) & (CC_SLOTS - 1)];
	if (c->used && c->port == in->port && c->phase == (int)in->phase &&
	    c->flags == in->flags && c->key.len == k->len &&
	    memcmp(c->key.s, k->s, k->len) == 0)
		return c->c;
	c->c = cause_classify(in);
	sb_reset(&c->key);
	sb_append(&c->key, k->s, k->len);
	c->used = !c->key.err;
	c->port = in->port;
	c->phase = (int)in->phase;
	c->flags = in->flags;
	return c->c;
}

static void
classify(struct trace *t, struct msg *m, struct tr_rcpt *r,
    const struct evid *e, int64_t when, bool cached)
{
	struct cause_input in;
	const char *ev = NULL;

	memset(&in, 0, sizeof(in));
	in.reply = r->reply;
	in.stat = r->stat;
	in.dsn = r->dsn;
	in.relay_host = r->relay;
	in.flags = cached ? CAUSE_F_CACHED : 0;
	if (t->o.mailer_port && r->mailer)
		in.port = t->o.mailer_port(t->o.port_ctx, r->mailer);
	if (e && e->auth.len > 0 &&
	    when - e->auth_t <= t->o.evidence_window) {
		ev = e->auth.s;
		in.phase = CAUSE_PHASE_AUTH;
	} else if (e && e->tls_fail &&
	    when - e->tls_t <= t->o.evidence_window) {
		ev = e->tls.s;
		in.phase = CAUSE_PHASE_TLS;
	} else if (e && e->sys.len > 0 &&
	    when - e->sys_t <= t->o.evidence_window)
		ev = e->sys.s;
	else if (m->pub.milter_error)
		ev = m->pub.milter_error;
	else if (m->pub.reject && strncmp(m->pub.reject, "Milter", 6) == 0)
		ev = m->pub.reject;	/* a milter refused it on the way in */
	in.extra = ev;
	r->cause = classify_cached(t, &in);
	r->last_cause = r->cause;
	if (ev && r->cause && (r->cause->phase == CAUSE_PHASE_AUTH ||
	    r->cause->phase == CAUSE_PHASE_TLS ||
	    r->cause->phase == CAUSE_PHASE_LOCAL))
		sset(t, m, &r->evidence, ev, strlen(ev));
}

/* Split "<a>,<b>" / "a,b" / "\"|prog, x\"" into addresses. */
static const char *
next_addr(const char *p, const char *e, struct ml_span *a)
{
	int depth = 0;
	bool q = false;

	while (p < e && (*p == ',' || *p == ' '))
		p++;
	a->p = p;
	for (; p < e; p++) {
		if (*p == '"' && (p == a->p || p[-1] != '\\'))
			q = !q;
		else if (!q && *p == '<')
			depth++;
		else if (!q && *p == '>' && depth > 0)
			depth--;
		else if (!q && depth == 0 && *p == ',')
			break;
	}
	a->n = (size_t)(p - a->p);
	return p;
}

static void
on_to(struct trace *t, struct msg *m, const struct ml_line *l, int64_t when)
{
	const struct ml_span *to = NULL, *delay = NULL, *xdelay = NULL,
	    *mailer = NULL, *relay = NULL, *dsn = NULL, *reply = NULL,
	    *stat = NULL;
	struct tr_rcpt *r;
	struct ml_span a, hq;
	struct evid *e;
	enum stat_kind sk;
	const char *p, *end;
	long d = -1, xd = -1;
	bool cached, first = true;
	size_t i;

	for (i = 0; i < l->nfields; i++) {
		const struct ml_field *f = &l->f[i];

		switch (f->key.n) {
		case 2:
			if (memcmp(f->key.p, "to", 2) == 0)
				to = &f->val;
			break;
		case 3:
			if (memcmp(f->key.p, "dsn", 3) == 0)
				dsn = &f->val;
			break;
		case 4:
			if (memcmp(f->key.p, "stat", 4) == 0)
				stat = &f->val;
			break;
		case 5:
			if (memcmp(f->key.p, "delay", 5) == 0)
				delay = &f->val;
			else if (memcmp(f->key.p, "relay", 5) == 0)
				relay = &f->val;
			else if (memcmp(f->key.p, "reply", 5) == 0)
				reply = &f->val;
			break;
		case 6:
			if (memcmp(f->key.p, "xdelay", 6) == 0)
				xdelay = &f->val;
			else if (memcmp(f->key.p, "mailer", 6) == 0)
				mailer = &f->val;
			break;
		}
	}
	if (to == NULL && l->nfields > 0)
		to = &l->f[0].val;	/* a damaged "to=" key */
	if (to == NULL)
		return;
	if (delay)
		d = ml_delay(*delay);
	if (xdelay)
		xd = ml_delay(*xdelay);
	if (d >= 0 && (m->pub.ctime == 0 || when - d < m->pub.ctime))
		m->pub.ctime = when - d;
	if (reply)
		m->h->seen_reply = true;
	sk = stat_kind(stat, dsn);
	cached = sk == SK_DEFERRED && reply == NULL && m->h->seen_reply &&
	    stat_has_code(stat);
	/* evidence of this process's connection, for a delivery to the same
	 * host (a local delivery by the same process has none) */
	e = l->pid >= 0 && relay ? evid_find(t, m->h, l->pid) : NULL;
	if (e && e->relay.len > 0 && !same_relay(e->relay.s, *relay))
		e = NULL;

	p = to->p;
	end = to->p + to->n;
	while (p < end) {
		p = next_addr(p, end, &a);
		if (a.n == 0)
			continue;
		if ((r = rcpt_get(t, m, a.p, a.n)) == NULL)
			return;
		r->attempts++;
		if (r->first_try == 0)
			r->first_try = when;
		r->last_try = when;
		r->delay = d;
		r->xdelay = xd;
		r->cached = cached;
		if (mailer)
			sset_span(t, m, &r->mailer, *mailer);
		if (relay)
			sset_span(t, m, &r->relay, *relay);
		/* the texts of a success only matter to the detailed views */
		if (t->o.details || sk != SK_SENT) {
			if (dsn)
				sset_span(t, m, &r->dsn, *dsn);
			if (stat)
				sset_span(t, m, &r->stat, *stat);
		}
		if (reply)
			sset_span(t, m, &r->reply, *reply);
		else
			r->reply = NULL;
		if (t->o.details && e && e->tls.len > 0 &&
		    when - e->tls_t <= t->o.evidence_window)
			sset(t, m, &r->tls, e->tls.s, e->tls.len);
		if (t->o.details && e && e->auth.len > 0 &&
		    when - e->auth_t <= t->o.evidence_window)
			sset(t, m, &r->auth, e->auth.s, e->auth.len);
		switch (sk) {
		case SK_SENT:
			r->outcome = TR_SENT;
			r->cause = NULL;
			if (handoff_qid(stat, &hq)) {
				struct msg *n;

				sset_span(t, m, &r->handoff, hq);
				if (first && (n = msg_find(t, m->h, hq.p,
				    hq.n)) != NULL && n != m) {
					sset(t, n, &n->pub.msp_qid, m->qid,
					    strlen(m->qid));
					if (m->pub.from)
						sset(t, n, &n->pub.msp_from,
						    m->pub.from,
						    strlen(m->pub.from));
					sset(t, m, &m->pub.mta_qid, n->qid,
					    strlen(n->qid));
				}
			}
			break;
		case SK_QUEUED:
			r->outcome = TR_PENDING;
			break;
		case SK_DEFERRED:
			r->outcome = TR_DEFERRED;
			r->deferrals++;
			classify(t, m, r, e, when, cached);
			break;
		case SK_FAILED:
			r->outcome = TR_BOUNCED;
			classify(t, m, r, e, when, cached);
			break;
		}
		first = false;
		if (t->sink.attempt)
			t->sink.attempt(t->sink.ctx, &m->pub, r, when);
	}
	/* the AUTH failure belonged to this attempt */
	if (e && sk != SK_SENT) {
		sb_reset(&e->auth);
		sb_reset(&e->sys);
	}
}

/* size= and nrcpts= values; -1 when absent or not a number */
static long
span_num(const struct ml_span *v, unsigned long max)
{
	unsigned long n = 0;
	size_t i;

	if (v == NULL || v->n == 0 || v->n > 12)
		return -1;
	for (i = 0; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return -1;
		n = n * 10 + (unsigned long)(v->p[i] - '0');
	}
	return n <= max ? (long)n : -1;
}

static void
on_from(struct trace *t, struct msg *m, const struct ml_line *l)
{
	const struct ml_span *size = NULL, *nrcpts = NULL;
	const struct ml_field *f;
	size_t i;
	long n;

	m->from_seen = true;
	for (i = 0; i < l->nfields; i++) {
		f = &l->f[i];
		switch (f->key.n) {
		case 4:
			if (memcmp(f->key.p, "from", 4) == 0)
				sset_span(t, m, &m->pub.from, f->val);
			else if (memcmp(f->key.p, "size", 4) == 0)
				size = &f->val;
			break;
		case 5:
			if (!t->o.details)
				break;
			if (memcmp(f->key.p, "msgid", 5) == 0)
				sset_span(t, m, &m->pub.msgid, f->val);
			else if (memcmp(f->key.p, "relay", 5) == 0)
				sset_span(t, m, &m->pub.relay_in, f->val);
			else if (memcmp(f->key.p, "proto", 5) == 0)
				sset_span(t, m, &m->pub.proto, f->val);
			break;
		case 6:
			if (memcmp(f->key.p, "nrcpts", 6) == 0)
				nrcpts = &f->val;
			else if (t->o.details &&
			    memcmp(f->key.p, "daemon", 6) == 0)
				sset_span(t, m, &m->pub.daemon, f->val);
			break;
		}
	}
	if ((n = span_num(size, 1UL << 40)) >= 0)
		m->pub.size = n;
	if ((n = span_num(nrcpts, 1UL << 30)) >= 0)
		m->pub.nrcpts = n;
}

static void
on_milter_change(struct trace *t, struct msg *m, const struct ml_line *l)
{
	struct ml_span d = l->detail, v;
	long i;

	if (!t->o.details) {
		m->pub.header_changes++;
		return;
	}
	if (l->milter.n > 0)
		sset_span(t, m, &m->pub.milter, l->milter);
	if (ml_span_starts(d, "chgfrom: ")) {
		v.p = d.p + 9;
		v.n = d.n - 9;
		sset_span(t, m, &m->pub.chgfrom, v);
		return;
	}
	m->pub.header_changes++;
	/* the trace header: "...header: NAME: id=...; qid=..." */
	if ((i = ml_span_mem(d, "header: ")) >= 0) {
		v.p = d.p + i + 8;
		v.n = d.n - (size_t)i - 8;
		if ((i = ml_span_mem(v, ": id=")) >= 0 &&
		    ml_span_mem(v, "qid=") > i) {
			v.p += i + 2;
			v.n -= (size_t)i + 2;
			sset_span(t, m, &m->pub.trace_header, v);
		}
	}
}

/* relaymilter verdicts that name a cause, as classify() extra text */
static const char *const policy_verdicts[] = {
	"spf=fail", "spf=softfail", "spf=permerror", "spf=temperror",
	"align=fail", "result=tempfail", "result=failopen", "result=reject",
	NULL
};

static void
add_policy(struct msg *m, const char *key, const struct ml_span *v)
{
	struct cause_input in;
	const struct cause *c;
	size_t i, kn = strlen(key), j;

	/* the usual verdicts name no cause */
	if (v == NULL || ml_span_eq(*v, "pass") || ml_span_eq(*v, "ok") ||
	    ml_span_eq(*v, "none"))
		return;
	for (i = 0; policy_verdicts[i]; i++) {
		const char *pv = policy_verdicts[i];

		if (strncmp(pv, key, kn) != 0 || pv[kn] != '=' ||
		    !ml_span_eq(*v, pv + kn + 1))
			continue;
		memset(&in, 0, sizeof(in));
		in.phase = CAUSE_PHASE_POLICY;
		in.extra = pv;
		if ((c = cause_classify(&in)) == NULL)
			return;
		for (j = 0; j < m->pub.npolicy; j++)
			if (m->pub.policy[j] == c)
				return;
		if (m->pub.npolicy < TR_MAX_POLICY)
			m->pub.policy[m->pub.npolicy++] = c;
		return;
	}
}

static void
on_decision(struct trace *t, struct msg *m, const struct ml_line *l)
{
	struct tr_decision *d = &m->pub.d;
	const struct ml_field *f;
	const char **dst;
	size_t i;

	m->pub.has_decision = true;
	for (i = 0; i < l->nfields; i++) {
		f = &l->f[i];
		dst = NULL;
#define K(lit, field) \
	else if (f->key.n == sizeof(lit) - 1 && \
	    memcmp(f->key.p, lit, sizeof(lit) - 1) == 0) dst = &d->field
		if (f->key.n == 0)
			continue;
		K("action", action);
		K("reason", reason);
		K("from", from);
		K("to", to);
		K("account", account);
		K("relay", relay);
		K("spf", spf);
		K("spf_ip", spf_ip);
		K("align", align);
		K("hint", hint);
		K("header_from", header_from);
		K("trace", trace);
		K("result", result);
		K("error", error);
#undef K
		if (dst == NULL)
			continue;
		/* alerts name from/to/action; the rest is for the views */
		if (t->o.details || dst == &d->from || dst == &d->to ||
		    dst == &d->action)
			sset_unquote(t, m, dst, f->val);
		if (dst == &d->spf)
			add_policy(m, "spf", &f->val);
		else if (dst == &d->align)
			add_policy(m, "align", &f->val);
		else if (dst == &d->result)
			add_policy(m, "result", &f->val);
	}
}

static void
on_dsn(struct trace *t, struct msg *m, const struct ml_line *l,
    int64_t when)
{
	struct cause_input in;
	const struct cause *c;
	struct msg *n;
	size_t i;

	if (l->qid2.n > 0)
		sset_span(t, m, &m->pub.dsn_qid, l->qid2);
	sset_span(t, m, &m->pub.dsn_reason, l->detail);
	if (l->dsn == MLD_SENDER_NOTIFY ||
	    ml_span_starts(l->detail, "Warning: could not send")) {
		m->pub.delay_warned = true;
	} else if (ml_span_find(l->detail, "Cannot send message for") >= 0 ||
	    ml_span_find(l->detail, "could not be delivered for") >= 0) {
		/* queue lifetime over: the deferred recipients bounced */
		memset(&in, 0, sizeof(in));
		in.extra = m->pub.dsn_reason;
		c = cause_classify(&in);
		for (i = 0; i < m->pub.nrcpt; i++)
			if (m->pub.rcpt[i].outcome == TR_DEFERRED ||
			    m->pub.rcpt[i].outcome == TR_PENDING) {
				m->pub.rcpt[i].outcome = TR_BOUNCED;
				m->pub.rcpt[i].cause = c;
			}
	}
	if (l->qid2.n > 0 &&
	    (n = msg_get(t, m->h, l->qid2, when)) != NULL && n != m) {
		sset(t, n, &n->pub.orig_qid, m->qid, strlen(m->qid));
		l_append(t, n, L_ACTIVE);
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
			msg_free(t, m);	/* only named by a DSN line */
			t->st.messages--;
		}
		else if (msg_has_deferred(m)) {
			l_append(t, m, L_DEFERRED);
			due = cross_time(t, m);
			if (due < t->next_cross)
				t->next_cross = due;
		} else
			l_append(t, m, L_WAITING);
	}
	while ((m = t->lists[L_DEFERRED].head) != NULL &&
	    m->pub.last <= now - t->o.queue_lifetime)
		emit_free(t, m, TR_EMIT_EXPIRED, now);
	while ((m = t->lists[L_WAITING].head) != NULL &&
	    m->pub.last <= now - t->o.idle_limit)
		emit_free(t, m, TR_EMIT_EXPIRED, now);
	/* deferred messages crossing the max_defer age: scan only when
	 * the earliest crossing is due, and note the next one */
	if (now < t->next_cross)
		return;
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
				msg_free(t, m);
				t->st.messages--;
			} else
				emit_free(t, m, l == L_DONE || msg_final(m,
				    true) ? TR_EMIT_FINAL : TR_EMIT_END, now);
		}
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
		m = creates_message(k) ? msg_get(t, h, l->qid, when) :
		    msg_find(t, h, l->qid.p, l->qid.n);
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
		on_from(t, m, l);
		break;
	case ML_TO:
		on_to(t, m, l, when);
		break;
	case ML_MILTER_CHANGE:
		on_milter_change(t, m, l);
		break;
	case ML_MILTER_REJECT:
		sset_span(t, m, &m->pub.reject, l->msg);
		if (ml_span_mem(l->detail, "discard") >= 0 &&
		    ml_span_mem(l->detail, "reject=") < 0)
			m->discarded = true;
		break;
	case ML_MILTER_ERROR:
		sb_set_clean(&h->milter_err, l->msg.p, l->msg.n);
		h->milter_err_t = when;
		if (m)
			sset_span(t, m, &m->pub.milter_error, l->msg);
		break;
	case ML_DSN:
		on_dsn(t, m, l, when);
		break;
	case ML_DECISION:
		on_decision(t, m, l);
		break;
	case ML_TLS:
		on_tls(t, h, l, when);
		break;
	case ML_AUTH:
		on_auth(t, h, l, when);
		break;
	case ML_SYSERR:
		on_syserr(t, h, l, when);
		break;
	case ML_REJECT:
	case ML_RCPT_ERROR:
		if (m && m->pub.reject == NULL)
			sset_span(t, m, &m->pub.reject, l->msg);
		break;
	case ML_NOTE:
		if (m && ml_span_eq(l->msg, "discarded"))
			m->discarded = true;
		break;
	default:
		break;
	}
	if (m)
		msg_place(t, m);
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
			msg_free(t, t->lists[l].head);
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
