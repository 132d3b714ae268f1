/*
 * test_qsum.c - what the queue view makes of control files (milter/qsum.c)
 *
 * CONTRACT
 *	Crafted control files, parsed by qf_parse() and handed to qsum_add()
 *	as qscan would: age buckets, rows by domain and by relay (local
 *	domains, one count per row and message), the cause of each kind of
 *	file through the catalogue (port and relay matter, a recipient's own
 *	status wins, a quarantine reason the catalogue knows names its
 *	cause), the oldest messages, relaymilter's verdicts from the trace
 *	header, files that were not read, clean copies of dirty texts, the
 *	order of rows and causes and the worst severity.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qsum.h"

#define NOW	1800000000

static struct qf_msg pm;

/* Parse text and add it as control file NAME of kind name[0]. */
static int
add(struct qsum_queue *q, const struct qsum_opts *o, const char *name,
    const char *text)
{
	struct qscan_file f;
	enum qf_status st;

	memset(&f, 0, sizeof(f));
	f.dir = "/var/spool/mqueue";
	f.name = name;
	f.qid = name + 2;
	f.kind = name[0];
	f.mtime = NOW - 3600;
	f.size = strlen(text);
	st = qf_parse(&pm, text, strlen(text));
	f.msg = &pm;
	f.result = st == QF_OK ? QS_PARSED : st == QF_BAD ? QS_BAD :
	    QS_INCOMPLETE;
	return qsum_add(q, o, &f);
}

static char *
qf(int64_t age, const char *m, const char *rcpts, const char *extra)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf), "V8\nT%lld\nK0\nN1\nP1\n%s%s%s"
	    "S<a@mta.test>\n%s%s.\n", (long long)(NOW - age),
	    m ? "M" : "", m ? m : "", m ? "\n" : "", rcpts, extra ? extra : "");
	return buf;
}

static const struct qsum_cause *
cause(const struct qsum_queue *q, const char *id)
{
	size_t i;

	for (i = 0; i < q->ncauses; i++)
		if (strcmp(q->causes[i].id, id) == 0)
			return &q->causes[i];
	return NULL;
}

static const struct qsum_row *
row(const struct qsum_queue *q, const char *key)
{
	size_t i;

	for (i = 0; i < q->nrows; i++)
		if (strcmp(q->rows[i]->key, key) == 0)
			return q->rows[i];
	return NULL;
}

static void
route(struct qsum_queue *q, const char *relay, int port)
{
	q->route.relay = relay ? strdup(relay) : NULL;
	q->route.port = port;
	q->route.local = calloc(1, sizeof(char *));
	q->route.local[0] = strdup("mta.test");
	q->route.nlocal = 1;
}

static void
test_buckets(void **state)
{
	(void)state;
	assert_int_equal(qsum_age_bucket(-50), 0);
	assert_int_equal(qsum_age_bucket(0), 0);
	assert_int_equal(qsum_age_bucket(299), 0);
	assert_int_equal(qsum_age_bucket(300), 1);
	assert_int_equal(qsum_age_bucket(1199), 2);
	assert_int_equal(qsum_age_bucket(1200), 3);
	assert_int_equal(qsum_age_bucket(1280 * 60 - 1), 8);
	assert_int_equal(qsum_age_bucket(1280 * 60), 9);
	assert_int_equal(qsum_age_bucket(INT64_MAX / 2), 9);
	assert_string_equal(qsum_age_name[0], "5m");
	assert_string_equal(qsum_age_name[QSUM_NAGES - 1], "1280m+");
}

static void
test_rows(void **state)
{
	struct qsum_queue q, r;
	struct qsum_opts o = { .now = NOW };
	const char *msgs[][2] = {
		{ "qfA000001", "RPFD:<b@remote.test>\nRPFD:<c@Remote.Test>\n"
		    "RPFD:<d@other.test>\n" },
		{ "qfA000002", "RPFD:<e@remote.test>\nRPFD:root\n"
		    "RPFD:<f@mta.test>\n" },
		{ "qfA000003", "RPFD:<g@third.test>\n" },
	};
	size_t i;

	(void)state;
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	assert_int_equal(qsum_queue_init(&r, "mta"), 0);
	route(&q, "smtp.gmail.com", 587);
	route(&r, "smtp.gmail.com", 587);
	for (i = 0; i < 3; i++) {
		assert_int_equal(add(&q, &o, msgs[i][0], qf((int64_t)i * 1500,
		    "Deferred: x", msgs[i][1], NULL)), 0);
		o.by_relay = true;
		assert_int_equal(add(&r, &o, msgs[i][0], qf((int64_t)i * 1500,
		    "Deferred: x", msgs[i][1], NULL)), 0);
		o.by_relay = false;
	}
	qsum_sort(&q);
	qsum_sort(&r);
	assert_int_equal(q.queued, 3);
	assert_int_equal(q.recipients, 7);
	assert_int_equal(q.total.n, 3);
	assert_int_equal(q.total.age[0], 1);	/* 0 s */
	assert_int_equal(q.total.age[3], 1);	/* 25 min */
	assert_int_equal(q.total.age[4], 1);	/* 50 min */
	/* by domain: once per message, case folded, local without domain */
	assert_int_equal(row(&q, "remote.test")->n, 2);
	assert_int_equal(row(&q, "other.test")->n, 1);
	assert_int_equal(row(&q, "mta.test")->n, 1);
	assert_int_equal(row(&q, "(local)")->n, 1);
	assert_int_equal(row(&q, "third.test")->age[4], 1);
	assert_int_equal(q.nrows, 5);
	assert_string_equal(q.rows[0]->key, "remote.test");
	assert_string_equal(q.rows[1]->key, "(local)");	/* then by name */
	/* by relay: the smarthost, or (local) for class w and no domain */
	assert_int_equal(r.nrows, 2);
	assert_string_equal(r.rows[0]->key, "smtp.gmail.com");
	assert_int_equal(r.rows[0]->n, 3);
	assert_int_equal(row(&r, "(local)")->n, 1);
	assert_string_equal(q.oldest_qid, "A000003");
	assert_int_equal(q.oldest_ctime, NOW - 3000);
	qsum_queue_free(&q);
	qsum_queue_free(&r);

	/* no smarthost: each domain is its own relay */
	assert_int_equal(qsum_queue_init(&r, "mta"), 0);
	route(&r, NULL, 0);
	o.by_relay = true;
	assert_int_equal(add(&r, &o, "qfA000001", qf(10, "Deferred: x",
	    msgs[0][1], NULL)), 0);
	assert_int_equal(r.nrows, 2);
	assert_non_null(row(&r, "remote.test"));
	assert_non_null(row(&r, "other.test"));
	qsum_queue_free(&r);
}

static void
test_causes(void **state)
{
	struct qsum_queue q, m;
	struct qsum_opts o = { .now = NOW, .keep_messages = true };
	const char *rc = "RPFD:<b@remote.test>\n";
	const struct qsum_cause *c;

	(void)state;
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	route(&q, "smtp.gmail.com", 25);
	/* port 25: the ISP's block */
	assert_int_equal(add(&q, &o, "qfB000001", qf(100, "Deferred: "
	    "Connection timed out with smtp.gmail.com.", rc, NULL)), 0);
	assert_int_equal(add(&q, &o, "qfB000002", qf(900, "Deferred: "
	    "Connection timed out with smtp.gmail.com.", rc, NULL)), 0);
	/* a recipient's own status wins over the envelope's */
	assert_int_equal(add(&q, &o, "qfB000003", qf(50, "Deferred: "
	    "Connection timed out", "MDeferred: 450 4.2.1 Peak SMTP relay "
	    "limit exceeded for customer\nRPFD:<c@remote.test>\n", NULL)), 0);
	/* never tried, and a text nothing matches */
	assert_int_equal(add(&q, &o, "qfB000004", qf(5, NULL, rc, NULL)), 0);
	assert_int_equal(add(&q, &o, "qfB000005", qf(5, "Deferred: the moon "
	    "is in the wrong phase", rc, NULL)), 0);
	/* quarantined: a reason the catalogue knows, and one it does not;
	 * lost */
	assert_int_equal(add(&q, &o, "hfB000006", qf(7200, "Deferred: "
	    "Connection timed out", rc, "qheld for review\n")), 0);
	assert_int_equal(add(&q, &o, "hfB000007",
	    "V8\nT1799999900\nqheld by the admin\nSa@b\nRP:<x@y.test>\n.\n"), 0);
	assert_int_equal(add(&q, &o, "hfB000008", "V8\nT1799999900\n"
	    "qDaily user sending limit exceeded\nSa@b\nRP:<x@y.test>\n.\n"), 0);
	assert_int_equal(add(&q, &o, "QfB000009", qf(99999, "Deferred: 451 "
	    "4.3.0 later", rc, "Xbad\n")), 0);
	/* held by the relay budget: its own cause, not "quarantined" (whose
	 * fix, a release by hand, would go past the budget) */
	assert_int_equal(add(&q, &o, "hfB000010", "V8\nT1799999900\n"
	    "qrelaymilter relay budget: account:a@gmail.test rcpts/24h "
	    "501/500\nSa@b\nRP:<x@y.test>\n.\n"), 0);
	qsum_sort(&q);
	assert_int_equal(q.queued, 5);
	assert_int_equal(q.quarantined, 4);
	assert_int_equal(q.lost, 1);
	/* held and lost ones wait for no delivery: not in rows or oldest */
	assert_int_equal(q.total.n, 5);
	assert_int_equal(row(&q, "remote.test")->n, 5);
	assert_null(row(&q, "y.test"));
	assert_string_equal(q.oldest_qid, "B000002");

	/* a queue holds no connection that worked: a timeout on port 25
	 * alone does not say the port is blocked (issue 13) */
	assert_null(cause(&q, "connect-timeout-port25"));
	assert_non_null(c = cause(&q, "connect-timeout"));
	assert_int_equal(c->n, 2);
	assert_string_equal(c->oldest_qid, "B000002");
	assert_int_equal(c->oldest_ctime, NOW - 900);
	assert_string_equal(c->oldest_text, "Deferred: Connection timed out "
	    "with smtp.gmail.com.");
	assert_int_equal(c->age[0], 1);
	assert_int_equal(c->age[2], 1);
	assert_non_null(c->cause);
	assert_non_null(cause(&q, "quota-customer"));
	assert_null(cause(&q, "none")->cause);
	assert_int_equal(cause(&q, "none")->n, 1);
	assert_null(cause(&q, "unknown")->cause);
	assert_int_equal(cause(&q, "quarantined")->n, 2);
	assert_string_equal(cause(&q, "quarantined")->oldest_qid, "B000006");
	assert_int_equal(cause(&q, "quarantined")->oldest_kind, 'h');
	assert_string_equal(cause(&q, "quota-user-daily")->oldest_text,
	    "Daily user sending limit exceeded");
	assert_int_equal(cause(&q, "queue-file-lost")->n, 1);
	assert_int_equal(cause(&q, "relay-budget-exceeded")->n, 1);
	assert_string_equal(cause(&q, "relay-budget-exceeded")->oldest_qid,
	    "B000010");
	assert_int_equal(cause(&q, "queue-file-lost")->age[9], 1);
	/* errors first, then by count: the two timeouts lead */
	assert_string_equal(q.causes[0].id, "connect-timeout");
	assert_string_equal(q.causes[q.ncauses - 1].id, "none");
	assert_int_equal(qsum_worst(&q), CAUSE_ERROR);
	/* every message kept, with its cause */
	assert_int_equal(q.nmsgs, 10);
	assert_string_equal(q.msgs[2].cause_id, "quota-customer");
	assert_string_equal(q.msgs[2].rcpt[0], "<c@remote.test>");
	assert_string_equal(q.msgs[2].sender, "<a@mta.test>");
	assert_string_equal(q.msgs[2].file, "/var/spool/mqueue/qfB000003");
	qsum_queue_free(&q);

	/* the same text through another port, and the MSP's MTA */
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	route(&q, "smtp.gmail.com", 587);
	assert_int_equal(add(&q, &o, "qfC000001", qf(100, "Deferred: "
	    "Connection timed out with smtp.gmail.com.", rc, NULL)), 0);
	assert_non_null(cause(&q, "connect-timeout"));
	assert_int_equal(qsum_worst(&q), CAUSE_ERROR);
	qsum_queue_free(&q);
	assert_int_equal(qsum_queue_init(&m, "msp"), 0);
	route(&m, "[127.0.0.1]", 25);
	assert_int_equal(add(&m, &o, "qfC000002", qf(100, "Deferred: "
	    "Connection refused by [127.0.0.1]", rc, NULL)), 0);
	assert_non_null(cause(&m, "local-mta-down"));
	qsum_queue_free(&m);
	/* only a message never tried: nothing worth a word */
	assert_int_equal(qsum_queue_init(&m, "msp"), 0);
	assert_int_equal(add(&m, &o, "qfC000003", qf(1, NULL, rc, NULL)), 0);
	assert_int_equal(qsum_worst(&m), -1);
	qsum_queue_free(&m);
}

static void
test_policy(void **state)
{
	struct qsum_queue q;
	struct qsum_opts o = { .now = NOW, .trace_header = "X-Relay-Trace" };
	const char *rc = "RPFD:<b@remote.test>\n";
	size_t i;
	unsigned long spf = 0, align = 0;

	(void)state;
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	assert_int_equal(add(&q, &o, "qfD000001", qf(1, "Deferred: x", rc,
	    "H??X-Relay-Trace: id=abc; qid=D000001; spf=fail; align=fail\n")),
	    0);
	assert_int_equal(add(&q, &o, "qfD000002", qf(1, "Deferred: x", rc,
	    "H??x-relay-trace: id=abd; qid=D000002; spf=pass; align=relaxed\n")),
	    0);
	assert_int_equal(add(&q, &o, "hfD000003", qf(1, "Deferred: x", rc,
	    "H??X-Relay-Trace: id=abe; qid=D000003; align=fail\n")), 0);
	/* not ours: a value without the keys, another header */
	assert_int_equal(add(&q, &o, "qfD000004", qf(1, "Deferred: x", rc,
	    "H??X-Other: spf=fail\nH??X-Relay-Trace: nospf=fail\n")), 0);
	for (i = 0; i < q.npolicy; i++) {
		if (strcmp(q.policy[i].cause->id, "spf-fail-predicted") == 0)
			spf = q.policy[i].n;
		else if (strcmp(q.policy[i].cause->id,
		    "align-fail-predicted") == 0)
			align = q.policy[i].n;
		else
			fail_msg("unexpected verdict %s", q.policy[i].cause->id);
	}
	assert_int_equal(spf, 1);
	assert_int_equal(align, 2);
	qsum_queue_free(&q);
}

static void
test_not_read(void **state)
{
	struct qsum_queue q;
	struct qsum_opts o = { .now = NOW };
	struct qscan_file f;

	(void)state;
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	memset(&f, 0, sizeof(f));
	f.dir = "/q";
	f.name = "qfE000001";
	f.qid = f.name + 2;
	f.kind = 'q';
	/* being written: young, so not an error */
	f.result = QS_INCOMPLETE;
	f.mtime = NOW - 5;
	f.size = 10;
	assert_int_equal(qsum_add(&q, &o, &f), 0);
	assert_int_equal(q.inflight, 1);
	/* the same, old: cut short */
	f.mtime = NOW - 600;
	assert_int_equal(qsum_add(&q, &o, &f), 0);
	f.result = QS_VANISHED;
	assert_int_equal(qsum_add(&q, &o, &f), 0);
	assert_int_equal(q.vanished, 1);
	f.result = QS_TOOBIG;
	assert_int_equal(qsum_add(&q, &o, &f), 0);
	f.result = QS_UNREADABLE;
	f.err = EACCES;
	f.name = "qfE00\0012";	/* a control byte in a name is not printed */
	assert_int_equal(qsum_add(&q, &o, &f), 0);
	f.name = "qfE000003";
	assert_int_equal(add(&q, &o, "qfE000004", "V8\nT1\nK2x\nSa\n.\n"), 0);
	assert_int_equal(q.nbad, 4);
	assert_string_equal(q.bad[0].file, "/q/qfE000001");
	assert_non_null(strstr(q.bad[0].what, "cut short"));
	assert_non_null(strstr(q.bad[1].what, "MiB"));
	assert_string_equal(q.bad[2].file, "/q/qfE002");
	assert_non_null(strstr(q.bad[2].what, "Permission denied"));
	assert_int_equal(q.bad[3].line, 3);
	assert_non_null(strstr(q.bad[3].what, "K (last attempt)"));
	assert_int_equal(q.queued, 0);
	assert_int_equal(qsum_worst(&q), CAUSE_WARN);
	qsum_queue_free(&q);
}

static void
test_clean(void **state)
{
	struct qsum_queue q;
	struct qsum_opts o = { .now = NOW, .keep_messages = true };
	static const char dirty[] = "a\tb\x01" "c\x7f" "d\xc3\xa9" "e\xff"
	    "f\xe0\x80\x80" "g\xed\xa0\x80" "h";
	char *s;

	(void)state;
	s = qsum_clean(dirty, sizeof(dirty) - 1);
	assert_string_equal(s, "a bcd\xc3\xa9" "e?f???g???h");
	free(s);
	assert_int_equal(qsum_queue_init(&q, "mta"), 0);
	assert_int_equal(add(&q, &o, "qfF000001", qf(1, "Deferred: bad\x1b[31m"
	    "byte \xfe here", "RPFD:<b\x07@remote.test>\n", NULL)), 0);
	assert_string_equal(cause(&q, "unknown")->oldest_text,
	    "Deferred: bad[31mbyte ? here");
	assert_string_equal(q.msgs[0].rcpt[0], "<b@remote.test>");
	qsum_queue_free(&q);
}

static int
teardown(void **state)
{
	(void)state;
	qf_msg_free(&pm);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_not_read),
		cmocka_unit_test(test_clean),
	};

	qf_msg_init(&pm);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
