/*
 * test_addr.c - envelope and header address parsing, quoting, details
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "addr.h"

static void
env_ok(const char *in, const char *local, const char *domain, int null)
{
	struct rm_addr a;

	if (addr_parse_envelope(in, &a) != 0)
		fail_msg("'%s' did not parse", in);
	assert_int_equal(a.null, null);
	if (local == NULL)
		assert_null(a.local);
	else
		assert_string_equal(a.local, local);
	if (domain == NULL)
		assert_null(a.domain);
	else
		assert_string_equal(a.domain, domain);
	addr_free(&a);
}

static void
env_bad(const char *in)
{
	struct rm_addr a;

	if (addr_parse_envelope(in, &a) == 0)
		fail_msg("'%s' parsed but should not", in);
	assert_null(a.local);
	assert_null(a.domain);
}

static void
test_envelope_plain(void **state)
{
	(void)state;
	env_ok("<user@example.com>", "user", "example.com", 0);
	env_ok("user@example.com", "user", "example.com", 0);
	env_ok("  <User@Example.COM.>  ", "User", "example.com", 0);
	env_ok("<first.last+tag@sub.example.co.uk>", "first.last+tag",
	    "sub.example.co.uk", 0);
}

static void
test_envelope_null_and_unqualified(void **state)
{
	(void)state;
	env_ok("<>", NULL, NULL, 1);
	env_ok("", NULL, NULL, 1);
	env_ok("<root>", "root", NULL, 0);
	env_ok("root", "root", NULL, 0);
}

static void
test_envelope_quoted(void **state)
{
	(void)state;
	env_ok("<\"john doe\"@example.com>", "john doe", "example.com", 0);
	env_ok("<\"a\\\"b\"@example.com>", "a\"b", "example.com", 0);
	env_ok("<\"a@b\"@example.com>", "a@b", "example.com", 0);
	env_bad("<\"unbalanced@example.com>");
	env_bad("<\"x\"y@example.com>");
}

static void
test_envelope_literals_and_routes(void **state)
{
	(void)state;
	env_ok("<user@[192.0.2.1]>", "user", "[192.0.2.1]", 0);
	env_ok("<user@[IPv6:2001:db8::1]>", "user", "[IPv6:2001:db8::1]", 0);
	env_ok("<@relay.example,@b.example:user@example.com>", "user",
	    "example.com", 0);
	env_bad("<user@[192.0.2.1>");
	env_bad("<@relay.example>");
}

static void
test_envelope_bad(void **state)
{
	(void)state;
	env_bad("<user@example.com");
	env_bad("user@example.com>");
	env_bad("<a b@example.com>");
	env_bad("<user@exa mple.com>");
	env_bad("<user@example..com>");
	env_bad("<@example.com>");
	env_bad("<user@>");
	env_bad("<user@example.com\r\nX-Evil: 1>");
	env_bad("<us\ner@example.com>");
	env_bad("<a<b@example.com>");
	env_bad(NULL);
}

static void
test_format_quotes_when_needed(void **state)
{
	char *s;

	(void)state;
	s = addr_format("user", "example.com");
	assert_string_equal(s, "user@example.com");
	free(s);
	s = addr_format("john doe", "example.com");
	assert_string_equal(s, "\"john doe\"@example.com");
	free(s);
	s = addr_format("a\"b", "example.com");
	assert_string_equal(s, "\"a\\\"b\"@example.com");
	free(s);
	s = addr_format(".dot", "example.com");
	assert_string_equal(s, "\".dot\"@example.com");
	free(s);
	s = addr_format("root", NULL);
	assert_string_equal(s, "root");
	free(s);
}

static void
test_roundtrip(void **state)
{
	static const char *in[] = {
		"<\"john doe\"@example.com>", "<a.b+c@example.org>",
		"<user@[IPv6:2001:db8::1]>",
	};
	struct rm_addr a, b;
	char *t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(addr_parse_envelope(in[i], &a), 0);
		t = addr_text(&a);
		assert_int_equal(addr_parse_envelope(t, &b), 0);
		assert_string_equal(a.local, b.local);
		assert_string_equal(a.domain, b.domain);
		free(t);
		addr_free(&a);
		addr_free(&b);
	}
}

static void
test_detail(void **state)
{
	char *u, *d;

	(void)state;
	assert_int_equal(addr_split_detail("user+tag", '+', &u, &d), 0);
	assert_string_equal(u, "user");
	assert_string_equal(d, "tag");
	free(u);
	free(d);
	assert_int_equal(addr_split_detail("user", '+', &u, &d), 0);
	assert_string_equal(u, "user");
	assert_null(d);
	free(u);
	assert_int_equal(addr_split_detail("+tag", '+', &u, &d), 0);
	assert_string_equal(u, "+tag");
	assert_null(d);
	free(u);
	assert_int_equal(addr_split_detail("a+b+c", '+', &u, &d), 0);
	assert_string_equal(u, "a");
	assert_string_equal(d, "b+c");
	free(u);
	free(d);
}

static void
from_ok(const char *v, int count, const char *display, const char *local,
    const char *domain)
{
	struct hdr_from f;

	if (hdr_from_parse(v, &f) != 0)
		fail_msg("From '%s' did not parse", v);
	assert_int_equal(f.count, count);
	if (display == NULL)
		assert_null(f.display);
	else
		assert_string_equal(f.display, display);
	assert_string_equal(f.addr.local, local);
	assert_string_equal(f.addr.domain, domain);
	hdr_from_free(&f);
	/* the same without the display name */
	if (hdr_from_parse_addr(v, &f) != 0)
		fail_msg("From '%s' did not parse (address only)", v);
	assert_int_equal(f.count, count);
	assert_null(f.display);
	assert_string_equal(f.addr.local, local);
	assert_string_equal(f.addr.domain, domain);
	hdr_from_free(&f);
}

static void
test_header_from(void **state)
{
	struct hdr_from f;

	(void)state;
	from_ok("user@example.com", 1, NULL, "user", "example.com");
	from_ok("Jane Doe <jane@Example.com>", 1, "Jane Doe", "jane",
	    "example.com");
	from_ok("\"Doe, Jane\" <jane@example.com>", 1, "\"Doe, Jane\"", "jane",
	    "example.com");
	from_ok("jane@example.com (Jane Doe)", 1, NULL, "jane",
	    "example.com");
	from_ok("=?UTF-8?B?SsOkbmU=?= <jane@example.com>", 1,
	    "=?UTF-8?B?SsOkbmU=?=", "jane", "example.com");
	from_ok("a@example.com, b@example.org", 2, NULL, "a", "example.com");
	from_ok("Team: a@example.com, b@example.org;", 2, NULL, "a",
	    "example.com");
	from_ok("<@route.example:u@example.com>", 1, NULL, "u", "example.com");
	from_ok("j(comment)@example.com", 1, NULL, "j", "example.com");
	from_ok("\"weird <x@y>\" <real@example.com>", 1, "\"weird <x@y>\"",
	    "real", "example.com");
	assert_int_equal(hdr_from_parse("", &f), -1);
	assert_int_equal(hdr_from_parse("Undisclosed: ;", &f), -1);
	assert_int_equal(hdr_from_parse("root", &f), -1);
	assert_int_equal(hdr_from_parse("<unterminated@example.com", &f), -1);
	assert_int_equal(hdr_from_parse("(((", &f), -1);
	assert_int_equal(hdr_from_parse("\"", &f), -1);
	assert_int_equal(hdr_from_parse_addr("", &f), -1);
	assert_int_equal(hdr_from_parse_addr("root", &f), -1);
	assert_int_equal(hdr_from_parse_addr("<unterminated@example.com", &f),
	    -1);
	{
		/* a mailbox longer than the parser's stack scratch buffer */
		char v[1200], disp[701];

		memset(disp, 'A', sizeof(disp) - 1);
		disp[sizeof(disp) - 1] = '\0';
		snprintf(v, sizeof(v), "%s <Jane.Doe@Example.COM>", disp);
		from_ok(v, 1, disp, "Jane.Doe", "example.com");
		snprintf(v, sizeof(v), "\"%s\"@example.com", disp);
		from_ok(v, 1, NULL, disp, "example.com");
	}
}

static void
test_header_from_build(void **state)
{
	char *s;

	(void)state;
	s = hdr_from_build("Jane Doe", "acct@gmail.com");
	assert_string_equal(s, "Jane Doe <acct@gmail.com>");
	free(s);
	s = hdr_from_build(NULL, "acct@gmail.com");
	assert_string_equal(s, "<acct@gmail.com>");
	free(s);
	/* a display name from a hostile From: never starts another header */
	s = hdr_from_build("\"Evil\r\nX-Injected: 1\"", "acct@gmail.com");
	assert_string_equal(s, "\"EvilX-Injected: 1\" <acct@gmail.com>");
	free(s);
	s = hdr_from_build("\"Long\n\tName \x1b[2J\x7f\"", "acct@gmail.com");
	assert_string_equal(s, "\"Long Name [2J\" <acct@gmail.com>");
	free(s);
}

static void
test_domain_valid(void **state)
{
	(void)state;
	assert_true(domain_is_valid("example.com"));
	assert_true(domain_is_valid("example.com."));
	assert_true(domain_is_valid("xn--bcher-kva.example"));
	assert_true(domain_is_valid("[192.0.2.1]"));
	assert_false(domain_is_valid(""));
	assert_false(domain_is_valid(".example.com"));
	assert_false(domain_is_valid("exa mple.com"));
	assert_false(domain_is_valid("a..b"));
	assert_false(domain_is_valid("[1.2.3.4"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_envelope_plain),
		cmocka_unit_test(test_envelope_null_and_unqualified),
		cmocka_unit_test(test_envelope_quoted),
		cmocka_unit_test(test_envelope_literals_and_routes),
		cmocka_unit_test(test_envelope_bad),
		cmocka_unit_test(test_format_quotes_when_needed),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_detail),
		cmocka_unit_test(test_header_from),
		cmocka_unit_test(test_header_from_build),
		cmocka_unit_test(test_domain_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
