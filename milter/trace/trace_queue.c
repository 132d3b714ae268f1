/*
 * trace_queue.c - relaymilter-trace --queue: sendmail's queues in the
 *		   Prometheus textfile
 *
 * CONTRACT
 *	See include/trace_app.h. Each time the textfile is written, the
 *	queues named by --sendmail-cf (default /etc/mail/sendmail.cf) and
 *	--submit-cf (default /etc/mail/submit.cf) are read afresh, read-only
 *	(qgather.h), and their gauges (qprom.h) follow the trace's. Ages are
 *	counted from --now when given, else from the clock. A queue that
 *	cannot be read is a warning on stderr and relaymilter_queue_readable
 *	0 in the textfile, never a failed run: the maillog part stands.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "qgather.h"
#include "log.h"
#include "qprom.h"
#include "trace_app.h"
#include "util.h"

int
tqueue_prom(const struct tapp *a, strbuf *sb)
{
	struct qgather_opts o;
	struct qgather g;
	strbuf err;
	size_t i;
	int rc = 0;

	memset(&o, 0, sizeof(o));
	o.cf = a->o.cf;
	o.submit_cf = a->o.submit_cf;
	o.sum.now = a->o.now_fixed ? a->o.to.now : (int64_t)time(NULL);
	/* the verdicts of the trace header are not among the gauges */
	o.sum.trace_header = NULL;
	sb_init(&err);
	if (qgather_run(&o, &g, &err) < 0) {
		log_warnx("--queue: %s", err.err ? "out of memory" : err.s);
		sb_printf(sb, "# HELP relaymilter_queue_readable 1 when every "
		    "directory of the queue could be read.\n"
		    "# TYPE relaymilter_queue_readable gauge\n"
		    "relaymilter_queue_readable{queue=\"mta\"} 0\n");
		sb_free(&err);
		qgather_free(&g);
		return sb->err ? -1 : 0;
	}
	sb_free(&err);
	for (i = 0; i < g.nq; i++)
		if (g.q[i].error != NULL)
			log_warnx("--queue: %s", g.q[i].error);
	if (qprom_write(sb, g.q, g.nq, o.sum.now) < 0)
		rc = -1;
	qgather_free(&g);
	return rc;
}
