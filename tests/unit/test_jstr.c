/*
 * test_jstr.c - the JSON string writer: valid UTF-8 kept, every other byte
 *		 U+FFFD, NULL a JSON null
 *
 * CONTRACT
 *	jstr() (jstr.h) is what relaymilter-trace -j and relaymilter-doctor
 *	--json write every string with; the text json-c makes of each object
 *	must be valid UTF-8 whatever bytes went in (a sendmail reply, a file
 *	name, a queue entry can hold any).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <json-c/json.h>

#include "jstr.h"

/* The JSON text of jstr(in), NUL-terminated, into out. */
static void
text_of(const char *in, char *out, size_t cap)
{
	struct json_object *o = jstr(in);

	assert_non_null(o);
	snprintf(out, cap, "%s", json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void
test_valid_utf8_is_kept(void **state)
{
	char out[128];

	(void)state;
	text_of("plain ASCII", out, sizeof(out));
	assert_string_equal(out, "\"plain ASCII\"");
	/* 2, 3 and 4-byte sequences: é, €, U+10348 */
	text_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x90\x8d\x88", out, sizeof(out));
	assert_string_equal(out, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x90\x8d\x88\"");
	text_of("", out, sizeof(out));
	assert_string_equal(out, "\"\"");
}

static void
test_invalid_bytes_become_fffd(void **state)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "a\xff" "b", "\"a\xef\xbf\xbd" "b\"" },	/* never valid */
		{ "\xc3", "\"\xef\xbf\xbd\"" },			/* cut short */
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },	/* overlong / */
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
							/* a surrogate */
		{ "\xf4\x90\x80\x80x", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbdx\"" },			/* > U+10FFFF */
		{ "ISO-8859-1 \xe9t\xe9", "\"ISO-8859-1 \xef\xbf\xbdt"
		    "\xef\xbf\xbd\"" },
	};
	char out[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		text_of(v[i].in, out, sizeof(out));
		assert_string_equal(out, v[i].want);
	}
}

static void
test_null_is_null(void **state)
{
	(void)state;
	assert_null(jstr(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_utf8_is_kept),
		cmocka_unit_test(test_invalid_bytes_become_fffd),
		cmocka_unit_test(test_null_is_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
