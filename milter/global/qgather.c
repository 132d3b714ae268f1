/*
 * qgather.c - read sendmail's queues where its configuration keeps them
 *
 * CONTRACT
 *	See include/qgather.h. The .cf files go through cf_parse()
 *	(sendmailcf.h); queue groups (Q lines), which it does not keep, are
 *	read here from the same text: "Qname, Path=DIR, ..." with fields
 *	keyed by their first letter as sendmail's makequeue() does, a line
 *	starting with a blank continuing the one before.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qgather.h"
#include "qscan.h"
#include "sendmailcf.h"

struct scan_ctx {
	struct qsum_queue *q;
	const struct qsum_opts *o;
	int	 nomem;
};

static int
on_file(void *arg, const struct qscan_file *f)
{
	struct scan_ctx *c = arg;

	if (qsum_add(c->q, c->o, f) < 0) {
		c->nomem = 1;
		return -1;
	}
	return 0;
}

/* Add a clean copy (qsum_clean: printed and put in JSON as it is) of
 * s[0..len) unless it is there. */
static int
add_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv, *d;
	size_t i;

	if ((d = qsum_clean(s, len)) == NULL)
		return -1;
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], d) == 0) {
			free(d);
			return 0;
		}
	if ((nv = arr_grow(*v, *n, sizeof(**v))) == NULL) {
		free(d);
		return -1;
	}
	*v = nv;
	nv[(*n)++] = d;
	return 0;
}

/* The Path= of every "Q" line; continuation lines joined. */
static int
queue_groups(const char *text, char ***paths, size_t *n)
{
	const char *p = text, *e, *f, *fe, *nl;
	strbuf line;
	int rc = 0;

	sb_init(&line);
	while (*p && rc == 0) {
		sb_reset(&line);
		nl = strchr(p, '\n');
		sb_append(&line, p, nl ? (size_t)(nl - p) : strlen(p));
		p = nl ? nl + 1 : p + strlen(p);
		while (*p == ' ' || *p == '\t') {
			nl = strchr(p, '\n');
			sb_append(&line, p, nl ? (size_t)(nl - p) : strlen(p));
			p = nl ? nl + 1 : p + strlen(p);
		}
		if (line.err) {
			rc = -1;
			break;
		}
		if (line.s[0] != 'Q' || !ch_alpha(line.s[1]))
			continue;
		/* fields after the name: ", P=/var/spool/mqueue/group" */
		for (f = strchr(line.s, ','); f != NULL && rc == 0;
		    f = strchr(fe, ',')) {
			f++;
			while (*f == ' ' || *f == '\t')
				f++;
			fe = f + strcspn(f, ",");
			if ((*f != 'P' && *f != 'p') || (e = memchr(f, '=',
			    (size_t)(fe - f))) == NULL)
				continue;
			for (e++; *e == ' ' || *e == '\t'; e++)
				;
			while (fe > e && (fe[-1] == ' ' || fe[-1] == '\t' ||
			    fe[-1] == '\r'))
				fe--;
			if (fe > e && add_str(paths, n, e, (size_t)(fe - e)) < 0)
				rc = -1;
			if (*fe == '\0')
				break;
		}
	}
	sb_free(&line);
	return rc;
}

static int
add_lower(char ***v, size_t *n, const char *s, size_t len)
{
	char *l;
	int rc;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return 0;
	if ((l = strndup(s, len)) == NULL)
		return -1;
	str_lower_inplace(l);
	rc = add_str(v, n, l, len);
	free(l);
	return rc;
}

/* $j, class w words and the words of its plain Fw files */
static int
local_domains(const struct sendmail_cf *cf, struct qsum_route *r,
    strbuf *note)
{
	const struct cf_kv *j = cf_macro(cf, "j");
	const char *p;
	char *buf;
	size_t i, len;

	if (j != NULL && j->value && add_lower(&r->local, &r->nlocal, j->value,
	    strlen(j->value)) < 0)
		return -1;
	for (i = 0; i < cf->nclass_w; i++)
		if (add_lower(&r->local, &r->nlocal, cf->class_w[i].name,
		    strlen(cf->class_w[i].name)) < 0)
			return -1;
	for (i = 0; i < cf->nclass_w_files; i++) {
		const struct cf_classfile *cw = &cf->class_w_files[i];

		if (cw->path[0] != '/' || cw->format != NULL)
			continue;
		if (read_file(cw->path, &buf, &len) < 0) {
			if (!cw->optional)
				sb_printf(note, "%s: %s (its local domains "
				    "are not known)\n", cw->path,
				    strerror(errno));
			continue;
		}
		for (p = buf; *p; ) {
			size_t n;

			p += strspn(p, " \t\r\n");
			if (*p == '#') {
				p += strcspn(p, "\n");
				continue;
			}
			n = strcspn(p, " \t\r\n");
			if (n > 0 && add_lower(&r->local, &r->nlocal, p, n) < 0) {
				free(buf);
				return -1;
			}
			p += n;
		}
		free(buf);
	}
	return 0;
}

/* How mail leaves: the smarthost (DS) or, for the MSP, {MTAHost}. */
static int
route_of(const struct sendmail_cf *cf, bool msp, struct qsum_route *r)
{
	struct cf_smarthost sh;
	const struct cf_kv *mh;
	const char *h;
	int rc;

	if ((rc = cf_smarthost(cf, &sh)) < 0)
		return -1;
	if (rc == 0 && sh.host != NULL && sh.host[0] != '\0') {
		r->port = sh.port;
		r->relay = qsum_clean(sh.host, strlen(sh.host));
		cf_smarthost_free(&sh);
		return r->relay ? 0 : -1;
	}
	cf_smarthost_free(&sh);
	if (msp && (mh = cf_macro(cf, "MTAHost")) != NULL &&
	    mh->value != NULL && mh->value[0] != '\0') {
		const struct cf_mailer *rm = cf_mailer(cf, "relay");

		h = mh->value;
		r->port = rm ? cf_mailer_port(rm) : 0;
		if ((r->relay = qsum_clean(h, strlen(h))) == NULL)
			return -1;
	}
	return 0;
}

/* The queue of one .cf file: route, local domains, directories. */
static int
setup(struct qsum_queue *q, const char *cfpath, const char *dir, bool msp,
    struct qgather *g, strbuf *err)
{
	struct sendmail_cf cf;
	const struct cf_kv *qd;
	char *text = NULL, **groups = NULL;
	size_t len, ngroups = 0, i, nd;
	char **d;
	int rc = -1;

	memset(&cf, 0, sizeof(cf));
	if (cfpath != NULL) {
		if (read_file(cfpath, &text, &len) < 0) {
			if (dir == NULL) {
				sb_printf(err, "%s: %s", cfpath, strerror(errno));
				return -1;
			}
			sb_printf(&g->note, "%s: %s (queue read from %s)\n",
			    cfpath, strerror(errno), dir);
			cfpath = NULL;
		} else if (cf_parse(text, &cf, err) < 0) {
			free(text);
			return -1;
		}
	}
	if (cfpath != NULL) {
		if (msp)
			g->submit_cf = cfpath;
		else
			g->cf = cfpath;
		if (route_of(&cf, msp, &q->route) < 0 ||
		    local_domains(&cf, &q->route, &g->note) < 0)
			goto nomem;
	}
	if (dir != NULL) {
		if (add_str(&q->dirs, &q->ndirs, dir, strlen(dir)) < 0)
			goto nomem;
	} else {
		qd = cf_option(&cf, "QueueDirectory");
		if (qscan_expand(qd && qd->value && qd->value[0] ? qd->value :
		    QGATHER_DEFAULT_DIR, &d, &nd, err) < 0) {
			/* the parent of "DIR/q*" cannot be listed: the
			 * queue's error, not the run's */
			if (err->err)
				goto nomem;
			if ((q->error = qsum_clean(err->s, err->len)) == NULL)
				goto nomem;
			sb_reset(err);
		} else {
			for (i = 0; i < nd; i++)
				if (add_str(&q->dirs, &q->ndirs, d[i],
				    strlen(d[i])) < 0) {
					strv_free(d, nd);
					goto nomem;
				}
			strv_free(d, nd);
		}
		if (text != NULL && queue_groups(text, &groups, &ngroups) < 0)
			goto nomem;
		for (i = 0; i < ngroups; i++) {
			if (qscan_expand(groups[i], &d, &nd, err) < 0) {
				if (err->err)
					goto nomem;
				sb_printf(&g->note, "%s\n", err->s);
				sb_reset(err);
				continue;
			}
			for (size_t k = 0; k < nd; k++)
				if (add_str(&q->dirs, &q->ndirs, d[k],
				    strlen(d[k])) < 0) {
					strv_free(d, nd);
					goto nomem;
				}
			strv_free(d, nd);
		}
	}
	rc = 0;
	goto out;
nomem:
	if (err->len == 0)
		sb_puts(err, "out of memory");
out:
	strv_free(groups, ngroups);
	cf_free(&cf);
	free(text);
	return rc;
}

static int
read_queue(struct qsum_queue *q, const struct qgather_opts *o, strbuf *err)
{
	struct scan_ctx c = { q, &o->sum, 0 };
	struct qscan s;
	strbuf derr;
	size_t i;
	int rc = 0;

	qscan_init(&s);
	s.before_open = o->before_open;
	s.hook_ctx = o->hook_ctx;
	sb_init(&derr);
	for (i = 0; i < q->ndirs && rc == 0; i++) {
		if (qscan_dir(&s, q->dirs[i], on_file, &c, &derr) < 0 &&
		    !c.nomem) {
			if (derr.err)
				c.nomem = 1;
			else if (q->error == NULL &&
			    (q->error = qsum_clean(derr.s, derr.len)) == NULL)
				c.nomem = 1;
			sb_reset(&derr);
		}
		if (c.nomem)
			rc = -1;
	}
	sb_free(&derr);
	qscan_free(&s);
	if (rc < 0)
		sb_puts(err, "out of memory");
	else
		qsum_sort(q);
	return rc;
}

static bool
same_dirs(const struct qsum_queue *a, const struct qsum_queue *b)
{
	size_t i, j;

	for (i = 0; i < b->ndirs; i++)
		for (j = 0; j < a->ndirs; j++)
			if (strcmp(a->dirs[j], b->dirs[i]) == 0)
				return true;
	return false;
}

int
qgather_run(const struct qgather_opts *o, struct qgather *g, strbuf *err)
{
	const char *cf = o->cf ? o->cf : QGATHER_CF;
	const char *scf = o->submit_cf ? o->submit_cf : QGATHER_SUBMIT_CF;
	bool msp = true;

	memset(g, 0, sizeof(*g));
	sb_init(&g->note);
	if (qsum_queue_init(&g->q[0], "mta") < 0) {
		sb_puts(err, "out of memory");
		return -1;
	}
	g->nq = 1;
	if (setup(&g->q[0], cf, o->mta_dir, false, g, err) < 0)
		return -1;
	if (o->msp_dir == NULL && (scf[0] == '\0' || access(scf, F_OK) != 0)) {
		msp = false;
		if (scf[0] != '\0')
			sb_printf(&g->note, "%s: %s (no MSP queue read)\n", scf,
			    strerror(errno));
	}
	if (msp) {
		if (qsum_queue_init(&g->q[1], "msp") < 0) {
			sb_puts(err, "out of memory");
			return -1;
		}
		g->nq = 2;
		if (setup(&g->q[1], scf[0] ? scf : NULL, o->msp_dir, true, g,
		    err) < 0)
			return -1;
	}
	if (g->nq > 1 && same_dirs(&g->q[0], &g->q[1])) {
		/* one queue named twice (no separate MSP queue): read once */
		sb_printf(&g->note, "%s names the MTA's queue directory: it is "
		    "read once, as the MTA's\n", g->submit_cf ? g->submit_cf :
		    "--msp-dir");
		qsum_queue_free(&g->q[1]);
		g->nq = 1;
	}
	if (read_queue(&g->q[0], o, err) < 0 ||
	    (g->nq > 1 && read_queue(&g->q[1], o, err) < 0))
		return -1;
	return g->note.err ? -1 : 0;
}

void
qgather_free(struct qgather *g)
{
	size_t i;

	for (i = 0; i < g->nq; i++)
		qsum_queue_free(&g->q[i]);
	sb_free(&g->note);
	memset(g, 0, sizeof(*g));
}
