/*
 * test_spfcheck.c - the SPF module with libspf2's in-memory zone resolver
 *		     and with fake name servers on loopback
 *
 * CONTRACT
 *	Covers every verdict, IPv6 (and its text in details, as inet_ntop
 *	writes it), the per-thread memos of addresses and senders, include and redirect chains, the INVALID
 *	mapping, the wrapper's RFC 7208 fixes, the cache (hits do no lookup,
 *	expiry by a fake clock, LRU bound, per-sender entries, no temperror),
 *	threads sharing one checker, the error handler, and the DNS deadline
 *	against servers that never answer (UDP, and TCP after truncation).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "dnsq.h"
#include "spfcheck.h"
#include "spfrec.h"

static const char *zone_lines[][3] = {
	{ "pass.test", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" },
	{ "fail.test", "TXT", "v=spf1 -all" },
	{ "soft.test", "TXT", "v=spf1 ~all" },
	{ "neutral.test", "TXT", "v=spf1 ?all" },
	{ "plain.test", "TXT", "just some text" },
	{ "plain.test", "A", "192.0.2.1" },
	{ "syntax.test", "TXT", "v=spf1 ip4:300.1.1.1 -all" },
	{ "badmech.test", "TXT", "v=spf1 frobnicate -all" },
	{ "slow.test", "TIMEOUT", NULL },
	{ "two.test", "TXT", "v=spf1 -all" },
	{ "two.test", "TXT", "v=spf1 +all" },
	/* IPv6 */
	{ "v6.test", "TXT", "v=spf1 ip6:2001:db8::/32 a -all" },
	{ "v6a.test", "TXT", "v=spf1 a//64 -all" },
	{ "v6a.test", "AAAA", "2001:db8:1:2::10" },
	/* include and redirect chains */
	{ "inc.test", "TXT", "v=spf1 include:inc1.test -all" },
	{ "inc1.test", "TXT", "v=spf1 include:inc2.test ~all" },
	{ "inc2.test", "TXT", "v=spf1 ip4:198.51.100.7 -all" },
	{ "red.test", "TXT", "v=spf1 redirect=red1.test" },
	{ "red1.test", "TXT", "v=spf1 redirect=red2.test" },
	{ "red2.test", "TXT", "v=spf1 ip4:198.51.100.8 -all" },
	{ "redall.test", "TXT", "v=spf1 -all redirect=pass.test" },
	{ "incnone.test", "TXT", "v=spf1 include:nowhere.test -all" },
	{ "inctimeout.test", "TXT", "v=spf1 include:slow.test -all" },
	/* a Google-like chain */
	{ "gmail-like.test", "TXT", "v=spf1 include:_spf.goog.test ~all" },
	{ "_spf.goog.test", "TXT",
	    "v=spf1 include:_netblocks.goog.test include:_nb2.goog.test ~all" },
	{ "_netblocks.goog.test", "TXT", "v=spf1 ip4:209.85.128.0/17 ~all" },
	{ "_nb2.goog.test", "TXT", "v=spf1 ip6:2a00:1450:4000::/36 ~all" },
	/* limits */
	{ "eleven.test", "TXT", "v=spf1 a:a1.test a:a2.test include:i3.test "
	    "a:a4.test a:a5.test a:a6.test a:a7.test a:a8.test a:a9.test "
	    "a:a10.test ip4:192.0.2.99 -all" },
	{ "i3.test", "TXT", "v=spf1 a:b1.test a:b2.test ?all" },
	{ "voids.test", "TXT", "v=spf1 a:n1.test a:n2.test a:n3.test "
	    "ip4:192.0.2.99 -all" },
	{ "local.test", "TXT", "v=spf1 exists:%{l}.ok.local.test -all" },
	{ "alice.ok.local.test", "A", "127.0.0.2" },
	{ "zero.test", "TXT", "v=spf1 ip4:0.0.0.0/0 -all" },
	{ "mod.test", "TXT", "v=spf1 foo.bar=baz ip4:192.0.2.1 -all" },
};

static unsigned long long clock_now = 1000;

static long long
fake_clock(void *arg)
{
	(void)arg;
	return (long long)clock_now;
}

static struct spfc *
zone_checker(unsigned ttl, size_t max)
{
	struct spfc_options o = {
		.dns_timeout_ms = 2000, .cache_ttl = ttl, .cache_max = max,
		.zone_file = "",
	};
	strbuf err;
	struct spfc *sc;
	size_t i;

	sb_init(&err);
	sc = spfc_new(&o, &err);
	assert_non_null(sc);
	for (i = 0; i < sizeof(zone_lines) / sizeof(zone_lines[0]); i++) {
		sb_reset(&err);
		if (spfc_zone_add(sc, zone_lines[i][0], zone_lines[i][1],
		    zone_lines[i][2], &err) < 0)
			fail_msg("zone %s: %s", zone_lines[i][0], err.s);
	}
	sb_free(&err);
	spfc_set_clock(sc, fake_clock, NULL);
	return sc;
}

static enum spf_verdict
verdict(struct spfc *sc, const char *sender, const char *ip)
{
	struct spf_outcome o;
	enum spf_verdict v;

	assert_int_equal(spfc_check(sc, sender, ip, &o), 0);
	assert_non_null(o.detail);
	v = o.verdict;
	spf_outcome_clear(&o);
	return v;
}

static void
test_every_result(void **state)
{
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome o;

	(void)state;
	assert_int_equal(verdict(sc, "a@pass.test", "192.0.2.55"), SPFV_PASS);
	assert_int_equal(verdict(sc, "a@pass.test", "203.0.113.1"),
	    SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@fail.test", "192.0.2.55"), SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@soft.test", "192.0.2.55"),
	    SPFV_SOFTFAIL);
	assert_int_equal(verdict(sc, "a@neutral.test", "192.0.2.55"),
	    SPFV_NEUTRAL);
	assert_int_equal(verdict(sc, "a@plain.test", "192.0.2.55"), SPFV_NONE);
	assert_int_equal(verdict(sc, "a@nowhere.test", "192.0.2.55"),
	    SPFV_NONE);
	assert_int_equal(verdict(sc, "a@two.test", "192.0.2.55"),
	    SPFV_PERMERROR);
	assert_int_equal(verdict(sc, "a@badmech.test", "192.0.2.55"),
	    SPFV_PERMERROR);

	assert_int_equal(spfc_check(sc, "a@slow.test", "192.0.2.55", &o), 0);
	assert_int_equal(o.verdict, SPFV_TEMPERROR);
	assert_true(o.dns_error);
	assert_non_null(strstr(o.detail, "slow.test"));
	spf_outcome_clear(&o);

	/* the published record comes back for hints */
	assert_int_equal(spfc_check(sc, "a@pass.test", "203.0.113.1", &o), 0);
	assert_string_equal(o.record, "v=spf1 ip4:192.0.2.0/24 -all");
	assert_non_null(strstr(o.detail, "does not authorize 203.0.113.1"));
	spf_outcome_clear(&o);
	spfc_free(sc);
}

static void
test_invalid_mapping(void **state)
{
	struct spfc_options o = { .dns_timeout_ms = 2000, .zone_file = "",
	    .libspf2_only = true };
	struct spfc *sc, *raw;
	struct spf_outcome out;
	strbuf err;

	(void)state;
	sb_init(&err);
	raw = spfc_new(&o, &err);
	assert_non_null(raw);
	/* libspf2 alone gives SPF_RESULT_INVALID for both of these */
	assert_int_equal(spfc_zone_add(raw, "syntax.test", "TXT",
	    "v=spf1 ip4:300.1.1.1 -all", &err), 0);
	assert_int_equal(spfc_zone_add(raw, "slow.test", "TIMEOUT", NULL,
	    &err), 0);
	assert_int_equal(spfc_check(raw, "a@slow.test", "192.0.2.1", &out), 0);
	assert_int_equal(out.verdict, SPFV_TEMPERROR);
	assert_true(out.dns_error);
	spf_outcome_clear(&out);
	assert_int_equal(spfc_check(raw, "a@syntax.test", "192.0.2.1", &out),
	    0);
	assert_int_equal(out.verdict, SPFV_PERMERROR);
	assert_false(out.dns_error);
	spf_outcome_clear(&out);
	spfc_free(raw);

	sc = zone_checker(0, 0);
	assert_int_equal(spfc_check(sc, "a@syntax.test", "192.0.2.1", &out),
	    0);
	assert_int_equal(out.verdict, SPFV_PERMERROR);
	assert_non_null(strstr(out.detail, "300.1.1.1"));
	spf_outcome_clear(&out);
	spfc_free(sc);
	sb_free(&err);
}

static void
test_ipv6(void **state)
{
	struct spfc *sc = zone_checker(0, 0);

	(void)state;
	assert_int_equal(verdict(sc, "a@v6.test", "2001:db8::1"), SPFV_PASS);
	assert_int_equal(verdict(sc, "a@v6.test", "2001:db9::1"), SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@v6a.test", "2001:db8:1:2::99"),
	    SPFV_PASS);
	assert_int_equal(verdict(sc, "a@v6a.test", "2001:db8:1:3::10"),
	    SPFV_FAIL);
	/* an IPv4 client given as v4-mapped IPv6 is evaluated as IPv4 */
	assert_int_equal(verdict(sc, "a@pass.test", "::ffff:192.0.2.9"),
	    SPFV_PASS);
	assert_int_equal(verdict(sc, "a@v6.test", "::ffff:192.0.2.9"),
	    SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@gmail-like.test",
	    "2a00:1450:4001::5"), SPFV_PASS);
	spfc_free(sc);
}

/* The address in the detail is the text inet_ntop() gives, whatever the
 * spelling of the input: leading zeros, upper case, where "::" goes,
 * the forms with an embedded IPv4 address. */
static void
test_ipv6_text(void **state)
{
	static const char *const in[] = {
		"2001:DB8:0:0:0:0:0:1", "2001:0db8:0000::0001",
		"2001:db8:0:0:1:0:0:1", "2001:db8:0:1:0:0:0:1",
		"0:0:1:0:0:0:0:1", "1:0:0:0:0:0:0:0", "1::", "1:0:1:0:1:0:1:0",
		"0:1:0:0:1:0:0:0", "FFFF:0:0:ABC:0:0:0:0", "::2", "::1.2.3.4",
		"::0:102:304", "0:0:0:0:0:1:102:304", "2607:f8b0:4864:20::841",
		"2607:F8B0:4864:0020:0000:0000:0000:0841", "::fffe:0:1",
		"1:2:3:4:5:6:7:8", "a:b::c:d:e:f:0",
	};
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome out;
	struct in6_addr a;
	char want[INET6_ADDRSTRLEN + 16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, in[i], &a), 1);
		assert_non_null(inet_ntop(AF_INET6, &a, want, INET6_ADDRSTRLEN));
		strcat(want, " (fail)");
		memset(&out, 0, sizeof(out));
		assert_int_equal(spfc_eval(sc, "a@fail.test", NULL, in[i],
		    &out), 0);
		assert_int_equal(out.verdict, SPFV_FAIL);
		assert_non_null(out.detail);
		if (strstr(out.detail, want) == NULL)
			fail_msg("%s: detail \"%s\" lacks \"%s\"", in[i],
			    out.detail, want);
		spf_outcome_clear(&out);
	}
	spfc_free(sc);
}

static void
test_chains(void **state)
{
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome o;

	(void)state;
	assert_int_equal(verdict(sc, "a@inc.test", "198.51.100.7"), SPFV_PASS);
	assert_int_equal(verdict(sc, "a@inc.test", "198.51.100.9"), SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@red.test", "198.51.100.8"), SPFV_PASS);
	assert_int_equal(verdict(sc, "a@red.test", "198.51.100.9"), SPFV_FAIL);
	/* redirect= is ignored when the record has "all" (RFC 7208 6.1) */
	assert_int_equal(verdict(sc, "a@redall.test", "192.0.2.1"), SPFV_FAIL);
	assert_int_equal(verdict(sc, "a@incnone.test", "192.0.2.1"),
	    SPFV_PERMERROR);
	assert_int_equal(verdict(sc, "a@inctimeout.test", "192.0.2.1"),
	    SPFV_TEMPERROR);
	assert_int_equal(verdict(sc, "a@gmail-like.test", "209.85.220.41"),
	    SPFV_PASS);
	assert_int_equal(spfc_check(sc, "a@gmail-like.test", "203.0.113.5",
	    &o), 0);
	assert_int_equal(o.verdict, SPFV_SOFTFAIL);
	spf_outcome_clear(&o);
	spfc_free(sc);
}

static void
test_wrapper_fixes(void **state)
{
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome o;

	(void)state;
	/* 11 DNS mechanisms counted across include: */
	assert_int_equal(spfc_check(sc, "a@eleven.test", "192.0.2.99", &o), 0);
	assert_int_equal(o.verdict, SPFV_PERMERROR);
	spf_outcome_clear(&o);
	/* three void lookups */
	assert_int_equal(spfc_check(sc, "a@voids.test", "192.0.2.99", &o), 0);
	assert_int_equal(o.verdict, SPFV_PERMERROR);
	assert_non_null(strstr(o.detail, "void"));
	spf_outcome_clear(&o);
	/* valid records libspf2 alone refuses */
	assert_int_equal(verdict(sc, "a@zero.test", "203.0.113.200"),
	    SPFV_PASS);
	assert_int_equal(verdict(sc, "a@mod.test", "192.0.2.1"), SPFV_PASS);
	/* malformed sender domains: none, without a lookup */
	assert_int_equal(verdict(sc, "a@foo..test", "192.0.2.1"), SPFV_NONE);
	assert_int_equal(verdict(sc, "a@localhost", "192.0.2.1"), SPFV_NONE);
	spfc_free(sc);
}

static void
test_inputs(void **state)
{
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome o;

	(void)state;
	assert_int_equal(verdict(sc, "<a@pass.test>", "192.0.2.5"), SPFV_PASS);
	assert_int_equal(verdict(sc, "pass.test", "192.0.2.5"), SPFV_PASS);
	assert_int_equal(verdict(sc, "@pass.test", "192.0.2.5"), SPFV_PASS);
	/* loopback would always pass in libspf2: refused */
	assert_int_equal(spfc_check(sc, "a@fail.test", "127.0.0.1", &o), -1);
	assert_non_null(strstr(o.detail, "loopback"));
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@fail.test", "::1", &o), -1);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@fail.test", "::ffff:127.0.0.1",
	    &o), -1);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@fail.test", "not-an-ip", &o), -1);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "<>", "192.0.2.1", &o), -1);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@fail.test\r\nX: y", "192.0.2.1",
	    &o), -1);
	spf_outcome_clear(&o);
	/* HELO identity for a null sender (spfc_eval) */
	assert_int_equal(spfc_eval(sc, "", "pass.test", "192.0.2.5", &o), 0);
	assert_int_equal(o.verdict, SPFV_PASS);
	spf_outcome_clear(&o);
	spfc_free(sc);
}

/*
 * The per-thread memos of spfcheck.c (the last client address texts, the
 * last sender) answer as a fresh parse does: addresses and senders in
 * turn, more addresses than the memo holds, a sender that differs only
 * in case or in the <> around it, a malformed domain and a refused
 * sender met twice.
 */
static void
test_memos(void **state)
{
	static const struct {
		const char *sender, *ip;
		int rc;
		enum spf_verdict v;
		const char *detail;
	} c[] = {
		{ "a@pass.test", "192.0.2.5", 0, SPFV_PASS,
		    "pass.test authorizes 192.0.2.5" },
		{ "a@pass.test", "198.51.100.1", 0, SPFV_FAIL,
		    "pass.test does not authorize 198.51.100.1 (fail)" },
		{ " <a@fail.test> ", "::ffff:192.0.2.5", 0, SPFV_FAIL,
		    "fail.test does not authorize 192.0.2.5 (fail)" },
		{ "a@fail.test", "2A00:1450:4000::0001", 0, SPFV_FAIL,
		    "fail.test does not authorize 2a00:1450:4000::1 (fail)" },
		{ "A@PASS.TEST", "192.0.2.7", 0, SPFV_PASS,
		    "PASS.TEST authorizes 192.0.2.7" },
		{ "a@pass..test", "192.0.2.7", 0, SPFV_NONE,
		    "malformed domain name: pass..test (RFC 7208 4.3)" },
		{ "a@pass..test", "192.0.2.8", 0, SPFV_NONE,
		    "malformed domain name: pass..test (RFC 7208 4.3)" },
		{ "a@fail.test\r\nX: y", "192.0.2.5", -1, SPFV_NONE,
		    "malformed sender address" },
		{ "a@fail.test\r\nX: y", "192.0.2.5", -1, SPFV_NONE,
		    "malformed sender address" },
		{ "a@pass.test", "127.0.0.1", -1, SPFV_NONE, NULL },
		{ "a@pass.test", "2001:db8::1", 0, SPFV_FAIL,
		    "pass.test does not authorize 2001:db8::1 (fail)" },
	};
	struct spfc *sc = zone_checker(0, 0);
	struct spf_outcome o;
	size_t i, round;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			memset(&o, 0, sizeof(o));
			assert_int_equal(spfc_eval(sc, c[i].sender, NULL,
			    c[i].ip, &o), c[i].rc);
			assert_non_null(o.detail);
			if (c[i].rc == 0)
				assert_int_equal(o.verdict, c[i].v);
			if (c[i].detail != NULL &&
			    strcmp(o.detail, c[i].detail) != 0)
				fail_msg("round %zu, %s at %s: \"%s\", not "
				    "\"%s\"", round, c[i].sender, c[i].ip,
				    o.detail, c[i].detail);
			spf_outcome_clear(&o);
		}
	}
	spfc_free(sc);
}

static void
test_cache_hit_no_lookup(void **state)
{
	struct spfc *sc = zone_checker(3600, 100);
	struct spf_outcome o;
	unsigned long q;

	(void)state;
	assert_int_equal(spfc_check(sc, "a@inc.test", "198.51.100.7", &o), 0);
	assert_int_equal(o.verdict, SPFV_PASS);
	assert_false(o.cached);
	assert_true(o.dns_queries >= 3);
	spf_outcome_clear(&o);
	q = spfc_dns_queries(sc);
	/* same domain, other local part, other case: a hit */
	assert_int_equal(spfc_check(sc, "B@INC.test", "198.51.100.7", &o), 0);
	assert_int_equal(o.verdict, SPFV_PASS);
	assert_true(o.cached);
	assert_int_equal(o.dns_queries, 0);
	assert_string_equal(o.record, "v=spf1 include:inc1.test -all");
	spf_outcome_clear(&o);
	assert_int_equal(spfc_dns_queries(sc), q);
	/* another address is another entry */
	assert_int_equal(spfc_check(sc, "a@inc.test", "198.51.100.8", &o), 0);
	assert_false(o.cached);
	assert_true(spfc_dns_queries(sc) > q);
	spf_outcome_clear(&o);
	spfc_free(sc);
}

static void
test_cache_expiry(void **state)
{
	struct spfc *sc = zone_checker(60, 100);
	struct spf_outcome o;
	unsigned long q;

	(void)state;
	clock_now = 1000;
	assert_int_equal(spfc_check(sc, "a@pass.test", "192.0.2.1", &o), 0);
	spf_outcome_clear(&o);
	clock_now = 1059;
	assert_int_equal(spfc_check(sc, "a@pass.test", "192.0.2.1", &o), 0);
	assert_true(o.cached);
	spf_outcome_clear(&o);
	q = spfc_dns_queries(sc);
	clock_now = 1060;
	assert_int_equal(spfc_check(sc, "a@pass.test", "192.0.2.1", &o), 0);
	assert_false(o.cached);
	assert_int_equal(o.verdict, SPFV_PASS);
	assert_true(spfc_dns_queries(sc) > q);
	spf_outcome_clear(&o);
	/* temperror is not cached */
	assert_int_equal(spfc_check(sc, "a@slow.test", "192.0.2.1", &o), 0);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@slow.test", "192.0.2.1", &o), 0);
	assert_false(o.cached);
	assert_int_equal(o.verdict, SPFV_TEMPERROR);
	spf_outcome_clear(&o);
	clock_now = 1000;
	spfc_free(sc);
}

static void
test_cache_bound(void **state)
{
	struct spfc *sc = zone_checker(3600, 2);
	struct spf_outcome o;

	(void)state;
	assert_int_equal(verdict(sc, "a@pass.test", "192.0.2.1"), SPFV_PASS);
	assert_int_equal(verdict(sc, "a@fail.test", "192.0.2.1"), SPFV_FAIL);
	/* touch pass.test: fail.test becomes the oldest */
	assert_int_equal(spfc_check(sc, "a@pass.test", "192.0.2.1", &o), 0);
	assert_true(o.cached);
	spf_outcome_clear(&o);
	assert_int_equal(verdict(sc, "a@soft.test", "192.0.2.1"),
	    SPFV_SOFTFAIL);
	assert_int_equal(spfc_cache_size(sc), 2);
	assert_int_equal(spfc_check(sc, "a@pass.test", "192.0.2.1", &o), 0);
	assert_true(o.cached);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@fail.test", "192.0.2.1", &o), 0);
	assert_false(o.cached);		/* evicted */
	spf_outcome_clear(&o);
	assert_int_equal(spfc_cache_size(sc), 2);
	spfc_free(sc);
}

/* Did spfc_check() answer from the cache? */
static bool
cached(struct spfc *sc, const char *sender, const char *ip)
{
	struct spf_outcome o;
	bool hit;

	assert_int_equal(spfc_check(sc, sender, ip, &o), 0);
	hit = o.cached;
	spf_outcome_clear(&o);
	return hit;
}

/* A hit on the most recent entry (which leaves the list alone) keeps it
 * the most recent: the other one is evicted. */
static void
test_cache_head_hit(void **state)
{
	struct spfc *sc = zone_checker(3600, 2);

	(void)state;
	assert_false(cached(sc, "a@pass.test", "192.0.2.1"));
	assert_false(cached(sc, "a@fail.test", "192.0.2.1"));
	assert_true(cached(sc, "a@pass.test", "192.0.2.1"));	/* to head */
	assert_true(cached(sc, "a@pass.test", "192.0.2.1"));	/* at head */
	assert_false(cached(sc, "a@soft.test", "192.0.2.1"));	/* - fail */
	assert_true(cached(sc, "a@pass.test", "192.0.2.1"));
	assert_true(cached(sc, "a@pass.test", "192.0.2.1"));
	assert_false(cached(sc, "a@fail.test", "192.0.2.1"));	/* - soft */
	assert_true(cached(sc, "a@pass.test", "192.0.2.1"));
	assert_false(cached(sc, "a@soft.test", "192.0.2.1"));	/* - fail */
	assert_true(cached(sc, "a@soft.test", "192.0.2.1"));	/* at head */
	assert_false(cached(sc, "a@fail.test", "192.0.2.1"));	/* - pass */
	assert_true(cached(sc, "a@soft.test", "192.0.2.1"));
	assert_int_equal(spfc_cache_size(sc), 2);
	spfc_free(sc);
}

/* The cache key from the remembered sender (its domain in lower case):
 * case variants share an entry, other domains and addresses do not. */
static void
test_cache_key_memo(void **state)
{
	struct spfc *sc = zone_checker(3600, 100);

	(void)state;
	assert_false(cached(sc, "a@pass.test", "192.0.2.1"));
	assert_true(cached(sc, "A@PASS.TEST", "192.0.2.1"));
	assert_true(cached(sc, "A@PASS.TEST", "192.0.2.1"));
	assert_false(cached(sc, "a@fail.test", "192.0.2.1"));
	assert_true(cached(sc, "<A@Fail.Test>", "192.0.2.1"));
	assert_false(cached(sc, "A@Fail.Test", "192.0.2.2"));
	assert_true(cached(sc, "b@pass.test", "192.0.2.1"));
	assert_false(cached(sc, "b@pass.test", "2001:db8::1"));
	assert_true(cached(sc, "a@PASS.test", "2001:DB8::1"));
	assert_int_equal(spfc_cache_size(sc), 4);
	spfc_free(sc);
}

static void
test_cache_local_part(void **state)
{
	struct spfc *sc = zone_checker(3600, 100);
	struct spf_outcome o;

	(void)state;
	/* the record uses %{l}: the verdict depends on the local part */
	assert_int_equal(verdict(sc, "alice@local.test", "192.0.2.1"),
	    SPFV_PASS);
	assert_int_equal(spfc_check(sc, "bob@local.test", "192.0.2.1", &o), 0);
	assert_false(o.cached);
	assert_int_equal(o.verdict, SPFV_FAIL);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "alice@local.test", "192.0.2.1", &o),
	    0);
	assert_true(o.cached);
	assert_int_equal(o.verdict, SPFV_PASS);
	spf_outcome_clear(&o);
	/* the keys are in lower case */
	assert_int_equal(spfc_check(sc, "<ALICE@Local.TEST>", "192.0.2.1",
	    &o), 0);
	assert_true(o.cached);
	assert_int_equal(o.verdict, SPFV_PASS);
	spf_outcome_clear(&o);
	spfc_free(sc);
}

/* A sender longer than evaluate()'s stack buffers: the same verdicts, the
 * second one from the cache under the sender's key. */
static void
test_cache_long_sender(void **state)
{
	struct spfc *sc = zone_checker(3600, 100);
	struct spf_outcome o, o2;
	char sender[600];

	(void)state;
	memset(sender, 'x', 500);
	strcpy(sender + 500, "@local.test");
	assert_int_equal(spfc_check(sc, sender, "192.0.2.1", &o), 0);
	assert_false(o.cached);
	assert_int_equal(spfc_check(sc, sender, "192.0.2.1", &o2), 0);
	assert_int_equal(o2.verdict, o.verdict);
	assert_string_equal(o2.detail, o.detail);
	assert_true(o2.cached);
	spf_outcome_clear(&o);
	spf_outcome_clear(&o2);
	spfc_free(sc);
}

struct worker {
	struct spfc	*sc;
	int		 bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	static const struct {
		const char	*s, *ip;
		enum spf_verdict v;
	} cases[] = {
		{ "a@pass.test", "192.0.2.1", SPFV_PASS },
		{ "a@inc.test", "198.51.100.7", SPFV_PASS },
		{ "a@red.test", "198.51.100.9", SPFV_FAIL },
		{ "a@slow.test", "192.0.2.1", SPFV_TEMPERROR },
		{ "a@v6.test", "2001:db8::5", SPFV_PASS },
		{ "a@voids.test", "192.0.2.99", SPFV_PERMERROR },
		{ "a@soft.test", "192.0.2.1", SPFV_SOFTFAIL },
	};
	struct spf_outcome o;
	int i;

	for (i = 0; i < 300; i++) {
		size_t k = (size_t)i % (sizeof(cases) / sizeof(cases[0]));

		if (spfc_check(w->sc, cases[k].s, cases[k].ip, &o) != 0 ||
		    o.verdict != cases[k].v)
			w->bad++;
		spf_outcome_clear(&o);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct spfc *sc = zone_checker(3600, 3);	/* churn the LRU */
	pthread_t t[8];
	struct worker w[8];
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		w[i].sc = sc;
		w[i].bad = 0;
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]),
		    0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].bad, 0);
	}
	assert_true(spfc_cache_size(sc) <= 3);
	spfc_free(sc);
}

static void
test_error_handler(void **state)
{
	strbuf msg;

	(void)state;
	sb_init(&msg);
	assert_int_equal(spfc_selftest_error_handler(&msg), 0);
	assert_non_null(strstr(msg.s, "libspf2"));
	sb_free(&msg);
}

static void
test_zone_file(void **state)
{
	char path[] = "/tmp/test_spfcheck_zoneXXXXXX";
	const char *text = "# comment\n"
	    "\n"
	    "e\\x78.test TXT v=spf1\\x20a:h\\\\.ex.test -all\n"
	    "h\\\\.ex.test A 192.0.2.77\n";
	struct spfc_options o = { .zone_file = path };
	struct spfc *sc;
	strbuf err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	sb_init(&err);
	sc = spfc_new(&o, &err);
	assert_non_null(sc);
	assert_int_equal(verdict(sc, "a@ex.test", "192.0.2.77"), SPFV_PASS);
	spfc_free(sc);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "ok.test A 192.0.2.1\nbad.test A 1.2.3\n",
	    37), 37);
	close(fd);
	sb_reset(&err);
	assert_null(spfc_new(&o, &err));
	assert_non_null(strstr(err.s, ":2: "));
	unlink(path);
	sb_free(&err);
}

/* ---------------------------------------------------- fake name servers */

enum fake_mode { FAKE_SILENT, FAKE_TRUNCATE, FAKE_ANSWER };

struct fake {
	int		 udp, tcp;
	unsigned short	 port;
	enum fake_mode	 mode;
	const char	*txt;	/* TXT answer (FAKE_ANSWER) */
	size_t		 txtlen;
	int		 stop[2];
	pthread_t	 th;
};

static size_t
fake_reply(struct fake *f, const unsigned char *q, size_t qn,
    unsigned char *r)
{
	size_t qend = 12;

	while (qend < qn && q[qend] != 0)
		qend += q[qend] + 1u;
	qend += 5;
	memcpy(r, q, qend);
	r[2] = 0x81;	/* QR, RD */
	r[3] = 0x80;	/* RA, NOERROR */
	r[6] = r[7] = r[8] = r[9] = r[10] = r[11] = 0;
	if (f->mode == FAKE_TRUNCATE) {
		r[2] |= 0x02;
		return qend;
	}
	r[7] = 1;
	r[qend++] = 0xc0;	/* name: pointer to the question */
	r[qend++] = 12;
	r[qend++] = 0; r[qend++] = ns_t_txt;
	r[qend++] = 0; r[qend++] = ns_c_in;
	r[qend++] = 0; r[qend++] = 0; r[qend++] = 0x0e; r[qend++] = 0x10;
	r[qend++] = 0; r[qend++] = (unsigned char)(f->txtlen + 1);
	r[qend++] = (unsigned char)f->txtlen;
	memcpy(r + qend, f->txt, f->txtlen);
	return qend + f->txtlen;
}

static void *
fake_run(void *arg)
{
	struct fake *f = arg;
	unsigned char q[1500], r[1500];
	struct sockaddr_storage from;
	socklen_t fl;
	struct pollfd pfd[3] = {
		{ .fd = f->udp, .events = POLLIN },
		{ .fd = f->tcp, .events = POLLIN },
		{ .fd = f->stop[0], .events = POLLIN },
	};
	int held[16], nheld = 0;

	for (;;) {
		if (poll(pfd, 3, -1) <= 0 || pfd[2].revents)
			break;
		if (pfd[0].revents) {
			ssize_t n;

			fl = sizeof(from);
			n = recvfrom(f->udp, q, sizeof(q), 0,
			    (struct sockaddr *)&from, &fl);
			if (n > 12 && f->mode != FAKE_SILENT) {
				size_t rn = fake_reply(f, q, (size_t)n, r);

				sendto(f->udp, r, rn, 0,
				    (struct sockaddr *)&from, fl);
			}
		}
		if (pfd[1].revents) {
			/* accept and say nothing: the client must give up */
			int c = accept(f->tcp, NULL, NULL);

			if (c >= 0 && nheld < 16)
				held[nheld++] = c;
			else if (c >= 0)
				close(c);
		}
	}
	while (nheld > 0)
		close(held[--nheld]);
	return NULL;
}

static void
fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	f->mode = mode;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f->udp >= 0);
	assert_int_equal(bind(f->udp, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(f->udp, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	f->tcp = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(f->tcp >= 0);
	assert_int_equal(bind(f->tcp, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->tcp, 8), 0);
	assert_int_equal(pipe(f->stop), 0);
	assert_int_equal(pthread_create(&f->th, NULL, fake_run, f), 0);
}

static void
fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->th, NULL);
	close(f->udp);
	close(f->tcp);
	close(f->stop[0]);
	close(f->stop[1]);
}

static struct spfc *
net_checker(struct fake *f, unsigned timeout_ms)
{
	char ns[64];
	struct spfc_options o = { .dns_timeout_ms = timeout_ms,
	    .cache_ttl = 3600, .cache_max = 10, .nameservers = ns };
	struct spfc *sc;
	strbuf err;

	snprintf(ns, sizeof(ns), "127.0.0.1#%u", f->port);
	sb_init(&err);
	sc = spfc_new(&o, &err);
	if (sc == NULL)
		fail_msg("%s", err.s);
	sb_free(&err);
	return sc;
}

/* The deadline bounds the wall time of an evaluation whatever the server
 * does. The bound is asserted with a wide margin: a correctness property
 * (no unbounded wait), not a speed figure. */
static void
test_deadline_silent_udp(void **state)
{
	struct fake f;
	struct spfc *sc;
	struct spf_outcome o;
	uint64_t t0, el;

	(void)state;
	fake_start(&f, FAKE_SILENT);
	sc = net_checker(&f, 400);
	t0 = mono_ms();
	assert_int_equal(spfc_check(sc, "a@example.com", "192.0.2.1", &o), 0);
	el = mono_ms() - t0;
	assert_int_equal(o.verdict, SPFV_TEMPERROR);
	assert_true(o.dns_error);
	assert_non_null(strstr(o.detail, "timeout"));
	assert_true(el >= 350);
	assert_true(el < 400 + 1500);
	spf_outcome_clear(&o);
	spfc_free(sc);
	fake_stop(&f);
}

static void
test_deadline_silent_tcp(void **state)
{
	struct fake f;
	struct spfc *sc;
	struct spf_outcome o;
	uint64_t t0, el;

	(void)state;
	fake_start(&f, FAKE_TRUNCATE);	/* UDP says "truncated", TCP hangs */
	sc = net_checker(&f, 400);
	t0 = mono_ms();
	assert_int_equal(spfc_check(sc, "a@example.com", "192.0.2.1", &o), 0);
	el = mono_ms() - t0;
	assert_int_equal(o.verdict, SPFV_TEMPERROR);
	assert_true(o.dns_error);
	assert_true(el < 400 + 1500);
	spf_outcome_clear(&o);
	spfc_free(sc);
	fake_stop(&f);
}

static void
test_network_answer(void **state)
{
	static const char nul_rec[] = "v=spf1 a:foo.example.com\0 -all";
	struct fake f;
	struct spfc *sc;
	struct spf_outcome o;

	(void)state;
	f.txt = "v=spf1 ip4:192.0.2.0/24 -all";
	f.txtlen = strlen(f.txt);
	fake_start(&f, FAKE_ANSWER);
	sc = net_checker(&f, 2000);
	assert_int_equal(spfc_check(sc, "a@example.com", "192.0.2.1", &o), 0);
	assert_int_equal(o.verdict, SPFV_PASS);
	spf_outcome_clear(&o);
	assert_int_equal(spfc_check(sc, "a@example.com", "198.51.100.1", &o),
	    0);
	assert_int_equal(o.verdict, SPFV_FAIL);
	spf_outcome_clear(&o);
	spfc_free(sc);
	fake_stop(&f);

	/* a NUL byte inside the record (rfc7208 a-null): permerror */
	f.txt = nul_rec;
	f.txtlen = sizeof(nul_rec) - 1;
	fake_start(&f, FAKE_ANSWER);
	sc = net_checker(&f, 2000);
	assert_int_equal(spfc_check(sc, "a@example.com", "192.0.2.1", &o), 0);
	assert_int_equal(o.verdict, SPFV_PERMERROR);
	assert_non_null(strstr(o.detail, "NUL"));
	spf_outcome_clear(&o);
	spfc_free(sc);
	fake_stop(&f);
}

static void
test_nameserver_list(void **state)
{
	struct spfc_options o = { .nameservers = "192.0.2.1#99999" };
	struct spfc_options o2 = { .resolv_conf = "/nonexistent/resolv" };
	strbuf err;
	struct spfc *sc;

	(void)state;
	sb_init(&err);
	assert_null(spfc_new(&o, &err));
	assert_non_null(strstr(err.s, "192.0.2.1#99999"));
	sb_reset(&err);
	/* no resolv.conf: the C library's default, 127.0.0.1 */
	sc = spfc_new(&o2, &err);
	assert_non_null(sc);
	spfc_free(sc);
	sb_free(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_result),
		cmocka_unit_test(test_invalid_mapping),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_chains),
		cmocka_unit_test(test_wrapper_fixes),
		cmocka_unit_test(test_inputs),
		cmocka_unit_test(test_memos),
		cmocka_unit_test(test_cache_hit_no_lookup),
		cmocka_unit_test(test_cache_expiry),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_cache_head_hit),
		cmocka_unit_test(test_cache_key_memo),
		cmocka_unit_test(test_cache_local_part),
		cmocka_unit_test(test_cache_long_sender),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_error_handler),
		cmocka_unit_test(test_ipv6_text),
		cmocka_unit_test(test_zone_file),
		cmocka_unit_test(test_deadline_silent_udp),
		cmocka_unit_test(test_deadline_silent_tcp),
		cmocka_unit_test(test_network_answer),
		cmocka_unit_test(test_nameserver_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
