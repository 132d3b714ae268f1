/*
 * test_trace_health.c - causes from the evidence around a failure: a port
 *			 blocked midway, one MX timing out while others
 *			 accept, the fix for a direct or smarthost route, a
 *			 status replayed from the host status cache and its
 *			 real first failure, the LOCAL_DOMAIN trap, failures
 *			 without a reply
 *
 * CONTRACT
 *	Each test generates a log in sendmail 8.17's formats (deliver.c
 *	logdelivery; TZ=UTC set in main) and checks the cause, fix, evidence
 *	and first failure each recipient is reported with. The sink copies
 *	them: a struct tr_msg is only valid during the call. The mailers'
 *	ports are those of Debian's sendmail.cf: esmtp, smtp and relay on 25.
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

#include "causes.h"
#include "trace.h"

#define MAXREC	128

struct rec {
	char		 qid[24], addr[64];
	enum tr_outcome	 outcome, moutcome;
	char		 cause[40], fix[400], basis[400], first_qid[24];
	char		 mcause[40];
};

static struct rec recs[MAXREC];
static size_t nrecs;

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
	(void)now;
	if (why == TR_EMIT_THRESHOLD)
		return;
	for (i = 0; i < m->nrcpt || (i == 0 && m->nrcpt == 0); i++) {
		if (nrecs >= MAXREC)
			return;
		r = &recs[nrecs++];
		memset(r, 0, sizeof(*r));
		cp(r->qid, sizeof(r->qid), m->qid);
		r->moutcome = m->outcome;
		cp(r->mcause, sizeof(r->mcause), m->cause ? m->cause->id : "");
		if (m->nrcpt == 0)
			break;
		cp(r->addr, sizeof(r->addr), m->rcpt[i].addr);
		r->outcome = m->rcpt[i].outcome;
		cp(r->cause, sizeof(r->cause), m->rcpt[i].cause ?
		    m->rcpt[i].cause->id : m->rcpt[i].last_cause ?
		    m->rcpt[i].last_cause->id : "");
		cp(r->fix, sizeof(r->fix), m->rcpt[i].fix);
		cp(r->basis, sizeof(r->basis), m->rcpt[i].basis);
		cp(r->first_qid, sizeof(r->first_qid), m->rcpt[i].first_qid);
	}
}

static int
port_cb(void *ctx, const char *mailer)
{
	(void)ctx;
	return strcmp(mailer, "local") == 0 ? 0 : 25;
}

static struct trace *
start(const char *smarthost_mailer, unsigned cf_setup)
{
	struct tr_sink s = { on_msg, NULL, NULL, NULL };
	struct tr_opts o;

	tr_opts_default(&o);
	o.now = o.wall = 1795300000;	/* 2026-11-21T22:26:40Z */
	o.mailer_port = port_cb;
	o.smarthost_mailer = smarthost_mailer;
	o.cf_setup = cf_setup;
	nrecs = 0;
	return trace_new(&o, &s);
}

static void
line(struct trace *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line(struct trace *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(trace_feed(t, "gen", 1, buf, (size_t)n), 0);
}

/* hh:mm on 2026-11-21, one message (qid from the minute and n) */
static void
sent(struct trace *t, int hh, int mm, const char *dom, int n)
{
	line(t, "2026-11-21T%02d:%02d:00Z mx sm-mta[%d]: 6ALA%02d%02d00%04d: "
	    "to=<u%d@%s>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, "
	    "pri=30000, relay=mx.%s. [192.0.2.%d], dsn=2.0.0, stat=Sent (ok)",
	    hh, mm, n, hh, mm, n, n, dom, dom, n % 250);
}

static void
timeout(struct trace *t, int hh, int mm, const char *dom, int n)
{
	line(t, "2026-11-21T%02d:%02d:00Z mx sm-mta[%d]: 6ALA%02d%02d00%04d: "
	    "to=<u%d@%s>, delay=00:00:30, xdelay=00:00:30, mailer=esmtp, "
	    "pri=30000, relay=mx.%s. [192.0.2.%d], dsn=4.4.1, "
	    "stat=Deferred: Connection timed out with mx.%s.",
	    hh, mm, n, hh, mm, n, n, dom, dom, n % 250, dom);
}

static const struct rec *
find(const char *qid)
{
	size_t i;

	for (i = 0; i < nrecs; i++)
		if (strcmp(recs[i].qid, qid) == 0)
			return &recs[i];
	print_error("no message %s reported\n", qid);
	fail();
	return NULL;
}

/* Port 25 works, then is blocked at 10:25: the first timeouts, while the
 * last success is within the hour, are not "port 25 blocked" (and not a
 * destination's trouble once other destinations fail too); an hour after
 * the last success they are. */
static void
test_blocked_midway(void **state)
{
	struct trace *t = start("", 0);
	const struct rec *r;
	int i, n = 1;

	(void)state;
	sent(t, 10, 0, "a.test", n++);
	sent(t, 10, 10, "b.test", n++);
	sent(t, 10, 20, "c.test", n++);
	for (i = 0; i < 14; i++)
		timeout(t, 10 + (30 + i * 10) / 60, (30 + i * 10) % 60,
		    i % 2 ? "a.test" : "d.test", 100 + i);
	trace_finish(t, 0);
	/* 10:30 to d.test: the first failure, but d.test and then the
	 * others kept failing with nothing working again */
	r = find("6ALA1030000100");
	assert_string_equal(r->cause, "connect-timeout");
	assert_non_null(strstr(r->basis, "since 2026-11-21 10:30:00"));
	/* 10:40 to a.test: a second destination fails */
	assert_string_equal(find("6ALA1040000101")->cause, "connect-timeout");
	/* 11:30 is more than an hour after the last success: blocked */
	r = find("6ALA1130000106");
	assert_string_equal(r->cause, "connect-timeout-port25");
	assert_non_null(strstr(r->basis, "no connection to any destination "
	    "worked within an hour"));
	/* direct delivery (DS empty): the fix is a smarthost with authinfo,
	 * not RELAY_MAILER_ARGS alone, and not "your ISP" */
	assert_non_null(strstr(r->fix, "SMART_HOST"));
	assert_non_null(strstr(r->fix, "authinfo"));
	assert_null(strstr(r->fix, "ISP probably blocks port 25"));
	assert_string_equal(find("6ALA1240000113")->cause,
	    "connect-timeout-port25");
	trace_free(t);
}

/* One MX times out while the others accept mail all along: that
 * destination's trouble, never port 25. */
static void
test_one_mx_down(void **state)
{
	struct trace *t = start(NULL, 0);
	const struct rec *r;
	int i;

	(void)state;
	for (i = 0; i < 24; i++) {
		sent(t, 10 + i * 5 / 60, i * 5 % 60, i % 2 ? "a.test" : "c.test",
		    i + 1);
		if (i % 6 == 3)
			timeout(t, 10 + (i * 5 + 1) / 60, (i * 5 + 1) % 60,
			    "b.test", 200 + i);
	}
	trace_finish(t, 0);
	r = find("6ALA1016000203");
	assert_string_equal(r->cause, "destination-timeout");
	assert_non_null(strstr(r->basis, "connections to other destinations "
	    "worked"));
	assert_string_equal(find("6ALA1046000209")->cause,
	    "destination-timeout");
	assert_string_equal(find("6ALA1116000215")->cause,
	    "destination-timeout");
	trace_free(t);
}

/* Through a smarthost (the relay mailer) on port 25 with nothing getting
 * through: the fix is port 587 (RELAY_MAILER_ARGS). */
static void
test_smarthost_port25(void **state)
{
	struct trace *t = start(NULL, 0);
	const struct rec *r;

	(void)state;
	line(t, "2026-11-21T10:00:00Z mx sm-mta[1]: 6ALA1000000001: "
	    "to=<b@remote.test>, delay=00:00:30, xdelay=00:00:30, "
	    "mailer=relay, pri=30000, relay=smtp.gmail.com. [142.250.1.1], "
	    "dsn=4.4.1, stat=Deferred: Connection timed out with "
	    "smtp.gmail.com.");
	trace_finish(t, 0);
	r = find("6ALA1000000001");
	assert_string_equal(r->cause, "connect-timeout-port25");
	assert_non_null(strstr(r->fix, "RELAY_MAILER_ARGS"));
	assert_non_null(strstr(r->fix, "TCP $h 587"));
	trace_free(t);
}

/* "Connection timed out" in no time is a status replayed from the host
 * status cache: named with the real first failure, and a retry that fits
 * sendmail.cf; a refused connection or a DNS failure, as quick, is not. */
static void
test_cached_status(void **state)
{
	struct trace *t = start("", CAUSE_SETUP_NO_HOSTSTAT);
	const struct rec *r;

	(void)state;
	line(t, "2026-11-21T10:00:00Z pbx sendmail[1]: 6ALA1000000001: "
	    "to=<me@ourtest.com>, delay=00:00:03, xdelay=00:00:03, "
	    "mailer=esmtp, pri=30344, relay=ourtest.com. [127.0.0.30], "
	    "dsn=4.4.1, stat=Deferred: Connection timed out with ourtest.com.");
	line(t, "2026-11-21T10:00:03Z pbx sendmail[1]: 6ALA1000000002: "
	    "to=<me@ourtest.com>, delay=00:00:06, xdelay=00:00:00, "
	    "mailer=esmtp, pri=120344, relay=ourtest.com., dsn=4.4.1, "
	    "stat=Deferred: Connection timed out with ourtest.com.");
	line(t, "2026-11-21T10:00:04Z pbx sendmail[1]: 6ALA1000000003: "
	    "to=<x@refused.test>, delay=00:00:00, xdelay=00:00:00, "
	    "mailer=esmtp, pri=30344, relay=mx.refused.test. [192.0.2.9], "
	    "dsn=4.0.0, stat=Deferred: Connection refused by "
	    "mx.refused.test.");
	line(t, "2026-11-21T10:00:04Z pbx sendmail[1]: 6ALA1000000004: "
	    "to=<x@nodns.test>, delay=00:00:00, xdelay=00:00:00, "
	    "mailer=esmtp, pri=30344, relay=nodns.test, dsn=4.4.3, "
	    "stat=Deferred: Name server: nodns.test.: host name lookup failure");
	trace_finish(t, 0);
	r = find("6ALA1000000002");
	assert_string_equal(r->cause, "host-status-cached");
	assert_string_equal(r->first_qid, "6ALA1000000001");
	assert_non_null(strstr(r->fix, "-OTimeout.hoststatus=0m"));
	assert_null(strstr(r->fix, "purgestat"));
	assert_string_equal(find("6ALA1000000003")->cause, "connect-refused");
	assert_string_equal(find("6ALA1000000004")->cause, "dns-temporary");
	trace_free(t);
	/* with HostStatusDirectory: purgestat */
	t = start("", CAUSE_SETUP_HOSTSTAT);
	line(t, "2026-11-21T10:00:03Z pbx sendmail[1]: 6ALA1000000002: "
	    "to=<me@ourtest.com>, delay=00:00:06, xdelay=00:00:00, "
	    "mailer=esmtp, pri=120344, relay=ourtest.com., dsn=4.4.1, "
	    "stat=Deferred: Connection timed out with ourtest.com.");
	trace_finish(t, 0);
	r = find("6ALA1000000002");
	assert_string_equal(r->cause, "host-status-cached");
	assert_string_equal(r->first_qid, "");
	assert_non_null(strstr(r->fix, "purgestat"));
	trace_free(t);
}

/* Seed 002: LOCAL_DOMAIN(example.org) with the relay account
 * user@example.org. Mail for example.org goes to the local mailer and
 * bounces, or to the local MTA, which refuses it; a local user of that
 * name would have kept it. */
static void
test_local_domain_trap(void **state)
{
	struct trace *t = start(NULL, 0);
	const struct rec *r;
	size_t i;

	(void)state;
	line(t, "Nov 21 13:53:56 hoge sm-mta[11377]: 6B6DrusH011377: "
	    "from=<root@hoge.example.org>, size=365, class=0, nrcpts=2, "
	    "msgid=<a@hoge>, proto=ESMTP, daemon=MTA-v4, relay=localhost "
	    "[127.0.0.1]");
	line(t, "Nov 21 13:53:56 hoge sendmail[11376]: 6B6Dru2u011376: "
	    "to=someone@example.org, ctladdr=root (0/0), delay=00:00:00, "
	    "xdelay=00:00:00, mailer=relay, pri=90202, relay=[127.0.0.1] "
	    "[127.0.0.1], dsn=5.1.1, reply=550 5.1.1 <someone@example.org>... "
	    "User unknown, stat=User unknown");
	line(t, "Nov 21 13:53:56 hoge relaymilter[11363]: 6B6DrusH011377: "
	    "action=rewrite, from=<root@hoge.example.org>, "
	    "to=<user@example.org>, account=user@example.org, "
	    "relay=smtp.gmail.com, spf=pass, result=ok");
	line(t, "Nov 21 13:53:56 hoge sm-mta[11379]: 6B6DrusH011377: "
	    "to=user@example.org, ctladdr=<root@hoge.example.org> (8/0), "
	    "delay=00:00:00, mailer=local, pri=150365, dsn=5.1.1, reply=550 "
	    "5.1.1 User unknown, stat=User unknown");
	line(t, "Nov 21 13:53:57 hoge sm-mta[11380]: 6B6DrusH011377: "
	    "to=<hoge@gmail.com>, delay=00:00:01, xdelay=00:00:01, "
	    "mailer=relay, pri=150365, relay=smtp.gmail.com. [127.0.0.2], "
	    "dsn=2.0.0, stat=Sent (OK)");
	line(t, "Nov 21 13:54:00 hoge sm-mta[11390]: 6B6DrusJ011390: "
	    "to=office@example.org, delay=00:00:00, mailer=local, pri=30000, "
	    "dsn=2.0.0, stat=Sent");
	trace_finish(t, 0);
	r = find("6B6Dru2u011376");
	assert_string_equal(r->cause, "account-domain-local");
	for (i = 0; i < nrecs; i++)
		if (strcmp(recs[i].addr, "user@example.org") == 0)
			assert_string_equal(recs[i].cause,
			    "account-domain-local");
		else if (strcmp(recs[i].addr, "<hoge@gmail.com>") == 0)
			assert_string_equal(recs[i].cause, "");
	/* "delivered" locally instead of relayed: sent, and flagged */
	r = find("6B6DrusJ011390");
	assert_int_equal(r->outcome, TR_SENT);
	assert_string_equal(r->cause, "account-domain-local");
	assert_string_equal(r->mcause, "account-domain-local");
	trace_free(t);
}

/* sendmail 8.14 logs no reply=: a failure line with only a dsn= still
 * gets a named cause; SMART_HOST [host]:587 makes sendmail try "587". */
static void
test_no_reply(void **state)
{
	struct trace *t = start(NULL, 0);

	(void)state;
	line(t, "Apr 12 11:21:36 sipserver1 sendmail[7889]: u3B84xT9931967: "
	    "to=<me@ourtest.com>, ctladdr=<root@sipserver1.ourtest.com> (0/0), "
	    "delay=18:16:37, xdelay=00:00:01, mailer=esmtp, pri=43710276, "
	    "relay=ourtest.com. [192.0.2.7], dsn=4.0.0, stat=Deferred");
	line(t, "Apr 12 11:21:40 web sm-mta[14565]: 6B6DsAXc014537: "
	    "to=<customer@example.net>, delay=00:00:03, xdelay=00:00:03, "
	    "mailer=smtp, pri=30327, relay=587, dsn=5.1.2, stat=Deferred");
	trace_finish(t, 0);
	assert_string_equal(find("u3B84xT9931967")->cause, "unexplained");
	assert_string_equal(find("6B6DsAXc014537")->cause,
	    "smarthost-port-ignored");
	trace_free(t);
}

/* sendmail tempfailed a message because the milter was down: a record of
 * its own (no from= line); a milter whose abort failed as a client timed
 * out is no such tempfail. */
static void
test_milter_down_record(void **state)
{
	struct trace *t = start(NULL, 0);

	(void)state;
	line(t, "Dec  6 13:52:38 homeserver sm-mta[24347]: 6B6Dqch0024347: "
	    "Milter (relaymilter): local socket name "
	    "/run/relaymilter/relaymilter.sock unsafe");
	line(t, "Dec  6 13:52:38 homeserver sm-mta[24347]: 6B6Dqch0024347: "
	    "Milter (relaymilter): to error state");
	line(t, "Dec  6 13:52:38 homeserver sm-mta[24347]: 6B6Dqch0024347: "
	    "Milter: initialization failed, temp failing commands");
	line(t, "Jan  5 00:13:32 a.mx sm-mta[10779]: jB86DKfv010779: "
	    "from=<u223@h224.com>, size=540085, class=0, nrcpts=1, "
	    "proto=ESMTP, daemon=MTA, relay=relay_id [10.11.12.13]");
	line(t, "Jan  5 00:13:32 a.mx sm-mta[10779]: jB86DKfv010779: "
	    "Milter (filter1): write(A) returned -1, expected 5: Broken pipe");
	line(t, "Jan  5 00:13:32 a.mx sm-mta[10779]: jB86DKfv010779: "
	    "Milter (filter1): to error state");
	trace_finish(t, 0);
	assert_int_equal(find("6B6Dqch0024347")->moutcome, TR_TEMPFAILED);
	assert_string_equal(find("6B6Dqch0024347")->mcause, "milter-error");
	assert_int_not_equal(find("jB86DKfv010779")->moutcome, TR_TEMPFAILED);
	trace_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_midway),
		cmocka_unit_test(test_one_mx_down),
		cmocka_unit_test(test_smarthost_port25),
		cmocka_unit_test(test_cached_status),
		cmocka_unit_test(test_local_domain_trap),
		cmocka_unit_test(test_no_reply),
		cmocka_unit_test(test_milter_down_record),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
