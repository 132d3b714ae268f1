/*
 * test_budget.c - the relay budget: RelayLimit lines, the rolling windows
 *		   (clock injected), holding and releasing, the state file
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "budget.h"
#include "budgetfmt.h"
#include "budgetmsg.h"
#include "policy.h"
#include "relaylimit.h"
#include "sendmailcf.h"
#include "snapshot.h"
#include "util.h"

#define T0	((int64_t)1765000000)	/* 2025-12-06 05:46:40 UTC */

static struct relay_limit
rl(const char *text)
{
	struct relay_limit r;
	strbuf err;

	sb_init(&err);
	if (relaylimit_parse(text, &r, &err) != 0)
		fail_msg("relaylimit_parse(%s): %s", text, err.s);
	sb_free(&err);
	return r;
}

static void
rl_bad(const char *text, const char *why)
{
	struct relay_limit r;
	strbuf err;

	sb_init(&err);
	assert_int_equal(relaylimit_parse(text, &r, &err), -1);
	if (strstr(err.s, why) == NULL)
		fail_msg("'%s': error '%s' lacks '%s'", text, err.s, why);
	sb_free(&err);
}

static void
test_relaylimit_parse(void **state)
{
	struct relay_limit r;
	strbuf sb;

	(void)state;
	r = rl("gmail");
	assert_string_equal(r.preset, "gmail");
	assert_int_equal(r.scope, RL_ACCOUNT);
	assert_int_equal(r.max[RLW_RCPTS_DAY], 500);
	assert_int_equal(r.max[RLW_RCPTS_MSG], 100);
	assert_int_equal(r.max[RLW_MSGS_DAY], 0);
	assert_null(r.relay);
	relaylimit_free(&r);
	/* a trial Workspace account: the preset with one number changed;
	 * a window before the preset wins too */
	r = rl("msgs/24h=500 WORKSPACE rcpts/msg=0");
	assert_int_equal(r.max[RLW_MSGS_DAY], 500);
	assert_int_equal(r.max[RLW_RCPTS_DAY], 10000);
	assert_int_equal(r.max[RLW_RCPTS_MSG], 0);
	relaylimit_free(&r);
	r = rl("workspace-relay");
	assert_int_equal(r.scope, RL_SENDER);
	relaylimit_free(&r);
	/* seed 001: an IP-registered relay counted as the customer */
	r = rl("workspace-relay per=relay relay=[SMTP-Relay.Gmail.com.]");
	assert_int_equal(r.scope, RL_RELAY);
	assert_string_equal(r.relay, "smtp-relay.gmail.com");
	assert_true(relaylimit_applies(&r, "[smtp-relay.gmail.com]"));
	assert_true(relaylimit_applies(&r, "smtp-relay.gmail.com."));
	assert_false(relaylimit_applies(&r, "[smtp.gmail.com]"));
	assert_false(relaylimit_applies(&r, NULL));
	sb_init(&sb);
	relaylimit_text(&r, &sb);
	assert_string_equal(sb.s, "workspace-relay per=relay "
	    "relay=smtp-relay.gmail.com msgs/24h=10000 rcpts/24h=10000 "
	    "rcpts/msg=100");
	sb_free(&sb);
	relaylimit_free(&r);
	r = rl("microsoft365");
	assert_int_equal(r.max[RLW_MSGS_MIN], 30);
	assert_int_equal(r.max[RLW_RCPTS_DAY], 10000);
	assert_true(relaylimit_applies(&r, "[smtp.office365.com]"));
	relaylimit_free(&r);
	r = rl("per=sender msgs/min=2");
	assert_null(r.preset);
	assert_int_equal(r.max[RLW_MSGS_MIN], 2);
	relaylimit_free(&r);

	rl_bad("", "no limit");
	rl_bad("gmail rcpts/24h=0 rcpts/msg=0", "no limit");
	rl_bad("yahoo", "'yahoo' is no preset (gmail, workspace, "
	    "workspace-relay, microsoft365)");
	rl_bad("gmail workspace", "two presets");
	rl_bad("gmail per=domain", "per=domain");
	rl_bad("gmail per=relay per=sender", "per= given twice");
	rl_bad("gmail relay=a relay=b", "relay= given twice");
	rl_bad("gmail relay=bad/host", "not a host name");
	rl_bad("msgs/day=5", "'msgs/day=' is not one of");
	rl_bad("msgs/24h=5 msgs/24h=6", "msgs/24h given twice");
	rl_bad("msgs/24h=-1", "not a number");
	rl_bad("msgs/24h=99999999999", "not a number");
	rl_bad("gmail\x01", "control characters");
}

/* every preset is documented with a source and a date, and parses */
static void
test_presets(void **state)
{
	const struct relay_limit_preset *p;
	struct relay_limit r;
	size_t n, i;

	(void)state;
	p = relay_limit_presets(&n);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_non_null(strstr(p[i].source, "read 2026-"));
		r = rl(p[i].id);
		assert_memory_equal(r.max, p[i].max, sizeof(r.max));
		relaylimit_free(&r);
	}
	assert_non_null(relay_limit_preset("Gmail"));
	assert_null(relay_limit_preset("sendgrid"));
}

/* ------------------------------------------------------------ windows */

struct one {
	struct budget_req	 req[2];
	struct budget_msg	 msg;
	struct relay_limit	 lim[2];
};

static void
one_init(struct one *o, const char *limit, const char *key, const char *qid,
    unsigned rcpts)
{
	memset(o, 0, sizeof(*o));
	o->lim[0] = rl(limit);
	o->req[0].key = (char *)key;
	o->req[0].lim = &o->lim[0];
	o->msg.qid = qid;
	o->msg.relay = "[smtp.gmail.com]";
	o->msg.account = "a@gmail.com";
	o->msg.sender = "a@gmail.com";
	o->msg.msgs = 1;
	o->msg.rcpts = rcpts;
	o->msg.req = o->req;
	o->msg.nreq = 1;
}

static void
one_free(struct one *o)
{
	relaylimit_free(&o->lim[0]);
	relaylimit_free(&o->lim[1]);
}

static enum budget_verdict
send1(struct budget *b, struct one *o, enum budget_mode m, int64_t now,
    struct budget_result *res)
{
	struct budget_result r;

	if (res == NULL)
		res = &r;
	assert_int_equal(budget_account(b, &o->msg, m, 80, now, res), 0);
	return res->verdict;
}

static unsigned long
used(struct budget *b, const char *key, int64_t now, enum rl_window w)
{
	unsigned long u[RLW_ROLLING];

	if (!budget_used(b, key, now, u, NULL))
		return 0;
	return u[w];
}

/* the minute window, per second: a message leaves it 61 s later at most */
static void
test_minute_window(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct one o;
	int i;

	(void)state;
	one_init(&o, "msgs/min=3", "k", "Q1", 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(send1(b, &o, BM_REFUSE, T0 + i, NULL),
		    BV_PASS);
	assert_int_equal(send1(b, &o, BM_REFUSE, T0 + 30, &res), BV_REFUSED);
	assert_int_equal(res.top.window, RLW_MSGS_MIN);
	assert_int_equal(res.top.used, 4);
	assert_int_equal(res.top.max, 3);
	/* the first one (second T0) counts until T0 + 61 */
	assert_int_equal(res.room_at, T0 + 61);
	assert_int_equal(used(b, "k", T0 + 60, RLW_MSGS_MIN), 3);
	assert_int_equal(used(b, "k", T0 + 61, RLW_MSGS_MIN), 2);
	assert_int_equal(send1(b, &o, BM_REFUSE, T0 + 61, NULL), BV_PASS);
	/* the 24-hour window counted all four */
	assert_int_equal(used(b, "k", T0 + 61, RLW_MSGS_DAY), 4);
	assert_int_equal(used(b, "k", T0 + 200, RLW_MSGS_MIN), 0);
	one_free(&o);
	budget_free(b);
}

/* the 24-hour window, per minute: never shorter than 24 hours */
static void
test_day_window(void **state)
{
	struct budget *b = budget_new();
	struct one o;
	int64_t t1 = T0 - T0 % 60 + 59;	/* the last second of a minute */
	int64_t t0 = T0 - T0 % 60;	/* the first */

	(void)state;
	one_init(&o, "rcpts/24h=10", "k", "Q1", 5);
	assert_int_equal(send1(b, &o, BM_SEND, t0, NULL), BV_PASS);
	assert_int_equal(send1(b, &o, BM_SEND, t1, NULL), BV_PASS);
	assert_int_equal(used(b, "k", t1, RLW_RCPTS_DAY), 10);
	/* both in one bucket: it goes when the later one is 24 h old */
	assert_int_equal(used(b, "k", t1 + 86400, RLW_RCPTS_DAY), 10);
	assert_int_equal(used(b, "k", t0 + 60 + 86400, RLW_RCPTS_DAY), 0);
	/* over, sent anyway (tag, none): counted */
	t1 += 86400 + 1;
	assert_int_equal(send1(b, &o, BM_SEND, t1, NULL), BV_PASS);
	assert_int_equal(send1(b, &o, BM_SEND, t1 + 1, NULL), BV_PASS);
	assert_int_equal(send1(b, &o, BM_SEND, t1 + 2, NULL), BV_SENT_OVER);
	assert_int_equal(used(b, "k", t1 + 2, RLW_RCPTS_DAY), 15);
	one_free(&o);
	budget_free(b);
}

/* a clock that steps back never un-counts */
static void
test_clock_back(void **state)
{
	struct budget *b = budget_new();
	struct one o;

	(void)state;
	one_init(&o, "msgs/min=100 msgs/24h=100", "k", "Q1", 1);
	assert_int_equal(send1(b, &o, BM_SEND, T0 + 100, NULL), BV_PASS);
	assert_int_equal(send1(b, &o, BM_SEND, T0 - 3600, NULL), BV_PASS);
	assert_int_equal(used(b, "k", T0 + 100, RLW_MSGS_MIN), 2);
	assert_int_equal(used(b, "k", T0 + 100, RLW_MSGS_DAY), 2);
	assert_int_equal(used(b, "k", T0 + 161, RLW_MSGS_MIN), 0);
	one_free(&o);
	budget_free(b);
}

/* LimitWarn: once when crossing, again only after falling below */
static void
test_warn_once(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct one o;
	int i, warned = 0;

	(void)state;
	one_init(&o, "msgs/min=10", "k", "Q1", 1);
	for (i = 0; i < 10; i++) {
		send1(b, &o, BM_REFUSE, T0, &res);
		if (res.warn) {
			warned++;
			assert_int_equal(res.warned.used, 8);
			assert_int_equal(res.warned.max, 10);
			assert_int_equal(res.warned.window, RLW_MSGS_MIN);
		}
	}
	assert_int_equal(warned, 1);
	send1(b, &o, BM_REFUSE, T0 + 1, &res);
	assert_int_equal(res.verdict, BV_REFUSED);
	assert_false(res.warn);
	/* a minute later the window is empty: the next crossing warns */
	for (i = 0, warned = 0; i < 8; i++) {
		send1(b, &o, BM_REFUSE, T0 + 70, &res);
		warned += res.warn;
	}
	assert_int_equal(warned, 1);
	one_free(&o);
	budget_free(b);
}

struct rules {
	struct relay_limit	 lim;
};

/* budget_reqs_fn for tests: one rule, key "k" */
static int
reqs_k(void *ctx, const char *relay, const char *account, const char *sender,
    unsigned rcpts, struct budget_req *req, size_t *nreq, unsigned *msgs)
{
	struct rules *r = ctx;

	(void)relay;
	(void)account;
	(void)sender;
	(void)rcpts;
	req[0].key = strdup("k");
	req[0].lim = &r->lim;
	*nreq = 1;
	*msgs = 1;
	return 0;
}

/* hold, the backlog, release oldest first, pending reservations, ack */
static void
test_hold_release(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct budget_release out[10];
	struct budget_acked ack;
	struct rules r;
	struct one o;
	char qid[8];
	int i;

	(void)state;
	r.lim = rl("msgs/min=2");
	one_init(&o, "msgs/min=2", "k", NULL, 1);
	for (i = 0; i < 6; i++) {
		snprintf(qid, sizeof(qid), "Q%d", i);
		o.msg.qid = qid;
		send1(b, &o, BM_HOLD, T0 + i, &res);
		assert_int_equal(res.verdict, i < 2 ? BV_PASS : BV_HELD);
	}
	assert_int_equal(budget_nheld(b), 4);
	/* within the minute nothing fits */
	assert_int_equal(budget_release_scan(b, T0 + 10, reqs_k, &r, out, 10),
	    0);
	/* the window is empty again: the two oldest are marked ... */
	assert_int_equal(budget_release_scan(b, T0 + 70, reqs_k, &r, out, 10),
	    2);
	assert_string_equal(out[0].qid, "Q2");
	assert_string_equal(out[1].qid, "Q3");
	assert_int_equal(out[0].held_at, T0 + 2);
	/* ... and reserved: a new message is held behind them (and would
	 * not fit anyway), a second scan marks nothing more */
	o.msg.qid = "Q6";
	send1(b, &o, BM_HOLD, T0 + 71, &res);
	assert_int_equal(res.verdict, BV_HELD);
	assert_int_equal(used(b, "k", T0 + 71, RLW_MSGS_MIN), 2);
	assert_int_equal(budget_release_scan(b, T0 + 72, reqs_k, &r, out, 10),
	    0);
	/* the release ran late: counted when it ran */
	assert_int_equal(budget_ack(b, "Q2", T0 + 200, false, &ack), 1);
	assert_true(ack.was_marked);
	assert_int_equal(ack.held_at, T0 + 2);
	assert_int_equal(budget_ack(b, "Q3", T0 + 200, false, NULL), 1);
	assert_int_equal(budget_ack(b, "Q3", T0 + 200, false, NULL), 0);
	assert_int_equal(used(b, "k", T0 + 200, RLW_MSGS_MIN), 2);
	assert_int_equal(used(b, "k", T0 + 261, RLW_MSGS_MIN), 0);
	assert_int_equal(budget_release_scan(b, T0 + 261, reqs_k, &r, out, 10),
	    2);
	assert_string_equal(out[0].qid, "Q4");
	assert_string_equal(out[1].qid, "Q5");
	/* one released by hand ("gone"): it leaves the hold, counted */
	assert_int_equal(budget_ack(b, "Q6", T0 + 262, true, &ack), 1);
	assert_false(ack.was_marked);
	assert_int_equal(budget_nheld(b), 2);
	assert_int_equal(budget_ack(b, "Q4", T0 + 262, false, NULL), 1);
	assert_int_equal(budget_ack(b, "Q5", T0 + 262, false, NULL), 1);
	assert_int_equal(budget_nheld(b), 0);
	assert_int_equal(used(b, "k", T0 + 262, RLW_MSGS_MIN), 3);
	/* no backlog any more: mail passes again once there is room */
	o.msg.qid = "Q7";
	assert_int_equal(send1(b, &o, BM_HOLD, T0 + 330, NULL), BV_PASS);
	one_free(&o);
	relaylimit_free(&r.lim);
	budget_free(b);
}

/* a message bigger than a whole window is held but blocks nobody */
static void
test_never_fits(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct budget_release out[4];
	struct rules r;
	struct one o;

	(void)state;
	r.lim = rl("rcpts/24h=10");
	one_init(&o, "rcpts/24h=10", "k", "BIG", 11);
	send1(b, &o, BM_HOLD, T0, &res);
	assert_int_equal(res.verdict, BV_HELD);
	assert_true(res.never);
	assert_int_equal(res.room_at, -1);
	o.msg.qid = "SMALL";
	o.msg.rcpts = 1;
	assert_int_equal(send1(b, &o, BM_HOLD, T0 + 1, NULL), BV_PASS);
	assert_int_equal(budget_release_scan(b, T0 + 2, reqs_k, &r, out, 4),
	    0);
	one_free(&o);
	relaylimit_free(&r.lim);
	budget_free(b);
}

/* two rules: held when either is over; one key counted once */
static void
test_two_rules(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct one o;

	(void)state;
	one_init(&o, "msgs/24h=100", "account:a", "Q1", 1);
	o.lim[1] = rl("msgs/min=1");
	o.req[1].key = "account:a";
	o.req[1].lim = &o.lim[1];
	o.msg.nreq = 2;
	assert_int_equal(send1(b, &o, BM_REFUSE, T0, &res), BV_PASS);
	assert_int_equal(used(b, "account:a", T0, RLW_MSGS_DAY), 1);
	assert_int_equal(send1(b, &o, BM_REFUSE, T0 + 1, &res), BV_REFUSED);
	assert_int_equal(res.top.req, 1);
	assert_int_equal(res.top.window, RLW_MSGS_MIN);
	/* the tightest window is the one shown on the decision line */
	o.req[1].key = "relay:x";
	assert_int_equal(send1(b, &o, BM_REFUSE, T0 + 100, &res), BV_PASS);
	assert_int_equal(res.top.req, 1);
	assert_int_equal(res.top.used, 1);
	assert_int_equal(res.top.max, 1);
	one_free(&o);
	budget_free(b);
}

/* many threads: every message counted once */
struct thr {
	struct budget	*b;
	struct one	*o;
	int		 n;
};

static void *
hammer(void *arg)
{
	struct thr *t = arg;
	struct budget_result res;
	int i;

	for (i = 0; i < t->n; i++)
		if (budget_account(t->b, &t->o->msg, BM_REFUSE, 80,
		    T0 + i / 100, &res) < 0 || res.verdict != BV_PASS)
			return (void *)1;
	return NULL;
}

static void
test_threads(void **state)
{
	struct budget *b = budget_new();
	struct one o;
	struct thr t = { b, &o, 5000 };
	pthread_t th[8];
	void *rv;
	int i, bad = 0;

	(void)state;
	one_init(&o, "msgs/24h=1000000 rcpts/min=1000000", "k", "Q", 2);
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &t), 0);
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], &rv);
		bad += rv != NULL;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(used(b, "k", T0 + 49, RLW_MSGS_DAY), 40000);
	assert_int_equal(used(b, "k", T0 + 49, RLW_RCPTS_DAY), 80000);
	one_free(&o);
	budget_free(b);
}

/* ------------------------------------------------------------ state file */

static struct bstate
roundtrip(struct budget *b, int64_t now)
{
	struct bstate st, back;
	strbuf text, err;

	assert_int_equal(budget_export(b, now, &st), 0);
	assert_false(budget_dirty(b));
	sb_init(&text);
	sb_init(&err);
	assert_int_equal(bstate_format(&st, &text), 0);
	if (bstate_parse(text.s, text.len, &back, &err) != 0)
		fail_msg("%s\n%s", err.s, text.s);
	bstate_free(&st);
	sb_free(&text);
	sb_free(&err);
	return back;
}

/* a restart keeps the counts, the held messages and the reservations */
static void
test_state_roundtrip(void **state)
{
	struct budget *b = budget_new(), *c = budget_new();
	struct budget_release out[4];
	struct budget_result res;
	struct bstate st;
	struct rules r;
	struct one o;

	(void)state;
	r.lim = rl("msgs/min=1");
	one_init(&o, "msgs/min=1", "sender:\"odd local\"@x%y", "A1", 3);
	o.msg.sender = "\"odd local\"@x%y";
	o.msg.account = "";
	send1(b, &o, BM_HOLD, T0, &res);
	o.msg.qid = "A2";
	send1(b, &o, BM_HOLD, T0 + 1, &res);
	o.msg.qid = "A3";
	send1(b, &o, BM_HOLD, T0 + 2, &res);
	assert_int_equal(res.verdict, BV_HELD);
	assert_int_equal(budget_release_scan(b, T0 + 62, reqs_k, &r, out, 1),
	    1);
	st = roundtrip(b, T0 + 62);
	assert_int_equal(st.nheld, 2);
	assert_string_equal(st.held[0].qid, "A2");
	assert_int_equal(st.held[0].marked_at, T0 + 62);
	assert_string_equal(st.held[0].sender, "\"odd local\"@x%y");
	assert_string_equal(st.held[0].account, "");
	assert_int_equal(budget_import(c, &st, T0 + 63), 0);
	bstate_free(&st);
	assert_int_equal(budget_nheld(c), 2);
	/* the pending release is still reserved ("k" is what reqs_k says) */
	assert_int_equal(used(c, "k", T0 + 63, RLW_MSGS_MIN), 1);
	assert_int_equal(used(c, "sender:\"odd local\"@x%y", T0 + 63,
	    RLW_MSGS_DAY), 1);
	assert_int_equal(budget_ack(c, "A2", T0 + 64, false, NULL), 1);
	assert_int_equal(budget_nheld(c), 1);
	/* what a restart read back writes out the same again */
	st = roundtrip(c, T0 + 64);
	assert_int_equal(st.nheld, 1);
	assert_string_equal(st.held[0].qid, "A3");
	bstate_free(&st);
	one_free(&o);
	relaylimit_free(&r.lim);
	budget_free(b);
	budget_free(c);
	/* budget_gc forgets what is empty */
	c = budget_new();
	one_init(&o, "msgs/min=5", "k", "Q", 1);
	send1(c, &o, BM_HOLD, T0, NULL);
	assert_int_equal(budget_gc(c, T0 + 100), 0);
	assert_int_equal(budget_gc(c, T0 + 86400 + 120), 1);
	assert_int_equal(budget_nkeys(c), 0);
	one_free(&o);
	budget_free(c);
}

static void
state_bad(const char *text, const char *why)
{
	struct bstate st;
	strbuf err;

	sb_init(&err);
	assert_int_equal(bstate_parse(text, strlen(text), &st, &err), -1);
	if (strstr(err.s, why) == NULL)
		fail_msg("error '%s' lacks '%s'", err.s, why);
	sb_free(&err);
}

#define HEAD	"relaymilter budget state 1\nwritten 5\n"

static void
test_state_corrupt(void **state)
{
	struct bstate st;
	struct brel rel;
	strbuf err, out;
	const char nul[] = HEAD "k a 0\0\nend\n";

	(void)state;
	sb_init(&err);
	assert_int_equal(bstate_parse(HEAD "end\n", strlen(HEAD "end\n"), &st,
	    &err), 0);
	assert_int_equal(st.written, 5);
	bstate_free(&st);
	state_bad("", "not a file of this kind");
	state_bad("relaymilter budget state 2\n", "not a file of this kind");
	state_bad(HEAD "k a 0\nd 1 1 1\n", "no \"end\" line");
	state_bad(HEAD "d 1 1 1\nend\n", "a bucket before any key");
	state_bad(HEAD "k a 0\nd 2 1 1\nd 2 1 1\nend\n", "out of time order");
	state_bad(HEAD "k a 0\nd 1 1 4294967296\nend\n", "a bucket is");
	state_bad(HEAD "k a 16\nend\n", "warning flags");
	state_bad(HEAD "k %zz 0\nend\n", "not a valid encoded");
	state_bad(HEAD "k %0a 0\nend\n", "not a valid encoded");
	state_bad(HEAD "k a%2 0\nend\n", "not a valid encoded");
	state_bad(HEAD "k - 0\nend\n", "an empty key");
	state_bad(HEAD "k a  0\nend\n", "not one word");
	state_bad(HEAD "x\nend\n", "not a record");
	state_bad(HEAD "end\nk a 0\n", "after \"end\"");
	state_bad(HEAD "h Q-1 1 0 0 1 1 - - -\nend\n", "not a queue id");
	state_bad(HEAD "h Q 1 0 2 1 1 - - -\nend\n", "a held message is");
	state_bad(HEAD "hk a\nend\n", "before any held message");
	state_bad(HEAD "h Q 1 0 0 1 1 - - -\nhk a\nhk a\nhk a\nhk a\nhk a\n"
	    "hk a\nhk a\nhk a\nhk a\nend\n", "more than 8 keys");
	assert_int_equal(bstate_parse(nul, sizeof(nul) - 1, &st, &err), -1);
	assert_non_null(strstr(err.s, "NUL"));
	/* the release file */
	sb_reset(&err);
	assert_int_equal(brel_parse("relaymilter budget released 1\n"
	    "written 9\nr ABC123 7 released\nr D 8 gone\nend\n", 75, &rel,
	    &err), 0);
	assert_int_equal(rel.n, 2);
	assert_string_equal(rel.v[1].qid, "D");
	assert_true(rel.v[1].gone);
	assert_int_equal(rel.v[0].when, 7);
	sb_init(&out);
	assert_int_equal(brel_format(&rel, &out), 0);
	assert_string_equal(out.s, "relaymilter budget released 1\n"
	    "written 9\nr ABC123 7 released\nr D 8 gone\nend\n");
	brel_free(&rel);
	assert_int_equal(brel_parse("relaymilter budget released 1\n"
	    "written 9\nr -qIx 7 released\nend\n", 60, &rel, &err), -1);
	assert_int_equal(brel_parse("relaymilter budget released 1\n"
	    "written 9\nr A 7 sent\nend\n", 54, &rel, &err), -1);
	/* the releaser's own note: when it last warned about lifetimes */
	sb_reset(&out);
	rel.written = 9;
	rel.lifetime_warned = 8;
	assert_int_equal(brel_format(&rel, &out), 0);
	assert_string_equal(out.s, "relaymilter budget released 1\nwritten 9\n"
	    "lifetime-warned 8\nend\n");
	assert_int_equal(brel_parse(out.s, out.len, &rel, &err), 0);
	assert_int_equal(rel.lifetime_warned, 8);
	brel_free(&rel);
	assert_int_equal(brel_parse("relaymilter budget released 1\n"
	    "written 9\nr A 7 gone\nlifetime-warned 8\nend\n", 66, &rel,
	    &err), -1);
	sb_free(&out);
	sb_free(&err);
	assert_true(bstate_qid_ok("6AL7guhV030824"));
	assert_false(bstate_qid_ok("-qIx"));
	assert_false(bstate_qid_ok(""));
	assert_false(bstate_qid_ok("123456789012345678901"));
}

/* the MTA refused the hold: forgotten, not counted, reservations freed */
static void
test_unhold(void **state)
{
	struct budget *b = budget_new();
	struct budget_release out[2];
	struct rules r;
	struct one o;

	(void)state;
	r.lim = rl("msgs/min=1");
	one_init(&o, "msgs/min=1", "k", "U1", 1);
	assert_int_equal(send1(b, &o, BM_HOLD, T0, NULL), BV_PASS);
	o.msg.qid = "U2";
	assert_int_equal(send1(b, &o, BM_HOLD, T0, NULL), BV_HELD);
	o.msg.qid = "U3";
	assert_int_equal(send1(b, &o, BM_HOLD, T0, NULL), BV_HELD);
	assert_int_equal(budget_release_scan(b, T0 + 61, reqs_k, &r, out, 2),
	    1);
	assert_int_equal(used(b, "k", T0 + 61, RLW_MSGS_MIN), 1);
	assert_int_equal(budget_unhold(b, "U2"), 1);
	assert_int_equal(budget_unhold(b, "U2"), 0);
	assert_int_equal(used(b, "k", T0 + 61, RLW_MSGS_MIN), 0);
	assert_int_equal(budget_unhold(b, "U3"), 1);
	assert_int_equal(budget_nheld(b), 0);
	/* no backlog left: the next one passes */
	o.msg.qid = "U4";
	assert_int_equal(send1(b, &o, BM_HOLD, T0 + 62, NULL), BV_PASS);
	one_free(&o);
	relaylimit_free(&r.lim);
	budget_free(b);
}

/* a flood of keys: bounded, and mail of keys past the bound is not
 * counted (never an error, never a tempfail) */
static void
test_key_cap(void **state)
{
	struct budget *b = budget_new();
	struct budget_result res;
	struct one o;
	char key[32];
	int i;

	(void)state;
	one_init(&o, "per=sender msgs/24h=1", "k", "C1", 1);
	for (i = 0; i < BUDGET_KEYS_MAX; i++) {
		snprintf(key, sizeof(key), "sender:%d@x", i);
		o.req[0].key = key;
		assert_int_equal(send1(b, &o, BM_HOLD, T0, &res), BV_PASS);
		assert_false(res.untracked);
	}
	assert_int_equal(budget_nkeys(b), BUDGET_KEYS_MAX);
	o.req[0].key = "sender:one-too-many@x";
	assert_int_equal(send1(b, &o, BM_HOLD, T0, &res), BV_PASS);
	assert_true(res.untracked);
	assert_int_equal(res.top.req, -1);
	/* a known key is still counted, and held when over */
	o.req[0].key = "sender:7@x";
	assert_int_equal(send1(b, &o, BM_HOLD, T0, &res), BV_HELD);
	assert_int_equal(budget_gc(b, T0 + 86400 + 120), BUDGET_KEYS_MAX - 1);
	o.req[0].key = "sender:one-too-many@x";
	assert_int_equal(send1(b, &o, BM_HOLD, T0 + 86400 + 121, &res),
	    BV_PASS);
	assert_false(res.untracked);
	one_free(&o);
	budget_free(b);
}

/* sendmail's intervals and Timeout.queuereturn */
static void
test_queuereturn(void **state)
{
	struct sendmail_cf cf;
	strbuf err;
	unsigned line;

	(void)state;
	assert_int_equal(cf_interval("5d", 'd'), 5 * 86400);
	assert_int_equal(cf_interval("5", 'd'), 5 * 86400);
	assert_int_equal(cf_interval("1h30m", 'd'), 5400);
	assert_int_equal(cf_interval("2w", 'd'), 14 * 86400);
	assert_int_equal(cf_interval("4h", 'h'), 4 * 3600);
	assert_int_equal(cf_interval("", 'd'), -1);
	assert_int_equal(cf_interval("5x", 'd'), -1);
	assert_int_equal(cf_interval("d", 'd'), -1);
	sb_init(&err);
	memset(&cf, 0, sizeof(cf));
	assert_int_equal(cf_parse("O Timeout.queuereturn=5d\n"
	    "O Timeout.queuereturn.normal=1d12h\n", &cf, &err), 0);
	assert_int_equal(cf_queuereturn(&cf, &line), 86400 + 12 * 3600);
	assert_int_equal(line, 2);
	cf_free(&cf);
	memset(&cf, 0, sizeof(cf));
	assert_int_equal(cf_parse("O QueueDirectory=/var/spool/mqueue\n", &cf,
	    &err), 0);
	assert_int_equal(cf_queuereturn(&cf, &line), 5 * 86400);
	assert_int_equal(line, 0);
	cf_free(&cf);
	sb_free(&err);
}

/* ------------------------------------------------------------ keys */

static struct rm_snapshot *
snap(const char *extra)
{
	struct rm_snapshot *s = NULL;
	struct snapshot_opts opt = { false, NULL };
	strbuf err, warn, conf;
	const char *path;

	path = tu_write("authinfo", "AuthInfo:smtp.gmail.com \"U:root\" "
	    "\"I:user_id\" \"P:x\" \"M:PLAIN\"\n", 0600);
	sb_init(&conf);
	sb_printf(&conf, "TraceHeader\nAuthInfoFile %s\n%s", path, extra);
	path = tu_write("budget.conf", conf.s, 0644);
	sb_init(&err);
	sb_init(&warn);
	if (snapshot_load(path, &opt, &s, &err, &warn) != 0)
		fail_msg("snapshot: %s", err.s);
	sb_free(&err);
	sb_free(&warn);
	sb_free(&conf);
	return s;
}

static void
msg_for(const struct rm_snapshot *s, const char *relay, size_t nrcpt,
    bool relayed, struct budget_msgbuf *mb)
{
	static struct rcpt_info r[300];
	struct msg_facts f;
	struct decision d;
	strbuf err;
	size_t i;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < nrcpt; i++) {
		r[i].addr = "<x@remote.test>";
		r[i].mailer = i == 0 && nrcpt > 1 ? "local" : "relay";
		r[i].host = (char *)relay;
	}
	f.rcpts = r;
	f.nrcpts = nrcpt;
	memset(&d, 0, sizeof(d));
	d.relayed = relayed;
	d.relay = (char *)relay;
	d.final = "alerts@example.com";
	sb_init(&err);
	assert_int_equal(budget_msg_make(s, &f, &d, mb, &err), 0);
	sb_free(&err);
}

static void
test_keys(void **state)
{
	struct rm_snapshot *s;
	struct budget_msgbuf mb;
	strbuf err;

	(void)state;
	s = snap("RelayLimit gmail\nRelayLimit per=sender msgs/min=5\n"
	    "RelayLimit workspace-relay per=relay relay=smtp-relay.gmail.com\n"
	    "RelayLimit per=account msgs/24h=9 rcpts/msg=50 relay=[x.test]\n");
	assert_int_equal(s->nlimits, 4);
	/* the I: of the authinfo entry, qualified as Gmail logs it in */
	msg_for(s, "[smtp.gmail.com]", 3, true, &mb);
	assert_int_equal(mb.msg.nreq, 2);
	assert_string_equal(mb.req[0].key, "account:user_id@gmail.com");
	assert_string_equal(mb.req[1].key, "sender:alerts@example.com");
	assert_int_equal(mb.msg.rcpts, 2);	/* the local one not */
	assert_int_equal(mb.msg.msgs, 1);
	budget_msg_free(&mb);
	/* an IP-registered relay: no account; per=relay there */
	msg_for(s, "[smtp-relay.gmail.com]", 1, true, &mb);
	assert_int_equal(mb.msg.nreq, 3);
	assert_string_equal(mb.req[0].key, "relay:smtp-relay.gmail.com");
	assert_string_equal(mb.req[2].key, "relay:smtp-relay.gmail.com");
	budget_msg_free(&mb);
	/* 250 relayed recipients: sendmail sends 100 per envelope, x.test
	 * takes 50 */
	msg_for(s, "[smtp.gmail.com]", 251, true, &mb);
	assert_int_equal(mb.msg.rcpts, 250);
	assert_int_equal(mb.msg.msgs, 3);
	budget_msg_free(&mb);
	msg_for(s, "[x.test]", 251, true, &mb);
	assert_int_equal(mb.msg.msgs, 5);
	assert_string_equal(mb.req[2].key, "relay:x.test");
	budget_msg_free(&mb);
	/* mail that does not leave via the relay is not counted */
	msg_for(s, "[smtp.gmail.com]", 1, false, &mb);
	assert_int_equal(mb.msg.nreq, 0);
	budget_msg_free(&mb);
	snapshot_unref(s);
	/* RelayLimit errors name their line */
	{
		struct rm_config *cfg;
		const char *path = tu_write("bad.conf", "# budget\n"
		    "RelayLimit gmail\nRelayLimit gmial\n", 0644);

		sb_init(&err);
		assert_int_equal(config_load(path, &cfg, &err), -1);
		assert_non_null(strstr(err.s, "bad.conf:3: RelayLimit: 'gmial' "
		    "is no preset"));
		sb_reset(&err);
		path = tu_write("bad2.conf", "StateDirectory var/lib\n", 0644);
		assert_int_equal(snapshot_load(path, NULL, &s, &err, &err), -1);
		assert_non_null(strstr(err.s, "bad2.conf:1: StateDirectory: "
		    "'var/lib' is not an absolute path"));
		sb_free(&err);
	}
}

static int
teardown(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relaylimit_parse),
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_minute_window),
		cmocka_unit_test(test_day_window),
		cmocka_unit_test(test_clock_back),
		cmocka_unit_test(test_warn_once),
		cmocka_unit_test(test_hold_release),
		cmocka_unit_test(test_never_fits),
		cmocka_unit_test(test_two_rules),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_state_roundtrip),
		cmocka_unit_test(test_state_corrupt),
		cmocka_unit_test(test_unhold),
		cmocka_unit_test(test_key_cap),
		cmocka_unit_test(test_queuereturn),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
