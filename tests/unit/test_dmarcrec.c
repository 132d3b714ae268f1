/*
 * test_dmarcrec.c - DMARC policy records (RFC 7489 6.3, 6.4, 6.6.3) and
 *		     DKIM key records (RFC 6376 3.6.1)
 *
 * CONTRACT
 *	Tables of records with the verdict RFC 7489 gives them: which TXT
 *	records are DMARC records at all, p=/sp=/adkim=/aspf=/pct=, defaults
 *	and ignored errors, duplicate tags, the rua= fallback of 6.6.3 step
 *	6, the policy of a record found at the organizational domain; DKIM
 *	keys usable, revoked and unusable; and that no parser reads past the
 *	length it is given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarcrec.h"

static void
test_is_record(void **state)
{
	static const struct {
		const char	*txt;
		bool		 is;
	} t[] = {
		{ "v=DMARC1; p=none", true },
		{ "v=DMARC1;p=reject", true },
		{ "v = DMARC1 ; p = reject", true },
		{ "V=DMARC1; p=none", true },		/* "v" is ABNF text */
		{ "v=DMARC1", true },
		{ "  v=DMARC1;", true },
		{ "v=dmarc1; p=none", false },		/* %x44 %x4d ...: exact */
		{ "v=DMARC10; p=none", false },
		{ "v=DMARC1 p=none", false },		/* no ";": value differs */
		{ "p=none; v=DMARC1", false },		/* v= must come first */
		{ "v=spf1 -all", false },
		{ "", false },
		{ "DMARC1", false },
		{ "google-site-verification=abc", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (dmarcrec_is_record(t[i].txt, strlen(t[i].txt)) != t[i].is)
			fail_msg("%zu: \"%s\": expected %s", i, t[i].txt,
			    t[i].is ? "a record" : "no record");
	/* a NUL byte inside: no record (the DNS can carry one) */
	assert_false(dmarcrec_is_record("v=DMARC1; p=none\0x", 18));
	/* the length is obeyed: a prefix of a record */
	assert_false(dmarcrec_is_record("v=DMARC1", 7));
	assert_true(dmarcrec_is_record("v=DMARC1; p=reject", 8));
}

static void
test_parse(void **state)
{
	static const struct {
		const char	*txt;
		int		 rc;
		int		 p, sp;		/* -1: no sp */
		bool		 aspf_s, adkim_s;
		unsigned	 pct;
		bool		 fallback, warn;
	} t[] = {
		{ "v=DMARC1; p=none", 0, DMARC_P_NONE, -1, false, false, 100,
		    false, false },
		{ "v=DMARC1; p=reject; sp=quarantine; aspf=s; adkim=r", 0,
		    DMARC_P_REJECT, DMARC_P_QUARANTINE, true, false, 100,
		    false, false },
		{ "v=DMARC1; p=Quarantine; ADKIM=S; pct=20", 0,
		    DMARC_P_QUARANTINE, -1, false, true, 20, false, false },
		{ "v=DMARC1; p=reject; pct=0", 0, DMARC_P_REJECT, -1, false,
		    false, 0, false, false },
		/* unknown tags and the reporting tags are ignored */
		{ "v=DMARC1; p=none; rua=mailto:a@example.com; ruf=mailto:"
		    "f@example.com; fo=1; rf=afrf; ri=86400; np=reject; "
		    "x_new=1", 0, DMARC_P_NONE, -1, false, false, 100, false,
		    false },
		/* errors in optional tags fall back to the default */
		{ "v=DMARC1; p=reject; pct=101", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, true },
		{ "v=DMARC1; p=reject; pct=abc", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, true },
		{ "v=DMARC1; p=reject; pct=", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, true },
		{ "v=DMARC1; p=reject; pct=0100", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, true },
		{ "v=DMARC1; p=reject; aspf=x", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, true },
		/* p= after other tags: accepted (OpenDMARC, the large
		 * receivers), though the ABNF wants it second */
		{ "v=DMARC1; rua=mailto:a@example.com; p=reject", 0,
		    DMARC_P_REJECT, -1, false, false, 100, false, false },
		/* trailing separator, white space, empty specs */
		{ "v=DMARC1 ;  p=reject ;; ", 0, DMARC_P_REJECT, -1, false,
		    false, 100, false, false },
		/* 6.6.3 step 6: no valid p=, or an invalid sp=: with a valid
		 * rua= as p=none, without it no policy */
		{ "v=DMARC1; rua=mailto:d@example.com", 0, DMARC_P_NONE, -1,
		    false, false, 100, true, false },
		{ "v=DMARC1; p=block; rua=mailto:d@example.com", 0,
		    DMARC_P_NONE, -1, false, false, 100, true, true },
		{ "v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com", 0,
		    DMARC_P_NONE, -1, false, false, 100, true, true },
		{ "v=DMARC1", -1, 0, 0, false, false, 0, false, false },
		{ "v=DMARC1; p=block", -1, 0, 0, false, false, 0, false,
		    false },
		{ "v=DMARC1; p=reject; sp=bogus", -1, 0, 0, false, false, 0,
		    false, false },
		{ "v=DMARC1; rua=not a uri", -1, 0, 0, false, false, 0, false,
		    false },
		{ "v=DMARC1; rua=mailto:", -1, 0, 0, false, false, 0, false,
		    false },
		{ "v=DMARC1; p=none; rua=x:,mailto:ok@example.com!10m", 0,
		    DMARC_P_NONE, -1, false, false, 100, false, false },
		/* RFC 6376 3.2: a duplicate tag invalidates the list */
		{ "v=DMARC1; p=none; p=reject", -1, 0, 0, false, false, 0,
		    false, false },
		{ "v=DMARC1; p=none; P=reject", -1, 0, 0, false, false, 0,
		    false, false },
		{ "v=DMARC1; v=DMARC1; p=none", -1, 0, 0, false, false, 0,
		    false, false },
		/* a spec without "=" or with a bad name is ignored (6.3) */
		{ "v=DMARC1; p=none; garbage", 0, DMARC_P_NONE, -1, false,
		    false, 100, false, true },
		{ "v=DMARC1; 1x=2; p=reject; x-new=1", 0, DMARC_P_REJECT, -1,
		    false, false, 100, false, true },
		{ "v=spf1 -all", -1, 0, 0, false, false, 0, false, false },
	};
	struct dmarc_record r;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		why = NULL;
		rc = dmarcrec_parse(t[i].txt, strlen(t[i].txt), &r, &why);
		if (rc != t[i].rc)
			fail_msg("%zu: \"%s\": rc %d (%s)", i, t[i].txt, rc,
			    why ? why : "");
		if (rc < 0) {
			if (why == NULL)
				fail_msg("%zu: refused without a reason", i);
			continue;
		}
		if ((int)r.p != t[i].p || r.has_sp != (t[i].sp >= 0) ||
		    (r.has_sp && (int)r.sp != t[i].sp) ||
		    r.aspf_strict != t[i].aspf_s ||
		    r.adkim_strict != t[i].adkim_s || r.pct != t[i].pct ||
		    r.rua_fallback != t[i].fallback ||
		    (r.warn != NULL) != t[i].warn)
			fail_msg("%zu: \"%s\": p=%d sp=%d/%d aspf_s=%d "
			    "adkim_s=%d pct=%u fallback=%d warn=%s", i,
			    t[i].txt, r.p, r.has_sp, r.sp, r.aspf_strict,
			    r.adkim_strict, r.pct, r.rua_fallback,
			    r.warn ? r.warn : "-");
	}
}

static void
test_policy_at_org(void **state)
{
	struct dmarc_record r;
	const char *why;
	static const char sp[] = "v=DMARC1; p=none; sp=reject";
	static const char nosp[] = "v=DMARC1; p=quarantine";

	(void)state;
	assert_int_equal(dmarcrec_parse(sp, strlen(sp), &r, &why), 0);
	/* RFC 7489 6.3: sp= for a subdomain whose record is the org's */
	assert_int_equal(dmarcrec_policy(&r, true), DMARC_P_REJECT);
	assert_int_equal(dmarcrec_policy(&r, false), DMARC_P_NONE);
	assert_int_equal(dmarcrec_parse(nosp, strlen(nosp), &r, &why), 0);
	/* no sp=: p= applies to subdomains too */
	assert_int_equal(dmarcrec_policy(&r, true), DMARC_P_QUARANTINE);
	assert_string_equal(dmarcrec_policy_name(DMARC_P_NONE), "none");
	assert_string_equal(dmarcrec_policy_name(DMARC_P_QUARANTINE),
	    "quarantine");
	assert_string_equal(dmarcrec_policy_name(DMARC_P_REJECT), "reject");
}

/* No read past the given length: the record in a buffer of exactly its
 * size (ASan catches a read beyond it). */
static void
test_bounds(void **state)
{
	static const char *const recs[] = {
		"v=DMARC1; p=reject; rua=mailto:a@b.c; pct=50",
		"v=DMARC1; p=", "v=DMARC1; pct=1", "v=", "v", "p=abc",
		"v=DKIM1; k=rsa; p=MIGfMA0", "p=", "k=rsa",
	};
	struct dmarc_record r;
	const char *why;
	size_t i, n;
	char *buf;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		for (n = 0; n <= strlen(recs[i]); n++) {
			buf = n ? malloc(n) : NULL;
			if (n)
				memcpy(buf, recs[i], n);
			(void)dmarcrec_is_record(buf ? buf : "", n);
			(void)dmarcrec_parse(buf ? buf : "", n, &r, &why);
			(void)dmarcrec_dkim_key(buf ? buf : "", n, &why);
			free(buf);
		}
	}
}

static void
test_too_many_tags(void **state)
{
	char buf[2000];
	size_t i, n;
	struct dmarc_record r;
	const char *why = NULL;

	(void)state;
	n = (size_t)snprintf(buf, sizeof(buf), "v=DMARC1; p=none");
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "; x%zu=1", i);
	assert_int_equal(dmarcrec_parse(buf, n, &r, &why), -1);
	assert_non_null(strstr(why, "64"));
}

static void
test_dkim_key(void **state)
{
	static const struct {
		const char		*txt;
		enum dkim_key_state	 st;
	} t[] = {
		{ "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1",
		    DKIMKEY_OK },
		{ "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC1", DKIMKEY_OK },
		{ "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaa"
		    "PcHURo=", DKIMKEY_OK },
		{ "v=DKIM1; p=MIGf MA0G\tCSqG", DKIMKEY_OK },	/* FWS */
		{ "v=DKIM1; h=sha256; s=email; t=s; p=MIGfMA0", DKIMKEY_OK },
		{ "v=DKIM1; k=rsa; p=", DKIMKEY_REVOKED },
		{ "v=DKIM1; p= ", DKIMKEY_REVOKED },
		{ "v=DKIM1; k=rsa", DKIMKEY_BAD },		/* no p= */
		{ "v=DKIM2; p=MIGf", DKIMKEY_BAD },
		{ "k=rsa; v=DKIM1; p=MIGf", DKIMKEY_BAD },	/* v= not first */
		{ "v=DKIM1; k=dsa; p=MIGf", DKIMKEY_BAD },
		{ "v=DKIM1; p=MIG$f", DKIMKEY_BAD },
		{ "v=DKIM1; p=MIGf; p=MIGf", DKIMKEY_BAD },
		{ "v=DKIM1; p=MIGf; junk", DKIMKEY_BAD },
		{ "v=spf1 -all", DKIMKEY_BAD },
		{ "", DKIMKEY_BAD },
	};
	const char *why;
	size_t i;
	enum dkim_key_state st;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		why = NULL;
		st = dmarcrec_dkim_key(t[i].txt, strlen(t[i].txt), &why);
		if (st != t[i].st)
			fail_msg("%zu: \"%s\": state %d, want %d (%s)", i,
			    t[i].txt, st, t[i].st, why ? why : "");
		if (st != DKIMKEY_OK && why == NULL)
			fail_msg("%zu: no reason", i);
	}
	assert_int_equal(dmarcrec_dkim_key("p=MIGf\0", 7, &why), DKIMKEY_BAD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_record),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_policy_at_org),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_too_many_tags),
		cmocka_unit_test(test_dkim_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
