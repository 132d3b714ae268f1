/*
 * cfhost.c - the configuration checks about this host's name: unqualified,
 *	a localhost name, outside the Workspace domain of smtp-relay
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env and appends findings. Names are looked up in the
 *	/etc/hosts text the way glibc does with "multi on" (Debian's and Red
 *	Hat's default), and the name sendmail takes ($j) wins over
 *	gethostname(). A qualified $j is still wrong when it is a localhost
 *	name (the host's name on a loopback line after localhost
 *	localhost.localdomain: sendmail takes that line's first full name)
 *	or, for Google Workspace's smtp-relay.gmail.com registered by address,
 *	outside the Workspace domain: Google checks the EHLO name for the null
 *	sender of bounces, which relaymilter never rewrites (seed 001).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "relayprof.h"

/*
 * From hosts text: the lines naming host. glibc ("multi on", Debian's
 * default) merges them: *addr is the first line's address, *canon its
 * first name, *fqdn the first name with a dot on any of them (sendmail
 * takes such an alias as its canonical name), *lineno the first line.
 */
static bool
hosts_lookup(const char *text, const char *host, strbuf *addr, strbuf *canon,
    strbuf *fqdn, unsigned *lineno)
{
	const char *p = text;
	unsigned line = 0;
	bool found = false;

	while (*p) {
		size_t n = strcspn(p, "\n");
		char *l = strndup(p, n), *cur, *ip, *w, *hash;
		strbuf c, q;
		bool hit = false;

		p += n;
		if (*p)
			p++;
		line++;
		if (l == NULL)
			return found;
		if ((hash = strchr(l, '#')) != NULL)
			*hash = '\0';
		cur = l;
		if ((ip = str_token(&cur)) == NULL) {
			free(l);
			continue;
		}
		sb_init(&c);
		sb_init(&q);
		while ((w = str_token(&cur)) != NULL) {
			if (c.len == 0)
				sb_puts(&c, w);
			if (q.len == 0 && strchr(w, '.') != NULL)
				sb_puts(&q, w);
			if (str_ieq(w, host))
				hit = true;
		}
		if (hit && !found) {
			found = true;
			sb_puts(addr, ip);
			sb_puts(canon, c.s);
			*lineno = line;
		}
		if (hit && fqdn->len == 0 && q.len > 0)
			sb_puts(fqdn, q.s);
		sb_free(&c);
		sb_free(&q);
		free(l);
	}
	return found;
}

static bool
public_mail_domain(const char *d)
{
	return str_ieq(d, "gmail.com") || str_ieq(d, "googlemail.com") ||
	    str_ieq(d, "outlook.com") || str_ieq(d, "hotmail.com");
}

/* The Workspace domain of an IP-registered smtp-relay.gmail.com set-up:
 * RelayAccount's (or the account's) domain, when the smarthost is it. */
static const char *
workspace_domain(const struct cfc_ctx *c)
{
	const struct relay_profile *rp;

	if (!c->have_sh || (rp = relay_profile_for(c->sh.host)) == NULL ||
	    strcmp(rp->id, "workspace-relay") != 0)
		return NULL;
	return cfc_domain_of(cfc_relay_account(c->env, &c->sh));
}

static const char *WORKSPACE_WHY =
    "; smtp-relay.gmail.com, registered by IP with no account, checks the "
    "envelope sender's domain and, for bounces (whose null sender "
    "relaymilter never rewrites), the EHLO name against the Workspace "
    "domains: they are refused with \"550 5.7.1 Invalid credentials for "
    "relay\"";

/*
 * $j is a localhost name: the host's name sits on a loopback line after
 * localhost localhost.localdomain (CentOS's 127.0.0.1 line; seed 001's
 * variant), the first line naming it, and sendmail takes that line's
 * first full name. The fix is that line without the host's name, and a
 * line with its full name when no other line gives one.
 */
static void
localhost_finding(struct cfc_ctx *c, const char *j)
{
	const struct cfcheck_env *env = c->env;
	const char *host = env->hostname, *p = env->hosts_text, *ws;
	char short_name[256];
	unsigned line = 0, trap = 0;
	bool other_fqdn = false;
	strbuf fixed, trapaddr;
	struct cfc_fnd f;

	snprintf(short_name, sizeof(short_name), "%.*s",
	    (int)strcspn(host, "."), host);
	sb_init(&fixed);
	sb_init(&trapaddr);
	while (p != NULL && *p) {
		size_t n = strcspn(p, "\n");
		char *l = strndup(p, n), *cur, *w, *ip;
		bool hit = false, has_j = false, dotted = false;
		strbuf keep;

		p += n;
		if (*p)
			p++;
		line++;
		if (l == NULL)
			break;
		if (strchr(l, '#') != NULL)
			*strchr(l, '#') = '\0';
		cur = l;
		sb_init(&keep);
		if ((ip = str_token(&cur)) != NULL) {
			sb_puts(&keep, ip);
			while ((w = str_token(&cur)) != NULL) {
				bool mine = str_ieq(w, short_name) ||
				    (strncasecmp(w, short_name,
				    strlen(short_name)) == 0 &&
				    w[strlen(short_name)] == '.');

				hit |= mine;
				has_j |= str_ieq(w, j);
				dotted |= mine && strchr(w, '.') != NULL;
				if (!mine)
					sb_printf(&keep, "%s%s", keep.len ==
					    strlen(ip) ? "\t" : " ", w);
			}
		}
		if (hit && has_j && trap == 0) {
			trap = line;
			sb_puts(&fixed, keep.s);
			sb_puts(&trapaddr, ip);
		} else if (hit && dotted)
			other_fqdn = true;
		sb_free(&keep);
		free(l);
	}
	ws = workspace_domain(c);
	cfc_fnd_init(&f);
	sb_printf(&f.what, "sendmail's own name ($j) is %s", j);
	if (trap != 0)
		sb_printf(&f.what, ": %s:%u lists this host's name %s on the "
		    "loopback line, after its localhost names (the line CentOS "
		    "writes), and sendmail takes the first full name of the "
		    "first line naming it", env->hosts_path, trap, short_name);
	sb_printf(&f.why, "sendmail greets the relay with EHLO %s, qualifies "
	    "local senders as root@%s and builds Message-IDs with it", j, j);
	if (ws != NULL)
		sb_puts(&f.why, WORKSPACE_WHY);
	if (trap != 0) {
		sb_printf(&f.fix, "%s   (in %s, line %u: without %s)",
		    fixed.s, env->hosts_path, trap, short_name);
		if (!other_fqdn)
			sb_printf(&f.fix, "\n127.0.1.1\t%s.%s %s   (in %s, "
			    "the full name first%s)", short_name, ws ? ws :
			    "example.org", short_name, env->hosts_path, ws ?
			    "" : "; your own domain");
		sb_puts(&f.fix, "\nthen restart sendmail");
	} else
		sb_printf(&f.fix, "define(`confDOMAIN_NAME', `%s.%s')dnl   "
		    "(your own domain)", short_name, ws ? ws : "example.org");
	if (trap == 0)
		cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "hostname-localhost", CFS_WARN, env->hosts_path,
	    trap);
	sb_free(&fixed);
	sb_free(&trapaddr);
}

/* $j is qualified: a localhost name, or outside the Workspace domain of
 * an IP-registered smtp-relay (seed 001). */
static void
check_identity(struct cfc_ctx *c, const char *j)
{
	const char *ws = workspace_domain(c), *dot;
	size_t wl;
	struct cfc_fnd f;

	if (j == NULL || *j == '\0')
		return;
	if (strncasecmp(j, "localhost", 9) == 0 &&
	    c->env->hosts_text != NULL) {
		localhost_finding(c, j);
		return;
	}
	if (ws == NULL)
		return;
	wl = strlen(ws);
	if (str_ieq(j, ws) || (strlen(j) > wl && j[strlen(j) - wl - 1] == '.' &&
	    str_ieq(j + strlen(j) - wl, ws)))
		return;
	dot = strchr(j, '.');
	cfc_fnd_init(&f);
	sb_printf(&f.what, "sendmail's own name ($j) is %s, outside %s, the "
	    "Workspace domain of %s", j, ws, cfc_relay_account(c->env, &c->sh));
	sb_printf(&f.why, "sendmail greets smtp-relay.gmail.com with EHLO %s%s",
	    j, WORKSPACE_WHY);
	sb_printf(&f.fix, "define(`confDOMAIN_NAME', `%.*s.%s')dnl",
	    dot ? (int)(dot - j) : (int)strlen(j), j, ws);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "ehlo-outside-workspace", CFS_WARN, NULL, 0);
}

void
cfc_check_hostname(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const char *host = env->hostname, *canon_j = NULL, *acct, *dom;
	strbuf addr, canon, fqdn;
	unsigned hline = 0;
	bool found = false, qualified;
	struct cfc_fnd f;

	if (host == NULL)
		return;
	if (env->have_info && env->info.canon_host != NULL)
		canon_j = env->info.canon_host;
	sb_init(&addr);
	sb_init(&canon);
	sb_init(&fqdn);
	if (env->hosts_text != NULL)
		found = hosts_lookup(env->hosts_text, host, &addr, &canon,
		    &fqdn, &hline);
	if (canon_j != NULL)
		qualified = strchr(canon_j, '.') != NULL;
	else if (strchr(host, '.') != NULL)
		qualified = true;
	else
		qualified = found && fqdn.len > 0;
	if (!qualified && (env->hosts_text != NULL || canon_j != NULL)) {
		const char *short_name = host;
		char *dot;
		strbuf sn;

		sb_init(&sn);
		sb_puts(&sn, host);
		if ((dot = strchr(sn.s, '.')) != NULL)
			*dot = '\0';
		short_name = sn.s;
		acct = cfc_relay_account(env, &c->sh);
		dom = cfc_domain_of(acct);
		if (dom == NULL || public_mail_domain(dom))
			dom = "example.org";
		cfc_fnd_init(&f);
		sb_printf(&f.what, "this host's name \"%s\" is not fully "
		    "qualified", canon_j ? canon_j : host);
		if (found && fqdn.len > 0)
			sb_printf(&f.what, ", although %s:%u names %s",
			    env->hosts_path, hline, fqdn.s);
		else if (found)
			sb_printf(&f.what, ": %s:%u gives it no fully "
			    "qualified name", env->hosts_path, hline);
		else if (env->hosts_text != NULL)
			sb_printf(&f.what, " and %s has no line for it",
			    env->hosts_path);
		if (env->info_stalled)
			sb_printf(&f.why, "sendmail -d0.1 hung here for %u s "
			    "after printing its build options, trying to "
			    "resolve its own name; ", env->info_stall_secs);
		sb_puts(&f.why, "sendmail stalls at start (\"My unqualified "
		    "host name unknown; sleeping for retry\"), greets the "
		    "relay with a bare name and builds Message-IDs and "
		    "addresses from it; fix it first when a relay "
		    "misbehaves");
		sb_printf(&f.fix, "%s %s.%s %s   (in %s, the full name first)",
		    found ? addr.s : "127.0.1.1", short_name, dom, short_name,
		    env->hosts_path ? env->hosts_path : "/etc/hosts");
		if (strcmp(dom, "example.org") == 0)
			sb_puts(&f.fix, "\n(use your own domain instead of "
			    "example.org)");
		cfc_fnd_add(c->r, &f, "hostname-unqualified", CFS_WARN,
		    env->hosts_path, hline);
		sb_free(&sn);
	} else if (qualified)
		check_identity(c, canon_j ? canon_j : strchr(host, '.') ?
		    host : fqdn.s);
	sb_free(&addr);
	sb_free(&canon);
	sb_free(&fqdn);
}

