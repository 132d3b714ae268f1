/*
 * test_rview.c - what the recipient's MX sees per relay profile (rview.h)
 *
 * CONTRACT
 *	One case per rule of rview.h: Gmail forces the account and replaces
 *	a From: that is not a verified alias, consumer accounts are signed
 *	d=gmail.com, Workspace accounts with their domain (RelayDKIM
 *	account) or *.gappssmtp.com; smtp-relay keeps ours and signs by the
 *	envelope domain; SendGrid's bounce domain (RelayBounceDomain in the
 *	From: domain's organization, else sendgrid.net) and signature; a
 *	passthrough relay keeps everything and signs only per RelayDKIM;
 *	auto by the smarthost's name; a profile that is not modelled keeps
 *	relaymilter's envelope and From:.
 */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "policy.h"
#include "rview.h"
#include "snapshot.h"
#include "util.h"

static struct rm_snapshot *
snap(const char *conf)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn, text;
	const char *path;

	sb_init(&text);
	sb_printf(&text, "TraceHeader\n%s", conf);
	path = tu_write("rview.conf", text.s, 0644);
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
		fail_msg("snapshot: %s", err.s);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&text);
	return s;
}

/* The view of a message: decision final/account, relay, From: value. */
static void
view(const char *conf, const char *account, const char *final,
    const char *relay, const char *from, struct rview *v)
{
	struct rm_snapshot *s = snap(conf);
	struct decision d;

	memset(&d, 0, sizeof(d));
	d.action = DECIDE_REWRITE;
	d.relayed = true;
	d.orig = strdup("www@web.example.lan");
	d.final = strdup(final);
	d.account = account ? strdup(account) : NULL;
	d.relay = strdup(relay);
	if (rview_build(s, &d, from, from ? 1 : 0, v) != 0)
		fail_msg("rview_build failed");
	decision_free(&d);
	snapshot_unref(s);
}

#define S(a, b) do {							\
	if ((a) == NULL || (b) == NULL ? (a) != (b) : strcmp((a), (b)) != 0) \
		fail_msg("line %d: %s is \"%s\", want \"%s\"", __LINE__, #a, \
		    (a) ? (a) : "(null)", (b) ? (b) : "(null)");	\
} while (0)

static void
test_gmail(void **state)
{
	struct rview v;

	(void)state;
	/* consumer: From: not the account nor an alias is replaced */
	view("", "alerts@gmail.com", "alerts@gmail.com", "[smtp.gmail.com]",
	    "Web <www@web.example.lan>", &v);
	S(v.prof->id, "gmail");
	assert_true(v.auto_profile);
	assert_true(v.modelled);
	S(v.env, "alerts@gmail.com");
	S(v.env_domain, "gmail.com");
	S(v.from, "alerts@gmail.com");
	assert_true(v.from_replaced);
	S(v.dkim_d, "gmail.com");
	assert_true(v.own_key);
	rview_free(&v);
	/* a verified alias (AllowedSenders) is kept in From:, the envelope
	 * is still the account, the signature still gmail.com */
	view("AllowedSenders billing@alias.example\n", "alerts@gmail.com",
	    "billing@alias.example", "[smtp.gmail.com]",
	    "<billing@alias.example>", &v);
	S(v.env, "alerts@gmail.com");
	S(v.from, "billing@alias.example");
	S(v.from_domain, "alias.example");
	assert_false(v.from_replaced);
	S(v.dkim_d, "gmail.com");
	rview_free(&v);
	/* an @domain entry covers every address of the domain */
	view("AllowedSenders @alias.example\n", "alerts@gmail.com",
	    "alerts@gmail.com", "[smtp.gmail.com]", "x@ALIAS.example", &v);
	S(v.from, "x@alias.example");
	rview_free(&v);
	/* Workspace, DKIM off: Google's default key, named after the domain */
	view("", "alerts@ws.example", "alerts@ws.example", "[smtp.gmail.com]",
	    "alerts@ws.example", &v);
	S(v.dkim_d, "ws-example.20230601.gappssmtp.com");
	assert_true(v.own_key);
	rview_free(&v);
	/* Workspace, DKIM on for the account's domain */
	view("RelayDKIM account\n", "alerts@ws.example", "alerts@ws.example",
	    "[smtp.gmail.com]", "alerts@app.ws.example", &v);
	S(v.dkim_d, "ws.example");
	S(v.dkim_sel, "google");
	assert_false(v.own_key);
	S(v.from, "alerts@ws.example");		/* not an alias: replaced */
	rview_free(&v);
	/* an explicit domain applies only when it is the account's */
	view("RelayDKIM other.example:sel1 ws.example:custom\n",
	    "alerts@ws.example", "alerts@ws.example", "[smtp.gmail.com]",
	    NULL, &v);
	S(v.dkim_d, "ws.example");
	S(v.dkim_sel, "custom");
	assert_null(v.from);
	rview_free(&v);
	/* "none": no signature at all */
	view("RelayDKIM none\n", "alerts@ws.example", "alerts@ws.example",
	    "[smtp.gmail.com]", NULL, &v);
	assert_null(v.dkim_d);
	rview_free(&v);
	/* a consumer account is signed d=gmail.com whatever RelayDKIM says */
	view("RelayDKIM none\n", "alerts@gmail.com", "alerts@gmail.com",
	    "[smtp.gmail.com]", NULL, &v);
	S(v.dkim_d, "gmail.com");
	rview_free(&v);
	/* no account address: ours */
	view("", NULL, "www@web.example.lan", "[smtp.gmail.com]",
	    "www@web.example.lan", &v);
	S(v.env, "www@web.example.lan");
	S(v.from, "www@web.example.lan");
	assert_false(v.from_replaced);
	rview_free(&v);
	/* RelayProfile gmail for a stand-in's name */
	view("RelayProfile gmail\n", "alerts@gmail.com", "alerts@gmail.com",
	    "[smtp.gmail.test]", "x@y.example", &v);
	S(v.prof->id, "gmail");
	assert_false(v.auto_profile);
	S(v.from, "alerts@gmail.com");
	rview_free(&v);
}

static void
test_google_relay(void **state)
{
	struct rview v;

	(void)state;
	view("RelayDKIM account\n", NULL, "alerts@relay.example",
	    "[smtp-relay.gmail.com]", "Cron <root@host.example>", &v);
	S(v.prof->id, "workspace-relay");
	S(v.env, "alerts@relay.example");
	S(v.from, "root@host.example");
	S(v.dkim_d, "relay.example");
	S(v.dkim_sel, "google");
	rview_free(&v);
	view("", NULL, "alerts@relay.example", "[smtp-relay.gmail.com]",
	    NULL, &v);
	S(v.dkim_d, "relay-example.20230601.gappssmtp.com");
	rview_free(&v);
}

static void
test_sendgrid(void **state)
{
	struct rview v;
	const char *conf = "RelayBounceDomain em1234.auth.example\n"
	    "RelayDKIM auth.example\n";

	(void)state;
	/* authenticated: its return path, its signature (s1 by default) */
	view(conf, "apikey", "news@auth.example", "[smtp.sendgrid.net]",
	    "News <news@auth.example>", &v);
	S(v.prof->id, "sendgrid");
	assert_null(v.env);
	S(v.env_domain, "em1234.auth.example");
	S(v.from, "news@auth.example");
	S(v.dkim_d, "auth.example");
	S(v.dkim_sel, "s1");
	rview_free(&v);
	/* a subdomain of the authenticated domain */
	view(conf, "apikey", "news@auth.example", "[smtp.sendgrid.net]",
	    "news@mail.auth.example", &v);
	S(v.env_domain, "em1234.auth.example");
	S(v.dkim_d, "auth.example");
	rview_free(&v);
	/* not authenticated: sendgrid.net, its own signature */
	view(conf, "apikey", "news@plain.example", "[smtp.sendgrid.net]",
	    "news@plain.example", &v);
	S(v.env_domain, "sendgrid.net");
	S(v.dkim_d, "sendgrid.net");
	assert_true(v.own_key);
	rview_free(&v);
	/* "from": every From: domain is authenticated */
	view("RelayProfile sendgrid\nRelayDKIM from:s2\n", NULL,
	    "a@b.example", "[smtp.sendgrid.test]", "a@b.example", &v);
	S(v.dkim_d, "b.example");
	S(v.dkim_sel, "s2");
	rview_free(&v);
}

static void
test_passthrough(void **state)
{
	struct rview v;

	(void)state;
	/* an unknown smarthost passes the message on */
	view("", "outbound@lr.example", "outbound@lr.example",
	    "[james.local.test]", "Cron <root@mta.test>", &v);
	S(v.prof->id, "passthrough");
	assert_true(v.modelled);
	S(v.env, "outbound@lr.example");
	S(v.from, "root@mta.test");
	assert_null(v.dkim_d);
	rview_free(&v);
	/* a signer after relaymilter, for lr.example and below */
	view("RelayDKIM lr.example:mail\n", "outbound@lr.example",
	    "outbound@lr.example", "[james.local.test]", "a@sub.lr.example",
	    &v);
	S(v.dkim_d, "lr.example");
	S(v.dkim_sel, "mail");
	rview_free(&v);
	view("RelayDKIM lr.example:mail\n", "outbound@lr.example",
	    "outbound@lr.example", "[james.local.test]", "a@other.example",
	    &v);
	assert_null(v.dkim_d);
	rview_free(&v);
	/* the From: rewrite of relaymilter is what leaves */
	{
		struct rm_snapshot *s = snap("");
		struct decision d;

		memset(&d, 0, sizeof(d));
		d.action = DECIDE_REWRITE;
		d.final = strdup("outbound@lr.example");
		d.relay = strdup("[james.local.test]");
		d.from_rewrite = true;
		assert_int_equal(rview_build(s, &d, "x@y.example", 1, &v), 0);
		S(v.from, "outbound@lr.example");
		rview_free(&v);
		decision_free(&d);
		snapshot_unref(s);
	}
}

static void
test_not_modelled(void **state)
{
	struct rview v;

	(void)state;
	view("", "me@contoso.example", "me@contoso.example",
	    "[smtp.office365.com]", "x@y.example", &v);
	S(v.prof->id, "microsoft365");
	assert_false(v.modelled);
	S(v.env, "me@contoso.example");
	S(v.from, "x@y.example");
	assert_null(v.dkim_d);
	rview_free(&v);
}

static void
test_config_errors(void **state)
{
	static const char *const bad[] = {
		"RelayDKIM example\n", "RelayDKIM example.com:bad..sel\n",
		"RelayDKIM account:\n", "RelayDKIM [1.2.3.4]\n",
		"RelayBounceDomain nodot\n", "DMARCDomains bad..example\n",
		"RelayProfile sendmail\n", "DMARCFailAction bounce\n",
	};
	struct snapshot_opts opt = { false, NULL };
	struct rm_snapshot *s;
	strbuf err, warn, text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sb_init(&text);
		sb_init(&err);
		sb_init(&warn);
		sb_printf(&text, "TraceHeader\n%s", bad[i]);
		if (snapshot_load(tu_write("bad.conf", text.s, 0644), &opt, &s,
		    &err, &warn) == 0) {
			snapshot_unref(s);
			fail_msg("accepted: %s", bad[i]);
		}
		if (strstr(err.s, "bad.conf:2") == NULL)
			fail_msg("%s: no file:line in \"%s\"", bad[i], err.s);
		sb_free(&text);
		sb_free(&err);
		sb_free(&warn);
	}
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

/* The strings of a view in its inline block, and in one allocation when
 * they do not fit (a long account and From:): whole either way. */
static void
test_storage(void **state)
{
	char acct[200], from[200], want[200];
	struct rview v;

	(void)state;
	view("", "alerts@gmail.com", "alerts@gmail.com", "[smtp.gmail.com]",
	    "Web <www@web.example.lan>", &v);
	assert_ptr_equal(v.arena, v.inl);
	assert_true(v.env >= v.inl && v.env < v.inl + sizeof(v.inl));
	rview_free(&v);
	assert_null(v.arena);
	assert_null(v.env);
	/* 3 x ~190 bytes: past RVIEW_INLINE */
	memset(acct, 'a', 180);
	strcpy(acct + 180, "@Gmail.COM");
	memset(from, 'b', 180);
	strcpy(from + 180, "@ALIAS.example");
	view("AllowedSenders @alias.example\n", acct, acct,
	    "[smtp.gmail.com]", from, &v);
	assert_true(v.arena != v.inl);
	assert_string_equal(v.env, acct);
	S(v.env_domain, "gmail.com");
	memcpy(want, from, 180);
	strcpy(want + 180, "@alias.example");
	assert_string_equal(v.from, want);
	S(v.from_domain, "alias.example");
	S(v.dkim_d, "gmail.com");
	rview_free(&v);
	assert_null(v.arena);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gmail),
		cmocka_unit_test(test_google_relay),
		cmocka_unit_test(test_sendgrid),
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_not_modelled),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_storage),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
