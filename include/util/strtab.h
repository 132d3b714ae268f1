/*
 * strtab.h - a string-keyed hash table (open addressing, keys owned)
 *
 * CONTRACT
 *	Keys are copied on insert and compared byte for byte (callers fold
 *	case first when they want case-insensitive keys). Values are opaque
 *	pointers the caller owns. strtab_put() returns 1 when inserted, 0 when
 *	the key already existed (its old value is returned in *old and left in
 *	place), -1 on allocation failure. Lookups never allocate. The table
 *	grows to keep its load below 1/2, so a million-entry map stays cheap to
 *	look up; it is read-only after loading and then safe to share between
 *	threads.
 */
#ifndef RM_STRTAB_H
#define RM_STRTAB_H

#include <stddef.h>

struct strtab;

struct strtab	*strtab_new(size_t hint);
/* Free the table; free_value (may be NULL) is called on every value. */
void		 strtab_free(struct strtab *t, void (*free_value)(void *));
int		 strtab_put(struct strtab *t, const char *key, void *value,
		    void **old);
/* 1 and *value when found, 0 when not. */
int		 strtab_get(const struct strtab *t, const char *key,
		    void **value);
size_t		 strtab_count(const struct strtab *t);
/* Call fn for every entry, in no particular order. */
void		 strtab_each(const struct strtab *t,
		    void (*fn)(const char *key, void *value, void *arg),
		    void *arg);

#endif
