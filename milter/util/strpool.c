/*
 * strpool.c - copies of short strings that are released together
 *
 * CONTRACT
 *	See strpool.h. Copies are bytes (no alignment): the pool holds only
 *	strings.
 */
#include <stdlib.h>
#include <string.h>

#include "strpool.h"

struct strpool_chunk {
	struct strpool_chunk	*older;
	char			 data[];
};

void
strpool_init(struct strpool *p, char *buf, size_t cap)
{
	p->first = buf;
	p->first_cap = buf != NULL ? cap : 0;
	p->next = p->first;
	p->left = p->first_cap;
	p->chunks = NULL;
}

char *
strpool_ndup(struct strpool *p, const char *s, size_t n)
{
	struct strpool_chunk *c;
	size_t size;
	char *d;

	if (n >= (size_t)-1 - sizeof(*c) - STRPOOL_CHUNK)
		return NULL;
	if (n + 1 > p->left) {
		size = n + 1 > STRPOOL_CHUNK ? n + 1 : STRPOOL_CHUNK;
		if ((c = malloc(sizeof(*c) + size)) == NULL)
			return NULL;
		c->older = p->chunks;
		p->chunks = c;
		if (n + 1 > STRPOOL_CHUNK / 4) {
			/* a long copy gets a chunk of its own: the space
			 * left where the short ones go stays in use */
			memcpy(c->data, s, n);
			c->data[n] = '\0';
			return c->data;
		}
		/* the few bytes left in the old storage are given up */
		p->next = c->data;
		p->left = size;
	}
	d = p->next;
	memcpy(d, s, n);
	d[n] = '\0';
	p->next += n + 1;
	p->left -= n + 1;
	return d;
}

char *
strpool_dup(struct strpool *p, const char *s)
{
	return strpool_ndup(p, s, strlen(s));
}

void
strpool_reset(struct strpool *p)
{
	struct strpool_chunk *c, *older;

	for (c = p->chunks; c != NULL; c = older) {
		older = c->older;
		free(c);
	}
	p->chunks = NULL;
	p->next = p->first;
	p->left = p->first_cap;
}

void
strpool_free(struct strpool *p)
{
	strpool_reset(p);
}
