/*
 * align.c - DMARC alignment (RFC 7489 3.1) with the Public Suffix List
 *
 * CONTRACT
 *	See align.h. The PSL context is created on first use under a
 *	mutex and is read-only afterwards (libpsl lookups are thread-safe).
 *	Nothing here logs, exits or aborts.
 */
#include <errno.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "fnv.h"
#include "util.h"

static pthread_mutex_t psl_lock = PTHREAD_MUTEX_INITIALIZER;
static psl_ctx_t *psl_loaded;	/* from psl_latest(), ours to free */
static const char *psl_source = "none";

static void org_cache_clear(void);

static const psl_ctx_t *
psl_get(void)
{
	const psl_ctx_t *p;

	pthread_mutex_lock(&psl_lock);
	if (psl_loaded == NULL) {
		psl_loaded = psl_latest(NULL);
		psl_source = psl_loaded != NULL ?
		    "system (newest of libpsl's data files)" :
		    "libpsl built-in";
	}
	p = psl_loaded != NULL ? psl_loaded : psl_builtin();
	pthread_mutex_unlock(&psl_lock);
	return p;
}

const char *
align_psl_source(void)
{
	(void)psl_get();
	return psl_source;
}

void
align_cleanup(void)
{
	org_cache_clear();
	pthread_mutex_lock(&psl_lock);
	psl_free(psl_loaded);
	psl_loaded = NULL;
	pthread_mutex_unlock(&psl_lock);
}

static bool
labels_ok(const char *d)
{
	size_t n = strlen(d), lab = 0, i;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || d[i] == '.') {
			if (lab == 0 || lab > 63)
				return false;
			lab = 0;
		} else if ((d[i] >= 'a' && d[i] <= 'z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '-' ||
		    d[i] == '_') {
			lab++;
		} else {
			return false;	/* after IDNA only LDH (and _) */
		}
	}
	return true;
}

/* A canonical name is at most this long (labels_ok()): the exact bound of
 * the buffers below. */
#define CANON_MAX	ALIGN_NAME_MAX

/* Canonical form into out (CANON_MAX + 1 bytes): 0, or -1 with errno
 * EINVAL (not a domain) or ENOMEM. The general case: any input. */
static int
canonical_slow(const char *domain, char *out)
{
	const char *s, *e, *p;
	char *trim, *ascii = NULL;
	bool plain = true;
	size_t n;
	int r;

	errno = EINVAL;
	s = domain;
	while (*s == '.')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == '.')
		e--;
	/* one pass: the dots around [s, e) are no control characters */
	for (p = s; p < e; p++) {
		if (ch_ctl((unsigned char)*p))
			return -1;
		if ((unsigned char)*p >= 0x80 || *p == ' ')
			plain = false;
	}
	if (e == s)
		return -1;
	n = (size_t)(e - s);
	if (plain) {
		if (n > CANON_MAX)
			return -1;	/* labels_ok() refuses it */
		memcpy(out, s, n);
		out[n] = '\0';
	} else {
		/* U-labels: IDNA2008 (UTS#46 non-transitional) to A-labels;
		 * this also folds the case of non-ASCII letters */
		if ((trim = malloc(n + 1)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		memcpy(trim, s, n);
		trim[n] = '\0';
		r = idn2_to_ascii_8z(trim, &ascii, IDN2_NONTRANSITIONAL |
		    IDN2_NFC_INPUT);
		free(trim);
		if (r == IDN2_MALLOC) {
			errno = ENOMEM;
			return -1;
		}
		if (r != IDN2_OK)
			return -1;
		n = strlen(ascii);
		if (n > CANON_MAX) {
			idn2_free(ascii);
			errno = EINVAL;
			return -1;
		}
		memcpy(out, ascii, n + 1);
		idn2_free(ascii);
	}
	str_lower_inplace(out);
	if (!labels_ok(out)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/*
 * The same: the usual name (ASCII letters, digits, '-', '_' and dots, at
 * most CANON_MAX bytes) is lowered, copied and checked label by label in
 * one pass, with canonical_slow()'s answer; anything else (U-labels,
 * spaces, control characters, a longer text) goes to canonical_slow().
 * *len: the length of the name in out.
 */
static int
canonical_buf(const char *domain, char *out, size_t *len)
{
	const char *s;
	size_t n = 0, lab = 0, dots = 0;
	bool bad = false;
	unsigned char c;

	errno = EINVAL;
	if (domain == NULL)
		return -1;
	for (s = domain; *s == '.'; s++)
		;
	for (; (c = (unsigned char)*s) != '\0'; s++) {
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + ('a' - 'A'));
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			goto slow;
		if (n == CANON_MAX + 1)
			goto slow;	/* perhaps only trailing dots follow */
		out[n++] = (char)c;
		if (c == '.') {
			bad |= lab > 63;
			lab = 0;
			dots++;
		} else {
			bad |= dots > 1;	/* an empty label inside */
			dots = 0;
			lab++;
		}
	}
	n -= dots;			/* trailing dots */
	if (n == 0 || n > CANON_MAX || bad || lab > 63)
		return -1;		/* labels_ok() refuses it */
	out[n] = '\0';
	*len = n;
	return 0;
slow:
	if (canonical_slow(domain, out) < 0)
		return -1;
	*len = strlen(out);
	return 0;
}

/* The same, malloc'ed in *out. */
static int
canonical(const char *domain, char **out)
{
	char buf[CANON_MAX + 1];
	size_t n;

	*out = NULL;
	if (canonical_buf(domain, buf, &n) < 0)
		return -1;
	if ((*out = strdup(buf)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

char *
align_canonical(const char *d)
{
	char *c;

	return canonical(d, &c) == 0 ? c : NULL;
}

/*
 * A small cache of organisational domains: a milter sees the same few
 * envelope and From: domains again and again, and a PSL lookup costs more
 * than the rest of the alignment check. Direct-mapped, replaced on
 * collision, under one mutex; it only ever holds canonical names, each
 * with where its organisational domain starts in it (the registrable
 * domain is the name's last labels: libpsl returns a pointer into the
 * name it is given).
 */
#define ORG_SLOTS	256

static struct {
	char	*dom;
	size_t	 org;		/* offset of the organisational domain */
} org_cache[ORG_SLOTS];
static pthread_mutex_t org_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
org_slot(const char *s)
{
	return fnv1a32_str(s) % ORG_SLOTS;
}

static void
org_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&org_lock);
	for (i = 0; i < ORG_SLOTS; i++) {
		free(org_cache[i].dom);
		org_cache[i].dom = NULL;
		org_cache[i].org = 0;
	}
	pthread_mutex_unlock(&org_lock);
}

/* Where the organisational domain of a canonical name of len bytes starts
 * in it (it is the name or its last labels). Never fails: a name that
 * cannot be cached for want of memory is still answered. */
static size_t
org_offset(const char *canon, size_t len)
{
	size_t slot = org_slot(canon), off = 0, rl;
	const char *reg;
	char *dom;
	bool hit = false;

	pthread_mutex_lock(&org_lock);
	if (org_cache[slot].dom != NULL &&
	    strcmp(org_cache[slot].dom, canon) == 0) {
		off = org_cache[slot].org;
		hit = true;
	}
	pthread_mutex_unlock(&org_lock);
	if (hit)
		return off;
	reg = psl_registrable_domain(psl_get(), canon);
	/* a suffix of canon (libpsl's pointer into it); checked by content
	 * rather than by comparing pointers */
	if (reg != NULL && (rl = strlen(reg)) <= len &&
	    memcmp(canon + len - rl, reg, rl) == 0)
		off = len - rl;
	if ((dom = malloc(len + 1)) == NULL)
		return off;		/* still a correct answer, not cached */
	memcpy(dom, canon, len + 1);
	pthread_mutex_lock(&org_lock);
	free(org_cache[slot].dom);
	org_cache[slot].dom = dom;
	org_cache[slot].org = off;
	pthread_mutex_unlock(&org_lock);
	return off;
}

char *
align_org_domain(const char *d)
{
	char c[CANON_MAX + 1];
	size_t n;

	if (canonical_buf(d, c, &n) < 0)
		return errno == ENOMEM ? NULL : strdup_lower(d ? d : "");
	return strdup(c + org_offset(c, n));
}

void
align_result_clear(struct align_result *r)
{
	if (r == NULL)
		return;
	r->aligned = false;
	r->from_dom = r->env_dom = r->from_org = r->env_org = NULL;
}

int
align_eval(const char *from_domain, const char *env_domain, int mode,
    struct align_result *out)
{
	size_t lfd, led;
	bool fok, eok;

	align_result_clear(out);
	if (!(fok = canonical_buf(from_domain, out->from_buf, &lfd) == 0) &&
	    errno == ENOMEM)
		return -1;
	if (fok) {
		out->from_dom = out->from_buf;
		out->from_org = out->from_buf + org_offset(out->from_buf, lfd);
	}
	/* the same text (the usual pair of a rewrite): the same names */
	if (fok && env_domain != NULL && strcmp(from_domain, env_domain) == 0) {
		out->env_dom = out->from_dom;
		out->env_org = out->from_org;
		out->aligned = true;
		return 1;
	}
	if (!(eok = canonical_buf(env_domain, out->env_buf, &led) == 0) &&
	    errno == ENOMEM)
		return -1;
	if (eok) {
		out->env_dom = out->env_buf;
		out->env_org = fok && strcmp(out->from_buf, out->env_buf) == 0 ?
		    out->env_buf + (size_t)(out->from_org - out->from_buf) :
		    out->env_buf + org_offset(out->env_buf, led);
	}
	if (!fok || !eok)
		return 0;	/* not a domain: aligned with nothing */
	if (mode == ALIGN_STRICT)
		out->aligned = strcmp(out->from_dom, out->env_dom) == 0;
	else
		out->aligned = strcmp(out->from_org, out->env_org) == 0;
	return out->aligned ? 1 : 0;
}

int
align_check(const char *from_domain, const char *env_domain, int mode)
{
	struct align_result r;
	int rc = align_eval(from_domain, env_domain, mode, &r);

	align_result_clear(&r);
	return rc;
}
