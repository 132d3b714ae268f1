/*
 * release.h - relaymilter -R: hand the held mail the daemon found room for
 *	       back to sendmail
 *
 * CONTRACT
 *	Run as root (sendmail lets only root or its TrustedUser change a
 *	quarantine), by relaymilter-release.timer every minute, or by hand.
 *	It never decides what fits: the daemon marked the messages in its
 *	state file; this lifts their quarantine, tells the daemon which it
 *	let go (budget.released) and delivers them (milter/release.c says
 *	how). It reads the configuration for StateDirectory and the log
 *	settings only, and sendmail.cf (--cf) for Timeout.queuereturn.
 */
#ifndef RM_RELEASE_H
#define RM_RELEASE_H

#include <stdbool.h>

struct release_opts {
	const char	*config;	/* relaymilter.conf */
	const char	*cf;		/* sendmail.cf given with --cf, or NULL */
	const char	*sendmail;	/* the sendmail binary */
	bool		 quiet;		/* no summary on standard output */
};

/* Exit status: 0 done (or nothing to do), 1 a step failed. */
int	release_run(const struct release_opts *o);

#endif
