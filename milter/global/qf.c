/*
 * qf.c - read one sendmail queue control file (qf, hf or Qf)
 *
 * CONTRACT
 *	See include/qf.h (the format and its sources). One pass over the
 *	buffer: records are found with memchr, numbers are read with
 *	overflow checks, spans point into the buffer. The recipient and
 *	header arrays grow by doubling and are kept for the next call.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qf.h"

void
qf_msg_init(struct qf_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void
qf_msg_free(struct qf_msg *m)
{
	free(m->rcpt);
	free(m->hdr);
	memset(m, 0, sizeof(*m));
}

bool
qf_span_eq(struct qf_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p != NULL && s.n == n && memcmp(s.p, lit, n) == 0;
}

static void
reset(struct qf_msg *m)
{
	struct qf_rcpt *r = m->rcpt;
	struct qf_header *h = m->hdr;
	size_t rc = m->rcap, hc = m->hcap;

	memset(m, 0, sizeof(*m));
	m->rcpt = r;
	m->hdr = h;
	m->rcap = rc;
	m->hcap = hc;
}

static enum qf_status
bad(struct qf_msg *m, unsigned line, const char *what)
{
	m->err_line = line;
	snprintf(m->err, sizeof(m->err), "%s", what);
	return QF_BAD;
}

/* A decimal number, optionally signed, filling the whole span. */
static int
span_num(struct qf_span s, bool sign, int64_t *out)
{
	const char *p = s.p, *e = s.p + s.n;
	bool neg = false;
	uint64_t v = 0, lim = INT64_MAX;

	if (p < e && sign && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	if (p == e)
		return -1;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (lim - (uint64_t)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int
span_long(struct qf_span s, bool sign, long *out)
{
	int64_t v;

	if (span_num(s, sign, &v) < 0 || v > LONG_MAX || v < LONG_MIN)
		return -1;
	*out = (long)v;
	return 0;
}

static struct qf_rcpt *
new_rcpt(struct qf_msg *m)
{
	if (m->nrcpt == m->rcap) {
		size_t nc = m->rcap ? m->rcap * 2 : 8;
		struct qf_rcpt *v;

		if (nc > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(m->rcpt, nc * sizeof(*v))) == NULL)
			return NULL;
		m->rcpt = v;
		m->rcap = nc;
	}
	memset(&m->rcpt[m->nrcpt], 0, sizeof(m->rcpt[0]));
	return &m->rcpt[m->nrcpt++];
}

static struct qf_header *
new_header(struct qf_msg *m)
{
	if (m->nhdr == m->hcap) {
		size_t nc = m->hcap ? m->hcap * 2 : 16;
		struct qf_header *v;

		if (nc > SIZE_MAX / sizeof(*v) ||
		    (v = realloc(m->hdr, nc * sizeof(*v))) == NULL)
			return NULL;
		m->hdr = v;
		m->hcap = nc;
	}
	memset(&m->hdr[m->nhdr], 0, sizeof(m->hdr[0]));
	return &m->hdr[m->nhdr++];
}

/* "H?FLAGS?Name: value" (rest starts after the H); 1 when it is not a
 * header line sendmail would read (no name or no colon): skipped */
static int
header(struct qf_msg *m, struct qf_span rest, unsigned line)
{
	const char *p = rest.p, *e = rest.p + rest.n, *q;
	struct qf_header *h;

	if (p < e && *p == '?') {
		if ((q = memchr(p + 1, '?', (size_t)(e - p - 1))) == NULL)
			return 1;
		p = q + 1;
	}
	if ((q = memchr(p, ':', (size_t)(e - p))) == NULL || q == p)
		return 1;
	if ((h = new_header(m)) == NULL)
		return -1;
	h->name.p = p;
	h->name.n = (size_t)(q - p);
	for (p = q + 1; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	h->value.p = p;
	h->value.n = (size_t)(e - p);
	h->line = line;
	return 0;
}

enum qf_status
qf_parse(struct qf_msg *m, const char *buf, size_t len)
{
	const char *p = buf, *e = buf + len, *nl;
	struct qf_span rec, rest, rmsg = { NULL, 0 }, orcpt = { NULL, 0 };
	struct qf_rcpt *r;
	bool have_t = false, have_s = false, done = false;
	unsigned line = 0, recline;
	int64_t v;
	int rc;

	reset(m);
	if (len > 0 && memchr(buf, '\0', len) != NULL) {
		const char *z = memchr(buf, '\0', len);
		const char *s;

		for (s = buf, line = 1; s < z; s++)
			line += *s == '\n';
		m->nlines = line;
		return bad(m, line, "a NUL byte");
	}
	while (p < e) {
		/* one record: a line and the lines that continue it */
		rec.p = p;
		recline = ++line;
		nl = memchr(p, '\n', (size_t)(e - p));
		p = nl ? nl + 1 : e;
		while (p < e && (*p == ' ' || *p == '\t')) {
			line++;
			nl = memchr(p, '\n', (size_t)(e - p));
			p = nl ? nl + 1 : e;
		}
		rec.n = (size_t)(p - rec.p);
		if (rec.n > 0 && rec.p[rec.n - 1] == '\n')
			rec.n--;
		m->nlines = line;
		if (done)
			return bad(m, recline, "data after the final \".\"");
		if (rec.n == 0) {
			m->nskipped++;
			continue;
		}
		rest.p = rec.p + 1;
		rest.n = rec.n - 1;
		switch (rec.p[0]) {
		case 'V':
			if (span_num(rest, false, &v) < 0 || v > INT32_MAX)
				return bad(m, recline, "V is not a number");
			if (v > QF_MAX_VERSION)
				return bad(m, recline, "queue file version above 8 "
				    "(sendmail 8.13 to 8.18 write 8)");
			m->version = (int)v;
			break;
		case 'T':
			if (span_num(rest, false, &m->ctime) < 0)
				return bad(m, recline, "T (queue time) is not a "
				    "number");
			have_t = true;
			break;
		case 'K':
			if (span_num(rest, false, &m->dtime) < 0)
				return bad(m, recline, "K (last attempt) is not a "
				    "number");
			break;
		case 'N':
			if (span_long(rest, false, &m->ntries) < 0)
				return bad(m, recline, "N (attempts) is not a "
				    "number");
			break;
		case 'P':
			if (span_long(rest, true, &m->priority) < 0)
				return bad(m, recline, "P (priority) is not a "
				    "number");
			break;
		case 'M':
			if (have_s)
				rmsg = rest;	/* the next recipient's */
			else
				m->message = rest;
			break;
		case 'q':
			m->quarantine = rest;
			break;
		case 'F':
			m->flags = rest;
			break;
		case 'S':
			m->sender = rest;
			have_s = true;
			break;
		case 'Z':
			m->envid = rest;
			break;
		case 'B':
			m->bodytype = rest;
			break;
		case 'A':
			m->auth = rest;
			break;
		case 'Q':
			orcpt = rest;
			break;
		case 'R': {
			const char *c = rest.p, *ce = rest.p + rest.n;

			if (m->version >= 1) {
				if ((c = memchr(rest.p, ':', rest.n)) == NULL) {
					m->nskipped++;	/* sendmail ignores it */
					rmsg.p = orcpt.p = NULL;
					break;
				}
			}
			if ((r = new_rcpt(m)) == NULL)
				return QF_NOMEM;
			if (m->version >= 1) {
				r->flags.p = rest.p;
				r->flags.n = (size_t)(c - rest.p);
				c++;
			}
			r->addr.p = c;
			r->addr.n = (size_t)(ce - c);
			r->msg = rmsg;
			r->orcpt = orcpt;
			r->line = recline;
			rmsg.p = orcpt.p = NULL;
			rmsg.n = orcpt.n = 0;
			break;
		}
		case 'H':
			if ((rc = header(m, rest, recline)) < 0)
				return QF_NOMEM;
			if (rc > 0)
				m->nskipped++;
			break;
		case '.':
			if (rec.n != 1) {
				m->nskipped++;
				break;
			}
			done = true;
			break;
		default:
			m->nskipped++;
			break;
		}
	}
	if (!done)
		return QF_INCOMPLETE;
	if (!have_t)
		return bad(m, 0, "no T (queue time) record");
	if (!have_s)
		return bad(m, 0, "no S (sender) record");
	return QF_OK;
}

const struct qf_header *
qf_header(const struct qf_msg *m, const char *name)
{
	size_t i, n = strlen(name), j;

	for (i = 0; i < m->nhdr; i++) {
		const struct qf_header *h = &m->hdr[i];

		if (h->name.n != n)
			continue;
		for (j = 0; j < n; j++) {
			int a = (unsigned char)h->name.p[j],
			    b = (unsigned char)name[j];

			if (a >= 'A' && a <= 'Z')
				a += 32;
			if (b >= 'A' && b <= 'Z')
				b += 32;
			if (a != b)
				break;
		}
		if (j == n)
			return h;
	}
	return NULL;
}

int
qf_addr_domain(struct qf_span addr, char *out, size_t outsz)
{
	const char *p = addr.p, *e = addr.p + addr.n, *at = NULL, *s;
	size_t n, i;

	if (p == NULL)
		return -1;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (p < e && *p == '<')
		p++;
	if (e > p && e[-1] == '>')
		e--;
	for (s = p; s < e; s++)
		if (*s == '@')
			at = s;
	if (at == NULL || at + 1 >= e)
		return -1;
	p = at + 1;
	if (e > p && e[-1] == '.')
		e--;
	n = (size_t)(e - p);
	if (n == 0 || n + 1 > outsz)
		return -1;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)p[i];

		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[n] = '\0';
	return 0;
}
