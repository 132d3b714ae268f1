/*
 * test_trace_clock.c - the time of maillog lines: the year of RFC 3164
 *			lines from the lines around them, New Year while
 *			following, lines out of time clamped and counted,
 *			a future-dated line that never moves the clock
 *
 * CONTRACT
 *	Each test feeds a short synthetic log (sendmail's formats, TZ=UTC set
 *	in main) and checks the times the trace gives the lines: through
 *	the messages the sink receives (first line, age) and trace_clock()
 *	and trace_stats(). A struct tr_msg is only valid during the sink
 *	call, so the sink copies what the tests assert.
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

#define MAXREC	16

struct rec {
	char		 qid[24];
	enum tr_outcome	 outcome;
	int64_t		 first;
	long		 age;
};

static struct rec recs[MAXREC];
static size_t nrecs;

static void
on_msg(void *ctx, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	struct rec *r;

	(void)ctx;
	if (why == TR_EMIT_THRESHOLD || nrecs >= MAXREC)
		return;
	r = &recs[nrecs++];
	snprintf(r->qid, sizeof(r->qid), "%s", m->qid);
	r->outcome = m->outcome;
	r->first = m->first;
	r->age = tr_msg_age(m, now);
}

static struct trace *
start(struct tr_opts *o)
{
	struct tr_sink s = { on_msg, NULL, NULL, NULL };

	nrecs = 0;
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
		if (strcmp(recs[i].qid, qid) == 0)
			return &recs[i];
	print_error("no message %s reported\n", qid);
	return NULL;
}

#define T_20261121_10	1795255200	/* 2026-11-21T10:00:00Z */
#define T_20261231_2350	1798761000	/* 2026-12-31T23:50:00Z */
#define T_20270101	1798761600	/* 2027-01-01T00:00:00Z */

#define SENT(ts, host, qid) \
	ts " " host " sm-mta[1]: " qid ": to=<b@y.test>, delay=00:00:01, " \
	"xdelay=00:00:01, mailer=relay, pri=1, relay=smtp.gmail.com. " \
	"[142.250.1.1], dsn=2.0.0, stat=Sent (OK)"
#define DEFERRED(ts, host, qid, delay) \
	ts " " host " sm-mta[2]: " qid ": to=<c@y.test>, delay=" delay ", " \
	"xdelay=00:00:01, mailer=relay, pri=1, relay=smtp.gmail.com. " \
	"[142.250.1.1], dsn=4.3.0, reply=451 4.3.0 try later, " \
	"stat=Deferred: 451 4.3.0 try later"

/* A tracer started on New Year's Eve reads the lines of the new year as it
 * follows the log: they are of 2027, not of the January before. */
static void
test_new_year_following(void **state)
{
	static const char *const dec[] = {
		SENT("Dec 31 23:59:58", "mta", "6BVNxw00000001"),
		NULL
	};
	static const char *const jan[] = {
		SENT("Jan  1 00:00:05", "mta", "7010005000002"),
		DEFERRED("Jan  1 00:00:07", "mta", "7010007000003",
		    "00:00:02"),
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = o.wall = T_20261231_2350;
	t = start(&o);
	feed(t, dec);
	/* the follower's reference moves with the wall clock */
	trace_set_now(t, T_20261231_2350 + 600, T_20261231_2350 + 600);
	feed(t, jan);
	assert_int_equal(trace_clock(t), T_20270101 + 7);
	trace_finish(t, T_20270101 + 60);
	assert_int_equal(find("6BVNxw00000001")->first, T_20270101 - 2);
	assert_int_equal(find("7010005000002")->first, T_20270101 + 5);
	/* created at 00:00:05 (delay 2 s), one minute old, not 364 days */
	assert_int_equal(find("7010007000003")->age, 55);
	assert_int_equal(trace_stats(t)->clamped, 0);
	trace_free(t);
}

/* A log read in one go that runs over New Year: December of the year
 * before, January of the reference's year. */
static void
test_new_year_batch(void **state)
{
	static const char *const log[] = {
		SENT("Dec 31 23:59:58", "mta", "6BVNxw00000001"),
		SENT("Jan  1 00:00:05", "mta", "7010005000002"),
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = o.wall = T_20270101 + 5 * 86400;
	t = start(&o);
	feed(t, log);
	trace_finish(t, 0);
	assert_int_equal(find("6BVNxw00000001")->first, T_20270101 - 2);
	assert_int_equal(find("7010005000002")->first, T_20270101 + 5);
	trace_free(t);
}

/* One line dated 2099 (a remote syslog sender of a central loghost may
 * write anything) is clamped and counted; it does not move the clock,
 * and the messages around it keep their ages. */
static void
test_future_line(void **state)
{
	static const char *const log[] = {
		DEFERRED("2026-11-21T10:00:00Z", "mta", "6AL80000000001",
		    "00:00:01"),
		SENT("2099-01-01T00:00:00Z", "mta", "6AL80000000002"),
		SENT("2026-11-21T10:05:00Z", "mta", "6AL80000000003"),
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = o.wall = T_20261121_10 + 3600;
	t = start(&o);
	feed(t, log);
	assert_int_equal(trace_clock(t), T_20261121_10 + 300);
	assert_int_equal(trace_stats(t)->clamped, 1);
	assert_int_equal(trace_stats(t)->last_time, T_20261121_10 + 300);
	trace_finish(t, 0);
	/* deferred at 10:00, created at 09:59:59, reported at 10:05 */
	assert_int_equal(find("6AL80000000001")->age, 301);
	assert_int_equal(find("6AL80000000001")->outcome, TR_DEFERRED);
	/* the clamped line is placed at its host's time */
	assert_int_equal(find("6AL80000000002")->first, T_20261121_10);
	trace_free(t);
}

/* A line of the past that the wall clock allows but that is hours ahead
 * of its host's other lines moves the clock only when the next line of
 * that host confirms the jump (a quiet host); a lone one is counted. */
static void
test_jump_needs_confirmation(void **state)
{
	static const char *const lone[] = {
		SENT("2026-11-21T10:00:00Z", "mta", "6AL80000000001"),
		SENT("2026-11-21T13:00:00Z", "mta", "6AL80000000002"),
		SENT("2026-11-21T10:00:30Z", "mta", "6AL80000000003"),
		NULL
	};
	static const char *const quiet[] = {
		SENT("2026-11-21T15:00:00Z", "mta", "6AL80000000004"),
		SENT("2026-11-21T15:00:01Z", "mta", "6AL80000000005"),
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = o.wall = T_20261121_10 + 86400;
	t = start(&o);
	feed(t, lone);
	assert_int_equal(trace_clock(t), T_20261121_10 + 30);
	assert_int_equal(trace_stats(t)->clamped, 1);
	feed(t, quiet);
	/* five quiet hours, then mail again: two lines agree */
	assert_int_equal(trace_clock(t), T_20261121_10 + 5 * 3600 + 1);
	assert_int_equal(trace_stats(t)->clamped, 1);
	trace_finish(t, 0);
	assert_int_equal(find("6AL80000000004")->first,
	    T_20261121_10 + 5 * 3600);
	trace_free(t);
}

/* A line hours before its host's recent lines is clamped to them and
 * counted; another host's lines of that time are not (files of two hosts
 * read one after the other). */
static void
test_backward_line(void **state)
{
	static const char *const log[] = {
		SENT("2026-11-21T10:00:00Z", "a", "6AL80000000001"),
		SENT("2026-11-20T10:00:00Z", "a", "6AL80000000002"),
		SENT("2026-11-20T10:00:00Z", "b", "6AL80000000003"),
		SENT("2026-11-20T10:00:01Z", "b", "6AL80000000004"),
		NULL
	};
	struct tr_opts o;
	struct trace *t;

	(void)state;
	tr_opts_default(&o);
	o.now = o.wall = T_20261121_10 + 3600;
	t = start(&o);
	feed(t, log);
	assert_int_equal(trace_stats(t)->clamped, 1);
	assert_int_equal(trace_clock(t), T_20261121_10);
	trace_finish(t, 0);
	assert_int_equal(find("6AL80000000002")->first, T_20261121_10);
	assert_int_equal(find("6AL80000000003")->first, T_20261121_10 - 86400);
	trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_year_following),
		cmocka_unit_test(test_new_year_batch),
		cmocka_unit_test(test_future_line),
		cmocka_unit_test(test_jump_needs_confirmation),
		cmocka_unit_test(test_backward_line),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
