/*
 * test_trace_out.c - text blocks, JSON objects, summary, Prometheus text
 *		      and alert lines for hand-built messages
 *
 * CONTRACT
 *	Messages are built directly as struct tr_msg (the contract between
 *	trace.c and the printers), so each printer is checked on its own.
 *	JSON output is parsed back with json-c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "trace_out.h"

#define T0	1795248000	/* 2026-11-21T08:00:00Z */

static struct tr_rcpt rc[2];
static struct tr_msg msg;

static void
build(enum tr_outcome o)
{
	memset(&msg, 0, sizeof(msg));
	memset(rc, 0, sizeof(rc));
	msg.host = "mta";
	msg.qid = "6AL80000000001";
	msg.first = T0;
	msg.last = T0 + 5;
	msg.ctime = T0;
	msg.from = "<alice@client.test>";
	msg.size = 242;
	msg.nrcpts = 1;
	msg.lines = 4;
	msg.rcpt = rc;
	msg.nrcpt = 1;
	msg.outcome = o;
	rc[0].addr = "<bob@remote.test>";
	rc[0].outcome = o;
	rc[0].attempts = 1;
	rc[0].delay = 5;
	rc[0].xdelay = 5;
	rc[0].mailer = "relay";
	rc[0].relay = "smtp.gmail.com. [142.250.1.1]";
	rc[0].first_try = rc[0].last_try = T0 + 5;
	if (o == TR_SENT) {
		rc[0].dsn = "2.0.0";
		rc[0].stat = "Sent (OK 1 - gsmtp)";
		rc[0].tls = "TLSv1.3, verify=OK, cipher=X";
	} else {
		rc[0].dsn = o == TR_BOUNCED ? "5.7.8" : "4.7.0";
		rc[0].reply = o == TR_BOUNCED ? "535 5.7.8 Username and "
		    "Password not accepted" : "454 4.7.0 Too many login "
		    "attempts, please try again later";
		rc[0].stat = o == TR_BOUNCED ? "Service unavailable" :
		    "Deferred: 454 4.7.0 Too many login attempts";
		rc[0].cause = cause_by_id(o == TR_BOUNCED ?
		    "auth-bad-credentials" : "auth-rate-limit");
		rc[0].last_cause = rc[0].cause;
		if (o == TR_DEFERRED)
			rc[0].deferrals = 1;
		msg.cause = rc[0].cause;
	}
}

static void
test_text_sent(void **state)
{
	struct tro_text_opts o = { .fixes = true };
	strbuf sb;

	(void)state;
	build(TR_SENT);
	sb_init(&sb);
	assert_int_equal(tro_text(&sb, &msg, TR_EMIT_FINAL, T0 + 10, &o), 0);
	assert_string_equal(sb.s,
	    "== SENT mta 6AL80000000001 2026-11-21 08:00:00\n"
	    "   from <alice@client.test>, size 242, 1 rcpt\n"
	    "   to <bob@remote.test>: sent via smtp.gmail.com. [142.250.1.1] "
	    "(mailer relay), dsn 2.0.0, delay 5s\n"
	    "     tls:   TLSv1.3, verify=OK, cipher=X\n"
	    "\n");
	sb_free(&sb);
}

static void
test_text_bounced(void **state)
{
	struct tro_text_opts o = { .fixes = true };
	const struct cause *c = cause_by_id("auth-bad-credentials");
	strbuf sb;

	(void)state;
	build(TR_BOUNCED);
	msg.dsn_qid = "6AL80000010001";
	msg.dsn_reason = "Service unavailable";
	/* control characters from the log never reach the terminal */
	msg.from = "<ali\033[31mce@client.test>";
	sb_init(&sb);
	tro_text(&sb, &msg, TR_EMIT_FINAL, T0 + 10, &o);
	assert_non_null(strstr(sb.s, "== BOUNCED mta 6AL80000000001"));
	assert_non_null(strstr(sb.s, "     reply: 535 5.7.8 Username and "
	    "Password not accepted\n"));
	assert_non_null(strstr(sb.s, "     cause: auth-bad-credentials "
	    "(error): "));
	assert_non_null(strstr(sb.s, c->fix));
	assert_non_null(strstr(sb.s, "   bounce 6AL80000010001 sent to the "
	    "sender: Service unavailable\n"));
	assert_null(strchr(sb.s, '\033'));
	sb_reset(&sb);
	o.fixes = false;
	tro_text(&sb, &msg, TR_EMIT_FINAL, T0 + 10, &o);
	assert_null(strstr(sb.s, c->fix));
	sb_free(&sb);
	assert_true(tro_is_failure(&msg));
	build(TR_SENT);
	assert_false(tro_is_failure(&msg));
}

static void
test_json(void **state)
{
	struct json_object *o, *v, *r;
	strbuf sb;

	(void)state;
	build(TR_DEFERRED);
	msg.reject = "bad \xff\xfe bytes";
	sb_init(&sb);
	assert_int_equal(tro_json(&sb, &msg, TR_EMIT_END, T0 + 3600), 0);
	assert_int_equal(sb.s[sb.len - 1], '\n');
	assert_null(strchr(sb.s, '\n') == sb.s + sb.len - 1 ? NULL : sb.s);
	o = json_tokener_parse(sb.s);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "outcome", &v));
	assert_string_equal(json_object_get_string(v), "deferred");
	assert_true(json_object_object_get_ex(o, "reported", &v));
	assert_string_equal(json_object_get_string(v), "end-of-input");
	assert_true(json_object_object_get_ex(o, "first", &v));
	assert_string_equal(json_object_get_string(v), "2026-11-21T08:00:00Z");
	assert_true(json_object_object_get_ex(o, "age", &v));
	assert_int_equal(json_object_get_int64(v), 3600);
	assert_true(json_object_object_get_ex(o, "reject", &v));
	/* invalid UTF-8 became U+FFFD */
	assert_string_equal(json_object_get_string(v),
	    "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
	assert_true(json_object_object_get_ex(o, "recipients", &v));
	assert_int_equal(json_object_array_length(v), 1);
	r = json_object_array_get_idx(v, 0);
	assert_true(json_object_object_get_ex(r, "cause", &v));
	assert_true(json_object_object_get_ex(v, "id", &v));
	assert_string_equal(json_object_get_string(v), "auth-rate-limit");
	assert_false(json_object_object_get_ex(o, "relaymilter", &v));
	json_object_put(o);
	sb_free(&sb);
}

static void
test_duration(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb);
	tro_duration(&sb, 45);
	sb_putc(&sb, ' ');
	tro_duration(&sb, 754);
	sb_putc(&sb, ' ');
	tro_duration(&sb, 7500);
	sb_putc(&sb, ' ');
	tro_duration(&sb, 3 * 86400 + 4 * 3600 + 5);
	sb_putc(&sb, ' ');
	tro_duration(&sb, -3);
	assert_string_equal(sb.s, "45s 12m34s 2h05m 3d04h 0s");
	sb_free(&sb);
}

static void
test_summary_and_prometheus(void **state)
{
	struct tstats *s = tstats_new(2);
	struct tr_stats st;
	strbuf sb;

	(void)state;
	assert_non_null(s);
	memset(&st, 0, sizeof(st));
	st.lines = 100;
	st.unparsed = 3;
	st.messages = 3;
	st.kinds[ML_TO] = 5;
	build(TR_BOUNCED);
	tstats_attempt(s, &msg, &rc[0], T0);
	tstats_message(s, &msg, TR_EMIT_FINAL, T0);
	/* threshold reports are not counted */
	tstats_message(s, &msg, TR_EMIT_THRESHOLD, T0);
	build(TR_SENT);
	msg.from = "<carol@client.test>";
	tstats_attempt(s, &msg, &rc[0], T0);
	tstats_message(s, &msg, TR_EMIT_FINAL, T0);
	build(TR_SENT);
	msg.from = "<dave@client.test>";	/* beyond the cap of 2 */
	tstats_message(s, &msg, TR_EMIT_FINAL, T0);
	sb_init(&sb);
	assert_int_equal(tstats_print(&sb, s, &st, 10), 0);
	assert_non_null(strstr(sb.s, "  lines not understood         3\n"));
	assert_non_null(strstr(sb.s, "  bounced                      1\n"));
	assert_non_null(strstr(sb.s, "  sent                         2\n"));
	assert_non_null(strstr(sb.s, "auth-bad-credentials"));
	assert_non_null(strstr(sb.s, "(other)"));
	assert_non_null(strstr(sb.s, "1 more distinct values beyond the "
	    "limit of 2"));
	sb_reset(&sb);
	assert_int_equal(tstats_prometheus(&sb, s, &st, 4, 1234, T0, T0 + 60),
	    0);
	assert_non_null(strstr(sb.s, "# TYPE relaymilter_trace_messages_total "
	    "counter\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_messages_total"
	    "{outcome=\"bounced\"} 1\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_messages_total"
	    "{outcome=\"sent\"} 2\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_cause_total{cause="
	    "\"auth-bad-credentials\",severity=\"error\"} 1\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_cause_total{cause="
	    "\"connect-timeout\",severity=\"error\"} 0\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_deferred_messages 4\n"));
	assert_non_null(strstr(sb.s,
	    "relaymilter_trace_deferred_oldest_age_seconds 1234\n"));
	assert_non_null(strstr(sb.s,
	    "relaymilter_trace_unparsed_lines_total 3\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_last_parse_timestamp_"
	    "seconds 1795248060\n"));
	assert_non_null(strstr(sb.s, "relaymilter_trace_policy_total{cause="
	    "\"spf-fail-predicted\"} 0\n"));
	sb_free(&sb);
	tstats_free(s);
}

static void
test_alerts(void **state)
{
	struct talert_opts ao = { .max_defer = 1800, .max_failures = 3,
	    .window = 600 };
	struct talert *a = talert_new(&ao);
	strbuf out;
	int i;

	(void)state;
	assert_non_null(a);
	sb_init(&out);
	build(TR_SENT);
	talert_message(a, &out, &msg, TR_EMIT_FINAL, T0);
	assert_int_equal(out.len, 0);
	assert_int_equal(talert_level(a), TALERT_OK);

	/* deferred with an AUTH cause: one auth alert however often */
	build(TR_DEFERRED);
	talert_attempt(a, &out, &msg, &rc[0], T0);
	talert_attempt(a, &out, &msg, &rc[0], T0 + 1);
	assert_string_equal(out.s, "CRITICAL auth host=mta "
	    "qid=6AL80000000001 to=<bob@remote.test> relay=smtp.gmail.com. "
	    "[142.250.1.1] cause=auth-rate-limit: Too many login attempts: the "
	    "relay throttles logins (often a retry loop with a wrong "
	    "password)\n");
	assert_int_equal(talert_level(a), TALERT_CRITICAL);
	sb_reset(&out);

	/* still deferred after an hour: a warning */
	talert_message(a, &out, &msg, TR_EMIT_END, T0 + 3600);
	assert_non_null(strstr(out.s, "WARNING deferred host=mta "
	    "qid=6AL80000000001 age=1h00m to=<bob@remote.test> "
	    "cause=auth-rate-limit"));
	sb_reset(&out);
	/* not when the threshold report already said it */
	msg.threshold_emitted = true;
	talert_message(a, &out, &msg, TR_EMIT_END, T0 + 3600);
	assert_int_equal(out.len, 0);

	build(TR_BOUNCED);
	msg.npolicy = 1;
	msg.policy[0] = cause_by_id("spf-fail-predicted");
	msg.d.from = "<alice@client.test>";
	talert_message(a, &out, &msg, TR_EMIT_FINAL, T0);
	assert_non_null(strstr(out.s, "CRITICAL bounce host=mta "
	    "qid=6AL80000000001 to=<bob@remote.test> "
	    "cause=auth-bad-credentials: "));
	assert_non_null(strstr(out.s, "WARNING policy host=mta "
	    "qid=6AL80000000001 from=<alice@client.test> "
	    "cause=spf-fail-predicted: "));
	sb_reset(&out);

	/* burst: 4 failures in 10 minutes (> 3) alert once per window */
	build(TR_DEFERRED);
	rc[0].cause = cause_by_id("remote-temporary");
	for (i = 0; i < 8; i++)
		talert_attempt(a, &out, &msg, &rc[0], T0 + 10000 + i);
	assert_non_null(strstr(out.s, "CRITICAL failures count=4 window=10m00s"
	    " since=2026-11-21T10:46:40Z: more than 3 failed delivery "
	    "attempts within 10m00s\n"));
	assert_null(strstr(strstr(out.s, "CRITICAL failures") + 1,
	    "CRITICAL failures"));
	sb_reset(&out);
	/* an hour later, spread out: no burst */
	for (i = 0; i < 8; i++)
		talert_attempt(a, &out, &msg, &rc[0], T0 + 20000 + i * 300);
	assert_int_equal(out.len, 0);
	assert_true(talert_count(a) >= 5);
	sb_free(&out);
	talert_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_sent),
		cmocka_unit_test(test_text_bounced),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_summary_and_prometheus),
		cmocka_unit_test(test_alerts),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
