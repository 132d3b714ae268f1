/*
 * doctor_queue.c - relaymilter-doctor queue: what is stuck in sendmail's
 *		    queues, since when and why
 *
 * CONTRACT
 *	See include/doctor_queue.h. Options are parsed here, the queues are
 *	read by qgather_run(), and this file only formats: text to stdout,
 *	or one JSON object. Ages are counted from --now (Unix time, for
 *	tests) or the clock.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "causes.h"
#include "doctor_queue.h"
#include "jstr.h"
#include "qgather.h"
#include "util.h"

#define EXIT_GOOD	0
#define EXIT_WARN	1
#define EXIT_ERROR	2

#define DEFAULT_TOP	20
#define KEY_WIDTH	22	/* the row name column, at least */
#define KEY_MAX		40	/* longer names get a line of their own */

static const char *progname = "relaymilter-doctor";

struct qopt {
	struct qgather_opts g;
	unsigned long	 top;
	bool		 messages;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: %s [--json] queue [--cf FILE] [--submit-cf FILE] [--mta-dir DIR]\n"
"           [--msp-dir DIR] [--by domain|relay] [--top N] [--messages]\n"
"           [--trace-header NAME] [--now UNIXTIME]\n", progname);
}

static void
age_text(char *buf, size_t n, int64_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 120)
		snprintf(buf, n, "%lld s", (long long)secs);
	else if (secs < 7200)
		snprintf(buf, n, "%lld min", (long long)(secs / 60));
	else if (secs < 2 * 86400)
		snprintf(buf, n, "%lld h %lld min", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60));
	else
		snprintf(buf, n, "%lld d %lld h", (long long)(secs / 86400),
		    (long long)(secs % 86400 / 3600));
}

static const char *
sev_name(const struct qsum_cause *c)
{
	if (c->cause != NULL)
		return cause_severity_name(c->cause->severity);
	return strcmp(c->id, "none") == 0 ? "info" : "warn";
}

static int
exit_of(const struct qgather *g)
{
	int w = -1, s;
	size_t i;

	for (i = 0; i < g->nq; i++)
		if ((s = qsum_worst(&g->q[i])) > w)
			w = s;
	return w == CAUSE_ERROR ? EXIT_ERROR : w == CAUSE_WARN ? EXIT_WARN :
	    EXIT_GOOD;
}

static const char *
result_name(int ex)
{
	return ex == EXIT_ERROR ? "error" : ex == EXIT_WARN ? "warnings" : "ok";
}

/* ------------------------------------------------------------ text */

static void
print_wrapped(const char *label, const char *text)
{
	printf("      %-7s %s\n", label, text && text[0] ? text : "-");
}

static void
row_text(const char *key, const struct qsum_row *r, int w)
{
	int i;

	if ((int)strlen(key) > w)
		printf("  %s\n  %-*s", key, w, "");
	else
		printf("  %-*s", w, key);
	printf(" %6lu", r->n);
	for (i = 0; i < QSUM_NAGES; i++)
		printf(" %6lu", r->age[i]);
	printf("\n");
}

static void
queue_text(const struct qsum_queue *q, const struct qopt *o, int64_t now)
{
	char age[32];
	size_t i, n;
	int w = KEY_WIDTH, l;

	printf("\n%s queue", q->name);
	for (i = 0; i < q->ndirs; i++)
		printf("%s%s", i ? ", " : " ", q->dirs[i]);
	if (q->route.relay)
		printf(" (mail leaves via %s port %d)", q->route.relay,
		    q->route.port);
	printf("\n");
	if (q->error)
		printf("  ERROR %s\n", q->error);
	if (q->queued == 0)
		printf("  no message waits for delivery");
	else {
		age_text(age, sizeof(age), now - q->oldest_ctime);
		printf("  %lu message%s (%lu recipient%s) wait%s for delivery, "
		    "the oldest %s (%s)", q->queued, q->queued == 1 ? "" : "s",
		    q->recipients, q->recipients == 1 ? "" : "s",
		    q->queued == 1 ? "s" : "", q->oldest_qid, age);
	}
	if (q->quarantined)
		printf("; %lu quarantined", q->quarantined);
	if (q->lost)
		printf("; %lu lost (Qf)", q->lost);
	if (q->inflight)
		printf("; %lu being written", q->inflight);
	printf("\n");
	if (q->queued == 0)
		return;
	for (i = 0; i < q->nrows; i++)
		if ((l = (int)strlen(q->rows[i]->key)) > w && l <= KEY_MAX)
			w = l;
	printf("  %-*s %6s", w, o->g.sum.by_relay ? "relay" : "domain", "T");
	for (i = 0; i < QSUM_NAGES; i++)
		printf(" %6s", qsum_age_name[i]);
	printf("\n");
	row_text("TOTAL", &q->total, w);
	n = o->top == 0 || o->top > q->nrows ? q->nrows : o->top;
	for (i = 0; i < n; i++)
		row_text(q->rows[i]->key, q->rows[i], w);
	if (n < q->nrows)
		printf("  ... and %zu more (--top 0 shows every one)\n",
		    q->nrows - n);
}

static void
causes_text(const struct qgather *g, int64_t now)
{
	const struct qsum_queue *q;
	char age[32];
	size_t i, j, k, n = 0;

	for (i = 0; i < g->nq; i++)
		n += g->q[i].ncauses;
	if (n == 0)
		return;
	printf("\ncauses\n");
	for (i = 0; i < g->nq; i++) {
		q = &g->q[i];
		for (j = 0; j < q->ncauses; j++) {
			const struct qsum_cause *c = &q->causes[j];

			age_text(age, sizeof(age), now - c->oldest_ctime);
			printf("  %-4s %6lu  %-24s %-5s oldest %s (%s)\n",
			    q->name, c->n, c->id, sev_name(c),
			    c->oldest_qid, age);
			if (strcmp(c->id, "none") == 0) {
				print_wrapped("status", "not tried yet (no "
				    "status in its queue file)");
				continue;
			}
			print_wrapped(c->oldest_kind == 'h' ? "reason" :
			    "status", c->oldest_text);
			if (c->cause != NULL) {
				print_wrapped("cause", c->cause->summary);
				print_wrapped("fix", c->cause->fix);
			} else
				print_wrapped("cause", "no cause in the "
				    "catalogue matches: read the status");
		}
	}
	for (i = n = 0; i < g->nq; i++)
		n += g->q[i].npolicy;
	if (n == 0)
		return;
	printf("\nrelaymilter's verdicts in the trace header of queued mail\n");
	for (i = 0; i < g->nq; i++) {
		q = &g->q[i];
		for (k = 0; k < q->npolicy; k++)
			printf("  %-4s %6lu  %-24s %s\n", q->name, q->policy[k].n,
			    q->policy[k].cause->id, q->policy[k].cause->summary);
	}
}

static void
messages_text(const struct qgather *g, int64_t now)
{
	char age[32];
	size_t i, j, k;

	printf("\nmessages\n");
	for (i = 0; i < g->nq; i++)
		for (j = 0; j < g->q[i].nmsgs; j++) {
			const struct qsum_msg *m = &g->q[i].msgs[j];

			age_text(age, sizeof(age), now - m->ctime);
			printf("  %-4s %s%s  %s  %ld attempt%s  <%s> ->",
			    g->q[i].name, m->qid, m->kind == 'h' ?
			    " (quarantined)" : m->kind == 'Q' ? " (lost)" : "",
			    age, m->ntries, m->ntries == 1 ? "" : "s",
			    m->sender);
			for (k = 0; k < m->nrcpt; k++)
				printf("%s %s", k ? "," : "", m->rcpt[k]);
			printf("\n        %s: %s\n", m->cause_id,
			    m->text[0] ? m->text : "(no status)");
			if (m->trace)
				printf("        trace: %s\n", m->trace);
		}
}

static void
queue_report_text(const struct qgather *g, const struct qopt *o,
    int64_t now)
{
	size_t i, j;
	int ex = exit_of(g);
	const char *p, *nl;

	printf("relaymilter-doctor queue: %s%s%s\n", g->cf ? g->cf : "-",
	    g->submit_cf ? ", " : "", g->submit_cf ? g->submit_cf : "");
	for (p = g->note.s; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		printf("note: %.*s\n", (int)(nl - p), p);
	}
	for (i = 0; i < g->nq; i++)
		queue_text(&g->q[i], o, now);
	causes_text(g, now);
	for (i = 0; i < g->nq; i++) {
		const struct qsum_queue *q = &g->q[i];

		if (q->nbad == 0)
			continue;
		printf("\nnot read (%s queue)\n", q->name);
		for (j = 0; j < q->nbad; j++) {
			if (q->bad[j].line > 0)
				printf("  %s:%u: %s\n", q->bad[j].file,
				    q->bad[j].line, q->bad[j].what);
			else
				printf("  %s: %s\n", q->bad[j].file,
				    q->bad[j].what);
		}
	}
	if (o->messages)
		messages_text(g, now);
	printf("\nresult: %s\n", result_name(ex));
}

/* ------------------------------------------------------------ JSON */

static json_object *
jages(const unsigned long *age)
{
	json_object *a = json_object_new_array();
	int i;

	for (i = 0; i < QSUM_NAGES; i++)
		json_object_array_add(a, json_object_new_int64((int64_t)age[i]));
	return a;
}

static json_object *
jrow(const struct qsum_row *r, const char *key)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "key", jstr(key));
	json_object_object_add(o, "messages", json_object_new_int64(
	    (int64_t)r->n));
	json_object_object_add(o, "ages", jages(r->age));
	return o;
}

static json_object *
jqueue(const struct qsum_queue *q, const struct qopt *o, int64_t now)
{
	json_object *jq = json_object_new_object(), *a, *x;
	size_t i, n;

	json_object_object_add(jq, "name", jstr(q->name));
	a = json_object_new_array();
	for (i = 0; i < q->ndirs; i++)
		json_object_array_add(a, jstr(q->dirs[i]));
	json_object_object_add(jq, "directories", a);
	if (q->route.relay) {
		json_object_object_add(jq, "relay", jstr(q->route.relay));
		json_object_object_add(jq, "port",
		    json_object_new_int(q->route.port));
	}
	if (q->error)
		json_object_object_add(jq, "error", jstr(q->error));
	json_object_object_add(jq, "queued",
	    json_object_new_int64((int64_t)q->queued));
	json_object_object_add(jq, "recipients",
	    json_object_new_int64((int64_t)q->recipients));
	json_object_object_add(jq, "quarantined",
	    json_object_new_int64((int64_t)q->quarantined));
	json_object_object_add(jq, "lost",
	    json_object_new_int64((int64_t)q->lost));
	json_object_object_add(jq, "being_written",
	    json_object_new_int64((int64_t)q->inflight));
	json_object_object_add(jq, "vanished",
	    json_object_new_int64((int64_t)q->vanished));
	if (q->oldest_qid) {
		x = json_object_new_object();
		json_object_object_add(x, "qid", jstr(q->oldest_qid));
		json_object_object_add(x, "queued",
		    json_object_new_int64(q->oldest_ctime));
		json_object_object_add(x, "age",
		    json_object_new_int64(now - q->oldest_ctime));
		json_object_object_add(jq, "oldest", x);
	}
	json_object_object_add(jq, "total", jrow(&q->total, "TOTAL"));
	a = json_object_new_array();
	n = o->top == 0 || o->top > q->nrows ? q->nrows : o->top;
	for (i = 0; i < n; i++)
		json_object_array_add(a, jrow(q->rows[i], q->rows[i]->key));
	json_object_object_add(jq, "rows", a);
	json_object_object_add(jq, "rows_not_shown",
	    json_object_new_int64((int64_t)(q->nrows - n)));
	a = json_object_new_array();
	for (i = 0; i < q->nbad; i++) {
		x = json_object_new_object();
		json_object_object_add(x, "file", jstr(q->bad[i].file));
		if (q->bad[i].line > 0)
			json_object_object_add(x, "line",
			    json_object_new_int64(q->bad[i].line));
		json_object_object_add(x, "error", jstr(q->bad[i].what));
		json_object_array_add(a, x);
	}
	json_object_object_add(jq, "unreadable", a);
	return jq;
}

static json_object *
jcause(const struct qsum_queue *q, const struct qsum_cause *c, int64_t now)
{
	json_object *x = json_object_new_object(), *y;

	json_object_object_add(x, "queue", jstr(q->name));
	json_object_object_add(x, "cause", jstr(c->id));
	json_object_object_add(x, "severity", jstr(sev_name(c)));
	json_object_object_add(x, "messages",
	    json_object_new_int64((int64_t)c->n));
	json_object_object_add(x, "ages", jages(c->age));
	if (c->cause) {
		json_object_object_add(x, "summary", jstr(c->cause->summary));
		json_object_object_add(x, "fix", jstr(c->cause->fix));
	}
	y = json_object_new_object();
	json_object_object_add(y, "qid", jstr(c->oldest_qid));
	json_object_object_add(y, "queued",
	    json_object_new_int64(c->oldest_ctime));
	json_object_object_add(y, "age",
	    json_object_new_int64(now - c->oldest_ctime));
	json_object_object_add(y, "status", jstr(c->oldest_text));
	json_object_object_add(x, "oldest", y);
	return x;
}

static json_object *
jmsg(const struct qsum_queue *q, const struct qsum_msg *m, int64_t now)
{
	json_object *x = json_object_new_object(), *a;
	size_t k;

	json_object_object_add(x, "queue", jstr(q->name));
	json_object_object_add(x, "qid", jstr(m->qid));
	json_object_object_add(x, "state", jstr(m->kind == 'h' ?
	    "quarantined" : m->kind == 'Q' ? "lost" : "queued"));
	json_object_object_add(x, "file", jstr(m->file));
	json_object_object_add(x, "queued", json_object_new_int64(m->ctime));
	json_object_object_add(x, "age", json_object_new_int64(now - m->ctime));
	if (m->dtime)
		json_object_object_add(x, "last_attempt",
		    json_object_new_int64(m->dtime));
	json_object_object_add(x, "attempts", json_object_new_int64(m->ntries));
	json_object_object_add(x, "sender", jstr(m->sender));
	a = json_object_new_array();
	for (k = 0; k < m->nrcpt; k++)
		json_object_array_add(a, jstr(m->rcpt[k]));
	json_object_object_add(x, "recipients", a);
	json_object_object_add(x, "cause", jstr(m->cause_id));
	json_object_object_add(x, "status", jstr(m->text));
	if (m->trace)
		json_object_object_add(x, "trace", jstr(m->trace));
	return x;
}

static int
queue_report_json(const struct qgather *g, const struct qopt *o,
    int64_t now)
{
	json_object *root = json_object_new_object(), *a, *c, *p, *x;
	size_t i, j;
	int ex = exit_of(g), rc = 0;
	const char *s;

	json_object_object_add(root, "command", jstr("queue"));
	if (g->cf)
		json_object_object_add(root, "cf", jstr(g->cf));
	if (g->submit_cf)
		json_object_object_add(root, "submit_cf", jstr(g->submit_cf));
	json_object_object_add(root, "now", json_object_new_int64(now));
	json_object_object_add(root, "by", jstr(o->g.sum.by_relay ? "relay" :
	    "domain"));
	a = json_object_new_array();
	for (i = 0; i < QSUM_NAGES; i++)
		json_object_array_add(a, jstr(qsum_age_name[i]));
	json_object_object_add(root, "age_buckets", a);
	if (g->note.len > 0)
		json_object_object_add(root, "notes", jstr(g->note.s));
	a = json_object_new_array();
	c = json_object_new_array();
	p = json_object_new_array();
	for (i = 0; i < g->nq; i++) {
		const struct qsum_queue *q = &g->q[i];

		json_object_array_add(a, jqueue(q, o, now));
		for (j = 0; j < q->ncauses; j++)
			json_object_array_add(c, jcause(q, &q->causes[j], now));
		for (j = 0; j < q->npolicy; j++) {
			x = json_object_new_object();
			json_object_object_add(x, "queue", jstr(q->name));
			json_object_object_add(x, "cause",
			    jstr(q->policy[j].cause->id));
			json_object_object_add(x, "messages",
			    json_object_new_int64((int64_t)q->policy[j].n));
			json_object_array_add(p, x);
		}
	}
	json_object_object_add(root, "queues", a);
	json_object_object_add(root, "causes", c);
	json_object_object_add(root, "verdicts", p);
	if (o->messages) {
		a = json_object_new_array();
		for (i = 0; i < g->nq; i++)
			for (j = 0; j < g->q[i].nmsgs; j++)
				json_object_array_add(a, jmsg(&g->q[i],
				    &g->q[i].msgs[j], now));
		json_object_object_add(root, "messages", a);
	}
	json_object_object_add(root, "result", jstr(result_name(ex)));
	json_object_object_add(root, "exit", json_object_new_int(ex));
	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		rc = -1;
	else
		printf("%s\n", s);
	json_object_put(root);
	return rc;
}

/* ------------------------------------------------------------ command */

int
doctor_queue(int argc, char **argv, bool json)
{
	static const struct option opts[] = {
		{ "cf", required_argument, NULL, 'f' },
		{ "submit-cf", required_argument, NULL, 's' },
		{ "mta-dir", required_argument, NULL, 'm' },
		{ "msp-dir", required_argument, NULL, 'p' },
		{ "by", required_argument, NULL, 'b' },
		{ "top", required_argument, NULL, 't' },
		{ "messages", no_argument, NULL, 'M' },
		{ "trace-header", required_argument, NULL, 'H' },
		{ "now", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct qopt o;
	struct qgather g;
	unsigned long v;
	strbuf err;
	int ch, rc;

	memset(&o, 0, sizeof(o));
	o.top = DEFAULT_TOP;
	o.g.sum.trace_header = "X-Relay-Trace";
	o.g.sum.now = (int64_t)time(NULL);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': o.g.cf = optarg; break;
		case 's': o.g.submit_cf = optarg; break;
		case 'm': o.g.mta_dir = optarg; break;
		case 'p': o.g.msp_dir = optarg; break;
		case 'b':
			if (strcmp(optarg, "relay") == 0)
				o.g.sum.by_relay = true;
			else if (strcmp(optarg, "domain") != 0) {
				fprintf(stderr, "%s: --by wants domain or "
				    "relay\n", progname);
				return EXIT_ERROR;
			}
			break;
		case 't':
			if (parse_uint(optarg, 1000000, &o.top) < 0) {
				fprintf(stderr, "%s: --top wants a number (0: "
				    "every row)\n", progname);
				return EXIT_ERROR;
			}
			break;
		case 'M': o.messages = true; break;
		case 'H':
			o.g.sum.trace_header = optarg[0] ? optarg : NULL;
			break;
		case 'n':
			if (parse_uint(optarg, (unsigned long)INT64_MAX / 2,
			    &v) < 0) {
				fprintf(stderr, "%s: --now wants a Unix time\n",
				    progname);
				return EXIT_ERROR;
			}
			o.g.sum.now = (int64_t)v;
			break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return EXIT_GOOD;
		default: usage(stderr); return EXIT_ERROR;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_ERROR;
	}
	o.g.sum.keep_messages = o.messages;
	sb_init(&err);
	if (qgather_run(&o.g, &g, &err) < 0) {
		fprintf(stderr, "%s: %s\n", progname, err.err ?
		    "out of memory" : err.s);
		sb_free(&err);
		qgather_free(&g);
		return EXIT_ERROR;
	}
	sb_free(&err);
	rc = exit_of(&g);
	if (json) {
		if (queue_report_json(&g, &o, o.g.sum.now) < 0) {
			fprintf(stderr, "%s: out of memory\n", progname);
			rc = EXIT_ERROR;
		}
	} else
		queue_report_text(&g, &o, o.g.sum.now);
	if (fflush(stdout) != 0)
		rc = EXIT_ERROR;
	qgather_free(&g);
	return rc;
}
