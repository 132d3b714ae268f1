/*
 * strtab.c - open-addressing string hash table (FNV-1a, linear probing)
 *
 * CONTRACT
 *	See strtab.h. No deletion: tables are built once per
 *	configuration snapshot and thrown away whole on reload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "strtab.h"

struct slot {
	char	*key;
	void	*value;
	uint64_t hash;
};

struct strtab {
	struct slot	*slots;
	size_t		 cap;		/* power of two */
	size_t		 count;
};

struct strtab *
strtab_new(size_t hint)
{
	struct strtab *t;
	size_t cap = 16;

	while (cap < hint * 2 && cap < ((size_t)1 << 40))
		cap *= 2;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->slots = calloc(cap, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	t->cap = cap;
	return t;
}

void
strtab_free(struct strtab *t, void (*free_value)(void *))
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].key == NULL)
			continue;
		free(t->slots[i].key);
		if (free_value != NULL)
			free_value(t->slots[i].value);
	}
	free(t->slots);
	free(t);
}

static struct slot *
find(const struct strtab *t, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (t->cap - 1);

	while (t->slots[i].key != NULL) {
		if (t->slots[i].hash == h && strcmp(t->slots[i].key, key) == 0)
			return &t->slots[i];
		i = (i + 1) & (t->cap - 1);
	}
	return &t->slots[i];
}

static int
grow(struct strtab *t)
{
	struct slot *old = t->slots, *s;
	size_t oldcap = t->cap, i, ncap = t->cap * 2;

	if ((t->slots = calloc(ncap, sizeof(*t->slots))) == NULL) {
		t->slots = old;
		return -1;
	}
	t->cap = ncap;
	for (i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		s = find(t, old[i].key, old[i].hash);
		*s = old[i];
	}
	free(old);
	return 0;
}

int
strtab_put(struct strtab *t, const char *key, void *value, void **old)
{
	uint64_t h = fnv1a64_str(key);
	struct slot *s;

	if ((t->count + 1) * 2 > t->cap && grow(t) < 0)
		return -1;
	s = find(t, key, h);
	if (s->key != NULL) {
		if (old != NULL)
			*old = s->value;
		return 0;
	}
	if ((s->key = strdup(key)) == NULL)
		return -1;
	s->value = value;
	s->hash = h;
	t->count++;
	return 1;
}

int
strtab_get(const struct strtab *t, const char *key, void **value)
{
	const struct slot *s;

	if (t == NULL || t->count == 0)
		return 0;
	s = find(t, key, fnv1a64_str(key));
	if (s->key == NULL)
		return 0;
	if (value != NULL)
		*value = s->value;
	return 1;
}

size_t
strtab_count(const struct strtab *t)
{
	return t ? t->count : 0;
}

void
strtab_each(const struct strtab *t,
    void (*fn)(const char *key, void *value, void *arg), void *arg)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].key != NULL)
			fn(t->slots[i].key, t->slots[i].value, arg);
}
