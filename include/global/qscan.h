/*
 * qscan.h - read sendmail's queue directories, read-only, while sendmail
 *	     works in them
 *
 * CONTRACT
 *	qscan_expand() turns a QueueDirectory value into the directories it
 *	names: "DIR", or "DIR/PREFIX*" for every directory of DIR whose name
 *	starts with PREFIX (sendmail's multiple queue directories), sorted.
 *	qscan_dir() lists one queue directory, and its "qf" subdirectory
 *	when there is one (sendmail then keeps the control files there), and
 *	hands every control file to fn: qfID (queued), hfID (quarantined)
 *	and QfID (lost: sendmail gave up on it); df, tf, xf and other files
 *	are not read.
 *
 *	Each file is opened O_RDONLY|O_NOFOLLOW|O_NONBLOCK, checked to be a
 *	regular file, read once to its end into a reused buffer and closed:
 *	never locked, never written, never reopened. sendmail rewrites a
 *	control file by renaming a new one over it, so a file that vanished
 *	between the listing and the open (sendmail delivered the message)
 *	is reported as QS_VANISHED, not as an error; a file read while
 *	sendmail writes it in place (a new message) comes out incomplete
 *	(QS_INCOMPLETE, see qf.h) and the caller decides by its age. A file
 *	larger than max_size is QS_TOOBIG (named, never cut short). Only the
 *	directory itself failing to open is an error of qscan_dir() (-1,
 *	err says which directory and why); fn returning non-zero stops the
 *	listing (its value is returned).
 *
 *	before_open, when set, is called between the listing of a file and
 *	its open: a test hook that makes files change or vanish at the worst
 *	moment.
 */
#ifndef RM_QSCAN_H
#define RM_QSCAN_H

#include <stddef.h>
#include <stdint.h>

#include "qf.h"
#include "util.h"

#define QSCAN_MAX_SIZE	(64u << 20)	/* a control file larger is named */

enum qscan_result {
	QS_PARSED = 0,		/* msg is filled */
	QS_BAD,			/* msg->err, msg->err_line say why */
	QS_INCOMPLETE,		/* no final ".", or empty: mtime says how old */
	QS_UNREADABLE,		/* errno in err */
	QS_TOOBIG,		/* larger than max_size */
	QS_VANISHED		/* gone between listing and open */
};

struct qscan_file {
	const char	*dir;	/* the directory it was found in */
	const char	*name;	/* "qf6B6DvUVf027990" */
	const char	*qid;	/* name + 2 */
	char		 kind;	/* 'q' queued, 'h' quarantined, 'Q' lost */
	enum qscan_result result;
	int		 err;	/* errno of QS_UNREADABLE */
	int64_t		 mtime;	/* 0 when not known */
	uint64_t	 size;
	const struct qf_msg *msg;
};

typedef int (*qscan_fn)(void *ctx, const struct qscan_file *f);

struct qscan {
	size_t		 max_size;
	void		(*before_open)(void *ctx, const char *dir,
			    const char *name);
	void		*hook_ctx;
	/* private */
	char		*buf;
	size_t		 cap;
	struct qf_msg	 msg;
};

void		 qscan_init(struct qscan *s);
void		 qscan_free(struct qscan *s);
/* 0 with *dirs (strv, free with strv_free) and *n set; n may be 0 when
 * no directory matches a pattern; -1 with err on a directory that
 * cannot be listed or an allocation failure. */
int		 qscan_expand(const char *pattern, char ***dirs, size_t *n,
		    strbuf *err);
int		 qscan_dir(struct qscan *s, const char *dir, qscan_fn fn,
		    void *ctx, strbuf *err);

#endif
