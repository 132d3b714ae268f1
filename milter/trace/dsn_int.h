/*
 * dsn_int.h - the insides of dsn_parse(), shared by dsn.c (the MIME walk,
 *	       the delivery-status fields, the returned headers) and
 *	       dsn_text.c (what the human-readable text says) only
 *
 * CONTRACT
 *	Not an interface: include/dsn.h is. struct dsn_walk is the state of
 *	one dsn_parse() call; the hints found in the text are kept in it
 *	until dsn.c decides what the message is.
 */
#ifndef RM_DSN_INT_H
#define RM_DSN_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dsn.h"
#include "mime.h"
#include "util.h"

struct dsn_walk {
	struct dsn	*d;
	const char	*hname;		/* the trace header's name */
	size_t		 parts;		/* body parts seen, in all */
	int		 depth;		/* multipart and message nesting */
	int		 in_message;	/* inside an attached message */
	bool		 report;	/* a delivery-status part was seen */
	bool		 orig_set;	/* d->orig_* are from a returned header */
	bool		 orig_traced;	/* ... that held a trace header */
	bool		 err;		/* out of memory */
	strbuf		 tmp;
	/* from the text: the first SMTP reply, its recipient and MTA */
	char		*reply, *reply_status, *reply_rcpt, *reply_mta;
	char		*addr_hint;	/* the last address alone on a line */
	char		*mta_hint;	/* "while talking to X:", "host X said:" */
};

/* dsn_text.c */
/* A malloc'd copy of the unfolded span (control characters removed, at
 * most DSN_MAX_VALUE bytes, a cut flagged in d->flags); NULL when the
 * value is empty or memory ran out (w->err). */
char	*dsn_text_str(struct dsn_walk *w, struct mime_span v);
/* Replace *field with s (freeing the old one). */
void	 dsn_text_set(char **field, char *s);

/* Does this header block look like a bounce (From:, Subject:,
 * X-Failed-Recipients:, Return-Path: <>, multipart/report)? */
bool	 dsn_text_bounce_like(const struct mime_head *h);
/* Read a text part: quoted trace headers, the first SMTP reply and the
 * address and MTA it is about. */
void	 dsn_text_scan(struct dsn_walk *w, const char *p, size_t n);
/* Add a trace header value (unfolded), once. */
void	 dsn_text_add_trace(struct dsn_walk *w, struct mime_span v,
	    enum dsn_ret from);

#endif
