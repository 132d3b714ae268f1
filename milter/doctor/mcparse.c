/*
 * mcparse.c - parser for sendmail.mc (m4 macro calls)
 *
 * CONTRACT
 *	See mcparse.h. Pure: text in, structures out; no I/O.
 *	Allocation failures return -1 and leave the output empty.
 */
#include <stdlib.h>
#include <string.h>

#include "mcparse.h"
#include "util.h"

/* ------------------------------------------------------------ sendmail.mc */

void
mc_free(struct sendmail_mc *mc)
{
	size_t i, j;

	for (i = 0; i < mc->ncalls; i++) {
		free(mc->calls[i].name);
		free(mc->calls[i].file);
		for (j = 0; j < mc->calls[i].nargs; j++)
			free(mc->calls[i].args[j]);
		free(mc->calls[i].args);
	}
	free(mc->calls);
	memset(mc, 0, sizeof(*mc));
}

static bool
is_ident(int c)
{
	return ch_alpha(c) || ch_digit(c) || c == '_';
}

/* At p (not preceded by an identifier character) is the word "dnl"? */
static bool
at_dnl(const char *start, const char *p)
{
	return strncmp(p, "dnl", 3) == 0 && !is_ident((unsigned char)p[3]) &&
	    (p == start || !is_ident((unsigned char)p[-1]));
}

struct mc_state {
	struct sendmail_mc	*mc;
	const char		*file;
	mc_include_fn		 include;
	void			*arg;
	int			 depth;
	int			 nomem;
};

static int	mc_text(struct mc_state *st, const char *text);

static int
mc_add_arg(struct mc_call *c, strbuf *arg)
{
	char **na, *s;

	if (arg->err || (s = strndup_trim(arg->s, arg->len)) == NULL)
		return -1;
	if ((na = realloc(c->args, (c->nargs + 1) * sizeof(*na))) == NULL) {
		free(s);
		return -1;
	}
	na[c->nargs++] = s;
	c->args = na;
	sb_reset(arg);
	return 0;
}

/*
 * Read the arguments of a call; p points just after '('. Returns the
 * position after the closing ')' or NULL when the call is not closed (or
 * on allocation failure, with st->nomem set). Lines are counted in *line.
 */
static const char *
mc_args(struct mc_state *st, const char *text, const char *p,
    struct mc_call *c, unsigned *line)
{
	strbuf arg;
	int depth = 0, quote = 0;
	bool lead = true;

	sb_init(&arg);
	for (; *p; p++) {
		char ch = *p;

		if (ch == '\n')
			(*line)++;
		if (quote > 0) {
			if (ch == '`')
				quote++;
			else if (ch == '\'')
				quote--;
			if (quote > 0 || ch != '\'')
				sb_putc(&arg, ch);
			continue;
		}
		if (ch == '`') {
			quote = 1;
			lead = false;
			continue;
		}
		if (at_dnl(text, p)) {
			/* m4 expands dnl while it collects arguments */
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
			(*line)++;
			continue;
		}
		if (lead && (ch_blank(ch) || ch == '\n' || ch == '\r'))
			continue;
		lead = false;
		if (ch == '(')
			depth++;
		else if (ch == ')' && depth > 0)
			depth--;
		else if ((ch == ',' || ch == ')') && depth == 0) {
			if (mc_add_arg(c, &arg) < 0) {
				st->nomem = 1;
				break;
			}
			lead = true;
			if (ch == ')') {
				sb_free(&arg);
				return p + 1;
			}
			continue;
		}
		sb_putc(&arg, ch);
	}
	sb_free(&arg);
	return NULL;
}

static void
mc_call_clear(struct mc_call *c)
{
	size_t j;

	free(c->name);
	free(c->file);
	for (j = 0; j < c->nargs; j++)
		free(c->args[j]);
	free(c->args);
	memset(c, 0, sizeof(*c));
}

/* Record one call; follow include() through the callback. */
static int
mc_record(struct mc_state *st, struct mc_call *tmp)
{
	struct mc_call *c;
	char *inc;

	if (ARR_PUSH(st->mc->calls, st->mc->ncalls, c) < 0) {
		mc_call_clear(tmp);
		return -1;
	}
	*c = *tmp;
	if ((strcmp(c->name, "include") == 0 ||
	    strcmp(c->name, "sinclude") == 0) && c->nargs > 0 &&
	    st->include != NULL && st->depth < 8) {
		const char *saved = st->file;
		int rc;

		if ((inc = st->include(c->args[0], st->arg)) == NULL)
			return 0;
		st->file = c->args[0];
		st->depth++;
		rc = mc_text(st, inc);
		st->depth--;
		st->file = saved;
		free(inc);
		return rc;
	}
	return 0;
}

static int
mc_text(struct mc_state *st, const char *text)
{
	const char *p = text;
	unsigned line = 1;
	int quote = 0;

	while (*p) {
		if (*p == '\n') {
			line++;
			p++;
			continue;
		}
		if (quote > 0) {
			if (*p == '`')
				quote++;
			else if (*p == '\'')
				quote--;
			p++;
			continue;
		}
		if (*p == '`') {
			quote = 1;
			p++;
			continue;
		}
		if (*p == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (is_ident((unsigned char)*p) && !ch_digit(*p)) {
			const char *s = p;
			size_t n;

			while (is_ident((unsigned char)*p))
				p++;
			n = (size_t)(p - s);
			if (n == 3 && strncmp(s, "dnl", 3) == 0) {
				p += strcspn(p, "\n");
				continue;
			}
			if (*p == '(') {
				struct mc_call tmp;
				const char *q;

				memset(&tmp, 0, sizeof(tmp));
				tmp.line = line;
				q = mc_args(st, text, p + 1, &tmp, &line);
				if (st->nomem ||
				    (tmp.name = strndup(s, n)) == NULL ||
				    (tmp.file = strdup(st->file)) == NULL) {
					mc_call_clear(&tmp);
					return -1;
				}
				if (mc_record(st, &tmp) < 0)
					return -1;
				if (q == NULL)
					break;	/* unclosed call: stop here */
				p = q;
			}
			continue;
		}
		p++;
	}
	return 0;
}

int
mc_parse(const char *text, const char *file, mc_include_fn include,
    void *arg, struct sendmail_mc *mc, strbuf *err)
{
	struct mc_state st;

	memset(mc, 0, sizeof(*mc));
	memset(&st, 0, sizeof(st));
	st.mc = mc;
	st.file = file;
	st.include = include;
	st.arg = arg;
	if (mc_text(&st, text) < 0) {
		mc_free(mc);
		if (err != NULL)
			sb_printf(err, "out of memory reading %s", file);
		return -1;
	}
	return 0;
}

const struct mc_call *
mc_find(const struct sendmail_mc *mc, const char *name, const char *arg1)
{
	size_t i;

	for (i = mc->ncalls; i > 0; i--) {
		const struct mc_call *c = &mc->calls[i - 1];

		if (strcmp(c->name, name) != 0)
			continue;
		if (arg1 == NULL ||
		    (c->nargs > 0 && strcmp(c->args[0], arg1) == 0))
			return c;
	}
	return NULL;
}

const char *
mc_define(const struct sendmail_mc *mc, const char *name, unsigned *line)
{
	size_t i;

	for (i = mc->ncalls; i > 0; i--) {
		const struct mc_call *c = &mc->calls[i - 1];

		if (c->nargs == 0 || strcmp(c->args[0], name) != 0)
			continue;
		if (strcmp(c->name, "undefine") == 0)
			return NULL;
		if (strcmp(c->name, "define") == 0) {
			if (line != NULL)
				*line = c->line;
			return c->nargs > 1 ? c->args[1] : "";
		}
	}
	return NULL;
}
