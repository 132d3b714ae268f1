/*
 * qgather.h - read sendmail's queues where its configuration keeps them
 *
 * CONTRACT
 *	qgather_run() reads sendmail.cf (the MTA's queue) and submit.cf (the
 *	MSP's queue, clientmqueue), and for each finds
 *	  - its directories: QueueDirectory (sendmail's default
 *	    /var/spool/mqueue when absent; a trailing "*" names several,
 *	    qscan_expand()) and the Path= of every queue group (Q lines);
 *	  - how its mail leaves (qsum_route): the host of DS and the port of
 *	    its mailer (cf_smarthost()); for the MSP without DS, the
 *	    {MTAHost} macro and the port of its relay mailer; the local
 *	    domains: $j, the words of class w (Cw) and of its plain files
 *	    (Fw; programs and maps are not run). Routing by mailertable or
 *	    other rulesets is not followed.
 *	then reads every control file of those directories (qscan.h) into
 *	the queue's summary (qsum.h) and sorts it. I/O: the two .cf files,
 *	the Fw files, the queue directories; nothing is written, nothing is
 *	run.
 *
 *	mta_dir / msp_dir replace the .cf's directories (the queue is then
 *	read even without its .cf). A sendmail.cf that cannot be read is an
 *	error of qgather_run() (-1, err) unless mta_dir is given; without a
 *	submit.cf (and no msp_dir) there is no MSP queue, and note says so.
 *	A queue directory that cannot be read (permissions) is that queue's
 *	error: the other queue is still read. -1 also when memory runs out.
 */
#ifndef RM_QGATHER_H
#define RM_QGATHER_H

#include <stddef.h>

#include "qsum.h"
#include "util.h"

#define QGATHER_CF		"/etc/mail/sendmail.cf"
#define QGATHER_SUBMIT_CF	"/etc/mail/submit.cf"
#define QGATHER_DEFAULT_DIR	"/var/spool/mqueue"	/* sendmail's own */

struct qgather_opts {
	const char	*cf;		/* NULL: QGATHER_CF */
	const char	*submit_cf;	/* NULL: QGATHER_SUBMIT_CF; "": none */
	const char	*mta_dir;	/* instead of the .cf's directories */
	const char	*msp_dir;
	struct qsum_opts sum;
	/* handed to qscan (a test hook, see qscan.h) */
	void		(*before_open)(void *ctx, const char *dir,
			    const char *name);
	void		*hook_ctx;
};

struct qgather {
	struct qsum_queue q[2];		/* "mta", then "msp" when there is one */
	size_t		 nq;
	const char	*cf, *submit_cf; /* the files read, or NULL */
	strbuf		 note;		/* what was not read, and why */
};

int		 qgather_run(const struct qgather_opts *o, struct qgather *g,
		    strbuf *err);
void		 qgather_free(struct qgather *g);

#endif
