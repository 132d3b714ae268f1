/*
 * test_predict.c - SPF at the relay egress, alignment, hints and actions
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "policy.h"
#include "deadline.h"
#include "predict.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "util.h"

static struct spfc *
zone(void)
{
	static const char *const recs[][3] = {
		{ "gmail.com", "TXT", "v=spf1 redirect=_spf.google.com" },
		{ "_spf.google.com", "TXT", "v=spf1 ip4:209.85.128.0/17 "
		    "ip6:2607:f8b0:4000::/36 ~all" },
		{ "good.example", "TXT", "v=spf1 include:_spf.google.com -all" },
		{ "bad.example", "TXT", "v=spf1 ip4:192.0.2.0/24 -all" },
		{ "soft.example", "TXT", "v=spf1 ip4:192.0.2.0/24 ~all" },
		{ "broken.example", "TXT", "v=spf1 ip4:300.1.1.1 -all" },
		{ "slow.example", "TIMEOUT", NULL },
		{ "nospf.example", "A", "192.0.2.1" },
		{ "own.example", "TXT", "v=spf1 ip4:198.51.100.7 -all" },
		/* DMARC */
		{ "_dmarc.good.example", "TXT", "v=DMARC1; p=reject" },
		{ "_dmarc.bad.example", "TXT", "v=DMARC1; p=quarantine" },
		{ "_dmarc.own.example", "TXT", "v=DMARC1; p=none" },
		{ "slowdmarc.example", "TXT", "v=spf1 include:_spf.google.com "
		    "-all" },
		{ "_dmarc.slowdmarc.example", "TIMEOUT", NULL },
		{ "signed.example", "TXT", "v=spf1 -all" },
		{ "_dmarc.signed.example", "TXT", "v=DMARC1; p=reject; "
		    "adkim=s" },
		{ "google._domainkey.signed.example", "TXT", "v=DKIM1; "
		    "p=MIGfMA0" },
		{ "nokey.example", "TXT", "v=spf1 -all" },
		{ "_dmarc.nokey.example", "TXT", "v=DMARC1; p=reject" },
		{ "_dmarc.gmail.com", "TXT", "v=DMARC1; p=none; "
		    "sp=quarantine" },
		{ "alias.example", "TXT", "v=spf1 -all" },
		{ "_dmarc.alias.example", "TXT", "v=DMARC1; p=reject" },
		{ "nodmarc.example", "TXT", "v=spf1 include:_spf.google.com "
		    "-all" },
		/* SendGrid */
		{ "sendgrid.net", "TXT", "v=spf1 ip4:149.72.0.0/16 ~all" },
		{ "em1234.sg.example", "TXT", "v=spf1 include:sendgrid.net "
		    "-all" },
		{ "_dmarc.sg.example", "TXT", "v=DMARC1; p=reject" },
		{ "s1._domainkey.sg.example", "TXT", "k=rsa; p=MIGfMA0" },
		{ "_dmarc.plain.example", "TXT", "v=DMARC1; p=reject" },
	};
	struct spfc_options o = { 500, 3600, 100, "", NULL, NULL, false };
	struct spfc *sc;
	strbuf err;
	size_t i;

	sb_init(&err);
	if ((sc = spfc_new(&o, &err)) == NULL)
		fail_msg("spfc_new: %s", err.s);
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		if (spfc_zone_add(sc, recs[i][0], recs[i][1], recs[i][2],
		    &err) < 0)
			fail_msg("zone: %s", err.s);
	sb_free(&err);
	return sc;
}

static struct rm_snapshot *
snap(const char *extra)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn, conf;
	const char *path;

	sb_init(&conf);
	sb_printf(&conf, "TraceHeader\nSPFDomains good.example bad.example "
	    "soft.example broken.example slow.example nospf.example "
	    "own.example slowdmarc.example signed.example nokey.example "
	    "alias.example nodmarc.example sg.example plain.example\n%s",
	    extra);
	path = tu_write("predict.conf", conf.s, 0644);
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
		fail_msg("snapshot: %s", err.s);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&conf);
	return s;
}

/* A decision as policy would make it for final sender `final`. */
static void
decision_for(struct decision *d, const char *final, const char *relay)
{
	memset(d, 0, sizeof(*d));
	d->action = DECIDE_REWRITE;
	d->relayed = true;
	d->orig = strdup("www@web.example.lan");
	d->final = strdup(final);
	d->relay = strdup(relay);
}

static void
run(const struct rm_snapshot *s, struct spfc *sc, const char *final,
    const char *from, struct prediction *p)
{
	struct decision d;
	strbuf err;

	decision_for(&d, final, "[smtp.gmail.com]");
	sb_init(&err);
	if (predict(s, sc, &d, from, from ? 1 : 0, NULL, p, &err) != 0)
		fail_msg("predict: %s", err.s);
	sb_free(&err);
	decision_free(&d);
}

/* As run(), with a relay, an account and the host's name. */
static void
run_via(const struct rm_snapshot *s, struct spfc *sc, const char *relay,
    const char *account, const char *final, const char *from,
    const char *jdomain, struct prediction *p)
{
	struct decision d;
	strbuf err;

	decision_for(&d, final, relay);
	if (account != NULL)
		d.account = strdup(account);
	sb_init(&err);
	if (predict(s, sc, &d, from, from ? 1 : 0, jdomain, p, &err) != 0)
		fail_msg("predict: %s", err.s);
	sb_free(&err);
	decision_free(&d);
}

#define LOCAL	"[relay.local.example]"

static void
test_off_and_unchecked(void **state)
{
	struct rm_snapshot *off = snap(""), *on = snap("SPFRelayAddress google\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	run(off, sc, "a@good.example", NULL, &p);
	assert_int_equal(p.spf_state, PRED_OFF);
	assert_null(prediction_spf_word(&p));
	assert_int_equal(p.action, PACT_NONE);
	prediction_free(&p);
	/* a domain neither the rewrite nor the config produced */
	run(on, sc, "a@arbitrary.example", NULL, &p);
	assert_int_equal(p.spf_state, PRED_UNCHECKED);
	assert_string_equal(p.unchecked_why, "domain-not-configured");
	assert_string_equal(prediction_spf_word(&p), "unchecked");
	assert_int_equal(spfc_dns_queries(sc), 0);
	prediction_free(&p);
	snapshot_unref(off);
	snapshot_unref(on);
	spfc_free(sc);
}

static void
test_pass(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	run(s, sc, "alerts@good.example", "Alerts <alerts@good.example>", &p);
	assert_int_equal(p.spf_state, PRED_DONE);
	assert_int_equal(p.spf, SPFV_PASS);
	assert_string_equal(p.spf_ip, "209.85.220.41");
	assert_int_equal(p.align, 1);
	assert_null(p.hint);
	assert_int_equal(p.action, PACT_NONE);
	assert_true(p.tag_spf);
	assert_true(p.tag_align);
	assert_string_equal(prediction_dmarc_word(&p), "pass");
	assert_int_equal(p.dm.policy, DMARC_P_REJECT);
	assert_true(p.tag_dmarc);
	assert_string_equal(prediction_align_word(&p, 0), "relaxed");
	prediction_free(&p);
	/* the second message is answered from the cache */
	run(s, sc, "other@good.example", NULL, &p);
	assert_true(p.spf_cached);
	assert_int_equal(p.align, -1);
	prediction_free(&p);
	snapshot_unref(s);
	spfc_free(sc);
}

static void
test_fail_hints(void **state)
{
	struct rm_snapshot *g = snap("SPFRelayAddress google\n");
	struct rm_snapshot *own = snap("SPFRelayAddress 203.0.113.9\n");
	struct spfc *sc = zone();
	struct prediction p;
	struct decision d;
	strbuf err;

	(void)state;
	run(g, sc, "x@bad.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_FAIL);
	assert_string_equal(p.hint, "bad.example SPF does not authorize "
	    "209.85.220.41: add include:_spf.google.com");
	assert_int_equal(p.action, PACT_TAG);
	prediction_free(&p);
	run(g, sc, "x@nospf.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_NONE);
	assert_string_equal(p.hint, "nospf.example publishes no SPF record: "
	    "publish \"v=spf1 include:_spf.google.com ~all\"");
	prediction_free(&p);
	run(g, sc, "x@broken.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_PERMERROR);
	assert_non_null(strstr(p.hint, "broken.example SPF record is broken"));
	prediction_free(&p);
	/* a direct/IP-registered set-up: the server's own address */
	memset(&d, 0, sizeof(d));
	decision_for(&d, "x@bad.example", "[mail.isp.example]");
	sb_init(&err);
	assert_int_equal(predict(own, sc, &d, NULL, 0, NULL, &p, &err), 0);
	assert_string_equal(p.hint, "bad.example SPF does not authorize "
	    "203.0.113.9: add ip4:203.0.113.9");
	prediction_free(&p);
	decision_free(&d);
	/* a Google host that is no known smarthost (passthrough): Google's
	 * include, whatever the case and a trailing dot; a name that only
	 * ends in one of Google's is not Google's */
	{
		static const struct { const char *relay, *mech; } t[] = {
			{ "[ASPMX.L.Google.COM.]", "include:_spf.google.com" },
			{ "alt1.googlemail.com", "include:_spf.google.com" },
			{ "[gmail.com]", "include:_spf.google.com" },
			{ "[mail.notgoogle.com]", "ip4:203.0.113.9" },
			{ "[google.com.example]", "ip4:203.0.113.9" },
		};
		size_t i;

		for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
			decision_for(&d, "x@bad.example", t[i].relay);
			sb_reset(&err);
			assert_int_equal(predict(own, sc, &d, NULL, 0, NULL,
			    &p, &err), 0);
			assert_string_equal(p.rv.prof->id, "passthrough");
			if (strstr(p.hint, t[i].mech) == NULL)
				fail_msg("%s: %s", t[i].relay, p.hint);
			prediction_free(&p);
			decision_free(&d);
		}
	}
	sb_free(&err);
	snapshot_unref(g);
	snapshot_unref(own);
	spfc_free(sc);
}

static void
test_actions(void **state)
{
	struct rm_snapshot *rej = snap("SPFRelayAddress google\n"
	    "SPFFailAction reject\n");
	struct rm_snapshot *tmp = snap("SPFRelayAddress google\n"
	    "SPFFailAction tempfail\nMisalignedAction reject\n");
	struct rm_snapshot *none = snap("SPFRelayAddress google\n"
	    "SPFFailAction none\nMisalignedAction none\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	run(rej, sc, "x@soft.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_SOFTFAIL);
	assert_int_equal(p.action, PACT_REJECT);
	assert_string_equal(p.code, "550");
	assert_string_equal(p.dsn, "5.7.23");
	assert_non_null(strstr(p.reply, "SPF softfail for soft.example"));
	prediction_free(&p);
	/* misaligned and SPF failing: the stronger action wins */
	run(tmp, sc, "x@bad.example", "x@web.example.lan", &p);
	assert_int_equal(p.align, 0);
	assert_int_equal(p.action, PACT_REJECT);
	assert_string_equal(p.dsn, "5.7.26");
	assert_non_null(strstr(p.hint, "From: domain web.example.lan is not "
	    "aligned with the envelope domain bad.example (relaxed)"));
	prediction_free(&p);
	run(tmp, sc, "x@bad.example", "x@bad.example", &p);
	assert_int_equal(p.action, PACT_TEMPFAIL);
	assert_string_equal(p.code, "451");
	assert_string_equal(p.dsn, "4.7.23");
	prediction_free(&p);
	/* none: the verdict is logged but neither tagged nor acted on */
	run(none, sc, "x@bad.example", "x@web.example.lan", &p);
	assert_int_equal(p.action, PACT_NONE);
	assert_false(p.tag_spf);
	assert_false(p.tag_align);
	assert_non_null(p.hint);
	prediction_free(&p);
	snapshot_unref(rej);
	snapshot_unref(tmp);
	snapshot_unref(none);
	spfc_free(sc);
}

static void
test_dns_trouble(void **state)
{
	struct rm_snapshot *acc = snap("SPFRelayAddress google\n");
	struct rm_snapshot *tf = snap("SPFRelayAddress google\n"
	    "On-DNSError tempfail\n");
	struct spfc *sc = zone();
	struct prediction p;
	unsigned long before;

	(void)state;
	before = spfc_dns_queries(sc);
	run(acc, sc, "x@slow.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_TEMPERROR);
	assert_int_equal(p.action, PACT_NONE);
	assert_non_null(strstr(p.hint, "DNS trouble while checking "
	    "slow.example SPF"));
	/* the second relay address was not tried after the DNS failure */
	assert_true(spfc_dns_queries(sc) - before <= 2);
	prediction_free(&p);
	run(tf, sc, "x@slow.example", NULL, &p);
	assert_int_equal(p.action, PACT_TEMPFAIL);
	assert_string_equal(p.dsn, "4.7.24");
	prediction_free(&p);
	snapshot_unref(acc);
	snapshot_unref(tf);
	spfc_free(sc);
}

static void
test_from_rewrite_aligns(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n");
	struct spfc *sc = zone();
	struct decision d;
	struct prediction p;
	strbuf err;

	(void)state;
	decision_for(&d, "acct@gmail.com", "[smtp.gmail.com]");
	d.from_rewrite = true;
	sb_init(&err);
	assert_int_equal(predict(s, sc, &d, "x@web.example.lan", 1, NULL, &p, &err),
	    0);
	assert_int_equal(p.align, 1);
	assert_string_equal(p.from_domain, "gmail.com");
	prediction_free(&p);
	/* skipped mail is never checked */
	d.action = DECIDE_SKIP;
	assert_int_equal(predict(s, sc, &d, NULL, 0, NULL, &p, &err), 0);
	assert_int_equal(p.spf_state, PRED_OFF);
	assert_int_equal(p.align, -1);
	prediction_free(&p);
	decision_free(&d);
	sb_free(&err);
	snapshot_unref(s);
	spfc_free(sc);
}


static void
test_dmarc_verdicts(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n");
	struct rm_snapshot *rej = snap("SPFRelayAddress google\n"
	    "DMARCFailAction reject\n");
	struct rm_snapshot *dk = snap("SPFRelayAddress google\n"
	    "RelayDKIM signed.example:google nokey.example:google\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	/* SPF aligned: pass under p=reject, nothing to say */
	run_via(s, sc, LOCAL, NULL, "x@good.example", "x@good.example", NULL,
	    &p);
	assert_string_equal(p.rv.prof->id, "passthrough");
	assert_int_equal(p.dm.verdict, DMV_PASS);
	assert_int_equal(p.dm.policy, DMARC_P_REJECT);
	/* a canonical From: domain is its own org: the view's string, and
	 * the record's domain is that one too (no copies) */
	assert_ptr_equal(p.dm.org, p.rv.from_domain);
	assert_null(p.dm.org_heap);
	assert_ptr_equal(p.dm.found.where, p.rv.from_domain);
	assert_null(p.rv.dkim_d);
	assert_null(p.hint);
	prediction_free(&p);
	/* SPF fails for the aligned envelope: the include to add */
	run_via(s, sc, LOCAL, NULL, "x@bad.example", "x@bad.example", NULL,
	    &p);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_int_equal(p.dm.policy, DMARC_P_QUARANTINE);
	assert_string_equal(p.hint, "DMARC fails for bad.example "
	    "(p=quarantine): add include:_spf.google.com to the SPF record of "
	    "bad.example (it does not authorize the relay's 209.85.220.41)");
	assert_int_equal(p.action, PACT_TAG);
	assert_true(p.tag_dmarc);
	prediction_free(&p);
	/* DMARCFailAction reject: our own 550 5.7.26 */
	run_via(rej, sc, LOCAL, NULL, "x@bad.example", "x@bad.example", NULL,
	    &p);
	assert_int_equal(p.action, PACT_REJECT);
	assert_string_equal(p.code, "550");
	assert_string_equal(p.dsn, "5.7.26");
	assert_non_null(strstr(p.reply, "the recipient would quarantine this "
	    "message: DMARC fails for bad.example (p=quarantine)"));
	assert_non_null(strstr(p.reply, "add include:_spf.google.com"));
	prediction_free(&p);
	/* a failure under p=none is delivered: no DMARC action */
	run_via(rej, sc, LOCAL, NULL, "x@own.example", "x@own.example", NULL,
	    &p);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_int_equal(p.dm.policy, DMARC_P_NONE);
	assert_int_equal(p.action, PACT_TAG);	/* SPFFailAction tag */
	prediction_free(&p);
	/* an aligned DKIM signature whose key is published: pass, SPF
	 * failing or not (adkim=s: d= is the From: domain) */
	run_via(dk, sc, LOCAL, NULL, "x@signed.example", "x@signed.example",
	    NULL, &p);
	assert_int_equal(p.spf, SPFV_FAIL);
	assert_int_equal(p.dm.verdict, DMV_PASS);
	assert_true(p.dm.dkim_aligned);
	assert_true(p.dm.key_checked);
	assert_string_equal(p.rv.dkim_d, "signed.example");
	assert_string_equal(dmarcpred_dkim_name(&p.dm), "pass");
	assert_non_null(strstr(p.hint, "signed.example SPF does not "
	    "authorize"));
	prediction_free(&p);
	/* the same with From: unaligned with the envelope: DKIM carries it,
	 * no alignment hint */
	run_via(dk, sc, LOCAL, NULL, "x@good.example", "x@signed.example",
	    NULL, &p);
	assert_int_equal(p.align, 0);
	assert_int_equal(p.dm.verdict, DMV_PASS);
	assert_null(p.hint);
	prediction_free(&p);
	/* a signature whose key is not published: that key is the fix */
	run_via(dk, sc, LOCAL, NULL, "x@good.example", "x@nokey.example",
	    NULL, &p);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_string_equal(dmarcpred_dkim_name(&p.dm), "fail");
	assert_string_equal(p.hint, "DMARC fails for nokey.example "
	    "(p=reject): the relay signs d=nokey.example but the key "
	    "google._domainkey.nokey.example is not published: publish the "
	    "key the relay gives you for it");
	prediction_free(&p);
	snapshot_unref(s);
	snapshot_unref(rej);
	snapshot_unref(dk);
	spfc_free(sc);
}

static void
test_dmarc_hints(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n");
	struct rm_snapshot *yes = snap("SPFRelayAddress google\n"
	    "RewriteHeaderFrom yes\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	/* From: unaligned, rewriting it to the envelope sender passes */
	run_via(s, sc, LOCAL, NULL, "x@good.example", "x@bad.example", NULL,
	    &p);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_string_equal(p.hint, "DMARC fails for bad.example "
	    "(p=quarantine): set RewriteHeaderFrom unaligned (From: becomes "
	    "x@good.example, which passes)");
	prediction_free(&p);
	/* no rewrite helps (own.example fails SPF too): DKIM after
	 * relaymilter for a passthrough relay */
	run_via(s, sc, LOCAL, NULL, "x@own.example", "x@bad.example", NULL,
	    &p);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_string_equal(p.hint, "DMARC fails for bad.example "
	    "(p=quarantine): sign mail of bad.example with DKIM after "
	    "relaymilter (a signing milter such as opendkim), publish its key "
	    "and set RelayDKIM bad.example:SELECTOR");
	prediction_free(&p);
	/* RewriteHeaderFrom yes already: no rewrite hint */
	run_via(yes, sc, LOCAL, NULL, "x@own.example", "x@bad.example", NULL,
	    &p);
	assert_null(strstr(p.hint, "RewriteHeaderFrom"));
	prediction_free(&p);
	snapshot_unref(s);
	snapshot_unref(yes);
	spfc_free(sc);
}

static void
test_dmarc_gmail(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n"
	    "AllowedSenders billing@alias.example\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	/* Gmail replaces From: with the account: gmail.com passes */
	run_via(s, sc, "[smtp.gmail.com]", "alerts@gmail.com",
	    "alerts@gmail.com", "Web <www@web.example.lan>", NULL, &p);
	assert_string_equal(p.from_domain, "gmail.com");
	assert_int_equal(p.align, 1);
	assert_int_equal(p.dm.verdict, DMV_PASS);
	assert_int_equal(p.dm.policy, DMARC_P_NONE);
	assert_string_equal(p.rv.dkim_d, "gmail.com");
	assert_null(p.hint);
	prediction_free(&p);
	/* a verified alias: kept in From:, the envelope is the account */
	run_via(s, sc, "[smtp.gmail.com]", "alerts@gmail.com",
	    "billing@alias.example", "<billing@alias.example>", NULL, &p);
	assert_string_equal(p.rv.env_domain, "gmail.com");
	assert_int_equal(p.spf, SPFV_PASS);	/* gmail.com's, not alias's */
	assert_int_equal(p.align, 0);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_int_equal(p.dm.policy, DMARC_P_REJECT);
	assert_string_equal(p.hint, "DMARC fails for alias.example "
	    "(p=reject): Gmail sends billing@alias.example with the envelope "
	    "and DKIM of gmail.com, which never align with alias.example: "
	    "drop it from AllowedSenders so that RewriteHeaderFrom unaligned "
	    "makes From: the account, or relay mail of alias.example through "
	    "a provider that signs for it");
	prediction_free(&p);
	/* a Workspace domain without a DMARC record: Google's warning */
	run_via(s, sc, "[smtp.gmail.com]", "alerts@nodmarc.example",
	    "alerts@nodmarc.example", "alerts@nodmarc.example", NULL, &p);
	assert_int_equal(p.dm.verdict, DMV_NONE);
	assert_string_equal(p.rv.dkim_d,
	    "nodmarc-example.20230601.gappssmtp.com");
	assert_string_equal(p.hint, "nodmarc.example publishes no DMARC "
	    "record: Google's sender rules require one of bulk senders and "
	    "reject unauthenticated mail; publish \"v=DMARC1; p=none\" at "
	    "_dmarc.nodmarc.example");
	prediction_free(&p);
	snapshot_unref(s);
	spfc_free(sc);
}

static void
test_dmarc_sendgrid(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress 149.72.120.130\n"
	    "RelayProfile sendgrid\nRelayBounceDomain em1234.sg.example\n"
	    "RelayDKIM sg.example\n");
	struct spfc *sc = zone();
	struct prediction p;

	(void)state;
	/* authenticated: its return path aligns, its signature too */
	run_via(s, sc, "[smtp.sendgrid.test]", "apikey", "news@sg.example",
	    "news@sg.example", NULL, &p);
	assert_string_equal(p.rv.env_domain, "em1234.sg.example");
	assert_int_equal(p.spf, SPFV_PASS);
	assert_int_equal(p.dm.verdict, DMV_PASS);
	assert_true(p.dm.spf_aligned);
	assert_true(p.dm.dkim_aligned);
	prediction_free(&p);
	/* not authenticated: sendgrid.net and d=sendgrid.net, neither
	 * aligned; the fix is SendGrid's Domain Authentication */
	run_via(s, sc, "[smtp.sendgrid.test]", "apikey", "news@plain.example",
	    "news@plain.example", NULL, &p);
	assert_string_equal(p.rv.env_domain, "sendgrid.net");
	assert_int_equal(p.spf, SPFV_PASS);
	assert_int_equal(p.align, 0);
	assert_int_equal(p.dm.verdict, DMV_FAIL);
	assert_non_null(strstr(p.hint, "authenticate plain.example at "
	    "SendGrid"));
	prediction_free(&p);
	snapshot_unref(s);
	spfc_free(sc);
}

static void
test_dmarc_unchecked(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\n");
	struct rm_snapshot *dd = snap("SPFRelayAddress google\n"
	    "DMARCDomains arbitrary.example\n");
	struct rm_snapshot *tf = snap("SPFRelayAddress google\n"
	    "On-DNSError tempfail\n");
	struct spfc *sc = zone();
	struct prediction p;
	unsigned long q;

	(void)state;
	/* a From: domain nobody configured is never looked up: the second
	 * message (SPF from the cache) asks nothing */
	run_via(s, sc, LOCAL, NULL, "x@good.example", "x@arbitrary.example",
	    NULL, &p);
	assert_int_equal(p.dm.verdict, DMV_UNCHECKED);
	assert_string_equal(p.dm.why, "domain-not-configured");
	assert_string_equal(prediction_dmarc_word(&p), "unchecked");
	prediction_free(&p);
	q = spfc_dns_queries(sc);
	run_via(s, sc, LOCAL, NULL, "x@good.example", "x@arbitrary.example",
	    NULL, &p);
	prediction_free(&p);
	assert_int_equal(spfc_dns_queries(sc), q);
	/* a configured one: one question, _dmarc.good.example */
	run_via(s, sc, LOCAL, NULL, "x@good.example", "x@good.example", NULL,
	    &p);
	prediction_free(&p);
	assert_int_equal(spfc_dns_queries(sc) - q, 1);
	/* DMARCDomains, or the host's own name, may be looked up */
	run_via(dd, sc, LOCAL, NULL, "x@good.example", "x@arbitrary.example",
	    NULL, &p);
	assert_int_equal(p.dm.verdict, DMV_NONE);
	prediction_free(&p);
	run_via(s, sc, LOCAL, NULL, "x@good.example", "root@host.example",
	    "host.example", &p);
	assert_int_equal(p.dm.verdict, DMV_NONE);
	prediction_free(&p);
	/* no SPFRelayAddress: no DMARC prediction at all */
	{
		struct rm_snapshot *off = snap("");

		run_via(off, sc, LOCAL, NULL, "x@good.example",
		    "x@good.example", NULL, &p);
		assert_int_equal(p.dm.verdict, DMV_OFF);
		assert_null(prediction_dmarc_word(&p));
		assert_false(p.tag_dmarc);
		prediction_free(&p);
		snapshot_unref(off);
	}
	/* DNS trouble at _dmarc: temperror; On-DNSError tempfail refuses */
	run_via(tf, sc, LOCAL, NULL, "x@slowdmarc.example",
	    "x@slowdmarc.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_PASS);
	assert_int_equal(p.dm.verdict, DMV_TEMPERROR);
	assert_int_equal(p.action, PACT_TEMPFAIL);
	assert_string_equal(p.code, "451");
	assert_string_equal(p.dsn, "4.7.26");
	assert_non_null(strstr(p.reply, "_dmarc.slowdmarc.example"));
	prediction_free(&p);
	snapshot_unref(s);
	snapshot_unref(dd);
	snapshot_unref(tf);
	spfc_free(sc);
}

/* One DNSTimeout for everything: a name server that never answers costs
 * the message one budget, not one for SPF and another for DMARC. */
static void
test_one_deadline(void **state)
{
	struct rm_snapshot *s = snap("SPFRelayAddress google\nDNSTimeout 1\n"
	    "SPFDomains a.example\n");
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct spfc_options o = { 1000, 3600, 100, NULL, NULL, NULL, false };
	struct spfc *sc;
	struct prediction p;
	char ns[64];
	strbuf err;
	uint64_t t0;
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(ns, sizeof(ns), "127.0.0.1#%u", ntohs(sa.sin_port));
	o.nameservers = ns;
	sb_init(&err);
	if ((sc = spfc_new(&o, &err)) == NULL)
		fail_msg("spfc_new: %s", err.s);
	sb_free(&err);
	t0 = mono_ms();
	run_via(s, sc, LOCAL, NULL, "x@a.example", "x@a.example", NULL, &p);
	assert_int_equal(p.spf, SPFV_TEMPERROR);
	assert_int_equal(p.dm.verdict, DMV_TEMPERROR);
	if (mono_ms() - t0 > 1600)
		fail_msg("the message took %llu ms of DNS (budget 1000)",
		    (unsigned long long)(mono_ms() - t0));
	prediction_free(&p);
	spfc_free(sc);
	close(fd);
	snapshot_unref(s);
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
		cmocka_unit_test(test_off_and_unchecked),
		cmocka_unit_test(test_pass),
		cmocka_unit_test(test_fail_hints),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_dns_trouble),
		cmocka_unit_test(test_from_rewrite_aligns),
		cmocka_unit_test(test_dmarc_verdicts),
		cmocka_unit_test(test_dmarc_hints),
		cmocka_unit_test(test_dmarc_gmail),
		cmocka_unit_test(test_dmarc_sendgrid),
		cmocka_unit_test(test_dmarc_unchecked),
		cmocka_unit_test(test_one_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
