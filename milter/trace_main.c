/*
 * trace_main.c - relaymilter-trace: options, reading the maillog (files,
 *		  .gz, stdin, follow across rotation, the systemd journal),
 *		  printing what the trace reports
 *
 * CONTRACT
 *	All I/O of the tool lives here; joining is trace.c, formatting
 *	trace_out.c/trace_stats.c/trace_alert.c. Lines are read in large
 *	blocks and split with memchr; a line longer than MAX_LINE is reported
 *	(FILE:LINE) and counted as not understood, never cut silently.
 *	Exit status: 0 no alert (or --alert not given), 1 warning alerts
 *	only, 2 critical alerts, 3 usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


#include "maillog.h"
#include "trace.h"
#include "trace_input.h"
#include "trace_out.h"
#include "util.h"

#define EX_ALERT_WARN	1
#define EX_ALERT_CRIT	2
#define EX_FAIL		3


struct portmap {
	char	*name;
	int	 port;
};

struct app {
	struct tr_opts	 to;
	struct trace	*t;
	struct tro_summary *sum;
	struct tro_alerts *al;
	struct tro_alert_opts ao;
	struct tro_text_opts txo;
	strbuf		 out;
	FILE		*spool;
	bool		 text, force_text, json, summary, unparsed, alert, all;
	bool		 follow, from_end, journal, now_fixed;
	const char	*journal_dir;
	const char	*prom;
	long		 prom_interval;
	long		 poll_ms;
	size_t		 top;
	int		 force_port;
	struct portmap	*ports;
	size_t		 nports;
	unsigned long	 shown, shown_fail;
	int64_t		 last_prom;
	bool		 out_dead;	/* a write failed: stop writing */
	int		 err;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("relaymilter-trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t
wall(void)
{
	return (int64_t)time(NULL);
}

/* ------------------------------------------------------------ sinks */

static void
flush_out(struct app *a, FILE *fp)
{
	if (a->out_dead) {
		/* the reader went away: nothing more is written */
	} else if (a->out.err) {
		warnx_("out of memory while formatting");
		a->err = 1;
	} else if (a->out.len > 0 &&
	    fwrite(a->out.s, 1, a->out.len, fp) != a->out.len) {
		/* a closed pipe (| head) ends the run quietly; anything
		 * else is reported once */
		if (errno != EPIPE)
			warnx_("write error: %s", strerror(errno));
		a->out_dead = true;
		a->err = 1;
		stop = 1;
	}
	sb_reset(&a->out);
}

static FILE *
alert_fp(const struct app *a)
{
	return a->json ? stderr : stdout;
}

static void
sink_message(void *ctx, const struct tr_msg *m, enum tr_emit why,
    int64_t now)
{
	struct app *a = ctx;
	bool fail;

	tro_summary_message(a->sum, m, why, now);
	if (a->alert) {
		tro_alerts_message(a->al, &a->out, m, why, now);
		flush_out(a, alert_fp(a));
	}
	/* threshold reports are for live views only */
	if (why == TR_EMIT_THRESHOLD && !a->follow)
		return;
	if ((m->outcome == TR_REJECTED || m->outcome == TR_DISCARDED) &&
	    !a->all)
		return;
	if (a->json) {
		if (tro_json(&a->out, m, why, now) < 0)
			a->out.err = ENOMEM;
		flush_out(a, stdout);
	}
	if (a->text) {
		fail = tro_is_failure(m);
		a->shown++;
		if (fail)
			a->shown_fail++;
		tro_text(&a->out, m, why, now, &a->txo);
		flush_out(a, fail || a->follow || a->spool == NULL ? stdout :
		    a->spool);
	}
	if (a->follow)
		fflush(stdout);
}

static void
sink_attempt(void *ctx, const struct tr_msg *m, const struct tr_rcpt *r,
    int64_t when)
{
	struct app *a = ctx;

	tro_summary_attempt(a->sum, m, r, when);
	if (a->alert) {
		tro_alerts_attempt(a->al, &a->out, m, r, when);
		flush_out(a, alert_fp(a));
	}
}

static void
sink_unparsed(void *ctx, const char *src, unsigned long lineno,
    const char *line, size_t len)
{
	struct app *a = ctx;
	size_t i;

	if (!a->unparsed)
		return;
	sb_puts_sanitized(&a->out, src);
	sb_printf(&a->out, ":%lu: ", lineno);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\t')
			sb_putc(&a->out, ' ');
		else if (c >= 0x20 && c != 0x7f)
			sb_putc(&a->out, c);
		else if (c != '\n' && c != '\r')
			sb_printf(&a->out, "\\x%02x", c);
	}
	sb_putc(&a->out, '\n');
	flush_out(a, stdout);
}

/* ------------------------------------------------------------ ports */

static int
mailer_port(void *ctx, const char *mailer)
{
	struct app *a = ctx;
	size_t i;

	if (a->force_port > 0)
		return a->force_port;
	for (i = 0; i < a->nports; i++)
		if (strcmp(a->ports[i].name, mailer) == 0)
			return a->ports[i].port;
	return 0;
}

/* Record the port of one mailer definition "Mname, P=[IPC], ..., A=TCP $h
 * 587" (its continuation lines joined with blanks); "A=TCP $h" is 25. */
static int
add_port(struct app *a, const char *def)
{
	struct portmap *np;
	const char *q, *av = NULL;
	unsigned long port = 25;
	size_t nl, i;
	strbuf args;
	char *cur, *tok;
	int k = 0;

	nl = strcspn(def + 1, ", \t");
	if (nl == 0 || strstr(def, "P=[IPC]") == NULL)
		return 0;
	/* the A= field: "A=" after a comma or a blank */
	for (q = def; (q = strstr(q, "A=")) != NULL; q++)
		if (q > def && (q[-1] == ',' || q[-1] == ' ' || q[-1] == '\t')) {
			av = q + 2;
			break;
		}
	if (av == NULL)
		return 0;
	sb_init(&args);
	sb_append(&args, av, strcspn(av, ","));
	if (args.err)
		return -1;
	/* TCP $h [port] */
	for (cur = args.s; (tok = str_token(&cur)) != NULL && k < 3; k++)
		if (k == 2 && parse_uint(tok, 65535, &port) < 0)
			port = 0;
	sb_free(&args);
	for (i = 0; i < a->nports; i++)
		if (strlen(a->ports[i].name) == nl &&
		    strncmp(a->ports[i].name, def + 1, nl) == 0)
			break;
	if (i == a->nports) {
		if ((np = realloc(a->ports, (i + 1) * sizeof(*np))) == NULL)
			return -1;
		a->ports = np;
		if ((a->ports[i].name = strndup(def + 1, nl)) == NULL)
			return -1;
		a->nports++;
	}
	a->ports[i].port = (int)port;
	return 0;
}

/*
 * The port of each [IPC] mailer in sendmail.cf; a definition continues on
 * the lines that start with white space.
 */
static int
load_ports(struct app *a, const char *path)
{
	char *buf, *line, *next;
	size_t len;
	strbuf def;
	bool in_def = false;
	int rc = 0;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	sb_init(&def);
	for (line = buf; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (in_def && (*line == ' ' || *line == '\t')) {
			sb_putc(&def, ' ');
			sb_puts(&def, line);
			continue;
		}
		if (in_def)
			rc = def.err ? -1 : add_port(a, def.s);
		in_def = *line == 'M';
		sb_reset(&def);
		if (in_def)
			sb_puts(&def, line);
	}
	if (rc == 0 && in_def)
		rc = def.err ? -1 : add_port(a, def.s);
	sb_free(&def);
	free(buf);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

/* ------------------------------------------------------------ output */

/* The time ages are measured at: --now, else the wall clock when
 * following, else the latest line of the log. */
static int64_t
ref_now(const struct app *a)
{
	int64_t c = trace_clock(a->t), n;

	n = a->now_fixed ? a->to.now : a->follow ? wall() : c;
	return n > c ? n : c;
}

/* nd, oldest: the open deferred messages (trace_deferred) */
static int
write_prom(struct app *a, unsigned long nd, long oldest)
{
	strbuf sb, tmp;
	FILE *fp;
	int rc = 0;
	char *slash;

	if (a->prom == NULL)
		return 0;
	sb_init(&sb);
	sb_init(&tmp);
	tro_prometheus(&sb, a->sum, trace_stats(a->t), nd, oldest,
	    trace_clock(a->t), a->now_fixed ? a->to.now : wall());
	/* a hidden temporary name in the same directory, then rename */
	slash = strrchr(a->prom, '/');
	if (slash)
		sb_printf(&tmp, "%.*s/.%s.%ld.tmp", (int)(slash - a->prom),
		    a->prom, slash + 1, (long)getpid());
	else
		sb_printf(&tmp, ".%s.%ld.tmp", a->prom, (long)getpid());
	if (sb.err || tmp.err) {
		rc = -1;
		goto out;
	}
	if ((fp = fopen(tmp.s, "w")) == NULL) {
		warnx_("%s: %s", tmp.s, strerror(errno));
		rc = -1;
		goto out;
	}
	if (fwrite(sb.s, 1, sb.len, fp) != sb.len || fflush(fp) != 0 ||
	    fsync(fileno(fp)) != 0) {
		warnx_("%s: %s", tmp.s, strerror(errno));
		fclose(fp);
		unlink(tmp.s);
		rc = -1;
		goto out;
	}
	if (fclose(fp) != 0 || rename(tmp.s, a->prom) != 0) {
		warnx_("%s: %s", a->prom, strerror(errno));
		unlink(tmp.s);
		rc = -1;
	}
out:
	sb_free(&sb);
	sb_free(&tmp);
	return rc;
}

static void
print_end(struct app *a)
{
	const struct tr_stats *st = trace_stats(a->t);
	char buf[65536];
	size_t n;

	if (a->spool) {
		rewind(a->spool);
		while ((n = fread(buf, 1, sizeof(buf), a->spool)) > 0)
			if (fwrite(buf, 1, n, stdout) != n) {
				a->err = 1;
				break;
			}
		fclose(a->spool);
		a->spool = NULL;
	}
	if (a->text)
		printf("-- %lu lines, %lu not understood; %lu messages shown, "
		    "%lu of them failed or still queued\n", st->lines,
		    st->unparsed, a->shown, a->shown_fail);
	if (a->unparsed && !a->text && !a->summary)
		printf("-- %lu lines, %lu not understood\n", st->lines,
		    st->unparsed);
	if (a->summary) {
		tro_summary_print(&a->out, a->sum, st, a->top);
		flush_out(a, stdout);
	}
}

/* ------------------------------------------------------------ follow */

/* A follower has nothing to read: tick by the clock, rewrite the
 * textfile when due, show what was printed. */
static void
idle(void *ctx)
{
	struct app *a = ctx;
	int64_t now = wall();

	if (!a->now_fixed && now > trace_clock(a->t))
		trace_tick(a->t, now);
	if (a->prom && now - a->last_prom >= a->prom_interval) {
		unsigned long nd;
		long oldest;

		trace_deferred(a->t, ref_now(a), &nd, &oldest);
		if (write_prom(a, nd, oldest) < 0)
			a->err = 1;
		a->last_prom = now;
	}
	fflush(stdout);
}

/* ------------------------------------------------------------ options */

static void
usage(FILE *fp)
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
"      --now TIME          reference time: epoch seconds or\n"
"                          YYYY-MM-DDTHH:MM:SS[Z] (default: now)\n"
"      --year YYYY         year of syslog lines without one\n"
"      --sendmail-cf FILE  relay ports per mailer (/etc/mail/sendmail.cf)\n"
"      --port N            the relay port, instead of sendmail.cf\n"
"      --grace DUR         keep finished messages for late lines (2m)\n"
"      --queue-lifetime DUR  sendmail's Timeout.queuereturn (5d)\n"
"      --list-causes       print the cause catalogue (id, severity, phase,\n"
"                          summary, fix; tab-separated) and exit\n"
"  -V, --version\n"
"  -h, --help\n"
"exit: 0 fine, 1 warning alerts, 2 critical alerts, 3 error\n", fp);
}

static void
list_causes(void)
{
	static const char *const phases[] = { "any", "connect", "tls", "auth",
	    "mail", "rcpt", "data", "local", "policy" };
	const struct cause *c;
	size_t i;

	for (i = 0; i < cause_count(); i++) {
		c = cause_at(i);
		printf("%s\t%s\t%s\t%s\t%s\n", c->id,
		    cause_severity_name(c->severity),
		    (unsigned)c->phase < sizeof(phases) / sizeof(phases[0]) ?
		    phases[c->phase] : "?", c->summary, c->fix);
	}
}

static int
opt_duration(const char *name, const char *v, long *out)
{
	unsigned long x;

	if (parse_duration(v, LONG_MAX, &x) < 0) {
		warnx_("--%s: bad duration \"%s\" (e.g. 90s, 30m, 2h, 5d)",
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
	warnx_("--now: bad time \"%s\"", v);
	return -1;
}

enum {
	O_MAXDEFER = 256, O_MAXFAIL, O_WINDOW, O_FROMEND, O_POLL, O_JOURNAL,
	O_JDIR, O_NOW, O_YEAR, O_CF, O_PORT, O_GRACE, O_LIFETIME, O_TOP,
	O_NOFIX, O_PROMINT, O_CAUSES
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
	{ "now", required_argument, NULL, O_NOW },
	{ "year", required_argument, NULL, O_YEAR },
	{ "sendmail-cf", required_argument, NULL, O_CF },
	{ "port", required_argument, NULL, O_PORT },
	{ "grace", required_argument, NULL, O_GRACE },
	{ "queue-lifetime", required_argument, NULL, O_LIFETIME },
	{ "top", required_argument, NULL, O_TOP },
	{ "no-fix", no_argument, NULL, O_NOFIX },
	{ "list-causes", no_argument, NULL, O_CAUSES },
	{ NULL, 0, NULL, 0 }
};

static int
parse_args(struct app *a, int argc, char **argv, const char **cf)
{
	unsigned long x;
	int c;

	while ((c = getopt_long(argc, argv, "tjsP:uaAfVh", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 't':
			a->force_text = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 's':
			a->summary = true;
			break;
		case 'P':
			a->prom = optarg;
			break;
		case 'u':
			a->unparsed = true;
			break;
		case 'a':
			a->alert = true;
			break;
		case 'A':
			a->all = true;
			break;
		case 'f':
			a->follow = true;
			break;
		case 'V':
			printf("relaymilter-trace %s\n", RM_VERSION);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		case O_MAXDEFER:
			if (opt_duration("max-defer", optarg,
			    &a->ao.max_defer) < 0)
				return -1;
			a->to.max_defer = a->ao.max_defer;
			break;
		case O_MAXFAIL:
			if (parse_uint(optarg, 1000000, &x) < 0) {
				warnx_("--max-failures: bad number \"%s\"",
				    optarg);
				return -1;
			}
			a->ao.max_failures = x;
			break;
		case O_WINDOW:
			if (opt_duration("window", optarg, &a->ao.window) < 0)
				return -1;
			break;
		case O_FROMEND:
			a->from_end = true;
			break;
		case O_POLL:
			if (parse_uint(optarg, 3600000, &x) < 0 || x == 0) {
				warnx_("--poll: bad milliseconds \"%s\"", optarg);
				return -1;
			}
			a->poll_ms = (long)x;
			break;
		case O_PROMINT:
			if (opt_duration("prometheus-interval", optarg,
			    &a->prom_interval) < 0)
				return -1;
			break;
		case O_JOURNAL:
			a->journal = true;
			break;
		case O_JDIR:
			a->journal = true;
			a->journal_dir = optarg;
			break;
		case O_NOW:
			if (opt_now(optarg, &a->to.now) < 0)
				return -1;
			a->now_fixed = true;
			break;
		case O_YEAR:
			if (parse_uint(optarg, 9999, &x) < 0 || x < 1970) {
				warnx_("--year: bad year \"%s\"", optarg);
				return -1;
			}
			a->to.year = (int)x;
			break;
		case O_CF:
			*cf = optarg;
			break;
		case O_PORT:
			if (parse_uint(optarg, 65535, &x) < 0 || x == 0) {
				warnx_("--port: bad port \"%s\"", optarg);
				return -1;
			}
			a->force_port = (int)x;
			break;
		case O_GRACE:
			if (opt_duration("grace", optarg, &a->to.grace) < 0)
				return -1;
			break;
		case O_LIFETIME:
			if (opt_duration("queue-lifetime", optarg,
			    &a->to.queue_lifetime) < 0)
				return -1;
			break;
		case O_TOP:
			if (parse_uint(optarg, 100000, &x) < 0) {
				warnx_("--top: bad number \"%s\"", optarg);
				return -1;
			}
			a->top = x;
			break;
		case O_NOFIX:
			a->txo.fixes = false;
			break;
		case O_CAUSES:
			list_causes();
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app app;
	struct app *a = &app;
	struct tr_sink sink;
	struct tin_opts in;
	struct sigaction sa;
	const char *cf = NULL;
	unsigned long nd;
	long oldest;
	bool cf_given;
	int i, rc = 0;

	tr_opts_default(&a->to);
	a->ao.max_defer = a->to.max_defer;
	a->ao.max_failures = 10;
	a->ao.window = 600;
	a->txo.fixes = true;
	a->poll_ms = 250;
	a->prom_interval = 60;
	a->top = 10;
	if (parse_args(a, argc, argv, &cf) < 0)
		return EX_FAIL;
	argc -= optind;
	argv += optind;
	a->text = a->force_text || (!a->json && !a->summary && !a->unparsed &&
	    !a->alert && a->prom == NULL);
	if (a->follow && !a->journal && argc != 1) {
		warnx_("--follow needs exactly one FILE (or --journal)");
		return EX_FAIL;
	}
	if (a->journal && argc > 0) {
		warnx_("--journal reads no FILE");
		return EX_FAIL;
	}
#ifndef HAVE_LIBSYSTEMD
	if (a->journal) {
		warnx_("built without libsystemd: --journal is not available");
		return EX_FAIL;
	}
#endif
	cf_given = cf != NULL;
	if (cf == NULL)
		cf = "/etc/mail/sendmail.cf";
	if (a->force_port == 0 && load_ports(a, cf) < 0 && cf_given) {
		warnx_("%s: %s", cf, strerror(errno));
		return EX_FAIL;
	}
	a->to.mailer_port = mailer_port;
	a->to.port_ctx = a;
	/* without a per-message view, keep only what counts and alerts use */
	a->to.details = a->text || a->json;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	sb_init(&a->out);
	sink.message = sink_message;
	sink.attempt = sink_attempt;
	sink.unparsed = sink_unparsed;
	sink.ctx = a;
	a->sum = tro_summary_new(10000);
	a->al = tro_alerts_new(&a->ao);
	a->t = trace_new(&a->to, &sink);
	if (a->sum == NULL || a->al == NULL || a->t == NULL) {
		warnx_("out of memory");
		return EX_FAIL;
	}
	if (a->text && !a->follow && (a->spool = tmpfile()) == NULL)
		warnx_("no temporary file (%s): printing in log order",
		    strerror(errno));

	in.t = a->t;
	in.follow = a->follow;
	in.from_end = a->from_end;
	in.poll_ms = a->poll_ms;
	in.journal_dir = a->journal_dir;
	in.idle = idle;
	in.ctx = a;
	in.stop = &stop;
	if (a->journal) {
#ifdef HAVE_LIBSYSTEMD
		if (tin_journal(&in) < 0)
			rc = -1;
#endif
	} else if (a->follow) {
		if (tin_follow(&in, argv[0]) < 0)
			rc = -1;
	} else if (argc == 0) {
		if (tin_read(&in, NULL) < 0)
			rc = -1;
	} else {
		for (i = 0; i < argc && !stop; i++)
			if (tin_read(&in, strcmp(argv[i], "-") == 0 ? NULL :
			    argv[i]) < 0)
				rc = -1;
	}
	if (a->now_fixed && a->to.now > trace_clock(a->t))
		trace_tick(a->t, a->to.now);
	/* what is still deferred, before the end reports it all */
	trace_deferred(a->t, ref_now(a), &nd, &oldest);
	if (!a->follow)
		trace_finish(a->t, ref_now(a));
	if (write_prom(a, nd, oldest) < 0)
		rc = -1;
	print_end(a);
	if (fflush(stdout) != 0)
		rc = -1;
	trace_free(a->t);
	tro_summary_free(a->sum);
	sb_free(&a->out);
	if (rc < 0 || a->err) {
		tro_alerts_free(a->al);
		return EX_FAIL;
	}
	rc = a->alert ? (int)tro_alerts_level(a->al) : 0;
	tro_alerts_free(a->al);
	return rc;
}
