/*
 * dsn_text.c - what the human-readable part of a bounce says: is it a
 *		bounce at all, the quoted trace header, the first SMTP
 *		reply, the recipient and the remote MTA it is about; and the
 *		copies of values both this file and dsn.c keep
 *
 * CONTRACT
 *	See include/dsn_int.h. Providers write their bounces for people
 *	(Gmail's "The response was:", sendmail's "(reason: ...)" and its
 *	transcript, SendGrid's "rcpt : ip : mx:[ip] : reply" line, qmail's
 *	"<addr>:" then the reply, Postfix's "host X said:"); these are
 *	read here as hints, one line at a time, with any quoting ('>', '|',
 *	indentation) removed. Only the first reply counts. The words that
 *	make a message look like a bounce are those of the layouts in
 *	tests/e2e/dsn.py (from saved real DSNs, sisimai/set-of-emails) and
 *	the classic ones (qmail's "failure notice", Exim's "Mail delivery
 *	failed", Microsoft's "Undeliverable"). Nothing here allocates
 *	except the kept hints.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "dsn_int.h"
#include "mime.h"
#include "util.h"

static bool
any_in(struct mime_span v, const char *const *words)
{
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (mime_span_ifind(v, words[i]) >= 0)
			return true;
	return false;
}

char *
dsn_text_str(struct dsn_walk *w, struct mime_span v)
{
	char *s;
	int rc;

	sb_reset(&w->tmp);
	if ((rc = mime_unfold(v, DSN_MAX_VALUE, &w->tmp)) < 0) {
		w->err = true;
		return NULL;
	}
	if (rc > 0)
		w->d->flags |= DSN_F_CUT;
	if (w->tmp.len == 0)
		return NULL;
	if ((s = strdup(w->tmp.s)) == NULL)
		w->err = true;
	return s;
}

void
dsn_text_set(char **field, char *s)
{
	free(*field);
	*field = s;
}

bool
dsn_text_bounce_like(const struct mime_head *h)
{
	static const char *const senders[] = { "mailer-daemon", "postmaster",
	    "mail delivery", NULL };
	static const char *const subjects[] = { "undeliver", "undelivered",
	    "delivery status notification", "returned mail", "failure notice",
	    "delivery failure", "delivery failed", "mail delivery failed",
	    "non-delivery", "nondeliverable", "not delivered",
	    "could not be delivered", "delivery has failed", NULL };
	const struct mime_field *f;
	struct mime_span v;

	if ((f = mime_head_get(h, "From")) != NULL && any_in(f->value, senders))
		return true;
	if ((f = mime_head_get(h, "Subject")) != NULL &&
	    any_in(f->value, subjects))
		return true;
	if (mime_head_get(h, "X-Failed-Recipients") != NULL)
		return true;
	if ((f = mime_head_get(h, "Return-Path")) != NULL) {
		v = f->value;
		while (v.n > 0 && (v.p[v.n - 1] == ' ' ||
		    v.p[v.n - 1] == '\r' || v.p[v.n - 1] == '\n' ||
		    v.p[v.n - 1] == '\t'))
			v.n--;
		if (mime_span_ieq(v, "<>"))
			return true;
	}
	if ((f = mime_head_get(h, "Content-Type")) != NULL &&
	    mime_span_istarts(f->value, "multipart/report"))
		return true;
	return false;
}

void
dsn_text_add_trace(struct dsn_walk *w, struct mime_span v,
    enum dsn_ret from)
{
	struct dsn *d = w->d;
	char *s;
	size_t i;

	if ((s = dsn_text_str(w, v)) == NULL)
		return;
	for (i = 0; i < d->ntrace; i++)
		if (strcmp(d->trace[i], s) == 0) {
			free(s);
			return;
		}
	if (d->ntrace == DSN_MAX_TRACE) {
		d->flags |= DSN_F_TRACES;
		free(s);
		return;
	}
	if (d->ntrace == 0)
		d->ret = from;
	d->trace[d->ntrace++] = s;
}

/* ---------------------------------------------------- one line */

static bool
alnum(int c)
{
	return ch_alpha(c) || ch_digit(c);
}

static struct mime_span
unquote(struct mime_span s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '>' ||
	    s.p[0] == '|')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
	    s.p[s.n - 1] == '\r'))
		s.n--;
	return s;
}

static struct mime_span
sub(struct mime_span s, size_t from, size_t to)
{
	struct mime_span r;

	r.p = s.p + from;
	r.n = to > from ? to - from : 0;
	return r;
}

/* "d.ddd.ddd" at s.p[i], the class digit given; its length or 0. */
static size_t
enh_at(struct mime_span s, size_t i, char cls)
{
	size_t k = i, part, digits;

	if (k >= s.n || s.p[k] != cls)
		return 0;
	k++;
	for (part = 0; part < 2; part++) {
		if (k >= s.n || s.p[k] != '.')
			return 0;
		k++;
		digits = 0;
		while (k < s.n && ch_digit((unsigned char)s.p[k]) &&
		    digits < 4) {
			k++;
			digits++;
		}
		if (digits == 0 || digits > 3)
			return 0;
	}
	if (k < s.n && alnum((unsigned char)s.p[k]))
		return 0;
	return k - i;
}

/* An SMTP reply code "ddd" followed by ' ' or '-' at s.p[i]. */
static bool
code_at(struct mime_span s, size_t i)
{
	return i + 4 <= s.n && (s.p[i] == '4' || s.p[i] == '5') &&
	    ch_digit((unsigned char)s.p[i + 1]) &&
	    ch_digit((unsigned char)s.p[i + 2]) &&
	    (s.p[i + 3] == ' ' || s.p[i + 3] == '-') &&
	    (i == 0 || !(alnum((unsigned char)s.p[i - 1]) ||
	    s.p[i - 1] == '.'));
}

/*
 * Where the reply starts in the line, and the length of its enhanced
 * code (0: none); -1 when the line holds none. A reply with an enhanced
 * code may start anywhere ("... : 550 5.7.1 ..."); one without must
 * start the line or follow "said: ", "(reason: " or "<<< ".
 */
static long
find_reply(struct mime_span s, size_t *esc_off, size_t *esc_len)
{
	static const char *const lead[] = { "said: ", "(reason: ", "<<< ",
	    NULL };
	size_t i, k;
	long at;

	for (i = 0; i + 4 <= s.n; i++) {
		if (!code_at(s, i))
			continue;
		k = i + 4;
		if ((*esc_len = enh_at(s, k, s.p[i])) > 0) {
			*esc_off = k;
			return (long)i;
		}
	}
	*esc_len = 0;
	if (code_at(s, 0) && s.n > 4 && (ch_alpha((unsigned char)s.p[4]) ||
	    s.p[4] == '<'))
		return 0;
	for (i = 0; lead[i] != NULL; i++) {
		if ((at = mime_span_ifind(s, lead[i])) < 0)
			continue;
		k = (size_t)at + strlen(lead[i]);
		if (code_at(s, k))
			return (long)k;
	}
	return -1;
}

/* The first "<local@domain>" in s; an empty span when none. */
static struct mime_span
angle_addr(struct mime_span s)
{
	struct mime_span r = { NULL, 0 };
	size_t i, j;

	for (i = 0; i < s.n; i++) {
		if (s.p[i] != '<')
			continue;
		for (j = i + 1; j < s.n && s.p[j] != '>' && s.p[j] != ' '; j++)
			;
		if (j < s.n && s.p[j] == '>' && j > i + 1 &&
		    memchr(s.p + i + 1, '@', j - i - 1) != NULL)
			return sub(s, i + 1, j);
	}
	return r;
}

/* A line that is only an address: "<a@b>", "<a@b>:", "a@b:". */
static bool
address_line(struct mime_span s, struct mime_span *a)
{
	size_t n = s.n;

	if (n > 0 && s.p[n - 1] == ':')
		n--;
	if (n > 2 && s.p[0] == '<' && s.p[n - 1] == '>') {
		*a = sub(s, 1, n - 1);
	} else if (n != s.n) {
		*a = sub(s, 0, n);
	} else
		return false;
	return a->n > 2 && memchr(a->p, '@', a->n) != NULL &&
	    memchr(a->p, ' ', a->n) == NULL && memchr(a->p, '<', a->n) == NULL;
}

static void
keep(struct dsn_walk *w, char **field, struct mime_span v)
{
	if (v.n > 0)
		dsn_text_set(field, dsn_text_str(w, v));
}

/* "... while talking to HOST:", "host HOST said: ..." */
static void
mta_hints(struct dsn_walk *w, struct mime_span s)
{
	long at, end;
	struct mime_span v;

	if ((at = mime_span_ifind(s, "while talking to ")) >= 0) {
		v = sub(s, (size_t)at + 17, s.n);
		if (v.n > 0 && v.p[v.n - 1] == ':')
			v.n--;
		keep(w, &w->mta_hint, v);
		return;
	}
	if (mime_span_istarts(s, "host ") &&
	    (end = mime_span_ifind(s, " said:")) > 5) {
		keep(w, &w->mta_hint, sub(s, 5, (size_t)end));
	}
}

/* SendGrid's "rcpt : ip : mx.host:[ip] : reply": the field with ":[". */
static struct mime_span
colon_mta(struct mime_span s, size_t upto)
{
	struct mime_span r = { NULL, 0 }, f;
	size_t i, start = 0;

	for (i = 0; i + 3 <= upto; i++) {
		if (memcmp(s.p + i, " : ", 3) != 0)
			continue;
		f = sub(s, start, i);
		if (mime_span_ifind(f, ":[") > 0 && f.p[f.n - 1] == ']')
			r = f;
		start = i + 3;
	}
	return r;
}

static void
reply_line(struct dsn_walk *w, struct mime_span s, size_t at, size_t esc_off,
    size_t esc_len)
{
	struct mime_span r = sub(s, at, s.n), a;

	/* sendmail's "(reason: 550 ...)" */
	if (at >= 9 && mime_span_istarts(sub(s, at - 9, s.n), "(reason: ") &&
	    r.n > 0 && r.p[r.n - 1] == ')')
		r.n--;
	keep(w, &w->reply, r);
	if (esc_len > 0)
		keep(w, &w->reply_status, sub(s, esc_off, esc_off + esc_len));
	if ((a = angle_addr(s)).n == 0 && w->addr_hint != NULL) {
		a.p = w->addr_hint;
		a.n = strlen(w->addr_hint);
	}
	keep(w, &w->reply_rcpt, a);
	keep(w, &w->reply_mta, colon_mta(s, at));
}

static void
scan_line(struct dsn_walk *w, struct mime_span s)
{
	size_t hn = strlen(w->hname), k, esc_off = 0, esc_len = 0;
	struct mime_span a;
	long at;

	if (s.n == 0)
		return;
	/* a quoted header of the original: "X-Relay-Trace: id=..." */
	if (s.n > hn && mime_span_istarts(s, w->hname)) {
		k = hn;
		while (k < s.n && (s.p[k] == ' ' || s.p[k] == '\t'))
			k++;
		if (k < s.n && s.p[k] == ':') {
			dsn_text_add_trace(w, sub(s, k + 1, s.n),
			    DSN_RET_QUOTED);
			return;
		}
	}
	mta_hints(w, s);
	if (address_line(s, &a)) {
		keep(w, &w->addr_hint, a);
		return;
	}
	if (w->reply == NULL &&
	    (at = find_reply(s, &esc_off, &esc_len)) >= 0)
		reply_line(w, s, (size_t)at, esc_off, esc_len);
}

void
dsn_text_scan(struct dsn_walk *w, const char *p, size_t n)
{
	const char *e = p + n, *nl;
	struct mime_span s;

	while (p < e && !w->err) {
		nl = memchr(p, '\n', (size_t)(e - p));
		s.p = p;
		s.n = (size_t)((nl ? nl : e) - p);
		scan_line(w, unquote(s));
		p = nl ? nl + 1 : e;
	}
}
