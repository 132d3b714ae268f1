/*
 * doctor_queue.h - relaymilter-doctor queue: what is stuck in sendmail's
 *		    queues, since when and why
 *
 * CONTRACT
 *	doctor_queue(argc, argv, json) runs the "queue" command of
 *	relaymilter-doctor (argv[0] is "queue"; see relaymilter-doctor(8)):
 *	it reads the MTA's and the MSP's queues read-only (qgather.h) and
 *	prints, as text or JSON (json-c), a qshape-like table per queue (age
 *	buckets by recipient domain or relay), one line per cause with its
 *	oldest message, its status and the catalogue's fix, the control
 *	files that could not be read, and optionally every message. Every
 *	text from a queue file is printed clean (qsum.h). Returns the exit
 *	status: 0 nothing worth a word, 1 warnings (mail waits, a file could
 *	not be read), 2 an error-severity cause, a queue that cannot be read,
 *	or bad usage.
 */
#ifndef RM_DOCTOR_QUEUE_H
#define RM_DOCTOR_QUEUE_H

#include <stdbool.h>

int	 doctor_queue(int argc, char **argv, bool json);

#endif
