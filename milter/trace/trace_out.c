/*
 * trace_out.c - one message as a human text block or as one JSON object
 *
 * CONTRACT
 *	See trace_out.h. The text block is stable (golden tests read
 *	it): a header line "== OUTCOME host qid time", then indented lines;
 *	a recipient's cause is printed with the fix chosen for its set-up
 *	(tr_rcpt.fix), its evidence line, the real first failure of a cached
 *	status, and the other causes of its earlier attempts ("before:").
 *	The JSON object is built with json-c; keys are fixed, absent values
 *	are left out, strings are valid UTF-8.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "jstr.h"
#include "trace_out.h"

void
tro_duration(strbuf *sb, long s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		sb_printf(sb, "%lds", s);
	else if (s < 3600)
		sb_printf(sb, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		sb_printf(sb, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
	else
		sb_printf(sb, "%ldd%02ldh", s / 86400, (s % 86400) / 3600);
}

void
tro_time_local(strbuf *sb, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm) == 0)
		sb_printf(sb, "@%lld", (long long)t);
	else
		sb_puts(sb, buf);
}

void
tro_time_utc(strbuf *sb, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		sb_printf(sb, "@%lld", (long long)t);
	else
		sb_puts(sb, buf);
}

bool
tro_is_failure(const struct tr_msg *m)
{
	return m->outcome == TR_BOUNCED || m->outcome == TR_DEFERRED ||
	    m->outcome == TR_PENDING || m->outcome == TR_TEMPFAILED ||
	    m->cause != NULL;
}

static const char *
upper_outcome(enum tr_outcome o)
{
	switch (o) {
	case TR_PENDING:
		return "PENDING";
	case TR_SENT:
		return "SENT";
	case TR_DEFERRED:
		return "DEFERRED";
	case TR_BOUNCED:
		return "BOUNCED";
	case TR_REJECTED:
		return "REJECTED";
	case TR_DISCARDED:
		return "DISCARDED";
	case TR_TEMPFAILED:
		return "TEMPFAILED";
	case TR_OUTCOME_COUNT:
		break;
	}
	return "UNKNOWN";
}

/* Append s (already free of control characters), or "-" when NULL. */
static void
put(strbuf *sb, const char *s)
{
	sb_puts_sanitized(sb, s ? s : "-");
}

/* fix: the one chosen for the set-up, or NULL for the cause's own */
static void
put_cause(strbuf *sb, const char *label, const struct cause *c,
    const char *fix, const struct tro_text_opts *o)
{
	sb_printf(sb, "     %-6s %s (%s): %s\n", label, c->id,
	    cause_severity_name(c->severity), c->summary);
	if (o == NULL || o->fixes)
		sb_printf(sb, "     fix:   %s\n", fix ? fix : c->fix);
}

static void
text_rcpt(strbuf *sb, const struct tr_msg *m, const struct tr_rcpt *r,
    int64_t now, const struct tro_text_opts *o)
{
	size_t i;

	sb_puts(sb, "   to ");
	put(sb, r->addr);
	sb_printf(sb, ": %s", tr_outcome_name(r->outcome));
	if (r->outcome == TR_DEFERRED) {
		sb_printf(sb, ", %u attempt%s, queued for ", r->attempts,
		    r->attempts == 1 ? "" : "s");
		tro_duration(sb, tr_msg_age(m, now));
	} else if (r->attempts > 1)
		sb_printf(sb, " after %u attempts", r->attempts);
	if (r->relay) {
		sb_puts(sb, " via ");
		put(sb, r->relay);
	}
	if (r->mailer) {
		sb_puts(sb, " (mailer ");
		put(sb, r->mailer);
		sb_puts(sb, ")");
	}
	if (r->dsn) {
		sb_puts(sb, ", dsn ");
		put(sb, r->dsn);
	}
	if (r->outcome == TR_SENT && r->delay >= 0) {
		sb_puts(sb, ", delay ");
		tro_duration(sb, r->delay);
	}
	sb_putc(sb, '\n');
	if (r->handoff && (m->mta_qid == NULL ||
	    strcmp(m->mta_qid, r->handoff) != 0)) {
		sb_puts(sb, "     handed to the next MTA as ");
		put(sb, r->handoff);
		sb_putc(sb, '\n');
	}
	if (r->outcome != TR_SENT && r->outcome != TR_PENDING) {
		if (r->reply) {
			sb_puts(sb, "     reply: ");
			put(sb, r->reply);
			sb_putc(sb, '\n');
		}
		if (r->stat) {
			sb_puts(sb, "     stat:  ");
			put(sb, r->stat);
			sb_putc(sb, '\n');
		}
		if (r->cached) {
			sb_puts(sb, "     note:  no connection was tried "
			    "(sendmail's cached host status)\n");
			if (r->first_qid) {
				sb_puts(sb, "     first failure: ");
				put(sb, r->first_qid);
				sb_puts(sb, " at ");
				tro_time_local(sb, r->first_fail);
				if (r->first_text && r->first_text[0]) {
					sb_puts(sb, ": ");
					put(sb, r->first_text);
				}
				sb_putc(sb, '\n');
			} else
				sb_puts(sb, "     first failure: not found in "
				    "this log (before its first line?)\n");
		}
		if (r->basis) {
			sb_puts(sb, "     evidence: ");
			put(sb, r->basis);
			sb_putc(sb, '\n');
		}
		if (r->cf_newer)
			sb_puts(sb, "     note:  sendmail.cf changed after this "
			    "attempt: the port and fix below are today's "
			    "configuration, not necessarily the one sendmail "
			    "ran then\n");
	}
	if (r->tls) {
		sb_puts(sb, "     tls:   ");
		put(sb, r->tls);
		sb_putc(sb, '\n');
	}
	if (r->auth && r->outcome != TR_SENT) {
		sb_puts(sb, "     auth:  ");
		put(sb, r->auth);
		sb_putc(sb, '\n');
	}
	if (r->evidence && (r->auth == NULL ||
	    strcmp(r->evidence, r->auth) != 0) &&
	    (r->tls == NULL || strstr(r->evidence, r->tls) == NULL) &&
	    (m->reject == NULL || strcmp(r->evidence, m->reject) != 0) &&
	    (m->milter_error == NULL ||
	    strcmp(r->evidence, m->milter_error) != 0)) {
		sb_puts(sb, "     seen:  ");
		put(sb, r->evidence);
		sb_putc(sb, '\n');
	}
	if (r->outcome == TR_SENT && r->last_cause) {
		/* it went out in the end: say what held it up, briefly */
		sb_printf(sb, "     held up by: %s (%s): %s\n", r->last_cause->id,
		    cause_severity_name(r->last_cause->severity),
		    r->last_cause->summary);
	}
	if (r->outcome != TR_SENT && r->outcome != TR_PENDING) {
		put_cause(sb, "cause:", r->cause ? r->cause :
		    cause_unexplained(), r->cause == r->last_cause ? r->fix :
		    NULL, o);
		if (r->last_cause && r->last_cause != r->cause)
			put_cause(sb, "last:", r->last_cause, r->fix, o);
		for (i = 0; i < 3 && r->earlier[i] != NULL; i++)
			if (r->earlier[i] != r->last_cause &&
			    r->earlier[i] != r->cause)
				put_cause(sb, "before:", r->earlier[i],
				    cause_fix(r->earlier[i], r->setup), o);
	} else if (r->cause != NULL) {
		/* delivered, but not where it should go */
		put_cause(sb, "cause:", r->cause, r->fix, o);
	}
}

/* The words of a decision line, from its action to its result, without
 * a newline: the message block and the --dsn view print them alike
 * (the --dsn view without the trace id and the budget). */
void
tro_decision(strbuf *sb, const struct tr_decision *d,
    bool with_trace_budget)
{
	put(sb, d->action);
	if (d->reason) {
		sb_puts(sb, " (");
		put(sb, d->reason);
		sb_puts(sb, ")");
	}
	if (d->to && d->action && strcmp(d->action, "rewrite") == 0) {
		sb_puts(sb, " to ");
		put(sb, d->to);
	}
	if (d->account) {
		sb_puts(sb, ", account ");
		put(sb, d->account);
	}
	if (d->spf) {
		sb_puts(sb, ", spf=");
		put(sb, d->spf);
	}
	if (d->align) {
		sb_puts(sb, ", align=");
		put(sb, d->align);
	}
	if (d->dmarc) {
		sb_puts(sb, ", dmarc=");
		put(sb, d->dmarc);
		if (d->dmarc_policy) {
			sb_puts(sb, " (p=");
			put(sb, d->dmarc_policy);
			sb_puts(sb, ")");
		}
	}
	if (with_trace_budget && d->trace) {
		sb_puts(sb, ", trace ");
		put(sb, d->trace);
	}
	if (with_trace_budget && d->budget) {
		sb_puts(sb, ", budget ");
		put(sb, d->budget);
		if (d->budget_window) {
			sb_putc(sb, ' ');
			put(sb, d->budget_window);
		}
		if (d->budget_key) {
			sb_puts(sb, " of ");
			put(sb, d->budget_key);
		}
	}
	if (d->result) {
		sb_puts(sb, ", result ");
		put(sb, d->result);
	}
}

int
tro_text(strbuf *sb, const struct tr_msg *m, enum tr_emit why, int64_t now,
    const struct tro_text_opts *o)
{
	const struct tr_decision *d = &m->d;
	size_t i;

	sb_printf(sb, "== %s ", upper_outcome(m->outcome));
	put(sb, m->host);
	sb_putc(sb, ' ');
	put(sb, m->qid);
	sb_putc(sb, ' ');
	tro_time_local(sb, m->first);
	if (why == TR_EMIT_THRESHOLD) {
		sb_puts(sb, " (deferred longer than ");
		tro_duration(sb, tr_msg_age(m, now));
		sb_puts(sb, ", still queued)");
	} else if (why == TR_EMIT_EXPIRED)
		sb_puts(sb, " (no more lines: dropped while open)");
	else if (why == TR_EMIT_EVICTED)
		sb_puts(sb, " (evicted while open: too many open messages, "
		    "see --max-open)");
	else if (why == TR_EMIT_END && m->outcome == TR_PENDING)
		sb_puts(sb, " (no delivery logged)");
	sb_putc(sb, '\n');
	if (m->from || m->size >= 0) {
		sb_puts(sb, "   from ");
		put(sb, m->from);
		if (m->size >= 0)
			sb_printf(sb, ", size %ld", m->size);
		if (m->nrcpts >= 0)
			sb_printf(sb, ", %ld rcpt%s", m->nrcpts,
			    m->nrcpts == 1 ? "" : "s");
		if (m->relay_in) {
			sb_puts(sb, ", from host ");
			put(sb, m->relay_in);
		}
		sb_putc(sb, '\n');
	}
	if (m->msp_qid) {
		sb_puts(sb, "   submitted through the MSP as ");
		put(sb, m->msp_qid);
		if (m->msp_from) {
			sb_puts(sb, " (from ");
			put(sb, m->msp_from);
			sb_puts(sb, ")");
		}
		sb_putc(sb, '\n');
	}
	if (m->orig_qid) {
		sb_puts(sb, "   delivery status notice about ");
		put(sb, m->orig_qid);
		sb_putc(sb, '\n');
	}
	if (m->has_decision) {
		sb_puts(sb, "   relaymilter: ");
		tro_decision(sb, d, true);
		sb_putc(sb, '\n');
		if (d->hint) {
			sb_puts(sb, "     hint:  ");
			put(sb, d->hint);
			sb_putc(sb, '\n');
		}
		if (d->error) {
			sb_puts(sb, "     error: ");
			put(sb, d->error);
			sb_putc(sb, '\n');
		}
	} else if (m->chgfrom) {
		sb_puts(sb, "   envelope sender changed by milter ");
		put(sb, m->milter);
		sb_puts(sb, " to ");
		put(sb, m->chgfrom);
		sb_putc(sb, '\n');
	}
	for (i = 0; i < m->npolicy; i++)
		put_cause(sb, "policy:", m->policy[i], NULL, o);
	if (m->reject) {
		sb_puts(sb, "   rejected: ");
		put(sb, m->reject);
		sb_putc(sb, '\n');
	}
	if (m->milter_error) {
		sb_puts(sb, "   milter: ");
		put(sb, m->milter_error);
		sb_putc(sb, '\n');
	}
	if (m->outcome == TR_TEMPFAILED && m->cause != NULL)
		put_cause(sb, "cause:", m->cause, NULL, o);
	for (i = 0; i < m->nrcpt; i++)
		text_rcpt(sb, m, &m->rcpt[i], now, o);
	if (m->rcpt_dropped > 0)
		sb_printf(sb, "   ... and %lu more recipient entries, not kept "
		    "(a message keeps at most %zu recipients)\n",
		    m->rcpt_dropped, m->nrcpt);
	if (m->mta_qid) {
		sb_puts(sb, "   handed to the local MTA as ");
		put(sb, m->mta_qid);
		sb_putc(sb, '\n');
	}
	if (m->dsn_reason) {
		sb_puts(sb, m->delay_warned ? "   delay warning " :
		    "   bounce ");
		put(sb, m->dsn_qid);
		sb_puts(sb, " sent to the sender: ");
		put(sb, m->dsn_reason);
		sb_putc(sb, '\n');
	}
	sb_putc(sb, '\n');
	return sb->err ? -1 : 0;
}

/* ------------------------------------------------------------ JSON */

/* Keys are string literals added once: no lookup, no copy of the key. */
static void
jset(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add_ex(o, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW |
	    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

/* A JSON string member when s is not NULL (the --dsn view uses it too). */
void
tro_jadd(struct json_object *o, const char *key, const char *s)
{
	if (s != NULL)
		jset(o, key, jstr(s));
}

/* A JSON member with t as UTC ISO 8601 time. */
void
tro_jadd_time(struct json_object *o, const char *key, int64_t t)
{
	strbuf sb;

	sb_init(&sb);
	tro_time_utc(&sb, t);
	if (!sb.err)
		jset(o, key, jstr(sb.s));
	sb_free(&sb);
}

/* fix: the one chosen for the set-up, or NULL for the cause's own */
static struct json_object *
jcause(const struct cause *c, const char *fix)
{
	struct json_object *o = json_object_new_object();

	jset(o, "id", jstr(c->id));
	jset(o, "severity",
	    jstr(cause_severity_name(c->severity)));
	jset(o, "summary", jstr(c->summary));
	jset(o, "fix", jstr(fix ? fix : c->fix));
	return o;
}

static const char *const emit_names[] = {
	[TR_EMIT_FINAL] = "final",
	[TR_EMIT_THRESHOLD] = "threshold",
	[TR_EMIT_EXPIRED] = "expired",
	[TR_EMIT_END] = "end-of-input",
	[TR_EMIT_EVICTED] = "evicted",
};

int
tro_json(strbuf *sb, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	struct json_object *o, *a, *r, *d, *p;
	const struct tr_decision *dd = &m->d;
	const char *s;
	size_t i;
	int rc = 0;

	o = json_object_new_object();
	if (o == NULL)
		return -1;
	tro_jadd(o, "host", m->host);
	tro_jadd(o, "qid", m->qid);
	jset(o, "outcome",
	    jstr(tr_outcome_name(m->outcome)));
	jset(o, "reported",
	    jstr(emit_names[why]));
	tro_jadd_time(o, "first", m->first);
	tro_jadd_time(o, "last", m->last);
	jset(o, "age",
	    json_object_new_int64(tr_msg_age(m, now)));
	jset(o, "lines", json_object_new_int64(m->lines));
	tro_jadd(o, "from", m->from);
	if (m->size >= 0)
		jset(o, "size",
		    json_object_new_int64(m->size));
	if (m->nrcpts >= 0)
		jset(o, "nrcpts",
		    json_object_new_int64(m->nrcpts));
	tro_jadd(o, "msgid", m->msgid);
	tro_jadd(o, "relay_in", m->relay_in);
	tro_jadd(o, "proto", m->proto);
	tro_jadd(o, "daemon", m->daemon);
	tro_jadd(o, "milter", m->milter);
	tro_jadd(o, "chgfrom", m->chgfrom);
	tro_jadd(o, "trace_header", m->trace_header);
	tro_jadd(o, "msp_qid", m->msp_qid);
	tro_jadd(o, "msp_from", m->msp_from);
	tro_jadd(o, "mta_qid", m->mta_qid);
	tro_jadd(o, "dsn_qid", m->dsn_qid);
	tro_jadd(o, "dsn_reason", m->dsn_reason);
	tro_jadd(o, "orig_qid", m->orig_qid);
	tro_jadd(o, "reject", m->reject);
	tro_jadd(o, "milter_error", m->milter_error);
	if (m->delay_warned)
		jset(o, "delay_warned",
		    json_object_new_boolean(1));
	if (m->has_decision) {
		d = json_object_new_object();
		tro_jadd(d, "action", dd->action);
		tro_jadd(d, "reason", dd->reason);
		tro_jadd(d, "from", dd->from);
		tro_jadd(d, "to", dd->to);
		tro_jadd(d, "account", dd->account);
		tro_jadd(d, "relay", dd->relay);
		tro_jadd(d, "spf", dd->spf);
		tro_jadd(d, "spf_ip", dd->spf_ip);
		tro_jadd(d, "align", dd->align);
		tro_jadd(d, "dmarc", dd->dmarc);
		tro_jadd(d, "dmarc_policy", dd->dmarc_policy);
		tro_jadd(d, "header_from", dd->header_from);
		tro_jadd(d, "hint", dd->hint);
		tro_jadd(d, "trace", dd->trace);
		tro_jadd(d, "result", dd->result);
		tro_jadd(d, "error", dd->error);
		tro_jadd(d, "budget", dd->budget);
		tro_jadd(d, "budget_window", dd->budget_window);
		tro_jadd(d, "budget_key", dd->budget_key);
		tro_jadd(d, "budget_hold", dd->budget_hold);
		tro_jadd(d, "budget_warn", dd->budget_warn);
		jset(o, "relaymilter", d);
	}
	if (m->cause)
		jset(o, "cause", jcause(m->cause, NULL));
	if (m->npolicy > 0) {
		p = json_object_new_array();
		for (i = 0; i < m->npolicy; i++)
			json_object_array_add(p, jcause(m->policy[i], NULL));
		jset(o, "policy", p);
	}
	a = json_object_new_array();
	for (i = 0; i < m->nrcpt; i++) {
		const struct tr_rcpt *x = &m->rcpt[i];

		r = json_object_new_object();
		tro_jadd(r, "to", x->addr);
		jset(r, "outcome",
		    jstr(tr_outcome_name(x->outcome)));
		jset(r, "attempts",
		    json_object_new_int64(x->attempts));
		if (x->delay >= 0)
			jset(r, "delay",
			    json_object_new_int64(x->delay));
		if (x->xdelay >= 0)
			jset(r, "xdelay",
			    json_object_new_int64(x->xdelay));
		tro_jadd(r, "mailer", x->mailer);
		tro_jadd(r, "relay", x->relay);
		tro_jadd(r, "dsn", x->dsn);
		tro_jadd(r, "reply", x->reply);
		tro_jadd(r, "stat", x->stat);
		tro_jadd(r, "tls", x->tls);
		tro_jadd(r, "auth", x->auth);
		tro_jadd(r, "evidence", x->evidence);
		tro_jadd(r, "handoff", x->handoff);
		if (x->cached)
			jset(r, "cached_status",
			    json_object_new_boolean(1));
		tro_jadd(r, "basis", x->basis);
		if (x->cf_newer)
			jset(r, "sendmail_cf_newer",
			    json_object_new_boolean(1));
		if (x->first_qid) {
			struct json_object *ff = json_object_new_object();

			tro_jadd(ff, "qid", x->first_qid);
			tro_jadd_time(ff, "time", x->first_fail);
			tro_jadd(ff, "stat", x->first_text);
			jset(r, "first_failure", ff);
		}
		if (x->cause)
			jset(r, "cause", jcause(x->cause, x->cause ==
			    x->last_cause || x->outcome == TR_SENT ? x->fix :
			    NULL));
		if (x->last_cause && x->last_cause != x->cause)
			jset(r, "last_cause",
			    jcause(x->last_cause, x->fix));
		if (x->earlier[0] != NULL) {
			struct json_object *ea = json_object_new_array();
			size_t k;

			for (k = 0; k < 3 && x->earlier[k] != NULL; k++)
				if (x->earlier[k] != x->last_cause &&
				    x->earlier[k] != x->cause)
					json_object_array_add(ea,
					    jcause(x->earlier[k],
					    cause_fix(x->earlier[k], x->setup)));
			if (json_object_array_length(ea) > 0)
				jset(r, "earlier_causes", ea);
			else
				json_object_put(ea);
		}
		json_object_array_add(a, r);
	}
	jset(o, "recipients", a);
	if (m->rcpt_dropped > 0)
		jset(o, "recipients_not_kept",
		    json_object_new_int64((int64_t)m->rcpt_dropped));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || sb_puts(sb, s) < 0 || sb_putc(sb, '\n') < 0)
		rc = -1;
	json_object_put(o);
	return rc;
}
