/*
 * smoutput.h - read what sendmail's programs print: `sendmail -d0.1 -bt`
 *	(build options, canonical host name) and mailq (`sendmail -bp`)
 *
 * CONTRACT
 *	Pure parsers over text already in memory: no process or file I/O, no
 *	global state; they never abort and never cut a value short. mailq
 *	output gives entries with queue id, size, queue time, sender, last
 *	error and recipients, across every queue section (MSP and MTA, queue
 *	groups); a line that fits nothing is counted, not guessed at. Queue
 *	times are printed without a year: the year is taken from `now` so
 *	that no time lies in the future.
 */
#ifndef RM_SMOUTPUT_H
#define RM_SMOUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * `sendmail -d0.1 -bt` output: the "Compiled with:" words (until the blank
 * line) and the canonical host name "$j = ..." when printed.
 */
struct sendmail_info {
	char		**compiled;	/* "STARTTLS", "SASLv2", "NEWDB=5.3", ... */
	size_t		  ncompiled;
	char		 *version;	/* "8.17.1.9" or NULL */
	char		 *canon_host;	/* $j or NULL */
	bool		  unqualified_warning;
};

int		 sendmail_info_parse(const char *text, struct sendmail_info *si);
void		 sendmail_info_free(struct sendmail_info *si);
/* Compiled with NAME (or NAME=value)? */
bool		 sendmail_compiled_with(const struct sendmail_info *si,
		    const char *name);

struct mailq_entry {
	char		*qid;
	char		 mark;		/* ' ', '*' (being delivered), 'X', '-', '?' */
	long		 size;
	char		*qtime;		/* "Sat Nov 21 08:56" as printed */
	time_t		 when;		/* qtime in local time, year guessed from
					 * now (never in the future); 0 unknown */
	char		*sender;
	char		*bodytype;	/* "8BITMIME" or NULL */
	char		*error;		/* last error without parentheses, or NULL */
	char		**rcpts;
	size_t		 nrcpts;
};

struct mailq {
	struct mailq_entry *v;
	size_t		 n;
	long		 total;		/* sum of "Total requests:" / "(N requests)"
					 * headers; -1 when none seen */
	unsigned	 nskipped;	/* lines not understood */
};

/* 0 on success, -1 on allocation failure. */
int		 mailq_parse(const char *text, time_t now, struct mailq *q);
void		 mailq_free(struct mailq *q);

#endif
