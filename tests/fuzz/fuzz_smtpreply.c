/*
 * fuzz_smtpreply.c - libFuzzer target: SMTP replies and EHLO keywords
 *
 * Properties: the whole input is consumed as a sequence of replies; each
 * complete reply used at least one byte and no more than was left, has a
 * code 200..599 and at least one line; no stored text holds a control
 * character; the one-line rendering starts with the code; the EHLO
 * keywords of a 2xx reply are upper-case keyword characters only.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;

	for (;;) {
		struct smtp_reply r;
		struct ehlo_info e;
		enum smtpr_status st;
		const char *why = NULL;
		size_t used = 0, i, j;
		strbuf sb;
		char code[4];

		st = smtpreply_parse(p, left, &r, &used, &why);
		if (st == SMTPR_BAD && why == NULL)
			__builtin_trap();
		if (st != SMTPR_OK)
			break;
		if (used == 0 || used > left || r.code < 200 || r.code > 599 ||
		    r.nlines == 0 || r.nlines > SMTPR_MAX_LINES)
			__builtin_trap();
		for (i = 0; i < r.nlines; i++)
			check_text(r.lines[i]);
		check_text(r.enh);
		sb_init(&sb);
		if (smtpreply_format(&r, &sb) == 0) {
			snprintf(code, sizeof(code), "%03d", r.code);
			if (strncmp(sb.s, code, 3) != 0)
				__builtin_trap();
			check_text(sb.s);
		}
		sb_free(&sb);
		if (smtpreply_ehlo(&r, &e) == 0) {
			for (i = 0; i < e.nkeywords; i++)
				for (j = 0; e.keywords[i][j]; j++)
					if (e.keywords[i][j] >= 'a' &&
					    e.keywords[i][j] <= 'z')
						__builtin_trap();
			(void)ehlo_has_auth(&e, "PLAIN");
			ehlo_info_free(&e);
		}
		smtpreply_free(&r);
		p += used;
		left -= used;
	}
	return 0;
}
