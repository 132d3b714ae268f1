/*
 * spfrec.c - SPF record syntax check (RFC 7208 section 12) and rewriting
 *	      into an equivalent record that libspf2 1.2.10 evaluates right
 *
 * CONTRACT
 *	See spfrec.h. Pure: no DNS, no libspf2, no global state.
 *	Never aborts; allocation failure is SPFREC_NOMEM.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "spfrec.h"

bool
spfrec_is_spf(const char *txt)
{
	if (txt == NULL || strncasecmp(txt, "v=spf1", 6) != 0)
		return false;
	return txt[6] == ' ' || txt[6] == '\0';
}

static enum spfrec_status
fail(strbuf *why, const char *what, const char *s, size_t n)
{
	if (why != NULL) {
		sb_reset(why);
		sb_puts(why, what);
		if (s != NULL) {
			sb_puts(why, " '");
			/* the record text was checked to be printable ASCII
			 * before any caller passes a piece of it here */
			sb_append(why, s, n);
			sb_putc(why, '\'');
		}
	}
	return SPFREC_SYNTAX;
}

/*
 * macro-string: *( macro-expand / macro-literal ). Sets *ends_macro when
 * the last token is a macro-expand, *tail to the offset just after it.
 * Returns false on a syntax error.
 */
static bool
macro_string_ok(const char *s, size_t n, bool *ends_macro, size_t *tail)
{
	size_t i = 0, j;

	*ends_macro = false;
	*tail = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c != '%') {
			if (c < 0x21 || c > 0x7e)
				return false;
			*ends_macro = false;
			i++;
			continue;
		}
		if (i + 1 >= n)
			return false;
		c = (unsigned char)s[i + 1];
		if (c == '%' || c == '_' || c == '-') {
			i += 2;
			*ends_macro = true;
			*tail = i;
			continue;
		}
		if (c != '{' || i + 2 >= n)
			return false;
		j = i + 2;
		/* c, r and t are for explanation text only (RFC 7208 7.1) */
		if (strchr("slodiphvSLODIPHV", s[j]) == NULL)
			return false;
		j++;
		if (j < n && ch_digit(s[j])) {
			unsigned long v = 0;

			while (j < n && ch_digit(s[j])) {
				v = v * 10 + (unsigned long)(s[j] - '0');
				if (v > 100000)
					v = 100000;	/* saturate */
				j++;
			}
			/* RFC 7208 7.3: the number of parts is nonzero */
			if (v == 0)
				return false;
		}
		if (j < n && (s[j] == 'r' || s[j] == 'R'))
			j++;
		while (j < n && strchr(".-+,/_=", s[j]) != NULL && s[j] != '\0')
			j++;
		if (j >= n || s[j] != '}')
			return false;
		i = j + 1;
		*ends_macro = true;
		*tail = i;
	}
	return true;
}

/* toplabel = ( *alphanum ALPHA *alphanum ) /
 *            ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
static bool
toplabel_ok(const char *s, size_t n)
{
	bool alpha = false, dash = false;
	size_t i;

	if (n == 0 || !ch_alnum(s[0]) || !ch_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++) {
		if (ch_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!ch_digit(s[i]))
			return false;
	}
	return alpha || dash;
}

/* domain-spec = macro-string domain-end
 * domain-end  = ( "." toplabel [ "." ] ) / macro-expand */
static bool
domain_spec_ok(const char *s, size_t n)
{
	bool ends_macro;
	size_t tail, end, dot;

	if (n == 0 || !macro_string_ok(s, n, &ends_macro, &tail))
		return false;
	if (ends_macro)
		return true;
	end = n;
	if (s[end - 1] == '.')
		end--;
	dot = end;
	while (dot > tail && s[dot - 1] != '.')
		dot--;
	if (dot == tail || dot == 0 || s[dot - 1] != '.')
		return false;
	return toplabel_ok(s + dot, end - dot);
}

/* "0" / %x31-39 *DIGIT with at most maxdig digits and value <= max */
static bool
cidr_ok(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (!ch_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* qnum "." qnum "." qnum "." qnum, no leading zeros */
static bool
ip4_network_ok(const char *s, size_t n)
{
	size_t i = 0, start;
	int parts = 0;

	while (parts < 4) {
		unsigned v = 0;

		start = i;
		while (i < n && ch_digit(s[i]))
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || i - start > 3 || v > 255 ||
		    (s[start] == '0' && i - start > 1))
			return false;
		parts++;
		if (parts < 4) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == n;
}

static bool
ip6_network_ok(const char *s, size_t n)
{
	char buf[64];
	struct in6_addr a;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

/* Split a trailing dual-cidr-length off s[0..*n). -1 on a malformed one. */
static int
split_dual_cidr(const char *s, size_t *n, int *v4, int *v6)
{
	size_t len = *n, i;
	unsigned v;

	*v4 = *v6 = -1;
	for (int round = 0; round < 2; round++) {
		i = len;
		while (i > 0 && ch_digit(s[i - 1]))
			i--;
		if (i == len || i == 0 || s[i - 1] != '/')
			break;
		if (i >= 2 && s[i - 2] == '/') {
			if (round == 1 || !cidr_ok(s + i, len - i, 128, &v))
				return -1;
			*v6 = (int)v;
			len = i - 2;
		} else {
			if (!cidr_ok(s + i, len - i, 32, &v))
				return -1;
			*v4 = (int)v;
			len = i - 1;
			break;
		}
	}
	*n = len;
	return 0;
}

enum mech { M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS };

static const struct {
	const char	*name;
	enum mech	 m;
} mechs[] = {
	{ "all", M_ALL }, { "include", M_INCLUDE }, { "a", M_A },
	{ "mx", M_MX }, { "ptr", M_PTR }, { "ip4", M_IP4 },
	{ "ip6", M_IP6 }, { "exists", M_EXISTS },
};

struct rewrite {
	strbuf		*out;
	int		 family;	/* AF_INET / AF_INET6 of the client */
	bool		 seen_all;
};

static void
emit(struct rewrite *rw, const char *s, size_t n)
{
	if (rw->seen_all)
		return;
	sb_putc(rw->out, ' ');
	sb_append(rw->out, s, n);
}

static enum spfrec_status
directive(struct rewrite *rw, const char *t, size_t n, strbuf *why)
{
	const char *term = t, *arg;
	size_t termlen = n, namelen, alen;
	char q = '+';
	int m = -1, v4, v6;
	unsigned cidr;
	size_t k;

	if (*t == '+' || *t == '-' || *t == '~' || *t == '?') {
		q = *t;
		t++;
		n--;
	}
	namelen = 0;
	while (namelen < n && t[namelen] != ':' && t[namelen] != '/')
		namelen++;
	for (k = 0; k < sizeof(mechs) / sizeof(mechs[0]); k++)
		if (strlen(mechs[k].name) == namelen &&
		    strncasecmp(mechs[k].name, t, namelen) == 0)
			m = (int)mechs[k].m;
	if (m < 0)
		return fail(why, "unknown mechanism", term, termlen);
	arg = t + namelen;
	alen = n - namelen;

	switch (m) {
	case M_ALL:
		if (alen != 0)
			return fail(why, "\"all\" takes no argument", term,
			    termlen);
		emit(rw, term, termlen);
		rw->seen_all = true;
		return SPFREC_OK;
	case M_INCLUDE:
	case M_EXISTS:
		if (alen < 2 || arg[0] != ':' ||
		    !domain_spec_ok(arg + 1, alen - 1))
			return fail(why, "bad domain-spec", term, termlen);
		emit(rw, term, termlen);
		return SPFREC_OK;
	case M_PTR:
		if (alen != 0 && (arg[0] != ':' ||
		    !domain_spec_ok(arg + 1, alen - 1)))
			return fail(why, "bad domain-spec", term, termlen);
		emit(rw, term, termlen);
		return SPFREC_OK;
	case M_A:
	case M_MX:
		if (split_dual_cidr(arg, &alen, &v4, &v6) < 0)
			return fail(why, "bad CIDR length", term, termlen);
		if (alen != 0 && (arg[0] != ':' ||
		    !domain_spec_ok(arg + 1, alen - 1)))
			return fail(why, "bad domain-spec", term, termlen);
		if (rw->seen_all)
			return SPFREC_OK;
		{
			int rel = rw->family == AF_INET6 ? v6 : v4;

			if (rel == 0) {
				/* a:D/0 matches when D has any A record,
				 * which is exactly exists:D; the other
				 * cases go to the checker's DNS layer
				 * under a marker name (see spfrec.h) */
				size_t dl = alen > 0 ? alen - 1 : 0;

				sb_putc(rw->out, ' ');
				sb_putc(rw->out, q);
				sb_puts(rw->out, "exists:");
				if (dl > 1 && arg[alen - 1] == '.')
					dl--;
				if (dl > 0)
					sb_append(rw->out, arg + 1, dl);
				else
					sb_puts(rw->out, "%{d}");
				if (m == M_A && rw->family == AF_INET6)
					sb_puts(rw->out, SPFREC_MARK_AAAA);
				else if (m == M_MX)
					sb_puts(rw->out, rw->family == AF_INET ?
					    SPFREC_MARK_MX4 : SPFREC_MARK_MX6);
				return SPFREC_OK;
			}
			sb_putc(rw->out, ' ');
			sb_putc(rw->out, q);
			sb_append(rw->out, t, namelen + alen);
			/* keep only the length that applies to the client */
			if (rw->family == AF_INET && v4 > 0)
				sb_printf(rw->out, "/%d", v4);
			if (rw->family == AF_INET6 && v6 > 0)
				sb_printf(rw->out, "//%d", v6);
		}
		return SPFREC_OK;
	case M_IP4:
	case M_IP6: {
		const char *slash;
		size_t netlen;
		unsigned max = m == M_IP4 ? 32 : 128;

		if (alen < 2 || arg[0] != ':')
			return fail(why, "missing address", term, termlen);
		slash = memchr(arg + 1, '/', alen - 1);
		netlen = slash ? (size_t)(slash - (arg + 1)) : alen - 1;
		cidr = max;
		if (slash && !cidr_ok(slash + 1, alen - 1 - netlen - 1, max,
		    &cidr))
			return fail(why, "bad CIDR length", term, termlen);
		if (m == M_IP4 ? !ip4_network_ok(arg + 1, netlen) :
		    !ip6_network_ok(arg + 1, netlen))
			return fail(why, "bad address", term, termlen);
		if (rw->seen_all)
			return SPFREC_OK;
		if (cidr == 0) {
			sb_printf(rw->out, m == M_IP4 ?
			    " %cip4:0.0.0.0/1 %cip4:128.0.0.0/1" :
			    " %cip6:::/1 %cip6:8000::/1", q, q);
			return SPFREC_OK;
		}
		emit(rw, term, termlen);
		return SPFREC_OK;
	}
	}
	return fail(why, "unknown mechanism", term, termlen);
}

/*
 * libspf2 refuses more than 255 right-hand parts in a macro transformer
 * (%{d999}); a name has at most 127 labels, so any number above 127 keeps
 * them all and can be dropped. s holds only validated macro-strings.
 */
static void
fix_big_transformers(char *s)
{
	char *p = s, *d, *e;
	unsigned long v;

	while ((p = strchr(p, '%')) != NULL) {
		if (p[1] != '{') {
			p += p[1] != '\0' ? 2 : 1;
			continue;
		}
		d = p + 3;	/* after "%{" and the letter */
		e = d;
		v = 0;
		while (ch_digit(*e)) {
			if (v < 100000)
				v = v * 10 + (unsigned long)(*e - '0');
			e++;
		}
		if (e > d && v > 127)
			memmove(d, e, strlen(e) + 1);
		p = d;
	}
}

enum spfrec_status
spfrec_check(const char *txt, int family, char **out, strbuf *why)
{
	strbuf sb;
	struct rewrite rw;
	const char *p, *redirect = NULL, *exp = NULL;
	size_t redirect_len = 0;
	enum spfrec_status st = SPFREC_OK;

	*out = NULL;
	if (!spfrec_is_spf(txt))
		return fail(why, "not an SPF record", NULL, 0);
	for (p = txt; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return fail(why, "control or non-ASCII character in "
			    "the record", NULL, 0);
	sb_init(&sb);
	sb_puts(&sb, "v=spf1");
	rw.out = &sb;
	rw.family = family;
	rw.seen_all = false;

	p = txt + 6;
	while (st == SPFREC_OK) {
		const char *t;
		size_t n, k;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		t = p;
		while (*p != ' ' && *p != '\0')
			p++;
		n = (size_t)(p - t);

		/* modifier: name "=" ..., name = ALPHA *(ALPHA/DIGIT/-/_/.) */
		k = 0;
		if (ch_alpha(t[0])) {
			k = 1;
			while (k < n && (ch_alnum(t[k]) || t[k] == '-' ||
			    t[k] == '_' || t[k] == '.'))
				k++;
		}
		if (k > 0 && k < n && t[k] == '=') {
			const char *v = t + k + 1;
			size_t vn = n - k - 1, tail;
			bool em;

			if (k == 8 && strncasecmp(t, "redirect", 8) == 0) {
				if (redirect != NULL)
					st = fail(why, "more than one redirect=",
					    NULL, 0);
				else if (!domain_spec_ok(v, vn))
					st = fail(why, "bad domain-spec", t, n);
				redirect = v;
				redirect_len = vn;
			} else if (k == 3 && strncasecmp(t, "exp", 3) == 0) {
				if (exp != NULL)
					st = fail(why, "more than one exp=",
					    NULL, 0);
				else if (!domain_spec_ok(v, vn))
					st = fail(why, "bad domain-spec", t, n);
				exp = v;
			} else if (!macro_string_ok(v, vn, &em, &tail)) {
				st = fail(why, "bad macro-string", t, n);
			}
			continue;
		}
		st = directive(&rw, t, n, why);
	}
	if (st == SPFREC_OK && redirect != NULL && !rw.seen_all) {
		sb_puts(&sb, " redirect=");
		sb_append(&sb, redirect, redirect_len);
	}
	if (st == SPFREC_OK && sb.err)
		st = SPFREC_NOMEM;
	if (st == SPFREC_OK) {
		*out = sb_steal(&sb);
		fix_big_transformers(*out);
	}
	sb_free(&sb);
	return st;
}

bool
spfrec_domain_ok(const char *dom)
{
	size_t n, label = 0, i, labels = 0;

	if (dom == NULL)
		return false;
	n = strlen(dom);
	if (n > 0 && dom[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || dom[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			labels++;
			label = 0;
		} else {
			label++;
		}
	}
	return labels >= 2;
}
