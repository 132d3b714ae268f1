/*
 * trace_dsn.c - the late bounces of relaymilter-trace --dsn: read, the
 *		 trace header verified, joined to the maillog, causes named,
 *		 the prediction checked
 *
 * CONTRACT
 *	See include/trace_dsn.h. A DSN is parsed (dsn.c) and, when it is
 *	one, copied into a record whose strings live in the arena; the
 *	parse itself is freed at once, so memory grows only with the DSNs
 *	kept. The maillog's records are looked up by binary search in two
 *	sorted indexes (queue ids of genuine bounces, ids of the others), so
 *	joining costs O(log n) per maillog message and nothing when no DSN
 *	names it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "causes.h"
#include "dsn.h"
#include "tag.h"
#include "trace.h"
#include "trace_dsn.h"
#include "util.h"

struct achunk {
	struct achunk	*next;
	size_t		 used, cap;
	char		 data[];
};

struct tdsn {
	const struct tag_key *key;
	char		*hname;
	struct tdsn_rec	*recs;
	size_t		 n, cap;
	struct tdsn_stats st;
	struct achunk	*arena;
	size_t		*by_qid, nq;	/* genuine records, by qid */
	size_t		*by_id, ni;	/* forged ones with an id, by id */
	bool		 err;
};

/* ---------------------------------------------------- the arena */

static void *
a_alloc(struct tdsn *t, size_t n)
{
	struct achunk *c = t->arena;
	size_t cap;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (c == NULL || c->cap - c->used < n) {
		cap = n > 16384 ? n : 16384;
		if ((c = malloc(sizeof(*c) + cap)) == NULL) {
			t->err = true;
			return NULL;
		}
		c->next = t->arena;
		c->used = 0;
		c->cap = cap;
		t->arena = c;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static const char *
a_str(struct tdsn *t, const char *s)
{
	size_t n;
	char *p;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	if ((p = a_alloc(t, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n + 1);
	return p;
}

/* ---------------------------------------------------- setup */

struct tdsn *
tdsn_new(const struct tag_key *key, const char *hname)
{
	struct tdsn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->key = key;
	if ((t->hname = strdup(hname)) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
tdsn_free(struct tdsn *t)
{
	struct achunk *c, *n;

	if (t == NULL)
		return;
	for (c = t->arena; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(t->recs);
	free(t->by_qid);
	free(t->by_id);
	free(t->hname);
	free(t);
}

/* ---------------------------------------------------- verification */

/* The token of "name=" in a trace header value, into buf; false when
 * absent or too long (the format of tag.c: "id=...; qid=...; ...") */
static bool
hfield(const char *v, const char *name, char *buf, size_t size)
{
	size_t nl = strlen(name), n;
	const char *p = v;

	while (*p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == '=') {
			p += nl + 1;
			n = strcspn(p, "; ");
			if (n == 0 || n >= size)
				return false;
			memcpy(buf, p, n);
			buf[n] = '\0';
			return true;
		}
		p += strcspn(p, ";");
	}
	return false;
}

/* Does id verify for queue id qid? 1 yes (when set), 0 no, -1 error. */
static int
verify_for(const struct tag_key *key, const char *id, const char *qid,
    time_t *when)
{
	char v[256];

	if ((size_t)snprintf(v, sizeof(v), "id=%s; qid=%s", id, qid) >=
	    sizeof(v))
		return -1;
	return tag_verify(key, v, when);
}

struct judged {
	enum tdsn_verdict v;
	char		 id[64], qid[64], spf[32], align[32];
	const char	*value;
	const char	*moved_from;
	time_t		 when;
};

static void
judge_one(const struct tag_key *key, const struct dsn *d, const char *value,
    struct judged *j)
{
	size_t i;
	int rc;

	memset(j, 0, sizeof(*j));
	j->value = value;
	if (!hfield(value, "id", j->id, sizeof(j->id)) ||
	    !hfield(value, "qid", j->qid, sizeof(j->qid))) {
		j->v = TDSN_MALFORMED;
		j->id[0] = j->qid[0] = '\0';
		return;
	}
	(void)hfield(value, "spf", j->spf, sizeof(j->spf));
	(void)hfield(value, "align", j->align, sizeof(j->align));
	if ((rc = tag_verify(key, value, &j->when)) == 1) {
		j->v = TDSN_GENUINE;
		return;
	}
	if (rc < 0) {
		j->v = TDSN_MALFORMED;
		return;
	}
	/* made for a queue id the returned Received: fields name? */
	for (i = 0; i < d->nreceived_qid; i++) {
		if (strcmp(d->received_qid[i], j->qid) != 0 &&
		    verify_for(key, j->id, d->received_qid[i], &j->when) == 1) {
			j->v = TDSN_MOVED;
			j->moved_from = d->received_qid[i];
			return;
		}
	}
	j->v = TDSN_FORGED;
}

/* The best of the trace headers: genuine, moved, forged, malformed. */
static void
judge(struct tdsn *t, struct tdsn_rec *r, const struct dsn *d)
{
	struct judged best, j;
	size_t i;

	r->ntrace = d->ntrace;
	if (d->ntrace == 0) {
		r->verdict = TDSN_NO_HEADER;
		return;
	}
	judge_one(t->key, d, d->trace[0], &best);
	for (i = 1; i < d->ntrace && best.v != TDSN_GENUINE; i++) {
		judge_one(t->key, d, d->trace[i], &j);
		if (j.v < best.v)
			best = j;
	}
	r->verdict = best.v;
	r->trace = a_str(t, best.value);
	if (best.id[0] != '\0') {
		r->id = a_str(t, best.id);
		r->qid = a_str(t, best.qid);
	}
	if (best.spf[0] != '\0')
		r->h_spf = a_str(t, best.spf);
	if (best.align[0] != '\0')
		r->h_align = a_str(t, best.align);
	if (best.v == TDSN_GENUINE || best.v == TDSN_MOVED)
		r->made = (int64_t)best.when;
	r->moved_from = a_str(t, best.moved_from);
}

/* ---------------------------------------------------- adding */

int
tdsn_add(struct tdsn *t, const char *src, const char *msg, size_t n,
    bool cut, unsigned long long total)
{
	struct tdsn_rec *r, *nr;
	struct dsn d;
	size_t i, ncap;

	t->st.messages++;
	if (cut)
		t->st.cut++;
	if (dsn_parse(msg, n, t->hname, &d) < 0) {
		t->err = true;
		return -1;
	}
	if (cut)
		d.flags |= DSN_F_INPUT;
	t->st.kinds[d.kind]++;
	if (d.kind == DSN_NONE) {
		dsn_free(&d);
		return 0;
	}
	if (t->n == TDSN_MAX_RECORDS) {
		t->st.dropped++;
		dsn_free(&d);
		return 0;
	}
	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 64;
		if ((nr = realloc(t->recs, ncap * sizeof(*nr))) == NULL) {
			dsn_free(&d);
			t->err = true;
			return -1;
		}
		t->recs = nr;
		t->cap = ncap;
	}
	r = &t->recs[t->n];
	memset(r, 0, sizeof(*r));
	r->src = a_str(t, src);
	r->size = total;
	r->kind = d.kind;
	r->forwarded = d.forwarded;
	r->flags = d.flags;
	r->from = a_str(t, d.from);
	r->subject = a_str(t, d.subject);
	r->date = a_str(t, d.date);
	r->reporting_mta = a_str(t, d.reporting_mta);
	r->arrival = a_str(t, d.arrival);
	r->ret = d.ret;
	r->orig_from = a_str(t, d.orig_from);
	r->orig_to = a_str(t, d.orig_to);
	r->orig_subject = a_str(t, d.orig_subject);
	r->orig_msgid = a_str(t, d.orig_msgid);
	r->ml_size = -1;
	if (d.nrcpt > 0 &&
	    (r->rcpt = a_alloc(t, d.nrcpt * sizeof(*r->rcpt))) != NULL) {
		r->nrcpt = d.nrcpt;
		for (i = 0; i < d.nrcpt; i++) {
			struct tdsn_rcpt *x = &r->rcpt[i];

			memset(x, 0, sizeof(*x));
			x->rcpt = a_str(t, d.rcpt[i].rcpt);
			x->orig_rcpt = a_str(t, d.rcpt[i].orig_rcpt);
			x->action = a_str(t, d.rcpt[i].action);
			x->status = a_str(t, d.rcpt[i].status);
			x->remote_mta = a_str(t, d.rcpt[i].remote_mta);
			x->diag = a_str(t, d.rcpt[i].diag);
		}
	}
	judge(t, r, &d);
	dsn_free(&d);
	t->n++;
	return t->err ? -1 : 0;
}

void
tdsn_skipped(struct tdsn *t)
{
	t->st.skipped++;
}

/* ---------------------------------------------------- the indexes */

static int
cmp_qid(const void *a, const void *b, void *ctx)
{
	const struct tdsn *t = ctx;

	return strcmp(t->recs[*(const size_t *)a].qid,
	    t->recs[*(const size_t *)b].qid);
}

static int
cmp_id(const void *a, const void *b, void *ctx)
{
	const struct tdsn *t = ctx;

	return strcmp(t->recs[*(const size_t *)a].id,
	    t->recs[*(const size_t *)b].id);
}

int
tdsn_index(struct tdsn *t)
{
	size_t i;

	free(t->by_qid);
	free(t->by_id);
	t->nq = t->ni = 0;
	t->by_qid = malloc((t->n ? t->n : 1) * sizeof(size_t));
	t->by_id = malloc((t->n ? t->n : 1) * sizeof(size_t));
	if (t->by_qid == NULL || t->by_id == NULL) {
		t->err = true;
		return -1;
	}
	for (i = 0; i < t->n; i++) {
		if (t->recs[i].verdict == TDSN_GENUINE && t->recs[i].qid)
			t->by_qid[t->nq++] = i;
		else if (t->recs[i].verdict == TDSN_FORGED && t->recs[i].id)
			t->by_id[t->ni++] = i;
	}
	qsort_r(t->by_qid, t->nq, sizeof(size_t), cmp_qid, t);
	qsort_r(t->by_id, t->ni, sizeof(size_t), cmp_id, t);
	return 0;
}

/* The first index in idx[0..n) whose key (qid or id) is >= key. */
static size_t
lower_bound(const struct tdsn *t, const size_t *idx, size_t n, bool by_id,
    const char *key)
{
	size_t lo = 0, hi = n, mid;
	const char *k;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		k = by_id ? t->recs[idx[mid]].id : t->recs[idx[mid]].qid;
		if (strcmp(k, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---------------------------------------------------- joining */

/* An address of the DSN and one of the maillog ("<a@b>"): the same? */
static bool
addr_eq(const char *a, const char *b)
{
	size_t an, bn;

	if (a == NULL || b == NULL)
		return false;
	if (*a == '<')
		a++;
	if (*b == '<')
		b++;
	an = strcspn(a, ">");
	bn = strcspn(b, ">");
	return an == bn && an > 0 && strncasecmp(a, b, an) == 0;
}

static void
copy_decision(struct tdsn *t, struct tr_decision *to,
    const struct tr_decision *d)
{
	to->action = a_str(t, d->action);
	to->reason = a_str(t, d->reason);
	to->from = a_str(t, d->from);
	to->to = a_str(t, d->to);
	to->account = a_str(t, d->account);
	to->relay = a_str(t, d->relay);
	to->spf = a_str(t, d->spf);
	to->spf_ip = a_str(t, d->spf_ip);
	to->align = a_str(t, d->align);
	to->dmarc = a_str(t, d->dmarc);
	to->dmarc_policy = a_str(t, d->dmarc_policy);
	to->hint = a_str(t, d->hint);
	to->header_from = a_str(t, d->header_from);
	to->trace = a_str(t, d->trace);
	to->result = a_str(t, d->result);
	to->error = a_str(t, d->error);
}

static const struct tr_rcpt *
ml_rcpt(const struct tr_msg *m, const struct tdsn_rcpt *x)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (addr_eq(x->rcpt, m->rcpt[i].addr) ||
		    addr_eq(x->orig_rcpt, m->rcpt[i].addr))
			return &m->rcpt[i];
	/* a bounce that does not name its recipient, of a message that
	 * had one */
	if (x->rcpt == NULL && x->orig_rcpt == NULL && m->nrcpt == 1)
		return &m->rcpt[0];
	return NULL;
}

static void
join(struct tdsn *t, struct tdsn_rec *r, const struct tr_msg *m)
{
	const struct tr_rcpt *mr;
	struct tdsn_rcpt *x;
	size_t i;

	/* keep a record with relaymilter's decision for this very id */
	if (r->joined && r->has_decision && (!m->has_decision ||
	    (r->d.trace && r->id && strcmp(r->d.trace, r->id) == 0)))
		return;
	r->joined = true;
	r->host = a_str(t, m->host);
	r->first = m->first;
	r->ml_from = a_str(t, m->from);
	r->ml_msgid = a_str(t, m->msgid);
	r->ml_relay_in = a_str(t, m->relay_in);
	r->msp_qid = a_str(t, m->msp_qid);
	r->ml_size = m->size;
	r->ml_trace = a_str(t, m->trace_header);
	r->has_decision = m->has_decision;
	memset(&r->d, 0, sizeof(r->d));
	if (m->has_decision)
		copy_decision(t, &r->d, &m->d);
	for (i = 0; i < r->nrcpt; i++) {
		x = &r->rcpt[i];
		if ((mr = ml_rcpt(m, x)) == NULL) {
			x->ml = false;
			continue;
		}
		x->ml = true;
		x->ml_outcome = mr->outcome;
		x->ml_relay = a_str(t, mr->relay);
		x->ml_mailer = a_str(t, mr->mailer);
		x->ml_dsn = a_str(t, mr->dsn);
		x->ml_stat = a_str(t, mr->stat);
		x->ml_reply = a_str(t, mr->reply);
	}
}

/* A forged header whose id the maillog logged for another queue id. */
static void
moved(struct tdsn *t, struct tdsn_rec *r, const struct tr_msg *m)
{
	time_t when;

	if (r->verdict != TDSN_FORGED || r->qid == NULL ||
	    strcmp(m->qid, r->qid) == 0)
		return;
	if (verify_for(t->key, r->id, m->qid, &when) == 1) {
		r->verdict = TDSN_MOVED;
		r->moved_from = a_str(t, m->qid);
		r->made = (int64_t)when;
	}
}

void
tdsn_on_message(struct tdsn *t, const struct tr_msg *m)
{
	size_t i;

	if (m->qid != NULL && t->nq > 0)
		for (i = lower_bound(t, t->by_qid, t->nq, false, m->qid);
		    i < t->nq && strcmp(t->recs[t->by_qid[i]].qid, m->qid) == 0;
		    i++)
			join(t, &t->recs[t->by_qid[i]], m);
	if (m->has_decision && m->d.trace != NULL && m->qid != NULL &&
	    t->ni > 0)
		for (i = lower_bound(t, t->by_id, t->ni, true, m->d.trace);
		    i < t->ni && strcmp(t->recs[t->by_id[i]].id, m->d.trace) ==
		    0; i++)
			moved(t, &t->recs[t->by_id[i]], m);
}

/* ---------------------------------------------------- the verdicts */

static bool
is_pass(const char *v)
{
	return v != NULL && (strcmp(v, "pass") == 0 ||
	    strcmp(v, "relaxed") == 0 || strcmp(v, "strict") == 0);
}

static bool
in(const char *v, const char *const *set)
{
	size_t i;

	for (i = 0; v != NULL && set[i] != NULL; i++)
		if (strcmp(v, set[i]) == 0)
			return true;
	return false;
}

enum tdsn_pred
tdsn_predict(const struct cause *c, const char *dmarc, const char *spf,
    const char *align, strbuf *by)
{
	static const char *const unusable[] = { "unchecked", "temperror",
	    NULL };
	static const char *const spf_fails[] = { "fail", "softfail",
	    "permerror", NULL };
	enum { F_NONE, F_DMARC, F_AUTH, F_SPF } fam = F_NONE;
	bool sep = false;

	if (c != NULL) {
		if (strcmp(c->id, "dmarc-reject") == 0)
			fam = F_DMARC;
		else if (strcmp(c->id, "unauthenticated") == 0)
			fam = F_AUTH;
		else if (strcmp(c->id, "spf-reject") == 0)
			fam = F_SPF;
	}
	if (fam == F_NONE) {
		sb_printf(by, "%s is not about authentication",
		    c ? c->id : "an unknown cause");
		return TDSN_PRED_NA;
	}
	if (fam != F_SPF && dmarc != NULL) {
		if (strcmp(dmarc, "fail") == 0) {
			sb_puts(by, "dmarc=fail");
			return TDSN_PRED_YES;
		}
		if (fam == F_DMARC && (strcmp(dmarc, "pass") == 0 ||
		    strcmp(dmarc, "none") == 0)) {
			sb_printf(by, "dmarc=%s", dmarc);
			return TDSN_PRED_NO;
		}
	}
	if (spf == NULL || in(spf, unusable)) {
		if (spf != NULL)
			sb_printf(by, "spf=%s", spf);
		else
			sb_puts(by, "no spf= verdict");
		if (align != NULL)
			sb_printf(by, ", align=%s", align);
		return TDSN_PRED_UNKNOWN;
	}
	switch (fam) {
	case F_DMARC:
		if (!is_pass(spf)) {
			sb_printf(by, "spf=%s", spf);
			sep = true;
		}
		if (align != NULL && strcmp(align, "fail") == 0) {
			sb_printf(by, "%salign=fail", sep ? ", " : "");
			sep = true;
		}
		if (sep)
			return TDSN_PRED_YES;
		sb_printf(by, "spf=%s, align=%s", spf, align ? align : "none");
		return TDSN_PRED_NO;
	case F_AUTH:
		sb_printf(by, "spf=%s", spf);
		return is_pass(spf) ? TDSN_PRED_NO : TDSN_PRED_YES;
	case F_SPF:
	default:
		sb_printf(by, "spf=%s", spf);
		return in(spf, spf_fails) ? TDSN_PRED_YES : TDSN_PRED_NO;
	}
}

static bool
action_is(const struct tdsn_rcpt *x, const char *a)
{
	/* a bounce that names no action is a failure */
	if (x->action == NULL)
		return strcmp(a, "failed") == 0;
	return strcmp(x->action, a) == 0;
}

static void
classify(struct tdsn *t, struct tdsn_rec *r, struct tdsn_rcpt *x,
    strbuf *by)
{
	struct cause_input in;
	const char *spf, *align, *dmarc;
	bool header = false;

	if (!action_is(x, "failed") && !action_is(x, "delayed"))
		return;
	if (x->diag != NULL || x->status != NULL) {
		memset(&in, 0, sizeof(in));
		in.reply = x->diag;
		in.dsn = x->status;
		in.relay_host = x->remote_mta;
		in.port = 25;
		x->cause = cause_classify(&in);
	}
	if (r->verdict != TDSN_GENUINE)
		return;
	if (r->has_decision) {
		dmarc = r->d.dmarc;
		spf = r->d.spf;
		align = r->d.align;
	} else {
		dmarc = NULL;
		spf = r->h_spf;
		align = r->h_align;
		header = spf != NULL || align != NULL;
	}
	sb_reset(by);
	x->pred = tdsn_predict(x->cause, dmarc, spf, align, by);
	if (header && x->pred != TDSN_PRED_NA)
		sb_puts(by, " (the trace header's verdicts: no decision "
		    "line joined)");
	else if (!r->has_decision && x->pred == TDSN_PRED_UNKNOWN)
		sb_puts(by, " (no decision line joined)");
	x->pred_by = by->err ? NULL : a_str(t, by->s);
}

static enum tdsn_outcome
outcome(const struct tdsn_rec *r)
{
	bool failed = false, delayed = false, by_relay = false;
	size_t i;

	if (r->verdict == TDSN_NO_HEADER)
		return TDSN_O_NO_HEADER;
	if (r->verdict != TDSN_GENUINE)
		return TDSN_O_NOT_GENUINE;
	for (i = 0; i < r->nrcpt; i++) {
		if (action_is(&r->rcpt[i], "failed")) {
			failed = true;
			if (r->rcpt[i].ml &&
			    r->rcpt[i].ml_outcome == TR_BOUNCED)
				by_relay = true;
		} else if (action_is(&r->rcpt[i], "delayed"))
			delayed = true;
	}
	if (failed)
		return !r->joined ? TDSN_O_BOUNCED : by_relay ?
		    TDSN_O_BY_RELAY : TDSN_O_AFTER_RELAY;
	if (delayed)
		return r->joined ? TDSN_O_DELAYED_AFTER : TDSN_O_DELAYED;
	return TDSN_O_DELIVERED;
}

void
tdsn_finish(struct tdsn *t, bool have_maillog)
{
	struct tdsn_rec *r;
	strbuf by;
	size_t i, j;

	t->st.maillog = have_maillog;
	sb_init(&by);
	memset(t->st.verdicts, 0, sizeof(t->st.verdicts));
	memset(t->st.outcomes, 0, sizeof(t->st.outcomes));
	t->st.joined = 0;
	for (i = 0; i < t->n; i++) {
		r = &t->recs[i];
		for (j = 0; j < r->nrcpt; j++)
			classify(t, r, &r->rcpt[j], &by);
		r->outcome = outcome(r);
		t->st.verdicts[r->verdict]++;
		t->st.outcomes[r->outcome]++;
		if (r->joined)
			t->st.joined++;
	}
	if (by.err)
		t->err = true;
	sb_free(&by);
}

size_t
tdsn_count(const struct tdsn *t)
{
	return t->n;
}

const struct tdsn_rec *
tdsn_at(const struct tdsn *t, size_t i)
{
	return i < t->n ? &t->recs[i] : NULL;
}

const struct tdsn_stats *
tdsn_stats(const struct tdsn *t)
{
	return &t->st;
}

bool
tdsn_failed(const struct tdsn *t)
{
	return t->err;
}

const char *
tdsn_verdict_name(enum tdsn_verdict v)
{
	static const char *const names[] = { "genuine", "moved", "forged",
	    "malformed", "none" };

	return (unsigned)v < TDSN_VERDICT_COUNT ? names[v] : "unknown";
}

const char *
tdsn_pred_name(enum tdsn_pred p)
{
	static const char *const names[] = { "n/a", "yes", "no", "unknown" };

	return (unsigned)p < TDSN_PRED_COUNT ? names[p] : "unknown";
}

const char *
tdsn_outcome_name(enum tdsn_outcome o)
{
	static const char *const names[] = { "bounced after relay",
	    "bounced by the relay", "delayed after relay", "bounced",
	    "delayed", "delivered", "not genuine", "no trace header" };

	return (unsigned)o < TDSN_OUTCOME_COUNT ? names[o] : "unknown";
}
