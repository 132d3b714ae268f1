/*
 * test_maillog.c - ml_parse() on real and synthetic maillog lines
 *
 * CONTRACT
 *	Lines marked "world" are from the sendmail test world
 *	(/work/shared/test-world.md), "qidtrace", "fail2ban", "fluent" and
 *	"mozilla" lines are verbatim from the third-party samples described
 *	in tests/trace/fixtures/third-party/SOURCES.md; "synthetic" lines are
 *	written from sendmail's format strings. The mutation test feeds
 *	damaged copies of every line (and random bytes) and checks that every
 *	span stays inside the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "maillog.h"

static struct ml_line L;

static enum ml_kind
parse(const char *s)
{
	return ml_parse(s, strlen(s), &L);
}

static void
assert_span(struct ml_span s, const char *want)
{
	if (!ml_span_eq(s, want))
		print_error("span \"%.*s\" != \"%s\"\n", (int)s.n,
		    s.p ? s.p : "", want);
	assert_true(ml_span_eq(s, want));
}

static void
assert_field(const char *key, const char *want)
{
	const struct ml_span *v = ml_get(&L, key);

	if (v == NULL)
		print_error("no field %s\n", key);
	assert_non_null(v);
	assert_span(*v, want);
}

/* world: the delivery lines of one relayed message */
static void
test_world_lines(void **state)
{
	(void)state;
	assert_int_equal(parse("Nov 21 07:42:56 mta sendmail[30824]: "
	    "6AL7guhV030824: from=<alice@client.test>, size=242, class=0, "
	    "nrcpts=1, msgid=<20251121074256.6AL7gu@client.test>, proto=ESMTP, "
	    "daemon=MTA, relay=mta.test [127.0.0.1]"), ML_FROM);
	assert_int_equal(L.ts.mon, 11);
	assert_int_equal(L.ts.mday, 21);
	assert_int_equal(L.ts.hour, 7);
	assert_int_equal(L.ts.min, 42);
	assert_int_equal(L.ts.sec, 56);
	assert_int_equal(L.ts.year, 0);
	assert_span(L.host, "mta");
	assert_span(L.prog, "sendmail");
	assert_int_equal(L.prog_kind, MLP_SENDMAIL);
	assert_int_equal(L.pid, 30824);
	assert_span(L.qid, "6AL7guhV030824");
	assert_field("from", "<alice@client.test>");
	assert_field("size", "242");
	assert_field("nrcpts", "1");
	assert_field("msgid", "<20251121074256.6AL7gu@client.test>");
	assert_field("relay", "mta.test [127.0.0.1]");

	assert_int_equal(parse("Nov 21 07:42:56 mta sendmail[30824]: "
	    "6AL7guhV030824: Milter (relaymilter) chgfrom: relay@example.test"),
	    ML_MILTER_CHANGE);
	assert_span(L.milter, "relaymilter");
	assert_span(L.detail, "chgfrom: relay@example.test");

	assert_int_equal(parse("Nov 21 07:42:56 mta sendmail[30824]: "
	    "6AL7guhV030824: Milter (relaymilter) insert (0): header: "
	    "X-Relay-Trace: id=AB12CD34EF56GH78; qid=6AL7guhV030824"),
	    ML_MILTER_CHANGE);
	assert_span(L.detail, "insert (0): header: X-Relay-Trace: "
	    "id=AB12CD34EF56GH78; qid=6AL7guhV030824");

	assert_int_equal(parse("Nov 21 07:42:57 mta sendmail[30826]: "
	    "STARTTLS=client, relay=smarthost.test., version=TLSv1.3, "
	    "verify=OK, cipher=TLS_AES_256_GCM_SHA384, bits=256/256"), ML_TLS);
	assert_int_equal(L.qid.n, 0);
	assert_int_equal(L.pid, 30826);
	assert_field("STARTTLS", "client");
	assert_field("relay", "smarthost.test.");
	assert_field("verify", "OK");

	assert_int_equal(parse("Nov 21 07:42:57 mta sendmail[30826]: "
	    "6AL7guhV030824: to=<bob@remote.test>, delay=00:00:00, "
	    "xdelay=00:00:00, mailer=relay, pri=30242, relay=smarthost.test. "
	    "[127.0.0.2], dsn=2.0.0, stat=Sent (2.0.0 OK: queued as X1)"),
	    ML_TO);
	assert_field("to", "<bob@remote.test>");
	assert_field("mailer", "relay");
	assert_field("relay", "smarthost.test. [127.0.0.2]");
	assert_field("dsn", "2.0.0");
	assert_field("stat", "Sent (2.0.0 OK: queued as X1)");
	assert_false(L.more);

	assert_int_equal(parse("Nov 21 07:43:10 mta sendmail[30848]: "
	    "6AL7guAh030846: to=<d@remote.test>, delay=00:00:01, "
	    "xdelay=00:00:01, mailer=relay, pri=30256, relay=smarthost.test. "
	    "[127.0.0.2], dsn=4.3.0, reply=451 4.3.0 mailbox temporarily "
	    "unavailable, stat=Deferred: 451 4.3.0 mailbox temporarily "
	    "unavailable"), ML_TO);
	assert_field("reply", "451 4.3.0 mailbox temporarily unavailable");
	assert_field("stat", "Deferred: 451 4.3.0 mailbox temporarily "
	    "unavailable");
}

/* synthetic: sendmail 8.16+ reply= with ", " inside, and [more] */
static void
test_reply_and_more(void **state)
{
	(void)state;
	assert_int_equal(parse("Nov 21 08:00:00 mta sm-mta[1234]: "
	    "5AL80000001234: to=<a@x.test>, delay=00:00:02, xdelay=00:00:02, "
	    "mailer=relay, pri=120000, relay=smtp.gmail.com. [142.250.1.1], "
	    "dsn=5.7.0, reply=530 5.7.0 Authentication Required. For more "
	    "information, go to https://support.google.com/mail/?p=WantAuthError "
	    "- gsmtp, stat=Service unavailable"), ML_TO);
	assert_field("reply", "530 5.7.0 Authentication Required. For more "
	    "information, go to https://support.google.com/mail/?p=WantAuthError"
	    " - gsmtp");
	assert_field("stat", "Service unavailable");

	assert_int_equal(parse("Nov 21 08:00:00 mta sm-mta[1234]: "
	    "5AL80000001234: to=<a@x.test>,<b@x.test>, [more], "
	    "delay=00:00:02, xdelay=00:00:02, mailer=relay, pri=120000, "
	    "relay=smtp.gmail.com. [142.250.1.1], dsn=2.0.0, stat=Sent (OK)"),
	    ML_TO);
	assert_true(L.more);
	assert_field("to", "<a@x.test>,<b@x.test>");
	assert_field("stat", "Sent (OK)");

	/* a pipe recipient is quoted and may hold ", " */
	assert_int_equal(parse("Nov 21 08:00:00 mta sm-mta[1234]: "
	    "5AL80000001234: to=\"|/usr/bin/procmail -a x, y\", "
	    "ctladdr=<bob@mta.test> (1000/1000), delay=00:00:00, "
	    "xdelay=00:00:00, mailer=prog, pri=30000, dsn=2.0.0, stat=Sent"),
	    ML_TO);
	assert_field("to", "\"|/usr/bin/procmail -a x, y\"");
	assert_field("ctladdr", "<bob@mta.test> (1000/1000)");
}

/* mozilla vectors: stat= runs to the end although it contains ", " */
static void
test_mozilla(void **state)
{
	(void)state;
	assert_int_equal(parse("Jul  8 13:19:10 h sendmail[1]: "
	    "x6OAO3PO023456: to=<kai@office.example.com>, delay=00:00:00, "
	    "xdelay=00:00:00, mailer=smtp, pri=235332, "
	    "relay=webmail.office.example.com. [192.168.1.168], dsn=2.0.0, "
	    "stat=Sent (<4cb171fbd6e92fed42e1344934c6f130@smtp.example.com> "
	    "[InternalId=1234567890, Hostname=Exchange.office.example.com] "
	    "Queued mail for delivery)"), ML_TO);
	assert_field("stat", "Sent (<4cb171fbd6e92fed42e1344934c6f130@smtp."
	    "example.com> [InternalId=1234567890, Hostname=Exchange.office."
	    "example.com] Queued mail for delivery)");
	assert_field("pri", "235332");
	assert_field("delay", "00:00:00");
	assert_int_equal(parse("Jul  8 13:19:10 h sendmail[1]: NOQUEUE: "
	    "SYSERR(nobody): can not write to queue directory "
	    "/var/spool/clientmqueue/"), ML_SYSERR);
	assert_true(L.noqueue);
	assert_int_equal(L.qid.n, 0);
}

/* qidtrace: trailing space, anonymisation artefacts, old milter format */
static void
test_qidtrace(void **state)
{
	(void)state;
	assert_int_equal(parse("Jan  5 00:15:33 b.mx.example.net "
	    "sendmail[13960]: jB4JCnPo019367: to=<u3814@h1250.com>, "
	    "delay=3+13:01:56, xdelay=00:00:00, mailer=esmtp, pri=45751020, "
	    "relay=relay_id dsn=4.0.0, stat=Deferred: Connection timed out "
	    "with somewhereelse.com. "), ML_TO);
	assert_field("relay", "relay_id");
	assert_field("dsn", "4.0.0");
	assert_field("stat", "Deferred: Connection timed out with "
	    "somewhereelse.com.");
	assert_int_equal(ml_delay(*ml_get(&L, "delay")), 3 * 86400 +
	    13 * 3600 + 60 + 56);

	assert_int_equal(parse("Jan  5 00:15:33 d.mx.example.net "
	    "sm-mta[15617]: jB88Ehn2015617: Milter add: header: "
	    "X-example-SB-Tests: cn "), ML_MILTER_CHANGE);
	assert_int_equal(L.milter.n, 0);
	assert_span(L.detail, "add: header: X-example-SB-Tests: cn");

	assert_int_equal(parse("Jan  5 00:14:30 d.mx.example.net "
	    "sm-mta[8496]: STARTTLS=client, relay=relay_id "
	    "version=TLSv1/SSLv3, verify=FAIL, cipher=EDH-RSA-DES-CBC3-SHA, "
	    "bits=168/168 "), ML_TLS);
	assert_field("relay", "relay_id");
	assert_field("version", "TLSv1/SSLv3");
	assert_field("verify", "FAIL");

	/* "to=" damaged into "u2838=" by the anonymiser */
	assert_int_equal(parse("Jan  5 00:14:05 c.mx.example.net "
	    "sm-mta[10165]: jB88DL4X008602: u2838=<u2838@h2839.com>, "
	    "delay=00:00:04, xdelay=00:00:00, mailer=esmtp, pri=121607, "
	    "relay=relay_id [10.11.12.13], dsn=2.0.0, stat=Sent "
	    "(jB88E5EK011453 Message accepted for delivery)"), ML_TO);
	assert_field("stat", "Sent (jB88E5EK011453 Message accepted for "
	    "delivery)");

	/* program name damaged into "sendu473" */
	assert_int_equal(parse("Jan  5 00:14:40 a.mx.h2.net sendu473[18904]: "
	    "jB848V6w012563: to=<u473@h5204.com>, delay=04:06:11, "
	    "xdelay=00:01:33, u473er=esmtp, pri=1832628, relay=relay_id "
	    "[10.11.12.13], dsn=4.0.0, stat=Deferred: Connection timed out "
	    "with h5204.com. "), ML_TO);
	assert_int_equal(L.prog_kind, MLP_OTHER);

	assert_int_equal(parse("Jan  5 00:13:30 d.mx.example.net "
	    "sm-mta[12001]: jB88D0Ng012001: Milter: to=<u5@h6.com>, "
	    "reject=550 5.7.1 Recipient declines mail from a_host bogus helo "
	    "info, please fix your system "), ML_MILTER_REJECT);
	assert_field("to", "<u5@h6.com>");
	assert_field("reject", "550 5.7.1 Recipient declines mail from a_host "
	    "bogus helo info, please fix your system");

	assert_int_equal(parse("Jan  5 00:14:16 a.mx.example.net "
	    "sm-mta[13333]: jB88E4QU013333: Milter: data, reject=554 5.7.1 "
	    "Virus Worm.Mytob.HX found in mail - rejected "), ML_MILTER_REJECT);
	assert_int_equal(parse("Jan  5 00:14:16 a.mx.example.net "
	    "mimedefang.pl[30547]: jB88E4QU013333 bounced because of virus "
	    "Worm.Mytob.HX "), ML_FILTER);
	assert_int_equal(L.prog_kind, MLP_FILTER);
	assert_int_equal(parse("Jan  5 00:13:30 c.mx.example.net "
	    "mimedefang-multiplexor: Starting slave 2 (pid 8673) (10 running): "
	    "Bringing slaves up to minSlaves (10) "), ML_FILTER);
	assert_int_equal(L.pid, -1);
	assert_int_equal(parse("Jan  5 00:13:30 b.mx.example.net "
	    "sm-mta[7916]: jB88DCqu007916: lost input channel from a_host "
	    "[10.11.12.13] (may be forged) to MTA after rcpt "), ML_SESSION);
	assert_int_equal(parse("Jan  5 00:13:30 a.mx.example.net "
	    "sm-mta[11889]: jB88DEUK011889: cm10.20.30.40.hkcable.com.hk "
	    "[10.11.12.13] did not issue MAIL/EXPN/VRFY/ETRN during connection "
	    "to MTA "), ML_SESSION);
	assert_int_equal(parse("Jan  5 00:13:30 c.mx.example.net "
	    "sm-mta[7568]: jB88CjBf007568: <u19@h20.com>... No such user "
	    "here "), ML_RCPT_ERROR);
	assert_int_equal(parse("Jan  5 00:13:30 b.mx.example.net "
	    "sm-mta[7969]: jB88DEPJ007969: ruleset=check_mail, "
	    "arg1=<u37@h38.uk>, relay=relay_id [10.11.12.13], reject=553 5.1.8 "
	    "<u37@h38.uk>... Domain of sender address u37@h38.uk does not "
	    "exist "), ML_REJECT);
	assert_field("ruleset", "check_mail");
	assert_int_equal(parse("Jan  5 00:15:01 a.mx.example.net "
	    "sm-mta[14560]: jB88Ek4v014560: jB88F1Ek014561: DSN: User "
	    "unknown "), ML_DSN);
	assert_int_equal(L.dsn, MLD_DSN);
	assert_span(L.qid, "jB88Ek4v014560");
	assert_span(L.qid2, "jB88F1Ek014561");
	assert_span(L.detail, "User unknown");
	assert_int_equal(parse("Jan  5 00:13:47 a.mx.example.net "
	    "sm-mta[29337]: jB882l0n029337: collect: premature EOM: unexpected "
	    "close "), ML_SESSION);
	assert_int_equal(parse("Jan  5 00:15:15 b.mx.example.net "
	    "sm-mta[11388]: jB88F5WL011388: SYSERR(root): rewrite: excessive "
	    "recursion (max 50), ruleset canonify "), ML_SYSERR);
	assert_int_equal(parse("Jan  5 00:13:50 c.mx.example.net "
	    "sm-mta[8300]: jB88DmBa008300: Milter (filter1): to error state "),
	    ML_MILTER_ERROR);
	assert_span(L.milter, "filter1");
}

/* fail2ban: priority prefixes, 15-character ids, daemon names */
static void
test_fail2ban(void **state)
{
	(void)state;
	assert_int_equal(parse("Jun 17 14:37:39 <mail.info> robin "
	    "sm-mta[2794]: 55HIbcGI002794: from=<root@yourhost.com>, size=108, "
	    "class=0, nrcpts=0, proto=ESMTP, daemon=MTA-v4, "
	    "relay=[192.168.1.45]"), ML_FROM);
	assert_span(L.prio, "mail.info");
	assert_span(L.host, "robin");
	assert_int_equal(parse("<22>Jun 17 14:37:39 robin sm-mta[2794]: "
	    "55HIbcGI002794: <baduser@yourhost.com>... User unknown"),
	    ML_RCPT_ERROR);
	assert_span(L.prio, "22");
	assert_int_equal(parse("Feb 24 14:00:01 server sendmail[3529566]: "
	    "xA32R2PQ3529566: [192.0.2.2]: possible SMTP attack: command=AUTH, "
	    "count=5"), ML_SESSION);
	assert_span(L.qid, "xA32R2PQ3529566");
	assert_int_equal(parse("Feb 24 12:10:15 kismet "
	    "sm-acceptingconnections[32053]: s1OHA28u032053: "
	    "211-75-6-133.HINET-IP.hinet.net [211.75.6.133]: possible SMTP "
	    "attack: command=AUTH, count=6"), ML_SESSION);
	assert_int_equal(L.prog_kind, MLP_SENDMAIL);
	assert_int_equal(parse("Feb 25 04:02:27 relay1 sendmail[16664]: "
	    "06I02CNi016764: AUTH failure (LOGIN): authentication failure (-13) "
	    "SASL(-13): authentication failure: checkpass failed, "
	    "user=user@example.com, relay=example.com [192.0.2.3] (may be "
	    "forged)"), ML_AUTH);
	assert_int_equal(parse("Feb 24 01:46:44 petermurray sm-mta[24422]: "
	    "ruleset=check_relay, arg1=leased-line-54-82.telecom.by, "
	    "arg2=217.21.54.82, relay=leased-line-54-82.telecom.by "
	    "[217.21.54.82], reject=421 4.3.2 Connection rate limit "
	    "exceeded."), ML_REJECT);
	assert_int_equal(parse("Feb 13 01:16:50 batman sm-mta[25815]: "
	    "s1D0GoSs025815: [217.193.142.180]: expn info [rejected]"),
	    ML_SESSION);
	assert_int_equal(parse("Feb 27 10:53:06 batman sm-mta[44307]: "
	    "s1R9r60D044307: rejecting commands from  [209.15.212.253] due to "
	    "pre-greeting traffic after 0 seconds"), ML_SESSION);
}

/* ISO timestamps (rsyslog, journalctl -o short-iso) */
static void
test_iso(void **state)
{
	(void)state;
	assert_int_equal(parse("2025-11-21T08:52:01.123456+01:00 mta "
	    "sm-mta[77]: 5AL80000000077: to=<a@x.test>, delay=00:00:01, "
	    "mailer=relay, pri=1, dsn=4.0.0, stat=Deferred: Connection refused "
	    "by smtp.gmail.com."), ML_TO);
	assert_int_equal(L.ts.year, 2025);
	assert_int_equal(L.ts.mon, 11);
	assert_int_equal(L.ts.usec, 123456);
	assert_true(L.ts.has_tz);
	assert_int_equal(L.ts.tzoff, 3600);
	assert_int_equal(parse("2025-11-21T08:52:01+0100 mta sm-mta[77]: "
	    "5AL80000000077: done; delay=00:00:00, ntries=2"), ML_DONE);
	assert_int_equal(L.ts.tzoff, 3600);
	assert_field("ntries", "2");
	assert_int_equal(parse("2025-11-21T08:52:01Z mta relaymilter[9]: "
	    "5AL80000000077: action=keep, reason=allowed, from=<a@x.test>, "
	    "result=ok"), ML_DECISION);
	assert_int_equal(L.ts.tzoff, 0);
	assert_int_equal(parse("2025-11-21 08:52:01 mta sm-mta[77]: "
	    "STARTTLS=client, relay=x., version=TLSv1.3, verify=OK, "
	    "cipher=A, bits=256/256"), ML_TLS);
	assert_false(L.ts.has_tz);
	assert_int_equal(parse("2025-13-21T08:52:01Z mta sm-mta[1]: x"),
	    ML_UNPARSED);
	assert_int_equal(parse("2025-11-21T25:52:01Z mta sm-mta[1]: x"),
	    ML_UNPARSED);
	assert_int_equal(parse("-- Boot 2c3bd1a8 --"), ML_SYSLOG);
	assert_int_equal(parse("Nov 21 08:52:01 mta last message repeated 3 "
	    "times"), ML_SYSLOG);
}

/* relaymilter's decision line with quoted values */
static void
test_decision(void **state)
{
	strbuf sb;

	(void)state;
	assert_int_equal(parse("Nov 21 08:00:01 mta relaymilter[500]: "
	    "6AL7guhV030824: action=rewrite, from=<alice@client.test>, "
	    "to=<relay@example.test>, account=relay@example.test, "
	    "relay=[smarthost.test], spf=fail, spf_ip=192.0.2.1, align=fail, "
	    "hint=\"SPF of example.test, lacks \\\"include\\\"\", "
	    "trace=AB12CD34EF56GH78, result=ok"), ML_DECISION);
	assert_int_equal(L.prog_kind, MLP_RELAYMILTER);
	assert_span(L.qid, "6AL7guhV030824");
	assert_field("action", "rewrite");
	assert_field("to", "<relay@example.test>");
	assert_field("spf", "fail");
	assert_field("align", "fail");
	assert_field("trace", "AB12CD34EF56GH78");
	assert_field("result", "ok");
	assert_field("hint", "\"SPF of example.test, lacks \\\"include\\\"\"");
	sb_init(&sb);
	assert_int_equal(ml_unquote(*ml_get(&L, "hint"), &sb), 0);
	assert_string_equal(sb.s, "SPF of example.test, lacks \"include\"");
	sb_free(&sb);
	assert_int_equal(parse("Nov 21 08:00:01 mta relaymilter[500]: "
	    "starting relaymilter 0.9.0"), ML_RELAYMILTER);
}

/* other sendmail lines the trace needs */
static void
test_misc_sendmail(void **state)
{
	(void)state;
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "AUTH=client, relay=smtp.gmail.com., temporary failure, "
	    "connection abort"), ML_AUTH);
	assert_field("AUTH", "client");
	assert_field("relay", "smtp.gmail.com.");
	assert_int_equal(L.nfields, 4);
	assert_span(L.f[2].val, "temporary failure");
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: 5AL80000010600: sender notify: Warning: could "
	    "not send message for past 4 hours"), ML_DSN);
	assert_int_equal(L.dsn, MLD_SENDER_NOTIFY);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: 5AL80000010600: return to sender: Cannot send "
	    "message for 5 days"), ML_DSN);
	assert_int_equal(L.dsn, MLD_RETURN);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: 5AL80000010600: clone: owner=list-owner"),
	    ML_CLONE);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "starting daemon (8.17.1.9): SMTP+queueing@00:10:00"), ML_DAEMON);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: Milter: initialization failed, temp failing "
	    "commands"), ML_MILTER_ERROR);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: Milter (relaymilter): error connecting to filter: "
	    "Connection refused by /run/relaymilter/sock"), ML_MILTER_ERROR);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-msp-queue[601]: "
	    "5AL80000000601: to=root, ctladdr=root (0/0), delay=00:00:00, "
	    "xdelay=00:00:00, mailer=relay, pri=30000, relay=[127.0.0.1] "
	    "[127.0.0.1], dsn=2.0.0, stat=Sent (5AL80000000602 Message "
	    "accepted for delivery)"), ML_TO);
	assert_int_equal(L.prog_kind, MLP_SENDMAIL);
	assert_int_equal(parse("Nov 21 08:00:01 mta sm-mta[600]: "
	    "5AL80000000600: discarded"), ML_NOTE);
}

static void
test_unparsed(void **state)
{
	static const char *const bad[] = {
		"", "   ", "garbage", "Jan", "Jan  5", "Jan  5 00:13:30",
		"Jan  5 00:13:30 host", "Jan  5 00:13:30 host prog",
		"Foo  5 00:13:30 host sm-mta[1]: x",
		"Jan 32 00:13:30 host sm-mta[1]: x",
		"Jan  5 00:13:30 host sm-mta[x]: x",
		"Jan  5 00:13:30 host sm-mta[1] x",
		"Jan  5 00:13:30 host sm-mta[1]: something sendmail never says",
		"Jan  5 00:13:30 host sm-mta[1]: jB88Ehn2015617: gibberish here",
		"Jan  5 00:13:30 host postfix/smtp[1]: 3F2A41C0A7: to=<a@b>, "
		    "relay=x[1.2.3.4]:25, delay=1, status=sent (250 ok)",
		"Jan  5 00:13:30 host dovecot[1]: imap-login: Login: user=<x>",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i]) != ML_UNPARSED)
			print_error("parsed: %s (%s)\n", bad[i],
			    ml_kind_name(L.kind));
		assert_int_equal(parse(bad[i]), ML_UNPARSED);
	}
	assert_string_equal(ml_kind_name(ML_UNPARSED), "unparsed");
	assert_string_equal(ml_kind_name(ML_KIND_COUNT), "invalid");
	assert_int_equal(ml_parse(NULL, 0, &L), ML_UNPARSED);
}

static void
test_helpers(void **state)
{
	struct ml_span s = { "00:00:00", 8 };

	(void)state;
	assert_int_equal(ml_delay(s), 0);
	s.p = "1+00:00:15", s.n = 10;
	assert_int_equal(ml_delay(s), 86415);
	s.p = "12:34:45", s.n = 8;
	assert_int_equal(ml_delay(s), 45285);
	s.p = "1+2", s.n = 3;
	assert_int_equal(ml_delay(s), -1);
	s.p = "00:60:00", s.n = 8;
	assert_int_equal(ml_delay(s), -1);
	s.p = "", s.n = 0;
	assert_int_equal(ml_delay(s), -1);
	assert_int_equal(ml_epoch_utc(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(ml_epoch_utc(2016, 4, 1, 15, 15, 25), 1459523725);
	assert_int_equal(ml_epoch_utc(2000, 2, 29, 0, 0, 0), 951782400);
	assert_true(ml_is_qid("6AL7guhV030824", 14));
	assert_true(ml_is_qid("xA32R2PQ3529566", 15));
	assert_true(ml_is_qid("6AL7guhV0308240000", 18));
	assert_false(ml_is_qid("6AL7guhV03082", 11));
	assert_false(ml_is_qid("6AL7guhV0308ab", 14));
	assert_false(ml_is_qid("6AL7gu-V030824", 14));
	s.p = "Hello World", s.n = 11;
	assert_int_equal(ml_span_find(s, "world"), 6);
	assert_int_equal(ml_span_find(s, "xyz"), -1);
	assert_true(ml_span_ieq(s, "hello world"));
}

/* every span inside [buf, buf + n) */
static bool
inside(struct ml_span s, const char *buf, size_t n)
{
	if (s.n == 0)
		return true;
	return s.p >= buf && s.p + s.n <= buf + n;
}

static void
check_spans(const char *buf, size_t n)
{
	size_t i;

	assert_true((unsigned)L.kind < ML_KIND_COUNT);
	assert_true(inside(L.host, buf, n));
	assert_true(inside(L.prog, buf, n));
	assert_true(inside(L.qid, buf, n));
	assert_true(inside(L.qid2, buf, n));
	assert_true(inside(L.msg, buf, n));
	assert_true(inside(L.prio, buf, n));
	assert_true(inside(L.milter, buf, n));
	assert_true(inside(L.detail, buf, n));
	assert_true(L.nfields <= ML_MAX_FIELDS);
	for (i = 0; i < L.nfields; i++) {
		assert_true(inside(L.f[i].key, buf, n));
		assert_true(inside(L.f[i].val, buf, n));
		(void)ml_delay(L.f[i].val);
	}
}

static const char *const seeds[] = {
	"Jan  5 00:15:33 b.mx.example.net sendmail[13960]: jB4JCnPo019367: "
	    "to=<u3814@h1250.com>, delay=3+13:01:56, xdelay=00:00:00, "
	    "mailer=esmtp, pri=45751020, relay=relay_id dsn=4.0.0, "
	    "stat=Deferred: Connection timed out with somewhereelse.com. ",
	"2025-11-21T08:52:01.123456+01:00 mta relaymilter[500]: "
	    "6AL7guhV030824: action=rewrite, hint=\"a, \\\"b\\\"\", result=ok",
	"<22>Jun 17 14:37:39 <mail.info> robin sm-mta[2794]: 55HIbcGI002794: "
	    "55HIbcGI002795: DSN: Service unavailable",
	"Nov 21 07:43:10 mta sendmail[30848]: 6AL7guAh030846: to=<d@r.test>,"
	    "<e@r.test>, [more], reply=451 4.3.0 x, stat=Deferred: 451 4.3.0 x",
	"Nov 21 07:42:56 mta sendmail[30824]: 6AL7guhV030824: Milter "
	    "(relaymilter) insert (0): header: X-Relay-Trace: id=A; qid=B",
};

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Damaged copies of real lines, then random bytes: never out of bounds. */
static void
test_mutations(void **state)
{
	char *buf;
	size_t i, j, n, cap = 512;
	int round;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		for (round = 0; round < 20000; round++) {
			n = strlen(seeds[i]);
			/* a fresh heap copy of exactly n bytes: ASan sees any
			 * read past the end */
			n = round % 7 == 0 ? rnd() % (n + 1) : n;
			buf = malloc(n ? n : 1);
			assert_non_null(buf);
			memcpy(buf, seeds[i], n);
			for (j = 0; j < 1 + rnd() % 4 && n > 0; j++)
				buf[rnd() % n] = (char)(rnd() & 0xff);
			ml_parse(buf, n, &L);
			check_spans(buf, n);
			free(buf);
		}
	}
	for (round = 0; round < 20000; round++) {
		n = rnd() % cap;
		buf = malloc(n ? n : 1);
		assert_non_null(buf);
		for (j = 0; j < n; j++)
			buf[j] = (char)(rnd() & 0xff);
		if (n > 20)
			memcpy(buf, "Jan  5 00:13:30 h sm-mta[1]: ", 20);
		ml_parse(buf, n, &L);
		check_spans(buf, n);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_world_lines),
		cmocka_unit_test(test_reply_and_more),
		cmocka_unit_test(test_mozilla),
		cmocka_unit_test(test_qidtrace),
		cmocka_unit_test(test_fail2ban),
		cmocka_unit_test(test_iso),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_misc_sendmail),
		cmocka_unit_test(test_unparsed),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
