/*
 * test_map.c - SenderMap parsing (file:line errors) and every lookup form
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "addr.h"
#include "map.h"
#include "util.h"

static const char *map_text =
    "# a genericstable-style map\n"
    "alice@host.example.lan\t\talice.work@gmail.com\n"
    "old+*@host.example.lan     new+%1@corp.example\n"
    "@example.lan               fallback+%1@corp.example\n"
    "bob                        bob@corp.example\n"
    "Carol@Example.ORG          carol@corp.example   # comment\n"
    "list+*                     lists+%1@corp.example\n"
    "@keep.example              @corp.example\n"
    "pct@host.example.lan       100%%ok@corp.example\n"
    "\n";

static struct sendermap *
load(const char *text)
{
	struct sendermap *m = NULL;
	strbuf err;
	char *copy = strdup(text);

	sb_init(&err);
	if (sendermap_parse("test.map", copy, &m, &err) != 0)
		fail_msg("map did not load: %s", err.s);
	sb_free(&err);
	free(copy);
	return m;
}

/* Look up sender; expect address (NULL: not found) and the key used. */
static void
look(const struct sendermap *m, const char *sender, int local_ok,
    const char *want, const char *want_key)
{
	struct rm_addr a;
	struct map_hit hit;
	enum map_result r;

	assert_int_equal(addr_parse_envelope(sender, &a), 0);
	r = sendermap_lookup(m, &a, local_ok, &hit);
	if (want == NULL) {
		if (r != MAP_NOTFOUND)
			fail_msg("%s: expected no hit, got %s", sender,
			    hit.address);
	} else {
		if (r != MAP_FOUND)
			fail_msg("%s: expected %s, got no hit", sender, want);
		assert_string_equal(hit.address, want);
		assert_string_equal(hit.key, want_key);
		assert_true(hit.line > 0);
	}
	assert_null(hit.skipped_key);
	map_hit_free(&hit);
	addr_free(&a);
}

static void
test_lookup_order(void **state)
{
	struct sendermap *m = load(map_text);

	(void)state;
	assert_int_equal(sendermap_count(m), 8);
	/* full address */
	look(m, "<alice@host.example.lan>", 0, "alice.work@gmail.com",
	    "alice@host.example.lan");
	/* case-insensitive keys */
	look(m, "<ALICE@Host.Example.Lan>", 0, "alice.work@gmail.com",
	    "alice@host.example.lan");
	look(m, "<carol@example.org>", 0, "carol@corp.example",
	    "carol@example.org");
	/* user+* with %1 = detail */
	look(m, "<old+tag@host.example.lan>", 0, "new+tag@corp.example",
	    "old+*@host.example.lan");
	/* user@domain reached by dropping the detail */
	look(m, "<alice+x@host.example.lan>", 0, "alice.work@gmail.com",
	    "alice@host.example.lan");
	/* @domain with %1 = whole local part */
	look(m, "<carl@example.lan>", 0, "fallback+carl@corp.example",
	    "@example.lan");
	look(m, "<carl+y@example.lan>", 0, "fallback+carl+y@corp.example",
	    "@example.lan");
	/* @domain value keeps the local part */
	look(m, "<zed@keep.example>", 0, "zed@corp.example", "@keep.example");
	/* bare local part only when local_ok */
	look(m, "<bob@host.example.lan>", 0, NULL, NULL);
	look(m, "<bob@host.example.lan>", 1, "bob@corp.example", "bob");
	look(m, "<bob>", 1, "bob@corp.example", "bob");
	look(m, "<list+announce>", 1, "lists+announce@corp.example",
	    "list+*");
	/* %% */
	look(m, "<pct@host.example.lan>", 0, "100%ok@corp.example",
	    "pct@host.example.lan");
	/* no key */
	look(m, "<root@host.example.lan>", 1, NULL, NULL);
	look(m, "<dave@other.example>", 0, NULL, NULL);
	sendermap_free(m);
}

static void
test_at_domain_beats_bare_user(void **state)
{
	/* genericstable order: @domain comes before the bare user */
	struct sendermap *m = load("@host.example.lan catchall@corp.example\n"
	    "bob bob@corp.example\n");

	(void)state;
	look(m, "<bob@host.example.lan>", 1, "catchall@corp.example",
	    "@host.example.lan");
	sendermap_free(m);
}

static void
test_null_sender_never_matches(void **state)
{
	struct sendermap *m = load("@example.com x@corp.example\n");
	struct rm_addr a;
	struct map_hit hit;

	(void)state;
	assert_int_equal(addr_parse_envelope("<>", &a), 0);
	assert_int_equal(sendermap_lookup(m, &a, 1, &hit), MAP_NOTFOUND);
	sendermap_free(m);
}

/*
 * A valid sender whose %1 expansion is no address: the entry does not
 * apply (issue 14.1; it was MAP_ERROR, an internal error, a tempfail loop).
 */
static void
skip_case(const struct sendermap *m, const char *sender, int local_ok,
    enum map_result want_r, const char *want, const char *want_skipped,
    unsigned want_line)
{
	struct rm_addr a;
	struct map_hit hit;
	enum map_result r;

	assert_int_equal(addr_parse_envelope(sender, &a), 0);
	r = sendermap_lookup(m, &a, local_ok, &hit);
	if (r != want_r)
		fail_msg("%s: result %d, expected %d", sender, r, want_r);
	if (want != NULL)
		assert_string_equal(hit.address, want);
	else
		assert_null(hit.address);
	assert_non_null(hit.skipped_key);
	assert_string_equal(hit.skipped_key, want_skipped);
	assert_int_equal(hit.skipped_line, want_line);
	map_hit_free(&hit);
	addr_free(&a);
}

static void
test_expansion_not_an_address(void **state)
{
	struct sendermap *m = load(
	    "user+*@example.com        %1@dest.example\n"
	    "@example.com              other@dest.example\n"
	    "@other.example            %1@dest.example\n"
	    "list+*                    %1@dest.example\n");

	(void)state;
	/* "user+@example.com": %1 is empty, "@dest.example" is no address;
	 * the lookup goes on to @example.com */
	skip_case(m, "<user+@example.com>", 0, MAP_FOUND,
	    "other@dest.example", "user+*@example.com", 1);
	/* a quoted local part with a space: "john smith@dest.example" is
	 * no address, and nothing further down matches */
	skip_case(m, "<\"john smith\"@other.example>", 0, MAP_NOTFOUND,
	    NULL, "@other.example", 3);
	/* bare local part keys too */
	skip_case(m, "<list+>", 1, MAP_NOTFOUND, NULL, "list+*", 4);
	/* the normal case still works and names nothing */
	look(m, "<user+tag@example.com>", 0, "tag@dest.example",
	    "user+*@example.com");
	look(m, "<john@other.example>", 0, "john@dest.example",
	    "@other.example");
	sendermap_free(m);
}

static void
bad(const char *text, const char *want)
{
	struct sendermap *m = NULL;
	strbuf err;
	char *copy = strdup(text);

	sb_init(&err);
	if (sendermap_parse("bad.map", copy, &m, &err) == 0)
		fail_msg("map '%s' loaded but should not", text);
	assert_null(m);
	if (strstr(err.s, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, want);
	sb_free(&err);
	free(copy);
}

static void
test_bad_lines(void **state)
{
	(void)state;
	bad("# ok\nalice@example.com\n", "bad.map:2: key 'alice@example.com' "
	    "has no value");
	bad("a@b.example x@y.example\na@b.example z@y.example\n",
	    "bad.map:2: duplicate key 'a@b.example' (first at line 1)");
	bad("a@b.example notanaddress\n", "bad.map:1: 'notanaddress' is not "
	    "a full address");
	bad("a@b.example x@y.example extra\n", "bad.map:1: unexpected text");
	bad("a b@x.example y@z.example\n", "bad.map:1:");
	bad("@ x@y.example\n", "bad.map:1: '@' is not a valid key");
	bad("us*er@x.example y@z.example\n", "bad.map:1:");
	bad("a@x.example %2@y.example\n", "bad.map:1: only %1");
	bad("a@x.example x@y.example\n\n\nb@@x.example y@z.example\n",
	    "bad.map:4:");
	bad("a@x.example\tx@y\x01.example\n", "bad.map:1: control");
}

static void
test_file_errors(void **state)
{
	struct sendermap *m;
	strbuf err;
	const char *p = tu_write("ok.map", "a@x.example b@y.example\n", 0644);

	(void)state;
	sb_init(&err);
	assert_int_equal(sendermap_load(p, &m, &err), 0);
	assert_int_equal(sendermap_count(m), 1);
	sendermap_free(m);
	assert_int_equal(sendermap_load("/nonexistent/map", &m, &err), -1);
	assert_non_null(strstr(err.s, "/nonexistent/map: cannot read"));
	sb_free(&err);
}

static void
collect(const char *d, void *arg)
{
	strbuf *sb = arg;

	sb_printf(sb, "[%s]", d);
}

static void
test_value_domains(void **state)
{
	struct sendermap *m = load(map_text);
	strbuf sb;

	(void)state;
	sb_init(&sb);
	sendermap_value_domains(m, collect, &sb);
	assert_non_null(strstr(sb.s, "[gmail.com]"));
	assert_non_null(strstr(sb.s, "[corp.example]"));
	sb_free(&sb);
	sendermap_free(m);
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
		cmocka_unit_test(test_lookup_order),
		cmocka_unit_test(test_expansion_not_an_address),
		cmocka_unit_test(test_at_domain_beats_bare_user),
		cmocka_unit_test(test_null_sender_never_matches),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_value_domains),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
