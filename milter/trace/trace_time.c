/*
 * trace_time.c - the time of a maillog line, in epoch seconds
 *
 * CONTRACT
 *	See trace_int.h. A line with a zone (ISO 8601, the journal)
 *	is exact. A line without one (RFC 3164 "Nov 21 07:42:56") is local
 *	time, in opts.year when given, else in the year that puts it at most
 *	a day after the reference (the later of opts.now and the log clock);
 *	the year guessed for a month is kept for the rest of the run (one
 *	localtime_r() a month; a month's lines stay in one year). The epoch
 *	of the start of the last (year, month, day, hour, zone) is cached:
 *	mktime() runs once an hour of log, not once a line (the check of
 *	the cache is tr_line_time(), inline in trace_int.h). An hour that
 *	mktime() cannot place counts as UTC; nothing here fails or
 *	allocates.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "maillog.h"
#include "trace.h"
#include "trace_int.h"

/* Offset of local time from UTC at the given local calendar hour. */
static int
local_offset(int y, int mo, int d, int h)
{
	struct tm tm;
	time_t tt;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_isdst = -1;
	if ((tt = mktime(&tm)) == (time_t)-1)
		return 0;
	return (int)(ml_epoch_utc(y, mo, d, h, 0, 0) - (int64_t)tt);
}

/* The year of an RFC 3164 line: at most a day after the reference. */
static int
guess_year(struct trace *t, int mon, int mday)
{
	struct tm tm;
	time_t ref;
	int y;

	if (t->o.year > 0)
		return t->o.year;
	if (t->tc_year_for_mon[mon] != 0)
		return t->tc_year_for_mon[mon];
	ref = (time_t)(t->clock > t->o.now ? t->clock : t->o.now);
	if (localtime_r(&ref, &tm) == NULL)
		return 1970;
	y = tm.tm_year + 1900;
	if (ml_epoch_utc(y, mon, mday, 0, 0, 0) >
	    ml_epoch_utc(y, tm.tm_mon + 1, tm.tm_mday, 0, 0, 0) + 86400)
		y--;
	t->tc_year_for_mon[mon] = y;
	return y;
}

/* The hour of ts becomes the cached one (the fast path, in
 * trace_int.h, found it is not). */
int64_t
tr_time_rebase(struct trace *t, const struct ml_time *ts)
{
	int y = ts->year ? ts->year : guess_year(t, ts->mon, ts->mday);

	t->tc_y = y;
	t->tc_m = ts->mon;
	t->tc_d = ts->mday;
	t->tc_h = ts->hour;
	t->tc_has_tz = ts->has_tz;
	t->tc_tz = ts->tzoff;
	t->tc_base = ml_epoch_utc(y, ts->mon, ts->mday, ts->hour, 0, 0) -
	    (ts->has_tz ? ts->tzoff :
	    local_offset(y, ts->mon, ts->mday, ts->hour));
	return t->tc_base + ts->min * 60 + ts->sec;
}
