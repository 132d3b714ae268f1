/*
 * statusmode.h - relaymilter -S: the relay budget as the daemon last wrote
 *		  it; and the budget lines of relaymilter -T
 *
 * CONTRACT
 *	statusmode_run() reads the configuration (its RelayLimit rules) and
 *	StateDirectory/budget.state, never the daemon's memory: what it
 *	shows is at most BUDGETD_SAVE_S seconds old (the time it was written
 *	is printed). Per key: each window that has a limit, used/limit, and
 *	when there is room again (for one more message or recipient); the
 *	held messages (how many, the oldest, those waiting for the releaser
 *	and since when); with --cf, Timeout.queuereturn against the oldest
 *	held message. Exit 0, 1 when mail is held, 2 when the configuration
 *	or the state file cannot be read (a missing state file is no error:
 *	nothing counted yet).
 *
 *	statusmode_budget() loads the same state for -T: a budget with the
 *	counts read back (or empty, with the reason in why); NULL only when
 *	out of memory.
 */
#ifndef RM_STATUSMODE_H
#define RM_STATUSMODE_H

#include "budget.h"
#include "snapshot.h"
#include "util.h"

int		 statusmode_run(const char *config_path, const char *cf_path);
struct budget	*statusmode_budget(const struct rm_snapshot *s, int64_t now,
		    strbuf *why);

#endif
