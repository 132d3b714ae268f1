/*
 * mcedit.c - where the lines of sendmail.mc belong: the calls m4 reads too
 *	late (after MAILER()), and the text with them moved
 *
 * CONTRACT
 *	See mcparse.h ("editing"). Pure: structures and text in,
 *	text out; no I/O. Lines are 1-based as in the parser.
 */
#include <stdlib.h>
#include <string.h>

#include "mcparse.h"
#include "util.h"

static bool
stays_after_mailer(const char *name)
{
	return strcmp(name, "MAILER") == 0 ||
	    strcmp(name, "MAILER_DEFINITIONS") == 0 ||
	    strcmp(name, "divert") == 0 || strcmp(name, "include") == 0 ||
	    strcmp(name, "sinclude") == 0 || strncmp(name, "LOCAL_", 6) == 0;
}

size_t
mcedit_late_calls(const struct sendmail_mc *mc, const struct mc_call **out,
    size_t max)
{
	const struct mc_call *first = mc_first(mc, "MAILER");
	size_t i, n = 0;

	if (first == NULL)
		return 0;
	for (i = (size_t)(first - mc->calls) + 1; i < mc->ncalls; i++) {
		const struct mc_call *c = &mc->calls[i];

		if (c->depth != 0 || stays_after_mailer(c->name) ||
		    c->line <= first->end_line)
			continue;
		if (n < max)
			out[n] = c;
		n++;
	}
	return n;
}

unsigned
mcedit_mailer_anchor(const struct sendmail_mc *mc, const char **what)
{
	const struct mc_call *m = mc_first(mc, "MAILER");
	const struct mc_call *d = mc_first(mc, "MAILER_DEFINITIONS");

	if (m == NULL)
		return 0;
	if (d != NULL && d < m) {
		*what = "MAILER_DEFINITIONS";
		return d->line;
	}
	*what = "MAILER()";
	return m->line;
}

char *
mcedit_line(const char *text, unsigned n)
{
	const char *p = text;
	unsigned l = 1;

	if (n == 0)
		return NULL;
	while (l < n) {
		p = strchr(p, '\n');
		if (p == NULL)
			return NULL;
		p++;
		l++;
	}
	if (*p == '\0')
		return NULL;
	return strndup(p, strcspn(p, "\n"));
}

static bool
listed(const unsigned *lines, size_t n, unsigned l)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lines[i] == l)
			return true;
	return false;
}

/* Append the listed lines of text, in their order. */
static void
put_listed(strbuf *out, const char *text, const unsigned *lines, size_t n)
{
	const char *q = text;
	unsigned k;

	for (k = 1; *q; k++) {
		size_t ql = strcspn(q, "\n");

		if (listed(lines, n, k)) {
			sb_append(out, q, ql);
			sb_putc(out, '\n');
		}
		q += ql;
		if (*q == '\n')
			q++;
	}
}

char *
mcedit_move_lines(const char *text, const unsigned *lines, size_t n,
    unsigned above)
{
	strbuf out;
	const char *p;
	unsigned l;

	sb_init(&out);
	for (p = text, l = 1; *p; l++) {
		size_t len = strcspn(p, "\n");

		if (l == above)
			put_listed(&out, text, lines, n);
		if (!listed(lines, n, l)) {
			sb_append(&out, p, len);
			if (p[len] == '\n')
				sb_putc(&out, '\n');
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	if (out.err) {
		sb_free(&out);
		return NULL;
	}
	return sb_steal(&out);
}
