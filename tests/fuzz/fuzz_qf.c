/*
 * fuzz_qf.c - libFuzzer target: the queue control file parser (qf_parse)
 *	       and what the queue view makes of a file (qsum_add)
 *
 * Besides crashes and sanitizer reports it checks properties: qf_parse()
 * reads only the bytes it is given (the input is copied to a buffer of
 * exactly that size), every span it returns lies inside them, line
 * numbers never exceed the lines read, a QF_BAD names what is wrong, an
 * accepted file has an S record and qf_addr_domain() gives lower-case
 * domains; qsum_add() takes the file as queued, quarantined and lost,
 * and every text it keeps is clean (no control character, valid UTF-8).
 * The seed corpus is tests/e2e/fixtures/queue (files sendmail wrote).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qsum.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(struct qf_span s, const char *b, size_t n)
{
	return s.p == NULL || (s.p >= b && s.p + s.n <= b + n);
}

static void
check_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *again;

	if (s == NULL)
		return;
	for (; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			__builtin_trap();
	/* clean text is its own clean form */
	if ((again = qsum_clean(s, strlen(s))) != NULL) {
		if (strcmp(again, s) != 0)
			__builtin_trap();
		free(again);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qf_msg m;
	static const char kinds[] = "qhQ";
	struct qsum_queue q;
	struct qsum_opts o;
	struct qscan_file f;
	enum qf_status st;
	char *buf, dom[256];
	size_t i, k;

	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	st = qf_parse(&m, buf, size);
	if (st != QF_OK && st != QF_INCOMPLETE && st != QF_BAD &&
	    st != QF_NOMEM)
		__builtin_trap();
	if (st == QF_BAD && (m.err[0] == '\0' || m.err_line > m.nlines + 1))
		__builtin_trap();
	if (st == QF_OK && m.sender.p == NULL)
		__builtin_trap();
	if (!inside(m.message, buf, size) || !inside(m.sender, buf, size) ||
	    !inside(m.quarantine, buf, size) || !inside(m.flags, buf, size))
		__builtin_trap();
	for (i = 0; i < m.nrcpt; i++) {
		if (!inside(m.rcpt[i].addr, buf, size) ||
		    !inside(m.rcpt[i].msg, buf, size) ||
		    !inside(m.rcpt[i].flags, buf, size) ||
		    m.rcpt[i].line > m.nlines)
			__builtin_trap();
		if (qf_addr_domain(m.rcpt[i].addr, dom, sizeof(dom)) == 0)
			for (k = 0; dom[k]; k++)
				if (dom[k] >= 'A' && dom[k] <= 'Z')
					__builtin_trap();
	}
	for (i = 0; i < m.nhdr; i++)
		if (!inside(m.hdr[i].name, buf, size) ||
		    !inside(m.hdr[i].value, buf, size) || m.hdr[i].name.n == 0)
			__builtin_trap();
	if (qsum_queue_init(&q, "mta") == 0) {
		memset(&o, 0, sizeof(o));
		o.now = 1800000000;
		o.keep_messages = true;
		o.trace_header = "X-Relay-Trace";
		memset(&f, 0, sizeof(f));
		f.dir = "/q";
		f.size = size;
		f.msg = &m;
		f.result = st == QF_OK ? QS_PARSED : st == QF_BAD ? QS_BAD :
		    QS_INCOMPLETE;
		for (k = 0; k < 3 && st != QF_NOMEM; k++) {
			char name[] = "qfFUZZ00001";

			name[0] = kinds[k];
			f.name = name;
			f.qid = name + 2;
			f.kind = kinds[k];
			(void)qsum_add(&q, &o, &f);
		}
		qsum_sort(&q);
		for (i = 0; i < q.ncauses; i++)
			check_clean(q.causes[i].oldest_text);
		for (i = 0; i < q.nrows; i++)
			check_clean(q.rows[i]->key);
		for (i = 0; i < q.nmsgs; i++) {
			check_clean(q.msgs[i].sender);
			check_clean(q.msgs[i].text);
			check_clean(q.msgs[i].trace);
			for (k = 0; k < q.msgs[i].nrcpt; k++)
				check_clean(q.msgs[i].rcpt[k]);
		}
		for (i = 0; i < q.nbad; i++)
			check_clean(q.bad[i].what);
		qsum_queue_free(&q);
	}
	free(buf);
	return 0;
}
