/*
 * addr.c - envelope and header address parsing and quoting
 *
 * CONTRACT
 *	See addr.h. The parsers are byte-oriented and locale-free;
 *	bytes >= 0x80 are accepted as UTF-8 (SMTPUTF8), control characters
 *	never are. No input makes them read outside the string or abort.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

/* RFC 5322 atext, plus 8-bit bytes for SMTPUTF8 local parts. */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

char *
domain_normalise(char *domain)
{
	size_t n;

	str_lower_inplace(domain);
	n = strlen(domain);
	if (n > 1 && domain[n - 1] == '.')
		domain[n - 1] = '\0';
	return domain;
}

/* A host name (labels of letters, digits, '-', '_', 8-bit) or a literal. */
bool
domain_is_valid(const char *d)
{
	size_t n = strlen(d), label = 0;
	const unsigned char *p;

	if (n == 0 || n > 255)
		return false;
	if (d[0] == '[') {
		if (d[n - 1] != ']' || n < 3)
			return false;
		for (p = (const unsigned char *)d + 1; *p != ']'; p++)
			if (ch_ctl(*p) || *p == '[' || *p == '\\' || *p == ' ')
				return false;
		return p[1] == '\0';
	}
	for (p = (const unsigned char *)d; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p >= 0x80))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 || (n > 1 && d[n - 1] == '.');
}

void
addr_free(struct rm_addr *a)
{
	free(a->local);
	free(a->domain);
	a->local = a->domain = NULL;
	a->null = false;
}

/*
 * Parse an addr-spec "local@domain" (no brackets, no comments) into out.
 * The local part may be a quoted string. Its unquoted form is never longer
 * than s, so it gets one allocation of an exact bound (a message parses
 * several addresses: no buffer growth here).
 */
static int
parse_addr_spec(const char *s, size_t n, struct rm_addr *out)
{
	size_t i = 0, at, ln = 0;
	char *local = NULL, *domain = NULL;

	if (n > 0 && s[0] == '"') {
		if ((local = malloc(n)) == NULL)	/* unquoted: < n */
			goto bad;
		for (i = 1; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && i + 1 < n)
				i++;
			if (ch_ctl((unsigned char)s[i]))
				goto bad;
			local[ln++] = s[i];
		}
		if (i >= n)
			goto bad;	/* unbalanced quote */
		i++;
		if (i < n && s[i] != '@')
			goto bad;
		at = i;
	} else {
		/* unquoted: up to the last '@' */
		for (at = n; at > 0 && s[at - 1] != '@'; at--)
			;
		at = at > 0 ? at - 1 : n;
		if (at == 0)
			goto bad;	/* empty local part */
		for (i = 0; i < at; i++) {
			unsigned char c = (unsigned char)s[i];

			if (ch_ctl(c) || c == ' ' || c == '<' || c == '>' ||
			    c == '"' || c == '(' || c == ')' || c == ',' ||
			    c == ';' || c == '\\' || c == '[' || c == ']')
				goto bad;
			if (c == '@' || c == ':')
				goto bad;
		}
		if ((local = malloc(at + 1)) == NULL)
			goto bad;
		memcpy(local, s, at);
		ln = at;
	}
	local[ln] = '\0';
	if (at < n) {
		const char *d = s + at + 1;
		size_t dn = n - at - 1;

		if ((domain = malloc(dn + 1)) == NULL)
			goto bad;
		memcpy(domain, d, dn);
		domain[dn] = '\0';
		if (!domain_is_valid(domain))
			goto bad;
		if (domain[0] != '[')
			domain_normalise(domain);
	}
	out->local = local;
	out->domain = domain;
	out->null = false;
	return 0;
bad:
	free(domain);
	free(local);
	return -1;
}

int
addr_parse_envelope(const char *in, struct rm_addr *out)
{
	const char *s = in, *e;
	size_t n;

	out->local = out->domain = NULL;
	out->null = false;
	if (in == NULL || has_control_chars(in))
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e > s && *s == '<') {
		if (e[-1] != '>')
			return -1;
		s++;
		e--;
	} else if (e > s && e[-1] == '>') {
		return -1;
	}
	n = (size_t)(e - s);
	if (n == 0) {
		out->null = true;
		return 0;
	}
	/* RFC 5321 source route "@a,@b:user@domain": ignore the route. */
	if (*s == '@') {
		const char *colon = memchr(s, ':', n);

		if (colon == NULL)
			return -1;
		n -= (size_t)(colon + 1 - s);
		s = colon + 1;
		if (n == 0)
			return -1;
	}
	if (memchr(s, '<', n) != NULL || memchr(s, '>', n) != NULL)
		return -1;
	return parse_addr_spec(s, n, out);
}

static bool
local_is_dot_atom(const char *l)
{
	const unsigned char *p = (const unsigned char *)l;

	if (*p == '\0' || *p == '.')
		return false;
	for (; *p; p++) {
		if (*p == '.') {
			if (p[1] == '.' || p[1] == '\0')
				return false;
		} else if (!is_atext(*p)) {
			return false;
		}
	}
	return true;
}

int
addr_append(strbuf *sb, const char *local, const char *domain)
{
	const char *p;

	/* no printf: this runs for every message */
	sb_reserve(sb, strlen(local) + 3 + (domain ? strlen(domain) + 1 : 0));
	if (local_is_dot_atom(local)) {
		sb_puts(sb, local);
	} else {
		sb_putc(sb, '"');
		for (p = local; *p; p++) {
			if (*p == '"' || *p == '\\')
				sb_putc(sb, '\\');
			sb_putc(sb, *p);
		}
		sb_putc(sb, '"');
	}
	if (domain != NULL) {
		sb_putc(sb, '@');
		sb_puts(sb, domain);
	}
	return sb->err ? -1 : 0;
}

size_t
addr_format_buf(const char *local, const char *domain, char *buf,
    size_t size)
{
	const char *p;
	size_t n = 0;

#define PUT(c) do { if (n + 1 < size) buf[n] = (c); n++; } while (0)
	if (local_is_dot_atom(local)) {
		for (p = local; *p; p++)
			PUT(*p);
	} else {
		PUT('"');
		for (p = local; *p; p++) {
			if (*p == '"' || *p == '\\')
				PUT('\\');
			PUT(*p);
		}
		PUT('"');
	}
	if (domain != NULL) {
		PUT('@');
		for (p = domain; *p; p++)
			PUT(*p);
	}
#undef PUT
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

char *
addr_format(const char *local, const char *domain)
{
	strbuf sb;

	sb_init(&sb);
	(void)addr_append(&sb, local, domain);
	return sb_steal(&sb);
}

char *
addr_unbracket(char *s)
{
	size_t n = strlen(s);
	char *p;

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		p = str_trim(s + 1);
		memmove(s, p, strlen(p) + 1);
	}
	return s;
}

char *
addr_text(const struct rm_addr *a)
{
	if (a->null)
		return strdup("");
	return addr_format(a->local, a->domain);
}

size_t
addr_detail_at(const char *local, char delim)
{
	const char *p = strchr(local, delim);

	return p == NULL || p == local ? strlen(local) : (size_t)(p - local);
}

int
addr_split_detail(const char *local, char delim, char **user, char **detail)
{
	size_t u = addr_detail_at(local, delim);

	*user = *detail = NULL;
	if (local[u] == '\0') {
		if ((*user = strdup(local)) == NULL)
			return -1;
		return 0;
	}
	*user = strndup(local, u);
	*detail = strdup(local + u + 1);
	if (*user == NULL || *detail == NULL) {
		free(*user);
		free(*detail);
		*user = *detail = NULL;
		return -1;
	}
	return 0;
}

/* ---- RFC 5322 From: header ------------------------------------------ */

/* Skip a comment starting at s[i] == '('; returns the index after it. */
static size_t
skip_comment(const char *s, size_t i)
{
	int depth = 0;

	for (; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return i;
}

/* Skip a quoted string starting at s[i] == '"'. */
static size_t
skip_quoted(const char *s, size_t i)
{
	for (i++; s[i]; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return i;
}

/* Copy s[b..e) without comments and folding white space into dst (room
 * for e - b bytes: the copy is never longer); returns its length. */
static size_t
copy_without_comments(char *dst, const char *s, size_t b, size_t e)
{
	size_t i = b, j, n = 0;

	while (i < e) {
		if (s[i] == '(') {
			i = skip_comment(s, i);
		} else if (s[i] == '"') {
			j = skip_quoted(s, i);
			if (j > e)
				j = e;
			memcpy(dst + n, s + i, j - i);
			n += j - i;
			i = j;
		} else if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
		    s[i] == '\n') {
			i++;
		} else {
			dst[n++] = s[i++];
		}
	}
	return n;
}

/*
 * One mailbox s[b..e): "display <spec>" or "spec". Fills f when it is the
 * first valid mailbox. Returns 0 if it was a valid mailbox, -1 if not.
 * lt and gt are the first '<' of s[b..e) outside comments and quoted
 * strings and the first '>' after it ((size_t)-1: none), as from_parse()
 * found them. The spec and the display name are copied into one scratch
 * buffer of e - b + 2 bytes (their exact bound): on the stack when it
 * fits, else allocated.
 */
static int
parse_mailbox(const char *s, size_t b, size_t e, size_t lt, size_t gt,
    struct hdr_from *f, bool want_display)
{
	size_t sn, dn = 0;
	char stack[512], *buf, *spec, *disp = NULL;
	struct rm_addr a;
	int rc = -1;

	if (lt != (size_t)-1 && gt == (size_t)-1)
		return -1;
	if (e - b + 2 <= sizeof(stack))
		buf = stack;
	else if ((buf = malloc(e - b + 2)) == NULL)
		return -1;
	spec = buf;
	if (lt != (size_t)-1) {
		sn = copy_without_comments(spec, s, lt + 1, gt);
		spec[sn] = '\0';
		disp = spec + sn + 1;	/* sn <= gt - lt - 1 */
		dn = lt - b;
		memcpy(disp, s + b, dn);
		disp[dn] = '\0';
	} else {
		sn = copy_without_comments(spec, s, b, e);
		spec[sn] = '\0';
	}
	if (sn == 0)
		goto done;
	if (spec[0] == '@') {		/* obsolete route in angle-addr */
		char *colon = strchr(spec, ':');

		if (colon == NULL)
			goto done;
		spec = colon + 1;
		sn = strlen(spec);
	}
	if (parse_addr_spec(spec, sn, &a) < 0)
		goto done;
	if (a.domain == NULL) {		/* a header address needs a domain */
		addr_free(&a);
		goto done;
	}
	rc = 0;
	if (f->count++ == 0) {
		f->addr = a;
		if (want_display && dn > 0) {
			char *d = str_trim(disp);

			if (*d != '\0')
				f->display = strdup(d);
		}
	} else {
		addr_free(&a);
	}
done:
	if (buf != stack)
		free(buf);
	return rc;
}

static int
from_parse(const char *value, struct hdr_from *f, bool want_display)
{
	size_t i = 0, start = 0, lt = (size_t)-1, gt = (size_t)-1;
	bool in_angle = false, in_group = false;
	int bad = 0;

	memset(f, 0, sizeof(*f));
	if (value == NULL)
		return -1;
	for (;;) {
		char c;

		/* only these bytes (and the final NUL) mean anything here */
		i += strcspn(value + i, "(\"<>:,;");
		c = value[i];

		if (c == '(') {
			i = skip_comment(value, i);
			continue;
		}
		if (c == '"') {
			i = skip_quoted(value, i);
			continue;
		}
		if (c == '<') {
			in_angle = true;
			if (lt == (size_t)-1)
				lt = i;		/* the mailbox's angle-addr */
		} else if (c == '>') {
			in_angle = false;
			if (lt != (size_t)-1 && gt == (size_t)-1)
				gt = i;
		} else if (c == ':' && !in_angle && !in_group) {
			/* "group name:" starts a group */
			in_group = true;
			start = i + 1;
			lt = gt = (size_t)-1;
		} else if (c == '\0' || (!in_angle && (c == ',' ||
		    (c == ';' && in_group)))) {
			size_t b = start, e = i;

			while (b < e && strchr(" \t\r\n", value[b]))
				b++;
			if (b < e && parse_mailbox(value, b, e, lt, gt, f,
			    want_display) < 0)
				bad++;
			if (c == ';')
				in_group = false;
			if (c == '\0')
				break;
			start = i + 1;
			lt = gt = (size_t)-1;
		}
		i++;
	}
	if (f->count == 0) {
		hdr_from_free(f);
		return -1;
	}
	(void)bad;
	return 0;
}

int
hdr_from_parse(const char *value, struct hdr_from *f)
{
	return from_parse(value, f, true);
}

int
hdr_from_parse_addr(const char *value, struct hdr_from *f)
{
	return from_parse(value, f, false);
}

void
hdr_from_free(struct hdr_from *f)
{
	free(f->display);
	f->display = NULL;
	addr_free(&f->addr);
	f->count = 0;
}

char *
hdr_from_build(const char *display, const char *addr)
{
	strbuf sb;

	/*
	 * The display name comes from the client's From: header: a CR or LF
	 * in it would end the header and start another one, other control
	 * characters have no place in a header either. Unfold and strip.
	 */
	sb_init(&sb);
	if (display != NULL && *display != '\0') {
		sb_puts_sanitized(&sb, display);
		sb_putc(&sb, ' ');
	}
	sb_putc(&sb, '<');
	sb_puts_sanitized(&sb, addr);
	sb_putc(&sb, '>');
	return sb_steal(&sb);
}
