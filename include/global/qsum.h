/*
 * qsum.h - what sendmail's queues hold, at a glance: messages by age and
 *	    recipient domain or relay (like Postfix's qshape), and by cause
 *
 * CONTRACT
 *	Pure: qsum_add() takes one control file as qscan (qscan.h) read it
 *	and adds it to a struct qsum_queue; ages are counted from opts->now.
 *	Nothing here reads a file or the clock. Every text kept from a
 *	control file (addresses, status messages, quarantine reasons, header
 *	values, file names) is copied clean: control characters dropped, TAB
 *	as a space, bytes that are not UTF-8 as '?', so that it can be
 *	printed, logged or put in JSON as it is.
 *
 *	Ages count from T (the queue time) and fall in qshape's buckets, in
 *	minutes: under 5, 10, 20, 40, 80, 160, 320, 640, 1280, and more
 *	(qsum_age_name). Each message gets one cause:
 *	  lost (Qf: sendmail gave up on the file): queue-file-lost;
 *	  quarantined (hf): the catalogue's cause of its quarantine reason
 *	    when one matches it (a relay budget's hold names its cause),
 *	    else quarantined;
 *	  queued (qf): the catalogue's cause of its last status (M: the first
 *	    recipient's own, else the envelope's), classified the way
 *	    relaymilter-trace classifies a stat= text (causes.h: the text as
 *	    stat, the relay the mail goes to as relay host, with its port),
 *	    "unknown" when no entry matches, "none" when there is no status
 *	    yet (never tried).
 *	A recipient's relay is "(local)" for an address without a domain or
 *	in a local domain (route.local: class w), else route.relay (the
 *	smarthost, or the MSP's MTA), else its domain (sent to its MX). The
 *	rows are recipient domains ("(local)" without one) or, with by_relay,
 *	relays; a message counts once in each row it has recipients in.
 *	Only queued messages count in the rows, the total row and oldest:
 *	quarantined and lost ones wait for no delivery and are counted in
 *	quarantined, lost and their causes. relaymilter's verdicts in the
 *	trace header (opts->trace_header, "spf=" and "align=") are counted
 *	per catalogue cause in policy[].
 *
 *	Files that were not read: vanished ones are counted (not an error:
 *	delivered meanwhile), incomplete ones younger than QSUM_INFLIGHT
 *	seconds are counted as being written, every other is named in bad[]
 *	(file, line, why). qsum_add() returns -1 only when memory runs out.
 *	qsum_sort() orders rows by messages then name, causes by severity,
 *	then messages, then id.
 */
#ifndef RM_QSUM_H
#define RM_QSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "causes.h"
#include "qscan.h"
#include "util.h"

#define QSUM_NAGES	10
#define QSUM_INFLIGHT	60	/* seconds an incomplete file may be new */

extern const char *const qsum_age_name[QSUM_NAGES];

/* How mail leaves this queue (qgather.h fills it from the .cf file). */
struct qsum_route {
	char		*relay;		/* host, "[addr]" kept; NULL: direct */
	int		 port;		/* its TCP port, 0 when not known */
	char		**local;	/* local domains, lower case */
	size_t		 nlocal;
};

struct qsum_opts {
	int64_t		 now;
	bool		 by_relay;	/* rows by relay, else by domain */
	bool		 keep_messages;	/* fill msgs[] */
	const char	*trace_header;	/* relaymilter's TraceHeader, or NULL */
};

struct qsum_row {
	char		*key;
	unsigned long	 n;
	unsigned long	 age[QSUM_NAGES];
};

struct qsum_cause {
	const char	*id;		/* catalogue id, "none" or "unknown" */
	const struct cause *cause;	/* NULL for "none" and "unknown" */
	unsigned long	 n;
	unsigned long	 age[QSUM_NAGES];
	char		*oldest_qid;
	int64_t		 oldest_ctime;
	char		*oldest_text;	/* its status or quarantine reason */
	char		 oldest_kind;	/* 'q', 'h' (text: the reason), 'Q' */
};

struct qsum_policy {
	const struct cause *cause;
	unsigned long	 n;
};

struct qsum_msg {
	char		*qid;
	char		 kind;		/* 'q', 'h', 'Q' */
	int64_t		 ctime, dtime;
	long		 ntries;
	char		*sender;
	char		**rcpt;
	size_t		 nrcpt;
	const char	*cause_id;
	char		*text;		/* status, or quarantine reason */
	char		*trace;		/* the trace header's value, or NULL */
	char		*file;
};

struct qsum_bad {
	char		*file;
	unsigned	 line;		/* 0: the whole file */
	char		*what;
};

struct qsum_queue {
	char		*name;		/* "mta", "msp" */
	struct qsum_route route;
	char		**dirs;
	size_t		 ndirs;
	char		*error;		/* a directory could not be read */
	unsigned long	 queued, quarantined, lost, recipients;
	unsigned long	 inflight, vanished;
	char		*oldest_qid;	/* of the queued messages */
	int64_t		 oldest_ctime;
	struct qsum_row	 total;
	struct qsum_row	**rows;
	size_t		 nrows;
	struct qsum_cause *causes;
	size_t		 ncauses;
	struct qsum_policy *policy;
	size_t		 npolicy;
	struct qsum_bad	*bad;
	size_t		 nbad;
	struct qsum_msg	*msgs;
	size_t		 nmsgs;
	/* private */
	void		*priv;
};

/* 0, or -1 when memory runs out. */
int		 qsum_queue_init(struct qsum_queue *q, const char *name);
void		 qsum_queue_free(struct qsum_queue *q);
int		 qsum_add(struct qsum_queue *q, const struct qsum_opts *o,
		    const struct qscan_file *f);
void		 qsum_sort(struct qsum_queue *q);
/* The bucket of an age in seconds (negative ages count as 0). */
int		 qsum_age_bucket(int64_t age);
/* The worst severity in the queue: -1 when nothing is worth a word,
 * else a cause_severity; bad files and a directory error count as
 * CAUSE_WARN and CAUSE_ERROR. */
int		 qsum_worst(const struct qsum_queue *q);
/* A clean copy of n bytes (see CONTRACT), or NULL. */
char		*qsum_clean(const char *p, size_t n);

#endif
