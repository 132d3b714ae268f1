/*
 * trace_ports.c - the relay port of each mailer, from sendmail.cf, so
 *		   that relaymilter-trace can name the port a delivery used
 *
 * CONTRACT
 *	See trace_app.h. sendmail.cf is read with the same parser
 *	relaymilter-doctor uses (sendmailcf.c): every mailer that connects
 *	over TCP ("A=TCP $h [PORT]" or "A=IPC ...") gets its port, 25 when
 *	there is none, the number of a known service name ("submission"). A
 *	mailer defined again keeps the last definition sendmail.cf holds.
 *	Also read: the smarthost's mailer (DS, "mailer:host" or relay; "" when
 *	DS is empty: mail goes to the recipients' MX), whether
 *	HostStatusDirectory is set, and the file's modification time (a
 *	sendmail.cf newer than the log lines does not describe what sendmail
 *	ran then).
 *	Nothing is printed: a file that cannot be read or memory that runs out
 *	is -1 with errno, and the caller decides whether that matters (a
 *	default sendmail.cf that is missing does not).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "causes.h"
#include "sendmailcf.h"
#include "trace_app.h"
#include "util.h"

int
tport_lookup(void *ctx, const char *mailer)
{
	const struct tport_map *pm = ctx;
	size_t i;

	if (pm->force > 0)
		return pm->force;
	for (i = 0; i < pm->n; i++)
		if (strcmp(pm->v[i].name, mailer) == 0)
			return pm->v[i].port;
	return 0;
}

static int
add_port(struct tport_map *pm, const char *name, int port)
{
	struct tport *np;
	size_t i;

	for (i = 0; i < pm->n; i++)
		if (strcmp(pm->v[i].name, name) == 0)
			break;
	if (i == pm->n) {
		if ((np = realloc(pm->v, (i + 1) * sizeof(*np))) == NULL)
			return -1;
		pm->v = np;
		if ((pm->v[i].name = strdup(name)) == NULL)
			return -1;
		pm->n++;
	}
	pm->v[i].port = port;
	return 0;
}

int
tport_load(struct tport_map *pm, const char *path)
{
	struct sendmail_cf cf;
	struct cf_smarthost sh;
	const struct cf_kv *hs;
	struct stat st;
	strbuf err;
	char *buf;
	size_t len, i;
	int rc, port, shrc;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	memset(&cf, 0, sizeof(cf));
	memset(&sh, 0, sizeof(sh));
	sb_init(&err);
	rc = cf_parse(buf, &cf, &err);
	free(buf);
	for (i = 0; rc == 0 && i < cf.nmailers; i++)
		if ((port = cf_mailer_port(&cf.mailers[i])) > 0)
			rc = add_port(pm, cf.mailers[i].name, port);
	/* a file without mailers is no sendmail.cf (--sendmail-cf
	 * /dev/null): ports and set-up stay unknown */
	if (rc == 0 && cf.nmailers > 0) {
		pm->loaded = true;
		pm->mtime = stat(path, &st) == 0 ? (int64_t)st.st_mtime : 0;
		/* where mail goes: DS's mailer, or "" for the recipients' MX */
		shrc = cf_smarthost(&cf, &sh);
		free(pm->smarthost_mailer);
		pm->smarthost_mailer = strdup(shrc == 0 && sh.mailer != NULL ?
		    sh.mailer : "");
		if (pm->smarthost_mailer == NULL || shrc < 0)
			rc = -1;
		cf_smarthost_free(&sh);
		for (i = 0; rc == 0 && i < cf.nclass_w; i++) {
			char **nw = realloc(pm->class_w,
			    (pm->nclass_w + 1) * sizeof(*nw));

			if (nw == NULL || (nw[pm->nclass_w] =
			    strdup(cf.class_w[i].name)) == NULL) {
				if (nw != NULL)
					pm->class_w = nw;
				rc = -1;
				break;
			}
			pm->class_w = nw;
			pm->nclass_w++;
		}
		hs = cf_option(&cf, "HostStatusDirectory");
		pm->setup = hs != NULL && hs->value != NULL &&
		    hs->value[0] != '\0' ? CAUSE_SETUP_HOSTSTAT :
		    CAUSE_SETUP_NO_HOSTSTAT;
	}
	cf_free(&cf);
	sb_free(&err);
	if (rc < 0)
		errno = ENOMEM;
	return rc;
}

void
tport_free(struct tport_map *pm)
{
	size_t i;

	for (i = 0; i < pm->n; i++)
		free(pm->v[i].name);
	free(pm->v);
	free(pm->smarthost_mailer);
	pm->smarthost_mailer = NULL;
	for (i = 0; i < pm->nclass_w; i++)
		free(pm->class_w[i]);
	free(pm->class_w);
	pm->class_w = NULL;
	pm->nclass_w = 0;
	pm->v = NULL;
	pm->n = 0;
}
