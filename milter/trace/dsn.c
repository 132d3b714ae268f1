/*
 * dsn.c - one delivery status notification taken apart: the MIME walk,
 *	   the delivery-status fields (RFC 3464), the returned headers
 *
 * CONTRACT
 *	See include/dsn.h. The walk visits the MIME tree depth first within
 *	its bounds; each part is read once, decoded into a scratch buffer
 *	only when it is encoded (base64, quoted-printable) and only to
 *	DSN_MAX_DECODE bytes. An attached message (message/rfc822) gives the
 *	returned headers; it is walked into only when it is itself a bounce
 *	(a DSN forwarded as an attachment), never when it is the original
 *	message, whose text is the sender's and says nothing about the
 *	delivery. What the text parts say is read by dsn_text.c and used
 *	only where the report is silent, or when there is no report.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "dsn_int.h"
#include "maillog.h"
#include "mime.h"
#include "util.h"

/* "rfc822; a@b", "dns; host", "smtp; 550 ...": the part after the type
 * (an atom of at most 20 characters before ';'). */
static struct mime_span
strip_type(struct mime_span v)
{
	size_t i;

	for (i = 0; i < v.n && i <= 20; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c == ';') {
			if (i == 0)
				break;
			v.p += i + 1;
			v.n -= i + 1;
			return v;
		}
		if (!(ch_alpha(c) || ch_digit(c) || c == '-' || c == '_' ||
		    c == '.'))
			break;
	}
	return v;
}

/* A field's value, its type stripped when asked, as a new string. */
static char *
field_str(struct dsn_walk *w, const struct mime_head *h, const char *name,
    bool typed)
{
	const struct mime_field *f = mime_head_get(h, name);
	struct mime_span v;
	char *s, *t;

	if (f == NULL)
		return NULL;
	/* unfold first: the type may sit on a line of its own */
	if ((s = dsn_text_str(w, f->value)) == NULL || !typed)
		return s;
	v.p = s;
	v.n = strlen(s);
	v = strip_type(v);
	while (v.n > 0 && v.p[0] == ' ') {
		v.p++;
		v.n--;
	}
	if (v.p == s)
		return s;
	if (v.n == 0) {
		free(s);
		return NULL;
	}
	if ((t = strndup(v.p, v.n)) == NULL)
		w->err = true;
	free(s);
	return t;
}

/* ---------------------------------------------------- delivery-status */

static bool
is_rcpt_group(const struct mime_head *g)
{
	return mime_head_get(g, "Final-Recipient") != NULL ||
	    mime_head_get(g, "Original-Recipient") != NULL ||
	    mime_head_get(g, "Action") != NULL ||
	    mime_head_get(g, "Status") != NULL;
}

static void
status_groups(struct dsn_walk *w, const char *p, size_t n)
{
	struct dsn *d = w->d;
	struct mime_head *g;
	struct dsn_rcpt *r;
	size_t off = 0, used;
	bool first = true;

	if ((g = malloc(sizeof(*g))) == NULL) {
		w->err = true;
		return;
	}
	w->report = true;
	if (w->in_message > 0)
		d->forwarded = true;
	while (off < n && !w->err) {
		used = mime_head_parse(p + off, n - off, g);
		if (g->more > 0)
			d->flags |= DSN_F_FIELDS;
		if (used == 0) {
			/* a line that is no field: skip it */
			const char *nl = memchr(p + off, '\n', n - off);

			used = nl ? (size_t)(nl - (p + off)) + 1 : n - off;
		}
		off += used;
		if (g->n == 0)
			continue;
		if (!is_rcpt_group(g)) {
			if (first) {
				if (d->reporting_mta == NULL)
					d->reporting_mta = field_str(w, g,
					    "Reporting-MTA", true);
				if (d->arrival == NULL)
					d->arrival = field_str(w, g,
					    "Arrival-Date", false);
			}
			first = false;
			continue;
		}
		first = false;
		if (d->nrcpt == DSN_MAX_RCPT) {
			d->flags |= DSN_F_RCPTS;
			continue;
		}
		r = &d->rcpt[d->nrcpt++];
		memset(r, 0, sizeof(*r));
		r->rcpt = field_str(w, g, "Final-Recipient", true);
		r->orig_rcpt = field_str(w, g, "Original-Recipient", true);
		r->action = field_str(w, g, "Action", false);
		r->status = field_str(w, g, "Status", false);
		r->remote_mta = field_str(w, g, "Remote-MTA", true);
		r->diag = field_str(w, g, "Diagnostic-Code", true);
		r->last_attempt = field_str(w, g, "Last-Attempt-Date", false);
		if (r->action)
			str_lower_inplace(r->action);
		if (r->rcpt == NULL && r->orig_rcpt != NULL)
			r->rcpt = strdup(r->orig_rcpt);
	}
	free(g);
}

/* ---------------------------------------------------- returned headers */

/* "... id QUEUEID; ..." or "... id QUEUEID\n" in a Received: value */
static void
received_qids(struct dsn_walk *w, const char *v)
{
	struct dsn *d = w->d;
	const char *p = v, *q;
	size_t n, i;

	while ((p = strstr(p, " id ")) != NULL) {
		p += 4;
		q = p;
		while (*q != '\0' && *q != ';' && *q != ' ')
			q++;
		n = (size_t)(q - p);
		if (!ml_is_qid(p, n))
			continue;
		for (i = 0; i < d->nreceived_qid; i++)
			if (strlen(d->received_qid[i]) == n &&
			    memcmp(d->received_qid[i], p, n) == 0)
				break;
		if (i < d->nreceived_qid || d->nreceived_qid == DSN_MAX_QIDS)
			continue;
		if ((d->received_qid[d->nreceived_qid] = strndup(p, n)) ==
		    NULL) {
			w->err = true;
			return;
		}
		d->nreceived_qid++;
	}
}

/* The header of the returned message (or a text/rfc822-headers part). */
static void
returned(struct dsn_walk *w, const struct mime_head *h, enum dsn_ret from)
{
	struct dsn *d = w->d;
	size_t i, before = d->ntrace;
	bool traced;
	char *s;

	if (h->more > 0)
		d->flags |= DSN_F_FIELDS;
	for (i = 0; i < h->n && !w->err; i++) {
		if (mime_span_ieq(h->f[i].name, w->hname))
			dsn_text_add_trace(w, h->f[i].value, from);
		else if (mime_span_ieq(h->f[i].name, "Received") &&
		    (s = dsn_text_str(w, h->f[i].value)) != NULL) {
			received_qids(w, s);
			free(s);
		}
	}
	if (d->ret == DSN_RET_NONE)
		d->ret = from;
	/* the original is named by the first returned header, unless a
	 * later one is the one with our trace header */
	traced = d->ntrace > before;
	if (w->orig_set && (w->orig_traced || !traced))
		return;
	w->orig_set = true;
	w->orig_traced = traced;
	dsn_text_set(&d->orig_from, field_str(w, h, "From", false));
	dsn_text_set(&d->orig_to, field_str(w, h, "To", false));
	dsn_text_set(&d->orig_subject, field_str(w, h, "Subject", false));
	dsn_text_set(&d->orig_msgid, field_str(w, h, "Message-ID", false));
}

/* ---------------------------------------------------- the walk */

static void	 walk_body(struct dsn_walk *w, const struct mime_head *h,
		    const char *p, size_t n);

struct decoded {
	strbuf		 sb;
	const char	*p;
	size_t		 n;
};

/* The content of a part in its transfer encoding's clear form. */
static void
decode(struct dsn_walk *w, const struct mime_head *h, const char *p,
    size_t n, struct decoded *out)
{
	const struct mime_field *f;
	enum mime_cte e = MIME_CTE_IDENTITY;
	char *v;
	int rc;

	f = mime_head_get(h, "Content-Transfer-Encoding");
	sb_init(&out->sb);
	out->p = p;
	out->n = n;
	if (f != NULL && (v = dsn_text_str(w, f->value)) != NULL) {
		e = mime_cte_parse(v);
		free(v);
	}
	if (e == MIME_CTE_IDENTITY)
		return;
	if ((rc = mime_decode(e, p, n, DSN_MAX_DECODE, &out->sb)) < 0) {
		w->err = true;
		out->n = 0;
		return;
	}
	if (rc > 0)
		w->d->flags |= DSN_F_DECODE;
	out->p = out->sb.s;
	out->n = out->sb.len;
}

static int
on_part(void *ctx, struct mime_span s)
{
	struct dsn_walk *w = ctx;
	struct mime_head *h;
	size_t off;

	if (w->err)
		return 1;
	if (++w->parts > DSN_MAX_PARTS) {
		w->d->flags |= DSN_F_PARTS;
		return 1;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		w->err = true;
		return 1;
	}
	off = mime_head_parse(s.p, s.n, h);
	if (h->more > 0)
		w->d->flags |= DSN_F_FIELDS;
	walk_body(w, h, s.p + off, s.n - off);
	free(h);
	return w->err ? 1 : 0;
}

static void
ctype_of(struct dsn_walk *w, const struct mime_head *h, struct mime_ctype *ct)
{
	const struct mime_field *f = mime_head_get(h, "Content-Type");
	char *v = f ? dsn_text_str(w, f->value) : NULL;

	mime_ctype_parse(v, ct);
	free(v);
}

static void
attached_message(struct dsn_walk *w, const char *p, size_t n)
{
	struct mime_head *ih;
	size_t off;

	if ((ih = malloc(sizeof(*ih))) == NULL) {
		w->err = true;
		return;
	}
	off = mime_head_parse(p, n, ih);
	if (dsn_text_bounce_like(ih)) {
		/* a bounce forwarded as an attachment: read it too */
		w->in_message++;
		walk_body(w, ih, p + off, n - off);
		w->in_message--;
	} else
		returned(w, ih, DSN_RET_MESSAGE);
	free(ih);
}

static void
walk_body(struct dsn_walk *w, const struct mime_head *h, const char *p,
    size_t n)
{
	struct mime_ctype ct;
	struct mime_head *rh;
	struct decoded dc;
	unsigned pf;

	if (w->err)
		return;
	if (w->depth >= DSN_MAX_DEPTH) {
		w->d->flags |= DSN_F_DEPTH;
		return;
	}
	ctype_of(w, h, &ct);
	if (strncmp(ct.type, "multipart/", 10) == 0) {
		if (!ct.has_boundary) {
			w->d->flags |= DSN_F_NOBOUNDARY;
			dsn_text_scan(w, p, n);
			return;
		}
		w->depth++;
		pf = mime_parts(p, n, ct.boundary, on_part, w);
		w->depth--;
		if (pf & MIME_P_UNTERMINATED)
			w->d->flags |= DSN_F_UNTERMINATED;
		if (pf & MIME_P_NONE) {
			w->d->flags |= DSN_F_NOBOUNDARY;
			dsn_text_scan(w, p, n);
		}
		return;
	}
	decode(w, h, p, n, &dc);
	if (strcmp(ct.type, "message/delivery-status") == 0 ||
	    strcmp(ct.type, "message/global-delivery-status") == 0) {
		status_groups(w, dc.p, dc.n);
	} else if (strcmp(ct.type, "text/rfc822-headers") == 0 ||
	    strcmp(ct.type, "message/global-headers") == 0) {
		if ((rh = malloc(sizeof(*rh))) == NULL)
			w->err = true;
		else {
			(void)mime_head_parse(dc.p, dc.n, rh);
			returned(w, rh, DSN_RET_HEADERS);
			free(rh);
		}
	} else if (strcmp(ct.type, "message/rfc822") == 0 ||
	    strcmp(ct.type, "message/global") == 0) {
		w->depth++;
		attached_message(w, dc.p, dc.n);
		w->depth--;
	} else if (strncmp(ct.type, "text/", 5) == 0 &&
	    strcmp(ct.type, "text/html") != 0) {
		dsn_text_scan(w, dc.p, dc.n);
	}
	sb_free(&dc.sb);
}

/* ---------------------------------------------------- the verdict */

static char *
dup_or_null(struct dsn_walk *w, const char *s)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		w->err = true;
	return c;
}

/* Recipients of a bounce without report groups: X-Failed-Recipients:,
 * else the address the text names, else one unnamed. */
static void
text_recipients(struct dsn_walk *w, const struct mime_head *top)
{
	struct dsn *d = w->d;
	const struct mime_field *f = mime_head_get(top, "X-Failed-Recipients");
	char *list = f ? dsn_text_str(w, f->value) : NULL, *cur, *tok;
	struct dsn_rcpt *r;

	cur = list;
	while (list != NULL && (tok = str_token(&cur)) != NULL) {
		if (d->nrcpt == DSN_MAX_RCPT) {
			d->flags |= DSN_F_RCPTS;
			break;
		}
		r = &d->rcpt[d->nrcpt++];
		memset(r, 0, sizeof(*r));
		r->rcpt = dup_or_null(w, tok);
	}
	free(list);
	if (d->nrcpt == 0) {
		r = &d->rcpt[d->nrcpt++];
		memset(r, 0, sizeof(*r));
		r->rcpt = dup_or_null(w, w->reply_rcpt ? w->reply_rcpt :
		    w->addr_hint);
	}
	for (r = d->rcpt; r < d->rcpt + d->nrcpt; r++)
		r->action = dup_or_null(w, "failed");
}

/* Fill what the report left out from what the text says. */
static void
from_text(struct dsn_walk *w)
{
	struct dsn *d = w->d;
	struct dsn_rcpt *r;
	const char *mta = w->reply_mta ? w->reply_mta : w->mta_hint;

	for (r = d->rcpt; r < d->rcpt + d->nrcpt; r++) {
		/* the one reply of the text is about every recipient only
		 * when there is one, or it names this one */
		if (d->nrcpt > 1 && (w->reply_rcpt == NULL || r->rcpt == NULL ||
		    strcasecmp(w->reply_rcpt, r->rcpt) != 0))
			continue;
		if (r->diag == NULL)
			r->diag = dup_or_null(w, w->reply);
		if (r->status == NULL)
			r->status = dup_or_null(w, w->reply_status);
		if (r->remote_mta == NULL)
			r->remote_mta = dup_or_null(w, mta);
	}
}

int
dsn_parse(const char *msg, size_t len, const char *trace_header,
    struct dsn *d)
{
	struct dsn_walk w;
	struct mime_head *top;
	size_t off;

	memset(d, 0, sizeof(*d));
	memset(&w, 0, sizeof(w));
	w.d = d;
	w.hname = trace_header;
	sb_init(&w.tmp);
	if ((top = malloc(sizeof(*top))) == NULL)
		return -1;
	off = mime_head_parse(msg, len, top);
	if (top->more > 0)
		d->flags |= DSN_F_FIELDS;
	d->from = field_str(&w, top, "From", false);
	d->subject = field_str(&w, top, "Subject", false);
	d->date = field_str(&w, top, "Date", false);
	d->msgid = field_str(&w, top, "Message-ID", false);
	walk_body(&w, top, msg + off, len - off);
	if (!w.err) {
		if (w.report) {
			d->kind = DSN_REPORT;
			if (d->nrcpt == 0)
				text_recipients(&w, top);
		} else if (d->ntrace > 0 && dsn_text_bounce_like(top) &&
		    (w.reply != NULL ||
		    mime_head_get(top, "X-Failed-Recipients") != NULL)) {
			d->kind = DSN_TEXT;
			text_recipients(&w, top);
		}
		if (d->kind != DSN_NONE)
			from_text(&w);
	}
	free(top);
	free(w.reply);
	free(w.reply_status);
	free(w.reply_rcpt);
	free(w.reply_mta);
	free(w.addr_hint);
	free(w.mta_hint);
	sb_free(&w.tmp);
	if (w.err) {
		dsn_free(d);
		return -1;
	}
	return 0;
}

void
dsn_free(struct dsn *d)
{
	size_t i;

	free(d->from);
	free(d->subject);
	free(d->date);
	free(d->msgid);
	free(d->reporting_mta);
	free(d->arrival);
	for (i = 0; i < d->nrcpt; i++) {
		free(d->rcpt[i].rcpt);
		free(d->rcpt[i].orig_rcpt);
		free(d->rcpt[i].action);
		free(d->rcpt[i].status);
		free(d->rcpt[i].remote_mta);
		free(d->rcpt[i].diag);
		free(d->rcpt[i].last_attempt);
	}
	for (i = 0; i < d->ntrace; i++)
		free(d->trace[i]);
	free(d->orig_from);
	free(d->orig_to);
	free(d->orig_subject);
	free(d->orig_msgid);
	for (i = 0; i < d->nreceived_qid; i++)
		free(d->received_qid[i]);
	memset(d, 0, sizeof(*d));
}

const char *
dsn_kind_name(enum dsn_kind k)
{
	switch (k) {
	case DSN_NONE:
		return "none";
	case DSN_REPORT:
		return "report";
	case DSN_TEXT:
		return "text";
	}
	return "unknown";
}

const char *
dsn_ret_name(enum dsn_ret r)
{
	switch (r) {
	case DSN_RET_NONE:
		return "none";
	case DSN_RET_HEADERS:
		return "text/rfc822-headers";
	case DSN_RET_MESSAGE:
		return "message/rfc822";
	case DSN_RET_QUOTED:
		return "quoted in the text";
	}
	return "unknown";
}

const char *
dsn_flag_text(unsigned bit)
{
	switch (bit) {
	case DSN_F_DEPTH:
		return "MIME parts nested deeper than 8 levels were not read";
	case DSN_F_PARTS:
		return "only the first 64 MIME parts were read";
	case DSN_F_DECODE:
		return "an encoded part was decoded only to its first 256 KiB";
	case DSN_F_RCPTS:
		return "only the first 16 recipients are shown";
	case DSN_F_TRACES:
		return "only the first 4 trace headers were kept";
	case DSN_F_FIELDS:
		return "a header of more than 128 fields: the rest not read";
	case DSN_F_NOBOUNDARY:
		return "a multipart without a usable boundary, read as text";
	case DSN_F_UNTERMINATED:
		return "a multipart without its closing boundary (cut off?)";
	case DSN_F_CUT:
		return "a value longer than 1024 bytes was cut (\" [...]\")";
	case DSN_F_INPUT:
		return "the message is longer than the reader's limit: only "
		    "its beginning was read";
	}
	return NULL;
}
