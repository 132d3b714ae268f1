/*
 * trace_stats.c - counts for --summary and the Prometheus textfile
 *
 * CONTRACT
 *	See trace_out.h. Counts per outcome and per cause live in
 *	fixed arrays (the cause table is static, index = position in it);
 *	relays and senders are counted in open-addressing maps of at most
 *	`cap` keys each, the rest in "(other)". Messages are counted when
 *	reported final (TR_EMIT_FINAL, _EXPIRED, _END), attempts when the
 *	to= line is seen; threshold reports are not counted twice. The relay
 *	budget: the latest budget=USED/LIMIT seen per (key, window) of the
 *	decision lines, at most BUDGET_MAX pairs (later ones are dropped and
 *	counted), for the gauges relaymilter_trace_budget_used/_limit.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "trace_out.h"

enum { C_SENT, C_DEFERRED, C_BOUNCED, C_OTHER, C_N };

struct kent {
	char		*key;
	unsigned long	 c[C_N];
};

struct kmap {
	struct kent	*tab;
	size_t		 cap, n, limit;
	struct kent	 other;		/* key "(other)" */
	unsigned long	 overflow;	/* distinct keys not kept */
};

#define MAXCAUSES	256
#define BUDGET_MAX	256

struct bent {
	char		*key, *window;
	unsigned long	 used, limit;
	int64_t		 when;		/* of the decision line's message */
};

struct tstats {
	unsigned long	 msgs[TR_OUTCOME_COUNT];
	unsigned long	 rcpts[TR_OUTCOME_COUNT];
	unsigned long	 att[C_N];	/* attempts by result */
	unsigned long	 cause_att[MAXCAUSES];	/* failed attempts */
	unsigned long	 cause_rcpt[MAXCAUSES];	/* final recipient causes */
	unsigned long	 policy[MAXCAUSES];	/* messages */
	unsigned long	 deferred_long;		/* older than threshold */
	unsigned long	 sent_delay_n;
	double		 sent_delay_sum;
	long		 sent_delay_max;
	struct kmap	 relays, senders;
	struct bent	 budget[BUDGET_MAX];
	size_t		 nbudget;
	unsigned long	 budget_dropped;
	int		 err;
};

static size_t
cause_index(const struct cause *c)
{
	size_t i, n = cause_count();

	for (i = 0; i < n && i < MAXCAUSES; i++)
		if (cause_at(i) == c)
			return i;
	return MAXCAUSES;
}

static int
kmap_init(struct kmap *k, size_t limit)
{
	memset(k, 0, sizeof(*k));
	k->limit = limit;
	k->cap = 64;
	k->tab = calloc(k->cap, sizeof(*k->tab));
	k->other.key = (char *)"(other)";
	return k->tab ? 0 : -1;
}

static void
kmap_free(struct kmap *k)
{
	size_t i;

	for (i = 0; i < k->cap; i++)
		free(k->tab[i].key);
	free(k->tab);
}

static struct kent *
kmap_slot(struct kent *tab, size_t cap, const char *key)
{
	size_t i;

	for (i = fnv1a32_str(key) & (cap - 1); tab[i].key != NULL;
	    i = (i + 1) & (cap - 1))
		if (strcmp(tab[i].key, key) == 0)
			break;
	return &tab[i];
}

static struct kent *
kmap_get(struct kmap *k, const char *key)
{
	struct kent *e, *nt;
	size_t i, ncap;

	e = kmap_slot(k->tab, k->cap, key);
	if (e->key != NULL)
		return e;
	if (k->n >= k->limit) {
		k->overflow++;
		return &k->other;
	}
	if ((k->n + 1) * 2 > k->cap) {
		ncap = k->cap * 2;
		if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
			return &k->other;
		for (i = 0; i < k->cap; i++)
			if (k->tab[i].key)
				*kmap_slot(nt, ncap, k->tab[i].key) = k->tab[i];
		free(k->tab);
		k->tab = nt;
		k->cap = ncap;
		e = kmap_slot(k->tab, k->cap, key);
	}
	if ((e->key = strdup(key)) == NULL)
		return &k->other;
	k->n++;
	return e;
}

struct tstats *
tstats_new(size_t cap)
{
	struct tstats *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if (kmap_init(&s->relays, cap) < 0 || kmap_init(&s->senders, cap) < 0) {
		tstats_free(s);
		return NULL;
	}
	return s;
}

void
tstats_free(struct tstats *s)
{
	size_t i;

	if (s == NULL)
		return;
	kmap_free(&s->relays);
	kmap_free(&s->senders);
	for (i = 0; i < s->nbudget; i++) {
		free(s->budget[i].key);
		free(s->budget[i].window);
	}
	free(s);
}

/* budget=USED/LIMIT of a decision line: the latest per (key, window). */
static void
note_budget(struct tstats *s, const struct tr_msg *m)
{
	const struct tr_decision *d = &m->d;
	unsigned long u, l;
	char *end;
	struct bent *b = NULL;
	size_t i;

	if (d->budget == NULL || d->budget_key == NULL ||
	    d->budget_window == NULL)
		return;
	u = strtoul(d->budget, &end, 10);
	if (*end != '/')
		return;
	l = strtoul(end + 1, &end, 10);
	if (*end != '\0')
		return;
	for (i = 0; i < s->nbudget; i++)
		if (strcmp(s->budget[i].key, d->budget_key) == 0 &&
		    strcmp(s->budget[i].window, d->budget_window) == 0) {
			b = &s->budget[i];
			break;
		}
	if (b == NULL) {
		if (s->nbudget == BUDGET_MAX) {
			s->budget_dropped++;
			return;
		}
		b = &s->budget[s->nbudget];
		if ((b->key = strdup(d->budget_key)) == NULL ||
		    (b->window = strdup(d->budget_window)) == NULL) {
			free(b->key);
			b->key = NULL;
			return;
		}
		s->nbudget++;
	} else if (m->first < b->when) {
		return;		/* an older message reported later */
	}
	b->used = u;
	b->limit = l;
	b->when = m->first;
}

static int
cls(enum tr_outcome o)
{
	switch (o) {
	case TR_SENT:
		return C_SENT;
	case TR_DEFERRED:
		return C_DEFERRED;
	case TR_BOUNCED:
		return C_BOUNCED;
	default:
		return C_OTHER;
	}
}

/* "smtp.gmail.com. [142.250.1.1]" counts as "smtp.gmail.com." */
static void
relay_key(const char *relay, char *buf, size_t n)
{
	size_t k = strcspn(relay, " ");

	if (k >= n)
		k = n - 1;
	memcpy(buf, relay, k);
	buf[k] = '\0';
}

void
tstats_message(struct tstats *s, const struct tr_msg *m,
    enum tr_emit why, int64_t now)
{
	const struct tr_rcpt *r;
	char key[256];
	size_t i, ci;

	if (why == TR_EMIT_THRESHOLD)
		return;
	if ((unsigned)m->outcome < TR_OUTCOME_COUNT)
		s->msgs[m->outcome]++;
	kmap_get(&s->senders, m->from ? m->from : "(none)")->c[cls(m->outcome)]++;
	for (i = 0; i < m->npolicy; i++)
		if ((ci = cause_index(m->policy[i])) < MAXCAUSES)
			s->policy[ci]++;
	note_budget(s, m);
	for (i = 0; i < m->nrcpt; i++) {
		r = &m->rcpt[i];
		s->rcpts[r->outcome]++;
		if (r->relay) {
			relay_key(r->relay, key, sizeof(key));
			kmap_get(&s->relays, key)->c[cls(r->outcome)]++;
		}
		if ((r->outcome == TR_DEFERRED || r->outcome == TR_BOUNCED ||
		    r->cause != NULL) && (ci = cause_index(r->cause ?
		    r->cause : cause_unexplained())) < MAXCAUSES)
			s->cause_rcpt[ci]++;
		if (r->outcome == TR_SENT && r->delay >= 0) {
			s->sent_delay_n++;
			s->sent_delay_sum += (double)r->delay;
			if (r->delay > s->sent_delay_max)
				s->sent_delay_max = r->delay;
		}
	}
	(void)now;
}

void
tstats_attempt(struct tstats *s, const struct tr_msg *m,
    const struct tr_rcpt *r, int64_t when)
{
	size_t ci;

	(void)m;
	(void)when;
	s->att[cls(r->outcome)]++;
	if (r->outcome != TR_DEFERRED && r->outcome != TR_BOUNCED)
		return;
	if ((ci = cause_index(r->cause ? r->cause : cause_unexplained())) <
	    MAXCAUSES)
		s->cause_att[ci]++;
}

/* ------------------------------------------------------------ printing */

static int
kent_cmp(const void *a, const void *b)
{
	const struct kent *x = *(const struct kent *const *)a;
	const struct kent *y = *(const struct kent *const *)b;
	unsigned long tx = x->c[0] + x->c[1] + x->c[2] + x->c[3];
	unsigned long ty = y->c[0] + y->c[1] + y->c[2] + y->c[3];

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void
print_map(strbuf *sb, const char *title, const char *what,
    const struct kmap *k, size_t top)
{
	const struct kent **v;
	size_t i, n = 0;

	sb_printf(sb, "\n%s (%zu distinct, top %zu)\n", title,
	    k->n + (k->overflow ? 1 : 0), top);
	sb_printf(sb, "  %8s %8s %8s %8s  %s\n", "sent", "deferred", "bounced",
	    "other", what);
	if ((v = calloc(k->n + 1, sizeof(*v))) == NULL) {
		sb_puts(sb, "  (out of memory)\n");
		return;
	}
	for (i = 0; i < k->cap; i++)
		if (k->tab[i].key)
			v[n++] = &k->tab[i];
	if (k->overflow)
		v[n++] = &k->other;
	qsort(v, n, sizeof(*v), kent_cmp);
	for (i = 0; i < n && i < top; i++) {
		sb_printf(sb, "  %8lu %8lu %8lu %8lu  ", v[i]->c[0], v[i]->c[1],
		    v[i]->c[2], v[i]->c[3]);
		sb_puts_sanitized(sb, v[i]->key);
		sb_putc(sb, '\n');
	}
	if (k->overflow)
		sb_printf(sb, "  (%lu more distinct values beyond the limit "
		    "of %zu were counted as (other))\n", k->overflow, k->limit);
	free(v);
}

int
tstats_print(strbuf *sb, const struct tstats *s,
    const struct tr_stats *st, size_t top)
{
	const struct cause *c;
	size_t i, n = cause_count();
	int k;

	sb_puts(sb, "relaymilter-trace summary\n\nInput\n");
	sb_printf(sb, "  %-28s %lu\n", "lines read", st->lines);
	sb_printf(sb, "  %-28s %lu\n", "lines not understood", st->unparsed);
	if (st->blank > 0)
		sb_printf(sb, "  %-28s %lu\n", "empty lines", st->blank);
	sb_printf(sb, "  %-28s %lu\n", "lines out of time (clamped)",
	    st->clamped);
	if (st->first_time) {
		sb_printf(sb, "  %-28s ", "first line");
		tro_time_local(sb, st->first_time);
		sb_printf(sb, "\n  %-28s ", "last line");
		tro_time_local(sb, st->last_time);
		sb_putc(sb, '\n');
	}
	sb_printf(sb, "  %-28s %lu\n", "messages", st->messages);
	sb_printf(sb, "  %-28s %lu\n", "most open at once", st->open_max);
	sb_printf(sb, "  %-28s %lu\n", "evicted (over --max-open)",
	    st->evicted);

	sb_puts(sb, "\nMessages by outcome\n");
	for (k = 0; k < TR_OUTCOME_COUNT; k++)
		sb_printf(sb, "  %-28s %lu\n", tr_outcome_name(k), s->msgs[k]);
	sb_puts(sb, "\nRecipients by outcome\n");
	for (k = 0; k < TR_OUTCOME_COUNT; k++)
		sb_printf(sb, "  %-28s %lu\n", tr_outcome_name(k), s->rcpts[k]);
	sb_puts(sb, "\nDelivery attempts\n");
	sb_printf(sb, "  %-28s %lu\n", "sent", s->att[C_SENT]);
	sb_printf(sb, "  %-28s %lu\n", "deferred", s->att[C_DEFERRED]);
	sb_printf(sb, "  %-28s %lu\n", "bounced", s->att[C_BOUNCED]);
	if (s->sent_delay_n > 0) {
		sb_printf(sb, "  %-28s ", "average delay when sent");
		tro_duration(sb, (long)(s->sent_delay_sum /
		    (double)s->sent_delay_n + 0.5));
		sb_printf(sb, "\n  %-28s ", "longest delay when sent");
		tro_duration(sb, s->sent_delay_max);
		sb_putc(sb, '\n');
	}

	sb_puts(sb, "\nCauses (failed attempts, recipients failed or flagged)\n");
	for (i = 0; i < n && i < MAXCAUSES; i++) {
		if (s->cause_att[i] == 0 && s->cause_rcpt[i] == 0)
			continue;
		c = cause_at(i);
		sb_printf(sb, "  %6lu %6lu  %-26s %-5s %s\n", s->cause_att[i],
		    s->cause_rcpt[i], c->id, cause_severity_name(c->severity),
		    c->summary);
	}
	sb_puts(sb, "\nrelaymilter verdicts (messages)\n");
	for (i = 0; i < n && i < MAXCAUSES; i++) {
		if (s->policy[i] == 0)
			continue;
		c = cause_at(i);
		sb_printf(sb, "  %6lu  %-26s %s\n", s->policy[i], c->id,
		    c->summary);
	}
	print_map(sb, "Relays (recipients)", "relay", &s->relays, top);
	print_map(sb, "Senders (messages)", "sender", &s->senders, top);

	sb_puts(sb, "\nLine kinds\n");
	for (k = 0; k < ML_KIND_COUNT; k++)
		if (st->kinds[k])
			sb_printf(sb, "  %-28s %lu\n", ml_kind_name(k),
			    st->kinds[k]);
	return sb->err ? -1 : 0;
}

/* A label value: \\, \" and \n escaped as the text format wants. */
static void
prom_label(strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sb_putc(sb, '\\');
		if (*v == '\n') {
			sb_puts(sb, "\\n");
			continue;
		}
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			continue;
		sb_putc(sb, *v);
	}
}

int
tstats_prometheus(strbuf *sb, const struct tstats *s,
    const struct tr_stats *st, unsigned long open_deferred, long oldest,
    int64_t log_clock, int64_t wall)
{
	static const char *const res[C_N] = { "sent", "deferred", "bounced",
	    "other" };
	const struct cause *c;
	size_t i, n = cause_count();
	int k;

#define HELP(name, type, text) \
	sb_printf(sb, "# HELP relaymilter_trace_" name " " text "\n" \
	    "# TYPE relaymilter_trace_" name " " type "\n")

	HELP("messages_total", "counter",
	    "Messages reported by relaymilter-trace, by outcome.");
	for (k = 0; k < TR_OUTCOME_COUNT; k++)
		sb_printf(sb, "relaymilter_trace_messages_total{outcome=\"%s\"} "
		    "%lu\n", tr_outcome_name(k), s->msgs[k]);
	HELP("recipients_total", "counter",
	    "Recipients of reported messages, by outcome.");
	for (k = 0; k < TR_OUTCOME_COUNT; k++)
		sb_printf(sb, "relaymilter_trace_recipients_total{outcome="
		    "\"%s\"} %lu\n", tr_outcome_name(k), s->rcpts[k]);
	HELP("attempts_total", "counter",
	    "Delivery attempts (to= lines), by result.");
	for (k = 0; k < C_N; k++)
		sb_printf(sb, "relaymilter_trace_attempts_total{result=\"%s\"} "
		    "%lu\n", res[k], s->att[k]);
	HELP("cause_total", "counter",
	    "Failed delivery attempts, by cause from the catalogue.");
	for (i = 0; i < n && i < MAXCAUSES; i++) {
		c = cause_at(i);
		if (c->phase == CAUSE_PHASE_POLICY)
			continue;
		sb_printf(sb, "relaymilter_trace_cause_total{cause=\"%s\","
		    "severity=\"%s\"} %lu\n", c->id,
		    cause_severity_name(c->severity), s->cause_att[i]);
	}
	HELP("policy_total", "counter",
	    "Messages with a relaymilter SPF/alignment/result verdict, by "
	    "cause.");
	for (i = 0; i < n && i < MAXCAUSES; i++) {
		c = cause_at(i);
		if (c->phase != CAUSE_PHASE_POLICY)
			continue;
		sb_printf(sb, "relaymilter_trace_policy_total{cause=\"%s\"} "
		    "%lu\n", c->id, s->policy[i]);
	}
	if (s->nbudget > 0) {
		HELP("budget_used", "gauge",
		    "Relay budget: used in the window by the latest decision "
		    "line of the key (this message counted).");
		for (i = 0; i < s->nbudget; i++) {
			sb_puts(sb, "relaymilter_trace_budget_used{key=\"");
			prom_label(sb, s->budget[i].key);
			sb_puts(sb, "\",window=\"");
			prom_label(sb, s->budget[i].window);
			sb_printf(sb, "\"} %lu\n", s->budget[i].used);
		}
		HELP("budget_limit", "gauge",
		    "Relay budget: the limit of the window (RelayLimit).");
		for (i = 0; i < s->nbudget; i++) {
			sb_puts(sb, "relaymilter_trace_budget_limit{key=\"");
			prom_label(sb, s->budget[i].key);
			sb_puts(sb, "\",window=\"");
			prom_label(sb, s->budget[i].window);
			sb_printf(sb, "\"} %lu\n", s->budget[i].limit);
		}
	}
	HELP("deferred_messages", "gauge",
	    "Messages deferred and still queued at the last parse.");
	sb_printf(sb, "relaymilter_trace_deferred_messages %lu\n",
	    open_deferred);
	HELP("deferred_oldest_age_seconds", "gauge",
	    "Age of the oldest message still deferred.");
	sb_printf(sb, "relaymilter_trace_deferred_oldest_age_seconds %ld\n",
	    oldest);
	HELP("open_messages", "gauge",
	    "Messages whose outcome is not reported yet.");
	sb_printf(sb, "relaymilter_trace_open_messages %lu\n", st->open);
	HELP("lines_total", "counter", "Log lines read.");
	sb_printf(sb, "relaymilter_trace_lines_total %lu\n", st->lines);
	HELP("unparsed_lines_total", "counter",
	    "Log lines relaymilter-trace did not understand.");
	sb_printf(sb, "relaymilter_trace_unparsed_lines_total %lu\n",
	    st->unparsed);
	HELP("evicted_messages_total", "counter",
	    "Messages reported before their end because too many were open "
	    "(--max-open) or they took too much memory.");
	sb_printf(sb, "relaymilter_trace_evicted_messages_total %lu\n",
	    st->evicted);
	HELP("clamped_lines_total", "counter",
	    "Log lines out of time (an hour in the future, or an hour before "
	    "their host's recent lines), placed at their host's time.");
	sb_printf(sb, "relaymilter_trace_clamped_lines_total %lu\n",
	    st->clamped);
	HELP("log_clock_timestamp_seconds", "gauge",
	    "Time of the latest log line read.");
	sb_printf(sb, "relaymilter_trace_log_clock_timestamp_seconds %lld\n",
	    (long long)log_clock);
	HELP("last_parse_timestamp_seconds", "gauge",
	    "When relaymilter-trace last parsed the log (Unix time).");
	sb_printf(sb, "relaymilter_trace_last_parse_timestamp_seconds %lld\n",
	    (long long)wall);
#undef HELP
	return sb->err ? -1 : 0;
}
