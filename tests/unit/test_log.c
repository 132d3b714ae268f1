/*
 * test_log.c - the key=value formatter, sanitising, and the small parsers
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "log.h"
#include "util.h"

static void
test_kvline(void **state)
{
	struct kvline kv;

	(void)state;
	kv_init(&kv);
	kv_add(&kv, "action", "rewrite");
	kv_add_angle(&kv, "from", "root@host.example");
	kv_add(&kv, "relay", "[smtp.gmail.com]");
	kv_add(&kv, "hint", "example.com SPF does not authorize 1.2.3.4: "
	    "add include:_spf.google.com");
	kv_add(&kv, "odd", "a\"b\\c,d=e");
	kv_add(&kv, "empty", "");
	kv_add(&kv, "skipped", NULL);
	kv_add(&kv, "result", "ok");
	assert_string_equal(kv_str(&kv), "action=rewrite, "
	    "from=<root@host.example>, relay=[smtp.gmail.com], "
	    "hint=\"example.com SPF does not authorize 1.2.3.4: add "
	    "include:_spf.google.com\", odd=\"a\\\"b\\\\c,d=e\", empty=\"\", "
	    "result=ok");
	kv_free(&kv);
}

static void
test_kv_injection(void **state)
{
	struct kvline kv;

	(void)state;
	kv_init(&kv);
	kv_add_angle(&kv, "from", "a@b\r\nJan  1 00:00:00 host relaymilter: "
	    "FAKE: action=rewrite");
	kv_add(&kv, "x", "line1\nline2\x01\x7f\tend");
	assert_null(strchr(kv_str(&kv), '\n'));
	assert_null(strchr(kv_str(&kv), '\r'));
	assert_non_null(strstr(kv_str(&kv), "x=\"line1line2 end\""));
	kv_free(&kv);
}

static void
test_sanitize(void **state)
{
	char *s;
	strbuf sb;

	(void)state;
	s = sanitize_dup("ok\r\nX-Evil: 1\0hidden");
	assert_string_equal(s, "okX-Evil: 1");
	free(s);
	s = sanitize_dup("t\tab \xc3\xa9t\xc3\xa9");
	assert_string_equal(s, "t ab \xc3\xa9t\xc3\xa9");
	free(s);
	assert_true(has_control_chars("a\nb"));
	assert_false(has_control_chars("a b \xc3\xa9"));
	sb_init(&sb);
	sb_puts_sanitized(&sb, "\x1b[31mred\x1b[0m");
	assert_string_equal(sb.s, "[31mred[0m");
	sb_free(&sb);
}

static void
test_parsers(void **state)
{
	unsigned long v;
	bool b;

	(void)state;
	assert_int_equal(parse_duration("90", 100000, &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(parse_duration("2m", 100000, &v), 0);
	assert_int_equal(v, 120);
	assert_int_equal(parse_duration("1h", 100000, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(parse_duration("1d", 100000, &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(parse_duration("2d", 100000, &v), -1);
	assert_int_equal(parse_duration("x", 100, &v), -1);
	assert_int_equal(parse_duration("", 100, &v), -1);
	assert_int_equal(parse_duration("s", 100, &v), -1);
	assert_int_equal(parse_uint("18446744073709551616", (unsigned long)-1,
	    &v), -1);
	assert_int_equal(parse_uint(" 5", 10, &v), -1);
	assert_int_equal(parse_uint("-5", 10, &v), -1);
	assert_int_equal(parse_octal("0755", 0777, &v), 0);
	assert_int_equal(v, 0755);
	assert_int_equal(parse_octal("8", 0777, &v), -1);
	assert_int_equal(parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(parse_bool("maybe", &b), -1);
}

static void
test_strbuf(void **state)
{
	strbuf sb;
	char *s;
	int i;

	(void)state;
	sb_init(&sb);
	assert_string_equal(sb.s, "");
	for (i = 0; i < 1000; i++)
		sb_printf(&sb, "%d,", i);
	assert_int_equal(sb.err, 0);
	assert_int_equal(strlen(sb.s), sb.len);
	s = sb_steal(&sb);
	assert_memory_equal(s, "0,1,2,", 6);
	free(s);
	assert_string_equal(sb.s, "");
	sb_free(&sb);
}

static void
test_tokens(void **state)
{
	char buf[] = " a, b ,,c\td ";
	char *cur = buf, *t;
	const char *want[] = { "a", "b", "c", "d" };
	int n = 0;

	(void)state;
	while ((t = str_token(&cur)) != NULL)
		assert_string_equal(t, want[n++]);
	assert_int_equal(n, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kvline),
		cmocka_unit_test(test_kv_injection),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
