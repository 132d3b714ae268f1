/*
 * trace_dsn.h - late bounces for relaymilter-trace --dsn: each delivery
 *		 status notification read, its trace header verified, joined
 *		 to the maillog record of its queue id, its cause named and
 *		 relaymilter's prediction checked against it
 *
 * CONTRACT
 *	A struct tdsn collects the DSNs of the mailboxes (tdsn_add(), one
 *	message at a time: messages that are no DSN are only counted), then
 *	watches the maillog's messages as the trace emits them
 *	(tdsn_on_message(), the sink of a struct trace) and keeps a copy of
 *	the record of each queue id a genuine bounce names, and finally
 *	(tdsn_finish()) names the causes and outcomes. Only a trace header
 *	whose HMAC verifies with the trace key for the queue id it names is
 *	joined: a forged one, one made with another key and one moved to
 *	another queue id are said so (TDSN_FORGED, TDSN_MOVED) and never
 *	joined. A header whose id verifies for another queue id (one of the
 *	returned Received: fields, or the maillog's decision line that
 *	logged that id) is TDSN_MOVED, with that queue id.
 *
 *	Bounded: at most TDSN_MAX_RECORDS DSNs are kept (the ones after are
 *	counted in stats.dropped and said by the printers); every string is
 *	bounded by dsn.h. Everything is owned by the struct tdsn: strings
 *	live in its arena until tdsn_free(). No I/O.
 *
 *	"Had relaymilter predicted it?" (tdsn_predict()) is asked only for
 *	causes about authentication: dmarc-reject (DMARC failed: dmarc=fail,
 *	or without a dmarc= verdict spf= other than pass or align=fail),
 *	unauthenticated (neither SPF nor DKIM passed: dmarc=fail or spf=
 *	other than pass) and spf-reject (spf=fail, softfail, permerror). The
 *	verdicts come from the decision line of the joined record, else from
 *	the trace header's own spf=/align= (not covered by its HMAC: said
 *	so). spf=unchecked or temperror, or no verdict at all, is UNKNOWN.
 */
#ifndef RM_TRACE_DSN_H
#define RM_TRACE_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causes.h"
#include "dsn.h"
#include "tag.h"
#include "trace.h"

#define TDSN_MAX_RECORDS	50000

enum tdsn_verdict {
	TDSN_GENUINE = 0,	/* made with this key for this queue id */
	TDSN_MOVED,		/* made with this key, for another queue id */
	TDSN_FORGED,		/* not made with this key (forged, another key) */
	TDSN_MALFORMED,		/* not "id=...; qid=..." */
	TDSN_NO_HEADER,		/* no trace header in the returned headers */
	TDSN_VERDICT_COUNT
};

enum tdsn_pred {
	TDSN_PRED_NA = 0,	/* the cause is not about authentication */
	TDSN_PRED_YES,		/* relaymilter had predicted the failure */
	TDSN_PRED_NO,		/* it had predicted a pass: a miss */
	TDSN_PRED_UNKNOWN,	/* no usable verdict */
	TDSN_PRED_COUNT
};

enum tdsn_outcome {
	TDSN_O_AFTER_RELAY = 0,	/* the maillog: the relay took it; then this */
	TDSN_O_BY_RELAY,	/* the maillog: the relay refused it (this
				 * sendmail's own bounce) */
	TDSN_O_DELAYED_AFTER,	/* a delay notice after the relay took it */
	TDSN_O_BOUNCED,		/* genuine, not joined */
	TDSN_O_DELAYED,		/* genuine, not joined, a delay notice */
	TDSN_O_DELIVERED,	/* a success notice */
	TDSN_O_NOT_GENUINE,	/* MOVED, FORGED, MALFORMED: not joined */
	TDSN_O_NO_HEADER,	/* no trace header: not ours to join */
	TDSN_OUTCOME_COUNT
};

struct tdsn_rcpt {
	const char	*rcpt, *orig_rcpt, *action, *status, *remote_mta, *diag;
	const struct cause *cause;	/* failed or delayed; NULL: unknown */
	enum tdsn_pred	 pred;
	const char	*pred_by;	/* the verdicts it rests on, or why not */
	/* the maillog's to= line of this recipient, when joined */
	bool		 ml;
	enum tr_outcome	 ml_outcome;
	const char	*ml_relay, *ml_mailer, *ml_dsn, *ml_stat, *ml_reply;
};

struct tdsn_rec {
	const char	*src;		/* where it was read: PATH:LINE, FILE */
	unsigned long long size;
	enum dsn_kind	 kind;
	bool		 forwarded;
	unsigned	 flags;		/* DSN_F_* */
	const char	*from, *subject, *date, *reporting_mta, *arrival;
	/* the trace header */
	enum dsn_ret	 ret;
	const char	*trace;		/* the value judged, or NULL */
	size_t		 ntrace;	/* trace headers found */
	enum tdsn_verdict verdict;
	const char	*id, *qid;	/* as the header says */
	int64_t		 made;		/* genuine or moved: when */
	const char	*moved_from;	/* MOVED: the queue id it was made for */
	const char	*h_spf, *h_align;	/* the header's own verdicts */
	const char	*orig_from, *orig_to, *orig_subject, *orig_msgid;
	struct tdsn_rcpt *rcpt;
	size_t		 nrcpt;
	enum tdsn_outcome outcome;
	/* the maillog record of qid */
	bool		 joined;
	const char	*host;
	int64_t		 first;
	const char	*ml_from, *ml_msgid, *ml_relay_in, *msp_qid;
	long		 ml_size;
	bool		 has_decision;
	struct tr_decision d;
	const char	*ml_trace;	/* the X-Relay-Trace value logged */
};

struct tdsn_stats {
	unsigned long	 messages;	/* read from the mailboxes */
	unsigned long	 kinds[3];	/* by enum dsn_kind */
	unsigned long	 verdicts[TDSN_VERDICT_COUNT];
	unsigned long	 outcomes[TDSN_OUTCOME_COUNT];
	unsigned long	 joined;
	unsigned long	 dropped;	/* DSNs beyond TDSN_MAX_RECORDS */
	unsigned long	 cut;		/* messages longer than the reader reads */
	unsigned long	 skipped;	/* files that could not be read */
	bool		 maillog;	/* a maillog was read (tdsn_finish) */
};

struct tdsn;

/* key: the trace key (read-only, kept by the caller); hname: the trace
 * header's name. NULL when out of memory. */
struct tdsn	*tdsn_new(const struct tag_key *key, const char *hname);
void		 tdsn_free(struct tdsn *t);
/* One message of a mailbox (cut: only its first n bytes of total). 0,
 * or -1 when out of memory. */
int		 tdsn_add(struct tdsn *t, const char *src, const char *msg,
		    size_t n, bool cut, unsigned long long total);
/* A file of a mailbox that could not be read. */
void		 tdsn_skipped(struct tdsn *t);
/* Done adding: make the lookup tables. -1 when out of memory. */
int		 tdsn_index(struct tdsn *t);
/* A message of the maillog (the trace sink's message callback). */
void		 tdsn_on_message(struct tdsn *t, const struct tr_msg *m);
/* Done reading the maillog (have_maillog: one was read at all): causes,
 * predictions and outcomes. */
void		 tdsn_finish(struct tdsn *t, bool have_maillog);
size_t		 tdsn_count(const struct tdsn *t);
const struct tdsn_rec *tdsn_at(const struct tdsn *t, size_t i);
const struct tdsn_stats *tdsn_stats(const struct tdsn *t);
/* Memory ran out at some point (what was kept is still consistent). */
bool		 tdsn_failed(const struct tdsn *t);

/* Had relaymilter predicted a failure of cause c, from these verdicts
 * (NULL: absent)? by gets what the answer rests on. */
enum tdsn_pred	 tdsn_predict(const struct cause *c, const char *dmarc,
		    const char *spf, const char *align, strbuf *by);

const char	*tdsn_verdict_name(enum tdsn_verdict v);
const char	*tdsn_pred_name(enum tdsn_pred p);
const char	*tdsn_outcome_name(enum tdsn_outcome o);

#endif
