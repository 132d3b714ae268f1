/*
 * cfcheck.c - the sendmail configuration checks of relaymilter-doctor
 *
 * CONTRACT
 *	See include/cfcheck.h. Pure: every check reads struct cfcheck_env
 *	and appends to struct cf_report; nothing here opens a file, runs a
 *	program or looks at the clock (env->now is the time). Checks run in
 *	a fixed order: smarthost and port, sendmail build, certificates,
 *	authentication, authinfo, milter, rewriting, local domains, host
 *	name, loops, log level, queue.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfcheck.h"

#define DEFAULT_AUTH_MECHS	"EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5"
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

/* A finding under construction. */
struct fnd {
	strbuf	what, why, fix;
};

static void
fnd_init(struct fnd *f)
{
	sb_init(&f->what);
	sb_init(&f->why);
	sb_init(&f->fix);
}

static void
fnd_free(struct fnd *f)
{
	sb_free(&f->what);
	sb_free(&f->why);
	sb_free(&f->fix);
}

/* Append the finding; frees f's buffers in every case. */
static int
fnd_add(struct cf_report *r, struct fnd *f, const char *id,
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
static void
where_define(const struct cfcheck_env *env, const char *name,
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
static void
where_call(const struct cfcheck_env *env, const char *name, const char *arg1,
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
static void
rebuild(const struct cfcheck_env *env, strbuf *fix)
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

static bool
word_in(const char *list, const char *word)
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

static bool
addr_eq(const char *a, const char *b)
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
		if (addr_eq(env->local_addrs[i], addr))
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
cf_milter_timeouts(const char *t, struct cf_milter_timeouts *out)
{
	struct cf_milter_timeouts v = { 300, 10, 10, 300 };
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

static const char *
domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

/* ------------------------------------------------------------ authinfo */

static const char *
entry_name(const struct cf_auth_entry *e, strbuf *sb)
{
	sb_reset(sb);
	sb_printf(sb, "AuthInfo:%s", e->host);
	return sb->err ? "AuthInfo entry" : sb->s;
}

/*
 * The entry sendmail would use for host: AuthInfo:<host>, then
 * AuthInfo:<each address>, then the bare AuthInfo: default.
 */
static const struct cf_auth_entry *
auth_lookup(const struct cfcheck_env *env, const char *host, const char **how)
{
	const struct cf_authinfo *a = &env->auth;
	size_t i, j;

	if (!a->read)
		return NULL;
	for (i = 0; i < a->nentries; i++)
		if (*a->entries[i].host && str_ieq(a->entries[i].host, host)) {
			*how = "matched by host name";
			return &a->entries[i];
		}
	for (j = 0; j < env->nsmarthost_addrs; j++)
		for (i = 0; i < a->nentries; i++)
			if (*a->entries[i].host &&
			    addr_eq(a->entries[i].host, env->smarthost_addrs[j])) {
				*how = "matched by address";
				return &a->entries[i];
			}
	for (i = 0; i < a->nentries; i++)
		if (*a->entries[i].host == '\0') {
			*how = "the default entry";
			return &a->entries[i];
		}
	return NULL;
}

/* An entry that was probably meant for host but never matches: sendmail
 * has no port in the key. */
static const struct cf_auth_entry *
auth_near_miss(const struct cfcheck_env *env, const char *host)
{
	const struct cf_authinfo *a = &env->auth;
	size_t i, n = strlen(host);

	for (i = 0; i < a->nentries; i++) {
		const char *h = a->entries[i].host;

		if (strncasecmp(h, host, n) == 0 && h[n] == ':')
			return &a->entries[i];
	}
	return NULL;
}

/* The account sendmail authenticates as (I:, else U:), or relaymilter's. */
static const char *
relay_account(const struct cfcheck_env *env, const struct cf_smarthost *sh)
{
	const struct cf_auth_entry *e;
	const char *how;

	if (sh->host != NULL && (e = auth_lookup(env, sh->host, &how)) != NULL) {
		if (e->authid != NULL)
			return e->authid;
		if (e->user != NULL)
			return e->user;
	}
	if (env->have_rm && env->rm_relay_account != NULL)
		return env->rm_relay_account;
	return NULL;
}

/* ------------------------------------------------------------ checks */

struct ctx {
	const struct cfcheck_env *env;
	struct cf_report	*r;
	struct cf_smarthost	 sh;
	bool			 have_sh;
	bool			 sh_local_only;	/* resolves to this host only */
};

static void
check_smarthost(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_smarthost *sh = &c->sh;
	const char *file;
	unsigned line;
	struct fnd f;

	if (!c->have_sh) {
		fnd_init(&f);
		where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "no smarthost: DS is empty in %s",
		    env->cf_path);
		sb_puts(&f.why, "sendmail sends mail for other domains "
		    "straight to each recipient's MX from this host's address, "
		    "where it is blocked or filed as spam, and relaymilter only "
		    "acts on mail that leaves through the relay mailer");
		sb_puts(&f.fix, "define(`SMART_HOST', `[smtp.gmail.com]')dnl"
		    "   (your relay's name, in brackets)");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "smarthost-missing", CFS_ERROR, file, line);
		return;
	}
	if (!sh->bracketed && !is_ip_literal(sh->host)) {
		fnd_init(&f);
		where_define(env, "SMART_HOST", sh->line, &file, &line);
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
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "smarthost-mx-lookup", CFS_WARN, file, line);
	}
	if (sh->ignored != NULL) {
		fnd_init(&f);
		where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "SMART_HOST is %s: sendmail ignores the "
		    "\"%s\" after the brackets", sh->raw, sh->ignored);
		sb_printf(&f.why, "sendmail drops everything after ']' and "
		    "connects to the port of the %s mailer (%d), not to the "
		    "one written in SMART_HOST", sh->mailer, sh->port);
		sb_printf(&f.fix, "define(`SMART_HOST', `[%s]')dnl\n"
		    "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n"
		    "define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl", sh->host);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "smarthost-port-ignored", CFS_WARN, file,
		    line);
	}
	if (sh->mailer_line == 0) {
		fnd_init(&f);
		sb_printf(&f.what, "SMART_HOST uses mailer \"%s\", which "
		    "sendmail.cf does not define", sh->mailer);
		sb_puts(&f.why, "sendmail cannot deliver through an undefined "
		    "mailer: relayed mail bounces with \"mailer unknown\"");
		sb_printf(&f.fix, "define(`SMART_HOST', `[%s]')dnl   (the "
		    "relay mailer)\nand keep MAILER(`smtp')dnl at the end of "
		    "the .mc", sh->host);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "relay-mailer-missing", CFS_ERROR,
		    env->cf_path, sh->line);
		return;
	}
	if (sh->port == 25 && !c->sh_local_only) {
		fnd_init(&f);
		where_define(env, strcmp(sh->mailer, "esmtp") == 0 ?
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
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "relay-port-25", CFS_WARN, file, line);
	} else if (sh->port == 465) {
		fnd_init(&f);
		where_define(env, strcmp(sh->mailer, "esmtp") == 0 ?
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
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "relay-port-465", CFS_ERROR, file, line);
	}
}

static bool
needs_auth(const struct cfcheck_env *env)
{
	return env->auth.map_defined || env->auth.nentries > 0;
}

static void
check_build(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct sendmail_info *si = &env->info;
	struct fnd f;

	if (!env->have_info) {
		fnd_init(&f);
		sb_printf(&f.what, "could not read sendmail's compile options: "
		    "%s", env->info_error ? env->info_error : "unknown error");
		sb_puts(&f.why, "the STARTTLS, SASL and MILTER support checks "
		    "were skipped");
		sb_puts(&f.fix, "run: sendmail -d0.1 -bt < /dev/null");
		fnd_add(c->r, &f, "sendmail-info-unavailable", CFS_INFO, NULL,
		    0);
		return;
	}
	if (!sendmail_compiled_with(si, "STARTTLS")) {
		fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without STARTTLS",
		    si->version ? si->version : "");
		sb_puts(&f.why, "it cannot encrypt the connection to the "
		    "relay; smtp.gmail.com and most relays refuse AUTH and "
		    "MAIL without TLS (530 5.7.0 Must issue a STARTTLS command "
		    "first)");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has STARTTLS and SASLv2)");
		fnd_add(c->r, &f, "sendmail-no-starttls", CFS_ERROR, NULL, 0);
	}
	if (!sendmail_compiled_with(si, "SASLv2") &&
	    !sendmail_compiled_with(si, "SASL")) {
		fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without SASL",
		    si->version ? si->version : "");
		sb_puts(&f.why, "it cannot authenticate to the relay (SMTP "
		    "AUTH): authinfo entries are ignored and the relay "
		    "answers 530 5.7.0 Authentication Required");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has STARTTLS and SASLv2)");
		fnd_add(c->r, &f, "sendmail-no-sasl",
		    needs_auth(env) ? CFS_ERROR : CFS_WARN, NULL, 0);
	}
	if (!sendmail_compiled_with(si, "MILTER")) {
		fnd_init(&f);
		sb_printf(&f.what, "sendmail %s was built without MILTER",
		    si->version ? si->version : "");
		sb_puts(&f.why, "sendmail ignores every mail filter, "
		    "relaymilter included: no sender is rewritten");
		sb_puts(&f.fix, "apt-get install sendmail-bin   (Debian's "
		    "build has MILTER)");
		fnd_add(c->r, &f, "sendmail-no-milter", CFS_ERROR, NULL, 0);
	}
}

static void
check_cacert(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *file = cf_option(&env->cf, "CACertFile");
	const struct cf_kv *path = cf_option(&env->cf, "CACertPath");
	struct fnd f;

	if ((file == NULL || *file->value == '\0') &&
	    (path == NULL || *path->value == '\0')) {
		fnd_init(&f);
		sb_puts(&f.what, "neither CACertFile nor CACertPath is set");
		sb_printf(&f.why, "sendmail cannot verify the certificate of "
		    "%s: the log says verify=FAIL for every connection and an "
		    "impostor would go unnoticed", c->have_sh ? c->sh.host :
		    "the relay");
		sb_puts(&f.fix, "define(`confCACERT_PATH', `/etc/ssl/certs')dnl\n"
		    "define(`confCACERT', `/etc/ssl/certs/ca-certificates.crt')dnl"
		    "   (package ca-certificates)");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "cacert-missing", CFS_WARN, env->cf_path, 0);
		return;
	}
	if (file != NULL && *file->value && env->cacert_file == 0) {
		const char *mf;
		unsigned ml;

		fnd_init(&f);
		where_define(env, "confCACERT", file->line, &mf, &ml);
		sb_printf(&f.what, "CACertFile %s does not exist", file->value);
		sb_puts(&f.why, "sendmail cannot load the trusted CAs and "
		    "cannot verify the relay's certificate (verify=FAIL)");
		sb_puts(&f.fix, "define(`confCACERT', "
		    "`/etc/ssl/certs/ca-certificates.crt')dnl   (package "
		    "ca-certificates)");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "cacert-file-missing", CFS_WARN, mf, ml);
	}
	if (path != NULL && *path->value && env->cacert_path == 0) {
		const char *mf;
		unsigned ml;

		fnd_init(&f);
		where_define(env, "confCACERT_PATH", path->line, &mf, &ml);
		sb_printf(&f.what, "CACertPath %s does not exist", path->value);
		sb_puts(&f.why, "sendmail cannot find the trusted CAs and "
		    "cannot verify the relay's certificate (verify=FAIL)");
		sb_puts(&f.fix, "define(`confCACERT_PATH', `/etc/ssl/certs')dnl");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "cacert-path-missing", CFS_WARN, mf, ml);
	}
}

static void
check_auth_mechs(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_auth_entry *e;
	const struct cf_kv *o;
	const char *how, *mechs, *file;
	unsigned line;
	struct fnd f;
	strbuf en;

	if (!c->have_sh || (e = auth_lookup(env, c->sh.host, &how)) == NULL)
		return;
	sb_init(&en);
	if (e->mechs != NULL && *e->mechs != '\0') {
		if (word_in(e->mechs, "PLAIN") || word_in(e->mechs, "LOGIN"))
			goto modules;
		fnd_init(&f);
		sb_printf(&f.what, "the authinfo entry %s lists only \"%s\" "
		    "(M:), without PLAIN or LOGIN", entry_name(e, &en),
		    e->mechs);
		sb_puts(&f.why, "relays that take a password (app password "
		    "for Gmail, API key for SendGrid) offer PLAIN and LOGIN; "
		    "sendmail logs \"available mechanisms do not fulfill "
		    "requirements\" and sends unauthenticated");
		sb_printf(&f.fix, "put \"M:PLAIN LOGIN\" in the %s line of %s, "
		    "then: makemap hash %s < %s", entry_name(e, &en),
		    env->auth.source.path,
		    env->auth.source.path, env->auth.source.path);
		fnd_add(c->r, &f, "auth-mechanisms-no-plain", CFS_WARN,
		    env->auth.source.path, e->line);
		goto modules;
	}
	o = cf_option(&env->cf, "AuthMechanisms");
	mechs = o ? o->value : DEFAULT_AUTH_MECHS;
	if (!word_in(mechs, "PLAIN") && !word_in(mechs, "LOGIN")) {
		fnd_init(&f);
		where_define(env, "confAUTH_MECHANISMS", o ? o->line : 0,
		    &file, &line);
		sb_printf(&f.what, "AuthMechanisms is \"%s\"%s: no PLAIN or "
		    "LOGIN, and the authinfo entry %s has no M: list",
		    mechs, o ? "" : " (the default)", entry_name(e, &en));
		sb_puts(&f.why, "relays that take a password (app password "
		    "for Gmail, API key for SendGrid) offer only PLAIN and "
		    "LOGIN among these; sendmail logs \"available mechanisms "
		    "do not fulfill requirements\", sends unauthenticated and "
		    "the relay answers 530 5.7.0 Authentication Required");
		sb_puts(&f.fix, "define(`confAUTH_MECHANISMS', "
		    "`EXTERNAL GSSAPI DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "auth-mechanisms-no-plain", CFS_ERROR, file,
		    line);
	}
modules:
	if (env->sasl_modules == 0) {
		fnd_init(&f);
		sb_printf(&f.what, "libsasl2-modules is not installed%s%s%s",
		    env->sasl_how ? " (" : "", env->sasl_how ? env->sasl_how :
		    "", env->sasl_how ? ")" : "");
		sb_puts(&f.why, "Cyrus SASL has no PLAIN or LOGIN plugin: "
		    "sendmail logs \"No worthy mechs found\" and sends "
		    "unauthenticated");
		sb_puts(&f.fix, "apt-get install libsasl2-modules && "
		    "systemctl restart sendmail");
		fnd_add(c->r, &f, "sasl-modules-missing", CFS_ERROR, NULL, 0);
	}
	sb_free(&en);
}

static void
makemap_fix(const struct cfcheck_env *env, strbuf *fix)
{
	const struct cf_authinfo *a = &env->auth;

	sb_printf(fix, "makemap hash %s < %s", a->source.path, a->source.path);
}

static void
check_authinfo_files(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_authinfo *a = &env->auth;
	struct fnd f;
	const char *file;
	unsigned line;
	int i;

	if (!a->map_defined) {
		if (!c->have_sh)
			return;
		fnd_init(&f);
		where_call(env, "FEATURE", "authinfo", 0, &file, &line);
		sb_printf(&f.what, "no authinfo map (FEATURE(`authinfo')) in "
		    "%s", env->cf_path);
		sb_printf(&f.why, "without it sendmail looks AuthInfo: entries "
		    "up in the access map, which is often world-readable, and "
		    "relaymilter cannot learn the account; unless %s accepts "
		    "this host by its IP address, mail is refused with 530 "
		    "5.7.0 Authentication Required", c->sh.host);
		sb_puts(&f.fix, "FEATURE(`authinfo', `hash -o "
		    "/etc/mail/authinfo.db')dnl\nwith an entry in "
		    "/etc/mail/authinfo, then: makemap hash /etc/mail/authinfo "
		    "< /etc/mail/authinfo");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "authinfo-not-configured", CFS_WARN, file,
		    line);
		return;
	}
	if (!a->file_based)
		return;
	if (a->db.exists == 0) {
		fnd_init(&f);
		sb_printf(&f.what, "the authinfo database %s does not exist",
		    a->db.path);
		sb_printf(&f.why, "%s", a->optional ? "the map is optional "
		    "(-o): sendmail silently connects without AUTH and the "
		    "relay refuses the mail (530 5.7.0 Authentication "
		    "Required)" : "sendmail cannot open the map and defers "
		    "or bounces relayed mail");
		makemap_fix(env, &f.fix);
		fnd_add(c->r, &f, "authinfo-db-missing", CFS_ERROR,
		    env->cf_path, a->map_line);
	}
	if (a->source.exists == 0) {
		fnd_init(&f);
		sb_printf(&f.what, "the authinfo source %s does not exist",
		    a->source.path);
		sb_puts(&f.why, "the database cannot be rebuilt or checked, "
		    "and relaymilter reads the account (I:) from this text "
		    "file");
		sb_printf(&f.fix, "create %s with a line AuthInfo:%s "
		    "\"U:root\" \"I:<account>\" \"P:<password>\" "
		    "\"M:PLAIN LOGIN\", then: makemap hash %s < %s",
		    a->source.path, c->have_sh ? c->sh.host : "<relay>",
		    a->source.path, a->source.path);
		fnd_add(c->r, &f, "authinfo-source-missing",
		    a->db.exists == 1 ? CFS_WARN : CFS_ERROR, env->cf_path,
		    a->map_line);
	}
	if (a->source.exists == 1 && a->db.exists == 1 &&
	    a->db.mtime < a->source.mtime) {
		fnd_init(&f);
		sb_printf(&f.what, "%s is older than %s", a->db.path,
		    a->source.path);
		sb_puts(&f.why, "the text file was edited but makemap was not "
		    "run: sendmail still uses the old entries (an old "
		    "password, a missing account)");
		makemap_fix(env, &f.fix);
		fnd_add(c->r, &f, "authinfo-db-stale", CFS_ERROR,
		    a->source.path, 0);
	}
	for (i = 0; i < 2; i++) {
		const struct cf_filestat *s = i == 0 ? &a->source : &a->db;

		if (s->exists != 1 || (s->mode & S_IROTH) == 0)
			continue;
		fnd_init(&f);
		sb_printf(&f.what, "%s is readable by every user (mode %04o)",
		    s->path, (unsigned)(s->mode & 07777));
		sb_puts(&f.why, "it holds the relay password: any local user "
		    "or compromised service can read it and send mail as the "
		    "relay account");
		sb_printf(&f.fix, "chmod 640 %s && chown root:smmsp %s",
		    s->path, s->path);
		fnd_add(c->r, &f, "authinfo-world-readable", CFS_ERROR,
		    s->path, 0);
	}
	if (a->source.exists == 1 && !a->read && a->read_error != NULL) {
		fnd_init(&f);
		sb_printf(&f.what, "could not read %s: %s", a->source.path,
		    a->read_error);
		sb_puts(&f.why, "the authinfo entry checks were skipped (run "
		    "the doctor as root)");
		sb_printf(&f.fix, "sudo relaymilter-doctor config");
		fnd_add(c->r, &f, "authinfo-unreadable", CFS_INFO,
		    a->source.path, 0);
	}
	if (a->syntax_error != NULL) {
		fnd_init(&f);
		sb_puts(&f.what, a->syntax_error);
		sb_puts(&f.why, "sendmail cannot use this entry (\"AUTH=client, "
		    "... authinfo failed\") and relaymilter refuses the whole "
		    "file; the other authinfo checks were skipped");
		sb_puts(&f.fix, "write entries as AuthInfo:host \"U:user\" "
		    "\"I:account\" \"P:password\" \"M:PLAIN LOGIN\" (one per "
		    "host), then: ");
		makemap_fix(env, &f.fix);
		fnd_add(c->r, &f, "authinfo-syntax", CFS_ERROR, a->source.path,
		    0);
	}
}

static void
check_authinfo_entry(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_authinfo *a = &env->auth;
	const struct cf_auth_entry *e, *near;
	const char *how, *src = a->source.path;
	struct fnd f;
	strbuf en;

	if (!c->have_sh || !a->map_defined || !a->read)
		return;
	if ((e = auth_lookup(env, c->sh.host, &how)) == NULL) {
		fnd_init(&f);
		sb_printf(&f.what, "%s has no entry for %s: no AuthInfo:%s, "
		    "none for its addresses, no default AuthInfo:", src,
		    c->sh.host, c->sh.host);
		near = auth_near_miss(env, c->sh.host);
		if (near != NULL)
			sb_printf(&f.what, " (line %u has AuthInfo:%s, but "
			    "sendmail never puts a port in the key)",
			    near->line, near->host);
		sb_printf(&f.why, "sendmail connects to %s without "
		    "authenticating and the relay refuses the mail (530 5.7.0 "
		    "Authentication Required)", c->sh.host);
		sb_printf(&f.fix, "AuthInfo:%s \"U:root\" \"I:<account>\" "
		    "\"P:<password>\" \"M:PLAIN LOGIN\"   (a line in %s)\n"
		    "then: makemap hash %s < %s", c->sh.host, src, src, src);
		fnd_add(c->r, &f, "authinfo-no-entry", CFS_ERROR, src,
		    near ? near->line : 0);
		return;
	}
	if (e->authid != NULL)
		return;
	/* the parser guarantees U: when I: is absent */
	sb_init(&en);
	fnd_init(&f);
	sb_printf(&f.what, "the authinfo entry %s (%s) has no I: "
	    "(authentication id)", entry_name(e, &en), how);
	if (e->user != NULL && strchr(e->user, '@') == NULL)
		sb_printf(&f.why, "sendmail then logs in as the U: value "
		    "\"%s\", which is not an account address: Gmail and most "
		    "relays refuse it (535 5.7.8), and relaymilter takes \"%s\" "
		    "as the relay account", e->user, e->user);
	else
		sb_printf(&f.why, "sendmail then logs in as the U: value "
		    "\"%s\" (the authorization id); write the account as I: "
		    "so that the login and relaymilter's relay account are "
		    "explicit", e->user ? e->user : "");
	sb_printf(&f.fix, "add \"I:<account address>\" to the %s line of "
	    "%s, then: makemap hash %s < %s", entry_name(e, &en), src, src,
	    src);
	fnd_add(c->r, &f, "authinfo-no-authid", e->user != NULL &&
	    strchr(e->user, '@') == NULL ? CFS_ERROR : CFS_WARN, src, e->line);
	sb_free(&en);
}

static void
check_authinfo_relaymilter(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_authinfo *a = &env->auth;
	struct fnd f;

	if (!env->have_rm || env->rm_authinfo_file == NULL ||
	    !a->map_defined || !a->file_based || a->source.path == NULL ||
	    strcmp(env->rm_authinfo_file, a->source.path) == 0)
		return;
	fnd_init(&f);
	sb_printf(&f.what, "relaymilter reads %s (AuthInfoFile in %s), but "
	    "sendmail's authinfo map is built from %s",
	    env->rm_authinfo_file, env->rm_path, a->source.path);
	sb_puts(&f.why, "relaymilter would rewrite senders to an account "
	    "that is not the one sendmail logs in with");
	sb_printf(&f.fix, "AuthInfoFile %s   (in %s)", a->source.path,
	    env->rm_path);
	fnd_add(c->r, &f, "authinfo-file-mismatch", CFS_WARN, env->rm_path, 0);
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

static void
check_milter(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_milter *m = find_relaymilter(env);
	const struct cf_kv *inp;
	struct cf_milter_timeouts to;
	const char *file;
	unsigned line;
	struct fnd f;

	if (!env->have_rm && env->rm_error != NULL) {
		fnd_init(&f);
		sb_printf(&f.what, "could not read relaymilter's configuration: "
		    "%s", env->rm_error);
		sb_puts(&f.why, "the checks of the milter socket, the timeouts "
		    "and the relay account against it were skipped; relaymilter "
		    "itself refuses to start with this file");
		sb_printf(&f.fix, "relaymilter -n -c %s   (checks the file and "
		    "names the line)", env->rm_path ? env->rm_path : "FILE");
		fnd_add(c->r, &f, "relaymilter-conf-unreadable", CFS_WARN,
		    env->rm_path, 0);
	}
	if (m == NULL) {
		fnd_init(&f);
		sb_printf(&f.what, "no milter definition for relaymilter in %s",
		    env->cf_path);
		if (env->cf.nmilters > 0)
			sb_printf(&f.what, " (it defines %zu other milter%s)",
			    env->cf.nmilters, env->cf.nmilters == 1 ? "" : "s");
		sb_puts(&f.why, "sendmail never calls relaymilter: no sender "
		    "is rewritten or checked before mail leaves");
		milter_line(env, "relaymilter", &f.fix);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "milter-missing", CFS_ERROR, env->cf_path, 0);
		return;
	}
	where_call(env, "INPUT_MAIL_FILTER", m->name, m->line, &file, &line);
	inp = cf_option(&env->cf, "InputMailFilters");
	if (inp == NULL || !word_in(inp->value, m->name)) {
		fnd_init(&f);
		sb_printf(&f.what, "milter %s is defined but not listed in "
		    "InputMailFilters (%s)", m->name, inp ? inp->value :
		    "not set");
		sb_puts(&f.why, "MAIL_FILTER only defines a filter; sendmail "
		    "calls the filters named in InputMailFilters, so "
		    "relaymilter never sees a message");
		milter_line(env, m->name, &f.fix);
		sb_puts(&f.fix, "   (INPUT_MAIL_FILTER, not MAIL_FILTER)");
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "milter-not-enabled", CFS_ERROR, file, line);
	}
	if (env->have_rm && env->rm_socket != NULL &&
	    (m->socket == NULL || !same_socket(m->socket, env->rm_socket))) {
		fnd_init(&f);
		sb_printf(&f.what, "milter %s talks to %s but relaymilter "
		    "listens on %s (Socket in %s)", m->name,
		    m->socket ? m->socket : "no socket", env->rm_socket,
		    env->rm_path);
		sb_puts(&f.why, "sendmail cannot reach relaymilter: with F=T "
		    "every message is deferred (451 4.3.2), without it mail "
		    "leaves unfiltered");
		milter_line(env, m->name, &f.fix);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "milter-socket-mismatch", CFS_ERROR, file,
		    line);
	}
	if (m->flags == NULL || strchr(m->flags, 'T') == NULL) {
		bool rej = m->flags != NULL && strchr(m->flags, 'R') != NULL;

		fnd_init(&f);
		sb_printf(&f.what, "milter %s has %s%s", m->name,
		    m->flags ? "F=" : "no F= flag",
		    m->flags ? m->flags : "");
		sb_puts(&f.why, rej ? "while relaymilter is down sendmail "
		    "rejects mail (5xx) instead of keeping it queued" :
		    "while relaymilter is down (restart, crash, upgrade) "
		    "sendmail passes mail unfiltered: it leaves with the "
		    "original sender and the relay refuses or rewrites it");
		milter_line(env, m->name, &f.fix);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, rej ? "milter-rejects-when-down" :
		    "milter-no-tempfail", rej ? CFS_INFO : CFS_WARN, file, line);
	}
	if (cf_milter_timeouts(m->timeouts, &to) < 0) {
		fnd_init(&f);
		sb_printf(&f.what, "milter %s has timeouts T=%s that sendmail "
		    "cannot read", m->name, m->timeouts);
		sb_puts(&f.why, "sendmail logs an error and uses its defaults "
		    "(R:10s)");
		milter_line(env, m->name, &f.fix);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "milter-timeout-syntax", CFS_WARN, file,
		    line);
	} else if (env->have_rm && (to.read <= env->rm_dns_timeout ||
	    to.eom <= env->rm_dns_timeout)) {
		fnd_init(&f);
		sb_printf(&f.what, "milter %s waits %lus for a reply (R:) and "
		    "%lus for end of message (E:), but relaymilter's "
		    "DNSTimeout is %lus", m->name, to.read, to.eom,
		    env->rm_dns_timeout);
		sb_puts(&f.why, "when DNS is slow sendmail gives up on "
		    "relaymilter before relaymilter's own SPF lookups time "
		    "out: the message is deferred (F=T) or leaves unchecked");
		milter_line(env, m->name, &f.fix);
		rebuild(env, &f.fix);
		fnd_add(c->r, &f, "milter-timeout-short", CFS_ERROR, file,
		    line);
	}
}

static void
check_generics(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_map *g = cf_map(&env->cf, "generics");
	const char *file;
	unsigned line;
	struct fnd f;

	if (g == NULL || !env->cf.masq_envelope)
		return;
	fnd_init(&f);
	where_call(env, "FEATURE", "masquerade_envelope",
	    env->cf.masq_envelope_line, &file, &line);
	sb_printf(&f.what, "genericstable (%s) rewrites envelope senders "
	    "(FEATURE(`masquerade_envelope'))", g->file ? g->file : g->args);
	sb_puts(&f.why, "genericstable runs at delivery, after relaymilter: "
	    "a sender relaymilter rewrote, logged and checked SPF for can be "
	    "rewritten again, so the relay sees another address than the "
	    "decision line says");
	sb_puts(&f.fix, "let relaymilter do the envelope rewriting (SenderMap "
	    "can read the genericstable text file) and remove "
	    "FEATURE(`masquerade_envelope')dnl, or remove the genericstable "
	    "entries for relayed senders");
	rebuild(env, &f.fix);
	fnd_add(c->r, &f, "genericstable-envelope", CFS_WARN, file, line);
}

static void
check_local_domain(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const char *acct = relay_account(env, &c->sh), *dom = domain_of(acct);
	const char *file = NULL;
	unsigned line = 0;
	bool in_mc = false, from_file = false;
	size_t i;
	struct fnd f;

	if (dom == NULL)
		return;
	for (i = 0; i < env->cf.nclass_w && file == NULL; i++)
		if (str_ieq(env->cf.class_w[i].name, dom)) {
			where_call(env, "LOCAL_DOMAIN", dom,
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
	fnd_init(&f);
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
		rebuild(env, &f.fix);
	else
		sb_puts(&f.fix, "\nthen restart sendmail");
	fnd_add(c->r, &f, "local-domain-relay-account", CFS_ERROR, file, line);
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
check_hostname(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const char *host = env->hostname, *canon_j = NULL, *acct, *dom;
	strbuf addr, canon, fqdn;
	unsigned hline = 0;
	bool found = false, qualified;
	struct fnd f;

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
		acct = relay_account(env, &c->sh);
		dom = domain_of(acct);
		if (dom == NULL || public_mail_domain(dom))
			dom = "example.org";
		fnd_init(&f);
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
		fnd_add(c->r, &f, "hostname-unqualified", CFS_WARN,
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
			match = addr_eq(daddr, addr);
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
check_loops(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_mailer *m;
	const struct cf_kv *d[16];
	const char *flags, *local = NULL;
	size_t nd, i, j;
	bool listens = false;
	struct fnd f;

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
	fnd_init(&f);
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
	rebuild(env, &f.fix);
	fnd_add(c->r, &f, local != NULL ? "smarthost-loops" :
	    "smarthost-is-self", local != NULL ? CFS_ERROR : CFS_WARN,
	    env->cf_path, c->sh.line);
}

static void
check_loglevel(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *o = cf_option(&env->cf, "LogLevel");
	unsigned long v = 9;
	const char *file;
	unsigned line;
	struct fnd f;

	if (o != NULL && parse_uint(o->value, 100, &v) < 0)
		return;
	if (v >= 10 || !needs_auth(env))
		return;
	fnd_init(&f);
	where_define(env, "confLOG_LEVEL", o ? o->line : 0, &file, &line);
	sb_printf(&f.what, "LogLevel is %lu", v);
	sb_puts(&f.why, "below 10 sendmail never logs its AUTH to the relay "
	    "(AUTH=client lines): a rejected password shows up only as a "
	    "bounce with 530 5.7.0 Authentication Required");
	sb_puts(&f.fix, "define(`confLOG_LEVEL', `10')dnl");
	rebuild(env, &f.fix);
	fnd_add(c->r, &f, "loglevel-auth-hidden", CFS_INFO, file, line);
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
check_queue(struct ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct mailq *q = &env->mailq;
	const struct mailq_entry *oldest = NULL;
	struct fnd f;
	size_t i;

	if (!env->have_mailq) {
		if (env->mailq_error == NULL)
			return;
		fnd_init(&f);
		sb_printf(&f.what, "could not list the queue: %s",
		    env->mailq_error);
		sb_puts(&f.why, "the queue check was skipped");
		sb_puts(&f.fix, "run: mailq   (as root)");
		fnd_add(c->r, &f, "queue-unreadable", CFS_INFO, NULL, 0);
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
	fnd_init(&f);
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
	fnd_add(c->r, &f, "queue-not-empty", CFS_WARN, NULL, 0);
}

int
cfcheck_run(const struct cfcheck_env *env, struct cf_report *r)
{
	struct ctx c;
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
	check_auth_mechs(&c);
	check_authinfo_files(&c);
	check_authinfo_entry(&c);
	check_authinfo_relaymilter(&c);
	check_milter(&c);
	check_generics(&c);
	check_local_domain(&c);
	check_hostname(&c);
	check_loops(&c);
	check_loglevel(&c);
	check_queue(&c);
	cf_smarthost_free(&c.sh);
	return r->err ? -1 : 0;
}
