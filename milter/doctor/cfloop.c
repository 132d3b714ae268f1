/*
 * cfloop.c - the configuration checks about a smarthost that is this host:
 *	mail loops, and mail that bypasses the milters
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env and appends findings. A smarthost on one of this host's
 *	addresses is judged by who answers there (cfgather_host.c reads the
 *	greeting): on sendmail's own address and port (DaemonPortOptions,
 *	*:25 by default) or the MSP's target (submit.cf) it is a loop even
 *	with F=k (k only silences the check), or, when another server answers,
 *	the MTA is stopped and local mail bypasses the milters
 *	(milter-bypassed, seed 004's step 1); another local server greeting
 *	with this host's name needs F=k on the mailer SMART_HOST really uses.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

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

/* A greeting sendmail writes: its default SmtpGreetingMessage says
 * "Sendmail"; a greeting option without it cannot be told apart. */
static bool
greeting_is_sendmail(const struct cfcheck_env *env, const char *g)
{
	const struct cf_kv *o = cf_option(&env->cf, "SmtpGreetingMessage");

	if (strcasestr(g, "Sendmail") != NULL)
		return true;
	return o != NULL && strcasestr(o->value, "Sendmail") == NULL;
}

/* The greeting's host name ("220 NAME ...") names this host. */
static bool
greeting_names_this_host(const struct cfcheck_env *env, const char *g)
{
	char name[256];
	size_t n;

	if (strncmp(g, "220", 3) != 0)
		return false;
	g += 3;
	g += strspn(g, " -");
	n = strcspn(g, " \t");
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, g, n);
	name[n] = '\0';
	return names_this_host(env, name);
}

/* Is addr:port where the MSP (submit.cf) hands local mail to the MTA? */
static bool
msp_target(const struct cfcheck_env *env, const char *addr, int port)
{
	if (!env->have_msp || port != env->msp_port || env->msp_host == NULL)
		return false;
	if (str_ieq(env->msp_host, "localhost"))
		return cfc_addr_eq(addr, "127.0.0.1") || cfc_addr_eq(addr, "::1");
	return cfc_addr_eq(addr, env->msp_host);
}

/* Does a DaemonPortOptions of sendmail.cf listen on every address of
 * this port (no Addr=)? */
static bool
listens_everywhere(const struct cfcheck_env *env, int port)
{
	const struct cf_kv *d[16];
	size_t nd = cf_options_all(&env->cf, "DaemonPortOptions", d, 16), j;

	if (nd == 0)
		return port == 25;
	for (j = 0; j < nd && j < 16; j++)
		if (strcasestr(d[j]->value, "Addr=") == NULL &&
		    daemon_listens(d[j]->value, "192.0.2.1", port))
			return true;
	return false;
}

/* The fix for a local relay on sendmail's own address and port: another
 * address (127.0.0.5: lo answers all of 127.0.0.0/8), or another port
 * when sendmail listens on every address of this one. */
static void
own_address_fix(const struct cfc_ctx *c, const char *addr, int port,
    bool stopped, strbuf *fix)
{
	const struct cfcheck_env *env = c->env;
	bool newport = listens_everywhere(env, port);

	sb_printf(fix, "point SMART_HOST at the real relay, or, for a relay "
	    "that runs on this host, give it %s of its own and point sendmail "
	    "there, keeping sendmail's MTA on %s port %d (where the MSP hands "
	    "it local mail):\ndefine(`SMART_HOST', `relay:[127.0.0.5]')dnl",
	    newport ? "a port (2525, say) and an address (127.0.0.5)" :
	    "an address (127.0.0.5, say: lo answers all of 127.0.0.0/8)",
	    addr, port);
	if (cf_macro(&env->cf, "R") && cf_macro(&env->cf, "R")->value[0])
		sb_puts(fix, "\ndefine(`LOCAL_RELAY', `relay:[127.0.0.5]')dnl");
	if (cf_macro(&env->cf, "H") && cf_macro(&env->cf, "H")->value[0])
		sb_puts(fix, "\ndefine(`MAIL_HUB', `relay:[127.0.0.5]')dnl");
	if (newport)
		sb_puts(fix, "\ndefine(`RELAY_MAILER_ARGS', `TCP $h 2525')dnl");
	sb_puts(fix, "\nMODIFY_MAILER_FLAGS(`RELAY', `+k')dnl   (only when "
	    "that relay greets with this host's name, as Apache James does)");
	cfc_rebuild(c, fix);
	if (stopped)
		sb_puts(fix, "\nand start sendmail's MTA daemon again: systemctl "
		    "start sendmail   (Red Hat: DAEMON=yes in "
		    "/etc/sysconfig/sendmail)");
}

/*
 * The smarthost on this host. Its address and port are sendmail's own
 * (DaemonPortOptions) or the MSP's target: with sendmail answering there
 * it is a loop, F=k or not (k only turns the check off that says so);
 * with another server answering, sendmail's MTA is not running and local
 * mail goes from the MSP straight to that server, past the milters
 * (seed 004's step 1). Another local server greeting with this host's
 * name, without F=k on the mailer in use: "mail loops back to me", and
 * the flag goes on that mailer.
 */
void
cfc_check_loops(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_mailer *m;
	const struct cf_kv *d[16];
	const char *flags, *local = NULL, *greeting = NULL;
	size_t nd, i, j;
	bool k, mta = false, msp = false;
	struct cfc_fnd f;

	if (!c->have_sh || (m = cf_mailer(&env->cf, c->sh.mailer)) == NULL)
		return;
	flags = cf_mailer_field(m, 'F');
	k = flags != NULL && strchr(flags, 'k') != NULL;
	for (i = 0; env->smarthost_resolved && i < env->nsmarthost_addrs;
	    i++) {
		const char *a = env->smarthost_addrs[i];

		if (!cfc_addr_is_local(env, a))
			continue;
		nd = cf_options_all(&env->cf, "DaemonPortOptions", d, 16);
		mta = nd == 0 && c->sh.port == 25;	/* the default daemon */
		for (j = 0; j < nd && j < 16 && !mta; j++)
			mta = daemon_listens(d[j]->value, a, c->sh.port);
		msp = msp_target(env, a, c->sh.port);
		if (local == NULL || mta || msp)
			local = a;
		if (env->local_relay_addr != NULL &&
		    cfc_addr_eq(env->local_relay_addr, a) &&
		    env->local_relay_state == 1)
			greeting = env->local_relay_greeting;
		if (mta || msp)
			break;
	}
	cfc_fnd_init(&f);
	if (local != NULL && (mta || msp) && greeting != NULL &&
	    !greeting_is_sendmail(env, greeting)) {
		sb_printf(&f.what, "the smarthost %s is %s port %d, where this "
		    "sendmail's %s, and another server answers there (\"%s\"): "
		    "sendmail's MTA daemon is not running", c->sh.raw, local,
		    c->sh.port, mta && msp ? "MTA should listen and its MSP "
		    "hands it local mail" : mta ? "MTA should listen" :
		    "MSP (submit.cf) hands local mail to its MTA", greeting);
		sb_puts(&f.why, "milters run only in sendmail's SMTP server: "
		    "with the MTA stopped, mail written on this host (cron, "
		    "scripts, sendmail -t) goes from the MSP straight to that "
		    "server and relaymilter never sees it: no sender is "
		    "rewritten, nothing is logged");
		own_address_fix(c, local, c->sh.port, true, &f.fix);
		cfc_fnd_add(c->r, &f, "milter-bypassed", CFS_ERROR, env->cf_path,
		    c->sh.line);
		return;
	}
	if (local != NULL && (mta || msp)) {
		sb_printf(&f.what, "the smarthost %s is %s port %d, where this "
		    "sendmail %s", c->sh.raw, local, c->sh.port, mta ?
		    "itself listens (DaemonPortOptions)" : "hands its own local "
		    "mail (the MSP's MTAHost)");
		if (greeting != NULL)
			sb_printf(&f.what, " and answers (\"%s\")", greeting);
		if (k)
			sb_printf(&f.why, "relayed mail comes back to this "
			    "sendmail; F=k on the %s mailer only turns off the "
			    "check that would stop it (\"config error: mail loops "
			    "back to me\"), so the message goes round until \"Too "
			    "many hops\"", c->sh.mailer);
		else
			sb_puts(&f.why, "sendmail connects to itself, finds its "
			    "own name in the greeting and stops with \"553 5.3.5 "
			    "config error: mail loops back to me (MX problem?)\"");
		own_address_fix(c, local, c->sh.port, false, &f.fix);
		cfc_fnd_add(c->r, &f, "smarthost-loops", CFS_ERROR, env->cf_path,
		    c->sh.line);
		return;
	}
	if (!k && ((greeting != NULL && greeting_names_this_host(env,
	    greeting)) || (greeting == NULL && names_this_host(env,
	    c->sh.host)))) {
		const char *mm = cfc_mailer_m4(c->sh.mailer);

		if (greeting != NULL)
			sb_printf(&f.what, "the smarthost %s is a server on this "
			    "host (%s port %d) that greets with this host's own "
			    "name (\"%s\"), and the %s mailer has no F=k",
			    c->sh.raw, local, c->sh.port, greeting, c->sh.mailer);
		else
			sb_printf(&f.what, "the smarthost %s is a name of this "
			    "host, and the %s mailer has no F=k", c->sh.host,
			    c->sh.mailer);
		sb_puts(&f.why, "sendmail finds its own name in the relay's "
		    "greeting and stops with \"553 5.3.5 config error: mail "
		    "loops back to me (MX problem?)\"; F=k on the mailer "
		    "SMART_HOST uses turns that check off for a relay that is "
		    "another server on this host");
		if (mm != NULL)
			sb_printf(&f.fix, "MODIFY_MAILER_FLAGS(`%s', `+k')dnl   "
			    "(the %s mailer, which SMART_HOST %s uses)", mm,
			    c->sh.mailer, c->sh.raw);
		else
			sb_printf(&f.fix, "add k to the F= of the %s mailer",
			    c->sh.mailer);
		sb_printf(&f.fix, "\nor, when %s is not a relay but this "
		    "sendmail, point SMART_HOST at the real relay", c->sh.host);
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, greeting != NULL ? "smarthost-loops" :
		    "smarthost-is-self", greeting != NULL ? CFS_ERROR : CFS_WARN,
		    env->cf_path, c->sh.line);
		return;
	}
	sb_free(&f.what);
	sb_free(&f.why);
	sb_free(&f.fix);
}
