/*
 * test_log.c - the key=value formatter, sanitising, and the small parsers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A sender's quoted local part must not pose as fields of the decision line:
 * from the SMTP dialogue MAIL FROM:<"x, action=rewrite, to=<...>"@lan.test>. */
static void
test_kv_angle_quoting(void **state)
{
	struct kvline kv;

	(void)state;
	kv_init(&kv);
	kv_add(&kv, "action", "skip");
	kv_add_angle(&kv, "from", "<\"x, reason=allowed, action=rewrite, "
	    "to=<relay@gmail.test>, result=ok\"@lan.test>");
	kv_add(&kv, "result", "ok");
	assert_string_equal(kv_str(&kv), "action=skip, from=\"<\\\"x, "
	    "reason=allowed, action=rewrite, to=<relay@gmail.test>, "
	    "result=ok\\\"@lan.test>\", result=ok");
	kv_free(&kv);

	/* brackets already there are not doubled; the null sender stays <> */
	kv_init(&kv);
	kv_add_angle(&kv, "from", "<a@b@c>");
	kv_add_angle(&kv, "to", "");
	kv_add_angle(&kv, "x", "\"a b\"@example.test");
	assert_string_equal(kv_str(&kv), "from=<a@b@c>, to=<>, "
	    "x=\"<\\\"a b\\\"@example.test>\"");
	kv_free(&kv);
}

/* Quoting edge cases, one value per line: what kv_add writes after "k=". */
static void
test_kv_quoting_cases(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "plain", "plain" },
		{ "", "\"\"" },				/* empty: "" */
		{ "a b", "\"a b\"" },
		{ "a,b", "\"a,b\"" },
		{ "a=b", "\"a=b\"" },
		{ "=", "\"=\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "a\\b", "\"a\\\\b\"" },
		{ "\\", "\"\\\\\"" },
		{ "\"\"", "\"\\\"\\\"\"" },
		{ "\t", "\" \"" },			/* TAB: a space, quoted */
		{ "a\tb", "\"a b\"" },
		{ "\x01", "\"\"" },			/* only dropped bytes */
		{ "\x01\x1f\x7f", "\"\"" },
		{ "a\x01", "a" },
		{ "\x01" "a", "a" },
		{ "a\rb\nc\x7f", "abc" },
		{ "a\x01 b", "\"a b\"" },
		{ "\x01\"", "\"\\\"\"" },
		{ "<a@b>", "<a@b>" },
		{ "[smtp.gmail.com]", "[smtp.gmail.com]" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* UTF-8 passes as it is */
		{ "\xff\x80", "\xff\x80" },
		{ "\xc3\xa9 x", "\"\xc3\xa9 x\"" },
		{ "x:y;z'!#$%&()*+-./?@^_`{|}~", "x:y;z'!#$%&()*+-./?@^_`{|}~" },
	};
	struct kvline kv;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kv_init(&kv);
		kv_add(&kv, "k", cases[i].in);
		assert_string_equal(kv_str(&kv) + 2, cases[i].out);
		kv_free(&kv);
	}
}

/* What log.h promises, written plainly: drop control characters (TAB
 * becomes a space), then quote when the rest holds a space, comma, quote,
 * backslash or '=', or is empty, escaping quote and backslash. */
static void
model_value(strbuf *out, const char *v, bool angle)
{
	strbuf s;
	const char *p;
	size_t n = strlen(v);
	bool quote;

	sb_init(&s);
	if (angle && !(n >= 2 && v[0] == '<' && v[n - 1] == '>'))
		sb_putc(&s, '<');
	for (p = v; *p; p++)
		if (*p == '\t')
			sb_putc(&s, ' ');
		else if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			sb_putc(&s, *p);
	if (angle && !(n >= 2 && v[0] == '<' && v[n - 1] == '>'))
		sb_putc(&s, '>');
	quote = s.len == 0 || strpbrk(s.s, " ,\"\\=") != NULL;
	if (quote)
		sb_putc(out, '"');
	for (p = s.s; *p; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			sb_putc(out, '\\');
		sb_putc(out, *p);
	}
	if (quote)
		sb_putc(out, '"');
	sb_free(&s);
}

/* Every byte in several places of a value, and pairs of bytes: kv_add and
 * kv_add_angle write what the model above writes. */
static void
test_kv_quoting_model(void **state)
{
	static const char *shapes[] = { "%", "a%", "%a", "a%b", "%%", "<%>",
	    "<a%>", "%<a>", "a%%b%" };
	char v[16];
	struct kvline kv;
	strbuf want;
	size_t i, j;
	int c, d;

	(void)state;
	for (c = 1; c < 256; c++)
		for (d = 1; d < 256; d += (c < 0x80 ? 1 : 37)) {
			for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]);
			    i++) {
				const char *sh = shapes[i];
				int k = 0;

				for (j = 0; sh[j] != '\0'; j++)
					v[j] = sh[j] == '%' ?
					    (char)(k++ == 0 ? c : d) : sh[j];
				v[j] = '\0';
				kv_init(&kv);
				sb_init(&want);
				kv_add(&kv, "k", v);
				kv_add_angle(&kv, "a", v);
				sb_puts(&want, "k=");
				model_value(&want, v, false);
				sb_puts(&want, ", a=");
				model_value(&want, v, true);
				assert_string_equal(kv_str(&kv), want.s);
				sb_free(&want);
				kv_free(&kv);
			}
		}
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

/* sanitize_inplace, sb_puts_sanitized, has_control_chars and
 * str_lower_inplace read eight bytes at a time: every byte 1-255 at every
 * place of strings of every length up to 3 words and a half, against the
 * rules written plainly (ch_ctl(), TAB to a space, ASCII A-Z lowered). */
static void
test_sanitize_words(void **state)
{
	static const char fill[] = "aZ.9\xc3\xa9Mz@[`{_~ AzByCxDwEvFuGtHsIrJqKp";
	char in[32], got[32], want[32], low[32];
	size_t n, at, i, w;
	strbuf sb;
	int c;
	bool ctl;

	(void)state;
	for (n = 1; n <= 28; n++)
		for (at = 0; at < n; at++)
			for (c = 1; c < 256; c++) {
				memcpy(in, fill, n);
				in[at] = (char)c;
				in[n] = '\0';
				ctl = false;
				for (i = w = 0; i < n; i++) {
					unsigned char b = (unsigned char)in[i];

					low[i] = (char)(b >= 'A' && b <= 'Z' ?
					    b + 0x20 : b);
					if (ch_ctl(b))
						ctl = true;
					if (b == '\t')
						want[w++] = ' ';
					else if (!ch_ctl(b))
						want[w++] = (char)b;
				}
				want[w] = '\0';
				low[n] = '\0';
				assert_int_equal(has_control_chars(in), ctl);
				sb_init(&sb);
				sb_puts(&sb, "<");
				sb_puts_sanitized(&sb, in);
				assert_string_equal(sb.s + 1, want);
				sb_free(&sb);
				memcpy(got, in, n + 1);
				assert_string_equal(sanitize_inplace(got), want);
				memcpy(got, in, n + 1);
				assert_string_equal(str_lower_inplace(got), low);
			}
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

/* Keys and values of every length from 1 to 40 (log.c copies short ones
 * in pieces of 8 and 4 bytes), as they are and after a comma. */
static void
test_kv_lengths(void **state)
{
	static const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
	char k[48], v[48];
	struct kvline kv;
	strbuf want;
	size_t kl, vl;

	(void)state;
	for (kl = 1; kl <= 40; kl++)
		for (vl = 1; vl <= 40; vl++) {
			memcpy(k, text + 40 - kl, kl);
			k[kl] = '\0';
			memcpy(v, text + (vl % 3), vl);
			v[vl] = '\0';
			kv_init(&kv);
			sb_init(&want);
			kv_add(&kv, k, v);
			kv_addn(&kv, v, vl, k);
			sb_printf(&want, "%s=%s, %s=%s", k, v, v, k);
			assert_string_equal(kv_str(&kv), want.s);
			sb_free(&want);
			kv_free(&kv);
		}
}

/* What kv_log() writes to standard error (the log without syslog). */
static char *
logged(const char *qid, const struct kvline *kv)
{
	FILE *f = tmpfile();
	int saved;
	char *text;
	size_t len;

	assert_non_null(f);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), 2) == 2);
	kv_log(LOG_INFO, qid, kv);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	assert_int_equal(lseek(fileno(f), 0, SEEK_SET), 0);
	assert_int_equal(read_fd(fileno(f), &text, &len), 0);
	fclose(f);
	return text;
}

/* A line longer than the kvline's own storage moves to the heap whole, and
 * the written line holds all of it: "STAMP relaymilter: QID: line\n". */
static void
test_kv_long(void **state)
{
	struct kvline kv;
	strbuf want;
	char v[300], *out;
	const char *p;
	int i;

	(void)state;
	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	kv_init(&kv);
	sb_init(&want);
	kv_add(&kv, "action", "rewrite");
	sb_puts(&want, "action=rewrite");
	assert_ptr_equal(kv_str(&kv), kv.buf);	/* short: in the kvline */
	for (i = 0; i < 8; i++) {
		v[i] = ' ';			/* quoted */
		kv_add(&kv, "k", v);
		sb_printf(&want, ", k=\"%s\"", v);
		kv_add_angle(&kv, "a", v + i + 1);
		sb_printf(&want, ", a=<%s>", v + i + 1);
	}
	assert_int_equal(kv.sb.err, 0);
	assert_true(strlen(kv_str(&kv)) > 4 * KV_BUF);
	assert_ptr_not_equal(kv_str(&kv), kv.buf);
	assert_string_equal(kv_str(&kv), want.s);
	out = logged("ABC123", &kv);
	p = strstr(out, " relaymilter: ABC123: ");
	assert_non_null(p);
	p += strlen(" relaymilter: ABC123: ");
	assert_int_equal(strlen(p), want.len + 1);
	assert_memory_equal(p, want.s, want.len);
	assert_int_equal(p[want.len], '\n');
	free(out);
	kv_free(&kv);
	sb_free(&want);

	kv_init(&kv);				/* short, through the same path */
	kv_add(&kv, "result", "ok");
	out = logged("Q\r\nX", &kv);
	p = strstr(out, " relaymilter: QX: result=ok\n");
	assert_non_null(p);
	assert_int_equal(strlen(p), strlen(" relaymilter: QX: result=ok\n"));
	free(out);
	kv_free(&kv);
}

/* A strbuf on the caller's storage: no heap while it fits, the string moves
 * to the heap (whole, not truncated) when it does not, and sb_free() is right
 * on both paths (ASan/valgrind see a free of the array or a leak). */
static void
test_strbuf_buf(void **state)
{
	char buf[8], big[64];
	strbuf sb;
	char *s;
	int i;

	(void)state;
	memset(buf, 'x', sizeof(buf));
	sb_init_buf(&sb, buf, sizeof(buf));
	assert_ptr_equal(sb.s, buf);
	assert_string_equal(sb.s, "");
	sb_puts(&sb, "abc");
	sb_putc(&sb, 'd');
	assert_int_equal(sb_reserve(&sb, 3), 0);
	sb_append(&sb, "efg", 3);		/* 7 bytes and the NUL: full */
	assert_ptr_equal(sb.s, buf);
	assert_string_equal(buf, "abcdefg");
	sb_putc(&sb, 'h');			/* one more: to the heap */
	assert_ptr_not_equal(sb.s, buf);
	assert_int_equal(sb.err, 0);
	assert_int_equal(sb.len, 8);
	assert_string_equal(sb.s, "abcdefgh");
	for (i = 0; i < 100; i++)
		sb_printf(&sb, "%d,", i);
	assert_int_equal(strlen(sb.s), sb.len);
	assert_memory_equal(sb.s, "abcdefgh0,1,2,", 14);
	sb_free(&sb);				/* the heap copy */
	assert_string_equal(sb.s, "");

	sb_init_buf(&sb, buf, sizeof(buf));	/* fits: nothing to free */
	sb_puts(&sb, "abc");
	sb_free(&sb);
	assert_string_equal(sb.s, "");

	/* sb_printf past the end in one go, and sb_steal on both paths */
	sb_init_buf(&sb, buf, sizeof(buf));
	sb_printf(&sb, "%s-%d", "abcdef", 12345);
	assert_ptr_not_equal(sb.s, buf);
	assert_string_equal(sb.s, "abcdef-12345");
	s = sb_steal(&sb);
	assert_string_equal(s, "abcdef-12345");
	free(s);
	sb_init_buf(&sb, big, sizeof(big));
	sb_printf(&sb, "%d", 42);
	assert_ptr_equal(sb.s, big);
	s = sb_steal(&sb);			/* a heap copy of the array */
	assert_ptr_not_equal(s, big);
	assert_string_equal(s, "42");
	free(s);
	assert_string_equal(sb.s, "");

	/* reset keeps the storage; a spill after it copies what is there */
	sb_init_buf(&sb, buf, sizeof(buf));
	sb_puts(&sb, "zzzz");
	sb_reset(&sb);
	assert_ptr_equal(sb.s, buf);
	sb_puts(&sb, "0123456789");
	assert_string_equal(sb.s, "0123456789");
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
		cmocka_unit_test(test_kv_angle_quoting),
		cmocka_unit_test(test_kv_quoting_cases),
		cmocka_unit_test(test_kv_quoting_model),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_words),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_strbuf),
		cmocka_unit_test(test_strbuf_buf),
		cmocka_unit_test(test_kv_long),
		cmocka_unit_test(test_kv_lengths),
		cmocka_unit_test(test_tokens),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
