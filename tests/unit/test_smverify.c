/*
 * test_smverify.c - reading `sendmail -bv` output (what sendmail 8.17.1.9
 * printed in the seeds' worlds, and shapes it must survive)
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "smverify.h"

static void
test_deliverable_and_refused(void **state)
{
	struct smverify sv;

	(void)state;
	assert_int_equal(smverify_parse(
	    "user@example.org... deliverable: mailer relay, host "
	    "[smtp.gmail.com], user user@example.org\n"
	    "root... deliverable: mailer local, user root\n"
	    "someone@example.org... User unknown\r\n"
	    "a line of another shape\n", &sv), 0);
	assert_int_equal(sv.n, 3);
	assert_int_equal(sv.skipped, 1);
	assert_true(sv.v[0].deliverable);
	assert_string_equal(sv.v[0].addr, "user@example.org");
	assert_string_equal(sv.v[0].mailer, "relay");
	assert_string_equal(sv.v[0].host, "[smtp.gmail.com]");
	assert_string_equal(sv.v[0].user, "user@example.org");
	assert_true(sv.v[1].deliverable);
	assert_string_equal(sv.v[1].mailer, "local");
	assert_null(sv.v[1].host);
	assert_string_equal(sv.v[1].user, "root");
	assert_false(sv.v[2].deliverable);
	assert_string_equal(sv.v[2].addr, "someone@example.org");
	assert_string_equal(sv.v[2].text, "User unknown");
	assert_null(sv.v[2].mailer);
	smverify_free(&sv);
}

static void
test_quoted_user_and_controls(void **state)
{
	struct smverify sv;

	(void)state;
	/* the user field is the last: a ", " in it stays; a control
	 * character is replaced */
	assert_int_equal(smverify_parse("\"a, b\"@x.test... deliverable: "
	    "mailer esmtp, host x.test., user \"a, b\"@x.test\n"
	    "e\x01vil@x.test... refused\x1b[31m\n", &sv), 0);
	assert_int_equal(sv.n, 2);
	assert_string_equal(sv.v[0].user, "\"a, b\"@x.test");
	assert_string_equal(sv.v[0].host, "x.test.");
	assert_null(strchr(sv.v[1].addr, '\x01'));
	assert_null(strchr(sv.v[1].text, '\x1b'));
	smverify_free(&sv);
	assert_int_equal(smverify_parse("", &sv), 0);
	assert_int_equal(sv.n, 0);
	smverify_free(&sv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deliverable_and_refused),
		cmocka_unit_test(test_quoted_user_and_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
