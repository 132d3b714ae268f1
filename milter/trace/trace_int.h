/*
 * trace_int.h - the insides of struct trace, shared by trace.c,
 *		 trace_table.c, trace_time.c, trace_tick.c, trace_store.c,
 *		 trace_evid.c, trace_health.c and trace_join.c only
 *
 * CONTRACT
 *	Not an interface for other modules: trace.h is. The record
 *	of a message (struct msg) starts with its public struct tr_msg, so a
 *	sink receives &m->pub. Lists, hash chains and the free list link the
 *	records; everything here is owned by one struct trace and used by
 *	one thread.
 */
#ifndef RM_TRACE_INT_H
#define RM_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "maillog.h"
#include "trace.h"
#include "util.h"


struct chunk {
	struct chunk	*next;
	size_t		 used, cap;
	char		 data[];
};

/*
 * The lists of open messages, each ordered by last line: active (a line
 * within opts.grace), done (final, waiting out the grace period),
 * deferred (quiet, a recipient deferred), waiting (quiet, no delivery
 * line yet).
 */
enum { L_NONE = 0, L_ACTIVE, L_DONE, L_DEFERRED, L_WAITING, L_COUNT };

#define RCPT_INLINE	2
#define RCPT_SCAN	8	/* more recipients: found through ridx */
#define CHUNK0		384
#define FREE_MAX	256
#define CROSS_SCAN	30
#define INTERN_RING	8

/*
 * Memory: the bytes of every open message (its record, arena chunks,
 * recipient array and index) are counted in trace.mem; past TR_MEM_BUDGET,
 * or past opts.max_open messages, the oldest open message is reported as
 * evicted (trace_tick.c). A message keeps at most TR_MAX_RCPT recipients;
 * more are counted, not kept.
 */
#define TR_MEM_BUDGET	(40u << 20)
#define HOST_PRUNE_MIN	4096	/* hosts known before any is forgotten */
#define TR_MAX_RCPT	131072

struct msg {
	struct tr_msg	 pub;
	struct msg	*hnext;
	struct msg	*prev, *next;
	int		 list;
	uint32_t	 hash;
	struct host	*h;
	struct chunk	*arena;		/* newest first; the last is embedded */
	size_t		 bytes;		/* counted in trace.mem */
	size_t		 rcap;		/* of pub.rcpt: rin, or a heap array */
	uint32_t	*ridx;		/* open addressing: recipient index + 1 */
	size_t		 ridxcap;	/* power of two, 0 without an index */
	/* recently stored recipient texts (relay, stat, ...): immutable,
	 * shared by the recipients that have the same value */
	const char	*intern[INTERN_RING];
	unsigned	 intern_next;
	size_t		 nout[TR_OUTCOME_COUNT];	/* recipients by outcome */
	bool		 from_seen;
	bool		 discarded;
	bool		 milter_aborted;	/* its milter's abort/quit failed */
	unsigned char	 qidlen;
	char		 qid[24];
	struct tr_rcpt	 rin[RCPT_INLINE];
};

struct host {
	char		*name;
	size_t		 namelen;
	uint32_t	 hash;
	size_t		 nmsgs;		/* its open messages */
	int64_t		 seen;		/* its last line, as placed */
	bool		 seen_reply;	/* its log has reply= fields */
	strbuf		 milter_err;	/* last milter error line */
	int64_t		 milter_err_t;
	/* its clock (trace_time.c): the latest line in time, a jump ahead
	 * waiting for the next line to agree (0: none) */
	int64_t		 recent, ahead;
	struct health	*hl;		/* trace_health.c, or NULL */
	/* domains of the relay accounts of its decision lines */
	char		 acct_dom[4][64];
	unsigned	 nacct;
	/* the domain of its local submissions (from=<root@DOMAIN> handed
	 * over by its MSP on loopback): $j, its own name */
	char		 canon[64];
	/* time cache: the epoch of the start of its last hour of log */
	int		 tc_yk, tc_y, tc_m, tc_d, tc_h, tc_tz;
	bool		 tc_has_tz;
	int64_t		 tc_base;
};

/* How far a line may be from its host's recent lines, or from the machine's
 * clock into the future, before it is out of time (trace_time.c). */
#define TR_CLOCK_SLACK	3600

/* A line without queue id, remembered for the delivery that follows. */
struct evid {
	struct host	*h;
	long		 pid;
	int64_t		 tls_t, auth_t, sys_t;
	strbuf		 relay;		/* relay named by the TLS line */
	strbuf		 tls;		/* compact STARTTLS=client summary */
	bool		 tls_fail;
	strbuf		 auth;		/* AUTH=client text */
	strbuf		 sys;		/* SYSERR text */
};

#define EVID_SLOTS	1024

/*
 * The same few replies come back again and again (a smarthost that times
 * out, a full mailbox): remember the last classifications. A slot keeps
 * its own copies of the input, so a hit is an exact match.
 */
#define CC_SLOTS	256

struct ccache {
	strbuf		 key;	/* reply, stat, dsn, extra, relay, \0-joined */
	int		 port, phase;
	unsigned	 flags;
	bool		 used;
	const struct cause *c;
};

struct list {
	struct msg	*head, *tail;
};

struct trace {
	struct tr_opts	 o;
	struct tr_sink	 sink;
	struct tr_stats	 st;
	struct msg	**tab;
	struct msg	*freelist;	/* freed records, linked by hnext */
	size_t		 nfree;
	size_t		 tabsize;	/* power of two */
	size_t		 count;
	struct list	 lists[L_COUNT];
	struct host	**hosts;
	size_t		 nhosts, hostcap;	/* open addressing, power of 2 */
	size_t		 host_prune_at;	/* prune hosts when nhosts reaches it */
	struct host	*lasthost;
	size_t		 mem;		/* bytes of the open messages */
	/* trace_health.c: destinations of all hosts, by (host, name) */
	struct hdest	**dtab;
	size_t		 dcap, ndests;
	size_t		 hl_bytes;	/* runs of all hosts' mailers */
	struct hdest	*dlru_head, *dlru_tail;
	struct msg	*pin;		/* the message of the line being read:
					 * never evicted meanwhile */
	struct evid	*evid;
	struct ccache	*cc;
	strbuf		 cckey;
	int64_t		 clock;
	int64_t		 lasttick;
	int64_t		 next_cross;	/* earliest max_defer crossing due */
	int64_t		 last_scan;	/* of the deferred list, for crossings */
	const struct cause *policy_cause[16];	/* trace_join.c's verdicts */
	bool		 policy_known[16];
	strbuf		 scratch;
	struct ml_line	 line;
	int		 err;
};

/* trace_store.c */
/* fnv1a32() of p[0..n) as tr_clean_copy() would store it. */
uint32_t	 tr_fnv_clean(const char *p, size_t n, uint32_t h);
void		 tr_sb_append_clean(strbuf *sb, const char *p, size_t n);
void		 tr_sb_set_clean(strbuf *sb, const char *p, size_t n);
void		*tr_a_alloc(struct trace *t, struct msg *m, size_t n);
size_t		 tr_clean_len(const char *p, size_t n);
void		 tr_clean_copy(char *d, const char *p, size_t n);
bool		 tr_clean_eq(const char *s, const char *p, size_t n);
bool		 tr_has_ctl(const char *p, size_t n);
int		 tr_sset(struct trace *t, struct msg *m, const char **field,
		    const char *p, size_t n);
int		 tr_sset_span(struct trace *t, struct msg *m,
		    const char **field, struct ml_span s);
int		 tr_sset_unquote(struct trace *t, struct msg *m,
		    const char **field, struct ml_span s);
/* A recipient's text: *field is made to point at an equal string the
 * message stored lately, or at a new copy; never written over, since
 * recipients share them. */
int		 tr_sset_rc(struct trace *t, struct msg *m, const char **field,
		    const char *p, size_t n);
/* A recipient's outcome: every change goes through here, which keeps the
 * message's counts by outcome (nout). */
static inline void
tr_rcpt_outcome(struct msg *m, struct tr_rcpt *r, enum tr_outcome o)
{
	m->nout[r->outcome]--;
	m->nout[o]++;
	r->outcome = o;
}

/* Bytes of message m allocated (+) or freed (-), counted in t->mem. */
void		 tr_mem_add(struct trace *t, struct msg *m, long delta);

/* trace_table.c */
int		 tr_table_init(struct trace *t);
/* Every record, open or kept for reuse, and every host. */
void		 tr_table_free(struct trace *t);
/* Move m to the tail of list which (off the one it was on). */
void		 tr_l_append(struct trace *t, struct msg *m, int which);
/* The host of that name (control characters removed), made when new,
 * and now t->lasthost; NULL when out of memory. Call tr_host_get()
 * (below), which tries t->lasthost first. */
struct host	*tr_host_lookup(struct trace *t, struct ml_span name);
struct msg	*tr_msg_find(struct trace *t, struct host *h, const char *qid,
		    size_t n);
/* Found, or made (on L_ACTIVE); NULL for an over-long id or when out of
 * memory (t->err). */
struct msg	*tr_msg_get(struct trace *t, struct host *h, struct ml_span qid,
		    int64_t when);
/* Off its table and list; the record is kept for reuse or freed. */
void		 tr_msg_free(struct trace *t, struct msg *m);
/* The recipient of m with address p[0..n) (cleaned), made when new; NULL
 * when m already keeps TR_MAX_RCPT (counted in pub.rcpt_dropped) or when
 * out of memory (t->err). */
struct tr_rcpt	*tr_rcpt_get(struct trace *t, struct msg *m, const char *p,
		    size_t n);

/* trace_time.c */
/* The epoch seconds of a line's time stamp, its hour made the cached
 * one of host h (see trace_time.c and tr_line_time() below). */
int64_t		 tr_time_rebase(struct trace *t, struct host *h,
		    const struct ml_time *ts);
/* The time a line of host h stamped raw sits at: raw, or its host's time
 * when it is out of time (counted); moves the host's and the log's clock
 * (see trace_time.c). */
int64_t		 tr_time_place(struct trace *t, struct host *h, int64_t raw);

/* trace_tick.c (and the public trace_tick, _finish, _deferred) */
/* After a line of m: on L_DONE when it is final, else on L_ACTIVE. */
void		 tr_msg_place(struct trace *t, struct msg *m);
/* Room for one more message (extra: count the one about to be made):
 * while more than opts.max_open are open or their bytes pass
 * TR_MEM_BUDGET, a final one is reported early, else the oldest is
 * reported as evicted (never t->pin). */
void		 tr_make_room(struct trace *t, bool extra);

/* trace_health.c */
enum th_kind {
	TH_NONE = 0,	/* no connection tried, or not one that tells */
	TH_OK,		/* a connection worked (sent, or a reply code) */
	TH_FAIL		/* a connection failed (timed out, refused, ...) */
};
struct health;
struct hdest;
/* The destination a to= line's attempt went to, lower-cased, without a
 * trailing dot: the host named in stat= ("... with HOST"), else relay=
 * (without its address); "" when there is none. */
void		 tr_health_dest(const char *relay, const char *stat,
		    char out[64]);
/* One attempt of host h: k what it says of the connection, failed whether
 * the delivery failed (the streak a host status cache replays). */
void		 tr_health_note(struct trace *t, struct host *h,
		    const char *mailer, int port, const char *dest,
		    enum th_kind k, bool failed, int64_t when, const char *qid,
		    const char *text);
/* CAUSE_F_PORT_DEAD, CAUSE_F_OTHERS_OK for a connection failure at when;
 * ndfail: tr_health_ndfail() right after that failure was noted. */
unsigned	 tr_health_flags(const struct trace *t, const struct host *h,
		    const char *mailer, const char *dest, int64_t when,
		    unsigned long ndfail);
/* Destinations that failed on mailer since a connection last worked. */
unsigned long	 tr_health_ndfail(const struct host *h, const char *mailer);
/* CAUSE_SETUP_* of a delivery by mailer. */
unsigned	 tr_health_setup(const struct trace *t, const struct host *h,
		    const char *mailer);
/* The real failure a cached status stat of dest replays (the first of
 * the same text since the last delivery), if no later than before. */
bool		 tr_health_first(const struct trace *t, const struct host *h,
		    const char *dest, const char *stat, int64_t before,
		    int64_t *when, const char **qid, const char **text);
/* One sentence: what tr_health_flags() judged on. */
void		 tr_health_basis(const struct trace *t, const struct host *h,
		    const char *mailer, const char *dest, int64_t when,
		    unsigned flags, strbuf *sb);
/* Forget the evidence of a host (it is being freed). */
void		 tr_health_host_gone(struct trace *t, struct host *h);
void		 tr_health_free(struct trace *t);

/* trace_evid.c */
struct evid	*tr_evid_find(struct trace *t, struct host *h, long pid);
bool		 tr_same_relay(const char *a, struct ml_span b);
void		 tr_on_tls(struct trace *t, struct host *h,
		    const struct ml_line *l, int64_t when);
void		 tr_on_auth(struct trace *t, struct host *h,
		    const struct ml_line *l, int64_t when);
void		 tr_on_syserr(struct trace *t, struct host *h,
		    const struct ml_line *l, int64_t when);
void		 tr_classify(struct trace *t, struct msg *m, struct tr_rcpt *r,
		    const struct evid *e, int64_t when, bool cached);
/* Before m is reported: its timeouts judged again with what the log said
 * since (tr_health_flags), and mail for the relay account's domain that
 * sendmail kept (account-domain-local). */
void		 tr_refine(struct trace *t, struct msg *m);

/* trace_join.c */
void		 tr_on_to(struct trace *t, struct msg *m, const struct ml_line *l,
		    int64_t when);
void		 tr_on_from(struct trace *t, struct msg *m,
		    const struct ml_line *l);
void		 tr_on_milter_change(struct trace *t, struct msg *m,
		    const struct ml_line *l);
void		 tr_on_decision(struct trace *t, struct msg *m,
		    const struct ml_line *l);
void		 tr_on_dsn(struct trace *t, struct msg *m, const struct ml_line *l,
		    int64_t when);

/*
 * The per-line fast paths of trace_feed(), inline: most lines come from
 * the host of the line before and from the same hour of the log.
 */
static inline struct host *
tr_host_get(struct trace *t, struct ml_span name)
{
	struct host *h = t->lasthost;

	if (h && h->namelen == name.n && memcmp(h->name, name.p, name.n) == 0)
		return h;
	return tr_host_lookup(t, name);
}

/* The epoch seconds of a line of host h as stamped: within its cached
 * hour, the hour's start plus minutes and seconds; else tr_time_rebase(). */
static inline int64_t
tr_line_time(struct trace *t, struct host *h, const struct ml_time *ts)
{
	if (ts->year != h->tc_yk || ts->mon != h->tc_m ||
	    ts->mday != h->tc_d || ts->hour != h->tc_h ||
	    ts->has_tz != h->tc_has_tz || (ts->has_tz && ts->tzoff != h->tc_tz))
		return tr_time_rebase(t, h, ts);
	return h->tc_base + ts->min * 60 + ts->sec;
}

#endif
