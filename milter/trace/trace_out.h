/*
 * trace_out.h - what relaymilter-trace prints: message blocks (text or
 *		 JSON), the summary, the Prometheus textfile, alert lines
 *
 * CONTRACT
 *	Declares three files, each with its own prefix: trace_out.c (tro_)
 *	the message blocks, trace_stats.c (tstats_) the summary and the
 *	Prometheus textfile, trace_alert.c (talert_) the alert lines.
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

/* ---- trace_out.c: one message ---- */
struct tro_text_opts {
	bool	 fixes;		/* print the fix lines (default on) */
};
void	 tro_decision(strbuf *sb, const struct tr_decision *d,
	    bool with_trace_budget);
int	 tro_text(strbuf *sb, const struct tr_msg *m, enum tr_emit why,
	    int64_t now, const struct tro_text_opts *o);
struct json_object;
void	 tro_jadd(struct json_object *o, const char *key, const char *s);
void	 tro_jadd_time(struct json_object *o, const char *key, int64_t t);
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

/* ---- trace_stats.c: summary and Prometheus (tstats_) ---- */
struct tstats;

struct tstats *tstats_new(size_t cap);
void	 tstats_free(struct tstats *s);
void	 tstats_message(struct tstats *s, const struct tr_msg *m,
	    enum tr_emit why, int64_t now);
void	 tstats_attempt(struct tstats *s, const struct tr_msg *m,
	    const struct tr_rcpt *r, int64_t when);
int	 tstats_print(strbuf *sb, const struct tstats *s,
	    const struct tr_stats *st, size_t top);
/* open_deferred/oldest: trace_deferred(); wall: the time of writing */
int	 tstats_prometheus(strbuf *sb, const struct tstats *s,
	    const struct tr_stats *st, unsigned long open_deferred,
	    long oldest, int64_t log_clock, int64_t wall);

/* ---- trace_alert.c: alerts (talert_) ---- */
enum talert_level {
	TALERT_OK = 0,
	TALERT_WARNING = 1,
	TALERT_CRITICAL = 2
};

struct talert_opts {
	long		 max_defer;	/* seconds */
	unsigned long	 max_failures;	/* 0: no burst alert */
	long		 window;	/* seconds */
};

struct talert;

struct talert *talert_new(const struct talert_opts *o);
void	 talert_free(struct talert *a);
void	 talert_message(struct talert *a, strbuf *out,
	    const struct tr_msg *m, enum tr_emit why, int64_t now);
void	 talert_attempt(struct talert *a, strbuf *out,
	    const struct tr_msg *m, const struct tr_rcpt *r, int64_t when);
enum talert_level talert_level(const struct talert *a);
unsigned long talert_count(const struct talert *a);

#endif
