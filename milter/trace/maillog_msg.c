/*
 * maillog_msg.c - the message part of a maillog line: key=value fields and
 *		   the kinds of sendmail's and relaymilter's messages
 *
 * CONTRACT
 *	See maillog.h (fields, kinds) and maillog_int.h.
 *	Works on [p, e) byte ranges of the line only: no allocation, no reads
 *	past e, no NUL termination needed. A sendmail message is recognised
 *	by tables, one row per kind of line (its beginning or a fragment, its
 *	kind, what to take from it), tried in their order; the first row that
 *	applies decides.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "maillog.h"
#include "maillog_int.h"

static bool
starts(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

static bool
ends(const char *p, const char *e, const char *lit, size_t n)
{
	return (size_t)(e - p) >= n && memcmp(e - n, lit, n) == 0;
}

#define ENDS(p, e, lit)		ends((p), (e), (lit), sizeof(lit) - 1)

/* ------------------------------------------------------------ fields */

static const char *const split_keys[] = {
	"dsn", "version", "verify", "cipher", "bits", "stat", "reply",
	"mailer", "pri", "relay", "delay", "xdelay", "ctladdr", "size",
	"class", "nrcpts", "msgid", "proto", "daemon", "bodytype", NULL
};

/*
 * Anonymised logs lose the comma after relay= ("relay=relay_id
 * dsn=4.0.0", "relay=relay_id version=TLSv1/SSLv3"): the end of the value
 * at a " key=" with a known key, or e.
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

/* Next ", " at or after p, or e: eight bytes at a time look for a ','
 * (a zero byte in w ^ ",,,,,,,,"), then the byte after it. */
static const char *
next_sep(const char *p, const char *e)
{
	const uint64_t ones = 0x0101010101010101ULL, commas = ones * ',';
	uint64_t w;

	while (e - p >= 9) {
		memcpy(&w, p, 8);
		w ^= commas;
		if (((w - ones) & ~w & (ones * 0x80)) == 0) {
			p += 8;
			continue;
		}
		break;
	}
	for (; p + 1 < e; p++)
		if (p[0] == ',' && p[1] == ' ')
			return p;
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
			q = kn == 5 && memcmp(k, "relay", 5) == 0 ?
			    split_missing_comma(v, ve) : ve;
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

static bool
milter_error_text(const char *p, const char *e)
{
	return FIND(p, e, "error state") || FIND(p, e, "timeout") ||
	    FIND(p, e, "error connecting") || FIND(p, e, "returned") ||
	    FIND(p, e, "failed") || FIND(p, e, "error") ||
	    FIND(p, e, "select(") || FIND(p, e, "cannot") ||
	    FIND(p, e, "unsafe");
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

/* What a row does with the message it matches (the text after skip). */
enum how {
	DETAIL = 0,	/* the text is the detail */
	FIELDS,		/* key=value fields */
	FIELDS_DETAIL,	/* both */
	TO_FIELDS,	/* a delivery: fields, and whether [more] follows */
	MILTER,		/* "Milter ...": milter_line() */
	MILTER_TEXT,	/* the detail; an error or a note by its text */
	DSN_DETAIL,	/* a DSN line: the row's dsn, the text is the detail */
	RCPT_ERROR	/* the detail, if the text holds ">... " (else no match) */
};

/* One kind of line: its beginning (or a fragment), its kind, what to do. */
struct pat {
	const char	*s;
	size_t		 n;
	enum ml_kind	 k;
	enum how	 how;
	size_t		 skip;
	enum ml_dsn	 dsn;
};
#define ROW(lit, kind, how, skip, dsn) \
	{ lit, sizeof(lit) - 1, kind, how, skip, dsn }
#define PAT(lit, kind)	ROW(lit, kind, DETAIL, 0, MLD_NONE)

/* The lines of a message's life, by their beginning, tried first. */
static const struct pat kinds[] = {
	ROW("from=", ML_FROM, FIELDS, 0, MLD_NONE),
	ROW("to=", ML_TO, TO_FIELDS, 0, MLD_NONE),
	ROW("Milter", ML_UNPARSED, MILTER, 0, MLD_NONE),
	ROW("milter=", ML_MILTER_NOTE, FIELDS_DETAIL, 0, MLD_NONE),
	ROW("milter_", ML_MILTER_NOTE, MILTER_TEXT, 0, MLD_NONE),
	ROW("STARTTLS", ML_TLS, FIELDS, 0, MLD_NONE),
	ROW("SASL", ML_AUTH, DETAIL, 0, MLD_NONE),
	ROW("SSL", ML_TLS, DETAIL, 0, MLD_NONE),
	ROW("TLS", ML_TLS, FIELDS, 0, MLD_NONE),
	ROW("AUTH", ML_AUTH, FIELDS, 0, MLD_NONE),
	ROW("No worthy mechs", ML_AUTH, DETAIL, 0, MLD_NONE),
	ROW("ruleset=", ML_REJECT, FIELDS, 0, MLD_NONE),
	ROW("DSN: ", ML_DSN, DSN_DETAIL, 5, MLD_DSN),
	ROW("done; ", ML_DONE, FIELDS, 6, MLD_NONE),
	ROW("split: ", ML_CLONE, FIELDS, 7, MLD_NONE),
	ROW("<", ML_RCPT_ERROR, RCPT_ERROR, 0, MLD_NONE),
	{ NULL, 0, ML_UNPARSED, DETAIL, 0, MLD_NONE }
};

/* Other messages recognised by their beginning, tried after a DSN line
 * that starts with its queue ids (qid_dsn()). */
static const struct pat prefixes[] = {
	ROW("sender notify: ", ML_DSN, DSN_DETAIL, 15, MLD_SENDER_NOTIFY),
	PAT("lost input channel", ML_SESSION),
	PAT("timeout waiting for input", ML_SESSION),
	PAT("rejecting commands from", ML_SESSION),
	PAT("collect: ", ML_SESSION),
	PAT("Syntax error in mailbox address", ML_SESSION),
	PAT("Possible SMTP RCPT flood", ML_SESSION),
	PAT("too many recipients", ML_SESSION),
	PAT("Too many recipients", ML_SESSION),
	PAT("ETRN ", ML_SESSION),
	PAT("--- ", ML_SESSION),
	PAT("SYSERR(", ML_SYSERR),
	PAT("starting daemon", ML_DAEMON),
	PAT("started as:", ML_DAEMON),
	PAT("stopping daemon", ML_DAEMON),
	PAT("restarting ", ML_DAEMON),
	PAT("alias database", ML_DAEMON),
	PAT("My unqualified host name", ML_DAEMON),
	PAT("unable to qualify my own domain name", ML_DAEMON),
	PAT("rejecting connections on daemon", ML_DAEMON),
	PAT("accepting connections again", ML_DAEMON),
	PAT("runqueue:", ML_DAEMON),
	PAT("grew WorkList", ML_DAEMON),
	PAT("/", ML_DAEMON),		/* /etc/mail/aliases: N aliases, ... */
	PAT("daemon ", ML_DAEMON),
	PAT("queue group", ML_DAEMON),
	PAT("Authentication-Warning:", ML_NOTE),
	PAT("SMTP outgoing connect on", ML_NOTE),
	PAT("connect from ", ML_NOTE),
	PAT("discarded", ML_NOTE),
	PAT("quarantine", ML_NOTE),
	PAT("unquarantine", ML_NOTE),
	PAT("sender=", ML_NOTE),
	PAT("setsender:", ML_NOTE),
	PAT("return to sender:", ML_NOTE),
	PAT("savemail panic", ML_SYSERR),
	{ NULL, 0, ML_UNPARSED, DETAIL, 0, MLD_NONE }
};

/* Messages recognised by a fragment anywhere (inbound session noise). */
static const struct pat fragments[] = {
	PAT(" did not issue MAIL/EXPN/VRFY/ETRN", ML_SESSION),
	PAT("possible SMTP attack", ML_SESSION),
	PAT("pre-greeting traffic", ML_SESSION),
	PAT("VRFY ", ML_SESSION),
	PAT("EXPN ", ML_SESSION),
	PAT(": expn ", ML_SESSION),
	PAT(": vrfy ", ML_SESSION),
	PAT("Connection rate limit exceeded", ML_SESSION),
	PAT("Too many open connections", ML_SESSION),
	PAT(" map ", ML_DAEMON),
	PAT(" load average", ML_DAEMON),
	{ NULL, 0, ML_UNPARSED, DETAIL, 0, MLD_NONE }
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

/* Do what row pt says with the message [p, e) it matched; false when the
 * row does not apply after all (then the next rows are tried). */
static bool
apply(struct ml_line *o, const struct pat *pt, const char *p, const char *e,
    enum ml_kind *k)
{
	const char *t = p + pt->skip;

	switch (pt->how) {
	case DETAIL:
		set_detail(o, t, e);
		break;
	case FIELDS:
		parse_fields(o, t, e);
		break;
	case FIELDS_DETAIL:
		parse_fields(o, t, e);
		set_detail(o, t, e);
		break;
	case TO_FIELDS:
		parse_fields(o, t, e);
		*k = to_line(o);
		return true;
	case MILTER:
		*k = milter_line(o, t, e);
		return true;
	case MILTER_TEXT:
		set_detail(o, t, e);
		*k = set_kind(o, milter_error_text(t, e) ? ML_MILTER_ERROR :
		    ML_MILTER_NOTE);
		return true;
	case DSN_DETAIL:
		o->dsn = pt->dsn;
		set_detail(o, t, e);
		break;
	case RCPT_ERROR:
		if (FIND(t, e, ">... ") == NULL)
			return false;
		set_detail(o, t, e);
		break;
	}
	*k = set_kind(o, pt->k);
	return true;
}

/* The first row of table whose beginning the message has and that applies. */
static bool
by_beginning(struct ml_line *o, const struct pat *table, const char *p,
    const char *e, enum ml_kind *k)
{
	const struct pat *pt;

	for (pt = table; pt->s; pt++)
		if (pt->s[0] == *p && starts(p, e, pt->s, pt->n) &&
		    apply(o, pt, p, e, k))
			return true;
	return false;
}

/* The first row of table whose text is somewhere in the message. */
static bool
by_fragment(struct ml_line *o, const struct pat *table, const char *p,
    const char *e, enum ml_kind *k)
{
	const struct pat *pt;

	for (pt = table; pt->s; pt++)
		if (ml_find_(p, e, pt->s, pt->n) && apply(o, pt, p, e, k))
			return true;
	return false;
}

/* "QID: NEWQID: DSN: ..." and friends: the notice a message's queue id
 * gives about the new message (qid2) that carries it. */
static bool
qid_dsn(struct ml_line *o, const char *p, const char *e, enum ml_kind *k)
{
	const char *r;
	size_t n;

	if ((n = ml_qid_at(p, e)) == 0 || n + 2 > (size_t)(e - p))
		return false;
	r = p + n + 2;
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
		*k = set_kind(o, ML_CLONE);
		return true;
	} else {
		o->qid2.p = NULL;
		o->qid2.n = 0;
	}
	if (o->dsn == MLD_NONE)
		return false;
	set_detail(o, r, e);
	*k = set_kind(o, ML_DSN);
	return true;
}

/* The message part of a sendmail line; p after "prog[pid]: ". The tables
 * above in their order, then the session rejects and damaged deliveries. */
enum ml_kind
ml_sendmail_msg(struct ml_line *o, const char *p, const char *e)
{
	enum ml_kind k;
	size_t n;

	if (STARTS(p, e, "NOQUEUE: ")) {
		o->noqueue = true;
		p += 9;
	} else if ((n = ml_qid_at(p, e)) > 0) {
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
	if (by_beginning(o, kinds, p, e, &k) || qid_dsn(o, p, e, &k) ||
	    by_beginning(o, prefixes, p, e, &k) ||
	    by_fragment(o, fragments, p, e, &k))
		return k;
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
enum ml_kind
ml_relaymilter_msg(struct ml_line *o, const char *p, const char *e)
{
	size_t n;

	if (STARTS(p, e, "NOQUEUE: ")) {
		o->noqueue = true;
		p += 9;
	} else if ((n = ml_qid_at(p, e)) > 0) {
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

