/*
 * fuzz_sendermap.c - libFuzzer target: SenderMap text and lookups
 *
 * The input is a map file; when it loads, a few addresses derived from the
 * input are looked up, and every hit must itself be a valid full address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "map.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
look(const struct sendermap *m, const char *sender)
{
	struct rm_addr a, h;
	struct map_hit hit;
	int local_ok;

	if (addr_parse_envelope(sender, &a) != 0)
		return;
	for (local_ok = 0; local_ok < 2; local_ok++) {
		if (sendermap_lookup(m, &a, local_ok, &hit) == MAP_FOUND) {
			if (addr_parse_envelope(hit.address, &h) != 0 ||
			    h.domain == NULL || h.null)
				__builtin_trap();
			addr_free(&h);
		}
		/* an entry passed over is named with its line */
		if (hit.skipped_key != NULL && hit.skipped_line == 0)
			__builtin_trap();
		map_hit_free(&hit);
	}
	addr_free(&a);
}

static void
visit(const char *d, void *arg)
{
	(void)d;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *line, *sp;
	struct sendermap *m;
	strbuf err;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sb_init(&err);
	if (sendermap_parse("fuzz", s, &m, &err) == 0) {
		sendermap_value_domains(m, visit, NULL);
		/* look up the keys themselves, as senders */
		memcpy(s, data, size);
		s[size] = '\0';
		for (line = strtok_r(s, "\n", &sp); line != NULL;
		    line = strtok_r(NULL, "\n", &sp)) {
			line[strcspn(line, " \t")] = '\0';
			if (line[0] == '@')
				line[0] = 'x';
			look(m, line);
		}
		look(m, "<user+detail@example.com>");
		look(m, "<root>");
		sendermap_free(m);
	} else if (err.len == 0 || strncmp(err.s, "fuzz", 4) != 0) {
		__builtin_trap();	/* every error names the file */
	}
	sb_free(&err);
	free(s);
	return 0;
}
