/*
 * trace_dsnout.c - late bounces as text blocks, JSON objects, alert lines,
 *		    a summary and a Prometheus textfile
 *
 * CONTRACT
 *	See include/trace_dsnout.h. The words follow relaymilter-trace's
 *	maillog view (trace_out.c): the same cause lines ("cause:", "fix:"),
 *	the decision line as "relaymilter: ...". A record that is not
 *	genuine shows what the bounce claims, marked as the bounce's word,
 *	never a maillog record.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "causes.h"
#include "dsn.h"
#include "jstr.h"
#include "trace_dsn.h"
#include "trace_dsnout.h"
#include "trace_out.h"
#include "util.h"

static void
put(strbuf *sb, const char *s)
{
	sb_puts_sanitized(sb, s ? s : "-");
}

static const char *
upper_outcome(enum tdsn_outcome o)
{
	static const char *const names[] = { "BOUNCED AFTER RELAY",
	    "BOUNCED BY THE RELAY", "DELAYED AFTER RELAY", "BOUNCED",
	    "DELAYED", "DELIVERED", "NOT GENUINE", "NO TRACE HEADER" };

	return (unsigned)o < TDSN_OUTCOME_COUNT ? names[o] : "UNKNOWN";
}

const char *
tdo_outcome_token(enum tdsn_outcome o)
{
	static const char *const names[] = { "bounced-after-relay",
	    "bounced-by-relay", "delayed-after-relay", "bounced", "delayed",
	    "delivered", "not-genuine", "no-trace-header" };

	return (unsigned)o < TDSN_OUTCOME_COUNT ? names[o] : "unknown";
}

static bool
genuine(const struct tdsn_rec *r)
{
	return r->verdict == TDSN_GENUINE;
}

static const char *
not_joined_why(const struct tdsn_rec *r, const struct tdsn_stats *st)
{
	if (!genuine(r) || r->joined)
		return NULL;
	return st->maillog ? "its queue id is not in the maillog read" :
	    "no maillog given";
}

/* ------------------------------------------------------------ text */

static void
text_source(strbuf *sb, const struct tdsn_rec *r)
{
	unsigned bit;

	sb_puts(sb, "   bounce: ");
	put(sb, r->src);
	sb_printf(sb, ", %s", r->kind == DSN_REPORT ?
	    "an RFC 3464 report" : "a bounce in text (no delivery-status "
	    "part)");
	if (r->reporting_mta) {
		sb_puts(sb, " from ");
		put(sb, r->reporting_mta);
	}
	if (r->forwarded)
		sb_puts(sb, ", forwarded as an attachment");
	sb_putc(sb, '\n');
	sb_puts(sb, "     from:  ");
	put(sb, r->from);
	if (r->subject) {
		sb_puts(sb, ", \"");
		put(sb, r->subject);
		sb_putc(sb, '"');
	}
	if (r->date) {
		sb_puts(sb, ", ");
		put(sb, r->date);
	}
	sb_putc(sb, '\n');
	for (bit = 1; bit != 0 && bit <= DSN_F_INPUT; bit <<= 1)
		if ((r->flags & bit) && dsn_flag_text(bit) != NULL)
			sb_printf(sb, "     note:  %s\n", dsn_flag_text(bit));
}

static void
text_trace(strbuf *sb, const struct tdsn_rec *r, const struct tdsn_stats *st)
{
	const char *why;

	if (r->verdict == TDSN_NO_HEADER) {
		sb_puts(sb, "   trace: none in the returned headers (not relayed "
		    "through this relaymilter, or the bounce returned no "
		    "headers)\n");
		return;
	}
	sb_puts(sb, "   trace: ");
	put(sb, r->trace);
	sb_printf(sb, " (%s)\n", dsn_ret_name(r->ret));
	switch (r->verdict) {
	case TDSN_GENUINE:
		sb_puts(sb, "     genuine: made by this relaymilter at ");
		tro_time_local(sb, r->made);
		sb_puts(sb, " for queue id ");
		put(sb, r->qid);
		sb_putc(sb, '\n');
		if ((why = not_joined_why(r, st)) != NULL)
			sb_printf(sb, "     not joined: %s\n", why);
		else if (r->has_decision && r->d.trace && r->id &&
		    strcmp(r->d.trace, r->id) != 0) {
			sb_puts(sb, "     note:  the maillog logged trace id ");
			put(sb, r->d.trace);
			sb_puts(sb, " for this queue id\n");
		}
		break;
	case TDSN_MOVED:
		sb_puts(sb, "     MOVED: made by this relaymilter at ");
		tro_time_local(sb, r->made);
		sb_puts(sb, " for queue id ");
		put(sb, r->moved_from);
		sb_puts(sb, ", not ");
		put(sb, r->qid);
		sb_puts(sb, ": copied into another message; not joined\n");
		break;
	case TDSN_FORGED:
		sb_puts(sb, "     FORGED: not made with this trace key for queue "
		    "id ");
		put(sb, r->qid);
		sb_puts(sb, " (forged, made with another key, or copied from "
		    "another message); not joined\n");
		break;
	case TDSN_MALFORMED:
	default:
		sb_puts(sb, "     MALFORMED: not an \"id=ID; qid=QUEUEID\" "
		    "value this relaymilter makes; not joined\n");
		break;
	}
}

static void
text_decision(strbuf *sb, const struct tdsn_rec *r)
{
	const struct tr_decision *d = &r->d;

	if (r->ml_from || r->ml_size >= 0) {
		sb_puts(sb, "   from ");
		put(sb, r->ml_from);
		if (r->ml_size >= 0)
			sb_printf(sb, ", size %ld", r->ml_size);
		if (r->ml_relay_in) {
			sb_puts(sb, ", from host ");
			put(sb, r->ml_relay_in);
		}
		sb_putc(sb, '\n');
	}
	if (r->msp_qid) {
		sb_puts(sb, "   submitted through the MSP as ");
		put(sb, r->msp_qid);
		sb_putc(sb, '\n');
	}
	if (!r->has_decision) {
		sb_puts(sb, "   relaymilter: no decision line for this queue id "
		    "in the maillog\n");
		return;
	}
	sb_puts(sb, "   relaymilter: ");
	tro_decision(sb, d, false);
	sb_putc(sb, '\n');
	if (d->hint) {
		sb_puts(sb, "     hint:  ");
		put(sb, d->hint);
		sb_putc(sb, '\n');
	}
}

static void
text_pred(strbuf *sb, const struct tdsn_rcpt *x)
{
	switch (x->pred) {
	case TDSN_PRED_YES:
		sb_puts(sb, "     predicted: yes, relaymilter had said so (");
		break;
	case TDSN_PRED_NO:
		sb_puts(sb, "     predicted: NO, relaymilter expected a pass "
		    "(");
		break;
	case TDSN_PRED_UNKNOWN:
		sb_puts(sb, "     predicted: unknown (");
		break;
	case TDSN_PRED_NA:
	default:
		sb_puts(sb, "     predicted: n/a (");
		break;
	}
	put(sb, x->pred_by);
	sb_puts(sb, ")\n");
	if (x->pred == TDSN_PRED_NO)
		sb_puts(sb, "     check: what the receiver saw differs from "
		    "the prediction: SPFRelayAddress (the relay's egress) and "
		    "the DKIM the relay signs with\n");
}

static void
text_mailer(strbuf *sb, const struct tdsn_rcpt *x)
{
	if (x->ml_mailer) {
		sb_puts(sb, " (mailer ");
		put(sb, x->ml_mailer);
		sb_putc(sb, ')');
	}
}

static void
text_rcpt(strbuf *sb, const struct tdsn_rec *r, const struct tdsn_rcpt *x,
    const struct tro_text_opts *o)
{
	bool fail = x->action == NULL || strcmp(x->action, "failed") == 0 ||
	    strcmp(x->action, "delayed") == 0;

	sb_puts(sb, "   to ");
	if (x->rcpt) {
		sb_putc(sb, '<');
		put(sb, x->rcpt);
		sb_putc(sb, '>');
	} else
		sb_puts(sb, "(not named)");
	if (x->orig_rcpt && (x->rcpt == NULL ||
	    strcasecmp(x->orig_rcpt, x->rcpt) != 0)) {
		sb_puts(sb, " (originally <");
		put(sb, x->orig_rcpt);
		sb_puts(sb, ">)");
	}
	sb_puts(sb, ": ");
	if (x->ml && x->ml_outcome == TR_BOUNCED) {
		/* the relay refused it: this bounce is sendmail's own */
		sb_puts(sb, "refused by the relay");
		if (x->ml_relay) {
			sb_putc(sb, ' ');
			put(sb, x->ml_relay);
		}
		text_mailer(sb, x);
	} else {
		if (x->ml) {
			sb_puts(sb, x->ml_outcome == TR_SENT ? "relayed" :
			    tr_outcome_name(x->ml_outcome));
			if (x->ml_relay) {
				sb_puts(sb, " via ");
				put(sb, x->ml_relay);
			}
			text_mailer(sb, x);
			sb_puts(sb, ", then ");
		}
		put(sb, x->action ? x->action : "failed");
		if (fail && x->remote_mta) {
			sb_puts(sb, " at ");
			put(sb, x->remote_mta);
		}
	}
	if (x->status) {
		sb_puts(sb, ", status ");
		put(sb, x->status);
	}
	if (!genuine(r))
		sb_puts(sb, " (as the bounce says)");
	sb_putc(sb, '\n');
	if (x->ml && x->ml_stat) {
		sb_puts(sb, "     stat:  ");
		put(sb, x->ml_stat);
		sb_putc(sb, '\n');
	}
	if (x->diag) {
		sb_puts(sb, "     reply: ");
		put(sb, x->diag);
		sb_putc(sb, '\n');
	}
	if (!fail)
		return;
	if (x->cause) {
		sb_printf(sb, "     cause: %s (%s): %s\n", x->cause->id,
		    cause_severity_name(x->cause->severity), x->cause->summary);
		if (o == NULL || o->fixes)
			sb_printf(sb, "     fix:   %s\n", x->cause->fix);
	} else
		sb_puts(sb, "     cause: unknown (see the reply above)\n");
	if (genuine(r))
		text_pred(sb, x);
}

int
tdo_text(strbuf *sb, const struct tdsn_rec *r, const struct tdsn_stats *st,
    const struct tro_text_opts *o)
{
	size_t i;

	sb_printf(sb, "== %s ", upper_outcome(r->outcome));
	if (r->joined) {
		put(sb, r->host);
		sb_putc(sb, ' ');
		put(sb, r->qid);
		sb_putc(sb, ' ');
		tro_time_local(sb, r->first);
	} else if (genuine(r)) {
		put(sb, r->qid);
		sb_putc(sb, ' ');
		tro_time_local(sb, r->made);
	} else
		put(sb, r->src);
	sb_putc(sb, '\n');
	text_source(sb, r);
	text_trace(sb, r, st);
	if (r->orig_from || r->orig_subject) {
		sb_puts(sb, "   returned: from ");
		put(sb, r->orig_from);
		if (r->orig_subject) {
			sb_puts(sb, ", \"");
			put(sb, r->orig_subject);
			sb_putc(sb, '"');
		}
		if (r->orig_msgid) {
			sb_puts(sb, ", ");
			put(sb, r->orig_msgid);
		}
		sb_putc(sb, '\n');
	}
	if (r->joined)
		text_decision(sb, r);
	for (i = 0; i < r->nrcpt; i++)
		text_rcpt(sb, r, &r->rcpt[i], o);
	sb_putc(sb, '\n');
	return sb->err ? -1 : 0;
}

void
tdo_footer(strbuf *sb, const struct tdsn *t, unsigned long shown)
{
	const struct tdsn_stats *st = tdsn_stats(t);
	unsigned long dsns = st->kinds[DSN_REPORT] + st->kinds[DSN_TEXT];

	unsigned long bad = st->verdicts[TDSN_MOVED] +
	    st->verdicts[TDSN_FORGED] + st->verdicts[TDSN_MALFORMED];

	sb_printf(sb, "-- %lu message%s read, %lu delivery status "
	    "notification%s (%lu with a genuine trace header, %lu not "
	    "genuine, %lu without one), %lu joined to the maillog; %lu "
	    "shown\n", st->messages, st->messages == 1 ? "" : "s", dsns,
	    dsns == 1 ? "" : "s", st->verdicts[TDSN_GENUINE], bad,
	    st->verdicts[TDSN_NO_HEADER], st->joined, shown);
	if (st->dropped > 0)
		sb_printf(sb, "-- %lu more delivery status notifications not "
		    "kept (more than %u): read the mailbox in parts\n",
		    st->dropped, TDSN_MAX_RECORDS);
}

/* ------------------------------------------------------------ JSON */

static void
jset(struct json_object *o, const char *key, struct json_object *v)
{
	if (v != NULL)
		json_object_object_add_ex(o, key, v,
		    JSON_C_OBJECT_ADD_KEY_IS_NEW |
		    JSON_C_OBJECT_KEY_IS_CONSTANT);
}

static struct json_object *
jcause(const struct cause *c)
{
	struct json_object *o = json_object_new_object();

	jset(o, "id", jstr(c->id));
	jset(o, "severity",
	    jstr(cause_severity_name(c->severity)));
	jset(o, "summary", jstr(c->summary));
	jset(o, "fix", jstr(c->fix));
	return o;
}

static struct json_object *
jdecision(const struct tr_decision *d)
{
	struct json_object *o = json_object_new_object();

	tro_jadd(o, "action", d->action);
	tro_jadd(o, "reason", d->reason);
	tro_jadd(o, "from", d->from);
	tro_jadd(o, "to", d->to);
	tro_jadd(o, "account", d->account);
	tro_jadd(o, "relay", d->relay);
	tro_jadd(o, "spf", d->spf);
	tro_jadd(o, "spf_ip", d->spf_ip);
	tro_jadd(o, "align", d->align);
	tro_jadd(o, "dmarc", d->dmarc);
	tro_jadd(o, "dmarc_policy", d->dmarc_policy);
	tro_jadd(o, "header_from", d->header_from);
	tro_jadd(o, "hint", d->hint);
	tro_jadd(o, "trace", d->trace);
	tro_jadd(o, "result", d->result);
	tro_jadd(o, "error", d->error);
	return o;
}

static struct json_object *
jrcpt(const struct tdsn_rec *r, const struct tdsn_rcpt *x)
{
	struct json_object *o = json_object_new_object();

	tro_jadd(o, "to", x->rcpt);
	tro_jadd(o, "original_to", x->orig_rcpt);
	tro_jadd(o, "action", x->action ? x->action : "failed");
	tro_jadd(o, "status", x->status);
	tro_jadd(o, "remote_mta", x->remote_mta);
	tro_jadd(o, "reply", x->diag);
	if (x->cause)
		jset(o, "cause", jcause(x->cause));
	if (genuine(r) && (x->action == NULL ||
	    strcmp(x->action, "failed") == 0 ||
	    strcmp(x->action, "delayed") == 0)) {
		tro_jadd(o, "predicted", tdsn_pred_name(x->pred));
		tro_jadd(o, "predicted_by", x->pred_by);
	}
	if (x->ml) {
		tro_jadd(o, "relay_outcome", tr_outcome_name(x->ml_outcome));
		tro_jadd(o, "relay", x->ml_relay);
		tro_jadd(o, "mailer", x->ml_mailer);
		tro_jadd(o, "relay_dsn", x->ml_dsn);
		tro_jadd(o, "relay_stat", x->ml_stat);
		tro_jadd(o, "relay_reply", x->ml_reply);
	}
	return o;
}

int
tdo_json(strbuf *sb, const struct tdsn_rec *r, const struct tdsn_stats *st)
{
	struct json_object *o, *d, *tr, *a, *n;
	const char *s, *why;
	unsigned bit;
	size_t i;
	int rc = 0;

	if ((o = json_object_new_object()) == NULL)
		return -1;
	tro_jadd(o, "source", r->src);
	tro_jadd(o, "outcome", tdsn_outcome_name(r->outcome));
	tro_jadd(o, "kind", dsn_kind_name(r->kind));
	if (r->forwarded)
		jset(o, "forwarded", json_object_new_boolean(1));
	jset(o, "size", json_object_new_int64((int64_t)r->size));
	d = json_object_new_object();
	tro_jadd(d, "from", r->from);
	tro_jadd(d, "subject", r->subject);
	tro_jadd(d, "date", r->date);
	tro_jadd(d, "reporting_mta", r->reporting_mta);
	tro_jadd(d, "arrival", r->arrival);
	jset(o, "dsn", d);
	tr = json_object_new_object();
	tro_jadd(tr, "verdict", tdsn_verdict_name(r->verdict));
	tro_jadd(tr, "header", r->trace);
	if (r->verdict != TDSN_NO_HEADER)
		tro_jadd(tr, "found_in", dsn_ret_name(r->ret));
	tro_jadd(tr, "id", r->id);
	tro_jadd(tr, "qid", r->qid);
	if (r->verdict == TDSN_GENUINE || r->verdict == TDSN_MOVED)
		tro_jadd_time(tr, "made", r->made);
	tro_jadd(tr, "moved_from", r->moved_from);
	jset(o, "trace", tr);
	d = json_object_new_object();
	tro_jadd(d, "from", r->orig_from);
	tro_jadd(d, "to", r->orig_to);
	tro_jadd(d, "subject", r->orig_subject);
	tro_jadd(d, "msgid", r->orig_msgid);
	jset(o, "returned", d);
	jset(o, "joined", json_object_new_boolean(r->joined));
	if ((why = not_joined_why(r, st)) != NULL)
		tro_jadd(o, "not_joined", why);
	if (r->joined) {
		tro_jadd(o, "host", r->host);
		tro_jadd(o, "qid", r->qid);
		tro_jadd_time(o, "first", r->first);
		tro_jadd(o, "from", r->ml_from);
		if (r->ml_size >= 0)
			jset(o, "msg_size", json_object_new_int64(r->ml_size));
		tro_jadd(o, "msgid", r->ml_msgid);
		tro_jadd(o, "relay_in", r->ml_relay_in);
		tro_jadd(o, "msp_qid", r->msp_qid);
		tro_jadd(o, "trace_header", r->ml_trace);
		if (r->has_decision)
			jset(o, "relaymilter", jdecision(&r->d));
	}
	a = json_object_new_array();
	for (i = 0; i < r->nrcpt; i++)
		json_object_array_add(a, jrcpt(r, &r->rcpt[i]));
	jset(o, "recipients", a);
	if (r->flags != 0) {
		n = json_object_new_array();
		for (bit = 1; bit != 0 && bit <= DSN_F_INPUT; bit <<= 1)
			if ((r->flags & bit) && dsn_flag_text(bit) != NULL)
				json_object_array_add(n, jstr(
				    dsn_flag_text(bit)));
		jset(o, "notes", n);
	}
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || sb_puts(sb, s) < 0 || sb_putc(sb, '\n') < 0)
		rc = -1;
	json_object_put(o);
	return rc;
}

/* ------------------------------------------------------------ alerts */

static void
raise_level(enum talert_level *level, enum talert_level l)
{
	if (l > *level)
		*level = l;
}

void
tdo_alerts(strbuf *sb, const struct tdsn_rec *r, enum talert_level *level)
{
	const struct tdsn_rcpt *x;
	bool delayed;
	size_t i;

	if (r->verdict == TDSN_NO_HEADER)
		return;
	if (!genuine(r)) {
		sb_printf(sb, "WARNING dsn-not-genuine verdict=%s source=",
		    tdsn_verdict_name(r->verdict));
		put(sb, r->src);
		sb_puts(sb, " qid=");
		put(sb, r->qid);
		sb_puts(sb, ": a bounce carries a trace header this "
		    "relaymilter did not make for that queue id\n");
		raise_level(level, TALERT_WARNING);
		return;
	}
	for (i = 0; i < r->nrcpt; i++) {
		x = &r->rcpt[i];
		delayed = x->action != NULL &&
		    strcmp(x->action, "delayed") == 0;
		if (!delayed && x->action != NULL &&
		    strcmp(x->action, "failed") != 0)
			continue;
		sb_printf(sb, "%s %s qid=", delayed ? "WARNING" : "CRITICAL",
		    delayed ? "late-delay" : "late-bounce");
		put(sb, r->qid);
		sb_puts(sb, " to=");
		put(sb, x->rcpt);
		sb_puts(sb, " status=");
		put(sb, x->status);
		sb_printf(sb, " cause=%s predicted=%s: %s\n",
		    x->cause ? x->cause->id : "unknown",
		    tdsn_pred_name(x->pred), x->cause ? x->cause->summary :
		    "see the bounce");
		raise_level(level, delayed ? TALERT_WARNING : TALERT_CRITICAL);
	}
}

/* ------------------------------------------------------------ counts */

#define MAXC	256

struct counts {
	unsigned long	 cause[MAXC + 1];	/* [MAXC]: unknown */
	unsigned long	 pred[TDSN_PRED_COUNT];
	unsigned long	 rcpts;
};

static void
count(const struct tdsn *t, struct counts *c)
{
	const struct tdsn_rec *r;
	const struct tdsn_rcpt *x;
	size_t i, j, k, n = cause_count();

	memset(c, 0, sizeof(*c));
	for (i = 0; i < tdsn_count(t); i++) {
		r = tdsn_at(t, i);
		if (!genuine(r))
			continue;
		for (j = 0; j < r->nrcpt; j++) {
			x = &r->rcpt[j];
			if (x->action != NULL &&
			    strcmp(x->action, "failed") != 0 &&
			    strcmp(x->action, "delayed") != 0)
				continue;
			c->rcpts++;
			c->pred[x->pred]++;
			for (k = 0; k < n && k < MAXC; k++)
				if (cause_at(k) == x->cause)
					break;
			c->cause[x->cause && k < MAXC ? k : MAXC]++;
		}
	}
}

int
tdo_summary(strbuf *sb, const struct tdsn *t)
{
	const struct tdsn_stats *st = tdsn_stats(t);
	struct counts c;
	size_t k, n = cause_count();
	int o;

	count(t, &c);
	sb_puts(sb, "delivery status notifications (--dsn)\n");
	sb_printf(sb, "  %-28s %lu\n", "messages read", st->messages);
	sb_printf(sb, "  %-28s %lu (RFC 3464 %lu, text %lu)\n", "bounces",
	    st->kinds[DSN_REPORT] + st->kinds[DSN_TEXT], st->kinds[DSN_REPORT],
	    st->kinds[DSN_TEXT]);
	sb_printf(sb, "  %-28s %lu\n", "other messages", st->kinds[DSN_NONE]);
	sb_printf(sb, "  %-28s genuine %lu, moved %lu, forged %lu, malformed "
	    "%lu, none %lu\n", "trace header", st->verdicts[TDSN_GENUINE],
	    st->verdicts[TDSN_MOVED], st->verdicts[TDSN_FORGED],
	    st->verdicts[TDSN_MALFORMED], st->verdicts[TDSN_NO_HEADER]);
	sb_printf(sb, "  %-28s %lu%s\n", "joined to the maillog", st->joined,
	    st->maillog ? "" : " (no maillog given)");
	if (st->cut > 0)
		sb_printf(sb, "  %-28s %lu\n", "read only in part (> 4 MiB)",
		    st->cut);
	if (st->skipped > 0)
		sb_printf(sb, "  %-28s %lu\n", "files not readable",
		    st->skipped);
	if (st->dropped > 0)
		sb_printf(sb, "  %-28s %lu\n", "bounces not kept (limit)",
		    st->dropped);
	sb_puts(sb, "outcomes\n");
	for (o = 0; o < TDSN_OUTCOME_COUNT; o++)
		if (st->outcomes[o] > 0)
			sb_printf(sb, "  %-28s %lu\n", tdsn_outcome_name(o),
			    st->outcomes[o]);
	sb_printf(sb, "causes (recipients of genuine bounces: %lu)\n", c.rcpts);
	for (k = 0; k < n && k < MAXC; k++)
		if (c.cause[k] > 0)
			sb_printf(sb, "  %-28s %lu\n", cause_at(k)->id,
			    c.cause[k]);
	if (c.cause[MAXC] > 0)
		sb_printf(sb, "  %-28s %lu\n", "unknown", c.cause[MAXC]);
	sb_puts(sb, "had relaymilter predicted it?\n");
	sb_printf(sb, "  yes %lu, no %lu, unknown %lu, n/a %lu\n",
	    c.pred[TDSN_PRED_YES], c.pred[TDSN_PRED_NO],
	    c.pred[TDSN_PRED_UNKNOWN], c.pred[TDSN_PRED_NA]);
	return sb->err ? -1 : 0;
}

int
tdo_prometheus(strbuf *sb, const struct tdsn *t, int64_t wall)
{
	static const char *const kinds[] = { "none", "report", "text" };
	const struct tdsn_stats *st = tdsn_stats(t);
	const struct cause *cz;
	struct counts c;
	size_t k, n = cause_count();
	int i;

	count(t, &c);
#define HELP(name, type, text) \
	sb_printf(sb, "# HELP relaymilter_trace_" name " " text "\n" \
	    "# TYPE relaymilter_trace_" name " " type "\n")
	HELP("dsn_messages_total", "counter", "Messages read by "
	    "relaymilter-trace --dsn, by kind (report: RFC 3464, text: a "
	    "bounce without a report part, none: other mail).");
	for (i = 0; i < 3; i++)
		sb_printf(sb, "relaymilter_trace_dsn_messages_total{kind=\"%s\"}"
		    " %lu\n", kinds[i], st->kinds[i]);
	HELP("dsn_trace_total", "counter", "Bounces by the verdict on the "
	    "trace header of the returned message.");
	for (i = 0; i < TDSN_VERDICT_COUNT; i++)
		sb_printf(sb, "relaymilter_trace_dsn_trace_total{verdict=\"%s\"}"
		    " %lu\n", tdsn_verdict_name(i), st->verdicts[i]);
	HELP("dsn_outcome_total", "counter", "Bounces by outcome.");
	for (i = 0; i < TDSN_OUTCOME_COUNT; i++)
		sb_printf(sb, "relaymilter_trace_dsn_outcome_total{outcome="
		    "\"%s\"} %lu\n", tdo_outcome_token(i), st->outcomes[i]);
	HELP("dsn_joined_total", "counter", "Genuine bounces joined to their "
	    "maillog record.");
	sb_printf(sb, "relaymilter_trace_dsn_joined_total %lu\n", st->joined);
	HELP("late_bounce_cause_total", "counter", "Recipients of genuine "
	    "bounces (failed or delayed), by cause from the catalogue.");
	for (k = 0; k < n && k < MAXC; k++) {
		cz = cause_at(k);
		if (cz->phase == CAUSE_PHASE_POLICY)
			continue;
		sb_printf(sb, "relaymilter_trace_late_bounce_cause_total{cause="
		    "\"%s\",severity=\"%s\"} %lu\n", cz->id,
		    cause_severity_name(cz->severity), c.cause[k]);
	}
	sb_printf(sb, "relaymilter_trace_late_bounce_cause_total{cause="
	    "\"unknown\",severity=\"unknown\"} %lu\n", c.cause[MAXC]);
	HELP("late_bounce_predicted_total", "counter", "Recipients of "
	    "genuine bounces, by whether relaymilter had predicted the "
	    "failure (yes; no: a miss; unknown; n/a: not about "
	    "authentication).");
	for (i = 0; i < TDSN_PRED_COUNT; i++)
		sb_printf(sb, "relaymilter_trace_late_bounce_predicted_total{"
		    "predicted=\"%s\"} %lu\n", tdsn_pred_name(i), c.pred[i]);
	HELP("dsn_last_read_timestamp_seconds", "gauge", "When "
	    "relaymilter-trace --dsn last read the mailboxes (Unix time).");
	sb_printf(sb, "relaymilter_trace_dsn_last_read_timestamp_seconds "
	    "%lld\n", (long long)wall);
#undef HELP
	return sb->err ? -1 : 0;
}
