/*
 * trace_time.c - the time of a maillog line, in epoch seconds, and the log
 *		  clock: years from the lines around a line, lines out of
 *		  time clamped and counted
 *
 * CONTRACT
 *	See trace_int.h. A line with a zone (ISO 8601, the journal)
 *	is exact. A line without one (RFC 3164 "Nov 21 07:42:56") is local
 *	time, in opts.year when given, else in the year read from the lines
 *	around it: the year that puts it nearest to the recent lines of its
 *	host (or of the log), so that January follows December, also while
 *	following; the first line of all takes the year that puts it at most
 *	a day after the reference (opts.now). Each host caches the epoch of
 *	the start of its last (year, month, day, hour, zone): mktime() runs
 *	once an hour of a host's log, not once a line (the check of the
 *	cache is tr_line_time(), inline in trace_int.h). An hour that
 *	mktime() cannot place counts as UTC.
 *
 *	tr_time_place() decides where a line sits on the log clock. A line
 *	more than TR_CLOCK_SLACK after the later of opts.now and opts.wall
 *	(the machine's clock) is from the future, and one more than
 *	TR_CLOCK_SLACK before its host's recent lines is out of order: each
 *	is clamped to its host's recent time and counted (stats.clamped). A
 *	line more than TR_CLOCK_SLACK after its host's recent lines (or, for
 *	a host's first line, after the log clock) keeps its time but moves
 *	neither the host nor the clock until the next line of that host
 *	agrees with it (a host that was quiet for hours); when the next line
 *	agrees with the old time instead, the lone line is counted as out of
 *	time. So one line with a wrong date never moves the clock for good.
 *	Nothing here fails or allocates.
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

/* The epoch of the start of the hour of ts in year y. */
static int64_t
hour_base(int y, const struct ml_time *ts)
{
	return ml_epoch_utc(y, ts->mon, ts->mday, ts->hour, 0, 0) -
	    (ts->has_tz ? ts->tzoff :
	    local_offset(y, ts->mon, ts->mday, ts->hour));
}

/* The latest time a line may have: the later of the reference and the
 * machine's clock, plus the slack. */
static int64_t
future_limit(const struct trace *t)
{
	return (t->o.now > t->o.wall ? t->o.now : t->o.wall) + TR_CLOCK_SLACK;
}

static int
year_of(int64_t when)
{
	time_t tt = (time_t)when;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 1970;
	return tm.tm_year + 1900;
}

/* The year of an RFC 3164 line (see the contract). */
static int
guess_year(struct trace *t, const struct host *h, const struct ml_time *ts)
{
	int64_t anchor = h->recent ? h->recent : t->clock, lim, best = 0, x, d;
	int y0, y, by;
	bool found = false;

	if (t->o.year > 0)
		return t->o.year;
	lim = future_limit(t);
	if (anchor != 0) {
		/* nearest to the recent lines, not in the future */
		y0 = year_of(anchor);
		by = y0;
		for (y = y0 - 1; y <= y0 + 1; y++) {
			x = hour_base(y, ts) + ts->min * 60 + ts->sec;
			if (x > lim)
				continue;
			d = x > anchor ? x - anchor : anchor - x;
			if (!found || d < best) {
				best = d;
				by = y;
				found = true;
			}
		}
		return by;
	}
	/* the first line: at most a day after the reference */
	y = year_of(t->o.now);
	if (hour_base(y, ts) > t->o.now + 86400)
		y--;
	return y;
}

/* The hour of ts becomes the cached one of host h (the fast path, in
 * trace_int.h, found it is not). */
int64_t
tr_time_rebase(struct trace *t, struct host *h, const struct ml_time *ts)
{
	int y = ts->year ? ts->year : guess_year(t, h, ts);

	h->tc_yk = ts->year;
	h->tc_y = y;
	h->tc_m = ts->mon;
	h->tc_d = ts->mday;
	h->tc_h = ts->hour;
	h->tc_has_tz = ts->has_tz;
	h->tc_tz = ts->tzoff;
	h->tc_base = hour_base(y, ts);
	return h->tc_base + ts->min * 60 + ts->sec;
}

int64_t
tr_time_place(struct trace *t, struct host *h, int64_t raw)
{
	int64_t ref = h->recent ? h->recent : t->clock;

	if (raw > future_limit(t) ||
	    (h->recent != 0 && raw < h->recent - TR_CLOCK_SLACK)) {
		t->st.clamped++;
		return ref ? ref : t->o.now;
	}
	if (ref != 0 && raw > ref + TR_CLOCK_SLACK) {
		if (h->ahead == 0 || raw > h->ahead + TR_CLOCK_SLACK ||
		    raw < h->ahead - TR_CLOCK_SLACK) {
			/* a jump: wait for the next line of this host */
			h->ahead = raw;
			return raw;
		}
		/* confirmed by the line before */
	} else if (h->ahead != 0)
		t->st.clamped++;	/* the line before was a lone jump */
	h->ahead = 0;
	if (raw > h->recent)
		h->recent = raw;
	if (raw > t->clock)
		t->clock = raw;
	if (t->st.first_time == 0 || raw < t->st.first_time)
		t->st.first_time = raw;
	if (raw > t->st.last_time)
		t->st.last_time = raw;
	return raw;
}
