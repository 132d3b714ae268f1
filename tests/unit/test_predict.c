/*
 * test_predict.c - SPF at the relay egress, alignment, hints and actions
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "policy.h"
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
	    "own.example\n%s", extra);
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
	if (predict(s, sc, &d, from, from ? 1 : 0, p, &err) != 0)
		fail_msg("predict: %s", err.s);
	sb_free(&err);
	decision_free(&d);
}

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
	assert_int_equal(predict(own, sc, &d, NULL, 0, &p, &err), 0);
	assert_string_equal(p.hint, "bad.example SPF does not authorize "
	    "203.0.113.9: add ip4:203.0.113.9");
	prediction_free(&p);
	decision_free(&d);
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
	assert_int_equal(predict(s, sc, &d, "x@web.example.lan", 1, &p, &err),
	    0);
	assert_int_equal(p.align, 1);
	assert_string_equal(p.from_domain, "gmail.com");
	prediction_free(&p);
	/* skipped mail is never checked */
	d.action = DECIDE_SKIP;
	assert_int_equal(predict(s, sc, &d, NULL, 0, &p, &err), 0);
	assert_int_equal(p.spf_state, PRED_OFF);
	assert_int_equal(p.align, -1);
	prediction_free(&p);
	decision_free(&d);
	sb_free(&err);
	snapshot_unref(s);
	spfc_free(sc);
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
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
