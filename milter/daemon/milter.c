/*
 * milter.c - libmilter callbacks: gather facts, decide at end of message, act
 *
 * CONTRACT
 *	See milter.h. Each connection has one conn_ctx (set in
 *	negotiate or connect, freed in close); each message one msg_ctx inside
 *	it, reset at MAIL FROM, at end of message, on abort and on close. What
 *	the callbacks copy lives in the conn_ctx's string pools: a message's
 *	strings until its reset, the connection's until connect or close. The
 *	macros relaymilter needs are requested with smfi_setsymlist() so that
 *	a stock sendmail.mc works: {j} at connect; i and {auth_authen} at MAIL;
 *	{rcpt_mailer}, {rcpt_host} and {rcpt_addr} at RCPT (copied at once:
 *	they are only valid inside that callback); i again at end of message.
 *
 *	The relay budget (budget.h) is accounted at end of message, after
 *	the decision and the prediction, for mail that leaves (not refused):
 *	within it the message goes on as decided; over it OverLimitAction
 *	holds it in sendmail's queue (smfi_quarantine with a reason starting
 *	BUDGET_QUARANTINE_MARK, negotiated as SMFIF_QUARANTINE; an MTA that
 *	does not offer it gets a tempfail instead), tempfails it, or lets it
 *	go (tag adds budget=over to the trace header, none only logs).
 *
 *	Stop: libmilter's smfi_main() returns while session threads still
 *	run (it never joins them), one of them perhaps inside mlfi_eom
 *	waiting on DNS. Every callback that reads process-wide state (the
 *	snapshot, the SPF checker, the log) passes a gate; milter_quiesce()
 *	closes the gate and waits until no callback is inside, so that main()
 *	frees that state only once nothing can touch it. A callback that
 *	comes after the gate closed answers tempfail without touching shared
 *	state (sendmail keeps the message, F=T style); abort and close only
 *	free the connection's own memory and need no gate.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "addr.h"
#include "budget.h"
#include "budgetd.h"
#include "budgetmsg.h"
#include "config.h"
#include "log.h"
#include "milter.h"
#include "netlist.h"
#include "policy.h"
#include "predict.h"
#include "snapshot.h"
#include "spfcheck.h"
#include "strpool.h"
#include "tag.h"
#include "util.h"

#define NAME	"relaymilter"

/*
 * One message's facts. The strings are copies in the connection's message
 * pool (struct conn_ctx), released together by msg_reset(); the recipients
 * are in the connection's inline array until there are more than
 * RCPT_INLINE of them, then in a heap array that msg_reset() frees.
 */
struct msg_ctx {
	bool			 active;
	const char		*error;		/* first internal error, static */
	struct rm_snapshot	*snap;
	char			*qid;
	char			*sender;
	char			*auth_authen;
	struct rcpt_info	*rcpts;		/* rcpt_inline or the heap */
	size_t			 nrcpts;
	size_t			 cap;
	char			*header_from;
	unsigned		 from_count;
	bool			 has_reply_to;
};

static struct spfc *spf_checker;	/* shared, set before smfi_main */

/*
 * The stop gate (see the contract). Entering and leaving are two atomic
 * operations, not a process-wide mutex: every callback passes the gate, and
 * at 16 connections on two cores a lock taken ten times a message is where
 * session threads queue. A callback counts itself in, then looks whether
 * the gate is closed (and counts itself out again if so); milter_quiesce()
 * closes it, then waits for the count to reach 0. Both sides are
 * sequentially consistent, so either the callback sees the gate closed or
 * milter_quiesce() sees it inside. The last one out after the close
 * broadcasts under gate_mu, which milter_quiesce() holds from its check of
 * the count to its wait: no wake-up is lost (and the wait is bounded).
 */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static atomic_uint gate_busy;		/* callbacks inside */
static atomic_bool gate_closed;

static void
gate_leave(void)
{
	if (atomic_fetch_sub(&gate_busy, 1) == 1 && atomic_load(&gate_closed)) {
		pthread_mutex_lock(&gate_mu);
		pthread_cond_broadcast(&gate_cv);
		pthread_mutex_unlock(&gate_mu);
	}
}

static bool
gate_enter(void)
{
	atomic_fetch_add(&gate_busy, 1);
	if (atomic_load(&gate_closed)) {
		gate_leave();
		return false;
	}
	return true;
}

int
milter_quiesce(unsigned timeout_ms, unsigned *busy)
{
	struct timespec until;
	unsigned n;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&gate_mu);
	atomic_store(&gate_closed, true);
	/*
	 * One reading of the count decides: a callback turned away after the
	 * close counts itself in for a moment too, so a second reading could
	 * see it where the loop saw none inside (it broadcasts on its way out,
	 * so the loop never waits for it longer than that).
	 */
	while ((n = atomic_load(&gate_busy)) > 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&gate_cv, &gate_mu, &until);
	if (busy != NULL)
		*busy = n;
	rc = n == 0 ? 0 : -1;
	pthread_mutex_unlock(&gate_mu);
	return rc;
}

/*
 * A connection and the storage of its strings, in one allocation of under
 * 1 KB (malloc's per-thread cache serves it): the connection's strings in
 * cpool, the current message's in mpool (reset at each msg_reset), so that
 * an ordinary message allocates nothing for what the callbacks copy.
 * Longer strings and more recipients spill to the heap, never truncated.
 */
#define RCPT_INLINE	4
#define MPOOL_BYTES	448
#define CPOOL_BYTES	64

struct conn_ctx {
	unsigned long		 noreply;	/* SMFIP_NR_* negotiated */
	bool			 quarantine;	/* SMFIF_QUARANTINE negotiated */
	bool			 connected;
	char			*client_addr;	/* NULL: local (no address) */
	char			*jdomain;
	struct msg_ctx		 msg;
	struct strpool		 cpool;		/* client_addr, jdomain */
	struct strpool		 mpool;		/* msg's strings */
	struct rcpt_info	 rcpt_inline[RCPT_INLINE];
	char			 cbuf[CPOOL_BYTES];
	char			 mbuf[MPOOL_BYTES];
};
/* glibc's per-thread cache takes blocks of up to 1032 bytes */
_Static_assert(sizeof(struct conn_ctx) <= 1024, "conn_ctx outgrew 1 KB");

/*
 * Connection reuse (SMFIC_QUIT_NC): libmilter calls close, then connect on
 * the same SMFICTX without negotiating again, so the no-reply flags
 * negotiated for it must outlive the conn_ctx that close frees. close
 * files them under the SMFICTX here, connect of a context without private
 * data takes them back, negotiate (a new connection, perhaps at a reused
 * address) clears the slot. A fixed table: a collision only loses the
 * flags of one reused connection (libmilter then corrects each reply and
 * logs it), never memory.
 */
#define REUSE_SLOTS	1024
static struct {
	const void	*ctx;
	unsigned long	 noreply;
	bool		 quarantine;
} reuse_tab[REUSE_SLOTS];
static pthread_mutex_t reuse_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t
reuse_slot(const void *ctx)
{
	uintptr_t p = (uintptr_t)ctx;

	return (size_t)((p >> 4) ^ (p >> 14)) % REUSE_SLOTS;
}

static void
reuse_put(const void *ctx, unsigned long noreply, bool quarantine)
{
	size_t i = reuse_slot(ctx);

	pthread_mutex_lock(&reuse_mu);
	reuse_tab[i].ctx = ctx;
	reuse_tab[i].noreply = noreply;
	reuse_tab[i].quarantine = quarantine;
	pthread_mutex_unlock(&reuse_mu);
}

/* Take the flags filed for ctx; false when there are none. */
static bool
reuse_take(const void *ctx, unsigned long *noreply, bool *quarantine)
{
	size_t i = reuse_slot(ctx);
	bool hit;

	pthread_mutex_lock(&reuse_mu);
	if ((hit = reuse_tab[i].ctx == ctx)) {
		*noreply = reuse_tab[i].noreply;
		*quarantine = reuse_tab[i].quarantine;
		reuse_tab[i].ctx = NULL;
	}
	pthread_mutex_unlock(&reuse_mu);
	return hit;
}

/* End the connection's message: its strings and recipients go. */
static void
msg_reset(struct conn_ctx *c)
{
	struct msg_ctx *m = &c->msg;

	snapshot_unref(m->snap);
	if (m->rcpts != c->rcpt_inline)
		free(m->rcpts);
	strpool_reset(&c->mpool);
	memset(m, 0, sizeof(*m));
	m->rcpts = c->rcpt_inline;
	m->cap = RCPT_INLINE;
}

static void
conn_free(struct conn_ctx *c)
{
	if (c == NULL)
		return;
	msg_reset(c);
	strpool_free(&c->mpool);
	strpool_free(&c->cpool);
	free(c);
}

/* The connection context, created on first use. */
static struct conn_ctx *
conn_get(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c == NULL) {
		/* not calloc: the pools' buffers need no zeroing */
		if ((c = malloc(sizeof(*c))) == NULL)
			return NULL;
		c->noreply = 0;
		c->quarantine = false;
		c->connected = false;
		c->client_addr = c->jdomain = NULL;
		strpool_init(&c->cpool, c->cbuf, sizeof(c->cbuf));
		strpool_init(&c->mpool, c->mbuf, sizeof(c->mbuf));
		memset(&c->msg, 0, sizeof(c->msg));
		c->msg.rcpts = c->rcpt_inline;
		c->msg.cap = RCPT_INLINE;
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
		/* a connection reused after SMFIC_QUIT_NC keeps what it
		 * negotiated */
		(void)reuse_take(ctx, &c->noreply, &c->quarantine);
	}
	return c;
}

/* Copy a macro value into pool; records an error when the copy fails. */
static char *
macro_dup(SMFICTX *ctx, const char *name, struct strpool *pool,
    struct msg_ctx *m)
{
	char *v = smfi_getsymval(ctx, (char *)name), *d;

	if (v == NULL)
		return NULL;
	if ((d = strpool_dup(pool, v)) == NULL && m != NULL && m->error == NULL)
		m->error = "out of memory";
	return d;
}

static sfsistat
reply(const struct conn_ctx *c, unsigned long nr_flag)
{
	return c != NULL && (c->noreply & nr_flag) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long need = SMFIF_CHGFROM | SMFIF_ADDHDRS |
	    SMFIF_CHGHDRS;
	const unsigned long nr = SMFIP_NR_CONN | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_HDR;
	struct conn_ctx *c;

	if ((f0 & need) != need) {
		log_msg(LOG_ERR, NULL, "the MTA does not offer the actions "
		    "relaymilter needs (change sender, add and change "
		    "headers; offered 0x%lx): this connection is not "
		    "filtered", f0);
		return SMFIS_REJECT;
	}
	{
		unsigned long stale;
		bool q;

		/* a new connection: nothing filed for this SMFICTX applies */
		(void)reuse_take(ctx, &stale, &q);
	}
	if ((c = conn_get(ctx)) == NULL)
		return SMFIS_ALL_OPTS;	/* connect() will retry and fail */
	/* quarantine: the relay budget's hold (sendmail 8.13 and later) */
	*pf0 = need | (f0 & (SMFIF_SETSYMLIST | SMFIF_QUARANTINE));
	c->quarantine = (f0 & SMFIF_QUARANTINE) != 0;
	*pf1 = f1 & (SMFIP_NOHELO | SMFIP_NOBODY | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_NOEOH | nr);
	c->noreply = *pf1 & nr;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		if (smfi_setsymlist(ctx, SMFIM_CONNECT, "j") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVFROM,
		    "i {auth_authen} {auth_type}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_ENVRCPT,
		    "{rcpt_mailer} {rcpt_host} {rcpt_addr}") != MI_SUCCESS ||
		    smfi_setsymlist(ctx, SMFIM_EOM, "i") != MI_SUCCESS)
			log_msg(LOG_WARNING, NULL, "could not request the "
			    "macros relaymilter uses; sendmail's defaults "
			    "apply");
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct conn_ctx *c = conn_get(ctx);
	char text[INET6_ADDRSTRLEN];

	if (c == NULL) {
		log_msg(LOG_ERR, NULL, "out of memory at connect");
		return SMFIS_TEMPFAIL;
	}
	strpool_reset(&c->cpool);
	c->client_addr = c->jdomain = NULL;
	c->connected = true;
	if (hostaddr != NULL) {
		/* a family we cannot read stays untrusted, never "local" */
		if ((c->client_addr = strpool_dup(&c->cpool,
		    sockaddr_ntop(hostaddr, text, sizeof(text)) == 0 ? text :
		    "unknown")) == NULL)
			return SMFIS_TEMPFAIL;
	}
	c->jdomain = macro_dup(ctx, "j", &c->cpool, NULL);
	if (c->jdomain == NULL && smfi_getsymval(ctx, "j") != NULL) {
		/* as for the address: never decide without what was sent */
		log_msg(LOG_ERR, NULL, "out of memory at connect");
		return SMFIS_TEMPFAIL;
	}
	return reply(c, SMFIP_NR_CONN);
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = conn_get(ctx);
	struct msg_ctx *m;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->msg;
	msg_reset(c);
	m->active = true;
	if ((m->snap = snapshot_current()) == NULL)
		m->error = "no configuration loaded";
	m->qid = macro_dup(ctx, "i", &c->mpool, m);
	m->auth_authen = macro_dup(ctx, "{auth_authen}", &c->mpool, m);
	if (argv != NULL && argv[0] != NULL &&
	    (m->sender = strpool_dup(&c->mpool, argv[0])) == NULL)
		m->error = "out of memory";
	return reply(c, SMFIP_NR_MAIL);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn_ctx *c = conn_get(ctx);
	struct msg_ctx *m;
	struct rcpt_info *r, *nv;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	m = &c->msg;
	if (!m->active || m->error != NULL)
		return reply(c, SMFIP_NR_RCPT);
	if (m->nrcpts == m->cap) {
		size_t ncap = m->cap * 2;

		/* past the inline array: a heap array, grown by doubling */
		if (m->rcpts == c->rcpt_inline) {
			if ((nv = malloc(ncap * sizeof(*nv))) != NULL)
				memcpy(nv, m->rcpts, m->nrcpts * sizeof(*nv));
		} else
			nv = realloc(m->rcpts, ncap * sizeof(*nv));
		if (nv == NULL) {
			m->error = "out of memory";
			return reply(c, SMFIP_NR_RCPT);
		}
		m->rcpts = nv;
		m->cap = ncap;
	}
	r = &m->rcpts[m->nrcpts++];
	memset(r, 0, sizeof(*r));
	r->mailer = macro_dup(ctx, "{rcpt_mailer}", &c->mpool, m);
	r->host = macro_dup(ctx, "{rcpt_host}", &c->mpool, m);
	if (argv != NULL && argv[0] != NULL &&
	    (r->addr = strpool_dup(&c->mpool, argv[0])) == NULL)
		m->error = "out of memory";
	return reply(c, SMFIP_NR_RCPT);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m;

	if (c == NULL)
		return SMFIS_CONTINUE;
	m = &c->msg;
	if (!m->active || name == NULL)
		return reply(c, SMFIP_NR_HDR);
	if (strcasecmp(name, "From") == 0) {
		if (m->from_count++ == 0 && value != NULL &&
		    (m->header_from = strpool_dup(&c->mpool, value)) == NULL)
			m->error = "out of memory";
	} else if (strcasecmp(name, "Reply-To") == 0) {
		m->has_reply_to = true;
	}
	return reply(c, SMFIP_NR_HDR);
}

/* The relay budget of one message, for its decision line. */
struct bline {
	const struct budget_msgbuf	*mb;
	const struct budget_result	*r;
	unsigned			 warn_pct;	/* LimitWarn */
};

/* Digits of v before end (no printf: this runs for every message). */
static char *
put_ulong(char *end, unsigned long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return end;
}

static void
kv_budget(struct kvline *kv, const struct bline *bl)
{
	const struct budget_result *r = bl->r;
	char buf[48], *p = buf + sizeof(buf) - 1;

	if (r->top.req < 0)
		return;
	*p = '\0';
	p = put_ulong(p, r->top.max);
	*--p = '/';
	p = put_ulong(p, r->top.used);
	kv_add(kv, "budget", p);
	kv_add(kv, "budget_window", relaylimit_window_name(r->top.window));
	kv_add(kv, "budget_key", bl->mb->req[r->top.req].key);
	if (r->verdict == BV_HELD)
		kv_add(kv, "budget_hold", r->never ? "never" : r->backlog ?
		    "behind" : "over");
	if (r->warn) {
		p = buf + sizeof(buf) - 1;
		*p = '\0';
		kv_add(kv, "budget_warn", put_ulong(p, bl->warn_pct));
	}
}

/* Write the decision line. */
static void
log_decision(const struct msg_ctx *m, const struct conn_ctx *c,
    const struct decision *d, const struct prediction *p,
    const struct bline *bl, const char *trace_id, const char *result,
    const char *error)
{
	struct kvline kv;
	char vbuf[128];
	strbuf v;

	kv_init(&kv);
	sb_init_buf(&v, vbuf, sizeof(vbuf));	/* "map:line": no allocation */
	kv_add(&kv, "action", decision_action_name(d->action));
	if (d->reason != NULL)
		kv_add(&kv, "reason", d->reason);
	kv_add_angle(&kv, "from", d->orig);
	if (d->action == DECIDE_REWRITE)
		kv_add_angle(&kv, "to", d->final);
	if (d->action == DECIDE_SKIP && d->reason != NULL &&
	    strcmp(d->reason, "untrusted") == 0)
		kv_add(&kv, "client", c->client_addr ? c->client_addr :
		    "local");
	if (d->account != NULL)
		kv_add(&kv, "account", d->account);
	if (d->relay != NULL)
		kv_add(&kv, "relay", d->relay);
	if (d->map_key != NULL) {
		sb_printf(&v, "%s:%u", d->map_key, d->map_line);
		kv_add(&kv, "map", v.s);
		sb_reset(&v);
	}
	if (d->map_skipped_key != NULL) {
		sb_printf(&v, "%s:%u", d->map_skipped_key,
		    d->map_skipped_line);
		kv_add(&kv, "map_skipped", v.s);
		sb_reset(&v);
	}
	if (d->from_rewrite)
		kv_add_angle(&kv, "header_from", d->final);
	else if (d->from_note != NULL) {
		kv_add(&kv, "header_from", d->from_note);
	}
	if (p != NULL && prediction_spf_word(p) != NULL) {
		kv_add(&kv, "spf", prediction_spf_word(p));
		if (p->spf_state == PRED_DONE)
			kv_add(&kv, "spf_ip", p->spf_ip);
		else
			kv_add(&kv, "spf_why", p->unchecked_why);
	}
	if (p != NULL && d->action != DECIDE_SKIP)
		kv_add(&kv, "align", p->align < 0 ? "none" : p->align ? "pass" :
		    "fail");
	if (p != NULL && prediction_dmarc_word(p) != NULL) {
		kv_add(&kv, "dmarc", prediction_dmarc_word(p));
		if (p->dm.verdict == DMV_UNCHECKED)
			kv_add(&kv, "dmarc_why", p->dm.why);
		if (p->dm.found.status == DMARCF_FOUND)
			kv_add(&kv, "dmarc_policy",
			    dmarcrec_policy_name(p->dm.policy));
		if (p->rv.dkim_d != NULL && p->dm.verdict != DMV_UNCHECKED) {
			/* the signature is only weighed against a record */
			if (p->dm.found.status == DMARCF_FOUND)
				kv_add(&kv, "dkim",
				    dmarcpred_dkim_name(&p->dm));
			kv_add(&kv, "dkim_d", p->rv.dkim_d);
		}
	}
	if (p != NULL && p->hint != NULL)
		kv_add(&kv, "hint", p->hint);
	if (bl != NULL)
		kv_budget(&kv, bl);
	if (trace_id != NULL)
		kv_add(&kv, "trace", trace_id);
	kv_add(&kv, "result", result);
	if (error != NULL)
		kv_add(&kv, "error", error);
	kv_log(LOG_INFO, m->qid ? m->qid : "NOQUEUE", &kv);
	sb_free(&v);
	kv_free(&kv);
}

/* Internal trouble: follow On-InternalError. */
static sfsistat
internal_error(SMFICTX *ctx, struct conn_ctx *c, const struct decision *d,
    const char *what)
{
	struct rm_snapshot *s = c && c->msg.snap ? snapshot_ref(c->msg.snap) :
	    snapshot_current();
	struct decision empty;
	bool accept = s != NULL && s->cfg->on_internal_error == ON_ACCEPT;
	sfsistat rc;

	memset(&empty, 0, sizeof(empty));
	empty.action = DECIDE_SKIP;
	empty.reason = "internal-error";
	if (c != NULL)
		log_decision(&c->msg, c, d ? d : &empty, NULL, NULL, NULL,
		    accept ? "failopen" : "tempfail", what);
	else
		log_msg(LOG_ERR, NULL, "action=skip, reason=internal-error, "
		    "result=%s, error=\"%s\"", accept ? "failopen" :
		    "tempfail", what);
	snapshot_unref(s);
	if (accept)
		rc = SMFIS_CONTINUE;
	else {
		(void)smfi_setreply(ctx, "451", "4.3.0",
		    "relaymilter: internal error, please try again later");
		rc = SMFIS_TEMPFAIL;
	}
	if (c != NULL)
		msg_reset(c);
	return rc;
}

/*
 * Append the n strings in part to sb, sanitized (header values); -1 when
 * out of memory. sb usually starts on a stack buffer (sb_init_buf), so the
 * common message allocates nothing.
 */
static int
join(strbuf *sb, const char *const *part, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sb_puts_sanitized(sb, part[i]) < 0)
			return -1;
	return 0;
}

/* Apply the decision; NULL on success or what failed. */
static const char *
apply(SMFICTX *ctx, const struct rm_snapshot *s, const struct decision *d,
    const char *trace_value)
{
	char buf[256];
	strbuf v;
	int rc;

	if (trace_value != NULL && smfi_insheader(ctx, 0,
	    s->cfg->trace_header, (char *)trace_value) != MI_SUCCESS)
		return "adding the trace header failed";
	if (d->action == DECIDE_REWRITE) {
		const char *part[] = { "<", d->final, ">" };

		sb_init_buf(&v, buf, sizeof(buf));
		if (join(&v, part, 3) < 0) {
			sb_free(&v);
			return "out of memory";
		}
		rc = smfi_chgfrom(ctx, v.s, NULL);
		sb_free(&v);
		if (rc != MI_SUCCESS)
			return "changing the envelope sender failed";
	}
	if (d->from_rewrite) {
		if (smfi_chgheader(ctx, "From", 1, d->from_new) != MI_SUCCESS)
			return "changing From: failed";
		if (d->reply_to != NULL && smfi_addheader(ctx, "Reply-To",
		    d->reply_to) != MI_SUCCESS)
			return "adding Reply-To: failed";
	}
	return NULL;
}

/* Refuse the message with the prediction's RFC 7372 reply. */
static sfsistat
refuse(SMFICTX *ctx, const struct prediction *p)
{
	strbuf text;
	const char *q;

	sb_init(&text);
	/* sendmail reads the text as a format: double every '%' */
	for (q = p->reply ? p->reply : "relaymilter: refused"; *q; q++) {
		if (*q == '%')
			sb_putc(&text, '%');
		sb_putc(&text, *q);
	}
	if (!text.err)
		(void)smfi_setreply(ctx, (char *)p->code, (char *)p->dsn,
		    text.s);
	sb_free(&text);
	return p->action == PACT_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/*
 * The relay budget for a message that leaves: NULL, or what failed (the
 * caller follows On-InternalError). br->verdict is BV_PASS when no rule
 * applies.
 */
static const char *
account_budget(const struct conn_ctx *c, const struct rm_snapshot *s,
    const struct msg_facts *f, const struct decision *d,
    struct budget_msgbuf *mb, struct budget_result *br)
{
	struct budget *b = budgetd_budget();
	enum budget_mode mode;
	strbuf err;

	br->top.req = br->warned.req = -1;
	if (s->nlimits == 0 || !d->relayed || b == NULL)
		return NULL;
	sb_init(&err);
	if (budget_msg_make(s, f, d, mb, &err) < 0) {
		sb_free(&err);
		return "relay budget: out of memory";
	}
	sb_free(&err);
	if (mb->msg.nreq == 0)
		return NULL;
	mb->msg.qid = c->msg.qid;
	if (s->cfg->dry_run)
		mode = BM_SEND;
	else if (s->cfg->over_limit_action == OVER_HOLD)
		/* an MTA without quarantine cannot hold: tempfail then */
		mode = c->quarantine ? BM_HOLD : BM_REFUSE;
	else if (s->cfg->over_limit_action == OVER_TEMPFAIL)
		mode = BM_REFUSE;
	else
		mode = BM_SEND;
	if (budget_account(b, &mb->msg, mode, (unsigned)s->cfg->limit_warn,
	    (int64_t)time(NULL), br) < 0)
		return mode == BM_HOLD && !bstate_qid_ok(c->msg.qid ?
		    c->msg.qid : "") ? "relay budget: no queue id to hold "
		    "the message under" : "relay budget: out of memory";
	if (br->untracked) {
		/* once a minute at most */
		static int64_t said;
		int64_t now = (int64_t)time(NULL), last;

		last = __atomic_load_n(&said, __ATOMIC_RELAXED);
		if (now - last >= 60 && __atomic_compare_exchange_n(&said,
		    &last, now, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			log_msg(LOG_WARNING, c->msg.qid, "relay budget: %d keys "
			    "counted already, the most it keeps: mail of a new "
			    "key is not counted until old ones expire (a flood "
			    "of senders with per=sender?)", BUDGET_KEYS_MAX);
	}
	return NULL;
}

static void
budget_refuse(SMFICTX *ctx, const struct budget_msgbuf *mb,
    const struct budget_result *br)
{
	strbuf t;

	sb_init(&t);
	sb_printf(&t, "relaymilter: the relay budget of ");
	if (br->top.req >= 0)
		sb_printf(&t, "%s is used up (%s %lu/%lu)",
		    mb->req[br->top.req].key,
		    relaylimit_window_name(br->top.window), br->top.used,
		    br->top.max);
	else
		sb_puts(&t, "this relay is used up");
	sb_puts(&t, ", please try again later");
	sanitize_inplace(t.s);
	/* sendmail reads the text as a format: no '%' may reach it */
	for (char *q = t.s; q && *q; q++)
		if (*q == '%')
			*q = '_';
	if (!t.err)
		(void)smfi_setreply(ctx, "451", "4.7.0", t.s);
	sb_free(&t);
}

/* Keep the message in sendmail's queue: NULL, or what failed. */
static const char *
hold(SMFICTX *ctx, const struct msg_ctx *m, const struct budget_msgbuf *mb,
    const struct budget_result *br)
{
	strbuf r;
	int rc;

	sb_init(&r);
	sb_puts(&r, BUDGET_QUARANTINE_MARK ": ");
	if (br->top.req >= 0)
		sb_printf(&r, "%s %s %lu/%lu", mb->req[br->top.req].key,
		    relaylimit_window_name(br->top.window), br->top.used,
		    br->top.max);
	if (br->backlog)
		sb_puts(&r, ", behind older held mail");
	if (r.err) {
		sb_free(&r);
		(void)budget_unhold(budgetd_budget(), m->qid);
		return "relay budget: out of memory";
	}
	sanitize_inplace(r.s);
	rc = smfi_quarantine(ctx, r.s);
	sb_free(&r);
	if (rc != MI_SUCCESS) {
		(void)budget_unhold(budgetd_budget(), m->qid);
		return "relay budget: the MTA did not take the hold "
		    "(smfi_quarantine failed)";
	}
	if (br->never && br->top.req >= 0)
		log_msg(LOG_WARNING, m->qid, "relay budget: the message is "
		    "bigger than the whole window (%s %lu/%lu for %s): it stays "
		    "held until it is released by hand (sendmail -qI%s -qQ -Q) "
		    "or the limit is raised", relaylimit_window_name(
		    br->top.window), br->top.used, br->top.max,
		    mb->req[br->top.req].key, m->qid);
	budgetd_poke();
	return NULL;
}

/* LimitWarn crossed: one line, once (the budget remembers). */
static void
budget_warning(const struct msg_ctx *m, const struct rm_snapshot *s,
    const struct budget_msgbuf *mb, const struct budget_result *br)
{
	const struct budget_mark_win *w = &br->warned;
	static const char *const then[] = {
		"mail past it is held in the queue until there is room",
		"mail past it is refused with 451 (tempfail)",
		"mail past it still leaves (tag): the relay may refuse it",
		"mail past it still leaves (none): the relay may refuse it",
	};

	if (w->req < 0)
		return;
	log_msg(LOG_WARNING, m->qid ? m->qid : "NOQUEUE", "relay budget "
	    "warning: %s has used %lu of %lu %s (%lu%%, LimitWarn %lu%%); %s",
	    mb->req[w->req].key, w->used, w->max,
	    relaylimit_window_name(w->window), w->max ? w->used * 100 / w->max :
	    0, s->cfg->limit_warn, then[s->cfg->over_limit_action & 3]);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);
	struct msg_ctx *m;
	struct rm_snapshot *s;
	struct msg_facts f;
	struct decision d;
	struct prediction p;
	struct budget_msgbuf mb;
	struct budget_result br;
	struct bline bl;
	char id[TAG_ID_LEN + 1], tvbuf[160];
	strbuf tv;
	const char *trace = NULL, *failed, *part[11];
	size_t np = 0;
	strbuf err;

	sb_init_buf(&tv, tvbuf, sizeof(tvbuf));	/* the trace value */
	if (c == NULL || !c->msg.active)
		return internal_error(ctx, c, NULL, "no message state at end "
		    "of message");
	m = &c->msg;
	if (m->qid == NULL)
		m->qid = macro_dup(ctx, "i", &c->mpool, m);
	if (m->error != NULL)
		return internal_error(ctx, c, NULL, m->error);
	s = m->snap;
	memset(&f, 0, sizeof(f));
	f.sender = m->sender;
	f.client_addr = c->client_addr;
	f.auth_authen = m->auth_authen;
	f.jdomain = c->jdomain;
	f.rcpts = m->rcpts;
	f.nrcpts = m->nrcpts;
	f.header_from = m->header_from;
	f.from_count = m->from_count;
	f.has_reply_to = m->has_reply_to;
	sb_init(&err);
	if (policy_decide(s, &f, &d, &err) < 0) {
		sfsistat rc = internal_error(ctx, c, NULL, err.s);

		sb_free(&err);
		return rc;
	}
	if (predict(s, spf_checker, &d, m->header_from, m->from_count,
	    c->jdomain, &p, &err) < 0) {
		sfsistat rc = internal_error(ctx, c, &d, err.s);

		sb_free(&err);
		decision_free(&d);
		return rc;
	}
	sb_free(&err);
	if (d.relayed && s->have_key && s->cfg->trace_header[0] != '\0') {
		if (tag_make_id(&s->key, m->qid ? m->qid : "", time(NULL),
		    id) < 0) {
			sfsistat rc = internal_error(ctx, c, &d,
			    "computing the trace id failed");

			prediction_free(&p);
			decision_free(&d);
			return rc;
		}
		trace = id;
		/* the header's value, joined when it is added (below) */
		part[np++] = "id=";
		part[np++] = id;
		part[np++] = "; qid=";
		part[np++] = m->qid ? m->qid : "";
		if (p.tag_spf) {
			part[np++] = "; spf=";
			part[np++] = prediction_spf_word(&p);
		}
		if (p.tag_align) {
			part[np++] = "; align=";
			part[np++] = prediction_align_word(&p,
			    s->cfg->alignment_mode);
		}
		if (p.tag_dmarc) {
			part[np++] = "; dmarc=";
			part[np++] = prediction_dmarc_word(&p);
		}
	}
	if (!s->cfg->dry_run && p.action >= PACT_TEMPFAIL) {
		sfsistat rc = refuse(ctx, &p);

		/* refused: no header was added, so no trace id is logged */
		log_decision(m, c, &d, &p, NULL, NULL, rc == SMFIS_REJECT ?
		    "reject" : "tempfail", NULL);
		prediction_free(&p);
		decision_free(&d);
		msg_reset(c);
		return rc;
	}
	memset(&mb, 0, sizeof(mb));
	memset(&br, 0, sizeof(br));
	if ((failed = account_budget(c, s, &f, &d, &mb, &br)) != NULL)
		goto fail;
	bl.mb = &mb;
	bl.r = &br;
	bl.warn_pct = (unsigned)s->cfg->limit_warn;
	if (br.verdict == BV_REFUSED) {
		budget_refuse(ctx, &mb, &br);
		/* refused: no header was added, so no trace id is logged */
		log_decision(m, c, &d, &p, &bl, NULL, "tempfail", NULL);
		goto refused;
	}
	if (br.verdict == BV_SENT_OVER &&
	    s->cfg->over_limit_action == OVER_TAG && trace != NULL)
		part[np++] = "; budget=over";
	if (!s->cfg->dry_run) {
		if (trace != NULL && join(&tv, part, np) < 0)
			failed = "out of memory";
		else
			failed = apply(ctx, s, &d, trace != NULL ? tv.s : NULL);
		if (failed == NULL && br.verdict == BV_HELD)
			failed = hold(ctx, m, &mb, &br);
		if (failed != NULL)
			goto fail;
	}
	log_decision(m, c, &d, &p, &bl, trace, br.verdict == BV_HELD ? "hold" :
	    s->cfg->dry_run ? "dryrun" : "ok", NULL);
	if (br.warn)
		budget_warning(m, s, &mb, &br);
	sb_free(&tv);
	prediction_free(&p);
	decision_free(&d);
	budget_msg_free(&mb);
	msg_reset(c);
	return SMFIS_CONTINUE;
fail:
	{
		sfsistat rc;

		/* not kept in the queue after all: not held either */
		if (br.verdict == BV_HELD && budgetd_budget() != NULL)
			(void)budget_unhold(budgetd_budget(), m->qid);
		rc = internal_error(ctx, c, &d, failed);

		sb_free(&tv);
		prediction_free(&p);
		decision_free(&d);
		budget_msg_free(&mb);
		return rc;
	}
refused:
	prediction_free(&p);
	decision_free(&d);
	budget_msg_free(&mb);
	msg_reset(c);
	return SMFIS_TEMPFAIL;
}

/*
 * The gated callbacks: after the gate closed (stop), a callback answers
 * without touching shared state. negotiate keeps sendmail's defaults.
 */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	sfsistat rc;

	if (!gate_enter())
		return SMFIS_REJECT;	/* stopping: not this connection */
	rc = cb_negotiate(ctx, f0, f1, f2, f3, pf0, pf1, pf2, pf3);
	gate_leave();
	return rc;
}

#define GATED(cb, params, args)						\
static sfsistat								\
mlfi_##cb params							\
{									\
	sfsistat rc;							\
									\
	if (!gate_enter())						\
		return SMFIS_TEMPFAIL;					\
	rc = cb_##cb args;						\
	gate_leave();							\
	return rc;							\
}
GATED(connect, (SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr),
    (ctx, hostname, hostaddr))
GATED(envfrom, (SMFICTX *ctx, char **argv), (ctx, argv))
GATED(envrcpt, (SMFICTX *ctx, char **argv), (ctx, argv))
GATED(header, (SMFICTX *ctx, char *name, char *value), (ctx, name, value))
GATED(eom, (SMFICTX *ctx), (ctx))
#undef GATED

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	if (c != NULL)
		msg_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn_ctx *c = smfi_getpriv(ctx);

	/* close also ends a connection that SMFIC_QUIT_NC will reuse */
	if (c != NULL)
		reuse_put(ctx, c->noreply, c->quarantine);
	conn_free(c);
	(void)smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = NAME,
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_CHGFROM | SMFIF_ADDHDRS | SMFIF_CHGHDRS |
	    SMFIF_SETSYMLIST | SMFIF_QUARANTINE,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};

void
milter_set_spf(struct spfc *sc)
{
	spf_checker = sc;
}

int
milter_register(void)
{
	return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
