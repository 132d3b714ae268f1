/*
 * probeauth.c - the probe's AUTH step: log in with the authinfo entry
 *
 * CONTRACT
 *	Part of the probe (probe.h, probe_int.h). The entry
 *	is chosen as sendmail chooses it (host name, then address, then the
 *	default AuthInfo:); PLAIN when offered and allowed by its M: list,
 *	else LOGIN. Without an entry, one written for the host that
 *	sendmail never uses (a key with a port, brackets or a trailing
 *	dot) is named with the key to write. The password, the PLAIN message and every base64 form
 *	live in buffers wiped with free_secret() right after use; the
 *	transcript shows "<credentials hidden>" instead. Never called without
 *	TLS or after a failed certificate verification, except with
 *	--allow-plaintext to a loopback address (probe.c decides). A refusal
 *	by Microsoft 365 (relayprof.h) with 535 5.7.139, 550 5.7.30 or 530
 *	5.7.57 is basic-auth SMTP AUTH being off for the tenant, whatever the
 *	catalogue would make of the code alone, and the message gives the
 *	routes that work for sendmail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "authinfo.h"
#include "causes.h"
#include "probe.h"
#include "probe_int.h"

/* base64 of buf[0..n) into a new secret buffer; NULL on ENOMEM. */
static char *
b64_secret(const unsigned char *buf, size_t n, size_t *outlen)
{
	size_t cap = 4 * ((n + 2) / 3) + 1;
	char *out = malloc(cap);

	if (out == NULL)
		return NULL;
	*outlen = (size_t)EVP_EncodeBlock((unsigned char *)out, buf, (int)n);
	return out;
}

/* Send secret + CRLF, masked in the transcript; wipe everything. */
static int
send_secret(struct smtpconn *c, const char *prefix, const char *b64,
    size_t b64len, const char **why)
{
	size_t plen = strlen(prefix), n = plen + b64len + 2;
	char *line = malloc(n + 1);
	strbuf shown;
	int rc;

	if (line == NULL) {
		*why = "out of memory";
		return -1;
	}
	memcpy(line, prefix, plen);
	memcpy(line + plen, b64, b64len);
	memcpy(line + plen + b64len, "\r\n", 3);
	sb_init(&shown);
	sb_printf(&shown, "%s<credentials hidden>", prefix);
	rc = smtpconn_write(c, line, n, shown.err ? "<hidden>" : shown.s, why);
	sb_free(&shown);
	free_secret(line, n + 1);
	return rc;
}

static bool
mech_allowed(const char *mechs, const char *m)
{
	const char *p = mechs;
	size_t n = strlen(m);

	if (mechs == NULL || *mechs == '\0')
		return true;
	while (*p) {
		size_t w;

		while (*p == ' ' || *p == ',')
			p++;
		w = strcspn(p, " ,");
		if (w == n && strncasecmp(p, m, n) == 0)
			return true;
		p += w;
	}
	return false;
}

/* Microsoft 365's refusals of a password login (domain-facts 3.4). */
static bool
basic_auth_off(const struct probe *p, const struct smtp_reply *rep)
{
	const struct relay_profile *rp = pr_profile(p);

	if (rp == NULL || strcmp(rp->id, "microsoft365") != 0)
		return false;
	return (rep->code == 535 && strcmp(rep->enh, "5.7.139") == 0) ||
	    (rep->code == 550 && strcmp(rep->enh, "5.7.30") == 0) ||
	    (rep->code == 530 && strcmp(rep->enh, "5.7.57") == 0);
}

/* An entry written for host that sendmail never uses (a key with a port,
 * brackets or a trailing dot: seed 003's AuthInfo:smtp.example.com:587),
 * or NULL. */
static const struct authinfo_entry *
unusable_entry_for(const struct authinfo *ai, const char *host)
{
	const struct authinfo_entry *found = NULL;
	char *want, *have;
	size_t i, n;

	if ((want = authinfo_server_key(host)) == NULL)
		return NULL;
	for (i = 0; i < ai->n && found == NULL; i++) {
		if (authinfo_key_unusable(&ai->v[i]) == NULL ||
		    (have = strdup(ai->v[i].host + (ai->v[i].host[0] == '['))) ==
		    NULL)
			continue;
		n = strcspn(have, "]:");
		have[n] = '\0';
		while (n > 0 && have[n - 1] == '.')
			have[--n] = '\0';
		if (n > 0 && strcasecmp(have, want) == 0)
			found = &ai->v[i];
		free(have);
	}
	free(want);
	return found;
}

static const struct authinfo_entry *
auth_entry(struct probe *p, const struct authinfo *ai, const char **how)
{
	const struct authinfo_entry *e = authinfo_lookup(ai, p->o->host), *e2;
	size_t i;

	*how = "AuthInfo:";
	if (e != NULL && e->host[0] != '\0') {
		*how = "host name";
		return e;
	}
	for (i = 0; i < p->naddrs; i++) {
		e2 = authinfo_lookup(ai, p->addrs[i].text);
		if (e2 != NULL && e2->host[0] != '\0') {
			*how = "address";
			return e2;
		}
	}
	*how = "default entry";
	return e;
}

void
pr_step_auth(struct probe *p)
{
	const struct probe_options *o = p->o;
	const struct authinfo_entry *e;
	struct authinfo *ai = NULL;
	struct probe_step *s;
	struct smtp_reply rep;
	const char *how, *why = NULL, *mech;
	strbuf err;
	unsigned t0;
	enum smtpconn_rd rd;

	s = pr_step_begin(p->r, "auth", &t0);
	memset(&rep, 0, sizeof(rep));
	sb_init(&err);
	if (authinfo_load(o->authinfo, AUTHINFO_KEEP_SECRET, &ai, &err) < 0) {
		pr_step_end(s, t0, PV_FAIL, "authinfo-broken", "%s", err.s);
		sb_free(&err);
		return;
	}
	sb_free(&err);
	if ((e = auth_entry(p, ai, &how)) == NULL) {
		const struct authinfo_entry *u = unusable_entry_for(ai,
		    o->host);

		if (u != NULL)
			pr_step_end(s, t0, PV_FAIL, "auth-required", "%s has "
			    "no AuthInfo:%s entry and no default AuthInfo: "
			    "entry: sendmail would not log in; its line %u, "
			    "AuthInfo:%s, is never used (%s): key it "
			    "AuthInfo:%s", o->authinfo, o->host, u->line,
			    u->host, authinfo_key_unusable(u), o->host);
		else
			pr_step_end(s, t0, PV_FAIL, "auth-required", "%s has "
			    "no AuthInfo:%s entry and no default AuthInfo: "
			    "entry: sendmail would not log in", o->authinfo,
			    o->host);
		goto out;
	}
	pr_step_fact(p->r, s, "entry", e->host[0] ? e->host : "(default)");
	pr_step_fact(p->r, s, "account", e->authid);
	if (ehlo_has_auth(&p->ehlo, "PLAIN") && mech_allowed(e->mechs, "PLAIN"))
		mech = "PLAIN";
	else if (ehlo_has_auth(&p->ehlo, "LOGIN") &&
	    mech_allowed(e->mechs, "LOGIN"))
		mech = "LOGIN";
	else {
		const struct relay_profile *rp = pr_profile(p);
		bool m365 = rp != NULL && strcmp(rp->id, "microsoft365") == 0;

		pr_step_end(s, t0, PV_FAIL, m365 ? "basic-auth-disabled" :
		    "auth-mechanism", "no common mechanism: the relay offers "
		    "%zu mechanisms, none of them PLAIN or LOGIN%s%s",
		    p->ehlo.nauth, e->mechs ? " allowed by the entry's M: list" :
		    "", m365 ? ": Microsoft 365 without LOGIN has basic-auth "
		    "SMTP AUTH off for this tenant" : "");
		goto out;
	}
	pr_step_fact(p->r, s, "mechanism", mech);
	if (strcmp(mech, "PLAIN") == 0) {
		/* authzid (U:) only when it differs from the authcid (I:),
		 * as Cyrus SASL's PLAIN client does */
		const char *authz = e->user && strcmp(e->user, e->authid) ?
		    e->user : "";
		size_t az = strlen(authz), ac = strlen(e->authid);
		size_t n = az + 1 + ac + 1 + e->password_len, b64len;
		unsigned char *raw = malloc(n);
		char *b64;

		if (raw == NULL) {
			p->r->err = 1;
			goto out;
		}
		memcpy(raw, authz, az);
		raw[az] = '\0';
		memcpy(raw + az + 1, e->authid, ac);
		raw[az + 1 + ac] = '\0';
		memcpy(raw + az + ac + 2, e->password, e->password_len);
		b64 = b64_secret(raw, n, &b64len);
		free_secret((char *)raw, n);
		if (b64 == NULL) {
			p->r->err = 1;
			goto out;
		}
		rd = send_secret(&p->c, "AUTH PLAIN ", b64, b64len, &why) < 0 ?
		    SMTPCONN_ERROR : smtpconn_reply(&p->c, &rep, &why);
		free_secret(b64, b64len + 1);
	} else {
		char *b64;
		size_t b64len;

		rd = smtpconn_cmd(&p->c, "AUTH LOGIN", &rep, &why);
		if (rd == SMTPCONN_OK && rep.code == 334) {
			smtpreply_free(&rep);
			b64 = b64_secret((const unsigned char *)e->authid,
			    strlen(e->authid), &b64len);
			if (b64 == NULL) {
				p->r->err = 1;
				goto out;
			}
			rd = send_secret(&p->c, "", b64, b64len, &why) < 0 ?
			    SMTPCONN_ERROR : smtpconn_reply(&p->c, &rep, &why);
			free_secret(b64, b64len + 1);
		}
		if (rd == SMTPCONN_OK && rep.code == 334) {
			smtpreply_free(&rep);
			b64 = b64_secret((const unsigned char *)e->password,
			    e->password_len, &b64len);
			if (b64 == NULL) {
				p->r->err = 1;
				goto out;
			}
			rd = send_secret(&p->c, "", b64, b64len, &why) < 0 ?
			    SMTPCONN_ERROR : smtpconn_reply(&p->c, &rep, &why);
			free_secret(b64, b64len + 1);
		}
	}
	if (rd != SMTPCONN_OK) {
		pr_step_end(s, t0, PV_FAIL, "connection-lost", "AUTH %s: %s", mech,
		    why ? why : "error");
		goto out;
	}
	pr_step_reply(s, &rep);
	if (rep.code == 235)
		pr_step_end(s, t0, PV_OK, NULL, "logged in as %s with %s (%s)",
		    e->authid, mech, how);
	else if (basic_auth_off(p, &rep))
		pr_step_end(s, t0, PV_FAIL, "basic-auth-disabled", "%s refused "
		    "the login of %s with %s: %s: basic-auth SMTP AUTH (a "
		    "password) is off for this tenant (Microsoft turns it off by "
		    "default at the end of December 2026); what works for "
		    "sendmail: an IP-authenticated connector for this server's "
		    "public address, with SMART_HOST the tenant's MX "
		    "([<domain>.mail.protection.outlook.com]) on port 25 and no "
		    "AUTH, or OAuth2 (XOAUTH2) through a SASL plugin that "
		    "renews the token", o->host, e->authid, mech,
		    s ? s->reply : "");
	else {
		pr_step_end(s, t0, PV_FAIL, pr_classify(o->host, o->port,
		    s ? s->reply : NULL, CAUSE_PHASE_AUTH, NULL), "%s refused "
		    "the login of %s with %s: %s", o->host, e->authid, mech,
		    s ? s->reply : "");
	}
out:
	smtpreply_free(&rep);
	authinfo_free(ai);
}
