/*
 * cfmilter.c - the configuration checks about relaymilter in sendmail:
 *	its milter definition, what else rewrites senders, local domains
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Milter
 *	sockets compare as libmilter reads them ("unix:" is "local:",
 *	localhost is 127.0.0.1); timeouts default as sendmail's do.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "config.h"

static bool
is_sp(int c)
{
	return c == ' ' || c == '\t';
}

/* "local:/x" and "unix:/x" are the same; localhost is 127.0.0.1. */
static void
norm_socket(const char *s, strbuf *out)
{
	const char *at;

	while (is_sp(*s))
		s++;
	if (strncasecmp(s, "unix:", 5) == 0 || strncasecmp(s, "local:", 6) == 0) {
		sb_printf(out, "local:%s", strchr(s, ':') + 1);
		return;
	}
	if (s[0] == '/') {
		sb_printf(out, "local:%s", s);
		return;
	}
	if (strncasecmp(s, "inet:", 5) == 0 && (at = strchr(s, '@')) != NULL &&
	    str_ieq(at + 1, "localhost")) {
		sb_append(out, s, (size_t)(at - s + 1));
		sb_puts(out, "127.0.0.1");
		return;
	}
	sb_puts(out, s);
}

static bool
same_socket(const char *a, const char *b)
{
	strbuf x, y;
	bool eq;

	sb_init(&x);
	sb_init(&y);
	norm_socket(a, &x);
	norm_socket(b, &y);
	eq = !x.err && !y.err && strcmp(x.s, y.s) == 0;
	sb_free(&x);
	sb_free(&y);
	return eq;
}

/* Duration with sendmail's units (s default, m, h, d, w). */
static int
sm_duration(const char *s, size_t n, unsigned long *out)
{
	char buf[24];
	unsigned long v;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (buf[n - 1] == 'w') {
		buf[n - 1] = '\0';
		if (parse_uint(buf, 1000, &v) < 0)
			return -1;
		*out = v * 7 * 86400;
		return 0;
	}
	return parse_duration(buf, 10UL * 365 * 86400, out);
}

int
cfc_milter_timeouts(const char *t, struct cfc_milter_timeouts *out)
{
	struct cfc_milter_timeouts v = { 300, 10, 10, 300 };
	const char *p = t ? t : "";

	while (*p) {
		size_t n = strcspn(p, ";");
		const char *e = p + n;
		unsigned long d;

		while (p < e && is_sp(*p))
			p++;
		if (p < e) {
			size_t dl;

			if (e - p < 3 || p[1] != ':')
				return -1;
			dl = (size_t)(e - p - 2);
			while (dl > 0 && is_sp(p[2 + dl - 1]))
				dl--;
			if (sm_duration(p + 2, dl, &d) < 0)
				return -1;
			switch (p[0]) {
			case 'C': v.connect = d; break;
			case 'S': v.send = d; break;
			case 'R': v.read = d; break;
			case 'E': v.eom = d; break;
			default: return -1;
			}
		}
		p = *e ? e + 1 : e;
	}
	*out = v;
	return 0;
}

static const struct cf_milter *
find_relaymilter(const struct cfcheck_env *env)
{
	const struct cf_milter *m;
	size_t i;

	if ((m = cf_milter(&env->cf, "relaymilter")) != NULL)
		return m;
	if (env->have_rm && env->rm_socket != NULL)
		for (i = 0; i < env->cf.nmilters; i++)
			if (env->cf.milters[i].socket != NULL &&
			    same_socket(env->cf.milters[i].socket,
			    env->rm_socket))
				return &env->cf.milters[i];
	return NULL;
}

static void
milter_line(const struct cfcheck_env *env, const char *name, strbuf *fix)
{
	const char *sock = env->have_rm && env->rm_socket ? env->rm_socket :
	    "local:/run/relaymilter/relaymilter.sock";
	unsigned long r = 20;

	if (env->have_rm && env->rm_dns_timeout + 10 > r)
		r = env->rm_dns_timeout + 10;
	sb_printf(fix, "INPUT_MAIL_FILTER(`%s', `S=%s, F=T, "
	    "T=S:10s;R:%lus;E:5m')dnl", name, sock, r);
}

void
cfc_check_milter(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_milter *m = find_relaymilter(env);
	const struct cf_kv *inp;
	struct cfc_milter_timeouts to;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	if (!env->have_rm && env->rm_error != NULL) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "could not read relaymilter's configuration: "
		    "%s", env->rm_error);
		sb_puts(&f.why, "the checks of the milter socket, the timeouts "
		    "and the relay account against it were skipped; relaymilter "
		    "itself refuses to start with this file");
		sb_printf(&f.fix, "relaymilter -n -c %s   (checks the file and "
		    "names the line)", env->rm_path ? env->rm_path : "FILE");
		cfc_fnd_add(c->r, &f, "relaymilter-conf-unreadable", CFS_WARN,
		    env->rm_path, 0);
	}
	if (m == NULL) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "no milter definition for relaymilter in %s",
		    env->cf_path);
		if (env->cf.nmilters > 0)
			sb_printf(&f.what, " (it defines %zu other milter%s)",
			    env->cf.nmilters, env->cf.nmilters == 1 ? "" : "s");
		sb_puts(&f.why, "sendmail never calls relaymilter: no sender "
		    "is rewritten or checked before mail leaves");
		milter_line(env, "relaymilter", &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-missing", CFS_ERROR, env->cf_path, 0);
		return;
	}
	cfc_where_call(env, "INPUT_MAIL_FILTER", m->name, m->line, &file, &line);
	inp = cf_option(&env->cf, "InputMailFilters");
	if (inp == NULL || !cfc_word_in(inp->value, m->name)) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "milter %s is defined but not listed in "
		    "InputMailFilters (%s)", m->name, inp ? inp->value :
		    "not set");
		sb_puts(&f.why, "MAIL_FILTER only defines a filter; sendmail "
		    "calls the filters named in InputMailFilters, so "
		    "relaymilter never sees a message");
		milter_line(env, m->name, &f.fix);
		sb_puts(&f.fix, "   (INPUT_MAIL_FILTER, not MAIL_FILTER)");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-not-enabled", CFS_ERROR, file, line);
	}
	if (env->have_rm && env->rm_socket != NULL &&
	    (m->socket == NULL || !same_socket(m->socket, env->rm_socket))) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "milter %s talks to %s but relaymilter "
		    "listens on %s (Socket in %s)", m->name,
		    m->socket ? m->socket : "no socket", env->rm_socket,
		    env->rm_path);
		sb_puts(&f.why, "sendmail cannot reach relaymilter: with F=T "
		    "every message is deferred (451 4.3.2), without it mail "
		    "leaves unfiltered");
		milter_line(env, m->name, &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-socket-mismatch", CFS_ERROR, file,
		    line);
	}
	if (m->flags == NULL || strchr(m->flags, 'T') == NULL) {
		bool rej = m->flags != NULL && strchr(m->flags, 'R') != NULL;

		cfc_fnd_init(&f);
		sb_printf(&f.what, "milter %s has %s%s", m->name,
		    m->flags ? "F=" : "no F= flag",
		    m->flags ? m->flags : "");
		sb_puts(&f.why, rej ? "while relaymilter is down sendmail "
		    "rejects mail (5xx) instead of keeping it queued" :
		    "while relaymilter is down (restart, crash, upgrade) "
		    "sendmail passes mail unfiltered: it leaves with the "
		    "original sender and the relay refuses or rewrites it");
		milter_line(env, m->name, &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, rej ? "milter-rejects-when-down" :
		    "milter-no-tempfail", rej ? CFS_INFO : CFS_WARN, file, line);
	}
	if (cfc_milter_timeouts(m->timeouts, &to) < 0) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "milter %s has timeouts T=%s that sendmail "
		    "cannot read", m->name, m->timeouts);
		sb_puts(&f.why, "sendmail logs an error and uses its defaults "
		    "(R:10s)");
		milter_line(env, m->name, &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-timeout-syntax", CFS_WARN, file,
		    line);
	} else if (env->have_rm && (to.read <= env->rm_dns_timeout ||
	    to.eom <= env->rm_dns_timeout)) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "milter %s waits %lus for a reply (R:) and "
		    "%lus for end of message (E:), but relaymilter's "
		    "DNSTimeout is %lus", m->name, to.read, to.eom,
		    env->rm_dns_timeout);
		sb_puts(&f.why, "when DNS is slow sendmail gives up on "
		    "relaymilter before relaymilter's own SPF lookups time "
		    "out: the message is deferred (F=T) or leaves unchecked");
		milter_line(env, m->name, &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-timeout-short", CFS_ERROR, file,
		    line);
	}
}

void
cfc_check_generics(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_map *g = cf_map(&env->cf, "generics");
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	if (g == NULL || !env->cf.masq_envelope)
		return;
	cfc_fnd_init(&f);
	cfc_where_call(env, "FEATURE", "masquerade_envelope",
	    env->cf.masq_envelope_line, &file, &line);
	sb_printf(&f.what, "genericstable (%s) rewrites envelope senders "
	    "(FEATURE(`masquerade_envelope'))", g->file ? g->file : g->args);
	sb_puts(&f.why, "genericstable runs at delivery, after relaymilter: "
	    "a sender relaymilter rewrote, logged and checked SPF for can be "
	    "rewritten again, so the relay sees another address than the "
	    "decision line says");
	{
		const struct mc_call *m = env->have_mc ? mc_find(&env->mc,
		    "FEATURE", "masquerade_envelope") : NULL;
		char *t = m && m->depth == 0 ? mcedit_line(env->mc_text, m->line) :
		    NULL;
		size_t n = g->file ? strlen(g->file) : 0;

		sb_puts(&f.fix, "let relaymilter rewrite the envelope from the "
		    "same table (SenderMap reads genericstable's format) and "
		    "let genericstable do the headers only:");
		if (t != NULL)
			sb_printf(&f.fix, "\nremove line %u of %s: %s", m->line,
			    env->mc_path, t);
		else
			sb_puts(&f.fix, "\nremove FEATURE(`masquerade_envelope') "
			    "from the .mc");
		free(t);
		if (g->file != NULL && !(env->have_rm && env->rm_sender_map))
			sb_printf(&f.fix, "\nSenderMap %.*s   (in %s)", (int)(n >
			    3 && strcmp(g->file + n - 3, ".db") == 0 ? n - 3 :
			    n), g->file, env->rm_path ? env->rm_path :
			    "/etc/relaymilter/relaymilter.conf");
		cfc_rebuild(c, &f.fix);
	}
	cfc_fnd_add(c->r, &f, "genericstable-envelope", CFS_WARN, file, line);
}

/*
 * genericstable without FEATURE(`masquerade_envelope') rewrites header
 * addresses only (cf/README; domain-facts 1.1): the envelope sender the
 * relay, SPF and bounces see stays as it was. relaymilter can rewrite the
 * envelope from the same table (SenderMap is genericstable's format).
 */
void
cfc_check_generics_headers(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_map *g = cf_map(&env->cf, "generics");
	const char *file;
	unsigned line;
	size_t n;
	struct cfc_fnd f;
	strbuf text;

	if (g == NULL || env->cf.masq_envelope || g->file == NULL ||
	    (env->have_rm && env->rm_sender_map != NULL))
		return;
	sb_init(&text);
	n = strlen(g->file);
	sb_append(&text, g->file, n > 3 && strcmp(g->file + n - 3, ".db") == 0 ?
	    n - 3 : n);
	cfc_fnd_init(&f);
	cfc_where_call(env, "FEATURE", "genericstable", g->line, &file, &line);
	sb_printf(&f.what, "genericstable (%s) rewrites header addresses only: "
	    "without FEATURE(`masquerade_envelope') sendmail leaves the "
	    "envelope sender as it is", text.s);
	sb_puts(&f.why, "mail leaves with From: rewritten but the envelope "
	    "sender unchanged (<root@this host>): the relay, SPF, DMARC's "
	    "alignment and the bounces go by the envelope; relaymilter rewrites "
	    "the envelope from the same table when SenderMap names it (and so "
	    "keeps it off the masquerade_envelope trap, genericstable-envelope)");
	sb_printf(&f.fix, "SenderMap %s   (in %s)\nthen: systemctl reload "
	    "relaymilter", text.s, env->rm_path ? env->rm_path :
	    "/etc/relaymilter/relaymilter.conf");
	cfc_fnd_add(c->r, &f, "genericstable-headers-only", CFS_WARN, file,
	    line);
	sb_free(&text);
}

static bool
dkim_signer(const struct cf_milter *m)
{
	return strcasestr(m->name, "dkim") != NULL ||
	    strcasestr(m->name, "rspamd") != NULL || (m->socket != NULL &&
	    (strcasestr(m->socket, "dkim") != NULL ||
	    strcasestr(m->socket, "rspamd") != NULL));
}

/* The line of the top .mc that brings the INPUT_MAIL_FILTER of name: the
 * call itself, or the include() it is in. 0 when not in the .mc. */
static unsigned
top_line_of(const struct cfcheck_env *env, const char *name)
{
	unsigned inc = 0;
	size_t i;

	for (i = 0; env->have_mc && i < env->mc.ncalls; i++) {
		const struct mc_call *c = &env->mc.calls[i];

		if (c->depth == 0 && (strcmp(c->name, "include") == 0 ||
		    strcmp(c->name, "sinclude") == 0))
			inc = c->line;
		if (strcmp(c->name, "INPUT_MAIL_FILTER") == 0 && c->nargs > 0 &&
		    strcmp(c->args[0], name) == 0)
			return c->depth == 0 ? c->line : inc;
	}
	return 0;
}

/*
 * sendmail calls the milters in the order of InputMailFilters: a DKIM
 * signer before relaymilter signs a From: that relaymilter then rewrites.
 */
void
cfc_check_milter_order(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_milter *rm = find_relaymilter(env), *dk = NULL;
	const struct cf_kv *inp = cf_option(&env->cf, "InputMailFilters");
	const char *p;
	unsigned rline, dline;
	struct cfc_fnd f;
	bool from = !env->have_rm || env->rm_rewrite_from != HFROM_NO;

	if (rm == NULL || inp == NULL)
		return;
	for (p = inp->value; *p; ) {
		size_t n = strcspn(p, ", \t");
		const struct cf_milter *m;
		char name[128];

		if (n > 0 && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			if (strcmp(name, rm->name) == 0)
				break;
			if ((m = cf_milter(&env->cf, name)) != NULL &&
			    dkim_signer(m) && dk == NULL)
				dk = m;
		}
		p += n;
		p += strspn(p, ", \t");
	}
	if (dk == NULL || *p == '\0')
		return;
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%s comes before %s in InputMailFilters (%s): it "
	    "signs the message before relaymilter changes it", dk->name,
	    rm->name, inp->value);
	sb_printf(&f.why, "sendmail calls the milters in that order; %s",
	    from ? "relaymilter rewrites From: (RewriteHeaderFrom) after the "
	    "DKIM signature covers it, so the signature breaks and DMARC "
	    "fails at the recipient (dkim=fail)" : "with RewriteHeaderFrom no "
	    "relaymilter only changes the envelope and adds its trace header, "
	    "but the day it rewrites From: the signature breaks");
	rline = top_line_of(env, rm->name);
	dline = top_line_of(env, dk->name);
	if (rline != 0 && dline != 0 && dline < rline) {
		char *t = mcedit_line(env->mc_text, rline);

		sb_printf(&f.fix, "move these lines of %s above its line %u "
		    "(%s's filter):\n  %u: %s", env->mc_path, dline, dk->name,
		    rline, t ? t : "");
		free(t);
	} else
		sb_printf(&f.fix, "define(`confINPUT_MAIL_FILTERS', `%s,%s')dnl"
		    "   (after the INPUT_MAIL_FILTER lines)", rm->name,
		    dk->name);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "milter-order", from ? CFS_WARN : CFS_INFO,
	    env->have_mc && rline ? env->mc_path : env->cf_path,
	    rline ? rline : inp->line);
}

void
cfc_check_local_domain(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const char *acct = cfc_relay_account(env, &c->sh), *dom = cfc_domain_of(acct);
	const char *file = NULL;
	unsigned line = 0;
	bool in_mc = false, from_file = false;
	size_t i;
	struct cfc_fnd f;

	/* with a MAIL_HUB (DH) mail for the local domains goes to the hub */
	if (dom == NULL || (cf_macro(&env->cf, "H") != NULL &&
	    cf_macro(&env->cf, "H")->value[0] != '\0'))
		return;
	for (i = 0; i < env->cf.nclass_w && file == NULL; i++)
		if (str_ieq(env->cf.class_w[i].name, dom)) {
			cfc_where_call(env, "LOCAL_DOMAIN", dom,
			    env->cf.class_w[i].line, &file, &line);
			in_mc = env->have_mc &&
			    mc_find(&env->mc, "LOCAL_DOMAIN", dom) != NULL;
		}
	for (i = 0; i < env->nwfile_words && file == NULL; i++)
		if (str_ieq(env->wfile_words[i].word, dom)) {
			file = env->wfile_words[i].file;
			line = env->wfile_words[i].line;
			from_file = true;
		}
	if (file == NULL && !(env->have_info && env->info.canon_host != NULL &&
	    str_ieq(env->info.canon_host, dom)))
		return;
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%s, the domain of the relay account %s, is a "
	    "local domain of this host (class w", dom, acct);
	if (file != NULL)
		sb_printf(&f.what, ", %s:%u)", file, line);
	else
		sb_puts(&f.what, ": it is this host's own name)");
	sb_printf(&f.why, "sendmail delivers mail for anyone@%s here (or "
	    "bounces it as User unknown) and never hands it to the relay: "
	    "the classic trap of a Google Workspace domain set as "
	    "LOCAL_DOMAIN", dom);
	if (in_mc)
		sb_printf(&f.fix, "remove LOCAL_DOMAIN(`%s')dnl", dom);
	else if (from_file)
		sb_printf(&f.fix, "remove the line %s from %s (line %u)", dom,
		    file, line);
	else if (file != NULL)
		sb_printf(&f.fix, "remove LOCAL_DOMAIN(`%s')dnl (or the Cw%s "
		    "line) from the .mc", dom, dom);
	else
		sb_printf(&f.fix, "give this host a name of its own under %s "
		    "(host.%s) in /etc/hostname and /etc/hosts", dom, dom);
	if (!from_file)
		cfc_rebuild(c, &f.fix);
	else
		sb_puts(&f.fix, "\nthen restart sendmail");
	cfc_fnd_add(c->r, &f, "local-domain-relay-account", CFS_ERROR, file, line);
}
