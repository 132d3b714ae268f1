/*
 * test_trace_dsn.c - the DSN reader of relaymilter-trace --dsn: MIME
 *		      (mime.c), delivery status notifications (dsn.c,
 *		      dsn_text.c) and mailboxes (dsn_box.c)
 *
 * CONTRACT
 *	Two kinds of input. The real DSNs of the end-to-end world
 *	(tests/e2e/fixtures/dsn: Gmail, SendGrid, a local relay's sendmail
 *	layout, the world's own sendmail; one mbox and one Maildir holding
 *	them), whose expected fields come from their index.json. And
 *	hand-written broken or non-standard ones (tests/unit/data/dsn/, and
 *	some built here), each test saying why it exists. Run from the top
 *	of the tree (tests/run does).
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

#include "dsn.h"
#include "dsn_box.h"
#include "mime.h"
#include "util.h"

#define FX	"tests/e2e/fixtures/dsn/"
#define HD	"tests/unit/data/dsn/"
#define TH	"X-Relay-Trace"

static void
parse_file(const char *path, struct dsn *d)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len) < 0)
		fail_msg("cannot read %s", path);
	assert_int_equal(dsn_parse(buf, len, TH, d), 0);
	free(buf);
}

static void
parse_str(const char *s, struct dsn *d)
{
	assert_int_equal(dsn_parse(s, strlen(s), TH, d), 0);
}

/* ------------------------------------------------ the world's DSNs */

struct want {
	const char	*file, *rcpt, *status, *diag_start, *qid, *remote;
	const char	*reporting;
};

/* from tests/e2e/fixtures/dsn/index.json */
static const struct want world[] = {
	{ "gmail-5.1.1.eml", "nosuchuser@remote.test", "5.1.1",
	  "550 5.1.1 <nosuchuser@remote.test>... The email account",
	  "6B6DeYB6005068", "mx.remote.test. (198.51.100.27, the server for "
	  "the domain remote.test.)", "googlemail.com" },
	{ "gmail-5.7.26.eml", "blocked@remote.test", "5.7.26",
	  "550 5.7.26 <blocked@remote.test>... This mail has been blocked",
	  "6B6DeZJ3005145", "mx.remote.test. (198.51.100.27, the server for "
	  "the domain remote.test.)", "googlemail.com" },
	{ "gmail-dmarc-reject.eml", "bob@remote.test", "5.7.1",
	  "550 5.7.1 Unauthenticated email from alias-reject.org",
	  "6B6Deeel006380", "mx.remote.test. (198.51.100.27, the server for "
	  "the domain remote.test.)", "googlemail.com" },
	/* SendGrid's report has no Remote-MTA: it comes from the text's
	 * "rcpt : ip : mx:[ip] : reply" line; no Reporting-MTA either */
	{ "sendgrid-dmarc-reject.eml", "bob@remote.test", "5.7.1",
	  "550 5.7.1 Unauthenticated email from sg-plain.org",
	  "6B6DeebM006515", "mx.remote.test:[198.51.100.27]", NULL },
	{ "sendmail-5.1.1.eml", "nosuchuser@remote.test", "5.1.1",
	  "550 5.1.1 <nosuchuser@remote.test>... The email account",
	  "6B6DekJ2007815", "mx.remote.test", "james.local.test" },
	/* sendmail's own: Status 5.2.0 (no ENHANCEDSTATUSCODES at the
	 * stand-in), the reply's 5.1.1 kept in the diagnostic */
	{ "sendmail-real-5.2.0.eml", "data-550-dsn@remote.test", "5.2.0",
	  "550 5.1.1 The email account that you tried to reach does not "
	  "exist.", "6B6DelZW008020", "smtp.gmail.test", "mta.test" },
};

static void
check_world(const struct dsn *d, const struct want *w, bool forwarded)
{
	char q[64];

	assert_int_equal(d->kind, DSN_REPORT);
	assert_int_equal(d->flags, 0);
	assert_int_equal(d->forwarded, forwarded);
	assert_int_equal(d->nrcpt, 1);
	assert_string_equal(d->rcpt[0].rcpt, w->rcpt);
	assert_string_equal(d->rcpt[0].action, "failed");
	assert_string_equal(d->rcpt[0].status, w->status);
	assert_non_null(d->rcpt[0].diag);
	assert_memory_equal(d->rcpt[0].diag, w->diag_start,
	    strlen(w->diag_start));
	assert_string_equal(d->rcpt[0].remote_mta, w->remote);
	if (w->reporting)
		assert_string_equal(d->reporting_mta, w->reporting);
	else
		assert_null(d->reporting_mta);
	assert_int_equal(d->ret, DSN_RET_MESSAGE);
	assert_int_equal(d->ntrace, 1);
	snprintf(q, sizeof(q), "; qid=%s", w->qid);
	assert_non_null(strstr(d->trace[0], q));
	assert_memory_equal(d->trace[0], "id=", 3);
	/* the Received: field of our MTA names the queue id */
	assert_true(d->nreceived_qid >= 1);
	assert_string_equal(d->received_qid[0], w->qid);
	assert_non_null(d->orig_from);
	assert_non_null(strstr(d->orig_subject, "dmarcworld"));
}

static void
test_world_eml(void **state)
{
	char path[256];
	struct dsn d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(world) / sizeof(world[0]); i++) {
		snprintf(path, sizeof(path), FX "%s", world[i].file);
		parse_file(path, &d);
		check_world(&d, &world[i], false);
		dsn_free(&d);
	}
}

struct boxrun {
	size_t		 n;
	char		 src[8][160];
	struct dsn	 d[8];
	char		*body[8];
};

static int
on_msg(void *ctx, const struct dsnbox_msg *m)
{
	struct boxrun *b = ctx;

	if (b->n == 8)
		return 1;
	snprintf(b->src[b->n], sizeof(b->src[0]), "%s", m->src);
	assert_false(m->cut);
	assert_int_equal(m->total, m->n);
	if (dsn_parse(m->p, m->n, TH, &b->d[b->n]) < 0)
		return 1;
	b->body[b->n] = strndup(m->p, m->n);
	b->n++;
	return 0;
}

static void
box_free(struct boxrun *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		dsn_free(&b->d[i]);
		free(b->body[i]);
	}
}

/* the same six DSNs in the world's mbox and Maildir, in that order */
static void
test_world_mailboxes(void **state)
{
	struct dsnbox_opts o = { on_msg, NULL, NULL };
	static struct boxrun b;
	strbuf err;
	size_t i;

	(void)state;
	sb_init(&err);
	memset(&b, 0, sizeof(b));
	o.ctx = &b;
	assert_int_equal(dsnbox_read(FX "dsn.mbox", &o, &err), 0);
	assert_int_equal(b.n, 6);
	assert_string_equal(b.src[0], FX "dsn.mbox:1");
	for (i = 0; i < 6; i++)
		check_world(&b.d[i], &world[i], false);
	box_free(&b);

	memset(&b, 0, sizeof(b));
	assert_int_equal(dsnbox_read(FX "Maildir", &o, &err), 0);
	assert_int_equal(b.n, 6);	/* cur/.keep and tmp/ are not mail */
	assert_non_null(strstr(b.src[0], FX "Maildir/new/"));
	for (i = 0; i < 6; i++)
		check_world(&b.d[i], &world[i], false);
	box_free(&b);
	sb_free(&err);
}

/* ------------------------------------------------ hand-written ones */

/* SendGrid's Forward Bounce as some accounts receive it: a text part and
 * the returned message, no message/delivery-status. Must be recognised by
 * the returned headers, the reply read from the summary line. */
static void
test_forwarded_text(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "forwarded-text.eml", &d);
	assert_int_equal(d.kind, DSN_TEXT);
	assert_int_equal(d.nrcpt, 1);
	assert_string_equal(d.rcpt[0].rcpt, "bob@remote.test");
	assert_string_equal(d.rcpt[0].action, "failed");
	assert_string_equal(d.rcpt[0].status, "5.7.1");
	assert_string_equal(d.rcpt[0].remote_mta,
	    "mx.remote.test:[198.51.100.27]");
	assert_memory_equal(d.rcpt[0].diag, "550 5.7.1 Unauthenticated", 25);
	assert_int_equal(d.ret, DSN_RET_MESSAGE);
	assert_int_equal(d.ntrace, 1);
	assert_non_null(strstr(d.trace[0], "qid=6B6DeebM006515"));
	dsn_free(&d);
}

/* qmail's "failure notice": plain text, the original quoted below a
 * line; the oldest layout still sent. The trace header is found in the
 * quoted copy, the recipient on its "<addr>:" line. */
static void
test_qmail_quoted(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "qmail-quoted.eml", &d);
	assert_int_equal(d.kind, DSN_TEXT);
	assert_int_equal(d.ret, DSN_RET_QUOTED);
	assert_int_equal(d.nrcpt, 1);
	assert_string_equal(d.rcpt[0].rcpt, "nosuchuser@remote.test");
	assert_string_equal(d.rcpt[0].status, "5.1.1");
	assert_string_equal(d.rcpt[0].diag,
	    "550 5.1.1 <nosuchuser@remote.test>... User unknown");
	assert_int_equal(d.ntrace, 1);
	assert_non_null(strstr(d.trace[0], "qid=6B6DeYB6005068"));
	dsn_free(&d);
}

/* A person's reply quoting our header and an SMTP-looking line: not a
 * bounce, never joined to anything. */
static void
test_not_a_bounce(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "not-a-bounce.eml", &d);
	assert_int_equal(d.kind, DSN_NONE);
	assert_int_equal(d.nrcpt, 0);
	dsn_free(&d);
}

/* A Gmail DSN forwarded by a person as an attachment: the report inside
 * the attached message is read, and said to be forwarded. */
static void
test_forwarded_attachment(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "forwarded-attachment.eml", &d);
	check_world(&d, &world[1], true);
	assert_string_equal(d.from, "Alice <alice@gmail.com>");
	dsn_free(&d);
}

/* A delay notice (Action: delayed, 4.4.1) with only the returned header
 * (text/rfc822-headers, RET=HDRS): not a bounce, but read as one. */
static void
test_delayed_headers(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "delayed.eml", &d);
	assert_int_equal(d.kind, DSN_REPORT);
	assert_int_equal(d.ret, DSN_RET_HEADERS);
	assert_string_equal(d.rcpt[0].action, "delayed");
	assert_string_equal(d.rcpt[0].status, "4.4.1");
	assert_string_equal(d.orig_subject, "dmarcworld delayed");
	dsn_free(&d);
}

/* Two recipient groups (one failed, one delivered), Original-Recipient,
 * and two trace headers (one bad, one good, the name in lower case):
 * both kept, in order. */
static void
test_headers_only(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "headers-only.eml", &d);
	assert_int_equal(d.nrcpt, 2);
	assert_string_equal(d.rcpt[0].orig_rcpt, "alias@remote.test");
	assert_string_equal(d.rcpt[1].action, "delivered");
	assert_null(d.rcpt[1].diag);
	assert_int_equal(d.ntrace, 2);
	assert_memory_equal(d.trace[0], "id=aaaa", 7);
	assert_memory_equal(d.trace[1], "id=nmkw", 7);
	dsn_free(&d);
}

/* CRLF line ends, a Diagnostic-Code folded over three lines with its
 * type alone on the first, and the returned message in base64 with a
 * stray "!!" (RFC 2045: skip characters outside the alphabet). */
static void
test_base64_folded(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "base64-rfc822.eml", &d);
	assert_int_equal(d.kind, DSN_REPORT);
	assert_string_equal(d.reporting_mta, "mx.example");
	assert_string_equal(d.rcpt[0].rcpt, "someone@remote.test");
	assert_string_equal(d.rcpt[0].diag, "550-5.7.26 This mail has been "
	    "blocked because the sender is 550-5.7.26 unauthenticated. Gmail "
	    "requires all senders to 550 5.7.26 authenticate with either SPF "
	    "or DKIM. - gsmtp");
	assert_int_equal(d.ntrace, 1);
	assert_non_null(strstr(d.trace[0], "qid=6B6DeZJ3005145"));
	assert_string_equal(d.orig_subject, "base64 returned");
	assert_int_equal(d.nreceived_qid, 1);
	dsn_free(&d);
}

/* A download cut off in the middle of the returned message: no close
 * delimiter. What is there is read, and the cut is said. */
static void
test_unterminated(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "unterminated.eml", &d);
	assert_int_equal(d.kind, DSN_REPORT);
	assert_true(d.flags & DSN_F_UNTERMINATED);
	assert_int_equal(d.ntrace, 1);
	assert_string_equal(d.rcpt[0].status, "5.7.26");
	dsn_free(&d);
}

/* multipart/report without a boundary: not split, read as text; the
 * quoted trace header and the reply still make it a bounce. */
static void
test_no_boundary(void **state)
{
	struct dsn d;

	(void)state;
	parse_file(HD "no-boundary.eml", &d);
	assert_int_equal(d.kind, DSN_TEXT);
	assert_true(d.flags & DSN_F_NOBOUNDARY);
	assert_string_equal(d.rcpt[0].status, "5.1.1");
	assert_int_equal(d.ntrace, 1);
	dsn_free(&d);
}

/* ------------------------------------------------ bounds, built here */

#define BOUNCE_HEAD \
	"From: MAILER-DAEMON@mx.example\nSubject: Undelivered Mail\n"

/* 40 nested multiparts: the walk stops at DSN_MAX_DEPTH and says so */
static void
test_depth_bounded(void **state)
{
	strbuf sb;
	struct dsn d;
	int i;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, BOUNCE_HEAD);
	for (i = 0; i < 40; i++)
		sb_printf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n"
		    "\n--b%d\n", i, i);
	sb_puts(&sb, "Content-Type: message/delivery-status\n\nFinal-"
	    "Recipient: rfc822; x@y\nAction: failed\n");
	assert_false(sb.err);
	parse_str(sb.s, &d);
	assert_true(d.flags & DSN_F_DEPTH);
	assert_int_equal(d.kind, DSN_NONE);
	dsn_free(&d);
	sb_free(&sb);
}

/* 200 empty parts before the report: DSN_MAX_PARTS read, then stop */
static void
test_parts_bounded(void **state)
{
	strbuf sb;
	struct dsn d;
	int i;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, BOUNCE_HEAD "Content-Type: multipart/report; boundary=p"
	    "\n\n");
	for (i = 0; i < 200; i++)
		sb_puts(&sb, "--p\n\n");
	sb_puts(&sb, "--p\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; x@y\nAction: failed\n--p--\n");
	parse_str(sb.s, &d);
	assert_true(d.flags & DSN_F_PARTS);
	assert_int_equal(d.kind, DSN_NONE);
	dsn_free(&d);
	sb_free(&sb);
}

/* 30 recipient groups: 16 kept, the rest said; a 3000-byte diagnostic
 * cut at 1024 bytes with " [...]" */
static void
test_rcpts_and_values_bounded(void **state)
{
	strbuf sb;
	struct dsn d;
	int i;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, BOUNCE_HEAD "Content-Type: multipart/report; boundary=r"
	    "\n\n--r\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.example\n\n");
	for (i = 0; i < 30; i++)
		sb_printf(&sb, "Final-Recipient: rfc822; u%d@y\nAction: failed"
		    "\nStatus: 5.1.1\n\n", i);
	sb_puts(&sb, "--r\nContent-Type: text/plain\n\n550 5.1.1 ");
	for (i = 0; i < 300; i++)
		sb_puts(&sb, "xxxxxxxxx ");
	sb_puts(&sb, "\n--r--\n");
	parse_str(sb.s, &d);
	assert_int_equal(d.kind, DSN_REPORT);
	assert_int_equal(d.nrcpt, DSN_MAX_RCPT);
	assert_true(d.flags & DSN_F_RCPTS);
	assert_string_equal(d.rcpt[15].rcpt, "u15@y");
	/* several recipients, a reply naming none: not given to any */
	assert_null(d.rcpt[0].diag);
	dsn_free(&d);

	sb_reset(&sb);
	sb_puts(&sb, BOUNCE_HEAD "Content-Type: multipart/report; boundary=r"
	    "\n\n--r\nContent-Type: message/delivery-status\n\n\n"
	    "Final-Recipient: rfc822; u@y\nAction: failed\nDiagnostic-Code: "
	    "smtp; 550 ");
	for (i = 0; i < 300; i++)
		sb_puts(&sb, "yyyyyyyyy ");
	sb_puts(&sb, "\n--r--\n");
	parse_str(sb.s, &d);
	assert_true(d.flags & DSN_F_CUT);
	/* 1024 bytes of "smtp; 550 yyy...", the type then taken off */
	assert_int_equal(strlen(d.rcpt[0].diag), DSN_MAX_VALUE - 6 + 6);
	assert_string_equal(d.rcpt[0].diag + DSN_MAX_VALUE - 6, " [...]");
	dsn_free(&d);
	sb_free(&sb);
}

/* Empty input, a header without body, NUL bytes and control characters
 * inside values: nothing crashes, no control character comes out. */
static void
test_odd_bytes(void **state)
{
	static const char nul[] = BOUNCE_HEAD "Content-Type: multipart/report;"
	    " boundary=n\n\n--n\nContent-Type: message/delivery-status\n\n"
	    "Final-Recipient: rfc822; a\0b@y\nAction: fai\x01led\nStatus: "
	    "5.1.1\r\x1b[31m\n--n--\n";
	struct dsn d;
	size_t i;

	(void)state;
	assert_int_equal(dsn_parse("", 0, TH, &d), 0);
	assert_int_equal(d.kind, DSN_NONE);
	dsn_free(&d);
	parse_str("Subject: only a header", &d);
	assert_string_equal(d.subject, "only a header");
	dsn_free(&d);
	assert_int_equal(dsn_parse(nul, sizeof(nul) - 1, TH, &d), 0);
	assert_int_equal(d.kind, DSN_REPORT);
	assert_string_equal(d.rcpt[0].rcpt, "ab@y");
	assert_string_equal(d.rcpt[0].action, "failed");
	for (i = 0; d.rcpt[0].status[i]; i++)
		assert_true((unsigned char)d.rcpt[0].status[i] >= 0x20);
	dsn_free(&d);
}

/* ------------------------------------------------ MIME pieces */

static void
test_mime_ctype(void **state)
{
	struct mime_ctype ct;

	(void)state;
	/* an unfolded value, as dsn.c hands it over */
	mime_ctype_parse("Multipart/Report; (a (nested) comment) report-type="
	    "\"delivery-status\"; boundary=\"a\\\"b; c\"", &ct);
	assert_string_equal(ct.type, "multipart/report");
	assert_string_equal(ct.report_type, "delivery-status");
	assert_true(ct.has_boundary);
	assert_string_equal(ct.boundary, "a\"b; c");
	mime_ctype_parse(NULL, &ct);
	assert_string_equal(ct.type, "text/plain");
	mime_ctype_parse("garbage", &ct);
	assert_string_equal(ct.type, "text/plain");
	assert_true(ct.cut);
}

static void
test_mime_decode(void **state)
{
	strbuf sb;

	(void)state;
	sb_init(&sb);
	/* a soft line break goes, a bad escape and a last '=' stay */
	assert_int_equal(mime_decode(MIME_CTE_QP, "a=3Db=\r\nc=ZZ=", 14, 100,
	    &sb), 0);
	assert_string_equal(sb.s, "a=bc=ZZ=");
	sb_reset(&sb);
	assert_int_equal(mime_decode(MIME_CTE_BASE64, "aGVs\nbG8=", 9, 100,
	    &sb), 0);
	assert_string_equal(sb.s, "hello");
	sb_reset(&sb);
	assert_int_equal(mime_decode(MIME_CTE_BASE64, "aGVsbG8=", 8, 3, &sb),
	    1);
	assert_string_equal(sb.s, "hel");
	sb_free(&sb);
}

/* ------------------------------------------------ mboxes */

/* mboxrd quoting undone once, a "From " line inside a paragraph is not
 * a separator (no empty line before it) */
static void
test_mbox_quoting(void **state)
{
	struct dsnbox_opts o = { on_msg, NULL, NULL };
	static struct boxrun b;
	strbuf err;

	(void)state;
	sb_init(&err);
	memset(&b, 0, sizeof(b));
	o.ctx = &b;
	assert_int_equal(dsnbox_read(HD "mbox-quoting.mbox", &o, &err), 0);
	assert_int_equal(b.n, 2);
	assert_string_equal(b.src[1], HD "mbox-quoting.mbox:9");
	assert_non_null(strstr(b.body[0], "\nFrom the start of a line"));
	assert_non_null(strstr(b.body[0], "\n>From twice quoted"));
	assert_non_null(strstr(b.body[0], "\nFrom inside a paragraph"));
	assert_string_equal(b.d[1].subject, "second");
	box_free(&b);
	sb_free(&err);
}

static int
count_msg(void *ctx, const struct dsnbox_msg *m)
{
	unsigned long long *tot = ctx;

	tot[0]++;
	tot[1] += m->total;
	tot[2] += m->n;
	tot[3] += m->cut;
	return 0;
}

/* A message longer than DSNBOX_MAX_MSG is read to the limit and said
 * (cut, its whole length); a line of 10 MiB without end costs no more. */
static void
test_mbox_bounded(void **state)
{
	struct dsnbox_opts o = { count_msg, NULL, NULL };
	unsigned long long tot[4] = { 0, 0, 0, 0 };
	size_t big = DSNBOX_MAX_MSG + 4096, i;
	strbuf err;
	FILE *fp;
	char *p;

	(void)state;
	sb_init(&err);
	o.ctx = tot;
	p = malloc(big);
	assert_non_null(p);
	memcpy(p, "From x\nSubject: big\n\n", 21);
	for (i = 21; i < big; i++)
		p[i] = 'z';
	fp = fmemopen(p, big, "r");
	assert_non_null(fp);
	assert_int_equal(dsnbox_mbox(fp, "mem", &o, &err), 0);
	fclose(fp);
	assert_int_equal(tot[0], 1);
	assert_int_equal(tot[1], big - 7);	/* without the From line */
	assert_int_equal(tot[2], DSNBOX_MAX_MSG);
	assert_int_equal(tot[3], 1);
	free(p);
	sb_free(&err);
}

/* A directory that is no Maildir, and a missing path: errors naming
 * them, no message. */
static void
test_box_errors(void **state)
{
	struct dsnbox_opts o = { count_msg, NULL, NULL };
	unsigned long long tot[4] = { 0, 0, 0, 0 };
	strbuf err;

	(void)state;
	sb_init(&err);
	o.ctx = tot;
	assert_int_equal(dsnbox_read(HD, &o, &err), -1);
	assert_non_null(strstr(err.s, "not a Maildir"));
	sb_reset(&err);
	assert_int_equal(dsnbox_read(HD "nonexistent", &o, &err), -1);
	assert_non_null(strstr(err.s, HD "nonexistent: "));
	assert_int_equal(tot[0], 0);
	sb_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_world_eml),
		cmocka_unit_test(test_world_mailboxes),
		cmocka_unit_test(test_forwarded_text),
		cmocka_unit_test(test_qmail_quoted),
		cmocka_unit_test(test_not_a_bounce),
		cmocka_unit_test(test_forwarded_attachment),
		cmocka_unit_test(test_delayed_headers),
		cmocka_unit_test(test_headers_only),
		cmocka_unit_test(test_base64_folded),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_no_boundary),
		cmocka_unit_test(test_depth_bounded),
		cmocka_unit_test(test_parts_bounded),
		cmocka_unit_test(test_rcpts_and_values_bounded),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_mime_ctype),
		cmocka_unit_test(test_mime_decode),
		cmocka_unit_test(test_mbox_quoting),
		cmocka_unit_test(test_mbox_bounded),
		cmocka_unit_test(test_box_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
