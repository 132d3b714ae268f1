/*
 * test_trace_bounds.c - what a hostile or simply large log may cost the
 *			 trace: a cap on open messages (the oldest evicted and
 *			 counted), many recipients of one queue id found by
 *			 address, a bound on the recipients kept, hosts
 *			 forgotten when they have no open message, a line that
 *			 makes two messages at the cap
 *
 * CONTRACT
 *	Each test generates its log lines (sendmail's formats, times in UTC
 *	with TZ=UTC set in main) and checks the stats and what the sink
 *	receives. The time tests are left to tests/bench/trace; these check
 *	the bounds and that nothing is lost silently.
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

static unsigned long nmsg, nevicted, nfinal;
static char want_rcpt[64];
static unsigned want_attempts;
static enum tr_outcome want_outcome;
static size_t last_nrcpt;
static unsigned long last_dropped;

static void
on_msg(void *ctx, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	size_t i;

	(void)ctx;
	(void)now;
	if (why == TR_EMIT_THRESHOLD)
		return;
	nmsg++;
	if (why == TR_EMIT_EVICTED)
		nevicted++;
	if (why == TR_EMIT_FINAL)
		nfinal++;
	last_nrcpt = m->nrcpt;
	last_dropped = m->rcpt_dropped;
	for (i = 0; i < m->nrcpt; i++)
		if (strcmp(m->rcpt[i].addr, want_rcpt) == 0) {
			want_attempts = m->rcpt[i].attempts;
			want_outcome = m->rcpt[i].outcome;
		}
}

static struct trace *
start(unsigned long max_open)
{
	struct tr_sink s = { on_msg, NULL, NULL, NULL };
	struct tr_opts o;

	tr_opts_default(&o);
	o.now = o.wall = 1795255200 + 86400;
	if (max_open)
		o.max_open = max_open;
	nmsg = nevicted = nfinal = 0;
	want_attempts = 0;
	want_outcome = TR_PENDING;
	return trace_new(&o, &s);
}

static void
line(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line(struct trace *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(trace_feed(t, "gen", 1, buf, (size_t)n), 0);
}

/* 1000 messages that never get a delivery line, at most 100 open: the
 * oldest are reported as evicted, each once, and counted. */
static void
test_max_open_evicts(void **state)
{
	struct trace *t = start(100);
	unsigned long i;

	(void)state;
	for (i = 0; i < 1000; i++)
		line(t, "2026-11-21T10:%02lu:%02luZ mta sm-mta[%lu]: 6AL8%010lu: "
		    "from=<a@x.test>, size=10, class=0, nrcpts=1, "
		    "proto=ESMTP, daemon=MTA, relay=localhost [127.0.0.1]",
		    i / 60 % 60, i % 60, i + 1, i);
	assert_true(trace_stats(t)->open_max <= 100);
	assert_int_equal(trace_stats(t)->evicted, 900);
	assert_int_equal(nevicted, 900);
	trace_finish(t, 0);
	assert_int_equal(nmsg, 1000);
	assert_int_equal(trace_stats(t)->open, 0);
	trace_free(t);
}

/* A final message waiting out its grace period makes room before any
 * open one is evicted. */
static void
test_final_released_first(void **state)
{
	struct trace *t = start(2);

	(void)state;
	line(t, "2026-11-21T10:00:00Z mta sm-mta[1]: 6AL80000000001: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	line(t, "2026-11-21T10:00:01Z mta sm-mta[2]: 6AL80000000002: "
	    "to=<b@y.test>, delay=00:00:01, xdelay=00:00:01, mailer=relay, "
	    "pri=1, relay=smtp.gmail.com. [142.250.1.1], dsn=2.0.0, "
	    "stat=Sent (OK)");
	line(t, "2026-11-21T10:00:02Z mta sm-mta[3]: 6AL80000000003: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	assert_int_equal(trace_stats(t)->evicted, 0);
	assert_int_equal(nfinal, 1);
	trace_finish(t, 0);
	trace_free(t);
}

/* 20,000 recipients of one queue id: a later line finds its recipient by
 * address (not a 20,001st one). */
static void
test_many_recipients(void **state)
{
	struct trace *t = start(0);
	unsigned long i;

	(void)state;
	snprintf(want_rcpt, sizeof(want_rcpt), "<u12345@y.test>");
	line(t, "2026-11-21T10:00:00Z mta sm-mta[1]: 6AL80000000001: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=20000, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	for (i = 0; i < 20000; i++)
		line(t, "2026-11-21T10:00:01Z mta sm-mta[2]: 6AL80000000001: "
		    "to=<u%lu@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com. [142.250.1.1], "
		    "dsn=4.3.0, reply=451 4.3.0 try later, stat=Deferred: 451 "
		    "4.3.0 try later", i);
	line(t, "2026-11-21T10:30:00Z mta sm-mta[3]: 6AL80000000001: "
	    "to=<u12345@y.test>, delay=00:30:00, xdelay=00:00:01, "
	    "mailer=relay, pri=1, relay=smtp.gmail.com. [142.250.1.1], "
	    "dsn=2.0.0, stat=Sent (OK)");
	trace_finish(t, 0);
	assert_int_equal(nmsg, 1);
	assert_int_equal(last_nrcpt, 20000);
	assert_int_equal(want_attempts, 2);
	assert_int_equal(want_outcome, TR_SENT);
	trace_free(t);
}

/* More recipients than a message keeps: the rest are counted. */
static void
test_recipient_limit(void **state)
{
	struct trace *t = start(0);
	unsigned long i, n = 131072 + 5;

	(void)state;
	want_rcpt[0] = '\0';
	for (i = 0; i < n; i++)
		line(t, "2026-11-21T10:00:01Z mta sm-mta[2]: 6AL80000000001: "
		    "to=<u%lu@y.test>, delay=00:00:01, xdelay=00:00:01, "
		    "mailer=relay, pri=1, relay=smtp.gmail.com. [142.250.1.1], "
		    "dsn=2.0.0, stat=Sent (OK)", i);
	trace_finish(t, 0);
	assert_int_equal(nmsg, 1);
	assert_int_equal(last_nrcpt, 131072);
	assert_int_equal(last_dropped, 5);
	trace_free(t);
}

/* 20,000 hosts that each log one line and have no open message: they are
 * forgotten, the table does not keep them all. A host with an open
 * message is kept. */
static void
test_hosts_pruned(void **state)
{
	struct trace *t = start(0);
	unsigned long i;

	(void)state;
	line(t, "2026-11-21T10:00:00Z keep sm-mta[1]: 6AL80000000001: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	for (i = 0; i < 20000; i++)
		line(t, "2026-11-21T10:00:01Z h%lu sm-mta[%lu]: 6AL8%010lu: "
		    "lost input channel from [198.51.100.7] to MTA after rcpt",
		    i, i + 2, i);
	assert_true(trace_stats(t)->hosts <= 8192);
	assert_true(trace_stats(t)->hosts_pruned >= 20000 - 8192);
	line(t, "2026-11-21T10:00:02Z keep sm-mta[1]: 6AL80000000001: "
	    "to=<b@y.test>, delay=00:00:02, xdelay=00:00:01, mailer=relay, "
	    "pri=1, relay=smtp.gmail.com. [142.250.1.1], dsn=2.0.0, "
	    "stat=Sent (OK)");
	trace_finish(t, 0);
	/* the message of the kept host was joined: one message, sent */
	assert_int_equal(nmsg, 1);
	assert_int_equal(trace_stats(t)->emitted[TR_SENT], 1);
	trace_free(t);
}

/* A DSN line makes a second message (the bounce's queue id) while its own
 * is held: at the cap the room is made before the bounce's record exists,
 * by evicting another message, so the cap holds and the bounce's record,
 * which has no line of its own yet, is not reported empty (a change that
 * made the room only after the line evicted it at once and counted it
 * twice). */
static void
test_dsn_at_cap(void **state)
{
	struct trace *t = start(2);

	(void)state;
	line(t, "2026-11-21T10:00:00Z mta sm-mta[1]: 6AL80000000001: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	line(t, "2026-11-21T10:00:01Z mta sm-mta[1]: 6AL80000000002: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	line(t, "2026-11-21T10:00:02Z mta sm-mta[2]: 6AL80000000002: "
	    "6AL80000000003: DSN: Service unavailable");
	assert_int_equal(trace_stats(t)->open, 2);
	assert_true(trace_stats(t)->open_max <= 2);
	assert_int_equal(nevicted, 1);		/* ...0001, the oldest */
	line(t, "2026-11-21T10:00:03Z mta sm-mta[2]: 6AL80000000003: "
	    "to=<a@x.test>, delay=00:00:00, xdelay=00:00:00, mailer=local, "
	    "pri=30000, dsn=2.0.0, stat=Sent");
	trace_finish(t, 0);
	/* three queue ids, three reports, one of them evicted */
	assert_int_equal(trace_stats(t)->messages, 3);
	assert_int_equal(nmsg, 3);
	assert_int_equal(nevicted, 1);
	trace_free(t);

	/* cap 1: the held message cannot go; the bounce's record is kept
	 * beside it (one over the cap for that line) rather than reported
	 * with no line */
	t = start(1);
	line(t, "2026-11-21T10:00:01Z mta sm-mta[1]: 6AL80000000002: "
	    "from=<a@x.test>, size=10, class=0, nrcpts=1, proto=ESMTP, "
	    "daemon=MTA, relay=localhost [127.0.0.1]");
	line(t, "2026-11-21T10:00:02Z mta sm-mta[2]: 6AL80000000002: "
	    "6AL80000000003: DSN: Service unavailable");
	assert_int_equal(nevicted, 0);
	line(t, "2026-11-21T10:00:03Z mta sm-mta[2]: 6AL80000000003: "
	    "to=<a@x.test>, delay=00:00:00, xdelay=00:00:00, mailer=local, "
	    "pri=30000, dsn=2.0.0, stat=Sent");
	trace_finish(t, 0);
	assert_int_equal(trace_stats(t)->messages, 2);
	assert_int_equal(nmsg, 2);
	trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_open_evicts),
		cmocka_unit_test(test_final_released_first),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_recipient_limit),
		cmocka_unit_test(test_hosts_pruned),
		cmocka_unit_test(test_dsn_at_cap),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
