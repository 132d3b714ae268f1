/*
 * align.c - organisational domains via libpsl, strict and relaxed alignment
 *
 * CONTRACT
 *	See include/align.h. psl_latest() is called once under pthread_once;
 *	the resulting context is read-only and shared by all threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libpsl.h>

#include "align.h"
#include "util.h"

static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl_ctx;
static const char *psl_source = "none";

static void
psl_init(void)
{
	psl_ctx_t *p = psl_latest(NULL);

	if (p != NULL) {
		psl_ctx = p;
		psl_source = "system (newest of libpsl's data files)";
	} else if ((psl_ctx = psl_builtin()) != NULL) {
		psl_source = "libpsl built-in";
	}
}

const char *
align_psl_source(void)
{
	pthread_once(&psl_once, psl_init);
	return psl_source;
}

/* Lower-case copy without a trailing dot; UTF-8 lower-cased by libpsl. */
static char *
canon(const char *d)
{
	char *lower = NULL, *c;
	size_t n;
	const unsigned char *p;
	bool eight = false;

	for (p = (const unsigned char *)d; *p; p++)
		if (*p >= 0x80)
			eight = true;
	if (eight && psl_str_to_utf8lower(d, "utf-8", NULL, &lower) ==
	    PSL_SUCCESS && lower != NULL) {
		c = strdup(lower);
		psl_free_string(lower);
	} else {
		c = strdup_lower(d);
	}
	if (c == NULL)
		return NULL;
	n = strlen(c);
	if (n > 1 && c[n - 1] == '.')
		c[n - 1] = '\0';
	return c;
}

char *
align_org_domain(const char *d)
{
	const char *reg;
	char *c, *r;

	pthread_once(&psl_once, psl_init);
	if ((c = canon(d)) == NULL)
		return NULL;
	if (psl_ctx == NULL ||
	    (reg = psl_registrable_domain(psl_ctx, c)) == NULL)
		return c;
	r = strdup(reg);
	free(c);
	return r;
}

int
align_check(const char *from_domain, const char *env_domain, int mode)
{
	char *a, *b;
	int rc;

	if (from_domain == NULL || env_domain == NULL)
		return 0;
	if (mode == ALIGN_STRICT) {
		a = canon(from_domain);
		b = canon(env_domain);
	} else {
		a = align_org_domain(from_domain);
		b = align_org_domain(env_domain);
	}
	if (a == NULL || b == NULL)
		rc = -1;
	else
		rc = strcmp(a, b) == 0;
	free(a);
	free(b);
	return rc;
}
