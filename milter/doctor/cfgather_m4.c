/*
 * cfgather_m4.c - the facts of the configuration checks that m4 gives:
 *	sendmail.mc rendered as it is now, and with its late lines moved
 *
 * CONTRACT
 *	Part of cfcheck_gather() (cfgather.c), declared in
 *	cfcheck_int.h. Runs m4 (run_program_req(), stdout and stderr
 *	apart, in the .mc's directory, under the time limit) and writes
 *	nothing: the moved .mc goes to m4 on its stdin. m4 runs in the .mc's
 *	directory when its path is absolute (else in ours, where a relative
 *	path was given from). The command is the one
 *	that builds sendmail.cf: "m4 sendmail.mc" when the .mc includes cf.m4
 *	itself (Debian, CentOS), else "m4 CF.M4 sendmail.mc" with the first
 *	cf.m4 of CF_M4_PATHS that exists. A render that cannot be made (no
 *	.mc, --no-exec, no m4, no cf.m4) leaves env->render.error saying why;
 *	the checks that need it are skipped with that note. Returns -1 only
 *	when out of memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfcheck.h"
#include "cfcheck_int.h"
#include "runprog.h"

#define MAX_LATE	64

/* where sendmail-cf puts cf.m4: Debian, Red Hat / CentOS, FreeBSD */
static const char *const CF_M4_PATHS[] = {
	"/usr/share/sendmail/cf/m4/cf.m4",
	"/usr/share/sendmail-cf/m4/cf.m4",
	"/usr/share/sendmail/m4/cf.m4",
};

static const char *
find_cf_m4(void)
{
	size_t i;

	for (i = 0; i < sizeof(CF_M4_PATHS) / sizeof(CF_M4_PATHS[0]); i++)
		if (access(CF_M4_PATHS[i], R_OK) == 0)
			return CF_M4_PATHS[i];
	return NULL;
}

static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The _OPTION(Name, `confX', ...) lines of proto.m4 beside cf.m4: which
 * m4 name sets which sendmail.cf option. A file that cannot be read
 * leaves the list empty. */
static int
read_optnames(const char *cf_m4, struct cfcheck_env *env)
{
	char *dir = dir_of(cf_m4), *buf = NULL, *p;
	struct cfc_optname *o;
	strbuf path;
	size_t len;
	int rc = 0;

	if (dir == NULL)
		return -1;
	sb_init(&path);
	sb_printf(&path, "%s/proto.m4", dir);
	free(dir);
	if (path.err)
		return -1;
	if (read_file(path.s, &buf, &len) < 0) {
		sb_free(&path);
		return 0;
	}
	sb_free(&path);
	for (p = buf; (p = strstr(p, "\n_OPTION(")) != NULL; ) {
		const char *name = p + 9, *q, *m;
		size_t nn, mn;

		p++;
		nn = strcspn(name, ", \t)");
		q = name + nn;
		if (*q != ',')
			continue;
		q++;
		while (ch_blank(*q))
			q++;
		if (*q != '`')
			continue;
		m = q + 1;
		mn = strcspn(m, "'\n");
		if (m[mn] != '\'' || nn == 0 || mn == 0)
			continue;
		if (ARR_PUSH(env->optnames, env->noptnames, o) < 0 ||
		    (o->option = strndup(name, nn)) == NULL ||
		    (o->m4 = strndup(m, mn)) == NULL) {
			rc = -1;
			break;
		}
	}
	free(buf);
	return rc;
}

/* Run m4 on file (or on input when file is NULL). 0 ran (status set),
 * 1 could not run (why set), -1 out of memory. */
static int
m4_run(const char *cf_m4, const char *file, const char *input,
    const char *cwd, unsigned timeout, int *status, strbuf *out,
    strbuf *err, strbuf *why)
{
	char *argv[4];
	struct run_req rq;
	int i = 0, rc;

	argv[i++] = "m4";
	if (cf_m4 != NULL)
		argv[i++] = (char *)cf_m4;
	argv[i++] = (char *)(file != NULL ? file : "-");
	argv[i] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.argv = argv;
	rq.timeout_ms = timeout;
	rq.cwd = cwd;
	rq.input = input;
	rq.input_len = input ? strlen(input) : 0;
	rq.out = out;
	rq.err = err;
	rc = run_program_req(&rq, why);
	if (out->err || err->err || why->err)
		return -1;
	if (rc < 0)
		return 1;
	*status = rc;
	return 0;
}

/* The .mc with its late lines moved above MAILER(): NULL when there are
 * none (*nomem tells an allocation failure apart). */
static char *
moved_mc(const struct cfcheck_env *env, bool *nomem)
{
	const struct mc_call *late[MAX_LATE];
	unsigned lines[MAX_LATE * 4], l;
	size_t n, k = 0, i;
	const char *what;
	unsigned above = mcedit_mailer_anchor(&env->mc, &what);
	char *t;

	*nomem = false;
	n = mcedit_late_calls(&env->mc, late, MAX_LATE);
	if (n == 0 || above == 0)
		return NULL;
	if (n > MAX_LATE)
		n = MAX_LATE;
	for (i = 0; i < n; i++)
		for (l = late[i]->line; l <= late[i]->end_line &&
		    k < sizeof(lines) / sizeof(lines[0]); l++)
			lines[k++] = l;
	if ((t = mcedit_move_lines(env->mc_text, lines, k, above)) == NULL)
		*nomem = true;
	return t;
}

int
cfc_gather_render(const struct cfcheck_paths *paths, struct cfcheck_env *env,
    unsigned timeout)
{
	struct cfc_render *r = &env->render;
	const char *cf_m4 = NULL;
	char *dir = NULL, *moved;
	strbuf out, err, why;
	struct stat st;
	bool nomem;
	int rc, status = 0;

	if (!env->have_mc)
		return 0;
	if ((dir = dir_of(env->mc_path)) == NULL)
		return -1;
	sb_init(&out);
	sb_init(&err);
	sb_init(&why);
	sb_printf(&why, "%s/Makefile", dir);
	env->mc_makefile = !why.err && stat(why.s, &st) == 0 &&
	    S_ISREG(st.st_mode);
	sb_reset(&why);
	if (!env->mc_includes_cf_m4 && (cf_m4 = find_cf_m4()) == NULL) {
		r->error = strdup("no cf.m4 (package sendmail-cf) to render "
		    "it with");
		goto done;
	}
	if (read_optnames(cf_m4 ? cf_m4 : env->cf_m4_path, env) < 0)
		goto nomem;
	sb_printf(&why, "m4 %s%s%s", cf_m4 ? cf_m4 : "", cf_m4 ? " " : "",
	    env->mc_path);
	if ((r->cmd = sb_steal(&why)) == NULL)
		goto nomem;
	if (paths->no_exec) {
		r->error = strdup("not run (--no-exec)");
		goto done;
	}
	/* m4 runs where the .mc is (relative includes), given as the
	 * absolute path it has; a relative path is taken from here */
	if (env->mc_path[0] != '/') {
		free(dir);
		dir = NULL;
	}
	rc = m4_run(cf_m4, env->mc_path, NULL, dir, timeout, &status, &out,
	    &err, &why);
	if (rc < 0)
		goto nomem;
	if (rc > 0) {
		r->error = sb_steal(&why);
		goto done;
	}
	r->ran = true;
	r->status = status;
	if ((r->text = sb_steal(&out)) == NULL ||
	    m4_msgs_parse(err.s, &r->msgs) < 0)
		goto nomem;
	moved = moved_mc(env, &nomem);
	if (nomem)
		goto nomem;
	if (moved != NULL) {
		sb_reset(&err);
		rc = m4_run(cf_m4, NULL, moved, dir, timeout, &status, &out,
		    &err, &why);
		free(moved);
		if (rc < 0)
			goto nomem;
		if (rc == 0) {
			r->moved_ran = true;
			if ((r->moved_text = sb_steal(&out)) == NULL)
				goto nomem;
		}
	}
done:
	if (r->error == NULL && !r->ran)
		goto nomem;
	free(dir);
	sb_free(&out);
	sb_free(&err);
	sb_free(&why);
	return 0;
nomem:
	free(dir);
	sb_free(&out);
	sb_free(&err);
	sb_free(&why);
	return -1;
}

void
cfc_render_free(struct cfc_render *r)
{
	free(r->error);
	free(r->cmd);
	m4_msgs_free(&r->msgs);
	free(r->text);
	free(r->moved_text);
	memset(r, 0, sizeof(*r));
}
