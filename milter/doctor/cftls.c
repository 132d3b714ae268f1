/*
 * cftls.c - the configuration checks about the files of sendmail's TLS
 *	options: certificates, keys and the CRL
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	ctx->env->tlsfiles (cfgather_files.c: whether each file exists and
 *	the PEM blocks it holds) and appends findings:
 *	- tls-file-missing: one per missing file, naming every option that
 *	  names it (seed 002 gives one ca.pem to four options); sendmail logs
 *	  "STARTTLS=...: file ... unsafe: No such file or directory" and goes
 *	  on without it (seed 002's capture);
 *	- tls-file-wrong: a certificate option whose file holds no
 *	  certificate, a key option without a private key, a CRLFile without
 *	  a CRL (seed 002 gives the CA bundle).
 *	The fix takes the option's line out of the .mc (these options are not
 *	needed to relay: seed 002's author says so in the corrected .mc), or
 *	undefines it when no .mc line sets it; removals are listed from the
 *	last line up, so that each line number holds while they are applied.
 */
#include <stdlib.h>
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

static const char *
m4_name(const char *option)
{
	static const char *const names[][2] = {
		{ "ServerCertFile", "confSERVER_CERT" },
		{ "ServerKeyFile", "confSERVER_KEY" },
		{ "ClientCertFile", "confCLIENT_CERT" },
		{ "ClientKeyFile", "confCLIENT_KEY" },
		{ "CRLFile", "confCRL" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(option, names[i][0]) == 0)
			return names[i][1];
	return "";
}

/* Fix: take out the options of the list, last .mc line first. */
static void
remove_fix(const struct cfc_ctx *c, const struct cfc_tlsfile **v, size_t n,
    strbuf *fix)
{
	const struct cfcheck_env *env = c->env;
	const struct mc_call *d[5];
	size_t i, j;

	for (i = 0; i < n; i++)
		d[i] = env->have_mc ? mc_find(&env->mc, "define",
		    m4_name(v[i]->option)) : NULL;
	/* selection by descending line; undefines after */
	for (;;) {
		size_t best = n;

		for (j = 0; j < n; j++)
			if (d[j] != NULL && d[j]->depth == 0 &&
			    (best == n || d[j]->line > d[best]->line))
				best = j;
		if (best == n)
			break;
		{
			char *t = mcedit_line(env->mc_text, d[best]->line);

			sb_printf(fix, "%sremove line %u of %s: %s",
			    fix->len ? "\n" : "", d[best]->line, env->mc_path,
			    t ? t : "");
			free(t);
		}
		d[best] = NULL;
		v[best] = NULL;
	}
	for (j = 0; j < n; j++)
		if (v[j] != NULL)
			sb_printf(fix, "%sundefine(`%s')dnl", fix->len ? "\n" : "",
			    m4_name(v[j]->option));
	cfc_rebuild(c, fix);
}

static const char *
what_it_does(const char *option)
{
	if (strncmp(option, "Server", 6) == 0)
		return "STARTTLS=server";
	if (strncmp(option, "Client", 6) == 0)
		return "STARTTLS=client";
	return "STARTTLS";
}

void
cfc_check_tls_files(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cfc_tlsfile *v[5];
	bool done[5] = { false };
	size_t i, j, n;
	struct cfc_fnd f;

	for (i = 0; i < env->ntlsfiles; i++) {
		const struct cfc_tlsfile *t = &env->tlsfiles[i];
		bool server = false, client = false;

		if (t->exists != 0 || done[i])
			continue;
		cfc_fnd_init(&f);
		n = 0;
		for (j = i; j < env->ntlsfiles; j++)
			if (env->tlsfiles[j].exists == 0 &&
			    strcmp(env->tlsfiles[j].path, t->path) == 0) {
				done[j] = true;
				v[n++] = &env->tlsfiles[j];
				server |= strncmp(env->tlsfiles[j].option,
				    "Server", 6) == 0;
				client |= strncmp(env->tlsfiles[j].option,
				    "Client", 6) == 0 ||
				    strcmp(env->tlsfiles[j].option, "CRLFile") == 0;
			}
		sb_printf(&f.what, "%s does not exist; ", t->path);
		for (j = 0; j < n; j++)
			sb_printf(&f.what, "%s%s", j ? ", " : "", v[j]->option);
		sb_printf(&f.what, " name%s it", n == 1 ? "s" : "");
		sb_printf(&f.why, "sendmail logs \"%s: file %s unsafe: No such "
		    "file or directory\" %s and goes on without it",
		    server && !client ? "STARTTLS=server" : client && !server ?
		    "STARTTLS=client" : "STARTTLS=server (and =client)",
		    t->path, client ? "at every delivery" : "at every start");
		if (server)
			sb_puts(&f.why, "; as a server it then offers no "
			    "STARTTLS to the hosts that send to it");
		if (client)
			sb_puts(&f.why, "; a relay such as smtp.gmail.com asks "
			    "for no client certificate, so the option only "
			    "fills the log");
		{
			const struct cf_kv *o = cf_option(&env->cf, t->option);
			const char *file;
			unsigned line;

			cfc_where_define(env, m4_name(t->option), o ? o->line :
			    0, &file, &line);
			remove_fix(c, v, n, &f.fix);
			cfc_fnd_add(c->r, &f, "tls-file-missing", CFS_WARN, file,
			    line);
		}
	}
	for (i = 0; i < env->ntlsfiles; i++) {
		const struct cfc_tlsfile *t = &env->tlsfiles[i];
		const char *lacks = NULL;

		if (t->exists != 1 || !t->read)
			continue;
		if (strcmp(t->option, "CRLFile") == 0 && t->crls == 0)
			lacks = "no CRL (-----BEGIN X509 CRL-----)";
		else if (strstr(t->option, "KeyFile") != NULL && t->keys == 0)
			lacks = "no private key";
		else if (strstr(t->option, "CertFile") != NULL && t->certs == 0)
			lacks = "no certificate";
		if (lacks == NULL)
			continue;
		cfc_fnd_init(&f);
		sb_printf(&f.what, "%s %s holds %s", t->option, t->path, lacks);
		if (t->certs > 0)
			sb_printf(&f.what, ", but %u certificate%s", t->certs,
			    t->certs == 1 ? "" : "s");
		if (strcmp(t->option, "CRLFile") == 0)
			sb_printf(&f.why, "sendmail reads a certificate revocation "
			    "list from it to check the relay's certificate; there "
			    "is none (\"%s, error: PEM_read_bio_X509_CRL(%s) "
			    "failed\" at LogLevel 10 and above), so no revocation "
			    "is checked: the option does nothing", what_it_does(
			    t->option), t->path);
		else
			sb_printf(&f.why, "sendmail cannot load it: %s is set up "
			    "without it (%s)", what_it_does(t->option),
			    strncmp(t->option, "Server", 6) == 0 ? "no STARTTLS "
			    "offered to the hosts that send here" :
			    "no client certificate, which smarthosts do not ask "
			    "for");
		{
			const struct cf_kv *o = cf_option(&env->cf, t->option);
			const char *file;
			unsigned line;

			cfc_where_define(env, m4_name(t->option), o ? o->line :
			    0, &file, &line);
			v[0] = t;
			remove_fix(c, v, 1, &f.fix);
			cfc_fnd_add(c->r, &f, "tls-file-wrong", CFS_WARN, file,
			    line);
		}
	}
}
