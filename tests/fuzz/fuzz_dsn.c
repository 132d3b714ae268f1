/*
 * fuzz_dsn.c - libFuzzer target: relaymilter-trace --dsn's readers of
 *		outside bytes: dsn_parse() (MIME, RFC 3464 reports, the
 *		bounce texts, the returned headers), the mbox splitter
 *		(dsnbox_mbox) and the trace header verdicts (tdsn_add)
 *
 * Besides crashes and sanitizer reports it checks properties: dsn_parse()
 * reads only the bytes it is given (the input is copied to a buffer of
 * exactly that size), keeps at most DSN_MAX_RCPT recipients and
 * DSN_MAX_TRACE trace headers, and every string it returns is free of
 * control characters and at most DSN_MAX_VALUE bytes plus its " [...]"
 * mark; the mbox splitter hands over messages that add up to no more
 * than the input; a record of tdsn_add() is genuine only when its header
 * names a queue id (the key is a fixed test key, so a fuzzed header is
 * genuine only if it hits an HMAC: never in practice). Seeds: the world's
 * DSNs and the hand-written broken ones (tests/fuzz/corpus/fuzz_dsn).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "dsn_box.h"
#include "tag.h"
#include "trace_dsn.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_str(const char *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			__builtin_trap();
	if (i > DSN_MAX_VALUE + 6)
		__builtin_trap();
}

static void
check(const struct dsn *d)
{
	size_t i;

	if ((unsigned)d->kind > DSN_TEXT || d->nrcpt > DSN_MAX_RCPT ||
	    d->ntrace > DSN_MAX_TRACE || d->nreceived_qid > DSN_MAX_QIDS ||
	    (d->kind == DSN_NONE && d->nrcpt > 0) ||
	    (d->kind != DSN_NONE && d->nrcpt == 0))
		__builtin_trap();
	check_str(d->from);
	check_str(d->subject);
	check_str(d->date);
	check_str(d->msgid);
	check_str(d->reporting_mta);
	check_str(d->arrival);
	check_str(d->orig_from);
	check_str(d->orig_to);
	check_str(d->orig_subject);
	check_str(d->orig_msgid);
	for (i = 0; i < d->nrcpt; i++) {
		check_str(d->rcpt[i].rcpt);
		check_str(d->rcpt[i].orig_rcpt);
		check_str(d->rcpt[i].action);
		check_str(d->rcpt[i].status);
		check_str(d->rcpt[i].remote_mta);
		check_str(d->rcpt[i].diag);
		check_str(d->rcpt[i].last_attempt);
	}
	for (i = 0; i < d->ntrace; i++)
		if (d->trace[i] == NULL)
			__builtin_trap();
		else
			check_str(d->trace[i]);
	for (i = 0; i < d->nreceived_qid; i++)
		check_str(d->received_qid[i]);
}

struct split {
	size_t		 bytes;
	struct tdsn	*t;
};

static int
on_msg(void *ctx, const struct dsnbox_msg *m)
{
	struct split *s = ctx;

	s->bytes += m->n;
	if (m->n > DSNBOX_MAX_MSG || m->total < m->n)
		__builtin_trap();
	return tdsn_add(s->t, m->src, m->p, m->n, m->cut, m->total) < 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tag_key key;
	struct dsnbox_opts o = { on_msg, NULL, NULL };
	const struct tdsn_rec *r;
	struct split sp;
	struct dsn d;
	strbuf err;
	char *buf;
	FILE *fp;
	size_t i;

	/* exactly size bytes: ASan sees any read past the end */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if (dsn_parse(buf, size, "X-Relay-Trace", &d) == 0) {
		check(&d);
		dsn_free(&d);
	}

	/* the same bytes as an mbox, each message judged */
	memset(key.bytes, 0x5a, sizeof(key.bytes));
	sp.bytes = 0;
	if ((sp.t = tdsn_new(&key, "X-Relay-Trace")) != NULL && size > 0 &&
	    (fp = fmemopen(buf, size, "r")) != NULL) {
		o.ctx = &sp;
		sb_init(&err);
		(void)dsnbox_mbox(fp, "fuzz", &o, &err);
		sb_free(&err);
		fclose(fp);
		if (sp.bytes > size)
			__builtin_trap();
		if (tdsn_index(sp.t) == 0)
			tdsn_finish(sp.t, false);
		for (i = 0; i < tdsn_count(sp.t); i++) {
			r = tdsn_at(sp.t, i);
			if (r->verdict == TDSN_GENUINE && r->qid == NULL)
				__builtin_trap();
		}
	}
	tdsn_free(sp.t);
	free(buf);
	return 0;
}
