/*
 * fuzz_maillog.c - libFuzzer target: ml_parse() on any bytes, and the
 *		    cause catalogue on any reply texts
 *
 * Besides crashes and sanitizer reports it checks properties: ml_parse()
 * reads only the bytes it is given (the input is copied to a buffer of
 * exactly that size), every span it returns lies inside them, the kind
 * is a known one, ml_get() finds each field it reported; cause_classify()
 * returns NULL or an entry of the table. The input is also split at NUL
 * bytes into reply, stat, dsn and extra for cause_classify().
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "causes.h"
#include "maillog.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(struct ml_span s, const char *b, size_t n)
{
	return s.n == 0 || (s.p >= b && s.p + s.n <= b + n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ml_line l;
	const struct ml_span *v;
	struct cause_input in;
	const struct cause *c;
	char *buf, *s, *parts[4];
	size_t i, np;
	strbuf sb;

	/* exactly size bytes: ASan sees any read past the end */
	if ((buf = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	if ((unsigned)ml_parse(buf, size, &l) >= ML_KIND_COUNT)
		__builtin_trap();
	if (!inside(l.host, buf, size) || !inside(l.prog, buf, size) ||
	    !inside(l.qid, buf, size) || !inside(l.qid2, buf, size) ||
	    !inside(l.msg, buf, size) || !inside(l.prio, buf, size) ||
	    !inside(l.milter, buf, size) || !inside(l.detail, buf, size) ||
	    l.nfields > ML_MAX_FIELDS)
		__builtin_trap();
	sb_init(&sb);
	for (i = 0; i < l.nfields; i++) {
		if (!inside(l.f[i].key, buf, size) ||
		    !inside(l.f[i].val, buf, size))
			__builtin_trap();
		if (l.f[i].key.n > 0) {
			char key[64];

			if (l.f[i].key.n < sizeof(key)) {
				memcpy(key, l.f[i].key.p, l.f[i].key.n);
				key[l.f[i].key.n] = '\0';
				if (memchr(key, '\0', l.f[i].key.n) == NULL &&
				    (v = ml_get(&l, key)) == NULL)
					__builtin_trap();
			}
		}
		(void)ml_delay(l.f[i].val);
		sb_reset(&sb);
		(void)ml_unquote(l.f[i].val, &sb);
	}
	sb_free(&sb);
	free(buf);

	/* reply \0 stat \0 dsn \0 extra for the catalogue */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	parts[0] = s;
	for (np = 1, i = 0; i < size && np < 4; i++)
		if (s[i] == '\0')
			parts[np++] = s + i + 1;
	memset(&in, 0, sizeof(in));
	in.reply = parts[0];
	in.stat = np > 1 ? parts[1] : NULL;
	in.dsn = np > 2 ? parts[2] : NULL;
	in.extra = np > 3 ? parts[3] : NULL;
	in.port = size > 0 && (data[0] & 1) ? 25 : 587;
	in.phase = size > 1 ? (enum cause_phase)(data[1] % 9) : CAUSE_PHASE_ANY;
	in.flags = size > 2 ? data[2] & CAUSE_F_CACHED : 0;
	in.relay_host = size > 3 && (data[3] & 1) ? "[127.0.0.1]" : "smtp.gmail.com.";
	if ((c = cause_classify(&in)) != NULL && cause_by_id(c->id) != c)
		__builtin_trap();
	free(s);
	return 0;
}
