/*
 * fuzz_addr.c - libFuzzer target: envelope and header address parsers
 *
 * Besides crashes and sanitizer reports it checks properties: a parsed
 * envelope address formats to text that parses back to the same parts;
 * sanitised text and key=value log lines never carry control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *t, *clean;
	struct rm_addr a, b;
	struct hdr_from f;
	struct kvline kv;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (addr_parse_envelope(s, &a) == 0) {
		if ((t = addr_text(&a)) != NULL) {
			if (!a.null) {
				if (addr_parse_envelope(t, &b) != 0)
					__builtin_trap();
				if (!same(a.local, b.local) ||
				    !same(a.domain, b.domain))
					__builtin_trap();
				addr_free(&b);
			}
			free(t);
		}
		addr_free(&a);
	}
	if (hdr_from_parse(s, &f) == 0) {
		if (f.count < 1 || f.addr.domain == NULL)
			__builtin_trap();
		if ((t = hdr_from_build(f.display, "x@example.com")) != NULL)
			free(t);
		hdr_from_free(&f);
	}
	if ((clean = sanitize_dup(s)) != NULL) {
		if (has_control_chars(clean))
			__builtin_trap();
		free(clean);
	}
	kv_init(&kv);
	kv_add(&kv, "v", s);
	kv_add_angle(&kv, "from", s);
	if (strchr(kv_str(&kv), '\n') != NULL ||
	    strchr(kv_str(&kv), '\r') != NULL)
		__builtin_trap();
	kv_free(&kv);
	free(s);
	return 0;
}
