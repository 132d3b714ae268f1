/*
 * trace_opts.c - relaymilter-trace's command line: the settings of a run,
 *		  their defaults, the usage text
 *
 * CONTRACT
 *	See trace_app.h. topt_parse() fills a struct topt from argv
 *	with getopt_long and does nothing else: no file is opened, nothing is
 *	printed on stdout. A bad value is named on stderr with its option
 *	("--poll: bad milliseconds \"x\"") and makes it return TOPT_FAIL; an
 *	unknown option prints the usage on stderr. Durations take the
 *	parse_duration() forms (90s, 30m, 2h, 5d); --now takes epoch seconds
 *	or YYYY-MM-DDTHH:MM:SS, local time or with a Z for UTC.
 */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "maillog.h"
#include "trace.h"
#include "trace_app.h"
#include "util.h"

void
topt_init(struct topt *o)
{
	memset(o, 0, sizeof(*o));
	tr_opts_default(&o->to);
	o->ao.max_defer = o->to.max_defer;
	o->ao.max_failures = 10;
	o->ao.window = 600;
	o->txo.fixes = true;
	o->poll_ms = 250;
	o->prom_interval = 60;
	o->top = 10;
}

void
topt_usage(FILE *fp)
{
	fputs(
"usage: relaymilter-trace [options] [FILE...]\n"
"Join the sendmail maillog per message: outcome, cause and fix, alerts.\n"
"FILEs may be gzip-compressed; no FILE (or -) reads standard input.\n"
"\n"
"output (default: text blocks, failures first, unless another output\n"
"or --prometheus is chosen)\n"
"  -t, --text              text blocks, also with other outputs\n"
"  -j, --json              one JSON object per message\n"
"  -s, --summary           counts per outcome, cause, relay, sender\n"
"  -P, --prometheus FILE   write a node_exporter textfile (atomically)\n"
"  -u, --unparsed          list the lines that were not understood\n"
"  -a, --alert             print alert lines; exit 1 (warning) or 2\n"
"                          (critical) when there are any\n"
"  -A, --all               also show rejected and discarded messages\n"
"      --no-fix            leave the fix lines out of the text\n"
"      --top N             rows per table in the summary (10)\n"
"alerts\n"
"      --max-defer DUR     deferred longer than this alerts (30m)\n"
"      --max-failures N    more failed attempts than N ... (10)\n"
"      --window DUR        ... within this window alert (10m)\n"
"input\n"
"  -f, --follow            keep reading FILE across rotation (tail -F)\n"
"      --from-end          with --follow/--journal: skip what is there\n"
"      --poll MS           follow poll interval (250)\n"
"      --prometheus-interval DUR   rewrite the textfile this often (60s)\n"
"      --journal           read the systemd journal (sendmail, sm-mta,\n"
"                          sm-msp-queue, relaymilter)\n"
"      --journal-dir DIR   read journal files from DIR\n"
"      --since DUR         with --journal: only the last DUR (e.g. the\n"
"                          period of the timer that runs this)\n"
"      --now TIME          reference time: epoch seconds or\n"
"                          YYYY-MM-DDTHH:MM:SS[Z] (default: now)\n"
"      --year YYYY         year of syslog lines without one\n"
"      --sendmail-cf FILE  relay ports per mailer (/etc/mail/sendmail.cf)\n"
"      --queue             with --prometheus: also the gauges of sendmail's\n"
"                          queues (those of --sendmail-cf and --submit-cf)\n"
"      --submit-cf FILE    the MSP's configuration (/etc/mail/submit.cf)\n"
"      --port N            the relay port, instead of sendmail.cf\n"
"      --grace DUR         keep finished messages for late lines (2m)\n"
"      --queue-lifetime DUR  sendmail's Timeout.queuereturn (5d)\n"
"      --max-open N        messages kept open at once; beyond, the oldest\n"
"                          is reported as evicted (20000)\n"
"      --evidence-window DUR  a connection that worked this close to a\n"
"                          timeout shows the port is not blocked (1h)\n"
"      --list-causes       print the cause catalogue (id, severity, phase,\n"
"                          summary, fix; tab-separated) and exit\n"
"late bounces (the FILEs, if any, are the maillog to join them with)\n"
"      --dsn PATH          read delivery status notifications from PATH:\n"
"                          an mbox, a Maildir (cur/, new/), one message\n"
"                          file, or - (may be given several times)\n"
"  -c, --config FILE       relaymilter.conf with TraceKeyFile and\n"
"                          TraceHeader (/etc/relaymilter/relaymilter.conf)\n"
"      --trace-key FILE    the trace key, instead of the configuration's\n"
"  -V, --version\n"
"  -h, --help\n"
"exit: 0 fine, 1 warning alerts, 2 critical alerts, 3 error\n", fp);
}

static int
opt_duration(const char *name, const char *v, long *out)
{
	unsigned long x;

	if (parse_duration(v, LONG_MAX, &x) < 0) {
		log_warnx("--%s: bad duration \"%s\" (e.g. 90s, 30m, 2h, 5d)",
		    name, v);
		return -1;
	}
	*out = (long)x;
	return 0;
}

static int
opt_now(const char *v, int64_t *out)
{
	unsigned long x;
	int y, mo, d, h, mi, s, n = 0;
	struct tm tm;
	time_t tt;

	if (parse_uint(v, ULONG_MAX, &x) == 0) {
		*out = (int64_t)x;
		return 0;
	}
	if (sscanf(v, "%4d-%2d-%2d%*1[T ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &s, &n) == 6 && n > 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	    h < 24 && mi < 60 && s < 61) {
		if (v[n] == 'Z' && v[n + 1] == '\0') {
			*out = ml_epoch_utc(y, mo, d, h, mi, s);
			return 0;
		}
		if (v[n] == '\0') {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = y - 1900;
			tm.tm_mon = mo - 1;
			tm.tm_mday = d;
			tm.tm_hour = h;
			tm.tm_min = mi;
			tm.tm_sec = s;
			tm.tm_isdst = -1;
			if ((tt = mktime(&tm)) != (time_t)-1) {
				*out = (int64_t)tt;
				return 0;
			}
		}
	}
	log_warnx("--now: bad time \"%s\"", v);
	return -1;
}

enum {
	O_MAXDEFER = 256, O_MAXFAIL, O_WINDOW, O_FROMEND, O_POLL, O_JOURNAL,
	O_JDIR, O_NOW, O_YEAR, O_CF, O_PORT, O_GRACE, O_LIFETIME, O_TOP,
	O_NOFIX, O_PROMINT, O_CAUSES, O_SINCE, O_DSN, O_TRACEKEY, O_QUEUE,
	O_SUBMITCF, O_MAXOPEN, O_EVWIN
};

static const struct option longopts[] = {
	{ "text", no_argument, NULL, 't' },
	{ "json", no_argument, NULL, 'j' },
	{ "summary", no_argument, NULL, 's' },
	{ "prometheus", required_argument, NULL, 'P' },
	{ "unparsed", no_argument, NULL, 'u' },
	{ "alert", no_argument, NULL, 'a' },
	{ "all", no_argument, NULL, 'A' },
	{ "follow", no_argument, NULL, 'f' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "max-defer", required_argument, NULL, O_MAXDEFER },
	{ "max-failures", required_argument, NULL, O_MAXFAIL },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "from-end", no_argument, NULL, O_FROMEND },
	{ "poll", required_argument, NULL, O_POLL },
	{ "prometheus-interval", required_argument, NULL, O_PROMINT },
	{ "journal", no_argument, NULL, O_JOURNAL },
	{ "journal-dir", required_argument, NULL, O_JDIR },
	{ "since", required_argument, NULL, O_SINCE },
	{ "now", required_argument, NULL, O_NOW },
	{ "year", required_argument, NULL, O_YEAR },
	{ "sendmail-cf", required_argument, NULL, O_CF },
	{ "port", required_argument, NULL, O_PORT },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "queue-lifetime", required_argument, NULL, O_LIFETIME },
	{ "top", required_argument, NULL, O_TOP },
	{ "no-fix", no_argument, NULL, O_NOFIX },
	{ "list-causes", no_argument, NULL, O_CAUSES },
	{ "dsn", required_argument, NULL, O_DSN },
	{ "config", required_argument, NULL, 'c' },
	{ "trace-key", required_argument, NULL, O_TRACEKEY },
	{ "queue", no_argument, NULL, O_QUEUE },
	{ "submit-cf", required_argument, NULL, O_SUBMITCF },
	{ "max-open", required_argument, NULL, O_MAXOPEN },
	{ "evidence-window", required_argument, NULL, O_EVWIN },
	{ NULL, 0, NULL, 0 }
};

/* One option c with its optarg; -1 after saying what is wrong. */
static int
opt_one(struct topt *o, int c)
{
	unsigned long x;

	switch (c) {
	case 't':
		o->force_text = true;
		break;
	case 'j':
		o->json = true;
		break;
	case 's':
		o->summary = true;
		break;
	case 'P':
		o->prom = optarg;
		break;
	case 'u':
		o->unparsed = true;
		break;
	case 'a':
		o->alert = true;
		break;
	case 'A':
		o->all = true;
		break;
	case 'f':
		o->follow = true;
		break;
	case O_MAXDEFER:
		if (opt_duration("max-defer", optarg, &o->ao.max_defer) < 0)
			return -1;
		o->to.max_defer = o->ao.max_defer;
		break;
	case O_MAXFAIL:
		if (parse_uint(optarg, 1000000, &x) < 0) {
			log_warnx("--max-failures: bad number \"%s\"", optarg);
			return -1;
		}
		o->ao.max_failures = x;
		break;
	case O_WINDOW:
		if (opt_duration("window", optarg, &o->ao.window) < 0)
			return -1;
		break;
	case O_FROMEND:
		o->from_end = true;
		break;
	case O_POLL:
		if (parse_uint(optarg, 3600000, &x) < 0 || x == 0) {
			log_warnx("--poll: bad milliseconds \"%s\"", optarg);
			return -1;
		}
		o->poll_ms = (long)x;
		break;
	case O_PROMINT:
		if (opt_duration("prometheus-interval", optarg,
		    &o->prom_interval) < 0)
			return -1;
		break;
	case O_JOURNAL:
		o->journal = true;
		break;
	case O_JDIR:
		o->journal = true;
		o->journal_dir = optarg;
		break;
	case O_SINCE:
		if (opt_duration("since", optarg, &o->since) < 0)
			return -1;
		if (o->since == 0) {
			log_warnx("--since: the window must be longer than 0");
			return -1;
		}
		break;
	case O_NOW:
		if (opt_now(optarg, &o->to.now) < 0)
			return -1;
		o->now_fixed = true;
		break;
	case O_YEAR:
		if (parse_uint(optarg, 9999, &x) < 0 || x < 1970) {
			log_warnx("--year: bad year \"%s\"", optarg);
			return -1;
		}
		o->to.year = (int)x;
		break;
	case O_CF:
		o->cf = optarg;
		break;
	case O_PORT:
		if (parse_uint(optarg, 65535, &x) < 0 || x == 0) {
			log_warnx("--port: bad port \"%s\"", optarg);
			return -1;
		}
		o->force_port = (int)x;
		break;
	case O_GRACE:
		if (opt_duration("grace", optarg, &o->to.grace) < 0)
			return -1;
		break;
	case O_LIFETIME:
		if (opt_duration("queue-lifetime", optarg,
		    &o->to.queue_lifetime) < 0)
			return -1;
		break;
	case O_TOP:
		if (parse_uint(optarg, 100000, &x) < 0) {
			log_warnx("--top: bad number \"%s\"", optarg);
			return -1;
		}
		o->top = x;
		break;
	case O_NOFIX:
		o->txo.fixes = false;
		break;
	case O_DSN:
		if (o->ndsn == TOPT_MAX_DSN) {
			log_warnx("--dsn: at most %d mailboxes", TOPT_MAX_DSN);
			return -1;
		}
		o->dsn[o->ndsn++] = optarg;
		break;
	case 'c':
		o->config = optarg;
		break;
	case O_TRACEKEY:
		o->trace_key = optarg;
		break;
	case O_QUEUE:
		o->queue = true;
		break;
	case O_SUBMITCF:
		o->submit_cf = optarg;
		break;
	case O_EVWIN:
		if (opt_duration("evidence-window", optarg,
		    &o->to.port_window) < 0)
			return -1;
		if (o->to.port_window == 0) {
			log_warnx("--evidence-window: the window must be longer "
			    "than 0");
			return -1;
		}
		break;
	case O_MAXOPEN:
		if (parse_uint(optarg, 100000000, &x) < 0 || x == 0) {
			log_warnx("--max-open: bad number \"%s\"", optarg);
			return -1;
		}
		o->to.max_open = x;
		break;
	default:
		topt_usage(stderr);
		return -1;
	}
	return 0;
}

enum topt_action
topt_parse(struct topt *o, int argc, char **argv, int *first_file)
{
	int c, nfiles;

	while ((c = getopt_long(argc, argv, "tjsP:uaAfVhc:", longopts, NULL)) !=
	    -1) {
		if (c == 'V')
			return TOPT_VERSION;
		if (c == 'h')
			return TOPT_HELP;
		if (c == O_CAUSES)
			return TOPT_CAUSES;
		if (opt_one(o, c) < 0)
			return TOPT_FAIL;
	}
	*first_file = optind;
	nfiles = argc - optind;
	o->text = o->force_text || (!o->json && !o->summary && !o->unparsed &&
	    !o->alert && o->prom == NULL);
	if (o->follow && !o->journal && nfiles != 1) {
		log_warnx("--follow needs exactly one FILE (or --journal)");
		return TOPT_FAIL;
	}
	if (o->since && !o->journal) {
		log_warnx("--since needs --journal");
		return TOPT_FAIL;
	}
	if (o->since && o->follow) {
		log_warnx("--since and --follow do not go together "
		    "(--from-end skips what is there)");
		return TOPT_FAIL;
	}
	if ((o->config != NULL || o->trace_key != NULL) && o->ndsn == 0) {
		log_warnx("-c and --trace-key are for --dsn (the trace key "
		    "verifies the bounces' trace headers)");
		return TOPT_FAIL;
	}
	if (o->ndsn > 0 && (o->follow || o->unparsed)) {
		log_warnx("--dsn reads the mailboxes once: not with %s",
		    o->follow ? "--follow" : "--unparsed");
		return TOPT_FAIL;
	}
	if (o->queue && o->prom == NULL) {
		log_warnx("--queue needs --prometheus FILE");
		return TOPT_FAIL;
	}
	if (o->journal && nfiles > 0) {
		log_warnx("--journal reads no FILE");
		return TOPT_FAIL;
	}
#ifndef HAVE_LIBSYSTEMD
	if (o->journal) {
		log_warnx("built without libsystemd: --journal is not available");
		return TOPT_FAIL;
	}
#endif
	/* without a per-message view, keep only what counts and alerts use */
	o->to.details = o->text || o->json;
	return TOPT_RUN;
}
