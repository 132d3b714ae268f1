/*
 * budget.c - the relay budget's rolling windows and held messages
 *
 * CONTRACT
 *	See include/budget.h. Keys live in a chained hash table (they are
 *	removed again by budget_gc); each key has two deques of buckets, a
 *	ring buffer each that grows by doubling (the 24-hour one to at most
 *	1441 buckets, the minute one to 61), with running sums, so adding,
 *	expiring and summing cost O(1) per bucket. Held messages are a FIFO
 *	list. One mutex guards everything.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "budgetfmt.h"
#include "fnv.h"
#include "relaylimit.h"
#include "util.h"

#define DAY_SPAN	60	/* seconds a 24-hour bucket holds */
#define DAY_WINDOW	86400
#define MIN_SPAN	1
#define MIN_WINDOW	60

struct ring {
	struct bstate_bucket	*v;
	uint32_t		 cap, head, n;
	uint64_t		 msgs, rcpts;
};

struct bkey {
	struct bkey	*next;		/* hash chain */
	uint32_t	 hash;
	char		*key;
	struct ring	 day, min;
	uint64_t	 pend_msgs, pend_rcpts;	/* marked, not yet released */
	uint32_t	 held;		/* held messages counted under it */
	unsigned	 warned;	/* bit per rolling window */
};

struct held {
	struct held	*next;
	char		 qid[BSTATE_QID_MAX + 1];
	int64_t		 held_at, marked_at;
	bool		 never;
	uint32_t	 msgs, rcpts;
	char		*relay, *account, *sender;
	char		*hkeys[BSTATE_HKEYS_MAX];
	size_t		 nhkeys;
	char		*mkeys[BSTATE_HKEYS_MAX];
	size_t		 nmkeys;
};

struct budget {
	pthread_mutex_t	 mu;
	struct bkey	**tab;
	size_t		 nbuckets, nkeys;
	struct held	*held, *held_tail;
	size_t		 nheld;
	bool		 dirty;
};

/* ------------------------------------------------------------ windows */

static void
ring_expire(struct ring *r, unsigned span, unsigned window, int64_t now)
{
	struct bstate_bucket *f;

	while (r->n > 0) {
		f = &r->v[r->head];
		if ((f->t + 1) * (int64_t)span + window > now)
			break;
		r->msgs -= f->msgs;
		r->rcpts -= f->rcpts;
		r->head = (r->head + 1) % r->cap;
		r->n--;
	}
	if (r->n == 0)
		r->head = 0;
}

static uint32_t
sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

/* Add to the bucket of time bt (the newest one when the clock stepped
 * back); -1 when the ring cannot grow. */
static int
ring_add(struct ring *r, int64_t bt, uint32_t msgs, uint32_t rcpts)
{
	struct bstate_bucket *last, *nv;
	uint32_t ncap, i;

	if (r->n > 0) {
		last = &r->v[(r->head + r->n - 1) % r->cap];
		if (bt <= last->t) {
			r->msgs -= last->msgs;
			r->rcpts -= last->rcpts;
			last->msgs = sat_add(last->msgs, msgs);
			last->rcpts = sat_add(last->rcpts, rcpts);
			r->msgs += last->msgs;
			r->rcpts += last->rcpts;
			return 0;
		}
	}
	if (r->n == r->cap) {
		ncap = r->cap ? r->cap * 2 : 4;
		if ((nv = malloc(ncap * sizeof(*nv))) == NULL)
			return -1;
		for (i = 0; i < r->n; i++)
			nv[i] = r->v[(r->head + i) % r->cap];
		free(r->v);
		r->v = nv;
		r->cap = ncap;
		r->head = 0;
	}
	r->v[(r->head + r->n) % r->cap] = (struct bstate_bucket){ bt, msgs,
	    rcpts };
	r->n++;
	r->msgs += msgs;
	r->rcpts += rcpts;
	return 0;
}

static void
key_expire(struct bkey *k, int64_t now)
{
	ring_expire(&k->day, DAY_SPAN, DAY_WINDOW, now);
	ring_expire(&k->min, MIN_SPAN, MIN_WINDOW, now);
}

/* Used in window w: buckets plus pending releases. */
static uint64_t
key_used(const struct bkey *k, enum rl_window w)
{
	switch (w) {
	case RLW_MSGS_DAY: return k->day.msgs + k->pend_msgs;
	case RLW_RCPTS_DAY: return k->day.rcpts + k->pend_rcpts;
	case RLW_MSGS_MIN: return k->min.msgs + k->pend_msgs;
	case RLW_RCPTS_MIN: return k->min.rcpts + k->pend_rcpts;
	default: return 0;
	}
}

static int
key_add(struct bkey *k, int64_t when, uint32_t msgs, uint32_t rcpts)
{
	int64_t t = when < 0 ? 0 : when;

	if (ring_add(&k->day, t / DAY_SPAN, msgs, rcpts) < 0 ||
	    ring_add(&k->min, t / MIN_SPAN, msgs, rcpts) < 0)
		return -1;
	return 0;
}

/* When key k's window w has room for add more under max (see header). */
static int64_t
key_room_at(const struct bkey *k, enum rl_window w, uint64_t add,
    uint64_t max, int64_t now)
{
	const struct ring *r;
	unsigned span, window;
	uint64_t used = key_used(k, w), need, freed = 0;
	uint32_t i;
	bool msgs;

	if (add > max)
		return -1;
	if (used + add <= max)
		return 0;
	need = used + add - max;
	msgs = w == RLW_MSGS_DAY || w == RLW_MSGS_MIN;
	if (w == RLW_MSGS_DAY || w == RLW_RCPTS_DAY) {
		r = &k->day;
		span = DAY_SPAN;
		window = DAY_WINDOW;
	} else {
		r = &k->min;
		span = MIN_SPAN;
		window = MIN_WINDOW;
	}
	for (i = 0; i < r->n; i++) {
		const struct bstate_bucket *b = &r->v[(r->head + i) % r->cap];

		freed += msgs ? b->msgs : b->rcpts;
		if (freed >= need) {
			int64_t t = (b->t + 1) * (int64_t)span + window;

			return t > now ? t : now;
		}
	}
	return 0;	/* only a pending release can free it: unknown */
}

/* ------------------------------------------------------------ keys */

static uint32_t
hash_str(const char *s)
{
	return fnv1a32_str(s);
}

static int
tab_grow(struct budget *b)
{
	size_t n = b->nbuckets ? b->nbuckets * 2 : 64, i;
	struct bkey **nt, *k, *next;

	if ((nt = calloc(n, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < b->nbuckets; i++) {
		for (k = b->tab[i]; k != NULL; k = next) {
			next = k->next;
			k->next = nt[k->hash & (n - 1)];
			nt[k->hash & (n - 1)] = k;
		}
	}
	free(b->tab);
	b->tab = nt;
	b->nbuckets = n;
	return 0;
}

static struct bkey *
key_get(struct budget *b, const char *key, bool create)
{
	uint32_t h = hash_str(key);
	struct bkey *k;

	if (b->nbuckets > 0)
		for (k = b->tab[h & (b->nbuckets - 1)]; k; k = k->next)
			if (k->hash == h && strcmp(k->key, key) == 0)
				return k;
	if (!create)
		return NULL;
	if (b->nkeys >= BUDGET_KEYS_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	if (b->nkeys >= b->nbuckets && tab_grow(b) < 0)
		return NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	if ((k->key = strdup(key)) == NULL) {
		free(k);
		return NULL;
	}
	k->hash = h;
	k->next = b->tab[h & (b->nbuckets - 1)];
	b->tab[h & (b->nbuckets - 1)] = k;
	b->nkeys++;
	return k;
}

static void
key_free(struct bkey *k)
{
	free(k->key);
	free(k->day.v);
	free(k->min.v);
	free(k);
}

static void
held_free(struct held *e)
{
	size_t i;

	free(e->relay);
	free(e->account);
	free(e->sender);
	for (i = 0; i < e->nhkeys; i++)
		free(e->hkeys[i]);
	for (i = 0; i < e->nmkeys; i++)
		free(e->mkeys[i]);
	free(e);
}

static void
clear_all(struct budget *b)
{
	struct bkey *k, *next;
	struct held *e, *en;
	size_t i;

	for (i = 0; i < b->nbuckets; i++)
		for (k = b->tab[i]; k != NULL; k = next) {
			next = k->next;
			key_free(k);
		}
	free(b->tab);
	b->tab = NULL;
	b->nbuckets = b->nkeys = 0;
	for (e = b->held; e != NULL; e = en) {
		en = e->next;
		held_free(e);
	}
	b->held = b->held_tail = NULL;
	b->nheld = 0;
}

struct budget *
budget_new(void)
{
	struct budget *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if (pthread_mutex_init(&b->mu, NULL) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

void
budget_free(struct budget *b)
{
	if (b == NULL)
		return;
	clear_all(b);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

/* ------------------------------------------------------------ checks */

static bool
is_msgs(enum rl_window w)
{
	return w == RLW_MSGS_DAY || w == RLW_MSGS_MIN;
}

/* Is a (used after, max) further towards or over its limit than top? */
static bool
tighter(uint64_t after, uint64_t max, const struct budget_mark_win *top)
{
	if (top->req < 0)
		return true;
	return (double)after / (double)max >
	    (double)top->used / (double)top->max;
}

/* The distinct keys of a request (two rules may count under one key). */
static size_t
distinct(struct bkey **k, size_t n, struct bkey **out)
{
	size_t i, j, m = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++)
			if (out[j] == k[i])
				break;
		if (j == m)
			out[m++] = k[i];
	}
	return m;
}

struct fit {
	bool			 over, never;
	struct budget_mark_win	 top;
};

/* Would msgs/rcpts fit under every window of every req? */
static void
check_fit(struct bkey **k, const struct budget_req *req, size_t n,
    uint32_t msgs, uint32_t rcpts, struct fit *f)
{
	size_t i;
	int w;
	uint64_t used, add, after, max;

	memset(f, 0, sizeof(*f));
	f->top.req = -1;
	for (i = 0; i < n; i++) {
		for (w = 0; w < RLW_ROLLING; w++) {
			if ((max = req[i].lim->max[w]) == 0)
				continue;
			used = key_used(k[i], (enum rl_window)w);
			add = is_msgs((enum rl_window)w) ? msgs : rcpts;
			after = used + add;
			if (add > max)
				f->never = true;
			if (after > max)
				f->over = true;
			if (tighter(after, max, &f->top)) {
				f->top.req = (int)i;
				f->top.window = (enum rl_window)w;
				f->top.used = (unsigned long)after;
				f->top.max = (unsigned long)max;
			}
		}
	}
}

/* Set or clear the LimitWarn flags of the keys after counting. */
static void
warnings(struct bkey **k, const struct budget_req *req, size_t n,
    unsigned warn_pct, struct budget_result *res)
{
	size_t i;
	int w;
	uint64_t used, max;

	if (warn_pct == 0)
		return;
	for (i = 0; i < n; i++) {
		for (w = 0; w < RLW_ROLLING; w++) {
			if ((max = req[i].lim->max[w]) == 0)
				continue;
			used = key_used(k[i], (enum rl_window)w);
			if (used * 100 < (uint64_t)warn_pct * max) {
				k[i]->warned &= ~(1u << w);
				continue;
			}
			if (k[i]->warned & (1u << w))
				continue;
			k[i]->warned |= 1u << w;
			if (!res->warn) {
				res->warn = true;
				res->warned.req = (int)i;
				res->warned.window = (enum rl_window)w;
				res->warned.used = (unsigned long)used;
				res->warned.max = (unsigned long)max;
			}
		}
	}
}

static char *
dup0(const char *s)
{
	return strdup(s ? s : "");
}

static int
hold(struct budget *b, const struct budget_msg *msg, struct bkey **dk,
    size_t nd, bool never, int64_t now)
{
	struct held *e;
	size_t i;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	snprintf(e->qid, sizeof(e->qid), "%s", msg->qid ? msg->qid : "");
	e->held_at = now;
	e->never = never;
	e->msgs = msg->msgs;
	e->rcpts = msg->rcpts;
	if ((e->relay = dup0(msg->relay)) == NULL ||
	    (e->account = dup0(msg->account)) == NULL ||
	    (e->sender = dup0(msg->sender)) == NULL)
		goto nomem;
	for (i = 0; i < nd && i < BSTATE_HKEYS_MAX; i++) {
		if ((e->hkeys[i] = strdup(dk[i]->key)) == NULL)
			goto nomem;
		e->nhkeys++;
	}
	if (!never)
		for (i = 0; i < e->nhkeys; i++)
			dk[i]->held++;
	if (b->held_tail)
		b->held_tail->next = e;
	else
		b->held = e;
	b->held_tail = e;
	b->nheld++;
	return 0;
nomem:
	held_free(e);
	return -1;
}

int
budget_account(struct budget *b, const struct budget_msg *msg,
    enum budget_mode mode, unsigned warn_pct, int64_t now,
    struct budget_result *res)
{
	struct bkey *k[BUDGET_MAX_REQS], *dk[BUDGET_MAX_REQS];
	struct budget_req rq[BUDGET_MAX_REQS];
	const struct budget_req *req = rq;
	int orig[BUDGET_MAX_REQS];	/* index in msg->req of rq[i] */
	struct fit f;
	size_t i, n = 0, nd;
	bool backlog = false;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->top.req = res->warned.req = -1;
	if (msg->nreq == 0) {
		res->verdict = BV_PASS;
		return 0;
	}
	pthread_mutex_lock(&b->mu);
	for (i = 0; i < msg->nreq && i < BUDGET_MAX_REQS; i++) {
		if ((k[n] = key_get(b, msg->req[i].key, true)) == NULL) {
			if (errno == ENOSPC) {
				/* the table is full: this key is not counted */
				res->untracked = true;
				continue;
			}
			rc = -1;
			goto out;
		}
		key_expire(k[n], now);
		if (k[n]->held > 0)
			backlog = true;
		orig[n] = (int)i;
		rq[n++] = msg->req[i];
	}
	if (n == 0) {
		res->verdict = BV_PASS;
		goto out;
	}
	nd = distinct(k, n, dk);
	check_fit(k, req, n, msg->msgs, msg->rcpts, &f);
	res->top = f.top;
	res->never = f.never;
	if (mode == BM_HOLD && (backlog || f.over)) {
		if (msg->qid == NULL || !bstate_qid_ok(msg->qid) ||
		    hold(b, msg, dk, nd, f.never, now) < 0) {
			rc = -1;
			goto out;
		}
		res->verdict = BV_HELD;
		res->backlog = backlog && !f.over;
	} else if (f.over && mode == BM_REFUSE) {
		res->verdict = BV_REFUSED;
	} else {
		for (i = 0; i < nd; i++)
			if (key_add(dk[i], now, msg->msgs, msg->rcpts) < 0) {
				/* counted under the keys before: keep it so,
				 * the error is the caller's to report */
				rc = -1;
				b->dirty = true;
				goto out;
			}
		res->verdict = f.over ? BV_SENT_OVER : BV_PASS;
		warnings(k, req, n, warn_pct, res);
	}
	if (f.over && res->top.req >= 0)
		res->room_at = key_room_at(k[res->top.req], res->top.window,
		    is_msgs(res->top.window) ? msg->msgs : msg->rcpts,
		    res->top.max, now);
	/* the caller's indices */
	if (res->top.req >= 0)
		res->top.req = orig[res->top.req];
	if (res->warned.req >= 0)
		res->warned.req = orig[res->warned.req];
	b->dirty = true;
out:
	pthread_mutex_unlock(&b->mu);
	return rc;
}

bool
budget_used(struct budget *b, const char *key, int64_t now,
    unsigned long used[RLW_ROLLING], unsigned *held)
{
	struct bkey *k;
	int w;

	pthread_mutex_lock(&b->mu);
	if ((k = key_get(b, key, false)) != NULL) {
		key_expire(k, now);
		for (w = 0; w < RLW_ROLLING; w++)
			used[w] = (unsigned long)key_used(k, (enum rl_window)w);
		if (held)
			*held = k->held;
	}
	pthread_mutex_unlock(&b->mu);
	return k != NULL;
}

int64_t
budget_room_at(struct budget *b, const char *key, enum rl_window w,
    unsigned long add, unsigned long max, int64_t now)
{
	struct bkey *k;
	int64_t t = 0;

	pthread_mutex_lock(&b->mu);
	if ((k = key_get(b, key, false)) != NULL) {
		key_expire(k, now);
		t = key_room_at(k, w, add, max, now);
	} else if (add > max) {
		t = -1;
	}
	pthread_mutex_unlock(&b->mu);
	return t;
}

/* ------------------------------------------------------------ releases */

static bool
in_set(struct bkey **set, size_t n, const struct bkey *k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (set[i] == k)
			return true;
	return false;
}

/* Add k to the blocked set (grown as needed); false on ENOMEM. */
static bool
block(struct bkey ***set, size_t *n, struct bkey *k)
{
	struct bkey **nv;

	if (k == NULL || in_set(*set, *n, k))
		return true;
	if ((nv = arr_grow(*set, *n, sizeof(*nv))) == NULL)
		return false;
	*set = nv;
	nv[(*n)++] = k;
	return true;
}

int
budget_release_scan(struct budget *b, int64_t now, budget_reqs_fn reqs,
    void *ctx, struct budget_release *out, size_t max)
{
	struct budget_req req[BUDGET_MAX_REQS];
	struct bkey *k[BUDGET_MAX_REQS], *dk[BUDGET_MAX_REQS], **blocked = NULL;
	struct held *e;
	struct fit f;
	size_t nblocked = 0, n, nd, i, count = 0;
	unsigned msgs;
	bool skip;
	int rc = 0;

	pthread_mutex_lock(&b->mu);
	for (e = b->held; e != NULL && count < max; e = e->next) {
		if (e->marked_at != 0)
			continue;
		/* cheap: an older message of one of its keys waits */
		skip = false;
		for (i = 0; i < e->nhkeys && !skip; i++)
			skip = in_set(blocked, nblocked, key_get(b,
			    e->hkeys[i], false));
		if (skip && !e->never)
			continue;
		n = 0;
		msgs = e->msgs;
		if (reqs(ctx, e->relay, e->account, e->sender, e->rcpts, req,
		    &n, &msgs) < 0) {
			rc = -1;
			break;
		}
		if (n > BUDGET_MAX_REQS)
			n = BUDGET_MAX_REQS;
		for (i = 0; i < n; i++) {
			if ((k[i] = key_get(b, req[i].key, true)) == NULL) {
				rc = -1;
				break;
			}
			key_expire(k[i], now);
		}
		if (rc == 0) {
			nd = distinct(k, n, dk);
			check_fit(k, req, n, msgs, e->rcpts, &f);
			if (!f.over) {
				e->marked_at = now;
				e->msgs = msgs;
				for (i = 0; i < nd && i < BSTATE_HKEYS_MAX;
				    i++) {
					if ((e->mkeys[i] = strdup(dk[i]->key))
					    == NULL) {
						rc = -1;
						break;
					}
					e->nmkeys++;
					dk[i]->pend_msgs += msgs;
					dk[i]->pend_rcpts += e->rcpts;
				}
				memset(&out[count], 0, sizeof(out[count]));
				snprintf(out[count].qid, sizeof(out[count].qid),
				    "%s", e->qid);
				out[count].held_at = e->held_at;
				out[count].top = f.top;
				if (f.top.req >= 0)
					snprintf(out[count].key,
					    sizeof(out[count].key), "%s",
					    req[f.top.req].key);
				count++;
				b->dirty = true;
			} else if (!f.never) {
				for (i = 0; i < e->nhkeys; i++)
					if (!block(&blocked, &nblocked,
					    key_get(b, e->hkeys[i], false)))
						rc = -1;
				for (i = 0; i < nd; i++)
					if (!block(&blocked, &nblocked, dk[i]))
						rc = -1;
			}
			if (e->never != f.never) {
				/* the rules changed: the backlog follows */
				for (i = 0; i < e->nhkeys; i++) {
					struct bkey *hk = key_get(b,
					    e->hkeys[i], false);

					if (hk == NULL)
						continue;
					if (f.never && hk->held > 0)
						hk->held--;
					else if (!f.never)
						hk->held++;
				}
				e->never = f.never;
				b->dirty = true;
			}
		}
		for (i = 0; i < n; i++)
			free(req[i].key);
		if (rc < 0)
			break;
	}
	free(blocked);
	pthread_mutex_unlock(&b->mu);
	return rc < 0 ? -1 : (int)count;
}

/* Unlink e (prev is the entry before it, or NULL) and free it. */
static void
held_remove(struct budget *b, struct held *e, struct held *prev)
{
	struct bkey *k;
	size_t i;

	if (!e->never)
		for (i = 0; i < e->nhkeys; i++)
			if ((k = key_get(b, e->hkeys[i], false)) != NULL &&
			    k->held > 0)
				k->held--;
	if (prev)
		prev->next = e->next;
	else
		b->held = e->next;
	if (b->held_tail == e)
		b->held_tail = prev;
	b->nheld--;
	held_free(e);
	b->dirty = true;
}

int
budget_unhold(struct budget *b, const char *qid)
{
	struct held *e, *prev = NULL;
	struct bkey *k;
	size_t i;

	pthread_mutex_lock(&b->mu);
	for (e = b->held; e != NULL; prev = e, e = e->next)
		if (strcmp(e->qid, qid) == 0)
			break;
	if (e != NULL) {
		for (i = 0; i < e->nmkeys; i++)
			if ((k = key_get(b, e->mkeys[i], false)) != NULL &&
			    e->marked_at != 0) {
				k->pend_msgs -= k->pend_msgs < e->msgs ?
				    k->pend_msgs : e->msgs;
				k->pend_rcpts -= k->pend_rcpts < e->rcpts ?
				    k->pend_rcpts : e->rcpts;
			}
		held_remove(b, e, prev);
	}
	pthread_mutex_unlock(&b->mu);
	return e != NULL;
}

int
budget_ack(struct budget *b, const char *qid, int64_t when, bool gone,
    struct budget_acked *info)
{
	struct held *e, *prev = NULL;
	struct bkey *k;
	size_t i;

	(void)gone;	/* either way it left the hold: counted, to be safe */
	pthread_mutex_lock(&b->mu);
	for (e = b->held; e != NULL; prev = e, e = e->next)
		if (strcmp(e->qid, qid) == 0)
			break;
	if (e == NULL) {
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	if (info) {
		info->held_at = e->held_at;
		info->was_marked = e->marked_at != 0;
	}
	for (i = 0; i < e->nmkeys; i++) {
		if ((k = key_get(b, e->mkeys[i], false)) == NULL)
			continue;
		k->pend_msgs -= k->pend_msgs < e->msgs ? k->pend_msgs : e->msgs;
		k->pend_rcpts -= k->pend_rcpts < e->rcpts ? k->pend_rcpts :
		    e->rcpts;
	}
	/* the counts go where they were reserved; an unmarked message (let
	 * go by someone else) under the keys it was held under */
	for (i = 0; i < (e->nmkeys ? e->nmkeys : e->nhkeys); i++) {
		const char *key = e->nmkeys ? e->mkeys[i] : e->hkeys[i];

		if ((k = key_get(b, key, true)) != NULL)
			(void)key_add(k, when, e->msgs, e->rcpts);
	}
	held_remove(b, e, prev);
	pthread_mutex_unlock(&b->mu);
	return 1;
}

size_t
budget_gc(struct budget *b, int64_t now)
{
	struct bkey **pp, *k;
	size_t i, n = 0;

	pthread_mutex_lock(&b->mu);
	for (i = 0; i < b->nbuckets; i++) {
		for (pp = &b->tab[i]; (k = *pp) != NULL;) {
			key_expire(k, now);
			if (k->day.n == 0 && k->min.n == 0 && k->held == 0 &&
			    k->pend_msgs == 0 && k->pend_rcpts == 0) {
				*pp = k->next;
				key_free(k);
				b->nkeys--;
				n++;
				continue;
			}
			pp = &k->next;
		}
	}
	if (n > 0)
		b->dirty = true;
	pthread_mutex_unlock(&b->mu);
	return n;
}

bool
budget_dirty(struct budget *b)
{
	bool d;

	pthread_mutex_lock(&b->mu);
	d = b->dirty;
	pthread_mutex_unlock(&b->mu);
	return d;
}

size_t
budget_nheld(struct budget *b)
{
	size_t n;

	pthread_mutex_lock(&b->mu);
	n = b->nheld;
	pthread_mutex_unlock(&b->mu);
	return n;
}

size_t
budget_nkeys(struct budget *b)
{
	size_t n;

	pthread_mutex_lock(&b->mu);
	n = b->nkeys;
	pthread_mutex_unlock(&b->mu);
	return n;
}

/* ------------------------------------------------------------ state */

static int
ring_out(const struct ring *r, struct bstate_bucket **v, size_t *n)
{
	uint32_t i;

	*n = 0;
	*v = NULL;
	if (r->n == 0)
		return 0;
	if ((*v = malloc(r->n * sizeof(**v))) == NULL)
		return -1;
	for (i = 0; i < r->n; i++)
		(*v)[i] = r->v[(r->head + i) % r->cap];
	*n = r->n;
	return 0;
}

int
budget_export(struct budget *b, int64_t now, struct bstate *st)
{
	struct bkey *k;
	struct held *e;
	size_t i, j;

	memset(st, 0, sizeof(*st));
	st->written = now;
	pthread_mutex_lock(&b->mu);
	if (b->nkeys > 0 &&
	    (st->keys = calloc(b->nkeys, sizeof(*st->keys))) == NULL)
		goto nomem;
	for (i = 0; i < b->nbuckets; i++) {
		for (k = b->tab[i]; k != NULL; k = k->next) {
			struct bstate_key *sk = &st->keys[st->nkeys];

			key_expire(k, now);
			if ((sk->key = strdup(k->key)) == NULL)
				goto nomem;
			st->nkeys++;
			sk->warned = k->warned;
			if (ring_out(&k->day, &sk->day, &sk->nday) < 0 ||
			    ring_out(&k->min, &sk->min, &sk->nmin) < 0)
				goto nomem;
		}
	}
	if (b->nheld > 0 &&
	    (st->held = calloc(b->nheld, sizeof(*st->held))) == NULL)
		goto nomem;
	for (e = b->held; e != NULL; e = e->next) {
		struct bstate_held *h = &st->held[st->nheld++];

		memcpy(h->qid, e->qid, sizeof(h->qid));
		h->held_at = e->held_at;
		h->marked_at = e->marked_at;
		h->flags = e->never ? BSTATE_F_NEVER : 0;
		h->msgs = e->msgs;
		h->rcpts = e->rcpts;
		if ((h->relay = strdup(e->relay)) == NULL ||
		    (h->account = strdup(e->account)) == NULL ||
		    (h->sender = strdup(e->sender)) == NULL)
			goto nomem;
		for (j = 0; j < e->nhkeys; j++) {
			if ((h->hkeys[j] = strdup(e->hkeys[j])) == NULL)
				goto nomem;
			h->nhkeys++;
		}
		for (j = 0; j < e->nmkeys; j++) {
			if ((h->mkeys[j] = strdup(e->mkeys[j])) == NULL)
				goto nomem;
			h->nmkeys++;
		}
	}
	b->dirty = false;
	pthread_mutex_unlock(&b->mu);
	return 0;
nomem:
	pthread_mutex_unlock(&b->mu);
	bstate_free(st);
	return -1;
}

static int
ring_in(struct ring *r, const struct bstate_bucket *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ring_add(r, v[i].t, v[i].msgs, v[i].rcpts) < 0)
			return -1;
	return 0;
}

int
budget_import(struct budget *b, const struct bstate *st, int64_t now)
{
	struct bkey *k;
	struct held *e;
	const struct bstate_held *h;
	size_t i, j;

	pthread_mutex_lock(&b->mu);
	clear_all(b);
	for (i = 0; i < st->nkeys; i++) {
		if ((k = key_get(b, st->keys[i].key, true)) == NULL ||
		    ring_in(&k->day, st->keys[i].day, st->keys[i].nday) < 0 ||
		    ring_in(&k->min, st->keys[i].min, st->keys[i].nmin) < 0)
			goto nomem;
		k->warned = st->keys[i].warned & 15u;
		key_expire(k, now);
	}
	for (i = 0; i < st->nheld; i++) {
		h = &st->held[i];
		if ((e = calloc(1, sizeof(*e))) == NULL)
			goto nomem;
		memcpy(e->qid, h->qid, sizeof(e->qid));
		e->held_at = h->held_at;
		e->marked_at = h->marked_at;
		e->never = (h->flags & BSTATE_F_NEVER) != 0;
		e->msgs = h->msgs;
		e->rcpts = h->rcpts;
		if (b->held_tail)
			b->held_tail->next = e;
		else
			b->held = e;
		b->held_tail = e;
		b->nheld++;
		if ((e->relay = strdup(h->relay)) == NULL ||
		    (e->account = strdup(h->account)) == NULL ||
		    (e->sender = strdup(h->sender)) == NULL)
			goto nomem;
		for (j = 0; j < h->nhkeys && j < BSTATE_HKEYS_MAX; j++) {
			if ((e->hkeys[j] = strdup(h->hkeys[j])) == NULL ||
			    (k = key_get(b, h->hkeys[j], true)) == NULL)
				goto nomem;
			e->nhkeys++;
			if (!e->never)
				k->held++;
		}
		for (j = 0; j < h->nmkeys && j < BSTATE_HKEYS_MAX; j++) {
			if ((e->mkeys[j] = strdup(h->mkeys[j])) == NULL ||
			    (k = key_get(b, h->mkeys[j], true)) == NULL)
				goto nomem;
			e->nmkeys++;
			if (e->marked_at != 0) {
				k->pend_msgs += e->msgs;
				k->pend_rcpts += e->rcpts;
			}
		}
	}
	b->dirty = false;
	pthread_mutex_unlock(&b->mu);
	return 0;
nomem:
	clear_all(b);
	pthread_mutex_unlock(&b->mu);
	return -1;
}
