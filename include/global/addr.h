/*
 * addr.h - envelope and header addresses: parse, unquote, normalise, quote
 *
 * CONTRACT
 *	addr_parse_envelope() takes a reverse-path as sendmail hands it to a
 *	milter ("<user@example.com>", "<>", "<\"a b\"@example.com>",
 *	"<user@[IPv6:2001:db8::1]>", "<@route,@hops:user@example.com>", or an
 *	unqualified "<root>"), with or without the angle brackets. On success
 *	the local part is unquoted, the domain lower-cased without a trailing
 *	dot (NULL when unqualified), and null is set for "<>". It returns -1
 *	for anything that is not an address (control characters, unbalanced
 *	quotes or brackets, empty local part, bad domain) and then leaves
 *	*out empty; addr_free() is safe on *out either way.
 *
 *	hdr_from_parse() reads an RFC 5322 From: value: display name, comments,
 *	quoted strings, angle addresses, groups, several mailboxes. It reports
 *	how many mailboxes it found and the first one's display name (as
 *	written, trimmed) and address. hdr_from_parse_addr() is the same
 *	without the display name (always NULL), for callers that only need
 *	the address: it spares that copy.
 *
 *	Everything returned is malloc'ed and owned by the caller; nothing here
 *	aborts or truncates.
 */
#ifndef RM_ADDR_H
#define RM_ADDR_H

#include <stdbool.h>

#include "util.h"

struct rm_addr {
	char	*local;		/* unquoted local part; NULL for <> */
	char	*domain;	/* lower case, no trailing dot; NULL if unqualified */
	bool	 null;		/* the null reverse-path <> */
};

int	 addr_parse_envelope(const char *in, struct rm_addr *out);
void	 addr_free(struct rm_addr *a);
/* "local@domain" with the local part quoted when it must be; NULL on ENOMEM. */
char	*addr_format(const char *local, const char *domain);
/* The same into buf (size bytes, NUL-terminated when size > 0), as
 * snprintf: returns the length of the whole text; it was cut when that
 * is size or more. */
size_t	 addr_format_buf(const char *local, const char *domain, char *buf,
	    size_t size);
/* The same appended to sb: 0, or -1 on ENOMEM (sb->err set). */
int	 addr_append(strbuf *sb, const char *local, const char *domain);
/* Same for a parsed address ("<>" → ""). */
char	*addr_text(const struct rm_addr *a);
/* Split "user+detail" at the first delim; detail NULL when there is none
 * (no delim, or one at the start: "+tag" is all user). */
int	 addr_split_detail(const char *local, char delim, char **user,
	    char **detail);
/* The same without copies: the length of the user part; local[it] is the
 * delim that starts the detail, or '\0' when there is none. */
size_t	 addr_detail_at(const char *local, char delim);
/* Lower-case and strip one trailing dot; in place. */
/*
 * An address as an administrator writes it in a configuration file may be
 * in angle brackets ("<alerts@example.com>", as in a MAIL FROM): strip one
 * enclosing pair in place (and white space inside it); returns s.
 */
char	*addr_unbracket(char *s);
char	*domain_normalise(char *domain);
bool	 domain_is_valid(const char *domain);

struct hdr_from {
	int		 count;		/* mailboxes found */
	char		*display;	/* first mailbox's display name, or NULL */
	struct rm_addr	 addr;		/* first mailbox's address */
};

int	 hdr_from_parse(const char *value, struct hdr_from *out);
int	 hdr_from_parse_addr(const char *value, struct hdr_from *out);
void	 hdr_from_free(struct hdr_from *f);
/* A From: value: "display <addr>" or "<addr>", control characters (CR, LF,
 * NUL, ESC...) stripped, TAB as a space; NULL on ENOMEM. */
char	*hdr_from_build(const char *display, const char *addr);

#endif
