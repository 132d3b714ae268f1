/*
 * qprom.h - sendmail's queues as Prometheus gauges
 *
 * CONTRACT
 *	qprom_write() appends, in the text exposition format (a node_exporter
 *	textfile), the gauges of the queues of a qgather run:
 *	  relaymilter_queue_messages{queue,age,cause}  messages by queue
 *	    ("mta", "msp"), age bucket (qsum_age_name: "5m" ... "1280m+")
 *	    and cause (qsum.h: a catalogue id, "none" or "unknown"),
 *	    quarantined and lost ones included; only cells that hold a
 *	    message are written;
 *	  relaymilter_queue_pending_messages{queue}  messages waiting for a
 *	    delivery (qf files), relaymilter_queue_quarantined_messages,
 *	    relaymilter_queue_lost_messages,
 *	  relaymilter_queue_oldest_age_seconds{queue}  age of the oldest
 *	    pending message, 0 when there is none,
 *	  relaymilter_queue_unreadable_files{queue}  control files that could
 *	    not be read or understood,
 *	  relaymilter_queue_readable{queue}  1, or 0 when a directory of the
 *	    queue could not be read (the other gauges then count what was);
 *	each of the last six for every queue, always, so that a rule can
 *	compare them over time. Pure; -1 when memory runs out.
 */
#ifndef RM_QPROM_H
#define RM_QPROM_H

#include <stddef.h>
#include <stdint.h>

#include "qsum.h"
#include "util.h"

int	 qprom_write(strbuf *sb, const struct qsum_queue *q, size_t nq,
	    int64_t now);

#endif
