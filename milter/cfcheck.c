/*
 * cfcheck.c - the sendmail configuration checks of relaymilter-doctor
 *
 * CONTRACT
 *	See include/cfcheck.h. Pure: every check reads struct cfcheck_env
 *	and appends to struct cf_report; nothing here opens a file, runs a
 *	program or looks at the clock (env->now is the time). Checks run in
 *	a fixed order: smarthost and port, sendmail build, certificates,
 *	authentication and authinfo (cfauth.c), milter, rewriting and local
 *	domains (cfmilter.c), host name, loops, log level, queue. This file
 *	also holds the report and the helpers the other two share
 *	(include/cfcheck_int.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

#define MAX_LISTED		20	/* queue entries spelled out */

/* ------------------------------------------------------------ report */

void
cf_report_free(struct cf_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].what);
		free(r->v[i].why);
		free(r->v[i].fix);
		free(r->v[i].file);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

const char *
cf_severity_name(enum cf_severity s)
{
	switch (s) {
	case CFS_ERROR: return "error";
	case CFS_WARN: return "warning";
	default: return "info";
	}
}

int
cf_report_worst(const struct cf_report *r)
{
	int worst = -1;
	size_t i;

	for (i = 0; i < r->n; i++)
		if ((int)r->v[i].severity > worst)
			worst = (int)r->v[i].severity;
	return worst;
}

const struct cf_finding *
cf_report_find(const struct cf_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

/* Remove control characters except the newlines that separate lines. */
static char *
clean_steal(strbuf *sb, bool keep_newlines)
{
	char *s = sb_steal(sb), *w, *p;

	if (s == NULL)
		return NULL;
	for (p = w = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n' && keep_newlines)
			*w++ = '\n';
		else if (c == '\t')
			*w++ = ' ';
		else if (c >= 0x20 && c != 0x7f)
			*w++ = *p;
	}
	*w = '\0';
	return s;
}

void
cfc_fnd_init(struct cfc_fnd *f)
{
	sb_init(&f->what);
	sb_init(&f->why);
	sb_init(&f->fix);
}

static void
fnd_free(struct cfc_fnd *f)
{
	sb_free(&f->what);
	sb_free(&f->why);
	sb_free(&f->fix);
}

/* Append the finding; frees f's buffers in every case. */
int
cfc_fnd_add(struct cf_report *r, struct cfc_fnd *f, const char *id,
    enum cf_severity sev, const char *file, unsigned line)
{
	struct cf_finding *nv, *x;

	if (r->err || f->what.err || f->why.err || f->fix.err)
		goto fail;
	if ((nv = realloc(r->v, (r->n + 1) * sizeof(*nv))) == NULL)
		goto fail;
	r->v = nv;
	x = &r->v[r->n];
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->severity = sev;
	x->line = line;
	x->what = clean_steal(&f->what, false);
	x->why = clean_steal(&f->why, false);
	x->fix = clean_steal(&f->fix, true);
	if (file != NULL)
		x->file = sanitize_dup(file);
	if (x->what == NULL || x->why == NULL || x->fix == NULL ||
	    (file != NULL && x->file == NULL)) {
		free(x->what);
		free(x->why);
		free(x->fix);
		free(x->file);
		goto fail;
	}
	r->n++;
	fnd_free(f);
	return 0;
fail:
	fnd_free(f);
	r->err = 1;
	return -1;
}

/* ------------------------------------------------------------ helpers */

static bool
is_sp(int c)
{
	return c == ' ' || c == '\t';
}

/* Where a define lives: in sendmail.mc when it is there, else the .cf. */
void
cfc_where_define(const struct cfcheck_env *env, const char *name,
    unsigned cf_line, const char **file, unsigned *line)
{
	const struct mc_call *c;

	if (env->have_mc && (c = mc_find(&env->mc, "define", name)) != NULL) {
		*file = c->file;
		*line = c->line;
		return;
	}
	*file = env->cf_path;
	*line = cf_line;
}

/* Where a call like FEATURE(`x') or LOCAL_DOMAIN(`x') lives. */
void
cfc_where_call(const struct cfcheck_env *env, const char *name, const char *arg1,
    unsigned cf_line, const char **file, unsigned *line)
{
	const struct mc_call *c;

	if (env->have_mc && (c = mc_find(&env->mc, name, arg1)) != NULL) {
		*file = c->file;
		*line = c->line;
		return;
	}
	*file = env->cf_path;
	*line = cf_line;
}

/* "then rebuild sendmail.cf ..." after an m4 fix line. */
void
cfc_rebuild(const struct cfcheck_env *env, strbuf *fix)
{
	if (env->have_mc && env->mc_includes_cf_m4)
		sb_printf(fix, "\nthen rebuild sendmail.cf and restart sendmail: "
		    "m4 %s > %s && systemctl restart sendmail",
		    env->mc_path, env->cf_path);
	else if (env->have_mc)
		sb_printf(fix, "\nthen rebuild sendmail.cf and restart sendmail: "
		    "m4 /usr/share/sendmail/cf/m4/cf.m4 %s > %s && "
		    "systemctl restart sendmail", env->mc_path, env->cf_path);
	else
		sb_printf(fix, "\nin the .mc file %s was built from, then "
		    "rebuild it with m4 and restart sendmail", env->cf_path);
}

bool
cfc_word_in(const char *list, const char *word)
{
	const char *p = list;
	size_t n = strlen(word);

	while (*p) {
		size_t w;

		while (*p && (is_sp(*p) || *p == ','))
			p++;
		w = strcspn(p, " \t,");
		if (w == n && strncasecmp(p, word, n) == 0)
			return true;
		p += w;
	}
	return false;
}

bool
cfc_addr_eq(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 &&
		    memcmp(x, y, 16) == 0;
	return str_ieq(a, b);
}

bool
cf_addr_is_local(const struct cfcheck_env *env, const char *addr)
{
	unsigned char x[16];
	size_t i;

	if (inet_pton(AF_INET, addr, x) == 1) {
		if (x[0] == 127)
			return true;
	} else if (inet_pton(AF_INET6, addr, x) == 1) {
		static const unsigned char lo6[16] = { [15] = 1 };
		static const unsigned char v4m[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(x, lo6, 16) == 0)
			return true;
		if (memcmp(x, v4m, 12) == 0 && x[12] == 127)
			return true;
	} else
		return false;
	for (i = 0; i < env->nlocal_addrs; i++)
		if (cfc_addr_eq(env->local_addrs[i], addr))
			return true;
	return false;
}

static bool
is_ip_literal(const char *s)
{
	unsigned char x[16];

	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	return inet_pton(AF_INET, s, x) == 1 || inet_pton(AF_INET6, s, x) == 1;
}





const char *
cfc_domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}





/* ------------------------------------------------------------ checks */

static void
check_smarthost(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_smarthost *sh = &c->sh;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	if (!c->have_sh) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "no smarthost: DS is empty in %s",
		    env->cf_path);
		sb_puts(&f.why, "sendmail sends mail for other domains "
		    "straight to each recipient's MX from this host's address, "
		    "where it is blocked or filed as spam, and relaymilter only "
		    "acts on mail that leaves through the relay mailer");
		sb_puts(&f.fix, "define(`SMART_HOST', `[smtp.gmail.com]')dnl"
		    "   (your relay's name, in brackets)");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-missing", CFS_ERROR, file, line);
		return;
	}
	if (!sh->bracketed && !is_ip_literal(sh->host)) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "SMART_HOST is %s without brackets",
		    sh->host);
		sb_printf(&f.why, "sendmail looks up MX records for %s and "
		    "delivers to the hosts they name; if the name has MX "
		    "records, or DNS answers slowly, mail goes elsewhere or "
		    "waits. [%s] makes sendmail connect to the name's own "
		    "address", sh->host, sh->host);
		sb_printf(&f.fix, "define(`SMART_HOST', `%s%s[%s]')dnl",
		    strcmp(sh->mailer, "relay") != 0 ? sh->mailer : "",
		    strcmp(sh->mailer, "relay") != 0 ? ":" : "", sh->host);
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-mx-lookup", CFS_WARN, file, line);
	}
	if (sh->ignored != NULL) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "SMART_HOST is %s: sendmail ignores the "
		    "\"%s\" after the brackets", sh->raw, sh->ignored);
		sb_printf(&f.why, "sendmail drops everything after ']' and "
		    "connects to the port of the %s mailer (%d), not to the "
		    "one written in SMART_HOST", sh->mailer, sh->port);
		sb_printf(&f.fix, "define(`SMART_HOST', `[%s]')dnl\n"
		    "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
		    "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl", sh->host);
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-port-ignored", CFS_WARN, file,
		    line);
	}
	if (sh->mailer_line == 0) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "SMART_HOST uses mailer \"%s\", which "
		    "sendmail.cf does not define", sh->mailer);
		sb_puts(&f.why, "sendmail cannot deliver through an undefined "
		    "mailer: relayed mail bounces with \"mailer unknown\"");
		sb_printf(&f.fix, "define(`SMART_HOST', `[%s]')dnl   (the "
		    "relay mailer)\nand keep MAILER(`smtp')dnl at the end of "
		    "the .mc", sh->host);
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "relay-mailer-missing", CFS_ERROR,
		    env->cf_path, sh->line);
		return;
	}
	if (sh->port == 25 && !c->sh_local_only) {
		cfc_fnd_init(&f);
		cfc_where_define(env, strcmp(sh->mailer, "esmtp") == 0 ?
		    "ESMTP_MAILER_ARGS" : "RELAY_MAILER_ARGS", sh->mailer_line,
		    &file, &line);
		sb_printf(&f.what, "the %s mailer connects to %s on port 25",
		    sh->mailer, sh->host);
		sb_puts(&f.why, "many ISPs and cloud providers block outgoing "
		    "port 25 (the connection times out), and relays such as "
		    "smtp.gmail.com expect clients on the submission port 587 "
		    "with STARTTLS");
		sb_puts(&f.fix, "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
		    "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "relay-port-25", CFS_WARN, file, line);
	} else if (sh->port == 465) {
		cfc_fnd_init(&f);
		cfc_where_define(env, strcmp(sh->mailer, "esmtp") == 0 ?
		    "ESMTP_MAILER_ARGS" : "RELAY_MAILER_ARGS", sh->mailer_line,
		    &file, &line);
		sb_printf(&f.what, "the %s mailer connects to %s on port 465",
		    sh->mailer, sh->host);
		sb_puts(&f.why, "port 465 expects TLS from the first byte "
		    "(implicit TLS); sendmail's client only speaks STARTTLS, "
		    "so it waits for a greeting that never comes and the mail "
		    "stays in the queue");
		sb_puts(&f.fix, "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
		    "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "relay-port-465", CFS_ERROR, file, line);
	}
}

bool
cfc_needs_auth(const struct cfcheck_env *env)
{
	return env->auth.map_defined || env->auth.nentries > 0;
}

static void
check_build(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct sendmail_info *si = &env->info;
	struct cfc_fnd f;

	if (!env->have_info) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "could not read sendmail's compile options: "
		    "%s", env->info_error ? env->info_error : "unknown error");
		sb_puts(&f.why, "the STARTTLS, SASL and MILTER support checks "
		    "were skipped");
		sb_puts(&f.fix, "run: sendmail -d0.1 -bt < /dev/null");
		cfc_fnd_add(c->r, &f, "sendmail-info-unavailable", CFS_INFO, NULL,
		    0);
		return;
	}
	if (!sendmail_compiled_with(si, "STARTTLS")) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without STARTTLS",
		    si->version ? si->version : "");
		sb_puts(&f.why, "it cannot encrypt the connection to the "
		    "relay; smtp.gmail.com and most relays refuse AUTH and "
		    "MAIL without TLS (530 5.7.0 Must issue a STARTTLS command "
		    "first)");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has STARTTLS and SASLv2)");
		cfc_fnd_add(c->r, &f, "sendmail-no-starttls", CFS_ERROR, NULL, 0);
	}
	if (!sendmail_compiled_with(si, "SASLv2") &&
	    !sendmail_compiled_with(si, "SASL")) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without SASL",
		    si->version ? si->version : "");
		sb_puts(&f.why, "it cannot authenticate to the relay (SMTP "
		    "AUTH): authinfo entries are ignored and the relay "
		    "answers 530 5.7.0 Authentication Required");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has STARTTLS and SASLv2)");
		cfc_fnd_add(c->r, &f, "sendmail-no-sasl",
		    cfc_needs_auth(env) ? CFS_ERROR : CFS_WARN, NULL, 0);
	}
	if (!sendmail_compiled_with(si, "MILTER")) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without MILTER",
		    si->version ? si->version : "");
		sb_puts(&f.why, "sendmail ignores every mail filter, "
		    "relaymilter included: no sender is rewritten");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has MILTER)");
		cfc_fnd_add(c->r, &f, "sendmail-no-milter", CFS_ERROR, NULL, 0);
	}
}

static void
check_cacert(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *file = cf_option(&env->cf, "CACertFile");
	const struct cf_kv *path = cf_option(&env->cf, "CACertPath");
	struct cfc_fnd f;

	if ((file == NULL || *file->value == '\0') &&
	    (path == NULL || *path->value == '\0')) {
		cfc_fnd_init(&f);
		sb_puts(&f.what, "neither CACertFile nor CACertPath is set");
		sb_printf(&f.why, "sendmail cannot verify the certificate of "
		    "%s: the log says verify=FAIL for every connection and an "
		    "impostor would go unnoticed", c->have_sh ? c->sh.host :
		    "the relay");
		sb_puts(&f.fix, "define(`confCACERT_PATH', `/etc/ssl/certs')dnl\n"
		    "define(`confCACERT', `/etc/ssl/certs/ca-certificates.crt')dnl"
		    "   (package ca-certificates)");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "cacert-missing", CFS_WARN, env->cf_path, 0);
		return;
	}
	if (file != NULL && *file->value && env->cacert_file == 0) {
		const char *mf;
		unsigned ml;

		cfc_fnd_init(&f);
		cfc_where_define(env, "confCACERT", file->line, &mf, &ml);
		sb_printf(&f.what, "CACertFile %s does not exist", file->value);
		sb_puts(&f.why, "sendmail cannot load the trusted CAs and "
		    "cannot verify the relay's certificate (verify=FAIL)");
		sb_puts(&f.fix, "define(`confCACERT', "
		    "`/etc/ssl/certs/ca-certificates.crt')dnl   (package "
		    "ca-certificates)");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "cacert-file-missing", CFS_WARN, mf, ml);
	}
	if (path != NULL && *path->value && env->cacert_path == 0) {
		const char *mf;
		unsigned ml;

		cfc_fnd_init(&f);
		cfc_where_define(env, "confCACERT_PATH", path->line, &mf, &ml);
		sb_printf(&f.what, "CACertPath %s does not exist", path->value);
		sb_puts(&f.why, "sendmail cannot find the trusted CAs and "
		    "cannot verify the relay's certificate (verify=FAIL)");
		sb_puts(&f.fix, "define(`confCACERT_PATH', `/etc/ssl/certs')dnl");
		cfc_rebuild(env, &f.fix);
		cfc_fnd_add(c->r, &f, "cacert-path-missing", CFS_WARN, mf, ml);
	}
}











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

static void
check_hostname(struct cfc_ctx *c)
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

static void
check_loops(struct cfc_ctx *c)
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
		if (!cf_addr_is_local(env, env->smarthost_addrs[i]))
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

static void
check_loglevel(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *o = cf_option(&env->cf, "LogLevel");
	unsigned long v = 9;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	if (o != NULL && parse_uint(o->value, 100, &v) < 0)
		return;
	if (v >= 10 || !cfc_needs_auth(env))
		return;
	cfc_fnd_init(&f);
	cfc_where_define(env, "confLOG_LEVEL", o ? o->line : 0, &file, &line);
	sb_printf(&f.what, "LogLevel is %lu", v);
	sb_puts(&f.why, "below 10 sendmail never logs its AUTH to the relay "
	    "(AUTH=client lines): a rejected password shows up only as a "
	    "bounce with 530 5.7.0 Authentication Required");
	sb_puts(&f.fix, "define(`confLOG_LEVEL', `10')dnl");
	cfc_rebuild(env, &f.fix);
	cfc_fnd_add(c->r, &f, "loglevel-auth-hidden", CFS_INFO, file, line);
}

static void
age_text(strbuf *sb, time_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 3600)
		sb_printf(sb, "%ld min", (long)(secs / 60));
	else if (secs < 2 * 86400)
		sb_printf(sb, "%ld h %ld min", (long)(secs / 3600),
		    (long)((secs % 3600) / 60));
	else
		sb_printf(sb, "%ld days", (long)(secs / 86400));
}

static void
check_queue(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct mailq *q = &env->mailq;
	const struct mailq_entry *oldest = NULL;
	struct cfc_fnd f;
	size_t i;

	if (!env->have_mailq) {
		if (env->mailq_error == NULL)
			return;
		cfc_fnd_init(&f);
		sb_printf(&f.what, "could not list the queue: %s",
		    env->mailq_error);
		sb_puts(&f.why, "the queue check was skipped");
		sb_puts(&f.fix, "run: mailq   (as root)");
		cfc_fnd_add(c->r, &f, "queue-unreadable", CFS_INFO, NULL, 0);
		return;
	}
	if (q->n == 0)
		return;
	for (i = 0; i < q->n; i++)
		if (q->v[i].when != 0 &&
		    (oldest == NULL || q->v[i].when < oldest->when))
			oldest = &q->v[i];
	if (oldest == NULL)
		oldest = &q->v[0];
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%zu message%s in the queue, the oldest %s (%s",
	    q->n, q->n == 1 ? "" : "s", oldest->qid, oldest->qtime);
	if (oldest->when != 0) {
		sb_puts(&f.what, ", ");
		age_text(&f.what, env->now - oldest->when);
		sb_puts(&f.what, " ago");
	}
	sb_puts(&f.what, ")");
	sb_puts(&f.why, "last errors:");
	for (i = 0; i < q->n && i < MAX_LISTED; i++) {
		const struct mailq_entry *e = &q->v[i];

		sb_printf(&f.why, " %s from %s to %s%s: %s;", e->qid, e->sender,
		    e->nrcpts ? e->rcpts[0] : "?",
		    e->nrcpts > 1 ? " and others" : "",
		    e->error ? e->error : "no attempt yet");
	}
	if (q->n > MAX_LISTED)
		sb_printf(&f.why, " and %zu more (see mailq)",
		    q->n - MAX_LISTED);
	sb_printf(&f.fix, "once the cause is fixed, send the queue now: "
	    "sendmail -q -v\nor one message: sendmail -qI%s -v", oldest->qid);
	cfc_fnd_add(c->r, &f, "queue-not-empty", CFS_WARN, NULL, 0);
}

int
cfcheck_run(const struct cfcheck_env *env, struct cf_report *r)
{
	struct cfc_ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	c.env = env;
	c.r = r;
	rc = cf_smarthost(&env->cf, &c.sh);
	if (rc < 0) {
		r->err = 1;
		return -1;
	}
	c.have_sh = rc == 0;
	if (c.have_sh && env->smarthost_resolved &&
	    env->nsmarthost_addrs > 0) {
		c.sh_local_only = true;
		for (i = 0; i < env->nsmarthost_addrs; i++)
			if (!cf_addr_is_local(env, env->smarthost_addrs[i]))
				c.sh_local_only = false;
	}
	check_smarthost(&c);
	check_build(&c);
	check_cacert(&c);
	cfc_check_auth_mechs(&c);
	cfc_check_authinfo_files(&c);
	cfc_check_authinfo_entry(&c);
	cfc_check_authinfo_relaymilter(&c);
	cfc_check_milter(&c);
	cfc_check_generics(&c);
	cfc_check_local_domain(&c);
	check_hostname(&c);
	check_loops(&c);
	check_loglevel(&c);
	check_queue(&c);
	cf_smarthost_free(&c.sh);
	return r->err ? -1 : 0;
}
