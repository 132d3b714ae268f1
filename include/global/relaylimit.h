/*
 * relaylimit.h - one RelayLimit line: what the relay budget allows, and for
 *		  whom it counts
 *
 * CONTRACT
 *	relaylimit_parse() reads the value of one RelayLimit line:
 *
 *	    [PRESET] [per=account|sender|relay] [relay=HOST] [WINDOW=N]...
 *
 *	PRESET is a provider's published limits (relayprof.h: gmail,
 *	workspace, workspace-relay, microsoft365), WINDOW one of msgs/24h,
 *	rcpts/24h, msgs/min, rcpts/min (a rolling 24 hours or minute) or
 *	rcpts/msg (the recipients one envelope may carry); a WINDOW after a
 *	preset overrides the preset's number, 0 removes that limit. per=
 *	says what is counted together: the relay account (the I: sendmail
 *	logs in with for that relay; a relay without one, such as an
 *	IP-registered Workspace relay, counts per relay), the final envelope
 *	sender (what Workspace's relay counts per registered user) or
 *	everything through the relay (the relay's customer). relay=HOST
 *	limits the line to mail relayed via that host ({rcpt_host}, brackets
 *	and a trailing dot ignored, case folded); without it the line applies
 *	to every relayed message. At least one limit must remain.
 *
 *	Pure: no I/O, no global state. Every error is one sentence in err
 *	(without location: the caller prefixes FILE:LINE) and a -1 return
 *	with *out untouched.
 */
#ifndef RM_RELAYLIMIT_H
#define RM_RELAYLIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum rl_scope { RL_ACCOUNT = 0, RL_SENDER, RL_RELAY, RL_SCOPE_COUNT };

/* The rolling windows; RLW_RCPTS_MSG is no window but the envelope size. */
enum rl_window {
	RLW_MSGS_DAY = 0, RLW_RCPTS_DAY, RLW_MSGS_MIN, RLW_RCPTS_MIN,
	RLW_RCPTS_MSG, RLW_COUNT
};
#define RLW_ROLLING	4	/* the first four are rolling windows */

struct relay_limit {
	enum rl_scope	 scope;
	char		*relay;		/* bare lower-case host, or NULL: any */
	unsigned long	 max[RLW_COUNT];	/* 0: no limit */
	const char	*preset;	/* static preset id, or NULL */
};

/*
 * The limits a provider publishes, for RelayLimit PRESET: the numbers,
 * what they count together (scope) and where they come from (their
 * sources and the date they were read: relaylimit.c). Providers change
 * them without notice.
 */
struct relay_limit_preset {
	const char	*id;		/* "gmail", "workspace", ... */
	const char	*label;
	enum rl_scope	 scope;
	unsigned long	 max[RLW_COUNT];	/* 0: not limited */
	const char	*source;	/* where the numbers come from, and when
					 * they were read */
};

/* The preset called id (case-insensitive), or NULL. */
const struct relay_limit_preset *relay_limit_preset(const char *id);
/* All presets; their number in *n. */
const struct relay_limit_preset *relay_limit_presets(size_t *n);

int		 relaylimit_parse(const char *text, struct relay_limit *out,
		    strbuf *err);
void		 relaylimit_free(struct relay_limit *rl);
/* "msgs/24h" ...; the length of a rolling window in seconds (0 for
 * rcpts/msg). */
const char	*relaylimit_window_name(enum rl_window w);
unsigned	 relaylimit_window_secs(enum rl_window w);
const char	*relaylimit_scope_name(enum rl_scope s);
/* Does the line apply to mail relayed via host ({rcpt_host}, may be
 * NULL: only a line without relay= applies)? */
bool		 relaylimit_applies(const struct relay_limit *rl,
		    const char *host);
/* The line as relaymilter reads it: "per=account msgs/24h=2000 ..." */
int		 relaylimit_text(const struct relay_limit *rl, strbuf *out);
/* host without "[", "]", ":port" after "]" and trailing dots, lower case;
 * NULL on allocation failure. */
char		*relaylimit_bare_host(const char *host);

#endif
