/*
 * trace.h - join maillog lines into messages, decide outcomes and causes
 *
 * CONTRACT
 *	A struct trace consumes maillog lines one at a time (trace_feed) in
 *	one streaming pass and hands every finished message to the sink
 *	exactly once (TR_EMIT_FINAL, _EXPIRED or _END); a deferred message
 *	may also be shown earlier, once, when it crosses opts.max_defer
 *	(TR_EMIT_THRESHOLD). Messages are keyed by (host, queue id). Lines
 *	without a queue id (STARTTLS=client, AUTH=client, SYSERR) are tied to
 *	the delivery that follows on the same host and pid within
 *	opts.evidence_window seconds.
 *
 *	Memory is bounded: a finished message is kept opts.grace seconds of
 *	log time for late lines (DSN, hand-off) and then emitted and freed;
 *	a deferred one is kept until it ends or stays silent longer than
 *	opts.queue_lifetime; one with no delivery line at all is dropped
 *	after opts.idle_limit. At most opts.max_open messages (and a fixed
 *	budget of bytes) are open at once: beyond, the oldest is emitted
 *	as TR_EMIT_EVICTED and counted. A message keeps a bounded number of
 *	recipients (more are counted in rcpt_dropped), found by a hash index
 *	when there are many. Hosts without open messages are forgotten when
 *	there are many of them. A bounce notice that is
 *	only named by a DSN line (its own lines never came) is not reported:
 *	the original message names it. Per-line work does not
 *	allocate except when a message or a new field value appears.
 *
 *	Time (trace_time.c): lines without a year or zone (RFC 3164) are
 *	local time of the year that puts them nearest to the recent lines of
 *	their host (the first line: at most a day after opts.now). The log
 *	clock is the latest line time seen, except that a line out of time
 *	(more than an hour into the future of opts.now and opts.wall, or an
 *	hour before its host's recent lines) is clamped to its host's time
 *	and counted, and a jump of more than an hour ahead moves the clock
 *	only once the next line of that host agrees. No I/O: printing is
 *	the sink's business.
 *	A struct tr_msg handed to the sink is valid only during the call.
 */
#ifndef RM_TRACE_H
#define RM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causes.h"
#include "maillog.h"

enum tr_outcome {
	TR_PENDING = 0,		/* no delivery line yet */
	TR_SENT,		/* delivered (or handed to the next MTA) */
	TR_DEFERRED,		/* last attempt failed temporarily, queued */
	TR_BOUNCED,		/* failed permanently, sender notified */
	TR_REJECTED,		/* refused while being received (no delivery) */
	TR_DISCARDED,		/* a milter or rule discarded it */
	TR_TEMPFAILED,		/* refused for now while being received (a
				 * milter down: sendmail's 451 4.3.2); the
				 * client keeps it and retries */
	TR_OUTCOME_COUNT
};

enum tr_emit {
	TR_EMIT_FINAL = 0,	/* every recipient has a final outcome */
	TR_EMIT_THRESHOLD,	/* still deferred, older than max_defer */
	TR_EMIT_EXPIRED,	/* silent too long, dropped while open */
	TR_EMIT_END,		/* end of input, still open */
	TR_EMIT_EVICTED		/* dropped while open: too many open messages
				 * (opts.max_open) or too much memory */
};

struct tr_rcpt {
	const char	*addr;
	enum tr_outcome	 outcome;
	unsigned	 attempts;	/* to= lines seen for it */
	unsigned	 deferrals;
	int64_t		 first_try, last_try;
	long		 delay, xdelay;	/* seconds from the last line, -1 */
	const char	*mailer, *relay, *dsn, *reply, *stat;
	const char	*tls;		/* STARTTLS=client evidence of the last try */
	const char	*auth;		/* AUTH=client evidence of the last try */
	const char	*evidence;	/* other evidence used to classify */
	const char	*handoff;	/* next queue id ("Message accepted") */
	const struct cause *cause;	/* final or last attempt's cause */
	const struct cause *last_cause;	/* cause of the last failed attempt */
	const struct cause *earlier[3];	/* other causes of earlier failed
					 * attempts, first seen first */
	const char	*fix;		/* cause's fix for this set-up, or NULL:
					 * cause->fix */
	unsigned	 setup;		/* CAUSE_SETUP_* known for it */
	const char	*basis;		/* the evidence of the log the cause
					 * rests on (ports, destinations) */
	const char	*dest;		/* destination of the last failure */
	const char	*first_qid;	/* cached: the real first failure */
	int64_t		 first_fail;	/* ... its time, 0 unknown */
	const char	*first_text;	/* ... its stat= */
	int64_t		 last_fail;	/* time of the last failed attempt */
	unsigned long	 ndfail;	/* destinations failing on its mailer
					 * since one last worked, then */
	bool		 cf_newer;	/* explained with a sendmail.cf changed
					 * after the attempt */
	bool		 cached;	/* host status cache, no connection */
};

#define TR_MAX_POLICY	4

struct tr_decision {
	const char	*action, *reason, *from, *to, *account, *relay;
	const char	*spf, *spf_ip, *align, *hint, *header_from, *trace;
	const char	*result, *error;
	const char	*dmarc, *dmarc_policy;	/* issue 16's prediction */
	/* the relay budget (kept without opts.details too: the Prometheus
	 * textfile exports them) */
	const char	*budget, *budget_window, *budget_key, *budget_hold;
	const char	*budget_warn;
};

struct tr_msg {
	const char	*host;
	const char	*qid;
	int64_t		 first, last;	/* times of its first and last line */
	int64_t		 ctime;		/* creation time (line time - delay) */
	unsigned	 lines;
	const char	*from;
	long		 size;		/* -1 unknown */
	long		 nrcpts;	/* -1 unknown */
	const char	*msgid, *relay_in, *proto, *daemon;
	const char	*milter;	/* name of the milter that changed it */
	const char	*chgfrom;	/* Milter chgfrom: value */
	const char	*trace_header;	/* X-Relay-Trace value added */
	unsigned	 header_changes;
	bool		 has_decision;
	struct tr_decision d;
	const struct cause *policy[TR_MAX_POLICY];
	size_t		 npolicy;
	const char	*reject;	/* milter or ruleset reject text */
	const char	*milter_error;
	const char	*dsn_qid;	/* the bounce/notice it caused */
	const char	*dsn_reason;
	const char	*orig_qid;	/* it is a DSN about orig_qid */
	const char	*msp_qid;	/* submitted through this MSP queue id */
	const char	*msp_from;
	const char	*mta_qid;	/* handed to the MTA as this queue id */
	bool		 delay_warned;	/* a "could not send for past" notice */
	struct tr_rcpt	*rcpt;
	size_t		 nrcpt;
	unsigned long	 rcpt_dropped;	/* addresses beyond the limit of
					 * recipients kept per message */
	enum tr_outcome	 outcome;	/* whole message, see trace_tick.c */
	const struct cause *cause;	/* worst recipient's cause */
	bool		 threshold_emitted;
};

struct tr_sink {
	void	(*message)(void *ctx, const struct tr_msg *m, enum tr_emit why,
		    int64_t now);
	/* one delivery attempt (to= line) just classified; may be NULL */
	void	(*attempt)(void *ctx, const struct tr_msg *m,
		    const struct tr_rcpt *r, int64_t when);
	/* a line the parser did not understand; may be NULL */
	void	(*unparsed)(void *ctx, const char *src, unsigned long lineno,
		    const char *line, size_t len);
	void	*ctx;
};

struct tr_opts {
	long	 max_defer;		/* seconds, 30 min */
	long	 grace;			/* seconds a finished message waits */
	long	 queue_lifetime;	/* seconds, 5 days */
	long	 idle_limit;		/* seconds for messages never delivered */
	long	 evidence_window;	/* seconds, pid-matched lines */
	unsigned long max_open;		/* messages kept open at most */
	long	 port_window;		/* seconds around a failure in which a
					 * connection that worked counts (1 h) */
	int64_t	 now;			/* reference time for year guessing */
	int64_t	 wall;			/* the machine's clock: no line is
					 * later than this (and now) plus an
					 * hour */
	/* false: keep only what counts, causes and alerts need (the
	 * summary, Prometheus and --alert outputs); the message id, client,
	 * protocol, trace header, TLS and AUTH details, decision details and
	 * the texts of successful deliveries are then left NULL */
	bool	 details;
	int	 year;			/* force the year of RFC 3164 lines */
	/* port of the relay per mailer name, from sendmail.cf or -p */
	int	 (*mailer_port)(void *ctx, const char *mailer);
	void	*port_ctx;
	/* what sendmail.cf says of the set-up: CAUSE_SETUP_HOSTSTAT or
	 * _NO_HOSTSTAT (0: unknown), and the smarthost's mailer ("" when
	 * there is no smarthost, NULL when sendmail.cf is unknown) */
	unsigned	 cf_setup;
	const char	*smarthost_mailer;
	int64_t		 cf_mtime;	/* sendmail.cf's time, 0: unknown */
	/* the words sendmail.cf itself puts in class w (LOCAL_DOMAIN,
	 * Cw lines; not those of files), when sendmail.cf is known */
	const char *const *class_w;
	size_t		 nclass_w;
};

struct tr_stats {
	unsigned long	 lines;
	unsigned long	 kinds[ML_KIND_COUNT];
	unsigned long	 unparsed;
	unsigned long	 blank;		/* empty lines: skipped, not unparsed */
	unsigned long	 messages;	/* message records created */
	unsigned long	 emitted[TR_OUTCOME_COUNT];
	unsigned long	 open;		/* records open now */
	unsigned long	 open_max;	/* the most ever open at once */
	unsigned long	 clamped;	/* lines out of time (trace_time.c) */
	unsigned long	 evicted;	/* messages dropped while open */
	unsigned long	 hosts;		/* hosts known now */
	unsigned long	 hosts_pruned;	/* forgotten: quiet, no open message */
	int64_t		 first_time, last_time;	/* log clock range */
};

struct trace;

void		 tr_opts_default(struct tr_opts *o);
struct trace	*trace_new(const struct tr_opts *o, const struct tr_sink *sink);
void		 trace_free(struct trace *t);
/* src/lineno only label unparsed lines. -1 on allocation failure. */
int		 trace_feed(struct trace *t, const char *src, unsigned long lineno,
		    const char *line, size_t len);
/* Count a line the reader could not even hand over (longer than its
 * limit) as not understood; line/len is the part to show. */
void		 trace_unparsed(struct trace *t, const char *src,
		    unsigned long lineno, const char *line, size_t len);
/* Emit what grace, limits and max_defer release at time now. */
void		 trace_tick(struct trace *t, int64_t now);
/* End of input: emit every message still open (TR_EMIT_END), as of
 * now (the log clock when it is later). */
void		 trace_finish(struct trace *t, int64_t now);
const struct tr_stats *trace_stats(const struct trace *t);
/* Open deferred messages: how many, and the age of the oldest. */
void		 trace_deferred(const struct trace *t, int64_t now,
		    unsigned long *count, long *oldest_age);
/* A follower's reference time and the machine's clock moved on. */
void		 trace_set_now(struct trace *t, int64_t now, int64_t wall);
/* The log clock (latest line time seen), 0 before the first line. */
int64_t		 trace_clock(const struct trace *t);

const char	*tr_outcome_name(enum tr_outcome o);
/* Age of a message at time now (from its creation time). */
long		 tr_msg_age(const struct tr_msg *m, int64_t now);

#endif
