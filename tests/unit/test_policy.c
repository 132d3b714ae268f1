/*
 * test_policy.c - the decision rules against snapshots built from files
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "policy.h"
#include "snapshot.h"
#include "util.h"

static const char *authinfo_text =
    "AuthInfo:smtp.gmail.com \"U:root\" \"I:acct@gmail.com\" \"P:pw\"\n"
    "AuthInfo:smtp.sendgrid.net \"U:apikey\" \"I:apikey\" \"P:pw\"\n"
    "AuthInfo: \"U:root\" \"I:default@example.net\" \"P:pw\"\n";

static const char *map_text =
    "@host.example.lan      %1.alerts@example.com\n"
    "bob@example.org        robert@example.com\n"
    "keep@example.com       keep@example.com\n"
    "cron                   cron@example.com\n";

/* Build a snapshot from extra config lines. */
static struct rm_snapshot *
snap(const char *extra)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn, conf;
	const char *ai = tu_write("authinfo", authinfo_text, 0600);
	const char *map = tu_write("map", map_text, 0644);
	const char *path;

	sb_init(&conf);
	sb_printf(&conf, "AuthInfoFile %s\nSenderMap %s\nTraceKeyFile %s/key\n"
	    "%s", ai, map, tu_dir(), extra);
	path = tu_write("policy.conf", conf.s, 0644);
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
		fail_msg("snapshot: %s", err.s);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&conf);
	return s;
}

struct facts {
	struct msg_facts	f;
	struct rcpt_info	r[3];
};

static void
relay_to(struct facts *x, const char *sender, const char *host)
{
	memset(x, 0, sizeof(*x));
	x->r[0].addr = "<friend@remote.example>";
	x->r[0].mailer = "relay";
	x->r[0].host = (char *)host;
	x->f.sender = sender;
	x->f.client_addr = "127.0.0.1";
	x->f.jdomain = "host.example.lan";
	x->f.rcpts = x->r;
	x->f.nrcpts = 1;
}

static void
decide(const struct rm_snapshot *s, const struct facts *x, struct decision *d)
{
	strbuf err;

	sb_init(&err);
	if (policy_decide(s, &x->f, d, &err) != 0)
		fail_msg("policy_decide: %s", err.s);
	sb_free(&err);
}

static void
expect(const struct rm_snapshot *s, const struct facts *x,
    enum decision_action act, const char *reason, const char *final)
{
	struct decision d;

	decide(s, x, &d);
	if (d.action != act)
		fail_msg("sender %s: action %s, expected %s (reason %s)",
		    x->f.sender, decision_action_name(d.action),
		    decision_action_name(act), d.reason ? d.reason : "-");
	if (reason == NULL)
		assert_null(d.reason);
	else
		assert_string_equal(d.reason, reason);
	if (final == NULL)
		assert_null(d.final);
	else
		assert_string_equal(d.final, final);
	decision_free(&d);
}

static void
test_rewrite_to_authinfo_account(void **state)
{
	struct rm_snapshot *s = snap("");
	struct facts x;
	struct decision d;

	(void)state;
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_int_equal(d.action, DECIDE_REWRITE);
	assert_string_equal(d.final, "acct@gmail.com");
	assert_string_equal(d.account, "acct@gmail.com");
	assert_string_equal(d.account_src, "authinfo:smtp.gmail.com");
	assert_string_equal(d.relay, "[smtp.gmail.com]");
	assert_string_equal(d.trust, "network");
	assert_string_equal(decision_final_domain(&d), "gmail.com");
	decision_free(&d);
	/* an unknown smarthost gets the default AuthInfo: entry */
	relay_to(&x, "<www-data@web.example.lan>", "[mail.other.example]");
	expect(s, &x, DECIDE_REWRITE, NULL, "default@example.net");
	snapshot_unref(s);
}

static void
test_not_relayed(void **state)
{
	struct rm_snapshot *s = snap("");
	struct facts x;

	(void)state;
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.gmail.com]");
	x.r[0].mailer = "local";
	x.r[0].host = NULL;
	expect(s, &x, DECIDE_SKIP, "not-relayed", NULL);
	/* mixed local + remote: the whole envelope is rewritten */
	x.r[1].mailer = "relay";
	x.r[1].host = "[smtp.gmail.com]";
	x.f.nrcpts = 2;
	expect(s, &x, DECIDE_REWRITE, NULL, "acct@gmail.com");
	/* sendmail sent no {rcpt_mailer} at all */
	relay_to(&x, "<www-data@web.example.lan>", NULL);
	x.r[0].mailer = NULL;
	expect(s, &x, DECIDE_SKIP, "no-mailer-macro", NULL);
	snapshot_unref(s);
}

static void
test_untrusted(void **state)
{
	struct rm_snapshot *s = snap(""), *s2;
	struct facts x;

	(void)state;
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.gmail.com]");
	x.f.client_addr = "192.0.2.10";
	expect(s, &x, DECIDE_SKIP, "untrusted", NULL);
	/* even when it claims to be the account itself */
	relay_to(&x, "<acct@gmail.com>", "[smtp.gmail.com]");
	x.f.client_addr = "192.0.2.10";
	expect(s, &x, DECIDE_SKIP, "untrusted", NULL);
	/* a v4-mapped outsider is still an outsider */
	x.f.client_addr = "::ffff:192.0.2.10";
	expect(s, &x, DECIDE_SKIP, "untrusted", NULL);
	/* a v4-mapped loopback client is trusted */
	x.f.client_addr = "::ffff:127.0.0.1";
	expect(s, &x, DECIDE_KEEP, "unchanged", "acct@gmail.com");
	/* authenticated clients are trusted by default ... */
	relay_to(&x, "<user@web.example.lan>", "[smtp.gmail.com]");
	x.f.client_addr = "192.0.2.10";
	x.f.auth_authen = "user";
	expect(s, &x, DECIDE_REWRITE, NULL, "acct@gmail.com");
	x.f.auth_authen = "";
	expect(s, &x, DECIDE_SKIP, "untrusted", NULL);
	/* ... and not with TrustAuthenticated no */
	s2 = snap("TrustAuthenticated no\n");
	x.f.auth_authen = "user";
	expect(s2, &x, DECIDE_SKIP, "untrusted", NULL);
	/* a client without an address is a local submission */
	x.f.client_addr = NULL;
	x.f.auth_authen = NULL;
	expect(s2, &x, DECIDE_REWRITE, NULL, "acct@gmail.com");
	snapshot_unref(s);
	snapshot_unref(s2);
}

static void
test_null_and_bad_sender(void **state)
{
	struct rm_snapshot *s = snap("");
	struct facts x;

	(void)state;
	relay_to(&x, "<>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_SKIP, "null-sender", NULL);
	relay_to(&x, "<a b@example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_SKIP, "bad-sender", NULL);
	snapshot_unref(s);
}

static void
test_sender_map(void **state)
{
	struct rm_snapshot *s = snap("");
	struct facts x;
	struct decision d;

	(void)state;
	relay_to(&x, "<root@host.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_int_equal(d.action, DECIDE_REWRITE);
	assert_string_equal(d.final, "root.alerts@example.com");
	assert_string_equal(d.map_key, "@host.example.lan");
	assert_int_equal(d.map_line, 1);
	decision_free(&d);
	relay_to(&x, "<Bob@Example.org>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "robert@example.com");
	/* a map value equal to the sender keeps it */
	relay_to(&x, "<keep@example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "unchanged", "keep@example.com");
	/* unqualified: looked up as user@$j first, then as the bare user */
	relay_to(&x, "<nobody>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "nobody.alerts@example.com");
	relay_to(&x, "<cron>", "[smtp.gmail.com]");
	x.f.jdomain = NULL;
	expect(s, &x, DECIDE_REWRITE, NULL, "cron@example.com");
	/* the bare key does not apply to foreign domains */
	relay_to(&x, "<cron@elsewhere.example>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "acct@gmail.com");
	/* a valid sender whose %1 expansion is no address: the entry does
	 * not apply (not an internal error: that was a tempfail loop), the
	 * decision names it, and the account is used */
	relay_to(&x, "<\"john smith\"@host.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_int_equal(d.action, DECIDE_REWRITE);
	assert_string_equal(d.final, "acct@gmail.com");
	assert_null(d.map_key);
	assert_string_equal(d.map_skipped_key, "@host.example.lan");
	assert_int_equal(d.map_skipped_line, 1);
	decision_free(&d);
	snapshot_unref(s);
}

static void
test_local_domains(void **state)
{
	struct rm_snapshot *s = snap("LocalDomains other.lan\n");
	struct facts x;

	(void)state;
	relay_to(&x, "<cron@other.lan>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "cron@example.com");
	snapshot_unref(s);
}

static void
test_allowed_senders(void **state)
{
	struct rm_snapshot *s = snap("AllowedSenders alias@example.com "
	    "@workspace.example\n");
	struct facts x;

	(void)state;
	relay_to(&x, "<Alias@Example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "Alias@example.com");
	relay_to(&x, "<anyone@workspace.example>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "anyone@workspace.example");
	relay_to(&x, "<anyone@sub.workspace.example>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "acct@gmail.com");
	/* the map comes first */
	relay_to(&x, "<bob@example.org>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "robert@example.com");
	snapshot_unref(s);
}

static void
test_allowed_senders_file(void **state)
{
	const char *p = tu_write("allowed", "# aliases\nalias@example.com\n"
	    "@workspace.example  second@example.com\n", 0644);
	char extra[512];
	struct rm_snapshot *s;
	struct facts x;

	(void)state;
	snprintf(extra, sizeof(extra), "AllowedSenders %s\n", p);
	s = snap(extra);
	relay_to(&x, "<second@example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "second@example.com");
	snapshot_unref(s);
}

static void
test_accounts(void **state)
{
	struct rm_snapshot *s = snap("RelayAccount relay@example.com\n");
	struct rm_snapshot *s2;
	struct facts x;
	struct decision d;

	(void)state;
	relay_to(&x, "<www@web.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_string_equal(d.final, "relay@example.com");
	assert_string_equal(d.account_src, "RelayAccount");
	decision_free(&d);
	snapshot_unref(s);
	/* SendGrid's "apikey" is not an address: keep */
	s2 = snap("");
	relay_to(&x, "<www@web.example.lan>", "[smtp.sendgrid.net]");
	expect(s2, &x, DECIDE_KEEP, "account-not-address",
	    "www@web.example.lan");
	snapshot_unref(s2);
}

/* A snapshot with its own authinfo text. */
static struct rm_snapshot *
snap_ai(const char *name, const char *ai_text, const char *extra)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn, conf;
	const char *ai = tu_write(name, ai_text, 0600);
	const char *path;

	sb_init(&conf);
	sb_printf(&conf, "AuthInfoFile %s\nTraceKeyFile %s/key\n%s", ai,
	    tu_dir(), extra);
	path = tu_write("ai.conf", conf.s, 0644);
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
		fail_msg("snapshot: %s", err.s);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&conf);
	return s;
}

/*
 * Seeds 000 and 002 write the Gmail account as "I:user_id", as most Gmail
 * guides do, and Gmail logs it in as user_id@gmail.com: relaymilter must
 * rewrite to that address (it kept every sender, account-not-address).
 */
static void
test_gmail_user_id_is_qualified(void **state)
{
	struct rm_snapshot *s = snap_ai("ai-userid",
	    "AuthInfo:smtp.gmail.com \"U:smmsp\" \"I:user_id\" \"P:pw\" "
	    "\"M:PLAIN\"\n"
	    "AuthInfo:smtp.googlemail.com \"U:smmsp\" \"I:other\" \"P:pw\"\n"
	    "AuthInfo:mail.example.net \"U:smmsp\" \"I:bare\" \"P:pw\"\n"
	    "AuthInfo: \"U:smmsp\" \"I:dflt\" \"P:pw\"\n", "");
	struct facts x;
	struct decision d;

	(void)state;
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_int_equal(d.action, DECIDE_REWRITE);
	assert_string_equal(d.final, "user_id@gmail.com");
	assert_string_equal(d.account, "user_id@gmail.com");
	assert_string_equal(d.account_src, "authinfo:smtp.gmail.com, "
	    "I:user_id qualified with @gmail.com");
	decision_free(&d);
	/* the qualified account's domain is one the configuration produces:
	 * its SPF is checked (it was spf=unchecked, domain-not-configured) */
	assert_true(snapshot_spf_domain_ok(s, "gmail.com"));
	assert_false(snapshot_spf_domain_ok(s, "example.net"));
	/* an unbracketed SMART_HOST, a trailing dot, other case */
	relay_to(&x, "<www-data@web.example.lan>", "Smtp.Gmail.Com.");
	expect(s, &x, DECIDE_REWRITE, NULL, "user_id@gmail.com");
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.googlemail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "other@gmail.com");
	/* an unknown provider: no guess, the sender is kept */
	relay_to(&x, "<www-data@web.example.lan>", "[mail.example.net]");
	expect(s, &x, DECIDE_KEEP, "account-not-address",
	    "www-data@web.example.lan");
	/* the default entry used for smtp.gmail.com is qualified too */
	snapshot_unref(s);
	s = snap_ai("ai-dflt", "AuthInfo: \"U:smmsp\" \"I:dflt\" \"P:pw\"\n",
	    "");
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_REWRITE, NULL, "dflt@gmail.com");
	assert_true(snapshot_spf_domain_ok(s, "gmail.com"));
	snapshot_unref(s);
	/* SendGrid's apikey is never qualified */
	s = snap_ai("ai-sg", "AuthInfo:smtp.sendgrid.net \"U:apikey\" "
	    "\"I:apikey\" \"P:pw\"\n", "");
	relay_to(&x, "<www-data@web.example.lan>", "[smtp.sendgrid.net]");
	expect(s, &x, DECIDE_KEEP, "account-not-address",
	    "www-data@web.example.lan");
	snapshot_unref(s);
}

/*
 * Addresses written in angle brackets, as an admin copies them from a
 * MAIL FROM: RelayAccount gave <<alerts@...>>, and AllowedSenders and
 * SenderMap keys never matched (issue 14.3). Every address-valued setting.
 */
static void
test_angle_brackets(void **state)
{
	const char *map, *al;
	char extra[1024];
	struct rm_snapshot *s;
	struct facts x;
	struct decision d;

	(void)state;
	s = snap("RelayAccount <relay@example.com>\n");
	relay_to(&x, "<www@web.example.lan>", "[smtp.gmail.com]");
	decide(s, &x, &d);
	assert_string_equal(d.final, "relay@example.com");
	assert_string_equal(d.account, "relay@example.com");
	decision_free(&d);
	snapshot_unref(s);
	snprintf(extra, sizeof(extra), "AllowedSenders <alias@example.com> "
	    "<@workspace.example>\n");
	s = snap(extra);
	relay_to(&x, "<alias@example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "alias@example.com");
	relay_to(&x, "<anyone@workspace.example>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "anyone@workspace.example");
	snapshot_unref(s);
	al = tu_write("allowed-angle", "<second@example.com>\n", 0644);
	snprintf(extra, sizeof(extra), "AllowedSenders %s\n", al);
	s = snap(extra);
	relay_to(&x, "<second@example.com>", "[smtp.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "allowed", "second@example.com");
	snapshot_unref(s);
	{
		struct snapshot_opts opt = { false, NULL };
		strbuf err, warn, conf;
		const char *path;

		map = tu_write("map-angle",
		    "<bob@example.org>      <robert@example.com>\n"
		    "<@host.example.lan>    <%1.alerts@example.com>\n", 0644);
		sb_init(&conf);
		sb_init(&err);
		sb_init(&warn);
		sb_printf(&conf, "SenderMap %s\nTraceKeyFile %s/key\n"
		    "RelayAccount acct@gmail.com\n", map, tu_dir());
		path = tu_write("angle.conf", conf.s, 0644);
		if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
			fail_msg("snapshot: %s", err.s);
		relay_to(&x, "<bob@example.org>", "[smtp.gmail.com]");
		expect(s, &x, DECIDE_REWRITE, NULL, "robert@example.com");
		relay_to(&x, "<cron@host.example.lan>", "[smtp.gmail.com]");
		expect(s, &x, DECIDE_REWRITE, NULL,
		    "cron.alerts@example.com");
		snapshot_unref(s);
		sb_free(&conf);
		sb_free(&err);
		sb_free(&warn);
	}
}

static void
test_no_account(void **state)
{
	struct rm_snapshot *s;
	struct facts x;
	const char *p;
	char conf[512];
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn;

	(void)state;
	/* an IP-registered relay: no authinfo, no RelayAccount */
	snprintf(conf, sizeof(conf), "TraceKeyFile %s/key\n", tu_dir());
	p = tu_write("noacct.conf", conf, 0644);
	sb_init(&err);
	sb_init(&warn);
	assert_int_equal(snapshot_load(p, &opt, &s, &err, &warn), 0);
	relay_to(&x, "<alerts@example.com>", "[smtp-relay.gmail.com]");
	expect(s, &x, DECIDE_KEEP, "no-account", "alerts@example.com");
	snapshot_unref(s);
	sb_free(&err);
	sb_free(&warn);
}

static void
test_header_from(void **state)
{
	struct rm_snapshot *yes = snap("RewriteHeaderFrom yes\n");
	struct rm_snapshot *un = snap("RewriteHeaderFrom unaligned\n");
	struct rm_snapshot *no = snap("");
	struct facts x;
	struct decision d;

	(void)state;
	relay_to(&x, "<www@web.example.lan>", "[smtp.gmail.com]");
	x.f.header_from = "\"Web Server\" <www@web.example.lan>";
	x.f.from_count = 1;
	decide(yes, &x, &d);
	assert_true(d.from_rewrite);
	assert_string_equal(d.from_new, "\"Web Server\" <acct@gmail.com>");
	assert_string_equal(d.reply_to, "\"Web Server\" <www@web.example.lan>");
	decision_free(&d);
	/* the bytes of a hostile display name never reach the new From: */
	x.f.header_from = "\"Web\r\nX-Injected: 1\x1b\" <www@web.example.lan>";
	decide(yes, &x, &d);
	assert_true(d.from_rewrite);
	assert_string_equal(d.from_new, "\"WebX-Injected: 1\" <acct@gmail.com>");
	assert_string_equal(d.reply_to, "\"WebX-Injected: 1\" <www@web.example.lan>");
	decision_free(&d);
	/* an existing Reply-To is left alone */
	x.f.has_reply_to = true;
	decide(yes, &x, &d);
	assert_true(d.from_rewrite);
	assert_null(d.reply_to);
	decision_free(&d);
	x.f.has_reply_to = false;
	/* RewriteHeaderFrom no */
	decide(no, &x, &d);
	assert_false(d.from_rewrite);
	decision_free(&d);
	/* unaligned: gmail.com vs web.example.lan is not aligned */
	decide(un, &x, &d);
	assert_true(d.from_rewrite);
	decision_free(&d);
	/* ... but mail.gmail.com is (relaxed) */
	x.f.header_from = "Someone <x@mail.gmail.com>";
	decide(un, &x, &d);
	assert_false(d.from_rewrite);
	decision_free(&d);
	/* several From: fields or mailboxes, or none: untouched */
	x.f.header_from = "a@x.example, b@y.example";
	decide(yes, &x, &d);
	assert_false(d.from_rewrite);
	assert_string_equal(d.from_note, "several-from-mailboxes");
	decision_free(&d);
	x.f.header_from = "a@x.example";
	x.f.from_count = 2;
	decide(yes, &x, &d);
	assert_string_equal(d.from_note, "several-from-headers");
	decision_free(&d);
	x.f.header_from = NULL;
	x.f.from_count = 0;
	decide(yes, &x, &d);
	assert_string_equal(d.from_note, "no-from-header");
	decision_free(&d);
	/* never for skipped mail */
	relay_to(&x, "<www@web.example.lan>", "[smtp.gmail.com]");
	x.f.client_addr = "192.0.2.10";
	x.f.header_from = "www@web.example.lan";
	x.f.from_count = 1;
	decide(yes, &x, &d);
	assert_false(d.from_rewrite);
	decision_free(&d);
	snapshot_unref(yes);
	snapshot_unref(un);
	snapshot_unref(no);
}

static void
test_spf_domain_scope(void **state)
{
	struct rm_snapshot *s = snap("AllowedSenders @workspace.example\n"
	    "SPFDomains extra.example\n");

	(void)state;
	/* the account, the map values, the allowed and named domains */
	assert_true(snapshot_spf_domain_ok(s, "gmail.com"));
	assert_true(snapshot_spf_domain_ok(s, "example.com"));
	assert_true(snapshot_spf_domain_ok(s, "workspace.example"));
	assert_true(snapshot_spf_domain_ok(s, "Extra.Example."));
	assert_true(snapshot_spf_domain_ok(s, "example.net"));
	/* never an arbitrary sender's domain */
	assert_false(snapshot_spf_domain_ok(s, "evil.example"));
	snapshot_unref(s);
}

static void
snap_bad(const char *extra, const char *want)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn;
	const char *p = tu_write("bad.conf", extra, 0644);

	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(p, &opt, &s, &err, &warn) == 0)
		fail_msg("'%s' loaded but should not", extra);
	if (strstr(err.s, want) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, want);
	sb_free(&err);
	sb_free(&warn);
}

static void
test_snapshot_errors(void **state)
{
	char line[512];
	const char *bad_list = tu_write("bad-allowed", "ok@example.com\n\n"
	    "not an address\n", 0644);

	(void)state;
	snap_bad("TraceHeader\nTrustedNetworks 10.0.0.1/8\n",
	    "bad.conf:2: TrustedNetworks: '10.0.0.1/8' has host bits set");
	snap_bad("TraceHeader\nAllowedSenders @\n",
	    "bad.conf:2: AllowedSenders: '@' is not a valid @domain");
	snap_bad("TraceHeader\nRelayMailers relay es;mtp\n",
	    "bad.conf:2: RelayMailers: 'es;mtp' is not a sendmail mailer");
	snap_bad("TraceHeader\nSPFRelayAddress 127.0.0.1\n",
	    "is a loopback address");
	snap_bad("TraceHeader Bad Header\n", "bad.conf:1: TraceHeader: 'Bad "
	    "Header' is not a header field name");
	snprintf(line, sizeof(line), "TraceHeader\nAllowedSenders %s\n",
	    bad_list);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s", "");
	snap_bad(line, "bad-allowed:3: 'not' is not an address");
	snap_bad("TraceHeader\nSenderMap /nonexistent/map\n",
	    "bad.conf:2: SenderMap /nonexistent/map does not exist yet: "
	    "create it");
	snap_bad("TraceHeader\nAuthInfoFile /nonexistent/authinfo\n",
	    "bad.conf:2: AuthInfoFile /nonexistent/authinfo does not exist "
	    "yet: create it first");
	/* unreadable, not missing: the reason is the read error */
	snap_bad("TraceHeader\nSenderMap /\n", "/: cannot read");
}

static void
test_authinfo_world_readable_warns(void **state)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn;
	char conf[512];
	const char *ai = tu_write("authinfo-open", authinfo_text, 0644);
	const char *p;

	(void)state;
	snprintf(conf, sizeof(conf), "AuthInfoFile %s\nTraceHeader\n", ai);
	p = tu_write("warn.conf", conf, 0644);
	sb_init(&err);
	sb_init(&warn);
	assert_int_equal(snapshot_load(p, &opt, &s, &err, &warn), 0);
	assert_non_null(strstr(warn.s, "readable by everyone"));
	assert_null(strstr(warn.s, "pw"));
	snapshot_unref(s);
	sb_free(&err);
	sb_free(&warn);
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
		cmocka_unit_test(test_rewrite_to_authinfo_account),
		cmocka_unit_test(test_not_relayed),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_null_and_bad_sender),
		cmocka_unit_test(test_sender_map),
		cmocka_unit_test(test_local_domains),
		cmocka_unit_test(test_allowed_senders),
		cmocka_unit_test(test_allowed_senders_file),
		cmocka_unit_test(test_accounts),
		cmocka_unit_test(test_gmail_user_id_is_qualified),
		cmocka_unit_test(test_angle_brackets),
		cmocka_unit_test(test_no_account),
		cmocka_unit_test(test_header_from),
		cmocka_unit_test(test_spf_domain_scope),
		cmocka_unit_test(test_snapshot_errors),
		cmocka_unit_test(test_authinfo_world_readable_warns),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
