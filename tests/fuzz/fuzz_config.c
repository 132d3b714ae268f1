/*
 * fuzz_config.c - libFuzzer target: relaymilter.conf
 *
 * Properties: every error names the file and a line; a configuration that
 * loads can print every option's value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct rm_config *cfg;
	const struct opt_desc *o;
	strbuf err, v;
	size_t n, i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	sb_init(&err);
	if (config_parse("fuzz.conf", s, &cfg, &err) == 0) {
		o = config_options(&n);
		sb_init(&v);
		for (i = 0; i < n; i++) {
			if (config_value_text(cfg, &o[i], &v) < 0)
				__builtin_trap();
			sb_reset(&v);
		}
		sb_free(&v);
		config_free(cfg);
	} else if (strncmp(err.s, "fuzz.conf:", 10) != 0) {
		__builtin_trap();
	}
	sb_free(&err);
	free(s);
	return 0;
}
