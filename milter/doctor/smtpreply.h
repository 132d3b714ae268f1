/*
 * smtpreply.h - parse SMTP replies (single and multi-line) and EHLO keywords
 *
 * CONTRACT
 *	Pure functions over bytes: no I/O, no global state, no locale. Any
 *	byte sequence is valid input (a libFuzzer target calls these): bad
 *	input gives SMTPR_BAD with a short reason, never a crash, an abort
 *	or a silent truncation.
 *
 *	A reply is zero or more "NNN-text" lines followed by one "NNN text"
 *	or bare "NNN" line, every line with the same code NNN (200..599,
 *	RFC 5321 4.2). Lines end in CRLF or a bare LF; a CR elsewhere is
 *	text. Limits: SMTPR_MAX_LINE bytes in one line (terminator not
 *	counted) and SMTPR_MAX_LINES lines in one reply; a longer reply is
 *	refused with SMTPR_BAD, not cut. SMTPR_INCOMPLETE means "read more
 *	bytes and call again with the whole buffer"; it is only returned
 *	while every complete line seen so far is valid and no limit is hit.
 *
 *	The stored line texts have control characters removed (TAB becomes
 *	a space, NUL and other C0 bytes and DEL are dropped) so they can go
 *	to a terminal, a log line or JSON as they are. Bytes >= 0x80 pass.
 *
 *	smtpreply_ehlo() reads the keywords of a 250 reply to EHLO: the
 *	server's name (first word of the first line) and one keyword per
 *	following line, upper-cased. AUTH mechanisms come from "AUTH m1 m2"
 *	and the old "AUTH=m1 m2" form, deduplicated, upper-cased; tokens
 *	that are not valid keywords or SASL mechanism names are ignored.
 */
#ifndef RM_SMTPREPLY_H
#define RM_SMTPREPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define SMTPR_MAX_LINE	4096
#define SMTPR_MAX_LINES	512

enum smtpr_status {
	SMTPR_OK = 0,		/* one complete reply parsed */
	SMTPR_INCOMPLETE = 1,	/* valid so far, more bytes needed */
	SMTPR_BAD = -1,		/* not an SMTP reply (reason set) */
	SMTPR_NOMEM = -2	/* allocation failure */
};

struct smtp_reply {
	int	  code;		/* 200..599 */
	char	  enh[12];	/* enhanced status of the first line ("5.7.8"),
				 * "" when absent; at most 9 characters by
				 * syntax, so the array always suffices */
	char	**lines;	/* text after "NNN-"/"NNN ", sanitized */
	size_t	  nlines;
};

/*
 * Parse one reply from the start of buf[0..len). On SMTPR_OK, r is filled
 * (free it with smtpreply_free) and *used is the number of bytes it took,
 * including the last line terminator. On any other status r is left empty
 * and, for SMTPR_BAD, *why (when why is not NULL) names the problem.
 */
enum smtpr_status smtpreply_parse(const char *buf, size_t len,
		    struct smtp_reply *r, size_t *used, const char **why);
void		 smtpreply_free(struct smtp_reply *r);

/*
 * One-line rendering for humans and logs: "535 5.7.8 Username and Password
 * not accepted. Learn more at https://..." -- the code and enhanced status
 * once, continuation lines joined with a space, their repeated enhanced
 * status dropped, runs of spaces collapsed. Appends to out; -1 on
 * allocation failure.
 */
int		 smtpreply_format(const struct smtp_reply *r, strbuf *out);

/* Reply class helpers. */
#define SMTPR_CLASS(code)	((code) / 100)

struct ehlo_info {
	char	 *domain;	/* server's name from the first line, or NULL */
	bool	  starttls;
	bool	  pipelining;
	bool	  eightbitmime;
	bool	  smtputf8;
	bool	  enhancedstatuscodes;
	bool	  has_size;
	unsigned long size;	/* SIZE value, 0 when absent or no limit */
	char	**keywords;	/* every keyword, upper case, in order */
	size_t	  nkeywords;
	char	**auth;		/* AUTH mechanisms, upper case, unique */
	size_t	  nauth;
};

/*
 * Fill e from a 250 reply to EHLO. 0 on success, SMTPR_BAD when the reply
 * is not a 2xx reply, SMTPR_NOMEM on allocation failure (e is then empty).
 */
int		 smtpreply_ehlo(const struct smtp_reply *r, struct ehlo_info *e);
void		 ehlo_info_free(struct ehlo_info *e);
bool		 ehlo_has_keyword(const struct ehlo_info *e, const char *kw);
bool		 ehlo_has_auth(const struct ehlo_info *e, const char *mech);

#endif
