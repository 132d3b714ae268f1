/*
 * trace_ports.c - the relay port of each mailer, from sendmail.cf, so
 *		   that relaymilter-trace can name the port a delivery used
 *
 * CONTRACT
 *	See include/trace_app.h. Only [IPC] mailers count ("Mname, P=[IPC],
 *	..., A=TCP $h [PORT]"); a definition continues on the lines that
 *	start with white space. The port is the third word of A= (25 when
 *	there is none, 0 when it is not a number up to 65535); a mailer
 *	defined again takes its last port. Nothing is printed: a file that
 *	cannot be read or memory that runs out is -1 with errno, and the
 *	caller decides whether that matters (a default sendmail.cf that is
 *	missing does not).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

/* Record the port of one mailer definition "Mname, P=[IPC], ..., A=TCP $h
 * 587" (its continuation lines joined with blanks); "A=TCP $h" is 25. */
static int
add_port(struct tport_map *pm, const char *def)
{
	struct tport *np;
	const char *q, *av = NULL;
	unsigned long port = 25;
	size_t nl, i;
	strbuf args;
	char *cur, *tok;
	int k = 0;

	nl = strcspn(def + 1, ", \t");
	if (nl == 0 || strstr(def, "P=[IPC]") == NULL)
		return 0;
	/* the A= field: "A=" after a comma or a blank */
	for (q = def; (q = strstr(q, "A=")) != NULL; q++)
		if (q > def && (q[-1] == ',' || q[-1] == ' ' || q[-1] == '\t')) {
			av = q + 2;
			break;
		}
	if (av == NULL)
		return 0;
	sb_init(&args);
	sb_append(&args, av, strcspn(av, ","));
	if (args.err)
		return -1;
	/* TCP $h [port] */
	for (cur = args.s; (tok = str_token(&cur)) != NULL && k < 3; k++)
		if (k == 2 && parse_uint(tok, 65535, &port) < 0)
			port = 0;
	sb_free(&args);
	for (i = 0; i < pm->n; i++)
		if (strlen(pm->v[i].name) == nl &&
		    strncmp(pm->v[i].name, def + 1, nl) == 0)
			break;
	if (i == pm->n) {
		if ((np = realloc(pm->v, (i + 1) * sizeof(*np))) == NULL)
			return -1;
		pm->v = np;
		if ((pm->v[i].name = strndup(def + 1, nl)) == NULL)
			return -1;
		pm->n++;
	}
	pm->v[i].port = (int)port;
	return 0;
}

int
tport_load(struct tport_map *pm, const char *path)
{
	char *buf, *line, *next;
	size_t len;
	strbuf def;
	bool in_def = false;
	int rc = 0;

	if (read_file(path, &buf, &len) < 0)
		return -1;
	sb_init(&def);
	for (line = buf; line != NULL && rc == 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (in_def && (*line == ' ' || *line == '\t')) {
			sb_putc(&def, ' ');
			sb_puts(&def, line);
			continue;
		}
		if (in_def)
			rc = def.err ? -1 : add_port(pm, def.s);
		in_def = *line == 'M';
		sb_reset(&def);
		if (in_def)
			sb_puts(&def, line);
	}
	if (rc == 0 && in_def)
		rc = def.err ? -1 : add_port(pm, def.s);
	sb_free(&def);
	free(buf);
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
