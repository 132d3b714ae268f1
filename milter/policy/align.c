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
#define CANON_MAX	253

/* Canonical form into out (CANON_MAX + 1 bytes): 0, or -1 with errno
 * EINVAL (not a domain) or ENOMEM. */
static int
canonical_buf(const char *domain, char *out)
{
	const char *s, *e, *p;
	char *trim, *ascii = NULL;
	bool plain = true;
	size_t n;
	int r;

	errno = EINVAL;
	if (domain == NULL)
		return -1;
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

/* The same, malloc'ed in *out. */
static int
canonical(const char *domain, char **out)
{
	char buf[CANON_MAX + 1];

	*out = NULL;
	if (canonical_buf(domain, buf) < 0)
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
 * collision, under one mutex; it only ever holds canonical names.
 */
#define ORG_SLOTS	256

static struct {
	char	*dom;
	char	*org;
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
		free(org_cache[i].org);
		org_cache[i].dom = org_cache[i].org = NULL;
	}
	pthread_mutex_unlock(&org_lock);
}

/* The organisational domain of a canonical name into out (CANON_MAX + 1
 * bytes: it is the name or a suffix of it). Never fails: a name that
 * cannot be cached for want of memory is still answered. */
static void
org_into(const char *canon, char *out)
{
	size_t slot = org_slot(canon);
	const char *reg;
	char *dom, *copy;
	bool hit = false;

	pthread_mutex_lock(&org_lock);
	if (org_cache[slot].dom != NULL &&
	    strcmp(org_cache[slot].dom, canon) == 0) {
		strcpy(out, org_cache[slot].org);
		hit = true;
	}
	pthread_mutex_unlock(&org_lock);
	if (hit)
		return;
	reg = psl_registrable_domain(psl_get(), canon);
	strcpy(out, reg != NULL ? reg : canon);
	dom = strdup(canon);
	copy = strdup(out);
	if (dom == NULL || copy == NULL) {
		free(dom);
		free(copy);
		return;			/* still a correct answer, just not cached */
	}
	pthread_mutex_lock(&org_lock);
	free(org_cache[slot].dom);
	free(org_cache[slot].org);
	org_cache[slot].dom = dom;
	org_cache[slot].org = copy;
	pthread_mutex_unlock(&org_lock);
}

char *
align_org_domain(const char *d)
{
	char c[CANON_MAX + 1], org[CANON_MAX + 1];

	if (canonical_buf(d, c) < 0)
		return errno == ENOMEM ? NULL : strdup_lower(d ? d : "");
	org_into(c, org);
	return strdup(org);
}

void
align_result_clear(struct align_result *r)
{
	if (r == NULL)
		return;
	free(r->arena);
	memset(r, 0, sizeof(*r));
}

/* Copy src into the arena at *at; returns the copy. */
static char *
put(char **at, const char *src, size_t n)
{
	char *d = *at;

	memcpy(d, src, n + 1);
	*at += n + 1;
	return d;
}

int
align_eval(const char *from_domain, const char *env_domain, int mode,
    struct align_result *out)
{
	char fd[CANON_MAX + 1], ed[CANON_MAX + 1], fo[CANON_MAX + 1],
	    eo[CANON_MAX + 1], *at;
	size_t lfd = 0, led = 0, lfo = 0, leo = 0;
	bool fok, eok;

	memset(out, 0, sizeof(*out));
	if (!(fok = canonical_buf(from_domain, fd) == 0) && errno == ENOMEM)
		return -1;
	if (!(eok = canonical_buf(env_domain, ed) == 0) && errno == ENOMEM)
		return -1;
	if (!fok && !eok)
		return 0;	/* not domains: aligned with nothing */
	if (fok) {
		org_into(fd, fo);
		lfd = strlen(fd);
		lfo = strlen(fo);
	}
	if (eok) {
		org_into(ed, eo);
		led = strlen(ed);
		leo = strlen(eo);
	}
	/* the four names in one allocation */
	if ((out->arena = malloc(lfd + led + lfo + leo + 4)) == NULL)
		return -1;
	at = out->arena;
	if (fok) {
		out->from_dom = put(&at, fd, lfd);
		out->from_org = put(&at, fo, lfo);
	}
	if (eok) {
		out->env_dom = put(&at, ed, led);
		out->env_org = put(&at, eo, leo);
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
