/*
 * cfrelay.c - the configuration checks about the way to the relay: the
 *	smarthost and its port, sendmail's build, the CA certificates
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env and ctx->sh (DS and the relay mailer as sendmail.cf
 *	gives them) and appends findings. The port is the one sendmail
 *	really connects to: that of the mailer's A= (TCP $h PORT), not one
 *	written after the brackets of SMART_HOST, which sendmail ignores.
 */
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "netlist.h"

/* the m4 lines that make both SMTP mailers connect to port 587 */
#define FIX_PORT_587	"define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\n" \
			"define(`ESMTP_MAILER_ARGS', `TCP $h 587')dnl"

static bool
is_ip_literal(const char *s)
{
	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	return ip_parse_text(s, NULL, NULL);
}

/*
 * The relay mailer connects to a port mail cannot leave through: the
 * finding points at the mailer's A= definition and moves it to 587.
 */
static void
port_finding(struct cfc_ctx *c, const char *id, enum cfc_severity sev,
    const char *why)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_smarthost *sh = &c->sh;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	cfc_fnd_init(&f);
	cfc_where_define(env, strcmp(sh->mailer, "esmtp") == 0 ?
	    "ESMTP_MAILER_ARGS" : "RELAY_MAILER_ARGS", sh->mailer_line,
	    &file, &line);
	sb_printf(&f.what, "the %s mailer connects to %s on port %d",
	    sh->mailer, sh->host, sh->port);
	sb_puts(&f.why, why);
	sb_puts(&f.fix, FIX_PORT_587);
	cfc_rebuild(env, &f.fix);
	cfc_fnd_add(c->r, &f, id, sev, file, line);
}

void
cfc_check_smarthost(struct cfc_ctx *c)
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
		    FIX_PORT_587, sh->host);
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
	cfc_rebuild(c->env, &f.fix);
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
		sb_puts(&f.fix, "define(`confCACERT_PATH', `/etc/ssl/certs')dnl\n"
		    "define(`confCACERT', `/etc/ssl/certs/ca-certificates.crt')dnl"
		    "   (package ca-certificates)");
		cfc_rebuild(env, &f.fix);
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
