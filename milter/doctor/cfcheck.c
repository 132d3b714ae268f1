/*
 * cfcheck.c - the order the sendmail configuration checks of
 *	relaymilter-doctor run in
 *
 * CONTRACT
 *	See cfcheck.h. Pure: every check reads struct cfcheck_env
 *	and appends to struct cfc_report; nothing here or in the check
 *	modules opens a file, runs a program or looks at the clock
 *	(env->now is the time). Checks run in a fixed order: what m4 makes
 *	of sendmail.mc (cfmc.c) and how sendmail.cf differs from it
 *	(cfedits.c; a sendmail.cf without its mailers stops the checks that
 *	read it, but not those of the build, the host name and the queue),
 *	smarthost and port, sendmail build, certificates (cfrelay.c), the
 *	TLS files (cftls.c), authentication, authinfo and DefaultAuthInfo
 *	(cfauth.c), milter, its place among the filters, rewriting and local
 *	domains (cfmilter.c), host name (cfhost.c), loops (cfloop.c), log
 *	level and queue (cfqueue.c). The report, the finding helpers and the
 *	small helpers the check modules share are cfreport.c's
 *	(cfcheck_int.h).
 */
#include <stdbool.h>
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

int
cfcheck_run(const struct cfcheck_env *env, struct cfc_report *r)
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
			if (!cfc_addr_is_local(env, env->smarthost_addrs[i]))
				c.sh_local_only = false;
	}
	cfc_check_render(&c);
	cfc_check_edits(&c);
	if (!c.cf_incomplete) {
		cfc_check_smarthost(&c);
		cfc_check_build(&c);
		cfc_check_cacert(&c);
		cfc_check_tls_files(&c);
		cfc_check_auth_mechs(&c);
		cfc_check_authinfo_files(&c);
		cfc_check_authinfo_entry(&c);
		cfc_check_authinfo_port_keys(&c);
		cfc_check_authinfo_relaymilter(&c);
		cfc_check_default_authinfo(&c);
		cfc_check_milter(&c);
		cfc_check_milter_order(&c);
		cfc_check_generics(&c);
		cfc_check_generics_headers(&c);
		cfc_check_local_domain(&c);
	} else
		cfc_check_build(&c);
	cfc_check_hostname(&c);
	if (!c.cf_incomplete) {
		cfc_check_loops(&c);
		cfc_check_loglevel(&c);
	}
	cfc_check_queue(&c);
	cf_smarthost_free(&c.sh);
	cfd_free(&c.edits);
	return r->err ? -1 : 0;
}
