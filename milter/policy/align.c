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

/* Canonical form in *out: 0, or -1 with errno EINVAL (not a domain) or
 * ENOMEM. */
static int
canonical(const char *domain, char **out)
{
	const char *s, *e, *p;
	char *trim, *ascii = NULL, *c;
	bool plain = true;
	int r;

	*out = NULL;
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
	if ((trim = malloc((size_t)(e - s) + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(trim, s, (size_t)(e - s));
	trim[e - s] = '\0';
	if (plain) {
		c = str_lower_inplace(trim);
	} else {
		/* U-labels: IDNA2008 (UTS#46 non-transitional) to A-labels;
		 * this also folds the case of non-ASCII letters */
		r = idn2_to_ascii_8z(trim, &ascii, IDN2_NONTRANSITIONAL |
		    IDN2_NFC_INPUT);
		free(trim);
		if (r == IDN2_MALLOC) {
			errno = ENOMEM;
			return -1;
		}
		if (r != IDN2_OK)
			return -1;
		c = strdup(ascii);
		idn2_free(ascii);
		if (c == NULL) {
			errno = ENOMEM;
			return -1;
		}
		str_lower_inplace(c);
	}
	if (!labels_ok(c)) {
		free(c);
		errno = EINVAL;
		return -1;
	}
	*out = c;
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

static char *
org_lookup(const char *canon)
{
	const char *reg = psl_registrable_domain(psl_get(), canon);

	return strdup(reg != NULL ? reg : canon);
}

static char *
org_of_canonical(const char *canon)
{
	size_t slot = org_slot(canon);
	char *org = NULL, *dom, *copy;

	pthread_mutex_lock(&org_lock);
	if (org_cache[slot].dom != NULL &&
	    strcmp(org_cache[slot].dom, canon) == 0)
		org = strdup(org_cache[slot].org);
	pthread_mutex_unlock(&org_lock);
	if (org != NULL)
		return org;
	if ((org = org_lookup(canon)) == NULL)
		return NULL;
	dom = strdup(canon);
	copy = strdup(org);
	if (dom == NULL || copy == NULL) {
		free(dom);
		free(copy);
		return org;		/* still a correct answer, just not cached */
	}
	pthread_mutex_lock(&org_lock);
	free(org_cache[slot].dom);
	free(org_cache[slot].org);
	org_cache[slot].dom = dom;
	org_cache[slot].org = copy;
	pthread_mutex_unlock(&org_lock);
	return org;
}

char *
align_org_domain(const char *d)
{
	char *c, *org;

	if (canonical(d, &c) < 0)
		return errno == ENOMEM ? NULL : strdup_lower(d ? d : "");
	org = org_of_canonical(c);
	free(c);
	return org;
}

void
align_result_clear(struct align_result *r)
{
	if (r == NULL)
		return;
	free(r->from_org);
	free(r->env_org);
	free(r->from_dom);
	free(r->env_dom);
	memset(r, 0, sizeof(*r));
}

int
align_eval(const char *from_domain, const char *env_domain, int mode,
    struct align_result *out)
{
	memset(out, 0, sizeof(*out));
	if (canonical(from_domain, &out->from_dom) < 0 && errno == ENOMEM)
		goto nomem;
	if (canonical(env_domain, &out->env_dom) < 0 && errno == ENOMEM)
		goto nomem;
	if (out->from_dom != NULL &&
	    (out->from_org = org_of_canonical(out->from_dom)) == NULL)
		goto nomem;
	if (out->env_dom != NULL &&
	    (out->env_org = org_of_canonical(out->env_dom)) == NULL)
		goto nomem;
	if (out->from_org == NULL || out->env_org == NULL)
		return 0;	/* not a domain: aligned with nothing */
	if (mode == ALIGN_STRICT)
		out->aligned = strcmp(out->from_dom, out->env_dom) == 0;
	else
		out->aligned = strcmp(out->from_org, out->env_org) == 0;
	return out->aligned ? 1 : 0;
nomem:
	align_result_clear(out);
	return -1;
}

int
align_check(const char *from_domain, const char *env_domain, int mode)
{
	struct align_result r;
	int rc = align_eval(from_domain, env_domain, mode, &r);

	align_result_clear(&r);
	return rc;
}
