/*
 * maillog_int.h - helpers shared by maillog.c, maillog_msg.c and
 *		   maillog_span.c only
 *
 * CONTRACT
 *	Not an interface for other modules (maillog.h is). All of
 *	them work on [p, e) byte ranges and never read outside them.
 */
#ifndef RM_MAILLOG_INT_H
#define RM_MAILLOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "maillog.h"

/* [A-Za-z0-9_.-]: the characters of a field name */
extern const unsigned char ml_keych[256];

static inline bool
is_keych(unsigned char c)
{
	return ml_keych[c] != 0;
}

static inline enum ml_kind
set_kind(struct ml_line *o, enum ml_kind k)
{
	o->kind = k;
	return k;
}

static inline void
set_detail(struct ml_line *o, const char *p, const char *e)
{
	o->detail.p = p;
	o->detail.n = (size_t)(e - p);
}

/* [p, e) starts with a string literal: a constant-size memcmp, inlined */
#define STARTS(p, e, lit) \
	((size_t)((e) - (p)) >= sizeof(lit) - 1 && \
	__builtin_memcmp((p), (lit), sizeof(lit) - 1) == 0)
#define FIND(p, e, lit)		ml_find_((p), (e), (lit), sizeof(lit) - 1)

/* Case-sensitive search of lit[0..n) in [p, e); NULL when absent. */
const char	*ml_find_(const char *p, const char *e, const char *lit,
		    size_t n);
/* A queue id followed by ':' and a blank (or the end) at p; its length,
 * 0 when there is none. */
size_t		 ml_qid_at(const char *p, const char *e);
/* The message part of a line from sendmail, from relaymilter. */
enum ml_kind	 ml_sendmail_msg(struct ml_line *o, const char *p,
		    const char *e);
enum ml_kind	 ml_relaymilter_msg(struct ml_line *o, const char *p,
		    const char *e);

#endif
