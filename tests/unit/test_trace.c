/*
 * test_trace.c - joining lines into messages: outcomes, causes, links,
 *		  pid-matched evidence, eviction and bounded memory
 *
 * CONTRACT
 *	Each test feeds a short synthetic log (sendmail's formats, times in
 *	UTC with TZ=UTC set in main) and records what the sink receives; the
 *	record copies the fields a test asserts, because a struct tr_msg is
 *	only valid during the sink call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "trace.h"

#define MAXREC	64

struct rec {
	enum tr_emit	 why;
	enum tr_outcome	 outcome;
	char		 host[32], qid[24];
	char		 cause[40], rcause[3][40], last_cause[40];
	char		 tls[80], auth[120], handoff[24], msp_qid[24];
	char		 msp_from[64], dsn_qid[24], orig_qid[24], chgfrom[64];
	char		 trace_header[80], action[16], policy[4][40];
	char		 dmarc[16], dmarc_policy[16];
	size_t		 nrcpt, npolicy;
	unsigned	 attempts;
	bool		 cached;
	long		 age;
};

static struct rec recs[MAXREC];
static size_t nrecs;
static unsigned long nattempts, nunparsed;

static void
cp(char *d, size_t n, const char *s)
{
	snprintf(d, n, "%s", s ? s : "");
}

static void
on_msg(void *ctx, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	struct rec *r;
	size_t i;

	(void)ctx;
	if (nrecs >= MAXREC)
		return;
	r = &recs[nrecs++];
	memset(r, 0, sizeof(*r));
	r->why = why;
	r->outcome = m->outcome;
	cp(r->host, sizeof(r->host), m->host);
	cp(r->qid, sizeof(r->qid), m->qid);
	cp(r->cause, sizeof(r->cause), m->cause ? m->cause->id : "");
	for (i = 0; i < m->nrcpt && i < 3; i++)
		cp(r->rcause[i], sizeof(r->rcause[i]),
		    m->rcpt[i].cause ? m->rcpt[i].cause->id : "");
	if (m->nrcpt > 0) {
		const struct tr_rcpt *x = &m->rcpt[0];

		cp(r->last_cause, sizeof(r->last_cause),
		    x->last_cause ? x->last_cause->id : "");
		cp(r->tls, sizeof(r->tls), x->tls);
		cp(r->auth, sizeof(r->auth), x->auth);
		cp(r->handoff, sizeof(r->handoff), x->handoff);
		r->attempts = x->attempts;
		r->cached = x->cached;
	}
	cp(r->msp_qid, sizeof(r->msp_qid), m->msp_qid);
	cp(r->msp_from, sizeof(r->msp_from), m->msp_from);
	cp(r->dsn_qid, sizeof(r->dsn_qid), m->dsn_qid);
	cp(r->orig_qid, sizeof(r->orig_qid), m->orig_qid);
	cp(r->chgfrom, sizeof(r->chgfrom), m->chgfrom);
	cp(r->trace_header, sizeof(r->trace_header), m->trace_header);
	cp(r->action, sizeof(r->action), m->d.action);
	cp(r->dmarc, sizeof(r->dmarc), m->d.dmarc);
	cp(r->dmarc_policy, sizeof(r->dmarc_policy), m->d.dmarc_policy);
	for (i = 0; i < m->npolicy; i++)
		cp(r->policy[i], sizeof(r->policy[i]), m->policy[i]->id);
	r->npolicy = m->npolicy;
	r->nrcpt = m->nrcpt;
	r->age = tr_msg_age(m, now);
}

static void
on_attempt(void *ctx, const struct tr_msg *m, const struct tr_rcpt *r,
    int64_t when)
{
	(void)ctx;
	(void)m;
	(void)r;
	(void)when;
	nattempts++;
}

static void
on_unparsed(void *ctx, const char *src, unsigned long lineno,
    const char *line, size_t len)
{
	(void)ctx;
	(void)src;
	(void)lineno;
	(void)line;
	(void)len;
	nunparsed++;
}

static int port_for_relay = 0;

static int
port_cb(void *ctx, const char *mailer)
{
	(void)ctx;
	return strcmp(mailer, "relay") == 0 ? port_for_relay : 0;
}

static struct trace *
start(struct tr_opts *o)
{
	struct tr_sink s = { on_msg, on_attempt, on_unparsed, NULL };
	struct tr_opts d;

	if (o == NULL) {
		tr_opts_default(&d);
		d.now = 1795000000;	/* 2026-11-18 */
		o = &d;
	}
	o->mailer_port = port_cb;
	nrecs = 0;
	nattempts = nunparsed = 0;
	return trace_new(o, &s);
}

static void
feed(struct trace *t, const char *const *lines)
{
	unsigned long n = 0;

	for (; *lines; lines++)
		assert_int_equal(trace_feed(t, "test", ++n, *lines,
		    strlen(*lines)), 0);
}

static struct rec *
find(const char *qid)
{
	size_t i;

	for (i = 0; i < nrecs; i++)
		if (strcmp(recs[i].qid, qid) == 0 &&
		    recs[i].why != TR_EMIT_THRESHOLD)
			return &recs[i];
	print_error("no message %s reported\n", qid);
	return NULL;
}

#define H	"Nov 21 07:42:56 mta "

static void
test_relayed_sent(void **state)
{
	static const char *const log[] = {
		H "sendmail[30824]: 6AL7guhV030824: from=<alice@client.test>, "
		    "size=242, class=0, nrcpts=1, msgid=<a@client.test>, "
		    "proto=ESMTP, daemon=MTA, relay=mta.test [127.0.0.1]",
		H "sendmail[30824]: 6AL7guhV030824: Milter (relaymilter) "
		    "chgfrom: <relay@example.test>",
		H "sendmail[30824]: 6AL7guhV030824: Milter (relaymilter) "
		    "insert (0): header: X-Relay-Trace: id=AB12CD34; "
		    "qid=6AL7guhV030824",
		H "relaymilter[500]: 6AL7guhV030824: action=rewrite, "
		    "from=<alice@client.test>, to=<relay@example.test>, "
		    "account=relay@example.test, relay=[smarthost.test], "
		    "spf=pass, align=pass, trace=AB12CD34, result=ok",
		H "sendmail[30826]: STARTTLS=client, relay=smarthost.test., "
		    "version=TLSv1.3, verify=OK, cipher=TLS_AES_256_GCM_SHA384, "
		    "bits=256/256",
		H "sendmail[30826]: 6AL7guhV030824: to=<bob@remote.test>, "
		    "delay=00:00:01, xdelay=00:00:01, mailer=relay, pri=30242, "
		    "relay=smarthost.test. [127.0.0.2], dsn=2.0.0, stat=Sent "
		    "(2.0.0 OK: queued as X1)",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	assert_int_equal(nrecs, 0);	/* held for the grace period */
	trace_finish(t, 0);
	assert_int_equal(nrecs, 1);
	r = find("6AL7guhV030824");
	assert_non_null(r);
	assert_int_equal(r->outcome, TR_SENT);
	assert_int_equal(r->why, TR_EMIT_FINAL);
	assert_string_equal(r->host, "mta");
	assert_string_equal(r->chgfrom, "<relay@example.test>");
	assert_string_equal(r->trace_header, "id=AB12CD34; qid=6AL7guhV030824");
	assert_string_equal(r->action, "rewrite");
	assert_string_equal(r->tls, "TLSv1.3, verify=OK, "
	    "cipher=TLS_AES_256_GCM_SHA384");
	assert_int_equal(r->npolicy, 0);
	assert_int_equal(r->cause[0], '\0');
	assert_int_equal(nattempts, 1);
	trace_free(t);
}

static void
test_deferred_then_sent(void **state)
{
	static const char *const log[] = {
		"Nov 21 08:00:00 mta sm-mta[100]: 6AL80000000100: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"Nov 21 08:00:05 mta sm-mta[101]: 6AL80000000100: "
		    "to=<b@y.test>, delay=00:00:05, xdelay=00:00:05, "
		    "mailer=relay, pri=30010, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection timed out with smtp.gmail.com.",
		"Nov 21 08:30:05 mta sm-mta[200]: 6AL80000000100: "
		    "to=<b@y.test>, delay=00:30:05, xdelay=00:00:01, "
		    "mailer=relay, pri=120010, relay=smtp.gmail.com. "
		    "[142.250.1.1], dsn=2.0.0, stat=Sent (OK 1 - gsmtp)",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	port_for_relay = 25;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AL80000000100");
	assert_non_null(r);
	assert_int_equal(r->outcome, TR_SENT);
	assert_int_equal(r->attempts, 2);
	/* the failed attempt's cause is kept as the last cause; the relay
	 * answered on port 25 half an hour later, so port 25 is not blocked
	 * (issue 13): a timeout, not connect-timeout-port25 */
	assert_string_equal(r->last_cause, "connect-timeout");
	assert_string_equal(r->rcause[0], "");
	port_for_relay = 0;
	trace_free(t);
}

static void
test_port_decides_timeout_cause(void **state)
{
	static const char *const log[] = {
		"Nov 21 08:00:05 mta sm-mta[101]: 6AL80000000100: "
		    "to=<b@y.test>, delay=00:00:05, xdelay=00:00:05, "
		    "mailer=relay, pri=30010, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection timed out with smtp.gmail.com.",
		NULL
	};
	struct trace *t;

	(void)state;
	port_for_relay = 587;
	t = start(NULL);
	feed(t, log);
	trace_finish(t, 0);
	assert_int_equal(nrecs, 1);
	assert_int_equal(recs[0].outcome, TR_DEFERRED);
	assert_string_equal(recs[0].cause, "connect-timeout");
	assert_int_equal(recs[0].why, TR_EMIT_END);
	trace_free(t);
	port_for_relay = 25;
	t = start(NULL);
	feed(t, log);
	trace_finish(t, 0);
	assert_string_equal(recs[0].cause, "connect-timeout-port25");
	trace_free(t);
	port_for_relay = 0;
}

static void
test_auth_evidence_by_pid(void **state)
{
	static const char *const log[] = {
		"Nov 21 09:00:00 mta sm-mta[300]: AUTH=client, "
		    "relay=smtp.gmail.com., temporary failure, connection abort",
		"Nov 21 09:00:00 mta sm-mta[300]: 6AL90000000299: "
		    "to=<b@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=30010, relay=smtp.gmail.com. "
		    "[142.250.1.1], dsn=4.7.0, stat=Deferred: Temporary AUTH "
		    "failure",
		/* a different process: the AUTH line is not its evidence */
		"Nov 21 09:00:01 mta sm-mta[301]: 6AL90000000298: "
		    "to=<c@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=30010, relay=smtp.gmail.com. "
		    "[142.250.1.1], dsn=4.0.0, stat=Deferred: 451 4.3.0 try "
		    "later",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AL90000000299");
	assert_non_null(r);
	assert_string_equal(r->cause, "auth-temporary");
	assert_string_equal(r->auth, "AUTH=client, relay=smtp.gmail.com., "
	    "temporary failure, connection abort");
	r = find("6AL90000000298");
	assert_non_null(r);
	assert_string_equal(r->auth, "");
	assert_string_equal(r->cause, "remote-temporary");
	trace_free(t);
}

static void
test_bounce_and_dsn(void **state)
{
	static const char *const log[] = {
		"Nov 21 10:00:00 mta sm-mta[400]: 6ALA0000000400: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"Nov 21 10:00:02 mta sm-mta[401]: 6ALA0000000400: "
		    "to=<b@y.test>, delay=00:00:02, xdelay=00:00:02, "
		    "mailer=relay, pri=30010, relay=smtp.gmail.com. "
		    "[142.250.1.1], dsn=5.7.0, reply=530 5.7.0 Authentication "
		    "Required. Learn more at https://support.google.com/mail/"
		    "?p=WantAuthError - gsmtp, stat=Service unavailable",
		"Nov 21 10:00:02 mta sm-mta[401]: 6ALA0000000400: "
		    "6ALA0000010401: DSN: Service unavailable",
		"Nov 21 10:00:02 mta sm-mta[401]: 6ALA0000010401: to=<a@x.test>, "
		    "delay=00:00:00, xdelay=00:00:00, mailer=local, pri=30000, "
		    "dsn=2.0.0, stat=Sent",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6ALA0000000400");
	assert_non_null(r);
	assert_int_equal(r->outcome, TR_BOUNCED);
	assert_string_equal(r->cause, "auth-required");
	assert_string_equal(r->dsn_qid, "6ALA0000010401");
	r = find("6ALA0000010401");
	assert_non_null(r);
	assert_string_equal(r->orig_qid, "6ALA0000000400");
	assert_int_equal(r->outcome, TR_SENT);
	trace_free(t);
}

static void
test_msp_handoff(void **state)
{
	static const char *const log[] = {
		"Nov 21 11:00:00 mta sm-mta[501]: 6ALB0000000501: "
		    "from=<root@mta.test>, size=300, class=0, nrcpts=1, "
		    "msgid=<m@mta.test>, proto=ESMTP, daemon=MTA, "
		    "relay=localhost [127.0.0.1]",
		"Nov 21 11:00:00 mta sm-msp-queue[500]: 6ALB0000000500: "
		    "from=root, size=200, class=0, nrcpts=1, msgid=<m@mta.test>, "
		    "relay=root@localhost",
		"Nov 21 11:00:00 mta sm-msp-queue[500]: 6ALB0000000500: "
		    "to=bob@remote.test, ctladdr=root (0/0), delay=00:00:00, "
		    "xdelay=00:00:00, mailer=relay, pri=30200, relay=[127.0.0.1] "
		    "[127.0.0.1], dsn=2.0.0, stat=Sent (6ALB0000000501 Message "
		    "accepted for delivery)",
		"Nov 21 11:00:01 mta sm-mta[502]: 6ALB0000000501: "
		    "to=<bob@remote.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=120300, relay=smarthost.test. "
		    "[127.0.0.2], dsn=2.0.0, stat=Sent (OK)",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6ALB0000000500");
	assert_non_null(r);
	assert_string_equal(r->handoff, "6ALB0000000501");
	r = find("6ALB0000000501");
	assert_non_null(r);
	assert_string_equal(r->msp_qid, "6ALB0000000500");
	assert_string_equal(r->msp_from, "root");
	trace_free(t);
}

static void
test_hosts_are_separate(void **state)
{
	static const char *const log[] = {
		"Jan  5 00:13:30 a.mx sm-mta[1]: jB88DEuF011868: from=<x@a>, "
		    "size=1, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, "
		    "relay=r [10.0.0.1] ",
		"Jan  5 00:13:30 b.mx sm-mta[1]: jB88DEuF011868: from=<y@b>, "
		    "size=1, class=0, nrcpts=1, proto=ESMTP, daemon=MTA, "
		    "relay=r [10.0.0.2] ",
		"Jan  5 00:13:31 b.mx sm-mta[2]: jB88DEuF011868: to=<z@c>, "
		    "delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, "
		    "relay=r [10.0.0.3], dsn=2.0.0, stat=Sent (ok) ",
		NULL
	};
	struct trace *t = start(NULL);
	size_t i, a = 0, b = 0;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	assert_int_equal(nrecs, 2);
	for (i = 0; i < nrecs; i++) {
		if (strcmp(recs[i].host, "a.mx") == 0) {
			a++;
			assert_int_equal(recs[i].outcome, TR_PENDING);
		} else {
			b++;
			assert_int_equal(recs[i].outcome, TR_SENT);
		}
	}
	assert_int_equal(a, 1);
	assert_int_equal(b, 1);
	trace_free(t);
}

/* a day of traffic, one message a second: only recent ones stay open */
static void
test_memory_bounded(void **state)
{
	struct tr_opts o;
	struct trace *t;
	char line[512], qid[16];
	int64_t base = 1795000000;
	unsigned long i;
	int n;

	(void)state;
	tr_opts_default(&o);
	o.now = base + 86400;
	o.grace = 60;
	t = start(&o);
	for (i = 0; i < 86400; i++) {
		time_t tt = (time_t)(base + (int64_t)i);
		struct tm tm;
		char ts[32];

		gmtime_r(&tt, &tm);
		strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
		snprintf(qid, sizeof(qid), "6AL8%06lu", i % 1000000);
		snprintf(qid, sizeof(qid), "6ALZ%06lu%04lu", i / 10000,
		    i % 10000);
		n = snprintf(line, sizeof(line), "%s mta sm-mta[%lu]: %s: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]", ts, i, qid);
		assert_int_equal(trace_feed(t, "gen", i * 2, line, (size_t)n),
		    0);
		n = snprintf(line, sizeof(line), "%s mta sm-mta[%lu]: %s: "
		    "to=<b@y.test>, delay=00:00:00, xdelay=00:00:00, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com. [142.250.1.1], "
		    "dsn=2.0.0, stat=Sent (OK)", ts, i, qid);
		assert_int_equal(trace_feed(t, "gen", i * 2 + 1, line,
		    (size_t)n), 0);
		nrecs = 0;	/* do not keep them all */
	}
	assert_true(trace_stats(t)->open_max < 200);
	assert_int_equal(trace_stats(t)->messages, 86400);
	trace_finish(t, 0);
	assert_int_equal(trace_stats(t)->emitted[TR_SENT], 86400);
	assert_int_equal(trace_stats(t)->open, 0);
	trace_free(t);
}

static void
test_queue_lifetime(void **state)
{
	static const char *const log[] = {
		"2026-11-10T08:00:00Z mta sm-mta[1]: 6AA80000000001: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"2026-11-10T08:00:01Z mta sm-mta[2]: 6AA80000000001: "
		    "to=<b@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection refused by smtp.gmail.com.",
		"2026-11-15T08:00:02Z mta sm-mta[3]: 6AA80000000001: "
		    "to=<b@y.test>, delay=5+00:00:02, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection refused by smtp.gmail.com.",
		"2026-11-15T08:00:02Z mta sm-mta[3]: 6AA80000000001: "
		    "6AFA0000000003: DSN: Cannot send message for 5 days",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AA80000000001");
	assert_non_null(r);
	assert_int_equal(r->outcome, TR_BOUNCED);
	assert_string_equal(r->cause, "queue-lifetime");
	assert_string_equal(r->last_cause, "connect-refused");
	assert_int_equal(r->attempts, 2);
	trace_free(t);
}

static void
test_threshold_once(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-mta[1]: 6AL80000000001: "
		    "to=<b@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection refused by smtp.gmail.com.",
		/* other traffic moves the clock on */
		"2026-11-21T08:20:00Z mta sm-mta[9]: STARTTLS=client, relay=x., "
		    "version=TLSv1.3, verify=OK, cipher=A, bits=1/1",
		"2026-11-21T08:40:00Z mta sm-mta[9]: STARTTLS=client, relay=x., "
		    "version=TLSv1.3, verify=OK, cipher=A, bits=1/1",
		"2026-11-21T09:00:00Z mta sm-mta[9]: STARTTLS=client, relay=x., "
		    "version=TLSv1.3, verify=OK, cipher=A, bits=1/1",
		"2026-11-21T09:10:00Z mta sm-mta[2]: 6AL80000000001: "
		    "to=<b@y.test>, delay=01:10:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com., dsn=2.0.0, "
		    "stat=Sent (OK)",
		NULL
	};
	struct trace *t = start(NULL);
	size_t i, thr = 0;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	for (i = 0; i < nrecs; i++)
		if (recs[i].why == TR_EMIT_THRESHOLD) {
			thr++;
			assert_int_equal(recs[i].outcome, TR_DEFERRED);
			assert_true(recs[i].age > 30 * 60);
		}
	assert_int_equal(thr, 1);
	assert_int_equal(find("6AL80000000001")->outcome, TR_SENT);
	trace_free(t);
}

static void
test_cached_host_status(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-mta[1]: 6AL80000000001: "
		    "to=<b@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smarthost.test. [127.0.0.2], "
		    "dsn=4.3.0, reply=451 4.3.0 mailbox temporarily unavailable, "
		    "stat=Deferred: 451 4.3.0 mailbox temporarily unavailable",
		"2026-11-21T08:00:30Z mta sm-mta[2]: 6AL80000000002: "
		    "to=<c@y.test>, delay=00:00:00, mailer=relay, pri=1, "
		    "relay=smarthost.test., dsn=4.3.0, "
		    "stat=Deferred: 451 4.3.0 mailbox temporarily unavailable",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AL80000000001");
	assert_false(r->cached);
	assert_string_equal(r->cause, "remote-temporary");
	r = find("6AL80000000002");
	assert_true(r->cached);
	assert_string_equal(r->cause, "host-status-cached");
	trace_free(t);
}

static void
test_more_and_policy(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-mta[1]: 6AL80000000001: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=3, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"2026-11-21T08:00:00Z mta relaymilter[7]: 6AL80000000001: "
		    "action=rewrite, from=<a@x.test>, to=<r@example.test>, "
		    "account=r@example.test, relay=[smtp.gmail.com], spf=fail, "
		    "spf_ip=142.250.1.1, align=fail, hint=\"add "
		    "include:_spf.google.com\", trace=T1, result=ok",
		"2026-11-21T08:00:01Z mta sm-mta[2]: 6AL80000000001: "
		    "to=<b@y.test>,<c@y.test>, [more], delay=00:00:01, "
		    "xdelay=00:00:01, mailer=relay, pri=1, relay=smtp.gmail.com. "
		    "[142.250.1.1], dsn=2.0.0, stat=Sent (OK)",
		"2026-11-21T08:00:01Z mta sm-mta[2]: 6AL80000000001: "
		    "to=<d@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com. [142.250.1.1], "
		    "dsn=2.0.0, stat=Sent (OK)",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AL80000000001");
	assert_int_equal(r->nrcpt, 3);
	assert_int_equal(r->outcome, TR_SENT);
	assert_int_equal(r->npolicy, 2);
	assert_string_equal(r->policy[0], "spf-fail-predicted");
	assert_string_equal(r->policy[1], "align-fail-predicted");
	trace_free(t);
}

/* issue 16's decision keys dmarc= and dmarc_policy= are kept (the DSN
 * reader checks a late bounce against them) */
static void
test_dmarc_verdict(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-mta[1]: 6AL80000000002: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"2026-11-21T08:00:00Z mta relaymilter[7]: 6AL80000000002: "
		    "action=keep, reason=allowed, from=<a@x.test>, spf=pass, "
		    "spf_ip=142.250.1.1, align=fail, dmarc=fail, "
		    "dmarc_policy=reject, trace=T2, result=ok",
		NULL
	};
	struct trace *t = start(NULL);
	struct rec *r;

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	r = find("6AL80000000002");
	assert_string_equal(r->dmarc, "fail");
	assert_string_equal(r->dmarc_policy, "reject");
	trace_free(t);
}

static void
test_year_guess(void **state)
{
	static const char *const log[] = {
		"Dec 31 23:59:59 mta sm-mta[1]: 6BV80000000001: "
		    "to=<b@y.test>, delay=00:00:01, mailer=relay, pri=1, "
		    "dsn=2.0.0, stat=Sent (OK)",
		"Jan  1 00:00:10 mta sm-mta[1]: 7008000000002: "
		    "to=<b@y.test>, delay=00:00:01, mailer=relay, pri=1, "
		    "dsn=2.0.0, stat=Sent (OK)",
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = 1798761600 + 3600;	/* 2027-01-01 01:00 UTC */
	t = start(&o);
	feed(t, log);
	/* Dec 31 belongs to 2026, not to the future December of 2027 */
	assert_int_equal(trace_stats(t)->first_time, 1798761599);
	trace_finish(t, 0);
	trace_free(t);
}

static void
test_milter_down_and_discard(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-msp-queue[10]: 6AL80000000010: "
		    "to=bob@remote.test, ctladdr=root (0/0), delay=00:00:00, "
		    "xdelay=00:00:00, mailer=relay, pri=30000, relay=[127.0.0.1] "
		    "[127.0.0.1], dsn=4.3.2, reply=451 4.3.2 Please try again "
		    "later, stat=Deferred: 451 4.3.2 Please try again later",
		"2026-11-21T08:00:00Z mta sm-mta[11]: 6AL80000000011: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
		    "daemon=MTA, relay=localhost [127.0.0.1]",
		"2026-11-21T08:00:00Z mta sm-mta[11]: 6AL80000000011: "
		    "discarded",
		"2026-11-21T08:00:00Z mta sm-mta[11]: NOQUEUE: Milter: connect: "
		    "host=x, addr=1.2.3.4, reject=554 go away",
		"2026-11-21T08:00:00Z mta sm-mta[11]: something unknown here",
		NULL
	};
	struct trace *t = start(NULL);

	(void)state;
	feed(t, log);
	trace_finish(t, 0);
	assert_string_equal(find("6AL80000000010")->cause, "milter-error");
	assert_int_equal(find("6AL80000000011")->outcome, TR_DISCARDED);
	assert_int_equal(nunparsed, 1);
	assert_int_equal(trace_stats(t)->unparsed, 1);
	assert_int_equal(trace_stats(t)->lines, 5);
	trace_free(t);
}

static void
test_deferred_counts(void **state)
{
	static const char *const log[] = {
		"2026-11-21T08:00:00Z mta sm-mta[1]: 6AL80000000001: "
		    "to=<b@y.test>, delay=00:10:00, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com., dsn=4.0.0, "
		    "stat=Deferred: Connection refused by smtp.gmail.com.",
		NULL
	};
	struct trace *t = start(NULL);
	unsigned long n;
	long oldest;

	(void)state;
	feed(t, log);
	trace_deferred(t, 1795248000 + 1000, &n, &oldest);
	assert_int_equal(n, 1);
	/* created at 07:50:00 (delay 10 min) = 1795247400 */
	assert_int_equal(oldest, 1795248000 + 1000 - 1795247400);
	trace_finish(t, 0);
	assert_string_equal(tr_outcome_name(TR_BOUNCED), "bounced");
	assert_string_equal(tr_outcome_name(TR_OUTCOME_COUNT), "unknown");
	trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relayed_sent),
		cmocka_unit_test(test_deferred_then_sent),
		cmocka_unit_test(test_port_decides_timeout_cause),
		cmocka_unit_test(test_auth_evidence_by_pid),
		cmocka_unit_test(test_bounce_and_dsn),
		cmocka_unit_test(test_msp_handoff),
		cmocka_unit_test(test_hosts_are_separate),
		cmocka_unit_test(test_memory_bounded),
		cmocka_unit_test(test_queue_lifetime),
		cmocka_unit_test(test_threshold_once),
		cmocka_unit_test(test_cached_host_status),
		cmocka_unit_test(test_more_and_policy),
		cmocka_unit_test(test_dmarc_verdict),
		cmocka_unit_test(test_year_guess),
		cmocka_unit_test(test_milter_down_and_discard),
		cmocka_unit_test(test_deferred_counts),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
