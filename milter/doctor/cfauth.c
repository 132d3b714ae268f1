/*
 * cfauth.c - the configuration checks about authenticating to the relay:
 *	mechanisms, SASL plugins, the authinfo map, its files and entry
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Entries
 *	are matched the way sendmail looks them up: AuthInfo:<host>, then
 *	AuthInfo:<address>, then the bare AuthInfo: default; never by port.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

#define DEFAULT_AUTH_MECHS	"EXTERNAL GSSAPI KERBEROS_V4 DIGEST-MD5 CRAM-MD5"

static const char *
entry_name(const struct cfc_auth_entry *e, strbuf *sb)
{
	sb_reset(sb);
	sb_printf(sb, "AuthInfo:%s", e->host);
	return sb->err ? "AuthInfo entry" : sb->s;
}

/*
 * The entry sendmail would use for host: AuthInfo:<host>, then
 * AuthInfo:<each address>, then the bare AuthInfo: default.
 */
static const struct cfc_auth_entry *
auth_lookup(const struct cfcheck_env *env, const char *host, const char **how)
{
	const struct cfc_authinfo *a = &env->auth;
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
			    cfc_addr_eq(a->entries[i].host, env->smarthost_addrs[j])) {
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
static const struct cfc_auth_entry *
auth_near_miss(const struct cfcheck_env *env, const char *host)
{
	const struct cfc_authinfo *a = &env->auth;
	size_t i, n = strlen(host);

	for (i = 0; i < a->nentries; i++) {
		const char *h = a->entries[i].host;

		if (strncasecmp(h, host, n) == 0 && h[n] == ':')
			return &a->entries[i];
	}
	return NULL;
}

/* The account sendmail authenticates as (I:, else U:), or relaymilter's. */
const char *
cfc_relay_account(const struct cfcheck_env *env, const struct cf_smarthost *sh)
{
	const struct cfc_auth_entry *e;
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

void
cfc_check_auth_mechs(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_auth_entry *e;
	const struct cf_kv *o;
	const char *how, *mechs, *file;
	unsigned line;
	struct cfc_fnd f;
	strbuf en;

	if (!c->have_sh || (e = auth_lookup(env, c->sh.host, &how)) == NULL)
		return;
	sb_init(&en);
	if (e->mechs != NULL && *e->mechs != '\0') {
		if (cfc_word_in(e->mechs, "PLAIN") || cfc_word_in(e->mechs, "LOGIN"))
			goto modules;
		cfc_fnd_init(&f);
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
		cfc_fnd_add(c->r, &f, "auth-mechanisms-no-plain", CFS_WARN,
		    env->auth.source.path, e->line);
		goto modules;
	}
	o = cf_option(&env->cf, "AuthMechanisms");
	mechs = o ? o->value : DEFAULT_AUTH_MECHS;
	if (!cfc_word_in(mechs, "PLAIN") && !cfc_word_in(mechs, "LOGIN")) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "confAUTH_MECHANISMS", o ? o->line : 0,
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
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "auth-mechanisms-no-plain", CFS_ERROR, file,
		    line);
	}
modules:
	if (env->sasl_modules == 0) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "libsasl2-modules is not installed%s%s%s",
		    env->sasl_how ? " (" : "", env->sasl_how ? env->sasl_how :
		    "", env->sasl_how ? ")" : "");
		sb_puts(&f.why, "Cyrus SASL has no PLAIN or LOGIN plugin: "
		    "sendmail logs \"No worthy mechs found\" and sends "
		    "unauthenticated");
		sb_puts(&f.fix, "apt-get install libsasl2-modules && "
		    "systemctl restart sendmail");
		cfc_fnd_add(c->r, &f, "sasl-modules-missing", CFS_ERROR, NULL, 0);
	}
	sb_free(&en);
}

static void
makemap_fix(const struct cfcheck_env *env, strbuf *fix)
{
	const struct cfc_authinfo *a = &env->auth;

	sb_printf(fix, "makemap hash %s < %s", a->source.path, a->source.path);
}

void
cfc_check_authinfo_files(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_authinfo *a = &env->auth;
	struct cfc_fnd f;
	const char *file;
	unsigned line;
	int i;

	if (!a->map_defined) {
		/* RelayAccount: the relay takes this host by its address
		 * (Workspace smtp-relay) or sendmail logs in some other way */
		if (!c->have_sh || (env->have_rm && env->rm_relay_account))
			return;
		cfc_fnd_init(&f);
		cfc_where_call(env, "FEATURE", "authinfo", 0, &file, &line);
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
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "authinfo-not-configured", CFS_WARN, file,
		    line);
		return;
	}
	if (!a->file_based)
		return;
	if (a->db.exists == 0) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "the authinfo database %s does not exist",
		    a->db.path);
		sb_printf(&f.why, "%s", a->optional ? "the map is optional "
		    "(-o): sendmail silently connects without AUTH and the "
		    "relay refuses the mail (530 5.7.0 Authentication "
		    "Required)" : "sendmail cannot open the map and defers "
		    "or bounces relayed mail");
		makemap_fix(env, &f.fix);
		cfc_fnd_add(c->r, &f, "authinfo-db-missing", CFS_ERROR,
		    env->cf_path, a->map_line);
	}
	if (a->source.exists == 0) {
		cfc_fnd_init(&f);
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
		cfc_fnd_add(c->r, &f, "authinfo-source-missing",
		    a->db.exists == 1 ? CFS_WARN : CFS_ERROR, env->cf_path,
		    a->map_line);
	}
	if (a->source.exists == 1 && a->db.exists == 1 &&
	    a->db.mtime < a->source.mtime) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "%s is older than %s", a->db.path,
		    a->source.path);
		sb_puts(&f.why, "the text file was edited but makemap was not "
		    "run: sendmail still uses the old entries (an old "
		    "password, a missing account)");
		makemap_fix(env, &f.fix);
		cfc_fnd_add(c->r, &f, "authinfo-db-stale", CFS_ERROR,
		    a->source.path, 0);
	}
	for (i = 0; i < 2; i++) {
		const struct cfc_filestat *s = i == 0 ? &a->source : &a->db;

		if (s->exists != 1 || (s->mode & S_IROTH) == 0)
			continue;
		cfc_fnd_init(&f);
		sb_printf(&f.what, "%s is readable by every user (mode %04o)",
		    s->path, (unsigned)(s->mode & 07777));
		sb_puts(&f.why, "it holds the relay password: any local user "
		    "or compromised service can read it and send mail as the "
		    "relay account");
		sb_printf(&f.fix, "chmod 640 %s && chown root:smmsp %s",
		    s->path, s->path);
		cfc_fnd_add(c->r, &f, "authinfo-world-readable", CFS_ERROR,
		    s->path, 0);
	}
	if (a->source.exists == 1 && !a->read && a->read_error != NULL) {
		cfc_fnd_init(&f);
		sb_printf(&f.what, "could not read %s: %s", a->source.path,
		    a->read_error);
		sb_puts(&f.why, "the authinfo entry checks were skipped (run "
		    "the doctor as root)");
		sb_printf(&f.fix, "sudo relaymilter-doctor config");
		cfc_fnd_add(c->r, &f, "authinfo-unreadable", CFS_INFO,
		    a->source.path, 0);
	}
	if (a->syntax_error != NULL) {
		cfc_fnd_init(&f);
		sb_puts(&f.what, a->syntax_error);
		sb_puts(&f.why, "sendmail cannot use this entry (\"AUTH=client, "
		    "... authinfo failed\") and relaymilter refuses the whole "
		    "file; the other authinfo checks were skipped");
		sb_puts(&f.fix, "write entries as AuthInfo:host \"U:user\" "
		    "\"I:account\" \"P:password\" \"M:PLAIN LOGIN\" (one per "
		    "host), then: ");
		makemap_fix(env, &f.fix);
		cfc_fnd_add(c->r, &f, "authinfo-syntax", CFS_ERROR, a->source.path,
		    0);
	}
}

void
cfc_check_authinfo_entry(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_authinfo *a = &env->auth;
	const struct cfc_auth_entry *e, *near;
	const char *how, *src = a->source.path;
	struct cfc_fnd f;
	strbuf en;

	if (!c->have_sh || !a->map_defined || !a->read)
		return;
	if ((e = auth_lookup(env, c->sh.host, &how)) == NULL) {
		cfc_fnd_init(&f);
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
		cfc_fnd_add(c->r, &f, "authinfo-no-entry", CFS_ERROR, src,
		    near ? near->line : 0);
		return;
	}
	if (e->authid != NULL)
		return;
	/* the parser guarantees U: when I: is absent */
	sb_init(&en);
	cfc_fnd_init(&f);
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
	sb_printf(&f.fix, "AuthInfo:%s \"U:%s\" \"I:<account>\" "
	    "\"P:<password>\" \"M:%s\"   (a line in %s, in place of line %u; "
	    "<account>: the address you log in with)\nthen: makemap hash %s "
	    "< %s", e->host, e->user ? e->user : "root", e->mechs ? e->mechs :
	    "PLAIN LOGIN", src, e->line, src, src);
	cfc_fnd_add(c->r, &f, "authinfo-no-authid", e->user != NULL &&
	    strchr(e->user, '@') == NULL ? CFS_ERROR : CFS_WARN, src, e->line);
	sb_free(&en);
}

/*
 * Entries keyed with a port (AuthInfo:smtp.gmail.com:587, seed 000's
 * second line) are never looked up: sendmail's keys carry no port. When
 * no other entry serves the smarthost, authinfo-no-entry says so; here
 * the useless line is named while another one works.
 */
void
cfc_check_authinfo_port_keys(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_authinfo *a = &env->auth;
	const struct cfc_auth_entry *e;
	const char *how, *src = a->source.path;
	struct cfc_fnd f;
	size_t i;

	if (!c->have_sh || !a->map_defined || !a->read ||
	    auth_lookup(env, c->sh.host, &how) == NULL)
		return;
	for (i = 0; i < a->nentries; i++) {
		const char *h = a->entries[i].host, *colon = strrchr(h, ':');

		e = &a->entries[i];
		if (colon == NULL || colon == h || colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
		    strncasecmp(h, "IPv6:", 5) == 0 || memchr(h, '.',
		    (size_t)(colon - h)) == NULL)
			continue;
		cfc_fnd_init(&f);
		sb_printf(&f.what, "%s line %u, AuthInfo:%s, is never used: "
		    "sendmail looks up AuthInfo:<host> without a port", src,
		    e->line, h);
		sb_printf(&f.why, "the entry sendmail uses for %s is another "
		    "one; this one only misleads whoever edits the file (a "
		    "password changed here changes nothing)", c->sh.host);
		sb_printf(&f.fix, "remove line %u of %s (the AuthInfo:%s entry)"
		    "\nthen: makemap hash %s < %s", e->line, src, h, src, src);
		cfc_fnd_add(c->r, &f, "authinfo-port-key", CFS_INFO, src,
		    e->line);
	}
}

void
cfc_check_authinfo_relaymilter(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_authinfo *a = &env->auth;
	struct cfc_fnd f;

	if (!env->have_rm || env->rm_authinfo_file == NULL ||
	    !a->map_defined || !a->file_based || a->source.path == NULL ||
	    strcmp(env->rm_authinfo_file, a->source.path) == 0)
		return;
	cfc_fnd_init(&f);
	sb_printf(&f.what, "relaymilter reads %s (AuthInfoFile in %s), but "
	    "sendmail's authinfo map is built from %s",
	    env->rm_authinfo_file, env->rm_path, a->source.path);
	sb_puts(&f.why, "relaymilter would rewrite senders to an account "
	    "that is not the one sendmail logs in with");
	sb_printf(&f.fix, "AuthInfoFile %s   (in %s)", a->source.path,
	    env->rm_path);
	cfc_fnd_add(c->r, &f, "authinfo-file-mismatch", CFS_WARN, env->rm_path, 0);
}

/*
 * O DefaultAuthInfo in a sendmail.cf that has the authinfo ruleset (every
 * .cf m4 writes has it): sendmail never reads the file (cf/README,
 * "the default configuration file causes the option DefaultAuthInfo to
 * fail since the ruleset authinfo is in the .cf file"; proto.m4 says so
 * above Sauthinfo). The fix is the authinfo entry made of the file's
 * lines (user id, authentication id; the password is line 3).
 */
void
cfc_check_default_authinfo(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *o = cf_option(&env->cf, "DefaultAuthInfo");
	const struct cf_kv *rs = cf_ruleset(&env->cf, "authinfo");
	const struct cfc_authinfo *a = &env->auth;
	const char *file, *src;
	unsigned line;
	struct cfc_fnd f;

	if (o == NULL || o->value[0] == '\0' || rs == NULL)
		return;
	src = a->map_defined && a->file_based && a->source.path ?
	    a->source.path : "/etc/mail/authinfo";
	cfc_fnd_init(&f);
	cfc_where_define(env, "confDEF_AUTH_INFO", o->line, &file, &line);
	sb_printf(&f.what, "DefaultAuthInfo is %s, but sendmail never reads "
	    "it: %s has the authinfo ruleset (line %u)", o->value,
	    env->cf_path, rs->line);
	if (env->dai_exists == 0)
		sb_printf(&f.what, ", and %s does not exist", o->value);
	sb_printf(&f.why, "the option is ignored whenever the authinfo ruleset "
	    "is in sendmail.cf, which m4 always writes (cf/README: "
	    "DefaultAuthInfo is deprecated); sendmail looks the credentials "
	    "up with FEATURE(`authinfo') only, so it sends no AUTH%s%s and a "
	    "relay that requires it answers 530 5.7.0 Authentication Required",
	    c->have_sh ? " to " : "", c->have_sh ? c->sh.host : "");
	if (!a->map_defined)
		sb_puts(&f.fix, "FEATURE(`authinfo')dnl\n");
	sb_printf(&f.fix, "AuthInfo:%s \"U:%s\" \"I:%s\" \"P:<password>\" "
	    "\"M:LOGIN PLAIN\"   (a line in %s; <password>: line 3 of %s)\n",
	    c->have_sh ? c->sh.host : "",
	    env->dai_user && *env->dai_user ? env->dai_user : "<user>",
	    env->dai_authid && *env->dai_authid ? env->dai_authid :
	    env->dai_user && *env->dai_user ? env->dai_user : "<account>",
	    src, o->value);
	sb_printf(&f.fix, "then: makemap hash %s < %s && chown root:smmsp %s "
	    "%s.db && chmod 640 %s %s.db", src, src, src, src, src, src);
	if (env->have_mc && mc_find(&env->mc, "define", "confDEF_AUTH_INFO")) {
		const struct mc_call *d = mc_find(&env->mc, "define",
		    "confDEF_AUTH_INFO");
		char *t = d->depth == 0 ? mcedit_line(env->mc_text, d->line) : NULL;

		if (t != NULL)
			sb_printf(&f.fix, "\nremove line %u of %s: %s", d->line,
			    env->mc_path, t);
		free(t);
	}
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "defaultauthinfo-ignored", a->map_defined ?
	    CFS_WARN : CFS_ERROR, file, line);
}
