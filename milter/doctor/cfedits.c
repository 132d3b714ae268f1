/*
 * cfedits.c - the configuration check of sendmail.cf against what its
 *	sendmail.mc renders now: edited by hand, or stale
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	ctx->env (sendmail.cf's text and time, the .mc's time, env->render)
 *	and fills ctx->edits and ctx->edited. cf-hand-edited, cf-stale:
 *	sendmail.cf differs from what the .mc renders (cfdiff.h),
 *	stale when the .mc is the newer file. The fix of a hand edit is the
 *	.mc lines that give the same sendmail.cf (SMART_HOST, LOCAL_RELAY,
 *	MAIL_HUB, confDOMAIN_NAME, the option's m4 name from proto.m4,
 *	MODIFY_MAILER_FLAGS, *_MAILER_ARGS, else LOCAL_CONFIG), and what no
 *	.mc line makes is named; every other fix that rebuilds sendmail.cf
 *	then says that the rebuild erases those edits (cfc_rebuild()).
 *	Nothing is said when the .mc does not render, or sendmail.cf is
 *	incomplete (cfmc.c says that).
 */
#include <stdlib.h>
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

static const char *
option_m4(const struct cfcheck_env *env, const char *opt)
{
	size_t i;

	for (i = 0; i < env->noptnames; i++)
		if (str_ieq(env->optnames[i].option, opt))
			return env->optnames[i].m4;
	return NULL;
}

/* Flags in a but not in b. */
static void
flags_minus(const char *a, const char *b, strbuf *out)
{
	for (; a != NULL && *a; a++)
		if (b == NULL || strchr(b, *a) == NULL)
			sb_putc(out, *a);
}

/* One difference as the .mc line that makes it; false when there is
 * none (said in manual). */
static bool
edit_m4(const struct cfcheck_env *env, const struct cfd_item *x, strbuf *m4,
    strbuf *local, strbuf *manual)
{
	const char *name;

	switch (x->type) {
	case 'D':
		name = strcmp(x->key, "S") == 0 ? "SMART_HOST" :
		    strcmp(x->key, "R") == 0 ? "LOCAL_RELAY" :
		    strcmp(x->key, "H") == 0 ? "MAIL_HUB" :
		    strcmp(x->key, "j") == 0 ? "confDOMAIN_NAME" : NULL;
		if (name != NULL && x->a != NULL)
			sb_printf(m4, "define(`%s', `%s')dnl\n", name, x->a);
		else if (name != NULL)
			sb_printf(m4, "undefine(`%s')dnl\n", name);
		else if (x->a != NULL)
			sb_printf(local, "D%s%s%s%s\n", strlen(x->key) > 1 ?
			    "{" : "", x->key, strlen(x->key) > 1 ? "}" : "",
			    x->a);
		else
			return false;
		return true;
	case 'O':
		if ((name = option_m4(env, x->key)) != NULL) {
			if (x->a != NULL)
				sb_printf(m4, "define(`%s', `%s')dnl\n", name,
				    x->a);
			else
				sb_printf(m4, "undefine(`%s')dnl\n", name);
			return true;
		}
		if (x->a == NULL)
			return false;
		sb_printf(local, "O %s=%s\n", x->key, x->a);
		return true;
	case 'M':
		if ((name = cfc_mailer_m4(x->key)) == NULL)
			return false;
		if (x->field == 'F') {
			strbuf add, del;

			sb_init(&add);
			sb_init(&del);
			flags_minus(x->a, x->b, &add);
			flags_minus(x->b, x->a, &del);
			if (add.len > 0)
				sb_printf(m4, "MODIFY_MAILER_FLAGS(`%s', `+%s')"
				    "dnl\n", name, add.s);
			if (del.len > 0)
				sb_printf(m4, "MODIFY_MAILER_FLAGS(`%s', `-%s')"
				    "dnl\n", name, del.s);
			sb_free(&add);
			sb_free(&del);
			return true;
		}
		if (x->field == 'A' && x->a != NULL) {
			sb_printf(m4, "define(`%s_MAILER_ARGS', `%s')dnl\n",
			    strcmp(name, "LOCAL") == 0 ? "LOCAL" : name, x->a);
			return true;
		}
		return false;
	case 'K':
		if (x->a == NULL)
			return false;
		sb_printf(local, "K%s %s\n", x->key, x->a);
		return true;
	default:
		return false;
	}
}

static void
describe_edit(const struct cfd_item *x, strbuf *out)
{
	if (x->type == 'M')
		sb_printf(out, "line %u: mailer %s %c=%s (the .mc gives %s)",
		    x->a_line, x->key, x->field, x->a ? x->a : "(none)",
		    x->b ? x->b : "(none)");
	else if (x->type == 'L')
		sb_printf(out, "%s: %s", x->a ? "an added line" :
		    "a removed line", x->a ? x->a : x->b);
	else if (x->a == NULL)
		sb_printf(out, "%c%s removed (the .mc gives %s)", x->type, x->key,
		    x->b);
	else
		sb_printf(out, "line %u: %c%s%s%s%s (the .mc gives %s)",
		    x->a_line, x->type, x->type == 'O' ? " " : "", x->key,
		    x->type == 'O' ? "=" : "", x->a ? x->a : "",
		    x->b ? x->b : "nothing");
}

void
cfc_check_edits(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	struct sendmail_cf rendered;
	struct cfc_fnd f;
	strbuf m4, local, manual;
	size_t i, shown;
	bool stale;

	if (!env->have_mc || !env->render.ran || env->render.text == NULL ||
	    c->cf_incomplete || env->cf_text == NULL)
		return;
	if (cf_parse(env->render.text, &rendered, NULL) < 0) {
		c->r->err = 1;
		return;
	}
	if (!cfc_cf_complete(&rendered)) {
		cf_free(&rendered);
		return;		/* the .mc does not render: said above */
	}
	cf_free(&rendered);
	if (cfd_diff(env->cf_text, env->render.text, &c->edits) < 0) {
		c->r->err = 1;
		return;
	}
	if (c->edits.n == 0)
		return;
	stale = env->mc_mtime > env->cf_mtime;
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%s is not what %s renders: ", env->cf_path,
	    env->mc_path);
	for (i = 0, shown = 0; i < c->edits.n && shown < 8; i++, shown++) {
		sb_puts(&f.what, shown ? "; " : "");
		describe_edit(&c->edits.v[i], &f.what);
	}
	if (c->edits.n > shown)
		sb_printf(&f.what, "; and %zu more", c->edits.n - shown);
	if (stale) {
		sb_printf(&f.why, "%s was changed after %s was built: sendmail "
		    "still runs with the old settings", env->mc_path,
		    env->cf_path);
		sb_puts(&f.fix, "rebuild it:");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "cf-stale", CFS_WARN, env->cf_path, 0);
		return;
	}
	sb_printf(&f.why, "%s was edited by hand (or built from another .mc): "
	    "the next rebuild (make, sendmailconfig, a package upgrade) "
	    "writes it from %s again and these edits are gone", env->cf_path,
	    env->mc_path);
	sb_init(&m4);
	sb_init(&local);
	sb_init(&manual);
	for (i = 0; i < c->edits.n; i++)
		if (!edit_m4(env, &c->edits.v[i], &m4, &local, &manual)) {
			sb_puts(&manual, manual.len ? "; " : "");
			describe_edit(&c->edits.v[i], &manual);
		}
	sb_printf(&f.fix, "carry the edits into %s (above its line %u), so "
	    "that a rebuild keeps them:\n", env->mc_path, c->anchor);
	sb_append(&f.fix, m4.s, m4.len);
	if (local.len > 0) {
		sb_puts(&f.fix, "LOCAL_CONFIG\n");
		sb_append(&f.fix, local.s, local.len);
	}
	if (f.fix.len > 0 && f.fix.s[f.fix.len - 1] == '\n')
		f.fix.s[--f.fix.len] = '\0';
	if (manual.len > 0)
		sb_printf(&f.fix, "\nand by hand (no .mc line makes them): %s",
		    manual.s);
	c->edited = false;	/* this fix is what keeps them */
	cfc_rebuild(c, &f.fix);
	c->edited = true;
	cfc_fnd_add(c->r, &f, "cf-hand-edited", CFS_WARN, env->cf_path,
	    c->edits.v[0].a_line);
	sb_free(&m4);
	sb_free(&local);
	sb_free(&manual);
}
