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

/* The section markers written without arguments: MAILER_DEFINITIONS,
 * LOCAL_CONFIG, LOCAL_RULE_0, LOCAL_RULESETS, ... */
static bool
is_marker(const char *s, size_t n)
{
	static const char *const names[] = { "MAILER_DEFINITIONS",
	    "LOCAL_CONFIG", "LOCAL_RULESETS", "LOCAL_NET_CONFIG",
	    "LOCAL_RULE_0", "LOCAL_RULE_1", "LOCAL_RULE_2", "LOCAL_RULE_3" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0)
			return true;
	return false;
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
	c->unclosed = true;
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
			if (c->dnl_line == 0)
				c->dnl_line = *line;
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
				c->unclosed = false;
				c->end_line = *line;
				return p + 1;
			}
			continue;
		}
		sb_putc(&arg, ch);
	}
	sb_free(&arg);
	/* the end of the text: the last line that has something on it */
	c->end_line = *line - (p > text && p[-1] == '\n' && *line > c->line);
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
				tmp.depth = st->depth;
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
			} else if (is_marker(s, n)) {
				struct mc_call tmp;

				memset(&tmp, 0, sizeof(tmp));
				tmp.line = tmp.end_line = line;
				tmp.depth = st->depth;
				if ((tmp.name = strndup(s, n)) == NULL ||
				    (tmp.file = strdup(st->file)) == NULL) {
					mc_call_clear(&tmp);
					return -1;
				}
				if (mc_record(st, &tmp) < 0)
					return -1;
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

const struct mc_call *
mc_first(const struct sendmail_mc *mc, const char *name)
{
	size_t i;

	for (i = 0; i < mc->ncalls; i++)
		if (mc->calls[i].depth == 0 &&
		    strcmp(mc->calls[i].name, name) == 0)
			return &mc->calls[i];
	return NULL;
}

const struct mc_call *
mc_unclosed(const struct sendmail_mc *mc)
{
	size_t i;

	for (i = 0; i < mc->ncalls; i++)
		if (mc->calls[i].unclosed)
			return &mc->calls[i];
	return NULL;
}

/* ------------------------------------------------------------ m4's stderr */

void
m4_msgs_free(struct m4_msgs *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].file);
		free(m->v[i].text);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* "m4:FILE:LINE: text" (GNU m4): the place, and where the text starts;
 * the first ":DIGITS: " after "m4:" ends FILE. */
static bool
m4_place(const char *l, size_t n, size_t *fs, size_t *fn, unsigned *line,
    size_t *ts)
{
	size_t i, j;
	unsigned long v;

	if (n < 4 || strncmp(l, "m4:", 3) != 0)
		return false;
	for (i = 3; i < n; i++) {
		if (l[i] != ':')
			continue;
		for (j = i + 1, v = 0; j < n && ch_digit(l[j]); j++)
			if (v < 100000000)
				v = v * 10 + (unsigned long)(l[j] - '0');
		if (j == i + 1 || j + 1 >= n || l[j] != ':' || l[j + 1] != ' ')
			continue;
		*fs = 3;
		*fn = i - 3;
		*line = (unsigned)v;
		*ts = j + 2;
		return true;
	}
	return false;
}

int
m4_msgs_parse(const char *text, struct m4_msgs *out)
{
	const char *p = text;

	memset(out, 0, sizeof(*out));
	while (*p) {
		size_t n = strcspn(p, "\n"), fs = 0, fn = 0, ts = 0, tn;
		unsigned line = 0;
		struct m4_msg *m;
		bool placed, m4own;
		const char *t;

		while (n > 0 && (p[n - 1] == '\r' || ch_blank(p[n - 1])))
			n--;
		placed = m4_place(p, n, &fs, &fn, &line, &ts);
		m4own = placed || (n >= 3 && strncmp(p, "m4:", 3) == 0);
		if (!placed && m4own)
			ts = 3;
		t = p + ts;
		tn = n - ts;
		while (tn > 0 && ch_blank(*t)) {
			t++;
			tn--;
		}
		if (tn >= 4 && strncmp(t, "*** ", 4) == 0) {
			t += 4;
			tn -= 4;
		}
		if (tn > 0) {
			if (ARR_PUSH(out->v, out->n, m) < 0)
				goto nomem;
			memset(m, 0, sizeof(*m));
			m->line = line;
			if (tn >= 8 && strncmp(t, "WARNING:", 8) == 0)
				m->kind = M4_WARNING;
			else if ((tn >= 6 && strncmp(t, "ERROR:", 6) == 0) ||
			    m4own)
				m->kind = M4_ERROR;
			else
				m->kind = M4_OTHER;
			if ((m->text = strndup(t, tn)) == NULL ||
			    (placed && fn > 0 &&
			    (m->file = strndup(p + fs, fn)) == NULL))
				goto nomem;
		}
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	return 0;
nomem:
	m4_msgs_free(out);
	return -1;
}
