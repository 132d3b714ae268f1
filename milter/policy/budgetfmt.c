/*
 * budgetfmt.c - write and read the relay budget's state and release files
 *
 * CONTRACT
 *	See include/budgetfmt.h. The readers look at exactly len bytes (NUL
 *	bytes are an error, not an end), split lines at '\n' and fields at
 *	single spaces, and build the result in a local struct that is handed
 *	over only when the whole file read well. No I/O, no global state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "budgetfmt.h"
#include "util.h"

#define STATE_MAGIC	"relaymilter budget state 1"
#define REL_MAGIC	"relaymilter budget released 1"
#define MAXF		10
#define T_MAX		((int64_t)1 << 40)	/* far beyond any clock */

struct span {
	const char	*p;
	size_t		 n;
};

static bool
span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && memcmp(s.p, lit, n) == 0;
}

bool
bstate_qid_ok(const char *qid)
{
	size_t n;

	for (n = 0; qid[n] != '\0'; n++)
		if (!ch_alnum(qid[n]))
			return false;
	return n > 0 && n <= BSTATE_QID_MAX;
}

/* ------------------------------------------------------------- writing */

static void
put_enc(strbuf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	if (s == NULL || *s == '\0') {
		sb_putc(out, '-');
		return;
	}
	if (strcmp(s, "-") == 0) {
		sb_puts(out, "%2D");
		return;
	}
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '%') {
			sb_putc(out, '%');
			sb_putc(out, hex[*p >> 4]);
			sb_putc(out, hex[*p & 15]);
		} else {
			sb_putc(out, *p);
		}
	}
}

static void
put_buckets(strbuf *out, char tag, const struct bstate_bucket *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sb_printf(out, "%c %lld %lu %lu\n", tag, (long long)b[i].t,
		    (unsigned long)b[i].msgs, (unsigned long)b[i].rcpts);
}

int
bstate_format(const struct bstate *st, strbuf *out)
{
	size_t i, j;

	sb_printf(out, STATE_MAGIC "\nwritten %lld\n", (long long)st->written);
	for (i = 0; i < st->nkeys; i++) {
		sb_puts(out, "k ");
		put_enc(out, st->keys[i].key);
		sb_printf(out, " %u\n", st->keys[i].warned);
		put_buckets(out, 'd', st->keys[i].day, st->keys[i].nday);
		put_buckets(out, 's', st->keys[i].min, st->keys[i].nmin);
	}
	for (i = 0; i < st->nheld; i++) {
		const struct bstate_held *h = &st->held[i];

		sb_printf(out, "h %s %lld %lld %u %lu %lu ", h->qid,
		    (long long)h->held_at, (long long)h->marked_at, h->flags,
		    (unsigned long)h->msgs, (unsigned long)h->rcpts);
		put_enc(out, h->relay);
		sb_putc(out, ' ');
		put_enc(out, h->account);
		sb_putc(out, ' ');
		put_enc(out, h->sender);
		sb_putc(out, '\n');
		for (j = 0; j < h->nhkeys; j++) {
			sb_puts(out, "hk ");
			put_enc(out, h->hkeys[j]);
			sb_putc(out, '\n');
		}
		for (j = 0; j < h->nmkeys; j++) {
			sb_puts(out, "mk ");
			put_enc(out, h->mkeys[j]);
			sb_putc(out, '\n');
		}
	}
	sb_puts(out, "end\n");
	return out->err ? -1 : 0;
}

int
brel_format(const struct brel *r, strbuf *out)
{
	size_t i;

	sb_printf(out, REL_MAGIC "\nwritten %lld\n", (long long)r->written);
	if (r->lifetime_warned != 0)
		sb_printf(out, "lifetime-warned %lld\n",
		    (long long)r->lifetime_warned);
	for (i = 0; i < r->n; i++)
		sb_printf(out, "r %s %lld %s\n", r->v[i].qid,
		    (long long)r->v[i].when, r->v[i].gone ? "gone" :
		    "released");
	sb_puts(out, "end\n");
	return out->err ? -1 : 0;
}

/* ------------------------------------------------------------- freeing */

void
bstate_free(struct bstate *st)
{
	size_t i, j;

	if (st == NULL)
		return;
	for (i = 0; i < st->nkeys; i++) {
		free(st->keys[i].key);
		free(st->keys[i].day);
		free(st->keys[i].min);
	}
	free(st->keys);
	for (i = 0; i < st->nheld; i++) {
		struct bstate_held *h = &st->held[i];

		free(h->relay);
		free(h->account);
		free(h->sender);
		for (j = 0; j < h->nhkeys; j++)
			free(h->hkeys[j]);
		for (j = 0; j < h->nmkeys; j++)
			free(h->mkeys[j]);
	}
	free(st->held);
	memset(st, 0, sizeof(*st));
}

void
brel_free(struct brel *r)
{
	if (r == NULL)
		return;
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------- reading */

struct rd {
	const char	*p, *end;
	unsigned	 line;
	strbuf		*err;
};

/* The next line (without '\n'); false at the end of the text. A last line
 * without '\n' counts; a NUL byte is an error. */
static bool
next_line(struct rd *r, struct span *l, bool *bad)
{
	const char *nl;

	*bad = false;
	if (r->p >= r->end)
		return false;
	r->line++;
	nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
	l->p = r->p;
	l->n = nl ? (size_t)(nl - r->p) : (size_t)(r->end - r->p);
	r->p = nl ? nl + 1 : r->end;
	if (memchr(l->p, '\0', l->n) != NULL) {
		sb_printf(r->err, "%u: a NUL byte", r->line);
		*bad = true;
	}
	return true;
}

/* Split at single spaces; -1 when there are more than max fields or an
 * empty one. */
static int
split(struct span l, struct span *f, size_t max)
{
	size_t n = 0;
	const char *p = l.p, *e = l.p + l.n, *sp;

	if (l.n == 0)
		return 0;
	while (p <= e) {
		sp = memchr(p, ' ', (size_t)(e - p));
		if (sp == NULL)
			sp = e;
		if (sp == p || n == max)
			return -1;
		f[n].p = p;
		f[n].n = (size_t)(sp - p);
		n++;
		p = sp + 1;
		if (sp == e)
			break;
	}
	return (int)n;
}

static bool
num(struct span s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s.n == 0 || s.n > 19)
		return false;
	for (i = 0; i < s.n; i++) {
		if (!ch_digit(s.p[i]))
			return false;
		v = v * 10 + (s.p[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a string field; NULL (with errno ENOMEM, or EINVAL for a bad
 * field) on failure. */
static char *
dec(struct span s)
{
	char *d, *q;
	size_t i;
	int hi, lo;

	if (span_is(s, "-"))
		return strdup("");
	if (s.n > BSTATE_KEY_MAX * 3) {
		errno = EINVAL;
		return NULL;
	}
	if ((d = malloc(s.n + 1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0, q = d; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '%') {
			if (i + 2 >= s.n)
				goto bad;
			hi = hexval(s.p[i + 1]);
			lo = hexval(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
			/* no control characters: these go into log lines */
			if (c < ' ' || c == 0x7f)
				goto bad;
		} else if (c <= ' ' || c >= 0x7f) {
			goto bad;
		}
		*q++ = (char)c;
	}
	*q = '\0';
	if ((size_t)(q - d) > BSTATE_KEY_MAX)
		goto bad;
	return d;
bad:
	free(d);
	errno = EINVAL;
	return NULL;
}

/* Decode into *out; false with the error written. */
static bool
dec_field(struct rd *r, struct span s, const char *what, char **out)
{
	if ((*out = dec(s)) == NULL) {
		if (errno == ENOMEM)
			sb_printf(r->err, "%u: out of memory", r->line);
		else
			sb_printf(r->err, "%u: %s is not a valid encoded "
			    "string", r->line, what);
		return false;
	}
	return true;
}

static bool
header(struct rd *r, const char *magic, int64_t *written)
{
	struct span l, f[MAXF];
	bool bad;

	if (!next_line(r, &l, &bad) || bad || !span_is(l, magic)) {
		if (!bad)
			sb_printf(r->err, "1: not a file of this kind (no "
			    "\"%s\" line)", magic);
		return false;
	}
	if (!next_line(r, &l, &bad) || bad || split(l, f, MAXF) != 2 ||
	    !span_is(f[0], "written") || !num(f[1], T_MAX, written)) {
		if (!bad)
			sb_printf(r->err, "%u: no \"written TIME\" line",
			    r->line);
		return false;
	}
	return true;
}

/* Append a bucket to a key's list, in strictly increasing time. */
static bool
add_bucket(struct rd *r, struct bstate_bucket **v, size_t *n,
    const struct span *f)
{
	struct bstate_bucket *nv;
	int64_t t, m, c;

	if (!num(f[1], T_MAX, &t) || !num(f[2], UINT32_MAX, &m) ||
	    !num(f[3], UINT32_MAX, &c)) {
		sb_printf(r->err, "%u: a bucket is \"d|s TIME MSGS RCPTS\"",
		    r->line);
		return false;
	}
	if (*n > 0 && (*v)[*n - 1].t >= t) {
		sb_printf(r->err, "%u: buckets out of time order", r->line);
		return false;
	}
	if (*n >= BSTATE_BUCKETS_MAX) {
		sb_printf(r->err, "%u: more than %d buckets in one window",
		    r->line, BSTATE_BUCKETS_MAX);
		return false;
	}
	if ((nv = arr_grow(*v, *n, sizeof(**v))) == NULL) {
		sb_printf(r->err, "%u: out of memory", r->line);
		return false;
	}
	*v = nv;
	nv[*n].t = t;
	nv[*n].msgs = (uint32_t)m;
	nv[*n].rcpts = (uint32_t)c;
	(*n)++;
	return true;
}

int
bstate_parse(const char *text, size_t len, struct bstate *out, strbuf *err)
{
	struct bstate st;
	struct rd r = { text, text + len, 0, err };
	struct span l, f[MAXF];
	struct bstate_key *k = NULL;
	struct bstate_held *h = NULL;
	bool bad, ended = false;
	int nf;
	int64_t v1, v2, v3, v4, v5;

	memset(&st, 0, sizeof(st));
	if (!header(&r, STATE_MAGIC, &st.written))
		return -1;
	while (next_line(&r, &l, &bad)) {
		if (bad)
			goto fail;
		if (ended) {
			sb_printf(err, "%u: text after \"end\"", r.line);
			goto fail;
		}
		if ((nf = split(l, f, MAXF)) <= 0) {
			sb_printf(err, "%u: an empty line or a field that is "
			    "not one word", r.line);
			goto fail;
		}
		if (nf == 1 && span_is(f[0], "end")) {
			ended = true;
		} else if (span_is(f[0], "k") && nf == 3) {
			struct bstate_key *nv;

			if (st.nkeys >= BSTATE_KEYS_MAX) {
				sb_printf(err, "%u: more than %d keys", r.line,
				    BSTATE_KEYS_MAX);
				goto fail;
			}
			if ((nv = arr_grow(st.keys, st.nkeys,
			    sizeof(*nv))) == NULL) {
				sb_printf(err, "%u: out of memory", r.line);
				goto fail;
			}
			st.keys = nv;
			k = &st.keys[st.nkeys++];
			memset(k, 0, sizeof(*k));
			h = NULL;
			if (!dec_field(&r, f[1], "the key", &k->key))
				goto fail;
			if (k->key[0] == '\0') {
				sb_printf(err, "%u: an empty key", r.line);
				goto fail;
			}
			if (!num(f[2], 15, &v1)) {
				sb_printf(err, "%u: the warning flags are a "
				    "number from 0 to 15", r.line);
				goto fail;
			}
			k->warned = (unsigned)v1;
		} else if ((span_is(f[0], "d") || span_is(f[0], "s")) &&
		    nf == 4) {
			if (k == NULL) {
				sb_printf(err, "%u: a bucket before any key",
				    r.line);
				goto fail;
			}
			if (f[0].p[0] == 'd' ? !add_bucket(&r, &k->day,
			    &k->nday, f) : !add_bucket(&r, &k->min, &k->nmin,
			    f))
				goto fail;
		} else if (span_is(f[0], "h") && nf == 10) {
			struct bstate_held *nv;

			if (st.nheld >= BSTATE_KEYS_MAX) {
				sb_printf(err, "%u: more than %d held messages",
				    r.line, BSTATE_KEYS_MAX);
				goto fail;
			}
			if (f[1].n == 0 || f[1].n > BSTATE_QID_MAX) {
				sb_printf(err, "%u: not a queue id", r.line);
				goto fail;
			}
			if ((nv = arr_grow(st.held, st.nheld,
			    sizeof(*nv))) == NULL) {
				sb_printf(err, "%u: out of memory", r.line);
				goto fail;
			}
			st.held = nv;
			h = &st.held[st.nheld++];
			memset(h, 0, sizeof(*h));
			k = NULL;
			memcpy(h->qid, f[1].p, f[1].n);
			if (!bstate_qid_ok(h->qid)) {
				sb_printf(err, "%u: not a queue id", r.line);
				goto fail;
			}
			if (!num(f[2], T_MAX, &v1) || !num(f[3], T_MAX, &v2) ||
			    !num(f[4], BSTATE_F_NEVER, &v5) ||
			    !num(f[5], UINT32_MAX, &v3) ||
			    !num(f[6], UINT32_MAX, &v4)) {
				sb_printf(err, "%u: a held message is \"h QID "
				    "HELD MARKED FLAGS MSGS RCPTS RELAY ACCOUNT "
				    "SENDER\"", r.line);
				goto fail;
			}
			h->held_at = v1;
			h->marked_at = v2;
			h->flags = (unsigned)v5;
			h->msgs = (uint32_t)v3;
			h->rcpts = (uint32_t)v4;
			if (!dec_field(&r, f[7], "the relay", &h->relay) ||
			    !dec_field(&r, f[8], "the account", &h->account) ||
			    !dec_field(&r, f[9], "the sender", &h->sender))
				goto fail;
		} else if ((span_is(f[0], "hk") || span_is(f[0], "mk")) &&
		    nf == 2) {
			bool mk = f[0].p[0] == 'm';
			size_t *n;
			char **v;

			if (h == NULL) {
				sb_printf(err, "%u: a key of a held message "
				    "before any held message", r.line);
				goto fail;
			}
			n = mk ? &h->nmkeys : &h->nhkeys;
			v = mk ? h->mkeys : h->hkeys;
			if (*n >= BSTATE_HKEYS_MAX) {
				sb_printf(err, "%u: more than %d keys of one "
				    "held message", r.line, BSTATE_HKEYS_MAX);
				goto fail;
			}
			if (!dec_field(&r, f[1], "the key", &v[*n]))
				goto fail;
			(*n)++;
		} else {
			sb_printf(err, "%u: not a record of the state file",
			    r.line);
			goto fail;
		}
	}
	if (!ended) {
		sb_printf(err, "%u: no \"end\" line (the file is cut short)",
		    r.line);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	bstate_free(&st);
	return -1;
}

int
brel_parse(const char *text, size_t len, struct brel *out, strbuf *err)
{
	struct brel rl;
	struct rd r = { text, text + len, 0, err };
	struct span l, f[MAXF];
	struct brel_item *it, *nv;
	bool bad, ended = false;
	int nf;
	int64_t t;

	memset(&rl, 0, sizeof(rl));
	if (!header(&r, REL_MAGIC, &rl.written))
		return -1;
	while (next_line(&r, &l, &bad)) {
		if (bad)
			goto fail;
		if (ended) {
			sb_printf(err, "%u: text after \"end\"", r.line);
			goto fail;
		}
		nf = split(l, f, MAXF);
		if (nf == 1 && span_is(f[0], "end")) {
			ended = true;
			continue;
		}
		if (nf == 2 && span_is(f[0], "lifetime-warned") &&
		    rl.lifetime_warned == 0 && rl.n == 0) {
			if (!num(f[1], T_MAX, &t) || t == 0) {
				sb_printf(err, "%u: \"lifetime-warned TIME\"",
				    r.line);
				goto fail;
			}
			rl.lifetime_warned = t;
			continue;
		}
		if (nf != 4 || !span_is(f[0], "r") || f[1].n == 0 ||
		    f[1].n > BSTATE_QID_MAX || !num(f[2], T_MAX, &t) ||
		    !(span_is(f[3], "released") || span_is(f[3], "gone"))) {
			sb_printf(err, "%u: a release is \"r QID TIME "
			    "released|gone\"", r.line);
			goto fail;
		}
		if (rl.n >= BSTATE_KEYS_MAX) {
			sb_printf(err, "%u: more than %d releases", r.line,
			    BSTATE_KEYS_MAX);
			goto fail;
		}
		if ((nv = arr_grow(rl.v, rl.n, sizeof(*nv))) == NULL) {
			sb_printf(err, "%u: out of memory", r.line);
			goto fail;
		}
		rl.v = nv;
		it = &rl.v[rl.n++];
		memset(it, 0, sizeof(*it));
		memcpy(it->qid, f[1].p, f[1].n);
		if (!bstate_qid_ok(it->qid)) {
			sb_printf(err, "%u: not a queue id", r.line);
			goto fail;
		}
		it->when = t;
		it->gone = f[3].p[0] == 'g';
	}
	if (!ended) {
		sb_printf(err, "%u: no \"end\" line (the file is cut short)",
		    r.line);
		goto fail;
	}
	*out = rl;
	return 0;
fail:
	brel_free(&rl);
	return -1;
}
