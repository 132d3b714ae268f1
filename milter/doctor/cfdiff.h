/*
 * cfdiff.h - what differs between two sendmail.cf texts, said the way
 *	sendmail reads them
 *
 * CONTRACT
 *	Pure: two texts in, a list of differences out; no I/O, no state.
 *	Comments, blank lines and continuation breaks do not count (m4's
 *	"##### built by" lines, Debian's copy of the .mc at the end). Lines
 *	are compared by what sendmail keys them on: macros (D) by name,
 *	options (O) by name (case-insensitive), the last definition winning
 *	as when sendmail reads the file; mailers (M) field by field (F=, A=,
 *	...; the flags of F= as a set); maps (K) and milters (X) by name;
 *	every other line (rules with the ruleset they are in, classes,
 *	headers, version) as a line that is there or not. The order of the
 *	list is that of the first text, then what only the second has, in
 *	its order.
 */
#ifndef RM_CFDIFF_H
#define RM_CFDIFF_H

#include <stddef.h>

enum cfd_kind {
	CFD_CHANGED = 0,	/* both have it, with other values */
	CFD_ONLY_A,		/* only the first text has it */
	CFD_ONLY_B		/* only the second text has it */
};

struct cfd_item {
	enum cfd_kind	 kind;
	char		 type;		/* 'D', 'O', 'M', 'K', 'X', or 'L' for
					 * any other line */
	char		*key;		/* macro, option, mailer, map or milter
					 * name; NULL for 'L' */
	char		 field;		/* mailer field letter ('F', 'A', ...),
					 * 0 for the whole line */
	char		*a;		/* value in the first text, or NULL */
	char		*b;		/* value in the second text, or NULL */
	unsigned	 a_line;	/* its line there, 0 when absent */
	unsigned	 b_line;
};

struct cfd {
	struct cfd_item	*v;
	size_t		 n;
};

/* 0, or -1 on allocation failure (d left empty). */
int		 cfd_diff(const char *a, const char *b, struct cfd *d);
void		 cfd_free(struct cfd *d);

#endif
