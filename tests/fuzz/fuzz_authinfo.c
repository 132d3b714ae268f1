/*
 * fuzz_authinfo.c - libFuzzer target: the authinfo text source
 *
 * Properties: the input buffer is wiped after parsing; without
 * AUTHINFO_KEEP_SECRET no entry holds a password; every error names the
 * file; lookups of arbitrary names never fail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authinfo.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct authinfo *ai;
	strbuf err;
	size_t i;
	unsigned flags;

	if (s == NULL)
		return 0;
	for (flags = 0; flags <= AUTHINFO_KEEP_SECRET; flags++) {
		memcpy(s, data, size);
		s[size] = '\0';
		sb_init(&err);
		if (authinfo_parse("fuzz", s, size, flags, &ai, &err) == 0) {
			for (i = 0; i < ai->n; i++) {
				if (!(flags & AUTHINFO_KEEP_SECRET) &&
				    ai->v[i].password != NULL)
					__builtin_trap();
				if (ai->v[i].authid == NULL ||
				    ai->v[i].user == NULL)
					__builtin_trap();
				(void)authinfo_lookup(ai, ai->v[i].host);
			}
			(void)authinfo_lookup(ai, "[smtp.gmail.com]");
			authinfo_free(ai);
		} else if (strncmp(err.s, "fuzz", 4) != 0) {
			__builtin_trap();
		}
		for (i = 0; i < size; i++)
			if (s[i] != '\0')
				__builtin_trap();	/* not wiped */
		sb_free(&err);
	}
	free(s);
	return 0;
}
