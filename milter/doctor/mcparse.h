/*
 * mcparse.h - read sendmail.mc: the m4 macro calls it makes
 *
 * CONTRACT
 *	A pure parser over text already in memory (includes are read through
 *	a callback the caller supplies); no global state, never aborts,
 *	never cuts a value short; every call keeps its file and 1-based line.
 *
 *	m4 macro calls NAME(args) outside quotes and comments,
 *	with one level of `quotes' removed from each argument and leading
 *	white space dropped, as m4 does (trailing white space is dropped
 *	too); `dnl` (also inside arguments) and `#` comments are skipped.
 *	Nested calls inside arguments are kept as text, not expanded.
 */
#ifndef RM_MCPARSE_H
#define RM_MCPARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* One m4 macro call from sendmail.mc (or a file it includes). */
struct mc_call {
	char		*name;
	char		**args;
	size_t		 nargs;
	char		*file;		/* file the call is in */
	unsigned	 line;
};

struct sendmail_mc {
	struct mc_call	*calls;
	size_t		 ncalls;
};

/*
 * include(`path') and sinclude(`path') are followed through include(),
 * which returns the text of path (malloc, the parser frees it) or NULL to
 * skip it (cf.m4 itself, a missing file); at most 8 levels deep. The
 * included calls take the place of the include, so the last define wins
 * as in m4. include may be NULL.
 */
typedef char	*(*mc_include_fn)(const char *path, void *arg);

int		 mc_parse(const char *text, const char *file,
		    mc_include_fn include, void *arg, struct sendmail_mc *mc,
		    strbuf *err);
void		 mc_free(struct sendmail_mc *mc);
/* First call NAME whose first argument is arg1 (any when arg1 is NULL),
 * scanning from the end so that the last define wins, as in m4. */
const struct mc_call	*mc_find(const struct sendmail_mc *mc, const char *name,
			    const char *arg1);
/* Value of define(`NAME', `value'), or NULL (also after undefine). */
const char		*mc_define(const struct sendmail_mc *mc, const char *name,
			    unsigned *line);

#endif
