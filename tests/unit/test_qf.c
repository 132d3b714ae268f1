/*
 * test_qf.c - the queue control file parser (milter/qf.c)
 *
 * CONTRACT
 *	Every file of tests/e2e/fixtures/queue (written by sendmail 8.17.1.9
 *	in the end-to-end world, see its MANIFEST.json) parses, with the
 *	fields those files hold; crafted files cover what the fixtures do
 *	not: folded records, a recipient's own status, records sendmail
 *	would ignore, the version 0 form, and every error and incomplete
 *	case the contract names.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qf.h"
#include "util.h"

#define FIXTURES	"tests/e2e/fixtures/queue"

static enum qf_status
parse(struct qf_msg *m, const char *text)
{
	return qf_parse(m, text, strlen(text));
}

static void
assert_span(struct qf_span s, const char *want)
{
	if (want == NULL) {
		assert_null(s.p);
		return;
	}
	assert_non_null(s.p);
	if (s.n != strlen(want) || memcmp(s.p, want, s.n) != 0)
		fail_msg("span \"%.*s\", want \"%s\"", (int)s.n, s.p, want);
}

/* the black-holed relay's file, as sendmail 8.17.1.9 wrote it */
static const char deferred[] =
    "V8\n"
    "T1796565450\n"
    "K1796565453\n"
    "N1\n"
    "P60324\n"
    "MDeferred: Connection timed out with smtp.gmail.test.\n"
    "Fbs\n"
    "$_localhost [127.0.0.1]\n"
    "$rESMTP\n"
    "$smta.test\n"
    "${daemon_flags}\n"
    "S<relay.account@gmail.test>\n"
    "A<>\n"
    "rRFC822; bob@remote.test\n"
    "RPFD:<bob@remote.test>\n"
    "rRFC822; carol@other.test\n"
    "RPFD:<carol@other.test>\n"
    "H?P?Return-Path: <\201g>\n"
    "H??X-Relay-Trace: id=nmkwtsrrl2x6g4swaqda; qid=6B6DvUVf027990; "
    "align=fail\n"
    "H??Received: from mta.test (localhost [127.0.0.1])\n"
    "\tby mta.test (8.17.1.9/8.17.1.9/Debian-2+deb12u2) with ESMTP id "
    "6B6DvUVf027990;\n"
    "\tSun, 6 Dec 2026 13:57:30 GMT\n"
    "H??Message-ID: <e2e.1@mta.test>\n"
    ".\n";

static void
test_deferred(void **state)
{
	struct qf_msg m;
	const struct qf_header *h;

	(void)state;
	qf_msg_init(&m);
	assert_int_equal(parse(&m, deferred), QF_OK);
	assert_int_equal(m.version, 8);
	assert_int_equal(m.ctime, 1796565450);
	assert_int_equal(m.dtime, 1796565453);
	assert_int_equal(m.ntries, 1);
	assert_int_equal(m.priority, 60324);
	assert_span(m.message, "Deferred: Connection timed out with "
	    "smtp.gmail.test.");
	assert_span(m.sender, "<relay.account@gmail.test>");
	assert_span(m.flags, "bs");
	assert_span(m.auth, "<>");
	assert_null(m.quarantine.p);
	assert_int_equal(m.nrcpt, 2);
	assert_span(m.rcpt[0].addr, "<bob@remote.test>");
	assert_span(m.rcpt[0].flags, "PFD");
	assert_null(m.rcpt[0].msg.p);
	assert_int_equal(m.rcpt[0].line, 15);
	assert_span(m.rcpt[1].addr, "<carol@other.test>");
	assert_int_equal(m.nhdr, 4);
	h = qf_header(&m, "x-relay-trace");
	assert_non_null(h);
	assert_span(h->value, "id=nmkwtsrrl2x6g4swaqda; qid=6B6DvUVf027990; "
	    "align=fail");
	assert_int_equal(h->line, 19);
	/* a folded value keeps its lines */
	h = qf_header(&m, "Received");
	assert_non_null(h);
	assert_non_null(memmem(h->value.p, h->value.n, "\n\tSun, 6 Dec", 12));
	assert_span(qf_header(&m, "Message-ID")->value, "<e2e.1@mta.test>");
	assert_null(qf_header(&m, "Subject"));
	/* $ macros and r records are read and skipped */
	assert_int_equal(m.nskipped, 6);
	assert_int_equal(m.nlines, 24);
	qf_msg_free(&m);
}

static void
test_recipient_status(void **state)
{
	struct qf_msg m;

	(void)state;
	qf_msg_init(&m);
	/* queueup(): the envelope's M before S, a recipient's M (and Q, r)
	 * before its R; 8.17 writes q after the macros */
	assert_int_equal(parse(&m,
	    "V8\nT100\nK200\nN3\nP-5\n"
	    "MDeferred: 450 4.2.1 Peak SMTP relay limit exceeded\n"
	    "Fbs\n${daemon_flags}\nqheld: relay budget\n"
	    "S<a@b.test>\nA<>\n"
	    "MDeferred: 450 4.2.1 Peak SMTP relay limit exceeded\n"
	    "QRFC822; x@remote.test\nrRFC822; x@remote.test\n"
	    "RPFD:<x@remote.test>\n"
	    "RPN:<y@remote.test>\n"
	    "C:z@remote.test\nRPFD:z@remote.test\n"
	    "H??Subject: hi\n.\n"), QF_OK);
	assert_int_equal(m.priority, -5);
	assert_span(m.quarantine, "held: relay budget");
	assert_int_equal(m.nrcpt, 3);
	assert_span(m.rcpt[0].msg, "Deferred: 450 4.2.1 Peak SMTP relay limit "
	    "exceeded");
	assert_span(m.rcpt[0].orcpt, "RFC822; x@remote.test");
	assert_null(m.rcpt[1].msg.p);
	assert_null(m.rcpt[1].orcpt.p);
	assert_span(m.rcpt[1].flags, "PN");
	assert_span(m.rcpt[2].addr, "z@remote.test");
	qf_msg_free(&m);
}

static void
test_skipped(void **state)
{
	struct qf_msg m;

	(void)state;
	qf_msg_init(&m);
	/* an R without ':' (sendmail ignores it), unknown codes, a blank
	 * line, a header without a colon, a later sendmail's letter */
	assert_int_equal(parse(&m,
	    "V8\nT1\nSa@b\nMDeferred\nRnocolon\nXnot a queue line\n\n"
	    "H??no colon here\n!N 300\nd/var/spool/mqueue/q2\nI8/1/1234\n"
	    "RP:<ok@c.test>\n.\n"), QF_OK);
	assert_int_equal(m.nrcpt, 1);
	assert_span(m.rcpt[0].addr, "<ok@c.test>");
	/* the recipient's M: the one after S */
	assert_span(m.rcpt[0].msg, NULL);
	assert_int_equal(m.nhdr, 0);
	assert_int_equal(m.nskipped, 7);
	qf_msg_free(&m);
}

static void
test_version0(void **state)
{
	struct qf_msg m;

	(void)state;
	qf_msg_init(&m);
	/* without V the whole R record is the address (readqf, qfver 0) */
	assert_int_equal(parse(&m, "T5\nSold@host\nRuser@host.test\n.\n"),
	    QF_OK);
	assert_int_equal(m.version, 0);
	assert_int_equal(m.nrcpt, 1);
	assert_span(m.rcpt[0].addr, "user@host.test");
	assert_null(m.rcpt[0].flags.p);
	/* sendmail writes LF only: in a CRLF file V is not a number */
	assert_int_equal(parse(&m, "V8\r\nT5\r\nSx\r\n.\r\n"), QF_BAD);
	assert_int_equal(m.err_line, 1);
	qf_msg_free(&m);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		enum qf_status want;
		unsigned line;
		const char *err;
	} v[] = {
		{ "", QF_INCOMPLETE, 0, NULL },
		{ "V8\nT1\nSa\nRP:<b@c>\n", QF_INCOMPLETE, 0, NULL },
		{ "V8\nT1\nSa\nRP:<b@c>\nH??X: y", QF_INCOMPLETE, 0, NULL },
		{ "V8\nT1\nSa\n.\nH??X: y\n", QF_BAD, 5, "after the final" },
		{ "V8\nT1\nSa\n.\n\n", QF_BAD, 5, "after the final" },
		{ "V8\nTabc\nSa\n.\n", QF_BAD, 2, "T (queue time)" },
		{ "V8\nT\nSa\n.\n", QF_BAD, 2, "T (queue time)" },
		{ "V8\nT-1\nSa\n.\n", QF_BAD, 2, "T (queue time)" },
		{ "V8\nT99999999999999999999\nSa\n.\n", QF_BAD, 2, "T (queue" },
		{ "V8\nT1\nK1x\nSa\n.\n", QF_BAD, 3, "K (last attempt)" },
		{ "V8\nT1\nNmany\nSa\n.\n", QF_BAD, 3, "N (attempts)" },
		{ "V8\nT1\nP--1\nSa\n.\n", QF_BAD, 3, "P (priority)" },
		{ "V9\nT1\nSa\n.\n", QF_BAD, 1, "version above 8" },
		{ "Vx\nT1\nSa\n.\n", QF_BAD, 1, "V is not" },
		{ "V8\nSa\n.\n", QF_BAD, 0, "no T" },
		{ "V8\nT1\nRP:<b@c>\n.\n", QF_BAD, 0, "no S" },
	};
	struct qf_msg m;
	size_t i;

	(void)state;
	qf_msg_init(&m);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		enum qf_status st = parse(&m, v[i].text);

		if (st != v[i].want)
			fail_msg("vector %zu: status %d, want %d (%s)", i, st,
			    v[i].want, m.err);
		if (v[i].want != QF_BAD)
			continue;
		if (m.err_line != v[i].line || strstr(m.err, v[i].err) == NULL)
			fail_msg("vector %zu: line %u \"%s\", want line %u "
			    "\"%s\"", i, m.err_line, m.err, v[i].line, v[i].err);
	}
	/* a NUL byte, named with its line */
	assert_int_equal(qf_parse(&m, "V8\nT1\nS\0a\n.\n", 11), QF_BAD);
	assert_int_equal(m.err_line, 3);
	assert_non_null(strstr(m.err, "NUL"));
	qf_msg_free(&m);
}

static void
test_many_recipients(void **state)
{
	strbuf sb;
	struct qf_msg m;
	int i;

	(void)state;
	sb_init(&sb);
	sb_puts(&sb, "V8\nT1\nSa@b\n");
	for (i = 0; i < 5000; i++)
		sb_printf(&sb, "RPFD:<u%d@d%d.test>\n", i, i % 7);
	for (i = 0; i < 300; i++)
		sb_printf(&sb, "H??X-H%d: v%d\n", i, i);
	sb_puts(&sb, ".\n");
	assert_false(sb.err);
	qf_msg_init(&m);
	assert_int_equal(qf_parse(&m, sb.s, sb.len), QF_OK);
	assert_int_equal(m.nrcpt, 5000);
	assert_int_equal(m.nhdr, 300);
	assert_span(m.rcpt[4999].addr, "<u4999@d1.test>");
	/* the arrays are kept: a small file after a big one */
	assert_int_equal(parse(&m, "V8\nT1\nSa\nRP:<x@y>\n.\n"), QF_OK);
	assert_int_equal(m.nrcpt, 1);
	assert_int_equal(m.nhdr, 0);
	qf_msg_free(&m);
	sb_free(&sb);
}

static void
test_addr_domain(void **state)
{
	static const struct {
		const char *addr, *want;
	} v[] = {
		{ "<bob@Remote.TEST>", "remote.test" },
		{ "bob@remote.test.", "remote.test" },
		{ "<\"a@b\"@c.test>", "c.test" },
		{ "u@[192.0.2.1]", "[192.0.2.1]" },
		{ " <x@y.test> ", "y.test" },
		{ "root", NULL },
		{ "\"|/usr/bin/prog\"", NULL },
		{ "<>", NULL },
		{ "a@", NULL },
	};
	char out[64], small[4];
	struct qf_span s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s.p = v[i].addr;
		s.n = strlen(v[i].addr);
		if (v[i].want == NULL) {
			assert_int_equal(qf_addr_domain(s, out, sizeof(out)), -1);
			continue;
		}
		assert_int_equal(qf_addr_domain(s, out, sizeof(out)), 0);
		assert_string_equal(out, v[i].want);
	}
	s.p = "a@long.test";
	s.n = 11;
	assert_int_equal(qf_addr_domain(s, small, sizeof(small)), -1);
}

/* every file sendmail wrote in the world */
static void
test_fixtures(void **state)
{
	static const char *const sub[] = { "mta", "msp" };
	struct qf_msg m;
	struct dirent *de;
	char path[512], *buf;
	size_t len, i, n = 0, kinds[3] = { 0, 0, 0 };
	DIR *d;

	(void)state;
	qf_msg_init(&m);
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", FIXTURES, sub[i]);
		assert_non_null(d = opendir(path));
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", FIXTURES,
			    sub[i], de->d_name);
			if (read_file(path, &buf, &len) < 0)
				fail_msg("%s: cannot read", path);
			if (qf_parse(&m, buf, len) != QF_OK)
				fail_msg("%s:%u: %s", path, m.err_line, m.err);
			assert_int_equal(m.version, 8);
			assert_true(m.ctime > 1600000000);
			assert_non_null(m.sender.p);
			assert_true(m.nrcpt >= 1);
			assert_non_null(qf_header(&m, "Message-ID"));
			switch (de->d_name[0]) {
			case 'q':
				kinds[0]++;
				break;
			case 'h':
				kinds[1]++;
				assert_non_null(m.quarantine.p);
				assert_non_null(memmem(m.quarantine.p,
				    m.quarantine.n, "relay budget", 12));
				break;
			case 'Q':
				kinds[2]++;
				/* the line sendmail could not read */
				assert_int_equal(m.nskipped >= 1, 1);
				break;
			default:
				fail_msg("%s: not a control file", path);
			}
			/* relayed by the MTA: the trace header is there */
			if (i == 0)
				assert_non_null(qf_header(&m, "X-Relay-Trace"));
			free(buf);
			n++;
		}
		closedir(d);
	}
	assert_true(n >= 7);
	assert_true(kinds[0] >= 5 && kinds[1] >= 1 && kinds[2] >= 1);
	qf_msg_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deferred),
		cmocka_unit_test(test_recipient_status),
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_version0),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many_recipients),
		cmocka_unit_test(test_addr_domain),
		cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
