/*
 * test_authinfo.c - authinfo text source parsing, lookup, secret handling
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "authinfo.h"
#include "util.h"

#define SECRET	"s3cr3t-app-pass"

static const char *good =
    "# sendmail authinfo\n"
    "AuthInfo:smtp.gmail.com \"U:root\" \"I:acct@gmail.com\" \"P:" SECRET
    "\" \"M:PLAIN LOGIN\"\n"
    "authinfo:SMTP.SendGrid.NET \"u:apikey\" \"p=c2VjcmV0\"\n"
    "AuthInfo:relay.local.test \"I:relay@local.test\" \"P:x\" \"R:local.test\"\n"
    "Connect:192.0.2.1 RELAY\n"
    "AuthInfo: \"U:root\" \"I:default@example.net\" \"P:y\"\n";

static struct authinfo *
parse(const char *text, unsigned flags, char **wiped)
{
	struct authinfo *ai = NULL;
	strbuf err;
	char *copy = strdup(text);

	sb_init(&err);
	if (authinfo_parse("authinfo", copy, strlen(copy), flags, &ai, &err)
	    != 0)
		fail_msg("authinfo did not parse: %s", err.s);
	sb_free(&err);
	if (wiped != NULL)
		*wiped = copy;
	else
		free(copy);
	return ai;
}

static void
test_parse_entries(void **state)
{
	struct authinfo *ai = parse(good, 0, NULL);
	const struct authinfo_entry *e;

	(void)state;
	assert_int_equal(ai->n, 4);
	assert_int_equal(ai->skipped, 1);
	e = authinfo_lookup(ai, "[smtp.gmail.com]");
	assert_non_null(e);
	assert_string_equal(e->authid, "acct@gmail.com");
	assert_string_equal(e->user, "root");
	assert_string_equal(e->mechs, "PLAIN LOGIN");
	assert_int_equal(e->line, 2);
	assert_null(e->password);
	/* lower-case tags, base64 password, I: copied from U: */
	e = authinfo_lookup(ai, "smtp.sendgrid.net.");
	assert_non_null(e);
	assert_string_equal(e->authid, "apikey");
	assert_true(e->authid_missing);
	/* U: copied from I: */
	e = authinfo_lookup(ai, "relay.local.test");
	assert_string_equal(e->user, "relay@local.test");
	assert_true(e->user_missing);
	assert_string_equal(e->realm, "local.test");
	/* the bare AuthInfo: default for anything else */
	e = authinfo_lookup(ai, "[other.example]");
	assert_non_null(e);
	assert_string_equal(e->authid, "default@example.net");
	assert_string_equal(e->host, "");
	authinfo_free(ai);
}

static void
test_no_default(void **state)
{
	struct authinfo *ai = parse("AuthInfo:a.example \"I:x@a.example\" "
	    "\"P:p\"\n", 0, NULL);

	(void)state;
	assert_null(authinfo_lookup(ai, "[b.example]"));
	assert_non_null(authinfo_lookup(ai, "A.Example."));
	authinfo_free(ai);
}

static void
test_secret_not_kept(void **state)
{
	char *buf;
	struct authinfo *ai = parse(good, 0, &buf);
	size_t i, n = strlen(good);

	(void)state;
	/* the input buffer was wiped */
	for (i = 0; i < n; i++)
		if (buf[i] != '\0')
			fail_msg("input buffer not wiped at %zu", i);
	free(buf);
	/* and no entry holds the password */
	for (i = 0; i < ai->n; i++) {
		assert_null(ai->v[i].password);
		assert_null(strstr(ai->v[i].authid, SECRET));
		assert_null(strstr(ai->v[i].user, SECRET));
		if (ai->v[i].mechs)
			assert_null(strstr(ai->v[i].mechs, SECRET));
	}
	authinfo_free(ai);
}

static void
test_secret_kept_for_doctor(void **state)
{
	struct authinfo *ai = parse(good, AUTHINFO_KEEP_SECRET, NULL);
	const struct authinfo_entry *e;

	(void)state;
	e = authinfo_lookup(ai, "smtp.gmail.com");
	assert_string_equal(e->password, SECRET);
	assert_int_equal(e->password_len, strlen(SECRET));
	e = authinfo_lookup(ai, "smtp.sendgrid.net");
	assert_string_equal(e->password, "secret");
	authinfo_free(ai);
}

static void
bad(const char *text, const char *want)
{
	struct authinfo *ai = NULL;
	strbuf err;
	char *copy = strdup(text);

	sb_init(&err);
	if (authinfo_parse("ai", copy, strlen(copy), 0, &ai, &err) == 0)
		fail_msg("'%s' parsed but should not", text);
	assert_null(ai);
	if (strstr(err.s, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, want);
	/* an error message never carries the password */
	assert_null(strstr(err.s, SECRET));
	sb_free(&err);
	free(copy);
}

static void
test_errors(void **state)
{
	(void)state;
	bad("AuthInfo:a \"U:u\"\n", "ai:1: AuthInfo:a: entry has no password");
	bad("AuthInfo:a \"P:" SECRET "\"\n", "ai:1: AuthInfo:a: entry has "
	    "neither");
	bad("\n\nAuthInfo:a \"X:u\" \"P:" SECRET "\"\n", "ai:3: AuthInfo:a: "
	    "unknown tag 'X'");
	bad("AuthInfo:a I:u \"P:" SECRET "\"\n", "ai:1: AuthInfo:a: token "
	    "must be in double quotes");
	bad("AuthInfo:a \"I:u\" \"P:" SECRET "\n", "missing closing double "
	    "quote");
	bad("AuthInfo:a \"I:u\" \"P=!!notbase64" SECRET "\"\n",
	    "P (password): bad base64");
	bad("AuthInfo:a \"I:u\" \"P-" SECRET "\"\n", "':' (text) or '='");
	bad("AuthInfo:a \"I:\" \"P:" SECRET "\"\n", "I (authentication id) is "
	    "empty");
	bad("AuthInfo:a \"I:u\" \"P:x\"\nAuthInfo:A \"I:v\" \"P:y\"\n",
	    "ai:2: duplicate key AuthInfo:A (first at line 1)");
}

static void
test_load_file(void **state)
{
	struct authinfo *ai;
	strbuf err;
	const char *p = tu_write("authinfo", good, 0640);

	(void)state;
	sb_init(&err);
	assert_int_equal(authinfo_load(p, 0, &ai, &err), 0);
	assert_int_equal(ai->n, 4);
	authinfo_free(ai);
	assert_int_equal(authinfo_load("/nonexistent", 0, &ai, &err), -1);
	assert_non_null(strstr(err.s, "/nonexistent: cannot read"));
	sb_free(&err);
}

/* Keys are matched as sendmail matches them: "[host]" and "host." are
 * never used, and say why. */
static void
test_unusable_keys(void **state)
{
	struct authinfo *ai = parse("AuthInfo:[smtp.gmail.com] \"I:a@x.example\" "
	    "\"P:p\"\nAuthInfo:relay.example. \"I:b@x.example\" \"P:p\"\n"
	    "AuthInfo:smtp.gmail.com:587 \"I:c@x.example\" \"P:p\"\n", 0, NULL);

	(void)state;
	assert_null(authinfo_lookup(ai, "[smtp.gmail.com]"));
	assert_null(authinfo_lookup(ai, "relay.example"));
	assert_non_null(strstr(authinfo_key_unusable(&ai->v[0]), "brackets"));
	assert_non_null(strstr(authinfo_key_unusable(&ai->v[1]), "trailing dot"));
	assert_non_null(strstr(authinfo_key_unusable(&ai->v[2]), "no port"));
	authinfo_free(ai);
}

static void
test_server_key(void **state)
{
	char *k;

	(void)state;
	k = authinfo_server_key("[SMTP.Gmail.com.]");
	assert_string_equal(k, "smtp.gmail.com");
	free(k);
	k = authinfo_server_key("[192.0.2.7]");
	assert_string_equal(k, "192.0.2.7");
	free(k);
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_entries),
		cmocka_unit_test(test_no_default),
		cmocka_unit_test(test_secret_not_kept),
		cmocka_unit_test(test_secret_kept_for_doctor),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_unusable_keys),
		cmocka_unit_test(test_server_key),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
