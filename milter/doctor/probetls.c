/*
 * probetls.c - the probe's STARTTLS, certificate and AUTH-mechanism steps
 *
 * CONTRACT
 *	Part of the probe (probe.h, probe_int.h). The
 *	certificate verdict comes from every verification error smtpconn.c
 *	collected: self-signed, unknown CA, expired, not yet valid and wrong
 *	host are each named; an expiry within CERT_WARN_DAYS is a warning.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "causes.h"
#include "probe.h"
#include "probe_int.h"
#include "relayprof.h"

#define CERT_WARN_DAYS	21

bool
pr_step_starttls(struct probe *p)
{
	struct probe_step *s;
	struct smtp_reply rep;
	const char *why = NULL;
	unsigned t0;
	enum smtpconn_rd rd;

	s = pr_step_begin(p->r, "starttls", &t0);
	memset(&rep, 0, sizeof(rep));
	rd = smtpconn_cmd(&p->c, "STARTTLS", &rep, &why);
	if (rd != SMTPCONN_OK) {
		pr_step_end(s, t0, PV_FAIL, "tls-handshake", "STARTTLS: %s",
		    why ? why : "error");
		return false;
	}
	pr_step_reply(s, &rep);
	if (rep.code != 220) {
		pr_step_refused(p->o, s, t0, CAUSE_PHASE_TLS, "tls-handshake",
		    "STARTTLS");
		smtpreply_free(&rep);
		return false;
	}
	smtpreply_free(&rep);
	/* nothing may be read ahead of the handshake (RFC 3207) */
	sb_reset(&p->c.in);
	if (smtpconn_tls(&p->c, p->o->host, p->o->cafile,
	    p->o->capath, &why) < 0) {
		pr_step_end(s, t0, PV_FAIL, "tls-handshake", "the TLS handshake "
		    "failed: %s", why);
		return false;
	}
	pr_step_fact(p->r, s, "protocol", SSL_get_version(p->c.ssl));
	pr_step_fact(p->r, s, "cipher", SSL_get_cipher_name(p->c.ssl));
	pr_step_factf(p->r, s, "bits", "%d", SSL_get_cipher_bits(p->c.ssl, NULL));
	pr_step_end(s, t0, PV_OK, NULL, "%s with %s",
	    SSL_get_version(p->c.ssl), SSL_get_cipher_name(p->c.ssl));
	return true;
}

static void
name_text(X509_NAME *n, strbuf *out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long len;

	if (b == NULL)
		return;
	X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(b, &data);
	if (len > 0)
		sb_append(out, data, (size_t)len);
	BIO_free(b);
}

static void
time_text(const ASN1_TIME *t, strbuf *out)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) == 1)
		sb_printf(out, "%04d-%02d-%02d %02d:%02d:%02d UTC",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

static void
san_text(X509 *cert, strbuf *out)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name,
	    NULL, NULL);
	int i;

	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS) {
			const unsigned char *d =
			    ASN1_STRING_get0_data(g->d.dNSName);
			int n = ASN1_STRING_length(g->d.dNSName);

			sb_printf(out, "%s%.*s", out->len ? " " : "", n, d);
		} else if (g->type == GEN_IPADD) {
			char buf[INET6_ADDRSTRLEN];
			int n = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *d =
			    ASN1_STRING_get0_data(g->d.iPAddress);

			if ((n == 4 && inet_ntop(AF_INET, d, buf, sizeof(buf))) ||
			    (n == 16 && inet_ntop(AF_INET6, d, buf,
			    sizeof(buf))))
				sb_printf(out, "%s%s", out->len ? " " : "", buf);
		}
	}
	GENERAL_NAMES_free(gens);
}

static bool
has_err(const struct smtpconn_verify *vs, int e)
{
	size_t i;

	for (i = 0; i < vs->n; i++)
		if (vs->v[i].err == e)
			return true;
	return false;
}

void
pr_step_certificate(struct probe *p)
{
	const struct smtpconn_verify *vs = &p->c.verify;
	struct probe_step *s;
	strbuf subj, iss, until, names, msg;
	X509 *cert;
	unsigned t0;
	int days = 0, secs = 0;
	size_t i;
	bool self, expired, notyet, host_bad, unknown_ca;

	s = pr_step_begin(p->r, "certificate", &t0);
	cert = SSL_get1_peer_certificate(p->c.ssl);
	if (cert == NULL) {
		pr_step_end(s, t0, PV_FAIL, "tls-verify", "the relay sent no "
		    "certificate");
		return;
	}
	sb_init(&subj);
	sb_init(&iss);
	sb_init(&until);
	sb_init(&names);
	sb_init(&msg);
	name_text(X509_get_subject_name(cert), &subj);
	name_text(X509_get_issuer_name(cert), &iss);
	time_text(X509_get0_notAfter(cert), &until);
	san_text(cert, &names);
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert));
	pr_step_fact(p->r, s, "subject", subj.s);
	pr_step_fact(p->r, s, "issuer", iss.s);
	pr_step_fact(p->r, s, "names", names.s);
	pr_step_fact(p->r, s, "not-after", until.s);
	pr_step_factf(p->r, s, "days-left", "%d", days);
	pr_step_fact(p->r, s, "ca", p->o->cafile ? p->o->cafile : p->o->capath ?
	    p->o->capath : "system store");
	self = has_err(vs, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) ||
	    has_err(vs, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
	unknown_ca = has_err(vs, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY) ||
	    has_err(vs, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) ||
	    has_err(vs, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
	expired = has_err(vs, X509_V_ERR_CERT_HAS_EXPIRED);
	notyet = has_err(vs, X509_V_ERR_CERT_NOT_YET_VALID);
	host_bad = has_err(vs, X509_V_ERR_HOSTNAME_MISMATCH) ||
	    has_err(vs, X509_V_ERR_IP_ADDRESS_MISMATCH);
	if (self)
		sb_printf(&msg, "self-signed certificate (%s)%s; ", subj.s,
		    p->o->cafile ? " not in the CA file" : "");
	if (unknown_ca)
		sb_printf(&msg, "issued by %s, a CA not in the %s; ", iss.s,
		    p->o->cafile ? "CA file" : "system store");
	if (expired)
		sb_printf(&msg, "expired on %s; ", until.s);
	if (notyet) {
		strbuf from;

		sb_init(&from);
		time_text(X509_get0_notBefore(cert), &from);
		sb_printf(&msg, "not valid before %s (check this host's "
		    "clock); ", from.s);
		sb_free(&from);
	}
	if (host_bad)
		sb_printf(&msg, "issued for %s, not for %s; ",
		    names.len ? names.s : subj.s, p->o->host);
	for (i = 0; i < vs->n; i++) {
		int e = vs->v[i].err;

		if (e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
		    e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
		    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
		    e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
		    e == X509_V_ERR_CERT_HAS_EXPIRED ||
		    e == X509_V_ERR_CERT_NOT_YET_VALID ||
		    e == X509_V_ERR_HOSTNAME_MISMATCH ||
		    e == X509_V_ERR_IP_ADDRESS_MISMATCH)
			continue;
		sb_printf(&msg, "%s (depth %d); ",
		    X509_verify_cert_error_string(e), vs->v[i].depth);
	}
	if (msg.len >= 2)
		msg.s[msg.len -= 2] = '\0';
	pr_step_fact(p->r, s, "verify", vs->n == 0 ? "OK" : "FAIL");
	p->cert_ok = vs->n == 0;
	if (vs->n > 0)
		pr_step_end(s, t0, PV_FAIL, "tls-verify", "%s: sendmail logs "
		    "verify=FAIL (and refuses the relay where TLS_Srv asks "
		    "for VERIFY); an impostor could be listening", msg.s);
	else if (days < CERT_WARN_DAYS)
		pr_step_end(s, t0, PV_WARN, NULL, "verified for %s, but it "
		    "expires in %d day%s (%s)", p->o->host, days,
		    days == 1 ? "" : "s", until.s);
	else
		pr_step_end(s, t0, PV_OK, NULL, "verified against the %s, name "
		    "%s matches, valid until %s (%d days)", p->o->cafile ?
		    "CA file" : "system store", p->o->host, until.s, days);
	X509_free(cert);
	sb_free(&subj);
	sb_free(&iss);
	sb_free(&until);
	sb_free(&names);
	sb_free(&msg);
}

const struct relay_profile *
pr_profile(const struct probe *p)
{
	return relay_profile_for(p->o->host);
}

/*
 * The AUTH mechanisms offered. Microsoft 365 offers LOGIN (a password)
 * and XOAUTH2: Microsoft turns basic-auth SMTP AUTH off by default for
 * tenants at the end of December 2026 (domain-facts 3.4, Exchange Team
 * blog), after which LOGIN is refused; a tenant where it is off already
 * may offer XOAUTH2 alone.
 */
bool
pr_step_auth_mechs(struct probe *p, bool after_tls)
{
	const struct relay_profile *rp = pr_profile(p);
	bool m365 = rp != NULL && strcmp(rp->id, "microsoft365") == 0;
	struct probe_step *s;
	strbuf mechs;
	unsigned t0;
	size_t i;

	s = pr_step_begin(p->r, "auth-mechanisms", &t0);
	if (after_tls && !pr_do_ehlo(p, s, t0, true))
		return false;
	sb_init(&mechs);
	for (i = 0; i < p->ehlo.nauth; i++)
		sb_printf(&mechs, "%s%s", i ? " " : "", p->ehlo.auth[i]);
	pr_step_fact(p->r, s, "mechanisms", mechs.s);
	if (m365 && p->ehlo.nauth > 0 && !ehlo_has_auth(&p->ehlo, "PLAIN") &&
	    !ehlo_has_auth(&p->ehlo, "LOGIN"))
		pr_step_end(s, t0, PV_WARN, "basic-auth-disabled", "%s offers "
		    "AUTH %s and no LOGIN: basic-auth SMTP AUTH (a password, "
		    "which sendmail's authinfo gives) is off for this tenant",
		    p->o->host, mechs.s);
	else if (m365 && ehlo_has_auth(&p->ehlo, "XOAUTH2"))
		pr_step_end(s, t0, PV_INFO, NULL, "AUTH %s: LOGIN takes a "
		    "password until Microsoft turns basic-auth SMTP AUTH off "
		    "by default for tenants at the end of December 2026; then "
		    "it is refused (535 5.7.139) and sendmail needs an "
		    "IP-authenticated connector or OAuth2 (XOAUTH2)", mechs.s);
	else if (p->ehlo.nauth == 0)
		pr_step_end(s, t0, PV_WARN, "auth-required", "%s offers no AUTH "
		    "%s: it must accept this host by its address "
		    "(like smtp-relay.gmail.com with a registered IP), or mail "
		    "is refused", p->o->host, after_tls ? "after STARTTLS" :
		    "at all");
	else if (!ehlo_has_auth(&p->ehlo, "PLAIN") &&
	    !ehlo_has_auth(&p->ehlo, "LOGIN"))
		pr_step_end(s, t0, PV_WARN, "auth-mechanism", "AUTH offers %s, "
		    "but no PLAIN or LOGIN, which a password (app password) "
		    "login from sendmail needs", mechs.s);
	else
		pr_step_end(s, t0, PV_OK, NULL, "AUTH %s", mechs.s);
	sb_free(&mechs);
	return true;
}
