/*
 * maillog.h - take ONE maillog line apart: time, host, program, pid, queue
 *	       id, the kind of message and its key=value fields
 *
 * CONTRACT
 *	ml_parse() is pure: no I/O, no allocation, no global state, no locale.
 *	It reads exactly len bytes of line (NUL bytes included, no terminator
 *	needed), never more, and is safe on any byte sequence: fuzzers call
 *	it. Every span it fills points into line, so the line must outlive the
 *	struct ml_line. Trailing white space and CR/LF are ignored.
 *
 *	Header forms understood: RFC 3164 ("Jan  5 00:13:30 host prog[pid]:"),
 *	ISO 8601 / RFC 3339 (rsyslog, `journalctl -o short-iso`, with or
 *	without fraction and zone), a "<22>" or "<mail.info>" priority before
 *	or after the time, programs without pid, syslog's own lines ("last
 *	message repeated", "-- MARK --", journal banners).
 *
 *	The kind says what the line is. ML_UNPARSED means "not understood";
 *	every other kind, including the ones that are not about outbound
 *	delivery (inbound rejects, session noise, other filters' lines), is a
 *	line the parser recognised. Lines of relaymilter (program
 *	"relaymilter") are decision lines when they carry action=.
 *
 *	Fields: "key=value" items separated by ", " (sendmail's logging style).
 *	stat=, reject= and the message part of DSN lines run to the end of the
 *	line (they contain ", "); reply= runs to ", stat=". A value starting
 *	with '"' ends at the matching unescaped quote (relaymilter's quoting,
 *	sendmail's "|program" recipients); ml_unquote() removes the quoting.
 *	An item without '=' is kept with an empty key. At most ML_MAX_FIELDS
 *	items are kept; more set fields_truncated (never silently).
 */
#ifndef RM_MAILLOG_H
#define RM_MAILLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct ml_span {
	const char	*p;
	size_t		 n;
};

enum ml_kind {
	ML_UNPARSED = 0,	/* not understood */
	ML_FROM,		/* QID: from=<..>, size=, nrcpts=, ... */
	ML_TO,			/* QID: to=<..>, delay=, mailer=, ..., stat= */
	ML_MILTER_CHANGE,	/* Milter (NAME) chgfrom:/add:/insert/..., Milter add: */
	ML_MILTER_REJECT,	/* Milter: to=|from=|data, reject=|discard */
	ML_MILTER_ERROR,	/* Milter (NAME): to error state, timeouts, ... */
	ML_MILTER_NOTE,		/* Milter: no active filter, milter=NAME, ... */
	ML_DSN,			/* QID: NEWQID: DSN:|sender notify:|return to sender: */
	ML_CLONE,		/* QID: NEWQID: clone: owner=, split: */
	ML_DONE,		/* QID: done; delay=, ntries= */
	ML_TLS,			/* STARTTLS=client|server, ... (usually no qid) */
	ML_AUTH,		/* AUTH=client|server, AUTH failure, No worthy mechs */
	ML_DECISION,		/* relaymilter: QID: action=..., result=... */
	ML_RELAYMILTER,		/* any other relaymilter line */
	ML_REJECT,		/* ruleset=check_*, ..., reject= (inbound policy) */
	ML_RCPT_ERROR,		/* <addr>... User unknown (inbound) */
	ML_SESSION,		/* lost input channel, did not issue MAIL, ... */
	ML_SYSERR,		/* SYSERR(user): ... */
	ML_DAEMON,		/* daemon start/stop, aliases, load average, maps */
	ML_NOTE,		/* other known sendmail notes */
	ML_FILTER,		/* another known mail filter's line (MIMEDefang, ...) */
	ML_SYSLOG,		/* syslog's own lines */
	ML_KIND_COUNT
};

/* What program wrote the line. */
enum ml_prog {
	MLP_OTHER = 0,		/* unknown program name */
	MLP_SENDMAIL,		/* sendmail, sm-mta, sm-msp-queue, sm-* */
	MLP_RELAYMILTER,
	MLP_FILTER		/* a known third-party filter or helper */
};

/* DSN line flavours (ML_DSN). */
enum ml_dsn {
	MLD_NONE = 0,
	MLD_DSN,		/* "DSN: <reason>" (bounce or delay notice) */
	MLD_SENDER_NOTIFY,	/* "sender notify: <reason>" */
	MLD_RETURN,		/* "return to sender: <reason>" */
	MLD_POSTMASTER		/* "postmaster notify: <reason>" */
};

struct ml_time {
	int	 year;		/* 0: the line has no year (RFC 3164) */
	int	 mon;		/* 1..12 */
	int	 mday;		/* 1..31 */
	int	 hour, min, sec;
	int	 usec;		/* 0 when absent */
	int	 tzoff;		/* seconds east of UTC, valid when has_tz */
	bool	 has_tz;
};

#define ML_MAX_FIELDS	32

struct ml_field {
	struct ml_span	 key;	/* empty for an item without '=' */
	struct ml_span	 val;
};

struct ml_line {
	enum ml_kind	 kind;
	enum ml_prog	 prog_kind;
	struct ml_time	 ts;
	bool		 has_ts;
	struct ml_span	 prio;		/* "mail.info" or "22" without <>, or empty */
	struct ml_span	 host;
	struct ml_span	 prog;
	long		 pid;		/* -1 when absent */
	struct ml_span	 qid;		/* empty when the line has none */
	bool		 noqueue;	/* "NOQUEUE: " */
	struct ml_span	 msg;		/* the text after "QID: " (or the tag) */
	struct ml_span	 qid2;		/* DSN/clone: the new queue id */
	enum ml_dsn	 dsn;
	struct ml_span	 milter;	/* Milter (NAME): NAME */
	struct ml_span	 detail;	/* DSN reason, milter action text, ... */
	bool		 more;		/* to= ... [more] continuation */
	size_t		 nfields;
	bool		 fields_truncated;
	struct ml_field	 f[ML_MAX_FIELDS];
};

/* Parse one line; returns out->kind (ML_UNPARSED when not understood). */
enum ml_kind	 ml_parse(const char *line, size_t len, struct ml_line *out);

const char	*ml_kind_name(enum ml_kind k);

/* The value of the first field named key, or NULL. */
const struct ml_span *ml_get(const struct ml_line *l, const char *key);

/* Inline so that strlen() of a literal folds to a constant. */
static inline bool
ml_span_eq(struct ml_span s, const char *lit)
{
	size_t n = __builtin_strlen(lit);

	return s.n == n && (n == 0 || __builtin_memcmp(s.p, lit, n) == 0);
}

static inline bool
ml_span_starts(struct ml_span s, const char *lit)
{
	size_t n = __builtin_strlen(lit);

	return s.n >= n && __builtin_memcmp(s.p, lit, n) == 0;
}

bool		 ml_span_ieq(struct ml_span s, const char *lit);
/* Case-insensitive substring search; returns the offset or -1. */
long		 ml_span_find(struct ml_span s, const char *lit);
/* Case-sensitive substring search (memmem); the offset or -1. */
long		 ml_span_mem(struct ml_span s, const char *lit);

/*
 * Append s to sb: without its surrounding quotes and backslash escapes
 * when it is a quoted value, as is otherwise. -1 on allocation failure.
 */
int		 ml_unquote(struct ml_span s, strbuf *sb);

/* sendmail's delay= "HH:MM:SS" or "D+HH:MM:SS" in seconds; -1 if bad. */
long		 ml_delay(struct ml_span s);

/* Seconds since the epoch of a UTC calendar time (proleptic Gregorian). */
int64_t		 ml_epoch_utc(int year, int mon, int mday, int hour, int min,
		    int sec);

/* Is s a plausible sendmail queue id (12..20 characters, see maillog.c)? */
bool		 ml_is_qid(const char *s, size_t n);

#endif
