/*
 * cfcheck_int.h - what cfreport.c and cfcheck.c share with the check
 *	modules: cfmc.c, cfedits.c, cfrelay.c, cftls.c, cfauth.c, cfmilter.c,
 *	cfhost.c, cfloop.c and cfqueue.c; and what cfgather.c takes from
 *	cfgather_host.c, cfgather_m4.c and cfgather_files.c
 *
 * CONTRACT
 *	Internal to the configuration checks: nothing else includes it. A
 *	finding is written into a struct cfc_fnd (what, why, fix) and handed
 *	to cfc_fnd_add(), which strips control characters and appends it to
 *	the report, freeing the buffers in every case. Checks read only
 *	ctx->env (and ctx->sh, the smarthost cfcheck_run() worked out) and
 *	append to ctx->r; cfcheck_run() calls each cfc_check_*() once, in
 *	the order of cfcheck.c's contract. cfmc.c runs first and fills the
 *	ctx fields the others read: the .mc lines after MAILER() (a fix whose
 *	line is among them moves them, cfc_move_fix()), whether sendmail.cf
 *	is complete and whether it was edited by hand (cfc_rebuild() then
 *	says that a rebuild erases the edits).
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

#define CFC_MAX_LATE	64

struct cfc_ctx {
	const struct cfcheck_env *env;
	struct cfc_report	*r;
	struct cf_smarthost	 sh;
	bool			 have_sh;
	bool			 sh_local_only;	/* resolves to this host only */
	/* cfmc.c: sendmail.mc, sendmail.cf and what m4 makes of them */
	bool			 cf_incomplete;	/* no local mailer: the checks
						 * of sendmail.cf are skipped */
	const struct mc_call	*late[CFC_MAX_LATE];	/* after MAILER() */
	size_t			 nlate;
	unsigned		 anchor;	/* the line they belong above */
	const char		*anchor_what;
	bool			 late_matters;	/* moving them changes the .cf */
	struct cfd		 edits;		/* sendmail.cf against the .mc */
	bool			 edited;	/* by hand (not only stale) */
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
/* Append "then rebuild sendmail.cf ..." to an m4 fix (and, when
 * sendmail.cf was edited by hand, that the rebuild erases those edits). */
void		 cfc_rebuild(const struct cfc_ctx *c, strbuf *fix);
/* The fix that moves the late lines above MAILER() (no rebuild line). */
void		 cfc_move_fix(const struct cfc_ctx *c, strbuf *fix);
/* A late (never applied) define of name, or NULL. */
const struct mc_call *cfc_late_define(const struct cfc_ctx *c,
		    const char *name);
bool		 cfc_word_in(const char *list, const char *word);
/* The m4 name of a mailer ("ESMTP" for esmtp: MODIFY_MAILER_FLAGS and
 * *_MAILER_ARGS), NULL for one m4 has no name for. */
const char	*cfc_mailer_m4(const char *mailer);
/* A sendmail.cf sendmail can start with has its local mailer: of a parsed
 * one, of a text (a render). */
bool		 cfc_cf_complete(const struct sendmail_cf *cf);
bool		 cfc_text_complete(const char *text);
bool		 cfc_addr_eq(const char *a, const char *b);
const char	*cfc_domain_of(const char *addr);
bool		 cfc_needs_auth(const struct cfcheck_env *env);

/* cfmc.c */
void		 cfc_check_render(struct cfc_ctx *c);

/* cfedits.c */
void		 cfc_check_edits(struct cfc_ctx *c);

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
void		 cfc_check_default_authinfo(struct cfc_ctx *c);
void		 cfc_check_authinfo_port_keys(struct cfc_ctx *c);

/* cftls.c */
void		 cfc_check_tls_files(struct cfc_ctx *c);

/* cfmilter.c */
void		 cfc_check_milter(struct cfc_ctx *c);
void		 cfc_check_generics(struct cfc_ctx *c);
void		 cfc_check_generics_headers(struct cfc_ctx *c);
void		 cfc_check_milter_order(struct cfc_ctx *c);
void		 cfc_check_local_domain(struct cfc_ctx *c);

/* cfhost.c */
void		 cfc_check_hostname(struct cfc_ctx *c);

/* cfloop.c */
void		 cfc_check_loops(struct cfc_ctx *c);

/* cfqueue.c */
void		 cfc_check_loglevel(struct cfc_ctx *c);
void		 cfc_check_queue(struct cfc_ctx *c);

/* cfgather_m4.c, for cfcheck_gather(): 0, or -1 when out of memory */
int		 cfc_gather_render(const struct cfcheck_paths *paths,
		    struct cfcheck_env *env, unsigned timeout);
void		 cfc_render_free(struct cfc_render *r);

/* cfgather_host.c, for cfcheck_gather(): 0, or -1 when out of memory */
int		 cfc_gather_class_w(struct cfcheck_env *env);
/* the TLS files and DefaultAuthInfo's file */
int		 cfc_gather_files(struct cfcheck_env *env);
int		 cfc_gather_addresses(struct cfcheck_env *env);
int		 cfc_gather_msp(struct cfcheck_env *env);

#endif
