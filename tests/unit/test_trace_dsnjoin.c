/*
 * test_trace_dsnjoin.c - late bounces joined to the maillog
 *			  (trace_dsn.c): the trace header verified with the
 *			  key, forged / other-key / moved / malformed headers
 *			  never joined, causes, outcomes, and whether
 *			  relaymilter's prediction had said so
 *
 * CONTRACT
 *	Uses the world's DSNs, maillog and trace key (tests/e2e/fixtures/
 *	dsn) and the derived ones of tests/trace/fixtures/dsn (make.py there
 *	says what each is); the maillog is fed through a real struct trace,
 *	whose sink hands each message to tdsn_on_message() as
 *	relaymilter-trace does. Run from the top of the tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tag.h"
#include "trace.h"
#include "trace_dsn.h"
#include "util.h"

#define FX	"tests/e2e/fixtures/dsn/"
#define DX	"tests/trace/fixtures/dsn/"

static struct tag_key key;

static int
setup(void **state)
{
	char *buf, *p;
	size_t len, i;
	unsigned v;

	(void)state;
	/* the world's key file is 0644 in git (tag_key_load refuses
	 * that): read the hex here */
	if (read_file(FX "trace.key", &buf, &len) < 0)
		return -1;
	p = str_trim(buf);
	if (strlen(p) != 64)
		return -1;
	memset(&key, 0, sizeof(key));
	for (i = 0; i < 32; i++) {
		if (sscanf(p + 2 * i, "%2x", &v) != 1)
			return -1;
		key.bytes[i] = (unsigned char)v;
	}
	free(buf);
	return 0;
}

static void
add_file(struct tdsn *t, const char *path)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len) < 0)
		fail_msg("cannot read %s", path);
	assert_int_equal(tdsn_add(t, path, buf, len, false, len), 0);
	free(buf);
}

static void
on_msg(void *ctx, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	(void)why;
	(void)now;
	tdsn_on_message(ctx, m);
}

static void
feed_maillog(struct tdsn *t)
{
	struct tr_sink sink = { on_msg, NULL, NULL, NULL };
	struct tr_opts o;
	struct trace *tr;
	char *buf, *line, *nl;
	size_t len;
	unsigned long n = 0;

	tr_opts_default(&o);
	o.now = 1796564500;	/* 2026-12-06, the run's day */
	sink.ctx = t;
	assert_int_equal(tdsn_index(t), 0);
	tr = trace_new(&o, &sink);
	assert_non_null(tr);
	assert_int_equal(read_file(FX "maillog", &buf, &len), 0);
	for (line = buf; *line; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		assert_int_equal(trace_feed(tr, "maillog", ++n, line,
		    (size_t)(nl - line)), 0);
	}
	trace_finish(tr, trace_clock(tr));
	trace_free(tr);
	free(buf);
}

static const struct tdsn_rec *
by_src(const struct tdsn *t, const char *src)
{
	size_t i;

	for (i = 0; i < tdsn_count(t); i++)
		if (strcmp(tdsn_at(t, i)->src, src) == 0)
			return tdsn_at(t, i);
	fail_msg("no record for %s", src);
	return NULL;
}

/* The six DSNs of the world, joined to their maillog records. */
static void
test_world_joined(void **state)
{
	struct tdsn *t = tdsn_new(&key, "X-Relay-Trace");
	const struct tdsn_rec *r;
	const struct tdsn_stats *st;

	(void)state;
	assert_non_null(t);
	add_file(t, FX "gmail-5.1.1.eml");
	add_file(t, FX "gmail-5.7.26.eml");
	add_file(t, FX "gmail-dmarc-reject.eml");
	add_file(t, FX "sendgrid-dmarc-reject.eml");
	add_file(t, FX "sendmail-5.1.1.eml");
	add_file(t, FX "sendmail-real-5.2.0.eml");
	feed_maillog(t);
	tdsn_finish(t, true);
	st = tdsn_stats(t);
	assert_int_equal(st->verdicts[TDSN_GENUINE], 6);
	assert_int_equal(st->joined, 6);

	r = by_src(t, FX "gmail-5.1.1.eml");
	assert_int_equal(r->outcome, TDSN_O_AFTER_RELAY);
	assert_string_equal(r->host, "mta");
	assert_string_equal(r->qid, "6B6DeYB6005068");
	assert_string_equal(r->msp_qid, "6B6DeY0K005057");
	assert_true(r->has_decision);
	assert_string_equal(r->d.spf, "softfail");
	assert_string_equal(r->d.trace, r->id);
	assert_true(r->rcpt[0].ml);
	assert_int_equal(r->rcpt[0].ml_outcome, TR_SENT);
	assert_string_equal(r->rcpt[0].ml_relay, "smtp.gmail.test. [127.0.0.2]");
	assert_string_equal(r->rcpt[0].cause->id, "recipient-unknown");
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_NA);

	r = by_src(t, FX "gmail-5.7.26.eml");
	assert_string_equal(r->rcpt[0].cause->id, "unauthenticated");
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_YES);
	assert_string_equal(r->rcpt[0].pred_by, "spf=softfail");

	r = by_src(t, FX "gmail-dmarc-reject.eml");
	assert_string_equal(r->rcpt[0].cause->id, "dmarc-reject");
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_YES);
	assert_string_equal(r->rcpt[0].pred_by, "spf=softfail, align=fail");

	/* relaymilter did not evaluate SPF for sg-plain.org */
	r = by_src(t, FX "sendgrid-dmarc-reject.eml");
	assert_string_equal(r->rcpt[0].cause->id, "dmarc-reject");
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_UNKNOWN);
	assert_string_equal(r->rcpt[0].pred_by, "spf=unchecked, align=pass");

	r = by_src(t, FX "sendmail-5.1.1.eml");
	assert_int_equal(r->outcome, TDSN_O_AFTER_RELAY);
	assert_string_equal(r->rcpt[0].ml_relay,
	    "james.local.test. [127.0.0.5]");

	/* the smarthost refused after DATA: sendmail's own bounce; the
	 * reply's 5.1.1 wins over sendmail's Status 5.2.0 */
	r = by_src(t, FX "sendmail-real-5.2.0.eml");
	assert_int_equal(r->outcome, TDSN_O_BY_RELAY);
	assert_int_equal(r->rcpt[0].ml_outcome, TR_BOUNCED);
	assert_string_equal(r->rcpt[0].cause->id, "recipient-unknown");
	tdsn_free(t);
}

/* Without a maillog: genuine, not joined; the prediction then comes
 * from the trace header's own spf=/align=, and says so. */
static void
test_without_maillog(void **state)
{
	struct tdsn *t = tdsn_new(&key, "X-Relay-Trace");
	const struct tdsn_rec *r;

	(void)state;
	add_file(t, FX "gmail-5.7.26.eml");
	add_file(t, FX "gmail-dmarc-reject.eml");
	assert_int_equal(tdsn_index(t), 0);
	tdsn_finish(t, false);
	r = tdsn_at(t, 0);
	assert_int_equal(r->verdict, TDSN_GENUINE);
	assert_false(r->joined);
	assert_int_equal(r->outcome, TDSN_O_BOUNCED);
	assert_int_equal(r->made, 1796564435);
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_YES);
	assert_non_null(strstr(r->rcpt[0].pred_by, "spf=softfail (the trace "
	    "header's verdicts"));
	r = tdsn_at(t, 1);
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_YES);
	assert_memory_equal(r->rcpt[0].pred_by, "spf=softfail, align=fail",
	    24);
	tdsn_free(t);
}

/* Forged, another key's, moved and malformed headers are said so and
 * never joined, although the queue ids they name are in the maillog. */
static void
test_not_genuine_never_joined(void **state)
{
	struct tdsn *t = tdsn_new(&key, "X-Relay-Trace");
	const struct tdsn_rec *r;

	(void)state;
	add_file(t, DX "forged.eml");
	add_file(t, DX "other-key.eml");
	add_file(t, DX "moved.eml");
	add_file(t, DX "moved-maillog.eml");
	add_file(t, DX "malformed.eml");
	add_file(t, DX "no-header.eml");
	/* before the maillog: the Received: field shows moved.eml's */
	assert_int_equal(by_src(t, DX "moved.eml")->verdict, TDSN_MOVED);
	assert_int_equal(by_src(t, DX "moved-maillog.eml")->verdict,
	    TDSN_FORGED);
	feed_maillog(t);
	tdsn_finish(t, true);
	assert_int_equal(tdsn_stats(t)->joined, 0);

	r = by_src(t, DX "forged.eml");
	assert_int_equal(r->verdict, TDSN_FORGED);
	assert_int_equal(r->outcome, TDSN_O_NOT_GENUINE);
	assert_false(r->joined);
	assert_int_equal(r->rcpt[0].pred, TDSN_PRED_NA);
	r = by_src(t, DX "other-key.eml");
	assert_int_equal(r->verdict, TDSN_FORGED);
	r = by_src(t, DX "moved.eml");
	assert_string_equal(r->moved_from, "6B6Deeel006380");
	assert_string_equal(r->qid, "6B6DeYB6005068");
	/* the maillog's decision line logged that id for 6B6Deeel006380 */
	r = by_src(t, DX "moved-maillog.eml");
	assert_int_equal(r->verdict, TDSN_MOVED);
	assert_string_equal(r->moved_from, "6B6Deeel006380");
	assert_false(r->joined);
	r = by_src(t, DX "malformed.eml");
	assert_int_equal(r->verdict, TDSN_MALFORMED);
	assert_null(r->qid);
	r = by_src(t, DX "no-header.eml");
	assert_int_equal(r->verdict, TDSN_NO_HEADER);
	assert_int_equal(r->outcome, TDSN_O_NO_HEADER);
	/* what the bounce claims is still classified, for the reader */
	assert_string_equal(r->rcpt[0].cause->id, "dmarc-reject");
	tdsn_free(t);
}

/* A wrong key: every header of the world is "forged", none joined. */
static void
test_wrong_key(void **state)
{
	struct tag_key other;
	struct tdsn *t;

	(void)state;
	memset(&other, 0, sizeof(other));
	memset(other.bytes, 7, sizeof(other.bytes));
	t = tdsn_new(&other, "X-Relay-Trace");
	add_file(t, FX "gmail-5.1.1.eml");
	feed_maillog(t);
	tdsn_finish(t, true);
	assert_int_equal(tdsn_at(t, 0)->verdict, TDSN_FORGED);
	assert_false(tdsn_at(t, 0)->joined);
	tdsn_free(t);
}

/* Messages that are no DSN are counted, not kept. */
static void
test_other_mail_counted(void **state)
{
	static const char plain[] = "From: a@b\nSubject: hello\n\nhi\n";
	struct tdsn *t = tdsn_new(&key, "X-Relay-Trace");

	(void)state;
	assert_int_equal(tdsn_add(t, "m1", plain, sizeof(plain) - 1, false,
	    sizeof(plain) - 1), 0);
	assert_int_equal(tdsn_count(t), 0);
	assert_int_equal(tdsn_stats(t)->messages, 1);
	assert_int_equal(tdsn_stats(t)->kinds[DSN_NONE], 1);
	tdsn_free(t);
}

/* The prediction table, one row per rule of trace_dsn.h. */
static void
test_predict(void **state)
{
	static const struct {
		const char	*cause, *dmarc, *spf, *align;
		enum tdsn_pred	 want;
		const char	*by;
	} rows[] = {
		{ "recipient-unknown", NULL, "fail", "fail", TDSN_PRED_NA,
		  "recipient-unknown is not about authentication" },
		{ "dmarc-reject", "fail", "pass", "pass", TDSN_PRED_YES,
		  "dmarc=fail" },
		{ "dmarc-reject", "pass", "fail", "fail", TDSN_PRED_NO,
		  "dmarc=pass" },
		{ "dmarc-reject", "none", "pass", "pass", TDSN_PRED_NO,
		  "dmarc=none" },
		{ "dmarc-reject", NULL, "pass", "fail", TDSN_PRED_YES,
		  "align=fail" },
		{ "dmarc-reject", NULL, "softfail", "pass", TDSN_PRED_YES,
		  "spf=softfail" },
		{ "dmarc-reject", NULL, "pass", "pass", TDSN_PRED_NO,
		  "spf=pass, align=pass" },
		/* the trace header's align=relaxed is a pass */
		{ "dmarc-reject", NULL, "pass", "relaxed", TDSN_PRED_NO,
		  "spf=pass, align=relaxed" },
		{ "dmarc-reject", NULL, "temperror", "pass", TDSN_PRED_UNKNOWN,
		  "spf=temperror, align=pass" },
		{ "dmarc-reject", NULL, NULL, NULL, TDSN_PRED_UNKNOWN,
		  "no spf= verdict" },
		{ "unauthenticated", "fail", "pass", "pass", TDSN_PRED_YES,
		  "dmarc=fail" },
		{ "unauthenticated", NULL, "none", "pass", TDSN_PRED_YES,
		  "spf=none" },
		{ "unauthenticated", NULL, "pass", "fail", TDSN_PRED_NO,
		  "spf=pass" },
		{ "spf-reject", "fail", "permerror", "pass", TDSN_PRED_YES,
		  "spf=permerror" },
		{ "spf-reject", NULL, "neutral", NULL, TDSN_PRED_NO,
		  "spf=neutral" },
		{ "spf-reject", NULL, "unchecked", NULL, TDSN_PRED_UNKNOWN,
		  "spf=unchecked" },
	};
	strbuf by;
	size_t i;

	(void)state;
	sb_init(&by);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		sb_reset(&by);
		assert_int_equal(tdsn_predict(cause_by_id(rows[i].cause),
		    rows[i].dmarc, rows[i].spf, rows[i].align, &by),
		    rows[i].want);
		assert_string_equal(by.s, rows[i].by);
	}
	sb_reset(&by);
	assert_int_equal(tdsn_predict(NULL, NULL, NULL, NULL, &by),
	    TDSN_PRED_NA);
	sb_free(&by);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_world_joined),
		cmocka_unit_test(test_without_maillog),
		cmocka_unit_test(test_not_genuine_never_joined),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_other_mail_counted),
		cmocka_unit_test(test_predict),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, setup, NULL);
}
