/*
 * trace_out.h - what relaymilter-trace prints: message blocks (text or
 *		 JSON), the summary, the Prometheus textfile, alert lines
 *
 * CONTRACT
 *	Pure formatting and counting: every function appends to a strbuf or
 *	updates counters; none writes to a file descriptor (trace_sink.c does
 *	the I/O and the atomic rename of the Prometheus file). Text that comes
 *	from the log is printed with control characters removed; JSON is built
 *	with json-c and every string in it is valid UTF-8 (invalid bytes
 *	become U+FFFD). Times are printed in local time (text) or UTC
 *	ISO 8601 (JSON, alerts).
 *
 *	The summary keeps counts per outcome and cause in fixed arrays and per
 *	relay and sender in maps capped at `cap` keys; keys beyond the cap are
 *	counted in "(other)" and the overflow is reported, never dropped
 *	silently.
 *
 *	Alerts: one line each, "LEVEL kind key=value ...: text". Levels are
 *	WARNING (long deferral, predicted SPF/alignment failure) and CRITICAL
 *	(bounce, AUTH or TLS failure, more than max_failures failed attempts
 *	within window seconds). An AUTH/TLS alert is raised once per message
 *	and cause (the set that remembers it is capped and then restarted).
 */
#ifndef RM_TRACE_OUT_H
#define RM_TRACE_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "trace.h"
#include "util.h"

/* ---- one message ---- */
struct tro_text_opts {
	bool	 fixes;		/* print the fix lines (default on) */
};
int	 tro_text(strbuf *sb, const struct tr_msg *m, enum tr_emit why,
	    int64_t now, const struct tro_text_opts *o);
/* One JSON object and a newline. */
int	 tro_json(strbuf *sb, const struct tr_msg *m, enum tr_emit why,
	    int64_t now);
/* Is this message shown in the failures section (printed first)? */
bool	 tro_is_failure(const struct tr_msg *m);

/* "45s", "12m", "2h05m", "3d04h" */
void	 tro_duration(strbuf *sb, long secs);
/* local "2025-11-21 07:42:56" / UTC "2025-11-21T07:42:56Z" */
void	 tro_time_local(strbuf *sb, int64_t t);
void	 tro_time_utc(strbuf *sb, int64_t t);

/* ---- summary and Prometheus ---- */
struct tro_summary;

struct tro_summary *tro_summary_new(size_t cap);
void	 tro_summary_free(struct tro_summary *s);
void	 tro_summary_message(struct tro_summary *s, const struct tr_msg *m,
	    enum tr_emit why, int64_t now);
void	 tro_summary_attempt(struct tro_summary *s, const struct tr_msg *m,
	    const struct tr_rcpt *r, int64_t when);
int	 tro_summary_print(strbuf *sb, const struct tro_summary *s,
	    const struct tr_stats *st, size_t top);
/* open_deferred/oldest: trace_deferred(); wall: the time of writing */
int	 tro_prometheus(strbuf *sb, const struct tro_summary *s,
	    const struct tr_stats *st, unsigned long open_deferred,
	    long oldest, int64_t log_clock, int64_t wall);

/* ---- alerts ---- */
enum tro_level {
	TRO_OK = 0,
	TRO_WARNING = 1,
	TRO_CRITICAL = 2
};

struct tro_alert_opts {
	long		 max_defer;	/* seconds */
	unsigned long	 max_failures;	/* 0: no burst alert */
	long		 window;	/* seconds */
};

struct tro_alerts;

struct tro_alerts *tro_alerts_new(const struct tro_alert_opts *o);
void	 tro_alerts_free(struct tro_alerts *a);
void	 tro_alerts_message(struct tro_alerts *a, strbuf *out,
	    const struct tr_msg *m, enum tr_emit why, int64_t now);
void	 tro_alerts_attempt(struct tro_alerts *a, strbuf *out,
	    const struct tr_msg *m, const struct tr_rcpt *r, int64_t when);
enum tro_level tro_alerts_level(const struct tro_alerts *a);
unsigned long tro_alerts_count(const struct tro_alerts *a);

#endif
