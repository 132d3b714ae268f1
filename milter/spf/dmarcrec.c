/*
 * dmarcrec.c - DMARC policy records and DKIM key records from TXT data
 *
 * CONTRACT
 *	See dmarcrec.h. One tag-list walker (RFC 6376 3.2) serves
 *	both record kinds. A list of more than MAX_TAGS tags is refused as a
 *	whole: the duplicate check compares each name with the ones before
 *	it, and a hostile record must not make that quadratic in its length.
 */
#include <string.h>

#include "dmarcrec.h"
#include "util.h"

#define MAX_TAGS	64

struct tag {
	const char	*name;
	size_t		 nlen;
	const char	*val;		/* trimmed */
	size_t		 vlen;
};

struct walk {
	const char	*p, *end;
	unsigned	 n;		/* tags returned so far */
	struct tag	 seen[MAX_TAGS];
};

static bool
ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive compare of [s, s+n) with the literal lit. */
static bool
ieq(const char *s, size_t n, const char *lit)
{
	size_t i;

	if (strlen(lit) != n)
		return false;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != lit[i])
			return false;
	return true;
}

/* Tag names compare case-insensitively. */
static bool
same_name(const struct tag *a, const struct tag *b)
{
	size_t i;

	if (a->nlen != b->nlen)
		return false;
	for (i = 0; i < a->nlen; i++)
		if (lower(a->name[i]) != lower(b->name[i]))
			return false;
	return true;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && ws(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ws((*s)[*n - 1]))
		(*n)--;
}

/*
 * The next tag of the list. 1: a tag in *t; 0: the end; -1: the list is
 * invalid (a duplicate name, too many tags); -2: this spec is malformed
 * (no "=", a bad name), the walk can go on. why is set for -1 and -2.
 * Empty specs (";;", a trailing ";") are skipped.
 */
static int
next_tag(struct walk *w, struct tag *t, const char **why)
{
	const char *s, *semi, *eq;
	size_t n, i;

	for (;;) {
		if (w->p >= w->end)
			return 0;
		s = w->p;
		semi = memchr(s, ';', (size_t)(w->end - s));
		if (semi == NULL)
			semi = w->end;
		w->p = semi < w->end ? semi + 1 : w->end;
		n = (size_t)(semi - s);
		trim(&s, &n);
		if (n > 0)
			break;
	}
	eq = memchr(s, '=', n);
	if (eq == NULL) {
		*why = "a tag without \"=\"";
		return -2;
	}
	t->name = s;
	t->nlen = (size_t)(eq - s);
	trim(&t->name, &t->nlen);
	if (t->nlen == 0 || !ch_alpha(t->name[0])) {
		*why = "a tag without a valid name";
		return -2;
	}
	for (i = 1; i < t->nlen; i++) {
		if (!ch_alpha(t->name[i]) && !ch_digit(t->name[i]) &&
		    t->name[i] != '_') {
			*why = "a tag without a valid name";
			return -2;
		}
	}
	t->val = eq + 1;
	t->vlen = n - (size_t)(eq + 1 - s);
	trim(&t->val, &t->vlen);
	if (w->n >= MAX_TAGS) {
		*why = "more than 64 tags";
		return -1;
	}
	for (i = 0; i < w->n; i++) {
		if (same_name(&w->seen[i], t)) {
			*why = "a tag given twice (RFC 6376 3.2: the whole "
			    "record is invalid)";
			return -1;
		}
	}
	w->seen[w->n++] = *t;
	return 1;
}

static bool
walk_init(struct walk *w, const char *txt, size_t len, const char **why)
{
	w->p = txt;
	w->end = txt + len;
	w->n = 0;
	if (txt == NULL || memchr(txt, '\0', len) != NULL) {
		*why = "the record holds a NUL byte";
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ DMARC */

bool
dmarcrec_is_record(const char *txt, size_t len)
{
	struct walk w;
	struct tag t;
	const char *why;

	if (!walk_init(&w, txt, len, &why))
		return false;
	if (next_tag(&w, &t, &why) != 1)
		return false;
	/* "v" is case-insensitive ABNF, "DMARC1" is %x44 %x4d ...: exact */
	return ieq(t.name, t.nlen, "v") && t.vlen == 6 &&
	    memcmp(t.val, "DMARC1", 6) == 0;
}

static int
policy_word(const struct tag *t, enum dmarc_policy *out)
{
	if (ieq(t->val, t->vlen, "none"))
		*out = DMARC_P_NONE;
	else if (ieq(t->val, t->vlen, "quarantine"))
		*out = DMARC_P_QUARANTINE;
	else if (ieq(t->val, t->vlen, "reject"))
		*out = DMARC_P_REJECT;
	else
		return -1;
	return 0;
}

/* One dmarc-uri: a URI (scheme ":" something) with an optional "!size". */
static bool
uri_ok(const char *s, size_t n)
{
	size_t i = 0;

	trim(&s, &n);
	if (n == 0 || !ch_alpha(s[0]))
		return false;
	for (i = 1; i < n && s[i] != ':'; i++)
		if (!ch_alpha(s[i]) && !ch_digit(s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	if (i >= n || s[i] != ':')
		return false;
	for (i++; i < n && s[i] != '!'; i++)
		if (ws(s[i]))
			return false;
	return i > 0 && s[i - 1] != ':';
}

/* rua=: at least one syntactically valid URI in the comma list. */
static bool
rua_ok(const struct tag *t)
{
	const char *s = t->val, *end = t->val + t->vlen, *c;

	while (s < end) {
		c = memchr(s, ',', (size_t)(end - s));
		if (c == NULL)
			c = end;
		if (uri_ok(s, (size_t)(c - s)))
			return true;
		s = c + 1;
	}
	return false;
}

int
dmarcrec_parse(const char *txt, size_t len, struct dmarc_record *out,
    const char **why)
{
	struct dmarc_record r;
	struct walk w;
	struct tag t;
	bool have_p = false, bad_sp = false, have_rua = false;
	unsigned pct;
	size_t i;
	int rc;

	*why = NULL;
	memset(&r, 0, sizeof(r));
	r.pct = 100;
	if (!dmarcrec_is_record(txt, len)) {
		*why = "not a DMARC record (the first tag is not v=DMARC1)";
		return -1;
	}
	if (!walk_init(&w, txt, len, why))
		return -1;
	while ((rc = next_tag(&w, &t, why)) != 0) {
		if (rc == -1)
			return -1;
		if (rc == -2) {
			/* 6.3: syntax errors in the rest are ignored */
			if (r.warn == NULL)
				r.warn = *why;
			*why = NULL;
			continue;
		}
		if (w.n == 1)
			continue;	/* v=DMARC1, checked above; a second v=
					 * is a duplicate next_tag() refuses */
		if (ieq(t.name, t.nlen, "p")) {
			if (policy_word(&t, &r.p) == 0)
				have_p = true;
			else if (r.warn == NULL)
				r.warn = "p= is not none, quarantine or reject";
		} else if (ieq(t.name, t.nlen, "sp")) {
			if (policy_word(&t, &r.sp) == 0) {
				r.has_sp = true;
			} else {
				bad_sp = true;
				if (r.warn == NULL)
					r.warn = "sp= is not none, quarantine "
					    "or reject";
			}
		} else if (ieq(t.name, t.nlen, "adkim") ||
		    ieq(t.name, t.nlen, "aspf")) {
			bool *strict = ieq(t.name, t.nlen, "adkim") ?
			    &r.adkim_strict : &r.aspf_strict;

			if (ieq(t.val, t.vlen, "s"))
				*strict = true;
			else if (!ieq(t.val, t.vlen, "r") && r.warn == NULL)
				r.warn = "adkim=/aspf= is not r or s: r applies";
		} else if (ieq(t.name, t.nlen, "pct")) {
			pct = 0;
			for (i = 0; i < t.vlen && i < 4 &&
			    ch_digit(t.val[i]); i++)
				pct = pct * 10 + (unsigned)(t.val[i] - '0');
			if (t.vlen == 0 || t.vlen > 3 || i != t.vlen ||
			    pct > 100) {
				if (r.warn == NULL)
					r.warn = "pct= is not 0..100: 100 "
					    "applies";
			} else {
				r.pct = pct;
			}
		} else if (ieq(t.name, t.nlen, "rua")) {
			have_rua = rua_ok(&t);
		}
		/* ruf, fo, rf, ri and unknown tags: no part in a verdict */
	}
	if (!have_p || bad_sp) {
		if (!have_rua) {
			*why = !have_p ? "no valid p= tag (and no valid rua=): "
			    "no DMARC policy (RFC 7489 6.6.3)" :
			    "sp= is invalid (and no valid rua=): no DMARC "
			    "policy (RFC 7489 6.6.3)";
			return -1;
		}
		/* 6.6.3 step 6.1: as if "v=DMARC1; p=none" */
		r.p = DMARC_P_NONE;
		r.has_sp = false;
		r.rua_fallback = true;
	}
	*out = r;
	return 0;
}

enum dmarc_policy
dmarcrec_policy(const struct dmarc_record *r, bool at_org)
{
	return at_org && r->has_sp ? r->sp : r->p;
}

const char *
dmarcrec_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_P_NONE: return "none";
	case DMARC_P_QUARANTINE: return "quarantine";
	case DMARC_P_REJECT: return "reject";
	}
	return "none";
}

/* ------------------------------------------------------------ DKIM */

enum dkim_key_state
dmarcrec_dkim_key(const char *txt, size_t len, const char **why)
{
	struct walk w;
	struct tag t;
	bool have_p = false, empty_p = false;
	size_t i, b64;
	int rc;

	*why = NULL;
	if (!walk_init(&w, txt, len, why))
		return DKIMKEY_BAD;
	while ((rc = next_tag(&w, &t, why)) == 1) {
		/* RFC 6376 6.1.2: a record that does not parse is ignored */
		if (ieq(t.name, t.nlen, "v")) {
			if (w.n != 1 || t.vlen != 5 ||
			    memcmp(t.val, "DKIM1", 5) != 0) {
				*why = "v= is not DKIM1 as the first tag";
				return DKIMKEY_BAD;
			}
		} else if (ieq(t.name, t.nlen, "k")) {
			if (!ieq(t.val, t.vlen, "rsa") &&
			    !ieq(t.val, t.vlen, "ed25519")) {
				*why = "k= names a key type verifiers do "
				    "not know";
				return DKIMKEY_BAD;
			}
		} else if (ieq(t.name, t.nlen, "p")) {
			have_p = true;
			for (i = 0, b64 = 0; i < t.vlen; i++) {
				char c = t.val[i];

				if (ws(c))
					continue;
				if (!ch_alpha(c) && !ch_digit(c) && c != '+' &&
				    c != '/' && c != '=') {
					*why = "p= is not base64";
					return DKIMKEY_BAD;
				}
				b64++;
			}
			empty_p = b64 == 0;
		}
	}
	if (rc != 0)
		return DKIMKEY_BAD;
	if (!have_p) {
		*why = "no p= tag (not a DKIM key record)";
		return DKIMKEY_BAD;
	}
	if (empty_p) {
		*why = "p= is empty: the key is revoked";
		return DKIMKEY_REVOKED;
	}
	return DKIMKEY_OK;
}
