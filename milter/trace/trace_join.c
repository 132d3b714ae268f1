/*
 * trace_join.c - what each kind of line adds to its message: deliveries
 *		  (to=), the envelope (from=), milter changes, relaymilter's
 *		  decision line, DSN notices
 *
 * CONTRACT
 *	See trace_int.h. Each handler reads the fields of one parsed
 *	line in one pass and updates the message record; recipients are
 *	kept by address (a to= line may name several, "[more]" lines add
 *	more; tr_rcpt_get(), trace_table.c); their texts are shared
 *	(tr_sset_rc()). A failed attempt is classified at once; a success
 *	keeps its texts only in the detailed views (opts.details). A to= line
 *	goes through three steps: to_fields() takes its fields, rcpt_update()
 *	applies the attempt to each recipient it names, handoff_link() joins
 *	a delivery to the local MTA with the message it became.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"
#include "trace_int.h"
#include "util.h"

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

/* A connection-level failure: the server was not reached. */
static bool
conn_failed(const struct ml_span *stat)
{
	return stat != NULL && (ml_span_mem(*stat, "timed out") >= 0 ||
	    ml_span_mem(*stat, "Connection refused") >= 0 ||
	    ml_span_mem(*stat, "No route to host") >= 0 ||
	    ml_span_mem(*stat, "Network is unreachable") >= 0 ||
	    ml_span_mem(*stat, "Host is down") >= 0);
}

/* A relay on this machine: the MSP's hand-off to the local MTA says
 * nothing about the network. */
static bool
loopback_relay(const struct ml_span *relay)
{
	const char *p;
	size_t n;

	if (relay == NULL)
		return false;
	p = relay->p;
	n = relay->n;
	if (n > 0 && *p == '[') {
		p++;
		n--;
	}
	return (n >= 4 && memcmp(p, "127.", 4) == 0) ||
	    (n >= 3 && memcmp(p, "::1", 3) == 0) ||
	    (n >= 9 && memcmp(p, "localhost", 9) == 0);
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

/* One delivery attempt of a to= line: its fields, and what they say for
 * every recipient it names. */
struct attempt {
	const struct ml_span *to, *delay, *xdelay, *mailer, *relay, *dsn,
			 *reply, *stat;
	int64_t		 when;
	long		 d, xd;		/* delay=, xdelay= in seconds; -1 */
	enum stat_kind	 sk;
	bool		 cached;	/* a deferral from the host status cache */
	struct evid	*e;		/* this process's connection, or NULL */
	const char	*dest;		/* the destination, for a failure */
};

/* The fields of a to= line; false when it names no recipient. */
static bool
to_fields(const struct ml_line *l, struct attempt *at)
{
	size_t i;

	for (i = 0; i < l->nfields; i++) {
		const struct ml_field *f = &l->f[i];

		switch (f->key.n) {
		case 2:
			if (memcmp(f->key.p, "to", 2) == 0)
				at->to = &f->val;
			break;
		case 3:
			if (memcmp(f->key.p, "dsn", 3) == 0)
				at->dsn = &f->val;
			break;
		case 4:
			if (memcmp(f->key.p, "stat", 4) == 0)
				at->stat = &f->val;
			break;
		case 5:
			if (memcmp(f->key.p, "delay", 5) == 0)
				at->delay = &f->val;
			else if (memcmp(f->key.p, "relay", 5) == 0)
				at->relay = &f->val;
			else if (memcmp(f->key.p, "reply", 5) == 0)
				at->reply = &f->val;
			break;
		case 6:
			if (memcmp(f->key.p, "xdelay", 6) == 0)
				at->xdelay = &f->val;
			else if (memcmp(f->key.p, "mailer", 6) == 0)
				at->mailer = &f->val;
			break;
		}
	}
	if (at->to == NULL && l->nfields > 0)
		at->to = &l->f[0].val;	/* a damaged "to=" key */
	return at->to != NULL;
}

/* A delivery to the local MTA (stat=Sent (QID Message accepted ...)): the
 * message it became is linked both ways, once per line (first). */
static void
handoff_link(struct trace *t, struct msg *m, struct tr_rcpt *r,
    const struct ml_span *stat, bool first)
{
	struct ml_span hq;
	struct msg *n;

	if (!handoff_qid(stat, &hq))
		return;
	tr_sset_rc(t, m, &r->handoff, hq.p, hq.n);
	if (first && (n = tr_msg_find(t, m->h, hq.p, hq.n)) != NULL &&
	    n != m) {
		tr_sset(t, n, &n->pub.msp_qid, m->qid, strlen(m->qid));
		if (m->pub.from)
			tr_sset(t, n, &n->pub.msp_from, m->pub.from,
			    strlen(m->pub.from));
		tr_sset(t, m, &m->pub.mta_qid, n->qid, strlen(n->qid));
	}
}

/* What the attempt says for recipient r: its tries, texts, outcome. */
static void
rcpt_update(struct trace *t, struct msg *m, struct tr_rcpt *r,
    const struct attempt *at, bool first)
{
	int64_t when = at->when;
	const struct evid *e = at->e;

	r->attempts++;
	if (r->first_try == 0)
		r->first_try = when;
	r->last_try = when;
	r->delay = at->d;
	r->xdelay = at->xd;
	r->cached = at->cached;
	if (at->sk == SK_DEFERRED || at->sk == SK_FAILED) {
		r->last_fail = when;
		tr_sset_rc(t, m, &r->dest, at->dest, strlen(at->dest));
	}
	if (at->mailer)
		tr_sset_rc(t, m, &r->mailer, at->mailer->p, at->mailer->n);
	if (at->relay)
		tr_sset_rc(t, m, &r->relay, at->relay->p, at->relay->n);
	/* the texts of a success only matter to the detailed views */
	if (t->o.details || at->sk != SK_SENT) {
		if (at->dsn)
			tr_sset_rc(t, m, &r->dsn, at->dsn->p, at->dsn->n);
		if (at->stat)
			tr_sset_rc(t, m, &r->stat, at->stat->p, at->stat->n);
	}
	if (at->reply)
		tr_sset_rc(t, m, &r->reply, at->reply->p, at->reply->n);
	else
		r->reply = NULL;
	if (t->o.details && e && e->tls.len > 0 &&
	    when - e->tls_t <= t->o.evidence_window)
		tr_sset_rc(t, m, &r->tls, e->tls.s, e->tls.len);
	if (t->o.details && e && e->auth.len > 0 &&
	    when - e->auth_t <= t->o.evidence_window)
		tr_sset_rc(t, m, &r->auth, e->auth.s, e->auth.len);
	switch (at->sk) {
	case SK_SENT:
		tr_rcpt_outcome(m, r, TR_SENT);
		r->cause = NULL;
		handoff_link(t, m, r, at->stat, first);
		break;
	case SK_QUEUED:
		tr_rcpt_outcome(m, r, TR_PENDING);
		break;
	case SK_DEFERRED:
		tr_rcpt_outcome(m, r, TR_DEFERRED);
		r->deferrals++;
		tr_classify(t, m, r, at->e, when, at->cached);
		break;
	case SK_FAILED:
		tr_rcpt_outcome(m, r, TR_BOUNCED);
		tr_classify(t, m, r, at->e, when, at->cached);
		break;
	}
}

void
tr_on_to(struct trace *t, struct msg *m, const struct ml_line *l, int64_t when)
{
	struct attempt at = { .when = when, .d = -1, .xd = -1 };
	struct tr_rcpt *r;
	struct ml_span a;
	enum th_kind hk = TH_NONE;
	const char *p, *end;
	char dest[64], mname[16], stext[128];
	bool first = true, connfail;

	if (!to_fields(l, &at))
		return;
	if (at.delay)
		at.d = ml_delay(*at.delay);
	if (at.xdelay)
		at.xd = ml_delay(*at.xdelay);
	if (at.d >= 0 && (m->pub.ctime == 0 || when - at.d < m->pub.ctime))
		m->pub.ctime = when - at.d;
	if (at.reply)
		m->h->seen_reply = true;
	at.sk = stat_kind(at.stat, at.dsn);
	connfail = at.sk != SK_SENT && conn_failed(at.stat);
	/* a status replayed from the host status cache: a reply in stat=
	 * without reply= where the log has them, or a connection that "timed
	 * out" in no time (xdelay=00:00:00: no connection was tried; refused
	 * connections and DNS failures are instant too, so not those) */
	at.cached = at.sk == SK_DEFERRED && ((at.reply == NULL &&
	    m->h->seen_reply && stat_has_code(at.stat)) || (at.xd == 0 &&
	    at.stat != NULL && ml_span_mem(*at.stat, "timed out") >= 0));
	/* what the attempt says of the network: a connection worked (sent,
	 * or the server answered), or failed; not a cached status, not a
	 * local mailer, not the hop to this machine's MTA */
	dest[0] = '\0';
	at.dest = dest;
	if (at.mailer != NULL && at.relay != NULL &&
	    !loopback_relay(at.relay) && !at.cached &&
	    at.mailer->n < sizeof(mname)) {
		if (at.sk == SK_SENT || at.reply != NULL ||
		    stat_has_code(at.stat))
			hk = TH_OK;
		else if (connfail)
			hk = TH_FAIL;
	}
	stext[0] = '\0';
	if (hk != TH_NONE || at.cached || connfail) {
		const struct ml_span *st = at.stat, *rl = at.relay;
		char rbuf[128];

		/* stat= names the host tried only when it failed */
		if (at.sk != SK_SENT && st != NULL)
			tr_clean_copy(stext, st->p, st->n < sizeof(stext) ?
			    st->n : sizeof(stext) - 1);
		tr_clean_copy(rbuf, rl ? rl->p : "", rl ? (rl->n <
		    sizeof(rbuf) ? rl->n : sizeof(rbuf) - 1) : 0);
		tr_health_dest(rbuf, at.sk != SK_SENT ? stext : NULL, dest);
	}
	if (hk != TH_NONE) {
		tr_clean_copy(mname, at.mailer->p, at.mailer->n);
		tr_health_note(t, m->h, mname, t->o.mailer_port ?
		    t->o.mailer_port(t->o.port_ctx, mname) : 0, dest, hk,
		    at.sk == SK_DEFERRED || at.sk == SK_FAILED, when, m->qid,
		    stext);
	}
	/* evidence of this process's connection, for a delivery to the same
	 * host (a local delivery by the same process has none) */
	at.e = l->pid >= 0 && at.relay ? tr_evid_find(t, m->h, l->pid) : NULL;
	if (at.e && at.e->relay.len > 0 &&
	    !tr_same_relay(at.e->relay.s, *at.relay))
		at.e = NULL;

	p = at.to->p;
	end = at.to->p + at.to->n;
	while (p < end) {
		if (p == at.to->p && memchr(p, ',', at.to->n) == NULL) {
			a = *at.to;	/* one recipient, the usual case */
			p = end;
		} else
			p = next_addr(p, end, &a);
		if (a.n == 0)
			continue;
		if ((r = tr_rcpt_get(t, m, a.p, a.n)) == NULL) {
			if (t->err)
				return;
			continue;	/* over the limit: counted */
		}
		rcpt_update(t, m, r, &at, first);
		first = false;
		if (t->sink.attempt)
			t->sink.attempt(t->sink.ctx, &m->pub, r, when);
	}
	/* the AUTH failure belonged to this attempt */
	if (at.e && at.sk != SK_SENT) {
		sb_reset(&at.e->auth);
		sb_reset(&at.e->sys);
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

/* A local submission (relay=localhost [127.0.0.1]) names the host's own
 * domain in its sender (sendmail's $j, unless masqueraded). */
static void
note_canon(struct host *h, const struct ml_span *from,
    const struct ml_span *relay)
{
	const char *at;
	size_t n;

	if (from == NULL || relay == NULL || (!ml_span_starts(*relay,
	    "localhost") && !ml_span_starts(*relay, "[127.")))
		return;
	if ((at = memchr(from->p, '@', from->n)) == NULL)
		return;
	at++;
	n = (size_t)(from->p + from->n - at);
	if (n > 0 && at[n - 1] == '>')
		n--;
	if (n == 0 || n >= sizeof(h->canon) || tr_has_ctl(at, n))
		return;
	memcpy(h->canon, at, n);
	h->canon[n] = '\0';
}

void
tr_on_from(struct trace *t, struct msg *m, const struct ml_line *l)
{
	const struct ml_span *size = NULL, *nrcpts = NULL, *from = NULL,
	    *relay = NULL;
	const struct ml_field *f;
	size_t i;
	long n;

	m->from_seen = true;
	for (i = 0; i < l->nfields; i++) {
		f = &l->f[i];
		switch (f->key.n) {
		case 4:
			if (memcmp(f->key.p, "from", 4) == 0) {
				tr_sset_span(t, m, &m->pub.from, f->val);
				from = &f->val;
			} else if (memcmp(f->key.p, "size", 4) == 0)
				size = &f->val;
			break;
		case 5:
			if (memcmp(f->key.p, "relay", 5) == 0)
				relay = &f->val;
			if (!t->o.details)
				break;
			if (memcmp(f->key.p, "msgid", 5) == 0)
				tr_sset_span(t, m, &m->pub.msgid, f->val);
			else if (memcmp(f->key.p, "relay", 5) == 0)
				tr_sset_span(t, m, &m->pub.relay_in, f->val);
			else if (memcmp(f->key.p, "proto", 5) == 0)
				tr_sset_span(t, m, &m->pub.proto, f->val);
			break;
		case 6:
			if (memcmp(f->key.p, "nrcpts", 6) == 0)
				nrcpts = &f->val;
			else if (t->o.details &&
			    memcmp(f->key.p, "daemon", 6) == 0)
				tr_sset_span(t, m, &m->pub.daemon, f->val);
			break;
		}
	}
	note_canon(m->h, from, relay);
	if ((n = span_num(size, 1UL << 40)) >= 0)
		m->pub.size = n;
	if ((n = span_num(nrcpts, 1UL << 30)) >= 0)
		m->pub.nrcpts = n;
}

void
tr_on_milter_change(struct trace *t, struct msg *m, const struct ml_line *l)
{
	struct ml_span d = l->detail, v;
	long i;

	if (!t->o.details) {
		m->pub.header_changes++;
		return;
	}
	if (l->milter.n > 0)
		tr_sset_span(t, m, &m->pub.milter, l->milter);
	if (ml_span_starts(d, "chgfrom: ")) {
		v.p = d.p + 9;
		v.n = d.n - 9;
		tr_sset_span(t, m, &m->pub.chgfrom, v);
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
			tr_sset_span(t, m, &m->pub.trace_header, v);
		}
	}
}

/* relaymilter verdicts that name a cause, as tr_classify() extra text */
static const char *const policy_verdicts[] = {
	"spf=fail", "spf=softfail", "spf=permerror", "spf=temperror",
	"align=fail", "result=tempfail", "result=failopen", "result=reject",
	"budget=warn", "budget=over", NULL
};

static void
add_policy(struct trace *t, struct msg *m, const char *key,
    const struct ml_span *v)
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
		/* a constant input: classify each verdict once */
		if (!t->policy_known[i]) {
			memset(&in, 0, sizeof(in));
			in.phase = CAUSE_PHASE_POLICY;
			in.extra = pv;
			t->policy_cause[i] = cause_classify(&in);
			t->policy_known[i] = true;
		}
		if ((c = t->policy_cause[i]) == NULL)
			return;
		for (j = 0; j < m->pub.npolicy; j++)
			if (m->pub.policy[j] == c)
				return;
		if (m->pub.npolicy < TR_MAX_POLICY)
			m->pub.policy[m->pub.npolicy++] = c;
		return;
	}
}

/* The domain of a relay account (account=user@example.org), kept per host
 * for the LOCAL_DOMAIN trap (tr_refine). */
static void
add_account_domain(struct host *h, struct ml_span v)
{
	const char *at = memchr(v.p, '@', v.n);
	size_t n, i;

	if (at == NULL)
		return;
	at++;
	n = (size_t)(v.p + v.n - at);
	while (n > 0 && (at[n - 1] == '>' || at[n - 1] == '"'))
		n--;
	if (n == 0 || n >= sizeof(h->acct_dom[0]) || tr_has_ctl(at, n))
		return;
	for (i = 0; i < h->nacct; i++)
		if (strlen(h->acct_dom[i]) == n &&
		    memcmp(h->acct_dom[i], at, n) == 0)
			return;
	i = h->nacct < 4 ? h->nacct++ : 3;
	memcpy(h->acct_dom[i], at, n);
	h->acct_dom[i][n] = '\0';
}

/* budget=USED/LIMIT with USED above LIMIT */
static bool
budget_is_over(struct ml_span v)
{
	unsigned long long u = 0, lim = 0;
	size_t i = 0;
	bool any = false;

	for (; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' && u < 1000000000000ULL;
	    i++, any = true)
		u = u * 10 + (unsigned)(v.p[i] - '0');
	if (!any || i >= v.n || v.p[i++] != '/')
		return false;
	for (any = false; i < v.n && v.p[i] >= '0' && v.p[i] <= '9' &&
	    lim < 1000000000000ULL; i++, any = true)
		lim = lim * 10 + (unsigned)(v.p[i] - '0');
	return any && i == v.n && u > lim;
}

void
tr_on_decision(struct trace *t, struct msg *m, const struct ml_line *l)
{
	struct tr_decision *d = &m->pub.d;
	const struct ml_field *f;
	const char **dst;
	size_t i;
	bool budget_over = false, budget_warn = false;

	m->pub.has_decision = true;
	for (i = 0; i < l->nfields; i++) {
		if (ml_span_eq(l->f[i].key, "account"))
			add_account_domain(m->h, l->f[i].val);
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
		K("dmarc", dmarc);
		K("dmarc_policy", dmarc_policy);
		K("hint", hint);
		K("header_from", header_from);
		K("trace", trace);
		K("result", result);
		K("error", error);
		K("budget", budget);
		K("budget_window", budget_window);
		K("budget_key", budget_key);
		K("budget_hold", budget_hold);
		K("budget_warn", budget_warn);
#undef K
		if (dst == NULL)
			continue;
		/* alerts name from/to/action, the textfile the budget; the
		 * rest is for the views */
		if (t->o.details || dst == &d->from || dst == &d->to ||
		    dst == &d->action || dst == &d->budget ||
		    dst == &d->budget_window || dst == &d->budget_key)
			tr_sset_unquote(t, m, dst, f->val);
		if (dst == &d->budget)
			budget_over = budget_is_over(f->val);
		else if (dst == &d->budget_warn)
			budget_warn = true;
		if (dst == &d->spf)
			add_policy(t, m, "spf", &f->val);
		else if (dst == &d->align)
			add_policy(t, m, "align", &f->val);
		else if (dst == &d->result)
			add_policy(t, m, "result", &f->val);
	}
	/* the relay budget: over it (held, refused or sent anyway), or
	 * LimitWarn crossed by this message */
	if (budget_over || budget_warn) {
		struct ml_span v = { budget_over ? "over" : "warn", 4 };

		add_policy(t, m, "budget", &v);
	}
}

void
tr_on_dsn(struct trace *t, struct msg *m, const struct ml_line *l,
    int64_t when)
{
	struct cause_input in;
	const struct cause *c;
	struct msg *n;
	size_t i;

	if (l->qid2.n > 0)
		tr_sset_span(t, m, &m->pub.dsn_qid, l->qid2);
	tr_sset_span(t, m, &m->pub.dsn_reason, l->detail);
	if (l->dsn == MLD_SENDER_NOTIFY ||
	    ml_span_starts(l->detail, "Warning: could not send")) {
		m->pub.delay_warned = true;
	} else if (ml_span_find(l->detail, "Cannot send message for") >= 0 ||
	    ml_span_find(l->detail, "could not be delivered for") >= 0) {
		/* queue lifetime over: the deferred recipients bounced */
		memset(&in, 0, sizeof(in));
		in.extra = m->pub.dsn_reason;
		in.flags = CAUSE_F_FAILED;
		c = cause_classify(&in);
		for (i = 0; i < m->pub.nrcpt; i++)
			if (m->pub.rcpt[i].outcome == TR_DEFERRED ||
			    m->pub.rcpt[i].outcome == TR_PENDING) {
				tr_rcpt_outcome(m, &m->pub.rcpt[i],
				    TR_BOUNCED);
				m->pub.rcpt[i].cause = c;
			}
	}
	if (l->qid2.n == 0)
		return;
	/* the bounce's record: room first, as for any new message (m, the
	 * message of this line, is pinned) */
	if (tr_msg_find(t, m->h, l->qid2.p, l->qid2.n) == NULL)
		tr_make_room(t, true);
	if ((n = tr_msg_get(t, m->h, l->qid2, when)) != NULL && n != m) {
		tr_sset(t, n, &n->pub.orig_qid, m->qid, strlen(m->qid));
		tr_l_append(t, n, L_ACTIVE);
	}
}
