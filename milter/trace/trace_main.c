/*
 * trace_main.c - relaymilter-trace: the run, from the command line to the
 *		  exit status
 *
 * CONTRACT
 *	main() wires the modules of the program together and owns their
 *	state (struct tapp, trace_app.h): the settings
 *	(trace_opts.c), the relay ports (trace_ports.c), the trace (trace.c),
 *	the reading (trace_input.c) and the sink (trace_sink.c). It reads the
 *	journal, one followed file, or each FILE in turn (standard input for
 *	none or "-"), then reports what is still open; with --dsn the run is
 *	trace_dsnrun.c's (late bounces read from mailboxes, joined to the
 *	maillog). SIGTERM and SIGINT end
 *	the reading early and the end report is still printed; SIGPIPE is
 *	ignored (a write error says so). A sendmail.cf given with
 *	--sendmail-cf must be readable; the default one may be missing.
 *	Exit status: 0 no alert (or --alert not given), 1 warning alerts
 *	only, 2 critical alerts, 3 usage or I/O error.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "trace.h"
#include "trace_app.h"
#include "trace_input.h"
#include "trace_out.h"
#include "util.h"

#define DEFAULT_CF	"/etc/mail/sendmail.cf"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Read what the settings name, feeding a->t; -1 when any source failed. */
static int
read_input(struct tapp *a, int nfiles, char **files)
{
	const struct topt *o = &a->o;
	struct tin_opts in;
	int i, rc = 0;

	in.t = a->t;
	in.follow = o->follow;
	in.from_end = o->from_end;
	in.poll_ms = o->poll_ms;
	in.journal_dir = o->journal_dir;
	/* the window ends at the reference time: --now, else the clock */
	in.since = o->since ? (o->now_fixed ? o->to.now : (int64_t)time(NULL)) -
	    o->since : 0;
	in.idle = tsink_idle;
	in.ctx = a;
	in.stop = &stop;
	if (o->journal) {
#ifdef HAVE_LIBSYSTEMD
		if (tin_journal(&in) < 0)
			rc = -1;
#endif
	} else if (o->follow) {
		if (tin_follow(&in, files[0]) < 0)
			rc = -1;
	} else if (nfiles == 0) {
		if (tin_read(&in, NULL) < 0)
			rc = -1;
	} else {
		for (i = 0; i < nfiles && !stop; i++)
			if (tin_read(&in, strcmp(files[i], "-") == 0 ? NULL :
			    files[i]) < 0)
				rc = -1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	static struct tapp app;
	struct tapp *a = &app;
	struct topt *o = &a->o;
	struct tr_sink sink;
	struct sigaction sa;
	const char *cf;
	unsigned long nd;
	long oldest;
	int first = 0, rc = 0;

	log_set_ident("relaymilter-trace");
	topt_init(o);
	switch (topt_parse(o, argc, argv, &first)) {
	case TOPT_RUN:
		break;
	case TOPT_VERSION:
		printf("relaymilter-trace %s\n", RM_VERSION);
		return 0;
	case TOPT_HELP:
		topt_usage(stdout);
		return 0;
	case TOPT_CAUSES:
		tsink_list_causes();
		return 0;
	case TOPT_FAIL:
	default:
		return TAPP_EX_FAIL;
	}
	cf = o->cf != NULL ? o->cf : DEFAULT_CF;
	a->ports.force = o->force_port;
	if (o->force_port == 0 && tport_load(&a->ports, cf) < 0 &&
	    o->cf != NULL) {
		log_warnx("%s: %s", cf, strerror(errno));
		return TAPP_EX_FAIL;
	}
	o->to.mailer_port = tport_lookup;
	o->to.port_ctx = &a->ports;
	if (a->ports.loaded) {
		a->cf_path = cf;
		o->to.cf_setup = a->ports.setup;
		o->to.smarthost_mailer = a->ports.smarthost_mailer;
		o->to.cf_mtime = a->ports.mtime;
		o->to.class_w = (const char *const *)a->ports.class_w;
		o->to.nclass_w = a->ports.nclass_w;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	a->stop = &stop;
	if (o->ndsn > 0) {
		/* the maillog, if any, only for the records of the bounces */
		if (tdsnrun_begin(a) < 0)
			rc = -1;
		else if ((argc > first || o->journal) &&
		    read_input(a, argc - first, argv + first) < 0)
			rc = -1;
		rc = tdsnrun_end(a, argc > first || o->journal, rc < 0);
		tport_free(&a->ports);
		return rc;
	}
	sb_init(&a->out);
	tsink_init(a, &sink);
	a->sum = tstats_new(10000);
	a->al = talert_new(&o->ao);
	a->t = trace_new(&o->to, &sink);
	if (a->sum == NULL || a->al == NULL || a->t == NULL) {
		log_warnx("out of memory");
		return TAPP_EX_FAIL;
	}
	if (o->text && !o->follow && (a->spool = tmpfile()) == NULL)
		log_warnx("no temporary file (%s): printing in log order",
		    strerror(errno));

	if (read_input(a, argc - first, argv + first) < 0)
		rc = -1;
	if (o->now_fixed && o->to.now > trace_clock(a->t))
		trace_tick(a->t, o->to.now);
	/* what is still deferred, before the end reports it all */
	trace_deferred(a->t, tsink_ref_now(a), &nd, &oldest);
	if (!o->follow)
		trace_finish(a->t, tsink_ref_now(a));
	if (tsink_write_prom(a, nd, oldest) < 0)
		rc = -1;
	tsink_end(a);
	if (fflush(stdout) != 0)
		rc = -1;
	trace_free(a->t);
	tstats_free(a->sum);
	tport_free(&a->ports);
	sb_free(&a->out);
	if (rc < 0 || a->err) {
		talert_free(a->al);
		return TAPP_EX_FAIL;
	}
	rc = o->alert ? (int)talert_level(a->al) : 0;
	talert_free(a->al);
	return rc;
}
