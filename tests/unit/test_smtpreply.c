/*
 * test_smtpreply.c - unit tests of the SMTP reply and EHLO keyword parser
 *
 * CONTRACT
 *	Exercises smtpreply.h: complete, incomplete and malformed
 *	replies, the limits, control characters, enhanced status codes, the
 *	one-line rendering and the EHLO keywords of real servers (Gmail's
 *	EHLO and AUTH replies as seen on the wire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "smtpreply.h"

static enum smtpr_status
parse(const char *s, struct smtp_reply *r, size_t *used, const char **why)
{
	return smtpreply_parse(s, strlen(s), r, used, why);
}

static void
test_single_line(void **state)
{
	struct smtp_reply r;
	size_t used;

	assert_int_equal(parse("220 smtp.gmail.com ESMTP x - gsmtp\r\nNEXT",
	    &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 220);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "smtp.gmail.com ESMTP x - gsmtp");
	assert_string_equal(r.enh, "");
	assert_int_equal(used, strlen("220 smtp.gmail.com ESMTP x - gsmtp\r\n"));
	smtpreply_free(&r);
}

static void
test_bare_lf_and_bare_code(void **state)
{
	struct smtp_reply r;
	size_t used;

	assert_int_equal(parse("250\n", &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(r.lines[0], "");
	assert_int_equal(used, 4);
	smtpreply_free(&r);

	assert_int_equal(parse("354 \r\n", &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 354);
	assert_string_equal(r.lines[0], "");
	smtpreply_free(&r);
}

static void
test_multi_line_gmail_auth(void **state)
{
	const char *s =
	    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
	    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials a1-20020a05 - gsmtp\r\n";
	struct smtp_reply r;
	strbuf sb;
	size_t used;

	assert_int_equal(parse(s, &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 535);
	assert_string_equal(r.enh, "5.7.8");
	assert_int_equal(r.nlines, 2);
	assert_int_equal(used, strlen(s));
	sb_init(&sb);
	assert_int_equal(smtpreply_format(&r, &sb), 0);
	assert_string_equal(sb.s, "535 5.7.8 Username and Password not "
	    "accepted. For more information, go to https://support.google.com"
	    "/mail/?p=BadCredentials a1-20020a05 - gsmtp");
	sb_free(&sb);
	smtpreply_free(&r);
}

static void
test_enh_class_must_match(void **state)
{
	struct smtp_reply r;
	strbuf sb;

	/* "4.7.0" under a 5xx code is text, not an enhanced status */
	assert_int_equal(parse("550 4.7.0 odd\r\n", &r, NULL, NULL), SMTPR_OK);
	assert_string_equal(r.enh, "");
	sb_init(&sb);
	smtpreply_format(&r, &sb);
	assert_string_equal(sb.s, "550 4.7.0 odd");
	sb_free(&sb);
	smtpreply_free(&r);

	/* not an enhanced code: four parts, letters, too many digits */
	assert_int_equal(parse("550 5.7.1.2 x\r\n", &r, NULL, NULL), SMTPR_OK);
	assert_string_equal(r.enh, "");
	smtpreply_free(&r);
	assert_int_equal(parse("550 5.1234.1 x\r\n", &r, NULL, NULL), SMTPR_OK);
	assert_string_equal(r.enh, "");
	smtpreply_free(&r);
	assert_int_equal(parse("550 5.999.999\r\n", &r, NULL, NULL), SMTPR_OK);
	assert_string_equal(r.enh, "5.999.999");
	smtpreply_free(&r);
}

static void
test_incomplete(void **state)
{
	struct smtp_reply r;
	const char *why;

	assert_int_equal(parse("", &r, NULL, &why), SMTPR_INCOMPLETE);
	assert_int_equal(parse("2", &r, NULL, &why), SMTPR_INCOMPLETE);
	assert_int_equal(parse("250-a\r\n250-b", &r, NULL, &why),
	    SMTPR_INCOMPLETE);
	assert_int_equal(parse("250-a\r\n", &r, NULL, &why), SMTPR_INCOMPLETE);
	assert_int_equal(parse("250 no newline yet", &r, NULL, &why),
	    SMTPR_INCOMPLETE);
	assert_null(r.lines);
}

static void
test_bad(void **state)
{
	struct smtp_reply r;
	const char *why = NULL;

	assert_int_equal(parse("HTTP/1.1 400 Bad\r\n", &r, NULL, &why),
	    SMTPR_BAD);
	assert_non_null(why);
	/* garbage is refused before its line is complete */
	why = NULL;
	assert_int_equal(parse("\x16\x03\x01", &r, NULL, &why), SMTPR_BAD);
	assert_non_null(why);
	assert_int_equal(parse("199 x\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("600 x\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("25 x\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("2a0 x\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("250x\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("25\r\n", &r, NULL, &why), SMTPR_BAD);
	assert_int_equal(parse("\r\n", &r, NULL, &why), SMTPR_BAD);
	why = NULL;
	assert_int_equal(parse("250-a\r\n251 b\r\n", &r, NULL, &why),
	    SMTPR_BAD);
	assert_string_equal(why, "reply code changes within a multi-line reply");
	assert_null(r.lines);
	assert_int_equal(r.nlines, 0);
}

static void
test_line_limit(void **state)
{
	struct smtp_reply r;
	const char *why;
	size_t n = SMTPR_MAX_LINE;
	char *s = malloc(n + 8);

	/* exactly at the limit: accepted */
	memcpy(s, "250 ", 4);
	memset(s + 4, 'a', n - 4);
	memcpy(s + n, "\r\n", 3);
	assert_int_equal(parse(s, &r, NULL, &why), SMTPR_OK);
	assert_int_equal(strlen(r.lines[0]), n - 4);
	smtpreply_free(&r);
	/* one more byte: refused, complete or not */
	memset(s + 4, 'a', n - 3);
	memcpy(s + n + 1, "\r\n", 3);
	assert_int_equal(parse(s, &r, NULL, &why), SMTPR_BAD);
	s[n + 1] = '\0';
	assert_int_equal(parse(s, &r, NULL, &why), SMTPR_INCOMPLETE);
	s[n + 1] = 'a';
	s[n + 2] = 'a';
	s[n + 3] = '\0';
	assert_int_equal(parse(s, &r, NULL, &why), SMTPR_BAD);
	free(s);
}

static void
test_lines_limit(void **state)
{
	struct smtp_reply r;
	strbuf sb;
	const char *why;
	size_t i;

	sb_init(&sb);
	for (i = 0; i + 1 < SMTPR_MAX_LINES; i++)
		sb_puts(&sb, "250-x\r\n");
	sb_puts(&sb, "250 end\r\n");
	assert_int_equal(smtpreply_parse(sb.s, sb.len, &r, NULL, &why),
	    SMTPR_OK);
	assert_int_equal(r.nlines, SMTPR_MAX_LINES);
	smtpreply_free(&r);
	sb_reset(&sb);
	for (i = 0; i < SMTPR_MAX_LINES; i++)
		sb_puts(&sb, "250-x\r\n");
	sb_puts(&sb, "250 end\r\n");
	assert_int_equal(smtpreply_parse(sb.s, sb.len, &r, NULL, &why),
	    SMTPR_BAD);
	assert_string_equal(why, "reply has too many lines");
	sb_free(&sb);
}

static void
test_control_chars(void **state)
{
	static const char s[] = "421 a\tb\0c\x1b[31md\x7f\r\r\n";
	struct smtp_reply r;
	size_t used;

	assert_int_equal(smtpreply_parse(s, sizeof(s) - 1, &r, &used, NULL),
	    SMTPR_OK);
	assert_string_equal(r.lines[0], "a bc[31md");
	assert_int_equal(used, sizeof(s) - 1);
	smtpreply_free(&r);
}

static void
test_two_replies_in_buffer(void **state)
{
	const char *s = "250 ok\r\n220 go ahead\r\n";
	struct smtp_reply r;
	size_t used;

	assert_int_equal(parse(s, &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 250);
	smtpreply_free(&r);
	assert_int_equal(parse(s + used, &r, &used, NULL), SMTPR_OK);
	assert_int_equal(r.code, 220);
	assert_string_equal(r.lines[0], "go ahead");
	smtpreply_free(&r);
}

static void
test_ehlo_gmail(void **state)
{
	const char *s =
	    "250-smtp.gmail.com at your service, [203.0.113.5]\r\n"
	    "250-SIZE 35882577\r\n"
	    "250-8BITMIME\r\n"
	    "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-PIPELINING\r\n"
	    "250-CHUNKING\r\n"
	    "250 SMTPUTF8\r\n";
	struct smtp_reply r;
	struct ehlo_info e;

	assert_int_equal(parse(s, &r, NULL, NULL), SMTPR_OK);
	assert_int_equal(smtpreply_ehlo(&r, &e), 0);
	assert_string_equal(e.domain, "smtp.gmail.com");
	assert_false(e.starttls);
	assert_true(e.pipelining);
	assert_true(e.eightbitmime);
	assert_true(e.smtputf8);
	assert_true(e.enhancedstatuscodes);
	assert_true(e.has_size);
	assert_int_equal(e.size, 35882577);
	assert_int_equal(e.nauth, 6);
	assert_true(ehlo_has_auth(&e, "plain"));
	assert_true(ehlo_has_auth(&e, "LOGIN"));
	assert_false(ehlo_has_auth(&e, "CRAM-MD5"));
	assert_true(ehlo_has_keyword(&e, "chunking"));
	assert_int_equal(e.nkeywords, 7);
	ehlo_info_free(&e);
	smtpreply_free(&r);
}

static void
test_ehlo_starttls_old_auth(void **state)
{
	const char *s =
	    "250-relay.example Hello\n"
	    "250-STARTTLS\n"
	    "250-AUTH=login plain\n"
	    "250-AUTH LOGIN CRAM-MD5 bad/mech TOOLONGMECHANISMNAME_ABCD\n"
	    "250-SIZE\n"
	    "250-x_bad_keyword\n"
	    "250 -\n";
	struct smtp_reply r;
	struct ehlo_info e;

	assert_int_equal(parse(s, &r, NULL, NULL), SMTPR_OK);
	assert_int_equal(smtpreply_ehlo(&r, &e), 0);
	assert_string_equal(e.domain, "relay.example");
	assert_true(e.starttls);
	assert_true(e.has_size);
	assert_int_equal(e.size, 0);
	/* LOGIN once, PLAIN, CRAM-MD5; invalid names dropped */
	assert_int_equal(e.nauth, 3);
	assert_string_equal(e.auth[0], "LOGIN");
	assert_string_equal(e.auth[1], "PLAIN");
	assert_string_equal(e.auth[2], "CRAM-MD5");
	/* STARTTLS AUTH SIZE; the invalid keywords are not listed */
	assert_int_equal(e.nkeywords, 3);
	assert_false(ehlo_has_keyword(&e, "X_BAD_KEYWORD"));
	ehlo_info_free(&e);
	smtpreply_free(&r);
}

static void
test_ehlo_not_2xx(void **state)
{
	struct smtp_reply r;
	struct ehlo_info e;

	assert_int_equal(parse("502 5.5.1 no EHLO\r\n", &r, NULL, NULL),
	    SMTPR_OK);
	assert_int_equal(smtpreply_ehlo(&r, &e), SMTPR_BAD);
	assert_null(e.domain);
	smtpreply_free(&r);

	assert_int_equal(parse("250 \r\n", &r, NULL, NULL), SMTPR_OK);
	assert_int_equal(smtpreply_ehlo(&r, &e), 0);
	assert_null(e.domain);
	assert_int_equal(e.nkeywords, 0);
	ehlo_info_free(&e);
	smtpreply_free(&r);
}

/* Every prefix of a valid reply is INCOMPLETE, and every byte flip is
 * either OK, INCOMPLETE or BAD without crashing (run under ASan). */
static void
test_prefixes_and_flips(void **state)
{
	const char *s =
	    "250-mx.example\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n";
	size_t n = strlen(s), i;
	unsigned b;
	char *buf = malloc(n);

	for (i = 0; i < n; i++) {
		struct smtp_reply r;

		assert_int_equal(smtpreply_parse(s, i, &r, NULL, NULL),
		    SMTPR_INCOMPLETE);
	}
	for (i = 0; i < n; i++) {
		for (b = 0; b < 256; b += 7) {
			struct smtp_reply r;
			struct ehlo_info e;
			enum smtpr_status st;
			size_t used = 0;

			memcpy(buf, s, n);
			buf[i] = (char)b;
			st = smtpreply_parse(buf, n, &r, &used, NULL);
			assert_true(st == SMTPR_OK || st == SMTPR_INCOMPLETE ||
			    st == SMTPR_BAD);
			if (st == SMTPR_OK) {
				assert_true(used <= n);
				if (smtpreply_ehlo(&r, &e) == 0)
					ehlo_info_free(&e);
				smtpreply_free(&r);
			}
		}
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_line),
		cmocka_unit_test(test_bare_lf_and_bare_code),
		cmocka_unit_test(test_multi_line_gmail_auth),
		cmocka_unit_test(test_enh_class_must_match),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_line_limit),
		cmocka_unit_test(test_lines_limit),
		cmocka_unit_test(test_control_chars),
		cmocka_unit_test(test_two_replies_in_buffer),
		cmocka_unit_test(test_ehlo_gmail),
		cmocka_unit_test(test_ehlo_starttls_old_auth),
		cmocka_unit_test(test_ehlo_not_2xx),
		cmocka_unit_test(test_prefixes_and_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
