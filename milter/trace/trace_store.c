/*
 * trace_store.c - the text store of the trace: per-message arenas and
 *		   copies of log text without control characters
 *
 * CONTRACT
 *	See trace_int.h. A message's strings live in its arena
 *	(a list of chunks, the first embedded in the record), counted in the
 *	trace's bytes of open messages; a field of the message that changes
 *	reuses its old space when the new value fits. A recipient's texts
 *	(tr_sset_rc) are never written over: recipients with the same relay,
 *	status or reply share one copy, found among the last few stored. Every copy
 *	drops C0 control characters and DEL (TAB becomes a space), so stored
 *	text is safe to print. Allocation failures set t->err, never abort.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "trace.h"
#include "trace_int.h"
#include "util.h"

/* Append p[0..n) without control characters (TAB becomes a space). */
void
tr_sb_append_clean(strbuf *sb, const char *p, size_t n)
{
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		if (!ch_ctl((unsigned char)p[i]))
			continue;
		if (i > run)
			sb_append(sb, p + run, i - run);
		if (p[i] == '\t')
			sb_putc(sb, ' ');
		run = i + 1;
	}
	if (n > run)
		sb_append(sb, p + run, n - run);
}

/* fnv1a32() of the bytes tr_clean_copy() keeps (TAB as a space). */
uint32_t
tr_fnv_clean(const char *p, size_t n, uint32_t h)
{
	size_t i, run = 0;
	unsigned char sp = ' ';

	for (i = 0; i < n; i++) {
		if (!ch_ctl((unsigned char)p[i]))
			continue;
		h = fnv1a32(p + run, i - run, h);
		if (p[i] == '\t')
			h = fnv1a32(&sp, 1, h);
		run = i + 1;
	}
	return fnv1a32(p + run, n - run, h);
}

void
tr_mem_add(struct trace *t, struct msg *m, long delta)
{
	m->bytes = (size_t)((long)m->bytes + delta);
	t->mem = (size_t)((long)t->mem + delta);
}

void *
tr_a_alloc(struct trace *t, struct msg *m, size_t n)
{
	struct chunk *c = m->arena;
	size_t cap;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (c->cap - c->used < n) {
		cap = c->cap * 2;
		if (cap > 65536)
			cap = 65536;
		if (cap < n)
			cap = n;
		if ((c = malloc(sizeof(*c) + cap)) == NULL)
			return NULL;
		c->next = m->arena;
		c->used = 0;
		c->cap = cap;
		m->arena = c;
		tr_mem_add(t, m, (long)(sizeof(*c) + cap));
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

/* Length of p[0..n) once control characters are dropped. */
size_t
tr_clean_len(const char *p, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (!ch_ctl((unsigned char)p[i]) || p[i] == '\t')
			k++;
	return k;
}

void
tr_clean_copy(char *d, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\t')
			*d++ = ' ';
		else if (!ch_ctl((unsigned char)p[i]))
			*d++ = p[i];
	}
	*d = '\0';
}

/* Is the stored (cleaned) string s equal to p[0..n) once cleaned? */
bool
tr_clean_eq(const char *s, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\t') {
			if (*s++ != ' ')
				return false;
		} else if (!ch_ctl((unsigned char)p[i])) {
			if (*s++ != p[i])
				return false;
		}
	}
	return *s == '\0';
}

/* Any control character (< 0x20 or 0x7f) in p[0..n)? Eight bytes at a
 * time: a byte below 0x20 or equal to 0x7f sets its high bit in t. */
bool
tr_has_ctl(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t w, t;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		t = ((w - ones * 0x20) & ~w & high) |
		    (((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)) & high);
		if (t != 0)
			return true;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return true;
	return false;
}

/* Set *field to a cleaned copy of p[0..n), reusing its space if it fits. */
int
tr_sset(struct trace *t, struct msg *m, const char **field, const char *p,
    size_t n)
{
	bool ctl = tr_has_ctl(p, n);
	size_t k = ctl ? tr_clean_len(p, n) : n;
	char *d;

	if (*field != NULL && strnlen(*field, k) >= k)
		d = (char *)*field;
	else if ((d = tr_a_alloc(t, m, k + 1)) == NULL) {
		t->err = 1;
		return -1;
	}
	if (ctl)
		tr_clean_copy(d, p, n);
	else {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	*field = d;
	return 0;
}

int
tr_sset_span(struct trace *t, struct msg *m, const char **field,
    struct ml_span s)
{
	return tr_sset(t, m, field, s.p, s.n);
}

/* A quoted value ("a \"b\"") is stored without its quoting. */
int
tr_sset_unquote(struct trace *t, struct msg *m, const char **field,
    struct ml_span s)
{
	char *d, *w;
	size_t i;

	if (s.n < 2 || s.p[0] != '"' || s.p[s.n - 1] != '"')
		return tr_sset_span(t, m, field, s);
	if ((d = tr_a_alloc(t, m, s.n)) == NULL) {
		t->err = 1;
		return -1;
	}
	w = d;
	for (i = 1; i + 1 < s.n; i++) {
		if (s.p[i] == '\\' && i + 2 < s.n)
			i++;
		if (s.p[i] == '\t')
			*w++ = ' ';
		else if (!ch_ctl((unsigned char)s.p[i]))
			*w++ = s.p[i];
	}
	*w = '\0';
	*field = d;
	return 0;
}

int
tr_sset_rc(struct trace *t, struct msg *m, const char **field, const char *p,
    size_t n)
{
	const char *s;
	char *d;
	unsigned i;

	if (*field != NULL && tr_clean_eq(*field, p, n))
		return 0;
	for (i = 0; i < INTERN_RING; i++)
		if ((s = m->intern[i]) != NULL && tr_clean_eq(s, p, n)) {
			*field = s;
			return 0;
		}
	if ((d = tr_a_alloc(t, m, tr_clean_len(p, n) + 1)) == NULL) {
		t->err = 1;
		return -1;
	}
	tr_clean_copy(d, p, n);
	m->intern[m->intern_next++ % INTERN_RING] = d;
	*field = d;
	return 0;
}

void
tr_sb_set_clean(strbuf *sb, const char *p, size_t n)
{
	sb_reset(sb);
	tr_sb_append_clean(sb, p, n);
}
