/*
 * fuzz_trace.c - libFuzzer target: a whole maillog of any bytes through the
 *		  trace (the join, the clock, the evidence per port and
 *		  destination, eviction), each message formatted as text and
 *		  JSON
 *
 * The input is split at newlines into lines and fed to a trace with small
 * limits (a few open messages, a short grace), so that eviction, the host
 * pruning and the refinements at report time all run. Besides crashes and
 * sanitizer reports it checks properties: every line is counted once,
 * every message made is reported once and nothing is left open at the end,
 * a failed or flagged recipient always has a cause of the catalogue (never
 * "unknown"), and the formatters succeed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causes.h"
#include "trace.h"
#include "trace_out.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long reported;

static bool
in_catalogue(const struct cause *c)
{
	size_t i;

	for (i = 0; i < cause_count(); i++)
		if (cause_at(i) == c)
			return true;
	return false;
}

static void
on_msg(void *ctx, const struct tr_msg *m, enum tr_emit why, int64_t now)
{
	strbuf sb;
	size_t i;

	(void)ctx;
	if (why != TR_EMIT_THRESHOLD)
		reported++;
	for (i = 0; i < m->nrcpt; i++) {
		const struct tr_rcpt *r = &m->rcpt[i];

		if ((r->outcome == TR_DEFERRED || r->outcome == TR_BOUNCED) &&
		    (r->cause == NULL || !in_catalogue(r->cause)))
			__builtin_trap();
		if (r->cause != NULL && !in_catalogue(r->cause))
			__builtin_trap();
	}
	if (m->cause != NULL && !in_catalogue(m->cause))
		__builtin_trap();
	sb_init(&sb);
	if (tro_text(&sb, m, why, now, NULL) < 0 && !sb.err)
		__builtin_trap();
	sb_reset(&sb);
	if (tro_json(&sb, m, why, now) < 0 && !sb.err)
		__builtin_trap();
	sb_free(&sb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tr_sink sink = { on_msg, NULL, NULL, NULL };
	struct tr_opts o;
	struct trace *t;
	const struct tr_stats *st;
	const char *p = (const char *)data, *e = p + size, *nl;
	unsigned long lines = 0;
	char *buf;

	tr_opts_default(&o);
	o.now = o.wall = 1795255200;	/* 2026-11-21T10:00:00Z: fixed */
	o.max_open = 3;
	o.grace = 5;
	o.port_window = 120;
	if ((t = trace_new(&o, &sink)) == NULL)
		return 0;
	reported = 0;
	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		/* exactly the line's bytes: ASan sees a read past it */
		if ((buf = malloc((size_t)(nl - p) + 1)) != NULL) {
			memcpy(buf, p, (size_t)(nl - p));
			if (trace_feed(t, "fuzz", ++lines, buf, (size_t)(nl - p)) < 0)
				__builtin_trap();
			free(buf);
		}
		p = nl + 1;
	}
	trace_finish(t, 0);
	st = trace_stats(t);
	if (st->lines != lines || st->open != 0 || reported != st->messages)
		__builtin_trap();
	trace_free(t);
	return 0;
}
