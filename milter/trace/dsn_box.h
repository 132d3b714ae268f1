/*
 * dsn_box.h - the messages of a mailbox, one at a time: an mbox, a
 *	       Maildir (cur/ and new/), or a file holding one message
 *
 * CONTRACT
 *	Where fetchmail, getmail or a mail client puts an account's mail:
 *	dsnbox_read() hands each message to cb in mailbox order (an mbox
 *	from its first line on; a Maildir's cur/ then new/, each sorted by
 *	file name, which begins with the delivery time; dot files and tmp/
 *	are skipped, as a Maildir reader must) and returns 0, or -1 with
 *	"PATH: reason" in err. A file is an mbox when its first line starts
 *	with "From ", otherwise one message; "-" reads standard input so.
 *
 *	mbox: a message starts at a "From " line that is the first line or
 *	follows an empty line (mboxo and mboxrd alike); the "From " line is
 *	not part of it, and one '>' is taken from a line ">From ",
 *	">>From " ... (mboxrd quoting; an mboxo body line of that form
 *	loses a '>' it had, which does not matter for a bounce).
 *
 *	Bounded: a message is read to DSNBOX_MAX_MSG bytes (the rest is
 *	skipped, counted and flagged in m->cut, never dropped silently);
 *	lines may be of any length (read in pieces); a Maildir folder of
 *	more than DSNBOX_MAX_FILES files is refused with an error naming it.
 *	Maildir files are opened without following symbolic links and must
 *	be regular files; one that is not, or cannot be read, is handed to
 *	o->skipped with the reason and left out. A message handed to cb is
 *	valid only
 *	during the call. The callback returns 0 to go on, non-zero to stop
 *	(the read then returns -1 without a message of its own).
 */
#ifndef RM_DSN_BOX_H
#define RM_DSN_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

#define DSNBOX_MAX_MSG		(4u * 1024u * 1024u)
#define DSNBOX_MAX_FILES	1000000u

struct dsnbox_msg {
	const char	*src;	/* "PATH:LINE" (mbox), "DIR/new/NAME", "PATH" */
	const char	*p;	/* the message, LF or CRLF line ends */
	size_t		 n;
	bool		 cut;	/* longer than DSNBOX_MAX_MSG: p is its start */
	unsigned long long total;	/* its whole length in bytes */
};

struct dsnbox_opts {
	int	(*msg)(void *ctx, const struct dsnbox_msg *m);
	/* a file skipped (not regular, unreadable): may be NULL */
	void	(*skipped)(void *ctx, const char *path, const char *why);
	void	*ctx;
};

int	 dsnbox_read(const char *path, const struct dsnbox_opts *o, strbuf *err);
/* The messages of an mbox read from fp; label names it in m->src. */
int	 dsnbox_mbox(FILE *fp, const char *label, const struct dsnbox_opts *o,
	    strbuf *err);

#endif
