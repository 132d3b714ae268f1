/*
 * budgetd.h - the daemon's relay budget: read back at start, kept on disk,
 *	       held mail handed to the releaser
 *
 * CONTRACT
 *	budgetd_start() creates the process-wide struct budget, reads
 *	StateDirectory/budget.state back (missing: a fresh start, logged at
 *	info when RelayLimit is set, silent otherwise; unreadable or corrupt:
 *	logged as an error, the file kept as
 *	budget.state.corrupt, a fresh start: never a failed start) and starts
 *	one thread that, every BUDGETD_TICK_MS and when poked:
 *	  - reads budget.released when it changed (the releaser, relaymilter
 *	    -R, wrote it) and acknowledges each release in the budget, with a
 *	    log line per message ("released from the relay budget hold after
 *	    DURATION");
 *	  - marks the held messages that fit now (budget_release_scan) with
 *	    the current snapshot's rules, one log line each;
 *	  - forgets empty keys once a minute;
 *	  - writes budget.state (budgetio, mode 0600) when anything changed,
 *	    at once after a hold, a mark or an acknowledgement, else at most
 *	    every BUDGETD_SAVE_S seconds; a failed write is logged (once
 *	    until one works again) and retried.
 *	budgetd_stop() ends the thread, which writes the state a last time,
 *	and frees the budget when asked (not while a callback may still use
 *	it).
 *	The budget outlives reloads: the rules come from the snapshot of
 *	the moment, the counts stay.
 */
#ifndef RM_BUDGETD_H
#define RM_BUDGETD_H

#include <stdbool.h>

#include "budget.h"
#include "snapshot.h"

#define BUDGETD_TICK_MS		2000
#define BUDGETD_SAVE_S		10

/* 0, or -1 when the budget or its thread cannot be made (reason in err). */
int		 budgetd_start(const struct rm_snapshot *s, strbuf *err);
/* The process-wide budget (NULL before start and after stop). */
struct budget	*budgetd_budget(void);
/* Something changed that should reach the disk and the releaser soon. */
void		 budgetd_poke(void);
void		 budgetd_stop(bool free_it);

/* "1h02m" for durations in log lines. */
void		 budgetd_duration(strbuf *out, long secs);

#endif
