/*
 * fuzz_sendmailcf.c - libFuzzer target: relaymilter-doctor's readers of
 *	sendmail.cf, sendmail.mc, `sendmail -d0.1` and mailq output
 *
 * Properties: every parser accepts any text; line numbers never exceed
 * the number of lines; the smarthost, when there is one, has a host, a
 * mailer and its DS line, and no "]" in a bracketed host; every mc call
 * has a name and a file; mailq entries have a queue id and a sender. The
 * comparison of two sendmail.cf texts (cfdiff.c) finds nothing between a
 * text and itself, and between the input's two halves gives items of a
 * known kind, with keys for keyed lines and lines within each half.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfdiff.h"
#include "mcparse.h"
#include "sendmailcf.h"
#include "smoutput.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct incarg {
	const char	*text;
	int		 left;
};

static char *
inc(const char *path, void *arg)
{
	struct incarg *ia = arg;

	/* an absolute include reads the input again, a few times at most
	 * (the parser itself stops at 8 levels) */
	if (path[0] != '/' || ia->left <= 0)
		return NULL;
	ia->left--;
	return strdup(ia->text);
}

static unsigned
nlines(const char *t)
{
	unsigned n = 1;

	for (; *t; t++)
		n += *t == '\n';
	return n;
}

static void
check_diff(const char *s, size_t size)
{
	struct cfd d;
	char *a, *b;
	size_t i;

	if (cfd_diff(s, s, &d) == 0) {
		if (d.n != 0)
			__builtin_trap();
		cfd_free(&d);
	}
	a = strndup(s, size / 2);
	b = strdup(s + strlen(s) / 2 > s + size / 2 ? s + size / 2 :
	    s + strlen(s));
	if (a != NULL && b != NULL && cfd_diff(a, b, &d) == 0) {
		for (i = 0; i < d.n; i++) {
			const struct cfd_item *x = &d.v[i];

			if (x->kind > CFD_ONLY_B || (x->type != 'L' &&
			    x->key == NULL) || x->a_line > nlines(a) ||
			    x->b_line > nlines(b) || (x->a == NULL &&
			    x->b == NULL && x->kind != CFD_CHANGED))
				__builtin_trap();
		}
		cfd_free(&d);
	}
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct sendmail_cf cf;
	struct cf_smarthost sh;
	struct sendmail_mc mc;
	struct sendmail_info si;
	struct mailq q;
	struct incarg ia;
	unsigned lines = 1;
	size_t i;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < size; i++)
		lines += s[i] == '\n';
	if (cf_parse(s, &cf, NULL) == 0) {
		for (i = 0; i < cf.nmailers; i++)
			if (cf.mailers[i].line > lines || !cf.mailers[i].name[0])
				__builtin_trap();
		if (cf_smarthost(&cf, &sh) == 0 && (sh.host == NULL ||
		    sh.mailer == NULL || sh.line == 0 ||
		    (sh.bracketed && strchr(sh.host, ']') != NULL)))
			__builtin_trap();
		cf_smarthost_free(&sh);
		cf_free(&cf);
	}
	check_diff(s, size);
	ia.text = s;
	ia.left = 4;
	if (mc_parse(s, "fuzz.mc", inc, &ia, &mc, NULL) == 0) {
		for (i = 0; i < mc.ncalls; i++)
			if (!mc.calls[i].name[0] || mc.calls[i].file == NULL)
				__builtin_trap();
		(void)mc_define(&mc, "SMART_HOST", NULL);
		mc_free(&mc);
	}
	if (sendmail_info_parse(s, &si) == 0) {
		(void)sendmail_compiled_with(&si, "STARTTLS");
		sendmail_info_free(&si);
	}
	if (mailq_parse(s, 1795250000, &q) == 0) {
		for (i = 0; i < q.n; i++)
			if (q.v[i].qid == NULL || q.v[i].sender == NULL)
				__builtin_trap();
		mailq_free(&q);
	}
	free(s);
	return 0;
}
