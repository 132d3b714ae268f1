/*
 * maillog.c - parse one maillog line (sendmail, relaymilter, neighbours)
 *
 * CONTRACT
 *	See maillog.h. Hand-written scanning over [p, e) byte ranges:
 *	no regex, no allocation, no reads past the given length, no
 *	dependence on NUL termination or the locale. Unknown input yields
 *	ML_UNPARSED, never a crash. This file takes the syslog header apart
 *	(time, host, program, pid) and reads delays and dates; maillog_msg.c
 *	the message and its fields; maillog_span.c the searches and field
 *	lookups both use. A line flows down them once: ml_parse() here, then
 *	ml_sendmail_msg() or ml_relaymilter_msg(), then the span helpers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "maillog.h"
#include "maillog_int.h"

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' ||
	    c == '\f' || c == '\v';
}

static const char *const kind_names[ML_KIND_COUNT] = {
	[ML_UNPARSED] = "unparsed",
	[ML_FROM] = "from",
	[ML_TO] = "to",
	[ML_MILTER_CHANGE] = "milter-change",
	[ML_MILTER_REJECT] = "milter-reject",
	[ML_MILTER_ERROR] = "milter-error",
	[ML_MILTER_NOTE] = "milter-note",
	[ML_DSN] = "dsn",
	[ML_CLONE] = "clone",
	[ML_DONE] = "done",
	[ML_TLS] = "tls",
	[ML_AUTH] = "auth",
	[ML_DECISION] = "decision",
	[ML_RELAYMILTER] = "relaymilter",
	[ML_REJECT] = "reject",
	[ML_RCPT_ERROR] = "rcpt-error",
	[ML_SESSION] = "session",
	[ML_SYSERR] = "syserr",
	[ML_DAEMON] = "daemon",
	[ML_NOTE] = "note",
	[ML_FILTER] = "filter",
	[ML_SYSLOG] = "syslog",
};

const char *
ml_kind_name(enum ml_kind k)
{
	if ((unsigned)k >= ML_KIND_COUNT)
		return "invalid";
	return kind_names[k];
}

/* ------------------------------------------------------------ values */

/* Parse 1..maxd digits at *pp, value in *v; false if none or too many. */
static bool
digits(const char **pp, const char *e, size_t mind, size_t maxd, long *v)
{
	const char *p = *pp;
	size_t n = 0;
	long x = 0;

	while (p < e && ch_digit((unsigned char)*p) && n < maxd) {
		x = x * 10 + (*p - '0');
		p++, n++;
	}
	if (n < mind || (p < e && ch_digit((unsigned char)*p)))
		return false;
	*pp = p;
	*v = x;
	return true;
}

long
ml_delay(struct ml_span s)
{
	const char *p = s.p, *e = s.p + s.n;
	long d = 0, h, m, sec;

	if (s.n == 0)
		return -1;
	if (FIND(p, e, "+") != NULL) {
		if (!digits(&p, e, 1, 6, &d) || p >= e || *p != '+')
			return -1;
		p++;
	}
	if (!digits(&p, e, 1, 2, &h) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, 2, &m) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, 2, &sec) || p != e)
		return -1;
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	return ((d * 24 + h) * 60 + m) * 60 + sec;
}

int64_t
ml_epoch_utc(int year, int mon, int mday, int hour, int min, int sec)
{
	/* days from civil, H. Hinnant's algorithm */
	int64_t y = (int64_t)year - (mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (mon + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
}

/* ------------------------------------------------------------ header */

static int
month(const char *p)
{
	switch (p[0]) {
	case 'J':
		if (p[1] == 'a' && p[2] == 'n')
			return 1;
		if (p[1] == 'u' && p[2] == 'n')
			return 6;
		if (p[1] == 'u' && p[2] == 'l')
			return 7;
		return 0;
	case 'F':
		return p[1] == 'e' && p[2] == 'b' ? 2 : 0;
	case 'M':
		if (p[1] == 'a' && p[2] == 'r')
			return 3;
		if (p[1] == 'a' && p[2] == 'y')
			return 5;
		return 0;
	case 'A':
		if (p[1] == 'p' && p[2] == 'r')
			return 4;
		if (p[1] == 'u' && p[2] == 'g')
			return 8;
		return 0;
	case 'S':
		return p[1] == 'e' && p[2] == 'p' ? 9 : 0;
	case 'O':
		return p[1] == 'c' && p[2] == 't' ? 10 : 0;
	case 'N':
		return p[1] == 'o' && p[2] == 'v' ? 11 : 0;
	case 'D':
		return p[1] == 'e' && p[2] == 'c' ? 12 : 0;
	}
	return 0;
}

/* "HH:MM:SS[.frac]" */
static const char *
clock_time(const char *p, const char *e, struct ml_time *t)
{
	long h, m, s, f = 0;
	size_t nf = 0;

	if (!digits(&p, e, 2, 2, &h) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, 2, &m) || p >= e || *p++ != ':' ||
	    !digits(&p, e, 2, 2, &s))
		return NULL;
	if (h > 23 || m > 59 || s > 60)
		return NULL;
	if (p < e && (*p == '.' || *p == ',')) {
		p++;
		while (p < e && ch_digit((unsigned char)*p)) {
			if (nf < 6)
				f = f * 10 + (*p - '0'), nf++;
			p++;
		}
		if (nf == 0)
			return NULL;
		while (nf < 6)
			f *= 10, nf++;
	}
	t->hour = (int)h;
	t->min = (int)m;
	t->sec = (int)s;
	t->usec = (int)f;
	return p;
}

/* "Jan  5 00:13:30" */
static const char *
time_3164(const char *p, const char *e, struct ml_time *t)
{
	long d;

	if (e - p < 15 || (t->mon = month(p)) == 0 || p[3] != ' ')
		return NULL;
	p += 4;
	if (*p == ' ')
		p++;
	if (!digits(&p, e, 1, 2, &d) || d < 1 || d > 31 || p >= e || *p != ' ')
		return NULL;
	t->mday = (int)d;
	t->year = 0;
	return clock_time(p + 1, e, t);
}

/* "2025-11-21T08:52:01[.123456][Z|+01:00|+0100|+01]" */
static const char *
time_iso(const char *p, const char *e, struct ml_time *t)
{
	long y, mo, d, zh, zm = 0;
	int sign;

	if (!digits(&p, e, 4, 4, &y) || p >= e || *p++ != '-' ||
	    !digits(&p, e, 2, 2, &mo) || p >= e || *p++ != '-' ||
	    !digits(&p, e, 2, 2, &d) || p >= e || (*p != 'T' && *p != ' '))
		return NULL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970)
		return NULL;
	t->year = (int)y;
	t->mon = (int)mo;
	t->mday = (int)d;
	if ((p = clock_time(p + 1, e, t)) == NULL)
		return NULL;
	t->has_tz = false;
	if (p < e && *p == 'Z') {
		t->has_tz = true;
		t->tzoff = 0;
		return p + 1;
	}
	if (p < e && (*p == '+' || *p == '-')) {
		sign = *p++ == '-' ? -1 : 1;
		/* +HH, +HH:MM or +HHMM */
		if (e - p < 2 || !ch_digit((unsigned char)p[0]) ||
		    !ch_digit((unsigned char)p[1]))
			return NULL;
		zh = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (p < e && *p == ':')
			p++;
		if (p < e && ch_digit((unsigned char)*p) &&
		    (!digits(&p, e, 2, 2, &zm) || zm > 59))
			return NULL;
		if (zh > 23)
			return NULL;
		t->has_tz = true;
		t->tzoff = sign * (int)(zh * 3600 + zm * 60);
	}
	return p;
}

/* "<22>" or "<mail.info>": fills prio, returns the position after it. */
static const char *
prio(const char *p, const char *e, struct ml_line *o)
{
	const char *q;

	if (p >= e || *p != '<')
		return p;
	for (q = p + 1; q < e && q - p < 40; q++) {
		if (*q == '>')
			break;
		if (!is_keych((unsigned char)*q))
			return p;
	}
	if (q >= e || *q != '>' || q == p + 1)
		return p;
	o->prio.p = p + 1;
	o->prio.n = (size_t)(q - p - 1);
	q++;
	while (q < e && *q == ' ')
		q++;
	return q;
}

static const char *const sendmail_progs[] = {
	"sendmail", "sendmail-mta", "sendmail-msp", NULL
};
static const char *const filter_progs[] = {
	"mimedefang", "dcc", "spamd", "spamc", "opendkim", "opendmarc",
	"openarc", "clamav", "clamd", "milter-", "amavis", "saslauthd",
	"postgrey", "policyd-spf", "spf-milter", "smf-", "MailScanner",
	"sid-milter", "dkim-filter", "procmail", "mail.local", NULL
};

static enum ml_prog
prog_kind(struct ml_span s)
{
	size_t i, n;

	switch (s.p[0]) {
	case 's':
		if (ml_span_eq(s, "sm-mta") || ml_span_eq(s, "sendmail"))
			return MLP_SENDMAIL;
		break;
	case 'r':
		if (ml_span_eq(s, "relaymilter"))
			return MLP_RELAYMILTER;
		break;
	}

	if (ml_span_starts(s, "sm-"))
		return MLP_SENDMAIL;
	for (i = 0; sendmail_progs[i]; i++)
		if (ml_span_eq(s, sendmail_progs[i]))
			return MLP_SENDMAIL;
	if (ml_span_eq(s, "relaymilter"))
		return MLP_RELAYMILTER;
	for (i = 0; filter_progs[i]; i++) {
		n = strlen(filter_progs[i]);
		if (s.n >= n && memcmp(s.p, filter_progs[i], n) == 0)
			return MLP_FILTER;
	}
	return MLP_OTHER;
}

static bool
syslog_own(const char *p, const char *e)
{
	return STARTS(p, e, "last message repeated") ||
	    STARTS(p, e, "-- MARK --") ||
	    STARTS(p, e, "message repeated") ||
	    STARTS(p, e, "syslogd") || STARTS(p, e, "rsyslogd");
}

enum ml_kind
ml_parse(const char *line, size_t len, struct ml_line *o)
{
	const char *p = line, *e, *q, *tag;
	long pid;
	enum ml_kind k;

	/* field by field: cheaper than clearing the whole header */
	o->kind = ML_UNPARSED;
	o->prog_kind = MLP_OTHER;
	o->has_ts = false;
	o->ts.year = o->ts.usec = o->ts.tzoff = 0;
	o->ts.has_tz = false;
	o->prio.p = o->host.p = o->prog.p = o->qid.p = o->msg.p = NULL;
	o->prio.n = o->host.n = o->prog.n = o->qid.n = o->msg.n = 0;
	o->qid2.p = o->milter.p = o->detail.p = NULL;
	o->qid2.n = o->milter.n = o->detail.n = 0;
	o->noqueue = o->more = o->fields_truncated = false;
	o->dsn = MLD_NONE;
	o->nfields = 0;
	o->pid = -1;
	if (line == NULL)
		return ML_UNPARSED;
	while (len > 0 && is_blank((unsigned char)line[len - 1]))
		len--;
	e = line + len;
	if (len == 0)
		return ML_UNPARSED;
	if (STARTS(p, e, "-- ")) {
		/* journalctl banners: "-- Boot ... --", "-- No entries --" */
		o->msg.p = p;
		o->msg.n = len;
		return set_kind(o, ML_SYSLOG);
	}
	p = prio(p, e, o);
	if (p < e && ch_digit((unsigned char)*p))
		q = time_iso(p, e, &o->ts);
	else
		q = time_3164(p, e, &o->ts);
	if (q == NULL || q >= e || *q != ' ')
		return ML_UNPARSED;
	o->has_ts = true;
	p = q;
	while (p < e && *p == ' ')
		p++;
	if (o->prio.n == 0)
		p = prio(p, e, o);
	/* host */
	q = p;
	while (q < e && *q != ' ')
		q++;
	if (q == p || q >= e)
		return ML_UNPARSED;
	o->host.p = p;
	o->host.n = (size_t)(q - p);
	p = q;
	while (p < e && *p == ' ')
		p++;
	if (syslog_own(p, e)) {
		o->msg.p = p;
		o->msg.n = (size_t)(e - p);
		return set_kind(o, ML_SYSLOG);
	}
	/* tag: prog[pid]: or prog: */
	tag = p;
	while (p < e && *p != '[' && *p != ':' && *p != ' ')
		p++;
	if (p == tag || p >= e || *p == ' ')
		return ML_UNPARSED;
	o->prog.p = tag;
	o->prog.n = (size_t)(p - tag);
	if (*p == '[') {
		p++;
		if (!digits(&p, e, 1, 10, &pid) || p >= e || *p != ']')
			return ML_UNPARSED;
		o->pid = pid;
		p++;
		if (p >= e || *p != ':')
			return ML_UNPARSED;
	}
	p++;		/* ':' */
	while (p < e && *p == ' ')
		p++;
	o->msg.p = p;
	o->msg.n = (size_t)(e - p);
	o->prog_kind = prog_kind(o->prog);

	switch (o->prog_kind) {
	case MLP_SENDMAIL:
		return ml_sendmail_msg(o, p, e);
	case MLP_RELAYMILTER:
		return ml_relaymilter_msg(o, p, e);
	case MLP_FILTER:
		set_detail(o, p, e);
		return set_kind(o, ML_FILTER);
	case MLP_OTHER:
		break;
	}
	/*
	 * An unknown program name: accept only lines that are unmistakably
	 * sendmail's (anonymised logs damage program names, "sendu473").
	 */
	k = ml_sendmail_msg(o, p, e);
	if ((k == ML_TO && ml_get(o, "stat") != NULL) ||
	    (k == ML_FROM && ml_get(o, "nrcpts") != NULL) ||
	    k == ML_MILTER_REJECT || k == ML_MILTER_CHANGE ||
	    (k == ML_DSN && o->qid.n > 0))
		return k;
	o->kind = ML_UNPARSED;
	o->qid.n = 0;
	o->qid.p = NULL;
	o->nfields = 0;
	o->fields_truncated = false;
	o->msg.p = p;
	o->msg.n = (size_t)(e - p);
	return ML_UNPARSED;
}
