/*
 * fuzz_budgetstate.c - libFuzzer target: the relay budget's state file and
 * the releaser's release file (budgetfmt.c), and reading a state back into
 * a budget
 *
 * Properties: a file that parses is written out as text that parses
 * again; the state goes into a budget and out again
 * without failing (the daemon's restart path) and every held queue id is
 * one that may go on sendmail's command line; a refusal names its line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "budgetfmt.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
state(const char *s, size_t size)
{
	struct bstate st, st2;
	struct budget *b;
	strbuf err, out;
	size_t i;

	sb_init(&err);
	sb_init(&out);
	if (bstate_parse(s, size, &st, &err) != 0) {
		if (err.len == 0 || !ch_digit(err.s[0]))
			__builtin_trap();	/* no line named */
		sb_free(&err);
		return;
	}
	for (i = 0; i < st.nheld; i++)
		if (!bstate_qid_ok(st.held[i].qid))
			__builtin_trap();
	if (bstate_format(&st, &out) != 0)
		__builtin_trap();
	if (bstate_parse(out.s, out.len, &st2, &err) != 0)
		__builtin_trap();
	bstate_free(&st2);
	if ((b = budget_new()) != NULL) {
		if (budget_import(b, &st, st.written) == 0) {
			struct bstate back;

			if (budget_export(b, st.written, &back) != 0)
				__builtin_trap();
			bstate_free(&back);
			(void)budget_gc(b, st.written + 86400 * 2);
		}
		budget_free(b);
	}
	bstate_free(&st);
	sb_free(&err);
	sb_free(&out);
}

static void
released(const char *s, size_t size)
{
	struct brel r, r2;
	strbuf err, out;
	size_t i;

	sb_init(&err);
	sb_init(&out);
	if (brel_parse(s, size, &r, &err) == 0) {
		for (i = 0; i < r.n; i++)
			if (!bstate_qid_ok(r.v[i].qid))
				__builtin_trap();
		if (brel_format(&r, &out) != 0 ||
		    brel_parse(out.s, out.len, &r2, &err) != 0 ||
		    r2.n != r.n)
			__builtin_trap();
		brel_free(&r2);
		brel_free(&r);
	} else if (err.len == 0) {
		__builtin_trap();
	}
	sb_free(&err);
	sb_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	state((const char *)data, size);
	released((const char *)data, size);
	return 0;
}
