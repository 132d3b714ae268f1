/*
 * test_netlist.c - TrustedNetworks: CIDR parsing, v4, v6, v4-mapped matching
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "testutil.h"
#include "netlist.h"
#include "util.h"

static struct netlist *
mk(const char *const *specs)
{
	struct netlist *nl = netlist_new();
	strbuf err;

	sb_init(&err);
	for (; *specs; specs++)
		if (netlist_add(nl, *specs, &err) != 0)
			fail_msg("'%s': %s", *specs, err.s);
	sb_free(&err);
	return nl;
}

static void
test_v4(void **state)
{
	static const char *const s[] = { "127.0.0.0/8", "192.0.2.7",
	    "198.51.100.0/25", NULL };
	struct netlist *nl = mk(s);

	(void)state;
	assert_true(netlist_match_str(nl, "127.0.0.1"));
	assert_true(netlist_match_str(nl, "127.255.0.9"));
	assert_true(netlist_match_str(nl, "192.0.2.7"));
	assert_false(netlist_match_str(nl, "192.0.2.8"));
	assert_true(netlist_match_str(nl, "198.51.100.127"));
	assert_false(netlist_match_str(nl, "198.51.100.128"));
	assert_false(netlist_match_str(nl, "10.0.0.1"));
	assert_false(netlist_match_str(nl, "::1"));
	assert_false(netlist_match_str(nl, "not-an-ip"));
	netlist_free(nl);
}

static void
test_v6(void **state)
{
	static const char *const s[] = { "::1", "2001:db8::/32",
	    "[2001:db9::5]", "IPv6:2001:dba::1", NULL };
	struct netlist *nl = mk(s);

	(void)state;
	assert_true(netlist_match_str(nl, "::1"));
	assert_true(netlist_match_str(nl, "2001:db8:ffff::1"));
	assert_false(netlist_match_str(nl, "2001:db7::1"));
	assert_true(netlist_match_str(nl, "2001:db9::5"));
	assert_true(netlist_match_str(nl, "2001:dba::1"));
	assert_false(netlist_match_str(nl, "127.0.0.1"));
	netlist_free(nl);
}

static void
test_v4_mapped(void **state)
{
	static const char *const s[] = { "127.0.0.0/8", NULL };
	static const char *const s6[] = { "::/0", NULL };
	struct netlist *nl = mk(s), *all6 = mk(s6);
	struct sockaddr_in6 sa6;
	struct sockaddr_in sa4;
	strbuf t;

	(void)state;
	/* a mapped v4 client matches the v4 network */
	assert_true(netlist_match_str(nl, "::ffff:127.0.0.1"));
	assert_false(netlist_match_str(nl, "::ffff:10.0.0.1"));
	memset(&sa6, 0, sizeof(sa6));
	sa6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sa6.sin6_addr);
	assert_true(netlist_match_sa(nl, (struct sockaddr *)&sa6));
	sb_init(&t);
	assert_int_equal(sockaddr_text((struct sockaddr *)&sa6, &t), 0);
	assert_string_equal(t.s, "127.0.0.1");
	sb_reset(&t);
	memset(&sa4, 0, sizeof(sa4));
	sa4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.10", &sa4.sin_addr);
	assert_false(netlist_match_sa(nl, (struct sockaddr *)&sa4));
	assert_int_equal(sockaddr_text((struct sockaddr *)&sa4, &t), 0);
	assert_string_equal(t.s, "192.0.2.10");
	sb_free(&t);
	{	/* the buffer form: the same text; -1 for a short buffer or
		 * another family */
		char buf[INET6_ADDRSTRLEN], tiny[8];
		struct sockaddr_un su = { .sun_family = AF_UNIX };

		assert_int_equal(sockaddr_ntop((struct sockaddr *)&sa6, buf,
		    sizeof(buf)), 0);
		assert_string_equal(buf, "127.0.0.1");
		inet_pton(AF_INET6, "2001:db8::25", &sa6.sin6_addr);
		assert_int_equal(sockaddr_ntop((struct sockaddr *)&sa6, buf,
		    sizeof(buf)), 0);
		assert_string_equal(buf, "2001:db8::25");
		assert_int_equal(sockaddr_ntop((struct sockaddr *)&sa4, tiny,
		    sizeof(tiny)), -1);
		assert_int_equal(sockaddr_ntop((struct sockaddr *)&su, buf,
		    sizeof(buf)), -1);
		/* the dotted quad is inet_ntop's, octet by octet (0, one,
		 * two and three digits in every position), and a buffer one
		 * byte short of it is refused */
		for (unsigned v = 0; v < 256; v++) {
			for (int pos = 0; pos < 4; pos++) {
				unsigned char *b = (unsigned char *)
				    &sa4.sin_addr;
				char want[INET_ADDRSTRLEN];

				memset(b, pos == 0 ? 1 : 200, 4);
				b[pos] = (unsigned char)v;
				assert_non_null(inet_ntop(AF_INET, b, want,
				    sizeof(want)));
				assert_int_equal(sockaddr_ntop((struct sockaddr
				    *)&sa4, buf, sizeof(buf)), 0);
				assert_string_equal(buf, want);
				assert_int_equal(sockaddr_ntop((struct sockaddr
				    *)&sa4, buf, strlen(want) + 1), 0);
				assert_int_equal(sockaddr_ntop((struct sockaddr
				    *)&sa4, buf, strlen(want)), -1);
			}
		}
		assert_false(ip_parse_text("smtp.gmail.com", NULL, NULL));
		assert_true(ip_parse_text("2001:db8::25", NULL, NULL));
	}
	/* "::/0" is v6 only: it does not swallow mapped v4 clients */
	assert_true(netlist_match_str(all6, "2001:db8::1"));
	assert_false(netlist_match_str(all6, "::ffff:192.0.2.10"));
	assert_false(netlist_match_str(all6, "192.0.2.10"));
	netlist_free(nl);
	netlist_free(all6);
}

static void
bad(const char *spec, const char *want)
{
	struct netlist *nl = netlist_new();
	strbuf err;

	sb_init(&err);
	if (netlist_add(nl, spec, &err) == 0)
		fail_msg("'%s' accepted", spec);
	if (strstr(err.s, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, want);
	assert_int_equal(netlist_count(nl), 0);
	sb_free(&err);
	netlist_free(nl);
}

static void
test_bad(void **state)
{
	(void)state;
	bad("192.168.1.5/16", "host bits set");
	bad("10.0.0.0/33", "prefix length must be 0..32");
	bad("2001:db8::/129", "prefix length must be 0..128");
	bad("example.com", "not an IPv4 or IPv6");
	bad("10.0.0.0/x", "prefix length");
	bad("", "not a network");
	bad("[::1", "not a network");
}

static void
test_ip_text(void **state)
{
	bool v6;
	strbuf c;

	(void)state;
	sb_init(&c);
	assert_true(ip_parse_text("::ffff:192.0.2.1", &v6, &c));
	assert_false(v6);
	assert_string_equal(c.s, "192.0.2.1");
	sb_reset(&c);
	assert_true(ip_parse_text("2001:DB8::1", &v6, &c));
	assert_true(v6);
	assert_string_equal(c.s, "2001:db8::1");
	assert_false(ip_parse_text("300.1.1.1", &v6, NULL));
	assert_true(ip_is_loopback_text("127.1.2.3"));
	assert_true(ip_is_loopback_text("::1"));
	assert_true(ip_is_loopback_text("::ffff:127.0.0.1"));
	assert_false(ip_is_loopback_text("209.85.220.41"));
	sb_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_v4_mapped),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_ip_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
