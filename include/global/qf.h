/*
 * qf.h - read one sendmail queue control file (qf, hf or Qf)
 *
 * CONTRACT
 *	qf_parse() is pure: it reads the bytes of one queue control file
 *	already in memory and fills a struct qf_msg whose spans point into
 *	that buffer (valid as long as the buffer is). It keeps nothing
 *	between calls but the arrays it reuses, never reads past len, never
 *	aborts and never cuts a value short.
 *
 *	The format is sendmail's own, from two sources:
 *	  - "Sendmail Installation and Operation Guide", Appendix B "Queue
 *	    File Formats" (doc/op/op.me; for sendmail 8.17.1.9 the text is in
 *	    Debian's sendmail-doc, /usr/share/doc/sendmail-doc/op/op.txt.gz);
 *	  - sendmail's src/queue.c: queueup() writes the file, readqf()
 *	    reads it back, print_single_queue() is mailq's reader (format
 *	    version 8, QF_VERSION, unchanged since sendmail 8.13);
 *	and checked against the files sendmail 8.17.1.9 writes
 *	(tests/e2e/fixtures/queue, made by tests/doctor/queue_world.py).
 *
 *	One record per line, its first byte the code; a line that starts
 *	with SP or TAB continues the record before it (sendmail reads with
 *	fgetfolded(): folded header values); a line "." ends the file. Read:
 *	  V  format version (0 when absent; above 8 sendmail itself refuses
 *	     the file, and so does this parser)
 *	  T  queue time (creation), K  last delivery attempt, both Unix time
 *	  N  delivery attempts, P  priority
 *	  M  status message: written before S it is the envelope's (what
 *	     mailq prints), after S it belongs to the next recipient
 *	     (queueup() writes a recipient's M, C, Q and r records before
 *	     its R record)
 *	  q  quarantine reason (hf files), F  flag letters, S  sender,
 *	  Z  envelope id (DSN ENVID), B  body type, A  AUTH= parameter
 *	  R  recipient: "R" FLAGS ":" ADDRESS from version 1 on (flags
 *	     P N S F D B A ...), the whole rest before; an R record without
 *	     ":" is ignored, as sendmail does
 *	  Q  ORCPT of the next recipient
 *	  H  header: "H?FLAGS?Name: value", "H?${macro}?Name: value"
 *	  .  end of file
 *	Other codes (C, r, $, d, I, E, L, D, !, a blank line, any letter a
 *	later sendmail may add) are skipped and counted in nskipped: not an
 *	error.
 *
 *	Returns QF_OK; QF_INCOMPLETE when the file does not end with "."
 *	(an empty file too: sendmail writes a new message's qf file in place,
 *	so a reader can meet it half written; the caller decides by its age);
 *	QF_BAD with err ("what is wrong") and err_line (1-based; 0 for the
 *	whole file) for a NUL byte, data after the ".", a missing or bad T,
 *	a K, N or P that is not a number, no S, or a version above 8;
 *	QF_NOMEM when an array cannot grow.
 */
#ifndef RM_QF_H
#define RM_QF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QF_MAX_VERSION	8	/* sendmail 8.13 ... 8.18 */

enum qf_status {
	QF_OK = 0,
	QF_INCOMPLETE,
	QF_BAD,
	QF_NOMEM
};

struct qf_span {
	const char	*p;	/* NULL when absent */
	size_t		 n;
};

struct qf_rcpt {
	struct qf_span	 addr;	/* as written: "<bob@example.org>" */
	struct qf_span	 flags;	/* the letters before ':' */
	struct qf_span	 msg;	/* its own M record (its last status) */
	struct qf_span	 orcpt;	/* its Q record */
	unsigned	 line;
};

struct qf_header {
	struct qf_span	 name;
	struct qf_span	 value;	/* leading blanks skipped; a folded value
				 * keeps its "\n\t" */
	unsigned	 line;
};

struct qf_msg {
	int		 version;
	int64_t		 ctime;		/* T */
	int64_t		 dtime;		/* K, 0 when absent */
	long		 ntries;	/* N, 0 when absent */
	long		 priority;	/* P, 0 when absent */
	struct qf_span	 message;	/* envelope M */
	struct qf_span	 quarantine;	/* q */
	struct qf_span	 flags;		/* F */
	struct qf_span	 sender;	/* S */
	struct qf_span	 envid;		/* Z */
	struct qf_span	 bodytype;	/* B */
	struct qf_span	 auth;		/* A */
	struct qf_rcpt	*rcpt;
	size_t		 nrcpt;
	struct qf_header *hdr;
	size_t		 nhdr;
	unsigned	 nlines;	/* physical lines read */
	unsigned	 nskipped;	/* records skipped (see CONTRACT) */
	unsigned	 err_line;
	char		 err[96];
	/* private: capacities of the reused arrays */
	size_t		 rcap, hcap;
};

void		 qf_msg_init(struct qf_msg *m);
void		 qf_msg_free(struct qf_msg *m);
enum qf_status	 qf_parse(struct qf_msg *m, const char *buf, size_t len);

/* The first header of that name (ASCII case-insensitive), or NULL. */
const struct qf_header *qf_header(const struct qf_msg *m, const char *name);
/* The lower-cased domain of a recipient address into out (size outsz,
 * NUL-terminated): what follows the last '@', without the "<>" around
 * the address and a trailing dot (a "[literal]" stays as written); 0,
 * or -1 when the address has no domain (a local user, "|program",
 * "/file") or the domain does not fit. */
int		 qf_addr_domain(struct qf_span addr, char *out, size_t outsz);
bool		 qf_span_eq(struct qf_span s, const char *lit);

#endif
