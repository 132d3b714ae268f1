/*
 * qsum.c - what sendmail's queues hold, at a glance
 *
 * CONTRACT
 *	See include/qsum.h. Rows and classifications are found through
 *	open-addressing hash tables (FNV-1a, doubled at half full), so a
 *	queue of 100,000 messages costs one lookup per recipient and one
 *	classification per distinct status text, not one per message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "qsum.h"

const char *const qsum_age_name[QSUM_NAGES] = {
	"5m", "10m", "20m", "40m", "80m", "160m", "320m", "640m", "1280m",
	"1280m+"
};

struct hent {
	const char	*key;		/* owned by val */
	size_t		 kn;
	uint32_t	 h;
	void		*val;
};

struct htab {
	struct hent	*v;
	size_t		 cap, n;
};

struct cc_ent {
	char		*key;
	size_t		 kn;
	const struct cause *c;
};

struct priv {
	struct htab	 rows;
	struct htab	 cc;		/* classification cache */
	strbuf		 key, text, rkey;
};

static uint32_t
fnv(const char *p, size_t n)
{
	return fnv1a32(p, n, FNV1A32_INIT);
}

static void *
ht_get(const struct htab *t, const char *k, size_t kn, uint32_t h)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1); t->v[i].key != NULL; i = (i + 1) & (t->cap - 1))
		if (t->v[i].h == h && t->v[i].kn == kn &&
		    memcmp(t->v[i].key, k, kn) == 0)
			return t->v[i].val;
	return NULL;
}

static int
ht_put(struct htab *t, const char *k, size_t kn, uint32_t h, void *val)
{
	size_t i, j;

	if ((t->n + 1) * 2 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 64;
		struct hent *nv = calloc(nc, sizeof(*nv));

		if (nv == NULL)
			return -1;
		for (j = 0; j < t->cap; j++) {
			if (t->v[j].key == NULL)
				continue;
			for (i = t->v[j].h & (nc - 1); nv[i].key != NULL;
			    i = (i + 1) & (nc - 1))
				;
			nv[i] = t->v[j];
		}
		free(t->v);
		t->v = nv;
		t->cap = nc;
	}
	for (i = h & (t->cap - 1); t->v[i].key != NULL; i = (i + 1) & (t->cap - 1))
		;
	t->v[i].key = k;
	t->v[i].kn = kn;
	t->v[i].h = h;
	t->v[i].val = val;
	t->n++;
	return 0;
}

/* ---------------------------------------------------------- clean text */

/* Length of the UTF-8 sequence at p (n bytes left), 0 when not one. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned char c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return len;
}

/* Append the clean form of src[0..n) (see include/qsum.h) to sb. */
static void
clean_to(strbuf *sb, const char *src, size_t n)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t i = 0, l;

	while (i < n) {
		if (p[i] == '\t') {
			sb_putc(sb, ' ');
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			i++;
		} else if (p[i] < 0x80) {
			sb_putc(sb, p[i++]);
		} else if ((l = utf8_len(p + i, n - i)) > 0) {
			sb_append(sb, src + i, l);
			i += l;
		} else {
			sb_putc(sb, '?');
			i++;
		}
	}
}

char *
qsum_clean(const char *src, size_t n)
{
	strbuf sb;

	sb_init(&sb);
	sb_reserve(&sb, n + 1);
	clean_to(&sb, src, n);
	return sb_steal(&sb);
}

static char *
clean_span(struct qf_span s)
{
	return qsum_clean(s.p ? s.p : "", s.p ? s.n : 0);
}

/* ---------------------------------------------------------- queue */

int
qsum_queue_init(struct qsum_queue *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	if ((q->priv = calloc(1, sizeof(struct priv))) == NULL ||
	    (q->name = strdup(name)) == NULL) {
		free(q->priv);
		q->priv = NULL;
		return -1;
	}
	sb_init(&((struct priv *)q->priv)->key);
	sb_init(&((struct priv *)q->priv)->text);
	sb_init(&((struct priv *)q->priv)->rkey);
	return 0;
}

static void
msg_free(struct qsum_msg *m)
{
	free(m->qid);
	free(m->sender);
	strv_free(m->rcpt, m->nrcpt);
	free(m->text);
	free(m->trace);
	free(m->file);
}

void
qsum_queue_free(struct qsum_queue *q)
{
	struct priv *pv = q->priv;
	size_t i;

	free(q->name);
	free(q->route.relay);
	strv_free(q->route.local, q->route.nlocal);
	strv_free(q->dirs, q->ndirs);
	free(q->error);
	free(q->oldest_qid);
	for (i = 0; i < q->nrows; i++) {
		free(q->rows[i]->key);
		free(q->rows[i]);
	}
	free(q->rows);
	for (i = 0; i < q->ncauses; i++) {
		free(q->causes[i].oldest_qid);
		free(q->causes[i].oldest_text);
	}
	free(q->causes);
	free(q->policy);
	for (i = 0; i < q->nbad; i++) {
		free(q->bad[i].file);
		free(q->bad[i].what);
	}
	free(q->bad);
	for (i = 0; i < q->nmsgs; i++)
		msg_free(&q->msgs[i]);
	free(q->msgs);
	if (pv != NULL) {
		for (i = 0; i < pv->cc.cap; i++)
			if (pv->cc.v[i].key != NULL) {
				struct cc_ent *ce = pv->cc.v[i].val;

				free(ce->key);
				free(ce);
			}
		free(pv->cc.v);
		free(pv->rows.v);
		sb_free(&pv->key);
		sb_free(&pv->text);
		sb_free(&pv->rkey);
		free(pv);
	}
	memset(q, 0, sizeof(*q));
}

int
qsum_age_bucket(int64_t age)
{
	static const int64_t lim[QSUM_NAGES - 1] = { 5, 10, 20, 40, 80, 160,
	    320, 640, 1280 };
	int i;

	for (i = 0; i < QSUM_NAGES - 1; i++)
		if (age < lim[i] * 60)
			return i;
	return QSUM_NAGES - 1;
}

static char *
file_name(const struct qscan_file *f)
{
	strbuf sb;
	char *s;

	sb_init(&sb);
	sb_printf(&sb, "%s/%s", f->dir, f->name);
	if (sb.err)
		return NULL;
	s = qsum_clean(sb.s, sb.len);
	sb_free(&sb);
	return s;
}

static int
add_bad(struct qsum_queue *q, const struct qscan_file *f, unsigned line,
    const char *what)
{
	struct qsum_bad *b;

	if (ARR_PUSH(q->bad, q->nbad, b) < 0)
		return -1;
	b->line = line;
	if ((b->file = file_name(f)) == NULL ||
	    (b->what = strdup(what)) == NULL)
		return -1;
	return 0;
}

/* ---------------------------------------------------------- causes */

static const struct cause *
classify(struct qsum_queue *q, const struct cause_input *in)
{
	struct priv *pv = q->priv;
	struct cc_ent *ce;
	uint32_t h;

	sb_reset(&pv->key);
	sb_puts(&pv->key, in->stat ? in->stat : "");
	sb_putc(&pv->key, '\0');
	sb_puts(&pv->key, in->extra ? in->extra : "");
	sb_putc(&pv->key, '\0');
	sb_puts(&pv->key, in->relay_host ? in->relay_host : "");
	sb_printf(&pv->key, "%c%d%c%d", '\0', in->port, '\0', (int)in->phase);
	if (pv->key.err)
		return cause_classify(in);
	h = fnv(pv->key.s, pv->key.len);
	if ((ce = ht_get(&pv->cc, pv->key.s, pv->key.len, h)) != NULL)
		return ce->c;
	if ((ce = calloc(1, sizeof(*ce))) == NULL ||
	    (ce->key = malloc(pv->key.len)) == NULL) {
		free(ce);
		return cause_classify(in);
	}
	memcpy(ce->key, pv->key.s, pv->key.len);
	ce->kn = pv->key.len;
	ce->c = cause_classify(in);
	if (ht_put(&pv->cc, ce->key, ce->kn, h, ce) < 0) {
		const struct cause *c = ce->c;

		free(ce->key);
		free(ce);
		return c;
	}
	return ce->c;
}

static struct qsum_cause *
cause_slot(struct qsum_queue *q, const char *id, const struct cause *c)
{
	struct qsum_cause *qc;
	size_t i;

	for (i = 0; i < q->ncauses; i++)
		if (strcmp(q->causes[i].id, id) == 0)
			return &q->causes[i];
	if (ARR_PUSH(q->causes, q->ncauses, qc) < 0)
		return NULL;
	qc->id = id;
	qc->cause = c;
	return qc;
}

static bool
is_local(const struct qsum_route *r, const char *dom)
{
	size_t i;

	for (i = 0; i < r->nlocal; i++)
		if (strcmp(r->local[i], dom) == 0)
			return true;
	return false;
}

/* the relay of a recipient: (local), the route's relay, or its domain */
static const char *
relay_of(const struct qsum_route *r, const char *dom)
{
	if (dom == NULL || is_local(r, dom))
		return "(local)";
	return r->relay ? r->relay : dom;
}

/* The text a queued message is classified by: its first recipient's own
 * status, else the envelope's. */
static struct qf_span
status_of(const struct qf_msg *m)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpt[i].msg.p != NULL && m->rcpt[i].msg.n > 0)
			return m->rcpt[i].msg;
	return m->message;
}

static const char *
cause_of(struct qsum_queue *q, const struct qscan_file *f, const char *dom,
    struct qf_span *text, const struct cause **cp)
{
	const struct qf_msg *m = f->msg;
	struct priv *pv = q->priv;
	struct cause_input in;
	const struct cause *c;

	*cp = NULL;
	memset(&in, 0, sizeof(in));
	sb_reset(&pv->text);
	if (f->kind == 'Q') {
		/* the catalogue's entry for a file sendmail lost */
		*text = m->message;
		in.phase = CAUSE_PHASE_LOCAL;
		in.extra = "lost queue file (Qf)";
		*cp = c = classify(q, &in);
		return c ? c->id : "unknown";
	}
	if (f->kind == 'h') {
		*text = m->quarantine;
		sb_append(&pv->text, m->quarantine.p ? m->quarantine.p : "",
		    m->quarantine.p ? m->quarantine.n : 0);
		if (pv->text.err)
			return "unknown";
		in.extra = pv->text.s;
		if ((c = classify(q, &in)) == NULL) {
			/* the catalogue's own entry for a quarantine */
			sb_reset(&pv->text);
			sb_puts(&pv->text, "quarantine=");
			sb_append(&pv->text, m->quarantine.p ?
			    m->quarantine.p : "", m->quarantine.p ?
			    m->quarantine.n : 0);
			in.extra = pv->text.err ? NULL : pv->text.s;
			in.phase = CAUSE_PHASE_LOCAL;
			c = classify(q, &in);
		}
		*cp = c;
		return c ? c->id : "unknown";
	}
	*text = status_of(m);
	if (text->p == NULL || text->n == 0)
		return "none";
	sb_append(&pv->text, text->p, text->n);
	if (pv->text.err)
		return "unknown";
	in.stat = pv->text.s;
	in.relay_host = q->route.relay ? q->route.relay : dom;
	in.port = q->route.relay ? q->route.port : 25;
	c = classify(q, &in);
	*cp = c;
	return c ? c->id : "unknown";
}

/* spf= and align= of the trace header's value, per catalogue cause */
static int
add_policy(struct qsum_queue *q, struct qf_span v)
{
	static const char *const keys[] = { "spf=", "align=" };
	const char *p = v.p, *e = v.p + v.n, *w;
	struct cause_input in;
	const struct cause *c;
	struct qsum_policy *qp;
	char word[32];
	size_t i, k, n;

	for (; p < e; p++) {
		if (p != v.p && p[-1] != ' ' && p[-1] != ';')
			continue;
		for (k = 0; k < 2; k++) {
			n = strlen(keys[k]);
			if ((size_t)(e - p) <= n || memcmp(p, keys[k], n) != 0)
				continue;
			for (w = p + n; w < e && *w != ';' && *w != ' '; w++)
				;
			if ((size_t)(w - p) >= sizeof(word))
				continue;
			memcpy(word, p, (size_t)(w - p));
			word[w - p] = '\0';
			memset(&in, 0, sizeof(in));
			in.phase = CAUSE_PHASE_POLICY;
			in.extra = word;
			if ((c = classify(q, &in)) == NULL)
				continue;
			for (i = 0; i < q->npolicy; i++)
				if (q->policy[i].cause == c)
					break;
			if (i == q->npolicy) {
				if (ARR_PUSH(q->policy, q->npolicy, qp) < 0)
					return -1;
				qp->cause = c;
			}
			q->policy[i].n++;
		}
	}
	return 0;
}

/* ---------------------------------------------------------- rows */

/* The row of key (cleaned first), made when new; NULL when memory runs
 * out. */
static struct qsum_row *
row_get(struct qsum_queue *q, const char *key)
{
	struct priv *pv = q->priv;
	struct qsum_row *r, **nv;
	uint32_t h;

	sb_reset(&pv->rkey);
	clean_to(&pv->rkey, key, strlen(key));
	if (pv->rkey.err)
		return NULL;
	h = fnv(pv->rkey.s, pv->rkey.len);
	if ((r = ht_get(&pv->rows, pv->rkey.s, pv->rkey.len, h)) != NULL)
		return r;
	if ((nv = arr_grow(q->rows, q->nrows, sizeof(*q->rows))) == NULL)
		return NULL;
	q->rows = nv;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->key = strdup(pv->rkey.s)) == NULL ||
	    ht_put(&pv->rows, r->key, pv->rkey.len, h, r) < 0) {
		if (r != NULL)
			free(r->key);
		free(r);
		return NULL;
	}
	q->rows[q->nrows++] = r;
	return r;
}

static int
keep_msg(struct qsum_queue *q, const struct qscan_file *f,
    const char *cause_id, struct qf_span text, const struct qf_header *th)
{
	const struct qf_msg *m = f->msg;
	struct qsum_msg *km;
	size_t i;

	if (ARR_PUSH(q->msgs, q->nmsgs, km) < 0)
		return -1;
	km->kind = f->kind;
	km->ctime = m->ctime;
	km->dtime = m->dtime;
	km->ntries = m->ntries;
	km->cause_id = cause_id;
	if ((km->qid = qsum_clean(f->qid, strlen(f->qid))) == NULL ||
	    (km->sender = clean_span(m->sender)) == NULL ||
	    (km->text = clean_span(text)) == NULL ||
	    (km->file = file_name(f)) == NULL ||
	    (th != NULL && (km->trace = clean_span(th->value)) == NULL))
		return -1;
	if (m->nrcpt > 0 &&
	    (km->rcpt = calloc(m->nrcpt, sizeof(*km->rcpt))) == NULL)
		return -1;
	for (i = 0; i < m->nrcpt; i++) {
		if ((km->rcpt[i] = clean_span(m->rcpt[i].addr)) == NULL)
			return -1;
		km->nrcpt++;
	}
	return 0;
}

static int
add_parsed(struct qsum_queue *q, const struct qsum_opts *o,
    const struct qscan_file *f)
{
	const struct qf_msg *m = f->msg;
	const struct qf_header *th = NULL;
	const struct cause *c;
	struct qsum_cause *qc;
	struct qf_span text = { NULL, 0 };
	struct qsum_row *r, **seen = NULL;
	const char *id;
	char dom[256], first[256];
	int64_t age = o->now - m->ctime;
	int b = qsum_age_bucket(age);
	size_t i, j, nseen = 0;
	int rc = -1;

	first[0] = '\0';
	for (i = 0; i < m->nrcpt; i++)
		if (qf_addr_domain(m->rcpt[i].addr, first, sizeof(first)) == 0)
			break;
	if (i == m->nrcpt)
		first[0] = '\0';
	id = cause_of(q, f, first[0] ? first : NULL, &text, &c);
	if ((qc = cause_slot(q, id, c)) == NULL)
		return -1;
	qc->n++;
	qc->age[b]++;
	if (qc->oldest_qid == NULL || m->ctime < qc->oldest_ctime) {
		free(qc->oldest_qid);
		free(qc->oldest_text);
		qc->oldest_ctime = m->ctime;
		qc->oldest_kind = f->kind;
		if ((qc->oldest_qid = qsum_clean(f->qid, strlen(f->qid))) ==
		    NULL || (qc->oldest_text = clean_span(text)) == NULL)
			return -1;
	}
	if (o->trace_header != NULL &&
	    (th = qf_header(m, o->trace_header)) != NULL &&
	    add_policy(q, th->value) < 0)
		return -1;
	if (o->keep_messages && keep_msg(q, f, id, text, th) < 0)
		return -1;
	if (f->kind == 'h') {
		q->quarantined++;
		return 0;
	}
	if (f->kind == 'Q') {
		q->lost++;
		return 0;
	}
	q->queued++;
	q->recipients += m->nrcpt;
	q->total.n++;
	q->total.age[b]++;
	if (q->oldest_qid == NULL || m->ctime < q->oldest_ctime) {
		free(q->oldest_qid);
		q->oldest_ctime = m->ctime;
		if ((q->oldest_qid = qsum_clean(f->qid, strlen(f->qid))) ==
		    NULL)
			return -1;
	}
	/* one count per row the message has recipients in */
	if (m->nrcpt > 0 && (seen = calloc(m->nrcpt, sizeof(*seen))) == NULL)
		return -1;
	for (i = 0; i < m->nrcpt; i++) {
		const char *d = qf_addr_domain(m->rcpt[i].addr, dom,
		    sizeof(dom)) == 0 ? dom : NULL;

		if ((r = row_get(q, o->by_relay ? relay_of(&q->route, d) :
		    d ? d : "(local)")) == NULL)
			goto out;
		for (j = 0; j < nseen && seen[j] != r; j++)
			;
		if (j < nseen)
			continue;
		seen[nseen++] = r;
		r->n++;
		r->age[b]++;
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

int
qsum_add(struct qsum_queue *q, const struct qsum_opts *o,
    const struct qscan_file *f)
{
	char why[160];

	switch (f->result) {
	case QS_PARSED:
		return add_parsed(q, o, f);
	case QS_VANISHED:
		q->vanished++;
		return 0;
	case QS_INCOMPLETE:
		if (f->mtime != 0 && o->now - f->mtime < QSUM_INFLIGHT) {
			q->inflight++;
			return 0;
		}
		return add_bad(q, f, f->msg ? f->msg->nlines : 0,
		    f->size == 0 ? "empty" : "no final \".\" line: cut short");
	case QS_BAD:
		return add_bad(q, f, f->msg ? f->msg->err_line : 0,
		    f->msg ? f->msg->err : "not a queue file");
	case QS_TOOBIG:
		snprintf(why, sizeof(why), "larger than %u MiB: not read",
		    QSCAN_MAX_SIZE >> 20);
		return add_bad(q, f, 0, why);
	case QS_UNREADABLE:
		snprintf(why, sizeof(why), "cannot read: %s",
		    f->err == EINVAL ? "not a regular file" : strerror(f->err));
		return add_bad(q, f, 0, why);
	}
	return 0;
}

/* ---------------------------------------------------------- order */

static int
row_cmp(const void *a, const void *b)
{
	const struct qsum_row *x = *(struct qsum_row *const *)a,
	    *y = *(struct qsum_row *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int
sev_of(const struct qsum_cause *c)
{
	if (c->cause != NULL)
		return (int)c->cause->severity;
	/* never tried: worth knowing; no cause: the text must be read */
	return strcmp(c->id, "none") == 0 ? CAUSE_INFO : CAUSE_WARN;
}

static int
cause_cmp(const void *a, const void *b)
{
	const struct qsum_cause *x = a, *y = b;

	if (sev_of(x) != sev_of(y))
		return sev_of(x) > sev_of(y) ? -1 : 1;
	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->id, y->id);
}

void
qsum_sort(struct qsum_queue *q)
{
	if (q->nrows > 1)
		qsort(q->rows, q->nrows, sizeof(*q->rows), row_cmp);
	if (q->ncauses > 1)
		qsort(q->causes, q->ncauses, sizeof(*q->causes), cause_cmp);
}

int
qsum_worst(const struct qsum_queue *q)
{
	int w = -1, s;
	size_t i;

	if (q->error != NULL)
		return CAUSE_ERROR;
	if (q->nbad > 0)
		w = CAUSE_WARN;
	for (i = 0; i < q->ncauses; i++) {
		s = sev_of(&q->causes[i]);
		if (s == CAUSE_INFO)
			continue;
		if (s > w)
			w = s;
	}
	return w;
}
