/*
 * trace_health.c - the evidence around a failed delivery: per host, the
 *		    connections that worked and failed on each mailer (port)
 *		    over time, and per destination its last success and the
 *		    first failure of its current streak
 *
 * CONTRACT
 *	See trace_int.h. tr_health_note() records one delivery
 *	attempt of a host: a connection that worked (the mail was sent, or
 *	the server answered with a reply code) or one that failed (timed out,
 *	refused, unreachable); a status sendmail replayed from its host status
 *	cache, a DNS failure or a local delivery records nothing. Per host
 *	and mailer (at most HL_MAILERS, keyed by name, with the mailer's port)
 *	the successes are kept as runs: successes closer than the window
 *	merge, a run keeps the first and last success of up to HL_RUN_DESTS
 *	destinations apart and of the others together; at most HL_RUNS runs
 *	a mailer and HL_BUDGET bytes of runs in all, the oldest dropped first
 *	(the history then starts later, and a failure too old for it is not
 *	judged). Per (host, destination) at
 *	most HL_DESTS destinations in all are kept, the least recently seen
 *	forgotten first.
 *
 *	tr_health_flags() judges a connection failure at time `when` from
 *	what is known at the time of the call: CAUSE_F_PORT_DEAD when no
 *	connection on that mailer to any destination worked within
 *	opts.port_window of it (an hour by default, "the hour" below; before
 *	or after: the verdict is final once the log is read an hour past the
 *	failure, or to its end), CAUSE_F_OTHERS_OK when others work: a
 *	connection to another destination worked in the hour after it, or in
 *	the hour before it
 *	while nothing but this destination failed since (the count a caller
 *	took at the failure, tr_health_ndfail) and the failures did not go on
 *	to other destinations without a connection working again. Loopback destinations (the MSP's hand-off
 *	to the local MTA) are not evidence and are not recorded.
 *	tr_health_setup() says whether a mailer carries mail to a smarthost
 *	or to the recipients' MX (sendmail.cf's DS when known, else the
 *	relay mailer, or one mailer seen with many destinations).
 *	tr_health_basis() says in one sentence what that judgement rests on;
 *	tr_health_first() gives, for a status replayed from sendmail's host
 *	status cache, the real failure it replays: the first of the failures
 *	to that destination with the same stat= text since the last delivery
 *	there (none when the last real failure had another text). Host memory is
 *	freed with its host (tr_health_host_gone). Allocation failures lose
 *	evidence, never fail the trace.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "causes.h"
#include "fnv.h"
#include "trace.h"
#include "trace_int.h"
#include "util.h"

#define HL_MAILERS	4
#define HL_RUNS		16
#define HL_DESTS	8192
#define HL_NAME		64
#define HL_RUN_DESTS	3
#define HL_BUDGET	(8u << 20)	/* bytes of runs, all hosts */

/* The successes of one destination within a run: the first and last. */
struct hspan {
	uint32_t	 d;		/* destination hash, 0: unused */
	int64_t		 a, b;
};

/* Successes no more than the window W apart: every time in [first - W,
 * last + W] is within W of one of them. Up to HL_RUN_DESTS
 * destinations are kept apart, the others together (o). */
struct hrun {
	int64_t		 first, last;
	uint32_t	 n;
	struct hspan	 e[HL_RUN_DESTS];
	struct hspan	 o;		/* o.d: non-zero when used */
};

struct hmailer {
	char		 name[16];
	int		 port;
	struct hrun	*runs;		/* oldest first */
	unsigned	 nruns, caprun;
	int64_t		 hist_from;	/* runs before this were dropped */
	int64_t		 last_ok;
	char		 last_ok_dest[HL_NAME];
	unsigned long	 nfail;		/* connection failures since last_ok */
	unsigned long	 ndfail;	/* destinations among them */
	int64_t		 fail_from;	/* the first of them */
	uint32_t	 dest1;		/* destinations ever seen: 0, 1, 2+ */
	bool		 many_dests;
};

struct health {
	struct hmailer	 m[HL_MAILERS];
	unsigned	 nm;
	struct hdest	*dests;		/* of this host, by hostnext */
	struct hmailer	*last_m;	/* found last: most lines go to the */
	struct hdest	*last_d;	/* same relay by the same mailer */
};

struct hdest {
	struct hdest	*hnext;		/* hash chain */
	struct hdest	*lprev, *lnext;	/* least recently seen first */
	struct hdest	*hostprev, *hostnext;
	struct host	*h;
	uint32_t	 hash;
	int64_t		 seen, last_ok, last_fail;
	/* the failures with the same stat= text up to the last one: what
	 * sendmail's host status cache replays, and where it started */
	int64_t		 streak_t;
	char		 streak_qid[24];
	char		 streak_text[128];
	char		 name[HL_NAME];
};

/* ------------------------------------------------------------ names */

/* "2026-11-21 10:00:05", local time */
static void
tr_sb_time(strbuf *sb, int64_t when)
{
	time_t tt = (time_t)when;
	struct tm tm;
	char buf[32];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		sb_printf(sb, "@%lld", (long long)when);
	else
		sb_puts(sb, buf);
}

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c;
}

/* Copy the host name s[0..n) lower-cased, without a trailing dot. */
static void
name_copy(char out[HL_NAME], const char *s, size_t n)
{
	size_t i;

	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' '))
		n--;
	if (n >= HL_NAME)
		n = HL_NAME - 1;
	for (i = 0; i < n; i++)
		out[i] = (char)lc((unsigned char)s[i]);
	out[n] = '\0';
}

void
tr_health_dest(const char *relay, const char *stat, char out[HL_NAME])
{
	static const char *const marks[] = { " with ", " by " };
	const char *p, *e;
	size_t i;

	out[0] = '\0';
	/* "Connection timed out with HOST." names what sendmail tried,
	 * also when relay= does not (a cached status, an anonymised log) */
	for (i = 0; stat != NULL && i < sizeof(marks) / sizeof(marks[0]); i++)
		if ((p = strstr(stat, marks[i])) != NULL) {
			p += strlen(marks[i]);
			for (e = p; *e != '\0' && *e != ' ' && *e != ','; e++)
				;
			if (e > p) {
				name_copy(out, p, (size_t)(e - p));
				return;
			}
		}
	if (relay != NULL) {
		if (*relay == '[') {
			if ((e = strchr(relay, ']')) != NULL)
				name_copy(out, relay + 1,
				    (size_t)(e - relay - 1));
			return;
		}
		name_copy(out, relay, strcspn(relay, " ,"));
	}
}

/* ------------------------------------------------------------ destinations */

static uint32_t
dest_hash(const struct host *h, const char *name)
{
	uint32_t x = fnv1a32(name, strlen(name), h->hash);

	return x ? x : 1;
}

static void
lru_unlink(struct trace *t, struct hdest *d)
{
	if (d->lprev)
		d->lprev->lnext = d->lnext;
	else
		t->dlru_head = d->lnext;
	if (d->lnext)
		d->lnext->lprev = d->lprev;
	else
		t->dlru_tail = d->lprev;
	d->lprev = d->lnext = NULL;
}

static void
lru_append(struct trace *t, struct hdest *d)
{
	d->lprev = t->dlru_tail;
	d->lnext = NULL;
	if (t->dlru_tail)
		t->dlru_tail->lnext = d;
	else
		t->dlru_head = d;
	t->dlru_tail = d;
}

static void
dest_free(struct trace *t, struct hdest *d)
{
	struct hdest **pp;

	for (pp = &t->dtab[d->hash & (t->dcap - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	if (d->h->hl != NULL && d->h->hl->last_d == d)
		d->h->hl->last_d = NULL;
	lru_unlink(t, d);
	if (d->hostprev)
		d->hostprev->hostnext = d->hostnext;
	else if (d->h->hl)
		d->h->hl->dests = d->hostnext;
	if (d->hostnext)
		d->hostnext->hostprev = d->hostprev;
	free(d);
	t->ndests--;
}

static struct hdest *
dest_find(struct trace *t, struct host *h, const char *name)
{
	uint32_t hv;
	struct hdest *d;

	if (t->dtab == NULL || name[0] == '\0')
		return NULL;
	hv = dest_hash(h, name);
	for (d = t->dtab[hv & (t->dcap - 1)]; d; d = d->hnext)
		if (d->hash == hv && d->h == h && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static struct hdest *
dest_get(struct trace *t, struct host *h, const char *name, int64_t when)
{
	struct hdest *d;

	if (name[0] == '\0' || h->hl == NULL)
		return NULL;
	if ((d = h->hl->last_d) != NULL && strcmp(d->name, name) == 0) {
		if (t->dlru_tail != d) {
			lru_unlink(t, d);
			lru_append(t, d);
		}
		if (when > d->seen)
			d->seen = when;
		return d;
	}
	if (t->dtab == NULL) {
		t->dcap = HL_DESTS;
		if ((t->dtab = calloc(t->dcap, sizeof(*t->dtab))) == NULL)
			return NULL;
	}
	if ((d = dest_find(t, h, name)) == NULL) {
		if (t->ndests >= HL_DESTS)
			dest_free(t, t->dlru_head);
		if ((d = calloc(1, sizeof(*d))) == NULL)
			return NULL;
		d->h = h;
		snprintf(d->name, sizeof(d->name), "%s", name);
		d->hash = dest_hash(h, name);
		d->hnext = t->dtab[d->hash & (t->dcap - 1)];
		t->dtab[d->hash & (t->dcap - 1)] = d;
		d->hostnext = h->hl->dests;
		if (d->hostnext)
			d->hostnext->hostprev = d;
		h->hl->dests = d;
		t->ndests++;
	} else
		lru_unlink(t, d);
	lru_append(t, d);
	if (when > d->seen)
		d->seen = when;
	h->hl->last_d = d;
	return d;
}

/* ------------------------------------------------------------ mailers */

static struct hmailer *
mailer_find(const struct host *h, const char *mailer)
{
	unsigned i;

	if (h->hl == NULL || mailer == NULL)
		return NULL;
	for (i = 0; i < h->hl->nm; i++)
		if (strcmp(h->hl->m[i].name, mailer) == 0)
			return &h->hl->m[i];
	return NULL;
}

static struct hmailer *
mailer_get(struct host *h, const char *mailer, int port)
{
	struct hmailer *m;

	if (h->hl != NULL && (m = h->hl->last_m) != NULL &&
	    strcmp(m->name, mailer) == 0)
		return m;
	if ((m = mailer_find(h, mailer)) != NULL) {
		h->hl->last_m = m;
		return m;
	}
	if (h->hl == NULL && (h->hl = calloc(1, sizeof(*h->hl))) == NULL)
		return NULL;
	if (h->hl->nm >= HL_MAILERS || strlen(mailer) >= sizeof(m->name))
		return NULL;
	m = &h->hl->m[h->hl->nm++];
	snprintf(m->name, sizeof(m->name), "%s", mailer);
	m->port = port;
	h->hl->last_m = m;
	return m;
}

static void
span_add(struct hspan *e, uint32_t dh, int64_t when)
{
	if (e->d == 0) {
		e->d = dh;
		e->a = e->b = when;
	}
	if (when < e->a)
		e->a = when;
	if (when > e->b)
		e->b = when;
}

static void
run_add(struct trace *t, struct hmailer *m, int64_t when, uint32_t dh)
{
	struct hrun *r = m->nruns ? &m->runs[m->nruns - 1] : NULL, *nr;
	unsigned i, ncap;

	if (r == NULL || when > r->last + t->o.port_window ||
	    when < r->first - t->o.port_window) {
		if (m->nruns == m->caprun) {
			ncap = m->caprun ? m->caprun * 2 : 2;
			if (ncap > HL_RUNS || t->hl_bytes + (ncap - m->caprun) *
			    sizeof(*nr) > HL_BUDGET ||
			    (nr = realloc(m->runs, ncap * sizeof(*nr))) == NULL) {
				if (m->nruns == 0)
					return;
				/* forget the oldest: the history starts later */
				m->hist_from = m->nruns > 1 ?
				    m->runs[1].first - t->o.port_window : when;
				memmove(&m->runs[0], &m->runs[1],
				    (m->nruns - 1) * sizeof(m->runs[0]));
				m->nruns--;
			} else {
				t->hl_bytes += (ncap - m->caprun) * sizeof(*nr);
				m->runs = nr;
				m->caprun = ncap;
			}
		}
		r = &m->runs[m->nruns++];
		memset(r, 0, sizeof(*r));
		r->first = r->last = when;
	}
	if (when < r->first)
		r->first = when;
	if (when > r->last)
		r->last = when;
	r->n++;
	if (dh == 0)
		dh = 1;
	for (i = 0; i < HL_RUN_DESTS; i++)
		if (r->e[i].d == dh || r->e[i].d == 0) {
			span_add(&r->e[i], dh, when);
			return;
		}
	span_add(&r->o, 1, when);
}

void
tr_health_note(struct trace *t, struct host *h, const char *mailer, int port,
    const char *dest, enum th_kind k, bool failed, int64_t when,
    const char *qid, const char *text)
{
	struct hmailer *m;
	struct hdest *d;
	uint32_t dh;

	if (k == TH_NONE || mailer == NULL ||
	    (m = mailer_get(h, mailer, port)) == NULL)
		return;
	dh = dest[0] ? dest_hash(h, dest) : 0;
	if (dh) {
		if (m->dest1 == 0)
			m->dest1 = dh;
		else if (m->dest1 != dh)
			m->many_dests = true;
	}
	d = dest_get(t, h, dest, when);
	if (k == TH_OK) {
		run_add(t, m, when, dh);
		if (when >= m->last_ok) {
			m->last_ok = when;
			snprintf(m->last_ok_dest, sizeof(m->last_ok_dest), "%s",
			    dest);
			m->nfail = m->ndfail = 0;
			m->fail_from = 0;
		}
		if (d != NULL && !failed && when >= d->last_ok) {
			d->last_ok = when;
			d->streak_t = 0;
		}
	} else {
		/* a connection that failed */
		m->nfail++;
		if (m->fail_from == 0)
			m->fail_from = when;
		if (d != NULL && d->last_fail <= m->last_ok)
			m->ndfail++;
	}
	if (d == NULL || !failed)
		return;
	/* the delivery failed: what sendmail's host status now holds */
	d->last_fail = when;
	if (text == NULL)
		text = "";
	if (d->streak_t == 0 || strncmp(d->streak_text, text,
	    sizeof(d->streak_text) - 1) != 0) {
		d->streak_t = when;
		snprintf(d->streak_qid, sizeof(d->streak_qid), "%s", qid);
		snprintf(d->streak_text, sizeof(d->streak_text), "%s", text);
	}
}

/* ------------------------------------------------------------ judging */

/* Did a success of span e fall in [from, to]? (The destination's
 * successes are spread over [a, b], at most a window apart in their run: a
 * conservative answer.) */
static bool
span_in(const struct hspan *e, int64_t from, int64_t to)
{
	return e->d != 0 && e->b >= from && e->a <= to;
}

unsigned
tr_health_flags(const struct trace *t, const struct host *h,
    const char *mailer, const char *dest, int64_t when, unsigned long ndfail)
{
	const struct hmailer *m = mailer_find(h, mailer);
	const struct hrun *r;
	const struct hspan *e;
	uint32_t dh;
	unsigned i, j, f = 0;
	bool near = false, after = false, before = false;

	if (m == NULL || (m->hist_from != 0 && when < m->hist_from))
		return 0;
	dh = dest && dest[0] ? dest_hash(h, dest) : 1;
	for (i = 0; i < m->nruns; i++) {
		r = &m->runs[i];
		if (when < r->first - t->o.port_window ||
		    when > r->last + t->o.port_window)
			continue;
		near = true;
		for (j = 0; j <= HL_RUN_DESTS; j++) {
			e = j < HL_RUN_DESTS ? &r->e[j] : &r->o;
			if (e->d == dh)
				continue;
			if (span_in(e, when, when + t->o.port_window))
				after = true;
			else if (span_in(e, when - t->o.port_window, when))
				before = true;
		}
	}
	if (!near)
		f |= CAUSE_F_PORT_DEAD;
	/* others work: one answered after the failure; or one answered
	 * shortly before and nothing but this destination failed since,
	 * nor did other destinations keep failing after it without any
	 * connection working again (a port that has just been blocked) */
	if (after || (before && ndfail <= 1 && !(m->last_ok < when &&
	    m->ndfail >= 2)))
		f |= CAUSE_F_OTHERS_OK;
	(void)t;
	return f;
}

unsigned long
tr_health_ndfail(const struct host *h, const char *mailer)
{
	const struct hmailer *m = mailer_find(h, mailer);

	return m ? m->ndfail : 0;
}

/* The success nearest to when, of another destination than dh when
 * other; 0 when none. */
static int64_t
nearest_ok(const struct hmailer *m, int64_t when, uint32_t dh, bool other)
{
	const struct hrun *r;
	const struct hspan *e;
	int64_t best = 0, x, d, bd = 0;
	unsigned i, j;

	for (i = 0; i < m->nruns; i++) {
		r = &m->runs[i];
		for (j = 0; j <= HL_RUN_DESTS; j++) {
			e = j < HL_RUN_DESTS ? &r->e[j] : &r->o;
			if (e->d == 0 || (other && e->d == dh))
				continue;
			x = when < e->a ? e->a : when > e->b ? e->b : when;
			d = x > when ? x - when : when - x;
			if (best == 0 || d < bd) {
				best = x;
				bd = d;
			}
		}
	}
	return best;
}

bool
tr_health_first(const struct trace *t, const struct host *h, const char *dest,
    const char *stat, int64_t before, int64_t *when, const char **qid,
    const char **text)
{
	const struct hdest *d = dest_find((struct trace *)t,
	    (struct host *)h, dest);

	if (d == NULL || d->streak_t == 0 || d->streak_t > before ||
	    stat == NULL || strncmp(d->streak_text, stat,
	    sizeof(d->streak_text) - 1) != 0)
		return false;
	*when = d->streak_t;
	*qid = d->streak_qid;
	*text = d->streak_text;
	return true;
}

unsigned
tr_health_setup(const struct trace *t, const struct host *h,
    const char *mailer)
{
	const struct hmailer *m = mailer_find(h, mailer);
	unsigned s = t->o.cf_setup;

	if (mailer == NULL)
		return s;
	/* the relay mailer carries mail to SMART_HOST (or MAIL_HUB,
	 * LUSER_RELAY): never to the recipients' MX */
	if (strcmp(mailer, "relay") == 0)
		return s | CAUSE_SETUP_SMARTHOST;
	if (t->o.smarthost_mailer != NULL)
		return s | (t->o.smarthost_mailer[0] != '\0' &&
		    strcmp(mailer, t->o.smarthost_mailer) == 0 ?
		    CAUSE_SETUP_SMARTHOST : CAUSE_SETUP_DIRECT);
	/* no sendmail.cf: one mailer to many destinations is delivery to
	 * their MX */
	if (m != NULL && m->many_dests)
		return s | CAUSE_SETUP_DIRECT;
	return s;
}

void
tr_health_basis(const struct trace *t, const struct host *h,
    const char *mailer, const char *dest, int64_t when, unsigned flags,
    strbuf *sb)
{
	const struct hmailer *m = mailer_find(h, mailer);
	uint32_t dh;
	int64_t x;
	char port[24], win[32];

	if (m == NULL)
		return;
	if (t->o.port_window == 3600)
		snprintf(win, sizeof(win), "an hour");
	else
		snprintf(win, sizeof(win), "%lds", t->o.port_window);
	dh = dest && dest[0] ? dest_hash(h, dest) : 1;
	if (m->port > 0)
		snprintf(port, sizeof(port), "port %d", m->port);
	else
		snprintf(port, sizeof(port), "port unknown");
	sb_printf(sb, "mailer %s (%s) on %s: ", m->name, port, h->name);
	if (m->hist_from != 0 && when < m->hist_from) {
		sb_puts(sb, "this failure is older than the history kept");
		return;
	}
	if (flags & CAUSE_F_PORT_DEAD) {
		sb_printf(sb, "no connection to any destination worked within "
		    "%s of this failure", win);
		if ((x = nearest_ok(m, when, dh, false)) != 0) {
			sb_puts(sb, " (the nearest that did: ");
			tr_sb_time(sb, x);
			sb_putc(sb, ')');
		} else
			sb_puts(sb, " (none in this log)");
	} else if (flags & CAUSE_F_OTHERS_OK) {
		sb_printf(sb, "connections to other destinations worked within "
		    "%s of this failure (one at ", win);
		tr_sb_time(sb, nearest_ok(m, when, dh, true));
		sb_putc(sb, ')');
	} else if ((x = nearest_ok(m, when, dh, true)) != 0 &&
	    x >= when - t->o.port_window && x <= when + t->o.port_window) {
		sb_printf(sb, "a connection to another destination worked within "
		    "%s (at ", win);
		tr_sb_time(sb, x);
		sb_puts(sb, "), but then the failures spread to other "
		    "destinations with none working again: the port may have "
		    "just been blocked, or the network is failing");
	} else {
		sb_printf(sb, "within %s of this failure only this "
		    "destination answered (at ", win);
		tr_sb_time(sb, nearest_ok(m, when, dh, false));
		sb_puts(sb, "): not enough to tell a blocked port from a "
		    "destination's trouble");
	}
	if (m->nfail > 0 && m->last_ok < when) {
		sb_printf(sb, "; %lu connection%s failed, to %lu destination%s, "
		    "since ", m->nfail, m->nfail == 1 ? "" : "s", m->ndfail,
		    m->ndfail == 1 ? "" : "s");
		tr_sb_time(sb, m->fail_from);
		if (m->last_ok != 0) {
			sb_puts(sb, ", after the last that worked at ");
			tr_sb_time(sb, m->last_ok);
			if (m->last_ok_dest[0]) {
				sb_puts(sb, " to ");
				sb_puts(sb, m->last_ok_dest);
			}
		}
	}
}

/* ------------------------------------------------------------ memory */

void
tr_health_host_gone(struct trace *t, struct host *h)
{
	unsigned i;

	if (h->hl == NULL)
		return;
	while (h->hl->dests != NULL)
		dest_free(t, h->hl->dests);
	for (i = 0; i < h->hl->nm; i++) {
		t->hl_bytes -= h->hl->m[i].caprun * sizeof(struct hrun);
		free(h->hl->m[i].runs);
	}
	free(h->hl);
	h->hl = NULL;
}

void
tr_health_free(struct trace *t)
{
	while (t->dlru_head != NULL)
		dest_free(t, t->dlru_head);
	free(t->dtab);
	t->dtab = NULL;
}
