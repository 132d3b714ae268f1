/*
 * cfdiff.c - compare two sendmail.cf texts the way sendmail reads them
 *
 * CONTRACT
 *	See cfdiff.h. Pure; allocation failure returns -1 with the
 *	result left empty. Keyed lines (D, O, M, K, X) are looked up by name
 *	with the last definition winning; other lines are matched as a
 *	multiset (a rule keeps the ruleset it is in as part of its identity),
 *	through a sorted index, so the cost is n log n in the lines.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cfdiff.h"
#include "util.h"

struct ent {
	char		 type;		/* D O M K X, L */
	char		*key;		/* keyed: the name; L: NULL */
	char		*value;		/* keyed: what follows the name; L: the
					 * line */
	char		*match;		/* L: ruleset + line */
	unsigned	 line;
	bool		 used;
};

struct side {
	struct ent	*v;
	size_t		 n;
	size_t		*lidx;		/* L entries sorted by match */
	size_t		 nl;
};

static void
side_free(struct side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
		free(s->v[i].match);
	}
	free(s->v);
	free(s->lidx);
	memset(s, 0, sizeof(*s));
}

/* One logical line: classify it and append. */
static int
add_line(struct side *s, const char *l, unsigned line, strbuf *ruleset)
{
	struct ent *e;
	const char *p = l, *k;
	size_t kn;
	char type = 'L';

	switch (l[0]) {
	case 'D':
		if (l[1] == '{' && strchr(l, '}') != NULL) {
			k = l + 2;
			kn = (size_t)(strchr(l, '}') - k);
			p = k + kn + 1;
		} else if (l[1] != '\0' && !ch_blank(l[1])) {
			k = l + 1;
			kn = 1;
			p = l + 2;
		} else
			break;
		type = 'D';
		break;
	case 'O':
		if (!ch_blank(l[1]))
			break;
		k = l + 1;
		while (ch_blank(*k))
			k++;
		kn = strcspn(k, "= \t");
		if (kn == 0)
			break;
		p = k + kn;
		while (ch_blank(*p))
			p++;
		if (*p == '=')
			p++;
		type = 'O';
		break;
	case 'M':
	case 'X':
		k = l + 1;
		kn = strcspn(k, ", \t");
		if (kn == 0)
			break;
		p = k + kn;
		type = l[0];
		break;
	case 'K':
		k = l + 1;
		kn = strcspn(k, " \t");
		if (kn == 0)
			break;
		p = k + kn;
		type = 'K';
		break;
	case 'S':
		sb_reset(ruleset);
		sb_append(ruleset, l + 1, strcspn(l + 1, "="));
		break;
	default:
		break;
	}
	if (ARR_PUSH(s->v, s->n, e) < 0)
		return -1;
	e->type = type;
	e->line = line;
	if (type == 'L') {
		e->value = strdup(l);
		if (e->value == NULL)
			return -1;
		if (l[0] == 'R') {
			strbuf m;

			sb_init(&m);
			sb_printf(&m, "%s\n%s", ruleset->s, l);
			if (m.err)
				return -1;
			e->match = sb_steal(&m);
		} else
			e->match = strdup(l);
		return e->match == NULL ? -1 : 0;
	}
	while (ch_blank(*p) || (*p == ',' && type != 'K'))
		p++;
	if ((e->key = strndup(k, kn)) == NULL ||
	    (e->value = strndup_trim(p, strlen(p))) == NULL)
		return -1;
	return 0;
}

static const struct side *sort_side;

static int
cmp_lidx(const void *x, const void *y)
{
	const size_t *a = x, *b = y;
	int c = strcmp(sort_side->v[*a].match, sort_side->v[*b].match);

	if (c != 0)
		return c;
	return *a < *b ? -1 : *a > *b;
}

/* Read text into s: logical lines (continuations joined), comments and
 * blank lines skipped. */
static int
side_read(const char *text, struct side *s)
{
	const char *p = text;
	strbuf cur, ruleset;
	unsigned line = 0, start = 0;
	size_t i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	sb_init(&cur);
	sb_init(&ruleset);
	sb_puts(&ruleset, "");
	for (;;) {
		size_t n = strcspn(p, "\n");
		bool cont;

		if (*p == '\0' && n == 0) {
			if (cur.len > 0 && cur.s[0] != '#')
				rc = add_line(s, cur.s, start, &ruleset);
			break;
		}
		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		cont = n > 0 && ch_blank(p[0]) && cur.len > 0 &&
		    cur.s[0] != '#';
		if (cont) {
			sb_putc(&cur, ' ');
			sb_append(&cur, p, n);
		} else {
			if (cur.len > 0 && cur.s[0] != '#' &&
			    (rc = add_line(s, cur.s, start, &ruleset)) < 0)
				break;
			sb_reset(&cur);
			start = line;
			if (n > 0 && !ch_blank(p[0]))
				sb_append(&cur, p, n);
		}
		if (cur.err || ruleset.err) {
			rc = -1;
			break;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	sb_free(&cur);
	sb_free(&ruleset);
	if (rc == 0) {
		for (i = 0; i < s->n; i++)
			s->nl += s->v[i].type == 'L';
		if (s->nl > 0 && (s->lidx = calloc(s->nl, sizeof(size_t))) ==
		    NULL)
			rc = -1;
	}
	if (rc == 0 && s->nl > 0) {
		size_t k = 0;

		for (i = 0; i < s->n; i++)
			if (s->v[i].type == 'L')
				s->lidx[k++] = i;
		sort_side = s;
		qsort(s->lidx, s->nl, sizeof(size_t), cmp_lidx);
		sort_side = NULL;
	}
	if (rc < 0)
		side_free(s);
	return rc;
}

/* The last keyed entry of this type and name. */
static struct ent *
keyed(struct side *s, char type, const char *key)
{
	size_t i;

	for (i = s->n; i > 0; i--) {
		struct ent *e = &s->v[i - 1];

		if (e->type == type && (type == 'O' ? str_ieq(e->key, key) :
		    strcmp(e->key, key) == 0))
			return e;
	}
	return NULL;
}

/* An unused L entry of s matching m, or NULL. */
static struct ent *
line_match(struct side *s, const char *m)
{
	size_t lo = 0, hi = s->nl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->v[s->lidx[mid]].match, m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->nl && strcmp(s->v[s->lidx[lo]].match, m) == 0; lo++)
		if (!s->v[s->lidx[lo]].used)
			return &s->v[s->lidx[lo]];
	return NULL;
}

static int
push(struct cfd *d, enum cfd_kind kind, char type, const char *key,
    char field, const char *a, size_t an, const char *b, size_t bn,
    unsigned al, unsigned bl)
{
	struct cfd_item *it;

	if (ARR_PUSH(d->v, d->n, it) < 0)
		return -1;
	it->kind = kind;
	it->type = type;
	it->field = field;
	it->a_line = al;
	it->b_line = bl;
	if ((key != NULL && (it->key = strdup(key)) == NULL) ||
	    (a != NULL && (it->a = strndup_trim(a, an)) == NULL) ||
	    (b != NULL && (it->b = strndup_trim(b, bn)) == NULL))
		return -1;
	return 0;
}

/* Field "X=..." of a mailer's definition, split as sendmail does (commas
 * outside double quotes): its value in *v, *vn; false when absent. */
static bool
mailer_field(const char *def, char letter, const char **v, size_t *vn)
{
	const char *p = def, *found = NULL;
	size_t fn = 0;

	while (*p) {
		const char *s, *e;
		bool q = false;

		while (*p == ',' || ch_blank(*p))
			p++;
		if (*p == '\0')
			break;
		s = p;
		for (e = p; *e; e++) {
			if (*e == '\\' && e[1] != '\0') {
				e++;
				continue;
			}
			if (*e == '"')
				q = !q;
			else if (*e == ',' && !q)
				break;
		}
		if (s[0] == letter && s[1] == '=') {
			found = s + 2;
			fn = (size_t)(e - s - 2);
		}
		p = e;
	}
	*v = found;
	*vn = fn;
	return found != NULL;
}

/* Mailer flags are a set: "kmDFMuXa" is "mDFMuXak". */
static bool
same_flags(const char *a, size_t an, const char *b, size_t bn)
{
	bool sa[256] = { false }, sb[256] = { false };
	size_t i;

	for (i = 0; i < an; i++)
		sa[(unsigned char)a[i]] = true;
	for (i = 0; i < bn; i++)
		sb[(unsigned char)b[i]] = true;
	return memcmp(sa, sb, sizeof(sa)) == 0;
}

static int
diff_mailer(struct cfd *d, const struct ent *a, const struct ent *b)
{
	static const char letters[] = "PFSRETLAMmrCDNUWQ";
	const char *l;

	for (l = letters; *l; l++) {
		const char *av, *bv;
		size_t an, bn;
		bool ha = mailer_field(a->value, *l, &av, &an);
		bool hb = mailer_field(b->value, *l, &bv, &bn);

		if (!ha && !hb)
			continue;
		if (ha && hb && an == bn && memcmp(av, bv, an) == 0)
			continue;
		if (ha && hb && *l == 'F' && same_flags(av, an, bv, bn))
			continue;
		if (push(d, CFD_CHANGED, 'M', a->key, *l, av, an, bv, bn,
		    a->line, b->line) < 0)
			return -1;
	}
	return 0;
}

static int
run_diff(struct side *sa, struct side *sb, struct cfd *d)
{
	size_t i;

	for (i = 0; i < sa->n; i++) {
		struct ent *a = &sa->v[i], *b;

		if (a->type == 'L') {
			if ((b = line_match(sb, a->match)) != NULL)
				b->used = true;
			else if (push(d, CFD_ONLY_A, 'L', NULL, 0, a->value,
			    strlen(a->value), NULL, 0, a->line, 0) < 0)
				return -1;
			continue;
		}
		if (keyed(sa, a->type, a->key) != a)
			continue;	/* a later definition wins */
		if ((b = keyed(sb, a->type, a->key)) == NULL) {
			if (push(d, CFD_ONLY_A, a->type, a->key, 0, a->value,
			    strlen(a->value), NULL, 0, a->line, 0) < 0)
				return -1;
			continue;
		}
		b->used = true;
		if (strcmp(a->value, b->value) == 0)
			continue;
		if (a->type == 'M') {
			if (diff_mailer(d, a, b) < 0)
				return -1;
		} else if (push(d, CFD_CHANGED, a->type, a->key, 0, a->value,
		    strlen(a->value), b->value, strlen(b->value), a->line,
		    b->line) < 0)
			return -1;
	}
	for (i = 0; i < sb->n; i++) {
		struct ent *b = &sb->v[i];

		if (b->used)
			continue;
		if (b->type == 'L') {
			if (push(d, CFD_ONLY_B, 'L', NULL, 0, NULL, 0, b->value,
			    strlen(b->value), 0, b->line) < 0)
				return -1;
		} else if (keyed(sb, b->type, b->key) == b &&
		    keyed(sa, b->type, b->key) == NULL &&
		    push(d, CFD_ONLY_B, b->type, b->key, 0, NULL, 0, b->value,
		    strlen(b->value), 0, b->line) < 0)
			return -1;
	}
	return 0;
}

int
cfd_diff(const char *a, const char *b, struct cfd *d)
{
	struct side sa, sb;
	int rc;

	memset(d, 0, sizeof(*d));
	if (side_read(a, &sa) < 0)
		return -1;
	if (side_read(b, &sb) < 0) {
		side_free(&sa);
		return -1;
	}
	rc = run_diff(&sa, &sb, d);
	side_free(&sa);
	side_free(&sb);
	if (rc < 0)
		cfd_free(d);
	return rc;
}

void
cfd_free(struct cfd *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].a);
		free(d->v[i].b);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
