/*
 * cfmc.c - the configuration checks about sendmail.mc and what m4 makes
 *	of it
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	ctx->env (the .mc, the .cf, and env->render: m4's messages and the
 *	.cf it gives now, as written and with the lines after MAILER() moved
 *	above it) and fills the ctx fields the other checks use: the lines
 *	m4 reads too late and whether sendmail.cf is complete.
 *	- cf-incomplete: sendmail.cf has no local mailer (sendmail refuses to
 *	  start: "No local mailer defined"), with its cause when the .mc has a
 *	  call m4 never sees closed (mc-unclosed-call otherwise): the fix is
 *	  the .mc line repaired, then the rebuild.
 *	- mc-include-missing, m4-error, m4-warning: m4's own messages, at the
 *	  .mc line m4 names.
 *	- mc-after-mailer: the lines after MAILER(), when moving them above
 *	  it changes what m4 writes (m4 writes each mailer at its MAILER():
 *	  a RELAY_MAILER_ARGS after it never reaches sendmail.cf) or m4 says
 *	  "FEATURE() should be before MAILER()". A define after MAILER() that
 *	  changes nothing (SMART_HOST is read at the end) is not named.
 *	How sendmail.cf differs from the render is cfedits.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

/* ------------------------------------------------------------ helpers */

const struct mc_call *
cfc_late_define(const struct cfc_ctx *c, const char *name)
{
	size_t i;

	for (i = c->nlate; i > 0; i--)
		if (strcmp(c->late[i - 1]->name, "define") == 0 &&
		    c->late[i - 1]->nargs > 0 &&
		    strcmp(c->late[i - 1]->args[0], name) == 0)
			return c->late[i - 1];
	return NULL;
}

void
cfc_move_fix(const struct cfc_ctx *c, strbuf *fix)
{
	const struct cfcheck_env *env = c->env;
	size_t i;
	unsigned l;

	sb_printf(fix, "move these lines of %s above its line %u (%s):",
	    env->mc_path, c->anchor, c->anchor_what);
	for (i = 0; i < c->nlate; i++)
		for (l = c->late[i]->line; l <= c->late[i]->end_line; l++) {
			char *t = mcedit_line(env->mc_text, l);

			sb_printf(fix, "\n  %u: %s", l, t ? t : "");
			free(t);
		}
}

/* The line of an unclosed call with the dnl that ate its ')' taken out:
 * the repaired line, or NULL when it cannot be repaired so. */
static char *
repair_line(const struct cfcheck_env *env, const struct mc_call *u)
{
	char *t, *p;
	int quote = 0, depth = 0;
	bool in_call = u->dnl_line != u->line;

	if (u->depth != 0 || u->dnl_line == 0 || env->mc_text == NULL ||
	    (t = mcedit_line(env->mc_text, u->dnl_line)) == NULL)
		return NULL;
	for (p = t; *p; p++) {
		if (quote > 0) {
			quote += *p == '`' ? 1 : *p == '\'' ? -1 : 0;
			continue;
		}
		if (*p == '`') {
			quote = 1;
			continue;
		}
		if (!in_call) {
			in_call = strncmp(p, u->name, strlen(u->name)) == 0 &&
			    p[strlen(u->name)] == '(';
			if (in_call)
				p += strlen(u->name);
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		if (strncmp(p, "dnl", 3) == 0 && (p == t || !(ch_alpha(p[-1]) ||
		    ch_digit(p[-1]) || p[-1] == '_')) && !(ch_alpha(p[3]) ||
		    ch_digit(p[3]) || p[3] == '_')) {
			if (p[3] == '\0')
				break;		/* at the end: not the trap */
			memmove(p, p + 3, strlen(p + 3) + 1);
			return t;
		}
	}
	free(t);
	return NULL;
}

/* ------------------------------------------------------------ render */

static void
unclosed_finding(struct cfc_ctx *c, const struct mc_call *u, bool incomplete)
{
	const struct cfcheck_env *env = c->env;
	const struct m4_msg *eof = NULL;
	struct cfc_fnd f;
	char *fixed = repair_line(c->env, u);
	size_t i;

	for (i = 0; i < env->render.msgs.n; i++)
		if (strstr(env->render.msgs.v[i].text, "end of file") != NULL)
			eof = &env->render.msgs.v[i];
	cfc_fnd_init(&f);
	if (incomplete)
		sb_printf(&f.what, "%s is cut short: it has no mailers "
		    "(sendmail stops with \"No local mailer defined\"), because "
		    "m4 could not render %s: ", env->cf_path, env->mc_path);
	sb_printf(&f.what, "the call %s(`%s', ... at %s:%u is never closed",
	    u->name, u->nargs > 0 ? u->args[0] : "", u->file, u->line);
	if (u->dnl_line != 0)
		sb_printf(&f.why, "the `dnl' inside its arguments on line %u "
		    "discards the rest of that line, its closing ')' with it; ",
		    u->dnl_line);
	sb_puts(&f.why, "m4 then takes the rest of the file as the argument");
	if (eof != NULL)
		sb_printf(&f.why, " (m4: %s)", eof->text);
	sb_puts(&f.why, incomplete ? " and writes no mailer, no option, no "
	    "rule after it: sendmail cannot start with this sendmail.cf, and "
	    "every other check of it was skipped" : ": the next rebuild of "
	    "sendmail.cf cuts it short there and sendmail cannot start");
	if (fixed != NULL)
		sb_printf(&f.fix, "replace line %u of %s by:\n  %s", u->dnl_line,
		    env->mc_path, fixed);
	else
		sb_printf(&f.fix, "close the call that starts at %s:%u (its "
		    "')' is missing or commented out)", u->file, u->line);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, incomplete ? "cf-incomplete" : "mc-unclosed-call",
	    CFS_ERROR, u->file, u->dnl_line ? u->dnl_line : u->line);
	free(fixed);
}

/* "cannot open `PATH'" for an include() or sinclude() line of the .mc
 * (not for a FEATURE or MAILER that names no file of sendmail-cf):
 * PATH is [*q1, *q2). */
static bool
missing_include(const struct cfcheck_env *env, const struct m4_msg *x,
    const char **q1, const char **q2)
{
	size_t i;

	if (x->kind != M4_ERROR || strncmp(x->text, "cannot open `", 13) != 0 ||
	    (*q2 = strchr(*q1 = x->text + 13, '\'')) == NULL)
		return false;
	for (i = 0; i < env->mc.ncalls; i++) {
		const struct mc_call *c = &env->mc.calls[i];

		if (c->line == x->line && x->file != NULL &&
		    strcmp(c->file, x->file) == 0 &&
		    (strcmp(c->name, "include") == 0 ||
		    strcmp(c->name, "sinclude") == 0))
			return true;
	}
	/* a line the parser never reached (inside an unclosed call, whose
	 * argument m4 still expands): its text */
	if (x->file != NULL && env->mc_path != NULL &&
	    strcmp(x->file, env->mc_path) == 0 && env->mc_text != NULL) {
		char *t = mcedit_line(env->mc_text, x->line), *p = t;
		bool inc;

		if (t == NULL)
			return false;
		while (ch_blank(*p))
			p++;
		inc = strncmp(p, "include(", 8) == 0 ||
		    strncmp(p, "sinclude(", 9) == 0;
		free(t);
		return inc;
	}
	return false;
}

/*
 * "WARNING: FEATURE(old) is deprecated; use FEATURE(new.m4)." (sendmail-cf
 * 8.17 for blacklist_recipients, CentOS's stock .mc): the .mc line with the
 * new name. false when the message is not that or the line is not found.
 */
static bool
deprecated_fix(const struct cfcheck_env *env, const struct m4_msg *x,
    strbuf *fix)
{
	const char *p = strstr(x->text, "FEATURE("), *q, *u;
	char old[64], new[64], *t = NULL, *at;
	size_t n, i;
	const struct mc_call *c = NULL;
	strbuf line;

	if (p == NULL || strstr(x->text, "deprecated") == NULL ||
	    (u = strstr(x->text, "use FEATURE(")) == NULL)
		return false;
	p += 8;
	n = strcspn(p, ")");
	if (n == 0 || n >= sizeof(old))
		return false;
	memcpy(old, p, n);
	old[n] = '\0';
	q = u + 12;
	n = strcspn(q, ")");
	if (n > 3 && strncmp(q + n - 3, ".m4", 3) == 0)
		n -= 3;
	if (n == 0 || n >= sizeof(new))
		return false;
	memcpy(new, q, n);
	new[n] = '\0';
	for (i = 0; i < env->mc.ncalls && c == NULL; i++)
		if (env->mc.calls[i].depth == 0 &&
		    strcmp(env->mc.calls[i].name, "FEATURE") == 0 &&
		    env->mc.calls[i].nargs > 0 &&
		    strcmp(env->mc.calls[i].args[0], old) == 0)
			c = &env->mc.calls[i];
	if (c == NULL || c->line != c->end_line ||
	    (t = mcedit_line(env->mc_text, c->line)) == NULL ||
	    (at = strstr(t, old)) == NULL) {
		free(t);
		return false;
	}
	sb_init(&line);
	sb_append(&line, t, (size_t)(at - t));
	sb_puts(&line, new);
	sb_puts(&line, at + strlen(old));
	sb_printf(fix, "replace line %u of %s by:\n  %s", c->line,
	    env->mc_path, line.s);
	sb_free(&line);
	free(t);
	return true;
}

/* m4's messages: missing includes together, the others one by one. */
static void
m4_findings(struct cfc_ctx *c, bool have_unclosed)
{
	const struct cfcheck_env *env = c->env;
	const struct m4_msgs *m = &env->render.msgs;
	struct cfc_fnd f, g;
	const char *ffile = NULL;
	unsigned fline = 0, n_inc = 0;
	size_t i;

	cfc_fnd_init(&g);
	for (i = 0; i < m->n; i++) {
		const struct m4_msg *x = &m->v[i];
		const char *q1, *q2;

		if (missing_include(env, x, &q1, &q2)) {
			if (n_inc++ == 0) {
				ffile = x->file;
				fline = x->line;
			}
			sb_printf(&g.what, "%s%s:%u includes %.*s, which does "
			    "not exist", n_inc > 1 ? "; " : "", x->file ?
			    x->file : env->mc_path, x->line, (int)(q2 - q1), q1);
			continue;
		}
		if (strstr(x->text, "should be before MAILER()") != NULL ||
		    (have_unclosed && strstr(x->text, "end of file") != NULL))
			continue;	/* said by mc-after-mailer, unclosed */
		cfc_fnd_init(&f);
		sb_printf(&f.what, "m4 says: %s", x->text);
		if (x->kind == M4_WARNING)
			sb_printf(&f.why, "a warning of sendmail's m4 files "
			    "while rendering %s: sendmail.cf is still written",
			    env->mc_path);
		else
			sb_printf(&f.why, "m4 stops with exit status %d on "
			    "%s: sendmail.cf may lack what comes after the "
			    "error", env->render.status, env->mc_path);
		if (deprecated_fix(env, x, &f.fix))
			;
		else if (x->line)
			sb_printf(&f.fix, "edit %s:%u as the message says",
			    x->file ? x->file : env->mc_path, x->line);
		else
			sb_printf(&f.fix, "edit %s as the message says",
			    env->mc_path);
		if (f.fix.len > 0 && strncmp(f.fix.s, "edit ", 5) == 0)
			sb_printf(&f.fix, "   (then check: %s > /dev/null)",
			    env->render.cmd);
		else
			cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, x->kind == M4_WARNING ? "m4-warning" :
		    "m4-error", x->kind == M4_WARNING ? CFS_INFO : CFS_WARN,
		    x->file ? x->file : env->mc_path, x->line);
	}
	if (n_inc == 0) {
		sb_free(&g.what);
		sb_free(&g.why);
		sb_free(&g.fix);
		return;
	}
	/* mkdir -p DIRS && touch FILES: what Debian's sendmailconfig leaves */
	sb_puts(&g.fix, "create them empty, as Debian's sendmailconfig does: ");
	for (i = 0; i < m->n; i++) {
		const char *q1, *q2, *sl;

		if (!missing_include(env, &m->v[i], &q1, &q2))
			continue;
		sl = memrchr(q1, '/', (size_t)(q2 - q1));
		if (sl != NULL && sl > q1)
			sb_printf(&g.fix, "mkdir -p %.*s && ", (int)(sl - q1),
			    q1);
		sb_printf(&g.fix, "touch %.*s && ", (int)(q2 - q1), q1);
	}
	sb_puts(&g.fix, "true\n(or remove those include lines)");
	cfc_rebuild(c, &g.fix);
	sb_printf(&g.why, "m4 prints \"cannot open\" and exits with status %d: "
	    "sendmailconfig stops there, and what the files should define is "
	    "missing from sendmail.cf", env->render.status);
	cfc_fnd_add(c->r, &g, "mc-include-missing", CFS_WARN, ffile, fline);
}

/* What moving the late lines changes, in a few words each. */
static void
late_changes(const struct cfd *d, strbuf *out)
{
	size_t i, shown = 0;

	for (i = 0; i < d->n && shown < 6; i++) {
		const struct cfd_item *x = &d->v[i];

		sb_puts(out, shown++ ? "; " : "");
		if (x->type == 'M')
			sb_printf(out, "mailer %s %c=%s (it would be %s)", x->key,
			    x->field, x->a ? x->a : "(none)",
			    x->b ? x->b : "(none)");
		else if (x->type == 'O')
			sb_printf(out, "option %s=%s (it would be %s)", x->key,
			    x->a ? x->a : "(unset)", x->b ? x->b : "(unset)");
		else if (x->type == 'D')
			sb_printf(out, "macro %s %s (it would be %s)", x->key,
			    x->a ? x->a : "(unset)", x->b ? x->b : "(unset)");
		else
			sb_printf(out, "%s %s", x->a ? "a line" : "no line",
			    x->a ? x->a : x->b);
	}
	if (d->n > shown)
		sb_printf(out, "; and %zu more", d->n - shown);
}

static void
late_finding(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct mc_call *m = mc_first(&env->mc, "MAILER");
	struct cfd d;
	struct cfc_fnd f;
	bool feature_err = false;
	size_t i;

	for (i = 0; i < env->render.msgs.n; i++)
		if (strstr(env->render.msgs.v[i].text,
		    "should be before MAILER()") != NULL)
			feature_err = true;
	memset(&d, 0, sizeof(d));
	if (env->render.moved_ran && env->render.text != NULL &&
	    cfc_text_complete(env->render.text) &&
	    cfc_text_complete(env->render.moved_text) &&
	    cfd_diff(env->render.text, env->render.moved_text, &d) < 0) {
		c->r->err = 1;
		return;
	}
	c->late_matters = d.n > 0;
	if (d.n == 0 && !feature_err) {
		cfd_free(&d);
		return;
	}
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%zu line%s of %s come%s after MAILER(`%s') (line "
	    "%u):", c->nlate, c->nlate == 1 ? "" : "s", env->mc_path,
	    c->nlate == 1 ? "s" : "", m && m->nargs ? m->args[0] : "",
	    m ? m->line : 0);
	for (i = 0; i < c->nlate; i++)
		sb_printf(&f.what, " %s%s%s%s (line %u)%s", c->late[i]->name,
		    c->late[i]->nargs ? "(`" : "", c->late[i]->nargs ?
		    c->late[i]->args[0] : "", c->late[i]->nargs ? "')" : "",
		    c->late[i]->line, i + 1 < c->nlate ? "," : "");
	sb_puts(&f.why, "m4 writes each mailer when it reads its MAILER() "
	    "line, so the mailer settings after it never reach sendmail.cf");
	if (d.n > 0) {
		sb_puts(&f.why, ": sendmail.cf has ");
		late_changes(&d, &f.why);
	}
	if (feature_err)
		sb_puts(&f.why, "; m4 also says \"FEATURE() should be before "
		    "MAILER()\"");
	cfc_move_fix(c, &f.fix);
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "mc-after-mailer", d.n > 0 ? CFS_ERROR : CFS_WARN,
	    env->mc_path, c->late[0]->line);
	cfd_free(&d);
}

void
cfc_check_render(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct mc_call *u = env->have_mc ? mc_unclosed(&env->mc) : NULL;

	if (env->have_mc) {
		c->nlate = mcedit_late_calls(&env->mc, c->late, CFC_MAX_LATE);
		if (c->nlate > CFC_MAX_LATE)
			c->nlate = CFC_MAX_LATE;
		c->anchor = mcedit_mailer_anchor(&env->mc, &c->anchor_what);
	}
	c->cf_incomplete = !cfc_cf_complete(&env->cf) &&
	    (env->cf.nmailers == 0 || u != NULL);
	if (u != NULL)
		unclosed_finding(c, u, c->cf_incomplete);
	else if (c->cf_incomplete) {
		struct cfc_fnd f;

		cfc_fnd_init(&f);
		sb_printf(&f.what, "%s has no mailers: sendmail stops with \"No "
		    "local mailer defined\"", env->cf_path);
		sb_puts(&f.why, "it was cut short or not built by m4; every "
		    "other check of it was skipped");
		if (env->render.ran && env->render.text != NULL)
			sb_puts(&f.fix, "rebuild it from the .mc:");
		else
			sb_puts(&f.fix, "build it again from its .mc:");
		cfc_rebuild(c, &f.fix);
		cfc_fnd_add(c->r, &f, "cf-incomplete", CFS_ERROR, env->cf_path,
		    0);
	}
	if (!env->have_mc)
		return;
	if (env->render.ran)
		m4_findings(c, u != NULL);
	if (c->nlate > 0 && c->anchor > 0 && env->render.ran)
		late_finding(c);
}
