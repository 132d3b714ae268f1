/*
 * dsn.h - read one delivery status notification: is it a bounce, for
 *	   whom, with what status and reply, from which remote MTA, and the
 *	   trace headers of the message that came back
 *
 * CONTRACT
 *	dsn_parse() is pure (no I/O, no global state, no locale) and reads
 *	exactly the len bytes it is given, never more; every byte is outside
 *	input, so it is safe on anything (tests/fuzz/fuzz_dsn.c) and bounded:
 *	MIME nesting to DSN_MAX_DEPTH, DSN_MAX_PARTS body parts in all, a
 *	decoded part to DSN_MAX_DECODE bytes, DSN_MAX_RCPT recipients and
 *	DSN_MAX_TRACE trace headers kept, each value to DSN_MAX_VALUE bytes
 *	(a longer one ends in " [...]"). Whatever a bound left out is said in
 *	d->flags (DSN_F_*), which the printers show; nothing is dropped
 *	silently. Every string it returns is NUL-terminated and free of
 *	control characters (TAB, CR, LF included).
 *
 *	What counts as a DSN:
 *	  DSN_REPORT  a message/delivery-status part (RFC 3464; also
 *		      message/global-delivery-status, RFC 6533) with at least
 *		      one recipient group, anywhere in the MIME tree (a
 *		      bounce forwarded as an attachment included);
 *	  DSN_TEXT    no such part, but the message looks like a bounce
 *		      (From: a mailer-daemon or postmaster, a bounce Subject,
 *		      X-Failed-Recipients:, or Return-Path: <>), its text
 *		      holds an SMTP failure reply (or it has X-Failed-
 *		      Recipients:), and it carries the returned headers with
 *		      a trace header (the non-standard layouts: a provider's
 *		      forwarded bounce, qmail's "failure notice" quoting the
 *		      original). Recipients then come from X-Failed-
 *		      Recipients: or the text, the reply from the first SMTP
 *		      reply line of the text.
 *	Anything else is DSN_NONE (the account's ordinary mail).
 *
 *	The returned headers are those of a text/rfc822-headers part, of a
 *	message/rfc822 part (or message/global, -headers), or, in a text
 *	part, lines "NAME: value" quoted with '>' or indented (the quoted
 *	original). The trace header is found there by its name (case-
 *	insensitive), never in the DSN's own header.
 */
#ifndef RM_DSN_H
#define RM_DSN_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_MAX_DEPTH	8
#define DSN_MAX_PARTS	64
#define DSN_MAX_DECODE	(256u * 1024u)
#define DSN_MAX_RCPT	16
#define DSN_MAX_TRACE	4
#define DSN_MAX_QIDS	8
#define DSN_MAX_VALUE	1024

enum dsn_kind {
	DSN_NONE = 0,		/* not a delivery status notification */
	DSN_REPORT,		/* RFC 3464 delivery-status part */
	DSN_TEXT		/* a bounce in text, with the returned headers */
};

/* Where the returned headers came from. */
enum dsn_ret {
	DSN_RET_NONE = 0,
	DSN_RET_HEADERS,	/* text/rfc822-headers */
	DSN_RET_MESSAGE,	/* message/rfc822 */
	DSN_RET_QUOTED		/* quoted in a text part */
};

/* d->flags: what a bound or damage left out (shown to the user) */
#define DSN_F_DEPTH		0x001	/* MIME nested deeper than DSN_MAX_DEPTH */
#define DSN_F_PARTS		0x002	/* more than DSN_MAX_PARTS parts */
#define DSN_F_DECODE		0x004	/* a part decoded only to DSN_MAX_DECODE */
#define DSN_F_RCPTS		0x008	/* more recipients than DSN_MAX_RCPT */
#define DSN_F_TRACES		0x010	/* more trace headers than DSN_MAX_TRACE */
#define DSN_F_FIELDS		0x020	/* a header block of too many fields */
#define DSN_F_NOBOUNDARY	0x040	/* a multipart without a usable boundary */
#define DSN_F_UNTERMINATED	0x080	/* a multipart without its close delimiter */
#define DSN_F_CUT		0x100	/* a value longer than DSN_MAX_VALUE */
#define DSN_F_INPUT		0x200	/* never set by dsn_parse(): its caller
					 * sets it when the message was longer
					 * than it read (dsn_box.h) */

struct dsn_rcpt {
	char	*rcpt;		/* Final-Recipient, without "rfc822;" */
	char	*orig_rcpt;	/* Original-Recipient, or NULL */
	char	*action;	/* failed, delayed, delivered, relayed, expanded */
	char	*status;	/* 5.1.1, or NULL */
	char	*remote_mta;	/* Remote-MTA without "dns;", or from the text */
	char	*diag;		/* the reply: Diagnostic-Code without "smtp;" */
	char	*last_attempt;	/* Last-Attempt-Date */
};

struct dsn {
	enum dsn_kind	 kind;
	bool		 forwarded;	/* the report was inside an attached message */
	unsigned	 flags;		/* DSN_F_* */
	/* the DSN's own header */
	char		*from, *subject, *date, *msgid;
	/* the per-message fields of the report */
	char		*reporting_mta, *arrival;
	struct dsn_rcpt	 rcpt[DSN_MAX_RCPT];
	size_t		 nrcpt;
	/* the returned message */
	enum dsn_ret	 ret;
	char		*trace[DSN_MAX_TRACE];	/* trace header values */
	size_t		 ntrace;
	char		*orig_from, *orig_to, *orig_subject, *orig_msgid;
	/* sendmail queue ids named by "id X" in its Received: fields */
	char		*received_qid[DSN_MAX_QIDS];
	size_t		 nreceived_qid;
};

/*
 * Parse msg[0..len); trace_header is the name of relaymilter's header
 * (TraceHeader, "X-Relay-Trace"). 0, or -1 when memory ran out (d is
 * then freed). dsn_free() releases what d holds; d may be reused.
 */
int	 dsn_parse(const char *msg, size_t len, const char *trace_header,
	    struct dsn *d);
void	 dsn_free(struct dsn *d);

const char *dsn_kind_name(enum dsn_kind k);
const char *dsn_ret_name(enum dsn_ret r);
/* What one DSN_F_* bit means, in words ("MIME nested deeper than 8
 * levels: the rest not read"); NULL for a bit that is not a flag. */
const char *dsn_flag_text(unsigned bit);

#endif
