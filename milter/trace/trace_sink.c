/*
 * trace_sink.c - where relaymilter-trace's output goes: the sink of the
 *		  trace (text, JSON, alerts, summary, unparsed lines), the
 *		  Prometheus textfile, the end of the run
 *
 * CONTRACT
 *	See trace_app.h. Formatting is trace_out.c's (and
 *	trace_stats.c's, trace_alert.c's); this module chooses where each
 *	piece goes and writes it. Every piece is formatted into a->out and
 *	written at once. Text blocks of failures go to stdout as they come;
 *	the others wait in a temporary file (a->spool) and follow at the end,
 *	unless following. Alert lines go to stdout, or to stderr when stdout
 *	carries JSON. Rejected and discarded messages are shown only with
 *	--all; threshold reports (still deferred past --max-defer) only when
 *	following. A write that fails stops all writing and the run
 *	(*a->stop); a closed pipe (| head) does so without a message.
 *	The Prometheus textfile is written to a new file of its own (mkstemp:
 *	a hidden, unguessable name in the same directory, never an existing
 *	file or symlink) with the mode the umask gives (node-exporter reads
 *	it), synced, then renamed over the old one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "atomicfile.h"
#include "causes.h"
#include "log.h"
#include "trace.h"
#include "trace_app.h"
#include "trace_out.h"
#include "util.h"

static int64_t
wall(void)
{
	return (int64_t)time(NULL);
}

/* Write what a->out holds to fp and empty it. */
static void
flush_out(struct tapp *a, FILE *fp)
{
	if (a->out_dead) {
		/* the reader went away: nothing more is written */
	} else if (a->out.err) {
		log_warnx("out of memory while formatting");
		a->err = 1;
	} else if (a->out.len > 0 &&
	    fwrite(a->out.s, 1, a->out.len, fp) != a->out.len) {
		/* a closed pipe (| head) ends the run quietly; anything
		 * else is reported once */
		if (errno != EPIPE)
			log_warnx("write error: %s", strerror(errno));
		a->out_dead = true;
		a->err = 1;
		*a->stop = 1;
	}
	sb_reset(&a->out);
}

static FILE *
alert_fp(const struct tapp *a)
{
	return a->o.json ? stderr : stdout;
}

static void
sink_message(void *ctx, const struct tr_msg *m, enum tr_emit why,
    int64_t now)
{
	struct tapp *a = ctx;
	const struct topt *o = &a->o;
	bool fail;

	tstats_message(a->sum, m, why, now);
	if (why != TR_EMIT_THRESHOLD) {
		size_t i;

		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpt[i].cf_newer) {
				a->cf_newer++;
				if (m->rcpt[i].last_fail > a->cf_newer_last)
					a->cf_newer_last = m->rcpt[i].last_fail;
			}
	}
	if (o->alert) {
		talert_message(a->al, &a->out, m, why, now);
		flush_out(a, alert_fp(a));
	}
	/* threshold reports are for live views only */
	if (why == TR_EMIT_THRESHOLD && !o->follow)
		return;
	if ((m->outcome == TR_REJECTED || m->outcome == TR_DISCARDED) &&
	    !o->all)
		return;
	if (o->json) {
		if (tro_json(&a->out, m, why, now) < 0)
			a->out.err = ENOMEM;
		flush_out(a, stdout);
	}
	if (o->text) {
		fail = tro_is_failure(m);
		a->shown++;
		if (fail)
			a->shown_fail++;
		tro_text(&a->out, m, why, now, &o->txo);
		flush_out(a, fail || o->follow || a->spool == NULL ? stdout :
		    a->spool);
	}
	if (o->follow)
		fflush(stdout);
}

static void
sink_attempt(void *ctx, const struct tr_msg *m, const struct tr_rcpt *r,
    int64_t when)
{
	struct tapp *a = ctx;

	tstats_attempt(a->sum, m, r, when);
	if (a->o.alert) {
		talert_attempt(a->al, &a->out, m, r, when);
		flush_out(a, alert_fp(a));
	}
}

static void
sink_unparsed(void *ctx, const char *src, unsigned long lineno,
    const char *line, size_t len)
{
	struct tapp *a = ctx;
	size_t i;

	if (!a->o.unparsed)
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

void
tsink_init(struct tapp *a, struct tr_sink *sink)
{
	sink->message = sink_message;
	sink->attempt = sink_attempt;
	sink->unparsed = sink_unparsed;
	sink->ctx = a;
}

/* The time ages are measured at: --now, else the wall clock when
 * following, else the latest line of the log. */
int64_t
tsink_ref_now(const struct tapp *a)
{
	int64_t c = trace_clock(a->t), n;

	n = a->o.now_fixed ? a->o.to.now : a->o.follow ? wall() : c;
	return n > c ? n : c;
}

/* The mode a new file gets under the process umask (0666 & ~umask): the
 * textfile is read by node-exporter, another user. */
static mode_t
file_mode(void)
{
	mode_t m = umask(077);

	umask(m);
	return 0666 & ~m;
}

int
tsink_write_atomic(const char *path, const strbuf *text)
{
	strbuf err;
	int rc;

	if (text->err)
		return -1;
	sb_init(&err);
	if ((rc = atomicfile_write(path, text->s, text->len, file_mode(),
	    ATOMICFILE_REPLACE, &err)) < 0)
		log_warnx("%s: cannot write it (%s)", path,
		    err.s != NULL ? err.s : "out of memory");
	sb_free(&err);
	return rc;
}

int
tsink_write_prom(struct tapp *a, unsigned long nd, long oldest)
{
	strbuf sb;
	int rc;

	if (a->o.prom == NULL)
		return 0;
	sb_init(&sb);
	tstats_prometheus(&sb, a->sum, trace_stats(a->t), nd, oldest,
	    trace_clock(a->t), a->o.now_fixed ? a->o.to.now : wall());
	/* the queue gauges (relaymilter-doctor queue's view), with --queue */
	if (a->o.queue && tqueue_prom(a, &sb) < 0) {
		sb_free(&sb);
		return -1;
	}
	rc = tsink_write_atomic(a->o.prom, &sb);
	sb_free(&sb);
	return rc;
}

void
tsink_end(struct tapp *a)
{
	const struct topt *o = &a->o;
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
	if (o->text)
		printf("-- %lu lines, %lu not understood; %lu messages shown, "
		    "%lu of them failed or still queued\n", st->lines,
		    st->unparsed, a->shown, a->shown_fail);
	if (o->unparsed && !o->text && !o->summary)
		printf("-- %lu lines, %lu not understood\n", st->lines,
		    st->unparsed);
	if (o->summary) {
		tstats_print(&a->out, a->sum, st, o->top);
		flush_out(a, stdout);
	}
	if (a->cf_newer > 0) {
		strbuf w;

		sb_init(&w);
		sb_printf(&w, "%s changed at ", a->cf_path);
		tro_time_local(&w, a->ports.mtime);
		sb_printf(&w, ", after %lu of the failures explained (the last "
		    "at ", a->cf_newer);
		tro_time_local(&w, a->cf_newer_last);
		sb_puts(&w, "): their ports and fixes come from today's "
		    "configuration, not necessarily the one sendmail ran then");
		if (!w.err)
			log_warnx("%s", w.s);
		sb_free(&w);
	}
}

/* A follower has nothing to read: tick by the clock, rewrite the
 * textfile when due, show what was printed. */
void
tsink_idle(void *ctx)
{
	struct tapp *a = ctx;
	int64_t now = wall();

	/* the reference of the year guess and of lines from the future
	 * moves with the wall clock */
	trace_set_now(a->t, a->o.now_fixed ? a->o.to.now : now, now);
	if (!a->o.now_fixed && now > trace_clock(a->t))
		trace_tick(a->t, now);
	if (a->o.prom && now - a->last_prom >= a->o.prom_interval) {
		unsigned long nd;
		long oldest;

		trace_deferred(a->t, tsink_ref_now(a), &nd, &oldest);
		if (tsink_write_prom(a, nd, oldest) < 0)
			a->err = 1;
		a->last_prom = now;
	}
	fflush(stdout);
}

void
tsink_list_causes(void)
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
