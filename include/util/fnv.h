/*
 * fnv.h - the FNV-1a hash, 32 and 64 bits: the one copy in the tree
 *
 * CONTRACT
 *	FNV-1a as Fowler, Noll and Vo define it (draft-eastlake-fnv): from
 *	the offset basis, for each byte h ^= byte, then h *= the FNV prime.
 *	fnv1a32() continues from h (FNV1A32_INIT to start), so a key can be
 *	hashed in pieces or from a seed. For hash tables of our own keys:
 *	not a defence against chosen collisions. Inline, for the lookups
 *	that call it per message and per log line.
 */
#ifndef RM_FNV_H
#define RM_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A32_INIT	2166136261u

static inline uint32_t
fnv1a32(const void *p, size_t n, uint32_t h)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/* A C string, from FNV1A32_INIT. */
static inline uint32_t
fnv1a32_str(const char *s)
{
	uint32_t h = FNV1A32_INIT;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* A C string, 64 bits. */
static inline uint64_t
fnv1a64_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#endif
