/*
 * cfrelay.c - the configuration checks about the way to the relay: the
 *	smarthost and its port, sendmail's build, the CA certificates
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env and ctx->sh (DS and the smarthost's mailer as
 *	sendmail.cf gives them, sendmailcf.h) and appends findings.
 *	The port is the one sendmail really connects to: the third word of
 *	the smarthost's mailer's A= ("TCP $h PORT"). DS is "mailer:hosts":
 *	the mailer prefix ("smtp:", "esmtp:") selects that mailer and with it
 *	its own *_MAILER_ARGS (SMTP_MAILER_ARGS for smtp:), so the
 *	RELAY_MAILER_ARGS and ESMTP_MAILER_ARGS lines of a .mc apply only to
 *	the mailers they name; after the mailer, ':' separates the hosts of
 *	a list tried in turn, so "[smtp.example.com]:587" is a second host
 *	named "587", never a port. "$p" in A= is sendmail's process id. A
 *	port fix names the args of the mailer in use, and when the .mc
 *	already has that line after MAILER() the fix is to move it
 *	(mc-after-mailer, cfmc.c), never to repeat it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "netlist.h"

static bool
is_ip_literal(const char *s)
{
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	return ip_parse_text(s, NULL, NULL);
}

/* The m4 name of a TCP mailer's A=, or NULL. */
static const char *
args_macro(const char *mailer)
{
	static const char *const names[][2] = {
		{ "relay", "RELAY_MAILER_ARGS" }, { "esmtp", "ESMTP_MAILER_ARGS" },
		{ "smtp", "SMTP_MAILER_ARGS" }, { "smtp8", "SMTP8_MAILER_ARGS" },
		{ "dsmtp", "DSMTP_MAILER_ARGS" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(mailer, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/* Does a "TCP $h PORT" value name this port? */
static bool
args_give_port(const char *v, int port)
{
	struct cf_mailer m;
	struct cf_kv kv = { "A", (char *)v, 0 };

	memset(&m, 0, sizeof(m));
	m.fields = &kv;
	m.nfields = 1;
	return cf_mailer_port(&m) == port;
}

/* The fix that makes `mailer` connect to `port`: the move of its late
 * define when the .mc has the right one after MAILER(), else the define. */
static void
port_fix(const struct cfc_ctx *c, const char *mailer, int port, strbuf *fix)
{
	const char *macro = args_macro(mailer);
	const struct mc_call *late = macro ? cfc_late_define(c, macro) : NULL;

	if (late != NULL && late->nargs > 1 && c->late_matters &&
	    args_give_port(late->args[1], port)) {
		cfc_move_fix(c, fix);
		return;
	}
	if (macro != NULL)
		sb_printf(fix, "define(`%s', `TCP $h %d')dnl", macro, port);
	else
		sb_printf(fix, "give the %s mailer A=TCP $h %d", mailer, port);
}

/* Where the args of a mailer are set: the .mc's define, else the mailer. */
static void
args_where(const struct cfc_ctx *c, const char *mailer, unsigned cf_line,
    const char **file, unsigned *line)
{
	const char *macro = args_macro(mailer);

	cfc_where_define(c->env, macro ? macro : "", cf_line, file, line);
}

/*
 * The smarthost's mailer connects to a port mail cannot leave through: the
 * finding points at the mailer's args and sets them to 587.
 */
static void
port_finding(struct cfc_ctx *c, const char *id, enum cfc_severity sev,
    const char *why)
{
	const struct cf_smarthost *sh = &c->sh;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	cfc_fnd_init(&f);
	args_where(c, sh->mailer, sh->mailer_line, &file, &line);
	sb_printf(&f.what, "the %s mailer connects to %s on port %d",
	    sh->mailer, sh->host, sh->port);
	if (cfc_late_define(c, args_macro(sh->mailer) ?
	    args_macro(sh->mailer) : "") != NULL && c->late_matters)
		sb_printf(&f.what, " (the %s of %s comes after MAILER() "
		    "and never reached sendmail.cf)", args_macro(sh->mailer),
		    c->env->mc_path);
	sb_puts(&f.why, why);
	port_fix(c, sh->mailer, 587, &f.fix);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, id, sev, file, line);
}

/* The smarthost the fix of a missing one names: the one host the
 * authinfo entries are for, when there is exactly one. */
static void
guess_relay(const struct cfcheck_env *env, strbuf *out)
{
	const char *h = NULL;
	size_t i, n = 0;

	for (i = 0; env->auth.read && i < env->auth.nentries; i++)
		if (env->auth.entries[i].host[0] != '\0') {
			if (h == NULL || strncasecmp(h, env->auth.entries[i].host,
			    strcspn(h, ":")) != 0)
				n++;
			h = env->auth.entries[i].host;
		}
	if (n == 1)
		sb_printf(out, "[%.*s]", (int)strcspn(h, ":"), h);
}

/* The SMART_HOST line that selects the relay mailer for the first host. */
static void
relay_smarthost_fix(const struct cfc_ctx *c, strbuf *fix)
{
	const struct cf_smarthost *sh = &c->sh;
	const struct cf_mailer *relay = cf_mailer(&c->env->cf, "relay");
	int want = 587;
	unsigned long v;

	if (sh->rest != NULL && parse_uint(sh->rest, 65535, &v) == 0 && v > 0)
		want = (int)v;
	sb_printf(fix, "define(`SMART_HOST', `[%s]')dnl", sh->host);
	if (relay == NULL || cf_mailer_port(relay) != want) {
		sb_putc(fix, '\n');
		port_fix(c, "relay", want, fix);
	}
}

/* SMART_HOST mailer:... while the .mc sets the args of other mailers. */
static void
check_mailer_prefix(struct cfc_ctx *c)
{
	static const char *const mailers[] = { "relay", "esmtp", "smtp",
	    "smtp8", "dsmtp" };
	const struct cfcheck_env *env = c->env;
	const struct cf_smarthost *sh = &c->sh;
	const char *file, *mine = args_macro(sh->mailer);
	unsigned line, n = 0;
	struct cfc_fnd f;
	size_t i;

	if (!env->have_mc || mine == NULL || strcmp(sh->mailer, "relay") == 0)
		return;
	cfc_fnd_init(&f);
	for (i = 0; i < sizeof(mailers) / sizeof(mailers[0]); i++) {
		const char *macro = args_macro(mailers[i]);
		const struct mc_call *d = mc_find(&env->mc, "define", macro);

		if (d == NULL || strcmp(macro, mine) == 0)
			continue;
		sb_printf(&f.what, "%s%s (%s:%u)", n++ ? ", " : "", macro,
		    d->file, d->line);
	}
	if (n == 0) {
		sb_free(&f.what);
		sb_free(&f.why);
		sb_free(&f.fix);
		return;
	}
	sb_printf(&f.why, "SMART_HOST %s names the %s mailer, whose A= comes "
	    "from %s only (%s in %s: port %d); the lines above set other "
	    "mailers and never apply to the smarthost", sh->raw, sh->mailer,
	    mine, cf_mailer_field(cf_mailer(&env->cf, sh->mailer), 'A') ?
	    cf_mailer_field(cf_mailer(&env->cf, sh->mailer), 'A') : "?",
	    env->cf_path, sh->port);
	{
		strbuf w;

		sb_init(&w);
		sb_printf(&w, "SMART_HOST %s selects the %s mailer: %s never "
		    "apply to it", sh->raw, sh->mailer, f.what.s);
		sb_reset(&f.what);
		sb_puts(&f.what, w.s);
		sb_free(&w);
	}
	relay_smarthost_fix(c, &f.fix);
	cfc_rebuild(c, &f.fix);
	cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
	cfc_fnd_add(c->r, &f, "smarthost-mailer-args", CFS_ERROR, file, line);
}

/* $p in A= of TCP mailers: sendmail's process id as the port. */
static void
check_port_pid(struct cfc_ctx *c)
{
	static const char *const mailers[] = { "relay", "esmtp", "smtp",
	    "smtp8", "dsmtp" };
	const struct cfcheck_env *env = c->env;
	size_t i;

	for (i = 0; i < sizeof(mailers) / sizeof(mailers[0]); i++) {
		const struct cf_mailer *m = cf_mailer(&env->cf, mailers[i]);
		bool inuse = strcmp(mailers[i], c->sh.mailer) == 0, nomem;
		char *w = m ? cf_mailer_port_word(m, &nomem) : NULL;
		const char *file;
		unsigned line;
		struct cfc_fnd f;

		if (w == NULL || strcmp(w, "$p") != 0) {
			free(w);
			continue;
		}
		free(w);
		cfc_fnd_init(&f);
		args_where(c, mailers[i], m->line, &file, &line);
		sb_printf(&f.what, "the %s mailer has A=%s: $p is sendmail's "
		    "process id, not a port", mailers[i], cf_mailer_field(m,
		    'A'));
		if (inuse)
			sb_printf(&f.why, "every delivery to %s connects to the "
			    "port numbered like the sendmail process doing it "
			    "(\"Connection refused\", or a time-out); mail for "
			    "other domains never leaves", c->sh.host);
		else
			sb_printf(&f.why, "the smarthost uses the %s mailer now, "
			    "so this line does nothing yet; the day mail goes "
			    "through %s it connects to the port numbered like "
			    "the sendmail process", c->sh.mailer, mailers[i]);
		port_fix(c, mailers[i], 587, &f.fix);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, inuse ? "relay-port-pid" :
		    "mailer-port-pid", inuse ? CFS_ERROR : CFS_WARN, file, line);
	}
}

void
cfc_check_smarthost(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_smarthost *sh = &c->sh;
	const char *file;
	unsigned line;
	struct cfc_fnd f;
	strbuf guess;

	if (!c->have_sh) {
		cfc_fnd_init(&f);
		sb_init(&guess);
		guess_relay(env, &guess);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "no smarthost: DS is empty in %s",
		    env->cf_path);
		sb_puts(&f.why, "sendmail sends mail for other domains "
		    "straight to each recipient's MX from this host's address, "
		    "where it is blocked or filed as spam, and relaymilter only "
		    "acts on mail that leaves through the relay mailer");
		if (guess.len > 0)
			sb_printf(&f.fix, "define(`SMART_HOST', `%s')dnl   (the "
			    "host of the authinfo entries)", guess.s);
		else
			sb_puts(&f.fix, "define(`SMART_HOST', "
			    "`[smtp.gmail.com]')dnl   (your relay's name, in "
			    "brackets)");
		sb_free(&guess);
		/* the relay mailer's port, and the login: a smarthost on 587
		 * with AUTH, not the mailer args alone */
		if (cf_mailer(&env->cf, "relay") == NULL ||
		    cf_mailer_port(cf_mailer(&env->cf, "relay")) != 587) {
			sb_putc(&f.fix, '\n');
			port_fix(c, "relay", 587, &f.fix);
		}
		if (!env->auth.map_defined && !(env->have_rm &&
		    env->rm_relay_account != NULL))
			sb_puts(&f.fix, "\nFEATURE(`authinfo')dnl   (with "
			    "AuthInfo:<relay> \"U:root\" \"I:<account>\" "
			    "\"P:<password>\" \"M:PLAIN LOGIN\" in /etc/mail/authinfo,"
			    " then makemap hash /etc/mail/authinfo < "
			    "/etc/mail/authinfo; none for a relay that takes this "
			    "host by its address)");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-missing", CFS_ERROR, file, line);
		return;
	}
	/* a relay on this host: its MX records do not matter */
	if (!sh->bracketed && !is_ip_literal(sh->host) && !c->sh_local_only) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "SMART_HOST is %s without brackets",
		    sh->host);
		sb_printf(&f.why, "sendmail looks up MX records for %s and "
		    "delivers to the hosts they name; if the name has MX "
		    "records, or DNS answers slowly, mail goes elsewhere or "
		    "waits. [%s] makes sendmail connect to the name's own "
		    "address", sh->host, sh->host);
		sb_printf(&f.fix, "define(`SMART_HOST', `%s%s[%s]%s%s')dnl",
		    strcmp(sh->mailer, "relay") != 0 ? sh->mailer : "",
		    strcmp(sh->mailer, "relay") != 0 ? ":" : "", sh->host,
		    sh->rest ? ":" : "", sh->rest ? sh->rest : "");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-mx-lookup", CFS_WARN, file, line);
	}
	if (sh->rest != NULL) {
		cfc_fnd_init(&f);
		cfc_where_define(env, "SMART_HOST", sh->line, &file, &line);
		sb_printf(&f.what, "SMART_HOST is %s: after the mailer, sendmail "
		    "reads \"%s%s%s:%s\" as a list of hosts, not as a host and "
		    "a port", sh->raw, sh->bracketed ? "[" : "", sh->host,
		    sh->bracketed ? "]" : "", sh->rest);
		sb_printf(&f.why, "it connects to %s on port %d (the %s "
		    "mailer's A=%s) and, when that fails, to a host named "
		    "\"%s\"; a port is set only in the mailer's A= (%s)",
		    sh->host, sh->port, sh->mailer,
		    sh->mailer_line ? cf_mailer_field(cf_mailer(&env->cf,
		    sh->mailer), 'A') : "?", sh->rest, args_macro(sh->mailer) ?
		    args_macro(sh->mailer) : "the mailer's ARGS");
		relay_smarthost_fix(c, &f.fix);
		cfc_rebuild(c, &f.fix);
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
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "relay-mailer-missing", CFS_ERROR,
		    env->cf_path, sh->line);
		return;
	}
	check_mailer_prefix(c);
	check_port_pid(c);
	if (sh->port == 25 && !c->sh_local_only)
		port_finding(c, "relay-port-25", CFS_WARN, "many ISPs and cloud "
		    "providers block outgoing port 25 (the connection times "
		    "out), and relays such as smtp.gmail.com expect clients "
		    "on the submission port 587 with STARTTLS");
	else if (sh->port == 465)
		port_finding(c, "relay-port-465", CFS_ERROR, "port 465 expects "
		    "TLS from the first byte (implicit TLS); sendmail's client "
		    "only speaks STARTTLS, so it waits for a greeting that "
		    "never comes and the mail stays in the queue");
}

/* sendmail lacks a compile option; Debian's build (which has `has') fixes
 * it. */
static void
built_without(struct cfc_ctx *c, const char *option, const char *why,
    const char *has, const char *id, enum cfc_severity sev)
{
	const struct sendmail_info *si = &c->env->info;
	struct cfc_fnd f;

	cfc_fnd_init(&f);
	sb_printf(&f.what, "sendmail %s was built without %s",
	    si->version ? si->version : "", option);
	sb_puts(&f.why, why);
	sb_printf(&f.fix, "apt-get install sendmail-bin   (Debian's build has "
	    "%s)", has);
	cfc_fnd_add(c->r, &f, id, sev, NULL, 0);
}

void
cfc_check_build(struct cfc_ctx *c)
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
	if (!sendmail_compiled_with(si, "STARTTLS"))
		built_without(c, "STARTTLS", "it cannot encrypt the connection "
		    "to the relay; smtp.gmail.com and most relays refuse AUTH "
		    "and MAIL without TLS (530 5.7.0 Must issue a STARTTLS "
		    "command first)", "STARTTLS and SASLv2",
		    "sendmail-no-starttls", CFS_ERROR);
	if (!sendmail_compiled_with(si, "SASLv2") &&
	    !sendmail_compiled_with(si, "SASL"))
		built_without(c, "SASL", "it cannot authenticate to the relay "
		    "(SMTP AUTH): authinfo entries are ignored and the relay "
		    "answers 530 5.7.0 Authentication Required",
		    "STARTTLS and SASLv2", "sendmail-no-sasl",
		    cfc_needs_auth(env) ? CFS_ERROR : CFS_WARN);
	if (!sendmail_compiled_with(si, "MILTER"))
		built_without(c, "MILTER", "sendmail ignores every mail filter, "
		    "relaymilter included: no sender is rewritten", "MILTER",
		    "sendmail-no-milter", CFS_ERROR);
}

/* The CA file or directory option o (named `option' in sendmail.cf, `m4'
 * in the .mc) names something that does not exist. */
static void
cacert_missing(struct cfc_ctx *c, const struct cf_kv *o, const char *option,
    const char *m4, const char *verb, const char *fix, const char *id)
{
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	cfc_fnd_init(&f);
	cfc_where_define(c->env, m4, o->line, &file, &line);
	sb_printf(&f.what, "%s %s does not exist", option, o->value);
	sb_printf(&f.why, "sendmail cannot %s the trusted CAs and cannot "
	    "verify the relay's certificate (verify=FAIL)", verb);
	sb_puts(&f.fix, fix);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, id, CFS_WARN, file, line);
}

void
cfc_check_cacert(struct cfc_ctx *c)
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
		if (env->ca_bundle != NULL)
			sb_printf(&f.fix, "define(`confCACERT_PATH', `%s')dnl\n"
			    "define(`confCACERT', `%s')dnl   (this system's CA "
			    "bundle)", env->ca_dir, env->ca_bundle);
		else
			sb_puts(&f.fix, "define(`confCACERT_PATH', "
			    "`/etc/ssl/certs')dnl\ndefine(`confCACERT', "
			    "`/etc/ssl/certs/ca-certificates.crt')dnl   (package "
			    "ca-certificates; Red Hat: /etc/pki/tls/certs/"
			    "ca-bundle.crt)");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "cacert-missing", CFS_WARN, env->cf_path, 0);
		return;
	}
	if (file != NULL && *file->value && env->cacert_file == 0)
		cacert_missing(c, file, "CACertFile", "confCACERT", "load",
		    "define(`confCACERT', `/etc/ssl/certs/ca-certificates.crt')"
		    "dnl   (package ca-certificates)", "cacert-file-missing");
	if (path != NULL && *path->value && env->cacert_path == 0)
		cacert_missing(c, path, "CACertPath", "confCACERT_PATH", "find",
		    "define(`confCACERT_PATH', `/etc/ssl/certs')dnl",
		    "cacert-path-missing");
}
