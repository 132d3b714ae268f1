/*
 * smtpreply.c - SMTP reply and EHLO keyword parser
 *
 * CONTRACT
 *	See smtpreply.h. Pure: no I/O, no globals, no locale; every
 *	allocation failure is reported; no input makes it abort, read out of
 *	bounds or cut text silently.
 */
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

static char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

/*
 * Check the first n bytes of a line (n may be shorter than a full line
 * when the line is still incomplete). Returns 0 when they can start a
 * valid reply line, -1 otherwise with *why set.
 */
static int
check_prefix(const unsigned char *p, size_t n, const char **why)
{
	if (n >= 1 && (p[0] < '2' || p[0] > '5')) {
		*why = "reply code does not start with 2, 3, 4 or 5";
		return -1;
	}
	if ((n >= 2 && !ch_digit(p[1])) || (n >= 3 && !ch_digit(p[2]))) {
		*why = "reply code is not three digits";
		return -1;
	}
	if (n >= 4 && p[3] != ' ' && p[3] != '-') {
		*why = "reply code not followed by space or hyphen";
		return -1;
	}
	return 0;
}

/* Copy n bytes into a new string without control characters. */
static char *
dup_sanitized(const unsigned char *p, size_t n)
{
	char *s, *w;
	size_t i;

	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	w = s;
	for (i = 0; i < n; i++) {
		if (p[i] == '\t')
			*w++ = ' ';
		else if (p[i] >= 0x20 && p[i] != 0x7f)
			*w++ = (char)p[i];
	}
	*w = '\0';
	return s;
}

/*
 * Length of an enhanced status code ("5.7.8") at the start of s, followed
 * by a space or the end of the string; 0 when there is none.
 */
static size_t
enh_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, part, n;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return 0;
	if (p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; n < 3 && ch_digit(p[i]); n++)
			i++;
		if (n == 0)
			return 0;
		if (ch_digit(p[i]))
			return 0;
		if (part == 0) {
			if (p[i] != '.')
				return 0;
			i++;
		}
	}
	if (p[i] != '\0' && p[i] != ' ')
		return 0;
	return i;
}

void
smtpreply_free(struct smtp_reply *r)
{
	if (r == NULL)
		return;
	strv_free(r->lines, r->nlines);
	memset(r, 0, sizeof(*r));
}

enum smtpr_status
smtpreply_parse(const char *buf, size_t len, struct smtp_reply *r,
    size_t *used, const char **why)
{
	const unsigned char *p = (const unsigned char *)buf;
	const char *dummy;
	struct smtp_reply t;
	size_t pos = 0, cap = 0;
	enum smtpr_status st;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	memset(&t, 0, sizeof(t));
	memset(r, 0, sizeof(*r));
	t.code = -1;
	for (;;) {
		const unsigned char *line = p + pos, *nl;
		size_t avail = len - pos, scan, n;
		int code;
		char *text, **nlines;

		scan = avail < SMTPR_MAX_LINE + 2 ? avail : SMTPR_MAX_LINE + 2;
		nl = scan > 0 ? memchr(line, '\n', scan) : NULL;
		if (nl == NULL) {
			if (avail > SMTPR_MAX_LINE + 1) {
				*why = "reply line too long";
				st = SMTPR_BAD;
				goto out;
			}
			if (check_prefix(line, avail, why) < 0) {
				st = SMTPR_BAD;
				goto out;
			}
			st = SMTPR_INCOMPLETE;
			goto out;
		}
		n = (size_t)(nl - line);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n > SMTPR_MAX_LINE) {
			*why = "reply line too long";
			st = SMTPR_BAD;
			goto out;
		}
		if (n < 3) {
			*why = "reply line shorter than a reply code";
			st = SMTPR_BAD;
			goto out;
		}
		if (check_prefix(line, n, why) < 0) {
			st = SMTPR_BAD;
			goto out;
		}
		code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (t.code >= 0 && code != t.code) {
			*why = "reply code changes within a multi-line reply";
			st = SMTPR_BAD;
			goto out;
		}
		t.code = code;
		if (t.nlines >= SMTPR_MAX_LINES) {
			*why = "reply has too many lines";
			st = SMTPR_BAD;
			goto out;
		}
		if (t.nlines == cap) {
			size_t ncap = cap ? cap * 2 : 4;

			nlines = realloc(t.lines, ncap * sizeof(*nlines));
			if (nlines == NULL) {
				st = SMTPR_NOMEM;
				goto out;
			}
			t.lines = nlines;
			cap = ncap;
		}
		text = dup_sanitized(line + (n > 4 ? 4 : n), n > 4 ? n - 4 : 0);
		if (text == NULL) {
			st = SMTPR_NOMEM;
			goto out;
		}
		t.lines[t.nlines++] = text;
		pos += (size_t)(nl - line) + 1;
		if (n == 3 || line[3] == ' ')
			break;
	}
	{
		size_t el = enh_len(t.lines[0]);

		if (el > 0 && el < sizeof(t.enh) &&
		    t.lines[0][0] - '0' == SMTPR_CLASS(t.code)) {
			memcpy(t.enh, t.lines[0], el);
			t.enh[el] = '\0';
		}
	}
	*r = t;
	if (used != NULL)
		*used = pos;
	return SMTPR_OK;
out:
	smtpreply_free(&t);
	return st;
}

/* Append s collapsing runs of spaces; *sp tracks a pending space. */
static void
put_collapsed(strbuf *out, const char *s, bool *sp)
{
	for (; *s; s++) {
		if (*s == ' ') {
			*sp = true;
			continue;
		}
		if (*sp && out->len > 0)
			sb_putc(out, ' ');
		*sp = false;
		sb_putc(out, *s);
	}
}

int
smtpreply_format(const struct smtp_reply *r, strbuf *out)
{
	size_t i;
	bool sp;

	if (sb_printf(out, "%03d", r->code) < 0)
		return -1;
	sp = true;
	if (r->enh[0] != '\0')
		put_collapsed(out, r->enh, &sp);
	for (i = 0; i < r->nlines; i++) {
		const char *s = r->lines[i];
		size_t el = enh_len(s);

		/* the enhanced status repeats on every line: show it once */
		if (el > 0 && (r->enh[0] != '\0' || i > 0))
			s += el;
		sp = true;
		put_collapsed(out, s, &sp);
	}
	return out->err ? -1 : 0;
}

/* Valid EHLO keyword: ALPHA/DIGIT then ALPHA/DIGIT/"-" (RFC 5321 4.1.1.1). */
static bool
valid_keyword(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !ch_alnum((unsigned char)s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!ch_alnum((unsigned char)s[i]) && s[i] != '-')
			return false;
	return true;
}

/* SASL mechanism name: 1..20 of [A-Z0-9-_] (RFC 4422 3.1), any case. */
static bool
valid_mech(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++)
		if (!ch_alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return false;
	return true;
}

static bool
list_has(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_ieq(v[i], s))
			return true;
	return false;
}

/* Append an upper-cased copy of s[0..n) unless present. -1 on ENOMEM. */
static int
list_add(char ***v, size_t *n, const char *s, size_t len)
{
	char *d, **nv;
	size_t i;

	if ((d = malloc(len + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++)
		d[i] = to_upper(s[i]);
	d[len] = '\0';
	if (list_has(*v, *n, d)) {
		free(d);
		return 0;
	}
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL) {
		free(d);
		return -1;
	}
	nv[(*n)++] = d;
	*v = nv;
	return 0;
}

void
ehlo_info_free(struct ehlo_info *e)
{
	if (e == NULL)
		return;
	free(e->domain);
	strv_free(e->keywords, e->nkeywords);
	strv_free(e->auth, e->nauth);
	memset(e, 0, sizeof(*e));
}

static int
add_mechs(struct ehlo_info *e, const char *p)
{
	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0 && valid_mech(p, n) &&
		    list_add(&e->auth, &e->nauth, p, n) < 0)
			return -1;
		p += n;
	}
	return 0;
}

int
smtpreply_ehlo(const struct smtp_reply *r, struct ehlo_info *out)
{
	struct ehlo_info e;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	if (SMTPR_CLASS(r->code) != 2 || r->nlines == 0)
		return SMTPR_BAD;
	memset(&e, 0, sizeof(e));
	n = strcspn(r->lines[0], " ");
	if (n > 0) {
		if ((e.domain = malloc(n + 1)) == NULL)
			goto nomem;
		memcpy(e.domain, r->lines[0], n);
		e.domain[n] = '\0';
	}
	for (i = 1; i < r->nlines; i++) {
		const char *l = r->lines[i], *params;
		char kw[32];
		size_t k;

		while (*l == ' ')
			l++;
		k = strcspn(l, " =");
		if (!valid_keyword(l, k) || k >= sizeof(kw))
			continue;
		memcpy(kw, l, k);
		kw[k] = '\0';
		params = l + k;
		if (*params != '\0')
			params++;
		if (list_add(&e.keywords, &e.nkeywords, kw, k) < 0)
			goto nomem;
		if (str_ieq(kw, "STARTTLS"))
			e.starttls = true;
		else if (str_ieq(kw, "PIPELINING"))
			e.pipelining = true;
		else if (str_ieq(kw, "8BITMIME"))
			e.eightbitmime = true;
		else if (str_ieq(kw, "SMTPUTF8"))
			e.smtputf8 = true;
		else if (str_ieq(kw, "ENHANCEDSTATUSCODES"))
			e.enhancedstatuscodes = true;
		else if (str_ieq(kw, "AUTH")) {
			if (add_mechs(&e, params) < 0)
				goto nomem;
		} else if (str_ieq(kw, "SIZE")) {
			char num[24];
			size_t d = strcspn(params, " ");
			unsigned long v;

			e.has_size = true;
			if (d > 0 && d < sizeof(num)) {
				memcpy(num, params, d);
				num[d] = '\0';
				if (parse_uint(num, (unsigned long)-1, &v) == 0)
					e.size = v;
			}
		}
	}
	*out = e;
	return 0;
nomem:
	ehlo_info_free(&e);
	return SMTPR_NOMEM;
}

bool
ehlo_has_keyword(const struct ehlo_info *e, const char *kw)
{
	return list_has(e->keywords, e->nkeywords, kw);
}

bool
ehlo_has_auth(const struct ehlo_info *e, const char *mech)
{
	return list_has(e->auth, e->nauth, mech);
}
