/*
 * trace_dsnout.h - what relaymilter-trace --dsn prints: one late bounce as
 *		    a text block or a JSON object, alert lines, the summary,
 *		    the Prometheus textfile
 *
 * CONTRACT
 *	Pure formatting, as include/trace_out.h: every function appends to a
 *	strbuf; none writes to a file. Text from a DSN or the log is printed
 *	with control characters removed, JSON strings are valid UTF-8. The
 *	text block is stable (golden tests read it): a header line
 *	"== OUTCOME host qid time" (or "== OUTCOME source" when it is not
 *	joined to a maillog record), then indented lines. Times: local in
 *	text, UTC ISO 8601 in JSON.
 */
#ifndef RM_TRACE_DSNOUT_H
#define RM_TRACE_DSNOUT_H

#include <stdint.h>

#include "trace_dsn.h"
#include "trace_out.h"
#include "util.h"

/* st: for the reason a genuine bounce is not joined (no maillog given,
 * or its queue id not in the maillog) */
int	 tdo_text(strbuf *sb, const struct tdsn_rec *r,
	    const struct tdsn_stats *st, const struct tro_text_opts *o);
int	 tdo_json(strbuf *sb, const struct tdsn_rec *r,
	    const struct tdsn_stats *st);
/* Alert lines of one record: "CRITICAL late-bounce ...", "WARNING
 * late-delay ...", "WARNING dsn-not-genuine ..."; the worst level
 * raised so far stays in *level. */
void	 tdo_alerts(strbuf *sb, const struct tdsn_rec *r,
	    enum talert_level *level);
/* The last line of the text output. shown: blocks printed. */
void	 tdo_footer(strbuf *sb, const struct tdsn *t, unsigned long shown);
int	 tdo_summary(strbuf *sb, const struct tdsn *t);
/* wall: the time of writing (--now, or the clock) */
int	 tdo_prometheus(strbuf *sb, const struct tdsn *t, int64_t wall);
/* The token of an outcome for metrics ("bounced-after-relay"). */
const char *tdo_outcome_token(enum tdsn_outcome o);

#endif
