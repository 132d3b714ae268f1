/*
 * qprom.c - sendmail's queues as Prometheus gauges
 *
 * CONTRACT
 *	See include/qprom.h. Label values are queue names, bucket names and
 *	cause ids: fixed tokens of [a-z0-9+-], nothing to escape.
 */
#include <stdint.h>

#include "qprom.h"

#define HELP(name, text) \
	sb_printf(sb, "# HELP relaymilter_queue_" name " " text "\n" \
	    "# TYPE relaymilter_queue_" name " gauge\n")

int
qprom_write(strbuf *sb, const struct qsum_queue *q, size_t nq, int64_t now)
{
	size_t i, j;
	int a;

	HELP("messages", "Messages in sendmail's queues by age (minutes since "
	    "queued, qshape's buckets) and cause.");
	for (i = 0; i < nq; i++)
		for (j = 0; j < q[i].ncauses; j++)
			for (a = 0; a < QSUM_NAGES; a++)
				if (q[i].causes[j].age[a] > 0)
					sb_printf(sb, "relaymilter_queue_messages"
					    "{queue=\"%s\",age=\"%s\",cause=\"%s\"}"
					    " %lu\n", q[i].name, qsum_age_name[a],
					    q[i].causes[j].id,
					    q[i].causes[j].age[a]);
	HELP("pending_messages", "Messages waiting for a delivery (qf files).");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_pending_messages{queue=\"%s\"} "
		    "%lu\n", q[i].name, q[i].queued);
	HELP("quarantined_messages", "Messages held in quarantine (hf files).");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_quarantined_messages{queue="
		    "\"%s\"} %lu\n", q[i].name, q[i].quarantined);
	HELP("lost_messages", "Control files sendmail gave up on (Qf files).");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_lost_messages{queue=\"%s\"} "
		    "%lu\n", q[i].name, q[i].lost);
	HELP("oldest_age_seconds", "Age of the oldest message waiting for a "
	    "delivery, 0 when none waits.");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_oldest_age_seconds{queue=\"%s\"} "
		    "%lld\n", q[i].name, q[i].oldest_qid == NULL ? 0LL :
		    (long long)(now - q[i].oldest_ctime > 0 ?
		    now - q[i].oldest_ctime : 0));
	HELP("unreadable_files", "Control files that could not be read or "
	    "understood.");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_unreadable_files{queue=\"%s\"} "
		    "%zu\n", q[i].name, q[i].nbad);
	HELP("readable", "1 when every directory of the queue could be read.");
	for (i = 0; i < nq; i++)
		sb_printf(sb, "relaymilter_queue_readable{queue=\"%s\"} %d\n",
		    q[i].name, q[i].error == NULL);
	return sb->err ? -1 : 0;
}
