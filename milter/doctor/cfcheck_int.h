/*
 * cfcheck_int.h - what cfreport.c and cfcheck.c share with the check
 *	modules: cfrelay.c, cfauth.c, cfmilter.c, cfhost.c and cfqueue.c;
 *	and what cfgather.c takes from cfgather_host.c
 *
 * CONTRACT
 *	Internal to the configuration checks: nothing else includes it. A
 *	finding is written into a struct cfc_fnd (what, why, fix) and handed
 *	to cfc_fnd_add(), which strips control characters and appends it to
 *	the report, freeing the buffers in every case. Checks read only
 *	ctx->env (and ctx->sh, the smarthost cfcheck_run() worked out) and
 *	append to ctx->r; cfcheck_run() calls each cfc_check_*() once, in
 *	the order of cfcheck.c's contract.
 */
#ifndef RM_CFCHECK_INT_H
#define RM_CFCHECK_INT_H

#include <stdbool.h>

#include "cfcheck.h"
#include "util.h"

/* A finding under construction. */
struct cfc_fnd {
	strbuf	what, why, fix;
};

struct cfc_ctx {
	const struct cfcheck_env *env;
	struct cfc_report	*r;
	struct cf_smarthost	 sh;
	bool			 have_sh;
	bool			 sh_local_only;	/* resolves to this host only */
};

void		 cfc_fnd_init(struct cfc_fnd *f);
int		 cfc_fnd_add(struct cfc_report *r, struct cfc_fnd *f,
		    const char *id, enum cfc_severity sev, const char *file,
		    unsigned line);
/* Where a define / a call lives: in sendmail.mc when it is there, else
 * the .cf line given. */
void		 cfc_where_define(const struct cfcheck_env *env, const char *name,
		    unsigned cf_line, const char **file, unsigned *line);
void		 cfc_where_call(const struct cfcheck_env *env, const char *name,
		    const char *arg1, unsigned cf_line, const char **file,
		    unsigned *line);
/* Append "then rebuild sendmail.cf ..." to an m4 fix. */
void		 cfc_rebuild(const struct cfcheck_env *env, strbuf *fix);
bool		 cfc_word_in(const char *list, const char *word);
bool		 cfc_addr_eq(const char *a, const char *b);
const char	*cfc_domain_of(const char *addr);
bool		 cfc_needs_auth(const struct cfcheck_env *env);

/* cfrelay.c */
void		 cfc_check_smarthost(struct cfc_ctx *c);
void		 cfc_check_build(struct cfc_ctx *c);
void		 cfc_check_cacert(struct cfc_ctx *c);

/* cfauth.c */
const char	*cfc_relay_account(const struct cfcheck_env *env,
		    const struct cf_smarthost *sh);
void		 cfc_check_auth_mechs(struct cfc_ctx *c);
void		 cfc_check_authinfo_files(struct cfc_ctx *c);
void		 cfc_check_authinfo_entry(struct cfc_ctx *c);
void		 cfc_check_authinfo_relaymilter(struct cfc_ctx *c);

/* cfmilter.c */
void		 cfc_check_milter(struct cfc_ctx *c);
void		 cfc_check_generics(struct cfc_ctx *c);
void		 cfc_check_local_domain(struct cfc_ctx *c);

/* cfhost.c */
void		 cfc_check_hostname(struct cfc_ctx *c);
void		 cfc_check_loops(struct cfc_ctx *c);

/* cfqueue.c */
void		 cfc_check_loglevel(struct cfc_ctx *c);
void		 cfc_check_queue(struct cfc_ctx *c);

/* cfgather_host.c, for cfcheck_gather(): 0, or -1 when out of memory */
int		 cfc_gather_class_w(struct cfcheck_env *env);
int		 cfc_gather_addresses(struct cfcheck_env *env);

#endif
