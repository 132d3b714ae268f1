/*
 * cfqueue.c - the configuration checks about what sendmail shows of mail
 *	that does not leave: its log level, and the queue
 *
 * CONTRACT
 *	Part of the pure configuration checks (cfcheck.h); shares the
 *	finding helpers of cfreport.c through cfcheck_int.h. Reads
 *	only ctx->env (env->now is the time the queue's ages are counted
 *	from) and appends findings. The queue finding names the oldest
 *	message and the last error of at most MAX_LISTED of them, and says
 *	how many more there are; an unreadable queue is a note, not a
 *	silence.
 */
#include <string.h>

#include "cfcheck.h"
#include "cfcheck_int.h"

#define MAX_LISTED		20	/* queue entries spelled out */

void
cfc_check_loglevel(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct cf_kv *o = cf_option(&env->cf, "LogLevel");
	unsigned long v = 9;
	const char *file;
	unsigned line;
	struct cfc_fnd f;

	if (o != NULL && parse_uint(o->value, 100, &v) < 0)
		return;
	if (v >= 10 || !cfc_needs_auth(env))
		return;
	cfc_fnd_init(&f);
	cfc_where_define(env, "confLOG_LEVEL", o ? o->line : 0, &file, &line);
	sb_printf(&f.what, "LogLevel is %lu", v);
	sb_puts(&f.why, "below 10 sendmail never logs its AUTH to the relay "
	    "(AUTH=client lines): a rejected password shows up only as a "
	    "bounce with 530 5.7.0 Authentication Required");
	sb_puts(&f.fix, "define(`confLOG_LEVEL', `10')dnl");
	cfc_rebuild(c, &f.fix);
	cfc_fnd_add(c->r, &f, "loglevel-auth-hidden", CFS_INFO, file, line);
}

static void
age_text(strbuf *sb, time_t secs)
{
	if (secs < 0)
		secs = 0;
	if (secs < 3600)
		sb_printf(sb, "%ld min", (long)(secs / 60));
	else if (secs < 2 * 86400)
		sb_printf(sb, "%ld h %ld min", (long)(secs / 3600),
		    (long)((secs % 3600) / 60));
	else
		sb_printf(sb, "%ld days", (long)(secs / 86400));
}

void
cfc_check_queue(struct cfc_ctx *c)
{
	const struct cfcheck_env *env = c->env;
	const struct mailq *q = &env->mailq;
	const struct mailq_entry *oldest = NULL;
	struct cfc_fnd f;
	size_t i;

	if (!env->have_mailq) {
		/* a sendmail.cf without mailers: sendmail -bp fails for the
		 * cause cf-incomplete names */
		if (env->mailq_error == NULL || c->cf_incomplete)
			return;
		cfc_fnd_init(&f);
		sb_printf(&f.what, "could not list the queue: %s",
		    env->mailq_error);
		sb_puts(&f.why, "the queue check was skipped");
		sb_puts(&f.fix, "run: mailq   (as root)");
		cfc_fnd_add(c->r, &f, "queue-unreadable", CFS_INFO, NULL, 0);
		return;
	}
	if (q->n == 0)
		return;
	for (i = 0; i < q->n; i++)
		if (q->v[i].when != 0 &&
		    (oldest == NULL || q->v[i].when < oldest->when))
			oldest = &q->v[i];
	if (oldest == NULL)
		oldest = &q->v[0];
	cfc_fnd_init(&f);
	sb_printf(&f.what, "%zu message%s in the queue, the oldest %s (%s",
	    q->n, q->n == 1 ? "" : "s", oldest->qid, oldest->qtime);
	if (oldest->when != 0) {
		sb_puts(&f.what, ", ");
		age_text(&f.what, env->now - oldest->when);
		sb_puts(&f.what, " ago");
	}
	sb_puts(&f.what, ")");
	sb_puts(&f.why, "last errors:");
	for (i = 0; i < q->n && i < MAX_LISTED; i++) {
		const struct mailq_entry *e = &q->v[i];

		sb_printf(&f.why, " %s from %s to %s%s: %s;", e->qid, e->sender,
		    e->nrcpts ? e->rcpts[0] : "?",
		    e->nrcpts > 1 ? " and others" : "",
		    e->error ? e->error : "no attempt yet");
	}
	if (q->n > MAX_LISTED)
		sb_printf(&f.why, " and %zu more (see mailq)",
		    q->n - MAX_LISTED);
	sb_printf(&f.fix, "once the cause is fixed, send the queue now: "
	    "sendmail -q -v\nor one message: sendmail -qI%s -v", oldest->qid);
	cfc_fnd_add(c->r, &f, "queue-not-empty", CFS_WARN, NULL, 0);
}
