/*
 * fuzz_smverify.c - libFuzzer target: the output of `sendmail -bv`
 *
 * Properties: never crashes; every entry has an address; a deliverable
 * entry has no refusal text and a refused one no mailer; no kept text
 * holds a control character; the count of entries and skipped lines is
 * at most the number of lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smverify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
clean(const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smverify sv;
	char *text = malloc(size + 1);
	size_t i, lines = 1;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (i = 0; i < size && text[i] != '\0'; i++)
		if (text[i] == '\n')
			lines++;
	if (smverify_parse(text, &sv) == 0) {
		if (sv.n + sv.skipped > lines)
			__builtin_trap();
		for (i = 0; i < sv.n; i++) {
			const struct smv_entry *e = &sv.v[i];

			if (e->addr == NULL)
				__builtin_trap();
			if (e->deliverable && e->text != NULL)
				__builtin_trap();
			if (!e->deliverable && e->mailer != NULL)
				__builtin_trap();
			clean(e->addr);
			clean(e->mailer);
			clean(e->host);
			clean(e->user);
			clean(e->text);
		}
		smverify_free(&sv);
	}
	free(text);
	return 0;
}
