/*
 * budget.h - the relay budget's counts: rolling windows per key and the
 *	      messages held until there is room
 *
 * CONTRACT
 *	A struct budget counts relayed messages and recipients per key
 *	("account:alerts@gmail.com", "sender:...", "relay:host"; the policy
 *	makes them, budgetmsg.h) in rolling windows: the last 24 hours in
 *	per-minute buckets and the last minute in per-second buckets. A
 *	bucket is kept until the newest moment it holds has left the
 *	window, so a window never counts less than the provider's (at most
 *	one bucket more: up to 60 s longer for 24 hours, 1 s for a minute).
 *	Only buckets that hold something are stored (a deque per window), so
 *	a key that sent one message costs one bucket.
 *
 *	Pure: no I/O, no clock of its own (every call takes `now`, in
 *	seconds since the epoch), no libmilter. Thread-safe: one mutex
 *	around each call. budget_account() is O(1) per message (amortised:
 *	each bucket is added and expired once) for a fixed number of rules.
 *	A clock that steps back never un-counts: a message is then added to
 *	the newest bucket. At most BUDGET_KEYS_MAX keys are kept (empty ones
 *	are forgotten by budget_gc): past that a new key is not counted and
 *	the result says so (untracked), so that a flood of senders costs
 *	bounded memory and never tempfails mail.
 *
 *	Held messages (OverLimitAction hold) are kept in arrival order with
 *	the keys they were counted under; while a key has held messages,
 *	new mail for it is held too (nobody overtakes the queue).
 *	budget_release_scan() marks, oldest first, those that fit now,
 *	reserving their counts ("pending": counted as used by every check);
 *	an acknowledgement (the release ran, budget_ack) moves them into the
 *	buckets at the time of the release. So a release that runs late
 *	sends no more than the windows allowed when it was marked.
 *
 *	The state (every bucket, flag and held message) goes out and comes
 *	back as a struct bstate (budgetfmt.h) for the state file.
 */
#ifndef RM_BUDGET_H
#define RM_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budgetfmt.h"
#include "relaylimit.h"
#include "util.h"

#define BUDGET_MAX_REQS	8	/* rules that may apply to one message */
#define BUDGET_KEYS_MAX	100000	/* keys kept at once (BSTATE_KEYS_MAX) */

/* The start of every quarantine reason relaymilter gives: what the
 * releaser matches (sendmail -qQ...) so that it never lets go of a
 * message someone else quarantined. */
#define BUDGET_QUARANTINE_MARK	"relaymilter relay budget"

struct budget;

/* One rule that applies to a message: the key it counts under. */
struct budget_req {
	char			*key;
	const struct relay_limit *lim;
};

/* A message to account for. */
struct budget_msg {
	const char	*qid;		/* for a held message */
	const char	*relay, *account, *sender;	/* kept with a held
					 * message, to find its rules again */
	unsigned	 msgs;		/* envelopes the relay will see */
	unsigned	 rcpts;		/* relayed recipients */
	const struct budget_req *req;
	size_t		 nreq;
};

enum budget_mode {
	BM_HOLD = 0,	/* over: keep it as held, count nothing */
	BM_REFUSE,	/* over: count nothing (tempfail) */
	BM_SEND		/* over: count it anyway (tag, none, dry run) */
};

enum budget_verdict {
	BV_PASS = 0,	/* within every window: counted */
	BV_HELD,	/* over, or others wait: held, not counted yet */
	BV_REFUSED,	/* over: not counted */
	BV_SENT_OVER	/* over, but counted (it leaves anyway) */
};

/* The window closest to (or furthest over) its limit, counting this
 * message: what the decision line shows as budget=used/max. */
struct budget_mark_win {
	int		 req;		/* index into msg->req, -1: none */
	enum rl_window	 window;
	unsigned long	 used, max;
};

struct budget_result {
	enum budget_verdict	 verdict;
	struct budget_mark_win	 top;
	bool			 backlog;	/* held because others wait */
	bool			 never;		/* bigger than a whole window */
	bool			 untracked;	/* a key not counted: the table
						 * is full */
	bool			 warn;		/* crossed LimitWarn just now */
	struct budget_mark_win	 warned;	/* the window that crossed */
	int64_t			 room_at;	/* over: when the top window has
						 * room for it (0: unknown) */
};

struct budget	*budget_new(void);
void		 budget_free(struct budget *b);

/*
 * Count one message under every key of msg->req at time now, or hold or
 * refuse it per mode when a window would go over its limit. warn_pct:
 * LimitWarn (0: never warn). -1 on allocation failure (nothing changed).
 */
int		 budget_account(struct budget *b, const struct budget_msg *msg,
		    enum budget_mode mode, unsigned warn_pct, int64_t now,
		    struct budget_result *res);

/* What a key has used (buckets plus pending releases) at time now, per
 * rolling window; false when the key is unknown. */
bool		 budget_used(struct budget *b, const char *key, int64_t now,
		    unsigned long used[RLW_ROLLING], unsigned *held);
/* When the key's window w, now at used, has room for add more under max:
 * the time its buckets have expired far enough; 0 when it has room now,
 * -1 when it never will (add > max). */
int64_t		 budget_room_at(struct budget *b, const char *key,
		    enum rl_window w, unsigned long add, unsigned long max,
		    int64_t now);

/*
 * The rules of a held message now (the configuration may have changed
 * since it was held): fill req (at most BUDGET_MAX_REQS, keys allocated
 * by the callback) from its relay, account and sender; -1 on failure.
 */
typedef int (*budget_reqs_fn)(void *ctx, const char *relay,
    const char *account, const char *sender, unsigned rcpts,
    struct budget_req *req, size_t *nreq, unsigned *msgs);

/* A held message marked for release. */
struct budget_release {
	char		 qid[BSTATE_QID_MAX + 1];
	int64_t		 held_at;
	struct budget_mark_win top;	/* with it, in its tightest window */
	char		 key[128];	/* that window's key (cut, for logs) */
};

/*
 * Mark the held messages that fit now, oldest first (one that does not
 * fit blocks the later ones of its keys). Up to max marks go to out;
 * their number is returned, -1 on allocation failure.
 */
int		 budget_release_scan(struct budget *b, int64_t now,
		    budget_reqs_fn reqs, void *ctx, struct budget_release *out,
		    size_t max);

/* What an acknowledged release was. */
struct budget_acked {
	int64_t		 held_at;
	bool		 was_marked;
};

/*
 * The release of qid ran at time when (gone: it was no longer held in
 * the queue, released or removed by someone else). Its counts move into
 * the buckets at that time. 1 when it was held, 0 when unknown.
 */
int		 budget_ack(struct budget *b, const char *qid, int64_t when,
		    bool gone, struct budget_acked *info);

/* Forget a held message without counting it (the MTA did not take the
 * hold); 1 when it was held, 0 when unknown. */
int		 budget_unhold(struct budget *b, const char *qid);

/* Drop keys with nothing counted, pending or held; returns how many. */
size_t		 budget_gc(struct budget *b, int64_t now);
/* Has anything changed since the last budget_export()? */
bool		 budget_dirty(struct budget *b);
size_t		 budget_nheld(struct budget *b);
size_t		 budget_nkeys(struct budget *b);

/* The whole state, for the state file (now: expire first). */
int		 budget_export(struct budget *b, int64_t now, struct bstate *st);
/* Replace the counts with st (as read back); -1 on allocation failure. */
int		 budget_import(struct budget *b, const struct bstate *st,
		    int64_t now);

#endif
