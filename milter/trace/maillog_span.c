/*
 * maillog_span.c - the searches, comparisons and field lookups over the
 *		    byte ranges of a maillog line
 *
 * CONTRACT
 *	See maillog.h and maillog_int.h. Every function reads only the
 *	range it is given ([p, e) or a struct ml_span), never past it, never
 *	depending on NUL termination or the locale. The bottom of the
 *	parser: maillog.c and maillog_msg.c call it, it calls neither.
 */
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "maillog.h"
#include "maillog_int.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* [A-Za-z0-9_.-]: the characters of a field name */
const unsigned char ml_keych[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* Case-sensitive search of lit in [p, e); NULL when absent. */
const char *
ml_find_(const char *p, const char *e, const char *lit, size_t n)
{
	const char *q;

	if (n == 0 || (size_t)(e - p) < n)
		return NULL;
	while ((q = memchr(p, lit[0], (size_t)(e - p) - n + 1)) != NULL) {
		if (memcmp(q, lit, n) == 0)
			return q;
		p = q + 1;
		if ((size_t)(e - p) < n)
			break;
	}
	return NULL;
}

bool
ml_span_ieq(struct ml_span s, const char *lit)
{
	size_t i, n = strlen(lit);

	if (s.n != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return false;
	return true;
}

long
ml_span_find(struct ml_span s, const char *lit)
{
	size_t i, j, n = strlen(lit);

	if (n == 0)
		return 0;
	if (s.n < n)
		return -1;
	for (i = 0; i + n <= s.n; i++) {
		for (j = 0; j < n; j++)
			if (lower((unsigned char)s.p[i + j]) !=
			    lower((unsigned char)lit[j]))
				break;
		if (j == n)
			return (long)i;
	}
	return -1;
}

long
ml_span_mem(struct ml_span s, const char *lit)
{
	const char *q = ml_find_(s.p, s.p + s.n, lit, strlen(lit));

	return q ? (long)(q - s.p) : -1;
}

const struct ml_span *
ml_get(const struct ml_line *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nfields; i++)
		if (l->f[i].key.n > 0 && ml_span_eq(l->f[i].key, key))
			return &l->f[i].val;
	return NULL;
}

int
ml_unquote(struct ml_span s, strbuf *sb)
{
	size_t i;

	if (s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return sb_append(sb, s.p, s.n);
	for (i = 1; i + 1 < s.n; i++) {
		if (s.p[i] == '\\' && i + 2 < s.n)
			i++;
		if (sb_putc(sb, s.p[i]) < 0)
			return -1;
	}
	return sb->err ? -1 : 0;
}

/*
 * sendmail queue ids: 8 characters of date and sequence from [0-9A-Za-z]
 * plus the pid printed with at least 6 digits; 14 characters, 15 with
 * 7-digit pids, up to 20 in some builds. Older formats are 12 long. The
 * last four characters are always digits.
 */
bool
ml_is_qid(const char *s, size_t n)
{
	size_t i;

	if (n < 12 || n > 20)
		return false;
	for (i = 0; i < n; i++)
		if (!ch_alnum((unsigned char)s[i]))
			return false;
	for (i = n - 4; i < n; i++)
		if (!ch_digit((unsigned char)s[i]))
			return false;
	return true;
}

/* A queue id followed by ':' and a blank (or the end) at p; its length. */
size_t
ml_qid_at(const char *p, const char *e)
{
	const char *q = p;
	size_t n, digits = 0;

	/* alphanumerics, counting the digits at the end */
	while (q < e && q - p <= 20) {
		unsigned char c = (unsigned char)*q;

		if (ch_digit(c))
			digits++;
		else if (ml_keych[c] && c != '-' && c != '.' && c != '_')
			digits = 0;
		else
			break;
		q++;
	}
	n = (size_t)(q - p);
	if (q >= e || *q != ':' || n < 12 || n > 20 || digits < 4)
		return 0;
	if (q + 1 < e && q[1] != ' ')
		return 0;
	return n;
}
