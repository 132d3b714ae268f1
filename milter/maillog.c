/*
 * maillog.c - parse one maillog line (sendmail, relaymilter, neighbours)
 *
 * CONTRACT
 *	See include/maillog.h. Hand-written scanning over [p, e) byte ranges:
 *	no regex, no allocation, no reads past the given length, no
 *	dependence on NUL termination or the locale. Unknown input yields
 *	ML_UNPARSED, never a crash.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "maillog.h"

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

/* ------------------------------------------------------------ helpers */

static inline bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static inline bool
is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool
is_keych(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-' || c == '.';
}

static inline int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static inline bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' ||
	    c == '\f' || c == '\v';
}

/* [p, e) starts with the literal? */
static inline bool
starts(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}
#define STARTS(p, e, lit)	starts((p), (e), (lit), sizeof(lit) - 1)

/* Case-sensitive search of lit in [p, e); NULL when absent. */
static const char *
find(const char *p, const char *e, const char *lit, size_t n)
{
	const char *q;

	if (n == 0 || (size_t)(e - p) < n)
		return NULL;
	while ((q = memchr(p, lit[0], (size_t)(e - p) - n + 1)) != NULL) {
		if (memcmp(q, lit, n) == 0)
			return q;
		p = q + 1;
		if ((size_t)(e - p) < n)
			break;
	}
	return NULL;
}
#define FIND(p, e, lit)		find((p), (e), (lit), sizeof(lit) - 1)

static inline bool
ends(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(e - n, lit, n) == 0;
}
#define ENDS(p, e, lit)		ends((p), (e), (lit), sizeof(lit) - 1)

bool
ml_span_eq(struct ml_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

bool
ml_span_ieq(struct ml_span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.n != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

bool
ml_span_starts(struct ml_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

long
ml_span_find(struct ml_span s, const char *lit)
{
	size_t i, j, n = strlen(lit);

	if (n == 0)
		return 0;
	if (s.n < n)
		return -1;
	for (i = 0; i + n <= s.n; i++) {
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s.p[i + j]) !=
			    lower((unsigned char)lit[j]))
				break;
		if (j == n)
			return (long)i;
	}
	return -1;
}

const struct ml_span *
ml_get(const struct ml_line *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nfields; i++)
		if (l->f[i].key.n > 0 && ml_span_eq(l->f[i].key, key))
			return &l->f[i].val;
	return NULL;
}

int
ml_unquote(struct ml_span s, strbuf *sb)
{
	size_t i;

	if (s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return sb_append(sb, s.p, s.n);
	for (i = 1; i + 1 < s.n; i++) {
		if (s.p[i] == '\\' && i + 2 < s.n)
			i++;
		if (sb_putc(sb, s.p[i]) < 0)
			return -1;
	}
	return sb->err ? -1 : 0;
}

/* Parse 1..maxd digits at *pp, value in *v; false if none or too many. */
static bool
digits(const char **pp, const char *e, size_t mind, size_t maxd, long *v)
{
	const char *p = *pp;
	size_t n = 0;
	long x = 0;

	while (p < e && is_digit((unsigned char)*p) && n < maxd) {
		x = x * 10 + (*p - '0');
		p++, n++;
	}
	if (n < mind || (p < e && is_digit((unsigned char)*p)))
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

/*
 * sendmail queue ids: 8 characters of date and sequence from [0-9A-Za-z]
 * plus the pid printed with at least 6 digits; 14 characters, 15 with
 * 7-digit pids, up to 20 in some builds. Older formats are 12 long. The
 * last four characters are always digits.
 */
bool
ml_is_qid(const char *s, size_t n)
{
	size_t i;

	if (n < 12 || n > 20)
		return false;
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)s[i]))
			return false;
	for (i = n - 4; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return true;
}

/* A queue id followed by ':' and a blank (or the end) at p; its length. */
static size_t
qid_at(const char *p, const char *e)
{
	const char *q = p;

	while (q < e && q - p <= 20 && is_alnum((unsigned char)*q))
		q++;
	if (q >= e || *q != ':' || !ml_is_qid(p, (size_t)(q - p)))
		return 0;
	if (q + 1 < e && q[1] != ' ')
		return 0;
	return (size_t)(q - p);
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
		while (p < e && is_digit((unsigned char)*p)) {
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
		if (e - p < 2 || !is_digit((unsigned char)p[0]) ||
		    !is_digit((unsigned char)p[1]))
			return NULL;
		zh = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (p < e && *p == ':')
			p++;
		if (p < e && is_digit((unsigned char)*p) &&
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

/* ------------------------------------------------------------ fields */

static const char *const split_keys[] = {
	"dsn", "version", "verify", "cipher", "bits", "stat", "reply",
	"mailer", "pri", "relay", "delay", "xdelay", "ctladdr", "size",
	"class", "nrcpts", "msgid", "proto", "daemon", "bodytype", NULL
};

/*
 * Anonymised or damaged logs lose a comma ("relay=relay_id dsn=4.0.0"):
 * the end of a value at a " key=" with a known key, or e.
 */
static const char *
split_missing_comma(const char *v, const char *e)
{
	const char *q, *k;
	size_t i, n;

	if (memchr(v, '=', (size_t)(e - v)) == NULL)
		return e;
	for (q = v; q < e; q++) {
		if (*q != ' ')
			continue;
		k = q + 1;
		for (i = 0; split_keys[i]; i++) {
			n = strlen(split_keys[i]);
			if ((size_t)(e - k) > n && memcmp(k, split_keys[i], n) == 0 &&
			    k[n] == '=')
				return q;
		}
	}
	return e;
}

/* Next ", " at or after p, or e. */
static const char *
next_sep(const char *p, const char *e)
{
	const char *q;

	while (p < e && (q = memchr(p, ',', (size_t)(e - p))) != NULL) {
		if (q + 1 < e && q[1] == ' ')
			return q;
		p = q + 1;
	}
	return e;
}

static bool
runs_to_end(const char *k, size_t n)
{
	return (n == 4 && memcmp(k, "stat", 4) == 0) ||
	    (n == 6 && memcmp(k, "reject", 6) == 0);
}

static void
add_field(struct ml_line *o, const char *k, size_t kn, const char *v,
    size_t vn)
{
	if (o->nfields >= ML_MAX_FIELDS) {
		o->fields_truncated = true;
		return;
	}
	o->f[o->nfields].key.p = k;
	o->f[o->nfields].key.n = kn;
	o->f[o->nfields].val.p = v;
	o->f[o->nfields].val.n = vn;
	o->nfields++;
}

static void
parse_fields(struct ml_line *o, const char *p, const char *e)
{
	const char *k, *kend, *v, *ve, *q;
	size_t kn;

	while (p < e) {
		while (p < e && *p == ' ')
			p++;
		if (p >= e)
			break;
		k = p;
		while (p < e && is_keych((unsigned char)*p))
			p++;
		if (p < e && *p == '=' && p > k) {
			kend = p;
			kn = (size_t)(kend - k);
			v = p + 1;
		} else {
			kn = 0;
			v = k;
		}
		if (kn > 0 && runs_to_end(k, kn))
			ve = e;
		else if (kn == 5 && memcmp(k, "reply", 5) == 0) {
			if ((ve = FIND(v, e, ", stat=")) == NULL)
				ve = e;
		} else if (v < e && *v == '"') {
			for (q = v + 1; q < e; q++) {
				if (*q == '\\' && q + 1 < e)
					q++;
				else if (*q == '"')
					break;
			}
			ve = next_sep(q < e ? q + 1 : e, e);
		} else {
			ve = next_sep(v, e);
			q = split_missing_comma(v, ve);
			if (q < ve) {
				add_field(o, k, kn, v, (size_t)(q - v));
				p = q + 1;
				continue;
			}
		}
		add_field(o, k, kn, v, (size_t)(ve - v));
		p = ve;
		if (p < e)
			p += 2;		/* ", " */
	}
}

/* ------------------------------------------------------------ messages */

static enum ml_kind
set_kind(struct ml_line *o, enum ml_kind k)
{
	o->kind = k;
	return k;
}

static void
set_detail(struct ml_line *o, const char *p, const char *e)
{
	o->detail.p = p;
	o->detail.n = (size_t)(e - p);
}

static bool
milter_error_text(const char *p, const char *e)
{
	return FIND(p, e, "error state") || FIND(p, e, "timeout") ||
	    FIND(p, e, "error connecting") || FIND(p, e, "returned") ||
	    FIND(p, e, "failed") || FIND(p, e, "error") ||
	    FIND(p, e, "select(") || FIND(p, e, "cannot");
}

/* p at "Milter" */
static enum ml_kind
milter_line(struct ml_line *o, const char *p, const char *e)
{
	const char *q, *r;

	p += 6;
	if (STARTS(p, e, " (")) {
		/* Milter (NAME) op ... | Milter (NAME): error text */
		q = p + 2;
		if ((r = memchr(q, ')', (size_t)(e - q))) == NULL)
			return ML_UNPARSED;
		o->milter.p = q;
		o->milter.n = (size_t)(r - q);
		r++;
		if (r < e && *r == ':') {
			r++;
			while (r < e && *r == ' ')
				r++;
			set_detail(o, r, e);
			return set_kind(o, milter_error_text(r, e) ?
			    ML_MILTER_ERROR : ML_MILTER_NOTE);
		}
		while (r < e && *r == ' ')
			r++;
		set_detail(o, r, e);
		return set_kind(o, ML_MILTER_CHANGE);
	}
	if (STARTS(p, e, ": ")) {
		p += 2;
		set_detail(o, p, e);
		if (FIND(p, e, "reject=") || FIND(p, e, "discard") ||
		    FIND(p, e, "tempfail") || FIND(p, e, "quarantine")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_MILTER_REJECT);
		}
		if (milter_error_text(p, e))
			return set_kind(o, ML_MILTER_ERROR);
		return set_kind(o, ML_MILTER_NOTE);
	}
	/* pre-8.16: Milter add: header: ..., Milter change: ..., insert */
	if (p < e && *p == ' ') {
		p++;
		if (STARTS(p, e, "add") || STARTS(p, e, "change") ||
		    STARTS(p, e, "insert") || STARTS(p, e, "delete") ||
		    STARTS(p, e, "chgfrom") || STARTS(p, e, "message") ||
		    STARTS(p, e, "quarantine")) {
			set_detail(o, p, e);
			return set_kind(o, ML_MILTER_CHANGE);
		}
	}
	return ML_UNPARSED;
}

struct pat {
	const char	*s;
	enum ml_kind	 k;
};

/* Messages recognised by their beginning. */
static const struct pat prefixes[] = {
	{ "lost input channel", ML_SESSION },
	{ "timeout waiting for input", ML_SESSION },
	{ "rejecting commands from", ML_SESSION },
	{ "collect: ", ML_SESSION },
	{ "Syntax error in mailbox address", ML_SESSION },
	{ "Possible SMTP RCPT flood", ML_SESSION },
	{ "too many recipients", ML_SESSION },
	{ "Too many recipients", ML_SESSION },
	{ "ETRN ", ML_SESSION },
	{ "--- ", ML_SESSION },
	{ "SYSERR(", ML_SYSERR },
	{ "starting daemon", ML_DAEMON },
	{ "started as:", ML_DAEMON },
	{ "stopping daemon", ML_DAEMON },
	{ "restarting ", ML_DAEMON },
	{ "alias database", ML_DAEMON },
	{ "My unqualified host name", ML_DAEMON },
	{ "unable to qualify my own domain name", ML_DAEMON },
	{ "rejecting connections on daemon", ML_DAEMON },
	{ "accepting connections again", ML_DAEMON },
	{ "runqueue:", ML_DAEMON },
	{ "grew WorkList", ML_DAEMON },
	{ "/", ML_DAEMON },		/* /etc/mail/aliases: N aliases, ... */
	{ "daemon ", ML_DAEMON },
	{ "queue group", ML_DAEMON },
	{ "Authentication-Warning:", ML_NOTE },
	{ "SMTP outgoing connect on", ML_NOTE },
	{ "connect from ", ML_NOTE },
	{ "discarded", ML_NOTE },
	{ "quarantine", ML_NOTE },
	{ "unquarantine", ML_NOTE },
	{ "sender=", ML_NOTE },
	{ "setsender:", ML_NOTE },
	{ "return to sender:", ML_NOTE },
	{ "savemail panic", ML_SYSERR },
	{ NULL, ML_UNPARSED }
};

/* Messages recognised by a fragment anywhere (inbound session noise). */
static const struct pat fragments[] = {
	{ " did not issue MAIL/EXPN/VRFY/ETRN", ML_SESSION },
	{ "possible SMTP attack", ML_SESSION },
	{ "pre-greeting traffic", ML_SESSION },
	{ "VRFY ", ML_SESSION },
	{ "EXPN ", ML_SESSION },
	{ ": expn ", ML_SESSION },
	{ ": vrfy ", ML_SESSION },
	{ "Connection rate limit exceeded", ML_SESSION },
	{ "Too many open connections", ML_SESSION },
	{ " map ", ML_DAEMON },
	{ " load average", ML_DAEMON },
	{ NULL, ML_UNPARSED }
};

/* A damaged or unusual delivery line: a field list with delay= and stat=. */
static bool
looks_like_delivery(struct ml_line *o, const char *p, const char *e)
{
	if (FIND(p, e, ", stat=") == NULL || FIND(p, e, "delay=") == NULL)
		return false;
	parse_fields(o, p, e);
	if (o->nfields < 2 || o->f[0].key.n == 0)
		return false;
	return ml_get(o, "stat") != NULL;
}

static enum ml_kind
to_line(struct ml_line *o)
{
	size_t i;

	for (i = 1; i < o->nfields; i++)
		if (o->f[i].key.n == 0 && ml_span_eq(o->f[i].val, "[more]"))
			o->more = true;
	return set_kind(o, ML_TO);
}

/* The message part of a sendmail line; p after "prog[pid]: ". */
static enum ml_kind
sendmail_msg(struct ml_line *o, const char *p, const char *e)
{
	const struct pat *pt;
	size_t n;

	if (STARTS(p, e, "NOQUEUE: ")) {
		o->noqueue = true;
		p += 9;
	} else if ((n = qid_at(p, e)) > 0) {
		o->qid.p = p;
		o->qid.n = n;
		p += n + 1;
		if (p < e)
			p++;
	}
	o->msg.p = p;
	o->msg.n = (size_t)(e - p);
	if (p >= e)
		return ML_UNPARSED;

	switch (*p) {
	case 'f':
		if (STARTS(p, e, "from=")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_FROM);
		}
		break;
	case 't':
		if (STARTS(p, e, "to=")) {
			parse_fields(o, p, e);
			return to_line(o);
		}
		break;
	case 'M':
		if (STARTS(p, e, "Milter"))
			return milter_line(o, p, e);
		break;
	case 'm':
		if (STARTS(p, e, "milter=")) {
			parse_fields(o, p, e);
			set_detail(o, p, e);
			return set_kind(o, ML_MILTER_NOTE);
		}
		if (STARTS(p, e, "milter_")) {
			set_detail(o, p, e);
			return set_kind(o, milter_error_text(p, e) ?
			    ML_MILTER_ERROR : ML_MILTER_NOTE);
		}
		break;
	case 'S':
		if (STARTS(p, e, "STARTTLS")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_TLS);
		}
		if (STARTS(p, e, "SASL") || STARTS(p, e, "SSL")) {
			set_detail(o, p, e);
			return set_kind(o, STARTS(p, e, "SSL") ? ML_TLS :
			    ML_AUTH);
		}
		break;
	case 'T':
		if (STARTS(p, e, "TLS")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_TLS);
		}
		break;
	case 'A':
		if (STARTS(p, e, "AUTH")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_AUTH);
		}
		break;
	case 'N':
		if (STARTS(p, e, "No worthy mechs")) {
			set_detail(o, p, e);
			return set_kind(o, ML_AUTH);
		}
		break;
	case 'r':
		if (STARTS(p, e, "ruleset=")) {
			parse_fields(o, p, e);
			return set_kind(o, ML_REJECT);
		}
		break;
	case 'D':
		if (STARTS(p, e, "DSN: ")) {
			o->dsn = MLD_DSN;
			set_detail(o, p + 5, e);
			return set_kind(o, ML_DSN);
		}
		break;
	case 'd':
		if (STARTS(p, e, "done; ")) {
			parse_fields(o, p + 6, e);
			return set_kind(o, ML_DONE);
		}
		break;
	case 's':
		if (STARTS(p, e, "split: ")) {
			parse_fields(o, p + 7, e);
			return set_kind(o, ML_CLONE);
		}
		break;
	case '<':
		if (FIND(p, e, ">... ") != NULL) {
			set_detail(o, p, e);
			return set_kind(o, ML_RCPT_ERROR);
		}
		break;
	}

	/* QID: NEWQID: DSN: ... and friends */
	if ((n = qid_at(p, e)) > 0 && n + 2 <= (size_t)(e - p)) {
		const char *r = p + n + 2;

		o->qid2.p = p;
		o->qid2.n = n;
		if (STARTS(r, e, "DSN: "))
			o->dsn = MLD_DSN, r += 5;
		else if (STARTS(r, e, "sender notify: "))
			o->dsn = MLD_SENDER_NOTIFY, r += 15;
		else if (STARTS(r, e, "return to sender: "))
			o->dsn = MLD_RETURN, r += 18;
		else if (STARTS(r, e, "postmaster notify: "))
			o->dsn = MLD_POSTMASTER, r += 19;
		else if (STARTS(r, e, "clone: ")) {
			parse_fields(o, r + 7, e);
			return set_kind(o, ML_CLONE);
		} else {
			o->qid2.p = NULL;
			o->qid2.n = 0;
		}
		if (o->dsn != MLD_NONE) {
			set_detail(o, r, e);
			return set_kind(o, ML_DSN);
		}
	}
	if (STARTS(p, e, "sender notify: ")) {
		o->dsn = MLD_SENDER_NOTIFY;
		set_detail(o, p + 15, e);
		return set_kind(o, ML_DSN);
	}
	for (pt = prefixes; pt->s; pt++)
		if (starts(p, e, pt->s, strlen(pt->s))) {
			set_detail(o, p, e);
			return set_kind(o, pt->k);
		}
	for (pt = fragments; pt->s; pt++)
		if (find(p, e, pt->s, strlen(pt->s))) {
			set_detail(o, p, e);
			return set_kind(o, pt->k);
		}
	if (ENDS(p, e, "[rejected]")) {
		set_detail(o, p, e);
		return set_kind(o, ML_SESSION);
	}
	if (looks_like_delivery(o, p, e))
		return to_line(o);
	o->nfields = 0;
	o->fields_truncated = false;
	return ML_UNPARSED;
}

/* relaymilter's own lines */
static enum ml_kind
relaymilter_msg(struct ml_line *o, const char *p, const char *e)
{
	size_t n;

	if (STARTS(p, e, "NOQUEUE: ")) {
		o->noqueue = true;
		p += 9;
	} else if ((n = qid_at(p, e)) > 0) {
		o->qid.p = p;
		o->qid.n = n;
		p += n + 1;
		if (p < e)
			p++;
	}
	o->msg.p = p;
	o->msg.n = (size_t)(e - p);
	parse_fields(o, p, e);
	if (o->nfields > 0 && ml_span_eq(o->f[0].key, "action"))
		return set_kind(o, ML_DECISION);
	return set_kind(o, ML_RELAYMILTER);
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

	memset(o, 0, offsetof(struct ml_line, f));
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
	if (p < e && is_digit((unsigned char)*p))
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
		return sendmail_msg(o, p, e);
	case MLP_RELAYMILTER:
		return relaymilter_msg(o, p, e);
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
	k = sendmail_msg(o, p, e);
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
