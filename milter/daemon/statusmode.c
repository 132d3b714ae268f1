/*
 * statusmode.c - relaymilter -S, and the state file read back for -T
 *
 * CONTRACT
 *	See include/statusmode.h. A key's limits are those of the rules that
 *	count under it (its kind: account:, sender:, relay:; a relay: key
 *	also takes the per=account rules when that relay has no account,
 *	as budgetmsg.c counts them), the tightest number of each window.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budget.h"
#include "budgetd.h"
#include "budgetfmt.h"
#include "budgetio.h"
#include "config.h"
#include "policy.h"
#include "relaylimit.h"
#include "sendmailcf.h"
#include "snapshot.h"
#include "statusmode.h"
#include "util.h"

/* Read and parse budget.state: 1 read, 0 missing, -1 with why. */
static int
read_state(const struct rm_snapshot *s, struct bstate *st, char **path,
    strbuf *why)
{
	char *text = NULL;
	size_t len;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((*path = budgetio_path(s->cfg->state_directory, "budget.state")) ==
	    NULL) {
		sb_puts(why, "out of memory");
		return -1;
	}
	if (budgetio_read(*path, &text, &len, why) < 0)
		return -1;
	if (text == NULL)
		return 0;
	rc = bstate_parse(text, len, st, why);
	free(text);
	if (rc < 0) {
		strbuf w;

		sb_init(&w);
		sb_printf(&w, "%s:%s", *path, why->s);
		sb_reset(why);
		sb_puts(why, w.s);
		sb_free(&w);
		return -1;
	}
	return 1;
}

struct budget *
statusmode_budget(const struct rm_snapshot *s, int64_t now, strbuf *why)
{
	struct budget *b;
	struct bstate st;
	char *path = NULL;
	int r;

	if ((b = budget_new()) == NULL)
		return NULL;
	r = read_state(s, &st, &path, why);
	if (r == 0)
		sb_printf(why, "%s does not exist yet", path);
	if (r == 1 && budget_import(b, &st, now) < 0) {
		budget_free(b);
		b = NULL;
	}
	bstate_free(&st);
	free(path);
	return b;
}

/* The tightest limits of the rules that count under key. */
static bool
key_limits(const struct rm_snapshot *s, const char *key,
    unsigned long max[RLW_COUNT])
{
	const char *host = NULL;
	enum rl_scope kind;
	size_t i;
	int w;
	bool any = false;

	memset(max, 0, sizeof(unsigned long) * RLW_COUNT);
	if (strncmp(key, "account:", 8) == 0)
		kind = RL_ACCOUNT;
	else if (strncmp(key, "sender:", 7) == 0)
		kind = RL_SENDER;
	else if (strncmp(key, "relay:", 6) == 0) {
		kind = RL_RELAY;
		host = key + 6;
	} else
		return false;
	for (i = 0; i < s->nlimits; i++) {
		const struct relay_limit *rl = &s->limits[i];

		if (kind == RL_RELAY) {
			if (rl->scope == RL_SENDER)
				continue;
			if (rl->relay != NULL && strcmp(rl->relay, host) != 0)
				continue;
			if (rl->scope == RL_ACCOUNT) {
				char *a = policy_auth_account(s, host);
				bool has = a != NULL;

				free(a);
				if (has)
					continue;	/* counted per account */
			}
		} else if (rl->scope != kind) {
			continue;
		}
		any = true;
		for (w = 0; w < RLW_COUNT; w++)
			if (rl->max[w] != 0 && (max[w] == 0 ||
			    rl->max[w] < max[w]))
				max[w] = rl->max[w];
	}
	return any;
}

static void
print_time(int64_t t, int64_t now)
{
	char buf[64];
	time_t tt = (time_t)t;
	struct tm tm;
	strbuf d;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	sb_init(&d);
	budgetd_duration(&d, (long)(t - now));
	printf("%s (in %s)", buf, d.s);
	sb_free(&d);
}

static void
show_key(struct budget *b, const struct rm_snapshot *s, const char *key,
    int64_t now)
{
	unsigned long max[RLW_COUNT], used[RLW_ROLLING];
	unsigned held = 0;
	int w;
	int64_t t;

	printf("%s\n", key);
	if (!key_limits(s, key, max)) {
		printf("  (no RelayLimit rule counts under this key any more: "
		    "its counts only wait to expire)\n");
		return;
	}
	if (!budget_used(b, key, now, used, &held))
		memset(used, 0, sizeof(used));
	for (w = 0; w < RLW_ROLLING; w++) {
		if (max[w] == 0)
			continue;
		printf("  %-10s %8lu/%-8lu %3lu%%  ",
		    relaylimit_window_name((enum rl_window)w), used[w], max[w],
		    used[w] * 100 / max[w]);
		t = budget_room_at(b, key, (enum rl_window)w, 1, max[w], now);
		if (t == 0 && used[w] < max[w])
			printf("room now\n");
		else if (t > 0) {
			printf("full; room again from ");
			print_time(t, now);
			printf("\n");
		} else
			printf("full until the pending releases are done\n");
	}
	if (max[RLW_RCPTS_MSG] != 0)
		printf("  %-10s %17lu  (envelopes of at most this many "
		    "recipients are counted)\n", "rcpts/msg", max[RLW_RCPTS_MSG]);
	if (held > 0)
		printf("  %u held message(s) wait for this key\n", held);
}

int
statusmode_run(const char *config_path, const char *cf_path)
{
	struct snapshot_opts opt = { true, NULL };
	struct rm_snapshot *s;
	struct budget *b = NULL;
	struct bstate st;
	strbuf err, warn, d;
	char *path = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t i, marked = 0, oldest = 0;
	int r, rc = 2;

	sb_init(&err);
	sb_init(&warn);
	memset(&st, 0, sizeof(st));
	if (snapshot_load(config_path, &opt, &s, &err, &warn) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out0;
	}
	if ((r = read_state(s, &st, &path, &err)) < 0) {
		fprintf(stderr, "relaymilter: %s\n", err.s);
		goto out1;
	}
	if (s->nlimits == 0)
		printf("relay budget: no RelayLimit in %s: nothing is counted\n",
		    config_path);
	else
		for (i = 0; i < s->nlimits; i++) {
			strbuf t;

			sb_init(&t);
			relaylimit_text(&s->limits[i], &t);
			printf("RelayLimit %s\n", t.s);
			sb_free(&t);
		}
	if (r == 0) {
		printf("state     %s does not exist yet: nothing counted\n",
		    path);
		rc = 0;
		goto out1;
	}
	sb_init(&d);
	budgetd_duration(&d, (long)(now - st.written));
	printf("state     %s, written %s ago\n", path, d.s);
	sb_free(&d);
	if ((b = budget_new()) == NULL || budget_import(b, &st, now) < 0) {
		fprintf(stderr, "relaymilter: out of memory\n");
		goto out1;
	}
	for (i = 0; i < st.nkeys; i++)
		show_key(b, s, st.keys[i].key, now);
	rc = 0;
	if (st.nheld == 0) {
		printf("held      none\n");
		goto out1;
	}
	rc = 1;
	for (i = 0; i < st.nheld; i++) {
		if (st.held[i].marked_at != 0)
			marked++;
		if (st.held[i].held_at < st.held[oldest].held_at)
			oldest = i;
	}
	sb_init(&d);
	budgetd_duration(&d, (long)(now - st.held[oldest].held_at));
	printf("held      %zu message(s) in sendmail's queue (quarantined); "
	    "the oldest %s, held %s ago\n", st.nheld, st.held[oldest].qid, d.s);
	sb_free(&d);
	for (i = 0; i < st.nheld; i++) {
		const struct bstate_held *h = &st.held[i];

		sb_init(&d);
		budgetd_duration(&d, (long)(now - h->held_at));
		printf("  %-16s %s, %u recipient(s), held %s%s", h->qid,
		    h->sender[0] ? h->sender : "<>", (unsigned)h->rcpts, d.s,
		    h->flags & BSTATE_F_NEVER ? ", bigger than a whole window: "
		    "release it by hand or raise the limit" : "");
		sb_reset(&d);
		if (h->marked_at != 0) {
			budgetd_duration(&d, (long)(now - h->marked_at));
			printf(", release requested %s ago", d.s);
		}
		printf("\n");
		sb_free(&d);
	}
	if (marked > 0)
		printf("          %zu wait for the releaser (relaymilter -R, "
		    "relaymilter-release.timer: is it enabled?)\n", marked);
	if (cf_path != NULL) {
		struct sendmail_cf cf;
		char *text = NULL;
		size_t len;
		unsigned line = 0;
		long qr;

		memset(&cf, 0, sizeof(cf));
		sb_reset(&err);
		if (read_file(cf_path, &text, &len) < 0 ||
		    cf_parse(text, &cf, &err) < 0) {
			printf("lifetime  %s cannot be read: Timeout.queuereturn "
			    "unknown\n", cf_path);
		} else {
			qr = cf_queuereturn(&cf, &line);
			sb_init(&d);
			budgetd_duration(&d, qr);
			printf("lifetime  Timeout.queuereturn %s (", d.s);
			if (line)
				printf("%s line %u", cf_path, line);
			else
				printf("sendmail's default");
			printf("): held mail older than that is returned if a "
			    "delivery attempt after its release fails");
			sb_reset(&d);
			budgetd_duration(&d, qr - (long)(now -
			    st.held[oldest].held_at));
			printf("; the oldest has %s left\n", now -
			    st.held[oldest].held_at >= qr ? "NO TIME" : d.s);
			sb_free(&d);
		}
		free(text);
		cf_free(&cf);
	}
out1:
	budget_free(b);
	bstate_free(&st);
	free(path);
	snapshot_unref(s);
out0:
	sb_free(&err);
	sb_free(&warn);
	return rc;
}
