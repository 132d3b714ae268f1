/*
 * trace_input.h - reading the maillog for relaymilter-trace: files, gzip,
 *		   standard input, tail -F style following, the journal
 *
 * CONTRACT
 *	Each function feeds every line it reads to opts->t (trace_feed) and
 *	returns 0, or -1 after printing what went wrong (file name and
 *	reason) on stderr. They stop early when *opts->stop becomes non-zero
 *	(a signal handler sets it). A follower calls opts->idle(opts->ctx)
 *	whenever it has nothing to read, then sleeps opts->poll_ms.
 */
#ifndef RM_TRACE_INPUT_H
#define RM_TRACE_INPUT_H

#include <signal.h>
#include <stdbool.h>

#include "trace.h"

struct tin_opts {
	struct trace		*t;
	bool			 follow;	/* journal: wait for more */
	bool			 from_end;	/* skip what is there */
	long			 poll_ms;
	const char		*journal_dir;	/* NULL: the local journal */
	int64_t			 since;		/* journal: entries from this
						 * epoch second on; 0: all */
	void			(*idle)(void *ctx);
	void			*ctx;
	volatile sig_atomic_t	*stop;
};

/* A whole file (gzip or plain); path NULL reads standard input. */
int	 tin_read(const struct tin_opts *o, const char *path);
/* Follow one plain file across rename and copytruncate until *stop. */
int	 tin_follow(const struct tin_opts *o, const char *path);
/* The systemd journal (HAVE_LIBSYSTEMD only): sendmail's and
 * relaymilter's entries, as syslog lines with UTC ISO 8601 times. */
int	 tin_journal(const struct tin_opts *o);

#endif
