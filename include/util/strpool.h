/*
 * strpool.h - copies of short strings that are released together
 *
 * CONTRACT
 *	A strpool hands out NUL-terminated copies that all live until
 *	strpool_reset() or strpool_free(); there is no per-string free. Its
 *	first storage is a buffer the caller gives (typically inside the
 *	struct that holds the pool, so that it costs no allocation of its
 *	own); a copy that does not fit there goes to a heap chunk of at least
 *	STRPOOL_CHUNK bytes (or the copy's size when that is more), so nothing
 *	is ever truncated. strpool_reset() frees the heap chunks and makes the
 *	caller's buffer free again: a pool reset between uses allocates
 *	nothing while what it holds fits. The copies returned before a reset
 *	must not be used after it. NULL only when the heap is exhausted (the
 *	pool stays valid). One owner at a time: not thread safe.
 */
#ifndef RM_STRPOOL_H
#define RM_STRPOOL_H

#include <stddef.h>

#define STRPOOL_CHUNK	1024

struct strpool_chunk;

struct strpool {
	char			*next;		/* free space starts here */
	size_t			 left;		/* bytes free at next */
	char			*first;		/* the caller's buffer */
	size_t			 first_cap;
	struct strpool_chunk	*chunks;	/* heap chunks, newest first */
};

/* buf (cap bytes, may be NULL with cap 0) is the first storage; it must
 * outlive the pool's use. */
void	 strpool_init(struct strpool *p, char *buf, size_t cap);
/* A copy of s, or NULL when out of memory. */
char	*strpool_dup(struct strpool *p, const char *s);
/* A copy of s[0..n) and a NUL, or NULL when out of memory. */
char	*strpool_ndup(struct strpool *p, const char *s, size_t n);
/* Forget every copy; free the heap chunks, keep the caller's buffer. */
void	 strpool_reset(struct strpool *p);
/* The same: after it the pool holds no heap memory (and is usable). */
void	 strpool_free(struct strpool *p);

#endif
