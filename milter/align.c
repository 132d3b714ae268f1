/*
 * align.c - DMARC alignment (RFC 7489 3.1) with the Public Suffix List
 *
 * CONTRACT
 *	See include/align.h. The PSL context is created on first use under a
 *	mutex and is read-only afterwards (libpsl lookups are thread-safe).
 *	Nothing here logs, exits or aborts.
 */
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "util.h"

static pthread_mutex_t psl_lock = PTHREAD_MUTEX_INITIALIZER;
static psl_ctx_t *psl_loaded;	/* from psl_latest(), ours to free */

static const psl_ctx_t *
psl_get(void)
{
	const psl_ctx_t *p;

	pthread_mutex_lock(&psl_lock);
	if (psl_loaded == NULL)
		psl_loaded = psl_latest(NULL);
	p = psl_loaded != NULL ? psl_loaded : psl_builtin();
	pthread_mutex_unlock(&psl_lock);
	return p;
}

void
align_cleanup(void)
{
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

char *
align_canonical(const char *domain)
{
	const char *s, *e;
	char *trim, *ascii = NULL, *out;
	bool nonascii = false;
	const char *p;

	if (domain == NULL || has_control_chars(domain))
		return NULL;
	s = domain;
	while (*s == '.')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == '.')
		e--;
	if (e == s)
		return NULL;
	if ((trim = strndup(s, (size_t)(e - s))) == NULL)
		return NULL;
	for (p = trim; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || *p == ' ')
			nonascii = true;
	if (!nonascii) {
		str_lower_inplace(trim);
		if (!labels_ok(trim)) {
			free(trim);
			return NULL;
		}
		return trim;
	}
	/* U-labels: IDNA2008 (UTS#46 non-transitional) to A-labels; this
	 * also folds the case of non-ASCII letters */
	if (idn2_to_ascii_8z(trim, &ascii, IDN2_NONTRANSITIONAL |
	    IDN2_NFC_INPUT) != IDN2_OK) {
		free(trim);
		return NULL;
	}
	free(trim);
	out = strdup(ascii);
	idn2_free(ascii);
	if (out == NULL)
		return NULL;
	str_lower_inplace(out);
	if (!labels_ok(out)) {
		free(out);
		return NULL;
	}
	return out;
}

static char *
org_of_canonical(const char *canon)
{
	const char *reg = psl_registrable_domain(psl_get(), canon);

	/* a public suffix itself, or no listed suffix: its own org domain */
	return strdup(reg != NULL ? reg : canon);
}

char *
align_org_domain(const char *domain)
{
	char *c = align_canonical(domain), *org;

	if (c == NULL)
		return NULL;
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
align_check(const char *from_domain, const char *env_domain,
    enum align_mode mode, struct align_result *out)
{
	memset(out, 0, sizeof(*out));
	out->from_dom = align_canonical(from_domain);
	out->env_dom = align_canonical(env_domain);
	if (out->from_dom != NULL)
		out->from_org = org_of_canonical(out->from_dom);
	if (out->env_dom != NULL)
		out->env_org = org_of_canonical(out->env_dom);
	if (out->from_org == NULL || out->env_org == NULL)
		return -1;
	if (mode == ALIGN_STRICT)
		out->aligned = strcmp(out->from_dom, out->env_dom) == 0;
	else
		out->aligned = strcmp(out->from_org, out->env_org) == 0;
	return 0;
}

const char *
align_mode_name(enum align_mode m)
{
	return m == ALIGN_STRICT ? "strict" : "relaxed";
}

int
align_mode_parse(const char *s, enum align_mode *out)
{
	if (s != NULL && str_ieq(s, "relaxed")) {
		*out = ALIGN_RELAXED;
		return 0;
	}
	if (s != NULL && str_ieq(s, "strict")) {
		*out = ALIGN_STRICT;
		return 0;
	}
	return -1;
}
