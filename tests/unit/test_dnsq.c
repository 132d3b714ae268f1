/*
 * test_dnsq.c - the stub resolver's reading of replies (dnsq_reply_check)
 * on the replies of tests/fuzz/corpus/fuzz_dnsq (first byte: the type)
 */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "dnsq.h"

static const int types[] = { ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_ptr, ns_t_txt,
    99 };

static void
check(const char *file, const char *qname, enum dnsq_status want, size_t n,
    const char *first)
{
	char path[256], *buf;
	size_t len;
	struct dnsq_answer ans;
	FILE *fp;

	/* binary: a reply holds NUL bytes, which read_file() refuses */
	snprintf(path, sizeof(path), "tests/fuzz/corpus/fuzz_dnsq/%s", file);
	if ((fp = fopen(path, "rb")) == NULL)
		fail_msg("%s: cannot read", path);
	buf = malloc(4096);
	assert_non_null(buf);
	len = fread(buf, 1, 4096, fp);
	fclose(fp);
	assert_true(len > 13);
	assert_int_equal(dnsq_reply_check(qname, types[(unsigned char)buf[0] %
	    6], (unsigned char *)buf + 1, len - 1, &ans), 0);
	if (ans.status != want)
		fail_msg("%s: status %s, expected %s", file,
		    dnsq_status_name(ans.status), dnsq_status_name(want));
	assert_int_equal(ans.n, n);
	if (first != NULL)
		assert_string_equal((char *)ans.rr[0].data, first);
	dnsq_answer_clear(&ans);
	free(buf);
}

static void
test_replies(void **state)
{
	(void)state;
	check("txt-spf", "example.com", DNSQ_ANSWER, 1,
	    "v=spf1 include:_spf.google.com -all");
	/* character strings of one TXT record are joined, records kept */
	check("txt-split", "example.com", DNSQ_ANSWER, 2, "v=spf1 -all");
	check("a", "example.com", DNSQ_ANSWER, 1, NULL);
	check("aaaa", "example.com", DNSQ_ANSWER, 1, NULL);
	check("mx", "example.com", DNSQ_ANSWER, 1, "mx.example.com");
	check("ptr", "example.com", DNSQ_ANSWER, 1, "example.com");
	check("nxdomain", "example.com", DNSQ_NXDOMAIN, 0, NULL);
	check("servfail", "example.com", DNSQ_TEMPFAIL, 0, NULL);
	check("nodata", "example.com", DNSQ_NODATA, 0, NULL);
	/* a reply to another question is not ours */
	check("txt-spf", "other.example", DNSQ_TEMPFAIL, 0, NULL);
	/* the question compares without case, as servers may echo it */
	check("txt-spf", "EXAMPLE.com", DNSQ_ANSWER, 1, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
