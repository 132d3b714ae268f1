/*
 * cfhost.c - the configuration checks about this host: its name, and a
 *	smarthost that is this host itself (mail loops)
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env and appends findings. Names are looked up in the
 *	/etc/hosts text the way glibc does with "multi on" (Debian's
 *	default), and the name sendmail takes ($j) wins over gethostname().
 *	A smarthost loops when one of its addresses is this host's and this
 *	sendmail listens there on the relay port (DaemonPortOptions, *:25 by
 *	default), unless the relay mailer has F=k.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

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
	}
	sb_free(&addr);
	sb_free(&canon);
	sb_free(&fqdn);
}

/* Does a DaemonPortOptions value listen on addr:port? */
static bool
daemon_listens(const char *opts, const char *addr, int port)
{
	char *copy = strdup(opts), *cur, *tok;
	int dport = 25;
	bool any = true, match = false, family6 = false;
	const char *daddr = NULL;

	if (copy == NULL)
		return false;
	cur = copy;
	while ((tok = strsep(&cur, ",")) != NULL) {
		char *k = str_trim(tok), *v = strchr(k, '=');

		if (v == NULL)
			continue;
		*v++ = '\0';
		v = str_trim(v);
		switch (k[0]) {
		case 'P': case 'p':
			dport = cf_port_number(v);
			break;
		case 'A': case 'a':
			daddr = v;
			any = false;
			break;
		case 'F': case 'f':
			family6 = str_ieq(v, "inet6");
			break;
		default:
			break;
		}
	}
	if (dport == port) {
		if (any)
			match = family6 == (strchr(addr, ':') != NULL) ||
			    !family6;
		else
			match = cfc_addr_eq(daddr, addr);
	}
	free(copy);
	return match;
}

/* Is name one of this host's names (host name, $j, class w, localhost)? */
static bool
names_this_host(const struct cfcheck_env *env, const char *name)
{
	size_t i, n;

	if (str_ieq(name, "localhost") || str_ieq(name, "localhost.localdomain"))
		return true;
	if (env->hostname != NULL) {
		n = strcspn(env->hostname, ".");
		if (str_ieq(name, env->hostname) ||
		    (strlen(name) == n && strncasecmp(name, env->hostname,
		    n) == 0))
			return true;
	}
	if (env->have_info && env->info.canon_host != NULL &&
	    str_ieq(name, env->info.canon_host))
		return true;
	for (i = 0; i < env->cf.nclass_w; i++)
		if (str_ieq(env->cf.class_w[i].name, name))
			return true;
	for (i = 0; i < env->nwfile_words; i++)
		if (str_ieq(env->wfile_words[i].word, name))
			return true;
	return false;
}

void
cfc_check_loops(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_mailer *m;
	const struct cf_kv *d[16];
	const char *flags, *local = NULL;
	size_t nd, i, j;
	bool listens = false;
	struct cfc_fnd f;

	if (!c->have_sh || (m = cf_mailer(&env->cf, c->sh.mailer)) == NULL)
		return;
	flags = cf_mailer_field(m, 'F');
	if (flags != NULL && strchr(flags, 'k') != NULL)
		return;		/* the loop check is off: F=k */
	for (i = 0; env->smarthost_resolved && i < env->nsmarthost_addrs;
	    i++) {
		if (!cfc_addr_is_local(env, env->smarthost_addrs[i]))
			continue;
		nd = cf_options_all(&env->cf, "DaemonPortOptions", d, 16);
		if (nd == 0 && c->sh.port == 25)
			listens = true;	/* the default daemon: *:25 */
		for (j = 0; j < nd && j < 16 && !listens; j++)
			listens = daemon_listens(d[j]->value,
			    env->smarthost_addrs[i], c->sh.port);
		if (listens) {
			local = env->smarthost_addrs[i];
			break;
		}
	}
	if (local == NULL && !names_this_host(env, c->sh.host))
		return;
	cfc_fnd_init(&f);
	if (local != NULL) {
		sb_printf(&f.what, "the smarthost %s resolves to %s, where "
		    "this sendmail itself listens on port %d", c->sh.host,
		    local, c->sh.port);
		sb_puts(&f.why, "sendmail connects to itself, finds its own "
		    "name in the greeting and stops with \"553 5.3.5 config "
		    "error: mail loops back to me (MX problem?)\"");
	} else {
		sb_printf(&f.what, "the smarthost %s is a name of this host",
		    c->sh.host);
		sb_puts(&f.why, "mail for other domains is handed back to "
		    "this host instead of the relay: it loops (\"config "
		    "error: mail loops back to me\") or stays here");
	}
	sb_puts(&f.fix, "point SMART_HOST at the real relay: "
	    "define(`SMART_HOST', `[smtp.gmail.com]')dnl\nfor a relay on "
	    "this host that greets with this host's name: "
	    "define(`RELAY_MAILER_FLAGS', `k')dnl");
	cfc_rebuild(env, &f.fix);
	cfc_fnd_add(c->r, &f, local != NULL ? "smarthost-loops" :
	    "smarthost-is-self", local != NULL ? CFS_ERROR : CFS_WARN,
	    env->cf_path, c->sh.line);
}
