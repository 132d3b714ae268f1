/*
 * sendmailcf.c - parser for sendmail.cf
 *
 * CONTRACT
 *	See sendmailcf.h. Pure: text in, structures out; no I/O.
 *	Allocation failures return -1 and leave the output empty.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sendmailcf.h"
#include "util.h"

static void
cf_kv_free(struct cf_kv *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

static int
cf_kv_add(struct cf_kv **v, size_t *n, const char *name, size_t nlen,
    const char *value, size_t vlen, unsigned line)
{
	struct cf_kv *kv;
	char *a, *b = NULL;

	if ((a = strndup_trim(name, nlen)) == NULL)
		return -1;
	if (value != NULL && (b = strndup_trim(value, vlen)) == NULL) {
		free(a);
		return -1;
	}
	if (ARR_PUSH(*v, *n, kv) < 0) {
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

	cf_kv_free(cf->macros, cf->nmacros);
	cf_kv_free(cf->options, cf->noptions);
	for (i = 0; i < cf->nmailers; i++) {
		free(cf->mailers[i].name);
		cf_kv_free(cf->mailers[i].fields, cf->mailers[i].nfields);
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
	cf_kv_free(cf->class_w, cf->nclass_w);
	for (i = 0; i < cf->nclass_w_files; i++) {
		free(cf->class_w_files[i].path);
		free(cf->class_w_files[i].format);
	}
	free(cf->class_w_files);
	cf_kv_free(cf->features, cf->nfeatures);
	cf_kv_free(cf->rulesets, cf->nrulesets);
	free(cf->skipped);
	memset(cf, 0, sizeof(*cf));
}

static int
skip_line(struct sendmail_cf *cf, unsigned line)
{
	unsigned *u;

	if (ARR_PUSH(cf->skipped, cf->nskipped, u) < 0)
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

		while (*p == ',' || ch_blank(*p))
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
		while (ch_blank(*p))
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
		if (cf_kv_add(fields, nfields, key, 1, val, (size_t)(end - val),
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
	if (*p == '\0' || ch_blank(*p))
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
	if (ARR_PUSH(cf->mailers, cf->nmailers, m) < 0)
		return -1;
	m->line = line;
	if ((m->name = strndup(p, n)) == NULL)
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
	if (ARR_PUSH(cf->milters, cf->nmilters, x) < 0)
		goto out;
	x->line = line;
	if ((x->name = strndup(p, n)) == NULL)
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
	cf_kv_free(f, nf);
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
	while (ch_blank(*t))
		t++;
	tn = strcspn(t, " \t");
	if (tn == 0)
		return skip_line(cf, line);
	if (ARR_PUSH(cf->maps, cf->nmaps, m) < 0)
		return -1;
	m->line = line;
	if ((m->name = strndup(p, n)) == NULL || (m->type = strndup(t, tn)) == NULL)
		return -1;
	a = t + tn;
	if ((m->args = strndup_trim(a, strlen(a))) == NULL)
		return -1;
	while (*a) {
		size_t w;

		while (ch_blank(*a))
			a++;
		w = strcspn(a, " \t");
		if (w == 0)
			break;
		if (a[0] == '-') {
			if (w == 2 && a[1] == 'o')
				m->optional = true;
		} else if (m->file == NULL) {
			if ((m->file = strndup(a, w)) == NULL)
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

		while (ch_blank(*p))
			p++;
		w = strcspn(p, " \t");
		if (w == 0)
			break;
		if (cf_kv_add(&cf->class_w, &cf->nclass_w, p, w, NULL, 0,
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

	while (ch_blank(*p))
		p++;
	if (ARR_PUSH(cf->class_w_files, cf->nclass_w_files, f) < 0)
		return -1;
	f->line = line;
	if (p[0] == '-' && p[1] == 'o' && (ch_blank(p[2]) || p[2] == '/')) {
		f->optional = true;
		p += 2;
		while (ch_blank(*p))
			p++;
	}
	w = strcspn(p, " \t");
	if ((f->path = strndup(p, w)) == NULL)
		return -1;
	p += w;
	while (ch_blank(*p))
		p++;
	if (*p != '\0' && (f->format = strndup_trim(p, strlen(p))) == NULL)
		return -1;
	return 0;
}

/* "#####  $Id: masquerade_envelope.m4,v 8.10 ..." banners, any number. */
static int
parse_banner(struct sendmail_cf *cf, const char *p, unsigned line)
{
	while ((p = strstr(p, "$Id: ")) != NULL) {
		const char *s = p + 5, *e = s;

		while (ch_alpha(*e) || ch_digit(*e) || *e == '_' || *e == '-' ||
		    *e == '.')
			e++;
		if (e - s > 3 && strncmp(e - 3, ".m4", 3) == 0 &&
		    cf_kv_add(&cf->features, &cf->nfeatures, s,
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
		return cf_kv_add(&cf->macros, &cf->nmacros, name, nlen, p,
		    strlen(p), line);
	case 'O':
		if (l[1] == '\0')
			return skip_line(cf, line);
		if (!ch_blank(l[1]))
			return 0;	/* one-letter form: not used by checks */
		p = l + 1;
		while (ch_blank(*p))
			p++;
		nlen = strcspn(p, "= \t");
		if (nlen == 0)
			return skip_line(cf, line);
		name = p;
		p += nlen;
		while (ch_blank(*p))
			p++;
		if (*p == '=')
			p++;
		return cf_kv_add(&cf->options, &cf->noptions, name, nlen, p,
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
		while (ch_blank(*p))
			p++;
		nlen = strcspn(p, "= \t");
		if (nlen >= rslen)
			nlen = 0;	/* too long for a ruleset we track */
		memcpy(ruleset, p, nlen);
		ruleset[nlen] = '\0';
		nlen = strcspn(p, "= \t");
		if (nlen == 0)
			return 0;
		return cf_kv_add(&cf->rulesets, &cf->nrulesets, p, nlen, NULL, 0,
		    line);
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
		cont = n > 0 && ch_blank(p[0]) && cur.len > 0 && cur.s[0] != '#';
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

const struct cf_kv *
cf_ruleset(const struct sendmail_cf *cf, const char *name)
{
	return kv_find(cf->rulesets, cf->nrulesets, name, false);
}

long
cf_interval(const char *s, char defunit)
{
	long total = 0, v, mult;
	char u;
	int digits;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s != '\0') {
		for (v = 0, digits = 0; ch_digit(*s); s++, digits++) {
			if (v > 100000000L)
				return -1;
			v = v * 10 + (*s - '0');
		}
		if (digits == 0)
			return -1;
		u = *s ? *s++ : defunit;
		switch (u) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		total += v * mult;
	}
	return total;
}

long
cf_queuereturn(const struct sendmail_cf *cf, unsigned *line)
{
	const char *names[] = { "Timeout.queuereturn.normal",
	    "Timeout.queuereturn" };
	const struct cf_kv *v[64];
	size_t i, n;
	long t;

	*line = 0;
	for (i = 0; i < 2; i++) {
		n = cf_options_all(cf, names[i], v, 64);
		if (n == 0)
			continue;
		if (n > 64)
			n = 64;
		if ((t = cf_interval(v[n - 1]->value, 'd')) < 0)
			continue;
		*line = v[n - 1]->line;
		return t;
	}
	return 5 * 86400L;
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
	free(sh->rest);
	free(sh->port_word);
	memset(sh, 0, sizeof(*sh));
}

/* The words of a mailer's A= when it is TCP or IPC: 1, 0 when not. */
static int
tcp_words(const struct cf_mailer *m, char **copy, char *w[4])
{
	const char *a = cf_mailer_field(m, 'A');
	char *cur;
	int i = 0;

	w[0] = w[1] = w[2] = w[3] = NULL;
	*copy = NULL;
	if (a == NULL)
		return 0;
	if ((*copy = strdup(a)) == NULL)
		return -1;
	cur = *copy;
	while (i < 4 && (w[i] = str_token(&cur)) != NULL)
		i++;
	return w[0] != NULL && (str_ieq(w[0], "TCP") || str_ieq(w[0], "IPC"));
}

int
cf_mailer_port(const struct cf_mailer *m)
{
	char *copy, *w[4];
	int port, rc = tcp_words(m, &copy, w);

	if (rc <= 0)
		port = 0;
	else if (w[2] == NULL)
		port = 25;
	else if ((port = cf_port_number(w[2])) < 0)
		port = 0;
	free(copy);
	return port;
}

char *
cf_mailer_port_word(const struct cf_mailer *m, bool *nomem)
{
	char *copy, *w[4], *r = NULL;
	int rc = tcp_words(m, &copy, w);

	*nomem = rc < 0;
	if (rc > 0 && w[2] != NULL && (r = strdup(w[2])) == NULL)
		*nomem = true;
	free(copy);
	return r;
}

int
cf_smarthost(const struct sendmail_cf *cf, struct cf_smarthost *sh)
{
	const struct cf_kv *ds = cf_macro(cf, "S");
	const struct cf_mailer *m;
	const char *v, *colon, *h, *e, *after;
	size_t hn;
	bool nomem;

	memset(sh, 0, sizeof(*sh));
	if ((sh->raw = strdup(ds ? ds->value : "")) == NULL)
		goto nomem;
	sh->line = ds ? ds->line : 0;
	v = sh->raw;
	while (ch_blank(*v))
		v++;
	if (*v == '\0')
		return 1;
	/* "mailer:host"; a leading '[' means no mailer part */
	colon = *v != '[' ? strchr(v, ':') : NULL;
	if (colon != NULL) {
		if ((sh->mailer = strndup(v, (size_t)(colon - v))) == NULL)
			goto nomem;
		v = colon + 1;
	} else if ((sh->mailer = strdup("relay")) == NULL)
		goto nomem;
	if (*v == '[' && (e = strchr(v, ']')) != NULL) {
		sh->bracketed = true;
		h = v + 1;
		hn = (size_t)(e - h);
		after = e + 1;
	} else if (*v == '[') {
		/* "[host" without its "]": take what follows the bracket */
		sh->bracketed = true;
		h = v + 1;
		hn = strcspn(h, " \t[]:");
		after = h + hn;
	} else {
		h = v;
		hn = strcspn(v, " \t:");
		after = h + hn;
	}
	/* the host signature: more hosts after ':' */
	if (*after == ':' && after[1] != '\0' &&
	    (sh->rest = strdup(after + 1)) == NULL)
		goto nomem;
	else if (*after != ':' && *after != '\0' && !ch_blank(*after) &&
	    (sh->rest = strdup(after)) == NULL)
		goto nomem;
	while (hn > 0 && h[hn - 1] == '.')
		hn--;
	if ((sh->host = strndup(h, hn)) == NULL)
		goto nomem;
	if ((m = cf_mailer(cf, sh->mailer)) != NULL) {
		sh->mailer_line = m->line;
		sh->port = cf_mailer_port(m);
		sh->port_word = cf_mailer_port_word(m, &nomem);
		if (nomem)
			goto nomem;
	}
	return *sh->host ? 0 : 1;
nomem:
	cf_smarthost_free(sh);
	return -1;
}
