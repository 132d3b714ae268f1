/*
 * budgetfmt.h - the relay budget's state file and release file, as text
 *
 * CONTRACT
 *	struct bstate is everything the budget keeps across a restart: per
 *	key its non-empty buckets (24-hour window: per minute, t = minute
 *	since the epoch; minute window: per second) and its warning flags,
 *	and the held messages in arrival order. bstate_format() writes it,
 *	bstate_parse() reads it back; struct brel is the release file the
 *	releaser (relaymilter -R, root) writes for the daemon.
 *
 *	State file (budget.state), one record a line, fields separated by
 *	one space:
 *	    relaymilter budget state 1
 *	    written T
 *	    k KEY WARNED        a key; WARNED: bit per rolling window
 *	    d T MSGS RCPTS      a 24-hour bucket of the key before
 *	    s T MSGS RCPTS      a minute bucket of the key before
 *	    h QID HELD MARKED FLAGS MSGS RCPTS RELAY ACCOUNT SENDER
 *	                        a held message (MARKED 0: not yet released;
 *	                        FLAGS 1: bigger than a whole window)
 *	    hk KEY              a key it was held under (of the h before)
 *	    mk KEY              a key its release is pending under
 *	    end
 *	Release file (budget.released):
 *	    relaymilter budget released 1
 *	    written T
 *	    lifetime-warned T   optional: when the releaser last warned
 *	                        about held mail and the queue lifetime
 *	    r QID T released|gone
 *	    end
 *	Strings are percent-encoded (every byte outside '!'..'~', and '%');
 *	an empty one is "-" (a "-" itself is "%2D"). A queue id is 1 to
 *	BSTATE_QID_MAX letters and digits (what sendmail makes; it goes on
 *	sendmail's command line). Buckets of a key come in time order, at
 *	most one per time.
 *
 *	The parsers are pure and take any bytes: a file that is not
 *	exactly this (unknown record, bad number, missing "end", a limit
 *	exceeded) is refused whole with "LINE: what is wrong" in err and
 *	*out untouched; the caller starts fresh. Never a crash: a libFuzzer
 *	target runs them.
 */
#ifndef RM_BUDGETFMT_H
#define RM_BUDGETFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define BSTATE_QID_MAX		20
#define BSTATE_KEY_MAX		512	/* bytes of a key or field, decoded */
#define BSTATE_KEYS_MAX		100000	/* keys, held messages */
#define BSTATE_BUCKETS_MAX	1500	/* buckets of one window of one key */
#define BSTATE_HKEYS_MAX	8	/* keys of one held message */
#define BSTATE_F_NEVER		1	/* held message bigger than a window */

struct bstate_bucket {
	int64_t		 t;
	uint32_t	 msgs, rcpts;
};

struct bstate_key {
	char			*key;
	unsigned		 warned;
	struct bstate_bucket	*day;		/* per minute */
	size_t			 nday;
	struct bstate_bucket	*min;		/* per second */
	size_t			 nmin;
};

struct bstate_held {
	char		 qid[BSTATE_QID_MAX + 1];
	int64_t		 held_at, marked_at;
	unsigned	 flags;		/* BSTATE_F_* */
	uint32_t	 msgs, rcpts;
	char		*relay, *account, *sender;	/* "" when none */
	char		*hkeys[BSTATE_HKEYS_MAX];
	size_t		 nhkeys;
	char		*mkeys[BSTATE_HKEYS_MAX];
	size_t		 nmkeys;
};

struct bstate {
	int64_t			 written;
	struct bstate_key	*keys;
	size_t			 nkeys;
	struct bstate_held	*held;
	size_t			 nheld;
};

struct brel_item {
	char		 qid[BSTATE_QID_MAX + 1];
	int64_t		 when;
	bool		 gone;
};

struct brel {
	int64_t		 written;
	int64_t		 lifetime_warned;	/* 0: never */
	struct brel_item *v;
	size_t		 n;
};

/* Is this a queue id relaymilter puts on sendmail's command line? */
bool	bstate_qid_ok(const char *qid);

int	bstate_parse(const char *text, size_t len, struct bstate *out,
	    strbuf *err);
int	bstate_format(const struct bstate *st, strbuf *out);
void	bstate_free(struct bstate *st);

int	brel_parse(const char *text, size_t len, struct brel *out, strbuf *err);
int	brel_format(const struct brel *r, strbuf *out);
void	brel_free(struct brel *r);

#endif
