/*
 * mime.c - header blocks, Content-Type, transfer encodings, multipart
 *	    bodies (RFC 5322, RFC 2045, RFC 2046), read leniently
 *
 * CONTRACT
 *	See include/mime.h. Mail that comes back from providers is often
 *	not quite standard, so everything here is lenient where a strict
 *	reading would lose the message (bare LF line ends, blanks before a
 *	field's colon, a missing close delimiter, base64 with stray
 *	characters) and strict where leniency would read past the input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "mime.h"
#include "util.h"

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

bool
mime_span_ieq(struct mime_span s, const char *lit)
{
	size_t n = strlen(lit), i;

	if (s.n != n)
		return false;
	for (i = 0; i < n; i++)
		if (lc((unsigned char)s.p[i]) != lc((unsigned char)lit[i]))
			return false;
	return true;
}

bool
mime_span_istarts(struct mime_span s, const char *lit)
{
	size_t n = strlen(lit), i;

	if (s.n < n)
		return false;
	for (i = 0; i < n; i++)
		if (lc((unsigned char)s.p[i]) != lc((unsigned char)lit[i]))
			return false;
	return true;
}

long
mime_span_ifind(struct mime_span s, const char *lit)
{
	size_t n = strlen(lit), i, j;

	if (n == 0)
		return 0;
	if (s.n < n)
		return -1;
	for (i = 0; i + n <= s.n; i++) {
		for (j = 0; j < n; j++)
			if (lc((unsigned char)s.p[i + j]) !=
			    lc((unsigned char)lit[j]))
				break;
		if (j == n)
			return (long)i;
	}
	return -1;
}

/* End of the line starting at p (the LF, or e); *next: after the LF. */
static const char *
line_end(const char *p, const char *e, const char **next)
{
	const char *q = memchr(p, '\n', (size_t)(e - p));

	if (q == NULL) {
		*next = e;
		return e;
	}
	*next = q + 1;
	return q;
}

/* Length of a line without its CR before the LF. */
static size_t
line_len(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n;
}

/* A field name: printable ASCII but ':', then blanks, then ':'. */
static bool
field_name(const char *p, size_t n, struct mime_span *name, size_t *colon)
{
	size_t i = 0, k;

	while (i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != ':')
		i++;
	if (i == 0)
		return false;
	k = i;
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	if (k >= n || p[k] != ':')
		return false;
	name->p = p;
	name->n = i;
	*colon = k;
	return true;
}

size_t
mime_head_parse(const char *buf, size_t len, struct mime_head *h)
{
	const char *p = buf, *e = buf + len, *end, *next;
	struct mime_field *cur = NULL;
	struct mime_span name;
	size_t n, colon, k;

	h->n = 0;
	h->more = 0;
	if (len >= 5 && memcmp(buf, "From ", 5) == 0) {
		line_end(p, e, &next);
		p = next;
	}
	while (p < e) {
		end = line_end(p, e, &next);
		n = line_len(p, end);
		if (n == 0)
			return (size_t)(next - buf);
		if (p[0] == ' ' || p[0] == '\t') {
			/* a continuation: the current field grows */
			if (cur != NULL)
				cur->value.n = (size_t)(p + n - cur->value.p);
			p = next;
			continue;
		}
		if (!field_name(p, n, &name, &colon))
			return (size_t)(p - buf);	/* the body starts here */
		k = colon + 1;
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		if (h->n < MIME_MAX_FIELDS) {
			cur = &h->f[h->n++];
			cur->name = name;
			cur->value.p = p + k;
			cur->value.n = n - k;
		} else {
			h->more++;
			cur = NULL;
		}
		p = next;
	}
	return len;
}

const struct mime_field *
mime_head_get(const struct mime_head *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (mime_span_ieq(h->f[i].name, name))
			return &h->f[i];
	return NULL;
}

int
mime_unfold(struct mime_span v, size_t max, strbuf *out)
{
	size_t i, kept = 0, start = out->len;
	bool blank = true, cut = false;	/* leading blanks go */
	unsigned char c;

	for (i = 0; i < v.n; i++) {
		c = (unsigned char)v.p[i];
		if (c == '\r' || c == '\n')
			continue;
		if (c == ' ' || c == '\t') {
			blank = true;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (blank && kept > 0) {
			if (kept + 1 > max) {
				cut = true;
				break;
			}
			sb_putc(out, ' ');
			kept++;
		}
		blank = false;
		if (kept + 1 > max) {
			cut = true;
			break;
		}
		sb_putc(out, c);
		kept++;
	}
	if (cut)
		sb_puts(out, " [...]");
	if (out->err) {
		out->len = start;
		return -1;
	}
	return cut ? 1 : 0;
}

/* Copy a token or quoted string at *pp into buf (NUL-terminated);
 * false when it does not fit. *pp moves past it. */
static bool
param_value(const char **pp, char *buf, size_t size, bool lower)
{
	const char *p = *pp;
	size_t o = 0;
	bool fits = true;

	if (*p == '"') {
		p++;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (o + 1 < size)
				buf[o++] = (char)(lower ? lc((unsigned char)*p) :
				    *p);
			else
				fits = false;
			p++;
		}
		if (*p == '"')
			p++;
	} else {
		while (*p != '\0' && *p != ';' && *p != ' ' && *p != '\t' &&
		    *p != '(') {
			if (o + 1 < size)
				buf[o++] = (char)(lower ? lc((unsigned char)*p) :
				    *p);
			else
				fits = false;
			p++;
		}
	}
	buf[o] = '\0';
	*pp = p;
	return fits;
}

static const char *
skip_cfws(const char *p)
{
	int depth;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '(')
			return p;
		/* a comment, nested, with quoted-pairs */
		depth = 0;
		while (*p != '\0') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
}

void
mime_ctype_parse(const char *value, struct mime_ctype *ct)
{
	const char *p = value;
	char name[32], scratch[MIME_MAX_BOUNDARY + 1];
	size_t o;
	bool fits;

	memset(ct, 0, sizeof(*ct));
	strcpy(ct->type, "text/plain");
	if (p == NULL)
		return;
	p = skip_cfws(p);
	fits = param_value(&p, ct->type, sizeof(ct->type), true);
	if (!fits || strchr(ct->type, '/') == NULL) {
		if (ct->type[0] != '\0')
			ct->cut = true;
		strcpy(ct->type, "text/plain");
	}
	while (*p != '\0') {
		p = skip_cfws(p);
		if (*p != ';') {
			if (*p == '\0')
				break;
			p++;		/* stray character: go on */
			continue;
		}
		p = skip_cfws(p + 1);
		o = 0;
		while (*p != '\0' && *p != '=' && *p != ';' && *p != ' ' &&
		    *p != '\t') {
			if (o + 1 < sizeof(name))
				name[o++] = (char)lc((unsigned char)*p);
			p++;
		}
		name[o] = '\0';
		p = skip_cfws(p);
		if (*p != '=')
			continue;
		p = skip_cfws(p + 1);
		if (strcmp(name, "boundary") == 0) {
			if (param_value(&p, ct->boundary, sizeof(ct->boundary),
			    false) && ct->boundary[0] != '\0')
				ct->has_boundary = true;
			else {
				ct->boundary[0] = '\0';
				ct->cut = true;
			}
		} else if (strcmp(name, "report-type") == 0) {
			if (!param_value(&p, ct->report_type,
			    sizeof(ct->report_type), true)) {
				ct->report_type[0] = '\0';
				ct->cut = true;
			}
		} else
			(void)param_value(&p, scratch, sizeof(scratch), false);
	}
}

enum mime_cte
mime_cte_parse(const char *value)
{
	struct mime_span s;

	if (value == NULL)
		return MIME_CTE_IDENTITY;
	s.p = value;
	s.n = strlen(value);
	if (mime_span_istarts(s, "base64"))
		return MIME_CTE_BASE64;
	if (mime_span_istarts(s, "quoted-printable"))
		return MIME_CTE_QP;
	return MIME_CTE_IDENTITY;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lc(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
mime_decode(enum mime_cte e, const char *p, size_t n, size_t max,
    strbuf *out)
{
	unsigned long acc = 0;
	size_t i, o = 0;
	int bits = 0, v, h1, h2;

	switch (e) {
	case MIME_CTE_IDENTITY:
		if (n > max) {
			sb_append(out, p, max);
			return out->err ? -1 : 1;
		}
		sb_append(out, p, n);
		return out->err ? -1 : 0;
	case MIME_CTE_BASE64:
		for (i = 0; i < n; i++) {
			if (p[i] == '=')
				break;		/* padding: the end */
			if ((v = b64val((unsigned char)p[i])) < 0)
				continue;	/* line breaks, stray bytes */
			acc = ((acc << 6) | (unsigned long)v) & 0xffffff;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (o == max)
					return out->err ? -1 : 1;
				sb_putc(out, (int)((acc >> bits) & 0xff));
				o++;
			}
		}
		return out->err ? -1 : 0;
	case MIME_CTE_QP:
		for (i = 0; i < n; i++) {
			if (o == max)
				return out->err ? -1 : 1;
			if (p[i] != '=') {
				sb_putc(out, (unsigned char)p[i]);
				o++;
				continue;
			}
			/* a soft line break: "=" then blanks, CRLF or LF */
			if (i + 1 < n && (p[i + 1] == '\r' ||
			    p[i + 1] == '\n' || p[i + 1] == ' ' ||
			    p[i + 1] == '\t')) {
				size_t k = i + 1;

				while (k < n && (p[k] == ' ' || p[k] == '\t'))
					k++;
				if (k < n && p[k] == '\r')
					k++;
				if (k < n && p[k] == '\n') {
					i = k;
					continue;
				}
				if (k == n) {
					i = k;
					continue;
				}
			}
			if (i + 2 < n &&
			    (h1 = hexval((unsigned char)p[i + 1])) >= 0 &&
			    (h2 = hexval((unsigned char)p[i + 2])) >= 0) {
				sb_putc(out, h1 << 4 | h2);
				o++;
				i += 2;
				continue;
			}
			sb_putc(out, '=');	/* a bad escape stays */
			o++;
		}
		return out->err ? -1 : 0;
	}
	return 0;
}

/* Is the line p[0..n) a delimiter of boundary b? 1: a part follows, 2:
 * the close delimiter, 0: no. */
static int
delimiter(const char *p, size_t n, const char *b, size_t bl)
{
	size_t k;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b, bl) != 0)
		return 0;
	k = bl + 2;
	if (n >= k + 2 && p[k] == '-' && p[k + 1] == '-') {
		k += 2;
		while (k < n && (p[k] == ' ' || p[k] == '\t'))
			k++;
		/* "--b--" and nothing else; anything else is not ours */
		return k == n ? 2 : 0;
	}
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	return k == n ? 1 : 0;
}

unsigned
mime_parts(const char *body, size_t n, const char *boundary,
    int (*part)(void *ctx, struct mime_span s), void *ctx)
{
	const char *p = body, *e = body + n, *end, *next, *start = NULL;
	size_t bl = strlen(boundary), ln;
	struct mime_span s;
	unsigned flags = MIME_P_NONE;
	int d;

	if (bl == 0 || bl > MIME_MAX_BOUNDARY)
		return flags;
	while (p < e) {
		end = line_end(p, e, &next);
		ln = line_len(p, end);
		d = delimiter(p, ln, boundary, bl);
		if (d != 0) {
			flags &= ~(unsigned)MIME_P_NONE;
			if (start != NULL) {
				/* the line break before the delimiter belongs
				 * to it */
				s.p = start;
				s.n = (size_t)(p - start);
				if (s.n > 0 && s.p[s.n - 1] == '\n')
					s.n--;
				if (s.n > 0 && s.p[s.n - 1] == '\r')
					s.n--;
				if (part(ctx, s) != 0)
					return flags | MIME_P_STOPPED;
			}
			if (d == 2)
				return flags;
			start = next;
		}
		p = next;
	}
	if (start != NULL) {
		s.p = start;
		s.n = (size_t)(e - start);
		flags |= MIME_P_UNTERMINATED;
		if (part(ctx, s) != 0)
			flags |= MIME_P_STOPPED;
	}
	return flags;
}
