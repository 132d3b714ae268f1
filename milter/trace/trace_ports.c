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
 *	Nothing is printed: a file that cannot be read or memory that runs out
 *	is -1 with errno, and the caller decides whether that matters (a
 *	default sendmail.cf that is missing does not).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	strbuf err;
	char *buf;
	size_t len, i;
	int rc, port;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	memset(&cf, 0, sizeof(cf));
	sb_init(&err);
	rc = cf_parse(buf, &cf, &err);
	free(buf);
	for (i = 0; rc == 0 && i < cf.nmailers; i++)
		if ((port = cf_mailer_port(&cf.mailers[i])) > 0)
			rc = add_port(pm, cf.mailers[i].name, port);
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
	pm->v = NULL;
	pm->n = 0;
}
