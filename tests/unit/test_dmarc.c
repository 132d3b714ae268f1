/*
 * test_dmarc.c - DMARC policy discovery and DKIM key lookups through the
 *		  checker's DNS (dmarcdns.h), on an in-memory zone, and the
 *		  DMARC vectors of tests/unit/data
 *
 * CONTRACT
 *	Discovery: a record at the From: domain, at the organizational
 *	domain (PSL) only, none, non-DMARC TXT records discarded, several
 *	records, a record that is no policy record, DNS trouble (never
 *	cached), the cache (no second query), the deadline, the two names a
 *	discovery asks. DKIM keys: usable, missing, revoked, unusable, one
 *	good among several, cached. Vectors (tests/unit/data, SOURCES.md):
 *	DMARCbis's tree walk (discovery here asks two names, not the walk's
 *	up to eight), its Organizational Domain and alignment examples
 *	(where the PSL rule of RFC 7489 gives another answer, the test says
 *	which and asserts ours), OpenDMARC's From: domain extraction and
 *	organizational domain vectors.
 *	Run from the top of the tree (tests/run does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "align.h"
#include "dmarcdns.h"
#include "deadline.h"
#include "dnsq.h"
#include "spfcheck.h"
#include "util.h"

/* When set, strdup() fails as on an exhausted heap: this program's own
 * strdup is the one every module linked into it calls. */
static int strdup_fails;

char *
strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d;

	if (strdup_fails || (d = malloc(n)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	return memcpy(d, s, n);
}

static struct spfc *
zone(const char *const (*recs)[3], size_t n)
{
	struct spfc_options o = { 500, 3600, 100, "", NULL, NULL, false };
	struct spfc *sc;
	strbuf err;
	size_t i;

	sb_init(&err);
	if ((sc = spfc_new(&o, &err)) == NULL)
		fail_msg("spfc_new: %s", err.s);
	for (i = 0; i < n; i++)
		if (spfc_zone_add(sc, recs[i][0], recs[i][1], recs[i][2],
		    &err) < 0)
			fail_msg("zone %s: %s", recs[i][0], err.s);
	sb_free(&err);
	return sc;
}

static const char *const recs[][3] = {
	{ "_dmarc.example.org", "TXT", "v=DMARC1; p=reject; sp=quarantine" },
	{ "_dmarc.own.example.org", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.mixed.example", "TXT", "google-site-verification=x" },
	{ "_dmarc.mixed.example", "TXT", "v=DMARC1; p=quarantine" },
	{ "_dmarc.multi.example", "TXT", "v=DMARC1; p=none" },
	{ "_dmarc.multi.example", "TXT", "v=DMARC1; p=reject" },
	{ "_dmarc.badp.example", "TXT", "v=DMARC1; p=bogus" },
	{ "_dmarc.slow.example", "TIMEOUT", NULL },
	{ "_dmarc.example.co.uk", "TXT", "v=DMARC1; p=reject" },
	{ "s1._domainkey.keys.example", "TXT", "v=DKIM1; k=rsa; p=MIGfMA0" },
	{ "old._domainkey.keys.example", "TXT", "v=DKIM1; k=rsa; p=" },
	{ "junk._domainkey.keys.example", "TXT", "hello" },
	{ "two._domainkey.keys.example", "TXT", "hello" },
	{ "two._domainkey.keys.example", "TXT", "v=DKIM1; p=MIGf" },
	{ "slow._domainkey.keys.example", "TIMEOUT", NULL },
};

static uint64_t
later(void)
{
	return mono_ms() + 2000;
}

/* Discover from_domain with its PSL organizational domain. f->where is
 * one of the two domains passed, not a copy: the org lives in a buffer
 * of this file until the next call (the freed copy would be read after
 * its free(), which ASan reports, had where been left pointing at it). */
static void
discover(struct spfc *sc, const char *from, struct dmarc_found *f)
{
	static char keep[256];
	char *org = align_org_domain(from);

	assert_non_null(org);
	assert_true(strlen(org) < sizeof(keep));
	strcpy(keep, org);
	free(org);
	assert_int_equal(dmarcdns_discover(sc, from, keep, later(), f), 0);
	assert_true(f->where == from || f->where == keep);
}

static void
test_discovery(void **state)
{
	struct spfc *sc = zone(recs, sizeof(recs) / sizeof(recs[0]));
	struct dmarc_found f;
	unsigned long q;

	(void)state;
	/* at the From: domain: p= applies */
	discover(sc, "example.org", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_false(f.at_org);
	assert_string_equal(f.where, "example.org");
	assert_int_equal(dmarcrec_policy(&f.rec, f.at_org),
	    DMARC_P_REJECT);
	assert_int_equal(f.queries, 1);
	dmarcdns_found_clear(&f);
	/* a subdomain without a record: the org's, whose sp= applies */
	discover(sc, "mail.example.org", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_true(f.at_org);
	assert_string_equal(f.where, "example.org");
	assert_int_equal(dmarcrec_policy(&f.rec, f.at_org),
	    DMARC_P_QUARANTINE);
	assert_int_equal(f.queries, 1);		/* example.org was cached */
	dmarcdns_found_clear(&f);
	/* a subdomain with its own record: that one, p= */
	discover(sc, "own.example.org", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_false(f.at_org);
	assert_int_equal(dmarcrec_policy(&f.rec, f.at_org),
	    DMARC_P_NONE);
	dmarcdns_found_clear(&f);
	/* other TXT records at _dmarc are discarded (6.6.3 step 2) */
	discover(sc, "mixed.example", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_string_equal(f.text, "v=DMARC1; p=quarantine");
	dmarcdns_found_clear(&f);
	/* several: no DMARC, and no look at the org domain (step 5) */
	q = spfc_dns_queries(sc);
	discover(sc, "multi.example", &f);
	assert_int_equal(f.status, DMARCF_NONE);
	assert_non_null(strstr(f.why, "2 DMARC records"));
	assert_int_equal(spfc_dns_queries(sc) - q, 1);
	dmarcdns_found_clear(&f);
	discover(sc, "sub.multi.example", &f);
	assert_int_equal(f.status, DMARCF_NONE);
	assert_true(f.at_org);
	dmarcdns_found_clear(&f);
	/* no valid p= and no rua=: not a policy record (step 6) */
	discover(sc, "badp.example", &f);
	assert_int_equal(f.status, DMARCF_NONE);
	assert_non_null(strstr(f.why, "not a policy record"));
	dmarcdns_found_clear(&f);
	/* nothing anywhere: two names asked, the From: domain and its
	 * organizational domain */
	q = spfc_dns_queries(sc);
	discover(sc, "a.b.nothing.example.net", &f);
	assert_int_equal(f.status, DMARCF_NONE);
	assert_null(f.why);
	assert_int_equal(spfc_dns_queries(sc) - q, 2);
	assert_int_equal(f.queries, 2);
	assert_false(f.cached);
	dmarcdns_found_clear(&f);
	/* the PSL: co.uk is a public suffix */
	discover(sc, "mail.example.co.uk", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_string_equal(f.where, "example.co.uk");
	dmarcdns_found_clear(&f);
	spfc_free(sc);
}

static void
test_cache_and_trouble(void **state)
{
	struct spfc *sc = zone(recs, sizeof(recs) / sizeof(recs[0]));
	struct dmarc_found f;
	unsigned long q;

	(void)state;
	discover(sc, "a.b.nothing.example.net", &f);
	dmarcdns_found_clear(&f);
	/* the second time from the cache: no query, also for "none" */
	q = spfc_dns_queries(sc);
	discover(sc, "a.b.nothing.example.net", &f);
	assert_int_equal(spfc_dns_queries(sc), q);
	assert_true(f.cached);
	assert_int_equal(f.queries, 0);
	dmarcdns_found_clear(&f);
	/* DNS trouble: temperror, never cached */
	discover(sc, "slow.example", &f);
	assert_int_equal(f.status, DMARCF_TEMPERROR);
	assert_non_null(strstr(f.why, "_dmarc.slow.example"));
	dmarcdns_found_clear(&f);
	q = spfc_dns_queries(sc);
	discover(sc, "slow.example", &f);
	assert_int_equal(f.status, DMARCF_TEMPERROR);
	assert_int_equal(spfc_dns_queries(sc) - q, 1);
	dmarcdns_found_clear(&f);
	/* a deadline already passed: temperror at once */
	assert_int_equal(dmarcdns_discover(sc, "example.co.uk", "example.co.uk",
	    mono_ms(), &f), 0);
	assert_int_equal(f.status, DMARCF_TEMPERROR);
	assert_non_null(strstr(f.why, "DNS timeout"));
	dmarcdns_found_clear(&f);
	spfc_free(sc);
}

static void
test_dkim_keys(void **state)
{
	static const struct {
		const char		*sel;
		enum dkimk_status	 st;
	} t[] = {
		{ "s1", DKIMK_OK }, { "none", DKIMK_MISSING },
		{ "old", DKIMK_REVOKED }, { "junk", DKIMK_BAD },
		{ "two", DKIMK_OK }, { "slow", DKIMK_TEMPERROR },
	};
	struct spfc *sc = zone(recs, sizeof(recs) / sizeof(recs[0]));
	struct dkim_keyq k;
	unsigned long q;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(dmarcdns_dkim_key(sc, t[i].sel, "keys.example",
		    later(), &k), 0);
		if (k.status != t[i].st)
			fail_msg("%s: %s, want %s", t[i].sel,
			    dmarcdns_key_status_name(k.status),
			    dmarcdns_key_status_name(t[i].st));
		if (k.status != DKIMK_OK && k.why == NULL)
			fail_msg("%s: no reason", t[i].sel);
		dmarcdns_keyq_clear(&k);
	}
	/* cached, except the temporary failure */
	q = spfc_dns_queries(sc);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(dmarcdns_dkim_key(sc, t[i].sel, "keys.example",
		    later(), &k), 0);
		assert_int_equal(k.status, t[i].st);
		assert_int_equal(k.cached, t[i].st != DKIMK_TEMPERROR);
		dmarcdns_keyq_clear(&k);
	}
	assert_int_equal(spfc_dns_queries(sc) - q, 1);
	spfc_free(sc);
}

/* ---------------------------------------------------------------- vectors */

static char *
slurp(const char *path)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len) < 0)
		fail_msg("%s: cannot read", path);
	return buf;
}

/* The value of "key: value" in a flow mapping or a line, into out. */
static bool
yval(const char *line, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "%s: ", key);
	for (p = line; (p = strstr(p, pat)) != NULL; p++) {
		if (p != line && p[-1] != ' ' && p[-1] != '{')
			continue;
		p += strlen(pat);
		n = strcspn(p, ",}\n");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n >= size)
			return false;
		memcpy(out, p, n);
		out[n] = '\0';
		return true;
	}
	return false;
}

/*
 * Where RFC 7489's PSL rule and DMARCbis's tree walk differ, what the PSL
 * gives (the vector's own answer is the tree walk's): these rows publish
 * psd= tags or records below a registrable domain, which the PSL does not
 * read (SOURCES.md of the vectors says the same).
 */
static const struct {
	const char	*name;
	const char	*ours;
} org_deviations[] = {
	{ "psd-n-stops", "example.com" },
	{ "same-domain-with-record", "example.com" },
	{ "appendix-psd-author", "bank.example" },
	{ "appendix-psd-mailfrom", "bank.example" },
	{ "appendix-psd-dkim", "bank.example" },
};

static void
test_dmarcbis_vectors(void **state)
{
	char *buf = slurp("tests/unit/data/dmarcbis-treewalk-vectors.yml");
	char *line, *next, section[32] = "", name[256] = "", start[256] = "";
	char a[256], b[256], want[32], *org;
	size_t orgs = 0, aligns = 0, walks = 0, deviating = 0, i;
	int rs, rr;

	(void)state;
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (line[0] != ' ') {
			snprintf(section, sizeof(section), "%s", line);
			continue;
		}
		if (yval(line, "name", a, sizeof(a)))
			snprintf(name, sizeof(name), "%s", a);
		if (yval(line, "start", a, sizeof(a)))
			snprintf(start, sizeof(start), "%s", a);
		if (strcmp(section, "treewalk_queries:") == 0 &&
		    strstr(line, "- _dmarc.") != NULL) {
			/* RFC 7489 discovery asks two of the walk's names:
			 * the start and its organizational domain (PSL) */
			const char *q = strstr(line, "_dmarc.") + 7;

			org = align_org_domain(start);
			if (strcmp(q, start) == 0 || strcmp(q, org) == 0)
				walks++;
			free(org);
		} else if (strcmp(section, "orgdomain:") == 0 &&
		    yval(line, "expect", want, sizeof(want))) {
			const char *expect = want;

			org = align_org_domain(start);
			for (i = 0; i < sizeof(org_deviations) /
			    sizeof(org_deviations[0]); i++)
				if (strcmp(name, org_deviations[i].name) == 0)
					break;
			if (i < sizeof(org_deviations) /
			    sizeof(org_deviations[0])) {
				if (strcmp(org, expect) == 0)
					fail_msg("%s: the PSL now agrees with "
					    "the tree walk (%s): drop the "
					    "deviation", name, org);
				expect = org_deviations[i].ours;
				deviating++;
			}
			if (strcmp(org, expect) != 0)
				fail_msg("orgdomain %s: PSL gives %s, want %s",
				    name, org, expect);
			free(org);
			orgs++;
		} else if (strcmp(section, "alignment:") == 0 &&
		    yval(line, "auth_id", a, sizeof(a)) &&
		    yval(line, "author", b, sizeof(b)) &&
		    yval(line, "expect", want, sizeof(want))) {
			const char *got;

			rs = align_check(a, b, ALIGN_STRICT);
			rr = align_check(a, b, ALIGN_RELAXED);
			got = rs == 1 ? "strict" : rr == 1 ? "relaxed" :
			    "none";
			/* the PSD example: mega.bank.example and
			 * giant.bank.example are two organizations for the
			 * walk, one (bank.example) for the PSL */
			if (strcmp(a, "mail.mega.bank.example") == 0) {
				assert_string_equal(want, "none");
				assert_string_equal(got, "relaxed");
				deviating++;
			} else if (strcmp(got, want) != 0) {
				fail_msg("alignment %s / %s: %s, want %s", a,
				    b, got, want);
			}
			aligns++;
		}
	}
	free(buf);
	/* 3 walks: the start and the org domain each (2 names per walk) */
	assert_int_equal(walks, 6);
	assert_int_equal(orgs, 10);
	assert_int_equal(aligns, 11);
	assert_int_equal(deviating, 6);
}

/* Discovery with the records of a DMARCbis Organizational Domain vector:
 * RFC 7489 with the PSL never uses a record it does not find at the From:
 * domain or its PSL organizational domain. */
static void
test_dmarcbis_discovery(void **state)
{
	static const char *const r[][3] = {
		{ "_dmarc.mail.example.com", "TXT", "v=DMARC1; p=reject; "
		    "psd=n" },
		{ "_dmarc.giant.bank.example", "TXT", "v=DMARC1; p=reject" },
		{ "_dmarc.bank.example", "TXT", "v=DMARC1; p=none; psd=y" },
	};
	struct spfc *sc = zone(r, 3);
	struct dmarc_found f;

	(void)state;
	/* psd-n-stops: the walk stops at mail.example.com (p=reject); the
	 * PSL asks a.mail.example.com and example.com: no policy */
	discover(sc, "a.mail.example.com", &f);
	assert_int_equal(f.status, DMARCF_NONE);
	dmarcdns_found_clear(&f);
	/* the record at the From: domain itself is found by both */
	discover(sc, "mail.example.com", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_false(f.at_org);
	dmarcdns_found_clear(&f);
	/* appendix-psd-mailfrom: the walk's org is giant.bank.example
	 * (p=reject); the PSL's is bank.example (p=none) */
	discover(sc, "mail.giant.bank.example", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_string_equal(f.where, "bank.example");
	assert_int_equal(dmarcrec_policy(&f.rec, f.at_org), DMARC_P_NONE);
	dmarcdns_found_clear(&f);
	spfc_free(sc);
}

/* OpenDMARC's From: vectors: the first mailbox's domain, or a refusal
 * (then no DMARC verdict is predicted), never another domain. */
static void
test_finddomain_vectors(void **state)
{
	char *buf = slurp("tests/unit/data/opendmarc-finddomain-vectors.tsv");
	char *line, *next, *raw, *want = NULL;
	struct hdr_from hf;
	size_t rows = 0, found = 0;

	(void)state;
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    strncmp(line, "n\t", 2) == 0)
			continue;
		if ((raw = strchr(line, '\t')) == NULL ||
		    (want = strchr(++raw, '\t')) == NULL)
			fail_msg("bad line: %s", line);
		*want++ = '\0';
		rows++;
		if (hdr_from_parse(raw, &hf) == 0 && hf.count >= 1 &&
		    hf.addr.domain != NULL) {
			if (strcmp(hf.addr.domain, want) != 0)
				fail_msg("%s: domain %s, want %s", raw,
				    hf.addr.domain, want);
			found++;
		}
		hdr_from_free(&hf);
	}
	free(buf);
	assert_int_equal(rows, 13);
	/* rows 6, 9 and 13 are not RFC 5322 From: values (nested <>, a
	 * "Mail From:" prefix, a "From:" field name, an unquoted "'"):
	 * refused, the rest read as OpenDMARC reads them */
	assert_int_equal(found, 10);
}

static void
test_tld_vectors(void **state)
{
	char *buf = slurp("tests/unit/data/opendmarc-tld-vectors.tsv");
	char *line, *next, *dom, *want = NULL, *end, *org;
	size_t rows = 0;

	(void)state;
	for (line = buf; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    strncmp(line, "n\t", 2) == 0)
			continue;
		if ((dom = strchr(line, '\t')) == NULL ||
		    (want = strchr(++dom, '\t')) == NULL)
			fail_msg("bad line: %s", line);
		*want++ = '\0';
		if ((end = strchr(want, '\t')) != NULL)
			*end = '\0';
		org = align_org_domain(dom);
		if (org == NULL || strcmp(org, want) != 0)
			fail_msg("%s: organizational domain %s, want %s", dom,
			    org ? org : "(null)", want);
		free(org);
		rows++;
	}
	free(buf);
	assert_int_equal(rows, 3);
}

static int
teardown(void **state)
{
	(void)state;
	align_cleanup();
	return 0;
}

/* A record's text is kept in the result when it fits (DMARC_TEXT_INLINE),
 * else in an allocation; whole either way, from DNS and from the cache. */
static void
test_record_storage(void **state)
{
	char rec[400];
	const char *r[2][3] = {
		{ "_dmarc.long.example", "TXT", rec },
		{ "_dmarc.short.example", "TXT", "v=DMARC1; p=quarantine" },
	};
	struct spfc *sc;
	struct dmarc_found f;
	int pass, rc;

	(void)state;
	strcpy(rec, "v=DMARC1; p=reject; rua=mailto:");
	memset(rec + strlen(rec), 'r', 300);
	strcpy(rec + 331, "@long.example");
	assert_true(strlen(rec) >= DMARC_TEXT_INLINE);
	sc = zone(r, 2);
	for (pass = 0; pass < 2; pass++) {	/* DNS, then the cache */
		discover(sc, "long.example", &f);
		assert_int_equal(f.status, DMARCF_FOUND);
		assert_int_equal(f.cached, pass == 1);
		assert_string_equal(f.text, rec);
		assert_true(f.text != f.text_inl);
		assert_int_equal(dmarcrec_policy(&f.rec, f.at_org),
		    DMARC_P_REJECT);
		dmarcdns_found_clear(&f);
		assert_null(f.text);
		discover(sc, "short.example", &f);
		assert_int_equal(f.cached, pass == 1);
		assert_string_equal(f.text, "v=DMARC1; p=quarantine");
		assert_ptr_equal(f.text, f.text_inl);
		dmarcdns_found_clear(&f);
	}
	/* The long record is cached. A copy of it that cannot be made is
	 * never "no record" (it used to be: a DMARC verdict of none): the
	 * cache misses and DNS is asked, which fails too with no memory, so
	 * the lookup is an error or a temperror; once memory is back the
	 * record is found again. */
	strdup_fails = 1;
	rc = dmarcdns_discover(sc, "long.example", "long.example", later(),
	    &f);
	strdup_fails = 0;
	assert_true(rc == -1 || f.status == DMARCF_TEMPERROR);
	if (rc == 0)
		dmarcdns_found_clear(&f);
	discover(sc, "long.example", &f);
	assert_int_equal(f.status, DMARCF_FOUND);
	assert_string_equal(f.text, rec);
	dmarcdns_found_clear(&f);
	spfc_free(sc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery),
		cmocka_unit_test(test_record_storage),
		cmocka_unit_test(test_cache_and_trouble),
		cmocka_unit_test(test_dkim_keys),
		cmocka_unit_test(test_dmarcbis_vectors),
		cmocka_unit_test(test_dmarcbis_discovery),
		cmocka_unit_test(test_finddomain_vectors),
		cmocka_unit_test(test_tld_vectors),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
