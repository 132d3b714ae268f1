/*
 * cfreport.c - the report of relaymilter-doctor's configuration checks,
 *	its finding helpers, and the small helpers the checks share
 *
 * CONTRACT
 *	See cfcheck.h (the report) and cfcheck_int.h (the helpers). Pure:
 *	nothing here opens a file, runs a program or looks at the clock.
 *	A finding's texts are stripped of control characters as they are
 *	added; every buffer of a finding is freed whether it is added or
 *	not. Below the check modules and cfcheck.c: it calls none of them.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

/* ------------------------------------------------------------ report */

void
cfc_report_free(struct cfc_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].what);
		free(r->v[i].why);
		free(r->v[i].fix);
		free(r->v[i].file);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

const char *
cfc_severity_name(enum cfc_severity s)
{
	switch (s) {
	case CFS_ERROR: return "error";
	case CFS_WARN: return "warning";
	default: return "info";
	}
}

int
cfc_report_worst(const struct cfc_report *r)
{
	int worst = -1;
	size_t i;

	for (i = 0; i < r->n; i++)
		if ((int)r->v[i].severity > worst)
			worst = (int)r->v[i].severity;
	return worst;
}

const struct cfc_finding *
cfc_report_find(const struct cfc_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

/* Remove control characters except the newlines that separate lines. */
static char *
clean_steal(strbuf *sb, bool keep_newlines)
{
	char *s = sb_steal(sb), *w, *p;

	if (s == NULL)
		return NULL;
	for (p = w = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\n' && keep_newlines)
			*w++ = '\n';
		else if (c == '\t')
			*w++ = ' ';
		else if (c >= 0x20 && c != 0x7f)
			*w++ = *p;
	}
	*w = '\0';
	return s;
}

void
cfc_fnd_init(struct cfc_fnd *f)
{
	sb_init(&f->what);
	sb_init(&f->why);
	sb_init(&f->fix);
}

static void
fnd_free(struct cfc_fnd *f)
{
	sb_free(&f->what);
	sb_free(&f->why);
	sb_free(&f->fix);
}

/* Append the finding; frees f's buffers in every case. */
int
cfc_fnd_add(struct cfc_report *r, struct cfc_fnd *f, const char *id,
    enum cfc_severity sev, const char *file, unsigned line)
{
	struct cfc_finding *nv, *x;

	if (r->err || f->what.err || f->why.err || f->fix.err)
		goto fail;
	if ((nv = realloc(r->v, (r->n + 1) * sizeof(*nv))) == NULL)
		goto fail;
	r->v = nv;
	x = &r->v[r->n];
	memset(x, 0, sizeof(*x));
	x->id = id;
	x->severity = sev;
	x->line = line;
	x->what = clean_steal(&f->what, false);
	x->why = clean_steal(&f->why, false);
	x->fix = clean_steal(&f->fix, true);
	if (file != NULL)
		x->file = sanitize_dup(file);
	if (x->what == NULL || x->why == NULL || x->fix == NULL ||
	    (file != NULL && x->file == NULL)) {
		free(x->what);
		free(x->why);
		free(x->fix);
		free(x->file);
		goto fail;
	}
	r->n++;
	fnd_free(f);
	return 0;
fail:
	fnd_free(f);
	r->err = 1;
	return -1;
}

/* ------------------------------------------------------------ helpers */

static bool
is_sp(int c)
{
	return c == ' ' || c == '\t';
}

/* Where a define lives: in sendmail.mc when it is there, else the .cf. */
void
cfc_where_define(const struct cfcheck_env *env, const char *name,
    unsigned cf_line, const char **file, unsigned *line)
{
	const struct mc_call *c;

	if (env->have_mc && (c = mc_find(&env->mc, "define", name)) != NULL) {
		*file = c->file;
		*line = c->line;
		return;
	}
	*file = env->cf_path;
	*line = cf_line;
}

/* Where a call like FEATURE(`x') or LOCAL_DOMAIN(`x') lives. */
void
cfc_where_call(const struct cfcheck_env *env, const char *name, const char *arg1,
    unsigned cf_line, const char **file, unsigned *line)
{
	const struct mc_call *c;

	if (env->have_mc && (c = mc_find(&env->mc, name, arg1)) != NULL) {
		*file = c->file;
		*line = c->line;
		return;
	}
	*file = env->cf_path;
	*line = cf_line;
}

/* "then rebuild sendmail.cf ..." after an m4 fix line: the README's
 * command (make -C /etc/mail) where a Makefile builds it, else m4 as it is
 * run for the .mc. */
void
cfc_rebuild(const struct cfc_ctx *c, strbuf *fix)
{
	const struct cfcheck_env *env = c->env;
	const char *slash;

	if (env->have_mc && env->mc_makefile) {
		slash = strrchr(env->mc_path, '/');
		sb_printf(fix, "\nthen rebuild sendmail.cf and restart sendmail: "
		    "make -C %.*s && systemctl restart sendmail",
		    slash == NULL ? 1 : slash == env->mc_path ? 1 :
		    (int)(slash - env->mc_path), slash == NULL ? "." :
		    env->mc_path);
	} else if (env->have_mc && env->mc_includes_cf_m4)
		sb_printf(fix, "\nthen rebuild sendmail.cf and restart sendmail: "
		    "m4 %s > %s && systemctl restart sendmail",
		    env->mc_path, env->cf_path);
	else if (env->have_mc)
		sb_printf(fix, "\nthen rebuild sendmail.cf and restart sendmail: "
		    "m4 /usr/share/sendmail/cf/m4/cf.m4 %s > %s && "
		    "systemctl restart sendmail", env->mc_path, env->cf_path);
	else
		sb_printf(fix, "\nin the .mc file %s was built from, then "
		    "rebuild it with m4 and restart sendmail", env->cf_path);
	if (c->edited)
		sb_printf(fix, "\n(the rebuild erases the hand edits of %s: "
		    "carry them into the .mc first, see cf-hand-edited)",
		    env->cf_path);
}

const char *
cfc_mailer_m4(const char *m)
{
	static const char *const names[][2] = {
		{ "smtp", "SMTP" }, { "esmtp", "ESMTP" }, { "smtp8", "SMTP8" },
		{ "dsmtp", "DSMTP" }, { "relay", "RELAY" }, { "local", "LOCAL" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(m, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

bool
cfc_cf_complete(const struct sendmail_cf *cf)
{
	return cf_mailer(cf, "local") != NULL;
}

bool
cfc_text_complete(const char *text)
{
	struct sendmail_cf cf;
	bool ok;

	if (text == NULL || cf_parse(text, &cf, NULL) < 0)
		return false;
	ok = cfc_cf_complete(&cf);
	cf_free(&cf);
	return ok;
}

bool
cfc_word_in(const char *list, const char *word)
{
	const char *p = list;
	size_t n = strlen(word);

	while (*p) {
		size_t w;

		while (*p && (is_sp(*p) || *p == ','))
			p++;
		w = strcspn(p, " \t,");
		if (w == n && strncasecmp(p, word, n) == 0)
			return true;
		p += w;
	}
	return false;
}

bool
cfc_addr_eq(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (inet_pton(AF_INET, a, x) == 1)
		return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
	if (inet_pton(AF_INET6, a, x) == 1)
		return inet_pton(AF_INET6, b, y) == 1 &&
		    memcmp(x, y, 16) == 0;
	return str_ieq(a, b);
}

bool
cfc_addr_is_local(const struct cfcheck_env *env, const char *addr)
{
	unsigned char x[16];
	size_t i;

	if (inet_pton(AF_INET, addr, x) == 1) {
		if (x[0] == 127)
			return true;
	} else if (inet_pton(AF_INET6, addr, x) == 1) {
		static const unsigned char lo6[16] = { [15] = 1 };
		static const unsigned char v4m[12] = { [10] = 0xff, [11] = 0xff };

		if (memcmp(x, lo6, 16) == 0)
			return true;
		if (memcmp(x, v4m, 12) == 0 && x[12] == 127)
			return true;
	} else
		return false;
	for (i = 0; i < env->nlocal_addrs; i++)
		if (cfc_addr_eq(env->local_addrs[i], addr))
			return true;
	return false;
}

const char *
cfc_domain_of(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at && at[1] ? at + 1 : NULL;
}

bool
cfc_needs_auth(const struct cfcheck_env *env)
{
	return env->auth.map_defined || env->auth.nentries > 0;
}
