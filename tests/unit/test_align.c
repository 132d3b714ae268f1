/*
 * test_align.c - DMARC alignment with the Public Suffix List
 *
 * CONTRACT
 *	Table tests (public suffixes such as co.uk, subdomains, strict and
 *	relaxed, case, dots, IDN in U-label and A-label form, bad input), the
 *	PSL test vectors (tests/unit/data/psl-tests.txt) and OpenDMARC's
 *	alignment vectors (tests/unit/data/opendmarc-alignment-vectors.tsv).
 *	Run from the top of the tree (tests/run does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "config.h"
#include "util.h"

static const struct {
	const char	*from, *env;
	int		 mode;
	int		 aligned;	/* 1 yes, 0 no, -1 bad input */
	const char	*from_org, *env_org;
} cases[] = {
	{ "example.co.uk", "example.co.uk", ALIGN_STRICT, 1,
	    "example.co.uk", "example.co.uk" },
	{ "mail.example.co.uk", "example.co.uk", ALIGN_RELAXED, 1,
	    "example.co.uk", "example.co.uk" },
	{ "mail.example.co.uk", "example.co.uk", ALIGN_STRICT, 0,
	    "example.co.uk", "example.co.uk" },
	/* co.uk is a public suffix: two registrants, not aligned */
	{ "one.co.uk", "two.co.uk", ALIGN_RELAXED, 0, "one.co.uk",
	    "two.co.uk" },
	{ "a.example.com", "b.example.com", ALIGN_RELAXED, 1, "example.com",
	    "example.com" },
	{ "example.com", "bounce.example.com", ALIGN_RELAXED, 1,
	    "example.com", "example.com" },
	{ "example.com", "example.net", ALIGN_RELAXED, 0, "example.com",
	    "example.net" },
	{ "ourtest.com", "gmail.com", ALIGN_RELAXED, 0, "ourtest.com",
	    "gmail.com" },
	{ "Example.COM.", "example.com", ALIGN_STRICT, 1, "example.com",
	    "example.com" },
	/* private-section suffixes of the PSL */
	{ "alice.github.io", "bob.github.io", ALIGN_RELAXED, 0,
	    "alice.github.io", "bob.github.io" },
	{ "www.alice.github.io", "alice.github.io", ALIGN_RELAXED, 1,
	    "alice.github.io", "alice.github.io" },
	/* IDN: U-label and A-label forms are one domain */
	{ "münchen.de", "xn--mnchen-3ya.de", ALIGN_STRICT, 1,
	    "xn--mnchen-3ya.de", "xn--mnchen-3ya.de" },
	{ "post.MÜNCHEN.de", "xn--mnchen-3ya.de", ALIGN_RELAXED, 1,
	    "xn--mnchen-3ya.de", "xn--mnchen-3ya.de" },
	{ "食狮.公司.cn", "www.xn--85x722f.xn--55qx5d.cn", ALIGN_RELAXED, 1,
	    "xn--85x722f.xn--55qx5d.cn", "xn--85x722f.xn--55qx5d.cn" },
	/* a public suffix is its own organisational domain */
	{ "com", "example.com", ALIGN_RELAXED, 0, "com", "example.com" },
	/* unlisted TLD: the last two labels */
	{ "a.b.example.internal", "example.internal", ALIGN_RELAXED, 1,
	    "example.internal", "example.internal" },
	{ "", "example.com", ALIGN_RELAXED, -1, NULL, "example.com" },
	{ "exa mple.com", "example.com", ALIGN_RELAXED, -1, NULL,
	    "example.com" },
	{ "example..com", "example.com", ALIGN_RELAXED, -1, NULL,
	    "example.com" },
	{ "example.com\r\nX", "example.com", ALIGN_RELAXED, -1, NULL,
	    "example.com" },
};

static void
test_table(void **state)
{
	struct align_result r;
	size_t i;
	int rc, want;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = align_eval(cases[i].from, cases[i].env, cases[i].mode,
		    &r);
		want = cases[i].aligned < 0 ? 0 : cases[i].aligned;
		if (rc != want || (int)r.aligned != want ||
		    align_check(cases[i].from, cases[i].env,
		    cases[i].mode) != want)
			fail_msg("case %zu (%s, %s, %s): rc %d aligned %d", i,
			    cases[i].from, cases[i].env,
			    rm_align_names[cases[i].mode], rc, r.aligned);
		if (cases[i].from_org == NULL)
			assert_null(r.from_org);
		else
			assert_string_equal(r.from_org, cases[i].from_org);
		assert_string_equal(r.env_org, cases[i].env_org);
		align_result_clear(&r);
	}
}

static void
test_org_domain(void **state)
{
	char *o;

	(void)state;
	o = align_org_domain("WWW.Example.CO.UK.");
	assert_string_equal(o, "example.co.uk");
	free(o);
	/* not a domain: its own, never NULL (NULL means ENOMEM) */
	o = align_org_domain("exa mple..com");
	assert_non_null(o);
	free(o);
	assert_string_equal(align_psl_source(),
	    "system (newest of libpsl's data files)");
}

/* tests.txt of the PSL: "input expected" with null for "no registrable
 * domain" (the input is a public suffix, or invalid). */
static void
test_psl_vectors(void **state)
{
	char *buf, *line, *next, *in, *exp;
	size_t len, n = 0, failed = 0;

	(void)state;
	if (read_file("tests/unit/data/psl-tests.txt", &buf, &len) < 0)
		fail_msg("tests/unit/data/psl-tests.txt: cannot read");
	for (line = buf; line != NULL; line = next) {
		char *canon, *org, *want;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '\0' || strncmp(line, "//", 2) == 0)
			continue;
		in = line;
		exp = strchr(line, ' ');
		if (exp == NULL)
			continue;
		*exp++ = '\0';
		/* null input, and leading dots (dropped here, see SOURCES) */
		if (strcmp(in, "null") == 0 || in[0] == '.')
			continue;
		n++;
		canon = align_canonical(in);
		org = align_org_domain(in);
		want = strcmp(exp, "null") == 0 ? (canon ? strdup(canon) :
		    NULL) : align_canonical(exp);
		if (canon == NULL || org == NULL || want == NULL ||
		    strcmp(org, want) != 0) {
			print_message("psl: %s: got %s, want %s\n", in,
			    org ? org : "NULL", want ? want : "NULL");
			failed++;
		}
		free(canon);
		free(org);
		free(want);
	}
	free(buf);
	assert_true(n >= 70);
	assert_int_equal(failed, 0);
}

static void
test_opendmarc_vectors(void **state)
{
	char *buf, *line, *next, *f[5];
	size_t len, n = 0;
	int i;

	(void)state;
	if (read_file("tests/unit/data/opendmarc-alignment-vectors.tsv",
	    &buf, &len) < 0)
		fail_msg("opendmarc-alignment-vectors.tsv: cannot read");
	for (line = buf; line != NULL; line = next) {
		struct align_result r;
		int m, rc, got;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0' || line[0] == 'n')
			continue;
		for (i = 0; i < 5; i++)
			if ((f[i] = strsep(&line, "\t")) == NULL)
				fail_msg("bad vector line");
		m = strcmp(f[3], "strict") == 0 ? ALIGN_STRICT : ALIGN_RELAXED;
		rc = align_eval(f[1], f[2], m, &r);
		got = rc == 1 ? 0 : -1;
		if (got != atoi(f[4]))
			fail_msg("opendmarc row %s: %s %s %s: got %d", f[0],
			    f[1], f[2], f[3], got);
		align_result_clear(&r);
		n++;
	}
	free(buf);
	assert_int_equal(n, 10);
}

static int
teardown(void **state)
{
	(void)state;
	align_cleanup();
	return 0;
}

/* A name of n bytes: labels of 63 letters ("a"...) and dots. */
static void
long_name(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = i % 64 == 63 ? '.' : (char)('A' + i % 26);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = 'x';
}

/* The canonical form at the edges of its one-pass path (ASCII, up to 253
 * bytes) and of the general one: the same answers either way, names up
 * to the bound kept whole inside struct align_result. */
static void
test_canonical_edges(void **state)
{
	char in[600], want[600], *c;
	struct align_result r;
	size_t i;

	(void)state;
	/* 253 bytes: the longest name, whole */
	long_name(in, 253);
	memcpy(want, in, 254);
	str_lower_inplace(want);
	c = align_canonical(in);
	assert_non_null(c);
	assert_string_equal(c, want);
	free(c);
	assert_int_equal(align_eval(in, want, ALIGN_STRICT, &r), 1);
	assert_string_equal(r.from_dom, want);
	assert_string_equal(r.env_dom, want);
	align_result_clear(&r);
	/* 254: too long; 253 and 300 trailing dots: 253 again */
	long_name(in, 254);
	assert_null(align_canonical(in));
	long_name(in, 253);
	memset(in + 253, '.', 300);
	in[553] = '\0';
	c = align_canonical(in);
	assert_non_null(c);
	assert_string_equal(c, want);
	free(c);
	/* 253 with a U-label in front: too long after IDNA as well */
	memcpy(in, "\xc3\xbc.", 3);
	long_name(in + 3, 251);
	assert_null(align_canonical(in));
	/* labels: 63 is the most, empty ones only at the ends */
	long_name(in, 63);
	assert_non_null(c = align_canonical(in));
	free(c);
	memset(in, 'a', 64);
	strcpy(in + 64, ".com");
	assert_null(align_canonical(in));
	strcpy(in + 63, ".com");
	assert_non_null(c = align_canonical(in));
	free(c);
	{
		static const struct { const char *in, *out; } t[] = {
			{ "..Mail.Example.COM..", "mail.example.com" },
			{ "a..b", NULL }, { "...", NULL }, { ".", NULL },
			{ "a.b.", "a.b" }, { "_dmarc.x-y.Z9", "_dmarc.x-y.z9" },
			{ "a!b.com", NULL }, { "a b.com", NULL },
			{ "a\tb.com", NULL }, { "A\xc3\x9c.de", "xn--a-eha.de" },
		};
		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			c = align_canonical(t[i].in);
			if (t[i].out == NULL ? c != NULL : c == NULL ||
			    strcmp(c, t[i].out) != 0)
				fail_msg("%s: got %s", t[i].in, c ? c : "NULL");
			free(c);
		}
	}
	/* one text for both, or two spellings of one name */
	assert_int_equal(align_eval("Mail.Example.co.uk", "Mail.Example.co.uk",
	    ALIGN_STRICT, &r), 1);
	assert_string_equal(r.env_dom, "mail.example.co.uk");
	assert_string_equal(r.env_org, "example.co.uk");
	assert_string_equal(r.from_org, "example.co.uk");
	align_result_clear(&r);
	assert_null(r.from_dom);
	assert_int_equal(align_eval("mail.example.co.uk.", "MAIL.example.co.uk",
	    ALIGN_STRICT, &r), 1);
	assert_string_equal(r.env_org, "example.co.uk");
	align_result_clear(&r);
	assert_int_equal(align_eval("a b", "a b", ALIGN_RELAXED, &r), 0);
	assert_null(r.from_org);
	assert_null(r.env_org);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_org_domain),
		cmocka_unit_test(test_canonical_edges),
		cmocka_unit_test(test_psl_vectors),
		cmocka_unit_test(test_opendmarc_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
