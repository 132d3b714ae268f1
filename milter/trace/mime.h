/*
 * mime.h - take a mail message apart: header fields, Content-Type,
 *	    transfer encodings, the parts of a multipart body
 *
 * CONTRACT
 *	Pure helpers for relaymilter-trace's reader of delivery status
 *	notifications (dsn.c): no I/O, no global state, no locale. Every
 *	function reads exactly the n bytes it is given (NUL bytes included,
 *	no terminator needed), never more, and is safe on any byte sequence:
 *	the DSN fuzz target calls them through dsn_parse(). Spans point into
 *	the caller's buffer. Lines end with LF or CRLF (a lone CR is data).
 *
 *	Sizes are bounded: at most MIME_MAX_FIELDS header fields are kept
 *	per header block (more set `more`, the block is still read to its
 *	end), a boundary longer than MIME_MAX_BOUNDARY is refused (the body
 *	is then not split), a Content-Type's type and parameters are cut at
 *	their buffers and the cut is flagged. Decoders write at most `max`
 *	bytes and say when they stopped early. Nothing is truncated without
 *	a flag that the caller reports.
 */
#ifndef RM_MIME_H
#define RM_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define MIME_MAX_FIELDS		128
#define MIME_MAX_BOUNDARY	200	/* RFC 2046 allows 70 */

struct mime_span {
	const char	*p;
	size_t		 n;
};

struct mime_field {
	struct mime_span name;		/* without the colon and blanks */
	struct mime_span value;		/* raw: folded, CRLF included */
};

struct mime_head {
	struct mime_field f[MIME_MAX_FIELDS];
	size_t		 n;
	size_t		 more;		/* fields beyond MIME_MAX_FIELDS */
};

/*
 * Read the header block at buf[0..len): fields until an empty line (the
 * body starts after it), the end of the input, or a line that is neither
 * a field nor a continuation (the body starts at that line). A first
 * line "From " (an mbox separator left in) is skipped. Returns the
 * offset of the body (len when there is none).
 */
size_t	 mime_head_parse(const char *buf, size_t len, struct mime_head *h);

/* The first field named name (ASCII case-insensitive), or NULL. */
const struct mime_field *mime_head_get(const struct mime_head *h,
	    const char *name);

/*
 * Append the unfolded value v to out (RFC 5322 unfolding: line breaks
 * removed; TAB and other control characters become a space or go, runs
 * of blanks become one, leading and trailing blanks trimmed), at most
 * max bytes of it; a longer value is cut and " [...]" appended, and
 * true returned. -1 only when out ran out of memory.
 */
int	 mime_unfold(struct mime_span v, size_t max, strbuf *out);

struct mime_ctype {
	char	 type[64];		/* "multipart/report", lower case */
	char	 boundary[MIME_MAX_BOUNDARY + 1];
	char	 report_type[40];	/* lower case */
	bool	 has_boundary;
	bool	 cut;			/* a value did not fit: ignored */
};

/* Parse an unfolded Content-Type value (NULL: the default text/plain).
 * A type without '/' or too long is "text/plain" with cut set. */
void	 mime_ctype_parse(const char *value, struct mime_ctype *ct);

enum mime_cte {
	MIME_CTE_IDENTITY = 0,	/* 7bit, 8bit, binary, absent, unknown */
	MIME_CTE_BASE64,
	MIME_CTE_QP
};

enum mime_cte mime_cte_parse(const char *value);

/*
 * Decode n bytes of p into out, at most max bytes (base64: bad
 * characters skipped, as RFC 2045 asks; quoted-printable: a bad escape
 * kept as it is). Returns 1 when it stopped at max, 0 when complete,
 * -1 when out ran out of memory.
 */
int	 mime_decode(enum mime_cte e, const char *p, size_t n, size_t max,
	    strbuf *out);

/* Flags of mime_parts(). */
#define MIME_P_UNTERMINATED	0x01	/* no close delimiter: the last part
					 * runs to the end of the input */
#define MIME_P_NONE		0x02	/* no delimiter line at all */
#define MIME_P_STOPPED		0x04	/* the callback asked to stop */

/*
 * Call part(ctx, span) for each body part of a multipart body[0..n)
 * with that boundary (without the leading "--"), in order; the span
 * runs from after the delimiter line to before the line break that
 * precedes the next delimiter. The preamble and epilogue are skipped.
 * A callback returning non-zero stops the walk. Returns MIME_P_* flags.
 */
unsigned mime_parts(const char *body, size_t n, const char *boundary,
	    int (*part)(void *ctx, struct mime_span s), void *ctx);

/* ASCII case-insensitive: does s[0..n) equal / start with lit? */
bool	 mime_span_ieq(struct mime_span s, const char *lit);
bool	 mime_span_istarts(struct mime_span s, const char *lit);
/* Case-insensitive search of lit in s; offset or -1. */
long	 mime_span_ifind(struct mime_span s, const char *lit);

#endif
