/*
 * trace_dsnrun.c - relaymilter-trace --dsn: the trace key, the mailboxes,
 *		    the maillog's records, the output
 *
 * CONTRACT
 *	See include/trace_app.h. main() runs the --dsn view in two calls
 *	around its own reading of the maillog. tdsnrun_begin() reads the trace
 *	key (--trace-key FILE, else TraceKeyFile of relaymilter's
 *	configuration: -c FILE, default /etc/relaymilter/relaymilter.conf;
 *	TraceHeader comes from that file too, else "X-Relay-Trace") and every
 *	--dsn mailbox (trace_dsn.c keeps the bounces), then makes a->t, a
 *	trace whose sink hands each maillog message to trace_dsn.c, which
 *	keeps the records the bounces name; nothing else of the maillog is
 *	printed. tdsnrun_end() finishes that trace and prints the bounces in
 *	mailbox order: text (failures are all there is), JSON, alerts, the
 *	summary, the Prometheus textfile. Bounces without a trace header are
 *	shown with --all only. The key is wiped, everything freed. Exit
 *	status as main()'s: 0, 1 or 2 with --alert, 3 when the key, the
 *	configuration, a mailbox or the maillog could not be read (what
 *	could be read is still reported).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dsn_box.h"
#include "log.h"
#include "tag.h"
#include "trace.h"
#include "trace_app.h"
#include "trace_dsn.h"
#include "trace_dsnout.h"
#include "trace_out.h"
#include "util.h"

#define DEFAULT_CONFIG	"/etc/relaymilter/relaymilter.conf"
#define DEFAULT_HEADER	"X-Relay-Trace"

struct tdsn_run {
	struct tapp	*a;
	struct tdsn	*t;
	struct tag_key	 key;
	bool		 have_key;
	bool		 failed;	/* a mailbox could not be read */
	unsigned long	 shown;
	enum talert_level	 level;
	strbuf		 out;
	bool		 out_dead;
};

/* The key and the header name; -1 after saying what is wrong. */
static int
load_key(const struct topt *o, struct tag_key *key, strbuf *hname)
{
	struct rm_config *cfg = NULL;
	const char *keypath = o->trace_key, *path;
	strbuf err;
	int rc = 0;

	sb_init(&err);
	sb_puts(hname, DEFAULT_HEADER);
	if (o->config != NULL || o->trace_key == NULL) {
		path = o->config ? o->config : DEFAULT_CONFIG;
		if (config_load(path, &cfg, &err) < 0) {
			log_warnx("%s", err.s);
			if (o->config == NULL)
				log_warnx("the trace key is TraceKeyFile of "
				    "relaymilter's configuration: give -c FILE "
				    "or --trace-key FILE");
			sb_free(&err);
			return -1;
		}
		if (cfg->trace_header[0] != '\0') {
			sb_reset(hname);
			sb_puts(hname, cfg->trace_header);
		} else
			log_warnx("%s: TraceHeader is empty (relaymilter adds "
			    "no trace header); looking for %s", path,
			    DEFAULT_HEADER);
		if (keypath == NULL)
			keypath = cfg->trace_key_file;
	}
	if (tag_key_load(keypath, false, key, &err) < 0) {
		log_warnx("%s", err.s);
		rc = -1;
	} else
		(void)tag_key_prepare(key);	/* else the slow way, same ids */
	config_free(cfg);
	sb_free(&err);
	return hname->err ? -1 : rc;
}

static int
on_box_msg(void *ctx, const struct dsnbox_msg *m)
{
	struct tdsn_run *r = ctx;

	if (tdsn_add(r->t, m->src, m->p, m->n, m->cut, m->total) < 0) {
		log_warnx("%s: out of memory", m->src);
		return 1;
	}
	return *r->a->stop ? 1 : 0;
}

static void
on_box_skipped(void *ctx, const char *path, const char *why)
{
	struct tdsn_run *r = ctx;

	log_warnx("%s: skipped: %s", path, why);
	tdsn_skipped(r->t);
}

static void
on_trace_msg(void *ctx, const struct tr_msg *m, enum tr_emit why,
    int64_t now)
{
	struct tdsn_run *r = ctx;

	(void)now;
	/* the final report of each message (a threshold one comes again) */
	if (why != TR_EMIT_THRESHOLD)
		tdsn_on_message(r->t, m);
}

/* Write r->out to fp and empty it; a failed write stops the writing. */
static void
flush(struct tdsn_run *r, FILE *fp)
{
	if (!r->out_dead && r->out.err) {
		log_warnx("out of memory while formatting");
		r->a->err = 1;
	} else if (!r->out_dead && r->out.len > 0 &&
	    fwrite(r->out.s, 1, r->out.len, fp) != r->out.len) {
		if (errno != EPIPE)
			log_warnx("write error: %s", strerror(errno));
		r->out_dead = true;
		r->a->err = 1;
	}
	sb_reset(&r->out);
}

static void
print(struct tdsn_run *r)
{
	const struct topt *o = &r->a->o;
	const struct tdsn_stats *st = tdsn_stats(r->t);
	const struct tdsn_rec *x;
	strbuf prom;
	size_t i;

	for (i = 0; i < tdsn_count(r->t); i++) {
		x = tdsn_at(r->t, i);
		if (o->alert) {
			tdo_alerts(&r->out, x, &r->level);
			flush(r, o->json ? stderr : stdout);
		}
		if (x->verdict == TDSN_NO_HEADER && !o->all)
			continue;
		if (o->json) {
			if (tdo_json(&r->out, x, st) < 0)
				r->out.err = 1;
			flush(r, stdout);
		}
		if (o->text) {
			tdo_text(&r->out, x, st, &o->txo);
			flush(r, stdout);
		}
		r->shown++;
	}
	if (o->text) {
		tdo_footer(&r->out, r->t, r->shown);
		flush(r, stdout);
	}
	if (o->summary) {
		tdo_summary(&r->out, r->t);
		flush(r, stdout);
	}
	if (o->prom != NULL) {
		sb_init(&prom);
		tdo_prometheus(&prom, r->t, o->now_fixed ? o->to.now :
		    (int64_t)time(NULL));
		if (tsink_write_atomic(o->prom, &prom) < 0)
			r->a->err = 1;
		sb_free(&prom);
	}
}

int
tdsnrun_begin(struct tapp *a)
{
	struct topt *o = &a->o;
	struct tdsn_run *r;
	struct tr_sink sink;
	strbuf hname, err;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	r->a = a;
	sb_init(&r->out);
	sb_init(&hname);
	sb_init(&err);
	if (load_key(o, &r->key, &hname) < 0) {
		sb_free(&hname);
		free(r);
		return -1;
	}
	r->have_key = true;
	a->dsn = r;
	if ((r->t = tdsn_new(&r->key, hname.s)) == NULL) {
		log_warnx("out of memory");
		sb_free(&hname);
		return -1;
	}
	sb_free(&hname);
	for (i = 0; i < o->ndsn && !*a->stop; i++) {
		struct dsnbox_opts bo = { on_box_msg, on_box_skipped, r };

		sb_reset(&err);
		if (dsnbox_read(o->dsn[i], &bo, &err) < 0) {
			if (err.len > 0)
				log_warnx("%s", err.s);
			r->failed = true;
		}
	}
	sb_free(&err);
	if (tdsn_index(r->t) < 0 || tdsn_failed(r->t))
		return -1;
	/* the maillog's messages go to trace_dsn.c, nothing else */
	memset(&sink, 0, sizeof(sink));
	sink.message = on_trace_msg;
	sink.ctx = r;
	o->to.details = true;	/* the decision's spf=, align=, ... */
	if ((a->t = trace_new(&o->to, &sink)) == NULL) {
		log_warnx("out of memory");
		return -1;
	}
	return 0;
}

int
tdsnrun_end(struct tapp *a, bool maillog, bool input_failed)
{
	const struct topt *o = &a->o;
	struct tdsn_run *r = a->dsn;
	enum talert_level level;
	int rc = input_failed ? -1 : 0;

	if (r == NULL)
		return TAPP_EX_FAIL;
	if (r->failed)
		rc = -1;
	if (a->t != NULL) {
		trace_finish(a->t, trace_clock(a->t));
		trace_free(a->t);
		a->t = NULL;
	}
	if (r->t != NULL) {
		tdsn_finish(r->t, maillog);
		if (tdsn_failed(r->t)) {
			log_warnx("out of memory: some bounces are not shown");
			rc = -1;
		}
		print(r);
		tdsn_free(r->t);
	} else
		rc = -1;
	if (fflush(stdout) != 0)
		rc = -1;
	if (r->have_key)
		tag_key_wipe(&r->key);
	sb_free(&r->out);
	level = r->level;
	a->dsn = NULL;
	free(r);
	if (rc < 0 || a->err)
		return TAPP_EX_FAIL;
	return o->alert ? (int)level : 0;
}
