/*
 * trace_app.h - the insides of the relaymilter-trace program, shared by
 *		 trace_main.c, trace_opts.c, trace_ports.c, trace_sink.c,
 *		 trace_input.c and trace_queue.c only
 *
 * CONTRACT
 *	Not an interface for other modules or tests: trace.h (the
 *	join), trace_out.h (the formatting) and trace_input.h
 *	(the reading) are. This header holds the settings of one run (struct
 *	topt, filled from the command line by trace_opts.c and read-only
 *	afterwards), the relay port of each mailer (struct tport_map,
 *	trace_ports.c) and the state of the run (struct tapp, owned by
 *	main() in trace_main.c and written by the sink in trace_sink.c, or
 *	by trace_dsnrun.c in the --dsn view).
 *	Everything is used by one thread; the only asynchronous write is the
 *	signal handler's to *tapp.stop.
 *
 *	Diagnostics go through log_warnx() (log.h): one line on stderr,
 *	prefixed "relaymilter-trace: ". Exit status: TAPP_EX_* (see
 *	trace_main.c).
 */
#ifndef RM_TRACE_APP_H
#define RM_TRACE_APP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"
#include "trace_out.h"
#include "util.h"

#define TAPP_EX_ALERT_WARN	1
#define TAPP_EX_ALERT_CRIT	2
#define TAPP_EX_FAIL		3

/* ---- trace_opts.c: the command line ---- */

#define TOPT_MAX_DSN	64		/* --dsn PATH given this often */

struct topt {
	struct tr_opts	 to;		/* for trace_new() */
	struct talert_opts ao;	/* for talert_new() */
	struct tro_text_opts txo;	/* for tro_text() */
	bool		 text;		/* -t, or no other output chosen */
	bool		 force_text, json, summary, unparsed, alert, all;
	bool		 follow, from_end, journal;
	bool		 now_fixed;	/* --now given: to.now is the reference */
	const char	*journal_dir;
	const char	*prom;		/* --prometheus FILE, or NULL */
	const char	*cf;		/* --sendmail-cf FILE, or NULL */
	bool		 queue;		/* --queue: the queues' gauges too */
	const char	*submit_cf;	/* --submit-cf FILE, or NULL */
	long		 prom_interval;	/* seconds */
	long		 since;		/* --since DUR (seconds), or 0 */
	long		 poll_ms;
	size_t		 top;
	int		 force_port;	/* --port N, or 0 */
	/* --dsn: the mailboxes, and where the trace key comes from */
	const char	*dsn[TOPT_MAX_DSN];
	size_t		 ndsn;
	const char	*config;	/* -c FILE: relaymilter.conf */
	const char	*trace_key;	/* --trace-key FILE */
};

enum topt_action {
	TOPT_FAIL = -1,		/* bad usage: already reported on stderr */
	TOPT_RUN = 0,		/* trace the FILEs from argv[*first_file] */
	TOPT_VERSION,		/* -V */
	TOPT_HELP,		/* -h */
	TOPT_CAUSES		/* --list-causes */
};

/* The defaults of every setting. */
void		 topt_init(struct topt *o);
/* Parse argv into o (after topt_init): stops at the first -V, -h or
 * --list-causes; on TOPT_RUN, checks the FILE operands against --follow
 * and --journal and derives o->text and o->to.details. */
enum topt_action topt_parse(struct topt *o, int argc, char **argv,
		    int *first_file);
void		 topt_usage(FILE *fp);

/* ---- trace_ports.c: the relay port per mailer ---- */

struct tport {
	char		*name;		/* mailer name */
	int		 port;
};

struct tport_map {
	struct tport	*v;
	size_t		 n;
	int		 force;		/* non-zero: every mailer's port */
	/* what else sendmail.cf says (when loaded): its modification time,
	 * the smarthost's mailer ("" without DS), CAUSE_SETUP_HOSTSTAT or
	 * CAUSE_SETUP_NO_HOSTSTAT */
	bool		 loaded;
	int64_t		 mtime;
	char		*smarthost_mailer;
	unsigned	 setup;
	char		**class_w;	/* its own class w words */
	size_t		 nclass_w;
};

/* Read a sendmail.cf: the port of each [IPC] mailer, the smarthost's
 * mailer, HostStatusDirectory, the file's time; -1 and errno on error
 * (what was read before stays). */
int		 tport_load(struct tport_map *pm, const char *path);
/* The tr_opts.mailer_port callback (ctx: a struct tport_map): force, or
 * the mailer's port, or 0 when unknown. */
int		 tport_lookup(void *ctx, const char *mailer);
void		 tport_free(struct tport_map *pm);

/* ---- trace_main.c: the run ---- */

struct tdsn_run;

struct tapp {
	struct topt	 o;
	struct tport_map ports;
	const char	*cf_path;	/* the sendmail.cf read, or NULL */
	struct trace	*t;
	struct tstats *sum;
	struct talert *al;
	strbuf		 out;		/* formatted, not yet written */
	FILE		*spool;		/* text of successes, printed last */
	unsigned long	 shown, shown_fail;
	unsigned long	 cf_newer;	/* failures explained with a sendmail.cf
					 * newer than them */
	int64_t		 cf_newer_last;	/* the latest of those failures */
	int64_t		 last_prom;	/* wall time the textfile was written */
	bool		 out_dead;	/* a write failed: stop writing */
	int		 err;
	volatile sig_atomic_t *stop;	/* set by signals and write errors */
	struct tdsn_run	*dsn;		/* --dsn: trace_dsnrun.c's state */
};

/* ---- trace_dsnrun.c: --dsn, late bounces from the mailboxes ---- */

/* Before main() reads the maillog: the key, the mailboxes, a->t with the
 * sink that joins; -1 after saying why (then call tdsnrun_end() all the
 * same). */
int		 tdsnrun_begin(struct tapp *a);
/* After it (maillog: one was read; input_failed: that failed): the
 * output; returns the exit status. */
int		 tdsnrun_end(struct tapp *a, bool maillog, bool input_failed);

/* ---- trace_sink.c: where the output goes ---- */

/* The sink of the trace (ctx: a). */
void		 tsink_init(struct tapp *a, struct tr_sink *sink);
/* The tin_opts.idle callback of a follower (ctx: a struct tapp). */
void		 tsink_idle(void *ctx);
/* The time ages are measured at (see trace_sink.c). */
int64_t		 tsink_ref_now(const struct tapp *a);
/* Write the --prometheus textfile, if any; nd, oldest: trace_deferred. */
int		 tsink_write_prom(struct tapp *a, unsigned long nd, long oldest);
/* Write text to path atomically (a hidden temporary file in the same
 * directory, synced, renamed over path); -1 after saying why. */
int		 tsink_write_atomic(const char *path, const strbuf *text);
/* After the input: the spooled text, the totals line, the summary. */
void		 tsink_end(struct tapp *a);
/* --list-causes */
void		 tsink_list_causes(void);

/* ---- trace_queue.c: --queue ---- */

/* Append the gauges of sendmail's queues to a textfile's text; -1 when
 * memory runs out (a queue that cannot be read is only warned about). */
int		 tqueue_prom(const struct tapp *a, strbuf *sb);

#endif
