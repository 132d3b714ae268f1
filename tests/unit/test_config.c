/*
 * test_config.c - the option table, the parser's types and file:line errors,
 * and the sample configuration in conf/ against the table
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "config.h"
#include "util.h"

static struct rm_config *
load_ok(const char *text)
{
	struct rm_config *cfg = NULL;
	strbuf err;
	const char *p = tu_write("ok.conf", text, 0644);

	sb_init(&err);
	if (config_load(p, &cfg, &err) != 0)
		fail_msg("config did not load: %s", err.s);
	sb_free(&err);
	return cfg;
}

static void
load_bad(const char *text, const char *want)
{
	struct rm_config *cfg = NULL;
	strbuf err;
	const char *p = tu_write("bad.conf", text, 0644);
	char full[1024];

	sb_init(&err);
	if (config_load(p, &cfg, &err) == 0)
		fail_msg("config '%s' loaded but should not", text);
	assert_null(cfg);
	snprintf(full, sizeof(full), "%s:%s", p, want);
	if (strstr(err.s, full) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, full);
	sb_free(&err);
}

static void
test_defaults(void **state)
{
	struct rm_config *c = config_defaults();

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->socket, "local:/run/relaymilter/relaymilter.sock");
	assert_int_equal(c->umask, 07);
	assert_true(c->syslog);
	assert_true(c->trust_authenticated);
	assert_false(c->dry_run);
	assert_int_equal(c->on_internal_error, ON_TEMPFAIL);
	assert_int_equal(c->on_dns_error, ON_ACCEPT);
	assert_int_equal(c->rewrite_header_from, HFROM_NO);
	assert_int_equal(c->spf_fail_action, ACT_TAG);
	assert_int_equal(c->dns_timeout, 2);
	assert_int_equal(c->spf_cache_ttl, 3600);
	assert_int_equal(c->relay_mailers.n, 5);
	assert_string_equal(c->relay_mailers.v[0], "relay");
	assert_int_equal(c->trusted_networks.n, 2);
	assert_string_equal(c->trace_header, "X-Relay-Trace");
	config_free(c);
}

static void
test_types(void **state)
{
	struct rm_config *c = load_ok(
	    "# comment\n"
	    "  socket   inet:8891@127.0.0.1   # trailing comment\n"
	    "UMask 027\n"
	    "DryRun Yes\n"
	    "TrustAuthenticated off\n"
	    "SPFCacheTTL 90m\n"
	    "DNSTimeout 5s\n"
	    "SPFCacheSize 100\n"
	    "RewriteHeaderFrom UNALIGNED\n"
	    "On-InternalError accept\n"
	    "RelayAccount acct@gmail.com\n"
	    "TrustedNetworks 10.0.0.0/8, 192.168.1.0/24\n"
	    "TrustedNetworks 2001:db8::/32\n"
	    "AllowedSenders\n");

	(void)state;
	assert_string_equal(c->socket, "inet:8891@127.0.0.1");
	assert_int_equal(c->umask, 027);
	assert_true(c->dry_run);
	assert_false(c->trust_authenticated);
	assert_int_equal(c->spf_cache_ttl, 5400);
	assert_int_equal(c->dns_timeout, 5);
	assert_int_equal(c->spf_cache_size, 100);
	assert_int_equal(c->rewrite_header_from, HFROM_UNALIGNED);
	assert_int_equal(c->on_internal_error, ON_ACCEPT);
	assert_string_equal(c->relay_account, "acct@gmail.com");
	/* a list in the file replaces its default, then accumulates */
	assert_int_equal(c->trusted_networks.n, 3);
	assert_string_equal(c->trusted_networks.v[2], "2001:db8::/32");
	assert_int_equal(c->line[OPT_SOCKET], 2);
	assert_int_equal(c->line[OPT_TRUSTEDNETWORKS], 13);
	assert_int_equal(c->line[OPT_PIDFILE], 0);
	config_free(c);
}

static void
test_errors(void **state)
{
	(void)state;
	load_bad("Socket x\nFoo bar\n", "2: unknown option 'Foo'");
	load_bad("SokcetX y\n", "1: unknown option 'SokcetX'");
	load_bad("Sockte y\n", "1: unknown option 'Sockte' (did you mean "
	    "Socket?)");
	load_bad("\n\nDryRun maybe\n", "3: DryRun: 'maybe' is not yes or no");
	load_bad("UMask 999\n", "1: UMask: '999' is not a valid octal");
	load_bad("DNSTimeout 1h\n", "1: DNSTimeout: '1h' is not a valid "
	    "duration (at most 30 seconds)");
	load_bad("SPFCacheSize -1\n", "1: SPFCacheSize: '-1' is not a valid");
	load_bad("RewriteHeaderFrom sometimes\n", "1: RewriteHeaderFrom: "
	    "'sometimes' is not one of: no, yes, unaligned");
	load_bad("Socket a\nSocket b\n", "2: Socket is already set at line 1");
	load_bad("RelayAccount notanaddress\n", "1: RelayAccount: "
	    "'notanaddress' is not a full e-mail address");
	load_bad("SenderMap relative/path\n", "1: SenderMap needs an absolute "
	    "path");
	load_bad("DryRun\n", "1: DryRun needs a value");
}

static void
test_unreadable(void **state)
{
	struct rm_config *cfg;
	strbuf err;

	(void)state;
	sb_init(&err);
	assert_int_equal(config_load("/nonexistent/relaymilter.conf", &cfg,
	    &err), -1);
	assert_non_null(strstr(err.s, "/nonexistent/relaymilter.conf: cannot "
	    "read"));
	sb_free(&err);
}

static void
test_table_is_consistent(void **state)
{
	const struct opt_desc *o;
	size_t n, i, j;

	(void)state;
	o = config_options(&n);
	assert_int_equal(n, OPT_COUNT);
	for (i = 0; i < n; i++) {
		assert_non_null(o[i].doc);
		assert_true(strlen(o[i].doc) > 10);
		assert_ptr_equal(config_option(o[i].name), &o[i]);
		if (o[i].type == OT_ENUM)
			assert_non_null(o[i].values);
		for (j = i + 1; j < n; j++)
			assert_false(str_ieq(o[i].name, o[j].name));
	}
}

/* conf/relaymilter.conf documents every option with its default, and
 * loads (its active lines use real option names). */
static void
test_sample_config(void **state)
{
	const struct opt_desc *o;
	char *buf, line[512];
	size_t n, i, len;
	const char *srcdir = getenv("SRCDIR") ? getenv("SRCDIR") : ".";
	char path[512];
	struct rm_config *cfg;
	strbuf err;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/relaymilter.conf", srcdir);
	if (read_file(path, &buf, &len) != 0)
		fail_msg("cannot read %s", path);
	o = config_options(&n);
	for (i = 0; i < n; i++) {
		if (*o[i].def != '\0')
			snprintf(line, sizeof(line), "\n#%s %s\n", o[i].name,
			    o[i].def);
		else
			snprintf(line, sizeof(line), "\n#%s\n", o[i].name);
		if (strstr(buf, line) == NULL)
			fail_msg("%s does not document '%s' with its default "
			    "(expected a line '%s')", path, o[i].name,
			    line + 1);
	}
	free(buf);
	sb_init(&err);
	if (config_load(path, &cfg, &err) != 0)
		fail_msg("the sample does not load: %s", err.s);
	config_free(cfg);
	sb_free(&err);
}

static void
test_value_text(void **state)
{
	struct rm_config *c = config_defaults();
	strbuf sb;

	(void)state;
	sb_init(&sb);
	config_value_text(c, config_option("RelayMailers"), &sb);
	assert_string_equal(sb.s, "relay esmtp smtp smtp8 dsmtp");
	sb_reset(&sb);
	config_value_text(c, config_option("UMask"), &sb);
	assert_string_equal(sb.s, "007");
	sb_free(&sb);
	config_free(c);
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
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_table_is_consistent),
		cmocka_unit_test(test_sample_config),
		cmocka_unit_test(test_value_text),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
