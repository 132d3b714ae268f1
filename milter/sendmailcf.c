/*
 * sendmailcf.c - parsers for sendmail.cf, sendmail.mc, `sendmail -d0.1`
 *	and mailq output
 *
 * CONTRACT
 *	See include/sendmailcf.h. Pure: text in, structures out; no I/O.
 *	Allocation failures return -1 and leave the output empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sendmailcf.h"

/* ------------------------------------------------------------ helpers */

static bool
is_sp(int c)
{
	return c == ' ' || c == '\t';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Make room for element n of an array whose capacity is the next power of
 * two at or above its length. Returns the (possibly moved) array or NULL.
 */
static void *
arr_grow(void *arr, size_t n, size_t size)
{
	size_t cap;

	if ((n & (n - 1)) != 0 && arr != NULL)
		return arr;		/* capacity is already > n */
	cap = n ? n * 2 : 1;
	if (cap > ((size_t)-1) / size)
		return NULL;
	return realloc(arr, cap * size);
}

/* Append a zeroed element to arr[0..n); out points to it. 0 or -1. */
#define PUSH(arr, n, out)						\
	(((out) = arr_grow((arr), (n), sizeof(*(arr)))) == NULL ? -1 :	\
	    ((arr) = (out), (out) = &(arr)[(n)++],			\
	    memset((out), 0, sizeof(*(out))), 0))

static char *
dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Copy of s[0..n) without leading and trailing blanks. */
static char *
dup_trim(const char *s, size_t n)
{
	while (n > 0 && (is_sp(*s) || *s == '\r' || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (is_sp(s[n - 1]) || s[n - 1] == '\r' ||
	    s[n - 1] == '\n'))
		n--;
	return dupn(s, n);
}

static void
kv_free(struct cf_kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static int
kv_add(struct cf_kv **v, size_t *n, const char *name, size_t nlen,
    const char *value, size_t vlen, unsigned line)
{
	struct cf_kv *kv;
	char *a, *b = NULL;

	if ((a = dup_trim(name, nlen)) == NULL)
		return -1;
	if (value != NULL && (b = dup_trim(value, vlen)) == NULL) {
		free(a);
		return -1;
	}
	if (PUSH(*v, *n, kv) < 0) {
		free(a);
		free(b);
		return -1;
	}
	kv->name = a;
	kv->value = b;
	kv->line = line;
	return 0;
}

/* ------------------------------------------------------------ sendmail.cf */

void
cf_free(struct sendmail_cf *cf)
{
	size_t i;

	kv_free(cf->macros, cf->nmacros);
	kv_free(cf->options, cf->noptions);
	for (i = 0; i < cf->nmailers; i++) {
		free(cf->mailers[i].name);
		kv_free(cf->mailers[i].fields, cf->mailers[i].nfields);
	}
	free(cf->mailers);
	for (i = 0; i < cf->nmilters; i++) {
		free(cf->milters[i].name);
		free(cf->milters[i].socket);
		free(cf->milters[i].flags);
		free(cf->milters[i].timeouts);
	}
	free(cf->milters);
	for (i = 0; i < cf->nmaps; i++) {
		free(cf->maps[i].name);
		free(cf->maps[i].type);
		free(cf->maps[i].file);
		free(cf->maps[i].args);
	}
	free(cf->maps);
	kv_free(cf->class_w, cf->nclass_w);
	for (i = 0; i < cf->nclass_w_files; i++) {
		free(cf->class_w_files[i].path);
		free(cf->class_w_files[i].format);
	}
	free(cf->class_w_files);
	kv_free(cf->features, cf->nfeatures);
	free(cf->skipped);
	memset(cf, 0, sizeof(*cf));
}

static int
skip_line(struct sendmail_cf *cf, unsigned line)
{
	unsigned *u;

	if (PUSH(cf->skipped, cf->nskipped, u) < 0)
		return -1;
	*u = line;
	return 0;
}

/*
 * Split "name, X=v, Y="v,w", Z=v" after the name into fields the way
 * sendmail's munchstring does: commas outside double quotes separate,
 * a backslash protects the next character. Each field is stored under
 * the first letter of its key.
 */
static int
split_fields(const char *p, struct cf_kv **fields, size_t *nfields,
    unsigned line)
{
	while (*p) {
		const char *key, *val, *end;
		bool q = false;

		while (*p == ',' || is_sp(*p))
			p++;
		if (*p == '\0')
			break;
		key = p;
		while (*p && *p != '=' && *p != ',')
			p++;
		if (*p != '=') {
			/* a field without '=': sendmail refuses it; skip */
			continue;
		}
		p++;
		while (is_sp(*p))
			p++;
		val = p;
		for (; *p; p++) {
			if (*p == '\\' && p[1] != '\0') {
				p++;
				continue;
			}
			if (*p == '"')
				q = !q;
			else if (*p == ',' && !q)
				break;
		}
		end = p;
		/* drop quotes around the whole value */
		if (end - val >= 2 && *val == '"' && end[-1] == '"') {
			val++;
			end--;
		}
		if (kv_add(fields, nfields, key, 1, val, (size_t)(end - val),
		    line) < 0)
			return -1;
	}
	return 0;
}

/* Macro or class name after the command letter: "S" or "{name}". */
static size_t
name_len(const char *p, const char **name, size_t *nlen)
{
	if (*p == '{') {
		const char *e = strchr(p, '}');

		if (e == NULL || e == p + 1)
			return 0;
		*name = p + 1;
		*nlen = (size_t)(e - p - 1);
		return (size_t)(e - p + 1);
	}
	if (*p == '\0' || is_sp(*p))
		return 0;
	*name = p;
	*nlen = 1;
	return 1;
}

static int
parse_mailer(struct sendmail_cf *cf, const char *p, unsigned line)
{
	struct cf_mailer *m;
	size_t n = strcspn(p, ", \t");

	if (n == 0)
		return skip_line(cf, line);
	if (PUSH(cf->mailers, cf->nmailers, m) < 0)
		return -1;
	m->line = line;
	if ((m->name = dupn(p, n)) == NULL)
		return -1;
	return split_fields(p + n, &m->fields, &m->nfields, line);
}

static int
parse_milter(struct sendmail_cf *cf, const char *p, unsigned line)
{
	struct cf_kv *f = NULL;
	struct cf_milter *x;
	size_t n = strcspn(p, ", \t"), nf = 0, i;
	int rc = -1;

	if (n == 0)
		return skip_line(cf, line);
	if (split_fields(p + n, &f, &nf, line) < 0)
		goto out;
	if (PUSH(cf->milters, cf->nmilters, x) < 0)
		goto out;
	x->line = line;
	if ((x->name = dupn(p, n)) == NULL)
		goto out;
	for (i = 0; i < nf; i++) {
		char **dst = NULL;

		switch (f[i].name[0]) {
		case 'S': dst = &x->socket; break;
		case 'F': dst = &x->flags; break;
		case 'T': dst = &x->timeouts; break;
		default: break;
		}
		if (dst != NULL) {
			free(*dst);
			*dst = f[i].value;
			f[i].value = NULL;
		}
	}
	rc = 0;
out:
	kv_free(f, nf);
	return rc;
}

static int
parse_map(struct sendmail_cf *cf, const char *p, unsigned line)
{
	struct cf_map *m;
	const char *t, *a;
	size_t n = strcspn(p, " \t"), tn;

	if (n == 0)
		return skip_line(cf, line);
	t = p + n;
	while (is_sp(*t))
		t++;
	tn = strcspn(t, " \t");
	if (tn == 0)
		return skip_line(cf, line);
	if (PUSH(cf->maps, cf->nmaps, m) < 0)
		return -1;
	m->line = line;
	if ((m->name = dupn(p, n)) == NULL || (m->type = dupn(t, tn)) == NULL)
		return -1;
	a = t + tn;
	if ((m->args = dup_trim(a, strlen(a))) == NULL)
		return -1;
	while (*a) {
		size_t w;

		while (is_sp(*a))
			a++;
		w = strcspn(a, " \t");
		if (w == 0)
			break;
		if (a[0] == '-') {
			if (w == 2 && a[1] == 'o')
				m->optional = true;
		} else if (m->file == NULL) {
			if ((m->file = dupn(a, w)) == NULL)
				return -1;
		}
		a += w;
	}
	return 0;
}

static int
add_class_words(struct sendmail_cf *cf, const char *p, unsigned line)
{
	while (*p) {
		size_t w;

		while (is_sp(*p))
			p++;
		w = strcspn(p, " \t");
		if (w == 0)
			break;
		if (kv_add(&cf->class_w, &cf->nclass_w, p, w, NULL, 0,
		    line) < 0)
			return -1;
		p += w;
	}
	return 0;
}

static int
add_class_file(struct sendmail_cf *cf, const char *p, unsigned line)
{
	struct cf_classfile *f;
	size_t w;

	while (is_sp(*p))
		p++;
	if (PUSH(cf->class_w_files, cf->nclass_w_files, f) < 0)
		return -1;
	f->line = line;
	if (p[0] == '-' && p[1] == 'o' && (is_sp(p[2]) || p[2] == '/')) {
		f->optional = true;
		p += 2;
		while (is_sp(*p))
			p++;
	}
	w = strcspn(p, " \t");
	if ((f->path = dupn(p, w)) == NULL)
		return -1;
	p += w;
	while (is_sp(*p))
		p++;
	if (*p != '\0' && (f->format = dup_trim(p, strlen(p))) == NULL)
		return -1;
	return 0;
}

/* "#####  $Id: masquerade_envelope.m4,v 8.10 ..." banners, any number. */
static int
parse_banner(struct sendmail_cf *cf, const char *p, unsigned line)
{
	while ((p = strstr(p, "$Id: ")) != NULL) {
		const char *s = p + 5, *e = s;

		while (is_alpha(*e) || is_digit(*e) || *e == '_' || *e == '-' ||
		    *e == '.')
			e++;
		if (e - s > 3 && strncmp(e - 3, ".m4", 3) == 0 &&
		    kv_add(&cf->features, &cf->nfeatures, s,
		    (size_t)(e - s - 3), NULL, 0, line) < 0)
			return -1;
		p = e;
	}
	return 0;
}

static int
cf_line(struct sendmail_cf *cf, const char *l, unsigned line, char *ruleset,
    size_t rslen)
{
	const char *name, *p;
	size_t nlen, k;

	switch (l[0]) {
	case '\0':
		return 0;
	case '#':
		return parse_banner(cf, l, line);
	case 'D':
		if ((k = name_len(l + 1, &name, &nlen)) == 0)
			return skip_line(cf, line);
		p = l + 1 + k;
		return kv_add(&cf->macros, &cf->nmacros, name, nlen, p,
		    strlen(p), line);
	case 'O':
		if (l[1] == '\0')
			return skip_line(cf, line);
		if (!is_sp(l[1]))
			return 0;	/* one-letter form: not used by checks */
		p = l + 1;
		while (is_sp(*p))
			p++;
		nlen = strcspn(p, "= \t");
		if (nlen == 0)
			return skip_line(cf, line);
		name = p;
		p += nlen;
		while (is_sp(*p))
			p++;
		if (*p == '=')
			p++;
		return kv_add(&cf->options, &cf->noptions, name, nlen, p,
		    strlen(p), line);
	case 'M':
		return parse_mailer(cf, l + 1, line);
	case 'X':
		return parse_milter(cf, l + 1, line);
	case 'K':
		return parse_map(cf, l + 1, line);
	case 'C':
	case 'F':
		if ((k = name_len(l + 1, &name, &nlen)) == 0)
			return skip_line(cf, line);
		if (nlen != 1 || name[0] != 'w')
			return 0;
		if (l[0] == 'C')
			return add_class_words(cf, l + 1 + k, line);
		return add_class_file(cf, l + 1 + k, line);
	case 'S':
		p = l + 1;
		while (is_sp(*p))
			p++;
		nlen = strcspn(p, "= \t");
		if (nlen >= rslen)
			nlen = 0;	/* too long for a ruleset we track */
		memcpy(ruleset, p, nlen);
		ruleset[nlen] = '\0';
		return 0;
	case 'R':
		if (strcmp(ruleset, "MasqEnv") == 0 && !cf->masq_envelope &&
		    (strstr(l, "$>MasqHdr") != NULL ||
		    strstr(l, "$>93") != NULL)) {
			cf->masq_envelope = true;
			cf->masq_envelope_line = line;
		}
		return 0;
	default:
		/* V, P, H, T, E, Q, L, G lines: not needed */
		return 0;
	}
}

int
cf_parse(const char *text, struct sendmail_cf *cf, strbuf *err)
{
	const char *p = text;
	strbuf cur;
	unsigned line = 0, start = 0;
	char ruleset[32] = "";
	int rc = 0;

	memset(cf, 0, sizeof(*cf));
	sb_init(&cur);
	while (*p || cur.len > 0) {
		const char *nl = *p ? strchr(p, '\n') : NULL;
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool cont;

		if (*p == '\0') {
			/* flush the last logical line */
			rc = cf_line(cf, cur.s, start, ruleset, sizeof(ruleset));
			sb_reset(&cur);
			if (rc < 0)
				break;
			continue;
		}
		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		cont = n > 0 && is_sp(p[0]) && cur.len > 0 && cur.s[0] != '#';
		if (cont) {
			sb_append(&cur, p, n);
		} else {
			if (cur.len > 0 &&
			    (rc = cf_line(cf, cur.s, start, ruleset,
			    sizeof(ruleset))) < 0)
				break;
			sb_reset(&cur);
			start = line;
			sb_append(&cur, p, n);
		}
		if (cur.err) {
			rc = -1;
			break;
		}
		p += n;
		if (*p == '\r')
			p++;
		if (*p == '\n')
			p++;
	}
	sb_free(&cur);
	if (rc < 0) {
		cf_free(cf);
		if (err != NULL)
			sb_printf(err, "out of memory reading sendmail.cf");
		return -1;
	}
	return 0;
}

static const struct cf_kv *
kv_find(const struct cf_kv *v, size_t n, const char *name, bool icase)
{
	size_t i;

	/* the last definition wins, as when sendmail reads the file */
	for (i = n; i > 0; i--)
		if (icase ? str_ieq(v[i - 1].name, name) :
		    strcmp(v[i - 1].name, name) == 0)
			return &v[i - 1];
	return NULL;
}

const struct cf_kv *
cf_macro(const struct sendmail_cf *cf, const char *name)
{
	return kv_find(cf->macros, cf->nmacros, name, false);
}

const struct cf_kv *
cf_option(const struct sendmail_cf *cf, const char *name)
{
	return kv_find(cf->options, cf->noptions, name, true);
}

const struct cf_kv *
cf_feature(const struct sendmail_cf *cf, const char *name)
{
	return kv_find(cf->features, cf->nfeatures, name, false);
}

size_t
cf_options_all(const struct sendmail_cf *cf, const char *name,
    const struct cf_kv **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < cf->noptions; i++) {
		if (!str_ieq(cf->options[i].name, name))
			continue;
		if (n < max)
			out[n] = &cf->options[i];
		n++;
	}
	return n;
}

const struct cf_mailer *
cf_mailer(const struct sendmail_cf *cf, const char *name)
{
	size_t i;

	for (i = cf->nmailers; i > 0; i--)
		if (strcmp(cf->mailers[i - 1].name, name) == 0)
			return &cf->mailers[i - 1];
	return NULL;
}

const char *
cf_mailer_field(const struct cf_mailer *m, char code)
{
	size_t i;

	for (i = m->nfields; i > 0; i--)
		if (m->fields[i - 1].name[0] == code)
			return m->fields[i - 1].value;
	return NULL;
}

const struct cf_map *
cf_map(const struct sendmail_cf *cf, const char *name)
{
	size_t i;

	for (i = cf->nmaps; i > 0; i--)
		if (strcmp(cf->maps[i - 1].name, name) == 0)
			return &cf->maps[i - 1];
	return NULL;
}

const struct cf_milter *
cf_milter(const struct sendmail_cf *cf, const char *name)
{
	size_t i;

	for (i = cf->nmilters; i > 0; i--)
		if (strcmp(cf->milters[i - 1].name, name) == 0)
			return &cf->milters[i - 1];
	return NULL;
}

int
cf_port_number(const char *s)
{
	unsigned long v;

	if (s == NULL)
		return -1;
	if (str_ieq(s, "smtp"))
		return 25;
	if (str_ieq(s, "submission"))
		return 587;
	if (str_ieq(s, "smtps") || str_ieq(s, "submissions"))
		return 465;
	if (parse_uint(s, 65535, &v) < 0 || v == 0)
		return -1;
	return (int)v;
}

void
cf_smarthost_free(struct cf_smarthost *sh)
{
	free(sh->raw);
	free(sh->mailer);
	free(sh->host);
	free(sh->ignored);
	memset(sh, 0, sizeof(*sh));
}

/* Port of a mailer: A=TCP $h PORT or A=IPC $h PORT; 25 without PORT. */
static int
mailer_port(const struct cf_mailer *m)
{
	const char *a = cf_mailer_field(m, 'A');
	char *copy, *cur, *w[4] = { NULL, NULL, NULL, NULL };
	int i = 0, port;

	if (a == NULL || (copy = strdup(a)) == NULL)
		return 0;
	cur = copy;
	while (i < 4 && (w[i] = str_token(&cur)) != NULL)
		i++;
	if (w[0] == NULL || (!str_ieq(w[0], "TCP") && !str_ieq(w[0], "IPC")))
		port = 0;
	else if (w[2] == NULL)
		port = 25;
	else if ((port = cf_port_number(w[2])) < 0)
		port = 0;
	free(copy);
	return port;
}

int
cf_smarthost(const struct sendmail_cf *cf, struct cf_smarthost *sh)
{
	const struct cf_kv *ds = cf_macro(cf, "S");
	const struct cf_mailer *m;
	const char *v, *colon, *h, *e;
	size_t hn;

	memset(sh, 0, sizeof(*sh));
	if ((sh->raw = strdup(ds ? ds->value : "")) == NULL)
		goto nomem;
	sh->line = ds ? ds->line : 0;
	v = sh->raw;
	while (is_sp(*v))
		v++;
	if (*v == '\0')
		return 1;
	/* "mailer:host"; a leading '[' means no mailer part */
	colon = *v != '[' ? strchr(v, ':') : NULL;
	if (colon != NULL) {
		if ((sh->mailer = dupn(v, (size_t)(colon - v))) == NULL)
			goto nomem;
		v = colon + 1;
	} else if ((sh->mailer = strdup("relay")) == NULL)
		goto nomem;
	if (*v == '[' && (e = strchr(v, ']')) != NULL) {
		sh->bracketed = true;
		h = v + 1;
		hn = (size_t)(e - h);
		if (e[1] != '\0' && (sh->ignored = strdup(e + 1)) == NULL)
			goto nomem;
	} else {
		h = v;
		hn = strcspn(v, " \t");
	}
	while (hn > 0 && h[hn - 1] == '.')
		hn--;
	if ((sh->host = dupn(h, hn)) == NULL)
		goto nomem;
	if ((m = cf_mailer(cf, sh->mailer)) != NULL) {
		sh->mailer_line = m->line;
		sh->port = mailer_port(m);
	}
	return *sh->host ? 0 : 1;
nomem:
	cf_smarthost_free(sh);
	return -1;
}

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
	return is_alpha(c) || is_digit(c) || c == '_';
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

	if (arg->err || (s = dup_trim(arg->s, arg->len)) == NULL)
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
		if (lead && (is_sp(ch) || ch == '\n' || ch == '\r'))
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

	if (PUSH(st->mc->calls, st->mc->ncalls, c) < 0) {
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
		if (is_ident((unsigned char)*p) && !is_digit(*p)) {
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
				    (tmp.name = dupn(s, n)) == NULL ||
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

/* ------------------------------------------------------- sendmail -d0.1 */

void
sendmail_info_free(struct sendmail_info *si)
{
	size_t i;

	for (i = 0; i < si->ncompiled; i++)
		free(si->compiled[i]);
	free(si->compiled);
	free(si->version);
	free(si->canon_host);
	memset(si, 0, sizeof(*si));
}

int
sendmail_info_parse(const char *text, struct sendmail_info *si)
{
	const char *p = text;
	bool in_compiled = false;

	memset(si, 0, sizeof(*si));
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *l = p, *e = p + n, *q;

		p = *e ? e + 1 : e;
		while (l < e && is_sp(*l))
			l++;
		if (l == e || (e > l && e[-1] == '\r' && e - 1 == l)) {
			in_compiled = false;
			continue;
		}
		if (strncmp(l, "Version ", 8) == 0 && si->version == NULL) {
			if ((si->version = dup_trim(l + 8,
			    (size_t)(e - l - 8))) == NULL)
				goto nomem;
			continue;
		}
		if (strncmp(l, "Compiled with:", 14) == 0) {
			in_compiled = true;
			l += 14;
		} else if ((q = strstr(l, "$j = ")) != NULL && q < e) {
			free(si->canon_host);
			if ((si->canon_host = dup_trim(q + 5,
			    (size_t)(e - q - 5))) == NULL)
				goto nomem;
			continue;
		} else if (strncmp(l, "WARNING: local host name", 24) == 0) {
			si->unqualified_warning = true;
			continue;
		} else if (!in_compiled)
			continue;
		while (l < e) {
			size_t w;
			char **nv, *s;

			while (l < e && (is_sp(*l) || *l == '\r'))
				l++;
			w = 0;
			while (l + w < e && !is_sp(l[w]) && l[w] != '\r')
				w++;
			if (w == 0)
				break;
			if ((s = dupn(l, w)) == NULL)
				goto nomem;
			nv = realloc(si->compiled,
			    (si->ncompiled + 1) * sizeof(*nv));
			if (nv == NULL) {
				free(s);
				goto nomem;
			}
			nv[si->ncompiled++] = s;
			si->compiled = nv;
			l += w;
		}
	}
	return 0;
nomem:
	sendmail_info_free(si);
	return -1;
}

bool
sendmail_compiled_with(const struct sendmail_info *si, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < si->ncompiled; i++) {
		const char *c = si->compiled[i];

		if (strcmp(c, name) == 0 ||
		    (strncmp(c, name, n) == 0 && c[n] == '='))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ mailq */

static void
mailq_entry_free(struct mailq_entry *e)
{
	size_t j;

	free(e->qid);
	free(e->qtime);
	free(e->sender);
	free(e->bodytype);
	free(e->error);
	for (j = 0; j < e->nrcpts; j++)
		free(e->rcpts[j]);
	free(e->rcpts);
	memset(e, 0, sizeof(*e));
}

void
mailq_free(struct mailq *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		mailq_entry_free(&q->v[i]);
	free(q->v);
	memset(q, 0, sizeof(*q));
}

static int
month_index(const char *m)
{
	static const char *names[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int i;

	for (i = 0; i < 12; i++)
		if (strncmp(m, names[i], 3) == 0)
			return i;
	return -1;
}

/* "Sat Nov 21 08:56" -> time in local time, year taken from now. */
static time_t
qtime_parse(const char *s, time_t now)
{
	struct tm tm, nowtm;
	int mon, day, hh, mm;
	time_t t;

	if (strlen(s) != 16 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' ||
	    s[13] != ':')
		return 0;
	if ((mon = month_index(s + 4)) < 0)
		return 0;
	if (!(is_digit(s[9]) && (is_digit(s[8]) || s[8] == ' ')) ||
	    !is_digit(s[11]) || !is_digit(s[12]) || !is_digit(s[14]) ||
	    !is_digit(s[15]))
		return 0;
	day = (s[8] == ' ' ? 0 : s[8] - '0') * 10 + (s[9] - '0');
	hh = (s[11] - '0') * 10 + (s[12] - '0');
	mm = (s[14] - '0') * 10 + (s[15] - '0');
	if (day < 1 || day > 31 || hh > 23 || mm > 59)
		return 0;
	if (localtime_r(&now, &nowtm) == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = nowtm.tm_year;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t != (time_t)-1 && t > now + 86400) {
		/* printed without a year: it was last year */
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = nowtm.tm_year - 1;
		tm.tm_mon = mon;
		tm.tm_mday = day;
		tm.tm_hour = hh;
		tm.tm_min = mm;
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	return t == (time_t)-1 ? 0 : t;
}

static bool
is_qid_char(int c)
{
	return is_alpha(c) || is_digit(c);
}

/*
 * Try to read an entry line "QID[mark] SIZE Day Mon DD HH:MM sender".
 * Returns 1 when it is one (e filled), 0 when not, -1 on ENOMEM.
 */
static int
mailq_entry_line(const char *l, size_t n, time_t now, struct mailq_entry *e)
{
	const char *p = l, *end = l + n, *q, *t;
	char mark = ' ', tbuf[17], *endp;
	size_t qn;
	long size;

	while (p < end && is_sp(*p))
		p++;
	q = p;
	while (p < end && is_qid_char(*p))
		p++;
	qn = (size_t)(p - q);
	if (qn < 6 || qn > 32)
		return 0;
	if (p < end && (*p == '*' || *p == 'X' || *p == '-' || *p == '?'))
		mark = *p++;
	if (p >= end || !is_sp(*p))
		return 0;
	while (p < end && is_sp(*p))
		p++;
	if (p >= end || !(is_digit(*p) || *p == '-'))
		return 0;
	errno = 0;
	size = strtol(p, &endp, 10);
	if (errno != 0 || endp == p || endp >= end || !is_sp(*endp))
		return 0;
	p = endp;
	while (p < end && is_sp(*p))
		p++;
	if (end - p < 16)
		return 0;
	memcpy(tbuf, p, 16);
	tbuf[16] = '\0';
	if (tbuf[3] != ' ' || tbuf[7] != ' ' || tbuf[13] != ':' ||
	    month_index(tbuf + 4) < 0)
		return 0;
	t = p + 16;
	while (t < end && is_sp(*t))
		t++;
	memset(e, 0, sizeof(*e));
	e->mark = mark;
	e->size = size;
	e->when = qtime_parse(tbuf, now);
	if ((e->qid = dupn(q, qn)) == NULL ||
	    (e->qtime = strdup(tbuf)) == NULL ||
	    (e->sender = dup_trim(t, (size_t)(end - t))) == NULL) {
		free(e->qid);
		free(e->qtime);
		free(e->sender);
		memset(e, 0, sizeof(*e));
		return -1;
	}
	return 1;
}

static int
mailq_detail(struct mailq_entry *e, const char *l, size_t n)
{
	const char *p = l, *end = l + n, *open, *close;
	bool tab = n > 0 && l[0] == '\t';
	char **nv, *s;

	while (p < end && (is_sp(*p) || *p == '\r'))
		p++;
	while (end > p && (is_sp(end[-1]) || end[-1] == '\r'))
		end--;
	if (p == end)
		return 0;
	if (!tab && end[-1] == ')' &&
	    (open = memchr(p, '(', (size_t)(end - p))) != NULL) {
		/* "    8BITMIME   (Deferred: ...)" or "(Deferred: ...)" */
		close = end - 1;
		if (open > p && e->bodytype == NULL &&
		    (e->bodytype = dup_trim(p, (size_t)(open - p))) == NULL)
			return -1;
		if (open + 1 <= close) {
			free(e->error);
			if ((e->error = dup_trim(open + 1,
			    (size_t)(close - open - 1))) == NULL)
				return -1;
		}
		return 0;
	}
	if (!tab && (end - p == 4 || end - p == 8 || end - p == 10) &&
	    (strncmp(p, "7BIT", 4) == 0 || strncmp(p, "8BITMIME", 8) == 0 ||
	    strncmp(p, "BINARYMIME", 10) == 0)) {
		if (e->bodytype == NULL &&
		    (e->bodytype = dupn(p, (size_t)(end - p))) == NULL)
			return -1;
		return 0;
	}
	if (strncmp(p, "QUARANTINE:", 11) == 0 ||
	    strncmp(p, "(---", 4) == 0)
		return 0;
	if ((s = dupn(p, (size_t)(end - p))) == NULL)
		return -1;
	if ((nv = realloc(e->rcpts, (e->nrcpts + 1) * sizeof(*nv))) == NULL) {
		free(s);
		return -1;
	}
	nv[e->nrcpts++] = s;
	e->rcpts = nv;
	return 0;
}

int
mailq_parse(const char *text, time_t now, struct mailq *q)
{
	const char *p = text;
	struct mailq_entry *cur = NULL;

	memset(q, 0, sizeof(*q));
	q->total = -1;
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *l = p, *t;
		struct mailq_entry e;
		int rc;

		p += n;
		if (*p == '\n')
			p++;
		t = l;
		while (t < l + n && is_sp(*t))
			t++;
		if (t == l + n)
			continue;
		if (strncmp(t, "Total requests:", 15) == 0 ||
		    strncmp(t, "-----Q-ID", 9) == 0 ||
		    strncmp(t, "----Q-ID", 8) == 0 ||
		    strncmp(t, "MSP Queue status", 16) == 0 ||
		    strncmp(t, "MTA Queue status", 16) == 0 ||
		    strncmp(t, "Mail queue is empty", 19) == 0) {
			cur = NULL;
			continue;
		}
		/* "/var/spool/mqueue is empty" and "\t\t/dir (N requests)" */
		if (*t == '/') {
			const char *s = memchr(t, '(', (size_t)(l + n - t));
			const char *em = strstr(t, " is empty");
			unsigned long v;
			char num[24];
			size_t d;

			cur = NULL;
			if (em != NULL && em < l + n) {
				if (q->total < 0)
					q->total = 0;
				continue;
			}
			if (s != NULL) {
				s++;
				d = 0;
				while (s + d < l + n && is_digit(s[d]))
					d++;
				if (d > 0 && d < sizeof(num)) {
					memcpy(num, s, d);
					num[d] = '\0';
					if (parse_uint(num, 1000000000UL,
					    &v) == 0) {
						if (q->total < 0)
							q->total = 0;
						q->total += (long)v;
						continue;
					}
				}
			}
			q->nskipped++;
			continue;
		}
		rc = mailq_entry_line(l, n, now, &e);
		if (rc < 0)
			goto nomem;
		if (rc == 1) {
			struct mailq_entry *ne;

			if (PUSH(q->v, q->n, ne) < 0) {
				mailq_entry_free(&e);
				goto nomem;
			}
			*ne = e;
			cur = ne;
			continue;
		}
		if (cur == NULL) {
			q->nskipped++;
			continue;
		}
		if (mailq_detail(cur, l, n) < 0)
			goto nomem;
	}
	return 0;
nomem:
	mailq_free(q);
	return -1;
}
