/*
 * trace_evid.c - lines without a queue id (STARTTLS=client, AUTH=client,
 *		  SYSERR) as evidence for the next delivery of the same
 *		  process, cause classification with a small cache, and the
 *		  judgement of a message's causes when it is reported
 *
 * CONTRACT
 *	See trace_int.h. Evidence sits in a direct-mapped table of
 *	EVID_SLOTS slots keyed by (host, pid): a new process in a slot
 *	replaces the old one. It is used for a to= line of the same process
 *	to the same relay within opts.evidence_window seconds; an AUTH or
 *	SYSERR line is used up by the failed attempt that follows it.
 *	Classification results are cached per exact input (CC_SLOTS slots).
 *	tr_classify() names a failed attempt's cause with what is known then
 *	(a timeout with the port evidence read so far, trace_health.c);
 *	tr_refine(), when the message is reported, judges its timeouts again
 *	with the lines read since, names the LOCAL_DOMAIN trap, and for the
 *	per-message views works out each cause's fix for the set-up, the
 *	evidence sentence and the real failure a cached status replays.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fnv.h"
#include "trace.h"
#include "trace_int.h"
#include "util.h"

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

struct evid *
tr_evid_find(struct trace *t, struct host *h, long pid)
{
	struct evid *e = evid_slot(t, h, pid);

	return e->h == h && e->pid == pid ? e : NULL;
}

/* relay names compare up to the first blank, without a trailing dot */
bool
tr_same_relay(const char *a, struct ml_span b)
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

void
tr_on_tls(struct trace *t, struct host *h, const struct ml_line *l, int64_t when)
{
	const struct ml_span *v = ml_get(l, "STARTTLS"), *x;
	struct evid *e;

	if (v == NULL || l->pid < 0 || !ml_span_starts(*v, "client"))
		return;
	e = evid_get(t, h, l->pid, when);
	e->tls_t = when;
	if ((x = ml_get(l, "relay")) != NULL)
		tr_sb_set_clean(&e->relay, x->p, x->n);
	else
		sb_reset(&e->relay);
	e->tls_fail = ml_span_mem(l->msg, "error") >= 0;
	if (e->tls_fail) {
		tr_sb_set_clean(&e->tls, l->msg.p, l->msg.n);
		return;
	}
	sb_reset(&e->tls);
	if ((x = ml_get(l, "version")) != NULL) {
		tr_sb_append_clean(&e->tls, x->p, x->n);
		sb_puts(&e->tls, ", ");
	}
	if ((x = ml_get(l, "verify")) != NULL) {
		sb_puts(&e->tls, "verify=");
		tr_sb_append_clean(&e->tls, x->p, x->n);
		/* FAIL, PROTOCOL, SOFTWARE, TEMP: the certificate is not
		 * trusted; OK, NONE, NO, NOT: verified or not asked for */
		e->tls_fail = !ml_span_eq(*x, "OK") && !ml_span_eq(*x, "NONE") &&
		    !ml_span_eq(*x, "NO") && !ml_span_eq(*x, "NOT");
	}
	if ((x = ml_get(l, "cipher")) != NULL) {
		sb_puts(&e->tls, ", cipher=");
		tr_sb_append_clean(&e->tls, x->p, x->n);
	}
}

void
tr_on_auth(struct trace *t, struct host *h, const struct ml_line *l, int64_t when)
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
	tr_sb_set_clean(&e->auth, l->msg.p, l->msg.n);
}

void
tr_on_syserr(struct trace *t, struct host *h, const struct ml_line *l,
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
	tr_sb_set_clean(&e->sys, l->msg.p, l->msg.n);
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
	c = &t->cc[fnv1a32(k->s, k->len, FNV1A32_INIT ^ (uint32_t)in->port ^
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

/* A connection timeout, the failure the port and destination evidence
 * decides about. */
static bool
timed_out(const struct tr_rcpt *r)
{
	return r->stat != NULL && strstr(r->stat, "timed out") != NULL;
}

/* The evidence sentence and fix of r's cause at its last failure. */
static void
describe(struct trace *t, struct msg *m, struct tr_rcpt *r, unsigned flags,
    bool timeout)
{
	const struct cause *c = r->last_cause;
	int64_t ft;
	const char *fq, *ftext;

	if (c == NULL)
		return;
	/* the port and the set-up come from today's sendmail.cf */
	r->cf_newer = t->o.cf_mtime != 0 && r->last_fail != 0 &&
	    r->last_fail < t->o.cf_mtime;
	/* the cause's own fix, or one for the set-up: only the per-message
	 * views show fixes and evidence */
	if (!t->o.details)
		return;
	r->setup = tr_health_setup(t, m->h, r->mailer);
	r->fix = cause_fix(c, r->setup);
	if (r->cached && r->dest != NULL && tr_health_first(t, m->h, r->dest,
	    r->stat, r->last_fail, &ft, &fq, &ftext)) {
		r->first_fail = ft;
		tr_sset_rc(t, m, &r->first_qid, fq, strlen(fq));
		tr_sset_rc(t, m, &r->first_text, ftext, strlen(ftext));
	}
	if (!r->cached && timeout && r->mailer != NULL) {
		sb_reset(&t->scratch);
		tr_health_basis(t, m->h, r->mailer, r->dest, r->last_fail, flags,
		    &t->scratch);
		if (t->scratch.len > 0 && !t->scratch.err)
			tr_sset_rc(t, m, &r->basis, t->scratch.s,
			    t->scratch.len);
	}
}

void
tr_classify(struct trace *t, struct msg *m, struct tr_rcpt *r,
    const struct evid *e, int64_t when, bool cached)
{
	struct cause_input in;
	const char *ev = NULL;

	memset(&in, 0, sizeof(in));
	in.reply = r->reply;
	in.stat = r->stat;
	in.dsn = r->dsn;
	in.relay_host = r->relay;
	in.flags = CAUSE_F_FAILED | (cached ? CAUSE_F_CACHED : 0);
	if (t->o.mailer_port && r->mailer)
		in.port = t->o.mailer_port(t->o.port_ctx, r->mailer);
	/* what the log around the attempt says of its port (what was read
	 * so far; tr_refine() judges again when the message is reported) */
	if (!cached && timed_out(r) && r->mailer != NULL) {
		r->ndfail = tr_health_ndfail(m->h, r->mailer);
		in.flags |= tr_health_flags(t, m->h, r->mailer, r->dest, when,
		    r->ndfail);
	}
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
	/* the cause of the attempt before, if another, is kept apart */
	if (r->last_cause != NULL) {
		size_t i;

		for (i = 0; i < 3 && r->earlier[i] != NULL &&
		    r->earlier[i] != r->last_cause; i++)
			;
		if (i < 3 && r->earlier[i] == NULL)
			r->earlier[i] = r->last_cause;
	}
	r->cause = classify_cached(t, &in);
	r->last_cause = r->cause;
	if (ev && r->cause && (r->cause->phase == CAUSE_PHASE_AUTH ||
	    r->cause->phase == CAUSE_PHASE_TLS ||
	    r->cause->phase == CAUSE_PHASE_LOCAL))
		tr_sset_rc(t, m, &r->evidence, ev, strlen(ev));
	r->cf_newer = t->o.cf_mtime != 0 && when < t->o.cf_mtime;
}

/*
 * Is the recipient address in one of the relay accounts' domains of h, and
 * is that domain in class w by mistake? With sendmail.cf: a word the .cf
 * itself puts in class w (LOCAL_DOMAIN); without it: not this host's own
 * name (the domain of its local submissions), which it may well receive.
 */
static bool
account_domain(const struct trace *t, const struct host *h, const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t n, i;

	if (at == NULL)
		return false;
	at++;
	n = strcspn(at, ">");
	for (i = 0; i < h->nacct; i++)
		if (strlen(h->acct_dom[i]) == n &&
		    strncasecmp(h->acct_dom[i], at, n) == 0)
			break;
	if (i == h->nacct)
		return false;
	if (t->o.smarthost_mailer != NULL) {
		for (i = 0; i < t->o.nclass_w; i++)
			if (strlen(t->o.class_w[i]) == n &&
			    strncasecmp(t->o.class_w[i], at, n) == 0)
				return true;
		return false;
	}
	return strlen(h->canon) != n || strncasecmp(h->canon, at, n) != 0;
}

/* Delivered by this sendmail although it is for the relay account's domain:
 * the local mailer, or the local MTA's "User unknown" to the MSP. */
static bool
kept_local(const struct tr_rcpt *r)
{
	if (r->mailer != NULL && strcmp(r->mailer, "local") == 0)
		return true;
	return r->relay != NULL && (strncmp(r->relay, "[127.", 5) == 0 ||
	    strncmp(r->relay, "localhost", 9) == 0) &&
	    r->outcome == TR_BOUNCED && r->cause != NULL &&
	    strcmp(r->cause->id, "recipient-unknown") == 0;
}

void
tr_refine(struct trace *t, struct msg *m)
{
	struct cause_input in;
	struct tr_rcpt *r;
	const struct cause *c;
	unsigned flags;
	size_t i;

	for (i = 0; i < m->pub.nrcpt; i++) {
		r = &m->pub.rcpt[i];
		if (m->h->nacct > 0 && (r->outcome == TR_SENT ||
		    r->outcome == TR_BOUNCED) && kept_local(r) &&
		    account_domain(t, m->h, r->addr)) {
			memset(&in, 0, sizeof(in));
			in.reply = r->reply;
			in.stat = r->stat;
			in.dsn = r->dsn;
			in.flags = CAUSE_F_LOCAL_DOMAIN |
			    (r->outcome == TR_BOUNCED ? CAUSE_F_FAILED : 0);
			if ((c = cause_classify(&in)) != NULL) {
				r->cause = r->last_cause = c;
				r->fix = NULL;
			}
			continue;
		}
		if (r->last_fail == 0 || r->last_cause == NULL)
			continue;
		/* a timeout: judged again with the lines read since */
		if (r->cached || r->last_cause->phase != CAUSE_PHASE_CONNECT ||
		    r->mailer == NULL || (r->outcome != TR_SENT &&
		    !timed_out(r)) || (strcmp(r->last_cause->id,
		    "connect-timeout") != 0 && strcmp(r->last_cause->id,
		    "connect-timeout-port25") != 0 && strcmp(r->last_cause->id,
		    "destination-timeout") != 0)) {
			describe(t, m, r, 0, false);
			continue;
		}
		flags = tr_health_flags(t, m->h, r->mailer, r->dest,
		    r->last_fail, r->ndfail);
		memset(&in, 0, sizeof(in));
		in.stat = "Deferred: Connection timed out";
		in.relay_host = r->relay;
		in.flags = CAUSE_F_FAILED | flags;
		if (t->o.mailer_port)
			in.port = t->o.mailer_port(t->o.port_ctx, r->mailer);
		if ((c = classify_cached(t, &in)) == NULL)
			continue;
		if (r->cause == r->last_cause)
			r->cause = c;
		r->last_cause = c;
		describe(t, m, r, flags, true);
	}
}
