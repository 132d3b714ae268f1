/*
 * mcparse.h - read sendmail.mc: the m4 macro calls it makes
 *
 * CONTRACT
 *	A pure parser over text already in memory (includes are read through
 *	a callback the caller supplies); no global state, never aborts,
 *	never cuts a value short; every call keeps its file and 1-based line.
 *
 *	m4 macro calls NAME(args) outside quotes and comments, and the
 *	section markers written without arguments (MAILER_DEFINITIONS,
 *	LOCAL_CONFIG, LOCAL_RULE_n, LOCAL_RULESETS, LOCAL_NET_CONFIG) as calls
 *	with no argument,
 *	with one level of `quotes' removed from each argument and leading
 *	white space dropped, as m4 does (trailing white space is dropped
 *	too); `dnl` (also inside arguments) and `#` comments are skipped.
 *	Nested calls inside arguments are kept as text, not expanded. A call
 *	whose closing ')' never comes is recorded with what it had, marked
 *	unclosed, and ends the parse of its file (m4 takes the rest of the
 *	input as its argument); when a `dnl` inside its arguments ate a line
 *	with its ')', dnl_line says which (the trap of seed 002's joined
 *	lines).
 *
 *	m4_msgs_parse() reads what m4 prints on stderr: its own messages
 *	"m4:FILE:LINE: text" and the errprint() lines of sendmail's cf files
 *	("*** ERROR: FEATURE() should be before MAILER()", "WARNING: ...").
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
	unsigned	 end_line;	/* line of its ')' (or of the end) */
	int		 depth;		/* 0 in the top file, 1.. in includes */
	bool		 unclosed;	/* no ')' before the end of the file */
	unsigned	 dnl_line;	/* a dnl inside the arguments, or 0 */
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

/* The first call NAME in the top file (depth 0), or NULL. */
const struct mc_call	*mc_first(const struct sendmail_mc *mc, const char *name);
/* The unclosed call, or NULL. */
const struct mc_call	*mc_unclosed(const struct sendmail_mc *mc);

/* ------------------------------------------------------------ editing
 * (mcedit.c, pure) */

/*
 * The calls of the top file that come after its first MAILER() and that m4
 * reads too late there: every call but MAILER, MAILER_DEFINITIONS,
 * divert, include, sinclude and the LOCAL_* sections (which belong at the
 * end). At most max go into out; the number found is returned.
 */
size_t		 mcedit_late_calls(const struct sendmail_mc *mc,
		    const struct mc_call **out, size_t max);
/* The line the late calls belong above: MAILER_DEFINITIONS when it comes
 * before the first MAILER(), else that MAILER(); 0 when there is none.
 * *what is the name of the call on that line. */
unsigned	 mcedit_mailer_anchor(const struct sendmail_mc *mc, const char **what);
/* text with lines[0..n) (1-based, any order, duplicates allowed) moved,
 * in their order, just above line `above`; malloc'ed, NULL on ENOMEM. */
char		*mcedit_move_lines(const char *text, const unsigned *lines, size_t n,
		    unsigned above);
/* Line n of text without its newline (malloc'ed), NULL when there is no
 * such line or on ENOMEM. */
char		*mcedit_line(const char *text, unsigned n);

/* ------------------------------------------------------------ m4's stderr */

enum m4_msg_kind {
	M4_ERROR = 0,		/* m4 error, "cannot open", "*** ERROR:" */
	M4_WARNING,		/* "WARNING:" lines */
	M4_OTHER		/* anything else m4 or a macro printed */
};

struct m4_msg {
	enum m4_msg_kind kind;
	char		*file;		/* NULL when m4 gave no place */
	unsigned	 line;		/* 0 when none */
	char		*text;		/* without "m4:FILE:LINE: " and "*** " */
};

struct m4_msgs {
	struct m4_msg	*v;
	size_t		 n;
};

/* 0, or -1 on allocation failure (out left empty). Blank lines are
 * skipped; every other line is one message. */
int		 m4_msgs_parse(const char *text, struct m4_msgs *out);
void		 m4_msgs_free(struct m4_msgs *m);

#endif
